/*
 * check_ua: the UA core's front door (src/ua/ua.c), RFC 3261 §8.2: the
 * answers a UAS gives before any method runs, with their exact status
 * line and extra header.
 *
 *   §8.2.1   unknown method 501 + Allow, known but not served 405 + Allow
 *   §8.2.2.1 Request-URI scheme other than sip/sips/tel    416
 *   §8.2.2.2 merged request (no To tag, same From tag, Call-ID, CSeq)  482
 *   §8.2.2.3 an unknown Require option tag     420 + Unsupported
 *   §8.2.3   a body type we do not take        415 + Accept, unless its
 *            Content-Disposition says handling=optional (§20.11)
 *
 * 416 holds also for URIs libosip2 cannot parse (msg_scan.c keeps the scheme
 * as sent).
 *   §9.2     CANCEL that matches no transaction  481
 *
 * Wire text is parsed and checked as the receive pipeline does
 * (msg_parse, msg_check_request, msg_stamp_via) and fed to a real
 * transaction layer on the fake clock whose user is the UA; the layer's
 * send callback records every buffer, which the tests read back.  No call
 * table is attached (INVITE then gets 501), so only ua.c answers.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/stats.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/sip.h"
#include "sip/tsx.h"
#include "ua/ua.h"

#include "check_run.h"

#define MAX_SENT 16
#define UA_ALLOW "OPTIONS, ACK, CANCEL, BYE, INVITE, INFO"

static struct tmr_clock *clk;
static struct event_base *base; /* the stack's transport wants one; never run */
static struct sip *sip;
static struct tsx_layer *layer; /* the stack's */
static struct ua *ua;
static struct stats stats;
static char *sent[MAX_SENT];
static unsigned n_sent;
static unsigned cseq; /* of the next request feed_req() makes */

static int cap_send(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	(void)arg;
	(void)d;
	/* Past MAX_SENT only counted: an unACKed INVITE answer is resent until timer H. */
	if (n_sent >= MAX_SENT) {
		n_sent++;
		return 0;
	}
	sent[n_sent] = malloc(len + 1);
	ck_assert_ptr_nonnull(sent[n_sent]);
	memcpy(sent[n_sent], buf, len);
	sent[n_sent++][len] = '\0';
	return 0;
}

static void setup(void)
{
	struct sip_cfg sc = {.tsx = {.t1_ms = 500,
				 .t2_ms = 4000,
				 .t4_ms = 5000,
				 .max_tsx = 50,
				 .retry_after_s = 5,
				 .server = "sipuad/test"},
			     .tp = {.max_msg = 65535, .max_tcp_conns = 8, .tcp_idle_s = 60}};

	memset(&stats, 0, sizeof(stats));
	n_sent = 0;
	cseq = 1;
	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_int_eq(sip_new(&sip, base, clk, &sc, &stats), 0);
	sip_set_send(sip, cap_send, NULL);
	layer = sip_tsx(sip);
	ck_assert_int_eq(ua_new(&ua, sip), 0);
}

static void teardown(void)
{
	/* Far in the future every server transaction has ended (timer J, H). */
	tmr_fake_advance(clk, 10 * 60 * 1000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ua_free(ua);
	sip_free(sip);
	event_base_free(base);
	tmr_clock_free(clk);
	for (unsigned i = 0; i < n_sent && i < MAX_SENT; i++)
		free(sent[i]);
	n_sent = 0;
}

/* Parse, check and stamp text as the receive pipeline does, then hand it to the layer. */
static void feed(const char *text)
{
	struct sip_msg *m = NULL;
	struct msg_err e;

	ck_assert_int_eq(msg_parse(&m, text, strlen(text), false), 0);
	m->src.proto = NET_UDP;
	ck_assert_int_eq(net_addr_from_host(&m->src.addr, "127.0.0.1", 5062), 0);
	ck_assert_int_eq(net_addr_from_host(&m->src.local, "127.0.0.1", 5060), 0);
	ck_assert_msg(msg_check_request(m, &e), "%d %s", e.code, e.reason);
	ck_assert_int_eq(msg_stamp_via(m), 0);
	tsx_layer_recv(layer, m);
}

/*
 * A request: method, Request-URI, branch, extra header lines, body (may be
 * "").  From tag, Call-ID and CSeq stay the same unless the test bumps
 * cseq, so a second request with a new branch is a merged one.
 */
static void feed_req(const char *method, const char *ruri, const char *branch, const char *extra,
		     const char *body)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "%s %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=%s\r\n"
		 "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
		 "To: <sip:bob@127.0.0.1>\r\n"
		 "Call-ID: ua1@127.0.0.1\r\n"
		 "CSeq: %u %s\r\n"
		 "Max-Forwards: 70\r\n"
		 "%s"
		 "Content-Length: %zu\r\n\r\n%s",
		 method, ruri, branch, cseq, method, extra, strlen(body), body);
	feed(buf);
}

/*
 * The one answer sent must start with status_line and hold hdr (a whole
 * header line, or NULL) and no header named without_hdr (or NULL).
 */
static void expect_answer(const char *status_line, const char *hdr, const char *without_hdr)
{
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_msg(strncmp(sent[0], status_line, strlen(status_line)) == 0 &&
			  sent[0][strlen(status_line)] == '\r',
		      "sent '%.60s', want '%s'", sent[0], status_line);
	if (hdr)
		ck_assert_msg(strstr(sent[0], hdr) != NULL, "no '%s' in:\n%s", hdr, sent[0]);
	if (without_hdr)
		ck_assert_msg(strstr(sent[0], without_hdr) == NULL, "'%s' in:\n%s", without_hdr,
			      sent[0]);
	/* Every answer echoes the branch and adds a To tag (§8.2.6.2). */
	ck_assert_ptr_nonnull(strstr(sent[0], ";branch=z9hG4bK"));
	ck_assert_ptr_nonnull(strstr(sent[0], "To: <sip:bob@127.0.0.1>;tag="));
}

START_TEST(options_ok)
{
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKo1", "", "");
	expect_answer("SIP/2.0 200 OK", "\r\nAllow: " UA_ALLOW "\r\n", NULL);
	ck_assert_ptr_nonnull(strstr(sent[0], "\r\nAccept: application/sdp\r\n"));
}
END_TEST

START_TEST(method_unknown_501)
{
	feed_req("FOO", "sip:bob@127.0.0.1", "z9hG4bKf1", "", "");
	expect_answer("SIP/2.0 501 Not Implemented", "\r\nAllow: " UA_ALLOW "\r\n", NULL);
}
END_TEST

/* §8.2.1 comes first: an unknown method with a bad scheme is still 501. */
START_TEST(method_before_scheme)
{
	feed_req("FOO", "http://example.com/", "z9hG4bKf2", "", "");
	expect_answer("SIP/2.0 501 Not Implemented", "\r\nAllow: " UA_ALLOW "\r\n", NULL);
}
END_TEST

START_TEST(method_not_allowed_405)
{
	feed_req("REGISTER", "sip:127.0.0.1", "z9hG4bKr1", "Contact: <sip:alice@127.0.0.1>\r\n",
		 "");
	expect_answer("SIP/2.0 405 Method Not Allowed", "\r\nAllow: " UA_ALLOW "\r\n", NULL);
}
END_TEST

/* No call table: INVITE is a method we cannot serve. */
START_TEST(invite_without_calls_501)
{
	feed_req("INVITE", "sip:bob@127.0.0.1", "z9hG4bKi1", "Contact: <sip:alice@127.0.0.1>\r\n",
		 "");
	expect_answer("SIP/2.0 501 Not Implemented", "\r\nAllow: " UA_ALLOW "\r\n", NULL);
}
END_TEST

static const char *const bad_schemes[] = {
    "http://example.com/",
    "mailto:bob@example.com",
    "im:bob@example.com",
    /* RFC 4475 §3.4.2, §3.4.3: libosip2 cannot parse these two; 416 all the same. */
    "soap.beep://192.0.2.103:3002",
    "nobodyKnowsThisScheme:totally<opaque>content",
};

START_TEST(scheme_416)
{
	feed_req("OPTIONS", bad_schemes[_i], "z9hG4bKs1", "", "");
	expect_answer("SIP/2.0 416 Unsupported URI Scheme", NULL, NULL);
}
END_TEST

/* sips: and tel: are schemes a UA takes (§8.2.2.1, RFC 3966). */
START_TEST(scheme_sips_tel_ok)
{
	feed_req("OPTIONS", "sips:bob@127.0.0.1", "z9hG4bKs2", "", "");
	cseq++;
	feed_req("OPTIONS", "tel:+15551234", "z9hG4bKs3", "", "");
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_ptr_nonnull(strstr(sent[0], "SIP/2.0 200 OK\r\n"));
	ck_assert_ptr_nonnull(strstr(sent[1], "SIP/2.0 200 OK\r\n"));
}
END_TEST

/*
 * §8.2.2.2: the same request (From tag, Call-ID, CSeq) reaching us again
 * by another path (another branch) while the first transaction lives.
 */
START_TEST(merged_482)
{
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKm1", "", "");
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_ptr_nonnull(strstr(sent[0], "SIP/2.0 200 OK\r\n"));
	free(sent[0]);
	n_sent = 0;
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKm2", "", "");
	expect_answer("SIP/2.0 482 Loop Detected (merged request)", NULL, NULL);
}
END_TEST

START_TEST(merged_invite_482)
{
	feed_req("INVITE", "sip:bob@127.0.0.1", "z9hG4bKm3", "Contact: <sip:a@127.0.0.1>\r\n", "");
	ck_assert_uint_eq(n_sent, 1);
	free(sent[0]);
	n_sent = 0;
	feed_req("INVITE", "sip:bob@127.0.0.1", "z9hG4bKm4", "Contact: <sip:a@127.0.0.1>\r\n", "");
	expect_answer("SIP/2.0 482 Loop Detected (merged request)", NULL, NULL);
}
END_TEST

START_TEST(require_420)
{
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKq1",
		 "Require: foo\r\nRequire: 100rel, bar\r\n", "");
	expect_answer("SIP/2.0 420 Bad Extension", "\r\nUnsupported: foo, 100rel, bar\r\n", NULL);
}
END_TEST

/* §9.1: Require in a CANCEL is not checked. */
START_TEST(require_ignored_in_cancel)
{
	feed_req("CANCEL", "sip:bob@127.0.0.1", "z9hG4bKq2", "Require: foo\r\n", "");
	expect_answer("SIP/2.0 481 Call/Transaction Does Not Exist", NULL, "Unsupported");
}
END_TEST

START_TEST(body_415)
{
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKb1", "Content-Type: text/plain\r\n",
		 "hello\r\n");
	expect_answer("SIP/2.0 415 Unsupported Media Type", "\r\nAccept: application/sdp\r\n",
		      NULL);
}
END_TEST

/* The type compares case-insensitively (§7.3.1): Application/SDP is ours. */
START_TEST(body_sdp_any_case)
{
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKb2", "Content-Type: Application/SDP\r\n",
		 "v=0\r\n");
	expect_answer("SIP/2.0 200 OK", NULL, NULL);
}
END_TEST

/* §20.11: handling=optional: a body we do not take is ignored. */
START_TEST(body_optional_ignored)
{
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKb3",
		 "Content-Type: text/plain\r\nContent-Disposition: render;handling=optional\r\n",
		 "hello\r\n");
	expect_answer("SIP/2.0 200 OK", NULL, NULL);
}
END_TEST

/* handling=required (also the default) keeps the 415. */
START_TEST(body_required_415)
{
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKb4",
		 "Content-Type: text/plain\r\nContent-Disposition: render; handling=required\r\n",
		 "hello\r\n");
	expect_answer("SIP/2.0 415 Unsupported Media Type", "\r\nAccept: application/sdp\r\n",
		      NULL);
}
END_TEST

START_TEST(cancel_481)
{
	feed_req("CANCEL", "sip:bob@127.0.0.1", "z9hG4bKc1", "", "");
	expect_answer("SIP/2.0 481 Call/Transaction Does Not Exist", NULL, NULL);
}
END_TEST

START_TEST(bye_without_calls_481)
{
	feed_req("BYE", "sip:bob@127.0.0.1", "z9hG4bKy1", "", "");
	expect_answer("SIP/2.0 481 Call/Transaction Does Not Exist", NULL, NULL);
}
END_TEST

/* Forget what was sent (between the steps of one test). */
static void teardown_sent(void)
{
	for (unsigned i = 0; i < n_sent && i < MAX_SENT; i++)
		free(sent[i]);
	n_sent = 0;
}

/* The account table of the tests: only "bob" exists. */
static struct account *only_bob(void *arg, const char *user)
{
	(void)arg;
	return strcmp(user, "bob") == 0 ? (struct account *)&only_bob : NULL;
}

START_TEST(unknown_user_404)
{
	static const char *const unknown[] = {"sip:alice@127.0.0.1", "sip:100@127.0.0.1",
					      "sip:admin@127.0.0.1;transport=udp"};

	ua_set_accounts(ua, only_bob, NULL, false);
	/* The same 404 for every user that is not ours, whatever the method. */
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		char branch[32];

		snprintf(branch, sizeof(branch), "z9hG4bKu%zu", i);
		cseq++;
		feed_req(i % 2 ? "OPTIONS" : "INVITE", unknown[i], branch, "", "");
		expect_answer("SIP/2.0 404 Not Found", NULL, NULL);
		teardown_sent();
	}
	/* Ours, and a Request-URI without a user, are served. */
	cseq++;
	feed_req("OPTIONS", "sip:bob@127.0.0.1", "z9hG4bKu8", "", "");
	expect_answer("SIP/2.0 200 OK", NULL, NULL);
	teardown_sent();
	cseq++;
	feed_req("OPTIONS", "sip:127.0.0.1", "z9hG4bKu9", "", "");
	expect_answer("SIP/2.0 200 OK", NULL, NULL);
	teardown_sent();
	/* accept_unknown_users: everyone is served. */
	ua_set_accounts(ua, only_bob, NULL, true);
	cseq++;
	feed_req("OPTIONS", "sip:alice@127.0.0.1", "z9hG4bKu10", "", "");
	expect_answer("SIP/2.0 200 OK", NULL, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ua");
	TCase *tc = tcase_create("ua");

	msg_lib_init();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, options_ok);
	tcase_add_test(tc, method_unknown_501);
	tcase_add_test(tc, method_before_scheme);
	tcase_add_test(tc, method_not_allowed_405);
	tcase_add_test(tc, invite_without_calls_501);
	tcase_add_loop_test(tc, scheme_416, 0, (int)(sizeof(bad_schemes) / sizeof(bad_schemes[0])));
	tcase_add_test(tc, scheme_sips_tel_ok);
	tcase_add_test(tc, merged_482);
	tcase_add_test(tc, merged_invite_482);
	tcase_add_test(tc, require_420);
	tcase_add_test(tc, require_ignored_in_cancel);
	tcase_add_test(tc, body_415);
	tcase_add_test(tc, body_sdp_any_case);
	tcase_add_test(tc, body_optional_ignored);
	tcase_add_test(tc, body_required_415);
	tcase_add_test(tc, cancel_481);
	tcase_add_test(tc, bye_without_calls_481);
	tcase_add_test(tc, unknown_user_404);
	suite_add_tcase(s, tc);
	return check_run(s);
}
