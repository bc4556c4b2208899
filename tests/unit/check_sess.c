/*
 * check_sess: the INVITE dialog usage on its own (src/ua/sess.c), on the
 * fake clock: where an in-dialog request goes for a dialog (loose route,
 * strict route, no route), what a session without a confirmed dialog
 * refuses, the §14.1 glare back-off windows, and an in-dialog request
 * sent again with credentials after a 401 (§22.2), through a strict
 * router.  The flows that need a peer (2xx resend until the ACK, ACK of a
 * 2xx and its resends, a second fork ended, BYE, re-INVITE and BYE
 * challenged) run through the call in check_call.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tmr.h"
#include "sip/dlg.h"
#include "sip/msg.h"
#include "sip/tsx.h"
#include "ua/cred.h"
#include "ua/sess.h"

#include "check_run.h"

static struct tmr_clock *clk;
static struct dlg_table *dlgs;
static struct sess_ctx ctx;
static struct tsx_layer *layer;
static const struct tsx_cfg tcfg = {.t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000, .max_tsx = 10};
static const struct tsx_user no_user;

/* The layer's sends: the last one kept. */
static char last[4096];
static struct sip_dest last_dest;
static unsigned n_sends;

static int cap_send(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	(void)arg;
	ck_assert_uint_lt(len, sizeof(last));
	memcpy(last, buf, len);
	last[len] = '\0';
	last_dest = *d;
	n_sends++;
	return 0;
}
static unsigned glare_fired, timeouts, byes;

static int local_stub(void *arg, enum net_proto proto, int family, struct net_addr *out)
{
	(void)arg;
	(void)proto;
	if (family == AF_INET)
		return net_addr_from_host(out, "127.0.0.1", 5060);
	return -ENOENT;
}

static void h_ok_timeout(void *arg)
{
	(void)arg;
	timeouts++;
}

static void h_bye_done(void *arg, const struct sip_msg *resp, int err)
{
	(void)arg;
	(void)resp;
	(void)err;
	byes++;
}

static void h_glare_done(void *arg)
{
	(void)arg;
	glare_fired++;
}

static const struct sess_handlers handlers = {
    .ok_timeout = h_ok_timeout, .bye_done = h_bye_done, .glare_done = h_glare_done};

static void setup(void)
{
	glare_fired = timeouts = byes = n_sends = 0;
	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	ck_assert_int_eq(dlg_table_new(&dlgs), 0);
	/* T1 and T2 are the transaction layer's: a layer of its own, never fed. */
	ck_assert_int_eq(tsx_layer_new(&layer, clk, &tcfg, cap_send, NULL, &no_user, NULL), 0);
	ctx = (struct sess_ctx){.tsx = layer, .clk = clk, .local = local_stub};
}

static void teardown(void)
{
	dlg_table_free(dlgs);
	dlgs = NULL;
	tsx_layer_free(layer);
	layer = NULL;
	tmr_clock_free(clk);
	clk = NULL;
}

/* A UAS dialog made of an INVITE with the given extra header lines. */
static struct dlg *uas_dialog(const char *extra)
{
	char buf[1024];
	struct sip_msg *m = NULL;
	struct dlg *d = NULL;

	snprintf(buf, sizeof(buf),
		 "INVITE sip:sipuad@127.0.0.1:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKs1\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:alice@127.0.0.1:5062>;tag=a1\r\n"
		 "To: <sip:sipuad@127.0.0.1:5060>\r\n"
		 "Call-ID: sess1@127.0.0.1\r\n"
		 "CSeq: 1 INVITE\r\n"
		 "Contact: <sip:alice@127.0.0.1:5062>\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 extra);
	ck_assert_int_eq(msg_parse(&m, buf, strlen(buf), false), 0);
	ck_assert_int_eq(dlg_uas_new(dlgs, &d, m, "b1"), 0);
	msg_free(m);
	return d;
}

static const char *dest_of(struct dlg *d, char *out, size_t size)
{
	struct sip_dest dst;

	ck_assert_int_eq(sess_dest(&ctx, d, "c1", &dst), 0);
	snprintf(out, size, "%s:", net_proto_name(dst.proto));
	net_addr_fmt(&dst.addr, out + strlen(out), size - strlen(out));
	return out;
}

/* §12.2.1.1: the first route when loose, the strict router's URI, else the remote target. */
START_TEST(test_dest)
{
	struct dlg *d;
	char a[64];

	d = uas_dialog("");
	ck_assert_str_eq(dest_of(d, a, sizeof(a)), "udp:127.0.0.1:5062");
	dlg_free(d);
	d = uas_dialog("Record-Route: <sip:127.0.0.1:5070;lr>, <sip:127.0.0.1:5080;lr>\r\n");
	ck_assert_str_eq(dest_of(d, a, sizeof(a)), "udp:127.0.0.1:5070");
	dlg_free(d);
	d = uas_dialog("Record-Route: <sip:127.0.0.1:5090;transport=tcp>\r\n");
	ck_assert_str_eq(dest_of(d, a, sizeof(a)), "tcp:127.0.0.1:5090");
	dlg_free(d);
}
END_TEST

/* A route we cannot send to (a host name: no DNS yet), or no dialog: -EINVAL. */
START_TEST(test_dest_unusable)
{
	struct sip_dest dst;
	struct dlg *d = uas_dialog("Record-Route: <sip:proxy.example.net;lr>\r\n");

	ck_assert_int_eq(sess_dest(&ctx, d, "c1", &dst), -EINVAL);
	ck_assert_int_eq(sess_dest(&ctx, NULL, "c1", &dst), -EINVAL);
	dlg_free(d);
}
END_TEST

/* No BYE without a confirmed dialog; a fresh session has nothing pending; close frees the dialog.
 */
START_TEST(test_bye_needs_confirmed)
{
	struct sess s;
	struct net_addr via;

	sess_init(&s, &ctx, "c1", &handlers, NULL);
	ck_assert_int_eq(sess_bye(&s), -ENOTCONN);
	/* No INVITE of ours in progress: nothing to CANCEL, the owner ends the call itself. */
	ck_assert_int_eq(sess_cancel(&s), -ENOTCONN);
	ck_assert(sess_cancelling(&s));
	sess_set_dlg(&s, uas_dialog(""));
	ck_assert_ptr_eq(sess_of(s.dlg), &s);
	ck_assert_int_eq(sess_bye(&s), -ENOTCONN); /* early */
	ck_assert(!sess_ok_pending(&s));
	ck_assert(!sess_glare_waiting(&s));
	sess_ack_again(&s, 1); /* no ACK kept: nothing */
	ck_assert_int_eq(net_addr_from_host(&via, "127.0.0.1", 5060), 0);
	ck_assert_int_eq(sess_set_local(&s, NET_TCP, &via, "<sip:sipuad@127.0.0.1:5060>"), 0);
	ck_assert_str_eq(s.contact, "<sip:sipuad@127.0.0.1:5060>");
	sess_close(&s);
	ck_assert_uint_eq(dlg_table_count(dlgs), 0);
	ck_assert_uint_eq(byes + timeouts + glare_fired, 0);
}
END_TEST

/* §14.1: 2.1-4 s when we own the Call-ID, 0-2 s when we do not; fires once. */
START_TEST(test_glare_windows)
{
	struct sess s;

	for (int i = 0; i < 20; i++) {
		sess_init(&s, &ctx, "c1", &handlers, NULL);
		glare_fired = 0;
		sess_glare_wait(&s, true);
		ck_assert(sess_glare_waiting(&s));
		tmr_fake_advance(clk, 2099);
		ck_assert_uint_eq(glare_fired, 0);
		tmr_fake_advance(clk, 4000 - 2099);
		ck_assert_uint_eq(glare_fired, 1);
		ck_assert(!sess_glare_waiting(&s));
		sess_glare_wait(&s, false);
		tmr_fake_advance(clk, 2000);
		ck_assert_uint_eq(glare_fired, 2);
		tmr_fake_advance(clk, 10000);
		ck_assert_uint_eq(glare_fired, 2);
		sess_close(&s);
	}
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
}
END_TEST

static void on_resp(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	(void)arg;
	(void)ct;
	(void)resp;
	(void)err;
}

/* A 401 to req with one WWW-Authenticate, as it arrives (serialized, parsed). */
static struct sip_msg *challenge_of(const struct sip_msg *req, const char *value)
{
	struct sip_msg *r = NULL, *in = NULL;
	char *text = NULL;
	size_t len;

	ck_assert_int_eq(msg_build_response(&r, req, 401, NULL, "b1"), 0);
	ck_assert_int_eq(msg_add_header(r, "WWW-Authenticate", value), 0);
	ck_assert_int_eq(msg_to_str(r, &text, &len), 0);
	ck_assert_int_eq(msg_parse(&in, text, len, false), 0);
	free(text);
	msg_free(r);
	return in;
}

/*
 * §22.2 in a dialog whose first route is a strict router (§12.2.1.1): an
 * INFO (with a body) answered 401 goes again as a new request of the
 * dialog: the next CSeq, the strict router's URI as Request-URI and as
 * where it goes, the remote target as the last Route, the same body and
 * Content-Type, and an Authorization for that Request-URI.  Without
 * credentials nothing goes and why says so.
 */
START_TEST(test_request_auth)
{
	struct dlg *d = uas_dialog("Record-Route: <sip:127.0.0.1:5090;transport=tcp>\r\n");
	struct sip_msg *req = NULL, *resp;
	struct dlg_local loc;
	struct cred_chain ch = {0};
	struct cred *cr = NULL;
	struct tsx *ct = NULL;
	struct net_addr via;
	struct why w;
	struct sess s;
	char a[64], cseq[64];

	sess_init(&s, &ctx, "c1", &handlers, NULL);
	ck_assert_int_eq(net_addr_from_host(&via, "127.0.0.1", 5060), 0);
	ck_assert_int_eq(sess_set_local(&s, NET_TCP, &via, "<sip:sipuad@127.0.0.1:5060>"), 0);
	sess_set_dlg(&s, d);
	sess_local(&s, &loc);
	ck_assert_int_eq(dlg_build_request(&req, d, "INFO", &loc), 0);
	ck_assert_int_eq(msg_set_body(req, "application/dtmf-relay", "Signal=5\r\n", 10), 0);
	resp = challenge_of(req, "Digest realm=\"alice.example\", nonce=\"n1\"");
	/* No credentials: nothing sent, and why says so. */
	ck_assert_int_eq(sess_request_auth(&s, req, resp, &ch, on_resp, NULL, &ct, &w), -ENOKEY);
	ck_assert_str_eq(w.msg, "realm \"alice.example\" asks for credentials and the account has "
				"no password");
	ck_assert_uint_eq(n_sends, 0);
	ck_assert_int_eq(cred_new(&cr, "alice", "pw-1"), 0);
	s.cred = cr;
	ck_assert_int_eq(sess_request_auth(&s, req, resp, &ch, on_resp, NULL, &ct, &w), 0);
	ck_assert_ptr_nonnull(ct);
	ck_assert_uint_eq(n_sends, 1);
	ck_assert_msg(strncmp(last, "INFO sip:127.0.0.1:5090;transport=tcp SIP/2.0\r\n", 47) == 0,
		      "%s", last);
	snprintf(cseq, sizeof(cseq), "\r\nCSeq: %u INFO\r\n", (unsigned)req->cseq + 1);
	ck_assert_msg(strstr(last, cseq) != NULL, "%s", last);
	ck_assert_msg(strstr(last, "\r\nRoute: <sip:alice@127.0.0.1:5062>\r\n") != NULL, "%s",
		      last);
	ck_assert(strstr(last, "\r\nContent-Type: application/dtmf-relay\r\n") != NULL);
	ck_assert(strstr(last, "\r\n\r\nSignal=5\r\n") != NULL);
	ck_assert(strstr(last, "\r\nAuthorization: Digest username=\"alice\"") != NULL);
	ck_assert(strstr(last, "uri=\"sip:127.0.0.1:5090;transport=tcp\"") != NULL);
	ck_assert(strstr(last, "To: <sip:alice@127.0.0.1:5062>;tag=a1") != NULL);
	ck_assert(strstr(last, "pw-1") == NULL);
	snprintf(a, sizeof(a), "%s:", net_proto_name(last_dest.proto));
	net_addr_fmt(&last_dest.addr, a + strlen(a), sizeof(a) - strlen(a));
	ck_assert_str_eq(a, "tcp:127.0.0.1:5090");
	ck_assert_uint_eq(ch.tries, 1);
	tsx_detach(ct);
	msg_free(req);
	msg_free(resp);
	sess_close(&s);
	cred_free(cr);
}
END_TEST

static Suite *sess_suite(void)
{
	Suite *s = suite_create("sess");
	TCase *tc = tcase_create("sess");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dest);
	tcase_add_test(tc, test_dest_unusable);
	tcase_add_test(tc, test_bye_needs_confirmed);
	tcase_add_test(tc, test_glare_windows);
	tcase_add_test(tc, test_request_auth);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	msg_lib_init();
	return check_run(sess_suite());
}
