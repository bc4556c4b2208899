/*
 * reg: one account's registration (RFC 3261 §10.2) and its upkeep.
 *
 *   REGISTER sip:example.com          Call-ID fixed for the reg's life,
 *     Contact: <sip:alice@ours>        CSeq rising by one per request,
 *     Expires: 600                     the account's expires
 *   <- 401 (or 407)                    answered with the account's
 *   REGISTER + Authorization           credentials (cred.h), CSeq + 1
 *   <- 423 Min-Expires: 900            asked again with 900
 *   <- 200 Contact: <...>;expires=300  registered: the granted expiry is
 *                                      our Contact's expires, else the
 *                                      Expires header, else what we asked
 *   ... refresh at 45-50 % of the granted time (at least 1 s) ...
 *   <- 5xx / 408 / no answer           failed: retried after a back-off
 *                                      that doubles from retry_min_s to
 *                                      retry_max_s, jittered to 75..100 %
 *                                      (a 5xx Retry-After is honoured
 *                                      when longer), never a tight loop
 *
 * The registrar's 2xx may carry a Service-Route (RFC 3608): it becomes the
 * account's route set for its other requests (account_set_service_route)
 * until the next 2xx or the unregistration.  The REGISTER itself goes
 * through the outbound proxy only, never the Service-Route.
 *
 * NAT (RFC 3581): our Via asks for rport.  When the 2xx's top Via shows a
 * received/rport that differs from the Contact we registered, we register
 * again at once with that public address in the Contact, once per
 * address seen, so two servers that disagree cannot make us loop.
 *
 * With the account's keepalive interval set, a registered reg sends a
 * keepalive toward the registrar (or outbound proxy) at that interval:
 * CRLF on UDP, CRLFCRLF on TCP (RFC 5626 §4.4.1), one at a time.  On TCP
 * the CRLF pong must come within 10 s; if it does not, or the connection
 * is lost first, the flow has failed (the stack closes it) and the reg
 * registers again at once, on a new connection.
 *
 * reg_stop() sends Expires: 0 for a binding that may exist (a 2xx came,
 * or a REGISTER is in flight) and reports unregistered when it is
 * answered or gives up; reg_busy() is true until then, so that shutdown
 * can wait for it.  Each change of state is one event (reg_event_fn).
 */
#ifndef SIPUAD_REG_H
#define SIPUAD_REG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/net.h"
#include "core/why.h"

struct account;
struct dns;
struct reg;
struct sip_dest;
struct sip_keepalive;
struct tmr_clock;
struct tsx_layer;

enum reg_state {
	REG_UNREGISTERED, /* not registered: never, or after Expires: 0 */
	REG_REGISTERING,  /* a REGISTER is in flight, none granted yet */
	REG_REGISTERED,	  /* a 2xx granted a binding (refreshes keep this state) */
	REG_FAILED,	  /* the last attempt failed; a retry is scheduled */
	REG_UNREGISTERING /* Expires: 0 in flight */
};

/* What a reg reports (its events and reg_status()). */
struct reg_status {
	enum reg_state state;
	const char *handle;	 /* "r2" */
	const char *account;	 /* the account's name */
	const char *registrar;	 /* the Request-URI of our REGISTER */
	const char *contact;	 /* the Contact we register ("" before the first) */
	unsigned expires;	 /* registered: granted seconds */
	unsigned expires_left;	 /* registered: seconds until the binding lapses */
	int code;		 /* failed: the status (408/503 made up when no answer) */
	const char *reason;	 /* failed: why, for a user; "" otherwise */
	unsigned retry_in;	 /* failed: seconds until the next attempt */
	unsigned long attempts;	 /* REGISTER requests sent */
	unsigned long failures;	 /* failed events so far */
};

/* The state just changed to st->state; st is valid only during the call. */
typedef void(reg_event_fn)(void *arg, const struct reg_status *st);

/* What regs need from the daemon; copied by reg_new(). */
struct reg_env {
	struct tsx_layer *tsx; /* T1 and User-Agent are its settings */
	struct tmr_clock *clk;
	/* Our listener for proto and family (tp_local()). 0 or -errno. */
	int (*local)(void *arg, enum net_proto proto, int family, struct net_addr *out);
	void *local_arg;
	reg_event_fn *event;
	void *event_arg;
	/*
	 * RFC 3263: the registrar (or outbound proxy) resolved through DNS,
	 * its targets tried in order on a timeout, a transport error or a
	 * 503; refreshes stay with the target that answered.  NULL: IP
	 * literals only, sent at once (the unit tests).
	 */
	struct dns *dns;
	/*
	 * RFC 5626 §4.4.1 keepalives with a pong bound (sip_keepalive_cb()
	 * and sip_keepalive_cancel(), sip.h): keepalive(keepalive_arg, ...)
	 * as sip_keepalive().  NULL: the ping sent through tsx_send_raw(),
	 * nothing awaited (the unit tests that do not look at keepalives).
	 */
	int (*keepalive)(void *arg, const struct sip_dest *d, unsigned pong_timeout_ms,
			 void (*done)(void *done_arg, int err), void *done_arg,
			 struct sip_keepalive **kp);
	void (*keepalive_cancel)(struct sip_keepalive *k);
	void *keepalive_arg;
	unsigned retry_min_s; /* back-off start, default 30 */
	unsigned retry_max_s; /* back-off cap, default 1800 */
};

/*
 * A reg for account a (held until reg_free), idle (unregistered) until
 * reg_start().  handle_id numbers its handle ("r<id>").  0, -EINVAL (env
 * incomplete, or a has no registrar or AOR), -ENOMEM.
 */
int reg_new(struct reg **rp, const struct reg_env *env, struct account *a, unsigned long handle_id);
/* Ends without a word on the wire (reg_stop() first for a clean end). NULL: no-op. */
void reg_free(struct reg *r);

/*
 * Register now: the first REGISTER, or a refresh or retry ahead of its
 * timer.  A REGISTER already in flight is left to finish.  0, or -errno
 * with why (the registrar cannot be reached from any listener, ...): the
 * reg is then failed with a retry scheduled, and its event says so too.
 */
int reg_start(struct reg *r, struct why *why);
/*
 * reg_start() ms from now (0: now), for a daemon that starts many: their
 * first REGISTERs spread out.  Nothing happens (no event) until then.
 * 0 or -ENOMEM.
 */
int reg_start_after(struct reg *r, unsigned ms);
/*
 * reg_stop() ms from now (0, or nothing to unregister: now): a daemon
 * stopping many spreads its Expires: 0 out; no refresh meanwhile, and
 * reg_busy() is true until it is over.  0 or -ENOMEM.
 */
int reg_stop_after(struct reg *r, unsigned ms);
/* Unregister (Expires: 0) if a binding may exist; else unregistered at once. */
void reg_stop(struct reg *r);
/* An Expires: 0 or any REGISTER is in flight. */
bool reg_busy(const struct reg *r);
/*
 * A reload changed the account's settings (same name, registrar and AOR):
 * use b from now on (held; the old one is let go) and register again with
 * the same Call-ID.  0 or -errno as reg_start().
 */
int reg_set_account(struct reg *r, struct account *b, struct why *why);
struct account *reg_account(const struct reg *r);
/* A reload's back-off bounds (reg_env's), for the failures from now on. */
void reg_set_retry(struct reg *r, unsigned min_s, unsigned max_s);
void reg_status(const struct reg *r, struct reg_status *st);
const char *reg_state_name(enum reg_state s);
/* The back-off before attempt failures + 1 (1: the first retry), in ms, before jitter. */
uint64_t reg_backoff_ms(unsigned min_s, unsigned max_s, unsigned long failures);

#endif
