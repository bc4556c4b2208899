/*
 * check_rnd: the randomness of src/core/rnd.c.  getrandom(2) is wrapped
 * (-Wl,--wrap=getrandom) to count the calls: the values that go on the
 * wire come from a pool filled one call at a time, while secrets
 * (rnd_bytes) always come straight from the kernel.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/rnd.h"

#include "check_run.h"

static unsigned calls;

ssize_t __real_getrandom(void *buf, size_t n, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags);

ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags)
{
	calls++;
	return __real_getrandom(buf, n, flags);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(test_u32_pooled_distinct)
{
	enum { N = 4096 };
	static uint32_t v[N];

	calls = 0;
	for (unsigned i = 0; i < N; i++)
		v[i] = rnd_u32();
	/* 4 bytes each from a 256-byte pool: 64 values per call. */
	ck_assert_uint_le(calls, N / 64 + 1);
	ck_assert_uint_ge(calls, N / 64);
	/* No value handed out twice across refills (a repeat among 4096 draws: ~2e-3). */
	qsort(v, N, sizeof(v[0]), cmp_u32);
	unsigned dup = 0;
	for (unsigned i = 1; i < N; i++)
		dup += v[i] == v[i - 1];
	ck_assert_uint_le(dup, 1);
}
END_TEST

START_TEST(test_token_alphabet_and_calls)
{
	enum { N = 2000 };
	char tok[RND_TAG_LEN];
	unsigned seen[256] = {0};

	calls = 0;
	for (unsigned i = 0; i < N; i++) {
		rnd_token(tok, sizeof(tok));
		ck_assert_uint_eq(strlen(tok), RND_TAG_LEN - 1);
		for (const char *p = tok; *p; p++)
			seen[(unsigned char)*p]++;
	}
	/* 12 characters take about 12.2 bytes (rejection of 252..255): < 13 per token. */
	ck_assert_uint_le(calls, N * 13 / 256 + 2);
	/*
	 * Every one of the 36 characters appears, and only those, near 1/36
	 * each: no capitals, so that no token spells a header name such as
	 * "CSeq" (SIPp looks for it with strstr over the whole message).
	 */
	for (unsigned c = 0; c < 256; c++) {
		bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
		unsigned want = N * (RND_TAG_LEN - 1) / 36;

		if (!alnum) {
			ck_assert_uint_eq(seen[c], 0);
			continue;
		}
		ck_assert_uint_gt(seen[c], want * 3 / 4);
		ck_assert_uint_lt(seen[c], want * 5 / 4);
	}
	rnd_token(tok, 1);
	ck_assert_str_eq(tok, "");
}
END_TEST

START_TEST(test_branch_cookie)
{
	char a[RND_BRANCH_LEN], b[RND_BRANCH_LEN];

	rnd_branch(a);
	rnd_branch(b);
	ck_assert_uint_eq(strlen(a), RND_BRANCH_LEN - 1);
	ck_assert(strncmp(a, "z9hG4bK", 7) == 0);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_uniform_bounds)
{
	unsigned hist[7] = {0};

	ck_assert_uint_eq(rnd_uniform(0), 0);
	ck_assert_uint_eq(rnd_uniform(1), 0);
	for (unsigned i = 0; i < 70000; i++) {
		uint32_t v = rnd_uniform(7);

		ck_assert_uint_lt(v, 7);
		hist[v]++;
	}
	for (unsigned i = 0; i < 7; i++) {
		ck_assert_uint_gt(hist[i], 9000);
		ck_assert_uint_lt(hist[i], 11000);
	}
}
END_TEST

START_TEST(test_secrets_not_pooled)
{
	unsigned char k1[30], k2[30];

	(void)rnd_u32(); /* the pool now holds bytes */
	calls = 0;
	ck_assert_int_eq(rnd_bytes(k1, sizeof(k1)), 0);
	ck_assert_int_eq(rnd_bytes(k2, sizeof(k2)), 0);
	ck_assert_uint_eq(calls, 2);
	ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
}
END_TEST

static Suite *rnd_suite(void)
{
	Suite *s = suite_create("rnd");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_u32_pooled_distinct);
	tcase_add_test(tc, test_token_alphabet_and_calls);
	tcase_add_test(tc, test_branch_cookie);
	tcase_add_test(tc, test_uniform_bounds);
	tcase_add_test(tc, test_secrets_not_pooled);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(rnd_suite());
}
