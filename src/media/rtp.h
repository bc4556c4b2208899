/*
 * rtp: the RTP fixed header and the receive statistics of one remote
 * source (RFC 3550).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           timestamp                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                             SSRC                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  CSRC x CC, extension (§5.3.1), payload, padding (P)  ...     |
 *
 * What a received packet says (rtp_parse) and what we send
 * (rtp_write_hdr), then, per remote source, what the RTCP report blocks
 * and the call's quality figures need: the sequence check and loss
 * counts of Appendix A.1 and A.3, and the interarrival jitter of A.8.
 *
 * The media engine owns the packets and the clock: nothing here
 * allocates, does I/O, logs or reads a clock; every arrival time is
 * passed in.  A struct rtp_src is public so that it embeds in the
 * engine's per-call state; read it through the functions.
 */
#ifndef SIPUAD_RTP_H
#define SIPUAD_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_LEN 12
#define RTP_VERSION 2

/* A.1: the sequence check's bounds. */
#define RTP_MIN_SEQUENTIAL 2 /* in-order packets before a new source is valid */
#define RTP_MAX_DROPOUT 3000 /* the biggest forward gap taken as loss */
#define RTP_MAX_MISORDER 100 /* the farthest back a packet is taken as reordered */

/* One parsed packet; payload points into the caller's buffer. */
struct rtp_hdr {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts, ssrc;
	const uint8_t *payload;
	size_t plen; /* after CSRCs, extension; padding removed */
};

/*
 * Parse: version 2, CSRC count, header extension (RFC 3550 §5.3.1),
 * padding (the last octet counts the padding octets, itself included:
 * 1 or more, and they must fit after the header).  0 with *h filled, or
 * -EBADMSG (too short, version != 2, bad padding, CSRCs or extension
 * past the end) and *h untouched.  Never reads past len.  It does not
 * tell RTP from RTCP: ask rtp_is_rtcp() first on a muxed port.
 */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h);

/* A 12-byte header (version 2, no CSRC, no extension, no padding) at buf. Returns RTP_HDR_LEN. */
size_t rtp_write_hdr(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
		     uint32_t ssrc);

/*
 * RFC 5761 §4: is this datagram RTCP?  Version 2 and a second octet of
 * 192..223 (RTCP packet types SR 200, RR 201, ... seen as an RTP payload
 * type 64..95 with the marker set).  false for fewer than 2 octets.
 */
bool rtp_is_rtcp(const uint8_t *buf, size_t len);

/*
 * One remote source (RFC 3550 A.1, A.3, A.8).  The counts survive a
 * confirmed sequence jump (a restart of the sender's numbering):
 * what the old numbering expected and received is kept in acc_*.
 */
struct rtp_src {
	uint16_t max_seq;	 /* highest seq seen */
	uint32_t cycles;	 /* shifted count of seq wraps (A.1) */
	uint32_t base_seq;	 /* first seq of this numbering */
	uint32_t bad_seq;	 /* last 'bad' seq + 1; RTP_SEQ_MOD + 1: none */
	uint32_t probation;	 /* in-order packets still needed */
	uint32_t received;	 /* packets received in this numbering */
	uint32_t expected_prior; /* A.3: totals at the last rtp_src_fraction() */
	uint32_t received_prior;
	uint64_t acc_expected; /* totals of numberings before a confirmed jump */
	uint64_t acc_received;
	uint32_t rate;	   /* RTP clock, Hz */
	uint32_t transit;  /* A.8: previous arrival - timestamp, timestamp units */
	bool have_transit; /* false until the first rtp_src_arrival() */
	uint32_t jitter;   /* A.8 estimate x 16, timestamp units */
};

/*
 * A new source whose first packet has sequence number seq, on an RTP
 * clock of rate Hz (0 is taken as 8000).  As A.1: the source is on
 * probation until RTP_MIN_SEQUENTIAL packets in a row arrive; pass the
 * first packet, like every other, to rtp_src_seq() too.
 */
void rtp_src_init(struct rtp_src *s, uint16_t seq, uint32_t rate);

/*
 * A.1 update_seq for each packet received.  0: use the packet (it is
 * counted; a duplicate or reordered one within RTP_MAX_MISORDER too).
 * 1: still in probation; it is counted once the probation ends with it
 * in the run.  (A.1 would not play it yet; the engine does: a call's first
 * packets are its first words, and a new SSRC has had its own probation.)  -1: drop it, not counted: a jump
 * of RTP_MAX_DROPOUT or more ahead (or RTP_MAX_MISORDER or more back)
 * not yet confirmed.  The packet after a jump, seq + 1, confirms it: the
 * source restarts its numbering there (its counts kept) and it returns 0.
 */
int rtp_src_seq(struct rtp_src *s, uint16_t seq);

/*
 * A.8 interarrival jitter: a packet of timestamp rtp_ts arrived at
 * arrival_us microseconds of any monotonic clock (the same clock for
 * every call).  The first arrival only sets the reference.  A transit
 * change of RTP_JITTER_JUMP_S seconds or more is a timestamp
 * discontinuity of the sender, not network jitter: it moves the
 * reference and leaves the estimate alone.
 */
#define RTP_JITTER_JUMP_S 3
void rtp_src_arrival(struct rtp_src *s, uint32_t rtp_ts, uint64_t arrival_us);

/* The extended highest sequence number received (cycles + max_seq) of the current numbering. */
uint32_t rtp_src_ext_max(const struct rtp_src *s);
/* Packets expected (A.3), over every numbering; 0 during probation. */
uint32_t rtp_src_expected(const struct rtp_src *s);
/* Cumulative packets lost, expected - received (negative with duplicates), 24-bit signed (A.3). */
int32_t rtp_src_lost(const struct rtp_src *s);
/*
 * A.3 fraction lost since the last call, in 1/256 (0 when nothing was
 * expected or more arrived than expected); advances the interval: call
 * it once per report.
 */
uint8_t rtp_src_fraction(struct rtp_src *s);
/* The jitter in timestamp units, as a report block carries it. */
uint32_t rtp_src_jitter(const struct rtp_src *s);
/* The jitter in milliseconds. */
double rtp_src_jitter_ms(const struct rtp_src *s);
/* Packets received and counted (duplicates included, as A.3 counts them). */
uint64_t rtp_src_received(const struct rtp_src *s);

#endif
