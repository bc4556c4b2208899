/*
 * tone: a sine tone generator, the `tone:HZ` source of a call (a test call
 * that should hear 1000 Hz, a dial or hold tone).
 *
 * A phase accumulator walks a constant sine table: phase is a 32-bit
 * fraction of a turn, each sample adds step = hz / rate turns (rounded to
 * 2^-32 of a turn, so the frequency is off by less than rate / 2^33 Hz),
 * and the sample is the table's value at the phase, interpolated between
 * its two neighbouring entries.  No sin() per sample, no allocation; the
 * struct is public so that a call embeds it.  Successive tone_fill() calls
 * continue the same wave whatever their sizes.
 */
#ifndef SIPUAD_TONE_H
#define SIPUAD_TONE_H

#include <stddef.h>
#include <stdint.h>

struct tone {
	uint32_t phase;	/* where the next sample is, in 2^-32 turns */
	uint32_t step;	/* turns per sample, in 2^-32; 0: silence */
	int16_t amp;	/* the peak, 0..32767 */
};

/*
 * A tone of hz at rate samples per second, peaking at |amplitude| (-32768
 * counts as 32767), starting at phase 0 (the first sample is 0: no click).
 * hz 0, rate 0, or hz at or above rate / 2 (it could only alias) give
 * silence.
 */
void tone_init(struct tone *t, unsigned hz, unsigned rate, int16_t amplitude);

/* The next n samples of t into out; |sample| <= t's amplitude. */
void tone_fill(struct tone *t, int16_t *out, size_t n);

#endif
