/*
 * hop: the targets of the URI an out-of-dialog request is sent toward,
 * from the resolver (RFC 3263 §4), tried in order (§4.3).  See hop.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/why.h"
#include "sip/msg.h"
#include "ua/hop.h"

void hop_init(struct hop *h, struct dns *dns, hop_done_fn *done, void *arg)
{
	memset(h, 0, sizeof(*h));
	h->dns = dns;
	h->done = done;
	h->arg = arg;
}

static void forget(struct hop *h)
{
	free(h->t);
	h->t = NULL;
	h->n = h->cur = 0;
}

void hop_close(struct hop *h)
{
	dns_cancel(h->q);
	h->q = NULL;
	forget(h);
	free(h->uri);
	h->uri = NULL;
}

static void on_dns(void *arg, int err, const struct dns_target *t, size_t n, const char *why)
{
	struct hop *h = arg;

	h->q = NULL;
	if (err == 0 && !(h->t = malloc(n * sizeof(*t)))) {
		err = -ENOMEM;
		why = "out of memory";
	}
	if (err < 0) {
		h->done(h->arg, err, why);
		return;
	}
	memcpy(h->t, t, n * sizeof(*t));
	h->n = n;
	h->done(h->arg, 0, NULL);
}

/* Without a resolver: the one target of an IP literal URI. */
static int literal(struct hop *h, const char *uri, char *why, size_t whylen)
{
	struct sip_dest d;
	int err;

	if ((err = msg_uri_dest(uri, &d, why, whylen)) < 0)
		return err;
	if (!(h->t = calloc(1, sizeof(*h->t))))
		return why_fmt(why, whylen, -ENOMEM, "out of memory");
	h->t->proto = d.proto;
	h->t->addr = d.addr;
	net_addr_host(&d.addr, h->t->host, sizeof(h->t->host));
	h->n = 1;
	return 1;
}

int hop_resolve(struct hop *h, const char *uri, char *why, size_t whylen)
{
	int err;

	hop_close(h);
	if (!(h->uri = strdup(uri)))
		return why_fmt(why, whylen, -ENOMEM, "out of memory");
	if (!h->dns)
		return literal(h, uri, why, whylen);
	if ((err = dns_resolve_uri(h->dns, uri, on_dns, h, &h->q, why, whylen)) < 0)
		h->q = NULL;
	return err;
}

bool hop_resolving(const struct hop *h)
{
	return h->q != NULL;
}

const struct dns_target *hop_target(const struct hop *h)
{
	return h->cur < h->n ? &h->t[h->cur] : NULL;
}

const struct dns_target *hop_next(struct hop *h)
{
	if (h->cur < h->n)
		h->cur++;
	return hop_target(h);
}

int hop_dest(const struct dns_target *t, struct sip_dest *d, char *why, size_t whylen)
{
	dns_target_dest(t, d);
	return 0;
}

const char *hop_name(const struct dns_target *t, char *buf, size_t size)
{
	char a[NET_ADDR_STRLEN], host[NET_ADDR_STRLEN];

	net_addr_fmt(&t->addr, a, sizeof(a));
	net_addr_host(&t->addr, host, sizeof(host));
	if (strcmp(host, t->host) == 0)
		snprintf(buf, size, "%s:%s", dns_target_proto(t), a);
	else
		snprintf(buf, size, "%s:%s (%s)", dns_target_proto(t), a, t->host);
	return buf;
}
