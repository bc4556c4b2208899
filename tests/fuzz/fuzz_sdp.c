/*
 * fuzz_sdp: libFuzzer target for the SDP offer/answer module (src/ua/oa.c),
 * the code that takes every SDP body a peer sends: offers in an INVITE or
 * re-INVITE, answers in a 2xx, a 1xx or an ACK.
 *
 * Each input is tried both ways: as an offer to a fresh session, and as the
 * answer to an offer of ours.  Whatever the bytes, oa must return 0 or one
 * of its documented codes, fill its outputs only on success, and leak
 * nothing; a taken offer is answered again to exercise the o= version rule.
 *
 *   tests/fuzz/fuzz_sdp -max_total_time=60 tests/fuzz/corpus/sdp
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/msg.h"
#include "ua/oa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int session(struct oa **op)
{
	struct oa_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.codecs[0] = "PCMU";
	cfg.codecs[1] = "PCMA";
	cfg.n_codecs = 2;
	cfg.dtmf = true;
	net_addr_from_host(&cfg.local, "127.0.0.1", 0);
	return oa_new(op, &cfg);
}

static void known(int err)
{
	if (err != 0 && err != -EBADMSG && err != -ENOTSUP && err != -EBUSY && err != -EPROTO &&
	    err != -ENOMEM)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	struct oa *oa = NULL;
	struct oa_result res;
	char *answer = NULL, *offer = NULL, why[160];
	int err;

	if (!inited) {
		msg_lib_init();
		inited = 1;
	}
	/* As an offer, twice: a repeat must not break the session. */
	if (session(&oa) < 0)
		return 0;
	for (int i = 0; i < 2; i++) {
		err = oa_take_offer(oa, (const char *)data, size, 40000, OA_SENDRECV, &answer, &res,
				    why, sizeof(why));
		known(err);
		free(answer);
		answer = NULL;
	}
	oa_free(oa);
	/* As the answer to our offer. */
	if (session(&oa) < 0)
		return 0;
	if (oa_make_offer(oa, 40000, OA_SENDONLY, &offer) == 0) {
		err = oa_take_answer(oa, (const char *)data, size, &res, why, sizeof(why));
		known(err);
		if (err == 0 && oa_current(oa, &res) != 0)
			abort();
	}
	free(offer);
	oa_free(oa);
	return 0;
}
