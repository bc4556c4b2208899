/*
 * check_net: the listen-entry grammar, IP literal parsing, formatting and
 * address comparison of src/core/net.c.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"

#include "check_run.h"

START_TEST(test_proto)
{
	enum net_proto p = NET_TCP;

	ck_assert_int_eq(net_proto_parse("udp", &p), 0);
	ck_assert_int_eq(p, NET_UDP);
	ck_assert_int_eq(net_proto_parse("TcP", &p), 0);
	ck_assert_int_eq(p, NET_TCP);
	ck_assert_int_eq(net_proto_parse("UDP", &p), 0);
	ck_assert_int_eq(p, NET_UDP);
	ck_assert_int_eq(net_proto_parse("sctp", &p), -EINVAL);
	ck_assert_int_eq(net_proto_parse("", &p), -EINVAL);
	ck_assert_int_eq(net_proto_parse("udp ", &p), -EINVAL);
	ck_assert_int_eq(net_proto_parse(NULL, &p), -EINVAL);
	ck_assert_int_eq(p, NET_UDP);
	ck_assert_int_eq(net_proto_parse("TLS", &p), 0);
	ck_assert_int_eq(p, NET_TLS);
	ck_assert_str_eq(net_proto_name(NET_UDP), "udp");
	ck_assert_str_eq(net_proto_name(NET_TCP), "tcp");
	ck_assert_str_eq(net_proto_name(NET_TLS), "tls");
	ck_assert_str_eq(net_proto_via(NET_UDP), "UDP");
	ck_assert_str_eq(net_proto_via(NET_TCP), "TCP");
	ck_assert_str_eq(net_proto_via(NET_TLS), "TLS");
}
END_TEST

static void check_listen(const char *s, enum net_proto proto, int family, const char *fmt)
{
	enum net_proto p;
	struct net_addr a;
	char buf[NET_ADDR_STRLEN];

	ck_assert_msg(net_listen_parse(s, &p, &a) == 0, "rejected %s", s);
	ck_assert_int_eq(p, proto);
	ck_assert_int_eq(net_addr_family(&a), family);
	ck_assert_str_eq(net_addr_fmt(&a, buf, sizeof(buf)), fmt);
}

START_TEST(test_listen_ok)
{
	check_listen("udp:127.0.0.1:5060", NET_UDP, AF_INET, "127.0.0.1:5060");
	check_listen("tcp:[::1]:5062", NET_TCP, AF_INET6, "[::1]:5062");
	check_listen("tls:127.0.0.1:5061", NET_TLS, AF_INET, "127.0.0.1:5061");
	check_listen("TLS:[::1]:5061", NET_TLS, AF_INET6, "[::1]:5061");
	check_listen("UDP:0.0.0.0:0", NET_UDP, AF_INET, "0.0.0.0:0");
	check_listen("Tcp:[2001:db8::1]:65535", NET_TCP, AF_INET6, "[2001:db8::1]:65535");
	check_listen("udp:[::]:05060", NET_UDP, AF_INET6, "[::]:5060");
	check_listen("udp:[::ffff:10.0.0.1]:1", NET_UDP, AF_INET6, "[::ffff:10.0.0.1]:1");
}
END_TEST

static const char *const bad_listen[] = {
    "",
    "udp",
    "udp:",
    "udp:127.0.0.1",
    "udp:127.0.0.1:",
    "udp:127.0.0.1:65536",
    "udp:127.0.0.1:99999",
    "udp:127.0.0.1:123456",
    "udp:127.0.0.1:-1",
    "udp:127.0.0.1:+5",
    "udp:127.0.0.1:50 ",
    "udp:127.0.0.1:5x",
    "udp: 127.0.0.1:5060",
    "udp:127.0.0.1 :5060",
    "udp:localhost:5060",
    "udp:example.com:5060",
    "udp:256.0.0.1:5060",
    "udp:1.2.3:5060",
    "udp:::1:5060",
    "udp:[::1]",
    "udp:[::1]5060",
    "udp:[::1:5060",
    "udp:::1]:5060",
    "udp:[127.0.0.1]:5060",
    "udp:[]:5060",
    "udp:[fe80::1%eth0]:5060",
    "udp::5060",
    "sctp:127.0.0.1:5060",
    "udpx:127.0.0.1:5060",
    ":127.0.0.1:5060",
    "tlsx:127.0.0.1:5061",
};

START_TEST(test_listen_bad)
{
	const char *s = bad_listen[_i];
	enum net_proto p = NET_TCP;
	struct net_addr a;

	memset(&a, 0xa5, sizeof(a));
	ck_assert_msg(net_listen_parse(s, &p, &a) == -EINVAL, "accepted \"%s\"", s);
	/* Out-parameters are untouched on failure. */
	ck_assert_int_eq(p, NET_TCP);
	ck_assert_uint_eq(a.len, 0xa5a5a5a5u);
}
END_TEST

START_TEST(test_listen_null)
{
	enum net_proto p;
	struct net_addr a;

	ck_assert_int_eq(net_listen_parse(NULL, &p, &a), -EINVAL);
}
END_TEST

START_TEST(test_from_host)
{
	struct net_addr a;
	char buf[NET_ADDR_STRLEN];

	ck_assert_int_eq(net_addr_from_host(&a, "192.0.2.7", 5060), 0);
	ck_assert_int_eq(net_addr_family(&a), AF_INET);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(net_addr_port(&a), 5060);
	ck_assert_str_eq(net_addr_host(&a, buf, sizeof(buf)), "192.0.2.7");

	ck_assert_int_eq(net_addr_from_host(&a, "2001:DB8::7", 7), 0);
	ck_assert_int_eq(net_addr_family(&a), AF_INET6);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in6));
	ck_assert_str_eq(net_addr_host(&a, buf, sizeof(buf)), "2001:db8::7");
	ck_assert_str_eq(net_addr_fmt(&a, buf, sizeof(buf)), "[2001:db8::7]:7");

	ck_assert_int_eq(net_addr_from_host(&a, "[::1]", 9), 0);
	ck_assert_str_eq(net_addr_fmt(&a, buf, sizeof(buf)), "[::1]:9");

	ck_assert_int_eq(net_addr_from_host(&a, "host.example", 1), -EINVAL);
	ck_assert_int_eq(net_addr_from_host(&a, "", 1), -EINVAL);
	ck_assert_int_eq(net_addr_from_host(&a, "[]", 1), -EINVAL);
	ck_assert_int_eq(net_addr_from_host(&a, "[::1", 1), -EINVAL);
	ck_assert_int_eq(net_addr_from_host(&a, "[1.2.3.4]", 1), -EINVAL);
	ck_assert_int_eq(net_addr_from_host(&a, NULL, 1), -EINVAL);
}
END_TEST

/* The IPv4 formatter of our own agrees with inet_ntop(3) on every byte value. */
START_TEST(test_host_v4_all_bytes)
{
	char buf[INET6_ADDRSTRLEN], want[INET_ADDRSTRLEN], small[INET_ADDRSTRLEN - 1];
	struct net_addr a;

	for (unsigned v = 0; v < 256; v++) {
		struct sockaddr_in *sin;
		uint8_t *b;

		ck_assert_int_eq(net_addr_from_host(&a, "0.0.0.0", 1), 0);
		sin = (struct sockaddr_in *)&a.ss;
		b = (uint8_t *)&sin->sin_addr;
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(255 - v);
		b[2] = (uint8_t)(v * 7);
		b[3] = (uint8_t)(v ^ 0x5a);
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sin->sin_addr, want, sizeof(want)));
		ck_assert_str_eq(net_addr_host(&a, buf, sizeof(buf)), want);
	}
	/* A buffer too small for any address: inet_ntop's answer (empty on failure). */
	ck_assert_int_eq(net_addr_from_host(&a, "255.255.255.255", 1), 0);
	ck_assert_str_eq(net_addr_host(&a, small, sizeof(small)), "");
}
END_TEST

START_TEST(test_fmt)
{
	struct net_addr a = {0};
	char buf[NET_ADDR_STRLEN], small[6];

	ck_assert_str_eq(net_addr_fmt(&a, buf, sizeof(buf)), "(none)");
	ck_assert_int_eq(net_addr_family(&a), AF_UNSPEC);
	ck_assert_uint_eq(net_addr_port(&a), 0);
	ck_assert_int_eq(
	    net_addr_from_host(&a, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 65535), 0);
	net_addr_fmt(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	ck_assert_uint_lt(strlen(buf), NET_ADDR_STRLEN);
	/* Truncated, still terminated. */
	net_addr_fmt(&a, small, sizeof(small));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

START_TEST(test_port)
{
	struct net_addr a;
	char buf[NET_ADDR_STRLEN];

	ck_assert_int_eq(net_addr_from_host(&a, "10.1.2.3", 0), 0);
	net_addr_set_port(&a, 40000);
	ck_assert_uint_eq(net_addr_port(&a), 40000);
	ck_assert_str_eq(net_addr_fmt(&a, buf, sizeof(buf)), "10.1.2.3:40000");
	ck_assert_int_eq(net_addr_from_host(&a, "::2", 0), 0);
	net_addr_set_port(&a, 1);
	ck_assert_uint_eq(net_addr_port(&a), 1);
}
END_TEST

START_TEST(test_eq)
{
	struct net_addr a, b, c, d, none1 = {0}, none2 = {0};

	ck_assert_int_eq(net_addr_from_host(&a, "127.0.0.1", 5060), 0);
	ck_assert_int_eq(net_addr_from_host(&b, "127.0.0.1", 5060), 0);
	ck_assert_int_eq(net_addr_from_host(&c, "127.0.0.1", 5061), 0);
	ck_assert_int_eq(net_addr_from_host(&d, "::ffff:127.0.0.1", 5060), 0);
	ck_assert(net_addr_eq(&a, &b));
	ck_assert(!net_addr_eq(&a, &c));
	ck_assert(!net_addr_eq(&a, &d));
	ck_assert(!net_addr_eq(&a, &none1));
	ck_assert(net_addr_eq(&none1, &none2));
	ck_assert_int_eq(net_addr_from_host(&a, "::1", 5060), 0);
	ck_assert_int_eq(net_addr_from_host(&b, "[0::1]", 5060), 0);
	ck_assert_int_eq(net_addr_from_host(&c, "::2", 5060), 0);
	ck_assert(net_addr_eq(&a, &b));
	ck_assert(!net_addr_eq(&a, &c));
}
END_TEST

START_TEST(test_host_eq)
{
	struct net_addr v4, v6, mapped, none = {0};

	ck_assert_int_eq(net_addr_from_host(&v4, "192.0.2.1", 5060), 0);
	ck_assert_int_eq(net_addr_from_host(&v6, "2001:db8::1", 5060), 0);
	ck_assert_int_eq(net_addr_from_host(&mapped, "::ffff:192.0.2.1", 5060), 0);
	ck_assert(net_host_eq("192.0.2.1", &v4));
	ck_assert(!net_host_eq("192.0.2.2", &v4));
	ck_assert(net_host_eq("2001:db8::1", &v6));
	ck_assert(net_host_eq("[2001:db8::1]", &v6));
	ck_assert(net_host_eq("[2001:DB8:0::1]", &v6));
	ck_assert(!net_host_eq("[2001:db8::2]", &v6));
	ck_assert(!net_host_eq("192.0.2.1", &v6));
	ck_assert(!net_host_eq("::1", &v4));
	/* A dual-stack socket's view of an IPv4 peer. */
	ck_assert(net_host_eq("192.0.2.1", &mapped));
	ck_assert(net_host_eq("[::ffff:192.0.2.1]", &v4));
	/* Names are never equal to an address: no DNS here. */
	ck_assert(!net_host_eq("example.com", &v4));
	ck_assert(!net_host_eq("", &v4));
	ck_assert(!net_host_eq(NULL, &v4));
	ck_assert(!net_host_eq("192.0.2.1", &none));
}
END_TEST

/* Wildcards, and the source address toward a peer. */
START_TEST(test_any_and_source)
{
	struct net_addr a, src;
	char buf[NET_ADDR_STRLEN];

	ck_assert_int_eq(net_addr_from_host(&a, "0.0.0.0", 5060), 0);
	ck_assert(net_addr_is_any(&a));
	ck_assert_int_eq(net_addr_from_host(&a, "::", 5060), 0);
	ck_assert(net_addr_is_any(&a));
	ck_assert_int_eq(net_addr_from_host(&a, "127.0.0.1", 0), 0);
	ck_assert(!net_addr_is_any(&a));
	memset(&a, 0, sizeof(a));
	ck_assert(!net_addr_is_any(&a));
	ck_assert_int_eq(net_addr_source_for(&a, &src), -EINVAL);

	ck_assert_int_eq(net_addr_from_host(&a, "127.0.0.1", 5062), 0);
	ck_assert_int_eq(net_addr_source_for(&a, &src), 0);
	ck_assert_str_eq(net_addr_fmt(&src, buf, sizeof(buf)), "127.0.0.1:0");
	ck_assert_int_eq(net_addr_from_host(&a, "127.0.0.9", 0), 0); /* port 0 is fine */
	ck_assert_int_eq(net_addr_source_for(&a, &src), 0);
	ck_assert_int_eq(net_addr_family(&src), AF_INET);
	ck_assert_int_eq(net_addr_from_host(&a, "::1", 5062), 0);
	if (net_addr_source_for(&a, &src) == 0) /* a host without IPv6 says so */
		ck_assert_str_eq(net_addr_fmt(&src, buf, sizeof(buf)), "[::1]:0");
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_proto);
	tcase_add_test(tc, test_host_v4_all_bytes);
	tcase_add_test(tc, test_listen_ok);
	tcase_add_loop_test(tc, test_listen_bad, 0,
			    (int)(sizeof(bad_listen) / sizeof(bad_listen[0])));
	tcase_add_test(tc, test_listen_null);
	tcase_add_test(tc, test_from_host);
	tcase_add_test(tc, test_fmt);
	tcase_add_test(tc, test_port);
	tcase_add_test(tc, test_eq);
	tcase_add_test(tc, test_host_eq);
	tcase_add_test(tc, test_any_and_source);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(net_suite());
}
