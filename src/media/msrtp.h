/*
 * msrtp: one call's SRTP and SRTCP (RFC 3711), through libsrtp2, the only
 * module that includes it.
 *
 * A call has two keys, both from SDES (sdes.h, RFC 4568): ours, which the
 * peer read in our a=crypto line, protects what we send; the peer's
 * protects what we receive.  So an msrtp is two libsrtp2 sessions: one
 * that protects any SSRC we send with (ssrc_any_outbound), one that
 * unprotects any SSRC the peer sends with (ssrc_any_inbound).  The suite
 * maps to libsrtp2's crypto policies:
 *
 *   AES_CM_128_HMAC_SHA1_80  RTP and RTCP: AES-CM-128, 80-bit HMAC-SHA1 tag
 *   AES_CM_128_HMAC_SHA1_32  RTP: 32-bit tag; RTCP: 80-bit tag (RFC 4568 §6.2.2)
 *   AEAD_AES_128_GCM         RTP and RTCP: AES-GCM-128, 16-octet tag (RFC 7714)
 *   AEAD_AES_256_GCM         RTP and RTCP: AES-GCM-256, 16-octet tag
 *
 * Replay protection: a window of 128 packets (RFC 3711 §3.3.2 asks for at
 * least 64); a packet older than the window or seen before is refused.
 * We never send the same sequence number twice under one key (libsrtp2's
 * allow_repeat_tx is off): protecting it again is refused too.
 *
 * Crypto: libsrtp2 keeps the protocol; its AES-CM, AES-GCM and HMAC-SHA1
 * are replaced at msrtp_global_init() by ours on OpenSSL (msrtp_ossl.h),
 * because Debian's libsrtp2 does them through NSS at a cost that grows
 * with the calls alive.  Creating a call's sessions then costs tens of
 * microseconds (figures in bench/RESULTS.md); still, create them when the
 * keys change, never per packet or per unchanged re-INVITE.
 *
 * Buffers: libsrtp2 works in place and reads the header in 32-bit words,
 * so a buffer must be 4-byte aligned and have MSRTP_TRAILER spare bytes
 * after the packet for protect (the tag, and for SRTCP the index).
 *
 * Key material: the keys are copied into libsrtp2 (which derives its
 * session keys from them) and our copies are wiped; msrtp_free() has
 * libsrtp2 free, and zero, its contexts.  No logging.
 */
#ifndef SIPUAD_MSRTP_H
#define SIPUAD_MSRTP_H

#include <stddef.h>
#include <stdint.h>

#include "media/sdes.h"

/* Spare bytes a buffer needs after the packet: 16-octet tag + 4-octet SRTCP index + MKI room. */
#define MSRTP_TRAILER 148

/* Shortest packets: the RTP fixed header (RFC 3550 §5.1), an RTCP header with its SSRC (§6.4). */
#define MSRTP_RTP_MIN 12
#define MSRTP_RTCP_MIN 8

/*
 * srtp_init(), once per process (later calls return at once).  0 or -EIO.
 * msrtp_new() calls it too; the daemon calls it at start so that a
 * broken libsrtp2 shows there.
 */
int msrtp_global_init(void);

/*
 * Whose crypto the sessions use: "openssl" (ours, msrtp_ossl.h), or
 * "libsrtp2" if libsrtp2 refused one of our types (its known-answer
 * tests failed), NULL before msrtp_global_init().
 */
const char *msrtp_crypto(void);

struct msrtp;

/*
 * Sessions for sending with tx (ssrc_any_outbound) and receiving with rx
 * (ssrc_any_inbound).  Both keys must be of the same suite and have that
 * suite's length.  0 with *out the caller's (msrtp_free), or -EINVAL (a
 * NULL argument, suites differ, bad suite or length), -ENOMEM, -EIO
 * (libsrtp2 refused).  The keys are copied into libsrtp2 and not kept by
 * us; the caller still wipes its own copies.
 */
int msrtp_new(struct msrtp **out, const struct sdes_key *tx, const struct sdes_key *rx);

/* Free both sessions and wipe what is ours.  NULL: no-op. */
void msrtp_free(struct msrtp *s);

/*
 * Protect the RTP packet of *len bytes at buf in place; *len grows by the
 * tag.  size is the buffer's size: it must hold *len + MSRTP_TRAILER.
 * 0, or -ENOSPC (no room for the trailer: nothing done), -EALREADY (this
 * sequence number was already sent under this key), -EINVAL (NULL,
 * misaligned buf, shorter than MSRTP_RTP_MIN, a header libsrtp2 refuses).
 */
int msrtp_protect(struct msrtp *s, uint8_t *buf, size_t *len, size_t size);

/*
 * Check and decrypt the SRTP packet of *len bytes at buf in place; *len
 * shrinks to the RTP packet.  0, or -EBADMSG (authentication failed: a
 * wrong key or a tampered packet), -EALREADY (replayed, or older than the
 * replay window), -EINVAL (NULL, misaligned buf, too short, a header
 * libsrtp2 refuses).  On failure *len is unchanged and the bytes of buf
 * are not to be used.
 */
int msrtp_unprotect(struct msrtp *s, uint8_t *buf, size_t *len);

/* The same for RTCP (SRTCP, RFC 3711 §3.4): compound packets of at least MSRTP_RTCP_MIN bytes. */
int msrtp_protect_rtcp(struct msrtp *s, uint8_t *buf, size_t *len, size_t size);
int msrtp_unprotect_rtcp(struct msrtp *s, uint8_t *buf, size_t *len);

#endif
