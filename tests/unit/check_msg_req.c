/*
 * Unit tests for msg_req: the requests we send, built as text.
 *
 * Each request is built twice: as text (msg_build_dlg_request() around a
 * dialog's msg_dlg_lines(), or msg_build_request()) and through libosip2's
 * own builder by this file (the way sipuad built them before: one
 * osip_message_set_* per field, osip_message_to_str).  Both are parsed back
 * by msg_parse() and must agree field by field, and libosip2's
 * serialisation of the two parses must be the same bytes.  The derived
 * fields set at build time must equal those the parse finds.  Then what
 * the checks refuse, the setters on a text request (a body, a header, a
 * Route, credentials, a To tag), and a request sent again after a
 * challenge (msg_build_retry(): new branch, new CSeq, no old credentials,
 * the rest byte for byte).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "sip/msg.h"

#include "check_run.h"
#include "osip_same.h"

static struct sip_msg *parse(const char *s, size_t len)
{
	struct sip_msg *m = NULL;

	ck_assert_msg(msg_parse(&m, s, len, false) == 0, "%.*s", (int)len, s);
	return m;
}

/* m serialised (its text) and parsed back; *textp the text (free()). */
static struct sip_msg *reparse(struct sip_msg *m, char **textp)
{
	struct sip_msg *back;
	struct msg_err e;
	char *buf = NULL;
	size_t len;

	ck_assert_int_eq(msg_to_str(m, &buf, &len), 0);
	ck_assert_uint_eq(strlen(buf), len);
	back = parse(buf, len);
	ck_assert_msg(msg_check_request(back, &e), "%d %s:\n%s", e.code, e.reason, buf);
	if (textp)
		*textp = buf;
	else
		free(buf);
	return back;
}

/* The derived fields of n (as built) and of p (a parse): the same. */
static void same_derived(const struct sip_msg *n, const struct sip_msg *p)
{
	char *ua = NULL, *ub = NULL;

	ck_assert(n->is_request && p->is_request);
	same_str(n->method, p->method, "method");
	ck_assert_uint_eq(n->cseq, p->cseq);
	same_str(n->call_id, p->call_id, "call_id");
	same_str(n->from_tag, p->from_tag, "from_tag");
	same_str(n->to_tag, p->to_tag, "to_tag");
	same_str(n->branch, p->branch, "branch");
	same_str(n->via_host, p->via_host, "via_host");
	ck_assert_uint_eq(n->via_port, p->via_port);
	/* Request-URI, From and To URIs: read from n's text where it was written, from p's parse.
	 */
	ck_assert_int_eq(msg_ruri(n, &ua), 0);
	ck_assert_int_eq(msg_ruri(p, &ub), 0);
	same_str(ua, ub, "Request-URI");
	free(ua);
	free(ub);
	for (int i = 0; i < 2; i++) {
		int (*get)(const struct sip_msg *, char **) = i ? msg_to_uri : msg_from_uri;
		char *a = NULL, *b = NULL;

		ck_assert_int_eq(get(n, &a), 0);
		ck_assert_int_eq(get(p, &b), 0);
		same_str(a, b, i ? "To URI" : "From URI");
		free(a);
		free(b);
	}
}

/* Two requests, both parsed back, agree field by field and in libosip2's serialisation. */
static void same_msg(const struct sip_msg *a_, const struct sip_msg *b_)
{
	const osip_message_t *a = a_->sip, *b = b_->sip;
	char ra[256], rb[256], *ua = NULL, *ub = NULL, *ca = NULL, *cb = NULL;
	size_t la, lb;
	const char *ba, *bb;

	same_str(a_->method, b_->method, "method");
	ck_assert_int_eq(msg_ruri(a_, &ua), 0);
	ck_assert_int_eq(msg_ruri(b_, &ub), 0);
	same_str(ua, ub, "Request-URI");
	free(ua);
	free(ub);
	same_list(&a->vias, &b->vias, (to_str_fn *)osip_via_to_str, "Via");
	same(a->from, b->from, (to_str_fn *)osip_from_to_str, "From");
	same(a->to, b->to, (to_str_fn *)osip_to_to_str, "To");
	same(a->call_id, b->call_id, (to_str_fn *)osip_call_id_to_str, "Call-ID");
	same(a->cseq, b->cseq, (to_str_fn *)osip_cseq_to_str, "CSeq");
	same_list(&a->routes, &b->routes, (to_str_fn *)osip_route_to_str, "Route");
	same_list(&a->contacts, &b->contacts, (to_str_fn *)osip_contact_to_str, "Contact");
	same_list(&a->authorizations, &b->authorizations, (to_str_fn *)osip_authorization_to_str,
		  "Authorization");
	same_str(msg_header(a_, "Max-Forwards", NULL), msg_header(b_, "Max-Forwards", NULL),
		 "Max-Forwards");
	same_str(msg_header(a_, "User-Agent", NULL), msg_header(b_, "User-Agent", NULL),
		 "User-Agent");
	same_str(msg_content_type(a_, ra, sizeof(ra)), msg_content_type(b_, rb, sizeof(rb)),
		 "Content-Type");
	ba = msg_body(a_, &la);
	bb = msg_body(b_, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert(la == 0 || memcmp(ba, bb, la) == 0);
	ck_assert_int_eq(msg_to_str((struct sip_msg *)a_, &ca, &la), 0);
	ck_assert_int_eq(msg_to_str((struct sip_msg *)b_, &cb, &lb), 0);
	ck_assert_msg(la == lb && memcmp(ca, cb, la) == 0, "\n%s\n!=\n%s", ca, cb);
	free(ca);
	free(cb);
	same_derived(a_, b_);
}

/* ---- the reference: libosip2's builder, field by field ---- */

struct ref {
	const char *method, *ruri, *to, *to_tag, *from, *from_tag, *call_id;
	unsigned cseq;
	const char *via; /* the whole Via value, branch included */
	const char *const *route;
	size_t n_route;
	const char *contact, *user_agent;
	const char *ctype, *body;
	const char *const *hdrs; /* "Name", "value" pairs, NULL-ended */
};

static void ok(int rc)
{
	ck_assert_int_eq(rc, OSIP_SUCCESS);
}

/* libosip2's text of r, parsed back by msg_parse(). */
static struct sip_msg *ref_build(const struct ref *r)
{
	osip_message_t *m = NULL;
	struct sip_msg *back;
	char buf[1024], *s = NULL;
	size_t len;

	ok(osip_message_init(&m));
	osip_message_set_method(m, osip_strdup(r->method));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	ok(osip_uri_init(&m->req_uri));
	ok(osip_uri_parse(m->req_uri, r->ruri));
	ok(osip_message_set_via(m, r->via));
	snprintf(buf, sizeof(buf), "<%s>%s%s", r->to, r->to_tag ? ";tag=" : "",
		 r->to_tag ? r->to_tag : "");
	ok(osip_message_set_to(m, buf));
	snprintf(buf, sizeof(buf), "<%s>;tag=%s", r->from, r->from_tag);
	ok(osip_message_set_from(m, buf));
	ok(osip_message_set_call_id(m, r->call_id));
	snprintf(buf, sizeof(buf), "%u %s", r->cseq, r->method);
	ok(osip_message_set_cseq(m, buf));
	for (size_t i = 0; i < r->n_route; i++)
		ok(osip_message_set_route(m, r->route[i]));
	ok(osip_message_set_max_forwards(m, "70"));
	if (r->contact)
		ok(osip_message_set_contact(m, r->contact));
	if (r->user_agent)
		ok(osip_message_set_header(m, "User-Agent", r->user_agent));
	for (const char *const *h = r->hdrs; h && *h; h += 2)
		ok(osip_message_set_header(m, h[0], h[1]));
	if (r->body) {
		ok(osip_message_set_content_type(m, r->ctype));
		ok(osip_message_set_body(m, r->body, strlen(r->body)));
	} else {
		ok(osip_message_set_content_length(m, "0"));
	}
	ok(osip_message_to_str(m, &s, &len));
	back = parse(s, len);
	osip_free(s);
	osip_message_free(m);
	return back;
}

/* The top Via of a built request, as text, for the reference (same branch). */
static void via_of(const struct sip_msg *m, char *buf, size_t size)
{
	const char *v;
	char *text = NULL;
	size_t len, n;

	ck_assert_int_eq(msg_to_str((struct sip_msg *)m, &text, &len), 0);
	v = strstr(text, "\r\nVia: ");
	ck_assert_ptr_nonnull(v);
	v += 7;
	n = strcspn(v, "\r");
	ck_assert_uint_lt(n, size);
	memcpy(buf, v, n);
	buf[n] = '\0';
	free(text);
}

/* ---- a dialog's requests ---- */

static const char *const routes[] = {"<sip:p2.example.com;lr>", "<sip:p1.example.com:5070;lr>"};

static struct msg_dlg_ids ids_base(void)
{
	return (struct msg_dlg_ids){
	    .ruri = "sip:alice@192.0.2.1:5070;transport=udp",
	    .remote_uri = "sip:alice@a.example",
	    .remote_tag = "a1",
	    .local_uri = "sip:bob@b.example",
	    .local_tag = "b7x",
	    .call_id = "c1@a",
	    .route = (char *const *)routes,
	    .n_route = 2,
	    .contact = "sip:bob@192.0.2.2:5062",
	    .user_agent = "sipuad/1.0 (test)",
	};
}

static struct msg_dlg_req req_base(const char *method, uint32_t cseq, const char *lines, size_t len,
				   const struct msg_dlg_ids *ids)
{
	struct msg_dlg_req r = {
	    .method = method,
	    .ruri = ids->ruri,
	    .cseq = cseq,
	    .via_proto = NET_UDP,
	    .lines = lines,
	    .lines_len = len,
	    .call_id = ids->call_id,
	    .from_tag = ids->local_tag,
	    .to_tag = ids->remote_tag,
	};

	ck_assert_int_eq(net_addr_from_host(&r.via_addr, "192.0.2.2", 5062), 0);
	return r;
}

/* Build method in the dialog of ids as text and by the reference; compare. */
static void dlg_case(const struct msg_dlg_ids *ids, const char *method, uint32_t cseq,
		     const char *body, const char *const *hdrs, const char *want_route_last)
{
	const char *rts[4];
	char *lines = NULL, via[256], bracketed[256];
	size_t len, n = 0;
	struct msg_dlg_req r;
	struct sip_msg *m = NULL, *back, *ref;
	struct ref want;

	ck_assert_int_eq(msg_dlg_lines(&lines, &len, ids), 0);
	r = req_base(method, cseq, lines, len, ids);
	ck_assert_int_eq(msg_build_dlg_request(&m, &r), 0);
	free(lines); /* the message holds its own copy */
	for (const char *const *h = hdrs; h && *h; h += 2)
		ck_assert_int_eq(msg_add_header(m, h[0], h[1]), 0);
	if (body)
		ck_assert_int_eq(msg_set_body(m, "application/sdp", body, strlen(body)), 0);
	back = reparse(m, NULL);
	same_derived(m, back);

	for (size_t i = 0; i < ids->n_route; i++)
		rts[n++] = ids->route[i];
	if (want_route_last)
		rts[n++] = want_route_last;
	via_of(m, via, sizeof(via));
	snprintf(bracketed, sizeof(bracketed), "<%s>", ids->contact ? ids->contact : "");
	want = (struct ref){
	    .method = method,
	    .ruri = ids->ruri,
	    .to = ids->remote_uri,
	    .to_tag = ids->remote_tag,
	    .from = ids->local_uri,
	    .from_tag = ids->local_tag,
	    .call_id = ids->call_id,
	    .cseq = cseq,
	    .via = via,
	    .route = rts,
	    .n_route = n,
	    .contact = !ids->contact		? NULL
		       : ids->contact[0] == '<' ? ids->contact
						: bracketed,
	    .user_agent = ids->user_agent,
	    .ctype = "application/sdp",
	    .body = body,
	    .hdrs = hdrs,
	};
	ref = ref_build(&want);
	same_msg(back, ref);
	msg_free(ref);
	msg_free(back);
	msg_free(m);
}

/* BYE, ACK and a re-INVITE with an offer, through a loose route set. */
START_TEST(dlg_loose)
{
	static const char *const hdrs[] = {"Allow", "INVITE, ACK, BYE", "X-Test", "Mixed Case",
					   NULL};
	struct msg_dlg_ids ids = ids_base();

	dlg_case(&ids, "BYE", 11, NULL, NULL, NULL);
	dlg_case(&ids, "ACK", 10, NULL, NULL, NULL);
	dlg_case(&ids, "INVITE", 0x7fffffff, "v=0\r\no=- 1 2 IN IP4 192.0.2.2\r\ns=-\r\n", hdrs,
		 NULL);
}
END_TEST

/* §12.2.1.1 strict router: route[0]'s URI is the Request-URI, the remote target the last Route. */
START_TEST(dlg_strict)
{
	static const char *const rest[] = {"<sip:p1.example.com>"};
	struct msg_dlg_ids ids = ids_base();

	ids.ruri = "sip:p2.example.com";
	ids.route = (char *const *)rest;
	ids.n_route = 1;
	ids.route_last = "sip:alice@192.0.2.1:5070";
	dlg_case(&ids, "BYE", 12, NULL, NULL, "<sip:alice@192.0.2.1:5070>");
}
END_TEST

/* No route set, no Contact, no User-Agent; a Contact name-addr kept as it is. */
START_TEST(dlg_plain)
{
	struct msg_dlg_ids ids = ids_base();

	ids.n_route = 0;
	ids.route = NULL;
	ids.contact = NULL;
	ids.user_agent = NULL;
	dlg_case(&ids, "INFO", 3, NULL, NULL, NULL);
	ids.contact = "<sip:bob@192.0.2.2:5062;transport=tcp>;expires=60";
	dlg_case(&ids, "UPDATE", 4, NULL, NULL, NULL);
	/* A peer's Call-ID and tag go back as they came, outside RFC 3261's grammar too. */
	ids.call_id = "YTQ2ZGM4Zj+/Zg==";
	ids.remote_tag = "as/8f=";
	dlg_case(&ids, "BYE", 5, NULL, NULL, NULL);
}
END_TEST

/* The bytes themselves: the layout this file's header comment shows. */
START_TEST(dlg_bytes)
{
	struct msg_dlg_ids ids = ids_base();
	struct sip_msg *m = NULL;
	struct msg_dlg_req r;
	char *lines = NULL, *text = NULL, want[1024];
	size_t len;

	ck_assert_int_eq(msg_dlg_lines(&lines, &len, &ids), 0);
	ck_assert_str_eq(lines, "To: <sip:alice@a.example>;tag=a1\r\n"
				"From: <sip:bob@b.example>;tag=b7x\r\n"
				"Call-ID: c1@a\r\n"
				"Route: <sip:p2.example.com;lr>\r\n"
				"Route: <sip:p1.example.com:5070;lr>\r\n"
				"Contact: <sip:bob@192.0.2.2:5062>\r\n"
				"User-Agent: sipuad/1.0 (test)\r\n");
	ck_assert_uint_eq(strlen(lines), len);
	r = req_base("BYE", 11, lines, len, &ids);
	ck_assert_int_eq(msg_build_dlg_request(&m, &r), 0);
	ck_assert_int_eq(msg_to_str(m, &text, &len), 0);
	snprintf(want, sizeof(want),
		 "BYE sip:alice@192.0.2.1:5070;transport=udp SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.2:5062;branch=%s;rport\r\n"
		 "Max-Forwards: 70\r\n"
		 "CSeq: 11 BYE\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 m->branch, lines);
	ck_assert_str_eq(text, want);
	ck_assert_uint_eq(strlen(m->branch), 27);
	ck_assert(strncmp(m->branch, "z9hG4bK", 7) == 0);
	free(text);
	free(lines);
	msg_free(m);
}
END_TEST

/* IPv6 and TLS in the Via: the sent-by bracketed, via_host without brackets, as the parse. */
START_TEST(dlg_v6_tls)
{
	struct msg_dlg_ids ids = ids_base();
	struct sip_msg *m = NULL, *back;
	struct msg_dlg_req r;
	char *lines = NULL, *text = NULL;
	size_t len;

	ids.ruri = "sips:alice@[2001:db8::1]:5061";
	ck_assert_int_eq(msg_dlg_lines(&lines, &len, &ids), 0);
	r = req_base("BYE", 1, lines, len, &ids);
	r.via_proto = NET_TLS;
	ck_assert_int_eq(net_addr_from_host(&r.via_addr, "2001:db8::2", 5061), 0);
	ck_assert_int_eq(msg_build_dlg_request(&m, &r), 0);
	back = reparse(m, &text);
	ck_assert_ptr_nonnull(strstr(text, "\r\nVia: SIP/2.0/TLS [2001:db8::2]:5061;branch="));
	same_derived(m, back);
	free(text);
	free(lines);
	msg_free(back);
	msg_free(m);
}
END_TEST

/* What the checks refuse: nothing that would smuggle a header or break a name-addr goes out. */
START_TEST(dlg_refused)
{
	static const char *const crlf_route[] = {"<sip:p1;lr>\r\nX-Evil: 1"};
	static const char *const empty_route[] = {""};
	struct msg_dlg_ids ids;
	struct msg_dlg_req r;
	struct sip_msg *m = NULL;
	char *lines = NULL;
	size_t len = 0;

#define REFUSED(field, value)                                                                      \
	do {                                                                                       \
		ids = ids_base();                                                                  \
		ids.field = value;                                                                 \
		ck_assert_msg(msg_dlg_lines(&lines, &len, &ids) == -EINVAL, "%s", #field);         \
		ck_assert_ptr_null(lines);                                                         \
	} while (0)
	REFUSED(ruri, NULL);
	REFUSED(ruri, "sip:a@b\r\nX: y");
	REFUSED(ruri, "sip:a@b c");
	REFUSED(remote_uri, "sip:a@b>;tag=x");
	REFUSED(remote_uri, "");
	REFUSED(local_uri, "sip:\"b\"@c");
	REFUSED(local_uri, "sip:<b>");
	REFUSED(remote_tag, "");
	REFUSED(remote_tag, "a b");
	REFUSED(remote_tag, "a;x=y"); /* the parse would read another tag */
	REFUSED(remote_tag, "a,b");
	REFUSED(local_tag, "\"q\"");
	REFUSED(call_id, "c 1");
	REFUSED(call_id, "");
	REFUSED(local_tag, NULL);
	REFUSED(call_id, "c\r\n1");
	REFUSED(route, (char *const *)crlf_route);
	REFUSED(route, (char *const *)empty_route);
	REFUSED(route_last, "sip:a@b>");
	REFUSED(contact, "<sip:unclosed");
	REFUSED(contact, "sip:a@b\n");
	REFUSED(user_agent, "ua\r\nX: y");
#undef REFUSED

	ids = ids_base();
	ck_assert_int_eq(msg_dlg_lines(&lines, &len, &ids), 0);
	r = req_base("BYE", 1, lines, len, &ids);
	r.method = "BY E";
	ck_assert_int_eq(msg_build_dlg_request(&m, &r), -EINVAL);
	r.method = "";
	ck_assert_int_eq(msg_build_dlg_request(&m, &r), -EINVAL);
	r.method = "BYE";
	r.cseq = 0x80000000u;
	ck_assert_int_eq(msg_build_dlg_request(&m, &r), -EINVAL);
	r.cseq = 1;
	memset(&r.via_addr, 0, sizeof(r.via_addr));
	ck_assert_int_eq(msg_build_dlg_request(&m, &r), -EINVAL);
	ck_assert_ptr_null(m);
	free(lines);
}
END_TEST

/* ---- requests outside a dialog ---- */

static struct msg_req_spec spec_base(void)
{
	struct msg_req_spec s = {
	    .method = "INVITE",
	    .ruri = "sip:bob@192.0.2.7:5070",
	    .to = "sip:bob@b.example",
	    .from = "sip:alice@a.example",
	    .from_tag = "ft1",
	    .call_id = "cid9@192.0.2.1",
	    .cseq = 1,
	    .via_proto = NET_UDP,
	    .contact = "sip:alice@192.0.2.1:5060",
	    .user_agent = "sipuad",
	};

	ck_assert_int_eq(net_addr_from_host(&s.via_addr, "192.0.2.1", 5060), 0);
	return s;
}

/* An INVITE with the TU's headers, a route and a body: as libosip2 would have built it. */
START_TEST(out_of_dialog)
{
	static const char *const hdrs[] = {"Allow", "INVITE, ACK", "X-A", "1", NULL};
	static const char *const rts[] = {"<sip:proxy.example;lr>"};
	struct msg_req_spec s = spec_base();
	struct sip_msg *m = NULL, *back, *ref;
	char via[256], *text = NULL;

	ck_assert_int_eq(msg_build_request(&m, &s), 0);
	ck_assert_ptr_null(m->to_tag);
	ck_assert_int_eq(msg_add_header(m, "Allow", "INVITE, ACK"), 0);
	ck_assert_int_eq(msg_add_header(m, "X-A", "1"), 0);
	ck_assert_int_eq(msg_add_route(m, rts[0]), 0);
	ck_assert_int_eq(msg_set_body(m, "application/sdp", "v=0\r\n", 5), 0);
	back = reparse(m, &text);
	/* Still text: the names as we wrote them (libosip2 writes "X-a"). */
	ck_assert_ptr_nonnull(strstr(text, "\r\nX-A: 1\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "\r\nMax-Forwards: 70\r\n"));
	via_of(m, via, sizeof(via));
	ref = ref_build(&(struct ref){
	    .method = "INVITE",
	    .ruri = s.ruri,
	    .to = s.to,
	    .from = s.from,
	    .from_tag = s.from_tag,
	    .call_id = s.call_id,
	    .cseq = 1,
	    .via = via,
	    .route = rts,
	    .n_route = 1,
	    .contact = "<sip:alice@192.0.2.1:5060>",
	    .user_agent = "sipuad",
	    .ctype = "application/sdp",
	    .body = "v=0\r\n",
	    .hdrs = hdrs,
	});
	same_msg(back, ref);
	free(text);
	msg_free(ref);
	msg_free(back);
	msg_free(m);
}
END_TEST

START_TEST(out_of_dialog_refused)
{
	struct msg_req_spec s;
	struct sip_msg *m = NULL;

#define REFUSED(field, value)                                                                      \
	do {                                                                                       \
		s = spec_base();                                                                   \
		s.field = value;                                                                   \
		ck_assert_msg(msg_build_request(&m, &s) == -EINVAL, "%s", #field);                 \
		ck_assert_ptr_null(m);                                                             \
	} while (0)
	REFUSED(method, "INV ITE");
	REFUSED(method, "INVITE\r\n");
	REFUSED(ruri, "sip:bob@b>");
	REFUSED(ruri, "not a uri");
	REFUSED(to, "sip:\"x\"@b");
	REFUSED(from, "<sip:a@b>");
	REFUSED(from_tag, "t\r\n");
	REFUSED(from_tag, "t;x");
	REFUSED(call_id, "c 1");
	REFUSED(contact, "<sip:a@b");
	REFUSED(user_agent, "x\ny");
#undef REFUSED
	s = spec_base();
	ck_assert_int_eq(msg_build_request(&m, &s), 0);
	ck_assert_int_eq(msg_add_route(m, "<sip:p;lr>\r\nX: 1"), -EINVAL);
	ck_assert_int_eq(msg_add_route(m, "not a route <"), -EINVAL);
	ck_assert_int_eq(msg_add_credentials(m, false, "Digest\r\nX: 1"), -EINVAL);
	msg_free(m);
}
END_TEST

/* A To tag set on a request of ours stays text, and moves with the lines before it. */
START_TEST(to_tag_as_text)
{
	struct msg_req_spec s = spec_base();
	struct sip_msg *m = NULL, *back;
	char *text = NULL;

	ck_assert_int_eq(msg_build_request(&m, &s), 0);
	ck_assert_int_eq(msg_add_header(m, "X-B", "2"), 0);
	ck_assert_int_eq(msg_set_to_tag(m, "tt1"), 0);
	ck_assert_int_eq(msg_set_to_tag(m, "tt22"), 0);
	ck_assert_str_eq(m->to_tag, "tt22");
	back = reparse(m, &text);
	ck_assert_ptr_nonnull(strstr(text, "\r\nTo: <sip:bob@b.example>;tag=tt22\r\n"));
	ck_assert_ptr_nonnull(strstr(text, "\r\nX-B: 2\r\n")); /* still text */
	ck_assert_str_eq(back->to_tag, "tt22");
	same_derived(m, back);
	free(text);
	msg_free(back);
	msg_free(m);
}
END_TEST

/* §22.2 / §8.1.3.5: sent again after a challenge, as text. */
START_TEST(retry_as_text)
{
	struct msg_dlg_ids ids = ids_base();
	struct sip_msg *m = NULL, *r1 = NULL, *r2 = NULL, *b0, *b1, *b2;
	struct msg_dlg_req r;
	char *lines = NULL, *t0 = NULL, *t1 = NULL, *t2 = NULL, *p;
	size_t len;

	ck_assert_int_eq(msg_dlg_lines(&lines, &len, &ids), 0);
	r = req_base("INVITE", 20, lines, len, &ids);
	ck_assert_int_eq(msg_build_dlg_request(&m, &r), 0);
	ck_assert_int_eq(msg_add_header(m, "X-A", "1"), 0);
	ck_assert_int_eq(msg_set_body(m, "application/sdp", "v=0\r\n", 5), 0);
	b0 = reparse(m, &t0);

	ck_assert_int_eq(msg_build_retry(&r1, m, 21), 0);
	ck_assert_int_eq(msg_add_credentials(r1, true,
					     "Digest username=\"bob\", realm=\"r\", "
					     "nonce=\"n\", uri=\"sip:a\", response=\"00\""),
			 0);
	b1 = reparse(r1, &t1);
	ck_assert_uint_eq(r1->cseq, 21);
	ck_assert_str_ne(r1->branch, m->branch);
	same_derived(r1, b1);
	ck_assert_ptr_nonnull(strstr(t1, "\r\nCSeq: 21 INVITE\r\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\r\nProxy-Authorization: Digest username=\"bob\""));
	ck_assert_ptr_nonnull(strstr(t1, "\r\nX-A: 1\r\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\r\n\r\nv=0\r\n"));

	/* Again: the old credentials go, the new ones come; everything else is byte for byte. */
	ck_assert_int_eq(msg_build_retry(&r2, r1, 22), 0);
	ck_assert_int_eq(msg_add_credentials(r2, false, "Digest username=\"bob\", response=\"11\""),
			 0);
	b2 = reparse(r2, &t2);
	ck_assert_ptr_null(strstr(t2, "Proxy-Authorization"));
	ck_assert_ptr_nonnull(
	    strstr(t2, "\r\nAuthorization: Digest username=\"bob\", response=\"11\""));
	same_derived(r2, b2);
	/* t0 and t2 without their Via, CSeq and credentials lines are the same text. */
	for (char **t = (char *[]){t0, t2, NULL}; *t; t++) {
		while ((p = strstr(*t, "\r\nVia: ")) || (p = strstr(*t, "\r\nCSeq: ")) ||
		       (p = strstr(*t, "\r\nAuthorization: "))) {
			char *e = strstr(p + 2, "\r\n");

			memmove(p, e, strlen(e) + 1);
		}
	}
	ck_assert_str_eq(t0, t2);
	same(b0->sip->to, b2->sip->to, (to_str_fn *)osip_to_to_str, "To");

	/* ACK and CANCEL are never sent again this way. */
	r = req_base("ACK", 20, lines, len, &ids);
	msg_free(r1);
	msg_free(r2);
	r2 = NULL;
	ck_assert_int_eq(msg_build_dlg_request(&r1, &r), 0);
	ck_assert_int_eq(msg_build_retry(&r2, r1, 21), -EINVAL);

	free(t0);
	free(t1);
	free(t2);
	free(lines);
	msg_free(b0);
	msg_free(b1);
	msg_free(b2);
	msg_free(r1);
	msg_free(m);
}
END_TEST

/*
 * The ACK of a non-2xx (§17.1.1.3) and the CANCEL (§9.1) of an INVITE of
 * ours are written as text from its text, and equal what libosip2 builds
 * from its parse: the Request-URI, top Via (so the branch), From,
 * Call-ID, Route, To (the response's for the ACK), the CSeq number; no
 * Contact, User-Agent, TU header or body.
 */
START_TEST(ack_cancel_of_text_invite)
{
	struct msg_req_spec s = spec_base();
	struct sip_msg *inv = NULL, *parsed, *resp = NULL, *m[2] = {0}, *ref[2] = {0}, *b, *rb;
	char *text = NULL;

	ck_assert_int_eq(msg_build_request(&inv, &s), 0);
	ck_assert_int_eq(msg_add_route(inv, "<sip:proxy.example;lr>"), 0);
	ck_assert_int_eq(msg_add_route(inv, "<sip:p2.example:5070;lr>"), 0);
	ck_assert_int_eq(msg_add_header(inv, "X-A", "1"), 0);
	ck_assert_int_eq(msg_set_body(inv, "application/sdp", "v=0\r\n", 5), 0);
	parsed = reparse(inv, NULL); /* not text: msg_build_*() take libosip2's way */
	ck_assert_int_eq(msg_build_response(&resp, parsed, 486, NULL, "rt5"), 0);

	ck_assert_int_eq(msg_build_cancel(&m[0], inv), 0);
	ck_assert_int_eq(msg_build_cancel(&ref[0], parsed), 0);
	ck_assert_int_eq(msg_build_ack(&m[1], inv, resp), 0);
	ck_assert_int_eq(msg_build_ack(&ref[1], parsed, resp), 0);
	for (int i = 0; i < 2; i++) {
		b = reparse(m[i], &text);
		rb = reparse(ref[i], NULL);
		same_msg(b, rb);
		same_derived(m[i], b);
		ck_assert_str_eq(b->method, i ? "ACK" : "CANCEL");
		ck_assert_str_eq(b->branch, inv->branch);
		ck_assert_uint_eq(b->cseq, 1);
		ck_assert_ptr_nonnull(strstr(text, "\r\nRoute: <sip:proxy.example;lr>\r\n"
						   "Route: <sip:p2.example:5070;lr>\r\n"));
		ck_assert_ptr_null(strstr(text, "X-A"));
		ck_assert_ptr_null(strstr(text, "Contact"));
		ck_assert_ptr_null(strstr(text, "User-Agent"));
		ck_assert_ptr_nonnull(strstr(text, "\r\nContent-Length: 0\r\n\r\n"));
		if (i)
			ck_assert_str_eq(b->to_tag, "rt5");
		else
			ck_assert_ptr_null(b->to_tag);
		free(text);
		msg_free(b);
		msg_free(rb);
		msg_free(m[i]);
		msg_free(ref[i]);
	}
	msg_free(resp);
	msg_free(parsed);
	msg_free(inv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msg_req");
	TCase *tc = tcase_create("req");

	msg_lib_init();
	tcase_add_test(tc, dlg_loose);
	tcase_add_test(tc, dlg_strict);
	tcase_add_test(tc, dlg_plain);
	tcase_add_test(tc, dlg_bytes);
	tcase_add_test(tc, dlg_v6_tls);
	tcase_add_test(tc, dlg_refused);
	tcase_add_test(tc, out_of_dialog);
	tcase_add_test(tc, out_of_dialog_refused);
	tcase_add_test(tc, to_tag_as_text);
	tcase_add_test(tc, retry_as_text);
	tcase_add_test(tc, ack_cancel_of_text_invite);
	suite_add_tcase(s, tc);
	return check_run(s);
}
