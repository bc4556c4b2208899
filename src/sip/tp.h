/*
 * tp: SIP transports, UDP, TCP and TLS over IPv4 and IPv6.
 *
 * Owns every SIP socket: the listeners from the config, accepted and
 * outgoing TCP and TLS connections (each with a numeric id, so nothing holds a
 * pointer to a connection that may close), their read buffers and send
 * queues, and TLS itself (OpenSSL: certificates, handshakes, the server
 * name check of RFC 5922, sessions).  It frames TCP and TLS alike by
 * Content-Length (frame.h), answers CRLF keepalives (RFC 5626 §4.4.1)
 * and reports the pongs to its own (tp_ping()), bounds handshakes and
 * closes idle connections, and bounds how many there are.  It knows
 * nothing of SIP beyond framing: whole messages go up through the recv
 * callback, bytes come down through tp_send().
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
	unsigned max_tcp_conns;	/* accepted + outgoing, TCP and TLS together */
	unsigned tcp_idle_s;	/* close a connection idle this long */
};

/* [tls] verify_client. */
enum tp_verify_client {
	TP_VERIFY_NO,	    /* ask no certificate of clients */
	TP_VERIFY_OPTIONAL, /* ask; one that is sent must verify */
	TP_VERIFY_REQUIRE,  /* ask; none, or one that does not verify, ends the handshake */
};

/*
 * TLS settings (RFC 3261 §26.3.1, through OpenSSL): TLS 1.2 at least, 1.3
 * preferred.  Strings may be NULL or "" where optional.
 */
struct tp_tls_cfg {
	const char *certificate; /* PEM, ours (leaf first, then its chain); NULL: none */
	const char *private_key; /* PEM; must not be readable by group or others */
	const char *ca_file;	 /* PEM bundle of trusted CAs */
	const char *ca_path;	 /* c_rehash'ed directory; both empty: the system store */
	const char *ciphers;	 /* TLS 1.2 cipher list; empty: OpenSSL's defaults */
	bool verify_server;	 /* check servers' chains and names (RFC 5922) */
	enum tp_verify_client verify_client;
	bool session_cache;		/* resume sessions, as server and as client */
	unsigned handshake_timeout_s;	/* a handshake not done by then is dropped; 0: 10 */
};

/* One received message (or, oversize, its header block only). */
struct tp_pkt {
	/* proto, peer, our listener, conn id (TCP, TLS), host (on a TLS connection we opened: its name) */
	struct sip_dest src;
	const char *buf;
	size_t len;
	bool oversize;		/* larger than max_msg: buf holds the headers only */
};

/* A message arrived; buf is valid only during the call. */
typedef void (tp_recv_fn)(void *arg, const struct tp_pkt *pkt);
/*
 * A TCP or TLS connection failed or closed (err: -ECONNREFUSED,
 * -ECONNRESET, -ETIMEDOUT, 0 for an orderly close; TLS also
 * -EKEYREJECTED: a certificate was refused, the peer's by us or ours by
 * the peer (a required one not sent included), -EPROTO: the handshake
 * failed otherwise (not TLS, no common version or cipher), -ETIMEDOUT:
 * not done within handshake_timeout_s, -ECONNRESET: the peer left in
 * the handshake).  Called for accepted connections too.  Whoever sent
 * over conn learns that it is gone (RFC 3261 §17.1.4); tp_conn_why()
 * says why in words.
 */
typedef void (tp_conn_fn)(void *arg, uint64_t conn, int err);
/*
 * The pong to one of our pings (tp_ping()) came on TCP or TLS connection conn.
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
 * Load TLS settings c as a --check-config does, without a transport: the
 * certificate and key read and matching, the key file's mode, the CAs,
 * the cipher list.  0, or -errno with why naming the file and OpenSSL's
 * reason ("/etc/sipuad/key.pem: key values mismatch"):
 *   -ENOENT, -EACCES  a file cannot be read (strerror)
 *   -EPERM            the key file is readable by group or others
 *   -EINVAL           not PEM, key and certificate do not match, a bad
 *                     cipher list, a key without a certificate or the
 *                     other way round
 * No certificate at all is fine: outgoing TLS only.
 */
int tp_tls_check(const struct tp_tls_cfg *c, char *why, size_t whylen);

/*
 * Use c for the TLS connections made from now on (open ones keep what
 * they started with): at start and on reload.  On failure (as
 * tp_tls_check(), or -ENOKEY: no certificate while a TLS listener is
 * open) tp keeps the settings it had.  Until it succeeds once,
 * tp_listen(NET_TLS) fails -ENOPROTOOPT and a TLS send -EPROTONOSUPPORT.
 * The client side's sessions are forgotten: none is resumed under checks
 * it was not made with.
 */
int tp_tls_set(struct tp *tp, const struct tp_tls_cfg *c, char *why, size_t whylen);

/*
 * Bind and listen.  Port 0 takes a free port; *bound (may be NULL) gets
 * the real address.  0 or -errno (-EADDRINUSE, -EACCES, ...).  NET_TLS:
 * -ENOPROTOOPT before tp_tls_set(), -ENOKEY with no certificate.
 */
int tp_listen(struct tp *tp, enum net_proto proto, const struct net_addr *a,
    struct net_addr *bound);

/*
 * Send one serialized message.
 * UDP: from the listener whose address is d->local (or the first of the
 * destination's family), to d->addr.
 * TCP: on d->conn if it is still open (and TCP); else on an open
 * connection to d->addr; else a new non-blocking connection (the data
 * waits in its send queue).  d->conn is updated to the connection used.
 * TLS: as TCP, on connections whose server name is d->host (the open
 * connection to d->addr is taken only if it was checked against that
 * name, case-insensitively; an accepted one counts as checked for "");
 * d->conn is taken if it is TLS and was accepted, or checked for d->host,
 * or d->host is "".  A new one sends d->host as SNI (not an IP literal)
 * and, with verify_server, checks the server's certificate against it
 * (RFC 5922 §7; d->host "": the certificate's IP addresses).  What is
 * sent before the handshake is done waits for it.
 * 0, or -errno: -ENETUNREACH, -EAFNOSUPPORT (no listener of that family),
 * -EMFILE (connection limit), -ENOBUFS (send queue over its bound).
 */
int tp_send(struct tp *tp, struct sip_dest *d, const char *buf, size_t len);

/*
 * A keepalive ping toward d (RFC 5626 §4.4.1).
 * TCP, TLS: CRLFCRLF, sent as tp_send() sends (d->conn updated), and one more
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
 * Close TCP or TLS connection conn now, dropping what is queued for it
 * (TLS: after a close_notify, if the socket takes it at once), without
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

/* What is known of one open connection. */
struct tp_conn_info {
	uint64_t id;
	enum net_proto proto; /* NET_TCP or NET_TLS */
	bool outgoing;
	struct net_addr peer, local;
	/* TLS only (zero for TCP) */
	bool secure;		/* the handshake is done */
	/*
	 * The peer's certificate was checked and passed (the chain; a
	 * server's name too); false when not checked (verify_server no,
	 * verify_client no) or a client sent none (optional).
	 */
	bool verified;
	bool resumed;		/* a resumed session */
	char subject[256];	/* the peer certificate's subject (RFC 2253); "": none sent */
	char server_name[SIP_DEST_HOST_MAX]; /* outgoing: checked and sent as SNI; incoming: SNI received */
	char version[16];	/* "TLSv1.3" */
	char cipher[64];	/* "TLS_AES_256_GCM_SHA384" */
};

/* 0 or -ENOENT (conn is not open). */
int tp_conn_info(const struct tp *tp, uint64_t conn, struct tp_conn_info *out);
/* fn for every open TCP and TLS connection, in no order; fn must not close any. */
void tp_conn_foreach(const struct tp *tp, void (*fn)(void *arg, const struct tp_conn_info *ci),
    void *arg);
/*
 * Why connection conn failed, in words, for the last TP_WHY_KEEP that
 * failed, TCP or TLS: "TLS handshake with 127.0.0.1:5061 failed:
 * certificate verify failed (certificate has expired)", "connect to
 * 127.0.0.1:5060: Connection refused".  0, or -ENOENT (still open, closed
 * without an error, or too long ago).
 */
#define TP_WHY_KEEP 64
int tp_conn_why(const struct tp *tp, uint64_t conn, char *buf, size_t size);
unsigned tp_conn_count(const struct tp *tp); /* TCP and TLS */
unsigned tp_tls_conn_count(const struct tp *tp);
unsigned tp_listener_count(const struct tp *tp);

#endif
