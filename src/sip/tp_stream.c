/*
 * tp_stream: SIP over TCP and TLS (RFC 3261 §18, §26.3.1), the
 * transport's stream side.
 *
 * Owns the connections (struct tp_conn, accepted or outgoing, found by id
 * and by peer in two hashes), accepting them on the TCP and TLS
 * listeners, their bufferevents, idle timers, read buffers and send
 * queues, the bound on how many there are (max_tcp_conns, TCP and TLS
 * together: an accepted one over it is closed at once, an outgoing one
 * fails with -EMFILE), and the framing of what they read
 * (tp_stream_frame.c).  Nothing outside holds a connection pointer:
 * callers name a connection by its id, which is never reused.
 *
 * A connection is a bufferevent: a socket one for TCP, an OpenSSL one
 * around the socket for TLS (tp_tls.c makes its SSL and judges its
 * handshake); framing, keepalives, idle close and bounds are the same for
 * both.  Its states:
 *
 *   CONNECTING  TCP, outgoing: connect(2) runs, bounded by tcp_idle_s
 *   HANDSHAKE   TLS: (outgoing: connect, then) the handshake, bounded by
 *               handshake_timeout_s from the start, whatever comes in or
 *               goes out meanwhile; what is sent is queued until it is done
 *   OPEN        messages flow; closed after tcp_idle_s without a byte
 *   CLOSING     the framing is lost: the queue is flushed, then it
 *               closes (bounded by tcp_idle_s too)
 *
 * The peer hash key is the protocol, the address and, for TLS, the server
 * name the connection was checked against ("" for an accepted one and for
 * one opened toward an address), so TCP and TLS to one address are
 * different connections, and one checked for name A never carries a
 * request meant for name B.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctype.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "core/acceptor.h"
#include "core/htab.h"
#include "core/log.h"
#include "core/why.h"
#include "sip/tp_int.h"

/* Lines peers cause, rate-limited (log.h); stats counts each class. */
static struct log_rl rl_conn_failed =
    LOG_RL_INIT("tcp_conn_failed", "TCP connections failed", LOG_RL_PEER);
static struct log_rl rl_not_reading =
    LOG_RL_INIT("tcp_not_reading", "TCP peers closed for not reading", LOG_RL_PEER);
static struct log_rl rl_conn_limit =
    LOG_RL_INIT("tcp_limit", "TCP connection-limit warnings", LOG_RL_PEER);

#define TP_ACCEPT_BURST 64     /* connections accepted per wake-up */
#define TP_OUTQ_MAX (4u << 20) /* bytes queued on one connection */
#define TP_PAUSE_MS 1000       /* accept pause after EMFILE / ENFILE */
#define TP_KEY_ADDR 24	       /* proto, family, port, address, scope */

/* A peer's key: the address's, then a TLS server name. */
#define TP_KEY_MAX (TP_KEY_ADDR + SIP_DEST_HOST_MAX)

enum conn_state {
	CONN_CONNECTING, /* TCP, outgoing: connect(2) in progress */
	CONN_HANDSHAKE,	 /* TLS: (connect and) handshake in progress */
	CONN_OPEN,
	CONN_CLOSING, /* framing lost: flush the queue, then close */
};

struct tp_conn {
	struct tp *tp;
	uint64_t id;	 /* also the by_id key */
	char handle[24]; /* "tcp7", "tls8" */
	enum net_proto proto;
	bool outgoing;
	enum conn_state state;
	int close_err; /* CONN_CLOSING: for conn_cb */
	struct net_addr peer, local;
	struct bufferevent *bev; /* owns the socket (and the SSL) */
	struct event *idle;	 /* idle, connect, handshake and linger bound */
	struct tp_tls_peer *tls; /* TLS: tp_tls.c's part; NULL for TCP */
	struct htab_node by_id, by_peer;
	bool in_id, in_peer;
	struct tp_framer fr; /* the message at the head of the input */
	size_t keylen;
	char key[]; /* by_peer's */
};

/* What a new connection is to be. */
struct conn_how {
	enum net_proto proto;
	bool outgoing;
	const struct net_addr *peer;
	const char *host; /* TLS, outgoing: the server name; "" the address */
};

/* ---- addresses ------------------------------------------------------ */

/*
 * Hash key for a peer: proto, family, port, address, scope, then for TLS
 * the server name, lower case (DNS names compare so).  0: no key.
 */
static size_t peer_key(enum net_proto proto, const struct net_addr *a, const char *host,
		       char key[TP_KEY_MAX])
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	size_t n = 0;

	key[0] = (char)proto;
	key[1] = (char)net_addr_family(a);
	if (a->len >= sizeof(*s4) && s4->sin_family == AF_INET) {
		memcpy(key + 2, &s4->sin_port, 2);
		memcpy(key + 4, &s4->sin_addr, 4);
		n = 8;
	} else if (a->len >= sizeof(*s6) && s6->sin6_family == AF_INET6) {
		memcpy(key + 2, &s6->sin6_port, 2);
		memcpy(key + 4, &s6->sin6_addr, 16);
		memcpy(key + 20, &s6->sin6_scope_id, 4);
		n = 24;
	}
	for (size_t i = 0; n && proto == NET_TLS && i < SIP_DEST_HOST_MAX - 1 && host[i]; i++)
		key[n++] = (char)tolower((unsigned char)host[i]);
	return n;
}

static void tcp_nodelay(int fd)
{
	int on = 1;

	/* Best effort: a message is written whole, Nagle only delays it. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* ---- connections ---------------------------------------------------- */

static struct tp_conn *conn_by_id(const struct tp *tp, uint64_t id)
{
	struct htab_node *n;

	if (id == 0)
		return NULL;
	n = htab_find(tp->by_id, (const char *)&id, sizeof(id));
	return n ? container_of(n, struct tp_conn, by_id) : NULL;
}

/* An open or opening connection of proto to a, checked for host if TLS. */
static struct tp_conn *conn_by_peer(const struct tp *tp, enum net_proto proto,
				    const struct net_addr *a, const char *host)
{
	char key[TP_KEY_MAX];
	size_t n = peer_key(proto, a, host, key);
	struct htab_node *h = n ? htab_find(tp->by_peer, key, n) : NULL;

	for (; h; h = htab_find_next(tp->by_peer, h)) {
		struct tp_conn *c = container_of(h, struct tp_conn, by_peer);

		if (c->state != CONN_CLOSING)
			return c;
	}
	return NULL;
}

/*
 * d->conn names c: fine if c is of d's protocol and, outgoing TLS, was
 * checked for d's name (or d names none: an answer on the connection).
 * An accepted one is the caller's choice of flow (RFC 3261 §18.2.2).
 */
static bool conn_fits(const struct tp_conn *c, const struct sip_dest *d)
{
	if (c->proto != d->proto)
		return false;
	if (!c->tls || !c->outgoing || d->host[0] == '\0')
		return true;
	return strcasecmp(c->tls->host, d->host) == 0;
}

static struct ssl_st *conn_ssl(const struct tp_conn *c)
{
	return c->tls ? bufferevent_openssl_get_ssl(c->bev) : NULL;
}

/*
 * Restart the idle bound: any byte in or out counts as activity.  Not in
 * a handshake, whose bound runs from its start (conn_new()).
 */
static void conn_touch(struct tp_conn *c)
{
	if (c->state == CONN_HANDSHAKE)
		return;
	if (c->tp->o.tcp_idle_s > 0)
		evtimer_add(c->idle, c->tp->idle_tv);
	else
		evtimer_del(c->idle);
}

/* Releases everything; no callback.  NULL is a no-op. */
static void conn_free(struct tp_conn *c)
{
	if (!c)
		return;
	if (c->in_id)
		htab_remove(c->tp->by_id, &c->by_id);
	if (c->in_peer)
		htab_remove(c->tp->by_peer, &c->by_peer);
	if (c->idle)
		event_free(c->idle);
	if (c->tls) {
		tp_tls_peer_free(c->tls, conn_ssl(c));
		c->tp->n_tls--;
	}
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

/* We end an open connection in order: TLS says so first (close_notify). */
static void conn_bye(struct tp_conn *c)
{
	if (c->tls && c->state != CONN_HANDSHAKE)
		tp_tls_bye(conn_ssl(c));
}

/*
 * Free c, then tell the owner of the id (RFC 3261 §17.1.4).  A failure's
 * why (NULL: the errno's words) is kept for tp_conn_why().
 */
static void conn_close_why(struct tp_conn *c, int err, const char *why)
{
	struct tp *tp = c->tp;
	uint64_t id = c->id;
	char a[NET_ADDR_STRLEN], buf[WHY_MSG_MAX];

	if (err && !why) {
		snprintf(buf, sizeof(buf), "connection with %s: %s", tp_fmt(&c->peer, a),
			 strerror(-err));
		why = buf;
	}
	if (err)
		tp_why_add(tp, id, why);
	conn_free(c);
	if (tp->conn_cb)
		tp->conn_cb(tp->arg, id, err);
}

static void conn_close(struct tp_conn *c, int err)
{
	conn_close_why(c, err, NULL);
}

static void conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_conn *c = arg;
	char a[NET_ADDR_STRLEN], why[WHY_MSG_MAX];
	int err;

	switch (c->state) {
	case CONN_CONNECTING:
		log_rl_info(&rl_conn_failed, "%s: connect to %s timed out", c->handle,
			    tp_fmt(&c->peer, a));
		conn_close(c, -ETIMEDOUT);
		break;
	case CONN_HANDSHAKE:
		/* Bounded: a peer that connects and says nothing holds nothing for long. */
		err = tp_tls_timed_out(c->tls, why, sizeof(why));
		conn_close_why(c, err, why);
		break;
	case CONN_CLOSING:
		log_rl_info(&rl_not_reading, "%s: %s does not read, closing", c->handle,
			    tp_fmt(&c->peer, a));
		conn_close(c, c->close_err);
		break;
	case CONN_OPEN:
		log_debug("%s: idle for %u s, closing", c->handle, c->tp->o.tcp_idle_s);
		c->tp->st->tcp_idle_closed++;
		conn_bye(c);
		conn_close(c, 0);
		break;
	}
}

/* Queue bytes, within the send queue bound.  0, -ENOBUFS or -ENOMEM. */
static int conn_write(struct tp_conn *c, const char *buf, size_t len)
{
	size_t queued = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (len > TP_OUTQ_MAX || queued > TP_OUTQ_MAX - len)
		return -ENOBUFS;
	if (bufferevent_write(c->bev, buf, len) < 0)
		return -ENOMEM;
	conn_touch(c);
	return 0;
}

/*
 * Deliver the first n bytes of the input as one message, then drop them.
 * The recv callback may send on this connection; it may not free tp.
 * 0 or -ENOMEM.
 */
static int conn_up(struct tp_conn *c, struct evbuffer *in, size_t n, bool oversize)
{
	struct tp *tp = c->tp;
	struct tp_pkt pkt = {.len = n, .oversize = oversize};

	pkt.buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	if (!pkt.buf)
		return -ENOMEM;
	pkt.src.proto = c->proto;
	pkt.src.addr = c->peer;
	pkt.src.local = c->local;
	pkt.src.conn = c->id;
	/* What came on a checked connection names its server, so answers go back on it. */
	if (c->tls && c->outgoing)
		memcpy(pkt.src.host, c->tls->host, sizeof(pkt.src.host));
	tp->recv(tp->arg, &pkt);
	evbuffer_drain(in, n);
	return 0;
}

/* One framing step. 1: go on; 0: wait (or closing); <0: close with it. */
static int conn_step(struct tp_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct tp_frame fr;
	int r;

	if (c->state != CONN_OPEN)
		return 0;
	r = tp_stream_frame(&c->fr, in, c->tp->o.max_msg, &fr);
	if (r <= 0)
		return r;
	if (fr.skip) {
		evbuffer_drain(in, fr.skip);
		if (fr.ping && conn_write(c, "\r\n", 2) == 0)
			log_debug("%s: keepalive ping answered", c->handle);
		if (fr.pong) {
			log_debug("%s: keepalive pong", c->handle);
			if (c->tp->pong_cb)
				c->tp->pong_cb(c->tp->arg, c->id);
		}
		return 1;
	}
	if (fr.len == 0)
		return fr.err; /* framing lost, nothing to deliver: close now */
	if ((r = conn_up(c, in, fr.len, fr.oversize)) < 0)
		return r;
	if (fr.err == 0)
		return 1;
	/* Framing lost: close once the answer to what went up is sent. */
	c->state = CONN_CLOSING;
	c->close_err = fr.err;
	return 0;
}

/* Framing lost: read no more, close when the queue is empty. */
static void conn_linger(struct tp_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	bufferevent_disable(c->bev, EV_READ);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_close(c, c->close_err);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct tp_conn *c = arg;
	int r;

	conn_touch(c);
	do
		r = conn_step(c);
	while (r > 0);
	if (r < 0)
		conn_close(c, r);
	else if (c->state == CONN_CLOSING)
		conn_linger(c);
	else if (c->tls)
		tp_tls_idle(conn_ssl(c));
}

/* Called when the send queue has drained. */
static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct tp_conn *c = arg;

	if (c->state == CONN_CLOSING)
		conn_close(c, c->close_err);
}

/* TCP connected, or the TLS handshake done: messages may flow. */
static void conn_opened(struct tp_conn *c)
{
	char a[NET_ADDR_STRLEN];

	if (c->tls)
		tp_tls_done(c->tls, conn_ssl(c));
	else
		log_debug("%s: connected to %s", c->handle, tp_fmt(&c->peer, a));
	c->state = CONN_OPEN;
	/* What was queued meanwhile goes out now. */
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_touch(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tp_conn *c = arg;
	int e = EVUTIL_SOCKET_ERROR(); /* before anything can change it */
	char a[NET_ADDR_STRLEN], why[WHY_MSG_MAX];
	int err;

	if (what & BEV_EVENT_CONNECTED) {
		conn_opened(c);
		return;
	}
	/* TLS: every error, and an end before the handshake is done. */
	if (c->tls && (c->state == CONN_HANDSHAKE || !(what & BEV_EVENT_EOF))) {
		err = tp_tls_failed(c->tls, bev, (what & BEV_EVENT_EOF) ? 0 : e, why, sizeof(why));
		conn_close_why(c, err, why);
		return;
	}
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING)) {
		log_debug("%s: closed by %s", c->handle, tp_fmt(&c->peer, a));
		/*
		 * Their close_notify answered with ours (RFC 8446 §6.1): also,
		 * OpenSSL forgets a session whose SSL is freed without having
		 * sent one, and the next connection could not resume it.
		 */
		conn_bye(c);
		conn_close(c, 0);
		return;
	}
	err = e > 0 ? -e : -ECONNRESET;
	snprintf(why, sizeof(why), "%s %s: %s",
		 c->state == CONN_CONNECTING ? "connect to" : "connection with",
		 tp_fmt(&c->peer, a), strerror(-err));
	log_rl_info(&rl_conn_failed, "%s: %s", c->handle, why);
	conn_close_why(c, err, why);
}

/* c's bufferevent around fd (always taken over: closed on failure).  0 or -errno. */
static int conn_bev(struct tp_conn *c, int fd, const struct conn_how *h)
{
	struct tp *tp = c->tp;
	struct ssl_st *ssl;
	int err;

	if (h->proto != NET_TLS) {
		c->bev = bufferevent_socket_new(tp->base, fd, BEV_OPT_CLOSE_ON_FREE);
		err = c->bev ? 0 : -ENOMEM;
		goto out;
	}
	err = tp_tls_ssl_new(tp, h->outgoing, h->peer, h->host, &c->tls, &ssl);
	if (err)
		goto out;
	c->tls->handle = c->handle;
	tp->n_tls++;
	/* The handshake starts as the loop runs (outgoing: once connect(2) is done). */
	c->bev = bufferevent_openssl_socket_new(
	    tp->base, fd, ssl, h->outgoing ? BUFFEREVENT_SSL_CONNECTING : BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	err = c->bev ? 0 : -ENOMEM; /* on failure it freed the SSL, not the socket */
out:
	if (err)
		close(fd);
	return err;
}

/*
 * A connection around fd (always taken over: closed on failure), in both
 * hashes, with its idle (TLS: handshake) timer running.  The caller then
 * enables it, or (TCP, outgoing) starts the connect.  0 or -errno.
 */
static int conn_new(struct tp *tp, int fd, const struct conn_how *h, struct tp_conn **cp)
{
	char key[TP_KEY_MAX];
	size_t keylen = peer_key(h->proto, h->peer, h->outgoing ? h->host : "", key);
	struct tp_conn *c = calloc(1, sizeof(*c) + keylen);
	int err = -ENOMEM;

	if (!c) {
		close(fd);
		goto out;
	}
	c->tp = tp;
	c->id = tp->next_id++;
	snprintf(c->handle, sizeof(c->handle), "%s%" PRIu64, net_proto_name(h->proto), c->id);
	c->fr.name = c->handle;
	c->fr.st = tp->st;
	c->proto = h->proto;
	c->outgoing = h->outgoing;
	if (h->proto == NET_TLS)
		c->state = CONN_HANDSHAKE;
	else
		c->state = h->outgoing ? CONN_CONNECTING : CONN_OPEN;
	c->peer = *h->peer;
	c->local.len = sizeof(c->local.ss);
	if (getsockname(fd, (struct sockaddr *)&c->local.ss, &c->local.len) < 0)
		c->local.len = 0;
	memcpy(c->key, key, keylen);
	c->keylen = keylen;
	err = conn_bev(c, fd, h);
	if (err)
		goto out;
	err = -ENOMEM;
	c->idle = evtimer_new(tp->base, conn_idle_cb, c);
	if (!c->idle)
		goto out;
	err = htab_insert(tp->by_id, &c->by_id, (const char *)&c->id, sizeof(c->id));
	if (err)
		goto out;
	c->in_id = true;
	err = htab_insert(tp->by_peer, &c->by_peer, c->key, c->keylen);
	if (err)
		goto out;
	c->in_peer = true;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	/*
	 * TCP reads stop at max_msg unconsumed.  Not TLS: OpenSSL's
	 * bufferevent may then keep decrypted bytes that no socket event
	 * brings out (libevent 2.1); the framing bounds the input anyway.
	 */
	if (!c->tls)
		bufferevent_setwatermark(c->bev, EV_READ, 0, tp->o.max_msg);
	if (c->tls)
		evtimer_add(c->idle, tp_tls_hs_bound(tp));
	conn_touch(c);
	*cp = c;
	c = NULL;
out:
	conn_free(c);
	return err;
}

/*
 * Open a non-blocking connection toward d; data can be queued at once.
 * 0, -EMFILE (max_tcp_conns), -EAFNOSUPPORT, -EPROTONOSUPPORT (TLS
 * before tp_tls_set()), or connect(2)'s -errno.
 */
static int conn_connect(struct tp *tp, const struct sip_dest *d, struct tp_conn **cp)
{
	const struct conn_how h = {d->proto, true, &d->addr, d->host};
	int fam = net_addr_family(&d->addr);
	struct tp_conn *c = NULL;
	int fd, err;

	if (htab_count(tp->by_id) >= tp->o.max_tcp_conns)
		return -EMFILE;
	if (fam != AF_INET && fam != AF_INET6)
		return -EAFNOSUPPORT;
	if (d->proto == NET_TLS && tp_tls_can_listen(tp) == -ENOPROTOOPT)
		return -EPROTONOSUPPORT;
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	tcp_nodelay(fd);
	if (connect(fd, (const struct sockaddr *)&d->addr.ss, d->addr.len) < 0 &&
	    errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = conn_new(tp, fd, &h, &c);
	if (err)
		goto out;
	if (c->tls) {
		/* The handshake waits for the socket to be writable: connected. */
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	} else if (bufferevent_socket_connect(c->bev, NULL, 0) < 0) {
		/* No address: libevent takes the socket as already connecting. */
		conn_free(c);
		err = -ENOMEM;
		goto out;
	}
	*cp = c;
out:
	return err;
}

/* Each option takes effect now, also on the open connections. */
static void conn_apply_opts(struct htab_node *n, void *arg)
{
	struct tp_conn *c = container_of(n, struct tp_conn, by_id);

	if (!c->tls)
		bufferevent_setwatermark(c->bev, EV_READ, 0, c->tp->o.max_msg);
}

static void conn_free_node(struct htab_node *n, void *arg)
{
	struct tp_conn *c = container_of(n, struct tp_conn, by_id);

	conn_bye(c);
	conn_free(c);
}

/* ---- accepting ------------------------------------------------------ */

/* An accepted socket (acceptor.h): taken, or refused at max_tcp_conns. */
static void lsn_take(void *arg, int fd, const struct net_addr *peer)
{
	struct tp_lsn *l = arg;
	struct tp *tp = l->tp;
	const struct conn_how h = {l->proto, false, peer, ""};
	struct tp_conn *c;
	char a[NET_ADDR_STRLEN];

	if (htab_count(tp->by_id) >= tp->o.max_tcp_conns) {
		close(fd);
		tp->st->tcp_refused++;
		if (!tp->refusing)
			log_rl_warn(&rl_conn_limit,
				    "%s: connection limit (%u) reached, refusing new connections",
				    l->name, tp->o.max_tcp_conns);
		tp->refusing = true;
		return;
	}
	tp->refusing = false;
	tcp_nodelay(fd);
	if (conn_new(tp, fd, &h, &c) < 0) {
		log_warn("%s: out of memory, connection from %s dropped", l->name, tp_fmt(peer, a));
		return;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	tp->st->tcp_accepted++;
	log_debug("%s: accepted from %s on %s", c->handle, tp_fmt(peer, a), l->name);
}

/* ---- for tp.c (tp_int.h) -------------------------------------------- */

int tp_stream_init(struct tp *tp)
{
	int err;

	tp->next_id = 1;
	if ((err = htab_new(&tp->by_id)) < 0)
		return err;
	return htab_new(&tp->by_peer);
}

void tp_stream_fini(struct tp *tp)
{
	if (tp->by_id)
		htab_foreach(tp->by_id, conn_free_node, NULL);
	htab_free(tp->by_id);
	htab_free(tp->by_peer);
	tp->by_id = tp->by_peer = NULL;
}

void tp_stream_set_opts(struct tp *tp)
{
	tp->idle_plain.tv_sec = tp->o.tcp_idle_s;
	tp->idle_plain.tv_usec = 0;
	/* Every connection's idle timer has this one duration: O(1) re-arm. */
	tp->idle_tv =
	    tp->o.tcp_idle_s > 0 ? event_base_init_common_timeout(tp->base, &tp->idle_plain) : NULL;
	if (!tp->idle_tv)
		tp->idle_tv = &tp->idle_plain;
	htab_foreach(tp->by_id, conn_apply_opts, NULL);
}

int tp_stream_start(struct tp_lsn *l)
{
	struct acceptor_cfg ac = {
	    .name = l->name, .burst = TP_ACCEPT_BURST, .pause_ms = TP_PAUSE_MS};

	return acceptor_new(&l->acc, l->tp->base, l->fd, &ac, lsn_take, l);
}

int tp_stream_send(struct tp *tp, struct sip_dest *d, const char *buf, size_t len)
{
	struct tp_conn *c = conn_by_id(tp, d->conn);
	int err;

	if (len > TP_OUTQ_MAX)
		return -ENOBUFS;
	if (c && !conn_fits(c, d))
		c = NULL;
	if (!c)
		c = conn_by_peer(tp, d->proto, &d->addr, d->host);
	if (!c) {
		err = conn_connect(tp, d, &c);
		if (err)
			return err;
	}
	err = conn_write(c, buf, len);
	if (err == 0)
		d->conn = c->id;
	return err;
}

int tp_stream_ping(struct tp *tp, struct sip_dest *d)
{
	int err = tp_stream_send(tp, d, "\r\n\r\n", 4);
	struct tp_conn *c;

	if (err == 0 && (c = conn_by_id(tp, d->conn)))
		c->fr.pongs++;
	return err;
}

int tp_stream_close(struct tp *tp, uint64_t conn)
{
	struct tp_conn *c = conn_by_id(tp, conn);

	if (!c)
		return -ENOENT;
	log_debug("%s: closing", c->handle);
	conn_bye(c);
	conn_free(c);
	return 0;
}

bool tp_stream_alive(const struct tp *tp, uint64_t conn)
{
	return conn_by_id(tp, conn) != NULL;
}

unsigned tp_stream_count(const struct tp *tp)
{
	return (unsigned)htab_count(tp->by_id);
}

/* ---- connection facts (tp.h) ---------------------------------------- */

static void conn_info(const struct tp_conn *c, struct tp_conn_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->id = c->id;
	ci->proto = c->proto;
	ci->outgoing = c->outgoing;
	ci->peer = c->peer;
	ci->local = c->local;
	if (c->tls)
		tp_tls_info(c->tls, conn_ssl(c), c->state != CONN_HANDSHAKE, ci);
}

int tp_conn_info(const struct tp *tp, uint64_t conn, struct tp_conn_info *out)
{
	const struct tp_conn *c = conn_by_id(tp, conn);

	if (!c)
		return -ENOENT;
	conn_info(c, out);
	return 0;
}

struct foreach_arg {
	void (*fn)(void *arg, const struct tp_conn_info *ci);
	void *arg;
};

static void conn_info_node(struct htab_node *n, void *arg)
{
	const struct foreach_arg *fa = arg;
	struct tp_conn_info ci;

	conn_info(container_of(n, struct tp_conn, by_id), &ci);
	fa->fn(fa->arg, &ci);
}

void tp_conn_foreach(const struct tp *tp, void (*fn)(void *arg, const struct tp_conn_info *ci),
		     void *arg)
{
	struct foreach_arg fa = {fn, arg};

	htab_foreach(tp->by_id, conn_info_node, &fa);
}

unsigned tp_tls_conn_count(const struct tp *tp)
{
	return tp->n_tls;
}
