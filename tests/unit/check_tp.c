/*
 * check_tp: the transport over real loopback sockets (127.0.0.1, ::1, port 0).
 *
 * Each test makes its own event_base, one or two tp instances and raw
 * client sockets, then runs the loop until what it waits for has happened
 * (messages seen, bytes read, a connection closed).  A safety timer ends a
 * run that waits in vain, so a bug fails the test instead of hanging it;
 * no test measures time.  Everything is freed at the end of each test, so
 * an AddressSanitizer build also checks for leaks.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/log.h"
#include "core/net.h"
#include "core/stats.h"
#include "sip/tp.h"

#include "check_run.h"

#define MAXREC 16
#define MAXSEQ 256
#define SAFETY_S 5
#define CHUNK_MS 10

struct h;

struct rec {
	char buf[2048];
	size_t len;
	bool oversize;
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
	uint64_t pong_conn[MAXREC];
	int n_pong;
	const char *reply; /* answer every message on its source with this */
	int reply_err;
	/* Tally mode: each message's number ("OPTIONS sip:N@...") and flags only. */
	bool tally;
	unsigned seq[MAXSEQ];
	bool seq_oversize[MAXSEQ];
	struct net_addr tally_from; /* every message must come from here */
	int tally_bad_src;
};

/* A raw client socket, TCP or UDP. */
struct raw {
	struct h *h;
	int fd;
	struct net_addr addr; /* its own address */
	struct event *ev;
	char buf[4096];
	size_t len;
	bool closed;
	const char *const *chunks; /* written one per timer tick */
	int n_chunks, next_chunk;
	struct event *tick;
};

/* What the current run waits for; counts are totals. */
struct want {
	int a_msg, a_conn, b_msg, b_conn, a_pong;
	size_t r1_len;
	bool r1_closed, r2_closed;
};

struct h {
	struct event_base *base;
	struct event *safety;
	bool timed_out;
	struct want want;
	struct side a, b;
	struct raw r1, r2;
};

static const struct tp_opts opts_default = {
    .max_msg = 65535,
    .max_tcp_conns = 16,
    .tcp_idle_s = 60,
};

static const char MSG1[] = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n"
			   "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\n"
			   "Content-Length: 5\r\n"
			   "\r\n"
			   "hello";
static const char MSG2[] = "MESSAGE sip:b@127.0.0.1 SIP/2.0\r\n"
			   "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK2\r\n"
			   "l: 3\r\n"
			   "\r\n"
			   "abc";
static const char MSG3[] = "OPTIONS sip:c@127.0.0.1 SIP/2.0\r\n"
			   "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK3\r\n"
			   "Content-Length: 0\r\n"
			   "\r\n";
static const char RESP[] = "SIP/2.0 200 OK\r\n"
			   "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\n"
			   "Content-Length: 0\r\n"
			   "\r\n";

/* ---- harness -------------------------------------------------------- */

static bool h_done(const struct h *h)
{
	const struct want *w = &h->want;

	return h->a.n_msg >= w->a_msg && h->a.n_conn >= w->a_conn && h->b.n_msg >= w->b_msg &&
	       h->b.n_conn >= w->b_conn && h->a.n_pong >= w->a_pong && h->r1.len >= w->r1_len &&
	       (!w->r1_closed || h->r1.closed) && (!w->r2_closed || h->r2.closed);
}

static void poke(struct h *h)
{
	if (h_done(h))
		event_base_loopbreak(h->base);
}

static void safety_cb(evutil_socket_t fd, short what, void *arg)
{
	struct h *h = arg;

	h->timed_out = true;
	event_base_loopbreak(h->base);
}

/* Run the loop until h->want is met; false if the safety timer ended it. */
static bool run(struct h *h)
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

/* Tally mode: the message's number, its flags, its source checked. */
static void on_recv_tally(struct side *s, const struct tp_pkt *pkt)
{
	char head[64];
	unsigned v = 0;
	size_t n = pkt->len < sizeof(head) - 1 ? pkt->len : sizeof(head) - 1;

	ck_assert_int_lt(s->n_msg, MAXSEQ);
	memcpy(head, pkt->buf, n);
	head[n] = '\0';
	ck_assert_int_eq(sscanf(head, "%*s sip:%u@", &v), 1);
	s->seq[s->n_msg] = v;
	s->seq_oversize[s->n_msg++] = pkt->oversize;
	if (!net_addr_eq(&pkt->src.addr, &s->tally_from))
		s->tally_bad_src++;
	poke(s->h);
}

static void on_recv(void *arg, const struct tp_pkt *pkt)
{
	struct side *s = arg;
	struct rec *r;

	if (s->tally) {
		on_recv_tally(s, pkt);
		return;
	}
	ck_assert_int_lt(s->n_msg, MAXREC);
	r = &s->msg[s->n_msg++];
	ck_assert_uint_le(pkt->len, sizeof(r->buf));
	memcpy(r->buf, pkt->buf, pkt->len);
	r->len = pkt->len;
	r->oversize = pkt->oversize;
	r->src = pkt->src;
	if (s->reply) {
		struct sip_dest d = pkt->src;

		s->reply_err = tp_send(s->tp, &d, s->reply, strlen(s->reply));
	}
	poke(s->h);
}

static void on_conn(void *arg, uint64_t conn, int err)
{
	struct side *s = arg;

	ck_assert_int_lt(s->n_conn, MAXREC);
	s->conn_id[s->n_conn] = conn;
	s->conn_err[s->n_conn++] = err;
	poke(s->h);
}

static void on_pong(void *arg, uint64_t conn)
{
	struct side *s = arg;

	ck_assert_int_lt(s->n_pong, MAXREC);
	s->pong_conn[s->n_pong++] = conn;
	poke(s->h);
}

static void side_init(struct h *h, struct side *s, const struct tp_opts *o)
{
	s->h = h;
	ck_assert_int_eq(tp_new(&s->tp, h->base, o, on_recv, on_conn, s, &s->st), 0);
	tp_set_pong_cb(s->tp, on_pong);
}

static void h_init(struct h *h, const struct tp_opts *oa, const struct tp_opts *ob)
{
	memset(h, 0, sizeof(*h));
	h->r1.fd = h->r2.fd = -1;
	h->base = event_base_new();
	ck_assert_ptr_nonnull(h->base);
	h->safety = evtimer_new(h->base, safety_cb, h);
	ck_assert_ptr_nonnull(h->safety);
	side_init(h, &h->a, oa);
	if (ob)
		side_init(h, &h->b, ob);
}

static void raw_close(struct raw *r)
{
	if (r->ev)
		event_free(r->ev);
	if (r->tick)
		event_free(r->tick);
	if (r->fd >= 0)
		close(r->fd);
	r->ev = r->tick = NULL;
	r->fd = -1;
}

static void h_fini(struct h *h)
{
	tp_free(h->a.tp);
	tp_free(h->b.tp);
	raw_close(&h->r1);
	raw_close(&h->r2);
	event_free(h->safety);
	event_base_free(h->base);
}

static struct net_addr addr(const char *host, uint16_t port)
{
	struct net_addr a;

	ck_assert_int_eq(net_addr_from_host(&a, host, port), 0);
	return a;
}

static struct net_addr listen_on(struct side *s, enum net_proto proto, const char *host)
{
	struct net_addr a = addr(host, 0), bound;

	ck_assert_int_eq(tp_listen(s->tp, proto, &a, &bound), 0);
	ck_assert_uint_ne(net_addr_port(&bound), 0);
	return bound;
}

/* ---- raw clients ---------------------------------------------------- */

static void raw_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw *r = arg;
	ssize_t n = recv(fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);

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

static void raw_watch(struct h *h, struct raw *r)
{
	r->h = h;
	ck_assert_int_eq(fcntl(r->fd, F_SETFL, O_NONBLOCK), 0);
	r->addr.len = sizeof(r->addr.ss);
	ck_assert_int_eq(getsockname(r->fd, (struct sockaddr *)&r->addr.ss, &r->addr.len), 0);
	r->ev = event_new(h->base, r->fd, EV_READ | EV_PERSIST, raw_read_cb, r);
	ck_assert_ptr_nonnull(r->ev);
	event_add(r->ev, NULL);
}

/* A TCP client connected to `to` (the kernel completes it from the backlog). */
static void raw_connect(struct h *h, struct raw *r, const struct net_addr *to)
{
	r->fd = socket(net_addr_family(to), SOCK_STREAM, 0);
	ck_assert_int_ge(r->fd, 0);
	ck_assert_int_eq(connect(r->fd, (const struct sockaddr *)&to->ss, to->len), 0);
	raw_watch(h, r);
}

static void raw_udp(struct h *h, struct raw *r, const char *host)
{
	struct net_addr a = addr(host, 0);

	r->fd = socket(net_addr_family(&a), SOCK_DGRAM, 0);
	ck_assert_int_ge(r->fd, 0);
	ck_assert_int_eq(bind(r->fd, (const struct sockaddr *)&a.ss, a.len), 0);
	raw_watch(h, r);
}

static void raw_write(struct raw *r, const char *data, size_t len)
{
	ck_assert_int_eq(write(r->fd, data, len), (ssize_t)len);
}

static void raw_sendto(struct raw *r, const struct net_addr *to, const char *data, size_t len)
{
	ck_assert_int_eq(sendto(r->fd, data, len, 0, (const struct sockaddr *)&to->ss, to->len),
			 (ssize_t)len);
}

static void raw_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw *r = arg;
	struct timeval tv = {0, CHUNK_MS * 1000};
	const char *c = r->chunks[r->next_chunk++];

	raw_write(r, c, strlen(c));
	if (r->next_chunk < r->n_chunks)
		evtimer_add(r->tick, &tv);
}

/* Write chunks one per loop timer tick, so they arrive as separate segments. */
static void raw_write_chunks(struct raw *r, const char *const *chunks, int n)
{
	struct timeval tv = {0, 0};

	r->chunks = chunks;
	r->n_chunks = n;
	r->next_chunk = 0;
	if (!r->tick)
		r->tick = evtimer_new(r->h->base, raw_tick_cb, r);
	ck_assert_ptr_nonnull(r->tick);
	evtimer_add(r->tick, &tv);
}

static void ck_rec(const struct rec *r, const char *want, size_t len)
{
	ck_assert_uint_eq(r->len, len);
	ck_assert(memcmp(r->buf, want, len) == 0);
}

static size_t hdr_len(const char *m)
{
	return (size_t)(strstr(m, "\r\n\r\n") + 4 - m);
}

/* ---- UDP ------------------------------------------------------------ */

static void udp_roundtrip(const char *host, const char *other_host)
{
	struct h h;
	struct net_addr bound, loc;
	struct sip_dest d;

	h_init(&h, &opts_default, NULL);
	bound = listen_on(&h.a, NET_UDP, host);
	ck_assert_int_eq(tp_local(h.a.tp, NET_UDP, net_addr_family(&bound), &loc), 0);
	ck_assert(net_addr_eq(&loc, &bound));
	ck_assert_int_eq(tp_local(h.a.tp, NET_TCP, net_addr_family(&bound), &loc), -ENOENT);
	ck_assert_uint_eq(tp_listener_count(h.a.tp), 1);

	raw_udp(&h, &h.r1, host);
	raw_sendto(&h.r1, &bound, MSG1, strlen(MSG1));
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], MSG1, strlen(MSG1));
	ck_assert(!h.a.msg[0].oversize);
	d = h.a.msg[0].src;
	ck_assert_int_eq(d.proto, NET_UDP);
	ck_assert(net_addr_eq(&d.addr, &h.r1.addr));
	ck_assert(net_addr_eq(&d.local, &bound));
	ck_assert_uint_eq(d.conn, 0);

	/* The answer goes out from that listener to the source. */
	ck_assert_int_eq(tp_send(h.a.tp, &d, RESP, strlen(RESP)), 0);
	h.want.r1_len = strlen(RESP);
	ck_assert(run(&h));
	ck_assert(memcmp(h.r1.buf, RESP, strlen(RESP)) == 0);

	/* No UDP listener of the other family. */
	d.addr = addr(other_host, 5060);
	d.local.len = 0;
	ck_assert_int_eq(tp_send(h.a.tp, &d, RESP, strlen(RESP)), -EAFNOSUPPORT);
	h_fini(&h);
}

START_TEST(test_udp_v4)
{
	udp_roundtrip("127.0.0.1", "::1");
}
END_TEST

START_TEST(test_udp_v6)
{
	udp_roundtrip("::1", "127.0.0.1");
}
END_TEST

START_TEST(test_udp_oversize)
{
	static const char big_hdr[] = "MESSAGE sip:a@127.0.0.1 SIP/2.0\r\n"
				      "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK9\r\n"
				      "Content-Length: 400\r\n"
				      "\r\n";
	struct tp_opts o = opts_default;
	char big[1024], junk[300];
	struct net_addr bound;
	struct h h;
	size_t n;

	o.max_msg = 200;
	h_init(&h, &o, NULL);
	bound = listen_on(&h.a, NET_UDP, "127.0.0.1");
	raw_udp(&h, &h.r1, "127.0.0.1");

	n = strlen(big_hdr);
	memcpy(big, big_hdr, n);
	memset(big + n, 'b', 400);
	memset(junk, 'x', sizeof(junk));
	raw_sendto(&h.r1, &bound, "\r\n\r\n", 4);      /* keepalive: ignored */
	raw_sendto(&h.r1, &bound, junk, sizeof(junk)); /* no headers: dropped */
	raw_sendto(&h.r1, &bound, big, n + 400);       /* headers only, oversize */
	raw_sendto(&h.r1, &bound, MSG1, strlen(MSG1)); /* fine */
	h.want.a_msg = 2;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], big_hdr, n);
	ck_assert(h.a.msg[0].oversize);
	ck_rec(&h.a.msg[1], MSG1, strlen(MSG1));
	ck_assert(!h.a.msg[1].oversize);
	ck_assert_uint_eq(h.a.st.rx_oversize, 1);
	h_fini(&h);
}
END_TEST

/*
 * A burst of UDP_BURST_N datagrams queued before the loop runs (several
 * recvmmsg batches and more than one wake-up's bound): every message goes
 * up once, in the order sent, from the sender's address; among them an
 * oversize one goes up as its headers with oversize set, a headerless
 * oversize one is dropped and counted, and a CRLF keepalive is ignored,
 * exactly as when they come alone.
 */
#define UDP_BURST_N 100 /* ~100 KiB of the listener's receive buffer (212 KiB by default) */
#define UDP_BURST_BIG 37  /* over max_msg, with headers */
#define UDP_BURST_CRLF 50 /* a keepalive */
#define UDP_BURST_JUNK 90 /* over max_msg, no headers */

static void udp_burst(const char *host)
{
	struct tp_opts o = opts_default;
	char buf[2048];
	struct net_addr bound;
	struct h h;
	int k = 0;

	o.max_msg = 1000;
	h_init(&h, &o, NULL);
	bound = listen_on(&h.a, NET_UDP, host);
	raw_udp(&h, &h.r1, host);
	h.a.tally = true;
	h.a.tally_from = h.r1.addr;
	for (unsigned i = 0; i < UDP_BURST_N; i++) {
		int n;

		if (i == UDP_BURST_CRLF) {
			raw_sendto(&h.r1, &bound, "\r\n", 2);
			continue;
		}
		if (i == UDP_BURST_JUNK) {
			memset(buf, 'x', 1200);
			raw_sendto(&h.r1, &bound, buf, 1200);
			continue;
		}
		n = snprintf(buf, sizeof(buf),
			     "OPTIONS sip:%u@%s SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKburst%u\r\n"
			     "Content-Length: %d\r\n\r\n",
			     i, "example.test", i, i == UDP_BURST_BIG ? 1500 : 0);
		if (i == UDP_BURST_BIG) {
			memset(buf + n, 'b', 1500);
			n += 1500;
		}
		raw_sendto(&h.r1, &bound, buf, (size_t)n);
	}
	h.want.a_msg = UDP_BURST_N - 2;
	ck_assert(run(&h));
	ck_assert_int_eq(h.a.n_msg, UDP_BURST_N - 2);
	for (unsigned i = 0; i < UDP_BURST_N; i++) {
		if (i == UDP_BURST_CRLF || i == UDP_BURST_JUNK)
			continue;
		ck_assert_uint_eq(h.a.seq[k], i);
		ck_assert(h.a.seq_oversize[k] == (i == UDP_BURST_BIG));
		k++;
	}
	ck_assert_int_eq(h.a.tally_bad_src, 0);
	ck_assert_uint_eq(h.a.st.rx_oversize, 1);
	h_fini(&h);
}

START_TEST(test_udp_burst_v4)
{
	udp_burst("127.0.0.1");
}
END_TEST

START_TEST(test_udp_burst_v6)
{
	udp_burst("::1");
}
END_TEST

/* UDP: a ping is one CRLF datagram, nothing awaited. */
START_TEST(test_udp_ping)
{
	struct sip_dest d = {.proto = NET_UDP};
	struct net_addr bound;
	struct h h;

	h_init(&h, &opts_default, NULL);
	bound = listen_on(&h.a, NET_UDP, "127.0.0.1");
	raw_udp(&h, &h.r1, "127.0.0.1");
	d.addr = h.r1.addr;
	ck_assert_int_eq(tp_ping(h.a.tp, &d), 0);
	ck_assert_uint_eq(d.conn, 0);
	h.want.r1_len = 2;
	ck_assert(run(&h));
	ck_assert(memcmp(h.r1.buf, "\r\n", 2) == 0);
	/* An answer is not one: CRLF datagrams are still ignored. */
	raw_sendto(&h.r1, &bound, "\r\n", 2);
	raw_sendto(&h.r1, &bound, MSG1, strlen(MSG1));
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_assert_int_eq(h.a.n_pong, 0);
	ck_rec(&h.a.msg[0], MSG1, strlen(MSG1));
	/* No UDP listener of that family. */
	d.addr = addr("::1", 5060);
	ck_assert_int_eq(tp_ping(h.a.tp, &d), -EAFNOSUPPORT);
	h_fini(&h);
}
END_TEST

/* ---- TCP framing ---------------------------------------------------- */

/* One tp listening on TCP host, one raw client connected to it. */
static struct net_addr tcp_setup(struct h *h, const struct tp_opts *o, const char *host)
{
	struct net_addr bound;

	h_init(h, o, NULL);
	bound = listen_on(&h->a, NET_TCP, host);
	raw_connect(h, &h->r1, &bound);
	return bound;
}

static void tcp_one(const char *host)
{
	struct net_addr bound;
	struct sip_dest d;
	struct h h;

	bound = tcp_setup(&h, &opts_default, host);
	raw_write(&h.r1, MSG1, strlen(MSG1));
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], MSG1, strlen(MSG1));
	d = h.a.msg[0].src;
	ck_assert_int_eq(d.proto, NET_TCP);
	ck_assert_int_eq(net_addr_family(&d.addr), net_addr_family(&bound));
	ck_assert(net_addr_eq(&d.addr, &h.r1.addr));
	ck_assert(net_addr_eq(&d.local, &bound));
	ck_assert_uint_ne(d.conn, 0);
	ck_assert(tp_conn_alive(h.a.tp, d.conn));
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	ck_assert_uint_eq(h.a.st.tcp_accepted, 1);

	/* The answer goes back on the same connection. */
	ck_assert_int_eq(tp_send(h.a.tp, &d, RESP, strlen(RESP)), 0);
	h.want.r1_len = strlen(RESP);
	ck_assert(run(&h));
	ck_assert(memcmp(h.r1.buf, RESP, strlen(RESP)) == 0);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);

	/* The client closes: an orderly close is reported with 0. */
	raw_close(&h.r1);
	h.want.a_conn = 1;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.conn_id[0], d.conn);
	ck_assert_int_eq(h.a.conn_err[0], 0);
	ck_assert(!tp_conn_alive(h.a.tp, d.conn));
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 0);
	h_fini(&h);
}

START_TEST(test_tcp_one)
{
	tcp_one("127.0.0.1");
}
END_TEST

START_TEST(test_tcp_v6)
{
	tcp_one("::1");
}
END_TEST

START_TEST(test_tcp_three_in_one_write)
{
	char all[1024];
	struct h h;

	tcp_setup(&h, &opts_default, "127.0.0.1");
	snprintf(all, sizeof(all), "%s%s%s", MSG1, MSG2, MSG3);
	raw_write(&h.r1, all, strlen(all));
	h.want.a_msg = 3;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], MSG1, strlen(MSG1));
	ck_rec(&h.a.msg[1], MSG2, strlen(MSG2));
	ck_rec(&h.a.msg[2], MSG3, strlen(MSG3));
	ck_assert_uint_eq(h.a.msg[0].src.conn, h.a.msg[2].src.conn);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	h_fini(&h);
}
END_TEST

START_TEST(test_tcp_split)
{
	/*
	 * Cut inside a line, inside the blank line, inside a body; each
	 * message completes with no later bytes to rescue a missed end.
	 */
	static const char *const m1[] = {
	    "OPTIONS sip:a@127.0.0.1 SI",
	    "P/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\nContent-Length: 5\r\n",
	    "\r",
	    "\nhe",
	    "llo",
	};
	static const char *const m2[] = {
	    "MESSAGE sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK2\r\nl: "
	    "3\r\n\r",
	    "\na",
	    "bc",
	};
	struct h h;

	tcp_setup(&h, &opts_default, "127.0.0.1");
	raw_write_chunks(&h.r1, m1, 5);
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], MSG1, strlen(MSG1));
	raw_write_chunks(&h.r1, m2, 3);
	h.want.a_msg = 2;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[1], MSG2, strlen(MSG2));
	h_fini(&h);
}
END_TEST

START_TEST(test_tcp_no_content_length)
{
	static const char nocl[] = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n"
				   "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK7\r\n"
				   "\r\n";
	char all[1024];
	struct h h;

	tcp_setup(&h, &opts_default, "127.0.0.1");
	snprintf(all, sizeof(all), "%s%s", nocl, MSG1);
	raw_write(&h.r1, all, strlen(all));
	h.want.a_msg = 2;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], nocl, strlen(nocl));
	ck_rec(&h.a.msg[1], MSG1, strlen(MSG1));
	ck_assert(tp_conn_alive(h.a.tp, h.a.msg[1].src.conn));
	h_fini(&h);
}
END_TEST

START_TEST(test_tcp_bad_content_length)
{
	static const char bad[] = "INVITE sip:a@127.0.0.1 SIP/2.0\r\n"
				  "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK8\r\n"
				  "Content-Length: 12x\r\n"
				  "\r\n"
				  "v=0\r\n";
	static const char answer[] = "SIP/2.0 400 Bad Content-Length\r\nContent-Length: 0\r\n\r\n";
	char all[1024];
	struct h h;

	tcp_setup(&h, &opts_default, "127.0.0.1");
	h.a.reply = answer;
	snprintf(all, sizeof(all), "%s%s", bad, MSG1);
	raw_write(&h.r1, all, strlen(all));
	h.want.a_msg = 1;
	h.want.a_conn = 1;
	h.want.r1_closed = true;
	ck_assert(run(&h));
	/* The header block went up; the rest of the stream was dropped. */
	ck_assert_int_eq(h.a.n_msg, 1);
	ck_rec(&h.a.msg[0], bad, hdr_len(bad));
	ck_assert(!h.a.msg[0].oversize);
	/* The answer was sent before the close. */
	ck_assert_int_eq(h.a.reply_err, 0);
	ck_assert_uint_eq(h.r1.len, strlen(answer));
	ck_assert(memcmp(h.r1.buf, answer, strlen(answer)) == 0);
	ck_assert_uint_eq(h.a.conn_id[0], h.a.msg[0].src.conn);
	ck_assert_int_lt(h.a.conn_err[0], 0);
	ck_assert_uint_eq(h.a.st.rx_malformed, 1);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 0);
	h_fini(&h);
}
END_TEST

START_TEST(test_tcp_oversize)
{
	static const char big_hdr[] = "MESSAGE sip:a@127.0.0.1 SIP/2.0\r\n"
				      "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK9\r\n"
				      "Content-Length: 400\r\n"
				      "\r\n";
	struct tp_opts o = opts_default;
	struct net_addr bound;
	char big[1024], junk[300];
	size_t n = strlen(big_hdr);
	struct h h;

	o.max_msg = 200;
	bound = tcp_setup(&h, &o, "127.0.0.1");
	h.a.reply = RESP;

	/* Message over max_msg: its header block, oversize, then a close. */
	memcpy(big, big_hdr, n);
	memset(big + n, 'b', 400);
	raw_write(&h.r1, big, n + 400);
	h.want.a_msg = 1;
	h.want.a_conn = 1;
	h.want.r1_closed = true;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], big_hdr, n);
	ck_assert(h.a.msg[0].oversize);
	ck_assert_uint_eq(h.r1.len, strlen(RESP));
	ck_assert_int_lt(h.a.conn_err[0], 0);

	/* A header block over max_msg: closed at once, nothing delivered. */
	memset(junk, 'x', sizeof(junk));
	raw_connect(&h, &h.r2, &bound);
	raw_write(&h.r2, junk, sizeof(junk));
	h.want.a_conn = 2;
	h.want.r2_closed = true;
	ck_assert(run(&h));
	ck_assert_int_eq(h.a.n_msg, 1);
	ck_assert_int_lt(h.a.conn_err[1], 0);
	ck_assert_uint_eq(h.a.st.rx_oversize, 1);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 0);
	h_fini(&h);
}
END_TEST

START_TEST(test_tcp_keepalive)
{
	static const char *const split_ping[] = {"\r\n", "\r\n"};
	char buf[1024];
	struct h h;

	tcp_setup(&h, &opts_default, "127.0.0.1");

	/* A lone CRLF before a message is skipped, not answered. */
	snprintf(buf, sizeof(buf), "\r\n%s", MSG1);
	raw_write(&h.r1, buf, strlen(buf));
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], MSG1, strlen(MSG1));

	/* CRLFCRLF is a ping: one CRLF back; the message after it still arrives. */
	snprintf(buf, sizeof(buf), "\r\n\r\n%s", MSG2);
	raw_write(&h.r1, buf, strlen(buf));
	h.want.a_msg = 2;
	h.want.r1_len = 2;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[1], MSG2, strlen(MSG2));
	ck_assert_uint_eq(h.r1.len, 2);
	ck_assert(memcmp(h.r1.buf, "\r\n", 2) == 0);

	/* A ping split over two segments is still a ping. */
	raw_write_chunks(&h.r1, split_ping, 2);
	h.want.r1_len = 4;
	ck_assert(run(&h));
	ck_assert(memcmp(h.r1.buf, "\r\n\r\n", 4) == 0);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	h_fini(&h);
}
END_TEST

/* Our pings (RFC 5626 §4.4.1) on a connection the raw peer opened. */
START_TEST(test_tcp_pong)
{
	static const char *const split_pong[] = {"\r", "\n"};
	struct sip_dest d;
	char buf[1024];
	size_t n;
	struct h h;

	tcp_setup(&h, &opts_default, "127.0.0.1");
	raw_write(&h.r1, MSG1, strlen(MSG1));
	h.want.a_msg = 1;
	ck_assert(run(&h));
	d = h.a.msg[0].src;

	/* No ping of ours: a CRLF before a message is skipped, not a pong. */
	snprintf(buf, sizeof(buf), "\r\n%s", MSG2);
	raw_write(&h.r1, buf, strlen(buf));
	h.want.a_msg = 2;
	ck_assert(run(&h));
	ck_assert_int_eq(h.a.n_pong, 0);

	/* Our ping: CRLFCRLF; a lone CRLF back is its pong, at once. */
	ck_assert_int_eq(tp_ping(h.a.tp, &d), 0);
	h.want.r1_len = 4;
	ck_assert(run(&h));
	ck_assert(memcmp(h.r1.buf, "\r\n\r\n", 4) == 0);
	raw_write(&h.r1, "\r\n", 2);
	h.want.a_pong = 1;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.pong_conn[0], d.conn);

	/* Answered: a CRLF is skipped again, and the message after it arrives. */
	snprintf(buf, sizeof(buf), "\r\n%s", MSG3);
	raw_write(&h.r1, buf, strlen(buf));
	h.want.a_msg = 3;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[2], MSG3, strlen(MSG3));
	ck_assert_int_eq(h.a.n_pong, 1);

	/* A pong cut between its CR and its LF is still one pong. */
	ck_assert_int_eq(tp_ping(h.a.tp, &d), 0);
	h.want.r1_len = 8;
	ck_assert(run(&h));
	raw_write_chunks(&h.r1, split_pong, 2);
	h.want.a_pong = 2;
	ck_assert(run(&h));

	/*
	 * Two pings, their two pongs in one segment: two pongs, not a ping
	 * of the peer's (no CRLF comes back before the answer to MSG1).
	 */
	ck_assert_int_eq(tp_ping(h.a.tp, &d), 0);
	ck_assert_int_eq(tp_ping(h.a.tp, &d), 0);
	h.want.r1_len = 16;
	ck_assert(run(&h));
	h.a.reply = RESP;
	snprintf(buf, sizeof(buf), "\r\n\r\n%s", MSG1);
	raw_write(&h.r1, buf, strlen(buf));
	n = 16 + strlen(RESP);
	h.want.a_pong = 4;
	h.want.r1_len = n;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.r1.len, n);
	ck_assert(memcmp(h.r1.buf + 16, RESP, strlen(RESP)) == 0);
	ck_assert_uint_eq(h.a.pong_conn[3], d.conn);

	/* A ping of the peer's, with none of ours pending: answered as before. */
	raw_write(&h.r1, "\r\n\r\n", 4);
	h.want.r1_len = n + 2;
	ck_assert(run(&h));
	ck_assert(memcmp(h.r1.buf + n, "\r\n", 2) == 0);
	ck_assert_int_eq(h.a.n_pong, 4);

	/* Closed by us: no conn callback, the peer sees the close. */
	ck_assert_int_eq(tp_conn_close(h.a.tp, d.conn), 0);
	ck_assert(!tp_conn_alive(h.a.tp, d.conn));
	ck_assert_int_eq(tp_conn_close(h.a.tp, d.conn), -ENOENT);
	h.want.r1_closed = true;
	ck_assert(run(&h));
	ck_assert_int_eq(h.a.n_conn, 0);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 0);
	h_fini(&h);
}
END_TEST

/* a pings b's listener: the ping opens the connection and b answers as a server. */
START_TEST(test_tcp_ping_server)
{
	struct sip_dest d = {.proto = NET_TCP}, again = {.proto = NET_TCP};
	struct h h;

	h_init(&h, &opts_default, &opts_default);
	d.addr = listen_on(&h.b, NET_TCP, "127.0.0.1");
	ck_assert_int_eq(tp_ping(h.a.tp, &d), 0);
	ck_assert_uint_ne(d.conn, 0);
	h.want.a_pong = 1;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.pong_conn[0], d.conn);

	/* Again, to the address alone: the same connection. */
	again.addr = d.addr;
	ck_assert_int_eq(tp_ping(h.a.tp, &again), 0);
	ck_assert_uint_eq(again.conn, d.conn);
	h.want.a_pong = 2;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.pong_conn[1], d.conn);
	ck_assert_int_eq(h.b.n_pong, 0);
	ck_assert_int_eq(h.a.n_msg + h.b.n_msg, 0);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	ck_assert_int_eq(h.a.n_conn + h.b.n_conn, 0);
	h_fini(&h);
}
END_TEST

/* ---- TCP limits ----------------------------------------------------- */

START_TEST(test_tcp_max_conns)
{
	struct tp_opts o = opts_default;
	struct net_addr bound;
	struct h h;

	o.max_tcp_conns = 1;
	bound = tcp_setup(&h, &o, "127.0.0.1");
	raw_write(&h.r1, MSG1, strlen(MSG1));
	h.want.a_msg = 1;
	ck_assert(run(&h));

	/* The second connection is closed by tp at once. */
	raw_connect(&h, &h.r2, &bound);
	h.want.r2_closed = true;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.st.tcp_refused, 1);
	ck_assert_uint_eq(h.a.st.tcp_accepted, 1);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	ck_assert_int_eq(h.a.n_conn, 0);

	/* The first still works. */
	raw_write(&h.r1, MSG2, strlen(MSG2));
	h.want.a_msg = 2;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[1], MSG2, strlen(MSG2));
	h_fini(&h);
}
END_TEST

static struct rlimit saved_nofile;

static void restore_nofile_cb(evutil_socket_t fd, short what, void *arg)
{
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
}

START_TEST(test_tcp_emfile)
{
	struct timeval later = {0, 100 * 1000};
	struct rlimit low;
	struct event *restore;
	struct h h;
	int lowest;

	/* Check forks per test: the lowered limit stays in this child. */
	tcp_setup(&h, &opts_default, "127.0.0.1");
	restore = evtimer_new(h.base, restore_nofile_cb, NULL);
	ck_assert_ptr_nonnull(restore);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
	lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	low = saved_nofile;
	low.rlim_cur = (rlim_t)lowest; /* no new descriptor fits */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);

	/* accept fails with EMFILE; tp pauses, resumes and takes the client. */
	raw_write(&h.r1, MSG1, strlen(MSG1));
	evtimer_add(restore, &later);
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[0], MSG1, strlen(MSG1));
	ck_assert_uint_eq(h.a.st.tcp_accepted, 1);
	event_free(restore);
	h_fini(&h);
}
END_TEST

START_TEST(test_tcp_idle)
{
	struct tp_opts o = opts_default;
	struct h h;

	o.tcp_idle_s = 1;
	tcp_setup(&h, &o, "127.0.0.1");
	raw_write(&h.r1, MSG1, strlen(MSG1));
	h.want.a_msg = 1;
	h.want.a_conn = 1;
	h.want.r1_closed = true;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.conn_id[0], h.a.msg[0].src.conn);
	ck_assert_int_eq(h.a.conn_err[0], 0);
	ck_assert_uint_eq(h.a.st.tcp_idle_closed, 1);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 0);
	h_fini(&h);
}
END_TEST

/* ---- TCP between two tp instances ----------------------------------- */

START_TEST(test_tcp_reuse)
{
	struct sip_dest d = {.proto = NET_TCP}, back = {.proto = NET_TCP},
			again = {.proto = NET_TCP};
	struct net_addr b_addr;
	size_t big_len = 5u << 20;
	char *big;
	struct h h;

	h_init(&h, &opts_default, &opts_default);
	listen_on(&h.a, NET_TCP, "127.0.0.1");
	b_addr = listen_on(&h.b, NET_TCP, "127.0.0.1");
	h.b.reply = RESP;

	/* a opens a connection to b; b answers on it. */
	d.addr = b_addr;
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	ck_assert_uint_ne(d.conn, 0);
	ck_assert(tp_conn_alive(h.a.tp, d.conn));
	h.want.b_msg = 1;
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_rec(&h.b.msg[0], MSG1, strlen(MSG1));
	ck_assert_int_eq(h.b.reply_err, 0);
	ck_rec(&h.a.msg[0], RESP, strlen(RESP));
	ck_assert_uint_eq(h.a.msg[0].src.conn, d.conn);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	ck_assert_uint_eq(tp_conn_count(h.b.tp), 1);

	/* b sends to a's address with no connection id: the accepted one is reused. */
	h.b.reply = NULL;
	back.addr = h.b.msg[0].src.addr;
	ck_assert_int_eq(tp_send(h.b.tp, &back, MSG2, strlen(MSG2)), 0);
	ck_assert_uint_eq(back.conn, h.b.msg[0].src.conn);
	/* a sends to b's address again: its outgoing one is reused. */
	again.addr = b_addr;
	ck_assert_int_eq(tp_send(h.a.tp, &again, MSG3, strlen(MSG3)), 0);
	ck_assert_uint_eq(again.conn, d.conn);
	h.want.a_msg = 2;
	h.want.b_msg = 2;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[1], MSG2, strlen(MSG2));
	ck_rec(&h.b.msg[1], MSG3, strlen(MSG3));
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	ck_assert_uint_eq(tp_conn_count(h.b.tp), 1);

	/* The send queue is bounded. */
	big = calloc(1, big_len);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(tp_send(h.a.tp, &again, big, big_len), -ENOBUFS);
	free(big);
	ck_assert_int_eq(h.a.n_conn, 0);
	ck_assert_int_eq(h.b.n_conn, 0);
	h_fini(&h);
}
END_TEST

START_TEST(test_tcp_refused)
{
	struct sip_dest d = {.proto = NET_TCP};
	struct tp_opts o = opts_default;
	struct net_addr closed = addr("127.0.0.1", 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct h h;

	/* A port that was free a moment ago and has no listener. */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (const struct sockaddr *)&closed.ss, closed.len), 0);
	closed.len = sizeof(closed.ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&closed.ss, &closed.len), 0);
	close(fd);

	h_init(&h, &opts_default, NULL);
	d.addr = closed;
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	ck_assert_uint_ne(d.conn, 0);
	h.want.a_conn = 1;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.conn_id[0], d.conn);
	ck_assert_int_eq(h.a.conn_err[0], -ECONNREFUSED);
	ck_assert(!tp_conn_alive(h.a.tp, d.conn));
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 0);

	/* New limits apply from now on: no connection may be opened. */
	o.max_tcp_conns = 0;
	tp_set_opts(h.a.tp, &o);
	d.conn = 0;
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), -EMFILE);
	ck_assert_uint_eq(d.conn, 0);
	h_fini(&h);
}
END_TEST

/* ---- listeners ------------------------------------------------------ */

START_TEST(test_listen)
{
	struct net_addr t4, u4, u6, any4 = addr("0.0.0.0", 0), any6, loc, none = {.len = 0};
	struct h h;

	h_init(&h, &opts_default, NULL);
	t4 = listen_on(&h.a, NET_TCP, "127.0.0.1");
	ck_assert_int_eq(tp_listen(h.a.tp, NET_TCP, &t4, NULL), -EADDRINUSE);
	ck_assert_int_eq(tp_listen(h.a.tp, NET_UDP, &none, NULL), -EAFNOSUPPORT);

	/* udp:0.0.0.0:P and udp:[::]:P side by side (IPV6_V6ONLY). */
	ck_assert_int_eq(tp_listen(h.a.tp, NET_UDP, &any4, &u4), 0);
	any6 = addr("::", net_addr_port(&u4));
	ck_assert_int_eq(tp_listen(h.a.tp, NET_UDP, &any6, &u6), 0);
	ck_assert_uint_eq(net_addr_port(&u6), net_addr_port(&u4));
	ck_assert_uint_eq(tp_listener_count(h.a.tp), 3);

	ck_assert_int_eq(tp_local(h.a.tp, NET_UDP, AF_INET6, &loc), 0);
	ck_assert(net_addr_eq(&loc, &u6));
	ck_assert_int_eq(tp_local(h.a.tp, NET_TCP, AF_INET, &loc), 0);
	ck_assert(net_addr_eq(&loc, &t4));
	ck_assert_int_eq(tp_local(h.a.tp, NET_TCP, AF_INET6, &loc), -ENOENT);
	h_fini(&h);

	tp_free(NULL);
}
END_TEST

static Suite *tp_suite(void)
{
	Suite *s = suite_create("tp");
	TCase *udp = tcase_create("udp"), *tcp = tcase_create("tcp"), *lsn = tcase_create("listen");

	/* Our own safety timers end a stuck run; this only backs them up. */
	tcase_set_timeout(udp, 20);
	tcase_set_timeout(tcp, 20);
	tcase_set_timeout(lsn, 20);
	tcase_add_test(udp, test_udp_v4);
	tcase_add_test(udp, test_udp_v6);
	tcase_add_test(udp, test_udp_oversize);
	tcase_add_test(udp, test_udp_burst_v4);
	tcase_add_test(udp, test_udp_burst_v6);
	tcase_add_test(udp, test_udp_ping);
	tcase_add_test(tcp, test_tcp_one);
	tcase_add_test(tcp, test_tcp_v6);
	tcase_add_test(tcp, test_tcp_three_in_one_write);
	tcase_add_test(tcp, test_tcp_split);
	tcase_add_test(tcp, test_tcp_no_content_length);
	tcase_add_test(tcp, test_tcp_bad_content_length);
	tcase_add_test(tcp, test_tcp_oversize);
	tcase_add_test(tcp, test_tcp_keepalive);
	tcase_add_test(tcp, test_tcp_pong);
	tcase_add_test(tcp, test_tcp_ping_server);
	tcase_add_test(tcp, test_tcp_max_conns);
	tcase_add_test(tcp, test_tcp_emfile);
	tcase_add_test(tcp, test_tcp_idle);
	tcase_add_test(tcp, test_tcp_reuse);
	tcase_add_test(tcp, test_tcp_refused);
	tcase_add_test(lsn, test_listen);
	suite_add_tcase(s, udp);
	suite_add_tcase(s, tcp);
	suite_add_tcase(s, lsn);
	return s;
}

int main(void)
{
	int rc;

	/* A write to a connection the peer reset must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	log_open(true, getenv("CHECK_TP_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	rc = check_run(tp_suite());
	log_close();
	return rc;
}
