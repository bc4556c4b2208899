/*
 * msg_get: the read accessors of a parsed message: headers by name, the
 * body and its type, the Request-URI and the dialog fields as text
 * (From, To, Contact, Record-Route, Route), header parameters, the reason
 * phrase, the authentication challenges.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "core/why.h"
#include "sip/msg.h"
#include "sip/msg_int.h"

const char *msg_header(const struct sip_msg *m, const char *name, const char *compact)
{
	osip_header_t *h = NULL;

	/* A response built as text answers "none" without a parse (tsx asks for Server). */
	if (m->out && msg_out_lacks(m, name, compact))
		return NULL;
	if (osip_message_header_get_byname(msg_sip(m), name, 0, &h) >= 0 && h)
		return h->hvalue ? h->hvalue : "";
	if (compact && osip_message_header_get_byname(msg_sip(m), compact, 0, &h) >= 0 && h)
		return h->hvalue ? h->hvalue : "";
	return NULL;
}

static unsigned join_named(const struct sip_msg *m, const char *name, char *out, size_t size,
    size_t *used)
{
	osip_header_t *h = NULL;
	unsigned n = 0;
	int pos = 0;

	while ((pos = osip_message_header_get_byname(msg_sip(m), name, pos, &h)) >= 0 && h) {
		int w = snprintf(out + *used, size - *used, "%s%s", *used ? ", " : "",
		    h->hvalue ? h->hvalue : "");

		if (w > 0)
			*used = *used + (size_t)w < size ? *used + (size_t)w : size - 1;
		n++;
		pos++;
	}
	return n;
}

unsigned msg_header_join(const struct sip_msg *m, const char *name, const char *compact,
    char *out, size_t size)
{
	size_t used = 0;
	unsigned n;

	if (size == 0)
		return 0;
	out[0] = '\0';
	n = join_named(m, name, out, size, &used);
	if (compact)
		n += join_named(m, compact, out, size, &used);
	return n;
}

int msg_ruri(const struct sip_msg *m, char **urip)
{
	char *s = NULL;
	int rc;

	/* A request of ours written as text: its start line, as it goes on the wire. */
	if (msg_out_raw(m) && (rc = msg_req_ruri(m, urip)) != -EAGAIN)
		return rc;
	if (!msg_sip(m)->req_uri)
		return -EINVAL;
	if ((rc = osip_uri_to_str(msg_sip(m)->req_uri, &s)) != OSIP_SUCCESS || !s) {
		osip_free(s);
		return rc == OSIP_NOMEM ? -ENOMEM : -EINVAL;
	}
	*urip = s;
	return 0;
}

size_t msg_body_len(const struct sip_msg *m)
{
	osip_body_t *b = NULL;

	if (osip_message_get_body(msg_sip(m), 0, &b) < 0 || !b)
		return 0;
	return b->length;
}

const char *msg_body(const struct sip_msg *m, size_t *lenp)
{
	osip_body_t *b = NULL;

	if (osip_message_get_body(msg_sip(m), 0, &b) < 0 || !b || !b->body || !b->length) {
		*lenp = 0;
		return NULL;
	}
	*lenp = b->length;
	return b->body;
}

const char *msg_content_type(const struct sip_msg *m, char *buf, size_t size)
{
	const osip_content_type_t *ct = msg_sip(m)->content_type;

	if (!ct || !ct->type || !ct->subtype)
		return NULL;
	snprintf(buf, size, "%s/%s", ct->type, ct->subtype);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return buf;
}

/* ---- dialog fields (§12.1), as text ---- */

/* s, allocated by libosip2 (rc is what made it), as a malloc'd copy. */
static int osip_text(int rc, char *s, char **out)
{
	if (rc != OSIP_SUCCESS || !s) {
		osip_free(s);
		return rc == OSIP_NOMEM ? -ENOMEM : -EINVAL;
	}
	*out = strdup(s);
	osip_free(s);
	return *out ? 0 : -ENOMEM;
}

static int uri_text(const osip_uri_t *u, char **out)
{
	char *s = NULL;
	int rc;

	if (!u)
		return -EINVAL;
	rc = osip_uri_to_str(u, &s);
	return osip_text(rc, s, out);
}

int msg_from_uri(const struct sip_msg *m, char **urip)
{
	int err;

	/* A request of ours written as text: read where we wrote it, not through a parse. */
	if (msg_out_raw(m) && (err = msg_req_addr_uri(m, "From", "f", urip)) != -EAGAIN)
		return err;
	return msg_sip(m)->from ? uri_text(msg_sip(m)->from->url, urip) : -EINVAL;
}

int msg_to_uri(const struct sip_msg *m, char **urip)
{
	int err;

	if (msg_out_raw(m) && (err = msg_req_addr_uri(m, "To", "t", urip)) != -EAGAIN)
		return err;
	return msg_sip(m)->to ? uri_text(msg_sip(m)->to->url, urip) : -EINVAL;
}

int msg_contact_uri(const struct sip_msg *m, unsigned index, char **urip)
{
	osip_contact_t *c = NULL;

	/* libosip2 keeps "*" as a Contact without a URL. */
	if (index > INT32_MAX || osip_message_get_contact(msg_sip(m), (int)index, &c) < 0 || !c ||
	    !c->url)
		return -ENOENT;
	return uri_text(c->url, urip);
}

int msg_record_routes(const struct sip_msg *m, char **out, size_t max)
{
	osip_list_iterator_t it;
	osip_record_route_t *rr;
	size_t n = 0;
	int err;

	for (rr = osip_list_get_first(&msg_sip(m)->record_routes, &it); rr;
	     rr = osip_list_get_next(&it), n++) {
		char *s = NULL;

		if (n >= max)
			continue;
		err = osip_record_route_to_str(rr, &s);
		if ((err = osip_text(err, s, &out[n])) < 0) {
			while (n > 0)
				free(out[--n]);
			return err;
		}
	}
	return n > INT32_MAX ? -EINVAL : (int)n;
}

int msg_route_uri(const char *route, char **urip, bool *lr)
{
	osip_record_route_t *rr = NULL;
	osip_uri_param_t *p = NULL;
	int err;

	if (!route || msg_has_ctl(route, false))
		return -EINVAL;
	if (osip_record_route_init(&rr) != OSIP_SUCCESS)
		return -ENOMEM;
	if (osip_record_route_parse(rr, route) != OSIP_SUCCESS || !rr->url)
		err = -EINVAL;
	else if ((err = uri_text(rr->url, urip)) == 0)
		*lr = osip_uri_uparam_get_byname(rr->url, "lr", &p) == OSIP_SUCCESS && p;
	osip_record_route_free(rr);
	return err;
}

const char *msg_ruri_scheme(const struct sip_msg *m, char *buf, size_t size)
{
	const osip_uri_t *u = msg_sip(m)->req_uri;
	const char *s = m->raw.scheme[0] ? m->raw.scheme : u ? u->scheme : NULL;

	if (!m->is_request || !s || size == 0)
		return NULL;
	snprintf(buf, size, "%s", s);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return buf;
}

const char *msg_body_of_type(const struct sip_msg *m, const char *ctype, size_t *lenp)
{
	char buf[128];
	const char *t = msg_content_type(m, buf, sizeof(buf));

	if (!t || strcasecmp(t, ctype) != 0) {
		*lenp = 0;
		return NULL;
	}
	return msg_body(m, lenp);
}

/* Where the next ';' outside a quoted string is in v, or v's end. */
static const char *next_semi(const char *v)
{
	bool q = false;

	for (; *v && (q || *v != ';'); v++) {
		if (*v == '"')
			q = !q;
		else if (q && *v == '\\' && v[1])
			v++;
	}
	return v;
}

const char *msg_header_param(const struct sip_msg *m, const char *name, const char *compact,
			     const char *param, char *buf, size_t size)
{
	const char *v = msg_header(m, name, compact), *e;
	size_t plen = strlen(param);

	if (!v || size == 0)
		return NULL;
	for (v = next_semi(v); *v; v = e) {
		const char *eq;
		size_t n;

		v += 1 + strspn(v + 1, " \t");
		e = next_semi(v);
		for (n = 0; v + n < e && v[n] != '=' && v[n] != ' ' && v[n] != '\t'; n++)
			;
		if (n != plen || strncasecmp(v, param, plen) != 0)
			continue;
		eq = v + n + strspn(v + n, " \t");
		if (eq >= e || *eq != '=') {
			buf[0] = '\0';
			return buf;
		}
		eq += 1 + strspn(eq + 1, " \t");
		n = (size_t)(e - eq);
		while (n > 0 && (eq[n - 1] == ' ' || eq[n - 1] == '\t'))
			n--;
		if (n >= 2 && eq[0] == '"' && eq[n - 1] == '"') {
			eq++;
			n -= 2;
		}
		snprintf(buf, size, "%.*s", (int)n, eq);
		return buf;
	}
	return NULL;
}

/* ---- accessors for the UA core ---- */

const char *msg_reason_phrase(const struct sip_msg *m)
{
	return m->is_request ? NULL : msg_sip(m)->reason_phrase;
}

int msg_contacts(const struct sip_msg *m, msg_contact_fn *fn, void *arg)
{
	osip_list_iterator_t it;
	osip_contact_t *ct;
	int n = 0;

	for (ct = osip_list_get_first(&msg_sip(m)->contacts, &it); ct; ct = osip_list_get_next(&it)) {
		osip_generic_param_t *p = NULL;
		char *uri = NULL;
		double q = 1.0;
		int stop;

		if (!ct->url)
			break;
		if (osip_uri_to_str(ct->url, &uri) != OSIP_SUCCESS || !uri)
			return -ENOMEM;
		if (osip_contact_param_get_byname(ct, "q", &p) == OSIP_SUCCESS && p && p->gvalue)
			q = strtod(p->gvalue, NULL);
		stop = fn(arg, uri, q);
		osip_free(uri);
		n++;
		if (stop)
			break;
	}
	return n;
}

int msg_contact_param(const struct sip_msg *m, unsigned index, const char *param, char *buf,
		      size_t size)
{
	osip_contact_t *ct = osip_list_get(&msg_sip(m)->contacts, (int)index);
	osip_generic_param_t *p = NULL;

	if (!ct || !ct->url)
		return -ENOENT;
	if (osip_contact_param_get_byname(ct, (char *)param, &p) != OSIP_SUCCESS || !p)
		return -ENOENT;
	if (!p->gvalue || msg_has_ctl(p->gvalue, true)) {
		if (size)
			buf[0] = '\0';
		return p->gvalue ? -EINVAL : 0;
	}
	return (size_t)snprintf(buf, size, "%s", p->gvalue) < size ? 0 : -ENOSPC;
}

int msg_via_received(const struct sip_msg *m, char *host, size_t size, int *rport)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *p = NULL;

	*rport = -1;
	if (size)
		host[0] = '\0';
	if (osip_message_get_via(msg_sip(m), 0, &via) < 0 || !via)
		return -ENOENT;
	if (osip_via_param_get_byname(via, "received", &p) == OSIP_SUCCESS && p && p->gvalue) {
		if (msg_has_ctl(p->gvalue, true) ||
		    (size_t)snprintf(host, size, "%s", p->gvalue) >= size)
			return -EINVAL;
	}
	p = NULL;
	if (osip_via_param_get_byname(via, "rport", &p) == OSIP_SUCCESS && p && p->gvalue) {
		char *end;
		long v = strtol(p->gvalue, &end, 10);

		if (*end || v < 1 || v > 65535)
			return -EINVAL;
		*rport = (int)v;
	}
	return 0;
}

const char *msg_ruri_user(const struct sip_msg *m, char *buf, size_t size)
{
	const char *u = msg_sip(m)->req_uri ? msg_sip(m)->req_uri->username : NULL;

	if (!u || !*u || msg_has_ctl(u, true) || strlen(u) >= size)
		return NULL;
	memcpy(buf, u, strlen(u) + 1);
	return buf;
}

/* The end of one value of a comma-separated header: the comma outside <> and quotes. */
static const char *value_end(const char *s)
{
	bool quoted = false;
	int angle = 0;

	for (; *s; s++) {
		if (quoted) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				quoted = false;
		} else if (*s == '"') {
			quoted = true;
		} else if (*s == '<') {
			angle++;
		} else if (*s == '>' && angle > 0) {
			angle--;
		} else if (*s == ',' && angle == 0) {
			break;
		}
	}
	return s;
}

size_t msg_header_values(const struct sip_msg *m, const char *name, char **out, size_t max)
{
	osip_list_iterator_t it;
	osip_header_t *h;
	size_t n = 0;

	for (h = osip_list_get_first(&msg_sip(m)->headers, &it); h; h = osip_list_get_next(&it)) {
		const char *v, *e;

		if (!h->hname || !h->hvalue || osip_strcasecmp(h->hname, name) != 0)
			continue;
		for (v = h->hvalue; *v; v = *e ? e + 1 : e) {
			size_t len;

			v += strspn(v, " \t");
			e = value_end(v);
			len = (size_t)(e - v);
			while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
				len--;
			if (!len)
				continue;
			if (n == max)
				return n;
			if (!(out[n] = strndup(v, len)))
				goto nomem;
			n++;
		}
	}
	return n;
nomem:
	while (n)
		free(out[--n]);
	return 0;
}

/*
 * Copy a libosip2 challenge parameter into dst without its surrounding
 * quotes (libosip2 keeps them on quoted-string values).  NULL is "".
 * 0, or -EMSGSIZE if it does not fit.
 */
static int challenge_param(char *dst, size_t size, const char *v)
{
	size_t len;

	dst[0] = '\0';
	if (!v)
		return 0;
	len = strlen(v);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (len >= size)
		return -EMSGSIZE;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

static int challenge_fill(struct msg_challenge *c, osip_www_authenticate_t *w, bool proxy)
{
	char stale[8];

	memset(c, 0, sizeof(*c));
	c->proxy = proxy;
	if (challenge_param(c->scheme, sizeof(c->scheme), osip_www_authenticate_get_auth_type(w)) ||
	    !c->scheme[0] ||
	    challenge_param(c->realm, sizeof(c->realm), osip_www_authenticate_get_realm(w)) ||
	    challenge_param(c->nonce, sizeof(c->nonce), osip_www_authenticate_get_nonce(w)) ||
	    challenge_param(c->opaque, sizeof(c->opaque), osip_www_authenticate_get_opaque(w)) ||
	    challenge_param(c->algorithm, sizeof(c->algorithm),
			    osip_www_authenticate_get_algorithm(w)) ||
	    challenge_param(c->qop, sizeof(c->qop), osip_www_authenticate_get_qop_options(w)))
		return -EMSGSIZE;
	/* RFC 7616 §3.3: stale is case-insensitive "true"; anything else is false. */
	if (challenge_param(stale, sizeof(stale), osip_www_authenticate_get_stale(w)) == 0)
		c->stale = strcasecmp(stale, "true") == 0;
	return 0;
}

size_t msg_challenges(const struct sip_msg *m, struct msg_challenge *out, size_t max)
{
	osip_www_authenticate_t *w = NULL;
	size_t n = 0;
	int pos;

	for (pos = 0; n < max && osip_message_get_www_authenticate(msg_sip(m), pos, &w) >= 0 && w;
	     pos++)
		if (challenge_fill(&out[n], w, false) == 0)
			n++;
	for (pos = 0; n < max && osip_message_get_proxy_authenticate(msg_sip(m), pos, &w) >= 0 && w;
	     pos++)
		if (challenge_fill(&out[n], w, true) == 0)
			n++;
	return n;
}

/* ---- a URI split for the resolver (dns.c, RFC 3263 §4) ---- */

/* The URI's port: 0 when absent, else 1..65535.  0 or -EINVAL. */
static int uri_parts_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	*port = 0;
	if (!s)
		return 0;
	for (size_t i = 0; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 5)
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Scheme, host, port, transport, in that order: the first fault is the one named. */
static int uri_parts_fill(osip_uri_t *u, const char *uri, struct msg_uri_parts *p, char *why,
			  size_t whylen)
{
	osip_uri_param_t *tp = NULL;

	if (!u->scheme || (strcasecmp(u->scheme, "sip") != 0 && strcasecmp(u->scheme, "sips") != 0))
		return why_fmt(why, whylen, -EINVAL,
			       "'%.16s:' URIs are not supported: a sip: URI is needed",
			       u->scheme ? u->scheme : "?");
	p->sips = strcasecmp(u->scheme, "sips") == 0;
	if (!u->host || !u->host[0])
		return why_fmt(why, whylen, -EINVAL, "'%.64s' has no host", uri);
	if (strlen(u->host) >= sizeof(p->host))
		return why_fmt(why, whylen, -EINVAL,
			       "host '%.64s...' is longer than %zu characters", u->host,
			       sizeof(p->host) - 1);
	strcpy(p->host, u->host);
	if (uri_parts_port(u->port, &p->port) < 0)
		return why_fmt(why, whylen, -EINVAL, "port '%.16s' is not a number from 1 to 65535",
			       u->port);
	if (osip_uri_uparam_get_byname(u, "transport", &tp) != OSIP_SUCCESS || !tp)
		return 0;
	if (!tp->gvalue || !tp->gvalue[0])
		return why_fmt(why, whylen, -EINVAL, "transport parameter without a value");
	if (strlen(tp->gvalue) >= sizeof(p->transport))
		return why_fmt(why, whylen, -EPROTONOSUPPORT,
			       "transport '%.16s...' is not supported", tp->gvalue);
	for (size_t i = 0; tp->gvalue[i]; i++)
		p->transport[i] = (char)tolower((unsigned char)tp->gvalue[i]);
	return 0;
}

int msg_uri_parts(const char *uri, struct msg_uri_parts *p, char *why, size_t whylen)
{
	struct msg_uri_parts out;
	osip_uri_t *u = NULL;
	int err;

	if ((err = msg_uri_parse_checked(uri, &u, why, whylen)) < 0)
		return err;
	memset(&out, 0, sizeof(out));
	err = uri_parts_fill(u, uri, &out, why, whylen);
	osip_uri_free(u);
	if (err == 0)
		*p = out;
	return err;
}

bool msg_uri_sips(const char *uri)
{
	if (!uri)
		return false;
	while (*uri == ' ' || *uri == '<')
		uri++;
	return strncasecmp(uri, "sips:", 5) == 0;
}
