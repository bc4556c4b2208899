/*
 * tmr_wheel: the timing wheel behind the real clock (src/core/tmr.c), with
 * "now" passed in by the caller so that tests/unit/check_tmr_wheel.c can
 * drive the very same code on a virtual clock.  Not for other modules: they
 * use tmr.h.  The layout and its invariants are described in tmr_wheel.c.
 */
#ifndef SIPUAD_TMR_WHEEL_H
#define SIPUAD_TMR_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tmr.h"

#define TMR_WHEEL_SLOTS (256 + 4 * 64)

/* No due time beyond this (about 146 million years of uptime): no overflow. */
#define TMR_WHEEL_MAX_DUE ((uint64_t)1 << 62)

struct tmr_wheel {
	uint64_t cur; /* every timer due before cur has been collected */
	size_t narmed;
	struct tmr_link ready;		    /* armed with due < cur: fire on the next run */
	struct tmr_link batch;		    /* collected by the running tmr_wheel_run() */
	struct tmr_link ovf;		    /* due 2^32 ms (49.7 days) or more ahead of cur */
	uint64_t map[TMR_WHEEL_SLOTS / 64]; /* bit i: slot[i] not empty */
	struct tmr_link slot[TMR_WHEEL_SLOTS];
};

/* An empty wheel whose clock reads now (ms). */
void tmr_wheel_init(struct tmr_wheel *w, uint64_t now);
/* Disarm every timer still armed, so a later tmr_close() on it is safe. */
void tmr_wheel_clear(struct tmr_wheel *w);
/* Arm (or move) t to fire at now + ms; O(1). */
void tmr_wheel_arm(struct tmr_wheel *w, struct tmr *t, uint64_t now, uint64_t ms);
/* Disarm t if armed; O(1). */
void tmr_wheel_disarm(struct tmr_wheel *w, struct tmr *t);
/*
 * The earliest ms at which tmr_wheel_run() has work (a timer to fire or a
 * level to cascade, which is never later than the first due time);
 * UINT64_MAX when nothing is armed.  May be <= now: run at once.
 */
uint64_t tmr_wheel_next(const struct tmr_wheel *w);
/*
 * Fire every timer due at or before now, in due order (ties in arming
 * order), each disarmed before its callback.  Timers armed by those
 * callbacks fire in a later run even when already due.  Returns how many
 * fired.  Not reentrant: a callback must not call it.
 */
size_t tmr_wheel_run(struct tmr_wheel *w, uint64_t now);

#endif
