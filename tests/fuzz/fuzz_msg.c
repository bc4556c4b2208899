/*
 * fuzz_msg: the receive pipeline the daemon runs on every datagram or TCP
 * frame, sip_recv(): parse, the response checks or the Via stamp and §8.2
 * checks of a request, a stateless answer to a bad one, and for a good one
 * the transaction layer and the UA core's method table and §8.2.2 checks
 * (OPTIONS answered, CANCEL 481, INVITE 501 since no call table is
 * attached, ...).  What the stack sends is serialized as on the wire and
 * thrown away.  Over UDP or TCP, from IPv4 or IPv6, with the oversize flag,
 * as chosen by the first input byte.  After each input the fake clock runs
 * past every transaction timer, so each input starts from an empty table
 * and the timer paths (retransmissions, Timer J/K) run too.
 *
 * Each request is also answered by msg_build_response() as the UA would (a
 * tag, headers, a body): a response built as text from the request's
 * lines must parse back whenever libosip2's builder's does, agree with it
 * on the fields a peer matches (status, Call-ID, CSeq, tags, branch), and
 * pass the response checks when the request passed its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/log.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/sip.h"
#include "ua/ua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct event_base *base;
	struct tmr_clock *clk;
	struct stats stats;
	struct sip *sip;
	struct ua *ua;
} fz;

static int discard(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	(void)arg;
	(void)d;
	(void)buf;
	(void)len;
	return 0;
}

static void setup(void)
{
	struct sip_cfg cfg = {
	    .tsx = {.t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000, .max_tsx = 1000,
		.retry_after_s = 5, .server = "sipuad/fuzz"},
	    .tp = {.max_msg = 65535, .max_tcp_conns = 8, .tcp_idle_s = 60},
	};

	msg_lib_init();
	log_hook_libevent();
	log_set_level(LOG_LVL_ERR);
	if (!(fz.base = event_base_new()) || tmr_clock_new(&fz.clk, fz.base) < 0 ||
	    sip_new(&fz.sip, fz.base, fz.clk, &cfg, &fz.stats) < 0 || ua_new(&fz.ua, fz.sip) < 0)
		abort();
	sip_set_send(fz.sip, discard, NULL);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * req answered 200 with the UA's headers and a body, serialised and parsed
 * back into *back: 1, 0 (built, but it does not parse back), -1 (not
 * built: a setter refused).  *text: built as text.
 */
static int answer(const struct sip_msg *req, bool *text, struct sip_msg **back)
{
	struct sip_msg *r = NULL;
	char *buf = NULL;
	size_t len;
	int rc = -1;

	*back = NULL;
	if (msg_build_response(&r, req, 200, NULL, "fz1") < 0)
		return -1;
	*text = r->out != NULL;
	if (msg_add_header(r, "Allow", "INVITE, ACK") == 0 && msg_add_header(r, "Supported", "") == 0 &&
	    msg_set_body(r, "application/sdp", "v=0\r\n", 5) == 0 &&
	    msg_copy_record_routes(r, req) == 0 && msg_to_str(r, &buf, &len) == 0)
		rc = msg_parse(back, buf, len, false) == 0 ? 1 : 0;
	free(buf);
	msg_free(r);
	return rc;
}

/* The response as text against libosip2's builder (lines.ok cleared forces it). */
static void check_response(const struct tp_pkt *pkt)
{
	struct sip_msg *req = NULL, *a, *b;
	struct msg_err e;
	const char *why = NULL;
	bool text = false, old = false, good;
	int ra, rb;

	if (msg_parse(&req, pkt->buf, pkt->len, pkt->oversize) < 0)
		return;
	req->src = pkt->src;
	good = req->is_request && msg_check_request(req, &e);
	if (!req->is_request || (req->via_host && msg_stamp_via(req) < 0) || !req->lines.ok) {
		msg_free(req);
		return;
	}
	ra = answer(req, &text, &a);
	req->lines.ok = false;
	rb = answer(req, &old, &b);
	/* Not as text: lines libosip2 read otherwise (msg_resp.c lines_fit). */
	if (!text) {
		msg_free(a);
		msg_free(b);
		msg_free(req);
		return;
	}
	/*
	 * No worse than libosip2's builder: it too writes a response that
	 * does not parse back for a Via it read as garbage.
	 */
	if (old || ra < rb || (good && a && !msg_check_response(a, &why)))
		abort();
	if (a && b &&
	    (a->status != b->status || a->cseq != b->cseq || !same_str(a->call_id, b->call_id) ||
	     !same_str(a->from_tag, b->from_tag) || !same_str(a->to_tag, b->to_tag) ||
	     !same_str(a->branch, b->branch) || !same_str(a->method, b->method)))
		abort();
	msg_free(a);
	msg_free(b);
	msg_free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_pkt pkt;

	if (!fz.sip)
		setup();
	if (size < 1)
		return 0;
	memset(&pkt, 0, sizeof(pkt));
	pkt.src.proto = (data[0] & 1) ? NET_TCP : NET_UDP;
	pkt.src.conn = (data[0] & 1) ? 1 : 0;
	net_addr_from_host(&pkt.src.addr, (data[0] & 4) ? "::1" : "127.0.0.1", 5062);
	pkt.oversize = data[0] & 2;
	pkt.buf = (const char *)data + 1;
	pkt.len = size - 1;
	check_response(&pkt);
	sip_recv(fz.sip, &pkt);
	/* Past Timer B/F/H (64*T1) and J/K/I/L: every transaction ends. */
	tmr_fake_advance(fz.clk, 64 * 500 + 5000 + 1000);
	if (sip_tsx_count(fz.sip) != 0)
		abort();
	return 0;
}
