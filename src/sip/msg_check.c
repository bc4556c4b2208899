/*
 * msg_check: the RFC 3261 §8.2 checks of a request, made on what the raw
 * scan (msg_scan.c) and libosip2 read, and the checks of a response;
 * msg_err_set(); the Via stamp (received, rport) of a request we take,
 * and where its response goes (§18.2.2).  What a request must carry (its
 * start line's rule is in msg_scan.c):
 *
 *   INVITE sip:bob@example.com SIP/2.0          version; method; URI
 *   Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK7   at least one; host [":" port]
 *   From: <sip:alice@a>;tag=1928               exactly one, tag not empty
 *   To: <sip:bob@b>                             exactly one
 *   Call-ID: a84b4c76e66710                     exactly one
 *   CSeq: 314159 INVITE                         one, < 2^31, method = request's
 *   Max-Forwards: 70                            0..255
 *   Content-Length: 142                         <= body; required on TCP
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "sip/msg.h"
#include "sip/msg_int.h"

void msg_err_set(struct msg_err *err, int code, const char *reason, const char *hdr_name,
    const char *hdr_value)
{
	err->code = code;
	snprintf(err->reason, sizeof(err->reason), "%s", reason ? reason : msg_reason(code));
	snprintf(err->hdr_name, sizeof(err->hdr_name), "%s", hdr_name ? hdr_name : "");
	snprintf(err->hdr_value, sizeof(err->hdr_value), "%s", hdr_value ? hdr_value : "");
}

/* One From/To/Call-ID/CSeq; names the fault. */
static bool check_unique(const struct sip_msg *m, struct msg_err *err)
{
	static const struct {
		size_t off;
		const char *name;
	} u[] = {
		{ offsetof(struct sip_msg, raw.n_from), "From" },
		{ offsetof(struct sip_msg, raw.n_to), "To" },
		{ offsetof(struct sip_msg, raw.n_callid), "Call-ID" },
		{ offsetof(struct sip_msg, raw.n_cseq), "CSeq" },
	};
	char why[64];

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		uint8_t n = *((const uint8_t *)m + u[i].off);

		if (n == 1)
			continue;
		snprintf(why, sizeof(why), "%s %s header", n ? "Repeated" : "Missing", u[i].name);
		msg_err_set(err, 400, why, NULL, NULL);
		return false;
	}
	return true;
}

static bool check_cseq(const struct sip_msg *m, struct msg_err *err)
{
	const osip_cseq_t *c = m->sip->cseq;

	if (m->raw.cseq_err == MSG_CSEQ_SYNTAX || !c || !c->method) {
		msg_err_set(err, 400, "Malformed CSeq", NULL, NULL);
		return false;
	}
	if (m->raw.cseq_err == MSG_CSEQ_RANGE) {
		msg_err_set(err, 400, "CSeq number out of range", NULL, NULL);
		return false;
	}
	if (m->is_request && strcmp(c->method, m->method) != 0) {
		msg_err_set(err, 400, "CSeq method does not match the request", NULL, NULL);
		return false;
	}
	return true;
}

/* Body bytes on the wire (libosip2 drops a body that has no Content-Type). */
static size_t raw_body(const struct sip_msg *m)
{
	if (m->raw.clen >= 0 && (size_t)m->raw.clen < m->raw.body_len)
		return (size_t)m->raw.clen;
	return m->raw.body_len;
}

static bool check_framing(const struct sip_msg *m, struct msg_err *err)
{
	const char *why = NULL;

	if (m->raw.clen == -2)
		why = "Malformed Content-Length";
	else if (m->raw.clen == -1 && m->src.proto != NET_UDP)
		why = "Missing Content-Length";
	else if (m->raw.clen >= 0 && (size_t)m->raw.clen > m->raw.body_len)
		why = "Content-Length larger than the body";
	else if (raw_body(m) > 0 && m->raw.n_ctype == 0)
		why = "Body without Content-Type";
	if (why)
		msg_err_set(err, 400, why, NULL, NULL);
	return why == NULL;
}

static bool check_tags(const struct sip_msg *m, struct msg_err *err)
{
	const char *why = NULL;

	if (m->from_tag && !m->from_tag[0])
		why = "Empty tag in From";
	else if (m->to_tag && !m->to_tag[0])
		why = "Empty tag in To";
	if (why)
		msg_err_set(err, 400, why, NULL, NULL);
	return why == NULL;
}

bool msg_check_request(const struct sip_msg *m, struct msg_err *err)
{
	msg_err_set(err, 0, "", NULL, NULL);
	if (m->raw.oversize) {
		msg_err_set(err, 513, "Message Too Large", NULL, NULL);
		return false;
	}
	if (m->raw.version_malformed) {
		msg_err_set(err, 400, "Malformed SIP-Version", NULL, NULL);
		return false;
	}
	if (m->raw.version_bad) {
		msg_err_set(err, 505, "Version Not Supported", NULL, NULL);
		return false;
	}
	if (m->raw.method_bad) {
		msg_err_set(err, 400, "Malformed Method", NULL, NULL);
		return false;
	}
	if (m->raw.ruri_bad) {
		msg_err_set(err, 400, "Malformed Request-URI", NULL, NULL);
		return false;
	}
	if (m->raw.bad_hdr[0]) {
		char why[64];

		snprintf(why, sizeof(why), "Malformed %s header", m->raw.bad_hdr);
		msg_err_set(err, 400, why, NULL, NULL);
		return false;
	}
	if (m->raw.n_via == 0 || !m->via_host) {
		msg_err_set(err, 400, m->raw.n_via ? "Malformed Via header" : "Missing Via header",
		    NULL, NULL);
		return false;
	}
	if (!check_unique(m, err) || !check_cseq(m, err))
		return false;
	if (m->raw.maxfwd_bad || m->raw.n_maxfwd > 1) {
		msg_err_set(err, 400, "Malformed Max-Forwards", NULL, NULL);
		return false;
	}
	if (!m->call_id || !m->sip->from || !m->sip->to) {
		msg_err_set(err, 400, "Malformed From, To or Call-ID header", NULL, NULL);
		return false;
	}
	return check_framing(m, err) && check_tags(m, err);
}

bool msg_check_response(const struct sip_msg *m, const char **why)
{
	const char *w = NULL;

	if (m->raw.version_bad)
		w = "version is not SIP/2.0";
	else if (m->status < 100 || m->status > 699)
		w = "status code out of range";
	else if (m->raw.n_via == 0 || !m->via_host)
		w = "no Via";
	else if (m->raw.n_from != 1 || m->raw.n_to != 1 || m->raw.n_callid != 1 || m->raw.n_cseq != 1)
		w = "missing or repeated From, To, Call-ID or CSeq";
	else if (m->raw.cseq_err != MSG_CSEQ_OK || !m->method || !m->call_id)
		w = "malformed CSeq or Call-ID";
	else if (m->raw.clen == -2 || (m->raw.clen >= 0 && (size_t)m->raw.clen > m->raw.body_len))
		w = "bad Content-Length";
	if (why)
		*why = w;
	return w == NULL;
}

/* Set (or add) a Via parameter; value copied. */
static int via_param_set(osip_via_t *via, const char *name, const char *value)
{
	osip_generic_param_t *p = NULL;
	char *v = osip_strdup(value);

	if (!v)
		return -ENOMEM;
	if (osip_via_param_get_byname(via, (char *)name, &p) == OSIP_SUCCESS && p) {
		osip_free(p->gvalue);
		p->gvalue = v;
		return 0;
	}
	if (osip_via_param_add(via, osip_strdup(name), v) != OSIP_SUCCESS)
		return -ENOMEM;
	return 0;
}

int msg_stamp_via(struct sip_msg *m)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *rport = NULL;
	char host[NET_ADDR_STRLEN], port[8];
	int err = 0;

	if (osip_message_get_via(m->sip, 0, &via) < 0 || !via || !via->host)
		return -EINVAL;
	net_addr_host(&m->src.addr, host, sizeof(host));
	osip_via_param_get_byname(via, "rport", &rport);
	/* RFC 3581 §4: with rport, received is added even if the host matches. */
	if (rport || !net_host_eq(via->host, &m->src.addr)) {
		/* A response copies the other Via lines as text, this one from libosip2. */
		m->lines.via_stamped = true;
		err = via_param_set(via, "received", host);
	}
	if (!err && rport) {
		snprintf(port, sizeof(port), "%u", net_addr_port(&m->src.addr));
		err = via_param_set(via, "rport", port);
	}
	if (err)
		return err;
	msg_refresh_via(m);
	return 0;
}

void msg_response_dest(const struct sip_msg *req, struct sip_dest *d)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *rport = NULL;
	uint16_t port = req->via_port ? req->via_port : 5060;

	*d = req->src;
	/* No Via (a request we answer 400): back to where it came from. */
	if (!req->via_host)
		return;
	if (osip_message_get_via(req->sip, 0, &via) == OSIP_SUCCESS && via &&
	    osip_via_param_get_byname(via, "rport", &rport) == OSIP_SUCCESS && rport)
		port = net_addr_port(&req->src.addr);
	/* §18.2.2: the source address (received), at rport or the sent-by port. */
	net_addr_set_port(&d->addr, port);
}
