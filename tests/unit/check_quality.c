/*
 * check_quality: the E-model figures of src/media/quality.c against
 * values worked by hand from the formulas in quality.h:
 *
 *   R = 93.2 - Id - Ie,eff,  Ie,eff = 95 Ppl / (Ppl + 25.1),
 *   Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3),
 *   MOS = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6.
 */
#include <check.h>
#include <math.h>

#include "media/quality.h"

#include "check_run.h"

#define TOL 1e-4

START_TEST(test_r_best)
{
	/* No loss, no delay: G.107's default R. */
	ck_assert_double_eq_tol(quality_r(0, 0), 93.2, 1e-12);
}
END_TEST

START_TEST(test_r_loss)
{
	/* 1 %: Ie,eff = 95 x 1 / 26.1 = 3.63985; R = 93.2 - 3.63985 = 89.56015. */
	ck_assert_double_eq_tol(quality_r(1, 0), 89.56015, TOL);
	/* 5 %: 475 / 30.1 = 15.78073; R = 77.41927. */
	ck_assert_double_eq_tol(quality_r(5, 0), 77.41927, TOL);
	/* 20 %: 1900 / 45.1 = 42.12860; R = 51.07140. */
	ck_assert_double_eq_tol(quality_r(20, 0), 51.07140, TOL);
	/* 100 %: 9500 / 125.1 = 75.93925; R = 17.26075. */
	ck_assert_double_eq_tol(quality_r(100, 0), 17.26075, TOL);
}
END_TEST

START_TEST(test_r_delay)
{
	/* 150 ms, below the knee: Id = 0.024 x 150 = 3.6; R = 89.6. */
	ck_assert_double_eq_tol(quality_r(0, 150), 89.6, TOL);
	/* At the knee, 177.3 ms: Id = 4.2552; R = 88.9448. */
	ck_assert_double_eq_tol(quality_r(0, 177.3), 88.9448, TOL);
	/* 300 ms: Id = 7.2 + 0.11 x 122.7 = 7.2 + 13.497 = 20.697; R = 72.503. */
	ck_assert_double_eq_tol(quality_r(0, 300), 72.503, TOL);
}
END_TEST

START_TEST(test_r_both)
{
	/* 1 % and 150 ms: 93.2 - 3.6 - 3.63985 = 85.96015. */
	ck_assert_double_eq_tol(quality_r(1, 150), 85.96015, TOL);
	/* 5 % and 300 ms: 93.2 - 20.697 - 15.78073 = 56.72227. */
	ck_assert_double_eq_tol(quality_r(5, 300), 56.72227, TOL);
	/* 20 % and 300 ms: 93.2 - 20.697 - 42.12860 = 30.37440. */
	ck_assert_double_eq_tol(quality_r(20, 300), 30.37440, TOL);
}
END_TEST

/* Out-of-range input is taken at the nearest bound, never NaN. */
START_TEST(test_r_bounds)
{
	ck_assert_double_eq_tol(quality_r(-5, 0), 93.2, 1e-12);
	ck_assert_double_eq_tol(quality_r(NAN, 0), 93.2, 1e-12);
	ck_assert_double_eq_tol(quality_r(150, 0), quality_r(100, 0), 1e-12);
	ck_assert_double_eq_tol(quality_r(INFINITY, 0), quality_r(100, 0), 1e-12);
	ck_assert_double_eq_tol(quality_r(0, -20), 93.2, 1e-12);
	ck_assert_double_eq_tol(quality_r(0, NAN), 93.2, 1e-12);
	ck_assert(!isnan(quality_r(NAN, NAN)));
	/* Very bad is below 0: 50 % and 1 s: 93.2 - 114.497 - 63.249 = -84.546. */
	ck_assert_double_eq_tol(quality_r(50, 1000), -84.546, 1e-3);
	ck_assert(quality_r(0, INFINITY) < 0);
	/* More loss or more delay is never better. */
	for (int i = 1; i <= 100; i++) {
		ck_assert(quality_r(i, 0) < quality_r(i - 1, 0));
		ck_assert(quality_r(0, i * 10) < quality_r(0, (i - 1) * 10));
	}
}
END_TEST

START_TEST(test_mos)
{
	/* R 93.2: 1 + 3.262 + 93.2 x 33.2 x 6.8 x 7e-6 (0.147286) = 4.409286. */
	ck_assert_double_eq_tol(quality_mos(93.2), 4.409286, 1e-6);
	ck_assert_double_eq_tol(quality_mos(quality_r(0, 0)), 4.409286, 1e-6);
	/* R 80: 1 + 2.8 + 80 x 20 x 20 x 7e-6 (0.224) = 4.024. */
	ck_assert_double_eq_tol(quality_mos(80), 4.024, 1e-9);
	/* R 60: the cubic term is 0: 1 + 2.1 = 3.1. */
	ck_assert_double_eq_tol(quality_mos(60), 3.1, 1e-9);
	/* R 50: 1 + 1.75 - 50 x 10 x 50 x 7e-6 (0.175) = 2.575. */
	ck_assert_double_eq_tol(quality_mos(50), 2.575, 1e-9);
	/* R 51.07140 (20 % loss): 1 + 1.787499 - 51.0714 x 8.9286 x 48.9286 x 7e-6 = 2.631320. */
	ck_assert_double_eq_tol(quality_mos(quality_r(20, 0)), 2.631320, 1e-5);
	/* R 72.503 (300 ms): 1 + 2.537605 + 72.503 x 12.503 x 27.497 x 7e-6 = 3.712088. */
	ck_assert_double_eq_tol(quality_mos(quality_r(0, 300)), 3.712088, 1e-5);
}
END_TEST

/* G.107 B.4's ends, and the dip of the polynomial below 1 for R < 6.5. */
START_TEST(test_mos_bounds)
{
	ck_assert_double_eq(quality_mos(0), 1.0);
	ck_assert_double_eq(quality_mos(-84.5), 1.0);
	ck_assert_double_eq(quality_mos(-INFINITY), 1.0);
	ck_assert_double_eq(quality_mos(NAN), 1.0);
	ck_assert_double_eq(quality_mos(100), 4.5);
	ck_assert_double_eq(quality_mos(150), 4.5);
	ck_assert_double_eq(quality_mos(INFINITY), 4.5);
	/* R 3: 1 + 0.105 - 3 x 57 x 97 x 7e-6 (0.116109) = 0.988891, raised to 1. */
	ck_assert_double_eq(quality_mos(3), 1.0);
	/* R 10: 1 + 0.35 - 10 x 50 x 90 x 7e-6 (0.315) = 1.035: above 1, as computed. */
	ck_assert_double_eq_tol(quality_mos(10), 1.035, 1e-9);
	/* Just under 100 meets 4.5. */
	ck_assert_double_eq_tol(quality_mos(99.9), 4.4992902, 1e-6);
	/* Never outside [1, 4.5], never decreasing in R. */
	for (double r = -10; r <= 110; r += 0.5) {
		ck_assert(quality_mos(r) >= 1.0 && quality_mos(r) <= 4.5);
		ck_assert(quality_mos(r + 0.5) >= quality_mos(r));
	}
}
END_TEST

static Suite *quality_suite(void)
{
	Suite *s = suite_create("quality");
	TCase *tc = tcase_create("emodel");

	tcase_add_test(tc, test_r_best);
	tcase_add_test(tc, test_r_loss);
	tcase_add_test(tc, test_r_delay);
	tcase_add_test(tc, test_r_both);
	tcase_add_test(tc, test_r_bounds);
	tcase_add_test(tc, test_mos);
	tcase_add_test(tc, test_mos_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(quality_suite());
}
