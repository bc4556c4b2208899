/*
 * resp_cost: what building one response costs, as text from the request's
 * lines (msg_resp.c) or through libosip2 (the builder unusual requests
 * still get).  A measurement, not a test: it asserts nothing about speed.
 *
 * Per iteration, as a UAS answers an INVITE: the 180 (tag, Contact,
 * Record-Route, Server) and the 200 (tag, Allow, Supported, SDP body,
 * Contact, Record-Route, Server), each taken as bytes the way the
 * transaction keeps them (msg_take_str), and freed.  The INVITE is SIPp's
 * -sn uac one with a Record-Route and rport added, stamped as received
 * from another address (so the top Via is rewritten).  For instruction
 * counts, which do not depend on the machine's load, run it under
 * callgrind and compare msg_build_response and friends:
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -IBUILD bench/msg/resp_cost.c \
 *      BUILD/libsipuad.a -losipparser2 -losip2 -levent_core -lcrypto -o /tmp/resp_cost
 *   /tmp/resp_cost text 100000; /tmp/resp_cost osip 100000
 *   valgrind --tool=callgrind /tmp/resp_cost text 10000
 *
 * Prints the mean wall time per iteration and the bytes built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip/msg.h"

static const char invite[] =
    "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-3221-1-0;rport\r\n"
    "Record-Route: <sip:proxy.example.com;lr>\r\n"
    "From: sipp <sip:sipp@127.0.0.1:5061>;tag=3221SIPpTag001\r\n"
    "To: service <sip:service@127.0.0.1:5060>\r\n"
    "Call-ID: 1-3221@127.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: sip:sipp@127.0.0.1:5061\r\n"
    "Max-Forwards: 70\r\n"
    "Subject: Performance Test\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length:   129\r\n"
    "\r\n"
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

static const char sdp[] = "v=0\r\n"
			  "o=sipuad 1 1 IN IP4 127.0.0.1\r\n"
			  "s=sipuad\r\n"
			  "c=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\n"
			  "m=audio 20000 RTP/AVP 0 101\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n"
			  "a=rtpmap:101 telephone-event/8000\r\n"
			  "a=fmtp:101 0-15\r\n"
			  "a=sendrecv\r\n";

/* One response as the UAS core and the transaction build it; its length. */
static size_t one(const struct sip_msg *req, int code)
{
	struct sip_msg *r = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (msg_build_response(&r, req, code, NULL, "as8f7d6e5c") < 0)
		abort();
	if (code == 200 && (msg_add_header(r, "Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS") < 0 ||
			    msg_add_header(r, "Supported", "") < 0 ||
			    msg_set_body(r, "application/sdp", sdp, sizeof(sdp) - 1) < 0))
		abort();
	if (msg_add_header(r, "Contact", "<sip:sipuad@127.0.0.1:5060>") < 0 ||
	    msg_copy_record_routes(r, req) < 0)
		abort();
	if (!msg_header(r, "Server", NULL) && msg_add_header(r, "Server", "sipuad") < 0)
		abort();
	if (msg_take_str(r, &buf, &len) < 0)
		abort();
	free(buf);
	msg_free(r);
	return len;
}

int main(int argc, char **argv)
{
	struct sip_msg *req = NULL;
	long n = argc > 2 ? atol(argv[2]) : 100000;
	bool text = argc < 2 || strcmp(argv[1], "osip") != 0;
	struct timespec a, b;
	size_t bytes = 0;

	msg_lib_init();
	if (msg_parse(&req, invite, sizeof(invite) - 1, false) < 0)
		abort();
	req->src.proto = NET_UDP;
	if (net_addr_from_host(&req->src.addr, "192.0.2.9", 40000) < 0 || msg_stamp_via(req) < 0)
		abort();
	if (!text)
		req->lines.ok = false; /* the libosip2 builder */
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		bytes += one(req, 180) + one(req, 200);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%s: %ld iterations (180 + 200), %.3f us each, %zu bytes each\n",
	       text ? "text" : "osip", n,
	       ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3) / (double)n,
	       n ? bytes / (size_t)n : 0);
	msg_free(req);
	return 0;
}
