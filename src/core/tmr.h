/*
 * tmr: one-shot timers on the daemon's clock.
 *
 * A struct tmr is embedded in the object that owns it; that object's
 * destructor calls tmr_close().  It holds no allocation: on the real clock
 * every armed timer is linked into one timing wheel (src/core/tmr_wheel.c)
 * driven by a single libevent timer, so tmr_start() and tmr_stop() are O(1)
 * and never fail.  The clock is injectable: the unit tests link
 * tests/unit/fake_tmr.c in place of tmr.c, whose tmr_fake_advance() moves
 * time forward and fires what is due, in order, so the RFC 3261 timers run
 * without sleeping.
 */
#ifndef SIPUAD_TMR_H
#define SIPUAD_TMR_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct tmr_clock;

typedef void (tmr_cb)(void *arg);

/* A link of a circular doubly linked list whose head is a bare tmr_link. */
struct tmr_link {
	struct tmr_link *next, *prev;
};

struct tmr {
	struct tmr_link link;	/* first: in a wheel slot (or the fake list) while armed */
	struct tmr_clock *clk;
	tmr_cb *cb;
	void *arg;
	uint64_t due;		/* monotonic ms when it fires; 0: not armed */
};

/* base may be NULL only for the fake clock. 0, -ENOMEM, or -EINVAL (real clock, no base). */
int tmr_clock_new(struct tmr_clock **clkp, struct event_base *base);
void tmr_clock_free(struct tmr_clock *clk);
/* Monotonic milliseconds. */
uint64_t tmr_now(const struct tmr_clock *clk);
/* Monotonic microseconds, for measuring (round-trip times); the same clock. */
uint64_t tmr_now_us(const struct tmr_clock *clk);

/*
 * Only for a new or closed timer.  The callback runs with the timer already
 * disarmed and it is not touched afterwards: a callback may re-arm, stop or
 * close any timer, or free the object that holds its own.  Close every
 * timer before tmr_clock_free() on the real clock.
 */
void tmr_init(struct tmr *t, struct tmr_clock *clk, tmr_cb *cb, void *arg);
/*
 * Arm (or re-arm) to fire once after ms milliseconds; always 0 (the int is
 * kept for callers written when it could fail).  Timers due in the same
 * millisecond fire in the order they were armed.  On the real clock, one
 * armed with 0 ms from inside a timer callback fires on the next pass of
 * the loop, not in the pass that is running (the fake clock fires it within
 * the same tmr_fake_advance()).
 */
int tmr_start(struct tmr *t, uint64_t ms);
void tmr_stop(struct tmr *t);
bool tmr_armed(const struct tmr *t);
/* Milliseconds until it fires; 0 if not armed or overdue. */
uint64_t tmr_remaining(const struct tmr *t);
/* Stop; nothing else to release.  Safe on a zeroed tmr. */
void tmr_close(struct tmr *t);

/* Fake clock only (tests/unit/fake_tmr.c). */
void tmr_fake_advance(struct tmr_clock *clk, uint64_t ms);
/* Number of armed timers on the fake clock. */
unsigned tmr_fake_armed(const struct tmr_clock *clk);

#endif
