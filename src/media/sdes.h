/*
 * sdes: SRTP keys as SDP carries them, the a=crypto attribute of RFC 4568
 * (SDES), for the four suites sipuad speaks:
 *
 *   a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz
 *
 * A key is the master key and salt concatenated, as the inline: value
 * carries them in base64 (RFC 4648): 30 bytes for the AES_CM_128 suites,
 * 28 for AEAD_AES_128_GCM, 44 for AEAD_AES_256_GCM (RFC 7714 §12).  Keys
 * come from getrandom(2) (core/rnd.h) and are wiped (sdes_wipe) on every
 * copy that is dropped; no text this module writes besides sdes_format()
 * contains key material.
 *
 * A line we cannot honour (an unknown suite, an MKI, a short lifetime, a
 * session parameter) is refused with -ENOTSUP so that the caller skips it
 * and looks at the next one (RFC 4568 §6.3); a malformed one gets
 * -EBADMSG.  No logging, no state.
 */
#ifndef SIPUAD_SDES_H
#define SIPUAD_SDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sdes_suite {
	SDES_AES_CM_128_HMAC_SHA1_80,
	SDES_AES_CM_128_HMAC_SHA1_32,
	SDES_AEAD_AES_128_GCM,
	SDES_AEAD_AES_256_GCM,
	SDES_SUITE_COUNT,
};

/* Master key + salt of the longest suite. */
#define SDES_KEY_MAX 46

struct sdes_key {
	enum sdes_suite suite;
	uint8_t key[SDES_KEY_MAX]; /* master key then master salt */
	size_t len;		   /* sdes_key_len(suite) */
};

/* One a=crypto line. */
struct sdes_crypto {
	unsigned tag; /* 1..999999999 */
	struct sdes_key key;
};

/* "AES_CM_128_HMAC_SHA1_80", ...; NULL past the end. Static text. */
const char *sdes_suite_name(enum sdes_suite s);
/* The suite named name (exact case, RFC 4568 §6.2) into *out (out may be NULL). 0 or -ENOENT. */
int sdes_suite_find(const char *name, enum sdes_suite *out);
/* Key + salt bytes of suite s: 30, 30, 28, 44; 0 past the end. */
size_t sdes_key_len(enum sdes_suite s);
/* A fresh key for suite s from getrandom(2). 0, -EINVAL, or rnd_bytes()'s -errno. */
int sdes_key_new(struct sdes_key *k, enum sdes_suite s);

/*
 * Parse an a=crypto value "TAG SUITE inline:BASE64[|LIFETIME][|MKI:LEN]
 * [SESSION-PARAMS]".  0 with *out filled; -EBADMSG malformed (tag, no
 * inline:, bad base64, wrong key length for the suite, junk); -ENOTSUP a
 * line to skip (unknown suite, MKI, more than one key, a lifetime under
 * 2^31, any session parameter); -EINVAL value or out NULL.  A malformed
 * field anywhere makes it -EBADMSG even when another would be skipped,
 * except after an unknown suite, whose key form we cannot judge.  Fields
 * are separated by runs of SP/HTAB (also allowed before and after); any
 * other control character is malformed.  why (may be NULL, whylen 0)
 * gets a short reason ("" on success) that never contains the key.
 * *out is written only on success.
 */
int sdes_parse(const char *value, struct sdes_crypto *out, char *why, size_t whylen);
/* "TAG SUITE inline:BASE64" into out: its length, or -ENOSPC, -EINVAL. */
int sdes_format(char *out, size_t size, unsigned tag, const struct sdes_key *k);
/* Wipe k's key material (explicit_bzero). NULL: no-op. */
void sdes_wipe(struct sdes_key *k);

#endif
