/*
 * g722: ITU-T G.722 at 64 kbit/s through spandsp, in its 8 kHz mode, so
 * that the engine's one 8 kHz pipeline carries it: the encoder takes 8 kHz
 * samples (spandsp upsamples them) and writes one octet per sample, the
 * decoder the reverse.  An RTP packet of 20 ms is 160 octets and its
 * timestamp advances by 160, as RFC 3551 §4.5.2 keeps G.722's RTP clock
 * at 8000 Hz.  The audio is narrowband (what an 8 kHz source holds); what
 * it buys is talking to peers that offer only G.722.
 *
 * Encoder and decoder keep state (ADPCM predictors): one pair per call,
 * each direction its own.
 */
#ifndef SIPUAD_G722_H
#define SIPUAD_G722_H

#include <stddef.h>
#include <stdint.h>

struct g722;

/* 0 or -ENOMEM. */
int g722_new(struct g722 **out);
/* NULL: no-op. */
void g722_free(struct g722 *g);
/* n samples at 8 kHz into n octets. */
void g722_enc(struct g722 *g, uint8_t *out, const int16_t *in, size_t n);
/* n octets into n samples at 8 kHz. */
void g722_dec(struct g722 *g, int16_t *out, const uint8_t *in, size_t n);

#endif
