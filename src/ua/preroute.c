/*
 * preroute: an account's pre-loaded route set put on our out-of-dialog
 * requests, and where such a request goes first (RFC 3261 §8.1.2).  See
 * preroute.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/why.h"
#include "ua/account.h"
#include "ua/preroute.h"

int preroute_hop_uri(const struct account *a, const char *ruri, char **urip, char *why,
		     size_t whylen)
{
	const char *route = preroute_first(a);
	char *uri = NULL;
	bool lr;
	int err;

	if (!route) {
		if (!(uri = strdup(ruri)))
			return why_fmt(why, whylen, -ENOMEM, "out of memory");
	} else if ((err = msg_route_uri(route, &uri, &lr)) < 0) {
		return why_fmt(why, whylen, err, "route %.100s of account '%.64s': %s", route,
			       account_name(a),
			       err == -ENOMEM ? "out of memory" : "not a name-addr with a SIP URI");
	}
	/* The account's transport, where the URI names none (RFC 3263 §4.1). */
	if (account_transport(a) >= 0 && !strcasestr(uri, ";transport=")) {
		char *with = NULL;

		if (asprintf(&with, "%s;transport=%s", uri,
			     net_proto_name((enum net_proto)account_transport(a))) < 0) {
			free(uri);
			return why_fmt(why, whylen, -ENOMEM, "out of memory");
		}
		free(uri);
		uri = with;
	}
	*urip = uri;
	return 0;
}

const char *preroute_first(const struct account *a)
{
	const char *route[1];

	return account_routes(a, route, 1) > 0 ? route[0] : NULL;
}

int preroute_dest(const struct account *a, const char *ruri, struct sip_dest *d, char *why,
		  size_t whylen)
{
	const char *route = preroute_first(a);
	char *uri = NULL, text[WHY_MSG_MAX];
	int err;

	if ((err = preroute_hop_uri(a, ruri, &uri, why, whylen)) < 0)
		return err;
	err = msg_uri_dest(uri, d, text, sizeof(text));
	free(uri);
	if (err < 0 && route)
		return why_fmt(why, whylen, err, "route %.100s of account '%.64s': %s", route,
			       account_name(a), text);
	if (err < 0)
		return why_fmt(why, whylen, err, "%s", text);
	return 0;
}

bool preroute_any(const struct account *a)
{
	return preroute_first(a) != NULL;
}

int preroute_add(const struct account *a, struct sip_msg *m)
{
	const char *route[ACCOUNT_MAX_ROUTES];
	size_t n = account_routes(a, route, ACCOUNT_MAX_ROUTES);
	int err;

	for (size_t i = 0; i < n; i++)
		if ((err = msg_add_route(m, route[i])) < 0)
			return err;
	return 0;
}

/* RFC 3261 §26.2.2, RFC 5630 §3.1.3: a sips: request's first hop is TLS too. */
static int first_hop_tls(const struct account *a, const char *ruri, const char *arg,
			 struct why *why)
{
	struct msg_uri_parts hop;
	char *uri = NULL;
	int err;

	if ((err = preroute_hop_uri(a, ruri, &uri, why->msg, sizeof(why->msg))) < 0)
		return why_tag(why, err, WHY_FAILED, NULL);
	err = msg_uri_parts(uri, &hop, NULL, 0);
	if (err == 0 && !hop.sips && strcmp(hop.transport, "tls") != 0)
		err = why_set(why, -EPROTONOSUPPORT, WHY_ARG, arg,
			      "a sips: call needs TLS to the first hop too: route %s is not sips: "
			      "or ;transport=tls",
			      uri);
	free(uri);
	return err < 0 ? err : 0;
}

int preroute_check(const struct account *a, const char *uri, bool resolver, const char *arg,
		   struct why *why)
{
	struct msg_uri_parts parts;
	struct sip_dest d;
	int err;

	if (!resolver) {
		if ((err = msg_uri_dest(uri, &d, why->msg, sizeof(why->msg))) < 0)
			return err == -ENOMEM ? why_tag(why, err, WHY_FAILED, NULL)
					      : why_tag(why, err, WHY_ARG, arg);
		/* §8.1.2: with a route set the request goes to the first route (the account's fault). */
		if ((err = preroute_dest(a, uri, &d, why->msg, sizeof(why->msg))) < 0)
			return why_tag(why, err, WHY_FAILED, NULL);
		return 0;
	}
	if (!preroute_any(a))
		return 0;
	if ((err = msg_uri_parts(uri, &parts, why->msg, sizeof(why->msg))) < 0)
		return err == -ENOMEM ? why_tag(why, err, WHY_FAILED, NULL)
				      : why_tag(why, err, WHY_ARG, arg);
	if (parts.sips)
		return first_hop_tls(a, uri, arg, why);
	return 0;
}
