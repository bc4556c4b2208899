/*
 * dtmf: the keypad digits of a call, every way they travel.
 *
 *   - RFC 4733 telephone-events sent in place of audio (dtmf_tx_*), one
 *     digit after the other, with the three end packets;
 *   - RFC 4733 telephone-events received (dtmf_rx_*), each digit reported
 *     once whatever was lost, repeated or reordered;
 *   - in-band tones detected in the received audio (dtmf_inband_*, spandsp)
 *     for peers that did not offer telephone-event;
 *   - SIP INFO bodies (dtmf_relay_*), the fallback for sending where the
 *     peer did not offer telephone-event, and what some PBXs send us.
 *
 * The media engine owns the clock, the RTP header (sequence number, SSRC,
 * payload type) and the sockets; this module owns only what a DTMF packet
 * or body says and when.  No I/O, no logging, no libevent.
 *
 * An RFC 4733 event (§2.3) is four bytes:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     event     |E|R| volume    |          duration             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * event 0-9, 10 '*', 11 '#', 12-15 'A'-'D' (§3.2); E: the event has ended;
 * volume: the tone's power in -dBm0; duration: how long the event has
 * lasted so far, in RTP timestamp units, counted from the event's RTP
 * timestamp, which is the instant it began.
 *
 * A sent digit, at 8000 Hz with 20 ms packets (n = 160) and 100 ms:
 *
 *   tick  audio_ts  returns  M  ts     duration  E
 *   0     T         1        1  T      160       0
 *   1     T+160     1        0  T      320       0
 *   2     T+320     1        0  T      480       0
 *   3     T+480     1        0  T      640       0
 *   4     T+640     1        0  T      800       1   the final packet,
 *   5     T+800     1        0  T      800       1   sent three times
 *   6     T+960     1        0  T      800       1   (§2.5.1.4)
 *   7     T+1120    0                               audio: the pause
 *   8     T+1280    1        1  T+1280 160       0   the next digit
 *
 * Names: spandsp, linked beside us, exports dtmf_tx_init() and
 * dtmf_rx_init() (and dtmf_tx, dtmf_rx, *_free, *_put, ...).  Ours must
 * not take any of them, or one definition would replace the other at link
 * time and a file that includes both headers would not compile: hence
 * dtmf_tx_setup() and dtmf_rx_setup().
 */
#ifndef SIPUAD_DTMF_H
#define SIPUAD_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sending: the digits a dtmf_tx can hold that have not started yet. */
#define DTMF_QUEUE_MAX 64
/* A digit's length, ms: the bounds dtmf_tx_queue and dtmf_relay_format
 * take, and what 0 means.  40 ms is the shortest tone ITU-T Q.24 receivers
 * must recognise. */
#define DTMF_DURATION_MIN_MS 40
#define DTMF_DURATION_MAX_MS 5000
#define DTMF_DURATION_DEFAULT_MS 100
/* The least silence from the end of one digit's tone to the start of the
 * next.  RFC 4733 sets none; receivers need one to tell "11" from "1":
 * Q.24 asks them to bridge gaps under 40 ms, common practice sends 50. */
#define DTMF_PAUSE_MS 50
/* The volume field we send: -10 dBm0, the level of a telephone's keypad
 * (and what Asterisk and baresip send). */
#define DTMF_VOLUME 10
/* Times the final packet of an event (or of a segment) goes out (§2.5.1.4). */
#define DTMF_END_PACKETS 3
/* RFC 4733 event payload length. */
#define DTMF_PAYLOAD_LEN 4

/*
 * RFC 4733 §3.2 event codes: '0'..'9' -> 0..9, '*' 10, '#' 11, 'A'..'D'
 * (or 'a'..'d') 12..15.  -1: not a digit.
 */
int dtmf_event_of(char digit);
/* The digit of event code 0..15 ('A'..'D' upper case); 0 for any other. */
char dtmf_digit_of(int event);

/* ---- Sending RFC 4733 events, one digit after the other, in place of audio. */

/* One event packet to send, filled by dtmf_tx_tick(). */
struct dtmf_pkt {
	uint8_t payload[DTMF_PAYLOAD_LEN]; /* the event, as above */
	uint32_t ts;			   /* RTP timestamp: the event's (segment's) start */
	bool marker;			   /* RTP M bit: the event's first packet */
	bool end;			   /* the E bit of payload: a final packet */
	bool new_seq;			   /* take the next RTP sequence number (always) */
	char digit;			   /* the digit the event carries */
};

/* A digit waiting in a dtmf_tx. */
struct dtmf_tx_item {
	uint8_t event;
	uint16_t ms;
};

enum dtmf_tx_state {
	DTMF_TX_IDLE,	/* no event going: audio (or the pause) */
	DTMF_TX_TONE,	/* the event is going: updates */
	DTMF_TX_SEGEND, /* a full segment's final packet, repeated (§2.5.1.3) */
	DTMF_TX_END,	/* the event's final packet, repeated (§2.5.1.4) */
};

/*
 * A sender, embedded in its call's media state; every field is private to
 * dtmf.c.  Holds no resource: nothing to free.
 */
struct dtmf_tx {
	unsigned rate; /* RTP clock, Hz */
	struct dtmf_tx_item q[DTMF_QUEUE_MAX];
	unsigned q_head, q_len;
	/* The event going. */
	enum dtmf_tx_state state;
	uint8_t event;
	bool marker;	  /* its first packet is still to go */
	bool cut;	  /* dtmf_tx_clear(): end it at its next packet */
	unsigned repeats; /* final packets sent so far */
	uint32_t ts;	  /* its RTP timestamp */
	uint32_t seg_ts;  /* the RTP timestamp of its current segment */
	uint32_t seg_off; /* samples of it before the current segment */
	uint32_t total;	  /* samples of it so far */
	uint32_t length;  /* samples it lasts */
	/* The pause after the last event: no event starts before pause_until. */
	bool pause;
	uint32_t pause_until;
	/* Digits sent completely, not yet taken by dtmf_tx_sent(). */
	char sent[DTMF_QUEUE_MAX];
	unsigned sent_head, sent_len;
};

/*
 * Make t an idle sender for an RTP clock of rate Hz (0: 8000, the rate of
 * telephone-event/8000); also how to start over, dropping everything.
 * NULL is a no-op.
 */
void dtmf_tx_setup(struct dtmf_tx *t, unsigned rate);

/*
 * Queue digits ("0-9*#A-D", a-d too), each lasting duration_ms (40..5000,
 * 0: 100) with a pause of at least DTMF_PAUSE_MS between digits.  0; or
 * nothing queued and: -EINVAL for t or digits NULL, an empty string, a
 * character that is not a digit, or a duration out of range; -ENOSPC when
 * the digits waiting would then be more than DTMF_QUEUE_MAX.
 */
int dtmf_tx_queue(struct dtmf_tx *t, const char *digits, unsigned duration_ms);

/*
 * One packet time: n samples (> 0), audio_ts the RTP timestamp the audio
 * packet sent now would carry.  Returns 0 when audio should be sent as
 * usual; else the number of event packets to send now, always 1, with *p
 * filled: the 4-byte payload, the event's timestamp (its start), the
 * marker (the event's first packet only) and new_seq.  At the end of an
 * event its final packet (p->end) goes once at each of three packet
 * times, returning 1 each time.  While an event or its final packets are
 * going audio is not sent, yet audio_ts keeps advancing in the engine:
 * the next digit starts at a later audio_ts once DTMF_PAUSE_MS have passed
 * since the end of the tone, and its packets carry that timestamp.
 *
 * new_seq is always true: every packet, the repeated final ones too, takes
 * the next RTP sequence number.  RFC 4733 §2.5.1.4 has the final packet
 * "sent a total of three times" and says nothing of reusing its number;
 * RFC 3550 §5.1 increments the number per packet sent; and a repeated
 * number is what receivers drop as a duplicate, and SRTP's replay check
 * (RFC 3711 §3.3.2) always drops, which would defeat the repetition.
 *
 * An event longer than 0xFFFF timestamp units (over 8.19 s at 8 kHz; only
 * reachable above 13107 Hz with the 5000 ms cap) is sent in segments
 * (§2.5.1.3): the segment's last packet says 0xFFFF without the E bit and
 * goes three times (§2.5.1.4: "for each event and for each segment"), then
 * the event goes on with timestamp + 0xFFFF, the instant the segment
 * ended, without the marker, its duration counted from there.
 *
 * -EINVAL (nothing changed) for t or p NULL or n 0.
 */
int dtmf_tx_tick(struct dtmf_tx *t, uint32_t audio_ts, size_t n, struct dtmf_pkt *p);

/* An event is going (or its final packets) or digits are queued. */
bool dtmf_tx_busy(const struct dtmf_tx *t);

/*
 * Drop the queued digits.  An event going is not cut off silently (the
 * peer would play its tone until a timeout of its own): its next packet is
 * its final one, with the duration so far, sent three times.  Such a digit
 * is not reported by dtmf_tx_sent().  The pause after it still holds.
 */
void dtmf_tx_clear(struct dtmf_tx *t);

/*
 * Digits sent completely (their third final packet handed out) since the
 * last call, for a "dtmf.sent" event: copied to out as a string, oldest
 * first, at most size - 1 of them; those that do not fit stay for the next
 * call.  Returns how many were copied, 0 when none (or out NULL, size 0).
 * Up to DTMF_QUEUE_MAX are kept; beyond that the oldest are forgotten.
 */
size_t dtmf_tx_sent(struct dtmf_tx *t, char *out, size_t size);

/* ---- Receiving RFC 4733 events. */

/* A receiver, embedded in its call's media state; fields private to dtmf.c. */
struct dtmf_rx {
	unsigned rate; /* RTP clock, Hz */
	bool have;     /* an event was seen: the fields below hold */
	uint8_t event; /* the last event reported */
	bool ended;    /* its E bit was seen */
	uint32_t ts;   /* its RTP timestamp (its current segment's) */
	bool have_prev;
	uint8_t prev_event; /* the event before it */
	uint32_t prev_ts;
};

/* Make r a receiver that has seen nothing, for an RTP clock of rate Hz (0: 8000).
 * NULL is a no-op. */
void dtmf_rx_setup(struct dtmf_rx *r, unsigned rate);

/*
 * One telephone-event payload pl of len bytes, received in a packet of
 * RTP timestamp ts and marker bit marker.  Returns 1 with *digit and
 * *duration_ms (the duration the packet says so far, in ms) when a NEW
 * event starts: the first packet seen with a new timestamp, marker or not
 * (the marker packet may be lost), an end packet too (all before it may be
 * lost).  0 for a repeat, update or end packet of an event already
 * reported (end packets are retransmitted: they never report twice), for
 * the next segment of a long event (same event, not ended, timestamp +
 * 0xFFFF: §2.5.2.3), and for a late packet of an earlier event (a
 * timestamp behind the last event's by at most 0xFFFF plus a second; one
 * further behind is a new stream: reported).  A new event with the same
 * code (the second '1' of "11") has a new timestamp and reports again.
 * Only the first event of a packet is read (§2.5.1.5 lets a packet carry
 * older ones before it; the newest we need has its own packets too).
 * -EBADMSG for a payload shorter than 4 bytes (or pl NULL); -ENOTSUP for
 * an event code that is not a DTMF digit (16 flash and up); both leave r
 * as it was.  -EINVAL for r, digit or duration_ms NULL.
 */
int dtmf_rx_packet(struct dtmf_rx *r, uint32_t ts, bool marker, const uint8_t *pl, size_t len,
		   char *digit, unsigned *duration_ms);

/* ---- In-band detection (spandsp dtmf_rx) on received audio, for peers
 * without telephone-event.  8000 Hz mono int16, as the engine runs. */

struct dtmf_inband;

/* Called once per digit detected, '0'-'9', '*', '#', 'A'-'D'.  It must not
 * free the detector that calls it. */
typedef void(dtmf_digit_fn)(void *arg, char digit);

/*
 * A detector that calls fn(arg, digit) per digit.  0 with *out the
 * caller's (dtmf_inband_free); -EINVAL for out or fn NULL; -ENOMEM.
 */
int dtmf_inband_new(struct dtmf_inband **out, dtmf_digit_fn *fn, void *arg);
/* Detect in n samples of pcm, calling fn per digit found.  d or pcm NULL: no-op. */
void dtmf_inband_feed(struct dtmf_inband *d, const int16_t *pcm, size_t n);
/* Free d.  NULL is a no-op. */
void dtmf_inband_free(struct dtmf_inband *d);

/* ---- SIP INFO bodies (the fallback where the peer did not offer telephone-event). */

/*
 * An application/dtmf-relay body: "Signal=5\r\nDuration=160\r\n", the
 * digit upper case, duration_ms 40..5000 (0: 100).  Returns its length
 * (without the NUL, which is written too), -EINVAL for out NULL, a digit
 * dtmf_event_of() refuses or a duration out of range, -ENOSPC when it does
 * not fit in size bytes with its NUL.  out is written only on success.
 */
int dtmf_relay_format(char *out, size_t size, char digit, unsigned duration_ms);

/*
 * Parse an INFO body of len bytes (no NUL needed).  When is_dtmf, an
 * application/dtmf body: the digit alone, blanks and line ends around it.
 * Else application/dtmf-relay: "Signal=" and "Duration=" lines in any
 * order, names in any case, blanks around names and values, CRLF or LF
 * line ends; other lines are ignored.  Signal is a digit (a-d too) or, as
 * some PBXs send it, the event code 0..15 ("10" '*', "11" '#', "12"-"15"
 * 'A'-'D'); Duration, when given, is a decimal number of ms.  0 with
 * *digit (upper case) and *duration_ms (0 when not given); -EBADMSG for an
 * empty body, no Signal, a Signal that is no digit, a Duration that is not
 * a number (or beyond UINT_MAX), or a name given twice; -EINVAL for digit
 * or duration_ms NULL.  Written only on success.
 */
int dtmf_relay_parse(const char *body, size_t len, bool is_dtmf, char *digit,
		     unsigned *duration_ms);

#endif
