/*
 * check_stats: counting messages by method and status code, from parsed
 * fields (what comes in) and from start lines (what goes out).
 */
#include <check.h>
#include <string.h>

#include "core/stats.h"

#include "check_run.h"

static void wire(struct stats_dir *d, const char *s)
{
	stats_count_wire(d, s, strlen(s));
}

START_TEST(test_wire)
{
	struct stats_dir d;

	memset(&d, 0, sizeof(d));
	wire(&d, "OPTIONS sip:a SIP/2.0\r\n");
	wire(&d, "INVITE sip:a SIP/2.0\r\n");
	wire(&d, "FOO sip:a SIP/2.0\r\n");
	wire(&d, "invite sip:a SIP/2.0\r\n"); /* methods are case-sensitive: other */
	wire(&d, "SIP/2.0 200 OK\r\n");
	wire(&d, "SIP/2.0 699 x\r\n");
	wire(&d, "SIP/2.0 700 x\r\n"); /* out of range: not counted */
	wire(&d, "SIP/2.0 99 x\r\n");
	wire(&d, "SIP/2.0 abc\r\n");
	wire(&d, " leading blank");
	wire(&d, "nospaceatallinthefirstthirtytwobytes");
	wire(&d, "");
	ck_assert_uint_eq(d.method[STATS_OPTIONS], 1);
	ck_assert_uint_eq(d.method[STATS_INVITE], 1);
	ck_assert_uint_eq(d.method[STATS_OTHER], 2);
	ck_assert_uint_eq(d.code[200 - STATS_CODE_MIN], 1);
	ck_assert_uint_eq(d.code[699 - STATS_CODE_MIN], 1);
	ck_assert_uint_eq(d.code[100 - STATS_CODE_MIN], 0);
}
END_TEST

START_TEST(test_parsed)
{
	struct stats_dir d;

	memset(&d, 0, sizeof(d));
	stats_count(&d, "BYE", 0);
	stats_count(&d, "PUBLISH", 0);
	stats_count(&d, "XYZ", 0);
	stats_count(&d, NULL, 486);
	stats_count(&d, NULL, 0);
	stats_count(&d, NULL, 1000);
	ck_assert_uint_eq(d.method[STATS_BYE], 1);
	ck_assert_uint_eq(d.method[STATS_PUBLISH], 1);
	ck_assert_uint_eq(d.method[STATS_OTHER], 1);
	ck_assert_uint_eq(d.code[486 - STATS_CODE_MIN], 1);
	ck_assert_str_eq(stats_method_name(STATS_REFER), "REFER");
	ck_assert_str_eq(stats_method_name(STATS_OTHER), "other");
	ck_assert_str_eq(stats_method_name(STATS_NMETHODS), "other");
	ck_assert_int_eq(stats_method_of("MESSAGE", 7), STATS_MESSAGE);
	ck_assert_int_eq(stats_method_of("MESSAGES", 8), STATS_OTHER);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("count");

	tcase_add_test(tc, test_wire);
	tcase_add_test(tc, test_parsed);
	suite_add_tcase(s, tc);
	return check_run(s);
}
