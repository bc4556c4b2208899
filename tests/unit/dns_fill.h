/*
 * dns_fill: a real resolver (src/sip/dns.c) for the unit tests of its
 * users (calls, OPTIONS), on the fake clock, answering from its cache
 * alone: the tests put the answers there (dns_cache_of()), so nothing goes
 * on the wire.  Its server is a UDP socket of the test that is never
 * read: a lookup the cache cannot answer would wait there for a minute.
 * IP literals resolve through the resolver's 0 ms timer.
 */
#ifndef CHECK_DNS_FILL_H
#define CHECK_DNS_FILL_H

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/tmr.h"
#include "sip/dns.h"
#include "sip/dns_int.h"

static int dns_fill_fd = -1;

/* A resolver on base and clk whose server never answers (dns_fill_free()). */
static struct dns *dns_fill_new(struct event_base *base, struct tmr_clock *clk)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	struct dns_cfg cfg = {.timeout_ms = 60000, .transports = DNS_TP_UDP | DNS_TP_TCP};
	struct dns *d = NULL;
	char servers[64];

	dns_fill_fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(dns_fill_fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(dns_fill_fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(dns_fill_fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(sin.sin_port));
	cfg.servers = servers;
	ck_assert_int_eq(dns_new(&d, base, clk, &cfg), 0);
	return d;
}

static void dns_fill_free(struct dns *d)
{
	dns_free(d);
	if (dns_fill_fd >= 0)
		close(dns_fill_fd);
	dns_fill_fd = -1;
}

/*
 * name's A records v4[0..n) for an hour (DNS_TTL_MAX), and no AAAA record; n 0: the
 * name does not exist (NXDOMAIN for both).  A URI with a port asks for
 * these only (RFC 3263 §4.2).
 */
static void dns_fill_addr(struct dns *d, struct tmr_clock *clk, const char *name,
			  const char *const *v4, unsigned n)
{
	struct dns_cache *c = dns_cache_of(d);
	enum dns_rc none = n ? DNS_RC_NODATA : DNS_RC_NXDOMAIN;
	struct dns_rrset *rs = dns_rrset_new(DNS_T_A, n ? DNS_RC_OK : none, n, 0);

	ck_assert_ptr_nonnull(rs);
	for (unsigned i = 0; i < n; i++) {
		rs->rr[i].family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, v4[i], rs->rr[i].ip), 1);
	}
	ck_assert_int_eq(dns_cache_put(c, name, rs, DNS_TTL_MAX, tmr_now(clk)), 0);
	dns_rrset_unref(rs);
	ck_assert_ptr_nonnull(rs = dns_rrset_new(DNS_T_AAAA, none, 0, 0));
	ck_assert_int_eq(dns_cache_put(c, name, rs, DNS_TTL_MAX, tmr_now(clk)), 0);
	dns_rrset_unref(rs);
}

#endif
