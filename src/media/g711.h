/*
 * g711: PCMU (mu-law) and PCMA (A-law) of ITU-T G.711, the two codecs of
 * RFC 3551 §4.5.14 that every SIP endpoint speaks.
 *
 * The media engine runs a call on 8000 Hz mono int16 linear PCM; these
 * turn those samples into the one-byte-per-sample payload of an RTP packet
 * and back.  Linear values are on the 16-bit scale (the sign and 14 bits of
 * G.711's mu-law, 13 of its A-law, shifted up), as in Sun's g711.c and
 * spandsp: mu-law spans -32124..32124, A-law -32256..32256.
 *
 * Encoding is spandsp's (<spandsp/g711.h>) through a table per law
 * built from it at the first encode, decoding a constant 256-entry table
 * per law (one load per sample either way: it runs for every packet of
 * every call); check_g711 holds the encoders to spandsp for every sample
 * and the decode tables to spandsp and to G.711's values.  Nothing to
 * create or free, any thread may call.  in and out may not overlap.
 */
#ifndef SIPUAD_G711_H
#define SIPUAD_G711_H

#include <stddef.h>
#include <stdint.h>

/*
 * n samples of in to n mu-law bytes in out.  Samples beyond the law's
 * range clip to its largest code (32767 -> 0x80, -32768 -> 0x00).  0..3
 * encode as 0xFF, -3..-1 as the negative zero 0x7F; both decode to 0.
 */
void g711_ulaw_encode(uint8_t *out, const int16_t *in, size_t n);

/* n mu-law bytes of in to n samples in out (0x7F and 0xFF are both 0). */
void g711_ulaw_decode(int16_t *out, const uint8_t *in, size_t n);

/*
 * n samples of in to n A-law bytes in out (even bits inverted, as sent on
 * the wire).  Clips like mu-law: 32767 -> 0xAA, -32768 -> 0x2A.
 */
void g711_alaw_encode(uint8_t *out, const int16_t *in, size_t n);

/* n A-law bytes of in to n samples in out (A-law has no zero: 0xD5 -> 8). */
void g711_alaw_decode(int16_t *out, const uint8_t *in, size_t n);

#endif
