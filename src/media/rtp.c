/*
 * rtp: RTP header parse and write, and one remote source's statistics
 * (RFC 3550 A.1 sequence check, A.3 loss, A.8 jitter); see rtp.h.
 *
 * The sequence check is A.1's update_seq() with its constants, except
 * that a confirmed jump keeps the counts of the old numbering (the
 * figures of a call must not fall back to zero because its sender
 * restarted its sequence numbers) and that the packets of the probation
 * run are counted, so that a call's first packet is in its figures.
 */
#include <errno.h>
#include <string.h>

#include "media/rtp.h"

#define RTP_SEQ_MOD (1u << 16)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	size_t off, pad = 0;

	if (!buf || !h || len < RTP_HDR_LEN || buf[0] >> 6 != RTP_VERSION)
		return -EBADMSG;
	off = RTP_HDR_LEN + 4 * (size_t)(buf[0] & 0x0f);
	if (off > len)
		return -EBADMSG;
	if (buf[0] & 0x10) {
		/* §5.3.1: 16 bits profile, 16 bits length in words, then the words. */
		if (off + 4 > len)
			return -EBADMSG;
		off += 4 + 4 * (size_t)get16(buf + off + 2);
		if (off > len)
			return -EBADMSG;
	}
	if (buf[0] & 0x20) {
		pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return -EBADMSG;
	}
	h->marker = buf[1] >> 7;
	h->pt = buf[1] & 0x7f;
	h->seq = get16(buf + 2);
	h->ts = get32(buf + 4);
	h->ssrc = get32(buf + 8);
	h->payload = buf + off;
	h->plen = len - off - pad;
	return 0;
}

size_t rtp_write_hdr(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
		     uint32_t ssrc)
{
	buf[0] = RTP_VERSION << 6;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	put16(buf + 2, seq);
	put32(buf + 4, ts);
	put32(buf + 8, ssrc);
	return RTP_HDR_LEN;
}

bool rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return buf && len >= 2 && buf[0] >> 6 == RTP_VERSION && buf[1] >= 192 && buf[1] <= 223;
}

/* A.1 init_seq: a numbering that starts at seq. */
static void init_seq(struct rtp_src *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
}

void rtp_src_init(struct rtp_src *s, uint16_t seq, uint32_t rate)
{
	memset(s, 0, sizeof(*s));
	init_seq(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = RTP_MIN_SEQUENTIAL;
	s->rate = rate ? rate : 8000;
}

/* The packets this numbering expected: A.3's extended_max - base_seq + 1. */
static uint32_t cur_expected(const struct rtp_src *s)
{
	return s->probation ? 0 : s->cycles + s->max_seq - s->base_seq + 1;
}

/* Probation: a run of RTP_MIN_SEQUENTIAL in-order packets makes the source valid. */
static int seq_probation(struct rtp_src *s, uint16_t seq)
{
	if (seq != (uint16_t)(s->max_seq + 1)) {
		/* Out of order: this packet starts a new run. */
		s->probation = RTP_MIN_SEQUENTIAL - 1;
		s->max_seq = seq;
		return 1;
	}
	s->max_seq = seq;
	if (--s->probation > 0)
		return 1;
	/* The run is the start of the numbering; its packets are counted.  base_seq
	 * is 32 bits: "below 0" when the run crosses the wrap, cycles being 0. */
	init_seq(s, seq);
	s->base_seq = (uint32_t)seq - (RTP_MIN_SEQUENTIAL - 1);
	s->received = RTP_MIN_SEQUENTIAL;
	return 0;
}

int rtp_src_seq(struct rtp_src *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation)
		return seq_probation(s, seq);
	if (udelta < RTP_MAX_DROPOUT) {
		/* In order, with a permissible gap. */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - RTP_MAX_MISORDER) {
		/* A very large jump: taken only when the next packet confirms it. */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return -1;
		}
		s->acc_expected += cur_expected(s);
		s->acc_received += s->received;
		init_seq(s, seq);
		/* The fraction's interval goes on over the new numbering. */
	}
	/* else: a duplicate or a reordered packet, counted as A.1 does. */
	s->received++;
	return 0;
}

void rtp_src_arrival(struct rtp_src *s, uint32_t rtp_ts, uint64_t arrival_us)
{
	/* The arrival in timestamp units, modulo 2^32 like the timestamps. */
	uint64_t units =
	    (arrival_us / 1000000) * s->rate + (arrival_us % 1000000) * s->rate / 1000000;
	uint32_t transit = (uint32_t)units - rtp_ts;
	int64_t d = (int32_t)(transit - s->transit);

	if (d < 0)
		d = -d;
	if (s->have_transit && d < (int64_t)s->rate * RTP_JITTER_JUMP_S)
		/* J += (|D| - J) / 16, in the x16 integer form of A.8. */
		s->jitter += (uint32_t)d - ((s->jitter + 8) >> 4);
	s->transit = transit;
	s->have_transit = true;
}

uint32_t rtp_src_ext_max(const struct rtp_src *s)
{
	return s->cycles + s->max_seq;
}

/* Totals over every numbering. */
static uint64_t all_expected(const struct rtp_src *s)
{
	return s->acc_expected + cur_expected(s);
}

static uint64_t all_received(const struct rtp_src *s)
{
	return s->acc_received + (s->probation ? 0 : s->received);
}

uint32_t rtp_src_expected(const struct rtp_src *s)
{
	return (uint32_t)all_expected(s);
}

int32_t rtp_src_lost(const struct rtp_src *s)
{
	int64_t lost = (int64_t)all_expected(s) - (int64_t)all_received(s);

	if (lost > 0x7fffff)
		return 0x7fffff;
	if (lost < -0x800000)
		return -0x800000;
	return (int32_t)lost;
}

uint8_t rtp_src_fraction(struct rtp_src *s)
{
	uint32_t expected = (uint32_t)all_expected(s), received = (uint32_t)all_received(s);
	uint32_t exp_int = expected - s->expected_prior;
	uint32_t rcv_int = received - s->received_prior;
	int64_t lost_int = (int64_t)exp_int - rcv_int;

	s->expected_prior = expected;
	s->received_prior = received;
	if (exp_int == 0 || lost_int <= 0)
		return 0;
	/* 256 (all lost) cannot be: expected grows only with a packet received. */
	lost_int = (lost_int << 8) / exp_int;
	return lost_int > 255 ? 255 : (uint8_t)lost_int;
}

uint32_t rtp_src_jitter(const struct rtp_src *s)
{
	return s->jitter >> 4;
}

double rtp_src_jitter_ms(const struct rtp_src *s)
{
	return s->jitter / 16.0 * 1000.0 / s->rate;
}

uint64_t rtp_src_received(const struct rtp_src *s)
{
	return all_received(s);
}
