/*
 * tsx: the SIP transaction layer, RFC 3261 §17 as updated by RFC 6026.
 *
 * Owns every transaction: its state, its two timers, its places in the
 * layer's hash tables, the request that made it and the bytes it
 * retransmits.  The TU (the UA core) creates client transactions, answers
 * server transactions and hears back through the callbacks of tsx.h; it
 * never frees a transaction.  Bytes leave through the owner's send callback.
 *
 * One rejected INVITE over UDP (T1 = 500 ms), both sides:
 *
 *   UAC: ICT                                            UAS: IST
 *   Calling     INVITE sip:bob@b  Via: ...;branch=z9hG4bKa  --> Proceeding
 *               (Timer A resends at 0.5, 1.5, 3.5 s ...)       (user.request)
 *   Proceeding  <-- 100 Trying          (IST after 200 ms of TU silence)
 *   Completed   <-- 486 Busy Here  To: <sip:bob@b>;tag=x       Completed
 *               (Timer D = 32 s)                         (Timer G resends, H)
 *               ACK sip:bob@b  Via: ...;branch=z9hG4bKa -->    Confirmed
 *               CSeq: 1 ACK  To: ...;tag=x                     (Timer I = T4)
 *
 * A 2xx takes both sides to Accepted instead (RFC 6026): the TUs own the
 * 2xx, its retransmissions and its ACK, which is a transaction of its own.
 *
 * Matching is one hash lookup.  The match table holds "c" keys for client
 * transactions (§17.1.3: branch + CSeq method) and "s"/"o" keys for server
 * transactions (§17.2.3: branch + sent-by + method, ACK as INVITE; "o" for
 * RFC 2543 requests without the magic cookie: Request-URI, From tag,
 * Call-ID, CSeq number, sent-by, method).  A second table indexes server
 * transactions whose request had no To tag by From tag + Call-ID + CSeq,
 * to spot merged requests (§8.2.2.2).
 *
 * Why no state hangs (T1 = 500 ms: 64*T1 = 32 s):
 *   ICT   Calling: Timer B.  Proceeding: no timer of its own: the TU owns
 *         the call and CANCELs it (the 487 ends it); once detached, a
 *         64*T1 guard (§9.1).  Accepted: Timer M.  Completed: Timer D.
 *   NICT  Trying, Proceeding: Timer F.  Completed: Timer K.
 *   IST   Proceeding: waits for the TU, which user.request told; a TU that
 *         detaches without answering makes us answer 500.  Accepted:
 *         Timer L.  Completed: Timer H.  Confirmed: Timer I.
 *   NIST  Trying, Proceeding: a 64*T1 guard answers 500.  Completed: Timer J.
 *   Terminated: freed as below.
 *
 * Lifetimes.  The layer counts how deep it is in its own entry points
 * (receive, timers, TU calls); a transaction that terminates is unlinked
 * from the tables at once but freed only when that depth returns to zero,
 * so no transaction is freed while a callback about it runs.  Beyond that:
 *  - a client transaction stays valid until the callback with its final
 *    outcome returns, or until tsx_detach();
 *  - a server transaction stays valid until the TU has sent a final
 *    response (after a 2xx: until Timer L), until tsx_respond*() fails
 *    with anything but -EINVAL, or until tsx_detach().  One that fails on
 *    its own (a resent provisional that cannot be sent) waits, out of the
 *    tables, for the TU to learn it through tsx_respond*().
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/htab.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "sip/tsx.h"

#define MAGIC_COOKIE "z9hG4bK" /* §8.1.1.7 */
#define TRYING_MS 200	       /* §17.2.1: the IST's own 100 after 200 ms */
#define TIMER_D_MIN_MS 32000   /* §17.1.1.2: Timer D is at least 32 s on UDP */
#define ACK_MAX_FORWARDS "70"  /* §8.1.1.6 */

#define STAT_BUMP(l, field)                                                                        \
	do {                                                                                       \
		if ((l)->st)                                                                       \
			(l)->st->field++;                                                          \
	} while (0)

struct tsx_layer {
	struct tmr_clock *clk;
	struct tsx_cfg cfg; /* cfg.server unused: see server */
	char *server;	    /* Server header value; NULL: none */
	tsx_send_fn *send;
	void *send_arg;
	struct tsx_user user;
	struct stats *st;
	struct htab *match; /* §17.1.3 / §17.2.3 keys -> tsx.node */
	struct htab *merge; /* §8.2.2.2 keys -> tsx.mnode */
	struct tsx *all;    /* every transaction not yet freed */
	struct tsx *dead;   /* terminated, freed when depth drops to 0 */
	unsigned count;	    /* live: in the match table */
	unsigned depth;	    /* layer entry points on the stack */
	unsigned long next_id;
	bool full; /* at max_tsx: logged once */
};

enum tsx_slot {
	SLOT_RETX, /* Timer A, E, G, or the IST's 200 ms timer */
	SLOT_END,  /* Timer B, D, F, H, I, J, K, L, M, or a guard */
};

struct tsx {
	struct tsx_layer *l;
	enum tsx_kind kind;
	enum tsx_state state;
	char handle[24];
	unsigned t1, t2, t4; /* copied at creation */
	bool reliable;	     /* TCP: no retransmissions, D/I/J/K = 0 */
	struct sip_msg *req;
	struct sip_dest dest; /* client: toward the peer; server: §18.2.2 */

	struct tmr retx;
	uint64_t retx_ms; /* current interval of A, E or G */
	struct tmr end;

	char *key; /* match table */
	size_t keylen;
	struct htab_node node;
	bool in_match;
	char *mkey; /* merge table (server, no To tag) */
	size_t mkeylen;
	struct htab_node mnode;
	bool in_merge;

	struct tsx *prev, *next; /* layer->all */
	struct tsx *dead_next;	 /* layer->dead */
	bool queued;

	char *buf; /* client: the request as sent */
	size_t len;
	char *out; /* ICT: the ACK; server: the last response */
	size_t outlen;
	int out_status; /* server: status of out */
	int err;	/* what ended it, for a late TU */

	tsx_resp_fn *cb; /* client; NULL once detached */
	void *arg;

	char *local_tag; /* server */
	bool held;	 /* server: the TU may still use it */
	bool merged;
};

static void on_retx(void *arg);
static void on_end(void *arg);
static void tsx_on_error(struct tsx *t, int err);

static const char *const kind_names[] = {"ICT", "NICT", "IST", "NIST"};

static const char *const state_names[] = {
    "Calling", "Trying", "Proceeding", "Accepted", "Completed", "Confirmed", "Terminated",
};

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

static unsigned umin(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* ---- keys ---- */

static int key_fmt(char **kp, size_t *lenp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int key_fmt(char **kp, size_t *lenp, const char *fmt, ...)
{
	va_list ap;
	char *k;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&k, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	*kp = k;
	*lenp = (size_t)n;
	return 0;
}

/* §17.1.3: a response matches the client transaction of its branch and CSeq method. */
static int key_client(const char *branch, const char *method, char **kp, size_t *lenp)
{
	return key_fmt(kp, lenp, "c\n%s\n%s", branch, method);
}

/*
 * §17.2.3: branch + sent-by + method with the magic cookie; without it
 * (RFC 2543) Request-URI + From tag + Call-ID + CSeq number + sent-by +
 * method.  method is the caller's: INVITE for an ACK.
 */
static int key_server(const struct sip_msg *m, const char *method, char **kp, size_t *lenp)
{
	char *host, *uri = NULL;
	int err = -ENOMEM;

	if (!(host = strdup(str_or_empty(m->via_host))))
		return -ENOMEM;
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p); /* host names ignore case */
	if (m->branch && strncmp(m->branch, MAGIC_COOKIE, strlen(MAGIC_COOKIE)) == 0) {
		err = key_fmt(kp, lenp, "s\n%s\n%s:%u\n%s", m->branch, host, m->via_port, method);
		goto out;
	}
	if (!m->sip->req_uri || osip_uri_to_str(m->sip->req_uri, &uri) != OSIP_SUCCESS) {
		err = -EINVAL;
		goto out;
	}
	err = key_fmt(kp, lenp, "o\n%s\n%s\n%s\n%u\n%s:%u\n%s", uri, str_or_empty(m->from_tag),
		      str_or_empty(m->call_id), m->cseq, host, m->via_port, method);
out:
	osip_free(uri);
	free(host);
	return err;
}

/* §8.2.2.2: From tag + Call-ID + CSeq (number and method). */
static int key_merge(const struct sip_msg *m, char **kp, size_t *lenp)
{
	return key_fmt(kp, lenp, "m\n%s\n%s\n%u\n%s", str_or_empty(m->from_tag),
		       str_or_empty(m->call_id), m->cseq, str_or_empty(m->method));
}

static struct tsx *match_find(const struct tsx_layer *l, const char *key, size_t keylen)
{
	struct htab_node *n = htab_find(l->match, key, keylen);

	return n ? container_of(n, struct tsx, node) : NULL;
}

/* ---- lifetime ---- */

static int tsx_alloc(struct tsx_layer *l, enum tsx_kind kind, struct sip_msg *req, struct tsx **tp)
{
	struct tsx *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->l = l;
	t->kind = kind;
	t->req = req;
	t->t1 = l->cfg.t1_ms;
	t->t2 = l->cfg.t2_ms;
	t->t4 = l->cfg.t4_ms;
	snprintf(t->handle, sizeof(t->handle), "t%lu", ++l->next_id);
	tmr_init(&t->retx, l->clk, on_retx, t);
	tmr_init(&t->end, l->clk, on_end, t);
	t->next = l->all;
	if (l->all)
		l->all->prev = t;
	l->all = t;
	*tp = t;
	return 0;
}

static int tsx_link(struct tsx *t, char *key, size_t keylen)
{
	int err;

	if ((err = htab_insert(t->l->match, &t->node, key, keylen)) < 0)
		return err;
	t->key = key; /* t owns it from here */
	t->keylen = keylen;
	t->in_match = true;
	t->l->count++;
	return 0;
}

/* Out of both tables: no message matches t any more. */
static void tsx_unlink(struct tsx *t)
{
	struct tsx_layer *l = t->l;

	if (t->in_match) {
		htab_remove(l->match, &t->node);
		t->in_match = false;
		l->count--;
		if (l->full && l->count < l->cfg.max_tsx) {
			l->full = false;
			log_info("tsx: %u transactions, below the limit again", l->count);
		}
	}
	if (t->in_merge) {
		htab_remove(l->merge, &t->mnode);
		t->in_merge = false;
	}
}

/* The one destructor: timers, table links, list link, memory. */
static void tsx_free(struct tsx *t)
{
	struct tsx_layer *l = t->l;

	tmr_close(&t->retx);
	tmr_close(&t->end);
	tsx_unlink(t);
	if (t->prev)
		t->prev->next = t->next;
	else
		l->all = t->next;
	if (t->next)
		t->next->prev = t->prev;
	msg_free(t->req);
	free(t->key);
	free(t->mkey);
	free(t->buf);
	free(t->out);
	free(t->local_tag);
	free(t);
}

static void layer_enter(struct tsx_layer *l)
{
	l->depth++;
}

/* Leaving the outermost entry point frees what terminated meanwhile. */
static void layer_leave(struct tsx_layer *l)
{
	if (--l->depth > 0)
		return;
	while (l->dead) {
		struct tsx *t = l->dead;

		l->dead = t->dead_next;
		tsx_free(t);
	}
}

/* Queue a terminated transaction nobody holds for freeing by layer_leave(). */
static void tsx_release(struct tsx *t)
{
	if (t->state != TSX_TERMINATED || t->held || t->queued)
		return;
	t->queued = true;
	t->dead_next = t->l->dead;
	t->l->dead = t;
}

/* ---- state changes ---- */

static void tsx_goto(struct tsx *t, enum tsx_state s, int code, const char *why)
{
	if (code)
		log_debug("%s: %s %s -> %s (%d)", t->handle, kind_names[t->kind],
			  state_names[t->state], state_names[s], code);
	else
		log_debug("%s: %s %s -> %s (%s)", t->handle, kind_names[t->kind],
			  state_names[t->state], state_names[s], why);
	t->state = s;
}

/*
 * Terminated: out of the tables, timers stopped.  A server transaction the
 * TU still holds keeps its NIST guard (64*T1), which lets go of it.
 */
static void tsx_terminate(struct tsx *t, const char *why)
{
	bool keep_guard = t->held && t->kind == TSX_NIST;

	if (t->state == TSX_TERMINATED)
		return;
	tsx_goto(t, TSX_TERMINATED, 0, why);
	tsx_unlink(t);
	tmr_stop(&t->retx);
	if (!keep_guard)
		tmr_stop(&t->end);
	tsx_release(t);
}

static void tsx_arm(struct tsx *t, struct tmr *tm, uint64_t ms)
{
	int err = tmr_start(tm, ms);

	if (err < 0)
		tsx_on_error(t, err);
}

/* Bytes to the transport as they are. 0 or -errno. */
static int tsx_xmit(struct tsx *t, const char *buf, size_t len)
{
	int err = t->l->send(t->l->send_arg, &t->dest, buf, len);

	return err < 0 ? err : 0;
}

/* Send; a failure is the transport-error event (§17.1.4, §17.2.4). */
static int tsx_send(struct tsx *t, const char *buf, size_t len)
{
	int err = tsx_xmit(t, buf, len);

	if (err < 0)
		tsx_on_error(t, err);
	return err;
}

static int tsx_resend(struct tsx *t, const char *buf, size_t len)
{
	STAT_BUMP(t->l, tx_retransmissions);
	return tsx_send(t, buf, len);
}

/* ---- client transactions (§17.1) ---- */

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

/*
 * §17.1.1.3: the ACK for a non-2xx final response, into t->out: the
 * INVITE's Request-URI, Call-ID, From, top Via and Route set, the
 * response's To (with its tag), CSeq "n ACK", Max-Forwards 70.
 */
static int ict_build_ack(struct tsx *t, const struct sip_msg *resp)
{
	const osip_message_t *inv = t->req->sip;
	osip_message_t *ack = NULL;
	osip_via_t *via = NULL, *vc;
	osip_route_t *r, *rc;
	osip_list_iterator_t it;
	struct sip_msg *m = NULL;
	int err = -ENOMEM;

	if (!inv->req_uri || !inv->call_id || !inv->from || !inv->cseq || !resp->sip->to ||
	    osip_message_get_via(inv, 0, &via) < 0 || !via)
		return -EINVAL;
	if (osip_message_init(&ack) != OSIP_SUCCESS)
		return -ENOMEM;
	osip_message_set_method(ack, osip_strdup("ACK"));
	osip_message_set_version(ack, osip_strdup("SIP/2.0"));
	if (!ack->sip_method || !ack->sip_version ||
	    osip_uri_clone(inv->req_uri, &ack->req_uri) != OSIP_SUCCESS ||
	    osip_call_id_clone(inv->call_id, &ack->call_id) != OSIP_SUCCESS ||
	    osip_from_clone(inv->from, &ack->from) != OSIP_SUCCESS ||
	    osip_to_clone(resp->sip->to, &ack->to) != OSIP_SUCCESS ||
	    osip_cseq_init(&ack->cseq) != OSIP_SUCCESS)
		goto out;
	ack->cseq->number = osip_strdup(inv->cseq->number);
	ack->cseq->method = osip_strdup("ACK");
	if (!ack->cseq->number || !ack->cseq->method)
		goto out;
	if (osip_via_clone(via, &vc) != OSIP_SUCCESS)
		goto out;
	if (osip_list_add(&ack->vias, vc, -1) < 0) {
		osip_via_free(vc);
		goto out;
	}
	for (r = osip_list_get_first(&inv->routes, &it); r; r = osip_list_get_next(&it)) {
		if (osip_route_clone(r, &rc) != OSIP_SUCCESS)
			goto out;
		if (osip_list_add(&ack->routes, rc, -1) < 0) {
			osip_route_free(rc);
			goto out;
		}
	}
	if (osip_message_set_max_forwards(ack, ACK_MAX_FORWARDS) != OSIP_SUCCESS ||
	    osip_message_set_content_length(ack, "0") != OSIP_SUCCESS)
		goto out;
	err = msg_wrap(&m, ack);
	ack = NULL;
	if (err < 0)
		goto out;
	free(t->out);
	t->out = NULL;
	err = msg_to_str(m, &t->out, &t->outlen);
out:
	if (ack)
		osip_message_free(ack);
	msg_free(m);
	return err;
}

/* §17.1.1.2: 300-699 -> Completed; the ACK is ours; Timer D. */
static void ict_completed(struct tsx *t, const struct sip_msg *resp)
{
	int err;

	tmr_stop(&t->retx);
	tmr_stop(&t->end);
	tsx_goto(t, TSX_COMPLETED, resp->status, NULL);
	if ((err = ict_build_ack(t, resp)) < 0)
		log_err("%s: cannot build the ACK for %d: %s", t->handle, resp->status,
			strerror(-err));
	ct_pass(t, resp, 0);
	if (t->state != TSX_COMPLETED)
		return;
	if (t->out && tsx_send(t, t->out, t->outlen) < 0)
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
			tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
			ct_pass(t, resp, 0);
		} else {
			if (t->state == TSX_CALLING) {
				/* §17.1.1.2: 1xx -> Proceeding; Timers A and B stop. */
				tmr_stop(&t->retx);
				tmr_stop(&t->end);
				tsx_goto(t, TSX_PROCEEDING, code, NULL);
				if (!t->cb) /* detached: see tsx_detach() */
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
		if (slot == SLOT_RETX) {
			/* Timer A: resend, double the interval (UDP only). */
			log_debug("%s: Timer A: INVITE resent", t->handle);
			if (tsx_resend(t, t->buf, t->len) < 0)
				break;
			t->retx_ms *= 2;
			tsx_arm(t, &t->retx, t->retx_ms);
			break;
		}
		/* Timer B = 64*T1. */
		log_info("%s: INVITE timed out: no response in %u ms (Timer B)", t->handle,
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
		tsx_terminate(t, "Timer M");
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
		if (slot == SLOT_RETX) {
			/* Timer E: min(2*previous, T2) in Trying, T2 in Proceeding (UDP only). */
			log_debug("%s: Timer E: %s resent", t->handle, t->req->method);
			if (tsx_resend(t, t->buf, t->len) < 0)
				break;
			t->retx_ms =
			    t->state == TSX_TRYING ? umin((unsigned)t->retx_ms * 2, t->t2) : t->t2;
			tsx_arm(t, &t->retx, t->retx_ms);
			break;
		}
		/* Timer F = 64*T1. */
		log_info("%s: %s timed out: no final response in %u ms (Timer F)", t->handle,
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

/* Transport error, client (§17.1.4): a waiting TU learns it as the outcome. */
static void ct_on_error(struct tsx *t, int err)
{
	switch (t->state) {
	case TSX_CALLING:
	case TSX_TRYING:
	case TSX_PROCEEDING:
		log_warn("%s: %s failed: %s", t->handle, t->req->method, strerror(-err));
		ct_fail(t, err, "transport error");
		break;
	case TSX_ACCEPTED:
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

/* ---- server transactions (§17.2) ---- */

/*
 * Stamp resp with our To tag (all but 100) and the Server header, and keep
 * its bytes as the last response.  -EINVAL: resp cannot be serialized.
 */
static int st_store(struct tsx *t, struct sip_msg *resp)
{
	char *buf, *tag;
	size_t len;
	int err;

	if (resp->status > 100 && !resp->to_tag) {
		if (!resp->sip->to)
			return -EINVAL;
		if (!(tag = osip_strdup(t->local_tag)))
			return -ENOMEM;
		if (osip_to_set_tag(resp->sip->to, tag) != OSIP_SUCCESS) {
			osip_free(tag);
			return -ENOMEM;
		}
		if ((err = msg_refresh(resp)) == -ENOMEM)
			return err;
	}
	if (t->l->server && !msg_header(resp, "Server", NULL) &&
	    (err = msg_add_header(resp, "Server", t->l->server)) < 0)
		return err;
	if ((err = msg_to_str(resp, &buf, &len)) < 0)
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
			/* RFC 6026 §8.7: 2xx -> Accepted, Timer L = 64*T1. */
			tsx_goto(t, TSX_ACCEPTED, code, NULL);
			if ((err = tsx_send(t, t->out, t->outlen)) < 0)
				return err;
			tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
			return 0;
		}
		/* 300-699 -> Completed: Timer G = T1 (UDP only), Timer H = 64*T1. */
		t->held = false;
		tsx_goto(t, TSX_COMPLETED, code, NULL);
		if ((err = tsx_send(t, t->out, t->outlen)) < 0)
			return err;
		if (!t->reliable) {
			t->retx_ms = t->t1;
			tsx_arm(t, &t->retx, t->retx_ms);
		}
		tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
		return 0;
	case TSX_ACCEPTED:
		/* RFC 6026 §8.7: the TU retransmits its 2xx through us. */
		if (code < 200 || code >= 300)
			return -EINVAL;
		if ((err = st_store(t, resp)) < 0)
			return err;
		STAT_BUMP(t->l, tx_retransmissions);
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
		STAT_BUMP(l, rx_retransmissions);
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
		STAT_BUMP(l, rx_retransmissions); /* the TU resends its 2xx itself */
		break;
	case TSX_COMPLETED:
		if (!ack) {
			STAT_BUMP(l, rx_retransmissions);
			tsx_resend(t, t->out, t->outlen);
			break;
		}
		/* ACK -> Confirmed: Timer I = T4 on UDP, 0 on TCP. */
		tmr_stop(&t->retx);
		tmr_stop(&t->end);
		tsx_goto(t, TSX_CONFIRMED, 0, "ACK");
		if (t->reliable)
			tsx_terminate(t, "Timer I = 0");
		else
			tsx_arm(t, &t->end, t->t4);
		break;
	case TSX_CONFIRMED:
		STAT_BUMP(l, rx_retransmissions);
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
		STAT_BUMP(t->l, rx_retransmissions);
		break;
	case TSX_PROCEEDING: /* the last 1xx again */
	case TSX_COMPLETED:  /* the final again */
		STAT_BUMP(t->l, rx_retransmissions);
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
		t->held = false;
		tsx_terminate(t, "Timer L");
		break;
	case TSX_COMPLETED:
		if (slot == SLOT_RETX) {
			/* Timer G: the final again, interval min(2*previous, T2). */
			log_debug("%s: Timer G: %d resent", t->handle, t->out_status);
			if (tsx_resend(t, t->out, t->outlen) < 0)
				break;
			t->retx_ms = umin((unsigned)t->retx_ms * 2, t->t2);
			tsx_arm(t, &t->retx, t->retx_ms);
			break;
		}
		/* Timer H = 64*T1. */
		log_info("%s: no ACK for %d in %u ms (Timer H)", t->handle, t->out_status,
			 t->t1 * 64);
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
		err =
		    t->kind == TSX_IST ? ist_on_tu_response(t, resp) : nist_on_tu_response(t, resp);
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
			 t->handle, t->req->method, t->t1 * 64);
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

/* Transport error, server (§17.2.4): terminate and log; the TU learns it when it answers. */
static void st_on_error(struct tsx *t, int err)
{
	if (t->state == TSX_TERMINATED)
		return;
	log_warn("%s: cannot send %d to %s: %s", t->handle, t->out_status, t->req->method,
		 strerror(-err));
	t->err = err;
	tsx_terminate(t, "transport error");
}

/* ---- events, dispatched by kind ---- */

static void tsx_on_error(struct tsx *t, int err)
{
	switch (t->kind) {
	case TSX_ICT:
	case TSX_NICT:
		ct_on_error(t, err);
		break;
	case TSX_IST:
	case TSX_NIST:
		st_on_error(t, err);
		break;
	}
}

static void tsx_on_timer(struct tsx *t, enum tsx_slot slot)
{
	struct tsx_layer *l = t->l;

	layer_enter(l);
	switch (t->kind) {
	case TSX_ICT:
		ict_on_timer(t, slot);
		break;
	case TSX_NICT:
		nict_on_timer(t, slot);
		break;
	case TSX_IST:
		ist_on_timer(t, slot);
		break;
	case TSX_NIST:
		nist_on_timer(t, slot);
		break;
	}
	layer_leave(l);
}

static void on_retx(void *arg)
{
	tsx_on_timer(arg, SLOT_RETX);
}

static void on_end(void *arg)
{
	tsx_on_timer(arg, SLOT_END);
}

/* ---- the layer ---- */

static int layer_cfg(struct tsx_layer *l, const struct tsx_cfg *cfg)
{
	char *server = NULL;

	if (cfg->server && cfg->server[0] && !(server = strdup(cfg->server)))
		return -ENOMEM;
	free(l->server);
	l->server = server;
	l->cfg = *cfg;
	l->cfg.server = NULL;
	/* 0 would spin the retransmission timers: take the RFC defaults. */
	if (!l->cfg.t1_ms)
		l->cfg.t1_ms = 500;
	if (!l->cfg.t2_ms)
		l->cfg.t2_ms = 4000;
	if (!l->cfg.t4_ms)
		l->cfg.t4_ms = 5000;
	return 0;
}

int tsx_layer_new(struct tsx_layer **lp, struct tmr_clock *clk, const struct tsx_cfg *cfg,
		  tsx_send_fn *send, void *send_arg, const struct tsx_user *user, struct stats *st)
{
	struct tsx_layer *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	l->clk = clk;
	l->send = send;
	l->send_arg = send_arg;
	if (user)
		l->user = *user;
	l->st = st;
	if ((err = htab_new(&l->match)) < 0 || (err = htab_new(&l->merge)) < 0 ||
	    (err = layer_cfg(l, cfg)) < 0)
		goto out;
	*lp = l;
	l = NULL;
out:
	tsx_layer_free(l);
	return err;
}

void tsx_layer_free(struct tsx_layer *l)
{
	if (!l)
		return;
	while (l->all)
		tsx_free(l->all);
	htab_free(l->match);
	htab_free(l->merge);
	free(l->server);
	free(l);
}

void tsx_layer_set_cfg(struct tsx_layer *l, const struct tsx_cfg *cfg)
{
	if (layer_cfg(l, cfg) < 0)
		log_err("tsx: out of memory: the new configuration is not applied");
}

unsigned tsx_layer_count(const struct tsx_layer *l)
{
	return l->count;
}

/* §8.2.2.2: a request without To tag whose From tag, Call-ID and CSeq a live one has. */
static int st_merge_link(struct tsx *t)
{
	struct tsx_layer *l = t->l;
	int err;

	if ((err = key_merge(t->req, &t->mkey, &t->mkeylen)) < 0)
		return err;
	t->merged = htab_find(l->merge, t->mkey, t->mkeylen) != NULL;
	if ((err = htab_insert(l->merge, &t->mnode, t->mkey, t->mkeylen)) < 0)
		return err;
	t->in_merge = true;
	return 0;
}

/* A server transaction for req under key (both taken, also on failure). */
static int st_new(struct tsx_layer *l, struct sip_msg *req, char *key, size_t keylen,
		  struct tsx **tp)
{
	bool invite = strcmp(req->method, "INVITE") == 0;
	struct tsx *t = NULL;
	int err;

	if ((err = tsx_alloc(l, invite ? TSX_IST : TSX_NIST, req, &t)) < 0) {
		msg_free(req);
		free(key);
		return err;
	}
	t->state = invite ? TSX_PROCEEDING : TSX_TRYING;
	t->held = true;
	msg_response_dest(req, &t->dest);
	t->reliable = req->src.proto == NET_TCP;
	if (req->to_tag) {
		t->local_tag = strdup(req->to_tag);
	} else if ((t->local_tag = malloc(RND_TAG_LEN))) {
		rnd_token(t->local_tag, RND_TAG_LEN);
	}
	err = -ENOMEM;
	if (!t->local_tag)
		goto out;
	if ((err = tsx_link(t, key, keylen)) < 0)
		goto out;
	if (!req->to_tag && (err = st_merge_link(t)) < 0)
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

/* Past max_tsx: a stateless 503 with Retry-After (DESIGN: refusing is part of the protocol). */
static void layer_refuse(struct tsx_layer *l, const struct sip_msg *req)
{
	struct msg_err e;
	char ra[16];
	int err;

	if (!l->full) {
		log_warn("tsx: %u transactions, the limit: new requests get 503", l->count);
		l->full = true;
	}
	snprintf(ra, sizeof(ra), "%u", l->cfg.retry_after_s);
	msg_err_set(&e, 503, NULL, "Retry-After", ra);
	STAT_BUMP(l, tx_503);
	if ((err = tsx_reply_stateless(l, req, &e)) < 0)
		log_debug("tsx: cannot send 503 to %s: %s", req->method, strerror(-err));
}

static void layer_on_request(struct tsx_layer *l, struct sip_msg *m)
{
	bool ack = strcmp(m->method, "ACK") == 0;
	struct tsx *t;
	char *key = NULL;
	size_t keylen;
	int err;

	if ((err = key_server(m, ack ? "INVITE" : m->method, &key, &keylen)) < 0) {
		log_warn("tsx: %s dropped: no key: %s", m->method, strerror(-err));
		goto out;
	}
	if ((t = match_find(l, key, keylen))) {
		if (t->kind == TSX_IST)
			ist_on_request(t, m);
		else
			nist_on_request(t, m);
		goto out;
	}
	if (ack) { /* the ACK for a 2xx: a transaction of its own (§17.1.1.3) */
		if (l->user.ack)
			l->user.ack(l->user.arg, m);
		goto out;
	}
	if (l->count >= l->cfg.max_tsx) {
		layer_refuse(l, m);
		goto out;
	}
	err = st_new(l, m, key, keylen, &t);
	m = NULL;
	key = NULL;
	if (err < 0) {
		log_err("tsx: request dropped: %s", strerror(-err));
		goto out;
	}
	log_debug("%s: %s %s for %s (Call-ID %s)%s", t->handle, kind_names[t->kind],
		  state_names[t->state], t->req->method, t->req->call_id,
		  t->merged ? ", merged" : "");
	if (l->user.request)
		l->user.request(l->user.arg, t, t->req);
out:
	free(key);
	msg_free(m);
}

static void layer_on_response(struct tsx_layer *l, struct sip_msg *m)
{
	struct tsx *t = NULL;
	char *key = NULL;
	size_t keylen;

	if (m->status < 100 || m->status > 699 || !m->method)
		goto out;
	if (m->branch) {
		if (key_client(m->branch, m->method, &key, &keylen) < 0) {
			log_err("tsx: %d response dropped: out of memory", m->status);
			goto out;
		}
		t = match_find(l, key, keylen);
	}
	if (!t) {
		STAT_BUMP(l, rx_stray_responses);
		if (l->user.stray_response)
			l->user.stray_response(l->user.arg, m);
		goto out;
	}
	if (t->kind == TSX_ICT)
		ict_on_response(t, m);
	else
		nict_on_response(t, m);
out:
	free(key);
	msg_free(m);
}

void tsx_layer_recv(struct tsx_layer *l, struct sip_msg *m)
{
	if (!m)
		return;
	layer_enter(l);
	if (!m->method)
		msg_free(m);
	else if (m->is_request)
		layer_on_request(l, m);
	else
		layer_on_response(l, m);
	layer_leave(l);
}

void tsx_layer_conn_closed(struct tsx_layer *l, uint64_t conn, int err)
{
	struct tsx *t;

	if (!conn)
		return;
	layer_enter(l);
	/* Nothing is freed before layer_leave(), so t->next stays valid. */
	for (t = l->all; t; t = t->next) {
		if ((t->kind != TSX_ICT && t->kind != TSX_NICT) || t->dest.conn != conn)
			continue;
		if (t->state == TSX_CALLING || t->state == TSX_TRYING || t->state == TSX_PROCEEDING)
			tsx_on_error(t, err < 0 ? err : -ECONNRESET);
	}
	layer_leave(l);
}

int tsx_reply_stateless(struct tsx_layer *l, const struct sip_msg *req, const struct msg_err *err)
{
	struct sip_msg *resp = NULL;
	struct sip_dest d;
	char tag[RND_TAG_LEN], *buf = NULL;
	size_t len;
	int rc;

	if (!req || !req->is_request || !req->method || !err || strcmp(req->method, "ACK") == 0)
		return -EINVAL;
	rnd_token(tag, sizeof(tag));
	if ((rc = msg_build_response(&resp, req, err->code, err->reason[0] ? err->reason : NULL,
				     tag)) < 0)
		return rc;
	if (err->hdr_name[0] && (rc = msg_add_header(resp, err->hdr_name, err->hdr_value)) < 0)
		goto out;
	if (l->server && !msg_header(resp, "Server", NULL) &&
	    (rc = msg_add_header(resp, "Server", l->server)) < 0)
		goto out;
	if ((rc = msg_to_str(resp, &buf, &len)) < 0)
		goto out;
	msg_response_dest(req, &d);
	rc = l->send(l->send_arg, &d, buf, len);
	rc = rc < 0 ? rc : 0;
out:
	free(buf);
	msg_free(resp);
	return rc;
}

int tsx_request(struct tsx_layer *l, struct sip_msg *req, const struct sip_dest *d, tsx_resp_fn *cb,
		void *arg, struct tsx **ctp)
{
	struct tsx *t = NULL;
	char *key = NULL;
	size_t keylen;
	bool invite;
	int err = -EINVAL;

	layer_enter(l);
	if (!req || !d || !req->is_request || !req->method || !req->branch ||
	    strcmp(req->method, "ACK") == 0)
		goto out;
	err = -EAGAIN;
	if (l->count >= l->cfg.max_tsx)
		goto out;
	if ((err = key_client(req->branch, req->method, &key, &keylen)) < 0)
		goto out;
	err = -EEXIST;
	if (match_find(l, key, keylen))
		goto out;
	invite = strcmp(req->method, "INVITE") == 0;
	if ((err = tsx_alloc(l, invite ? TSX_ICT : TSX_NICT, req, &t)) < 0)
		goto out;
	req = NULL;
	t->state = invite ? TSX_CALLING : TSX_TRYING;
	t->dest = *d;
	t->reliable = d->proto == NET_TCP;
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
	log_debug("%s: %s %s for %s (Call-ID %s)", t->handle, kind_names[t->kind],
		  state_names[t->state], t->req->method, t->req->call_id);
	if (ctp)
		*ctp = t;
out:
	if (err < 0) {
		free(key);
		msg_free(req);
		if (t)
			tsx_free(t);
	}
	layer_leave(l);
	return err;
}

/* The TU's tsx_respond*() failed for good: st ends and the TU forgets it. */
static void st_over(struct tsx *t, int err)
{
	if (t->state != TSX_TERMINATED) {
		log_warn("%s: cannot answer %s: %s", t->handle, t->req->method, strerror(-err));
		t->err = err;
		tsx_terminate(t, "local error");
	}
	t->held = false;
	tsx_release(t);
}

int tsx_respond(struct tsx *t, struct sip_msg *resp)
{
	struct tsx_layer *l;
	int err = -EINVAL;

	if (!t) {
		msg_free(resp);
		return -EINVAL;
	}
	l = t->l;
	layer_enter(l);
	if (!resp || resp->is_request || resp->status < 100 || resp->status > 699)
		goto out;
	switch (t->kind) {
	case TSX_IST:
		err = ist_on_tu_response(t, resp);
		break;
	case TSX_NIST:
		err = nist_on_tu_response(t, resp);
		break;
	case TSX_ICT:
	case TSX_NICT:
		break;
	}
	if (err < 0 && err != -EINVAL)
		st_over(t, err);
out:
	msg_free(resp);
	layer_leave(l);
	return err;
}

int tsx_respond_code(struct tsx *t, int code, const char *reason, const struct msg_err *extra)
{
	struct sip_msg *resp = NULL;
	int err;

	if (!t || (t->kind != TSX_IST && t->kind != TSX_NIST) || code < 100 || code > 699)
		return -EINVAL;
	if ((err = msg_build_response(&resp, t->req, code, reason, t->local_tag)) < 0 ||
	    (extra && extra->hdr_name[0] &&
	     (err = msg_add_header(resp, extra->hdr_name, extra->hdr_value)) < 0)) {
		msg_free(resp);
		layer_enter(t->l);
		st_over(t, err);
		layer_leave(t->l);
		return err;
	}
	return tsx_respond(t, resp);
}

void tsx_detach(struct tsx *t)
{
	struct tsx_layer *l;

	if (!t)
		return;
	l = t->l;
	layer_enter(l);
	switch (t->kind) {
	case TSX_ICT:
	case TSX_NICT:
		t->cb = NULL;
		/*
		 * An ICT in Proceeding has no timer: its TU would CANCEL it.
		 * Without a TU, give the final response 64*T1 (as §9.1 does).
		 */
		if (t->kind == TSX_ICT && t->state == TSX_PROCEEDING)
			tsx_arm(t, &t->end, (uint64_t)t->t1 * 64);
		break;
	case TSX_IST:
	case TSX_NIST:
		/* Gone without a final response: nobody else would send one. */
		if (t->state == TSX_TRYING || t->state == TSX_PROCEEDING) {
			log_warn("%s: %s left unanswered by its TU: answering 500", t->handle,
				 t->req->method);
			st_answer_500(t);
		}
		t->held = false;
		tsx_release(t);
		break;
	}
	layer_leave(l);
}

const struct sip_msg *tsx_req(const struct tsx *t)
{
	return t->req;
}

enum tsx_kind tsx_kind(const struct tsx *t)
{
	return t->kind;
}

enum tsx_state tsx_state(const struct tsx *t)
{
	return t->state;
}

const char *tsx_state_name(enum tsx_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

const char *tsx_handle(const struct tsx *t)
{
	return t->handle;
}

const char *tsx_local_tag(const struct tsx *t)
{
	return t->local_tag;
}

bool tsx_merged(const struct tsx *st)
{
	return st->merged;
}

struct tsx *tsx_cancel_target(const struct tsx *st)
{
	struct tsx *t;
	char *key;
	size_t keylen;

	if (st->kind != TSX_NIST || strcmp(st->req->method, "CANCEL") != 0 ||
	    key_server(st->req, "INVITE", &key, &keylen) < 0)
		return NULL;
	t = match_find(st->l, key, keylen);
	free(key);
	return t && t->kind == TSX_IST ? t : NULL;
}
