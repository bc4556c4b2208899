/*
 * account: who this user agent is, for the requests and responses it makes.
 *
 * An account holds an identity: a name (the handle the control interface
 * and the logs use), an address-of-record (AOR) URI, a display name, the
 * user part of our Contact, digest credentials (cred.h), and where its
 * requests go: the registrar, an outbound proxy, and the Service-Route a
 * registrar returned.  `[account NAME]` sections make them.  Calls
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

#include <stdbool.h>
#include <stddef.h>

#include "core/net.h"
#include "core/why.h"
#include "sip/dest.h"

#define ACCOUNT_DEFAULT_NAME "default"
#define ACCOUNT_DEFAULT_USER "sipuad"

struct account;
struct cred;

/* What an account is made of; strings are copied by account_new(). */
struct account_cfg {
	const char *name;    /* handle: "default", "alice" */
	const char *aor;     /* "sip:alice@example.com"; NULL: sip:USER@<our address> */
	const char *display; /* display name; NULL: none */
	const char *user;    /* user part of our Contact (and of the From without an AOR);
				NULL: the AOR's */
	/* Digest credentials (RFC 3261 §22, cred.h); no password: none. */
	const char *auth_user; /* NULL: user */
	const char *password;  /* NULL: none */
	/* Registration (RFC 3261 §10) and routing (§8.1.2). */
	const char *registrar;	    /* Request-URI of our REGISTER; NULL: none */
	const char *outbound_proxy; /* pre-loaded Route of our requests; NULL: none */
	bool reg;		    /* register with registrar */
	unsigned expires;	    /* asked for, seconds; 0: ACCOUNT_EXPIRES_DEFAULT */
	/* The transport the account's requests use; unset (zeroed): as the URIs say. */
	bool has_transport;
	enum net_proto transport;
	unsigned keepalive_s;	    /* NAT keepalive interval; 0: none */
	int srtp;		    /* 1 + an enum oa_srtp for its calls; 0: not set, [media] srtp */
	const char *server_name;    /* TLS: the servers' certificate name; NULL: the URI's host */
};

#define ACCOUNT_EXPIRES_DEFAULT 600
#define ACCOUNT_MAX_ROUTES 8

/*
 * A new account.  0 (*ap owned by the caller: account_free), -EINVAL (no
 * name or user, or a user or AOR with a blank or control character or a
 * character that cannot stand in a URI's user part), -ENOMEM.
 */
int account_new(struct account **ap, const struct account_cfg *cfg);
/* The default account of a config with no [account] section. 0 or -ENOMEM. */
int account_new_default(struct account **ap);
/*
 * Accounts are shared: the account table holds one reference, and every
 * call or registration that uses it another (account_hold), so an
 * account removed or changed by a reload lives on until its last call
 * ends.  account_free() drops one reference; the last one frees it and
 * wipes the password.  NULL is a no-op.
 */
struct account *account_hold(const struct account *a);
void account_free(struct account *a);

const char *account_name(const struct account *a);
const char *account_user(const struct account *a);
/* NULL: none. */
const char *account_display(const struct account *a);
/* NULL: none (the From names our address). */
const char *account_aor(const struct account *a);

/* A table's lookup of an account by name (NULL: its default one); NULL if none. */
typedef struct account *(account_find_fn)(void *arg, const char *name);
/*
 * The account name names for a module with lookup find (may be NULL:
 * then dflt is the only one) and default dflt; NULL name: the default.
 * NULL, with why (WHY_NOT_FOUND, "account"), when there is none.
 */
const struct account *account_lookup(account_find_fn *find, void *arg,
				     const struct account *dflt, const char *name, struct why *why);

/* Digest credentials; NULL without a password. */
struct cred *account_cred(const struct account *a);
const char *account_registrar(const struct account *a);	/* NULL: none */
const char *account_outbound_proxy(const struct account *a); /* NULL: none */
bool account_registers(const struct account *a);
unsigned account_expires(const struct account *a);
int account_transport(const struct account *a); /* enum net_proto, or -1 */
unsigned account_keepalive(const struct account *a);
/* The account's SRTP mode (an enum oa_srtp), or -1: the [media] one. NULL: -1. */
int account_srtp(const struct account *a);
/* Whether a and b were made from the same settings (a reload changes nothing). */
bool account_same(const struct account *a, const struct account_cfg *b);

/*
 * The route set of an out-of-dialog request of a (§8.1.2): the
 * Service-Route the registrar gave (RFC 3608), else the outbound proxy
 * as "<URI;lr>", else none.  Values are Route header values; out[i] stay
 * valid until the next account_set_service_route().  Returns the number.
 */
size_t account_routes(const struct account *a, const char **out, size_t max);
/* "<outbound_proxy;lr>", the pre-loaded Route of a REGISTER (never the Service-Route); NULL: none. */
const char *account_proxy_route(const struct account *a);
/*
 * RFC 3608 §6: the Service-Route values of the last 2xx to our REGISTER
 * (n 0: none, as after an unregistration).  0 or -ENOMEM.
 */
int account_set_service_route(struct account *a, char *const *values, size_t n);

/*
 * The From URI (an addr-spec, RFC 3261 §8.1.1.3) of a request we send from
 * local: the AOR, or "sip:USER@HOST" with local's host (bracketed for
 * IPv6).  Written into buf (NUL-terminated); 0, -ENOSPC (buf too small).
 */
int account_from(const struct account *a, const struct net_addr *local, char *buf, size_t size);

/*
 * RFC 3581: the address a registrar saw this account's requests come from,
 * when it differs from ours (a NAT between us): the Contact of the
 * account's calls names it from then on (pub NULL: forget it).
 */
void account_set_public(struct account *a, const struct net_addr *pub);

/*
 * Our Contact (§8.1.1.8, a name-addr): "<sip:USER@HOST:PORT>" with local's
 * host and port (the public address of account_set_public() instead, when
 * one of local's family is known), and ";transport=tcp" for TCP,
 * ";transport=tls" for TLS; sips (§8.1.1.8, §12.1.1: the request or the
 * dialog is sips:, proto TLS): "<sips:USER@HOST:PORT>".  0, -ENOSPC.
 */
int account_contact(const struct account *a, enum net_proto proto, const struct net_addr *local,
		    bool sips, char *buf, size_t size);
/* TLS: the name its servers' certificates must carry (overrides the URI's host); NULL: none. */
const char *account_server_name(const struct account *a);
/* d (TLS) is checked against the account's server_name, if it has one. */
void account_tls_name(const struct account *a, struct sip_dest *d);

/*
 * The address we are reached at toward peer, given the listener a request
 * leaves from: the listener itself, or for a wildcard one the source the
 * kernel picks toward peer with the listener's port.  0, or -errno from
 * net_addr_source_for() (no route: -ENETUNREACH, ...).
 */
int account_addr_toward(const struct net_addr *listener, const struct net_addr *peer,
			struct net_addr *out);

#endif
