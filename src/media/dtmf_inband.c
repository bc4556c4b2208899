/*
 * dtmf_inband: DTMF tones detected in received audio, for peers that did
 * not offer telephone-event; see dtmf.h.  The only file of this module
 * that includes spandsp, whose dtmf_rx (Goertzel filters, ITU-T Q.23/Q.24
 * timing and twist rules) does the work with its default parameters: the
 * dial tone filter off (a call's audio after answer carries none), and
 * what its dtmf.h documents: twist up to 8 dB, reverse twist 4 dB, tones
 * attenuated by up to 26 dB, 15 dB signal to noise.
 *
 * spandsp reports the digits it found at the end of each dtmf_rx() call;
 * we turn that string into one callback per digit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <spandsp.h>

#include "media/dtmf.h"

/* Samples per dtmf_rx() call: its count is an int. */
#define CHUNK 8000

struct dtmf_inband {
	dtmf_rx_state_t *rx;
	dtmf_digit_fn *fn;
	void *arg;
};

static void on_digits(void *user, const char *s, int len)
{
	struct dtmf_inband *d = user;

	for (int i = 0; i < len; i++)
		d->fn(d->arg, s[i]);
}

int dtmf_inband_new(struct dtmf_inband **out, dtmf_digit_fn *fn, void *arg)
{
	struct dtmf_inband *d;

	if (!out || !fn)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fn = fn;
	d->arg = arg;
	d->rx = dtmf_rx_init(NULL, on_digits, d);
	if (!d->rx) {
		free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void dtmf_inband_feed(struct dtmf_inband *d, const int16_t *pcm, size_t n)
{
	if (!d || !pcm)
		return;
	while (n > 0) {
		int k = n < CHUNK ? (int)n : CHUNK;

		dtmf_rx(d->rx, pcm, k);
		pcm += k;
		n -= (size_t)k;
	}
}

void dtmf_inband_free(struct dtmf_inband *d)
{
	if (!d)
		return;
	dtmf_rx_free(d->rx);
	free(d);
}
