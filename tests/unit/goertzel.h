/*
 * goertzel: how much of one frequency a block of samples holds, for the
 * audio suites (tone, afile, wavrec) to check what they hear.
 *
 * goertzel_amp() runs the Goertzel recurrence at hz and gives the
 * amplitude of that component: a sine of peak A at exactly hz over a
 * whole number of periods gives A; a frequency far from hz, near 0.
 */
#ifndef SIPUAD_CHECK_GOERTZEL_H
#define SIPUAD_CHECK_GOERTZEL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline double goertzel_amp(const int16_t *x, size_t n, double hz, double rate)
{
	double c = 2 * cos(2 * M_PI * hz / rate), s1 = 0, s2 = 0, p;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return n ? 2 * sqrt(p > 0 ? p : 0) / (double)n : 0;
}

/* The peak |sample| of x[0..n). */
static inline int peak_abs(const int16_t *x, size_t n)
{
	int m = 0;

	for (size_t i = 0; i < n; i++)
		if (abs(x[i]) > m)
			m = abs(x[i]);
	return m;
}

#endif
