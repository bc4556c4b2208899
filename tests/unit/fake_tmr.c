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
	struct tmr_link armed; /* circular, sorted by due, then arming order */
	unsigned narmed;
};

static struct tmr *fake_first(struct tmr_clock *clk)
{
	return clk->armed.next == &clk->armed ? NULL : (struct tmr *)clk->armed.next;
}

int tmr_clock_new(struct tmr_clock **clkp, struct event_base *base)
{
	struct tmr_clock *clk = calloc(1, sizeof(*clk));

	if (!clk)
		return -ENOMEM;
	clk->now = FAKE_TMR_EPOCH;
	clk->armed.next = clk->armed.prev = &clk->armed;
	*clkp = clk;
	return 0;
}

/* Timers still armed are disarmed, so a later tmr_close() on them is safe. */
void tmr_clock_free(struct tmr_clock *clk)
{
	struct tmr_link *l, *next;

	if (!clk)
		return;
	for (l = clk->armed.next; l != &clk->armed; l = next) {
		next = l->next;
		l->next = l->prev = NULL;
		((struct tmr *)l)->due = 0;
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
	t->link.next = t->link.prev = NULL;
	t->clk = clk;
	t->cb = cb;
	t->arg = arg;
	t->due = 0;
}

static void fake_unlink(struct tmr *t)
{
	t->link.prev->next = t->link.next;
	t->link.next->prev = t->link.prev;
	t->link.next = t->link.prev = NULL;
	t->clk->narmed--;
}

/*
 * After every timer with due <= t->due, so equal deadlines fire in arming
 * order; searched from the tail, where the latest deadlines are.
 */
static void fake_link(struct tmr *t)
{
	struct tmr_link *h = &t->clk->armed, *p = h->prev;

	while (p != h && ((struct tmr *)p)->due > t->due)
		p = p->prev;
	t->link.prev = p;
	t->link.next = p->next;
	p->next->prev = &t->link;
	p->next = &t->link;
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
}

void tmr_fake_advance(struct tmr_clock *clk, uint64_t ms)
{
	uint64_t target = ms > UINT64_MAX - clk->now ? UINT64_MAX : clk->now + ms;
	struct tmr *t;

	while ((t = fake_first(clk)) && t->due <= target) {
		fake_unlink(t);
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
