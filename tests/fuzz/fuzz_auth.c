/*
 * fuzz_auth: libFuzzer target for the challenge path (RFC 3261 §22.2,
 * RFC 7616): the header lines a 401/407 carries, read by msg_challenges()
 * (libosip2's WWW-/Proxy-Authenticate parsers behind it) and answered by
 * cred_authorize() (src/ua/cred.c, src/sip/auth.c).
 *
 * Each input is the header section of a response after a fixed status
 * line and the headers that make it a response to our REGISTER.  Whatever
 * the bytes: cred_authorize() returns 0 or one of its documented codes,
 * adds credentials only on success, the retried request still serializes,
 * the password never appears in it or in the reason, and nothing leaks.
 * The same response is answered twice in one chain to run the wrong-
 * credentials and loop checks.
 *
 *   tests/fuzz/fuzz_auth -max_total_time=60 tests/fuzz/corpus/auth
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "sip/msg.h"
#include "ua/cred.h"

#define PASSWORD "fuzz-Secret-9"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char prefix[] = "SIP/2.0 401 Unauthorized\r\n"
			     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfuzz;rport\r\n"
			     "From: <sip:alice@example.test>;tag=f1\r\n"
			     "To: <sip:alice@example.test>;tag=t1\r\n"
			     "Call-ID: fuzz@192.0.2.1\r\n"
			     "CSeq: 1 REGISTER\r\n";

static struct sip_msg *request(void)
{
	struct msg_req_spec spec = {
	    .method = "REGISTER",
	    .ruri = "sip:example.test",
	    .to = "sip:alice@example.test",
	    .from = "sip:alice@example.test",
	    .cseq = 1,
	    .via_proto = NET_UDP,
	};
	struct sip_msg *m = NULL;

	net_addr_from_host(&spec.via_addr, "192.0.2.1", 5060);
	if (msg_build_request(&m, &spec) < 0)
		abort();
	return m;
}

static void known(int err)
{
	if (err != 0 && err != -ENOKEY && err != -ENOTSUP && err != -EACCES && err != -ELOOP &&
	    err != -EINVAL && err != -ENOMEM)
		abort();
}

/* One answer: the retry serializes and holds no password. */
static void answer(struct cred *c, struct cred_chain *ch, const struct sip_msg *resp,
		   const struct sip_msg *req, uint32_t cseq, bool echoed)
{
	struct sip_msg *retry = NULL;
	struct why why;
	char *text = NULL;
	size_t len;
	int err;

	if (msg_build_retry(&retry, req, cseq) < 0)
		abort();
	err = cred_authorize(c, ch, resp, retry, &why);
	known(err);
	/* The password shows nowhere, unless the input itself holds its text. */
	if (!echoed && strstr(why.msg, PASSWORD))
		abort();
	if (msg_to_str(retry, &text, &len) == 0) {
		if (!echoed && memmem(text, len, PASSWORD, strlen(PASSWORD)))
			abort();
		if (err < 0 && memmem(text, len, "Authorization:", 14))
			abort();
		free(text);
	} else if (err == 0) {
		abort(); /* credentials we added must serialize */
	}
	msg_free(retry);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct sip_msg *resp = NULL, *req;
	struct cred *c = NULL;
	struct cred_chain ch;
	char *buf;
	size_t n;
	bool echoed;

	if (!init) {
		msg_lib_init();
		init = 1;
	}
	if (size > 16384)
		return 0;
	n = sizeof(prefix) - 1;
	if (!(buf = malloc(n + size + 4)))
		return 0;
	memcpy(buf, prefix, n);
	memcpy(buf + n, data, size);
	memcpy(buf + n + size, "\r\n\r\n", 4);
	echoed = memmem(data, size, PASSWORD, strlen(PASSWORD)) != NULL;
	if (msg_parse(&resp, buf, n + size + 4, false) < 0) {
		free(buf);
		return 0;
	}
	free(buf);
	if (cred_new(&c, "alice", PASSWORD) < 0)
		abort();
	req = request();
	memset(&ch, 0, sizeof(ch));
	answer(c, &ch, resp, req, 2, echoed);
	answer(c, &ch, resp, req, 3, echoed);
	answer(NULL, &ch, resp, req, 4, echoed);
	msg_free(req);
	msg_free(resp);
	cred_free(c);
	return 0;
}
