/*
 * tsx_server: the server transactions, RFC 3261 §17.2 as updated by
 * RFC 6026: the INVITE server transaction (IST, §17.2.1) and the
 * non-INVITE server transaction (NIST, §17.2.2).
 *
 * Owns the receive entry point of the layer (tsx_layer_recv: a request
 * either matches a server transaction or makes a new one; a response goes
 * down to tsx.c's matching), the 503 past the bound, the creation of a
 * server transaction for a new request, the TU's answers (tsx_respond(),
 * tsx_respond_code()), the IST's own 100 Trying after 200 ms of TU
 * silence (§17.2.1), timers G, H, I (IST) and J (NIST),
 * Timer L of RFC 6026 §8.7, the NIST guard, the absorption of
 * retransmitted requests and of the ACK for a non-2xx, the 500 answered in
 * place of a TU that is gone, server transport errors (§17.2.4), and two
 * questions the UAS core asks: the IST a CANCEL refers to (§9.2) and
 * whether a request was merged (§8.2.2.2).  Each machine is an ops table
 * (ist_ops, nist_ops) that st_new() gives its transaction; requests are
 * matched per §17.2.3 (keys from tsx.c) and every event reaches the
 * machine through that table.
 *
 *   UAS                                   IST, UDP, T1 = 500 ms
 *   --> INVITE                            Proceeding (user.request)
 *   --> INVITE                            absorbed: the last 1xx again, if any
 *       100 Trying -->                    (200 ms of TU silence)
 *       486 Busy Here -->                 Completed (Timer G = T1, H = 64*T1)
 *       486 Busy Here -->                 (Timer G: min(2*previous, T2))
 *   --> ACK                               Confirmed (Timer I = T4)
 *
 * Why no state hangs (T1 = 500 ms: 64*T1 = 32 s):
 *   IST   Proceeding: waits for the TU, which user.request told; a TU that
 *         detaches without answering makes us answer 500.  Accepted:
 *         Timer L.  Completed: Timer H.  Confirmed: Timer I.
 *   NIST  Trying, Proceeding: a 64*T1 guard answers 500.  Completed: Timer J.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rnd.h"
#include "sip/tsx_int.h"

/* Lines a peer causes, rate-limited (log.h); stats counts each class. */
struct log_rl tsx_rl_timer_h =
    LOG_RL_INIT("timer_h", "transactions ended without an ACK (Timer H)", LOG_RL_PEER);
struct log_rl tsx_rl_send_failed =
    LOG_RL_INIT("response_send_failed", "responses that could not be sent", LOG_RL_PEER);
static struct log_rl rl_tsx_full =
    LOG_RL_INIT("tsx_limit", "transaction-limit warnings", LOG_RL_PEER);
static struct log_rl rl_no_key =
    LOG_RL_INIT("request_no_key", "requests dropped without a transaction key", LOG_RL_PEER);

#define TRYING_MS 200 /* §17.2.1: the IST's own 100 after 200 ms */

/*
 * Stamp resp with our To tag (all but 100) and the Server header, and keep
 * its bytes as the last response.  -EINVAL: resp cannot be serialized.
 */
static int st_store(struct tsx *t, struct sip_msg *resp)
{
	char *buf;
	size_t len;
	int err;

	if (resp->status > 100 && !resp->to_tag && (err = msg_set_to_tag(resp, t->local_tag)) < 0)
		return err;
	if (t->l->server && !msg_header(resp, "Server", NULL) &&
	    (err = msg_add_header(resp, "Server", t->l->server)) < 0)
		return err;
	/* The text of a response built as text is taken, not copied: resp is spent. */
	if ((err = msg_take_str(resp, &buf, &len)) < 0)
		return err;
	free(t->out);
	t->out = buf;
	t->outlen = len;
	t->out_status = resp->status;
	return 0;
}

/* §17.2.1: the IST's own 100 Trying, when the TU was silent for 200 ms. */
static void ist_send_trying(struct tsx *t)
{
	struct sip_msg *resp = NULL;
	int err;

	if ((err = msg_build_response(&resp, t->req, 100, NULL, NULL)) < 0 ||
	    (err = st_store(t, resp)) < 0) {
		log_err("%s: cannot build 100 Trying: %s", t->handle, strerror(-err));
		goto out;
	}
	log_debug("%s: TU silent for %u ms: 100 Trying", t->handle, TRYING_MS);
	tsx_send(t, t->out, t->outlen);
out:
	msg_free(resp);
}

/* t->out holds a final response for a NIST: Completed, Timer J (§17.2.2). */
static int nist_final(struct tsx *t)
{
	int err;

	tmr_stop(&t->end); /* the guard */
	t->held = false;
	tsx_goto(t, TSX_COMPLETED, t->out_status, NULL);
	tsx_settle(t);
	if ((err = tsx_send(t, t->out, t->outlen)) < 0)
		return err;
	/* Timer J = 64*T1 on UDP, 0 on TCP. */
	if (t->reliable)
		tsx_terminate(t, "Timer J = 0");
	else
		tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
	return 0;
}

/* A TU answering a transaction that ended on a transport error learns it now. */
static int st_late(const struct tsx *t)
{
	return t->err < 0 ? t->err : -ENOTCONN;
}

/* TU sends response, IST (§17.2.1, RFC 6026 §8.7). */
static int ist_on_tu_response(struct tsx *t, struct sip_msg *resp)
{
	int code = resp->status, err;

	switch (t->state) {
	case TSX_PROCEEDING:
		if ((err = st_store(t, resp)) < 0)
			return err;
		tmr_stop(&t->retx); /* the TU spoke: no 100 of ours (§17.2.1) */
		if (code < 200)
			return tsx_send(t, t->out, t->outlen);
		if (code < 300) {
			/*
			 * RFC 6026 §8.7: 2xx -> Accepted, Timer L = 64*T1.  The
			 * TU resends its 2xx itself (tsx_send_raw()), so it lets
			 * go of t as of any final response.
			 */
			t->held = false;
			tsx_goto(t, TSX_ACCEPTED, code, NULL);
			tsx_settle(t);
			if ((err = tsx_send(t, t->out, t->outlen)) < 0)
				return err;
			tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
			return 0;
		}
		/* 300-699 -> Completed: Timer G = T1 (UDP only), Timer H = 64*T1. */
		t->held = false;
		tsx_goto(t, TSX_COMPLETED, code, NULL);
		tsx_settle(t);
		if ((err = tsx_send(t, t->out, t->outlen)) < 0)
			return err;
		if (!t->reliable) {
			t->retx_ms = t->t1;
			tsx_arm(t, &t->retx, t->retx_ms);
		}
		tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
		return 0;
	case TSX_ACCEPTED:
		/* RFC 6026 §8.7: the TU may retransmit its 2xx through us (until it returns). */
		if (code < 200 || code >= 300)
			return -EINVAL;
		if ((err = st_store(t, resp)) < 0)
			return err;
		TSX_STAT_BUMP(t->l, tx_retransmissions);
		return tsx_send(t, t->out, t->outlen);
	case TSX_TERMINATED:
		return st_late(t);
	case TSX_COMPLETED:
	case TSX_CONFIRMED:
	case TSX_CALLING:
	case TSX_TRYING:
		break;
	}
	return -EINVAL;
}

/* TU sends response, NIST (§17.2.2). */
static int nist_on_tu_response(struct tsx *t, struct sip_msg *resp)
{
	int err;

	switch (t->state) {
	case TSX_TRYING:
	case TSX_PROCEEDING:
		if ((err = st_store(t, resp)) < 0)
			return err;
		if (resp->status >= 200)
			return nist_final(t);
		/* 1xx -> Proceeding; retransmissions get it again. */
		if (t->state == TSX_TRYING)
			tsx_goto(t, TSX_PROCEEDING, resp->status, NULL);
		return tsx_send(t, t->out, t->outlen);
	case TSX_TERMINATED:
		return st_late(t);
	case TSX_COMPLETED:
	case TSX_CALLING:
	case TSX_ACCEPTED:
	case TSX_CONFIRMED:
		break;
	}
	return -EINVAL;
}

/* Request received (a retransmission, or the ACK), IST (§17.2.1, RFC 6026 §8.7). */
static void ist_on_request(struct tsx *t, const struct sip_msg *req)
{
	struct tsx_layer *l = t->l;
	bool ack = strcmp(req->method, "ACK") == 0;

	switch (t->state) {
	case TSX_PROCEEDING:
		if (ack) /* nothing final to acknowledge yet */
			break;
		TSX_STAT_BUMP(l, rx_retransmissions);
		if (t->out) /* the last provisional again */
			tsx_resend(t, t->out, t->outlen);
		break;
	case TSX_ACCEPTED:
		if (ack) {
			/* RFC 6026 §8.7: an ACK that matches goes to the TU. */
			if (l->user.ack)
				l->user.ack(l->user.arg, req);
			break;
		}
		TSX_STAT_BUMP(l, rx_retransmissions); /* the TU resends its 2xx itself */
		break;
	case TSX_COMPLETED:
		if (!ack) {
			TSX_STAT_BUMP(l, rx_retransmissions);
			tsx_resend(t, t->out, t->outlen);
			break;
		}
		/* ACK -> Confirmed: Timer I = T4 on UDP, 0 on TCP. */
		tmr_stop(&t->retx);
		tmr_stop(&t->end);
		tsx_goto(t, TSX_CONFIRMED, 0, "ACK");
		tsx_settle(t);
		if (t->reliable)
			tsx_terminate(t, "Timer I = 0");
		else
			tsx_arm(t, &t->end, t->t4);
		break;
	case TSX_CONFIRMED:
		TSX_STAT_BUMP(l, rx_retransmissions);
		break;
	case TSX_CALLING:
	case TSX_TRYING:
	case TSX_TERMINATED:
		break;
	}
}

/* Request received (a retransmission), NIST (§17.2.2). */
static void nist_on_request(struct tsx *t, const struct sip_msg *req)
{
	switch (t->state) {
	case TSX_TRYING: /* absorbed: nothing to say yet */
		TSX_STAT_BUMP(t->l, rx_retransmissions);
		break;
	case TSX_PROCEEDING: /* the last 1xx again */
	case TSX_COMPLETED:  /* the final again */
		TSX_STAT_BUMP(t->l, rx_retransmissions);
		tsx_resend(t, t->out, t->outlen);
		break;
	case TSX_CALLING:
	case TSX_ACCEPTED:
	case TSX_CONFIRMED:
	case TSX_TERMINATED:
		break;
	}
}

/* Timer fired, IST (§17.2.1, RFC 6026 §8.7). */
static void ist_on_timer(struct tsx *t, enum tsx_slot slot)
{
	switch (t->state) {
	case TSX_PROCEEDING: /* the 200 ms timer */
		ist_send_trying(t);
		break;
	case TSX_ACCEPTED:
		/* Timer L = 64*T1: the TU's 2xx window is over too. */
		tsx_terminate(t, "Timer L");
		break;
	case TSX_COMPLETED:
		if (slot == TSX_SLOT_RETX) {
			/* Timer G: the final again, interval min(2*previous, T2). */
			log_debug("%s: Timer G: %d resent", t->handle, t->out_status);
			if (tsx_resend(t, t->out, t->outlen) < 0)
				break;
			t->retx_ms = tsx_umin((unsigned)t->retx_ms * 2, t->t2);
			tsx_arm(t, &t->retx, t->retx_ms);
			break;
		}
		/* Timer H = 64*T1. */
		log_rl_info(&tsx_rl_timer_h, "%s: no ACK for %d in %u ms (Timer H)", t->handle,
			    t->out_status, t->t1 * 64);
		tsx_terminate(t, "Timer H");
		break;
	case TSX_CONFIRMED:
		tsx_terminate(t, "Timer I");
		break;
	case TSX_CALLING:
	case TSX_TRYING:
	case TSX_TERMINATED:
		break;
	}
}

/*
 * Nobody will answer t (the TU is late or gone): 500 in its place, so no
 * server transaction waits forever.  The caller logs why.
 */
static void st_answer_500(struct tsx *t)
{
	struct sip_msg *resp = NULL;
	int err;

	t->held = false;
	if ((err = msg_build_response(&resp, t->req, 500, NULL, t->local_tag)) == 0)
		err = t->ops->on_tu_response(t, resp);
	msg_free(resp);
	if (err < 0 && t->state != TSX_TERMINATED) {
		log_err("%s: cannot answer 500: %s", t->handle, strerror(-err));
		tsx_terminate(t, "no answer");
	}
}

/* Timer fired, NIST: Timer J, or the guard that keeps a silent TU from hanging it. */
static void nist_on_timer(struct tsx *t, enum tsx_slot slot)
{
	switch (t->state) {
	case TSX_TRYING:
	case TSX_PROCEEDING:
		log_warn("%s: no final response to %s from the TU in %u ms: answering 500",
			 t->handle, t->method, t->t1 * 64);
		st_answer_500(t);
		break;
	case TSX_COMPLETED:
		tsx_terminate(t, "Timer J");
		break;
	case TSX_TERMINATED:
		/* The guard of a transaction that failed while the TU held it. */
		t->held = false;
		tsx_release(t);
		break;
	case TSX_CALLING:
	case TSX_ACCEPTED:
	case TSX_CONFIRMED:
		break;
	}
}

/* The TU's tsx_respond*() failed for good: st ends and the TU forgets it. */
static void st_over(struct tsx *t, int err)
{
	if (t->state != TSX_TERMINATED) {
		log_warn("%s: cannot answer %s: %s", t->handle, t->method, strerror(-err));
		t->err = err;
		tsx_terminate(t, "local error");
	}
	t->held = false;
	tsx_release(t);
}

/* Transport error, IST and NIST (§17.2.4): terminate and log; the TU learns it when it answers. */
static void st_on_error(struct tsx *t, int err)
{
	if (t->state == TSX_TERMINATED)
		return;
	log_rl_warn(&tsx_rl_send_failed, "%s: cannot send %d to %s: %s", t->handle, t->out_status,
		    t->method, strerror(-err));
	t->err = err;
	tsx_terminate(t, "transport error");
}

/* The TU went away: gone without a final response, nobody else would send one. */
static void st_detach(struct tsx *t)
{
	if (t->state == TSX_TRYING || t->state == TSX_PROCEEDING) {
		log_warn("%s: %s left unanswered by its TU: answering 500", t->handle, t->method);
		st_answer_500(t);
	}
	t->held = false;
	tsx_release(t);
}

/* ---- the machines, as the layer sees them (tsx_int.h) ---- */

static const struct tsx_ops ist_ops = {
    .kind = TSX_IST,
    .on_request = ist_on_request,
    .on_tu_response = ist_on_tu_response,
    .on_timer = ist_on_timer,
    .on_error = st_on_error,
    .detach = st_detach,
};

static const struct tsx_ops nist_ops = {
    .kind = TSX_NIST,
    .on_request = nist_on_request,
    .on_tu_response = nist_on_tu_response,
    .on_timer = nist_on_timer,
    .on_error = st_on_error,
    .detach = st_detach,
};

/*
 * §9.2: a CANCEL whose INVITE server transaction is here, answered or not,
 * takes its To tag: "the To tag of the response to the CANCEL and the To
 * tag in the response to the original request SHOULD be the same".  0 or
 * -ENOMEM.
 */
static int cancel_match(struct tsx *t, const struct sip_msg *req)
{
	struct tsx_hdr *h;
	const char *tag = NULL;
	char *key;
	size_t keylen;

	if (strcmp(req->method, "CANCEL") != 0 || tsx_key_server(req, "INVITE", &key, &keylen) < 0)
		return 0; /* no key, no target: 481 as before */
	h = tsx_match_find(t->l, key, keylen);
	free(key);
	if (h && !h->wait && tsx_of(h)->kind == TSX_IST)
		tag = tsx_of(h)->local_tag;
	else if (h && h->wait && tsx_wait_kind(h) == TSX_IST)
		tag = tsx_wait_local_tag(h);
	if (!tag)
		return 0;
	t->cancel_hit = true;
	return (t->local_tag = strdup(tag)) ? 0 : -ENOMEM;
}

/*
 * A server transaction for req under key (both taken, also on failure),
 * with its 100 Trying timer (IST) or guard (NIST) running.  0 or -errno.
 */
static int st_new(struct tsx_layer *l, struct sip_msg *req, char *key, size_t keylen,
		  struct tsx **tp)
{
	bool invite = strcmp(req->method, "INVITE") == 0;
	struct tsx *t = NULL;
	int err;

	if ((err = tsx_alloc(l, invite ? &ist_ops : &nist_ops, req, &t)) < 0) {
		msg_free(req);
		free(key);
		return err;
	}
	t->state = invite ? TSX_PROCEEDING : TSX_TRYING;
	t->held = true;
	msg_response_dest(req, &t->dest);
	t->reliable = req->src.proto != NET_UDP;
	if (req->to_tag) {
		t->local_tag = strdup(req->to_tag);
	} else if (!invite && (err = cancel_match(t, req)) < 0) {
		goto out;
	} else if (!t->local_tag && (t->local_tag = malloc(RND_TAG_LEN))) {
		rnd_token(t->local_tag, RND_TAG_LEN);
	}
	err = -ENOMEM;
	if (!t->local_tag)
		goto out;
	if ((err = tsx_link(t, key, keylen)) < 0)
		goto out;
	if (!req->to_tag && (err = tsx_merge_link(t)) < 0)
		goto out;
	/* IST: 100 Trying after 200 ms of TU silence (§17.2.1); NIST: the guard. */
	if (invite)
		err = tmr_start(&t->retx, TRYING_MS);
	else
		err = tmr_start(&t->end, (uint64_t)t->t1 * 64);
	if (err < 0)
		goto out;
	*tp = t;
out:
	if (err < 0) {
		if (!t->key)
			free(key);
		tsx_free(t);
	}
	return err;
}

/* ---- receiving ---- */

/* Past max_tsx: a stateless 503 with Retry-After (DESIGN: refusing is part of the protocol). */
static void st_refuse(struct tsx_layer *l, const struct sip_msg *req)
{
	struct msg_err e;
	char ra[16];
	int err;

	if (!l->full) {
		log_rl_warn(&rl_tsx_full, "tsx: %u transactions, the limit: new requests get 503",
			    l->count);
		l->full = true;
	}
	snprintf(ra, sizeof(ra), "%u", l->cfg.retry_after_s);
	msg_err_set(&e, 503, NULL, "Retry-After", ra);
	TSX_STAT_BUMP(l, tx_503);
	if ((err = tsx_reply_stateless(l, req, &e)) < 0)
		log_debug("tsx: cannot send 503 to %s: %s", req->method, strerror(-err));
}

/*
 * A request: to the server transaction it matches (§17.2.3, an ACK as its
 * INVITE), else, an ACK, to the TU as the ACK for a 2xx, else a new server
 * transaction and user.request.  Takes m.
 */
static void st_recv_request(struct tsx_layer *l, struct sip_msg *m)
{
	bool ack = strcmp(m->method, "ACK") == 0;
	struct tsx_hdr *h;
	struct tsx *t;
	char *key = NULL;
	size_t keylen;
	int err;

	if ((err = tsx_key_server(m, ack ? "INVITE" : m->method, &key, &keylen)) < 0) {
		log_rl_warn(&rl_no_key, "tsx: %s dropped: no key: %s", m->method, strerror(-err));
		goto out;
	}
	if ((h = tsx_match_find(l, key, keylen))) {
		if (h->wait)
			tsx_wait_on_request(h, m);
		else if ((t = tsx_of(h))->ops->on_request)
			t->ops->on_request(t, m);
		goto out;
	}
	if (ack) { /* the ACK for a 2xx: a transaction of its own (§17.1.1.3) */
		if (l->user.ack)
			l->user.ack(l->user.arg, m);
		goto out;
	}
	if (l->count >= l->cfg.max_tsx) {
		st_refuse(l, m);
		goto out;
	}
	err = st_new(l, m, key, keylen, &t);
	m = NULL;
	key = NULL;
	if (err < 0) {
		log_err("tsx: request dropped: %s", strerror(-err));
		goto out;
	}
	log_debug("%s: %s %s for %s (Call-ID %s)%s", t->handle, tsx_kind_name(t->kind),
		  tsx_state_name(t->state), t->req->method, t->req->call_id,
		  t->merged ? ", merged" : "");
	if (l->user.request)
		l->user.request(l->user.arg, t, t->req);
out:
	free(key);
	msg_free(m);
}

void tsx_layer_recv(struct tsx_layer *l, struct sip_msg *m)
{
	if (!m)
		return;
	tsx_layer_enter(l);
	if (!m->method)
		msg_free(m);
	else if (m->is_request)
		st_recv_request(l, m);
	else
		tsx_recv_response(l, m);
	tsx_layer_leave(l);
}

/* ---- the TU's entry points (tsx.h) ---- */

int tsx_respond(struct tsx *t, struct sip_msg *resp)
{
	struct tsx_layer *l;
	int err = -EINVAL;

	if (!t) {
		msg_free(resp);
		return -EINVAL;
	}
	l = t->l;
	tsx_layer_enter(l);
	if (!resp || resp->is_request || resp->status < 100 || resp->status > 699)
		goto out;
	if (!t->ops->on_tu_response) /* a client transaction */
		goto out;
	err = t->ops->on_tu_response(t, resp);
	if (err < 0 && err != -EINVAL)
		st_over(t, err);
out:
	msg_free(resp);
	tsx_layer_leave(l);
	return err;
}

int tsx_respond_code(struct tsx *t, int code, const char *reason, const struct msg_err *extra)
{
	struct sip_msg *resp = NULL;
	int err;

	if (!t || (t->kind != TSX_IST && t->kind != TSX_NIST) || code < 100 || code > 699)
		return -EINVAL;
	if (!t->req) {
		/*
		 * The request was let go after the final response (tsx_settle):
		 * in Accepted the TU's 2xx retransmission is the stored 2xx
		 * again (RFC 6026 §8.7); anything else is too late.
		 */
		if (t->kind != TSX_IST || t->state != TSX_ACCEPTED || code < 200 || code >= 300 ||
		    !t->out)
			return -EINVAL;
		tsx_layer_enter(t->l);
		TSX_STAT_BUMP(t->l, tx_retransmissions);
		err = tsx_send(t, t->out, t->outlen);
		tsx_layer_leave(t->l);
		return err;
	}
	if ((err = msg_build_response(&resp, t->req, code, reason, t->local_tag)) < 0 ||
	    (extra && extra->hdr_name[0] &&
	     (err = msg_add_header(resp, extra->hdr_name, extra->hdr_value)) < 0)) {
		msg_free(resp);
		tsx_layer_enter(t->l);
		st_over(t, err);
		tsx_layer_leave(t->l);
		return err;
	}
	return tsx_respond(t, resp);
}

bool tsx_merged(const struct tsx *st)
{
	return st->merged;
}

bool tsx_cancel_matched(const struct tsx *st)
{
	return st->cancel_hit;
}

struct tsx *tsx_cancel_target(const struct tsx *st)
{
	struct tsx *t;
	char *key;
	size_t keylen;

	if (st->kind != TSX_NIST || !st->req || strcmp(st->method, "CANCEL") != 0 ||
	    tsx_key_server(st->req, "INVITE", &key, &keylen) < 0)
		return NULL;
	t = tsx_of(tsx_match_find(st->l, key, keylen));
	free(key);
	return t && t->kind == TSX_IST ? t : NULL;
}

int tsx_respond_copy(struct tsx *t, struct sip_msg *resp, char **bufp, size_t *lenp)
{
	struct tsx_layer *l;
	int err;

	*bufp = NULL;
	*lenp = 0;
	if (!t) {
		msg_free(resp);
		return -EINVAL;
	}
	l = t->l;
	tsx_layer_enter(l); /* t stays whole until the copy is made */
	err = tsx_respond(t, resp);
	if (err == 0 && t->out && (*bufp = malloc(t->outlen))) {
		memcpy(*bufp, t->out, t->outlen);
		*lenp = t->outlen;
	}
	tsx_layer_leave(l);
	return err;
}
