/*
 * codec: the one table of the media formats sipuad can run, RTP payload
 * types of RFC 3551 §6 and the RFC 4733 telephone-event:
 *
 *   name              pt    rate  channels  fmtp
 *   PCMU               0    8000         1  -
 *   PCMA               8    8000         1  -
 *   G722               9    8000         1  -  (RFC 3551: 16 kHz audio, 8000 Hz clock)
 *   telephone-event  101    8000         1  0-16
 *
 * The config ([media] codecs, through cfg's lookup hook) and the
 * offer/answer module (what we offer, what we accept) both read this
 * table and nothing else, so a codec is added here once.  A static payload
 * type (< 96) is matched by number, a dynamic one by encoding name and
 * clock rate (RFC 3264 §6.1); telephone-event's 101 is only the number we
 * offer.  Constant data: nothing to create or free.
 */
#ifndef SIPUAD_CODEC_H
#define SIPUAD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a row carries: audio we could send, or RFC 4733 events (DTMF). */
enum codec_kind {
	CODEC_AUDIO,
	CODEC_EVENT,
};

struct codec {
	const char *name; /* the encoding name, as in a=rtpmap: "PCMU" */
	uint8_t pt;	  /* payload type we offer it on */
	uint32_t rate;	  /* RTP clock rate, Hz */
	uint8_t channels; /* 1: mono */
	const char *fmtp; /* a=fmtp parameters we send; NULL: none */
	enum codec_kind kind;
};

/* Longest name in the table, plus one: room for any name. */
#define CODEC_NAME_MAX 16
/* First dynamic payload type (RFC 3551 §3): matched by name, not number. */
#define CODEC_PT_DYNAMIC 96

/* Rows in the table. */
size_t codec_count(void);
/* Row i, or NULL past the end.  Static: never freed. */
const struct codec *codec_at(size_t i);
/* The row named name (any case, as RFC 4566 §6 compares encoding names), or NULL. */
const struct codec *codec_find(const char *name);
/* The telephone-event row: always there. */
const struct codec *codec_event(void);

/*
 * The table as the config reads it (core/cfg.h's cfg_codec_fn): row i's
 * name, with *audio false for an event format, or NULL past the end.
 */
const char *codec_cfg_name(size_t i, bool *audio);

#endif
