/*
 * fuzz_frame: libFuzzer target for SIP stream framing (RFC 3261 §18.3), as
 * every TCP and TLS connection runs it: tp_stream_frame()
 * (src/sip/tp_stream_frame.c, with frame.c under it) over an evbuffer
 * that the bytes reach in arbitrary chunks, each verdict acted on as the
 * connection does (drop skipped CR/LF, deliver and drain a message, stop
 * at a close).
 *
 * Input: byte 0-1 choose max_msg (32..2079 bytes, so the size limits are
 * hit) and, in the top two bits, how many pongs to our pings are awaited
 * (0..3), byte 2-3 seed the chunk sizes (1..64 bytes), the rest is the
 * stream.  Checked on every verdict:
 *  - it consumes bytes or closes (no spinning), never more than are buffered;
 *  - skipped bytes are CR/LF only, and a ping answer comes only for a run
 *    holding CRLFCRLF (RFC 5626 §4.4.1); a pong only while one is
 *    awaited, for bytes ending in CRLF, and never with a ping answer;
 *  - a message never starts with CR/LF and is at most max_msg bytes;
 *  - a whole message is exactly its header block plus Content-Length
 *    (the header block alone without one); a header-only delivery is the
 *    malformed Content-Length (-EPROTO) or over max_msg (-EMSGSIZE);
 * and over the whole input: the messages, the pongs and the close decision
 * are the same whatever the chunks (framing must not depend on how TCP
 * segments the stream), compared against the input fed in one piece.
 *
 *   tests/fuzz/fuzz_frame -max_total_time=60 tests/fuzz/corpus/frame
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/log.h"
#include "core/stats.h"
#include "sip/frame.h"
#include "sip/tp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 4

/* What a run delivered: each message's bytes, its length and flags, in order. */
struct rec {
	uint8_t *buf;
	size_t len, cap;
	unsigned n;
	unsigned pongs; /* pongs seen */
	int close_err;	/* 0: still open at the end */
};

static void rec_add(struct rec *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		r->cap = (r->len + n) * 2 + 64;
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf)
			abort();
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static bool crlf_only(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* A delivered message, checked against its framing verdict. */
static void check_msg(const char *p, const struct tp_frame *out, size_t max)
{
	struct frame_info fi;

	if (out->len > max || p[0] == '\r' || p[0] == '\n')
		abort();
	if (out->oversize || out->err == -EPROTO) {
		/* The header block alone: complete lines, ending in LF. */
		if (p[out->len - 1] != '\n')
			abort();
		if (out->err != -EMSGSIZE && out->err != -EPROTO)
			abort();
		if (out->err == -EPROTO &&
		    (frame_scan(p, out->len, out->len, &fi) != 0 || fi.clen != -2))
			abort();
		return;
	}
	if (out->err != 0)
		abort();
	/* Content-Length honoured: exactly the header block and the body it names. */
	if (frame_scan(p, out->len, out->len, &fi) != 0 || fi.clen == -2)
		abort();
	if (fi.msg_len != out->len || (fi.clen < 0 && fi.hdr_len != out->len) ||
	    (fi.clen >= 0 && fi.hdr_len + (size_t)fi.clen != out->len))
		abort();
}

/* Step until the framer waits or closes, as conn_step does.  false: closed. */
static bool drain(struct tp_framer *f, struct evbuffer *in, size_t max, struct rec *r)
{
	for (;;) {
		size_t have = evbuffer_get_length(in);
		unsigned pongs_before = f->pongs;
		struct tp_frame out;
		const char *p;
		int rc = tp_stream_frame(f, in, max, &out);

		if (rc < 0)
			abort(); /* -ENOMEM only */
		if (rc == 0)
			return true;
		if (out.skip) {
			if (out.len || out.err || out.skip > have)
				abort();
			p = (const char *)evbuffer_pullup(in, (ev_ssize_t)out.skip);
			if (!crlf_only(p, out.skip) ||
			    (out.ping && !memmem(p, out.skip, "\r\n\r\n", 4)))
				abort();
			if (out.pong && (out.ping || f->pongs + 1 != pongs_before || out.skip < 2 ||
					 memcmp(p + out.skip - 2, "\r\n", 2) != 0))
				abort();
			if (!out.pong && f->pongs != pongs_before)
				abort();
			r->pongs += out.pong;
			evbuffer_drain(in, out.skip);
			continue;
		}
		if (out.len == 0) {
			/* Closing with nothing to deliver: a header block over max_msg. */
			if (out.err != -EMSGSIZE || have < max)
				abort();
			r->close_err = out.err;
			return false;
		}
		if (out.len > have)
			abort();
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)out.len);
		check_msg(p, &out, max);
		rec_add(r, &out.len, sizeof(out.len));
		rec_add(r, &out.oversize, sizeof(out.oversize));
		rec_add(r, p, out.len);
		r->n++;
		evbuffer_drain(in, out.len);
		if (out.err) {
			r->close_err = out.err;
			return false;
		}
	}
}

/* The stream through the framer in chunks of 1..64 bytes from seed; chunk 0: in one piece. */
static void run(const uint8_t *s, size_t n, size_t max, unsigned pongs, uint32_t seed, bool whole,
		struct rec *r)
{
	struct evbuffer *in = evbuffer_new();
	struct stats st;
	struct tp_framer f;
	size_t off = 0;

	if (!in)
		abort();
	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	f.name = "fuzz";
	f.st = &st;
	f.pongs = pongs;
	while (off < n) {
		size_t c = n - off;

		if (!whole) {
			seed ^= seed << 13; /* xorshift32 */
			seed ^= seed >> 17;
			seed ^= seed << 5;
			c = 1 + seed % 64;
			if (c > n - off)
				c = n - off;
		}
		if (evbuffer_add(in, s + off, c) < 0)
			abort();
		off += c;
		if (!drain(&f, in, max, r))
			break;
	}
	/* Each close decision was counted once, as the connection's stats see it. */
	if ((r->close_err == -EPROTO) != (st.rx_malformed == 1) || st.rx_malformed > 1 ||
	    st.rx_oversize > 1)
		abort();
	evbuffer_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct rec split = {0}, whole = {0};
	size_t max;
	unsigned pongs;
	uint32_t seed;

	if (!init) {
		log_open(true, LOG_LVL_ERR); /* each close is logged at info */
		init = 1;
	}
	if (size < HDR)
		return 0;
	max = 32 + (((size_t)data[0] << 8 | data[1]) % 2048);
	pongs = data[0] >> 6;
	seed = (uint32_t)data[2] << 8 | data[3] | 1u; /* xorshift needs a non-zero seed */
	run(data + HDR, size - HDR, max, pongs, seed, false, &split);
	run(data + HDR, size - HDR, max, pongs, 0, true, &whole);
	if (split.n != whole.n || split.len != whole.len || split.close_err != whole.close_err ||
	    split.pongs != whole.pongs ||
	    (split.len && memcmp(split.buf, whole.buf, split.len) != 0))
		abort();
	free(split.buf);
	free(whole.buf);
	return 0;
}
