/*
 * rtpport: the pool of local RTP/RTCP port pairs (RFC 3550 §11: RTP on an
 * even port P, RTCP on P + 1).
 *
 * Owns which pairs of [min, max] are ours: one bit per pair, pair i being
 * ports min + 2i and min + 2i + 1, set while the pair is bound by us
 * (handed out, or kept).  The sockets of a pair handed out belong to the
 * caller between rtpport_get() and rtpport_put(); those of a kept pair
 * belong to the pool, on its queue of kept pairs, oldest first (see
 * rtpport.h for why pairs are kept and how many).
 *
 * No SO_REUSEADDR: on Linux it lets two UDP sockets share a port, and the
 * whole point of binding is that EADDRINUSE tells us another process has
 * the port.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/rnd.h"
#include "media/rtpport.h"

#define WORD_BITS	(sizeof(unsigned long) * CHAR_BIT)

#define NO_HOST	UINT8_MAX	/* rtpport_pair.host: not in hosts[], never kept */

/* A pair put back and kept bound, on the pool's queue. */
struct kept {
	struct kept *prev, *next;
	struct rtpport_pair pair;
};

struct rtpport_pool {
	uint16_t min;		/* even: the RTP port of pair 0 */
	unsigned npairs;
	unsigned next;		/* first candidate of the next fresh bind */
	unsigned in_use;
	unsigned n_kept;
	struct kept *head, *tail; /* kept pairs, oldest at head */
	struct kept *free_nodes;  /* the unused ones of node[], through next */
	struct kept node[RTPPORT_KEEP_MAX];
	struct net_addr hosts[RTPPORT_HOSTS]; /* the local hosts seen (port 0) */
	unsigned n_hosts;
	unsigned long *bits;	/* npairs bits, set: ours (handed out or kept) */
	void (*user_free)(void *user);
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
	for (unsigned i = 0; i < RTPPORT_KEEP_MAX; i++) {
		p->node[i].next = p->free_nodes;
		p->free_nodes = &p->node[i];
	}
	/* A random first pair: two daemons on one host, or a restarted one,
	 * do not all start at the bottom of the range. */
	p->next = rnd_uniform(npairs);
	*out = p;
	return 0;
}

void rtpport_pool_set_user_free(struct rtpport_pool *p, void (*fn)(void *user))
{
	if (p)
		p->user_free = fn;
}

/* Close both sockets of a pair (either may be -1), its user's first. */
static void pair_close(const struct rtpport_pool *p, struct rtpport_pair *pair)
{
	if (pair->user && p && p->user_free)
		p->user_free(pair->user);
	pair->user = NULL;
	if (pair->rtp_fd >= 0)
		close(pair->rtp_fd);
	if (pair->rtcp_fd >= 0)
		close(pair->rtcp_fd);
	pair->rtp_fd = pair->rtcp_fd = -1;
}

/* The pair's index in the range, or npairs for a port not of it. */
static unsigned pair_index(const struct rtpport_pool *p, uint16_t port)
{
	if (port < p->min || ((port - p->min) & 1))
		return p->npairs;
	return (unsigned)(port - p->min) / 2 < p->npairs ? (unsigned)(port - p->min) / 2
							  : p->npairs;
}

/* Unlink k from the queue (the caller frees or reuses it). */
static void kept_unlink(struct rtpport_pool *p, struct kept *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		p->head = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		p->tail = k->prev;
	k->prev = k->next = NULL;
	p->n_kept--;
}

/* k's node back to the free ones. */
static void kept_release(struct rtpport_pool *p, struct kept *k)
{
	k->next = p->free_nodes;
	p->free_nodes = k;
}

/* Close the oldest kept pair: its ports are no longer ours. */
static void kept_close_oldest(struct rtpport_pool *p)
{
	struct kept *k = p->head;
	unsigned i = pair_index(p, k->pair.port);

	kept_unlink(p, k);
	pair_close(p, &k->pair);
	if (i < p->npairs)
		bit_clear(p, i);
	kept_release(p, k);
}

void rtpport_pool_free(struct rtpport_pool *p)
{
	if (!p)
		return;
	while (p->head)
		kept_close_oldest(p);
	free(p->bits);
	free(p);
}

/*
 * local's index in hosts[], or NO_HOST; with add, a new one is added while
 * there is room (only addresses a pair was bound on: a bad one takes none).
 */
static uint8_t host_index(struct rtpport_pool *p, const struct net_addr *local, bool add)
{
	struct net_addr a = *local;

	net_addr_set_port(&a, 0);
	for (unsigned i = 0; i < p->n_hosts; i++)
		if (net_addr_eq(&p->hosts[i], &a))
			return (uint8_t)i;
	if (!add || p->n_hosts == RTPPORT_HOSTS)
		return NO_HOST;
	p->hosts[p->n_hosts] = a;
	return (uint8_t)p->n_hosts++;
}

/*
 * Read and drop what is queued on fd, at most RTPPORT_DRAIN_MAX datagrams
 * (a flood then goes on as it would on a fresh port; the media layer
 * copes with strangers' packets).  Truncated reads: the bytes are not
 * wanted.  An error (a pending ICMP one) is consumed like a datagram.
 */
void rtpport_drain_fd(int fd)
{
	char buf[64];

	for (int i = 0; i < RTPPORT_DRAIN_MAX; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
	}
}

/*
 * Drain both sockets of a pair.  One poll(2) first: usually nothing is
 * queued, and then that is the only syscall of the reuse.
 */
static void drain_pair(const struct rtpport_pair *pair)
{
	struct pollfd pf[2] = {{.fd = pair->rtp_fd, .events = POLLIN},
			       {.fd = pair->rtcp_fd, .events = POLLIN}};

	int n = poll(pf, 2, 0);

	if (n == 0)
		return; /* nothing queued */
	for (int i = 0; i < 2; i++)
		if (n < 0 || pf[i].revents) /* poll failed: read both anyway */
			rtpport_drain_fd(pf[i].fd);
}

/*
 * The oldest kept pair bound on hosts[host] into *out, drained.  With
 * depth: only while at least RTPPORT_REUSE_DEPTH are kept.  0 or -ENOENT.
 */
static int kept_take(struct rtpport_pool *p, uint8_t host, bool depth, struct rtpport_pair *out)
{
	struct kept *k;

	if (host == NO_HOST || (depth && p->n_kept < RTPPORT_REUSE_DEPTH))
		return -ENOENT;
	for (k = p->head; k && k->pair.host != host; k = k->next)
		;
	if (!k)
		return -ENOENT;
	kept_unlink(p, k);
	drain_pair(&k->pair);
	*out = k->pair;
	kept_release(p, k);
	p->in_use++;
	return 0;
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

/*
 * A fresh pair, round-robin over the pairs not ours: 0, -ENOSPC (all
 * ours), -EADDRINUSE (every other one held elsewhere), or the first other
 * -errno, at once.
 */
static int fresh_bind(struct rtpport_pool *p, const struct net_addr *local,
		      struct rtpport_pair *out)
{
	bool tried = false;
	int rtp_fd, rtcp_fd, err;

	/* Each pair at most once per call: bounded by the range. */
	for (unsigned k = 0; k < p->npairs; k++) {
		unsigned i = (p->next + k) % p->npairs;
		uint16_t port = (uint16_t)(p->min + 2 * i);

		if (bit_get(p, i))
			continue;
		tried = true;
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
		out->host = host_index(p, local, true);
		out->user = NULL;
		return 0;
	}
	return tried ? -EADDRINUSE : -ENOSPC;
}

int rtpport_get(struct rtpport_pool *p, const struct net_addr *local,
		struct rtpport_pair *out)
{
	int family, err;
	uint8_t host;

	if (!p || !local || !out)
		return -EINVAL;
	family = net_addr_family(local);
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	host = host_index(p, local, false);
	if (kept_take(p, host, true, out) == 0)
		return 0;
	err = fresh_bind(p, local, out);
	if (err == 0 || kept_take(p, host, false, out) == 0)
		return 0;
	/*
	 * Nothing else left in the range but pairs kept on other addresses:
	 * give the oldest of those up and bind its ports afresh.
	 */
	if ((err == -ENOSPC || err == -EADDRINUSE) && p->head) {
		kept_close_oldest(p);
		err = fresh_bind(p, local, out);
	}
	return err;
}

void rtpport_put(struct rtpport_pool *p, struct rtpport_pair *pair)
{
	struct kept *k;
	unsigned i;

	if (!pair)
		return;
	i = p ? pair_index(p, pair->port) : 0;
	if (!p || i >= p->npairs || !bit_get(p, i) || pair->rtp_fd < 0 || pair->rtcp_fd < 0) {
		/* Not a pair of ours handed out: closed, as it always was. */
		pair_close(p, pair);
		if (p && i < p->npairs && bit_get(p, i)) {
			bit_clear(p, i);
			p->in_use--;
		}
		goto out;
	}
	p->in_use--;
	if (pair->host == NO_HOST) {
		pair_close(p, pair); /* on an address the pool cannot tell apart */
		bit_clear(p, i);
		goto out;
	}
	if (p->n_kept == RTPPORT_KEEP_MAX)
		kept_close_oldest(p); /* the cap: the oldest goes, its node is free */
	k = p->free_nodes;
	p->free_nodes = k->next;
	k->pair = *pair;
	k->prev = p->tail;
	k->next = NULL;
	if (p->tail)
		p->tail->next = k;
	else
		p->head = k;
	p->tail = k;
	p->n_kept++;
out:
	pair->rtp_fd = -1;
	pair->rtcp_fd = -1;
	pair->port = 0;
	pair->user = NULL;
}

unsigned rtpport_in_use(const struct rtpport_pool *p)
{
	return p ? p->in_use : 0;
}

unsigned rtpport_kept(const struct rtpport_pool *p)
{
	return p ? p->n_kept : 0;
}

unsigned rtpport_capacity(const struct rtpport_pool *p)
{
	return p ? p->npairs : 0;
}
