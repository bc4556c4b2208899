/*
 * rtpport: the pool of local RTP/RTCP port pairs.
 *
 * Every port sipuad puts in an SDP m= line must be a socket it really
 * holds, taken from the configured range [rtp_port_min, rtp_port_max]
 * (defaults 20000..29999), so that the port cannot be taken by another
 * process between the offer and the first packet.  A pair is an even port
 * P for RTP and P + 1 for RTCP (RFC 3550 §11), both UDP sockets bound,
 * non-blocking and close-on-exec, on one local address (IPv4 or IPv6).
 *
 * Ownership:
 *   - the pool owns which pairs are ours (a bitmap, one bit per pair), so
 *     two calls of this daemon never get the same pair;
 *   - the caller owns the two fds of a pair from rtpport_get() until it
 *     hands them back with rtpport_put(), which closes them and frees the
 *     pair.  Never close them yourself: the pool would keep the pair
 *     marked as ours.
 *
 * Choice of a pair: the first candidate of a pool is a random pair, then
 * the pool goes round-robin from the pair after the last one handed out.
 * A pair just released is therefore the last to be reused, which keeps
 * late packets of an ended call away from the next one.  A pair another
 * process holds (EADDRINUSE on either port) is skipped.  Each call tries
 * every pair of the range at most once, so it is bounded by the range
 * size.  No logging here: the caller decides what a failure means.
 */
#ifndef SIPUAD_RTPPORT_H
#define SIPUAD_RTPPORT_H

#include <stdint.h>

#include "core/net.h"

#define RTPPORT_MIN_DEFAULT	20000
#define RTPPORT_MAX_DEFAULT	29999

struct rtpport_pool;

/* One pair handed out by rtpport_get(); the fds are the caller's. */
struct rtpport_pair {
	int rtp_fd;		/* bound to port */
	int rtcp_fd;		/* bound to port + 1 */
	uint16_t port;		/* the RTP port, even; 0: no pair */
};

/*
 * A pool over [min, max].  An odd min is rounded up to even; the range
 * must then hold at least one pair (P even, P + 1 <= max).  0, or -EINVAL
 * (min or max 0, min > max, no pair fits), or -ENOMEM.  *out is written
 * only on success and is the caller's, to rtpport_pool_free().
 */
int rtpport_pool_new(struct rtpport_pool **out, uint16_t min, uint16_t max);

/*
 * Free the pool.  NULL is a no-op.  Pairs still held by callers are not
 * closed (their fds are the callers'); put them back first.
 */
void rtpport_pool_free(struct rtpport_pool *p);

/*
 * Bind a free pair on local's address (its port is ignored) and fill
 * *out (written only on success).  0, or:
 *   -ENOSPC       every pair of the range is ours (in use by this pool);
 *   -EADDRINUSE   every pair not ours was held by another process;
 *   -EINVAL       p, local or out NULL, or local has no address;
 *   -errno        any other socket() / bind() error (EACCES, EAFNOSUPPORT,
 *                 EADDRNOTAVAIL for an address that is not local, EMFILE),
 *                 returned at once without trying other pairs.
 */
int rtpport_get(struct rtpport_pool *p, const struct net_addr *local,
		struct rtpport_pair *out);

/*
 * Close both sockets of pair and mark it free in the pool; the pair is
 * reset (fds -1, port 0), so a second put is a no-op.  pair NULL is a
 * no-op.  A pair not from rtpport_get() must have its fds at -1.
 */
void rtpport_put(struct rtpport_pool *p, struct rtpport_pair *pair);

/* Pairs handed out and not yet put back. */
unsigned rtpport_in_use(const struct rtpport_pool *p);

/* Pairs in the range (the most rtpport_in_use() can reach). */
unsigned rtpport_capacity(const struct rtpport_pool *p);

#endif
