/*
 * check_rtp: the RTP header (parse, write, RTP/RTCP demultiplexing) and
 * one source's statistics of src/media/rtp.c: RFC 3550 A.1 sequence
 * check, A.3 loss and fraction, A.8 jitter.
 *
 * Every packet is parsed from a heap block of exactly its length, so
 * that a read past len is an AddressSanitizer error in the sanitizer
 * build.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtp.h"

#include "check_run.h"

/* rtp_parse over an exact heap copy of buf[0..len). */
static int parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	uint8_t *p = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(p);
	memcpy(p, buf, len);
	rc = rtp_parse(p, len, h);
	/* payload points into p: keep it meaningful for the caller as an offset. */
	if (rc == 0)
		h->payload = buf + (h->payload - p);
	free(p);
	return rc;
}

/* A header: V=2 | byte0_low, M, PT 0, seq 0x1234, ts 0x01020304, SSRC 0xdeadbeef. */
static size_t hdr(uint8_t *b, uint8_t byte0_low, bool m)
{
	b[0] = (uint8_t)(0x80 | byte0_low);
	b[1] = (uint8_t)(m ? 0x80 : 0);
	b[2] = 0x12;
	b[3] = 0x34;
	b[4] = 1, b[5] = 2, b[6] = 3, b[7] = 4;
	b[8] = 0xde, b[9] = 0xad, b[10] = 0xbe, b[11] = 0xef;
	return 12;
}

START_TEST(test_parse_plain)
{
	uint8_t b[12 + 160];
	struct rtp_hdr h;

	hdr(b, 0, true);
	b[1] |= 8; /* PCMA */
	memset(b + 12, 0xd5, 160);
	ck_assert_int_eq(parse(b, sizeof(b), &h), 0);
	ck_assert_uint_eq(h.pt, 8);
	ck_assert(h.marker);
	ck_assert_uint_eq(h.seq, 0x1234);
	ck_assert_uint_eq(h.ts, 0x01020304);
	ck_assert_uint_eq(h.ssrc, 0xdeadbeef);
	ck_assert_ptr_eq(h.payload, b + 12);
	ck_assert_uint_eq(h.plen, 160);

	/* A header alone is a packet with an empty payload. */
	ck_assert_int_eq(parse(b, 12, &h), 0);
	ck_assert_uint_eq(h.plen, 0);
	ck_assert_ptr_eq(h.payload, b + 12);
	/* PT 127, no marker. */
	b[1] = 0x7f;
	ck_assert_int_eq(parse(b, 13, &h), 0);
	ck_assert_uint_eq(h.pt, 127);
	ck_assert(!h.marker);
}
END_TEST

/* CSRCs and the §5.3.1 extension come before the payload. */
START_TEST(test_parse_csrc_ext)
{
	uint8_t b[96] = {0};
	struct rtp_hdr h;

	hdr(b, 2, false); /* CC = 2 */
	ck_assert_int_eq(parse(b, 12 + 8 + 3, &h), 0);
	ck_assert_ptr_eq(h.payload, b + 20);
	ck_assert_uint_eq(h.plen, 3);
	ck_assert_int_eq(parse(b, 20, &h), 0);
	ck_assert_uint_eq(h.plen, 0);

	/* X: profile 0xbede, 2 words of extension. */
	hdr(b, 0x10, false);
	b[12] = 0xbe, b[13] = 0xde, b[14] = 0, b[15] = 2;
	ck_assert_int_eq(parse(b, 12 + 4 + 8 + 5, &h), 0);
	ck_assert_ptr_eq(h.payload, b + 24);
	ck_assert_uint_eq(h.plen, 5);

	/* Both: CC 15 (60 octets), then the extension header with 0 words. */
	hdr(b, 0x1f, false);
	memset(b + 12, 0, sizeof(b) - 12);
	ck_assert_int_eq(parse(b, 12 + 60 + 4, &h), 0);
	ck_assert_ptr_eq(h.payload, b + 76);
	ck_assert_uint_eq(h.plen, 0);
}
END_TEST

START_TEST(test_parse_padding)
{
	uint8_t b[12 + 8] = {0};
	struct rtp_hdr h;

	hdr(b, 0x20, false);
	b[19] = 3; /* 5 octets of payload, 3 of padding */
	ck_assert_int_eq(parse(b, 20, &h), 0);
	ck_assert_uint_eq(h.plen, 5);
	/* The whole payload is padding. */
	b[19] = 8;
	ck_assert_int_eq(parse(b, 20, &h), 0);
	ck_assert_uint_eq(h.plen, 0);
	/* One more than there is. */
	b[19] = 9;
	ck_assert_int_eq(parse(b, 20, &h), -EBADMSG);
	/* A count of 0 cannot count itself. */
	b[19] = 0;
	ck_assert_int_eq(parse(b, 20, &h), -EBADMSG);
	/* P with nothing after the header: the last octet is the SSRC's. */
	ck_assert_int_eq(parse(b, 12, &h), -EBADMSG);
	/* Padding may not eat CSRCs. */
	hdr(b, 0x21, false);
	b[19] = 5;
	ck_assert_int_eq(parse(b, 20, &h), -EBADMSG);
	b[19] = 4;
	ck_assert_int_eq(parse(b, 20, &h), 0);
	ck_assert_uint_eq(h.plen, 0);
}
END_TEST

/* Every malformed case: -EBADMSG and *h untouched. */
START_TEST(test_parse_bad)
{
	uint8_t b[32] = {0}, sentinel[sizeof(struct rtp_hdr)];
	struct rtp_hdr h;

	memset(&h, 0xa5, sizeof(h));
	memcpy(sentinel, &h, sizeof(h));

	hdr(b, 0, false);
	for (size_t len = 0; len < 12; len++)
		ck_assert_int_eq(parse(b, len, &h), -EBADMSG);
	/* Versions 0, 1, 3. */
	for (uint8_t v = 0; v < 4; v++) {
		if (v == 2)
			continue;
		b[0] = (uint8_t)(v << 6);
		ck_assert_int_eq(parse(b, 20, &h), -EBADMSG);
	}
	/* CSRCs past the end: CC 2 needs 20 octets. */
	hdr(b, 2, false);
	ck_assert_int_eq(parse(b, 19, &h), -EBADMSG);
	/* Extension header past the end, then its words. */
	hdr(b, 0x10, false);
	ck_assert_int_eq(parse(b, 15, &h), -EBADMSG);
	b[14] = 0, b[15] = 1;
	ck_assert_int_eq(parse(b, 19, &h), -EBADMSG);
	ck_assert_int_eq(parse(b, 20, &h), 0);
	memset(&h, 0xa5, sizeof(h));
	/* A length of 0xffff words. */
	b[14] = 0xff, b[15] = 0xff;
	ck_assert_int_eq(parse(b, 32, &h), -EBADMSG);
	ck_assert_mem_eq(&h, sentinel, sizeof(h));
	/* NULL. */
	ck_assert_int_eq(rtp_parse(NULL, 12, &h), -EBADMSG);
	ck_assert_int_eq(rtp_parse(b, 12, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_write_hdr)
{
	uint8_t b[RTP_HDR_LEN];
	/* V=2; M, PT 101; seq; ts; SSRC. */
	const uint8_t want[RTP_HDR_LEN] = {
	    0x80, 0x80 | 101, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78,
	};
	struct rtp_hdr h;

	ck_assert_uint_eq(rtp_write_hdr(b, 101, true, 0xfffe, 0x80000001, 0x12345678), RTP_HDR_LEN);
	ck_assert_mem_eq(b, want, RTP_HDR_LEN);
	/* PT takes 7 bits: the marker is not set by a PT >= 128. */
	rtp_write_hdr(b, 0x80, false, 0, 0, 0);
	ck_assert_uint_eq(b[1], 0);
	/* Round trip. */
	rtp_write_hdr(b, 8, false, 7, 160, 42);
	ck_assert_int_eq(parse(b, sizeof(b), &h), 0);
	ck_assert_uint_eq(h.pt, 8);
	ck_assert(!h.marker);
	ck_assert_uint_eq(h.seq, 7);
	ck_assert_uint_eq(h.ts, 160);
	ck_assert_uint_eq(h.ssrc, 42);
	ck_assert_uint_eq(h.plen, 0);
}
END_TEST

/* RFC 5761 §4: second octet 192..223. */
START_TEST(test_is_rtcp)
{
	uint8_t b[8] = {0x80, 200};

	ck_assert(rtp_is_rtcp(b, 8));
	ck_assert(rtp_is_rtcp(b, 2));
	ck_assert(!rtp_is_rtcp(b, 1));
	ck_assert(!rtp_is_rtcp(b, 0));
	ck_assert(!rtp_is_rtcp(NULL, 8));
	b[1] = 192;
	ck_assert(rtp_is_rtcp(b, 8));
	b[1] = 223;
	ck_assert(rtp_is_rtcp(b, 8));
	b[1] = 191; /* RTP: PT 63 with the marker */
	ck_assert(!rtp_is_rtcp(b, 8));
	b[1] = 224; /* RTP: PT 96 with the marker */
	ck_assert(!rtp_is_rtcp(b, 8));
	b[1] = 0; /* PCMU */
	ck_assert(!rtp_is_rtcp(b, 8));
	b[1] = 201;
	b[0] = 0x40; /* version 1 */
	ck_assert(!rtp_is_rtcp(b, 8));
	b[0] = 0xa1; /* version 2, padding, count 1 */
	ck_assert(rtp_is_rtcp(b, 8));
}
END_TEST

/* Feed seq first..first+n-1 except those in skip[]: how many returned 0. */
static int feed(struct rtp_src *s, uint16_t first, int n, const int *skip, int nskip)
{
	int used = 0;

	for (int i = 0; i < n; i++) {
		bool skipped = false;

		for (int k = 0; k < nskip; k++)
			skipped |= skip[k] == i;
		if (!skipped && rtp_src_seq(s, (uint16_t)(first + i)) == 0)
			used++;
	}
	return used;
}

/* A.1: MIN_SEQUENTIAL = 2 in-order packets make the source valid; both are counted. */
START_TEST(test_src_probation)
{
	struct rtp_src s;

	rtp_src_init(&s, 1000, 8000);
	ck_assert_uint_eq(rtp_src_expected(&s), 0);
	ck_assert_uint_eq(rtp_src_received(&s), 0);
	ck_assert_int_eq(rtp_src_seq(&s, 1000), 1);
	/* Nothing is counted while on probation. */
	ck_assert_uint_eq(rtp_src_expected(&s), 0);
	ck_assert_uint_eq(rtp_src_received(&s), 0);
	ck_assert_int_eq(rtp_src_lost(&s), 0);
	ck_assert_int_eq(rtp_src_seq(&s, 1001), 0);
	ck_assert_uint_eq(rtp_src_expected(&s), 2);
	ck_assert_uint_eq(rtp_src_received(&s), 2);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 1001);
	ck_assert_int_eq(rtp_src_lost(&s), 0);

	/* Out of order during probation: the run starts again at that packet. */
	rtp_src_init(&s, 10, 8000);
	ck_assert_int_eq(rtp_src_seq(&s, 10), 1);
	ck_assert_int_eq(rtp_src_seq(&s, 12), 1);
	ck_assert_int_eq(rtp_src_seq(&s, 13), 0);
	ck_assert_uint_eq(rtp_src_expected(&s), 2);
	ck_assert_uint_eq(rtp_src_received(&s), 2);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 13);

	/* A first packet of 0xffff: the run crosses the wrap (no cycle counted). */
	rtp_src_init(&s, 0xffff, 8000);
	ck_assert_int_eq(rtp_src_seq(&s, 0xffff), 1);
	ck_assert_int_eq(rtp_src_seq(&s, 0), 0);
	ck_assert_uint_eq(rtp_src_expected(&s), 2);
	ck_assert_int_eq(rtp_src_seq(&s, 1), 0);
	ck_assert_uint_eq(rtp_src_expected(&s), 3);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 1);
}
END_TEST

/* A.3: cumulative loss and the fraction of each interval. */
START_TEST(test_src_loss)
{
	struct rtp_src s;
	const int skip[] = {10, 20, 30, 40, 41};

	rtp_src_init(&s, 500, 8000);
	/* 100 sent, 5 lost: 95 used, the first on probation. */
	ck_assert_int_eq(feed(&s, 500, 100, skip, 5), 94);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 599);
	ck_assert_uint_eq(rtp_src_expected(&s), 100);
	ck_assert_uint_eq(rtp_src_received(&s), 95);
	ck_assert_int_eq(rtp_src_lost(&s), 5);
	/* (5 << 8) / 100 = 12 (12.8 truncated, as A.3 computes it). */
	ck_assert_uint_eq(rtp_src_fraction(&s), 12);
	/* Nothing new: nothing expected, fraction 0. */
	ck_assert_uint_eq(rtp_src_fraction(&s), 0);
	/* 10 more, 1 lost: (1 << 8) / 10 = 25. */
	ck_assert_int_eq(feed(&s, 600, 10, (const int[]){3}, 1), 9);
	ck_assert_uint_eq(rtp_src_fraction(&s), 25);
	ck_assert_int_eq(rtp_src_lost(&s), 6);
	/* The lost packet arrives late: counted, the interval's loss is negative: 0. */
	ck_assert_int_eq(rtp_src_seq(&s, 603), 0);
	ck_assert_int_eq(rtp_src_lost(&s), 5);
	ck_assert_uint_eq(rtp_src_fraction(&s), 0);
	/* Half of an interval lost: 128. */
	ck_assert_int_eq(rtp_src_seq(&s, 611), 0);
	ck_assert_int_eq(rtp_src_seq(&s, 612), 0);
	ck_assert_int_eq(rtp_src_seq(&s, 614), 0);
	/* 610..614 expected, 611, 612, 614 received: (2 << 8) / 5 = 102. */
	ck_assert_uint_eq(rtp_src_fraction(&s), 102);
}
END_TEST

/* The sequence wraps: cycles count it, expected goes on. */
START_TEST(test_src_wrap)
{
	struct rtp_src s;

	rtp_src_init(&s, 65530, 8000);
	ck_assert_int_eq(feed(&s, 65530, 20, NULL, 0), 19);
	/* 65530 + 19 = 65549 = 1 cycle + 13. */
	ck_assert_uint_eq(rtp_src_ext_max(&s), 65536 + 13);
	ck_assert_uint_eq(rtp_src_expected(&s), 20);
	ck_assert_int_eq(rtp_src_lost(&s), 0);
	/* A reordered packet from before the wrap does not count a cycle. */
	ck_assert_int_eq(rtp_src_seq(&s, 65535), 0);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 65536 + 13);
	ck_assert_int_eq(rtp_src_lost(&s), -1); /* a duplicate: received > expected */
	/* A gap across the next wrap is loss. */
	for (uint32_t i = 14; i < 65536; i += 2000)
		ck_assert_int_eq(rtp_src_seq(&s, (uint16_t)i), 0);
	ck_assert_int_eq(rtp_src_seq(&s, 5), 0);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 2 * 65536 + 5);
}
END_TEST

/* Duplicates and reordering within RTP_MAX_MISORDER are used and counted. */
START_TEST(test_src_dup_reorder)
{
	struct rtp_src s;

	rtp_src_init(&s, 100, 8000);
	feed(&s, 100, 10, NULL, 0);
	ck_assert_int_eq(rtp_src_seq(&s, 109), 0); /* duplicate of the highest */
	ck_assert_int_eq(rtp_src_seq(&s, 105), 0); /* duplicate from behind */
	ck_assert_uint_eq(rtp_src_received(&s), 12);
	ck_assert_uint_eq(rtp_src_expected(&s), 10);
	ck_assert_int_eq(rtp_src_lost(&s), -2);
	ck_assert_uint_eq(rtp_src_fraction(&s), 0);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 109);
	/* 111 before 110. */
	ck_assert_int_eq(rtp_src_seq(&s, 111), 0);
	ck_assert_int_eq(rtp_src_seq(&s, 110), 0);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 111);
	/* Less than RTP_MAX_MISORDER behind: still reordered. */
	ck_assert_int_eq(rtp_src_seq(&s, 111 - (RTP_MAX_MISORDER - 1)), 0);
	/* RTP_MAX_MISORDER behind: a jump (A.1: udelta <= RTP_SEQ_MOD - MAX_MISORDER). */
	ck_assert_int_eq(rtp_src_seq(&s, 111 - RTP_MAX_MISORDER), -1);
	ck_assert_uint_eq(rtp_src_received(&s), 15);
}
END_TEST

/* A.1: a jump is taken only when the next packet confirms it; the counts go on. */
START_TEST(test_src_jump)
{
	struct rtp_src s;

	rtp_src_init(&s, 1, 8000);
	feed(&s, 1, 50, (const int[]){7}, 1); /* 1..50, 8 lost */
	ck_assert_uint_eq(rtp_src_expected(&s), 50);
	ck_assert_uint_eq(rtp_src_fraction(&s), (1 << 8) / 50);
	/* A gap of RTP_MAX_DROPOUT - 1 is loss. */
	ck_assert_int_eq(rtp_src_seq(&s, 50 + RTP_MAX_DROPOUT - 1), 0);
	ck_assert_uint_eq(rtp_src_expected(&s), 50 + RTP_MAX_DROPOUT - 1);
	rtp_src_init(&s, 1, 8000);
	feed(&s, 1, 50, (const int[]){7}, 1);
	rtp_src_fraction(&s);
	/* RTP_MAX_DROPOUT: a jump, not counted. */
	ck_assert_int_eq(rtp_src_seq(&s, 50 + RTP_MAX_DROPOUT), -1);
	ck_assert_uint_eq(rtp_src_expected(&s), 50);
	ck_assert_uint_eq(rtp_src_received(&s), 49);
	/* The stream goes on where it was: the jump was a stray. */
	ck_assert_int_eq(rtp_src_seq(&s, 51), 0);
	ck_assert_int_eq(rtp_src_seq(&s, 20000), -1);
	/* Confirmed by 20001: a new numbering, old counts kept. */
	ck_assert_int_eq(rtp_src_seq(&s, 20001), 0);
	ck_assert_uint_eq(rtp_src_ext_max(&s), 20001);
	ck_assert_uint_eq(rtp_src_expected(&s), 51 + 1);
	ck_assert_uint_eq(rtp_src_received(&s), 50 + 1);
	ck_assert_int_eq(rtp_src_lost(&s), 1);
	ck_assert_int_eq(rtp_src_seq(&s, 20003), 0);
	ck_assert_uint_eq(rtp_src_expected(&s), 51 + 3);
	ck_assert_int_eq(rtp_src_lost(&s), 2);
	/* The interval since the last fraction: 51, 20001..20003 expected (4), 1 lost. */
	ck_assert_uint_eq(rtp_src_fraction(&s), (1 << 8) / 4);
	/* A jump back to the old numbering is a jump again. */
	ck_assert_int_eq(rtp_src_seq(&s, 52), -1);
	ck_assert_int_eq(rtp_src_seq(&s, 60), -1); /* not 53: not a confirmation */
	ck_assert_uint_eq(rtp_src_ext_max(&s), 20003);
}
END_TEST

/* A.3: lost is 24-bit signed in a report block. */
START_TEST(test_src_lost_clamp)
{
	struct rtp_src s;

	rtp_src_init(&s, 1, 8000);
	feed(&s, 1, 3, NULL, 0);
	s.acc_expected = 0x7fffff;
	ck_assert_int_eq(rtp_src_lost(&s), 0x7fffff);
	s.acc_expected = 0x800000;
	ck_assert_int_eq(rtp_src_lost(&s), 0x7fffff);
	s.acc_expected = 0;
	s.acc_received = 0x800000;
	ck_assert_int_eq(rtp_src_lost(&s), -0x800000);
	s.acc_received = 0x900000;
	ck_assert_int_eq(rtp_src_lost(&s), -0x800000);
}
END_TEST

/* A.8, worked: packets 20 ms (160 units) apart arriving alternately on time and 5 ms late. */
START_TEST(test_src_jitter)
{
	struct rtp_src s;
	double ref = 0;
	uint32_t j16;

	rtp_src_init(&s, 1, 8000);
	ck_assert_uint_eq(rtp_src_jitter(&s), 0);
	/* The first arrival sets the reference only. */
	rtp_src_arrival(&s, 1000, 1000000);
	ck_assert_uint_eq(rtp_src_jitter(&s), 0);
	/* D = 5 ms = 40 units: J = 40 / 16 = 2.5 units = 0.3125 ms. */
	rtp_src_arrival(&s, 1160, 1025000);
	ck_assert_uint_eq(rtp_src_jitter(&s), 2);
	ck_assert_double_eq_tol(rtp_src_jitter_ms(&s), 0.3125, 1e-9);
	ref = 2.5;
	j16 = 40;
	/*
	 * J += (|D| - J) / 16 converges to 40 units = 5 ms.  The report is
	 * exactly A.8's integer code (jitter += d - ((jitter + 8) >> 4),
	 * reported >> 4), which stays within a unit of the real one.
	 */
	for (int i = 2; i < 400; i++) {
		uint64_t at = 1000000 + (uint64_t)i * 20000 + (i % 2 ? 5000 : 0);

		rtp_src_arrival(&s, 1000 + (uint32_t)i * 160, at);
		ref += (40 - ref) / 16;
		j16 += 40 - ((j16 + 8) >> 4);
		ck_assert_uint_eq(rtp_src_jitter(&s), j16 >> 4);
		ck_assert_double_eq_tol(rtp_src_jitter_ms(&s) * 8, ref, 1.0);
	}
	ck_assert_uint_ge(rtp_src_jitter(&s), 39);
	ck_assert_uint_le(rtp_src_jitter(&s), 40);
	ck_assert_double_eq_tol(rtp_src_jitter_ms(&s), 5.0, 0.125);
}
END_TEST

/* Steady arrival is no jitter, across the timestamp wrap and a 64-bit clock. */
START_TEST(test_src_jitter_steady)
{
	struct rtp_src s;
	uint64_t t0 = UINT64_C(1) << 62; /* microseconds: * rate would overflow 64 bits */

	rtp_src_init(&s, 1, 0); /* rate 0: 8000 */
	ck_assert_uint_eq(s.rate, 8000);
	for (uint32_t i = 0; i < 100; i++)
		rtp_src_arrival(&s, 0xffffff00u + i * 160, t0 + i * 20000);
	ck_assert_uint_eq(rtp_src_jitter(&s), 0);
	ck_assert_double_eq(rtp_src_jitter_ms(&s), 0);
}
END_TEST

/* A timestamp discontinuity (>= 3 s of transit change) is not jitter. */
START_TEST(test_src_jitter_jump)
{
	struct rtp_src s;

	rtp_src_init(&s, 1, 8000);
	rtp_src_arrival(&s, 0, 0);
	rtp_src_arrival(&s, 160 + 3 * 8000, 20000); /* 3 s ahead */
	ck_assert_uint_eq(rtp_src_jitter(&s), 0);
	/* Steady from there on the new reference. */
	rtp_src_arrival(&s, 320 + 3 * 8000, 40000);
	ck_assert_uint_eq(rtp_src_jitter(&s), 0);
	/* Just under 3 s is jitter: D = 23999, J = 23999 / 16. */
	rtp_src_arrival(&s, 480 + 3 * 8000 + 23999, 60000);
	ck_assert_uint_eq(rtp_src_jitter(&s), 23999 / 16);
	/* At 16 kHz a second is 16000 units; 3 s there is 48000. */
	rtp_src_init(&s, 1, 16000);
	rtp_src_arrival(&s, 0, 0);
	rtp_src_arrival(&s, 47999, 0);
	ck_assert_uint_eq(rtp_src_jitter(&s), 47999 / 16);
	ck_assert_double_eq_tol(rtp_src_jitter_ms(&s), 47999.0 / 16 / 16, 1e-9);
}
END_TEST

static Suite *rtp_suite(void)
{
	Suite *s = suite_create("rtp");
	TCase *tc = tcase_create("header");
	TCase *ts = tcase_create("source");

	tcase_add_test(tc, test_parse_plain);
	tcase_add_test(tc, test_parse_csrc_ext);
	tcase_add_test(tc, test_parse_padding);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_write_hdr);
	tcase_add_test(tc, test_is_rtcp);
	suite_add_tcase(s, tc);
	tcase_add_test(ts, test_src_probation);
	tcase_add_test(ts, test_src_loss);
	tcase_add_test(ts, test_src_wrap);
	tcase_add_test(ts, test_src_dup_reorder);
	tcase_add_test(ts, test_src_jump);
	tcase_add_test(ts, test_src_lost_clamp);
	tcase_add_test(ts, test_src_jitter);
	tcase_add_test(ts, test_src_jitter_steady);
	tcase_add_test(ts, test_src_jitter_jump);
	suite_add_tcase(s, ts);
	return s;
}

int main(void)
{
	return check_run(rtp_suite());
}
