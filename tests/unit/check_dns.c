/*
 * check_dns: the resolver (src/sip/dns*.c) without a DNS server.
 *
 * The pure parts first: a URI's query plan (RFC 3263 §4.1, §4.2) with the
 * exact refusals, NAPTR filtering and ordering, SRV ordering by priority
 * and weight (RFC 2782, with a uniform "random" source the test chooses,
 * so that the counts are exact), targets, the TTL reader on a hand-built
 * answer and every truncation of it, the server list, the cache on the
 * fake clock.  Then the resolver itself on a real event_base and the fake
 * clock: callbacks only from the loop, cancel, the bound, a resolution
 * answered from the cache, and the same after the TTLs ran out, which
 * sends a query to a UDP socket of the test that never answers (read back
 * to see it go).  Every resolver is freed with work in progress, so the
 * sanitizer build checks that nothing leaks.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/rnd.h"
#include "core/tmr.h"
#include "sip/dns.h"
#include "sip/dns_int.h"

#include "check_run.h"

#define TPS_ALL (DNS_TP_UDP | DNS_TP_TCP | DNS_TP_TLS)

/* ---- the plan ---- */

static struct dns_plan plan_ok(const char *uri, unsigned tps)
{
	struct dns_plan pl;
	char why[256] = "";
	int err = dns_plan_make(uri, tps, &pl, why, sizeof(why));

	ck_assert_msg(err == 0, "%s: %d %s", uri, err, why);
	return pl;
}

START_TEST(plan_rules)
{
	struct dns_plan pl;
	char a[NET_ADDR_STRLEN];

	/* §4.1: a name alone: NAPTR, default UDP/5060 for the A fallback. */
	pl = plan_ok("sip:alice@Example.COM.", 0);
	ck_assert_int_eq(pl.first, DNS_STEP_NAPTR);
	ck_assert_str_eq(pl.qname, "example.com");
	ck_assert_str_eq(pl.host, "Example.COM.");
	ck_assert_uint_eq(pl.tp, DNS_TP_UDP);
	ck_assert(!pl.tp_forced);
	ck_assert_uint_eq(pl.port, 5060);
	ck_assert_uint_eq(pl.tps, DNS_TP_UDP | DNS_TP_TCP);

	/* ;transport= without a port: SRV of that transport. */
	pl = plan_ok("sip:example.com;transport=TCP", 0);
	ck_assert_int_eq(pl.first, DNS_STEP_SRV);
	ck_assert_uint_eq(pl.tp, DNS_TP_TCP);
	ck_assert(pl.tp_forced);

	/* §4.2: a port: A/AAAA only, UDP unless told. */
	pl = plan_ok("sip:bob@example.com:5070", 0);
	ck_assert_int_eq(pl.first, DNS_STEP_ADDR);
	ck_assert_uint_eq(pl.port, 5070);
	ck_assert_uint_eq(pl.tp, DNS_TP_UDP);
	pl = plan_ok("sip:bob@example.com:5070;transport=tcp", 0);
	ck_assert_int_eq(pl.first, DNS_STEP_ADDR);
	ck_assert_uint_eq(pl.tp, DNS_TP_TCP);

	/* IP literals: no DNS. */
	pl = plan_ok("sip:bob@192.0.2.1", 0);
	ck_assert_int_eq(pl.first, DNS_STEP_LITERAL);
	ck_assert_str_eq(net_addr_fmt(&pl.literal, a, sizeof(a)), "192.0.2.1:5060");
	ck_assert_uint_eq(pl.tp, DNS_TP_UDP);
	pl = plan_ok("sip:[2001:db8::1]:5070;transport=tcp", 0);
	ck_assert_int_eq(pl.first, DNS_STEP_LITERAL);
	ck_assert_str_eq(net_addr_fmt(&pl.literal, a, sizeof(a)), "[2001:db8::1]:5070");
	ck_assert_uint_eq(pl.tp, DNS_TP_TCP);
	ck_assert_str_eq(pl.host, "2001:db8::1");

	/* Without UDP, sip: defaults to TCP. */
	pl = plan_ok("sip:192.0.2.1", DNS_TP_TCP);
	ck_assert_uint_eq(pl.tp, DNS_TP_TCP);

	/* sips: is TLS, port 5061; ;transport=tcp in sips: is TLS too. */
	pl = plan_ok("sips:bob@192.0.2.1", TPS_ALL);
	ck_assert_uint_eq(pl.tp, DNS_TP_TLS);
	ck_assert_str_eq(net_addr_fmt(&pl.literal, a, sizeof(a)), "192.0.2.1:5061");
	pl = plan_ok("sips:bob@example.com;transport=tcp", TPS_ALL);
	ck_assert_uint_eq(pl.tp, DNS_TP_TLS);
	ck_assert_int_eq(pl.first, DNS_STEP_SRV);
	pl = plan_ok("sip:bob@example.com;transport=tls", TPS_ALL);
	ck_assert_uint_eq(pl.tp, DNS_TP_TLS);
	ck_assert_uint_eq(pl.port, 5061);

	/* Underscores and digits pass as names; a 63-character label too. */
	pl = plan_ok("sip:a_b.1-2.example", 0);
	ck_assert_str_eq(pl.qname, "a_b.1-2.example");
	pl = plan_ok("sip:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
		     0);
	ck_assert_int_eq(pl.first, DNS_STEP_NAPTR);
}
END_TEST

static void plan_bad(const char *uri, unsigned tps, int err, const char *text)
{
	struct dns_plan pl;
	char why[256] = "";

	ck_assert_msg(dns_plan_make(uri, tps, &pl, why, sizeof(why)) == err, "%s: %s", uri, why);
	ck_assert_str_eq(why, text);
}

START_TEST(plan_refusals)
{
	char long_host[300];

	plan_bad("", 0, -EINVAL, "no URI");
	plan_bad(NULL, 0, -EINVAL, "no URI");
	plan_bad("tel:+15551234", 0, -EINVAL,
		 "'tel:' URIs are not supported: a sip: URI is needed");
	plan_bad("sip:bob@exa mple.com", 0, -EINVAL,
		 "the URI contains a blank or a control character");
	plan_bad("sip:bob@example.com\r\nX: y", 0, -EINVAL,
		 "the URI contains a blank or a control character");
	plan_bad("not a uri at all", 0, -EINVAL, "the URI contains a blank or a control character");
	plan_bad("example.com", 0, -EINVAL, "'example.com' is not a SIP URI (sip:user@host:port)");
	plan_bad("sip:bob@example.com:0", 0, -EINVAL, "port '0' is not a number from 1 to 65535");
	plan_bad("sip:bob@example.com:65536", 0, -EINVAL,
		 "port '65536' is not a number from 1 to 65535");
	plan_bad("sip:bob@example.com:5x", 0, -EINVAL, "port '5x' is not a number from 1 to 65535");
	plan_bad("sip:bob@example.com;transport", 0, -EINVAL,
		 "transport parameter without a value");
	plan_bad("sip:bob@example.com;transport=sctp", 0, -EPROTONOSUPPORT,
		 "transport 'sctp' is not supported (udp, tcp)");
	plan_bad("sip:bob@example.com;transport=averyveryverylongname", 0, -EPROTONOSUPPORT,
		 "transport 'averyveryverylon...' is not supported");
	plan_bad("sip:bob@example.com;transport=tls", 0, -EPROTONOSUPPORT,
		 "transport 'tls' is not supported (udp, tcp)");
	plan_bad("sip:bob@example.com;transport=udp", DNS_TP_TCP, -EPROTONOSUPPORT,
		 "transport 'udp' is not supported (tcp)");
	plan_bad("sips:bob@example.com", 0, -EPROTONOSUPPORT,
		 "sips: needs TLS, which is not supported (udp, tcp)");
	plan_bad("sips:bob@192.0.2.1:5061", 0, -EPROTONOSUPPORT,
		 "sips: needs TLS, which is not supported (udp, tcp)");
	plan_bad("sips:bob@example.com;transport=udp", TPS_ALL, -EPROTONOSUPPORT,
		 "a sips: URI cannot go over udp (TLS over TCP is needed)");
	plan_bad("sip:bob@exa$mple.com", 0, -EINVAL,
		 "host 'exa$mple.com' is neither an IP address nor a host name");
	plan_bad("sip:bob@a..example.com", 0, -EINVAL,
		 "host 'a..example.com' is neither an IP address nor a host name");
	plan_bad("sip:bob@[::zz]", 0, -EINVAL,
		 "host '::zz' is neither an IP address nor a host name");
	/* A 64-character label. */
	plan_bad("sip:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", 0,
		 -EINVAL,
		 "host 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
		 "is neither an IP address nor a host name");
	/* 254 characters: one too many for DNS; 256: too many for the URI split. */
	memset(long_host, 'a', sizeof(long_host));
	memcpy(long_host, "sip:", 4);
	for (int i = 4 + 60; i < 4 + 254; i += 61)
		long_host[i] = '.';
	long_host[4 + 254] = '\0';
	plan_bad(long_host, 0, -EINVAL,
		 "host 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaa...' "
		 "is neither an IP address nor a host name");
	long_host[4 + 253] = '\0';
	ck_assert_int_eq(plan_ok(long_host, 0).first, DNS_STEP_NAPTR);
	memset(long_host + 4, 'b', 256);
	long_host[4 + 256] = '\0';
	plan_bad(
	    long_host, 0, -EINVAL,
	    "host 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...' is longer "
	    "than 255 characters");
}
END_TEST

/* ---- NAPTR ---- */

static struct dns_rrset *naptr_set(unsigned n, const unsigned *order, const unsigned *pref,
				   const unsigned *tp, const char *const *repl)
{
	struct dns_rrset *rs = dns_rrset_new(DNS_T_NAPTR, DNS_RC_OK, n, 64 * n);

	ck_assert_ptr_nonnull(rs);
	for (unsigned i = 0; i < n; i++) {
		rs->rr[i].order = (uint16_t)order[i];
		rs->rr[i].pref = (uint16_t)pref[i];
		rs->rr[i].tp = tp[i];
		ck_assert_int_eq(dns_rrset_set_name(rs, i, repl[i]), 0);
	}
	return rs;
}

START_TEST(naptr_order_and_filter)
{
	static const unsigned order[] = {20, 10, 10, 10, 5, 10, 30};
	static const unsigned pref[] = {10, 60, 50, 50, 1, 40, 1};
	static const unsigned tp[] = {DNS_TP_UDP, DNS_TP_UDP, DNS_TP_TCP, DNS_TP_TCP,
				      DNS_TP_TLS, 0,	      DNS_TP_UDP};
	static const char *const repl[] = {"_sip._udp.b.example",
					   "_sip._udp.a.example",
					   "_sip._tcp.A.example.",
					   "_sip._tcp.a.example",
					   "_sips._tcp.a.example",
					   "_x._y.a.example",
					   ""};
	struct dns_rrset *rs = naptr_set(7, order, pref, tp, repl);
	struct dns_srvname out[8];
	struct dns_plan pl = plan_ok("sip:a.example", 0);
	size_t n;

	/* UDP+TCP: TLS and the unknown service out, (order, pref), the duplicate once,
	 * the empty replacement (root) out. */
	n = dns_naptr_pick(rs, &pl, out, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[0].tp, DNS_TP_TCP);
	ck_assert_str_eq(out[0].name, "_sip._tcp.a.example");
	ck_assert_uint_eq(out[1].tp, DNS_TP_UDP);
	ck_assert_str_eq(out[1].name, "_sip._udp.a.example");
	ck_assert_uint_eq(out[2].tp, DNS_TP_UDP);
	ck_assert_str_eq(out[2].name, "_sip._udp.b.example");

	/* With TLS: the order-5 SIPS+D2T comes first. */
	pl = plan_ok("sip:a.example", TPS_ALL);
	n = dns_naptr_pick(rs, &pl, out, 8);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(out[0].tp, DNS_TP_TLS);
	ck_assert_str_eq(out[0].name, "_sips._tcp.a.example");

	/* sips: only SIPS+D2T. */
	pl = plan_ok("sips:a.example", TPS_ALL);
	n = dns_naptr_pick(rs, &pl, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].tp, DNS_TP_TLS);

	/* TCP only; and the bound. */
	pl = plan_ok("sip:a.example", DNS_TP_TCP);
	n = dns_naptr_pick(rs, &pl, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0].name, "_sip._tcp.a.example");
	pl = plan_ok("sip:a.example", 0);
	ck_assert_uint_eq(dns_naptr_pick(rs, &pl, out, 2), 2);
	dns_rrset_unref(rs);
}
END_TEST

START_TEST(srv_default_names)
{
	struct dns_srvname out[4];
	struct dns_plan pl = plan_ok("sip:Example.com", 0);

	ck_assert_uint_eq(dns_srv_names(&pl, out, 4), 2);
	ck_assert_str_eq(out[0].name, "_sip._udp.example.com");
	ck_assert_uint_eq(out[0].tp, DNS_TP_UDP);
	ck_assert_str_eq(out[1].name, "_sip._tcp.example.com");
	ck_assert_uint_eq(out[1].tp, DNS_TP_TCP);

	pl = plan_ok("sip:example.com", TPS_ALL);
	ck_assert_uint_eq(dns_srv_names(&pl, out, 4), 3);
	ck_assert_str_eq(out[2].name, "_sips._tcp.example.com");
	ck_assert_uint_eq(out[2].tp, DNS_TP_TLS);

	pl = plan_ok("sips:example.com", TPS_ALL);
	ck_assert_uint_eq(dns_srv_names(&pl, out, 4), 1);
	ck_assert_str_eq(out[0].name, "_sips._tcp.example.com");

	pl = plan_ok("sip:example.com;transport=tcp", TPS_ALL);
	ck_assert_uint_eq(dns_srv_names(&pl, out, 4), 1);
	ck_assert_str_eq(out[0].name, "_sip._tcp.example.com");

	pl = plan_ok("sip:example.com", DNS_TP_TCP);
	ck_assert_uint_eq(dns_srv_names(&pl, out, 4), 1);
	ck_assert_str_eq(out[0].name, "_sip._tcp.example.com");
}
END_TEST

/* ---- SRV (RFC 2782) ---- */

static uint32_t fixed_r;
static uint32_t fixed_bound; /* the last bound asked for */

static uint32_t uniform_fixed(uint32_t bound)
{
	fixed_bound = bound;
	return fixed_r < bound ? fixed_r : bound - 1;
}

struct srv_in {
	unsigned prio, weight, port;
	const char *target;
};

static struct dns_rrset *srv_set(const struct srv_in *in, unsigned n)
{
	struct dns_rrset *rs = dns_rrset_new(DNS_T_SRV, DNS_RC_OK, n, 64 * n);

	ck_assert_ptr_nonnull(rs);
	for (unsigned i = 0; i < n; i++) {
		rs->rr[i].prio = (uint16_t)in[i].prio;
		rs->rr[i].weight = (uint16_t)in[i].weight;
		rs->rr[i].port = (uint16_t)in[i].port;
		ck_assert_int_eq(dns_rrset_set_name(rs, i, in[i].target), 0);
	}
	return rs;
}

START_TEST(srv_priority_order)
{
	static const struct srv_in in[] = {
	    {30, 0, 5003, "c.example"},
	    {10, 0, 5001, "A.example."},
	    {20, 0, 5002, "b.example"},
	    {10, 0, 5004, "d.example"},
	};
	struct dns_rrset *rs = srv_set(in, 4);
	struct dns_host out[8];
	unsigned dots = 99;

	fixed_r = 0; /* with all weights 0 the order within a priority is kept */
	ck_assert_uint_eq(dns_srv_order(rs, DNS_TP_TCP, uniform_fixed, out, 8, &dots), 4);
	ck_assert_uint_eq(dots, 0);
	ck_assert_str_eq(out[0].name, "a.example");
	ck_assert_uint_eq(out[0].port, 5001);
	ck_assert_uint_eq(out[0].tp, DNS_TP_TCP);
	ck_assert_str_eq(out[1].name, "d.example");
	ck_assert_str_eq(out[2].name, "b.example");
	ck_assert_str_eq(out[3].name, "c.example");
	ck_assert_uint_eq(dns_srv_order(rs, DNS_TP_TCP, uniform_fixed, out, 2, NULL), 2);
	dns_rrset_unref(rs);
}
END_TEST

/*
 * Weights 10 and 30 in one priority: the running sums are 10 and 40, the
 * number is drawn from [0, 40]: 11 of the 41 values put the first one
 * first, 30 the second.  Zero weights go first in the running sum, so a
 * weight-0 record leads only when the draw is 0.
 */
START_TEST(srv_weight_selection)
{
	static const struct srv_in two[] = {
	    {1, 10, 5001, "w10.example"},
	    {1, 30, 5002, "w30.example"},
	};
	static const struct srv_in zero[] = {
	    {1, 10, 5001, "w10.example"},
	    {1, 0, 5002, "w0.example"},
	    {0, 5, 5003, "first.example"},
	};
	struct dns_rrset *rs = srv_set(two, 2);
	struct dns_host out[4];
	unsigned first10 = 0, first30 = 0, firstz = 0;

	for (fixed_r = 0; fixed_r <= 40; fixed_r++) {
		ck_assert_uint_eq(dns_srv_order(rs, DNS_TP_UDP, uniform_fixed, out, 4, NULL), 2);
		ck_assert_uint_eq(fixed_bound, 41);
		if (strcmp(out[0].name, "w10.example") == 0) {
			first10++;
			ck_assert_str_eq(out[1].name, "w30.example");
		} else {
			first30++;
			ck_assert_str_eq(out[1].name, "w10.example");
		}
	}
	ck_assert_uint_eq(first10, 11);
	ck_assert_uint_eq(first30, 30);
	dns_rrset_unref(rs);

	rs = srv_set(zero, 3);
	for (fixed_r = 0; fixed_r <= 10; fixed_r++) {
		ck_assert_uint_eq(dns_srv_order(rs, DNS_TP_UDP, uniform_fixed, out, 4, NULL), 3);
		ck_assert_str_eq(out[0].name, "first.example"); /* priority 0 */
		if (strcmp(out[1].name, "w0.example") == 0)
			firstz++;
	}
	ck_assert_uint_eq(firstz, 1);
	dns_rrset_unref(rs);
}
END_TEST

/* The real random source: every order is possible, each record appears once. */
START_TEST(srv_weight_random)
{
	static const struct srv_in in[] = {
	    {1, 50, 5001, "a.example"},
	    {1, 50, 5002, "b.example"},
	};
	struct dns_rrset *rs = srv_set(in, 2);
	struct dns_host out[2];
	unsigned a_first = 0;

	for (int i = 0; i < 2000; i++) {
		ck_assert_uint_eq(dns_srv_order(rs, DNS_TP_UDP, rnd_uniform, out, 2, NULL), 2);
		ck_assert_str_ne(out[0].name, out[1].name);
		a_first += strcmp(out[0].name, "a.example") == 0;
	}
	/* p = 51/101 per draw; 2000 draws: 300..1700 fails with probability < 1e-70. */
	ck_assert_uint_gt(a_first, 300);
	ck_assert_uint_lt(a_first, 1700);
	dns_rrset_unref(rs);
}
END_TEST

START_TEST(srv_dot_target)
{
	static const struct srv_in in[] = {
	    {0, 0, 0, "."},
	};
	static const struct srv_in mixed[] = {
	    {0, 0, 5060, "."},
	    {1, 0, 5060, "ok.example"},
	};
	struct dns_rrset *rs = srv_set(in, 1);
	struct dns_host out[2];
	unsigned dots = 0;

	ck_assert_uint_eq(dns_srv_order(rs, DNS_TP_UDP, uniform_fixed, out, 2, &dots), 0);
	ck_assert_uint_eq(dots, 1);
	dns_rrset_unref(rs);
	rs = srv_set(mixed, 2);
	ck_assert_uint_eq(dns_srv_order(rs, DNS_TP_UDP, uniform_fixed, out, 2, &dots), 1);
	ck_assert_uint_eq(dots, 1);
	ck_assert_str_eq(out[0].name, "ok.example");
	dns_rrset_unref(rs);
}
END_TEST

/* ---- targets ---- */

static struct dns_rrset *addr_set(uint16_t qtype, const char *const *ips, unsigned n)
{
	struct dns_rrset *rs = dns_rrset_new(qtype, DNS_RC_OK, n, 0);
	int af = qtype == DNS_T_A ? AF_INET : AF_INET6;

	ck_assert_ptr_nonnull(rs);
	for (unsigned i = 0; i < n; i++) {
		rs->rr[i].family = af;
		ck_assert_int_eq(inet_pton(af, ips[i], rs->rr[i].ip), 1);
	}
	return rs;
}

START_TEST(targets_order_dedup_bound)
{
	static const char *const v4[] = {"192.0.2.1", "192.0.2.2", "192.0.2.1"};
	static const char *const v6[] = {"2001:db8::1"};
	struct dns_rrset *a = addr_set(DNS_T_A, v4, 3), *aaaa = addr_set(DNS_T_AAAA, v6, 1);
	struct dns_host h1 = {DNS_TP_UDP, 5070, "sip1.example"};
	struct dns_host h2 = {DNS_TP_TCP, 5070, "sip1.example"};
	struct dns_host h3 = {DNS_TP_TLS, 5061, "sip2.example"};
	struct dns_target t[DNS_TARGETS_MAX];
	char s[NET_ADDR_STRLEN];
	size_t n = 0;

	ck_assert_uint_eq(dns_targets_add(t, &n, DNS_TARGETS_MAX, &h1, a), 2);
	ck_assert_uint_eq(dns_targets_add(t, &n, DNS_TARGETS_MAX, &h1, aaaa), 1);
	ck_assert_uint_eq(dns_targets_add(t, &n, DNS_TARGETS_MAX, &h1, a), 0); /* all seen */
	ck_assert_uint_eq(dns_targets_add(t, &n, DNS_TARGETS_MAX, &h2, a), 2); /* other transport */
	ck_assert_uint_eq(dns_targets_add(t, &n, DNS_TARGETS_MAX, &h3, aaaa), 1);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(net_addr_fmt(&t[0].addr, s, sizeof(s)), "192.0.2.1:5070");
	ck_assert_str_eq(net_addr_fmt(&t[1].addr, s, sizeof(s)), "192.0.2.2:5070");
	ck_assert_str_eq(net_addr_fmt(&t[2].addr, s, sizeof(s)), "[2001:db8::1]:5070");
	ck_assert_str_eq(t[2].host, "sip1.example");
	ck_assert_int_eq(t[0].proto, NET_UDP);
	ck_assert_int_eq(t[3].proto, NET_TCP);
	ck_assert_int_eq(t[5].proto, NET_TLS);
	ck_assert_str_eq(dns_target_proto(&t[5]), "tls");
	ck_assert_str_eq(dns_target_proto(&t[3]), "tcp");
	ck_assert_str_eq(net_addr_fmt(&t[5].addr, s, sizeof(s)), "[2001:db8::1]:5061");
	/* The bound. */
	n = DNS_TARGETS_MAX - 1;
	ck_assert_uint_eq(dns_targets_add(t, &n, DNS_TARGETS_MAX, &h3, a), 1);
	ck_assert_uint_eq(n, DNS_TARGETS_MAX);
	dns_rrset_unref(a);
	dns_rrset_unref(aaaa);
}
END_TEST

/* ---- TTLs from a raw answer ---- */

#define RAW_OFFSET_QNAME 12 /* the question's name, right after the header */

struct wire {
	unsigned char b[512];
	size_t n;
};

static void w8(struct wire *w, unsigned v)
{
	w->b[w->n++] = (unsigned char)v;
}

static void w16(struct wire *w, unsigned v)
{
	w8(w, v >> 8);
	w8(w, v & 0xff);
}

static void w32(struct wire *w, uint32_t v)
{
	w16(w, v >> 16);
	w16(w, v & 0xffff);
}

static void wname(struct wire *w, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		w8(w, (unsigned)len);
		memcpy(w->b + w->n, name, len);
		w->n += len;
		name += len + (dot ? 1 : 0);
	}
	w8(w, 0);
}

/*
 * _sip._udp.example.test SRV: two answers (TTL 300, then 120 with the
 * name compressed), one SOA in authority (TTL 900, MINIMUM 60).
 */
static void srv_answer(struct wire *w, uint32_t ttl2)
{
	size_t rdlen_at;

	memset(w, 0, sizeof(*w));
	w16(w, 0x1234);
	w16(w, 0x8180);
	w16(w, 1); /* qd */
	w16(w, 2); /* an */
	w16(w, 1); /* ns */
	w16(w, 0); /* ar */
	wname(w, "_sip._udp.example.test");
	w16(w, DNS_T_SRV);
	w16(w, 1);
	/* answer 1: name in full */
	wname(w, "_sip._udp.example.test");
	w16(w, DNS_T_SRV);
	w16(w, 1);
	w32(w, 300);
	w16(w, 6 + 6);
	w16(w, 10);
	w16(w, 60);
	w16(w, 5070);
	wname(w, "sip1"); /* 6 bytes */
	/* answer 2: compressed owner name */
	w16(w, 0xc000 | RAW_OFFSET_QNAME);
	w16(w, DNS_T_SRV);
	w16(w, 1);
	w32(w, ttl2);
	w16(w, 6 + 6);
	w16(w, 20);
	w16(w, 0);
	w16(w, 5071);
	wname(w, "sip2");
	/* authority: SOA */
	w16(w, 0xc000 | RAW_OFFSET_QNAME);
	w16(w, DNS_T_SOA);
	w16(w, 1);
	w32(w, 900);
	rdlen_at = w->n;
	w16(w, 0);
	wname(w, "ns");
	wname(w, "admin");
	w32(w, 1); /* serial */
	w32(w, 7200);
	w32(w, 3600);
	w32(w, 86400);
	w32(w, 60); /* minimum */
	w->b[rdlen_at] = (unsigned char)((w->n - rdlen_at - 2) >> 8);
	w->b[rdlen_at + 1] = (unsigned char)((w->n - rdlen_at - 2) & 0xff);
}

START_TEST(raw_ttl_answer)
{
	struct dns_raw_ttl r;
	struct wire w;

	srv_answer(&w, 120);
	ck_assert_int_eq(dns_raw_ttls(w.b, w.n, &r), 0);
	ck_assert(r.has_answer);
	ck_assert_uint_eq(r.answer, 120);
	ck_assert(r.has_soa);
	ck_assert_uint_eq(r.negative, 60);

	/* RFC 2181 §8: the top bit set means 0. */
	srv_answer(&w, 0x80000001u);
	ck_assert_int_eq(dns_raw_ttls(w.b, w.n, &r), 0);
	ck_assert_uint_eq(r.answer, 0);
}
END_TEST

/* Every truncation fails cleanly (the sanitizer build sees any overread). */
START_TEST(raw_ttl_truncated)
{
	struct dns_raw_ttl r;
	struct wire w;

	srv_answer(&w, 120);
	for (size_t len = 0; len < w.n; len++) {
		unsigned char *copy = malloc(len ? len : 1);

		memcpy(copy, w.b, len);
		r.has_answer = true;
		ck_assert_msg(dns_raw_ttls(copy, len, &r) == -EBADMSG, "length %zu", len);
		free(copy);
	}
	ck_assert_int_eq(dns_raw_ttls(NULL, 0, &r), -EBADMSG);
}
END_TEST

START_TEST(raw_ttl_malformed)
{
	struct dns_raw_ttl r;
	struct wire w;

	/* An extended label type (0x40) in the question. */
	srv_answer(&w, 120);
	w.b[12] = 0x44;
	ck_assert_int_eq(dns_raw_ttls(w.b, w.n, &r), -EBADMSG);
	/* A label running past the end. */
	srv_answer(&w, 120);
	w.b[12] = 63;
	ck_assert_int_eq(dns_raw_ttls(w.b, 40, &r), -EBADMSG);
	/* An rdlength past the end. */
	srv_answer(&w, 120);
	w.b[12 + 24 + 4 + 24 + 8] = 0xff;
	ck_assert_int_eq(dns_raw_ttls(w.b, w.n, &r), -EBADMSG);
	/* More answers counted than present. */
	srv_answer(&w, 120);
	w.b[7] = 9;
	ck_assert_int_eq(dns_raw_ttls(w.b, w.n, &r), -EBADMSG);
	/* 128 one-byte labels: more than any name may have. */
	memset(&w, 0, sizeof(w));
	w.b[5] = 1;
	for (w.n = 12; w.n < 12 + 2 * 130; w.n += 2) {
		w.b[w.n] = 1;
		w.b[w.n + 1] = 'a';
	}
	w.n += 5;
	ck_assert_int_eq(dns_raw_ttls(w.b, w.n, &r), -EBADMSG);
}
END_TEST

/* ---- servers ---- */

static void servers_bad(const char *s, const char *text)
{
	struct net_addr sv[DNS_SERVERS_MAX];
	char why[256] = "";

	ck_assert_msg(dns_servers_parse(s, sv, DNS_SERVERS_MAX, why, sizeof(why)) == -EINVAL, "%s",
		      s);
	ck_assert_str_eq(why, text);
}

START_TEST(servers_list)
{
	struct net_addr sv[DNS_SERVERS_MAX];
	char a[NET_ADDR_STRLEN];
	char why[256];

	ck_assert_int_eq(dns_servers_parse(NULL, sv, DNS_SERVERS_MAX, why, sizeof(why)), 0);
	ck_assert_int_eq(dns_servers_parse("", sv, DNS_SERVERS_MAX, why, sizeof(why)), 0);
	ck_assert_int_eq(dns_servers_parse("  ", sv, DNS_SERVERS_MAX, why, sizeof(why)), 0);
	ck_assert_int_eq(dns_servers_parse("127.0.0.1:5353, [::1]:53,192.0.2.1 ,::2,[::3]", sv,
					   DNS_SERVERS_MAX, why, sizeof(why)),
			 5);
	ck_assert_str_eq(net_addr_fmt(&sv[0], a, sizeof(a)), "127.0.0.1:5353");
	ck_assert_str_eq(net_addr_fmt(&sv[1], a, sizeof(a)), "[::1]:53");
	ck_assert_str_eq(net_addr_fmt(&sv[2], a, sizeof(a)), "192.0.2.1:53");
	ck_assert_str_eq(net_addr_fmt(&sv[3], a, sizeof(a)), "[::2]:53");
	ck_assert_str_eq(net_addr_fmt(&sv[4], a, sizeof(a)), "[::3]:53");

	servers_bad("dns.example", "DNS server 'dns.example' is not an IP address "
				   "(a.b.c.d[:port] or [v6][:port])");
	servers_bad("127.0.0.1:0", "DNS server '127.0.0.1:0': port '0' is not a number from 1 "
				   "to 65535");
	servers_bad("127.0.0.1:x", "DNS server '127.0.0.1:x': port 'x' is not a number from 1 "
				   "to 65535");
	servers_bad("[::1]x", "DNS server '[::1]x' is not an IP address "
			      "(a.b.c.d[:port] or [v6][:port])");
	servers_bad("[::1", "DNS server '[::1' is not an IP address "
			    "(a.b.c.d[:port] or [v6][:port])");
	servers_bad("127.0.0.1,,127.0.0.2", "an empty entry in the DNS server list");
	servers_bad("127.0.0.1,", "an empty entry in the DNS server list");
	servers_bad("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,8.8.8.8,9.9.9.9",
		    "more than 8 DNS servers");
}
END_TEST

START_TEST(cfg_checks)
{
	struct dns_cfg cfg = {0};
	char why[256] = "";

	ck_assert_int_eq(dns_cfg_check(&cfg, why, sizeof(why)), 0);
	cfg.timeout_ms = 60001;
	ck_assert_int_eq(dns_cfg_check(&cfg, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "DNS timeout 60001 ms is out of range (1 to 60000 ms)");
	cfg.timeout_ms = 0;
	cfg.tries = 11;
	ck_assert_int_eq(dns_cfg_check(&cfg, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "DNS tries 11 is out of range (1 to 10)");
	cfg.tries = 0;
	cfg.transports = 8;
	ck_assert_int_eq(dns_cfg_check(&cfg, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "unknown transport bits 0x8");
	cfg.transports = 0;
	cfg.servers = "localhost";
	ck_assert_int_eq(dns_cfg_check(&cfg, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "DNS server 'localhost' is not an IP address "
			      "(a.b.c.d[:port] or [v6][:port])");
}
END_TEST

/* ---- the cache, on the fake clock ---- */

START_TEST(cache_ttl_expiry)
{
	static const char *const v4[] = {"192.0.2.7"};
	struct tmr_clock *clk;
	struct dns_cache *c;
	struct dns_rrset *rs = addr_set(DNS_T_A, v4, 1), *neg, *got;
	uint64_t t0;

	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	ck_assert_int_eq(dns_cache_new(&c, 16), 0);
	t0 = tmr_now(clk);
	ck_assert_int_eq(dns_cache_put(c, "Sip1.Example.", rs, 60, t0), 0);
	ck_assert_ptr_nonnull(neg = dns_rrset_new(DNS_T_AAAA, DNS_RC_NXDOMAIN, 0, 0));
	ck_assert_int_eq(dns_cache_put(c, "sip1.example", neg, 30, t0), 0);
	dns_rrset_unref(neg);
	ck_assert_uint_eq(dns_cache_count(c), 2);

	/* Case and the final dot do not matter; the type does. */
	got = dns_cache_get(c, DNS_T_A, "sip1.example", tmr_now(clk));
	ck_assert_ptr_eq(got, rs);
	ck_assert_uint_eq(got->refs, 3); /* ours, the cache's, this one */
	dns_rrset_unref(got);
	ck_assert_ptr_null(dns_cache_get(c, DNS_T_SRV, "sip1.example", tmr_now(clk)));

	/* The negative entry: 30 s. */
	tmr_fake_advance(clk, 29999);
	got = dns_cache_get(c, DNS_T_AAAA, "SIP1.example", tmr_now(clk));
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->rc, DNS_RC_NXDOMAIN);
	dns_rrset_unref(got);
	tmr_fake_advance(clk, 1);
	ck_assert_ptr_null(dns_cache_get(c, DNS_T_AAAA, "sip1.example", tmr_now(clk)));
	ck_assert_uint_eq(dns_cache_count(c), 1); /* dropped when found expired */

	/* The positive one: 60 s. */
	tmr_fake_advance(clk, 29999);
	got = dns_cache_get(c, DNS_T_A, "sip1.example", tmr_now(clk));
	ck_assert_ptr_eq(got, rs);
	dns_rrset_unref(got);
	tmr_fake_advance(clk, 1);
	ck_assert_ptr_null(dns_cache_get(c, DNS_T_A, "sip1.example", tmr_now(clk)));
	ck_assert_uint_eq(dns_cache_count(c), 0);
	ck_assert_uint_eq(rs->refs, 1);

	/* TTL 0: not kept. */
	ck_assert_int_eq(dns_cache_put(c, "sip1.example", rs, 0, tmr_now(clk)), 0);
	ck_assert_uint_eq(dns_cache_count(c), 0);
	dns_cache_free(c);
	dns_rrset_unref(rs);
	tmr_clock_free(clk);
}
END_TEST

START_TEST(cache_bound_and_replace)
{
	static const char *const v4[] = {"192.0.2.7"};
	struct dns_rrset *rs = addr_set(DNS_T_A, v4, 1), *other = addr_set(DNS_T_A, v4, 1), *got;
	struct dns_cache *c;

	ck_assert_int_eq(dns_cache_new(&c, 3), 0);
	ck_assert_int_eq(dns_cache_put(c, "a.example", rs, 100, 1000), 0);
	ck_assert_int_eq(dns_cache_put(c, "b.example", rs, 10, 1000), 0);
	ck_assert_int_eq(dns_cache_put(c, "c.example", rs, 100, 1000), 0);
	/* Full: at 20 s b has expired: it goes, not the oldest. */
	ck_assert_int_eq(dns_cache_put(c, "d.example", rs, 100, 20000), 0);
	ck_assert_uint_eq(dns_cache_count(c), 3);
	ck_assert_ptr_null(dns_cache_get(c, DNS_T_A, "b.example", 20000));
	dns_rrset_unref(got = dns_cache_get(c, DNS_T_A, "a.example", 20000));
	ck_assert_ptr_nonnull(got);
	/* Full, nothing expired: the oldest (a) goes. */
	ck_assert_int_eq(dns_cache_put(c, "e.example", rs, 100, 20000), 0);
	ck_assert_uint_eq(dns_cache_count(c), 3);
	ck_assert_ptr_null(dns_cache_get(c, DNS_T_A, "a.example", 20000));
	/* Replacing an entry keeps one entry with the new answer and TTL. */
	ck_assert_int_eq(dns_cache_put(c, "C.example", other, 5, 20000), 0);
	ck_assert_uint_eq(dns_cache_count(c), 3);
	got = dns_cache_get(c, DNS_T_A, "c.example", 20000);
	ck_assert_ptr_eq(got, other);
	dns_rrset_unref(got);
	ck_assert_ptr_null(dns_cache_get(c, DNS_T_A, "c.example", 25000));
	ck_assert_int_eq(dns_cache_put(c, "", rs, 5, 20000), -EINVAL);
	dns_cache_clear(c);
	ck_assert_uint_eq(dns_cache_count(c), 0);
	ck_assert_uint_eq(rs->refs, 1);
	ck_assert_uint_eq(other->refs, 1);
	dns_cache_free(c);
	dns_rrset_unref(rs);
	dns_rrset_unref(other);
}
END_TEST

/* ---- the resolver on a real loop, the fake clock, a silent server ---- */

#define MAXDONE 8

struct fx {
	struct event_base *base;
	struct tmr_clock *clk;
	struct dns *d;
	int silent; /* UDP socket posing as the DNS server: reads, never answers */
	char servers[64];
	struct done {
		int err;
		size_t n;
		struct dns_target t[DNS_TARGETS_MAX];
		char why[256];
	} done[MAXDONE];
	int ndone;
	bool in_resolve; /* a callback inside dns_resolve_uri would see this set */
	bool cb_inside;
};

static int silent_socket(char *servers, size_t size)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(servers, size, "127.0.0.1:%u", ntohs(sin.sin_port));
	return fd;
}

static void fx_init(struct fx *f)
{
	struct dns_cfg cfg = {0};

	memset(f, 0, sizeof(*f));
	ck_assert_ptr_nonnull(f->base = event_base_new());
	ck_assert_int_eq(tmr_clock_new(&f->clk, f->base), 0);
	f->silent = silent_socket(f->servers, sizeof(f->servers));
	cfg.servers = f->servers;
	cfg.timeout_ms = 60000; /* never within a test */
	ck_assert_int_eq(dns_new(&f->d, f->base, f->clk, &cfg), 0);
}

static void fx_done(struct fx *f)
{
	dns_free(f->d); /* with whatever is in progress */
	close(f->silent);
	tmr_clock_free(f->clk);
	event_base_free(f->base);
}

static void on_done(void *arg, int err, const struct dns_target *t, size_t n, const char *why)
{
	struct fx *f = arg;
	struct done *d = &f->done[f->ndone++];

	ck_assert_int_lt(f->ndone, MAXDONE);
	if (f->in_resolve)
		f->cb_inside = true;
	d->err = err;
	d->n = n;
	if (n)
		memcpy(d->t, t, n * sizeof(*t));
	snprintf(d->why, sizeof(d->why), "%s", why ? why : "");
	if (err == 0)
		ck_assert_ptr_null(why);
}

static int resolve(struct fx *f, const char *uri, struct dns_query **qp)
{
	char why[256];
	int err;

	f->in_resolve = true;
	err = dns_resolve_uri(f->d, uri, on_done, f, qp, why, sizeof(why));
	f->in_resolve = false;
	return err;
}

/* The question name of the next query the silent server got (bounded wait). */
static bool silent_got(struct fx *f, uint16_t *qtype, char *name, size_t size)
{
	struct pollfd p = {.fd = f->silent, .events = POLLIN};
	unsigned char b[512];
	size_t pos = 12, o = 0;
	ssize_t len;

	if (poll(&p, 1, 5000) != 1 || (len = recv(f->silent, b, sizeof(b), 0)) < 17)
		return false;
	while (pos < (size_t)len && b[pos] && o + b[pos] + 1 < size) {
		memcpy(name + o, b + pos + 1, b[pos]);
		o += b[pos];
		name[o++] = '.';
		pos += 1 + b[pos];
	}
	name[o ? o - 1 : 0] = '\0';
	*qtype = (uint16_t)(b[pos + 1] << 8 | b[pos + 2]);
	return true;
}

START_TEST(literal_from_the_loop)
{
	struct fx f;
	char a[NET_ADDR_STRLEN];
	struct dns_stats st;

	fx_init(&f);
	ck_assert_int_eq(resolve(&f, "sip:bob@192.0.2.1:5070;transport=tcp", NULL), 0);
	ck_assert_int_eq(resolve(&f, "sip:[2001:db8::5]", NULL), 0);
	ck_assert_int_eq(f.ndone, 0); /* not inside dns_resolve_uri */
	tmr_fake_advance(f.clk, 0);
	ck_assert(!f.cb_inside);
	ck_assert_int_eq(f.ndone, 2);
	ck_assert_int_eq(f.done[0].err, 0);
	ck_assert_uint_eq(f.done[0].n, 1);
	ck_assert_int_eq(f.done[0].t[0].proto, NET_TCP);
	ck_assert_str_eq(net_addr_fmt(&f.done[0].t[0].addr, a, sizeof(a)), "192.0.2.1:5070");
	ck_assert_str_eq(f.done[0].t[0].host, "192.0.2.1");
	ck_assert_int_eq(f.done[1].t[0].proto, NET_UDP);
	ck_assert_str_eq(net_addr_fmt(&f.done[1].t[0].addr, a, sizeof(a)), "[2001:db8::5]:5060");
	dns_get_stats(f.d, &st);
	ck_assert_uint_eq(st.lookups, 0);
	ck_assert_uint_eq(st.resolutions, 2);
	ck_assert_uint_eq(st.in_progress, 0);
	fx_done(&f);
}
END_TEST

START_TEST(refusal_and_cancel)
{
	struct dns_query *q = NULL;
	struct fx f;
	char why[256];

	fx_init(&f);
	ck_assert_int_eq(dns_resolve_uri(f.d, "tel:123", on_done, &f, &q, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "'tel:' URIs are not supported: a sip: URI is needed");
	ck_assert_ptr_null(q);
	ck_assert_int_eq(resolve(&f, "sip:192.0.2.1", &q), 0);
	ck_assert_ptr_nonnull(q);
	dns_cancel(q);
	dns_cancel(NULL);
	tmr_fake_advance(f.clk, 0);
	ck_assert_int_eq(f.ndone, 0);
	fx_done(&f);
}
END_TEST

START_TEST(bounded_resolutions)
{
	struct fx f;
	char why[256];
	int ok = 0;

	fx_init(&f);
	for (int i = 0; i < DNS_QUERIES_MAX; i++)
		ok +=
		    dns_resolve_uri(f.d, "sip:192.0.2.1", on_done, &f, NULL, why, sizeof(why)) == 0;
	ck_assert_int_eq(ok, DNS_QUERIES_MAX);
	ck_assert_int_eq(dns_resolve_uri(f.d, "sip:192.0.2.1", on_done, &f, NULL, why, sizeof(why)),
			 -EBUSY);
	ck_assert_str_eq(why, "too many DNS resolutions in progress (1024)");
	fx_done(&f); /* 1024 dropped silently */
	ck_assert_int_eq(f.ndone, 0);
}
END_TEST

static void put_addr(struct dns_cache *c, uint64_t now, const char *name, const char *v4,
		     uint32_t ttl)
{
	struct dns_rrset *rs =
	    v4 ? addr_set(DNS_T_A, &v4, 1) : dns_rrset_new(DNS_T_A, DNS_RC_NODATA, 0, 0);

	ck_assert_int_eq(dns_cache_put(c, name, rs, ttl, now), 0);
	dns_rrset_unref(rs);
	rs = dns_rrset_new(DNS_T_AAAA, DNS_RC_NODATA, 0, 0);
	ck_assert_int_eq(dns_cache_put(c, name, rs, ttl, now), 0);
	dns_rrset_unref(rs);
}

/*
 * sip:example.test from the cache alone: no NAPTR, SRV _sip._udp with two
 * priorities, no _sip._tcp, A records of the targets.  Then the TTLs run
 * out on the fake clock and the next resolution asks the server again.
 */
START_TEST(resolution_from_cache_then_expiry)
{
	static const struct srv_in srv[] = {
	    {20, 0, 5072, "sip2.example.test"},
	    {10, 0, 5070, "sip1.example.test"},
	};
	struct dns_cache *c;
	struct dns_rrset *rs;
	struct dns_stats st;
	char a[NET_ADDR_STRLEN], name[256];
	uint64_t now;
	uint16_t qtype;
	struct fx f;

	fx_init(&f);
	c = dns_cache_of(f.d);
	now = tmr_now(f.clk);
	rs = dns_rrset_new(DNS_T_NAPTR, DNS_RC_NODATA, 0, 0);
	ck_assert_int_eq(dns_cache_put(c, "example.test", rs, 60, now), 0);
	dns_rrset_unref(rs);
	rs = srv_set(srv, 2);
	ck_assert_int_eq(dns_cache_put(c, "_sip._udp.example.test", rs, 60, now), 0);
	dns_rrset_unref(rs);
	rs = dns_rrset_new(DNS_T_SRV, DNS_RC_NXDOMAIN, 0, 0);
	ck_assert_int_eq(dns_cache_put(c, "_sip._tcp.example.test", rs, 60, now), 0);
	dns_rrset_unref(rs);
	put_addr(c, now, "sip1.example.test", "127.0.0.2", 120);
	put_addr(c, now, "sip2.example.test", "127.0.0.3", 120);

	ck_assert_int_eq(resolve(&f, "sip:alice@EXAMPLE.test", NULL), 0);
	ck_assert_int_eq(f.ndone, 0);
	tmr_fake_advance(f.clk, 0);
	ck_assert_int_eq(f.ndone, 1);
	ck_assert_int_eq(f.done[0].err, 0);
	ck_assert_uint_eq(f.done[0].n, 2);
	ck_assert_str_eq(net_addr_fmt(&f.done[0].t[0].addr, a, sizeof(a)), "127.0.0.2:5070");
	ck_assert_str_eq(f.done[0].t[0].host, "sip1.example.test");
	ck_assert_str_eq(net_addr_fmt(&f.done[0].t[1].addr, a, sizeof(a)), "127.0.0.3:5072");
	ck_assert_int_eq(f.done[0].t[1].proto, NET_UDP);
	dns_get_stats(f.d, &st);
	ck_assert_uint_eq(st.lookups, 0);
	ck_assert_uint_eq(st.cache_hits, 1 + 2 + 4);

	/* 60 s later the NAPTR and SRV entries are gone: the server is asked. */
	tmr_fake_advance(f.clk, 60000);
	ck_assert_int_eq(resolve(&f, "sip:alice@example.test", NULL), 0);
	tmr_fake_advance(f.clk, 0);
	ck_assert_int_eq(f.ndone, 1);
	dns_get_stats(f.d, &st);
	ck_assert_uint_eq(st.lookups, 1);
	ck_assert_uint_eq(st.in_progress, 1);
	ck_assert(silent_got(&f, &qtype, name, sizeof(name)));
	ck_assert_uint_eq(qtype, DNS_T_NAPTR);
	ck_assert_str_eq(name, "example.test");
	/* The expired NAPTR entry was dropped when found; the SRV ones wait for it. */
	ck_assert_uint_eq(dns_cache_count(c), 6);
	fx_done(&f); /* the resolution in progress is dropped: no callback */
	ck_assert_int_eq(f.ndone, 1);
}
END_TEST

/* Two resolutions at once share one lookup; after a reload they do not. */
START_TEST(joined_lookups_and_reload)
{
	struct dns_cfg cfg = {0};
	struct dns_query *q1, *q2;
	struct dns_stats st;
	char name[256], servers2[64];
	uint16_t qtype;
	int silent2;
	struct fx f;

	fx_init(&f);
	ck_assert_int_eq(resolve(&f, "sip:example.test:5080", &q1), 0);
	ck_assert_int_eq(resolve(&f, "sip:bob@Example.Test.:5090", &q2), 0);
	tmr_fake_advance(f.clk, 0);
	dns_get_stats(f.d, &st);
	ck_assert_uint_eq(st.lookups, 2); /* A and AAAA once */
	ck_assert_uint_eq(st.joined, 2);
	ck_assert(silent_got(&f, &qtype, name, sizeof(name)));
	ck_assert_str_eq(name, "example.test");
	ck_assert(silent_got(&f, &qtype, name, sizeof(name)));
	dns_cancel(q1); /* one leaves; the lookup stays for the other */

	silent2 = silent_socket(servers2, sizeof(servers2));
	cfg.servers = servers2;
	cfg.timeout_ms = 60000;
	ck_assert_int_eq(dns_set_cfg(f.d, &cfg), 0);
	ck_assert_int_eq(resolve(&f, "sip:example.test:5080", NULL), 0);
	tmr_fake_advance(f.clk, 0);
	dns_get_stats(f.d, &st);
	ck_assert_uint_eq(st.lookups, 4); /* not joined to the old servers' lookups */
	ck_assert_uint_eq(st.joined, 2);
	ck_assert_uint_eq(st.in_progress, 2);
	f.silent = (close(f.silent), silent2);
	ck_assert(silent_got(&f, &qtype, name, sizeof(name)));
	ck_assert_str_eq(name, "example.test");
	cfg.servers = "nonsense";
	ck_assert_int_eq(dns_set_cfg(f.d, &cfg), -EINVAL);
	fx_done(&f);
	ck_assert_int_eq(f.ndone, 0);
}
END_TEST

/* Run the loop until the old channel is freed (bounded: 5 s). */
static bool loop_until_drained(struct fx *f)
{
	struct timespec t0, t;
	struct dns_stats st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		dns_get_stats(f->d, &st);
		if (st.draining == 0)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return false;
		event_base_loop(f->base, EVLOOP_ONCE);
	}
}

/*
 * A reload while a lookup is out: the old channel (50 ms, one try) times
 * out, its answer ends the resolution that waited (from the loop, on the
 * next tick) and is not cached, and the old channel is freed.
 */
START_TEST(reload_drains_old_channel)
{
	struct dns_cfg cfg = {0};
	struct dns_stats st;
	char servers2[64];
	int silent2;
	struct fx f;

	fx_init(&f);
	cfg.servers = f.servers;
	cfg.timeout_ms = 50;
	cfg.tries = 1;
	ck_assert_int_eq(dns_set_cfg(f.d, &cfg), 0); /* nothing pending: freed at once */
	dns_get_stats(f.d, &st);
	ck_assert_uint_eq(st.draining, 0);
	ck_assert_int_eq(resolve(&f, "sip:example.test:5080", NULL), 0);
	tmr_fake_advance(f.clk, 0);
	silent2 = silent_socket(servers2, sizeof(servers2));
	cfg.servers = servers2;
	cfg.timeout_ms = 60000;
	ck_assert_int_eq(dns_set_cfg(f.d, &cfg), 0);
	dns_get_stats(f.d, &st);
	ck_assert_uint_eq(st.draining, 1);
	ck_assert(loop_until_drained(&f));
	ck_assert_int_eq(f.ndone, 0); /* the step's end waits for the loop's clock */
	tmr_fake_advance(f.clk, 0);
	ck_assert_int_eq(f.ndone, 1);
	ck_assert_int_eq(f.done[0].err, -ETIMEDOUT);
	ck_assert_str_eq(f.done[0].why, "DNS timeout for example.test (A)");
	dns_get_stats(f.d, &st);
	ck_assert_uint_eq(st.cached, 0);
	ck_assert_uint_eq(st.in_progress, 0);
	close(silent2);
	fx_done(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");

	tcase_add_test(tc, plan_rules);
	tcase_add_test(tc, plan_refusals);
	tcase_add_test(tc, naptr_order_and_filter);
	tcase_add_test(tc, srv_default_names);
	tcase_add_test(tc, srv_priority_order);
	tcase_add_test(tc, srv_weight_selection);
	tcase_add_test(tc, srv_weight_random);
	tcase_add_test(tc, srv_dot_target);
	tcase_add_test(tc, targets_order_dedup_bound);
	tcase_add_test(tc, raw_ttl_answer);
	tcase_add_test(tc, raw_ttl_truncated);
	tcase_add_test(tc, raw_ttl_malformed);
	tcase_add_test(tc, servers_list);
	tcase_add_test(tc, cfg_checks);
	tcase_add_test(tc, cache_ttl_expiry);
	tcase_add_test(tc, cache_bound_and_replace);
	tcase_add_test(tc, literal_from_the_loop);
	tcase_add_test(tc, refusal_and_cancel);
	tcase_add_test(tc, bounded_resolutions);
	tcase_add_test(tc, resolution_from_cache_then_expiry);
	tcase_add_test(tc, joined_lookups_and_reload);
	tcase_add_test(tc, reload_drains_old_channel);
	suite_add_tcase(s, tc);
	return check_run(s);
}
