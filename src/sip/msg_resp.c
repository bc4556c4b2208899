/*
 * msg_resp: responses built as text.
 *
 * Serialising a response through libosip2 costs a malloc per header and
 * more per parameter (osip_message_to_str), and a UAS sends several
 * responses per call.  RFC 3261 §8.2.6.2 makes most of a response a copy
 * of its request: the Via lines in order, From, Call-ID and CSeq equal to
 * the request's, To too, with our tag added.  So a response is written as
 * text into one growing buffer from the lines of the request's kept text
 * (struct msg_lines, noted by the raw scan in msg_scan.c):
 *
 *   SIP/2.0 200 OK                              status line
 *   Via: SIP/2.0/UDP a;branch=z9hG4bK1;rport=5060;received=192.0.2.9
 *   v: SIP/2.0/UDP b;branch=z9hG4bK0            the top Via from libosip2 if
 *                                               the stamp changed it (§18.2.1),
 *                                               every other line as sent
 *   f: <sip:alice@a>;tag=1                      From, Call-ID, CSeq as sent
 *   t: <sip:bob@b>;tag=ours                     To as sent, our tag appended
 *   i: 84b4c76e66710                            when it has none (code > 100)
 *   CSeq: 7 INVITE
 *   Allow: INVITE, ACK                          the TU's headers, in its order
 *   Content-Type: application/sdp               when the TU set a body
 *   Content-Length: 129                         last, then the body
 *
 * A request whose lines are not usable (see msg.h) gets a response built
 * through libosip2 as before (msg_build.c).  The message still answers
 * every accessor: its derived fields are set at build time (strings in its
 * own block), and the rest reads libosip2's parse of the text, made on
 * first use (msg_sip()).  A setter that cannot work on the text (replacing
 * a To tag the request had, a tag after parameters it cannot follow)
 * first turns the message into libosip2's form for good (msg_out_demote).
 * msg_req.c writes our requests with the same machinery.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "sip/frame.h"
#include "sip/msg.h"
#include "sip/msg_int.h"

bool msg_out_raw(const struct sip_msg *m)
{
	return m->out && !m->out->demoted;
}

int msg_out_reserve(struct msg_out *o, size_t n)
{
	size_t cap = o->cap ? o->cap : OUT_MIN_CAP;
	char *b;

	if (o->len + n <= o->cap)
		return 0;
	while (cap < o->len + n)
		cap *= 2;
	if (!(b = realloc(o->buf, cap)))
		return -ENOMEM;
	o->buf = b;
	o->cap = cap;
	return 0;
}

size_t msg_dec(char *d, size_t v)
{
	char t[20];
	size_t n = 0, k = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		d[k++] = t[--n];
	return k;
}

void msg_out_put(struct msg_out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void msg_out_puts(struct msg_out *o, const char *s)
{
	msg_out_put(o, s, strlen(s));
}

/* Insert s at off, moving what follows. 0 or -ENOMEM. */
static int out_insert(struct msg_out *o, size_t off, const char *s, size_t n)
{
	if (msg_out_reserve(o, n) < 0)
		return -ENOMEM;
	memmove(o->buf + off + n, o->buf + off, o->len - off);
	memcpy(o->buf + off, s, n);
	o->len += n;
	return 0;
}

/*
 * Whether req's lines make a response libosip2 would read as it read req:
 * the four headers libosip2 found too, as many Via values in the lines as
 * it found and no quote in them, a To of one value, and parameters a tag
 * can follow.
 */
static bool lines_fit(const struct sip_msg *req, bool tagging)
{
	const struct msg_lines *l = &req->lines;
	const struct msg_span *to = &l->to;
	unsigned vias = 0, k;

	if (!req->text || !l->ok || !req->sip || !req->sip->cseq || !req->sip->cseq->method ||
	    !req->sip->from || !req->sip->to || !req->sip->call_id)
		return false;
	for (unsigned i = 0; i < l->n_via; i++) {
		const struct msg_span *s = &l->via[i];
		const char *v = req->text + s->off + s->voff;

		/*
		 * A quote in a Via (legal only in a via-extension's value) and
		 * libosip2, which splits at every comma, may not agree on its
		 * values.
		 */
		if (memchr(v, '"', s->len - s->voff))
			return false;
		msg_via_first_end(v, s->len - s->voff, &k);
		vias += k;
	}
	if (vias != (unsigned)osip_list_size(&req->sip->vias))
		return false;
	if (msg_has_top_comma(req->text + to->off + to->voff, to->len - to->voff))
		return false;
	return !tagging || msg_to_params_ok(req->text + to->off + to->voff, to->len - to->voff);
}

/* The span s of req's text, and CRLF. */
static void put_line(struct msg_out *o, const struct sip_msg *req, const struct msg_span *s)
{
	msg_out_put(o, req->text + s->off, s->len);
	msg_out_put(o, "\r\n", 2);
}

static void put_param(struct msg_out *o, const char *name, const char *value)
{
	msg_out_put(o, ";", 1);
	msg_out_puts(o, name);
	msg_out_put(o, "=", 1);
	msg_out_puts(o, value);
}

/*
 * The first value v[0..n) of the top Via with the stamp written in, as
 * msg_stamp_via() wrote it into libosip2's Via: the first received= and
 * rport= take recv and rport, received= is appended when absent (§18.2.1,
 * RFC 3581 §4).  The rest is copied.  -EAGAIN: parameters msg_params_ok()
 * refuses, or no rport where libosip2 found one (let it serialise its Via).
 */
static int put_stamped(struct msg_out *o, const char *v, size_t n, const char *recv,
    const char *rport)
{
	const char *semi = memchr(v, ';', n);
	size_t i = semi ? (size_t)(semi - v) : n, e, start = o->len;
	bool got_recv = false, got_rport = false;

	if (memchr(v, '"', i) || !msg_params_ok(v, i, n))
		return -EAGAIN;
	if (msg_out_reserve(o, n + 24 + strlen(recv) + (rport ? strlen(rport) : 0)) < 0)
		return -ENOMEM;
	msg_out_put(o, v, i);
	for (; i < n; i = e) {
		e = msg_param_end(v, i, n);
		if (!got_recv && msg_param_is(v, i, e, "received")) {
			put_param(o, "received", recv);
			got_recv = true;
		} else if (rport && !got_rport && msg_param_is(v, i, e, "rport")) {
			put_param(o, "rport", rport);
			got_rport = true;
		} else {
			msg_out_put(o, v + i, e - i);
		}
	}
	if (rport && !got_rport) {
		o->len = start;
		return -EAGAIN;
	}
	if (!got_recv)
		put_param(o, "received", recv);
	return 0;
}

/* The stamped values of via: received= (NULL: none) and rport= (NULL: none). */
static const char *via_param(osip_via_t *via, const char *name)
{
	osip_generic_param_t *p = NULL;

	if (osip_via_param_get_byname(via, (char *)name, &p) != OSIP_SUCCESS || !p)
		return NULL;
	return p->gvalue ? p->gvalue : "";
}

/* The stamped top value as libosip2 serialises its Via: the way for text we cannot read. */
static int put_osip_via(struct msg_out *o, osip_via_t *via)
{
	char *s = NULL;
	int err = 0;

	if (osip_via_to_str(via, &s) != OSIP_SUCCESS || !s)
		return -ENOMEM;
	if (msg_out_reserve(o, strlen(s)) < 0)
		err = -ENOMEM;
	else
		msg_out_puts(o, s);
	osip_free(s);
	return err;
}

/*
 * The Via lines (§8.2.6.2), copied.  The top value, when msg_stamp_via()
 * changed it, gets the stamp written in (put_stamped); the rest of its
 * line is copied.  0, -ENOMEM, -EINVAL.
 */
static int put_vias(struct msg_out *o, const struct sip_msg *req)
{
	const struct msg_lines *l = &req->lines;
	const struct msg_span *top = &l->via[0];
	const char *v = req->text + top->off + top->voff, *recv;
	osip_via_t *via = NULL;
	size_t first;
	unsigned k;
	int err;

	if (l->via_stamped) {
		if (osip_message_get_via(req->sip, 0, &via) < 0 || !via ||
		    !(recv = via_param(via, "received")))
			return -EINVAL;
		first = msg_via_first_end(v, top->len - top->voff, &k);
		if (msg_out_reserve(o, top->voff) < 0)
			return -ENOMEM;
		msg_out_put(o, req->text + top->off, top->voff); /* the name as sent */
		err = put_stamped(o, v, first, recv, via_param(via, "rport"));
		if (err == -EAGAIN)
			err = put_osip_via(o, via);
		if (err < 0 || msg_out_reserve(o, top->len - top->voff - first + 2) < 0)
			return err < 0 ? err : -ENOMEM;
		msg_out_put(o, v + first, top->len - top->voff - first);
		msg_out_put(o, "\r\n", 2);
	}
	for (unsigned i = l->via_stamped ? 1 : 0; i < l->n_via; i++) {
		if (msg_out_reserve(o, l->via[i].len + 2) < 0)
			return -ENOMEM;
		put_line(o, req, &l->via[i]);
	}
	return 0;
}

const char *msg_arena_dup(char **a, const char *s)
{
	char *d = *a;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*a += n;
	return d;
}

size_t msg_len0(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* The derived fields of the response to req, copied into its block. */
static struct out_block *block_new(const struct sip_msg *req, int code, const char *to_tag)
{
	const char *method = req->sip->cseq->method;
	struct out_block *b;
	char *a;

	b = calloc(1, sizeof(*b) + msg_len0(method) + msg_len0(req->call_id) + msg_len0(req->from_tag) +
			  msg_len0(to_tag) + msg_len0(req->branch) + msg_len0(req->via_host));
	if (!b)
		return NULL;
	a = b->arena;
	b->m.out = &b->o;
	b->m.raw.clen = -1;
	b->m.status = code;
	b->m.cseq = req->cseq;
	b->m.method = msg_arena_dup(&a, method);
	b->m.call_id = msg_arena_dup(&a, req->call_id);
	b->m.from_tag = msg_arena_dup(&a, req->from_tag);
	b->m.to_tag = msg_arena_dup(&a, to_tag);
	b->m.branch = msg_arena_dup(&a, req->branch);
	b->m.via_host = msg_arena_dup(&a, req->via_host);
	b->m.via_port = req->via_port;
	return b;
}

/* Status line, Vias, From, To (with tag), Call-ID, CSeq. 0, -ENOMEM, -EINVAL. */
static int put_head(struct msg_out *o, const struct sip_msg *req, int code, const char *reason,
    const char *tag)
{
	const struct msg_lines *l = &req->lines;
	char status[32] = "SIP/2.0 ";
	size_t n = 8 + msg_dec(status + 8, (size_t)code);
	int err;

	status[n++] = ' ';
	if (msg_out_reserve(o, n + strlen(reason) + 2) < 0)
		return -ENOMEM;
	msg_out_put(o, status, n);
	msg_out_puts(o, reason);
	msg_out_put(o, "\r\n", 2);
	if ((err = put_vias(o, req)) < 0)
		return err;
	if (msg_out_reserve(o, l->from.len + l->to.len + l->call_id.len + l->cseq.len + 8 +
			       (tag ? 5 + strlen(tag) : 0)) < 0)
		return -ENOMEM;
	put_line(o, req, &l->from);
	o->to_val = o->len + l->to.voff;
	msg_out_put(o, req->text + l->to.off, l->to.len);
	o->to_end = o->len;
	if (tag) {
		msg_out_put(o, ";tag=", 5);
		msg_out_puts(o, tag);
		o->tag_len = o->len - o->to_end;
	}
	msg_out_put(o, "\r\n", 2);
	put_line(o, req, &l->call_id);
	put_line(o, req, &l->cseq);
	o->hdrs_off = o->len;
	return 0;
}

/*
 * The response to req as text, if req's lines allow (see this file's
 * header comment).  0, -EAGAIN (they do not: build it through libosip2),
 * -ENOMEM.
 */
int msg_out_build(struct sip_msg **rp, const struct sip_msg *req, int code, const char *reason,
    const char *to_tag)
{
	struct out_block *b;
	const char *tag;
	int err = -ENOMEM;

	tag = to_tag && code > 100 && !req->to_tag ? to_tag : NULL;
	if (!lines_fit(req, tag != NULL))
		return -EAGAIN;
	if (!(b = block_new(req, code, tag ? tag : req->to_tag)))
		return -ENOMEM;
	if (msg_out_reserve(&b->o, 0) < 0 ||
	    (err = put_head(&b->o, req, code, reason ? reason : msg_reason(code), tag)) < 0) {
		msg_free(&b->m);
		return err == -EINVAL ? -EAGAIN : -ENOMEM;
	}
	*rp = &b->m;
	return 0;
}

void msg_out_release(struct sip_msg *m)
{
	free(m->out->buf);
	free(m->out->ctype);
	free(m->out->own_to_tag);
}

/* Content-Type, Content-Length, the empty line, the body: once, before the text goes out. */
static int out_finalise(struct msg_out *o)
{
	char clen[48] = "Content-Length: ";
	size_t n;

	if (o->fin_len)
		return 0;
	n = 16 + msg_dec(clen + 16, o->body_len);
	memcpy(clen + n, "\r\n\r\n", 4);
	n += 4;
	if (msg_out_reserve(o, (o->ctype ? 16 + strlen(o->ctype) : 0) + n + o->body_len) < 0)
		return -ENOMEM;
	o->fin_len = o->len;
	if (o->ctype) {
		msg_out_put(o, "Content-Type: ", 14);
		msg_out_puts(o, o->ctype);
		msg_out_put(o, "\r\n", 2);
	}
	msg_out_put(o, clen, n);
	if (o->body_len)
		msg_out_put(o, o->body, o->body_len);
	return 0;
}

/*
 * Before the text changes: back to before the finalisation, and the parse
 * that was made of it is stale.  -EINVAL: the text was taken.
 */
static int out_edit(struct sip_msg *m)
{
	struct msg_out *o = m->out;

	if (o->spent)
		return -EINVAL;
	if (o->fin_len) {
		o->len = o->fin_len;
		o->fin_len = 0;
	}
	if (m->sip) {
		osip_message_free(m->sip);
		m->sip = NULL;
	}
	return 0;
}

int msg_out_str(struct sip_msg *m, char **bufp, size_t *lenp, bool take)
{
	struct msg_out *o = m->out;
	char *s;

	if (o->spent)
		return -EINVAL;
	if (out_finalise(o) < 0)
		return -ENOMEM;
	if (take) {
		*bufp = o->buf;
		*lenp = o->len;
		o->buf = NULL;
		o->len = o->cap = o->fin_len = 0;
		o->spent = true;
		if (m->sip) {
			osip_message_free(m->sip);
			m->sip = NULL;
		}
		return 0;
	}
	if (!(s = malloc(o->len + 1)))
		return -ENOMEM;
	memcpy(s, o->buf, o->len);
	s[o->len] = '\0'; /* as libosip2's text */
	*bufp = s;
	*lenp = o->len;
	return 0;
}

/* libosip2's parse of the text, or NULL. */
static osip_message_t *out_parse(struct sip_msg *m)
{
	osip_message_t *s = NULL;

	if (m->out->spent || out_finalise(m->out) < 0 || osip_message_init(&s) != OSIP_SUCCESS)
		return NULL;
	if (osip_message_parse(s, m->out->buf, m->out->len) != OSIP_SUCCESS) {
		osip_message_free(s);
		return NULL;
	}
	return s;
}

osip_message_t *msg_out_sip(const struct sip_msg *cm)
{
	/* Read only: an empty message for a text that is gone or does not parse. */
	static osip_message_t empty;
	struct sip_msg *m = (struct sip_msg *)cm; /* the parse is a cache of the text */

	if (!m->sip && !m->out->demoted)
		m->sip = out_parse(m);
	return m->sip ? m->sip : &empty;
}

int msg_out_demote(struct sip_msg *m)
{
	if (!msg_out_raw(m))
		return 0;
	if (!m->sip && !(m->sip = out_parse(m)))
		return -EINVAL;
	m->out->demoted = true;
	return 0;
}

int msg_out_set_to_tag(struct sip_msg *m, const char *tag)
{
	struct msg_out *o = m->out;
	size_t n = strlen(tag);
	char *own, *t;
	int err;

	/* The request's tag, or parameters a tag cannot follow: libosip2's way. */
	if ((m->to_tag && !o->tag_len) ||
	    (!o->tag_len && (o->spent || !msg_to_params_ok(o->buf + o->to_val, o->to_end - o->to_val))))
		return -EAGAIN;
	if ((err = out_edit(m)) < 0)
		return err;
	if (!(own = strdup(tag)) || !(t = malloc(5 + n))) {
		free(own);
		return -ENOMEM;
	}
	memcpy(t, ";tag=", 5);
	memcpy(t + 5, tag, n);
	memmove(o->buf + o->to_end, o->buf + o->to_end + o->tag_len, o->len - o->to_end - o->tag_len);
	o->len -= o->tag_len;
	if (o->hdrs_off > o->to_end)
		o->hdrs_off -= o->tag_len; /* a response's: after To; a request's: before it */
	o->tag_len = 0;
	err = out_insert(o, o->to_end, t, 5 + n);
	free(t);
	if (err < 0) {
		free(own);
		m->to_tag = NULL;
		return err;
	}
	o->tag_len = 5 + n;
	if (o->hdrs_off > o->to_end)
		o->hdrs_off += o->tag_len;
	free(o->own_to_tag);
	m->to_tag = o->own_to_tag = own;
	return 0;
}

int msg_out_add_header(struct sip_msg *m, const char *name, const char *value)
{
	struct msg_out *o = m->out;
	size_t nl = strlen(name), vl = strlen(value);
	int err;

	if ((err = out_edit(m)) < 0)
		return err;
	if (msg_out_reserve(o, nl + vl + 4) < 0)
		return -ENOMEM;
	msg_out_put(o, name, nl);
	msg_out_put(o, ": ", 2);
	msg_out_put(o, value, vl);
	msg_out_put(o, "\r\n", 2);
	return 0;
}

int msg_out_set_body(struct sip_msg *m, const char *ctype, const char *body, size_t len)
{
	struct msg_out *o = m->out;
	size_t cl = strlen(ctype);
	char *c;
	int err;

	if ((err = out_edit(m)) < 0)
		return err;
	if (!(c = malloc(cl + 1 + len)))
		return -ENOMEM;
	memcpy(c, ctype, cl + 1);
	memcpy(c + cl + 1, body, len);
	free(o->ctype);
	o->ctype = c;
	o->body = c + cl + 1;
	o->body_len = len;
	return 0;
}

/*
 * req's Record-Route values as they are, one per line, if its lines hold
 * the values libosip2 found (it drops one it cannot read).  0, -EAGAIN
 * (they do not), -ENOMEM.
 */
static int copy_rr_lines(struct msg_out *o, const struct sip_msg *req)
{
	const struct msg_lines *l = &req->lines;
	unsigned k = 0;
	size_t need = 0;

	if (!req->text || !l->rr_ok)
		return -EAGAIN;
	for (unsigned i = 0; i < l->n_rr; i++) {
		unsigned vals = msg_addr_values_full(req->text + l->rr[i].off + l->rr[i].voff,
						 l->rr[i].len - l->rr[i].voff);

		if (!vals)
			return -EAGAIN;
		k += vals;
		need += l->rr[i].len + 2;
	}
	if (k != (unsigned)osip_list_size(&req->sip->record_routes))
		return -EAGAIN;
	if (msg_out_reserve(o, need + k * 16) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < l->n_rr; i++) {
		const char *v = req->text + l->rr[i].off + l->rr[i].voff;
		size_t n = l->rr[i].len - l->rr[i].voff, a, e, t;

		/* One value per line, as libosip2 writes them (§7.3.1 makes it the same). */
		for (a = 0; a < n; a = e + 1) {
			e = msg_addr_value_end(v, a, n);
			for (t = e; t > a && v[t - 1] == ' '; t--)
				;
			a = msg_skip_lws(v, a, t);
			msg_out_put(o, "Record-Route: ", 14);
			msg_out_put(o, v + a, t - a);
			msg_out_put(o, "\r\n", 2);
		}
	}
	return 0;
}

int msg_out_copy_record_routes(struct sip_msg *m, const struct sip_msg *req)
{
	osip_list_iterator_t it;
	osip_record_route_t *rr;
	int err;

	if ((err = out_edit(m)) < 0)
		return err;
	if ((err = copy_rr_lines(m->out, req)) != -EAGAIN)
		return err;
	for (rr = osip_list_get_first(&req->sip->record_routes, &it); rr;
	     rr = osip_list_get_next(&it)) {
		char *s = NULL;

		if (osip_record_route_to_str(rr, &s) != OSIP_SUCCESS || !s) {
			osip_free(s);
			return -ENOMEM;
		}
		err = msg_out_add_header(m, "Record-Route", s);
		osip_free(s);
		if (err < 0)
			return err;
	}
	return 0;
}

bool msg_hdr_named(const struct frame_hdr *h, const char *name, const char *compact)
{
	size_t n = strlen(name);

	if (h->name_len == n && strncasecmp(h->name, name, n) == 0)
		return true;
	n = compact ? strlen(compact) : 0;
	return n && h->name_len == n && strncasecmp(h->name, compact, n) == 0;
}

bool msg_out_lacks(const struct sip_msg *m, const char *name, const char *compact)
{
	const struct msg_out *o = m->out;
	size_t pos = o->hdrs_off, end = o->fin_len ? o->fin_len : o->len;
	struct frame_hdr h;

	if (!msg_out_raw(m) || o->spent)
		return false;
	while (frame_next_hdr(o->buf, end, &pos, &h))
		if (msg_hdr_named(&h, name, compact))
			return false;
	return true;
}
