/*
 * check_cred: answering 401/407 (src/ua/cred.c) on real messages: the
 * retried request (msg_build_retry: new branch, CSeq + 1, old credentials
 * gone), the strongest challenge per realm, both headers when a proxy and
 * a registrar challenge at once, the response value recomputed from the
 * header's own cnonce, wrong credentials detected (same realm again, not
 * stale), stale nonces answered, the bound on a chain, and the refusals
 * with their exact words.  The password never shows in the request.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "sip/auth.h"
#include "sip/msg.h"
#include "ua/cred.h"

#include "check_run.h"

#define PASSWORD "s3cret-pw"

static struct sip_msg *parse(const char *s)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, s, strlen(s), false), 0);
	return m;
}

static struct sip_msg *register_req(void)
{
	struct msg_req_spec spec = {
	    .method = "REGISTER",
	    .ruri = "sip:a.example",
	    .to = "sip:alice@a.example",
	    .from = "sip:alice@a.example",
	    .cseq = 1,
	    .via_proto = NET_UDP,
	    .contact = "sip:alice@192.0.2.1:5070",
	};
	struct sip_msg *m = NULL;

	ck_assert_int_eq(net_addr_from_host(&spec.via_addr, "192.0.2.1", 5070), 0);
	ck_assert_int_eq(msg_build_request(&m, &spec), 0);
	return m;
}

/* A response to req (same Via, From, To, Call-ID, CSeq) with extra header lines. */
static struct sip_msg *challenge(const struct sip_msg *req, int code, const char *hdrs)
{
	struct sip_msg *r = NULL;
	char *s = NULL, *t, *buf;
	size_t len;

	ck_assert_int_eq(msg_build_response(&r, req, code, NULL, "t1"), 0);
	ck_assert_int_eq(msg_to_str(r, &s, &len), 0);
	msg_free(r);
	/* Insert hdrs before the blank line. */
	t = strstr(s, "\r\n\r\n");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_ge(asprintf(&buf, "%.*s\r\n%s\r\n\r\n", (int)(t - s), s, hdrs), 0);
	free(s);
	r = parse(buf);
	free(buf);
	return r;
}

static char *text(struct sip_msg *m)
{
	char *s = NULL;
	size_t len;

	ck_assert_int_eq(msg_to_str(m, &s, &len), 0);
	return s;
}

/* The value of param (quoted or not) in the first line of s starting with hdr. */
static void param_of(const char *s, const char *hdr, const char *param, char *out, size_t size)
{
	const char *h = strstr(s, hdr), *p, *e;
	char key[64];

	ck_assert_ptr_nonnull(h);
	e = strstr(h, "\r\n");
	snprintf(key, sizeof(key), " %s=", param);
	p = strstr(h, key);
	ck_assert_ptr_nonnull(p);
	ck_assert(p < e);
	p += strlen(key);
	if (*p == '"') {
		p++;
		snprintf(out, size, "%.*s", (int)strcspn(p, "\""), p);
	} else {
		snprintf(out, size, "%.*s", (int)strcspn(p, ",\r"), p);
	}
}

static struct cred *alice(void)
{
	struct cred *c = NULL;

	ck_assert_int_eq(cred_new(&c, "alice", PASSWORD), 0);
	return c;
}

START_TEST(retry_answers_strongest)
{
	struct sip_msg *req = register_req(), *resp, *retry = NULL;
	struct cred_chain ch = {0};
	struct msg_challenge mc;
	struct cred *c = alice();
	struct auth_input in = {.username = "alice", .password = PASSWORD, .method = "REGISTER",
				.uri = "sip:a.example", .nc = 1};
	char cnonce[64], resp_hex[AUTH_HEX_LEN], sent[AUTH_HEX_LEN], *s;
	struct why why;

	resp = challenge(req, 401,
			 "WWW-Authenticate: Digest realm=\"a.example\", nonce=\"n-md5\", "
			 "algorithm=MD5, qop=\"auth\"\r\n"
			 "WWW-Authenticate: Digest realm=\"a.example\", nonce=\"n-256\", "
			 "algorithm=SHA-256, qop=\"auth\", opaque=\"op\"");
	ck_assert_int_eq(msg_build_retry(&retry, req, req->cseq + 1), 0);
	ck_assert_int_eq(cred_authorize(c, &ch, resp, retry, &why), 0);
	ck_assert_uint_eq(ch.tries, 1);
	ck_assert_uint_eq(retry->cseq, 2);
	ck_assert_str_eq(retry->method, "REGISTER");
	ck_assert_str_eq(retry->call_id, req->call_id);
	ck_assert_str_eq(retry->from_tag, req->from_tag);
	ck_assert_str_ne(retry->branch, req->branch);
	ck_assert_int_eq(strncmp(retry->branch, "z9hG4bK", 7), 0);
	s = text(retry);
	ck_assert_ptr_null(strstr(s, PASSWORD));
	ck_assert_ptr_nonnull(strstr(s, "CSeq: 2 REGISTER\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "Authorization: Digest username=\"alice\""));
	ck_assert_ptr_null(strstr(s, "Proxy-Authorization"));
	param_of(s, "Authorization:", "algorithm", sent, sizeof(sent));
	ck_assert_str_eq(sent, "SHA-256");
	param_of(s, "Authorization:", "nonce", sent, sizeof(sent));
	ck_assert_str_eq(sent, "n-256");
	param_of(s, "Authorization:", "nc", sent, sizeof(sent));
	ck_assert_str_eq(sent, "00000001");
	param_of(s, "Authorization:", "opaque", sent, sizeof(sent));
	ck_assert_str_eq(sent, "op");
	/* The response is what RFC 7616 gives for the header's own cnonce. */
	param_of(s, "Authorization:", "cnonce", cnonce, sizeof(cnonce));
	param_of(s, "Authorization:", "response", sent, sizeof(sent));
	memset(&mc, 0, sizeof(mc));
	strcpy(mc.scheme, "Digest");
	strcpy(mc.realm, "a.example");
	strcpy(mc.nonce, "n-256");
	strcpy(mc.algorithm, "SHA-256");
	strcpy(mc.qop, "auth");
	in.cnonce = cnonce;
	ck_assert_int_eq(auth_response(&mc, &in, resp_hex), 0);
	ck_assert_str_eq(sent, resp_hex);
	free(s);
	msg_free(resp);
	msg_free(retry);
	msg_free(req);
	cred_free(c);
}
END_TEST

START_TEST(wrong_password_detected)
{
	struct sip_msg *req = register_req(), *resp, *retry = NULL, *again = NULL;
	struct cred_chain ch = {0};
	struct cred *c = alice();
	struct why why;

	resp = challenge(req, 401, "WWW-Authenticate: Digest realm=\"a.example\", nonce=\"n1\"");
	ck_assert_int_eq(msg_build_retry(&retry, req, 2), 0);
	ck_assert_int_eq(cred_authorize(c, &ch, resp, retry, &why), 0);
	msg_free(resp);
	/* The retry is challenged again by the same realm with a fresh nonce, not stale. */
	resp = challenge(retry, 401, "WWW-Authenticate: Digest realm=\"a.example\", nonce=\"n2\"");
	ck_assert_int_eq(msg_build_retry(&again, retry, 3), 0);
	ck_assert_int_eq(cred_authorize(c, &ch, resp, again, &why), -EACCES);
	ck_assert_str_eq(why.msg, "wrong credentials: realm \"a.example\" refused user \"alice\"");
	ck_assert_ptr_null(strstr(why.msg, PASSWORD));
	msg_free(resp);
	msg_free(again);
	msg_free(retry);
	msg_free(req);
	cred_free(c);
}
END_TEST

START_TEST(stale_answered_nc_counts)
{
	struct sip_msg *req = register_req(), *resp, *r1 = NULL, *r2 = NULL;
	struct cred_chain ch = {0}, ch2 = {0};
	struct cred *c = alice();
	char v[32], *s;

	resp = challenge(req, 407,
			 "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n1\", qop=\"auth\"");
	ck_assert_int_eq(msg_build_retry(&r1, req, 2), 0);
	ck_assert_int_eq(cred_authorize(c, &ch, resp, r1, NULL), 0);
	msg_free(resp);
	resp = challenge(r1, 407,
			 "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n2\", qop=\"auth\", "
			 "stale=true");
	ck_assert_int_eq(msg_build_retry(&r2, r1, 3), 0);
	ck_assert_int_eq(cred_authorize(c, &ch, resp, r2, NULL), 0);
	s = text(r2);
	ck_assert_ptr_nonnull(strstr(s, "Proxy-Authorization: Digest username=\"alice\""));
	ck_assert_ptr_null(strstr(s, "\r\nAuthorization:"));
	/* One Proxy-Authorization only: the first answer was dropped from the copy. */
	ck_assert_ptr_null(strstr(strstr(s, "Proxy-Authorization:") + 1, "Proxy-Authorization:"));
	param_of(s, "Proxy-Authorization:", "nonce", v, sizeof(v));
	ck_assert_str_eq(v, "n2");
	param_of(s, "Proxy-Authorization:", "nc", v, sizeof(v));
	ck_assert_str_eq(v, "00000001");
	free(s);
	msg_free(r1);
	/* The same nonce answered again (another chain) counts up. */
	ck_assert_int_eq(msg_build_retry(&r1, req, 4), 0);
	ck_assert_int_eq(cred_authorize(c, &ch2, resp, r1, NULL), 0);
	s = text(r1);
	param_of(s, "Proxy-Authorization:", "nc", v, sizeof(v));
	ck_assert_str_eq(v, "00000002");
	free(s);
	msg_free(resp);
	msg_free(r1);
	msg_free(r2);
	msg_free(req);
	cred_free(c);
}
END_TEST

START_TEST(proxy_and_registrar_at_once)
{
	struct sip_msg *req = register_req(), *resp, *retry = NULL;
	struct cred_chain ch = {0};
	struct cred *c = alice();
	char *s;

	resp = challenge(req, 407,
			 "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"pn\"\r\n"
			 "WWW-Authenticate: Digest realm=\"reg\", nonce=\"rn\", algorithm=SHA-512-256, "
			 "qop=\"auth\"");
	ck_assert_int_eq(msg_build_retry(&retry, req, 2), 0);
	ck_assert_int_eq(cred_authorize(c, &ch, resp, retry, NULL), 0);
	ck_assert_uint_eq(ch.n, 2);
	s = text(retry);
	ck_assert_ptr_nonnull(strstr(s, "\r\nAuthorization: Digest username=\"alice\", "
					"realm=\"reg\""));
	ck_assert_ptr_nonnull(strstr(s, "\r\nProxy-Authorization: Digest username=\"alice\", "
					"realm=\"proxy\""));
	ck_assert_ptr_nonnull(strstr(s, "algorithm=SHA-512-256"));
	free(s);
	msg_free(resp);
	msg_free(retry);
	msg_free(req);
	cred_free(c);
}
END_TEST

START_TEST(refusals)
{
	static const struct {
		const char *hdr;
		int err;
		const char *why;
	} cases[] = {
	    {"WWW-Authenticate: Digest realm=\"a\", nonce=\"n\", algorithm=SHA-1", -ENOTSUP,
	     "WWW-Authenticate of realm \"a\": algorithm 'SHA-1' is not supported (MD5, SHA-256, "
	     "SHA-512-256 and their -sess forms are)"},
	    {"WWW-Authenticate: Digest realm=\"a\"", -ENOTSUP,
	     "WWW-Authenticate of realm \"a\" has no nonce"},
	    {"WWW-Authenticate: Digest realm=\"a\", nonce=\"n\", qop=\"auth-int\"", -ENOTSUP,
	     "WWW-Authenticate of realm \"a\" offers qop \"auth-int\" (only auth is supported)"},
	    {"WWW-Authenticate: Basic realm=\"a\"", -ENOTSUP,
	     "WWW-Authenticate scheme 'Basic' is not supported (only Digest)"},
	    {"WWW-Authenticate: Digest realm=\"a\\\"b\", nonce=\"n\"", -EINVAL,
	     "the challenge of realm \"a\\\"b\" holds a value that cannot be echoed (a quote, "
	     "backslash or control character)"},
	    {"WWW-Authenticate: Digest realm=\"a\", nonce=\"n\", algorithm=MD5-sess", -ENOTSUP,
	     "WWW-Authenticate of realm \"a\": algorithm 'MD5-sess' needs qop=auth, which it "
	     "does not offer"},
	    {"Server: x", -ENOTSUP, "401 without a challenge we can read"},
	};
	struct sip_msg *req = register_req();
	struct cred *c = alice();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sip_msg *resp = challenge(req, 401, cases[i].hdr), *retry = NULL;
		struct cred_chain ch = {0};
		struct why why;
		char *s;

		ck_assert_int_eq(msg_build_retry(&retry, req, 2), 0);
		ck_assert_msg(cred_authorize(c, &ch, resp, retry, &why) == cases[i].err,
			      "case %zu", i);
		ck_assert_str_eq(why.msg, cases[i].why);
		ck_assert_uint_eq(ch.tries, 0);
		s = text(retry);
		ck_assert_ptr_null(strstr(s, "Authorization"));
		free(s);
		msg_free(retry);
		msg_free(resp);
	}
	msg_free(req);
	cred_free(c);
}
END_TEST

START_TEST(no_password_and_loop_bound)
{
	struct sip_msg *req = register_req(), *resp, *retry = NULL;
	struct cred_chain ch = {0};
	struct cred *c = alice();
	struct why why;
	unsigned i;

	resp = challenge(req, 401, "WWW-Authenticate: Digest realm=\"a\", nonce=\"n\", stale=true");
	ck_assert_int_eq(msg_build_retry(&retry, req, 2), 0);
	ck_assert_int_eq(cred_authorize(NULL, &ch, resp, retry, &why), -ENOKEY);
	ck_assert_str_eq(why.msg, "realm \"a\" asks for credentials and the account has no password");
	msg_free(retry);
	/* A server that always says stale is answered CRED_MAX_TRIES times, then refused. */
	for (i = 0; i < CRED_MAX_TRIES; i++) {
		ck_assert_int_eq(msg_build_retry(&retry, req, 2 + i), 0);
		ck_assert_int_eq(cred_authorize(c, &ch, resp, retry, NULL), 0);
		msg_free(retry);
	}
	ck_assert_int_eq(msg_build_retry(&retry, req, 9), 0);
	ck_assert_int_eq(cred_authorize(c, &ch, resp, retry, &why), -ELOOP);
	ck_assert_str_eq(why.msg, "challenged 5 times in a row; giving up");
	msg_free(retry);
	msg_free(resp);
	msg_free(req);
	cred_free(c);
}
END_TEST

START_TEST(retry_refusals)
{
	struct sip_msg *req = register_req(), *m = NULL;

	ck_assert_int_eq(cred_new(&(struct cred *){NULL}, "", "x"), -EINVAL);
	ck_assert_int_eq(cred_new(&(struct cred *){NULL}, "a", NULL), -EINVAL);
	ck_assert_int_eq(msg_build_retry(&m, req, 0x80000000u), -EINVAL);
	msg_free(req);
	req = parse("ACK sip:b@192.0.2.2 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n"
		    "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\n"
		    "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	ck_assert_int_eq(msg_build_retry(&m, req, 2), -EINVAL);
	msg_free(req);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cred");
	TCase *tc = tcase_create("cred");

	msg_lib_init();
	tcase_add_test(tc, retry_answers_strongest);
	tcase_add_test(tc, wrong_password_detected);
	tcase_add_test(tc, stale_answered_nc_counts);
	tcase_add_test(tc, proxy_and_registrar_at_once);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, no_password_and_loop_bound);
	tcase_add_test(tc, retry_refusals);
	suite_add_tcase(s, tc);
	return check_run(s);
}
