/*
 * check_msrtp: one call's SRTP and SRTCP (src/media/msrtp.c) over
 * libsrtp2, for each of the four SDES suites.
 *
 * Two ends A and B hold the same two keys swapped, as the two sides of a
 * call do after offer/answer: what A protects, B unprotects.  The suite
 * mapping is checked against libsrtp2's own known-answer packets
 * (test/srtp_driver.c: srtp_validate, srtp_validate_gcm), so that a
 * wrong policy cannot pass by being wrong on both ends alike.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "media/msrtp.h"
#include "media/sdes.h"

#include "check_run.h"

#define BUF 1024

/* A 4-byte-aligned packet buffer. */
union pkt {
	uint32_t align;
	uint8_t b[BUF];
};

/* Bytes added to RTP (the tag) and RTCP (E flag + index, and the tag). */
static const size_t rtp_tag[SDES_SUITE_COUNT] = {10, 4, 16, 16};
static const size_t rtcp_trailer[SDES_SUITE_COUNT] = {4 + 10, 4 + 10, 4 + 16, 4 + 16};

struct pair {
	struct sdes_key ka, kb;
	struct msrtp *a, *b; /* a sends with ka, b with kb */
};

static void pair_new(struct pair *p, enum sdes_suite s)
{
	ck_assert_int_eq(msrtp_global_init(), 0);
	ck_assert_int_eq(sdes_key_new(&p->ka, s), 0);
	ck_assert_int_eq(sdes_key_new(&p->kb, s), 0);
	p->a = p->b = NULL;
	ck_assert_int_eq(msrtp_new(&p->a, &p->ka, &p->kb), 0);
	ck_assert_int_eq(msrtp_new(&p->b, &p->kb, &p->ka), 0);
	ck_assert_ptr_nonnull(p->a);
	ck_assert_ptr_nonnull(p->b);
}

static void pair_free(struct pair *p)
{
	msrtp_free(p->a);
	msrtp_free(p->b);
	sdes_wipe(&p->ka);
	sdes_wipe(&p->kb);
}

/* An RTP packet (RFC 3550 §5.1): PCMU, seq, ssrc, and n bytes of payload; its length. */
static size_t rtp(union pkt *p, uint16_t seq, uint32_t ssrc, size_t n)
{
	uint32_t ts = 160u * seq;

	memset(p->b, 0, sizeof(p->b));
	p->b[0] = 0x80;
	p->b[1] = 0; /* PT 0 */
	p->b[2] = (uint8_t)(seq >> 8);
	p->b[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		p->b[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		p->b[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	for (size_t i = 0; i < n; i++)
		p->b[12 + i] = (uint8_t)(0x55 ^ i ^ seq);
	return 12 + n;
}

/* An RTCP receiver report with one report block (RFC 3550 §6.4.2); its length, 32. */
static size_t rtcp_rr(union pkt *p, uint32_t ssrc, uint8_t fill)
{
	memset(p->b, 0, sizeof(p->b));
	p->b[0] = 0x81; /* V=2, RC=1 */
	p->b[1] = 201;
	p->b[3] = 7; /* length in words - 1 */
	for (int i = 0; i < 4; i++)
		p->b[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	memset(p->b + 8, fill, 24);
	return 32;
}

START_TEST(test_rtp_round_trip)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt plain, wire;

	pair_new(&p, s);
	for (uint16_t seq = 1000; seq < 1010; seq++) {
		size_t n = rtp(&plain, seq, 0x11223344, 160), len = n;

		wire = plain;
		ck_assert_int_eq(msrtp_protect(p.a, wire.b, &len, sizeof(wire.b)), 0);
		ck_assert_uint_eq(len, n + rtp_tag[s]);
		/* The header travels in clear; the payload does not. */
		ck_assert_int_eq(memcmp(wire.b, plain.b, 12), 0);
		ck_assert_int_ne(memcmp(wire.b + 12, plain.b + 12, 160), 0);
		ck_assert_int_eq(msrtp_unprotect(p.b, wire.b, &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert_int_eq(memcmp(wire.b, plain.b, n), 0);
	}
	/* And the other way, on the other key. */
	{
		size_t n = rtp(&plain, 7, 0xdeadbeef, 20), len = n;

		wire = plain;
		ck_assert_int_eq(msrtp_protect(p.b, wire.b, &len, sizeof(wire.b)), 0);
		ck_assert_int_eq(msrtp_unprotect(p.a, wire.b, &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert_int_eq(memcmp(wire.b, plain.b, n), 0);
	}
	pair_free(&p);
}
END_TEST

START_TEST(test_rtcp_round_trip)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt plain, wire;

	pair_new(&p, s);
	for (int i = 0; i < 5; i++) {
		size_t n = rtcp_rr(&plain, 0x11223344, (uint8_t)(0xa0 + i)), len = n, idx;

		wire = plain;
		ck_assert_int_eq(msrtp_protect_rtcp(p.a, wire.b, &len, sizeof(wire.b)), 0);
		ck_assert_uint_eq(len, n + rtcp_trailer[s]);
		/* The first 8 bytes in clear (RFC 3711 §3.4), the rest encrypted. */
		ck_assert_int_eq(memcmp(wire.b, plain.b, 8), 0);
		ck_assert_int_ne(memcmp(wire.b + 8, plain.b + 8, n - 8), 0);
		/* E flag and SRTCP index 1, 2, ...: before the tag (RFC 3711 §3.4), after it for
		 * AEAD (RFC 7714 §9.3). */
		idx = s <= SDES_AES_CM_128_HMAC_SHA1_32 ? n : len - 4;
		ck_assert_uint_eq(wire.b[idx], 0x80);
		ck_assert_uint_eq(wire.b[idx + 1], 0);
		ck_assert_uint_eq(wire.b[idx + 2], 0);
		ck_assert_uint_eq(wire.b[idx + 3], i + 1);
		ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, wire.b, &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert_int_eq(memcmp(wire.b, plain.b, n), 0);
	}
	pair_free(&p);
}
END_TEST

/* Any bit flipped in the header, the payload or the tag: -EBADMSG; then a good packet still passes.
 */
START_TEST(test_tampered)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt plain, wire, copy;
	size_t n = rtp(&plain, 42, 0x01020304, 160), len = n, l;
	const size_t at[] = {3, 9, 12, 100, n - 1, n, n + rtp_tag[s] - 1};

	pair_new(&p, s);
	wire = plain;
	ck_assert_int_eq(msrtp_protect(p.a, wire.b, &len, sizeof(wire.b)), 0);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		copy = wire;
		copy.b[at[i]] ^= 0x10;
		l = len;
		ck_assert_msg(msrtp_unprotect(p.b, copy.b, &l) == -EBADMSG, "byte %zu", at[i]);
		ck_assert_uint_eq(l, len);
	}
	/* Cut short by a byte: the tag no longer matches. */
	copy = wire;
	l = len - 1;
	ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l), -EBADMSG);
	/* The failures did not enter the replay window. */
	copy = wire;
	l = len;
	ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l), 0);
	ck_assert_int_eq(memcmp(copy.b, plain.b, n), 0);

	/* SRTCP: body, E/index and tag. */
	n = rtcp_rr(&plain, 0x01020304, 0x77);
	len = n;
	wire = plain;
	ck_assert_int_eq(msrtp_protect_rtcp(p.a, wire.b, &len, sizeof(wire.b)), 0);
	{
		/* Header, SSRC, body, E flag, index, tag. */
		size_t idx = s <= SDES_AES_CM_128_HMAC_SHA1_32 ? n : len - 4;
		const size_t rat[] = {1, 4, 8, n - 1, idx, idx + 3, idx == n ? len - 1 : n};
		const uint8_t bit[] = {0x01, 0x01, 0x01, 0x01, 0x80, 0x01, 0x01};

		for (size_t i = 0; i < sizeof(rat) / sizeof(rat[0]); i++) {
			copy = wire;
			copy.b[rat[i]] ^= bit[i];
			l = len;
			ck_assert_msg(msrtp_unprotect_rtcp(p.b, copy.b, &l) == -EBADMSG, "byte %zu",
				      rat[i]);
		}
	}
	copy = wire;
	l = len;
	ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, copy.b, &l), 0);
	ck_assert_uint_eq(l, n);
	ck_assert_int_eq(memcmp(copy.b, plain.b, n), 0);
	pair_free(&p);
}
END_TEST

START_TEST(test_replay)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt plain, first, copy;
	size_t n = rtp(&plain, 500, 0xcafe0001, 160), len = n, l;

	pair_new(&p, s);
	first = plain;
	ck_assert_int_eq(msrtp_protect(p.a, first.b, &len, sizeof(first.b)), 0);
	copy = first;
	l = len;
	ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l), 0);
	/* The same packet again. */
	copy = first;
	l = len;
	ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l), -EALREADY);
	ck_assert_uint_eq(l, len);
	/* Sending the same sequence number twice under one key is refused. */
	copy = plain;
	l = n;
	ck_assert_int_eq(msrtp_protect(p.a, copy.b, &l, sizeof(copy.b)), -EALREADY);
	ck_assert_uint_eq(l, n);
	/* 200 packets later, with 650 held back: 650 passes once, 500 is too old. */
	{
		union pkt held;
		size_t hl = 0;

		for (uint16_t seq = 501; seq <= 700; seq++) {
			l = rtp(&copy, seq, 0xcafe0001, 20);
			ck_assert_int_eq(msrtp_protect(p.a, copy.b, &l, sizeof(copy.b)), 0);
			if (seq == 650) {
				held = copy;
				hl = l;
				continue;
			}
			ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l), 0);
		}
		copy = held;
		l = hl;
		ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l), 0);
		copy = held;
		l = hl;
		ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l), -EALREADY);
	}
	copy = first;
	l = len;
	ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l), -EALREADY);

	/* SRTCP replay. */
	n = rtcp_rr(&plain, 0xcafe0001, 1);
	len = n;
	first = plain;
	ck_assert_int_eq(msrtp_protect_rtcp(p.a, first.b, &len, sizeof(first.b)), 0);
	copy = first;
	l = len;
	ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, copy.b, &l), 0);
	copy = first;
	l = len;
	ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, copy.b, &l), -EALREADY);
	pair_free(&p);
}
END_TEST

/* A packet held back (sent 1, 3, 2) passes; an old one replayed does not. */
START_TEST(test_reorder)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt w[3], copy;
	size_t l[3];

	pair_new(&p, s);
	for (int i = 0; i < 3; i++) {
		l[i] = rtp(&w[i], (uint16_t)(65534 + i), 0x0badf00d, 40); /* wraps: ROC 0 -> 1 */
		ck_assert_int_eq(msrtp_protect(p.a, w[i].b, &l[i], sizeof(w[i].b)), 0);
	}
	ck_assert_int_eq(msrtp_unprotect(p.b, w[0].b, &l[0]), 0);
	copy = w[2];
	ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l[2]), 0);
	copy = w[1];
	ck_assert_int_eq(msrtp_unprotect(p.b, copy.b, &l[1]), 0);
	ck_assert_uint_eq(copy.b[2], 0xff);
	ck_assert_uint_eq(copy.b[3], 0xff);
	pair_free(&p);
}
END_TEST

START_TEST(test_wrong_key)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	struct sdes_key other;
	struct msrtp *c = NULL;
	union pkt plain, wire;
	size_t n = rtp(&plain, 1, 0x12345678, 160), len = n;

	pair_new(&p, s);
	ck_assert_int_eq(sdes_key_new(&other, s), 0);
	/* c expects A's packets under another key. */
	ck_assert_int_eq(msrtp_new(&c, &p.kb, &other), 0);
	wire = plain;
	ck_assert_int_eq(msrtp_protect(p.a, wire.b, &len, sizeof(wire.b)), 0);
	ck_assert_int_eq(msrtp_unprotect(c, wire.b, &len), -EBADMSG);
	/* A's own key cannot read what A sends either: directions are keyed apart. */
	ck_assert_int_eq(msrtp_unprotect(p.a, wire.b, &len), -EBADMSG);
	n = rtcp_rr(&plain, 0x12345678, 9);
	len = n;
	wire = plain;
	ck_assert_int_eq(msrtp_protect_rtcp(p.a, wire.b, &len, sizeof(wire.b)), 0);
	ck_assert_int_eq(msrtp_unprotect_rtcp(c, wire.b, &len), -EBADMSG);
	msrtp_free(c);
	sdes_wipe(&other);
	pair_free(&p);
}
END_TEST

/* Keys a byte apart (salt only) are different keys too. */
START_TEST(test_salt_matters)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	struct sdes_key salted;
	struct msrtp *c = NULL;
	union pkt wire;
	size_t len;

	pair_new(&p, s);
	salted = p.ka;
	salted.key[salted.len - 1] ^= 1;
	ck_assert_int_eq(msrtp_new(&c, &p.kb, &salted), 0);
	len = rtp(&wire, 9, 1, 160);
	ck_assert_int_eq(msrtp_protect(p.a, wire.b, &len, sizeof(wire.b)), 0);
	ck_assert_int_eq(msrtp_unprotect(c, wire.b, &len), -EBADMSG);
	msrtp_free(c);
	pair_free(&p);
}
END_TEST

/* The keys live on in libsrtp2: wiping the caller's copies changes nothing. */
START_TEST(test_keys_copied)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt plain, wire;
	size_t n, len;

	pair_new(&p, s);
	sdes_wipe(&p.ka);
	sdes_wipe(&p.kb);
	n = rtp(&plain, 3, 99, 160);
	len = n;
	wire = plain;
	ck_assert_int_eq(msrtp_protect(p.a, wire.b, &len, sizeof(wire.b)), 0);
	ck_assert_int_eq(msrtp_unprotect(p.b, wire.b, &len), 0);
	ck_assert_int_eq(memcmp(wire.b, plain.b, n), 0);
	pair_free(&p);
}
END_TEST

/* Several SSRCs on one session (ssrc_any_outbound / ssrc_any_inbound). */
START_TEST(test_many_ssrcs)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt plain, wire;

	pair_new(&p, s);
	for (uint32_t ssrc = 1; ssrc <= 4; ssrc++) {
		size_t n = rtp(&plain, 10, ssrc * 0x01010101u, 160), len = n;

		wire = plain;
		ck_assert_int_eq(msrtp_protect(p.a, wire.b, &len, sizeof(wire.b)), 0);
		ck_assert_int_eq(msrtp_unprotect(p.b, wire.b, &len), 0);
		ck_assert_int_eq(memcmp(wire.b, plain.b, n), 0);
	}
	pair_free(&p);
}
END_TEST

/* Exactly MSRTP_TRAILER spare bytes, in a heap block of that size (ASan sees any overrun). */
START_TEST(test_room)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt plain;
	size_t n = rtp(&plain, 77, 0xabcdef01, 160), len, size = n + MSRTP_TRAILER;
	uint8_t *buf = malloc(size + 64);

	ck_assert_ptr_nonnull(buf);
	pair_new(&p, s);
	/* One byte short: refused, nothing touched. */
	memset(buf, 0xee, size + 64);
	memcpy(buf, plain.b, n);
	len = n;
	ck_assert_int_eq(msrtp_protect(p.a, buf, &len, size - 1), -ENOSPC);
	ck_assert_uint_eq(len, n);
	ck_assert_int_eq(memcmp(buf, plain.b, n), 0);
	for (size_t i = n; i < size + 64; i++)
		ck_assert_uint_eq(buf[i], 0xee);
	len = n;
	ck_assert_int_eq(msrtp_protect(p.a, buf, &len, n), -ENOSPC);
	len = n;
	ck_assert_int_eq(msrtp_protect(p.a, buf, &len, n - 1), -ENOSPC); /* size < len */
	len = n;
	ck_assert_int_eq(msrtp_protect(p.a, buf, &len, 0), -ENOSPC);
	/* Just enough: only the tag is written after the packet. */
	len = n;
	ck_assert_int_eq(msrtp_protect(p.a, buf, &len, size), 0);
	ck_assert_uint_eq(len, n + rtp_tag[s]);
	for (size_t i = len; i < size + 64; i++)
		ck_assert_uint_eq(buf[i], 0xee);
	ck_assert_int_eq(msrtp_unprotect(p.b, buf, &len), 0);
	ck_assert_int_eq(memcmp(buf, plain.b, n), 0);
	free(buf);

	/* RTCP in a block of exactly its size + MSRTP_TRAILER. */
	n = rtcp_rr(&plain, 0xabcdef01, 3);
	size = n + MSRTP_TRAILER;
	buf = malloc(size);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, plain.b, n);
	len = n;
	ck_assert_int_eq(msrtp_protect_rtcp(p.a, buf, &len, size - 1), -ENOSPC);
	ck_assert_uint_eq(len, n);
	ck_assert_int_eq(msrtp_protect_rtcp(p.a, buf, &len, size), 0);
	ck_assert_uint_eq(len, n + rtcp_trailer[s]);
	ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, buf, &len), 0);
	ck_assert_int_eq(memcmp(buf, plain.b, n), 0);
	free(buf);
	pair_free(&p);
}
END_TEST

START_TEST(test_bad_packets)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct pair p;
	union pkt w;
	size_t len;

	pair_new(&p, s);
	/* Too short. */
	rtp(&w, 1, 1, 0);
	for (len = 0; len < MSRTP_RTP_MIN; len++) {
		size_t l = len;

		ck_assert_int_eq(msrtp_protect(p.a, w.b, &l, sizeof(w.b)), -EINVAL);
		ck_assert_int_eq(msrtp_unprotect(p.b, w.b, &l), -EINVAL);
		ck_assert_uint_eq(l, len);
	}
	for (len = 0; len < MSRTP_RTCP_MIN; len++) {
		size_t l = len;

		ck_assert_int_eq(msrtp_protect_rtcp(p.a, w.b, &l, sizeof(w.b)), -EINVAL);
		ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, w.b, &l), -EINVAL);
	}
	/* A bare header with no room for a tag, as SRTP. */
	len = rtp(&w, 1, 1, 0);
	ck_assert_int_eq(msrtp_unprotect(p.b, w.b, &len), -EINVAL);
	/* An RTCP header and an SRTCP index, but no room for a tag. */
	rtcp_rr(&w, 1, 0);
	len = 12;
	ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, w.b, &len), -EINVAL);
	/* A plain RTCP packet as SRTCP: its "E flag" or its "tag" is wrong. */
	len = rtcp_rr(&w, 1, 0);
	ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, w.b, &len), -EBADMSG);
	/* 15 CSRCs announced in a 20-byte packet. */
	len = rtp(&w, 2, 1, 8);
	w.b[0] = 0x8f;
	ck_assert_int_eq(msrtp_protect(p.a, w.b, &len, sizeof(w.b)), -EINVAL);
	/* A header extension longer than the packet. */
	len = rtp(&w, 3, 1, 8);
	w.b[0] = 0x90;
	w.b[14] = 0x40;
	ck_assert_int_eq(msrtp_protect(p.a, w.b, &len, sizeof(w.b)), -EINVAL);
	/* Misaligned. */
	len = rtp(&w, 4, 1, 40);
	memmove(w.b + 1, w.b, len);
	ck_assert_int_eq(msrtp_protect(p.a, w.b + 1, &len, sizeof(w.b) - 1), -EINVAL);
	ck_assert_int_eq(msrtp_unprotect(p.b, w.b + 2, &len), -EINVAL);
	ck_assert_int_eq(msrtp_protect_rtcp(p.a, w.b + 1, &len, sizeof(w.b) - 1), -EINVAL);
	ck_assert_int_eq(msrtp_unprotect_rtcp(p.b, w.b + 3, &len), -EINVAL);
	/* Lengths libsrtp2's int cannot hold. */
	len = (size_t)INT_MAX + 1;
	ck_assert_int_eq(msrtp_unprotect(p.b, w.b, &len), -EINVAL);
	ck_assert_int_eq(msrtp_protect(p.a, w.b, &len, SIZE_MAX), -EINVAL);
	/* NULLs. */
	len = rtp(&w, 5, 1, 40);
	ck_assert_int_eq(msrtp_protect(NULL, w.b, &len, sizeof(w.b)), -EINVAL);
	ck_assert_int_eq(msrtp_protect(p.a, NULL, &len, sizeof(w.b)), -EINVAL);
	ck_assert_int_eq(msrtp_protect(p.a, w.b, NULL, sizeof(w.b)), -EINVAL);
	ck_assert_int_eq(msrtp_unprotect(NULL, w.b, &len), -EINVAL);
	ck_assert_int_eq(msrtp_unprotect(p.b, NULL, &len), -EINVAL);
	ck_assert_int_eq(msrtp_unprotect(p.b, w.b, NULL), -EINVAL);
	ck_assert_int_eq(msrtp_protect_rtcp(NULL, w.b, &len, sizeof(w.b)), -EINVAL);
	ck_assert_int_eq(msrtp_unprotect_rtcp(NULL, w.b, &len), -EINVAL);
	/* Garbage of a plausible length: not authentic. */
	memset(w.b, 0x80, 200);
	len = 200;
	ck_assert_int_eq(msrtp_unprotect(p.b, w.b, &len), -EBADMSG);
	pair_free(&p);
}
END_TEST

START_TEST(test_new_errors)
{
	struct sdes_key a, b;
	struct msrtp *s = (struct msrtp *)&a; /* must stay as it is */

	ck_assert_int_eq(msrtp_global_init(), 0);
	ck_assert_int_eq(msrtp_global_init(), 0);
	ck_assert_int_eq(sdes_key_new(&a, SDES_AES_CM_128_HMAC_SHA1_80), 0);
	/* Suites differ, each way and for every other suite. */
	for (int i = 1; i < SDES_SUITE_COUNT; i++) {
		ck_assert_int_eq(sdes_key_new(&b, (enum sdes_suite)i), 0);
		ck_assert_int_eq(msrtp_new(&s, &a, &b), -EINVAL);
		ck_assert_int_eq(msrtp_new(&s, &b, &a), -EINVAL);
	}
	/* Same suite by name, but a length that is not the suite's. */
	ck_assert_int_eq(sdes_key_new(&b, SDES_AES_CM_128_HMAC_SHA1_32), 0);
	b.suite = SDES_AES_CM_128_HMAC_SHA1_80;
	b.len = 28;
	ck_assert_int_eq(msrtp_new(&s, &a, &b), -EINVAL);
	b.len = 30;
	a.len = 44;
	ck_assert_int_eq(msrtp_new(&s, &a, &b), -EINVAL);
	a.len = 30;
	/* No suite at all. */
	a.suite = b.suite = SDES_SUITE_COUNT;
	ck_assert_int_eq(msrtp_new(&s, &a, &b), -EINVAL);
	a.suite = b.suite = SDES_AES_CM_128_HMAC_SHA1_80;
	/* NULLs. */
	ck_assert_int_eq(msrtp_new(NULL, &a, &b), -EINVAL);
	ck_assert_int_eq(msrtp_new(&s, NULL, &b), -EINVAL);
	ck_assert_int_eq(msrtp_new(&s, &a, NULL), -EINVAL);
	ck_assert_ptr_eq(s, (struct msrtp *)&a);
	/* And the same keys do make a session. */
	ck_assert_int_eq(msrtp_new(&s, &a, &b), 0);
	ck_assert_ptr_ne(s, (struct msrtp *)&a);
	msrtp_free(s);
	msrtp_free(NULL);
}
END_TEST

/* libsrtp2's reference key and packets (test/srtp_driver.c). */
static const uint8_t ref_key[30] = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
    0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t ref_key_gcm[28] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
    0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static const uint8_t ref_rtp[28] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t ref_rtcp[24] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
/* AES_CM_128_HMAC_SHA1_80; the _32 suite sends the first 4 bytes of the same tag. */
static const uint8_t ref_srtp_cm[38] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
    0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
    0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
/* SRTCP with the 80-bit tag, for both AES_CM suites. */
static const uint8_t ref_srtcp_cm[38] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
    0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
    0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
};
static const uint8_t ref_srtp_gcm[44] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
    0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
    0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};
static const uint8_t ref_srtcp_gcm[44] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a,
    0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3,
    0xb4, 0x46, 0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
};

/* Protect the reference packets with suite s and key, compare, and unprotect them back. */
static void known_answer(enum sdes_suite s, const uint8_t *key, const uint8_t *srtp,
			 size_t srtp_len, const uint8_t *srtcp, size_t srtcp_len)
{
	struct sdes_key k = {.suite = s, .len = sdes_key_len(s)};
	struct msrtp *tx = NULL, *rx = NULL;
	union pkt w;
	size_t len;

	memcpy(k.key, key, k.len);
	ck_assert_int_eq(msrtp_new(&tx, &k, &k), 0);
	ck_assert_int_eq(msrtp_new(&rx, &k, &k), 0);

	memcpy(w.b, ref_rtp, sizeof(ref_rtp));
	len = sizeof(ref_rtp);
	ck_assert_int_eq(msrtp_protect(tx, w.b, &len, sizeof(w.b)), 0);
	ck_assert_uint_eq(len, srtp_len);
	ck_assert_int_eq(memcmp(w.b, srtp, srtp_len), 0);
	ck_assert_int_eq(msrtp_unprotect(rx, w.b, &len), 0);
	ck_assert_uint_eq(len, sizeof(ref_rtp));
	ck_assert_int_eq(memcmp(w.b, ref_rtp, len), 0);

	memcpy(w.b, ref_rtcp, sizeof(ref_rtcp));
	len = sizeof(ref_rtcp);
	ck_assert_int_eq(msrtp_protect_rtcp(tx, w.b, &len, sizeof(w.b)), 0);
	ck_assert_uint_eq(len, srtcp_len);
	ck_assert_int_eq(memcmp(w.b, srtcp, srtcp_len), 0);
	ck_assert_int_eq(msrtp_unprotect_rtcp(rx, w.b, &len), 0);
	ck_assert_uint_eq(len, sizeof(ref_rtcp));
	ck_assert_int_eq(memcmp(w.b, ref_rtcp, len), 0);
	msrtp_free(tx);
	msrtp_free(rx);
}

START_TEST(test_known_answers)
{
	known_answer(SDES_AES_CM_128_HMAC_SHA1_80, ref_key, ref_srtp_cm, 38, ref_srtcp_cm, 38);
	known_answer(SDES_AES_CM_128_HMAC_SHA1_32, ref_key, ref_srtp_cm, 28 + 4, ref_srtcp_cm, 38);
	known_answer(SDES_AEAD_AES_128_GCM, ref_key_gcm, ref_srtp_gcm, 44, ref_srtcp_gcm, 44);
}
END_TEST

static Suite *msrtp_suite(void)
{
	Suite *s = suite_create("msrtp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_new_errors);
	tcase_add_test(tc, test_known_answers);
	tcase_add_loop_test(tc, test_rtp_round_trip, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_rtcp_round_trip, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_tampered, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_replay, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_reorder, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_wrong_key, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_salt_matters, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_keys_copied, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_many_ssrcs, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_room, 0, SDES_SUITE_COUNT);
	tcase_add_loop_test(tc, test_bad_packets, 0, SDES_SUITE_COUNT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(msrtp_suite());
}
