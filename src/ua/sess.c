/*
 * sess: the INVITE dialog usage under a call (see sess.h): where in-dialog
 * requests go, the INVITE we answer and its responses, our initial INVITE
 * and its CANCEL, our 2xx resent until the ACK, the ACK of a 2xx kept for
 * its resends, a second fork's dialog ended, our re-INVITE and its §14.1
 * back-off, our BYE.
 *
 *   UAS                                      UAC
 *   INVITE --> (sess_uas_hold)               INVITE (sess_invite) -->
 *   <-- 180 (sess_uas_provisional)           180 --> CANCEL may go (§9.1)
 *   <-- 200 (sess_uas_ok)  T1, 2T1 .. T2     200 -->  ACK (sess_ack), kept
 *   ACK --> (sess_ok_acked) resends stop     200 again --> the same ACK
 *   no ACK by 64*T1         ok_timeout       200 of another fork --> ACK, BYE
 *
 * In the dialog, a 401 / 407 to our re-INVITE or BYE is answered with a
 * new request of the dialog carrying credentials (sess_request_auth());
 * each such chain ends by cred.h's bound (CRED_MAX_TRIES) at most.
 *
 * Why nothing hangs here: the 2xx resend timer stops at 64*T1 and tells
 * the owner; the glare timer fires once; the wait after our CANCEL ends
 * at 64*T1 and tells the owner; our INVITE's, BYE's and re-INVITE's client
 * transactions end by Timer B / F at most and call back (or are let go by
 * sess_close()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/rnd.h"
#include "core/why.h"
#include "ua/oa.h"
#include "ua/sess.h"
#include "ua/ua.h"

/* Lines peers cause, rate-limited (log.h); stats counts each class. */
static struct log_rl rl_no_ack =
    LOG_RL_INIT("ok_no_ack", "2xx never acknowledged (64*T1)", LOG_RL_PEER);
static struct log_rl rl_fork = LOG_RL_INIT("fork_2xx", "2xx from extra forks", LOG_RL_PEER);

static void on_ok_tmr(void *arg);
static void on_glare_tmr(void *arg);
static void on_cancel_tmr(void *arg);

void sess_init(struct sess *s, const struct sess_ctx *ctx, const char *handle,
	       const struct sess_handlers *h, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->handle = handle;
	s->h = h;
	s->arg = arg;
	tmr_init(&s->ok_tmr, ctx->clk, on_ok_tmr, s);
	tmr_init(&s->glare_tmr, ctx->clk, on_glare_tmr, s);
	tmr_init(&s->cancel_tmr, ctx->clk, on_cancel_tmr, s);
}

void sess_close(struct sess *s)
{
	if (s->ist) {
		tsx_set_owner(s->ist, NULL);
		tsx_detach(s->ist);
		s->ist = NULL;
	}
	tmr_close(&s->ok_tmr);
	tmr_close(&s->glare_tmr);
	tmr_close(&s->cancel_tmr);
	tsx_detach(s->ict);
	tsx_detach(s->reict);
	tsx_detach(s->bye);
	tsx_detach(s->info);
	s->ict = s->reict = s->bye = s->info = NULL;
	dlg_free(s->dlg);
	s->dlg = NULL;
	free(s->contact);
	free(s->ok_buf);
	free(s->ack_buf);
	free(s->inv_uri);
	free(s->inv_dest);
	free(s->flow_peer);
	free(s->bye_reason);
	free(s->ok_dest);
	free(s->ack_dest);
	s->contact = s->ok_buf = s->ack_buf = s->inv_uri = NULL;
	s->inv_dest = s->ok_dest = s->ack_dest = NULL;
	s->bye_reason = NULL;
	s->flow_peer = NULL;
	s->flow = 0;
}

struct sess *sess_of(const struct dlg *d)
{
	return d ? d->owner : NULL;
}

void sess_set_dlg(struct sess *s, struct dlg *d)
{
	s->dlg = d;
	if (d)
		d->owner = s;
}

int sess_set_local(struct sess *s, enum net_proto proto, const struct net_addr *via,
		   const char *contact)
{
	char *c = strdup(contact);

	if (!c)
		return -ENOMEM;
	free(s->contact);
	s->contact = c;
	s->proto = proto;
	s->via = *via;
	return 0;
}

void sess_local(const struct sess *s, struct dlg_local *loc)
{
	loc->via_proto = s->proto;
	loc->via_addr = s->via;
	loc->contact = s->contact;
	loc->user_agent = tsx_layer_cfg(s->ctx->tsx)->server;
}

/* ---- where in-dialog requests go ---- */

/* The URI inside a Route value "<sip:p1;lr>" (or the value itself) into buf. */
static const char *route_uri(const char *route, char *buf, size_t size)
{
	const char *lt = strchr(route, '<'), *gt;

	if (!lt || !(gt = strchr(lt, '>'))) {
		snprintf(buf, size, "%s", route);
		return buf;
	}
	snprintf(buf, size, "%.*s", (int)(gt - lt - 1), lt + 1);
	return buf;
}

/*
 * uri names the host, port and transport the session's INVITE was resolved
 * for (RFC 3263 gave the target that answered it): true.
 */
static bool same_hop(const struct sess *s, const char *uri)
{
	struct msg_uri_parts a, b;
	size_t la, lb;

	if (!s || !s->inv_uri || msg_uri_parts(uri, &a, NULL, 0) < 0 ||
	    msg_uri_parts(s->inv_uri, &b, NULL, 0) < 0)
		return false;
	/* Names compare without case and without a final dot (RFC 4343). */
	la = strlen(a.host) - (a.host[0] && a.host[strlen(a.host) - 1] == '.');
	lb = strlen(b.host) - (b.host[0] && b.host[strlen(b.host) - 1] == '.');
	return a.sips == b.sips && a.port == b.port && strcmp(a.transport, b.transport) == 0 &&
	       la == lb && strncasecmp(a.host, b.host, la) == 0;
}

/* The dialog's TLS connection for dst, when dst is its peer's address (any port). */
static void sess_flow(const struct sess *s, struct sip_dest *dst)
{
	char a[NET_ADDR_STRLEN], b[NET_ADDR_STRLEN];

	if (!s || !s->flow || dst->proto != NET_TLS)
		return;
	if (strcmp(net_addr_host(&dst->addr, a, sizeof(a)),
		   net_addr_host(s->flow_peer, b, sizeof(b))) == 0)
		dst->conn = s->flow;
}

void sess_set_flow(struct sess *s, const struct sip_dest *src)
{
	if (src->proto != NET_TLS || !src->conn)
		return;
	/* Without memory the dialog's requests open connections of their own. */
	if (!s->flow_peer && !(s->flow_peer = malloc(sizeof(*s->flow_peer))))
		return;
	s->flow = src->conn;
	*s->flow_peer = src->addr;
}

int sess_dest(const struct sess_ctx *ctx, const struct dlg *d, const char *handle,
	      struct sip_dest *out)
{
	char buf[512], why[128];
	const char *uri;
	struct sip_dest dst;
	struct net_addr local;
	int err;

	if (!d || !d->remote_target)
		return -EINVAL;
	if (d->strict_uri)
		uri = d->strict_uri;
	else if (d->n_route)
		uri = route_uri(d->route[0], buf, sizeof(buf));
	else
		uri = d->remote_target;
	if ((err = msg_uri_dest(uri, &dst, why, sizeof(why))) < 0) {
		if (err == -EINVAL && same_hop(sess_of(d), uri) && sess_of(d)->inv_dest) {
			*out = *sess_of(d)->inv_dest;
			return 0;
		}
		log_info("%s: cannot send to %s: %s", handle, uri, why);
		return err;
	}
	if ((err = ctx->local(ctx->local_arg, dst.proto, net_addr_family(&dst.addr), &local)) < 0)
		return err;
	dst.local = local;
	sess_flow(sess_of(d), &dst);
	*out = dst;
	return 0;
}

/* Build method in dialog d with our identity and an optional body of type ctype. */
static int build_in_body(struct sess *s, struct dlg *d, const char *method, const char *ctype,
			 const char *body, size_t len, struct sip_msg **mp)
{
	struct dlg_local loc;
	struct sip_msg *m = NULL;
	int err;

	sess_local(s, &loc);
	if ((err = dlg_build_request(&m, d, method, &loc)) < 0)
		return err;
	if (body && (err = msg_set_body(m, ctype, body, len)) < 0) {
		msg_free(m);
		return err;
	}
	*mp = m;
	return 0;
}

/* Build method in dialog d with our identity and an optional SDP body. */
static int build_in(struct sess *s, struct dlg *d, const char *method, const char *sdp,
		    struct sip_msg **mp)
{
	return build_in_body(s, d, method, OA_CONTENT_TYPE, sdp, sdp ? strlen(sdp) : 0, mp);
}

int sess_request(struct sess *s, const char *method, const char *sdp, tsx_resp_fn *cb, void *arg,
		 struct tsx **ctp)
{
	struct sip_msg *m = NULL;
	struct sip_dest d;
	int err;

	if ((err = sess_dest(s->ctx, s->dlg, s->handle, &d)) < 0 ||
	    (err = build_in(s, s->dlg, method, sdp, &m)) < 0)
		return err;
	return tsx_request(s->ctx->tsx, m, &d, cb, arg, ctp);
}

int sess_request_auth(struct sess *s, const struct sip_msg *req, const struct sip_msg *resp,
		      struct cred_chain *ch, tsx_resp_fn *cb, void *arg, struct tsx **ctp,
		      struct why *why)
{
	const char *method = req->method, *body;
	struct sip_msg *m = NULL;
	struct sip_dest d;
	char ctype[128];
	size_t len;
	int err;

	*why = (struct why){.kind = WHY_FAILED};
	body = msg_body(req, &len);
	if (body && !msg_content_type(req, ctype, sizeof(ctype)))
		body = NULL; /* we never send a body without its type */
	if ((err = sess_dest(s->ctx, s->dlg, s->handle, &d)) < 0 ||
	    (err = build_in_body(s, s->dlg, method, ctype, body, len, &m)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "cannot send the %s again: %s", method,
			       strerror(-err));
	if ((err = cred_authorize(s->cred, ch, resp, m, why)) < 0) {
		dlg_unbuild(s->dlg, m); /* never sent: the next request takes its CSeq */
		msg_free(m);
		return err;
	}
	if ((err = tsx_request(s->ctx->tsx, m, &d, cb, arg, ctp)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "cannot send the %s again: %s", method,
			       err == -EAGAIN ? "transaction table full" : strerror(-err));
	return 0;
}

/* ---- UAC: our initial INVITE and its CANCEL (§13.2.1, §9.1) ---- */

int sess_invite(struct sess *s, struct sip_msg *m, const struct sip_dest *d, tsx_resp_fn *cb,
		void *arg)
{
	int err;

	if (!s->inv_dest && !(s->inv_dest = malloc(sizeof(*s->inv_dest)))) {
		msg_free(m);
		return -ENOMEM;
	}
	*s->inv_dest = *d;
	s->provisional = false;
	if ((err = tsx_request(s->ctx->tsx, m, d, cb, arg, &s->ict)) < 0)
		s->ict = NULL;
	return err;
}

int sess_set_inv_uri(struct sess *s, const char *uri)
{
	char *u = NULL;

	if (uri && !(u = strdup(uri)))
		return -ENOMEM;
	free(s->inv_uri);
	s->inv_uri = u;
	return 0;
}

void sess_invite_over(struct sess *s)
{
	s->ict = NULL;
}

/* The CANCEL on its own NICT, whose outcome we do not need. */
static void on_cancel_resp(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	(void)arg;
	(void)ct;
	(void)resp;
	(void)err;
}

static void send_cancel(struct sess *s)
{
	struct sip_msg *m = NULL;
	struct sip_dest d = *s->inv_dest; /* the INVITE went: s->ict */
	int err;

	s->cancel_sent = true;
	if ((err = msg_build_cancel(&m, tsx_req(s->ict))) < 0 ||
	    (err = tsx_request(s->ctx->tsx, m, &d, on_cancel_resp, NULL, NULL)) < 0)
		log_warn("%s: cannot send CANCEL: %s", s->handle, strerror(-err));
	else
		log_info("%s: CANCEL sent", s->handle);
	tmr_start(&s->cancel_tmr, (uint64_t)tsx_layer_cfg(s->ctx->tsx)->t1_ms * 64);
}

bool sess_invite_1xx(struct sess *s)
{
	s->provisional = true;
	if (!s->cancel_wanted)
		return false;
	if (!s->cancel_sent)
		send_cancel(s);
	return true;
}

int sess_cancel(struct sess *s)
{
	s->cancel_wanted = true;
	if (!s->ict)
		return -ENOTCONN;
	/* §9.1: not before a provisional response; the first one sends it. */
	if (s->provisional && !s->cancel_sent)
		send_cancel(s);
	return 0;
}

bool sess_cancelling(const struct sess *s)
{
	return s->cancel_wanted;
}

void sess_cancel_stop(struct sess *s)
{
	tmr_stop(&s->cancel_tmr);
}

static void on_cancel_tmr(void *arg)
{
	struct sess *s = arg;

	s->h->cancel_timeout(s->arg);
}

/* ---- UAS: the INVITE we answer (§13.3.1) ---- */

void sess_uas_hold(struct sess *s, struct tsx *st, bool reinvite)
{
	s->ist = st;
	s->ist_reinvite = reinvite;
	tsx_set_owner(st, s);
}

struct sess *sess_of_tsx(const struct tsx *st)
{
	struct sess *s = tsx_owner(st);

	return s && s->ist == st ? s : NULL;
}

/* The held INVITE, let go: ours no longer. */
static struct tsx *uas_release(struct sess *s)
{
	struct tsx *st = s->ist;

	s->ist = NULL;
	tsx_set_owner(st, NULL);
	return st;
}

/* A response to the held INVITE with our Contact (and sdp in a 2xx). */
static int uas_build(struct sess *s, int code, const char *sdp, struct sip_msg **rp)
{
	const struct sip_msg *req = tsx_req(s->ist);
	struct sip_msg *r = NULL;
	int err;

	if ((err = msg_build_response(&r, req, code, NULL, s->dlg->local_tag)) < 0)
		return err;
	if (code >= 200 && code < 300 &&
	    ((err = msg_add_header(r, "Allow", ua_allow())) < 0 ||
	     (err = msg_add_header(r, "Supported", "")) < 0 ||
	     (sdp && (err = msg_set_body(r, OA_CONTENT_TYPE, sdp, strlen(sdp))) < 0)))
		goto fail;
	if (code > 100 && code < 300 && (err = msg_add_header(r, "Contact", s->contact)) < 0)
		goto fail;
	/*
	 * §12.1.1: a response that establishes the dialog (the 2xx, and a
	 * 101-199, which carries our To tag) copies the INVITE's
	 * Record-Route, or the caller's ACK and BYE would skip the proxies.
	 */
	if (code > 100 && code < 300 && !s->ist_reinvite &&
	    (err = msg_copy_record_routes(r, req)) < 0)
		goto fail;
	*rp = r;
	return 0;
fail:
	msg_free(r);
	return err;
}

void sess_uas_provisional(struct sess *s, int code)
{
	struct sip_msg *r = NULL;
	int err;

	if ((err = uas_build(s, code, NULL, &r)) < 0 || (err = tsx_respond(s->ist, r)) < 0)
		log_warn("%s: cannot send %d: %s", s->handle, code, strerror(-err));
}

void sess_uas_final(struct sess *s, int code, const char *reason, const char *hname,
		    const char *hvalue)
{
	struct msg_err e;
	struct tsx *st;
	int err;

	if (!s->ist)
		return;
	st = uas_release(s);
	msg_err_set(&e, code, reason, hname, hvalue);
	if ((err = tsx_respond_code(st, code, e.reason, &e)) < 0)
		log_warn("%s: cannot send %d: %s", s->handle, code, strerror(-err));
}

int sess_uas_ok(struct sess *s, const char *sdp, bool *sent)
{
	struct sip_msg *r = NULL;
	int err;

	*sent = false;
	if ((err = uas_build(s, 200, sdp, &r)) < 0)
		return err;
	return sess_ok_send(s, uas_release(s), r, sent);
}

/* ---- UAS: our 2xx until the ACK (§13.3.1.4) ---- */

int sess_ok_send(struct sess *s, struct tsx *st, struct sip_msg *resp, bool *sent)
{
	const struct sip_msg *req = tsx_req(st);
	uint64_t t1 = tsx_layer_cfg(s->ctx->tsx)->t1_ms;
	struct sip_dest d;
	char *out;
	size_t len;
	int err;

	*sent = false;
	msg_response_dest(req, &d);
	sess_set_flow(s, &req->src);
	s->ok_cseq = req->cseq;
	/* Our resends are the transaction's bytes: the 2xx is serialised once. */
	if ((err = tsx_respond_copy(st, resp, &out, &len)) < 0)
		return err; /* the transaction is over (§17.2.4): nothing went */
	*sent = true;
	sess_ok_stop(s);
	if (!out || !(s->ok_dest = malloc(sizeof(d)))) {
		free(out);
		return -ENOMEM;
	}
	*s->ok_dest = d;
	s->ok_buf = out;
	s->ok_len = len;
	s->ok_interval = t1;
	s->ok_deadline = tmr_now(s->ctx->clk) + 64 * t1;
	tmr_start(&s->ok_tmr, t1);
	return 0;
}

bool sess_ok_pending(const struct sess *s)
{
	return s->ok_buf != NULL;
}

void sess_ok_stop(struct sess *s)
{
	tmr_stop(&s->ok_tmr);
	free(s->ok_buf);
	free(s->ok_dest);
	s->ok_buf = NULL;
	s->ok_dest = NULL;
}

bool sess_ok_acked(struct sess *s, const struct sip_msg *ack)
{
	if (!s->ok_buf || ack->cseq != s->ok_cseq)
		return false;
	sess_ok_stop(s);
	return true;
}

static void on_ok_tmr(void *arg)
{
	struct sess *s = arg;
	uint64_t now = tmr_now(s->ctx->clk);
	int err;

	if (now >= s->ok_deadline) {
		log_rl_info(&rl_no_ack, "%s: no ACK for our 2xx in %u ms (64*T1)", s->handle,
			    tsx_layer_cfg(s->ctx->tsx)->t1_ms * 64);
		sess_ok_stop(s);
		s->h->ok_timeout(s->arg);
		return;
	}
	if ((err = tsx_send_raw(s->ctx->tsx, s->ok_dest, s->ok_buf, s->ok_len)) < 0)
		log_info("%s: cannot resend 200: %s", s->handle, strerror(-err));
	s->ok_interval *= 2;
	if (s->ok_interval > tsx_layer_cfg(s->ctx->tsx)->t2_ms)
		s->ok_interval = tsx_layer_cfg(s->ctx->tsx)->t2_ms;
	if (now + s->ok_interval > s->ok_deadline)
		s->ok_interval = s->ok_deadline - now;
	tmr_start(&s->ok_tmr, s->ok_interval);
}

/* ---- UAC: the ACK of a 2xx (§13.2.2.4) ---- */

static void ack_send(struct sess *s)
{
	struct sip_dest d;
	int err;

	if (!s->ack_buf)
		return;
	d = *s->ack_dest;
	if ((err = tsx_send_raw(s->ctx->tsx, &d, s->ack_buf, s->ack_len)) < 0)
		log_info("%s: cannot send ACK: %s", s->handle, strerror(-err));
}

int sess_ack(struct sess *s, const char *sdp)
{
	struct sip_msg *m = NULL;
	struct sip_dest d;
	char *buf = NULL;
	size_t len;
	int err;

	if ((err = sess_dest(s->ctx, s->dlg, s->handle, &d)) < 0 ||
	    (err = build_in(s, s->dlg, "ACK", sdp, &m)) < 0)
		return err;
	err = msg_to_str(m, &buf, &len);
	msg_free(m);
	if (err < 0)
		return err;
	if (!s->ack_dest && !(s->ack_dest = malloc(sizeof(d)))) {
		free(buf);
		return -ENOMEM;
	}
	free(s->ack_buf);
	s->ack_buf = buf;
	s->ack_len = len;
	*s->ack_dest = d;
	s->ack_cseq = s->dlg->invite_cseq;
	ack_send(s);
	return 0;
}

void sess_ack_again(struct sess *s, uint32_t cseq)
{
	if (s->ack_buf && cseq == s->ack_cseq)
		ack_send(s);
}

static void on_fork_bye(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	(void)arg;
	(void)ct;
	(void)resp;
	(void)err;
}

/*
 * The BYE goes even if the ACK could not: the fork's callee holds a call
 * that only our BYE (or its own missing-ACK timeout, §13.3.1.4) ends.
 */
void sess_fork_end(struct sess *s, struct dlg *d)
{
	struct sip_msg *ack = NULL, *bye = NULL;
	struct sip_dest dst, ad;
	char *buf = NULL;
	size_t len;
	int err, ack_err;

	err = sess_dest(s->ctx, d, s->handle, &dst);
	if (err == 0 && (err = build_in(s, d, "ACK", NULL, &ack)) == 0)
		err = msg_to_str(ack, &buf, &len);
	if (err < 0) {
		log_rl_info(&rl_fork, "%s: 2xx from a second fork (tag %s): no ACK or BYE: %s",
			    s->handle, d->remote_tag, strerror(-err));
		goto out;
	}
	ad = dst;
	ack_err = tsx_send_raw(s->ctx->tsx, &ad, buf, len);
	if ((err = build_in(s, d, "BYE", NULL, &bye)) == 0)
		err = tsx_request(s->ctx->tsx, bye, &dst, on_fork_bye, NULL, NULL);
	log_rl_info(&rl_fork, "%s: 2xx from a second fork (tag %s): ACK %s%s, BYE %s%s", s->handle,
		    d->remote_tag, ack_err ? "not sent: " : "sent",
		    ack_err ? strerror(-ack_err) : "", err ? "not sent: " : "sent",
		    err ? strerror(-err) : "");
out:
	free(buf);
	msg_free(ack);
	dlg_free(d);
}

/* ---- re-INVITE and glare (§14.1) ---- */

int sess_reinvite(struct sess *s, const char *sdp, tsx_resp_fn *cb, void *arg)
{
	int err;

	/*
	 * The previous re-INVITE may still sit in Accepted (Timer M): it is
	 * let go, so that the one pointer we keep is the new one's.  Its 2xx
	 * was ACKed already; a late copy of it is absorbed by it.
	 */
	tsx_detach(s->reict);
	s->reict = NULL;
	memset(&s->reinv_chain, 0, sizeof(s->reinv_chain));
	if ((err = sess_request(s, "INVITE", sdp, cb, arg, &s->reict)) < 0)
		s->reict = NULL;
	return err;
}

void sess_glare_wait(struct sess *s, bool own_call_id)
{
	uint64_t ms =
	    own_call_id ? 2100 + 10 * (uint64_t)rnd_uniform(191) : 10 * (uint64_t)rnd_uniform(201);

	log_info("%s: re-INVITE glare (491): retry in %llu ms", s->handle, (unsigned long long)ms);
	tmr_start(&s->glare_tmr, ms);
}

bool sess_glare_waiting(const struct sess *s)
{
	return tmr_armed(&s->glare_tmr);
}

static void on_glare_tmr(void *arg)
{
	struct sess *s = arg;

	s->h->glare_done(s->arg);
}

/* ---- BYE (§15.1.1) ---- */

static void on_bye(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	struct sess *s = arg;
	struct why why;

	if (resp && resp->status < 200)
		return;
	s->bye = NULL;
	if (resp && (resp->status == 401 || resp->status == 407)) {
		/* §22.2: the same BYE again, with credentials, as a new request of the dialog. */
		if (sess_request_auth(s, tsx_req(ct), resp, &s->bye_chain, on_bye, s, &s->bye,
				      &why) == 0) {
			log_debug("%s: BYE challenged (%d): sent again with credentials", s->handle,
				  resp->status);
			return;
		}
		s->bye = NULL;
		log_info("%s: BYE answered %d: %s", s->handle, resp->status, why.msg);
	} else if (resp && resp->status >= 300) {
		log_info("%s: BYE answered %d", s->handle, resp->status);
	}
	s->h->bye_done(s->arg, resp, err);
}

int sess_bye(struct sess *s)
{
	int err;

	if (s->bye)
		return -EALREADY;
	if (!s->dlg || s->dlg->state != DLG_CONFIRMED)
		return -ENOTCONN;
	memset(&s->bye_chain, 0, sizeof(s->bye_chain));
	if (s->bye_reason) {
		struct sip_msg *m = NULL;
		struct sip_dest d;

		if ((err = sess_dest(s->ctx, s->dlg, s->handle, &d)) < 0 ||
		    (err = build_in(s, s->dlg, "BYE", NULL, &m)) < 0)
			return err;
		if ((err = msg_add_header(m, "Reason", s->bye_reason)) < 0) {
			dlg_unbuild(s->dlg, m);
			msg_free(m);
			return err;
		}
		err = tsx_request(s->ctx->tsx, m, &d, on_bye, s, &s->bye);
	} else
		err = sess_request(s, "BYE", NULL, on_bye, s, &s->bye);
	if (err < 0)
		s->bye = NULL;
	return err;
}

void sess_set_bye_reason(struct sess *s, const char *value)
{
	free(s->bye_reason);
	s->bye_reason = value && value[0] ? strndup(value, SESS_BYE_REASON_MAX) : NULL;
}

int sess_info(struct sess *s, const char *ctype, const char *body, tsx_resp_fn *cb, void *arg)
{
	struct sip_msg *m = NULL;
	struct sip_dest d;
	int err;

	if (!s->dlg || s->dlg->state != DLG_CONFIRMED)
		return -ENOTCONN;
	if (s->info)
		return -EBUSY;
	if ((err = sess_dest(s->ctx, s->dlg, s->handle, &d)) < 0 ||
	    (err = build_in_body(s, s->dlg, "INFO", ctype, body, strlen(body), &m)) < 0)
		return err;
	if ((err = tsx_request(s->ctx->tsx, m, &d, cb, arg, &s->info)) < 0)
		s->info = NULL;
	return err;
}
