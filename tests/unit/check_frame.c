/* Unit tests for frame: message boundaries in a byte stream. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/frame.h"

#include "check_run.h"

#define HDRS "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"

START_TEST(complete_with_body)
{
	const char *m = HDRS "Content-Length: 4\r\n\r\nabcdNEXT";
	struct frame_info fi;

	ck_assert_int_eq(frame_scan(m, strlen(m), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, 4);
	ck_assert_uint_eq(fi.msg_len, strlen(m) - 4);
	ck_assert_uint_eq(fi.hdr_len, strlen(m) - 8);
}
END_TEST

START_TEST(compact_and_spaces)
{
	const char *m = HDRS "l :  12 \r\n\r\n";
	struct frame_info fi;

	ck_assert_int_eq(frame_scan(m, strlen(m), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, 12);
}
END_TEST

START_TEST(absent_and_malformed)
{
	const char *a = HDRS "\r\n";
	const char *b = HDRS "Content-Length: 1x\r\n\r\n";
	const char *c = HDRS "Content-Length: -1\r\n\r\n";
	const char *d = HDRS "Content-Length: 4\r\nl: 5\r\n\r\n";
	const char *e = HDRS "Content-Length: 99999999999999999999\r\n\r\n";
	const char *f = HDRS "Content-Length:\r\n\r\n";
	struct frame_info fi;

	ck_assert_int_eq(frame_scan(a, strlen(a), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, -1);
	ck_assert_uint_eq(fi.msg_len, strlen(a));
	ck_assert_int_eq(frame_scan(b, strlen(b), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, -2);
	ck_assert_int_eq(frame_scan(c, strlen(c), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, -2);
	ck_assert_int_eq(frame_scan(d, strlen(d), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, -2);
	ck_assert_int_eq(frame_scan(e, strlen(e), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, -2);
	ck_assert_int_eq(frame_scan(f, strlen(f), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, -2);
}
END_TEST

START_TEST(incomplete_and_too_big)
{
	const char *m = HDRS "Content-Length: 0\r\n";
	struct frame_info fi;

	ck_assert_int_eq(frame_scan(m, strlen(m), 65535, &fi), -EAGAIN);
	ck_assert_int_eq(frame_scan(m, strlen(m), 20, &fi), -EMSGSIZE);
}
END_TEST

START_TEST(bare_lf)
{
	const char *m = "OPTIONS sip:a@b SIP/2.0\nContent-Length: 2\n\nab";
	struct frame_info fi;

	ck_assert_int_eq(frame_scan(m, strlen(m), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, 2);
	ck_assert_uint_eq(fi.msg_len, strlen(m));
}
END_TEST

START_TEST(headers_and_folding)
{
	const char *m = HDRS "Subject: one\r\n  two\r\nX:y\r\n\r\n";
	struct frame_info fi;
	struct frame_hdr h;
	size_t pos;

	ck_assert_int_eq(frame_scan(m, strlen(m), 65535, &fi), 0);
	pos = (size_t)(strchr(m, '\n') - m) + 1;
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 1);
	ck_assert_int_eq(strncmp(h.name, "Via", h.name_len), 0);
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 1);
	ck_assert_uint_eq(h.name_len, 7);
	ck_assert_int_eq(strncmp(h.value, "one\r\n  two", h.value_len), 0);
	ck_assert_uint_eq(h.value_len, strlen("one\r\n  two"));
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 1);
	ck_assert_int_eq(strncmp(h.value, "y", h.value_len), 0);
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 0);
}
END_TEST

/* §7.3.1, §25.1: folds and HTAB; what a header's unclean flag says. */
START_TEST(lws_and_unclean)
{
	const char *m = HDRS "Content-Length:\r\n\t 3\r\nTo :<sip:b@b>\r\nX:\ta\r\nY: b\r\n\r\nabc";
	struct frame_info fi;
	struct frame_hdr h;
	size_t pos;

	/* A Content-Length folded onto the next line is read. */
	ck_assert_int_eq(frame_scan(m, strlen(m), 65535, &fi), 0);
	ck_assert_int_eq(fi.clen, 3);
	pos = (size_t)(strchr(m, '\n') - m) + 1;
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 1);
	ck_assert(!h.unclean); /* Via */
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 1);
	ck_assert(h.unclean);
	ck_assert_uint_eq(h.value_len, 1);
	ck_assert_int_eq(h.value[0], '3');
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 1);
	ck_assert(h.unclean); /* blank before the colon */
	ck_assert_uint_eq(h.name_len, 2);
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 1);
	ck_assert(h.unclean); /* HTAB */
	ck_assert_int_eq(frame_next_hdr(m, fi.hdr_len, &pos, &h), 1);
	ck_assert(!h.unclean);
}
END_TEST

START_TEST(value_squeeze)
{
	static const char *const in[][2] = {
	    {"1\r\n\tINVITE", "1 INVITE"},
	    {"  a \t\t b\r\n  c  ", "a b c"},
	    {"\"A\tTab\"\t<sip:a@b>", "\"A Tab\" <sip:a@b>"},
	    {"plain", "plain"},
	    {" \t\r\n ", ""},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		size_t n = frame_value_squeeze(in[i][0], strlen(in[i][0]), out);

		ck_assert_uint_eq(n, strlen(in[i][1]));
		ck_assert_int_eq(memcmp(out, in[i][1], n), 0);
	}
	/* In place. */
	strcpy(out, "a\r\n b");
	ck_assert_uint_eq(frame_value_squeeze(out, strlen(out), out), 3);
	ck_assert_int_eq(memcmp(out, "a b", 3), 0);
}
END_TEST

START_TEST(crlf_skip)
{
	ck_assert_uint_eq(frame_skip_crlf("\r\n\r\nINVITE", 10), 4);
	ck_assert_uint_eq(frame_skip_crlf("INVITE", 6), 0);
	ck_assert_uint_eq(frame_skip_crlf("\r\n", 2), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("scan");

	tcase_add_test(tc, complete_with_body);
	tcase_add_test(tc, compact_and_spaces);
	tcase_add_test(tc, absent_and_malformed);
	tcase_add_test(tc, incomplete_and_too_big);
	tcase_add_test(tc, bare_lf);
	tcase_add_test(tc, headers_and_folding);
	tcase_add_test(tc, lws_and_unclean);
	tcase_add_test(tc, value_squeeze);
	tcase_add_test(tc, crlf_skip);
	suite_add_tcase(s, tc);
	return check_run(s);
}
