/*
 * media_tx: one session's tick (MEDIA_TICK_MS): 10 ms out of the jitter
 * buffer to its consumers (recording, echo, in-band DTMF), 10 ms of source
 * audio, a packet when a packet time is full (or an RFC 4733 event in its
 * place), the recording's bounded write, RTCP when due and the RTP
 * timeout.  Also the statistics the UA shows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "media/afile.h"
#include "media/media_int.h"
#include "media/quality.h"
#include "media/wavrec.h"

uint64_t media_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t media_ntp_now(const struct media_engine *eng)
{
	return rtcp_ntp_of_us(eng->wall0_us + (tmr_now_us(eng->clk) - eng->mono0_us));
}

static void send_to(int fd, const struct net_addr *to, const uint8_t *buf, size_t len)
{
	/* A full socket buffer or an ICMP error: the packet is lost, as on the wire. */
	(void)sendto(fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&to->ss, to->len);
}

/* One RTP packet: header, payload, SRTP; counted. */
static void send_rtp(struct media *m, uint8_t pt, bool marker, uint32_t ts, const uint8_t *pl,
		     size_t plen)
{
	alignas(8) uint8_t buf[RTP_HDR_LEN + MEDIA_PKT_SAMPLES + MSRTP_TRAILER];
	size_t len = rtp_write_hdr(buf, pt, marker, m->seq, ts, m->ssrc);

	memcpy(buf + len, pl, plen);
	len += plen;
	if (m->srtp && msrtp_protect(m->srtp, buf, &len, sizeof(buf)) < 0)
		return;
	send_to(m->pair.rtp_fd, &m->dest, buf, len);
	m->tx_packets++;
	m->tx_bytes += plen;
}

/* Echo with nothing received in this packet time: it stays quiet (MEDIA_ECHO_KEEPALIVE). */
static bool echo_quiet(const struct media *m)
{
	return m->src_cfg.kind == MEDIA_SRC_ECHO && !m->play && !m->heard &&
	       m->quiet < MEDIA_ECHO_KEEPALIVE;
}

/* A packet time is full: an event packet if DTMF is going, else the audio. */
static void send_packet(struct media *m)
{
	size_t n = m->out_n;
	struct dtmf_pkt p;
	uint8_t pl[MEDIA_PKT_SAMPLES];

	if (m->dtx && dtmf_tx_tick(m->dtx, m->ts, n, &p) > 0) {
		if (p.new_seq)
			m->seq++;
		send_rtp(m, (uint8_t)m->params.te_pt, p.marker, p.ts, p.payload, sizeof(p.payload));
		/* Audio after an event starts a new talk spurt. */
		m->spurt = true;
		m->quiet = 0;
	} else if (echo_quiet(m)) {
		/* The timestamp runs on; what is sent next starts a talk spurt. */
		m->spurt = true;
		m->quiet = (uint16_t)(m->quiet + n > MEDIA_ECHO_KEEPALIVE ? MEDIA_ECHO_KEEPALIVE
									    : m->quiet + n);
	} else if (media_encode(m, m->params.codec, pl, m->out, n)) {
		m->seq++;
		send_rtp(m, (uint8_t)m->params.pt, m->spurt, m->ts, pl, n);
		m->spurt = false;
		m->quiet = 0;
	} /* else no memory for the codec: this packet time passes silent */
	m->ts += (uint32_t)n;
	m->out_n = 0;
	m->heard = false;
}

void media_play_end(struct media *m, const char *reason)
{
	char path[512];

	snprintf(path, sizeof(path), "%s", m->play_path ? m->play_path : "");
	afile_close(m->play);
	m->play = NULL;
	free(m->play_path);
	m->play_path = NULL;
	media_ev_push(m, &(struct media_event_info){
			     .ev = MEDIA_EV_PLAY_DONE, .path = path, .reason = reason});
}

double media_record_end(struct media *m, const char *reason)
{
	char why[256] = "";
	uint64_t frames = 0;
	int err = wavrec_close(m->rec, &frames, why, sizeof(why));

	m->rec = NULL;
	media_ev_push(m, &(struct media_event_info){
			     .ev = MEDIA_EV_RECORD_DONE,
			     .path = m->rec_path,
			     .record_seconds = (double)frames / MEDIA_RATE,
			     .reason = err < 0 ? why : reason});
	free(m->rec_path);
	m->rec_path = NULL;
	return (double)frames / MEDIA_RATE;
}

/* n samples of f, silence after its end. */
static void file_fill(struct afile *f, int16_t *out, size_t n)
{
	size_t got = afile_read(f, out, n);

	if (got < n)
		memset(out + got, 0, (n - got) * sizeof(*out));
}

void media_source_done(struct media *m, const char *err)
{
	char reason[300];

	snprintf(reason, sizeof(reason), "%s%s", err ? "error: " : "end", err ? err : "");
	media_ev_push(m, &(struct media_event_info){
			     .ev = MEDIA_EV_PLAY_DONE, .path = m->src_cfg.path, .reason = reason});
}

/* 10 ms of what we send, from the play, else the default source. */
static void source(struct media *m, int16_t *out, const int16_t *rx)
{
	size_t n = MEDIA_TICK_SAMPLES;

	if (m->play) {
		file_fill(m->play, out, n);
		if (afile_done(m->play)) {
			const char *err = afile_error(m->play);
			char reason[200];

			snprintf(reason, sizeof(reason), "%s%s", err ? "error: " : "end",
				 err ? err : "");
			media_play_end(m, reason);
		}
		return;
	}
	switch (m->src_cfg.kind) {
	case MEDIA_SRC_ECHO:
		memcpy(out, rx, n * sizeof(*out));
		return;
	case MEDIA_SRC_TONE:
		tone_fill(&m->tone, out, n);
		return;
	case MEDIA_SRC_FILE:
		if (m->file && !afile_done(m->file)) {
			file_fill(m->file, out, n);
			/* Told once, at the tick it ends (not looping, or a read error). */
			if (afile_done(m->file))
				media_source_done(m, afile_error(m->file));
			return;
		}
		break;
	case MEDIA_SRC_SILENCE:
		break;
	}
	memset(out, 0, n * sizeof(*out));
}

static void timeout_check(struct media *m, uint64_t now)
{
	unsigned t = m->eng->cfg.rtp_timeout_s;

	/* Only a call in both directions: a held one (either side) may be silent. */
	if (!t || m->timed_out || m->params.dir != MEDIA_SENDRECV || net_addr_is_any(&m->dest))
		return;
	/* A packet read after this tick's time was due (a late tick) is newer than now. */
	if (now <= m->last_rx_ms || now - m->last_rx_ms < (uint64_t)t * 1000)
		return;
	m->timed_out = true;
	media_ev_push(m, &(struct media_event_info){.ev = MEDIA_EV_TIMEOUT, .seconds = t});
}

/*
 * Room in m->out for one more tick toward a packet of want samples: the
 * buffer holds whole ticks (a packet time that is not a multiple of 10 ms
 * goes at the tick after it) and grows, keeping what is gathered, when a
 * re-INVITE asks for a longer packet time.  false: no memory.
 */
static bool out_room(struct media *m, unsigned want)
{
	unsigned cap = (want + MEDIA_TICK_SAMPLES - 1) / MEDIA_TICK_SAMPLES * MEDIA_TICK_SAMPLES;
	int16_t *p;

	if (m->out && m->out_cap >= m->out_n + MEDIA_TICK_SAMPLES)
		return true;
	if (cap < m->out_n + MEDIA_TICK_SAMPLES)
		cap = m->out_n + MEDIA_TICK_SAMPLES;
	if (!(p = realloc(m->out, cap * sizeof(*p))))
		return false;
	m->out = p;
	m->out_cap = cap;
	return true;
}

void media_tick(struct media *m, uint64_t now)
{
	int16_t tx[MEDIA_TICK_SAMPLES];
	int16_t rx[MEDIA_TICK_SAMPLES]; /* what the jitter buffer gave */
	bool sending, heard = false;

	if (!m->have)
		return;
	if (media_receiving(m)) {
		heard = jbuf_get(m->jb, rx, MEDIA_TICK_SAMPLES, now) > 0;
		if (heard && m->params.te_pt < 0 && media_inband(m))
			dtmf_inband_feed(m->inband, rx, MEDIA_TICK_SAMPLES);
	} else
		memset(rx, 0, sizeof(rx));
	sending = media_sending(m);
	source(m, tx, rx);
	if (m->rec) {
		/* Overflow is counted by wavrec; a write error is told when the recording ends. */
		(void)wavrec_write(m->rec, rx, sending ? tx : NULL, MEDIA_TICK_SAMPLES);
		(void)wavrec_flush(m->rec, MEDIA_REC_FLUSH);
	}
	if (sending) {
		unsigned ptime = m->params.ptime > MEDIA_PTIME_MAX ? MEDIA_PTIME_MAX : m->params.ptime;
		unsigned want = MEDIA_RATE / 1000 * ptime;

		if (want < MEDIA_TICK_SAMPLES)
			want = MEDIA_TICK_SAMPLES;
		if (!out_room(m, want))
			goto rtcp; /* no memory: this tick's audio is not sent */
		memcpy(m->out + m->out_n, tx, sizeof(tx));
		m->out_n += MEDIA_TICK_SAMPLES;
		m->heard |= heard;
		if (m->out_n >= want)
			send_packet(m);
	} else {
		m->out_n = 0;
		m->heard = false;
		m->spurt = true;
		/* The timestamp runs on while we are silent (RFC 3550 §5.1). */
		m->ts += MEDIA_TICK_SAMPLES;
	}
rtcp:
	if (now >= m->next_rtcp_ms) {
		media_send_rtcp(m, false);
		m->next_rtcp_ms = now + rtcp_interval_ms();
	}
	timeout_check(m, now);
}

void media_send_rtcp(struct media *m, bool bye)
{
	alignas(8) uint8_t buf[RTCP_MAX + MSRTP_TRAILER];
	struct rtcp_report r = {.ssrc = m->ssrc, .cname = m->cname};
	size_t len;

	if (!m->have || net_addr_is_any(&m->dest))
		return;
	if (m->tx_packets) {
		r.sender = true;
		r.ntp = media_ntp_now(m->eng);
		r.rtp_ts = m->ts;
		r.packets = (uint32_t)m->tx_packets;
		r.octets = (uint32_t)m->tx_bytes;
	}
	if (m->have_src) {
		uint64_t now_us = tmr_now_us(m->eng->clk);

		r.have_block = true;
		r.peer_ssrc = m->peer_ssrc;
		r.fraction = rtp_src_fraction(&m->src);
		m->fraction = r.fraction;
		m->reported = true;
		r.lost = rtp_src_lost(&m->src);
		r.ext_max = rtp_src_ext_max(&m->src);
		r.jitter = rtp_src_jitter(&m->src);
		r.lsr = m->lsr;
		r.dlsr = m->lsr ? (uint32_t)((now_us - m->lsr_at_us) * 65536 / 1000000) : 0;
	}
	if (!(len = rtcp_build(buf, RTCP_MAX, &r, bye, bye ? "call ended" : NULL)))
		return;
	if (m->srtp && msrtp_protect_rtcp(m->srtp, buf, &len, sizeof(buf)) < 0)
		return;
	send_to(m->params.rtcp_mux ? m->pair.rtp_fd : m->pair.rtcp_fd, &m->dest_rtcp, buf, len);
	m->rtcp_tx++;
}

/*
 * The fraction lost media_stats() tells: the one our last report block
 * carried (RFC 3550 §6.4.1), or before our first, the one it would carry
 * now: since the start.  rtp_src_fraction() ends the interval, so a copy
 * is asked.
 */
static uint8_t fraction_lost(const struct media *m)
{
	struct rtp_src s;

	if (m->reported)
		return m->fraction;
	s = m->src;
	return rtp_src_fraction(&s);
}

void media_stats(const struct media *m, struct media_stats *out)
{
	uint64_t concealed, expected;

	memset(out, 0, sizeof(*out));
	out->rtt_ms = -1;
	out->remote_loss_pct = -1;
	out->remote_jitter_ms = -1;
	if (!m || !m->eng)
		return;
	out->valid = true;
	out->ssrc = m->ssrc;
	out->tx_packets = m->tx_packets;
	out->tx_bytes = m->tx_bytes;
	out->rx_packets = m->rx_packets;
	out->rx_bytes = m->rx_bytes;
	out->rtt_ms = m->rtt_ms;
	out->remote_loss_pct = m->remote_loss_pct;
	out->remote_jitter_ms = m->remote_jitter_ms;
	out->drop_source = m->drop_source;
	out->drop_pt = m->drop_pt;
	out->drop_ssrc = m->drop_ssrc;
	out->drop_malformed = m->drop_malformed;
	out->drop_srtp_auth = m->drop_srtp_auth;
	out->drop_srtp_replay = m->drop_srtp_replay;
	out->drop_rtcp = m->drop_rtcp;
	out->rtcp_rx = m->rtcp_rx;
	out->rtcp_tx = m->rtcp_tx;
	/* The counts of the jitter buffers freed on hold, and the current one's. */
	out->late = m->jb_late;
	concealed = m->jb_concealed;
	if (m->jb) {
		struct jbuf_stats js;

		jbuf_stats(m->jb, &js);
		out->late += js.late;
		concealed += js.concealed;
		out->jitter_delay_ms = js.delay_ms;
	}
	out->concealed_ms = concealed * 1000 / MEDIA_RATE;
	/* Loss over every source the peer used; the rest is the current source's. */
	out->lost = m->lost_prior;
	expected = m->expected_prior;
	if (m->have_src) {
		out->peer_ssrc = m->peer_ssrc;
		out->lost += rtp_src_lost(&m->src);
		expected += rtp_src_expected(&m->src);
		out->fraction = fraction_lost(m);
		out->jitter_ms = rtp_src_jitter_ms(&m->src);
	}
	out->loss_pct = expected && out->lost > 0 ? out->lost * 100.0 / expected : 0;
	if (m->have_src || m->expected_prior) {
		double delay = (m->rtt_ms > 0 ? m->rtt_ms / 2 : 0) + out->jitter_delay_ms +
			       (m->have ? m->params.ptime : 20);

		out->r = quality_r(out->loss_pct, delay);
		out->mos = quality_mos(out->r);
	}
}
