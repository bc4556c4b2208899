/*
 * check_auth: the digest computation of src/sip/auth.c against the
 * RFC 7616 §3.9.1 and RFC 2617 §3.5 examples, challenge choice, the
 * credentials text and its refusals, the nonce count; and
 * msg_challenges() on real 401/407 text.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/auth.h"
#include "sip/msg.h"

#include "check_run.h"

/* RFC 7616 §3.9.1. */
#define RFC_REALM "http-auth@example.org"
#define RFC_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RFC_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

static struct msg_challenge rfc_challenge(const char *algorithm, const char *qop)
{
	struct msg_challenge c = {.proxy = false};

	strcpy(c.scheme, "Digest");
	strcpy(c.realm, RFC_REALM);
	strcpy(c.nonce, RFC_NONCE);
	strcpy(c.opaque, RFC_OPAQUE);
	strcpy(c.algorithm, algorithm);
	strcpy(c.qop, qop);
	return c;
}

static const struct auth_input rfc_in = {
    .username = "Mufasa",
    .password = "Circle of Life",
    .method = "GET",
    .uri = "/dir/index.html",
    .cnonce = RFC_CNONCE,
    .nc = 1,
};

static const char *response_of(const struct msg_challenge *c, const struct auth_input *in)
{
	static char hex[AUTH_HEX_LEN];

	ck_assert_int_eq(auth_response(c, in, hex), 0);
	return hex;
}

START_TEST(rfc7616_md5)
{
	struct msg_challenge c = rfc_challenge("MD5", "auth, auth-int");

	ck_assert_str_eq(response_of(&c, &rfc_in), "8ca523f5e9506fed4657c9700eebdbec");
}
END_TEST

START_TEST(rfc7616_sha256)
{
	struct msg_challenge c = rfc_challenge("SHA-256", "auth, auth-int");

	ck_assert_str_eq(response_of(&c, &rfc_in),
			 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}
END_TEST

START_TEST(sha512_256)
{
	struct msg_challenge c = rfc_challenge("SHA-512-256", "auth");

	/*
	 * The RFC has no SHA-512-256 example.  Computed once with python3:
	 *   H = lambda s: hashlib.new('sha512_256', s.encode()).hexdigest()
	 *   H(H('Mufasa:http-auth@example.org:Circle of Life') + ':' + nonce +
	 *     ':00000001:' + cnonce + ':auth:' + H('GET:/dir/index.html'))
	 * with the nonce and cnonce of RFC 7616 §3.9.1.
	 */
	ck_assert_str_eq(response_of(&c, &rfc_in),
			 "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0");
}
END_TEST

START_TEST(rfc2617_example)
{
	/* RFC 2617 §3.5: qop=auth, MD5 (algorithm absent), lower-case "Of". */
	struct msg_challenge c = rfc_challenge("", "auth,auth-int");
	struct auth_input in = rfc_in;

	strcpy(c.realm, "testrealm@host.com");
	strcpy(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
	in.password = "Circle Of Life";
	in.cnonce = "0a4f113b";
	ck_assert_str_eq(response_of(&c, &in), "6629fae49393a05397450978507c4ef1");
}
END_TEST

START_TEST(no_qop_form)
{
	/*
	 * RFC 2617 §3.2.2.1 without qop: H(HA1:nonce:HA2); cnonce and nc are
	 * not used.  Expected values from python3 hashlib (md5, sha256) over
	 * the RFC 7616 §3.9.1 inputs.
	 */
	struct msg_challenge c = rfc_challenge("MD5", "");
	struct auth_input in = rfc_in;
	char v[512];

	in.cnonce = NULL;
	in.nc = 0;
	ck_assert_str_eq(response_of(&c, &in), "7b2cc3b30e75b4777ea31027084363fd");
	strcpy(c.algorithm, "SHA-256");
	ck_assert_str_eq(response_of(&c, &in),
			 "a1306b0595a6c7fe96c448631fb5cfbd5107bd1fe1da729d978dd7446b812363");
	ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), 0);
	ck_assert_str_eq(
	    v,
	    "Digest username=\"Mufasa\", realm=\"" RFC_REALM "\", nonce=\"" RFC_NONCE
	    "\", uri=\"/dir/index.html\", response=\"a1306b0595a6c7fe96c448631fb5"
	    "cfbd5107bd1fe1da729d978dd7446b812363\", algorithm=SHA-256, opaque=\"" RFC_OPAQUE "\"");
	/* A -sess algorithm needs the cnonce, which the no-qop form lacks. */
	strcpy(c.algorithm, "MD5-sess");
	ck_assert_int_eq(auth_rank(&c), 0);
	ck_assert_int_eq(auth_response(&c, &in, v), -ENOTSUP);
}
END_TEST

START_TEST(sess_variants)
{
	/*
	 * RFC 7616 §3.4.2: HA1 = H(H(user:realm:pass):nonce:cnonce).  Expected
	 * values from python3 hashlib over the §3.9.1 inputs with nc 0000001a.
	 */
	struct msg_challenge c = rfc_challenge("MD5-sess", "auth");
	struct auth_input in = rfc_in;

	in.nc = 0x1a;
	ck_assert_str_eq(response_of(&c, &in), "dcda46f8f673b5e61437e6f5f3b69d43");
	strcpy(c.algorithm, "sha-256-SESS");
	ck_assert_str_eq(response_of(&c, &in),
			 "e1cbdcf64ca22975c3b651f276f1b6ecb84eb0baf77faa228889c48763f6ea17");
}
END_TEST

START_TEST(header_value_rfc)
{
	struct msg_challenge c = rfc_challenge("SHA-256", "auth, auth-int");
	char v[512];

	ck_assert_int_eq(auth_header_value(&c, &rfc_in, v, sizeof(v)), 0);
	ck_assert_str_eq(
	    v, "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	       "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", uri=\"/dir/index.html\", "
	       "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
	       "algorithm=SHA-256, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", "
	       "qop=auth, nc=00000001, opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
	/* Absent algorithm: MD5, and said so; no opaque, no opaque=. */
	c = rfc_challenge("", "auth");
	c.opaque[0] = '\0';
	ck_assert_int_eq(auth_header_value(&c, &rfc_in, v, sizeof(v)), 0);
	ck_assert_ptr_nonnull(
	    strstr(v, "response=\"8ca523f5e9506fed4657c9700eebdbec\", algorithm=MD5, "));
	ck_assert_ptr_null(strstr(v, "opaque"));
}
END_TEST

START_TEST(nc_format_and_count)
{
	struct msg_challenge c = rfc_challenge("MD5", "auth");
	struct auth_input in = rfc_in;
	struct auth_nc s;
	char v[512];

	in.nc = 0x1a;
	ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(v, ", nc=0000001a"));
	in.nc = 0xdeadbeef;
	ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(v, ", nc=deadbeef"));

	memset(&s, 0, sizeof(s));
	ck_assert_uint_eq(auth_nc_next(&s, "n1"), 1);
	ck_assert_uint_eq(auth_nc_next(&s, "n1"), 2);
	ck_assert_uint_eq(auth_nc_next(&s, "n1"), 3);
	ck_assert_uint_eq(auth_nc_next(&s, "n2"), 1);
	ck_assert_uint_eq(auth_nc_next(&s, "n2"), 2);
	ck_assert_uint_eq(auth_nc_next(&s, "n1"), 1);
	s.nc = UINT32_MAX;
	ck_assert_uint_eq(auth_nc_next(&s, "n1"), UINT32_MAX);
}
END_TEST

START_TEST(cnonce_made_when_absent)
{
	struct msg_challenge c = rfc_challenge("SHA-256", "auth");
	struct auth_input in = rfc_in;
	char v1[512], v2[512], a[AUTH_CNONCE_LEN], b[AUTH_CNONCE_LEN], hex[AUTH_HEX_LEN];
	const char *p;

	auth_cnonce(a);
	auth_cnonce(b);
	ck_assert_uint_eq(strlen(a), AUTH_CNONCE_LEN - 1);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), AUTH_CNONCE_LEN - 1);
	ck_assert_str_ne(a, b);

	in.cnonce = NULL;
	ck_assert_int_eq(auth_header_value(&c, &in, v1, sizeof(v1)), 0);
	ck_assert_int_eq(auth_header_value(&c, &in, v2, sizeof(v2)), 0);
	p = strstr(v1, "cnonce=\"");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(strspn(p + 8, "0123456789abcdef"), AUTH_CNONCE_LEN - 1);
	ck_assert_int_eq(p[8 + AUTH_CNONCE_LEN - 1], '"');
	/* Another cnonce, so another response. */
	ck_assert_str_ne(v1, v2);
	/* auth_response() itself never invents one. */
	ck_assert_int_eq(auth_response(&c, &in, hex), -EINVAL);
}
END_TEST

START_TEST(pick_strongest)
{
	struct msg_challenge c[6];

	c[0] = rfc_challenge("MD5", "auth");
	c[1] = rfc_challenge("SHA-256", "auth");
	c[2] = rfc_challenge("SHA-512-256", "auth-int"); /* auth-int only: skipped */
	c[3] = rfc_challenge("SHA3-256", "auth");	 /* unknown: skipped */
	c[4] = rfc_challenge("SHA-256", "auth");	 /* a tie: the first wins */
	c[5] = rfc_challenge("SHA-512-256", "auth");
	strcpy(c[5].scheme, "Basic"); /* not Digest: skipped */
	ck_assert_int_eq(auth_pick(c, 6), 1);
	ck_assert_int_eq(auth_pick(c, 1), 0);
	strcpy(c[5].scheme, "digest");
	ck_assert_int_eq(auth_pick(c, 6), 5);
	ck_assert_int_eq(auth_pick(&c[2], 2), -ENOTSUP);
	ck_assert_int_eq(auth_pick(c, 0), -ENOTSUP);
	/* qop list parsing: "auth" must be a whole token. */
	c[0] = rfc_challenge("MD5", "auth-int,authx");
	ck_assert_int_eq(auth_rank(&c[0]), 0);
	c[0] = rfc_challenge("MD5", "auth-int, AUTH");
	ck_assert_int_eq(auth_rank(&c[0]), 1);
	/* No nonce, nothing to answer. */
	c[0].nonce[0] = '\0';
	ck_assert_int_eq(auth_rank(&c[0]), 0);
	/* Unknown algorithm: auth_response refuses too. */
	ck_assert_int_eq(auth_header_value(&c[3], &rfc_in, (char[64]){0}, 64), -ENOTSUP);
}
END_TEST

START_TEST(refusals)
{
	static const char *bad[] = {"a\"b",
				    "a\\b",
				    "a\rb",
				    "a\nb",
				    "a\tb",
				    "a\x7f"
				    "b"};
	struct msg_challenge c = rfc_challenge("MD5", "auth");
	struct auth_input in;
	char v[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in = rfc_in;
		in.username = bad[i];
		ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), -EINVAL);
		in = rfc_in;
		in.uri = bad[i];
		ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), -EINVAL);
		in = rfc_in;
		in.cnonce = bad[i];
		ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), -EINVAL);
		c = rfc_challenge("MD5", "auth");
		strcpy(c.realm, bad[i]);
		ck_assert_int_eq(auth_header_value(&c, &rfc_in, v, sizeof(v)), -EINVAL);
		c = rfc_challenge("MD5", "auth");
		strcpy(c.nonce, bad[i]);
		ck_assert_int_eq(auth_header_value(&c, &rfc_in, v, sizeof(v)), -EINVAL);
		c = rfc_challenge("MD5", "auth");
		strcpy(c.opaque, bad[i]);
		ck_assert_int_eq(auth_header_value(&c, &rfc_in, v, sizeof(v)), -EINVAL);
		c = rfc_challenge("MD5", "auth");
	}
	/* The password is hashed, never quoted: any byte is fine. */
	in = rfc_in;
	in.password = "p\"\\w";
	ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), 0);
	/* Missing inputs. */
	in = rfc_in;
	in.password = NULL;
	ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), -EINVAL);
	in = rfc_in;
	in.username = NULL;
	ck_assert_int_eq(auth_header_value(&c, &in, v, sizeof(v)), -EINVAL);
	/* Too small: -ENOSPC and an empty string, never a cut header. */
	ck_assert_int_eq(auth_header_value(&c, &rfc_in, v, 100), -ENOSPC);
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(auth_header_value(&c, &rfc_in, v, 250), -ENOSPC);
	ck_assert_str_eq(v, "");
}
END_TEST

/* ---- msg_challenges() on real responses ---- */

#define R_HDRS                                                                                     \
	"Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKabc\r\n"                                    \
	"From: <sip:alice@a.example>;tag=f1\r\nTo: <sip:alice@a.example>;tag=t9\r\n"               \
	"Call-ID: c1@host\r\nCSeq: 1 REGISTER\r\n"

static struct sip_msg *parse(const char *s)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, s, strlen(s), false), 0);
	return m;
}

START_TEST(challenges_401)
{
	const char *s = "SIP/2.0 401 Unauthorized\r\n" R_HDRS
			"WWW-Authenticate: Digest realm=\"a.example\", nonce=\"n-md5\", "
			"algorithm=MD5, qop=\"auth\"\r\n"
			"WWW-Authenticate: Digest realm=\"a.example\", nonce=\"n-256\", "
			"algorithm=\"SHA-256\", qop=\"auth,auth-int\", opaque=\"op1\"\r\n"
			"WWW-Authenticate: Digest realm=\"a.example\", nonce=\"n-old\"\r\n"
			"Content-Length: 0\r\n\r\n";
	struct sip_msg *m = parse(s);
	struct msg_challenge c[4];
	char v[512];

	ck_assert_uint_eq(msg_challenges(m, c, 4), 3);
	ck_assert(!c[0].proxy);
	ck_assert_str_eq(c[0].scheme, "Digest");
	ck_assert_str_eq(c[0].realm, "a.example");
	ck_assert_str_eq(c[0].nonce, "n-md5");
	ck_assert_str_eq(c[0].algorithm, "MD5");
	ck_assert_str_eq(c[0].qop, "auth");
	ck_assert_str_eq(c[0].opaque, "");
	ck_assert(!c[0].stale);
	ck_assert_str_eq(c[1].algorithm, "SHA-256");
	ck_assert_str_eq(c[1].qop, "auth,auth-int");
	ck_assert_str_eq(c[1].opaque, "op1");
	ck_assert_str_eq(c[2].nonce, "n-old");
	ck_assert_str_eq(c[2].algorithm, "");
	ck_assert_str_eq(c[2].qop, "");
	ck_assert_int_eq(auth_pick(c, 3), 1);
	ck_assert_int_eq(auth_header_value(&c[1],
					   &(struct auth_input){.username = "alice",
								.password = "pw",
								.method = "REGISTER",
								.uri = "sip:a.example",
								.cnonce = "cn",
								.nc = 1},
					   v, sizeof(v)),
			 0);
	ck_assert_ptr_nonnull(strstr(v, "Digest username=\"alice\", realm=\"a.example\", "
					"nonce=\"n-256\", uri=\"sip:a.example\", response=\""));
	ck_assert_ptr_nonnull(strstr(v, "\", algorithm=SHA-256, cnonce=\"cn\", qop=auth, "
					"nc=00000001, opaque=\"op1\""));
	/* max bounds what is stored. */
	ck_assert_uint_eq(msg_challenges(m, c, 2), 2);
	ck_assert_str_eq(c[1].nonce, "n-256");
	ck_assert_uint_eq(msg_challenges(m, c, 0), 0);
	msg_free(m);
}
END_TEST

START_TEST(challenges_407_stale)
{
	const char *s = "SIP/2.0 407 Proxy Authentication Required\r\n" R_HDRS
			"Proxy-Authenticate: Digest realm=\"proxy.example\", nonce=\"pn2\", "
			"stale=TRUE, algorithm=SHA-512-256, qop=\"auth\"\r\n"
			"Content-Length: 0\r\n\r\n";
	struct sip_msg *m = parse(s);
	struct msg_challenge c[2];

	ck_assert_uint_eq(msg_challenges(m, c, 2), 1);
	ck_assert(c[0].proxy);
	ck_assert(c[0].stale);
	ck_assert_str_eq(c[0].realm, "proxy.example");
	ck_assert_str_eq(c[0].nonce, "pn2");
	ck_assert_str_eq(c[0].algorithm, "SHA-512-256");
	ck_assert_int_eq(auth_rank(&c[0]), 3);
	msg_free(m);
}
END_TEST

START_TEST(challenges_rfc7616_text)
{
	/*
	 * The two challenges of RFC 7616 §3.9.1 as a server sends them (plus
	 * userhash and charset, which we do not use but must not choke on),
	 * answered end to end: SHA-256 is picked and gives the RFC's response.
	 * A realm with an escaped quote is kept as sent and then refused.
	 */
	const char *s = "SIP/2.0 401 Unauthorized\r\n" R_HDRS
			"WWW-Authenticate: Digest realm=\"http-auth@example.org\", "
			"qop=\"auth, auth-int\", algorithm=MD5, nonce=\"" RFC_NONCE "\", "
			"opaque=\"" RFC_OPAQUE "\"\r\n"
			"WWW-Authenticate: Digest realm=\"http-auth@example.org\", "
			"qop=\"auth, auth-int\", algorithm=SHA-256, nonce=\"" RFC_NONCE "\", "
			"opaque=\"" RFC_OPAQUE "\", userhash=false, charset=UTF-8\r\n"
			"WWW-Authenticate: Digest realm=\"a\\\"b\", nonce=\"x\"\r\n"
			"Content-Length: 0\r\n\r\n";
	struct sip_msg *m = parse(s);
	struct msg_challenge c[3];
	char v[512];

	ck_assert_uint_eq(msg_challenges(m, c, 3), 3);
	ck_assert_int_eq(auth_pick(c, 3), 1);
	ck_assert_str_eq(c[1].qop, "auth, auth-int");
	ck_assert_int_eq(auth_header_value(&c[1], &rfc_in, v, sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(
	    v, "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
	ck_assert_int_eq(auth_header_value(&c[0], &rfc_in, v, sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(v, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
	ck_assert_str_eq(c[2].realm, "a\\\"b");
	ck_assert_int_eq(auth_header_value(&c[2], &rfc_in, v, sizeof(v)), -EINVAL);
	msg_free(m);
}
END_TEST

START_TEST(challenges_none_and_overlong)
{
	char nonce[300], s[1024];
	struct sip_msg *m;
	struct msg_challenge c[2];

	m = parse("SIP/2.0 200 OK\r\n" R_HDRS "Content-Length: 0\r\n\r\n");
	ck_assert_uint_eq(msg_challenges(m, c, 2), 0);
	msg_free(m);

	/* A nonce longer than the field: that challenge is skipped, not cut. */
	memset(nonce, 'x', sizeof(nonce) - 1);
	nonce[sizeof(nonce) - 1] = '\0';
	snprintf(s, sizeof(s),
		 "SIP/2.0 401 Unauthorized\r\n" R_HDRS
		 "WWW-Authenticate: Digest realm=\"a\", nonce=\"%s\", qop=\"auth\"\r\n"
		 "WWW-Authenticate: Digest realm=\"a\", nonce=\"short\", qop=\"auth\"\r\n"
		 "Content-Length: 0\r\n\r\n",
		 nonce);
	m = parse(s);
	ck_assert_uint_eq(msg_challenges(m, c, 2), 1);
	ck_assert_str_eq(c[0].nonce, "short");
	msg_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");

	msg_lib_init();
	tcase_add_test(tc, rfc7616_md5);
	tcase_add_test(tc, rfc7616_sha256);
	tcase_add_test(tc, sha512_256);
	tcase_add_test(tc, rfc2617_example);
	tcase_add_test(tc, no_qop_form);
	tcase_add_test(tc, sess_variants);
	tcase_add_test(tc, header_value_rfc);
	tcase_add_test(tc, nc_format_and_count);
	tcase_add_test(tc, cnonce_made_when_absent);
	tcase_add_test(tc, pick_strongest);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, challenges_401);
	tcase_add_test(tc, challenges_407_stale);
	tcase_add_test(tc, challenges_rfc7616_text);
	tcase_add_test(tc, challenges_none_and_overlong);
	suite_add_tcase(s, tc);
	return check_run(s);
}
