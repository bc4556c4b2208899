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
 *     hands them back with rtpport_put(), with no socket option or
 *     connect() of its own, and no libevent event left on them but those
 *     it keeps in the pair's user (below): the pool may keep them open for
 *     the next call.  Never close them yourself: the pool would keep the
 *     pair marked as ours.
 *
 * Pairs kept bound.  Opening and binding two sockets per call, then
 * closing them, was six syscalls per call; a released pair therefore
 * stays bound in the pool ("kept") and is handed out again as it is.
 *   - Kept pairs are reused oldest first (a queue), and only while at
 *     least RTPPORT_REUSE_DEPTH are kept: a pair just released is the last
 *     of them to be reused, after RTPPORT_REUSE_DEPTH - 1 others at least;
 *     with fewer kept, a fresh pair is bound (below).
 *   - On reuse, whatever was queued on the two sockets meanwhile (late
 *     packets of the ended call) is read and dropped, at most
 *     RTPPORT_DRAIN_MAX datagrams per socket, so none reaches the new call.
 *   - The pool keeps at most RTPPORT_KEEP_MAX pairs (2 fds each); a put
 *     beyond that closes the oldest kept pair.  A fixed bound rather than
 *     one that follows the peak: the fds a daemon holds beyond its calls'
 *     own stay at most 2 * RTPPORT_KEEP_MAX, during a burst and after it,
 *     whatever the peak (LimitNOFILE keeps its margin).  At a steady call
 *     rate the kept pairs hover between RTPPORT_REUSE_DEPTH and the cap,
 *     and almost every call reuses one; only swings of the number of
 *     calls wider than that bind or close.
 *   - A kept pair is bound on one local address; a get on another address
 *     skips it (it is closed first if the range has nothing else left).
 *     The pool tells up to RTPPORT_HOSTS local addresses apart; pairs on
 *     further ones are closed when put back, as they always were.
 *   - rtpport_pool_free() closes the kept pairs.
 *
 * Choice of a fresh pair: the first candidate of a pool is a random pair,
 * then the pool goes round-robin from the pair after the last one bound.
 * A pair another process holds (EADDRINUSE on either port) is skipped.
 * Each call tries every pair of the range at most once, so it is bounded
 * by the range size.  When no fresh pair can be bound (the range is all
 * ours, or the fds ran out), a kept pair is reused even below the depth.
 * No logging here: the caller decides what a failure means.
 */
#ifndef SIPUAD_RTPPORT_H
#define SIPUAD_RTPPORT_H

#include <stdint.h>

#include "core/net.h"

#define RTPPORT_MIN_DEFAULT	20000
#define RTPPORT_MAX_DEFAULT	29999

#define RTPPORT_REUSE_DEPTH	16	/* kept pairs before one is reused */
#define RTPPORT_KEEP_MAX	64	/* kept pairs at most */
#define RTPPORT_DRAIN_MAX	64	/* stale datagrams read per socket on reuse */
#define RTPPORT_HOSTS		8	/* local addresses whose pairs are kept */

struct rtpport_pool;

/* One pair handed out by rtpport_get(); the fds are the caller's. */
struct rtpport_pair {
	int rtp_fd;		/* bound to port */
	int rtcp_fd;		/* bound to port + 1 */
	uint16_t port;		/* the RTP port, even; 0: no pair */
	uint8_t host;		/* the pool's: which local host it is bound on */
	/*
	 * The caller's, kept with the pair: what rtpport_put() is given here
	 * comes back from the rtpport_get() that hands the same pair out
	 * again (NULL from a fresh bind); the pool's user_free gets it when it
	 * closes the pair instead.  The media layer keeps the pair's libevent
	 * events here, registered all along (see media.c).
	 */
	void *user;
};


/*
 * A pool over [min, max].  An odd min is rounded up to even; the range
 * must then hold at least one pair (P even, P + 1 <= max).  0, or -EINVAL
 * (min or max 0, min > max, no pair fits), or -ENOMEM.  *out is written
 * only on success and is the caller's, to rtpport_pool_free().
 */
int rtpport_pool_new(struct rtpport_pool **out, uint16_t min, uint16_t max);
/* What frees a pair's user (above) when the pool closes the pair; NULL: nothing. */
void rtpport_pool_set_user_free(struct rtpport_pool *p, void (*fn)(void *user));

/*
 * Free the pool and close the pairs it keeps.  NULL is a no-op.  Pairs
 * still held by callers are not closed (their fds are the callers'); put
 * them back first.
 */
void rtpport_pool_free(struct rtpport_pool *p);

/*
 * A pair on local's address (its port is ignored), kept or freshly bound,
 * with nothing queued on it; *out written only on success.  0, or:
 *   -ENOSPC       every pair of the range is in use (handed out);
 *   -EADDRINUSE   every pair not ours was held by another process;
 *   -EINVAL       p, local or out NULL, or local has no address;
 *   -errno        any other socket() / bind() error (EACCES, EAFNOSUPPORT,
 *                 EADDRNOTAVAIL for an address that is not local, EMFILE)
 *                 when no kept pair on that address is left either.
 */
int rtpport_get(struct rtpport_pool *p, const struct net_addr *local,
		struct rtpport_pair *out);

/*
 * Take pair back: kept bound for a later get, or closed beyond the cap
 * (see above).  The pair is reset (fds -1, port 0), so a second put is a
 * no-op.  pair NULL is a no-op.  A pair not from rtpport_get() must have
 * its fds at -1.
 */
void rtpport_put(struct rtpport_pool *p, struct rtpport_pair *pair);
/*
 * Read and drop what is queued on fd, at most RTPPORT_DRAIN_MAX datagrams:
 * what a kept pair's sockets do with what arrives (on reuse here, and in
 * the media layer's events while kept).
 */
void rtpport_drain_fd(int fd);

/* Pairs handed out and not yet put back. */
unsigned rtpport_in_use(const struct rtpport_pool *p);

/* Pairs put back and kept bound (2 fds each). */
unsigned rtpport_kept(const struct rtpport_pool *p);

/* Pairs in the range (the most rtpport_in_use() can reach). */
unsigned rtpport_capacity(const struct rtpport_pool *p);

#endif
