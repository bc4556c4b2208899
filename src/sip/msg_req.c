/*
 * msg_req: the requests we send, built as text.
 *
 * Serialising through libosip2 costs a malloc per header and more per
 * parameter, and parsing the URIs we are handed costs as much again.  A
 * request of ours is mostly text we already have: inside a dialog, To,
 * From, Call-ID, the Route set, our Contact and User-Agent are the same
 * in every request (§12.2.1.1), so dlg.c keeps them as bytes
 * (msg_dlg_lines(), checked once) and each ACK, BYE or re-INVITE is those
 * bytes with a start line, a Via and a CSeq around them:
 *
 *   BYE sip:alice@192.0.2.1:5070 SIP/2.0         start line (§8.1.1.1)
 *   Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK...;rport
 *   Max-Forwards: 70                             a fresh branch, RFC 3581
 *   CSeq: 11 BYE
 *   To: <sip:alice@a.example>;tag=a1             the dialog's lines, as kept
 *   From: <sip:bob@b.example>;tag=b7
 *   Call-ID: c1@a
 *   Route: <sip:p2.example.com;lr>
 *   Contact: <sip:bob@192.0.2.2:5060>
 *   User-Agent: sipuad
 *   Content-Length: 0                            the TU's headers and body
 *                                                as for a response
 *
 * A request outside a dialog (§8.1.1) is written the same way from its
 * spec, after the checks libosip2's builder made: every URI must parse,
 * no field may carry a control character.  The message answers every
 * accessor as a response built as text does (msg_resp.c): its derived
 * fields are set here, the rest reads libosip2's parse of the text, made
 * on first use.
 */

#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "core/rnd.h"
#include "sip/frame.h"
#include "sip/msg.h"
#include "sip/msg_int.h"

#define REQ_MAX_FORWARDS "70"  /* §8.1.1.6 */
#define CSEQ_LIMIT 0x80000000u /* §8.1.1.5 */
/* The hop limit and the CSeq's name, after the Via. */
#define MF_CSEQ "Max-Forwards: " REQ_MAX_FORWARDS "\r\nCSeq: "
/* After the branch: rport asked for (RFC 3581), then MF_CSEQ. */
#define VIA_TAIL ";rport\r\n" MF_CSEQ
/*
 * What req_write() writes besides the method (twice), the Request-URI, the
 * sent-by, the CSeq number and the lines (each sizeof counts one byte more).
 */
#define REQ_FIXED_LEN                                                                              \
	(sizeof(" SIP/2.0\r\nVia: SIP/2.0/TLS ;branch=") + RND_BRANCH_LEN + sizeof(VIA_TAIL) +     \
	 sizeof(" \r\n"))

/* What the start line, Via and CSeq are made of, and the lines that follow. */
struct req_parts {
	const char *method;
	const char *ruri;
	uint32_t cseq;
	enum net_proto via_proto;
	const struct net_addr *via_addr;
	const char *lines; /* To, From, Call-ID, ...: each line with its CRLF */
	size_t lines_len;
	size_t to_val, to_end; /* the To value in lines; to_end 0: a tag cannot go in as text */
	const char *call_id, *from_tag, *to_tag; /* the derived fields, as in lines */
};

/* Method: a token (§25.1). */
static bool token_ok(const char *s)
{
	static const char extra[] = "-.!%*_+`'~";

	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

/*
 * A Call-ID or a tag as it is echoed: a peer's value goes back exactly as
 * it came, whatever its grammar (base64 Call-IDs end in '='), so only what
 * would change how the line reads is refused: nothing empty, no blank or
 * control character, and in a tag none of ; , < > " (another parameter,
 * another value, the end of the name-addr).
 */
static bool word_ok(const char *s)
{
	return s && *s && !msg_has_ctl(s, true);
}

static bool tag_ok(const char *s)
{
	return word_ok(s) && !strpbrk(s, ";,<>\"");
}

/*
 * A URI that can be written between < and > as it is: not empty, no
 * blank or control character, none of < > " (RFC 3986 §2 leaves them out
 * of a URI; one here would end the name-addr early).
 */
static bool uri_text_ok(const char *s)
{
	return s && *s && !msg_has_ctl(s, true) && !strpbrk(s, "<>\"");
}

/* A URI libosip2 reads (so the peer's parser likely does too). 0, -EINVAL, -ENOMEM. */
static int uri_parses(const char *s)
{
	osip_uri_t *u = NULL;
	char why[8];
	int err;

	if (!uri_text_ok(s))
		return -EINVAL;
	if ((err = msg_uri_parse_checked(s, &u, why, sizeof(why))) < 0)
		return err;
	osip_uri_free(u);
	return 0;
}

/* A bare URI goes in <> (§20.10: its parameters stay URI parameters); else as it is. */
static bool contact_bare(const char *c)
{
	return c[0] != '<' && c[0] != '"' && c[0] != '*';
}

/* A Contact value libosip2 reads. 0, -EINVAL, -ENOMEM. */
static int contact_ok(const char *c)
{
	osip_contact_t *ct = NULL;
	char *v = NULL;
	int rc;

	if (!c || !*c || msg_has_ctl(c, false))
		return -EINVAL;
	if (contact_bare(c)) {
		if (!uri_text_ok(c))
			return -EINVAL;
		if (asprintf(&v, "<%s>", c) < 0)
			return -ENOMEM;
	}
	if (osip_contact_init(&ct) != OSIP_SUCCESS) {
		free(v);
		return -ENOMEM;
	}
	rc = osip_contact_parse(ct, v ? v : c);
	osip_contact_free(ct);
	free(v);
	return msg_osip_rc(rc);
}

/* A growing text: the lines a request carries after its CSeq. */
struct lines {
	struct msg_out o; /* only its buf, len and cap */
	bool nomem;	  /* sticky: the writers below do nothing after a failure */
	size_t to_val, to_end;
};

static void l_put(struct lines *l, const char *s, size_t n)
{
	if (l->nomem || msg_out_reserve(&l->o, n) < 0)
		l->nomem = true;
	else
		msg_out_put(&l->o, s, n);
}

static void l_puts(struct lines *l, const char *s)
{
	l_put(l, s, strlen(s));
}

/* "Name: <uri>;tag=tag\r\n"; tag NULL: none. */
static void l_addr(struct lines *l, const char *name, const char *uri, const char *tag)
{
	l_puts(l, name);
	l_put(l, ": <", 3);
	l_puts(l, uri);
	l_put(l, ">", 1);
	if (tag) {
		l_put(l, ";tag=", 5);
		l_puts(l, tag);
	}
}

/* To, From, Call-ID; the To value's place noted for msg_set_to_tag(). */
static void l_ids(struct lines *l, const char *to, const char *to_tag, const char *from,
		  const char *from_tag, const char *call_id)
{
	l->to_val = l->o.len + 4;
	l_addr(l, "To", to, to_tag);
	l->to_end = l->o.len;
	l_put(l, "\r\n", 2);
	l_addr(l, "From", from, from_tag);
	l_put(l, "\r\nCall-ID: ", 11);
	l_puts(l, call_id);
	l_put(l, "\r\n", 2);
}

/* Contact and User-Agent, each if given. */
static void l_contact_ua(struct lines *l, const char *contact, const char *ua)
{
	if (contact) {
		l_put(l, "Contact: ", 9);
		if (contact_bare(contact))
			l_put(l, "<", 1);
		l_puts(l, contact);
		if (contact_bare(contact))
			l_put(l, ">", 1);
		l_put(l, "\r\n", 2);
	}
	if (ua) {
		l_put(l, "User-Agent: ", 12);
		l_puts(l, ua);
		l_put(l, "\r\n", 2);
	}
}

int msg_dlg_lines(char **linesp, size_t *lenp, const struct msg_dlg_ids *ids)
{
	struct lines l = {0};
	int err;

	if (!uri_text_ok(ids->ruri) || !uri_text_ok(ids->remote_uri) ||
	    !uri_text_ok(ids->local_uri) || !tag_ok(ids->remote_tag) || !tag_ok(ids->local_tag) ||
	    !word_ok(ids->call_id) || (ids->route_last && !uri_text_ok(ids->route_last)) ||
	    (ids->user_agent && msg_has_ctl(ids->user_agent, false)))
		return -EINVAL;
	for (size_t i = 0; i < ids->n_route; i++)
		if (!ids->route[i] || !ids->route[i][0] || msg_has_ctl(ids->route[i], false))
			return -EINVAL;
	if (ids->contact && (err = contact_ok(ids->contact)) < 0)
		return err;

	l_ids(&l, ids->remote_uri, ids->remote_tag, ids->local_uri, ids->local_tag, ids->call_id);
	for (size_t i = 0; i < ids->n_route; i++) {
		l_put(&l, "Route: ", 7);
		l_puts(&l, ids->route[i]);
		l_put(&l, "\r\n", 2);
	}
	if (ids->route_last) {
		l_put(&l, "Route: <", 8);
		l_puts(&l, ids->route_last);
		l_put(&l, ">\r\n", 3);
	}
	l_contact_ua(&l, ids->contact, ids->user_agent);
	l_put(&l, "", 1); /* a string too, for logs and tests */
	if (l.nomem) {
		free(l.o.buf);
		return -ENOMEM;
	}
	*linesp = l.o.buf;
	*lenp = l.o.len - 1;
	return 0;
}

/* The request's block: the message, its text state and its derived strings. */
static struct out_block *req_block(const struct req_parts *p, const char *branch,
				   const char *via_host, uint16_t via_port)
{
	struct out_block *b;
	char *a;

	b = calloc(1, sizeof(*b) + msg_len0(p->method) + msg_len0(p->call_id) +
			  msg_len0(p->from_tag) + msg_len0(p->to_tag) + msg_len0(branch) +
			  msg_len0(via_host));
	if (!b)
		return NULL;
	a = b->arena;
	b->m.out = &b->o;
	b->m.raw.clen = -1;
	b->m.is_request = true;
	b->m.cseq = p->cseq;
	b->m.method = msg_arena_dup(&a, p->method);
	b->m.call_id = msg_arena_dup(&a, p->call_id);
	b->m.from_tag = msg_arena_dup(&a, p->from_tag);
	b->m.to_tag = msg_arena_dup(&a, p->to_tag);
	b->m.branch = msg_arena_dup(&a, branch);
	b->m.via_host = msg_arena_dup(&a, via_host);
	b->m.via_port = via_port;
	return b;
}

/* Start line, Via, Max-Forwards, CSeq, then p's lines: a request to finish with the setters. */
static int req_write(struct sip_msg **mp, const struct req_parts *p)
{
	char branch[RND_BRANCH_LEN], host[NET_ADDR_STRLEN], sent_by[NET_ADDR_STRLEN];
	char num[24];
	const char *proto = net_proto_via(p->via_proto);
	struct out_block *b;
	struct msg_out *o;
	size_t ml = strlen(p->method), nl, head;

	rnd_branch(branch);
	net_addr_host(p->via_addr, host, sizeof(host));
	net_addr_fmt(p->via_addr, sent_by, sizeof(sent_by));
	nl = msg_dec(num, p->cseq);
	if (!(b = req_block(p, branch, host, net_addr_port(p->via_addr))))
		return -ENOMEM;
	o = &b->o;
	if (msg_out_reserve(o, 2 * ml + strlen(p->ruri) + strlen(sent_by) + nl + p->lines_len +
				   REQ_FIXED_LEN) < 0) {
		msg_free(&b->m);
		return -ENOMEM;
	}
	msg_out_put(o, p->method, ml);
	msg_out_put(o, " ", 1);
	msg_out_puts(o, p->ruri);
	msg_out_put(o, " SIP/2.0\r\n", 10);
	o->hdrs_off = o->len;
	msg_out_put(o, "Via: SIP/2.0/", 13);
	msg_out_puts(o, proto);
	msg_out_put(o, " ", 1);
	msg_out_puts(o, sent_by);
	msg_out_put(o, ";branch=", 8);
	msg_out_puts(o, branch);
	msg_out_put(o, VIA_TAIL, sizeof(VIA_TAIL) - 1);
	msg_out_put(o, num, nl);
	msg_out_put(o, " ", 1);
	msg_out_put(o, p->method, ml);
	msg_out_put(o, "\r\n", 2);
	head = o->len;
	msg_out_put(o, p->lines, p->lines_len);
	if (p->to_end) {
		o->to_val = head + p->to_val;
		o->to_end = head + p->to_end;
	}
	*mp = &b->m;
	return 0;
}

int msg_build_dlg_request(struct sip_msg **mp, const struct msg_dlg_req *r)
{
	struct req_parts p = {
	    .method = r->method,
	    .ruri = r->ruri,
	    .cseq = r->cseq,
	    .via_proto = r->via_proto,
	    .via_addr = &r->via_addr,
	    .lines = r->lines,
	    .lines_len = r->lines_len,
	    .call_id = r->call_id,
	    .from_tag = r->from_tag,
	    .to_tag = r->to_tag,
	};

	/* The Request-URI and the lines were checked by msg_dlg_lines(). */
	if (!token_ok(r->method) || !r->ruri || !r->lines || r->cseq >= CSEQ_LIMIT ||
	    r->via_addr.len == 0)
		return -EINVAL;
	return req_write(mp, &p);
}

int msg_build_request(struct sip_msg **mp, const struct msg_req_spec *spec)
{
	char tag[RND_TAG_LEN], tok[RND_CALLID_LEN], host[NET_ADDR_STRLEN];
	char call_id[RND_CALLID_LEN + NET_ADDR_STRLEN + 4];
	const char *to = spec->to ? spec->to : spec->ruri, *from_tag = spec->from_tag;
	const char *cid = spec->call_id;
	struct lines l = {0};
	struct req_parts p;
	int err;

	if (!token_ok(spec->method) || !spec->ruri || !spec->from || spec->cseq >= CSEQ_LIMIT ||
	    spec->via_addr.len == 0)
		return -EINVAL;
	if ((err = uri_parses(spec->ruri)) < 0 || (err = uri_parses(to)) < 0 ||
	    (err = uri_parses(spec->from)) < 0)
		return err;
	if ((from_tag && !tag_ok(from_tag)) || (cid && !word_ok(cid)) ||
	    (spec->user_agent && msg_has_ctl(spec->user_agent, false)))
		return -EINVAL;
	if (spec->contact && (err = contact_ok(spec->contact)) < 0)
		return err;
	if (!from_tag) {
		rnd_token(tag, sizeof(tag));
		from_tag = tag;
	}
	if (!cid) {
		/* §8.1.1.4: random, and our host for uniqueness ("[v6]" bracketed). */
		net_addr_host(&spec->via_addr, host, sizeof(host));
		rnd_token(tok, sizeof(tok));
		snprintf(call_id, sizeof(call_id),
			 net_addr_family(&spec->via_addr) == AF_INET6 ? "%s@[%s]" : "%s@%s", tok,
			 host);
		cid = call_id;
	}
	l_ids(&l, to, NULL, spec->from, from_tag, cid);
	l_contact_ua(&l, spec->contact, spec->user_agent);
	if (l.nomem) {
		free(l.o.buf);
		return -ENOMEM;
	}
	p = (struct req_parts){
	    .method = spec->method,
	    .ruri = spec->ruri,
	    .cseq = spec->cseq,
	    .via_proto = spec->via_proto,
	    .via_addr = &spec->via_addr,
	    .lines = l.o.buf,
	    .lines_len = l.o.len,
	    .to_val = l.to_val,
	    .to_end = l.to_end,
	    .call_id = cid,
	    .from_tag = from_tag,
	};
	err = req_write(mp, &p);
	free(l.o.buf);
	return err;
}

/*
 * The top Via value v[0..n) with a fresh branch: the old branch parameter's
 * value replaced, the rest as it was.  -EINVAL: no branch in it.
 */
static int put_new_branch(struct msg_out *o, const char *v, size_t n, const char *branch)
{
	size_t i = 0, e;

	for (; i < n && v[i] != ';'; i++)
		;
	for (; i < n; i = e) {
		e = msg_param_end(v, i, n);
		if (msg_param_is(v, i, e, "branch")) {
			msg_out_put(o, v, i);
			msg_out_put(o, ";branch=", 8);
			msg_out_puts(o, branch);
			msg_out_put(o, v + e, n - e);
			return 0;
		}
	}
	return -EINVAL;
}

int msg_req_retry(struct sip_msg **mp, const struct sip_msg *req, uint32_t cseq)
{
	const struct msg_out *o = req->out;
	size_t end = o->fin_len ? o->fin_len : o->len, pos = o->hdrs_off, nl, line;
	char branch[RND_BRANCH_LEN], num[24];
	struct req_parts p = {
	    .method = req->method,
	    .cseq = cseq,
	    .call_id = req->call_id,
	    .from_tag = req->from_tag,
	    .to_tag = req->to_tag,
	};
	bool via_done = false;
	struct out_block *b;
	struct msg_out *n;
	struct frame_hdr h;
	int err = -ENOMEM;

	rnd_branch(branch);
	nl = msg_dec(num, cseq);
	if (!(b = req_block(&p, branch, req->via_host, req->via_port)))
		return -ENOMEM;
	n = &b->o;
	if (msg_out_reserve(n, end + 64 + RND_BRANCH_LEN) < 0)
		goto fail; /* room enough: only the branch and the CSeq number are new */
	msg_out_put(n, o->buf, o->hdrs_off);
	n->hdrs_off = n->len;
	while (frame_next_hdr(o->buf, end, &pos, &h)) {
		line = n->len;
		if (msg_hdr_named(&h, "Authorization", NULL) ||
		    msg_hdr_named(&h, "Proxy-Authorization", NULL))
			continue; /* they answered the old challenge: the caller adds new ones */
		if (!via_done && msg_hdr_named(&h, "Via", "v")) {
			msg_out_put(n, h.name, (size_t)(h.value - h.name));
			if (put_new_branch(n, h.value, h.value_len, branch) < 0) {
				err = -EINVAL;
				goto fail;
			}
			msg_out_put(n, "\r\n", 2);
			via_done = true;
		} else if (msg_hdr_named(&h, "CSeq", NULL)) {
			msg_out_put(n, "CSeq: ", 6);
			msg_out_put(n, num, nl);
			msg_out_put(n, " ", 1);
			msg_out_puts(n, req->method);
			msg_out_put(n, "\r\n", 2);
		} else {
			msg_out_put(n, o->buf + h.line_off, h.line_len);
			if (o->to_end > h.line_off && o->to_end < h.line_off + h.line_len) {
				n->to_val = line + (o->to_val - h.line_off);
				n->to_end = line + (o->to_end - h.line_off);
				n->tag_len = o->tag_len;
			}
		}
	}
	if (!via_done) {
		err = -EINVAL;
		goto fail;
	}
	if (o->ctype && (err = msg_out_set_body(&b->m, o->ctype, o->body, o->body_len)) < 0)
		goto fail;
	*mp = &b->m;
	return 0;
fail:
	msg_free(&b->m);
	return err;
}

int msg_req_addr_uri(const struct sip_msg *m, const char *name, const char *compact, char **urip)
{
	const struct msg_out *o = m->out;
	size_t end = o->fin_len ? o->fin_len : o->len, pos = o->hdrs_off;
	const char *gt;
	struct frame_hdr h;

	if (!m->is_request || o->spent)
		return -EAGAIN;
	while (frame_next_hdr(o->buf, end, &pos, &h)) {
		if (!msg_hdr_named(&h, name, compact))
			continue;
		/* As l_addr() wrote it: "<" URI ">" (the URI holds no '>': uri_text_ok()). */
		if (h.value_len < 2 || h.value[0] != '<' ||
		    !(gt = memchr(h.value, '>', h.value_len)))
			return -EAGAIN;
		if (!(*urip = strndup(h.value + 1, (size_t)(gt - h.value - 1))))
			return -ENOMEM;
		return 0;
	}
	return -EAGAIN;
}

/*
 * The Request-URI in o's start line, "METHOD SP Request-URI SP SIP/2.0
 * CRLF" as req_write() writes it.  false: no text, or not that shape.
 */
static bool start_line_uri(const struct msg_out *o, const char **urip, size_t *lenp)
{
	static const char tail[] = " SIP/2.0\r\n";
	const size_t tl = sizeof(tail) - 1;
	const char *sp, *end;

	if (o->spent || o->hdrs_off < tl + 3 || memcmp(o->buf + o->hdrs_off - tl, tail, tl) != 0 ||
	    !(sp = memchr(o->buf, ' ', o->hdrs_off - tl)))
		return false;
	end = o->buf + o->hdrs_off - tl;
	if (end <= sp + 1)
		return false;
	*urip = sp + 1;
	*lenp = (size_t)(end - sp - 1);
	return true;
}

int msg_req_ack_cancel(struct sip_msg **mp, const struct sip_msg *inv, const char *method,
		       const char *to_value, const char *to_tag)
{
	const struct msg_out *o = inv->out;
	size_t end = o->fin_len ? o->fin_len : o->len, pos = o->hdrs_off, nl, ml = strlen(method);
	size_t ruri_len;
	const char *ruri;
	struct req_parts p = {
	    .method = method,
	    .cseq = inv->cseq,
	    .call_id = inv->call_id,
	    .from_tag = inv->from_tag,
	    .to_tag = to_tag,
	};
	bool via_done = false;
	struct out_block *b;
	struct msg_out *n;
	struct frame_hdr h;
	char num[24];

	if (!inv->is_request || strcmp(inv->method, "INVITE") != 0 ||
	    !start_line_uri(o, &ruri, &ruri_len))
		return -EAGAIN;
	nl = msg_dec(num, inv->cseq);
	if (!(b = req_block(&p, inv->branch, inv->via_host, inv->via_port)))
		return -ENOMEM;
	n = &b->o;
	if (msg_out_reserve(n, end + 64 + (to_value ? strlen(to_value) : 0)) < 0) {
		msg_free(&b->m);
		return -ENOMEM;
	}
	msg_out_put(n, method, ml);
	msg_out_put(n, " ", 1);
	msg_out_put(n, ruri, ruri_len);
	msg_out_put(n, " SIP/2.0\r\n", 10);
	n->hdrs_off = n->len;
	while (frame_next_hdr(o->buf, end, &pos, &h)) {
		const char *line = o->buf + h.line_off;

		if (msg_hdr_named(&h, "Via", "v")) {
			if (via_done)
				continue; /* the top Via only: its branch matches the transaction */
			via_done = true;
		} else if (msg_hdr_named(&h, "To", "t") && to_value) {
			msg_out_put(n, "To: ", 4);
			msg_out_puts(n, to_value);
			msg_out_put(n, "\r\n", 2);
			continue;
		} else if (!msg_hdr_named(&h, "From", "f") && !msg_hdr_named(&h, "To", "t") &&
			   !msg_hdr_named(&h, "Call-ID", "i") &&
			   !msg_hdr_named(&h, "Route", NULL)) {
			continue;
		}
		msg_out_put(n, line, h.line_len);
	}
	msg_out_put(n, MF_CSEQ, sizeof(MF_CSEQ) - 1);
	msg_out_put(n, num, nl);
	msg_out_put(n, " ", 1);
	msg_out_put(n, method, ml);
	msg_out_put(n, "\r\n", 2);
	*mp = &b->m;
	return 0;
}

int msg_req_ruri(const struct sip_msg *m, char **urip)
{
	const char *uri;
	size_t len;

	if (!m->is_request || !start_line_uri(m->out, &uri, &len))
		return -EAGAIN;
	return (*urip = strndup(uri, len)) ? 0 : -ENOMEM;
}
