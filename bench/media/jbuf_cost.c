/*
 * jbuf_cost: what the media engine's per-call work on received audio
 * costs: jbuf_put (50 a second per call), jbuf_get of 80 samples (100 a
 * second) and the encoding of a 160-sample packet (50 a second), for
 * CALLS calls at once over SECONDS of simulated time, as the echo calls
 * of bench/media/run load them.  A measurement, not a test: it asserts
 * nothing about speed.
 *
 * Each call gets its own seeded impairments: a packet time of 10..40 ms,
 * 0..80 ms of jitter (reordering), loss (bursts too), duplicates, late
 * outliers, clock drift, talk spurts (marked or not), timestamp jumps, a
 * start near the 2^32 wrap, now and then a jbuf_reset (a new SSRC).  The
 * samples are mu-law codes decoded, as an echo call's are.  Every get's
 * output and return, the stats of every call each second, and every
 * encoded byte go into one 64-bit hash: a change of jbuf.c or g711.c
 * that keeps the hash changes nothing these calls hear (the hash of the
 * code before the speed-ups: REF_HASH).
 *
 * CPU time (CLOCK_PROCESS_CPUTIME_ID) is taken around batches of calls
 * (a tick's gets, an ms's puts, a packet time's encodes), not around each
 * call; what is measured is only the calls to jbuf.c and g711.c.
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -IBUILD bench/media/jbuf_cost.c \
 *      BUILD/libsipuad.a -lspandsp -o /tmp/jbuf_cost && taskset -c 0 /tmp/jbuf_cost
 *
 *   jbuf_cost [SECONDS [CALLS [REPS]]]   defaults 5, 1000, 5: the median
 *   over REPS runs of each cost, in ns per call.  Under callgrind, REPS 1:
 *   valgrind --tool=callgrind /tmp/jbuf_cost 5 1000 1, then
 *   callgrind_annotate --inclusive=yes: jbuf_get, jbuf_put, g711_*_encode.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/g711.h"
#include "media/jbuf.h"

#define RATE 8000
#define TICK 80	    /* samples per get: 10 ms */
#define ENC 160	    /* samples per encoded packet: 20 ms */
#define MIN_MS 20   /* the engine's default [media] jitter_min_ms... */
#define MAX_MS 200  /* ...and jitter_max_ms */
#define MAX_PKT 320 /* the longest packet time here: 40 ms */
#define BATCH 256   /* puts timed at once */
/* The hash of the code before the speed-ups, 5 s and 1000 calls. */
#define REF_HASH UINT64_C(0x34d76a4152892bba)

enum ev_kind { EV_PUT, EV_RESET };

struct ev {
	uint64_t at; /* ms */
	uint32_t call, seq;
	uint32_t ts, k0; /* RTP timestamp; stream index of the first sample */
	uint16_t n;
	bool marker;
	uint8_t kind;
};

struct evs {
	struct ev *v;
	size_t n, cap;
};

struct costs {
	double get_ns, put_ns, ulaw_ns, alaw_ns;
	uint64_t hash;
	uint64_t got, late, concealed, dropped_overflow, skipped; /* over all calls */
};

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A stateless mix: the sample of call c at stream index k. */
static uint32_t mix(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32 | b) * UINT64_C(0x9E3779B97F4A7C15);

	x ^= x >> 29;
	x *= UINT64_C(0xBF58476D1CE4E5B9);
	return (uint32_t)(x >> 32);
}

static void fnv(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= UINT64_C(0x100000001B3);
	}
}

static void push(struct evs *e, const struct ev *x)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 4096;
		e->v = realloc(e->v, e->cap * sizeof(*e->v));
		if (!e->v) {
			perror("realloc");
			exit(1);
		}
	}
	e->v[e->n++] = *x;
}

/* One call's packets, as its sender sends them and the network delivers them. */
static void call_events(struct evs *e, uint32_t c, uint64_t end_ms)
{
	static const unsigned ptimes[] = {20, 20, 20, 20, 30, 10, 40, 20};
	static const unsigned jitters[] = {0, 2, 5, 10, 20, 40, 60, 80};
	static const int drifts_ppm[] = {0, 0, 0, 5000, -5000, 10000, -10000, 0};
	uint32_t s = mix(c, 12345) | 1;
	unsigned ptime = ptimes[xorshift(&s) % 8], n = ptime * RATE / 1000;
	unsigned jitter = jitters[xorshift(&s) % 8], loss = xorshift(&s) % 4; /* % */
	int drift = drifts_ppm[xorshift(&s) % 8];
	bool marks = xorshift(&s) % 5 != 0;
	uint64_t t_us = (uint64_t)(xorshift(&s) % 1000) * 1000; /* send time */
	uint64_t step_us = (uint64_t)ptime * 1000 * (1000000 + drift) / 1000000;
	uint32_t ts = xorshift(&s) % 4 ? xorshift(&s) : 0xFFFFFFFFu - xorshift(&s) % 200000;
	uint32_t k = 0, seq = 0, burst = 0;
	bool marker = true;

	if (xorshift(&s) % 50 == 0) {
		uint64_t at = xorshift(&s) % end_ms;

		push(e, &(struct ev){.at = at, .call = c, .seq = UINT32_MAX, .kind = EV_RESET});
	}
	for (; t_us / 1000 < end_ms; t_us += step_us, ts += n, k += n) {
		struct ev x = {.call = c, .ts = ts, .k0 = k, .n = (uint16_t)n, .marker = marker};

		marker = false;
		if (xorshift(&s) % 150 == 0) { /* a pause of the sender after this packet */
			unsigned p = 200 + xorshift(&s) % 1300;

			t_us += (uint64_t)p * 1000;
			ts += p * RATE / 1000;
			marker = marks;
		}
		if (xorshift(&s) % 3000 == 0) { /* the sender's timestamps jump */
			ts += xorshift(&s);
			marker = xorshift(&s) % 2;
		}
		if (burst) {
			burst--;
			continue;
		}
		if (xorshift(&s) % 100 < loss)
			continue;
		if (xorshift(&s) % 500 == 0) {
			burst = 5 + xorshift(&s) % 15;
			continue;
		}
		x.at = t_us / 1000 + 5 + (jitter ? xorshift(&s) % (jitter + 1) : 0);
		if (xorshift(&s) % 300 == 0)
			x.at += xorshift(&s) % 400; /* an outlier */
		x.seq = seq++;
		push(e, &x);
		if (xorshift(&s) % 100 == 0) { /* a duplicate */
			x.at += xorshift(&s) % 40;
			x.seq = seq++;
			push(e, &x);
		}
	}
}

static int by_arrival(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->call != y->call)
		return x->call < y->call ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void hash_stats(uint64_t *h, struct jbuf **jb, uint32_t calls)
{
	for (uint32_t c = 0; c < calls; c++) {
		struct jbuf_stats st;

		jbuf_stats(jb[c], &st);
		fnv(h, &st.late, sizeof(st.late));
		fnv(h, &st.concealed, sizeof(st.concealed));
		fnv(h, &st.dropped_overflow, sizeof(st.dropped_overflow));
		fnv(h, &st.delay_ms, sizeof(st.delay_ms));
		fnv(h, &st.target_ms, sizeof(st.target_ms));
		fnv(h, &st.skipped, sizeof(st.skipped));
	}
}

/* The puts of events [*next, ...) that arrive by now_ms, BATCH at a time. */
static double put_until(const struct evs *e, size_t *next, uint64_t now_ms, struct jbuf **jb,
			int16_t (*pcm)[MAX_PKT], uint64_t *puts)
{
	double ns = 0;

	while (*next < e->n && e->v[*next].at <= now_ms) {
		size_t k = 0, from = *next;
		double t0;

		for (; *next < e->n && e->v[*next].at <= now_ms && k < BATCH; (*next)++) {
			const struct ev *x = &e->v[*next];
			uint8_t codes[MAX_PKT];

			if (x->kind == EV_RESET) {
				jbuf_reset(jb[x->call]);
				continue;
			}
			for (unsigned i = 0; i < x->n; i++)
				codes[i] = (uint8_t)mix(x->call, x->k0 + i);
			g711_ulaw_decode(pcm[k++], codes, x->n);
		}
		t0 = cpu_ns();
		k = 0;
		for (size_t i = from; i < *next; i++) {
			const struct ev *x = &e->v[i];

			if (x->kind == EV_PUT)
				jbuf_put(jb[x->call], x->ts, x->marker, pcm[k++], x->n, now_ms);
		}
		ns += cpu_ns() - t0;
		*puts += k;
	}
	return ns;
}

static void run(const struct evs *e, uint64_t end_ms, uint32_t calls, struct costs *out)
{
	struct jbuf **jb = calloc(calls, sizeof(*jb));
	int16_t(*rx)[ENC] = calloc(calls, sizeof(*rx));
	uint8_t(*enc)[ENC] = calloc(calls, sizeof(*enc));
	int16_t(*pcm)[MAX_PKT] = calloc(BATCH, sizeof(*pcm));
	size_t *got = calloc(calls, sizeof(*got));
	double get_ns = 0, put_ns = 0, ulaw_ns = 0, alaw_ns = 0, t0;
	uint64_t gets = 0, puts = 0, encs = 0, h = UINT64_C(0xCBF29CE484222325);
	size_t next = 0;

	if (!jb || !rx || !enc || !pcm || !got) {
		perror("calloc");
		exit(1);
	}
	for (uint32_t c = 0; c < calls; c++) {
		if (jbuf_new(&jb[c], RATE, MIN_MS, MAX_MS) < 0) {
			perror("jbuf_new");
			exit(1);
		}
	}
	for (uint64_t t = 0; t <= end_ms; t++) {
		put_ns += put_until(e, &next, t, jb, pcm, &puts);
		if (t % 10)
			continue;
		/* The engine's tick: 10 ms from every call's jitter buffer. */
		{
			size_t half = t % 20 ? TICK : 0;

			t0 = cpu_ns();
			for (uint32_t c = 0; c < calls; c++)
				got[c] = jbuf_get(jb[c], rx[c] + half, TICK, t);
			get_ns += cpu_ns() - t0;
			gets += calls;
			for (uint32_t c = 0; c < calls; c++) {
				out->got += got[c];
				fnv(&h, &got[c], sizeof(got[c]));
				fnv(&h, rx[c] + half, TICK * sizeof(rx[c][0]));
			}
			if (!half)
				continue;
		}
		/* A packet time is full: what was heard goes back, mu-law then A-law. */
		t0 = cpu_ns();
		for (uint32_t c = 0; c < calls; c++)
			g711_ulaw_encode(enc[c], rx[c], ENC);
		ulaw_ns += cpu_ns() - t0;
		for (uint32_t c = 0; c < calls; c++)
			fnv(&h, enc[c], ENC);
		t0 = cpu_ns();
		for (uint32_t c = 0; c < calls; c++)
			g711_alaw_encode(enc[c], rx[c], ENC);
		alaw_ns += cpu_ns() - t0;
		encs += calls;
		for (uint32_t c = 0; c < calls; c++)
			fnv(&h, enc[c], ENC);
		if (t % 1000 == 0)
			hash_stats(&h, jb, calls);
	}
	hash_stats(&h, jb, calls);
	out->get_ns = get_ns / (double)gets;
	out->put_ns = put_ns / (double)puts;
	out->ulaw_ns = ulaw_ns / (double)encs;
	out->alaw_ns = alaw_ns / (double)encs;
	out->hash = h;
	for (uint32_t c = 0; c < calls; c++) {
		struct jbuf_stats st;

		jbuf_stats(jb[c], &st);
		out->late += st.late;
		out->concealed += st.concealed;
		out->dropped_overflow += st.dropped_overflow;
		out->skipped += st.skipped;
		jbuf_free(jb[c]);
	}
	free(jb);
	free(rx);
	free(enc);
	free(pcm);
	free(got);
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), by_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	unsigned secs = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
	uint32_t calls = argc > 2 ? (uint32_t)atoi(argv[2]) : 1000;
	unsigned reps = argc > 3 ? (unsigned)atoi(argv[3]) : 5;
	uint64_t end_ms = (uint64_t)secs * 1000;
	struct evs e = {0};
	struct costs *r;
	double get[64], put[64], ulaw[64], alaw[64];
	size_t nput = 0;
	bool ok;

	if (!secs || !calls || !reps || reps > 64) {
		fprintf(stderr, "usage: jbuf_cost [SECONDS [CALLS [REPS (1..64)]]]\n");
		return 2;
	}
	r = calloc(reps, sizeof(*r));
	for (uint32_t c = 0; c < calls; c++)
		call_events(&e, c, end_ms);
	qsort(e.v, e.n, sizeof(*e.v), by_arrival);
	for (size_t i = 0; i < e.n; i++)
		nput += e.v[i].kind == EV_PUT;
	for (unsigned i = 0; i < reps; i++) {
		run(&e, end_ms, calls, &r[i]);
		if (r[i].hash != r[0].hash) {
			fprintf(stderr, "run %u: hash %016" PRIx64 ", run 0: %016" PRIx64 "\n", i,
				r[i].hash, r[0].hash);
			return 1;
		}
		get[i] = r[i].get_ns;
		put[i] = r[i].put_ns;
		ulaw[i] = r[i].ulaw_ns;
		alaw[i] = r[i].alaw_ns;
	}
	printf("%u calls, %u s: %zu puts, %" PRIu64 " gets of %d, %" PRIu64 " encodes of %d\n",
	       (unsigned)calls, secs, nput, (uint64_t)calls * (end_ms / 10 + 1), TICK,
	       (uint64_t)calls * (end_ms / 20), ENC);
	printf("samples: %" PRIu64 " audio, %" PRIu64 " concealed, %" PRIu64
	       " skipped; packets: %" PRIu64 " late, %" PRIu64 " dropped_overflow\n",
	       r[0].got, r[0].concealed, r[0].skipped, r[0].late, r[0].dropped_overflow);
	printf("median of %u, CPU ns per call: get %.1f  put %.1f  ulaw_encode %.1f  "
	       "alaw_encode %.1f\n",
	       reps, median(get, reps), median(put, reps), median(ulaw, reps), median(alaw, reps));
	printf("hash %016" PRIx64 "%s\n", r[0].hash,
	       secs == 5 && calls == 1000
		   ? (r[0].hash == REF_HASH ? " (= the reference)" : " (NOT the reference)")
		   : "");
	ok = r[0].hash == REF_HASH || secs != 5 || calls != 1000;
	free(r);
	free(e.v);
	return ok ? 0 : 1;
}
