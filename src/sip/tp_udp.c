/*
 * tp_udp: SIP over UDP (RFC 3261 §18.1.1, §18.2.1), the transport's
 * datagram side.
 *
 * Owns reading the UDP listeners' sockets and sending from them.  One
 * datagram is one message.  A datagram of CR/LF bytes only is a keepalive
 * (RFC 5626 §4.4.1) and is ignored.  A datagram over max_msg goes up as its
 * header block alone with oversize set (the message layer answers 513);
 * without a header block it is counted (rx_oversize) and dropped.  A
 * response leaves from the listener the request came in on (d->local), so
 * the peer sees it from the address it sent to.
 *
 * Reading costs few syscalls: one recvmmsg(2) takes up to TP_UDP_BATCH
 * datagrams, each into a slot of tp->rxbuf big enough for any datagram,
 * and they go up one by one in arrival order.  A batch that comes back
 * short means the socket was empty, so no further read is tried (the
 * level-triggered event comes back when more arrive).  Reads stop after
 * TP_UDP_BURST datagrams per wake-up, so a flood on one listener leaves
 * the loop time for the others and for timers.  The slots' pages are
 * touched only as far as datagrams fill them: small SIP messages keep
 * the resident cost at a page or two per slot.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <event2/event.h>

#include "core/log.h"
#include "sip/tp_int.h"

#define TP_UDP_BURST (4 * TP_UDP_BATCH) /* datagrams read per wake-up */

/* A datagram of n bytes is at buf (a slot of tp->rxbuf). */
static void udp_deliver(struct tp_lsn *l, char *buf, size_t n, const struct net_addr *peer)
{
	struct tp *tp = l->tp;
	size_t skip = frame_skip_crlf(buf, n);
	struct tp_pkt pkt = {.buf = buf + skip, .len = n - skip};
	struct frame_info fi;
	char a[NET_ADDR_STRLEN];

	if (pkt.len == 0)
		return; /* empty, or a CRLF keepalive */
	if (pkt.len > tp->o.max_msg) {
		if (frame_scan(pkt.buf, pkt.len, pkt.len, &fi) != 0) {
			log_debug("%s: %zu-byte datagram from %s without headers, dropped", l->name,
				  n, tp_fmt(peer, a));
			tp->st->rx_oversize++;
			return;
		}
		pkt.len = fi.hdr_len;
		pkt.oversize = true;
	}
	pkt.src.proto = NET_UDP;
	pkt.src.addr = *peer;
	pkt.src.local = l->addr;
	pkt.src.conn = 0;
	tp->recv(tp->arg, &pkt);
}

/*
 * One recvmmsg(2) into the slots: the number of datagrams read, datagram
 * i in slot i, from peers[i], len[i] bytes long.  0 when the socket is
 * empty or failed (logged at debug; the event comes back).
 */
static int udp_read_batch(struct tp_lsn *l, struct net_addr *peers, size_t *len)
{
	struct mmsghdr mm[TP_UDP_BATCH];
	struct iovec iov[TP_UDP_BATCH];
	int n;

	for (int i = 0; i < TP_UDP_BATCH; i++) {
		iov[i].iov_base = l->tp->rxbuf + (size_t)i * TP_UDP_RXBUF;
		iov[i].iov_len = TP_UDP_RXBUF;
		mm[i].msg_hdr = (struct msghdr){.msg_name = &peers[i].ss,
						.msg_namelen = sizeof(peers[i].ss),
						.msg_iov = &iov[i],
						.msg_iovlen = 1};
		mm[i].msg_len = 0;
	}
	do
		n = recvmmsg(l->fd, mm, TP_UDP_BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_debug("%s: recvmmsg: %s", l->name, strerror(errno));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		peers[i].len = mm[i].msg_hdr.msg_namelen;
		len[i] = mm[i].msg_len;
	}
	return n;
}

/* Read until empty, at most TP_UDP_BURST datagrams so others get a turn. */
static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_lsn *l = arg;

	(void)fd, (void)what;
	for (int got = 0; got < TP_UDP_BURST;) {
		struct net_addr peers[TP_UDP_BATCH];
		size_t len[TP_UDP_BATCH];
		int n = udp_read_batch(l, peers, len);

		for (int i = 0; i < n; i++)
			udp_deliver(l, l->tp->rxbuf + (size_t)i * TP_UDP_RXBUF, len[i], &peers[i]);
		if (n < TP_UDP_BATCH)
			return; /* the socket was empty (or failed) */
		got += n;
	}
}

int tp_udp_start(struct tp_lsn *l)
{
	l->ev = event_new(l->tp->base, l->fd, EV_READ | EV_PERSIST, udp_read_cb, l);
	if (!l->ev || event_add(l->ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* The UDP listener to send from: bound to d->local, else the first of the family. */
static const struct tp_lsn *udp_lsn_for(const struct tp *tp, const struct sip_dest *d)
{
	const struct tp_lsn *l, *first = NULL;
	int fam = net_addr_family(&d->addr);

	for (l = tp->lsn; l; l = l->next) {
		if (l->proto != NET_UDP || net_addr_family(&l->addr) != fam)
			continue;
		if (d->local.len > 0 && net_addr_eq(&l->addr, &d->local))
			return l;
		if (!first)
			first = l;
	}
	return first;
}

int tp_udp_send(struct tp *tp, const struct sip_dest *d, const char *buf, size_t len)
{
	const struct tp_lsn *l = udp_lsn_for(tp, d);

	if (!l)
		return -EAFNOSUPPORT;
	if (sendto(l->fd, buf, len, 0, (const struct sockaddr *)&d->addr.ss, d->addr.len) >= 0)
		return 0;
	/* A full socket buffer drops the datagram, as the network would. */
	return errno == EAGAIN || errno == EWOULDBLOCK ? -ENOBUFS : -errno;
}
