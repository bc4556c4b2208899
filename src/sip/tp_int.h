/*
 * tp_int: private to the transport.  Only the tp*.c files include this
 * header (and the framing fuzzer, tests/fuzz/fuzz_frame.c, which drives
 * tp_stream_frame() as the connections do, and check_tp_tls, which tries
 * the server name rules on certificates of its own); everyone else uses
 * tp.h.
 *
 * The transport is split by concern, and the files form a stack:
 *   tp.c         the object: options, the listener table and its sockets,
 *                tp_send() routing by protocol, the accessors
 *   tp_udp.c     UDP: the read loop (recvmmsg, a cap per wake-up) and sending
 *   tp_stream.c  TCP and TLS connections: accepting, connecting, the
 *                connection table and its bound, the TLS handshake state
 *                and its bound, reading, CRLF keepalive answers and our
 *                pings' pongs, idle timeouts, send queues.  A connection
 *                is a bufferevent: a socket one for TCP, an OpenSSL one
 *                around the socket for TLS; everything above the bytes is
 *                the same for both.
 *   tp_stream_frame.c  where each message of a stream ends: Content-Length
 *                framing (frame.h), pings and pongs found, on a bare evbuffer
 *   tp_tls.c     what TLS connections share (the OpenSSL contexts, the
 *                server check, the client's sessions, the failure
 *                counters and log) and the ring of why connections failed
 *   tp_tls_name.c  whom a certificate names (RFC 5922 §7)
 * tp_tls*.c are the only files that speak OpenSSL (tp_stream.c hands an
 * SSL from one to libevent).
 * tp_udp.c and tp_stream.c call only what this header declares of tp.c
 * (nothing but the shared structs); tp.c calls them through the functions
 * declared below, and tp_stream.c calls tp_tls.c likewise.
 */
#ifndef SIPUAD_TP_INT_H
#define SIPUAD_TP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "core/net.h"
#include "core/stats.h"
#include "sip/frame.h"
#include "sip/tp.h"

struct acceptor;
struct bufferevent;
struct event;
struct evbuffer;
struct htab;
struct ssl_st;	/* OpenSSL's SSL */
struct tp_tls;
struct x509_st; /* OpenSSL's X509 */

#define TP_NAME_MAX (8 + NET_ADDR_STRLEN)

struct tp_lsn {
	struct tp *tp;
	struct tp_lsn *next;
	enum net_proto proto;
	struct net_addr addr;	/* as bound (getsockname) */
	char name[TP_NAME_MAX]; /* "tcp:127.0.0.1:5060", for logs */
	int fd;
	struct event *ev;      /* UDP: readable */
	struct acceptor *acc;  /* TCP, TLS: accepts connections */
};

struct tp {
	struct event_base *base;
	struct tp_opts o;
	tp_recv_fn *recv;
	tp_conn_fn *conn_cb;
	tp_pong_fn *pong_cb; /* NULL: pongs are not reported */
	void *arg;
	struct stats *st; /* the caller's, or st_none */
	struct stats st_none;
	struct tp_lsn *lsn;
	unsigned n_lsn;
	char *rxbuf; /* TP_UDP_BATCH slots of TP_UDP_RXBUF bytes, for every UDP listener */
	/* tp_stream.c's */
	struct htab *by_id, *by_peer;
	uint64_t next_id;
	struct timeval idle_plain;
	const struct timeval *idle_tv; /* a common timeout when libevent has one */
	bool refusing;		       /* at max_tcp_conns; logged once */
	unsigned n_tls;		       /* of the connections, TLS ones */
	/* tp_tls.c's */
	struct tp_tls *tls;
};

static inline const char *tp_fmt(const struct net_addr *a, char buf[NET_ADDR_STRLEN])
{
	return net_addr_fmt(a, buf, NET_ADDR_STRLEN);
}

/* ---- tp_udp.c ---- */

#define TP_UDP_RXBUF 65536 /* any UDP datagram fits */
#define TP_UDP_BATCH 16	   /* datagrams per recvmmsg(2): slots of tp->rxbuf */
/*
 * SO_RCVBUF asked for a UDP listener (the kernel caps it at
 * net.core.rmem_max, 4 MiB on Debian 12 hosts we measured; the default,
 * 208 KiB, holds about 2 ms of 16,000 calls/s): a loop that stalls for a
 * few ms (a burst of timers, a reload) must not drop requests that the
 * peers then retransmit on top of the load.  Only what is queued takes
 * memory.
 */
#define TP_UDP_RCVBUF (4 * 1024 * 1024)

/* Start reading datagrams on l (its socket is bound).  0 or -ENOMEM. */
int tp_udp_start(struct tp_lsn *l);
/* One datagram toward d->addr, from the listener d->local names (§18.1.1). 0 or -errno. */
int tp_udp_send(struct tp *tp, const struct sip_dest *d, const char *buf, size_t len);

/* ---- tp_stream.c ---- */

/* The connection tables.  0 or -ENOMEM. */
int tp_stream_init(struct tp *tp);
/* Every connection closed without a callback, the tables freed. */
void tp_stream_fini(struct tp *tp);
/* tp->o changed: the idle bound and read limit apply, to open connections too. */
void tp_stream_set_opts(struct tp *tp);
/* Start accepting on l (its socket listens).  0 or -ENOMEM. */
int tp_stream_start(struct tp_lsn *l);
/* On d->conn, a connection to d->addr, or a new one; d->conn updated.  0 or -errno. */
int tp_stream_send(struct tp *tp, struct sip_dest *d, const char *buf, size_t len);
/* CRLFCRLF as tp_stream_send() sends, and one more pong awaited on that connection. */
int tp_stream_ping(struct tp *tp, struct sip_dest *d);
/* Close conn now, without conn_cb.  0 or -ENOENT. */
int tp_stream_close(struct tp *tp, uint64_t conn);
bool tp_stream_alive(const struct tp *tp, uint64_t conn);
unsigned tp_stream_count(const struct tp *tp);

/*
 * Framing of one stream (RFC 3261 §18.3): what is known of the message at
 * the head of its input.  Zeroed, then name and st set, at the start.
 */
struct tp_framer {
	const char *name; /* the stream's, for logs: "tcp7" */
	struct stats *st; /* counts rx_oversize, rx_malformed */
	size_t scanned;	  /* bytes known to hold no blank line */
	bool have_hdr;	  /* fi describes the message at the head */
	struct frame_info fi;
	unsigned pongs;	  /* our pings not answered yet: a CRLF is a pong */
};

/* What one framing step decided (tp_stream_frame() returned 1). */
struct tp_frame {
	size_t skip;   /* leading CR/LF bytes to drop (then nothing else) */
	bool ping;     /* they held CRLFCRLF: answer one CRLF (RFC 5626 §4.4.1) */
	bool pong;     /* they ended in the CRLF answering our ping (f->pongs was > 0) */
	size_t len;    /* a message: the first len bytes of the input */
	bool oversize; /* len covers its header block only: over max */
	int err;       /* framing lost: after the len bytes (if any), close with err */
};

/*
 * One framing step over in, the stream's input, for messages of at most
 * max bytes.  1: *out says what to do (drop skip bytes; or deliver len
 * bytes, then drain them; and close if err); 0: wait for more bytes;
 * -ENOMEM.  The caller delivers and drains before the next step.  The
 * decision to close is logged here, with f->name.
 */
int tp_stream_frame(struct tp_framer *f, struct evbuffer *in, size_t max, struct tp_frame *out);

/* ---- tp_tls.c ---- */

/*
 * One TLS connection as tp_tls.c sees it: made with its SSL
 * (tp_tls_ssl_new()), the SSL's app data, freed by the connection
 * (tp_tls_peer_free()).
 */
struct tp_tls_peer {
	struct tp *tp;
	const char *handle;    /* the connection's, for logs: "tls7" */
	struct net_addr addr;  /* the peer */
	bool outgoing;
	bool checked;	       /* its certificate is verified (verify_server / _client) */
	bool done;	       /* the handshake completed */
	bool name_bad;	       /* outgoing: the chain was good, the name not */
	unsigned gen;	       /* the tp_tls_set() whose contexts it uses */
	long hs_s;	       /* its handshake bound, seconds (for the words) */
	char host[SIP_DEST_HOST_MAX]; /* outgoing: the name checked and sent as SNI; "": the address */
};

/* The why ring and the failure log; TLS off until tp_tls_set().  0 or -ENOMEM. */
int tp_tls_init(struct tp *tp);
/* After every connection is gone.  A tp without tp_tls_init() is fine. */
void tp_tls_fini(struct tp *tp);
/* tp_listen(NET_TLS) may go on: 0, -ENOPROTOOPT (no tp_tls_set()), -ENOKEY (no certificate). */
int tp_tls_can_listen(const struct tp *tp);
/* The handshake bound (handshake_timeout_s), a common timeout if libevent has one. */
const struct timeval *tp_tls_hs_bound(const struct tp *tp);
/*
 * An SSL for one connection with peer (outgoing: toward host, "" when the
 * address is the identity, with SNI and the session kept for them): *sslp
 * goes to the connection's bufferevent, *pp is the caller's to free with
 * tp_tls_peer_free().  0, -EPROTONOSUPPORT (no tp_tls_set()), -ENOMEM.
 */
int tp_tls_ssl_new(struct tp *tp, bool outgoing, const struct net_addr *peer, const char *host,
    struct tp_tls_peer **pp, struct ssl_st **sslp);
/* p no longer, and no longer the app data of ssl (which may outlive it). */
void tp_tls_peer_free(struct tp_tls_peer *p, struct ssl_st *ssl);
/* The handshake completed (BEV_EVENT_CONNECTED): counted, p->done. */
void tp_tls_done(struct tp_tls_peer *p, struct ssl_st *ssl);
/*
 * The connection on bev failed (BEV_EVENT_ERROR; EOF in the handshake):
 * why in words, counted and logged (a handshake's failure within the log
 * bound).  sys_err: the errno seen then, 0 for an EOF.  -EKEYREJECTED (a
 * certificate refused, either side), -EPROTO (any other TLS failure),
 * -ECONNRESET (closed or reset in the handshake), or connect(2)'s -errno.
 */
int tp_tls_failed(struct tp_tls_peer *p, struct bufferevent *bev, int sys_err, char *why,
    size_t n);
/* The handshake bound passed: counted, logged, why.  -ETIMEDOUT. */
int tp_tls_timed_out(struct tp_tls_peer *p, char *why, size_t n);
/* All read for now: the record buffers go while the connection idles. */
void tp_tls_idle(struct ssl_st *ssl);
/* Best effort close_notify on an open connection, before it is freed. */
void tp_tls_bye(struct ssl_st *ssl);
/* The TLS facts of p's connection into ci (the rest zeroed by the caller). */
void tp_tls_info(const struct tp_tls_peer *p, struct ssl_st *ssl, bool secure,
    struct tp_conn_info *ci);

/* ---- tp_tls_name.c ---- */

/* The certificate x names host (RFC 5922 §7); host "": its IP address is addr. */
bool tp_tls_names(struct x509_st *x, const char *host, const struct net_addr *addr);
/* host is an IP literal ("192.0.2.1", "::1", "[::1]"), not a DNS name. */
bool tp_tls_host_is_ip(const char *host);
/* Remember why connection conn failed (tp_conn_why()). */
void tp_why_add(struct tp *tp, uint64_t conn, const char *why);

#endif
