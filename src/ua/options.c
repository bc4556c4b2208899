/*
 * options: the OPTIONS "SIP ping" (RFC 3261 §11), one per `options URI`.
 *
 * Owns the pings in flight: each holds its client transaction (until the
 * final outcome), the caller's done() and arg, and a timer used only to
 * report a failure of the very first send from the event loop.  A ping
 * ends in exactly one place, ping_finish(), which logs the one info line,
 * calls done() and frees the ping.
 *
 * Why every ping ends: its NICT ends in a final response, Timer F
 * (64*T1, §17.1.2.2) or a transport error (§17.1.4), and the transaction
 * layer tells us each; the deferred first-send failure is a 0 ms timer;
 * options_free() cancels whatever is left.
 *
 * Codes made up here (§8.1.3.1): no response by Timer F is 408 Request
 * Timeout; a transport error is 503 Service Unavailable.
 *
 * A 401 / 407 is answered (§22.2) by a new OPTIONS on a new NICT
 * (msg_build_retry(): CSeq + 1, a new branch) with the credentials of the
 * ping's account; the ping holds that account until it ends, and its
 * request chain is bounded by cred.h (CRED_MAX_TRIES).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rnd.h"
#include "core/why.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/tsx.h"
#include "ua/account.h"
#include "ua/cred.h"
#include "ua/hop.h"
#include "ua/oa.h"
#include "ua/options.h"
#include "ua/preroute.h"

#define OPTIONS_CSEQ 1 /* out of any dialog: any number below 2^31 will do (§8.1.1.5) */
#define OPTIONS_ACCEPT OA_CONTENT_TYPE /* §11.1: what we would like in the body */

struct ping {
	struct options *o;
	struct ping *prev, *next; /* o->pings */
	char handle[16];	  /* "o17" */
	char *uri;
	struct account *acc; /* who pings: held */
	struct hop hop;	     /* where the OPTIONS go (RFC 3263): resolving, or the targets */
	bool reached;	     /* a provisional came from the current target: no failover */
	struct sip_dest to;  /* where the OPTIONS go (a retry too) */
	uint32_t cseq;	     /* of the last OPTIONS sent (before any: the first's) */
	char *call_id;	     /* fixed by the first OPTIONS, kept by a failover's */
	char from_tag[RND_TAG_LEN];
	struct cred_chain chain; /* what 401 / 407 were answered with */
	char dest[64];		 /* "udp:127.0.0.1:5062" */
	options_done_fn *done;
	void *arg;
	struct tsx *ct;	  /* NULL: never started, or its final outcome came */
	struct tmr defer; /* first send failed: report defer_err from the loop */
	int defer_err;
	bool failed_why; /* ended by ping_fail_why(): its reason says it all */
	uint64_t start;	 /* tmr_now_us() when sent */
};

struct options {
	struct options_env env;
	struct account *own_account; /* the default, when env had none */
	struct ping *pings;
	unsigned n;
	unsigned long next_id;
	bool closing; /* options_free() is cancelling */
};

int options_new(struct options **op, const struct options_env *env)
{
	struct options *o;

	if (!env || !env->tsx || !env->clk || !env->local)
		return -EINVAL;
	if (!(o = calloc(1, sizeof(*o))))
		return -ENOMEM;
	o->env = *env;
	o->next_id = 1;
	if (!env->account && account_new_default(&o->own_account) < 0) {
		free(o);
		return -ENOMEM;
	}
	if (!env->account)
		o->env.account = o->own_account;
	*op = o;
	return 0;
}

unsigned options_pending(const struct options *o)
{
	return o->n;
}

/* ---- one ping ---- */

static void on_defer(void *arg);

static void on_hop(void *arg, int err, const char *why);

static int ping_new(struct options *o, const char *uri, const struct account *acc,
		    options_done_fn *done, void *arg, struct ping **pp)
{
	struct ping *p = calloc(1, sizeof(*p));

	if (!p || !(p->uri = strdup(uri))) {
		free(p);
		return -ENOMEM;
	}
	p->o = o;
	p->acc = account_hold(acc);
	hop_init(&p->hop, o->env.dns, on_hop, p);
	snprintf(p->handle, sizeof(p->handle), "o%lu", o->next_id++);
	rnd_token(p->from_tag, sizeof(p->from_tag));
	p->cseq = OPTIONS_CSEQ;
	p->done = done;
	p->arg = arg;
	tmr_init(&p->defer, o->env.clk, on_defer, p);
	p->next = o->pings;
	if (o->pings)
		o->pings->prev = p;
	o->pings = p;
	o->n++;
	*pp = p;
	return 0;
}

/* The one destructor: out of the list, transaction detached, timer closed. */
static void ping_free(struct ping *p)
{
	struct options *o = p->o;

	if (p->prev)
		p->prev->next = p->next;
	else
		o->pings = p->next;
	if (p->next)
		p->next->prev = p->prev;
	o->n--;
	/* From here the NICT runs out on its own timers without telling us. */
	tsx_detach(p->ct);
	tmr_close(&p->defer);
	hop_close(&p->hop); /* a resolution in progress never calls back */
	account_free(p->acc);
	free(p->uri);
	free(p->call_id);
	free(p);
}

static void ping_log(const struct ping *p, const struct options_result *r)
{
	if (r->err == -ECANCELED)
		log_info("%s: OPTIONS %s%s%s cancelled: shutting down", p->handle, p->uri,
			 p->dest[0] ? " to " : "", p->dest);
	else if (!r->local)
		log_info("%s: OPTIONS %s -> %d %s in %.3f ms", p->handle, p->uri, r->code,
			 r->reason, r->rtt_ms);
	else if (p->failed_why)
		log_info("%s: OPTIONS %s -> %s (%d)", p->handle, p->uri, r->reason, r->code);
	else if (r->err == -ETIMEDOUT)
		log_info("%s: OPTIONS %s -> no response in %.0f ms (%d, Timer F)", p->handle,
			 p->uri, r->rtt_ms, r->code);
	else
		log_info("%s: OPTIONS %s -> cannot reach %s: %s (%d)", p->handle, p->uri, p->dest,
			 strerror(-r->err), r->code);
}

/* The end of every ping: log, tell the caller, free. */
static void ping_finish(struct ping *p, struct options_result *r)
{
	options_done_fn *done = p->done;
	void *arg = p->arg;

	snprintf(r->handle, sizeof(r->handle), "%s", p->handle);
	snprintf(r->dest, sizeof(r->dest), "%s", p->dest);
	ping_log(p, r);
	/* Freed first, so done() sees an accurate options_pending() and may send again. */
	ping_free(p);
	done(arg, r);
}

/* No response: §8.1.3.1 says what status to act on. */
static void ping_fail(struct ping *p, int err)
{
	struct options_result r;

	memset(&r, 0, sizeof(r));
	r.local = true;
	r.err = err;
	r.rtt_ms = (double)(tmr_now_us(p->o->env.clk) - p->start) / 1000.0;
	if (err == -ECANCELED)
		r.code = 0;
	else
		r.code = err == -ETIMEDOUT ? 408 : 503;
	snprintf(r.reason, sizeof(r.reason), "%s", r.code ? msg_reason(r.code) : "Cancelled");
	ping_finish(p, &r);
}

/*
 * No OPTIONS could go, or the URI's name did not resolve (err: the
 * resolver's code): 503 made up here, why as the reason.
 */
static void ping_fail_why(struct ping *p, int err, const char *why)
{
	struct options_result r;

	memset(&r, 0, sizeof(r));
	r.local = true;
	r.err = err;
	r.code = 503;
	snprintf(r.reason, sizeof(r.reason), "%.159s", why);
	p->failed_why = true;
	ping_finish(p, &r);
}

/* The final response; why (NULL: none) is why a challenge in it could not be answered. */
static void ping_answered(struct ping *p, const struct sip_msg *resp, const char *why)
{
	struct options_result r;
	const char *reason = msg_reason_phrase(resp);
	const char *server = msg_header(resp, "Server", NULL);

	memset(&r, 0, sizeof(r));
	r.code = resp->status;
	snprintf(r.reason, sizeof(r.reason), "%s",
		 why		       ? why
		 : reason && reason[0] ? reason
				       : msg_reason(resp->status));
	r.rtt_ms = (double)(tmr_now_us(p->o->env.clk) - p->start) / 1000.0;
	if (!server)
		server = msg_header(resp, "User-Agent", NULL);
	snprintf(r.server, sizeof(r.server), "%s", server ? server : "");
	ping_finish(p, &r);
}

static void on_tsx(void *arg, struct tsx *ct, const struct sip_msg *resp, int err);

/*
 * §22.2: the OPTIONS of ct was challenged: the same again (CSeq + 1, a new
 * branch) with the account's credentials, on a new NICT that replaces ct.
 * 0, or -errno with why (then the challenge is the final answer).
 */
static int ping_auth(struct ping *p, struct tsx *ct, const struct sip_msg *resp, struct why *why)
{
	const struct sip_msg *req = tsx_req(ct);
	struct sip_msg *m = NULL;
	struct tsx *nt = NULL;
	int err;

	if ((err = msg_build_retry(&m, req, req->cseq + 1)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "cannot send the OPTIONS again: %s",
			       strerror(-err));
	if ((err = cred_authorize(account_cred(p->acc), &p->chain, resp, m, why)) < 0) {
		msg_free(m);
		return err;
	}
	if ((err = tsx_request(p->o->env.tsx, m, &p->to, on_tsx, p, &nt)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "cannot send the OPTIONS again: %s",
			       err == -EAGAIN ? "transaction table full" : strerror(-err));
	/* The old NICT waits out Timer K on its own; only the new one is ours. */
	tsx_detach(ct);
	p->ct = nt;
	p->cseq = req->cseq + 1;
	p->start = tmr_now_us(p->o->env.clk);
	log_debug("%s: OPTIONS challenged (%d): sent again with credentials", p->handle,
		  resp->status);
	return 0;
}

static bool failover(struct ping *p, const char *what);

/* The NICT's news (tsx_resp_fn): a response, or Timer F / a transport error. */
static void on_tsx(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	struct ping *p = arg;
	struct why why;

	if (resp && resp->status < 200) {
		/* §17.1.2.2: a provisional changes nothing for a ping; Timer F still bounds it. */
		log_debug("%s: %d %s ignored", p->handle, resp->status,
			  msg_reason_phrase(resp) ? msg_reason_phrase(resp) : "");
		p->reached = true; /* RFC 3263 §4.3: this target works on it */
		return;
	}
	/*
	 * The final outcome.  p->ct stays set so ping_free() detaches it:
	 * the transaction is valid during this callback, and a detached one
	 * can never call back into the freed ping.
	 */
	if (resp && (resp->status == 401 || resp->status == 407)) {
		if (ping_auth(p, ct, resp, &why) == 0)
			return;
		ping_answered(p, resp, why.msg);
	} else if (resp) {
		if (resp->status == 503 && failover(p, "503"))
			return;
		ping_answered(p, resp, NULL);
	} else {
		if (failover(p, err == -ETIMEDOUT ? "no answer (Timer F)" : strerror(-err)))
			return;
		if (tsx_why(ct))
			ping_fail_why(p, err, tsx_why(ct)); /* the transport's words: a TLS refusal */
		else
			ping_fail(p, err);
	}
}

static void on_defer(void *arg)
{
	struct ping *p = arg;

	ping_fail(p, p->defer_err);
}

/* ---- sending ---- */

/*
 * Our listener for d's transport and family into d->local; none: the
 * uri's fault (routed: the account's).
 */
static int find_local(struct options *o, const struct account *acc, struct sip_dest *d,
		      struct why *why)
{
	int family = net_addr_family(&d->addr);
	bool routed = preroute_any(acc);
	struct net_addr local;

	if (o->env.local(o->env.local_arg, d->proto, family, &local) < 0 || local.len == 0)
		return why_set(why, -EAFNOSUPPORT, routed ? WHY_FAILED : WHY_ARG,
			       routed ? NULL : "uri", "no %s listener for %s to send from",
			       net_proto_name(d->proto), family == AF_INET6 ? "IPv6" : "IPv4");
	d->local = local;
	return 0;
}

/*
 * §11.1: OPTIONS out of any dialog, To the URI, From us, Accept what we
 * would take; CSeq p->cseq, and p's Call-ID and From tag (the first
 * OPTIONS fixes the Call-ID; RFC 3263 §4.3 sends the same request again).
 */
static int build(struct ping *p, const struct sip_dest *d, struct sip_msg **reqp)
{
	struct options *o = p->o;
	char from[NET_ADDR_STRLEN + 128], host[NET_ADDR_STRLEN], tok[RND_CALLID_LEN];
	char cid[RND_CALLID_LEN + NET_ADDR_STRLEN + 4];
	struct msg_req_spec spec;
	struct sip_msg *req = NULL;
	struct net_addr via;
	int err;

	/* Via and From name where we are reached toward the peer (account.h). */
	if ((err = account_addr_toward(&d->local, &d->addr, &via)) < 0 ||
	    (err = account_from(p->acc, &via, from, sizeof(from))) < 0)
		return err;
	if (!p->call_id) {
		rnd_token(tok, sizeof(tok));
		net_addr_host(&via, host, sizeof(host));
		snprintf(cid, sizeof(cid), net_addr_family(&via) == AF_INET6 ? "%s@[%s]" : "%s@%s",
			 tok, host);
		if (!(p->call_id = strdup(cid)))
			return -ENOMEM;
	}
	memset(&spec, 0, sizeof(spec));
	spec.method = "OPTIONS";
	spec.ruri = p->uri;
	spec.from = from;
	spec.from_tag = p->from_tag;
	spec.call_id = p->call_id;
	spec.cseq = p->cseq;
	spec.via_proto = d->proto;
	spec.via_addr = via;
	spec.user_agent = tsx_layer_cfg(o->env.tsx)->server;
	if ((err = msg_build_request(&req, &spec)) < 0)
		return err;
	if ((err = msg_add_header(req, "Accept", OPTIONS_ACCEPT)) < 0 ||
	    (err = preroute_add(p->acc, req)) < 0) {
		msg_free(req);
		return err;
	}
	*reqp = req;
	return 0;
}

/*
 * tsx_request()'s own refusals are the caller's answer; any other error is
 * the transport failing the first send (§17.1.4), a 503 like a later one.
 */
static bool tsx_refusal(int err)
{
	return err == -EAGAIN || err == -ENOMEM || err == -EINVAL || err == -EEXIST;
}

/*
 * The OPTIONS to p's current target, on a new NICT (p->ct; a previous one
 * is let go).  0; or -errno with why (the target is unusable, the
 * transaction table full, ...).  A transport error on the first send is
 * one too, unless defer: then it is reported from the event loop as the
 * 503 it stands for (without a resolver: done() never runs inside
 * options_send()).
 */
static int ping_send(struct ping *p, bool defer, struct why *why)
{
	const struct dns_target *t = hop_target(&p->hop);
	struct sip_msg *req = NULL;
	struct sip_dest d;
	char a[NET_ADDR_STRLEN], dest[sizeof(p->dest)];
	int err;

	if ((err = hop_dest(t, &d, why->msg, sizeof(why->msg))) < 0)
		return why_tag(why, err, WHY_FAILED, NULL);
	account_tls_name(p->acc, &d);
	if ((err = find_local(p->o, p->acc, &d, why)) < 0)
		return err;
	/*
	 * The URI is all of the request the caller gives; the rest is ours.  A
	 * builder that refuses it (-EINVAL) refuses the URI, or the address it
	 * names (no route from a wildcard listener toward it).
	 */
	if ((err = build(p, &d, &req)) < 0)
		return why_set(why, err, err == -EINVAL ? WHY_ARG : WHY_FAILED,
			       err == -EINVAL ? "uri" : NULL,
			       "cannot build the OPTIONS request: %s", strerror(-err));
	snprintf(dest, sizeof(dest), "%s:%s", net_proto_name(d.proto),
		 net_addr_fmt(&d.addr, a, sizeof(a)));
	memset(&p->chain, 0, sizeof(p->chain)); /* another server: its own challenges */
	p->reached = false;
	tsx_detach(p->ct);
	p->ct = NULL;
	p->start = tmr_now_us(p->o->env.clk);
	err = tsx_request(p->o->env.tsx, req, &d, on_tsx, p, &p->ct);
	if (err == 0 || (defer && !tsx_refusal(err))) {
		/* Where it went: what a response, or the failure to come, is about. */
		p->to = d;
		snprintf(p->dest, sizeof(p->dest), "%s", dest);
	}
	if (err == 0) {
		log_debug("%s: OPTIONS %s to %s sent", p->handle, p->uri, p->dest);
		return 0;
	}
	p->ct = NULL;
	if (err == -EAGAIN)
		return why_set(why, err, WHY_BUSY, NULL, "transaction table full");
	if (tsx_refusal(err))
		return why_set(why, err, WHY_FAILED, NULL, "cannot start the transaction: %s",
			       strerror(-err));
	if (!defer)
		return why_set(why, err, WHY_FAILED, NULL, "cannot reach %s: %s", dest,
			       strerror(-err));
	p->defer_err = err;
	if ((err = tmr_start(&p->defer, 0)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "out of memory");
	return 0;
}

/*
 * The OPTIONS to the current target, or else to the next ones (RFC 3263
 * §4.3: one we cannot send to is passed over).  0: one went; -errno: none
 * was left, why says what was wrong with the last.
 */
static int send_to_targets(struct ping *p, struct why *why)
{
	char name[NET_ADDR_STRLEN + 280];
	int err = -ENOENT;

	for (const struct dns_target *t = hop_target(&p->hop); t; t = hop_next(&p->hop)) {
		if ((err = ping_send(p, false, why)) == 0)
			return 0;
		log_info("%s: cannot send the OPTIONS to %s: %s", p->handle,
			 hop_name(t, name, sizeof(name)), why->msg);
	}
	return err;
}

/* The resolver answered for the URI the ping goes toward. */
static void on_hop(void *arg, int err, const char *why_text)
{
	struct ping *p = arg;
	struct why why;

	if (err < 0)
		ping_fail_why(p, err, why_text);
	else if ((err = send_to_targets(p, &why)) < 0)
		ping_fail_why(p, err, why.msg);
}

/*
 * RFC 3263 §4.3: the OPTIONS to the current target timed out, failed in
 * the transport or got a 503 (what), and no provisional response came
 * from it: the same request (CSeq + 1, new branch) to the next target.
 * true: one went.
 */
static bool failover(struct ping *p, const char *what)
{
	char name[NET_ADDR_STRLEN + 280];
	const struct dns_target *t;
	struct why why;

	if (p->reached || !(t = hop_next(&p->hop)))
		return false;
	log_info("%s: %s from %s: trying the next target, %s", p->handle, what, p->dest,
		 hop_name(t, name, sizeof(name)));
	p->cseq++;
	return send_to_targets(p, &why) == 0;
}

/* The account named name (NULL: the default one), or NULL with why. */
static const struct account *find_account(struct options *o, const char *name, struct why *why)
{
	return account_lookup(o->env.account_find, o->env.account_arg, o->env.account, name,
			      why);
}

/*
 * Resolve where p's OPTIONS go (its account's first route's URI, else its
 * URI): 0 resolving, 1 the one target is there (no resolver), -errno with
 * why.
 */
static int ping_resolve(struct ping *p, struct why *why)
{
	const char *first = preroute_first(p->acc);
	char *uri = NULL, text[WHY_MSG_MAX];
	int err;

	if ((err = preroute_hop_uri(p->acc, p->uri, &uri, why->msg, sizeof(why->msg))) < 0)
		return why_tag(why, err, WHY_FAILED, NULL);
	err = hop_resolve(&p->hop, uri, text, sizeof(text));
	free(uri);
	if (err >= 0)
		return err;
	if (first)
		return why_set(why, err, err == -EBUSY ? WHY_BUSY : WHY_FAILED, NULL,
			       "route %.100s of account '%.64s': %s", first, account_name(p->acc),
			       text);
	return why_set(why, err,
		       err == -EBUSY	? WHY_BUSY
		       : err == -ENOMEM ? WHY_FAILED
					: WHY_ARG,
		       err == -EBUSY || err == -ENOMEM ? NULL : "uri", "%s", text);
}

int options_send(struct options *o, const char *uri, const char *account, options_done_fn *done,
		 void *arg, struct why *why)
{
	const struct account *acc;
	struct ping *p = NULL;
	struct why w = {.kind = WHY_FAILED};
	int err;

	if (!why)
		why = &w;
	*why = (struct why){.kind = WHY_FAILED};
	if (!done)
		return why_set(why, -EINVAL, WHY_FAILED, NULL, "no callback");
	if (o->closing)
		return why_set(why, -ECANCELED, WHY_FAILED, NULL, "shutting down");
	if (!(acc = find_account(o, account, why)))
		return -ENOENT;
	if ((err = preroute_check(acc, uri, o->env.dns != NULL, "uri", why)) < 0)
		return err;
	if ((err = ping_new(o, uri, acc, done, arg, &p)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "out of memory");
	if ((err = ping_resolve(p, why)) == 1)
		err = ping_send(p, true, why); /* no resolver: it goes now */
	if (err < 0)
		ping_free(p);
	return err < 0 ? err : 0;
}

void options_free(struct options *o)
{
	if (!o)
		return;
	o->closing = true;
	while (o->pings)
		ping_fail(o->pings, -ECANCELED);
	account_free(o->own_account);
	free(o);
}
