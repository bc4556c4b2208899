/*
 * dns_ares: c-ares on the daemon's libevent loop, and c-ares' answers as
 * our answer sets (dns_int.h).  The only file that speaks to c-ares: its
 * status codes become enum dns_rc here, once.
 *
 * One channel per configuration.  c-ares tells us its sockets through
 * ARES_OPT_SOCK_STATE_CB: each becomes a persistent libevent event that
 * calls ares_process_fd(); its timeouts are one libevent timer, re-armed
 * from ares_timeout() after every call into c-ares.  That timer runs on
 * real time, as c-ares does.
 *
 * TTLs: A and AAAA from c-ares' addrttls; SRV and NAPTR (c-ares 1.18
 * parses no TTL for them) and the SOA of a negative answer from the raw
 * answer by dns_raw_ttls(), which reads only fixed RR headers, bounded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <event2/event.h>

#include "core/log.h"
#include "sip/dns_int.h"

#define DNS_CLASS_IN 1

struct dns_chan;

/* One socket c-ares asked us to watch. */
struct dns_sock {
	ares_socket_t fd;
	struct event *ev;
	struct dns_chan *ch;
	struct dns_sock *next;
};

struct dns_chan {
	struct event_base *base;
	ares_channel ares;
	struct event *tmo; /* ares_timeout() */
	struct dns_sock *socks;
	unsigned pending; /* queries sent, not answered yet */
};

/* One query in c-ares' hands. */
struct dns_ask {
	struct dns_chan *ch;
	uint16_t qtype;
	dns_answer_fn *fn;
	void *arg;
};

int dns_lib_init(void)
{
	return ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS ? 0 : -EIO;
}

void dns_lib_cleanup(void)
{
	ares_library_cleanup();
}

/* ---- the channel on libevent ---- */

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
	s->ev = event_new(ch->base, fd, what | EV_PERSIST, sock_cb, s);
	if (!s->ev || event_add(s->ev, NULL) < 0)
		log_err("dns: out of memory watching a DNS socket");
}

void dns_chan_free(struct dns_chan *ch)
{
	struct dns_sock *s, *next;

	if (!ch)
		return;
	if (ch->ares)
		ares_destroy(ch->ares); /* queries end with ARES_EDESTRUCTION */
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

int dns_chan_new(struct event_base *base, const struct dns_cfg *cfg, struct dns_chan **chp)
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
	ch->base = base;
	if (!(ch->tmo = evtimer_new(base, chan_tmo_cb, ch))) {
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
		dns_chan_free(ch);
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
		dns_chan_free(ch);
		return rc == ARES_ENOMEM ? -ENOMEM : -EIO;
	}
	*chp = ch;
	return 0;
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

/* ---- queries ---- */

static void ask_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_ask *a = arg;
	struct dns_rrset *rs;
	enum dns_rc rc;
	uint32_t ttl;

	a->ch->pending--;
	rs = answer_parse(a->qtype, status, abuf, alen, &rc, &ttl);
	a->fn(a->arg, rc, rs, ttl);
	dns_rrset_unref(rs);
	free(a);
}

void dns_chan_query(struct dns_chan *ch, uint16_t qtype, const char *name, dns_answer_fn *fn,
		    void *arg)
{
	struct dns_ask *a = calloc(1, sizeof(*a));

	if (!a) {
		fn(arg, DNS_RC_NOMEM, NULL, 0);
		return;
	}
	a->ch = ch;
	a->qtype = qtype;
	a->fn = fn;
	a->arg = arg;
	ch->pending++;
	ares_query(ch->ares, name, DNS_CLASS_IN, qtype, ask_cb, a); /* may answer now */
	chan_rearm(ch);
}

unsigned dns_chan_pending(const struct dns_chan *ch)
{
	return ch->pending;
}

const char *dns_type_name(uint16_t qtype)
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
