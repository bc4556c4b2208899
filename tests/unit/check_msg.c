/*
 * Unit tests for msg: parsing, derived fields, the RFC 3261 §8.2 checks
 * (one table of malformed requests with the exact answer each gets),
 * response checks, Via stamping, response routing and building, request
 * destinations (msg_uri_dest) and out-of-dialog requests (msg_build_request).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "core/rnd.h"
#include "sip/msg.h"

#include "check_run.h"

#define H_VIA "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKabc\r\n"
#define H_FROM "From: <sip:alice@a>;tag=f1\r\n"
#define H_TO "To: <sip:bob@b>\r\n"
#define H_CID "Call-ID: c1@host\r\n"
#define H_CSEQ "CSeq: 7 OPTIONS\r\n"
#define H_OPT "OPTIONS sip:bob@b SIP/2.0\r\n"
#define H_GOOD H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"

static struct sip_msg *parse(const char *s, enum net_proto proto)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, s, strlen(s), false), 0);
	m->src.proto = proto;
	ck_assert_int_eq(net_addr_from_host(&m->src.addr, "192.0.2.9", 40000), 0);
	return m;
}

START_TEST(derived_fields)
{
	struct sip_msg *m = parse(H_GOOD, NET_UDP);
	struct msg_err e;

	ck_assert(m->is_request);
	ck_assert_str_eq(m->method, "OPTIONS");
	ck_assert_uint_eq(m->cseq, 7);
	ck_assert_str_eq(m->call_id, "c1@host");
	ck_assert_str_eq(m->from_tag, "f1");
	ck_assert_ptr_null(m->to_tag);
	ck_assert_str_eq(m->branch, "z9hG4bKabc");
	ck_assert_str_eq(m->via_host, "192.0.2.1");
	ck_assert_uint_eq(m->via_port, 5070);
	ck_assert(msg_check_request(m, &e));
	ck_assert_int_eq(e.code, 0);
	msg_free(m);
}
END_TEST

START_TEST(compact_forms)
{
	const char *s = H_OPT "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n"
			    "f: <sip:a@a>;tag=1\r\nt: <sip:b@b>\r\ni: cc\r\nCSeq: 1 OPTIONS\r\n"
			    "l: 0\r\n\r\n";
	struct sip_msg *m = parse(s, NET_TCP);
	struct msg_err e;

	ck_assert(msg_check_request(m, &e));
	ck_assert_str_eq(m->call_id, "cc");
	msg_free(m);
}
END_TEST

#define RURI_BAD(uri)                                                                              \
	{ "ruri " uri, "OPTIONS " uri " SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n", NET_UDP,  \
	    400, "Malformed Request-URI" }
#define VERSION_BAD(v)                                                                             \
	{ "version " v, "OPTIONS sip:bob@b " v "\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n", NET_UDP, \
	    400, "Malformed SIP-Version" }

/* The malformed requests of issue #2 item 7 with their exact answers. */
static const struct bad_case {
	const char *name;
	const char *text;
	enum net_proto proto;
	int code;
	const char *reason;
} bad[] = {
	{ "version", "OPTIONS sip:bob@b SIP/3.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n", NET_UDP, 505,
	    "Version Not Supported" },
	{ "no via", H_OPT H_FROM H_TO H_CID H_CSEQ "\r\n", NET_UDP, 400, "Missing Via header" },
	{ "no from", H_OPT H_VIA H_TO H_CID H_CSEQ "\r\n", NET_UDP, 400, "Missing From header" },
	{ "no to", H_OPT H_VIA H_FROM H_CID H_CSEQ "\r\n", NET_UDP, 400, "Missing To header" },
	{ "no call-id", H_OPT H_VIA H_FROM H_TO H_CSEQ "\r\n", NET_UDP, 400, "Missing Call-ID header" },
	{ "no cseq", H_OPT H_VIA H_FROM H_TO H_CID "\r\n", NET_UDP, 400, "Missing CSeq header" },
	{ "two from", H_OPT H_VIA H_FROM "From: <sip:x@y>;tag=2\r\n" H_TO H_CID H_CSEQ "\r\n", NET_UDP, 400,
	    "Repeated From header" },
	{ "two to", H_OPT H_VIA H_FROM H_TO "t: <sip:x@y>\r\n" H_CID H_CSEQ "\r\n", NET_UDP, 400,
	    "Repeated To header" },
	{ "two call-id", H_OPT H_VIA H_FROM H_TO H_CID "i: other\r\n" H_CSEQ "\r\n", NET_UDP, 400,
	    "Repeated Call-ID header" },
	{ "two cseq", H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "CSeq: 8 OPTIONS\r\n\r\n", NET_UDP, 400,
	    "Repeated CSeq header" },
	{ "cseq text", H_OPT H_VIA H_FROM H_TO H_CID "CSeq: abc OPTIONS\r\n\r\n", NET_UDP, 400,
	    "Malformed CSeq" },
	{ "cseq no method", H_OPT H_VIA H_FROM H_TO H_CID "CSeq: 12\r\n\r\n", NET_UDP, 400,
	    "Malformed CSeq" },
	{ "cseq 2^31", H_OPT H_VIA H_FROM H_TO H_CID "CSeq: 2147483648 OPTIONS\r\n\r\n", NET_UDP, 400,
	    "CSeq number out of range" },
	{ "cseq huge", H_OPT H_VIA H_FROM H_TO H_CID "CSeq: 99999999999999999999 OPTIONS\r\n\r\n", NET_UDP,
	    400, "CSeq number out of range" },
	{ "cseq method", H_OPT H_VIA H_FROM H_TO H_CID "CSeq: 7 INVITE\r\n\r\n", NET_UDP, 400,
	    "CSeq method does not match the request" },
	{ "clen text", H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Content-Length: x\r\n\r\n", NET_UDP, 400,
	    "Malformed Content-Length" },
	{ "clen negative", H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Content-Length: -3\r\n\r\n", NET_UDP, 400,
	    "Malformed Content-Length" },
	{ "clen too big", H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Content-Type: application/sdp\r\n"
	    "Content-Length: 10\r\n\r\nabc", NET_UDP, 400, "Content-Length larger than the body" },
	{ "tcp no clen", H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n", NET_TCP, 400, "Missing Content-Length" },
	{ "body no ctype", H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Content-Length: 3\r\n\r\nabc", NET_UDP, 400,
	    "Body without Content-Type" },
	{ "empty from tag", H_OPT H_VIA "From: <sip:a@a>;tag=\r\n" H_TO H_CID H_CSEQ "\r\n", NET_UDP, 400,
	    "Empty tag in From" },
	{ "bare from tag", H_OPT H_VIA "From: <sip:a@a>;tag\r\n" H_TO H_CID H_CSEQ "\r\n", NET_UDP, 400,
	    "Empty tag in From" },
	{ "empty to tag", H_OPT H_VIA H_FROM "To: <sip:b@b>;tag=\r\n" H_CID H_CSEQ "\r\n", NET_UDP, 400,
	    "Empty tag in To" },
	{ "max-forwards", H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Max-Forwards: 300\r\n\r\n", NET_UDP, 400,
	    "Malformed Max-Forwards" },
	{ "max-forwards folded 300", H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Max-Forwards:\r\n 0300\r\n\r\n",
	    NET_UDP, 400, "Malformed Max-Forwards" },
	/* §20.42: sent-by = host [":" port]. */
	{ "via port text", H_OPT "Via: SIP/2.0/UDP 192.0.2.1:notaport;branch=z9hG4bK1\r\n" H_FROM H_TO
	    H_CID H_CSEQ "\r\n", NET_UDP, 400, "Malformed Via header" },
	{ "via port 70000", H_OPT "Via: SIP/2.0/UDP 192.0.2.1:70000;branch=z9hG4bK1\r\n" H_FROM H_TO
	    H_CID H_CSEQ "\r\n", NET_UDP, 400, "Malformed Via header" },
	{ "via port 0", H_OPT "Via: SIP/2.0/UDP 192.0.2.1:0;branch=z9hG4bK1\r\n" H_FROM H_TO H_CID
	    H_CSEQ "\r\n", NET_UDP, 400, "Malformed Via header" },
	{ "via host chars", H_OPT "Via: SIP/2.0/UDP exa$mple!com:5060;branch=z9hG4bK1\r\n" H_FROM
	    H_TO H_CID H_CSEQ "\r\n", NET_UDP, 400, "Malformed Via header" },
	{ "via v6 chars", H_OPT "Via: SIP/2.0/UDP [2001:db8::g]:5060;branch=z9hG4bK1\r\n" H_FROM
	    H_TO H_CID H_CSEQ "\r\n", NET_UDP, 400, "Malformed Via header" },
	/* RFC 4475 §3.1.2.1: libosip2 refuses the whole message for this Via. */
	{ "via empty params", H_OPT "Via: SIP/2.0/UDP 192.0.2.1;;,;,,\r\n" H_FROM H_TO H_CID
	    H_CSEQ "\r\n", NET_UDP, 400, "Malformed Via header" },
	/* RFC 4475 §3.1.2.6, §3.1.2.15: ... and for these From headers. */
	{ "from open quote", H_OPT H_VIA "From: \"Bell, Alexander <sip:a@a>;tag=1\r\n" H_TO H_CID
	    H_CSEQ "\r\n", NET_UDP, 400, "Malformed From header" },
	{ "from compact comma", H_OPT H_VIA "f: Bell, Alexander <sip:a@a>;tag=1\r\n" H_TO H_CID
	    H_CSEQ "\r\n", NET_UDP, 400, "Malformed From header" },
	/* RFC 4475 §3.1.2.7-9: not a URI, LWS in it, several SP around it. */
	{ "ruri in <>", "OPTIONS <sip:bob@b> SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed Request-URI" },
	{ "ruri lws", "OPTIONS sip:bob@b; lr SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed Request-URI" },
	{ "ruri two sp", "OPTIONS  sip:bob@b  SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed Request-URI" },
	{ "ruri no scheme", "OPTIONS bob@b SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed Request-URI" },
	{ "ruri bad version first", "OPTIONS <sip:bob@b> SIP/7.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ
	    "\r\n", NET_UDP, 505, "Version Not Supported" },
	/* §8.2, §16.3: URIs of our schemes that libosip2 refuses, and the whole request with them. */
	RURI_BAD("sip:"),
	RURI_BAD("sips:"),
	RURI_BAD("tel:"),
	RURI_BAD("Sip:"),
	RURI_BAD("sip:bob@b:99999999999"),
	RURI_BAD("sip:bob@"),
	RURI_BAD("sip:bob@b:"),
	RURI_BAD("sip:bob:pw@"),
	RURI_BAD("sip:]"),
	/* ... and ones it takes, wrongly: host "[:" port "1"; port "x"; host "b@c". */
	RURI_BAD("sip:bob@[::1"),
	RURI_BAD("sips:bob@[::1"),
	RURI_BAD("sip:bob@b:x"),
	RURI_BAD("sip:bob@b:65536"),
	RURI_BAD("sip:bob@b@c"),
	RURI_BAD("sip:::1"),
	RURI_BAD("sip:bob@[2001:db8::g]"),
	/* §25.1: Method is a token; SIP-Version is "SIP/" 1*DIGIT "." 1*DIGIT. */
	{ "method @", "OPT@IONS sip:bob@b SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID "CSeq: 7 OPT@IONS\r\n\r\n",
	    NET_UDP, 400, "Malformed Method" },
	{ "method quote", "OPT\"IONS sip:bob@b SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed Method" },
	{ "method htab", "\tOPTIONS sip:bob@b SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed Method" },
	{ "method utf-8", "OPT\xc3\xa9IONS sip:bob@b SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed Method" },
	VERSION_BAD("SIP/2.0x"),
	VERSION_BAD("SIP/2"),
	VERSION_BAD("SIP/"),
	VERSION_BAD("SIP/2."),
	VERSION_BAD("SIP/.0"),
	VERSION_BAD("SIP/2.0.1"),
	VERSION_BAD("SIP/a.b"),
	{ "version leading zero", "OPTIONS sip:bob@b SIP/02.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 505, "Version Not Supported" },
	{ "version first", "OPT@IONS sip: SIP/2.0x\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed SIP-Version" },
	{ "method before uri", "OPT@IONS sip: SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 400, "Malformed Method" },
	{ "505 before method", "OPT@IONS sip: SIP/3.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
	    NET_UDP, 505, "Version Not Supported" },
	{ "ruri before headers", "OPTIONS sip: SIP/2.0\r\n" H_VIA "From: \"x <sip:a@a>;tag=1\r\n" H_TO
	    H_CID H_CSEQ "\r\n", NET_UDP, 400, "Malformed Request-URI" },
	{ "ruri folded headers", "OPTIONS sip:bob@ SIP/2.0\r\n" H_VIA H_FROM "To:\r\n <sip:bob@b>\r\n"
	    H_CID H_CSEQ "\r\n", NET_UDP, 400, "Malformed Request-URI" },
};

START_TEST(malformed_request)
{
	const struct bad_case *c = &bad[_i];
	struct sip_msg *m = NULL;
	struct msg_err e;

	ck_assert_msg(msg_parse(&m, c->text, strlen(c->text), false) == 0, "%s: no parse", c->name);
	m->src.proto = c->proto;
	ck_assert_msg(!msg_check_request(m, &e), "%s: passed", c->name);
	ck_assert_msg(e.code == c->code, "%s: code %d", c->name, e.code);
	ck_assert_msg(strcmp(e.reason, c->reason) == 0, "%s: reason '%s'", c->name, e.reason);
	msg_free(m);
}
END_TEST

START_TEST(oversize_is_513)
{
	const char *s = H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Content-Length: 900000\r\n\r\n";
	struct sip_msg *m = NULL;
	struct msg_err e;

	ck_assert_int_eq(msg_parse(&m, s, strlen(s), true), 0);
	ck_assert(!msg_check_request(m, &e));
	ck_assert_int_eq(e.code, 513);
	msg_free(m);
}
END_TEST

START_TEST(no_branch_is_fine)
{
	const char *s = H_OPT "Via: SIP/2.0/UDP 192.0.2.1\r\n" H_FROM H_TO H_CID H_CSEQ "\r\n";
	struct sip_msg *m = parse(s, NET_UDP);
	struct msg_err e;

	ck_assert(msg_check_request(m, &e));
	ck_assert_ptr_null(m->branch);
	msg_free(m);
}
END_TEST

START_TEST(udp_extra_bytes_dropped)
{
	const char *s = H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Content-Type: application/sdp\r\n"
			    "Content-Length: 3\r\n\r\nabcdef";
	struct sip_msg *m = parse(s, NET_UDP);
	struct msg_err e;

	ck_assert(msg_check_request(m, &e));
	ck_assert_uint_eq(msg_body_len(m), 3);
	msg_free(m);
}
END_TEST

START_TEST(garbage_is_ebadmsg)
{
	static const char *const g[] = { "", "hello", "\r\n\r\n", "INVITE\r\n\r\n",
		"SIP/2.0 abc\r\n\r\n", "\x01\x02\x03\x04\x05\x06\x07\x08\n" };
	struct sip_msg *m = NULL;

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		ck_assert_int_eq(msg_parse(&m, g[i], strlen(g[i]), false), -EBADMSG);
}
END_TEST

START_TEST(response_checks)
{
	const char *ok = "SIP/2.0 200 OK\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n";
	const char *nocseq = "SIP/2.0 200 OK\r\n" H_VIA H_FROM H_TO H_CID "\r\n";
	const char *novia = "SIP/2.0 486 Busy\r\n" H_FROM H_TO H_CID H_CSEQ "\r\n";
	const char *code = "SIP/2.0 999 Odd\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n";
	const char *why = NULL;
	struct sip_msg *m;

	m = parse(ok, NET_UDP);
	ck_assert(msg_check_response(m, &why));
	ck_assert_int_eq(m->status, 200);
	ck_assert_str_eq(m->method, "OPTIONS");
	msg_free(m);
	/* A response with no CSeq has no method: nothing could match it. */
	ck_assert_int_eq(msg_parse(&m, nocseq, strlen(nocseq), false), -EBADMSG);
	m = parse(novia, NET_UDP);
	ck_assert(!msg_check_response(m, &why));
	ck_assert_str_eq(why, "no Via");
	msg_free(m);
	m = parse(code, NET_UDP);
	ck_assert(!msg_check_response(m, &why));
	ck_assert_str_eq(why, "status code out of range");
	msg_free(m);
}
END_TEST

START_TEST(stamp_and_route)
{
	const char *s = H_OPT "Via: SIP/2.0/UDP 192.0.2.1:5070;rport;branch=z9hG4bKr\r\n" H_FROM H_TO
			    H_CID H_CSEQ "\r\n";
	struct sip_msg *m = parse(s, NET_UDP), *m2;
	struct sip_dest d;
	char a[NET_ADDR_STRLEN], *buf;
	size_t len;

	ck_assert_int_eq(msg_stamp_via(m), 0);
	msg_response_dest(m, &d);
	ck_assert_str_eq(net_addr_fmt(&d.addr, a, sizeof(a)), "192.0.2.9:40000");
	ck_assert_int_eq(msg_to_str(m, &buf, &len), 0);
	ck_assert_ptr_nonnull(strstr(buf, "received=192.0.2.9"));
	ck_assert_ptr_nonnull(strstr(buf, "rport=40000"));
	free(buf);
	msg_free(m);

	/* No Via at all (answered 400): back to the source as it is. */
	m2 = parse(H_OPT H_FROM H_TO H_CID H_CSEQ "\r\n", NET_UDP);
	msg_response_dest(m2, &d);
	ck_assert_str_eq(net_addr_fmt(&d.addr, a, sizeof(a)), "192.0.2.9:40000");
	msg_free(m2);

	/* No rport: the sent-by port, at the source address. */
	m2 = parse(H_GOOD, NET_UDP);
	ck_assert_int_eq(msg_stamp_via(m2), 0);
	msg_response_dest(m2, &d);
	ck_assert_str_eq(net_addr_fmt(&d.addr, a, sizeof(a)), "192.0.2.9:5070");
	msg_free(m2);
}
END_TEST

START_TEST(build_response)
{
	struct sip_msg *m = parse(H_GOOD, NET_UDP), *r = NULL;
	char *buf;
	size_t len;

	ck_assert_int_eq(msg_build_response(&r, m, 486, NULL, "tt1"), 0);
	ck_assert_int_eq(r->status, 486);
	ck_assert_str_eq(r->to_tag, "tt1");
	ck_assert_str_eq(r->branch, "z9hG4bKabc");
	ck_assert_str_eq(r->call_id, "c1@host");
	ck_assert_int_eq(msg_add_header(r, "Allow", "OPTIONS"), 0);
	ck_assert_int_eq(msg_to_str(r, &buf, &len), 0);
	ck_assert_int_eq(strncmp(buf, "SIP/2.0 486 Busy Here\r\n", 23), 0);
	ck_assert_ptr_nonnull(strstr(buf, "CSeq: 7 OPTIONS\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Allow: OPTIONS\r\n"));
	free(buf);
	msg_free(r);
	/* 100 never gets a tag. */
	ck_assert_int_eq(msg_build_response(&r, m, 100, NULL, "tt1"), 0);
	ck_assert_ptr_null(r->to_tag);
	msg_free(r);
	msg_free(m);
}
END_TEST

/* §17.1.1.3: the ACK for a 486, from the INVITE and the response. */
START_TEST(build_ack)
{
	const char *inv_s =
	    "INVITE sip:bob@b:5070 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKinv\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKup\r\n"
	    "Route: <sip:p1@192.0.2.3;lr>\r\nRoute: <sip:p2@192.0.2.4;lr>\r\n" H_FROM H_TO H_CID
	    "CSeq: 12 INVITE\r\nMax-Forwards: 69\r\n"
	    "Contact: <sip:alice@192.0.2.1>\r\nContent-Type: application/sdp\r\n"
	    "Content-Length: 3\r\n\r\nv=0";
	struct sip_msg *inv = parse(inv_s, NET_UDP), *resp = NULL, *ack = NULL, *noto;
	char *buf, *uri = NULL;
	size_t len;

	ck_assert_int_eq(msg_build_response(&resp, inv, 486, NULL, "rt1"), 0);
	ck_assert_int_eq(msg_build_ack(&ack, inv, resp), 0);
	ck_assert(ack->is_request);
	ck_assert_str_eq(ack->method, "ACK");
	ck_assert_uint_eq(ack->cseq, 12);
	ck_assert_str_eq(ack->call_id, "c1@host");
	ck_assert_str_eq(ack->from_tag, "f1");
	ck_assert_str_eq(ack->to_tag, "rt1");
	ck_assert_str_eq(ack->branch, "z9hG4bKinv");
	ck_assert_int_eq(msg_ruri(ack, &uri), 0);
	ck_assert_str_eq(uri, "sip:bob@b:5070");
	free(uri);
	ck_assert_int_eq(msg_to_str(ack, &buf, &len), 0);
	ck_assert_int_eq(strncmp(buf, "ACK sip:bob@b:5070 SIP/2.0\r\n", 28), 0);
	ck_assert_ptr_nonnull(strstr(buf, "CSeq: 12 ACK\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Max-Forwards: 70\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "Content-Length: 0\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "<sip:p1@192.0.2.3;lr>"));
	ck_assert_ptr_nonnull(strstr(buf, "<sip:p2@192.0.2.4;lr>"));
	/* The INVITE's Route set, in order. */
	ck_assert(strstr(buf, "p1@") < strstr(buf, "p2@"));
	ck_assert_ptr_null(strstr(buf, "z9hG4bKup")); /* the top Via only */
	ck_assert_ptr_null(strstr(buf, "Contact"));
	ck_assert_ptr_null(strstr(buf, "v=0"));
	free(buf);
	msg_free(ack);
	ack = NULL;

	/* A response without To cannot be acknowledged; *ackp is left alone. */
	noto = parse("SIP/2.0 486 Busy Here\r\n" H_VIA H_FROM H_CID "CSeq: 12 INVITE\r\n\r\n",
		     NET_UDP);
	ck_assert_int_eq(msg_build_ack(&ack, inv, noto), -EINVAL);
	ck_assert_ptr_null(ack);
	msg_free(noto);
	msg_free(resp);
	msg_free(inv);
}
END_TEST

START_TEST(request_uri)
{
	struct sip_msg *m = parse(H_GOOD, NET_UDP), *r = NULL;
	char *uri = NULL;

	ck_assert_int_eq(msg_ruri(m, &uri), 0);
	ck_assert_str_eq(uri, "sip:bob@b");
	free(uri);
	/* A response has none. */
	uri = NULL;
	ck_assert_int_eq(msg_build_response(&r, m, 200, NULL, "t"), 0);
	ck_assert_int_eq(msg_ruri(r, &uri), -EINVAL);
	ck_assert_ptr_null(uri);
	msg_free(r);
	msg_free(m);
}
END_TEST

START_TEST(set_to_tag)
{
	struct sip_msg *m = parse(H_GOOD, NET_UDP), *r = NULL;
	char *buf;
	size_t len;

	ck_assert_int_eq(msg_build_response(&r, m, 180, NULL, NULL), 0);
	ck_assert_ptr_null(r->to_tag);
	ck_assert_int_eq(msg_set_to_tag(r, "x1"), 0);
	ck_assert_str_eq(r->to_tag, "x1");
	ck_assert_str_eq(r->call_id, "c1@host"); /* the other derived fields stay */
	/* A second tag replaces the first: a To has one tag. */
	ck_assert_int_eq(msg_set_to_tag(r, "x2"), 0);
	ck_assert_str_eq(r->to_tag, "x2");
	ck_assert_int_eq(msg_to_str(r, &buf, &len), 0);
	ck_assert_ptr_nonnull(strstr(buf, ";tag=x2\r\n"));
	ck_assert_ptr_null(strstr(buf, "x1"));
	free(buf);
	msg_free(r);
	/* No To: nothing to tag. */
	r = parse("SIP/2.0 180 Ringing\r\n" H_VIA H_FROM H_CID H_CSEQ "\r\n", NET_UDP);
	ck_assert_int_eq(msg_set_to_tag(r, "x3"), -EINVAL);
	ck_assert_ptr_null(r->to_tag);
	msg_free(r);
	msg_free(m);
}
END_TEST

START_TEST(header_helpers)
{
	const char *s = H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Require: foo\r\nRequire: bar, baz\r\n"
			    "Content-Type: Application/SDP\r\nContent-Length: 2\r\n\r\nv=";
	struct sip_msg *m = parse(s, NET_UDP);
	char buf[64];

	/* libosip2 keeps each comma-separated value as a header of its own. */
	ck_assert_uint_eq(msg_header_join(m, "Require", NULL, buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "foo, bar, baz");
	ck_assert_str_eq(msg_content_type(m, buf, sizeof(buf)), "application/sdp");
	ck_assert_uint_eq(msg_body_len(m), 2);
	ck_assert_ptr_null(msg_header(m, "Supported", "k"));
	msg_free(m);
}
END_TEST

/* The dialog fields dlg.c reads through msg.h (§12.1): URIs as addr-spec text. */
START_TEST(dialog_fields)
{
	const char *s = "INVITE sip:bob@b SIP/2.0\r\n" H_VIA
			"Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;transport=tcp>\r\n"
			"Record-Route: <sip:p0.example.com;lr;x=y>\r\n"
			"From: \"Alice\" <sip:alice@a.example>;tag=f1\r\nTo: Bob <sip:bob@b.example>\r\n"
			H_CID "CSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.1:5070;ob>;expires=60\r\n"
			"Content-Length: 0\r\n\r\n";
	struct sip_msg *m = parse(s, NET_UDP), *r = NULL;
	char *rr[4] = { NULL }, *u = NULL, buf[16];
	bool lr = false;

	ck_assert_int_eq(msg_from_uri(m, &u), 0);
	ck_assert_str_eq(u, "sip:alice@a.example");
	free(u);
	ck_assert_int_eq(msg_to_uri(m, &u), 0);
	ck_assert_str_eq(u, "sip:bob@b.example");
	free(u);
	ck_assert_int_eq(msg_contact_uri(m, 0, &u), 0);
	ck_assert_str_eq(u, "sip:alice@192.0.2.1:5070;ob");
	free(u);
	u = NULL;
	ck_assert_int_eq(msg_contact_uri(m, 1, &u), -ENOENT);
	ck_assert_ptr_null(u);
	/* Three entries, in order; max 0 only counts, a short array is filled in part. */
	ck_assert_int_eq(msg_record_routes(m, NULL, 0), 3);
	ck_assert_int_eq(msg_record_routes(m, rr, 2), 3);
	ck_assert_str_eq(rr[0], "<sip:p2.example.com;lr>");
	ck_assert_str_eq(rr[1], "<sip:p1.example.com;transport=tcp>");
	ck_assert_ptr_null(rr[2]);
	ck_assert_int_eq(msg_route_uri(rr[0], &u, &lr), 0);
	ck_assert_str_eq(u, "sip:p2.example.com;lr");
	ck_assert(lr);
	free(u);
	ck_assert_int_eq(msg_route_uri(rr[1], &u, &lr), 0);
	ck_assert_str_eq(u, "sip:p1.example.com;transport=tcp");
	ck_assert(!lr);
	free(u);
	ck_assert_int_eq(msg_route_uri("<sip:a@b>\r\nX: y", &u, &lr), -EINVAL);
	free(rr[0]);
	free(rr[1]);
	ck_assert_str_eq(msg_ruri_scheme(m, buf, sizeof(buf)), "sip");
	/* A response: no Request-URI; no Record-Route, no Contact. */
	ck_assert_int_eq(msg_build_response(&r, m, 200, NULL, "t1"), 0);
	ck_assert_ptr_null(msg_ruri_scheme(r, buf, sizeof(buf)));
	ck_assert_int_eq(msg_record_routes(r, rr, 4), 0);
	/*
	 * §12.1.1: a UAS copies every Record-Route of the request into the
	 * response that establishes the dialog, in order; on the wire they
	 * come one value per line, the same set as the request's two lines.
	 */
	{
		struct sip_msg *rc = NULL;
		char *text = NULL, *p1, *p2, *p0;
		size_t len;

		ck_assert_int_eq(msg_build_response(&rc, m, 180, NULL, "t1"), 0);
		ck_assert_int_eq(msg_copy_record_routes(rc, m), 0);
		ck_assert_int_eq(msg_record_routes(rc, NULL, 0), 3);
		ck_assert_int_eq(msg_to_str(rc, &text, &len), 0);
		p2 = strstr(text, "\r\nRecord-Route: <sip:p2.example.com;lr>\r\n");
		p1 = strstr(text, "\r\nRecord-Route: <sip:p1.example.com;transport=tcp>\r\n");
		p0 = strstr(text, "\r\nRecord-Route: <sip:p0.example.com;lr;x=y>\r\n");
		ck_assert_msg(p2 && p1 && p0 && p2 < p1 && p1 < p0, "Record-Route set: %s", text);
		free(text);
		msg_free(rc);
	}
	ck_assert_int_eq(msg_contact_uri(r, 0, &u), -ENOENT);
	ck_assert_int_eq(msg_add_route(r, "<sip:p9.example.com;lr>"), 0);
	ck_assert_int_eq(msg_add_route(r, "<sip:p8\r\nX: y>"), -EINVAL);
	msg_free(r);
	msg_free(m);
	/* Contact: * has no URI. */
	m = parse("REGISTER sip:b SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID
		  "CSeq: 2 REGISTER\r\nContact: *\r\nExpires: 0\r\n\r\n", NET_UDP);
	ck_assert_int_eq(msg_contact_uri(m, 0, &u), -ENOENT);
	msg_free(m);
}
END_TEST

/* §7.3.1, §25.1: the RFC 4475 §3.1.1.1 "wsinv" message, with our own values. */
#define WSINV                                                                                      \
	"INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n"                        \
	"TO :\r\n"                                                                                 \
	" sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"                           \
	"from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n"                    \
	"  ;\r\n"                                                                                  \
	"  tag = 98asjd8\r\n"                                                                      \
	"MaX-fOrWaRdS: 0068\r\n"                                                                   \
	"Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"                                                     \
	"Content-Length   : 5\r\n"                                                                 \
	"cseq: 0009\r\n"                                                                           \
	"  INVITE\r\n"                                                                             \
	"Via  : SIP  /   2.0\r\n"                                                                  \
	" /UDP\r\n"                                                                                \
	"    192.0.2.2;branch=390skdjuw\r\n"                                                       \
	"s :\r\n"                                                                                  \
	"NewFangledHeader:   newfangled value\r\n"                                                 \
	" continued newfangled value\r\n"                                                          \
	"UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"                                              \
	"Content-Type: application/sdp\r\n"                                                       \
	"Route:\r\n"                                                                               \
	" <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n"                    \
	"v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n"                                    \
	"  branch  =   z9hG4bK9ikj8  ,\r\n"                                                        \
	" SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n"                                  \
	" z9hG4bK30239\r\n"                                                                        \
	"m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n"                  \
	"      newvalue ;\r\n"                                                                     \
	"  secondparam ; q = 0.33\r\n"                                                             \
	"\r\n"                                                                                     \
	"v=0\r\n"

START_TEST(folded_and_tabs_wsinv)
{
	struct sip_msg *m = parse(WSINV, NET_UDP);
	struct msg_err e;
	char *u = NULL;

	ck_assert_msg(msg_check_request(m, &e), "%d %s", e.code, e.reason);
	ck_assert_str_eq(m->method, "INVITE");
	ck_assert_uint_eq(m->cseq, 9);
	ck_assert_str_eq(m->call_id, "wsinv.ndaksdj@192.0.2.1");
	ck_assert_str_eq(m->from_tag, "98asjd8");
	ck_assert_str_eq(m->to_tag, "1918181833n");
	ck_assert_str_eq(m->via_host, "192.0.2.2");
	ck_assert_str_eq(m->branch, "390skdjuw");
	ck_assert_str_eq(msg_header(m, "Max-Forwards", NULL), "0068");
	/* A folded value reads as one line, its fold one SP. */
	ck_assert_str_eq(msg_header(m, "NewFangledHeader", NULL),
			 "newfangled value continued newfangled value");
	ck_assert_uint_eq(msg_body_len(m), 5);
	ck_assert_int_eq(msg_contact_uri(m, 0, &u), 0);
	ck_assert_str_eq(u, "sip:jdrosen@example.com");
	free(u);
	ck_assert_int_eq(msg_record_routes(m, NULL, 0), 0);
	msg_free(m);
}
END_TEST

/* HTAB is LWS (§25.1) and a fold may start with one (§7.3.1), in every header. */
START_TEST(folded_and_tabs_every_header)
{
	static const char *const msgs[] = {
		"OPTIONS sip:bob@b SIP/2.0\r\n"
		"Via:\tSIP/2.0/UDP\t192.0.2.1:5070;branch=z9hG4bKt\r\n"
		"Max-Forwards:\t70\r\n"
		"From:\t\"A\tTab\"\t<sip:alice@a>\t;\ttag=f1\r\n"
		"To:\t<sip:bob@b>\r\n"
		"Call-ID:\tc1@host\r\n"
		"CSeq:\t7\tOPTIONS\r\n"
		"Content-Length:\t0\t\r\n\r\n",
		"OPTIONS sip:bob@b SIP/2.0\r\n"
		"Via: SIP/2.0/UDP\r\n 192.0.2.1:5070\r\n ;branch=z9hG4bKt\r\n"
		"Max-Forwards:\r\n 70\r\n"
		"From:\r\n\t<sip:alice@a>\r\n ;tag=f1\r\n"
		"To:\r\n <sip:bob@b>\r\n"
		"Call-ID:\r\n  c1@host\r\n"
		"CSeq: 7\r\n\tOPTIONS\r\n"
		"Content-Length:\r\n 0\r\n\r\n",
	};
	struct msg_err e;

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct sip_msg *m = parse(msgs[i], NET_TCP);

		ck_assert_msg(msg_check_request(m, &e), "#%zu: %d %s", i, e.code, e.reason);
		ck_assert_uint_eq(m->cseq, 7);
		ck_assert_str_eq(m->method, "OPTIONS");
		ck_assert_str_eq(m->call_id, "c1@host");
		ck_assert_str_eq(m->from_tag, "f1");
		ck_assert_str_eq(m->via_host, "192.0.2.1");
		ck_assert_uint_eq(m->via_port, 5070);
		ck_assert_str_eq(m->branch, "z9hG4bKt");
		ck_assert_str_eq(msg_header(m, "Max-Forwards", NULL), "70");
		msg_free(m);
	}
}
END_TEST

/* §7, §18.3: a datagram without the empty line is not a message. */
START_TEST(no_empty_line)
{
	const char *s = H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ "Content-Length: 0\r\n";
	struct sip_msg *m = NULL;
	struct msg_err e;

	ck_assert_int_eq(msg_parse(&m, s, strlen(s), false), -EBADMSG);
	ck_assert_ptr_null(m);
	/* The lines of a header block that outgrew the limit (TCP) are still answered 513. */
	ck_assert_int_eq(msg_parse(&m, s, strlen(s), true), 0);
	ck_assert(!msg_check_request(m, &e));
	ck_assert_int_eq(e.code, 513);
	msg_free(m);
}
END_TEST

/* §8.2.2.1: URIs of other schemes, some libosip2 cannot parse, keep their scheme. */
START_TEST(foreign_scheme)
{
	static const char *const uris[][2] = {
		{ "soap.beep://192.0.2.103:3002", "soap.beep" },
		{ "unknownscheme:unknowncontent", "unknownscheme" },
		{ "HTTP://example.com/x", "http" },
		{ "x-very-long-scheme-name+1:abc", "x-very-long-sch" },
	};
	char text[512], buf[16];
	struct msg_err e;

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct sip_msg *m;

		snprintf(text, sizeof(text), "OPTIONS %s SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
			 uris[i][0]);
		m = parse(text, NET_UDP);
		ck_assert_msg(msg_check_request(m, &e), "%s: %d %s", uris[i][0], e.code, e.reason);
		ck_assert_str_eq(msg_ruri_scheme(m, buf, sizeof(buf)), uris[i][1]);
		msg_free(m);
	}
}
END_TEST

/* RFC 4475 §3.1.2.10: SP after the version is taken. */
START_TEST(request_line_trailing_sp)
{
	struct sip_msg *m = parse("OPTIONS sip:bob@b SIP/2.0   \r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
				  NET_UDP);
	struct msg_err e;
	char *u = NULL;

	ck_assert_msg(msg_check_request(m, &e), "%d %s", e.code, e.reason);
	ck_assert_int_eq(msg_ruri(m, &u), 0);
	ck_assert_str_eq(u, "sip:bob@b");
	free(u);
	msg_free(m);
}
END_TEST

/* §20.42: the sent-by forms that are fine; a bad one goes back to the source. */
START_TEST(via_sent_by)
{
	static const char *const ok[] = {
		"Via: SIP/2.0/UDP host-1.example.com:5070;branch=z9hG4bK1\r\n",
		"Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1\r\n",
		"Via: SIP/2.0/UDP 192.0.2.1:65535;branch=z9hG4bK1\r\n",
		"Via: SIP/2.0/TCP example.com.;branch=z9hG4bK1\r\n",
	};
	char text[512], a[NET_ADDR_STRLEN];
	struct sip_dest d;
	struct msg_err e;
	struct sip_msg *m;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), H_OPT "%s" H_FROM H_TO H_CID H_CSEQ "\r\n", ok[i]);
		m = parse(text, NET_UDP);
		ck_assert_msg(msg_check_request(m, &e), "%s: %d %s", ok[i], e.code, e.reason);
		msg_free(m);
	}
	m = parse(H_OPT "Via: SIP/2.0/UDP 192.0.2.1:notaport;branch=z9hG4bK1\r\n" H_FROM H_TO H_CID
		  H_CSEQ "\r\n", NET_UDP);
	ck_assert_ptr_null(m->via_host);
	msg_response_dest(m, &d);
	ck_assert_str_eq(net_addr_fmt(&d.addr, a, sizeof(a)), "192.0.2.9:40000");
	msg_free(m);
	/* A response with such a Via cannot be matched: dropped. */
	m = parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:99999;branch=z9hG4bK1\r\n" H_FROM H_TO
		  H_CID H_CSEQ "\r\n", NET_UDP);
	ck_assert(!msg_check_response(m, NULL));
	msg_free(m);
}
END_TEST

/*
 * A request whose Request-URI libosip2 cannot read is still a request:
 * its 400 carries its Via, From, To, Call-ID and CSeq, and goes to its
 * source address at the sent-by port (§18.2.2), like any other.
 */
START_TEST(ruri_unreadable_answered)
{
	struct sip_msg *m = parse("OPTIONS sip:bob@b:99999999999 SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID
				  H_CSEQ "\r\n", NET_UDP), *r = NULL;
	char a[NET_ADDR_STRLEN], buf[16], *text;
	struct sip_dest d;
	struct msg_err e;
	size_t len;

	ck_assert_str_eq(m->method, "OPTIONS");
	ck_assert_str_eq(msg_ruri_scheme(m, buf, sizeof(buf)), "sip");
	ck_assert(!msg_check_request(m, &e));
	ck_assert_int_eq(e.code, 400);
	ck_assert_str_eq(e.reason, "Malformed Request-URI");
	ck_assert_int_eq(msg_stamp_via(m), 0);
	msg_response_dest(m, &d);
	ck_assert_str_eq(net_addr_fmt(&d.addr, a, sizeof(a)), "192.0.2.9:5070");
	ck_assert_int_eq(msg_build_response(&r, m, e.code, e.reason, "t9"), 0);
	ck_assert_int_eq(msg_to_str(r, &text, &len), 0);
	ck_assert_int_eq(strncmp(text, "SIP/2.0 400 Malformed Request-URI\r\n", 35), 0);
	ck_assert_ptr_nonnull(strstr(text, "branch=z9hG4bKabc"));
	ck_assert_ptr_nonnull(strstr(text, "received=192.0.2.9"));
	ck_assert_ptr_nonnull(strstr(text, "Call-ID: c1@host\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "CSeq: 7 OPTIONS\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "tag=f1"));
	free(text);
	msg_free(r);
	msg_free(m);
}
END_TEST

/* Request-URIs of our schemes that are fine, however they are written. */
START_TEST(ruri_good_forms)
{
	static const char *const uris[] = {
		"sip:[::1]:5060", "sip:bob@[2001:db8::1]", "sip:bob@192.0.2.1:5",
		"sip:bob@b.example.", "sips:bob@b;transport=tcp", "SIP:bob@b", "sip:bob@b:65535",
		"sip:bob@b?subject=x", "tel:+1-555-0100", "tel:7042;phone-context=example.com",
	};
	char text[512];
	struct msg_err e;

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct sip_msg *m;

		snprintf(text, sizeof(text), "OPTIONS %s SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n",
			 uris[i]);
		m = parse(text, NET_UDP);
		ck_assert_msg(msg_check_request(m, &e), "%s: %d %s", uris[i], e.code, e.reason);
		msg_free(m);
	}
}
END_TEST

/*
 * A start line of neither shape ("Method SP Request-URI SP SIP/..." or
 * "SIP/... SP ...") is not a SIP message, whatever headers follow: dropped.
 */
START_TEST(not_a_request_line)
{
	static const char *const lines[] = {
		"OPTIONS sip:bob@b", "OPTIONS", "OPTIONS sip:bob@b SIPX", "OPTIONS sip:bob@b HTTP/1.1",
		"GET / HTTP/1.1", " OPTIONS sip:bob@b SIP/2.0", "OPTIONS\tsip:bob@b SIP/2.0",
		"OPTIONS sip:bob@b\tSIP/2.0", "OPTIONS sip:bob@b SIPS/2.0", "OPTIONS SIP/2.0",
		"OPTIONS sip:bob@b SIP/2.0 x",
		/* §7.5: the transports skip CRLFs before the start line; here it is empty. */
		"\r\nOPTIONS sip:bob@b SIP/2.0",
	};
	char text[512];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct sip_msg *m = NULL;

		snprintf(text, sizeof(text), "%s\r\n" H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n", lines[i]);
		ck_assert_msg(msg_parse(&m, text, strlen(text), false) == -EBADMSG, "'%s' parsed",
			      lines[i]);
		ck_assert_ptr_null(m);
	}
}
END_TEST

/* A NUL or a control character in a request-line field: the field is malformed, not the message. */
START_TEST(request_line_nul)
{
	static const struct {
		const char *line;
		size_t len;
		const char *reason;
	} c[] = {
#define LINE(s) s, sizeof(s) - 1
		{ LINE("OPT\0IONS sip:bob@b SIP/2.0\r\n"), "Malformed Method" },
		{ LINE("OPTIONS sip:b\0b@b SIP/2.0\r\n"), "Malformed Request-URI" },
		{ LINE("OPTIONS sip:bob@b SIP/2.\0\r\n"), "Malformed SIP-Version" },
		{ LINE("OPT\x01IONS sip:bob@b SIP/2.0\r\n"), "Malformed Method" },
#undef LINE
	};
	const char rest[] = H_VIA H_FROM H_TO H_CID H_CSEQ "\r\n";
	char text[512];
	struct msg_err e;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sip_msg *m = NULL;

		memcpy(text, c[i].line, c[i].len);
		memcpy(text + c[i].len, rest, sizeof(rest));
		ck_assert_msg(msg_parse(&m, text, c[i].len + sizeof(rest) - 1, false) == 0, "%zu: no parse",
			      i);
		ck_assert(!msg_check_request(m, &e));
		ck_assert_int_eq(e.code, 400);
		ck_assert_str_eq(e.reason, c[i].reason);
		msg_free(m);
	}
}
END_TEST

/* Header parameters, as Content-Disposition's handling (§20.11). */
START_TEST(header_param)
{
	const char *s = H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ
	    "Content-Disposition: render ; x=\"a;b\" ;HANDLING = \"optional\" ; flag\r\n\r\n";
	struct sip_msg *m = parse(s, NET_UDP);
	char buf[32];

	ck_assert_str_eq(msg_header_param(m, "Content-Disposition", NULL, "handling", buf, sizeof(buf)),
			 "optional");
	ck_assert_str_eq(msg_header_param(m, "Content-Disposition", NULL, "x", buf, sizeof(buf)), "a;b");
	ck_assert_str_eq(msg_header_param(m, "Content-Disposition", NULL, "flag", buf, sizeof(buf)), "");
	ck_assert_ptr_null(msg_header_param(m, "Content-Disposition", NULL, "render", buf, sizeof(buf)));
	ck_assert_ptr_null(msg_header_param(m, "Content-Disposition", NULL, "hand", buf, sizeof(buf)));
	ck_assert_ptr_null(msg_header_param(m, "Subject", "s", "handling", buf, sizeof(buf)));
	msg_free(m);
}
END_TEST

/* A body read only as the type asked for. */
START_TEST(body_of_type)
{
	const char *s = H_OPT H_VIA H_FROM H_TO H_CID H_CSEQ
	    "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
	struct sip_msg *m = parse(s, NET_UDP);
	size_t len = 9;

	ck_assert_ptr_null(msg_body_of_type(m, "application/sdp", &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(msg_body_of_type(m, "Text/Plain", &len));
	ck_assert_uint_eq(len, 2);
	msg_free(m);
	m = parse(H_GOOD, NET_UDP);
	ck_assert_ptr_null(msg_body_of_type(m, "application/sdp", &len));
	msg_free(m);
}
END_TEST

START_TEST(reasons)
{
	ck_assert_str_eq(msg_reason(481), "Call/Transaction Does Not Exist");
	ck_assert_str_eq(msg_reason(299), "Unknown");
}
END_TEST

/* msg_uri_dest: RFC 3263 §4 for IP literals; every refusal names its fault. */
static const struct uri_case {
	const char *uri;
	int err;
	enum net_proto proto;
	const char *addr; /* net_addr_fmt() of the destination */
	const char *why;  /* a substring of why */
} uris[] = {
    {"sip:127.0.0.1", 0, NET_UDP, "127.0.0.1:5060", NULL},
    {"sip:bob@[::1]:5070;transport=tcp", 0, NET_TCP, "[::1]:5070", NULL},
    {"sip:bob@192.0.2.1:5062;transport=UDP", 0, NET_UDP, "192.0.2.1:5062", NULL},
    {"SIP:alice@[2001:db8::7]", 0, NET_UDP, "[2001:db8::7]:5060", NULL},
    {"sip:10.0.0.1;maddr=192.0.2.9;lr", 0, NET_UDP, "10.0.0.1:5060", NULL},
    {"sip:10.0.0.1:65535;transport=tcp?Subject=x", 0, NET_TCP, "10.0.0.1:65535", NULL},
    {"tel:+15551234567", -EINVAL, 0, NULL, "'tel:' URIs are not supported"},
    {"http://192.0.2.1/", -EINVAL, 0, NULL, "'http:' URIs are not supported"},
    {"sip:example.com", -EINVAL, 0, NULL,
     "host 'example.com' is not an IP address (DNS names are not supported yet)"},
    {"sip:bob@example.com:5070;transport=tcp", -EINVAL, 0, NULL, "'example.com'"},
    {"sip:1.2.3.4;transport=tls", 0, NET_TLS, "1.2.3.4:5061", NULL},
    {"sips:bob@[::1]:5071", 0, NET_TLS, "[::1]:5071", NULL},
    {"sips:1.2.3.4;transport=tcp", 0, NET_TLS, "1.2.3.4:5061", NULL},
    {"SIPS:1.2.3.4;transport=TLS", 0, NET_TLS, "1.2.3.4:5061", NULL},
    {"sips:1.2.3.4;transport=udp", -EPROTONOSUPPORT, 0, NULL,
     "a sips: URI cannot go over udp (TLS over TCP is needed)"},
    {"sip:1.2.3.4;transport=sctp", -EPROTONOSUPPORT, 0, NULL, "'sctp'"},
    {"sip:[::1];transport=ws", -EPROTONOSUPPORT, 0, NULL, "'ws' is not supported (udp, tcp, tls)"},
    {"sip:1.2.3.4;transport", -EINVAL, 0, NULL, "transport parameter without a value"},
    {"garbage", -EINVAL, 0, NULL, "'garbage' is not a SIP URI"},
    {"", -EINVAL, 0, NULL, "no URI"},
    {"sip:", -EINVAL, 0, NULL, "is not a SIP URI"},
    {"sip:1.2.3.4:99999", -EINVAL, 0, NULL, "port '99999' is not a number from 1 to 65535"},
    {"sip:1.2.3.4:0", -EINVAL, 0, NULL, "port '0'"},
    {"sip:1.2.3.4:5x", -EINVAL, 0, NULL, "port '5x'"},
    {"sip:[::1", -EINVAL, 0, NULL, "is not an IP address"},
    {"sip:999.1.1.1", -EINVAL, 0, NULL, "host '999.1.1.1' is not an IP address"},
    {"sip:1.2.3.4\r\nX-Evil: 1", -EINVAL, 0, NULL, "control character"},
    {"sip:bob @1.2.3.4", -EINVAL, 0, NULL, "blank"},
};

START_TEST(uri_dest)
{
	const struct uri_case *c = &uris[_i];
	struct sip_dest d;
	char why[160] = "untouched", a[NET_ADDR_STRLEN];
	int err;

	memset(&d, 0xab, sizeof(d));
	err = msg_uri_dest(c->uri, &d, why, sizeof(why));
	ck_assert_msg(err == c->err, "%s: %d, expected %d (%s)", c->uri, err, c->err, why);
	if (c->err) {
		ck_assert_msg(strstr(why, c->why), "%s: why '%s' lacks '%s'", c->uri, why, c->why);
		ck_assert_uint_eq(((unsigned char *)&d)[0], 0xab); /* untouched on failure */
		/* why may be NULL. */
		ck_assert_int_eq(msg_uri_dest(c->uri, &d, NULL, 0), c->err);
		return;
	}
	ck_assert_int_eq(d.proto, c->proto);
	ck_assert_str_eq(net_addr_fmt(&d.addr, a, sizeof(a)), c->addr);
	ck_assert_uint_eq(d.local.len, 0);
	ck_assert_uint_eq(d.conn, 0);
	/* An IP literal is its own identity: no name to check or send as SNI. */
	ck_assert_str_eq(d.host, "");
}
END_TEST

START_TEST(uri_dest_null)
{
	struct sip_dest d;
	char why[64];

	ck_assert_int_eq(msg_uri_dest(NULL, &d, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "no URI");
}
END_TEST

static struct msg_req_spec spec_v4(void)
{
	struct msg_req_spec s;

	memset(&s, 0, sizeof(s));
	s.method = "REGISTER";
	s.ruri = "sip:192.0.2.7";
	s.to = "sip:alice@192.0.2.7";
	s.from = "sip:alice@192.0.2.7";
	s.cseq = 5;
	s.via_proto = NET_UDP;
	ck_assert_int_eq(net_addr_from_host(&s.via_addr, "192.0.2.1", 5060), 0);
	s.contact = "sip:alice@192.0.2.1:5060;transport=udp";
	s.user_agent = "sipuad/test";
	return s;
}

/* Serialize, parse back, and run the UAS checks a peer would run (§8.2). */
static struct sip_msg *round_trip(struct sip_msg *m, char **textp)
{
	struct sip_msg *back = NULL;
	struct msg_err e;
	char *text = NULL;
	size_t len = 0;

	ck_assert_int_eq(msg_to_str(m, &text, &len), 0);
	ck_assert_int_eq(msg_parse(&back, text, len, false), 0);
	back->src.proto = NET_TCP; /* the strictest: Content-Length required */
	ck_assert_msg(msg_check_request(back, &e), "%d %s in:\n%s", e.code, e.reason, text);
	*textp = text;
	return back;
}

static bool all_alnum(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

START_TEST(build_request_v4)
{
	struct msg_req_spec s = spec_v4();
	struct sip_msg *m = NULL, *back, *m2 = NULL;
	char *text = NULL, *uri = NULL, *at;
	char *to = NULL;

	ck_assert_int_eq(msg_build_request(&m, &s), 0);
	/* Derived fields are set on the built message itself. */
	ck_assert(m->is_request);
	ck_assert_str_eq(m->method, "REGISTER");
	ck_assert_uint_eq(m->cseq, 5);
	ck_assert_ptr_nonnull(m->branch);
	ck_assert_str_eq(m->via_host, "192.0.2.1");

	back = round_trip(m, &text);
	ck_assert_str_eq(back->method, "REGISTER");
	ck_assert_int_eq(msg_ruri(back, &uri), 0);
	ck_assert_str_eq(uri, "sip:192.0.2.7");
	osip_free(uri);
	ck_assert_int_eq(osip_uri_to_str(back->sip->to->url, &to), 0);
	ck_assert_str_eq(to, "sip:alice@192.0.2.7");
	osip_free(to);
	ck_assert_ptr_null(back->to_tag);
	ck_assert(all_alnum(back->from_tag, RND_TAG_LEN - 1));
	at = strchr(back->call_id, '@');
	ck_assert_ptr_nonnull(at);
	ck_assert_str_eq(at, "@192.0.2.1");
	*at = '\0';
	ck_assert(all_alnum(back->call_id, RND_CALLID_LEN - 1));
	ck_assert_uint_eq(back->cseq, 5);
	ck_assert_ptr_nonnull(strstr(text, "CSeq: 5 REGISTER\r\n"));
	ck_assert_str_eq(msg_header(back, "Max-Forwards", NULL), "70");
	ck_assert_str_eq(msg_header(back, "User-Agent", NULL), "sipuad/test");
	ck_assert_ptr_nonnull(strstr(text, "\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK"));
	ck_assert_ptr_nonnull(strstr(text, ";rport\r\n"));
	ck_assert_uint_eq(strlen(back->branch), RND_BRANCH_LEN - 1);
	ck_assert_str_eq(back->branch, m->branch);
	ck_assert_uint_eq(back->via_port, 5060);
	/* The bare Contact URI went into <>: transport stays a URI parameter. */
	ck_assert_ptr_nonnull(
	    strstr(text, "Contact: <sip:alice@192.0.2.1:5060;transport=udp>\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "Content-Length: 0\r\n\r\n"));
	ck_assert_ptr_null(strstr(strstr(text, "Content-Length") + 1, "Content-Length"));
	ck_assert_uint_eq(back->raw.n_via, 1);
	ck_assert_uint_eq(msg_body_len(back), 0);
	free(text);
	msg_free(back);

	/* Fresh identifiers every time. */
	ck_assert_int_eq(msg_build_request(&m2, &s), 0);
	ck_assert_str_ne(m2->branch, m->branch);
	ck_assert_str_ne(m2->from_tag, m->from_tag);
	ck_assert_str_ne(m2->call_id, m->call_id);
	msg_free(m2);
	msg_free(m);
}
END_TEST

START_TEST(build_request_v6_tcp)
{
	struct msg_req_spec s = spec_v4();
	struct sip_msg *m = NULL, *back;
	char *text = NULL, *at;

	s.method = "OPTIONS";
	s.ruri = "sip:[::1]:5070;transport=tcp";
	s.to = NULL; /* To is the Request-URI */
	s.from = "sip:sipuad@[2001:db8::1]";
	s.via_proto = NET_TCP;
	ck_assert_int_eq(net_addr_from_host(&s.via_addr, "2001:db8::1", 5062), 0);
	s.contact = NULL;
	s.user_agent = NULL;
	s.cseq = 0x7fffffff;
	ck_assert_int_eq(msg_build_request(&m, &s), 0);
	back = round_trip(m, &text);
	ck_assert_ptr_nonnull(strstr(text, "OPTIONS sip:[::1]:5070;transport=tcp SIP/2.0\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "\r\nVia: SIP/2.0/TCP [2001:db8::1]:5062;branch=z9hG4bK"));
	ck_assert_ptr_nonnull(strstr(text, "\r\nTo: <sip:[::1]:5070;transport=tcp>\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "\r\nFrom: <sip:sipuad@[2001:db8::1]>;tag="));
	at = strchr(back->call_id, '@');
	ck_assert_ptr_nonnull(at);
	ck_assert_str_eq(at, "@[2001:db8::1]");
	ck_assert_uint_eq(back->via_port, 5062);
	ck_assert_uint_eq(back->cseq, 0x7fffffff);
	ck_assert_ptr_null(strstr(text, "Contact"));
	ck_assert_ptr_null(strstr(text, "User-Agent"));
	ck_assert_ptr_null(back->to_tag);
	free(text);
	msg_free(back);
	msg_free(m);
}
END_TEST

/* A REGISTER refresh keeps its Call-ID and From tag (§10.2); a Contact name-addr stays as is. */
START_TEST(build_request_given_ids)
{
	struct msg_req_spec s = spec_v4();
	struct sip_msg *m = NULL, *back;
	char *text = NULL;

	s.call_id = "abc123@192.0.2.1";
	s.from_tag = "ftag9";
	s.contact = "<sip:alice@192.0.2.1:5060>;expires=60";
	ck_assert_int_eq(msg_build_request(&m, &s), 0);
	back = round_trip(m, &text);
	ck_assert_str_eq(back->call_id, "abc123@192.0.2.1");
	ck_assert_str_eq(back->from_tag, "ftag9");
	ck_assert_ptr_nonnull(strstr(text, "Contact: <sip:alice@192.0.2.1:5060>;expires=60\r\n"));
	free(text);
	msg_free(back);
	msg_free(m);
}
END_TEST

START_TEST(build_request_refused)
{
	struct msg_req_spec s;
	struct sip_msg *m = NULL;

	s = spec_v4();
	s.cseq = 0x80000000u; /* §8.1.1.5: below 2^31 */
	ck_assert_int_eq(msg_build_request(&m, &s), -EINVAL);
	s = spec_v4();
	s.from = NULL;
	ck_assert_int_eq(msg_build_request(&m, &s), -EINVAL);
	s = spec_v4();
	s.method = NULL;
	ck_assert_int_eq(msg_build_request(&m, &s), -EINVAL);
	s = spec_v4();
	s.ruri = "garbage";
	ck_assert_int_eq(msg_build_request(&m, &s), -EINVAL);
	s = spec_v4();
	s.to = "sip:a@b\r\nX: y";
	ck_assert_int_eq(msg_build_request(&m, &s), -EINVAL);
	s = spec_v4();
	memset(&s.via_addr, 0, sizeof(s.via_addr));
	ck_assert_int_eq(msg_build_request(&m, &s), -EINVAL);
	s = spec_v4();
	s.user_agent = "x\r\nX-Evil: 1";
	ck_assert_int_eq(msg_build_request(&m, &s), -EINVAL);
	s = spec_v4();
	s.from_tag = "";
	ck_assert_int_eq(msg_build_request(&m, &s), -EINVAL);
	ck_assert_ptr_null(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");

	msg_lib_init();
	tcase_add_test(tc, derived_fields);
	tcase_add_test(tc, compact_forms);
	tcase_add_loop_test(tc, malformed_request, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, oversize_is_513);
	tcase_add_test(tc, no_branch_is_fine);
	tcase_add_test(tc, udp_extra_bytes_dropped);
	tcase_add_test(tc, garbage_is_ebadmsg);
	tcase_add_test(tc, response_checks);
	tcase_add_test(tc, stamp_and_route);
	tcase_add_test(tc, build_response);
	tcase_add_test(tc, build_ack);
	tcase_add_test(tc, request_uri);
	tcase_add_test(tc, set_to_tag);
	tcase_add_test(tc, header_helpers);
	tcase_add_test(tc, dialog_fields);
	tcase_add_test(tc, folded_and_tabs_wsinv);
	tcase_add_test(tc, folded_and_tabs_every_header);
	tcase_add_test(tc, no_empty_line);
	tcase_add_test(tc, foreign_scheme);
	tcase_add_test(tc, request_line_trailing_sp);
	tcase_add_test(tc, via_sent_by);
	tcase_add_test(tc, ruri_unreadable_answered);
	tcase_add_test(tc, ruri_good_forms);
	tcase_add_test(tc, not_a_request_line);
	tcase_add_test(tc, request_line_nul);
	tcase_add_test(tc, header_param);
	tcase_add_test(tc, body_of_type);
	tcase_add_test(tc, reasons);
	tcase_add_loop_test(tc, uri_dest, 0, (int)(sizeof(uris) / sizeof(uris[0])));
	tcase_add_test(tc, uri_dest_null);
	tcase_add_test(tc, build_request_v4);
	tcase_add_test(tc, build_request_v6_tcp);
	tcase_add_test(tc, build_request_given_ids);
	tcase_add_test(tc, build_request_refused);
	suite_add_tcase(s, tc);
	return check_run(s);
}
