/*
 * media_rx: what arrives on a session's sockets.  RTP goes through, in
 * order: the source check (the SDP's address, or the first source when
 * symmetric RTP latches), SRTP, the header, the payload type (the
 * negotiated audio format or telephone-event), the SSRC (a new one is
 * on probation: ssrc_ok()), the sequence (RFC 3550 A.1); then
 * telephone-event payloads become digits and audio goes, decoded, into
 * the jitter buffer.  Every packet dropped on the way is counted by why.
 * RTCP (its own port, or the RTP port with rtcp-mux) feeds the round-trip
 * time and the peer's view of our stream.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "media/media_int.h"

/* Is from where this session expects the peer's packets? */
static bool source_ok(struct media *m, const struct net_addr *from, bool rtcp)
{
	const struct net_addr *want = rtcp ? &m->dest_rtcp : &m->dest;

	if (m->latched)
		return net_addr_eq(from, want);
	/*
	 * Symmetric RTP takes the first RTP source that passes every check
	 * (see latch()).  RTCP waits for it: until RTP latched, reports come
	 * only from where the SDP says, or anyone could set the round-trip
	 * time and the loss the call reports.
	 */
	if (m->eng->cfg.symmetric && !rtcp)
		return true;
	return net_addr_eq(from, want) ||
	       /* rtcp-mux: the peer's RTCP comes from its RTP port */
	       (rtcp && m->params.rtcp_mux && net_addr_eq(from, &m->dest));
}

static void latch(struct media *m, const struct net_addr *from)
{
	if (m->latched || !m->eng->cfg.symmetric)
		return;
	m->latched = true;
	if (net_addr_eq(from, &m->dest))
		return;
	m->dest = *from;
	media_rtcp_dest(from, m->params.rtcp_mux, &m->dest_rtcp);
	media_ev_push(m, &(struct media_event_info){.ev = MEDIA_EV_SOURCE_LATCHED, .addr = from});
}

/*
 * The codec row of payload type pt, or NULL: only the negotiated audio
 * format and telephone-event.  RFC 3264 §5.1 lets the peer switch among
 * the formats both sides listed, but the parameters keep only the one
 * chosen: a format we did not negotiate, even one of our table, is
 * refused rather than guessed.
 */
static const struct codec *codec_of(const struct media *m, uint8_t pt)
{
	if (pt == m->params.pt)
		return m->params.codec;
	if (m->params.te_pt >= 0 && pt == m->params.te_pt)
		return codec_event();
	return NULL;
}

/* h's source becomes the peer's: its statistics start (RFC 3550 A.1 init_seq). */
static void src_start(struct media *m, const struct rtp_hdr *h)
{
	m->have_src = true;
	m->peer_ssrc = h->ssrc;
	m->reported = false;
	m->cand_n = 0;
	rtp_src_init(&m->src, h->seq, MEDIA_RATE);
}

/*
 * Is h, arrived at now_ms, of the peer's source?  The first packet starts
 * it.  Another SSRC is on probation, as a new source in RFC 3550 A.1
 * (MIN_SEQUENTIAL): once MEDIA_SSRC_PROBATION of its packets came in
 * sequence, and while the current source has been quiet for
 * MEDIA_SSRC_QUIET_MS, it replaces it (a peer that restarted its stream);
 * until then its packets are dropped.  So a stray packet, a burst, or a
 * second source sending along with the first never takes the call over,
 * and two sources never flip-flop.  false: drop h, counted in drop_ssrc.
 */
static bool ssrc_ok(struct media *m, const struct rtp_hdr *h, uint64_t now_ms)
{
	if (!m->have_src) {
		src_start(m, h);
		return true;
	}
	if (h->ssrc == m->peer_ssrc)
		return true;
	if (m->cand_n && h->ssrc == m->cand_ssrc && h->seq == (uint16_t)(m->cand_seq + 1)) {
		if (m->cand_n < MEDIA_SSRC_PROBATION)
			m->cand_n++;
	} else {
		m->cand_ssrc = h->ssrc;
		m->cand_n = 1;
	}
	m->cand_seq = h->seq;
	if (m->cand_n < MEDIA_SSRC_PROBATION || now_ms < m->last_rx_ms + MEDIA_SSRC_QUIET_MS) {
		m->drop_ssrc++;
		return false;
	}
	media_src_end(m);
	src_start(m, h);
	return true;
}

static void rtcp_in(struct media *m, uint8_t *buf, size_t len, uint64_t now_us)
{
	struct rtcp_info ri;

	/*
	 * RTCP that fails SRTCP or the RFC 3550 A.2 checks is counted apart from
	 * RTP: some peers send lone APP packets (baresip's "PING"), which are
	 * not the audio's fault.
	 */
	if ((m->srtp && msrtp_unprotect_rtcp(m->srtp, buf, &len) < 0) ||
	    rtcp_parse(buf, len, m->ssrc, &ri) < 0) {
		m->drop_rtcp++;
		return;
	}
	m->rtcp_rx++;
	if (ri.sr) {
		m->lsr = rtcp_ntp_mid(ri.ntp);
		m->lsr_at_us = now_us;
	}
	if (ri.have_block) {
		uint32_t now_mid = rtcp_ntp_mid(media_ntp_now(m->eng));
		double rtt = rtcp_rtt_ms(ri.lsr, ri.dlsr, now_mid);

		if (rtt >= 0)
			m->rtt_ms = rtt;
		m->remote_loss_pct = ri.fraction * 100.0 / 256.0;
		m->remote_jitter_ms = ri.jitter * 1000.0 / MEDIA_RATE;
	}
}

static void rtp_in(struct media *m, uint8_t *buf, size_t len, const struct net_addr *from,
		   uint64_t now_ms, uint64_t now_us)
{
	const struct codec *c;
	struct rtp_hdr h;
	int16_t pcm[MEDIA_BUF];
	int err;

	if (m->srtp && (err = msrtp_unprotect(m->srtp, buf, &len)) < 0) {
		if (err == -EALREADY)
			m->drop_srtp_replay++;
		else
			m->drop_srtp_auth++;
		return;
	}
	if (rtp_parse(buf, len, &h) < 0) {
		m->drop_malformed++;
		return;
	}
	if (!(c = codec_of(m, h.pt))) {
		m->drop_pt++;
		return;
	}
	if (!ssrc_ok(m, &h, now_ms))
		return;
	if (rtp_src_seq(&m->src, h.seq) < 0) {
		m->drop_malformed++;
		return;
	}
	latch(m, from);
	m->rx_packets++;
	m->rx_bytes += h.plen;
	m->last_rx_ms = now_ms;
	if (c->kind == CODEC_EVENT) {
		char digit;
		unsigned dur;

		if (dtmf_rx_packet(&m->drx, h.ts, h.marker, h.payload, h.plen, &digit, &dur) == 1)
			media_ev_push(m, &(struct media_event_info){.ev = MEDIA_EV_DTMF,
								    .digit = digit,
								    .dtmf_source = "rfc4733",
								    .duration_ms = dur});
		return;
	}
	/*
	 * A.8 jitter from audio only: an event's packets all carry the
	 * timestamp of its start (RFC 4733 §2.5.1.2) while they go out a
	 * packet time apart, which would read as jitter.
	 */
	rtp_src_arrival(&m->src, h.ts, now_us);
	if (!media_receiving(m) || h.plen == 0 || h.plen > MEDIA_BUF)
		return;
	if (!media_decode(m, c, pcm, h.payload, h.plen) || !media_jb(m))
		return;
	jbuf_put(m->jb, h.ts, h.marker, pcm, h.plen, now_ms);
}

/* One datagram of n bytes from from, on the RTP port (or the RTCP port). */
static void datagram(struct media *m, uint8_t *buf, size_t n, const struct net_addr *from,
		     bool rtcp_port, uint64_t now_ms, uint64_t now_us)
{
	if (!m->have) {
		m->drop_source++;
		return;
	}
	if (rtcp_port || (m->params.rtcp_mux && rtp_is_rtcp(buf, n))) {
		if (!source_ok(m, from, true))
			m->drop_source++;
		else
			rtcp_in(m, buf, n, now_us);
		return;
	}
	if (!source_ok(m, from, false)) {
		m->drop_source++;
		return;
	}
	rtp_in(m, buf, n, from, now_ms, now_us);
}

/*
 * One datagram per wake-up.  A call's socket mostly holds one packet when
 * it wakes; reading until EAGAIN would cost a second, failing read every
 * time.  The loop's events are level-triggered: a socket with more queued
 * wakes again on the next turn, after the other sockets had theirs, so a
 * flooded socket cannot hold the loop either.
 */
static void drain(struct media *m, int fd, bool rtcp_port)
{
	alignas(8) uint8_t buf[MEDIA_BUF + MSRTP_TRAILER];
	struct net_addr from;
	ssize_t n;

	from.len = sizeof(from.ss);
	n = recvfrom(fd, buf, MEDIA_BUF, MSG_DONTWAIT, (struct sockaddr *)&from.ss, &from.len);
	if (n < 0)
		return; /* EAGAIN, or an ICMP error reported on the socket: nothing to read */
	datagram(m, buf, (size_t)n, &from, rtcp_port, tmr_now(m->eng->clk),
		 tmr_now_us(m->eng->clk));
}

void media_on_rtp(int fd, short what, void *arg)
{
	struct media_socks *ms = arg;

	(void)what;
	if (ms->m)
		drain(ms->m, fd, false);
	else
		rtpport_drain_fd(fd); /* a kept pair: no session reads it */
}

void media_on_rtcp(int fd, short what, void *arg)
{
	struct media_socks *ms = arg;

	(void)what;
	if (ms->m)
		drain(ms->m, fd, true);
	else
		rtpport_drain_fd(fd); /* a kept pair: no session reads it */
}
