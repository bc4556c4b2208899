/*
 * tmr: one-shot timers on the real clock, all on one timing wheel.
 *
 * Owns the clock: the daemon's event_base (not owned), CLOCK_MONOTONIC in
 * ms, the wheel (src/core/tmr_wheel.c: layout, ordering and cost) and the
 * ONE libevent timer that drives it.  A struct tmr is only linked into the
 * wheel, so arming and stopping are O(1) and allocate nothing; before the
 * wheel each timer was a libevent event of its own (a malloc of ~140 B kept
 * until tmr_close, and a min-heap: O(log n)).
 *
 * The libevent timer is armed for the wheel's next deadline and only when
 * something is armed: an idle daemon does not wake up.  Stopping a timer
 * leaves it as is (most stops are of the transaction timers that a
 * response made useless; re-arming on each would cost more than the rare
 * early wake-up, which finds nothing due and re-arms); stopping the last
 * one deletes it.  Starting a timer re-arms it only when the new deadline
 * is earlier.  While the wheel fires timers it is not touched at all: the
 * pass re-arms it once, at its end.
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
#include "core/tmr_wheel.h"

struct tmr_clock {
	struct event_base *base; /* not owned */
	struct event *ev;	 /* the one timer that drives the wheel */
	uint64_t ev_due;	 /* ms ev is armed for; UINT64_MAX: not pending */
	bool in_run;		 /* the wheel is firing: leave ev alone */
	struct tmr_wheel w;
};

static void clock_fire(evutil_socket_t fd, short what, void *arg);

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
	clk->ev = evtimer_new(base, clock_fire, clk);
	if (!clk->ev) {
		free(clk);
		return -ENOMEM;
	}
	clk->ev_due = UINT64_MAX;
	tmr_wheel_init(&clk->w, tmr_now(clk));
	*clkp = clk;
	return 0;
}

/* Timers should be closed first; any still armed are disarmed. */
void tmr_clock_free(struct tmr_clock *clk)
{
	if (!clk)
		return;
	tmr_wheel_clear(&clk->w);
	event_free(clk->ev);
	free(clk);
}

uint64_t tmr_now(const struct tmr_clock *clk)
{
	struct timespec ts;

	(void)clk;
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

/* Arm ev for the wheel's next deadline, or delete it when nothing is armed. */
static void clock_rearm(struct tmr_clock *clk)
{
	uint64_t next = tmr_wheel_next(&clk->w);
	uint64_t now, ms;
	struct timeval tv;

	if (next == clk->ev_due)
		return;
	if (next == UINT64_MAX) {
		evtimer_del(clk->ev);
		clk->ev_due = UINT64_MAX;
		return;
	}
	now = tmr_now(clk);
	ms = next > now ? next - now : 0;
	/* Cap at about 68 years so tv_sec fits any time_t. */
	if (ms > (uint64_t)INT32_MAX * 1000)
		ms = (uint64_t)INT32_MAX * 1000;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	/*
	 * libevent counts from the time cached at the start of this loop
	 * iteration: refresh it, or ev could fire before next.
	 */
	event_base_update_cache_time(clk->base);
	if (evtimer_add(clk->ev, &tv) < 0) {
		/* Only on a broken base; the next tmr_start() retries. */
		clk->ev_due = UINT64_MAX;
		return;
	}
	clk->ev_due = next;
}

static void clock_fire(evutil_socket_t fd, short what, void *arg)
{
	struct tmr_clock *clk = arg;

	(void)fd;
	(void)what;
	clk->ev_due = UINT64_MAX;
	clk->in_run = true;
	tmr_wheel_run(&clk->w, tmr_now(clk));
	clk->in_run = false;
	clock_rearm(clk);
}

void tmr_init(struct tmr *t, struct tmr_clock *clk, tmr_cb *cb, void *arg)
{
	t->link.next = t->link.prev = NULL;
	t->clk = clk;
	t->cb = cb;
	t->arg = arg;
	t->due = 0;
}

int tmr_start(struct tmr *t, uint64_t ms)
{
	struct tmr_clock *clk = t->clk;

	tmr_wheel_arm(&clk->w, t, tmr_now(clk), ms);
	if (!clk->in_run && t->due < clk->ev_due)
		clock_rearm(clk);
	return 0;
}

void tmr_stop(struct tmr *t)
{
	struct tmr_clock *clk = t->clk;

	if (!t->due)
		return;
	tmr_wheel_disarm(&clk->w, t);
	if (!clk->in_run && !clk->w.narmed)
		clock_rearm(clk);
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
}
