/*
 * check_call: calls (src/ua/call.c, src/ua/call_uac.c) through the whole
 * UA path, as in the daemon: wire text is parsed (msg_parse), checked and
 * fed to a real transaction layer (tsx_layer_recv) whose user is the UA
 * core (ua.c), which routes INVITE, BYE, CANCEL, ACK and stray responses to
 * the call table.  Everything runs on the fake clock; the layer's send
 * callback records every buffer with the fake time it left at, so the
 * tests check what is sent and when, exactly.
 *
 * The peer is 127.0.0.1:5062 (alice calling us, or bob whom we call); our
 * listener (the local() stub) is 127.0.0.1:5060.  RTP ports come from
 * 41000..41999 (real sockets on 127.0.0.1).  Every test ends in drain():
 * far in the future no call, dialog, transaction, timer or RTP port may be
 * left, and ASan sees every allocation freed.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/log.h"
#include "core/rnd.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/sip.h"
#include "sip/tsx.h"
#include "ua/account.h"
#include "ua/call.h"
#include "ua/oa.h"
#include "ua/ua.h"

#include "check_run.h"
#include "dns_fill.h"

#define T1 500
#define T2 4000
#define T4 5000
#define MAX_SENT 256
#define MAX_EV 32
#define RTP_MIN 41000
#define RTP_MAX 41999

struct sent {
	char *buf;
	size_t len;
	uint64_t at;
	struct sip_dest d;
};

struct ev {
	enum call_event ev;
	char state[16];
	int code;
	char reason[200];
	char by[8];
	char what[8];
	char handle[16];
	uint64_t at;
};

static struct tmr_clock *clk;
static struct event_base *base; /* the stack's transport wants one; never run */
static struct sip *sip;
static struct tsx_layer *layer; /* the stack's */
static struct ua *ua;
static struct calls *cs;
static struct stats stats;
static struct tsx_cfg tcfg;
static struct call_cfg ccfg;
static uint64_t t0;

static struct sent sent[MAX_SENT];
static unsigned n_sent;
static struct ev evs[MAX_EV];
static unsigned n_ev;
static struct why why;
static unsigned branch_no, callid_no;
static struct account *acc_alice, *acc_bob; /* tests' accounts: freed after the table */
static struct dns *dns;			    /* calls_dns(): freed after the table */

/* The peer's offers and answers. */
#define SDP_V(ver, dir)                                                                            \
	"v=0\r\no=alice 42 " ver " IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"    \
	"m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"                                \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=" dir "\r\n"
#define SDP_OFFER SDP_V("1", "sendrecv")
#define SDP_G729                                                                                   \
	"v=0\r\no=alice 42 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"          \
	"m=audio 30000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=sendrecv\r\n"

static uint64_t now(void)
{
	return tmr_now(clk) - t0;
}

static void advance_to(uint64_t ms)
{
	ck_assert_uint_ge(ms, now());
	tmr_fake_advance(clk, ms - now());
}

static int send_fail; /* nonzero: sends fail with it (nothing captured) */
static const char *fail_prefix; /* non-NULL: only sends starting with it fail */

static int cap_send(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	struct sent *s;

	(void)arg;
	if (send_fail && (!fail_prefix || strncmp(buf, fail_prefix, strlen(fail_prefix)) == 0))
		return send_fail;
	ck_assert_uint_lt(n_sent, MAX_SENT);
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

static int local_stub(void *arg, enum net_proto proto, int family, struct net_addr *out)
{
	(void)arg;
	(void)proto;
	if (family == AF_INET)
		return net_addr_from_host(out, "127.0.0.1", 5060);
	return -ENOENT;
}

static void on_event(void *arg, const struct call *c, const struct call_event_info *e)
{
	struct ev *v;

	(void)arg;
	ck_assert_uint_lt(n_ev, MAX_EV);
	v = &evs[n_ev++];
	memset(v, 0, sizeof(*v));
	v->ev = e->ev;
	snprintf(v->state, sizeof(v->state), "%s", e->state ? e->state : "");
	v->code = e->code;
	snprintf(v->reason, sizeof(v->reason), "%s", e->reason ? e->reason : "");
	snprintf(v->by, sizeof(v->by), "%s", e->by ? e->by : "");
	snprintf(v->what, sizeof(v->what), "%s", e->what ? e->what : "");
	snprintf(v->handle, sizeof(v->handle), "%s", call_handle(c));
	v->at = now();
}

/*
 * Fault injection: the test binary is linked with -Wl,--wrap=oa_take_offer,
 * so call_uas.c's calls land here; offer_fail != 0 makes the next one fail
 * with it (an error the real oa cannot produce for that request).
 */
static int offer_fail;
/* Declared from oa_take_offer() itself, so that a change of its signature breaks the build here. */
__typeof__(oa_take_offer) __real_oa_take_offer, __wrap_oa_take_offer;

int __wrap_oa_take_offer(struct oa *oa, const char *sdp, size_t len, uint16_t port,
			 enum oa_dir want, char **answer_out, struct oa_result *res, char *wbuf,
			 size_t wlen)
{
	int err = offer_fail;

	if (err) {
		offer_fail = 0;
		snprintf(wbuf, wlen, "injected by the test");
		return err;
	}
	return __real_oa_take_offer(oa, sdp, len, port, want, answer_out, res, wbuf, wlen);
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

/* A call table with RTP ports rtp_min..rtp_max (replacing the one there is) and ccfg. */
static void calls_make(uint16_t rtp_min, uint16_t rtp_max)
{
	struct call_env env = {.tsx = layer,
			       .clk = clk,
			       .local = local_stub,
			       .event = on_event,
			       .rtp_port_min = rtp_min,
			       .rtp_port_max = rtp_max};

	ua_set_calls(ua, NULL);
	calls_free(cs);
	cs = NULL;
	ck_assert_int_eq(calls_new(&cs, &env, &ccfg), 0);
	ua_set_calls(ua, cs);
}

static void setup(void)
{
	struct sip_cfg scfg = {.tp = {.max_msg = 65535, .max_tcp_conns = 8, .tcp_idle_s = 60}};

	send_fail = 0;
	fail_prefix = NULL;
	offer_fail = 0;
	memset(&stats, 0, sizeof(stats));
	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.t1_ms = T1;
	tcfg.t2_ms = T2;
	tcfg.t4_ms = T4;
	tcfg.max_tsx = 200;
	tcfg.retry_after_s = 5;
	tcfg.server = "sipuad/test"; /* as the daemon sets it: [sip] user_agent */
	scfg.tsx = tcfg;
	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.answer = CALL_ANSWER_AUTO;
	ccfg.answer_delay_ms = 0;
	ccfg.reject_code = 486;
	ccfg.ring_timeout_s = 120;
	ccfg.max_calls = 10;
	ccfg.codecs[0] = "PCMU";
	ccfg.codecs[1] = "PCMA";
	ccfg.n_codecs = 2;
	ccfg.dtmf = true;
	n_sent = n_ev = 0;
	why = (struct why){0};
	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	t0 = tmr_now(clk);
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_int_eq(sip_new(&sip, base, clk, &scfg, &stats), 0);
	sip_set_send(sip, cap_send, NULL);
	layer = sip_tsx(sip);
	ck_assert_int_eq(ua_new(&ua, sip), 0);
	calls_make(RTP_MIN, RTP_MAX);
}

static void teardown(void)
{
	ua_set_calls(ua, NULL);
	calls_free(cs);
	cs = NULL;
	account_free(acc_alice);
	account_free(acc_bob);
	acc_alice = acc_bob = NULL;
	dns_fill_free(dns);
	dns = NULL;
	ua_free(ua);
	ua = NULL;
	sip_free(sip);
	sip = NULL;
	layer = NULL;
	event_base_free(base);
	base = NULL;
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
	ck_assert_uint_eq(calls_count(cs), 0);
	ck_assert_uint_eq(calls_dialogs(cs), 0);
	ck_assert_uint_eq(calls_rtp_in_use(cs), 0);
	ck_assert_uint_eq(tsx_layer_count(layer), 0);
	ck_assert_uint_eq(tmr_fake_armed(clk), 0);
}

static void set_cfg(void)
{
	ck_assert_int_eq(calls_set_cfg(cs, &ccfg), 0);
}

static struct sip_msg *parse(const char *text, size_t len)
{
	struct sip_msg *m = NULL;

	ck_assert_int_eq(msg_parse(&m, text, len, false), 0);
	return m;
}

/* ---- looking at what was sent ---- */

static bool starts(unsigned i, const char *prefix)
{
	ck_assert_uint_lt(i, n_sent);
	return strncmp(sent[i].buf, prefix, strlen(prefix)) == 0;
}

static bool has(unsigned i, const char *text)
{
	ck_assert_uint_lt(i, n_sent);
	return strstr(sent[i].buf, text) != NULL;
}

/* The first buffer from index `from` on starting with prefix and holding text (may be NULL). */
static int find(unsigned from, const char *prefix, const char *text)
{
	for (unsigned i = from; i < n_sent; i++)
		if (starts(i, prefix) && (!text || has(i, text)))
			return (int)i;
	return -1;
}

static unsigned count(unsigned from, const char *prefix, const char *text)
{
	unsigned n = 0;

	for (unsigned i = from; i < n_sent; i++)
		if (starts(i, prefix) && (!text || has(i, text)))
			n++;
	return n;
}

static int must_find(unsigned from, const char *prefix, const char *text)
{
	int i = find(from, prefix, text);

	ck_assert_msg(i >= 0, "nothing sent from #%u starts with '%s'%s%s", from, prefix,
		      text ? " holding " : "", text ? text : "");
	return i;
}

/* The To tag of sent[i]. */
static void to_tag_of(unsigned i, char *out, size_t size)
{
	struct sip_msg *m = parse(sent[i].buf, sent[i].len);

	ck_assert_ptr_nonnull(m->to_tag);
	snprintf(out, size, "%s", m->to_tag);
	msg_free(m);
}

static void check_ev(unsigned i, enum call_event ev, const char *state, int code, const char *by)
{
	ck_assert_uint_lt(i, n_ev);
	ck_assert_int_eq(evs[i].ev, ev);
	if (state)
		ck_assert_str_eq(evs[i].state, state);
	ck_assert_int_eq(evs[i].code, code);
	if (by)
		ck_assert_str_eq(evs[i].by, by);
}

/* ---- feeding the wire ---- */

/* The transport messages from the peer came over (feed()); tests that change it put it back. */
static enum net_proto feed_proto = NET_UDP;

static void feed(const char *text)
{
	struct sip_msg *m = parse(text, strlen(text));

	m->src.proto = feed_proto;
	m->src.conn = feed_proto == NET_UDP ? 0 : 7;
	ck_assert_int_eq(net_addr_from_host(&m->src.addr, "127.0.0.1", 5062), 0);
	ck_assert_int_eq(net_addr_from_host(&m->src.local, "127.0.0.1", 5060), 0);
	if (m->is_request) {
		struct msg_err e;

		ck_assert_msg(msg_check_request(m, &e), "%d %s", e.code, e.reason);
		ck_assert_int_eq(msg_stamp_via(m), 0);
	} else {
		const char *bad = NULL;

		ck_assert_msg(msg_check_response(m, &bad), "%s", bad);
	}
	tsx_layer_recv(layer, m);
}

/* The peer (alice) of an incoming call. */
struct pc {
	char call_id[32];
	char ftag[16];
	char ttag[64]; /* ours, once learnt */
	char inv_branch[40];
	unsigned cseq;
};

static void new_branch(char *out, size_t size)
{
	snprintf(out, size, "z9hG4bKpeer%u", ++branch_no);
}

static void pc_init(struct pc *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->call_id, sizeof(p->call_id), "cid%u@127.0.0.1", ++callid_no);
	snprintf(p->ftag, sizeof(p->ftag), "a%u", callid_no);
	p->cseq = 1;
}

/*
 * A request from the peer; body (may be NULL) goes with the header lines
 * btype ("Content-Type: ...\r\n" and any other, e.g. Content-Disposition).
 */
static void pc_send_typed(struct pc *p, const char *method, const char *branch, unsigned cseq,
			  const char *cseq_method, bool with_ttag, const char *btype,
			  const char *body)
{
	char buf[4096];
	size_t blen = body ? strlen(body) : 0;

	snprintf(buf, sizeof(buf),
		 "%s sip:sipuad@127.0.0.1:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=%s\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:alice@127.0.0.1:5062>;tag=%s\r\n"
		 "To: <sip:sipuad@127.0.0.1:5060>%s%s\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: %u %s\r\n"
		 "Contact: <sip:alice@127.0.0.1:5062>\r\n"
		 "%s"
		 "Content-Length: %zu\r\n\r\n%s",
		 method, branch, p->ftag, with_ttag ? ";tag=" : "", with_ttag ? p->ttag : "",
		 p->call_id, cseq, cseq_method, blen ? btype : "", blen, body ? body : "");
	feed(buf);
}

/* As pc_send_typed(), with an SDP body (or none). */
static void pc_send(struct pc *p, const char *method, const char *branch, unsigned cseq,
		    const char *cseq_method, bool with_ttag, const char *body)
{
	pc_send_typed(p, method, branch, cseq, cseq_method, with_ttag,
		      "Content-Type: application/sdp\r\n", body);
}

/* The initial INVITE (CSeq p->cseq). */
static void pc_invite(struct pc *p, const char *sdp)
{
	new_branch(p->inv_branch, sizeof(p->inv_branch));
	pc_send(p, "INVITE", p->inv_branch, p->cseq, "INVITE", false, sdp);
}

/* Our To tag from the response sent[i]. */
static void pc_learn(struct pc *p, unsigned i)
{
	to_tag_of(i, p->ttag, sizeof(p->ttag));
}

/* The ACK for a 2xx to the INVITE with CSeq cseq: a transaction of its own. */
static void pc_ack(struct pc *p, unsigned cseq, const char *sdp)
{
	char br[40];

	new_branch(br, sizeof(br));
	pc_send(p, "ACK", br, cseq, "ACK", true, sdp);
}

/* The ACK for a non-2xx to the initial INVITE: its branch (§17.1.1.3). */
static void pc_ack_failure(struct pc *p)
{
	pc_send(p, "ACK", p->inv_branch, p->cseq, "ACK", true, NULL);
}

static void pc_cancel(struct pc *p)
{
	pc_send(p, "CANCEL", p->inv_branch, p->cseq, "CANCEL", false, NULL);
}

/* An in-dialog request with the next CSeq (or cseq when non-zero). */
static void pc_req(struct pc *p, const char *method, unsigned cseq, const char *sdp)
{
	char br[40];

	if (!cseq)
		cseq = ++p->cseq;
	new_branch(br, sizeof(br));
	pc_send(p, method, br, cseq, method, true, sdp);
}

/* An incoming call answered at once and ACKed: c1 established. */
static void pc_established(struct pc *p)
{
	int ok;

	pc_init(p);
	pc_invite(p, SDP_OFFER);
	ok = must_find(0, "SIP/2.0 200 ", "CSeq: 1 INVITE");
	pc_learn(p, (unsigned)ok);
	pc_ack(p, 1, NULL);
	ck_assert_uint_gt(n_ev, 0);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
}

/*
 * The peer (bob) answers the request we sent in sent[i] with code.  tag:
 * the To tag if the request has none; contact and body may be NULL; body
 * is of Content-Type ctype; hdrs: extra "Name: value" lines,
 * NULL-terminated (may be NULL).
 */
static void respond_typed(unsigned i, int code, const char *tag, const char *contact,
			  const char *ctype, const char *body, const char *const *hdrs)
{
	struct sip_msg *req, *resp = NULL, *in;
	char *text = NULL;
	const char *bad = NULL;
	size_t len;

	ck_assert_uint_lt(i, n_sent);
	req = parse(sent[i].buf, sent[i].len);
	ck_assert(req->is_request);
	ck_assert_int_eq(msg_build_response(&resp, req, code, NULL, code > 100 ? tag : NULL), 0);
	if (contact)
		ck_assert_int_eq(msg_add_header(resp, "Contact", contact), 0);
	for (size_t k = 0; hdrs && hdrs[k]; k += 2)
		ck_assert_int_eq(msg_add_header(resp, hdrs[k], hdrs[k + 1]), 0);
	if (body)
		ck_assert_int_eq(msg_set_body(resp, ctype, body, strlen(body)), 0);
	ck_assert_int_eq(msg_to_str(resp, &text, &len), 0);
	in = parse(text, len);
	ck_assert_msg(msg_check_response(in, &bad), "%s", bad);
	in->src = sent[i].d;
	tsx_layer_recv(layer, in);
	free(text);
	msg_free(resp);
	msg_free(req);
}

/* As respond_typed(), with an SDP body (or none). */
static void respond(unsigned i, int code, const char *tag, const char *contact, const char *sdp,
		    const char *const *hdrs)
{
	respond_typed(i, code, tag, contact, "application/sdp", sdp, hdrs);
}

#define BOB "sip:bob@127.0.0.1:5062"
#define BOB_CT "<sip:bob@127.0.0.1:5062>"

static struct call *place(const char *uri)
{
	struct call *c = NULL;
	struct why w;

	ck_assert_msg(call_place(cs, uri, NULL, NULL, 0, &c, &w) == 0, "%s", w.msg);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* An outgoing call c answered (180, then 200 from tag b1 with PCMU). */
static struct call *placed_established(void)
{
	struct call *c = place(BOB);

	respond(0, 180, "b1", BOB_CT, NULL, NULL);
	respond(0, 200, "b1", BOB_CT, SDP_OFFER, NULL);
	must_find(1, "ACK " BOB " ", "CSeq: 1 ACK");
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	return c;
}

/* ---------------- UAS ---------------- */

/*
 * answer = auto, delay 0: 180, 200 (answer) at once, and no 100 Trying
 * (§17.2.1: the TU answered within 200 ms); ACK -> answered; BYE -> ended.
 */
START_TEST(test_uas_auto_answer)
{
	struct pc p;
	char tag180[64], tag200[64], a[NET_ADDR_STRLEN];
	int b;

	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(starts(0, "SIP/2.0 180 Ringing\r\n"));
	ck_assert(starts(1, "SIP/2.0 200 OK\r\n"));
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_uint_eq(sent[i].at, 0);
		ck_assert_str_eq(net_addr_fmt(&sent[i].d.addr, a, sizeof(a)), "127.0.0.1:5062");
	}
	to_tag_of(0, tag180, sizeof(tag180));
	to_tag_of(1, tag200, sizeof(tag200));
	ck_assert_str_eq(tag180, tag200);
	ck_assert(has(0, "\r\nContact: <sip:sipuad@127.0.0.1:5060>\r\n"));
	ck_assert(has(1, "\r\nContact: <sip:sipuad@127.0.0.1:5060>\r\n"));
	ck_assert(has(1, "\r\nContent-Type: application/sdp\r\n"));
	ck_assert(has(1, "\r\nAllow: OPTIONS, ACK, CANCEL, BYE, INVITE, INFO\r\n"));
	ck_assert(has(1, "\r\nServer: sipuad/test\r\n"));
	ck_assert(has(1, "\r\nm=audio 41"));
	ck_assert(has(1, "a=rtpmap:0 PCMU/8000"));
	ck_assert(has(1, "c=IN IP4 127.0.0.1"));
	ck_assert(!has(1, "PCMA"));
	/* Events: incoming, ringing. */
	ck_assert_uint_eq(n_ev, 2);
	check_ev(0, CALL_EV_INCOMING, NULL, 0, NULL);
	ck_assert_str_eq(evs[0].handle, "c1");
	check_ev(1, CALL_EV_STATE, "ringing", 180, NULL);
	ck_assert_uint_eq(calls_count(cs), 1);
	ck_assert_uint_eq(calls_dialogs(cs), 1);
	ck_assert_uint_eq(calls_rtp_in_use(cs), 1);

	advance_to(100);
	snprintf(p.ttag, sizeof(p.ttag), "%s", tag200);
	pc_ack(&p, 1, NULL);
	ck_assert_uint_eq(n_ev, 3);
	check_ev(2, CALL_EV_STATE, "answered", 200, NULL);
	ck_assert_uint_eq(evs[2].at, 100);
	advance_to(40000);
	ck_assert_uint_eq(n_sent, 2); /* the ACK stopped the 200's resends */
	ck_assert_int_eq(find(0, "SIP/2.0 100 ", NULL), -1); /* nor a late 100 */

	pc_req(&p, "BYE", 0, NULL);
	b = must_find(2, "SIP/2.0 200 ", "CSeq: 2 BYE");
	ck_assert_uint_eq(sent[b].at, 40000);
	ck_assert_uint_eq(n_ev, 4);
	check_ev(3, CALL_EV_STATE, "ended", 200, "remote");
	ck_assert_uint_eq(calls_count(cs), 0);
	drain();
}
END_TEST

/*
 * RFC 3261 §12.1.1: the 180 (it has our To tag) and the 200 copy every
 * Record-Route value of the INVITE, in order, a header holding several
 * comma-separated values included; the route set the dialog learnt sends
 * our BYE to the first proxy.
 */
START_TEST(test_uas_record_route_copied)
{
	static const char *const rr[] = {
	    "Record-Route: <sip:127.0.0.1:5070;lr>\r\n",
	    "Record-Route: <sip:p2.example.net;lr;ftag=a1>\r\n",
	    "Record-Route: <sip:p3.example.net;lr>\r\n",
	};
	char buf[2048], a[NET_ADDR_STRLEN];
	struct pc p;
	int b;

	pc_init(&p);
	new_branch(p.inv_branch, sizeof(p.inv_branch));
	snprintf(buf, sizeof(buf),
		 "INVITE sip:sipuad@127.0.0.1:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=%s\r\n"
		 "Max-Forwards: 70\r\n"
		 "Record-Route: <sip:127.0.0.1:5070;lr>\r\n"
		 "From: <sip:alice@127.0.0.1:5062>;tag=%s\r\n"
		 "To: <sip:sipuad@127.0.0.1:5060>\r\n"
		 "Record-Route: <sip:p2.example.net;lr;ftag=a1>, <sip:p3.example.net;lr>\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: 1 INVITE\r\n"
		 "Contact: <sip:alice@127.0.0.1:5062>\r\n"
		 "Content-Type: application/sdp\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 p.inv_branch, p.ftag, p.call_id, strlen(SDP_OFFER), SDP_OFFER);
	feed(buf);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(starts(0, "SIP/2.0 180 Ringing\r\n"));
	ck_assert(starts(1, "SIP/2.0 200 OK\r\n"));
	for (unsigned i = 0; i <= 1; i++) {
		const char *at = sent[i].buf;

		for (size_t k = 0; k < sizeof(rr) / sizeof(rr[0]); k++) {
			const char *f = strstr(at, rr[k]);

			ck_assert_msg(f, "#%u lacks (in order) %s", i, rr[k]);
			at = f + strlen(rr[k]);
		}
	}
	pc_learn(&p, 1);
	pc_ack(&p, 1, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	/* Our BYE follows the route set (§12.1.1: in order): to the first, nearest proxy. */
	ck_assert_int_eq(call_hangup(call_find(cs, "c1"), &why), 0);
	b = must_find(2, "BYE sip:alice@127.0.0.1:5062 ", NULL);
	ck_assert_str_eq(net_addr_fmt(&sent[b].d.addr, a, sizeof(a)), "127.0.0.1:5070");
	ck_assert(has((unsigned)b, "\r\nRoute: <sip:127.0.0.1:5070;lr>\r\nRoute: "
				   "<sip:p2.example.net;lr;ftag=a1>\r\nRoute: <sip:p3.example.net;lr>\r\n"));
	drain();
}
END_TEST

/*
 * An initial INVITE whose offer cannot be taken for a reason that only a
 * re-INVITE can have (an offer of ours pending: -EBUSY, glare) is refused
 * like any other failure: 500 and the call ends.  It used to get the
 * re-INVITE's 491 and leave the call behind with no transaction and no
 * timer.
 */
START_TEST(test_uas_initial_offer_busy)
{
	struct pc p;
	int r;

	offer_fail = -EBUSY;
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	r = must_find(0, "SIP/2.0 500 ", "CSeq: 1 INVITE");
	ck_assert_int_eq(find(0, "SIP/2.0 491 ", NULL), -1);
	ck_assert_int_eq(find(0, "SIP/2.0 180 ", NULL), -1);
	pc_learn(&p, (unsigned)r);
	pc_ack_failure(&p);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(0, CALL_EV_INCOMING, NULL, 0, NULL);
	check_ev(1, CALL_EV_STATE, "ended", 500, "local");
	ck_assert_uint_eq(calls_count(cs), 0);
	drain();
}
END_TEST

/* The same error on a re-INVITE is glare (§14.2): 491, and the call goes on. */
START_TEST(test_uas_reinvite_offer_busy)
{
	struct pc p;
	unsigned before;

	pc_established(&p);
	before = n_sent;
	offer_fail = -EBUSY;
	pc_req(&p, "INVITE", 0, SDP_V("2", "sendonly"));
	must_find(before, "SIP/2.0 491 ", "CSeq: 2 INVITE");
	ck_assert_uint_eq(calls_count(cs), 1);
	pc_ack_failure(&p);
	pc_req(&p, "BYE", 0, NULL);
	must_find(before, "SIP/2.0 200 ", "CSeq: 3 BYE");
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

/* An even port P with P and P + 1 free on 127.0.0.1 now. */
static uint16_t free_pair(void)
{
	for (uint16_t port = 42000; port < 43000; port += 2) {
		struct net_addr a, b;
		int fa = socket(AF_INET, SOCK_DGRAM, 0), fb = socket(AF_INET, SOCK_DGRAM, 0);
		bool ok;

		ck_assert_int_eq(net_addr_from_host(&a, "127.0.0.1", port), 0);
		ck_assert_int_eq(net_addr_from_host(&b, "127.0.0.1", (uint16_t)(port + 1)), 0);
		ok = bind(fa, (struct sockaddr *)&a.ss, a.len) == 0 &&
		     bind(fb, (struct sockaddr *)&b.ss, b.len) == 0;
		close(fa);
		close(fb);
		if (ok)
			return port;
	}
	ck_abort_msg("no free UDP port pair in 42000..42999");
	return 0;
}

/*
 * No RTP port free: 503 "No RTP Port Free" with Retry-After from [sip]
 * retry_after_s (it was always 5).  The only pair of the range is held by
 * another socket (another process, as far as the pool knows).
 */
START_TEST(test_uas_rtp_exhausted_retry_after)
{
	struct net_addr a;
	struct pc p;
	uint16_t port = free_pair();
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r;

	ck_assert_int_eq(net_addr_from_host(&a, "127.0.0.1", port), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a.ss, a.len), 0);
	tcfg.retry_after_s = 17; /* [sip] retry_after_s: the stack's, read by calls */
	tsx_layer_set_cfg(layer, &tcfg);
	calls_make(port, (uint16_t)(port + 1));
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	r = must_find(0, "SIP/2.0 503 No RTP Port Free\r\n", "CSeq: 1 INVITE");
	ck_assert(has((unsigned)r, "\r\nRetry-After: 17\r\n"));
	pc_learn(&p, (unsigned)r);
	pc_ack_failure(&p);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 503, "local");
	close(fd);
	drain();
}
END_TEST

START_TEST(test_uas_answer_delay)
{
	struct pc p;
	int ok;

	ccfg.answer_delay_ms = 300;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	ck_assert_uint_eq(n_sent, 1); /* the 180 */
	advance_to(299);
	ck_assert_uint_eq(n_sent, 1); /* the 180 silenced the IST's own 100 */
	advance_to(300);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert(starts(1, "SIP/2.0 200 OK\r\n"));
	ck_assert_uint_eq(sent[1].at, 300);
	ok = 1;
	pc_learn(&p, (unsigned)ok);
	pc_ack(&p, 1, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

/* §13.3.1.4: the 2xx again at T1, 2T1, 4T1 ... T2 until the ACK. */
START_TEST(test_uas_200_resent_until_ack)
{
	static const uint64_t times[] = {0, 500, 1500, 3500, 7500, 11500};
	struct pc p;

	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	advance_to(11999);
	ck_assert_uint_eq(count(0, "SIP/2.0 200 ", NULL), 6);
	for (unsigned i = 0, k = 0; i < n_sent; i++) {
		if (!starts(i, "SIP/2.0 200 "))
			continue;
		ck_assert_uint_eq(sent[i].at, times[k]);
		ck_assert_uint_eq(sent[i].len, sent[1].len);
		ck_assert(memcmp(sent[i].buf, sent[1].buf, sent[1].len) == 0);
		k++;
	}
	ck_assert(has(1, "\r\nServer: "));
	pc_learn(&p, 1);
	pc_ack(&p, 1, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	advance_to(60000);
	ck_assert_uint_eq(count(0, "SIP/2.0 200 ", NULL), 6);
	pc_req(&p, "BYE", 0, NULL);
	drain();
}
END_TEST

/* No ACK within 64*T1: BYE at 32 s; its 200 ends the call 408. */
START_TEST(test_uas_no_ack_bye)
{
	static const uint64_t times[] = {0,	500,   1500,  3500,  7500, 11500,
					 15500, 19500, 23500, 27500, 31500};
	struct pc p;
	int b;

	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	advance_to(31999);
	ck_assert_uint_eq(count(0, "SIP/2.0 200 ", NULL), 11);
	for (unsigned i = 0, k = 0; i < n_sent; i++)
		if (starts(i, "SIP/2.0 200 "))
			ck_assert_uint_eq(sent[i].at, times[k++]);
	ck_assert_int_eq(find(0, "BYE ", NULL), -1);
	advance_to(32000);
	b = must_find(0, "BYE sip:alice@127.0.0.1:5062 SIP/2.0\r\n", NULL);
	ck_assert_uint_eq(sent[b].at, 32000);
	ck_assert_uint_eq(count(0, "SIP/2.0 200 ", NULL), 11);
	ck_assert(has((unsigned)b, " BYE\r\n")); /* CSeq: random start (§12.2.1.1) */
	ck_assert(has((unsigned)b, p.call_id));
	/* No ended yet: it waits for the BYE's outcome. */
	check_ev(n_ev - 1, CALL_EV_STATE, "ringing", 180, NULL);
	advance_to(32010);
	respond((unsigned)b, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 408, "local");
	ck_assert_uint_eq(evs[n_ev - 1].at, 32010);
	ck_assert_uint_eq(calls_count(cs), 0);
	drain();
}
END_TEST

/*
 * §15: hung up after our 200 but before the ACK: no BYE yet, the 200 is
 * still resent; the ACK brings the BYE, and its 200 the end.
 */
START_TEST(test_uas_hangup_before_ack)
{
	struct pc p;
	int b;

	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	advance_to(100);
	ck_assert_int_eq(call_hangup(call_find(cs, "c1"), &why), 0);
	ck_assert_int_eq(call_hangup(call_find(cs, "c1"), &why), -EPERM);
	ck_assert_int_eq(why.kind, WHY_FAILED); /* the state, no argument, is at fault */
	ck_assert_ptr_null(why.arg);
	advance_to(1600);
	ck_assert_int_eq(find(0, "BYE ", NULL), -1);
	ck_assert_uint_eq(count(0, "SIP/2.0 200 ", NULL), 3); /* 0, 500, 1500 */
	pc_learn(&p, 1);
	pc_ack(&p, 1, NULL);
	b = must_find(0, "BYE sip:alice@127.0.0.1:5062 SIP/2.0\r\n", NULL);
	ck_assert_uint_eq(sent[b].at, 1600);
	advance_to(1610);
	respond((unsigned)b, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	ck_assert_str_eq(evs[n_ev - 1].reason, "hung up by the hangup command");
	advance_to(40000);
	ck_assert_uint_eq(count(0, "SIP/2.0 200 ", NULL), 3);
	drain();
}
END_TEST

/* §9.2: CANCEL -> 200 (with the INVITE's To tag) + 487; ended 487 by remote. */
START_TEST(test_uas_cancel)
{
	struct pc p;
	char t1[64], t2[64];
	int ok, r487;

	ccfg.answer = CALL_ANSWER_MANUAL;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	ck_assert_uint_eq(n_sent, 1);
	advance_to(1000);
	pc_cancel(&p);
	ok = must_find(1, "SIP/2.0 200 ", "CSeq: 1 CANCEL");
	r487 = must_find(1, "SIP/2.0 487 ", "CSeq: 1 INVITE");
	ck_assert_int_lt(ok, r487);
	ck_assert_uint_eq(sent[r487].at, 1000);
	to_tag_of(0, t1, sizeof(t1));
	to_tag_of((unsigned)ok, t2, sizeof(t2));
	ck_assert_str_eq(t1, t2);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 487, "remote");
	ck_assert_uint_eq(calls_count(cs), 0);
	ck_assert_uint_eq(calls_dialogs(cs), 0);
	pc_learn(&p, (unsigned)r487);
	pc_ack_failure(&p);
	drain();
	ck_assert_uint_eq(count(0, "SIP/2.0 487 ", NULL), 1); /* the ACK stopped Timer G */
}
END_TEST

START_TEST(test_uas_ring_timeout)
{
	struct pc p;
	int r;

	ccfg.answer = CALL_ANSWER_MANUAL;
	ccfg.ring_timeout_s = 5;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	advance_to(4999);
	ck_assert_uint_eq(n_sent, 1);
	advance_to(5000);
	r = must_find(1, "SIP/2.0 480 ", NULL);
	ck_assert_uint_eq(sent[r].at, 5000);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 480, "local");
	pc_learn(&p, (unsigned)r);
	pc_ack_failure(&p);
	drain();
}
END_TEST

/*
 * The 200 cannot be sent (the transport fails): the answer command says so
 * and the call ends 503 at once, nothing left behind; and the 200 that does
 * go is resent byte for byte from the transaction's copy, Server included.
 */
START_TEST(test_uas_answer_send_fails)
{
	struct pc p;
	struct call *c;

	ccfg.answer = CALL_ANSWER_MANUAL;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	c = call_find(cs, "c1");
	ck_assert_ptr_nonnull(c);
	send_fail = -ECONNRESET;
	ck_assert_int_eq(call_answer(c, &why), -EIO);
	ck_assert(strstr(why.msg, "could not be sent") != NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 503, "local");
	ck_assert_uint_eq(calls_count(cs), 0);
	send_fail = 0;
	drain();
}
END_TEST

START_TEST(test_uas_manual_answer)
{
	struct pc p;
	struct call *c;
	int ok;

	ccfg.answer = CALL_ANSWER_MANUAL;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	advance_to(60000); /* rings on; nothing more is sent (below ring_timeout_s) */
	ck_assert_uint_eq(n_sent, 1); /* the 180 alone: no 100 */
	c = call_find(cs, "c1");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(call_find(cs, "c2"));
	ck_assert_int_eq(call_answer(c, &why), 0);
	ok = must_find(1, "SIP/2.0 200 ", "CSeq: 1 INVITE");
	ck_assert_uint_eq(sent[ok].at, 60000);
	ck_assert(has((unsigned)ok, "m=audio "));
	ck_assert_int_eq(call_answer(c, &why), -EPERM);
	pc_learn(&p, (unsigned)ok);
	pc_ack(&p, 1, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

START_TEST(test_uas_reject)
{
	struct pc p;
	struct call *c;
	int r;

	ccfg.answer = CALL_ANSWER_MANUAL;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	c = call_find(cs, "c1");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(call_reject(c, 399, &why), -EINVAL);
	ck_assert_int_eq(why.kind, WHY_ARG);
	ck_assert_str_eq(why.arg, "code");
	ck_assert_str_eq(why.msg, "code 399: a rejection is 400..699");
	ck_assert_int_eq(call_reject(c, 700, &why), -EINVAL);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(calls_count(cs), 1);
	advance_to(10);
	ck_assert_int_eq(call_reject(c, 0, &why), 0); /* reject_code 486 */
	r = must_find(1, "SIP/2.0 486 ", NULL);
	ck_assert_uint_eq(sent[r].at, 10);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "local");
	ck_assert_uint_eq(calls_count(cs), 0);
	pc_learn(&p, (unsigned)r);
	pc_ack_failure(&p);
	drain();
}
END_TEST

/*
 * answer = reject: the final response is the only one, at once; no 100
 * Trying before it (§17.2.1: the TU answered within 200 ms) nor after.
 */
START_TEST(test_uas_answer_reject_no_100)
{
	struct pc p;

	ccfg.answer = CALL_ANSWER_REJECT;
	ccfg.reject_code = 603;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert(starts(0, "SIP/2.0 603 "));
	ck_assert_uint_eq(sent[0].at, 0);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 603, "local");
	advance_to(1000);
	ck_assert_int_eq(find(0, "SIP/2.0 100 ", NULL), -1);
	pc_learn(&p, 0);
	pc_ack_failure(&p);
	drain();
}
END_TEST

/* An INVITE without SDP: our offer in the 200, the answer in the ACK. */
START_TEST(test_uas_late_offer)
{
	struct pc p;
	struct call_info ci;
	int ok;

	pc_init(&p);
	pc_invite(&p, NULL);
	ok = must_find(0, "SIP/2.0 200 ", NULL);
	ck_assert(has((unsigned)ok, "RTP/AVP 0 8 101"));
	ck_assert(has((unsigned)ok, "a=sendrecv"));
	pc_learn(&p, (unsigned)ok);
	pc_ack(&p, 1, SDP_OFFER);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	call_info(call_find(cs, "c1"), &ci);
	ck_assert_str_eq(ci.codec, "PCMU");
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

START_TEST(test_uas_late_offer_no_answer)
{
	struct pc p;
	int ok, b;

	pc_init(&p);
	pc_invite(&p, NULL);
	ok = must_find(0, "SIP/2.0 200 ", NULL);
	pc_learn(&p, (unsigned)ok);
	advance_to(100);
	pc_ack(&p, 1, NULL);
	b = must_find(0, "BYE sip:alice@127.0.0.1:5062 ", NULL);
	ck_assert_uint_eq(sent[b].at, 100);
	check_ev(n_ev - 1, CALL_EV_STATE, "ringing", 180, NULL); /* never answered */
	respond((unsigned)b, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 400, "local");
	drain();
}
END_TEST

START_TEST(test_uas_488)
{
	struct pc p;
	int r;

	pc_init(&p);
	pc_invite(&p, SDP_G729);
	ck_assert_uint_eq(n_sent, 1);
	r = must_find(0, "SIP/2.0 488 ", NULL);
	ck_assert(has((unsigned)r, "\r\nWarning: 305 sipuad \"Incompatible media format\"\r\n"));
	ck_assert_uint_eq(n_ev, 2);
	check_ev(0, CALL_EV_INCOMING, NULL, 0, NULL);
	check_ev(1, CALL_EV_STATE, "ended", 488, "local");
	pc_learn(&p, (unsigned)r);
	pc_ack_failure(&p);
	drain();
}
END_TEST

START_TEST(test_uas_400_bad_sdp)
{
	struct pc p;
	int r;

	pc_init(&p);
	pc_invite(&p, "this is not SDP at all\r\n");
	ck_assert_uint_eq(n_sent, 1);
	r = must_find(0, "SIP/2.0 400 ", NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 400, "local");
	pc_learn(&p, (unsigned)r);
	pc_ack_failure(&p);
	drain();
}
END_TEST

/*
 * A body of a type we do not take, marked optional (RFC 3261 §20.11): the
 * UA core lets it through (no 415), and the call must ignore it too.
 */
#define NOTE_TYPE "Content-Type: text/plain\r\nContent-Disposition: render;handling=optional\r\n"
#define NOTE "v=0 is not what this says\r\n"

/*
 * An INVITE whose only body is an optional text/plain one carries no offer
 * (RFC 3264 reads offers from application/sdp only): it is a late-offer
 * INVITE, so our 200 offers and the ACK answers (§13.3.1), not "400 Bad SDP".
 */
START_TEST(test_uas_optional_body_late_offer)
{
	struct pc p;
	struct call_info ci;
	int ok;

	pc_init(&p);
	new_branch(p.inv_branch, sizeof(p.inv_branch));
	pc_send_typed(&p, "INVITE", p.inv_branch, 1, "INVITE", false, NOTE_TYPE, NOTE);
	ck_assert_int_eq(find(0, "SIP/2.0 400 ", NULL), -1);
	ok = must_find(0, "SIP/2.0 200 ", "CSeq: 1 INVITE");
	ck_assert(has((unsigned)ok, "\r\nContent-Type: application/sdp\r\n"));
	ck_assert(has((unsigned)ok, "RTP/AVP 0 8 101"));
	ck_assert(has((unsigned)ok, "a=sendrecv"));
	pc_learn(&p, (unsigned)ok);
	pc_ack(&p, 1, SDP_OFFER);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	call_info(call_find(cs, "c1"), &ci);
	ck_assert_str_eq(ci.codec, "PCMU");
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

/*
 * Our offer was in the 200; an ACK whose only body is an optional
 * text/plain one carries no answer (§13.3.1): the call ends with BYE as
 * for an ACK without a body, and the reason says no SDP came, not that
 * the note did not parse as SDP.
 */
START_TEST(test_uas_ack_optional_body_no_answer)
{
	struct pc p;
	char br[40];
	int ok, b;

	pc_init(&p);
	pc_invite(&p, NULL);
	ok = must_find(0, "SIP/2.0 200 ", NULL);
	pc_learn(&p, (unsigned)ok);
	advance_to(100);
	new_branch(br, sizeof(br));
	pc_send_typed(&p, "ACK", br, 1, "ACK", true, NOTE_TYPE, NOTE);
	b = must_find(0, "BYE sip:alice@127.0.0.1:5062 ", NULL);
	ck_assert_uint_eq(sent[b].at, 100);
	check_ev(n_ev - 1, CALL_EV_STATE, "ringing", 180, NULL); /* never answered */
	respond((unsigned)b, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 400, "local");
	ck_assert_str_eq(evs[n_ev - 1].reason, "the ACK carried no usable SDP answer: no SDP");
	drain();
}
END_TEST

/*
 * The same in a re-INVITE: no offer in it, so our 200 offers (§14.2) and
 * the ACK's SDP answers; the call goes on.
 */
START_TEST(test_uas_reinvite_optional_body)
{
	struct pc p;
	struct call_info ci;
	char br[40];
	int ok;
	unsigned before;

	pc_established(&p);
	before = n_sent;
	new_branch(br, sizeof(br));
	pc_send_typed(&p, "INVITE", br, ++p.cseq, "INVITE", true, NOTE_TYPE, NOTE);
	ck_assert_int_eq(find(before, "SIP/2.0 400 ", NULL), -1);
	ok = must_find(before, "SIP/2.0 200 ", "CSeq: 2 INVITE");
	ck_assert(has((unsigned)ok, "\r\nContent-Type: application/sdp\r\n"));
	ck_assert(has((unsigned)ok, "RTP/AVP 0 8 101"));
	before = n_sent;
	pc_ack(&p, 2, SDP_V("2", "sendrecv"));
	ck_assert_int_eq(find(before, "BYE ", NULL), -1);
	call_info(call_find(cs, "c1"), &ci);
	ck_assert_str_eq(ci.state, "established");
	ck_assert_str_eq(ci.codec, "PCMU");
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

/* BYE outside any dialog: 481. */
START_TEST(test_uas_bye_481)
{
	struct pc p;

	pc_init(&p);
	snprintf(p.ttag, sizeof(p.ttag), "nosuch");
	pc_req(&p, "BYE", 0, NULL);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert(starts(0, "SIP/2.0 481 "));
	ck_assert_uint_eq(n_ev, 0);
	drain();
}
END_TEST

/* re-INVITE sendonly -> 200 recvonly, held by remote; sendrecv -> resumed. */
START_TEST(test_uas_reinvite_hold)
{
	struct pc p;
	int ok;
	unsigned before;

	pc_established(&p);
	before = n_sent;
	advance_to(1000);
	pc_req(&p, "INVITE", 0, SDP_V("2", "sendonly"));
	ok = must_find(before, "SIP/2.0 200 ", "CSeq: 2 INVITE");
	ck_assert(has((unsigned)ok, "a=recvonly"));
	ck_assert(has((unsigned)ok, "\r\nContact: <sip:sipuad@127.0.0.1:5060>\r\n"));
	check_ev(n_ev - 1, CALL_EV_STATE, "held", 0, "remote");
	pc_ack(&p, 2, NULL);
	before = n_sent;
	pc_req(&p, "INVITE", 0, SDP_V("3", "sendrecv"));
	ok = must_find(before, "SIP/2.0 200 ", "CSeq: 3 INVITE");
	ck_assert(has((unsigned)ok, "a=sendrecv"));
	check_ev(n_ev - 1, CALL_EV_STATE, "resumed", 0, "remote");
	pc_ack(&p, 3, NULL);
	advance_to(40000);
	ck_assert_uint_eq(count(0, "SIP/2.0 200 ", "CSeq: 3 INVITE"), 1);
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

/*
 * A re-INVITE that changes the codec (PCMU -> PCMA, new port): answered
 * with PCMA, the session follows; a later re-INVITE that repeats the
 * offer leaves our o= version alone (RFC 3264 §8).
 */
START_TEST(test_uas_reinvite_codec_change)
{
	static const char pcma[] =
	    "v=0\r\no=alice 42 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=audio 30002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n";
	struct pc p;
	struct call_info ci;
	int ok, ok2;
	unsigned before;

	pc_established(&p);
	before = n_sent;
	advance_to(1000);
	pc_req(&p, "INVITE", 0, pcma);
	ok = must_find(before, "SIP/2.0 200 ", "CSeq: 2 INVITE");
	ck_assert(has((unsigned)ok, "RTP/AVP 8\r\n"));
	ck_assert(has((unsigned)ok, "a=rtpmap:8 PCMA/8000"));
	ck_assert(!has((unsigned)ok, "PCMU"));
	ck_assert(has((unsigned)ok, "o=sipuad "));
	pc_ack(&p, 2, NULL);
	call_info(call_find(cs, "c1"), &ci);
	ck_assert_str_eq(ci.codec, "PCMA");
	ck_assert_str_eq(ci.remote_rtp, "127.0.0.1:30002");
	/* The same offer again: the same answer, o= version unchanged. */
	before = n_sent;
	pc_req(&p, "INVITE", 0, pcma);
	ok2 = must_find(before, "SIP/2.0 200 ", "CSeq: 3 INVITE");
	ck_assert(strstr(sent[ok2].buf, "o=sipuad ") != NULL);
	ck_assert(strncmp(strstr(sent[ok].buf, "o=sipuad "), strstr(sent[ok2].buf, "o=sipuad "),
			  strcspn(strstr(sent[ok].buf, "o=sipuad "), "\r")) == 0);
	pc_ack(&p, 3, NULL);
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

/* §14.2 glare: their re-INVITE while ours is pending gets 491. */
/*
 * Bad offers in a re-INVITE refuse only the re-INVITE (400, 488 +
 * Warning); the call and its session go on, and a good re-INVITE after
 * them is answered.
 */
START_TEST(test_uas_reinvite_bad_offers)
{
	struct pc p;
	struct call_info ci;
	int r;
	unsigned before;

	pc_established(&p);
	before = n_sent;
	pc_req(&p, "INVITE", 0, "v=0\r\nnot sdp at all\r\n");
	r = must_find(before, "SIP/2.0 400 Bad SDP: ", "CSeq: 2 INVITE");
	(void)r;
	before = n_sent;
	pc_req(&p, "INVITE", 0, SDP_G729);
	r = must_find(before, "SIP/2.0 488 ", "CSeq: 3 INVITE");
	ck_assert(has((unsigned)r, "\r\nWarning: 305 sipuad \"Incompatible media format\"\r\n"));
	call_info(call_find(cs, "c1"), &ci);
	ck_assert_str_eq(ci.state, "established");
	ck_assert_str_eq(ci.codec, "PCMU");
	before = n_sent;
	pc_req(&p, "INVITE", 0, SDP_V("2", "sendonly"));
	r = must_find(before, "SIP/2.0 200 ", "CSeq: 4 INVITE");
	ck_assert(has((unsigned)r, "a=recvonly"));
	pc_ack(&p, 4, NULL);
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

START_TEST(test_uas_reinvite_glare_491)
{
	struct pc p;
	struct call *c;
	int re, r491, ack, bye;
	unsigned before;

	pc_established(&p);
	c = call_find(cs, "c1");
	before = n_sent;
	ck_assert_int_eq(call_hold(c, true, &why), 0);
	re = must_find(before, "INVITE sip:alice@127.0.0.1:5062 SIP/2.0\r\n", NULL);
	ck_assert(has((unsigned)re, "a=sendonly"));
	pc_req(&p, "INVITE", 0, SDP_V("2", "sendrecv"));
	r491 = must_find(before, "SIP/2.0 491 ", "CSeq: 2 INVITE");
	(void)r491;
	respond((unsigned)re, 200, NULL, "<sip:alice@127.0.0.1:5062>", SDP_V("2", "recvonly"),
		NULL);
	ack = must_find(before, "ACK sip:alice@127.0.0.1:5062 ", NULL);
	ck_assert_int_gt(ack, re);
	check_ev(n_ev - 1, CALL_EV_STATE, "held", 200, "local");
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE sip:alice@127.0.0.1:5062 ", NULL);
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

/* §12.2.2: a CSeq lower than the last: 500. */
START_TEST(test_uas_reinvite_lower_cseq_500)
{
	struct pc p;
	unsigned before, nev;
	int r;

	pc_init(&p);
	p.cseq = 5;
	pc_invite(&p, SDP_OFFER);
	pc_learn(&p, 1);
	pc_ack(&p, 5, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	before = n_sent;
	nev = n_ev;
	pc_req(&p, "INVITE", 4, SDP_V("2", "sendonly"));
	r = must_find(before, "SIP/2.0 500 CSeq Out Of Order\r\n", "CSeq: 4 INVITE");
	(void)r;
	ck_assert_uint_eq(n_ev, nev);
	ck_assert_uint_eq(calls_count(cs), 1);
	p.cseq = 5;
	pc_req(&p, "BYE", 0, NULL);
	must_find(before, "SIP/2.0 200 ", "CSeq: 6 BYE");
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

/* §14.2: an INVITE while our 2xx to the previous one waits for its ACK: 500 + Retry-After. */
START_TEST(test_uas_reinvite_before_ack_500)
{
	struct pc p;
	unsigned before, nev;
	int r;

	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	pc_learn(&p, 1);
	advance_to(100);
	before = n_sent;
	nev = n_ev;
	pc_req(&p, "INVITE", 0, SDP_V("2", "sendonly"));
	r = must_find(before, "SIP/2.0 500 ", "CSeq: 2 INVITE");
	ck_assert(has((unsigned)r, "\r\nRetry-After: "));
	ck_assert_uint_eq(n_ev, nev);
	pc_ack(&p, 1, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
}
END_TEST

START_TEST(test_uas_max_calls_503)
{
	struct pc p, q;
	int r;
	unsigned nev;

	ccfg.max_calls = 1;
	ccfg.answer = CALL_ANSWER_MANUAL;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	nev = n_ev;
	pc_init(&q);
	pc_invite(&q, SDP_OFFER);
	r = must_find(1, "SIP/2.0 503 ", NULL);
	ck_assert(has((unsigned)r, "\r\nRetry-After: 5\r\n"));
	ck_assert(has((unsigned)r, q.call_id));
	ck_assert_uint_eq(n_ev, nev);
	ck_assert_uint_eq(calls_count(cs), 1);
	pc_learn(&q, (unsigned)r);
	pc_ack_failure(&q);
	pc_cancel(&p);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 487, "remote");
	pc_learn(&p, 0);
	pc_ack_failure(&p);
	drain();
}
END_TEST

/* calls_shutdown(): BYE for the established call, 480 for the ringing one; then 503. */
START_TEST(test_uas_shutdown)
{
	struct pc p, q, r;
	struct call *c1;
	struct why pw;
	int ok, b, r480, r503;
	unsigned before;

	ccfg.answer = CALL_ANSWER_MANUAL;
	set_cfg();
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	c1 = call_find(cs, "c1");
	ck_assert_int_eq(call_answer(c1, &why), 0);
	ok = must_find(0, "SIP/2.0 200 ", NULL);
	pc_learn(&p, (unsigned)ok);
	pc_ack(&p, 1, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	pc_init(&q);
	pc_invite(&q, SDP_OFFER);
	ck_assert_uint_eq(calls_count(cs), 2);
	before = n_sent;
	advance_to(500);
	calls_shutdown(cs);
	b = must_find(before, "BYE sip:alice@127.0.0.1:5062 ", p.call_id);
	r480 = must_find(before, "SIP/2.0 480 ", q.call_id);
	ck_assert_uint_eq(sent[b].at, 500);
	ck_assert_uint_eq(sent[r480].at, 500);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 480, "local");
	ck_assert_str_eq(evs[n_ev - 1].handle, "c2");
	ck_assert_uint_eq(calls_count(cs), 1);
	/* New calls are refused now. */
	pc_init(&r);
	pc_invite(&r, SDP_OFFER);
	r503 = must_find(before, "SIP/2.0 503 ", r.call_id);
	ck_assert(has((unsigned)r503, "Retry-After:"));
	ck_assert_int_eq(call_place(cs, BOB, NULL, NULL, 0, &c1, &pw), -ECANCELED);
	ck_assert_int_eq(pw.kind, WHY_FAILED);
	ck_assert_ptr_null(pw.arg);
	respond((unsigned)b, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	ck_assert_str_eq(evs[n_ev - 1].handle, "c1");
	ck_assert_uint_eq(calls_count(cs), 0);
	pc_learn(&q, (unsigned)r480);
	pc_ack_failure(&q);
	pc_learn(&r, (unsigned)r503);
	pc_ack_failure(&r);
	drain();
}
END_TEST

/* ---------------- UAC ---------------- */

START_TEST(test_uac_invite_sent)
{
	struct call *c = place(BOB);
	struct sip_msg *m;
	struct msg_err e;
	char a[NET_ADDR_STRLEN], *uri = NULL;
	const char *mline;
	unsigned port;

	ck_assert_uint_eq(n_sent, 1);
	ck_assert_str_eq(call_handle(c), "c1");
	ck_assert(starts(0, "INVITE " BOB " SIP/2.0\r\n"));
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.addr, a, sizeof(a)), "127.0.0.1:5062");
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.local, a, sizeof(a)), "127.0.0.1:5060");
	m = parse(sent[0].buf, sent[0].len);
	m->src.proto = NET_UDP;
	ck_assert_msg(msg_check_request(m, &e), "%d %s", e.code, e.reason);
	ck_assert_str_eq(msg_header(m, "Max-Forwards", NULL), "70");
	ck_assert_int_eq(msg_ruri(m, &uri), 0);
	ck_assert_str_eq(uri, BOB);
	free(uri);
	ck_assert_uint_eq(m->cseq, 1);
	ck_assert_ptr_null(m->to_tag);
	ck_assert_ptr_nonnull(m->from_tag);
	msg_free(m);
	ck_assert(has(0, "\r\nMax-Forwards: 70\r\n"));
	ck_assert(has(0, "\r\nContact: <sip:sipuad@127.0.0.1:5060>\r\n"));
	ck_assert(has(0, "\r\nUser-Agent: sipuad/test\r\n"));
	ck_assert(has(0, "\r\nContent-Type: application/sdp\r\n"));
	ck_assert(has(0, "\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK"));
	ck_assert(has(0, "\r\nFrom: <sip:sipuad@127.0.0.1>;tag="));
	ck_assert(has(0, "\r\nc=IN IP4 127.0.0.1\r\n"));
	ck_assert(has(0, "a=rtpmap:0 PCMU/8000"));
	ck_assert(has(0, "a=rtpmap:8 PCMA/8000"));
	ck_assert(has(0, "a=rtpmap:101 telephone-event/8000"));
	ck_assert(has(0, "a=sendrecv"));
	mline = strstr(sent[0].buf, "\r\nm=audio ");
	ck_assert_ptr_nonnull(mline);
	ck_assert_int_eq(sscanf(mline, "\r\nm=audio %u RTP/AVP 0 8 101\r\n", &port), 1);
	ck_assert_uint_ge(port, RTP_MIN);
	ck_assert_uint_le(port, RTP_MAX);
	ck_assert_uint_eq(port % 2, 0);
	ck_assert_ptr_nonnull(strstr(mline, "RTP/AVP 0 8 101\r\n"));
	ck_assert_uint_eq(n_ev, 1);
	check_ev(0, CALL_EV_STATE, "calling", 0, NULL);
	ck_assert_uint_eq(calls_rtp_in_use(cs), 1);
	respond(0, 486, "b1", NULL, NULL, NULL);
	drain();
}
END_TEST

/* 180 -> ringing; 200 -> ACK, answered; the 200 again -> the same ACK again. */
START_TEST(test_uac_answered)
{
	struct call *c = place(BOB);
	struct call_info ci;
	int ack, ack2, ack3, bye;
	unsigned before;

	advance_to(50);
	respond(0, 180, "b1", BOB_CT, NULL, NULL);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ringing", 180, NULL);
	ck_assert_uint_eq(calls_dialogs(cs), 1); /* early */
	advance_to(100);
	respond(0, 200, "b1", BOB_CT, SDP_OFFER, NULL);
	ack = must_find(1, "ACK " BOB " SIP/2.0\r\n", NULL);
	ck_assert_uint_eq(sent[ack].at, 100);
	ck_assert(has((unsigned)ack, "CSeq: 1 ACK"));
	ck_assert(has((unsigned)ack, ";tag=b1"));
	ck_assert(!has((unsigned)ack, "Content-Type"));
	ck_assert_uint_eq(n_ev, 3);
	check_ev(2, CALL_EV_STATE, "answered", 200, NULL);
	call_info(c, &ci);
	ck_assert_str_eq(ci.state, "established");
	ck_assert_str_eq(ci.codec, "PCMU");
	ck_assert_str_eq(ci.remote_tag, "b1");
	ck_assert_uint_eq(calls_dialogs(cs), 1);
	/* The 2xx again (ICT Accepted): the same ACK. */
	advance_to(600);
	respond(0, 200, "b1", BOB_CT, SDP_OFFER, NULL);
	ack2 = must_find((unsigned)ack + 1, "ACK ", NULL);
	ck_assert_uint_eq(sent[ack2].at, 600);
	ck_assert_uint_eq(sent[ack2].len, sent[ack].len);
	ck_assert(memcmp(sent[ack2].buf, sent[ack].buf, sent[ack].len) == 0);
	/* After Timer M the layer calls it stray: ACKed again all the same. */
	advance_to(40000);
	respond(0, 200, "b1", BOB_CT, SDP_OFFER, NULL);
	ack3 = must_find((unsigned)ack2 + 1, "ACK ", NULL);
	ck_assert(memcmp(sent[ack3].buf, sent[ack].buf, sent[ack].len) == 0);
	ck_assert_uint_eq(n_ev, 3);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE " BOB " SIP/2.0\r\n", "CSeq: 2 BYE");
	ck_assert_uint_eq(n_ev, 3);
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(3, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

/*
 * Responses read their answer from an application/sdp body only: a 180
 * with a text/plain body is ringing (not early media, no SDP taken), and a
 * 200 whose only body is text/plain carries no answer to our offer: BYE,
 * saying no SDP came.
 */
START_TEST(test_uac_non_sdp_bodies)
{
	struct call *c = place(BOB);
	struct call_info ci;
	int bye;

	respond_typed(0, 180, "b1", BOB_CT, "text/plain", "v=0\r\n", NULL);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ringing", 180, NULL);
	call_info(c, &ci);
	ck_assert_str_eq(ci.state, "ringing");
	respond_typed(0, 200, "b1", BOB_CT, "text/plain", SDP_OFFER, NULL);
	must_find(1, "ACK " BOB " ", "CSeq: 1 ACK");
	bye = must_find(1, "BYE " BOB " ", "CSeq: 2 BYE");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 488, "local");
	ck_assert_str_eq(evs[n_ev - 1].reason, "the 2xx carried no usable SDP answer: no SDP");
	drain();
}
END_TEST

/* §13.2.2.4: a 2xx from another fork: ACK and BYE for it; the call keeps the first. */
START_TEST(test_uac_second_fork)
{
	struct call *c = placed_established();
	struct call_info ci;
	int ack, bye;
	unsigned before = n_sent, nev = n_ev;

	respond(0, 200, "b2", "<sip:bob2@127.0.0.1:5062>", SDP_OFFER, NULL);
	ack = must_find(before, "ACK sip:bob2@127.0.0.1:5062 ", ";tag=b2");
	bye = must_find(before, "BYE sip:bob2@127.0.0.1:5062 ", ";tag=b2");
	ck_assert_int_lt(ack, bye);
	ck_assert_uint_eq(n_ev, nev);
	ck_assert_uint_eq(calls_count(cs), 1);
	call_info(c, &ci);
	ck_assert_str_eq(ci.state, "established");
	ck_assert_str_eq(ci.remote_tag, "b1");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(n_ev, nev);
	ck_assert_uint_eq(calls_dialogs(cs), 1);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE " BOB " ", ";tag=b1");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

/* 486 -> ended 486 by remote; the ICT ACKs it on the INVITE's branch. */
/*
 * A second fork's 2xx whose ACK cannot be sent: its BYE still goes (the
 * fork's callee holds a call only the BYE ends), and the one log line says
 * the ACK did not go instead of "ACKed".
 */
START_TEST(test_uac_second_fork_ack_fails)
{
	struct call *c = placed_established();
	char log[4096];
	unsigned before = n_sent;
	int bye;

	send_fail = -ENETUNREACH;
	fail_prefix = "ACK ";
	log_capture_start();
	respond(0, 200, "b2", "<sip:bob2@127.0.0.1:5062>", SDP_OFFER, NULL);
	log_capture_stop(log, sizeof(log));
	ck_assert_int_eq(find(before, "ACK ", NULL), -1);
	bye = must_find(before, "BYE sip:bob2@127.0.0.1:5062 ", ";tag=b2");
	ck_assert_msg(strstr(log, "c1: 2xx from a second fork (tag b2): ACK not sent: ") != NULL,
		      "log: %s", log);
	ck_assert_msg(strstr(log, "ACKed") == NULL, "log: %s", log);
	send_fail = 0;
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE " BOB " ", ";tag=b1");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

START_TEST(test_uac_486)
{
	struct sip_msg *inv, *ack;
	int a;

	place(BOB);
	advance_to(20);
	respond(0, 486, "b1", NULL, NULL, NULL);
	a = must_find(1, "ACK " BOB " SIP/2.0\r\n", NULL);
	ck_assert_uint_eq(sent[a].at, 20);
	inv = parse(sent[0].buf, sent[0].len);
	ack = parse(sent[a].buf, sent[a].len);
	ck_assert_str_eq(ack->branch, inv->branch);
	ck_assert_str_eq(ack->to_tag, "b1");
	ck_assert_uint_eq(ack->cseq, 1);
	msg_free(inv);
	msg_free(ack);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ended", 486, "remote");
	ck_assert_str_eq(evs[1].reason, "Busy Here");
	ck_assert_uint_eq(calls_count(cs), 0);
	drain();
}
END_TEST

/* Timer B: no response at all -> ended 408 at 64*T1. */
START_TEST(test_uac_timer_b)
{
	static const uint64_t times[] = {0, 500, 1500, 3500, 7500, 15500, 31500};

	place(BOB);
	advance_to(31999);
	ck_assert_uint_eq(n_sent, 7);
	for (unsigned i = 0; i < 7; i++) {
		ck_assert(starts(i, "INVITE "));
		ck_assert_uint_eq(sent[i].at, times[i]);
	}
	ck_assert_uint_eq(n_ev, 1);
	advance_to(32000);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ended", 408, "local");
	ck_assert_uint_eq(evs[1].at, 32000);
	ck_assert_uint_eq(n_sent, 7);
	drain();
}
END_TEST

/* §9.1: no CANCEL before a provisional; the 180 brings it; 487 -> ended with the hangup's code. */
START_TEST(test_uac_hangup_before_provisional)
{
	struct call *c = place(BOB);
	int cancel, ack;

	advance_to(100);
	ck_assert_int_eq(call_hangup(c, &why), 0);
	ck_assert_uint_eq(n_ev, 1);
	advance_to(1000);
	ck_assert_int_eq(find(0, "CANCEL ", NULL), -1);
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 2); /* Timer A at 500 */
	respond(0, 180, "b1", BOB_CT, NULL, NULL);
	cancel = must_find(0, "CANCEL " BOB " SIP/2.0\r\n", "CSeq: 1 CANCEL");
	ck_assert_uint_eq(sent[cancel].at, 1000);
	ck_assert_uint_eq(n_ev, 1); /* no ringing for a call being cancelled */
	advance_to(1010);
	respond((unsigned)cancel, 200, NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(n_ev, 1);
	respond(0, 487, "b1", NULL, NULL, NULL);
	ack = must_find((unsigned)cancel, "ACK " BOB " ", NULL);
	ck_assert_uint_eq(sent[ack].at, 1010);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ended", 487, "local");
	ck_assert_str_eq(evs[1].reason, "cancelled by the hangup command");
	drain();
}
END_TEST

/* The 200 crosses our CANCEL: ACK, then BYE. */
START_TEST(test_uac_hangup_200_race)
{
	struct call *c = place(BOB);
	int cancel, ack, bye;

	respond(0, 180, "b1", BOB_CT, NULL, NULL);
	advance_to(200);
	ck_assert_int_eq(call_hangup(c, &why), 0);
	cancel = must_find(0, "CANCEL ", NULL);
	ck_assert_uint_eq(sent[cancel].at, 200);
	advance_to(210);
	respond(0, 200, "b1", BOB_CT, SDP_OFFER, NULL);
	ack = must_find(0, "ACK " BOB " ", "CSeq: 1 ACK");
	bye = must_find(0, "BYE " BOB " ", "CSeq: 2 BYE");
	ck_assert_int_lt(ack, bye);
	ck_assert_uint_eq(sent[bye].at, 210);
	ck_assert(has((unsigned)bye, ";tag=b1"));
	respond((unsigned)cancel, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ringing", 180, NULL);
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 487, "local");
	/* ended always has a reason: the hangup's. */
	ck_assert_str_eq(evs[n_ev - 1].reason, "cancelled by the hangup command");
	drain();
}
END_TEST

/* CANCEL answered but the INVITE never is: ended 64*T1 after the CANCEL. */
START_TEST(test_uac_cancel_no_final)
{
	struct call *c = place(BOB);
	int cancel;

	respond(0, 180, "b1", BOB_CT, NULL, NULL);
	advance_to(1000);
	ck_assert_int_eq(call_hangup(c, &why), 0);
	cancel = must_find(0, "CANCEL ", NULL);
	ck_assert_uint_eq(sent[cancel].at, 1000);
	respond((unsigned)cancel, 200, NULL, NULL, NULL, NULL);
	advance_to(1000 + 64 * T1 - 1);
	check_ev(n_ev - 1, CALL_EV_STATE, "ringing", 180, NULL);
	ck_assert_uint_eq(calls_count(cs), 1);
	advance_to(1000 + 64 * T1);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 487, "local");
	ck_assert_uint_eq(evs[n_ev - 1].at, 1000 + 64 * T1);
	ck_assert_uint_eq(calls_count(cs), 0);
	drain();
}
END_TEST

/* §8.1.3.4: 302 with two Contacts: the q=1.0 one first, CSeq + 1; then the other. */
START_TEST(test_uac_redirect)
{
	static const char *const hdrs[] = {"Contact", "<sip:carol@127.0.0.1:5064>;q=0.5",
					   "Contact", "<sip:dave@127.0.0.1:5066>;q=1.0", NULL};
	struct sip_msg *a, *b;
	char ad[NET_ADDR_STRLEN];
	int ack, i2, i3;

	place(BOB);
	advance_to(10);
	respond(0, 302, "r1", NULL, NULL, hdrs);
	ack = must_find(1, "ACK " BOB " ", "CSeq: 1 ACK");
	ck_assert_uint_eq(sent[ack].at, 10);
	i2 = must_find(1, "INVITE ", NULL);
	ck_assert_uint_eq(sent[i2].at, 10);
	ck_assert(starts((unsigned)i2, "INVITE sip:dave@127.0.0.1:5066 SIP/2.0\r\n"));
	ck_assert(has((unsigned)i2, "\r\nCSeq: 2 INVITE\r\n"));
	ck_assert(has((unsigned)i2, "m=audio "));
	ck_assert_str_eq(net_addr_fmt(&sent[i2].d.addr, ad, sizeof(ad)), "127.0.0.1:5066");
	a = parse(sent[0].buf, sent[0].len);
	b = parse(sent[i2].buf, sent[i2].len);
	ck_assert_str_eq(a->call_id, b->call_id);
	ck_assert_str_eq(a->from_tag, b->from_tag);
	ck_assert_ptr_null(b->to_tag);
	ck_assert_str_ne(a->branch, b->branch);
	msg_free(a);
	msg_free(b);
	ck_assert_uint_eq(n_ev, 1); /* still calling */
	respond((unsigned)i2, 486, "d1", NULL, NULL, NULL);
	i3 = must_find((unsigned)i2 + 1, "INVITE ", NULL);
	ck_assert(starts((unsigned)i3, "INVITE sip:carol@127.0.0.1:5064 SIP/2.0\r\n"));
	ck_assert(has((unsigned)i3, "\r\nCSeq: 3 INVITE\r\n"));
	ck_assert_uint_eq(n_ev, 1);
	respond((unsigned)i3, 486, "c1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "remote");
	drain();
}
END_TEST

/* hold: re-INVITE sendonly; 491 -> retried after 2.1..4 s; 200 recvonly -> held by local. */
/*
 * §14.1: a re-INVITE answered 481 ends the call (the peer lost the
 * dialog: no BYE); answered 408 ends it with BYE; any other failure (488)
 * keeps the session as it was, told by a call.update event.
 */
START_TEST(test_uac_reinvite_failures)
{
	struct call *c = placed_established();
	struct call_info ci;
	int re, bye;
	unsigned before;

	advance_to(1000);
	before = n_sent;
	ck_assert_int_eq(call_hold(c, true, &why), 0);
	re = must_find(before, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 2 INVITE");
	respond((unsigned)re, 488, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_UPDATE, NULL, 488, NULL);
	ck_assert_str_eq(evs[n_ev - 1].what, "hold");
	call_info(c, &ci);
	ck_assert(!ci.local_hold);
	ck_assert_str_eq(ci.state, "established");
	/* 408: BYE, and the call ends 408 once the BYE is answered. */
	advance_to(2000);
	before = n_sent;
	ck_assert_int_eq(call_hold(c, true, &why), 0);
	re = must_find(before, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 3 INVITE");
	respond((unsigned)re, 408, NULL, NULL, NULL, NULL);
	bye = must_find((unsigned)re + 1, "BYE " BOB " ", "CSeq: 4 BYE");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 408, "local");
	drain();
}
END_TEST

/*
 * Hold, then resume while the hold re-INVITE's transaction still waits out
 * Timer M, then hang up: the older transaction must not call back into the
 * freed call when its Timer M fires (found by ASan in calls_uac).
 */
START_TEST(test_uac_hold_resume_within_timer_m)
{
	struct call *c = placed_established();
	int re, bye;
	unsigned before;

	advance_to(1000);
	before = n_sent;
	ck_assert_int_eq(call_hold(c, true, &why), 0);
	re = must_find(before, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 2 INVITE");
	respond((unsigned)re, 200, NULL, BOB_CT, SDP_V("2", "recvonly"), NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "held", 200, "local");
	advance_to(1100);
	before = n_sent;
	ck_assert_int_eq(call_hold(c, false, &why), 0);
	re = must_find(before, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 3 INVITE");
	respond((unsigned)re, 200, NULL, BOB_CT, SDP_V("3", "sendrecv"), NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "resumed", 200, "local");
	advance_to(1200);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE " BOB " ", "CSeq: 4 BYE");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain(); /* both re-INVITE transactions run out their Timer M */
}
END_TEST

START_TEST(test_uac_reinvite_481)
{
	struct call *c = placed_established();
	int re;
	unsigned before;

	advance_to(1000);
	before = n_sent;
	ck_assert_int_eq(call_hold(c, true, &why), 0);
	re = must_find(before, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 2 INVITE");
	before = n_sent;
	respond((unsigned)re, 481, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 481, "remote");
	ck_assert_int_eq(find(before, "BYE ", NULL), -1);
	ck_assert_uint_eq(calls_count(cs), 0);
	drain();
}
END_TEST

START_TEST(test_uac_hold_491_retry)
{
	struct call *c = placed_established();
	struct call_info ci;
	int re, re2, ack, bye;
	unsigned before;
	uint64_t t491;

	advance_to(1000);
	before = n_sent;
	ck_assert_int_eq(call_hold(c, true, &why), 0);
	re = must_find(before, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 2 INVITE");
	ck_assert(has((unsigned)re, ";tag=b1"));
	ck_assert(has((unsigned)re, "a=sendonly"));
	ck_assert(has((unsigned)re, "\r\nContact: <sip:sipuad@127.0.0.1:5060>\r\n"));
	ck_assert_int_eq(call_hold(c, true, &why), -EBUSY);
	ck_assert_int_eq(call_hold(c, false, &why), -EBUSY);
	advance_to(1100);
	respond((unsigned)re, 491, NULL, NULL, NULL, NULL);
	t491 = now();
	must_find((unsigned)re + 1, "ACK " BOB " ", "CSeq: 2 ACK");
	ck_assert_int_eq(call_hold(c, true, &why), -EBUSY); /* retry pending */
	advance_to(t491 + 2099);
	ck_assert_int_eq(find((unsigned)re + 1, "INVITE ", NULL), -1);
	advance_to(t491 + 4000);
	re2 = must_find((unsigned)re + 1, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 3 INVITE");
	ck_assert_uint_ge(sent[re2].at, t491 + 2100);
	ck_assert_uint_le(sent[re2].at, t491 + 4000);
	ck_assert(has((unsigned)re2, "a=sendonly"));
	/* Only the new CSeq 3 goes (Timer A may have resent it). */
	ck_assert_uint_eq(count((unsigned)re + 1, "INVITE ", "CSeq: 2 INVITE"), 0);
	ck_assert_uint_eq(count((unsigned)re + 1, "INVITE ", NULL),
			  count((unsigned)re + 1, "INVITE ", "CSeq: 3 INVITE"));
	advance_to(now() + 20);
	respond((unsigned)re2, 200, NULL, BOB_CT, SDP_V("2", "recvonly"), NULL);
	ack = must_find((unsigned)re2 + 1, "ACK " BOB " ", "CSeq: 3 ACK");
	(void)ack;
	check_ev(n_ev - 1, CALL_EV_STATE, "held", 200, "local");
	call_info(c, &ci);
	ck_assert(ci.local_hold);
	ck_assert(!ci.remote_hold);
	ck_assert_int_eq(call_hold(c, true, &why), -EALREADY);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE " BOB " ", "CSeq: 4 BYE");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

START_TEST(test_uac_headers)
{
	static const char *const ok[] = {"X-A: 1"};
	static const char *const via[] = {"Via: x"};
	static const char *const bad[] = {"bad"};
	struct call *c = NULL;
	struct why w;

	ck_assert_int_eq(call_place(cs, BOB, NULL, ok, 1, &c, &w), 0);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert(has(0, "\r\nX-A: 1\r\n"));
	c = NULL;
	/* The argument at fault is said as such, not left to be read from the text. */
	ck_assert_int_eq(call_place(cs, BOB, NULL, via, 1, &c, &w), -EINVAL);
	ck_assert_int_eq(w.kind, WHY_ARG);
	ck_assert_str_eq(w.arg, "header");
	ck_assert_str_eq(w.msg, "header 'Via': sipuad sets it itself");
	ck_assert_int_eq(call_place(cs, BOB, NULL, bad, 1, &c, &w), -EINVAL);
	ck_assert_int_eq(w.kind, WHY_ARG);
	ck_assert_str_eq(w.arg, "header");
	ck_assert_str_eq(w.msg, "header 'bad': expected 'Name: value'");
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(calls_count(cs), 1);
	ck_assert_uint_eq(n_ev, 1);
	respond(0, 486, "b1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "remote");
	drain();
}
END_TEST

/* call_place() says which argument it refuses, and what kind of refusal it is. */
START_TEST(test_uac_place_refused)
{
	static const char *const ok[] = {"X-A: 1"};
	const char *many[CALL_MAX_HEADERS + 1];
	struct call *c = NULL, *c1 = NULL;
	struct why w;

	for (size_t i = 0; i < CALL_MAX_HEADERS + 1; i++)
		many[i] = "X-A: 1";
	/* The account first: the URI is bad too, but not the fault named. */
	ck_assert_int_eq(call_place(cs, "http://x", "alice", ok, 1, &c, &w), -ENOENT);
	ck_assert_int_eq(w.kind, WHY_NOT_FOUND);
	ck_assert_str_eq(w.arg, "account");
	ck_assert_str_eq(w.msg, "no account 'alice': no [account] section is configured");
	ck_assert_int_eq(call_place(cs, BOB, NULL, many, CALL_MAX_HEADERS + 1, &c, &w), -EINVAL);
	ck_assert_int_eq(w.kind, WHY_ARG);
	ck_assert_str_eq(w.arg, "header");
	ck_assert_str_eq(w.msg, "at most 32 extra headers");
	ck_assert_int_eq(call_place(cs, "http://x", NULL, ok, 1, &c, &w), -EINVAL);
	ck_assert_int_eq(w.kind, WHY_ARG);
	ck_assert_str_eq(w.arg, "to");
	/* sips: goes over TLS, never UDP (RFC 5630 §3.1.3). */
	ck_assert_int_eq(call_place(cs, "sips:bob@127.0.0.1;transport=udp", NULL, NULL, 0, &c, &w),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(w.kind, WHY_ARG);
	ck_assert_str_eq(w.arg, "to");
	ck_assert_str_eq(w.msg, "a sips: URI cannot go over udp (TLS over TCP is needed)");
	/* No listener toward the URI's family (local_stub has IPv4 only): it failed. */
	ck_assert_int_eq(call_place(cs, "sip:bob@[::1]:5062", NULL, NULL, 0, &c, &w), -ENOENT);
	ck_assert_int_eq(w.kind, WHY_FAILED);
	ck_assert_ptr_null(w.arg);
	ck_assert_str_eq(w.msg, "no listener to send from");
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(calls_count(cs), 0);
	/* max_calls reached is no argument's fault: busy. */
	ccfg.max_calls = 1;
	set_cfg();
	ck_assert_int_eq(call_place(cs, BOB, NULL, many, CALL_MAX_HEADERS, &c1, &w), 0);
	ck_assert_int_eq(call_place(cs, BOB, NULL, NULL, 0, &c, &w), -EAGAIN);
	ck_assert_int_eq(w.kind, WHY_BUSY);
	ck_assert_ptr_null(w.arg);
	ck_assert_str_eq(w.msg, "1 call(s) in progress: [sip] max_calls is 1");
	ck_assert_ptr_null(c);
	respond(0, 486, "b1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "remote");
	drain();
}
END_TEST

/*
 * Who we are comes from the account: the default one (user sipuad, From
 * on our address) may be named; an account handed in call_env makes the
 * From of our INVITE (its AOR) and the Contact of our INVITE and of our
 * 180/200 as callee (its user).
 */
START_TEST(test_account_identity)
{
	struct account_cfg acfg = {.name = "alice", .aor = "sip:alice@example.com", .user = "al"};
	struct account *acc = NULL;
	struct call *c = NULL;
	struct call_env env;
	struct why w;
	struct pc p;
	unsigned from;
	int r;

	ck_assert_int_eq(call_place(cs, BOB, "default", NULL, 0, &c, &w), 0);
	ck_assert(starts(0, "INVITE " BOB " SIP/2.0\r\n"));
	ck_assert(has(0, "\r\nFrom: <sip:sipuad@127.0.0.1>;tag="));
	ck_assert(has(0, "\r\nContact: <sip:sipuad@127.0.0.1:5060>\r\n"));
	respond(0, 486, "b1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "remote");

	ck_assert_int_eq(account_new(&acc, &acfg), 0);
	env = (struct call_env){.tsx = layer,
				.clk = clk,
				.local = local_stub,
				.event = on_event,
				.rtp_port_min = RTP_MIN,
				.rtp_port_max = RTP_MAX,
				.account = acc};
	ua_set_calls(ua, NULL);
	calls_free(cs);
	ck_assert_int_eq(calls_new(&cs, &env, &ccfg), 0);
	ua_set_calls(ua, cs);
	from = n_sent;
	c = NULL;
	ck_assert_int_eq(call_place(cs, BOB, "default", NULL, 0, &c, &w), -ENOENT);
	ck_assert_int_eq(call_place(cs, BOB, "alice", NULL, 0, &c, &w), 0);
	ck_assert(has(from, "\r\nFrom: <sip:alice@example.com>;tag="));
	ck_assert(has(from, "\r\nContact: <sip:al@127.0.0.1:5060>\r\n"));
	ck_assert(!has(from, "sipuad@"));
	respond(from, 486, "b1", NULL, NULL, NULL);
	from = n_sent;
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	r = must_find(from, "SIP/2.0 180 ", NULL);
	ck_assert(has((unsigned)r, "\r\nContact: <sip:al@127.0.0.1:5060>\r\n"));
	r = must_find(from, "SIP/2.0 200 ", "CSeq: 1 INVITE");
	ck_assert(has((unsigned)r, "\r\nContact: <sip:al@127.0.0.1:5060>\r\n"));
	pc_learn(&p, (unsigned)r);
	pc_ack(&p, 1, NULL);
	pc_req(&p, "BYE", 0, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "remote");
	drain();
	ua_set_calls(ua, NULL);
	calls_free(cs);
	cs = NULL;
	account_free(acc);
}
END_TEST

/* ---------------- credentials and routes of an account ---------------- */

#define PASSWORD "pw-Secr3t-9"
#define CHAL(realm, nonce, extra)                                                                  \
	"Digest realm=\"" realm "\", nonce=\"" nonce "\", qop=\"auth\", algorithm=MD5" extra


static struct account *account_make(const char *name, const char *password, const char *proxy)
{
	char aor[64];
	struct account_cfg acfg = {.name = name,
				   .aor = aor,
				   .user = name,
				   .password = password,
				   .outbound_proxy = proxy};
	struct account *a = NULL;

	snprintf(aor, sizeof(aor), "sip:%s@example.com", name);
	ck_assert_int_eq(account_new(&a, &acfg), 0);
	return a;
}

/* The account_find() of a daemon with two accounts: alice (also the default) and bob. */
static struct account *find_stub(void *arg, const char *name)
{
	(void)arg;
	if (!name || strcmp(name, "alice") == 0)
		return acc_alice;
	if (strcmp(name, "bob") == 0)
		return acc_bob;
	return NULL;
}

/* A call table (in place of the one there is) whose default account is alice. */
static void calls_of_alice(const char *password, const char *proxy, bool finder)
{
	struct call_env env = {.tsx = layer,
			       .clk = clk,
			       .local = local_stub,
			       .event = on_event,
			       .rtp_port_min = RTP_MIN,
			       .rtp_port_max = RTP_MAX};

	acc_alice = account_make("alice", password, proxy);
	env.account = acc_alice;
	if (finder)
		env.account_find = find_stub;
	ua_set_calls(ua, NULL);
	calls_free(cs);
	cs = NULL;
	ck_assert_int_eq(calls_new(&cs, &env, &ccfg), 0);
	ua_set_calls(ua, cs);
}

/* No buffer sent holds the password. */
static void no_password_sent(void)
{
	for (unsigned i = 0; i < n_sent; i++)
		ck_assert_msg(!strstr(sent[i].buf, PASSWORD), "#%u: %s", i, sent[i].buf);
}

static bool same_body(unsigned i, unsigned j)
{
	const char *a = strstr(sent[i].buf, "\r\n\r\n"), *b = strstr(sent[j].buf, "\r\n\r\n");

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	return strcmp(a, b) == 0;
}

/*
 * §22.2: a 407 to our INVITE: the ICT ACKs it on the INVITE's branch, and
 * the INVITE goes again at once with CSeq 2, a new branch, the same
 * Call-ID, From tag, extra header and offer, and a Proxy-Authorization
 * for realm pbx; no event for the challenge, one debug line.  The
 * retry's transaction is the session's now: the hangup's CANCEL goes for
 * it (its branch, CSeq 2).  The password is in no message and no log line.
 */
START_TEST(test_uac_auth_invite)
{
	static const char *const x[] = {"X-A: 1"};
	static const char *const ch[] = {"Proxy-Authenticate", CHAL("pbx", "n1", ""), NULL};
	struct sip_msg *a, *b, *cm;
	struct call *c = NULL;
	char log[16384];
	int ack, i2, cancel;

	calls_of_alice(PASSWORD, NULL, false);
	log_set_level(LOG_LVL_DEBUG);
	log_capture_start();
	ck_assert_int_eq(call_place(cs, BOB, "alice", x, 1, &c, &why), 0);
	ck_assert(!has(0, "Authorization"));
	advance_to(20);
	respond(0, 407, "p1", NULL, NULL, ch);
	ack = must_find(1, "ACK " BOB " SIP/2.0\r\n", "CSeq: 1 ACK");
	i2 = must_find(1, "INVITE " BOB " SIP/2.0\r\n", NULL);
	ck_assert_int_lt(ack, i2);
	ck_assert_uint_eq(sent[i2].at, 20);
	ck_assert(has((unsigned)i2, "\r\nCSeq: 2 INVITE\r\n"));
	ck_assert(has((unsigned)i2, "\r\nProxy-Authorization: Digest username=\"alice\""));
	ck_assert(has((unsigned)i2, "realm=\"pbx\""));
	ck_assert(has((unsigned)i2, "nonce=\"n1\""));
	ck_assert(has((unsigned)i2, "uri=\"" BOB "\""));
	ck_assert(has((unsigned)i2, "\r\nX-A: 1\r\n"));
	ck_assert(same_body(0, (unsigned)i2));
	a = parse(sent[0].buf, sent[0].len);
	b = parse(sent[i2].buf, sent[i2].len);
	ck_assert_str_eq(a->call_id, b->call_id);
	ck_assert_str_eq(a->from_tag, b->from_tag);
	ck_assert_str_ne(a->branch, b->branch);
	ck_assert_ptr_null(b->to_tag);
	ck_assert_uint_eq(n_ev, 1); /* calling, nothing for the challenge */
	advance_to(40);
	respond((unsigned)i2, 180, "b1", BOB_CT, NULL, NULL);
	check_ev(1, CALL_EV_STATE, "ringing", 180, NULL);
	ck_assert_int_eq(call_hangup(c, &why), 0);
	cancel = must_find((unsigned)i2 + 1, "CANCEL " BOB " SIP/2.0\r\n", "CSeq: 2 CANCEL");
	cm = parse(sent[cancel].buf, sent[cancel].len);
	ck_assert_str_eq(cm->branch, b->branch);
	msg_free(cm);
	msg_free(a);
	msg_free(b);
	respond((unsigned)cancel, 200, NULL, NULL, NULL, NULL);
	respond((unsigned)i2, 487, "b1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 487, "local");
	ck_assert_uint_eq(n_ev, 3);
	log_capture_stop(log, sizeof(log));
	ck_assert_msg(strstr(log, "c1: INVITE challenged (407): sent again with credentials "
				  "(CSeq 2)") != NULL,
		      "log: %s", log);
	ck_assert_msg(!strstr(log, PASSWORD), "log: %s", log);
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 2);
	no_password_sent();
	drain();
}
END_TEST

/*
 * Wrong password: the retried INVITE is challenged again by the same realm
 * (not stale): no third INVITE; one ended event with the 407 and cred's
 * words, by remote.  A stale nonce before it was answered again.
 */
START_TEST(test_uac_auth_wrong_password)
{
	static const char *const ch1[] = {"Proxy-Authenticate", CHAL("pbx", "n1", ""), NULL};
	static const char *const ch2[] = {"Proxy-Authenticate", CHAL("pbx", "n2", ", stale=true"),
					  NULL};
	static const char *const ch3[] = {"Proxy-Authenticate", CHAL("pbx", "n3", ""), NULL};
	int i2, i3;

	calls_of_alice(PASSWORD, NULL, false);
	place(BOB);
	respond(0, 407, "p1", NULL, NULL, ch1);
	i2 = must_find(1, "INVITE ", "CSeq: 2 INVITE");
	respond((unsigned)i2, 407, "p2", NULL, NULL, ch2);
	i3 = must_find((unsigned)i2 + 1, "INVITE ", "CSeq: 3 INVITE");
	ck_assert(has((unsigned)i3, "nonce=\"n2\""));
	respond((unsigned)i3, 407, "p3", NULL, NULL, ch3);
	must_find((unsigned)i3 + 1, "ACK ", "CSeq: 3 ACK");
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 3);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ended", 407, "remote");
	ck_assert_str_eq(evs[1].reason, "wrong credentials: realm \"pbx\" refused user \"alice\"");
	ck_assert_uint_eq(calls_count(cs), 0);
	advance_to(60000);
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 3);
	no_password_sent();
	drain();
}
END_TEST

/* An account without a password (the default one) cannot answer: ended 401 saying so. */
START_TEST(test_uac_auth_no_password)
{
	static const char *const ch[] = {"WWW-Authenticate", CHAL("sip.example", "n1", ""), NULL};

	place(BOB);
	respond(0, 401, "u1", NULL, NULL, ch);
	must_find(1, "ACK ", "CSeq: 1 ACK");
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 1);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ended", 401, "remote");
	ck_assert_str_eq(evs[1].reason,
			 "realm \"sip.example\" asks for credentials and the account has no password");
	drain();
}
END_TEST

/* A challenge we cannot answer (Basic): ended 401 with cred's words, no retry. */
START_TEST(test_uac_auth_unsupported)
{
	static const char *const ch[] = {"WWW-Authenticate", "Basic realm=\"x\"", NULL};

	calls_of_alice(PASSWORD, NULL, false);
	place(BOB);
	respond(0, 401, "u1", NULL, NULL, ch);
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 1);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 401, "remote");
	ck_assert_str_eq(evs[n_ev - 1].reason,
			 "WWW-Authenticate scheme 'Basic' is not supported (only Digest)");
	drain();
}
END_TEST

/*
 * Hung up while the challenge was on its way (no provisional yet, so no
 * CANCEL went): the 407 is not answered; the call ends as the hangup
 * said, by local.
 */
START_TEST(test_uac_auth_hangup_meanwhile)
{
	static const char *const ch[] = {"Proxy-Authenticate", CHAL("pbx", "n1", ""), NULL};
	struct call *c;

	calls_of_alice(PASSWORD, NULL, false);
	c = place(BOB);
	advance_to(100);
	ck_assert_int_eq(call_hangup(c, &why), 0);
	respond(0, 407, "p1", NULL, NULL, ch);
	must_find(1, "ACK ", "CSeq: 1 ACK");
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 1);
	ck_assert_int_eq(find(0, "CANCEL ", NULL), -1);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ended", 487, "local");
	ck_assert_str_eq(evs[1].reason, "cancelled by the hangup command");
	drain();
}
END_TEST

/*
 * A 3xx starts a new request chain: the redirect's INVITE carries no old
 * credentials, and a challenge from the same realm to it is answered
 * (not taken for wrong credentials); its 200 answers the call.
 */
START_TEST(test_uac_auth_redirect_new_chain)
{
	static const char *const ch1[] = {"Proxy-Authenticate", CHAL("pbx", "n1", ""), NULL};
	static const char *const ch2[] = {"Proxy-Authenticate", CHAL("pbx", "n5", ""), NULL};
	static const char *const moved[] = {"Contact", "<sip:carol@127.0.0.1:5064>", NULL};
	struct call *c;
	int i2, i3, i4, bye;
	unsigned before;

	calls_of_alice(PASSWORD, NULL, false);
	c = place(BOB);
	respond(0, 407, "p1", NULL, NULL, ch1);
	i2 = must_find(1, "INVITE " BOB " ", "CSeq: 2 INVITE");
	ck_assert(has((unsigned)i2, "Proxy-Authorization: "));
	respond((unsigned)i2, 302, "r1", NULL, NULL, moved);
	i3 = must_find((unsigned)i2 + 1, "INVITE sip:carol@127.0.0.1:5064 ", "CSeq: 3 INVITE");
	ck_assert(!has((unsigned)i3, "Authorization"));
	respond((unsigned)i3, 407, "p2", NULL, NULL, ch2);
	i4 = must_find((unsigned)i3 + 1, "INVITE sip:carol@127.0.0.1:5064 ", "CSeq: 4 INVITE");
	ck_assert(has((unsigned)i4, "nonce=\"n5\""));
	ck_assert(has((unsigned)i4, "uri=\"sip:carol@127.0.0.1:5064\""));
	ck_assert_uint_eq(n_ev, 1);
	respond((unsigned)i4, 200, "c1", "<sip:carol@127.0.0.1:5064>", SDP_OFFER, NULL);
	must_find((unsigned)i4 + 1, "ACK sip:carol@127.0.0.1:5064 ", "CSeq: 4 ACK");
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE sip:carol@127.0.0.1:5064 ", "CSeq: 5 BYE");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

#define SDP_PORT_30008                                                                             \
	"v=0\r\no=carol 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"           \
	"m=audio 30008 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"

/*
 * Early media, then a challenge: the answer of the 183 went with its early
 * dialog (§12.3), so the INVITE sent again offers anew, and the 2xx's
 * answer is the one the media uses.
 */
START_TEST(test_uac_auth_after_early_answer)
{
	static const char *const ch[] = {"WWW-Authenticate", CHAL("pbx", "n1", ""), NULL};
	struct call *c;
	struct call_info ci;
	int i2, bye;
	unsigned before;

	calls_of_alice(PASSWORD, NULL, false);
	c = place(BOB);
	respond(0, 183, "b1", BOB_CT, SDP_OFFER, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "early", 183, NULL);
	call_info(c, &ci);
	ck_assert_str_eq(ci.remote_rtp, "127.0.0.1:30000");
	respond(0, 401, "b1", NULL, NULL, ch);
	i2 = must_find(1, "INVITE " BOB " ", "CSeq: 2 INVITE");
	ck_assert(has((unsigned)i2, "\r\nAuthorization: Digest username=\"alice\""));
	ck_assert(has((unsigned)i2, "\r\nm=audio "));
	ck_assert(has((unsigned)i2, "\r\nFrom: <sip:alice@example.com>;tag="));
	respond((unsigned)i2, 200, "b2", BOB_CT, SDP_PORT_30008, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	call_info(c, &ci);
	ck_assert_str_eq(ci.remote_rtp, "127.0.0.1:30008");
	ck_assert_str_eq(ci.remote_tag, "b2");
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE " BOB " ", "CSeq: 3 BYE");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

/*
 * §8.1.2: the account's outbound proxy is a pre-loaded route: the INVITE
 * (and its retry after a 407, and its CANCEL) go to the proxy with a Route
 * header, the Request-URI stays bob's.  In the dialog, requests follow the
 * dialog's route set (none here: the proxy did not Record-Route).
 */
START_TEST(test_uac_route_outbound_proxy)
{
	static const char *const ch[] = {"Proxy-Authenticate", CHAL("pbx", "n1", ""), NULL};
	struct call *c;
	struct call_info ci;
	char a[NET_ADDR_STRLEN];
	int i2, cancel;

	calls_of_alice(PASSWORD, "sip:127.0.0.1:5070", false);
	c = place(BOB);
	ck_assert(starts(0, "INVITE " BOB " SIP/2.0\r\n"));
	ck_assert(has(0, "\r\nRoute: <sip:127.0.0.1:5070;lr>\r\n"));
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.addr, a, sizeof(a)), "127.0.0.1:5070");
	call_info(c, &ci);
	ck_assert_str_eq(ci.source, "udp:127.0.0.1:5070");
	respond(0, 407, "p1", NULL, NULL, ch);
	i2 = must_find(1, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 2 INVITE");
	ck_assert(has((unsigned)i2, "\r\nRoute: <sip:127.0.0.1:5070;lr>\r\n"));
	ck_assert_uint_eq(count((unsigned)i2, "INVITE ", "Route: "), 1);
	ck_assert_str_eq(net_addr_fmt(&sent[i2].d.addr, a, sizeof(a)), "127.0.0.1:5070");
	respond((unsigned)i2, 180, "b1", BOB_CT, NULL, NULL);
	ck_assert_int_eq(call_hangup(c, &why), 0);
	cancel = must_find((unsigned)i2 + 1, "CANCEL " BOB " SIP/2.0\r\n", "CSeq: 2 CANCEL");
	ck_assert(has((unsigned)cancel, "\r\nRoute: <sip:127.0.0.1:5070;lr>\r\n"));
	ck_assert_str_eq(net_addr_fmt(&sent[cancel].d.addr, a, sizeof(a)), "127.0.0.1:5070");
	respond((unsigned)cancel, 200, NULL, NULL, NULL, NULL);
	respond((unsigned)i2, 487, "b1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 487, "local");
	drain();
}
END_TEST

/* In the dialog: the 2xx's ACK and the BYE go to the remote target, without Route. */
START_TEST(test_uac_route_not_in_dialog)
{
	struct call *c;
	char a[NET_ADDR_STRLEN];
	int ack, bye;
	unsigned before;

	calls_of_alice(NULL, "sip:127.0.0.1:5070", false);
	c = place(BOB);
	respond(0, 200, "b1", "<sip:bob@127.0.0.1:5066>", SDP_OFFER, NULL);
	ack = must_find(1, "ACK sip:bob@127.0.0.1:5066 ", "CSeq: 1 ACK");
	ck_assert(!has((unsigned)ack, "Route:"));
	ck_assert_str_eq(net_addr_fmt(&sent[ack].d.addr, a, sizeof(a)), "127.0.0.1:5066");
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE sip:bob@127.0.0.1:5066 ", "CSeq: 2 BYE");
	ck_assert(!has((unsigned)bye, "Route:"));
	ck_assert_str_eq(net_addr_fmt(&sent[bye].d.addr, a, sizeof(a)), "127.0.0.1:5066");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

/*
 * RFC 3608 §6: once a registrar gave a Service-Route, the account's other
 * requests carry it as their pre-loaded route set, in order, instead of
 * the outbound proxy, and go to its first entry.
 */
START_TEST(test_uac_route_service_route)
{
	static char sr1[] = "<sip:127.0.0.1:5080;lr>", sr2[] = "<sip:127.0.0.9:5090;lr>";
	char *const sr[] = {sr1, sr2};
	char a[NET_ADDR_STRLEN];
	const char *r;

	calls_of_alice(NULL, "sip:127.0.0.1:5070", false);
	ck_assert_int_eq(account_set_service_route(acc_alice, sr, 2), 0);
	place(BOB);
	ck_assert(starts(0, "INVITE " BOB " SIP/2.0\r\n"));
	r = strstr(sent[0].buf, "\r\nRoute: <sip:127.0.0.1:5080;lr>\r\n");
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r, "\r\nRoute: <sip:127.0.0.9:5090;lr>\r\n"));
	ck_assert(!has(0, "5070"));
	ck_assert_str_eq(net_addr_fmt(&sent[0].d.addr, a, sizeof(a)), "127.0.0.1:5080");
	respond(0, 486, "b1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "remote");
	drain();
}
END_TEST

/* RFC 3261 §8.1.1.8, §26.2: sips: and ;transport=tls go over TLS, with a Contact to match. */
START_TEST(test_uac_tls)
{
	struct call *c;
	char a[NET_ADDR_STRLEN];

	c = place("sips:bob@127.0.0.1:5061");
	ck_assert(starts(0, "INVITE sips:bob@127.0.0.1:5061 SIP/2.0\r\n"));
	ck_assert_int_eq(sent[0].d.proto, NET_TLS);
	ck_assert_str_eq(sent[0].d.host, ""); /* an IP literal: its address is the identity */
	ck_assert(has(0, "\r\nVia: SIP/2.0/TLS "));
	ck_assert(has(0, "\r\nContact: <sips:"));
	ck_assert(!has(0, "transport=tls"));
	ck_assert_int_eq(call_hangup(c, &why), 0);
	c = place("sip:bob@127.0.0.1;transport=tls");
	ck_assert_int_eq(sent[n_sent - 1].d.proto, NET_TLS);
	/* RFC 3263 §4.2: 5061 for TLS. */
	ck_assert_str_eq(net_addr_fmt(&sent[n_sent - 1].d.addr, a, sizeof(a)), "127.0.0.1:5061");
	ck_assert(has(n_sent - 1, "\r\nContact: <sip:"));
	ck_assert(has(n_sent - 1, ";transport=tls>"));
	ck_assert_int_eq(call_hangup(c, &why), 0);
	drain();
}
END_TEST

/* RFC 4568 §8.3: with srtp = mandatory the SDES keys go over TLS hops only, unless allowed. */
START_TEST(test_srtp_needs_tls)
{
	struct call *c = NULL;
	struct why w;
	struct pc p;
	int i;

	ccfg.srtp = OA_SRTP_MANDATORY;
	calls_make(RTP_MIN, RTP_MAX);
	ck_assert_int_eq(call_place(cs, BOB, NULL, NULL, 0, &c, &w), -EPERM);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(w.msg, "srtp = mandatory needs TLS signalling: the SDES keys would cross "
				"udp in the clear (use sips: or ;transport=tls, or [media] "
				"srtp_insecure_signalling = yes)");
	ck_assert_uint_eq(n_sent, 0);
	c = place("sips:bob@127.0.0.1:5061");
	ck_assert(has(0, "m=audio "));
	ck_assert(has(0, " RTP/SAVP "));
	ck_assert(has(0, "a=crypto:"));
	ck_assert_int_eq(call_hangup(c, &w), 0);
	/* An offer over UDP: 488, the reason in a Warning (§20.43). */
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	i = must_find(0, "SIP/2.0 488 ", "CSeq: 1 INVITE");
	ck_assert(has((unsigned)i, "\r\nWarning: 399 sipuad \"SRTP keys (SDES) need TLS signalling here\"\r\n"));
	/* Over TLS it is taken (a plain offer then gets the usual 488 of srtp = mandatory). */
	feed_proto = NET_TLS;
	pc_init(&p);
	pc_invite(&p, SDP_OFFER);
	ck_assert_int_eq(count(0, "SIP/2.0 488 ", "Warning: 399 sipuad"), 1);
	/* Allowed: UDP again. */
	feed_proto = NET_UDP;
	ccfg.srtp_insecure_signalling = true;
	calls_make(RTP_MIN, RTP_MAX);
	c = place(BOB);
	ck_assert(has(n_sent - 1, "a=crypto:"));
	ck_assert_int_eq(call_hangup(c, &w), 0);
	drain();
}
END_TEST

/* The account's transport (no ;transport= in the URI): the INVITE goes over TCP, Via and Contact say so. */
START_TEST(test_uac_account_transport)
{
	struct account_cfg acfg = {.name = "alice",
				   .aor = "sip:alice@example.com",
				   .has_transport = true,
				   .transport = NET_TCP};
	struct call *c;

	calls_of_alice(NULL, NULL, false);
	account_free(acc_alice);
	acc_alice = NULL;
	ck_assert_int_eq(account_new(&acc_alice, &acfg), 0);
	ua_set_calls(ua, NULL);
	calls_free(cs);
	cs = NULL;
	{
		struct call_env env = {.tsx = layer,
				       .clk = clk,
				       .local = local_stub,
				       .event = on_event,
				       .rtp_port_min = RTP_MIN,
				       .rtp_port_max = RTP_MAX,
				       .account = acc_alice};

		ck_assert_int_eq(calls_new(&cs, &env, &ccfg), 0);
	}
	ua_set_calls(ua, cs);
	c = place(BOB);
	ck_assert(starts(0, "INVITE " BOB " SIP/2.0\r\n")); /* the Request-URI as given */
	ck_assert_int_eq(sent[0].d.proto, NET_TCP);
	ck_assert(has(0, "\r\nVia: SIP/2.0/TCP "));
	ck_assert(has(0, ";transport=tcp>"));
	ck_assert_int_eq(call_hangup(c, &why), 0);
	drain();
}
END_TEST

/* An outbound proxy we cannot send to (a host name: no DNS yet) refuses the call, naming it. */
START_TEST(test_uac_route_unusable)
{
	struct call *c = NULL;
	struct why w;

	calls_of_alice(NULL, "sip:proxy.example.net", false);
	ck_assert_int_eq(call_place(cs, BOB, NULL, NULL, 0, &c, &w), -EINVAL);
	ck_assert_int_eq(w.kind, WHY_FAILED);
	ck_assert_ptr_null(w.arg);
	ck_assert_str_eq(w.msg, "route <sip:proxy.example.net;lr> of account 'alice': host "
				"'proxy.example.net' is not an IP address (DNS names are not "
				"supported yet)");
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(calls_count(cs), 0);
	drain();
}
END_TEST

/*
 * In the dialog (§22.2): a 407 to our re-INVITE: a new re-INVITE (next
 * CSeq, the same offer) with credentials, and the hold completes; a resume
 * refused twice by the same realm fails as an update (the call stays, on
 * hold); a 401 to our BYE: a new BYE with Authorization, and the call ends
 * as the hangup said.
 */
START_TEST(test_uac_auth_in_dialog)
{
	static const char *const ch1[] = {"Proxy-Authenticate", CHAL("pbx", "n1", ""), NULL};
	static const char *const ch2[] = {"Proxy-Authenticate", CHAL("pbx", "n2", ""), NULL};
	static const char *const ch3[] = {"Proxy-Authenticate", CHAL("pbx", "n3", ""), NULL};
	static const char *const chb[] = {"WWW-Authenticate", CHAL("bob", "nb", ""), NULL};
	struct call *c;
	struct call_info ci;
	struct sip_msg *m2, *m3;
	int re, re2, bye, bye2;
	unsigned before, nev;

	calls_of_alice(PASSWORD, NULL, false);
	c = placed_established();
	advance_to(1000);
	before = n_sent;
	ck_assert_int_eq(call_hold(c, true, &why), 0);
	re = must_find(before, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 2 INVITE");
	nev = n_ev;
	respond((unsigned)re, 407, NULL, NULL, NULL, ch1);
	must_find((unsigned)re + 1, "ACK " BOB " ", "CSeq: 2 ACK");
	re2 = must_find((unsigned)re + 1, "INVITE " BOB " SIP/2.0\r\n", "CSeq: 3 INVITE");
	ck_assert(has((unsigned)re2, "\r\nProxy-Authorization: Digest username=\"alice\""));
	ck_assert(has((unsigned)re2, "nonce=\"n1\""));
	ck_assert(has((unsigned)re2, ";tag=b1"));
	ck_assert(has((unsigned)re2, "\r\nContent-Type: application/sdp\r\n"));
	ck_assert(same_body((unsigned)re, (unsigned)re2));
	m2 = parse(sent[re].buf, sent[re].len);
	m3 = parse(sent[re2].buf, sent[re2].len);
	ck_assert_str_ne(m2->branch, m3->branch);
	msg_free(m2);
	msg_free(m3);
	ck_assert_uint_eq(n_ev, nev);
	ck_assert_int_eq(call_hold(c, false, &why), -EBUSY); /* still in progress */
	respond((unsigned)re2, 200, NULL, BOB_CT, SDP_V("2", "recvonly"), NULL);
	must_find((unsigned)re2 + 1, "ACK " BOB " ", "CSeq: 3 ACK");
	check_ev(n_ev - 1, CALL_EV_STATE, "held", 200, "local");
	/* resume: challenged, answered, refused again: an update event. */
	advance_to(2000);
	before = n_sent;
	ck_assert_int_eq(call_hold(c, false, &why), 0);
	re = must_find(before, "INVITE ", "CSeq: 4 INVITE");
	respond((unsigned)re, 407, NULL, NULL, NULL, ch2);
	re2 = must_find((unsigned)re + 1, "INVITE ", "CSeq: 5 INVITE");
	ck_assert(has((unsigned)re2, "nonce=\"n2\""));
	nev = n_ev;
	respond((unsigned)re2, 407, NULL, NULL, NULL, ch3);
	ck_assert_uint_eq(count(before, "INVITE ", NULL), 2);
	ck_assert_uint_eq(n_ev, nev + 1);
	check_ev(n_ev - 1, CALL_EV_UPDATE, NULL, 407, NULL);
	ck_assert_str_eq(evs[n_ev - 1].what, "resume");
	ck_assert_str_eq(evs[n_ev - 1].reason,
			 "wrong credentials: realm \"pbx\" refused user \"alice\"");
	call_info(c, &ci);
	ck_assert_str_eq(ci.state, "established");
	ck_assert(ci.local_hold);
	/*
	 * BYE: 401, answered with Authorization.  The resume that could not
	 * be authorized never went: its CSeq 6 is the BYE's (§12.2.1.1).
	 */
	advance_to(3000);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	ck_assert_int_eq(find(0, "INVITE ", "CSeq: 6 "), -1);
	bye = must_find(before, "BYE " BOB " ", "CSeq: 6 BYE");
	ck_assert(!has((unsigned)bye, "Authorization"));
	nev = n_ev;
	respond((unsigned)bye, 401, NULL, NULL, NULL, chb);
	bye2 = must_find((unsigned)bye + 1, "BYE " BOB " ", "CSeq: 7 BYE");
	ck_assert(has((unsigned)bye2, "\r\nAuthorization: Digest username=\"alice\""));
	ck_assert(has((unsigned)bye2, "realm=\"bob\""));
	ck_assert(has((unsigned)bye2, ";tag=b1"));
	ck_assert_uint_eq(n_ev, nev);
	respond((unsigned)bye2, 200, NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(n_ev, nev + 1);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	ck_assert_str_eq(evs[n_ev - 1].reason, "hung up by the hangup command");
	no_password_sent();
	drain();
}
END_TEST

/*
 * A BYE refused twice by the same realm: no third BYE; the call ends
 * locally all the same, as the hangup said, and the log says why.
 */
START_TEST(test_uac_auth_bye_refused)
{
	static const char *const ch1[] = {"WWW-Authenticate", CHAL("bob", "n1", ""), NULL};
	static const char *const ch2[] = {"WWW-Authenticate", CHAL("bob", "n2", ""), NULL};
	struct call *c;
	char log[4096];
	int bye, bye2;
	unsigned before;

	calls_of_alice(PASSWORD, NULL, false);
	c = placed_established();
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE ", "CSeq: 2 BYE");
	respond((unsigned)bye, 401, NULL, NULL, NULL, ch1);
	bye2 = must_find((unsigned)bye + 1, "BYE ", "CSeq: 3 BYE");
	log_capture_start();
	respond((unsigned)bye2, 401, NULL, NULL, NULL, ch2);
	log_capture_stop(log, sizeof(log));
	ck_assert_uint_eq(count(before, "BYE ", NULL), 2);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	ck_assert_str_eq(evs[n_ev - 1].reason, "hung up by the hangup command");
	ck_assert_msg(strstr(log, "c1: BYE answered 401: wrong credentials: realm \"bob\" refused "
				  "user \"alice\"") != NULL,
		      "log: %s", log);
	drain();
}
END_TEST

/*
 * The account of an outgoing call is found by name through the daemon's
 * lookup (NULL: the default); an unknown name is refused.  The call holds
 * its account: dropped by the daemon (a reload) while the call lives, it
 * still answers the call's challenges (ASan sees no use after free).
 */
START_TEST(test_uac_account_find)
{
	static const char *const ch[] = {"WWW-Authenticate", CHAL("bob", "n1", ""), NULL};
	struct call *c = NULL, *c2 = NULL;
	struct why w;
	int bye, bye2;
	unsigned before;

	calls_of_alice(PASSWORD, NULL, true);
	acc_bob = account_make("bob", "bob-" PASSWORD, NULL);
	ck_assert_int_eq(call_place(cs, BOB, "nobody", NULL, 0, &c, &w), -ENOENT);
	ck_assert_int_eq(w.kind, WHY_NOT_FOUND);
	ck_assert_str_eq(w.arg, "account");
	ck_assert_str_eq(w.msg, "no account 'nobody'");
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_int_eq(call_place(cs, BOB, NULL, NULL, 0, &c, &w), 0);
	ck_assert(has(0, "\r\nFrom: <sip:alice@example.com>;tag="));
	ck_assert_int_eq(call_place(cs, BOB, "bob", NULL, 0, &c2, &w), 0);
	ck_assert(has(1, "\r\nFrom: <sip:bob@example.com>;tag="));
	ck_assert(has(1, "\r\nContact: <sip:bob@127.0.0.1:5060>\r\n"));
	respond(0, 486, "b1", NULL, NULL, NULL);
	/* The daemon lets go of bob (a reload removed it): the call keeps it. */
	account_free(acc_bob);
	acc_bob = NULL;
	ck_assert_int_eq(call_place(cs, BOB, "bob", NULL, 0, &c, &w), -ENOENT);
	respond(1, 200, "b2", BOB_CT, SDP_OFFER, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c2, &why), 0);
	bye = must_find(before, "BYE ", "CSeq: 2 BYE");
	respond((unsigned)bye, 401, NULL, NULL, NULL, ch);
	bye2 = must_find((unsigned)bye + 1, "BYE ", "CSeq: 3 BYE");
	ck_assert(has((unsigned)bye2, "\r\nAuthorization: Digest username=\"bob\""));
	respond((unsigned)bye2, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

/* ---------------- UAC through the resolver (RFC 3263) ---------------- */

/*
 * two.example.test has two addresses, 127.0.0.2 and .3 (a URI with a
 * port asks for A and AAAA only, §4.2); nowhere.example.test does not
 * exist; proxy.example.test is 127.0.0.1.  All from the resolver's cache.
 */
#define TWO "sip:bob@two.example.test:5062"

/* A call table whose INVITEs go through a resolver; proxy: alice's outbound proxy, or none. */
static void calls_dns(const char *proxy)
{
	static const char *const two[] = {"127.0.0.2", "127.0.0.3"};
	static const char *const one[] = {"127.0.0.1"};
	struct call_env env = {.tsx = layer,
			       .clk = clk,
			       .local = local_stub,
			       .event = on_event,
			       .rtp_port_min = RTP_MIN,
			       .rtp_port_max = RTP_MAX};

	ck_assert_ptr_null(dns); /* one per test: freed after the table */
	dns = dns_fill_new(base, clk);
	dns_fill_addr(dns, clk, "two.example.test", two, 2);
	dns_fill_addr(dns, clk, "proxy.example.test", one, 1);
	dns_fill_addr(dns, clk, "nowhere.example.test", NULL, 0);
	env.dns = dns;
	if (proxy) {
		acc_alice = account_make("alice", NULL, proxy);
		env.account = acc_alice;
	}
	ua_set_calls(ua, NULL);
	calls_free(cs);
	cs = NULL;
	ck_assert_int_eq(calls_new(&cs, &env, &ccfg), 0);
	ua_set_calls(ua, cs);
}

static const char *addr_of(unsigned i)
{
	static char a[NET_ADDR_STRLEN];

	ck_assert_uint_lt(i, n_sent);
	return net_addr_fmt(&sent[i].d.addr, a, sizeof(a));
}

/*
 * An IP literal resolves from the loop (the resolver's 0 ms timer): the
 * call exists at once (calling, with its Call-ID), the INVITE goes on the
 * next tick, built for the target as without a resolver.  A URI the
 * resolver refuses is the "to" argument's fault, at once.
 */
START_TEST(test_dns_literal_from_the_loop)
{
	struct call *c = NULL;
	struct call_info ci;
	struct why w;

	calls_dns(NULL);
	ck_assert_int_eq(call_place(cs, BOB, NULL, NULL, 0, &c, &w), 0);
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(n_ev, 1);
	check_ev(0, CALL_EV_STATE, "calling", 0, NULL);
	call_info(c, &ci);
	ck_assert_str_eq(ci.state, "calling");
	ck_assert_uint_eq(strlen(ci.call_id), RND_CALLID_LEN - 1);
	ck_assert_str_eq(ci.source, "");
	advance_to(0);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert(starts(0, "INVITE " BOB " SIP/2.0\r\n"));
	ck_assert_str_eq(addr_of(0), "127.0.0.1:5062");
	ck_assert(has(0, "\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK"));
	ck_assert(has(0, "\r\nContact: <sip:sipuad@127.0.0.1:5060>\r\n"));
	ck_assert(has(0, "\r\nFrom: <sip:sipuad@127.0.0.1>;tag="));
	ck_assert(has(0, "\r\nCSeq: 1 INVITE\r\n"));
	ck_assert(has(0, "\r\nc=IN IP4 127.0.0.1\r\n"));
	ck_assert(has(0, ci.call_id));
	call_info(c, &ci);
	ck_assert_str_eq(ci.source, "udp:127.0.0.1:5062");
	respond(0, 486, "b1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "remote");

	c = NULL;
	ck_assert_int_eq(call_place(cs, "sip:bob@exa mple.test", NULL, NULL, 0, &c, &w), -EINVAL);
	ck_assert_int_eq(w.kind, WHY_ARG);
	ck_assert_str_eq(w.arg, "to");
	ck_assert_str_eq(w.msg, "the URI contains a blank or a control character");
	ck_assert_int_eq(
	    call_place(cs, "sip:bob@two.example.test;transport=sctp", NULL, NULL, 0, &c, &w),
	    -EPROTONOSUPPORT);
	ck_assert_int_eq(w.kind, WHY_ARG);
	ck_assert_str_eq(w.arg, "to");
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(calls_count(cs), 0);
	ck_assert_uint_eq(n_ev, 2);
	drain();
}
END_TEST

/*
 * §4.3: a 503 from the first target (no provisional before it): the ICT
 * ACKs it there, and the INVITE goes to the second target at once (CSeq
 * 2, a new branch, the same Call-ID and From tag), said in one log line;
 * the second answers.  No event for the 503.
 */
START_TEST(test_dns_failover_503)
{
	struct sip_msg *a, *b;
	struct call_info ci;
	struct call *c;
	char log[4096];
	int ack, i2, ack2, bye;
	unsigned before;

	calls_dns(NULL);
	c = place(TWO);
	ck_assert_uint_eq(n_sent, 0);
	advance_to(0);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert(starts(0, "INVITE " TWO " SIP/2.0\r\n"));
	ck_assert_str_eq(addr_of(0), "127.0.0.2:5062");
	advance_to(20);
	log_capture_start();
	respond(0, 503, "s1", NULL, NULL, NULL);
	log_capture_stop(log, sizeof(log));
	ack = must_find(1, "ACK " TWO " ", "CSeq: 1 ACK");
	ck_assert_str_eq(addr_of((unsigned)ack), "127.0.0.2:5062");
	i2 = must_find(1, "INVITE " TWO " SIP/2.0\r\n", "\r\nCSeq: 2 INVITE\r\n");
	ck_assert_uint_eq(sent[i2].at, 20);
	ck_assert_str_eq(addr_of((unsigned)i2), "127.0.0.3:5062");
	ck_assert(has((unsigned)i2, "\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio "));
	a = parse(sent[0].buf, sent[0].len);
	b = parse(sent[i2].buf, sent[i2].len);
	ck_assert_str_eq(a->call_id, b->call_id);
	ck_assert_str_eq(a->from_tag, b->from_tag);
	ck_assert_ptr_null(b->to_tag);
	ck_assert_str_ne(a->branch, b->branch);
	msg_free(a);
	msg_free(b);
	ck_assert_msg(strstr(log, "c1: 503 from udp:127.0.0.2:5062: trying the next target, "
				  "udp:127.0.0.3:5062 (two.example.test)\n") != NULL,
		      "log: %s", log);
	ck_assert_uint_eq(n_ev, 1);
	respond((unsigned)i2, 180, "b1", BOB_CT, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ringing", 180, NULL);
	respond((unsigned)i2, 200, "b1", BOB_CT, SDP_OFFER, NULL);
	ack2 = must_find((unsigned)i2 + 1, "ACK " BOB " ", "CSeq: 2 ACK");
	ck_assert_str_eq(addr_of((unsigned)ack2), "127.0.0.1:5062");
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	call_info(c, &ci);
	ck_assert_str_eq(ci.source, "udp:127.0.0.3:5062");
	ck_assert_uint_eq(ci.local_cseq, 2);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE " BOB " ", "CSeq: 3 BYE");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

/*
 * §4.3: no answer from the first target (Timer B, 64*T1): the INVITE goes
 * to the second; a 503 from the last target ends the call with it.
 */
START_TEST(test_dns_failover_timer_b)
{
	int i2;

	calls_dns(NULL);
	place(TWO);
	advance_to(31999);
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 7);
	ck_assert_uint_eq(count(0, "INVITE ", "CSeq: 1 INVITE"), 7);
	ck_assert_uint_eq(n_ev, 1);
	advance_to(32000);
	i2 = must_find(0, "INVITE ", "CSeq: 2 INVITE");
	ck_assert_uint_eq(sent[i2].at, 32000);
	ck_assert_str_eq(addr_of((unsigned)i2), "127.0.0.3:5062");
	ck_assert_uint_eq(n_ev, 1);
	respond((unsigned)i2, 503, "s2", NULL, NULL, NULL);
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 8);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 503, "remote");
	ck_assert_str_eq(evs[n_ev - 1].reason, "Service Unavailable");
	drain();
}
END_TEST

/* A target that sent a provisional response keeps the call: its 503 ends it. */
START_TEST(test_dns_no_failover_after_provisional)
{
	calls_dns(NULL);
	place(TWO);
	advance_to(0);
	respond(0, 100, NULL, NULL, NULL, NULL);
	respond(0, 503, "s1", NULL, NULL, NULL);
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 1);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 503, "remote");
	drain();
}
END_TEST

/* A name that does not resolve ends the call: 503 by local, the resolver's words. */
START_TEST(test_dns_nxdomain)
{
	calls_dns(NULL);
	place("sip:bob@nowhere.example.test:5062");
	ck_assert_uint_eq(n_ev, 1);
	advance_to(0);
	ck_assert_uint_eq(n_sent, 0);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ended", 503, "local");
	ck_assert_str_eq(evs[1].reason, "no such domain: nowhere.example.test (NXDOMAIN)");
	ck_assert_uint_eq(calls_count(cs), 0);
	drain();
}
END_TEST

/* hangup, or a shutdown, while resolving: the call ends at once, no INVITE ever goes. */
START_TEST(test_dns_hangup_while_resolving)
{
	struct call *c;
	struct why w;

	calls_dns(NULL);
	c = place(TWO);
	ck_assert_int_eq(call_hangup(c, &w), 0);
	ck_assert_uint_eq(n_ev, 2);
	check_ev(1, CALL_EV_STATE, "ended", 487, "local");
	ck_assert_str_eq(evs[1].reason, "cancelled by the hangup command");
	place(TWO);
	place("sip:bob@127.0.0.1:5062");
	ck_assert_uint_eq(calls_count(cs), 2);
	calls_shutdown(cs);
	ck_assert_uint_eq(calls_count(cs), 0);
	check_ev(n_ev - 2, CALL_EV_STATE, "ended", 487, "local");
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 487, "local");
	ck_assert_str_eq(evs[n_ev - 1].reason, "sipuad is shutting down");
	advance_to(1000);
	ck_assert_uint_eq(n_sent, 0);
	drain();
}
END_TEST

/*
 * §8.1.2 with a named outbound proxy: the proxy's URI is what is
 * resolved; the Request-URI, a name or not, goes to it as it is.
 */
START_TEST(test_dns_outbound_proxy_name)
{
	struct call *c = NULL;
	struct why w;
	int i;

	calls_dns("sip:proxy.example.test:5070");
	place(BOB);
	advance_to(0);
	ck_assert(starts(0, "INVITE " BOB " SIP/2.0\r\n"));
	ck_assert(has(0, "\r\nRoute: <sip:proxy.example.test:5070;lr>\r\n"));
	ck_assert_str_eq(addr_of(0), "127.0.0.1:5070");
	respond(0, 486, "b1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "remote");
	/* Not resolved here (it would not be: nothing in the cache). */
	place("sip:carol@elsewhere.example.test");
	advance_to(10);
	i = must_find(1, "INVITE sip:carol@elsewhere.example.test SIP/2.0\r\n", NULL);
	ck_assert_str_eq(addr_of((unsigned)i), "127.0.0.1:5070");
	respond((unsigned)i, 404, "c1", NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 404, "remote");
	/* Routed, a sips: Request-URI needs a TLS first hop (RFC 3261 §26.2.2). */
	ck_assert_int_eq(call_place(cs, "sips:carol@elsewhere.example.test", NULL, NULL, 0, &c, &w),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(w.kind, WHY_ARG);
	ck_assert_str_eq(w.arg, "to");
	ck_assert_str_eq(w.msg, "a sips: call needs TLS to the first hop too: route "
				"sip:proxy.example.test:5070;lr is not sips: or ;transport=tls");
	drain();
}
END_TEST

/*
 * A redirect's Contacts are resolved too: one that does not resolve is
 * passed over (logged), the next one gets the INVITE (CSeq 3: each
 * redirect target takes one).
 */
START_TEST(test_dns_redirect_to_names)
{
	static const char *const hdrs[] = {"Contact", "<sip:dave@nowhere.example.test:5062>;q=1.0",
					   "Contact", "<sip:carol@two.example.test:5064>;q=0.5",
					   NULL};
	char log[4096];
	int i2;

	calls_dns(NULL);
	place(BOB);
	advance_to(0);
	respond(0, 302, "r1", NULL, NULL, hdrs);
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 1);
	log_capture_start();
	advance_to(10);
	log_capture_stop(log, sizeof(log));
	ck_assert_msg(strstr(log,
			     "c1: redirect target sip:dave@nowhere.example.test:5062 "
			     "unusable: no such domain: nowhere.example.test (NXDOMAIN)\n") != NULL,
		      "log: %s", log);
	i2 = must_find(1, "INVITE sip:carol@two.example.test:5064 SIP/2.0\r\n", "CSeq: 3 INVITE");
	ck_assert_str_eq(addr_of((unsigned)i2), "127.0.0.2:5064");
	ck_assert_uint_eq(n_ev, 1);
	respond((unsigned)i2, 486, "c1", NULL, NULL, NULL);
	/* The other address of carol's is a next target for a 503 only. */
	ck_assert_uint_eq(count(0, "INVITE ", NULL), 2);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 486, "remote");
	drain();
}
END_TEST

/*
 * In the dialog, a URI naming the host the INVITE was resolved for goes
 * where the INVITE went: a callee whose Contact is the name called (its
 * ACK and BYE to 127.0.0.3, the target that answered, not .2), a proxy
 * that Record-Routes with the name it is reached by.  Another name is not
 * resolved: the ACK cannot go (logged), and the hangup ends the call.
 */
START_TEST(test_dns_dialog_same_name)
{
	static const char *const rr[] = {"Record-Route", "<sip:proxy.example.test:5070;lr>", NULL};
	struct call *c;
	char log[4096];
	int i2, ack, bye;
	unsigned before;

	calls_dns(NULL);
	c = place(TWO);
	advance_to(0);
	respond(0, 503, "s1", NULL, NULL, NULL);
	i2 = must_find(1, "INVITE ", "CSeq: 2 INVITE");
	respond((unsigned)i2, 200, "b1", "<sip:bob@TWO.example.test.:5062>", SDP_OFFER, NULL);
	ack = must_find((unsigned)i2 + 1, "ACK sip:bob@TWO.example.test.:5062 ", "CSeq: 2 ACK");
	ck_assert_str_eq(addr_of((unsigned)ack), "127.0.0.3:5062");
	check_ev(n_ev - 1, CALL_EV_STATE, "answered", 200, NULL);
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE sip:bob@TWO.example.test.:5062 ", "CSeq: 3 BYE");
	ck_assert_str_eq(addr_of((unsigned)bye), "127.0.0.3:5062");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();

	/* Through a proxy by name that Record-Routes with it. */
	ua_set_calls(ua, NULL);
	calls_free(cs);
	cs = NULL;
	dns_fill_free(dns);
	dns = NULL;
	calls_dns("sip:proxy.example.test:5070");
	before = n_sent;
	c = place("sip:bob@far.example.test");
	advance_to(now());
	i2 = must_find(before, "INVITE sip:bob@far.example.test ", NULL);
	ck_assert_str_eq(addr_of((unsigned)i2), "127.0.0.1:5070");
	respond((unsigned)i2, 200, "b2", "<sip:bob@192.0.2.7:5062>", SDP_OFFER, rr);
	ack = must_find((unsigned)i2 + 1, "ACK sip:bob@192.0.2.7:5062 ", NULL);
	ck_assert(has((unsigned)ack, "\r\nRoute: <sip:proxy.example.test:5070;lr>\r\n"));
	ck_assert_str_eq(addr_of((unsigned)ack), "127.0.0.1:5070");
	before = n_sent;
	ck_assert_int_eq(call_hangup(c, &why), 0);
	bye = must_find(before, "BYE sip:bob@192.0.2.7:5062 ", NULL);
	ck_assert_str_eq(addr_of((unsigned)bye), "127.0.0.1:5070");
	respond((unsigned)bye, 200, NULL, NULL, NULL, NULL);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");

	/* A name the INVITE did not go to. */
	before = n_sent;
	c = place("sip:bob@far.example.test");
	advance_to(now());
	i2 = must_find(before, "INVITE sip:bob@far.example.test ", NULL);
	log_capture_start();
	respond((unsigned)i2, 200, "b3", "<sip:bob@other.example.test>", SDP_OFFER, NULL);
	log_capture_stop(log, sizeof(log));
	ck_assert_int_eq(find((unsigned)i2 + 1, "ACK ", NULL), -1);
	ck_assert_msg(strstr(log, "cannot send to sip:bob@other.example.test: host "
				  "'other.example.test' is not an IP address") != NULL,
		      "log: %s", log);
	ck_assert_int_eq(call_hangup(c, &why), 0);
	check_ev(n_ev - 1, CALL_EV_STATE, "ended", 200, "local");
	drain();
}
END_TEST

static Suite *call_suite(void)
{
	Suite *s = suite_create("call");
	TCase *uas = tcase_create("uas");
	TCase *uac = tcase_create("uac");
	TCase *auth, *dnsc;

	tcase_add_checked_fixture(uas, setup, teardown);
	tcase_add_test(uas, test_uas_auto_answer);
	tcase_add_test(uas, test_uas_answer_delay);
	tcase_add_test(uas, test_uas_record_route_copied);
	tcase_add_test(uas, test_uas_initial_offer_busy);
	tcase_add_test(uas, test_uas_reinvite_offer_busy);
	tcase_add_test(uas, test_uas_rtp_exhausted_retry_after);
	tcase_add_test(uas, test_uas_200_resent_until_ack);
	tcase_add_test(uas, test_uas_answer_send_fails);
	tcase_add_test(uas, test_uas_reinvite_bad_offers);
	tcase_add_test(uas, test_uas_reinvite_codec_change);
	tcase_add_test(uas, test_uas_hangup_before_ack);
	tcase_add_test(uas, test_uas_no_ack_bye);
	tcase_add_test(uas, test_uas_cancel);
	tcase_add_test(uas, test_uas_ring_timeout);
	tcase_add_test(uas, test_uas_manual_answer);
	tcase_add_test(uas, test_uas_reject);
	tcase_add_test(uas, test_uas_answer_reject_no_100);
	tcase_add_test(uas, test_uas_late_offer);
	tcase_add_test(uas, test_uas_late_offer_no_answer);
	tcase_add_test(uas, test_uas_488);
	tcase_add_test(uas, test_uas_400_bad_sdp);
	tcase_add_test(uas, test_uas_optional_body_late_offer);
	tcase_add_test(uas, test_uas_ack_optional_body_no_answer);
	tcase_add_test(uas, test_uas_reinvite_optional_body);
	tcase_add_test(uas, test_uas_bye_481);
	tcase_add_test(uas, test_uas_reinvite_hold);
	tcase_add_test(uas, test_uas_reinvite_glare_491);
	tcase_add_test(uas, test_uas_reinvite_lower_cseq_500);
	tcase_add_test(uas, test_uas_reinvite_before_ack_500);
	tcase_add_test(uas, test_uas_max_calls_503);
	tcase_add_test(uas, test_uas_shutdown);
	suite_add_tcase(s, uas);

	tcase_add_checked_fixture(uac, setup, teardown);
	tcase_add_test(uac, test_uac_invite_sent);
	tcase_add_test(uac, test_uac_answered);
	tcase_add_test(uac, test_uac_non_sdp_bodies);
	tcase_add_test(uac, test_uac_second_fork);
	tcase_add_test(uac, test_uac_second_fork_ack_fails);
	tcase_add_test(uac, test_uac_486);
	tcase_add_test(uac, test_uac_timer_b);
	tcase_add_test(uac, test_uac_hangup_before_provisional);
	tcase_add_test(uac, test_uac_hangup_200_race);
	tcase_add_test(uac, test_uac_cancel_no_final);
	tcase_add_test(uac, test_uac_redirect);
	tcase_add_test(uac, test_uac_hold_491_retry);
	tcase_add_test(uac, test_uac_reinvite_failures);
	tcase_add_test(uac, test_uac_reinvite_481);
	tcase_add_test(uac, test_uac_hold_resume_within_timer_m);
	tcase_add_test(uac, test_uac_headers);
	tcase_add_test(uac, test_account_identity);
	tcase_add_test(uac, test_uac_place_refused);
	suite_add_tcase(s, uac);
	auth = tcase_create("auth");
	tcase_add_checked_fixture(auth, setup, teardown);
	tcase_add_test(auth, test_uac_auth_invite);
	tcase_add_test(auth, test_uac_auth_wrong_password);
	tcase_add_test(auth, test_uac_auth_no_password);
	tcase_add_test(auth, test_uac_auth_unsupported);
	tcase_add_test(auth, test_uac_auth_hangup_meanwhile);
	tcase_add_test(auth, test_uac_auth_redirect_new_chain);
	tcase_add_test(auth, test_uac_auth_after_early_answer);
	tcase_add_test(auth, test_uac_route_outbound_proxy);
	tcase_add_test(auth, test_uac_route_service_route);
	tcase_add_test(auth, test_uac_account_transport);
	tcase_add_test(auth, test_uac_tls);
	tcase_add_test(auth, test_srtp_needs_tls);
	tcase_add_test(auth, test_uac_route_not_in_dialog);
	tcase_add_test(auth, test_uac_route_unusable);
	tcase_add_test(auth, test_uac_auth_in_dialog);
	tcase_add_test(auth, test_uac_auth_bye_refused);
	tcase_add_test(auth, test_uac_account_find);
	suite_add_tcase(s, auth);
	dnsc = tcase_create("dns");
	tcase_add_checked_fixture(dnsc, setup, teardown);
	tcase_add_test(dnsc, test_dns_literal_from_the_loop);
	tcase_add_test(dnsc, test_dns_failover_503);
	tcase_add_test(dnsc, test_dns_failover_timer_b);
	tcase_add_test(dnsc, test_dns_no_failover_after_provisional);
	tcase_add_test(dnsc, test_dns_nxdomain);
	tcase_add_test(dnsc, test_dns_hangup_while_resolving);
	tcase_add_test(dnsc, test_dns_outbound_proxy_name);
	tcase_add_test(dnsc, test_dns_redirect_to_names);
	tcase_add_test(dnsc, test_dns_dialog_same_name);
	suite_add_tcase(s, dnsc);
	return s;
}

int main(void)
{
	msg_lib_init();
	return check_run(call_suite());
}
