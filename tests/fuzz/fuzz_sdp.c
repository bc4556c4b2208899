/*
 * fuzz_sdp: libFuzzer target for the SDP module (src/sip/msdp.c, the one
 * that runs libosip2's SDP parser) and the offer/answer module on top of it
 * (src/ua/oa.c): the code that takes every SDP body a peer sends, offers
 * in an INVITE or re-INVITE, answers in a 2xx, a 1xx or an ACK.
 *
 * Each input is first parsed by msdp_parse(): 0 with a structure whose every
 * string can be read and whose lists keep their bounds, or -EBADMSG with a
 * reason starting "SDP: ".  Then it is tried both ways through oa: as an
 * offer to a fresh session, and as the answer to an offer of ours.
 * Whatever the bytes, oa must return 0 or one of its documented codes,
 * fill its outputs only on success, and leak nothing; a taken offer is
 * answered again to exercise the o= version rule.
 *
 *   tests/fuzz/fuzz_sdp -max_total_time=60 tests/fuzz/corpus/sdp
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/msdp.h"
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

/* Touch every string: ASan sees a dangling or unterminated one. */
static size_t walk_str(const char *s)
{
	if (!s)
		abort();
	return strlen(s);
}

static size_t walk_attrs(const struct msdp_attr *a, size_t n)
{
	size_t sum = 0;

	if (n > MSDP_MAX_ATTRS)
		abort();
	for (size_t i = 0; i < n; i++)
		sum += walk_str(a[i].name) + (a[i].value ? strlen(a[i].value) : 0);
	return sum;
}

static size_t walk_conn(const struct msdp_conn *c)
{
	if (!c->present)
		return 0;
	return walk_str(c->nettype) + walk_str(c->addrtype) + walk_str(c->addr);
}

static void parse_only(const uint8_t *data, size_t size)
{
	struct msdp *sdp = NULL;
	char why[160] = "";
	size_t sum = 0;
	int err = msdp_parse((const char *)data, size, &sdp, why, sizeof(why));

	if (err == -EBADMSG && strncmp(why, "SDP: ", 5) == 0 && !sdp)
		return;
	if (err == -ENOMEM && !sdp)
		return;
	if (err != 0 || !sdp || sdp->n_media > MSDP_MAX_MEDIA)
		abort();
	sum += walk_str(sdp->origin.username) + walk_str(sdp->origin.sess_id) +
	       walk_str(sdp->origin.sess_version) + walk_str(sdp->origin.nettype) +
	       walk_str(sdp->origin.addrtype) + walk_str(sdp->origin.addr);
	sum += walk_conn(&sdp->conn) + walk_attrs(sdp->attrs, sdp->n_attrs);
	for (size_t i = 0; i < sdp->n_media; i++) {
		const struct msdp_media *m = &sdp->media[i];

		if (m->n_fmts > MSDP_MAX_FMTS || m->port < -1 || m->port > 65535)
			abort();
		sum += walk_str(m->type) + walk_str(m->port_text) + walk_str(m->proto);
		sum += walk_conn(msdp_conn_of(sdp, m)) + walk_attrs(m->attrs, m->n_attrs);
		for (size_t k = 0; k < m->n_fmts; k++) {
			const struct msdp_fmt *f = &m->fmts[k];

			if (f->pt < -1 || f->pt > 127 ||
			    strnlen(f->encoding, MSDP_ENC_MAX) == MSDP_ENC_MAX)
				abort();
			sum += walk_str(f->text) + (f->fmtp ? strlen(f->fmtp) : 0);
		}
	}
	msdp_free(sdp);
	(void)sum;
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
	parse_only(data, size);
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
		if (err == 0 && !oa_has_result(oa))
			abort();
	}
	free(offer);
	oa_free(oa);
	return 0;
}
