/*
 * msg_build: the messages we build through libosip2: responses to the
 * unusual requests msg_resp.c leaves (see there), the ACK for a non-2xx,
 * the CANCEL of an INVITE, a request sent again (msg_build_retry); where
 * a URI sends to (msg_uri_dest, RFC 3263); and the setters (To tag, a
 * header, the body, a Route, the Record-Route copied into a response),
 * which a message built as text (msg_resp.c, msg_req.c) takes as text
 * where it can.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "core/rnd.h"
#include "core/why.h"
#include "sip/msg.h"
#include "sip/msg_int.h"

/* Copy one header object of req into r with its clone function. */
#define CLONE_INTO(field, clone)                                                                   \
	do {                                                                                       \
		if (q->field && clone(q->field, &r->field) != OSIP_SUCCESS)                        \
			goto out;                                                                  \
	} while (0)

int msg_build_response(struct sip_msg **rp, const struct sip_msg *req, int code,
    const char *reason, const char *to_tag)
{
	const osip_message_t *q;
	osip_message_t *r = NULL;
	struct sip_msg *m;
	int err;

	/* As text from the request's lines (msg_resp.c), unless they are unusual. */
	if ((err = msg_out_build(rp, req, code, reason, to_tag)) != -EAGAIN)
		return err;
	err = -ENOMEM;

	q = msg_sip(req); /* a request of ours built as text: its parse */
	if (osip_message_init(&r) != OSIP_SUCCESS)
		return -ENOMEM;
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, code);
	osip_message_set_reason_phrase(r, osip_strdup(reason ? reason : msg_reason(code)));
	if (osip_list_clone(&q->vias, &r->vias, (int (*)(void *, void **))osip_via_clone) < 0)
		goto out;
	CLONE_INTO(from, osip_from_clone);
	CLONE_INTO(to, osip_to_clone);
	CLONE_INTO(call_id, osip_call_id_clone);
	CLONE_INTO(cseq, osip_cseq_clone);
	if (to_tag && code > 100 && r->to && !msg_tag_of(r->to))
		osip_to_set_tag(r->to, osip_strdup(to_tag));
	if (!(m = calloc(1, sizeof(*m))))
		goto out;
	m->sip = r;
	r = NULL;
	m->raw.clen = -1;
	if (msg_refresh(m) == -ENOMEM) {
		msg_free(m);
		goto out;
	}
	*rp = m;
	err = 0;
out:
	if (r)
		osip_message_free(r);
	return err;
}

#define ACK_MAX_FORWARDS "70" /* §8.1.1.6 */

/*
 * The fields of an ACK for a non-2xx (§17.1.1.3), or of a CANCEL (§9.1),
 * into ack: both copy the INVITE's Request-URI, Call-ID, From, CSeq number,
 * top Via and Route; method names the request.  0 or -ENOMEM.
 */
static int ack_fill(osip_message_t *ack, const osip_message_t *inv, const osip_via_t *via,
    const osip_to_t *to, const char *method)
{
	osip_via_t *vc;
	osip_route_t *r, *rc;
	osip_list_iterator_t it;

	osip_message_set_method(ack, osip_strdup(method));
	osip_message_set_version(ack, osip_strdup("SIP/2.0"));
	if (!ack->sip_method || !ack->sip_version ||
	    osip_uri_clone(inv->req_uri, &ack->req_uri) != OSIP_SUCCESS ||
	    osip_call_id_clone(inv->call_id, &ack->call_id) != OSIP_SUCCESS ||
	    osip_from_clone(inv->from, &ack->from) != OSIP_SUCCESS ||
	    osip_to_clone(to, &ack->to) != OSIP_SUCCESS ||
	    osip_cseq_init(&ack->cseq) != OSIP_SUCCESS)
		return -ENOMEM;
	ack->cseq->number = osip_strdup(inv->cseq->number);
	ack->cseq->method = osip_strdup(method);
	if (!ack->cseq->number || !ack->cseq->method)
		return -ENOMEM;
	/* The top Via only: the branch is the INVITE's, so the ACK matches its transaction. */
	if (osip_via_clone(via, &vc) != OSIP_SUCCESS)
		return -ENOMEM;
	if (osip_list_add(&ack->vias, vc, -1) < 0) {
		osip_via_free(vc);
		return -ENOMEM;
	}
	for (r = osip_list_get_first(&inv->routes, &it); r; r = osip_list_get_next(&it)) {
		if (osip_route_clone(r, &rc) != OSIP_SUCCESS)
			return -ENOMEM;
		if (osip_list_add(&ack->routes, rc, -1) < 0) {
			osip_route_free(rc);
			return -ENOMEM;
		}
	}
	if (osip_message_set_max_forwards(ack, ACK_MAX_FORWARDS) != OSIP_SUCCESS ||
	    osip_message_set_content_length(ack, "0") != OSIP_SUCCESS)
		return -ENOMEM;
	return 0;
}

int msg_build_ack(struct sip_msg **ackp, const struct sip_msg *invite, const struct sip_msg *resp)
{
	const osip_message_t *inv, *rs = msg_sip(resp);
	osip_message_t *ack = NULL;
	osip_via_t *via = NULL;
	char *to = NULL;
	int err;

	/* Our INVITE written as text: the ACK is too, with the response's To (and tag). */
	if (msg_out_raw(invite) && rs->to) {
		if (osip_to_to_str(rs->to, &to) != OSIP_SUCCESS || !to)
			return -ENOMEM;
		err = msg_req_ack_cancel(ackp, invite, "ACK", to, resp->to_tag);
		osip_free(to);
		if (err != -EAGAIN)
			return err;
	}
	inv = msg_sip(invite);

	if (!inv->req_uri || !inv->call_id || !inv->from || !inv->cseq || !rs->to ||
	    osip_message_get_via(inv, 0, &via) < 0 || !via)
		return -EINVAL;
	if (osip_message_init(&ack) != OSIP_SUCCESS)
		return -ENOMEM;
	if ((err = ack_fill(ack, inv, via, rs->to, "ACK")) < 0) {
		osip_message_free(ack);
		return err;
	}
	return msg_wrap(ackp, ack);
}

int msg_build_cancel(struct sip_msg **cp, const struct sip_msg *invite)
{
	const osip_message_t *inv;
	osip_message_t *c = NULL;
	osip_via_t *via = NULL;
	int err;

	if (msg_out_raw(invite) &&
	    (err = msg_req_ack_cancel(cp, invite, "CANCEL", NULL, invite->to_tag)) != -EAGAIN)
		return err;
	inv = msg_sip(invite);

	if (!inv->req_uri || !inv->call_id || !inv->from || !inv->to || !inv->cseq ||
	    osip_message_get_via(inv, 0, &via) < 0 || !via)
		return -EINVAL;
	if (osip_message_init(&c) != OSIP_SUCCESS)
		return -ENOMEM;
	if ((err = ack_fill(c, inv, via, inv->to, "CANCEL")) < 0) {
		osip_message_free(c);
		return err;
	}
	return msg_wrap(cp, c);
}

/* ---- where a request goes, and the requests we start (§8.1) ---- */

#define SIP_DEFAULT_PORT 5060 /* RFC 3263 §4.2, for sip: over UDP and TCP */
#define SIP_DEFAULT_TLS_PORT 5061 /* RFC 3263 §4.2, for TLS (sips:, ;transport=tls) */


/*
 * A control character (or, blank_too, a blank) anywhere.  libosip2 copies
 * such text into a header as it is, so "sip:a@1.2.3.4\r\nX: y" would
 * smuggle in a header of its own.
 */
bool msg_has_ctl(const char *s, bool blank_too)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f || (blank_too && *s == ' '))
			return true;
	return false;
}

/*
 * RFC 3263 §4.1: ;transport= picks the protocol; none means UDP for sip:,
 * TLS for sips:.  sips: means TLS on every hop (RFC 5630 §3.1.3): it takes
 * ;transport=tls, and the deprecated ;transport=tcp of RFC 3261 §19.1 (TLS
 * over TCP, §26.2.2); udp would downgrade it and is refused.
 */
static int uri_transport(osip_uri_t *u, bool sips, enum net_proto *proto, char *why,
			 size_t whylen)
{
	osip_uri_param_t *p = NULL;

	*proto = sips ? NET_TLS : NET_UDP;
	if (osip_uri_uparam_get_byname(u, "transport", &p) != OSIP_SUCCESS || !p)
		return 0;
	if (!p->gvalue || !p->gvalue[0])
		return why_fmt(why, whylen, -EINVAL, "transport parameter without a value");
	if (net_proto_parse(p->gvalue, proto) < 0)
		return why_fmt(why, whylen, -EPROTONOSUPPORT,
			       "transport '%.16s' is not supported (udp, tcp, tls)", p->gvalue);
	if (sips && *proto == NET_UDP)
		return why_fmt(why, whylen, -EPROTONOSUPPORT,
			       "a sips: URI cannot go over udp (TLS over TCP is needed)");
	if (sips)
		*proto = NET_TLS;
	return 0;
}

/* RFC 3263 §4.2: the URI's port, else 5060 (5061 for TLS). 1..65535. */
static int uri_port(const osip_uri_t *u, enum net_proto proto, uint16_t *port, char *why,
		    size_t whylen)
{
	unsigned long v = 0;
	const char *s = u->port;

	*port = proto == NET_TLS ? SIP_DEFAULT_TLS_PORT : SIP_DEFAULT_PORT;
	if (!s)
		return 0;
	for (size_t i = 0; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 5) {
			v = 0;
			break;
		}
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return why_fmt(why, whylen, -EINVAL, "port '%.16s' is not a number from 1 to 65535",
			       s);
	*port = (uint16_t)v;
	return 0;
}

/* Scheme, transport, host, port, in that order: the first fault is the one named. */
static int uri_to_dest(osip_uri_t *u, const char *uri, struct sip_dest *d, char *why, size_t whylen)
{
	enum net_proto proto;
	uint16_t port;
	int err;

	if (!u->scheme || (strcasecmp(u->scheme, "sip") != 0 && strcasecmp(u->scheme, "sips") != 0))
		return why_fmt(why, whylen, -EINVAL,
			       "'%.16s:' URIs are not supported: a sip: URI is needed",
			       u->scheme ? u->scheme : "?");
	if ((err = uri_transport(u, strcasecmp(u->scheme, "sips") == 0, &proto, why, whylen)) < 0)
		return err;
	if (!u->host || !u->host[0])
		return why_fmt(why, whylen, -EINVAL, "'%.64s' has no host", uri);
	if ((err = uri_port(u, proto, &port, why, whylen)) < 0)
		return err;
	/*
	 * RFC 3263 §4 would resolve a name (NAPTR, SRV, A/AAAA); only IP
	 * literals go for now.  ;maddr (§19.1.1) is ignored: it is deprecated
	 * for this use and a ping should go where the URI's host says.
	 */
	memset(d, 0, sizeof(*d));
	if (net_addr_from_host(&d->addr, u->host, port) < 0)
		return why_fmt(
		    why, whylen, -EINVAL,
		    "host '%.64s' is not an IP address (DNS names are not supported yet)", u->host);
	d->proto = proto;
	return 0;
}

int msg_uri_parse_checked(const char *uri, osip_uri_t **up, char *why, size_t whylen)
{
	osip_uri_t *u = NULL;

	if (!uri || !uri[0])
		return why_fmt(why, whylen, -EINVAL, "no URI");
	if (msg_has_ctl(uri, true))
		return why_fmt(why, whylen, -EINVAL,
			       "the URI contains a blank or a control character");
	if (osip_uri_init(&u) != OSIP_SUCCESS)
		return why_fmt(why, whylen, -ENOMEM, "out of memory");
	if (osip_uri_parse(u, uri) != OSIP_SUCCESS) {
		osip_uri_free(u);
		return why_fmt(why, whylen, -EINVAL,
			       "'%.64s' is not a SIP URI (sip:user@host:port)", uri);
	}
	*up = u;
	return 0;
}

int msg_uri_dest(const char *uri, struct sip_dest *d, char *why, size_t whylen)
{
	osip_uri_t *u = NULL;
	struct sip_dest out;
	int err;

	if ((err = msg_uri_parse_checked(uri, &u, why, whylen)) < 0)
		return err;
	err = uri_to_dest(u, uri, &out, why, whylen);
	osip_uri_free(u);
	if (err == 0)
		*d = out;
	return err;
}

int msg_set_to_tag(struct sip_msg *m, const char *tag)
{
	osip_generic_param_t *p = NULL;
	char *v;
	int err;

	if (!tag)
		return -EINVAL;
	if (msg_out_raw(m) && (err = msg_out_set_to_tag(m, tag)) != -EAGAIN)
		return err;
	if ((err = msg_out_demote(m)) < 0)
		return err;
	if (!m->sip->to)
		return -EINVAL;
	if (!(v = osip_strdup(tag)))
		return -ENOMEM;
	if (osip_to_param_get_byname(m->sip->to, "tag", &p) == OSIP_SUCCESS && p) {
		osip_free(p->gvalue);
		p->gvalue = v;
	} else if (osip_to_set_tag(m->sip->to, v) != OSIP_SUCCESS) {
		osip_free(v);
		return -ENOMEM;
	}
	/* -EINVAL: m lacks a header the tag does not change; as msg_build_response(). */
	return msg_refresh(m) == -ENOMEM ? -ENOMEM : 0;
}

int msg_add_header(struct sip_msg *m, const char *name, const char *value)
{
	if (msg_out_raw(m))
		return msg_out_add_header(m, name, value);
	return osip_message_set_header(m->sip, name, value) == OSIP_SUCCESS ? 0 : -ENOMEM;
}

int msg_set_body(struct sip_msg *m, const char *ctype, const char *body, size_t len)
{
	if (msg_out_raw(m))
		return msg_out_set_body(m, ctype, body, len);
	if (osip_message_set_content_type(m->sip, ctype) != OSIP_SUCCESS ||
	    osip_message_set_body(m->sip, body, len) != OSIP_SUCCESS)
		return -ENOMEM;
	return 0;
}

/* A Route value libosip2 reads, before it goes into a message built as text. */
static int route_ok(const char *value)
{
	osip_route_t *r = NULL;
	int rc;

	if (osip_route_init(&r) != OSIP_SUCCESS)
		return -ENOMEM;
	rc = osip_route_parse(r, value);
	osip_route_free(r);
	return msg_osip_rc(rc);
}

int msg_add_route(struct sip_msg *m, const char *value)
{
	int err;

	if (!value || msg_has_ctl(value, false))
		return -EINVAL;
	if (msg_out_raw(m))
		return (err = route_ok(value)) < 0 ? err : msg_out_add_header(m, "Route", value);
	if (msg_out_demote(m) < 0)
		return -EINVAL;
	return msg_osip_rc(osip_message_set_route(m->sip, value));
}

int msg_copy_record_routes(struct sip_msg *resp, const struct sip_msg *req)
{
	osip_list_iterator_t it;
	osip_record_route_t *rr, *copy;

	if (msg_out_raw(resp))
		return msg_out_copy_record_routes(resp, req);
	for (rr = osip_list_get_first(&req->sip->record_routes, &it); rr;
	     rr = osip_list_get_next(&it)) {
		if (osip_record_route_clone(rr, &copy) != OSIP_SUCCESS)
			return -ENOMEM;
		if (osip_list_add(&resp->sip->record_routes, copy, -1) < 0) {
			osip_record_route_free(copy);
			return -ENOMEM;
		}
	}
	osip_message_force_update(resp->sip);
	return 0;
}

/* ---- a request sent again (§8.1.3.5, §22.2; RFC 3263 §4.3) ---- */

/* A fresh branch in v's branch parameter (added if missing). 0, -ENOMEM. */
static int via_new_branch(osip_via_t *v)
{
	char branch[RND_BRANCH_LEN];
	osip_generic_param_t *p = NULL;
	char *b;

	rnd_branch(branch);
	if (!(b = osip_strdup(branch)))
		return -ENOMEM;
	if (osip_via_param_get_byname(v, "branch", &p) == OSIP_SUCCESS && p) {
		osip_free(p->gvalue);
		p->gvalue = b;
		return 0;
	}
	if (osip_via_set_branch(v, b) != OSIP_SUCCESS) {
		osip_free(b);
		return -ENOMEM;
	}
	return 0;
}

int msg_build_retry(struct sip_msg **mp, const struct sip_msg *req, uint32_t cseq)
{
	const osip_message_t *r;
	osip_message_t *c = NULL;
	osip_via_t *via = NULL;
	char num[16], *n;
	int err = -ENOMEM;

	if (!req->is_request || !req->method || cseq >= 0x80000000u ||
	    strcmp(req->method, "ACK") == 0 || strcmp(req->method, "CANCEL") == 0)
		return -EINVAL;
	if (msg_out_raw(req))
		return msg_req_retry(mp, req, cseq); /* ours, as text: edited as text */
	r = msg_sip(req);
	if (!r->cseq)
		return -EINVAL;
	if (osip_message_clone(r, &c) != OSIP_SUCCESS)
		return -ENOMEM;
	if (osip_message_get_via(c, 0, &via) < 0 || !via) {
		err = -EINVAL;
		goto fail;
	}
	if ((err = via_new_branch(via)) < 0)
		goto fail;
	snprintf(num, sizeof(num), "%u", (unsigned)cseq);
	if (!(n = osip_strdup(num)))
		goto fail;
	osip_free(c->cseq->number);
	osip_cseq_set_number(c->cseq, n);
	/* Old credentials answered an old challenge: the caller adds new ones. */
	osip_list_special_free(&c->authorizations, (void (*)(void *))osip_authorization_free);
	osip_list_special_free(&c->proxy_authorizations,
			       (void (*)(void *))osip_proxy_authorization_free);
	osip_message_force_update(c);
	return msg_wrap(mp, c);
fail:
	osip_message_free(c);
	return err;
}

/* Credentials libosip2 reads, before they go into a message built as text. */
static int credentials_ok(const char *value)
{
	osip_authorization_t *a = NULL;
	int rc;

	if (osip_authorization_init(&a) != OSIP_SUCCESS)
		return -ENOMEM;
	rc = osip_authorization_parse(a, value);
	osip_authorization_free(a);
	return msg_osip_rc(rc);
}

int msg_add_credentials(struct sip_msg *m, bool proxy, const char *value)
{
	int err;

	if (!value || msg_has_ctl(value, false))
		return -EINVAL;
	if (msg_out_raw(m))
		return (err = credentials_ok(value)) < 0
			   ? err
			   : msg_out_add_header(m, proxy ? "Proxy-Authorization" : "Authorization",
						value);
	if (msg_out_demote(m) < 0)
		return -EINVAL;
	return msg_osip_rc(proxy ? osip_message_set_proxy_authorization(m->sip, value)
				 : osip_message_set_authorization(m->sip, value));
}
