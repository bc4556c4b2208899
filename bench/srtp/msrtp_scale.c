/*
 * msrtp_scale: how one call's SRTP costs change with the number of calls a
 * process holds (bench/media/ANALYSIS.md).  bench/srtp/msrtp_cost.c measures
 * one session at a time; a daemon with N calls holds N msrtp (2N libsrtp2
 * sessions) and uses them in turn, which is what this measures.
 * A measurement, not a test: it asserts nothing about speed.
 *
 * For N live calls (one msrtp each, as in the daemon: two libsrtp2
 * sessions, send and receive; here both with the same key, so that a call
 * can take back what it sent), in CPU time of the process:
 *   - msrtp_new while the calls before it are alive (mean over the N);
 *   - protect + unprotect of a 172-byte RTP packet, every call in turn
 *     (ROUNDS rounds over all calls, as a tick sends and the loop receives);
 *   - msrtp_free while the calls after it are still alive (mean over the N);
 *   - and, with nothing alive, msrtp_new then msrtp_free (the pattern of
 *     msrtp_cost.c: with libsrtp2's NSS backend every srtp_create and
 *     srtp_dealloc opens and closes an NSS context, and the last close
 *     shuts NSS down, so the next create starts it again).
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -IBUILD bench/srtp/msrtp_scale.c \
 *      BUILD/libsipuad.a -lsrtp2 -lcrypto -o /tmp/msrtp_scale && taskset -c 1 /tmp/msrtp_scale [SUITE]
 *
 * Linked against another libsrtp2 (say one built with --enable-openssl in
 * /tmp/libsrtp), put its libsrtp2.a and -lcrypto in place of -lsrtp2.
 * SUITE is the sdes_suite number (0: AES_CM_128_HMAC_SHA1_80, the default).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/msrtp.h"
#include "media/sdes.h"

#define MAX_CALLS 2000
#define ROUNDS 20
#define PKT_LEN 172
#define PKT_ROOM (PKT_LEN + MSRTP_TRAILER)

static const unsigned sizes[] = {1, 10, 100, 300, 500, 1000, 2000};

static struct msrtp *call[MAX_CALLS];
static _Alignas(8) uint8_t pkt[PKT_ROOM];

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void must(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "%s: %d\n", what, err);
		exit(1);
	}
}

/* A 172-byte RTP packet: version 2, PCMU, sequence seq, SSRC by call. */
static size_t rtp(unsigned seq, unsigned call)
{
	memset(pkt, 0x55, PKT_LEN);
	pkt[0] = 0x80;
	pkt[1] = 0;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[8] = (uint8_t)(call >> 8);
	pkt[9] = (uint8_t)call;
	pkt[11] = 1;
	return PKT_LEN;
}

static void one_size(unsigned n, const struct sdes_key *k)
{
	double t0, t1, t2, t3;
	size_t len;

	t0 = cpu_us();
	for (unsigned i = 0; i < n; i++)
		must(msrtp_new(&call[i], k, k), "msrtp_new");
	t1 = cpu_us();
	for (unsigned r = 0; r < ROUNDS; r++)
		for (unsigned i = 0; i < n; i++) {
			len = rtp(r, i);
			must(msrtp_protect(call[i], pkt, &len, sizeof(pkt)), "protect");
			must(msrtp_unprotect(call[i], pkt, &len), "unprotect");
		}
	t2 = cpu_us();
	for (unsigned i = 0; i < n; i++)
		msrtp_free(call[i]);
	t3 = cpu_us();
	printf("%10u | %9.1f | %8.2f | %10.1f\n", n, (t1 - t0) / n, (t2 - t1) / ((double)ROUNDS * n),
	       (t3 - t2) / n);
}

int main(int argc, char **argv)
{
	int suite = argc > 1 ? atoi(argv[1]) : 0;
	struct sdes_key k;
	struct msrtp *s;
	double t0, t1, t2, tn = 0, tf = 0;

	if (suite < 0 || suite >= SDES_SUITE_COUNT) {
		fprintf(stderr, "suite: 0..%d\n", SDES_SUITE_COUNT - 1);
		return 2;
	}
	must(msrtp_global_init(), "msrtp_global_init");
	must(sdes_key_new(&k, (enum sdes_suite)suite), "sdes_key_new");
	printf("%s, CPU time in us\n", sdes_suite_name((enum sdes_suite)suite));
	printf("live calls | msrtp_new | protect + unprotect, calls in turn | msrtp_free\n");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		one_size(sizes[i], &k);
	for (int i = 0; i < 300; i++) {
		t0 = cpu_us();
		must(msrtp_new(&s, &k, &k), "msrtp_new");
		t1 = cpu_us();
		msrtp_free(s);
		t2 = cpu_us();
		tn += t1 - t0;
		tf += t2 - t1;
	}
	printf("nothing else alive: msrtp_new %.1f, msrtp_free %.1f (mean of 300)\n", tn / 300,
	       tf / 300);
	return 0;
}
