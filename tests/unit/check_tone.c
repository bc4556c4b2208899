/*
 * check_tone: the sine generator of src/media/tone.c: the frequency it
 * is asked for (Goertzel), the sine itself sample by sample, one wave
 * across fills of any size, the amplitude bound, and silence where a tone
 * cannot be.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/tone.h"

#include "check_run.h"
#include "goertzel.h"

#define N 8000

static int16_t buf[N], buf2[N];

START_TEST(test_frequency)
{
	static const unsigned hz[] = {1000, 440, 3000, 300};
	static const unsigned rate[] = {8000, 8000, 8000, 16000};
	struct tone t;

	for (size_t k = 0; k < 4; k++) {
		double a;

		tone_init(&t, hz[k], rate[k], 16000);
		tone_fill(&t, buf, N);
		a = goertzel_amp(buf, N, hz[k], rate[k]);
		ck_assert_msg(fabs(a - 16000) < 160, "%u Hz at %u: amplitude %.0f", hz[k], rate[k],
			      a);
		ck_assert_msg(goertzel_amp(buf, N, hz[k] * 0.5, rate[k]) < 50, "%u Hz: half", hz[k]);
		ck_assert_msg(goertzel_amp(buf, N, hz[k] * 1.5, rate[k]) < 50, "%u Hz: 1.5x", hz[k]);
	}
}
END_TEST

/*
 * Every sample within 3.5 of amp * sin(2 pi hz i / rate): the chord of a
 * 256-step table sags 2.5 at full scale, entry and sample round 0.5 each.
 */
START_TEST(test_is_a_sine)
{
	static const unsigned hz[] = {1000, 440, 3999, 1};
	struct tone t;

	for (size_t k = 0; k < 4; k++) {
		tone_init(&t, hz[k], 8000, 32767);
		tone_fill(&t, buf, N);
		for (int i = 0; i < N; i++) {
			double want = 32767 * sin(2 * M_PI * hz[k] * (double)i / 8000);

			ck_assert_msg(fabs(buf[i] - want) <= 3.5, "%u Hz, sample %d: %d, sine %.1f",
				      hz[k], i, buf[i], want);
		}
	}
}
END_TEST

/* Fills of odd sizes continue one wave: the same samples as one fill. */
START_TEST(test_phase_continuous)
{
	static const size_t sizes[] = {1, 7, 13, 79, 80, 81, 160, 333, 2};
	struct tone t;
	size_t at = 0, k = 0;

	tone_init(&t, 1234, 8000, 20000);
	tone_fill(&t, buf, N);
	tone_init(&t, 1234, 8000, 20000);
	memset(buf2, 0x55, sizeof(buf2));
	while (at < N) {
		size_t n = sizes[k++ % 9];

		if (n > N - at)
			n = N - at;
		tone_fill(&t, buf2 + at, n);
		at += n;
	}
	ck_assert_int_eq(memcmp(buf, buf2, sizeof(buf)), 0);
	/* n = 0 neither writes nor moves the phase. */
	tone_init(&t, 1000, 8000, 100);
	tone_fill(&t, NULL, 0);
	ck_assert_uint_eq(t.phase, 0);
}
END_TEST

/* |sample| <= |amplitude|, and the peak is reached (1000 Hz at 8000 hits 90 degrees). */
START_TEST(test_amplitude)
{
	static const int16_t amp[] = {1, 100, 16000, 32767, -32768, -5, 0};
	static const int peak[] = {1, 100, 16000, 32767, 32767, 5, 0};
	struct tone t;

	for (size_t k = 0; k < 7; k++) {
		tone_init(&t, 1000, 8000, amp[k]);
		tone_fill(&t, buf, N);
		ck_assert_msg(peak_abs(buf, N) == peak[k], "amplitude %d: peak %d", amp[k],
			      peak_abs(buf, N));
		tone_init(&t, 997, 8000, amp[k]);
		tone_fill(&t, buf, N);
		ck_assert_msg(peak_abs(buf, N) <= peak[k], "997 Hz, amplitude %d: peak %d", amp[k],
			      peak_abs(buf, N));
	}
	/* A negative amplitude is the same wave, not its inverse. */
	tone_init(&t, 1000, 8000, -1000);
	tone_fill(&t, buf, 8);
	ck_assert_int_eq(buf[2], 1000);
}
END_TEST

/* The first sample is 0; the step is hz / rate turns in 2^-32. */
START_TEST(test_start_and_step)
{
	struct tone t;

	tone_init(&t, 1000, 8000, 8000);
	ck_assert_uint_eq(t.phase, 0);
	ck_assert_uint_eq(t.step, 1u << 29);
	tone_fill(&t, buf, 3);
	ck_assert_int_eq(buf[0], 0);
	ck_assert_int_eq(buf[1], 5657); /* 8000 sin(45 deg) */
	ck_assert_int_eq(buf[2], 8000);
	ck_assert_uint_eq(t.phase, 3u << 29);
	/* init starts over */
	tone_init(&t, 1000, 8000, 8000);
	ck_assert_uint_eq(t.phase, 0);
}
END_TEST

/* No tone possible or asked for: silence, every sample written. */
START_TEST(test_silence)
{
	static const unsigned hz[] = {0, 4000, 5000, 1000, 8000, UINT32_MAX};
	static const unsigned rate[] = {8000, 8000, 8000, 0, 8000, 8000};
	struct tone t;

	for (size_t k = 0; k < 6; k++) {
		tone_init(&t, hz[k], rate[k], 10000);
		memset(buf, 0x55, sizeof(buf));
		tone_fill(&t, buf, N);
		ck_assert_msg(peak_abs(buf, N) == 0, "%u Hz at %u: not silent", hz[k], rate[k]);
	}
	tone_init(&t, 1000, 8000, 0);
	memset(buf, 0x55, sizeof(buf));
	tone_fill(&t, buf, N);
	ck_assert_int_eq(peak_abs(buf, N), 0);
	/* Just under Nyquist is still a tone (odd rate: 3999 < 7999 / 2). */
	tone_init(&t, 3999, 7999, 10000);
	tone_fill(&t, buf, N);
	ck_assert_int_gt(peak_abs(buf, N), 9000);
	tone_init(&t, 4000, 7999, 10000);
	ck_assert_uint_eq(t.step, 0);
}
END_TEST

static Suite *tone_suite(void)
{
	Suite *s = suite_create("tone");
	TCase *tc = tcase_create("tone");

	tcase_add_test(tc, test_frequency);
	tcase_add_test(tc, test_is_a_sine);
	tcase_add_test(tc, test_phase_continuous);
	tcase_add_test(tc, test_amplitude);
	tcase_add_test(tc, test_start_and_step);
	tcase_add_test(tc, test_silence);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(tone_suite());
}
