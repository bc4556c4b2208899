/*
 * tp_stream: SIP over TCP (RFC 3261 §18), the transport's stream side.
 *
 * Owns the TCP connections (struct tp_conn, accepted or outgoing, found by
 * id and by peer address in two hashes), accepting them on the TCP
 * listeners, their bufferevents, idle timers, read buffers and send
 * queues, the bound on how many there are (max_tcp_conns: an accepted one
 * over it is closed at once, an outgoing one fails with -EMFILE), and the
 * framing of what they read.  Nothing outside holds a connection pointer:
 * callers name a connection by its id, which is never reused.  A
 * connection is a bufferevent: TLS can reuse everything here with a
 * filtering bufferevent over the socket one.  What they read is framed
 * by tp_stream_frame.c.
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

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/acceptor.h"
#include "core/htab.h"
#include "core/log.h"
#include "sip/tp_int.h"

#define TP_ACCEPT_BURST 64     /* connections accepted per wake-up */
#define TP_OUTQ_MAX (4u << 20) /* bytes queued on one connection */
#define TP_PAUSE_MS 1000       /* accept pause after EMFILE / ENFILE */
#define TP_KEY_MAX 24	       /* proto, family, port, address, scope */

enum conn_state {
	CONN_CONNECTING, /* outgoing, connect(2) in progress */
	CONN_OPEN,
	CONN_CLOSING, /* framing lost: flush the queue, then close */
};

struct tp_conn {
	struct tp *tp;
	uint64_t id;	 /* also the by_id key */
	char handle[24]; /* "tcp7" */
	enum conn_state state;
	int close_err; /* CONN_CLOSING: for conn_cb */
	struct net_addr peer, local;
	struct bufferevent *bev; /* owns the socket */
	struct event *idle;	 /* idle, connect and linger bound */
	struct htab_node by_id, by_peer;
	bool in_id, in_peer;
	char key[TP_KEY_MAX];
	size_t keylen;
	struct tp_framer fr; /* the message at the head of the input */
};

/* ---- addresses ------------------------------------------------------ */

/* Hash key for a TCP peer: proto, family, port, address, scope. 0: no key. */
static size_t addr_key(const struct net_addr *a, char key[TP_KEY_MAX])
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;

	key[0] = (char)NET_TCP;
	key[1] = (char)net_addr_family(a);
	if (a->len >= sizeof(*s4) && s4->sin_family == AF_INET) {
		memcpy(key + 2, &s4->sin_port, 2);
		memcpy(key + 4, &s4->sin_addr, 4);
		return 8;
	}
	if (a->len >= sizeof(*s6) && s6->sin6_family == AF_INET6) {
		memcpy(key + 2, &s6->sin6_port, 2);
		memcpy(key + 4, &s6->sin6_addr, 16);
		memcpy(key + 20, &s6->sin6_scope_id, 4);
		return 24;
	}
	return 0;
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

/* An open or opening connection to a (whichever side opened it). */
static struct tp_conn *conn_by_peer(const struct tp *tp, const struct net_addr *a)
{
	char key[TP_KEY_MAX];
	size_t n = addr_key(a, key);
	struct htab_node *h = n ? htab_find(tp->by_peer, key, n) : NULL;

	for (; h; h = htab_find_next(tp->by_peer, h)) {
		struct tp_conn *c = container_of(h, struct tp_conn, by_peer);

		if (c->state != CONN_CLOSING)
			return c;
	}
	return NULL;
}

/* Restart the idle bound: any byte in or out counts as activity. */
static void conn_touch(struct tp_conn *c)
{
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
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

/* Free c, then tell the owner of the id (RFC 3261 §17.1.4). */
static void conn_close(struct tp_conn *c, int err)
{
	struct tp *tp = c->tp;
	uint64_t id = c->id;

	conn_free(c);
	if (tp->conn_cb)
		tp->conn_cb(tp->arg, id, err);
}

static void conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_conn *c = arg;
	char a[NET_ADDR_STRLEN];

	switch (c->state) {
	case CONN_CONNECTING:
		log_info("%s: connect to %s timed out", c->handle, tp_fmt(&c->peer, a));
		conn_close(c, -ETIMEDOUT);
		break;
	case CONN_CLOSING:
		log_info("%s: %s does not read, closing", c->handle, tp_fmt(&c->peer, a));
		conn_close(c, c->close_err);
		break;
	case CONN_OPEN:
		log_debug("%s: idle for %u s, closing", c->handle, c->tp->o.tcp_idle_s);
		c->tp->st->tcp_idle_closed++;
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
	pkt.src.proto = NET_TCP;
	pkt.src.addr = c->peer;
	pkt.src.local = c->local;
	pkt.src.conn = c->id;
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
}

/* Called when the send queue has drained. */
static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct tp_conn *c = arg;

	if (c->state == CONN_CLOSING)
		conn_close(c, c->close_err);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tp_conn *c = arg;
	int e = EVUTIL_SOCKET_ERROR(); /* before anything can change it */
	char a[NET_ADDR_STRLEN];
	int err;

	if (what & BEV_EVENT_CONNECTED) {
		c->state = CONN_OPEN;
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		conn_touch(c);
		log_debug("%s: connected to %s", c->handle, tp_fmt(&c->peer, a));
		return;
	}
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING)) {
		log_debug("%s: closed by %s", c->handle, tp_fmt(&c->peer, a));
		conn_close(c, 0);
		return;
	}
	err = e > 0 ? -e : -ECONNRESET;
	log_info("%s: %s %s: %s", c->handle,
		 c->state == CONN_CONNECTING ? "connect to" : "connection with",
		 tp_fmt(&c->peer, a), strerror(-err));
	conn_close(c, err);
}

/*
 * A connection around fd (always taken over: closed on failure), in both
 * hashes, with its idle timer running.  The caller then enables reading
 * (accepted) or starts the connect (outgoing).  0 or -ENOMEM.
 */
static int conn_new(struct tp *tp, int fd, const struct net_addr *peer, enum conn_state state,
		    struct tp_conn **cp)
{
	struct tp_conn *c = calloc(1, sizeof(*c));
	int err = -ENOMEM;

	if (!c)
		goto out;
	c->tp = tp;
	c->id = tp->next_id++;
	snprintf(c->handle, sizeof(c->handle), "tcp%" PRIu64, c->id);
	c->fr.name = c->handle;
	c->fr.st = tp->st;
	c->state = state;
	c->peer = *peer;
	c->local.len = sizeof(c->local.ss);
	if (getsockname(fd, (struct sockaddr *)&c->local.ss, &c->local.len) < 0)
		c->local.len = 0;
	c->bev = bufferevent_socket_new(tp->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		goto out;
	fd = -1;
	c->idle = evtimer_new(tp->base, conn_idle_cb, c);
	if (!c->idle)
		goto out;
	c->keylen = addr_key(peer, c->key);
	err = htab_insert(tp->by_id, &c->by_id, (const char *)&c->id, sizeof(c->id));
	if (err)
		goto out;
	c->in_id = true;
	err = htab_insert(tp->by_peer, &c->by_peer, c->key, c->keylen);
	if (err)
		goto out;
	c->in_peer = true;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, tp->o.max_msg);
	conn_touch(c);
	*cp = c;
	c = NULL;
out:
	if (fd >= 0)
		close(fd);
	conn_free(c);
	return err;
}

/*
 * Open a non-blocking connection to `to`; data can be queued at once.
 * 0, -EMFILE (max_tcp_conns), -EAFNOSUPPORT, or connect(2)'s -errno.
 */
static int conn_connect(struct tp *tp, const struct net_addr *to, struct tp_conn **cp)
{
	int fam = net_addr_family(to);
	struct tp_conn *c = NULL;
	int fd, err;

	if (htab_count(tp->by_id) >= tp->o.max_tcp_conns)
		return -EMFILE;
	if (fam != AF_INET && fam != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	tcp_nodelay(fd);
	if (connect(fd, (const struct sockaddr *)&to->ss, to->len) < 0 && errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = conn_new(tp, fd, to, CONN_CONNECTING, &c);
	if (err)
		goto out;
	/* No address: libevent takes the socket as already connecting. */
	if (bufferevent_socket_connect(c->bev, NULL, 0) < 0) {
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

	bufferevent_setwatermark(c->bev, EV_READ, 0, c->tp->o.max_msg);
}

static void conn_free_node(struct htab_node *n, void *arg)
{
	conn_free(container_of(n, struct tp_conn, by_id));
}

/* ---- accepting ------------------------------------------------------ */

/* An accepted socket (acceptor.h): taken, or refused at max_tcp_conns. */
static void lsn_take(void *arg, int fd, const struct net_addr *peer)
{
	struct tp_lsn *l = arg;
	struct tp *tp = l->tp;
	struct tp_conn *c;
	char a[NET_ADDR_STRLEN];

	if (htab_count(tp->by_id) >= tp->o.max_tcp_conns) {
		close(fd);
		tp->st->tcp_refused++;
		if (!tp->refusing)
			log_warn("%s: connection limit (%u) reached, refusing new connections",
				 l->name, tp->o.max_tcp_conns);
		tp->refusing = true;
		return;
	}
	tp->refusing = false;
	tcp_nodelay(fd);
	if (conn_new(tp, fd, peer, CONN_OPEN, &c) < 0) {
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
	if (!c)
		c = conn_by_peer(tp, &d->addr);
	if (!c) {
		err = conn_connect(tp, &d->addr, &c);
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
