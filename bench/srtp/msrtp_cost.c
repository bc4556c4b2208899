/*
 * msrtp_cost: what one call's SRTP costs with the libsrtp2 this is built
 * against (bench/RESULTS.md, "SRTP session setup and per-packet cost").
 * A measurement, not a test: it asserts nothing about speed.
 *
 * Per suite: msrtp_new() (two srtp_create(), one per direction) as the
 * median of 1000, msrtp_free(), the first packet of a new SSRC (libsrtp2
 * clones its template stream then), and protect + unprotect of a 172-byte
 * RTP packet (12-byte header + 160 bytes of G.711, 20 ms).
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -IBUILD bench/srtp/msrtp_cost.c \
 *      BUILD/libsipuad.a -lsrtp2 -lcrypto -o /tmp/msrtp_cost && taskset -c 1 /tmp/msrtp_cost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/msrtp.h"
#include "media/sdes.h"

#define NEW_RUNS 1000
#define FIRST_RUNS 300
#define PKTS 20000
#define PKT_LEN 172

union pkt {
	uint32_t align;
	uint8_t b[PKT_LEN + MSRTP_TRAILER];
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp);
	return v[n / 2];
}

static double pct(const double *sorted, size_t n, unsigned p)
{
	return sorted[n * p / 100];
}

static size_t rtp(union pkt *w, unsigned seq)
{
	memset(w->b, 0x55, PKT_LEN);
	w->b[0] = 0x80;
	w->b[1] = 0;
	w->b[2] = (uint8_t)(seq >> 8);
	w->b[3] = (uint8_t)seq;
	w->b[8] = 0x12;
	w->b[11] = 0x34;
	return PKT_LEN;
}

static void must(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "%s: %d\n", what, err);
		exit(1);
	}
}

static void suite(enum sdes_suite s)
{
	static double t[NEW_RUNS], f[NEW_RUNS], fp[FIRST_RUNS], fu[FIRST_RUNS];
	struct sdes_key a, b;
	struct msrtp *A, *B;
	union pkt w;
	size_t len;
	double x, y;

	must(sdes_key_new(&a, s) || sdes_key_new(&b, s), "sdes_key_new");
	for (int i = 0; i < NEW_RUNS; i++) {
		x = now_us();
		must(msrtp_new(&A, &a, &b), "msrtp_new");
		y = now_us();
		msrtp_free(A);
		t[i] = y - x;
		f[i] = now_us() - y;
	}
	median(t, NEW_RUNS);
	printf("%-24s msrtp_new median %6.1f us (p10 %.1f, p90 %.1f, p99 %.1f); msrtp_free median "
	       "%.1f us\n",
	       sdes_suite_name(s), t[NEW_RUNS / 2], pct(t, NEW_RUNS, 10), pct(t, NEW_RUNS, 90),
	       pct(t, NEW_RUNS, 99), median(f, NEW_RUNS));

	for (int i = 0; i < FIRST_RUNS; i++) {
		must(msrtp_new(&A, &a, &b) || msrtp_new(&B, &b, &a), "msrtp_new");
		len = rtp(&w, 1);
		x = now_us();
		must(msrtp_protect(A, w.b, &len, sizeof(w.b)), "protect");
		y = now_us();
		must(msrtp_unprotect(B, w.b, &len), "unprotect");
		fu[i] = now_us() - y;
		fp[i] = y - x;
		msrtp_free(A);
		msrtp_free(B);
	}
	printf("%-24s first packet of an SSRC: protect %.1f us, unprotect %.1f us (medians)\n",
	       sdes_suite_name(s), median(fp, FIRST_RUNS), median(fu, FIRST_RUNS));

	must(msrtp_new(&A, &a, &b) || msrtp_new(&B, &b, &a), "msrtp_new");
	x = now_us();
	for (unsigned i = 0; i < PKTS; i++) {
		len = rtp(&w, i);
		must(msrtp_protect(A, w.b, &len, sizeof(w.b)), "protect");
		must(msrtp_unprotect(B, w.b, &len), "unprotect");
	}
	y = now_us();
	printf("%-24s %d-byte RTP: protect + unprotect %.2f us per packet (mean of %d)\n",
	       sdes_suite_name(s), PKT_LEN, (y - x) / PKTS, PKTS);
	msrtp_free(A);
	msrtp_free(B);
}

int main(void)
{
	double x = now_us();

	must(msrtp_global_init(), "msrtp_global_init");
	printf("msrtp_global_init (srtp_init, self-tests) %.0f us\n", now_us() - x);
	for (int s = 0; s < SDES_SUITE_COUNT; s++)
		suite((enum sdes_suite)s);
	return 0;
}
