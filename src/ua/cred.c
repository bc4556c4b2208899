/*
 * cred: an account's digest credentials and the nonce counts of the realms
 * it answered; the answer to one 401/407 (cred_authorize).  See cred.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/auth.h"
#include "ua/cred.h"

#define CRED_NC_SLOTS 2	    /* realms whose nonce count we keep: a registrar and a proxy */
#define CRED_CHALLENGES 16  /* challenges read from one response */
#define CRED_VALUE_MAX 2048 /* one Authorization value */

struct cred {
	char *user;
	char *password;
	size_t password_len;
	struct {
		char realm[128];
		struct auth_nc nc;
	} slot[CRED_NC_SLOTS];
	unsigned next_slot; /* round robin when all are taken */
};

int cred_new(struct cred **cp, const char *user, const char *password)
{
	struct cred *c;

	if (!user || !*user || !password)
		return -EINVAL;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->password_len = strlen(password);
	if (!(c->user = strdup(user)) || !(c->password = malloc(c->password_len + 1))) {
		free(c->user);
		free(c);
		return -ENOMEM;
	}
	memcpy(c->password, password, c->password_len + 1);
	*cp = c;
	return 0;
}

void cred_free(struct cred *c)
{
	if (!c)
		return;
	explicit_bzero(c->password, c->password_len);
	free(c->password);
	free(c->user);
	free(c);
}

const char *cred_user(const struct cred *c)
{
	return c->user;
}

/* The nonce count of realm, a slot taken for it if it has none. */
static struct auth_nc *nc_of(struct cred *c, const char *realm)
{
	unsigned i;

	for (i = 0; i < CRED_NC_SLOTS; i++)
		if (c->slot[i].realm[0] && strcmp(c->slot[i].realm, realm) == 0)
			return &c->slot[i].nc;
	for (i = 0; i < CRED_NC_SLOTS && c->slot[i].realm[0]; i++)
		;
	if (i == CRED_NC_SLOTS)
		i = c->next_slot++ % CRED_NC_SLOTS;
	memset(&c->slot[i], 0, sizeof(c->slot[i]));
	snprintf(c->slot[i].realm, sizeof(c->slot[i].realm), "%s", realm);
	return &c->slot[i].nc;
}

/*
 * FNV-1a over the whole realm.  A server could make two of its realms
 * collide, but it could as well challenge one realm twice: either way it
 * only stops our retries.
 */
static uint64_t realm_hash(const char *realm)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)realm; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

static bool chain_answered(const struct cred_chain *ch, const struct msg_challenge *m)
{
	uint64_t h = realm_hash(m->realm);
	unsigned i;

	for (i = 0; i < ch->n; i++)
		if (ch->realm[i].proxy == m->proxy && ch->realm[i].realm == h)
			return true;
	return false;
}

/* Why we cannot answer challenge m (auth_rank() 0), for a user. */
static int refuse(const struct msg_challenge *m, struct why *why)
{
	const char *what = m->proxy ? "Proxy-Authenticate" : "WWW-Authenticate";

	if (strcasecmp(m->scheme, "Digest") != 0)
		return why_set(why, -ENOTSUP, WHY_FAILED, NULL,
			       "%s scheme '%s' is not supported (only Digest)", what, m->scheme);
	if (!m->nonce[0])
		return why_set(why, -ENOTSUP, WHY_FAILED, NULL, "%s of realm \"%s\" has no nonce",
			       what, m->realm);
	if (m->qop[0] && !auth_qop_offers_auth(m->qop))
		return why_set(why, -ENOTSUP, WHY_FAILED, NULL,
			       "%s of realm \"%s\" offers qop \"%s\" (only auth is supported)", what,
			       m->realm, m->qop);
	if (!m->qop[0] && strlen(m->algorithm) > 5 &&
	    strcasecmp(m->algorithm + strlen(m->algorithm) - 5, "-sess") == 0)
		return why_set(why, -ENOTSUP, WHY_FAILED, NULL,
			       "%s of realm \"%s\": algorithm '%s' needs qop=auth, which it does "
			       "not offer",
			       what, m->realm, m->algorithm);
	return why_set(why, -ENOTSUP, WHY_FAILED, NULL,
		       "%s of realm \"%s\": algorithm '%s' is not supported "
		       "(MD5, SHA-256, SHA-512-256 and their -sess forms are)",
		       what, m->realm, m->algorithm[0] ? m->algorithm : "MD5");
}

/*
 * Group the challenges by (proxy, realm) and pick each group's strongest:
 * idx[0..return) index into m.  -ENOTSUP (why) if a group has none we
 * can answer; a group beyond CRED_MAX_REALMS is left unanswered.
 */
static int pick_per_realm(const struct msg_challenge *m, size_t n, size_t *idx, struct why *why)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		int best = -1;

		for (j = 0; j < i; j++)
			if (m[j].proxy == m[i].proxy && strcmp(m[j].realm, m[i].realm) == 0)
				break;
		if (j < i)
			continue; /* its group was done with its first member */
		for (j = i; j < n; j++)
			if (m[j].proxy == m[i].proxy && strcmp(m[j].realm, m[i].realm) == 0 &&
			    auth_rank(&m[j]) > (best < 0 ? 0 : auth_rank(&m[best])))
				best = (int)j;
		if (best < 0)
			return refuse(&m[i], why);
		if (k < CRED_MAX_REALMS)
			idx[k++] = (size_t)best;
	}
	return (int)k;
}

/* The credentials value answering m into value[CRED_VALUE_MAX]. 0 or -errno (why). */
static int answer_one(struct cred *c, const struct msg_challenge *m, const struct sip_msg *retry,
		      const char *uri, char *value, struct why *why)
{
	struct auth_input in = {
	    .username = c->user,
	    .password = c->password,
	    .method = retry->method,
	    .uri = uri,
	};
	int err;

	in.nc = auth_nc_next(nc_of(c, m->realm), m->nonce);
	err = auth_header_value(m, &in, value, CRED_VALUE_MAX);
	if (err == -EINVAL)
		return why_set(why, err, WHY_FAILED, NULL,
			       "the challenge of realm \"%s\" holds a value that cannot be echoed "
			       "(a quote, backslash or control character)",
			       m->realm);
	if (err == -ENOSPC)
		return why_set(why, -EINVAL, WHY_FAILED, NULL,
			       "the challenge of realm \"%s\" is too long to answer", m->realm);
	if (err < 0)
		return why_set(why, err, WHY_FAILED, NULL, "cannot answer the challenge: %s",
			       strerror(-err));
	return 0;
}

int cred_authorize(struct cred *c, struct cred_chain *ch, const struct sip_msg *resp,
		   struct sip_msg *retry, struct why *why)
{
	return cred_authorize_keep(c, ch, resp, retry, NULL, 0, NULL, why);
}

int cred_preauthorize(struct cred *c, const struct msg_challenge *m, struct sip_msg *req,
		      struct why *why)
{
	char value[CRED_VALUE_MAX], *uri = NULL;
	int err;

	if (why)
		*why = (struct why){.kind = WHY_FAILED};
	if (!c || auth_rank(m) == 0)
		return why_set(why, -ENOTSUP, WHY_FAILED, NULL, "no credentials to send");
	if ((err = msg_ruri(req, &uri)) < 0)
		return why_set(why, err == -ENOMEM ? err : -EINVAL, WHY_FAILED, NULL,
			       "the request has no Request-URI to authenticate");
	if ((err = answer_one(c, m, req, uri, value, why)) == 0 &&
	    (err = msg_add_credentials(req, m->proxy, value)) < 0)
		err = why_set(why, err, WHY_FAILED, NULL, "cannot add the credentials");
	explicit_bzero(value, sizeof(value));
	free(uri);
	return err;
}

int cred_authorize_keep(struct cred *c, struct cred_chain *ch, const struct sip_msg *resp,
			struct sip_msg *retry, struct msg_challenge *picked, size_t max,
			size_t *n_picked, struct why *why)
{
	struct msg_challenge *m;
	size_t n, idx[CRED_MAX_REALMS], i;
	char *uri = NULL, *values = NULL;
	int k = 0, err = 0;

	if (why)
		*why = (struct why){.kind = WHY_FAILED};
	if (!(m = calloc(CRED_CHALLENGES, sizeof(*m))))
		return why_set(why, -ENOMEM, WHY_FAILED, NULL, "out of memory");
	n = msg_challenges(resp, m, CRED_CHALLENGES);
	if (n == 0) {
		err = why_set(why, -ENOTSUP, WHY_FAILED, NULL,
			      "%d without a challenge we can read", resp->status);
		goto out;
	}
	if (!c) {
		err = why_set(why, -ENOKEY, WHY_FAILED, NULL,
			      "realm \"%s\" asks for credentials and the account has no password",
			      m[0].realm);
		goto out;
	}
	if ((k = pick_per_realm(m, n, idx, why)) < 0) {
		err = k;
		goto out;
	}
	/* §22.2: a realm we answered asks again, and not because the nonce aged. */
	for (i = 0; i < (size_t)k; i++)
		if (chain_answered(ch, &m[idx[i]]) && !m[idx[i]].stale) {
			err = why_set(why, -EACCES, WHY_FAILED, NULL,
				      "wrong credentials: realm \"%s\" refused user \"%s\"",
				      m[idx[i]].realm, c->user);
			goto out;
		}
	if (ch->tries >= CRED_MAX_TRIES) {
		err = why_set(why, -ELOOP, WHY_FAILED, NULL,
			      "challenged %u times in a row; giving up", ch->tries + 1);
		goto out;
	}
	if ((err = msg_ruri(retry, &uri)) < 0) {
		err = why_set(why, err == -ENOMEM ? err : -EINVAL, WHY_FAILED, NULL,
			      "the request has no Request-URI to authenticate");
		goto out;
	}
	/* Every answer first, so that a failure adds none (retry stays as it was). */
	if (!(values = calloc((size_t)k, CRED_VALUE_MAX))) {
		err = why_set(why, -ENOMEM, WHY_FAILED, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < (size_t)k; i++)
		if ((err = answer_one(c, &m[idx[i]], retry, uri, values + i * CRED_VALUE_MAX, why)) <
		    0)
			goto out;
	for (i = 0; i < (size_t)k; i++)
		if ((err = msg_add_credentials(retry, m[idx[i]].proxy, values + i * CRED_VALUE_MAX)) <
		    0) {
			/* libosip2 refused a value we wrote: a challenge value it cannot read back. */
			err = why_set(why, err == -ENOMEM ? err : -EINVAL, WHY_FAILED, NULL,
				      "the challenge of realm \"%s\" cannot be answered in a header "
				      "libosip2 reads",
				      m[idx[i]].realm);
			goto out;
		}
	ch->n = 0;
	for (i = 0; i < (size_t)k; i++) {
		ch->realm[ch->n].proxy = m[idx[i]].proxy;
		ch->realm[ch->n].realm = realm_hash(m[idx[i]].realm);
		ch->n++;
	}
	ch->tries++;
	if (n_picked) {
		*n_picked = 0;
		for (i = 0; i < (size_t)k && i < max; i++)
			picked[(*n_picked)++] = m[idx[i]];
	}
out:
	if (values) {
		explicit_bzero(values, (size_t)k * CRED_VALUE_MAX);
		free(values);
	}
	free(uri);
	free(m);
	return err;
}
