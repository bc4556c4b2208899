/*
 * check_sip: the stack object's keepalives (sip_keepalive(), RFC 5626
 * §4.4.1) over real loopback sockets, with the pong bound on the fake
 * clock, so the 10 s pass without sleeping.
 *
 * The peer is a raw TCP listener that accepts the stack's connection,
 * records what arrives and answers only when the test writes (a pong, a
 * response, a close); a second stack stands in for a registrar that
 * answers pings by itself.  Each wait runs the loop until its condition
 * holds, bounded by a real safety timer, so a bug fails the test instead
 * of hanging it.
 */
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
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/sip.h"

#include "check_run.h"

#define SAFETY_S 5

/* A raw peer: a TCP listener and the last connection it accepted, or a UDP socket. */
struct peer {
	int lfd, fd;
	struct event *lev, *ev;
	struct net_addr addr; /* where the stack sends */
	char buf[4096];	      /* what arrived, NUL-terminated */
	size_t len;
	unsigned accepted;
	bool closed;
};

/* One caller's keepalive and what became of it. */
struct slot {
	struct sip_keepalive *k;
	struct slot *other; /* done cancels other's keepalive, if set */
	int err;
	unsigned calls;
	unsigned order; /* n_done when it was told */
};

static struct event_base *base;
static struct event *safety;
static bool timed_out;
static struct tmr_clock *clk;
static struct sip *sip;
static struct stats st;
static struct peer peer;
static unsigned n_done, n_stray;
static int tsx_err;
static unsigned tsx_calls, tsx_order;

static const char STRAY[] = "SIP/2.0 200 OK\r\n"
			    "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKstray\r\n"
			    "From: <sip:a@127.0.0.1>;tag=1\r\n"
			    "To: <sip:b@127.0.0.1>;tag=2\r\n"
			    "Call-ID: stray1\r\n"
			    "CSeq: 1 OPTIONS\r\n"
			    "Content-Length: 0\r\n"
			    "\r\n";

/* ---- harness -------------------------------------------------------- */

static void safety_cb(evutil_socket_t fd, short what, void *arg)
{
	timed_out = true;
}

/* Run the loop until cond holds; fail if the safety timer ends the wait. */
#define WAIT(cond)                                                                                 \
	do {                                                                                       \
		struct timeval tv_ = {SAFETY_S, 0};                                                \
		timed_out = false;                                                                 \
		evtimer_add(safety, &tv_);                                                         \
		while (!(cond) && !timed_out)                                                      \
			event_base_loop(base, EVLOOP_ONCE);                                        \
		evtimer_del(safety);                                                               \
		ck_assert_msg(cond, "gave up waiting for " #cond);                                 \
	} while (0)

static void peer_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	ssize_t n = recv(fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		p->closed = true;
		event_del(p->ev);
		return;
	}
	p->len += (size_t)n;
	p->buf[p->len] = '\0';
}

static void peer_watch(struct peer *p)
{
	ck_assert_int_eq(fcntl(p->fd, F_SETFL, O_NONBLOCK), 0);
	p->ev = event_new(base, p->fd, EV_READ | EV_PERSIST, peer_read_cb, p);
	ck_assert_ptr_nonnull(p->ev);
	event_add(p->ev, NULL);
}

static void peer_drop(struct peer *p)
{
	if (p->ev)
		event_free(p->ev);
	if (p->fd >= 0)
		close(p->fd);
	p->ev = NULL;
	p->fd = -1;
}

/* A new connection replaces the last one; what arrived is forgotten. */
static void peer_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	int c = accept(fd, NULL, NULL);

	if (c < 0)
		return;
	peer_drop(p);
	p->fd = c;
	p->len = 0;
	p->buf[0] = '\0';
	p->closed = false;
	p->accepted++;
	peer_watch(p);
}

static void peer_bind(struct peer *p, int type)
{
	ck_assert_int_eq(net_addr_from_host(&p->addr, "127.0.0.1", 0), 0);
	p->lfd = socket(AF_INET, type, 0);
	ck_assert_int_ge(p->lfd, 0);
	ck_assert_int_eq(bind(p->lfd, (const struct sockaddr *)&p->addr.ss, p->addr.len), 0);
	p->addr.len = sizeof(p->addr.ss);
	ck_assert_int_eq(getsockname(p->lfd, (struct sockaddr *)&p->addr.ss, &p->addr.len), 0);
}

static void peer_listen(struct peer *p)
{
	peer_bind(p, SOCK_STREAM);
	ck_assert_int_eq(listen(p->lfd, 8), 0);
	p->lev = event_new(base, p->lfd, EV_READ | EV_PERSIST, peer_accept_cb, p);
	ck_assert_ptr_nonnull(p->lev);
	event_add(p->lev, NULL);
}

/* UDP: the socket itself is what is read. */
static void peer_udp(struct peer *p)
{
	peer_bind(p, SOCK_DGRAM);
	p->fd = p->lfd;
	p->lfd = -1;
	peer_watch(p);
}

static void peer_write(struct peer *p, const char *data)
{
	size_t n = strlen(data);

	ck_assert_int_ge(p->fd, 0);
	ck_assert_int_eq(write(p->fd, data, n), (ssize_t)n);
}

static void on_done(void *arg, int err)
{
	struct slot *s = arg;

	s->k = NULL;
	s->err = err;
	s->calls++;
	s->order = ++n_done;
	if (s->other && s->other->k) {
		sip_keepalive_cancel(s->other->k);
		s->other->k = NULL;
	}
}

static void on_stray(void *arg, const struct sip_msg *resp)
{
	n_stray++;
}

static void on_tsx(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	ck_assert_ptr_null(resp);
	tsx_err = err;
	tsx_calls++;
	tsx_order = n_done;
}

static struct sip_cfg stack_cfg(void)
{
	struct sip_cfg c = {
	    .tsx = {.t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000, .max_tsx = 16, .server = "t"},
	    .tp = {.max_msg = 65535, .max_tcp_conns = 16, .tcp_idle_s = 3600},
	};

	return c;
}

static void stack_new(struct sip **sp, const struct sip_cfg *c)
{
	struct tsx_user u = {.stray_response = on_stray};

	ck_assert_int_eq(sip_new(sp, base, clk, c, &st), 0);
	sip_set_user(*sp, &u);
}

static void setup(void)
{
	struct sip_cfg c = stack_cfg();

	memset(&st, 0, sizeof(st));
	memset(&peer, 0, sizeof(peer));
	peer.lfd = peer.fd = -1;
	n_done = n_stray = tsx_calls = tsx_order = 0;
	tsx_err = 1;
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	safety = evtimer_new(base, safety_cb, NULL);
	ck_assert_ptr_nonnull(safety);
	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	stack_new(&sip, &c);
}

static void teardown(void)
{
	sip_free(sip);
	sip = NULL;
	peer_drop(&peer);
	if (peer.lev)
		event_free(peer.lev);
	if (peer.lfd >= 0)
		close(peer.lfd);
	tmr_clock_free(clk);
	event_free(safety);
	event_base_free(base);
}

static struct sip_dest tcp_to(const struct net_addr *a)
{
	struct sip_dest d = {.proto = NET_TCP, .addr = *a};

	return d;
}

/* A keepalive toward the TCP peer, its ping seen there (after skip earlier bytes). */
static void ping_peer(struct slot *s, size_t skip)
{
	struct sip_dest d = tcp_to(&peer.addr);
	unsigned calls = s->calls;

	ck_assert_int_eq(sip_keepalive(sip, &d, SIP_PONG_TIMEOUT_MS, on_done, s, &s->k), 0);
	ck_assert_ptr_nonnull(s->k);
	ck_assert_uint_eq(s->calls, calls); /* never inside the call */
	WAIT(peer.len >= skip + 4);
	ck_assert(memcmp(peer.buf + skip, "\r\n\r\n", 4) == 0);
}

/* ---- tests ---------------------------------------------------------- */

START_TEST(test_pong_in_time)
{
	struct slot s = {0};

	peer_listen(&peer);
	ping_peer(&s, 0);
	tmr_fake_advance(clk, SIP_PONG_TIMEOUT_MS - 1);
	ck_assert_uint_eq(s.calls, 0);
	peer_write(&peer, "\r\n");
	WAIT(s.calls == 1);
	ck_assert_int_eq(s.err, 0);
	ck_assert_ptr_null(s.k);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	/* The flow stays: no late timeout, the connection open. */
	tmr_fake_advance(clk, 60000);
	ck_assert_uint_eq(s.calls, 1);
	ck_assert_uint_eq(sip_conn_count(sip), 1);

	/* The next one goes on the same connection. */
	ping_peer(&s, 4);
	peer_write(&peer, "\r\n");
	WAIT(s.calls == 2);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(peer.accepted, 1);
}
END_TEST

/*
 * No pong within 10 s: the flow has failed.  The stack closes the
 * connection, the transaction on it fails too, and the next keepalive
 * opens a new connection.
 */
START_TEST(test_no_pong)
{
	struct msg_req_spec spec = {
	    .method = "OPTIONS",
	    .from = "sip:a@127.0.0.1",
	    .cseq = 1,
	    .via_proto = NET_TCP,
	};
	struct sip_dest d;
	struct sip_msg *m = NULL;
	struct slot s = {0};
	struct tsx *ct = NULL;
	char ruri[128], a[NET_ADDR_STRLEN];

	peer_listen(&peer);
	ping_peer(&s, 0);
	snprintf(ruri, sizeof(ruri), "sip:b@%s;transport=tcp",
		 net_addr_fmt(&peer.addr, a, sizeof(a)));
	spec.ruri = ruri;
	ck_assert_int_eq(net_addr_from_host(&spec.via_addr, "127.0.0.1", 5060), 0);
	ck_assert_int_eq(msg_build_request(&m, &spec), 0);
	d = tcp_to(&peer.addr);
	ck_assert_int_eq(tsx_request(sip_tsx(sip), m, &d, on_tsx, NULL, &ct), 0);
	WAIT(strstr(peer.buf, "OPTIONS ") != NULL);
	ck_assert_uint_eq(sip_conn_count(sip), 1);

	tmr_fake_advance(clk, SIP_PONG_TIMEOUT_MS - 1);
	ck_assert_uint_eq(s.calls, 0);
	ck_assert_uint_eq(tsx_calls, 0);
	tmr_fake_advance(clk, 1);
	ck_assert_uint_eq(s.calls, 1);
	ck_assert_int_eq(s.err, -ETIMEDOUT);
	ck_assert_ptr_null(s.k);
	ck_assert_uint_eq(sip_conn_count(sip), 0);
	/* The transaction heard of it after the keepalive (RFC 3261 §17.1.4). */
	ck_assert_uint_eq(tsx_calls, 1);
	ck_assert_int_eq(tsx_err, -ETIMEDOUT);
	ck_assert_uint_eq(tsx_order, 1);
	ck_assert_uint_eq(sip_tsx_count(sip), 0);
	WAIT(peer.closed);

	/* A new keepalive opens a new connection. */
	peer.len = 0;
	ping_peer(&s, 0);
	ck_assert_uint_eq(peer.accepted, 2);
	peer_write(&peer, "\r\n");
	WAIT(s.calls == 2);
	ck_assert_int_eq(s.err, 0);
}
END_TEST

/* The connection closes before the pong: the error, at once. */
START_TEST(test_closed_first)
{
	struct slot s = {0};

	peer_listen(&peer);
	ping_peer(&s, 0);
	peer_drop(&peer);
	WAIT(s.calls == 1);
	ck_assert_int_eq(s.err, -ECONNRESET);
	ck_assert_uint_eq(sip_conn_count(sip), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	tmr_fake_advance(clk, 60000);
	ck_assert_uint_eq(s.calls, 1);
}
END_TEST

/* Cancelled: no callback, whether the pong comes or the bound passes. */
START_TEST(test_cancel)
{
	struct slot s = {0}, t = {0};

	peer_listen(&peer);
	ping_peer(&s, 0);
	sip_keepalive_cancel(s.k);
	s.k = NULL;
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	/* The pong, then a response: the pong was read by the time it arrives. */
	peer_write(&peer, "\r\n");
	peer_write(&peer, STRAY);
	WAIT(n_stray == 1);
	ck_assert_uint_eq(s.calls, 0);

	/* Cancelled before its bound: no timeout, the connection kept. */
	ping_peer(&t, 4);
	sip_keepalive_cancel(t.k);
	tmr_fake_advance(clk, 60000);
	ck_assert_uint_eq(t.calls, 0);
	ck_assert_uint_eq(sip_conn_count(sip), 1);
	sip_keepalive_cancel(NULL);
}
END_TEST

/* Two callers on one connection: one pong answers both; a callback may cancel the other. */
START_TEST(test_two_callers)
{
	struct slot s = {0}, t = {0};

	peer_listen(&peer);
	ping_peer(&s, 0);
	ping_peer(&t, 4);
	peer_write(&peer, "\r\n");
	WAIT(n_done == 2);
	ck_assert_int_eq(s.err, 0);
	ck_assert_int_eq(t.err, 0);

	/* Whichever is told first cancels the other: one call in all. */
	s.other = &t;
	t.other = &s;
	ping_peer(&s, 8);
	ping_peer(&t, 12);
	peer_write(&peer, "\r\n");
	WAIT(n_done == 3);
	ck_assert_uint_eq(s.calls + t.calls, 3);
	ck_assert_ptr_null(s.k);
	ck_assert_ptr_null(t.k);
	tmr_fake_advance(clk, 60000);
	ck_assert_uint_eq(n_done, 3);
	ck_assert_uint_eq(sip_conn_count(sip), 1);
}
END_TEST

/* A registrar's stack answers our ping by itself (the server side of §4.4.1). */
START_TEST(test_server_answers)
{
	struct sip_cfg c = stack_cfg();
	struct net_addr any, srv;
	struct sip *server = NULL;
	struct sip_dest d;
	struct slot s = {0};

	stack_new(&server, &c);
	ck_assert_int_eq(net_addr_from_host(&any, "127.0.0.1", 0), 0);
	ck_assert_int_eq(sip_listen(server, NET_TCP, &any, &srv), 0);
	d = tcp_to(&srv);
	ck_assert_int_eq(sip_keepalive(sip, &d, SIP_PONG_TIMEOUT_MS, on_done, &s, &s.k), 0);
	WAIT(s.calls == 1);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(sip_conn_count(server), 1);
	/* Again, on the connection the first one opened. */
	d = tcp_to(&srv);
	ck_assert_int_eq(sip_keepalive(sip, &d, SIP_PONG_TIMEOUT_MS, on_done, &s, &s.k), 0);
	WAIT(s.calls == 2);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(sip_conn_count(sip), 1);
	sip_free(server);
}
END_TEST

/* UDP: a CRLF datagram, done(0) from the loop; a send that fails: its error. */
START_TEST(test_udp)
{
	struct net_addr any;
	struct sip_dest d = {.proto = NET_UDP};
	struct slot s = {0}, t = {0};

	ck_assert_int_eq(net_addr_from_host(&any, "127.0.0.1", 0), 0);
	ck_assert_int_eq(sip_listen(sip, NET_UDP, &any, NULL), 0);
	peer_udp(&peer);
	d.addr = peer.addr;
	ck_assert_int_eq(sip_keepalive(sip, &d, SIP_PONG_TIMEOUT_MS, on_done, &s, &s.k), 0);
	ck_assert_uint_eq(s.calls, 0);
	tmr_fake_advance(clk, 0);
	ck_assert_uint_eq(s.calls, 1);
	ck_assert_int_eq(s.err, 0);
	WAIT(peer.len == 2);
	ck_assert_str_eq(peer.buf, "\r\n");
	ck_assert_uint_eq(st.tx_errors, 0);

	/* No UDP listener of that family. */
	ck_assert_int_eq(net_addr_from_host(&d.addr, "::1", 5060), 0);
	ck_assert_int_eq(sip_keepalive(sip, &d, SIP_PONG_TIMEOUT_MS, on_done, &t, &t.k), 0);
	ck_assert_uint_eq(t.calls, 0);
	tmr_fake_advance(clk, 0);
	ck_assert_uint_eq(t.calls, 1);
	ck_assert_int_eq(t.err, -EAFNOSUPPORT);
	ck_assert_uint_eq(st.tx_errors, 1);
}
END_TEST

/* A TCP send that fails (no connection may be opened): the error from the loop. */
START_TEST(test_tcp_send_fails)
{
	struct sip_cfg c = stack_cfg();
	struct sip_dest d;
	struct slot s = {0};

	peer_listen(&peer);
	c.tp.max_tcp_conns = 0;
	sip_set_cfg(sip, &c);
	d = tcp_to(&peer.addr);
	ck_assert_int_eq(sip_keepalive(sip, &d, SIP_PONG_TIMEOUT_MS, on_done, &s, &s.k), 0);
	ck_assert_uint_eq(s.calls, 0);
	tmr_fake_advance(clk, 0);
	ck_assert_uint_eq(s.calls, 1);
	ck_assert_int_eq(s.err, -EMFILE);
	ck_assert_uint_eq(st.tx_errors, 1);
}
END_TEST

/* sip_free() ends a pending keepalive without a call (ASan: nothing leaks). */
START_TEST(test_free_pending)
{
	struct slot s = {0};

	peer_listen(&peer);
	ping_peer(&s, 0);
	sip_free(sip);
	sip = NULL;
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	tmr_fake_advance(clk, 60000);
	ck_assert_uint_eq(s.calls, 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("sip");
	TCase *tc = tcase_create("keepalive");

	/* A write to a connection the peer reset must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	log_open(true, getenv("CHECK_SIP_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	msg_lib_init();
	tcase_add_checked_fixture(tc, setup, teardown);
	/* Our own safety timers end a stuck wait; this only backs them up. */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_pong_in_time);
	tcase_add_test(tc, test_no_pong);
	tcase_add_test(tc, test_closed_first);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_two_callers);
	tcase_add_test(tc, test_server_answers);
	tcase_add_test(tc, test_udp);
	tcase_add_test(tc, test_tcp_send_fails);
	tcase_add_test(tc, test_free_pending);
	suite_add_tcase(su, tc);
	return check_run(su);
}
