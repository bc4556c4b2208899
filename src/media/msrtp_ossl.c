/*
 * msrtp_ossl: SRTP's AES-CM, AES-GCM and HMAC-SHA1 on OpenSSL, given to
 * libsrtp2 as replacements for its own types; see msrtp_ossl.h.
 *
 * The functions follow libsrtp2's cipher.h and auth.h contracts, as its
 * own OpenSSL backend (crypto/cipher/aes_icm_ossl.c, aes_gcm_ossl.c,
 * crypto/hash/hmac_ossl.c) does, with two differences that are the point
 * of the file:
 *
 *  - AES-CM: libsrtp2 sets a new IV for every packet, and resetting the
 *    IV of an OpenSSL CTR context costs more than encrypting a packet.
 *    The keystream is made instead by one AES-ECB call over the packet's
 *    counter blocks (the same blocks CTR would encrypt), then XORed in.
 *  - HMAC-SHA1: the SHA-1 states after the inner and the outer pad are
 *    computed once per key; a packet's MAC starts from copies of them.
 *    OpenSSL 3's EVP_MAC restarts copy digest contexts through their
 *    provider, with allocations, twice per packet.  The SHA-1 state copy
 *    needs the low-level SHA1_* functions, deprecated in OpenSSL 3.0 but
 *    built by Debian and every distribution we know of.
 *
 * Key material lives in the OpenSSL contexts and the SHA-1 states; every
 * dealloc wipes what is ours before freeing it.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init/Update/Final: see above */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "media/msrtp_ossl.h"

#define BLOCK 16
#define GCM_TAG_MAX 16
#define HMAC_PAD 64

/* Counter blocks encrypted per EVP call: the stack buffer for a typical packet. */
#define ICM_BATCH 64

/* libsrtp2's bound on one IV's keystream: a 16-bit block counter (RFC 3711 §4.1.1). */
#define ICM_MAX_BLOCKS 0xffffu

/* ---- what both ciphers share ----------------------------------------- */

/* The start of both cipher states: libsrtp2's cipher and our OpenSSL context. */
struct ossl_cipher {
	srtp_cipher_t c; /* first: libsrtp2 frees what alloc returned, through dealloc */
	EVP_CIPHER_CTX *ctx;
	size_t size; /* of the whole state, to wipe it */
};

/* A zeroed state of size bytes, starting with a struct ossl_cipher for type; or NULL. */
static void *cipher_new(size_t size, const srtp_cipher_type_t *type, int key_len, int algo)
{
	struct ossl_cipher *s = calloc(1, size);

	if (!s)
		return NULL;
	if (!(s->ctx = EVP_CIPHER_CTX_new())) {
		free(s);
		return NULL;
	}
	s->c.type = type;
	s->c.state = s;
	s->c.key_len = key_len;
	s->c.algorithm = algo;
	s->size = size;
	return s;
}

static srtp_err_status_t cipher_dealloc(srtp_cipher_pointer_t cp)
{
	struct ossl_cipher *s;

	if (!cp)
		return srtp_err_status_bad_param;
	s = cp->state;
	EVP_CIPHER_CTX_free(s->ctx);
	OPENSSL_cleanse(s, s->size);
	free(s);
	return srtp_err_status_ok;
}

/* ---- AES-CM ---------------------------------------------------------- */

struct icm {
	struct ossl_cipher o; /* first; o.ctx is AES-ECB with the key */
	uint8_t offset[BLOCK]; /* the salt, its last two octets zero */
	uint8_t ctr[BLOCK];    /* offset XOR IV: the counter of block 0 */
	uint8_t ks[BLOCK];     /* keystream of the block pos is in */
	uint32_t pos;	       /* keystream octets used since the IV */
	int key_size;	       /* AES key octets: 16 or 32 */
};

static const srtp_cipher_type_t icm_128, icm_256;

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	struct icm *s;
	const srtp_cipher_type_t *type;
	int algo, size;

	(void)tag_len;
	switch (key_len) {
	case SRTP_AES_ICM_128_KEY_LEN_WSALT:
		type = &icm_128, algo = SRTP_AES_ICM_128, size = SRTP_AES_128_KEY_LEN;
		break;
	case SRTP_AES_ICM_256_KEY_LEN_WSALT:
		type = &icm_256, algo = SRTP_AES_ICM_256, size = SRTP_AES_256_KEY_LEN;
		break;
	default:
		return srtp_err_status_bad_param;
	}
	if (!(s = cipher_new(sizeof(*s), type, key_len, algo)))
		return srtp_err_status_alloc_fail;
	s->key_size = size;
	*cp = &s->o.c;
	return srtp_err_status_ok;
}

/* key: the AES key, then the 14-octet salt. */
static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm *s = state;
	const EVP_CIPHER *evp;

	switch (s->key_size) {
	case SRTP_AES_128_KEY_LEN:
		evp = EVP_aes_128_ecb();
		break;
	default:
		evp = EVP_aes_256_ecb();
		break;
	}
	memset(s->offset, 0, sizeof(s->offset));
	memcpy(s->offset, key + s->key_size, SRTP_SALT_LEN);
	memcpy(s->ctr, s->offset, BLOCK);
	s->pos = 0;
	if (EVP_EncryptInit_ex(s->o.ctx, evp, NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(s->o.ctx, 0) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm *s = state;

	(void)dir; /* a keystream: the same both ways */
	for (size_t i = 0; i < BLOCK; i++)
		s->ctr[i] = s->offset[i] ^ iv[i];
	s->pos = 0;
	return srtp_err_status_ok;
}

/* Counter block n after the IV's: its last 16 bits count blocks. */
static void icm_counter(const struct icm *s, uint8_t *out, uint32_t n)
{
	uint16_t low = (uint16_t)(((unsigned)s->ctr[14] << 8 | s->ctr[15]) + n);

	memcpy(out, s->ctr, BLOCK - 2);
	out[14] = (uint8_t)(low >> 8);
	out[15] = (uint8_t)low;
}

/* Keystream for blocks first .. first + n - 1 into ks. */
static srtp_err_status_t icm_keystream(struct icm *s, uint8_t *ks, uint32_t first, uint32_t n)
{
	uint8_t ctr[ICM_BATCH * BLOCK];
	int out;

	for (uint32_t i = 0; i < n; i++)
		icm_counter(s, ctr + i * BLOCK, first + i);
	if (EVP_EncryptUpdate(s->o.ctx, ks, &out, ctr, (int)(n * BLOCK)) != 1 ||
	    out != (int)(n * BLOCK))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static void xor_into(uint8_t *buf, const uint8_t *ks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] ^= ks[i];
}

/* XOR len octets of keystream into buf, going on from where the last call stopped. */
static srtp_err_status_t icm_encrypt(void *state, uint8_t *buf, unsigned int *enc_len)
{
	struct icm *s = state;
	uint8_t ks[ICM_BATCH * BLOCK];
	size_t len = *enc_len, used = s->pos % BLOCK, n;
	srtp_err_status_t st;

	if (((uint64_t)s->pos + len + BLOCK - 1) / BLOCK > ICM_MAX_BLOCKS)
		return srtp_err_status_terminus;
	if (used && len) {
		n = BLOCK - used < len ? BLOCK - used : len;
		xor_into(buf, s->ks + used, n);
		buf += n, len -= n, s->pos += (uint32_t)n;
	}
	while (len >= BLOCK) {
		uint32_t blocks = (uint32_t)(len / BLOCK);

		if (blocks > ICM_BATCH)
			blocks = ICM_BATCH;
		if ((st = icm_keystream(s, ks, s->pos / BLOCK, blocks)))
			return st;
		xor_into(buf, ks, blocks * BLOCK);
		buf += blocks * BLOCK, len -= blocks * BLOCK, s->pos += blocks * BLOCK;
	}
	if (len) {
		if ((st = icm_keystream(s, s->ks, s->pos / BLOCK, 1)))
			return st;
		xor_into(buf, s->ks, len);
		s->pos += (uint32_t)len;
	}
	return srtp_err_status_ok;
}

/* RFC 3711 B.2 (AES-128) and RFC 6188 §7.1 (AES-256): keystream of a zero IV. */
static const uint8_t icm_zero[48];
static uint8_t icm_idx[BLOCK];

static const uint8_t icm_128_key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
	0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm_128_ks[48] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
	0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0};
static const uint8_t icm_256_key[SRTP_AES_ICM_256_KEY_LEN_WSALT] = {
	0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
	0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm_256_ks[48] = {
	0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
	0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
	0x63, 0xc4, 0x86, 0x8b, 0x70, 0x96, 0xd8, 0x84, 0x21, 0xb5, 0x63, 0xb8, 0xc9, 0x4c, 0x9a, 0x31};

/* The 128-bit vector again, cut short: the last block only partly used. */
static const srtp_cipher_test_case_t icm_128_test_short = {
	SRTP_AES_ICM_128_KEY_LEN_WSALT, icm_128_key, icm_idx, 37, icm_zero, 37, icm_128_ks,
	0, NULL, 0, NULL};
static const srtp_cipher_test_case_t icm_128_test = {
	SRTP_AES_ICM_128_KEY_LEN_WSALT,
	icm_128_key,
	icm_idx,
	sizeof(icm_128_ks),
	icm_zero,
	sizeof(icm_128_ks),
	icm_128_ks,
	0,
	NULL,
	0,
	&icm_128_test_short};
static const srtp_cipher_test_case_t icm_256_test = {
	SRTP_AES_ICM_256_KEY_LEN_WSALT,
	icm_256_key,
	icm_idx,
	sizeof(icm_256_ks),
	icm_zero,
	sizeof(icm_256_ks),
	icm_256_ks,
	0,
	NULL,
	0,
	NULL};

static const srtp_cipher_type_t icm_128 = {
	icm_alloc,   cipher_dealloc, icm_init, NULL,	  icm_encrypt,	  icm_encrypt,
	icm_set_iv,  NULL,	  "AES-128 counter mode (sipuad, OpenSSL)", &icm_128_test,
	SRTP_AES_ICM_128};
static const srtp_cipher_type_t icm_256 = {
	icm_alloc,   cipher_dealloc, icm_init, NULL,	  icm_encrypt,	  icm_encrypt,
	icm_set_iv,  NULL,	  "AES-256 counter mode (sipuad, OpenSSL)", &icm_256_test,
	SRTP_AES_ICM_256};

/* ---- AES-GCM --------------------------------------------------------- */

struct gcm {
	struct ossl_cipher o; /* first; o.ctx is AES-GCM with the key */
	int tag_len;
	bool encrypt; /* the direction the last IV was set for */
};

static const srtp_cipher_type_t gcm_128, gcm_256;

static srtp_err_status_t gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	struct gcm *s;
	const srtp_cipher_type_t *type;
	int algo;

	if (key_len == SRTP_AES_GCM_128_KEY_LEN_WSALT)
		type = &gcm_128, algo = SRTP_AES_GCM_128;
	else if (key_len == SRTP_AES_GCM_256_KEY_LEN_WSALT)
		type = &gcm_256, algo = SRTP_AES_GCM_256;
	else
		return srtp_err_status_bad_param;
	if (tag_len != 8 && tag_len != GCM_TAG_MAX)
		return srtp_err_status_bad_param;
	if (!(s = cipher_new(sizeof(*s), type, key_len, algo)))
		return srtp_err_status_alloc_fail;
	s->tag_len = tag_len;
	*cp = &s->o.c;
	return srtp_err_status_ok;
}

/* key: the AES key; the salt after it is libsrtp2's, which folds it into the IV. */
static srtp_err_status_t gcm_init(void *state, const uint8_t *key)
{
	struct gcm *s = state;
	const EVP_CIPHER *evp =
		s->o.c.algorithm == SRTP_AES_GCM_128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();

	s->encrypt = true;
	if (EVP_CipherInit_ex(s->o.ctx, evp, NULL, key, NULL, 1) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* iv: the 12-octet IV of RFC 7714 §8.1. */
static srtp_err_status_t gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct gcm *s = state;

	if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	s->encrypt = dir == srtp_direction_encrypt;
	if (EVP_CipherInit_ex(s->o.ctx, NULL, NULL, NULL, iv, s->encrypt) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_aad(void *state, const uint8_t *aad, uint32_t aad_len)
{
	struct gcm *s = state;
	int out;

	if (aad_len > INT32_MAX || EVP_CipherUpdate(s->o.ctx, NULL, &out, aad, (int)aad_len) != 1)
		return srtp_err_status_algo_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *s = state;
	int out;

	if (!s->encrypt || *len > INT32_MAX)
		return srtp_err_status_bad_param;
	if (EVP_CipherUpdate(s->o.ctx, buf, &out, buf, (int)*len) != 1 || out != (int)*len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* After encrypt: finish and write the tag. */
static srtp_err_status_t gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct gcm *s = state;
	int out;

	if (!s->encrypt)
		return srtp_err_status_bad_param;
	if (EVP_CipherFinal_ex(s->o.ctx, tag, &out) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->o.ctx, EVP_CTRL_GCM_GET_TAG, s->tag_len, tag) != 1)
		return srtp_err_status_algo_fail;
	*len = (uint32_t)s->tag_len;
	return srtp_err_status_ok;
}

/* buf holds the ciphertext and then the tag; on success *len loses the tag. */
static srtp_err_status_t gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *s = state;
	unsigned int n;
	int out;

	if (s->encrypt || *len > INT32_MAX)
		return srtp_err_status_bad_param;
	if (*len < (unsigned int)s->tag_len)
		return srtp_err_status_auth_fail;
	n = *len - (unsigned int)s->tag_len;
	if (EVP_CIPHER_CTX_ctrl(s->o.ctx, EVP_CTRL_GCM_SET_TAG, s->tag_len, buf + n) != 1 ||
	    EVP_CipherUpdate(s->o.ctx, buf, &out, buf, (int)n) != 1 || out != (int)n)
		return srtp_err_status_cipher_fail;
	if (EVP_CipherFinal_ex(s->o.ctx, buf + n, &out) != 1)
		return srtp_err_status_auth_fail;
	*len = n;
	return srtp_err_status_ok;
}

/*
 * McGrew and Viega, "The Galois/Counter Mode of Operation", test cases 4
 * (AES-128) and 16 (AES-256): 60 octets, 20 of AAD, a 96-bit IV.  The
 * key is followed by 12 octets of salt, which the cipher does not use.
 */
static uint8_t gcm_iv[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
static const uint8_t gcm_aad[20] = {0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
				    0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2};
static const uint8_t gcm_pt[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26,
	0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31,
	0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49,
	0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39};
static const uint8_t gcm_128_key[SRTP_AES_GCM_128_KEY_LEN_WSALT] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30,
	0x83, 0x08, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const uint8_t gcm_128_ct[60 + 16] = {
	0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4,
	0x9c, 0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac,
	0xa1, 0x2e, 0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac,
	0x84, 0xaa, 0x05, 0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
	0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47};
static const uint8_t gcm_256_key[SRTP_AES_GCM_256_KEY_LEN_WSALT] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83,
	0x08, 0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30,
	0x83, 0x08, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const uint8_t gcm_256_ct[60 + 16] = {
	0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42,
	0x7d, 0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9, 0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55,
	0xd1, 0xaa, 0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10, 0x56,
	0x82, 0x88, 0x38, 0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62,
	0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88, 0x53, 0xbb, 0x2d, 0x55, 0x1b};

static const srtp_cipher_test_case_t gcm_128_test = {
	SRTP_AES_GCM_128_KEY_LEN_WSALT,
	gcm_128_key,
	gcm_iv,
	sizeof(gcm_pt),
	gcm_pt,
	sizeof(gcm_128_ct),
	gcm_128_ct,
	sizeof(gcm_aad),
	gcm_aad,
	GCM_TAG_MAX,
	NULL};
static const srtp_cipher_test_case_t gcm_256_test = {
	SRTP_AES_GCM_256_KEY_LEN_WSALT,
	gcm_256_key,
	gcm_iv,
	sizeof(gcm_pt),
	gcm_pt,
	sizeof(gcm_256_ct),
	gcm_256_ct,
	sizeof(gcm_aad),
	gcm_aad,
	GCM_TAG_MAX,
	NULL};

static const srtp_cipher_type_t gcm_128 = {
	gcm_alloc,  cipher_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt,
	gcm_set_iv, gcm_get_tag, "AES-128 GCM (sipuad, OpenSSL)", &gcm_128_test,
	SRTP_AES_GCM_128};
static const srtp_cipher_type_t gcm_256 = {
	gcm_alloc,  cipher_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt,
	gcm_set_iv, gcm_get_tag, "AES-256 GCM (sipuad, OpenSSL)", &gcm_256_test,
	SRTP_AES_GCM_256};

/* ---- HMAC-SHA1 ------------------------------------------------------- */

struct hmac {
	srtp_auth_t a;
	SHA_CTX inner; /* after the key XOR ipad */
	SHA_CTX outer; /* after the key XOR opad */
	SHA_CTX work;  /* the packet being authenticated */
};

static const srtp_auth_type_t hmac_sha1;

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	struct hmac *s;

	if (key_len < 0 || out_len < 0 || out_len > SHA_DIGEST_LENGTH)
		return srtp_err_status_bad_param;
	if (!(s = calloc(1, sizeof(*s))))
		return srtp_err_status_alloc_fail;
	s->a.type = &hmac_sha1;
	s->a.state = s;
	s->a.out_len = out_len;
	s->a.key_len = key_len;
	s->a.prefix_len = 0;
	*ap = &s->a;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t ap)
{
	struct hmac *s;

	if (!ap)
		return srtp_err_status_bad_param;
	s = ap->state;
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	return srtp_err_status_ok;
}

/* The SHA-1 state after one 64-octet block: key XOR pad. */
static void hmac_pad(SHA_CTX *ctx, const uint8_t *key, size_t key_len, uint8_t pad)
{
	uint8_t block[HMAC_PAD];

	memset(block, pad, sizeof(block));
	for (size_t i = 0; i < key_len; i++)
		block[i] ^= key[i];
	SHA1_Init(ctx);
	SHA1_Update(ctx, block, sizeof(block));
	OPENSSL_cleanse(block, sizeof(block));
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac *s = state;
	uint8_t digest[SHA_DIGEST_LENGTH];

	if (key_len < 0)
		return srtp_err_status_bad_param;
	if (key_len > HMAC_PAD) { /* RFC 2104 §2: a longer key is hashed first */
		SHA1(key, (size_t)key_len, digest);
		key = digest, key_len = SHA_DIGEST_LENGTH;
	}
	hmac_pad(&s->inner, key, (size_t)key_len, 0x36);
	hmac_pad(&s->outer, key, (size_t)key_len, 0x5c);
	s->work = s->inner;
	OPENSSL_cleanse(digest, sizeof(digest));
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_start(void *state)
{
	struct hmac *s = state;

	s->work = s->inner;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac *s = state;

	if (len < 0)
		return srtp_err_status_bad_param;
	SHA1_Update(&s->work, buf, (size_t)len);
	return srtp_err_status_ok;
}

/* Hash buf too, then write the first tag_len octets of the MAC. */
static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
				      uint8_t *tag)
{
	struct hmac *s = state;
	uint8_t h[SHA_DIGEST_LENGTH];

	if (len < 0 || tag_len < 0 || tag_len > SHA_DIGEST_LENGTH)
		return srtp_err_status_bad_param;
	SHA1_Update(&s->work, buf, (size_t)len);
	SHA1_Final(h, &s->work);
	s->work = s->outer;
	SHA1_Update(&s->work, h, sizeof(h));
	SHA1_Final(h, &s->work);
	memcpy(tag, h, (size_t)tag_len); /* a MAC, not key material: no wipe */
	return srtp_err_status_ok;
}

/* RFC 2202 §3, test cases 1 and 3, the second cut to SRTP's 80-bit tag. */
static const uint8_t hmac_key_1[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				       0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t hmac_data_1[8] = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
static const uint8_t hmac_tag_1[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72,
				       0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
				       0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
static const uint8_t hmac_key_3[20] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
				       0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t hmac_data_3[50] = {
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd};
static const uint8_t hmac_tag_3[10] = {0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3};

static const srtp_auth_test_case_t hmac_test_3 = {sizeof(hmac_key_3), hmac_key_3,
						  sizeof(hmac_data_3), hmac_data_3,
						  sizeof(hmac_tag_3), hmac_tag_3,
						  NULL};
static const srtp_auth_test_case_t hmac_test_1 = {sizeof(hmac_key_1), hmac_key_1,
						  sizeof(hmac_data_1), hmac_data_1,
						  sizeof(hmac_tag_1), hmac_tag_1,
						  &hmac_test_3};

static const srtp_auth_type_t hmac_sha1 = {
	hmac_alloc, hmac_dealloc, hmac_init,   hmac_compute,
	hmac_update, hmac_start,  "HMAC-SHA1 (sipuad, OpenSSL)", &hmac_test_1,
	SRTP_HMAC_SHA1};

/* ---- installing ------------------------------------------------------ */

int msrtp_ossl_install(void)
{
	static const struct {
		const srtp_cipher_type_t *type;
		srtp_cipher_type_id_t id;
	} ciphers[] = {
		{&icm_128, SRTP_AES_ICM_128},
		{&icm_256, SRTP_AES_ICM_256},
		{&gcm_128, SRTP_AES_GCM_128},
		{&gcm_256, SRTP_AES_GCM_256},
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		if (srtp_replace_cipher_type(ciphers[i].type, ciphers[i].id) != srtp_err_status_ok)
			err = -EIO;
	if (srtp_replace_auth_type(&hmac_sha1, SRTP_HMAC_SHA1) != srtp_err_status_ok)
		err = -EIO;
	return err;
}
