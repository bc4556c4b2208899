/*
 * frame: where a SIP message ends in a byte stream.
 *
 * libosip2 cannot say how many bytes it consumed (osip_message_parse takes
 * a length but reports nothing back), so TCP framing and the raw header
 * checks of the message layer use this scanner: find the blank line that
 * ends the headers, read Content-Length
 * (or its compact form "l"), and say how long the whole message is.
 */
#ifndef SIPUAD_FRAME_H
#define SIPUAD_FRAME_H

#include <stdbool.h>
#include <stddef.h>

struct frame_info {
	size_t hdr_len;		/* bytes up to and including the blank line */
	long clen;		/* Content-Length value; -1 absent, -2 malformed */
	size_t msg_len;		/* hdr_len + clen (clen < 0: hdr_len) */
};

/*
 * Scan buf[0..len).  Leading CRLFs (keepalives, RFC 5626 §4.4.1) are not
 * skipped here: see frame_skip_crlf().
 *   0        complete header block found, *fi filled (the body may still be
 *            incomplete: compare msg_len with len)
 *   -EAGAIN  no blank line yet
 *   -EMSGSIZE no blank line within max bytes
 */
int frame_scan(const char *buf, size_t len, size_t max, struct frame_info *fi);

/* Number of leading CR/LF bytes in buf. */
size_t frame_skip_crlf(const char *buf, size_t len);

/*
 * Iterate over header lines of a header block (the part after the start
 * line).  Folded continuation lines (starting with SP/HT) belong to the
 * header before them (§7.3.1).  Returns 1 with name/value spans set, 0 at
 * the end.  *pos starts at the offset of the first header line.
 */
struct frame_hdr {
	const char *name;
	size_t name_len;	/* blanks before the colon excluded */
	const char *value;	/* leading LWS (folds included) skipped */
	size_t value_len;	/* trailing LWS and CRLF excluded; may hold folds */
	size_t line_off;	/* offset of the line in buf */
	size_t line_len;	/* whole line(s), CRLF included */
	bool unclean;		/* folded, holds an HTAB, or blanks before the colon */
};
int frame_next_hdr(const char *buf, size_t hdr_len, size_t *pos, struct frame_hdr *h);

/*
 * §7.3.1, §25.1: a value's linear white space (SP, HTAB, line folds) is
 * equivalent to one SP.  Writes v[0..n) to out with each LWS run as one SP
 * and none at either end; out needs n bytes (the result is never longer).
 * Returns its length.  out == v is allowed.
 */
size_t frame_value_squeeze(const char *v, size_t n, char *out);

#endif
