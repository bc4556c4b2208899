/*
 * check_jbuf: the adaptive jitter buffer of src/media/jbuf.c, driven as
 * the media engine drives it: packets of 20 ms (160 samples at 8 kHz)
 * put at their arrival time, 80 samples taken every 10 ms, on a clock of
 * the test's own (1 ms steps).  The stream's samples are all non-zero
 * and different from their neighbours, so the output says exactly what
 * was played, what was silence and whether anything moved.
 *
 * Impairments come from a seeded xorshift generator: each run is the
 * same, and what it asserts was seen to hold, not hoped for.
 */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "media/jbuf.h"

#include "check_run.h"

#define RATE 8000
#define PKT 160	  /* 20 ms */
#define TICK 80	  /* 10 ms */
#define T0 100000 /* ms: the clock at the first packet */

/* Sample k of the stream: never 0, so silence shows. */
static int16_t sig(uint32_t k)
{
	return (int16_t)(1 + (k * 7919u) % 30000u);
}

struct pkt {
	uint32_t ts;
	bool marker;
	uint64_t at; /* arrival, ms */
	uint32_t k0; /* stream index of its first sample */
	bool drop;
};

struct run {
	int16_t *out;
	size_t n;      /* samples taken */
	uint64_t got;  /* what jbuf_get() said was audio */
	size_t *ticks; /* ms of each get, to know when a sample played */
};

static uint32_t rng = 2463534242u;

static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* n packets from ts0, one every 20 ms from T0, the first marked. */
static struct pkt *stream(size_t n, uint32_t ts0)
{
	struct pkt *p = calloc(n, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++) {
		p[i].ts = ts0 + (uint32_t)(i * PKT);
		p[i].marker = i == 0;
		p[i].at = T0 + 20 * i;
		p[i].k0 = (uint32_t)(i * PKT);
	}
	return p;
}

/* Jitter of 0..max ms on every packet, and swaps of neighbours with probability pct %. */
static void impair(struct pkt *p, size_t n, unsigned max, unsigned pct)
{
	for (size_t i = 0; i < n; i++)
		p[i].at += xorshift() % (max + 1);
	for (size_t i = 0; i + 1 < n; i++) {
		if (xorshift() % 100 < pct) {
			uint64_t t = p[i].at;

			p[i].at = p[i + 1].at;
			p[i + 1].at = t;
			i++;
		}
	}
}

static int by_arrival(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->k0 < y->k0 ? -1 : x->k0 > y->k0;
}

/* Put p (any order) at its arrival times and get TICK every 10 ms from T0 to end. */
static void play(struct jbuf *j, struct pkt *p, size_t np, uint64_t end, struct run *r)
{
	struct pkt *s = malloc(np * sizeof(*s));
	size_t next = 0, ngets = (size_t)(end - T0) / 10 + 1;
	int16_t pcm[PKT];

	ck_assert_ptr_nonnull(s);
	memcpy(s, p, np * sizeof(*s));
	qsort(s, np, sizeof(*s), by_arrival);
	memset(r, 0, sizeof(*r));
	r->out = calloc(ngets * TICK, sizeof(*r->out));
	r->ticks = calloc(ngets, sizeof(*r->ticks));
	ck_assert_ptr_nonnull(r->out);
	for (uint64_t t = T0; t <= end; t++) {
		for (; next < np && s[next].at <= t; next++) {
			if (s[next].drop)
				continue;
			for (int i = 0; i < PKT; i++)
				pcm[i] = sig(s[next].k0 + (uint32_t)i);
			jbuf_put(j, s[next].ts, s[next].marker, pcm, PKT, t);
		}
		if ((t - T0) % 10 == 0) {
			r->ticks[r->n / TICK] = (size_t)t;
			r->got += jbuf_get(j, r->out + r->n, TICK, t);
			r->n += TICK;
		}
	}
	free(s);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->ticks);
}

/* Index of the first non-zero sample from from, or r->n. */
static size_t first_audio(const struct run *r, size_t from)
{
	while (from < r->n && r->out[from] == 0)
		from++;
	return from;
}

/* out[at..] holds stream samples k0.. exactly, count of them. */
static void assert_exact(const struct run *r, size_t at, uint32_t k0, size_t count)
{
	ck_assert_uint_le(at + count, r->n);
	for (size_t i = 0; i < count; i++)
		if (r->out[at + i] != sig(k0 + (uint32_t)i))
			ck_abort_msg("sample %zu (stream %u): %d, want %d", at + i,
				     (unsigned)(k0 + i), r->out[at + i], sig(k0 + (uint32_t)i));
}

static void assert_silence(const struct run *r, size_t at, size_t count)
{
	ck_assert_uint_le(at + count, r->n);
	for (size_t i = 0; i < count; i++)
		if (r->out[at + i] != 0)
			ck_abort_msg("sample %zu: %d, want silence", at + i, r->out[at + i]);
}

static size_t count_audio(const struct run *r)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++)
		k += r->out[i] != 0;
	return k;
}

static struct jbuf *mk(unsigned min_ms, unsigned max_ms)
{
	struct jbuf *j = NULL;

	ck_assert_int_eq(jbuf_new(&j, RATE, min_ms, max_ms), 0);
	ck_assert_ptr_nonnull(j);
	return j;
}

START_TEST(test_new)
{
	struct jbuf *j = (struct jbuf *)&j;

	ck_assert_int_eq(jbuf_new(NULL, RATE, 20, 200), -EINVAL);
	ck_assert_int_eq(jbuf_new(&j, 0, 20, 200), -EINVAL);
	ck_assert_int_eq(jbuf_new(&j, 999, 20, 200), -EINVAL);
	ck_assert_int_eq(jbuf_new(&j, 48001, 20, 200), -EINVAL);
	ck_assert_int_eq(jbuf_new(&j, RATE, 201, 200), -EINVAL);
	ck_assert_int_eq(jbuf_new(&j, RATE, 20, JBUF_MAX_MS + 1), -EINVAL);
	ck_assert_ptr_eq(j, (struct jbuf *)&j); /* untouched on failure */
	ck_assert_int_eq(jbuf_new(&j, 1000, 0, 0), 0);
	jbuf_free(j);
	ck_assert_int_eq(jbuf_new(&j, 48000, 20, JBUF_MAX_MS), 0);
	jbuf_free(j);
	jbuf_free(NULL);
}
END_TEST

/* Before the first packet: silence, nothing counted; NULL arguments do nothing. */
START_TEST(test_before_first)
{
	struct jbuf *j = mk(20, 200);
	struct jbuf_stats st;
	int16_t out[TICK], pcm[PKT] = {1};

	memset(out, 0x55, sizeof(out));
	ck_assert_uint_eq(jbuf_get(j, out, TICK, T0), 0);
	for (int i = 0; i < TICK; i++)
		ck_assert_int_eq(out[i], 0);
	jbuf_put(j, 0, true, NULL, PKT, T0);
	jbuf_put(j, 0, true, pcm, 0, T0);
	jbuf_put(NULL, 0, true, pcm, PKT, T0);
	ck_assert_uint_eq(jbuf_get(j, out, TICK, T0 + 10), 0);
	ck_assert_uint_eq(jbuf_get(j, NULL, TICK, T0 + 20), 0);
	memset(out, 0x55, sizeof(out));
	ck_assert_uint_eq(jbuf_get(NULL, out, TICK, T0), 0);
	ck_assert_int_eq(out[TICK - 1], 0);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late, 0);
	ck_assert_uint_eq(st.concealed, 0);
	ck_assert_uint_eq(st.dropped_overflow, 0);
	ck_assert_uint_eq(st.delay_ms, 0);
	jbuf_stats(NULL, &st);
	ck_assert_uint_eq(st.delay_ms, 0);
	jbuf_stats(j, NULL);
	jbuf_free(j);
}
END_TEST

/* A steady in-order stream comes back sample for sample, one packet (the minimum, 20 ms) behind. */
START_TEST(test_in_order)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(100, 12345);
	struct jbuf_stats st;
	struct run r;

	play(j, p, 100, T0 + 2100, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 160);
	assert_exact(&r, 160, 0, 100 * PKT);
	assert_silence(&r, 160 + 100 * PKT, r.n - 160 - 100 * PKT);
	ck_assert_uint_eq(r.got, 100 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late, 0);
	ck_assert_uint_eq(st.concealed, 0);
	ck_assert_uint_eq(st.dropped_overflow, 0);
	ck_assert_uint_eq(st.skipped, 0);
	ck_assert_uint_eq(st.target_ms, 20);
	ck_assert_uint_eq(st.delay_ms, 20);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* Arriving mid-tick changes nothing but when the first sample plays. */
START_TEST(test_in_order_offset)
{
	struct jbuf *j = mk(40, 200);
	struct pkt *p = stream(100, 0);
	struct jbuf_stats st;
	struct run r;

	for (size_t i = 0; i < 100; i++)
		p[i].at += 7;
	play(j, p, 100, T0 + 2100, &r);
	/* Put at T0 + 7 with 40 ms target: the get at T0 + 40 plays position -320 + 320... */
	ck_assert_uint_eq(first_audio(&r, 0), 5 * TICK);
	assert_exact(&r, 5 * TICK, 0, 100 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late + st.concealed + st.skipped + st.dropped_overflow, 0);
	ck_assert_uint_eq(st.target_ms, 40);
	/* 40 ms target, plus the 3 ms until the next get after arrival. */
	ck_assert_uint_eq(st.delay_ms, 43);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* 20 % neighbour swaps and 0..40 ms of jitter: exact with a delay big enough (120 ms). */
START_TEST(test_reorder_jitter)
{
	struct jbuf *j = mk(120, 200);
	size_t n = 1000;
	struct pkt *p = stream(n, 0x7000);
	struct jbuf_stats st;
	struct run r;
	size_t at;
	unsigned swapped = 0;

	impair(p, n, 40, 20);
	for (size_t i = 0; i + 1 < n; i++)
		swapped += p[i].at > p[i + 1].at;
	ck_assert_uint_gt(swapped, 100); /* the impairment is real */
	play(j, p, n, T0 + 20 * n + 400, &r);
	at = first_audio(&r, 0);
	ck_assert_uint_le(at, 200 * RATE / 1000);
	assert_exact(&r, at, 0, n * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late, 0);
	ck_assert_uint_eq(st.concealed, 0);
	ck_assert_uint_eq(st.dropped_overflow, 0);
	ck_assert_uint_eq(st.skipped, 0);
	ck_assert_uint_eq(st.target_ms, 120);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* The same stream adapts from 20 ms: the delay grows with the jitter, few packets are late. */
START_TEST(test_adapts)
{
	struct jbuf *j = mk(20, 200);
	size_t n = 1500;
	struct pkt *p = stream(n, 0);
	struct jbuf_stats st;
	struct run r;

	impair(p, n, 40, 20);
	play(j, p, n, T0 + 20 * n + 400, &r);
	jbuf_stats(j, &st);
	ck_assert_uint_ge(st.target_ms, 50);
	ck_assert_uint_le(st.target_ms, 200);
	ck_assert_uint_ge(st.delay_ms, 40);
	ck_assert_uint_le(st.delay_ms, 200);
	/* Late packets while it learns: under 2 %. */
	ck_assert_uint_lt(st.late, n / 50);
	ck_assert_uint_ge(count_audio(&r), n * PKT * 97 / 100);
	ck_assert_uint_eq(count_audio(&r), r.got);
	ck_assert_uint_eq(st.dropped_overflow, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* Lost packets are silence, counted as concealed; the rest is exact. */
START_TEST(test_loss)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(100, 0);
	struct jbuf_stats st;
	struct run r;

	p[10].drop = p[11].drop = p[30].drop = true;
	play(j, p, 100, T0 + 2100, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 160);
	assert_exact(&r, 160, 0, 10 * PKT);
	assert_silence(&r, 160 + 10 * PKT, 2 * PKT);
	assert_exact(&r, 160 + 12 * PKT, 12 * PKT, 18 * PKT);
	assert_silence(&r, 160 + 30 * PKT, PKT);
	assert_exact(&r, 160 + 31 * PKT, 31 * PKT, 69 * PKT);
	ck_assert_uint_eq(r.got, 97 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.concealed, 3 * PKT);
	ck_assert_uint_eq(st.late, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* With a longer delay, a loss is a hole while later audio is queued; a burst too. */
START_TEST(test_loss_deeper)
{
	struct jbuf *j = mk(60, 200);
	struct pkt *p = stream(100, 0);
	struct jbuf_stats st;
	struct run r;

	p[20].drop = p[21].drop = p[22].drop = true;
	play(j, p, 100, T0 + 2100, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 480);
	assert_exact(&r, 480, 0, 20 * PKT);
	assert_silence(&r, 480 + 20 * PKT, 3 * PKT);
	assert_exact(&r, 480 + 23 * PKT, 23 * PKT, 77 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.concealed, 3 * PKT);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/*
 * A sender that resumes without marking the packet: up to a second of
 * silence before it is taken as loss (concealed), more as a pause.
 */
START_TEST(test_unmarked_pause)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(200, 0);
	struct jbuf_stats st;
	struct run r;

	/* 1 s lost (packets 50..99); after packet 149 a pause of 3 s. */
	for (size_t i = 50; i < 100; i++)
		p[i].drop = true;
	for (size_t i = 150; i < 200; i++) {
		p[i].ts += 3 * RATE;
		p[i].at += 3000;
	}
	play(j, p, 200, T0 + 7100, &r);
	assert_exact(&r, 160, 0, 50 * PKT);
	assert_silence(&r, 160 + 50 * PKT, 50 * PKT);
	assert_exact(&r, 160 + 100 * PKT, 100 * PKT, 50 * PKT);
	assert_silence(&r, 160 + 150 * PKT, 3 * RATE);
	assert_exact(&r, 160 + 150 * PKT + 3 * RATE, 150 * PKT, 50 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.concealed, 50 * PKT);
	ck_assert_uint_eq(r.got, 150 * PKT);
	ck_assert_uint_eq(st.late + st.skipped + st.dropped_overflow, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* Late packets: dropped (or their head), counted; everything else stays in place. */
START_TEST(test_late)
{
	struct jbuf *j = mk(20, 20); /* fixed: the late packets would raise the target */
	struct pkt *p = stream(100, 0);
	struct jbuf_stats st;
	struct run r;

	/* Packet 10 plays at T0 + 220 and 230: 100 ms late is wholly late. */
	p[10].at += 100;
	/* Packet 40 arrives at T0 + 825: after its first half played (T0 + 820), before its second.
	 */
	p[40].at += 25;
	play(j, p, 100, T0 + 2100, &r);
	assert_exact(&r, 160, 0, 10 * PKT);
	assert_silence(&r, 160 + 10 * PKT, PKT);
	assert_exact(&r, 160 + 11 * PKT, 11 * PKT, 29 * PKT);
	assert_silence(&r, 160 + 40 * PKT, TICK);
	assert_exact(&r, 160 + 40 * PKT + TICK, 40 * PKT + TICK, 60 * PKT - TICK);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late, 2);
	ck_assert_uint_eq(st.concealed, PKT + TICK);
	ck_assert_uint_eq(r.got, 99 * PKT - TICK);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/*
 * A packet held up longer than the ring (512 ms here) is late and not
 * jitter: the target stays; one held up 300 ms is, and raises it.
 * (520 ms: within reach of the playout point, 20 ms behind, so it is
 * measured; 600 ms would not even be.)
 */
START_TEST(test_outlier)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(100, 0);
	struct jbuf_stats st;
	struct run r;

	p[50].at += 520;
	play(j, p, 100, T0 + 2100, &r);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late, 1);
	ck_assert_uint_eq(st.target_ms, 20);
	run_free(&r);
	jbuf_free(j);

	/* 300 ms: |D| = 2400 twice, J = 2400 / 16 = 150 then decays over 48 packets. */
	j = mk(20, 200);
	p[50].at -= 220;
	play(j, p, 100, T0 + 2100, &r);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late, 1);
	ck_assert_uint_gt(st.target_ms, 20);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* Duplicates are harmless: in time they change nothing; after playout they are late. */
START_TEST(test_duplicates)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(200, 99);
	struct jbuf_stats st;
	struct run r;

	/*
	 * Every packet twice, again 5 ms later (the first, marked, too).
	 * Those still queued are not even measured: the target stays at
	 * 20 ms.
	 */
	memcpy(p + 100, p, 100 * sizeof(*p));
	for (size_t i = 100; i < 200; i++)
		p[i].at += 5;
	play(j, p, 200, T0 + 2500, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 160);
	assert_exact(&r, 160, 0, 100 * PKT);
	assert_silence(&r, 160 + 100 * PKT, r.n - 160 - 100 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late + st.concealed + st.skipped + st.dropped_overflow, 0);
	ck_assert_uint_eq(st.target_ms, 20);
	run_free(&r);
	jbuf_free(j);

	/*
	 * And after playout: packet 50 a third time 200 ms later, the first
	 * 300 ms later, the last 100 ms later, when the stream has ended and
	 * the buffer ran dry: all late, none played again.
	 */
	j = mk(20, 200);
	p[197] = p[50];
	p[197].at += 200;
	p[198] = p[0];
	p[198].at += 300;
	p[199] = p[99];
	p[199].at += 100;
	play(j, p, 200, T0 + 2500, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 160);
	assert_exact(&r, 160, 0, 100 * PKT);
	assert_silence(&r, 160 + 100 * PKT, r.n - 160 - 100 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late, 3);
	ck_assert_uint_eq(st.concealed, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* The 2^32 wrap of timestamps, in order and impaired. */
START_TEST(test_wrap)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(300, 0xffffffffu - 100 * PKT + 37);
	struct jbuf_stats st;
	struct run r;
	size_t at;

	play(j, p, 300, T0 + 6100, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 160);
	assert_exact(&r, 160, 0, 300 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late + st.concealed + st.dropped_overflow + st.skipped, 0);
	run_free(&r);
	jbuf_free(j);

	j = mk(120, 200);
	impair(p, 300, 40, 20);
	play(j, p, 300, T0 + 6400, &r);
	at = first_audio(&r, 0);
	assert_exact(&r, at, 0, 300 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late + st.concealed + st.dropped_overflow + st.skipped, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* A pause of the sender (timestamps run on) plays as silence, not concealment, and exactly. */
START_TEST(test_talk_spurts)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(100, 5000);
	struct jbuf_stats st;
	struct run r;

	/* Packets 50.. come after 500 ms of silence, the first marked. */
	for (size_t i = 50; i < 100; i++) {
		p[i].ts += 500 * 8;
		p[i].at += 500;
	}
	p[50].marker = true;
	play(j, p, 100, T0 + 2600, &r);
	assert_exact(&r, 160, 0, 50 * PKT);
	assert_silence(&r, 160 + 50 * PKT, 500 * 8);
	assert_exact(&r, 160 + 50 * PKT + 500 * 8, 50 * PKT, 50 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.concealed, 0);
	ck_assert_uint_eq(st.late + st.skipped + st.dropped_overflow, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/*
 * A talk spurt re-anchors at the target: after a jittery spurt the
 * delay has grown; a clean pause and a new marked spurt bring it back.
 */
START_TEST(test_spurt_reanchors)
{
	struct jbuf *j = mk(20, 300);
	size_t n = 1600;
	struct pkt *p = stream(n, 0);
	struct jbuf_stats st;
	struct run r;
	size_t at;

	impair(p, 500, 60, 20); /* the first 10 s */
	/* 10 s of clean packets the jitter estimate decays over, a pause, then a new spurt. */
	for (size_t i = 1000; i < n; i++) {
		p[i].ts += 8000;
		p[i].at += 1000;
	}
	p[1000].marker = true;
	play(j, p, n, T0 + 20 * n + 1500, &r);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.target_ms, 20);
	/* The last spurt plays one target (20 ms) behind: its first packet arrives at T0 + 21000.
	 */
	at = first_audio(&r, (size_t)(21000 / 10) * TICK - 10 * TICK);
	ck_assert_uint_eq(r.ticks[at / TICK], T0 + 21000 + 20);
	assert_exact(&r, at, 1000 * PKT, 600 * PKT);
	ck_assert_uint_eq(st.delay_ms, 20);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* A marked jump of the timestamps (a new source numbering) plays on after what is queued. */
START_TEST(test_jump)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(100, 1000);
	struct jbuf_stats st;
	struct run r;

	/* From packet 50 on, timestamps 10^6 ahead (then 2^31 back), arrival as before. */
	for (size_t i = 50; i < 100; i++)
		p[i].ts += i < 75 ? 1000000 : 1000000 + 0x80000000u;
	p[50].marker = p[75].marker = true;
	play(j, p, 100, T0 + 2100, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 160);
	assert_exact(&r, 160, 0, 100 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late + st.concealed + st.dropped_overflow + st.skipped, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/*
 * A marked jump that arrives while more than the target is queued (a
 * burst of early packets) goes right after what is queued.
 */
START_TEST(test_jump_burst)
{
	struct jbuf *j = mk(100, 200);
	struct pkt *p = stream(100, 1000);
	struct jbuf_stats st;
	struct run r;

	for (size_t i = 50; i < 100; i++)
		p[i].ts += 1000000;
	p[50].marker = true;
	for (size_t i = 47; i <= 50; i++)
		p[i].at = p[46].at;
	play(j, p, 100, T0 + 2200, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 800);
	assert_exact(&r, 800, 0, 100 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late + st.concealed + st.dropped_overflow + st.skipped, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* Without a marker, a jump is taken once what is queued has played: the stream is not lost. */
START_TEST(test_jump_unmarked)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(100, 1000);
	struct jbuf_stats st;
	struct run r;
	size_t at;

	for (size_t i = 50; i < 100; i++)
		p[i].ts -= 3000000;
	play(j, p, 100, T0 + 2100, &r);
	assert_exact(&r, 160, 0, 50 * PKT);
	/* Packet 50 finds packet 49 queued: dropped; 51 finds nothing: taken. */
	at = first_audio(&r, 160 + 50 * PKT);
	ck_assert_uint_eq(at, 160 + 51 * PKT);
	assert_exact(&r, at, 51 * PKT, 49 * PKT);
	jbuf_stats(j, &st);
	/* Packet 50's place is silence in the audio: concealed. */
	ck_assert_uint_eq(st.late, 1);
	ck_assert_uint_eq(st.concealed, PKT);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* A packet 10 s ahead is dropped, allocates nothing, and disturbs nothing. */
START_TEST(test_far_future)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(101, 0);
	struct jbuf_stats st;
	struct run r;
	struct mallinfo2 before, after;
	int16_t pcm[PKT] = {7};

	/* An extra packet among the stream's: 10 s of timestamps ahead, arriving with packet 30. */
	p[100] = p[30];
	p[100].ts += 10 * RATE;
	p[100].k0 = 0x40000000;
	play(j, p, 101, T0 + 2100, &r);
	assert_exact(&r, 160, 0, 100 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.dropped_overflow, 1);
	ck_assert_uint_eq(st.late + st.concealed + st.skipped, 0);

	/* No allocation on the way (when the allocator tells; ASan's does not). */
	jbuf_put(j, 5, false, pcm, PKT, T0 + 3000);
	jbuf_get(j, pcm, TICK, T0 + 3000);
	before = mallinfo2();
	jbuf_put(j, 5 + 10 * RATE, false, pcm, PKT, T0 + 3001);
	jbuf_put(j, 5 + 100 * RATE, true, pcm, PKT, T0 + 3002);
	after = mallinfo2();
	ck_assert_uint_eq(after.uordblks, before.uordblks);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* A packet longer than the ring keeps what fits; nothing is written out of it. */
START_TEST(test_huge_packet)
{
	struct jbuf *j = mk(20, 20); /* ring: 140 ms -> 2048 samples */
	size_t n = 5000;
	int16_t *pcm = malloc(n * sizeof(*pcm)), out[TICK];
	struct jbuf_stats st;
	size_t got = 0;

	ck_assert_ptr_nonnull(pcm);
	for (size_t i = 0; i < n; i++)
		pcm[i] = sig((uint32_t)i);
	jbuf_put(j, 0, true, pcm, n, T0);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.dropped_overflow, 1);
	for (int t = 0; t < 100; t++)
		got += jbuf_get(j, out, TICK, T0 + 10 * (uint64_t)t);
	ck_assert_uint_gt(got, 1000);
	ck_assert_uint_lt(got, 2048);
	free(pcm);
	jbuf_free(j);
}
END_TEST

/* The path gets 100 ms slower: a gap of silence, then the stream again, nothing lost. */
START_TEST(test_path_slower)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(200, 0);
	struct jbuf_stats st;
	struct run r;
	size_t at;

	for (size_t i = 100; i < 200; i++)
		p[i].at += 100;
	play(j, p, 200, T0 + 4300, &r);
	assert_exact(&r, 160, 0, 100 * PKT);
	/* 100 ms of silence, give or take what the delay moved. */
	at = first_audio(&r, 160 + 100 * PKT);
	ck_assert_uint_ge(at, 160 + 100 * PKT + 80 * 8);
	ck_assert_uint_le(at, 160 + 100 * PKT + 160 * 8);
	assert_exact(&r, at, 100 * PKT, 100 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late + st.concealed + st.skipped, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/*
 * The path gets 100 ms slower and a packet is lost just after: the
 * playout waits for the stream, then over the hole shortens the delay
 * only as far as the packets since then allow (the transit measured
 * before the change says the delay is 100 ms too long): none is late.
 */
START_TEST(test_path_slower_loss)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(200, 0);
	struct jbuf_stats st;
	struct run r;
	size_t at, hole;

	for (size_t i = 100; i < 200; i++)
		p[i].at += 100;
	p[110].drop = true;
	play(j, p, 200, T0 + 4300, &r);
	assert_exact(&r, 160, 0, 100 * PKT);
	at = first_audio(&r, 160 + 100 * PKT);
	assert_exact(&r, at, 100 * PKT, 10 * PKT);
	hole = first_audio(&r, at + 10 * PKT) - (at + 10 * PKT);
	ck_assert_uint_gt(hole, 0);
	ck_assert_uint_le(hole, PKT);
	assert_exact(&r, at + 10 * PKT + hole, 111 * PKT, 89 * PKT);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.late, 0);
	ck_assert_uint_eq(st.skipped, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/*
 * The path gets 300 ms faster: the packets from then on come early and
 * the delay is 300 ms over; in audio it is cut 10 ms a second, not
 * faster.
 */
START_TEST(test_path_faster)
{
	struct jbuf *j = mk(20, 400);
	struct pkt *p = stream(200, 0);
	struct jbuf_stats st;
	struct run r;

	for (size_t i = 100; i < 200; i++)
		p[i].at -= 300;
	play(j, p, 200, T0 + 4300, &r);
	jbuf_stats(j, &st);
	/* About 2.3 s with the excess: 2 or 3 cuts of 80 samples. */
	ck_assert_uint_ge(st.skipped, 2 * 80);
	ck_assert_uint_le(st.skipped, 3 * 80);
	ck_assert_uint_eq(r.got + st.skipped, 200 * PKT);
	ck_assert_uint_eq(st.late + st.concealed + st.dropped_overflow, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/*
 * A sender whose clock runs 1 % fast (a packet every 19.8 ms): the
 * delay grows 10 ms a second until it is 80 ms over the target, then
 * 10 ms cuts once a second hold it there; nothing overflows.
 */
START_TEST(test_drift_fast)
{
	struct jbuf *j = mk(20, 200);
	size_t n = 2000; /* 39.6 s */
	struct pkt *p = stream(n, 0);
	struct jbuf_stats st;
	struct run r;

	for (size_t i = 0; i < n; i++)
		p[i].at = T0 + i * 198 / 10;
	play(j, p, n, T0 + 38000, &r);
	jbuf_stats(j, &st);
	/* Without cuts: 20 + 380 ms. */
	ck_assert_uint_ge(st.delay_ms, 20 + 80 - 10);
	ck_assert_uint_le(st.delay_ms, 20 + 80 + 10);
	/* 38 s: about 300 ms of cuts, 10 ms (80 samples) at a time. */
	ck_assert_uint_ge(st.skipped, 25 * 80);
	ck_assert_uint_le(st.skipped, 32 * 80);
	ck_assert_uint_eq(st.skipped % 80, 0);
	ck_assert_uint_eq(st.dropped_overflow + st.late + st.concealed, 0);
	run_free(&r);
	jbuf_free(j);

	/* To the end: every sample played or cut, in order. */
	j = mk(20, 200);
	play(j, p, n, T0 + 40000, &r);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(r.got + st.skipped, n * PKT);
	ck_assert_uint_eq(st.dropped_overflow + st.late + st.concealed, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* A sender 1 % slow: now and then a short gap when the buffer runs dry; nothing is lost. */
START_TEST(test_drift_slow)
{
	struct jbuf *j = mk(20, 200);
	size_t n = 2000;
	struct pkt *p = stream(n, 0);
	struct jbuf_stats st;
	struct run r;

	for (size_t i = 0; i < n; i++)
		p[i].at = T0 + i * 202 / 10;
	play(j, p, n, T0 + 41000, &r);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(r.got, n * PKT);
	ck_assert_uint_le(st.delay_ms, 40);
	ck_assert_uint_eq(st.dropped_overflow + st.late + st.concealed + st.skipped, 0);
	run_free(&r);
	free(p);
	jbuf_free(j);
}
END_TEST

/* reset: a new source anchors afresh; the counts go on. */
START_TEST(test_reset)
{
	struct jbuf *j = mk(20, 200);
	struct pkt *p = stream(50, 0);
	struct jbuf_stats st;
	struct run r;
	int16_t out[TICK];

	p[10].drop = true;
	play(j, p, 50, T0 + 1000, &r);
	run_free(&r);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.concealed, PKT);
	/* Audio still queued is gone. */
	jbuf_put(j, 50 * PKT, false, out, TICK, T0 + 1001);
	jbuf_reset(j);
	ck_assert_uint_eq(jbuf_get(j, out, TICK, T0 + 1010), 0);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.concealed, PKT);
	ck_assert_uint_eq(st.delay_ms, 0);
	/* Another source, other timestamps: 20 ms behind again, exact. */
	for (size_t i = 0; i < 50; i++)
		p[i].ts += 0x12345678;
	p[10].drop = false;
	play(j, p, 50, T0 + 1100, &r);
	ck_assert_uint_eq(first_audio(&r, 0), 160);
	assert_exact(&r, 160, 0, 50 * PKT);
	run_free(&r);
	jbuf_reset(NULL);
	free(p);
	jbuf_free(j);
}
END_TEST

/*
 * A talk spurt's marked first packet that arrives after the packet it
 * precedes moves the playout back: the ring's far end (a packet put 472
 * ms ahead) is dropped.  hi still marks the end of the dropped packet, so
 * the silence up to there counts as a hole, the rest as a dry spell: the
 * hole ends inside a get's run of silence.
 */
START_TEST(test_reanchor_back)
{
	struct jbuf *j = mk(20, 200); /* ring: 4096 samples */
	struct jbuf_stats st;
	int16_t a[PKT], b[PKT], out[TICK];
	size_t got = 0, at = 0, first = SIZE_MAX;

	for (int i = 0; i < PKT; i++) {
		a[i] = sig((uint32_t)i);
		b[i] = sig((uint32_t)(i + 100000));
	}
	jbuf_put(j, 0, true, a, PKT, T0);
	jbuf_put(j, 3776, false, a, PKT, T0);
	jbuf_put(j, (uint32_t)-80, true, b, PKT, T0 + 1);
	jbuf_stats(j, &st);
	ck_assert_uint_eq(st.dropped_overflow, 1);
	for (int t = 0; t < 80; t++, at += TICK) {
		size_t k = jbuf_get(j, out, TICK, T0 + 10 * (uint64_t)t);

		for (size_t i = 0; i < TICK; i++) {
			size_t played = at + i;

			if (first == SIZE_MAX && out[i] != 0)
				first = played;
			if (first == SIZE_MAX || played >= first + 240)
				ck_assert_int_eq(out[i], 0);
			else if (played < first + PKT)
				ck_assert_int_eq(out[i], b[played - first]);
			else
				ck_assert_int_eq(out[i], a[played - first - 80]);
		}
		got += k;
	}
	jbuf_stats(j, &st);
	ck_assert_uint_eq(got, 240);
	ck_assert_uint_eq(st.concealed, 3936 - 160);
	ck_assert_uint_eq(st.late + st.skipped, 0);
	ck_assert_uint_eq(st.dropped_overflow, 1);
	jbuf_free(j);
}
END_TEST

/*
 * A replay of many impaired calls, hashed: every get's output
 * and count, and the stats of each call every second.  The hash is what
 * jbuf.c gave before its puts and gets worked on runs instead of samples
 * (bench/media/jbuf_cost does the same over 1,000 calls and times it):
 * those speed-ups changed nothing that is played or counted.  A change
 * of jbuf.c that changes what a call hears changes it: if that is meant,
 * the other tests say whether it is right, and REPLAY_HASH is updated.
 *
 * Each call has its own seeded mix of packet times (10..40 ms), jitter
 * (0..80 ms, which reorders), loss (single and bursts), duplicates, late
 * outliers, clock drift, talk spurts (marked or not), timestamp jumps,
 * delay bounds and start (near the 2^32 wrap too), and for some a
 * jbuf_reset() (a new source) mid-call.
 */
#define REPLAY_CALLS 200
#define REPLAY_MS 10000
#define REPLAY_HASH UINT64_C(0x41009e46553f0c3f)

struct rpkt {
	uint64_t at; /* ms */
	uint32_t seq, ts, k0;
	uint16_t n;
	bool marker, reset;
};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* FNV-1a over v's n low bytes, least significant first: the same on any host. */
static void hash(uint64_t *h, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8) {
		*h ^= v & 0xFF;
		*h *= UINT64_C(0x100000001B3);
	}
}

static void hash_stats(uint64_t *h, const struct jbuf *j)
{
	struct jbuf_stats st;

	jbuf_stats(j, &st);
	hash(h, st.late, 8);
	hash(h, st.concealed, 8);
	hash(h, st.dropped_overflow, 8);
	hash(h, st.skipped, 8);
	hash(h, st.delay_ms, 4);
	hash(h, st.target_ms, 4);
}

static int by_replay_arrival(const void *a, const void *b)
{
	const struct rpkt *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A call's packets (its impairments drawn from *s) as the network delivers them: *np. */
static struct rpkt *replay_pkts(uint32_t *s, size_t *np)
{
	static const unsigned ptimes[] = {20, 20, 20, 20, 30, 10, 40, 20};
	static const unsigned jitters[] = {0, 2, 5, 10, 20, 40, 60, 80};
	static const int drifts_ppm[] = {0, 0, 0, 5000, -5000, 10000, -10000, 0};
	unsigned ptime = ptimes[rnd(s) % 8], n = ptime * RATE / 1000;
	unsigned jitter = jitters[rnd(s) % 8], loss = rnd(s) % 4; /* % */
	uint64_t step_us = (uint64_t)ptime * (1000000 + drifts_ppm[rnd(s) % 8]) / 1000;
	uint64_t t_us = (uint64_t)(rnd(s) % 1000) * 1000; /* when the sender sends */
	uint32_t ts = rnd(s) % 4 ? rnd(s) : 0xFFFFFFFFu - rnd(s) % 200000, k = 0, burst = 0;
	bool marks = rnd(s) % 5 != 0, marker = true;
	size_t cap = 2 * REPLAY_MS / 10 + 2;
	struct rpkt *p = calloc(cap, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	*np = 0;
	if (rnd(s) % 10 == 0)
		p[(*np)++] = (struct rpkt){.at = rnd(s) % REPLAY_MS, .reset = true};
	for (; t_us / 1000 < REPLAY_MS; t_us += step_us, ts += n, k += n) {
		struct rpkt x = {.ts = ts, .k0 = k, .n = (uint16_t)n, .marker = marker};

		marker = false;
		if (rnd(s) % 150 == 0) { /* the sender pauses after this packet */
			unsigned ms = 200 + rnd(s) % 1300;

			t_us += (uint64_t)ms * 1000;
			ts += ms * RATE / 1000;
			marker = marks;
		}
		if (rnd(s) % 3000 == 0) { /* its timestamps jump */
			ts += rnd(s);
			marker = rnd(s) % 2;
		}
		if (burst) {
			burst--;
			continue;
		}
		if (rnd(s) % 100 < loss)
			continue;
		if (rnd(s) % 500 == 0) {
			burst = 5 + rnd(s) % 15;
			continue;
		}
		x.at = t_us / 1000 + 5 + (jitter ? rnd(s) % (jitter + 1) : 0);
		if (rnd(s) % 300 == 0)
			x.at += rnd(s) % 400; /* an outlier */
		x.seq = (uint32_t)*np;
		p[(*np)++] = x;
		if (rnd(s) % 100 == 0) { /* a duplicate */
			x.at += rnd(s) % 40;
			x.seq = (uint32_t)*np;
			p[(*np)++] = x;
		}
		ck_assert_uint_le(*np + 2, cap);
	}
	qsort(p, *np, sizeof(*p), by_replay_arrival);
	return p;
}

START_TEST(test_replay_hash)
{
	static const unsigned bounds[][2] = {{20, 200}, {20, 200},  {20, 200}, {40, 300},
					     {20, 20},	{60, 1000}, {0, 100},  {20, 2000}};
	uint64_t h = UINT64_C(0xCBF29CE484222325);
	int16_t pcm[40 * RATE / 1000], out[TICK];

	for (uint32_t c = 0; c < REPLAY_CALLS; c++) {
		uint32_t s = 2463534242u ^ (c * 2654435761u);
		const unsigned *b = bounds[rnd(&s) % 8];
		struct jbuf *j = mk(b[0], b[1]);
		size_t np, next = 0;
		struct rpkt *p = replay_pkts(&s, &np);

		for (uint64_t t = 0; t <= REPLAY_MS; t++) {
			for (; next < np && p[next].at <= t; next++) {
				if (p[next].reset) {
					jbuf_reset(j);
					continue;
				}
				for (unsigned i = 0; i < p[next].n; i++)
					pcm[i] = sig(p[next].k0 + i + c * 977);
				jbuf_put(j, p[next].ts, p[next].marker, pcm, p[next].n, t);
			}
			if (t % 10)
				continue;
			hash(&h, jbuf_get(j, out, TICK, t), 4);
			for (int i = 0; i < TICK; i++)
				hash(&h, (uint16_t)out[i], 2);
			if (t % 1000 == 0)
				hash_stats(&h, j);
		}
		hash_stats(&h, j);
		free(p);
		jbuf_free(j);
	}
	ck_assert_msg(h == REPLAY_HASH, "replay hash %016llx, want %016llx", (unsigned long long)h,
		      (unsigned long long)REPLAY_HASH);
}
END_TEST

static Suite *jbuf_suite(void)
{
	Suite *s = suite_create("jbuf");
	TCase *tc = tcase_create("jbuf");

	tcase_add_test(tc, test_new);
	tcase_add_test(tc, test_before_first);
	tcase_add_test(tc, test_in_order);
	tcase_add_test(tc, test_in_order_offset);
	tcase_add_test(tc, test_reorder_jitter);
	tcase_add_test(tc, test_adapts);
	tcase_add_test(tc, test_loss);
	tcase_add_test(tc, test_loss_deeper);
	tcase_add_test(tc, test_unmarked_pause);
	tcase_add_test(tc, test_late);
	tcase_add_test(tc, test_outlier);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_talk_spurts);
	tcase_add_test(tc, test_spurt_reanchors);
	tcase_add_test(tc, test_jump);
	tcase_add_test(tc, test_jump_burst);
	tcase_add_test(tc, test_jump_unmarked);
	tcase_add_test(tc, test_far_future);
	tcase_add_test(tc, test_huge_packet);
	tcase_add_test(tc, test_path_slower);
	tcase_add_test(tc, test_path_slower_loss);
	tcase_add_test(tc, test_path_faster);
	tcase_add_test(tc, test_drift_fast);
	tcase_add_test(tc, test_drift_slow);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_reanchor_back);
	tcase_add_test(tc, test_replay_hash);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(jbuf_suite());
}
