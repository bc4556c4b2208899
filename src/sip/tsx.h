/*
 * tsx: the SIP transaction layer (RFC 3261 §17 with RFC 6026).
 *
 * Four machines: INVITE client (ICT), non-INVITE client (NICT), INVITE
 * server (IST), non-INVITE server (NIST).  Each transaction sits in a hash
 * table keyed per §17.1.3 (client: branch + CSeq method) and §17.2.3
 * (server: branch + sent-by + method, ACK matching INVITE; RFC 2543
 * requests without the magic cookie by Request-URI, tags, Call-ID, CSeq and
 * top Via), and arms its own timers A-M from the configured T1/T2/T4.  No
 * retransmission timers on TCP.  The layer never parses or sends bytes
 * itself: messages arrive parsed (msg.h) and leave through the send
 * callback its owner gives it, so the unit tests capture them.
 *
 * Bounded: past max transactions, tsx_request() fails with -EAGAIN and a
 * new incoming request is answered 503 with Retry-After, statelessly.
 */
#ifndef SIPUAD_TSX_H
#define SIPUAD_TSX_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/msg.h"

struct tmr_clock;
struct stats;
struct tsx;
struct tsx_layer;

enum tsx_kind {
	TSX_ICT,
	TSX_NICT,
	TSX_IST,
	TSX_NIST,
};

enum tsx_state {
	TSX_CALLING,		/* ICT */
	TSX_TRYING,		/* NICT, NIST */
	TSX_PROCEEDING,
	TSX_ACCEPTED,		/* ICT, IST (RFC 6026) */
	TSX_COMPLETED,
	TSX_CONFIRMED,		/* IST */
	TSX_TERMINATED,
};

struct tsx_cfg {
	unsigned t1_ms;		/* RTT estimate, default 500 */
	unsigned t2_ms;		/* max non-INVITE retransmit interval, default 4000 */
	unsigned t4_ms;		/* max message lifetime in the network, default 5000 */
	unsigned max_tsx;	/* bound on live transactions */
	unsigned retry_after_s;	/* Retry-After in the 503 when full */
	const char *server;	/* Server header value in stateless answers; may be NULL */
};

/*
 * How the layer sends.  d is in/out: a TCP send may set d->conn.
 * 0, or -errno: a transport error (§17.1.4).
 */
typedef int (tsx_send_fn)(void *arg, struct sip_dest *d, const char *buf, size_t len);

/* What the transaction user (the UA core) is told. */
struct tsx_user {
	/*
	 * A new request created server transaction st (INVITE: IST; others,
	 * CANCEL included: NIST).  The TU answers with tsx_respond(), now or
	 * later.  req is owned by st (tsx_req()).
	 */
	void (*request)(void *arg, struct tsx *st, const struct sip_msg *req);
	/* An ACK that matched no server transaction: the ACK for a 2xx. */
	void (*ack)(void *arg, const struct sip_msg *ack);
	/* A response that matched no client transaction (e.g. a 2xx retransmission after Timer M). */
	void (*stray_response)(void *arg, const struct sip_msg *resp);
	void *arg;
};

/*
 * A client transaction's news: resp != NULL for every response passed up
 * (provisional, final, and in ICT Accepted every 2xx retransmission,
 * RFC 6026 §8.4); resp == NULL with err -ETIMEDOUT (timer B / F) or a
 * transport error.  After a final outcome the callback is not called again
 * except for those 2xx, and, for an ICT that passed up a 2xx, once more
 * with resp == NULL and err 0 when it ends (Timer M, or its connection
 * failing): the TU may hold the pointer until that callback returns.
 */
typedef void (tsx_resp_fn)(void *arg, struct tsx *ct, const struct sip_msg *resp, int err);

/* 0 or -ENOMEM. user is copied. */
int tsx_layer_new(struct tsx_layer **lp, struct tmr_clock *clk, const struct tsx_cfg *cfg,
    tsx_send_fn *send, void *send_arg, const struct tsx_user *user, struct stats *st);
/* Ends every transaction without callbacks. NULL is a no-op. */
void tsx_layer_free(struct tsx_layer *l);
/* New T1/T2/T4 and bounds apply to transactions created afterwards. */
void tsx_layer_set_cfg(struct tsx_layer *l, const struct tsx_cfg *cfg);
/* Live transactions, the waiting ones included (what max_tsx bounds). */
unsigned tsx_layer_count(const struct tsx_layer *l);
/*
 * Of those, how many wait out their last timer in compact form (no TU
 * holds them; see tsx.c).  For tests and measurements.
 */
unsigned tsx_layer_waiting(const struct tsx_layer *l);
/*
 * The settings in force (T1, T2, T4, bounds, Retry-After, the Server /
 * User-Agent value, NULL for none): the one copy of the [sip] keys the
 * layers above read, so that a reload reaches them all at once.  Valid
 * until the next tsx_layer_set_cfg().
 */
const struct tsx_cfg *tsx_layer_cfg(const struct tsx_layer *l);

/*
 * Feed a received message that passed msg_check_*; the layer owns it from
 * here (it is freed or kept by a transaction).  Requests: a retransmission
 * is absorbed (the last response sent again), an ACK for a non-2xx is
 * absorbed by its IST, anything else creates a server transaction and goes
 * to user.request.  Responses go to their client transaction.
 */
void tsx_layer_recv(struct tsx_layer *l, struct sip_msg *m);

/*
 * The transport lost TCP connection conn (err: -errno, 0 orderly close).
 * Client transactions waiting on it fail with err per §17.1.4; server
 * transactions keep it and the transport reconnects for their responses.
 */
void tsx_layer_conn_closed(struct tsx_layer *l, uint64_t conn, int err, const char *why);

/*
 * Answer req without a transaction (malformed requests, 503 when full).
 * Never answers an ACK.  err supplies code, reason and the optional extra
 * header.  0 or -errno.
 */
int tsx_reply_stateless(struct tsx_layer *l, const struct sip_msg *req, const struct msg_err *err);

/*
 * Start a client transaction for req (ownership passes to it, also on
 * failure) toward d.  *ctp (may be NULL) gets the transaction, which stays
 * valid until its final callback returns or tsx_detach().
 * 0, -EAGAIN (table full), -EINVAL (ACK: not a transaction), -errno.
 */
int tsx_request(struct tsx_layer *l, struct sip_msg *req, const struct sip_dest *d,
    tsx_resp_fn *cb, void *arg, struct tsx **ctp);

/*
 * Send a response on server transaction st; the transaction takes resp.
 * A final response moves st to Completed/Accepted and starts its timers;
 * the TU lets go of st then (see the lifetimes in tsx.c): after a 2xx it
 * resends the 2xx itself (tsx_send_raw(), RFC 6026 §8.7).
 * 0, -EINVAL (a final response was already sent), -errno.
 */
int tsx_respond(struct tsx *st, struct sip_msg *resp);
/*
 * tsx_respond(), and on success a copy of the bytes sent (our To tag and
 * the Server header in) into *bufp (malloc'd, the caller's; NULL if out of
 * memory) and *lenp: what a UAS core resends of its 2xx (§13.3.1.4),
 * serialised once.
 */
int tsx_respond_copy(struct tsx *st, struct sip_msg *resp, char **bufp, size_t *lenp);
/* Build and send code with reason (NULL: standard) and the extra header of err (may be NULL). */
int tsx_respond_code(struct tsx *st, int code, const char *reason, const struct msg_err *extra);

/* The TU no longer wants callbacks for t (its owner is going away). */
void tsx_detach(struct tsx *t);

/*
 * The TU's object for t (a call for its INVITE server transaction), so
 * that a CANCEL's target (tsx_cancel_target()) leads back to it.  NULL
 * until set; the TU clears it before t may go away.
 */
void tsx_set_owner(struct tsx *t, void *owner);
void *tsx_owner(const struct tsx *t);

/*
 * Send bytes outside any transaction, through the layer's send callback:
 * the ACK for a 2xx (a transaction of its own, §17.1.1.3) and the UAS
 * core's 2xx retransmissions (§13.3.1.4).  d is in/out as for tsx_send_fn.
 * 0 or -errno.
 */
int tsx_send_raw(struct tsx_layer *l, struct sip_dest *d, const char *buf, size_t len);

/*
 * The bytes of the last response a server transaction sent (as stored for
 * its retransmissions, Server header included), and their length; NULL
 * and 0 if none.  Valid until t sends another or goes away.
 */
const char *tsx_last_response(const struct tsx *t, size_t *lenp);

/*
 * The request that created t (server) or that t sent (client).  A server
 * transaction lets go of it once its final response is out and the layer
 * call that sent it has returned (the request is most of what a
 * transaction waiting out Timer H, J or L would hold): NULL from then on.
 */
const struct sip_msg *tsx_req(const struct tsx *t);
enum tsx_kind tsx_kind(const struct tsx *t);
enum tsx_state tsx_state(const struct tsx *t);
const char *tsx_state_name(enum tsx_state s);
/* Short stable handle for logs: "t42". */
const char *tsx_handle(const struct tsx *t);
/*
 * Why client transaction t failed on its connection, in the transport's
 * words ("TLS handshake with 192.0.2.1:5061 failed: certificate verify
 * failed (certificate has expired)"); NULL: not so, or nothing said.
 */
const char *tsx_why(const struct tsx *t);
/* The To tag every response of this server transaction carries (made once). */
const char *tsx_local_tag(const struct tsx *t);
/*
 * §8.2.2.2: the request has no To tag, and its From tag, Call-ID and CSeq
 * equal those of another live server transaction it did not match: a
 * merged request (answer 482).
 */
bool tsx_merged(const struct tsx *st);
/*
 * §9.2: CANCEL st matched an INVITE server transaction, answered or not;
 * st's local tag (tsx_local_tag()) is then that INVITE's, for the 200.
 */
bool tsx_cancel_matched(const struct tsx *st);
/*
 * §9.2: the IST a CANCEL (server transaction st) refers to while it is
 * still a TU's to answer (or in the callback that answered it), or NULL.
 */
struct tsx *tsx_cancel_target(const struct tsx *st);

#endif
