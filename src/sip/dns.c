/*
 * dns: RFC 3263 resolution on c-ares, on the daemon's libevent loop (see
 * dns.h for the rules; dns_rr.c decides, this file asks and waits).
 *
 * Owns:
 *   - channels: one c-ares channel per configuration (dns_set_cfg makes a
 *     new one; the old one drains its lookups, then a deferred event frees
 *     it, never from inside c-ares).  c-ares tells us its sockets through
 *     ARES_OPT_SOCK_STATE_CB: each becomes a persistent libevent event that
 *     calls ares_process_fd(); its timeouts are one libevent timer per
 *     channel, re-armed from ares_timeout() after every call into c-ares.
 *     That timer runs on real time, like c-ares itself.
 *   - lookups: one c-ares query (type, name) in flight, with the slots of
 *     the resolutions waiting for it (a second resolution asking the same
 *     joins it).  c-ares 1.18 cannot cancel one query: a cancelled
 *     resolution only leaves the waiters' list; the answer still goes to
 *     the cache.
 *   - resolutions (struct dns_query): a plan, then up to three steps
 *     (NAPTR, SRV, A/AAAA), each a set of slots answered by the cache or a
 *     lookup.  A step ends when its last slot is answered; when that
 *     happens inside a c-ares callback, the step's end is deferred to the
 *     query's 0 ms timer (core/tmr.h), so a caller's callback never runs
 *     inside c-ares and always runs from the loop.
 *   - the cache (dns_cache.c), aged on the injectable clock.
 *
 * TTLs: A and AAAA from c-ares' addrttls; SRV and NAPTR (c-ares 1.18 gives
 * none) and the SOA of negative answers from the raw answer by
 * dns_raw_ttls(), which reads only fixed RR headers, bounded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <event2/event.h>

#include "core/log.h"
#include "core/rnd.h"
#include "core/tmr.h"
#include "core/why.h"
#include "sip/dns.h"
#include "sip/dns_int.h"

#define DNS_SLOTS_MAX (2 * DNS_HOSTS_MAX)
#define DNS_CLASS_IN 1

struct dns_chan;
struct dns_query;

/* One socket c-ares asked us to watch. */
struct dns_sock {
	ares_socket_t fd;
	struct event *ev;
	struct dns_chan *ch;
	struct dns_sock *next;
};

struct dns_lookup;

struct dns_chan {
	struct dns *d;
	ares_channel ares;
	struct event *tmo; /* ares_timeout() */
	struct dns_sock *socks;
	struct dns_lookup *lookups; /* in flight on this channel */
	unsigned inflight;
	bool retired;	       /* replaced by dns_set_cfg: free once drained */
	bool destroying;       /* inside ares_destroy() */
	struct dns_chan *next; /* the retired list */
};

/* One question of a step, and its answer. */
struct dns_slot {
	struct dns_query *q;
	uint16_t qtype;
	const char *name;      /* normalised; in the query (plan, srv[] or hosts[]) */
	struct dns_lookup *lk; /* waiting for it; NULL when answered */
	struct dns_slot *next; /* lk's waiters */
	bool done;
	enum dns_rc rc;
	struct dns_rrset *rs; /* a reference, for OK / NODATA / NXDOMAIN */
};

struct dns_lookup {
	struct dns_chan *ch;
	uint16_t qtype;
	char name[DNS_NAME_SIZE];
	struct dns_slot *waiters;
	struct dns_lookup *next;
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
	char *servers;		  /* cfg.servers, our copy */
	struct dns_chan *chan;	  /* for new lookups */
	struct dns_chan *retired; /* draining */
	struct event *reap;	  /* frees drained channels, outside c-ares */
	struct dns_cache *cache;
	struct dns_query *queries;
	unsigned nqueries;
	struct dns_stats stats;
};

static const char *type_name(uint16_t qtype)
{
	switch (qtype) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_SRV:
		return "SRV";
	case DNS_T_NAPTR:
		return "NAPTR";
	}
	return "?";
}

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

/* ---- channels: c-ares on libevent ---- */

static void chan_rearm(struct dns_chan *ch)
{
	struct timeval tv, *tvp = ares_timeout(ch->ares, NULL, &tv);

	if (tvp)
		evtimer_add(ch->tmo, tvp);
	else
		evtimer_del(ch->tmo);
}

static void chan_tmo_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_chan *ch = arg;

	ares_process_fd(ch->ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	chan_rearm(ch);
}

static void sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_sock *s = arg;
	struct dns_chan *ch = s->ch; /* s may be freed inside ares_process_fd */

	ares_process_fd(ch->ares, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	chan_rearm(ch);
}

/*
 * c-ares opens, changes or closes a socket.  Without memory for the event
 * the socket goes unwatched: its queries end by timeout (the channel's
 * timer still runs), and that is logged.
 */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_chan *ch = data;
	struct dns_sock **pp, *s;
	short what = (short)((readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));

	for (pp = &ch->socks; *pp && (*pp)->fd != fd; pp = &(*pp)->next)
		;
	s = *pp;
	if (s) { /* a new set of events: a new event (freeing our own running one is safe) */
		event_free(s->ev);
		s->ev = NULL;
		if (!what) {
			*pp = s->next;
			free(s);
			return;
		}
	} else if (what) {
		if (!(s = calloc(1, sizeof(*s)))) {
			log_err("dns: out of memory watching a DNS socket");
			return;
		}
		s->fd = fd;
		s->ch = ch;
		s->next = ch->socks;
		ch->socks = s;
	} else {
		return;
	}
	s->ev = event_new(ch->d->base, fd, what | EV_PERSIST, sock_cb, s);
	if (!s->ev || event_add(s->ev, NULL) < 0)
		log_err("dns: out of memory watching a DNS socket");
}

static void chan_free(struct dns_chan *ch)
{
	struct dns_sock *s, *next;

	if (!ch)
		return;
	if (ch->ares) {
		ch->destroying = true;
		ares_destroy(ch->ares); /* lookups end with ARES_EDESTRUCTION */
	}
	for (s = ch->socks; s; s = next) {
		next = s->next;
		if (s->ev)
			event_free(s->ev);
		free(s);
	}
	if (ch->tmo)
		event_free(ch->tmo);
	free(ch);
}

static int chan_new(struct dns *d, const struct dns_cfg *cfg, struct dns_chan **chp)
{
	struct ares_addr_port_node nodes[DNS_SERVERS_MAX];
	struct net_addr sv[DNS_SERVERS_MAX];
	struct ares_options o;
	struct dns_chan *ch;
	int n, rc;

	if ((n = dns_servers_parse(cfg->servers, sv, DNS_SERVERS_MAX, NULL, 0)) < 0)
		return n;
	if (!(ch = calloc(1, sizeof(*ch))))
		return -ENOMEM;
	ch->d = d;
	if (!(ch->tmo = evtimer_new(d->base, chan_tmo_cb, ch))) {
		free(ch);
		return -ENOMEM;
	}
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = ch;
	o.timeout = (int)(cfg->timeout_ms ? cfg->timeout_ms : DNS_TIMEOUT_MS_DEFAULT);
	o.tries = (int)(cfg->tries ? cfg->tries : DNS_TRIES_DEFAULT);
	rc = ares_init_options(&ch->ares, &o,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		log_err("dns: c-ares: %s", ares_strerror(rc));
		ch->ares = NULL;
		chan_free(ch);
		return rc == ARES_ENOMEM ? -ENOMEM : -EIO;
	}
	for (int i = 0; i < n; i++) {
		struct ares_addr_port_node *p = &nodes[i];

		memset(p, 0, sizeof(*p));
		p->next = i + 1 < n ? &nodes[i + 1] : NULL;
		p->family = net_addr_family(&sv[i]);
		if (p->family == AF_INET)
			p->addr.addr4 = ((const struct sockaddr_in *)&sv[i].ss)->sin_addr;
		else
			memcpy(&p->addr.addr6, &((const struct sockaddr_in6 *)&sv[i].ss)->sin6_addr,
			       16);
		p->udp_port = p->tcp_port = net_addr_port(&sv[i]);
	}
	if (n > 0 && (rc = ares_set_servers_ports(ch->ares, nodes)) != ARES_SUCCESS) {
		log_err("dns: c-ares servers: %s", ares_strerror(rc));
		chan_free(ch);
		return rc == ARES_ENOMEM ? -ENOMEM : -EIO;
	}
	*chp = ch;
	return 0;
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns *d = arg;
	struct dns_chan **pp = &d->retired, *ch;

	while ((ch = *pp)) {
		if (ch->inflight == 0) {
			*pp = ch->next;
			chan_free(ch);
		} else {
			pp = &ch->next;
		}
	}
}

/* ---- answers ---- */

static enum dns_rc rc_of(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return DNS_RC_OK;
	case ARES_ENODATA:
		return DNS_RC_NODATA;
	case ARES_ENOTFOUND:
		return DNS_RC_NXDOMAIN;
	case ARES_ETIMEOUT:
		return DNS_RC_TIMEOUT;
	case ARES_ECONNREFUSED:
		return DNS_RC_REFUSED;
	case ARES_ENOMEM:
		return DNS_RC_NOMEM;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return DNS_RC_CANCELLED;
	}
	return DNS_RC_SERVFAIL; /* ESERVFAIL, EREFUSED, EFORMERR, ENOTIMP, EBADRESP, ... */
}

/* §4.1: a NAPTR service we know (flag "S" only: it leads to SRV). 0: not ours. */
static unsigned naptr_tp(const unsigned char *flags, const unsigned char *service)
{
	if (!flags || !service || strcasecmp((const char *)flags, "s") != 0)
		return 0;
	if (strcasecmp((const char *)service, "SIP+D2U") == 0)
		return DNS_TP_UDP;
	if (strcasecmp((const char *)service, "SIP+D2T") == 0)
		return DNS_TP_TCP;
	if (strcasecmp((const char *)service, "SIPS+D2T") == 0)
		return DNS_TP_TLS;
	return 0;
}

static struct dns_rrset *parse_a(const unsigned char *abuf, int alen, enum dns_rc *rc,
				 uint32_t *ttl)
{
	struct ares_addrttl at[DNS_RR_MAX];
	struct dns_rrset *rs;
	int n = DNS_RR_MAX, r = ares_parse_a_reply(abuf, alen, NULL, at, &n);

	if (r != ARES_SUCCESS && r != ARES_ENODATA) {
		*rc = DNS_RC_SERVFAIL;
		return NULL;
	}
	if (r == ARES_ENODATA || n <= 0) {
		*rc = DNS_RC_NODATA;
		return NULL;
	}
	if (!(rs = dns_rrset_new(DNS_T_A, DNS_RC_OK, (unsigned)n, 0)))
		return NULL;
	*ttl = UINT32_MAX;
	for (int i = 0; i < n; i++) {
		rs->rr[i].family = AF_INET;
		memcpy(rs->rr[i].ip, &at[i].ipaddr, 4);
		if ((uint32_t)(at[i].ttl < 0 ? 0 : at[i].ttl) < *ttl)
			*ttl = (uint32_t)(at[i].ttl < 0 ? 0 : at[i].ttl);
	}
	return rs;
}

static struct dns_rrset *parse_aaaa(const unsigned char *abuf, int alen, enum dns_rc *rc,
				    uint32_t *ttl)
{
	struct ares_addr6ttl at[DNS_RR_MAX];
	struct dns_rrset *rs;
	int n = DNS_RR_MAX, r = ares_parse_aaaa_reply(abuf, alen, NULL, at, &n);

	if (r != ARES_SUCCESS && r != ARES_ENODATA) {
		*rc = DNS_RC_SERVFAIL;
		return NULL;
	}
	if (r == ARES_ENODATA || n <= 0) {
		*rc = DNS_RC_NODATA;
		return NULL;
	}
	if (!(rs = dns_rrset_new(DNS_T_AAAA, DNS_RC_OK, (unsigned)n, 0)))
		return NULL;
	*ttl = UINT32_MAX;
	for (int i = 0; i < n; i++) {
		rs->rr[i].family = AF_INET6;
		memcpy(rs->rr[i].ip, &at[i].ip6addr, 16);
		if ((uint32_t)(at[i].ttl < 0 ? 0 : at[i].ttl) < *ttl)
			*ttl = (uint32_t)(at[i].ttl < 0 ? 0 : at[i].ttl);
	}
	return rs;
}

static struct dns_rrset *parse_srv(const unsigned char *abuf, int alen, enum dns_rc *rc)
{
	struct ares_srv_reply *list = NULL, *p;
	struct dns_rrset *rs = NULL;
	unsigned n = 0, i = 0;
	size_t names = 0;
	int r = ares_parse_srv_reply(abuf, alen, &list);

	if (r != ARES_SUCCESS) {
		*rc = r == ARES_ENODATA ? DNS_RC_NODATA : DNS_RC_SERVFAIL;
		return NULL;
	}
	for (p = list; p && n < DNS_RR_MAX; p = p->next, n++)
		names += strlen(p->host) + 1;
	if (n == 0)
		*rc = DNS_RC_NODATA;
	else if ((rs = dns_rrset_new(DNS_T_SRV, DNS_RC_OK, n, names)))
		for (p = list; p && i < n; p = p->next, i++) {
			rs->rr[i].prio = p->priority;
			rs->rr[i].weight = p->weight;
			rs->rr[i].port = p->port;
			dns_rrset_set_name(rs, i, p->host);
		}
	ares_free_data(list);
	return rs;
}

static struct dns_rrset *parse_naptr(const unsigned char *abuf, int alen, enum dns_rc *rc)
{
	struct ares_naptr_reply *list = NULL, *p;
	struct dns_rrset *rs = NULL;
	unsigned n = 0, i = 0;
	size_t names = 0;
	int r = ares_parse_naptr_reply(abuf, alen, &list);

	if (r != ARES_SUCCESS) {
		*rc = r == ARES_ENODATA ? DNS_RC_NODATA : DNS_RC_SERVFAIL;
		return NULL;
	}
	for (p = list; p && n < DNS_RR_MAX; p = p->next)
		if (naptr_tp(p->flags, p->service)) {
			names += strlen(p->replacement) + 1;
			n++;
		}
	/* Records, none of them SIP's: an answer all the same (no usable NAPTR). */
	if ((rs = dns_rrset_new(DNS_T_NAPTR, DNS_RC_OK, n, names)))
		for (p = list; p && i < n; p = p->next) {
			unsigned tp = naptr_tp(p->flags, p->service);

			if (!tp)
				continue;
			rs->rr[i].order = p->order;
			rs->rr[i].pref = p->preference;
			rs->rr[i].tp = tp;
			dns_rrset_set_name(rs, i, p->replacement);
			i++;
		}
	ares_free_data(list);
	return rs;
}

/*
 * c-ares' answer as a set and the seconds to keep it (0: not at all).
 * *rc says how the lookup ended; NULL with rc OK means no memory.
 */
static struct dns_rrset *answer_parse(uint16_t qtype, int status, const unsigned char *abuf,
				      int alen, enum dns_rc *rc, uint32_t *ttl)
{
	struct dns_rrset *rs = NULL;
	struct dns_raw_ttl raw;
	bool raw_ok = abuf && alen > 0 && dns_raw_ttls(abuf, (size_t)alen, &raw) == 0;

	*rc = rc_of(status);
	*ttl = 0;
	if (*rc == DNS_RC_OK) {
		switch (qtype) {
		case DNS_T_A:
			rs = parse_a(abuf, alen, rc, ttl);
			break;
		case DNS_T_AAAA:
			rs = parse_aaaa(abuf, alen, rc, ttl);
			break;
		case DNS_T_SRV:
			rs = parse_srv(abuf, alen, rc);
			*ttl = raw_ok && raw.has_answer ? raw.answer : 0;
			break;
		case DNS_T_NAPTR:
			rs = parse_naptr(abuf, alen, rc);
			*ttl = raw_ok && raw.has_answer ? raw.answer : 0;
			break;
		}
		if (*rc == DNS_RC_OK && !rs)
			*rc = DNS_RC_NOMEM;
		if (*ttl > DNS_TTL_MAX)
			*ttl = DNS_TTL_MAX;
	}
	if (*rc == DNS_RC_NODATA || *rc == DNS_RC_NXDOMAIN) {
		dns_rrset_unref(rs);
		if (!(rs = dns_rrset_new(qtype, *rc, 0, 0))) {
			*rc = DNS_RC_NOMEM;
			return NULL;
		}
		*ttl = raw_ok && raw.has_soa ? raw.negative : DNS_NEG_TTL;
		if (*ttl > DNS_NEG_TTL_MAX)
			*ttl = DNS_NEG_TTL_MAX;
	}
	if (*rc != DNS_RC_OK && *rc != DNS_RC_NODATA && *rc != DNS_RC_NXDOMAIN) {
		dns_rrset_unref(rs);
		rs = NULL;
		*ttl = 0;
	}
	return rs;
}

/* ---- slots and lookups ---- */

static void query_step_end(struct dns_query *q);

/* An answer for s.  No caller's code runs here: a step's end is deferred. */
static void slot_done(struct dns_slot *s, enum dns_rc rc, struct dns_rrset *rs)
{
	struct dns_query *q = s->q;

	s->lk = NULL;
	s->next = NULL;
	s->done = true;
	s->rc = rc;
	s->rs = dns_rrset_ref(rs);
	if (--q->pending == 0)
		tmr_start(&q->tmr, 0);
}

static void lookup_unlink(struct dns_lookup *lk)
{
	struct dns_lookup **pp;

	for (pp = &lk->ch->lookups; *pp; pp = &(*pp)->next)
		if (*pp == lk) {
			*pp = lk->next;
			return;
		}
}

static void lookup_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_lookup *lk = arg;
	struct dns_chan *ch = lk->ch;
	struct dns *d = ch->d;
	struct dns_slot *s, *next;
	struct dns_rrset *rs;
	enum dns_rc rc;
	uint32_t ttl;

	lookup_unlink(lk);
	ch->inflight--;
	if (status == ARES_EDESTRUCTION) { /* dns_free: its resolutions are gone already */
		free(lk);
		return;
	}
	rs = answer_parse(lk->qtype, status, abuf, alen, &rc, &ttl);
	log_debug("dns: %s %s: %s, ttl %u s%s", type_name(lk->qtype), lk->name,
		  rc == DNS_RC_OK ? "answer" : ares_strerror(status), ttl,
		  ch == d->chan ? "" : " (old servers: not cached)");
	/* An old channel's answer came from the servers of before the reload. */
	if (rs && ttl && ch == d->chan)
		dns_cache_put(d->cache, lk->name, rs, ttl, tmr_now(d->clk));
	for (s = lk->waiters; s; s = next) {
		next = s->next;
		slot_done(s, rc, rs);
	}
	dns_rrset_unref(rs);
	free(lk);
	if (ch->retired && ch->inflight == 0 && !ch->destroying)
		event_active(d->reap, EV_TIMEOUT, 0);
}

/* Answer s from the cache, or join the identical lookup in flight, or send one. */
static void lookup_start(struct dns_slot *s)
{
	struct dns *d = s->q->d;
	struct dns_chan *ch = d->chan;
	struct dns_rrset *rs;
	struct dns_lookup *lk;

	if ((rs = dns_cache_get(d->cache, s->qtype, s->name, tmr_now(d->clk)))) {
		d->stats.cache_hits++;
		slot_done(s, rs->rc, rs);
		dns_rrset_unref(rs);
		return;
	}
	for (lk = ch->lookups; lk; lk = lk->next)
		if (lk->qtype == s->qtype && strcmp(lk->name, s->name) == 0)
			break;
	if (lk) {
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
	lk->ch = ch;
	lk->qtype = s->qtype;
	snprintf(lk->name, sizeof(lk->name), "%s", s->name);
	lk->waiters = s;
	s->lk = lk;
	lk->next = ch->lookups;
	ch->lookups = lk;
	ch->inflight++;
	d->stats.lookups++;
	log_debug("dns: query %s %s", type_name(lk->qtype), lk->name);
	ares_query(ch->ares, lk->name, DNS_CLASS_IN, lk->qtype, lookup_cb, lk); /* may answer now */
	chan_rearm(ch);
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
	const char *t = type_name(s->qtype);

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
		q->t[0].proto = pl->tp == DNS_TP_UDP ? NET_UDP : NET_TCP;
		q->t[0].tls = pl->tp == DNS_TP_TLS;
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
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return -EIO;
	if (!(d = calloc(1, sizeof(*d)))) {
		ares_library_cleanup();
		return -ENOMEM;
	}
	d->base = base;
	d->clk = clk;
	if ((err = cfg_store(d, cfg)) < 0 || (err = dns_cache_new(&d->cache, DNS_CACHE_MAX)) < 0)
		goto fail;
	err = -ENOMEM;
	if (!(d->reap = event_new(base, -1, 0, reap_cb, d)))
		goto fail;
	if ((err = chan_new(d, cfg, &d->chan)) < 0)
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
	int err;

	if (dns_cfg_check(cfg, NULL, 0) < 0)
		return -EINVAL;
	if ((err = chan_new(d, cfg, &ch)) < 0)
		return err;
	if ((err = cfg_store(d, cfg)) < 0) {
		chan_free(ch);
		return err;
	}
	old = d->chan;
	d->chan = ch;
	dns_cache_clear(d->cache);
	if (old->inflight == 0) {
		chan_free(old);
	} else {
		old->retired = true;
		old->next = d->retired;
		d->retired = old;
	}
	return 0;
}

void dns_free(struct dns *d)
{
	struct dns_chan *ch;

	if (!d)
		return;
	while (d->queries) /* dropped silently: their owners are gone */
		dns_cancel(d->queries);
	chan_free(d->chan);
	while ((ch = d->retired)) {
		d->retired = ch->next;
		chan_free(ch);
	}
	if (d->reap)
		event_free(d->reap);
	dns_cache_free(d->cache);
	free(d->servers);
	free(d);
	ares_library_cleanup();
}

void dns_get_stats(const struct dns *d, struct dns_stats *out)
{
	*out = d->stats;
	out->in_progress = d->nqueries;
	out->cached = (unsigned)dns_cache_count(d->cache);
}

struct dns_cache *dns_cache_of(struct dns *d)
{
	return d->cache;
}
