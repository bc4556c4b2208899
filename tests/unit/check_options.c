/*
 * check_options: the OPTIONS ping (src/ua/options.c) over a real
 * transaction layer on the fake clock.
 *
 * The layer's send callback records every buffer with the fake time it
 * left at; responses are built from the captured request, serialized and
 * parsed back, and fed to the layer as the transport would.  The local()
 * stub plays tp_local() with 127.0.0.1:5060 and [::1]:5060 listeners (the
 * IPv6 one can be switched off).  Every test ends in drain(): far in the
 * future no transaction, no timer and no ping may be left, and ASan sees
 * every allocation freed.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <osipparser2/osip_parser.h>

#include "core/rnd.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/tsx.h"
#include "ua/account.h"
#include "ua/options.h"

#include "check_run.h"
#include "dns_fill.h"

#define T1 500
#define T2 4000
#define T4 5000
#define MAX_SENT 64
#define MAX_DONE 8

struct sent {
	char *buf;
	size_t len;
	uint64_t at;
	struct sip_dest d;
};

struct done {
	struct options_result r;
	void *arg;
	uint64_t at;
	unsigned pending; /* options_pending() during done() */
};

static struct tmr_clock *clk;
static struct tsx_layer *layer;
static struct options *opts;
static struct stats stats;
static struct tsx_cfg cfg;
static uint64_t t0;

static struct sent sent[MAX_SENT];
static unsigned n_sent;
static int send_fail;	  /* sends return this */
static uint64_t tcp_conn; /* set as d->conn on TCP */

static struct done dones[MAX_DONE];
static unsigned n_done;

static bool have_v6;
static bool wildcard; /* the IPv4 listener is 0.0.0.0:5060 */
static struct why why;
static struct account *acc_alice, *acc_bob; /* tests' accounts: freed after opts */
static struct event_base *base;		    /* opts_dns(): the resolver's */
static struct dns *dns;			    /* opts_dns(): freed after opts */
static const char *fail_to;		    /* sends to this address fail (ECONNREFUSED) */

static uint64_t now(void)
{
	return tmr_now(clk) - t0;
}

static void advance_to(uint64_t ms)
{
	ck_assert_uint_ge(ms, now());
	tmr_fake_advance(clk, ms - now());
}

static int cap_send(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	struct sent *s;

	(void)arg;
	if (send_fail)
		return send_fail;
	if (fail_to) {
		char a[NET_ADDR_STRLEN];

		if (strcmp(net_addr_fmt(&d->addr, a, sizeof(a)), fail_to) == 0)
			return -ECONNREFUSED;
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

/* tp_local() of a daemon listening on udp and tcp at 127.0.0.1:5060 and [::1]:5060. */
static int local_stub(void *arg, enum net_proto proto, int family, struct net_addr *out)
{
	(void)arg;
	(void)proto;
	if (family == AF_INET)
		return net_addr_from_host(out, wildcard ? "0.0.0.0" : "127.0.0.1", 5060);
	if (family == AF_INET6 && have_v6)
		return net_addr_from_host(out, "::1", 5060);
	return -ENOENT;
}

static void on_done(void *arg, const struct options_result *r)
{
	struct done *d;

	ck_assert_uint_lt(n_done, MAX_DONE);
	d = &dones[n_done++];
	d->r = *r;
	d->arg = arg;
	d->at = now();
	d->pending = options_pending(opts);
}

static void on_request(void *arg, struct tsx *st, const struct sip_msg *req)
{
	(void)arg;
	(void)req;
	ck_abort_msg("no request expected");
	(void)st;
}

static void opts_make(const char *ua)
{
	struct options_env env = {
	    .tsx = layer,
	    .clk = clk,
	    .local = local_stub,
	    .local_arg = NULL,
	};

	/* The User-Agent value is the layer's, as [sip] user_agent sets it. */
	cfg.server = ua;
	tsx_layer_set_cfg(layer, &cfg);
	ck_assert_int_eq(options_new(&opts, &env), 0);
}

static void layer_make(void)
{
	struct tsx_user user = {.request = on_request};

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
	n_sent = n_done = 0;
	send_fail = 0;
	fail_to = NULL;
	tcp_conn = 7;
	have_v6 = true;
	wildcard = false;
	why = (struct why){0};
	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	t0 = tmr_now(clk);
	layer_make();
	opts_make("sipuad/test");
}

static void teardown(void)
{
	options_free(opts);
	opts = NULL;
	account_free(acc_alice);
	account_free(acc_bob);
	acc_alice = acc_bob = NULL;
	dns_fill_free(dns);
	dns = NULL;
	if (base)
		event_base_free(base);
	base = NULL;
	tsx_layer_free(layer);
	layer = NULL;
	tmr_clock_free(clk);
	clk = NULL;
	for (unsigned i = 0; i < n_sent; i++)
		free(sent[i].buf);
	n_sent = 0;
}

/* Far in the future nothing may be left. */
static void drain(void)
{
	tmr_fake_advance(clk, 10 * 60 * 1000);
	ck_assert_uint_eq(options_pending(opts), 0);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
}

static struct sip_msg *parse(const char *text, size_t len)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, text, len, false), 0);
	return m;
}

/* options_send that must succeed, and must not call done() from inside. */
static void ping(const char *uri, void *arg)
{
	unsigned before = n_done;

	ck_assert_msg(options_send(opts, uri, NULL, on_done, arg, &why) == 0, "%s: %s", uri,
		      why.msg);
	ck_assert_uint_eq(n_done, before);
}

/*
 * The peer answers the request captured in sent[i] with code, as it
 * arrives on the wire (serialized, parsed, checked).  server / ua: the
 * Server / User-Agent header, NULL for none.
 */
static void respond(unsigned i, int code, const char *reason, const char *server, const char *ua)
{
	struct sip_msg *req, *resp = NULL, *in;
	char *text = NULL;
	const char *bad = NULL;
	size_t len;

	ck_assert_uint_lt(i, n_sent);
	req = parse(sent[i].buf, sent[i].len);
	ck_assert_int_eq(msg_build_response(&resp, req, code, reason, code > 100 ? "ptag" : NULL),
			 0);
	if (server)
		ck_assert_int_eq(msg_add_header(resp, "Server", server), 0);
	if (ua)
		ck_assert_int_eq(msg_add_header(resp, "User-Agent", ua), 0);
	ck_assert_int_eq(msg_to_str(resp, &text, &len), 0);
	in = parse(text, len);
	ck_assert_msg(msg_check_response(in, &bad), "%s", bad);
	in->src = sent[i].d;
	tsx_layer_recv(layer, in);
	osip_free(text);
	msg_free(resp);
	msg_free(req);
}

/* As respond(), with one extra header (a challenge). */
static void respond_hdr(unsigned i, int code, const char *hname, const char *hvalue)
{
	struct sip_msg *req, *resp = NULL, *in;
	char *text = NULL;
	const char *bad = NULL;
	size_t len;

	ck_assert_uint_lt(i, n_sent);
	req = parse(sent[i].buf, sent[i].len);
	ck_assert_int_eq(msg_build_response(&resp, req, code, NULL, "ptag"), 0);
	ck_assert_int_eq(msg_add_header(resp, hname, hvalue), 0);
	ck_assert_int_eq(msg_to_str(resp, &text, &len), 0);
	in = parse(text, len);
	ck_assert_msg(msg_check_response(in, &bad), "%s", bad);
	in->src = sent[i].d;
	tsx_layer_recv(layer, in);
	osip_free(text);
	msg_free(resp);
	msg_free(req);
}

static bool all_alnum(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

/* §11.1, §8.1.1: the request itself. */
START_TEST(test_well_formed)
{
	struct sip_msg *m;
	struct msg_err e;
	char *uri = NULL, a[NET_ADDR_STRLEN];
	const char *at;
	osip_accept_t *acc = NULL;

	ping("sip:bob@127.0.0.1:5062", NULL);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(options_pending(opts), 1);
	ck_assert_int_eq(sent[0].d.proto, NET_UDP);
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.addr, a, sizeof(a)), "127.0.0.1:5062");
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.local, a, sizeof(a)), "127.0.0.1:5060");

	m = parse(sent[0].buf, sent[0].len);
	m->src.proto = NET_UDP;
	ck_assert_msg(msg_check_request(m, &e), "%d %s", e.code, e.reason);
	ck_assert(m->is_request);
	ck_assert_str_eq(m->method, "OPTIONS");
	ck_assert_int_eq(msg_ruri(m, &uri), 0);
	ck_assert_str_eq(uri, "sip:bob@127.0.0.1:5062");
	osip_free(uri);
	ck_assert_ptr_nonnull(strstr(sent[0].buf, "\r\nTo: <sip:bob@127.0.0.1:5062>\r\n"));
	ck_assert_ptr_null(m->to_tag);
	ck_assert_ptr_nonnull(strstr(sent[0].buf, "\r\nFrom: <sip:sipuad@127.0.0.1>;tag="));
	ck_assert(all_alnum(m->from_tag, RND_TAG_LEN - 1));
	at = strchr(m->call_id, '@');
	ck_assert_ptr_nonnull(at);
	ck_assert_str_eq(at, "@127.0.0.1");
	ck_assert_uint_eq(m->cseq, 1);
	ck_assert_ptr_nonnull(strstr(sent[0].buf, "\r\nCSeq: 1 OPTIONS\r\n"));
	ck_assert_str_eq(msg_header(m, "Max-Forwards", NULL), "70");
	ck_assert_ptr_nonnull(
	    strstr(sent[0].buf, "\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK"));
	ck_assert_ptr_nonnull(strstr(sent[0].buf, ";rport\r\n"));
	ck_assert_uint_eq(strlen(m->branch), RND_BRANCH_LEN - 1);
	ck_assert_str_eq(msg_header(m, "User-Agent", NULL), "sipuad/test");
	/* libosip2 files Accept under its own list, not the generic headers. */
	ck_assert_int_eq(osip_message_get_accept(m->sip, 0, &acc), 0);
	ck_assert_str_eq(acc->type, "application");
	ck_assert_str_eq(acc->subtype, "sdp");
	ck_assert_ptr_nonnull(strstr(sent[0].buf, "\r\nAccept: application/sdp\r\n"));
	ck_assert_ptr_nonnull(strstr(sent[0].buf, "\r\nContent-Length: 0\r\n\r\n"));
	ck_assert_ptr_null(strstr(sent[0].buf, "Contact:"));
	msg_free(m);
	drain();
	ck_assert_uint_eq(n_done, 1); /* nobody answered: 408 */
}
END_TEST

/* IPv6 over TCP: brackets in Via, From and Call-ID; the TCP listener. */
START_TEST(test_well_formed_v6_tcp)
{
	struct sip_msg *m;
	struct msg_err e;
	char a[NET_ADDR_STRLEN];

	ping("sip:[::1]:5070;transport=tcp", NULL);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(sent[0].d.proto, NET_TCP);
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.addr, a, sizeof(a)), "[::1]:5070");
	m = parse(sent[0].buf, sent[0].len);
	m->src.proto = NET_TCP;
	ck_assert_msg(msg_check_request(m, &e), "%d %s", e.code, e.reason);
	ck_assert_ptr_eq(strstr(sent[0].buf, "OPTIONS sip:[::1]:5070;transport=tcp SIP/2.0\r\n"),
			 sent[0].buf);
	ck_assert_ptr_nonnull(
	    strstr(sent[0].buf, "\r\nVia: SIP/2.0/TCP [::1]:5060;branch=z9hG4bK"));
	ck_assert_ptr_nonnull(strstr(sent[0].buf, "\r\nFrom: <sip:sipuad@[::1]>;tag="));
	ck_assert_str_eq(strchr(m->call_id, '@'), "@[::1]");
	msg_free(m);
	respond(0, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 200);
	ck_assert_str_eq(dones[0].r.dest, "tcp:[::1]:5070");
	drain();
}
END_TEST

START_TEST(test_200)
{
	int tag;

	ping("sip:127.0.0.1:5062", &tag);
	advance_to(7);
	respond(0, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_ptr_eq(dones[0].arg, &tag);
	ck_assert_int_eq(dones[0].r.code, 200);
	ck_assert_str_eq(dones[0].r.reason, "OK");
	ck_assert(dones[0].r.rtt_ms == 7.0);
	ck_assert(!dones[0].r.local);
	ck_assert_int_eq(dones[0].r.err, 0);
	ck_assert_str_eq(dones[0].r.dest, "udp:127.0.0.1:5062");
	ck_assert_str_eq(dones[0].r.server, "");
	ck_assert_str_eq(dones[0].r.handle, "o1");
	ck_assert_uint_eq(dones[0].pending, 0);
	ck_assert_uint_eq(options_pending(opts), 0);
	/* A retransmitted 200 is absorbed by the transaction (Completed, Timer K). */
	respond(0, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	drain();
	ck_assert_uint_eq(n_done, 1);
	ck_assert_uint_eq(n_sent, 1); /* answered at 7 ms: before Timer E's first resend */
}
END_TEST

/* Provisional responses change nothing; the final one ends the ping. */
START_TEST(test_100_then_404)
{
	ping("sip:alice@127.0.0.1", NULL);
	advance_to(3);
	respond(0, 100, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 0);
	advance_to(600); /* Timer E keeps running in Proceeding */
	respond(0, 404, "Nobody Here", NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 404);
	ck_assert_str_eq(dones[0].r.reason, "Nobody Here");
	ck_assert(dones[0].r.rtt_ms == 600.0);
	ck_assert(!dones[0].r.local);
	ck_assert_str_eq(dones[0].r.dest, "udp:127.0.0.1:5060");
	drain();
	ck_assert_uint_eq(n_done, 1);
}
END_TEST

/* §17.1.2.2: Timer E at T1, 2T1, 4T1 ... capped at T2; Timer F = 64*T1 -> 408 (§8.1.3.1). */
START_TEST(test_timeout_408)
{
	static const uint64_t times[] = {0,	500,   1500,  3500,  7500, 11500,
					 15500, 19500, 23500, 27500, 31500};

	ping("sip:127.0.0.1:5099", NULL);
	advance_to(31999);
	ck_assert_uint_eq(n_done, 0);
	ck_assert_uint_eq(n_sent, 11);
	for (unsigned i = 0; i < 11; i++) {
		ck_assert_uint_eq(sent[i].at, times[i]);
		ck_assert_uint_eq(sent[i].len, sent[0].len);
		ck_assert(memcmp(sent[i].buf, sent[0].buf, sent[0].len) == 0);
	}
	advance_to(32000);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_uint_eq(dones[0].at, 64 * T1);
	ck_assert_int_eq(dones[0].r.code, 408);
	ck_assert_str_eq(dones[0].r.reason, "Request Timeout");
	ck_assert(dones[0].r.local);
	ck_assert_int_eq(dones[0].r.err, -ETIMEDOUT);
	ck_assert(dones[0].r.rtt_ms == 32000.0);
	ck_assert_str_eq(dones[0].r.server, "");
	ck_assert_uint_eq(options_pending(opts), 0);
	drain();
	ck_assert_uint_eq(n_sent, 11);
}
END_TEST

/* TCP: no retransmissions; the connection lost is a transport error -> 503 (§8.1.3.1). */
START_TEST(test_tcp_conn_lost_503)
{
	tcp_conn = 42;
	ping("sip:127.0.0.1:5070;transport=tcp", NULL);
	advance_to(20000);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(sent[0].d.conn, 42);
	ck_assert_uint_eq(n_done, 0);
	tsx_layer_conn_closed(layer, 42, -ECONNREFUSED, NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 503);
	ck_assert_str_eq(dones[0].r.reason, "Service Unavailable");
	ck_assert(dones[0].r.local);
	ck_assert_int_eq(dones[0].r.err, -ECONNREFUSED);
	ck_assert(dones[0].r.rtt_ms == 20000.0);
	ck_assert_str_eq(dones[0].r.dest, "tcp:127.0.0.1:5070");
	drain();
	ck_assert_uint_eq(n_sent, 1);
}
END_TEST

/* TCP with no answer still ends at Timer F. */
START_TEST(test_tcp_timeout)
{
	ping("sip:127.0.0.1:5070;transport=tcp", NULL);
	advance_to(32000);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 408);
	drain();
}
END_TEST

/* The first send fails: reported from the loop, never from inside options_send(). */
START_TEST(test_send_fails_at_once)
{
	send_fail = -ENETUNREACH;
	ping("sip:192.0.2.1", NULL);
	ck_assert_uint_eq(n_done, 0);
	ck_assert_uint_eq(options_pending(opts), 1);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	advance_to(0);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 503);
	ck_assert(dones[0].r.local);
	ck_assert_int_eq(dones[0].r.err, -ENETUNREACH);
	ck_assert(dones[0].r.rtt_ms == 0.0);
	ck_assert_uint_eq(options_pending(opts), 0);
	drain();
}
END_TEST

/* A later send (a retransmission) fails: 503 at that moment. */
START_TEST(test_resend_fails)
{
	ping("sip:192.0.2.1", NULL);
	send_fail = -EHOSTUNREACH;
	advance_to(500);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 503);
	ck_assert_int_eq(dones[0].r.err, -EHOSTUNREACH);
	ck_assert(dones[0].r.rtt_ms == 500.0);
	drain();
}
END_TEST

static const struct bad_uri {
	const char *uri;
	int err;
	const char *why;
} bad_uris[] = {
    {"tel:+15551234567", -EINVAL, "'tel:' URIs are not supported"},
    {"sip:example.com", -EINVAL, "host 'example.com' is not an IP address"},
    {"sip:127.0.0.1;transport=sctp", -EPROTONOSUPPORT, "transport 'sctp' is not supported"},
    {"sips:127.0.0.1;transport=udp", -EPROTONOSUPPORT, "a sips: URI cannot go over udp"},
    {"garbage", -EINVAL, "'garbage' is not a SIP URI"},
    {"sip:127.0.0.1:70000", -EINVAL, "port '70000'"},
    {"", -EINVAL, "no URI"},
    {NULL, -EINVAL, "no URI"},
};

/* Each is the uri's fault, as a control client is told: WHY_ARG "uri". */
START_TEST(test_bad_uri)
{
	const struct bad_uri *c = &bad_uris[_i];
	int err = options_send(opts, c->uri, NULL, on_done, NULL, &why);

	ck_assert_int_eq(err, c->err);
	ck_assert_msg(strstr(why.msg, c->why), "why '%s' lacks '%s'", why.msg, c->why);
	ck_assert_int_eq(why.kind, WHY_ARG);
	ck_assert_ptr_nonnull(why.arg);
	ck_assert_str_eq(why.arg, "uri");
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(options_pending(opts), 0);
	ck_assert_uint_eq(n_done, 0);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	/* why may be NULL. */
	ck_assert_int_eq(options_send(opts, c->uri, NULL, on_done, NULL, NULL), c->err);
	drain();
	ck_assert_uint_eq(n_done, 0);
}
END_TEST

START_TEST(test_no_v6_listener)
{
	have_v6 = false;
	ck_assert_int_eq(options_send(opts, "sip:[::1]:5062", NULL, on_done, NULL, &why),
			 -EAFNOSUPPORT);
	ck_assert_str_eq(why.msg, "no udp listener for IPv6 to send from");
	ck_assert_int_eq(why.kind, WHY_ARG);
	ck_assert_ptr_nonnull(why.arg);
	ck_assert_str_eq(why.arg, "uri");
	why = (struct why){0};
	ck_assert_int_eq(options_send(opts, "sip:[::1];transport=tcp", NULL, on_done, NULL, &why),
			 -EAFNOSUPPORT);
	ck_assert_str_eq(why.msg, "no tcp listener for IPv6 to send from");
	ck_assert_int_eq(why.kind, WHY_ARG);
	ck_assert_ptr_nonnull(why.arg);
	ck_assert_str_eq(why.arg, "uri");
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(options_pending(opts), 0);
	ping("sip:127.0.0.1", NULL); /* IPv4 still goes */
	ck_assert_uint_eq(n_sent, 1);
	drain();
}
END_TEST

/* A wildcard listener: Via and From name the source toward the peer, not 0.0.0.0. */
START_TEST(test_wildcard_listener)
{
	char a[NET_ADDR_STRLEN];

	wildcard = true;
	ping("sip:bob@127.0.0.1:5062", NULL);
	ck_assert_uint_eq(n_sent, 1);
	/* Sent from the wildcard listener itself... */
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.local, a, sizeof(a)), "0.0.0.0:5060");
	/* ...naming the address the kernel routes from, with the listener's port. */
	ck_assert_ptr_nonnull(
	    strstr(sent[0].buf, "\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK"));
	ck_assert_ptr_nonnull(strstr(sent[0].buf, "\r\nFrom: <sip:sipuad@127.0.0.1>;tag="));
	ck_assert_ptr_null(strstr(sent[0].buf, "0.0.0.0"));
	drain();
}
END_TEST

START_TEST(test_table_full)
{
	cfg.max_tsx = 1;
	tsx_layer_set_cfg(layer, &cfg);
	ping("sip:127.0.0.1:5062", NULL);
	ck_assert_int_eq(options_send(opts, "sip:127.0.0.1:5063", NULL, on_done, NULL, &why),
			 -EAGAIN);
	ck_assert_str_eq(why.msg, "transaction table full");
	ck_assert_int_eq(why.kind, WHY_BUSY);
	ck_assert_ptr_null(why.arg);
	ck_assert_uint_eq(options_pending(opts), 1);
	ck_assert_uint_eq(n_sent, 1);
	respond(0, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	drain();
}
END_TEST

/* options_free() answers every ping in flight with -ECANCELED; nothing leaks (ASan). */
START_TEST(test_free_cancels)
{
	int a, b;

	ping("sip:127.0.0.1:5062", &a);
	ping("sip:127.0.0.1:5063;transport=tcp", &b);
	advance_to(100);
	respond(1, 180, NULL, NULL, NULL); /* one in Proceeding */
	ck_assert_uint_eq(options_pending(opts), 2);
	options_free(opts);
	opts = NULL;
	ck_assert_uint_eq(n_done, 2);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(dones[i].r.err, -ECANCELED);
		ck_assert_int_eq(dones[i].r.code, 0);
		ck_assert(dones[i].r.local);
	}
	ck_assert(dones[0].arg != dones[1].arg);
	ck_assert(dones[0].arg == &a || dones[0].arg == &b);
	/* The detached transactions run out on their own, silently. */
	ck_assert_uint_eq(tsx_layer_count(layer), 2);
	respond(0, 200, NULL, NULL, NULL);
	tmr_fake_advance(clk, 10 * 60 * 1000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
	ck_assert_uint_eq(n_done, 2);
	options_free(NULL);
}
END_TEST

/* A deferred first-send failure is cancelled too, and its timer released. */
START_TEST(test_free_cancels_deferred)
{
	send_fail = -ENETUNREACH;
	ping("sip:192.0.2.1", NULL);
	options_free(opts);
	opts = NULL;
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.err, -ECANCELED);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
}
END_TEST

/* Two pings at once resolve independently, in whatever order the answers come. */
START_TEST(test_two_in_flight)
{
	int a, b;

	ping("sip:127.0.0.1:5062", &a);
	advance_to(10);
	ping("sip:[::1]:5064", &b);
	ck_assert_uint_eq(options_pending(opts), 2);
	ck_assert_uint_eq(n_sent, 2);
	advance_to(25);
	respond(1, 486, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_ptr_eq(dones[0].arg, &b);
	ck_assert_int_eq(dones[0].r.code, 486);
	ck_assert_str_eq(dones[0].r.reason, "Busy Here");
	ck_assert(dones[0].r.rtt_ms == 15.0);
	ck_assert_str_eq(dones[0].r.dest, "udp:[::1]:5064");
	ck_assert_str_eq(dones[0].r.handle, "o2");
	ck_assert_uint_eq(dones[0].pending, 1);
	advance_to(40);
	respond(0, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 2);
	ck_assert_ptr_eq(dones[1].arg, &a);
	ck_assert_int_eq(dones[1].r.code, 200);
	ck_assert(dones[1].r.rtt_ms == 40.0);
	ck_assert_str_eq(dones[1].r.handle, "o1");
	ck_assert_uint_eq(dones[1].pending, 0);
	drain();
	ck_assert_uint_eq(n_done, 2);
}
END_TEST

START_TEST(test_server_header)
{
	ping("sip:127.0.0.1:5062", NULL);
	ping("sip:127.0.0.1:5063", NULL);
	ping("sip:127.0.0.1:5064", NULL);
	respond(0, 200, NULL, "Asterisk PBX 20.1", "ignored-when-server-present");
	respond(1, 200, NULL, NULL, "Linphone/5.2");
	respond(2, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 3);
	ck_assert_str_eq(dones[0].r.server, "Asterisk PBX 20.1");
	ck_assert_str_eq(dones[1].r.server, "Linphone/5.2");
	ck_assert_str_eq(dones[2].r.server, "");
	drain();
}
END_TEST

/*
 * No User-Agent configured: no header; a reloaded [sip] user_agent (the
 * transaction layer's config, the one copy) applies to later pings.
 */
START_TEST(test_user_agent)
{
	options_free(opts);
	opts_make(NULL);
	ping("sip:127.0.0.1:5062", NULL);
	ck_assert_ptr_null(strstr(sent[0].buf, "User-Agent"));
	cfg.server = "sipuad/2.0";
	tsx_layer_set_cfg(layer, &cfg);
	ping("sip:127.0.0.1:5063", NULL);
	ck_assert_ptr_nonnull(strstr(sent[1].buf, "\r\nUser-Agent: sipuad/2.0\r\n"));
	cfg.server = NULL;
	tsx_layer_set_cfg(layer, &cfg);
	ping("sip:127.0.0.1:5064", NULL);
	ck_assert_ptr_null(strstr(sent[2].buf, "User-Agent"));
	drain();
}
END_TEST

/* done() may start the next ping; it gets its own transaction and result. */
static void on_done_again(void *arg, const struct options_result *r)
{
	on_done(arg, r);
	if (n_done == 1)
		ck_assert_int_eq(
		    options_send(opts, "sip:127.0.0.1:5070", NULL, on_done_again, NULL, &why), 0);
}

START_TEST(test_send_from_done)
{
	ck_assert_int_eq(options_send(opts, "sip:127.0.0.1:5062", NULL, on_done_again, NULL, &why),
			 0);
	respond(0, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_uint_eq(options_pending(opts), 1);
	ck_assert_uint_eq(n_sent, 2);
	advance_to(5);
	respond(1, 404, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 2);
	ck_assert_int_eq(dones[1].r.code, 404);
	ck_assert_str_eq(dones[1].r.dest, "udp:127.0.0.1:5070");
	drain();
}
END_TEST

START_TEST(test_env_checked)
{
	struct options *o = NULL;
	struct options_env env = {.tsx = layer, .clk = clk, .local = NULL};

	ck_assert_int_eq(options_new(&o, &env), -EINVAL);
	ck_assert_ptr_null(o);
	/* A missing callback is the program's fault, not the uri's. */
	why = (struct why){.kind = WHY_ARG, .arg = "stale"};
	ck_assert_int_eq(options_send(opts, "sip:127.0.0.1", NULL, NULL, NULL, &why), -EINVAL);
	ck_assert_int_eq(why.kind, WHY_FAILED);
	ck_assert_ptr_null(why.arg);
}
END_TEST

/* ---- accounts: credentials, routes, lookup ---- */

#define PASSWORD "opt-Secr3t-7"
#define CHAL(realm, nonce, extra)                                                                  \
	"Digest realm=\"" realm "\", nonce=\"" nonce "\", qop=\"auth\"" extra

static struct account *account_make(const char *name, const char *password, const char *proxy)
{
	char aor[64];
	struct account_cfg acfg = {
	    .name = name, .aor = aor, .user = name, .password = password, .outbound_proxy = proxy};
	struct account *a = NULL;

	snprintf(aor, sizeof(aor), "sip:%s@example.com", name);
	ck_assert_int_eq(account_new(&a, &acfg), 0);
	return a;
}

static struct account *find_stub(void *arg, const char *name)
{
	(void)arg;
	if (!name || strcmp(name, "alice") == 0)
		return acc_alice;
	if (strcmp(name, "bob") == 0)
		return acc_bob;
	return NULL;
}

/* The module again, with alice as its account (and a lookup, if finder). */
static void opts_of_alice(const char *password, const char *proxy, bool finder)
{
	struct options_env env = {.tsx = layer, .clk = clk, .local = local_stub};

	options_free(opts);
	opts = NULL;
	acc_alice = account_make("alice", password, proxy);
	env.account = acc_alice;
	if (finder)
		env.account_find = find_stub;
	ck_assert_int_eq(options_new(&opts, &env), 0);
}

static void no_password_sent(void)
{
	for (unsigned i = 0; i < n_sent; i++)
		ck_assert_msg(!strstr(sent[i].buf, PASSWORD), "#%u: %s", i, sent[i].buf);
}

/*
 * §22.2: a 407 to the OPTIONS: the same again (CSeq 2, a new branch, the
 * same Call-ID and From tag) with a Proxy-Authorization; done() has the
 * final response to that one, and its round trip.
 */
START_TEST(test_auth_answered)
{
	struct sip_msg *a, *b;

	opts_of_alice(PASSWORD, NULL, false);
	ping("sip:pbx@127.0.0.1:5062", (void *)1);
	ck_assert(strstr(sent[0].buf, "Authorization") == NULL);
	advance_to(30);
	respond_hdr(0, 407, "Proxy-Authenticate", CHAL("pbx", "n1", ""));
	ck_assert_uint_eq(n_done, 0);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_uint_eq(sent[1].at, 30);
	ck_assert(strstr(sent[1].buf, "OPTIONS sip:pbx@127.0.0.1:5062 SIP/2.0\r\n") == sent[1].buf);
	ck_assert(strstr(sent[1].buf, "\r\nCSeq: 2 OPTIONS\r\n") != NULL);
	ck_assert(strstr(sent[1].buf, "\r\nProxy-Authorization: Digest username=\"alice\"") !=
		  NULL);
	ck_assert(strstr(sent[1].buf, "uri=\"sip:pbx@127.0.0.1:5062\"") != NULL);
	ck_assert(strstr(sent[1].buf, "\r\nFrom: <sip:alice@example.com>;tag=") != NULL);
	a = parse(sent[0].buf, sent[0].len);
	b = parse(sent[1].buf, sent[1].len);
	ck_assert_str_eq(a->call_id, b->call_id);
	ck_assert_str_eq(a->from_tag, b->from_tag);
	ck_assert_str_ne(a->branch, b->branch);
	msg_free(a);
	msg_free(b);
	ck_assert_uint_eq(options_pending(opts), 1);
	advance_to(50);
	respond(1, 200, NULL, "pbx/1", NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 200);
	ck_assert_str_eq(dones[0].r.reason, "OK");
	ck_assert(!dones[0].r.local);
	ck_assert_int_eq(dones[0].r.err, 0);
	ck_assert(dones[0].r.rtt_ms == 20.0);
	ck_assert_str_eq(dones[0].r.server, "pbx/1");
	ck_assert_ptr_eq(dones[0].arg, (void *)1);
	no_password_sent();
	drain();
	ck_assert_uint_eq(n_done, 1);
}
END_TEST

/* The same realm again (not stale): wrong credentials, the 407 is done() with cred's words. */
START_TEST(test_auth_wrong_password)
{
	opts_of_alice(PASSWORD, NULL, false);
	ping("sip:127.0.0.1:5062", NULL);
	respond_hdr(0, 407, "Proxy-Authenticate", CHAL("pbx", "n1", ""));
	respond_hdr(1, 407, "Proxy-Authenticate", CHAL("pbx", "n2", ""));
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 407);
	ck_assert_str_eq(dones[0].r.reason,
			 "wrong credentials: realm \"pbx\" refused user \"alice\"");
	ck_assert(!dones[0].r.local);
	ck_assert_int_eq(dones[0].r.err, 0);
	no_password_sent();
	drain();
	ck_assert_uint_eq(n_sent, 2);
}
END_TEST

/* The default account has no password: the 401 is done() saying so; nothing sent again. */
START_TEST(test_auth_no_password)
{
	ping("sip:127.0.0.1:5062", NULL);
	respond_hdr(0, 401, "WWW-Authenticate", CHAL("sip.example", "n1", ""));
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 401);
	ck_assert_str_eq(
	    dones[0].r.reason,
	    "realm \"sip.example\" asks for credentials and the account has no password");
	drain();
}
END_TEST

/*
 * §8.1.2: the account's outbound proxy: the OPTIONS (and its retry) go to
 * it with a Route; the Request-URI stays the one asked for; the result
 * names where it went.
 */
START_TEST(test_route_outbound_proxy)
{
	char a[NET_ADDR_STRLEN];

	opts_of_alice(PASSWORD, "sip:127.0.0.1:5070;transport=tcp", false);
	ping("sip:bob@127.0.0.1:5062", NULL);
	ck_assert(strstr(sent[0].buf, "OPTIONS sip:bob@127.0.0.1:5062 SIP/2.0\r\n") == sent[0].buf);
	ck_assert(strstr(sent[0].buf, "\r\nRoute: <sip:127.0.0.1:5070;transport=tcp;lr>\r\n") !=
		  NULL);
	ck_assert(strstr(sent[0].buf, "\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;") != NULL);
	ck_assert_int_eq(sent[0].d.proto, NET_TCP);
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.addr, a, sizeof(a)), "127.0.0.1:5070");
	respond_hdr(0, 407, "Proxy-Authenticate", CHAL("pbx", "n1", ""));
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(strstr(sent[1].buf, "\r\nRoute: <sip:127.0.0.1:5070;transport=tcp;lr>\r\n") !=
		  NULL);
	ck_assert_str_eq(net_addr_fmt(&sent[1].d.addr, a, sizeof(a)), "127.0.0.1:5070");
	respond(1, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 200);
	ck_assert_str_eq(dones[0].r.dest, "tcp:127.0.0.1:5070");
	drain();
}
END_TEST

/* A route we cannot send to refuses the ping as the account's fault, not the uri's. */
START_TEST(test_route_unusable)
{
	opts_of_alice(NULL, "sip:proxy.example.net", false);
	ck_assert_int_eq(options_send(opts, "sip:127.0.0.1:5062", NULL, on_done, NULL, &why),
			 -EINVAL);
	ck_assert_int_eq(why.kind, WHY_FAILED);
	ck_assert_ptr_null(why.arg);
	ck_assert_str_eq(why.msg, "route <sip:proxy.example.net;lr> of account 'alice': host "
				  "'proxy.example.net' is not an IP address (DNS names are not "
				  "supported yet)");
	ck_assert_uint_eq(n_sent, 0);
	drain();
}
END_TEST

/*
 * The account by name: through the daemon's lookup (NULL: its default),
 * or, without one, only the module's own.  A ping holds its account: the
 * daemon dropping it (a reload) while the ping is out changes nothing.
 */
START_TEST(test_account_lookup)
{
	ck_assert_int_eq(options_send(opts, "sip:127.0.0.1:5062", "alice", on_done, NULL, &why),
			 -ENOENT);
	ck_assert_int_eq(why.kind, WHY_NOT_FOUND);
	ck_assert_str_eq(why.arg, "account");
	ck_assert_str_eq(why.msg, "no account 'alice': no [account] section is configured");
	ping("sip:127.0.0.1:5062", NULL); /* the default, unnamed */
	ck_assert_int_eq(options_send(opts, "sip:127.0.0.1:5062", "default", on_done, NULL, &why),
			 0);
	respond(0, 200, NULL, NULL, NULL);
	respond(1, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 2);

	opts_of_alice(PASSWORD, NULL, true);
	acc_bob = account_make("bob", "bob-" PASSWORD, NULL);
	n_done = 0;
	ck_assert_int_eq(options_send(opts, "sip:127.0.0.1:5062", "nobody", on_done, NULL, &why),
			 -ENOENT);
	ck_assert_int_eq(why.kind, WHY_NOT_FOUND);
	ck_assert_str_eq(why.arg, "account");
	ck_assert_str_eq(why.msg, "no account 'nobody'");
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_int_eq(options_send(opts, "sip:127.0.0.1:5062", "bob", on_done, NULL, &why), 0);
	ck_assert(strstr(sent[2].buf, "\r\nFrom: <sip:bob@example.com>;tag=") != NULL);
	account_free(acc_bob);
	acc_bob = NULL;
	respond_hdr(2, 401, "WWW-Authenticate", CHAL("bob", "n1", ""));
	ck_assert_uint_eq(n_sent, 4); /* the 401's ACK is no NICT's: just the retry */
	ck_assert(strstr(sent[3].buf, "\r\nAuthorization: Digest username=\"bob\"") != NULL);
	respond(3, 200, NULL, NULL, NULL);
	ping("sip:127.0.0.1:5062", NULL);
	ck_assert(strstr(sent[4].buf, "\r\nFrom: <sip:alice@example.com>;tag=") != NULL);
	respond(4, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 2);
	ck_assert_int_eq(dones[0].r.code, 200);
	ck_assert_int_eq(dones[1].r.code, 200);
	drain();
}
END_TEST

/* ---- through the resolver (RFC 3263) ---- */

/*
 * two.example.test has two addresses, 127.0.0.2 and .3 (a URI with a
 * port asks for A and AAAA only, §4.2); nowhere.example.test does not
 * exist; proxy.example.test is 127.0.0.1.  All from the resolver's cache.
 */
#define TWO "sip:two.example.test:5062"

/* The module (in place of the one there is) with a resolver; proxy: alice's outbound proxy. */
static void opts_dns(const char *proxy)
{
	static const char *const two[] = {"127.0.0.2", "127.0.0.3"};
	static const char *const one[] = {"127.0.0.1"};
	struct options_env env = {.tsx = layer, .clk = clk, .local = local_stub};

	options_free(opts);
	opts = NULL;
	dns_fill_free(dns); /* the one before, if any: after the module that used it */
	if (base)
		event_base_free(base);
	ck_assert_ptr_nonnull(base = event_base_new());
	dns = dns_fill_new(base, clk);
	dns_fill_addr(dns, clk, "two.example.test", two, 2);
	dns_fill_addr(dns, clk, "proxy.example.test", one, 1);
	dns_fill_addr(dns, clk, "nowhere.example.test", NULL, 0);
	env.dns = dns;
	if (proxy) {
		acc_alice = account_make("alice", NULL, proxy);
		env.account = acc_alice;
	}
	ck_assert_int_eq(options_new(&opts, &env), 0);
}

static const char *addr_of(unsigned i)
{
	static char a[NET_ADDR_STRLEN];

	ck_assert_uint_lt(i, n_sent);
	return net_addr_fmt(&sent[i].d.addr, a, sizeof(a));
}

/*
 * §4.3: the first target answers 503: the same OPTIONS (CSeq 2, a new
 * branch, the same Call-ID and From tag) to the second, which answers.
 * An IP literal resolves from the loop too.
 */
START_TEST(test_dns_failover_503)
{
	struct sip_msg *a, *b;

	opts_dns(NULL);
	ping(TWO, NULL);
	ck_assert_uint_eq(n_sent, 0);
	advance_to(0);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert(strstr(sent[0].buf, "OPTIONS " TWO " SIP/2.0\r\n") == sent[0].buf);
	ck_assert_str_eq(addr_of(0), "127.0.0.2:5062");
	advance_to(30);
	respond(0, 503, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 0);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_uint_eq(sent[1].at, 30);
	ck_assert_str_eq(addr_of(1), "127.0.0.3:5062");
	ck_assert(strstr(sent[1].buf, "\r\nCSeq: 2 OPTIONS\r\n") != NULL);
	a = parse(sent[0].buf, sent[0].len);
	b = parse(sent[1].buf, sent[1].len);
	ck_assert_str_eq(a->call_id, b->call_id);
	ck_assert_str_eq(a->from_tag, b->from_tag);
	ck_assert_str_ne(a->branch, b->branch);
	msg_free(a);
	msg_free(b);
	advance_to(50);
	respond(1, 200, NULL, "peer", NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 200);
	ck_assert(!dones[0].r.local);
	ck_assert_str_eq(dones[0].r.dest, "udp:127.0.0.3:5062");
	ck_assert(dones[0].r.rtt_ms == 20.0);

	ping("sip:127.0.0.1:5062", NULL);
	ck_assert_uint_eq(n_sent, 2);
	advance_to(60);
	ck_assert_uint_eq(n_sent, 3);
	ck_assert_str_eq(addr_of(2), "127.0.0.1:5062");
	respond(2, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 2);
	drain();
}
END_TEST

/*
 * §4.3: Timer F on the first target: the second is tried; Timer F there
 * too ends the ping with 408.  A transport error at the first send passes
 * over the target at once.
 */
START_TEST(test_dns_failover_timeout_and_transport)
{
	opts_dns(NULL);
	ping(TWO, NULL);
	advance_to(31999);
	ck_assert_uint_eq(n_sent, 11);
	advance_to(32000);
	ck_assert_uint_eq(n_sent, 12);
	ck_assert_str_eq(addr_of(11), "127.0.0.3:5062");
	ck_assert_uint_eq(n_done, 0);
	advance_to(64000);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 408);
	ck_assert(dones[0].r.local);
	ck_assert_int_eq(dones[0].r.err, -ETIMEDOUT);
	ck_assert_str_eq(dones[0].r.dest, "udp:127.0.0.3:5062");

	fail_to = "127.0.0.2:5062";
	ping(TWO, NULL);
	advance_to(64010);
	ck_assert_uint_eq(n_sent, 23);
	ck_assert_str_eq(addr_of(22), "127.0.0.3:5062");
	ck_assert(strstr(sent[22].buf, "\r\nCSeq: 1 OPTIONS\r\n") != NULL); /* none went before */
	respond(22, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 2);
	ck_assert_int_eq(dones[1].r.code, 200);
	drain();
}
END_TEST

/*
 * A provisional response keeps the ping with its target; a name that
 * does not resolve, or targets that all fail at once, end it with 503,
 * local, and the words of why (no dest: nothing went).
 */
START_TEST(test_dns_no_failover_nxdomain)
{
	opts_dns(NULL);
	ping(TWO, NULL);
	advance_to(0);
	respond(0, 100, NULL, NULL, NULL);
	respond(0, 503, NULL, NULL, NULL);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.code, 503);
	ck_assert(!dones[0].r.local);

	ping("sip:nowhere.example.test:5062", NULL);
	advance_to(10);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(n_done, 2);
	ck_assert_int_eq(dones[1].r.code, 503);
	ck_assert(dones[1].r.local);
	ck_assert_int_eq(dones[1].r.err, -ENOENT);
	ck_assert_str_eq(dones[1].r.reason, "no such domain: nowhere.example.test (NXDOMAIN)");
	ck_assert_str_eq(dones[1].r.dest, "");

	send_fail = -ECONNREFUSED;
	ping(TWO, NULL);
	advance_to(20);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(n_done, 3);
	ck_assert_int_eq(dones[2].r.code, 503);
	ck_assert(dones[2].r.local);
	ck_assert_int_eq(dones[2].r.err, -ECONNREFUSED);
	ck_assert_str_eq(dones[2].r.reason, "cannot reach udp:127.0.0.3:5062: Connection refused");
	ck_assert_str_eq(dones[2].r.dest, "");
	send_fail = 0;
	drain();
}
END_TEST

/* options_free() while resolving: done() with -ECANCELED, nothing ever sent. */
START_TEST(test_dns_free_while_resolving)
{
	opts_dns(NULL);
	ping(TWO, NULL);
	options_free(opts);
	opts = NULL;
	ck_assert_uint_eq(n_done, 1);
	ck_assert_int_eq(dones[0].r.err, -ECANCELED);
	tmr_fake_advance(clk, 10 * 60 * 1000);
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
}
END_TEST

/*
 * §8.1.2 with a named outbound proxy: its URI is resolved, the OPTIONS go
 * there with the Route; a URI the resolver refuses is the uri's fault.
 */
START_TEST(test_dns_route_name)
{
	opts_dns("sip:proxy.example.test:5070");
	ping("sip:bob@elsewhere.example.test", NULL);
	advance_to(0);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert(strstr(sent[0].buf, "OPTIONS sip:bob@elsewhere.example.test SIP/2.0\r\n") ==
		  sent[0].buf);
	ck_assert(strstr(sent[0].buf, "\r\nRoute: <sip:proxy.example.test:5070;lr>\r\n") != NULL);
	ck_assert_str_eq(addr_of(0), "127.0.0.1:5070");
	respond(0, 200, NULL, NULL, NULL);
	ck_assert_uint_eq(n_done, 1);
	ck_assert_str_eq(dones[0].r.dest, "udp:127.0.0.1:5070");
	ck_assert_int_eq(
	    options_send(opts, "sips:bob@elsewhere.example.test", NULL, on_done, NULL, &why),
	    -EPROTONOSUPPORT);
	ck_assert_int_eq(why.kind, WHY_ARG);
	ck_assert_str_eq(why.arg, "uri");

	opts_dns(NULL);
	ck_assert_int_eq(options_send(opts, "sip:exa mple.test", NULL, on_done, NULL, &why),
			 -EINVAL);
	ck_assert_int_eq(why.kind, WHY_ARG);
	ck_assert_str_eq(why.arg, "uri");
	ck_assert_str_eq(why.msg, "the URI contains a blank or a control character");
	ck_assert_uint_eq(options_pending(opts), 0);
	drain();
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_well_formed);
	tcase_add_test(tc, test_well_formed_v6_tcp);
	tcase_add_test(tc, test_200);
	tcase_add_test(tc, test_100_then_404);
	tcase_add_test(tc, test_timeout_408);
	tcase_add_test(tc, test_tcp_conn_lost_503);
	tcase_add_test(tc, test_tcp_timeout);
	tcase_add_test(tc, test_send_fails_at_once);
	tcase_add_test(tc, test_resend_fails);
	tcase_add_loop_test(tc, test_bad_uri, 0, (int)(sizeof(bad_uris) / sizeof(bad_uris[0])));
	tcase_add_test(tc, test_no_v6_listener);
	tcase_add_test(tc, test_wildcard_listener);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_free_cancels);
	tcase_add_test(tc, test_free_cancels_deferred);
	tcase_add_test(tc, test_two_in_flight);
	tcase_add_test(tc, test_server_header);
	tcase_add_test(tc, test_user_agent);
	tcase_add_test(tc, test_send_from_done);
	tcase_add_test(tc, test_env_checked);
	tcase_add_test(tc, test_auth_answered);
	tcase_add_test(tc, test_auth_wrong_password);
	tcase_add_test(tc, test_auth_no_password);
	tcase_add_test(tc, test_route_outbound_proxy);
	tcase_add_test(tc, test_route_unusable);
	tcase_add_test(tc, test_account_lookup);
	tcase_add_test(tc, test_dns_failover_503);
	tcase_add_test(tc, test_dns_failover_timeout_and_transport);
	tcase_add_test(tc, test_dns_no_failover_nxdomain);
	tcase_add_test(tc, test_dns_free_while_resolving);
	tcase_add_test(tc, test_dns_route_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	msg_lib_init();
	return check_run(options_suite());
}
