/*
 * tmr_bench: what the timers of src/core/tmr.h cost on the real clock.
 * A measurement, not a test: it asserts nothing about speed.  bench/tmr/run
 * builds it against two versions of src/core/tmr*.c (before and after the
 * timing wheel) and runs it natively and under callgrind.
 *
 * Around BG timers armed for an hour (waiting transactions), it measures:
 *   rearm  1,000,000 tmr_start + tmr_stop pairs on 1,000 timers
 *          (each started once before: the steady state of a busy daemon)
 *   life   1,000,000 times tmr_init + tmr_start + tmr_stop + tmr_close of
 *          a fresh timer (the life of a transaction's timer)
 *   arm    tmr_start of NFIRE timers due in 1..1000 ms
 *   fire   the event loop firing those NFIRE timers
 * and the memory of a timer: sizeof(struct tmr) and the heap bytes that
 * arming one adds (mallinfo2() before and after arming BG timers).
 *
 *   tmr_bench [PHASE]   PHASE = rearm | life | fire (arm + fire): only that,
 *                       once, for callgrind --toggle-collect=phase_PHASE;
 *                       without: every phase REPEAT times, median CPU ns/op.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "core/tmr.h"

#define BG 20000
#define PAIRS 1000000
#define POOL 1000
#define NFIRE 200000
#define REPEAT 5

static struct event_base *base;
static struct tmr_clock *clk;
static struct tmr *bg, *pool, *fire;
static long fired;

static void cb(void *arg)
{
	(void)arg;
	if (++fired == NFIRE)
		event_base_loopbreak(base);
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) static void phase_rearm(void)
{
	for (long i = 0; i < PAIRS; i++) {
		struct tmr *t = &pool[i % POOL];

		tmr_start(t, 500 + (uint64_t)(i % 31500));
		tmr_stop(t);
	}
}

__attribute__((noinline)) static void phase_life(void)
{
	struct tmr t;

	for (long i = 0; i < PAIRS; i++) {
		tmr_init(&t, clk, cb, NULL);
		tmr_start(&t, 32000);
		tmr_stop(&t);
		tmr_close(&t);
	}
}

__attribute__((noinline)) static void phase_arm(void)
{
	for (long i = 0; i < NFIRE; i++)
		tmr_start(&fire[i], 1 + (uint64_t)(i % 1000));
}

__attribute__((noinline)) static void phase_fire(void)
{
	fired = 0;
	event_base_dispatch(base);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, REPEAT, sizeof(v[0]), cmp);
	return v[REPEAT / 2];
}

static void setup(void)
{
	struct mallinfo2 m0, m1;

	base = event_base_new();
	if (!base || tmr_clock_new(&clk, base) < 0) {
		fprintf(stderr, "tmr_bench: no event base or clock\n");
		exit(1);
	}
	bg = calloc(BG, sizeof(*bg));
	pool = calloc(POOL, sizeof(*pool));
	fire = calloc(NFIRE, sizeof(*fire));
	if (!bg || !pool || !fire)
		exit(1);
	for (int i = 0; i < BG; i++)
		tmr_init(&bg[i], clk, cb, NULL);
	m0 = mallinfo2();
	for (int i = 0; i < BG; i++)
		tmr_start(&bg[i], 3600000 + (uint64_t)i);
	m1 = mallinfo2();
	for (int i = 0; i < POOL; i++) {
		tmr_init(&pool[i], clk, cb, NULL);
		tmr_start(&pool[i], 1000);
		tmr_stop(&pool[i]);
	}
	for (int i = 0; i < NFIRE; i++)
		tmr_init(&fire[i], clk, cb, NULL);
	printf("sizeof(struct tmr) %zu B, heap per armed timer %.1f B\n", sizeof(struct tmr),
	       (double)(m1.uordblks - m0.uordblks) / BG);
}

int main(int argc, char **argv)
{
	double r[REPEAT], l[REPEAT], a[REPEAT], f[REPEAT], t0;

	setup();
	if (argc > 1) {
		if (!strcmp(argv[1], "rearm"))
			phase_rearm();
		else if (!strcmp(argv[1], "life"))
			phase_life();
		else if (!strcmp(argv[1], "fire")) {
			phase_arm();
			phase_fire();
		} else {
			fprintf(stderr, "usage: tmr_bench [rearm|life|fire]\n");
			return 2;
		}
		return 0;
	}
	for (int k = 0; k < REPEAT; k++) {
		t0 = cpu_ns();
		phase_rearm();
		r[k] = (cpu_ns() - t0) / PAIRS;
		t0 = cpu_ns();
		phase_life();
		l[k] = (cpu_ns() - t0) / PAIRS;
		t0 = cpu_ns();
		phase_arm();
		a[k] = (cpu_ns() - t0) / NFIRE;
		t0 = cpu_ns();
		phase_fire();
		f[k] = (cpu_ns() - t0) / NFIRE;
		if (fired != NFIRE)
			fprintf(stderr, "tmr_bench: %ld of %d fired\n", fired, NFIRE);
	}
	printf("CPU ns, median of %d: start+stop %.1f, init+start+stop+close %.1f, "
	       "start (to fire) %.1f, fire %.1f\n",
	       REPEAT, median(r), median(l), median(a), median(f));
	return 0;
}
