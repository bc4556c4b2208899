/*
 * dns_int: the resolver's pure parts, apart from c-ares and the loop so
 * that the unit tests drive them without a server: the URI's query plan,
 * NAPTR and SRV ordering (dns_rr.c), the answer cache (dns_cache.c), the
 * bounded reader of TTLs in a raw answer, the server list.
 */
#ifndef SIPUAD_DNS_INT_H
#define SIPUAD_DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/dns.h"

struct event_base;

/* RR types we ask for (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 3403). */
#define DNS_T_A 1
#define DNS_T_SOA 6
#define DNS_T_AAAA 28
#define DNS_T_SRV 33
#define DNS_T_NAPTR 35

#define DNS_NAME_SIZE 256 /* a name as text (at most 253 characters) + NUL */
#define DNS_RR_MAX 32	  /* records kept from one answer */
#define DNS_SRV_NAMES_MAX 8
#define DNS_HOSTS_MAX DNS_TARGETS_MAX

#define DNS_TTL_MAX 3600    /* s: a positive answer is kept at most this long */
#define DNS_NEG_TTL 30	    /* s: NXDOMAIN/NODATA without an SOA */
#define DNS_NEG_TTL_MAX 300 /* s: NXDOMAIN/NODATA at most */

#define DNS_PORT_SIP 5060 /* RFC 3263 §4.2 */
#define DNS_PORT_SIPS 5061

/* How a lookup ended. */
enum dns_rc {
	DNS_RC_OK,	 /* records */
	DNS_RC_NODATA,	 /* the name exists, no record of the type */
	DNS_RC_NXDOMAIN, /* the name does not exist */
	DNS_RC_TIMEOUT,
	DNS_RC_REFUSED,	 /* no server reachable (ICMP, TCP RST) */
	DNS_RC_SERVFAIL, /* SERVFAIL, REFUSED, FORMERR, NOTIMP, a bad answer */
	DNS_RC_NOMEM,
	DNS_RC_CANCELLED,
};

/* One record of an answer; the fields its type uses. */
struct dns_rr {
	uint16_t prio, weight, port; /* SRV */
	uint16_t order, pref;	     /* NAPTR */
	unsigned tp;		     /* NAPTR: DNS_TP_* of its service */
	int family;		     /* A/AAAA: AF_INET, AF_INET6 */
	uint8_t ip[16];
	const char *name; /* SRV target, NAPTR replacement: in the set's own block */
};

/* An answer: refcounted, read only once built (the cache shares it). */
struct dns_rrset {
	unsigned refs;
	uint16_t qtype;
	enum dns_rc rc; /* OK, NODATA or NXDOMAIN */
	unsigned n;
	size_t pool_len, pool_used; /* names, after rr[n] */
	struct dns_rr rr[];
};

/* One reference, rr[] zeroed, room for names_len bytes of names. NULL: no memory. */
struct dns_rrset *dns_rrset_new(uint16_t qtype, enum dns_rc rc, unsigned n, size_t names_len);
/* Copy name into the set's block as rr[i].name.  0 or -ENOSPC. */
int dns_rrset_set_name(struct dns_rrset *rs, unsigned i, const char *name);
struct dns_rrset *dns_rrset_ref(struct dns_rrset *rs);
void dns_rrset_unref(struct dns_rrset *rs);

/* ---- the plan: what a URI asks of DNS (RFC 3263 §4.1, §4.2) ---- */

enum dns_step {
	DNS_STEP_LITERAL, /* an IP literal: no DNS */
	DNS_STEP_ADDR,	  /* A/AAAA of the host (a port was given) */
	DNS_STEP_SRV,	  /* SRV of the forced transport (;transport=, no port) */
	DNS_STEP_NAPTR,	  /* the whole of §4.1 */
};

struct dns_plan {
	enum dns_step first;
	bool sips;
	unsigned tps;		   /* transports we may use (cfg) */
	unsigned tp;		   /* forced or default transport, one DNS_TP_* bit */
	bool tp_forced;		   /* by ;transport= */
	uint16_t port;		   /* given, or the default of tp */
	char host[DNS_NAME_SIZE];  /* as in the URI (an IPv6 literal without brackets) */
	char qname[DNS_NAME_SIZE]; /* the name to look up: lower case, no final dot */
	struct net_addr literal;   /* DNS_STEP_LITERAL: with the port */
};

/*
 * uri -> plan under the transports tps (0: UDP and TCP).  0, or -EINVAL /
 * -EPROTONOSUPPORT / -ENOMEM with why; see dns_resolve_uri().
 */
int dns_plan_make(const char *uri, unsigned tps, struct dns_plan *pl, char *why, size_t whylen);

/* A name to ask SRV of, with the transport it stands for. */
struct dns_srvname {
	unsigned tp;
	char name[DNS_NAME_SIZE];
};

/* A host to ask A/AAAA of, with what its targets get. */
struct dns_host {
	unsigned tp;
	uint16_t port;
	char name[DNS_NAME_SIZE];
};

/*
 * §4.1: the usable records of a NAPTR answer (flag "S", a SIP service of a
 * transport in pl->tps, only SIPS+D2T for sips:) in (order, preference)
 * order, as SRV names into out[0..max); duplicates dropped.  The number
 * written.
 */
size_t dns_naptr_pick(const struct dns_rrset *rs, const struct dns_plan *pl,
		      struct dns_srvname *out, size_t max);

/*
 * §4.1 without NAPTR: _sip._udp, _sip._tcp, _sips._tcp of pl->qname (of
 * pl->tp only when forced; only _sips._tcp for sips:), those of pl->tps.
 * The number written.
 */
size_t dns_srv_names(const struct dns_plan *pl, struct dns_srvname *out, size_t max);

/* Uniform in [0, bound): rnd_uniform, or a test's own sequence. */
typedef uint32_t(dns_uniform_fn)(uint32_t bound);

/*
 * RFC 2782: the SRV records of rs as hosts into out[0..max), by priority,
 * and within a priority by weighted random selection (zero weights first
 * in the running sum, a number uniform in [0, sum] picks the first record
 * whose running sum reaches it).  Targets "." are skipped and counted in
 * *dots (may be NULL).  The number written.
 */
size_t dns_srv_order(const struct dns_rrset *rs, unsigned tp, dns_uniform_fn *uniform,
		     struct dns_host *out, size_t max, unsigned *dots);

/*
 * Append the addresses of rs (an A or AAAA answer) for host h to
 * t[0..*n) (capacity max), skipping a target already there (same
 * transport and address).  The number appended.
 */
size_t dns_targets_add(struct dns_target *t, size_t *n, size_t max, const struct dns_host *h,
		       const struct dns_rrset *rs);

/* The name of one DNS_TP_* bit: "udp", "tcp", "tls". */
const char *dns_tp_name(unsigned tp);

/* Lower case, without a final dot, into out.  0 or -EINVAL (empty or too long). */
int dns_name_norm(const char *name, char out[DNS_NAME_SIZE]);

/* ---- TTLs from a raw answer (c-ares 1.18 parses no TTL for SRV and NAPTR) ---- */

struct dns_raw_ttl {
	bool has_answer;   /* an answer RR was seen */
	uint32_t answer;   /* the lowest TTL of the answer section */
	bool has_soa;	   /* an SOA in the authority section */
	uint32_t negative; /* RFC 2308 §5: min(SOA TTL, SOA MINIMUM) */
};

/*
 * Walk the fixed parts of buf[0..len): the header, the questions, the
 * answer and authority RRs (names skipped label by label or by pointer,
 * never followed).  0, or -EBADMSG for anything cut short or malformed
 * (out then says nothing).
 */
int dns_raw_ttls(const unsigned char *buf, size_t len, struct dns_raw_ttl *out);

/* ---- the server list ---- */

/*
 * "127.0.0.1:5353, [::1]:53, 192.0.2.1" into out[0..max): IPv4 with an
 * optional :port, IPv6 bare or in brackets with an optional :port, port 53
 * by default.  The number of servers (0 for NULL or blank), or -EINVAL
 * with why.
 */
int dns_servers_parse(const char *s, struct net_addr *out, size_t max, char *why, size_t whylen);

/* ---- the cache (dns_cache.c) ---- */

struct dns_cache;

/* At most max entries.  0 or -ENOMEM. */
int dns_cache_new(struct dns_cache **cp, size_t max);
void dns_cache_free(struct dns_cache *c);
/*
 * The answer for (qtype, name) if it has not expired at now_ms: a new
 * reference (dns_rrset_unref), or NULL.  An expired entry found is dropped.
 * name is compared without case and without a final dot.
 */
struct dns_rrset *dns_cache_get(struct dns_cache *c, uint16_t qtype, const char *name,
				uint64_t now_ms);
/*
 * Keep rs (its own reference) under (rs->qtype, name) until now_ms + ttl_s
 * seconds, replacing an entry there.  ttl_s 0 stores nothing.  When full,
 * the expired entries go, or else the oldest one.  0, -EINVAL (bad name),
 * -ENOMEM.
 */
int dns_cache_put(struct dns_cache *c, const char *name, struct dns_rrset *rs, uint32_t ttl_s,
		  uint64_t now_ms);
void dns_cache_clear(struct dns_cache *c);
size_t dns_cache_count(const struct dns_cache *c);

/* ---- c-ares on the loop (dns_ares.c, the only file that calls c-ares) ---- */

struct dns_chan;

/* ares_library_init / ares_library_cleanup, counted.  0 or -EIO. */
int dns_lib_init(void);
void dns_lib_cleanup(void);

/*
 * A channel on base with cfg's servers (none: resolv.conf), timeout and
 * tries.  0, -EINVAL (servers), -ENOMEM, -EIO (c-ares refused).
 */
int dns_chan_new(struct event_base *base, const struct dns_cfg *cfg, struct dns_chan **chp);
/*
 * Free ch: the queries still pending end with DNS_RC_CANCELLED, inside
 * this call.  Never from inside a dns_answer_fn.  NULL is a no-op.
 */
void dns_chan_free(struct dns_chan *ch);

/*
 * How a query ended: for OK, NODATA and NXDOMAIN the answer (rs: take a
 * reference to keep it) and the seconds it may be kept (0: not at all);
 * otherwise rs NULL.  Called from inside c-ares (or inside
 * dns_chan_query() when it fails at once).
 */
typedef void(dns_answer_fn)(void *arg, enum dns_rc rc, struct dns_rrset *rs, uint32_t ttl);
/* Send the question (qtype, name) class IN; fn is called once. */
void dns_chan_query(struct dns_chan *ch, uint16_t qtype, const char *name, dns_answer_fn *fn,
		    void *arg);
/* Queries sent on ch and not answered yet. */
unsigned dns_chan_pending(const struct dns_chan *ch);
/* "A", "AAAA", "SRV", "NAPTR". */
const char *dns_type_name(uint16_t qtype);

/* The cache of a resolver, for the unit tests to fill and inspect. */
struct dns_cache *dns_cache_of(struct dns *d);

#endif
