/*
 * rtpport: the pool of local RTP/RTCP port pairs (RFC 3550 §11: RTP on an
 * even port P, RTCP on P + 1).
 *
 * Owns which pairs of [min, max] are ours: one bit per pair, pair i being
 * ports min + 2i and min + 2i + 1.  The sockets themselves belong to the
 * caller between rtpport_get() and rtpport_put() (see rtpport.h).
 *
 * No SO_REUSEADDR: on Linux it lets two UDP sockets share a port, and the
 * whole point of binding is that EADDRINUSE tells us another process has
 * the port.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/rnd.h"
#include "media/rtpport.h"

#define WORD_BITS	(sizeof(unsigned long) * CHAR_BIT)

struct rtpport_pool {
	uint16_t min;		/* even: the RTP port of pair 0 */
	unsigned npairs;
	unsigned next;		/* first candidate of the next get */
	unsigned in_use;
	unsigned long *bits;	/* npairs bits, set: ours */
};

static bool bit_get(const struct rtpport_pool *p, unsigned i)
{
	return p->bits[i / WORD_BITS] & (1UL << (i % WORD_BITS));
}

static void bit_set(struct rtpport_pool *p, unsigned i)
{
	p->bits[i / WORD_BITS] |= 1UL << (i % WORD_BITS);
}

static void bit_clear(struct rtpport_pool *p, unsigned i)
{
	p->bits[i / WORD_BITS] &= ~(1UL << (i % WORD_BITS));
}

int rtpport_pool_new(struct rtpport_pool **out, uint16_t min, uint16_t max)
{
	struct rtpport_pool *p;
	unsigned lo = min, npairs;

	if (!out || min == 0 || max == 0 || min > max)
		return -EINVAL;
	lo += lo & 1;			/* odd min: round up to even */
	if (lo + 1 > max)
		return -EINVAL;		/* no P, P + 1 fits */
	npairs = ((unsigned)max - lo + 1) / 2;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->bits = calloc((npairs + WORD_BITS - 1) / WORD_BITS, sizeof(*p->bits));
	if (!p->bits) {
		free(p);
		return -ENOMEM;
	}
	p->min = (uint16_t)lo;
	p->npairs = npairs;
	/* A random first pair: two daemons on one host, or a restarted one,
	 * do not all start at the bottom of the range. */
	p->next = rnd_uniform(npairs);
	*out = p;
	return 0;
}

void rtpport_pool_free(struct rtpport_pool *p)
{
	if (!p)
		return;
	free(p->bits);
	free(p);
}

/* A UDP socket bound to local's host and port: an fd, or -errno. */
static int bind_udp(const struct net_addr *local, uint16_t port)
{
	struct net_addr a = *local;
	int fd, err;

	fd = socket(net_addr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	net_addr_set_port(&a, port);
	if (bind(fd, (const struct sockaddr *)&a.ss, a.len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Bind both ports of the pair at rtp: 0 or -errno, fds set only on 0. */
static int bind_pair(const struct net_addr *local, uint16_t rtp, int *rtp_fd, int *rtcp_fd)
{
	int a, b;

	a = bind_udp(local, rtp);
	if (a < 0)
		return a;
	b = bind_udp(local, (uint16_t)(rtp + 1));
	if (b < 0) {
		close(a);
		return b;
	}
	*rtp_fd = a;
	*rtcp_fd = b;
	return 0;
}

int rtpport_get(struct rtpport_pool *p, const struct net_addr *local,
		struct rtpport_pair *out)
{
	unsigned k, i;
	bool tried = false;
	int family, rtp_fd, rtcp_fd, err;
	uint16_t port;

	if (!p || !local || !out)
		return -EINVAL;
	family = net_addr_family(local);
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;

	/* Each pair at most once per call: bounded by the range. */
	for (k = 0; k < p->npairs; k++) {
		i = (p->next + k) % p->npairs;
		if (bit_get(p, i))
			continue;
		tried = true;
		port = (uint16_t)(p->min + 2 * i);
		err = bind_pair(local, port, &rtp_fd, &rtcp_fd);
		if (err == -EADDRINUSE)
			continue;	/* another process has it */
		if (err < 0)
			return err;
		bit_set(p, i);
		p->in_use++;
		p->next = (i + 1) % p->npairs;
		out->rtp_fd = rtp_fd;
		out->rtcp_fd = rtcp_fd;
		out->port = port;
		return 0;
	}
	return tried ? -EADDRINUSE : -ENOSPC;
}

void rtpport_put(struct rtpport_pool *p, struct rtpport_pair *pair)
{
	unsigned i;

	if (!pair)
		return;
	if (pair->rtp_fd >= 0)
		close(pair->rtp_fd);
	if (pair->rtcp_fd >= 0)
		close(pair->rtcp_fd);
	if (p && pair->port >= p->min && !((pair->port - p->min) & 1)) {
		i = (unsigned)(pair->port - p->min) / 2;
		if (i < p->npairs && bit_get(p, i)) {
			bit_clear(p, i);
			p->in_use--;
		}
	}
	pair->rtp_fd = -1;
	pair->rtcp_fd = -1;
	pair->port = 0;
}

unsigned rtpport_in_use(const struct rtpport_pool *p)
{
	return p ? p->in_use : 0;
}

unsigned rtpport_capacity(const struct rtpport_pool *p)
{
	return p ? p->npairs : 0;
}
