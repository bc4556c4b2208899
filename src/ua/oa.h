/*
 * oa: the SDP offer/answer model (RFC 3264) for one session, on SDP
 * (RFC 4566) read by sip/msdp into a struct msdp.
 *
 * Owns, per session: the o= session id (random, once) and version, the
 * last description we sent (to tell a change from a repeat, RFC 3264 §8),
 * the offer we have outstanding, and the result of the last completed
 * exchange.  It does no I/O and no SIP: the call layer carries the bodies
 * and maps our codes to SIP answers.
 *
 * What we speak: one audio stream, RTP/AVP or RTP/SAVP, the codecs of
 * oa_cfg and telephone-event/8000 (RFC 4733) on a dynamic type, all rows
 * of the one codec table (media/codec.h: PCMU 0, PCMA 8, telephone-event
 * 101); RTCP multiplexed on the RTP port (RFC 5761) when oa_cfg asks;
 * SRTP keyed by SDES (RFC 4568, media/sdes.h) as oa_cfg's srtp says.  An
 * offer with [media] srtp = mandatory and rtcp-mux:
 *
 *   v=0
 *   o=sipuad 2890844526 1 IN IP4 192.0.2.10
 *   s=-
 *   c=IN IP4 192.0.2.10
 *   t=0 0
 *   m=audio 40000 RTP/SAVP 0 8 101
 *   a=rtpmap:0 PCMU/8000
 *   a=rtpmap:8 PCMA/8000
 *   a=rtpmap:101 telephone-event/8000
 *   a=fmtp:101 0-16
 *   a=ptime:20
 *   a=sendrecv
 *   a=rtcp-mux
 *   a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<30 bytes of key||salt>
 *   a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:<30 bytes>
 *   a=crypto:3 AEAD_AES_128_GCM inline:<28 bytes>
 *   a=crypto:4 AEAD_AES_256_GCM inline:<44 bytes>
 *
 * srtp = off offers RTP/AVP with no a=crypto; optional offers RTP/AVP
 * with the same a=crypto lines (RFC 8643 best effort).  Our keys are drawn
 * once per session and suite and repeated by every later offer or answer,
 * so an unchanged re-offer is byte-identical (§8).
 *
 * Answering, the first audio line we can use is served and every other
 * m= line is answered with port 0 (§6): RTP/AVP, or RTP/SAVP unless srtp
 * is off; its first a=crypto that sdes_parse() accepts is answered with
 * the same tag and suite and our key (RTP/SAVP, and any line when srtp is
 * mandatory, need one; with srtp off an RTP/AVP line's a=crypto lines are
 * ignored).  Other profiles (RTP/SAVPF, UDP/TLS/RTP/SAVP, ...) are
 * declined.  An answer to our offer must carry, if any a=crypto, a tag we
 * offered with that tag's suite.
 *
 * Codes for the call layer:
 *   -EBADMSG   the SDP does not parse                                 -> 400
 *   -ENOTSUP   no audio line we can serve: no common codec, or no
 *              usable a=crypto when SRTP is mandatory or the line is
 *              RTP/SAVP, or RTP/SAVP only while srtp is off     -> 488 + Warning
 *   -EBUSY     an offer while ours is pending                         -> 491
 *   -EPROTO    an answer that does not fit our offer (codecs, a=crypto,
 *              no SRTP when mandatory), or no offer pending
 * A `why` buffer, when given, gets a one-line reason for any of these; it
 * never contains key material.
 */
#ifndef SIPUAD_OA_H
#define SIPUAD_OA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "media/media.h"

#define OA_MAX_CODECS 4
#define OA_PTIME_DEFAULT 20 /* ms */
/* RFC 3261 §20.43 warn-code for -ENOTSUP. */
#define OA_WARN_CODE 305
#define OA_WARN_TEXT "Incompatible media format"
/* The one body type we send and take (RFC 3264 over RFC 3261 §13). */
#define OA_CONTENT_TYPE "application/sdp"

/* Media direction attribute (RFC 3264 §5.1, §6.1). */
enum oa_dir {
	OA_SENDRECV,
	OA_SENDONLY,
	OA_RECVONLY,
	OA_INACTIVE,
};

/* "sendrecv", ... as in the a= line. */
const char *oa_dir_name(enum oa_dir d);

/* SRTP policy ([media] srtp). */
enum oa_srtp {
	OA_SRTP_OFF,	   /* plain RTP/AVP; RTP/SAVP offers are declined */
	OA_SRTP_OPTIONAL,  /* offer RTP/AVP with a=crypto (RFC 8643), take SRTP when offered */
	OA_SRTP_MANDATORY, /* offer RTP/SAVP; plain offers and answers are refused */
};

/* Session configuration; copied by oa_new(). */
struct oa_cfg {
	/* Audio codec names of media/codec's table, in our order of preference. */
	const char *codecs[OA_MAX_CODECS];
	size_t n_codecs;
	bool dtmf;	       /* offer/accept telephone-event/8000 */
	uint8_t te_pt;	       /* 96..127; 0: the codec table's (101) */
	unsigned ptime;	       /* ms; 0: OA_PTIME_DEFAULT */
	struct net_addr local; /* our media address (c=, o=); port ignored */
	enum oa_srtp srtp;     /* SDES-keyed SRTP (RFC 4568) */
	bool rtcp_mux;	       /* offer and accept a=rtcp-mux (RFC 5761) */
};

/* What an exchange negotiated, for the media layer. */
struct oa_result {
	bool rejected;		/* our audio stream got port 0: no media */
	struct net_addr remote; /* peer RTP address and port (0.0.0.0 on RFC 2543 hold) */
	uint16_t remote_port;
	int pt;			/* payload type to send; -1 when rejected */
	char codec[16];		/* "PCMU" */
	uint32_t rate;		/* clock rate, 8000 */
	int te_pt;		/* telephone-event payload type; -1: none */
	enum oa_dir local_dir;	/* what we do */
	enum oa_dir remote_dir; /* what the peer said it does */
	unsigned ptime;		/* ms: the peer's a=ptime, else ours */
	/*
	 * RTCP: rtcp_mux when both sides said a=rtcp-mux (RFC 5761), then
	 * remote_rtcp equals remote; else the peer's a=rtcp (RFC 3605), else
	 * remote's port + 1 (port 0 when remote's is 65535: none).
	 */
	bool rtcp_mux;
	struct net_addr remote_rtcp;
	/*
	 * SRTP (RFC 3711) keyed by SDES: tx_key is ours (what we send with),
	 * rx_key the peer's, both of the negotiated suite; zero unless srtp.
	 * A copy of a result holds key material: wipe it (oa_result_wipe).
	 */
	bool srtp;
	struct sdes_key tx_key, rx_key;
};

/*
 * r in the media layer's terms, for media_update(): inactive when
 * rejected.  p gets copies of r's keys: the caller wipes p (sdes_wipe on
 * p->tx_key and p->rx_key) once media_update() has copied it.
 */
void oa_media_params(const struct oa_result *r, struct media_params *p);

/* Wipe r's keys (sdes_wipe); the rest of r stays.  NULL: no-op. */
void oa_result_wipe(struct oa_result *r);

struct oa;

/*
 * A new session: checks cfg (-EINVAL for an unknown codec name, no codec,
 * a bad te_pt, an srtp value out of the enum or no local address), draws
 * the o= session id.  0 or -errno; *op is the caller's, freed by oa_free().
 */
int oa_new(struct oa **op, const struct oa_cfg *cfg);
/* Wipes our keys and every copy oa holds, then frees.  NULL: no-op. */
void oa_free(struct oa *oa);

/*
 * Our offer, on RTP port `port` (even; RTCP on port+1 unless muxed) with
 * direction dir.  The o= version is the last one sent, plus one when the
 * description differs from the last we sent (§8).  The offer stays
 * pending until oa_take_answer() or oa_cancel_offer().  0 with *sdp_out
 * malloc'd (the caller frees; it carries our keys when srtp is on),
 * -EBUSY when an offer is already pending, -ENOMEM, or rnd_bytes()'s
 * -errno when a key cannot be drawn.
 */
int oa_make_offer(struct oa *oa, uint16_t port, enum oa_dir dir, char **sdp_out);

/*
 * Our offer got no answer (a non-2xx to the INVITE or re-INVITE): forget
 * it; the session stays as it was before the offer (RFC 3264 §14.1 via
 * RFC 3261 §14.1), including the o= version and last description.
 * No-op when nothing is pending.
 */
void oa_cancel_offer(struct oa *oa);

/*
 * The peer's offer (sdp, len bytes, need not be NUL-terminated): answer it
 * on our port `port`, wishing direction `want`.  0 with *answer_out
 * malloc'd (the caller frees) and *res filled (the caller wipes it); a
 * re-offer with new keys gives the new rx_key, our tx_key stays.
 * -EBADMSG, -ENOTSUP, -EBUSY (see the top of this file), -ENOMEM, or
 * rnd_bytes()'s -errno.  why (may be NULL) gets the reason on error.
 * Nothing is written to the out-parameters on error.
 */
int oa_take_offer(struct oa *oa, const char *sdp, size_t len, uint16_t port, enum oa_dir want,
		  char **answer_out, struct oa_result *res, char *why, size_t whylen);

/*
 * The peer's answer to our pending offer.  0 with *res filled (res->rejected
 * when our audio got port 0; the caller wipes it); -EPROTO when no offer
 * is pending or the answer does not fit it (other m= count, a format we
 * did not offer, no format we offered, an a=crypto whose tag we did not
 * offer or with another suite than that tag's, no a=crypto when SRTP is
 * mandatory or the answer is RTP/SAVP), -EBADMSG, -ENOMEM.  No a=crypto
 * with srtp optional: plain RTP.  The pending offer ends either way: on
 * error the session stays as before it (the caller ends or re-offers).
 */
int oa_take_answer(struct oa *oa, const char *sdp, size_t len, struct oa_result *res, char *why,
		   size_t whylen);

/* True while our offer waits for an answer. */
bool oa_offer_pending(const struct oa *oa);

/*
 * An exchange completed: an offer answered or an answer made.  Its result
 * went to the caller, which keeps what it needs (the media session does):
 * the oa object keeps no copy (464 bytes per call, with its keys).
 */
bool oa_has_result(const struct oa *oa);

#endif
