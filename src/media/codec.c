/*
 * codec: the table of media formats; see codec.h.  Only data and lookups:
 * encoding and decoding samples come with the media issue.
 */
#include <strings.h>

#include "media/codec.h"

/* The order is the default preference: [media] codecs lists them so. */
static const struct codec tab[] = {
    {"PCMU", 0, 8000, 1, NULL, CODEC_AUDIO},
    {"PCMA", 8, 8000, 1, NULL, CODEC_AUDIO},
    /* G.722 keeps an 8000 Hz RTP clock (RFC 3551 §4.5.2); carried at 8 kHz audio (g722.h). */
    {"G722", 9, 8000, 1, NULL, CODEC_AUDIO},
    /* DTMF events 0-9, *, #, A-D and flash (RFC 4733 §3.2). */
    {"telephone-event", 101, 8000, 1, "0-16", CODEC_EVENT},
};
#define NTAB (sizeof(tab) / sizeof(tab[0]))

size_t codec_count(void)
{
	return NTAB;
}

const struct codec *codec_at(size_t i)
{
	return i < NTAB ? &tab[i] : NULL;
}

const struct codec *codec_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NTAB; i++)
		if (strcasecmp(tab[i].name, name) == 0)
			return &tab[i];
	return NULL;
}

const struct codec *codec_event(void)
{
	for (size_t i = 0; i < NTAB; i++)
		if (tab[i].kind == CODEC_EVENT)
			return &tab[i];
	return NULL; /* not reached: check_codec holds the table to one */
}

const char *codec_cfg_name(size_t i, bool *audio)
{
	if (i >= NTAB)
		return NULL;
	*audio = tab[i].kind == CODEC_AUDIO;
	return tab[i].name;
}
