/*
 * reg: the registration client of one account (RFC 3261 §10.2, RFC 3608
 * Service-Route, RFC 3581 rport), on one NICT at a time and one timer for
 * refreshes, retries and the deferred report of a first-send failure; a
 * second timer sends NAT keepalives, one pending at a time, whose failed
 * flow (no pong, lost connection) means registering again at once.  See
 * reg.h for the exchange.
 *
 * Why a reg never loops: every REGISTER is answered by a final response,
 * Timer F or a transport error (the transaction layer's promise); a
 * challenge is answered at most CRED_MAX_TRIES times per chain and a
 * realm refusing our answer fails the chain (cred.h); a 423 is followed
 * only when Min-Expires asks for more than we asked; a public address is
 * taken once per address; every failure waits at least retry_min_s.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/rnd.h"
#include "core/tmr.h"
#include "sip/dns.h"
#include "sip/msg.h"
#include "sip/sip.h"
#include "sip/tsx.h"
#include "ua/account.h"
#include "ua/cred.h"
#include "ua/reg.h"

#define REG_MIN_REFRESH_MS 1000 /* never refresh sooner than this after a 2xx */
#define REG_MAX_EXPIRES 86400u	/* a Min-Expires above this is refused */
#define REG_MAX_423 2		/* 423s followed per attempt */

struct reg {
	struct reg_env env;
	struct account *a; /* held */
	char handle[16];
	enum reg_state state;
	char *call_id; /* fixed once the first REGISTER is built (§10.2.4) */
	char from_tag[RND_TAG_LEN];
	uint32_t cseq;
	unsigned want_expires; /* asked for: the account's, or a 423's Min-Expires */
	unsigned granted;
	uint64_t granted_at; /* tmr_now() of the 2xx */
	bool bound;	     /* a binding may exist at the registrar */
	bool stopping;	     /* reg_stop(): Expires: 0 wanted, no refresh */
	bool stop_due;	     /* reg_stop_after(): the timer sends the Expires: 0 */
	unsigned n423;

	struct tsx *ct; /* the REGISTER in flight, or NULL */
	bool ct_unreg;	/* ... it is an Expires: 0 */
	struct cred_chain chain;
	/*
	 * RFC 3261 §22.3: the challenges that last let us register, answered
	 * again in each refresh before it is challenged (pre), and those of
	 * the chain in flight (pend), kept once its 2xx comes.
	 */
	struct msg_challenge pre[2], pend[2];
	size_t n_pre, n_pend;
	struct sip_dest dest; /* where the last REGISTER went */
	bool have_dest;

	/* RFC 3263 (env.dns set): the registrar's targets, tried in order. */
	struct dns_query *q; /* a resolution in progress */
	bool q_unreg;	     /* ... for an Expires: 0 */
	struct dns_target *tg; /* malloc'd: as many as the resolution gave */
	size_t n_tg, cur_tg;
	bool resolved; /* tg holds a resolution that has not failed us */

	/* NAT: the public address a registrar saw (RFC 3581), once each. */
	struct net_addr public_addr;
	bool have_public;
	bool nat_tried; /* this attempt took a public address already */
	char contact[NET_ADDR_STRLEN + 160];

	int code;
	char reason[WHY_MSG_MAX];
	unsigned long attempts, failures;
	uint64_t retry_at; /* tmr_now() of the next attempt, when failed */

	struct tmr tmr;	 /* refresh / retry */
	struct tmr ka;	 /* NAT keepalive */
	struct sip_keepalive *kp; /* env.keepalive's, awaiting its outcome */
};

const char *reg_state_name(enum reg_state s)
{
	switch (s) {
	case REG_UNREGISTERED:
		return "unregistered";
	case REG_REGISTERING:
		return "registering";
	case REG_REGISTERED:
		return "registered";
	case REG_FAILED:
		return "failed";
	case REG_UNREGISTERING:
		return "unregistering";
	}
	return "?";
}

uint64_t reg_backoff_ms(unsigned min_s, unsigned max_s, unsigned long failures)
{
	uint64_t d = (uint64_t)(min_s ? min_s : 1) * 1000;
	uint64_t cap = (uint64_t)(max_s > min_s ? max_s : min_s) * 1000;
	unsigned long i;

	for (i = 1; i < failures && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

void reg_status(const struct reg *r, struct reg_status *st)
{
	uint64_t now = tmr_now(r->env.clk);

	memset(st, 0, sizeof(*st));
	st->state = r->state;
	st->handle = r->handle;
	st->account = account_name(r->a);
	st->registrar = account_registrar(r->a);
	st->contact = r->contact;
	st->attempts = r->attempts;
	st->failures = r->failures;
	st->reason = "";
	if (r->state == REG_REGISTERED) {
		uint64_t end = r->granted_at + (uint64_t)r->granted * 1000;

		st->expires = r->granted;
		st->expires_left = end > now ? (unsigned)((end - now + 999) / 1000) : 0;
	}
	if (r->state == REG_FAILED) {
		st->code = r->code;
		st->reason = r->reason;
		st->retry_in = r->retry_at > now ? (unsigned)((r->retry_at - now + 999) / 1000) : 0;
	}
}

static void set_state(struct reg *r, enum reg_state s)
{
	struct reg_status st;

	r->state = s;
	reg_status(r, &st);
	if (r->env.event)
		r->env.event(r->env.event_arg, &st);
}

static void on_timer(void *arg);
static void on_keepalive(void *arg);

/* No keepalive until the next 2xx: the timer stopped, a pending one forgotten. */
static void ka_stop(struct reg *r)
{
	tmr_stop(&r->ka);
	if (r->kp)
		r->env.keepalive_cancel(r->kp);
	r->kp = NULL;
}

int reg_new(struct reg **rp, const struct reg_env *env, struct account *a, unsigned long handle_id)
{
	struct reg *r;

	if (!env || !env->tsx || !env->clk || !env->local || !a || !account_registrar(a) ||
	    !account_aor(a) || (env->keepalive && !env->keepalive_cancel))
		return -EINVAL;
	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	r->env = *env;
	if (!r->env.retry_min_s)
		r->env.retry_min_s = 30;
	if (r->env.retry_max_s < r->env.retry_min_s)
		r->env.retry_max_s = r->env.retry_min_s;
	r->a = account_hold(a);
	snprintf(r->handle, sizeof(r->handle), "r%lu", handle_id);
	rnd_token(r->from_tag, sizeof(r->from_tag));
	r->want_expires = account_expires(a);
	tmr_init(&r->tmr, env->clk, on_timer, r);
	tmr_init(&r->ka, env->clk, on_keepalive, r);
	*rp = r;
	return 0;
}

void reg_free(struct reg *r)
{
	if (!r)
		return;
	tsx_detach(r->ct);
	dns_cancel(r->q);
	tmr_close(&r->tmr);
	ka_stop(r);
	tmr_close(&r->ka);
	account_free(r->a);
	free(r->call_id);
	free(r->tg);
	free(r);
}

void reg_set_retry(struct reg *r, unsigned min_s, unsigned max_s)
{
	r->env.retry_min_s = min_s ? min_s : 30;
	r->env.retry_max_s = max_s < r->env.retry_min_s ? r->env.retry_min_s : max_s;
}

struct account *reg_account(const struct reg *r)
{
	return r->a;
}

bool reg_busy(const struct reg *r)
{
	return r->ct != NULL || r->q != NULL || r->stop_due || r->state == REG_UNREGISTERING;
}

/* ---- outcomes ---- */

/* A failure of this attempt: the event, then a retry after the back-off (retry_after_s if longer). */
static void fail(struct reg *r, int code, unsigned retry_after_s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct reg *r, int code, unsigned retry_after_s, const char *fmt, ...)
{
	uint64_t delay;
	va_list ap;

	r->ct = NULL;
	r->resolved = false; /* the next attempt asks DNS again */
	r->n_pre = 0;	     /* ... and is challenged afresh */
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	if (r->stopping) {
		/* Giving up on Expires: 0: the binding lapses on its own. */
		log_info("%s: unregistering %s failed: %d %s", r->handle, account_name(r->a), code,
			 r->reason);
		r->bound = false;
		account_set_service_route(r->a, NULL, 0);
		set_state(r, REG_UNREGISTERED);
		return;
	}
	r->failures++;
	delay = reg_backoff_ms(r->env.retry_min_s, r->env.retry_max_s, r->failures);
	delay = delay - delay / 4 + rnd_uniform((uint32_t)(delay / 4 + 1)); /* 75..100 % */
	if ((uint64_t)retry_after_s * 1000 > delay)
		delay = (uint64_t)(retry_after_s < r->env.retry_max_s ? retry_after_s
								     : r->env.retry_max_s) *
			1000;
	r->retry_at = tmr_now(r->env.clk) + delay;
	ka_stop(r);
	if (tmr_start(&r->tmr, delay) < 0)
		log_err("%s: cannot arm the retry timer: out of memory", r->handle);
	log_info("%s: registering %s at %s failed: %d %s; next attempt in %llu s", r->handle,
		 account_name(r->a), account_registrar(r->a), code, r->reason,
		 (unsigned long long)((delay + 999) / 1000));
	set_state(r, REG_FAILED);
}

static int send_register(struct reg *r, bool unregister, struct why *why);

/* Our Contact's expires in the 2xx, else its Expires, else what we asked (§10.2.4). */
static unsigned granted_of(const struct reg *r, const struct sip_msg *resp)
{
	char mine[sizeof(r->contact)], v[32];
	const char *lt = strchr(r->contact, '<'), *gt;
	const char *hdr;
	unsigned i;

	snprintf(mine, sizeof(mine), "%s", r->contact);
	if (lt && (gt = strchr(lt, '>')))
		snprintf(mine, sizeof(mine), "%.*s", (int)(gt - lt - 1), lt + 1);
	for (i = 0; i < 64; i++) {
		char *uri = NULL;
		int err = msg_contact_uri(resp, i, &uri);

		if (err == -ENOENT)
			break;
		if (err < 0)
			continue;
		if (strcasecmp(uri, mine) == 0 &&
		    msg_contact_param(resp, i, "expires", v, sizeof(v)) == 0 && v[0]) {
			free(uri);
			return (unsigned)strtoul(v, NULL, 10);
		}
		free(uri);
	}
	if ((hdr = msg_header(resp, "Expires", NULL)) && *hdr >= '0' && *hdr <= '9')
		return (unsigned)strtoul(hdr, NULL, 10);
	return r->want_expires;
}

/*
 * RFC 3581: the address the registrar saw us at, when it differs from the
 * Contact we registered.  true: r->public_addr is new and worth a
 * registration of its own.
 */
static bool public_changed(struct reg *r, const struct sip_msg *resp)
{
	char host[NET_ADDR_STRLEN];
	struct net_addr seen, ours;
	int rport;

	if (r->nat_tried || msg_via_received(resp, host, sizeof(host), &rport) < 0)
		return false;
	/*
	 * On a stream the source port is the connection's own, never a port
	 * anyone can reach us at: only a changed host means a NAT (and then
	 * the Contact keeps our listener's port, as the flow carries the rest).
	 */
	if (r->dest.proto != NET_UDP)
		rport = -1;
	if (!host[0] && rport < 0)
		return false;
	if (r->have_public)
		ours = r->public_addr;
	else if (account_addr_toward(&r->dest.local, &r->dest.addr, &ours) < 0)
		return false;
	if (!host[0])
		net_addr_host(&ours, host, sizeof(host));
	if (net_addr_from_host(&seen, host, rport > 0 ? (uint16_t)rport : net_addr_port(&ours)) < 0 ||
	    net_addr_eq(&seen, &ours))
		return false;
	r->nat_tried = true;
	r->public_addr = seen;
	r->have_public = true;
	account_set_public(r->a, &seen); /* the account's calls say it in their Contact too */
	return true;
}

static void registered(struct reg *r, const struct sip_msg *resp)
{
	char *sr[ACCOUNT_MAX_ROUTES];
	size_t n, i;
	uint64_t refresh;
	unsigned g = granted_of(r, resp);

	r->ct = NULL;
	if (g == 0) {
		/* §10.2.4: a 2xx that lists no binding of ours. */
		fail(r, resp->status, 0, "the registrar granted no binding for our Contact");
		return;
	}
	n = msg_header_values(resp, "Service-Route", sr, ACCOUNT_MAX_ROUTES);
	if (account_set_service_route(r->a, sr, n) < 0)
		log_err("%s: cannot keep the Service-Route: out of memory", r->handle);
	for (i = 0; i < n; i++)
		free(sr[i]);
	if (r->chain.tries) {
		memcpy(r->pre, r->pend, sizeof(r->pre));
		r->n_pre = r->n_pend;
	}
	r->bound = true;
	r->granted = g;
	r->granted_at = tmr_now(r->env.clk);
	r->failures = 0;
	r->code = resp->status;
	r->reason[0] = '\0';
	if (public_changed(r, resp)) {
		char a[NET_ADDR_STRLEN];

		log_info("%s: the registrar sees %s at %s: registering that address", r->handle,
			 account_name(r->a), net_addr_fmt(&r->public_addr, a, sizeof(a)));
		if (send_register(r, false, NULL) == 0)
			return;
	}
	/*
	 * About half the granted time: early enough for a slow answer and a
	 * retry; 0-10 % earlier at random, so that accounts registered
	 * together drift apart instead of refreshing in one burst forever.
	 */
	refresh = (uint64_t)g * 1000 / 2;
	refresh -= rnd_uniform((uint32_t)(refresh / 10 + 1));
	if (refresh < REG_MIN_REFRESH_MS)
		refresh = REG_MIN_REFRESH_MS;
	if (tmr_start(&r->tmr, refresh) < 0)
		log_err("%s: cannot arm the refresh timer: out of memory", r->handle);
	if (account_keepalive(r->a) && tmr_start(&r->ka, (uint64_t)account_keepalive(r->a) * 1000) < 0)
		log_err("%s: cannot arm the keepalive timer: out of memory", r->handle);
	if (r->state == REG_REGISTERED) {
		/* A refresh: same state, no event (reg_status() has the new expiry). */
		log_debug("%s: %s refreshed at %s for %u s", r->handle, account_name(r->a),
			  account_registrar(r->a), g);
		return;
	}
	log_info("%s: %s registered at %s for %u s", r->handle, account_name(r->a),
		 account_registrar(r->a), g);
	set_state(r, REG_REGISTERED);
}

static void unregistered(struct reg *r)
{
	r->ct = NULL;
	r->bound = false;
	tmr_stop(&r->tmr);
	ka_stop(r);
	account_set_service_route(r->a, NULL, 0);
	log_info("%s: %s unregistered from %s", r->handle, account_name(r->a),
		 account_registrar(r->a));
	set_state(r, REG_UNREGISTERED);
}

static void on_tsx(void *arg, struct tsx *ct, const struct sip_msg *resp, int err);
static bool next_target(struct reg *r, bool unregister);

/* Hand req (taken) to a new NICT. 0 or -errno (nothing in flight). */
static int send_msg(struct reg *r, struct sip_msg *req)
{
	int err = tsx_request(r->env.tsx, req, &r->dest, on_tsx, r, &r->ct);

	if (err < 0)
		r->ct = NULL;
	return err;
}

static void on_tsx(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	struct reg *r = arg;
	bool unreg = r->ct_unreg;
	const char *v;

	if (resp && resp->status < 200)
		return; /* §17.1.2.2: Timer F still bounds it */
	r->ct = NULL;
	if ((!resp || resp->status == 503) && next_target(r, unreg))
		return;
	if (!resp) {
		if (err == -ETIMEDOUT)
			fail(r, 408, 0, "no response from %s (Timer F)", account_registrar(r->a));
		else
			fail(r, 503, 0, "cannot reach %s: %s", account_registrar(r->a),
			     tsx_why(ct) ? tsx_why(ct) : strerror(-err));
		return;
	}
	if (resp->status == 401 || resp->status == 407) {
		const struct sip_msg *req = tsx_req(ct);
		struct sip_msg *retry = NULL;
		struct why why;
		int e;

		if (!req || (e = msg_build_retry(&retry, req, r->cseq + 1)) < 0) {
			fail(r, resp->status, 0, "cannot build the authenticated REGISTER: %s",
			     strerror(req ? -e : EINVAL));
			return;
		}
		if ((e = cred_authorize_keep(account_cred(r->a), &r->chain, resp, retry, r->pend, 2,
					     &r->n_pend, &why)) < 0) {
			msg_free(retry);
			fail(r, resp->status, 0, "%s", why.msg);
			return;
		}
		r->cseq++;
		r->attempts++;
		r->ct_unreg = unreg;
		if ((e = send_msg(r, retry)) < 0)
			fail(r, 503, 0, "cannot send the authenticated REGISTER: %s", strerror(-e));
		return;
	}
	if (resp->status == 423 && !unreg) {
		/* §10.2.8: ask again for at least Min-Expires. */
		unsigned min = (v = msg_header(resp, "Min-Expires", NULL)) ? (unsigned)strtoul(v, NULL, 10) : 0;

		if (min > r->want_expires && min <= REG_MAX_EXPIRES && r->n423 < REG_MAX_423) {
			log_info("%s: %s: registrar wants at least %u s (asked %u)", r->handle,
				 account_name(r->a), min, r->want_expires);
			r->want_expires = min;
			r->n423++;
			if (send_register(r, false, NULL) < 0)
				fail(r, 503, 0, "cannot send the REGISTER again");
			return;
		}
		fail(r, 423, 0, "interval too brief: Min-Expires %s after asking %u s",
		     v ? v : "missing", r->want_expires);
		return;
	}
	if (resp->status >= 200 && resp->status < 300) {
		if (unreg)
			unregistered(r);
		else
			registered(r, resp);
		return;
	}
	{
		const char *phrase = msg_reason_phrase(resp);
		unsigned ra = 0;

		if (resp->status >= 500 && (v = msg_header(resp, "Retry-After", NULL)))
			ra = (unsigned)strtoul(v, NULL, 10);
		fail(r, resp->status, ra, "%s", phrase && *phrase ? phrase : msg_reason(resp->status));
	}
}

/* Without DNS: where our REGISTER goes, an IP literal URI (§8.1.2, §10.2). */
static int dest_local(struct reg *r, struct sip_dest *d, struct why *why);
static int next_hop_uri(struct reg *r, char **urip, struct why *why);

static int find_dest(struct reg *r, struct why *why)
{
	char *uri = NULL, msg[WHY_MSG_MAX];
	struct sip_dest d;
	int err;

	if ((err = next_hop_uri(r, &uri, why)) < 0)
		return err;
	err = msg_uri_dest(uri, &d, msg, sizeof(msg));
	if (err < 0) {
		err = why_set(why, err, WHY_FAILED, NULL, "cannot send to %s: %s", uri, msg);
		free(uri);
		return err;
	}
	free(uri);
	return dest_local(r, &d, why);
}

static int build(struct reg *r, bool unregister, struct sip_msg **mp, struct why *why)
{
	struct msg_req_spec spec;
	struct net_addr via;
	struct sip_msg *m = NULL;
	const char *route = account_proxy_route(r->a);
	char exp[16];
	int err;

	if ((err = account_addr_toward(&r->dest.local, &r->dest.addr, &via)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "no route toward %s: %s",
			       account_registrar(r->a), strerror(-err));
	/* §8.1.1.8: a sips: Request-URI or first Route asks for a sips: Contact. */
	if (!unregister &&
	    (err = account_contact(r->a, r->dest.proto, &via,
				   r->dest.proto == NET_TLS &&
				       (msg_uri_sips(account_registrar(r->a)) || msg_uri_sips(route)),
				   r->contact, sizeof(r->contact))) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "Contact too long");
	memset(&spec, 0, sizeof(spec));
	spec.method = "REGISTER";
	spec.ruri = account_registrar(r->a);
	spec.to = account_aor(r->a);
	spec.from = account_aor(r->a);
	spec.from_tag = r->from_tag;
	spec.call_id = r->call_id;
	spec.cseq = r->cseq + 1;
	spec.via_proto = r->dest.proto;
	spec.via_addr = via;
	spec.contact = r->contact;
	spec.user_agent = tsx_layer_cfg(r->env.tsx)->server;
	if ((err = msg_build_request(&m, &spec)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "cannot build the REGISTER: %s",
			       err == -EINVAL ? "the account's URIs are not usable"
					      : strerror(-err));
	snprintf(exp, sizeof(exp), "%u", unregister ? 0 : r->want_expires);
	if ((err = msg_add_header(m, "Expires", exp)) < 0 ||
	    (route && (err = msg_add_route(m, route)) < 0)) {
		msg_free(m);
		return why_set(why, err, WHY_FAILED, NULL, "cannot build the REGISTER: %s",
			       strerror(-err));
	}
	if (!r->call_id && !(r->call_id = strdup(m->call_id))) {
		msg_free(m);
		return why_set(why, -ENOMEM, WHY_FAILED, NULL, "out of memory");
	}
	*mp = m;
	return 0;
}

/* Our listener toward d's transport and family into d->local; the same connection if the same place. */
static int dest_local(struct reg *r, struct sip_dest *d, struct why *why)
{
	struct net_addr local;
	int err;

	if ((err = r->env.local(r->env.local_arg, d->proto, net_addr_family(&d->addr), &local)) <
		0 ||
	    local.len == 0)
		return why_set(why, err < 0 ? err : -EAFNOSUPPORT, WHY_FAILED, NULL,
			       "no %s listener to send to %s from", net_proto_name(d->proto),
			       account_registrar(r->a));
	d->local = local;
	account_tls_name(r->a, d);
	if (r->have_dest && net_addr_eq(&r->dest.addr, &d->addr) && r->dest.proto == d->proto &&
	    strcmp(r->dest.host, d->host) == 0)
		d->conn = r->dest.conn;
	r->dest = *d;
	r->have_dest = true;
	return 0;
}

/* The REGISTER to r->dest, a new chain. 0 or -errno (why). */
static int send_to_dest(struct reg *r, bool unregister, struct why *why)
{
	struct sip_msg *m = NULL;
	int err;

	if ((err = build(r, unregister, &m, why)) < 0)
		return err;
	for (size_t i = 0; i < r->n_pre; i++)
		if (cred_preauthorize(account_cred(r->a), &r->pre[i], m, NULL) < 0)
			r->n_pre = 0; /* the request goes without; a challenge will say */
	memset(&r->chain, 0, sizeof(r->chain));
	r->cseq++;
	r->attempts++;
	r->ct_unreg = unregister;
	if ((err = send_msg(r, m)) < 0)
		return why_set(why, err, err == -EAGAIN ? WHY_BUSY : WHY_FAILED, NULL,
			       "cannot send the REGISTER: %s",
			       err == -EAGAIN ? "transaction table full" : strerror(-err));
	log_debug("%s: REGISTER %s (CSeq %u, Expires %u)", r->handle, account_registrar(r->a),
		  (unsigned)r->cseq, unregister ? 0 : r->want_expires);
	return 0;
}

/* Target i of the resolution as r->dest. 0 or -errno (why). */
static int use_target(struct reg *r, size_t i, struct why *why)
{
	struct sip_dest d;

	dns_target_dest(&r->tg[i], &d);
	r->cur_tg = i;
	return dest_local(r, &d, why);
}

/*
 * RFC 3263 §4.3: no answer, a transport error or a 503 from one target:
 * the same REGISTER (new chain) to the next.  true if one went.
 */
static bool next_target(struct reg *r, bool unregister)
{
	struct why why;
	char a[NET_ADDR_STRLEN];

	while (r->env.dns && r->resolved && r->cur_tg + 1 < r->n_tg) {
		if (use_target(r, r->cur_tg + 1, &why) < 0 || send_to_dest(r, unregister, &why) < 0)
			continue;
		log_info("%s: %s: trying the next registrar target, %s:%s (%s)", r->handle,
			 account_name(r->a), net_proto_name(r->dest.proto),
			 net_addr_fmt(&r->dest.addr, a, sizeof(a)), r->tg[r->cur_tg].host);
		return true;
	}
	return false;
}

/* The URI our REGISTER is sent toward: the outbound proxy's, else the registrar (malloc'd). */
static int next_hop_uri(struct reg *r, char **urip, struct why *why)
{
	const char *route = account_proxy_route(r->a);
	char *uri = NULL;
	bool lr;
	int err, t = account_transport(r->a);

	if (route) {
		if ((err = msg_route_uri(route, &uri, &lr)) < 0)
			return why_set(why, err, WHY_FAILED, NULL, "outbound proxy %s is not a URI",
				       route);
	} else if (!(uri = strdup(account_registrar(r->a)))) {
		return why_set(why, -ENOMEM, WHY_FAILED, NULL, "out of memory");
	}
	/* The account's transport, where the URI does not name one (RFC 3263 §4.1). */
	if (t >= 0 && !strcasestr(uri, ";transport=")) {
		char *with = NULL;

		if (asprintf(&with, "%s;transport=%s", uri, net_proto_name((enum net_proto)t)) < 0) {
			free(uri);
			return why_set(why, -ENOMEM, WHY_FAILED, NULL, "out of memory");
		}
		free(uri);
		uri = with;
	}
	*urip = uri;
	return 0;
}

static void on_dns(void *arg, int err, const struct dns_target *t, size_t n, const char *why_text)
{
	struct reg *r = arg;
	struct why why;

	r->q = NULL;
	if (err < 0) {
		fail(r, 503, 0, "%s", why_text);
		return;
	}
	free(r->tg);
	if (!(r->tg = malloc(n * sizeof(*t)))) {
		r->n_tg = 0;
		fail(r, 503, 0, "out of memory");
		return;
	}
	memcpy(r->tg, t, n * sizeof(*t));
	r->n_tg = n;
	r->resolved = true;
	if (use_target(r, 0, &why) < 0 || send_to_dest(r, r->q_unreg, &why) < 0) {
		if (!next_target(r, r->q_unreg))
			fail(r, 503, 0, "%s", why.msg);
	}
}

/* One REGISTER (unregister: Expires 0), a new chain. 0 or -errno (why). */
static int send_register(struct reg *r, bool unregister, struct why *why)
{
	char msg[WHY_MSG_MAX];
	char *uri = NULL;
	int err;

	tmr_stop(&r->tmr);
	if (r->ct) {
		tsx_detach(r->ct);
		r->ct = NULL;
	}
	dns_cancel(r->q);
	r->q = NULL;
	if (!r->env.dns) {
		if ((err = find_dest(r, why)) < 0)
			return err;
		return send_to_dest(r, unregister, why);
	}
	/* A refresh, a 423 or NAT resend, an Expires: 0: the target that answered. */
	if (r->resolved && r->have_dest)
		return send_to_dest(r, unregister, why);
	if ((err = next_hop_uri(r, &uri, why)) < 0)
		return err;
	r->q_unreg = unregister;
	err = dns_resolve_uri(r->env.dns, uri, on_dns, r, &r->q, msg, sizeof(msg));
	free(uri);
	if (err < 0)
		return why_set(why, err, WHY_FAILED, NULL, "%s", msg);
	return 0;
}

/* Register (or refresh) now; a failure to send fails the attempt from here. */
static int attempt(struct reg *r, struct why *why)
{
	struct why w;
	int err;

	r->n423 = 0;
	r->nat_tried = false;
	if ((err = send_register(r, false, &w)) < 0) {
		if (why)
			*why = w;
		/* Failed before any wire: scheduled and reported like any other failure. */
		fail(r, 503, 0, "%s", w.msg);
		return err;
	}
	if (r->state != REG_REGISTERED)
		set_state(r, REG_REGISTERING);
	return 0;
}

static void on_timer(void *arg)
{
	struct reg *r = arg;

	if (r->stop_due) {
		reg_stop(r);
		return;
	}
	attempt(r, NULL);
}

/*
 * A keepalive's outcome.  On a stream, no pong within the bound or a lost
 * connection means the flow has failed (RFC 5626 §4.4.1): the stack
 * closed it, so registering again at once, as the refresh timer would,
 * opens a new one (and replaces a REGISTER in flight on the old one).
 */
static void on_keepalive_done(void *arg, int err)
{
	struct reg *r = arg;

	r->kp = NULL;
	if (err == 0)
		return;
	if (r->dest.proto == NET_UDP || r->state != REG_REGISTERED) {
		log_debug("%s: keepalive to the registrar failed: %s", r->handle, strerror(-err));
		return;
	}
	if (err == -ETIMEDOUT)
		log_info("%s: %s: no keepalive pong from the registrar within %u s: "
			 "registering again",
			 r->handle, account_name(r->a), SIP_PONG_TIMEOUT_MS / 1000);
	else
		log_info("%s: %s: keepalive to the registrar failed (%s): registering again",
			 r->handle, account_name(r->a), strerror(-err));
	attempt(r, NULL);
}

static void on_keepalive(void *arg)
{
	struct reg *r = arg;
	struct sip_dest d = r->dest;
	const char *ka = r->dest.proto == NET_UDP ? "\r\n" : "\r\n\r\n";
	int err = 0;

	if (r->state != REG_REGISTERED || !r->have_dest)
		return;
	if (!r->env.keepalive)
		err = tsx_send_raw(r->env.tsx, &d, ka, strlen(ka));
	else if (!r->kp) /* one at a time: while a ping awaits its pong, that pong decides */
		err = r->env.keepalive(r->env.keepalive_arg, &d, SIP_PONG_TIMEOUT_MS,
				       on_keepalive_done, r, &r->kp);
	if (err < 0)
		log_debug("%s: keepalive to the registrar failed: %s", r->handle, strerror(-err));
	if (tmr_start(&r->ka, (uint64_t)account_keepalive(r->a) * 1000) < 0)
		log_err("%s: cannot arm the keepalive timer: out of memory", r->handle);
}

int reg_start(struct reg *r, struct why *why)
{
	if (why)
		*why = (struct why){.kind = WHY_FAILED};
	r->stopping = false;
	r->stop_due = false;
	if (r->ct && !r->ct_unreg)
		return 0; /* one in flight already */
	r->want_expires = account_expires(r->a);
	return attempt(r, why);
}

int reg_start_after(struct reg *r, unsigned ms)
{
	if (ms == 0)
		return reg_start(r, NULL);
	r->stopping = false;
	r->want_expires = account_expires(r->a);
	return tmr_start(&r->tmr, ms);
}

int reg_stop_after(struct reg *r, unsigned ms)
{
	if (ms == 0 || (!r->bound && !r->ct)) {
		reg_stop(r);
		return 0;
	}
	r->stopping = true; /* no refresh or retry in the meantime */
	r->stop_due = true;
	return tmr_start(&r->tmr, ms);
}

void reg_stop(struct reg *r)
{
	struct why why;

	r->stop_due = false;
	r->stopping = true;
	tmr_stop(&r->tmr);
	ka_stop(r);
	if (r->state == REG_UNREGISTERING)
		return;
	if (!r->bound && !r->ct) {
		/* Nothing sent yet: a resolution in progress just stops. */
		dns_cancel(r->q);
		r->q = NULL;
		if (r->state != REG_UNREGISTERED)
			set_state(r, REG_UNREGISTERED);
		return;
	}
	if (send_register(r, true, &why) < 0) {
		log_info("%s: cannot unregister %s: %s", r->handle, account_name(r->a), why.msg);
		r->bound = false;
		set_state(r, REG_UNREGISTERED);
		return;
	}
	set_state(r, REG_UNREGISTERING);
}

int reg_set_account(struct reg *r, struct account *b, struct why *why)
{
	r->n_pre = 0; /* the credentials may have changed */
	account_hold(b);
	account_free(r->a);
	r->a = b;
	if (r->have_public)
		account_set_public(b, &r->public_addr);
	if (r->stopping)
		return 0;
	return reg_start(r, why);
}
