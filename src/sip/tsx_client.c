/*
 * tsx_client: the client transactions, RFC 3261 §17.1 as updated by
 * RFC 6026: the INVITE client transaction (ICT, §17.1.1) and the
 * non-INVITE client transaction (NICT, §17.1.2).
 *
 * Owns tsx_request(), timers A, B, D (ICT) and E, F, K (NICT), Timer M of
 * RFC 6026 §8.4, the handling of every response that matched a client
 * transaction, the ACK the ICT sends for a 300-699 itself (§17.1.1.3; the
 * message is built by msg_build_ack()), and client transport errors,
 * including a lost TCP connection (§17.1.4).  Each machine is an ops table
 * (ict_ops, nict_ops) that tsx_request() gives its transaction; the layer
 * (tsx.c) matches responses by branch + CSeq method (§17.1.3) and
 * dispatches every event through that table.
 *
 *   UAC                                   ICT, UDP, T1 = 500 ms
 *   INVITE -->                            Calling (Timer A = T1, B = 64*T1)
 *   INVITE -->  (Timer A: 2*T1 ...)
 *          <-- 180 Ringing                Proceeding (A and B stop)
 *          <-- 486 Busy Here              Completed (Timer D = max(32 s, 64*T1))
 *   ACK    -->  (and again for each retransmitted 486)
 *
 * Why no state hangs (T1 = 500 ms: 64*T1 = 32 s):
 *   ICT   Calling: Timer B.  Proceeding: no timer of its own: the TU owns
 *         the call and CANCELs it (the 487 ends it); once detached, a
 *         64*T1 guard (§9.1).  Accepted: Timer M.  Completed: Timer D.
 *   NICT  Trying, Proceeding: Timer F.  Completed: Timer K.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sip/tsx_int.h"

#define TIMER_D_MIN_MS 32000 /* §17.1.1.2: Timer D is at least 32 s on UDP */

static void ct_pass(struct tsx *t, const struct sip_msg *resp, int err)
{
	if (t->cb)
		t->cb(t->arg, t, resp, err);
}

/* The final outcome is an error: Terminated, then the TU hears of it. */
static void ct_fail(struct tsx *t, int err, const char *why)
{
	t->err = err;
	tsx_terminate(t, why);
	ct_pass(t, NULL, err);
}

/* §17.1.1.3: the ACK for a non-2xx final response, its bytes into t->out. */
static int ict_build_ack(struct tsx *t, const struct sip_msg *resp)
{
	struct sip_msg *ack = NULL;
	int err;

	if ((err = msg_build_ack(&ack, t->req, resp)) < 0)
		return err;
	free(t->out);
	t->out = NULL;
	err = msg_to_str(ack, &t->out, &t->outlen);
	msg_free(ack);
	return err;
}

/* §17.1.1.2: 300-699 -> Completed; the ACK is ours; Timer D. */
static void ict_completed(struct tsx *t, const struct sip_msg *resp)
{
	int err;

	tmr_stop(&t->retx);
	tmr_stop(&t->end);
	tsx_goto(t, TSX_COMPLETED, resp->status, NULL);
	tsx_settle(t);
	if ((err = ict_build_ack(t, resp)) < 0)
		log_err("%s: cannot build the ACK for %d: %s", t->handle, resp->status,
			strerror(-err));
	/*
	 * The ACK leaves before the TU hears of the response, so that what
	 * the TU sends next (a redirected INVITE, §8.1.3.4) follows it.
	 */
	err = t->out ? tsx_send(t, t->out, t->outlen) : 0;
	ct_pass(t, resp, 0);
	if (err < 0 || t->state != TSX_COMPLETED)
		return;
	/* Timer D = max(32 s, 64*T1) on UDP, 0 on TCP (§17.1.1.2). */
	if (t->reliable)
		tsx_terminate(t, "Timer D = 0");
	else
		tsx_arm(t, &t->end, t->t1 * 64 > TIMER_D_MIN_MS ? t->t1 * 64 : TIMER_D_MIN_MS);
}

/* Response received, ICT (§17.1.1.2, RFC 6026 §8.4). */
static void ict_on_response(struct tsx *t, const struct sip_msg *resp)
{
	int code = resp->status;

	switch (t->state) {
	case TSX_CALLING:
	case TSX_PROCEEDING:
		if (code >= 300) {
			ict_completed(t, resp);
		} else if (code >= 200) {
			/* RFC 6026 §8.4: 2xx -> Accepted, Timer M = 64*T1. */
			tmr_stop(&t->retx);
			tmr_stop(&t->end);
			tsx_goto(t, TSX_ACCEPTED, code, NULL);
			tsx_settle(t); /* compact once detached: see ict_detach() */
			tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
			ct_pass(t, resp, 0);
		} else {
			if (t->state == TSX_CALLING) {
				/* §17.1.1.2: 1xx -> Proceeding; Timers A and B stop. */
				tmr_stop(&t->retx);
				tmr_stop(&t->end);
				tsx_goto(t, TSX_PROCEEDING, code, NULL);
				if (!t->cb) /* detached: see ict_detach() */
					tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
			}
			ct_pass(t, resp, 0);
		}
		break;
	case TSX_ACCEPTED:
		/* RFC 6026 §8.4: every 2xx goes up (the TU ACKs it); others absorbed. */
		if (code >= 200 && code < 300)
			ct_pass(t, resp, 0);
		break;
	case TSX_COMPLETED:
		/* §17.1.1.2: a retransmitted final gets the same ACK and stays here. */
		if (code >= 300 && t->out)
			tsx_resend(t, t->out, t->outlen);
		break;
	case TSX_TRYING:
	case TSX_CONFIRMED:
	case TSX_TERMINATED:
		break;
	}
}

/* Response received, NICT (§17.1.2.2). */
static void nict_on_response(struct tsx *t, const struct sip_msg *resp)
{
	int code = resp->status;

	switch (t->state) {
	case TSX_TRYING:
	case TSX_PROCEEDING:
		if (code < 200) {
			/* 1xx -> Proceeding; Timer E runs on and is reset to T2 when it fires. */
			if (t->state == TSX_TRYING)
				tsx_goto(t, TSX_PROCEEDING, code, NULL);
			ct_pass(t, resp, 0);
			break;
		}
		/* Final -> Completed; Timer K = T4 on UDP, 0 on TCP. */
		tmr_stop(&t->retx);
		tmr_stop(&t->end);
		tsx_goto(t, TSX_COMPLETED, code, NULL);
		tsx_settle(t);
		ct_pass(t, resp, 0);
		if (t->state != TSX_COMPLETED)
			break;
		if (t->reliable)
			tsx_terminate(t, "Timer K = 0");
		else
			tsx_arm(t, &t->end, t->t4);
		break;
	case TSX_COMPLETED: /* retransmitted finals are absorbed */
	case TSX_CALLING:
	case TSX_ACCEPTED:
	case TSX_CONFIRMED:
	case TSX_TERMINATED:
		break;
	}
}

/* Timer fired, ICT (§17.1.1.2, RFC 6026 §8.4). */
static void ict_on_timer(struct tsx *t, enum tsx_slot slot)
{
	switch (t->state) {
	case TSX_CALLING:
		if (slot == TSX_SLOT_RETX) {
			/* Timer A: resend, double the interval (UDP only). */
			log_debug("%s: Timer A: INVITE resent", t->handle);
			if (tsx_resend(t, t->buf, t->len) < 0)
				break;
			t->retx_ms *= 2;
			tsx_arm(t, &t->retx, t->retx_ms);
			break;
		}
		/* Timer B = 64*T1.  The TU decides what it means and logs it. */
		log_debug("%s: INVITE timed out: no response in %u ms (Timer B)", t->handle,
			  t->t1 * 64);
		ct_fail(t, -ETIMEDOUT, "Timer B");
		break;
	case TSX_PROCEEDING:
		/* The guard of a detached ICT: nobody will CANCEL it (§9.1: 64*T1). */
		log_info("%s: INVITE abandoned: no final response %u ms after its TU left",
			 t->handle, t->t1 * 64);
		tsx_terminate(t, "guard");
		break;
	case TSX_ACCEPTED:
		/* The TU still holds t for the 2xx retransmissions: tell it t ends. */
		tsx_terminate(t, "Timer M");
		ct_pass(t, NULL, 0);
		break;
	case TSX_COMPLETED:
		tsx_terminate(t, "Timer D");
		break;
	case TSX_TRYING:
	case TSX_CONFIRMED:
	case TSX_TERMINATED:
		break;
	}
}

/* Timer fired, NICT (§17.1.2.2). */
static void nict_on_timer(struct tsx *t, enum tsx_slot slot)
{
	switch (t->state) {
	case TSX_TRYING:
	case TSX_PROCEEDING:
		if (slot == TSX_SLOT_RETX) {
			/* Timer E: min(2*previous, T2) in Trying, T2 in Proceeding (UDP only). */
			log_debug("%s: Timer E: %s resent", t->handle, t->req->method);
			if (tsx_resend(t, t->buf, t->len) < 0)
				break;
			t->retx_ms = t->state == TSX_TRYING
					 ? tsx_umin((unsigned)t->retx_ms * 2, t->t2)
					 : t->t2;
			tsx_arm(t, &t->retx, t->retx_ms);
			break;
		}
		/* Timer F = 64*T1.  The TU decides what it means and logs it. */
		log_debug("%s: %s timed out: no final response in %u ms (Timer F)", t->handle,
			  t->req->method, t->t1 * 64);
		ct_fail(t, -ETIMEDOUT, "Timer F");
		break;
	case TSX_COMPLETED:
		tsx_terminate(t, "Timer K");
		break;
	case TSX_CALLING:
	case TSX_ACCEPTED:
	case TSX_CONFIRMED:
	case TSX_TERMINATED:
		break;
	}
}

/* Transport error, ICT and NICT (§17.1.4): a waiting TU learns it as the outcome. */
static void ct_on_error(struct tsx *t, int err)
{
	switch (t->state) {
	case TSX_CALLING:
	case TSX_TRYING:
	case TSX_PROCEEDING:
		log_debug("%s: %s failed: %s", t->handle, t->req->method, strerror(-err));
		ct_fail(t, err, "transport error");
		break;
	case TSX_ACCEPTED:
		/* The ACK is the TU's (RFC 6026); what failed was a resend.  t ends: say so. */
		t->err = err;
		tsx_terminate(t, "transport error");
		ct_pass(t, NULL, 0);
		break;
	case TSX_COMPLETED:
		log_warn("%s: cannot send the ACK: %s", t->handle, strerror(-err));
		t->err = err;
		tsx_terminate(t, "transport error");
		break;
	case TSX_CONFIRMED:
	case TSX_TERMINATED:
		break;
	}
}

/* The TU went away, NICT: no more callbacks; Timer F or K still ends it. */
static void nict_detach(struct tsx *t)
{
	t->cb = NULL;
}

/* The TU went away, ICT: no more callbacks. */
static void ict_detach(struct tsx *t)
{
	t->cb = NULL;
	/*
	 * An ICT in Proceeding has no timer: its TU would CANCEL it.
	 * Without a TU, give the final response 64*T1 (as §9.1 does).
	 */
	if (t->state == TSX_PROCEEDING)
		tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
	/* In Accepted only Timer M is left: nobody to pass 2xx to, so compact. */
	if (t->state == TSX_ACCEPTED)
		tsx_settle(t);
}

/* ---- the machines, as the layer sees them (tsx_int.h) ---- */

static const struct tsx_ops ict_ops = {
    .kind = TSX_ICT,
    .on_response = ict_on_response,
    .on_timer = ict_on_timer,
    .on_error = ct_on_error,
    .detach = ict_detach,
};

static const struct tsx_ops nict_ops = {
    .kind = TSX_NICT,
    .on_response = nict_on_response,
    .on_timer = nict_on_timer,
    .on_error = ct_on_error,
    .detach = nict_detach,
};

/* ---- the TU's entry points (tsx.h) ---- */

int tsx_request(struct tsx_layer *l, struct sip_msg *req, const struct sip_dest *d, tsx_resp_fn *cb,
		void *arg, struct tsx **ctp)
{
	struct tsx *t = NULL;
	char *key = NULL;
	size_t keylen;
	bool invite;
	int err = -EINVAL;

	tsx_layer_enter(l);
	if (!req || !d || !req->is_request || !req->method || !req->branch ||
	    strcmp(req->method, "ACK") == 0)
		goto out;
	err = -EAGAIN;
	if (l->count >= l->cfg.max_tsx)
		goto out;
	if ((err = tsx_key_client(req->branch, req->method, &key, &keylen)) < 0)
		goto out;
	err = -EEXIST;
	if (tsx_match_find(l, key, keylen))
		goto out;
	invite = strcmp(req->method, "INVITE") == 0;
	if ((err = tsx_alloc(l, invite ? &ict_ops : &nict_ops, req, &t)) < 0)
		goto out;
	req = NULL;
	t->state = invite ? TSX_CALLING : TSX_TRYING;
	t->dest = *d;
	t->reliable = d->proto != NET_UDP;
	if ((err = msg_to_str(t->req, &t->buf, &t->len)) < 0)
		goto out;
	if ((err = tsx_link(t, key, keylen)) < 0)
		goto out;
	key = NULL;
	/* Timer A / E = T1 (UDP only); Timer B / F = 64*T1 (§17.1.1.2, §17.1.2.2). */
	t->retx_ms = t->t1;
	if ((!t->reliable && (err = tmr_start(&t->retx, t->retx_ms)) < 0) ||
	    (err = tmr_start(&t->end, (uint64_t)t->t1 * 64)) < 0)
		goto out;
	if ((err = tsx_xmit(t, t->buf, t->len)) < 0)
		goto out;
	t->cb = cb;
	t->arg = arg;
	log_debug("%s: %s %s for %s (Call-ID %s)", t->handle, tsx_kind_name(t->kind),
		  tsx_state_name(t->state), t->req->method, t->req->call_id);
	if (ctp)
		*ctp = t;
out:
	if (err < 0) {
		free(key);
		msg_free(req);
		if (t)
			tsx_free(t);
	}
	tsx_layer_leave(l);
	return err;
}

void tsx_layer_conn_closed(struct tsx_layer *l, uint64_t conn, int err, const char *why)
{
	struct tsx *t;

	if (!conn)
		return;
	tsx_layer_enter(l);
	/* Nothing is freed before tsx_layer_leave(), so t->next stays valid. */
	for (t = l->all; t; t = t->next) {
		if ((t->ops != &ict_ops && t->ops != &nict_ops) || t->dest.conn != conn)
			continue;
		if (t->state != TSX_CALLING && t->state != TSX_TRYING && t->state != TSX_PROCEEDING)
			continue;
		if (why && !t->why)
			t->why = strdup(why); /* best effort: without it, strerror() */
		ct_on_error(t, err < 0 ? err : -ECONNRESET);
	}
	tsx_layer_leave(l);
}
