/*
 * check_reg: the registration client (src/ua/reg.c) over a real
 * transaction layer on the fake clock.
 *
 * The layer's send callback records every buffer with the fake time it
 * left at; the registrar's answers are built from the captured request,
 * given extra header lines, serialized, parsed back and fed to the layer
 * as the transport would.  The stack's keepalive API (sip_keepalive()) is
 * a stub whose outcome the test decides.  Every test ends in drain(): far
 * in the future nothing may be in flight, and ASan sees every allocation
 * freed.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/stats.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/tsx.h"
#include "ua/account.h"
#include "ua/reg.h"

#include "check_run.h"

#define MAX_SENT 128
#define MAX_EV 64

struct sent {
	char *buf;
	size_t len;
	uint64_t at;
	struct sip_dest d;
};

struct ev {
	enum reg_state state;
	unsigned expires;
	int code;
	char reason[256];
	unsigned retry_in;
	uint64_t at;
};

static struct tmr_clock *clk;
static struct tsx_layer *layer;
static struct stats stats;
static struct tsx_cfg cfg;
static uint64_t t0;
static struct sent sent[MAX_SENT];
static unsigned n_sent;
static struct ev evs[MAX_EV];
static unsigned n_ev;
static struct account *acc; /* not "acct": unistd.h declares acct(2) */
static struct reg *reg;
static bool ka_stubbed; /* make_reg() gives the reg the keepalive stub */

/* The stub of sip_keepalive(): what the reg asked, and its one pending keepalive. */
static struct {
	unsigned calls, cancels;
	struct sip_dest d;
	unsigned pong_timeout_ms;
	uint64_t at;
	void (*done)(void *arg, int err);
	void *arg;
	struct sip_keepalive *pending;
} ka;
static char ka_token; /* what *kp points to: never dereferenced */

static uint64_t now(void)
{
	return tmr_now(clk) - t0;
}

static int cap_send(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	struct sent *s;

	(void)arg;
	ck_assert_uint_lt(n_sent, MAX_SENT);
	s = &sent[n_sent++];
	s->buf = strndup(buf, len);
	s->len = len;
	s->at = now();
	s->d = *d;
	return 0;
}

static int local_stub(void *arg, enum net_proto proto, int family, struct net_addr *out)
{
	(void)arg;
	(void)proto;
	if (family != AF_INET)
		return -ENOENT;
	return net_addr_from_host(out, "127.0.0.1", 5060);
}

static int ka_stub(void *arg, const struct sip_dest *d, unsigned pong_timeout_ms,
		   void (*done)(void *done_arg, int err), void *done_arg, struct sip_keepalive **kp)
{
	(void)arg;
	ck_assert_ptr_null(ka.pending); /* one at a time */
	ka.calls++;
	ka.d = *d;
	ka.pong_timeout_ms = pong_timeout_ms;
	ka.at = now();
	ka.done = done;
	ka.arg = done_arg;
	ka.pending = (struct sip_keepalive *)&ka_token;
	*kp = ka.pending;
	return 0;
}

static void ka_cancel_stub(struct sip_keepalive *k)
{
	ck_assert_ptr_nonnull(ka.pending);
	ck_assert_ptr_eq(k, ka.pending);
	ka.pending = NULL;
	ka.cancels++;
}

/* The pending keepalive ends with err, as the stack would report it. */
static void ka_outcome(int err)
{
	ck_assert_ptr_nonnull(ka.pending);
	ka.pending = NULL;
	ka.done(ka.arg, err);
}

/* What the code logs (to stderr, log.c's default sink) between start and stop. */
static int log_saved_fd = -1;
static FILE *log_file;

static void log_capture_start(void)
{
	fflush(stderr);
	log_file = tmpfile();
	ck_assert_ptr_nonnull(log_file);
	log_saved_fd = dup(2);
	ck_assert_int_ge(log_saved_fd, 0);
	ck_assert_int_ge(dup2(fileno(log_file), 2), 0);
}

static void log_capture_stop(char *out, size_t size)
{
	size_t n;

	fflush(stderr);
	ck_assert_int_ge(dup2(log_saved_fd, 2), 0);
	close(log_saved_fd);
	rewind(log_file);
	n = fread(out, 1, size - 1, log_file);
	out[n] = '\0';
	fclose(log_file);
	log_file = NULL;
}

static void on_event(void *arg, const struct reg_status *st)
{
	struct ev *e;

	(void)arg;
	ck_assert_uint_lt(n_ev, MAX_EV);
	e = &evs[n_ev++];
	e->state = st->state;
	e->expires = st->expires;
	e->code = st->code;
	snprintf(e->reason, sizeof(e->reason), "%s", st->reason);
	e->retry_in = st->retry_in;
	e->at = now();
}

static void on_request(void *arg, struct tsx *st, const struct sip_msg *req)
{
	(void)arg;
	(void)st;
	(void)req;
	ck_abort_msg("no request expected");
}

static void make_account_on(const char *password, const char *proxy, unsigned ka_s, int transport)
{
	struct account_cfg ac = {
	    .name = "alice",
	    .aor = "sip:alice@example.test",
	    .user = "alice",
	    .password = password,
	    .registrar = "sip:127.0.0.2:5070",
	    .outbound_proxy = proxy,
	    .reg = true,
	    .expires = 600,
	    .has_transport = transport >= 0,
	    .transport = transport >= 0 ? (enum net_proto)transport : NET_UDP,
	    .keepalive_s = ka_s,
	};

	account_free(acc);
	ck_assert_int_eq(account_new(&acc, &ac), 0);
}

static void make_account(const char *password, const char *proxy, unsigned ka_s)
{
	make_account_on(password, proxy, ka_s, -1);
}

static void make_reg(void)
{
	struct reg_env env = {
	    .tsx = layer,
	    .clk = clk,
	    .local = local_stub,
	    .event = on_event,
	    .retry_min_s = 30,
	    .retry_max_s = 1800,
	};

	if (ka_stubbed) {
		env.keepalive = ka_stub;
		env.keepalive_cancel = ka_cancel_stub;
	}
	reg_free(reg);
	ck_assert_int_eq(reg_new(&reg, &env, acc, 1), 0);
}

static void setup(void)
{
	struct tsx_user user = {.request = on_request};

	memset(&stats, 0, sizeof(stats));
	memset(&cfg, 0, sizeof(cfg));
	cfg.t1_ms = 500;
	cfg.t2_ms = 4000;
	cfg.t4_ms = 5000;
	cfg.max_tsx = 100;
	cfg.retry_after_s = 5;
	cfg.server = "sipuad/test";
	n_sent = n_ev = 0;
	ka_stubbed = false;
	memset(&ka, 0, sizeof(ka));
	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	t0 = tmr_now(clk);
	ck_assert_int_eq(tsx_layer_new(&layer, clk, &cfg, cap_send, NULL, &user, &stats), 0);
	make_account("pw~x", NULL, 0);
	make_reg();
}

static void teardown(void)
{
	reg_free(reg);
	reg = NULL;
	account_free(acc);
	acc = NULL;
	tsx_layer_free(layer);
	tmr_clock_free(clk);
	for (unsigned i = 0; i < n_sent; i++)
		free(sent[i].buf);
}

static void drain(void)
{
	reg_free(reg);
	reg = NULL;
	tmr_fake_advance(clk, 3600 * 1000);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
}

static struct sip_msg *parse(const char *text, size_t len)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, text, len, false), 0);
	return m;
}

/* Advance to ms after t0. */
static void advance_to(uint64_t ms)
{
	ck_assert_uint_ge(ms, now());
	tmr_fake_advance(clk, ms - now());
}

/* Advance in 50 ms steps until something more is sent (a timer's REGISTER), by ms after t0 at most. */
static void advance_until_sent(uint64_t ms)
{
	unsigned before = n_sent;

	while (n_sent == before && now() < ms)
		tmr_fake_advance(clk, 50);
	ck_assert_uint_gt(n_sent, before);
}

/* The value of header name in sent[i] ("" if absent) into a static buffer. */
static const char *hdr(unsigned i, const char *name)
{
	static char v[512];
	char key[64];
	const char *p, *e;

	ck_assert_uint_lt(i, n_sent);
	snprintf(key, sizeof(key), "\r\n%s: ", name);
	if (!(p = strstr(sent[i].buf, key)))
		return "";
	p += strlen(key);
	e = strstr(p, "\r\n");
	snprintf(v, sizeof(v), "%.*s", (int)(e - p), p);
	return v;
}

/*
 * The registrar answers sent[i] with code and the extra header lines hdrs
 * ("" for none); via_extra, if set, replaces ";rport" in the top Via.
 */
static void respond_via(unsigned i, int code, const char *hdrs, const char *via_extra)
{
	struct sip_msg *req, *resp = NULL, *in;
	char *text = NULL, *full, *t;
	const char *bad = NULL;
	size_t len;

	ck_assert_uint_lt(i, n_sent);
	req = parse(sent[i].buf, sent[i].len);
	ck_assert_int_eq(msg_build_response(&resp, req, code, NULL, "rtag"), 0);
	ck_assert_int_eq(msg_to_str(resp, &text, &len), 0);
	t = strstr(text, "\r\n\r\n");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_ge(asprintf(&full, "%.*s%s%s\r\n\r\n", (int)(t - text), text,
				  hdrs[0] ? "\r\n" : "", hdrs),
			 0);
	if (via_extra && (t = strstr(full, ";rport"))) {
		char *v;

		ck_assert_int_ge(asprintf(&v, "%.*s%s%s", (int)(t - full), full, via_extra,
					  t + strlen(";rport")),
				 0);
		free(full);
		full = v;
	}
	in = parse(full, strlen(full));
	ck_assert_msg(msg_check_response(in, &bad), "%s", bad);
	in->src = sent[i].d;
	tsx_layer_recv(layer, in);
	free(full);
	free(text);
	msg_free(resp);
	msg_free(req);
}

static void respond(unsigned i, int code, const char *hdrs)
{
	respond_via(i, code, hdrs, NULL);
}

#define CHALLENGE "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"n1\", qop=\"auth\", algorithm=SHA-256"
#define OK_60 "Contact: <sip:alice@127.0.0.1:5060>;expires=60"

START_TEST(register_challenge_refresh)
{
	char callid[128];

	ck_assert_int_eq(reg_start(reg, NULL), 0);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(n_ev, 1);
	ck_assert_int_eq(evs[0].state, REG_REGISTERING);
	ck_assert_int_eq(strncmp(sent[0].buf, "REGISTER sip:127.0.0.2:5070 SIP/2.0\r\n", 37), 0);
	ck_assert_str_eq(hdr(0, "Expires"), "600");
	ck_assert_str_eq(hdr(0, "CSeq"), "1 REGISTER");
	ck_assert_str_eq(hdr(0, "Contact"), "<sip:alice@127.0.0.1:5060>");
	ck_assert_str_eq(hdr(0, "To"), "<sip:alice@example.test>");
	ck_assert_str_eq(hdr(0, "User-Agent"), "sipuad/test");
	ck_assert_ptr_nonnull(strstr(hdr(0, "Via"), ";rport"));
	snprintf(callid, sizeof(callid), "%s", hdr(0, "Call-ID"));
	respond(0, 401, CHALLENGE);
	ck_assert_uint_eq(n_sent, 2); /* a NICT: no ACK, the retry only */
	ck_assert_int_eq(strncmp(sent[1].buf, "REGISTER ", 9), 0);
	ck_assert_str_eq(hdr(1, "CSeq"), "2 REGISTER");
	ck_assert_str_eq(hdr(1, "Call-ID"), callid);
	ck_assert_ptr_nonnull(strstr(hdr(1, "Authorization"), "username=\"alice\""));
	/* Never the password; "~" is in no random token, so nothing else can look like it. */
	ck_assert_ptr_null(strstr(sent[1].buf, "pw~x"));
	ck_assert_uint_eq(n_ev, 1); /* a challenge is no news */
	respond(1, 200, OK_60);
	ck_assert_uint_eq(n_ev, 2);
	ck_assert_int_eq(evs[1].state, REG_REGISTERED);
	ck_assert_uint_eq(evs[1].expires, 60);
	/* The refresh at 45-50 % of the granted time, same Call-ID, CSeq on. */
	advance_to(26999);
	ck_assert_uint_eq(n_sent, 2);
	advance_until_sent(30000);
	ck_assert_uint_eq(n_sent, 3);
	ck_assert_uint_ge(sent[2].at, 27000);
	ck_assert_str_eq(hdr(2, "Call-ID"), callid);
	ck_assert_str_eq(hdr(2, "CSeq"), "3 REGISTER");
	/* §22.3: the refresh answers the last challenge before it is asked, nonce count 2. */
	ck_assert_ptr_nonnull(strstr(hdr(2, "Authorization"), "nonce=\"n1\""));
	ck_assert_ptr_nonnull(strstr(hdr(2, "Authorization"), "nc=00000002"));
	/* A registrar that wants a fresh nonce asks again: answered, not taken for a wrong password. */
	respond(2, 401, CHALLENGE);
	ck_assert_str_eq(hdr(3, "CSeq"), "4 REGISTER");
	ck_assert_ptr_nonnull(strstr(hdr(3, "Authorization"), "nc=00000003"));
	respond(3, 200, "Expires: 40");
	ck_assert_uint_eq(n_ev, 2); /* a refresh keeps the state: no event */
	advance_until_sent(30000 + 20000);
	ck_assert_uint_eq(n_sent, 5);
	ck_assert_str_eq(hdr(4, "CSeq"), "5 REGISTER");
	ck_assert_ptr_nonnull(strstr(hdr(4, "Authorization"), "nc=00000004"));
	respond(4, 200, OK_60);
	ck_assert_uint_eq(n_sent, 5); /* taken without a challenge: one REGISTER per refresh */
	drain();
}
END_TEST

START_TEST(wrong_password_one_failure)
{
	struct reg_status st;

	ck_assert_int_eq(reg_start(reg, NULL), 0);
	respond(0, 401, CHALLENGE);
	respond(1, 401, "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"n2\", qop=\"auth\"");
	ck_assert_uint_eq(n_sent, 2); /* no third REGISTER */
	ck_assert_uint_eq(n_ev, 2);
	ck_assert_int_eq(evs[1].state, REG_FAILED);
	ck_assert_int_eq(evs[1].code, 401);
	ck_assert_str_eq(evs[1].reason,
			 "wrong credentials: realm \"example.test\" refused user \"alice\"");
	ck_assert_uint_ge(evs[1].retry_in, 23);
	ck_assert_uint_le(evs[1].retry_in, 30);
	reg_status(reg, &st);
	ck_assert_int_eq(st.state, REG_FAILED);
	/* Nothing more until the back-off runs out. */
	advance_to(22000);
	ck_assert_uint_eq(n_sent, 2);
	while (n_sent == 2 && now() <= 30000)
		tmr_fake_advance(clk, 100);
	ck_assert_uint_eq(n_sent, 3);
	ck_assert_str_eq(hdr(2, "CSeq"), "3 REGISTER");
	ck_assert_str_eq(hdr(2, "Authorization"), "");
	respond(2, 403, "");
	drain();
}
END_TEST

START_TEST(no_password)
{
	make_account(NULL, NULL, 0);
	make_reg();
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	respond(0, 407, "Proxy-Authenticate: Digest realm=\"p\", nonce=\"x\"");
	ck_assert_uint_eq(n_ev, 2);
	ck_assert_int_eq(evs[1].code, 407);
	ck_assert_str_eq(evs[1].reason,
			 "realm \"p\" asks for credentials and the account has no password");
	drain();
}
END_TEST

START_TEST(backoff_schedule)
{
	static const unsigned want_s[] = {30, 60, 120, 240, 480, 960, 1800, 1800};
	unsigned i, last;

	ck_assert_uint_eq(reg_backoff_ms(30, 1800, 1), 30000);
	ck_assert_uint_eq(reg_backoff_ms(30, 1800, 2), 60000);
	ck_assert_uint_eq(reg_backoff_ms(30, 1800, 7), 1800000);
	ck_assert_uint_eq(reg_backoff_ms(30, 1800, 1000000), 1800000);
	ck_assert_uint_eq(reg_backoff_ms(30, 10, 3), 30000);
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	for (i = 0; i < sizeof(want_s) / sizeof(want_s[0]); i++) {
		uint64_t gap;

		last = n_sent - 1;
		respond(last, 503, "");
		ck_assert_int_eq(evs[n_ev - 1].state, REG_FAILED);
		ck_assert_int_eq(evs[n_ev - 1].code, 503);
		/* The next REGISTER leaves 75..100 % of the back-off later. */
		while (n_sent == last + 1)
			tmr_fake_advance(clk, 250);
		ck_assert_uint_eq(n_sent, last + 2);
		gap = sent[last + 1].at - sent[last].at;
		ck_assert_msg(gap >= want_s[i] * 750 && gap <= want_s[i] * 1000 + 250,
			      "failure %u: next attempt after %llu ms, want %u s (-25 %%)", i + 1,
			      (unsigned long long)gap, want_s[i]);
	}
	/* Success resets the back-off. */
	respond(n_sent - 1, 200, OK_60);
	ck_assert_int_eq(evs[n_ev - 1].state, REG_REGISTERED);
	tmr_fake_advance(clk, 30000);
	last = n_sent - 1;
	respond(last, 500, "Retry-After: 300");
	while (n_sent == last + 1)
		tmr_fake_advance(clk, 1000);
	ck_assert_uint_ge(sent[last + 1].at - sent[last].at, 300000); /* Retry-After honoured */
	respond(n_sent - 1, 200, OK_60);
	drain();
}
END_TEST

/* A start spread out: nothing (no event) until its time, then the first REGISTER. */
START_TEST(start_after)
{
	ck_assert_int_eq(reg_start_after(reg, 100), 0);
	advance_to(99);
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(n_ev, 0);
	advance_to(100);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(evs[0].state, REG_REGISTERING);
	respond(0, 200, OK_60);
	ck_assert_int_eq(evs[n_ev - 1].state, REG_REGISTERED);
	drain();
}
END_TEST

/* Shutdown spreads the Expires: 0 out: busy (shutdown waits), nothing until its time. */
START_TEST(stop_after)
{
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	respond(0, 200, OK_60);
	ck_assert_int_eq(reg_stop_after(reg, 50), 0);
	ck_assert(reg_busy(reg));
	advance_to(49);
	ck_assert_uint_eq(n_sent, 1);
	advance_to(50);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_str_eq(hdr(1, "Expires"), "0");
	respond(1, 200, "");
	ck_assert(!reg_busy(reg));
	ck_assert_int_eq(evs[n_ev - 1].state, REG_UNREGISTERED);
	/* Never registered: at once. */
	make_reg();
	ck_assert_int_eq(reg_stop_after(reg, 50), 0);
	ck_assert(!reg_busy(reg));
	drain();
}
END_TEST

START_TEST(timeout_is_408)
{
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	advance_to(32000); /* Timer F = 64*T1 */
	ck_assert_int_eq(evs[n_ev - 1].state, REG_FAILED);
	ck_assert_int_eq(evs[n_ev - 1].code, 408);
	ck_assert_str_eq(evs[n_ev - 1].reason, "no response from sip:127.0.0.2:5070 (Timer F)");
	drain();
}
END_TEST

START_TEST(min_expires_423)
{
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	respond(0, 423, "Min-Expires: 1200");
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_str_eq(hdr(1, "Expires"), "1200");
	ck_assert_str_eq(hdr(1, "CSeq"), "2 REGISTER");
	/* A second 423 that asks for no more than we asked: failed, not looped. */
	respond(1, 423, "Min-Expires: 1200");
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_int_eq(evs[n_ev - 1].state, REG_FAILED);
	ck_assert_int_eq(evs[n_ev - 1].code, 423);
	ck_assert_str_eq(evs[n_ev - 1].reason,
			 "interval too brief: Min-Expires 1200 after asking 1200 s");
	drain();
}
END_TEST

START_TEST(service_route_and_proxy)
{
	const char *routes[ACCOUNT_MAX_ROUTES];

	make_account("pw", "sip:127.0.0.3:5080", 0);
	make_reg();
	ck_assert_uint_eq(account_routes(acc, routes, ACCOUNT_MAX_ROUTES), 1);
	ck_assert_str_eq(routes[0], "<sip:127.0.0.3:5080;lr>");
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	/* The REGISTER goes to the outbound proxy, Request-URI the registrar. */
	ck_assert_str_eq(hdr(0, "Route"), "<sip:127.0.0.3:5080;lr>");
	{
		char a[NET_ADDR_STRLEN];

		ck_assert_str_eq(net_addr_fmt(&sent[0].d.addr, a, sizeof(a)), "127.0.0.3:5080");
	}
	respond(0, 200, OK_60 "\r\nService-Route: <sip:sr1.test;lr>, <sip:sr2.test;lr>");
	ck_assert_uint_eq(account_routes(acc, routes, ACCOUNT_MAX_ROUTES), 2);
	ck_assert_str_eq(routes[0], "<sip:sr1.test;lr>");
	ck_assert_str_eq(routes[1], "<sip:sr2.test;lr>");
	/* The refresh still goes through the outbound proxy only (RFC 3608 §6). */
	advance_until_sent(30000);
	ck_assert_str_eq(hdr(1, "Route"), "<sip:127.0.0.3:5080;lr>");
	respond(1, 200, OK_60);
	ck_assert_uint_eq(account_routes(acc, routes, ACCOUNT_MAX_ROUTES), 1);
	/* Unregistered: the Service-Route is forgotten. */
	reg_stop(reg);
	ck_assert_str_eq(hdr(2, "Expires"), "0");
	respond(2, 200, "");
	ck_assert_uint_eq(account_routes(acc, routes, ACCOUNT_MAX_ROUTES), 1);
	ck_assert_str_eq(routes[0], "<sip:127.0.0.3:5080;lr>");
	drain();
}
END_TEST

START_TEST(unregister)
{
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	respond(0, 200, OK_60);
	ck_assert(!reg_busy(reg));
	reg_stop(reg);
	ck_assert(reg_busy(reg));
	ck_assert_int_eq(evs[n_ev - 1].state, REG_UNREGISTERING);
	ck_assert_str_eq(hdr(1, "Expires"), "0");
	ck_assert_str_eq(hdr(1, "CSeq"), "2 REGISTER");
	respond(1, 401, CHALLENGE);
	ck_assert_str_eq(hdr(2, "Expires"), "0");
	ck_assert_str_eq(hdr(2, "CSeq"), "3 REGISTER");
	ck_assert_ptr_nonnull(strstr(hdr(2, "Authorization"), "username=\"alice\""));
	respond(2, 200, "");
	ck_assert(!reg_busy(reg));
	ck_assert_int_eq(evs[n_ev - 1].state, REG_UNREGISTERED);
	/* No refresh afterwards. */
	tmr_fake_advance(clk, 600000);
	ck_assert_uint_eq(n_sent, 3);
	/* Never registered: unregistered at once, nothing sent. */
	make_reg();
	reg_stop(reg);
	ck_assert_uint_eq(n_sent, 3);
	ck_assert(!reg_busy(reg));
	drain();
}
END_TEST

/* TCP: rport is the connection's own port, no NAT binding: one REGISTER, the listener's Contact. */
START_TEST(nat_tcp_rport_ignored)
{
	make_account_on("pw", NULL, 0, NET_TCP);
	make_reg();
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	ck_assert_str_eq(hdr(0, "Contact"), "<sip:alice@127.0.0.1:5060;transport=tcp>");
	respond_via(0, 200, "Contact: <sip:alice@127.0.0.1:5060;transport=tcp>;expires=60",
		    ";received=127.0.0.1;rport=40001");
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(evs[n_ev - 1].state, REG_REGISTERED);
	ck_assert_uint_eq(evs[n_ev - 1].expires, 60);
	/* A changed host is a NAT on TCP too: registered again, with our listener's port. */
	advance_until_sent(30000);
	ck_assert_uint_eq(n_sent, 2);
	respond_via(1, 200, "Contact: <sip:alice@127.0.0.1:5060;transport=tcp>;expires=60",
		    ";received=203.0.113.9;rport=40001");
	ck_assert_uint_eq(n_sent, 3);
	ck_assert_str_eq(hdr(2, "Contact"), "<sip:alice@203.0.113.9:5060;transport=tcp>");
	respond(2, 200, "Contact: <sip:alice@203.0.113.9:5060;transport=tcp>;expires=60");
	drain();
}
END_TEST

START_TEST(nat_public_address)
{
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	respond_via(0, 200, OK_60, ";received=203.0.113.5;rport=40000");
	/* Registered again at once with the address the registrar saw. */
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_str_eq(hdr(1, "Contact"), "<sip:alice@203.0.113.5:40000>");
	{
		char c0[128];

		snprintf(c0, sizeof(c0), "%s", hdr(0, "Call-ID"));
		ck_assert_str_eq(hdr(1, "Call-ID"), c0);
	}
	respond_via(1, 200, "Contact: <sip:alice@203.0.113.5:40000>;expires=60",
		    ";received=203.0.113.5;rport=40000");
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_int_eq(evs[n_ev - 1].state, REG_REGISTERED);
	ck_assert_uint_eq(evs[n_ev - 1].expires, 60);
	/* The account's calls name the public address in their Contact too. */
	{
		struct net_addr l;
		char ct[128];

		ck_assert_int_eq(net_addr_from_host(&l, "127.0.0.1", 5060), 0);
		ck_assert_int_eq(account_contact(acc, NET_UDP, &l, false, ct, sizeof(ct)), 0);
		ck_assert_str_eq(ct, "<sip:alice@203.0.113.5:40000>");
	}
	/* A registrar that keeps seeing yet another address: once per attempt, no loop. */
	advance_until_sent(30000);
	ck_assert_uint_eq(n_sent, 3);
	respond_via(2, 200, OK_60, ";received=198.51.100.7;rport=1");
	ck_assert_uint_eq(n_sent, 4);
	respond_via(3, 200, OK_60, ";received=198.51.100.8;rport=2");
	ck_assert_uint_eq(n_sent, 4);
	drain();
}
END_TEST

START_TEST(keepalive)
{
	make_account("pw", NULL, 10);
	make_reg();
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	respond(0, 200, "Contact: <sip:alice@127.0.0.1:5060>;expires=3600");
	advance_to(10000);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_str_eq(sent[1].buf, "\r\n");
	advance_to(20000);
	ck_assert_uint_eq(n_sent, 3);
	reg_stop(reg);
	respond(3, 200, "");
	advance_to(60000);
	ck_assert_uint_eq(n_sent, 4);
	drain();
}
END_TEST

/*
 * RFC 5626 §4.4.1 on TCP: one keepalive pending at a time; no pong within
 * 10 s (the stack closed the flow) or a lost connection: registered again
 * at once, with the same Call-ID, logged with the reason.
 */
START_TEST(keepalive_pong)
{
	char log[4096], callid[128];
	unsigned evs_before;

	ka_stubbed = true;
	make_account_on("pw", NULL, 10, NET_TCP);
	make_reg();
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	ck_assert_int_eq(sent[0].d.proto, NET_TCP);
	snprintf(callid, sizeof(callid), "%s", hdr(0, "Call-ID"));
	respond(0, 200, "Contact: <sip:alice@127.0.0.1:5060;transport=tcp>;expires=3600");
	ck_assert_int_eq(evs[n_ev - 1].state, REG_REGISTERED);
	evs_before = n_ev;
	advance_to(10000);
	ck_assert_uint_eq(ka.calls, 1);
	ck_assert_uint_eq(ka.at, 10000);
	ck_assert_uint_eq(ka.pong_timeout_ms, 10000);
	ck_assert_int_eq(ka.d.proto, NET_TCP);
	{
		char a[NET_ADDR_STRLEN];

		ck_assert_str_eq(net_addr_fmt(&ka.d.addr, a, sizeof(a)), "127.0.0.2:5070");
	}
	ck_assert_uint_eq(n_sent, 1); /* not through the transaction layer */
	/* Still pending at the next tick: no second ping. */
	advance_to(20000);
	ck_assert_uint_eq(ka.calls, 1);
	ka_outcome(0);
	ck_assert_uint_eq(n_sent, 1);
	advance_to(30000);
	ck_assert_uint_eq(ka.calls, 2);

	/* No pong: registering again at once. */
	log_capture_start();
	ka_outcome(-ETIMEDOUT);
	log_capture_stop(log, sizeof(log));
	ck_assert_msg(strstr(log, "r1: alice: no keepalive pong from the registrar within 10 s: "
				  "registering again\n") != NULL,
		      "log: %s", log);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_uint_eq(sent[1].at, 30000);
	ck_assert_int_eq(strncmp(sent[1].buf, "REGISTER sip:127.0.0.2:5070 SIP/2.0\r\n", 37), 0);
	ck_assert_int_eq(sent[1].d.proto, NET_TCP);
	ck_assert_str_eq(hdr(1, "Call-ID"), callid);
	ck_assert_str_eq(hdr(1, "CSeq"), "2 REGISTER");
	ck_assert_str_eq(hdr(1, "Expires"), "600");
	ck_assert_uint_eq(n_ev, evs_before); /* still registered meanwhile */
	respond(1, 200, "Contact: <sip:alice@127.0.0.1:5060;transport=tcp>;expires=3600");
	ck_assert_uint_eq(n_ev, evs_before);
	advance_to(40000);
	ck_assert_uint_eq(ka.calls, 3);

	/* The connection lost before the pong: the same, with that reason. */
	log_capture_start();
	ka_outcome(-ECONNRESET);
	log_capture_stop(log, sizeof(log));
	ck_assert_msg(strstr(log, "r1: alice: keepalive to the registrar failed (Connection reset "
				  "by peer): registering again\n") != NULL,
		      "log: %s", log);
	ck_assert_uint_eq(n_sent, 3);
	ck_assert_str_eq(hdr(2, "CSeq"), "3 REGISTER");

	/* A REGISTER in flight on the failed flow is replaced, not waited for. */
	respond(2, 200, "Contact: <sip:alice@127.0.0.1:5060;transport=tcp>;expires=20");
	advance_to(50000);
	ck_assert_uint_eq(ka.calls, 4);
	ck_assert_uint_eq(n_sent, 4); /* the refresh at 10 s went at 50000 too */
	ka_outcome(-ETIMEDOUT);
	ck_assert_uint_eq(n_sent, 5);
	ck_assert_str_eq(hdr(4, "CSeq"), "5 REGISTER");
	respond(3, 200, "Expires: 20"); /* the replaced one: nobody listens */
	ck_assert_uint_eq(n_sent, 5);

	/* Unregistering forgets a pending keepalive. */
	respond(4, 200, "Contact: <sip:alice@127.0.0.1:5060;transport=tcp>;expires=3600");
	advance_to(60000);
	ck_assert_uint_eq(ka.calls, 5);
	reg_stop(reg);
	ck_assert_uint_eq(ka.cancels, 1);
	ck_assert_ptr_null(ka.pending);
	respond(5, 200, "");
	ck_assert_int_eq(evs[n_ev - 1].state, REG_UNREGISTERED);
	advance_to(120000);
	ck_assert_uint_eq(ka.calls, 5);
	drain();
}
END_TEST

/* UDP: no pong is awaited, a failed send is no reason to register again. */
START_TEST(keepalive_udp)
{
	ka_stubbed = true;
	make_account("pw", NULL, 10);
	make_reg();
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	respond(0, 200, "Contact: <sip:alice@127.0.0.1:5060>;expires=3600");
	advance_to(10000);
	ck_assert_uint_eq(ka.calls, 1);
	ck_assert_int_eq(ka.d.proto, NET_UDP);
	ka_outcome(-ENOBUFS);
	ck_assert_uint_eq(n_sent, 1);
	advance_to(20000);
	ck_assert_uint_eq(ka.calls, 2);
	ka_outcome(0);
	/* A failed refresh stops the keepalives and forgets a pending one. */
	advance_to(30000);
	ck_assert_uint_eq(ka.calls, 3);
	ck_assert_int_eq(reg_start(reg, NULL), 0);
	ck_assert_uint_eq(n_sent, 2);
	respond(1, 503, "");
	ck_assert_int_eq(evs[n_ev - 1].state, REG_FAILED);
	ck_assert_uint_eq(ka.cancels, 1);
	ck_assert_ptr_null(ka.pending);
	while (n_sent == 2)
		tmr_fake_advance(clk, 1000);
	ck_assert_uint_eq(ka.calls, 3);
	/* Registered again; reg_free() forgets a pending one too. */
	respond(2, 200, "Contact: <sip:alice@127.0.0.1:5060>;expires=3600");
	tmr_fake_advance(clk, 10000);
	ck_assert_uint_eq(ka.calls, 4);
	drain();
	ck_assert_uint_eq(ka.cancels, 2);
}
END_TEST

START_TEST(refusals)
{
	struct reg *r = NULL;
	struct reg_env env = {.tsx = layer, .clk = clk, .local = local_stub};
	struct account *plain = NULL;

	ck_assert_int_eq(account_new_default(&plain), 0);
	ck_assert_int_eq(reg_new(&r, &env, plain, 2), -EINVAL);
	env.local = NULL;
	ck_assert_int_eq(reg_new(&r, &env, acc, 2), -EINVAL);
	/* A keepalive without its cancel. */
	env.local = local_stub;
	env.keepalive = ka_stub;
	ck_assert_int_eq(reg_new(&r, &env, acc, 2), -EINVAL);
	account_free(plain);
	drain();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reg");
	TCase *tc = tcase_create("reg");

	msg_lib_init();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, register_challenge_refresh);
	tcase_add_test(tc, wrong_password_one_failure);
	tcase_add_test(tc, no_password);
	tcase_add_test(tc, backoff_schedule);
	tcase_add_test(tc, timeout_is_408);
	tcase_add_test(tc, start_after);
	tcase_add_test(tc, stop_after);
	tcase_add_test(tc, min_expires_423);
	tcase_add_test(tc, service_route_and_proxy);
	tcase_add_test(tc, unregister);
	tcase_add_test(tc, nat_public_address);
	tcase_add_test(tc, nat_tcp_rport_ignored);
	tcase_add_test(tc, keepalive);
	tcase_add_test(tc, keepalive_pong);
	tcase_add_test(tc, keepalive_udp);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return check_run(s);
}
