/*
 * g711: G.711 mu-law and A-law (see g711.h).
 *
 * Decoding: 256 codes, so a constant table of the values spandsp's
 * ulaw_to_linear() and alaw_to_linear() give (generated from them once;
 * check_g711 compares every entry with them and a set with G.711's own
 * tables).  A table built at run time would be a global with state; this
 * one is rodata.
 *
 * Encoding is spandsp's linear_to_ulaw() / linear_to_alaw() through a
 * table each (one load per sample instead of a sign, a segment search
 * and shifts: 24 instructions a sample with spandsp's portable top_bit()).
 * Those two stay the reference: the tables are filled from them, once,
 * at the first encode (call_once), and check_g711 holds the encoders to
 * them over all 65,536 samples.
 *   - A-law's code depends on the sample's top 12 bits only (spandsp
 *     takes a negative x's magnitude as ~x, which keeps x's bits, and
 *     drops the 4 below): alaw_enc[(uint16_t)x >> 4], 4 KB.
 *   - Mu-law's depends on the top bits of the magnitude, not of the
 *     sample: spandsp biases the magnitude (132 + |x|), so -4 codes as -5
 *     does, not as -1; a table of x >> 2 filled with linear_to_ulaw(i << 2)
 *     would be wrong for 381 negative samples.  A negative sample's code
 *     is its magnitude's with the sign bit (0x80) clear:
 *     ulaw_enc[|x| >> 2] ^ 0x80, 8 KB.
 * Any thread may call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <spandsp.h>

#include "media/g711.h"

#define ULAW_ENC_N (32768 / 4 + 1) /* |x| >> 2 for |x| up to 32768 */
#define ALAW_ENC_N (65536 / 16)	   /* (uint16_t)x >> 4 */

static uint8_t ulaw_enc[ULAW_ENC_N]; /* linear_to_ulaw(m << 2), m >= 0 */
static uint8_t alaw_enc[ALAW_ENC_N]; /* linear_to_alaw((int16_t)(i << 4)) */
static once_flag enc_once = ONCE_FLAG_INIT;

static void enc_init(void)
{
	for (int m = 0; m < ULAW_ENC_N; m++)
		ulaw_enc[m] = linear_to_ulaw(m << 2);
	for (int i = 0; i < ALAW_ENC_N; i++)
		alaw_enc[i] = linear_to_alaw((int16_t)(uint16_t)(i << 4));
}

/* ulaw_to_linear(code) for code 0x00..0xFF. */
static const int16_t ulaw_lin[256] = {
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
	-23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
	-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
	-7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140,
	-5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
	-3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004,
	-2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
	-1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
	-1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
	-876, -844, -812, -780, -748, -716, -684, -652,
	-620, -588, -556, -524, -492, -460, -428, -396,
	-372, -356, -340, -324, -308, -292, -276, -260,
	-244, -228, -212, -196, -180, -164, -148, -132,
	-120, -112, -104, -96, -88, -80, -72, -64,
	-56, -48, -40, -32, -24, -16, -8, 0,
	32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956,
	23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
	15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412,
	11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
	7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
	5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
	3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004,
	2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
	1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436,
	1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
	876, 844, 812, 780, 748, 716, 684, 652,
	620, 588, 556, 524, 492, 460, 428, 396,
	372, 356, 340, 324, 308, 292, 276, 260,
	244, 228, 212, 196, 180, 164, 148, 132,
	120, 112, 104, 96, 88, 80, 72, 64,
	56, 48, 40, 32, 24, 16, 8, 0,
};

/* alaw_to_linear(code) for code 0x00..0xFF. */
static const int16_t alaw_lin[256] = {
	-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736,
	-7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784,
	-2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368,
	-3776, -3648, -4032, -3904, -3264, -3136, -3520, -3392,
	-22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944,
	-30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
	-11008, -10496, -12032, -11520, -8960, -8448, -9984, -9472,
	-15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,
	-344, -328, -376, -360, -280, -264, -312, -296,
	-472, -456, -504, -488, -408, -392, -440, -424,
	-88, -72, -120, -104, -24, -8, -56, -40,
	-216, -200, -248, -232, -152, -136, -184, -168,
	-1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184,
	-1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696,
	-688, -656, -752, -720, -560, -528, -624, -592,
	-944, -912, -1008, -976, -816, -784, -880, -848,
	5504, 5248, 6016, 5760, 4480, 4224, 4992, 4736,
	7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784,
	2752, 2624, 3008, 2880, 2240, 2112, 2496, 2368,
	3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392,
	22016, 20992, 24064, 23040, 17920, 16896, 19968, 18944,
	30208, 29184, 32256, 31232, 26112, 25088, 28160, 27136,
	11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472,
	15104, 14592, 16128, 15616, 13056, 12544, 14080, 13568,
	344, 328, 376, 360, 280, 264, 312, 296,
	472, 456, 504, 488, 408, 392, 440, 424,
	88, 72, 120, 104, 24, 8, 56, 40,
	216, 200, 248, 232, 152, 136, 184, 168,
	1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184,
	1888, 1824, 2016, 1952, 1632, 1568, 1760, 1696,
	688, 656, 752, 720, 560, 528, 624, 592,
	944, 912, 1008, 976, 816, 784, 880, 848,
};

void g711_ulaw_encode(uint8_t *out, const int16_t *in, size_t n)
{
	call_once(&enc_once, enc_init);
	for (size_t i = 0; i < n; i++)
		out[i] = ulaw_enc[abs(in[i]) >> 2] ^ (in[i] < 0 ? 0x80 : 0);
}

void g711_ulaw_decode(int16_t *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ulaw_lin[in[i]];
}

void g711_alaw_encode(uint8_t *out, const int16_t *in, size_t n)
{
	call_once(&enc_once, enc_init);
	for (size_t i = 0; i < n; i++)
		out[i] = alaw_enc[(uint16_t)in[i] >> 4];
}

void g711_alaw_decode(int16_t *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = alaw_lin[in[i]];
}
