/*
 * check_tsx: the transaction layer (src/sip/tsx*.c) on the fake clock.
 *
 * Each test builds a layer whose send callback records every buffer with
 * the fake time it left at, feeds it messages parsed from text, and moves
 * time with tmr_fake_advance(), so RFC 3261 §17 timers (Timer B = 32 s)
 * are checked to the millisecond without sleeping.  Every test ends with
 * drain(): far in the future no transaction and no timer may be left.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "core/log.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/tsx.h"

#include "check_run.h"

#define T1 500
#define T2 4000
#define T4 5000
#define MAX_SENT 128
#define MAX_EVENTS 32

/* What the send callback saw. */
struct sent {
	char *buf;
	size_t len;
	uint64_t at; /* ms since the test began */
	struct sip_dest d;
};

/* What a client transaction's callback saw. */
struct cevent {
	struct tsx *t;
	int status; /* 0: resp == NULL */
	int err;
	uint64_t at;
	enum tsx_state state;
	char why[160]; /* tsx_why() at the callback; "": none */
};

enum tu_mode {
	TU_SAVE,    /* keep st, answer later */
	TU_RESPOND, /* answer tu_code inside user.request */
};

static struct tmr_clock *clk;
static struct tsx_layer *layer;
static struct stats stats;
static struct tsx_cfg cfg;
static uint64_t t0;

static struct sent sent[MAX_SENT];
static unsigned n_sent;
static int send_fail;		 /* the next sends return this */
static unsigned send_fail_after; /* ... once this many more went out */
static uint64_t tcp_conn;	 /* the send callback sets d->conn to this on TCP */

static struct cevent events[MAX_EVENTS];
static unsigned n_events;

static enum tu_mode tu_mode;
static int tu_code;
static struct tsx *tu_st; /* the last server transaction handed up */
static unsigned n_requests, n_acks, n_strays;
static enum tsx_state tu_state_after; /* TU_RESPOND: st's state after answering */
static char tu_handle_after[24];
static char tu_tag[32]; /* the To tag of st's responses, taken in user.request */
static int tu_code2;	/* TU_RESPOND: then this too (0: no) ... */
static int tu_err2;	/* ... which returned this */
static bool tu_merged;	/* tsx_merged(st) in user.request */

static uint64_t now(void)
{
	return tmr_now(clk) - t0;
}

static int cap_send(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	struct sent *s;

	if (send_fail) {
		if (send_fail_after == 0)
			return send_fail;
		send_fail_after--;
	}
	ck_assert_uint_lt(n_sent, MAX_SENT);
	if (d->proto == NET_TCP && !d->conn)
		d->conn = tcp_conn;
	s = &sent[n_sent++];
	s->buf = malloc(len + 1);
	ck_assert_ptr_nonnull(s->buf);
	memcpy(s->buf, buf, len);
	s->buf[len] = '\0';
	s->len = len;
	s->at = now();
	s->d = *d;
	return 0;
}

static void on_request(void *arg, struct tsx *st, const struct sip_msg *req)
{
	n_requests++;
	tu_st = st;
	/* The TU may use st until it answers finally and returns: keep what tests need later. */
	snprintf(tu_tag, sizeof(tu_tag), "%s", tsx_local_tag(st));
	tu_merged = tsx_merged(st);
	if (tu_mode == TU_RESPOND) {
		ck_assert_int_eq(tsx_respond_code(st, tu_code, NULL, NULL), 0);
		if (tu_code2)
			tu_err2 = tsx_respond_code(st, tu_code2, NULL, NULL);
		/* Under ASan: st must still be valid here, even on TCP (Timer J = 0). */
		tu_state_after = tsx_state(st);
		snprintf(tu_handle_after, sizeof(tu_handle_after), "%s", tsx_handle(st));
		ck_assert_ptr_eq(tsx_req(st), req);
	}
}

static void on_ack(void *arg, const struct sip_msg *ack)
{
	n_acks++;
}

static void on_stray(void *arg, const struct sip_msg *resp)
{
	n_strays++;
}

static void on_resp(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	struct cevent *e;

	ck_assert_uint_lt(n_events, MAX_EVENTS);
	e = &events[n_events++];
	e->t = ct;
	e->status = resp ? resp->status : 0;
	e->err = err;
	e->at = now();
	e->state = tsx_state(ct);
	snprintf(e->why, sizeof(e->why), "%s", tsx_why(ct) ? tsx_why(ct) : "");
}

static void layer_make(void)
{
	struct tsx_user user = {
	    .request = on_request,
	    .ack = on_ack,
	    .stray_response = on_stray,
	    .arg = NULL,
	};

	ck_assert_int_eq(tsx_layer_new(&layer, clk, &cfg, cap_send, NULL, &user, &stats), 0);
}

static void setup(void)
{
	memset(&stats, 0, sizeof(stats));
	memset(&cfg, 0, sizeof(cfg));
	cfg.t1_ms = T1;
	cfg.t2_ms = T2;
	cfg.t4_ms = T4;
	cfg.max_tsx = 100;
	cfg.retry_after_s = 5;
	cfg.server = "sipuad-test";
	n_sent = n_events = n_requests = n_acks = n_strays = 0;
	send_fail = 0;
	send_fail_after = 0;
	tcp_conn = 7;
	tu_mode = TU_SAVE;
	tu_code = tu_code2 = tu_err2 = 0;
	tu_st = NULL;
	tu_tag[0] = '\0';
	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	t0 = tmr_now(clk);
	layer_make();
}

static void teardown(void)
{
	tsx_layer_free(layer);
	layer = NULL;
	tmr_clock_free(clk);
	clk = NULL;
	for (unsigned i = 0; i < n_sent; i++)
		free(sent[i].buf);
	n_sent = 0;
}

/* Far in the future nothing may be left: no transaction, no timer. */
static void drain(void)
{
	tmr_fake_advance(clk, 10 * 60 * 1000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
}

static void advance_to(uint64_t ms)
{
	ck_assert_uint_ge(ms, now());
	tmr_fake_advance(clk, ms - now());
}

static struct sip_msg *parse(const char *text)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, text, strlen(text), false), 0);
	return m;
}

/* A message from the peer at 10.0.0.2:5062 (proto as given). */
static struct sip_msg *incoming(enum net_proto proto, const char *text)
{
	struct sip_msg *m = parse(text);

	m->src.proto = proto;
	ck_assert_int_eq(net_addr_from_host(&m->src.addr, "10.0.0.2", 5062), 0);
	if (proto == NET_TCP)
		m->src.conn = 99;
	return m;
}

/* A request from the peer; branch NULL: an RFC 2543 Via without branch. */
static char *peer_req(const char *method, const char *branch, const char *via_host, unsigned cseq,
		      const char *cseq_method, const char *to_tag)
{
	char *s = NULL;
	char br[64] = "";

	if (branch)
		snprintf(br, sizeof(br), ";branch=%s", branch);
	ck_assert_int_ge(asprintf(&s,
				  "%s sip:bob@127.0.0.1:5060 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP %s:5062%s\r\n"
				  "Max-Forwards: 70\r\n"
				  "From: <sip:alice@10.0.0.2>;tag=ftag1\r\n"
				  "To: <sip:bob@127.0.0.1>%s%s\r\n"
				  "Call-ID: call1@10.0.0.2\r\n"
				  "CSeq: %u %s\r\n"
				  "Content-Length: 0\r\n\r\n",
				  method, via_host, br, to_tag ? ";tag=" : "", to_tag ? to_tag : "",
				  cseq, cseq_method ? cseq_method : method),
			 0);
	return s;
}

static void feed_req(enum net_proto proto, const char *method, const char *branch, unsigned cseq,
		     const char *cseq_method, const char *to_tag)
{
	char *s = peer_req(method, branch, "10.0.0.2", cseq, cseq_method, to_tag);

	tsx_layer_recv(layer, incoming(proto, s));
	free(s);
}

/* Our request toward 10.0.0.9:5070, with two Route headers. */
static struct sip_msg *our_req(const char *method, const char *branch, unsigned cseq)
{
	char *s = NULL;
	struct sip_msg *m;

	ck_assert_int_ge(asprintf(&s,
				  "%s sip:bob@10.0.0.9:5070 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=%s\r\n"
				  "Route: <sip:p1.example.com;lr>\r\n"
				  "Route: <sip:p2.example.com;lr>\r\n"
				  "Max-Forwards: 70\r\n"
				  "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
				  "To: <sip:bob@10.0.0.9>\r\n"
				  "Call-ID: ct1@127.0.0.1\r\n"
				  "CSeq: %u %s\r\n"
				  "Contact: <sip:alice@127.0.0.1:5060>\r\n"
				  "Content-Length: 0\r\n\r\n",
				  method, branch, cseq, method),
			 0);
	m = parse(s);
	free(s);
	return m;
}

static struct tsx *start(const char *method, const char *branch, enum net_proto proto)
{
	struct sip_dest d;
	struct tsx *ct = NULL;

	memset(&d, 0, sizeof(d));
	d.proto = proto;
	ck_assert_int_eq(net_addr_from_host(&d.addr, "10.0.0.9", 5070), 0);
	ck_assert_int_eq(tsx_request(layer, our_req(method, branch, 1), &d, on_resp, NULL, &ct), 0);
	ck_assert_ptr_nonnull(ct);
	return ct;
}

/* A response from the peer to our request. */
static void feed_resp(enum net_proto proto, int code, const char *branch, const char *method,
		      const char *to_tag)
{
	char *s = NULL;

	ck_assert_int_ge(asprintf(&s,
				  "SIP/2.0 %d Whatever\r\n"
				  "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=%s\r\n"
				  "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
				  "To: <sip:bob@10.0.0.9>%s%s\r\n"
				  "Call-ID: ct1@127.0.0.1\r\n"
				  "CSeq: 1 %s\r\n"
				  "Content-Length: 0\r\n\r\n",
				  code, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "",
				  method),
			 0);
	tsx_layer_recv(layer, incoming(proto, s));
	free(s);
}

static int status_of(unsigned i)
{
	int code = 0;

	ck_assert_uint_lt(i, n_sent);
	if (sscanf(sent[i].buf, "SIP/2.0 %d", &code) != 1)
		return 0;
	return code;
}

static bool starts(unsigned i, const char *prefix)
{
	ck_assert_uint_lt(i, n_sent);
	return strncmp(sent[i].buf, prefix, strlen(prefix)) == 0;
}

static bool same_bytes(unsigned i, unsigned j)
{
	return sent[i].len == sent[j].len && memcmp(sent[i].buf, sent[j].buf, sent[i].len) == 0;
}

static void check_times(const uint64_t *times, unsigned n)
{
	ck_assert_uint_eq(n_sent, n);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq(sent[i].at, times[i]);
		ck_assert(same_bytes(0, i));
	}
}

/* ---- ICT ---- */

/* §17.1.1.2: Timer A at T1, 2T1, 4T1, ...; Timer B = 64*T1 -> -ETIMEDOUT. */
START_TEST(test_ict_udp_timeout)
{
	static const uint64_t times[] = {0, 500, 1500, 3500, 7500, 15500, 31500};

	start("INVITE", "z9hG4bKc1", NET_UDP);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(31999);
	ck_assert_uint_eq(n_events, 0);
	advance_to(32000);
	check_times(times, 7);
	ck_assert(starts(0, "INVITE sip:bob@10.0.0.9:5070 SIP/2.0"));
	ck_assert_uint_eq(n_events, 1);
	ck_assert_int_eq(events[0].err, -ETIMEDOUT);
	ck_assert_int_eq(events[0].status, 0);
	ck_assert_uint_eq(events[0].at, 32000);
	ck_assert_int_eq(events[0].state, TSX_TERMINATED);
	ck_assert_uint_eq(stats.tx_retransmissions, 6);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* §17.1.1.3: the ICT ACKs a 3xx-6xx itself; a retransmitted final gets the same ACK. */
START_TEST(test_ict_non2xx_ack)
{
	struct sip_msg *ack;
	struct tsx *ct;
	char *uri = NULL;

	cfg.t1_ms = 600; /* 64*T1 = 38.4 s > 32 s: Timer D follows 64*T1 */
	tsx_layer_free(layer);
	layer_make();
	ct = start("INVITE", "z9hG4bKc2", NET_UDP);
	advance_to(100);
	feed_resp(NET_UDP, 180, "z9hG4bKc2", "INVITE", "rtag");
	ck_assert_int_eq(tsx_state(ct), TSX_PROCEEDING);
	advance_to(20000);
	ck_assert_uint_eq(n_sent, 1); /* Proceeding: Timer A stopped */
	feed_resp(NET_UDP, 486, "z9hG4bKc2", "INVITE", "rtag");
	ck_assert_uint_eq(n_events, 2);
	ck_assert_int_eq(events[0].status, 180);
	ck_assert_int_eq(events[1].status, 486);
	ck_assert_int_eq(events[1].state, TSX_COMPLETED);
	ck_assert_uint_eq(n_sent, 2);

	ack = parse(sent[1].buf);
	ck_assert(ack->is_request);
	ck_assert_str_eq(ack->method, "ACK");
	ck_assert_int_eq(osip_uri_to_str(ack->sip->req_uri, &uri), 0);
	ck_assert_str_eq(uri, "sip:bob@10.0.0.9:5070");
	osip_free(uri);
	ck_assert_str_eq(ack->to_tag, "rtag");
	ck_assert_str_eq(ack->from_tag, "a1");
	ck_assert_str_eq(ack->call_id, "ct1@127.0.0.1");
	ck_assert_uint_eq(ack->cseq, 1);
	ck_assert_str_eq(ack->sip->cseq->method, "ACK");
	ck_assert_ptr_nonnull(strstr(sent[1].buf, "CSeq: 1 ACK\r\n"));
	ck_assert_int_eq(osip_list_size(&ack->sip->vias), 1);
	ck_assert_str_eq(ack->branch, "z9hG4bKc2");
	ck_assert_int_eq(osip_list_size(&ack->sip->routes), 2);
	ck_assert_str_eq(msg_header(ack, "Max-Forwards", NULL), "70");
	ck_assert_ptr_null(strstr(sent[1].buf, "Contact"));
	msg_free(ack);

	/* A retransmitted 486: the same ACK again, not passed up. */
	advance_to(21000);
	feed_resp(NET_UDP, 486, "z9hG4bKc2", "INVITE", "rtag");
	ck_assert_uint_eq(n_sent, 3);
	ck_assert(same_bytes(1, 2));
	ck_assert_uint_eq(n_events, 2);

	/* Timer D = max(32 s, 64*T1) = 38.4 s after the 486. */
	advance_to(20000 + 38399);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(20000 + 38400);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* Timer D is at least 32 s on UDP even when 64*T1 is less. */
START_TEST(test_ict_timer_d_min)
{
	cfg.t1_ms = 100;
	tsx_layer_free(layer);
	layer_make();
	start("INVITE", "z9hG4bKd1", NET_UDP);
	feed_resp(NET_UDP, 404, "z9hG4bKd1", "INVITE", "x");
	advance_to(31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(32000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* RFC 6026 §8.4: 2xx -> Accepted; 2xx retransmissions go up; Timer M. */
START_TEST(test_ict_2xx_accepted)
{
	struct tsx *ct = start("INVITE", "z9hG4bKc3", NET_UDP);

	advance_to(700); /* one Timer A retransmission at 500 */
	feed_resp(NET_UDP, 200, "z9hG4bKc3", "INVITE", "r2");
	ck_assert_int_eq(tsx_state(ct), TSX_ACCEPTED);
	ck_assert_uint_eq(n_events, 1);
	ck_assert_int_eq(events[0].status, 200);
	ck_assert_uint_eq(n_sent, 2); /* no ACK from the transaction */
	advance_to(1000);
	feed_resp(NET_UDP, 200, "z9hG4bKc3", "INVITE", "r2");
	ck_assert_uint_eq(n_events, 2);
	ck_assert_int_eq(events[1].status, 200);
	feed_resp(NET_UDP, 183, "z9hG4bKc3", "INVITE", "r2");
	feed_resp(NET_UDP, 486, "z9hG4bKc3", "INVITE", "r2");
	ck_assert_uint_eq(n_events, 2);
	ck_assert_uint_eq(n_sent, 2);
	/* Timer M = 64*T1 after the first 2xx. */
	advance_to(700 + 31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(700 + 32000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	/* The TU holding ct for the 2xx retransmissions is told it ends. */
	ck_assert_uint_eq(n_events, 3);
	ck_assert_int_eq(events[2].status, 0);
	ck_assert_int_eq(events[2].err, 0);
	/* Afterwards a 2xx is a stray. */
	feed_resp(NET_UDP, 200, "z9hG4bKc3", "INVITE", "r2");
	ck_assert_uint_eq(n_strays, 1);
	ck_assert_uint_eq(stats.rx_stray_responses, 1);
	drain();
}
END_TEST

/* ---- NICT ---- */

/* §17.1.2.2: Timer E doubles up to T2; Timer F = 64*T1. */
START_TEST(test_nict_udp_trying)
{
	static const uint64_t times[] = {0,	500,   1500,  3500,  7500, 11500,
					 15500, 19500, 23500, 27500, 31500};

	start("OPTIONS", "z9hG4bKn1", NET_UDP);
	advance_to(32000);
	check_times(times, 11);
	ck_assert_uint_eq(n_events, 1);
	ck_assert_int_eq(events[0].err, -ETIMEDOUT);
	ck_assert_uint_eq(events[0].at, 32000);
	drain();
}
END_TEST

/* §17.1.2.2: in Proceeding Timer E continues at T2; Timer F still ends it. */
START_TEST(test_nict_udp_proceeding)
{
	static const uint64_t times[] = {0, 500, 4500, 8500, 12500, 16500, 20500, 24500, 28500};
	struct tsx *ct = start("REGISTER", "z9hG4bKn2", NET_UDP);

	advance_to(100);
	feed_resp(NET_UDP, 100, "z9hG4bKn2", "REGISTER", NULL);
	ck_assert_int_eq(tsx_state(ct), TSX_PROCEEDING);
	advance_to(32000);
	check_times(times, 9);
	ck_assert_uint_eq(n_events, 2);
	ck_assert_int_eq(events[0].status, 100);
	ck_assert_int_eq(events[1].err, -ETIMEDOUT);
	ck_assert_uint_eq(events[1].at, 32000);
	drain();
}
END_TEST

/* Final -> Completed; Timer K = T4; retransmitted finals absorbed. */
START_TEST(test_nict_final_udp)
{
	struct tsx *ct = start("OPTIONS", "z9hG4bKn3", NET_UDP);

	advance_to(600);
	feed_resp(NET_UDP, 200, "z9hG4bKn3", "OPTIONS", "x");
	ck_assert_uint_eq(n_events, 1);
	ck_assert_int_eq(events[0].state, TSX_COMPLETED);
	ck_assert_ptr_eq(events[0].t, ct);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1); /* the TU had its outcome: compact */
	feed_resp(NET_UDP, 200, "z9hG4bKn3", "OPTIONS", "x");
	ck_assert_uint_eq(n_events, 1);
	advance_to(600 + T4 - 1);
	ck_assert_uint_eq(n_sent, 2); /* INVITE at 0, Timer E at 500, nothing after */
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(600 + T4);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* ---- TCP ---- */

/* No Timer A/E on TCP; Timer B still; D and K are 0. */
START_TEST(test_tcp_client)
{
	struct tsx *ct;

	ct = start("INVITE", "z9hG4bKt1", NET_TCP);
	start("MESSAGE", "z9hG4bKt2", NET_TCP);
	advance_to(31000);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_uint_eq(sent[0].d.conn, 7);
	feed_resp(NET_TCP, 486, "z9hG4bKt1", "INVITE", "r");
	ck_assert_uint_eq(n_sent, 3);
	ck_assert(starts(2, "ACK sip:bob@10.0.0.9:5070 SIP/2.0"));
	ck_assert_uint_eq(sent[2].d.conn, 7);
	ck_assert_int_eq(events[0].status, 486);
	feed_resp(NET_TCP, 200, "z9hG4bKt2", "MESSAGE", "r");
	ck_assert_uint_eq(n_events, 2);
	ck_assert_int_eq(events[1].status, 200);
	/* Timer D = 0, Timer K = 0: gone at once. */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	(void)ct;
	drain();
}
END_TEST

/* Timer B runs on TCP too. */
START_TEST(test_tcp_timeout)
{
	start("INVITE", "z9hG4bKt3", NET_TCP);
	advance_to(32000);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(n_events, 1);
	ck_assert_int_eq(events[0].err, -ETIMEDOUT);
	drain();
}
END_TEST

/* ---- IST ---- */

/* §17.2.1: 100 Trying after 200 ms of TU silence; the 486 goes to the sender. */
START_TEST(test_ist_100_by_timer)
{
	struct sip_msg *r;

	feed_req(NET_UDP, "INVITE", "z9hG4bKs1", 1, NULL, NULL);
	ck_assert_uint_eq(n_requests, 1);
	ck_assert_int_eq(tsx_kind(tu_st), TSX_IST);
	ck_assert_int_eq(tsx_state(tu_st), TSX_PROCEEDING);
	advance_to(199);
	ck_assert_uint_eq(n_sent, 0);
	advance_to(200);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(status_of(0), 100);
	r = parse(sent[0].buf);
	ck_assert_ptr_null(r->to_tag); /* 100 carries no To tag */
	ck_assert_str_eq(msg_header(r, "Server", NULL), "sipuad-test");
	msg_free(r);
	ck_assert_uint_eq(net_addr_port(&sent[0].d.addr), 5062);
	ck_assert_int_eq(sent[0].d.proto, NET_UDP);
	ck_assert_int_eq(tsx_respond_code(tu_st, 486, NULL, NULL), 0);
	ck_assert_int_eq(status_of(1), 486);
	r = parse(sent[1].buf);
	ck_assert_str_eq(r->to_tag, tu_tag);
	msg_free(r);
	feed_req(NET_UDP, "ACK", "z9hG4bKs1", 1, NULL, tu_tag);
	drain();
}
END_TEST

/* §17.2.1: a TU that answers at once gets no 100 from the transaction. */
START_TEST(test_ist_no_100_when_tu_answers)
{
	tu_mode = TU_RESPOND;
	tu_code = 180;
	feed_req(NET_UDP, "INVITE", "z9hG4bKs2", 1, NULL, NULL);
	advance_to(1000);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(status_of(0), 180);
	/* A retransmitted INVITE gets the same 180 again. */
	feed_req(NET_UDP, "INVITE", "z9hG4bKs2", 1, NULL, NULL);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(same_bytes(0, 1));
	ck_assert_uint_eq(n_requests, 1);
	ck_assert_uint_eq(stats.rx_retransmissions, 1);
	ck_assert_int_eq(tsx_respond_code(tu_st, 603, NULL, NULL), 0);
	feed_req(NET_UDP, "ACK", "z9hG4bKs2", 1, NULL, tu_tag);
	drain();
}
END_TEST

/* 486: Timer G doubling to T2, INVITE retransmission answered, ACK -> Confirmed -> Timer I. */
START_TEST(test_ist_486_confirmed)
{
	static const uint64_t times[] = {0, 500, 1500, 3500, 7500, 11500};

	tu_mode = TU_RESPOND;
	tu_code = 486;
	tu_code2 = 180; /* a 180 after the final is refused */
	feed_req(NET_UDP, "INVITE", "z9hG4bKs3", 1, NULL, NULL);
	ck_assert_int_eq(tu_state_after, TSX_COMPLETED);
	ck_assert_int_eq(tu_err2, -EINVAL);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1); /* compact from here on */
	advance_to(12000);
	check_times(times, 6);
	ck_assert_int_eq(status_of(0), 486);
	/* A retransmitted INVITE in Completed gets the final again. */
	feed_req(NET_UDP, "INVITE", "z9hG4bKs3", 1, NULL, NULL);
	ck_assert_uint_eq(n_sent, 7);
	ck_assert(same_bytes(0, 6));
	ck_assert_uint_eq(n_requests, 1);
	/* The ACK (To tag of the 486) is absorbed: Confirmed, retransmissions stop. */
	feed_req(NET_UDP, "ACK", "z9hG4bKs3", 1, NULL, tu_tag);
	ck_assert_uint_eq(n_acks, 0);
	feed_req(NET_UDP, "ACK", "z9hG4bKs3", 1, NULL, tu_tag);
	ck_assert_uint_eq(n_acks, 0);
	/* Confirmed: a retransmitted INVITE is absorbed, not answered. */
	feed_req(NET_UDP, "INVITE", "z9hG4bKs3", 1, NULL, NULL);
	ck_assert_uint_eq(n_requests, 1);
	ck_assert_uint_eq(stats.rx_retransmissions, 3);
	advance_to(12000 + T4 - 1);
	ck_assert_uint_eq(n_sent, 7);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(12000 + T4); /* Timer I */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	drain();
}
END_TEST

/* No ACK: Timer G until Timer H = 64*T1. */
START_TEST(test_ist_no_ack)
{
	static const uint64_t times[] = {0,	500,   1500,  3500,  7500, 11500,
					 15500, 19500, 23500, 27500, 31500};

	tu_mode = TU_RESPOND;
	tu_code = 486;
	feed_req(NET_UDP, "INVITE", "z9hG4bKs4", 1, NULL, NULL);
	advance_to(31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(32000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	check_times(times, 11);
	drain();
}
END_TEST

/*
 * RFC 6026 §8.7: 2xx -> Accepted; the TU may resend its 2xx through st
 * while it still holds it; INVITE retransmissions absorbed; matching ACK to
 * the TU; Timer L.
 */
START_TEST(test_ist_2xx_accepted)
{
	tu_mode = TU_RESPOND;
	tu_code = 200;
	tu_code2 = 200; /* the TU's retransmission */
	feed_req(NET_UDP, "INVITE", "z9hG4bKs5", 1, NULL, NULL);
	ck_assert_int_eq(tu_state_after, TSX_ACCEPTED);
	ck_assert_int_eq(tu_err2, 0);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(same_bytes(0, 1));
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	advance_to(300);
	ck_assert_uint_eq(n_sent, 2); /* no 100 after a final */
	feed_req(NET_UDP, "INVITE", "z9hG4bKs5", 1, NULL, NULL);
	ck_assert_uint_eq(n_sent, 2); /* absorbed */
	ck_assert_uint_eq(stats.rx_retransmissions, 1);
	feed_req(NET_UDP, "ACK", "z9hG4bKs5", 1, NULL, tu_tag);
	ck_assert_uint_eq(n_acks, 1);
	feed_req(NET_UDP, "ACK", "z9hG4bKs5", 1, NULL, tu_tag); /* each one goes up */
	ck_assert_uint_eq(n_acks, 2);
	ck_assert_uint_eq(n_sent, 2);
	advance_to(31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(32000); /* Timer L */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 0);
	/* Afterwards an ACK with the same branch matches nothing: to the TU. */
	feed_req(NET_UDP, "ACK", "z9hG4bKs5", 1, NULL, "x");
	ck_assert_uint_eq(n_acks, 3);
	drain();
}
END_TEST

/* ---- NIST ---- */

/* §17.2.2: Trying absorbs; Proceeding and Completed answer with the same bytes; Timer J. */
START_TEST(test_nist)
{
	struct tsx *st;
	struct sip_msg *r;

	feed_req(NET_UDP, "OPTIONS", "z9hG4bKo1", 5, NULL, NULL);
	st = tu_st;
	ck_assert_int_eq(tsx_kind(st), TSX_NIST);
	ck_assert_int_eq(tsx_state(st), TSX_TRYING);
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKo1", 5, NULL, NULL);
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(n_requests, 1);
	ck_assert_uint_eq(stats.rx_retransmissions, 1);
	ck_assert_int_eq(tsx_respond_code(st, 183, NULL, NULL), 0);
	ck_assert_int_eq(tsx_state(st), TSX_PROCEEDING);
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKo1", 5, NULL, NULL);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(same_bytes(0, 1));
	advance_to(1000);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 0);
	ck_assert_int_eq(tsx_respond_code(st, 200, NULL, NULL), 0);
	/* Completed, and no TU holds it: compact from here on. */
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	ck_assert_int_eq(status_of(2), 200);
	r = parse(sent[2].buf);
	ck_assert_str_eq(r->to_tag, tu_tag);
	msg_free(r);
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKo1", 5, NULL, NULL);
	ck_assert_uint_eq(n_sent, 4);
	ck_assert(same_bytes(2, 3));
	ck_assert_uint_eq(sent[3].d.proto, NET_UDP);
	ck_assert_uint_eq(net_addr_port(&sent[3].d.addr), 5062);
	ck_assert_uint_eq(stats.rx_retransmissions, 3);
	ck_assert_uint_eq(stats.tx_retransmissions, 2);
	advance_to(1000 + 31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(1000 + 32000); /* Timer J */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* A NIST whose TU never answers answers 500 itself at 64*T1. */
START_TEST(test_nist_guard)
{
	feed_req(NET_UDP, "MESSAGE", "z9hG4bKo2", 1, NULL, NULL);
	advance_to(31999);
	ck_assert_uint_eq(n_sent, 0);
	advance_to(32000);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(status_of(0), 500);
	ck_assert_uint_eq(tsx_layer_count(layer), 1); /* Completed: Timer J */
	drain();
}
END_TEST

/* The TU answers inside user.request on TCP: Timer J = 0, yet st stays valid meanwhile. */
START_TEST(test_tcp_respond_in_callback)
{
	tu_mode = TU_RESPOND;
	tu_code = 200;
	feed_req(NET_TCP, "OPTIONS", "z9hG4bKo3", 1, NULL, NULL);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(sent[0].d.conn, 99); /* the request's connection */
	ck_assert_int_eq(tu_state_after, TSX_TERMINATED);
	ck_assert_str_eq(tu_handle_after, "t1");
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	/* An IST on TCP: no Timer G, ACK -> Confirmed -> Timer I = 0. */
	tu_code = 486;
	feed_req(NET_TCP, "INVITE", "z9hG4bKo4", 1, NULL, NULL);
	advance_to(20000);
	ck_assert_uint_eq(n_sent, 2);
	feed_req(NET_TCP, "ACK", "z9hG4bKo4", 1, NULL, "x");
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* ---- matching ---- */

/* §9.2: the CANCEL's own NIST finds the IST with the same key. */
START_TEST(test_cancel_target)
{
	struct tsx *ist, *cancel;
	char tag[32], tag3[32];

	feed_req(NET_UDP, "INVITE", "z9hG4bKx1", 1, NULL, NULL);
	ist = tu_st;
	feed_req(NET_UDP, "CANCEL", "z9hG4bKx1", 1, NULL, NULL);
	cancel = tu_st;
	ck_assert_ptr_ne(cancel, ist);
	ck_assert_int_eq(tsx_kind(cancel), TSX_NIST);
	ck_assert_ptr_eq(tsx_cancel_target(cancel), ist);
	ck_assert(tsx_cancel_matched(cancel));
	ck_assert_str_eq(tsx_local_tag(cancel), tsx_local_tag(ist)); /* §9.2: the same To tag */
	ck_assert(!tsx_merged(cancel));
	ck_assert_ptr_null(tsx_cancel_target(ist));
	ck_assert(!tsx_cancel_matched(ist));
	snprintf(tag, sizeof(tag), "%s", tsx_local_tag(ist));
	ck_assert_int_eq(tsx_respond_code(cancel, 200, NULL, NULL), 0);
	ck_assert_int_eq(tsx_respond_code(ist, 487, NULL, NULL), 0);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 2);
	/* A CANCEL crossing the final: the IST is answered (compact), still matched. */
	feed_req(NET_UDP, "INVITE", "z9hG4bKx3", 1, NULL, NULL);
	snprintf(tag3, sizeof(tag3), "%s", tsx_local_tag(tu_st));
	ck_assert_int_eq(tsx_respond_code(tu_st, 486, NULL, NULL), 0);
	feed_req(NET_UDP, "CANCEL", "z9hG4bKx3", 1, NULL, NULL);
	ck_assert(tsx_cancel_matched(tu_st));
	ck_assert_ptr_null(tsx_cancel_target(tu_st)); /* nothing left for the TU to answer */
	ck_assert_str_eq(tsx_local_tag(tu_st), tag3);
	ck_assert_int_eq(tsx_respond_code(tu_st, 200, NULL, NULL), 0);
	feed_req(NET_UDP, "ACK", "z9hG4bKx3", 1, NULL, tag3);
	/* A CANCEL with another branch has no target. */
	feed_req(NET_UDP, "CANCEL", "z9hG4bKx2", 1, NULL, NULL);
	ck_assert_ptr_null(tsx_cancel_target(tu_st));
	ck_assert(!tsx_cancel_matched(tu_st));
	ck_assert_int_eq(tsx_respond_code(tu_st, 481, NULL, NULL), 0);
	/* Nor does one from another sent-by with the same branch. */
	{
		char *s = peer_req("CANCEL", "z9hG4bKx1", "10.0.0.3", 1, NULL, NULL);

		tsx_layer_recv(layer, incoming(NET_UDP, s));
		free(s);
		ck_assert_ptr_null(tsx_cancel_target(tu_st));
		ck_assert_int_eq(tsx_respond_code(tu_st, 481, NULL, NULL), 0);
	}
	feed_req(NET_UDP, "ACK", "z9hG4bKx1", 1, NULL, tag);
	drain();
}
END_TEST

/* §8.2.2.2: same From tag, Call-ID and CSeq, no To tag, another branch: merged. */
START_TEST(test_merged)
{
	struct tsx *first;

	feed_req(NET_UDP, "INVITE", "z9hG4bKm1", 1, NULL, NULL);
	first = tu_st;
	ck_assert(!tsx_merged(first));
	feed_req(NET_UDP, "INVITE", "z9hG4bKm2", 1, NULL, NULL);
	ck_assert_uint_eq(n_requests, 2);
	ck_assert(tsx_merged(tu_st));
	ck_assert_int_eq(tsx_respond_code(tu_st, 482, NULL, NULL), 0);
	/* A request with a To tag is never merged. */
	feed_req(NET_UDP, "INFO", "z9hG4bKm3", 2, NULL, "tt");
	ck_assert(!tsx_merged(tu_st));
	ck_assert_int_eq(tsx_respond_code(tu_st, 200, NULL, NULL), 0);
	ck_assert_int_eq(tsx_respond_code(first, 486, NULL, NULL), 0);
	drain();
}
END_TEST

/* §17.2.3: RFC 2543 requests (no magic cookie) match by URI, tags, Call-ID, CSeq, Via. */
START_TEST(test_rfc2543)
{
	struct tsx *st;
	char tag[32];
	unsigned n;

	feed_req(NET_UDP, "INVITE", NULL, 1, NULL, NULL);
	st = tu_st;
	ck_assert_uint_eq(n_requests, 1);
	feed_req(NET_UDP, "INVITE", NULL, 1, NULL, NULL);
	ck_assert_uint_eq(n_requests, 1);
	ck_assert_uint_eq(stats.rx_retransmissions, 1);
	/* Another CSeq is another transaction. */
	feed_req(NET_UDP, "INVITE", NULL, 2, NULL, NULL);
	ck_assert_uint_eq(n_requests, 2);
	ck_assert_int_eq(tsx_respond_code(tu_st, 500, NULL, NULL), 0);
	/* A branch without the cookie is RFC 2543 too. */
	feed_req(NET_UDP, "OPTIONS", "old1", 3, NULL, NULL);
	ck_assert_uint_eq(n_requests, 3);
	feed_req(NET_UDP, "OPTIONS", "old1", 3, NULL, NULL);
	ck_assert_uint_eq(n_requests, 3);
	ck_assert_int_eq(tsx_respond_code(tu_st, 200, NULL, NULL), 0);
	snprintf(tag, sizeof(tag), "%s", tsx_local_tag(st));
	ck_assert_int_eq(tsx_respond_code(st, 486, NULL, NULL), 0);
	feed_req(NET_UDP, "ACK", NULL, 1, NULL, tag);
	ck_assert_uint_eq(n_acks, 0);
	/* Confirmed: the INVITE again is absorbed, not answered. */
	n = n_sent;
	feed_req(NET_UDP, "INVITE", NULL, 1, NULL, NULL);
	ck_assert_uint_eq(n_sent, n);
	ck_assert_uint_eq(n_requests, 3);
	drain();
}
END_TEST

/* Past max_tsx: stateless 503 with Retry-After, nothing created; tsx_request -EAGAIN. */
START_TEST(test_full)
{
	struct sip_dest d;
	struct sip_msg *r;
	struct tsx *a;

	cfg.max_tsx = 2;
	tsx_layer_free(layer);
	layer_make();
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKf1", 1, NULL, NULL);
	a = tu_st;
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKf2", 2, NULL, NULL);
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKf3", 3, NULL, NULL);
	ck_assert_uint_eq(n_requests, 2);
	ck_assert_uint_eq(tsx_layer_count(layer), 2);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(status_of(0), 503);
	r = parse(sent[0].buf);
	ck_assert_str_eq(msg_header(r, "Retry-After", NULL), "5");
	ck_assert_ptr_nonnull(r->to_tag);
	ck_assert_str_eq(r->branch, "z9hG4bKf3");
	msg_free(r);
	ck_assert_uint_eq(stats.tx_503, 1);
	/* An ACK is never refused: it goes to the TU. */
	feed_req(NET_UDP, "ACK", "z9hG4bKf4", 4, NULL, "t");
	ck_assert_uint_eq(n_acks, 1);
	ck_assert_uint_eq(n_sent, 1);
	memset(&d, 0, sizeof(d));
	d.proto = NET_UDP;
	ck_assert_int_eq(net_addr_from_host(&d.addr, "10.0.0.9", 5070), 0);
	ck_assert_int_eq(
	    tsx_request(layer, our_req("OPTIONS", "z9hG4bKf5", 1), &d, on_resp, NULL, NULL),
	    -EAGAIN);
	ck_assert_int_eq(tsx_respond_code(a, 200, NULL, NULL), 0);
	ck_assert_int_eq(tsx_respond_code(tu_st, 200, NULL, NULL), 0);
	drain();
}
END_TEST

START_TEST(test_stray_and_ack)
{
	feed_resp(NET_UDP, 200, "z9hG4bKnone", "INVITE", "x");
	ck_assert_uint_eq(n_strays, 1);
	ck_assert_uint_eq(stats.rx_stray_responses, 1);
	feed_req(NET_UDP, "ACK", "z9hG4bKnone", 1, NULL, "x");
	ck_assert_uint_eq(n_acks, 1);
	ck_assert_uint_eq(n_requests, 0);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* tsx_request refuses ACK, a request without branch, and a branch in use. */
START_TEST(test_request_refused)
{
	struct sip_dest d;
	struct sip_msg *m;

	memset(&d, 0, sizeof(d));
	d.proto = NET_UDP;
	ck_assert_int_eq(
	    tsx_request(layer, our_req("ACK", "z9hG4bKa1", 1), &d, on_resp, NULL, NULL), -EINVAL);
	m = our_req("OPTIONS", "z9hG4bKa1", 1);
	osip_list_special_free(&m->sip->vias, (void (*)(void *))osip_via_free);
	ck_assert_int_eq(msg_refresh(m), -EINVAL);
	ck_assert_int_eq(tsx_request(layer, m, &d, on_resp, NULL, NULL), -EINVAL);
	start("OPTIONS", "z9hG4bKa2", NET_UDP);
	ck_assert_int_eq(
	    tsx_request(layer, our_req("OPTIONS", "z9hG4bKa2", 1), &d, on_resp, NULL, NULL),
	    -EEXIST);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	drain();
}
END_TEST

/* Stateless answers: Server header, err's extra header, never for ACK. */
START_TEST(test_reply_stateless)
{
	struct sip_msg *req, *r;
	struct msg_err e;
	char *s = peer_req("FOO", "z9hG4bKq1", "10.0.0.2", 1, NULL, NULL);

	req = incoming(NET_UDP, s);
	free(s);
	msg_err_set(&e, 420, NULL, "Unsupported", "foo");
	ck_assert_int_eq(tsx_reply_stateless(layer, req, &e), 0);
	ck_assert_int_eq(status_of(0), 420);
	r = parse(sent[0].buf);
	ck_assert_str_eq(msg_header(r, "Unsupported", NULL), "foo");
	ck_assert_str_eq(msg_header(r, "Server", NULL), "sipuad-test");
	msg_free(r);
	msg_free(req);
	s = peer_req("ACK", "z9hG4bKq1", "10.0.0.2", 1, NULL, NULL);
	req = incoming(NET_UDP, s);
	free(s);
	ck_assert_int_eq(tsx_reply_stateless(layer, req, &e), -EINVAL);
	msg_free(req);
	ck_assert_uint_eq(n_sent, 1);
	drain();
}
END_TEST

/* ---- transport errors (§17.1.4, §17.2.4) ---- */

START_TEST(test_client_transport_error)
{
	struct sip_dest d;

	/* The first send fails: tsx_request says so, no callback, nothing left. */
	memset(&d, 0, sizeof(d));
	d.proto = NET_UDP;
	send_fail = -ENETUNREACH;
	ck_assert_int_eq(
	    tsx_request(layer, our_req("INVITE", "z9hG4bKe1", 1), &d, on_resp, NULL, NULL),
	    -ENETUNREACH);
	ck_assert_uint_eq(n_events, 0);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	/* A retransmission fails: the callback gets the error. */
	send_fail = -EHOSTUNREACH;
	send_fail_after = 1;
	start("INVITE", "z9hG4bKe2", NET_UDP);
	advance_to(500);
	ck_assert_uint_eq(n_events, 1);
	ck_assert_int_eq(events[0].err, -EHOSTUNREACH);
	ck_assert_int_eq(events[0].status, 0);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

START_TEST(test_conn_closed)
{
	struct tsx *a, *b;

	tcp_conn = 42;
	a = start("INVITE", "z9hG4bKk1", NET_TCP);
	tcp_conn = 43;
	b = start("OPTIONS", "z9hG4bKk2", NET_TCP);
	tcp_conn = 42;
	start("BYE", "z9hG4bKk3", NET_TCP);
	feed_resp(NET_TCP, 200, "z9hG4bKk3", "BYE", "x"); /* done: not waiting */
	ck_assert_uint_eq(n_events, 1);
	feed_resp(NET_TCP, 180, "z9hG4bKk1", "INVITE", "x");
	ck_assert_uint_eq(n_events, 2);
	tsx_layer_conn_closed(layer, 42, -ECONNRESET,
			      "TLS handshake with 192.0.2.1:5061 failed: certificate verify failed "
			      "(certificate has expired)");
	ck_assert_uint_eq(n_events, 3);
	ck_assert_ptr_eq(events[2].t, a);
	ck_assert_int_eq(events[2].err, -ECONNRESET);
	/* The transport's words reach the TU (the call's end reason, the registration's). */
	ck_assert_str_eq(events[2].why, "TLS handshake with 192.0.2.1:5061 failed: certificate "
					"verify failed (certificate has expired)");
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	/* An orderly close fails a waiting transaction too. */
	tsx_layer_conn_closed(layer, 43, 0, NULL);
	ck_assert_uint_eq(n_events, 4);
	ck_assert_ptr_eq(events[3].t, b);
	ck_assert_int_lt(events[3].err, 0);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* The IST's own 100 cannot be sent: it ends; the TU learns it when it answers. */
START_TEST(test_server_transport_error)
{
	struct tsx *st;

	feed_req(NET_UDP, "INVITE", "z9hG4bKe3", 1, NULL, NULL);
	st = tu_st;
	send_fail = -ENOBUFS;
	advance_to(200);
	ck_assert_int_eq(tsx_state(st), TSX_TERMINATED); /* still valid: the TU holds it */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	send_fail = 0;
	ck_assert_int_eq(tsx_respond_code(st, 180, NULL, NULL), -ENOBUFS);
	ck_assert_uint_eq(n_sent, 0);
	/* A NIST failing in tsx_respond: the error comes back, it is gone. */
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKe4", 1, NULL, NULL);
	send_fail = -EPERM;
	ck_assert_int_eq(tsx_respond_code(tu_st, 200, NULL, NULL), -EPERM);
	send_fail = 0;
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/*
 * A NIST whose resent 1xx fails ends, but the TU still holds it: the guard
 * (64*T1) stays armed and lets go of it; no 500 goes out for a dead one.
 */
START_TEST(test_nist_held_guard)
{
	feed_req(NET_UDP, "SUBSCRIBE", "z9hG4bKj1", 1, NULL, NULL);
	ck_assert_int_eq(tsx_respond_code(tu_st, 183, NULL, NULL), 0);
	send_fail = -ENOBUFS;
	feed_req(NET_UDP, "SUBSCRIBE", "z9hG4bKj1", 1, NULL, NULL);
	send_fail = 0;
	ck_assert_int_eq(tsx_state(tu_st), TSX_TERMINATED);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 1); /* the guard */
	advance_to(32000);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	ck_assert_uint_eq(n_sent, 1);
	drain();
}
END_TEST

/* New T1 applies to transactions created afterwards. */
START_TEST(test_set_cfg)
{
	struct tsx_cfg c = cfg;

	start("INVITE", "z9hG4bKy1", NET_UDP);
	c.t1_ms = 1000;
	tsx_layer_set_cfg(layer, &c);
	start("INVITE", "z9hG4bKy2", NET_UDP);
	advance_to(1000);
	ck_assert_uint_eq(n_sent, 4); /* y1 at 0, y2 at 0, y1 at 500, y2 at 1000 */
	ck_assert_uint_eq(sent[2].at, 500);
	ck_assert_uint_eq(sent[3].at, 1000);
	ck_assert_ptr_nonnull(strstr(sent[3].buf, "z9hG4bKy2"));
	advance_to(32000);
	ck_assert_uint_eq(n_events, 1); /* y1: Timer B = 64*500 */
	advance_to(64000);
	ck_assert_uint_eq(n_events, 2); /* y2: Timer B = 64*1000 */
	ck_assert_uint_eq(events[1].at, 64000);
	drain();
}
END_TEST

/* A TU that detaches an unanswered server transaction: 500 in its place. */
START_TEST(test_detach)
{
	struct tsx *ct;

	feed_req(NET_UDP, "INVITE", "z9hG4bKg1", 1, NULL, NULL);
	tsx_detach(tu_st);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(status_of(0), 500);
	/* A detached ICT gets no callbacks; in Proceeding it ends 64*T1 later. */
	ct = start("INVITE", "z9hG4bKg2", NET_UDP);
	feed_resp(NET_UDP, 180, "z9hG4bKg2", "INVITE", "x");
	ck_assert_uint_eq(n_events, 1);
	tsx_detach(ct);
	feed_resp(NET_UDP, 183, "z9hG4bKg2", "INVITE", "x");
	ck_assert_uint_eq(n_events, 1);
	advance_to(31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 2); /* the IST (Timer H) and the ICT */
	advance_to(32000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(n_events, 1);
	drain();
}
END_TEST

/* The TU detaches inside its own callback, and starts a new transaction there. */
static void on_resp_detach(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	struct sip_dest d;

	on_resp(arg, ct, resp, err);
	tsx_detach(ct);
	memset(&d, 0, sizeof(d));
	d.proto = NET_UDP;
	ck_assert_int_eq(
	    tsx_request(layer, our_req("BYE", "z9hG4bKh2", 2), &d, on_resp, NULL, NULL), 0);
}

START_TEST(test_reentrant_callback)
{
	struct sip_dest d;

	memset(&d, 0, sizeof(d));
	d.proto = NET_UDP;
	ck_assert_int_eq(
	    tsx_request(layer, our_req("INVITE", "z9hG4bKh1", 1), &d, on_resp_detach, NULL, NULL),
	    0);
	advance_to(32000); /* Timer B: the callback detaches and sends a BYE */
	ck_assert_uint_eq(n_events, 1);
	ck_assert(starts(n_sent - 1, "BYE "));
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	drain();
	ck_assert_uint_eq(n_events, 2);
	ck_assert_int_eq(events[1].err, -ETIMEDOUT);
}
END_TEST

/* tsx_layer_free ends live transactions without callbacks and without leaks. */
START_TEST(test_layer_free_live)
{
	start("INVITE", "z9hG4bKl1", NET_UDP);
	start("OPTIONS", "z9hG4bKl2", NET_UDP);
	feed_req(NET_UDP, "INVITE", "z9hG4bKl3", 1, NULL, NULL);
	feed_req(NET_UDP, "MESSAGE", "z9hG4bKl4", 1, NULL, NULL);
	ck_assert_uint_eq(tsx_layer_count(layer), 4);
	tsx_layer_free(layer);
	layer = NULL;
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	ck_assert_uint_eq(n_events, 0);
}
END_TEST

/* ---- compact waiting transactions (tsx_wait.c) ---- */

/* NIST Completed, compact: the BYE again gets the stored 200 to the same place; Timer J. */
START_TEST(test_wait_nist)
{
	tu_mode = TU_RESPOND;
	tu_code = 200;
	feed_req(NET_UDP, "BYE", "z9hG4bKw1", 2, NULL, "tt");
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	ck_assert_uint_eq(tmr_fake_armed(clk), 1); /* one timer */
	advance_to(1000);
	feed_req(NET_UDP, "BYE", "z9hG4bKw1", 2, NULL, "tt");
	feed_req(NET_UDP, "BYE", "z9hG4bKw1", 2, NULL, "tt");
	ck_assert_uint_eq(n_requests, 1);
	ck_assert_uint_eq(n_sent, 3);
	ck_assert(same_bytes(0, 1));
	ck_assert(same_bytes(0, 2));
	ck_assert_int_eq(sent[2].d.proto, NET_UDP);
	ck_assert_uint_eq(net_addr_port(&sent[2].d.addr), 5062);
	ck_assert_uint_eq(stats.rx_retransmissions, 2);
	ck_assert_uint_eq(stats.tx_retransmissions, 2);
	advance_to(31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(32000); /* Timer J */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	/* Afterwards the same BYE is a new transaction. */
	feed_req(NET_UDP, "BYE", "z9hG4bKw1", 2, NULL, "tt");
	ck_assert_uint_eq(n_requests, 2);
	drain();
}
END_TEST

/* IST Completed on TCP, compact: no Timer G; the INVITE again gets the final on its connection. */
START_TEST(test_wait_ist_tcp)
{
	tu_mode = TU_RESPOND;
	tu_code = 603;
	feed_req(NET_TCP, "INVITE", "z9hG4bKw2", 1, NULL, NULL);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	advance_to(20000);
	ck_assert_uint_eq(n_sent, 1);
	feed_req(NET_TCP, "INVITE", "z9hG4bKw2", 1, NULL, NULL);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(same_bytes(0, 1));
	ck_assert_uint_eq(sent[1].d.conn, 99);
	ck_assert_int_eq(sent[1].d.proto, NET_TCP);
	advance_to(32000); /* Timer H, no ACK */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* ICT Completed, compact: a retransmitted 486 gets the same ACK to the same place; Timer D. */
START_TEST(test_wait_ict_completed)
{
	start("INVITE", "z9hG4bKw3", NET_UDP);
	feed_resp(NET_UDP, 486, "z9hG4bKw3", "INVITE", "r");
	ck_assert_uint_eq(n_events, 1);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(starts(1, "ACK "));
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	advance_to(2000);
	feed_resp(NET_UDP, 486, "z9hG4bKw3", "INVITE", "r");
	feed_resp(NET_UDP, 180, "z9hG4bKw3", "INVITE", "r"); /* absorbed */
	ck_assert_uint_eq(n_sent, 3);
	ck_assert(same_bytes(1, 2));
	ck_assert_uint_eq(net_addr_port(&sent[2].d.addr), 5070);
	ck_assert_uint_eq(stats.tx_retransmissions, 1);
	ck_assert_uint_eq(n_events, 1);
	ck_assert_uint_eq(n_strays, 0);
	advance_to(31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(32000); /* Timer D */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/*
 * ICT Accepted: while the TU holds it, every 2xx goes up (RFC 6026 §8.4);
 * once it detaches, compact: 2xx absorbed as before, Timer M without a callback.
 */
START_TEST(test_wait_ict_accepted)
{
	struct tsx *ct = start("INVITE", "z9hG4bKw4", NET_UDP);

	feed_resp(NET_UDP, 200, "z9hG4bKw4", "INVITE", "r");
	ck_assert_uint_eq(tsx_layer_waiting(layer), 0); /* held */
	feed_resp(NET_UDP, 200, "z9hG4bKw4", "INVITE", "r");
	ck_assert_uint_eq(n_events, 2);
	ck_assert_int_eq(events[1].status, 200);
	ck_assert_ptr_eq(events[1].t, ct);
	advance_to(1000);
	tsx_detach(ct);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	feed_resp(NET_UDP, 200, "z9hG4bKw4", "INVITE", "r");
	ck_assert_uint_eq(n_events, 2);
	ck_assert_uint_eq(n_strays, 0);
	ck_assert_uint_eq(n_sent, 1);
	advance_to(31999);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(32000); /* Timer M */
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(n_events, 2);
	feed_resp(NET_UDP, 200, "z9hG4bKw4", "INVITE", "r");
	ck_assert_uint_eq(n_strays, 1);
	drain();
}
END_TEST

/* NICT Completed, compact: retransmitted finals absorbed; Timer K = T4. */
START_TEST(test_wait_nict)
{
	start("MESSAGE", "z9hG4bKw5", NET_UDP);
	feed_resp(NET_UDP, 202, "z9hG4bKw5", "MESSAGE", "r");
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	feed_resp(NET_UDP, 202, "z9hG4bKw5", "MESSAGE", "r");
	ck_assert_uint_eq(n_events, 1);
	ck_assert_uint_eq(n_strays, 0);
	advance_to(T4 - 1);
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	advance_to(T4);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	drain();
}
END_TEST

/* §8.2.2.2: an answered INVITE, compact, still makes another fork of it merged, until Timer L. */
START_TEST(test_wait_merged)
{
	tu_mode = TU_RESPOND;
	tu_code = 200;
	feed_req(NET_UDP, "INVITE", "z9hG4bKw6", 1, NULL, NULL);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	tu_code = 482;
	feed_req(NET_UDP, "INVITE", "z9hG4bKw7", 1, NULL, NULL);
	ck_assert_uint_eq(n_requests, 2);
	ck_assert(tu_merged);
	ck_assert(tu_state_after == TSX_COMPLETED);
	advance_to(32000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	tu_mode = TU_SAVE;
	feed_req(NET_UDP, "INVITE", "z9hG4bKw8", 1, NULL, NULL);
	ck_assert(!tsx_merged(tu_st));
	ck_assert_int_eq(tsx_respond_code(tu_st, 486, NULL, NULL), 0);
	drain();
}
END_TEST

/* A compact one whose resend fails ends at once (§17.2.4), logged as before. */
START_TEST(test_wait_send_error)
{
	tu_mode = TU_RESPOND;
	tu_code = 200;
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKw9", 1, NULL, NULL);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	send_fail = -ENOBUFS;
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKw9", 1, NULL, NULL);
	send_fail = 0;
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	drain();
}
END_TEST

/* Compact ones count against max_tsx; tsx_layer_free frees them. */
START_TEST(test_wait_bound_and_free)
{
	cfg.max_tsx = 2;
	tsx_layer_free(layer);
	layer_make();
	tu_mode = TU_RESPOND;
	tu_code = 200;
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKwa", 1, NULL, NULL);
	tu_code = 486;
	feed_req(NET_UDP, "INVITE", "z9hG4bKwb", 2, NULL, NULL);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 2);
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKwc", 3, NULL, NULL);
	ck_assert_uint_eq(n_requests, 2);
	ck_assert_int_eq(status_of(n_sent - 1), 503);
	ck_assert_uint_eq(stats.tx_503, 1);
	tsx_layer_free(layer);
	layer = NULL;
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
}
END_TEST

/*
 * After a burst the count falls below 1/8 of its peak: one check a few
 * seconds later trims (pool, malloc_trim), and once more when the last one
 * is gone; then nothing stays armed.
 */
START_TEST(test_wait_trim)
{
	char branch[32];
	unsigned n = 4200;

	cfg.max_tsx = 10000;
	tsx_layer_free(layer);
	layer_make();
	tu_mode = TU_RESPOND;
	tu_code = 200;
	for (unsigned i = 0; i < n; i++) {
		char *s;

		snprintf(branch, sizeof(branch), "z9hG4bKt%u", i);
		s = peer_req("BYE", branch, "10.0.0.2", i + 1, NULL, "tt");
		tsx_layer_recv(layer, incoming(NET_UDP, s));
		free(s);
		n_sent = 0; /* the capture keeps no more than MAX_SENT */
		free(sent[0].buf);
	}
	ck_assert_uint_eq(tsx_layer_waiting(layer), n);
	ck_assert_uint_eq(tsx_layer_count(layer), n);
	ck_assert_uint_eq(tmr_fake_armed(clk), n);
	advance_to(10000);
	feed_req(NET_UDP, "BYE", "z9hG4bKlast", 1, NULL, "tt"); /* the burst's tail */
	advance_to(32000); /* Timer J for all but the last: the trim check is armed */
	ck_assert_uint_eq(tsx_layer_count(layer), 1);
	ck_assert_uint_eq(tmr_fake_armed(clk), 2);
	advance_to(32000 + 5000); /* trimmed, one left: once more when it is gone */
	ck_assert_uint_eq(tmr_fake_armed(clk), 1);
	advance_to(42000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 1);
	advance_to(42000 + 5000);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	/* The layer works on with what the pool kept. */
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKwd", 1, NULL, NULL);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	drain();
}
END_TEST

/* tsx_respond_copy(): the bytes sent, the TU's to keep (its 2xx resends), after st is compact. */
START_TEST(test_wait_respond_copy)
{
	struct sip_msg *r = NULL;
	char *buf = NULL;
	size_t len = 0;

	feed_req(NET_UDP, "INVITE", "z9hG4bKwe", 1, NULL, NULL);
	ck_assert_int_eq(msg_build_response(&r, tsx_req(tu_st), 200, NULL, tu_tag), 0);
	ck_assert_int_eq(tsx_respond_copy(tu_st, r, &buf, &len), 0);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(len, sent[0].len);
	ck_assert(memcmp(buf, sent[0].buf, len) == 0);
	ck_assert_uint_eq(tsx_layer_waiting(layer), 1);
	free(buf);
	/* A provisional is copied too; st stays the TU's until its final. */
	feed_req(NET_UDP, "OPTIONS", "z9hG4bKwf", 2, NULL, NULL);
	r = NULL;
	ck_assert_int_eq(msg_build_response(&r, tsx_req(tu_st), 100, NULL, NULL), 0);
	ck_assert_int_eq(tsx_respond_copy(tu_st, r, &buf, &len), 0);
	free(buf);
	ck_assert_int_eq(tsx_respond_code(tu_st, 200, NULL, NULL), 0);
	drain();
}
END_TEST

static Suite *tsx_suite(void)
{
	Suite *s = suite_create("tsx");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ict_udp_timeout);
	tcase_add_test(tc, test_ict_non2xx_ack);
	tcase_add_test(tc, test_ict_timer_d_min);
	tcase_add_test(tc, test_ict_2xx_accepted);
	tcase_add_test(tc, test_nict_udp_trying);
	tcase_add_test(tc, test_nict_udp_proceeding);
	tcase_add_test(tc, test_nict_final_udp);
	tcase_add_test(tc, test_tcp_client);
	tcase_add_test(tc, test_tcp_timeout);
	tcase_add_test(tc, test_ist_100_by_timer);
	tcase_add_test(tc, test_ist_no_100_when_tu_answers);
	tcase_add_test(tc, test_ist_486_confirmed);
	tcase_add_test(tc, test_ist_no_ack);
	tcase_add_test(tc, test_ist_2xx_accepted);
	tcase_add_test(tc, test_nist);
	tcase_add_test(tc, test_nist_guard);
	tcase_add_test(tc, test_tcp_respond_in_callback);
	tcase_add_test(tc, test_cancel_target);
	tcase_add_test(tc, test_merged);
	tcase_add_test(tc, test_rfc2543);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_stray_and_ack);
	tcase_add_test(tc, test_request_refused);
	tcase_add_test(tc, test_reply_stateless);
	tcase_add_test(tc, test_client_transport_error);
	tcase_add_test(tc, test_conn_closed);
	tcase_add_test(tc, test_server_transport_error);
	tcase_add_test(tc, test_nist_held_guard);
	tcase_add_test(tc, test_set_cfg);
	tcase_add_test(tc, test_detach);
	tcase_add_test(tc, test_reentrant_callback);
	tcase_add_test(tc, test_layer_free_live);
	suite_add_tcase(s, tc);

	tc = tcase_create("wait");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_wait_nist);
	tcase_add_test(tc, test_wait_ist_tcp);
	tcase_add_test(tc, test_wait_ict_completed);
	tcase_add_test(tc, test_wait_ict_accepted);
	tcase_add_test(tc, test_wait_nict);
	tcase_add_test(tc, test_wait_merged);
	tcase_add_test(tc, test_wait_send_error);
	tcase_add_test(tc, test_wait_bound_and_free);
	tcase_add_test(tc, test_wait_trim);
	tcase_add_test(tc, test_wait_respond_copy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	msg_lib_init();
	if (getenv("TSX_DEBUG")) /* every state change on stderr */
		log_set_level(LOG_LVL_DEBUG);
	return check_run(tsx_suite());
}
