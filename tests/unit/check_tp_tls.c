/*
 * check_tp_tls: SIP over TLS through the transport, the connections: a
 * message each way (IPv4, IPv6, toward a name or an address), the
 * answer on the connection the request came on, one connection per
 * server name, framing as on TCP across and within TLS records (an
 * OpenSSL client in a thread of its own writes the records exactly as the
 * test says), keepalives, session resumption, and what is not TLS or
 * never completes (plaintext, a close or silence in the handshake, a
 * refused connect, the connection bound).  Real sockets on loopback;
 * tp_tls_harness.h has the rest.
 */
#include <pthread.h>

#include <openssl/ssl.h>

#include "tp_tls_harness.h"

/* ---- a message each way ------------------------------------------------ */

static int n_seen;

static void seen(void *arg, const struct tp_conn_info *ci)
{
	*(struct tp_conn_info *)arg = *ci;
	n_seen++;
}

/* a sends to b (checked for host), b answers on that connection and sends back. */
static void roundtrip(const char *ip, const char *host)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("server");
	struct net_addr b_addr;
	struct sip_dest d, back = {.proto = NET_TLS};
	struct tp_conn_info ci;
	struct h h;

	h_init(&h, NULL);
	tls_set(&h.a, &ca);
	b_addr = b_listen(&h, ip, &cb);
	h.b.reply = RESP;
	d = tls_dest(&b_addr, host);
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	ck_assert_uint_ne(d.conn, 0);
	/* Queued before the handshake is done; sent after it. */
	ci = info(h.a.tp, d.conn);
	ck_assert(ci.outgoing && ci.proto == NET_TLS && !ci.secure);
	h.want.b_msg = 1;
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_rec(&h.b.msg[0], MSG1);
	ck_assert_int_eq(h.b.msg[0].src.proto, NET_TLS);
	ck_rec(&h.a.msg[0], RESP);
	ck_assert_uint_eq(h.a.msg[0].src.conn, d.conn);
	ck_assert_str_eq(h.a.msg[0].src.host, host);

	/* What each side knows of its connection. */
	ci = info(h.a.tp, d.conn);
	ck_assert(ci.secure && ci.verified && !ci.resumed);
	ck_assert_str_eq(ci.subject, SUBJ_SERVER);
	ck_assert_str_eq(ci.server_name, host);
	ck_assert_str_eq(ci.version, "TLSv1.3");
	ck_assert_uint_gt(strlen(ci.cipher), 0);
	ci = info(h.b.tp, h.b.msg[0].src.conn);
	ck_assert(!ci.outgoing && ci.secure && !ci.verified);
	ck_assert_str_eq(ci.subject, ""); /* no client certificate */
	ck_assert_str_eq(ci.server_name, host[0] && strcmp(host, ip) ? host : ""); /* SNI */
	ck_assert_uint_eq(h.a.st.tls_handshakes, 1);
	ck_assert_uint_eq(h.b.st.tls_handshakes, 1);
	ck_assert_uint_eq(tp_tls_conn_count(h.a.tp), 1);
	ck_assert_uint_eq(tp_tls_conn_count(h.b.tp), 1);
	n_seen = 0;
	tp_conn_foreach(h.a.tp, seen, &ci);
	ck_assert_int_eq(n_seen, 1);
	ck_assert_uint_eq(ci.id, d.conn);
	ck_assert_str_eq(ci.subject, SUBJ_SERVER);

	/* b sends to a's address, no name: the accepted connection carries it. */
	h.b.reply = NULL;
	back.addr = h.b.msg[0].src.addr;
	ck_assert_int_eq(tp_send(h.b.tp, &back, MSG2, strlen(MSG2)), 0);
	ck_assert_uint_eq(back.conn, h.b.msg[0].src.conn);
	/* a again, toward the same name in other case: the same connection. */
	d = tls_dest(&b_addr, host);
	if (host[0])
		d.host[0] = (char)(d.host[0] ^ 0x20);
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG2, strlen(MSG2)), 0);
	ck_assert_uint_eq(d.conn, h.a.msg[0].src.conn);
	h.want.a_msg = 2;
	h.want.b_msg = 2;
	ck_assert(run(&h));
	ck_rec(&h.a.msg[1], MSG2);
	ck_rec(&h.b.msg[1], MSG2);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	ck_assert_uint_eq(tp_conn_count(h.b.tp), 1);
	ck_assert_int_eq(h.a.n_conn + h.b.n_conn, 0);
	h_fini(&h);
}

START_TEST(test_roundtrip_v4)
{
	roundtrip("127.0.0.1", "localhost");
}
END_TEST

START_TEST(test_roundtrip_v6)
{
	roundtrip("::1", "localhost");
}
END_TEST

/* An IP literal target: no SNI, the certificate's IP SAN is checked. */
START_TEST(test_roundtrip_ip)
{
	roundtrip("127.0.0.1", "");
}
END_TEST

START_TEST(test_roundtrip_ip_v6)
{
	roundtrip("::1", "");
}
END_TEST

/* The per-connection server name: another name, another connection (and check). */
START_TEST(test_name_per_conn)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("server");
	struct net_addr b_addr;
	struct sip_dest d1, d2, tcp;
	struct h h;

	h_init(&h, NULL);
	tls_set(&h.a, &ca);
	b_addr = b_listen(&h, "127.0.0.1", &cb);
	d1 = tls_dest(&b_addr, "localhost");
	ck_assert_int_eq(tp_send(h.a.tp, &d1, MSG1, strlen(MSG1)), 0);
	h.want.b_msg = 1;
	ck_assert(run(&h));

	/* Checked for localhost: not taken for wrong.example, which fails its own check. */
	d2 = tls_dest(&b_addr, "wrong.example");
	ck_assert_int_eq(tp_send(h.a.tp, &d2, MSG2, strlen(MSG2)), 0);
	ck_assert_uint_ne(d2.conn, d1.conn);
	/* Naming the first connection does not carry the request there either. */
	d2.conn = d1.conn;
	ck_assert_int_eq(tp_send(h.a.tp, &d2, MSG2, strlen(MSG2)), 0);
	ck_assert_uint_ne(d2.conn, d1.conn);
	h.want.a_conn = 1;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.a.conn_id[0], d2.conn);
	ck_assert_int_eq(h.a.conn_err[0], -EKEYREJECTED);
	ck_why(h.a.tp, d2.conn, "the certificate does not name wrong.example");
	ck_assert(tp_conn_alive(h.a.tp, d1.conn));
	ck_assert_int_eq(h.b.n_msg, 1);

	/* TCP to that address is another protocol: never the TLS connection. */
	tcp = d1;
	tcp.proto = NET_TCP;
	ck_assert_int_eq(tp_send(h.a.tp, &tcp, MSG2, strlen(MSG2)), 0);
	ck_assert_uint_ne(tcp.conn, d1.conn);
	ck_assert_uint_eq(tp_tls_conn_count(h.a.tp), 1);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 2);
	h_fini(&h);
}
END_TEST

/* ---- records, keepalives -------------------------------------------- */

/* An OpenSSL client in a thread: writes each record as given, reads want bytes. */
struct tls_client {
	struct net_addr to;
	const char *const *records;
	int n_records;
	size_t want;
	char got[1024];
	size_t got_len;
	const char *failed; /* NULL: every step went well */
	bool no_bye;	    /* close the socket without close_notify */
	pthread_t th;
};

static void *tls_client_run(void *arg)
{
	struct tls_client *t = arg;
	struct timeval tv = {SAFETY_S, 0};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	int fd = socket(net_addr_family(&t->to), SOCK_STREAM, 0);
	int n;

	t->failed = "connect";
	if (!ctx || fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (const struct sockaddr *)&t->to.ss, t->to.len) < 0)
		goto out;
	t->failed = "handshake";
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
		goto out;
	t->failed = "write";
	for (int i = 0; i < t->n_records; i++) {
		n = (int)strlen(t->records[i]);
		if (SSL_write(ssl, t->records[i], n) != n)
			goto out;
	}
	t->failed = "read";
	while (t->got_len < t->want) {
		n = SSL_read(ssl, t->got + t->got_len, (int)(sizeof(t->got) - t->got_len));
		if (n <= 0)
			goto out;
		t->got_len += (size_t)n;
	}
	t->failed = NULL;
	if (!t->no_bye)
		SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * Framing as on TCP: a ping, a message cut across three records (inside
 * a line, inside the blank line), two messages in one record.
 */
START_TEST(test_records)
{
	static char two[512];
	static const char *const recs[] = {
	    "\r\n\r\n",
	    "OPTIONS sip:a@localhost SI",
	    "P/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r",
	    "\nhello",
	    two,
	};
	struct tp_tls_cfg cb = tls_cfg("server");
	struct tls_client t = {.records = recs, .n_records = 5};
	struct h h;

	snprintf(two, sizeof(two), "%s%s", MSG2, MSG1);
	h_init(&h, NULL);
	t.to = b_listen(&h, "127.0.0.1", &cb);
	t.want = 2 + 3 * strlen(RESP); /* the pong, then three answers */
	h.b.reply = RESP;
	ck_assert_int_eq(pthread_create(&t.th, NULL, tls_client_run, &t), 0);
	h.want.b_msg = 3;
	h.want.b_conn = 1; /* the client's close */
	ck_assert(run(&h));
	ck_assert_int_eq(pthread_join(t.th, NULL), 0);
	ck_assert_msg(t.failed == NULL, "client: %s", t.failed);
	ck_rec(&h.b.msg[0], MSG1);
	ck_rec(&h.b.msg[1], MSG2);
	ck_rec(&h.b.msg[2], MSG1);
	ck_assert(memcmp(t.got, "\r\n", 2) == 0);
	ck_assert(memcmp(t.got + 2, RESP, strlen(RESP)) == 0);
	ck_assert_int_eq(h.b.conn_err[0], 0);

	/* A peer that just closes the socket, no close_notify: an orderly close too. */
	t.no_bye = true;
	t.n_records = 2;
	t.want = 2;
	t.got_len = 0;
	ck_assert_int_eq(pthread_create(&t.th, NULL, tls_client_run, &t), 0);
	h.want.b_conn = 2;
	ck_assert(run(&h));
	ck_assert_int_eq(pthread_join(t.th, NULL), 0);
	ck_assert_msg(t.failed == NULL, "client: %s", t.failed);
	ck_assert_int_eq(h.b.conn_err[1], 0);
	ck_assert_int_eq(h.b.n_msg, 3);
	ck_assert_uint_eq(h.b.st.tls_fail_closed + h.b.st.tls_fail_protocol, 0);
	h_fini(&h);
}
END_TEST

/* Our pings over TLS (RFC 5626 §4.4.1): b answers as a server does. */
START_TEST(test_ping)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("server");
	struct sip_dest d;
	struct h h;

	h_init(&h, NULL);
	tls_set(&h.a, &ca);
	d = tls_dest(&(struct net_addr){0}, "localhost");
	d.addr = b_listen(&h, "127.0.0.1", &cb);
	ck_assert_int_eq(tp_ping(h.a.tp, &d), 0);
	h.want.a_pong = 1;
	ck_assert(run(&h));
	ck_assert_int_eq(tp_ping(h.a.tp, &d), 0);
	h.want.a_pong = 2;
	ck_assert(run(&h));
	ck_assert_int_eq(h.b.n_pong + h.a.n_msg + h.b.n_msg, 0);
	ck_assert_uint_eq(tp_conn_count(h.a.tp), 1);
	h_fini(&h);
}
END_TEST

/* ---- sessions -------------------------------------------------------- */

static void resume(bool cache)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("server");
	struct sip_dest d;
	struct tp_conn_info ci;
	struct h h;

	h_init(&h, NULL);
	ca.session_cache = cb.session_cache = cache;
	tls_set(&h.a, &ca);
	d = tls_dest(&(struct net_addr){0}, "localhost");
	d.addr = b_listen(&h, "127.0.0.1", &cb);
	h.b.reply = RESP;
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	h.want.a_msg = 1;
	ck_assert(run(&h));
	ck_assert(!info(h.a.tp, d.conn).resumed);
	ck_assert_int_eq(tp_conn_close(h.a.tp, d.conn), 0);
	h.want.b_conn = 1;
	ck_assert(run(&h));

	d.conn = 0;
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	h.want.a_msg = 2;
	ck_assert(run(&h));
	ci = info(h.a.tp, d.conn);
	ck_assert(ci.resumed == cache);
	ck_assert(ci.verified); /* the session remembers its check */
	ck_assert_str_eq(ci.subject, SUBJ_SERVER);
	ck_assert(info(h.b.tp, h.b.msg[1].src.conn).resumed == cache);
	ck_assert_uint_eq(h.a.st.tls_handshakes, 2);
	ck_assert_uint_eq(h.a.st.tls_resumed, cache ? 1 : 0);
	ck_assert_uint_eq(h.b.st.tls_resumed, cache ? 1 : 0);
	h_fini(&h);
}

START_TEST(test_resume)
{
	resume(true);
}
END_TEST

START_TEST(test_no_resume)
{
	resume(false);
}
END_TEST

/* ---- what is not TLS, or never ends ---------------------------------- */

/* Plaintext SIP on the TLS port: no answer, closed, counted. */
START_TEST(test_plaintext)
{
	struct tp_tls_cfg cb = tls_cfg("server");
	struct net_addr b_addr;
	struct h h;

	h_init(&h, NULL);
	b_addr = b_listen(&h, "127.0.0.1", &cb);
	h.b.reply = RESP;
	raw_connect(&h, &b_addr);
	ck_assert_int_eq(write(h.r.fd, MSG1, strlen(MSG1)), (ssize_t)strlen(MSG1));
	h.want.r_closed = true;
	h.want.b_conn = 1;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.r.len, 0);
	ck_assert_int_eq(h.b.n_msg, 0);
	ck_assert_int_eq(h.b.conn_err[0], -EPROTO);
	ck_assert_uint_eq(h.b.st.tls_fail_protocol, 1);
	ck_why(h.b.tp, h.b.conn_id[0], "TLS handshake with 127.0.0.1:");
	ck_why(h.b.tp, h.b.conn_id[0], "wrong version number");
	ck_assert_uint_eq(tp_conn_count(h.b.tp), 0);
	h_fini(&h);
}
END_TEST

/* A client that closes in the handshake. */
START_TEST(test_closed_in_handshake)
{
	struct tp_tls_cfg cb = tls_cfg("server");
	struct net_addr b_addr;
	struct h h;

	h_init(&h, NULL);
	b_addr = b_listen(&h, "127.0.0.1", &cb);
	raw_connect(&h, &b_addr);
	raw_close(&h.r);
	h.want.b_conn = 1;
	ck_assert(run(&h));
	ck_assert_int_eq(h.b.conn_err[0], -ECONNRESET);
	ck_assert_uint_eq(h.b.st.tls_fail_closed, 1);
	ck_why(h.b.tp, h.b.conn_id[0], "closed by the peer");
	h_fini(&h);
}
END_TEST

/* A client that connects and says nothing is dropped, and holds up no one. */
START_TEST(test_handshake_timeout)
{
	struct tp_tls_cfg ca = tls_cfg(NULL), cb = tls_cfg("server");
	struct sip_dest d;
	struct h h;

	h_init(&h, NULL);
	cb.handshake_timeout_s = 1;
	tls_set(&h.a, &ca);
	d = tls_dest(&(struct net_addr){0}, "localhost");
	d.addr = b_listen(&h, "127.0.0.1", &cb);
	raw_connect(&h, &d.addr);
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	h.want.b_msg = 1;
	h.want.r_closed = true;
	h.want.b_conn = 1;
	ck_assert(run(&h));
	ck_rec(&h.b.msg[0], MSG1);
	ck_assert_uint_eq(h.r.len, 0);
	ck_assert_int_eq(h.b.conn_err[0], -ETIMEDOUT);
	ck_assert_uint_eq(h.b.st.tls_fail_timeout, 1);
	ck_why(h.b.tp, h.b.conn_id[0], "timed out after 1 s");
	ck_assert_uint_eq(h.b.st.tls_handshakes, 1);
	ck_assert_uint_eq(tp_tls_conn_count(h.b.tp), 1);
	h_fini(&h);
}
END_TEST

/* An outgoing connection nobody accepts: connect's error, no TLS failure. */
START_TEST(test_refused)
{
	struct tp_tls_cfg ca = tls_cfg(NULL);
	struct sip_dest d = tls_dest(&(struct net_addr){0}, "localhost");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct h h;

	/* A port that was free a moment ago and has no listener. */
	d.addr = addr("127.0.0.1", 0);
	ck_assert_int_eq(bind(fd, (const struct sockaddr *)&d.addr.ss, d.addr.len), 0);
	d.addr.len = sizeof(d.addr.ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&d.addr.ss, &d.addr.len), 0);
	close(fd);
	h_init(&h, NULL);
	tls_set(&h.a, &ca);
	ck_assert_int_eq(tp_send(h.a.tp, &d, MSG1, strlen(MSG1)), 0);
	h.want.a_conn = 1;
	ck_assert(run(&h));
	ck_assert_int_eq(h.a.conn_err[0], -ECONNREFUSED);
	ck_why(h.a.tp, d.conn, "connect to 127.0.0.1:");
	ck_assert_uint_eq(h.a.st.tls_fail_closed + h.a.st.tls_fail_protocol, 0);
	h_fini(&h);
}
END_TEST

/* max_tcp_conns counts TLS connections with the TCP ones. */
START_TEST(test_max_conns)
{
	struct tp_opts ob = opts;
	struct tp_tls_cfg cb = tls_cfg("server");
	struct net_addr b_addr, t_addr = addr("127.0.0.1", 0);
	struct h h;
	int fd;

	ob.max_tcp_conns = 1;
	h_init(&h, &ob);
	b_addr = b_listen(&h, "127.0.0.1", &cb);
	ck_assert_int_eq(tp_listen(h.b.tp, NET_TCP, &t_addr, &t_addr), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (const struct sockaddr *)&t_addr.ss, t_addr.len), 0);
	ck_assert_int_eq(write(fd, MSG1, strlen(MSG1)), (ssize_t)strlen(MSG1));
	h.want.b_msg = 1;
	ck_assert(run(&h));
	raw_connect(&h, &b_addr);
	h.want.r_closed = true;
	ck_assert(run(&h));
	ck_assert_uint_eq(h.b.st.tcp_refused, 1);
	ck_assert_uint_eq(tp_tls_conn_count(h.b.tp), 0);
	close(fd);
	h_fini(&h);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tp_tls");
	TCase *flow = tcase_create("flow"), *limits = tcase_create("limits");

	/* Our own safety timers end a stuck run; this only backs them up. */
	tcase_set_timeout(flow, 30);
	tcase_set_timeout(limits, 30);
	tcase_add_test(flow, test_roundtrip_v4);
	tcase_add_test(flow, test_roundtrip_v6);
	tcase_add_test(flow, test_roundtrip_ip);
	tcase_add_test(flow, test_roundtrip_ip_v6);
	tcase_add_test(flow, test_name_per_conn);
	tcase_add_test(flow, test_records);
	tcase_add_test(flow, test_ping);
	tcase_add_test(flow, test_resume);
	tcase_add_test(flow, test_no_resume);
	tcase_add_test(limits, test_plaintext);
	tcase_add_test(limits, test_closed_in_handshake);
	tcase_add_test(limits, test_handshake_timeout);
	tcase_add_test(limits, test_refused);
	tcase_add_test(limits, test_max_conns);
	suite_add_tcase(s, flow);
	suite_add_tcase(s, limits);
	return s;
}

int main(void)
{
	return tls_main(tls_suite());
}
