/*
 * Unit tests for msg_resp: responses built as text from the request's
 * lines (RFC 3261 §8.2.6.2).  Each request is answered twice, as text and
 * through libosip2 (the builder unusual requests still get: clearing
 * lines.ok forces it), and the two responses, parsed back by msg_parse(),
 * must agree field by field: status and reason, every Via in order, From,
 * To (with the tag), Call-ID, CSeq, the TU's headers, the Record-Route
 * set, the body and its type.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "sip/msg.h"

#include "check_run.h"
#include "osip_same.h"

#define H_RL "INVITE sip:bob@b SIP/2.0\r\n"
#define H_VIA "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKabc\r\n"
#define H_FROM "From: \"Alice\" <sip:alice@a>;tag=f1\r\n"
#define H_TO "To: <sip:bob@b>\r\n"
#define H_CID "Call-ID: c1@host\r\n"
#define H_CSEQ "CSeq: 7 INVITE\r\n"
#define H_END "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"

static struct sip_msg *parse(const char *s, size_t len)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, s, len, false), 0);
	m->src.proto = NET_UDP;
	ck_assert_int_eq(net_addr_from_host(&m->src.addr, "192.0.2.9", 40000), 0);
	return m;
}

static struct sip_msg *req_of(const char *s)
{
	struct sip_msg *m = parse(s, strlen(s));
	struct msg_err e;

	ck_assert_msg(msg_check_request(m, &e), "%d %s", e.code, e.reason);
	ck_assert_int_eq(msg_stamp_via(m), 0);
	return m;
}

/* What the TU adds to a dialog-creating 2xx, as sess.c does. */
static void add_tu(struct sip_msg *r, const struct sip_msg *req, bool body)
{
	ck_assert_int_eq(msg_add_header(r, "Allow", "INVITE, ACK, BYE"), 0);
	ck_assert_int_eq(msg_add_header(r, "Supported", ""), 0);
	if (body)
		ck_assert_int_eq(msg_set_body(r, "application/sdp", "v=0\r\no=- 1 1 IN IP4 a\r\n", 23),
				 0);
	ck_assert_int_eq(msg_add_header(r, "Contact", "<sip:bob@192.0.2.2:5062>"), 0);
	ck_assert_int_eq(msg_copy_record_routes(r, req), 0);
	ck_assert_ptr_null(msg_header(r, "Server", NULL));
	ck_assert_int_eq(msg_add_header(r, "Server", "sipuad"), 0);
	ck_assert_ptr_nonnull(msg_header(r, "Server", NULL));
}

/* r serialised and parsed back. */
static struct sip_msg *reparse(struct sip_msg *r)
{
	struct sip_msg *m;
	char *buf = NULL;
	size_t len;
	const char *why = NULL;

	ck_assert_int_eq(msg_to_str(r, &buf, &len), 0);
	ck_assert_uint_eq(strlen(buf), len);
	m = parse(buf, len);
	ck_assert_msg(msg_check_response(m, &why), "%s: %s", why, buf);
	free(buf);
	return m;
}

/* The text response n and libosip2's o, both parsed back, agree field by field. */
static void same_msg(const struct sip_msg *n, const struct sip_msg *o)
{
	const osip_message_t *a = n->sip, *b = o->sip;
	const char *names[] = { "Supported", "Server", "Unsupported" };
	char ta[64], tb[64];
	size_t la, lb;
	const char *ba, *bb;
	char ja[512], jb[512], *ca = NULL, *cb = NULL;

	ck_assert_int_eq(n->status, o->status);
	same_str(msg_reason_phrase(n), msg_reason_phrase(o), "reason");
	same_list(&a->vias, &b->vias, (to_str_fn *)osip_via_to_str, "Via");
	same(a->from, b->from, (to_str_fn *)osip_from_to_str, "From");
	same(a->to, b->to, (to_str_fn *)osip_to_to_str, "To");
	same(a->call_id, b->call_id, (to_str_fn *)osip_call_id_to_str, "Call-ID");
	same(a->cseq, b->cseq, (to_str_fn *)osip_cseq_to_str, "CSeq");
	same_list(&a->record_routes, &b->record_routes, (to_str_fn *)osip_record_route_to_str,
		  "Record-Route");
	same_list(&a->contacts, &b->contacts, (to_str_fn *)osip_contact_to_str, "Contact");
	same_list(&a->allows, &b->allows, (to_str_fn *)osip_allow_to_str, "Allow");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		msg_header_join(n, names[i], NULL, ja, sizeof(ja));
		msg_header_join(o, names[i], NULL, jb, sizeof(jb));
		same_str(ja, jb, names[i]);
	}
	same_str(msg_content_type(n, ta, sizeof(ta)), msg_content_type(o, tb, sizeof(tb)),
		 "Content-Type");
	ba = msg_body(n, &la);
	bb = msg_body(o, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert(la == 0 || memcmp(ba, bb, la) == 0);
	/*
	 * Last, everything at once: libosip2's serialisation of each parse
	 * (its own header order, the TU's generic headers in theirs).
	 */
	ck_assert_int_eq(msg_to_str((struct sip_msg *)n, &ca, &la), 0);
	ck_assert_int_eq(msg_to_str((struct sip_msg *)o, &cb, &lb), 0);
	ck_assert_msg(la == lb && memcmp(ca, cb, la) == 0, "\n%s\n!=\n%s", ca, cb);
	free(ca);
	free(cb);
	same_str(n->to_tag, o->to_tag, "to_tag");
	same_str(n->from_tag, o->from_tag, "from_tag");
	same_str(n->call_id, o->call_id, "call_id");
	same_str(n->branch, o->branch, "branch");
	same_str(n->method, o->method, "method");
	ck_assert_uint_eq(n->cseq, o->cseq);
}

/*
 * Answer the request text s with code (tag "tt") as text and through
 * libosip2; the TU's headers too when tu.  Both must agree.  Returns the
 * text response's bytes (free()).
 */
static char *answer_both(const char *s, int code, const char *tag, bool tu)
{
	struct sip_msg *req = req_of(s), *r = NULL, *o = NULL, *rn, *ro;
	char *buf = NULL;
	size_t len;

	ck_assert(req->lines.ok);
	ck_assert_int_eq(msg_build_response(&r, req, code, NULL, tag), 0);
	if (tu)
		add_tu(r, req, true);
	req->lines.ok = false; /* the libosip2 builder */
	ck_assert_int_eq(msg_build_response(&o, req, code, NULL, tag), 0);
	if (tu)
		add_tu(o, req, true);
	/* The derived fields, before any parse. */
	same_str(r->to_tag, o->to_tag, "to_tag");
	same_str(r->call_id, o->call_id, "call_id");
	same_str(r->branch, o->branch, "branch");
	same_str(r->via_host, o->via_host, "via_host");
	ck_assert_uint_eq(r->via_port, o->via_port);
	rn = reparse(r);
	ro = reparse(o);
	same_msg(rn, ro);
	ck_assert_int_eq(msg_to_str(r, &buf, &len), 0);
	msg_free(rn);
	msg_free(ro);
	msg_free(r);
	msg_free(o);
	msg_free(req);
	return buf;
}

START_TEST(plain_invite)
{
	char *b = answer_both(H_RL H_VIA H_FROM H_TO H_CID H_CSEQ H_END, 200, "tt", true);

	ck_assert_ptr_nonnull(strstr(b, "\r\nTo: <sip:bob@b>;tag=tt\r\n"));
	ck_assert_ptr_nonnull(strstr(b, "\r\n" "From: \"Alice\" <sip:alice@a>;tag=f1\r\n"));
	ck_assert_ptr_nonnull(strstr(b, "\r\nContent-Length: 23\r\n\r\nv=0\r\n"));
	/* Stamped: the request came from 192.0.2.9 (§18.2.1). */
	ck_assert_ptr_eq(strstr(b, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP "
				   "192.0.2.1:5070;branch=z9hG4bKabc;received=192.0.2.9\r\n"),
			 b);
	free(b);
	free(answer_both(H_RL H_VIA H_FROM H_TO H_CID H_CSEQ H_END, 486, "tt", false));
	free(answer_both(H_RL H_VIA H_FROM H_TO H_CID H_CSEQ H_END, 180, NULL, false));
}
END_TEST

START_TEST(compact_names)
{
	char *b = answer_both(H_RL "v: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKc\r\n"
				 "f: <sip:alice@a>;tag=f1\r\nt: <sip:bob@b>\r\ni: cc@h\r\n"
				 "CSeq: 1 INVITE\r\nl: 0\r\n\r\n",
			      200, "tt", true);

	ck_assert_ptr_nonnull(strstr(b, "\r\nt: <sip:bob@b>;tag=tt\r\n"));
	ck_assert_ptr_nonnull(strstr(b, "\r\ni: cc@h\r\n"));
	free(b);
}
END_TEST

START_TEST(several_vias)
{
	/* On one line, then on several, then both. */
	free(answer_both(H_RL "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1, SIP/2.0/TCP "
			    "p.example.com;branch=z9hG4bK2 ,SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK3\r\n"
			    H_FROM H_TO H_CID H_CSEQ H_END,
			 200, "tt", true));
	free(answer_both(H_RL H_VIA "Via: SIP/2.0/TCP p.example.com;branch=z9hG4bK2\r\n"
			    "v: SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK3;received=192.0.2.4\r\n"
			    H_FROM H_TO H_CID H_CSEQ H_END,
			 603, "tt", false));
	free(answer_both(H_RL "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport, SIP/2.0/UDP "
			    "192.0.2.5;branch=z9hG4bK2\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ H_END,
			 200, "tt", true));
}
END_TEST

START_TEST(record_routes)
{
	char s[2048];
	size_t n;
	char *b = answer_both(H_RL H_VIA "Record-Route: <sip:p2.example.com;lr>,<sip:p1;transport=tcp>\r\n"
				 H_FROM "Record-Route:   \"P, 0\" <sip:p0@h;lr;x=y> ;a=b  \r\n"
				 H_TO H_CID H_CSEQ H_END,
			      200, "tt", true);

	/* One value per line, in order, as libosip2 writes them. */
	ck_assert_ptr_nonnull(strstr(b, "\r\nRecord-Route: <sip:p2.example.com;lr>\r\n"
					"Record-Route: <sip:p1;transport=tcp>\r\n"
					"Record-Route: \"P, 0\" <sip:p0@h;lr;x=y> ;a=b\r\n"));
	free(b);
	/* More lines than the array: libosip2 serialises the set. */
	n = (size_t)snprintf(s, sizeof(s), "%s", H_RL H_VIA);
	for (int i = 0; i < 6; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "Record-Route: <sip:p%d;lr>\r\n", i);
	snprintf(s + n, sizeof(s) - n, "%s", H_FROM H_TO H_CID H_CSEQ H_END);
	free(answer_both(s, 180, "tt", true));
}
END_TEST

START_TEST(via_stamped)
{
	/* rport asked and a sent-by that is not the source: received and rport filled. */
	char *b = answer_both(H_RL "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKs;rport\r\n"
				 "Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKup\r\n" H_FROM H_TO H_CID H_CSEQ H_END,
			      200, "tt", true);

	ck_assert_ptr_nonnull(strstr(b, "rport=40000"));
	ck_assert_ptr_nonnull(strstr(b, "received=192.0.2.9"));
	ck_assert_ptr_nonnull(strstr(b, "\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKup\r\n"));
	free(b);
	/* A received already there (a liar's) is replaced; the stamp keeps the order. */
	free(answer_both(H_RL "Via: SIP/2.0/UDP h;received=10.0.0.1;branch=z9hG4bKs;rport=1\r\n"
			    H_FROM H_TO H_CID H_CSEQ H_END,
			 200, "tt", false));
	/* The same host as the source, no rport: nothing stamped, the line copied. */
	b = answer_both(H_RL "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKs\r\n" H_FROM H_TO H_CID H_CSEQ H_END,
			404, "tt", false);
	ck_assert_ptr_nonnull(strstr(b, "\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKs\r\n"));
	free(b);
}
END_TEST

START_TEST(to_tagged)
{
	/* In a dialog the To has its tag: none of ours is added. */
	char *b = answer_both(H_RL H_VIA H_FROM "To: <sip:bob@b>;tag=old\r\n" H_CID H_CSEQ H_END, 200, "tt",
			      true);

	ck_assert_ptr_nonnull(strstr(b, "\r\nTo: <sip:bob@b>;tag=old\r\n"));
	ck_assert_ptr_null(strstr(b, "tag=tt"));
	free(b);
}
END_TEST

START_TEST(to_display_params)
{
	char *b = answer_both(H_RL H_VIA H_FROM "To: \"Bob, B.\" <sip:bob@b;user=phone>;x=1\r\n" H_CID
				  H_CSEQ H_END,
			      200, "tt", true);

	ck_assert_ptr_nonnull(
	    strstr(b, "\r\nTo: \"Bob, B.\" <sip:bob@b;user=phone>;x=1;tag=tt\r\n"));
	free(b);
	/* A To without <>: its parameters are the header's. */
	free(answer_both(H_RL H_VIA H_FROM "To: sip:bob@b;user=phone\r\n" H_CID H_CSEQ H_END, 200, "tt", true));
}
END_TEST

START_TEST(odd_whitespace)
{
	free(answer_both(H_RL "Via:   SIP/2.0/UDP 192.0.2.1:5070 ; branch=z9hG4bKw  \r\n"
			    "From:<sip:alice@a>;tag=f1\r\nTo:   <sip:bob@b>   \r\n"
			    "Call-ID:c1@host\r\nCSeq:   7   INVITE\r\n" H_END,
			 200, "tt", true));
	/* Bare LF line ends: the response still ends its lines with CRLF. */
	free(answer_both("INVITE sip:bob@b SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKl\n"
			 "From: <sip:a@a>;tag=1\nTo: <sip:b@b>\nCall-ID: x\nCSeq: 2 INVITE\n"
			 "Content-Length: 0\n\n",
			 200, "tt", false));
}
END_TEST

START_TEST(folded_header)
{
	/* Folds and HTABs: the lines come from the cleaned copy libosip2 parsed. */
	char *b = answer_both(H_RL "Via: SIP/2.0/UDP 192.0.2.1:5070\r\n ;branch=z9hG4bKf\r\n"
				 "From: \"Alice\"\r\n\t<sip:alice@a>;tag=f1\r\n"
				 "To:\t<sip:bob@b>\r\n" H_CID H_CSEQ H_END,
			      200, "tt", true);

	ck_assert_ptr_null(strstr(b, "\t"));
	ck_assert_ptr_nonnull(strstr(b, "\r\nFrom: \"Alice\" <sip:alice@a>;tag=f1\r\n"));
	free(b);
}
END_TEST

/* More Via lines than the array: built through libosip2, still right. */
START_TEST(many_vias)
{
	char s[2048];
	size_t n = (size_t)snprintf(s, sizeof(s), "%s", H_RL);
	struct sip_msg *req, *r = NULL, *back;

	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n,
				      "Via: SIP/2.0/UDP 192.0.2.%d;branch=z9hG4bK%d\r\n", i + 1, i);
	snprintf(s + n, sizeof(s) - n, "%s", H_FROM H_TO H_CID H_CSEQ H_END);
	req = req_of(s);
	ck_assert(!req->lines.ok);
	ck_assert_int_eq(msg_build_response(&r, req, 200, NULL, "tt"), 0);
	back = reparse(r);
	ck_assert_int_eq(osip_list_size(&back->sip->vias), 12);
	msg_free(back);
	msg_free(r);
	msg_free(req);
}
END_TEST

/* The setters and accessors on a response built as text. */
START_TEST(setters_and_accessors)
{
	struct sip_msg *req = req_of(H_RL H_VIA H_FROM H_TO H_CID H_CSEQ "Record-Route: <sip:p1;lr>\r\n" H_END);
	struct sip_msg *r = NULL, *back;
	char *buf = NULL, ct[32];
	size_t len;
	const char *body;

	ck_assert_int_eq(msg_build_response(&r, req, 180, "Ringing here", NULL), 0);
	ck_assert_ptr_null(r->to_tag);
	ck_assert_int_eq(msg_set_to_tag(r, "a1"), 0);
	ck_assert_str_eq(r->to_tag, "a1");
	ck_assert_int_eq(msg_set_to_tag(r, "b22"), 0); /* replaced, not a second one */
	ck_assert_str_eq(r->to_tag, "b22");
	add_tu(r, req, false);
	ck_assert_str_eq(msg_reason_phrase(r), "Ringing here"); /* a parse of the text */
	ck_assert_int_eq(msg_set_body(r, "text/plain", "hi", 2), 0);
	ck_assert_int_eq(msg_set_body(r, "application/sdp", "v=0\r\n", 5), 0);
	body = msg_body(r, &len);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(body, "v=0\r\n", 5), 0);
	ck_assert_str_eq(msg_content_type(r, ct, sizeof(ct)), "application/sdp");
	ck_assert_int_eq(msg_add_header(r, "X-Late", "1"), 0); /* after a parse: still text */
	back = reparse(r);
	ck_assert_str_eq(back->to_tag, "b22");
	ck_assert_str_eq(msg_header(back, "X-Late", NULL), "1");
	ck_assert_int_eq(msg_record_routes(back, NULL, 0), 1);
	msg_free(back);
	/* Taken: the derived fields stay, the rest is an empty message. */
	ck_assert_int_eq(msg_take_str(r, &buf, &len), 0);
	ck_assert_int_eq(strncmp(buf, "SIP/2.0 180 Ringing here\r\n", 26), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nX-Late: 1\r\n"));
	ck_assert_int_eq(r->status, 180);
	ck_assert_str_eq(r->call_id, "c1@host");
	ck_assert_ptr_null(msg_header(r, "Server", NULL));
	ck_assert_int_eq(msg_add_header(r, "X", "y"), -EINVAL);
	free(buf);
	ck_assert_int_eq(msg_to_str(r, &buf, &len), -EINVAL);
	msg_free(r);
	msg_free(req);
}
END_TEST

/* A route or a new tag over the request's: libosip2's form from then on. */
START_TEST(demoted)
{
	struct sip_msg *req = req_of(H_RL H_VIA H_FROM "To: <sip:bob@b>;tag=old\r\n" H_CID H_CSEQ H_END);
	struct sip_msg *r = NULL, *back;
	char *buf;
	size_t len;

	ck_assert_int_eq(msg_build_response(&r, req, 200, NULL, "tt"), 0);
	ck_assert_str_eq(r->to_tag, "old");
	ck_assert_int_eq(msg_add_header(r, "Allow", "INVITE"), 0);
	ck_assert_int_eq(msg_set_to_tag(r, "new"), 0);
	ck_assert_str_eq(r->to_tag, "new");
	ck_assert_int_eq(msg_add_header(r, "Supported", "timer"), 0);
	back = reparse(r);
	ck_assert_str_eq(back->to_tag, "new");
	ck_assert_int_eq(msg_to_str(r, &buf, &len), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nAllow: INVITE\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\nSupported: timer\r\n"));
	ck_assert_ptr_null(strstr(buf, "old"));
	free(buf);
	msg_free(back);
	msg_free(r);
	msg_free(req);
}
END_TEST

/* The 400s to requests that miss a header go through libosip2, as before. */
START_TEST(unusual_requests)
{
	const char *s = H_RL H_VIA H_FROM H_TO H_CSEQ H_END; /* no Call-ID */
	struct sip_msg *req = parse(s, strlen(s)), *r = NULL, *back;
	struct msg_err e;
	char *buf;
	size_t len;

	ck_assert(!msg_check_request(req, &e));
	ck_assert(!req->lines.ok);
	ck_assert_int_eq(msg_build_response(&r, req, e.code, e.reason, "tt"), 0);
	ck_assert_int_eq(msg_to_str(r, &buf, &len), 0);
	ck_assert_ptr_eq(strstr(buf, "SIP/2.0 400 Missing Call-ID header\r\n"), buf);
	free(buf);
	msg_free(r);
	msg_free(req);
	/* Parameters a tag cannot follow as text ("x=" with no value): libosip2 writes the To. */
	req = req_of(H_RL H_VIA H_FROM "To: <sip:bob@b>;x=\r\n" H_CID H_CSEQ H_END);
	ck_assert(req->lines.ok);
	ck_assert_int_eq(msg_build_response(&r, req, 200, NULL, "tt"), 0);
	ck_assert_ptr_null(r->out);
	back = reparse(r);
	ck_assert_str_eq(back->to_tag, "tt");
	msg_free(back);
	msg_free(r);
	r = NULL;
	/* Nor when the tag comes later. */
	ck_assert_int_eq(msg_build_response(&r, req, 180, NULL, NULL), 0);
	ck_assert_ptr_nonnull(r->out);
	ck_assert_int_eq(msg_set_to_tag(r, "t2"), 0);
	back = reparse(r);
	ck_assert_str_eq(back->to_tag, "t2");
	msg_free(back);
	msg_free(r);
	msg_free(req);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msg_resp");
	TCase *tc = tcase_create("msg_resp");

	msg_lib_init();
	tcase_add_test(tc, plain_invite);
	tcase_add_test(tc, compact_names);
	tcase_add_test(tc, several_vias);
	tcase_add_test(tc, record_routes);
	tcase_add_test(tc, via_stamped);
	tcase_add_test(tc, to_tagged);
	tcase_add_test(tc, to_display_params);
	tcase_add_test(tc, odd_whitespace);
	tcase_add_test(tc, folded_header);
	tcase_add_test(tc, many_vias);
	tcase_add_test(tc, setters_and_accessors);
	tcase_add_test(tc, demoted);
	tcase_add_test(tc, unusual_requests);
	suite_add_tcase(s, tc);
	return check_run(s);
}
