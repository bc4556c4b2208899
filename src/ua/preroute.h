/*
 * preroute: the pre-loaded route set of our out-of-dialog requests (RFC
 * 3261 §8.1.2): the INVITE that starts a call, OPTIONS.  An account may
 * name one (account_routes(): the Service-Route its registrar gave, else
 * its outbound proxy); the request then carries it as Route headers, in
 * order, and goes to the first route's URI, while its Request-URI stays
 * the target:
 *
 *   [account alice] outbound_proxy = sip:192.0.2.5
 *   call sip:bob@192.0.2.9
 *
 *   INVITE sip:bob@192.0.2.9 SIP/2.0          sent to udp:192.0.2.5:5060
 *   Route: <sip:192.0.2.5;lr>
 *
 * Without a route set the request goes to its Request-URI, as always.
 * Either URI may name a host: the daemon's resolver finds where it goes
 * (RFC 3263, hop.h); preroute_dest() is the synchronous form for IP
 * literals, used when there is no resolver.
 * Every route is taken as a loose router (;lr, §19.1.1): the outbound
 * proxy is made one (account.h), and a registrar's Service-Route names
 * loose routers (RFC 3608 §6).  In-dialog requests follow their dialog's
 * route set instead (sess_dest()).
 */
#ifndef SIPUAD_PREROUTE_H
#define SIPUAD_PREROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "sip/dest.h"
#include "core/why.h"
#include "sip/msg.h"

struct account;

/*
 * Where an out-of-dialog request of a to ruri goes first: the URI of a's
 * first route, else ruri, as msg_uri_dest() reads it (d->local zeroed).
 * 0 with *d; -errno from msg_uri_dest() or msg_route_uri() with why (may
 * be NULL) naming what was unusable: "route <sip:p.example;lr> of account
 * 'alice': host 'p.example' is not an IP address ...".
 */
int preroute_dest(const struct account *a, const char *ruri, struct sip_dest *d, char *why,
		  size_t whylen);
/*
 * The URI an out-of-dialog request of a to ruri is sent toward: the URI of
 * a's first route, else ruri, with ";transport=" of the account's
 * transport added when it sets one and the URI names none (RFC 3263 §4.1:
 * what is resolved, not what is sent); malloc'd into *urip.  0; -EINVAL with why
 * (may be NULL): "route <x> of account 'alice': not a name-addr with a SIP
 * URI"; -ENOMEM.
 */
int preroute_hop_uri(const struct account *a, const char *ruri, char **urip, char *why,
		     size_t whylen);
/* a's first route (a Route value, "<sip:p.example;lr>"), or NULL: none. */
const char *preroute_first(const struct account *a);
/* Whether a has a route set (its requests go to a proxy, not their Request-URI). */
bool preroute_any(const struct account *a);
/* Add a's route set to m as Route headers, in order.  0, -EINVAL, -ENOMEM (msg_add_route()). */
int preroute_add(const struct account *a, struct sip_msg *m);

/*
 * The URI of a request of a's as far as it can be judged before the
 * request exists.  Without a resolver: an IP literal we can send to, and
 * so a's first route (§8.1.2; WHY_FAILED: the account's fault, not the
 * URI's).  With one, and a route: a sip: URI the proxy can take (the
 * resolution of the route's URI judges the rest, as that of uri does
 * without a route).  arg names the argument the URI came in ("to",
 * "uri").  0, or -errno with why.
 */
int preroute_check(const struct account *a, const char *uri, bool resolver, const char *arg,
		   struct why *why);

#endif
