/*
 * fuzz_msg: the message entry point, as the daemon runs it on every
 * datagram or TCP frame: parse, then the §8.2 checks, the Via stamp and the
 * response routing of a request, or the response checks; then build and
 * serialize the answer a bad request would get.  Over UDP and TCP, and
 * with the oversize flag, chosen by the first input byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise_request(struct sip_msg *m)
{
	struct msg_err e;
	struct sip_dest d;
	struct sip_msg *r = NULL;
	char *buf = NULL, ct[64], req[128];
	size_t len;
	bool ok;

	if (m->via_host)
		msg_stamp_via(m);
	ok = msg_check_request(m, &e);
	msg_response_dest(m, &d);
	msg_body_len(m);
	msg_content_type(m, ct, sizeof(ct));
	msg_header_join(m, "Require", NULL, req, sizeof(req));
	if (msg_build_response(&r, m, ok ? 200 : e.code, ok ? NULL : e.reason, "fuzztag") == 0) {
		if (!ok && e.hdr_name[0])
			msg_add_header(r, e.hdr_name, e.hdr_value);
		if (msg_to_str(r, &buf, &len) == 0)
			free(buf);
		msg_free(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	struct sip_msg *m = NULL;
	const char *why;
	char *buf;
	size_t len;

	if (!inited) {
		msg_lib_init();
		log_hook_libevent();	/* libosip2's trace to our log, not stderr */
		inited = true;
	}
	if (size < 1)
		return 0;
	if (msg_parse(&m, (const char *)data + 1, size - 1, data[0] & 2) < 0)
		return 0;
	m->src.proto = (data[0] & 1) ? NET_TCP : NET_UDP;
	net_addr_from_host(&m->src.addr, (data[0] & 4) ? "::1" : "127.0.0.1", 5060);
	if (m->is_request)
		exercise_request(m);
	else
		msg_check_response(m, &why);
	if (msg_to_str(m, &buf, &len) == 0)
		free(buf);
	msg_free(m);
	return 0;
}
