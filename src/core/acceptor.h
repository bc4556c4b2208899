/*
 * acceptor: accepting connections on a listening socket, for every stream
 * listener of the daemon (SIP over TCP, the control socket).
 *
 * Owns the listening socket's read event, the accept loop (at most burst
 * connections per wake-up, so a flood leaves the loop time for the rest),
 * and the pause when the process or the system is out of descriptors or
 * memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the pending connection would
 * make the socket readable again at once and the loop would spin, so the
 * acceptor stops watching the socket for pause_ms and logs it once until
 * an accept succeeds again.  The connections wait in the kernel's backlog
 * meanwhile.  In the spirit of libevent's evconnlistener, with the pause
 * it lacks.  The socket itself stays the caller's.
 */
#ifndef SIPUAD_ACCEPTOR_H
#define SIPUAD_ACCEPTOR_H

#include <stdbool.h>

struct acceptor;
struct event_base;
struct net_addr;

/*
 * A new connection: fd is non-blocking and close-on-exec and belongs to
 * the callee from here; peer is its address (for a UNIX socket, often
 * unnamed).  The callee must not free the acceptor.
 */
typedef void(acceptor_fn)(void *arg, int fd, const struct net_addr *peer);

struct acceptor_cfg {
	const char *name;  /* for logs, e.g. "tcp:127.0.0.1:5060"; copied */
	unsigned burst;	   /* connections accepted per wake-up; 0: 64 */
	unsigned pause_ms; /* accepting stops this long when out of descriptors; 0: 1000 */
};

/*
 * Start accepting on fd, a listening non-blocking socket that stays the
 * caller's (closed by it after acceptor_free()).  0 or -ENOMEM.
 */
int acceptor_new(struct acceptor **ap, struct event_base *base, int fd,
		 const struct acceptor_cfg *cfg, acceptor_fn *cb, void *arg);
/* Stop accepting; fd stays open.  NULL is a no-op. */
void acceptor_free(struct acceptor *a);
/* In a pause after EMFILE and its kin. */
bool acceptor_paused(const struct acceptor *a);

#endif
