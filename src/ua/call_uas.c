/*
 * call_uas: the UAS side of INVITE (RFC 3261 §13.3) and the requests a
 * peer sends inside a call's dialog (§12.2.2, §14.2, §15.1.2): answering
 * (180, then auto, manual or reject), our 2xx resent until the ACK
 * (§13.3.1.4), CANCEL (§9.2), BYE, re-INVITE with its glare answers, and
 * the ACK that completes an answer (late offer: it carries the answer).
 * The call's life, its table and the commands are in call.c.
 *
 *   INVITE (offer)        -->   180 (To tag, Contact)        c1 ringing
 *                         <--   200 (answer)                 resent T1..T2
 *   ACK                   -->                                c1 answered
 *   INVITE a=sendonly     -->   200 a=recvonly               c1 held (remote)
 *   BYE                   -->   200                          c1 ended 200
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/rnd.h"
#include "ua/call_int.h"
#include "ua/ua.h"

#define CALL_WARN_AGENT "sipuad" /* §20.43: a pseudonym for warn-agent */

/*
 * Lines peers cause, rate-limited (log.h) and counted per class in stats:
 * refusals tightly, a normal call's lines generously (LOG_RL_CALL).
 */
static struct log_rl rl_503 = LOG_RL_INIT("invite_503", "INVITEs refused with 503", LOG_RL_PEER);
static struct log_rl rl_sdp = LOG_RL_INIT("sdp_refused", "SDP offers refused", LOG_RL_PEER);
static struct log_rl rl_in_dialog =
    LOG_RL_INIT("in_dialog_refused", "in-dialog requests refused", LOG_RL_PEER);
static struct log_rl rl_invite = LOG_RL_INIT("invite_in", "incoming INVITEs", LOG_RL_CALL);
static struct log_rl rl_answered = LOG_RL_INIT("call_answering", "calls answered", LOG_RL_CALL);
static struct log_rl rl_established =
    LOG_RL_INIT("call_established", "calls established", LOG_RL_CALL);

/* ---- UAS: answering an INVITE (§13.3) ---- */

/* A final non-2xx on st, a transaction no session holds, with an optional extra header. */
static void st_final(const struct call *c, struct tsx *st, int code, const char *reason,
		     const char *hname, const char *hvalue)
{
	struct msg_err e;
	int err;

	msg_err_set(&e, code, reason, hname, hvalue);
	if ((err = tsx_respond_code(st, code, e.reason, &e)) < 0)
		log_warn("%s: cannot send %d: %s", c->handle, code, strerror(-err));
}

/* Refuse the initial INVITE and end the call. */
void call_uas_refuse(struct call *c, int code, const char *reason, const char *hname,
		     const char *hvalue, const char *why)
{
	sess_uas_final(&c->s, code, reason, hname, hvalue);
	call_end(c, code, why, false);
}

/* Refuse a re-INVITE; the call goes on with the session it had. */
static void reinvite_refuse(struct call *c, int code, const char *reason, const char *hname,
			    const char *hvalue)
{
	log_rl_info(&rl_in_dialog, "%s: re-INVITE refused: %d %s", c->handle, code,
		    reason ? reason : msg_reason(code));
	sess_uas_final(&c->s, code, reason, hname, hvalue);
}

/*
 * Send the 2xx to the INVITE the session holds; it resends it until the ACK
 * (§13.3.1.4).  The IST is ours no longer: it absorbs INVITE
 * retransmissions until Timer L.
 */
static int uas_send_ok(struct call *c)
{
	char why[96];
	bool sent;
	int err;

	if ((err = sess_uas_ok(&c->s, c->local_sdp, &sent)) < 0 && !sent) {
		if (c->s.ist)
			return err; /* not built: nothing sent, the INVITE still waits */
		/* The transaction is over (§17.2.4): no 200 went, none can be resent. */
		snprintf(why, sizeof(why), "cannot send our 200: %s", strerror(-err));
		log_warn("%s: %s", c->handle, why);
		call_end(c, 503, why, false);
		return -ECANCELED;
	}
	if (err < 0) {
		call_bye(c, 500, "out of memory keeping our 200 for its resends", false);
		return -ECANCELED;
	}
	return 0;
}

/* The session's news: our 2xx had no ACK within 64*T1; §13.3.1.4 ends the call with BYE. */
void call_uas_ok_timeout(void *arg)
{
	struct call *c = arg;

	if (c->bye_after_ack)
		call_bye(c, c->end_code, call_end_reason(c), c->end_remote);
	else
		call_bye(c, 408, "no ACK for our 200 within 64*T1", false);
}

/* Answer the ringing incoming call: 200 with our answer, or our offer (late offer). */
int call_uas_answer(struct call *c)
{
	int err;

	if (c->offer_in_ok) {
		call_sdp_free(c->local_sdp);
		c->local_sdp = NULL;
		if ((err = oa_make_offer(c->oa, media_port(c->media), OA_SENDRECV,
					 &c->local_sdp)) < 0)
			return err;
	}
	tmr_stop(&c->answer_tmr);
	tmr_stop(&c->ring_tmr);
	if ((err = dlg_confirm(c->s.dlg, NULL)) < 0 || (err = uas_send_ok(c)) < 0)
		return err;
	c->state = CALL_CONNECTING;
	log_rl_info(&rl_answered, "%s: answered; waiting for the ACK", c->handle);
	return 0;
}

void call_uas_answer_timer(void *arg)
{
	struct call *c = arg;
	int err;

	if ((err = call_uas_answer(c)) < 0 && err != -ECANCELED) {
		log_warn("%s: cannot answer: %s", c->handle, strerror(-err));
		call_uas_refuse(c, 500, NULL, NULL, NULL, "cannot answer");
	}
}

/*
 * Take the INVITE's offer (if any) for st's call c.  0, or the call was
 * refused and freed.  Only an application/sdp body is an offer: another
 * one got past ua.c's 415 check because it is marked handling=optional
 * (§20.11), and is ignored; such an INVITE has no offer, so ours goes in
 * the 2xx and the ACK answers (§13.3.1).
 */
static int uas_take_offer(struct call *c, const struct sip_msg *req, enum oa_dir want,
			  bool reinvite)
{
	const char *sdp, *text, *hname = NULL, *hvalue = NULL;
	char *answer = NULL, why[160] = "", warn[128], reason[96];
	struct oa_result res;
	int err, code = 500;
	size_t len;

	if (!(sdp = msg_body_of_type(req, OA_CONTENT_TYPE, &len))) {
		c->offer_in_ok = true;
		return 0;
	}
	c->offer_in_ok = false;
	err = oa_take_offer(c->oa, sdp, len, media_port(c->media), want, &answer, &res, why,
			    sizeof(why));
	if (err == 0) {
		call_sdp_free(c->local_sdp);
		c->local_sdp = answer;
		call_media_update(c, &res, sdp, len);
		oa_result_wipe(&res);
		return 0;
	}
	log_rl_info(&rl_sdp, "%s: SDP offer refused: %s", c->handle, why[0] ? why : strerror(-err));
	snprintf(warn, sizeof(warn), "%d %s \"%s\"", OA_WARN_CODE, CALL_WARN_AGENT, OA_WARN_TEXT);
	text = strerror(-err);
	if (err == -EBADMSG) {
		/* why reads "SDP: ...": the reason phrase becomes "Bad SDP: ...". */
		snprintf(reason, sizeof(reason), "Bad SDP: %.80s",
			 strncmp(why, "SDP: ", 5) == 0 ? why + 5 : why);
		code = 400, text = reason;
	} else if (err == -ENOTSUP) {
		/* RFC 3261 §21.4.26: 488, with a Warning naming the fault. */
		code = 488, hname = "Warning", hvalue = warn;
		text = why[0] ? why : "no common codec";
	} else if (err == -EBUSY && reinvite) {
		/* §14.2: an offer crossing ours is glare. */
		code = 491;
	}
	/*
	 * A re-INVITE is refused and the call goes on; the initial INVITE is
	 * refused and ends the call, whatever the error (an initial INVITE
	 * cannot be in glare: it gets 500 like any other failure).
	 */
	if (reinvite)
		reinvite_refuse(c, code, code == 400 ? reason : NULL, hname, hvalue);
	else
		call_uas_refuse(c, code, code == 400 ? reason : NULL, hname, hvalue, text);
	return err;
}

static void busy_503(struct calls *cs, struct tsx *st, const char *why)
{
	struct msg_err e;
	char ra[16];

	snprintf(ra, sizeof(ra), "%u", tsx_layer_cfg(cs->env.tsx)->retry_after_s);
	msg_err_set(&e, 503, NULL, "Retry-After", ra);
	log_rl_info(&rl_503, "%s: INVITE refused: 503 (%s)", tsx_handle(st), why);
	tsx_respond_code(st, 503, NULL, &e);
}

/*
 * §12.1.1: the dialog is sips: when the INVITE's Request-URI is, or its
 * top Record-Route (the first of the UAS's route set), or without a
 * Record-Route its Contact.
 */
static bool uas_sips(const struct sip_msg *req, const struct dlg *d)
{
	char scheme[8];

	if (msg_ruri_scheme(req, scheme, sizeof(scheme)) && strcasecmp(scheme, "sips") == 0)
		return true;
	return msg_uri_sips(d->n_route ? d->route[0] : d->remote_target);
}

void calls_invite(struct calls *cs, struct tsx *st, const struct sip_msg *req,
		  const struct account *acc)
{
	struct call *c = NULL;
	struct dlg *d = NULL;
	char why[WHY_MSG_MAX];
	int err;

	if (cs->closing) {
		busy_503(cs, st, "shutting down");
		return;
	}
	if (cs->n >= cs->cfg.max_calls) {
		busy_503(cs, st, "[sip] max_calls reached");
		return;
	}
	if ((err = call_new(cs, false, acc, &c)) < 0) {
		busy_503(cs, st, "out of memory");
		return;
	}
	sess_uas_hold(&c->s, st, false);
	if ((err = call_set_str(&c->local_tag, tsx_local_tag(st))) < 0) {
		call_uas_refuse(c, 500, NULL, NULL, NULL, "out of memory");
		return;
	}
	if ((err = dlg_uas_new(cs->dlgs, &d, req, c->local_tag)) < 0) {
		call_uas_refuse(
		    c, 400, err == -EINVAL ? "Missing or bad Contact or From tag" : "Bad Request",
		    NULL, NULL, "no dialog could be made of the INVITE");
		return;
	}
	sess_set_dlg(&c->s, d);
	if (call_set_str(&c->peer, c->s.dlg->remote_uri) < 0 ||
	    call_set_str(&c->local_uri, c->s.dlg->local_uri) < 0 ||
	    call_set_str(&c->call_id, c->s.dlg->call_id) < 0) {
		call_uas_refuse(c, 500, NULL, NULL, NULL, "out of memory");
		return;
	}
	c->sips = uas_sips(req, c->s.dlg);
	sess_set_flow(&c->s, &req->src);
	if (call_srtp_policy(c, req->src.proto, why, sizeof(why)) < 0) {
		/* RFC 3261 §20.43: the reason in a Warning, 399 (miscellaneous). */
		call_uas_refuse(c, 488, NULL, "Warning",
				"399 sipuad \"SRTP keys (SDES) need TLS signalling here\"", why);
		return;
	}
	if ((err = call_setup_local(c, req->src.proto, &req->src.local, &req->src.addr)) < 0) {
		char ra[16];

		/* Bounded like every table: 503 with [sip] retry_after_s (§21.5.4). */
		snprintf(ra, sizeof(ra), "%u", tsx_layer_cfg(cs->env.tsx)->retry_after_s);
		if (err != -ENOSPC && err != -EADDRINUSE)
			log_warn("%s: no media for the call: %s", c->handle, strerror(-err));
		call_uas_refuse(c, 503,
				err == -ENOSPC || err == -EADDRINUSE ? "No RTP Port Free" : NULL,
				"Retry-After", ra, "no RTP port or address for the call");
		return;
	}
	log_rl_info(&rl_invite, "%s: INVITE from %s (%s), Call-ID %s", c->handle, c->peer,
		    c->source, c->call_id);
	call_emit_ev(c, CALL_EV_INCOMING, 0, NULL, NULL);
	if (uas_take_offer(c, req, OA_SENDRECV, false) < 0)
		return;
	/*
	 * No 100 Trying of ours: the 180 or the final response leaves in this
	 * same pass, and §17.2.1 lets a TU that answers within 200 ms leave
	 * the 100 out (one datagram less per call).  Nothing here waits (no
	 * DNS, no other process); were the TU ever silent, the IST sends its
	 * own 100 after 200 ms (tsx_server.c).
	 */
	if (cs->cfg.answer == CALL_ANSWER_REJECT) {
		call_uas_refuse(c, (int)cs->cfg.reject_code, NULL, NULL, NULL,
				"rejected ([call] answer = reject)");
		return;
	}
	sess_uas_provisional(&c->s, 180);
	c->state = CALL_RINGING;
	call_emit(c, "ringing", 180, NULL, NULL);
	tmr_start(&c->ring_tmr, (uint64_t)cs->cfg.ring_timeout_s * 1000);
	if (cs->cfg.answer == CALL_ANSWER_AUTO) {
		if (cs->cfg.answer_delay_ms)
			tmr_start(&c->answer_tmr, cs->cfg.answer_delay_ms);
		else
			call_uas_answer_timer(c);
	}
}

/* ---- in-dialog requests received ---- */

/* The Reason header of a BYE (RFC 3326) into the end text. */
static void bye_reason(const struct sip_msg *req, char *buf, size_t size)
{
	const char *r = msg_header(req, "Reason", NULL);

	if (r)
		snprintf(buf, size, "BYE from the peer (Reason: %.80s)", r);
	else
		snprintf(buf, size, "BYE from the peer");
}

static void uas_bye(struct call *c, struct tsx *st, const struct sip_msg *req)
{
	char why[128];
	int err;

	if ((err = tsx_respond_code(st, 200, NULL, NULL)) < 0)
		log_warn("%s: cannot send 200 to BYE: %s", c->handle, strerror(-err));
	/* §15.1.2: a pending INVITE of the dialog gets 487. */
	sess_uas_final(&c->s, 487, NULL, NULL, NULL);
	bye_reason(req, why, sizeof(why));
	call_end(c, 200, why, true);
}

/* §14.2: a re-INVITE. */
static void uas_reinvite(struct call *c, struct tsx *st, const struct sip_msg *req)
{
	enum oa_dir want = c->local_hold ? OA_SENDONLY : OA_SENDRECV;
	char ra[16];
	int err;

	if (c->update != CALL_UPD_NONE || (sess_ok_pending(&c->s) && c->offer_in_ok)) {
		/* §14.2: ours is in progress (or our offer waits for its answer): glare. */
		log_rl_info(&rl_in_dialog, "%s: re-INVITE refused: 491 (glare)", c->handle);
		st_final(c, st, 491, NULL, NULL, NULL);
		return;
	}
	if (c->s.ist || sess_ok_pending(&c->s) || c->state != CALL_ESTABLISHED) {
		/* §14.2: the previous INVITE has no final answer (or no ACK) yet. */
		snprintf(ra, sizeof(ra), "%u", rnd_uniform(11));
		log_rl_info(&rl_in_dialog,
			    "%s: re-INVITE refused: 500 (an earlier INVITE is not done)", c->handle);
		st_final(c, st, 500, NULL, "Retry-After", ra);
		return;
	}
	dlg_refresh_target(c->s.dlg, req);
	sess_uas_hold(&c->s, st, true);
	if (uas_take_offer(c, req, want, true) < 0)
		return;
	if (c->offer_in_ok) {
		call_sdp_free(c->local_sdp);
		c->local_sdp = NULL;
		if ((err = oa_make_offer(c->oa, media_port(c->media), want, &c->local_sdp)) < 0) {
			reinvite_refuse(c, 500, NULL, NULL, NULL);
			return;
		}
	}
	if ((err = uas_send_ok(c)) < 0 && err != -ECANCELED) {
		log_warn("%s: cannot answer the re-INVITE: %s", c->handle, strerror(-err));
		reinvite_refuse(c, 500, NULL, NULL, NULL);
	}
}

bool calls_in_dialog(struct calls *cs, struct tsx *st, const struct sip_msg *req)
{
	struct dlg *d = dlg_match(cs->dlgs, req);
	struct call *c = call_of_dlg(d);

	if (!c)
		return false;
	if (dlg_check_remote_cseq(d, req) < 0) {
		/* §12.2.2: lower than the last: 500. */
		log_rl_info(&rl_in_dialog, "%s: %s with CSeq %u refused: 500, lower than the last",
			    c->handle, req->method, req->cseq);
		st_final(c, st, 500, "CSeq Out Of Order", NULL, NULL);
		return true;
	}
	if (strcmp(req->method, "BYE") == 0) {
		uas_bye(c, st, req);
		return true;
	}
	if (strcmp(req->method, "INVITE") == 0) {
		uas_reinvite(c, st, req);
		return true;
	}
	if (strcmp(req->method, "INFO") == 0)
		return call_info_request(c, st, req);
	return false;
}

void calls_cancel(struct calls *cs, struct tsx *inv)
{
	struct sess *s = sess_of_tsx(inv);
	struct call *c = s ? s->arg : NULL;

	(void)cs;
	if (!c)
		return;
	/* §9.2: the INVITE gets 487; an initial one ends the call. */
	if (c->s.ist_reinvite) {
		reinvite_refuse(c, 487, NULL, NULL, NULL);
		return;
	}
	sess_uas_final(&c->s, 487, NULL, NULL, NULL);
	call_end(c, 487, "cancelled by the caller (CANCEL)", true);
}

void calls_ack(struct calls *cs, const struct sip_msg *ack)
{
	struct dlg *d = dlg_match(cs->dlgs, ack);
	struct call *c = call_of_dlg(d);

	if (!c || !sess_ok_acked(&c->s, ack)) {
		log_debug("ACK (Call-ID %s, CSeq %u) for nothing pending: absorbed", ack->call_id,
			  ack->cseq);
		return;
	}
	if (c->bye_after_ack) {
		call_bye(c, c->end_code, call_end_reason(c), c->end_remote);
		return;
	}
	if (c->offer_in_ok) {
		/* §13.3.1: our offer was in the 2xx; the ACK must answer it. */
		c->offer_in_ok = false;
		if (call_take_answer(c, ack, "the ACK", 400) < 0)
			return;
	}
	if (c->state == CALL_CONNECTING) {
		c->state = CALL_ESTABLISHED;
		c->answered_ms = tmr_now(cs->env.clk);
		log_rl_info(&rl_established, "%s: established (%s)", c->handle,
			    media_codec(c->media) ? media_codec(c->media) : "no media");
		call_emit(c, "answered", 200, NULL, NULL);
	}
}
