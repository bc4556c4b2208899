/*
 * fuzz_msg_req: libFuzzer target for the requests we write as text
 * (src/sip/msg_req.c): a dialog's lines (msg_dlg_lines), the requests
 * around them (msg_build_dlg_request), requests outside a dialog
 * (msg_build_request) and a request sent again (msg_build_retry).
 *
 * The input is split at newlines into the fields: Request-URI, remote
 * URI, remote tag, local URI, local tag, Call-ID, Contact, User-Agent,
 * method, then Route values.  Inside a dialog the URIs reach dlg.c the
 * way the dialog gets them, through libosip2 (a URI parsed and written
 * back); outside one they are the user's text as it is.  Whatever the
 * bytes, a request that builds:
 *   - holds only the header lines we write (no field smuggles in one),
 *     with as many Route lines as values given;
 *   - parses back, and the parse has the derived fields the build set;
 *   - still does after a retry with credentials, and its CANCEL (an
 *     INVITE's, written from its text) does too;
 * and nothing leaks.
 *
 *   tests/fuzz/fuzz_msg_req -max_total_time=60 tests/fuzz/corpus/msg_req
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "core/net.h"
#include "sip/frame.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_FIXED 9
#define N_ROUTE_MAX 4

/* clang-format off */
static const char *const allowed[] = {
	"Via", "Max-Forwards", "CSeq", "To", "From", "Call-ID", "Route", "Contact",
	"User-Agent", "Authorization", "Content-Length", NULL,
};
/* clang-format on */

/* Every header line of text is one we write; the number of Route lines. */
static unsigned headers_ours(const char *text, size_t len)
{
	const char *eol = strstr(text, "\r\n"), *end = strstr(text, "\r\n\r\n");
	size_t pos, hdr_len;
	struct frame_hdr h;
	unsigned routes = 0;

	if (!eol || !end || (size_t)(end - text) + 4 != len)
		abort(); /* no body here: the message ends at the empty line */
	pos = (size_t)(eol - text) + 2;
	hdr_len = (size_t)(end - text) + 2;
	for (const char *p = text; p < end + 2; p++)
		if ((*p == '\r' && p[1] != '\n') || (*p == '\n' && (p == text || p[-1] != '\r')))
			abort(); /* a bare CR or LF: a line break of its own */
	while (frame_next_hdr(text, hdr_len, &pos, &h)) {
		bool known = false;

		if (h.unclean)
			abort();
		for (const char *const *a = allowed; *a; a++)
			known |=
			    strlen(*a) == h.name_len && strncasecmp(*a, h.name, h.name_len) == 0;
		if (!known)
			abort();
		routes += h.name_len == 5 && strncasecmp(h.name, "Route", 5) == 0;
	}
	return routes;
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* m's text: only our headers, parses back with m's derived fields. */
static void check(struct sip_msg *m, unsigned want_routes)
{
	struct sip_msg *back = NULL;
	char *text = NULL;
	size_t len;

	if (msg_to_str(m, &text, &len) < 0)
		return; /* out of memory */
	if (headers_ours(text, len) != want_routes)
		abort();
	if (msg_parse(&back, text, len, false) == 0) {
		/*
		 * libosip2 may not read every URI we let through (outside a
		 * dialog the user's text goes as it is, once libosip2 read it
		 * as a URI): what it reads must be what we meant.
		 */
		if (!back->is_request || !same(back->method, m->method) || back->cseq != m->cseq ||
		    !same(back->branch, m->branch))
			abort();
		if (back->call_id && !same(back->call_id, m->call_id))
			abort();
		if (back->from_tag && !same(back->from_tag, m->from_tag))
			abort();
	}
	msg_free(back);
	free(text);
}

/* A URI as a dialog keeps it: libosip2's writing of its parse; NULL if it does not parse. */
static char *via_libosip2(const char *s)
{
	osip_uri_t *u = NULL;
	char *out = NULL, *copy;

	if (osip_uri_init(&u) != OSIP_SUCCESS)
		return NULL;
	if (osip_uri_parse(u, s) == OSIP_SUCCESS)
		osip_uri_to_str(u, &out);
	osip_uri_free(u);
	copy = out ? strdup(out) : NULL;
	osip_free(out);
	return copy;
}

static void retry(struct sip_msg *m, unsigned routes)
{
	struct sip_msg *r = NULL;

	if (msg_build_retry(&r, m, m->cseq + 1 < 0x80000000u ? m->cseq + 1 : 1) < 0)
		return;
	if (msg_add_credentials(r, false, "Digest username=\"u\", response=\"0\"") == 0)
		check(r, routes);
	msg_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	char *buf, *f[N_FIXED + N_ROUTE_MAX] = {0}, *uris[4] = {0}, *lines = NULL;
	size_t n = 0, len;
	struct msg_dlg_ids ids;
	struct msg_req_spec spec;
	struct msg_dlg_req r;
	struct sip_msg *m = NULL;

	if (!init) {
		msg_lib_init();
		init = true;
	}
	if (!(buf = malloc(size + 1)))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf, *nl; n < N_FIXED + N_ROUTE_MAX; p = nl + 1) {
		f[n++] = p;
		if (!(nl = strchr(p, '\n')))
			break;
		*nl = '\0';
	}
	for (size_t i = 0; i < N_FIXED; i++)
		if (!f[i])
			f[i] = "";

	/* Inside a dialog. */
	uris[0] = via_libosip2(f[0]);
	uris[1] = via_libosip2(f[1]);
	uris[2] = via_libosip2(f[3]);
	ids = (struct msg_dlg_ids){
	    .ruri = uris[0],
	    .remote_uri = uris[1],
	    .remote_tag = f[2],
	    .local_uri = uris[2],
	    .local_tag = f[4],
	    .call_id = f[5],
	    .route = n > N_FIXED ? f + N_FIXED : NULL,
	    .n_route = n > N_FIXED ? n - N_FIXED : 0,
	    .contact = f[6][0] ? f[6] : NULL,
	    .user_agent = f[7][0] ? f[7] : NULL,
	};
	if (msg_dlg_lines(&lines, &len, &ids) == 0) {
		r = (struct msg_dlg_req){
		    .method = f[8][0] ? f[8] : "BYE",
		    .ruri = ids.ruri,
		    .cseq = 7,
		    .via_proto = NET_UDP,
		    .lines = lines,
		    .lines_len = len,
		    .call_id = ids.call_id,
		    .from_tag = ids.local_tag,
		    .to_tag = ids.remote_tag,
		};
		net_addr_from_host(&r.via_addr, "192.0.2.1", 5060);
		if (msg_build_dlg_request(&m, &r) == 0) {
			check(m, (unsigned)ids.n_route);
			retry(m, (unsigned)ids.n_route);
			msg_free(m);
			m = NULL;
		}
		free(lines);
	}

	/* Outside one: the user's text as it is. */
	spec = (struct msg_req_spec){
	    .method = f[8][0] ? f[8] : "OPTIONS",
	    .ruri = f[0],
	    .to = f[1][0] ? f[1] : NULL,
	    .from = f[3],
	    .from_tag = f[4][0] ? f[4] : NULL,
	    .call_id = f[5][0] ? f[5] : NULL,
	    .cseq = 1,
	    .via_proto = NET_TCP,
	    .contact = ids.contact,
	    .user_agent = ids.user_agent,
	};
	net_addr_from_host(&spec.via_addr, "2001:db8::1", 5062);
	if (msg_build_request(&m, &spec) == 0) {
		unsigned routes = 0;

		for (size_t i = N_FIXED; i < n; i++)
			routes += msg_add_route(m, f[i]) == 0;
		check(m, routes);
		retry(m, routes);
		if (strcmp(m->method, "INVITE") == 0) {
			struct sip_msg *c = NULL;

			if (msg_build_cancel(&c, m) == 0)
				check(c, routes);
			msg_free(c);
		}
		msg_free(m);
	}
	for (size_t i = 0; i < 4; i++)
		free(uris[i]);
	free(buf);
	return 0;
}
