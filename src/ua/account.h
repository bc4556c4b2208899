/*
 * account: who this user agent is, for the requests and responses it makes.
 *
 * An account holds an identity: a name (the handle the control interface
 * and the logs use), an address-of-record (AOR) URI, a display name, the
 * user part of our Contact, and credentials (empty until the registration
 * issue adds digest authentication and `[account NAME]` sections).  Calls
 * (UAC and UAS) and OPTIONS take an account and ask it what to put in
 * From and Contact; nothing else in src/ua spells out who we are.
 *
 * Without any `[account NAME]` section, sipuad has one default account,
 * as the config has always implied: user "sipuad", no fixed AOR (the From
 * names our own address toward the peer), no display name:
 *
 *   From:    sip:sipuad@192.0.2.1                 (account_from)
 *   Contact: <sip:sipuad@192.0.2.1:5060;transport=tcp>  (account_contact)
 *
 * The address an account names is where we are reached toward a peer
 * (account_addr_toward): the listener, or, when the listener is a wildcard
 * (0.0.0.0, ::), the source address the kernel picks toward that peer,
 * with the listener's port.
 */
#ifndef SIPUAD_ACCOUNT_H
#define SIPUAD_ACCOUNT_H

#include <stddef.h>

#include "core/net.h"

#define ACCOUNT_DEFAULT_NAME "default"
#define ACCOUNT_DEFAULT_USER "sipuad"

struct account;

/* What an account is made of; strings are copied by account_new(). */
struct account_cfg {
	const char *name;    /* handle: "default", "alice" */
	const char *aor;     /* "sip:alice@example.com"; NULL: sip:USER@<our address> */
	const char *display; /* display name; NULL: none */
	const char *user;    /* user part of our Contact (and of the From without an AOR) */
	/* Credentials for digest authentication (RFC 3261 §22); not used yet. */
	const char *auth_user; /* NULL: none */
	const char *password;  /* NULL: none */
};

/*
 * A new account.  0 (*ap owned by the caller: account_free), -EINVAL (no
 * name or user, or a user or AOR with a blank or control character or a
 * character that cannot stand in a URI's user part), -ENOMEM.
 */
int account_new(struct account **ap, const struct account_cfg *cfg);
/* The default account of a config with no [account] section. 0 or -ENOMEM. */
int account_new_default(struct account **ap);
/* NULL: no-op. */
void account_free(struct account *a);

const char *account_name(const struct account *a);
const char *account_user(const struct account *a);
/* NULL: none. */
const char *account_display(const struct account *a);
/* NULL: none (the From names our address). */
const char *account_aor(const struct account *a);

/*
 * The From URI (an addr-spec, RFC 3261 §8.1.1.3) of a request we send from
 * local: the AOR, or "sip:USER@HOST" with local's host (bracketed for
 * IPv6).  Written into buf (NUL-terminated); 0, -ENOSPC (buf too small).
 */
int account_from(const struct account *a, const struct net_addr *local, char *buf, size_t size);

/*
 * Our Contact (§8.1.1.8, a name-addr): "<sip:USER@HOST:PORT>" with local's
 * host and port, and ";transport=tcp" for TCP.  0, -ENOSPC.
 */
int account_contact(const struct account *a, enum net_proto proto, const struct net_addr *local,
		    char *buf, size_t size);

/*
 * The address we are reached at toward peer, given the listener a request
 * leaves from: the listener itself, or for a wildcard one the source the
 * kernel picks toward peer with the listener's port.  0, or -errno from
 * net_addr_source_for() (no route: -ENETUNREACH, ...).
 */
int account_addr_toward(const struct net_addr *listener, const struct net_addr *peer,
			struct net_addr *out);

#endif
