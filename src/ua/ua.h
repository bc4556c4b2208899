/*
 * ua: the UA core.  Takes the requests the transaction layer hands up and
 * routes them through a method table: OPTIONS is answered (RFC 3261 §11),
 * CANCEL without a matching transaction gets 481, methods sipuad knows but
 * does not serve get 405, others 501, each with Allow.  Before a method runs,
 * the §8.2.2 header checks that need the UA's view: Request-URI scheme
 * (416), merged requests (482), Require (420 + Unsupported), body type
 * (415 + Accept).
 */
#ifndef SIPUAD_UA_H
#define SIPUAD_UA_H

#include <stdbool.h>

struct account;
struct calls;
struct sip;
struct ua;

/*
 * A UA core on the SIP stack sip: it registers itself as the stack's
 * transaction user, and unregisters in ua_free().  0 or -ENOMEM.
 */
int ua_new(struct ua **up, struct sip *sip);
/* NULL is a no-op. */
void ua_free(struct ua *ua);
/* The call table INVITE, BYE, CANCEL and ACK go to (NULL: INVITE gets 501). */
void ua_set_calls(struct ua *ua, struct calls *cs);

/* The account whose user is user (the Request-URI's), or NULL. */
typedef struct account *(ua_account_fn)(void *arg, const char *user);
/*
 * Who out-of-dialog requests are for.  A Request-URI with a user part
 * that names no account gets 404 when accept_unknown is false, the same
 * answer for every unknown user, so that a scanner learns nothing; with
 * accept_unknown, it is served as today (with the default identity).  A
 * Request-URI without a user (sip:example.com) is always served.  find
 * NULL: every user is accepted.
 */
void ua_set_accounts(struct ua *ua, ua_account_fn *find, void *arg, bool accept_unknown);

/*
 * Calls (and, to come, registrations) still in progress; a stopping daemon
 * exits when it is 0.
 */
unsigned ua_active(const struct ua *ua);

/* "INVITE, ACK, ..." : the Allow header value. */
const char *ua_allow(void);

#endif
