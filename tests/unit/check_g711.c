/*
 * check_g711: PCMU and PCMA of src/media/g711.c against ITU-T G.711.
 *
 * The expected values are G.711's decoder outputs (Table 2 for mu-law,
 * Table 1 for A-law: first and last value of each segment) on the 16-bit
 * scale, x4 for mu-law's 14 bits and x8 for A-law's 13, which is what
 * Sun's g711.c gives; the decode tables are also compared entry by entry
 * with spandsp, and the encoders with spandsp's for every int16.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp.h>

#include "media/g711.h"

#include "check_run.h"

struct pair {
	uint8_t code;
	int16_t lin;
};

/* Mu-law: the wire code is the complement of sign|segment|quantum. */
static const struct pair ulaw_itu[] = {
    {0xFF, 0},	    {0xFE, 8},	    {0xF0, 120},    {0xEF, 132},   {0xE0, 372},
    {0xDF, 396},    {0xCF, 924},    {0xBF, 1980},   {0xAF, 4092},  {0x9F, 8316},
    {0x8F, 16764},  {0x81, 31100},  {0x80, 32124},  {0x7F, 0},	   {0x7E, -8},
    {0x70, -120},   {0x6F, -132},   {0x1F, -8316},  {0x0F, -16764}, {0x00, -32124},
};

/* A-law: the wire code is sign|segment|quantum with the even bits inverted. */
static const struct pair alaw_itu[] = {
    {0xD5, 8},	   {0xD4, 24},	   {0xDA, 248},	   {0xC5, 264},	  {0xF5, 528},
    {0xE5, 1056},  {0x95, 2112},   {0x85, 4224},   {0xB5, 8448},  {0xA5, 16896},
    {0xAA, 32256}, {0x55, -8},	   {0x54, -24},	   {0x45, -264},  {0x25, -16896},
    {0x2A, -32256},
};

#define NPAIRS(a) (sizeof(a) / sizeof((a)[0]))

static int16_t ulaw_dec1(uint8_t c)
{
	int16_t v;

	g711_ulaw_decode(&v, &c, 1);
	return v;
}

static int16_t alaw_dec1(uint8_t c)
{
	int16_t v;

	g711_alaw_decode(&v, &c, 1);
	return v;
}

static uint8_t ulaw_enc1(int16_t x)
{
	uint8_t c;

	g711_ulaw_encode(&c, &x, 1);
	return c;
}

static uint8_t alaw_enc1(int16_t x)
{
	uint8_t c;

	g711_alaw_encode(&c, &x, 1);
	return c;
}

START_TEST(test_ulaw_itu_values)
{
	for (size_t i = 0; i < NPAIRS(ulaw_itu); i++)
		ck_assert_msg(ulaw_dec1(ulaw_itu[i].code) == ulaw_itu[i].lin,
			      "ulaw 0x%02X: %d, G.711 says %d", ulaw_itu[i].code,
			      ulaw_dec1(ulaw_itu[i].code), ulaw_itu[i].lin);
}
END_TEST

START_TEST(test_alaw_itu_values)
{
	for (size_t i = 0; i < NPAIRS(alaw_itu); i++)
		ck_assert_msg(alaw_dec1(alaw_itu[i].code) == alaw_itu[i].lin,
			      "alaw 0x%02X: %d, G.711 says %d", alaw_itu[i].code,
			      alaw_dec1(alaw_itu[i].code), alaw_itu[i].lin);
}
END_TEST

/* The constant tables are spandsp's decoder, entry by entry. */
START_TEST(test_tables_are_spandsp)
{
	for (int c = 0; c < 256; c++) {
		ck_assert_int_eq(ulaw_dec1((uint8_t)c), ulaw_to_linear((uint8_t)c));
		ck_assert_int_eq(alaw_dec1((uint8_t)c), alaw_to_linear((uint8_t)c));
	}
}
END_TEST

/*
 * The encoders are spandsp's linear_to_ulaw() and linear_to_alaw() for
 * every int16, through tables indexed by part of the sample: a wrong
 * index shows here (a mu-law table of x >> 2 would fail on -4).
 */
START_TEST(test_encode_is_spandsp)
{
	static int16_t in[65536];
	static uint8_t u[65536], a[65536];

	for (int i = 0; i < 65536; i++)
		in[i] = (int16_t)(i - 32768);
	g711_ulaw_encode(u, in, 65536);
	g711_alaw_encode(a, in, 65536);
	for (int i = 0; i < 65536; i++) {
		ck_assert_msg(u[i] == linear_to_ulaw(in[i]), "ulaw %d: 0x%02X, spandsp 0x%02X",
			      in[i], u[i], linear_to_ulaw(in[i]));
		ck_assert_msg(a[i] == linear_to_alaw(in[i]), "alaw %d: 0x%02X, spandsp 0x%02X",
			      in[i], a[i], linear_to_alaw(in[i]));
	}
}
END_TEST

/* code -> linear -> code is the identity, but for mu-law's negative zero. */
START_TEST(test_round_trip_codes)
{
	for (int c = 0; c < 256; c++) {
		uint8_t u = ulaw_enc1(ulaw_dec1((uint8_t)c));
		uint8_t a = alaw_enc1(alaw_dec1((uint8_t)c));

		ck_assert_msg(u == (c == 0x7F ? 0xFF : c), "ulaw 0x%02X came back 0x%02X", c, u);
		ck_assert_msg(a == c, "alaw 0x%02X came back 0x%02X", c, a);
	}
}
END_TEST

/* Half the width of code c's quantization intervals (G.711 segments). */
static int ulaw_half_step(uint8_t c)
{
	return 4 << ((~c >> 4) & 7);
}

static int alaw_half_step(uint8_t c)
{
	int seg = ((c ^ 0x55) >> 4) & 7;

	return seg ? 8 << (seg - 1) : 8;
}

/*
 * Over every int16: what comes back never goes down as the input goes up,
 * and lies within half an interval of the input (inside the law's range).
 */
START_TEST(test_monotonic_and_bounded)
{
	int prev_u = INT16_MIN, prev_a = INT16_MIN;

	for (int x = INT16_MIN; x <= INT16_MAX; x++) {
		uint8_t u = ulaw_enc1((int16_t)x), a = alaw_enc1((int16_t)x);
		int vu = ulaw_dec1(u), va = alaw_dec1(a);

		ck_assert_msg(vu >= prev_u, "ulaw not monotonic at %d", x);
		ck_assert_msg(va >= prev_a, "alaw not monotonic at %d", x);
		prev_u = vu;
		prev_a = va;
		if (abs(x) <= 32124)
			ck_assert_msg(abs(x - vu) <= ulaw_half_step(u), "ulaw %d -> %d", x, vu);
		if (abs(x) <= 32256)
			ck_assert_msg(abs(x - va) <= alaw_half_step(a), "alaw %d -> %d", x, va);
	}
}
END_TEST

/* Beyond the largest level, the largest code. */
START_TEST(test_clipping)
{
	ck_assert_uint_eq(ulaw_enc1(32767), 0x80);
	ck_assert_uint_eq(ulaw_enc1(32124), 0x80);
	ck_assert_uint_eq(ulaw_enc1(-32768), 0x00);
	ck_assert_uint_eq(ulaw_enc1(-32124), 0x00);
	ck_assert_uint_eq(alaw_enc1(32767), 0xAA);
	ck_assert_uint_eq(alaw_enc1(32256), 0xAA);
	ck_assert_uint_eq(alaw_enc1(-32768), 0x2A);
	ck_assert_uint_eq(alaw_enc1(-32256), 0x2A);
	ck_assert_int_eq(ulaw_dec1(ulaw_enc1(32767)), 32124);
	ck_assert_int_eq(ulaw_dec1(ulaw_enc1(-32768)), -32124);
	ck_assert_int_eq(alaw_dec1(alaw_enc1(32767)), 32256);
	ck_assert_int_eq(alaw_dec1(alaw_enc1(-32768)), -32256);
}
END_TEST

/*
 * Around zero: mu-law has two zeros, 0xFF for 0..3 and 0x7F (negative
 * zero) for -3..-1; A-law has none, its smallest levels are 0xD5 (8) and
 * 0x55 (-8).
 */
START_TEST(test_zero)
{
	ck_assert_uint_eq(ulaw_enc1(0), 0xFF);
	ck_assert_uint_eq(ulaw_enc1(3), 0xFF);
	ck_assert_uint_eq(ulaw_enc1(4), 0xFE);
	ck_assert_uint_eq(ulaw_enc1(-1), 0x7F);
	ck_assert_uint_eq(ulaw_enc1(-3), 0x7F);
	ck_assert_uint_eq(ulaw_enc1(-4), 0x7E);
	ck_assert_uint_eq(alaw_enc1(15), 0xD5);
	ck_assert_uint_eq(alaw_enc1(16), 0xD4);
	ck_assert_uint_eq(alaw_enc1(-16), 0x55);
	ck_assert_uint_eq(alaw_enc1(-17), 0x54);
	ck_assert_uint_eq(alaw_enc1(0), 0xD5);
	ck_assert_uint_eq(alaw_enc1(-1), 0x55);
}
END_TEST

/* A buffer is done sample by sample, n of them and not one more. */
START_TEST(test_buffers)
{
	int16_t in[160 + 1], back[160 + 1];
	uint8_t enc[160 + 1];

	for (int i = 0; i < 160; i++)
		in[i] = (int16_t)(i * 409 - 32768);
	for (int law = 0; law < 2; law++) {
		memset(enc, 0x33, sizeof(enc));
		for (int i = 0; i <= 160; i++)
			back[i] = 12345;
		if (law) {
			g711_alaw_encode(enc, in, 160);
			g711_alaw_decode(back, enc, 160);
		} else {
			g711_ulaw_encode(enc, in, 160);
			g711_ulaw_decode(back, enc, 160);
		}
		for (int i = 0; i < 160; i++) {
			uint8_t c = law ? alaw_enc1(in[i]) : ulaw_enc1(in[i]);

			ck_assert_uint_eq(enc[i], c);
			ck_assert_int_eq(back[i], law ? alaw_dec1(c) : ulaw_dec1(c));
		}
		ck_assert_uint_eq(enc[160], 0x33);
		ck_assert_int_eq(back[160], 12345);
	}
	/* n = 0 touches nothing (the pointers are not even read). */
	g711_ulaw_encode(NULL, NULL, 0);
	g711_ulaw_decode(NULL, NULL, 0);
	g711_alaw_encode(NULL, NULL, 0);
	g711_alaw_decode(NULL, NULL, 0);
}
END_TEST

static Suite *g711_suite(void)
{
	Suite *s = suite_create("g711");
	TCase *tc = tcase_create("g711");

	tcase_add_test(tc, test_ulaw_itu_values);
	tcase_add_test(tc, test_alaw_itu_values);
	tcase_add_test(tc, test_tables_are_spandsp);
	tcase_add_test(tc, test_encode_is_spandsp);
	tcase_add_test(tc, test_round_trip_codes);
	tcase_add_test(tc, test_monotonic_and_bounded);
	tcase_add_test(tc, test_clipping);
	tcase_add_test(tc, test_zero);
	tcase_add_test(tc, test_buffers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(g711_suite());
}
