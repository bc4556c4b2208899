/*
 * g722: spandsp's G.722 in 8 kHz mode; see g722.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>

#include <spandsp.h>

#include "media/g722.h"

#define G722_RATE_BPS 64000

struct g722 {
	g722_encode_state_t *enc;
	g722_decode_state_t *dec;
};

int g722_new(struct g722 **out)
{
	struct g722 *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->enc = g722_encode_init(NULL, G722_RATE_BPS, G722_SAMPLE_RATE_8000);
	g->dec = g722_decode_init(NULL, G722_RATE_BPS, G722_SAMPLE_RATE_8000);
	if (!g->enc || !g->dec) {
		g722_free(g);
		return -ENOMEM;
	}
	*out = g;
	return 0;
}

void g722_free(struct g722 *g)
{
	if (!g)
		return;
	if (g->enc)
		g722_encode_free(g->enc);
	if (g->dec)
		g722_decode_free(g->dec);
	free(g);
}

void g722_enc(struct g722 *g, uint8_t *out, const int16_t *in, size_t n)
{
	g722_encode(g->enc, out, in, (int)n);
}

void g722_dec(struct g722 *g, int16_t *out, const uint8_t *in, size_t n)
{
	g722_decode(g->dec, out, in, (int)n);
}
