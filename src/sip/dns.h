/*
 * dns: where the requests for a SIP URI go (RFC 3263 §4), resolved without
 * ever blocking the event loop: c-ares sockets and its timeout are libevent
 * events on the daemon's base.
 *
 *   sip:alice@example.com
 *     NAPTR example.com      -> 10 50 "s" "SIP+D2T" "" _sip._tcp.example.com
 *     SRV _sip._tcp.example.com -> 0 10 5060 sip1.example.com
 *     A, AAAA sip1.example.com  -> 192.0.2.10, 2001:db8::10
 *   = tcp 192.0.2.10:5060, tcp [2001:db8::10]:5060   (both "sip1.example.com")
 *
 * The rules, RFC 3263 §4.1 and §4.2:
 *   - ;transport= names the transport (udp, tcp; tls, or tcp in a sips:
 *     URI, is TLS).  Without it, an IP literal or an explicit port means
 *     UDP for sip: (TCP when UDP is not among cfg->transports), TLS for
 *     sips:.
 *   - An IP literal needs no DNS: port as given, else 5060 (5061 for TLS).
 *   - A name with a port: A and AAAA of the name.
 *   - A name with ;transport= and no port: SRV _sip._udp / _sip._tcp /
 *     _sips._tcp of that transport only.
 *   - A name alone: NAPTR of the name; the records whose flag is "S" and
 *     whose service is SIP+D2U, SIP+D2T or SIPS+D2T (only SIPS+D2T for a
 *     sips: URI), of a transport in cfg->transports, ordered by order then
 *     preference; their replacements are the SRV names.  No NAPTR (or none
 *     usable): SRV _sip._udp, _sip._tcp, _sips._tcp (sips: only
 *     _sips._tcp), those of the transports we have, in that preference.
 *   - SRV (RFC 2782): by priority, then weighted random selection within a
 *     priority; a target "." is "decidedly not available".  No SRV record
 *     at all: A and AAAA of the name, default port and transport.
 *   - Each host's A records, then its AAAA records (IPv4 first), in the
 *     order above; duplicates dropped; at most DNS_TARGETS_MAX targets.
 * Lookups of one step run in parallel.  An answer that says there is
 * nothing (NXDOMAIN, NODATA) moves on to the next rule; a failure to get
 * an answer (timeout, server failure, connection refused) ends the
 * resolution with that failure, unless another lookup of the same step
 * found something.  /etc/hosts is not read: names go to DNS.
 *
 * Answers are cached per (type, name) for their TTL (capped at 1 h),
 * NXDOMAIN and NODATA for the SOA's negative TTL (RFC 2308) or 30 s
 * without one (capped at 5 min), on the injectable clock (core/tmr.h).
 * The cache holds at most DNS_CACHE_MAX entries: when full, expired ones
 * go first, else the oldest.  Failures are not cached.  Identical lookups
 * in flight at once are sent once.
 */
#ifndef SIPUAD_DNS_H
#define SIPUAD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "sip/dest.h"

struct event_base;
struct tmr_clock;

struct dns;	  /* one per daemon, on its event loop */
struct dns_query; /* one resolution in progress */

/* Transports, as bits of dns_cfg.transports. */
#define DNS_TP_UDP 0x1u
#define DNS_TP_TCP 0x2u
#define DNS_TP_TLS 0x4u

#define DNS_TARGETS_MAX 16   /* targets handed to a callback, at most */
#define DNS_CACHE_MAX 1024   /* cached answers, at most */
#define DNS_QUERIES_MAX 1024 /* resolutions in progress, at most */
#define DNS_SERVERS_MAX 8    /* entries of dns_cfg.servers */
#define DNS_TIMEOUT_MS_DEFAULT 2000
#define DNS_TRIES_DEFAULT 2

struct dns_cfg {
	/*
	 * "127.0.0.1:5353, [::1]:53, 192.0.2.1": IP literals, port 53 if
	 * none.  NULL or "": the system's (/etc/resolv.conf).
	 */
	const char *servers;
	unsigned timeout_ms; /* first try, per server; 0: DNS_TIMEOUT_MS_DEFAULT */
	unsigned tries;	     /* rounds over the servers; 0: DNS_TRIES_DEFAULT */
	unsigned transports; /* DNS_TP_* we can send over; 0: UDP and TCP */
};
/*
 * How long a lookup may take before it fails with a timeout: c-ares waits
 * timeout_ms on each server in the first round and doubles the wait each
 * round, so nservers * timeout_ms * (2^tries - 1): 6 s for the defaults and
 * one server.  A resolution is at most three lookups in a row (NAPTR, SRV,
 * A/AAAA), but a timeout ends it at the first.
 */

/* One place to send to. */
struct dns_target {
	enum net_proto proto; /* NET_UDP, NET_TCP or NET_TLS */
	struct net_addr addr;
	char host[256]; /* the name it came from (or the IP literal), for logs */
	/*
	 * TLS: the name the server's certificate must carry, the URI's host
	 * (RFC 5922 §4.1: not an SRV or NAPTR target, which DNS without
	 * DNSSEC cannot vouch for); "" for an IP literal (its address is
	 * checked) and for UDP and TCP.
	 */
	char name[SIP_DEST_HOST_MAX];
};

/* Where t sends: proto, address and (TLS) name, the rest zeroed. */
void dns_target_dest(const struct dns_target *t, struct sip_dest *d);
/* The net_proto of a DNS_TP_* bit. */
enum net_proto dns_tp_proto(unsigned tp);

/*
 * The end of a resolution.  err 0: t[0..n) in the order to try (n >= 1),
 * why NULL.  err < 0: t NULL, n 0, why a line for a human naming the name
 * and the failure:
 *   -ENOENT        "no such domain: sip.example.invalid (NXDOMAIN)";
 *                  "no SIP service at _sip._udp.example.com (its SRV target is \".\")"
 *   -ENODATA       "no address (A or AAAA record) for sip.example.com"
 *   -ETIMEDOUT     "DNS timeout for _sip._udp.example.com (SRV)"
 *   -ECONNREFUSED  "no DNS server answered for example.com (NAPTR): connection
 *                  refused or server failure" (c-ares reports a server's
 *                  SERVFAIL/REFUSED this way once every server was tried)
 *   -EIO           "DNS server failure for example.com (NAPTR)" (FORMERR or
 *                  NOTIMP, or an answer c-ares cannot parse)
 *   -ENOMEM        "out of memory resolving example.com"
 * When no target of several SRV targets resolves, why is about the first
 * and adds ", nor for the N other SRV targets".  t and why are valid only
 * during the call.  The query is gone when the callback runs: do not
 * dns_cancel() it.  The callback may start and cancel other resolutions
 * and call dns_set_cfg(); it must not call dns_free().
 */
typedef void(dns_done_fn)(void *arg, int err, const struct dns_target *t, size_t n,
			  const char *why);

/*
 * The cfg values as a config check sees them: 0, or -EINVAL with why
 * (may be NULL) naming the fault ("DNS server 'x' is not an IP address
 * (a.b.c.d[:port] or [v6][:port])", too many servers, a bad port,
 * transports outside DNS_TP_*).
 */
int dns_cfg_check(const struct dns_cfg *cfg, char *why, size_t whylen);

/*
 * A resolver on base, its cache ages on clk.  cfg is copied.  0, -EINVAL
 * (dns_cfg_check fails), -ENOMEM, -EIO (c-ares could not start: no
 * resolv.conf servers and the like).  *dp is written only on success.
 */
int dns_new(struct dns **dp, struct event_base *base, struct tmr_clock *clk,
	    const struct dns_cfg *cfg);

/*
 * New settings for the resolutions started from now on (a reload): a new
 * c-ares channel; lookups already sent finish on the old one, which is
 * freed when they are done.  The cache is emptied (other servers may
 * answer otherwise).  0, -EINVAL, -ENOMEM, -EIO; on failure nothing
 * changed.
 */
int dns_set_cfg(struct dns *d, const struct dns_cfg *cfg);

/*
 * Free the resolver.  Resolutions still in progress are dropped silently:
 * their callbacks are never called (the owner frees its own objects
 * first).  NULL is a no-op.
 */
void dns_free(struct dns *d);

/*
 * Resolve where requests for uri go (sip:/sips: URI; ;transport=, port,
 * host name or IP literal; ;maddr is ignored).  done is called once, from
 * the event loop, never inside this function, not even for an IP literal
 * or a cached answer.  *qp (qp may be NULL) lets the caller dns_cancel()
 * before the callback.  0, or -errno with why (may be NULL):
 *   -EINVAL           the URI: not a URI, not sip:/sips:, no host, a host
 *                     that is neither an IP literal nor a host name, a bad
 *                     port or ;transport=
 *   -EPROTONOSUPPORT  a transport we do not have (sips: without TLS, sctp)
 *   -EBUSY            DNS_QUERIES_MAX resolutions in progress
 *   -ENOMEM
 */
int dns_resolve_uri(struct dns *d, const char *uri, dns_done_fn *done, void *arg,
		    struct dns_query **qp, char *why, size_t whylen);

/* Stop a resolution: its callback is not called.  NULL is a no-op. */
void dns_cancel(struct dns_query *q);

struct dns_stats {
	uint64_t resolutions; /* dns_resolve_uri() calls that started */
	uint64_t lookups;     /* DNS queries handed to c-ares */
	uint64_t cache_hits;  /* lookups answered by the cache */
	uint64_t joined;      /* lookups that joined an identical one in flight */
	unsigned in_progress; /* resolutions not finished yet */
	unsigned cached;      /* entries in the cache */
	unsigned draining;    /* channels of before a dns_set_cfg, lookups pending */
};
void dns_get_stats(const struct dns *d, struct dns_stats *out);

/* "udp" / "tcp" / "tls": a target's transport, for logs. */
const char *dns_target_proto(const struct dns_target *t);

#endif
