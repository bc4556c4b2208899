/*
 * rtcp: build and parse RTCP compound packets, NTP and interval
 * arithmetic (RFC 3550 §6, A.2); see rtcp.h.
 *
 * Building computes the whole length first and writes nothing when it
 * does not fit.  Parsing checks the compound's framing (A.2) before it
 * reads a field, and reads each packet within its own length.
 */
#include <errno.h>
#include <string.h>

#include "core/rnd.h"
#include "media/rtcp.h"
#include "media/rtp.h"

#define HDR 4	     /* V, P, count, PT, length */
#define BLOCK 24     /* a report block */
#define SENDER 20    /* SR sender info: NTP, RTP ts, packets, octets */
#define SDES_CNAME 1 /* item type (§6.5.1) */
/* Seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix). */
#define NTP_UNIX_OFFSET 2208988800ULL

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* A packet header: count (RC or SC), type, and the total length in octets (a multiple of 4). */
static void put_hdr(uint8_t *p, unsigned count, uint8_t pt, size_t len)
{
	p[0] = (uint8_t)(RTP_VERSION << 6 | (count & 0x1f));
	p[1] = pt;
	p[2] = (uint8_t)((len / 4 - 1) >> 8);
	p[3] = (uint8_t)(len / 4 - 1);
}

/* Octets of each part. */
static size_t report_len(const struct rtcp_report *r)
{
	return HDR + 4 + (r->sender ? SENDER : 0) + (r->have_block ? BLOCK : 0);
}

static size_t sdes_len(size_t cname)
{
	/* SSRC, CNAME item (type, length, text), at least one null octet to end the chunk. */
	return HDR + 4 + pad4(2 + cname + 1);
}

static size_t bye_len(size_t reason)
{
	return HDR + 4 + (reason ? pad4(1 + reason) : 0);
}

static void put_block(uint8_t *p, const struct rtcp_report *r)
{
	int32_t lost = r->lost;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	put32(p, r->peer_ssrc);
	put32(p + 4, (uint32_t)r->fraction << 24 | ((uint32_t)lost & 0xffffff));
	put32(p + 8, r->ext_max);
	put32(p + 12, r->jitter);
	put32(p + 16, r->lsr);
	put32(p + 20, r->dlsr);
}

static size_t put_report(uint8_t *p, const struct rtcp_report *r)
{
	size_t len = report_len(r), off = HDR + 4;

	put_hdr(p, r->have_block, r->sender ? RTCP_SR : RTCP_RR, len);
	put32(p + HDR, r->ssrc);
	if (r->sender) {
		put32(p + off, (uint32_t)(r->ntp >> 32));
		put32(p + off + 4, (uint32_t)r->ntp);
		put32(p + off + 8, r->rtp_ts);
		put32(p + off + 12, r->packets);
		put32(p + off + 16, r->octets);
		off += SENDER;
	}
	if (r->have_block)
		put_block(p + off, r);
	return len;
}

static size_t put_sdes(uint8_t *p, uint32_t ssrc, const char *cname, size_t n)
{
	size_t len = sdes_len(n);

	memset(p, 0, len); /* the null octets that end the chunk */
	put_hdr(p, 1, RTCP_SDES, len);
	put32(p + HDR, ssrc);
	p[HDR + 4] = SDES_CNAME;
	p[HDR + 5] = (uint8_t)n;
	memcpy(p + HDR + 6, cname, n);
	return len;
}

static size_t put_bye(uint8_t *p, uint32_t ssrc, const char *reason, size_t n)
{
	size_t len = bye_len(n);

	memset(p, 0, len);
	put_hdr(p, 1, RTCP_BYE, len);
	put32(p + HDR, ssrc);
	if (n) {
		p[HDR + 4] = (uint8_t)n;
		memcpy(p + HDR + 5, reason, n);
	}
	return len;
}

size_t rtcp_build(uint8_t *buf, size_t size, const struct rtcp_report *r, bool bye,
		  const char *reason)
{
	size_t cname, why = 0, total, off;

	if (!buf || !r || !r->cname)
		return 0;
	cname = strlen(r->cname);
	if (cname == 0 || cname > 255)
		return 0;
	if (bye && reason) {
		why = strlen(reason);
		if (why > 255)
			why = 255;
	}
	total = report_len(r) + sdes_len(cname) + (bye ? bye_len(why) : 0);
	if (total > size)
		return 0;
	off = put_report(buf, r);
	off += put_sdes(buf + off, r->ssrc, r->cname, cname);
	if (bye)
		off += put_bye(buf + off, r->ssrc, reason, why);
	return off;
}

/* A.2: the compound's framing.  0, or -EBADMSG. */
static int check_compound(const uint8_t *buf, size_t len)
{
	size_t off = 0, plen;

	if (len < HDR + 4 || len % 4 || buf[0] >> 6 != RTP_VERSION ||
	    (buf[1] != RTCP_SR && buf[1] != RTCP_RR))
		return -EBADMSG;
	while (off < len) {
		if (buf[off] >> 6 != RTP_VERSION)
			return -EBADMSG;
		plen = 4 * ((size_t)(buf[off + 2] << 8 | buf[off + 3]) + 1);
		if (plen > len - off)
			return -EBADMSG;
		if (buf[off] & 0x20) {
			/* Only on the last; the count covers padding only, never the header. */
			if (off + plen != len || buf[len - 1] == 0 || buf[len - 1] > plen - HDR)
				return -EBADMSG;
		}
		off += plen;
	}
	return 0;
}

/* The report blocks of an SR or RR: the one about our_ssrc into *out. */
static void get_blocks(const uint8_t *p, unsigned count, uint32_t our_ssrc, struct rtcp_info *out)
{
	for (unsigned i = 0; i < count && !out->have_block; i++, p += BLOCK) {
		uint32_t w = get32(p + 4);

		if (get32(p) != our_ssrc)
			continue;
		out->have_block = true;
		out->fraction = (uint8_t)(w >> 24);
		/* 24-bit two's complement to 32. */
		out->lost = (int32_t)((w & 0xffffff) ^ 0x800000) - 0x800000;
		out->ext_max = get32(p + 8);
		out->jitter = get32(p + 12);
		out->lsr = get32(p + 16);
		out->dlsr = get32(p + 20);
	}
}

/* One packet of body octets (header, padding excluded) at p; first: the compound's first. */
static int get_packet(const uint8_t *p, size_t body, bool first, uint32_t our_ssrc,
		      struct rtcp_info *out)
{
	unsigned count = p[0] & 0x1f;
	size_t need;

	switch (p[1]) {
	case RTCP_SR:
	case RTCP_RR:
		need = 4 + (p[1] == RTCP_SR ? SENDER : 0) + (size_t)count * BLOCK;
		if (body < need)
			return -EBADMSG;
		if (first) {
			out->ssrc = get32(p + HDR);
			if (p[1] == RTCP_SR) {
				out->sr = true;
				out->ntp = (uint64_t)get32(p + HDR + 4) << 32 | get32(p + HDR + 8);
				out->rtp_ts = get32(p + HDR + 12);
				out->packets = get32(p + HDR + 16);
				out->octets = get32(p + HDR + 20);
			}
		}
		get_blocks(p + HDR + need - (size_t)count * BLOCK, count, our_ssrc, out);
		return 0;
	case RTCP_BYE:
		if (body < (size_t)count * 4)
			return -EBADMSG;
		out->bye = true;
		return 0;
	default:
		return 0; /* SDES, APP, feedback, XR: nothing the call's figures need */
	}
}

int rtcp_parse(const uint8_t *buf, size_t len, uint32_t our_ssrc, struct rtcp_info *out)
{
	struct rtcp_info info;
	size_t off = 0, plen, body;
	int err;

	if (!buf || !out || check_compound(buf, len) < 0)
		return -EBADMSG;
	memset(&info, 0, sizeof(info));
	while (off < len) {
		plen = 4 * ((size_t)(buf[off + 2] << 8 | buf[off + 3]) + 1);
		body = plen - HDR;
		if (buf[off] & 0x20)
			body -= buf[len - 1];
		err = get_packet(buf + off, body, off == 0, our_ssrc, &info);
		if (err < 0)
			return err;
		off += plen;
	}
	*out = info;
	return 0;
}

uint32_t rtcp_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

double rtcp_rtt_ms(uint32_t lsr, uint32_t dlsr, uint32_t now_mid)
{
	int32_t rtt = (int32_t)(now_mid - lsr - dlsr);

	if (lsr == 0 || rtt < 0)
		return -1;
	return rtt * 1000.0 / 65536.0;
}

uint64_t rtcp_ntp_of_us(uint64_t unix_us)
{
	uint64_t secs = unix_us / 1000000 + NTP_UNIX_OFFSET;
	uint64_t frac = ((unix_us % 1000000) << 32) / 1000000;

	return secs << 32 | frac;
}

unsigned rtcp_interval_ms(void)
{
	return RTCP_INTERVAL_MS / 2 + rnd_uniform(RTCP_INTERVAL_MS);
}
