/*
 * msrtp_ossl: SRTP's ciphers and MAC on OpenSSL's libcrypto, put into
 * libsrtp2 through its own extension points (srtp_replace_cipher_type,
 * srtp_replace_auth_type).  Part of msrtp; only msrtp and the tests use it.
 *
 * Why: Debian 12's libsrtp2 is built on NSS, whose AES-CM makes a new
 * PKCS #11 context for every packet and whose per-packet cost grows with
 * the number of sessions alive (4 us per protect + unprotect at 100
 * calls, 19 us at 1,000; a teardown scans every context).  libsrtp2
 * keeps the protocol (packet formats, key derivation, replay windows,
 * ROC); only the primitives it asks for change:
 *
 *   SRTP_AES_ICM_128, _256   AES-CM (RFC 3711 §4.1.1) as keystream made
 *                            by AES-ECB over the counter blocks: no IV
 *                            reset inside OpenSSL per packet
 *   SRTP_AES_GCM_128, _256   AES-GCM (RFC 7714) through EVP
 *   SRTP_HMAC_SHA1           HMAC-SHA1 (RFC 2104) with the inner and
 *                            outer pad states hashed once per key
 *
 * Each type carries its own known-answer tests (RFC 3711 B.2, RFC 6188
 * §7.1, the GCM paper's test cases 4 and 16, RFC 2202), and libsrtp2 runs
 * them and the tests of the type it replaces before accepting it.  A
 * type it refuses stays libsrtp2's own: SRTP still works, more slowly.
 */
#ifndef SIPUAD_MSRTP_OSSL_H
#define SIPUAD_MSRTP_OSSL_H

/*
 * Put the OpenSSL types into libsrtp2's crypto kernel; call after
 * srtp_init().  0 when every type was taken, -EIO when libsrtp2 refused
 * one (the others are in use all the same).
 */
int msrtp_ossl_install(void);

#endif
