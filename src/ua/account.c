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

struct account {
	char *name;
	char *aor;     /* NULL: sip:USER@<our address> */
	char *display; /* NULL: none */
	char *user;
	char *auth_user; /* credentials, for the registration issue */
	char *password;
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

int account_new(struct account **ap, const struct account_cfg *cfg)
{
	struct account *a;

	if (!cfg->name || !*cfg->name || !user_ok(cfg->user) || (cfg->aor && !aor_ok(cfg->aor)))
		return -EINVAL;
	if (!(a = calloc(1, sizeof(*a))))
		return -ENOMEM;
	if (dup_opt(&a->name, cfg->name) < 0 || dup_opt(&a->aor, cfg->aor) < 0 ||
	    dup_opt(&a->display, cfg->display) < 0 || dup_opt(&a->user, cfg->user) < 0 ||
	    dup_opt(&a->auth_user, cfg->auth_user) < 0 ||
	    dup_opt(&a->password, cfg->password) < 0) {
		account_free(a);
		return -ENOMEM;
	}
	*ap = a;
	return 0;
}

int account_new_default(struct account **ap)
{
	struct account_cfg cfg = {.name = ACCOUNT_DEFAULT_NAME, .user = ACCOUNT_DEFAULT_USER};

	return account_new(ap, &cfg);
}

void account_free(struct account *a)
{
	if (!a)
		return;
	free(a->name);
	free(a->aor);
	free(a->display);
	free(a->user);
	free(a->auth_user);
	if (a->password)
		explicit_bzero(a->password, strlen(a->password));
	free(a->password);
	free(a);
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

int account_contact(const struct account *a, enum net_proto proto, const struct net_addr *local,
		    char *buf, size_t size)
{
	char host[NET_ADDR_STRLEN];

	net_addr_host(local, host, sizeof(host));
	return fits(
	    snprintf(buf, size,
		     net_addr_family(local) == AF_INET6 ? "<sip:%s@[%s]:%u%s>" : "<sip:%s@%s:%u%s>",
		     a->user, host, net_addr_port(local), proto == NET_TCP ? ";transport=tcp" : ""),
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
