/*
 * check_msrtp_ossl: SRTP's AES-CM, AES-GCM and HMAC-SHA1 on OpenSSL
 * (src/media/msrtp_ossl.c), as libsrtp2 uses them once installed.
 *
 * The reference is libsrtp2's own crypto: a session made before our types
 * are installed keeps libsrtp2's ciphers, so one process can protect the
 * same packets both ways and compare the bytes.  Below that, the AES-CM
 * keystream is compared with OpenSSL's CTR mode over long runs cut at
 * every kind of boundary, and the HMAC and GCM edge cases are checked by
 * their known answers.  (check_msrtp's known-answer packets from
 * libsrtp2's srtp_driver run on our types too.)
 *
 * Check forks per test, so every test starts with libsrtp2's kernel as
 * srtp_init() leaves it.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "media/msrtp.h"
#include "media/msrtp_ossl.h"
#include "media/sdes.h"

#include "check_run.h"

/* libsrtp2's kernel, exported but not in its installed headers. */
srtp_err_status_t srtp_crypto_kernel_alloc_cipher(srtp_cipher_type_id_t id,
						  srtp_cipher_pointer_t *cp, int key_len,
						  int tag_len);
srtp_err_status_t srtp_crypto_kernel_alloc_auth(srtp_auth_type_id_t id, srtp_auth_pointer_t *ap,
						int key_len, int tag_len);

#define BUF 2048
#define OURS "(sipuad, OpenSSL)"

union pkt {
	uint32_t align;
	uint8_t b[BUF];
};

static const struct {
	srtp_cipher_type_id_t id;
	int key_len, tag_len;
} ciphers[] = {
	{SRTP_AES_ICM_128, SRTP_AES_ICM_128_KEY_LEN_WSALT, 0},
	{SRTP_AES_ICM_256, SRTP_AES_ICM_256_KEY_LEN_WSALT, 0},
	{SRTP_AES_GCM_128, SRTP_AES_GCM_128_KEY_LEN_WSALT, 16},
	{SRTP_AES_GCM_256, SRTP_AES_GCM_256_KEY_LEN_WSALT, 16},
};

static bool cipher_is_ours(size_t i)
{
	srtp_cipher_t *c = NULL;
	bool ours;

	ck_assert_int_eq(srtp_crypto_kernel_alloc_cipher(ciphers[i].id, &c, ciphers[i].key_len,
							 ciphers[i].tag_len),
			 srtp_err_status_ok);
	ours = strstr(c->type->description, OURS) != NULL;
	ck_assert_int_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
	return ours;
}

static bool auth_is_ours(void)
{
	srtp_auth_t *a = NULL;
	bool ours;

	ck_assert_int_eq(srtp_crypto_kernel_alloc_auth(SRTP_HMAC_SHA1, &a, 20, 10),
			 srtp_err_status_ok);
	ours = strstr(a->type->description, OURS) != NULL;
	ck_assert_int_eq(srtp_auth_dealloc(a), srtp_err_status_ok);
	return ours;
}

/*
 * msrtp_ossl_install() puts every type in; libsrtp2 accepted them (it ran
 * their tests and those of the types they replace).
 */
START_TEST(test_installed)
{
	ck_assert_int_eq(srtp_init(), srtp_err_status_ok);
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		ck_assert_msg(!cipher_is_ours(i), "cipher %d ours before install", ciphers[i].id);
	ck_assert(!auth_is_ours());

	ck_assert_int_eq(msrtp_ossl_install(), 0);
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		ck_assert_msg(cipher_is_ours(i), "cipher %d not ours", ciphers[i].id);
	ck_assert(auth_is_ours());
	/* A second install replaces ours with ours: still accepted. */
	ck_assert_int_eq(msrtp_ossl_install(), 0);
}
END_TEST

/* msrtp's start installs them, and says so. */
START_TEST(test_msrtp_uses_them)
{
	ck_assert_ptr_null(msrtp_crypto());
	ck_assert_int_eq(msrtp_global_init(), 0);
	ck_assert_str_eq(msrtp_crypto(), "openssl");
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		ck_assert_msg(cipher_is_ours(i), "cipher %d not ours", ciphers[i].id);
	ck_assert(auth_is_ours());
}
END_TEST

/* libsrtp2's own policy for a suite, as msrtp makes it. */
static void policy(srtp_policy_t *p, enum sdes_suite s, const struct sdes_key *k, srtp_ssrc_type_t t,
		   uint8_t *key)
{
	memset(p, 0, sizeof(*p));
	switch (s) {
	case SDES_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case SDES_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case SDES_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		break;
	}
	memcpy(key, k->key, k->len);
	p->key = key;
	p->ssrc.type = t;
	p->window_size = 128;
}

static size_t rtp(union pkt *p, uint16_t seq, size_t n)
{
	memset(p->b, 0, sizeof(p->b));
	p->b[0] = 0x80;
	p->b[2] = (uint8_t)(seq >> 8);
	p->b[3] = (uint8_t)seq;
	p->b[8] = 0x5a, p->b[11] = 0xa5;
	for (size_t i = 0; i < n; i++)
		p->b[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + n;
}

static size_t rtcp(union pkt *p, size_t words)
{
	memset(p->b, 0, sizeof(p->b));
	p->b[0] = 0x80;
	p->b[1] = 200; /* SR */
	p->b[3] = (uint8_t)(words - 1);
	p->b[4] = 0x5a, p->b[7] = 0xa5;
	for (size_t i = 8; i < 4 * words; i++)
		p->b[i] = (uint8_t)(i * 3);
	return 4 * words;
}

/*
 * The same packets protected by libsrtp2's crypto and by ours, with msrtp's
 * policies, give the same bytes, and what libsrtp2 protects with the
 * peer's key ours unprotects:
 * RTP of every payload length up to 300 and a few long ones (partial and
 * whole AES blocks, more than one ECB batch), and SRTCP.
 */
START_TEST(test_same_bytes_as_libsrtp2)
{
	enum sdes_suite s = (enum sdes_suite)_i;
	struct sdes_key ka, kb;
	srtp_policy_t p;
	uint8_t key[SDES_KEY_MAX];
	srtp_t ref_tx, ref_peer, our_tx, our_rx;
	union pkt plain, a, b;
	const size_t longs[] = {1024, 1025, 1400, 1500};

	ck_assert_int_eq(srtp_init(), srtp_err_status_ok);
	ck_assert_int_eq(sdes_key_new(&ka, s), 0);
	ck_assert_int_eq(sdes_key_new(&kb, s), 0);
	/* libsrtp2's crypto: a sender with our key, and the peer's. */
	policy(&p, s, &ka, ssrc_any_outbound, key);
	ck_assert_int_eq(srtp_create(&ref_tx, &p), srtp_err_status_ok);
	policy(&p, s, &kb, ssrc_any_outbound, key);
	ck_assert_int_eq(srtp_create(&ref_peer, &p), srtp_err_status_ok);
	/* Ours, as msrtp makes them. */
	ck_assert_int_eq(msrtp_ossl_install(), 0);
	ck_assert(cipher_is_ours(0) && auth_is_ours());
	policy(&p, s, &ka, ssrc_any_outbound, key);
	ck_assert_int_eq(srtp_create(&our_tx, &p), srtp_err_status_ok);
	policy(&p, s, &kb, ssrc_any_inbound, key);
	ck_assert_int_eq(srtp_create(&our_rx, &p), srtp_err_status_ok);

	for (size_t i = 0; i < 300 + sizeof(longs) / sizeof(longs[0]); i++) {
		size_t n = i < 300 ? i : longs[i - 300];
		size_t len = rtp(&plain, (uint16_t)(65000 + i), n);
		int rlen = (int)len, olen = (int)len;

		a = plain, b = plain;
		ck_assert_int_eq(srtp_protect(ref_tx, a.b, &rlen), srtp_err_status_ok);
		ck_assert_int_eq(srtp_protect(our_tx, b.b, &olen), srtp_err_status_ok);
		ck_assert_int_eq(olen, rlen);
		ck_assert_msg(memcmp(a.b, b.b, (size_t)rlen) == 0, "RTP payload %zu differs", n);

		a = plain;
		rlen = (int)len;
		ck_assert_int_eq(srtp_protect(ref_peer, a.b, &rlen), srtp_err_status_ok);
		ck_assert_msg(srtp_unprotect(our_rx, a.b, &rlen) == srtp_err_status_ok,
			      "RTP payload %zu refused", n);
		ck_assert_int_eq(rlen, (int)len);
		ck_assert_int_eq(memcmp(a.b, plain.b, len), 0);
	}
	for (size_t words = 2; words < 40; words++) {
		size_t len = rtcp(&plain, words);
		int rlen = (int)len, olen = (int)len;

		a = plain, b = plain;
		ck_assert_int_eq(srtp_protect_rtcp(ref_tx, a.b, &rlen), srtp_err_status_ok);
		ck_assert_int_eq(srtp_protect_rtcp(our_tx, b.b, &olen), srtp_err_status_ok);
		ck_assert_int_eq(olen, rlen);
		ck_assert_msg(memcmp(a.b, b.b, (size_t)rlen) == 0, "RTCP of %zu words differs",
			      words);

		a = plain;
		rlen = (int)len;
		ck_assert_int_eq(srtp_protect_rtcp(ref_peer, a.b, &rlen), srtp_err_status_ok);
		ck_assert_int_eq(srtp_unprotect_rtcp(our_rx, a.b, &rlen), srtp_err_status_ok);
		ck_assert_int_eq(rlen, (int)len);
		ck_assert_int_eq(memcmp(a.b, plain.b, len), 0);
	}
	srtp_dealloc(ref_tx);
	srtp_dealloc(ref_peer);
	srtp_dealloc(our_tx);
	srtp_dealloc(our_rx);
	sdes_wipe(&ka);
	sdes_wipe(&kb);
}
END_TEST

/* AES-128-CM through our type, and the same counter blocks through OpenSSL's CTR mode. */
static srtp_cipher_t *icm_new(const uint8_t *key)
{
	srtp_cipher_t *c = NULL;

	ck_assert_int_eq(msrtp_global_init(), 0);
	ck_assert_int_eq(srtp_crypto_kernel_alloc_cipher(SRTP_AES_ICM_128, &c,
							 SRTP_AES_ICM_128_KEY_LEN_WSALT, 0),
			 srtp_err_status_ok);
	ck_assert_ptr_nonnull(strstr(c->type->description, OURS));
	ck_assert_int_eq(srtp_cipher_init(c, key), srtp_err_status_ok);
	return c;
}

static void ctr_reference(const uint8_t *key, const uint8_t *iv, uint8_t *buf, size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t ctr[16] = {0};
	int out;

	for (int i = 0; i < 14; i++)
		ctr[i] = key[16 + i] ^ iv[i];
	ctr[14] = iv[14], ctr[15] = iv[15];
	ck_assert_int_eq(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, ctr), 1);
	ck_assert_int_eq(EVP_EncryptUpdate(ctx, buf, &out, buf, (int)len), 1);
	EVP_CIPHER_CTX_free(ctx);
}

/*
 * The keystream after an IV is the same cut in pieces of any size (libsrtp2
 * asks for a prefix, then the rest) as in one call, and is CTR mode's.
 */
START_TEST(test_icm_pieces)
{
	uint8_t key[SRTP_AES_ICM_128_KEY_LEN_WSALT], iv[16] = {0};
	static uint8_t whole[5000], cut[5000], ref[5000];
	const unsigned pieces[] = {1, 15, 16, 17, 31, 33, 1023, 1024, 1025, 7, 2};
	srtp_cipher_t *c;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 11 + 3);
	for (size_t i = 4; i < 14; i++)
		iv[i] = (uint8_t)(i * 29);
	iv[15] = 0x10; /* a block counter that does not start at 0 */
	c = icm_new(key);
	memset(whole, 0, sizeof(whole));
	memset(cut, 0, sizeof(cut));
	memset(ref, 0, sizeof(ref));

	ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	{
		uint32_t n = sizeof(whole);

		ck_assert_int_eq(srtp_cipher_encrypt(c, whole, &n), srtp_err_status_ok);
		ck_assert_uint_eq(n, sizeof(whole));
	}
	ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	for (size_t at = 0, k = 0; at < sizeof(cut); k++) {
		uint32_t n = pieces[k % (sizeof(pieces) / sizeof(pieces[0]))];

		if (n > sizeof(cut) - at)
			n = (uint32_t)(sizeof(cut) - at);
		ck_assert_int_eq(srtp_cipher_encrypt(c, cut + at, &n), srtp_err_status_ok);
		at += n;
	}
	ctr_reference(key, iv, ref, sizeof(ref));
	ck_assert_int_eq(memcmp(whole, ref, sizeof(ref)), 0);
	ck_assert_int_eq(memcmp(cut, ref, sizeof(ref)), 0);

	/* A new IV starts the stream again (here: decrypting what was encrypted). */
	ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), srtp_err_status_ok);
	{
		uint32_t n = 100;

		ck_assert_int_eq(srtp_cipher_decrypt(c, whole, &n), srtp_err_status_ok);
		for (size_t i = 0; i < 100; i++)
			ck_assert_uint_eq(whole[i], 0);
	}
	ck_assert_int_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
}
END_TEST

/* One IV gives at most 0xffff blocks of keystream, as libsrtp2's own AES-CM. */
START_TEST(test_icm_terminus)
{
	uint8_t key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {1}, iv[16] = {0};
	size_t max = 0xffffu * 16;
	uint8_t *buf = calloc(1, max + 16);
	srtp_cipher_t *c = icm_new(key);
	uint32_t n;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	n = (uint32_t)max - 5;
	ck_assert_int_eq(srtp_cipher_encrypt(c, buf, &n), srtp_err_status_ok);
	n = 5;
	ck_assert_int_eq(srtp_cipher_encrypt(c, buf, &n), srtp_err_status_ok);
	n = 1;
	ck_assert_int_eq(srtp_cipher_encrypt(c, buf, &n), srtp_err_status_terminus);
	/* In one call too. */
	ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	n = (uint32_t)max + 1;
	ck_assert_int_eq(srtp_cipher_encrypt(c, buf, &n), srtp_err_status_terminus);
	ck_assert_int_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
	free(buf);
}
END_TEST

/* A key libsrtp2 has no AES-CM for is refused, not cut. */
START_TEST(test_bad_lengths)
{
	srtp_cipher_t *c = NULL;
	srtp_auth_t *a = NULL;

	ck_assert_int_eq(msrtp_global_init(), 0);
	ck_assert_int_ne(srtp_crypto_kernel_alloc_cipher(SRTP_AES_ICM_128, &c, 16, 0),
			 srtp_err_status_ok);
	ck_assert_int_ne(srtp_crypto_kernel_alloc_cipher(SRTP_AES_GCM_128, &c,
							 SRTP_AES_GCM_128_KEY_LEN_WSALT, 12),
			 srtp_err_status_ok);
	ck_assert_int_ne(srtp_crypto_kernel_alloc_cipher(SRTP_AES_GCM_256, &c,
							 SRTP_AES_ICM_256_KEY_LEN_WSALT, 16),
			 srtp_err_status_ok);
	ck_assert_int_ne(srtp_crypto_kernel_alloc_auth(SRTP_HMAC_SHA1, &a, 20, 21),
			 srtp_err_status_ok);
}
END_TEST

/*
 * HMAC-SHA1 of RFC 2202 §3 test case 6: an 80-octet key, longer than
 * SHA-1's block, is hashed first; and a second MAC after start() does not
 * carry the first one's data.
 */
START_TEST(test_hmac_long_key)
{
	static const char data[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	static const uint8_t want[20] = {0xaa, 0x4a, 0xe5, 0xe1, 0x52, 0x72, 0xd0,
					 0x0e, 0x95, 0x70, 0x56, 0x37, 0xce, 0x8a,
					 0x3b, 0x55, 0xed, 0x40, 0x21, 0x12};
	uint8_t key[80], tag[20];
	srtp_auth_t *a = NULL;

	memset(key, 0xaa, sizeof(key));
	ck_assert_int_eq(msrtp_global_init(), 0);
	ck_assert_int_eq(srtp_crypto_kernel_alloc_auth(SRTP_HMAC_SHA1, &a, sizeof(key), 20),
			 srtp_err_status_ok);
	ck_assert_ptr_nonnull(strstr(a->type->description, OURS));
	ck_assert_int_eq(srtp_auth_init(a, key), srtp_err_status_ok);
	for (int round = 0; round < 2; round++) {
		memset(tag, 0, sizeof(tag));
		ck_assert_int_eq(srtp_auth_start(a), srtp_err_status_ok);
		/* In two parts, as libsrtp2 gives the packet and then the ROC. */
		ck_assert_int_eq(srtp_auth_update(a, (const uint8_t *)data, 10), srtp_err_status_ok);
		ck_assert_int_eq(srtp_auth_compute(a, (const uint8_t *)data + 10,
						   (int)strlen(data) - 10, tag),
				 srtp_err_status_ok);
		ck_assert_int_eq(memcmp(tag, want, sizeof(want)), 0);
	}
	ck_assert_int_eq(srtp_auth_dealloc(a), srtp_err_status_ok);
}
END_TEST

/* GCM: a wrong tag or a ciphertext shorter than the tag fails authentication. */
START_TEST(test_gcm_refusals)
{
	uint8_t key[SRTP_AES_GCM_128_KEY_LEN_WSALT] = {9}, iv[12] = {1}, aad[12] = {2};
	uint8_t buf[64 + 16], copy[sizeof(buf)];
	srtp_cipher_t *c = NULL;
	uint32_t n = 64, t = 0;

	memset(buf, 0x33, sizeof(buf));
	ck_assert_int_eq(msrtp_global_init(), 0);
	ck_assert_int_eq(srtp_crypto_kernel_alloc_cipher(SRTP_AES_GCM_128, &c, sizeof(key), 16),
			 srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_init(c, key), srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_set_aad(c, aad, sizeof(aad)), srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_encrypt(c, buf, &n), srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_get_tag(c, buf + n, &t), srtp_err_status_ok);
	ck_assert_uint_eq(t, 16);

	for (size_t at = 0; at < sizeof(buf); at += 79) {
		memcpy(copy, buf, sizeof(buf));
		copy[at] ^= 1;
		n = sizeof(copy);
		ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt),
				 srtp_err_status_ok);
		ck_assert_int_eq(srtp_cipher_set_aad(c, aad, sizeof(aad)), srtp_err_status_ok);
		ck_assert_int_eq(srtp_cipher_decrypt(c, copy, &n), srtp_err_status_auth_fail);
	}
	n = 15;
	ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_decrypt(c, copy, &n), srtp_err_status_auth_fail);
	/* The untouched one passes, and comes back whole. */
	memcpy(copy, buf, sizeof(buf));
	n = sizeof(copy);
	ck_assert_int_eq(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_set_aad(c, aad, sizeof(aad)), srtp_err_status_ok);
	ck_assert_int_eq(srtp_cipher_decrypt(c, copy, &n), srtp_err_status_ok);
	ck_assert_uint_eq(n, 64);
	for (size_t i = 0; i < 64; i++)
		ck_assert_uint_eq(copy[i], 0x33);
	ck_assert_int_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("msrtp_ossl");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_installed);
	tcase_add_test(tc, test_msrtp_uses_them);
	tcase_add_loop_test(tc, test_same_bytes_as_libsrtp2, 0, SDES_SUITE_COUNT);
	tcase_add_test(tc, test_icm_pieces);
	tcase_add_test(tc, test_icm_terminus);
	tcase_add_test(tc, test_bad_lengths);
	tcase_add_test(tc, test_hmac_long_key);
	tcase_add_test(tc, test_gcm_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
