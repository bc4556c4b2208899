/*
 * check_codec: the one codec table of src/media/codec.c, and that the two
 * readers of it, the config ([media] codecs) and offer/answer, take what
 * it holds and nothing else.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "core/net.h"
#include "media/codec.h"
#include "ua/oa.h"

#include "check_run.h"

/* The rows of today, as RFC 3551 §6 numbers the static ones. */
START_TEST(test_table)
{
	const struct codec *c;

	ck_assert_uint_eq(codec_count(), 4);
	c = codec_at(0);
	ck_assert_str_eq(c->name, "PCMU");
	ck_assert_uint_eq(c->pt, 0);
	ck_assert_uint_eq(c->rate, 8000);
	ck_assert_uint_eq(c->channels, 1);
	ck_assert_ptr_null(c->fmtp);
	ck_assert_int_eq(c->kind, CODEC_AUDIO);
	c = codec_at(1);
	ck_assert_str_eq(c->name, "PCMA");
	ck_assert_uint_eq(c->pt, 8);
	ck_assert_uint_eq(c->rate, 8000);
	ck_assert_int_eq(c->kind, CODEC_AUDIO);
	/* G.722's RTP clock is 8000 Hz though it samples at 16 kHz (RFC 3551 §4.5.2). */
	c = codec_at(2);
	ck_assert_str_eq(c->name, "G722");
	ck_assert_uint_eq(c->pt, 9);
	ck_assert_uint_eq(c->rate, 8000);
	ck_assert_int_eq(c->kind, CODEC_AUDIO);
	c = codec_at(3);
	ck_assert_str_eq(c->name, "telephone-event");
	ck_assert_uint_eq(c->pt, 101);
	ck_assert_uint_eq(c->rate, 8000);
	ck_assert_str_eq(c->fmtp, "0-16");
	ck_assert_int_eq(c->kind, CODEC_EVENT);
	ck_assert_ptr_null(codec_at(4));
	ck_assert_ptr_eq(codec_event(), c);
}
END_TEST

/* What every row must be for the readers to hold it. */
START_TEST(test_rows_sound)
{
	size_t events = 0, audio = 0;

	for (size_t i = 0; i < codec_count(); i++) {
		const struct codec *c = codec_at(i);

		ck_assert_uint_lt(strlen(c->name), CODEC_NAME_MAX);
		ck_assert_uint_le(c->pt, 127);
		ck_assert_uint_gt(c->rate, 0);
		ck_assert_uint_ge(c->channels, 1);
		/* An event type is offered on a dynamic number (RFC 4733 §2.5.1). */
		if (c->kind == CODEC_EVENT) {
			ck_assert_uint_ge(c->pt, CODEC_PT_DYNAMIC);
			events++;
		} else {
			audio++;
		}
		for (size_t j = 0; j < i; j++) {
			ck_assert_uint_ne(codec_at(j)->pt, c->pt);
			ck_assert_ptr_eq(codec_find(codec_at(j)->name), codec_at(j));
		}
	}
	ck_assert_uint_eq(events, 1);
	/* cfg.codecs holds every audio row: each name is listed once at most. */
	ck_assert_uint_le(audio, CFG_MAX_CODECS);
	ck_assert_uint_le(audio, OA_MAX_CODECS);
}
END_TEST

START_TEST(test_find)
{
	ck_assert_ptr_eq(codec_find("PCMU"), codec_at(0));
	ck_assert_ptr_eq(codec_find("pcma"), codec_at(1));
	ck_assert_ptr_eq(codec_find("Telephone-Event"), codec_event());
	ck_assert_ptr_null(codec_find("G729"));
	ck_assert_ptr_null(codec_find("PCMU/8000"));
	ck_assert_ptr_null(codec_find(""));
	ck_assert_ptr_null(codec_find(NULL));
}
END_TEST

/* cfg's view: every row by name, the event one flagged, NULL past the end. */
START_TEST(test_cfg_view)
{
	bool audio = true;

	ck_assert_str_eq(codec_cfg_name(0, &audio), "PCMU");
	ck_assert(audio);
	ck_assert_str_eq(codec_cfg_name(1, &audio), "PCMA");
	ck_assert(audio);
	ck_assert_str_eq(codec_cfg_name(2, &audio), "G722");
	ck_assert(audio);
	ck_assert_str_eq(codec_cfg_name(3, &audio), "telephone-event");
	ck_assert(!audio);
	ck_assert_ptr_null(codec_cfg_name(4, &audio));
}
END_TEST

/* The defaults of cfg: G.711 both laws, telephone-event on (G.722 only when listed). */
START_TEST(test_cfg_defaults)
{
	struct cfg *c = NULL;

	ck_assert_int_eq(cfg_defaults(codec_cfg_name, &c), 0);
	ck_assert_uint_eq(c->n_codecs, 2);
	ck_assert_str_eq(c->codecs[0], "PCMU");
	ck_assert_str_eq(c->codecs[1], "PCMA");
	ck_assert(c->dtmf);
	cfg_free(c);
}
END_TEST

/* oa takes the audio rows by name, and no other name: the event row is a flag there. */
START_TEST(test_oa_takes_table)
{
	struct oa_cfg oc;
	struct oa *oa = NULL;
	char *sdp = NULL;

	memset(&oc, 0, sizeof(oc));
	ck_assert_int_eq(net_addr_from_host(&oc.local, "127.0.0.1", 0), 0);
	oc.n_codecs = 1;
	for (size_t i = 0; i < codec_count(); i++) {
		const struct codec *c = codec_at(i);

		oc.codecs[0] = c->name;
		ck_assert_int_eq(oa_new(&oa, &oc), c->kind == CODEC_AUDIO ? 0 : -EINVAL);
		oa_free(oa);
		oa = NULL;
	}
	oc.codecs[0] = "G729";
	ck_assert_int_eq(oa_new(&oa, &oc), -EINVAL);
	/* The offer writes the table's numbers, names, rates and fmtp. */
	oc.codecs[0] = "pcma";
	oc.dtmf = true;
	ck_assert_int_eq(oa_new(&oa, &oc), 0);
	ck_assert_int_eq(oa_make_offer(oa, 30000, OA_SENDRECV, &sdp), 0);
	ck_assert_ptr_nonnull(strstr(sdp, "m=audio 30000 RTP/AVP 8 101\r\n"
					  "a=rtpmap:8 PCMA/8000\r\n"
					  "a=rtpmap:101 telephone-event/8000\r\n"
					  "a=fmtp:101 0-16\r\n"));
	free(sdp);
	oa_free(oa);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_rows_sound);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_cfg_view);
	tcase_add_test(tc, test_cfg_defaults);
	tcase_add_test(tc, test_oa_takes_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(codec_suite());
}
