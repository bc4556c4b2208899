/*
 * sdes: the a=crypto attribute of RFC 4568 (SDES); see sdes.h.
 *
 * Grammar (RFC 4568 §9.1, §6.1 for SRTP's key-info):
 *
 *   value      = tag 1*WSP suite 1*WSP key-params *(1*WSP session-param)
 *   tag        = 1*9DIGIT                      ; 1..999999999 here
 *   suite      = 1*(ALPHA / DIGIT / "_")
 *   key-params = key-param *(";" key-param)
 *   key-param  = "inline:" key-salt ["|" lifetime] ["|" mki]
 *   lifetime   = ["2^"] 1*DIGIT
 *   mki        = 1*DIGIT ":" 1*3DIGIT
 *
 * We are liberal in what separates the fields (any run of SP or HTAB, and
 * some before or after the value) and strict in the fields themselves:
 * the key must be canonical base64 (RFC 4648 §4, padded, no bits after
 * the last byte) of exactly the suite's length.
 *
 * What we cannot honour makes the whole line one to skip (-ENOTSUP,
 * RFC 4568 §6.3: the offerer lists alternatives): an MKI (our packets
 * carry none), several keys (they only make sense with MKIs), a lifetime
 * under 2^31 packets (we never re-key within a session; 2^31 is also the
 * SRTCP index limit, so a key that lives that long never needs it), and
 * every session parameter (UNENCRYPTED_SRTP, KDR, WSH, FEC_ORDER, ...).
 * A lifetime above the suites' own limit (2^48) is accepted: it only
 * says the key may outlive the call, and libsrtp2 enforces its limit.
 * A malformed field anywhere wins over a skippable one, so that -EBADMSG
 * always means the peer wrote something wrong.
 *
 * Key bytes only ever sit in the caller's struct sdes_key or in a local
 * buffer that is wiped before return; the reasons written to why name
 * fields, never their key-salt (nor the value of a session parameter,
 * which for FEC_KEY is itself a key).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/rnd.h"
#include "media/sdes.h"

#define TAG_MAX 999999999u
#define TAG_DIGITS 9
/* Lifetimes under this many packets are refused (see above). */
#define LIFETIME_MIN_LOG2 31
#define MKI_LEN_MAX 128

static const struct {
	const char *name;
	size_t key_len; /* master key + master salt */
} suites[SDES_SUITE_COUNT] = {
    [SDES_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 30},
    [SDES_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 30},
    [SDES_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 28}, /* RFC 7714 §12 */
    [SDES_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 44},
};

const char *sdes_suite_name(enum sdes_suite s)
{
	return (unsigned)s < SDES_SUITE_COUNT ? suites[s].name : NULL;
}

size_t sdes_key_len(enum sdes_suite s)
{
	return (unsigned)s < SDES_SUITE_COUNT ? suites[s].key_len : 0;
}

/* The suite spelled exactly as the n bytes at name. */
static int suite_find_n(const char *name, size_t n, enum sdes_suite *out)
{
	for (unsigned i = 0; i < SDES_SUITE_COUNT; i++) {
		if (strlen(suites[i].name) == n && memcmp(suites[i].name, name, n) == 0) {
			if (out)
				*out = (enum sdes_suite)i;
			return 0;
		}
	}
	return -ENOENT;
}

int sdes_suite_find(const char *name, enum sdes_suite *out)
{
	if (!name)
		return -ENOENT;
	return suite_find_n(name, strlen(name), out);
}

void sdes_wipe(struct sdes_key *k)
{
	if (k)
		explicit_bzero(k, sizeof(*k));
}

int sdes_key_new(struct sdes_key *k, enum sdes_suite s)
{
	struct sdes_key fresh = {.suite = s, .len = sdes_key_len(s)};
	int err;

	if (!k || fresh.len == 0)
		return -EINVAL;
	err = rnd_bytes(fresh.key, fresh.len);
	if (err == 0)
		*k = fresh;
	sdes_wipe(&fresh);
	return err;
}

/* --- base64 (RFC 4648 §4), padded ------------------------------------ */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of c, or -1. */
static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static size_t b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Encode n bytes of in as b64_encoded_len(n) characters at out (no NUL). */
static void b64_encode(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*out++ = b64_alphabet[(v >> 18) & 63];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		*out++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
}

/*
 * The number of bytes the n characters at in decode to, or -1 when they
 * are not canonical padded base64: a length that is not a non-zero
 * multiple of 4, a character outside the alphabet, '=' anywhere but the
 * last one or two places, or bits set after the last byte.
 */
static long b64_decoded_len(const char *in, size_t n)
{
	size_t pad = 0;
	int last;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < n - pad; i++)
		if (b64_val((unsigned char)in[i]) < 0)
			return -1;
	last = b64_val((unsigned char)in[n - pad - 1]);
	if ((pad == 1 && (last & 0x03)) || (pad == 2 && (last & 0x0f)))
		return -1;
	return (long)(n / 4 * 3 - pad);
}

/* Decode n characters that b64_decoded_len() accepted into out. */
static void b64_decode(uint8_t *out, const char *in, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int got = 0;

		for (int j = 0; j < 4; j++) {
			int d = in[i + j] == '=' ? 0 : b64_val((unsigned char)in[i + j]);

			v = v << 6 | (uint32_t)d;
			got += in[i + j] != '=';
		}
		out[o++] = (uint8_t)(v >> 16);
		if (got > 2)
			out[o++] = (uint8_t)(v >> 8);
		if (got > 3)
			out[o++] = (uint8_t)v;
	}
}

/* --- parsing ---------------------------------------------------------- */

/* One parse: the reason of the first fault, and whether any was malformed. */
struct scan {
	char *why;
	size_t whylen;
	int err; /* 0, -ENOTSUP, or -EBADMSG (which stays) */
};

/* Record a fault: the first reason stays, unless a malformed one follows a skippable one. */
static int fault(struct scan *sc, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fault(struct scan *sc, int err, const char *fmt, ...)
{
	va_list ap;

	if (sc->err == -EBADMSG || (sc->err == -ENOTSUP && err == -ENOTSUP))
		return sc->err;
	sc->err = err;
	if (sc->why && sc->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(sc->why, sc->whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_vchar(char c)
{
	return c >= 0x21 && c <= 0x7e;
}

/* A field: the bytes up to the next SP, HTAB or the end. */
struct field {
	const char *p;
	size_t n;
};

/* The next field at *pos (after any WSP); n 0 at the end. */
static struct field next_field(const char **pos)
{
	struct field f;
	const char *p = *pos;

	while (is_wsp(*p))
		p++;
	f.p = p;
	while (*p && !is_wsp(*p))
		p++;
	f.n = (size_t)(p - f.p);
	*pos = p;
	return f;
}

/* Are the n bytes at p all digits (and at least one)? */
static bool all_digits(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return false;
	return true;
}

/* The decimal value of n digits, saturated at ULLONG_MAX. */
static unsigned long long decimal(const char *p, size_t n)
{
	unsigned long long v = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (v > (ULLONG_MAX - d) / 10)
			return ULLONG_MAX;
		v = v * 10 + d;
	}
	return v;
}

static int parse_tag(struct scan *sc, struct field f, unsigned *tag)
{
	unsigned long long v;

	if (!all_digits(f.p, f.n) || f.n > TAG_DIGITS)
		return fault(sc, -EBADMSG, "tag is not a number of 1 to 9 digits");
	v = decimal(f.p, f.n);
	if (v == 0)
		return fault(sc, -EBADMSG, "tag 0 (tags are 1 to 999999999)");
	*tag = (unsigned)v;
	return 0;
}

/* The suite field: its grammar, then whether we speak it. */
static int parse_suite(struct scan *sc, struct field f, enum sdes_suite *suite)
{
	if (f.n == 0)
		return fault(sc, -EBADMSG, "no crypto suite");
	for (size_t i = 0; i < f.n; i++) {
		char c = f.p[i];

		if (!(is_digit(c) || c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return fault(sc, -EBADMSG, "crypto suite is not letters, digits and _");
	}
	if (suite_find_n(f.p, f.n, suite) < 0)
		return fault(sc, -ENOTSUP, "unknown crypto suite %.*s", f.n > 40 ? 40 : (int)f.n,
			     f.p);
	return 0;
}

/* "2^N" or "N" packets: malformed, too short for us, or fine. */
static int parse_lifetime(struct scan *sc, const char *p, size_t n)
{
	bool log2 = n >= 2 && p[0] == '2' && p[1] == '^';
	unsigned long long v;

	if (log2) {
		p += 2;
		n -= 2;
	}
	if (!all_digits(p, n))
		return fault(sc, -EBADMSG, "lifetime is not 2^N or a number");
	v = decimal(p, n);
	if (log2 ? v < LIFETIME_MIN_LOG2 : v < (1ULL << LIFETIME_MIN_LOG2))
		return fault(sc, -ENOTSUP, "key lifetime under 2^31 packets (no re-keying)");
	return 0;
}

/* "VALUE:LENGTH": malformed, or (well formed) one we don't do. */
static int parse_mki(struct scan *sc, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t vn, ln;
	unsigned long long len;

	if (!colon)
		return fault(sc, -EBADMSG, "MKI without :LENGTH");
	vn = (size_t)(colon - p);
	ln = n - vn - 1;
	if (!all_digits(p, vn) || !all_digits(colon + 1, ln) || ln > 3)
		return fault(sc, -EBADMSG, "MKI is not VALUE:LENGTH in digits");
	len = decimal(colon + 1, ln);
	if (len == 0 || len > MKI_LEN_MAX)
		return fault(sc, -EBADMSG, "MKI length not 1..128");
	return fault(sc, -ENOTSUP, "MKI (not supported)");
}

/* The key-salt: canonical base64 of exactly the suite's length, into key. */
static int parse_key(struct scan *sc, const char *p, size_t n, struct sdes_key *key)
{
	long len = b64_decoded_len(p, n);
	size_t want = sdes_key_len(key->suite);

	if (len < 0)
		return fault(sc, -EBADMSG, "key is not base64");
	if ((size_t)len != want)
		return fault(sc, -EBADMSG, "key is %ld bytes, %s takes %zu", len,
			     sdes_suite_name(key->suite), want);
	b64_decode(key->key, p, n);
	key->len = want;
	return 0;
}

/* "inline:KEY[|LIFETIME][|MKI]", with key->suite set. */
static int parse_key_param(struct scan *sc, struct field f, struct sdes_key *key)
{
	static const char method[] = "inline:";
	const char *p, *end = f.p + f.n, *bar;
	int extra = 0;
	bool mki = false;

	/* ABNF strings are case-insensitive (RFC 5234 §2.3); suite names are not. */
	if (f.n < sizeof(method) - 1 || strncasecmp(f.p, method, sizeof(method) - 1) != 0)
		return fault(sc, -EBADMSG, "key method is not inline:");
	p = f.p + sizeof(method) - 1;
	bar = memchr(p, '|', (size_t)(end - p));
	parse_key(sc, p, (size_t)((bar ? bar : end) - p), key);
	while (bar) {
		const char *q = bar + 1;
		size_t n;

		bar = memchr(q, '|', (size_t)(end - q));
		n = (size_t)((bar ? bar : end) - q);
		if (++extra > 2)
			return fault(sc, -EBADMSG, "more than a lifetime and an MKI after the key");
		if (memchr(q, ':', n)) {
			if (mki)
				return fault(sc, -EBADMSG, "two MKIs");
			mki = true;
			parse_mki(sc, q, n);
		} else if (extra == 2) {
			return fault(sc, -EBADMSG, "lifetime after the MKI, or two lifetimes");
		} else {
			parse_lifetime(sc, q, n);
		}
	}
	return sc->err;
}

/* The key-params field: one key-param, or several (not for us). */
static int parse_key_params(struct scan *sc, struct field f, struct sdes_key *key)
{
	const char *semi = memchr(f.p, ';', f.n);
	struct field first = {f.p, semi ? (size_t)(semi - f.p) : f.n};

	if (f.n == 0)
		return fault(sc, -EBADMSG, "no key");
	for (size_t i = 0; i < f.n; i++)
		if (!is_vchar(f.p[i]))
			return fault(sc, -EBADMSG, "control character in the key parameters");
	parse_key_param(sc, first, key);
	if (semi)
		fault(sc, -ENOTSUP, "more than one key (MKIs are not supported)");
	return sc->err;
}

/* Whether the n bytes at p are a session parameter name RFC 4568 §6.3 defines. */
static bool session_param_known(const char *p, size_t n)
{
	static const char *const names[] = {
	    "KDR", "UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP",
	    "FEC_ORDER", "FEC_KEY", "WSH",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], p, n) == 0)
			return true;
	return false;
}

/* Whatever follows the key-params: session parameters, all refused. */
static int parse_session_params(struct scan *sc, const char *pos)
{
	for (struct field f = next_field(&pos); f.n > 0; f = next_field(&pos)) {
		const char *eq = memchr(f.p, '=', f.n);
		size_t name = eq ? (size_t)(eq - f.p) : f.n;

		for (size_t i = 0; i < f.n; i++)
			if (!is_vchar(f.p[i]))
				return fault(sc, -EBADMSG, "control character after the key");
		/*
		 * Named only when it is one of RFC 4568's: FEC_KEY's value is a
		 * key, and an unknown field may be a key split by whitespace.
		 */
		if (session_param_known(f.p, name))
			fault(sc, -ENOTSUP, "session parameter %.*s not supported", (int)name,
			      f.p);
		else
			fault(sc, -ENOTSUP, "unknown session parameter");
	}
	return sc->err;
}

int sdes_parse(const char *value, struct sdes_crypto *out, char *why, size_t whylen)
{
	struct scan sc = {why, whylen, 0};
	struct sdes_crypto c = {0};
	const char *pos = value;
	struct field tag, suite, keys;

	if (why && whylen > 0)
		why[0] = '\0';
	if (!value || !out)
		return fault(&sc, -EINVAL, "no value");
	tag = next_field(&pos);
	suite = next_field(&pos);
	keys = next_field(&pos);
	if (parse_tag(&sc, tag, &c.tag) < 0)
		goto out;
	if (keys.n == 0) {
		fault(&sc, -EBADMSG, suite.n ? "no key" : "no crypto suite");
		goto out;
	}
	/* An unknown suite may use key-params of another form: skip it whole. */
	if (parse_suite(&sc, suite, &c.key.suite) < 0)
		goto out;
	parse_key_params(&sc, keys, &c.key);
	parse_session_params(&sc, pos);
	if (sc.err == 0)
		*out = c;
out:
	explicit_bzero(&c, sizeof(c));
	return sc.err;
}

/* --- formatting ------------------------------------------------------- */

int sdes_format(char *out, size_t size, unsigned tag, const struct sdes_key *k)
{
	char head[TAG_DIGITS + 64];
	int hn;
	size_t need;

	if (!out || !k || tag == 0 || tag > TAG_MAX || k->len == 0 ||
	    k->len != sdes_key_len(k->suite))
		return -EINVAL;
	hn = snprintf(head, sizeof(head), "%u %s inline:", tag, sdes_suite_name(k->suite));
	need = (size_t)hn + b64_encoded_len(k->len);
	if (need >= size || need > INT_MAX)
		return -ENOSPC;
	memcpy(out, head, (size_t)hn);
	b64_encode(out + hn, k->key, k->len);
	out[need] = '\0';
	return (int)need;
}
