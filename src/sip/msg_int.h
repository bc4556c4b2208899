/*
 * msg_int: private to the message module.  Only msg.c, msg_scan.c,
 * msg_check.c, msg_build.c, msg_get.c, msg_resp.c, msg_req.c and msg_lex.c
 * include this header; everyone
 * else uses msg.h.  What one file of the module uses from another:
 * msg_parse() (msg.c) runs the raw front (msg_scan.c); msg_refresh()
 * needs its hostport check; the Via stamp (msg_check.c) refreshes the
 * derived fields; a response (msg_build.c) asks for the To tag; the
 * accessors (msg_get.c) refuse control characters as the builders do;
 * a response built as text (msg_resp.c) gives every accessor libosip2's
 * form through msg_sip() and takes the setters it does as text.
 */
#ifndef SIPUAD_MSG_INT_H
#define SIPUAD_MSG_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <osipparser2/osip_parser.h>

#include "sip/msg.h"

/*
 * What the start line scan found (msg_start_line_scan).  A request line is
 * "Method SP Request-URI SP SIP-Version": the method runs to the first SP,
 * the version from the last, the Request-URI is what lies between.
 */
struct msg_start_line {
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

/* What msg_clean_copy() does besides copying. */
struct msg_clean_opts {
	bool drop_cseq;			 /* leave CSeq out */
	const struct msg_start_line *sl; /* start line, Request-URI to hide */
	osip_message_t *vet;		 /* non-NULL: leave out what libosip2 cannot read */
	char *bad;			 /* with vet: the first header left out, by name */
	size_t bad_size;
};

/* msg_scan.c: the raw front. */
bool msg_start_line_scan(struct sip_msg *m, const char *buf, size_t len,
    struct msg_start_line *sl);
bool msg_raw_scan(struct sip_msg *m, const char *buf, size_t hdr_len);
size_t msg_clean_cap(size_t hdr_len, size_t body_len);
size_t msg_clean_copy(char *out, const char *buf, size_t hdr_len, const char *body,
    size_t body_len, const struct msg_clean_opts *o);
bool msg_hostport_ok(const char *host, const char *port);
bool msg_uri_readable(const char *buf, size_t len);
bool msg_ruri_hostport_ok(const struct sip_msg *m);

/* msg_scan.c: where the Via, From, To, Call-ID and CSeq lines of text are (m->lines). */
void msg_lines_scan(struct sip_msg *m, const char *text, size_t hdr_len);

/* msg_lex.c: header text read where it is copied (see there). */
size_t msg_skip_lws(const char *v, size_t i, size_t n);
size_t msg_via_first_end(const char *v, size_t n, unsigned *count);
size_t msg_addr_value_end(const char *v, size_t i, size_t n);
unsigned msg_addr_values(const char *v, size_t n);
unsigned msg_addr_values_full(const char *v, size_t n);
bool msg_has_top_comma(const char *v, size_t n);
bool msg_params_ok(const char *v, size_t i, size_t n);
bool msg_to_params_ok(const char *v, size_t n);
size_t msg_param_end(const char *v, size_t i, size_t n);
bool msg_param_is(const char *v, size_t i, size_t e, const char *name);

/*
 * msg_resp.c: a message built as text (a response, or a request of ours:
 * msg_req.c), its text state and its derived strings in one allocation.
 */
#define OUT_MIN_CAP 1024 /* a typical 200 with SDP fits; grows by doubling */

struct msg_out {
	char *buf;
	size_t len, cap;
	size_t hdrs_off;   /* where msg_out_lacks() starts looking: a response's TU
			      headers, a request's first header */
	size_t to_val;	   /* the To value ... */
	size_t to_end;	   /* ... and its end: where our tag goes */
	size_t tag_len;	   /* our ";tag=..." at to_end; 0: none */
	size_t fin_len;	   /* finalised: len before Content-Type/-Length and body; 0: not */
	char *ctype;	   /* msg_set_body(): ctype, NUL, body in one malloc */
	const char *body;
	size_t body_len;
	char *own_to_tag;  /* a tag set after the build */
	bool spent;	   /* msg_take_str() took buf */
	bool demoted;	   /* m->sip is the message now */
};

struct out_block {
	struct sip_msg m;
	struct msg_out o;
	char arena[];
};

/* Room for n more bytes. 0 or -ENOMEM. */
int msg_out_reserve(struct msg_out *o, size_t n);
struct frame_hdr;
/* h (frame_next_hdr()) is the header name, or its compact form (NULL: none). */
bool msg_hdr_named(const struct frame_hdr *h, const char *name, const char *compact);
/* libosip2's result as ours: OSIP_NOMEM is ours to report, anything else is bad input. */
static inline int msg_osip_rc(int rc)
{
	return rc == OSIP_SUCCESS ? 0 : rc == OSIP_NOMEM ? -ENOMEM : -EINVAL;
}
/* Append; the caller reserved the room. */
void msg_out_put(struct msg_out *o, const char *s, size_t n);
void msg_out_puts(struct msg_out *o, const char *s);
/* v in decimal into d (at least 20 bytes); its length.  snprintf costs ten times more. */
size_t msg_dec(char *d, size_t v);
/* A copy of s (may be NULL) in the arena at *a, which moves past it. */
const char *msg_arena_dup(char **a, const char *s);
/* strlen(s) + 1; 0 for NULL: the arena room msg_arena_dup() takes. */
size_t msg_len0(const char *s);

/*
 * msg_req.c: a request of ours built as text, sent again (msg_build_retry):
 * a copy with a fresh branch, CSeq number cseq, no credentials.
 */
int msg_req_retry(struct sip_msg **mp, const struct sip_msg *req, uint32_t cseq);
/*
 * msg_req.c: the URI of a request's name header ("From", "To"; compact its
 * compact form) as msg_req.c wrote it, without parsing the text.  0
 * (*urip malloc'd), -ENOMEM, -EAGAIN (not such a request, or the header is
 * not as we write it).
 */
int msg_req_addr_uri(const struct sip_msg *m, const char *name, const char *compact,
    char **urip);
/* msg_req.c: the Request-URI of a request of ours from its start line; as msg_req_addr_uri(). */
int msg_req_ruri(const struct sip_msg *m, char **urip);
/*
 * msg_req.c: the ACK of a non-2xx (§17.1.1.3) or the CANCEL (§9.1) of inv,
 * an INVITE of ours written as text, written as text too: its Request-URI,
 * top Via, From, Call-ID and Route lines as they are, To as to_value (NULL:
 * inv's To line), CSeq with inv's number and method.  to_tag: the derived
 * field.  0, -ENOMEM, -EAGAIN (inv is not such an INVITE).
 */
int msg_req_ack_cancel(struct sip_msg **mp, const struct sip_msg *inv, const char *method,
		       const char *to_value, const char *to_tag);

/* msg_resp.c: a response built as text. */
int msg_out_build(struct sip_msg **rp, const struct sip_msg *req, int code, const char *reason,
    const char *to_tag);
bool msg_out_raw(const struct sip_msg *m);	/* built as text, and still text */
osip_message_t *msg_out_sip(const struct sip_msg *m);
int msg_out_demote(struct sip_msg *m);
void msg_out_release(struct sip_msg *m);
int msg_out_str(struct sip_msg *m, char **bufp, size_t *lenp, bool take);
int msg_out_set_to_tag(struct sip_msg *m, const char *tag);
int msg_out_add_header(struct sip_msg *m, const char *name, const char *value);
int msg_out_set_body(struct sip_msg *m, const char *ctype, const char *body, size_t len);
int msg_out_copy_record_routes(struct sip_msg *m, const struct sip_msg *req);
bool msg_out_lacks(const struct sip_msg *m, const char *name, const char *compact);

/*
 * libosip2's form of m for the accessors: m->sip, or for a response built
 * as text a parse of that text, made on first use and kept until the text
 * changes (an empty message if the text is gone: msg_take_str()).
 */
static inline osip_message_t *msg_sip(const struct sip_msg *m)
{
	return m->out ? msg_out_sip(m) : m->sip;
}

/* msg.c: the derived fields. */
const char *msg_tag_of(osip_from_t *h);
void msg_refresh_via(struct sip_msg *m);

/* msg_build.c: a control character (or, blank_too, a blank) anywhere. */
bool msg_has_ctl(const char *s, bool blank_too);
/*
 * msg_build.c: uri parsed into *up (osip_uri_free) after the checks every
 * URI a user gives us passes: not empty, no blank or control character,
 * a URI libosip2 reads.  0, or -EINVAL / -ENOMEM with why.
 */
int msg_uri_parse_checked(const char *uri, osip_uri_t **up, char *why, size_t whylen);

/* msg_alloc.c: libosip2's allocations through free lists (see there). */
#define MSG_ALLOC_MAX 256   /* larger blocks go straight to malloc/free */
#define MSG_ALLOC_KEEP 4096 /* freed blocks kept per 16-byte class at most */
void *msg_alloc_malloc(size_t n);
void *msg_alloc_realloc(void *p, size_t n);
void msg_alloc_free(void *p);
/* Free what the lists keep beyond keep blocks per class. */
void msg_alloc_trim(unsigned keep);
/* Blocks the lists keep now. */
size_t msg_alloc_kept(void);
/* libosip2 allocates through the above from now on (not under AddressSanitizer). */
void msg_alloc_install(void);

#endif
