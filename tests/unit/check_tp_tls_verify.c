/*
 * check_tp_tls_verify: what the transport's TLS checks and refuses.  The
 * server's certificate (expired, self-signed, untrusted, the wrong name,
 * a CN with and without subjectAltName, an IP address target, checks
 * off) with the conn callback's error and the words tp_conn_why() keeps;
 * clients' certificates (required, optional); whom a certificate names by
 * RFC 5922 §7, on certificates made in memory; and the settings: a
 * reload, each file's fault, TLS before it is set up.  Real sockets on
 * loopback; tp_tls_harness.h has the rest.
 */
#include <sys/stat.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sip/tp_int.h"

#include "tp_tls_harness.h"

/* ---- checking the server -------------------------------------------- */

/* a (trusting ca_file) connects to b showing name's certificate, for host. */
static void check_server(const char *name, const char *ip, const char *host, const char *ca_file,
			 int want_err, const char *want_why)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg(name);
	struct sip_dest d;
	struct h h;

	h_init(&h, NULL);
	ca.ca_file = cert(ca_file);
	tls_set(&h.a, &ca);
	d = tls_dest(&(struct net_addr){0}, host);
	d.addr = b_listen(&h, ip, &cb);
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	if (want_err == 0) {
		h.want.b_msg = 1;
		ck_assert(run(&h));
		ck_assert(info(h.a.tp, d.conn).verified);
		ck_assert_int_eq(h.a.n_conn, 0);
		h_fini(&h);
		return;
	}
	h.want.a_conn = 1;
	h.want.b_conn = 1;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.conn_id[0], d.conn);
	ck_assert_int_eq(h.a.conn_err[0], want_err);
	ck_why(h.a.tp, d.conn, "TLS handshake with ");
	ck_why(h.a.tp, d.conn, want_why);
	ck_assert_uint_eq(h.a.st.tls_fail_verify, 1);
	ck_assert_uint_eq(h.a.st.tls_handshakes, 0);
	ck_assert_int_eq(h.b.n_msg, 0);
	ck_assert_int_lt(h.b.conn_err[0], 0); /* b saw the handshake fail too */
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 0);
	h_fini(&h);
}

static char vwhy[160];

/* "certificate verify failed (OpenSSL's words for e)" */
static const char *verify_failed(long e)
{
	snprintf(vwhy, sizeof(vwhy), "certificate verify failed (%s)",
		 X509_verify_cert_error_string(e));
	return vwhy;
}

START_TEST(test_verify_expired)
{
	check_server("expired", "127.0.0.1", "localhost", "ca.pem", -EKEYREJECTED,
		     verify_failed(X509_V_ERR_CERT_HAS_EXPIRED));
}
END_TEST

START_TEST(test_verify_selfsigned)
{
	check_server("selfsigned", "127.0.0.1", "localhost", "ca.pem", -EKEYREJECTED,
		     verify_failed(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT));
}
END_TEST

START_TEST(test_verify_untrusted)
{
	/* b sends its chain up to its CA (OpenSSL completes it from b's store). */
	check_server("server", "127.0.0.1", "localhost", "other-ca.pem", -EKEYREJECTED,
		     verify_failed(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN));
}
END_TEST

START_TEST(test_verify_wrong_name)
{
	check_server("wrongname", "127.0.0.1", "localhost", "ca.pem", -EKEYREJECTED,
		     "(hostname mismatch): the certificate does not name localhost");
	/* Its own name is fine. */
	check_server("wrongname", "127.0.0.1", "wrong.example", "ca.pem", 0, NULL);
	check_server("wrongname", "127.0.0.1", "WRONG.Example", "ca.pem", 0, NULL);
}
END_TEST

/* RFC 5922 §7.1: the CN counts only in a certificate without subjectAltName. */
START_TEST(test_verify_cn)
{
	check_server("cnonly", "127.0.0.1", "localhost", "ca.pem", 0, NULL);
	check_server("cnsan", "127.0.0.1", "localhost", "ca.pem", -EKEYREJECTED,
		     "the certificate does not name localhost");
	check_server("cnsan", "127.0.0.1", "elsewhere.example", "ca.pem", 0, NULL);
}
END_TEST

/* An IP target: the IP SAN, not a name. */
START_TEST(test_verify_ip)
{
	check_server("server", "127.0.0.1", "", "ca.pem", 0, NULL);
	check_server("server", "127.0.0.1", "127.0.0.1", "ca.pem", 0, NULL);
	check_server("wrongname", "127.0.0.1", "", "ca.pem", -EKEYREJECTED,
		     "(IP address mismatch): the certificate does not name 127.0.0.1");
	check_server("cnonly", "::1", "", "ca.pem", -EKEYREJECTED,
		     "the certificate does not name ::1");
}
END_TEST

/* verify_server = no: anything goes, and nothing is called verified. */
START_TEST(test_verify_off)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("selfsigned");
	struct tp_conn_info ci;
	struct sip_dest d;
	struct h h;

	h_init(&h, NULL);
	ca.verify_server = false;
	tls_set(&h.a, &ca);
	d = tls_dest(&(struct net_addr){0}, "wrong.example");
	d.addr = b_listen(&h, "127.0.0.1", &cb);
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	h.b.reply = RESP;
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ci = info(h.a.tp, d.conn);
	ck_assert(ci.secure && !ci.verified);
	ck_assert_str_eq(ci.subject, "CN=localhost,O=sipuad tests");
	ck_assert_uint_eq(h.a.st.tls_fail_verify, 0);
	h_fini(&h);
}
END_TEST

/* ---- clients' certificates ------------------------------------------ */

START_TEST(test_mutual)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("server");
	struct tp_conn_info ci;
	struct sip_dest d;
	struct h h;

	h_init(&h, NULL);
	cb.verify_client = TP_VERIFY_REQUIRE;
	tls_set(&h.a, &ca);
	d = tls_dest(&(struct net_addr){0}, "localhost");
	d.addr = b_listen(&h, "127.0.0.1", &cb);

	/* No certificate of ours: b refuses it (a, in TLS 1.3, learns it after its Finished). */
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	h.want.a_conn = 1;
	h.want.b_conn = 1;
	ck_assert(run(&h));
	ck_assert_int_eq(h.b.conn_err[0], -EKEYREJECTED);
	ck_why(h.b.tp, h.b.conn_id[0], "peer did not return a certificate");
	ck_assert_uint_eq(h.b.st.tls_fail_verify, 1);
	ck_assert_uint_eq(h.b.st.tls_handshakes, 0);
	ck_assert_int_lt(h.a.conn_err[0], 0);
	ck_assert_int_eq(h.b.n_msg, 0);

	/* With client.pem, trusted by b: accepted, and b knows whom it talks to. */
	ca = tls_cfg("client");
	tls_set(&h.a, &ca);
	d.conn = 0;
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	h.want.b_msg = 1;
	ck_assert(run(&h));
	ci = info(h.b.tp, h.b.msg[0].src.conn);
	ck_assert(ci.secure && ci.verified && !ci.outgoing);
	ck_assert_str_eq(ci.subject, SUBJ_CLIENT);
	ck_assert_uint_eq(h.b.st.tls_handshakes, 1);
	h_fini(&h);
}
END_TEST

/* optional: a client without a certificate is let in, not called verified. */
START_TEST(test_mutual_optional)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("server");
	struct sip_dest d;
	struct h h;

	h_init(&h, NULL);
	cb.verify_client = TP_VERIFY_OPTIONAL;
	tls_set(&h.a, &ca);
	d = tls_dest(&(struct net_addr){0}, "localhost");
	d.addr = b_listen(&h, "127.0.0.1", &cb);
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	h.want.b_msg = 1;
	ck_assert(run(&h));
	ck_assert(!info(h.b.tp, h.b.msg[0].src.conn).verified);
	ck_assert_str_eq(info(h.b.tp, h.b.msg[0].src.conn).subject, "");
	h_fini(&h);
}
END_TEST

/* ---- whom a certificate names (RFC 5922 §7) --------------------------- */

/* An unsigned certificate with that CN and subjectAltName (openssl's syntax). */
static X509 *mkcert(const char *cn, const char *san)
{
	X509 *x = X509_new();
	X509_EXTENSION *e;

	ck_assert_ptr_nonnull(x);
	if (cn)
		ck_assert(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
						     (const unsigned char *)cn, -1, -1, 0));
	if (san) {
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		ck_assert_ptr_nonnull(e);
		ck_assert(X509_add_ext(x, e, -1));
		X509_EXTENSION_free(e);
	}
	return x;
}

static bool names(const char *cn, const char *san, const char *host)
{
	struct net_addr a = addr("192.0.2.1", 5061);
	X509 *x = mkcert(cn, san);
	bool r = tp_tls_names(x, host, &a);

	X509_free(x);
	return r;
}

START_TEST(test_names)
{
	/* sip URIs: the host part, whole, any case; a port or parameters after it. */
	ck_assert(names(NULL, "URI:sip:example.com", "example.com"));
	ck_assert(names(NULL, "URI:sip:example.com", "EXAMPLE.com"));
	ck_assert(names(NULL, "URI:sip:example.com:5061;transport=tls", "example.com"));
	ck_assert(!names(NULL, "URI:sip:example.com", "sip.example.com"));
	ck_assert(!names(NULL, "URI:sip:sip.example.com", "example.com"));
	ck_assert(!names(NULL, "URI:sip:example.com", "example.co"));
	/* A sip URI present: dNSName entries are not identities. */
	ck_assert(!names(NULL, "URI:sip:example.com,DNS:proxy.example.com", "proxy.example.com"));
	/* A user's URI and other schemes are no domain identity: dNSName counts then. */
	ck_assert(!names(NULL, "URI:sip:alice@example.com", "example.com"));
	ck_assert(names(NULL, "URI:sip:alice@example.com,DNS:example.com", "example.com"));
	ck_assert(!names(NULL, "URI:sips:example.com", "example.com"));
	ck_assert(names(NULL, "URI:http://www.example.org/,DNS:example.com", "example.com"));
	/* No wildcards, no suffixes. */
	ck_assert(!names(NULL, "DNS:*.example.com", "foo.example.com"));
	ck_assert(!names(NULL, "DNS:.example.com", "foo.example.com"));
	ck_assert(!names(NULL, "DNS:example.com", "foo.example.com"));
	ck_assert(names(NULL, "DNS:*.example.com", "*.example.com"));
	/* The CN only without URI or dNSName entries. */
	ck_assert(names("example.com", NULL, "example.com"));
	ck_assert(names("example.com", "IP:192.0.2.9", "example.com"));
	ck_assert(!names("example.com", "DNS:other.example", "example.com"));
	ck_assert(!names("example.com", "URI:sips:example.com", "example.com"));
	ck_assert(!names("*.example.com", NULL, "foo.example.com"));
	ck_assert(!names(NULL, NULL, "example.com"));
	/* An address: iPAddress entries only, given as "" (the peer's) or a literal. */
	ck_assert(names(NULL, "IP:192.0.2.1", ""));
	ck_assert(names(NULL, "IP:192.0.2.1", "192.0.2.1"));
	ck_assert(!names(NULL, "IP:192.0.2.2", ""));
	ck_assert(!names(NULL, "DNS:192.0.2.1,URI:sip:192.0.2.1", ""));
	ck_assert(!names("192.0.2.1", NULL, ""));
	ck_assert(names(NULL, "IP:2001:db8::1", "[2001:db8::1]"));
}
END_TEST

/* ---- settings -------------------------------------------------------- */

/* A renewed certificate is seen by the next handshake; a bad one changes nothing. */
START_TEST(test_reload)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("server"), bad;
	struct sip_dest d1, d2;
	char why[256];
	struct h h;

	h_init(&h, NULL);
	tls_set(&h.a, &ca);
	d1 = tls_dest(&(struct net_addr){0}, "localhost");
	d1.addr = b_listen(&h, "127.0.0.1", &cb);
	ck_assert_int_eq(tp_send(h.a.tp, &d1, MSG1, strlen(MSG1)), 0);
	h.want.b_msg = 1;
	ck_assert(run(&h));
	ck_assert_str_eq(info(h.a.tp, d1.conn).subject, SUBJ_SERVER);

	cb = tls_cfg("server2");
	tls_set(&h.b, &cb);
	bad = tls_cfg("server2");
	bad.private_key = cert("client.key");
	ck_assert_int_eq(tp_tls_set(h.b.tp, &bad, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "client.key"));
	/* A new connection (toward the address: another key) meets server2. */
	d2 = tls_dest(&d1.addr, "");
	ck_assert_int_eq(tp_send(h.a.tp, &d2, MSG2, strlen(MSG2)), 0);
	ck_assert_uint_ne(d2.conn, d1.conn);
	/* The open one keeps what it had, and still works. */
	ck_assert_int_eq(tp_send(h.a.tp, &d1, MSG1, strlen(MSG1)), 0);
	h.want.b_msg = 3;
	ck_assert(run(&h));
	ck_assert_str_eq(info(h.a.tp, d2.conn).subject, SUBJ_SERVER2);
	ck_assert_str_eq(info(h.a.tp, d1.conn).subject, SUBJ_SERVER);
	ck_assert_int_eq(h.a.n_conn + h.b.n_conn, 0);
	h_fini(&h);
}
END_TEST

/* tp_tls_check(): each file's fault, named. */
static void check_bad(const struct tp_tls_cfg *c, int want, const char *part1, const char *part2)
{
	char why[256] = "";

	ck_assert_int_eq(tp_tls_check(c, why, sizeof(why)), want);
	ck_assert_msg(strstr(why, part1) && strstr(why, part2), "why \"%s\"", why);
}

START_TEST(test_files)
{
	struct tp_tls_cfg c = tls_cfg("server");
	char key[600], crt[600], why[256];
	int fd, k;
	ssize_t n;

	ck_assert_int_eq(tp_tls_check(&c, why, sizeof(why)), 0);
	/* The key readable by others: refused before it is read. */
	snprintf(key, sizeof(key), "%s/open.key", certdir);
	fd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	k = open(cert("server.key"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(k, 0);
	while ((n = read(k, why, sizeof(why))) > 0)
		ck_assert_int_eq(write(fd, why, (size_t)n), n);
	close(k);
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	close(fd);
	c.private_key = key;
	check_bad(&c, -EPERM, key, "readable by group or others (chmod 600 it)");
	ck_assert_int_eq(chmod(key, 0600), 0);
	ck_assert_int_eq(tp_tls_check(&c, why, sizeof(why)), 0);

	c.private_key = cert("client.key");
	check_bad(&c, -EINVAL, cert("client.key"), "key values mismatch");
	c.private_key = cert("missing.key");
	check_bad(&c, -ENOENT, cert("missing.key"), strerror(ENOENT));
	c = tls_cfg("server");
	snprintf(crt, sizeof(crt), "%s/missing.pem", certdir);
	c.certificate = crt;
	check_bad(&c, -ENOENT, crt, strerror(ENOENT));
	c = tls_cfg("server");
	c.certificate = cert("ca.key"); /* a key where a certificate belongs */
	check_bad(&c, -EINVAL, "ca.key", ":");
	c = tls_cfg("server");
	c.ca_file = cert("nothere.pem");
	check_bad(&c, -ENOENT, "nothere.pem", strerror(ENOENT));
	c = tls_cfg("server");
	c.ciphers = "NO-SUCH-CIPHER";
	check_bad(&c, -EINVAL, "ciphers", "no cipher match");
	c = tls_cfg("server");
	c.certificate = NULL;
	check_bad(&c, -EINVAL, "server.key", "without a certificate");
	/* No certificate at all: fine for a client. */
	c = tls_cfg(NULL);
	ck_assert_int_eq(tp_tls_check(&c, why, sizeof(why)), 0);
}
END_TEST

/* TLS before tp_tls_set(), and listening without a certificate. */
START_TEST(test_not_set)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), bad = tls_cfg("server");
	struct net_addr a = addr("127.0.0.1", 0);
	struct sip_dest d = tls_dest(&a, "localhost");
	char why[256];
	struct h h;

	h_init(&h, NULL);
	net_addr_set_port(&d.addr, 5061);
	ck_assert_int_eq(tp_listen(h.a.tp, NET_TLS, &a, NULL), -ENOPROTOOPT);
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), -EPROTONOSUPPORT);
	bad.ciphers = "NO-SUCH-CIPHER";
	ck_assert_int_eq(tp_tls_set(h.a.tp, &bad, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(tp_listen(h.a.tp, NET_TLS, &a, NULL), -ENOPROTOOPT);
	tls_set(&h.a, &ca);
	ck_assert_int_eq(tp_listen(h.a.tp, NET_TLS, &a, NULL), -ENOKEY);
	ck_assert_uint_eq(tp_listener_count(h.a.tp), 0);
	ck_assert_int_eq(tp_local(h.a.tp, NET_TLS, AF_INET, &a), -ENOENT);
	h_fini(&h);
}
END_TEST

/* tp_local(NET_TLS), and a listener keeps its certificate required. */
START_TEST(test_local)
{
	struct tp_tls_cfg none = tls_cfg(NULL), cb = tls_cfg("server");
	struct net_addr b_addr, loc;
	char why[256];
	struct h h;

	h_init(&h, NULL);
	b_addr = b_listen(&h, "127.0.0.1", &cb);
	ck_assert_int_eq(tp_local(h.b.tp, NET_TLS, AF_INET, &loc), 0);
	ck_assert(net_addr_eq(&loc, &b_addr));
	ck_assert_int_eq(tp_local(h.b.tp, NET_TCP, AF_INET, &loc), -ENOENT);
	ck_assert_int_eq(tp_tls_set(h.b.tp, &none, why, sizeof(why)), -ENOKEY);
	h_fini(&h);
}
END_TEST

static Suite *verify_suite(void)
{
	Suite *s = suite_create("tp_tls_verify");
	TCase *check = tcase_create("check"), *set = tcase_create("settings");

	/* Our own safety timers end a stuck run; this only backs them up. */
	tcase_set_timeout(check, 60);
	tcase_set_timeout(set, 30);
	tcase_add_test(check, test_verify_expired);
	tcase_add_test(check, test_verify_selfsigned);
	tcase_add_test(check, test_verify_untrusted);
	tcase_add_test(check, test_verify_wrong_name);
	tcase_add_test(check, test_verify_cn);
	tcase_add_test(check, test_verify_ip);
	tcase_add_test(check, test_verify_off);
	tcase_add_test(check, test_mutual);
	tcase_add_test(check, test_mutual_optional);
	tcase_add_test(check, test_names);
	tcase_add_test(set, test_reload);
	tcase_add_test(set, test_files);
	tcase_add_test(set, test_not_set);
	tcase_add_test(set, test_local);
	suite_add_tcase(s, check);
	suite_add_tcase(s, set);
	return s;
}

int main(void)
{
	return tls_main(verify_suite());
}
