/*
 * msg_scan: the raw front of the message module, what msg_parse() reads
 * before libosip2 sees a message.
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
 * file scans the raw text once (msg_start_line_scan, then frame_next_hdr
 * for each header): it checks the method, the version and the
 * Request-URI, counts the headers that must be unique, reads CSeq,
 * Max-Forwards and Content-Length itself, and, when needed, hands
 * libosip2 one cleaned copy (msg_clean_copy): LWS normalised (§7.3.1,
 * §25.1: folds and HTABs become one SP), repeats left out, a
 * Content-Length it can trust, stand-ins for the request-line fields it
 * must not see.  Should libosip2 still refuse a
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
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "sip/frame.h"
#include "sip/msg.h"
#include "sip/msg_int.h"

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
bool msg_start_line_scan(struct sip_msg *m, const char *buf, size_t len, struct msg_start_line *sl)
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

#define LINES_MAX_VIA (sizeof(((struct msg_lines *)0)->via) / sizeof(((struct msg_lines *)0)->via[0]))

/*
 * A control character: a lone CR, a NUL, ... would end or bend the line
 * for the peer's parser, which libosip2 read its own way.
 */
static bool has_ctl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return true;
	return false;
}

/*
 * Note where header h (a Via or one of the four) is, for a response built
 * from the text (msg_resp.c).  A folded or HTAB line, a repeat of the
 * four, more Via lines than the array: the lines are not usable, and the
 * response is built through libosip2.  So does a line with a control
 * character.
 */
static void lines_note(struct msg_lines *l, const char *buf, const struct frame_hdr *h,
    struct msg_span *one)
{
	size_t end = (size_t)(h->value + h->value_len - buf);
	struct msg_span s = {
		.off = (uint32_t)h->line_off,
		.len = (uint32_t)(end - h->line_off),
		.voff = (uint32_t)((size_t)(h->value - buf) - h->line_off),
	};

	if (h->unclean || end > UINT32_MAX || has_ctl(buf + h->line_off, s.len))
		l->ok = false;
	if (!one) {
		if (l->n_via < LINES_MAX_VIA)
			l->via[l->n_via] = s;
		else
			l->ok = false;
		bump(&l->n_via);
		return;
	}
	if (one->len)
		l->ok = false;
	*one = s;
}

/* A Record-Route line, for a response that copies them (msg_copy_record_routes). */
static void lines_note_rr(struct msg_lines *l, const char *buf, const struct frame_hdr *h)
{
	size_t end = (size_t)(h->value + h->value_len - buf);

	if (h->unclean || end > UINT32_MAX || l->n_rr >= sizeof(l->rr) / sizeof(l->rr[0]) ||
	    has_ctl(buf + h->line_off, end - h->line_off)) {
		l->rr_ok = false;
		return;
	}
	l->rr[l->n_rr++] = (struct msg_span){
		.off = (uint32_t)h->line_off,
		.len = (uint32_t)(end - h->line_off),
		.voff = (uint32_t)((size_t)(h->value - buf) - h->line_off),
	};
}

/* Which span of m->lines header h goes to; NULL: none (not one of the four). */
static struct msg_span *lines_slot(struct msg_lines *l, enum uniq_hdr id)
{
	switch (id) {
	case U_FROM: return &l->from;
	case U_TO: return &l->to;
	case U_CALLID: return &l->call_id;
	case U_CSEQ: return &l->cseq;
	default: return NULL;
	}
}

/* All four found once, and at least one Via. */
static void lines_done(struct msg_lines *l)
{
	l->ok = l->ok && l->n_via > 0 && l->from.len && l->to.len && l->call_id.len && l->cseq.len;
}

void msg_lines_scan(struct sip_msg *m, const char *text, size_t hdr_len)
{
	const char *nl = memchr(text, '\n', hdr_len);
	size_t pos = nl ? (size_t)(nl - text) + 1 : hdr_len;
	struct frame_hdr h;
	struct msg_span *one;

	memset(&m->lines, 0, sizeof(m->lines));
	m->lines.ok = m->lines.rr_ok = true;
	while (frame_next_hdr(text, hdr_len, &pos, &h)) {
		enum uniq_hdr id = is_via(&h) ? U_NONE : classify(&h);

		if (is_via(&h))
			lines_note(&m->lines, text, &h, NULL);
		else if ((one = lines_slot(&m->lines, id)))
			lines_note(&m->lines, text, &h, one);
		else if (id == U_NONE && name_is(&h, "Record-Route", 0))
			lines_note_rr(&m->lines, text, &h);
	}
	lines_done(&m->lines);
}

/*
 * Scan the header block: count, check CSeq / Max-Forwards, note where the
 * lines a response copies are (m->lines; the wire's, kept if libosip2
 * parses the wire), and say whether libosip2 needs a cleaned copy (a
 * unique header repeated, or a header that is folded, holds an HTAB or
 * has blanks before its colon).
 */
bool msg_raw_scan(struct sip_msg *m, const char *buf, size_t hdr_len)
{
	size_t pos;
	struct frame_hdr h;
	bool repeats = false;
	char tmp[128];

	pos = (size_t)((const char *)memchr(buf, '\n', hdr_len) - buf) + 1;
	memset(&m->lines, 0, sizeof(m->lines));
	m->lines.ok = m->lines.rr_ok = true;
	while (frame_next_hdr(buf, hdr_len, &pos, &h)) {
		enum uniq_hdr id;
		struct msg_span *one;

		repeats |= h.unclean;
		if (is_via(&h)) {
			bump(&m->raw.n_via);
			lines_note(&m->lines, buf, &h, NULL);
			continue;
		}
		id = classify(&h);
		if ((one = lines_slot(&m->lines, id)))
			lines_note(&m->lines, buf, &h, one);
		switch (id) {
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
		case U_NONE:
			if (name_is(&h, "Record-Route", 0))
				lines_note_rr(&m->lines, buf, &h);
			break;
		}
	}
	lines_done(&m->lines);
	return repeats;
}

/*
 * Stand-ins for the fields of a request line libosip2 must not see
 * (msg_start_line_scan): they make it parse the rest, so that the request can
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
static size_t copy_start_line(char *out, const char *buf, const struct msg_start_line *sl)
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

/* Bytes msg_clean_copy() may write for a header block of hdr_len and a body of body_len. */
size_t msg_clean_cap(size_t hdr_len, size_t body_len)
{
	return 2 * hdr_len + sizeof(METHOD_STANDIN) + sizeof(RURI_STANDIN) + sizeof(VERSION_STANDIN) +
	       body_len + 48;
}

/*
 * Build what libosip2 should parse into out (msg_clean_cap() bytes), in one
 * copy: the start line without trailing SP (stand-ins for the fields
 * libosip2 must not see), the header block with LWS normalised,
 * without repeated unique headers and without Content-Length, a
 * Content-Length of body_len, the empty line and body_len bytes of body.
 * o->drop_cseq leaves CSeq out too: libosip2 refuses a whole message for a
 * CSeq without a method, and we still want to answer it 400.  Returns the
 * length.
 */
size_t msg_clean_copy(char *out, const char *buf, size_t hdr_len, const char *body,
			 size_t body_len, const struct msg_clean_opts *o)
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
	n += (size_t)snprintf(out + n, msg_clean_cap(hdr_len, body_len) - n,
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
bool msg_hostport_ok(const char *host, const char *port)
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
bool msg_uri_readable(const char *buf, size_t len)
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
bool msg_ruri_hostport_ok(const struct sip_msg *m)
{
	const osip_uri_t *u = m->sip->req_uri;

	if (strcmp(m->raw.scheme, "sip") != 0 && strcmp(m->raw.scheme, "sips") != 0)
		return true;
	return u && msg_hostport_ok(u->host, u->port);
}
