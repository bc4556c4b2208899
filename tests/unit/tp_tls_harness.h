/*
 * tp_tls_harness: what the TLS suites of the transport share
 * (check_tp_tls, check_tp_tls_verify): the certificates of
 * tests/tls/mkcerts.sh, made once per test binary into a temporary
 * directory and removed at its end (tls_main()); settings built on them;
 * two tp instances on one event_base (a connects, b listens) and a raw
 * TCP client, and a loop that runs until what the test waits for has
 * happened.  A safety timer ends a run that waits in vain, so a bug fails
 * the test instead of hanging it; no test measures time.  Helpers are
 * static inline: a suite uses what it needs.
 */
#ifndef CHECK_TP_TLS_HARNESS_H
#define CHECK_TP_TLS_HARNESS_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/log.h"
#include "core/net.h"
#include "core/stats.h"
#include "sip/tp.h"

#include "check_run.h"

#define MAXREC 16
#define SAFETY_S 5

static char certdir[256];

struct h;

struct rec {
	char buf[2048];
	size_t len;
	struct sip_dest src;
};

/* One tp instance and what it reported. */
struct side {
	struct h *h;
	struct tp *tp;
	struct stats st;
	struct rec msg[MAXREC];
	int n_msg;
	uint64_t conn_id[MAXREC];
	int conn_err[MAXREC];
	int n_conn;
	int n_pong;
	const char *reply; /* answer every message on its source with this */
};

/* A raw TCP client. */
struct raw {
	struct h *h;
	int fd;
	struct event *ev;
	size_t len; /* bytes received */
	bool closed;
};

struct want {
	int a_msg, a_conn, b_msg, b_conn, a_pong;
	bool r_closed;
};

struct h {
	struct event_base *base;
	struct event *safety;
	bool timed_out;
	struct want want;
	struct side a, b;
	struct raw r;
};

static const struct tp_opts opts = {.max_msg = 65535, .max_tcp_conns = 16, .tcp_idle_s = 60};

static const char MSG1[] = "OPTIONS sip:a@localhost SIP/2.0\r\n"
			   "Via: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK1\r\n"
			   "Content-Length: 5\r\n"
			   "\r\n"
			   "hello";
static const char MSG2[] = "MESSAGE sip:b@localhost SIP/2.0\r\n"
			   "Via: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK2\r\n"
			   "l: 3\r\n"
			   "\r\n"
			   "abc";
static const char RESP[] = "SIP/2.0 200 OK\r\n"
			   "Via: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK1\r\n"
			   "Content-Length: 0\r\n"
			   "\r\n";

/* ---- certificates --------------------------------------------------- */

/* certdir/name, in one of a few static buffers (a config holds several). */
static inline const char *cert(const char *name)
{
	static char bufs[8][512];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", certdir, name);
	return b;
}

/* A side's TLS settings: the test CA, and our certificate if name is set. */
static inline struct tp_tls_cfg tls_cfg(const char *name)
{
	static char crt[512], key[512];
	struct tp_tls_cfg c = {
	    .ca_file = cert("ca.pem"),
	    .verify_server = true,
	    .verify_client = TP_VERIFY_NO,
	    .session_cache = true,
	    .handshake_timeout_s = 5,
	};

	if (name) {
		snprintf(crt, sizeof(crt), "%s/%s.pem", certdir, name);
		snprintf(key, sizeof(key), "%s/%s.key", certdir, name);
		c.certificate = crt;
		c.private_key = key;
	}
	return c;
}

static inline void tls_set(struct side *s, const struct tp_tls_cfg *c)
{
	char why[256] = "";

	ck_assert_msg(tp_tls_set(s->tp, c, why, sizeof(why)) == 0, "tp_tls_set: %s", why);
}

/* ---- harness -------------------------------------------------------- */

static inline bool h_done(const struct h *h)
{
	const struct want *w = &h->want;

	return h->a.n_msg >= w->a_msg && h->a.n_conn >= w->a_conn && h->b.n_msg >= w->b_msg &&
	       h->b.n_conn >= w->b_conn && h->a.n_pong >= w->a_pong &&
	       (!w->r_closed || h->r.closed);
}

static inline void poke(struct h *h)
{
	if (h_done(h))
		event_base_loopbreak(h->base);
}

static inline void safety_cb(evutil_socket_t fd, short what, void *arg)
{
	struct h *h = arg;

	h->timed_out = true;
	event_base_loopbreak(h->base);
}

/* Run the loop until h->want is met; false if the safety timer ended it. */
static inline bool run(struct h *h)
{
	struct timeval tv = {SAFETY_S, 0};

	h->timed_out = false;
	if (!h_done(h)) {
		evtimer_add(h->safety, &tv);
		event_base_loop(h->base, 0);
		evtimer_del(h->safety);
	}
	return h_done(h) && !h->timed_out;
}

static inline void on_recv(void *arg, const struct tp_pkt *pkt)
{
	struct side *s = arg;
	struct rec *r;

	ck_assert_int_lt(s->n_msg, MAXREC);
	r = &s->msg[s->n_msg++];
	ck_assert_uint_le(pkt->len, sizeof(r->buf));
	memcpy(r->buf, pkt->buf, pkt->len);
	r->len = pkt->len;
	r->src = pkt->src;
	if (s->reply) {
		struct sip_dest d = pkt->src;

		ck_assert_int_eq(tp_send(s->tp, &d, s->reply, strlen(s->reply)), 0);
		ck_assert_uint_eq(d.conn, pkt->src.conn); /* the answer on the same connection */
	}
	poke(s->h);
}

static inline void on_conn(void *arg, uint64_t conn, int err)
{
	struct side *s = arg;

	ck_assert_int_lt(s->n_conn, MAXREC);
	s->conn_id[s->n_conn] = conn;
	s->conn_err[s->n_conn++] = err;
	poke(s->h);
}

static inline void on_pong(void *arg, uint64_t conn)
{
	struct side *s = arg;

	s->n_pong++;
	poke(s->h);
}

static inline void side_init(struct h *h, struct side *s, const struct tp_opts *o)
{
	s->h = h;
	ck_assert_int_eq(tp_new(&s->tp, h->base, o, on_recv, on_conn, s, &s->st), 0);
	tp_set_pong_cb(s->tp, on_pong);
}

static inline void h_init(struct h *h, const struct tp_opts *ob)
{
	memset(h, 0, sizeof(*h));
	h->r.fd = -1;
	h->base = event_base_new();
	ck_assert_ptr_nonnull(h->base);
	h->safety = evtimer_new(h->base, safety_cb, h);
	ck_assert_ptr_nonnull(h->safety);
	side_init(h, &h->a, &opts);
	side_init(h, &h->b, ob ? ob : &opts);
}

static inline void raw_close(struct raw *r)
{
	if (r->ev)
		event_free(r->ev);
	if (r->fd >= 0)
		close(r->fd);
	r->ev = NULL;
	r->fd = -1;
}

static inline void h_fini(struct h *h)
{
	tp_free(h->a.tp);
	tp_free(h->b.tp);
	raw_close(&h->r);
	event_free(h->safety);
	event_base_free(h->base);
}

static inline struct net_addr addr(const char *host, uint16_t port)
{
	struct net_addr a;

	ck_assert_int_eq(net_addr_from_host(&a, host, port), 0);
	return a;
}

/* b listens on TLS at host with certificate name (and those settings). */
static inline struct net_addr b_listen(struct h *h, const char *host, const struct tp_tls_cfg *c)
{
	struct net_addr a = addr(host, 0), bound;

	tls_set(&h->b, c);
	ck_assert_int_eq(tp_listen(h->b.tp, NET_TLS, &a, &bound), 0);
	return bound;
}

/* A TLS destination: b's address, checked for host. */
static inline struct sip_dest tls_dest(const struct net_addr *to, const char *host)
{
	struct sip_dest d = {.proto = NET_TLS, .addr = *to};

	snprintf(d.host, sizeof(d.host), "%s", host);
	return d;
}

static inline void raw_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw *r = arg;
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		r->closed = true;
		event_del(r->ev);
	} else {
		r->len += (size_t)n;
	}
	poke(r->h);
}

/* A raw TCP client connected to `to`, watched for bytes and the close. */
static inline void raw_connect(struct h *h, const struct net_addr *to)
{
	struct raw *r = &h->r;

	r->h = h;
	r->fd = socket(net_addr_family(to), SOCK_STREAM, 0);
	ck_assert_int_ge(r->fd, 0);
	ck_assert_int_eq(connect(r->fd, (const struct sockaddr *)&to->ss, to->len), 0);
	ck_assert_int_eq(fcntl(r->fd, F_SETFL, O_NONBLOCK), 0);
	r->ev = event_new(h->base, r->fd, EV_READ | EV_PERSIST, raw_read_cb, r);
	ck_assert_ptr_nonnull(r->ev);
	event_add(r->ev, NULL);
}

static inline void ck_rec(const struct rec *r, const char *want)
{
	ck_assert_uint_eq(r->len, strlen(want));
	ck_assert(memcmp(r->buf, want, r->len) == 0);
}

static inline void ck_why(const struct tp *tp, uint64_t conn, const char *part)
{
	char why[256] = "";

	ck_assert_int_eq(tp_conn_why(tp, conn, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, part) != NULL, "why \"%s\" lacks \"%s\"", why, part);
}

static inline struct tp_conn_info info(const struct tp *tp, uint64_t conn)
{
	struct tp_conn_info ci;

	ck_assert_int_eq(tp_conn_info(tp, conn, &ci), 0);
	return ci;
}

#define SUBJ_SERVER "CN=sipuad test server,O=sipuad tests"
#define SUBJ_SERVER2 "CN=sipuad test server 2,O=sipuad tests"
#define SUBJ_CLIENT "CN=sipuad test client,O=sipuad tests"

/* ---- certificates on disk ------------------------------------------- */

/* tests/tls/mkcerts.sh, from $SRCDIR or a likely relative place. */
static inline void mkcerts(void)
{
	static const char *const guesses[] = {".", "..", "../..", "../../.."};
	const char *srcdir = getenv("SRCDIR"), *tmp = getenv("TMPDIR");
	char script[512] = "", cmd[1024];

	for (size_t i = 0; !srcdir && i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		snprintf(script, sizeof(script), "%s/tests/tls/mkcerts.sh", guesses[i]);
		if (access(script, R_OK) == 0)
			srcdir = guesses[i];
	}
	if (!srcdir) {
		fprintf(stderr, "tests/tls/mkcerts.sh not found (set SRCDIR)\n");
		exit(99);
	}
	snprintf(certdir, sizeof(certdir), "%s/check_tp_tls-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(certdir)) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/tls/mkcerts.sh' '%s' >/dev/null", srcdir, certdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "%s failed\n", cmd);
		exit(99);
	}
}

static inline void rmcerts(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", certdir);
}

/* main() of a TLS suite: the certificates made, the suite run, the certificates gone. */
static inline int tls_main(Suite *s)
{
	int rc;

	/* A write to a connection the peer reset must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	log_open(true, getenv("CHECK_TP_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	mkcerts();
	rc = check_run(s);
	rmcerts();
	log_close();
	return rc;
}

#endif
