/*
 * dns: RFC 3263 resolutions (see dns.h for the rules): dns_rr.c decides,
 * dns_ares.c asks c-ares, this file holds the state and waits.
 *
 * Owns:
 *   - resolutions (struct dns_query): a plan, then up to three steps
 *     (NAPTR, SRV, A/AAAA), each a set of slots answered by the cache or
 *     by a lookup.  A step ends when its last slot is answered; when that
 *     happens inside a c-ares callback, the step's end is deferred to the
 *     query's 0 ms timer (core/tmr.h), so a caller's callback never runs
 *     inside c-ares and always runs from the loop.
 *   - lookups: one query (type, name) in flight on a channel, with the
 *     slots waiting for it (a second resolution asking the same joins
 *     it).  c-ares 1.18 cannot cancel one query: a cancelled resolution
 *     only leaves the waiters' list; the answer still goes to the cache.
 *   - channels: the current one, and those a reload replaced, which drain
 *     their lookups and are then freed by a deferred event, never from
 *     inside c-ares.
 *   - the cache (dns_cache.c), aged on the injectable clock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/htab.h"
#include "core/log.h"
#include "core/rnd.h"
#include "core/tmr.h"
#include "core/why.h"
#include "sip/dns.h"
#include "sip/dns_int.h"

#define DNS_SLOTS_MAX (2 * DNS_HOSTS_MAX)

struct dns_query;
struct dns_lookup;

/* One question of a step, and its answer. */
struct dns_slot {
	struct dns_query *q;
	uint16_t qtype;
	const char *name;      /* normalised; in the query (plan, srv[] or hosts[]) */
	struct dns_lookup *lk; /* waiting for it; NULL when answered */
	struct dns_slot *next; /* lk's waiters */
	enum dns_rc rc;
	struct dns_rrset *rs; /* a reference, for OK / NODATA / NXDOMAIN */
};

struct dns_lookup {
	struct dns *d;
	struct dns_chan *ch; /* the channel it went out on */
	uint16_t qtype;
	const char *name; /* in key */
	struct dns_slot *waiters;
	struct htab_node node; /* d->lookups, while ch is the current channel */
	bool hashed;
	size_t keylen;
	char key[2 + DNS_NAME_SIZE]; /* qtype (big endian), name */
};

/* A channel replaced by dns_set_cfg, draining. */
struct dns_old {
	struct dns_chan *ch;
	struct dns_old *next;
};

enum dns_qstate { Q_START, Q_NAPTR, Q_SRV, Q_ADDR };

struct dns_query {
	struct dns *d;
	dns_done_fn *done;
	void *arg;
	struct dns_plan plan;
	enum dns_qstate state;
	struct tmr tmr;	  /* the start, and a step's end after a c-ares callback */
	unsigned pending; /* slots of the step not answered yet */
	struct dns_slot slots[DNS_SLOTS_MAX];
	unsigned nslots;
	struct dns_srvname srv[DNS_SRV_NAMES_MAX];
	unsigned nsrv;
	struct dns_host hosts[DNS_HOSTS_MAX];
	unsigned nhosts;
	struct dns_target t[DNS_TARGETS_MAX];
	struct dns_query *prev, *next;
};

struct dns {
	struct event_base *base;
	struct tmr_clock *clk;
	struct dns_cfg cfg;
	char *servers;		 /* cfg.servers, our copy */
	struct dns_chan *chan;	 /* for new lookups */
	struct dns_old *retired; /* draining */
	struct event *reap;	 /* frees drained channels, outside c-ares */
	struct htab *lookups;	 /* in flight on the current channel, by (qtype, name) */
	bool freeing;
	struct dns_cache *cache;
	struct dns_query *queries;
	unsigned nqueries;
	struct dns_stats stats;
};

/* ---- configuration ---- */

int dns_cfg_check(const struct dns_cfg *cfg, char *why, size_t whylen)
{
	struct net_addr sv[DNS_SERVERS_MAX];
	int n;

	if ((n = dns_servers_parse(cfg->servers, sv, DNS_SERVERS_MAX, why, whylen)) < 0)
		return n;
	if (cfg->timeout_ms > 60000)
		return why_fmt(why, whylen, -EINVAL,
			       "DNS timeout %u ms is out of range (1 to 60000 ms)",
			       cfg->timeout_ms);
	if (cfg->tries > 10)
		return why_fmt(why, whylen, -EINVAL, "DNS tries %u is out of range (1 to 10)",
			       cfg->tries);
	if (cfg->transports & ~(DNS_TP_UDP | DNS_TP_TCP | DNS_TP_TLS))
		return why_fmt(why, whylen, -EINVAL, "unknown transport bits 0x%x",
			       cfg->transports);
	return 0;
}

/* ---- slots and lookups ---- */

static void query_step_end(struct dns_query *q);

/* An answer for s.  No caller's code runs here: a step's end is deferred. */
static void slot_done(struct dns_slot *s, enum dns_rc rc, struct dns_rrset *rs)
{
	struct dns_query *q = s->q;

	s->lk = NULL;
	s->next = NULL;
	s->rc = rc;
	s->rs = dns_rrset_ref(rs);
	if (--q->pending == 0)
		tmr_start(&q->tmr, 0);
}

/* The key of (qtype, name) into key; its length. */
static size_t lookup_key(uint16_t qtype, const char *name, char key[2 + DNS_NAME_SIZE])
{
	size_t len = strlen(name);

	key[0] = (char)(qtype >> 8);
	key[1] = (char)(qtype & 0xff);
	memcpy(key + 2, name, len + 1);
	return 2 + len;
}

static void lookup_unhash(struct dns_lookup *lk)
{
	if (lk->hashed)
		htab_remove(lk->d->lookups, &lk->node);
	lk->hashed = false;
}

static void lookup_unhash_cb(struct htab_node *n, void *arg)
{
	lookup_unhash(container_of(n, struct dns_lookup, node));
}

/* Is ch a channel a reload replaced, now without lookups? */
static bool chan_drained(struct dns *d, struct dns_chan *ch)
{
	return ch != d->chan && dns_chan_pending(ch) == 0;
}

static void lookup_answer(void *arg, enum dns_rc rc, struct dns_rrset *rs, uint32_t ttl)
{
	struct dns_lookup *lk = arg;
	struct dns *d = lk->d;
	struct dns_slot *s, *next;

	lookup_unhash(lk);
	if (d->freeing) { /* dns_free: its resolutions are gone already */
		free(lk);
		return;
	}
	log_debug("dns: %s %s: rc %d, keep %u s%s", dns_type_name(lk->qtype), lk->name, (int)rc,
		  ttl, lk->ch == d->chan ? "" : " (servers before a reload: not cached)");
	/* An old channel's answer came from the servers of before the reload. */
	if (rs && ttl && lk->ch == d->chan)
		dns_cache_put(d->cache, lk->name, rs, ttl, tmr_now(d->clk));
	for (s = lk->waiters; s; s = next) {
		next = s->next;
		slot_done(s, rc, rs);
	}
	if (chan_drained(d, lk->ch))
		event_active(d->reap, EV_TIMEOUT, 0);
	free(lk);
}

/* Answer s from the cache, or join the identical lookup in flight, or send one. */
static void lookup_start(struct dns_slot *s)
{
	struct dns *d = s->q->d;
	char key[2 + DNS_NAME_SIZE];
	struct dns_rrset *rs;
	struct dns_lookup *lk;
	struct htab_node *n;
	size_t keylen;

	if ((rs = dns_cache_get(d->cache, s->qtype, s->name, tmr_now(d->clk)))) {
		d->stats.cache_hits++;
		slot_done(s, rs->rc, rs);
		dns_rrset_unref(rs);
		return;
	}
	keylen = lookup_key(s->qtype, s->name, key);
	if ((n = htab_find(d->lookups, key, keylen))) {
		lk = container_of(n, struct dns_lookup, node);
		d->stats.joined++;
		s->lk = lk;
		s->next = lk->waiters;
		lk->waiters = s;
		return;
	}
	if (!(lk = calloc(1, sizeof(*lk)))) {
		slot_done(s, DNS_RC_NOMEM, NULL);
		return;
	}
	lk->d = d;
	lk->ch = d->chan;
	lk->qtype = s->qtype;
	memcpy(lk->key, key, keylen + 1);
	lk->keylen = keylen;
	lk->name = lk->key + 2;
	lk->waiters = s;
	s->lk = lk;
	/* Not joinable if this fails (no memory): still asked. */
	lk->hashed = htab_insert(d->lookups, &lk->node, lk->key, lk->keylen) == 0;
	d->stats.lookups++;
	log_debug("dns: query %s %s", dns_type_name(lk->qtype), lk->name);
	dns_chan_query(lk->ch, lk->qtype, lk->name, lookup_answer, lk); /* may answer now */
}

static void waiter_remove(struct dns_slot *s)
{
	struct dns_slot **pp;

	if (!s->lk)
		return;
	for (pp = &s->lk->waiters; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->lk = NULL;
	s->next = NULL;
}

static void slots_clear(struct dns_query *q)
{
	for (unsigned i = 0; i < q->nslots; i++) {
		waiter_remove(&q->slots[i]);
		dns_rrset_unref(q->slots[i].rs);
	}
	memset(q->slots, 0, sizeof(q->slots));
	q->nslots = 0;
}

static void slot_add(struct dns_query *q, uint16_t qtype, const char *name)
{
	struct dns_slot *s = &q->slots[q->nslots++];

	s->q = q;
	s->qtype = qtype;
	s->name = name;
}

/* Ask every slot; the step ends now if the cache answered them all. */
static void step_issue(struct dns_query *q, enum dns_qstate state)
{
	q->state = state;
	q->pending = q->nslots + 1; /* +1 while asking: no answer may end the step meanwhile */
	for (unsigned i = 0; i < q->nslots; i++)
		lookup_start(&q->slots[i]);
	if (--q->pending == 0)
		query_step_end(q);
}

/* ---- resolutions ---- */

static void query_unlink(struct dns_query *q)
{
	struct dns *d = q->d;

	if (q->prev)
		q->prev->next = q->next;
	else
		d->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	d->nqueries--;
}

static void query_free(struct dns_query *q)
{
	slots_clear(q);
	tmr_close(&q->tmr);
	free(q);
}

/* The end: the caller hears, then the query is freed. */
static void query_finish(struct dns_query *q, int err, size_t n, const char *why)
{
	/* RFC 5922 §4.1: a TLS server is checked against the URI's domain, not the SRV target. */
	for (size_t i = 0; err == 0 && i < n; i++)
		if (q->t[i].proto == NET_TLS && q->plan.first != DNS_STEP_LITERAL)
			snprintf(q->t[i].name, sizeof(q->t[i].name), "%s", q->plan.host);
	query_unlink(q);
	q->done(q->arg, err, err ? NULL : q->t, err ? 0 : n, err ? why : NULL);
	query_free(q);
}

static int query_fail(struct dns_query *q, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int query_fail(struct dns_query *q, int err, const char *fmt, ...)
{
	char why[WHY_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	query_finish(q, err, 0, why);
	return err;
}

static bool rc_negative(enum dns_rc rc)
{
	return rc == DNS_RC_NODATA || rc == DNS_RC_NXDOMAIN;
}

/* A lookup that ended the resolution, told in words. */
static void fail_slot(struct dns_query *q, const struct dns_slot *s, const char *more)
{
	const char *t = dns_type_name(s->qtype);

	switch (s->rc) {
	case DNS_RC_NXDOMAIN:
		query_fail(q, -ENOENT, "no such domain: %s (NXDOMAIN)%s", s->name, more);
		break;
	case DNS_RC_NODATA:
		query_fail(q, -ENODATA, "no address (A or AAAA record) for %s%s", s->name, more);
		break;
	case DNS_RC_TIMEOUT:
		query_fail(q, -ETIMEDOUT, "DNS timeout for %s (%s)%s", s->name, t, more);
		break;
	case DNS_RC_REFUSED:
		query_fail(q, -ECONNREFUSED,
			   "no DNS server answered for %s (%s): connection refused or server "
			   "failure%s",
			   s->name, t, more);
		break;
	case DNS_RC_SERVFAIL:
		query_fail(q, -EIO, "DNS server failure for %s (%s)%s", s->name, t, more);
		break;
	case DNS_RC_NOMEM:
		query_fail(q, -ENOMEM, "out of memory resolving %s", s->name);
		break;
	default:
		query_fail(q, -ECANCELED, "DNS resolution of %s cancelled", s->name);
		break;
	}
}

/* A/AAAA of every host: IPv4 first, then IPv6, host by host. */
static void step_addr(struct dns_query *q)
{
	slots_clear(q);
	for (unsigned i = 0; i < q->nhosts; i++) {
		slot_add(q, DNS_T_A, q->hosts[i].name);
		slot_add(q, DNS_T_AAAA, q->hosts[i].name);
	}
	step_issue(q, Q_ADDR);
}

/* §4.2: no SRV: the host itself, default port and transport. */
static void step_addr_fallback(struct dns_query *q)
{
	q->nhosts = 1;
	q->hosts[0].tp = q->plan.tp;
	q->hosts[0].port = q->plan.port;
	memcpy(q->hosts[0].name, q->plan.qname, sizeof(q->hosts[0].name));
	step_addr(q);
}

static void step_srv(struct dns_query *q)
{
	if (q->nsrv == 0) {
		step_addr_fallback(q);
		return;
	}
	slots_clear(q);
	for (unsigned i = 0; i < q->nsrv; i++)
		slot_add(q, DNS_T_SRV, q->srv[i].name);
	step_issue(q, Q_SRV);
}

static void naptr_done(struct dns_query *q)
{
	const struct dns_slot *s = &q->slots[0];

	if (s->rc == DNS_RC_OK) {
		q->nsrv = (unsigned)dns_naptr_pick(s->rs, &q->plan, q->srv, DNS_SRV_NAMES_MAX);
	} else if (!rc_negative(s->rc)) {
		fail_slot(q, s, "");
		return;
	}
	if (q->nsrv == 0) /* no NAPTR, or none we can use */
		q->nsrv = (unsigned)dns_srv_names(&q->plan, q->srv, DNS_SRV_NAMES_MAX);
	step_srv(q);
}

static void srv_done(struct dns_query *q)
{
	const struct dns_slot *hard = NULL;
	const char *dotted = NULL;

	q->nhosts = 0;
	for (unsigned i = 0; i < q->nslots; i++) {
		const struct dns_slot *s = &q->slots[i];
		unsigned dots = 0;

		if (s->rc == DNS_RC_OK) {
			q->nhosts += (unsigned)dns_srv_order(s->rs, q->srv[i].tp, rnd_uniform,
							     q->hosts + q->nhosts,
							     DNS_HOSTS_MAX - q->nhosts, &dots);
			if (dots && !dotted)
				dotted = s->name;
		} else if (!rc_negative(s->rc) && !hard) {
			hard = s;
		}
	}
	if (q->nhosts)
		step_addr(q);
	else if (hard) /* we cannot tell there is no SRV */
		fail_slot(q, hard, "");
	else if (dotted) /* RFC 2782: "decidedly not available" */
		query_fail(q, -ENOENT, "no SIP service at %s (its SRV target is \".\")", dotted);
	else
		step_addr_fallback(q);
}

static void addr_done(struct dns_query *q)
{
	const struct dns_slot *a = &q->slots[0], *aaaa = &q->slots[1], *why;
	char more[64] = "";
	size_t n = 0;

	for (unsigned i = 0; i < q->nslots; i++)
		if (q->slots[i].rc == DNS_RC_OK)
			dns_targets_add(q->t, &n, DNS_TARGETS_MAX, &q->hosts[i / 2],
					q->slots[i].rs);
	if (n) {
		query_finish(q, 0, n, NULL);
		return;
	}
	/* Nothing: say why for the first host, the one most preferred. */
	if (!rc_negative(a->rc))
		why = a;
	else if (!rc_negative(aaaa->rc))
		why = aaaa;
	else
		why = a->rc == DNS_RC_NXDOMAIN || aaaa->rc == DNS_RC_NXDOMAIN
			  ? (a->rc == DNS_RC_NXDOMAIN ? a : aaaa)
			  : a;
	if (q->nhosts > 1)
		snprintf(more, sizeof(more), ", nor for the %u other SRV targets", q->nhosts - 1);
	fail_slot(q, why, more);
}

static void query_step_end(struct dns_query *q)
{
	switch (q->state) {
	case Q_NAPTR:
		naptr_done(q);
		break;
	case Q_SRV:
		srv_done(q);
		break;
	case Q_ADDR:
		addr_done(q);
		break;
	case Q_START:
		break;
	}
}

static void query_start(struct dns_query *q)
{
	struct dns_plan *pl = &q->plan;

	switch (pl->first) {
	case DNS_STEP_LITERAL:
		q->t[0].proto = dns_tp_proto(pl->tp);
		q->t[0].addr = pl->literal;
		memcpy(q->t[0].host, pl->host, sizeof(q->t[0].host));
		query_finish(q, 0, 1, NULL);
		break;
	case DNS_STEP_ADDR:
		step_addr_fallback(q); /* the host with its port */
		break;
	case DNS_STEP_SRV:
		q->nsrv = (unsigned)dns_srv_names(pl, q->srv, DNS_SRV_NAMES_MAX);
		step_srv(q);
		break;
	case DNS_STEP_NAPTR:
		slots_clear(q);
		slot_add(q, DNS_T_NAPTR, pl->qname);
		step_issue(q, Q_NAPTR);
		break;
	}
}

/* From the loop: the start, or the end of a step answered inside c-ares. */
static void query_tmr_cb(void *arg)
{
	struct dns_query *q = arg;

	if (q->state == Q_START)
		query_start(q);
	else
		query_step_end(q);
}

int dns_resolve_uri(struct dns *d, const char *uri, dns_done_fn *done, void *arg,
		    struct dns_query **qp, char *why, size_t whylen)
{
	struct dns_query *q;
	int err;

	if (d->nqueries >= DNS_QUERIES_MAX)
		return why_fmt(why, whylen, -EBUSY, "too many DNS resolutions in progress (%d)",
			       DNS_QUERIES_MAX);
	if (!(q = calloc(1, sizeof(*q))))
		return why_fmt(why, whylen, -ENOMEM, "out of memory");
	if ((err = dns_plan_make(uri, d->cfg.transports, &q->plan, why, whylen)) < 0) {
		free(q);
		return err;
	}
	q->d = d;
	q->done = done;
	q->arg = arg;
	tmr_init(&q->tmr, d->clk, query_tmr_cb, q);
	if (tmr_start(&q->tmr, 0) < 0) {
		tmr_close(&q->tmr);
		free(q);
		return why_fmt(why, whylen, -ENOMEM, "out of memory");
	}
	q->next = d->queries;
	if (d->queries)
		d->queries->prev = q;
	d->queries = q;
	d->nqueries++;
	d->stats.resolutions++;
	if (qp)
		*qp = q;
	return 0;
}

void dns_cancel(struct dns_query *q)
{
	if (!q)
		return;
	query_unlink(q);
	query_free(q);
}

/* ---- the resolver ---- */

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns *d = arg;
	struct dns_old **pp = &d->retired, *o;

	while ((o = *pp)) {
		if (dns_chan_pending(o->ch) == 0) {
			*pp = o->next;
			dns_chan_free(o->ch);
			free(o);
		} else {
			pp = &o->next;
		}
	}
}

static int cfg_store(struct dns *d, const struct dns_cfg *cfg)
{
	char *servers = NULL;

	if (cfg->servers && !(servers = strdup(cfg->servers)))
		return -ENOMEM;
	free(d->servers);
	d->servers = servers;
	d->cfg = *cfg;
	d->cfg.servers = servers;
	return 0;
}

int dns_new(struct dns **dp, struct event_base *base, struct tmr_clock *clk,
	    const struct dns_cfg *cfg)
{
	struct dns *d;
	int err;

	if (dns_cfg_check(cfg, NULL, 0) < 0)
		return -EINVAL;
	if ((err = dns_lib_init()) < 0)
		return err;
	if (!(d = calloc(1, sizeof(*d)))) {
		dns_lib_cleanup();
		return -ENOMEM;
	}
	d->base = base;
	d->clk = clk;
	if ((err = cfg_store(d, cfg)) < 0 || (err = dns_cache_new(&d->cache, DNS_CACHE_MAX)) < 0 ||
	    (err = htab_new(&d->lookups)) < 0)
		goto fail;
	err = -ENOMEM;
	if (!(d->reap = event_new(base, -1, 0, reap_cb, d)))
		goto fail;
	if ((err = dns_chan_new(base, cfg, &d->chan)) < 0)
		goto fail;
	*dp = d;
	return 0;
fail:
	dns_free(d);
	return err;
}

int dns_set_cfg(struct dns *d, const struct dns_cfg *cfg)
{
	struct dns_chan *ch, *old;
	struct dns_old *o;
	int err;

	if (dns_cfg_check(cfg, NULL, 0) < 0)
		return -EINVAL;
	if (!(o = calloc(1, sizeof(*o))))
		return -ENOMEM;
	if ((err = dns_chan_new(d->base, cfg, &ch)) < 0) {
		free(o);
		return err;
	}
	if ((err = cfg_store(d, cfg)) < 0) {
		dns_chan_free(ch);
		free(o);
		return err;
	}
	old = d->chan;
	d->chan = ch;
	dns_cache_clear(d->cache);
	/* The old servers' lookups finish, but no new resolution joins them. */
	htab_foreach(d->lookups, lookup_unhash_cb, NULL);
	if (dns_chan_pending(old) == 0) {
		dns_chan_free(old);
		free(o);
	} else {
		o->ch = old;
		o->next = d->retired;
		d->retired = o;
	}
	return 0;
}

void dns_free(struct dns *d)
{
	struct dns_old *o;

	if (!d)
		return;
	while (d->queries) /* dropped silently: their owners are gone */
		dns_cancel(d->queries);
	d->freeing = true; /* the lookups left end with DNS_RC_CANCELLED */
	dns_chan_free(d->chan);
	while ((o = d->retired)) {
		d->retired = o->next;
		dns_chan_free(o->ch);
		free(o);
	}
	if (d->reap)
		event_free(d->reap);
	htab_free(d->lookups);
	dns_cache_free(d->cache);
	free(d->servers);
	free(d);
	dns_lib_cleanup();
}

void dns_get_stats(const struct dns *d, struct dns_stats *out)
{
	*out = d->stats;
	out->in_progress = d->nqueries;
	out->cached = (unsigned)dns_cache_count(d->cache);
	out->draining = 0;
	for (const struct dns_old *o = d->retired; o; o = o->next)
		out->draining++;
}

struct dns_cache *dns_cache_of(struct dns *d)
{
	return d->cache;
}
