/*
 * check_tmr: the real clock of src/core/tmr.c (the timing wheel of
 * tmr_wheel.c behind one libevent timer) on a real event_base.
 *
 * Deadlines are a few milliseconds and nothing asserts elapsed wall-clock
 * time, only order and counts.  Each test arms a safety timer (2 s) that
 * breaks the loop and fails the test, so a bug cannot hang it; the test
 * deletes the safety timer once everything it expects has fired, and then
 * event_base_dispatch() returns only when no event is left pending, which
 * also proves that stopped timers really left the base.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/tmr.h"

#include "check_run.h"

#define MAX_FIRES 32

static struct {
	struct event_base *base;
	struct tmr_clock *clk;
	struct event *safety;
	bool timed_out;
	int fired[MAX_FIRES];
	int nfired;
	int expect; /* delete the safety timer after this many fires */
} fx;

struct rt {
	struct tmr t;
	int id;
	int rearm_left;
	struct rt *stop;
};

static void safety_cb(evutil_socket_t fd, short what, void *arg)
{
	fx.timed_out = true;
	event_base_loopbreak(fx.base);
}

static void setup(void)
{
	struct timeval tv = {2, 0};

	memset(&fx, 0, sizeof(fx));
	fx.base = event_base_new();
	ck_assert_ptr_nonnull(fx.base);
	ck_assert_int_eq(tmr_clock_new(&fx.clk, fx.base), 0);
	fx.safety = evtimer_new(fx.base, safety_cb, NULL);
	ck_assert_ptr_nonnull(fx.safety);
	evtimer_add(fx.safety, &tv);
}

static void teardown(void)
{
	event_free(fx.safety);
	tmr_clock_free(fx.clk);
	event_base_free(fx.base);
}

static void run(int expect)
{
	int rc;

	fx.expect = expect;
	rc = event_base_dispatch(fx.base);
	ck_assert_msg(!fx.timed_out, "timed out after %d fires", fx.nfired);
	/* 1: the loop ended because no event was left pending. */
	ck_assert_int_eq(rc, 1);
}

static void record(int id)
{
	ck_assert_int_lt(fx.nfired, MAX_FIRES);
	fx.fired[fx.nfired++] = id;
	if (fx.nfired == fx.expect)
		evtimer_del(fx.safety);
}

static void rt_cb(void *arg)
{
	struct rt *x = arg;

	ck_assert(!tmr_armed(&x->t));
	record(x->id);
	if (x->stop)
		tmr_stop(&x->stop->t);
	if (x->rearm_left > 0) {
		x->rearm_left--;
		ck_assert_int_eq(tmr_start(&x->t, 1), 0);
		ck_assert(tmr_armed(&x->t));
	}
}

static void rt_init(struct rt *x, int id)
{
	memset(x, 0, sizeof(*x));
	x->id = id;
	tmr_init(&x->t, fx.clk, rt_cb, x);
}

static void expect_order(const int *ids, int n)
{
	ck_assert_int_eq(fx.nfired, n);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(fx.fired[i], ids[i]);
}

START_TEST(test_order)
{
	struct rt a, b, c;
	static const int ids[] = {2, 3, 1};

	rt_init(&a, 1);
	rt_init(&b, 2);
	rt_init(&c, 3);
	ck_assert_int_eq(tmr_start(&a.t, 15), 0);
	ck_assert_int_eq(tmr_start(&b.t, 5), 0);
	ck_assert_int_eq(tmr_start(&c.t, 10), 0);
	ck_assert(tmr_armed(&a.t));
	run(3);
	expect_order(ids, 3);
	ck_assert(!tmr_armed(&a.t) && !tmr_armed(&b.t) && !tmr_armed(&c.t));
	tmr_close(&a.t);
	tmr_close(&b.t);
	tmr_close(&c.t);
}
END_TEST

START_TEST(test_stop)
{
	struct rt a, b;
	static const int ids[] = {2};

	rt_init(&a, 1);
	rt_init(&b, 2);
	ck_assert_int_eq(tmr_start(&a.t, 5), 0);
	ck_assert_int_eq(tmr_start(&b.t, 20), 0);
	tmr_stop(&a.t);
	ck_assert(!tmr_armed(&a.t));
	ck_assert_uint_eq(tmr_remaining(&a.t), 0);
	run(1);
	expect_order(ids, 1);
	tmr_close(&a.t);
	tmr_close(&b.t);
}
END_TEST

/* A stopped timer can be armed again. */
START_TEST(test_stop_restart)
{
	struct rt a;
	static const int ids[] = {1};

	rt_init(&a, 1);
	ck_assert_int_eq(tmr_start(&a.t, 1), 0);
	tmr_stop(&a.t);
	ck_assert_int_eq(tmr_start(&a.t, 2), 0);
	run(1);
	expect_order(ids, 1);
	tmr_close(&a.t);
}
END_TEST

START_TEST(test_stop_in_callback)
{
	struct rt a, b, c;
	static const int ids[] = {1, 3};

	rt_init(&a, 1);
	rt_init(&b, 2);
	rt_init(&c, 3);
	a.stop = &b;
	ck_assert_int_eq(tmr_start(&a.t, 1), 0);
	ck_assert_int_eq(tmr_start(&b.t, 10), 0);
	ck_assert_int_eq(tmr_start(&c.t, 20), 0);
	run(2);
	expect_order(ids, 2);
	tmr_close(&a.t);
	tmr_close(&b.t);
	tmr_close(&c.t);
}
END_TEST

/* Re-arming replaces the deadline: a fires once, after b. */
START_TEST(test_rearm_moves)
{
	struct rt a, b;
	static const int ids[] = {2, 1};

	rt_init(&a, 1);
	rt_init(&b, 2);
	ck_assert_int_eq(tmr_start(&a.t, 1), 0);
	ck_assert_int_eq(tmr_start(&a.t, 20), 0);
	ck_assert_int_eq(tmr_start(&b.t, 5), 0);
	run(2);
	expect_order(ids, 2);
	tmr_close(&a.t);
	tmr_close(&b.t);
}
END_TEST

START_TEST(test_rearm_self)
{
	struct rt a;
	static const int ids[] = {1, 1, 1, 1};

	rt_init(&a, 1);
	a.rearm_left = 3;
	ck_assert_int_eq(tmr_start(&a.t, 1), 0);
	run(4);
	expect_order(ids, 4);
	ck_assert(!tmr_armed(&a.t));
	tmr_close(&a.t);
}
END_TEST

START_TEST(test_remaining)
{
	struct rt a;
	uint64_t left;

	rt_init(&a, 1);
	ck_assert_uint_eq(tmr_remaining(&a.t), 0);
	ck_assert_int_eq(tmr_start(&a.t, 100000), 0);
	left = tmr_remaining(&a.t);
	ck_assert_uint_gt(left, 0);
	ck_assert_uint_le(left, 100000);
	ck_assert_uint_gt(tmr_now(fx.clk), 0);
	tmr_close(&a.t);
	ck_assert(!tmr_armed(&a.t));
	ck_assert_ptr_null(a.t.link.next);
	/* Closing again, or a zeroed timer, is harmless. */
	tmr_close(&a.t);
	evtimer_del(fx.safety);
}
END_TEST

static void free_cb(void *arg)
{
	struct rt *x = arg;

	record(x->id);
	tmr_close(&x->t);
	free(x);
}

/* An object may close its timer and free itself inside the callback. */
START_TEST(test_free_in_callback)
{
	struct rt *x = calloc(1, sizeof(*x));
	struct tmr zero;

	ck_assert_ptr_nonnull(x);
	x->id = 7;
	tmr_init(&x->t, fx.clk, free_cb, x);
	ck_assert_int_eq(tmr_start(&x->t, 1), 0);
	run(1);
	ck_assert_int_eq(fx.fired[0], 7);
	memset(&zero, 0, sizeof(zero));
	tmr_close(&zero);
}
END_TEST

/* Microseconds and milliseconds read the same monotonic clock. */
START_TEST(test_now_us)
{
	struct event_base *base = event_base_new();
	struct tmr_clock *clk = NULL;
	uint64_t ms, us, ms2;

	ck_assert_int_eq(tmr_clock_new(&clk, base), 0);
	ms = tmr_now(clk);
	us = tmr_now_us(clk);
	ms2 = tmr_now(clk);
	ck_assert_uint_ge(us / 1000, ms);
	ck_assert_uint_le(us / 1000, ms2);
	ck_assert_uint_ge(tmr_now_us(clk), us);
	tmr_clock_free(clk);
	event_base_free(base);
}
END_TEST

START_TEST(test_clock_needs_base)
{
	struct tmr_clock *clk = NULL;

	ck_assert_int_eq(tmr_clock_new(&clk, NULL), -EINVAL);
	ck_assert_ptr_null(clk);
	tmr_clock_free(NULL);
	evtimer_del(fx.safety);
}
END_TEST


/*
 * A callback that re-arms itself with 0 ms fires once per loop iteration,
 * not again and again in the pass that runs it (which would starve I/O).
 */
START_TEST(test_zero_ms_rearm_once_per_pass)
{
	struct rt a;

	rt_init(&a, 1);
	a.rearm_left = 1000000;
	ck_assert_int_eq(tmr_start(&a.t, 0), 0);
	for (int i = 1; i <= 5; i++) {
		ck_assert_int_eq(event_base_loop(fx.base, EVLOOP_ONCE), 0);
		ck_assert_int_eq(fx.nfired, i);
		ck_assert(tmr_armed(&a.t));
	}
	tmr_close(&a.t);
	evtimer_del(fx.safety);
	/* Nothing armed: the clock left no event in the base. */
	ck_assert_int_eq(event_base_dispatch(fx.base), 1);
}
END_TEST

/* Stopping the last armed timer takes the clock's event out of the base. */
START_TEST(test_idle_leaves_base)
{
	struct rt a, b;

	rt_init(&a, 1);
	rt_init(&b, 2);
	ck_assert_int_eq(tmr_start(&a.t, 3600000), 0);
	ck_assert_int_eq(tmr_start(&b.t, 1), 0);
	tmr_stop(&b.t);
	tmr_stop(&a.t);
	evtimer_del(fx.safety);
	ck_assert_int_eq(event_base_dispatch(fx.base), 1);
	ck_assert_int_eq(fx.nfired, 0);
}
END_TEST

#define NMANY 20000

static struct {
	struct tmr t[NMANY];
	uint64_t due[NMANY];
	int order[NMANY];
	int n;
} many;

static void many_cb(void *arg)
{
	int i = (int)((struct tmr *)arg - many.t);

	ck_assert(!tmr_armed(&many.t[i]));
	many.order[many.n++] = i;
	if (many.n == NMANY)
		evtimer_del(fx.safety);
}

/* Many timers, due within a few ms: all fire once, in due order, ties in arming order. */
START_TEST(test_many_in_order)
{
	uint64_t now;

	many.n = 0;
	for (int i = 0; i < NMANY; i++) {
		tmr_init(&many.t[i], fx.clk, many_cb, &many.t[i]);
		now = tmr_now(fx.clk);
		ck_assert_int_eq(tmr_start(&many.t[i], (uint64_t)(i * 7) % 5), 0);
		/* the same sum tmr_start() made, or one ms later */
		ck_assert_uint_ge(many.t[i].due, now + (uint64_t)(i * 7) % 5);
		many.due[i] = many.t[i].due;
	}
	ck_assert_int_eq(event_base_dispatch(fx.base), 1);
	ck_assert(!fx.timed_out);
	ck_assert_int_eq(many.n, NMANY);
	for (int k = 1; k < NMANY; k++) {
		int a = many.order[k - 1], b = many.order[k];

		ck_assert(many.due[a] < many.due[b] || (many.due[a] == many.due[b] && a < b));
	}
}
END_TEST

static Suite *tmr_suite(void)
{
	Suite *s = suite_create("tmr");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_stop_restart);
	tcase_add_test(tc, test_stop_in_callback);
	tcase_add_test(tc, test_rearm_moves);
	tcase_add_test(tc, test_rearm_self);
	tcase_add_test(tc, test_remaining);
	tcase_add_test(tc, test_free_in_callback);
	tcase_add_test(tc, test_clock_needs_base);
	tcase_add_test(tc, test_now_us);
	tcase_add_test(tc, test_zero_ms_rearm_once_per_pass);
	tcase_add_test(tc, test_idle_leaves_base);
	tcase_add_test(tc, test_many_in_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(tmr_suite());
}
