/*
 * check_account: the identity object (src/ua/account.c): what the default
 * account and a configured one put in From and Contact, on IPv4 and IPv6,
 * UDP and TCP; the wildcard-listener rule; what account_new() refuses;
 * and that buffers too small are refused, never truncated.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "core/net.h"
#include "ua/account.h"

#include "check_run.h"

static struct net_addr addr(const char *host, uint16_t port)
{
	struct net_addr a;

	ck_assert_int_eq(net_addr_from_host(&a, host, port), 0);
	return a;
}

START_TEST(test_default_account)
{
	struct account *a = NULL;
	struct net_addr v4 = addr("192.0.2.1", 5060), v6 = addr("2001:db8::1", 5070);
	char buf[128];

	ck_assert_int_eq(account_new_default(&a), 0);
	ck_assert_str_eq(account_name(a), "default");
	ck_assert_str_eq(account_user(a), "sipuad");
	ck_assert_ptr_null(account_aor(a));
	ck_assert_ptr_null(account_display(a));
	ck_assert_int_eq(account_from(a, &v4, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "sip:sipuad@192.0.2.1");
	ck_assert_int_eq(account_from(a, &v6, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "sip:sipuad@[2001:db8::1]");
	ck_assert_int_eq(account_contact(a, NET_UDP, &v4, false, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "<sip:sipuad@192.0.2.1:5060>");
	ck_assert_int_eq(account_contact(a, NET_TCP, &v4, false, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "<sip:sipuad@192.0.2.1:5060;transport=tcp>");
	ck_assert_int_eq(account_contact(a, NET_UDP, &v6, false, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "<sip:sipuad@[2001:db8::1]:5070>");
	/* TLS: ;transport=tls, or a sips: URI (RFC 5630 §3.1.3: no ;transport=tls in it). */
	ck_assert_int_eq(account_contact(a, NET_TLS, &v4, false, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "<sip:sipuad@192.0.2.1:5060;transport=tls>");
	ck_assert_int_eq(account_contact(a, NET_TLS, &v6, true, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "<sips:sipuad@[2001:db8::1]:5070>");
	account_free(a);
	account_free(NULL);
}
END_TEST

START_TEST(test_configured_account)
{
	struct account_cfg cfg = {.name = "alice",
				  .aor = "sip:alice@example.com",
				  .display = "Alice",
				  .user = "alice-7",
				  .auth_user = "alice",
				  .password = "secret"};
	struct account *a = NULL;
	struct net_addr v4 = addr("192.0.2.1", 5062);
	char buf[128];

	ck_assert_int_eq(account_new(&a, &cfg), 0);
	ck_assert_str_eq(account_name(a), "alice");
	ck_assert_str_eq(account_display(a), "Alice");
	ck_assert_str_eq(account_aor(a), "sip:alice@example.com");
	/* The AOR is the From whatever our address; Contact has the user and our address. */
	ck_assert_int_eq(account_from(a, &v4, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "sip:alice@example.com");
	ck_assert_int_eq(account_contact(a, NET_TCP, &v4, false, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "<sip:alice-7@192.0.2.1:5062;transport=tcp>");
	account_free(a);
}
END_TEST

START_TEST(test_new_refuses)
{
	struct account *a = NULL;
	struct account_cfg ok = {.name = "x", .user = "u"};
	struct account_cfg c;

	c = ok, c.name = NULL;
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	c = ok, c.name = "";
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	c = ok, c.user = NULL;
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	c = ok, c.user = "";
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	c = ok, c.user = "al ice";
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	c = ok, c.user = "al@ice";
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	c = ok, c.user = "a<b>";
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	c = ok, c.aor = "tel:+123";
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	c = ok, c.aor = "sip:a@b\r\nX: y";
	ck_assert_int_eq(account_new(&a, &c), -EINVAL);
	ck_assert_ptr_null(a);
	/* RFC 3261 §25.1 user-unreserved and escaped are fine. */
	c = ok, c.user = "a.b-c_d!~*'()&=+$,;?/%41", c.aor = "sips:a@example.com";
	ck_assert_int_eq(account_new(&a, &c), 0);
	account_free(a);
}
END_TEST

START_TEST(test_buffer_too_small)
{
	struct account *a = NULL;
	struct net_addr v4 = addr("192.0.2.1", 5060);
	char buf[21]; /* "sip:sipuad@192.0.2.1" is 20 characters */

	ck_assert_int_eq(account_new_default(&a), 0);
	ck_assert_int_eq(account_from(a, &v4, buf, sizeof(buf) - 1), -ENOSPC);
	ck_assert_int_eq(account_contact(a, NET_UDP, &v4, false, buf, sizeof(buf)), -ENOSPC);
	ck_assert_int_eq(account_from(a, &v4, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "sip:sipuad@192.0.2.1");
	account_free(a);
}
END_TEST

/* A listener with an address is itself; a wildcard one becomes the route's source. */
START_TEST(test_addr_toward)
{
	struct net_addr l = addr("127.0.0.1", 5060), any = addr("0.0.0.0", 5080),
			peer = addr("127.0.0.1", 5062), out;
	char a[NET_ADDR_STRLEN];

	ck_assert_int_eq(account_addr_toward(&l, &peer, &out), 0);
	ck_assert_str_eq(net_addr_fmt(&out, a, sizeof(a)), "127.0.0.1:5060");
	ck_assert_int_eq(account_addr_toward(&any, &peer, &out), 0);
	ck_assert_str_eq(net_addr_fmt(&out, a, sizeof(a)), "127.0.0.1:5080");
}
END_TEST

static Suite *account_suite(void)
{
	Suite *s = suite_create("account");
	TCase *tc = tcase_create("account");

	tcase_add_test(tc, test_default_account);
	tcase_add_test(tc, test_configured_account);
	tcase_add_test(tc, test_new_refuses);
	tcase_add_test(tc, test_buffer_too_small);
	tcase_add_test(tc, test_addr_toward);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(account_suite());
}
