/*
 * frame: where a SIP message ends in a byte stream (RFC 3261 §7.5, §18.3).
 *
 * A message is a start line, header lines, an empty line, and a body whose
 * length Content-Length gives.  On TCP that is the only way to find the next
 * message; on UDP it tells the message layer how much of the datagram is
 * body.  This scanner reads nothing but line ends and Content-Length, so it
 * stays cheap enough to run on every segment.
 */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sip/frame.h"

/* Largest Content-Length we read as a number; more is malformed. */
#define FRAME_CLEN_MAX 100000000L

size_t frame_skip_crlf(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

/* Offset just past the empty line ending the headers, or 0 if none in n bytes. */
static size_t find_blank_line(const char *buf, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < n && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Offset of the byte after the line starting at pos (after its LF), or end. */
static size_t line_end(const char *buf, size_t end, size_t pos)
{
	const char *nl = memchr(buf + pos, '\n', end - pos);

	return nl ? (size_t)(nl - buf) + 1 : end;
}

static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int frame_next_hdr(const char *buf, size_t hdr_len, size_t *pos, struct frame_hdr *h)
{
	size_t p = *pos, e, colon;

	if (p >= hdr_len || buf[p] == '\r' || buf[p] == '\n')
		return 0;
	e = line_end(buf, hdr_len, p);
	h->unclean = false;
	/* Folded continuation lines belong to this header (§7.3.1). */
	while (e < hdr_len && (buf[e] == ' ' || buf[e] == '\t')) {
		e = line_end(buf, hdr_len, e);
		h->unclean = true;
	}
	h->line_off = p;
	h->line_len = e - p;
	for (colon = p; colon < e && buf[colon] != ':'; colon++)
		;
	h->name = buf + p;
	h->name_len = colon - p;
	while (h->name_len > 0 && (h->name[h->name_len - 1] == ' ' || h->name[h->name_len - 1] == '\t'))
		h->name_len--;
	/* "Name :" is valid (HCOLON, §25.1) but not to every parser. */
	h->unclean |= h->name_len != colon - p;
	if (colon < e)
		colon++;
	/* Inside the header's lines every CR and LF is part of a fold: LWS. */
	while (colon < e && is_lws(buf[colon]))
		colon++;
	h->value = buf + colon;
	h->value_len = e - colon;
	while (h->value_len > 0 && is_lws(h->value[h->value_len - 1]))
		h->value_len--;
	h->unclean |= memchr(buf + p, '\t', e - p) != NULL;
	*pos = e;
	return 1;
}

size_t frame_value_squeeze(const char *v, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_lws(v[i])) {
			out[o++] = v[i];
			continue;
		}
		if (o > 0 && out[o - 1] != ' ')
			out[o++] = ' ';
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	return o;
}

/* Decimal digits only, surrounding white space allowed; -2 if not. */
static long parse_clen(const char *v, size_t n)
{
	long val = 0;
	size_t i = 0;

	if (n == 0)
		return -2;
	for (; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -2;
		val = val * 10 + (v[i] - '0');
		if (val > FRAME_CLEN_MAX)
			return -2;
	}
	return val;
}

static int is_clen_name(const struct frame_hdr *h)
{
	return (h->name_len == 14 && strncasecmp(h->name, "Content-Length", 14) == 0) ||
	       (h->name_len == 1 && (h->name[0] == 'l' || h->name[0] == 'L'));
}

int frame_scan(const char *buf, size_t len, size_t max, struct frame_info *fi)
{
	size_t n = len < max ? len : max;
	size_t hdr_len = find_blank_line(buf, n);
	size_t pos;
	struct frame_hdr h;
	long clen = -1;

	if (hdr_len == 0)
		return len >= max ? -EMSGSIZE : -EAGAIN;
	pos = line_end(buf, hdr_len, 0);
	while (frame_next_hdr(buf, hdr_len, &pos, &h)) {
		long v;

		if (!is_clen_name(&h))
			continue;
		v = parse_clen(h.value, h.value_len);
		/* Two Content-Lengths that disagree: the framing is lost. */
		if (v == -2 || (clen >= 0 && v != clen)) {
			clen = -2;
			break;
		}
		clen = v;
	}
	fi->hdr_len = hdr_len;
	fi->clen = clen;
	fi->msg_len = hdr_len + (clen > 0 ? (size_t)clen : 0);
	return 0;
}
