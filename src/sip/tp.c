/*
 * tp: SIP transports, UDP, TCP and TLS over IPv4 and IPv6 (RFC 3261 §18,
 * §26.3.1).
 *
 * This file owns the transport object: its options, counters and
 * callbacks, the listeners (struct tp_lsn, a list in the order they were
 * made, so "the first listener" means the first configured) and their
 * sockets, and tp_send(), which routes by protocol.  The datagram side is
 * tp_udp.c, the stream side (TCP and TLS connections, their framing,
 * keepalives, handshake and idle timeouts and bound) tp_stream.c, what
 * TLS connections share (OpenSSL's contexts, the checks) tp_tls.c;
 * tp_int.h is what they share.
 *
 * Callbacks (recv, conn_cb, pong_cb) run only from the event loop, never
 * from inside a tp_*() call.  Inside them every tp_*() call is allowed
 * except tp_free(): the transport must not be freed from its own
 * callback (nor a connection closed from a callback about it).  Only
 * tp_free() and tp_conn_close() close without a conn_cb call.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/acceptor.h"
#include "core/log.h"
#include "sip/tp_int.h"

/* Connections wait here while the loop is busy; the kernel caps it at net.core.somaxconn. */
#define TP_BACKLOG SOMAXCONN

/* ---- listeners ------------------------------------------------------ */

static void lsn_free(struct tp_lsn *l)
{
	if (!l)
		return;
	if (l->ev)
		event_free(l->ev);
	acceptor_free(l->acc);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

/* A bound, non-blocking socket (listening for TCP and TLS).  0 or -errno. */
static int lsn_socket(enum net_proto proto, const struct net_addr *a, int *fdp)
{
	int fam = net_addr_family(a);
	int type = proto == NET_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int on = 1, fd, err = 0;

	if (fam != AF_INET && fam != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Best effort: a smaller buffer than asked is no reason not to listen. */
	if (proto == NET_UDP)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){TP_UDP_RCVBUF}, sizeof(int));
	/* V6ONLY: udp:0.0.0.0:5060 and udp:[::]:5060 can both be listened on. */
	if ((fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    (proto != NET_UDP && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    (proto != NET_UDP && listen(fd, TP_BACKLOG) < 0)) {
		err = -errno;
		close(fd);
		goto out;
	}
	*fdp = fd;
out:
	return err;
}

/* ---- interface ------------------------------------------------------ */

int tp_new(struct tp **tpp, struct event_base *base, const struct tp_opts *o, tp_recv_fn *recv,
	   tp_conn_fn *conn_cb, void *arg, struct stats *st)
{
	struct tp *tp = calloc(1, sizeof(*tp));
	int err = -ENOMEM;

	if (!tp)
		goto out;
	tp->base = base;
	tp->recv = recv;
	tp->conn_cb = conn_cb;
	tp->arg = arg;
	tp->st = st ? st : &tp->st_none;
	/* 1 MiB of address space; only the pages datagrams fill get resident. */
	tp->rxbuf = malloc((size_t)TP_UDP_BATCH * TP_UDP_RXBUF);
	if (!tp->rxbuf)
		goto out;
	err = tp_stream_init(tp);
	if (err)
		goto out;
	err = tp_tls_init(tp);
	if (err)
		goto out;
	tp_set_opts(tp, o);
	*tpp = tp;
	tp = NULL;
out:
	tp_free(tp);
	return err;
}

void tp_free(struct tp *tp)
{
	struct tp_lsn *l;

	if (!tp)
		return;
	tp_stream_fini(tp);
	tp_tls_fini(tp); /* after the connections: their SSLs came from it */
	while ((l = tp->lsn)) {
		tp->lsn = l->next;
		lsn_free(l);
	}
	free(tp->rxbuf);
	free(tp);
}

void tp_set_opts(struct tp *tp, const struct tp_opts *o)
{
	tp->o = *o;
	tp_stream_set_opts(tp);
}

void tp_set_pong_cb(struct tp *tp, tp_pong_fn *pong)
{
	tp->pong_cb = pong;
}

int tp_listen(struct tp *tp, enum net_proto proto, const struct net_addr *a, struct net_addr *bound)
{
	struct tp_lsn *l = calloc(1, sizeof(*l)), **pp;
	int err = -ENOMEM, k;

	if (!l)
		goto out;
	l->tp = tp;
	l->proto = proto;
	l->fd = -1;
	if (proto == NET_TLS && (err = tp_tls_can_listen(tp)) < 0)
		goto out;
	err = lsn_socket(proto, a, &l->fd);
	if (err)
		goto out;
	l->addr.len = sizeof(l->addr.ss);
	if (getsockname(l->fd, (struct sockaddr *)&l->addr.ss, &l->addr.len) < 0) {
		err = -errno;
		goto out;
	}
	k = snprintf(l->name, sizeof(l->name), "%s:", net_proto_name(proto));
	net_addr_fmt(&l->addr, l->name + k, sizeof(l->name) - (size_t)k);
	err = proto == NET_UDP ? tp_udp_start(l) : tp_stream_start(l);
	if (err)
		goto out;
	for (pp = &tp->lsn; *pp; pp = &(*pp)->next)
		;
	*pp = l;
	tp->n_lsn++;
	if (bound)
		*bound = l->addr;
	log_debug("%s: listening", l->name);
	l = NULL;
	err = 0;
out:
	lsn_free(l);
	return err;
}

int tp_send(struct tp *tp, struct sip_dest *d, const char *buf, size_t len)
{
	return d->proto == NET_UDP ? tp_udp_send(tp, d, buf, len) : tp_stream_send(tp, d, buf, len);
}

int tp_ping(struct tp *tp, struct sip_dest *d)
{
	return d->proto == NET_UDP ? tp_udp_send(tp, d, "\r\n", 2) : tp_stream_ping(tp, d);
}

int tp_conn_close(struct tp *tp, uint64_t conn)
{
	return tp_stream_close(tp, conn);
}

int tp_local(const struct tp *tp, enum net_proto proto, int family, struct net_addr *out)
{
	const struct tp_lsn *l;

	for (l = tp->lsn; l; l = l->next) {
		if (l->proto == proto && net_addr_family(&l->addr) == family) {
			*out = l->addr;
			return 0;
		}
	}
	return -ENOENT;
}

bool tp_conn_alive(const struct tp *tp, uint64_t conn)
{
	return tp_stream_alive(tp, conn);
}

unsigned tp_conn_count(const struct tp *tp)
{
	return tp_stream_count(tp);
}

unsigned tp_listener_count(const struct tp *tp)
{
	return tp->n_lsn;
}
