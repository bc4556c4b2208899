/*
 * tp_stream_frame: the framing of SIP over a stream (TCP and TLS alike,
 * RFC 3261 §18.3): where each message in a connection's input ends.
 * tp_stream.c runs it on every connection's input; nothing here knows
 * of sockets, so the fuzzer drives the very same code.  For example
 *
 *   "\r\n\r\n"                                 ping: answered "\r\n" (RFC 5626 §4.4.1)
 *   "OPTIONS sip:a@h SIP/2.0\r\n...Content-Length: 5\r\n\r\nhello"   one message
 *
 * CR/LF bytes before a message are skipped; a run holding CRLFCRLF is a
 * ping and gets one CRLF pong.  While a ping of ours (tp_ping()) awaits
 * its pong, the first CRLF of a run is that pong instead, reported up
 * (the bytes before it dropped, those after it framed anew), and a run
 * ending in CR at the end of what is known waits for the LF that may
 * follow.  Then the header block is found (frame.h)
 * and the message is Content-Length more bytes long.  No Content-Length:
 * the header block alone is the message (the message layer answers 400).
 * A malformed Content-Length, or a message over max_msg, goes up as its
 * header block, then the connection closes once what is queued for it has
 * been sent (the framing is lost).  A header block over max_msg closes the
 * connection at once.  tp_stream_frame() decides all of this on a bare
 * evbuffer, so the fuzzer (tests/fuzz/fuzz_frame.c) runs the same code.
 */
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/log.h"
#include "sip/tp_int.h"

/* A peer's framing errors, rate-limited (log.h). */
static struct log_rl rl_framing = LOG_RL_INIT("tcp_framing", "TCP framing errors", LOG_RL_PEER);

#define TP_CRLF_PEEK 64 /* CR/LF bytes looked at per step */

/*
 * Our ping's answer in the leading run p[0..n) of CR/LF bytes (f->pongs >
 * 0): the first CRLF, dropped with what precedes it.  A run that fills
 * the peeked avail bytes and ends in CR may be cut before the pong's LF:
 * everything but that CR is dropped, or with the CR alone, wait.
 * 1: out set; 0: no pong here; -EAGAIN: wait.
 */
static int frame_pong(struct tp_framer *f, const char *p, size_t n, size_t avail,
		      struct tp_frame *out)
{
	const char *crlf = memmem(p, n, "\r\n", 2);

	if (crlf) {
		out->skip = (size_t)(crlf - p) + 2;
		out->pong = true;
		f->pongs--;
		return 1;
	}
	if (n < avail || p[n - 1] != '\r')
		return 0;
	if (n == 1)
		return -EAGAIN;
	out->skip = n - 1;
	return 1;
}

/*
 * Leading CR/LF bytes (RFC 5626 §4.4.1): a run holding CRLFCRLF is a
 * keepalive ping and gets one CRLF pong; a shorter run is skipped.  A
 * short run at the end of the data may be half a ping: wait for more.
 * With a ping of ours unanswered, frame_pong() looks first.
 * 1: out->skip set; 0: none; -EAGAIN: wait; -ENOMEM.
 */
static int frame_crlf(struct tp_framer *f, struct evbuffer *in, size_t len, struct tp_frame *out)
{
	size_t avail = len < TP_CRLF_PEEK ? len : TP_CRLF_PEEK;
	const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)avail);
	size_t n;
	int r;

	if (!p)
		return -ENOMEM;
	n = frame_skip_crlf(p, avail);
	if (n == 0)
		return 0;
	if (f->pongs > 0 && (r = frame_pong(f, p, n, avail, out)) != 0)
		return r;
	if (n == len && n < 4)
		return -EAGAIN;
	out->skip = n;
	out->ping = memmem(p, n, "\r\n\r\n", 4) != NULL;
	return 1;
}

/*
 * Find the header block of the message at the head of the input.  Once
 * some bytes are known to hold no blank line, only the new ones (and the
 * two before them) are searched, so a header trickling in byte by byte
 * costs O(n), not O(n²); the whole block is scanned once it is complete.
 * 1: f->fi filled; 0: wait; 2: no blank line within max, f->fi holds the
 * complete lines that fit (the message layer answers 513 from them);
 * -EMSGSIZE: not even one line fits.
 */
static int frame_hdr(struct tp_framer *f, struct evbuffer *in, size_t len, size_t max)
{
	size_t n = len < max ? len : max;
	size_t from = f->scanned > 2 ? f->scanned - 2 : 0;
	struct frame_info fi;
	const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	int r;

	if (!p)
		return -ENOMEM;
	if (from > 0 && from < n && n < max &&
	    frame_scan(p + from, n - from, SIZE_MAX, &fi) == -EAGAIN) {
		f->scanned = n;
		return 0;
	}
	r = frame_scan(p, n, max, &fi);
	if (r == -EAGAIN) {
		f->scanned = n;
		return 0;
	}
	if (r < 0) {
		const char *lf = memrchr(p, '\n', n);

		log_rl_info(&rl_framing, "%s: no end of headers within %zu bytes, closing", f->name,
			    max);
		if (!lf) {
			f->st->rx_oversize++;
			return r;
		}
		f->fi.hdr_len = f->fi.msg_len = (size_t)(lf - p) + 1;
		f->fi.clen = -1;
		return 2;
	}
	f->fi = fi;
	f->have_hdr = true;
	return 1;
}

/* The next message starts after the one out names. */
static int frame_msg(struct tp_framer *f, struct tp_frame *out, size_t len, bool oversize, int err)
{
	f->have_hdr = false;
	f->scanned = 0;
	out->len = len;
	out->oversize = oversize;
	out->err = err;
	return 1;
}

/*
 * The header block is known: the message when all of it is here (exactly
 * msg_len bytes; no Content-Length: the header block), or its header
 * block alone and the end of the framing.  1: out set; 0: wait for the body.
 */
static int frame_body(struct tp_framer *f, size_t len, size_t max, struct tp_frame *out)
{
	const struct frame_info *fi = &f->fi;

	if (fi->clen == -2) {
		log_rl_info(&rl_framing, "%s: malformed Content-Length, closing", f->name);
		f->st->rx_malformed++;
		return frame_msg(f, out, fi->hdr_len, false, -EPROTO);
	}
	if (fi->msg_len > max) {
		log_rl_info(&rl_framing, "%s: %zu-byte message over the %zu-byte limit, closing",
			    f->name, fi->msg_len, max);
		return frame_msg(f, out, fi->hdr_len, true, -EMSGSIZE);
	}
	if (len < fi->msg_len)
		return 0;
	return frame_msg(f, out, fi->msg_len, false, 0);
}

int tp_stream_frame(struct tp_framer *f, struct evbuffer *in, size_t max, struct tp_frame *out)
{
	size_t len = evbuffer_get_length(in);
	int r;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return 0;
	if (!f->have_hdr) {
		r = frame_crlf(f, in, len, out);
		if (r != 0)
			return r == -EAGAIN ? 0 : r;
		r = frame_hdr(f, in, len, max);
		if (r == 2)
			return frame_msg(f, out, f->fi.hdr_len, true, -EMSGSIZE);
		if (r == -EMSGSIZE) {
			out->err = r; /* nothing to deliver */
			return 1;
		}
		if (r <= 0)
			return r;
	}
	return frame_body(f, len, max, out);
}
