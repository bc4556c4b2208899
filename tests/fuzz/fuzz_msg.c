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
	sip_recv(fz.sip, &pkt);
	/* Past Timer B/F/H (64*T1) and J/K/I/L: every transaction ends. */
	tmr_fake_advance(fz.clk, 64 * 500 + 5000 + 1000);
	if (sip_tsx_count(fz.sip) != 0)
		abort();
	return 0;
}
