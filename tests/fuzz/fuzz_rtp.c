/*
 * fuzz_rtp: libFuzzer target for what arrives on a call's RTP and RTCP
 * ports: rtp_parse() and rtcp_parse() (src/media/rtp.c, rtcp.c), and
 * behind them the receive path the media engine runs on each packet:
 * rtp_src_seq(), rtp_src_arrival() and jbuf_put(), with jbuf_get()
 * every 10 ms, as src/media/media.c drives them.
 *
 * The input is read twice:
 *  1. as one datagram (the corpus holds real packets): demultiplexed by
 *     rtp_is_rtcp() (RFC 5761), parsed as RTP and as RTCP whatever it
 *     is.  A parsed RTP packet's payload lies inside the input and is
 *     what the header does not cover; a parsed RTCP packet had a
 *     version-2 SR or RR first and a length that is a multiple of 4.
 *  2. as a stream of records [ms to wait][length][datagram], each
 *     handled as the engine does: RTCP parsed, RTP parsed and, when
 *     the sequence check takes it, its payload (as 16-bit samples, at
 *     most 480) put in the jitter buffer at its timestamp; a get every
 *     10 ms of the records' clock.  Checked: a get returns at most what
 *     it was asked, the loss figures stay within their ranges, the
 *     jitter buffer's counts only grow.
 * And every RTCP report we build from the input's bytes parses back to
 * what was put in.
 *  3. through SRTP and SRTCP (msrtp, libsrtp2 with our OpenSSL crypto),
 *     with fresh sessions of the suite the first byte picks: unprotecting
 *     the datagram fails cleanly or only shortens it; a datagram that
 *     parses as RTP (or RTCP) is protected and comes back byte for byte.
 *  4. the payload of a parsed RTP packet as an RFC 4733 event
 *     (dtmf_rx_packet): a known result, a digit when it reports one.
 *
 *   tests/fuzz/fuzz_rtp -max_total_time=60 tests/fuzz/corpus/rtp
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/dtmf.h"
#include "media/jbuf.h"
#include "media/msrtp.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/sdes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUR_SSRC 0x5eed5eedu
#define MAX_SAMPLES 480 /* 60 ms at 8 kHz */

/* One datagram on its own. */
static void one(const uint8_t *d, size_t n)
{
	struct rtp_hdr h;
	struct rtcp_info ri;

	(void)rtp_is_rtcp(d, n);
	if (rtp_parse(d, n, &h) == 0) {
		if (n < RTP_HDR_LEN || h.payload < d + RTP_HDR_LEN || h.plen > n ||
		    h.payload + h.plen > d + n || h.pt > 127)
			abort();
	}
	if (rtcp_parse(d, n, OUR_SSRC, &ri) == 0) {
		if (n % 4 || n < 8 || d[0] >> 6 != 2 || (d[1] != RTCP_SR && d[1] != RTCP_RR) ||
		    ri.sr != (d[1] == RTCP_SR))
			abort();
		if (ri.have_block && (ri.lost > 0x7fffff || ri.lost < -0x800000))
			abort();
	}
}

/* The engine's receive state for one call. */
struct call {
	struct rtp_src src;
	bool have_src;
	uint32_t ssrc;
	struct jbuf *jb;
	uint64_t now_ms, next_get;
	struct jbuf_stats last;
};

static void check_stats(struct call *c)
{
	struct jbuf_stats st;

	jbuf_stats(c->jb, &st);
	if (st.late < c->last.late || st.concealed < c->last.concealed ||
	    st.dropped_overflow < c->last.dropped_overflow || st.skipped < c->last.skipped ||
	    st.delay_ms > 60000 || st.target_ms > 200)
		abort();
	c->last = st;
}

static void rtp_in(struct call *c, const struct rtp_hdr *h)
{
	int16_t pcm[MAX_SAMPLES];
	size_t n = h->plen / 2;
	int rc;

	if (!c->have_src || h->ssrc != c->ssrc) {
		/* A new source: the engine starts over. */
		rtp_src_init(&c->src, h->seq, 8000);
		jbuf_reset(c->jb);
		c->ssrc = h->ssrc;
		c->have_src = true;
	}
	rc = rtp_src_seq(&c->src, h->seq);
	if (rc < -1 || rc > 1)
		abort();
	if (rtp_src_lost(&c->src) > 0x7fffff || rtp_src_lost(&c->src) < -0x800000)
		abort();
	(void)rtp_src_fraction(&c->src);
	if (rc != 0)
		return;
	rtp_src_arrival(&c->src, h->ts, c->now_ms * 1000);
	(void)rtp_src_jitter_ms(&c->src);
	if (n > MAX_SAMPLES)
		n = MAX_SAMPLES;
	memcpy(pcm, h->payload, n * 2);
	jbuf_put(c->jb, h->ts, h->marker, pcm, n, c->now_ms);
}

/* Gets every 10 ms up to now. */
static void gets(struct call *c)
{
	int16_t out[80];

	while (c->next_get <= c->now_ms) {
		if (jbuf_get(c->jb, out, 80, c->next_get) > 80)
			abort();
		c->next_get += 10;
		check_stats(c);
	}
}

static void stream(const uint8_t *d, size_t n)
{
	struct call c;
	struct rtp_hdr h;
	struct rtcp_info ri;

	memset(&c, 0, sizeof(c));
	if (jbuf_new(&c.jb, 8000, 20, 200) < 0)
		abort();
	c.now_ms = c.next_get = 1000;
	while (n >= 2) {
		size_t len = d[1] < n - 2 ? d[1] : n - 2;

		c.now_ms += d[0];
		gets(&c);
		d += 2;
		n -= 2;
		if (rtp_is_rtcp(d, len))
			(void)rtcp_parse(d, len, OUR_SSRC, &ri);
		else if (rtp_parse(d, len, &h) == 0)
			rtp_in(&c, &h);
		d += len;
		n -= len;
	}
	c.now_ms += 300;
	gets(&c);
	jbuf_free(c.jb);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A report from the first 48 bytes, its CNAME from the rest: built, it parses back the same. */
static void report(const uint8_t *d, size_t n)
{
	struct rtcp_report r;
	struct rtcp_info ri;
	uint8_t buf[RTCP_MAX];
	char cname[64];
	size_t len, cl;

	if (n < 48)
		return;
	cl = n - 48 < sizeof(cname) - 1 ? n - 48 : sizeof(cname) - 1;
	memcpy(cname, d + 48, cl);
	cname[cl] = '\0';
	memset(&r, 0, sizeof(r));
	r.ssrc = get32(d);
	r.cname = cname;
	r.sender = d[4] & 1;
	r.have_block = d[4] & 2;
	r.ntp = (uint64_t)get32(d + 8) << 32 | get32(d + 12);
	r.rtp_ts = get32(d + 16);
	r.packets = get32(d + 20);
	r.octets = get32(d + 24);
	r.peer_ssrc = OUR_SSRC;
	r.fraction = d[5];
	r.lost = (int32_t)get32(d + 28);
	r.ext_max = get32(d + 32);
	r.jitter = get32(d + 36);
	r.lsr = get32(d + 40);
	r.dlsr = get32(d + 44);
	len = rtcp_build(buf, sizeof(buf), &r, d[4] & 4, (d[4] & 8) ? cname : NULL);
	if (len == 0) {
		if (strlen(cname) != 0)
			abort(); /* a CNAME of 1..63 octets always fits */
		return;
	}
	if (len % 4 || rtcp_parse(buf, len, OUR_SSRC, &ri) != 0)
		abort();
	if (ri.ssrc != r.ssrc || ri.sr != r.sender || ri.have_block != r.have_block ||
	    ri.bye != (bool)(d[4] & 4))
		abort();
	if (r.sender && (ri.ntp != r.ntp || ri.rtp_ts != r.rtp_ts || ri.packets != r.packets ||
			 ri.octets != r.octets))
		abort();
	if (r.have_block && (ri.fraction != r.fraction || ri.ext_max != r.ext_max ||
			     ri.jitter != r.jitter || ri.lsr != r.lsr || ri.dlsr != r.dlsr ||
			     ri.lost != (r.lost > 0x7fffff    ? 0x7fffff
					 : r.lost < -0x800000 ? -0x800000
							      : r.lost)))
		abort();
}

/* A buffer as the engine's: 8-aligned, with room for the SRTP trailer. */
#define PKT_MAX 1500
union pkt {
	uint64_t align;
	uint8_t b[PKT_MAX + MSRTP_TRAILER];
};

/* msrtp's result on input it did not make: refused in one of its ways, or only shortened. */
static void unprotect_any(int rc, size_t before, size_t after)
{
	if (rc != 0 && rc != -EBADMSG && rc != -EALREADY && rc != -EINVAL)
		abort();
	if (rc != 0 && after != before)
		abort(); /* a refusal leaves the length */
	if (rc == 0 && after > before)
		abort();
}

static void srtp(const uint8_t *d, size_t n)
{
	struct sdes_key k;
	struct msrtp *tx = NULL, *rx = NULL;
	union pkt p;
	struct rtp_hdr h;
	struct rtcp_info ri;
	size_t len;
	bool is_rtcp;

	if (n < 1 || n > PKT_MAX)
		return;
	memset(&k, 0, sizeof(k));
	k.suite = (enum sdes_suite)(d[0] % SDES_SUITE_COUNT);
	k.len = sdes_key_len(k.suite);
	for (size_t i = 0; i < k.len; i++)
		k.key[i] = (uint8_t)(i * 37 + 1);
	if (msrtp_new(&tx, &k, &k) < 0 || msrtp_new(&rx, &k, &k) < 0)
		abort();
	is_rtcp = rtp_is_rtcp(d, n);

	/* What arrives: anything. */
	memcpy(p.b, d, n);
	len = n;
	unprotect_any(is_rtcp ? msrtp_unprotect_rtcp(rx, p.b, &len) : msrtp_unprotect(rx, p.b, &len),
		      n, len);

	/* What we send: a packet that parses comes back the same. */
	memcpy(p.b, d, n);
	len = n;
	if (!is_rtcp && rtp_parse(d, n, &h) == 0) {
		if (msrtp_protect(tx, p.b, &len, sizeof(p.b)) != 0)
			abort();
		if (msrtp_unprotect(rx, p.b, &len) != 0 || len != n || memcmp(p.b, d, n) != 0)
			abort();
	} else if (is_rtcp && rtcp_parse(d, n, OUR_SSRC, &ri) == 0) {
		if (msrtp_protect_rtcp(tx, p.b, &len, sizeof(p.b)) != 0)
			abort();
		if (msrtp_unprotect_rtcp(rx, p.b, &len) != 0 || len != n || memcmp(p.b, d, n) != 0)
			abort();
	}
	msrtp_free(tx);
	msrtp_free(rx);
}

/* The payload of an RTP packet read as a telephone-event (RFC 4733). */
static void event(const uint8_t *d, size_t n)
{
	struct rtp_hdr h;
	struct dtmf_rx r;
	char digit = 0;
	unsigned dur = 0;
	int rc;

	if (rtp_parse(d, n, &h) < 0)
		return;
	dtmf_rx_setup(&r, 8000);
	for (int i = 0; i < 2; i++) { /* twice: the second is a repeat */
		rc = dtmf_rx_packet(&r, h.ts, h.marker, h.payload, h.plen, &digit, &dur);
		if (rc != 0 && rc != 1 && rc != -EBADMSG && rc != -ENOTSUP)
			abort();
		if (rc == 1 && (i == 1 || !digit || !strchr("0123456789*#ABCD", digit)))
			abort();
		if (rc < 0 && h.plen >= 4 && h.payload[0] < 16)
			abort(); /* a DTMF code in a long enough payload is read */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size);
	stream(data, size);
	report(data, size);
	srtp(data, size);
	event(data, size);
	return 0;
}
