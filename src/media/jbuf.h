/*
 * jbuf: a small adaptive jitter buffer of decoded samples, one per call,
 * in front of everything that consumes what the peer sends (recording,
 * echo, in-band DTMF detection), so that reordering and jitter on the
 * network do not corrupt what they get.
 *
 * It is keyed by RTP timestamp: a packet's samples land at their
 * timestamp, whatever the peer's packetisation, and playout takes a
 * fixed number of samples per tick of the engine's clock (80 every
 * 10 ms at 8 kHz).  Playout runs a delay behind arrival; the delay
 * targets 3 times the interarrival jitter (RFC 3550 A.8, measured here
 * from the puts' timestamps and arrival times) plus one packet, within
 * [min_ms, max_ms], and moves toward it only where nothing is to be
 * played (a lost or late packet, a pause of the sender, a new talk
 * spurt), or, when the sender's clock runs fast, by a 10 ms skip at most
 * once a second: a steady stream plays continuously, sample for sample.
 *
 * Memory is one ring of samples fixed at jbuf_new() (2 x max_ms +
 * 100 ms, rounded up to a power of two): a packet beyond it is dropped
 * or, at a new talk spurt, re-anchors the playout; nothing allocates
 * after jbuf_new().  Timestamps wrap at 2^32 like RTP's.  No I/O, no
 * logging, no clock: every time is passed in, in ms of one monotonic
 * clock.
 */
#ifndef SIPUAD_JBUF_H
#define SIPUAD_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JBUF_MAX_MS 2000 /* the largest max_ms jbuf_new() takes */

struct jbuf;

/*
 * rate: samples/s (1000..48000); min_ms..max_ms: the playout delay it
 * adapts within (e.g. 20..200; min_ms <= max_ms <= JBUF_MAX_MS).  0 with
 * *out the caller's (jbuf_free), or -EINVAL, -ENOMEM.
 */
int jbuf_new(struct jbuf **out, unsigned rate, unsigned min_ms, unsigned max_ms);
/* NULL is a no-op. */
void jbuf_free(struct jbuf *j);

/*
 * A packet's n samples (pcm holds n) starting at RTP timestamp ts
 * (marker: start of a talk spurt), arrived at now_ms; pcm is copied.  The first packet
 * anchors the playout; out-of-order packets land at their place; the
 * samples of one that arrives after its playout time are dropped and it
 * is counted as late, unless nothing is queued and it goes on where the
 * audio ran dry: then the playout waits for it (the path got slower);
 * duplicates are harmless.  A packet more than the
 * ring away from the playout point is a jump of the sender's timestamps:
 * when it is marked or nothing is queued, the stream goes on from it
 * (it plays target behind, or right after what is queued), else it is
 * dropped (counted as late behind, as dropped_overflow ahead).  NULL j
 * or pcm, or n 0: nothing.
 */
void jbuf_put(struct jbuf *j, uint32_t ts, bool marker, const int16_t *pcm, size_t n,
	      uint64_t now_ms);

/*
 * n samples of playout at now_ms into out: silence where nothing
 * arrived.  Returns how many of the n were received audio.  Before the
 * first packet: all silence.  Silence played where audio is missing
 * before audio that did arrive (a lost or late packet) counts as
 * concealed; silence after the last audio received (the sender paused,
 * or is late as a whole) does not.  NULL out: nothing, 0.
 */
size_t jbuf_get(struct jbuf *j, int16_t *out, size_t n, uint64_t now_ms);

/* A new source (SSRC change, re-INVITE to another peer): empty, unanchored; the stats go on. */
void jbuf_reset(struct jbuf *j);

struct jbuf_stats {
	uint64_t late;	    /* packets (or their heads) that arrived after their playout time */
	uint64_t concealed; /* samples of silence played in place of missing audio */
	uint64_t dropped_overflow; /* packets (or their tails) beyond the ring, dropped */
	unsigned delay_ms;  /* the current playout delay behind the fastest packets; 0 before any */
	unsigned target_ms; /* where the delay is going: 3 x jitter + one packet, in bounds */
	uint64_t skipped;   /* samples of received audio skipped to shorten the delay */
};
void jbuf_stats(const struct jbuf *j, struct jbuf_stats *out);

#endif
