/*
 * account: an identity (name, AOR, display name, Contact user, credentials)
 * and what it makes: the From URI and the Contact of our requests and
 * responses, on the address we are reached at toward a peer.  See
 * account.h for the default account and the wildcard-listener rule.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ua/account.h"
#include "ua/cred.h"

struct account {
	unsigned refs;
	char *name;
	char *aor;     /* NULL: sip:USER@<our address> */
	char *display; /* NULL: none */
	char *user;
	char *auth_user; /* as configured (NULL: user), for account_same() */
	char *password;	 /* as configured, for account_same(); wiped on free */
	struct cred *cred; /* NULL: no password */
	char *registrar;
	char *outbound_proxy;
	char *proxy_route; /* "<outbound_proxy;lr>" */
	bool reg;
	unsigned expires;
	int transport;
	unsigned keepalive_s;
	int srtp;
	char *server_name; /* NULL: none */
	char *service_route[ACCOUNT_MAX_ROUTES];
	size_t n_service_route;
	struct net_addr public_addr; /* len 0: none known */
};

/* RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ). */
static bool user_ok(const char *u)
{
	if (!u || !*u)
		return false;
	for (; *u; u++)
		if (!isalnum((unsigned char)*u) && !strchr("-_.!~*'()&=+$,;?/%", *u))
			return false;
	return true;
}

/* A sip: or sips: URI without blanks or control characters. */
static bool aor_ok(const char *s)
{
	if (strncasecmp(s, "sip:", 4) != 0 && strncasecmp(s, "sips:", 5) != 0)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return -ENOMEM;
	return 0;
}

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* "<URI;lr>": RFC 3261 §8.1.2, a pre-loaded Route to a loose router. */
static int proxy_route(struct account *a)
{
	const char *u = a->outbound_proxy;

	if (!u)
		return 0;
	if (strncasecmp(u, "<", 1) == 0)
		a->proxy_route = strdup(u);
	else if (asprintf(&a->proxy_route, strcasestr(u, ";lr") ? "<%s>" : "<%s;lr>", u) < 0)
		a->proxy_route = NULL;
	return a->proxy_route ? 0 : -ENOMEM;
}

/* The user part of a sip:/sips: URI ("alice" of "sip:alice;x=1@host") into buf; NULL if none. */
static const char *aor_user(const char *aor, char *buf, size_t size)
{
	const char *p = strchr(aor, ':'), *at;
	size_t len;

	if (!p || !(at = strchr(++p, '@')))
		return NULL;
	len = strcspn(p, ";@");
	if (len == 0 || len >= size)
		return NULL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

int account_new(struct account **ap, const struct account_cfg *cfg_in)
{
	struct account_cfg c = *cfg_in;
	const struct account_cfg *cfg = &c;
	char user[128];
	struct account *a;
	int err;

	if (!c.user && c.aor)
		c.user = aor_user(c.aor, user, sizeof(user));
	if (!cfg->name || !*cfg->name || !user_ok(cfg->user) || (cfg->aor && !aor_ok(cfg->aor)) ||
	    (cfg->registrar && !aor_ok(cfg->registrar)) ||
	    (cfg->outbound_proxy && !aor_ok(cfg->outbound_proxy)) ||
	    (cfg->auth_user && (!*cfg->auth_user || strchr(cfg->auth_user, '"'))))
		return -EINVAL;
	if (!(a = calloc(1, sizeof(*a))))
		return -ENOMEM;
	a->refs = 1;
	a->reg = cfg->reg;
	a->expires = cfg->expires ? cfg->expires : ACCOUNT_EXPIRES_DEFAULT;
	a->transport = cfg->has_transport ? (int)cfg->transport : -1;
	a->keepalive_s = cfg->keepalive_s;
	a->srtp = cfg->srtp;
	if (dup_opt(&a->name, cfg->name) < 0 || dup_opt(&a->aor, cfg->aor) < 0 ||
	    dup_opt(&a->display, cfg->display) < 0 || dup_opt(&a->user, cfg->user) < 0 ||
	    dup_opt(&a->auth_user, cfg->auth_user) < 0 ||
	    dup_opt(&a->password, cfg->password) < 0 ||
	    dup_opt(&a->registrar, cfg->registrar) < 0 ||
	    dup_opt(&a->outbound_proxy, cfg->outbound_proxy) < 0 ||
	    dup_opt(&a->server_name, cfg->server_name) < 0 || proxy_route(a) < 0) {
		account_free(a);
		return -ENOMEM;
	}
	if (cfg->password &&
	    (err = cred_new(&a->cred, cfg->auth_user ? cfg->auth_user : cfg->user, cfg->password)) <
		0) {
		account_free(a);
		return err;
	}
	*ap = a;
	return 0;
}

int account_new_default(struct account **ap)
{
	struct account_cfg cfg = {.name = ACCOUNT_DEFAULT_NAME, .user = ACCOUNT_DEFAULT_USER};

	return account_new(ap, &cfg);
}

struct account *account_hold(const struct account *a)
{
	struct account *m = (struct account *)a;

	if (m)
		m->refs++;
	return m;
}

static void service_route_clear(struct account *a)
{
	while (a->n_service_route)
		free(a->service_route[--a->n_service_route]);
}

void account_free(struct account *a)
{
	if (!a || --a->refs > 0)
		return;
	free(a->name);
	free(a->aor);
	free(a->display);
	free(a->user);
	free(a->auth_user);
	wipe_free(a->password);
	cred_free(a->cred);
	free(a->registrar);
	free(a->outbound_proxy);
	free(a->server_name);
	free(a->proxy_route);
	service_route_clear(a);
	free(a);
}

const struct account *account_lookup(account_find_fn *find, void *arg,
				     const struct account *dflt, const char *name, struct why *why)
{
	const struct account *a = NULL;

	if (find) {
		if (!(a = find(arg, name)) && !name)
			a = dflt;
		if (!a)
			why_set(why, -ENOENT, WHY_NOT_FOUND, "account", "no account '%s'", name);
		return a;
	}
	/* Without a lookup the default is the only one (it may be named). */
	if (!name || strcmp(name, account_name(dflt)) == 0)
		return dflt;
	why_set(why, -ENOENT, WHY_NOT_FOUND, "account",
		"no account '%s': no [account] section is configured", name);
	return NULL;
}

struct cred *account_cred(const struct account *a)
{
	return a->cred;
}

const char *account_registrar(const struct account *a)
{
	return a->registrar;
}

const char *account_outbound_proxy(const struct account *a)
{
	return a->outbound_proxy;
}

bool account_registers(const struct account *a)
{
	return a->reg && a->registrar;
}

unsigned account_expires(const struct account *a)
{
	return a->expires;
}

int account_transport(const struct account *a)
{
	return a->transport;
}

unsigned account_keepalive(const struct account *a)
{
	return a->keepalive_s;
}

int account_srtp(const struct account *a)
{
	return a && a->srtp > 0 ? a->srtp - 1 : -1;
}

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool account_same(const struct account *a, const struct account_cfg *b)
{
	return str_same(a->name, b->name) && str_same(a->aor, b->aor) &&
	       str_same(a->display, b->display) && str_same(a->user, b->user) &&
	       str_same(a->auth_user, b->auth_user) && str_same(a->password, b->password) &&
	       str_same(a->registrar, b->registrar) &&
	       str_same(a->outbound_proxy, b->outbound_proxy) && a->reg == b->reg &&
	       a->expires == (b->expires ? b->expires : ACCOUNT_EXPIRES_DEFAULT) &&
	       a->transport == (b->has_transport ? (int)b->transport : -1) &&
	       a->keepalive_s == b->keepalive_s && a->srtp == b->srtp &&
	       str_same(a->server_name, b->server_name);
}

const char *account_server_name(const struct account *a)
{
	return a ? a->server_name : NULL;
}

void account_tls_name(const struct account *a, struct sip_dest *d)
{
	if (d->proto == NET_TLS && a && a->server_name)
		snprintf(d->host, sizeof(d->host), "%s", a->server_name);
}

size_t account_routes(const struct account *a, const char **out, size_t max)
{
	size_t i, n = 0;

	if (a->n_service_route) {
		for (i = 0; i < a->n_service_route && n < max; i++)
			out[n++] = a->service_route[i];
		return n;
	}
	if (a->proxy_route && max > 0)
		out[n++] = a->proxy_route;
	return n;
}

const char *account_proxy_route(const struct account *a)
{
	return a->proxy_route;
}

int account_set_service_route(struct account *a, char *const *values, size_t n)
{
	char *copy[ACCOUNT_MAX_ROUTES];
	size_t i;

	if (n > ACCOUNT_MAX_ROUTES)
		n = ACCOUNT_MAX_ROUTES;
	for (i = 0; i < n; i++)
		if (!(copy[i] = strdup(values[i]))) {
			while (i > 0)
				free(copy[--i]);
			return -ENOMEM;
		}
	service_route_clear(a);
	for (i = 0; i < n; i++)
		a->service_route[i] = copy[i];
	a->n_service_route = n;
	return 0;
}

const char *account_name(const struct account *a)
{
	return a->name;
}

const char *account_user(const struct account *a)
{
	return a->user;
}

const char *account_display(const struct account *a)
{
	return a->display;
}

const char *account_aor(const struct account *a)
{
	return a->aor;
}

/* snprintf's result as 0 or -ENOSPC. */
static int fits(int n, size_t size)
{
	return n >= 0 && (size_t)n < size ? 0 : -ENOSPC;
}

int account_from(const struct account *a, const struct net_addr *local, char *buf, size_t size)
{
	char host[NET_ADDR_STRLEN];

	if (a->aor)
		return fits(snprintf(buf, size, "%s", a->aor), size);
	net_addr_host(local, host, sizeof(host));
	return fits(snprintf(buf, size,
			     net_addr_family(local) == AF_INET6 ? "sip:%s@[%s]" : "sip:%s@%s",
			     a->user, host),
		    size);
}

void account_set_public(struct account *a, const struct net_addr *pub)
{
	if (pub)
		a->public_addr = *pub;
	else
		memset(&a->public_addr, 0, sizeof(a->public_addr));
}

int account_contact(const struct account *a, enum net_proto proto, const struct net_addr *local,
		    bool sips, char *buf, size_t size)
{
	static const char *const param[] = {[NET_UDP] = "", [NET_TCP] = ";transport=tcp",
					    [NET_TLS] = ";transport=tls"};
	char host[NET_ADDR_STRLEN];

	if (a->public_addr.len && net_addr_family(&a->public_addr) == net_addr_family(local))
		local = &a->public_addr;

	net_addr_host(local, host, sizeof(host));
	/* A sips: URI means TLS already; RFC 5630 §3.1.3 deprecates ;transport=tls in it. */
	return fits(snprintf(buf, size,
			     net_addr_family(local) == AF_INET6 ? "<%s:%s@[%s]:%u%s>"
								: "<%s:%s@%s:%u%s>",
			     sips ? "sips" : "sip", a->user, host, net_addr_port(local),
			     sips ? "" : param[proto]),
		    size);
}

int account_addr_toward(const struct net_addr *listener, const struct net_addr *peer,
			struct net_addr *out)
{
	struct net_addr src;
	int err;

	if (!net_addr_is_any(listener)) {
		*out = *listener;
		return 0;
	}
	if ((err = net_addr_source_for(peer, &src)) < 0)
		return err;
	net_addr_set_port(&src, net_addr_port(listener));
	*out = src;
	return 0;
}
