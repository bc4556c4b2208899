/*
 * check_rtcp: RTCP compound packets of src/media/rtcp.c, built byte for
 * byte against RFC 3550 §6.4-6.6, parsed back, and refused when A.2's
 * validity checks fail; the NTP, round-trip and interval arithmetic.
 *
 * Every packet is parsed from a heap block of exactly its length, so
 * that a read past len is an AddressSanitizer error in the sanitizer
 * build.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"

#include "check_run.h"

static int parse(const uint8_t *buf, size_t len, uint32_t ours, struct rtcp_info *out)
{
	uint8_t *p = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(p);
	memcpy(p, buf, len);
	rc = rtcp_parse(p, len, ours, out);
	free(p);
	return rc;
}

/* A receiver report with no block, CNAME "a@b". */
START_TEST(test_build_rr)
{
	struct rtcp_report r = {.ssrc = 0x01020304, .cname = "a@b"};
	uint8_t b[64];
	const uint8_t want[] = {
	    /* RR: V=2 RC=0, PT 201, length 1 word + 1 */
	    0x80, 201, 0, 1, 1, 2, 3, 4,
	    /* SDES: SC=1, PT 202, length 3: SSRC, CNAME=1 len 3 "a@b", null, pad to 4 */
	    0x81, 202, 0, 3, 1, 2, 3, 4, 1, 3, 'a', '@', 'b', 0, 0, 0};

	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, false, NULL), sizeof(want));
	ck_assert_mem_eq(b, want, sizeof(want));
}
END_TEST

/* A sender report with a block about the peer. */
START_TEST(test_build_sr)
{
	struct rtcp_report r = {
	    .ssrc = 0xaabbccdd,
	    .cname = "sipuad@host",
	    .sender = true,
	    .ntp = 0x1122334455667788,
	    .rtp_ts = 0x99aabbcc,
	    .packets = 250,
	    .octets = 40000,
	    .have_block = true,
	    .peer_ssrc = 0x0badf00d,
	    .fraction = 25,
	    .lost = 6,
	    .ext_max = 0x00010005,
	    .jitter = 40,
	    .lsr = 0xb7052000,
	    .dlsr = 0x00054000,
	};
	uint8_t b[RTCP_MAX];
	/* clang-format off */
	const uint8_t sr[] = {
	    /* RC 1, PT 200, length 12 (13 words), SSRC */
	    0x81, 0xc8, 0x00, 0x0c, 0xaa, 0xbb, 0xcc, 0xdd,
	    /* NTP */
	    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	    /* RTP timestamp, packets 250 */
	    0x99, 0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x00, 0xfa,
	    /* octets 40000, block: SSRC */
	    0x00, 0x00, 0x9c, 0x40, 0x0b, 0xad, 0xf0, 0x0d,
	    /* fraction 25, lost 6, extended highest sequence number */
	    0x19, 0x00, 0x00, 0x06, 0x00, 0x01, 0x00, 0x05,
	    /* jitter 40, LSR */
	    0x00, 0x00, 0x00, 0x28, 0xb7, 0x05, 0x20, 0x00,
	    /* DLSR */
	    0x00, 0x05, 0x40, 0x00};
	/* clang-format on */
	/* SDES: 11 octets of CNAME: 2 + 11 + 1 = 14, padded to 16; 4 + 4 + 16 = 24. */
	size_t n = rtcp_build(b, sizeof(b), &r, false, NULL);

	ck_assert_uint_eq(n, sizeof(sr) + 24);
	ck_assert_mem_eq(b, sr, sizeof(sr));
	ck_assert_uint_eq(b[52], 0x81);
	ck_assert_uint_eq(b[53], 202);
	ck_assert_uint_eq(b[55], 5);
	ck_assert_uint_eq(b[60], 1);
	ck_assert_uint_eq(b[61], 11);
	ck_assert_mem_eq(b + 62, "sipuad@host\0\0\0", 14);
}
END_TEST

/* Lost is 24-bit two's complement, clamped. */
START_TEST(test_build_lost)
{
	struct rtcp_report r = {.ssrc = 1, .cname = "x", .have_block = true, .fraction = 255};
	uint8_t b[RTCP_MAX];
	const struct {
		int32_t lost;
		uint8_t w[4];
	} cases[] = {
	    {-1, {255, 0xff, 0xff, 0xff}},	  {0x7fffff, {255, 0x7f, 0xff, 0xff}},
	    {0x800000, {255, 0x7f, 0xff, 0xff}},  {-0x800000, {255, 0x80, 0x00, 0x00}},
	    {-0x900000, {255, 0x80, 0x00, 0x00}}, {0, {255, 0, 0, 0}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.lost = cases[i].lost;
		ck_assert_uint_gt(rtcp_build(b, sizeof(b), &r, false, NULL), 0);
		ck_assert_mem_eq(b + 12, cases[i].w, 4);
	}
}
END_TEST

/* BYE after the SDES, with and without a reason. */
START_TEST(test_build_bye)
{
	struct rtcp_report r = {.ssrc = 0x01020304, .cname = "a@b"};
	uint8_t b[RTCP_MAX];
	const uint8_t bye[] = {0x81, 203, 0, 3, 1, 2, 3, 4, 4, 'd', 'o', 'n', 'e', 0, 0, 0};
	const uint8_t bye0[] = {0x81, 203, 0, 1, 1, 2, 3, 4};
	char why[301];

	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, true, "done"), 24 + sizeof(bye));
	ck_assert_mem_eq(b + 24, bye, sizeof(bye));
	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, true, NULL), 24 + sizeof(bye0));
	ck_assert_mem_eq(b + 24, bye0, sizeof(bye0));
	/* An empty reason is no reason. */
	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, true, ""), 24 + 8);
	/* A reason is ignored without bye. */
	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, false, "done"), 24);
	/* 300 octets are cut to 255: 1 + 255 = 256, already a multiple of 4. */
	memset(why, 'w', 300);
	why[300] = '\0';
	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, true, why), 24 + 8 + 256);
	ck_assert_uint_eq(b[24 + 3], (8 + 256) / 4 - 1);
	ck_assert_uint_eq(b[24 + 8], 255);
	ck_assert_uint_eq(b[24 + 8 + 255], 'w');
}
END_TEST

/* The SDES chunk ends with at least one null octet, padded to 32 bits. */
START_TEST(test_build_cname_pad)
{
	struct rtcp_report r = {.ssrc = 7};
	uint8_t b[RTCP_MAX];
	char name[257];
	/* CNAME length: SDES packet length (4 + 4 + pad4(2 + len + 1)). */
	const size_t lens[][2] = {{1, 12}, {2, 16}, {4, 16}, {5, 16}, {6, 20}, {255, 268}};

	memset(name, 'n', sizeof(name));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		name[lens[i][0]] = '\0';
		r.cname = name;
		memset(b, 0xee, sizeof(b));
		ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, false, NULL), 8 + lens[i][1]);
		/* The octets after the text are null up to the end. */
		for (size_t k = 8 + 4 + 4 + 2 + lens[i][0]; k < 8 + lens[i][1]; k++)
			ck_assert_uint_eq(b[k], 0);
		name[lens[i][0]] = 'n';
	}
	/* No CNAME, an empty one, one over 255 octets: nothing built. */
	name[256] = '\0';
	r.cname = name;
	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, false, NULL), 0);
	r.cname = "";
	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, false, NULL), 0);
	r.cname = NULL;
	ck_assert_uint_eq(rtcp_build(b, sizeof(b), &r, false, NULL), 0);
	ck_assert_uint_eq(rtcp_build(b, sizeof(b), NULL, false, NULL), 0);
	r.cname = "x";
	ck_assert_uint_eq(rtcp_build(NULL, sizeof(b), &r, false, NULL), 0);
}
END_TEST

/* Too small: 0, and not an octet written. */
START_TEST(test_build_size)
{
	struct rtcp_report r = {.ssrc = 1, .cname = "a@b", .sender = true, .have_block = true};
	uint8_t b[RTCP_MAX], copy[RTCP_MAX];
	size_t n;
	char name[101], why[101];

	n = rtcp_build(b, sizeof(b), &r, true, "bye");
	/* SR with a block, SDES (4 + 4 + 8), BYE (4 + 4 + 4). */
	ck_assert_uint_eq(n, 52 + 16 + 12);
	memset(b, 0xee, sizeof(b));
	memcpy(copy, b, sizeof(b));
	ck_assert_uint_eq(rtcp_build(b, n - 1, &r, true, "bye"), 0);
	ck_assert_mem_eq(b, copy, sizeof(b));
	ck_assert_uint_eq(rtcp_build(b, 0, &r, true, "bye"), 0);
	ck_assert_uint_eq(rtcp_build(b, n, &r, true, "bye"), n);
	/* RTCP_MAX holds an SR with a block, a 100-octet CNAME and a 100-octet reason. */
	memset(name, 'c', 100);
	name[100] = '\0';
	memset(why, 'r', 100);
	why[100] = '\0';
	r.cname = name;
	n = rtcp_build(b, RTCP_MAX, &r, true, why);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, RTCP_MAX);
}
END_TEST

/* What we build, the peer's parser reads: SR and block, RR, BYE. */
START_TEST(test_round_trip)
{
	struct rtcp_report r = {
	    .ssrc = 0xaabbccdd,
	    .cname = "u@h",
	    .sender = true,
	    .ntp = 0xe1e2e3e4e5e6e7e8,
	    .rtp_ts = 123456,
	    .packets = 7,
	    .octets = 1120,
	    .have_block = true,
	    .peer_ssrc = 42,
	    .fraction = 12,
	    .lost = -3,
	    .ext_max = 70000,
	    .jitter = 99,
	    .lsr = 0x12345678,
	    .dlsr = 0x9abc,
	};
	struct rtcp_info in;
	uint8_t b[RTCP_MAX];
	size_t n = rtcp_build(b, sizeof(b), &r, false, NULL);

	ck_assert_int_eq(parse(b, n, 42, &in), 0);
	ck_assert_uint_eq(in.ssrc, 0xaabbccdd);
	ck_assert(in.sr);
	ck_assert_uint_eq(in.ntp, 0xe1e2e3e4e5e6e7e8);
	ck_assert_uint_eq(in.rtp_ts, 123456);
	ck_assert_uint_eq(in.packets, 7);
	ck_assert_uint_eq(in.octets, 1120);
	ck_assert(in.have_block);
	ck_assert_uint_eq(in.fraction, 12);
	ck_assert_int_eq(in.lost, -3);
	ck_assert_uint_eq(in.ext_max, 70000);
	ck_assert_uint_eq(in.jitter, 99);
	ck_assert_uint_eq(in.lsr, 0x12345678);
	ck_assert_uint_eq(in.dlsr, 0x9abc);
	ck_assert(!in.bye);

	/* A block about another source is not ours. */
	ck_assert_int_eq(parse(b, n, 43, &in), 0);
	ck_assert(!in.have_block);
	ck_assert_uint_eq(in.lost, 0);

	/* RR and BYE. */
	r.sender = false;
	n = rtcp_build(b, sizeof(b), &r, true, "hangup");
	ck_assert_int_eq(parse(b, n, 42, &in), 0);
	ck_assert(!in.sr);
	ck_assert_uint_eq(in.ntp, 0);
	ck_assert(in.have_block);
	ck_assert_int_eq(in.lost, -3);
	ck_assert(in.bye);
}
END_TEST

/* RR header with count rc and length words - 1, SSRC 0x11111111. */
static size_t rr(uint8_t *p, unsigned rc, uint16_t length)
{
	p[0] = (uint8_t)(0x80 | rc);
	p[1] = 201;
	p[2] = (uint8_t)(length >> 8);
	p[3] = (uint8_t)length;
	p[4] = p[5] = p[6] = p[7] = 0x11;
	return 8;
}

/* A report block about ssrc at p with lost's 3 octets. */
static void block(uint8_t *p, uint32_t ssrc, uint8_t l0, uint8_t l1, uint8_t l2)
{
	memset(p, 0, 24);
	p[0] = (uint8_t)(ssrc >> 24), p[1] = (uint8_t)(ssrc >> 16);
	p[2] = (uint8_t)(ssrc >> 8), p[3] = (uint8_t)ssrc;
	p[4] = 77, p[5] = l0, p[6] = l1, p[7] = l2;
	p[11] = 9; /* ext max */
}

/* Several blocks: ours is found wherever it is; lost is sign-extended. */
START_TEST(test_parse_blocks)
{
	uint8_t b[8 + 3 * 24];
	struct rtcp_info in;
	const struct {
		uint8_t l[3];
		int32_t lost;
	} cases[] = {
	    {{0xff, 0xff, 0xff}, -1},
	    {{0x80, 0x00, 0x00}, -0x800000},
	    {{0x7f, 0xff, 0xff}, 0x7fffff},
	    {{0x00, 0x01, 0x00}, 256},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rr(b, 3, 1 + 3 * 6);
		block(b + 8, 5, 0, 0, 1);
		block(b + 32, 6, cases[i].l[0], cases[i].l[1], cases[i].l[2]);
		block(b + 56, 6, 0, 0, 2); /* a second block about 6: the first one counts */
		ck_assert_int_eq(parse(b, sizeof(b), 6, &in), 0);
		ck_assert_uint_eq(in.ssrc, 0x11111111);
		ck_assert(in.have_block);
		ck_assert_uint_eq(in.fraction, 77);
		ck_assert_int_eq(in.lost, cases[i].lost);
		ck_assert_uint_eq(in.ext_max, 9);
	}
	ck_assert_int_eq(parse(b, sizeof(b), 5, &in), 0);
	ck_assert_int_eq(in.lost, 1);
	ck_assert_int_eq(parse(b, sizeof(b), 7, &in), 0);
	ck_assert(!in.have_block);
}
END_TEST

/* A.2 framing and each packet's own length: -EBADMSG, *out untouched. */
START_TEST(test_parse_bad)
{
	uint8_t b[64], sentinel[sizeof(struct rtcp_info)];
	struct rtcp_info in;

	memset(&in, 0x5a, sizeof(in));
	memcpy(sentinel, &in, sizeof(in));
	memset(b, 0, sizeof(b));

	rr(b, 0, 1);
	ck_assert_int_eq(parse(b, 8, 1, &in), 0);
	memset(&in, 0x5a, sizeof(in));
	/* Too short, not whole words. */
	for (size_t len = 0; len < 8; len++)
		ck_assert_int_eq(parse(b, len, 1, &in), -EBADMSG);
	b[8] = 0x80; /* a read of the next header would go past len */
	ck_assert_int_eq(parse(b, 10, 1, &in), -EBADMSG);
	b[8] = 0;
	/* Lengths that do not add up: too long, too short (trailing words). */
	rr(b, 0, 2);
	ck_assert_int_eq(parse(b, 8, 1, &in), -EBADMSG);
	rr(b, 0, 1);
	ck_assert_int_eq(parse(b, 12, 1, &in), -EBADMSG); /* 4 octets of zeros: version 0 */
	b[8] = 0x80, b[9] = 202, b[10] = 0, b[11] = 0;	  /* an empty SDES: fine */
	ck_assert_int_eq(parse(b, 12, 1, &in), 0);
	memset(&in, 0x5a, sizeof(in));
	b[11] = 1; /* its length goes past the end */
	ck_assert_int_eq(parse(b, 12, 1, &in), -EBADMSG);
	b[11] = 0;
	b[8] = 0x40; /* version 1 in the second packet */
	ck_assert_int_eq(parse(b, 12, 1, &in), -EBADMSG);
	b[8] = 0x80;
	/* Version of the first. */
	b[0] = 0x40;
	ck_assert_int_eq(parse(b, 12, 1, &in), -EBADMSG);
	b[0] = 0xc0;
	ck_assert_int_eq(parse(b, 12, 1, &in), -EBADMSG);
	b[0] = 0x80;
	/* The first must be SR or RR. */
	for (int pt = 192; pt < 224; pt++) {
		if (pt == 200 || pt == 201)
			continue;
		b[1] = (uint8_t)pt;
		ck_assert_int_eq(parse(b, 12, 1, &in), -EBADMSG);
	}
	b[1] = 201;
	/*
	 * Padding on the first of two, whose count (the last octet) would
	 * fit: an RR with a word of extension (§6.4.2), then a second RR,
	 * from another SSRC: the sender is the first packet's.
	 */
	rr(b, 0, 2);
	memset(b + 8, 0, 4);
	rr(b + 12, 0, 1);
	b[16] = b[17] = b[18] = 0x22;
	b[19] = 4;
	ck_assert_int_eq(parse(b, 20, 1, &in), 0);
	ck_assert_uint_eq(in.ssrc, 0x11111111);
	memset(&in, 0x5a, sizeof(in));
	b[0] = 0xa0;
	ck_assert_int_eq(parse(b, 20, 1, &in), -EBADMSG);
	b[0] = 0x80;
	/* RC beyond the length: one block announced, none there; an SR too short for its sender
	 * info. */
	rr(b, 1, 1);
	ck_assert_int_eq(parse(b, 8, 1, &in), -EBADMSG);
	b[0] = 0x80, b[1] = 200, b[3] = 5;
	memset(b + 8, 0, 16);
	ck_assert_int_eq(parse(b, 24, 1, &in), -EBADMSG); /* 20 octets of body, 24 needed */
	b[3] = 6;
	memset(b + 24, 0, 4);
	ck_assert_int_eq(parse(b, 28, 1, &in), 0);
	memset(&in, 0x5a, sizeof(in));
	/* A BYE whose source count is beyond its length. */
	rr(b, 0, 1);
	b[8] = 0x82, b[9] = 203, b[10] = 0, b[11] = 1;
	b[12] = b[13] = b[14] = b[15] = 0x11;
	ck_assert_int_eq(parse(b, 16, 1, &in), -EBADMSG);
	b[8] = 0x81;
	ck_assert_int_eq(parse(b, 16, 1, &in), 0);
	ck_assert(in.bye);
	memset(&in, 0x5a, sizeof(in));
	/* A length field of 0xffff. */
	rr(b, 0, 0xffff);
	ck_assert_int_eq(parse(b, 64, 1, &in), -EBADMSG);
	ck_assert_mem_eq(&in, sentinel, sizeof(in));
	/* NULL. */
	rr(b, 0, 1);
	ck_assert_int_eq(rtcp_parse(NULL, 8, 1, &in), -EBADMSG);
	ck_assert_int_eq(rtcp_parse(b, 8, 1, NULL), -EBADMSG);
}
END_TEST

/* Padding on the last packet: its count must be 1.. and fit after the header. */
START_TEST(test_parse_padding)
{
	uint8_t b[36];
	struct rtcp_info in;

	/* The first is the last: padding allowed.  A block, then a word of padding. */
	rr(b, 1, 1 + 6 + 1);
	b[0] |= 0x20;
	block(b + 8, 3, 0, 0, 5);
	memset(b + 32, 0, 4);
	b[35] = 4;
	ck_assert_int_eq(parse(b, 36, 3, &in), 0);
	ck_assert(in.have_block);
	ck_assert_int_eq(in.lost, 5);
	/* The length says 36. */
	ck_assert_int_eq(parse(b, 32, 3, &in), -EBADMSG);
	/* Padding that eats the block: RC no longer fits. */
	b[35] = 8;
	ck_assert_int_eq(parse(b, 36, 3, &in), -EBADMSG);
	/* RC 0: all but the SSRC may be padding (28); 32 eats the SSRC, 33 the header. */
	b[0] = 0xa0;
	b[35] = 28;
	ck_assert_int_eq(parse(b, 36, 3, &in), 0);
	ck_assert(!in.have_block);
	ck_assert_uint_eq(in.ssrc, 0x11111111);
	b[35] = 32;
	ck_assert_int_eq(parse(b, 36, 3, &in), -EBADMSG);
	b[35] = 33;
	ck_assert_int_eq(parse(b, 36, 3, &in), -EBADMSG);
	/* A count of 0. */
	b[35] = 0;
	ck_assert_int_eq(parse(b, 36, 3, &in), -EBADMSG);
	/* Padding on the last of two: RR, then an SDES padded by one word. */
	rr(b, 0, 1);
	b[8] = 0xa1, b[9] = 202, b[10] = 0, b[11] = 3;
	memset(b + 12, 0, 12);
	b[16] = 1, b[17] = 1, b[18] = 'x';
	b[23] = 4;
	ck_assert_int_eq(parse(b, 24, 3, &in), 0);
	b[23] = 13; /* more than the SDES body (12) */
	ck_assert_int_eq(parse(b, 24, 3, &in), -EBADMSG);
}
END_TEST

/* SDES, APP, feedback and unknown types are skipped; only SR/RR/BYE matter. */
START_TEST(test_parse_skips)
{
	uint8_t b[8 + 12 + 8 + 8];
	struct rtcp_info in;

	rr(b, 0, 1);
	b[8] = 0x80, b[9] = 204, b[10] = 0, b[11] = 2; /* APP: SSRC, name */
	memset(b + 12, 'a', 8);
	b[20] = 0x8f, b[21] = 206, b[22] = 0, b[23] = 1; /* PSFB with FMT 15 */
	memset(b + 24, 0, 4);
	b[28] = 0x80, b[29] = 207, b[30] = 0, b[31] = 1; /* XR */
	memset(b + 32, 0, 4);
	ck_assert_int_eq(parse(b, sizeof(b), 1, &in), 0);
	ck_assert_uint_eq(in.ssrc, 0x11111111);
	ck_assert(!in.sr);
	ck_assert(!in.bye);
	ck_assert(!in.have_block);
}
END_TEST

START_TEST(test_ntp)
{
	ck_assert_uint_eq(rtcp_ntp_mid(0x1122334455667788), 0x33445566);
	ck_assert_uint_eq(rtcp_ntp_mid(0), 0);
	/* The Unix epoch is 2208988800 s after NTP's. */
	ck_assert_uint_eq(rtcp_ntp_of_us(0), UINT64_C(2208988800) << 32);
	/* .5 s is half of 2^32 of fraction. */
	ck_assert_uint_eq(rtcp_ntp_of_us(1500000), (UINT64_C(2208988801) << 32) | 0x80000000);
	/* 2023-11-14 22:13:20.25 UTC: 1700000000 + 2208988800 = 3908988800 s, .25 = 0x40000000. */
	ck_assert_uint_eq(rtcp_ntp_of_us(UINT64_C(1700000000250000)),
			  (UINT64_C(3908988800) << 32) | 0x40000000);
	/* 1 µs = 2^32 / 10^6 = 4294.97: 4294. */
	ck_assert_uint_eq(rtcp_ntp_of_us(1) & 0xffffffff, 4294);
	/* 999999 µs stays below the next second. */
	ck_assert_uint_eq(rtcp_ntp_of_us(999999) >> 32, UINT64_C(2208988800));
}
END_TEST

/* §6.4.1's worked example: A 0xb710:8000, LSR 0xb705:2000, DLSR 0x0005:4000: 6.125 s. */
START_TEST(test_rtt)
{
	ck_assert_double_eq_tol(rtcp_rtt_ms(0xb7052000, 0x00054000, 0xb7108000), 6125.0, 1e-9);
	/* No SR seen yet. */
	ck_assert_double_eq(rtcp_rtt_ms(0, 0x00054000, 0xb7108000), -1);
	/* The delay since exceeds the time since: negative, -1. */
	ck_assert_double_eq(rtcp_rtt_ms(0xb7052000, 0x000b6001, 0xb7108000), -1);
	/* Exactly 0. */
	ck_assert_double_eq(rtcp_rtt_ms(0xb7052000, 0x000b6000, 0xb7108000), 0);
	/* Across the wrap of the middle 32 bits: 0x2000 / 65536 s = 125 ms. */
	ck_assert_double_eq_tol(rtcp_rtt_ms(0xfffff000, 0, 0x00001000), 125.0, 1e-9);
	/* A report from the future (our clock stepped back): negative, -1. */
	ck_assert_double_eq(rtcp_rtt_ms(0x00010000, 0, 0x0000ffff), -1);
	/* From NTP timestamps: 40 ms apart, 10 ms held by the peer: 30 ms (to 1/65536 s). */
	ck_assert_double_eq_tol(rtcp_rtt_ms(rtcp_ntp_mid(rtcp_ntp_of_us(1000000000)),
					    655 /* 10 ms */,
					    rtcp_ntp_mid(rtcp_ntp_of_us(1000040000))),
				30.0, 0.05);
}
END_TEST

/* [0.5, 1.5) x 5 s, spread over the whole range. */
START_TEST(test_interval)
{
	unsigned lo = ~0u, hi = 0;
	double sum = 0;

	for (int i = 0; i < 2000; i++) {
		unsigned v = rtcp_interval_ms();

		ck_assert_uint_ge(v, 2500);
		ck_assert_uint_lt(v, 7500);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		sum += v;
	}
	/* 2000 uniform draws: the chance of none below 2750 is 0.95^2000, about 1e-45. */
	ck_assert_uint_lt(lo, 2750);
	ck_assert_uint_gt(hi, 7250);
	ck_assert_double_eq_tol(sum / 2000, 5000, 250);
}
END_TEST

static Suite *rtcp_suite(void)
{
	Suite *s = suite_create("rtcp");
	TCase *tb = tcase_create("build");
	TCase *tp = tcase_create("parse");
	TCase *tt = tcase_create("time");

	tcase_add_test(tb, test_build_rr);
	tcase_add_test(tb, test_build_sr);
	tcase_add_test(tb, test_build_lost);
	tcase_add_test(tb, test_build_bye);
	tcase_add_test(tb, test_build_cname_pad);
	tcase_add_test(tb, test_build_size);
	suite_add_tcase(s, tb);
	tcase_add_test(tp, test_round_trip);
	tcase_add_test(tp, test_parse_blocks);
	tcase_add_test(tp, test_parse_bad);
	tcase_add_test(tp, test_parse_padding);
	tcase_add_test(tp, test_parse_skips);
	suite_add_tcase(s, tp);
	tcase_add_test(tt, test_ntp);
	tcase_add_test(tt, test_rtt);
	tcase_add_test(tt, test_interval);
	suite_add_tcase(s, tt);
	return s;
}

int main(void)
{
	return check_run(rtcp_suite());
}
