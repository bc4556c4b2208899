/*
 * tone: sine tone by phase accumulator and table (see tone.h).
 *
 * The table holds one turn in 256 steps (and the first entry again at 256,
 * so that interpolation never wraps): the top 8 bits of the phase pick the
 * entry, the next 16 the point between it and the next one.  With linear
 * interpolation the error of a 256-entry table is below 1e-4 of full scale
 * (-80 dB: with the rounding of the table and of the sample, within 3.5
 * int16 steps of the true sine at full amplitude), far under G.711's own
 * quantization; a 514-byte table stays in cache.
 */
#include "media/tone.h"

/* lrint(32767 * sin(2 * pi * i / 256)) for i = 0..256. */
static const int16_t sine[257] = {
	0, 804, 1608, 2410, 3212, 4011, 4808, 5602,
	6393, 7179, 7962, 8739, 9512, 10278, 11039, 11793,
	12539, 13279, 14010, 14732, 15446, 16151, 16846, 17530,
	18204, 18868, 19519, 20159, 20787, 21403, 22005, 22594,
	23170, 23731, 24279, 24811, 25329, 25832, 26319, 26790,
	27245, 27683, 28105, 28510, 28898, 29268, 29621, 29956,
	30273, 30571, 30852, 31113, 31356, 31580, 31785, 31971,
	32137, 32285, 32412, 32521, 32609, 32678, 32728, 32757,
	32767, 32757, 32728, 32678, 32609, 32521, 32412, 32285,
	32137, 31971, 31785, 31580, 31356, 31113, 30852, 30571,
	30273, 29956, 29621, 29268, 28898, 28510, 28105, 27683,
	27245, 26790, 26319, 25832, 25329, 24811, 24279, 23731,
	23170, 22594, 22005, 21403, 20787, 20159, 19519, 18868,
	18204, 17530, 16846, 16151, 15446, 14732, 14010, 13279,
	12539, 11793, 11039, 10278, 9512, 8739, 7962, 7179,
	6393, 5602, 4808, 4011, 3212, 2410, 1608, 804,
	0, -804, -1608, -2410, -3212, -4011, -4808, -5602,
	-6393, -7179, -7962, -8739, -9512, -10278, -11039, -11793,
	-12539, -13279, -14010, -14732, -15446, -16151, -16846, -17530,
	-18204, -18868, -19519, -20159, -20787, -21403, -22005, -22594,
	-23170, -23731, -24279, -24811, -25329, -25832, -26319, -26790,
	-27245, -27683, -28105, -28510, -28898, -29268, -29621, -29956,
	-30273, -30571, -30852, -31113, -31356, -31580, -31785, -31971,
	-32137, -32285, -32412, -32521, -32609, -32678, -32728, -32757,
	-32767, -32757, -32728, -32678, -32609, -32521, -32412, -32285,
	-32137, -31971, -31785, -31580, -31356, -31113, -30852, -30571,
	-30273, -29956, -29621, -29268, -28898, -28510, -28105, -27683,
	-27245, -26790, -26319, -25832, -25329, -24811, -24279, -23731,
	-23170, -22594, -22005, -21403, -20787, -20159, -19519, -18868,
	-18204, -17530, -16846, -16151, -15446, -14732, -14010, -13279,
	-12539, -11793, -11039, -10278, -9512, -8739, -7962, -7179,
	-6393, -5602, -4808, -4011, -3212, -2410, -1608, -804,
	0,
};

void tone_init(struct tone *t, unsigned hz, unsigned rate, int16_t amplitude)
{
	int amp = amplitude < 0 ? -(int)amplitude : amplitude;

	t->phase = 0;
	t->amp = (int16_t)(amp > INT16_MAX ? INT16_MAX : amp);
	/* At or above Nyquist a sine can only alias: silence instead. */
	if (hz == 0 || (uint64_t)hz * 2 >= rate)
		t->step = 0;
	else
		t->step = (uint32_t)((((uint64_t)hz << 32) + rate / 2) / rate);
}

/*
 * The sample at phase for peak amp: the table interpolated (kept x 2^16),
 * scaled by amp / 32767 and rounded to nearest, so that |sample| <= amp.
 */
static int16_t sample_at(uint32_t phase, int32_t amp)
{
	const int64_t den = (int64_t)32767 << 16;
	uint32_t i = phase >> 24;
	int64_t frac = (phase >> 8) & 0xFFFF;
	int64_t v = (int64_t)sine[i] * 65536 + (sine[i + 1] - sine[i]) * frac;

	v *= amp;
	return (int16_t)((v >= 0 ? v + den / 2 : v - den / 2) / den);
}

void tone_fill(struct tone *t, int16_t *out, size_t n)
{
	if (t->step == 0 || t->amp == 0) {
		for (size_t i = 0; i < n; i++)
			out[i] = 0;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = sample_at(t->phase, t->amp);
		t->phase += t->step;
	}
}
