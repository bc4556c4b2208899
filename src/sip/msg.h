/*
 * msg: a parsed SIP message, and the checks that come before anything else
 * looks at it.
 *
 * libosip2 parses and serializes; this module owns every call to it for
 * whole messages.  The parser validates almost nothing, and refuses whole
 * messages for one thing it cannot read, so msg_parse() also scans the raw
 * text: it checks the start line, counts the headers that must appear
 * once, reads Content-Length itself, records the real body length, and
 * hands libosip2 a cleaned copy when needed (LWS normalised, §7.3.1).
 * msg_check_request() turns that into RFC 3261 §8.2
 * answers (400 with a reason naming the fault, 505, 513, ...);
 * msg_check_response() decides whether a response is fit to be matched.
 *
 * Derived fields (method, cseq, tags, branch, sent-by) are filled at parse
 * time so the transaction layer never touches libosip2.
 *
 * It also builds what we send: responses, the ACK of a non-2xx,
 * out-of-dialog requests (§8.1.1) toward a URI that msg_uri_dest() turned
 * into a destination, and requests inside a dialog around the lines it
 * keeps (§12.2.1.1).  Responses and our requests are written as text,
 * not through libosip2.
 */
#ifndef SIPUAD_MSG_H
#define SIPUAD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


#include "core/net.h"
#include "sip/dest.h"

struct osip_message; /* libosip2's parsed message, behind this module */
struct msg_out;	     /* a message built as text, private to msg*.c */

struct sip_msg {
	struct osip_message *sip; /* owned; libosip2's, read only in msg*.c; for a
				     response built as text, a parse of it made
				     when an accessor needs one (msg_sip()) */

	/* Derived at parse/build time; pointers into sip's strings. */
	bool is_request;
	const char *method;	/* request method; for a response, CSeq's */
	int status;		/* responses: 100..699 */
	uint32_t cseq;
	const char *call_id;
	const char *from_tag;	/* NULL: none */
	const char *to_tag;	/* NULL: none */
	const char *branch;	/* top Via branch; NULL: none */
	const char *via_host;	/* top Via sent-by host */
	uint16_t via_port;	/* top Via sent-by port; 0: absent */

	/* Received messages only. */
	struct sip_dest src;
	size_t wire_len;	/* bytes on the wire */

	/* Raw-scan findings for msg_check_*(); see msg_scan.c. */
	struct {
		uint8_t n_via, n_from, n_to, n_callid, n_cseq, n_clen, n_ctype, n_maxfwd;
		long clen;		/* -1 absent, -2 malformed */
		size_t body_len;	/* bytes after the blank line */
		bool oversize;		/* exceeded max_message_size */
		bool version_bad;	/* not SIP/2.0 */
		bool version_malformed; /* request: not "SIP/" 1*DIGIT "." 1*DIGIT */
		bool method_bad;	/* request: the method is not a token */
		bool ruri_bad; /* Request-URI not a URI: blanks, no scheme, or unreadable */
		bool maxfwd_bad;
		enum { MSG_CSEQ_OK, MSG_CSEQ_SYNTAX, MSG_CSEQ_RANGE } cseq_err;
		char scheme[16];  /* Request-URI scheme as sent, lower case */
		char bad_hdr[24]; /* name of a header libosip2 could not read */
	} raw;

	char *own_call_id;	/* "number@host" when libosip2 split it */

	/*
	 * A received request keeps the bytes libosip2 parsed (the wire copy,
	 * or the cleaned copy msg_scan.c made) and where its Via, From, To,
	 * Call-ID and CSeq lines are, so that a response copies them as bytes
	 * (§8.2.6.2) instead of serialising libosip2's objects.  lines.ok is
	 * false when the request is unusual (no kept bytes, more Via lines than
	 * the array, one of the four headers not exactly once): its responses
	 * are built through libosip2 as before.
	 */
	char *text;		/* owned; NULL: none kept */
	struct msg_lines {
		bool ok;
		bool via_stamped; /* msg_stamp_via() changed the top Via */
		uint8_t n_via;
		struct msg_span {
			uint32_t off;  /* the line in text: its name ... */
			uint32_t len;  /* ... through its value, no trailing LWS or CRLF */
			uint32_t voff; /* the value, from off */
		} via[8], from, to, call_id, cseq;
		bool rr_ok;	/* the Record-Route lines are all in rr[] */
		uint8_t n_rr;
		struct msg_span rr[4];
	} lines;

	struct msg_out *out;	/* a response built as bytes (msg_resp.c); NULL: libosip2's */
};

/* An answer to a request that failed a check. */
struct msg_err {
	int code;		/* 0: no error */
	char reason[96];	/* reason phrase naming the fault */
	char hdr_name[24];	/* optional extra header: "Unsupported", "Accept", "Allow", "Retry-After" */
	char hdr_value[160];
};

/* Once, before any parse: libosip2 crashes in osip_message_parse() without parser_init(). */
void msg_lib_init(void);
/* After a burst: libosip2's freed blocks kept for reuse go back to malloc (all but a few). */
void msg_lib_trim(void);

/*
 * Parse one message of len bytes.  A message that repeats a header that
 * must be unique is parsed without the repeats, and the repeat is recorded
 * for msg_check_*().  oversize: the buffer holds only the header block of a
 * message larger than the limit (its empty line may be missing).
 *   0        *mp owns a new message (free with msg_free)
 *   -EBADMSG nothing usable: not a SIP message (its first line is neither
 *            a status line nor shaped like a request line: see msg_scan.c), or
 *            (not oversize) no empty line after the headers (§7, §18.3)
 *   -ENOMEM
 */
int msg_parse(struct sip_msg **mp, const char *buf, size_t len, bool oversize);
/* NULL is a no-op. */
void msg_free(struct sip_msg *m);

/*
 * Wrap a message built with libosip2 (ownership passes, also on failure)
 * and fill its derived fields.  0, -EINVAL (no CSeq, Call-ID, From, To or
 * Via), -ENOMEM.
 */
int msg_wrap(struct sip_msg **mp, struct osip_message *sip);
/* Recompute the derived fields after editing m->sip. 0 or -EINVAL. */
int msg_refresh(struct sip_msg *m);

/*
 * RFC 3261 §8.2 checks a UAS applies before any transaction sees the
 * request: size (513), a well-formed version (400) that is 2.0 (505), a
 * token method, a Request-URI that is a URI (of sip:, sips: or tel:, one
 * libosip2 reads, with a host [":" port] for sip: and sips:), no
 * header libosip2 could not read, one From/To/Call-ID/CSeq, a Via whose
 * sent-by is host [":" port] (§20.42), a
 * numeric CSeq below 2^31 whose method matches, a sane Max-Forwards,
 * Content-Length present on TCP and not larger than the body, a body only
 * with a Content-Type, no empty tags.  Fills *err (code 0: fine).
 * Returns true if the request passes.
 */
bool msg_check_request(const struct sip_msg *m, struct msg_err *err);
/* A response usable for matching: status 100..699, Via, From, To, Call-ID, CSeq. */
bool msg_check_response(const struct sip_msg *m, const char **why);
/* Fill err with code, reason, and an optional extra header. */
void msg_err_set(struct msg_err *err, int code, const char *reason,
    const char *hdr_name, const char *hdr_value);

/*
 * §18.2.1: note where a request came from in its top Via: received= when
 * the sent-by host is not the source address, rport=PORT when the request
 * asked for it (RFC 3581).
 */
int msg_stamp_via(struct sip_msg *m);

/*
 * Build a response to req: copies Via, From, To, Call-ID, CSeq
 * (§8.2.6.2); adds to_tag to To if To has none and code > 100 (to_tag may
 * be NULL: then none is added); reason NULL means the standard phrase.
 * Derived fields are set.  Built as text from req's lines when they allow
 * (see struct msg_lines and msg_resp.c): the TU's headers then come in the
 * order added, Content-Type and Content-Length last.  0 or -ENOMEM.
 */
int msg_build_response(struct sip_msg **rp, const struct sip_msg *req,
    int code, const char *reason, const char *to_tag);
/*
 * §17.1.1.3: build the ACK an INVITE client transaction sends for resp, a
 * 300-699 to invite: the INVITE's Request-URI, Call-ID, From, top Via
 * (hence its branch) and Route set, resp's To (with its tag), CSeq with the
 * INVITE's number and method ACK, Max-Forwards 70, no body.  Derived fields
 * are set.  0 (*ackp owns a new message: msg_free), -EINVAL (invite lacks
 * the Request-URI, Call-ID, From, CSeq or Via, or resp the To), -ENOMEM.
 */
int msg_build_ack(struct sip_msg **ackp, const struct sip_msg *invite,
    const struct sip_msg *resp);

/*
 * §9.1: the CANCEL for invite (a request we sent): its Request-URI,
 * Call-ID, To, From, CSeq number, top Via (so its branch) and Route, CSeq
 * method CANCEL, Max-Forwards 70, no body.  0 (*cp: msg_free), -EINVAL
 * (invite lacks one of those), -ENOMEM.
 */
int msg_build_cancel(struct sip_msg **cp, const struct sip_msg *invite);

/*
 * Where a request for uri goes: RFC 3261 §8.1.2 and RFC 3263 §4, as far
 * as they go without DNS.  uri is a sip: URI whose host is an IPv4 or a
 * bracketed IPv6 literal ("sip:bob@[::1]:5070;transport=tcp"); the
 * transport is its ;transport= (UDP if none, §4.1), the port its port or
 * 5060 (§4.2).  ;maddr is ignored.  Fills d->proto and d->addr and zeroes
 * the rest (only on success).  On failure why (may be NULL) names the
 * fault, for a human:
 *   -EINVAL           not a URI, not sip:/sips: (tel:, http:, ...), a host
 *                     that is not an IP literal (no DNS yet), a bad port,
 *                     a blank or control character
 *   -EPROTONOSUPPORT  a transport other than udp, tcp and tls; sips: over udp
 */
int msg_uri_dest(const char *uri, struct sip_dest *d, char *why, size_t whylen);

/*
 * What an out-of-dialog request is made of (RFC 3261 §8.1.1).  The URIs
 * are addr-specs ("sip:bob@192.0.2.1:5070"), not name-addrs.
 */
struct msg_req_spec {
	const char *method;	  /* "OPTIONS", "REGISTER", "INVITE", ... */
	const char *ruri;	  /* Request-URI (§8.1.1.1) */
	const char *to;		  /* To URI, no tag (§8.1.1.2); NULL: ruri */
	const char *from;	  /* From URI (§8.1.1.3) */
	const char *from_tag;	  /* NULL: a fresh random tag */
	const char *call_id;	  /* NULL: a fresh one, "random@host" (§8.1.1.4);
				     REGISTER refreshes pass the old one (§10.2) */
	uint32_t cseq;		  /* below 2^31 (§8.1.1.5) */
	enum net_proto via_proto; /* Via transport (§8.1.1.7, §18.1.1) */
	struct net_addr via_addr; /* our sent-by: the listener's host and port */
	const char *contact;	  /* NULL: none.  A bare URI is put in <>; a value
				     starting with '<', '"' or '*' is used as is */
	const char *user_agent;	  /* NULL: no User-Agent header */
};

/*
 * Build an out-of-dialog request per §8.1.1: Request-URI, To (no tag),
 * From with a tag, Call-ID, CSeq, Max-Forwards 70, one Via
 * "SIP/2.0/UDP host:port;branch=z9hG4bK...;rport" (RFC 3581) with a fresh
 * branch, the optional Contact and User-Agent, Content-Length 0.  IPv6
 * hosts are bracketed in Via and Call-ID.  Written as text (msg_req.c);
 * derived fields are set; add headers or a body with msg_add_header() /
 * msg_set_body().  0 (*mp owns a new message: msg_free), -EINVAL (a
 * missing field, a method that is not a token, a URI libosip2 cannot
 * parse or with < > " in it, a Contact it cannot parse, a From tag with
 * ; , < > " or a blank, a Call-ID with a blank, a control character, a
 * CSeq of 2^31 or more, no via_addr), -ENOMEM.
 */
int msg_build_request(struct sip_msg **mp, const struct msg_req_spec *spec);

/*
 * What every request of one dialog carries unchanged (§12.2.1.1), for
 * dlg.c to keep as bytes: To (the remote URI and tag), From (the local URI
 * and tag), Call-ID, the Route set, our Contact and User-Agent.  URIs are
 * addr-specs.
 */
struct msg_dlg_ids {
	const char *ruri;	 /* the Request-URI they go with: checked, not written */
	const char *remote_uri, *remote_tag;
	const char *local_uri, *local_tag;
	const char *call_id;
	char *const *route;	 /* Route values in order ("<sip:p1;lr>") ... */
	size_t n_route;
	const char *route_last;	 /* ... and a URI after them (strict routing); NULL: none */
	const char *contact;	 /* NULL: none; as msg_req_spec's */
	const char *user_agent;	 /* NULL: none */
};

/*
 * The lines of ids as text, each with its CRLF, after the checks
 * msg_build_request() makes (no control character; URIs without blanks
 * or < > "; tags and the Call-ID without blanks, tags without ; , < > ";
 * a Contact libosip2 reads).  A peer's tag or Call-ID is otherwise echoed
 * as it came, whatever its grammar.
 * 0 (*linesp malloc'd and NUL-terminated: free(); *lenp without the NUL),
 * -EINVAL, -ENOMEM.
 */
int msg_dlg_lines(char **linesp, size_t *lenp, const struct msg_dlg_ids *ids);

/* An in-dialog request: a start line, a Via and a CSeq around the dialog's lines. */
struct msg_dlg_req {
	const char *method;	  /* a token */
	const char *ruri;	  /* the one given to msg_dlg_lines() */
	uint32_t cseq;		  /* below 2^31 */
	enum net_proto via_proto;
	struct net_addr via_addr;
	const char *lines;	  /* msg_dlg_lines() */
	size_t lines_len;
	const char *call_id, *from_tag, *to_tag; /* the derived fields: as in lines */
};

/*
 * Build r as text: "METHOD ruri SIP/2.0", a Via as msg_build_request()'s
 * (fresh branch, rport), Max-Forwards 70, CSeq, the lines, Content-Length
 * 0.  Derived fields are set; the setters work as on msg_build_request()'s
 * messages.  0 (*mp: msg_free), -EINVAL (a method that is not a token, no
 * Request-URI or lines, a CSeq of 2^31 or more, no via_addr), -ENOMEM.
 */
int msg_build_dlg_request(struct sip_msg **mp, const struct msg_dlg_req *r);

/*
 * Set the To tag of m to tag (copied), replacing one it has; derived
 * fields are refreshed.  0, -EINVAL (no To), -ENOMEM.
 */
int msg_set_to_tag(struct sip_msg *m, const char *tag);
/* Append a header (name and value copied). 0 or -ENOMEM. */
int msg_add_header(struct sip_msg *m, const char *name, const char *value);
/* Set the body with its Content-Type. 0 or -ENOMEM. */
int msg_set_body(struct sip_msg *m, const char *ctype, const char *body, size_t len);
/*
 * Value of the first header named name (full or compact form; only for
 * headers libosip2 keeps in its generic list: Require, Supported,
 * Max-Forwards, Server, ...); NULL if none.
 */
const char *msg_header(const struct sip_msg *m, const char *name, const char *compact);
/*
 * Every value of name/compact joined with ", " into out (truncated to
 * size).  Returns the number of values found (libosip2 splits a
 * comma-separated header into one value each).
 */
unsigned msg_header_join(const struct sip_msg *m, const char *name, const char *compact,
    char *out, size_t size);
/*
 * The Request-URI of a request as text.  0 (*urip is malloc'd: free()),
 * -EINVAL (none, or not serializable), -ENOMEM.
 */
int msg_ruri(const struct sip_msg *m, char **urip);
/* Body length in bytes (0: no body). */
size_t msg_body_len(const struct sip_msg *m);
/* The first body's bytes (not NUL-terminated) and length; NULL and 0 if none. */
const char *msg_body(const struct sip_msg *m, size_t *lenp);
/* "type/subtype" of the body, lower case, into buf; NULL if none. */
const char *msg_content_type(const struct sip_msg *m, char *buf, size_t size);

/*
 * Dialog fields (RFC 3261 §12.1), for dlg.c, which never sees libosip2.
 * Every URI is returned as addr-spec text ("sip:bob@192.0.2.1:5070"),
 * display name and header parameters left out; results are malloc'd
 * (free()) and written only on success.
 *
 * The From / To URI: 0, -EINVAL (no such header, or a URI that does not
 * serialize), -ENOMEM.
 */
int msg_from_uri(const struct sip_msg *m, char **urip);
int msg_to_uri(const struct sip_msg *m, char **urip);
/*
 * The URI of the index-th Contact value (0: the first).  0, -ENOENT (none
 * there, or "*"), -EINVAL (does not serialize), -ENOMEM.
 */
int msg_contact_uri(const struct sip_msg *m, unsigned index, char **urip);
/*
 * The Record-Route values in the order they appear, one per entry (a
 * header with two comma-separated values gives two), each as libosip2
 * serializes it ("<sip:p1.example.com;lr>").  Fills out[0 .. min(n, max))
 * with malloc'd strings; returns n, the number of entries (call with max 0
 * to count), or -ENOMEM / -EINVAL (nothing left in out).
 */
int msg_record_routes(const struct sip_msg *m, char **out, size_t max);
/*
 * The URI of one Route or Record-Route value, as text, and whether it has
 * the lr parameter (§19.1.1: a loose router; without it a strict one,
 * §12.2.1.1).  0 (*urip malloc'd, *lr set), -EINVAL (does not parse),
 * -ENOMEM.
 */
int msg_route_uri(const char *route, char **urip, bool *lr);
/* Append one Route header with value (name-addr, parsed). 0, -EINVAL, -ENOMEM. */
int msg_add_route(struct sip_msg *m, const char *value);
/*
 * §8.2.2.1: the Request-URI scheme of a request, lower case, into buf
 * (truncated to size); NULL if none.  Read from the start line itself, so
 * a URI that libosip2 could not parse still has its scheme.
 */
const char *msg_ruri_scheme(const struct sip_msg *m, char *buf, size_t size);
/*
 * The body, as msg_body(), only if its Content-Type is ctype ("type/subtype",
 * lower case; compared without case); else NULL and 0.  For a caller that
 * must not read a body of another type as its own, e.g. one ignored for
 * Content-Disposition handling=optional (§20.11).
 */
const char *msg_body_of_type(const struct sip_msg *m, const char *ctype, size_t *lenp);
/*
 * The value of parameter param (generic-param, §25.1, name compared
 * without case) of the first name/compact header kept in libosip2's
 * generic list (Content-Disposition, ...): "" for a parameter without a
 * value, quotes taken off, truncated to size.  NULL if no such header or
 * parameter.  ("render;handling=optional", "handling" -> "optional")
 */
const char *msg_header_param(const struct sip_msg *m, const char *name, const char *compact,
			     const char *param, char *buf, size_t size);

/*
 * Serialize.  *bufp is malloc'd (free()).  0 or -ENOMEM / -EINVAL.
 * A response built by msg_build_response() is text already: this is one
 * copy of it, not a serialisation.
 */
int msg_to_str(struct sip_msg *m, char **bufp, size_t *lenp);
/*
 * As msg_to_str(), but a response built as text hands over its buffer
 * without copying.  Afterwards m keeps its derived fields (status, method,
 * cseq, call_id, tags, branch) and is good for nothing but msg_free():
 * its other accessors see an empty message and its setters fail.
 */
int msg_take_str(struct sip_msg *m, char **bufp, size_t *lenp);

/*
 * §18.2.2 (and RFC 3581): where the response to req goes.  Reliable
 * transports reuse the request's connection; UDP goes to received (the
 * source) at rport or the sent-by port.
 */
void msg_response_dest(const struct sip_msg *req, struct sip_dest *d);

/* Standard reason phrase for a status code; "Unknown" if none. */
const char *msg_reason(int code);

/* ---- accessors for the UA core (call, options): no libosip2 type above sip/ ---- */

/*
 * RFC 3261 §12.1.1: copy every Record-Route value of req into resp, in
 * order, after any resp has (a dialog-establishing response: the 2xx and
 * each 101-199 with a To tag).  A header that carries several
 * comma-separated values is copied as one value per header line, which
 * §7.3.1 makes equivalent.  0 or -ENOMEM (resp keeps what was copied).
 */
int msg_copy_record_routes(struct sip_msg *resp, const struct sip_msg *req);

/*
 * The reason phrase of a response as it came (it may be empty); NULL for
 * a request or a response without one.  Valid as long as m.
 */
const char *msg_reason_phrase(const struct sip_msg *m);

/*
 * One Contact of m: its URI as text (valid only during the callback) and
 * its q value (RFC 3261 §20.10; 1.0 when absent).  Return
 * nonzero to stop the walk.
 */
typedef int(msg_contact_fn)(void *arg, const char *uri, double q);
/*
 * Call fn for each Contact of m in order, until it returns nonzero; a
 * Contact without a URI ("*") ends the walk.  The number of Contacts passed
 * to fn, or -ENOMEM.
 */
int msg_contacts(const struct sip_msg *m, msg_contact_fn *fn, void *arg);

/*
 * The value of parameter param of the index-th Contact (e.g. "expires",
 * §10.2.4) into buf.  0 ("" for a parameter without a value), -ENOENT (no
 * such Contact or parameter), -EINVAL (a value with a blank or control
 * character), -ENOSPC.
 */
int msg_contact_param(const struct sip_msg *m, unsigned index, const char *param, char *buf,
		      size_t size);
/*
 * RFC 3581 / §18.2.1, read by a UAC in a response: the received host of
 * the top Via into host ("" if absent) and its rport value into *rport
 * (-1 if absent or without a value): where the server saw us come from.
 * 0, -ENOENT (no Via), -EINVAL (a malformed value).
 */
int msg_via_received(const struct sip_msg *m, char *host, size_t size, int *rport);
/*
 * The user part of a request's Request-URI (as sent, escapes kept) into
 * buf; NULL if it has none ("sip:example.com"), or one that does not fit
 * or holds a blank or control character.
 */
const char *msg_ruri_user(const struct sip_msg *m, char *buf, size_t size);
/*
 * The values of every header name (a header libosip2 keeps in its generic
 * list, e.g. Service-Route, Path) in order, split at the commas that
 * separate values (not those inside <> or quotes), each malloc'd into
 * out[0..max) (free() each).  Returns the number stored; 0 also when out
 * of memory.
 */
size_t msg_header_values(const struct sip_msg *m, const char *name, char **out, size_t max);

/*
 * A request to send again (§8.1.3.5: after a 401/407, §22.2; RFC 3263 §4.3:
 * to the next target): a copy of req with a fresh branch in its top Via,
 * CSeq number cseq, and no Authorization or Proxy-Authorization (they
 * answered the old challenge; the caller adds new ones).  Not for ACK or
 * CANCEL, which reuse their INVITE's branch.  0 (*mp: msg_free), -EINVAL,
 * -ENOMEM.
 */
int msg_build_retry(struct sip_msg **mp, const struct sip_msg *req, uint32_t cseq);
/*
 * Add an Authorization (proxy: Proxy-Authorization) header with value,
 * the credentials text of auth_header_value().  0, -EINVAL (a value
 * libosip2 cannot read, or with a control character), -ENOMEM.
 */
int msg_add_credentials(struct sip_msg *m, bool proxy, const char *value);

/* ---- authentication challenges (RFC 3261 §22.2, §22.3; RFC 7616 §3.3) ---- */

/*
 * One WWW-Authenticate (401) or Proxy-Authenticate (407) challenge as plain
 * text, quotes removed.  Empty strings for absent parameters; algorithm
 * empty means MD5 (RFC 7616 §3.3), qop empty means the RFC 2617 form
 * without qop.  Bounded: a challenge with a longer value is skipped.
 * Backslash escapes inside a quoted value are kept as sent (auth refuses
 * such values rather than guess).
 */
struct msg_challenge {
	bool proxy;	/* Proxy-Authenticate: answer with Proxy-Authorization */
	bool stale;	/* stale=true: the nonce expired, the password was right */
	char scheme[16];
	char realm[128];
	char nonce[256];
	char opaque[256];
	char algorithm[32];
	char qop[64];	/* the qop-options list as sent, e.g. "auth,auth-int" */
};

/*
 * Fill out[0..max) with the challenges of m: every WWW-Authenticate in
 * order, then every Proxy-Authenticate.  A challenge with no scheme or a
 * value longer than its field is skipped (never truncated: a cut nonce
 * would only earn another 401).  Returns the number stored.
 */
size_t msg_challenges(const struct sip_msg *m, struct msg_challenge *out, size_t max);

/* ---- a URI split for the resolver (dns.h, RFC 3263 §4) ---- */

/* The parts of a sip: or sips: URI that say where its requests go. */
struct msg_uri_parts {
	bool sips;	    /* the scheme is sips: */
	char host[256];	    /* as written; an IPv6 literal without its brackets */
	uint16_t port;	    /* 0: none given */
	char transport[16]; /* ;transport= value, lower case; "": none */
};

/*
 * Split uri into *p (written only on success).  No DNS and no judgement on
 * the host or the transport name beyond their length: the resolver decides.
 * 0, -ENOMEM, or -EINVAL / -EPROTONOSUPPORT with why (may be NULL) naming
 * the first fault: no URI, a blank or control character, not a URI, a
 * scheme other than sip:/sips:, no host, a host of 256 characters or more,
 * a port outside 1..65535, an empty ;transport= or one of 16 characters or
 * more (-EPROTONOSUPPORT).
 */
int msg_uri_parts(const char *uri, struct msg_uri_parts *p, char *why, size_t whylen);

/* uri (a URI, or a name-addr or Route value "<uri;lr>") has the sips: scheme; NULL: false. */
bool msg_uri_sips(const char *uri);

#endif
