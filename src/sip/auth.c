/*
 * auth: digest computation (RFC 7616, RFC 8760) for the UA's requests.
 * Owns the hash calls (libcrypto's EVP) and the credentials syntax; it
 * keeps no state of its own: the nonce count lives with the caller in
 * struct auth_nc.  See auth.h for the exchange.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/rnd.h"
#include "sip/auth.h"

/* RFC 7616 §3.3 and RFC 8760 §2: the algorithm tokens we answer. */
static const struct alg {
	const char *name;
	const EVP_MD *(*md)(void);
	int rank;
	bool sess;
} algs[] = {
    {"MD5", EVP_md5, 1, false},
    {"MD5-sess", EVP_md5, 1, true},
    {"SHA-256", EVP_sha256, 2, false},
    {"SHA-256-sess", EVP_sha256, 2, true},
    {"SHA-512-256", EVP_sha512_256, 3, false},
    {"SHA-512-256-sess", EVP_sha512_256, 3, true},
};

static const struct alg *alg_of(const struct msg_challenge *c)
{
	size_t i;

	/* RFC 7616 §3.3: "If this is not present, it is assumed to be MD5." */
	if (!c->algorithm[0])
		return &algs[0];
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcasecmp(c->algorithm, algs[i].name) == 0)
			return &algs[i];
	return NULL;
}

bool auth_qop_offers_auth(const char *list)
{
	const char *p = list;

	while (*p) {
		size_t len;

		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if (len == 4 && strncasecmp(p, "auth", 4) == 0)
			return true;
		p += len;
	}
	return false;
}

int auth_rank(const struct msg_challenge *c)
{
	const struct alg *a = alg_of(c);

	if (strcasecmp(c->scheme, "Digest") != 0 || !a || !c->nonce[0])
		return 0;
	if (c->qop[0] && !auth_qop_offers_auth(c->qop))
		return 0;
	/* A -sess HA1 takes the cnonce, which only the qop form sends. */
	if (a->sess && !c->qop[0])
		return 0;
	return a->rank;
}

int auth_pick(const struct msg_challenge *c, size_t n)
{
	int best = -ENOTSUP, best_rank = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int r = auth_rank(&c[i]);

		if (r > best_rank) {
			best_rank = r;
			best = (int)i;
		}
	}
	return best;
}

/*
 * hex = H(parts[0] ":" parts[1] ":" ...), lower-case hex (RFC 7616 §3.4.1).
 * The parts go straight into the digest context, so no buffer of ours ever
 * holds "user:realm:password"; EVP_MD_CTX_free() cleanses the context.
 */
static int digest_hex(const EVP_MD *md, const char *const *parts, size_t n, char *hex)
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -ENOMEM;
	size_t k;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
		goto out;
	for (k = 0; k < n; k++)
		if ((k && EVP_DigestUpdate(ctx, ":", 1) != 1) ||
		    EVP_DigestUpdate(ctx, parts[k], strlen(parts[k])) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, raw, &len) != 1 || 2 * len >= AUTH_HEX_LEN)
		goto out;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	rc = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	EVP_MD_CTX_free(ctx);
	return rc;
}

int auth_response(const struct msg_challenge *c, const struct auth_input *in,
		  char out[AUTH_HEX_LEN])
{
	const struct alg *a = alg_of(c);
	char ha1[AUTH_HEX_LEN], ha2[AUTH_HEX_LEN], resp[AUTH_HEX_LEN], nc[9];
	bool qop = c->qop[0] != '\0';
	const EVP_MD *md;
	int rc;

	if (auth_rank(c) == 0)
		return -ENOTSUP;
	if (!in->username || !in->password || !in->method || !in->uri || (qop && !in->cnonce))
		return -EINVAL;
	md = a->md();
	/* RFC 7616 §3.4.2: A1 = username:realm:passwd; -sess: H(A1):nonce:cnonce. */
	rc = digest_hex(md, (const char *const[]){in->username, c->realm, in->password}, 3, ha1);
	if (rc == 0 && a->sess)
		rc = digest_hex(md, (const char *const[]){ha1, c->nonce, in->cnonce}, 3, ha1);
	/* RFC 7616 §3.4.3: A2 = Method:request-uri for qop=auth or no qop. */
	if (rc == 0)
		rc = digest_hex(md, (const char *const[]){in->method, in->uri}, 2, ha2);
	if (rc == 0 && qop) {
		/* §3.4.1: H(H(A1):nonce:nc:cnonce:qop:H(A2)). */
		snprintf(nc, sizeof(nc), "%08x", in->nc);
		rc = digest_hex(
		    md, (const char *const[]){ha1, c->nonce, nc, in->cnonce, "auth", ha2}, 6, resp);
	} else if (rc == 0) {
		/* RFC 2617 §3.2.2.1, no qop: H(H(A1):nonce:H(A2)). */
		rc = digest_hex(md, (const char *const[]){ha1, c->nonce, ha2}, 3, resp);
	}
	if (rc == 0)
		memcpy(out, resp, AUTH_HEX_LEN);
	explicit_bzero(ha1, sizeof(ha1));
	return rc;
}

/*
 * RFC 7616 §3.4 quoted-string values: we never escape, we refuse '"',
 * '\\' and control characters, so what we send is what we hashed.
 */
static bool quotable(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int auth_header_value(const struct msg_challenge *c, const struct auth_input *in, char *out,
		      size_t size)
{
	struct auth_input my = *in;
	char cnonce[AUTH_CNONCE_LEN], resp[AUTH_HEX_LEN];
	const struct alg *a = alg_of(c);
	bool qop = c->qop[0] != '\0';
	int rc, w;

	if (auth_rank(c) == 0)
		return -ENOTSUP;
	if (!in->username || !in->uri)
		return -EINVAL;
	if (qop && !my.cnonce) {
		auth_cnonce(cnonce);
		my.cnonce = cnonce;
	}
	if (!quotable(in->username) || !quotable(c->realm) || !quotable(c->nonce) ||
	    !quotable(in->uri) || !quotable(c->opaque) || (my.cnonce && !quotable(my.cnonce)))
		return -EINVAL;
	rc = auth_response(c, &my, resp);
	if (rc)
		return rc;
	/* The algorithm as the challenge spelled it (MD5 when it had none). */
	w = snprintf(
	    out, size,
	    "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
	    "algorithm=%s",
	    in->username, c->realm, c->nonce, in->uri, resp,
	    c->algorithm[0] ? c->algorithm : a->name);
	if (w >= 0 && (size_t)w < size && qop)
		w += snprintf(out + w, size - (size_t)w, ", cnonce=\"%s\", qop=auth, nc=%08x",
			      my.cnonce, my.nc);
	if (w >= 0 && (size_t)w < size && c->opaque[0])
		w += snprintf(out + w, size - (size_t)w, ", opaque=\"%s\"", c->opaque);
	if (w < 0 || (size_t)w >= size) {
		if (size)
			out[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

void auth_cnonce(char out[AUTH_CNONCE_LEN])
{
	unsigned char raw[(AUTH_CNONCE_LEN - 1) / 2];
	size_t i;

	if (rnd_bytes(raw, sizeof(raw)) != 0)
		abort();
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

uint32_t auth_nc_next(struct auth_nc *s, const char *nonce)
{
	if (strcmp(s->nonce, nonce) != 0 || s->nc == 0) {
		snprintf(s->nonce, sizeof(s->nonce), "%s", nonce);
		s->nc = 0;
	}
	/* 2^32 requests on one nonce do not happen; saturate rather than wrap to 0. */
	if (s->nc < UINT32_MAX)
		s->nc++;
	return s->nc;
}
