/*
 * tp: SIP transports, UDP and TCP over IPv4 and IPv6.
 *
 * Owns every SIP socket: the listeners from the config, accepted and
 * outgoing TCP connections (each with a numeric id, so nothing holds a
 * pointer to a connection that may close), their read buffers and send
 * queues.  It frames TCP by Content-Length (frame.h), answers CRLF
 * keepalives (RFC 5626 §4.4.1) and reports the pongs to its own
 * (tp_ping()), closes idle connections, and bounds how many there are.
 * It knows nothing of SIP beyond framing: whole messages go up through
 * the recv callback, bytes come down through tp_send().
 */
#ifndef SIPUAD_TP_H
#define SIPUAD_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "sip/dest.h"

struct event_base;
struct stats;
struct tp;

struct tp_opts {
	size_t max_msg;		/* largest message accepted (bytes) */
	unsigned max_tcp_conns;	/* accepted + outgoing */
	unsigned tcp_idle_s;	/* close a connection idle this long */
};

/* One received message (or, oversize, its header block only). */
struct tp_pkt {
	struct sip_dest src;	/* proto, peer, our listener, conn id (TCP) */
	const char *buf;
	size_t len;
	bool oversize;		/* larger than max_msg: buf holds the headers only */
};

/* A message arrived; buf is valid only during the call. */
typedef void (tp_recv_fn)(void *arg, const struct tp_pkt *pkt);
/*
 * A TCP connection failed or closed (err: -ECONNREFUSED, -ECONNRESET,
 * -ETIMEDOUT, 0 for an orderly close).  Whoever sent over conn learns that
 * it is gone (RFC 3261 §17.1.4).
 */
typedef void (tp_conn_fn)(void *arg, uint64_t conn, int err);
/*
 * The pong to one of our pings (tp_ping()) came on TCP connection conn.
 * The callback may send on conn; it may neither close it nor free tp.
 */
typedef void (tp_pong_fn)(void *arg, uint64_t conn);

/* 0 or -ENOMEM. */
int tp_new(struct tp **tpp, struct event_base *base, const struct tp_opts *o,
    tp_recv_fn *recv, tp_conn_fn *conn_cb, void *arg, struct stats *st);
/* Closes every socket. NULL is a no-op. */
void tp_free(struct tp *tp);
/* Change limits at run time (reload). */
void tp_set_opts(struct tp *tp, const struct tp_opts *o);
/* Report pongs to pong, with tp_new()'s arg (NULL: not reported, the default). */
void tp_set_pong_cb(struct tp *tp, tp_pong_fn *pong);

/*
 * Bind and listen.  Port 0 takes a free port; *bound (may be NULL) gets
 * the real address.  0 or -errno (-EADDRINUSE, -EACCES, ...).
 */
int tp_listen(struct tp *tp, enum net_proto proto, const struct net_addr *a,
    struct net_addr *bound);

/*
 * Send one serialized message.
 * UDP: from the listener whose address is d->local (or the first of the
 * destination's family), to d->addr.
 * TCP: on d->conn if it is still open; else on an open connection to
 * d->addr; else a new non-blocking connection (the data waits in its send
 * queue).  d->conn is updated to the connection used.
 * 0, or -errno: -ENETUNREACH, -EAFNOSUPPORT (no listener of that family),
 * -EMFILE (connection limit), -ENOBUFS (send queue over its bound).
 */
int tp_send(struct tp *tp, struct sip_dest *d, const char *buf, size_t len);

/*
 * A keepalive ping toward d (RFC 5626 §4.4.1).
 * TCP: CRLFCRLF, sent as tp_send() sends (d->conn updated), and one more
 * pong awaited on that connection.  While one is, the first CRLF that
 * arrives between messages is that pong: it goes to the pong callback
 * instead of being skipped.  (A ping of the peer's that crosses ours
 * gives its first CRLF to our pong, and its answer waits for more CR/LF:
 * the UA pings, the server answers, RFC 5626 §4.4.1.)
 * UDP: one CRLF datagram; no answer is defined, none is awaited.
 * 0 or -errno as tp_send().
 */
int tp_ping(struct tp *tp, struct sip_dest *d);

/*
 * Close TCP connection conn now, dropping what is queued for it, without
 * the conn callback: the caller made the decision and tells whoever needs
 * to know (the stack, when a pong does not come).  Not from a callback
 * about conn itself.  0 or -ENOENT.
 */
int tp_conn_close(struct tp *tp, uint64_t conn);

/*
 * Our address for proto and family (AF_INET / AF_INET6) to put in Via and
 * Contact: the first such listener.  0 or -ENOENT.
 */
int tp_local(const struct tp *tp, enum net_proto proto, int family, struct net_addr *out);

bool tp_conn_alive(const struct tp *tp, uint64_t conn);
unsigned tp_conn_count(const struct tp *tp);
unsigned tp_listener_count(const struct tp *tp);

#endif
