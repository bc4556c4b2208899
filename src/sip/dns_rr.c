/*
 * dns_rr: the resolver's decisions that need no server (dns_int.h): what
 * a URI asks of DNS (RFC 3263 §4.1, §4.2), which NAPTR records count and
 * in what order, SRV ordering by priority and weight (RFC 2782), answers
 * turned into targets, the TTLs of a raw answer, the server list.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/why.h"
#include "sip/dns_int.h"
#include "sip/msg.h"

/* ---- answers ---- */

struct dns_rrset *dns_rrset_new(uint16_t qtype, enum dns_rc rc, unsigned n, size_t names_len)
{
	struct dns_rrset *rs;

	if (n > DNS_RR_MAX)
		return NULL;
	rs = calloc(1, sizeof(*rs) + n * sizeof(rs->rr[0]) + names_len);
	if (!rs)
		return NULL;
	rs->refs = 1;
	rs->qtype = qtype;
	rs->rc = rc;
	rs->n = n;
	rs->pool_len = names_len;
	return rs;
}

int dns_rrset_set_name(struct dns_rrset *rs, unsigned i, const char *name)
{
	char *pool = (char *)&rs->rr[rs->n];
	size_t len = strlen(name) + 1;

	if (i >= rs->n || len > rs->pool_len - rs->pool_used)
		return -ENOSPC;
	memcpy(pool + rs->pool_used, name, len);
	rs->rr[i].name = pool + rs->pool_used;
	rs->pool_used += len;
	return 0;
}

struct dns_rrset *dns_rrset_ref(struct dns_rrset *rs)
{
	if (rs)
		rs->refs++;
	return rs;
}

void dns_rrset_unref(struct dns_rrset *rs)
{
	if (rs && --rs->refs == 0)
		free(rs);
}

/* ---- names ---- */

const char *dns_tp_name(unsigned tp)
{
	switch (tp) {
	case DNS_TP_UDP:
		return "udp";
	case DNS_TP_TCP:
		return "tcp";
	case DNS_TP_TLS:
		return "tls";
	}
	return "?";
}

const char *dns_target_proto(const struct dns_target *t)
{
	return net_proto_name(t->proto);
}

enum net_proto dns_tp_proto(unsigned tp)
{
	return tp == DNS_TP_UDP ? NET_UDP : tp == DNS_TP_TCP ? NET_TCP : NET_TLS;
}

void dns_target_dest(const struct dns_target *t, struct sip_dest *d)
{
	memset(d, 0, sizeof(*d));
	d->proto = t->proto;
	d->addr = t->addr;
	if (t->proto == NET_TLS)
		memcpy(d->host, t->name, sizeof(d->host));
}

int dns_name_norm(const char *name, char out[DNS_NAME_SIZE])
{
	size_t len = strlen(name);

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[len] = '\0';
	return 0;
}

/*
 * A host name as DNS takes it (RFC 1123 §2.1, with '_' let through as
 * resolvers do): labels of 1..63 letters, digits, '-' or '_', at most
 * 253 characters, an optional final dot.
 */
static bool host_name_ok(const char *s)
{
	size_t label = 0, len = strlen(s);

	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* "udp, tcp": the names of the bits of tps. */
static const char *tps_list(unsigned tps, char *buf, size_t size)
{
	static const unsigned all[] = {DNS_TP_UDP, DNS_TP_TCP, DNS_TP_TLS};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if ((tps & all[i]) && off < size)
			off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
						dns_tp_name(all[i]));
	return buf;
}

/* ---- the plan ---- */

/* §4.1: ;transport= if given, else UDP (or TCP without UDP) for sip:, TLS for sips:. */
static int plan_transport(const struct msg_uri_parts *p, struct dns_plan *pl, char *why,
			  size_t whylen)
{
	char list[32];

	if (p->transport[0]) {
		pl->tp_forced = true;
		if (strcmp(p->transport, "udp") == 0 && !p->sips)
			pl->tp = DNS_TP_UDP;
		else if (strcmp(p->transport, "udp") == 0)
			return why_fmt(why, whylen, -EPROTONOSUPPORT,
				       "a sips: URI cannot go over udp (TLS over TCP is needed)");
		else if (strcmp(p->transport, "tcp") == 0)
			pl->tp = p->sips ? DNS_TP_TLS : DNS_TP_TCP;
		else if (strcmp(p->transport, "tls") == 0)
			pl->tp = DNS_TP_TLS;
		else
			return why_fmt(why, whylen, -EPROTONOSUPPORT,
				       "transport '%s' is not supported (%s)", p->transport,
				       tps_list(pl->tps, list, sizeof(list)));
	} else if (p->sips) {
		pl->tp = DNS_TP_TLS;
	} else {
		pl->tp = (pl->tps & DNS_TP_UDP)	  ? DNS_TP_UDP
			 : (pl->tps & DNS_TP_TCP) ? DNS_TP_TCP
						  : DNS_TP_TLS;
	}
	if (pl->tps & pl->tp)
		return 0;
	if (p->sips && !pl->tp_forced)
		return why_fmt(why, whylen, -EPROTONOSUPPORT,
			       "sips: needs TLS, which is not supported (%s)",
			       tps_list(pl->tps, list, sizeof(list)));
	return why_fmt(why, whylen, -EPROTONOSUPPORT, "transport '%s' is not supported (%s)",
		       p->transport, tps_list(pl->tps, list, sizeof(list)));
}

int dns_plan_make(const char *uri, unsigned tps, struct dns_plan *pl, char *why, size_t whylen)
{
	struct msg_uri_parts p;
	struct dns_plan out;
	int err;

	if ((err = msg_uri_parts(uri, &p, why, whylen)) < 0)
		return err;
	memset(&out, 0, sizeof(out));
	out.sips = p.sips;
	out.tps = tps ? tps : DNS_TP_UDP | DNS_TP_TCP;
	if ((err = plan_transport(&p, &out, why, whylen)) < 0)
		return err;
	out.port = p.port ? p.port : out.tp == DNS_TP_TLS ? DNS_PORT_SIPS : DNS_PORT_SIP;
	snprintf(out.host, sizeof(out.host), "%s", p.host);
	if (net_addr_from_host(&out.literal, p.host, out.port) == 0) {
		out.first = DNS_STEP_LITERAL; /* §4.1, §4.2: no DNS for an IP literal */
	} else if (!host_name_ok(p.host) || dns_name_norm(p.host, out.qname) < 0) {
		return why_fmt(why, whylen, -EINVAL,
			       "host '%.64s%s' is neither an IP address nor a host name", p.host,
			       strlen(p.host) > 64 ? "..." : "");
	} else if (p.port) {
		out.first = DNS_STEP_ADDR; /* §4.2: a port means no SRV */
	} else {
		out.first = out.tp_forced ? DNS_STEP_SRV : DNS_STEP_NAPTR;
	}
	*pl = out;
	return 0;
}

/* ---- NAPTR and SRV ---- */

static bool srvname_seen(const struct dns_srvname *out, size_t n, unsigned tp, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].tp == tp && strcmp(out[i].name, name) == 0)
			return true;
	return false;
}

size_t dns_naptr_pick(const struct dns_rrset *rs, const struct dns_plan *pl,
		      struct dns_srvname *out, size_t max)
{
	unsigned idx[DNS_RR_MAX];
	size_t n = 0, k = 0;

	for (unsigned i = 0; i < rs->n && n < DNS_RR_MAX; i++) {
		const struct dns_rr *r = &rs->rr[i];

		if (!(r->tp & pl->tps) || (pl->sips && r->tp != DNS_TP_TLS) || !r->name)
			continue;
		idx[n++] = i;
	}
	/* Insertion sort on (order, preference): stable, n <= DNS_RR_MAX. */
	for (size_t i = 1; i < n; i++) {
		unsigned v = idx[i];
		const struct dns_rr *a = &rs->rr[v];
		size_t j = i;

		while (j > 0) {
			const struct dns_rr *b = &rs->rr[idx[j - 1]];

			if (b->order < a->order || (b->order == a->order && b->pref <= a->pref))
				break;
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
	for (size_t i = 0; i < n && k < max; i++) {
		const struct dns_rr *r = &rs->rr[idx[i]];
		char name[DNS_NAME_SIZE];

		if (dns_name_norm(r->name, name) < 0 || srvname_seen(out, k, r->tp, name))
			continue;
		out[k].tp = r->tp;
		memcpy(out[k].name, name, sizeof(name));
		k++;
	}
	return k;
}

size_t dns_srv_names(const struct dns_plan *pl, struct dns_srvname *out, size_t max)
{
	static const struct {
		unsigned tp;
		const char *prefix;
	} tab[] = {
	    {DNS_TP_UDP, "_sip._udp."},
	    {DNS_TP_TCP, "_sip._tcp."},
	    {DNS_TP_TLS, "_sips._tcp."},
	};
	size_t k = 0;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]) && k < max; i++) {
		if (!(tab[i].tp & pl->tps) || (pl->tp_forced && tab[i].tp != pl->tp) ||
		    (pl->sips && tab[i].tp != DNS_TP_TLS))
			continue;
		if (strlen(tab[i].prefix) + strlen(pl->qname) > 253)
			continue;
		out[k].tp = tab[i].tp;
		snprintf(out[k].name, sizeof(out[k].name), "%s%s", tab[i].prefix, pl->qname);
		k++;
	}
	return k;
}

/* Move idx[from] to idx[to] (to <= from), the ones between one step right: order kept. */
static void idx_move(unsigned *idx, size_t from, size_t to)
{
	unsigned v = idx[from];

	memmove(&idx[to + 1], &idx[to], (from - to) * sizeof(idx[0]));
	idx[to] = v;
}

/* RFC 2782: order idx[lo..hi) (one priority) by weighted random selection. */
static void srv_weigh(const struct dns_rrset *rs, unsigned *idx, size_t lo, size_t hi,
		      dns_uniform_fn *uniform)
{
	for (size_t pos = lo; pos + 1 < hi; pos++) {
		uint32_t sum = 0, run = 0, r;
		size_t z = pos, pick = hi - 1;

		/* "all those with weight 0 are placed at the beginning of the list" */
		for (size_t k = pos; k < hi; k++)
			if (rs->rr[idx[k]].weight == 0)
				idx_move(idx, k, z++);
		for (size_t k = pos; k < hi; k++)
			sum += rs->rr[idx[k]].weight;
		r = uniform(sum + 1); /* "between 0 and the sum computed (inclusive)" */
		for (size_t k = pos; k < hi; k++) {
			run += rs->rr[idx[k]].weight;
			if (run >= r) {
				pick = k;
				break;
			}
		}
		idx_move(idx, pick, pos);
	}
}

size_t dns_srv_order(const struct dns_rrset *rs, unsigned tp, dns_uniform_fn *uniform,
		     struct dns_host *out, size_t max, unsigned *dots)
{
	unsigned idx[DNS_RR_MAX];
	size_t n = 0, k = 0;
	unsigned ndots = 0;

	for (unsigned i = 0; i < rs->n && n < DNS_RR_MAX; i++) {
		const char *t = rs->rr[i].name;

		if (!t || !t[0] || strcmp(t, ".") == 0)
			ndots++; /* "decidedly not available at this domain" */
		else
			idx[n++] = i;
	}
	for (size_t i = 1; i < n; i++) { /* stable sort by priority */
		unsigned v = idx[i];
		size_t j = i;

		while (j > 0 && rs->rr[idx[j - 1]].prio > rs->rr[v].prio) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && rs->rr[idx[hi]].prio == rs->rr[idx[lo]].prio; hi++)
			;
		srv_weigh(rs, idx, lo, hi, uniform);
	}
	for (size_t i = 0; i < n && k < max; i++) {
		const struct dns_rr *r = &rs->rr[idx[i]];

		if (r->port == 0 || dns_name_norm(r->name, out[k].name) < 0)
			continue;
		out[k].tp = tp;
		out[k].port = r->port;
		k++;
	}
	if (dots)
		*dots = ndots;
	return k;
}

static void addr_of_rr(const struct dns_rr *r, uint16_t port, struct net_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (r->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, r->ip, 4);
		a->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, r->ip, 16);
		a->len = sizeof(*sin6);
	}
}

size_t dns_targets_add(struct dns_target *t, size_t *n, size_t max, const struct dns_host *h,
		       const struct dns_rrset *rs)
{
	size_t added = 0;

	for (unsigned i = 0; i < rs->n && *n < max; i++) {
		struct dns_target nt;
		bool dup = false;

		if (rs->rr[i].family != AF_INET && rs->rr[i].family != AF_INET6)
			continue;
		memset(&nt, 0, sizeof(nt));
		nt.proto = dns_tp_proto(h->tp);
		addr_of_rr(&rs->rr[i], h->port, &nt.addr);
		snprintf(nt.host, sizeof(nt.host), "%s", h->name);
		for (size_t j = 0; j < *n && !dup; j++)
			dup = t[j].proto == nt.proto &&
			      net_addr_eq(&t[j].addr, &nt.addr);
		if (dup)
			continue;
		t[(*n)++] = nt;
		added++;
	}
	return added;
}

/* ---- TTLs from the raw answer (RFC 1035 §4.1) ---- */

#define RAW_HDR 12

/* Step over a name at *pos: labels up to a zero byte or a pointer, never followed. */
static int raw_skip_name(const unsigned char *buf, size_t len, size_t *pos)
{
	size_t p = *pos;

	for (unsigned labels = 0; labels < 128; labels++) {
		unsigned c;

		if (p >= len)
			return -EBADMSG;
		c = buf[p];
		if (c == 0) {
			*pos = p + 1;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return -EBADMSG;
			*pos = p + 2;
			return 0;
		}
		if (c & 0xc0) /* 0x40, 0x80: extended label types (RFC 6891 §5) */
			return -EBADMSG;
		p += 1 + c;
	}
	return -EBADMSG;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 2181 §8: a TTL with the top bit set is taken as 0. */
static uint32_t ttl_of(uint32_t v)
{
	return v & 0x80000000u ? 0 : v;
}

int dns_raw_ttls(const unsigned char *buf, size_t len, struct dns_raw_ttl *out)
{
	struct dns_raw_ttl r = {0};
	unsigned qd, an, ns;
	size_t pos = RAW_HDR;

	if (!buf || len < RAW_HDR)
		return -EBADMSG;
	qd = get16(buf + 4);
	an = get16(buf + 6);
	ns = get16(buf + 8);
	for (unsigned i = 0; i < qd; i++) {
		if (raw_skip_name(buf, len, &pos) < 0 || len - pos < 4)
			return -EBADMSG;
		pos += 4;
	}
	for (unsigned i = 0; i < an + ns; i++) {
		uint16_t type, rdlen;
		uint32_t ttl;

		if (raw_skip_name(buf, len, &pos) < 0 || len - pos < 10)
			return -EBADMSG;
		type = get16(buf + pos);
		ttl = ttl_of(get32(buf + pos + 4));
		rdlen = get16(buf + pos + 8);
		pos += 10;
		if (len - pos < rdlen)
			return -EBADMSG;
		if (i < an) {
			r.answer = r.has_answer && r.answer < ttl ? r.answer : ttl;
			r.has_answer = true;
		} else if (type == DNS_T_SOA && rdlen >= 22 && !r.has_soa) {
			/* MINIMUM is the last of the five 32-bit fields after two names. */
			uint32_t min = ttl_of(get32(buf + pos + rdlen - 4));

			r.negative = ttl < min ? ttl : min;
			r.has_soa = true;
		}
		pos += rdlen;
	}
	*out = r;
	return 0;
}

/* ---- the server list ---- */

/* One entry of the list: "a.b.c.d", "a.b.c.d:port", "v6", "[v6]", "[v6]:port". */
static int server_parse(const char *item, struct net_addr *out, char *why, size_t whylen)
{
	const char *h = item, *port_s = NULL, *colon = strchr(item, ':');
	unsigned long port = 53;
	char host[64];
	size_t hlen;

	if (item[0] == '[') {
		const char *end = strchr(item, ']');

		if (!end || (end[1] && end[1] != ':'))
			goto bad;
		h = item + 1;
		hlen = (size_t)(end - h);
		if (end[1] == ':')
			port_s = end + 2;
	} else if (colon && strchr(colon + 1, ':')) {
		hlen = strlen(item); /* a bare IPv6 address: no port */
	} else {
		hlen = colon ? (size_t)(colon - item) : strlen(item);
		port_s = colon ? colon + 1 : NULL;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (port_s) {
		char *end;

		if (!isdigit((unsigned char)port_s[0]) || strlen(port_s) > 5)
			goto bad_port;
		port = strtoul(port_s, &end, 10);
		if (*end || port == 0 || port > 65535)
			goto bad_port;
	}
	if (net_addr_from_host(out, host, (uint16_t)port) < 0)
		goto bad;
	return 0;
bad_port:
	return why_fmt(why, whylen, -EINVAL,
		       "DNS server '%.64s': port '%.16s' is not a number from 1 to 65535", item,
		       port_s);
bad:
	return why_fmt(why, whylen, -EINVAL,
		       "DNS server '%.64s' is not an IP address (a.b.c.d[:port] or [v6][:port])",
		       item);
}

int dns_servers_parse(const char *s, struct net_addr *out, size_t max, char *why, size_t whylen)
{
	size_t n = 0;

	if (!s)
		return 0;
	while (*s) {
		char item[96];
		size_t len;
		const char *end;
		int err;

		while (*s == ' ' || *s == '\t')
			s++;
		end = strchr(s, ',');
		len = end ? (size_t)(end - s) : strlen(s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0) {
			if (!end && n == 0)
				return 0; /* blank: the system's servers */
			return why_fmt(why, whylen, -EINVAL,
				       "an empty entry in the DNS server list");
		}
		if (len >= sizeof(item))
			return why_fmt(why, whylen, -EINVAL,
				       "DNS server '%.64s...' is not an IP address", s);
		if (n == max)
			return why_fmt(why, whylen, -EINVAL, "more than %zu DNS servers", max);
		memcpy(item, s, len);
		item[len] = '\0';
		if ((err = server_parse(item, &out[n], why, whylen)) < 0)
			return err;
		n++;
		s = end ? end + 1 : s + len;
		if (end && !*s)
			return why_fmt(why, whylen, -EINVAL,
				       "an empty entry in the DNS server list");
	}
	return (int)n;
}
