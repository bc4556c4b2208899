/*
 * media: sessions and the engine that ticks them; see media.h.  The
 * receive path is media_rx.c, the tick (sources, sending, RTCP, timeouts,
 * recording) media_tx.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/rnd.h"
#include "media/afile.h"
#include "media/g711.h"
#include "media/g722.h"
#include "media/media_int.h"
#include "media/wavrec.h"

/* ---- the engine ---- */

static void on_tick(void *arg)
{
	struct media_engine *eng = arg;
	uint64_t now = tmr_now(eng->clk);
	unsigned rounds = 0;

	/* Catch up at most 5 ticks after a stall, then start the beat again from now. */
	while (eng->next_ms <= now && rounds++ < 5) {
		for (struct media *m = eng->first; m; m = eng->iter_next) {
			eng->iter_next = m->next;
			media_tick(m, eng->next_ms);
		}
		eng->iter_next = NULL;
		eng->next_ms += MEDIA_TICK_MS;
	}
	if (eng->next_ms <= now)
		eng->next_ms = now + MEDIA_TICK_MS;
	media_tick_arm(eng);
}

void media_tick_arm(struct media_engine *eng)
{
	uint64_t now = tmr_now(eng->clk);

	if (!eng->first) {
		tmr_stop(&eng->tick);
		return;
	}
	if (tmr_armed(&eng->tick))
		return;
	if (!eng->next_ms || eng->next_ms + MEDIA_TICK_MS < now)
		eng->next_ms = now + MEDIA_TICK_MS;
	tmr_start(&eng->tick, eng->next_ms > now ? eng->next_ms - now : 0);
}

static void cfg_fill(struct media_engine_cfg *dst, const struct media_engine_cfg *src)
{
	*dst = *src;
	if (!dst->jitter_min_ms)
		dst->jitter_min_ms = 20;
	if (!dst->jitter_max_ms || dst->jitter_max_ms < dst->jitter_min_ms)
		dst->jitter_max_ms = dst->jitter_min_ms > 200 ? dst->jitter_min_ms : 200;
	/* The sessions make their jitter buffers at their first audio: no failing then. */
	if (dst->jitter_max_ms > JBUF_MAX_MS)
		dst->jitter_max_ms = JBUF_MAX_MS;
	if (dst->jitter_min_ms > dst->jitter_max_ms)
		dst->jitter_min_ms = dst->jitter_max_ms;
}

int media_engine_new(struct media_engine **out, struct event_base *base, struct tmr_clock *clk,
		     const struct media_engine_cfg *cfg)
{
	struct media_engine *eng;

	if (!out || !base || !clk || !cfg)
		return -EINVAL;
	if (msrtp_global_init() < 0)
		return -EIO;
	if (!(eng = calloc(1, sizeof(*eng))))
		return -ENOMEM;
	eng->base = base;
	eng->clk = clk;
	cfg_fill(&eng->cfg, cfg);
	tmr_init(&eng->tick, clk, on_tick, eng);
	eng->wall0_us = media_wall_us();
	eng->mono0_us = tmr_now_us(clk);
	if (gethostname(eng->cname_host, sizeof(eng->cname_host)) < 0 || !eng->cname_host[0])
		snprintf(eng->cname_host, sizeof(eng->cname_host), "sipuad");
	eng->cname_host[sizeof(eng->cname_host) - 1] = '\0';
	*out = eng;
	return 0;
}

void media_engine_free(struct media_engine *eng)
{
	if (!eng)
		return;
	tmr_close(&eng->tick);
	free(eng);
}

unsigned media_buffers(const struct media *m)
{
	if (!m)
		return 0;
	return (m->jb ? MEDIA_BUF_JITTER : 0) | (m->inband ? MEDIA_BUF_DTMF : 0) |
	       (m->out ? MEDIA_BUF_SEND : 0) | (m->evq ? MEDIA_BUF_EVENTS : 0);
}

void media_engine_set_cfg(struct media_engine *eng, const struct media_engine_cfg *cfg)
{
	if (eng && cfg)
		cfg_fill(&eng->cfg, cfg);
}

unsigned media_engine_sessions(const struct media_engine *eng)
{
	return eng ? eng->n : 0;
}

/* ---- sources ---- */

int media_source_parse(const char *text, struct media_source *out)
{
	struct media_source s = {.kind = MEDIA_SRC_ECHO};
	char *end;

	if (!text || !out)
		return -EINVAL;
	if (strcmp(text, "echo") == 0)
		s.kind = MEDIA_SRC_ECHO;
	else if (strcmp(text, "silence") == 0)
		s.kind = MEDIA_SRC_SILENCE;
	else if (strncmp(text, "tone:", 5) == 0) {
		unsigned long hz;

		if (text[5] < '0' || text[5] > '9')
			return -EINVAL;
		errno = 0;
		hz = strtoul(text + 5, &end, 10);
		if (errno || *end || hz < 1 || hz >= MEDIA_RATE / 2)
			return -EINVAL;
		s.kind = MEDIA_SRC_TONE;
		s.tone_hz = (unsigned)hz;
	} else if (strncmp(text, "file:", 5) == 0 && text[5]) {
		s.kind = MEDIA_SRC_FILE;
		s.path = text + 5;
		s.loop = true;
	} else
		return -EINVAL;
	*out = s;
	return 0;
}

/* ---- events: queued, told from the loop ---- */

static void on_flush(int fd, short what, void *arg)
{
	struct media *m = arg;
	bool alive = true;

	(void)fd;
	(void)what;
	/* Each event is told from its own copy: the callback may free m. */
	while (m->evq_n) {
		struct media_evq q = m->evq[0];

		memmove(&m->evq[0], &m->evq[1], (m->evq_n - 1) * sizeof(m->evq[0]));
		if (!--m->evq_n) {
			/* Told while none waits: nothing holds the queue's memory. */
			free(m->evq);
			m->evq = NULL;
		}
		if (q.info.path)
			q.info.path = q.text;
		if (q.info.reason)
			q.info.reason = q.reason;
		if (q.info.addr)
			q.info.addr = &q.addr;
		m->alive = &alive;
		m->fn(m->arg, m, &q.info);
		if (!alive)
			return;
		m->alive = NULL;
	}
}

void media_ev_push(struct media *m, const struct media_event_info *e)
{
	struct media_evq *q;

	if (!m->fn || !m->eng || m->evq_n == MEDIA_EVQ)
		return;
	/* Like a full queue, no memory loses the event. */
	if (!m->ev_flush && !(m->ev_flush = event_new(m->eng->base, -1, 0, on_flush, m)))
		return;
	if (!m->evq && !(m->evq = calloc(MEDIA_EVQ, sizeof(*m->evq))))
		return;
	q = &m->evq[m->evq_n++];
	q->info = *e;
	if (e->path)
		snprintf(q->text, sizeof(q->text), "%s", e->path);
	if (e->reason)
		snprintf(q->reason, sizeof(q->reason), "%s", e->reason);
	if (e->addr)
		q->addr = *e->addr;
	event_active(m->ev_flush, EV_TIMEOUT, 0);
}

/* ---- sessions ---- */

void media_socks_free(void *arg)
{
	struct media_socks *ms = arg;

	if (!ms)
		return;
	event_del(ms->rtp);
	event_del(ms->rtcp);
	free(ms);
}

/* The struct and both events in one allocation: a call's pair costs one malloc. */
static struct media_socks *media_socks_new(struct event_base *base, const struct rtpport_pair *pair)
{
	size_t esz = event_get_struct_event_size();
	size_t head = (sizeof(struct media_socks) + 7) & ~(size_t)7; /* struct event: 8-aligned */
	struct media_socks *ms = calloc(1, head + 2 * esz);

	if (!ms)
		return NULL;
	ms->rtp = (struct event *)((char *)ms + head);
	ms->rtcp = (struct event *)((char *)ms + head + esz);
	if (event_assign(ms->rtp, base, pair->rtp_fd, EV_READ | EV_PERSIST, media_on_rtp, ms) < 0 ||
	    event_assign(ms->rtcp, base, pair->rtcp_fd, EV_READ | EV_PERSIST, media_on_rtcp, ms) <
		0) {
		free(ms);
		return NULL;
	}
	if (event_add(ms->rtp, NULL) < 0 || event_add(ms->rtcp, NULL) < 0) {
		media_socks_free(ms);
		return NULL;
	}
	return ms;
}

int media_new(struct media **mp, struct rtpport_pool *pool, const struct net_addr *local)
{
	struct media *m;
	int err;

	if (!mp || !pool || !local)
		return -EINVAL;
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	rtpport_pool_set_user_free(pool, media_socks_free);
	if ((err = rtpport_get(pool, local, &m->pair)) < 0) {
		free(m);
		return err;
	}
	m->pool = pool;
	m->rtt_ms = -1;
	m->remote_loss_pct = -1;
	m->remote_jitter_ms = -1;
	*mp = m;
	return 0;
}

static void detach(struct media *m)
{
	struct media_engine *eng = m->eng;

	if (!eng)
		return;
	/* RFC 3550 §6.3.7: no BYE from one that never sent RTP or RTCP. */
	if (m->have && (m->tx_packets || m->rtcp_tx))
		media_send_rtcp(m, true);
	if (eng->iter_next == m)
		eng->iter_next = m->next;
	if (m->prev)
		m->prev->next = m->next;
	else
		eng->first = m->next;
	if (m->next)
		m->next->prev = m->prev;
	eng->n--;
	m->eng = NULL;
	media_tick_arm(eng);
}

void media_free(struct media *m)
{
	if (!m)
		return;
	if (m->alive)
		*m->alive = false;
	detach(m);
	if (m->ev_flush)
		event_free(m->ev_flush);
	/* The pair's events go to the pool with it (its user), reading into nothing. */
	if (m->pair.user)
		((struct media_socks *)m->pair.user)->m = NULL;
	rtpport_put(m->pool, &m->pair);
	wavrec_close(m->rec, NULL, NULL, 0);
	free(m->rec_path);
	afile_close(m->play);
	free(m->play_path);
	afile_close(m->file);
	free(m->src_path);
	free(m->evq);
	free(m->out);
	free(m->dtx);
	media_rx_release(m);
	g722_free(m->g722);
	msrtp_free(m->srtp);
	sdes_wipe(&m->params.tx_key);
	sdes_wipe(&m->params.rx_key);
	free(m);
}

static void on_inband(void *arg, char digit)
{
	struct media *m = arg;

	media_ev_push(m, &(struct media_event_info){
			     .ev = MEDIA_EV_DTMF, .digit = digit, .dtmf_source = "inband"});
}

bool media_jb(struct media *m)
{
	const struct media_engine_cfg *c = &m->eng->cfg;

	return m->jb || jbuf_new(&m->jb, MEDIA_RATE, c->jitter_min_ms, c->jitter_max_ms) == 0;
}

bool media_inband(struct media *m)
{
	return m->inband || dtmf_inband_new(&m->inband, on_inband, m) == 0;
}

void media_rx_release(struct media *m)
{
	struct jbuf_stats js;

	if (m->jb) {
		jbuf_stats(m->jb, &js);
		m->jb_late += js.late;
		m->jb_concealed += js.concealed;
		jbuf_free(m->jb);
		m->jb = NULL;
	}
	dtmf_inband_free(m->inband);
	m->inband = NULL;
}

void media_src_end(struct media *m)
{
	if (!m->have_src)
		return;
	m->lost_prior += rtp_src_lost(&m->src);
	m->expected_prior += rtp_src_expected(&m->src);
	m->have_src = false;
	m->cand_n = 0;
	jbuf_reset(m->jb);
	dtmf_rx_setup(&m->drx, MEDIA_RATE);
}

int media_attach(struct media *m, struct media_engine *eng, const struct media_source *src,
		 media_event_fn *fn, void *arg)
{
	struct media_socks *ms;
	char tok[17];

	if (!m || !eng || !src)
		return -EINVAL;
	ms = m->pair.user;
	if (m->eng || (ms && ms->m))
		return -EALREADY;
	m->src_cfg = *src;
	if (src->path && !(m->src_path = strdup(src->path)))
		return -ENOMEM;
	m->src_cfg.path = m->src_path;
	/* A kept pair's events serve again, unless they were made on another base. */
	if (ms && event_get_base(ms->rtp) != eng->base) {
		media_socks_free(ms);
		m->pair.user = ms = NULL;
	}
	if (!ms && !(m->pair.user = ms = media_socks_new(eng->base, &m->pair)))
		return -ENOMEM;
	ms->m = m;
	m->fn = fn;
	m->arg = arg;
	m->ssrc = rnd_u32();
	m->seq = (uint16_t)rnd_u32();
	m->ts = rnd_u32();
	m->spurt = true;
	rnd_token(tok, sizeof(tok));
	snprintf(m->cname, sizeof(m->cname), "%.16s@sipuad", tok);
	dtmf_rx_setup(&m->drx, MEDIA_RATE);
	tone_init(&m->tone, src->kind == MEDIA_SRC_TONE ? src->tone_hz : 0, MEDIA_RATE, 8000);
	m->eng = eng;
	m->next = eng->first;
	if (eng->first)
		eng->first->prev = m;
	eng->first = m;
	eng->n++;
	m->last_rx_ms = tmr_now(eng->clk);
	m->next_rtcp_ms = m->last_rx_ms + rtcp_interval_ms();
	media_tick_arm(eng);
	return 0;
}

void media_rtcp_dest(const struct net_addr *rtp, bool mux, struct net_addr *out)
{
	*out = *rtp;
	if (!mux)
		net_addr_set_port(out, (uint16_t)(net_addr_port(rtp) + 1));
}

static bool params_ok(const struct media_params *p)
{
	return p->codec && p->codec->kind == CODEC_AUDIO && p->pt >= 0 && p->pt <= 127 &&
	       p->te_pt >= -1 && p->te_pt <= 127 && p->remote.len > 0 && p->ptime > 0 &&
	       p->dir >= MEDIA_SENDRECV && p->dir <= MEDIA_INACTIVE &&
	       (!p->srtp || (p->tx_key.suite == p->rx_key.suite && p->tx_key.len &&
			     p->tx_key.len == sdes_key_len(p->tx_key.suite) &&
			     p->rx_key.len == p->tx_key.len));
}

static bool key_eq(const struct sdes_key *a, const struct sdes_key *b)
{
	return a->suite == b->suite && a->len == b->len && memcmp(a->key, b->key, a->len) == 0;
}

/*
 * SRTP as p asks: the sessions are made again only when a key changed.
 * m->srtp, when there, was made with m->params' keys (kept while the
 * stream is inactive too): the one copy of them the session holds.
 */
static int srtp_update(struct media *m, const struct media_params *p)
{
	struct msrtp *s = NULL;
	int err;

	if (!p->srtp) {
		msrtp_free(m->srtp);
		m->srtp = NULL;
		return 0;
	}
	if (m->srtp && key_eq(&m->params.tx_key, &p->tx_key) &&
	    key_eq(&m->params.rx_key, &p->rx_key))
		return 0;
	if ((err = msrtp_new(&s, &p->tx_key, &p->rx_key)) < 0)
		return err == -ENOMEM ? err : -EIO;
	/*
	 * New sessions start their rollover counters at 0: with the same send
	 * key, a new SSRC keeps every packet's keystream new (RFC 3711 §9.1).
	 */
	if (m->srtp && key_eq(&m->params.tx_key, &p->tx_key))
		m->ssrc = rnd_u32();
	msrtp_free(m->srtp);
	m->srtp = s;
	return 0;
}

/* Does p turn SRTP on or off, or bring another key? */
static bool keys_changed(const struct media_params *cur, const struct media_params *p)
{
	if (cur->srtp != p->srtp)
		return true;
	return p->srtp && !(key_eq(&cur->tx_key, &p->tx_key) && key_eq(&cur->rx_key, &p->rx_key));
}

/*
 * Where we send after p.  A new peer address, or new SRTP keys (the peer
 * restarts its stream, and our SRTP sessions are new), ends the peer's
 * source: its next packet starts one, whatever its SSRC, with no
 * probation.
 */
static void peer_changed(struct media *m, const struct media_params *p)
{
	bool moved = !m->have || !net_addr_eq(&m->params.remote, &p->remote);
	bool rekeyed = keys_changed(&m->params, p);

	if (moved || !m->latched) {
		m->dest = p->remote;
		if (p->remote_rtcp.len && !p->rtcp_mux)
			m->dest_rtcp = p->remote_rtcp; /* RFC 3605 a=rtcp */
		else
			media_rtcp_dest(&p->remote, p->rtcp_mux, &m->dest_rtcp);
		m->latched = false;
	}
	if (m->have && (moved || rekeyed))
		media_src_end(m);
}

/* On hold (either way) or stopped: the buffers of the direction that stopped go. */
static void idle_release(struct media *m)
{
	if (!media_receiving(m))
		media_rx_release(m);
	if (!media_sending(m)) {
		free(m->out);
		m->out = NULL;
		m->out_n = m->out_cap = 0;
	}
}

int media_update(struct media *m, const struct media_params *p)
{
	bool was;
	int err;

	if (!m || !p)
		return -EINVAL;
	if (!p->active) {
		m->have = false;
		idle_release(m);
		return 0;
	}
	if (!params_ok(p))
		return -EINVAL;
	if (m->eng && (err = srtp_update(m, p)) < 0) {
		m->have = false;
		return err;
	}
	was = m->have && m->params.dir == MEDIA_SENDRECV;
	peer_changed(m, p);
	sdes_wipe(&m->params.tx_key);
	sdes_wipe(&m->params.rx_key);
	m->params = *p;
	m->have = true;
	if (!was || p->dir != MEDIA_SENDRECV) {
		/*
		 * A start or a resume: a new talk spurt, the RTP timeout counts
		 * from now, and echo sends its first packet at once.
		 */
		m->spurt = true;
		m->out_n = 0;
		m->heard = false;
		m->quiet = MEDIA_ECHO_KEEPALIVE;
		if (m->eng)
			m->last_rx_ms = tmr_now(m->eng->clk);
		m->timed_out = false;
	}
	idle_release(m);
	if (m->eng && !m->file && !m->src_failed && m->src_cfg.kind == MEDIA_SRC_FILE) {
		char why[256];

		/* Told once, as a play's read error is: a re-INVITE does not try again. */
		if (afile_open(&m->file, m->src_cfg.path, m->src_cfg.loop, why, sizeof(why)) < 0) {
			m->src_failed = true;
			media_source_done(m, why);
		}
	}
	return 0;
}

bool media_sending(const struct media *m)
{
	return m->have && (m->params.dir == MEDIA_SENDRECV || m->params.dir == MEDIA_SENDONLY) &&
	       !net_addr_is_any(&m->dest);
}

bool media_receiving(const struct media *m)
{
	return m->have && (m->params.dir == MEDIA_SENDRECV || m->params.dir == MEDIA_RECVONLY);
}

uint16_t media_port(const struct media *m)
{
	return m ? m->pair.port : 0;
}

void media_local(const struct media *m, struct net_addr *out)
{
	/* The RTP socket is bound to local and the pair's port (media_new): no copy kept. */
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getsockname(m->pair.rtp_fd, (struct sockaddr *)&out->ss, &out->len) < 0)
		out->len = 0;
}

const struct media_params *media_current(const struct media *m)
{
	return m && m->have ? &m->params : NULL;
}

const char *media_codec(const struct media *m)
{
	return m && m->have ? m->params.codec->name : NULL;
}

const char *media_srtp_suite(const struct media *m)
{
	return m && m->have && m->params.srtp ? sdes_suite_name(m->params.tx_key.suite) : NULL;
}

/* ---- codecs: one octet per 8 kHz sample for each of them ---- */

/* The call's G.722 state, made at first use; NULL: no memory. */
static struct g722 *g722_of(struct media *m)
{
	if (!m->g722)
		(void)g722_new(&m->g722);
	return m->g722;
}

bool media_encode(struct media *m, const struct codec *c, uint8_t *out, const int16_t *pcm, size_t n)
{
	switch (c->pt) {
	case 8:
		g711_alaw_encode(out, pcm, n);
		return true;
	case 9:
		if (!g722_of(m))
			return false;
		g722_enc(m->g722, out, pcm, n);
		return true;
	default:
		g711_ulaw_encode(out, pcm, n);
		return true;
	}
}

bool media_decode(struct media *m, const struct codec *c, int16_t *pcm, const uint8_t *in, size_t n)
{
	switch (c->pt) {
	case 8:
		g711_alaw_decode(pcm, in, n);
		return true;
	case 9:
		if (!g722_of(m))
			return false;
		g722_dec(m->g722, pcm, in, n);
		return true;
	default:
		g711_ulaw_decode(pcm, in, n);
		return true;
	}
}

/* ---- commands ---- */

int media_play(struct media *m, const char *path, bool loop, char *why, size_t whylen)
{
	struct afile *f = NULL;
	char *p;
	int err;

	if (!m || !path)
		return -EINVAL;
	if (!m->eng) {
		snprintf(why, whylen, "the call has no media running");
		return -ENOTCONN;
	}
	if ((err = afile_open(&f, path, loop, why, whylen)) < 0)
		return err;
	if (!(p = strdup(path))) {
		afile_close(f);
		return -ENOMEM;
	}
	if (m->play)
		media_play_end(m, "replaced");
	m->play = f;
	m->play_path = p;
	return 0;
}

int media_play_stop(struct media *m)
{
	if (!m || !m->play)
		return -ENOENT;
	media_play_end(m, "stopped");
	return 0;
}

const char *media_playing(const struct media *m)
{
	return m ? m->play_path : NULL;
}

int media_record_start(struct media *m, const char *path, char *why, size_t whylen)
{
	char *p;
	int err;

	if (!m || !path)
		return -EINVAL;
	if (!m->eng) {
		snprintf(why, whylen, "the call has no media running");
		return -ENOTCONN;
	}
	if (m->rec) {
		snprintf(why, whylen, "already recording to %s", m->rec_path);
		return -EALREADY;
	}
	if (!(p = strdup(path)))
		return -ENOMEM;
	if ((err = wavrec_open(&m->rec, path, MEDIA_RATE, why, whylen)) < 0) {
		free(p);
		return err;
	}
	m->rec_path = p;
	return 0;
}

int media_record_stop(struct media *m, double *seconds)
{
	double s;

	if (!m || !m->rec)
		return -ENOENT;
	s = media_record_end(m, NULL);
	if (seconds)
		*seconds = s;
	return 0;
}

const char *media_recording(const struct media *m)
{
	return m ? m->rec_path : NULL;
}

int media_dtmf(struct media *m, const char *digits, unsigned duration_ms)
{
	if (!m || !digits)
		return -EINVAL;
	if (!m->eng || !m->have || !media_sending(m))
		return -ENOTCONN;
	if (m->params.te_pt < 0)
		return -ENOTSUP;
	if (!m->dtx) {
		if (!(m->dtx = malloc(sizeof(*m->dtx))))
			return -ENOMEM;
		dtmf_tx_setup(m->dtx, MEDIA_RATE);
	}
	return dtmf_tx_queue(m->dtx, digits, duration_ms);
}
