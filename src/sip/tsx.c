/*
 * tsx: the SIP transaction layer, RFC 3261 §17 as updated by RFC 6026.
 *
 * This file owns the layer: its configuration, the two hash tables and the
 * keys in them, the life and death of every transaction, the matching of
 * responses, the one dispatch of every event (message, timer, transport
 * error, TU leaving) through the transaction's ops table, the stateless
 * replies, and the accessors of tsx.h.  The machines themselves live in
 * tsx_client.c (ICT, NICT: §17.1) and tsx_server.c (IST, NIST: §17.2),
 * each with its ops tables and its constructor; they call down into this
 * file, never the other way.  tsx_int.h is what the three share.  The TU (the UA core) creates
 * client transactions, answers server transactions and hears back through
 * the callbacks of tsx.h; it never frees a transaction.  Bytes leave
 * through the owner's send callback.
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
 * No state hangs: each machine's file says which timer ends each state.
 * Terminated: freed as below.
 *
 * Lifetimes.  The layer counts how deep it is in its own entry points
 * (receive, timers, TU calls); a transaction that terminates is unlinked
 * from the tables at once but freed only when that depth returns to zero,
 * so no transaction is freed while a callback about it runs.  Beyond that:
 *  - a client transaction stays valid until the callback with its final
 *    outcome returns (after a 2xx: until Timer M's callback), or until
 *    tsx_detach();
 *  - a server transaction stays valid until the TU has sent a final
 *    response and the layer call or callback it did so in has returned,
 *    until tsx_respond*() fails with anything but -EINVAL, or until
 *    tsx_detach().  One that fails on its own (a resent provisional that
 *    cannot be sent) waits, out of the tables, for the TU to learn it
 *    through tsx_respond*().
 *
 * Waiting.  Most transactions spend most of their life waiting out 64*T1
 * after their final response (Timers D, H, J, K, L, M).  When one no TU
 * holds any more reaches such a state, tsx_layer_leave() replaces it by its
 * compact form (tsx_wait.c): the key, the bytes it may send again, where
 * they go, one timer.  It sits under the same key in the same table, does
 * on a match what the full machine does in its state, logs the same lines
 * and counts as a transaction as before.  The memory goes back after a
 * burst: once the count falls below an eighth of its peak, a timer frees
 * the pool's spare objects and hands glibc's free pages back (malloc_trim).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif

#include "core/log.h"
#include "core/rnd.h"
#include "sip/tsx_int.h"

/* At the limit the table can go full and free again on every request: rate-limited (log.h). */
static struct log_rl rl_tsx_below =
    LOG_RL_INIT("tsx_below_limit", "transaction-limit ends", LOG_RL_PEER);

#define MAGIC_COOKIE "z9hG4bK" /* §8.1.1.7 */

/*
 * Memory back after a burst: checked TRIM_MS after the count falls below
 * 1/TRIM_RATIO of its peak, if that peak was at least TRIM_MIN; the pool
 * keeps TRIM_KEEP objects per size class.
 */
#define TRIM_MS 5000
#define TRIM_RATIO 8
#define TRIM_MIN 4096
#define TRIM_KEEP 64

static const char *const kind_names[] = {"ICT", "NICT", "IST", "NIST"};

static const char *const state_names[] = {
    "Calling", "Trying", "Proceeding", "Accepted", "Completed", "Confirmed", "Terminated",
};

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
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
int tsx_key_client(const char *branch, const char *method, char **kp, size_t *lenp)
{
	return key_fmt(kp, lenp, "c\n%s\n%s", branch, method);
}

/*
 * §17.2.3: branch + sent-by + method with the magic cookie; without it
 * (RFC 2543) Request-URI + From tag + Call-ID + CSeq number + sent-by +
 * method.  method is the caller's: INVITE for an ACK.
 */
int tsx_key_server(const struct sip_msg *m, const char *method, char **kp, size_t *lenp)
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
	if ((err = msg_ruri(m, &uri)) < 0)
		goto out;
	err = key_fmt(kp, lenp, "o\n%s\n%s\n%s\n%u\n%s:%u\n%s", uri, str_or_empty(m->from_tag),
		      str_or_empty(m->call_id), m->cseq, host, m->via_port, method);
out:
	free(uri);
	free(host);
	return err;
}

/* §8.2.2.2: From tag + Call-ID + CSeq (number and method). */
static int key_merge(const struct sip_msg *m, char **kp, size_t *lenp)
{
	return key_fmt(kp, lenp, "m\n%s\n%s\n%u\n%s", str_or_empty(m->from_tag),
		       str_or_empty(m->call_id), m->cseq, str_or_empty(m->method));
}

/* ---- the tables ---- */

struct tsx_hdr *tsx_match_find(const struct tsx_layer *l, const char *key, size_t keylen)
{
	struct htab_node *n = htab_find(l->match, key, keylen);

	return n ? container_of(n, struct tsx_hdr, node) : NULL;
}

void tsx_count_inc(struct tsx_layer *l)
{
	if (++l->count > l->peak)
		l->peak = l->count;
}

/*
 * After a burst, the count falls back: once it is below an eighth of its
 * peak, check again a few seconds later (a timer, so a busy layer pays
 * nothing per transaction) and then hand the memory back.
 */
void tsx_count_dec(struct tsx_layer *l)
{
	l->count--;
	if (l->full && l->count < l->cfg.max_tsx) {
		l->full = false;
		log_rl_info(&rl_tsx_below, "tsx: %u transactions, below the limit again",
			    l->count);
	}
	if (tmr_armed(&l->trim))
		return;
	if ((l->peak >= TRIM_MIN && l->count < l->peak / TRIM_RATIO) ||
	    (l->trim_tail && l->count == 0))
		tmr_start(&l->trim, TRIM_MS); /* best effort: without it, no trim */
}

/*
 * The burst's calls and the last of its transactions end after the first
 * trim: trim_tail has one more done once none is left.
 */
static void on_trim(void *arg)
{
	struct tsx_layer *l = arg;

	if (l->count >= l->peak / TRIM_RATIO && !(l->trim_tail && l->count == 0))
		return; /* busy again */
	log_debug("tsx: %u transactions, down from %u: memory handed back", l->count, l->peak);
	tsx_pool_trim(l, TRIM_KEEP);
	msg_lib_trim();
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0); /* glibc keeps freed pages unless asked */
#endif
	l->peak = l->count;
	l->trim_tail = l->count > 0;
}

int tsx_link(struct tsx *t, char *key, size_t keylen)
{
	int err;

	if ((err = htab_insert(t->l->match, &t->h.node, key, keylen)) < 0)
		return err;
	t->key = key; /* t owns it from here */
	t->keylen = keylen;
	t->in_match = true;
	tsx_count_inc(t->l);
	return 0;
}

/* §8.2.2.2: a request without To tag whose From tag, Call-ID and CSeq a live one has. */
int tsx_merge_link(struct tsx *t)
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

/* Out of both tables: no message matches t any more. */
static void tsx_unlink(struct tsx *t)
{
	struct tsx_layer *l = t->l;

	if (t->in_match) {
		htab_remove(l->match, &t->h.node);
		t->in_match = false;
		tsx_count_dec(l);
	}
	if (t->in_merge) {
		htab_remove(l->merge, &t->mnode);
		t->in_merge = false;
	}
}

/* ---- lifetime ---- */

static void on_retx(void *arg);
static void on_end(void *arg);

int tsx_alloc(struct tsx_layer *l, const struct tsx_ops *ops, struct sip_msg *req, struct tsx **tp)
{
	struct tsx *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->h.wait = false;
	t->l = l;
	t->ops = ops;
	t->kind = ops->kind;
	t->req = req;
	snprintf(t->method, sizeof(t->method), "%s", req->method ? req->method : "?");
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

void tsx_free(struct tsx *t)
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
	free(t->why);
	free(t->key);
	free(t->mkey);
	free(t->buf);
	free(t->out);
	free(t->local_tag);
	free(t);
}

void tsx_layer_enter(struct tsx_layer *l)
{
	l->depth++;
}

void tsx_settle(struct tsx *t)
{
	if (t->settle_queued)
		return;
	t->settle_queued = true;
	t->settle_next = t->l->settle;
	t->l->settle = t;
}

/*
 * Leaving the outermost entry point makes the transactions that settled
 * into a waiting state compact (they wait 64*T1 in Completed or Accepted),
 * or, for a server one the TU still holds, lets go of its parsed request
 * (most of its memory); then frees what terminated meanwhile.
 */
void tsx_layer_leave(struct tsx_layer *l)
{
	if (--l->depth > 0)
		return;
	while (l->settle) {
		struct tsx *t = l->settle;

		l->settle = t->settle_next;
		t->settle_queued = false;
		if (t->state == TSX_TERMINATED || tsx_wait_from(t) == 0)
			continue; /* freed below, or already */
		if (t->kind == TSX_IST || t->kind == TSX_NIST) {
			msg_free(t->req);
			t->req = NULL;
		}
	}
	while (l->dead) {
		struct tsx *t = l->dead;

		l->dead = t->dead_next;
		tsx_free(t);
	}
}

void tsx_release(struct tsx *t)
{
	if (t->state != TSX_TERMINATED || t->held || t->queued)
		return;
	t->queued = true;
	t->dead_next = t->l->dead;
	t->l->dead = t;
}

/* ---- state changes and sending ---- */

const char *tsx_kind_name(enum tsx_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

void tsx_goto(struct tsx *t, enum tsx_state s, int code, const char *why)
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
void tsx_terminate(struct tsx *t, const char *why)
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

void tsx_arm(struct tsx *t, struct tmr *tm, uint64_t ms)
{
	int err = tmr_start(tm, ms);

	if (err < 0)
		tsx_on_error(t, err);
}

int tsx_xmit(struct tsx *t, const char *buf, size_t len)
{
	int err = t->l->send(t->l->send_arg, &t->dest, buf, len);

	return err < 0 ? err : 0;
}

int tsx_send(struct tsx *t, const char *buf, size_t len)
{
	int err = tsx_xmit(t, buf, len);

	if (err < 0)
		tsx_on_error(t, err);
	return err;
}

int tsx_resend(struct tsx *t, const char *buf, size_t len)
{
	TSX_STAT_BUMP(t->l, tx_retransmissions);
	return tsx_send(t, buf, len);
}

/* ---- events, dispatched once through the machine's ops ---- */

void tsx_on_error(struct tsx *t, int err)
{
	t->ops->on_error(t, err);
}

static void tsx_on_timer(struct tsx *t, enum tsx_slot slot)
{
	struct tsx_layer *l = t->l;

	tsx_layer_enter(l);
	t->ops->on_timer(t, slot);
	tsx_layer_leave(l);
}

static void on_retx(void *arg)
{
	tsx_on_timer(arg, TSX_SLOT_RETX);
}

static void on_end(void *arg)
{
	tsx_on_timer(arg, TSX_SLOT_END);
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
	l->cfg.server = server;
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
	tmr_init(&l->trim, clk, on_trim, l);
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
	l->settle = NULL; /* its entries are in all */
	while (l->all)
		tsx_free(l->all);
	if (l->match)
		tsx_wait_free_all(l);
	tsx_pool_trim(l, 0);
	tmr_close(&l->trim);
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

const struct tsx_cfg *tsx_layer_cfg(const struct tsx_layer *l)
{
	return &l->cfg;
}

unsigned tsx_layer_count(const struct tsx_layer *l)
{
	return l->count;
}

unsigned tsx_layer_waiting(const struct tsx_layer *l)
{
	return l->waiting;
}

/* ---- receiving ---- */

void tsx_recv_response(struct tsx_layer *l, struct sip_msg *m)
{
	struct tsx_hdr *h = NULL;
	struct tsx *t;
	char *key = NULL;
	size_t keylen;

	if (m->status < 100 || m->status > 699 || !m->method)
		goto out;
	if (m->branch) {
		if (tsx_key_client(m->branch, m->method, &key, &keylen) < 0) {
			log_err("tsx: %d response dropped: out of memory", m->status);
			goto out;
		}
		h = tsx_match_find(l, key, keylen);
	}
	if (!h) {
		TSX_STAT_BUMP(l, rx_stray_responses);
		if (l->user.stray_response)
			l->user.stray_response(l->user.arg, m);
		goto out;
	}
	if (h->wait) {
		tsx_wait_on_response(h, m);
		goto out;
	}
	t = tsx_of(h);
	if (t->ops->on_response)
		t->ops->on_response(t, m);
out:
	free(key);
	msg_free(m);
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
	if ((rc = msg_take_str(resp, &buf, &len)) < 0)
		goto out;
	msg_response_dest(req, &d);
	rc = l->send(l->send_arg, &d, buf, len);
	rc = rc < 0 ? rc : 0;
out:
	free(buf);
	msg_free(resp);
	return rc;
}

/* ---- the TU's handle on a transaction ---- */

void tsx_detach(struct tsx *t)
{
	struct tsx_layer *l;

	if (!t)
		return;
	l = t->l;
	tsx_layer_enter(l);
	t->ops->detach(t);
	tsx_layer_leave(l);
}

void tsx_set_owner(struct tsx *t, void *owner)
{
	t->owner = owner;
}

void *tsx_owner(const struct tsx *t)
{
	return t->owner;
}

int tsx_send_raw(struct tsx_layer *l, struct sip_dest *d, const char *buf, size_t len)
{
	return l->send(l->send_arg, d, buf, len);
}

const char *tsx_last_response(const struct tsx *t, size_t *lenp)
{
	*lenp = t->out ? t->outlen : 0;
	return t->out;
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

const char *tsx_why(const struct tsx *t)
{
	return t->why;
}

const char *tsx_local_tag(const struct tsx *t)
{
	return t->local_tag;
}
