/*
 * cred: an account's digest credentials answering the challenges of the
 * servers on its path (RFC 3261 §22.2, §22.3; RFC 7616; RFC 8760).
 *
 * A request challenged with 401 or 407 is sent again as a new request
 * (msg_build_retry: a fresh branch, CSeq + 1, §8.1.3.5) carrying one
 * Authorization or Proxy-Authorization per realm that challenged it,
 * each answering that realm's strongest challenge we support
 * (SHA-512-256 > SHA-256 > MD5).  Everything a request chain learns (which
 * realms we answered, how often) lives in a struct cred_chain its owner
 * keeps from the first send to the final response, so that:
 *
 *   REGISTER              -> 401 realm "a" nonce n1
 *   REGISTER + creds(n1)  -> 401 realm "a" nonce n2 (not stale)
 *                         => -EACCES "wrong credentials for realm "a""
 *
 *   INVITE + creds(n1)    -> 407 realm "a" nonce n2 stale=true
 *   INVITE + creds(n2)    -> (the password was right: answered again)
 *
 * A chain answers at most CRED_MAX_TRIES challenges, so no server can keep
 * us in a loop.  The nonce counts (nc) per realm live with the
 * credentials: a nonce answered again counts up (RFC 7616 §3.4).
 *
 * The password is copied once, kept in memory we wipe with explicit_bzero
 * on free, and never appears in anything cred returns or logs.
 */
#ifndef SIPUAD_CRED_H
#define SIPUAD_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/why.h"
#include "sip/msg.h"

#define CRED_MAX_TRIES 4  /* challenges answered per request chain */
#define CRED_MAX_REALMS 4 /* realms answered in one request */

struct cred;

/* What one request chain has answered (zero it before the first send). */
struct cred_chain {
	unsigned tries; /* challenges answered so far */
	unsigned n;	/* realms answered in the last retry */
	/*
	 * A realm by a 64-bit hash of its name, not its text (up to 128
	 * bytes per realm, four of them in each of the three chains of
	 * every call): a chain only asks whether it answered a realm.
	 */
	struct {
		bool proxy;
		uint64_t realm;
	} realm[CRED_MAX_REALMS];
};

/* 0 (*cp: cred_free), -EINVAL (no user, or no password), -ENOMEM. */
int cred_new(struct cred **cp, const char *user, const char *password);
/* Wipes the password. NULL is a no-op. */
void cred_free(struct cred *c);
const char *cred_user(const struct cred *c);

/*
 * resp is a 401 or 407 to a request of chain ch; retry is the request to
 * send instead (msg_build_retry, or a new in-dialog request with the next
 * CSeq).  Add to retry the credentials answering each challenging realm.
 * c NULL: the account has none.
 *   0        retry carries them; ch updated
 *   -ENOKEY  c is NULL: why names the realm that asked
 *   -ENOTSUP no challenge we can answer (why: scheme, algorithm, qop or
 *            missing nonce of the first one)
 *   -EACCES  a realm we answered in this chain challenged again without
 *            stale=true: wrong user name or password (why names the realm)
 *   -ELOOP   CRED_MAX_TRIES challenges answered already
 *   -EINVAL  a challenge value we refuse to echo (quotes, control
 *            characters), or retry has no Request-URI; -ENOMEM
 * why (may be NULL) gets kind WHY_FAILED and a message for a user.
 */
int cred_authorize(struct cred *c, struct cred_chain *ch, const struct sip_msg *resp,
		   struct sip_msg *retry, struct why *why);
/*
 * cred_authorize(), and the challenges answered copied to picked[0..max)
 * with their number in *n_picked (on success only): what a registration
 * keeps to answer its refreshes before they are challenged.
 */
int cred_authorize_keep(struct cred *c, struct cred_chain *ch, const struct sip_msg *resp,
			struct sip_msg *retry, struct msg_challenge *picked, size_t max,
			size_t *n_picked, struct why *why);
/*
 * RFC 3261 §22.3 (credentials cached per realm), RFC 7616 §3.4 (a nonce
 * used again counts up): add to req the credentials answering m, a
 * challenge answered before, with the next nonce count.  A server that no
 * longer takes the nonce challenges again (stale or not), which the
 * request's chain answers as usual: credentials sent unasked never count
 * as an answer of the chain.  0, or -errno as cred_authorize() (why).
 */
int cred_preauthorize(struct cred *c, const struct msg_challenge *m, struct sip_msg *req,
		      struct why *why);

#endif
