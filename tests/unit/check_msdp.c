/*
 * check_msdp: SDP text into struct msdp (src/sip/msdp.c): every field
 * offer/answer reads, the rules for rtpmap, fmtp and direction lines, the
 * bounds, and the exact reason of every refusal (it becomes the phrase of
 * a "400 Bad SDP: ..." on the wire).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/msdp.h"

#include "check_run.h"

static const char full[] = "v=0\r\n"
			   "o=alice 2890844526 2890844527 IN IP4 192.0.2.1\r\n"
			   "s=-\r\n"
			   "c=IN IP4 192.0.2.1\r\n"
			   "t=0 0\r\n"
			   "a=sendonly\r\n"
			   "a=tool:x\r\n"
			   "m=audio 49170 RTP/AVP 0 97 101 8\r\n"
			   "c=IN IP6 2001:db8::1\r\n"
			   "a=rtpmap:97 iLBC/8000\r\n"
			   "a=rtpmap:101 telephone-event/8000/1\r\n"
			   "a=fmtp:101 0-15\r\n"
			   "a=fmtp:97  mode=30\r\n"
			   "a=ptime:30\r\n"
			   "a=recvonly\r\n"
			   "a=rtcp\r\n"
			   "m=video 0 RTP/AVP 31\r\n";

static struct msdp *parse_ok(const char *text)
{
	struct msdp *sdp = NULL;
	char why[128] = "";

	ck_assert_msg(msdp_parse(text, strlen(text), &sdp, why, sizeof(why)) == 0, "%s", why);
	ck_assert_ptr_nonnull(sdp);
	return sdp;
}

/* text must be refused with exactly the reason want; *out untouched. */
static void parse_bad(const char *text, size_t len, const char *want)
{
	struct msdp *sentinel = (struct msdp *)&sentinel, *sdp = sentinel;
	char why[128] = "";

	ck_assert_int_eq(msdp_parse(text, len, &sdp, why, sizeof(why)), -EBADMSG);
	ck_assert_ptr_eq(sdp, sentinel);
	ck_assert_str_eq(why, want);
	/* Without a why buffer: the same code. */
	ck_assert_int_eq(msdp_parse(text, len, &sdp, NULL, 0), -EBADMSG);
	ck_assert_ptr_eq(sdp, sentinel);
}

START_TEST(test_session)
{
	struct msdp *sdp = parse_ok(full);

	ck_assert_str_eq(sdp->origin.username, "alice");
	ck_assert_str_eq(sdp->origin.sess_id, "2890844526");
	ck_assert_str_eq(sdp->origin.sess_version, "2890844527");
	ck_assert_str_eq(sdp->origin.nettype, "IN");
	ck_assert_str_eq(sdp->origin.addrtype, "IP4");
	ck_assert_str_eq(sdp->origin.addr, "192.0.2.1");
	ck_assert(sdp->conn.present);
	ck_assert_str_eq(sdp->conn.addr, "192.0.2.1");
	ck_assert_int_eq(sdp->dir, MSDP_SENDONLY);
	ck_assert_uint_eq(sdp->n_attrs, 1);
	ck_assert_str_eq(sdp->attrs[0].name, "tool");
	ck_assert_str_eq(sdp->attrs[0].value, "x");
	ck_assert_uint_eq(sdp->n_media, 2);
	msdp_free(sdp);
	msdp_free(NULL);
}
END_TEST

START_TEST(test_media)
{
	struct msdp *sdp = parse_ok(full);
	const struct msdp_media *m = &sdp->media[0];
	const struct msdp_conn *c;
	const struct msdp_attr *a;

	ck_assert_str_eq(m->type, "audio");
	ck_assert_str_eq(m->port_text, "49170");
	ck_assert_int_eq(m->port, 49170);
	ck_assert_str_eq(m->proto, "RTP/AVP");
	ck_assert_int_eq(m->dir, MSDP_RECVONLY);
	/* Formats in the m= line's order, with their rtpmap and fmtp. */
	ck_assert_uint_eq(m->n_fmts, 4);
	ck_assert_str_eq(m->fmts[0].text, "0");
	ck_assert_int_eq(m->fmts[0].pt, 0);
	ck_assert(!m->fmts[0].mapped);
	ck_assert_ptr_null(m->fmts[0].fmtp);
	ck_assert_int_eq(m->fmts[1].pt, 97);
	ck_assert(m->fmts[1].mapped);
	ck_assert_str_eq(m->fmts[1].encoding, "iLBC");
	ck_assert_uint_eq(m->fmts[1].rate, 8000);
	ck_assert_uint_eq(m->fmts[1].channels, 0);
	ck_assert_str_eq(m->fmts[1].fmtp, "mode=30");
	ck_assert_str_eq(m->fmts[2].encoding, "telephone-event");
	ck_assert_uint_eq(m->fmts[2].channels, 1);
	ck_assert_str_eq(m->fmts[2].fmtp, "0-15");
	ck_assert_int_eq(m->fmts[3].pt, 8);
	/* rtpmap, fmtp and direction are not among the other attributes. */
	ck_assert_uint_eq(m->n_attrs, 2);
	ck_assert_str_eq(m->attrs[0].name, "ptime");
	ck_assert_str_eq(m->attrs[0].value, "30");
	ck_assert_str_eq(m->attrs[1].name, "rtcp");
	ck_assert_ptr_null(m->attrs[1].value);
	a = msdp_attr_find(m->attrs, m->n_attrs, "PTIME");
	ck_assert_ptr_eq(a, &m->attrs[0]);
	ck_assert_ptr_null(msdp_attr_find(m->attrs, m->n_attrs, "rtpmap"));
	/* Its own c=; the second m= line has none and takes the session's. */
	c = msdp_conn_of(sdp, m);
	ck_assert(c->present);
	ck_assert_str_eq(c->nettype, "IN");
	ck_assert_str_eq(c->addrtype, "IP6");
	ck_assert_str_eq(c->addr, "2001:db8::1");
	m = &sdp->media[1];
	ck_assert_str_eq(m->type, "video");
	ck_assert_int_eq(m->port, 0);
	ck_assert_int_eq(m->dir, MSDP_DIR_NONE);
	ck_assert(!m->conn.present);
	ck_assert_ptr_eq(msdp_conn_of(sdp, m), &sdp->conn);
	ck_assert_uint_eq(m->n_attrs, 0);
	msdp_free(sdp);
}
END_TEST

/* The first rtpmap or fmtp that parses wins; one that does not is skipped. */
START_TEST(test_rtpmap_rules)
{
	struct msdp *sdp = parse_ok("v=0\r\n"
				    "o=- 1 1 IN IP4 192.0.2.1\r\n"
				    "s=-\r\n"
				    "t=0 0\r\n"
				    "m=audio 4000 RTP/AVP 96 97 98 t38 128 -1\r\n"
				    "a=rtpmap:96 opus\r\n"
				    "a=rtpmap:96 opus/48000/2\r\n"
				    "a=rtpmap:96 PCMU/8000\r\n"
				    "a=rtpmap:97\r\n"
				    "a=rtpmap:98 L16/16000\r\n"
				    "a=fmtp:98\r\n"
				    "a=fmtp:98 second\r\n"
				    "a=fmtp:x y\r\n");
	const struct msdp_media *m = &sdp->media[0];

	ck_assert_uint_eq(m->n_fmts, 6);
	ck_assert_str_eq(m->fmts[0].encoding, "opus");
	ck_assert_uint_eq(m->fmts[0].rate, 48000);
	ck_assert_uint_eq(m->fmts[0].channels, 2);
	ck_assert(!m->fmts[1].mapped);
	ck_assert_str_eq(m->fmts[2].encoding, "L16");
	ck_assert_uint_eq(m->fmts[2].rate, 16000);
	/* "a=fmtp:98" alone: its parameters are empty, and it was first. */
	ck_assert_str_eq(m->fmts[2].fmtp, "");
	/* Not RTP payload type numbers. */
	ck_assert_str_eq(m->fmts[3].text, "t38");
	ck_assert_int_eq(m->fmts[3].pt, -1);
	ck_assert_str_eq(m->fmts[4].text, "128");
	ck_assert_int_eq(m->fmts[4].pt, -1);
	ck_assert_int_eq(m->fmts[5].pt, -1);
	ck_assert_uint_eq(m->n_attrs, 0);
	msdp_free(sdp);
}
END_TEST

/* Several direction lines: sendrecv, then sendonly, recvonly, inactive, as offer/answer did. */
START_TEST(test_dir_rules)
{
	static const struct {
		const char *lines;
		enum msdp_dir want;
	} cases[] = {
	    {"", MSDP_DIR_NONE},
	    {"a=inactive\r\n", MSDP_INACTIVE},
	    {"a=inactive\r\na=recvonly\r\n", MSDP_RECVONLY},
	    {"a=recvonly\r\na=SENDONLY\r\n", MSDP_SENDONLY},
	    {"a=inactive\r\na=sendrecv\r\na=sendonly\r\n", MSDP_SENDRECV},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		struct msdp *sdp;

		snprintf(text, sizeof(text),
			 "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
			 "m=audio 4000 RTP/AVP 0\r\n%s",
			 cases[i].lines);
		sdp = parse_ok(text);
		ck_assert_msg(sdp->media[0].dir == cases[i].want, "case %zu", i);
		ck_assert_int_eq(sdp->dir, MSDP_DIR_NONE);
		msdp_free(sdp);
	}
}
END_TEST

/* Only len bytes are read: what follows is not part of the body. */
START_TEST(test_len)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
				   "m=audio 4000 RTP/AVP 0\r\nm=video 5000 RTP/AVP 31\r\n";
	struct msdp *sdp = NULL;
	size_t len = strstr(text, "m=video") - text;

	ck_assert_int_eq(msdp_parse(text, len, &sdp, NULL, 0), 0);
	ck_assert_uint_eq(sdp->n_media, 1);
	msdp_free(sdp);
}
END_TEST

/* A session without c= or o= parts: the fields are "" and present false. */
START_TEST(test_absent)
{
	struct msdp *sdp = parse_ok("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n");

	ck_assert(!sdp->conn.present);
	ck_assert_uint_eq(sdp->n_media, 0);
	ck_assert_str_eq(sdp->origin.username, "-");
	msdp_free(sdp);
}
END_TEST

START_TEST(test_malformed)
{
	static const char nul[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n\0s=-\r\n";

	parse_bad(nul, sizeof(nul) - 1, "SDP: NUL byte in body");
	parse_bad("", 0, "SDP: does not parse");
	parse_bad("junk", 4, "SDP: does not parse");
	parse_bad("this is not SDP\r\n", 17, "SDP: does not parse");
	/* v= only where it belongs: first. */
	parse_bad("s=-\r\nv=0\r\n", 10, "SDP: does not parse");
	/* The over-read fuzz_sdp found: a lone CR at the end (ASan would see it). */
	parse_bad("v=0\r", 4, "SDP: does not parse");
}
END_TEST

/* Appends "m=audio PORT RTP/AVP 0\r\n" n times. */
static void add_media(char *buf, size_t size, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "m=audio %u RTP/AVP 0\r\n",
			 4000 + 2 * i);
}

/* Appends "PRE<i>POST" for i in 0..n-1. */
static void add_lines(char *buf, size_t size, unsigned n, const char *pre, const char *post)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%u%s", pre, i, post);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

/* Every bound: at it the SDP is read, past it refused. */
START_TEST(test_bounds)
{
	size_t size = 64 * 1024;
	char *buf = malloc(size);
	struct msdp *sdp;

	ck_assert_ptr_nonnull(buf);
	/* m= lines. */
	snprintf(buf, size, HEAD);
	add_media(buf, size, MSDP_MAX_MEDIA);
	sdp = parse_ok(buf);
	ck_assert_uint_eq(sdp->n_media, MSDP_MAX_MEDIA);
	ck_assert_int_eq(sdp->media[MSDP_MAX_MEDIA - 1].port, 4000 + 2 * (MSDP_MAX_MEDIA - 1));
	msdp_free(sdp);
	add_media(buf, size, 1);
	parse_bad(buf, strlen(buf), "SDP: more than 16 m= lines");

	/* Formats on the second m= line. */
	snprintf(buf, size, HEAD "m=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP");
	add_lines(buf, size, MSDP_MAX_FMTS, " ", "");
	strcat(buf, "\r\n");
	sdp = parse_ok(buf);
	ck_assert_uint_eq(sdp->media[1].n_fmts, MSDP_MAX_FMTS);
	ck_assert_int_eq(sdp->media[1].fmts[127].pt, 127);
	msdp_free(sdp);
	snprintf(buf, size, HEAD "m=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP");
	add_lines(buf, size, MSDP_MAX_FMTS + 1, " ", "");
	strcat(buf, "\r\n");
	parse_bad(buf, strlen(buf), "SDP: m= line 2 has more than 128 formats");

	/* a= lines at session level. */
	snprintf(buf, size, HEAD);
	add_lines(buf, size, MSDP_MAX_ATTRS, "a=x", ":1\r\n");
	add_media(buf, size, 1);
	sdp = parse_ok(buf);
	ck_assert_uint_eq(sdp->n_attrs, MSDP_MAX_ATTRS);
	ck_assert_str_eq(sdp->attrs[MSDP_MAX_ATTRS - 1].name, "x255");
	msdp_free(sdp);
	snprintf(buf, size, HEAD);
	add_lines(buf, size, MSDP_MAX_ATTRS + 1, "a=x", ":1\r\n");
	add_media(buf, size, 1);
	parse_bad(buf, strlen(buf), "SDP: more than 256 session a= lines");

	/* a= lines on an m= line (rtpmap and direction lines count too). */
	snprintf(buf, size, HEAD "m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n");
	add_lines(buf, size, MSDP_MAX_ATTRS - 1, "a=rtpmap:", " X/8000\r\n");
	sdp = parse_ok(buf);
	ck_assert_uint_eq(sdp->media[0].n_attrs, 0);
	ck_assert_str_eq(sdp->media[0].fmts[0].encoding, "X");
	msdp_free(sdp);
	add_lines(buf, size, 1, "a=y", "\r\n");
	parse_bad(buf, strlen(buf), "SDP: m= line 1 has more than 256 a= lines");
	free(buf);
}
END_TEST

static Suite *msdp_suite(void)
{
	Suite *s = suite_create("msdp");
	TCase *tc = tcase_create("msdp");

	tcase_add_test(tc, test_session);
	tcase_add_test(tc, test_media);
	tcase_add_test(tc, test_rtpmap_rules);
	tcase_add_test(tc, test_dir_rules);
	tcase_add_test(tc, test_len);
	tcase_add_test(tc, test_absent);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(msdp_suite());
}
