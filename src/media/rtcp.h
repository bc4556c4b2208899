/*
 * rtcp: the RTP control protocol's reports (RFC 3550 §6) for a two-party
 * call: one source each way.
 *
 * What we send every few seconds is one compound packet (§6.1): a sender
 * report (SR, PT 200) while we send, else a receiver report (RR, PT 201),
 * with at most one report block, about the peer's source; then an SDES
 * (PT 202) with our CNAME; at the end of the call also a BYE (PT 203):
 *
 *   SR  |V=2|P|RC=1| 200 | length=12 | SSRC | NTP (64) | RTP ts |
 *       | packets | octets | block: SSRC, fraction|lost(24), ext max,
 *       | jitter, LSR, DLSR |
 *   SDES|V=2|P|SC=1| 202 | length | SSRC | CNAME=1, len, text, 0..0 |
 *   BYE |V=2|P|SC=1| 203 | length=1 (or more) | SSRC | len, reason |
 *
 * What we read back (rtcp_parse) is what the call's figures need: the
 * sender's counts, the block it wrote about our source (loss and jitter
 * as the peer sees them, and LSR/DLSR for the round trip, §6.4.1), and
 * whether it said BYE.  Plus the arithmetic around NTP timestamps and
 * the report interval.  No allocation, no I/O, no clock, no logging:
 * times are passed in, randomness comes from core/rnd.
 */
#ifndef SIPUAD_RTCP_H
#define SIPUAD_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCP_MAX 512 /* our compound packets fit in this (CNAME and reason up to 100 octets) */

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define RTCP_BYE 203

/* What we put in a report. */
struct rtcp_report {
	uint32_t ssrc;
	const char *cname; /* 1..255 octets, required (§6.5.1) */
	bool sender;
	uint64_t ntp;
	uint32_t rtp_ts;
	uint32_t packets, octets; /* SR sender info */
	bool have_block;	  /* a report block about the peer's source */
	uint32_t peer_ssrc;
	uint8_t fraction;
	int32_t lost; /* clamped to 24-bit signed */
	uint32_t ext_max, jitter;
	/* §6.4.1: middle 32 bits of the peer's last SR NTP; the delay since, in 1/65536 s. */
	uint32_t lsr, dlsr;
};

/*
 * A compound packet at buf: SR (r->sender) or RR, then SDES CNAME; bye:
 * then a BYE with our SSRC and reason (NULL: none; cut at 255 octets).
 * Returns its length, a multiple of 4, or 0 if size is too small, r or
 * its CNAME is NULL, or the CNAME is empty or over 255 octets.
 */
size_t rtcp_build(uint8_t *buf, size_t size, const struct rtcp_report *r, bool bye,
		  const char *reason);

/* What a received compound packet said. */
struct rtcp_info {
	uint32_t ssrc; /* the sender's: the first packet's SSRC */
	bool sr;       /* the first packet is an SR: the sender info is set */
	uint64_t ntp;
	uint32_t rtp_ts;
	uint32_t packets, octets;
	bool have_block; /* a report block about our_ssrc (the first one) */
	uint8_t fraction;
	int32_t lost; /* sign-extended from 24 bits */
	uint32_t ext_max, jitter, lsr, dlsr;
	bool bye; /* a BYE packet is in the compound */
};

/*
 * Validity per RFC 3550 A.2 (version 2 in every packet, the first one
 * SR or RR, lengths add up to len exactly, padding only on the last,
 * with a count of 1 or more that fits in its packet) and parse: an SR or
 * RR's report count must fit its length, and so must a BYE's source
 * count.  Report blocks about other SSRCs are ignored; SDES, APP and
 * feedback packets are skipped.  0 with *out filled, or -EBADMSG and
 * *out untouched.  Never reads past len.
 */
int rtcp_parse(const uint8_t *buf, size_t len, uint32_t our_ssrc, struct rtcp_info *out);

/* The middle 32 bits of an NTP timestamp (for LSR). */
uint32_t rtcp_ntp_mid(uint64_t ntp);

/*
 * Round trip in ms from a report block (§6.4.1: now_mid - lsr - dlsr,
 * in 1/65536 s, modulo 2^32), or -1 when lsr is 0 (no SR of ours seen
 * yet) or the result is negative.  now_mid = rtcp_ntp_mid(now).
 */
double rtcp_rtt_ms(uint32_t lsr, uint32_t dlsr, uint32_t now_mid);

/* NTP timestamp (RFC 3550 §4: s since 1900 . fraction) of a wall clock in µs since 1970. */
uint64_t rtcp_ntp_of_us(uint64_t unix_us);

/* The report interval in ms, before randomisation (§6.2's minimum). */
#define RTCP_INTERVAL_MS 5000

/*
 * The next report interval in ms: RTCP_INTERVAL_MS randomised to
 * [0.5, 1.5) x (§6.3.1, a fixed bandwidth share for a two-party call, so
 * no reconsideration and no e - 3/2 compensation), from rnd_uniform.
 */
unsigned rtcp_interval_ms(void);

#endif
