/*
 * check_tmr_wheel: the timing wheel of src/core/tmr_wheel.c on a virtual
 * clock, the same code the real clock (tmr.c) drives from libevent.
 *
 * Every timer records when (the run's "now") and in which order it fired.
 * Most tests move time the way the real clock does, from one
 * tmr_wheel_next() to the next, and check that each timer fires at exactly
 * its due ms, in due order, ties in arming order; others jump far ahead at
 * once (a loop that wakes late) and check the order of the batch.  A
 * randomised test compares the wheel with a plain model over many arms,
 * stops and runs, from ms to days.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/tmr_wheel.h"

#include "check_run.h"

#define T0 1000000 /* the wheel's clock at init */
#define MAX_FIRES 4096

struct wt {
	struct tmr t;
	int id;
	uint64_t seq; /* arming order */
	uint64_t due; /* copy of t.due at arming */
	int rearm_left;
	uint64_t rearm_ms;
	struct wt *stop; /* stop this one when fired */
	bool close_self;
};

static struct {
	struct tmr_wheel w;
	uint64_t now;
	uint64_t seq;
	int fired[MAX_FIRES];
	uint64_t at[MAX_FIRES];
	int nfired;
	bool strict; /* each timer must fire at exactly its due ms */
} fx;

/* tmr_armed() lives in tmr.c, which this test does not link. */
static bool armed(const struct tmr *t)
{
	return t->due != 0;
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.now = T0;
	tmr_wheel_init(&fx.w, fx.now);
}

static void arm(struct wt *x, uint64_t ms)
{
	tmr_wheel_arm(&fx.w, &x->t, fx.now, ms);
	x->seq = fx.seq++;
	x->due = x->t.due;
	ck_assert(armed(&x->t));
}

static void wt_cb(void *arg)
{
	struct wt *x = arg;

	ck_assert(!armed(&x->t));
	ck_assert_uint_ge(fx.now, x->due);
	if (fx.strict)
		ck_assert_uint_eq(fx.now, x->due);
	if (fx.nfired < MAX_FIRES) {
		fx.fired[fx.nfired] = x->id;
		fx.at[fx.nfired] = fx.now - T0;
	}
	fx.nfired++;
	if (x->stop)
		tmr_wheel_disarm(&fx.w, &x->stop->t);
	if (x->rearm_left > 0) {
		x->rearm_left--;
		arm(x, x->rearm_ms);
	}
	if (x->close_self)
		tmr_wheel_disarm(&fx.w, &x->t);
}

static void wt_init(struct wt *x, int id)
{
	memset(x, 0, sizeof(*x));
	x->id = id;
	x->t.cb = wt_cb;
	x->t.arg = x;
}

/* Move time the real clock's way: to each next deadline up to until. */
static void step_to(uint64_t until)
{
	uint64_t n;
	int guard = 0;

	while ((n = tmr_wheel_next(&fx.w)) <= until) {
		ck_assert_int_lt(guard++, 1000000);
		if (n > fx.now)
			fx.now = n;
		tmr_wheel_run(&fx.w, fx.now);
	}
	if (until > fx.now)
		fx.now = until;
	tmr_wheel_run(&fx.w, fx.now);
}

/* Jump: one run at until, like a loop that woke late. */
static size_t jump_to(uint64_t until)
{
	fx.now = until;
	return tmr_wheel_run(&fx.w, fx.now);
}

static void expect_ids(const int *ids, int n)
{
	ck_assert_int_eq(fx.nfired, n);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(fx.fired[i], ids[i]);
}

static void expect_empty(void)
{
	ck_assert_uint_eq(fx.w.narmed, 0);
	ck_assert_uint_eq(tmr_wheel_next(&fx.w), UINT64_MAX);
	for (unsigned i = 0; i < TMR_WHEEL_SLOTS / 64; i++)
		ck_assert_uint_eq(fx.w.map[i], 0);
}

START_TEST(test_order)
{
	struct wt x[6];
	static const uint64_t ms[] = {15, 5, 300, 10, 70000, 1};
	static const int ids[] = {5, 1, 3, 0, 2, 4};

	fx.strict = true;
	for (int i = 0; i < 6; i++) {
		wt_init(&x[i], i);
		arm(&x[i], ms[i]);
	}
	ck_assert_uint_eq(fx.w.narmed, 6);
	step_to(T0 + 100000);
	expect_ids(ids, 6);
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(fx.at[i], ms[ids[i]]);
	expect_empty();
}
END_TEST

/*
 * Same due ms, armed at different times so they sit at different levels
 * until the cascade: they still fire in arming order.
 */
START_TEST(test_same_ms_fifo)
{
	struct wt x[8];
	uint64_t due = T0 + 40000;
	static const int ids[] = {0, 1, 2, 3, 4, 5, 6, 7};

	fx.strict = true;
	for (int i = 0; i < 8; i++) {
		wt_init(&x[i], i);
		/* arm at now, then move time closer to due */
		arm(&x[i], due - fx.now);
		step_to(fx.now + (due - fx.now) / 2);
	}
	ck_assert_uint_eq(fx.w.narmed, 8);
	step_to(due);
	expect_ids(ids, 8);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(fx.at[i], 40000);
}
END_TEST

START_TEST(test_rearm_in_callback)
{
	struct wt a, b;
	static const int ids[] = {0, 1, 0, 0};

	wt_init(&a, 0);
	wt_init(&b, 1);
	a.rearm_left = 2;
	a.rearm_ms = 7;
	arm(&a, 5);
	arm(&b, 8);
	fx.strict = true;
	step_to(T0 + 1000);
	expect_ids(ids, 4);
	ck_assert_uint_eq(fx.at[0], 5);
	ck_assert_uint_eq(fx.at[1], 8);
	ck_assert_uint_eq(fx.at[2], 12);
	ck_assert_uint_eq(fx.at[3], 19);
	expect_empty();
}
END_TEST

/* A 0 ms re-arm inside a callback fires in the next run, not this one. */
START_TEST(test_zero_ms_next_run)
{
	struct wt a, b;

	wt_init(&a, 0);
	wt_init(&b, 1);
	a.rearm_left = 1000000; /* would livelock a naive wheel */
	a.rearm_ms = 0;
	arm(&a, 3);
	arm(&b, 3);
	ck_assert_uint_eq(jump_to(T0 + 3), 2);
	ck_assert(armed(&a.t));
	/* Due already: next says "now", and the next run fires it once. */
	ck_assert_uint_le(tmr_wheel_next(&fx.w), fx.now);
	ck_assert_uint_eq(tmr_wheel_run(&fx.w, fx.now), 1);
	ck_assert_uint_eq(tmr_wheel_run(&fx.w, fx.now + 1), 1);
	ck_assert_int_eq(fx.nfired, 4);
	a.rearm_left = 0;
	ck_assert_uint_eq(tmr_wheel_run(&fx.w, fx.now + 1), 1);
	expect_empty();
}
END_TEST

/* Stop or close other timers, and oneself, from a callback. */
START_TEST(test_stop_in_callback)
{
	struct wt a, b, c, d, e;
	static const int ids[] = {0, 2, 4};

	wt_init(&a, 0);
	wt_init(&b, 1);
	wt_init(&c, 2);
	wt_init(&d, 3);
	wt_init(&e, 4);
	/* a stops b, the next one due in the same ms (same run) */
	a.stop = &b;
	arm(&a, 10);
	arm(&b, 10);
	/* c stops d, due later in the same (late) run */
	c.stop = &d;
	c.close_self = true;
	arm(&c, 20);
	arm(&d, 25);
	arm(&e, 30);
	ck_assert_uint_eq(jump_to(T0 + 100), 3);
	expect_ids(ids, 3);
	ck_assert(!armed(&b.t) && !armed(&d.t));
	expect_empty();
}
END_TEST

struct selffree {
	struct tmr t;
	int *count;
};

static void selffree_cb(void *arg)
{
	struct selffree *s = arg;

	(*s->count)++;
	tmr_wheel_disarm(&fx.w, &s->t);
	free(s);
}

/* A callback may free the object holding its own timer. */
START_TEST(test_free_in_callback)
{
	int count = 0;

	for (int i = 0; i < 100; i++) {
		struct selffree *s = calloc(1, sizeof(*s));

		ck_assert_ptr_nonnull(s);
		s->count = &count;
		s->t.cb = selffree_cb;
		s->t.arg = s;
		tmr_wheel_arm(&fx.w, &s->t, fx.now, (uint64_t)(i % 7) * 100);
	}
	step_to(T0 + 10000);
	ck_assert_int_eq(count, 100);
	expect_empty();
}
END_TEST

/* Each level's edges: every timer fires at exactly its due ms. */
START_TEST(test_cascade_edges)
{
	static const uint64_t ms[] = {
	    0,
	    1,
	    254,
	    255,
	    256,
	    257,
	    511,
	    512,
	    16383,
	    16384,
	    16385,
	    32000,
	    32768,
	    (1 << 20) - 1,
	    1 << 20,
	    (1 << 20) + 1,
	    3600000,
	    (1 << 26) - 1,
	    1 << 26,
	    (1 << 26) + 1,
	    86400000,
	    7 * 86400000ULL,
	    ((uint64_t)1 << 32) - 1,
	    (uint64_t)1 << 32,
	    ((uint64_t)1 << 32) + 1,
	    100 * 86400000ULL,
	}; /* in increasing order */
	enum { N = sizeof(ms) / sizeof(ms[0]) };
	struct wt x[N];
	int wakeups = 0;
	uint64_t n;

	fx.strict = true;
	for (int i = 0; i < N; i++) {
		wt_init(&x[i], i);
		arm(&x[i], ms[i]);
	}
	while ((n = tmr_wheel_next(&fx.w)) != UINT64_MAX) {
		ck_assert_int_lt(wakeups++, 10000);
		fx.now = n > fx.now ? n : fx.now;
		tmr_wheel_run(&fx.w, fx.now);
	}
	ck_assert_int_eq(fx.nfired, N);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(fx.fired[i], i);
		ck_assert_uint_eq(fx.at[i], ms[i]);
	}
	expect_empty();
}
END_TEST

/*
 * A lone long timer costs a wake-up per level it cascades through, not one
 * per ms or per slot: an idle daemon sleeps.
 */
START_TEST(test_long_timer_few_wakeups)
{
	static const uint64_t ms[] = {200, 32000, 600000, 3600000, 86400000, 100 * 86400000ULL};
	struct wt a;
	uint64_t n;
	int wakeups;

	fx.strict = true;
	for (unsigned k = 0; k < sizeof(ms) / sizeof(ms[0]); k++) {
		wt_init(&a, (int)k);
		arm(&a, ms[k]);
		for (wakeups = 0; (n = tmr_wheel_next(&fx.w)) != UINT64_MAX; wakeups++) {
			ck_assert_uint_gt(n, fx.now);
			fx.now = n;
			tmr_wheel_run(&fx.w, fx.now);
		}
		ck_assert_int_eq(fx.nfired, (int)k + 1);
		/* each 2^32 ms boundary (overflow list), levels 4..1, the timer */
		ck_assert_int_le(wakeups, ms[k] < 50 * 86400000ULL ? 5 : 7);
	}
}
END_TEST

/* Starting from a clock value just below a 2^32 boundary. */
START_TEST(test_overflow_boundary)
{
	struct wt x[4];
	static const uint64_t ms[] = {3, 300, 70000, 5000000000ULL};

	fx.now = ((uint64_t)5 << 32) - 100;
	tmr_wheel_init(&fx.w, fx.now);
	fx.strict = true;
	for (int i = 0; i < 4; i++) {
		wt_init(&x[i], i);
		arm(&x[i], ms[i]);
	}
	step_to(fx.now + 6000000000ULL);
	ck_assert_int_eq(fx.nfired, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(fx.fired[i], i);
	expect_empty();
}
END_TEST

/* One late run fires a whole backlog in due order. */
START_TEST(test_overdue_batch)
{
	enum { N = 2000 };
	struct wt *x = calloc(N, sizeof(*x));
	uint64_t last_due = 0, last_seq = 0;

	ck_assert_ptr_nonnull(x);
	for (int i = 0; i < N; i++) {
		wt_init(&x[i], i);
		/* dues spread over 0..40 s, many equal */
		arm(&x[i], (uint64_t)(i * 7919 % 401) * 100);
	}
	ck_assert_uint_eq(jump_to(T0 + 3600000), N);
	for (int i = 0; i < N; i++) {
		struct wt *y = &x[fx.fired[i]];

		ck_assert(y->due > last_due || (y->due == last_due && y->seq > last_seq) || i == 0);
		last_due = y->due;
		last_seq = y->seq;
	}
	expect_empty();
	free(x);
}
END_TEST

/* 100,000 timers armed then stopped: nothing left, nothing fires. */
START_TEST(test_many_stop)
{
	enum { N = 100000 };
	struct wt *x = calloc(N, sizeof(*x));

	ck_assert_ptr_nonnull(x);
	for (int i = 0; i < N; i++) {
		wt_init(&x[i], i);
		arm(&x[i], (uint64_t)(i % 1000) * 37 + (uint64_t)(i % 3) * 3600000);
	}
	ck_assert_uint_eq(fx.w.narmed, N);
	for (int i = 0; i < N; i += 2)
		tmr_wheel_disarm(&fx.w, &x[i].t);
	for (int i = N - 1; i >= 0; i -= 2)
		tmr_wheel_disarm(&fx.w, &x[i].t);
	expect_empty();
	ck_assert_uint_eq(jump_to(T0 + 86400000), 0);
	ck_assert_int_eq(fx.nfired, 0);
	free(x);
}
END_TEST

/* 100,000 timers all fire, once each, at their due ms. */
START_TEST(test_many_fire)
{
	enum { N = 100000 };
	struct wt *x = calloc(N, sizeof(*x));

	ck_assert_ptr_nonnull(x);
	for (int i = 0; i < N; i++) {
		wt_init(&x[i], i);
		arm(&x[i], (uint64_t)(i * 7) % 64000);
	}
	fx.strict = true;
	step_to(T0 + 64000);
	ck_assert_int_eq(fx.nfired, N);
	expect_empty();
	free(x);
}
END_TEST

/* tmr_wheel_clear() disarms what is left, so tmr_close() stays safe. */
START_TEST(test_clear)
{
	struct wt a, b;

	wt_init(&a, 0);
	wt_init(&b, 1);
	arm(&a, 10);
	arm(&b, 100000000);
	tmr_wheel_clear(&fx.w);
	ck_assert(!armed(&a.t) && !armed(&b.t));
	ck_assert_ptr_null(a.t.link.next);
	expect_empty();
	tmr_wheel_disarm(&fx.w, &a.t);
}
END_TEST

/* --- randomised comparison with a plain model ---------------------- */

#define M 400

struct mt {
	struct tmr t;
	int id;
	bool armed; /* the model's view */
	uint64_t due, seq;
};

struct mexp {
	int id;
	uint64_t due, seq;
};

static struct {
	struct mt t[M];
	struct mexp exp[M];
	int nexp, iexp;
	uint64_t rng;
	long fires;
} md;

static uint64_t rnd(void)
{
	md.rng ^= md.rng << 13;
	md.rng ^= md.rng >> 7;
	md.rng ^= md.rng << 17;
	return md.rng;
}

/* Mostly transaction-like delays, some long, some 0. */
static uint64_t rnd_ms(void)
{
	switch (rnd() % 10) {
	case 0:
		return 0;
	case 1:
		return rnd() % ((uint64_t)40 * 86400000);
	case 2:
	case 3:
		return rnd() % 4000000;
	case 4:
	case 5:
		return rnd() % 64000;
	default:
		return rnd() % 600;
	}
}

static void m_arm(struct mt *x, uint64_t ms)
{
	tmr_wheel_arm(&fx.w, &x->t, fx.now, ms);
	x->armed = true;
	x->due = x->t.due;
	x->seq = fx.seq++;
}

static void m_stop(struct mt *x)
{
	tmr_wheel_disarm(&fx.w, &x->t);
	x->armed = false;
}

static bool mexp_live(const struct mexp *e)
{
	const struct mt *x = &md.t[e->id];

	return x->armed && x->seq == e->seq;
}

static void m_cb(void *arg)
{
	struct mt *x = arg;
	const struct mexp *e;

	while (md.iexp < md.nexp && !mexp_live(&md.exp[md.iexp]))
		md.iexp++;
	ck_assert_int_lt(md.iexp, md.nexp);
	e = &md.exp[md.iexp++];
	ck_assert_int_eq(e->id, x->id);
	ck_assert_uint_eq(e->seq, x->seq);
	ck_assert(!armed(&x->t));
	x->armed = false;
	md.fires++;
	switch (rnd() % 8) {
	case 0:
		m_stop(&md.t[rnd() % M]);
		break;
	case 1:
	case 2:
		m_arm(&md.t[rnd() % M], rnd_ms());
		break;
	case 3:
		m_arm(x, rnd_ms());
		break;
	}
}

static int mexp_cmp(const void *a, const void *b)
{
	const struct mexp *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void m_run(uint64_t now)
{
	uint64_t min = UINT64_MAX;
	size_t armed = 0;

	fx.now = now;
	md.nexp = md.iexp = 0;
	for (int i = 0; i < M; i++) {
		struct mt *x = &md.t[i];

		if (!x->armed)
			continue;
		armed++;
		if (x->due < min)
			min = x->due;
		if (x->due <= now)
			md.exp[md.nexp++] = (struct mexp){i, x->due, x->seq};
	}
	ck_assert_uint_eq(fx.w.narmed, armed);
	/* never later than the first deadline */
	ck_assert_uint_le(tmr_wheel_next(&fx.w), min);
	qsort(md.exp, (size_t)md.nexp, sizeof(md.exp[0]), mexp_cmp);
	tmr_wheel_run(&fx.w, now);
	while (md.iexp < md.nexp)
		ck_assert(!mexp_live(&md.exp[md.iexp++]));
}

START_TEST(test_model)
{
	uint64_t n;

	md.rng = 0x9e3779b97f4a7c15ULL + (uint64_t)_i;
	for (int i = 0; i < M; i++) {
		memset(&md.t[i], 0, sizeof(md.t[i]));
		md.t[i].id = i;
		md.t[i].t.cb = m_cb;
		md.t[i].t.arg = &md.t[i];
	}
	for (int op = 0; op < 30000; op++) {
		struct mt *x = &md.t[rnd() % M];

		switch (rnd() % 7) {
		case 0:
			m_stop(x);
			break;
		case 5:
			/* time passes before the loop runs the wheel */
			fx.now += rnd() % 1000;
			break;
		case 1:
		case 2:
			m_arm(x, rnd_ms());
			break;
		case 3:
			m_run(fx.now + rnd() % 3000);
			break;
		default:
			/* the real clock's way: wake at the next deadline */
			n = tmr_wheel_next(&fx.w);
			if (n != UINT64_MAX)
				m_run(n > fx.now ? n : fx.now);
			break;
		}
	}
	/* drain: every armed timer fires, none is lost */
	for (int guard = 0; (n = tmr_wheel_next(&fx.w)) != UINT64_MAX; guard++) {
		ck_assert_int_lt(guard, 1000000);
		m_run(n > fx.now ? n : fx.now);
	}
	for (int i = 0; i < M; i++)
		ck_assert(!md.t[i].armed);
	expect_empty();
	ck_assert_int_gt(md.fires, 1000);
}
END_TEST

static TCase *check_model_tcase(void)
{
	TCase *tc = tcase_create("model");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_model, 0, 4);
	tcase_set_timeout(tc, 60);
	return tc;
}

static Suite *tmr_wheel_suite(void)
{
	Suite *s = suite_create("tmr_wheel");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_same_ms_fifo);
	tcase_add_test(tc, test_rearm_in_callback);
	tcase_add_test(tc, test_zero_ms_next_run);
	tcase_add_test(tc, test_stop_in_callback);
	tcase_add_test(tc, test_free_in_callback);
	tcase_add_test(tc, test_cascade_edges);
	tcase_add_test(tc, test_long_timer_few_wakeups);
	tcase_add_test(tc, test_overflow_boundary);
	tcase_add_test(tc, test_overdue_batch);
	tcase_add_test(tc, test_many_stop);
	tcase_add_test(tc, test_many_fire);
	tcase_add_test(tc, test_clear);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, check_model_tcase());
	return s;
}

int main(void)
{
	return check_run(tmr_wheel_suite());
}
