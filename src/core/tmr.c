/*
 * tmr: one-shot timers on the real clock, one libevent timer each.
 *
 * Owns the clock (the daemon's event_base and CLOCK_MONOTONIC in ms) and,
 * per struct tmr, the libevent timer made on its first tmr_start().  libevent
 * keeps timers in a min-heap, so arming and firing cost O(log n) however
 * many transactions are running.  Re-arming a pending timer moves its
 * deadline (evtimer_add() on a pending event reschedules it).
 *
 * The callback runs with the timer already disarmed (due == 0), so it may
 * re-arm it, close it, or free the object that holds it; nothing touches the
 * timer after the callback returns.  The unit tests link
 * tests/unit/fake_tmr.c in place of this file.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "core/tmr.h"

struct tmr_clock {
	struct event_base *base; /* not owned */
};

/* The real clock needs a base; only the fake clock accepts NULL. */
int tmr_clock_new(struct tmr_clock **clkp, struct event_base *base)
{
	struct tmr_clock *clk;

	if (!base)
		return -EINVAL;
	clk = calloc(1, sizeof(*clk));
	if (!clk)
		return -ENOMEM;
	clk->base = base;
	*clkp = clk;
	return 0;
}

/* Timers must be closed first; their events belong to the base, not to clk. */
void tmr_clock_free(struct tmr_clock *clk)
{
	free(clk);
}

uint64_t tmr_now(const struct tmr_clock *clk)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t tmr_now_us(const struct tmr_clock *clk)
{
	struct timespec ts;

	(void)clk;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
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

static void tmr_fire(evutil_socket_t fd, short what, void *arg)
{
	struct tmr *t = arg;

	t->due = 0;
	t->cb(t->arg);
}

int tmr_start(struct tmr *t, uint64_t ms)
{
	struct timeval tv;
	uint64_t now = tmr_now(t->clk);

	if (!t->ev) {
		t->ev = evtimer_new(t->clk->base, tmr_fire, t);
		if (!t->ev)
			return -ENOMEM;
	}
	/* Cap at about 68 years so tv_sec fits any time_t. */
	if (ms > (uint64_t)INT32_MAX * 1000)
		ms = (uint64_t)INT32_MAX * 1000;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (evtimer_add(t->ev, &tv) < 0)
		return -ENOMEM;
	t->due = now + ms ? now + ms : 1;
	return 0;
}

void tmr_stop(struct tmr *t)
{
	if (t->ev)
		evtimer_del(t->ev);
	t->due = 0;
}

bool tmr_armed(const struct tmr *t)
{
	return t->due != 0;
}

uint64_t tmr_remaining(const struct tmr *t)
{
	uint64_t now;

	if (!t->due)
		return 0;
	now = tmr_now(t->clk);
	return t->due > now ? t->due - now : 0;
}

void tmr_close(struct tmr *t)
{
	tmr_stop(t);
	if (t->ev)
		event_free(t->ev);
	t->ev = NULL;
}
