/*
 * msg: a parsed SIP message and the checks before anything else sees it.
 *
 * libosip2 parses and serializes, and validates almost nothing: it takes
 * messages with no Call-ID or CSeq, SIP/3.0, a non-numeric CSeq, and
 * silently drops a body whose Content-Length is garbage; yet it refuses a
 * whole message for one thing it does not read: a repeated From or
 * Call-ID, an HTAB or a folded line where it expects a token, SP after the
 * version, a Request-URI of a scheme it does not know the syntax of or
 * that it cannot read ("sip:", "sip:a@b:99999999999"), a version with a
 * letter in it, one malformed header.  That would leave us unable to
 * answer 400, 416, or at all.  So before libosip2 sees a message this
 * module scans the raw text once (start_line_scan, then frame_next_hdr for
 * each header): it checks the method, the version and the Request-URI,
 * counts the headers that must be unique, reads CSeq, Max-Forwards and
 * Content-Length itself, and, when needed, hands libosip2 one cleaned copy
 * (clean_copy): LWS normalised (§7.3.1, §25.1: folds and HTABs become one
 * SP), repeats left out, a Content-Length it can trust, stand-ins for the
 * request-line fields it must not see.  Should libosip2 still refuse a
 * request, the copy is rebuilt in place without the headers it cannot
 * read, and the first is named in the 400.  msg_check_request() then turns
 * the findings into RFC 3261 §8.2 answers.
 *
 * The start line decides whether there is anything to answer.  A request
 * is answered, however malformed, as soon as it can be told for one (§8.2:
 * a UAS answers what it cannot take; a 400 needs only a Via to go back
 * along, and goes to the source when the Via names no usable place,
 * §18.2.2); anything else is no SIP message: msg_parse() refuses it, and
 * the receive pipeline drops and counts it.
 *   - "SIP/" first: a status line (a response; never answered).
 *   - "Method SP Request-URI SP SIP-Version" by its shape: text before the
 *     first SP, a last SP-separated element starting "SIP/" (any case),
 *     something between.  That is a request, whatever is in the fields;
 *     they are judged in this order, and the first fault is the answer:
 *       version  not "SIP/" 1*DIGIT "." 1*DIGIT     400 Malformed SIP-Version
 *                well-formed, not 2.0                505 (§21.5.6; a request
 *                                                    of another version may
 *                                                    have another syntax)
 *       method   not a token (§25.1)                 400 Malformed Method
 *       URI      blanks, control characters, no      400 Malformed Request-URI
 *                scheme; or sip:, sips:, tel: that
 *                libosip2 cannot read; or sip:, sips:
 *                without a host [":" port] (§25.1)
 *                another scheme                      416, from the UA (§8.2.2.1)
 *   - Anything else is not SIP: dropped.  "OPTIONS sip:a HTTP/1.1",
 *     "OPTIONS sip:a SIPS/2.0", " OPTIONS sip:a SIP/2.0" (SP first), a
 *     line with one SP ("OPTIONS<HTAB>sip:a SIP/2.0").
 *
 *   INVITE sip:bob@example.com SIP/2.0          version; method; URI
 *   Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK7   at least one; host [":" port]
 *   From: <sip:alice@a>;tag=1928               exactly one, tag not empty
 *   To: <sip:bob@b>                             exactly one
 *   Call-ID: a84b4c76e66710                     exactly one
 *   CSeq: 314159 INVITE                         one, < 2^31, method = request's
 *   Max-Forwards: 70                            0..255
 *   Content-Length: 142                         <= body; required on TCP
 *
 * A datagram whose header block has no empty line is not a message (§7,
 * §18.3): msg_parse() refuses it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "core/log.h"
#include "core/rnd.h"
#include "core/why.h"
#include "sip/frame.h"
#include "sip/msg.h"

/*
 * What the start line scan found (start_line_scan).  A request line is
 * "Method SP Request-URI SP SIP-Version": the method runs to the first SP,
 * the version from the last, the Request-URI is what lies between.
 */
struct start_line {
	size_t end;	   /* its length without CRLF and trailing SP */
	bool request;	   /* a request line (else a status line) */
	size_t method_len; /* request: the method is [0, method_len) */
	size_t uri_off;	   /* request: the Request-URI */
	size_t uri_len;
	size_t ver_off;	   /* request: the version is [ver_off, end) */
	bool hide_method;  /* libosip2 must not see the method: not a token */
	bool hide_uri;	   /* ... the Request-URI: malformed, or not a scheme we read */
	bool hide_version; /* ... the version: not "SIP/" 1*DIGIT "." 1*DIGIT */
	bool trailing_sp;  /* SP before the CRLF (RFC 4475 §3.1.2.10) */
};

/* Headers that must appear exactly once in a request (§8.1.1). */
enum uniq_hdr { U_FROM, U_TO, U_CALLID, U_CSEQ, U_CLEN, U_CTYPE, U_MAXFWD, U_NONE };

struct hdr_name {
	const char *full;
	char compact;
	enum uniq_hdr id;
};

static const struct hdr_name counted[] = {
	{ "From", 'f', U_FROM },
	{ "To", 't', U_TO },
	{ "Call-ID", 'i', U_CALLID },
	{ "CSeq", 0, U_CSEQ },
	{ "Content-Length", 'l', U_CLEN },
	{ "Content-Type", 'c', U_CTYPE },
	{ "Max-Forwards", 0, U_MAXFWD },
};

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
	parser_init();
	osip_trace_initialize_func(TRACE_LEVEL4, msg_osip_trace);
}

static bool name_is(const struct frame_hdr *h, const char *full, char compact)
{
	size_t n = strlen(full);

	if (h->name_len == n && strncasecmp(h->name, full, n) == 0)
		return true;
	return compact && h->name_len == 1 && tolower((unsigned char)h->name[0]) == compact;
}

static bool is_via(const struct frame_hdr *h)
{
	return name_is(h, "Via", 'v');
}

static enum uniq_hdr classify(const struct frame_hdr *h)
{
	for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++)
		if (name_is(h, counted[i].full, counted[i].compact))
			return counted[i].id;
	return U_NONE;
}

/* "SIP/2.0" exactly, case-insensitively (§7.1). */
static bool version_ok(const char *v, size_t n)
{
	return n == 7 && strncasecmp(v, "SIP/2.0", 7) == 0;
}

/* §25.1: SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" in any case (§7.1). */
static bool version_wellformed(const char *v, size_t n)
{
	size_t i = 4;

	if (n < 7 || strncasecmp(v, "SIP/", 4) != 0)
		return false;
	while (i < n && isdigit((unsigned char)v[i]))
		i++;
	if (i == 4 || i == n || v[i] != '.' || ++i == n)
		return false;
	while (i < n && isdigit((unsigned char)v[i]))
		i++;
	return i == n;
}

/* RFC 3261 §25.1 token characters (a method). */
static bool is_token_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("-.!%*_+`'~", c));
}

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ':'. Its length, or 0.
 */
static size_t scheme_len(const char *u, size_t n)
{
	size_t i;

	if (n == 0 || !isalpha((unsigned char)u[0]))
		return 0;
	for (i = 1; i < n && (isalnum((unsigned char)u[i]) || (u[i] && strchr("+-.", u[i]))); i++)
		;
	return i < n && u[i] == ':' ? i : 0;
}

/* The schemes whose URIs we read (§8.2.2.1, RFC 3966); libosip2 parses all three. */
static bool scheme_is_ours(const char *s)
{
	return !strcmp(s, "sip") || !strcmp(s, "sips") || !strcmp(s, "tel");
}

/*
 * The start line (§7.1).  A status line starts with "SIP/"; all this
 * module needs of it is whether its version is SIP/2.0.  Anything else is
 * a request line if it has the shape of one: text, SP, anything, SP, and
 * a last element that names SIP ("SIP/" in any case).  Its three fields
 * are then judged one by one (the rule in this file's header comment):
 *   method    not a token (§25.1)                 m->raw.method_bad
 *   URI       a blank or a control character, or  m->raw.ruri_bad
 *             no scheme (RFC 4475 §3.1.2.7-9: <>
 *             around it, LWS in it, several SP
 *             between the elements)
 *   version   not "SIP/" 1*DIGIT "." 1*DIGIT      m->raw.version_malformed
 *             well-formed but not 2.0             m->raw.version_bad
 * and the URI's scheme is kept (m->raw.scheme).  What libosip2 must not
 * see is replaced by a stand-in in the copy it parses (sl->hide_*): a
 * malformed field (it would refuse the whole message, or take garbage as a
 * method), and a URI of a scheme we do not read (it refuses some of those,
 * e.g. "soap.beep://host", yet §8.2.2.1 wants a 416).  Returns false for a
 * line of neither shape: not a SIP message.  SP at the end of the line is
 * taken (RFC 4475 §3.1.2.10 allows it; libosip2 does not), so the copy
 * libosip2 parses leaves it out.
 */
static bool start_line_scan(struct sip_msg *m, const char *buf, size_t len, struct start_line *sl)
{
	const char *nl = memchr(buf, '\n', len), *sp;
	size_t n = nl ? (size_t)(nl - buf) : len, a, b, i, k;

	if (n > 0 && buf[n - 1] == '\r')
		n--;
	while (n > 0 && buf[n - 1] == ' ') {
		n--;
		sl->trailing_sp = true;
	}
	sl->end = n;
	if (n >= 4 && strncasecmp(buf, "SIP/", 4) == 0) {
		sp = memchr(buf, ' ', n);
		m->raw.version_bad = !version_ok(buf, sp ? (size_t)(sp - buf) : n);
		return true;
	}
	if (!(sp = memchr(buf, ' ', n)) || sp == buf)
		return false;
	a = (size_t)(sp - buf);
	for (b = n; buf[b - 1] != ' '; b--)
		;
	if (b - 1 == a || n - b < 4 || strncasecmp(buf + b, "SIP/", 4) != 0)
		return false;
	sl->request = true;
	sl->method_len = a;
	sl->uri_off = a + 1;
	sl->uri_len = b - 1 - sl->uri_off;
	sl->ver_off = b;
	m->raw.version_bad = !version_ok(buf + b, n - b);
	m->raw.version_malformed = !version_wellformed(buf + b, n - b);
	sl->hide_version = m->raw.version_malformed;
	for (i = 0; i < a; i++)
		if (!is_token_char(buf[i]))
			m->raw.method_bad = true;
	sl->hide_method = m->raw.method_bad;
	for (i = sl->uri_off; i < b - 1; i++)
		if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f)
			m->raw.ruri_bad = true;
	if (!(k = scheme_len(buf + sl->uri_off, sl->uri_len)))
		m->raw.ruri_bad = true;
	if (!m->raw.ruri_bad) {
		snprintf(m->raw.scheme, sizeof(m->raw.scheme), "%.*s", (int)k, buf + sl->uri_off);
		for (char *p = m->raw.scheme; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	sl->hide_uri = m->raw.ruri_bad || !scheme_is_ours(m->raw.scheme);
	return true;
}

/* CSeq: 1*DIGIT LWS Method, the number below 2^31 (§8.1.1.5). */
static int cseq_raw_check(const char *v, size_t n)
{
	size_t i = 0;
	unsigned long long num = 0;

	if (n == 0 || !isdigit((unsigned char)v[0]))
		return MSG_CSEQ_SYNTAX;
	for (; i < n && isdigit((unsigned char)v[i]); i++) {
		num = num * 10 + (unsigned)(v[i] - '0');
		if (num > 0xffffffffULL)
			return MSG_CSEQ_RANGE;
	}
	if (i == n || (v[i] != ' ' && v[i] != '\t'))
		return MSG_CSEQ_SYNTAX;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i == n)
		return MSG_CSEQ_SYNTAX;
	return num >= 0x80000000ULL ? MSG_CSEQ_RANGE : MSG_CSEQ_OK;
}

/* Max-Forwards: 1*DIGIT, 0..255 (§20.22); leading zeros are digits too (RFC 4475 wsinv). */
static bool maxfwd_ok(const char *v, size_t n)
{
	unsigned val = 0;

	while (n > 1 && v[0] == '0') {
		v++;
		n--;
	}
	if (n == 0 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return false;
		val = val * 10 + (unsigned)(v[i] - '0');
	}
	return val <= 255;
}

static void bump(uint8_t *c)
{
	if (*c < UINT8_MAX)
		(*c)++;
}

/*
 * The value of h with its LWS squeezed (§7.3.1) into tmp when it has any
 * to squeeze and fits, so that the checks below read "1 INVITE" from
 * "1\r\n\tINVITE".
 */
static void hdr_value_clean(struct frame_hdr *h, char *tmp, size_t size)
{
	if (!h->unclean || h->value_len > size)
		return;
	h->value_len = frame_value_squeeze(h->value, h->value_len, tmp);
	h->value = tmp;
}

/*
 * Scan the header block: count, check CSeq / Max-Forwards, and say whether
 * libosip2 needs a cleaned copy (a unique header repeated, or a header
 * that is folded, holds an HTAB or has blanks before its colon).
 */
static bool raw_scan(struct sip_msg *m, const char *buf, size_t hdr_len)
{
	size_t pos;
	struct frame_hdr h;
	bool repeats = false;
	char tmp[128];

	pos = (size_t)((const char *)memchr(buf, '\n', hdr_len) - buf) + 1;
	while (frame_next_hdr(buf, hdr_len, &pos, &h)) {
		repeats |= h.unclean;
		if (is_via(&h)) {
			bump(&m->raw.n_via);
			continue;
		}
		switch (classify(&h)) {
		case U_FROM: bump(&m->raw.n_from); repeats |= m->raw.n_from > 1; break;
		case U_TO: bump(&m->raw.n_to); repeats |= m->raw.n_to > 1; break;
		case U_CALLID: bump(&m->raw.n_callid); repeats |= m->raw.n_callid > 1; break;
		case U_CSEQ:
			bump(&m->raw.n_cseq);
			repeats |= m->raw.n_cseq > 1;
			if (m->raw.n_cseq == 1) {
				hdr_value_clean(&h, tmp, sizeof(tmp));
				m->raw.cseq_err = cseq_raw_check(h.value, h.value_len);
			}
			break;
		case U_CLEN: bump(&m->raw.n_clen); break;
		case U_CTYPE: bump(&m->raw.n_ctype); repeats |= m->raw.n_ctype > 1; break;
		case U_MAXFWD:
			bump(&m->raw.n_maxfwd);
			repeats |= m->raw.n_maxfwd > 1;
			hdr_value_clean(&h, tmp, sizeof(tmp));
			if (!maxfwd_ok(h.value, h.value_len))
				m->raw.maxfwd_bad = true;
			break;
		case U_NONE: break;
		}
	}
	return repeats;
}

/*
 * Stand-ins for the fields of a request line libosip2 must not see
 * (start_line_scan): they make it parse the rest, so that the request can
 * be answered.  None of them reaches the user: msg_check_request() refuses
 * a request whose method, URI or version was stood in for, and a URI of a
 * scheme we do not read keeps that scheme in m->raw.scheme (416).
 */
#define METHOD_STANDIN "UNPARSED"
#define RURI_STANDIN "sip:unparsed.invalid" /* RFC 2606 §2: a name that never resolves */
#define VERSION_STANDIN "SIP/2.0"

static size_t put(char *out, size_t n, const char *s, size_t len)
{
	memcpy(out + n, s, len);
	return n + len;
}

/* The start line as libosip2 should parse it, with its stand-ins and CRLF. */
static size_t copy_start_line(char *out, const char *buf, const struct start_line *sl)
{
	size_t n;

	if (!sl->hide_method && !sl->hide_uri && !sl->hide_version) {
		n = put(out, 0, buf, sl->end);
	} else {
		n = sl->hide_method ? put(out, 0, METHOD_STANDIN, strlen(METHOD_STANDIN))
				    : put(out, 0, buf, sl->method_len);
		out[n++] = ' ';
		n = sl->hide_uri ? put(out, n, RURI_STANDIN, strlen(RURI_STANDIN))
				 : put(out, n, buf + sl->uri_off, sl->uri_len);
		out[n++] = ' ';
		n = sl->hide_version ? put(out, n, VERSION_STANDIN, strlen(VERSION_STANDIN))
				     : put(out, n, buf + sl->ver_off, sl->end - sl->ver_off);
	}
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

/*
 * One header line as libosip2 should see it: as it is if clean; else
 * "Name: value" with the value's LWS squeezed to single SPs (§7.3.1,
 * §25.1), which libosip2 then reads in every header alike.  A line
 * without a colon stays as it is (it is not a header).  Returns the bytes
 * written (at most line_len + 3).
 */
static size_t copy_hdr(char *out, const char *buf, const struct frame_hdr *h)
{
	size_t n;

	if (!h->unclean || !memchr(buf + h->line_off, ':', h->line_len)) {
		memcpy(out, buf + h->line_off, h->line_len);
		n = h->line_len;
		if (out[n - 1] != '\n')
			out[n++] = '\n';
		return n;
	}
	memcpy(out, h->name, h->name_len);
	n = h->name_len;
	out[n++] = ':';
	if (h->value_len) {
		out[n++] = ' ';
		n += frame_value_squeeze(h->value, h->value_len, out + n);
	}
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

/*
 * Whether libosip2 reads header h alone, tried on the scratch message as
 * its parser would (after our LWS squeeze).  Only after libosip2 refused a
 * whole request: see msg_parse().
 */
static bool hdr_readable(osip_message_t *scratch, const struct frame_hdr *h)
{
	char *t = malloc(h->name_len + h->value_len + 2);
	bool ok;

	if (!t)
		return true; /* no memory to tell: leave it to the parse */
	memcpy(t, h->name, h->name_len);
	t[h->name_len] = '\0';
	t[h->name_len + 1 + frame_value_squeeze(h->value, h->value_len, t + h->name_len + 1)] =
	    '\0';
	ok = osip_message_set_multiple_header(scratch, t, t + h->name_len + 1) == OSIP_SUCCESS;
	free(t);
	return ok;
}

/* h's name for a reason phrase: as sent if a token, else "a"; truncated. */
static void hdr_name_for_reason(const struct frame_hdr *h, char *out, size_t size)
{
	for (size_t i = 0; i < h->name_len; i++)
		if (!is_token_char(h->name[i])) {
			snprintf(out, size, "a");
			return;
		}
	snprintf(out, size, "%.*s", (int)h->name_len, h->name);
}

/* What clean_copy() does besides copying. */
struct clean_opts {
	bool drop_cseq;		     /* leave CSeq out */
	const struct start_line *sl; /* start line, Request-URI to hide */
	osip_message_t *vet;	     /* non-NULL: leave out what libosip2 cannot read */
	char *bad;		     /* with vet: the first header left out, by name */
	size_t bad_size;
};

/* Bytes clean_copy() may write for a header block of hdr_len and a body of body_len. */
static size_t clean_cap(size_t hdr_len, size_t body_len)
{
	return 2 * hdr_len + sizeof(METHOD_STANDIN) + sizeof(RURI_STANDIN) + sizeof(VERSION_STANDIN) +
	       body_len + 48;
}

/*
 * Build what libosip2 should parse into out (clean_cap() bytes), in one
 * copy: the start line without trailing SP (stand-ins for the fields
 * libosip2 must not see), the header block with LWS normalised,
 * without repeated unique headers and without Content-Length, a
 * Content-Length of body_len, the empty line and body_len bytes of body.
 * o->drop_cseq leaves CSeq out too: libosip2 refuses a whole message for a
 * CSeq without a method, and we still want to answer it 400.  Returns the
 * length.
 */
static size_t clean_copy(char *out, const char *buf, size_t hdr_len, const char *body,
			 size_t body_len, const struct clean_opts *o)
{
	uint8_t seen[U_NONE] = { 0 };
	struct frame_hdr h;
	size_t n, pos;

	pos = (size_t)((const char *)memchr(buf, '\n', hdr_len) - buf) + 1;
	n = copy_start_line(out, buf, o->sl);
	while (frame_next_hdr(buf, hdr_len, &pos, &h)) {
		enum uniq_hdr id = is_via(&h) ? U_NONE : classify(&h);

		if (id == U_CLEN || (id == U_CSEQ && o->drop_cseq) || (id != U_NONE && seen[id]++))
			continue;
		if (o->vet && !hdr_readable(o->vet, &h)) {
			if (!o->bad[0] && is_via(&h))
				snprintf(o->bad, o->bad_size, "Via");
			else if (!o->bad[0] && id != U_NONE)
				snprintf(o->bad, o->bad_size, "%s", counted[id].full);
			else if (!o->bad[0])
				hdr_name_for_reason(&h, o->bad, o->bad_size);
			continue;
		}
		n += copy_hdr(out + n, buf, &h);
	}
	n += (size_t)snprintf(out + n, clean_cap(hdr_len, body_len) - n,
			      "Content-Length: %zu\r\n\r\n", body_len);
	memcpy(out + n, body, body_len);
	return n + body_len;
}

/*
 * §25.1: hostport = host [":" port], as in a Via's sent-by (§20.42) and a
 * SIP URI.  host is a hostname (letters, digits, "-", "."), an IPv4
 * address, or an IPv6 reference (libosip2 has taken its brackets off: an
 * IPv6 address); port is 1..65535.
 */
static bool hostport_ok(const char *host, const char *port)
{
	struct in6_addr a6;
	unsigned long p = 0;

	if (!host || !host[0])
		return false;
	if (strchr(host, ':')) {
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return false;
	} else {
		for (const char *c = host; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
				return false;
	}
	if (!port)
		return true;
	for (size_t i = 0; port[i]; i++) {
		if (!isdigit((unsigned char)port[i]) || i >= 5)
			return false;
		p = p * 10 + (unsigned long)(port[i] - '0');
	}
	return p >= 1 && p <= 65535;
}

/*
 * Whether libosip2 reads the Request-URI buf[0..len) (of a scheme we
 * read).  Only after it refused a whole request: see msg_parse().
 */
static bool uri_readable(const char *buf, size_t len)
{
	osip_uri_t *u = NULL;
	char *t = malloc(len + 1);
	bool ok = true; /* no memory to tell: leave it to the parse */

	if (t && osip_uri_init(&u) == OSIP_SUCCESS) {
		memcpy(t, buf, len);
		t[len] = '\0';
		ok = osip_uri_parse(u, t) == OSIP_SUCCESS;
	}
	osip_uri_free(u);
	free(t);
	return ok;
}

/*
 * libosip2 takes some SIP URIs that are not: "sip:a@[::1" becomes host
 * "[:" and port "1", "sip:a@b:x" port "x".  A sip: or sips: Request-URI
 * it parsed must have a hostport (§19.1.1, §25.1).
 */
static bool ruri_hostport_ok(const struct sip_msg *m)
{
	const osip_uri_t *u = m->sip->req_uri;

	if (strcmp(m->raw.scheme, "sip") != 0 && strcmp(m->raw.scheme, "sips") != 0)
		return true;
	return u && hostport_ok(u->host, u->port);
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

int msg_parse(struct sip_msg **mp, const char *buf, size_t len, bool oversize)
{
	struct sip_msg *m = NULL;
	struct frame_info fi;
	struct start_line sl = {0};
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
	if (!start_line_scan(m, buf, len, &sl)) {
		msg_free(m);
		return -EBADMSG;
	}
	repeats = raw_scan(m, buf, fi.hdr_len);

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
	    !uri_readable(buf + sl.uri_off, sl.uri_len)) {
		m->raw.ruri_bad = true;
		sl.hide_uri = true;
	}
	if (err == -EBADMSG) {
		struct clean_opts o = {.drop_cseq = m->raw.cseq_err != MSG_CSEQ_OK, .sl = &sl};

		if (!(copy = malloc(clean_cap(fi.hdr_len, body_len))))
			err = -ENOMEM;
		else
			err = osip_parse(
			    m, copy,
			    clean_copy(copy, buf, fi.hdr_len, buf + fi.hdr_len, body_len, &o));
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
			plen = clean_copy(copy, buf, fi.hdr_len, buf + fi.hdr_len, body_len, &o);
			osip_message_free(o.vet);
			err = m->raw.bad_hdr[0] ? osip_parse(m, copy, plen) : -EBADMSG;
		}
	}
	if (!err && msg_refresh(m) < 0 && !m->is_request && !m->method)
		err = -EBADMSG;	/* a response without CSeq cannot be matched */
	if (!err && sl.request && !sl.hide_uri && !ruri_hostport_ok(m))
		m->raw.ruri_bad = true;
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

static const char *tag_of(osip_from_t *h)
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
static void refresh_via(struct sip_msg *m)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *br = NULL;

	m->branch = NULL;
	m->via_host = NULL;
	m->via_port = 0;
	if (osip_message_get_via(m->sip, 0, &via) < 0 || !via || !hostport_ok(via->host, via->port))
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

	m->is_request = MSG_IS_REQUEST(s);
	m->status = m->is_request ? 0 : s->status_code;
	m->method = m->is_request ? s->sip_method : (s->cseq ? s->cseq->method : NULL);
	m->cseq = cseq_number(s->cseq);
	m->from_tag = tag_of(s->from);
	m->to_tag = tag_of(s->to);
	refresh_via(m);
	if ((err = refresh_call_id(m)) == -ENOMEM)
		return err;
	if (!s->cseq || !s->cseq->method || !s->from || !s->to || !m->call_id || !m->via_host ||
	    !m->method)
		return -EINVAL;
	return 0;
}

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
	else if (m->raw.clen == -1 && m->src.proto == NET_TCP)
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
	if (rport || !net_host_eq(via->host, &m->src.addr))
		err = via_param_set(via, "received", host);
	if (!err && rport) {
		snprintf(port, sizeof(port), "%u", net_addr_port(&m->src.addr));
		err = via_param_set(via, "rport", port);
	}
	if (err)
		return err;
	refresh_via(m);
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

/* Copy one header object of req into r with its clone function. */
#define CLONE_INTO(field, clone)                                                                   \
	do {                                                                                       \
		if (req->sip->field && clone(req->sip->field, &r->field) != OSIP_SUCCESS)          \
			goto out;                                                                  \
	} while (0)

int msg_build_response(struct sip_msg **rp, const struct sip_msg *req, int code,
    const char *reason, const char *to_tag)
{
	osip_message_t *r = NULL;
	struct sip_msg *m;
	int err = -ENOMEM;

	if (osip_message_init(&r) != OSIP_SUCCESS)
		return -ENOMEM;
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, code);
	osip_message_set_reason_phrase(r, osip_strdup(reason ? reason : msg_reason(code)));
	if (osip_list_clone(&req->sip->vias, &r->vias, (int (*)(void *, void **))osip_via_clone) < 0)
		goto out;
	CLONE_INTO(from, osip_from_clone);
	CLONE_INTO(to, osip_to_clone);
	CLONE_INTO(call_id, osip_call_id_clone);
	CLONE_INTO(cseq, osip_cseq_clone);
	if (to_tag && code > 100 && r->to && !tag_of(r->to))
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
	const osip_message_t *inv = invite->sip;
	osip_message_t *ack = NULL;
	osip_via_t *via = NULL;
	int err;

	if (!inv->req_uri || !inv->call_id || !inv->from || !inv->cseq || !resp->sip->to ||
	    osip_message_get_via(inv, 0, &via) < 0 || !via)
		return -EINVAL;
	if (osip_message_init(&ack) != OSIP_SUCCESS)
		return -ENOMEM;
	if ((err = ack_fill(ack, inv, via, resp->sip->to, "ACK")) < 0) {
		osip_message_free(ack);
		return err;
	}
	return msg_wrap(ackp, ack);
}

int msg_build_cancel(struct sip_msg **cp, const struct sip_msg *invite)
{
	const osip_message_t *inv = invite->sip;
	osip_message_t *c = NULL;
	osip_via_t *via = NULL;
	int err;

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
#define REQ_MAX_FORWARDS "70" /* §8.1.1.6 */


/*
 * A control character (or, blank_too, a blank) anywhere.  libosip2 copies
 * such text into a header as it is, so "sip:a@1.2.3.4\r\nX: y" would
 * smuggle in a header of its own.
 */
static bool has_ctl(const char *s, bool blank_too)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f || (blank_too && *s == ' '))
			return true;
	return false;
}

/* RFC 3263 §4.1: ;transport= picks the protocol; none means UDP for sip:. */
static int uri_transport(osip_uri_t *u, enum net_proto *proto, char *why, size_t whylen)
{
	osip_uri_param_t *p = NULL;

	*proto = NET_UDP;
	if (osip_uri_uparam_get_byname(u, "transport", &p) != OSIP_SUCCESS || !p)
		return 0;
	if (!p->gvalue || !p->gvalue[0])
		return why_fmt(why, whylen, -EINVAL, "transport parameter without a value");
	if (net_proto_parse(p->gvalue, proto) < 0)
		return why_fmt(why, whylen, -EPROTONOSUPPORT,
			       "transport '%.16s' is not supported (udp, tcp)", p->gvalue);
	return 0;
}

/* RFC 3263 §4.2: the URI's port, else 5060. 1..65535. */
static int uri_port(const osip_uri_t *u, uint16_t *port, char *why, size_t whylen)
{
	unsigned long v = 0;
	const char *s = u->port;

	*port = SIP_DEFAULT_PORT;
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
	/* sips: means TLS on every hop (§19.1); we have none: refuse rather than downgrade. */
	if (strcasecmp(u->scheme, "sips") == 0)
		return why_fmt(why, whylen, -EPROTONOSUPPORT,
			       "sips: needs TLS, which is not supported (udp, tcp)");
	if ((err = uri_transport(u, &proto, why, whylen)) < 0)
		return err;
	if (!u->host || !u->host[0])
		return why_fmt(why, whylen, -EINVAL, "'%.64s' has no host", uri);
	if ((err = uri_port(u, &port, why, whylen)) < 0)
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

int msg_uri_dest(const char *uri, struct sip_dest *d, char *why, size_t whylen)
{
	osip_uri_t *u = NULL;
	struct sip_dest out;
	int err;

	if (!uri || !uri[0])
		return why_fmt(why, whylen, -EINVAL, "no URI");
	if (has_ctl(uri, true))
		return why_fmt(why, whylen, -EINVAL,
			       "the URI contains a blank or a control character");
	if (osip_uri_init(&u) != OSIP_SUCCESS)
		return why_fmt(why, whylen, -ENOMEM, "out of memory");
	if (osip_uri_parse(u, uri) != OSIP_SUCCESS)
		err = why_fmt(why, whylen, -EINVAL, "'%.64s' is not a SIP URI (sip:user@host:port)",
			      uri);
	else
		err = uri_to_dest(u, uri, &out, why, whylen);
	osip_uri_free(u);
	if (err == 0)
		*d = out;
	return err;
}

/* libosip2's codes, once: OSIP_NOMEM is ours to report, anything else is bad input. */
static int osip_errno(int rc)
{
	if (rc >= 0)
		return 0;
	return rc == OSIP_NOMEM ? -ENOMEM : -EINVAL;
}

/* The host of a as it goes in a header: "192.0.2.1", "[2001:db8::1]". */
static const char *host_ref(const struct net_addr *a, char *buf, size_t size)
{
	char h[NET_ADDR_STRLEN];

	net_addr_host(a, h, sizeof(h));
	snprintf(buf, size, net_addr_family(a) == AF_INET6 ? "[%s]" : "%s", h);
	return buf;
}

/* A parsed URI in *up. 0, -EINVAL, -ENOMEM. */
static int uri_new(const char *s, osip_uri_t **up)
{
	osip_uri_t *u = NULL;
	int rc;

	if (!s || has_ctl(s, true))
		return -EINVAL;
	if (osip_uri_init(&u) != OSIP_SUCCESS)
		return -ENOMEM;
	if ((rc = osip_uri_parse(u, s)) != OSIP_SUCCESS) {
		osip_uri_free(u);
		return osip_errno(rc);
	}
	*up = u;
	return 0;
}

/* Start line (§7.1, §8.1.1.1). */
static int req_line(osip_message_t *r, const struct msg_req_spec *spec)
{
	int err;

	osip_message_set_method(r, osip_strdup(spec->method));
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	if (!r->sip_method || !r->sip_version)
		return -ENOMEM;
	return (err = uri_new(spec->ruri, &r->req_uri)) < 0 ? err : 0;
}

/* To without a tag (§8.1.1.2), From with one (§8.1.1.3). */
static int req_to_from(osip_message_t *r, const struct msg_req_spec *spec)
{
	char fresh[RND_TAG_LEN];
	const char *tag = spec->from_tag;
	char *t;
	int err;

	if (osip_to_init(&r->to) != OSIP_SUCCESS || osip_from_init(&r->from) != OSIP_SUCCESS)
		return -ENOMEM;
	if ((err = uri_new(spec->to ? spec->to : spec->ruri, &r->to->url)) < 0 ||
	    (err = uri_new(spec->from, &r->from->url)) < 0)
		return err;
	if (!tag) {
		rnd_token(fresh, sizeof(fresh));
		tag = fresh;
	}
	if (!tag[0] || has_ctl(tag, true))
		return -EINVAL;
	if (!(t = osip_strdup(tag)))
		return -ENOMEM;
	if (osip_from_set_tag(r->from, t) != OSIP_SUCCESS) {
		osip_free(t);
		return -ENOMEM;
	}
	return 0;
}

/* Call-ID (§8.1.1.4), CSeq (§8.1.1.5), Via: fresh branch and rport (§8.1.1.7, RFC 3581). */
static int req_ids(osip_message_t *r, const struct msg_req_spec *spec)
{
	char host[NET_ADDR_STRLEN + 2], sent_by[NET_ADDR_STRLEN], tok[RND_CALLID_LEN];
	char branch[RND_BRANCH_LEN], buf[RND_CALLID_LEN + NET_ADDR_STRLEN + 64];
	int err;

	host_ref(&spec->via_addr, host, sizeof(host));
	if (spec->call_id) {
		if (!spec->call_id[0] || has_ctl(spec->call_id, true))
			return -EINVAL;
		err = osip_errno(osip_message_set_call_id(r, spec->call_id));
	} else {
		rnd_token(tok, sizeof(tok));
		snprintf(buf, sizeof(buf), "%s@%s", tok, host);
		err = osip_errno(osip_message_set_call_id(r, buf));
	}
	if (err < 0)
		return err;
	snprintf(buf, sizeof(buf), "%u %s", (unsigned)spec->cseq, spec->method);
	if ((err = osip_errno(osip_message_set_cseq(r, buf))) < 0)
		return err;
	rnd_branch(branch);
	snprintf(buf, sizeof(buf), "SIP/2.0/%s %s;branch=%s;rport", net_proto_via(spec->via_proto),
		 net_addr_fmt(&spec->via_addr, sent_by, sizeof(sent_by)), branch);
	return osip_errno(osip_message_set_via(r, buf));
}

/* Max-Forwards (§8.1.1.6), Contact (§8.1.1.8), User-Agent, Content-Length 0. */
static int req_rest(osip_message_t *r, const struct msg_req_spec *spec)
{
	const char *c = spec->contact;
	char *bracketed = NULL;
	int err;

	if ((err = osip_errno(osip_message_set_max_forwards(r, REQ_MAX_FORWARDS))) < 0)
		return err;
	if (c) {
		/* A bare URI in <>: its parameters must stay URI parameters (§20.10). */
		if (c[0] != '<' && c[0] != '"' && c[0] != '*') {
			if (asprintf(&bracketed, "<%s>", c) < 0)
				return -ENOMEM;
			c = bracketed;
		}
		err = has_ctl(c, false) ? -EINVAL : osip_errno(osip_message_set_contact(r, c));
		free(bracketed);
		if (err < 0)
			return err;
	}
	if (spec->user_agent) {
		if (has_ctl(spec->user_agent, false))
			return -EINVAL;
		if ((err = osip_errno(osip_message_set_header(r, "User-Agent", spec->user_agent))) <
		    0)
			return err;
	}
	return osip_errno(osip_message_set_content_length(r, "0"));
}

int msg_build_request(struct sip_msg **mp, const struct msg_req_spec *spec)
{
	osip_message_t *r = NULL;
	int err;

	if (!spec->method || !spec->method[0] || has_ctl(spec->method, true) || !spec->ruri ||
	    !spec->from || spec->cseq >= 0x80000000u || spec->via_addr.len == 0)
		return -EINVAL;
	if (osip_message_init(&r) != OSIP_SUCCESS)
		return -ENOMEM;
	if ((err = req_line(r, spec)) < 0 || (err = req_to_from(r, spec)) < 0 ||
	    (err = req_ids(r, spec)) < 0 || (err = req_rest(r, spec)) < 0) {
		osip_message_free(r);
		return err;
	}
	return msg_wrap(mp, r);
}

int msg_set_to_tag(struct sip_msg *m, const char *tag)
{
	osip_generic_param_t *p = NULL;
	char *v;

	if (!m->sip->to || !tag)
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
	return osip_message_set_header(m->sip, name, value) == OSIP_SUCCESS ? 0 : -ENOMEM;
}

int msg_set_body(struct sip_msg *m, const char *ctype, const char *body, size_t len)
{
	if (osip_message_set_content_type(m->sip, ctype) != OSIP_SUCCESS ||
	    osip_message_set_body(m->sip, body, len) != OSIP_SUCCESS)
		return -ENOMEM;
	return 0;
}

const char *msg_header(const struct sip_msg *m, const char *name, const char *compact)
{
	osip_header_t *h = NULL;

	if (osip_message_header_get_byname(m->sip, name, 0, &h) >= 0 && h)
		return h->hvalue ? h->hvalue : "";
	if (compact && osip_message_header_get_byname(m->sip, compact, 0, &h) >= 0 && h)
		return h->hvalue ? h->hvalue : "";
	return NULL;
}

static unsigned join_named(const struct sip_msg *m, const char *name, char *out, size_t size,
    size_t *used)
{
	osip_header_t *h = NULL;
	unsigned n = 0;
	int pos = 0;

	while ((pos = osip_message_header_get_byname(m->sip, name, pos, &h)) >= 0 && h) {
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

	if (!m->sip->req_uri)
		return -EINVAL;
	if ((rc = osip_uri_to_str(m->sip->req_uri, &s)) != OSIP_SUCCESS || !s) {
		osip_free(s);
		return rc == OSIP_NOMEM ? -ENOMEM : -EINVAL;
	}
	*urip = s;
	return 0;
}

size_t msg_body_len(const struct sip_msg *m)
{
	osip_body_t *b = NULL;

	if (osip_message_get_body(m->sip, 0, &b) < 0 || !b)
		return 0;
	return b->length;
}

const char *msg_body(const struct sip_msg *m, size_t *lenp)
{
	osip_body_t *b = NULL;

	if (osip_message_get_body(m->sip, 0, &b) < 0 || !b || !b->body || !b->length) {
		*lenp = 0;
		return NULL;
	}
	*lenp = b->length;
	return b->body;
}

const char *msg_content_type(const struct sip_msg *m, char *buf, size_t size)
{
	const osip_content_type_t *ct = m->sip->content_type;

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
	return m->sip->from ? uri_text(m->sip->from->url, urip) : -EINVAL;
}

int msg_to_uri(const struct sip_msg *m, char **urip)
{
	return m->sip->to ? uri_text(m->sip->to->url, urip) : -EINVAL;
}

int msg_contact_uri(const struct sip_msg *m, unsigned index, char **urip)
{
	osip_contact_t *c = NULL;

	/* libosip2 keeps "*" as a Contact without a URL. */
	if (index > INT32_MAX || osip_message_get_contact(m->sip, (int)index, &c) < 0 || !c ||
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

	for (rr = osip_list_get_first(&m->sip->record_routes, &it); rr;
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

	if (!route || has_ctl(route, false))
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

int msg_add_route(struct sip_msg *m, const char *value)
{
	int rc;

	if (!value || has_ctl(value, false))
		return -EINVAL;
	rc = osip_message_set_route(m->sip, value);
	return rc == OSIP_SUCCESS ? 0 : rc == OSIP_NOMEM ? -ENOMEM : -EINVAL;
}

const char *msg_ruri_scheme(const struct sip_msg *m, char *buf, size_t size)
{
	const osip_uri_t *u = m->sip->req_uri;
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

int msg_to_str(struct sip_msg *m, char **bufp, size_t *lenp)
{
	char *s = NULL;
	size_t len = 0;

	/* Setters do not clear the text libosip2 caches for osip_message_to_str(). */
	osip_message_force_update(m->sip);
	if (osip_message_to_str(m->sip, &s, &len) != OSIP_SUCCESS || !s)
		return -EINVAL;
	*bufp = s;
	*lenp = len;
	return 0;
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

/* ---- accessors for the UA core ---- */

int msg_copy_record_routes(struct sip_msg *resp, const struct sip_msg *req)
{
	osip_list_iterator_t it;
	osip_record_route_t *rr, *copy;

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

const char *msg_reason_phrase(const struct sip_msg *m)
{
	return m->is_request ? NULL : m->sip->reason_phrase;
}

int msg_contacts(const struct sip_msg *m, msg_contact_fn *fn, void *arg)
{
	osip_list_iterator_t it;
	osip_contact_t *ct;
	int n = 0;

	for (ct = osip_list_get_first(&m->sip->contacts, &it); ct; ct = osip_list_get_next(&it)) {
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
