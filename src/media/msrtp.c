/*
 * msrtp: one call's SRTP and SRTCP through libsrtp2; see msrtp.h.
 *
 * Owns the two libsrtp2 sessions of a call and the translation of
 * libsrtp2's status codes into ours, done once here:
 *
 *   srtp_err_status_auth_fail                        -EBADMSG
 *   srtp_err_status_cant_check (an SRTCP E flag      -EBADMSG
 *     other than our policy's: not from the key holder)
 *   srtp_err_status_replay_fail, _replay_old         -EALREADY
 *   srtp_err_status_alloc_fail                       -ENOMEM
 *   anything else from a packet call                 -EINVAL
 *   anything else from srtp_init / srtp_create       -EIO
 *
 * libsrtp2 2.5 takes the length as an int and assumes, without being
 * told the buffer's size, that it may write SRTP_MAX_TRAILER_LEN bytes
 * after the packet: the size checks here are what keep it in bounds.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "media/msrtp.h"
#include "media/msrtp_ossl.h"

/* Replay window in packets (RFC 3711 §3.3.2: at least 64). */
#define MSRTP_WINDOW 128

_Static_assert(MSRTP_TRAILER >= SRTP_MAX_TRAILER_LEN + 4,
	       "MSRTP_TRAILER below libsrtp2's SRTCP trailer (tag + MKI + index)");

struct msrtp {
	srtp_t tx; /* ssrc_any_outbound, our key */
	srtp_t rx; /* ssrc_any_inbound, the peer's key */
};

/*
 * libsrtp2's crypto kernel is per process, so are these flags: the first
 * spares a second srtp_init() (which reruns every cipher's self-test).
 */
static bool initialized, ossl;

int msrtp_global_init(void)
{
	if (initialized)
		return 0;
	if (srtp_init() != srtp_err_status_ok)
		return -EIO;
	ossl = msrtp_ossl_install() == 0;
	initialized = true;
	return 0;
}

const char *msrtp_crypto(void)
{
	if (!initialized)
		return NULL;
	return ossl ? "openssl" : "libsrtp2";
}

/* The crypto policies of suite s for RTP and RTCP (see msrtp.h's table). */
static int policy_suite(srtp_policy_t *p, enum sdes_suite s)
{
	switch (s) {
	case SDES_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		return 0;
	case SDES_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568 §6.2.2: SRTCP keeps the 80-bit tag. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		return 0;
	case SDES_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		return 0;
	case SDES_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		return 0;
	case SDES_SUITE_COUNT:
		break;
	}
	return -EINVAL;
}

/* The libsrtp2 key length of a policy: cipher key + salt (SRTP_AES_*_KEY_LEN_WSALT). */
static size_t policy_key_len(const srtp_policy_t *p)
{
	return (size_t)p->rtp.cipher_key_len;
}

static int create_err(srtp_err_status_t st)
{
	return st == srtp_err_status_alloc_fail ? -ENOMEM : -EIO;
}

/* One session with key k for direction type (ssrc_any_outbound / _inbound). */
static int session_new(srtp_t *out, const struct sdes_key *k, srtp_ssrc_type_t type)
{
	srtp_policy_t p;
	uint8_t key[SDES_KEY_MAX];
	srtp_err_status_t st;
	int err;

	memset(&p, 0, sizeof(p));
	err = policy_suite(&p, k->suite);
	if (err < 0)
		return err;
	if (k->len != sdes_key_len(k->suite) || k->len != policy_key_len(&p))
		return -EINVAL;
	memcpy(key, k->key, k->len);
	p.ssrc.type = type;
	p.key = key;
	p.window_size = MSRTP_WINDOW;
	p.allow_repeat_tx = 0;
	p.next = NULL;
	st = srtp_create(out, &p);
	explicit_bzero(key, sizeof(key));
	return st == srtp_err_status_ok ? 0 : create_err(st);
}

int msrtp_new(struct msrtp **out, const struct sdes_key *tx, const struct sdes_key *rx)
{
	struct msrtp *s;
	int err;

	if (!out || !tx || !rx || tx->suite != rx->suite)
		return -EINVAL;
	err = msrtp_global_init();
	if (err < 0)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	err = session_new(&s->tx, tx, ssrc_any_outbound);
	if (err == 0)
		err = session_new(&s->rx, rx, ssrc_any_inbound);
	if (err < 0) {
		msrtp_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void msrtp_free(struct msrtp *s)
{
	if (!s)
		return;
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

/* A packet status of libsrtp2 as ours. */
static int packet_err(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
	case srtp_err_status_cant_check: /* SRTCP E flag not as keyed: forged */
		return -EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return -EALREADY;
	default:
		return -EINVAL;
	}
}

/* What every packet call checks first: the arguments, alignment, the shortest packet. */
static int packet_ok(const struct msrtp *s, const uint8_t *buf, const size_t *len, size_t min)
{
	if (!s || !buf || !len)
		return -EINVAL;
	if ((uintptr_t)buf % 4 != 0)
		return -EINVAL; /* libsrtp2 reads 32-bit words */
	if (*len < min || *len > INT_MAX - MSRTP_TRAILER)
		return -EINVAL;
	return 0;
}

typedef srtp_err_status_t (*srtp_fn)(srtp_t, void *, int *);

/* Protect in place with fn, given the buffer's size. */
static int protect(srtp_t ctx, srtp_fn fn, uint8_t *buf, size_t *len, size_t size)
{
	int n = (int)*len;
	int err;

	if (size < *len || size - *len < MSRTP_TRAILER)
		return -ENOSPC;
	err = packet_err(fn(ctx, buf, &n));
	if (err == 0)
		*len = (size_t)n;
	return err;
}

/* Unprotect in place with fn; *len only shrinks. */
static int unprotect(srtp_t ctx, srtp_fn fn, uint8_t *buf, size_t *len)
{
	int n = (int)*len;
	int err = packet_err(fn(ctx, buf, &n));

	if (err == 0 && (n < 0 || (size_t)n > *len))
		err = -EINVAL; /* not reached: libsrtp2 only removes bytes */
	if (err == 0)
		*len = (size_t)n;
	return err;
}

int msrtp_protect(struct msrtp *s, uint8_t *buf, size_t *len, size_t size)
{
	int err = packet_ok(s, buf, len, MSRTP_RTP_MIN);

	return err < 0 ? err : protect(s->tx, srtp_protect, buf, len, size);
}

int msrtp_unprotect(struct msrtp *s, uint8_t *buf, size_t *len)
{
	int err = packet_ok(s, buf, len, MSRTP_RTP_MIN);

	return err < 0 ? err : unprotect(s->rx, srtp_unprotect, buf, len);
}

int msrtp_protect_rtcp(struct msrtp *s, uint8_t *buf, size_t *len, size_t size)
{
	int err = packet_ok(s, buf, len, MSRTP_RTCP_MIN);

	return err < 0 ? err : protect(s->tx, srtp_protect_rtcp, buf, len, size);
}

int msrtp_unprotect_rtcp(struct msrtp *s, uint8_t *buf, size_t *len)
{
	int err = packet_ok(s, buf, len, MSRTP_RTCP_MIN);

	return err < 0 ? err : unprotect(s->rx, srtp_unprotect_rtcp, buf, len);
}
