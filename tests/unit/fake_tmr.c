/*
 * fake_tmr: the tmr_* clock for unit tests, linked in place of src/core/tmr.c.
 *
 * Owns a virtual millisecond clock and the list of armed timers, sorted by
 * due time (ties in arming order).  Time only moves when a test calls
 * tmr_fake_advance(), which fires every timer that falls due, one at a time
 * and in order, with tmr_now() equal to that timer's due time while its
 * callback runs.  So RFC 3261 timers (Timer B = 64*T1 = 32 s) run in
 * microseconds and every test is deterministic.
 *
 * Callbacks may arm, re-arm, stop or close any timer, themselves included,
 * and may free the object that holds their own timer: a timer is unlinked
 * and disarmed before its callback runs, and the advance loop re-reads the
 * head of the list after every callback.
 *
 * The clock starts at FAKE_TMR_EPOCH, not 0, so that due == 0 can mean "not
 * armed".  The event_base is ignored and may be NULL.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/tmr.h"

#define FAKE_TMR_EPOCH 1000000

struct tmr_clock {
	uint64_t now;
	struct tmr *armed; /* sorted by due, then arming order */
	unsigned narmed;
};

int tmr_clock_new(struct tmr_clock **clkp, struct event_base *base)
{
	struct tmr_clock *clk = calloc(1, sizeof(*clk));

	if (!clk)
		return -ENOMEM;
	clk->now = FAKE_TMR_EPOCH;
	*clkp = clk;
	return 0;
}

/* Timers still armed are disarmed, so a later tmr_close() on them is safe. */
void tmr_clock_free(struct tmr_clock *clk)
{
	struct tmr *t, *next;

	if (!clk)
		return;
	for (t = clk->armed; t; t = next) {
		next = t->next;
		t->next = NULL;
		t->due = 0;
	}
	free(clk);
}

uint64_t tmr_now(const struct tmr_clock *clk)
{
	return clk->now;
}

uint64_t tmr_now_us(const struct tmr_clock *clk)
{
	return tmr_now(clk) * 1000;
}

void tmr_init(struct tmr *t, struct tmr_clock *clk, tmr_cb *cb, void *arg)
{
	t->clk = clk;
	t->cb = cb;
	t->arg = arg;
	t->due = 0;
	t->ev = NULL;
	t->next = NULL;
}

static void fake_unlink(struct tmr *t)
{
	struct tmr **pp;

	for (pp = &t->clk->armed; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			t->next = NULL;
			t->clk->narmed--;
			return;
		}
	}
}

/* After every timer with due <= t->due, so equal deadlines fire in arming order. */
static void fake_link(struct tmr *t)
{
	struct tmr **pp = &t->clk->armed;

	while (*pp && (*pp)->due <= t->due)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->clk->narmed++;
}

int tmr_start(struct tmr *t, uint64_t ms)
{
	struct tmr_clock *clk = t->clk;

	if (t->due)
		fake_unlink(t);
	t->due = ms > UINT64_MAX - clk->now ? UINT64_MAX : clk->now + ms;
	fake_link(t);
	return 0;
}

void tmr_stop(struct tmr *t)
{
	if (!t->due)
		return;
	fake_unlink(t);
	t->due = 0;
}

bool tmr_armed(const struct tmr *t)
{
	return t->due != 0;
}

uint64_t tmr_remaining(const struct tmr *t)
{
	if (!t->due || t->due <= t->clk->now)
		return 0;
	return t->due - t->clk->now;
}

void tmr_close(struct tmr *t)
{
	tmr_stop(t);
	t->ev = NULL;
}

void tmr_fake_advance(struct tmr_clock *clk, uint64_t ms)
{
	uint64_t target = ms > UINT64_MAX - clk->now ? UINT64_MAX : clk->now + ms;
	struct tmr *t;

	while ((t = clk->armed) && t->due <= target) {
		clk->armed = t->next;
		clk->narmed--;
		t->next = NULL;
		if (t->due > clk->now)
			clk->now = t->due;
		t->due = 0;
		t->cb(t->arg);
	}
	clk->now = target;
}

unsigned tmr_fake_armed(const struct tmr_clock *clk)
{
	return clk->narmed;
}
