/*
 * tp_int: private to the transport.  Only the tp*.c files include this
 * header (and the framing fuzzer, tests/fuzz/fuzz_frame.c, which drives
 * tp_stream_frame() as the connections do); everyone else uses tp.h.
 *
 * The transport is split by concern, and the files form a stack:
 *   tp.c         the object: options, the listener table and its sockets,
 *                tp_send() routing by protocol, the accessors
 *   tp_udp.c     UDP: the read loop (a cap per wake-up) and sending
 *   tp_stream.c  TCP: accepting, connecting, the connection table and its
 *                bound, reading, CRLF keepalive answers and our pings'
 *                pongs, idle timeouts, send queues.
 *                A connection is a bufferevent, so TLS can reuse all of it
 *                with a filtering bufferevent in place of the socket one.
 *   tp_stream_frame.c  where each message of a stream ends: Content-Length
 *                framing (frame.h), pings and pongs found, on a bare evbuffer
 * tp_udp.c and tp_stream.c call only what this header declares of tp.c
 * (nothing but the shared structs); tp.c calls them through the functions
 * declared below.
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
struct event;
struct evbuffer;
struct htab;

#define TP_NAME_MAX (8 + NET_ADDR_STRLEN)

struct tp_lsn {
	struct tp *tp;
	struct tp_lsn *next;
	enum net_proto proto;
	struct net_addr addr;	/* as bound (getsockname) */
	char name[TP_NAME_MAX]; /* "tcp:127.0.0.1:5060", for logs */
	int fd;
	struct event *ev;      /* UDP: readable */
	struct acceptor *acc;  /* TCP: accepts connections */
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
	char *rxbuf; /* TP_UDP_RXBUF bytes, for every UDP listener */
	/* tp_stream.c's */
	struct htab *by_id, *by_peer;
	uint64_t next_id;
	struct timeval idle_plain;
	const struct timeval *idle_tv; /* a common timeout when libevent has one */
	bool refusing;		       /* at max_tcp_conns; logged once */
};

static inline const char *tp_fmt(const struct net_addr *a, char buf[NET_ADDR_STRLEN])
{
	return net_addr_fmt(a, buf, NET_ADDR_STRLEN);
}

/* ---- tp_udp.c ---- */

#define TP_UDP_RXBUF 65536 /* any UDP datagram fits */

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

#endif
