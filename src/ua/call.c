/*
 * call: the call table, the life of one call (birth, the one end), the
 * policy of ending it (call_stop: CANCEL, a final response, BYE), what its
 * media is built from, and the commands.  The INVITE dialog usage under a
 * call (2xx resend, ACK, re-INVITE transaction and glare back-off, BYE) is
 * its session (sess.c); answering and the requests a peer sends in a call
 * are in call_uas.c; our own INVITEs (initial, redirected, CANCELled,
 * re-INVITEs) are in call_uac.c.
 *
 * Why no call hangs, state by state:
 *   calling, ringing, early (UAC)  Timer B in the ICT, or ring_timeout_s,
 *                                  then CANCEL and §9.1's 64*T1 guard
 *   ringing (UAS)                  ring_timeout_s (480), CANCEL (487)
 *   connecting (UAS)               the session resends our 2xx until the
 *                                  ACK, for 64*T1 at most, then BYE
 *                                  (§13.3.1.4)
 *   established                    ends by BYE either way; a re-INVITE that
 *                                  times out ends it too (§14.1)
 *   ending                         our BYE's NICT ends by Timer F at most
 *
 * Lifetimes: a call owns its session (and through it the dialog, whose
 * owner pointer is the session), its RTP pair, its oa session and its
 * timers; call_free() releases all of them and detaches every transaction
 * the call or its session still points to, so none calls back into freed
 * memory.  A transaction pointer is cleared in the callback that ends it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/why.h"
#include "ua/account.h"
#include "ua/call_int.h"

/* A normal call's lines, generously rate-limited (log.h LOG_RL_CALL). */
static struct log_rl rl_ended = LOG_RL_INIT("call_ended", "calls ended", LOG_RL_CALL);
static struct log_rl rl_remote_hold =
    LOG_RL_INIT("remote_hold", "holds and resumes by peers", LOG_RL_CALL);

static const char *const state_names[] = {
    [CALL_CALLING] = "calling",	      [CALL_RINGING] = "ringing",	  [CALL_EARLY] = "early",
    [CALL_CONNECTING] = "connecting", [CALL_ESTABLISHED] = "established", [CALL_ENDING] = "ending",
};

const char *call_state_name(enum call_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

int call_set_str(char **dst, const char *src)
{
	char *s = NULL;

	if (src && !(s = strdup(src)))
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* ---- the table ---- */

static void cfg_release(struct call_cfg *c)
{
	for (size_t i = 0; i < c->n_codecs; i++)
		free((char *)c->codecs[i]);
	free((char *)c->source);
	free((char *)c->record_dir);
	memset(c, 0, sizeof(*c));
}

static int cfg_copy(struct call_cfg *dst, const struct call_cfg *src)
{
	struct call_cfg c = *src;

	if (src->n_codecs == 0 || src->n_codecs > 4 || src->reject_code < 400 ||
	    src->reject_code > 699)
		return -EINVAL;
	c.n_codecs = 0;
	c.source = c.record_dir = NULL;
	if (src->source && media_source_parse(src->source, &(struct media_source){0}) < 0)
		return -EINVAL;
	if ((src->source && !(c.source = strdup(src->source))) ||
	    (src->record_dir && src->record_dir[0] && !(c.record_dir = strdup(src->record_dir)))) {
		cfg_release(&c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < src->n_codecs; i++) {
		if (!(c.codecs[i] = strdup(src->codecs[i]))) {
			cfg_release(&c);
			return -ENOMEM;
		}
		c.n_codecs++;
	}
	*dst = c;
	return 0;
}

int calls_new(struct calls **csp, const struct call_env *env, const struct call_cfg *cfg)
{
	struct calls *cs;
	int err;

	if (!env || !env->tsx || !env->clk || !env->local || !env->event)
		return -EINVAL;
	if (!(cs = calloc(1, sizeof(*cs))))
		return -ENOMEM;
	cs->env = *env;
	cs->next_id = 1;
	if (!env->account && (err = account_new_default(&cs->own_account)) < 0) {
		free(cs);
		return err;
	}
	if (!env->account)
		cs->env.account = cs->own_account;
	if ((err = cfg_copy(&cs->cfg, cfg)) < 0 || (err = dlg_table_new(&cs->dlgs)) < 0 ||
	    (err = htab_new(&cs->by_handle)) < 0 ||
	    (err = rtpport_pool_new(&cs->rtp, env->rtp_port_min, env->rtp_port_max)) < 0) {
		calls_free(cs);
		return err;
	}
	cs->sx = (struct sess_ctx){
	    .tsx = env->tsx, .clk = env->clk, .local = env->local, .local_arg = env->local_arg};
	*csp = cs;
	return 0;
}

int calls_set_cfg(struct calls *cs, const struct call_cfg *cfg)
{
	struct call_cfg c;
	int err;

	if ((err = cfg_copy(&c, cfg)) < 0)
		return err;
	cfg_release(&cs->cfg);
	cs->cfg = c;
	return 0;
}

unsigned calls_count(const struct calls *cs)
{
	return cs->n;
}

unsigned calls_dialogs(const struct calls *cs)
{
	return (unsigned)dlg_table_count(cs->dlgs);
}

unsigned calls_rtp_in_use(const struct calls *cs)
{
	return rtpport_in_use(cs->rtp);
}

unsigned calls_rtp_kept(const struct calls *cs)
{
	return rtpport_kept(cs->rtp);
}

struct call *call_find(const struct calls *cs, const char *handle)
{
	struct htab_node *n = htab_find(cs->by_handle, handle, strlen(handle));

	return n ? (struct call *)((char *)n - offsetof(struct call, node)) : NULL;
}

const char *call_handle(const struct call *c)
{
	return c->handle;
}

void calls_foreach(struct calls *cs, void (*fn)(const struct call *c, void *arg), void *arg)
{
	for (struct call *c = cs->first; c; c = c->next)
		fn(c, arg);
}

/* ---- one call: birth and death ---- */

static void on_ring_tmr(void *arg);
static int call_stop(struct call *c, int uac_code, int uas_code, const char *reason);
static void on_bye_done(void *arg, const struct sip_msg *resp, int err);
static void on_glare_done(void *arg);
static void on_cancel_timeout(void *arg);

static const struct sess_handlers sess_h = {
    .ok_timeout = call_uas_ok_timeout,
    .bye_done = on_bye_done,
    .glare_done = on_glare_done,
    .cancel_timeout = on_cancel_timeout,
};

static void uac_free(struct call_uac *u)
{
	hop_close(&u->hop); /* a resolution in progress never calls back */
	for (size_t i = 0; i < u->n_targets; i++)
		free(u->targets[i]);
	for (size_t i = 0; i < u->n_hdrs; i++)
		free(u->hdrs[i]);
	free(u->hdrs);
	free(u->ruri);
	free(u);
}

int call_new(struct calls *cs, bool outgoing, const struct account *acc, struct call **cp)
{
	struct call *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->cs = cs;
	/* A reload may drop it from the daemon's table: the call holds it. */
	c->acc = account_hold(acc ? acc : cs->env.account);
	c->outgoing = outgoing;
	if (outgoing && !(c->uac = calloc(1, sizeof(*c->uac)))) {
		account_free(c->acc);
		free(c);
		return -ENOMEM;
	}
	snprintf(c->handle, sizeof(c->handle), "c%lu", cs->next_id++);
	if ((err = htab_insert(cs->by_handle, &c->node, c->handle, strlen(c->handle))) < 0) {
		account_free(c->acc);
		free(c->uac);
		free(c);
		return err;
	}
	tmr_init(&c->answer_tmr, cs->env.clk, call_uas_answer_timer, c);
	tmr_init(&c->ring_tmr, cs->env.clk, on_ring_tmr, c);
	sess_init(&c->s, &cs->sx, c->handle, &sess_h, c);
	c->s.cred = account_cred(c->acc); /* a 401 / 407 in the dialog is answered with it */
	c->prev = cs->last;
	if (cs->last)
		cs->last->next = c;
	else
		cs->first = c;
	cs->last = c;
	cs->n++;
	*cp = c;
	return 0;
}

/* The one destructor: every timer, transaction link, dialog, socket and string. */
static void call_free(struct call *c)
{
	struct calls *cs = c->cs;

	tmr_close(&c->answer_tmr);
	tmr_close(&c->ring_tmr);
	if (c->uac)
		uac_free(c->uac);
	sess_close(&c->s);
	/* A UAC's other forks may have left early dialogs (§12.3). */
	if (c->outgoing && c->call_id && c->local_tag)
		dlg_table_end_early(cs->dlgs, c->call_id, c->local_tag);
	media_free(c->media);
	oa_free(c->oa);
	account_free(c->acc);
	free(c->peer);
	free(c->local_uri);
	free(c->call_id);
	free(c->local_tag);
	free(c->end_reason);
	free(c->dtmf_info_q);
	call_sdp_free(c->local_sdp);
	call_sdp_free(c->remote_sdp);
	htab_remove(cs->by_handle, &c->node);
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->first = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		cs->last = c->prev;
	cs->n--;
	free(c);
}

void call_emit(struct call *c, const char *state, int code, const char *reason, const char *by)
{
	struct call_event_info e = {
	    .ev = CALL_EV_STATE, .state = state, .code = code, .reason = reason, .by = by};

	c->cs->env.event(c->cs->env.event_arg, c, &e);
}

void call_emit_ev(struct call *c, enum call_event ev, int code, const char *reason,
		  const char *what)
{
	struct call_event_info e = {.ev = ev, .code = code, .reason = reason, .what = what};

	c->cs->env.event(c->cs->env.event_arg, c, &e);
}

void call_emit_update(struct call *c, int code, const char *reason, const char *what)
{
	call_emit_ev(c, CALL_EV_UPDATE, code, reason, what);
}

void call_drop(struct call *c)
{
	call_free(c);
}

/* The end of every call: one log line, the ended event, and nothing left. */
void call_end(struct call *c, int code, const char *reason, bool remote)
{
	struct media_stats ms;

	media_stats(c->media, &ms);
	if (ms.valid && (ms.rx_packets || ms.tx_packets)) {
		char rtt[32] = "unknown";

		if (ms.rtt_ms >= 0)
			snprintf(rtt, sizeof(rtt), "%.0f ms", ms.rtt_ms);
		log_rl_info(&rl_ended,
			    "%s: ended %d %s (by %s); media: %" PRIu64 " packets received, %" PRIu64
			    " sent, loss %.1f %%, jitter %.1f ms, rtt %s, MOS %.2f",
			    c->handle, code, reason, remote ? "remote" : "local", ms.rx_packets,
			    ms.tx_packets, ms.loss_pct, ms.jitter_ms, rtt, ms.mos);
	} else
		log_rl_info(&rl_ended, "%s: ended %d %s (by %s)", c->handle, code, reason,
			    remote ? "remote" : "local");
	call_media_end(c);
	call_emit(c, "ended", code, reason, remote ? "remote" : "local");
	call_free(c);
}

static void set_end(struct call *c, int code, const char *reason, bool remote)
{
	c->end_code = code;
	if (reason != call_end_reason(c)) { /* the stored reason passed back in */
		char *r = strndup(reason, CALL_END_REASON_MAX);

		free(c->end_reason);
		c->end_reason = r;
	}
	c->end_remote = remote;
}

/*
 * §15: the callee may not send BYE before the ACK for its 2xx arrives (or
 * the 2xx's resends time out).  Until then the call is ending and the 200
 * is still resent; calls_ack() or call_uas_ok_timeout() sends the BYE.
 */
static void bye_after_ack(struct call *c, int code, const char *reason)
{
	set_end(c, code, reason, false);
	c->bye_after_ack = true;
	c->state = CALL_ENDING;
	log_info("%s: ending once the ACK comes (RFC 3261 §15)", c->handle);
}

static void stop_timers(struct call *c)
{
	tmr_stop(&c->answer_tmr);
	tmr_stop(&c->ring_tmr);
	sess_ok_stop(&c->s);
	tmr_stop(&c->s.glare_tmr);
}

/* Our BYE's outcome (the session's news): any final response or none ends the call as decided. */
static void on_bye_done(void *arg, const struct sip_msg *resp, int err)
{
	struct call *c = arg;

	(void)resp;
	(void)err;
	call_end(c, c->end_code, call_end_reason(c), c->end_remote);
}

/*
 * End an answered call with BYE (§15.1.1); the ended event waits for the
 * BYE's outcome.  Without a confirmed dialog, or if the BYE cannot go,
 * the call ends at once.
 */
void call_bye(struct call *c, int code, const char *reason, bool remote)
{
	int err;

	set_end(c, code, reason, remote);
	stop_timers(c);
	c->state = CALL_ENDING;
	if ((err = sess_bye(&c->s)) == -EALREADY)
		return;
	if (err == -ENOTCONN) {
		call_end(c, code, reason, remote);
		return;
	}
	if (err < 0) {
		log_warn("%s: cannot send BYE: %s", c->handle, strerror(-err));
		call_end(c, code, reason, remote);
	}
}

/*
 * An offer/answer exchange completed with result r (remote_sdp: the
 * peer's part of it).  A change of the peer's hold state on an answered
 * call is told (RFC 3264 §8.4: sendonly or inactive, or c=0.0.0.0).
 */
void call_media_update(struct call *c, const struct oa_result *r, const char *remote_sdp,
		       size_t len)
{
	bool held = !r->rejected && (r->remote_dir == OA_SENDONLY || r->remote_dir == OA_INACTIVE ||
				     net_addr_is_any(&r->remote));
	char *s = remote_sdp ? strndup(remote_sdp, len) : NULL;
	struct media_params mp;

	if (s) {
		call_sdp_free(c->remote_sdp);
		c->remote_sdp = s;
	}
	oa_media_params(r, &mp);
	if (media_update(c->media, &mp) < 0)
		log_warn("%s: the negotiated media (%s) cannot be used", c->handle, r->codec);
	else
		call_media_started(c);
	sdes_wipe(&mp.tx_key);
	sdes_wipe(&mp.rx_key);
	if (held != c->remote_hold && c->answered_ms) {
		c->remote_hold = held;
		log_rl_info(&rl_remote_hold, "%s: %s by the peer", c->handle,
			    held ? "held" : "resumed");
		call_emit(c, held ? "held" : "resumed", 0, NULL, "remote");
	}
	c->remote_hold = held;
}

int call_take_answer(struct call *c, const struct sip_msg *m, const char *what, int code)
{
	struct oa_result res;
	const char *sdp;
	char why[160] = "", text[200];
	size_t len;
	int err;

	/* Only application/sdp answers; an optional body of another type is ignored (§20.11). */
	if (!(sdp = msg_body_of_type(m, OA_CONTENT_TYPE, &len)))
		err = -EPROTO, snprintf(why, sizeof(why), "no SDP");
	else
		err = oa_take_answer(c->oa, sdp, len, &res, why, sizeof(why));
	if (err == 0) {
		call_media_update(c, &res, sdp, len);
		oa_result_wipe(&res);
		return 0;
	}
	snprintf(text, sizeof(text), "%s carried no usable SDP answer: %s", what, why);
	log_info("%s: %s", c->handle, text);
	call_bye(c, code, text, false);
	return err;
}

/* Our address toward peer for proto: the listener (ours for proto if unknown), see account.h. */
static int local_toward(struct calls *cs, enum net_proto proto, const struct net_addr *listener,
			const struct net_addr *peer, struct net_addr *out)
{
	struct net_addr a = *listener;
	int err;

	if (!a.len &&
	    (err = cs->env.local(cs->env.local_arg, proto, net_addr_family(peer), &a)) < 0)
		return err;
	return account_addr_toward(&a, peer, out);
}

/* The RTP pair and the oa session on our address toward the peer. */
static int media_setup(struct call *c)
{
	struct calls *cs = c->cs;
	struct oa_cfg oc;
	int err;

	memset(&oc, 0, sizeof(oc));
	for (size_t i = 0; i < cs->cfg.n_codecs; i++)
		oc.codecs[i] = cs->cfg.codecs[i];
	oc.n_codecs = cs->cfg.n_codecs;
	oc.dtmf = cs->cfg.dtmf;
	oc.local = c->s.via;
	oc.srtp = call_srtp_mode(c);
	oc.rtcp_mux = cs->cfg.rtcp_mux;
	if ((err = media_new(&c->media, cs->rtp, &c->s.via)) < 0) {
		if (err == -ENOSPC || err == -EADDRINUSE)
			calls_ports_exhausted(cs);
		return err;
	}
	if ((err = call_media_attach(c)) < 0)
		return err;
	return oa_new(&c->oa, &oc);
}

int call_setup_local(struct call *c, enum net_proto proto, const struct net_addr *listener,
		     const struct net_addr *peer)
{
	char a[NET_ADDR_STRLEN], contact[NET_ADDR_STRLEN + 128];
	struct net_addr via;
	int err;

	snprintf(c->source, sizeof(c->source), "%s:%s", net_proto_name(proto),
		 net_addr_fmt(peer, a, sizeof(a)));
	/* Who we are toward the peer: our address, and the Contact the account makes of it. */
	if ((err = local_toward(c->cs, proto, listener, peer, &via)) < 0 ||
	    (err = account_contact(c->acc, proto, &via, c->sips && proto == NET_TLS, contact,
				   sizeof(contact))) < 0 ||
	    (err = sess_set_local(&c->s, proto, &via, contact)) < 0)
		return err;
	return media_setup(c);
}

int call_uac_local(struct call *c, enum net_proto proto, const struct net_addr *peer)
{
	struct net_addr via;
	char a[NET_ADDR_STRLEN];

	if (c->media && proto == c->s.proto &&
	    local_toward(c->cs, proto, &(struct net_addr){0}, peer, &via) == 0 &&
	    net_addr_eq(&via, &c->s.via)) {
		snprintf(c->source, sizeof(c->source), "%s:%s", net_proto_name(proto),
			 net_addr_fmt(peer, a, sizeof(a)));
		return 0;
	}
	/* Another transport or address: nothing was negotiated yet, so start again. */
	media_free(c->media);
	c->media = NULL;
	oa_free(c->oa);
	c->oa = NULL;
	call_sdp_free(c->local_sdp);
	c->local_sdp = NULL;
	return call_setup_local(c, proto, &(struct net_addr){0}, peer);
}

static void on_ring_tmr(void *arg)
{
	struct call *c = arg;
	char why[96];

	snprintf(why, sizeof(why), "not answered within %u s ([call] ring_timeout_s)",
		 c->cs->cfg.ring_timeout_s);
	call_stop(c, 408, 480, why);
}

static void on_cancel_timeout(void *arg)
{
	struct call *c = arg;

	/* §9.1: no final response 64*T1 after our CANCEL: the INVITE is over. */
	call_end(c, c->end_code, call_end_reason(c), c->end_remote);
}

/* The session's §14.1 back-off ran out: the 491'd re-INVITE again, if still fitting. */
static void on_glare_done(void *arg)
{
	struct call *c = arg;
	enum call_update what = c->retry;
	int err;

	c->retry = CALL_UPD_NONE;
	if (c->state != CALL_ESTABLISHED || c->update != CALL_UPD_NONE || c->s.ist ||
	    sess_ok_pending(&c->s))
		return;
	if ((err = call_uac_reinvite(c, what)) < 0)
		log_warn("%s: cannot retry the re-INVITE: %s", c->handle, strerror(-err));
}

void calls_stray_response(struct calls *cs, const struct sip_msg *resp)
{
	call_uac_stray(cs, resp);
}

/* ---- commands ---- */

static int refuse_state(const struct call *c, struct why *why, const char *what)
{
	return why_set(why, -EPERM, WHY_FAILED, NULL, "%s is %s%s: %s", c->handle,
		       c->outgoing ? "outgoing and " : "", call_state_name(c->state), what);
}

int call_answer(struct call *c, struct why *why)
{
	int err;

	if (c->outgoing || c->state != CALL_RINGING || !c->s.ist)
		return refuse_state(c, why, "only a ringing incoming call can be answered");
	if ((err = call_uas_answer(c)) == -ECANCELED)
		return why_set(why, -EIO, WHY_FAILED, NULL,
			       "the 200 could not be sent; the call ended");
	if (err < 0)
		return why_set(why, err, WHY_FAILED, NULL, "cannot answer: %s", strerror(-err));
	return 0;
}

int call_reject(struct call *c, int code, struct why *why)
{
	char text[64];

	if (c->outgoing || c->state != CALL_RINGING || !c->s.ist)
		return refuse_state(c, why, "only a ringing incoming call can be rejected");
	if (code == 0)
		code = (int)c->cs->cfg.reject_code;
	if (code < 400 || code > 699)
		return why_set(why, -EINVAL, WHY_ARG, "code", "code %d: a rejection is 400..699",
			       code);
	snprintf(text, sizeof(text), "rejected by the reject command");
	call_uas_refuse(c, code, NULL, NULL, NULL, text);
	return 0;
}

/*
 * End a call that is not ending yet, the way its state asks, through its
 * session: CANCEL an outgoing one not answered (§9.1; it ends with
 * uac_code once the INVITE's final response comes), refuse an incoming
 * one not answered (uas_code), BYE an established one (§15.1.1), and BYE a
 * connecting one once the ACK comes (§15).  -EALREADY: it is ending.
 */
static int call_stop(struct call *c, int uac_code, int uas_code, const char *reason)
{
	switch (c->state) {
	case CALL_CALLING:
	case CALL_RINGING:
	case CALL_EARLY:
		if (!c->outgoing) {
			sess_uas_final(&c->s, uas_code, NULL, NULL, NULL);
			call_end(c, uas_code, reason, false);
			return 0;
		}
		set_end(c, uac_code, reason, false);
		tmr_stop(&c->ring_tmr);
		c->state = CALL_ENDING;
		if (sess_cancel(&c->s) < 0)
			call_end(c, uac_code, reason, false);
		return 0;
	case CALL_CONNECTING:
		bye_after_ack(c, 200, reason);
		return 0;
	case CALL_ESTABLISHED:
		call_bye(c, 200, reason, false);
		return 0;
	case CALL_ENDING:
		break;
	}
	return -EALREADY;
}

int call_hangup(struct call *c, struct why *why)
{
	bool answered = c->state == CALL_CONNECTING || c->state == CALL_ESTABLISHED;

	if (c->state == CALL_ENDING)
		return refuse_state(c, why, "it is already ending");
	return call_stop(c, 487, 603,
			 answered      ? "hung up by the hangup command"
			 : c->outgoing ? "cancelled by the hangup command"
				       : "declined by the hangup command");
}

int call_hold(struct call *c, bool hold, struct why *why)
{
	int err;

	if (c->state != CALL_ESTABLISHED)
		return refuse_state(c, why, "only an established call can be held or resumed");
	if (c->update != CALL_UPD_NONE || c->s.ist || sess_ok_pending(&c->s) ||
	    sess_glare_waiting(&c->s))
		return why_set(why, -EBUSY, WHY_FAILED, NULL,
			       "%s: an INVITE is in progress; try again later", c->handle);
	if (hold == c->local_hold)
		return why_set(why, -EALREADY, WHY_FAILED, NULL, "%s is %s", c->handle,
			       hold ? "already on hold" : "not on hold");
	if ((err = call_uac_reinvite(c, hold ? CALL_UPD_HOLD : CALL_UPD_RESUME)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "cannot send the re-INVITE: %s",
			       strerror(-err));
	return 0;
}

void calls_shutdown(struct calls *cs)
{
	struct call *c, *next;

	cs->closing = true;
	for (c = cs->first; c; c = next) {
		next = c->next;
		call_stop(c, 487, 480, "sipuad is shutting down");
	}
}

void calls_free(struct calls *cs)
{
	if (!cs)
		return;
	while (cs->first)
		call_free(cs->first);
	dlg_table_free(cs->dlgs);
	htab_free(cs->by_handle);
	rtpport_pool_free(cs->rtp);
	cfg_release(&cs->cfg);
	account_free(cs->own_account);
	free(cs);
}

/* ---- what a call looks like ---- */

void call_info(const struct call *c, struct call_info *out)
{
	const struct media_params *mp;
	char a[NET_ADDR_STRLEN];

	memset(out, 0, sizeof(*out));
	out->handle = c->handle;
	out->account = account_name(c->acc);
	out->outgoing = c->outgoing;
	out->state = call_state_name(c->state);
	out->peer = c->peer;
	out->local_uri = c->local_uri;
	out->call_id = c->call_id;
	out->local_tag = c->local_tag;
	out->source = c->source;
	out->transport = net_proto_name(c->s.proto);
	if (c->s.dlg) {
		out->remote_tag = c->s.dlg->remote_tag;
		out->remote_target = c->s.dlg->remote_target;
		out->route = (const char *const *)c->s.dlg->route;
		out->n_route = c->s.dlg->n_route;
		out->local_cseq = c->s.dlg->local_cseq;
		out->remote_cseq = c->s.dlg->remote_cseq;
	}
	out->local_sdp = c->local_sdp;
	out->remote_sdp = c->remote_sdp;
	out->codec = media_codec(c->media);
	if (c->media) {
		struct net_addr l;

		media_local(c->media, &l);
		net_addr_fmt(&l, out->local_rtp, sizeof(out->local_rtp));
	}
	if ((mp = media_current(c->media))) {
		net_addr_fmt(&mp->remote, a, sizeof(a));
		snprintf(out->remote_rtp, sizeof(out->remote_rtp), "%s", a);
	}
	out->local_hold = c->local_hold;
	out->remote_hold = c->remote_hold;
	out->srtp = media_srtp_suite(c->media);
	out->srtp_keys = call_srtp_keys(c);
	out->tls = c->s.proto == NET_TLS && c->s.flow && c->cs->env.conn_info &&
		   c->cs->env.conn_info(c->cs->env.conn_arg, c->s.flow, &out->tls_conn) == 0;
	out->playing = media_playing(c->media);
	out->recording = media_recording(c->media);
	media_stats(c->media, &out->media);
	if (c->answered_ms)
		out->duration_s = (double)(tmr_now(c->cs->env.clk) - c->answered_ms) / 1000.0;
}
