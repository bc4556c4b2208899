/*
 * options: the OPTIONS "SIP ping" behind the control command `options URI`.
 *
 * Owns the pings in flight.  Each is one OPTIONS request (RFC 3261 §11)
 * out of any dialog, sent on a non-INVITE client transaction of the
 * transaction layer, and ends in exactly one done() callback: with the
 * final response's code, reason and round-trip time, or, when no response
 * came, with the status §8.1.3.1 says to act on: 408 for a timeout
 * (Timer F) and 503 for a transport error, marked local.
 *
 *   sipuactl options sip:127.0.0.1:5062
 *   OPTIONS sip:127.0.0.1:5062 SIP/2.0            -->  o17
 *   (Timer E resends at 0.5, 1.5, 3.5, 7.5, 11.5 s ... on UDP)
 *   <-- SIP/2.0 100 Trying                             ignored
 *   <-- SIP/2.0 200 OK   Server: x                     done: 200 OK, 7 ms
 *   (none by 64*T1 = 32 s: Timer F)                    done: 408, local
 *
 * A ping is sent from an account (the default one unless named): its
 * From, its pre-loaded route set (preroute.h: the request then goes to the
 * first route, its Request-URI stays the URI), and its credentials for a
 * 401 / 407 (§22.2, cred.h), answered by sending the OPTIONS again:
 *
 *   OPTIONS sip:pbx (CSeq 1)                    -->
 *   <-- 407 Proxy-Authenticate: Digest realm="pbx" ...
 *   OPTIONS sip:pbx (CSeq 2) + Proxy-Authorization  -->
 *   <-- 200 OK                                       done: 200 OK
 *
 * done() has the final response to the last OPTIONS sent; a challenge
 * that cannot be answered (the account has no password, the same realm
 * refused the credentials, ...) ends the ping with the challenge's code
 * and, as reason, what cred.h says ("wrong credentials: realm "pbx"
 * refused user "alice"").
 *
 * With a resolver (options_env.dns), the URI (or the account's first
 * route) may name a host: the OPTIONS go when it is resolved, to its
 * first target, and, on a timeout (Timer F), a transport error or a 503
 * before any provisional response, to the next target with the same
 * request (CSeq + 1, a new branch), RFC 3263 §4.3.  A name that does not
 * resolve ends the ping with 503, local, and the resolver's words
 * ("no such domain: x.example.test (NXDOMAIN)"):
 *
 *   sipuactl options sip:example.test
 *   (SRV _sip._udp.example.test: a.example.test, then b.example.test)
 *   OPTIONS -> udp:192.0.2.1:5060   <-- 503         next target
 *   OPTIONS -> udp:192.0.2.2:5060   <-- 200 OK      done: 200 OK
 *
 * Round-trip time is measured on the daemon's monotonic clock in
 * microseconds (tmr_now_us) and given in milliseconds with that precision;
 * on the fake clock of the unit tests it is exact whole milliseconds.  It
 * is the round trip of the last OPTIONS sent (after a challenge: the
 * authenticated one).
 */
#ifndef SIPUAD_OPTIONS_H
#define SIPUAD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/net.h"
#include "core/why.h"

struct account;
struct dns;
struct options;
struct tmr_clock;
struct tsx_layer;

/* What the module needs from the daemon; copied by options_new(). */
struct options_env {
	struct tsx_layer *tsx;
	struct tmr_clock *clk;
	/*
	 * Our address for proto and family (AF_INET / AF_INET6): the listener
	 * the request leaves from and that Via names (tp_local()).  0 or -errno.
	 */
	int (*local)(void *arg, enum net_proto proto, int family, struct net_addr *out);
	void *local_arg;
	/* The User-Agent value is the transaction layer's (tsx_layer_cfg()). */
	/*
	 * Who pings (account.h: the From): borrowed, it must outlive the
	 * module.  NULL: the default account, made and owned by the module.
	 */
	const struct account *account;
	/*
	 * The account named name (options_send()), or NULL if there is none;
	 * name NULL asks for the default one (NULL back: `account` above).
	 * Borrowed: a ping holds it (account_hold()) until it ends.  fn NULL:
	 * `account` is the only one, and its name the only one known.
	 */
	struct account *(*account_find)(void *arg, const char *name);
	void *account_arg;
	/*
	 * RFC 3263: where a ping goes (the account's first route's URI, else
	 * its URI) is resolved by it, and its targets are tried in order
	 * (hop.h).  NULL: IP literals only, sent from inside options_send()
	 * (the unit tests; no c-ares).
	 */
	struct dns *dns;
};

/* How a ping ended. */
struct options_result {
	char handle[16]; /* "o17", as in the log */
	int code;	 /* final status; 408 / 503 when local; 0 on -ECANCELED */
	/*
	 * Reason phrase of the response, or of the local code; for a
	 * challenge that could not be answered, why (cred.h's words).
	 */
	char reason[160];
	double rtt_ms;	 /* send to final response (local: to the failure), whole ms */
	/*
	 * true: no response; the code was made up here per §8.1.3.1: 408
	 * when Timer F fired (err -ETIMEDOUT), 503 for a transport error
	 * (err -ECONNREFUSED, -ECONNRESET, -ENETUNREACH, ...).
	 */
	bool local;
	/*
	 * 0 when a response arrived; -ECANCELED: options_free(); for a name
	 * that did not resolve, or no target that could be sent to, the
	 * resolver's (dns.h) or the sending's code, with code 503 and the
	 * reason saying why.
	 */
	int err;
	char dest[64];	  /* "udp:127.0.0.1:5062" */
	char server[128]; /* Server header of the response, else User-Agent; "" */
};

/* r is valid only during the call. */
typedef void (options_done_fn)(void *arg, const struct options_result *r);

/* 0, -EINVAL (env lacks tsx, clk or local), -ENOMEM. */
int options_new(struct options **op, const struct options_env *env);
/*
 * Every ping still in flight has its transaction detached (it runs out
 * silently on its own timers) and gets done() with err -ECANCELED, code 0,
 * local true; then o is freed.  Call it before tsx_layer_free().  NULL is
 * a no-op.
 */
void options_free(struct options *o);

/*
 * Ping uri from account (NULL: the default one): validate uri, pick our
 * address for the transport and family of where the request goes (uri,
 * or the account's first route; with a resolver, their first target that
 * can be sent to), send OPTIONS (From: the account's, account_from(),
 * e.g. sip:sipuad@<our host>; To: uri; Route: the account's route set;
 * Accept: application/sdp) and call done(arg, result) exactly once, later:
 * never from inside options_send().  Provisional responses are ignored.
 * An immediate transport error (the first send fails) is not returned: it
 * is reported from the event loop as the 503 it stands for, like one that
 * happens later.  done() may call options_send(); it must not call
 * options_free().
 *   0                 sent, or resolving; done() will follow
 *   -ENOENT           no such account: WHY_NOT_FOUND "account",
 *                     "no account 'NAME'"
 *   -EINVAL           uri unusable (msg_uri_dest(); with a resolver,
 *                     dns_resolve_uri()): WHY_ARG "uri"; the account's
 *                     first route unusable: WHY_FAILED; done is NULL:
 *                     WHY_FAILED
 *   -EPROTONOSUPPORT  sips: or a transport other than udp/tcp: WHY_ARG "uri"
 *   -EAFNOSUPPORT     no listener of that transport and address family:
 *                     WHY_ARG "uri" (with a resolver: known only once
 *                     resolved, so done() with 503 says it)
 *   -EAGAIN           transaction table full: WHY_BUSY; with a resolver,
 *                     -EBUSY: too many DNS resolutions, WHY_BUSY
 *   -ECANCELED        options_free() is running: WHY_FAILED
 *   -ENOMEM           WHY_FAILED
 * On failure why (may be NULL) says what kind of failure it is, which
 * argument it concerns ("uri" or "account") and, for a human, what went
 * wrong.
 */
int options_send(struct options *o, const char *uri, const char *account, options_done_fn *done,
		 void *arg, struct why *why);

/* Pings in flight. */
unsigned options_pending(const struct options *o);

#endif
