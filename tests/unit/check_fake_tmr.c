/*
 * check_fake_tmr: the fake clock of tests/unit/fake_tmr.c, which every other
 * timer test trusts: firing order, ties, time seen by callbacks, and
 * callbacks that arm, re-arm, stop or close timers during an advance.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/tmr.h"

#include "check_run.h"

#define MAX_FIRES 64

struct fixture {
	struct tmr_clock *clk;
	uint64_t t0;
	int fired[MAX_FIRES];	/* ids in firing order */
	uint64_t at[MAX_FIRES]; /* tmr_now() - t0 seen by each callback */
	int nfired;
};

struct ft {
	struct tmr t;
	struct fixture *f;
	int id;
	int rearm_left; /* re-arm itself this many more times */
	uint64_t rearm_ms;
	struct ft *stop; /* timer to stop when fired */
	struct ft *arm;	 /* timer to arm when fired ... */
	uint64_t arm_ms; /* ... after this many ms */
	bool close_self;
};

static struct fixture fx;

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	ck_assert_int_eq(tmr_clock_new(&fx.clk, NULL), 0);
	fx.t0 = tmr_now(fx.clk);
}

static void teardown(void)
{
	tmr_clock_free(fx.clk);
}

static void ft_cb(void *arg)
{
	struct ft *x = arg;
	struct fixture *f = x->f;

	ck_assert(!tmr_armed(&x->t));
	ck_assert_int_lt(f->nfired, MAX_FIRES);
	f->fired[f->nfired] = x->id;
	f->at[f->nfired] = tmr_now(f->clk) - f->t0;
	f->nfired++;
	if (x->stop)
		tmr_stop(&x->stop->t);
	if (x->arm)
		ck_assert_int_eq(tmr_start(&x->arm->t, x->arm_ms), 0);
	if (x->rearm_left > 0) {
		x->rearm_left--;
		ck_assert_int_eq(tmr_start(&x->t, x->rearm_ms), 0);
	}
	if (x->close_self)
		tmr_close(&x->t);
}

static void ft_init(struct ft *x, int id)
{
	memset(x, 0, sizeof(*x));
	x->f = &fx;
	x->id = id;
	tmr_init(&x->t, fx.clk, ft_cb, x);
}

static void expect(const int *ids, const uint64_t *at, int n)
{
	ck_assert_int_eq(fx.nfired, n);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(fx.fired[i], ids[i]);
		ck_assert_uint_eq(fx.at[i], at[i]);
	}
}

START_TEST(test_start_state)
{
	struct ft a;
	struct tmr zero;

	ck_assert_uint_ne(fx.t0, 0);
	ft_init(&a, 1);
	ck_assert(!tmr_armed(&a.t));
	ck_assert_uint_eq(tmr_remaining(&a.t), 0);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 0);
	tmr_fake_advance(fx.clk, 1000);
	ck_assert_uint_eq(tmr_now(fx.clk), fx.t0 + 1000);
	memset(&zero, 0, sizeof(zero));
	tmr_close(&zero);
	tmr_close(&a.t);
	tmr_stop(&a.t);
}
END_TEST

START_TEST(test_order)
{
	struct ft a, b, c;
	static const int ids[] = {2, 3, 1};
	static const uint64_t at[] = {10, 20, 30};

	ft_init(&a, 1);
	ft_init(&b, 2);
	ft_init(&c, 3);
	ck_assert_int_eq(tmr_start(&a.t, 30), 0);
	ck_assert_int_eq(tmr_start(&b.t, 10), 0);
	ck_assert_int_eq(tmr_start(&c.t, 20), 0);
	ck_assert_uint_eq(tmr_remaining(&a.t), 30);
	tmr_fake_advance(fx.clk, 100);
	expect(ids, at, 3);
	ck_assert_uint_eq(tmr_now(fx.clk) - fx.t0, 100);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 0);
}
END_TEST

/* Equal deadlines fire in arming order; re-arming moves a timer to the back. */
START_TEST(test_ties)
{
	struct ft a, b, c;
	static const int ids[] = {1, 3, 2};
	static const uint64_t at[] = {10, 10, 10};

	ft_init(&a, 1);
	ft_init(&b, 2);
	ft_init(&c, 3);
	tmr_start(&a.t, 10);
	tmr_start(&b.t, 10);
	tmr_start(&c.t, 10);
	tmr_start(&b.t, 10);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 3);
	tmr_fake_advance(fx.clk, 10);
	expect(ids, at, 3);
}
END_TEST

START_TEST(test_rearm_moves)
{
	struct ft a;
	static const int ids[] = {1};
	static const uint64_t at[] = {25};

	ft_init(&a, 1);
	tmr_start(&a.t, 10);
	tmr_fake_advance(fx.clk, 5);
	tmr_start(&a.t, 20);
	ck_assert_uint_eq(tmr_remaining(&a.t), 20);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 1);
	tmr_fake_advance(fx.clk, 10);
	ck_assert_int_eq(fx.nfired, 0);
	tmr_fake_advance(fx.clk, 10);
	expect(ids, at, 1);
}
END_TEST

/* A callback re-arming itself fires again within the same advance. */
START_TEST(test_rearm_in_callback)
{
	struct ft a;
	static const int ids[] = {1, 1, 1, 1, 1};
	static const uint64_t at[] = {10, 20, 30, 40, 50};

	ft_init(&a, 1);
	a.rearm_left = 100;
	a.rearm_ms = 10;
	tmr_start(&a.t, 10);
	tmr_fake_advance(fx.clk, 55);
	expect(ids, at, 5);
	ck_assert(tmr_armed(&a.t));
	ck_assert_uint_eq(tmr_remaining(&a.t), 5);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 1);
	tmr_close(&a.t);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 0);
}
END_TEST

START_TEST(test_stop_other_in_callback)
{
	struct ft a, b, c;
	static const int ids[] = {1, 3};
	static const uint64_t at[] = {10, 30};

	ft_init(&a, 1);
	ft_init(&b, 2);
	ft_init(&c, 3);
	a.stop = &b;
	tmr_start(&a.t, 10);
	tmr_start(&b.t, 20);
	tmr_start(&c.t, 30);
	tmr_fake_advance(fx.clk, 100);
	expect(ids, at, 2);
	ck_assert(!tmr_armed(&b.t));
}
END_TEST

/* A callback arms a timer that falls due before the others still pending. */
START_TEST(test_arm_other_in_callback)
{
	struct ft a, b, c, d;
	static const int ids[] = {1, 3, 4, 2};
	static const uint64_t at[] = {10, 15, 15, 20};

	ft_init(&a, 1);
	ft_init(&b, 2);
	ft_init(&c, 3);
	ft_init(&d, 4);
	a.arm = &c;
	a.arm_ms = 5;
	c.arm = &d;
	c.arm_ms = 0;
	tmr_start(&a.t, 10);
	tmr_start(&b.t, 20);
	tmr_fake_advance(fx.clk, 20);
	expect(ids, at, 4);
}
END_TEST

/* Armed beyond the target: armed, not fired, and keeps its deadline. */
START_TEST(test_arm_beyond_target)
{
	struct ft a, b;
	static const int ids[] = {1, 2};
	static const uint64_t at[] = {10, 60};

	ft_init(&a, 1);
	ft_init(&b, 2);
	a.arm = &b;
	a.arm_ms = 50;
	tmr_start(&a.t, 10);
	tmr_fake_advance(fx.clk, 30);
	ck_assert_int_eq(fx.nfired, 1);
	ck_assert_uint_eq(tmr_remaining(&b.t), 30);
	tmr_fake_advance(fx.clk, 30);
	expect(ids, at, 2);
}
END_TEST

START_TEST(test_small_steps)
{
	struct ft a;
	static const int ids[] = {1};
	static const uint64_t at[] = {100};

	ft_init(&a, 1);
	tmr_start(&a.t, 100);
	for (int i = 1; i < 100; i++) {
		tmr_fake_advance(fx.clk, 1);
		ck_assert_int_eq(fx.nfired, 0);
		ck_assert_uint_eq(tmr_remaining(&a.t), 100 - (uint64_t)i);
	}
	tmr_fake_advance(fx.clk, 1);
	expect(ids, at, 1);
	tmr_fake_advance(fx.clk, 0);
	ck_assert_int_eq(fx.nfired, 1);
}
END_TEST

/* One large step (Timer B = 64 * T1 = 32 s) fires everything in order. */
START_TEST(test_large_step)
{
	struct ft x[8];
	static const uint64_t ms[8] = {32000, 500, 4000, 1000, 2000, 5000, 16000, 0};
	static const int ids[] = {7, 1, 3, 4, 2, 5, 6, 0};
	static const uint64_t at[] = {0, 500, 1000, 2000, 4000, 5000, 16000, 32000};

	for (int i = 0; i < 8; i++) {
		ft_init(&x[i], i);
		tmr_start(&x[i].t, ms[i]);
	}
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 8);
	tmr_fake_advance(fx.clk, 64 * 500);
	expect(ids, at, 8);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 0);
}
END_TEST

START_TEST(test_armed_count)
{
	struct ft a, b, c;

	ft_init(&a, 1);
	ft_init(&b, 2);
	ft_init(&c, 3);
	tmr_start(&a.t, 10);
	tmr_start(&b.t, 20);
	tmr_start(&c.t, 30);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 3);
	tmr_start(&b.t, 40);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 3);
	tmr_stop(&c.t);
	tmr_stop(&c.t);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 2);
	tmr_fake_advance(fx.clk, 10);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 1);
	tmr_close(&b.t);
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 0);
}
END_TEST

static void free_self_cb(void *arg)
{
	struct ft *x = arg;

	x->f->nfired++;
	tmr_close(&x->t);
	free(x);
}

/* An object may close its timer and free itself inside the callback. */
START_TEST(test_free_in_callback)
{
	struct ft *x = calloc(1, sizeof(*x));
	struct ft b;

	ck_assert_ptr_nonnull(x);
	x->f = &fx;
	tmr_init(&x->t, fx.clk, free_self_cb, x);
	ft_init(&b, 2);
	tmr_start(&x->t, 5);
	tmr_start(&b.t, 5);
	tmr_fake_advance(fx.clk, 10);
	ck_assert_int_eq(fx.nfired, 2);
	ck_assert_int_eq(fx.fired[1], 2);
}
END_TEST

START_TEST(test_close_self_in_callback)
{
	struct ft a;

	ft_init(&a, 1);
	a.rearm_left = 1;
	a.rearm_ms = 5;
	a.close_self = true;
	tmr_start(&a.t, 5);
	tmr_fake_advance(fx.clk, 100);
	ck_assert_int_eq(fx.nfired, 1);
	ck_assert(!tmr_armed(&a.t));
	ck_assert_uint_eq(tmr_fake_armed(fx.clk), 0);
}
END_TEST

/* Freeing the clock disarms what is left, so closing later is safe. */
START_TEST(test_clock_free_armed)
{
	struct tmr_clock *clk;
	struct tmr t;

	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	tmr_init(&t, clk, ft_cb, NULL);
	tmr_start(&t, 10);
	tmr_clock_free(clk);
	ck_assert(!tmr_armed(&t));
	tmr_close(&t);
	tmr_clock_free(NULL);
}
END_TEST

static Suite *fake_tmr_suite(void)
{
	Suite *s = suite_create("fake_tmr");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_start_state);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_ties);
	tcase_add_test(tc, test_rearm_moves);
	tcase_add_test(tc, test_rearm_in_callback);
	tcase_add_test(tc, test_stop_other_in_callback);
	tcase_add_test(tc, test_arm_other_in_callback);
	tcase_add_test(tc, test_arm_beyond_target);
	tcase_add_test(tc, test_small_steps);
	tcase_add_test(tc, test_large_step);
	tcase_add_test(tc, test_armed_count);
	tcase_add_test(tc, test_free_in_callback);
	tcase_add_test(tc, test_close_self_in_callback);
	tcase_add_test(tc, test_clock_free_armed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(fake_tmr_suite());
}
