/*
 * call_media: a call's media session seen from the call: it is attached
 * to the engine with the [media] source, told each negotiation (the
 * media.started event when what runs changes; the SDES warning; the
 * record_dir recording), and its news becomes call events: DTMF digits
 * (RFC 4733, in-band, or INFO from the peer), the end of a play or a
 * recording, and the RTP timeout, which ends the call with a BYE that
 * says why (RFC 3326 Reason).  The media commands (play, record, dtmf)
 * are here too; DTMF goes as INFO application/dtmf-relay when the peer
 * took no telephone-event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "media/dtmf.h"
#include "sip/tsx.h"
#include "ua/account.h"
#include "ua/call_int.h"
#include "ua/preroute.h"

/* What peers send in calls, rate-limited (log.h); stats counts each class. */
static struct log_rl rl_dtmf = LOG_RL_INIT("dtmf_in", "DTMF digits received", LOG_RL_CALL);
static struct log_rl rl_media = LOG_RL_INIT("media_started", "media started or changed", LOG_RL_CALL);
static struct log_rl rl_latch =
    LOG_RL_INIT("rtp_latch", "RTP destination changes (symmetric RTP)", LOG_RL_PEER);

/* The RFC 3326 cause we give for a dead media stream: like a request that timed out. */
#define RTP_TIMEOUT_CAUSE 408

void call_sdp_free(char *sdp)
{
	if (!sdp)
		return;
	explicit_bzero(sdp, strlen(sdp));
	free(sdp);
}

static void emit(struct call *c, const struct call_event_info *e)
{
	c->cs->env.event(c->cs->env.event_arg, c, e);
}

static void on_media(void *arg, struct media *m, const struct media_event_info *e)
{
	struct call *c = arg;
	char a[NET_ADDR_STRLEN], text[160], hdr[200];

	(void)m;
	switch (e->ev) {
	case MEDIA_EV_DTMF:
		log_rl_info(&rl_dtmf, "%s: DTMF %c received (%s)", c->handle, e->digit,
			    e->dtmf_source);
		emit(c, &(struct call_event_info){.ev = CALL_EV_DTMF,
						  .digit = e->digit,
						  .source = e->dtmf_source,
						  .duration_ms = e->duration_ms});
		return;
	case MEDIA_EV_TIMEOUT:
		if (c->state != CALL_ESTABLISHED)
			return;
		snprintf(text, sizeof(text), "no RTP for %u s ([media] rtp_timeout_s)", e->seconds);
		snprintf(hdr, sizeof(hdr), "SIP;cause=%d;text=\"RTP timeout: no RTP for %u s\"",
			 RTP_TIMEOUT_CAUSE, e->seconds);
		log_info("%s: %s: hanging up", c->handle, text);
		sess_set_bye_reason(&c->s, hdr);
		call_bye(c, RTP_TIMEOUT_CAUSE, text, false);
		return;
	case MEDIA_EV_PLAY_DONE:
		if (strncmp(e->reason, "error: ", 7) == 0)
			log_warn("%s: play of %s failed: %s", c->handle, e->path, e->reason + 7);
		else
			log_info("%s: play of %s done: %s", c->handle, e->path, e->reason);
		emit(c, &(struct call_event_info){
			    .ev = CALL_EV_PLAY, .path = e->path, .reason = e->reason});
		return;
	case MEDIA_EV_RECORD_DONE:
		log_info("%s: recording %s done: %.1f s%s%s", c->handle, e->path, e->record_seconds,
			 e->reason ? ": " : "", e->reason ? e->reason : "");
		emit(c, &(struct call_event_info){.ev = CALL_EV_RECORD,
						  .path = e->path,
						  .seconds = e->record_seconds,
						  .reason = e->reason});
		return;
	case MEDIA_EV_SOURCE_LATCHED:
		log_rl_info(&rl_latch,
			    "%s: RTP now goes to %s, where the peer's comes from (symmetric RTP)",
			    c->handle, net_addr_fmt(e->addr, a, sizeof(a)));
		return;
	}
}

int call_srtp_mode(const struct call *c)
{
	int acc = account_srtp(c->acc);

	return acc >= 0 ? acc : c->cs->cfg.srtp;
}

/* The refusal of SDES keys over a hop of transport name over. */
static int srtp_refused(const char *over, char *why, size_t whylen)
{
	return why_fmt(why, whylen, -EPERM,
		       "srtp = mandatory needs TLS signalling: the SDES keys would cross %s in the "
		       "clear (use sips: or ;transport=tls, or [media] srtp_insecure_signalling = "
		       "yes)",
		       over);
}

int call_srtp_policy(const struct call *c, enum net_proto proto, char *why, size_t whylen)
{
	if (call_srtp_mode(c) != OA_SRTP_MANDATORY || proto == NET_TLS ||
	    c->cs->cfg.srtp_insecure_signalling)
		return 0;
	return srtp_refused(net_proto_name(proto), why, whylen);
}

int call_srtp_precheck(const struct calls *cs, const struct account *acc, const char *uri,
		       struct why *why)
{
	int mode = account_srtp(acc) >= 0 ? account_srtp(acc) : cs->cfg.srtp;
	struct msg_uri_parts p;
	struct net_addr a;
	char *hop = NULL;
	int err = 0;

	if (mode != OA_SRTP_MANDATORY || cs->cfg.srtp_insecure_signalling ||
	    preroute_hop_uri(acc, uri, &hop, NULL, 0) < 0)
		return 0; /* a URI the resolver refuses is refused there */
	if (msg_uri_parts(hop, &p, NULL, 0) == 0 && !p.sips && strcmp(p.transport, "tls") != 0 &&
	    (p.transport[0] || net_addr_from_host(&a, p.host, 5060) == 0))
		err = why_tag(why, srtp_refused(p.transport[0] ? p.transport : "udp", why->msg,
						sizeof(why->msg)),
			      WHY_ARG, "to");
	free(hop);
	return err;
}

const char *call_srtp_keys(const struct call *c)
{
	if (!c->media || !media_srtp_suite(c->media))
		return NULL;
	return c->s.proto == NET_TLS ? "tls" : "insecure";
}

int call_media_attach(struct call *c)
{
	struct calls *cs = c->cs;
	struct media_source src = {.kind = MEDIA_SRC_ECHO};

	if (!cs->env.media)
		return 0;
	if (cs->cfg.source)
		(void)media_source_parse(cs->cfg.source, &src); /* checked by calls_set_cfg */
	if (src.kind == MEDIA_SRC_FILE)
		src.loop = cs->cfg.source_loop;
	return media_attach(c->media, cs->env.media, &src, on_media, c);
}

void calls_ports_exhausted(struct calls *cs)
{
	uint64_t now = tmr_now(cs->env.clk);

	cs->ports_refused++;
	if (cs->ports_log_ms && now - cs->ports_log_ms < CALL_PORTS_LOG_S * 1000)
		return;
	log_warn("RTP port range %u-%u exhausted: %u call%s refused%s", cs->env.rtp_port_min,
		 cs->env.rtp_port_max, cs->ports_refused, cs->ports_refused == 1 ? "" : "s",
		 cs->ports_log_ms ? " since the last report" : "");
	cs->ports_log_ms = now;
	cs->ports_refused = 0;
}

/* A file name of the Call-ID: what is not [A-Za-z0-9._-] becomes '_'. */
static void safe_name(char *out, size_t size, const char *s)
{
	size_t i = 0;

	for (; s && *s && i + 1 < size; s++)
		out[i++] = (strchr("._-", *s) || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9'))
			       ? *s
			       : '_';
	out[i] = '\0';
}

static void default_record_path(const struct call *c, char *out, size_t size)
{
	char id[96];

	safe_name(id, sizeof(id), c->call_id);
	snprintf(out, size, "%s/%s-%s.wav", c->cs->cfg.record_dir, c->handle, id);
}

/* FNV-1a of s, never 0 (a call's "nothing said yet"). */
static uint64_t sig_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h ? h : 1;
}

void call_media_started(struct call *c)
{
	const struct media_params *mp = media_current(c->media);
	char sig[160], ra[NET_ADDR_STRLEN], path[1024], why[256];
	const char *suite = media_srtp_suite(c->media);

	if (!mp || !c->cs->env.media)
		return;
	snprintf(sig, sizeof(sig), "%s %s %s %d", mp->codec->name,
		 net_addr_fmt(&mp->remote, ra, sizeof(ra)), suite ? suite : "-", (int)mp->dir);
	if (sig_hash(sig) == c->media_sig)
		return;
	c->media_sig = sig_hash(sig);
	log_rl_info(&rl_media, "%s: media %s to %s%s%s", c->handle, mp->codec->name, ra,
		    suite ? ", SRTP " : "", suite ? suite : "");
	if (suite && c->s.proto != NET_TLS && !c->srtp_warned) {
		c->srtp_warned = true;
		log_warn("%s: SRTP keys travel in SDP over %s: anyone on the signalling path can "
			 "read them (use TLS signalling)",
			 c->handle, net_proto_name(c->s.proto));
	}
	emit(c, &(struct call_event_info){.ev = CALL_EV_MEDIA});
	if (c->cs->cfg.record_dir && !media_recording(c->media) && !c->recorded) {
		c->recorded = true;
		default_record_path(c, path, sizeof(path));
		if (media_record_start(c->media, path, why, sizeof(why)) < 0)
			log_warn("%s: cannot record ([media] record_dir): %s", c->handle, why);
	}
}

void call_media_end(struct call *c)
{
	char path[1024];
	double secs = 0;

	if (!c->media || !c->cs->env.media)
		return;
	if (media_playing(c->media)) {
		snprintf(path, sizeof(path), "%s", media_playing(c->media));
		media_play_stop(c->media);
		emit(c, &(struct call_event_info){
			    .ev = CALL_EV_PLAY, .path = path, .reason = "call ended"});
	}
	if (media_recording(c->media)) {
		snprintf(path, sizeof(path), "%s", media_recording(c->media));
		media_record_stop(c->media, &secs);
		log_info("%s: recording %s done: %.1f s", c->handle, path, secs);
		emit(c, &(struct call_event_info){
			    .ev = CALL_EV_RECORD, .path = path, .seconds = secs});
	}
}

/* ---- commands ---- */

static int media_ready(struct call *c, struct why *why)
{
	if (!c->media || !media_current(c->media) || !c->cs->env.media)
		return why_set(why, -ENOTCONN, WHY_FAILED, NULL, "call %s has no media running (%s)",
			       c->handle, call_state_name(c->state));
	if (c->state == CALL_ENDING)
		return why_set(why, -EPERM, WHY_FAILED, NULL, "call %s is ending", c->handle);
	return 0;
}

int call_play(struct call *c, const char *path, bool loop, struct why *why)
{
	char w[256];
	int err;

	if ((err = media_ready(c, why)) < 0)
		return err;
	if (!path) {
		if (media_play_stop(c->media) < 0)
			return why_set(why, -ENOENT, WHY_FAILED, NULL, "call %s is playing nothing",
				       c->handle);
		return 0;
	}
	if ((err = media_play(c->media, path, loop, w, sizeof(w))) < 0)
		return why_set(why, err, WHY_ARG, "file", "%s", w);
	log_info("%s: playing %s%s", c->handle, path, loop ? " (looping)" : "");
	return 0;
}

int call_record(struct call *c, bool start, const char *path, struct why *why)
{
	char def[1024], w[256];
	int err;

	if ((err = media_ready(c, why)) < 0)
		return err;
	if (!start) {
		if (media_record_stop(c->media, NULL) < 0)
			return why_set(why, -ENOENT, WHY_FAILED, NULL, "call %s is not recording",
				       c->handle);
		return 0;
	}
	if (!path) {
		if (!c->cs->cfg.record_dir)
			return why_set(why, -EINVAL, WHY_ARG, "path",
				       "no path given and [media] record_dir is empty");
		default_record_path(c, def, sizeof(def));
		path = def;
	}
	if ((err = media_record_start(c->media, path, w, sizeof(w))) < 0)
		return why_set(why, err, err == -EALREADY ? WHY_FAILED : WHY_ARG,
			       err == -EALREADY ? NULL : "path", "%s", w);
	log_info("%s: recording to %s", c->handle, path);
	return 0;
}

static void info_next(struct call *c);

static void on_info(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	struct call *c = arg;

	(void)ct;
	if (resp && resp->status < 200)
		return;
	c->s.info = NULL;
	if (!resp)
		log_info("%s: DTMF INFO got no answer: %s", c->handle, strerror(-err));
	else if (resp->status >= 300)
		log_info("%s: DTMF INFO answered %d", c->handle, resp->status);
	info_next(c);
}

/* The next queued digit as an INFO application/dtmf-relay. */
static void info_next(struct call *c)
{
	char body[64];
	int err;

	while (c->dtmf_info_q && c->dtmf_info_q[0] && !c->s.info) {
		char d = c->dtmf_info_q[0];

		memmove(c->dtmf_info_q, c->dtmf_info_q + 1, strlen(c->dtmf_info_q));
		if (dtmf_relay_format(body, sizeof(body), d, c->dtmf_info_dur) < 0)
			continue;
		if ((err = sess_info(&c->s, "application/dtmf-relay", body, on_info, c)) < 0) {
			log_warn("%s: cannot send DTMF INFO: %s", c->handle, strerror(-err));
			c->dtmf_info_q[0] = '\0';
		}
	}
}

int call_dtmf(struct call *c, const char *digits, unsigned duration_ms, struct why *why)
{
	size_t n;
	int err;

	if (!digits || !*digits)
		return why_set(why, -EINVAL, WHY_ARG, "digits", "no digits");
	for (const char *p = digits; *p; p++)
		if (dtmf_event_of(*p) < 0)
			return why_set(why, -EINVAL, WHY_ARG, "digits",
				       "'%c' is not a DTMF digit: expected 0-9 * # A-D", *p);
	if (duration_ms && (duration_ms < 40 || duration_ms > 5000))
		return why_set(why, -EINVAL, WHY_ARG, "duration",
			       "duration %u ms: expected 40..5000", duration_ms);
	if ((err = media_ready(c, why)) < 0)
		return err;
	err = media_dtmf(c->media, digits, duration_ms);
	if (err == 0) {
		log_info("%s: sending DTMF %s (RFC 4733)", c->handle, digits);
		return 0;
	}
	if (err == -ENOSPC)
		return why_set(why, err, WHY_BUSY, NULL, "too many DTMF digits queued");
	if (err != -ENOTSUP)
		return why_set(why, err, WHY_FAILED, NULL, "call %s is not sending media", c->handle);
	/* The peer took no telephone-event: SIP INFO, one digit per request. */
	/* Made at the first: most calls never send DTMF by INFO. */
	if (!c->dtmf_info_q && !(c->dtmf_info_q = calloc(1, CALL_DTMF_INFO_Q)))
		return why_set(why, -ENOMEM, WHY_FAILED, NULL, "out of memory");
	n = strlen(c->dtmf_info_q);
	if (n + strlen(digits) >= CALL_DTMF_INFO_Q)
		return why_set(why, -ENOSPC, WHY_BUSY, NULL, "too many DTMF digits queued");
	memcpy(c->dtmf_info_q + n, digits, strlen(digits) + 1);
	c->dtmf_info_dur = duration_ms ? duration_ms : 100;
	log_info("%s: sending DTMF %s (INFO: the peer has no telephone-event)", c->handle, digits);
	info_next(c);
	return 0;
}

/* An INFO in a call's dialog: DTMF bodies become call.dtmf; 200, or 415 for other bodies. */
bool call_info_request(struct call *c, struct tsx *st, const struct sip_msg *req)
{
	char ctype[128], digit;
	const char *body;
	unsigned dur;
	size_t len;
	struct msg_err e;

	body = msg_body(req, &len);
	if (!body || !len || !msg_content_type(req, ctype, sizeof(ctype))) {
		tsx_respond_code(st, 200, NULL, NULL);
		return true;
	}
	if (strcasecmp(ctype, "application/dtmf-relay") != 0 &&
	    strcasecmp(ctype, "application/dtmf") != 0) {
		msg_err_set(&e, 415, NULL, "Accept", "application/dtmf-relay, application/dtmf");
		tsx_respond_code(st, 415, NULL, &e);
		return true;
	}
	if (dtmf_relay_parse(body, len, strcasecmp(ctype, "application/dtmf") == 0, &digit, &dur) <
	    0) {
		msg_err_set(&e, 400, "Bad DTMF Body", NULL, NULL);
		tsx_respond_code(st, 400, "Bad DTMF Body", &e);
		return true;
	}
	tsx_respond_code(st, 200, NULL, NULL);
	log_rl_info(&rl_dtmf, "%s: DTMF %c received (INFO)", c->handle, digit);
	emit(c, &(struct call_event_info){
		    .ev = CALL_EV_DTMF, .digit = digit, .source = "info", .duration_ms = dur});
	return true;
}
