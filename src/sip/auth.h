/*
 * auth: HTTP digest authentication for SIP requests (RFC 3261 §22.4,
 * RFC 7616, with the algorithm names RFC 8760 gives SIP): pick the
 * challenge to answer, compute the response, write the credentials.
 *
 *   401 Unauthorized
 *   WWW-Authenticate: Digest realm="a.example", nonce="n1", qop="auth",
 *       algorithm=SHA-256
 *   ->
 *   Authorization: Digest username="alice", realm="a.example", nonce="n1",
 *       uri="sip:a.example", response="...", algorithm=SHA-256,
 *       cnonce="...", qop=auth, nc=00000001
 *
 * Algorithms MD5, SHA-256, SHA-512-256 and their -sess variants; qop=auth
 * or no qop at all (the RFC 2617 form).  auth-int and userhash are not
 * supported: a challenge that only offers them is not answered.
 *
 * The password is read only inside auth_response()/auth_header_value();
 * every buffer of ours that held it or HA1 is wiped before they return.
 */
#ifndef SIPUAD_AUTH_H
#define SIPUAD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/msg.h"

/* Hex digest length of the largest hash we use (SHA-256, SHA-512-256) + NUL. */
#define AUTH_HEX_LEN 65
/* A cnonce from auth_cnonce(): 32 hex characters + NUL. */
#define AUTH_CNONCE_LEN 33

/* What the request being authenticated adds to the challenge. */
struct auth_input {
	const char *username;
	const char *password;
	const char *method; /* e.g. "REGISTER" (A2 of RFC 7616 §3.4.3) */
	const char *uri;    /* the Request-URI, as sent */
	const char *cnonce; /* NULL: auth_header_value() makes one */
	uint32_t nc;	    /* nonce count, 1 for a new nonce (see auth_nc_next) */
};

/* Whether a qop-options list ("auth,auth-int") offers the token "auth" itself. */
bool auth_qop_offers_auth(const char *list);

/*
 * The strength rank of a challenge we can answer: 3 SHA-512-256, 2 SHA-256,
 * 1 MD5 (either with or without -sess); 0 if we cannot answer it (scheme
 * not Digest, unknown algorithm, qop list without "auth", no nonce, or a
 * -sess algorithm without qop).
 */
int auth_rank(const struct msg_challenge *c);

/*
 * The index of the strongest challenge of c[0..n) we can answer
 * (SHA-512-256 > SHA-256 > MD5; the first one on a tie), or -ENOTSUP if
 * none.  Callers answer the challenges of one realm each with one
 * credential (RFC 3261 §22.3); this picks among them.
 */
int auth_pick(const struct msg_challenge *c, size_t n);

/*
 * The response hex (RFC 7616 §3.4.1; RFC 2617 §3.2.2.1 when c has no qop)
 * into out[AUTH_HEX_LEN].  in->cnonce must be set when c has qop.
 * 0, -ENOTSUP (auth_rank() is 0), -EINVAL (a missing input), -ENOMEM.
 */
int auth_response(const struct msg_challenge *c, const struct auth_input *in,
		  char out[AUTH_HEX_LEN]);

/*
 * The whole credentials value (RFC 7616 §3.4) for an Authorization or
 * Proxy-Authorization header (c->proxy says which) into out[0..size):
 * Digest username=, realm=, nonce=, uri=, response=, algorithm=, and with
 * qop cnonce=, qop=auth, nc=; opaque= when the challenge had one.
 * 0, -ENOTSUP, -EINVAL (a value holding '"', '\\' or a control character:
 * refused rather than sent as a broken header; or a missing input),
 * -ENOSPC (out too small), -ENOMEM.
 */
int auth_header_value(const struct msg_challenge *c, const struct auth_input *in, char *out,
		      size_t size);

/* A fresh random cnonce from getrandom(2): 32 hex characters. */
void auth_cnonce(char out[AUTH_CNONCE_LEN]);

/*
 * The nonce count of RFC 7616 §3.4: one per request sent with the same
 * nonce, restarting at 1 for a new nonce.  Zero it to start.
 */
struct auth_nc {
	char nonce[sizeof(((struct msg_challenge *)0)->nonce)];
	uint32_t nc;
};

/* The nc to send with nonce next: 1 for a nonce not seen last, else +1. */
uint32_t auth_nc_next(struct auth_nc *s, const char *nonce);

#endif
