/*
 * msg: a parsed SIP message and the checks before anything else sees it.
 * struct sip_msg wraps libosip2's osip_message_t with what libosip2 does
 * not give: the raw scan's findings and the fields every layer asks for
 * (Call-ID, tags, CSeq number, top Via).  The module is split by concern,
 * as Kamailio splits tm; msg_int.h holds what its files share, and only
 * they include it:
 *   msg.c        the module's life: msg_lib_init (libosip2's trace hook),
 *                msg_parse, msg_free, msg_wrap, msg_refresh and the
 *                derived fields, serialisation (msg_to_str), msg_reason
 *   msg_scan.c   the raw front before libosip2 sees a message: the start
 *                line, the header scan and counts, the one cleaned copy
 *                libosip2 parses, hostport checks
 *   msg_check.c  the RFC 3261 §8.2 request checks, the response checks,
 *                the Via stamp (received, rport) and where a response goes
 *   msg_build.c  what we build through libosip2: responses to unusual
 *                requests, ACK, CANCEL, a copy sent again; where a URI
 *                sends to; the setters
 *   msg_resp.c   responses built as text from the request's kept lines,
 *                the usual way (msg_build.c's libosip2 builder is the
 *                fallback for unusual requests); msg_lex.c reads the
 *                header text it copies
 *   msg_req.c    the requests we send, built as text: inside a dialog
 *                around its kept lines, outside one from their spec; and
 *                sent again after a challenge
 *   msg_get.c    the read accessors
 *
 * A datagram whose header block has no empty line is not a message (§7,
 * §18.3): msg_parse() refuses it.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "core/log.h"
#include "sip/frame.h"
#include "sip/msg.h"
#include "sip/msg_int.h"

/*
 * libosip2 reports every parse failure at ERROR level, but the message
 * layer decides what a bad message means (400, drop) and logs that once, so
 * everything libosip2 says is debug detail.
 */
__attribute__((format(printf, 4, 0))) static void
msg_osip_trace(const char *fi, int li, osip_trace_level_t level, const char *chfr, va_list ap)
{
	char text[2048];
	const char *base;

	if (!log_enabled(LOG_LVL_DEBUG) || !chfr)
		return;
	vsnprintf(text, sizeof(text), chfr, ap);
	base = fi ? strrchr(fi, '/') : NULL;
	base = base ? base + 1 : (fi ? fi : "?");
	log_msg(LOG_LVL_DEBUG, "osip: %s:%d: %s", base, li, text);
}

/*
 * libosip2 traces FATAL..WARNING (its INFO levels are per-message chatter)
 * to our log; without a trace function it would print to stdout.  Its
 * tracing table is global, so this is process-wide.
 */
void msg_lib_init(void)
{
	msg_alloc_install();
	parser_init();
	osip_trace_initialize_func(TRACE_LEVEL4, msg_osip_trace);
}

void msg_lib_trim(void)
{
	msg_alloc_trim(64);
}

/* Parse buf with libosip2 into m->sip. 0 or -EBADMSG / -ENOMEM. */
static int osip_parse(struct sip_msg *m, const char *buf, size_t len)
{
	if (m->sip)
		osip_message_free(m->sip);
	m->sip = NULL;
	if (osip_message_init(&m->sip) != OSIP_SUCCESS)
		return -ENOMEM;
	return osip_message_parse(m->sip, buf, len) == OSIP_SUCCESS ? 0 : -EBADMSG;
}

/*
 * A request keeps the text libosip2 parsed, so that its responses copy
 * their Via, From, To, Call-ID and CSeq lines from it (msg_resp.c): the
 * cleaned copy when there is one (its lines are scanned again: the scan of
 * the wire is not theirs), else a copy of the wire bytes, whose lines the
 * raw scan noted.  An ACK gets no response: it keeps nothing.  Without
 * memory the responses go through libosip2.
 */
static void keep_text(struct sip_msg *m, const char *buf, size_t len, char *copy,
    const struct msg_start_line *sl)
{
	struct frame_info fi;

	if (sl->method_len == 3 && memcmp(buf, "ACK", 3) == 0) {
		m->lines.ok = false;
		return;
	}
	if (copy) {
		m->text = copy;
		if (frame_scan(copy, len, len, &fi) == 0)
			msg_lines_scan(m, copy, fi.hdr_len);
		else
			m->lines.ok = false;
		return;
	}
	if ((m->text = malloc(len)))
		memcpy(m->text, buf, len);
	else
		m->lines.ok = false;
}

int msg_parse(struct sip_msg **mp, const char *buf, size_t len, bool oversize)
{
	struct sip_msg *m = NULL;
	struct frame_info fi;
	struct msg_start_line sl = {0};
	size_t body_len, plen;
	char *copy = NULL;
	bool repeats, no_blank = false;
	int err;

	if (len < 8 || !memchr(buf, '\n', len))
		return -EBADMSG;
	/*
	 * §7: a message's header block ends with an empty line.  A datagram
	 * without one is not a message (§18.3: a datagram carries whole
	 * messages), whatever it looks like: it is dropped, never taken as
	 * complete.  (TCP framing waits for the empty line before it calls
	 * us.)  The one exception is what the transport hands over as
	 * oversize: the lines of a header block that outgrew the limit, to be
	 * answered 513.
	 */
	if (frame_scan(buf, len, len, &fi) < 0) {
		if (!oversize)
			return -EBADMSG;
		fi.hdr_len = len;
		fi.clen = -1;
		no_blank = true;
	}
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	m->wire_len = len;
	m->raw.oversize = oversize;
	m->raw.clen = fi.clen;
	m->raw.body_len = len - fi.hdr_len;
	if (!msg_start_line_scan(m, buf, len, &sl)) {
		msg_free(m);
		return -EBADMSG;
	}
	repeats = msg_raw_scan(m, buf, fi.hdr_len);

	/* §18.3: on UDP, bytes past Content-Length are discarded. */
	body_len = m->raw.body_len;
	if (fi.clen >= 0 && (size_t)fi.clen < body_len)
		body_len = (size_t)fi.clen;
	if (oversize || fi.clen == -2 || (fi.clen >= 0 && (size_t)fi.clen > m->raw.body_len))
		body_len = 0;
	plen = fi.hdr_len + body_len;
	if (!repeats && !no_blank && !sl.hide_method && !sl.hide_uri && !sl.hide_version &&
	    !sl.trailing_sp && fi.clen >= -1 && m->raw.n_clen <= 1 && body_len == m->raw.body_len)
		err = osip_parse(m, buf, plen);
	else
		err = -EBADMSG;
	/*
	 * libosip2 refuses a whole request whose Request-URI it cannot read
	 * ("sip:", "sip:a@b:99999999999", "tel:").  The request is still one,
	 * to be answered "400 Malformed Request-URI" (§8.2, §16.3): the copy
	 * gets the stand-in, as for a URI that is not one at all.
	 */
	if (err == -EBADMSG && sl.request && !sl.hide_uri &&
	    !msg_uri_readable(buf + sl.uri_off, sl.uri_len)) {
		m->raw.ruri_bad = true;
		sl.hide_uri = true;
	}
	if (err == -EBADMSG) {
		struct msg_clean_opts o = {.drop_cseq = m->raw.cseq_err != MSG_CSEQ_OK, .sl = &sl};

		if (!(copy = malloc(msg_clean_cap(fi.hdr_len, body_len)))) {
			err = -ENOMEM;
		} else {
			plen = msg_clean_copy(copy, buf, fi.hdr_len, buf + fi.hdr_len, body_len, &o);
			err = osip_parse(m, copy, plen);
		}
		/*
		 * libosip2 refuses a whole message for one header it cannot
		 * read (a From with an unterminated quote, a Via with empty
		 * parameters, ...).  A request gets a second try in the same
		 * buffer without such headers, so that it can be answered
		 * "400 Malformed <name> header" (RFC 4475 §3.1.2.1, §3.1.2.6).
		 */
		if (err == -EBADMSG && sl.request && osip_message_init(&o.vet) == OSIP_SUCCESS) {
			o.bad = m->raw.bad_hdr;
			o.bad_size = sizeof(m->raw.bad_hdr);
			plen =
			    msg_clean_copy(copy, buf, fi.hdr_len, buf + fi.hdr_len, body_len, &o);
			osip_message_free(o.vet);
			err = m->raw.bad_hdr[0] ? osip_parse(m, copy, plen) : -EBADMSG;
		}
	}
	if (!err && sl.request)
		keep_text(m, buf, plen, copy, &sl);
	if (!err && msg_refresh(m) < 0 && !m->is_request && !m->method)
		err = -EBADMSG;	/* a response without CSeq cannot be matched */
	if (!err && sl.request && !sl.hide_uri && !msg_ruri_hostport_ok(m))
		m->raw.ruri_bad = true;
	if (m->text == copy)
		copy = NULL; /* kept */
	if (!err) {
		*mp = m;
		m = NULL;
	}
	free(copy);
	msg_free(m);
	return err;
}

void msg_free(struct sip_msg *m)
{
	if (!m)
		return;
	if (m->sip)
		osip_message_free(m->sip);
	free(m->own_call_id);
	free(m->text);
	if (m->out)
		msg_out_release(m); /* m and its text share one block */
	free(m);
}

int msg_wrap(struct sip_msg **mp, osip_message_t *sip)
{
	struct sip_msg *m = calloc(1, sizeof(*m));
	int err;

	if (!m) {
		osip_message_free(sip);
		return -ENOMEM;
	}
	m->sip = sip;
	m->raw.clen = -1;
	if ((err = msg_refresh(m)) < 0) {
		msg_free(m);
		return err;
	}
	*mp = m;
	return 0;
}

const char *msg_tag_of(osip_from_t *h)
{
	osip_generic_param_t *p = NULL;

	if (!h || osip_from_param_get_byname(h, "tag", &p) != OSIP_SUCCESS || !p)
		return NULL;
	return p->gvalue ? p->gvalue : "";
}

/* Strict CSeq number (libosip2 keeps it as text). */
static uint32_t cseq_number(const osip_cseq_t *c)
{
	unsigned long v;
	char *end;

	if (!c || !c->number || !isdigit((unsigned char)c->number[0]))
		return 0;
	errno = 0;
	v = strtoul(c->number, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return 0;
	return (uint32_t)v;
}

static int refresh_call_id(struct sip_msg *m)
{
	osip_call_id_t *c = m->sip->call_id;

	free(m->own_call_id);
	m->own_call_id = NULL;
	m->call_id = NULL;
	if (!c || !c->number)
		return -EINVAL;
	if (!c->host) {
		m->call_id = c->number;
		return 0;
	}
	if (asprintf(&m->own_call_id, "%s@%s", c->number, c->host) < 0) {
		m->own_call_id = NULL;
		return -ENOMEM;
	}
	m->call_id = m->own_call_id;
	return 0;
}

/*
 * The top Via's sent-by and branch.  A sent-by that is not host [":"
 * port] leaves via_host NULL, like a Via libosip2 could not read: a
 * request gets "400 Malformed Via header", sent back to its source since
 * the Via names no place to send it (§18.2.2); a response is dropped.
 */
void msg_refresh_via(struct sip_msg *m)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *br = NULL;

	m->branch = NULL;
	m->via_host = NULL;
	m->via_port = 0;
	if (osip_message_get_via(m->sip, 0, &via) < 0 || !via ||
	    !msg_hostport_ok(via->host, via->port))
		return;
	m->via_host = via->host;
	if (via->port)
		m->via_port = (uint16_t)strtoul(via->port, NULL, 10);
	if (osip_via_param_get_byname(via, "branch", &br) == OSIP_SUCCESS && br && br->gvalue &&
	    br->gvalue[0])
		m->branch = br->gvalue;
}

int msg_refresh(struct sip_msg *m)
{
	osip_message_t *s = m->sip;
	int err;

	if (msg_out_raw(m))
		return 0; /* built as text: its fields were set with it */

	m->is_request = MSG_IS_REQUEST(s);
	m->status = m->is_request ? 0 : s->status_code;
	m->method = m->is_request ? s->sip_method : (s->cseq ? s->cseq->method : NULL);
	m->cseq = cseq_number(s->cseq);
	m->from_tag = msg_tag_of(s->from);
	m->to_tag = msg_tag_of(s->to);
	msg_refresh_via(m);
	if ((err = refresh_call_id(m)) == -ENOMEM)
		return err;
	if (!s->cseq || !s->cseq->method || !s->from || !s->to || !m->call_id || !m->via_host ||
	    !m->method)
		return -EINVAL;
	return 0;
}

int msg_to_str(struct sip_msg *m, char **bufp, size_t *lenp)
{
	char *s = NULL;
	size_t len = 0;

	if (msg_out_raw(m))
		return msg_out_str(m, bufp, lenp, false);
	if (m->out && !m->sip)
		return -EINVAL; /* its text was taken */

	/* Setters do not clear the text libosip2 caches for osip_message_to_str(). */
	osip_message_force_update(m->sip);
	if (osip_message_to_str(m->sip, &s, &len) != OSIP_SUCCESS || !s)
		return -EINVAL;
	*bufp = s;
	*lenp = len;
	return 0;
}

int msg_take_str(struct sip_msg *m, char **bufp, size_t *lenp)
{
	if (msg_out_raw(m))
		return msg_out_str(m, bufp, lenp, true);
	return msg_to_str(m, bufp, lenp);
}

static const struct {
	int code;
	const char *reason;
} reasons[] = {
	{ 100, "Trying" }, { 180, "Ringing" }, { 181, "Call Is Being Forwarded" },
	{ 182, "Queued" }, { 183, "Session Progress" }, { 200, "OK" }, { 202, "Accepted" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" }, { 302, "Moved Temporarily" },
	{ 305, "Use Proxy" }, { 380, "Alternative Service" }, { 400, "Bad Request" },
	{ 401, "Unauthorized" }, { 402, "Payment Required" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" }, { 408, "Request Timeout" }, { 410, "Gone" },
	{ 413, "Request Entity Too Large" }, { 414, "Request-URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 416, "Unsupported URI Scheme" },
	{ 420, "Bad Extension" }, { 421, "Extension Required" }, { 423, "Interval Too Brief" },
	{ 480, "Temporarily Unavailable" }, { 481, "Call/Transaction Does Not Exist" },
	{ 482, "Loop Detected" }, { 483, "Too Many Hops" }, { 484, "Address Incomplete" },
	{ 485, "Ambiguous" }, { 486, "Busy Here" }, { 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" }, { 491, "Request Pending" }, { 493, "Undecipherable" },
	{ 500, "Server Internal Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Server Time-out" },
	{ 505, "Version Not Supported" }, { 513, "Message Too Large" }, { 600, "Busy Everywhere" },
	{ 603, "Decline" }, { 604, "Does Not Exist Anywhere" }, { 606, "Not Acceptable" },
};

const char *msg_reason(int code)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "Unknown";
}
