/*
 * tsx_int: private to the transaction layer.  Only tsx.c, tsx_client.c and
 * tsx_server.c include this header; everyone else uses tsx.h.
 *
 * The layer is split by concern, as Kamailio's tm module and libre's
 * ctrans.c / strans.c are, and the files form a stack, never a cycle:
 *   tsx.c         the bottom: tables and keys (§17.1.3, §17.2.3, §8.2.2.2),
 *                 lifetimes, sending, response matching, stateless
 *                 replies, accessors, and the one dispatch of every event
 *                 through the transaction's ops table (struct tsx_ops)
 *   tsx_client.c  ICT and NICT (§17.1): their ops tables and constructor
 *                 (tsx_request), timers A, B, D, E, F, K, M
 *   tsx_server.c  IST and NIST (§17.2): their ops tables and constructor,
 *                 the receive entry point (a new request makes a server
 *                 transaction), timers G, H, I, J, L, the 100 Trying timer
 *                 and the NIST guard
 *   tsx_wait.c    the compact form of a transaction its TU no longer holds
 *                 and that only waits out its last timer (Accepted,
 *                 Completed, Confirmed), with its pool
 * The two machine files call down into tsx.c; tsx.c reaches them only
 * through t->ops, which their constructors set.  tsx.c hands a transaction
 * to tsx_wait.c when it settles, and tsx_wait.c's objects answer for
 * themselves when matched.
 */
#ifndef SIPUAD_TSX_INT_H
#define SIPUAD_TSX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/htab.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "sip/tsx.h"

struct log_rl;
/* tsx_server.c: the rate-limited lines (log.h) the compact ones share. */
extern struct log_rl tsx_rl_timer_h, tsx_rl_send_failed;

#define TSX_STAT_BUMP(l, field)                                                                    \
	do {                                                                                       \
		if ((l)->st)                                                                       \
			(l)->st->field++;                                                          \
	} while (0)

/*
 * What the match table holds: a running transaction (struct tsx) or a
 * compact waiting one (struct tsx_wait, tsx_wait.c).  Both begin with this,
 * so one lookup finds either and the flag tells which.
 */
struct tsx_hdr {
	struct htab_node node;
	bool wait;
};

/* Size classes of the waiting objects' pool (tsx_wait.c): 16 B steps (malloc's) up to 1 KiB. */
#define TSX_POOL_STEP 16
#define TSX_POOL_CLASSES 65 /* class c: chunks of c * 16 bytes; 0: not pooled */

struct tsx_pool {
	void *free[TSX_POOL_CLASSES]; /* singly linked through their first word */
	unsigned n[TSX_POOL_CLASSES];
};

struct tsx_layer {
	struct tmr_clock *clk;
	struct tsx_cfg cfg; /* cfg.server is server */
	char *server;	    /* Server header value; NULL: none */
	tsx_send_fn *send;
	void *send_arg;
	struct tsx_user user;
	struct stats *st;
	struct htab *match; /* §17.1.3 / §17.2.3 keys -> tsx.node */
	struct htab *merge; /* §8.2.2.2 keys -> tsx.mnode */
	struct tsx *all;    /* every transaction not yet freed */
	struct tsx *dead;   /* terminated, freed when depth drops to 0 */
	struct tsx *settle; /* entered a waiting state: made compact when depth drops to 0 */
	unsigned count;	    /* live: in the match table (full and compact) */
	unsigned waiting;   /* of those, compact (struct tsx_wait) */
	unsigned peak;	    /* highest count since the last trim */
	bool trim_tail;	    /* trimmed with some left: once more when none is */
	unsigned depth;	    /* layer entry points on the stack */
	unsigned long next_id;
	bool full; /* at max_tsx: logged once */
	struct tsx_pool pool;
	struct tmr trim; /* memory back after a burst: see tsx_count_dec() */
};

enum tsx_slot {
	TSX_SLOT_RETX, /* Timer A, E, G, or the IST's 200 ms timer */
	TSX_SLOT_END,  /* Timer B, D, F, H, I, J, K, L, M, or a guard */
};

/*
 * The events of one kind of transaction: each machine fills one table
 * (tsx_client.c: ICT, NICT; tsx_server.c: IST, NIST) and tsx.c dispatches
 * every event through it, once.  A machine leaves NULL what cannot happen
 * to its kind (a client transaction never matches a request).
 */
struct tsx_ops {
	enum tsx_kind kind;
	/* A request matched t: a retransmission, or the ACK of an IST. */
	void (*on_request)(struct tsx *t, const struct sip_msg *req);
	/* A response matched t (§17.1.3). */
	void (*on_response)(struct tsx *t, const struct sip_msg *resp);
	/* The TU sends resp on t, which keeps resp's bytes, not resp. 0 or -errno. */
	int (*on_tu_response)(struct tsx *t, struct sip_msg *resp);
	/* Timer slot of t fired. */
	void (*on_timer)(struct tsx *t, enum tsx_slot slot);
	/* A send or a timer start failed, or t's connection was lost (§17.1.4, §17.2.4). */
	void (*on_error)(struct tsx *t, int err);
	/* The TU went away: no more callbacks. */
	void (*detach)(struct tsx *t);
};

struct tsx {
	struct tsx_hdr h; /* match table; h.wait false */
	struct tsx_layer *l;
	const struct tsx_ops *ops; /* the machine of its kind */
	enum tsx_kind kind;	   /* ops->kind */
	enum tsx_state state;
	char handle[24];
	unsigned t1, t2, t4; /* copied at creation */
	bool reliable;	     /* TCP: no retransmissions, D/I/J/K = 0 */
	struct sip_msg *req;
	struct sip_dest dest; /* client: toward the peer; server: §18.2.2 */
	char *why;	      /* client: its connection's failure in words (tsx_why()); NULL */

	struct tmr retx;
	uint64_t retx_ms; /* current interval of A, E or G */
	struct tmr end;

	char *key; /* match table (h.node) */
	size_t keylen;
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
	void *owner;	 /* tsx_set_owner() */
	char method[16]; /* the request's, kept when req is let go (tsx_settle) */
	bool settle_queued;
	struct tsx *settle_next; /* layer->settle */
	bool cancel_hit;	 /* a CANCEL that matched an IST (tsx_cancel_matched()) */
};

static inline unsigned tsx_umin(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* ---- tsx.c: keys and tables ---- */

/* §17.1.3: "c" key of a client transaction. 0 or -ENOMEM; *kp malloc'd. */
int tsx_key_client(const char *branch, const char *method, char **kp, size_t *lenp);
/*
 * §17.2.3: "s" key (magic cookie) or "o" key (RFC 2543) of a server
 * transaction; method is the caller's (INVITE for an ACK).  0, -EINVAL (no
 * Request-URI for an RFC 2543 key), -ENOMEM; *kp malloc'd.
 */
int tsx_key_server(const struct sip_msg *m, const char *method, char **kp, size_t *lenp);
/* What is under key in the match table (a struct tsx or a struct tsx_wait), or NULL. */
struct tsx_hdr *tsx_match_find(const struct tsx_layer *l, const char *key, size_t keylen);

/* The running transaction h is, or NULL (NULL, or a compact one). */
static inline struct tsx *tsx_of(struct tsx_hdr *h)
{
	return h && !h->wait ? container_of(h, struct tsx, h) : NULL;
}

/* A transaction came into (count++) or left (count--) the match table. */
void tsx_count_inc(struct tsx_layer *l);
void tsx_count_dec(struct tsx_layer *l);
/* Into the match table under key, which t owns from here on success. 0 or -errno. */
int tsx_link(struct tsx *t, char *key, size_t keylen);
/* §8.2.2.2: into the merge table; sets t->merged. 0 or -ENOMEM. */
int tsx_merge_link(struct tsx *t);

/* ---- tsx.c: lifetime ---- */

/*
 * A new transaction driven by ops (its machine's constructor passes its
 * own table) for req; t owns req only on success.  0 or -ENOMEM.
 */
int tsx_alloc(struct tsx_layer *l, const struct tsx_ops *ops, struct sip_msg *req, struct tsx **tp);
/* The one destructor: timers, table links, list link, memory. */
void tsx_free(struct tsx *t);
/* Every entry point into the layer brackets its work with these. */
void tsx_layer_enter(struct tsx_layer *l);
/*
 * t entered a waiting state (Accepted, Completed, Confirmed) or its TU let
 * go of it.  When the layer's depth drops to 0 (so the TU may use it until
 * the callback that got it there returns), a transaction its TU no longer
 * holds is replaced by its compact form (tsx_wait_from()); one the TU still
 * holds (an ICT in Accepted before tsx_detach()) stays, a server one without
 * its parsed request (retransmissions are matched by key and answered from
 * out).
 */
void tsx_settle(struct tsx *t);
void tsx_layer_leave(struct tsx_layer *l);
/* Queue a terminated transaction nobody holds for freeing by tsx_layer_leave(). */
void tsx_release(struct tsx *t);

/* ---- tsx.c: state changes and sending ---- */

const char *tsx_kind_name(enum tsx_kind k);
/* Change state and log it with the status code, or with why if code is 0. */
void tsx_goto(struct tsx *t, enum tsx_state s, int code, const char *why);
void tsx_terminate(struct tsx *t, const char *why);
/* Start a timer; a failure is the transport-error event. */
void tsx_arm(struct tsx *t, struct tmr *tm, uint64_t ms);
/* Bytes to the transport as they are. 0 or -errno. */
int tsx_xmit(struct tsx *t, const char *buf, size_t len);
/* Send; a failure is the transport-error event (§17.1.4, §17.2.4). 0 or -errno. */
int tsx_send(struct tsx *t, const char *buf, size_t len);
/* tsx_send() counted as a retransmission. */
int tsx_resend(struct tsx *t, const char *buf, size_t len);
/* The transport-error event: t->ops->on_error. */
void tsx_on_error(struct tsx *t, int err);

/* ---- tsx.c: receiving ---- */

/*
 * A response: to the client transaction it matches (t->ops->on_response),
 * else to user.stray_response.  Takes m.  The caller is inside the layer
 * (tsx_layer_enter).
 */
void tsx_recv_response(struct tsx_layer *l, struct sip_msg *m);

/* ---- tsx_wait.c: compact waiting transactions ---- */

/*
 * Replace t, which waits out its last timer and which no TU holds, by its
 * compact form, in the same place of the tables, and free t.  0; -EAGAIN:
 * not such a transaction (t stays); -ENOMEM (t stays).
 */
int tsx_wait_from(struct tsx *t);
/* A request matched compact h (its state's §17.2 handling). */
void tsx_wait_on_request(struct tsx_hdr *h, const struct sip_msg *req);
/* A response matched compact h (its state's §17.1 handling). */
void tsx_wait_on_response(struct tsx_hdr *h, const struct sip_msg *resp);
/* Compact h's kind, and, for an IST, its To tag (NULL otherwise). */
enum tsx_kind tsx_wait_kind(const struct tsx_hdr *h);
const char *tsx_wait_local_tag(const struct tsx_hdr *h);
/* Free every compact transaction (tsx_layer_free()). */
void tsx_wait_free_all(struct tsx_layer *l);
/* Free pooled objects beyond keep per size class. */
void tsx_pool_trim(struct tsx_layer *l, unsigned keep);

#endif
