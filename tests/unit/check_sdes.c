/*
 * check_sdes: the a=crypto parser and writer of src/media/sdes.c
 * (RFC 4568): the RFC's own examples, every suite's round trip, and each
 * malformed or unsupported form with its exact return code.  Every parse
 * also checks that the reason it gives never holds the key text.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "media/sdes.h"

#include "check_run.h"

/* Key bytes 0, 1, 2, ... of each length, in base64. */
#define B64_30 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define B64_28 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="
#define B64_44 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis="
#define B64_33 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"
#define B64_29 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw="
#define B64_27 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBka"

#define CM80 "AES_CM_128_HMAC_SHA1_80"
#define CM32 "AES_CM_128_HMAC_SHA1_32"
#define GCM128 "AEAD_AES_128_GCM"
#define GCM256 "AEAD_AES_256_GCM"

static char why[128];

/* The key-salt text of value (after "inline:"), for the never-in-why check. */
static void key_text(const char *value, char *out, size_t size)
{
	const char *p = strstr(value, "inline:");
	size_t n = 0;

	out[0] = '\0';
	if (!p)
		return;
	p += 7;
	while (p[n] && !strchr("|; \t", p[n]) && n + 1 < size)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* sdes_parse(value) into *c, asserting why says something and not the key. */
static int parse(const char *value, struct sdes_crypto *c)
{
	char key[128];
	int err;

	memset(why, 'x', sizeof(why));
	err = sdes_parse(value, c, why, sizeof(why));
	ck_assert_msg(memchr(why, '\0', sizeof(why)), "why not terminated");
	if (err == 0)
		ck_assert_str_eq(why, "");
	else
		ck_assert_msg(why[0] != '\0', "no reason for %d on '%s'", err, value);
	key_text(value, key, sizeof(key));
	if (strlen(key) >= 8)
		ck_assert_msg(!strstr(why, key), "key in why: %s", why);
	return err;
}

/* Only the code of parsing value. */
static int code(const char *value)
{
	struct sdes_crypto c;

	return parse(value, &c);
}

static void assert_counting(const struct sdes_key *k, size_t len)
{
	ck_assert_uint_eq(k->len, len);
	for (size_t i = 0; i < len; i++)
		ck_assert_uint_eq(k->key[i], i);
}

START_TEST(test_suites)
{
	static const char *names[] = {CM80, CM32, GCM128, GCM256};
	static const size_t lens[] = {30, 30, 28, 44};
	enum sdes_suite s;

	ck_assert_int_eq(SDES_SUITE_COUNT, 4);
	for (int i = 0; i < SDES_SUITE_COUNT; i++) {
		ck_assert_str_eq(sdes_suite_name((enum sdes_suite)i), names[i]);
		ck_assert_uint_eq(sdes_key_len((enum sdes_suite)i), lens[i]);
		s = SDES_SUITE_COUNT;
		ck_assert_int_eq(sdes_suite_find(names[i], &s), 0);
		ck_assert_int_eq(s, i);
		ck_assert_int_eq(sdes_suite_find(names[i], NULL), 0);
	}
	ck_assert_ptr_null(sdes_suite_name(SDES_SUITE_COUNT));
	ck_assert_ptr_null(sdes_suite_name((enum sdes_suite) - 1));
	ck_assert_uint_eq(sdes_key_len(SDES_SUITE_COUNT), 0);
	ck_assert_uint_eq(sdes_key_len((enum sdes_suite)99), 0);
	ck_assert_int_le(lens[SDES_AEAD_AES_256_GCM], SDES_KEY_MAX);

	/* Exact case, whole name only; *out untouched on failure. */
	s = SDES_AEAD_AES_256_GCM;
	ck_assert_int_eq(sdes_suite_find("aes_cm_128_hmac_sha1_80", &s), -ENOENT);
	ck_assert_int_eq(sdes_suite_find(CM80 " ", &s), -ENOENT);
	ck_assert_int_eq(sdes_suite_find("AES_CM_128_HMAC_SHA1_8", &s), -ENOENT);
	ck_assert_int_eq(sdes_suite_find("F8_128_HMAC_SHA1_80", &s), -ENOENT);
	ck_assert_int_eq(sdes_suite_find("", &s), -ENOENT);
	ck_assert_int_eq(sdes_suite_find(NULL, &s), -ENOENT);
	ck_assert_int_eq(s, SDES_AEAD_AES_256_GCM);
}
END_TEST

START_TEST(test_key_new)
{
	struct sdes_key a, b;
	static const uint8_t zero[SDES_KEY_MAX];

	for (int i = 0; i < SDES_SUITE_COUNT; i++) {
		enum sdes_suite s = (enum sdes_suite)i;

		memset(&a, 0xee, sizeof(a));
		ck_assert_int_eq(sdes_key_new(&a, s), 0);
		ck_assert_int_eq(a.suite, s);
		ck_assert_uint_eq(a.len, sdes_key_len(s));
		/* The unused tail is zero, not stale bytes. */
		ck_assert_int_eq(memcmp(a.key + a.len, zero, SDES_KEY_MAX - a.len), 0);
		ck_assert_int_eq(sdes_key_new(&b, s), 0);
		ck_assert_int_ne(memcmp(a.key, b.key, a.len), 0);
		ck_assert_int_ne(memcmp(a.key, zero, a.len), 0);
	}
	memset(&a, 0xee, sizeof(a));
	ck_assert_int_eq(sdes_key_new(&a, SDES_SUITE_COUNT), -EINVAL);
	ck_assert_int_eq(sdes_key_new(&a, (enum sdes_suite) - 1), -EINVAL);
	ck_assert_uint_eq(a.key[0], 0xee); /* untouched */
	ck_assert_int_eq(sdes_key_new(NULL, SDES_AEAD_AES_128_GCM), -EINVAL);
}
END_TEST

START_TEST(test_wipe)
{
	struct sdes_key k;
	static const uint8_t zero[sizeof(k)];

	ck_assert_int_eq(sdes_key_new(&k, SDES_AEAD_AES_256_GCM), 0);
	sdes_wipe(&k);
	ck_assert_int_eq(memcmp(&k, zero, sizeof(k)), 0);
	ck_assert_uint_eq(k.len, 0);
	sdes_wipe(NULL);
}
END_TEST

/* RFC 4568 §9: both offered lines and the answer are ones we skip. */
START_TEST(test_rfc4568_examples)
{
	struct sdes_crypto c;
	static const char ans_key[] = "=-n@%^x!Bjufr9)?,#5h\\`=&]{qiPQ";

	/* Lifetime 2^20, an MKI and FEC_ORDER: three reasons to skip. */
	ck_assert_int_eq(code("1 " CM80 " inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4"
			      " FEC_ORDER=FEC_SRTP"),
			 -ENOTSUP);
	/* The first reason found is the one given. */
	ck_assert_ptr_nonnull(strstr(why, "lifetime"));
	ck_assert_int_eq(code("2 F8_128_HMAC_SHA1_80 "
			      "inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;"
			      "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 "
			      "FEC_ORDER=FEC_SRTP"),
			 -ENOTSUP);
	ck_assert_str_eq(why, "unknown crypto suite F8_128_HMAC_SHA1_80");
	ck_assert_int_eq(
	    code("1 " CM80 " inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"), -ENOTSUP);
	ck_assert_int_eq(
	    code("1 " CM32 " inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32"), -ENOTSUP);

	/* Their keys, without what we don't honour, parse to the bytes. */
	ck_assert_int_eq(parse("1 " CM80 " inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", &c),
			 0);
	ck_assert_uint_eq(c.tag, 1);
	ck_assert_int_eq(c.key.suite, SDES_AES_CM_128_HMAC_SHA1_80);
	ck_assert_uint_eq(c.key.len, 30);
	ck_assert_int_eq(memcmp(c.key.key, "YS___semctl () {\t220;}\n}\nunles", 30), 0);
	ck_assert_int_eq(
	    parse("1 " CM80 " inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31", &c), 0);
	ck_assert_int_eq(memcmp(c.key.key, ans_key, 30), 0);
	ck_assert_int_eq(parse("1 " CM32 " inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj", &c),
			 0);
	ck_assert_int_eq(c.key.suite, SDES_AES_CM_128_HMAC_SHA1_32);
}
END_TEST

START_TEST(test_known_keys)
{
	struct sdes_crypto c;

	ck_assert_int_eq(parse("7 " CM80 " inline:" B64_30, &c), 0);
	ck_assert_uint_eq(c.tag, 7);
	ck_assert_int_eq(c.key.suite, SDES_AES_CM_128_HMAC_SHA1_80);
	assert_counting(&c.key, 30);
	ck_assert_int_eq(parse("8 " CM32 " inline:" B64_30, &c), 0);
	ck_assert_int_eq(c.key.suite, SDES_AES_CM_128_HMAC_SHA1_32);
	assert_counting(&c.key, 30);
	ck_assert_int_eq(parse("9 " GCM128 " inline:" B64_28, &c), 0);
	ck_assert_int_eq(c.key.suite, SDES_AEAD_AES_128_GCM);
	assert_counting(&c.key, 28);
	ck_assert_int_eq(parse("10 " GCM256 " inline:" B64_44, &c), 0);
	ck_assert_int_eq(c.key.suite, SDES_AEAD_AES_256_GCM);
	assert_counting(&c.key, 44);
	/* ABNF strings are case-insensitive: the key method too. */
	ck_assert_int_eq(parse("1 " CM80 " INLINE:" B64_30, &c), 0);
	assert_counting(&c.key, 30);
}
END_TEST

START_TEST(test_format_known)
{
	struct sdes_key k = {.suite = SDES_AEAD_AES_128_GCM, .len = 28};
	char out[128];

	for (int i = 0; i < 28; i++)
		k.key[i] = (uint8_t)i;
	ck_assert_int_eq(sdes_format(out, sizeof(out), 3, &k),
			 (int)strlen("3 " GCM128 " inline:" B64_28));
	ck_assert_str_eq(out, "3 " GCM128 " inline:" B64_28);
	k.suite = SDES_AEAD_AES_256_GCM;
	k.len = 44;
	for (int i = 0; i < 44; i++)
		k.key[i] = (uint8_t)i;
	ck_assert_int_eq(sdes_format(out, sizeof(out), 999999999, &k),
			 (int)strlen("999999999 " GCM256 " inline:" B64_44));
	ck_assert_str_eq(out, "999999999 " GCM256 " inline:" B64_44);
	k.suite = SDES_AES_CM_128_HMAC_SHA1_32;
	k.len = 30;
	ck_assert_int_eq(sdes_format(out, sizeof(out), 1, &k), 2 + 23 + 8 + 40);
	ck_assert_str_eq(out, "1 " CM32 " inline:" B64_30);
}
END_TEST

/* Every suite: a fresh key, formatted, parses back to itself. */
START_TEST(test_round_trip)
{
	static const unsigned tags[] = {1, 42, 999999999};

	for (int i = 0; i < SDES_SUITE_COUNT; i++) {
		for (int round = 0; round < 20; round++) {
			struct sdes_key k;
			struct sdes_crypto c;
			char out[128];
			unsigned tag = tags[round % 3];
			int n;

			ck_assert_int_eq(sdes_key_new(&k, (enum sdes_suite)i), 0);
			n = sdes_format(out, sizeof(out), tag, &k);
			ck_assert_int_gt(n, 0);
			ck_assert_uint_eq((size_t)n, strlen(out));
			ck_assert_int_eq(parse(out, &c), 0);
			ck_assert_uint_eq(c.tag, tag);
			ck_assert_int_eq(c.key.suite, k.suite);
			ck_assert_uint_eq(c.key.len, k.len);
			ck_assert_int_eq(memcmp(c.key.key, k.key, k.len), 0);
		}
	}
}
END_TEST

START_TEST(test_format_errors)
{
	struct sdes_key k = {.suite = SDES_AES_CM_128_HMAC_SHA1_80, .len = 30};
	const char *want = "5 " CM80 " inline:" B64_30;
	size_t need = strlen(want);
	char out[128];

	for (int i = 0; i < 30; i++)
		k.key[i] = (uint8_t)i;
	/* Exactly the room for the text and its NUL, and one byte less. */
	memset(out, '#', sizeof(out));
	ck_assert_int_eq(sdes_format(out, need, 5, &k), -ENOSPC);
	ck_assert_int_eq(out[0], '#'); /* nothing written, no partial key */
	ck_assert_int_eq(sdes_format(out, 0, 5, &k), -ENOSPC);
	ck_assert_int_eq(sdes_format(out, 10, 5, &k), -ENOSPC);
	ck_assert_int_eq(out[0], '#');
	ck_assert_int_eq(sdes_format(out, need + 1, 5, &k), (int)need);
	ck_assert_str_eq(out, want);

	ck_assert_int_eq(sdes_format(out, sizeof(out), 0, &k), -EINVAL);
	ck_assert_int_eq(sdes_format(out, sizeof(out), 1000000000, &k), -EINVAL);
	ck_assert_int_eq(sdes_format(NULL, sizeof(out), 1, &k), -EINVAL);
	ck_assert_int_eq(sdes_format(out, sizeof(out), 1, NULL), -EINVAL);
	k.len = 28; /* not this suite's length */
	ck_assert_int_eq(sdes_format(out, sizeof(out), 1, &k), -EINVAL);
	k.len = 0;
	ck_assert_int_eq(sdes_format(out, sizeof(out), 1, &k), -EINVAL);
	k.suite = SDES_SUITE_COUNT;
	ck_assert_int_eq(sdes_format(out, sizeof(out), 1, &k), -EINVAL);
}
END_TEST

START_TEST(test_bad_keys)
{
	/* Not base64: characters outside the alphabet (URL-safe ones too). */
	ck_assert_int_eq(code("1 " CM80 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw*"),
			 -EBADMSG);
	ck_assert_str_eq(why, "key is not base64");
	ck_assert_int_eq(code("1 " CM80 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw-"),
			 -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw_"),
			 -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:AAECAwQFBgcICQoLDA0ODxAREh\x80UFRYXGBkaGxwd"),
			 -EBADMSG);
	/* Padding: missing, too much, in the middle, bits after the last byte. */
	ck_assert_int_eq(code("1 " GCM128 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw"),
			 -EBADMSG);
	ck_assert_int_eq(code("1 " GCM128 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw="),
			 -EBADMSG);
	ck_assert_int_eq(code("1 " GCM128 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaG==="),
			 -EBADMSG);
	ck_assert_int_eq(code("1 " GCM128 " inline:AAECAwQFBgcICQoLDA0ODxAR=hMUFRYXGBkaGw=="),
			 -EBADMSG);
	ck_assert_int_eq(code("1 " GCM128 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx=="),
			 -EBADMSG);
	ck_assert_int_eq(
	    code("1 " GCM256
		 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiv="),
	    -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:===="), -EBADMSG);
	/* Truncated, empty, overlong. */
	ck_assert_int_eq(code("1 " CM80 " inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw"),
			 -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:|2^31"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "AAAA"), -EBADMSG);
	ck_assert_str_eq(why, "key is 33 bytes, " CM80 " takes 30");
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_33), -EBADMSG);
	/* Right base64, wrong length for the suite, each way. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_28), -EBADMSG);
	ck_assert_int_eq(code("1 " CM32 " inline:" B64_29), -EBADMSG);
	ck_assert_int_eq(code("1 " CM32 " inline:" B64_44), -EBADMSG);
	ck_assert_int_eq(code("1 " GCM128 " inline:" B64_30), -EBADMSG);
	ck_assert_str_eq(why, "key is 30 bytes, " GCM128 " takes 28");
	ck_assert_int_eq(code("1 " GCM128 " inline:" B64_27), -EBADMSG);
	ck_assert_int_eq(code("1 " GCM256 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("1 " GCM256 " inline:" B64_28), -EBADMSG);
	/* No inline: key method. */
	ck_assert_int_eq(code("1 " CM80 " " B64_30), -EBADMSG);
	ck_assert_str_eq(why, "key method is not inline:");
	ck_assert_int_eq(code("1 " CM80 " uri:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline;" B64_30), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline " B64_30), -EBADMSG);
	/* Control characters inside the key. */
	ck_assert_int_eq(code("1 " CM80 " inline:AAECAwQFBgcICQoLDA0ODxAR\rhMUFRYXGBkaGxwd"),
			 -EBADMSG);
}
END_TEST

START_TEST(test_unknown_suites)
{
	ck_assert_int_eq(code("1 F8_128_HMAC_SHA1_80 inline:" B64_30), -ENOTSUP);
	ck_assert_int_eq(code("1 AES_256_CM_HMAC_SHA1_80 inline:" B64_44 "AAAA"), -ENOTSUP);
	ck_assert_str_eq(why, "unknown crypto suite AES_256_CM_HMAC_SHA1_80");
	ck_assert_int_eq(code("1 AES_192_CM_HMAC_SHA1_32 inline:" B64_30), -ENOTSUP);
	ck_assert_int_eq(code("1 SEED_128_GCM_96 inline:" B64_30), -ENOTSUP);
	ck_assert_int_eq(code("1 NULL_HMAC_SHA1_80 inline:" B64_30), -ENOTSUP);
	/* Names are case-sensitive (RFC 4568 §6.2): no lower-case aliases. */
	ck_assert_int_eq(code("1 aes_cm_128_hmac_sha1_80 inline:" B64_30), -ENOTSUP);
	ck_assert_int_eq(code("1 Aead_Aes_128_Gcm inline:" B64_28), -ENOTSUP);
	/* A long unknown name is cut in the reason. */
	ck_assert_int_eq(code("1 AAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDDEEEEEEEEEE inline:x"),
			 -ENOTSUP);
	ck_assert_str_eq(why, "unknown crypto suite AAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDD");
	/* An unknown suite may use another key form: skipped, not malformed. */
	ck_assert_int_eq(code("1 FUTURE_SUITE_1 dtls:fingerprint"), -ENOTSUP);
	/* Not a suite name at all. */
	ck_assert_int_eq(code("1 AES-CM-128 inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("1 AES_CM_128_HMAC_SHA1_80,x inline:" B64_30), -EBADMSG);
}
END_TEST

START_TEST(test_mki)
{
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:4"), -ENOTSUP);
	ck_assert_str_eq(why, "MKI (not supported)");
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^31|1:4"), -ENOTSUP);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^48|255:128"), -ENOTSUP);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:1"), -ENOTSUP);
	/* Malformed MKIs. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|:4"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|a:4"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:4:4"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:0"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:129"), -EBADMSG);
	ck_assert_str_eq(why, "MKI length not 1..128");
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:0004"), -EBADMSG);
	/* Order and count after the key. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:4|2^31"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1:4|2:4"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^31|2^32"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^31|1:4|x"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "||1:4"), -EBADMSG);
	/* Several keys: only with MKIs, which we don't do. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 ";inline:" B64_30), -ENOTSUP);
	ck_assert_str_eq(why, "more than one key (MKIs are not supported)");
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^31|1:4;inline:" B64_30 "|2^31|2:4"),
			 -ENOTSUP);
	/* ... but a malformed first one is malformed. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_28 ";inline:" B64_30), -EBADMSG);
}
END_TEST

START_TEST(test_session_params)
{
	static const char *params[] = {
	    "UNENCRYPTED_SRTP",
	    "UNENCRYPTED_SRTCP",
	    "UNAUTHENTICATED_SRTP",
	    "KDR=1",
	    "KDR=24",
	    "FEC_ORDER=FEC_SRTP",
	    "WSH=64",
	    "X-UNKNOWN",
	    "a",
	};
	char line[256];

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		snprintf(line, sizeof(line), "1 %s inline:%s %s", CM80, B64_30, params[i]);
		ck_assert_int_eq(code(line), -ENOTSUP);
		ck_assert_ptr_nonnull(strstr(why, "session parameter"));
		ck_assert_ptr_null(strstr(why, "inline"));
	}
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 " KDR=1"), -ENOTSUP);
	ck_assert_str_eq(why, "session parameter KDR not supported");
	/* FEC_KEY's value is a key: the reason names the parameter only. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 " FEC_KEY=inline:" B64_28), -ENOTSUP);
	ck_assert_str_eq(why, "session parameter FEC_KEY not supported");
	ck_assert_ptr_null(strstr(why, B64_28));
	/* Another field is not quoted: it may be key text (here one after INLINE:). */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 " X-UNKNOWN"), -ENOTSUP);
	ck_assert_str_eq(why, "unknown session parameter");
	ck_assert_int_eq(code("1 " CM80 " INLINE:" B64_30 " inline:ABCDEFGHIJKLMNOPQ"), -ENOTSUP);
	ck_assert_str_eq(why, "unknown session parameter");
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 " WSH=64 KDR=2"), -ENOTSUP);
	ck_assert_str_eq(why, "session parameter WSH not supported");
	/* Malformed wins over skippable, wherever it is. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_28 " KDR=1"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^20 KDR=1 \x01"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 " KDR\x7f"), -EBADMSG);
}
END_TEST

START_TEST(test_lifetime)
{
	struct sdes_crypto c;

	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^20"), -ENOTSUP);
	ck_assert_str_eq(why, "key lifetime under 2^31 packets (no re-keying)");
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^30"), -ENOTSUP);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^0"), -ENOTSUP);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|1048576"), -ENOTSUP);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2147483647"), -ENOTSUP);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|0"), -ENOTSUP);
	ck_assert_int_eq(parse("1 " CM80 " inline:" B64_30 "|2^31", &c), 0);
	assert_counting(&c.key, 30);
	ck_assert_int_eq(parse("1 " GCM128 " inline:" B64_28 "|2^48", &c), 0);
	assert_counting(&c.key, 28);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2147483648"), 0);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|281474976710656"), 0);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^0048"), 0);
	/* Saturated, not wrapped to a small number. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|99999999999999999999999999"), 0);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|18446744073709551617"), 0);
	/* Malformed lifetimes. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^x"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|3^40"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^-31"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|-1"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|+2147483648"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "|2^31x"), -EBADMSG);
	/* A short lifetime beside a malformed key: malformed. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_28 "|2^20"), -EBADMSG);
}
END_TEST

START_TEST(test_tag)
{
	struct sdes_crypto c;

	ck_assert_int_eq(parse("1 " CM80 " inline:" B64_30, &c), 0);
	ck_assert_uint_eq(c.tag, 1);
	ck_assert_int_eq(parse("999999999 " CM80 " inline:" B64_30, &c), 0);
	ck_assert_uint_eq(c.tag, 999999999);
	ck_assert_int_eq(parse("007 " CM80 " inline:" B64_30, &c), 0); /* 1*9DIGIT */
	ck_assert_uint_eq(c.tag, 7);
	ck_assert_int_eq(code("0 " CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("000000000 " CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("1000000000 " CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("0000000001 " CM80 " inline:" B64_30), -EBADMSG); /* 10 digits */
	ck_assert_int_eq(code("4294967297 " CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("-1 " CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("+1 " CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("1a " CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("0x1 " CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("1" CM80 " inline:" B64_30), -EBADMSG);
	/* A bad tag on an unknown suite: malformed. */
	ck_assert_int_eq(code("x F8_128_HMAC_SHA1_80 inline:" B64_30), -EBADMSG);
}
END_TEST

START_TEST(test_whitespace)
{
	struct sdes_crypto c;

	ck_assert_int_eq(parse("1\t" CM80 "\tinline:" B64_30, &c), 0);
	assert_counting(&c.key, 30);
	ck_assert_int_eq(parse("1   " CM80 " \t inline:" B64_30, &c), 0);
	ck_assert_int_eq(parse(" 1 " CM80 " inline:" B64_30 " \t", &c), 0);
	ck_assert_int_eq(code(""), -EBADMSG);
	ck_assert_int_eq(code("   \t "), -EBADMSG);
	ck_assert_int_eq(code("1"), -EBADMSG);
	ck_assert_int_eq(code("1 "), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80), -EBADMSG);
	ck_assert_str_eq(why, "no key");
	ck_assert_int_eq(code("1 " CM80 " "), -EBADMSG);
	/* Line ends and other control characters are not separators. */
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 "\r\n"), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 " inline:" B64_30 " \r"), -EBADMSG);
	ck_assert_int_eq(code("1\n" CM80 " inline:" B64_30), -EBADMSG);
	ck_assert_int_eq(code("1 " CM80 "\vinline:" B64_30), -EBADMSG);
	/* Whitespace inside the key splits it: the rest is a "session parameter". */
	ck_assert_int_eq(code("1 " CM80 " inline:AAECAwQFBgcICQoLDA0ODxAR EhMUFRYXGBkaGxwd"),
			 -EBADMSG);
}
END_TEST

START_TEST(test_out_and_why)
{
	struct sdes_crypto c, before;
	char tiny[8];

	memset(&c, 0x5a, sizeof(c));
	before = c;
	/* *out untouched on every failure. */
	ck_assert_int_eq(sdes_parse("1 " CM80 " inline:" B64_28, &c, NULL, 0), -EBADMSG);
	ck_assert_int_eq(sdes_parse("1 " CM80 " inline:" B64_30 "|2^20", &c, NULL, 0), -ENOTSUP);
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
	/* NULL arguments. */
	ck_assert_int_eq(sdes_parse(NULL, &c, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(sdes_parse("1 " CM80 " inline:" B64_30, NULL, why, sizeof(why)), -EINVAL);
	/* why is cut to its size, and why of size 0 is not written. */
	ck_assert_int_eq(sdes_parse("1 " CM80 " inline:" B64_30 " KDR=1", &c, tiny, sizeof(tiny)),
			 -ENOTSUP);
	ck_assert_str_eq(tiny, "session");
	tiny[0] = '#';
	ck_assert_int_eq(sdes_parse("1 " CM80 " inline:" B64_30 " KDR=1", &c, tiny, 0), -ENOTSUP);
	ck_assert_int_eq(tiny[0], '#');
	/* why is emptied on success. */
	strcpy(tiny, "stale");
	ck_assert_int_eq(sdes_parse("1 " CM80 " inline:" B64_30, &c, tiny, sizeof(tiny)), 0);
	ck_assert_str_eq(tiny, "");
}
END_TEST

static Suite *sdes_suite(void)
{
	Suite *s = suite_create("sdes");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_suites);
	tcase_add_test(tc, test_key_new);
	tcase_add_test(tc, test_wipe);
	tcase_add_test(tc, test_rfc4568_examples);
	tcase_add_test(tc, test_known_keys);
	tcase_add_test(tc, test_format_known);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_format_errors);
	tcase_add_test(tc, test_bad_keys);
	tcase_add_test(tc, test_unknown_suites);
	tcase_add_test(tc, test_mki);
	tcase_add_test(tc, test_session_params);
	tcase_add_test(tc, test_lifetime);
	tcase_add_test(tc, test_tag);
	tcase_add_test(tc, test_whitespace);
	tcase_add_test(tc, test_out_and_why);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(sdes_suite());
}
