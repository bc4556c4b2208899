/*
 * hop: where an out-of-dialog request of ours goes, and where it goes
 * next when that place fails (RFC 3263 §4.3).  The URI the request is
 * sent toward (its first pre-loaded route's, else its Request-URI:
 * preroute.h) is resolved by the daemon's resolver (sip/dns.h) into an
 * ordered list of targets; the owner sends to the first and, on a
 * timeout, a transport error or a 503, moves on to the next with a new
 * request (a new branch):
 *
 *   call sip:bob@example.test
 *     SRV _sip._udp.example.test -> 10 a.example.test, 20 b.example.test
 *   INVITE -> udp:192.0.2.1:5060 (a.example.test)   <- 503
 *   INVITE -> udp:192.0.2.2:5060 (b.example.test)   <- 180, 200
 *
 * Once a target has answered with a provisional response, the owner
 * stays with it (the request reached a server that works on it).
 *
 * Without a resolver (the unit tests; a daemon whose c-ares could not
 * start) only IP literal URIs can be sent to: their one target is known
 * at once (msg_uri_dest()), without a callback.
 *
 * A hop is embedded in its owner (a call, a ping) and ends with
 * hop_close(), which cancels a resolution in progress: the callback never
 * comes after it.  A zeroed hop is closed already.
 */
#ifndef SIPUAD_HOP_H
#define SIPUAD_HOP_H

#include <stdbool.h>
#include <stddef.h>

#include "sip/dest.h"
#include "sip/dns.h"

/*
 * A resolution ended: err 0, hop_target() is the first target; err < 0
 * (dns.h's codes), why is the resolver's line for a human ("no such
 * domain: x.example.test (NXDOMAIN)"), valid during the call.  From the
 * event loop, never inside hop_resolve().  The owner may close or
 * resolve again from inside it.
 */
typedef void(hop_done_fn)(void *arg, int err, const char *why);

struct hop {
	struct dns *dns; /* borrowed; NULL: IP literals only */
	hop_done_fn *done;
	void *arg;
	char *uri;	      /* what was resolved (owned); NULL: nothing yet */
	struct dns_query *q;  /* the resolution in progress */
	struct dns_target *t; /* the targets, in order (owned) */
	size_t n, cur;
};

/* Set up h (embedded in its owner); dns may be NULL. */
void hop_init(struct hop *h, struct dns *dns, hop_done_fn *done, void *arg);
/* Cancel a resolution in progress and forget the targets. */
void hop_close(struct hop *h);

/*
 * Resolve uri (a sip: URI), forgetting the targets of before:
 *   0   with a resolver: resolving, done() follows from the loop
 *   1   without one: uri is an IP literal, its target is hop_target()
 *   -errno with why (may be NULL): the URI refused at once (dns.h's
 *       dns_resolve_uri(), or msg_uri_dest() without a resolver:
 *       -EINVAL, -EPROTONOSUPPORT), -EBUSY (too many resolutions), -ENOMEM
 */
int hop_resolve(struct hop *h, const char *uri, char *why, size_t whylen);
/* A resolution is in progress. */
bool hop_resolving(const struct hop *h);
/* The target to send to now; NULL: none (not resolved, or none left). */
const struct dns_target *hop_target(const struct hop *h);
/* Move on to the next target: it, or NULL when none is left. */
const struct dns_target *hop_next(struct hop *h);
/*
 * Where t sends: proto, address and, for TLS, the name the server's
 * certificate must carry (dns_target_dest()), the rest zeroed.  0.
 */
int hop_dest(const struct dns_target *t, struct sip_dest *d, char *why, size_t whylen);
/* t for a log line: "udp:192.0.2.1:5060 (a.example.test)"; buf returned. */
const char *hop_name(const struct dns_target *t, char *buf, size_t size);

#endif
