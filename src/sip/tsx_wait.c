/*
 * tsx_wait: transactions that only wait out their last timer, in compact
 * form (RFC 3261 §17 with RFC 6026).
 *
 * After its final response a transaction waits 64*T1 (32 s) or T4 for
 * retransmissions: IST Accepted (Timer L), Completed (G, H), Confirmed (I);
 * NIST Completed (J); ICT Accepted (M), Completed (D); NICT Completed (K).
 * At 15,000 calls/s that is a million of them.  A struct tsx is ~1 KiB and
 * carries what the running machine needs (the request, a struct sip_dest
 * with a 256-byte host name, two timers, the TU's callback); once no TU
 * holds it, tsx.c hands it here and this file replaces it by a struct
 * tsx_wait of one allocation: the match key, the bytes it may have to send
 * again, where they go, one timer, and the hash nodes.
 *
 *   state            keeps                      on a match              timer
 *   IST Accepted     key, merge key, To tag     ACK to the TU, INVITE    L
 *                                               absorbed
 *   IST Completed    + the final, its dest      INVITE: final again;     G, H
 *                                               ACK -> Confirmed
 *   IST Confirmed    (as Completed)             absorbed                 I
 *   NIST Completed   key, merge key, final,     the final again          J
 *                    dest
 *   ICT Accepted     key (detached ICT only)    absorbed (no TU)         M
 *   ICT Completed    key, the ACK, its dest     3xx-6xx: the ACK again   D
 *   NICT Completed   key                        absorbed                 K
 *
 * Each does what the full machine (tsx_client.c, tsx_server.c) does in its
 * state, with the same log lines and counters; an IST keeps its To tag
 * so that a CANCEL crossing the final response is answered as before, and
 * a server transaction its §8.2.2.2 merge key.  Timers G and H share the
 * one timer: it fires at the sooner of the two.  The objects come from a
 * pool of 16-byte size classes (tsx_pool_trim() gives spare ones back).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sip/tsx_int.h"

/* Where the bytes go: what the transport needs of a struct sip_dest. */
union wait_sa {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

struct wait_dest {
	uint64_t conn;
	union wait_sa addr, local;
	uint8_t alen, llen;
};

struct tsx_wait {
	struct tsx_hdr h; /* match table: the key is in data */
	uint8_t kind;	  /* enum tsx_kind */
	uint8_t state;	  /* enum tsx_state */
	uint8_t cls;	  /* pool size class; 0: plain malloc */
	uint8_t proto;	  /* enum net_proto */
	uint8_t taglen;
	uint8_t hostlen; /* TLS: the name of the peer's certificate */
	bool reliable;
	bool in_merge;
	bool has_dest;
	uint16_t out_status;
	uint32_t outlen;
	uint32_t t1, t2, t4;
	uint32_t retx_ms; /* IST Completed, UDP: Timer G's interval; 0: none */
	uint64_t end_at;  /* IST Completed: when Timer H fires (tmr_now ms) */
	unsigned long id; /* the handle: "t<id>" */
	struct tsx_layer *l;
	struct tmr tmr;
	/* [struct htab_node mnode][struct wait_dest] key mkey tag host out */
	alignas(8) unsigned char data[];
};

#define HANDLE_LEN 24

/* ---- layout ---- */

static struct htab_node *w_mnode(struct tsx_wait *w)
{
	return w->in_merge ? (struct htab_node *)(void *)w->data : NULL;
}

static struct wait_dest *w_dest(struct tsx_wait *w)
{
	size_t off = w->in_merge ? sizeof(struct htab_node) : 0;

	return w->has_dest ? (struct wait_dest *)(void *)(w->data + off) : NULL;
}

/* The first byte after the fixed parts: the key. */
static char *w_bytes(const struct tsx_wait *w)
{
	size_t off = (w->in_merge ? sizeof(struct htab_node) : 0) +
		     (w->has_dest ? sizeof(struct wait_dest) : 0);

	return (char *)w->data + off;
}

static size_t w_mkeylen(const struct tsx_wait *w)
{
	return w->in_merge ? ((const struct htab_node *)(const void *)w->data)->keylen : 0;
}

static char *w_tag(const struct tsx_wait *w)
{
	return w_bytes(w) + w->h.node.keylen + w_mkeylen(w);
}

static char *w_host(const struct tsx_wait *w)
{
	return w_tag(w) + w->taglen;
}

static char *w_out(const struct tsx_wait *w)
{
	return w_host(w) + w->hostlen;
}

static struct tsx_wait *w_of(struct tsx_hdr *h)
{
	return container_of(h, struct tsx_wait, h);
}

/* The request's method: the last line of the key (tsx_key_client/server). */
static const char *w_method(const struct tsx_wait *w, char *buf, size_t size)
{
	const char *k = w->h.node.key, *p = k + w->h.node.keylen;
	size_t n;

	while (p > k && p[-1] != '\n')
		p--;
	n = (size_t)(k + w->h.node.keylen - p);
	if (n >= size)
		n = size - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static const char *w_handle(const struct tsx_wait *w, char *buf)
{
	snprintf(buf, HANDLE_LEN, "t%lu", w->id);
	return buf;
}

/* ---- the pool ---- */

/*
 * Class c holds c * 16 - 8 bytes: with glibc's 8-byte chunk header, a
 * chunk of exactly c * 16.
 */
#define POOL_HDR 8

static struct tsx_wait *pool_get(struct tsx_layer *l, size_t size)
{
	unsigned cls = (unsigned)((size + POOL_HDR + TSX_POOL_STEP - 1) / TSX_POOL_STEP);
	struct tsx_wait *w;

	if (cls >= TSX_POOL_CLASSES) {
		if ((w = malloc(size)))
			w->cls = 0;
		return w;
	}
	if ((w = l->pool.free[cls])) {
		l->pool.free[cls] = *(void **)(void *)w;
		l->pool.n[cls]--;
	} else if (!(w = malloc((size_t)cls * TSX_POOL_STEP - POOL_HDR))) {
		return NULL;
	}
	w->cls = (uint8_t)cls;
	return w;
}

static void pool_put(struct tsx_layer *l, struct tsx_wait *w)
{
	unsigned cls = w->cls;

	if (!cls) {
		free(w);
		return;
	}
	*(void **)(void *)w = l->pool.free[cls];
	l->pool.free[cls] = w;
	l->pool.n[cls]++;
}

void tsx_pool_trim(struct tsx_layer *l, unsigned keep)
{
	for (unsigned c = 1; c < TSX_POOL_CLASSES; c++) {
		while (l->pool.n[c] > keep) {
			void *p = l->pool.free[c];

			l->pool.free[c] = *(void **)p;
			l->pool.n[c]--;
			free(p);
		}
	}
}

/* ---- lifetime ---- */

static void w_on_timer(void *arg);

/* Out of the tables and freed; nothing else points at w. */
static void w_free(struct tsx_wait *w)
{
	struct tsx_layer *l = w->l;
	struct htab_node *mn = w_mnode(w);

	tmr_close(&w->tmr);
	htab_remove(l->match, &w->h.node);
	if (mn)
		htab_remove(l->merge, mn);
	l->waiting--;
	tsx_count_dec(l);
	pool_put(l, w);
}

static void w_free_node(struct htab_node *n, void *arg)
{
	struct tsx_hdr *h = container_of(n, struct tsx_hdr, node);

	if (h->wait)
		w_free(w_of(h));
}

void tsx_wait_free_all(struct tsx_layer *l)
{
	htab_foreach(l->match, w_free_node, NULL);
}

/* As tsx_goto(): the same debug line. */
static void w_goto(struct tsx_wait *w, enum tsx_state s, const char *why)
{
	char hb[HANDLE_LEN];

	log_debug("%s: %s %s -> %s (%s)", w_handle(w, hb), tsx_kind_name(w->kind),
		  tsx_state_name(w->state), tsx_state_name(s), why);
	w->state = (uint8_t)s;
}

/* As tsx_terminate(): Terminated, and gone (no TU holds a compact one). */
static void w_terminate(struct tsx_wait *w, const char *why)
{
	w_goto(w, TSX_TERMINATED, why);
	w_free(w);
}

/* ---- sending ---- */

static void w_on_error(struct tsx_wait *w, int err)
{
	char hb[HANDLE_LEN], mb[16];

	if (w->kind == TSX_ICT)
		log_warn("%s: cannot send the ACK: %s", w_handle(w, hb), strerror(-err));
	else
		log_rl_warn(&tsx_rl_send_failed, "%s: cannot send %d to %s: %s", w_handle(w, hb),
			    w->out_status, w_method(w, mb, sizeof(mb)), strerror(-err));
	w_terminate(w, "transport error");
}

/* The stored bytes again (a retransmission); a failure ends w.  0 or -errno. */
static int w_resend(struct tsx_wait *w)
{
	struct wait_dest *wd = w_dest(w);
	struct sip_dest d;
	int err;

	if (!wd)
		return 0;
	memset(&d, 0, sizeof(d));
	d.proto = (enum net_proto)w->proto;
	memcpy(&d.addr.ss, &wd->addr, wd->alen);
	d.addr.len = wd->alen;
	memcpy(&d.local.ss, &wd->local, wd->llen);
	d.local.len = wd->llen;
	d.conn = wd->conn;
	memcpy(d.host, w_host(w), w->hostlen);
	TSX_STAT_BUMP(w->l, tx_retransmissions);
	err = w->l->send(w->l->send_arg, &d, w_out(w), w->outlen);
	if (err < 0) {
		w_on_error(w, err);
		return err;
	}
	wd->conn = d.conn; /* a TCP send may have (re)connected */
	return 0;
}

static void w_arm(struct tsx_wait *w, uint64_t ms)
{
	int err = tmr_start(&w->tmr, ms);

	if (err < 0)
		w_on_error(w, err);
}

/* ---- events ---- */

/* Timer G resends until Timer H: the one timer fires at the sooner. */
static void w_arm_gh(struct tsx_wait *w)
{
	uint64_t now = tmr_now(w->l->clk), left = w->end_at > now ? w->end_at - now : 0;

	w_arm(w, w->retx_ms && w->retx_ms < left ? w->retx_ms : left);
}

static void w_ist_timer(struct tsx_wait *w)
{
	char hb[HANDLE_LEN];

	switch (w->state) {
	case TSX_ACCEPTED:
		w_terminate(w, "Timer L");
		break;
	case TSX_COMPLETED:
		if (tmr_now(w->l->clk) < w->end_at) {
			/* Timer G: the final again, interval min(2*previous, T2). */
			log_debug("%s: Timer G: %d resent", w_handle(w, hb), w->out_status);
			if (w_resend(w) < 0)
				break;
			w->retx_ms = tsx_umin(w->retx_ms * 2, w->t2);
			w_arm_gh(w);
			break;
		}
		log_rl_info(&tsx_rl_timer_h, "%s: no ACK for %d in %u ms (Timer H)", w_handle(w, hb),
			    w->out_status, w->t1 * 64);
		w_terminate(w, "Timer H");
		break;
	case TSX_CONFIRMED:
		w_terminate(w, "Timer I");
		break;
	default:
		break;
	}
}

static void w_on_timer(void *arg)
{
	struct tsx_wait *w = arg;
	struct tsx_layer *l = w->l;

	tsx_layer_enter(l);
	switch (w->kind) {
	case TSX_IST:
		w_ist_timer(w);
		break;
	case TSX_NIST:
		w_terminate(w, "Timer J");
		break;
	case TSX_ICT:
		w_terminate(w, w->state == TSX_ACCEPTED ? "Timer M" : "Timer D");
		break;
	case TSX_NICT:
		w_terminate(w, "Timer K");
		break;
	}
	tsx_layer_leave(l);
}

/* As ist_on_request() and nist_on_request() in the waiting states. */
void tsx_wait_on_request(struct tsx_hdr *h, const struct sip_msg *req)
{
	struct tsx_wait *w = w_of(h);
	struct tsx_layer *l = w->l;
	bool ack = strcmp(req->method, "ACK") == 0;

	if (w->kind == TSX_NIST) {
		TSX_STAT_BUMP(l, rx_retransmissions);
		w_resend(w);
		return;
	}
	if (w->kind != TSX_IST)
		return;
	switch (w->state) {
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
			w_resend(w);
			break;
		}
		/* ACK -> Confirmed: Timer I = T4 on UDP, 0 on TCP. */
		tmr_stop(&w->tmr);
		w_goto(w, TSX_CONFIRMED, "ACK");
		if (w->reliable)
			w_terminate(w, "Timer I = 0");
		else
			w_arm(w, w->t4);
		break;
	case TSX_CONFIRMED:
		TSX_STAT_BUMP(l, rx_retransmissions);
		break;
	default:
		break;
	}
}

/* As ict_on_response() and nict_on_response() in the waiting states, no TU. */
void tsx_wait_on_response(struct tsx_hdr *h, const struct sip_msg *resp)
{
	struct tsx_wait *w = w_of(h);

	/* §17.1.1.2: a retransmitted final gets the same ACK; the rest is absorbed. */
	if (w->kind == TSX_ICT && w->state == TSX_COMPLETED && resp->status >= 300)
		w_resend(w);
}

enum tsx_kind tsx_wait_kind(const struct tsx_hdr *h)
{
	return (enum tsx_kind)container_of(h, struct tsx_wait, h)->kind;
}

const char *tsx_wait_local_tag(const struct tsx_hdr *h)
{
	const struct tsx_wait *w = container_of(h, struct tsx_wait, h);

	return w->taglen ? w_tag(w) : NULL;
}

/* ---- from a full transaction ---- */

/* Waits out its last timer, and no TU holds it (the lifetimes in tsx.c). */
static bool w_eligible(const struct tsx *t)
{
	if (!tmr_armed(&t->end) || t->queued)
		return false;
	switch (t->kind) {
	case TSX_ICT:
		return t->state == TSX_COMPLETED || (t->state == TSX_ACCEPTED && !t->cb);
	case TSX_NICT:
		return t->state == TSX_COMPLETED;
	case TSX_IST:
		return !t->held && (t->state == TSX_ACCEPTED || t->state == TSX_COMPLETED ||
				    t->state == TSX_CONFIRMED);
	case TSX_NIST:
		return !t->held && t->state == TSX_COMPLETED;
	}
	return false;
}

/* Resends on a match or a timer: Completed, but IST Confirmed never does. */
static bool w_sends(const struct tsx *t)
{
	return t->out && t->state == TSX_COMPLETED && t->kind != TSX_NICT;
}

static void w_dest_from(struct wait_dest *wd, const struct sip_dest *d)
{
	memset(wd, 0, sizeof(*wd));
	wd->conn = d->conn;
	if (d->addr.len <= sizeof(wd->addr)) {
		memcpy(&wd->addr, &d->addr.ss, d->addr.len);
		wd->alen = (uint8_t)d->addr.len;
	}
	if (d->local.len <= sizeof(wd->local)) {
		memcpy(&wd->local, &d->local.ss, d->local.len);
		wd->llen = (uint8_t)d->local.len;
	}
}

/* The fixed fields, and the timer with what was left of t's. */
static int w_init(struct tsx_wait *w, struct tsx *t)
{
	uint64_t end = tmr_remaining(&t->end);

	w->h.wait = true;
	w->kind = (uint8_t)t->kind;
	w->state = (uint8_t)t->state;
	w->proto = (uint8_t)t->dest.proto;
	w->reliable = t->reliable;
	w->out_status = (uint16_t)(t->out_status > 0 ? t->out_status : 0);
	w->t1 = t->t1;
	w->t2 = t->t2;
	w->t4 = t->t4;
	w->retx_ms = 0;
	w->end_at = tmr_now(t->l->clk) + end;
	w->id = strtoul(t->handle + 1, NULL, 10);
	w->l = t->l;
	tmr_init(&w->tmr, t->l->clk, w_on_timer, w);
	if (t->kind == TSX_IST && t->state == TSX_COMPLETED && tmr_armed(&t->retx)) {
		uint64_t g = tmr_remaining(&t->retx);

		w->retx_ms = (uint32_t)t->retx_ms;
		return tmr_start(&w->tmr, g < end ? g : end);
	}
	return tmr_start(&w->tmr, end);
}

/* t's node and merge node out, w's in: the count does not change. */
static void w_swap(struct tsx_wait *w, struct tsx *t)
{
	struct tsx_layer *l = t->l;
	struct htab_node *mn = w_mnode(w);
	char *k = w_bytes(w);

	htab_remove(l->match, &t->h.node);
	t->in_match = false;
	htab_insert(l->match, &w->h.node, k, t->keylen); /* never fails: see htab.h */
	if (t->in_merge) {
		htab_remove(l->merge, &t->mnode);
		t->in_merge = false;
		htab_insert(l->merge, mn, k + t->keylen, t->mkeylen);
	}
	l->waiting++;
}

int tsx_wait_from(struct tsx *t)
{
	struct tsx_layer *l = t->l;
	bool sends = w_sends(t), merge = t->in_merge;
	size_t taglen = t->kind == TSX_IST && t->local_tag ? strlen(t->local_tag) + 1 : 0;
	size_t hostlen = sends && t->dest.host[0] ? strlen(t->dest.host) + 1 : 0;
	size_t outlen = sends ? t->outlen : 0, size;
	struct tsx_wait *w;
	char *p;

	if (!w_eligible(t) || !t->in_match || taglen > UINT8_MAX || hostlen > UINT8_MAX ||
	    outlen > UINT32_MAX)
		return -EAGAIN;
	size = sizeof(*w) + (merge ? sizeof(struct htab_node) : 0) +
	       (sends ? sizeof(struct wait_dest) : 0) + t->keylen + (merge ? t->mkeylen : 0) +
	       taglen + hostlen + outlen;
	if (!(w = pool_get(l, size)))
		return -ENOMEM;
	w->in_merge = merge;
	w->has_dest = sends;
	w->taglen = (uint8_t)taglen;
	w->hostlen = (uint8_t)hostlen;
	w->outlen = (uint32_t)outlen;
	if (merge)
		w_mnode(w)->keylen = t->mkeylen; /* w_tag() and the rest follow from it */
	if (sends)
		w_dest_from(w_dest(w), &t->dest);
	p = w_bytes(w);
	memcpy(p, t->key, t->keylen);
	p += t->keylen;
	if (merge) {
		memcpy(p, t->mkey, t->mkeylen);
		p += t->mkeylen;
	}
	memcpy(p, t->local_tag ? t->local_tag : "", taglen);
	memcpy(p + taglen, t->dest.host, hostlen);
	if (outlen)
		memcpy(p + taglen + hostlen, t->out, outlen);
	if (w_init(w, t) < 0) {
		pool_put(l, w);
		return -ENOMEM;
	}
	w_swap(w, t);
	tsx_free(t);
	return 0;
}
