/*
 * Unit tests for oa: our offer's text (parsed back with sip/msdp), the o=
 * version rule of RFC 3264 §8, answers to remote offers (order and
 * numbers kept, telephone-event, declined lines, §6.1 directions, 488 and
 * 400 paths, IPv6), taking answers to our offer, glare and rollback.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/codec.h"
#include "media/media.h"
#include "media/sdes.h"
#include "sip/msdp.h"
#include "ua/oa.h"

#include "check_run.h"

static struct oa *oa;

static struct oa *make(const char *host, bool dtmf)
{
	struct oa_cfg cfg = {.codecs = {"PCMU", "PCMA"}, .n_codecs = 2, .dtmf = dtmf};
	struct oa *o = NULL;

	ck_assert_int_eq(net_addr_from_host(&cfg.local, host, 0), 0);
	ck_assert_int_eq(oa_new(&o, &cfg), 0);
	return o;
}

static void setup(void)
{
	oa = make("192.0.2.10", true);
}

static void teardown(void)
{
	oa_free(oa);
	oa = NULL;
}

static struct msdp *parse_back(const char *s)
{
	struct msdp *sdp = NULL;
	char why[128] = "";

	ck_assert_msg(msdp_parse(s, strlen(s), &sdp, why, sizeof(why)) == 0, "%s", why);
	return sdp;
}

/* The o= version of body s. */
static unsigned long version_of(const char *s)
{
	struct msdp *sdp = parse_back(s);
	unsigned long v = strtoul(sdp->origin.sess_version, NULL, 10);

	msdp_free(sdp);
	return v;
}

/* Our answer to offer o, expected to succeed. */
static char *answer(const char *o, enum oa_dir want, struct oa_result *r)
{
	char *a = NULL, why[128] = "";

	ck_assert_msg(oa_take_offer(oa, o, strlen(o), 30000, want, &a, r, why, sizeof(why)) == 0,
		      "%s", why);
	return a;
}

#define SDP_HEAD "v=0\r\no=bob 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
#define M_AUDIO(fmts) "m=audio 5004 RTP/AVP " fmts "\r\n"
#define TE101 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"

START_TEST(test_offer_text)
{
	char *s = NULL;
	struct msdp *sdp;

	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s), 0);
	sdp = parse_back(s);
	ck_assert_str_eq(sdp->origin.username, "sipuad");
	ck_assert_str_eq(sdp->origin.addrtype, "IP4");
	ck_assert_str_eq(sdp->conn.addr, "192.0.2.10");
	ck_assert_uint_eq(sdp->n_media, 1);
	ck_assert_str_eq(sdp->media[0].type, "audio");
	ck_assert_str_eq(sdp->media[0].port_text, "40000");
	ck_assert_str_eq(sdp->media[0].proto, "RTP/AVP");
	ck_assert_uint_eq(sdp->media[0].n_fmts, 3);
	ck_assert_str_eq(sdp->media[0].fmts[0].text, "0");
	ck_assert_str_eq(sdp->media[0].fmts[1].text, "8");
	ck_assert_str_eq(sdp->media[0].fmts[2].text, "101");
	msdp_free(sdp);
	ck_assert_ptr_nonnull(strstr(s, "\r\na=rtpmap:0 PCMU/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\na=rtpmap:8 PCMA/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\na=rtpmap:101 telephone-event/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\na=fmtp:101 0-16\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\na=ptime:20\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\na=sendrecv\r\n"));
	ck_assert_uint_eq(version_of(s), 1);
	ck_assert(oa_offer_pending(oa));
	free(s);
}
END_TEST

START_TEST(test_offer_no_dtmf_v6)
{
	struct oa *o6 = make("2001:db8::10", false);
	char *s = NULL;

	ck_assert_int_eq(oa_make_offer(o6, 40002, OA_RECVONLY, &s), 0);
	ck_assert_ptr_nonnull(strstr(s, "\r\nc=IN IP6 2001:db8::10\r\n"));
	ck_assert_ptr_nonnull(strstr(s, " IN IP6 2001:db8::10\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nm=audio 40002 RTP/AVP 0 8\r\n"));
	ck_assert_ptr_null(strstr(s, "telephone-event"));
	ck_assert_ptr_nonnull(strstr(s, "\r\na=recvonly\r\n"));
	free(s);
	oa_free(o6);
}
END_TEST

START_TEST(test_cfg_checked)
{
	struct oa_cfg cfg = {.codecs = {"G729"}, .n_codecs = 1};
	struct oa *o = NULL;

	ck_assert_int_eq(net_addr_from_host(&cfg.local, "192.0.2.1", 0), 0);
	ck_assert_int_eq(oa_new(&o, &cfg), -EINVAL);
	cfg.codecs[0] = "pcma";
	cfg.te_pt = 50;
	ck_assert_int_eq(oa_new(&o, &cfg), -EINVAL);
	cfg.te_pt = 0;
	cfg.n_codecs = 0;
	ck_assert_int_eq(oa_new(&o, &cfg), -EINVAL);
	cfg.n_codecs = 1;
	ck_assert_int_eq(oa_new(&o, &cfg), 0);
	oa_free(o);
	oa_free(NULL);
}
END_TEST

/* Answer "m=audio 5004 RTP/AVP 0" so our offer completes. */
static void complete(void)
{
	const char *a = SDP_HEAD M_AUDIO("0");
	struct oa_result r;

	ck_assert_int_eq(oa_take_answer(oa, a, strlen(a), &r, NULL, 0), 0);
}

START_TEST(test_version_rule)
{
	char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;

	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s1), 0);
	complete();
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s2), 0);
	complete();
	ck_assert_str_eq(s1, s2); /* unchanged re-offer: same version (§8) */
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDONLY, &s3), 0); /* hold */
	complete();
	ck_assert_uint_eq(version_of(s3), version_of(s1) + 1);
	ck_assert_int_eq(oa_make_offer(oa, 40010, OA_SENDONLY, &s4), 0); /* new port */
	complete();
	ck_assert_uint_eq(version_of(s4), version_of(s1) + 2);
	/* same session id throughout */
	ck_assert_int_eq(strncmp(s1, s4, (size_t)(strstr(s1, " IN ") - s1) - 2), 0);
	free(s1);
	free(s2);
	free(s3);
	free(s4);
}
END_TEST

START_TEST(test_answer_version)
{
	const char *o = SDP_HEAD M_AUDIO("0 8");
	struct oa_result r;
	char *a1 = answer(o, OA_SENDRECV, &r);
	char *a2 = answer(o, OA_SENDRECV, &r);
	char *a3 = answer(o, OA_SENDONLY, &r);

	ck_assert_str_eq(a1, a2);
	ck_assert_uint_eq(version_of(a3), version_of(a1) + 1);
	free(a1);
	free(a2);
	free(a3);
}
END_TEST

START_TEST(test_answer_keeps_order)
{
	const char *o = SDP_HEAD M_AUDIO("8 0 101") TE101 "a=ptime:30\r\n";
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r);

	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 30000 RTP/AVP 8 0 101\r\n"));
	ck_assert_ptr_nonnull(strstr(a, "\r\na=rtpmap:8 PCMA/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(a, "\r\na=sendrecv\r\n"));
	ck_assert(!r.rejected);
	ck_assert_int_eq(r.pt, 8);
	ck_assert_str_eq(r.codec, "PCMA");
	ck_assert_uint_eq(r.rate, 8000);
	ck_assert_int_eq(r.te_pt, 101);
	ck_assert_uint_eq(r.remote_port, 5004);
	ck_assert_uint_eq(net_addr_port(&r.remote), 5004);
	ck_assert_uint_eq(r.ptime, 30);
	ck_assert_int_eq(r.local_dir, OA_SENDRECV);
	ck_assert_int_eq(r.remote_dir, OA_SENDRECV);
	free(a);
}
END_TEST

START_TEST(test_answer_subset)
{
	const char *o = SDP_HEAD M_AUDIO("18 8") "a=rtpmap:18 G729/8000\r\n";
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r);

	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 30000 RTP/AVP 8\r\n"));
	ck_assert_ptr_null(strstr(a, "G729"));
	ck_assert_int_eq(r.pt, 8);
	ck_assert_int_eq(r.te_pt, -1);
	free(a);
}
END_TEST

START_TEST(test_answer_dynamic)
{
	/* PCMU on a dynamic number, telephone-event on 96, one at 16000 first. */
	const char *o = SDP_HEAD M_AUDIO(
	    "97 110 96") "a=rtpmap:97 pcmu/8000\r\na=rtpmap:110 telephone-event/16000\r\n"
			 "a=rtpmap:96 Telephone-Event/8000\r\n";
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r);

	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 30000 RTP/AVP 97 96\r\n"));
	ck_assert_ptr_nonnull(strstr(a, "\r\na=rtpmap:96 telephone-event/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(a, "\r\na=fmtp:96 0-16\r\n"));
	ck_assert_int_eq(r.pt, 97);
	ck_assert_str_eq(r.codec, "PCMU");
	ck_assert_int_eq(r.te_pt, 96);
	free(a);
}
END_TEST

START_TEST(test_te_16k_only)
{
	const char *o = SDP_HEAD M_AUDIO("0 101") "a=rtpmap:101 telephone-event/16000\r\n";
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r);

	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 30000 RTP/AVP 0\r\n"));
	ck_assert_int_eq(r.te_pt, -1);
	free(a);
}
END_TEST

START_TEST(test_declined_lines)
{
	const char *o = SDP_HEAD "m=video 5006 RTP/AVP 96 97\r\na=rtpmap:96 H264/90000\r\n" M_AUDIO(
	    "0") "m=audio 5008 RTP/AVP 8\r\n"
		 "m=application 5010 UDP/BFCP *\r\n";
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r);
	struct msdp *sdp = parse_back(a);

	ck_assert_uint_eq(sdp->n_media, 4);
	ck_assert_str_eq(sdp->media[0].type, "video");
	ck_assert_str_eq(sdp->media[0].port_text, "0");
	ck_assert_str_eq(sdp->media[0].fmts[0].text, "96");
	ck_assert_str_eq(sdp->media[0].fmts[1].text, "97");
	ck_assert_str_eq(sdp->media[1].port_text, "30000");
	ck_assert_str_eq(sdp->media[2].type, "audio");
	ck_assert_str_eq(sdp->media[2].port_text, "0");
	ck_assert_str_eq(sdp->media[2].fmts[0].text, "8");
	ck_assert_str_eq(sdp->media[3].type, "application");
	ck_assert_str_eq(sdp->media[3].port_text, "0");
	ck_assert_str_eq(sdp->media[3].proto, "UDP/BFCP");
	ck_assert_uint_eq(r.remote_port, 5004);
	msdp_free(sdp);
	free(a);
}
END_TEST

START_TEST(test_savp_declined)
{
	/* SRTP off: RTP/SAVP is declined, the plain RTP/AVP line served. */
	const char *o = SDP_HEAD "m=audio 5002 RTP/SAVP 0\r\n"
				 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
				 "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n" M_AUDIO("0");
	const char *only = SDP_HEAD "m=audio 5002 RTP/SAVP 0\r\n";
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r), *b = NULL, why[128] = "";

	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 0 RTP/SAVP 0\r\nm=audio 30000 RTP/AVP 0\r\n"));
	ck_assert_uint_eq(r.remote_port, 5004);
	free(a);
	ck_assert_int_eq(
	    oa_take_offer(oa, only, strlen(only), 30000, OA_SENDRECV, &b, &r, why, sizeof(why)),
	    -ENOTSUP);
	ck_assert_ptr_null(b);
}
END_TEST

static const struct {
	const char *attr;
	const char *conn;
	enum oa_dir want, remote, local;
} dir_cases[] = {
    {"a=sendonly\r\n", "198.51.100.7", OA_SENDRECV, OA_SENDONLY, OA_RECVONLY},
    {"a=recvonly\r\n", "198.51.100.7", OA_SENDRECV, OA_RECVONLY, OA_SENDONLY},
    {"a=inactive\r\n", "198.51.100.7", OA_SENDRECV, OA_INACTIVE, OA_INACTIVE},
    {"a=sendrecv\r\n", "198.51.100.7", OA_SENDONLY, OA_SENDRECV, OA_SENDONLY},
    {"", "198.51.100.7", OA_SENDRECV, OA_SENDRECV, OA_SENDRECV},
    {"", "0.0.0.0", OA_SENDRECV, OA_SENDONLY, OA_RECVONLY}, /* RFC 2543 hold */
    {"a=sendonly\r\n", "198.51.100.7", OA_SENDONLY, OA_SENDONLY, OA_INACTIVE},
};

START_TEST(test_directions)
{
	char o[512];
	struct oa_result r;
	char *a, want_line[32];

	snprintf(o, sizeof(o),
		 "v=0\r\no=bob 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio 5004 RTP/AVP 0\r\n%s",
		 dir_cases[_i].conn, dir_cases[_i].attr);
	a = answer(o, dir_cases[_i].want, &r);
	ck_assert_int_eq(r.remote_dir, dir_cases[_i].remote);
	ck_assert_int_eq(r.local_dir, dir_cases[_i].local);
	snprintf(want_line, sizeof(want_line), "\r\na=%s\r\n", oa_dir_name(dir_cases[_i].local));
	ck_assert_ptr_nonnull(strstr(a, want_line));
	free(a);
}
END_TEST

START_TEST(test_session_level_dir)
{
	const char *o = SDP_HEAD "a=recvonly\r\n" M_AUDIO("0");
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r);

	ck_assert_int_eq(r.local_dir, OA_SENDONLY);
	free(a);
}
END_TEST

START_TEST(test_no_common_codec)
{
	const char *o = SDP_HEAD M_AUDIO("18 101") "a=rtpmap:18 G729/8000\r\n" TE101;
	struct oa_result r = {.pt = 77};
	char *a = NULL, why[128] = "";

	ck_assert_int_eq(
	    oa_take_offer(oa, o, strlen(o), 30000, OA_SENDRECV, &a, &r, why, sizeof(why)),
	    -ENOTSUP);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(r.pt, 77); /* untouched */
	ck_assert_ptr_nonnull(strstr(why, "codec"));
	ck_assert_int_eq(OA_WARN_CODE, 305);
	ck_assert_str_eq(OA_WARN_TEXT, "Incompatible media format");
}
END_TEST

START_TEST(test_garbage)
{
	static const char *bad[] = {"", "hello world", "\x01\x02\x03", "m=audio\r\n"};
	struct oa_result r;
	char *a = NULL, why[128] = "";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(oa_take_offer(oa, bad[i], strlen(bad[i]), 30000, OA_SENDRECV, &a,
					       &r, why, sizeof(why)),
				 -EBADMSG);
		ck_assert_ptr_null(a);
	}
	ck_assert_ptr_nonnull(strstr(why, "SDP"));
	/* a NUL inside the body */
	ck_assert_int_eq(oa_take_offer(oa, "v=0\0x", 5, 30000, OA_SENDRECV, &a, &r, NULL, 0),
			 -EBADMSG);
}
END_TEST

START_TEST(test_ipv6_offer)
{
	const char *o = "v=0\r\no=bob 1 1 IN IP6 2001:db8::7\r\ns=-\r\nc=IN IP6 2001:db8::7\r\n"
			"t=0 0\r\n" M_AUDIO("0");
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r);
	char host[64];

	ck_assert_int_eq(net_addr_family(&r.remote), AF_INET6);
	ck_assert_str_eq(net_addr_host(&r.remote, host, sizeof(host)), "2001:db8::7");
	ck_assert_uint_eq(net_addr_port(&r.remote), 5004);
	free(a);
}
END_TEST

/* Make an offer, then take answer ans; returns oa_take_answer's code. */
static int offer_then(const char *ans, struct oa_result *r, char *why, size_t whylen)
{
	char *s = NULL;

	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s), 0);
	free(s);
	return oa_take_answer(oa, ans, strlen(ans), r, why, whylen);
}

START_TEST(test_take_answer)
{
	const char *ans = "v=0\r\no=bob 1 1 IN IP4 198.51.100.7\r\ns=-\r\nt=0 0\r\n"
			  "m=audio 5004 RTP/AVP 8 101\r\nc=IN IP4 198.51.100.8\r\n"
			  "a=rtpmap:8 PCMA/8000\r\n" TE101 "a=recvonly\r\n";
	struct oa_result r;
	char host[64];

	ck_assert(!oa_has_result(oa));
	ck_assert_int_eq(offer_then(ans, &r, NULL, 0), 0);
	ck_assert(!oa_offer_pending(oa));
	ck_assert(!r.rejected);
	ck_assert_int_eq(r.pt, 8);
	ck_assert_str_eq(r.codec, "PCMA");
	ck_assert_int_eq(r.te_pt, 101);
	ck_assert_str_eq(net_addr_host(&r.remote, host, sizeof(host)), "198.51.100.8");
	ck_assert_uint_eq(r.remote_port, 5004);
	ck_assert_int_eq(r.remote_dir, OA_RECVONLY);
	ck_assert_int_eq(r.local_dir, OA_SENDONLY);
	ck_assert_uint_eq(r.ptime, 20);
	ck_assert(oa_has_result(oa));
}
END_TEST

START_TEST(test_take_answer_rejected)
{
	struct oa_result r;

	ck_assert_int_eq(offer_then(SDP_HEAD "m=audio 0 RTP/AVP 0\r\n", &r, NULL, 0), 0);
	ck_assert(r.rejected);
	ck_assert_int_eq(r.pt, -1);
}
END_TEST

START_TEST(test_take_answer_bad)
{
	static const char *bad[] = {
	    SDP_HEAD M_AUDIO("0 18"),					  /* 18 not offered */
	    SDP_HEAD M_AUDIO("101") TE101,				  /* no audio codec */
	    SDP_HEAD M_AUDIO("0") "m=video 0 RTP/AVP 96\r\n",		  /* two m= lines */
	    SDP_HEAD "m=video 5004 RTP/AVP 0\r\n",			  /* not audio */
	    "v=0\r\no=bob 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n" M_AUDIO("0"), /* no c= */
	};
	struct oa_result r = {.pt = 55};
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_int_eq(offer_then(bad[i], &r, why, sizeof(why)), -EPROTO);
		ck_assert_msg(why[0], "case %zu: no reason", i);
		ck_assert(!oa_offer_pending(oa));
	}
	ck_assert_ptr_nonnull(strstr(why, "c="));
	ck_assert_int_eq(r.pt, 55);
	ck_assert_int_eq(offer_then("junk", &r, why, sizeof(why)), -EBADMSG);
	ck_assert_int_eq(oa_take_answer(oa, "junk", 4, &r, why, sizeof(why)), -EPROTO);
}
END_TEST

START_TEST(test_glare)
{
	const char *o = SDP_HEAD M_AUDIO("0");
	struct oa_result r;
	char *s = NULL, *t = NULL, why[64] = "";

	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s), 0);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &t), -EBUSY);
	ck_assert_int_eq(
	    oa_take_offer(oa, o, strlen(o), 30000, OA_SENDRECV, &t, &r, why, sizeof(why)), -EBUSY);
	ck_assert_ptr_null(t);
	ck_assert(why[0]);
	free(s);
}
END_TEST

START_TEST(test_cancel_rolls_back)
{
	char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;

	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s1), 0);
	complete();
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDONLY, &s2), 0); /* hold, refused */
	ck_assert_uint_eq(version_of(s2), version_of(s1) + 1);
	oa_cancel_offer(oa);
	ck_assert(!oa_offer_pending(oa));
	oa_cancel_offer(oa); /* no-op */
	ck_assert(oa_has_result(oa)); /* previous session kept */
	/* the session is as before: an identical re-offer keeps its version */
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s3), 0);
	ck_assert_str_eq(s3, s1);
	oa_cancel_offer(oa);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDONLY, &s4), 0);
	ck_assert_uint_eq(version_of(s4), version_of(s1) + 1);
	free(s1);
	free(s2);
	free(s3);
	free(s4);
}
END_TEST

START_TEST(test_free_pending)
{
	char *s = NULL;

	/* oa_free() with an offer pending must not leak (ASan). */
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s), 0);
	free(s);
}
END_TEST

/* oa's result in media terms: remote with its port, the codec row, our direction. */
START_TEST(test_oa_params)
{
	struct oa_result r = {
	    .remote_port = 4002,
	    .pt = 0,
	    .codec = "PCMU",
	    .rate = 8000,
	    .te_pt = -1,
	    .local_dir = OA_RECVONLY,
	    .remote_dir = OA_SENDONLY,
	    .ptime = 20,
	};
	static const struct {
		enum oa_dir oa;
		enum media_dir media;
	} dirs[] = {
	    {OA_SENDRECV, MEDIA_SENDRECV},
	    {OA_SENDONLY, MEDIA_SENDONLY},
	    {OA_RECVONLY, MEDIA_RECVONLY},
	    {OA_INACTIVE, MEDIA_INACTIVE},
	};
	struct media_params p;
	char buf[NET_ADDR_STRLEN];

	ck_assert_int_eq(net_addr_from_host(&r.remote, "0.0.0.0", 4002), 0);
	oa_media_params(&r, &p);
	ck_assert(p.active);
	ck_assert_str_eq(net_addr_fmt(&p.remote, buf, sizeof(buf)), "0.0.0.0:4002");
	ck_assert_int_eq(p.pt, 0);
	ck_assert_ptr_eq(p.codec, codec_find("PCMU"));
	ck_assert_int_eq(p.te_pt, -1);
	ck_assert_int_eq(p.dir, MEDIA_RECVONLY);
	ck_assert_uint_eq(p.ptime, 20);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		r.local_dir = dirs[i].oa;
		oa_media_params(&r, &p);
		ck_assert_int_eq(p.dir, dirs[i].media);
	}
	r.rejected = true;
	r.pt = -1;
	oa_media_params(&r, &p);
	ck_assert(!p.active);
	ck_assert_ptr_null(p.codec);
}
END_TEST

/* --- SRTP (RFC 4568 SDES), rtcp-mux (RFC 5761), a=rtcp (RFC 3605) ---------- */

/* Keys of the peer, as the SDP carries them (decoded by b64 below, not by sdes). */
#define K80 "JTA7RlFcZ3J9iJOeqbS/ytXg6/YBDBciLThDTllk"			     /* 30 bytes */
#define K80B "SlVga3aBjJeirbjDztnk7/oFEBsmMTxHUl1oc36J"			     /* 30 bytes */
#define K32 "ucTP2uXw+wYRHCcyPUhTXml0f4qVoKu2wczX4u34"			     /* 30 bytes */
#define KG128 "b3qFkJumsbzH0t3o8/4JFB8qNUBLVmFsd4KNmA=="		     /* 28 bytes */
#define KG256 "lJ+qtcDL1uHs9wINGCMuOURPWmVwe4aRnKeyvcjT3un0/woVICs2QUxXYm0=" /* 44 */

#define SRTP_MAND "SRTP is mandatory ([media] srtp) and the offer has no usable a=crypto"
#define NO_MATCH "the answer's a=crypto does not match our offer"
#define ANS_NONE "SRTP is mandatory and the answer has none"

/* baresip's SRTP offer (mediaenc=srtp-mand): a suite we lack first. */
#define BARESIP_SAVP                                                                               \
	"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"                \
	"m=audio 10000 RTP/SAVP 0 8 101\r\nb=AS:64\r\na=rtpmap:0 PCMU/8000\r\n"                    \
	"a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"                            \
	"a=fmtp:101 0-15\r\na=sendrecv\r\na=rtcp-mux\r\n"                                          \
	"a=crypto:1 AES_256_CM_HMAC_SHA1_80 "                                                      \
	"inline:3un0/woVICs2QUxXYm14g46ZpK+6xdDb5vH8BxIdJTA7RlFcZ3J9iJOeqbS/ytXg6/YB\r\n"          \
	"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n"                                    \
	"a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" K32 "\r\n"

static struct oa *make_srtp(enum oa_srtp srtp, bool mux)
{
	struct oa_cfg cfg = {
	    .codecs = {"PCMU", "PCMA"}, .n_codecs = 2, .dtmf = true, .srtp = srtp, .rtcp_mux = mux};
	struct oa *o = NULL;

	ck_assert_int_eq(net_addr_from_host(&cfg.local, "192.0.2.10", 0), 0);
	ck_assert_int_eq(oa_new(&o, &cfg), 0);
	return o;
}

/* Replace the fixture's session by one with this SRTP and mux setting. */
static void use(enum oa_srtp srtp, bool mux)
{
	oa_free(oa);
	oa = make_srtp(srtp, mux);
}

/* RFC 4648 base64 of n characters into out: the byte count, or -1. */
static int b64(const char *s, size_t n, uint8_t *out, size_t max)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0, len = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(al, s[i]) : NULL;

		if (s[i] == '=' && i + 2 >= n)
			break;
		if (!p)
			return -1;
		acc = acc << 6 | (uint32_t)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if ((size_t)len >= max)
				return -1;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	return len;
}

/* k's bytes equal the base64 text of key. */
static void key_is(const struct sdes_key *k, enum sdes_suite suite, const char *key)
{
	uint8_t raw[64];
	int n = b64(key, strlen(key), raw, sizeof(raw));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(k->suite, suite);
	ck_assert_uint_eq(k->len, (size_t)n);
	ck_assert_mem_eq(k->key, raw, (size_t)n);
}

/*
 * The a=crypto line tagged tag in sdp: its suite name into suite (64) and
 * its key's base64 into key (128); false when there is none.
 */
static bool crypto_of(const char *sdp, unsigned tag, char *suite, char *key)
{
	char head[32];
	const char *p;

	snprintf(head, sizeof(head), "\r\na=crypto:%u ", tag);
	if (!(p = strstr(sdp, head)))
		return false;
	ck_assert_int_eq(sscanf(p + strlen(head), "%63s inline:%127[^|\r]", suite, key), 2);
	return true;
}

/* How many times needle occurs in s. */
static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static bool key_eq(const struct sdes_key *a, const struct sdes_key *b)
{
	return a->suite == b->suite && a->len == b->len && memcmp(a->key, b->key, a->len) == 0;
}

static bool key_zero(const struct sdes_key *k)
{
	static const struct sdes_key z;

	return memcmp(k, &z, sizeof(z)) == 0;
}

static const struct {
	const char *suite;
	size_t len;
} offered_suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", 30},
    {"AES_CM_128_HMAC_SHA1_32", 30},
    {"AEAD_AES_128_GCM", 28},
    {"AEAD_AES_256_GCM", 44},
};

/* Our offer's four a=crypto lines: tags 1..4, the suites in order, distinct keys. */
static void four_cryptos(const char *s)
{
	char suite[64], key[4][128];
	uint8_t raw[64];

	ck_assert_int_eq(count(s, "a=crypto:"), 4);
	for (unsigned t = 1; t <= 4; t++) {
		ck_assert(crypto_of(s, t, suite, key[t - 1]));
		ck_assert_str_eq(suite, offered_suites[t - 1].suite);
		ck_assert_int_eq(b64(key[t - 1], strlen(key[t - 1]), raw, sizeof(raw)),
				 (int)offered_suites[t - 1].len);
		for (unsigned u = 1; u < t; u++)
			ck_assert_str_ne(key[t - 1], key[u - 1]);
	}
}

START_TEST(test_cfg_srtp_checked)
{
	struct oa_cfg cfg = {.codecs = {"PCMU"}, .n_codecs = 1};
	struct oa *o = NULL;

	ck_assert_int_eq(net_addr_from_host(&cfg.local, "192.0.2.1", 0), 0);
	cfg.srtp = (enum oa_srtp)3;
	ck_assert_int_eq(oa_new(&o, &cfg), -EINVAL);
	cfg.srtp = (enum oa_srtp)(OA_SRTP_MANDATORY + 1000);
	ck_assert_int_eq(oa_new(&o, &cfg), -EINVAL);
	ck_assert_ptr_null(o);
	cfg.srtp = OA_SRTP_MANDATORY;
	ck_assert_int_eq(oa_new(&o, &cfg), 0);
	oa_free(o);
}
END_TEST

START_TEST(test_offer_mandatory)
{
	char *s = NULL;
	struct msdp *sdp;

	use(OA_SRTP_MANDATORY, false);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s), 0);
	ck_assert_ptr_nonnull(strstr(s, "\r\nm=audio 40000 RTP/SAVP 0 8 101\r\n"));
	four_cryptos(s);
	ck_assert_ptr_null(strstr(s, "rtcp-mux"));
	/* the crypto lines are media-level attributes of the one m= line */
	sdp = parse_back(s);
	ck_assert_uint_eq(sdp->n_media, 1);
	ck_assert_ptr_nonnull(msdp_attr_find(sdp->media[0].attrs, sdp->media[0].n_attrs, "crypto"));
	ck_assert_ptr_null(msdp_attr_find(sdp->attrs, sdp->n_attrs, "crypto"));
	msdp_free(sdp);
	free(s);
}
END_TEST

START_TEST(test_offer_optional)
{
	char *s = NULL;

	use(OA_SRTP_OPTIONAL, true);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s), 0);
	ck_assert_ptr_nonnull(strstr(s, "\r\nm=audio 40000 RTP/AVP 0 8 101\r\n"));
	ck_assert_ptr_null(strstr(s, "SAVP"));
	four_cryptos(s);
	ck_assert_int_eq(count(s, "\r\na=rtcp-mux\r\n"), 1);
	free(s);
}
END_TEST

START_TEST(test_offer_off)
{
	char *s = NULL;

	use(OA_SRTP_OFF, true);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s), 0);
	ck_assert_ptr_nonnull(strstr(s, "\r\nm=audio 40000 RTP/AVP 0 8 101\r\n"));
	ck_assert_ptr_null(strstr(s, "crypto"));
	ck_assert_ptr_nonnull(strstr(s, "\r\na=rtcp-mux\r\n"));
	free(s);
}
END_TEST

/* Complete our pending offer with ans, expected to be taken. */
static void take(const char *ans, struct oa_result *r)
{
	char why[160] = "";

	ck_assert_msg(oa_take_answer(oa, ans, strlen(ans), r, why, sizeof(why)) == 0, "%s", why);
}

#define ANS_SAVP(crypto) SDP_HEAD "m=audio 5004 RTP/SAVP 0\r\n" crypto

START_TEST(test_reoffer_same_keys)
{
	char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
	struct oa_result r;

	use(OA_SRTP_MANDATORY, true);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s1), 0);
	take(ANS_SAVP("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n"), &r);
	oa_result_wipe(&r);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s2), 0);
	ck_assert_str_eq(s1, s2); /* same keys, same version (RFC 3264 §8) */
	oa_cancel_offer(oa);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDONLY, &s3), 0);
	ck_assert_uint_eq(version_of(s3), version_of(s1) + 1);
	/* the keys stay across a changed offer */
	ck_assert_str_eq(strstr(s3, "a=crypto:1"), strstr(s1, "a=crypto:1"));
	take(ANS_SAVP("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n"), &r);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDONLY, &s4), 0);
	ck_assert_str_eq(s3, s4);
	free(s1);
	free(s2);
	free(s3);
	free(s4);
}
END_TEST

/* Our key of tag in our text s, decoded, is k. */
static void ours_is(const char *s, unsigned tag, const struct sdes_key *k)
{
	char suite[64], key[128];
	enum sdes_suite e;

	ck_assert(crypto_of(s, tag, suite, key));
	ck_assert_int_eq(sdes_suite_find(suite, &e), 0);
	key_is(k, e, key);
}

START_TEST(test_answer_baresip_savp)
{
	struct oa_result r;
	char *a;

	use(OA_SRTP_MANDATORY, false);
	a = answer(BARESIP_SAVP, OA_SENDRECV, &r);
	/* tag 1's suite is one we lack: tag 2 is taken, with the same tag and suite */
	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 30000 RTP/SAVP 0 8 101\r\n"));
	ck_assert_int_eq(count(a, "a=crypto:"), 1);
	ck_assert_ptr_nonnull(strstr(a, "\r\na=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:"));
	ck_assert(r.srtp);
	key_is(&r.rx_key, SDES_AES_CM_128_HMAC_SHA1_80, K80);
	ours_is(a, 2, &r.tx_key);
	ck_assert(!key_eq(&r.tx_key, &r.rx_key)); /* ours, never the peer's */
	ck_assert_ptr_null(strstr(a, K80));
	ck_assert_int_eq(r.pt, 0);
	ck_assert_int_eq(r.te_pt, 101);
	/* no rtcp-mux of ours: RTCP to the RTP port + 1 */
	ck_assert(!r.rtcp_mux);
	ck_assert_ptr_null(strstr(a, "rtcp-mux"));
	ck_assert_uint_eq(net_addr_port(&r.remote_rtcp), 10001);
	ck_assert(oa_has_result(oa));
	oa_result_wipe(&r);
	free(a);
}
END_TEST

/* The suite answered for each of the four, on its own key length. */
START_TEST(test_answer_each_suite)
{
	static const struct {
		const char *line;
		enum sdes_suite suite;
		const char *key;
	} c[] = {
	    {"a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:" K80, SDES_AES_CM_128_HMAC_SHA1_80, K80},
	    {"a=crypto:9 AES_CM_128_HMAC_SHA1_32 inline:" K32, SDES_AES_CM_128_HMAC_SHA1_32, K32},
	    {"a=crypto:9 AEAD_AES_128_GCM inline:" KG128, SDES_AEAD_AES_128_GCM, KG128},
	    {"a=crypto:9 AEAD_AES_256_GCM inline:" KG256, SDES_AEAD_AES_256_GCM, KG256},
	};
	char o[512], want[96], *a;
	struct oa_result r;

	use(OA_SRTP_MANDATORY, false);
	snprintf(o, sizeof(o), SDP_HEAD "m=audio 5004 RTP/SAVP 0\r\n%s\r\n", c[_i].line);
	a = answer(o, OA_SENDRECV, &r);
	snprintf(want, sizeof(want), "\r\na=crypto:9 %s inline:", sdes_suite_name(c[_i].suite));
	ck_assert_ptr_nonnull(strstr(a, want));
	ck_assert(r.srtp);
	key_is(&r.rx_key, c[_i].suite, c[_i].key);
	ours_is(a, 9, &r.tx_key);
	ck_assert_uint_eq(r.tx_key.len, sdes_key_len(c[_i].suite));
	oa_result_wipe(&r);
	free(a);
}
END_TEST

/* Lines sdes_parse refuses are skipped, -ENOTSUP and -EBADMSG alike (RFC 4568 §6.3). */
START_TEST(test_answer_skips_bad_crypto)
{
	const char *o =
	    SDP_HEAD "m=audio 5004 RTP/SAVP 0\r\n"
		     "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" K80 "\r\n" /* unknown suite */
		     "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" K80 "|2^20|1:4\r\n" /* MKI */
		     "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KG128 "\r\n"	      /* 28 bytes */
		     "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n"	      /* tag */
		     "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:!!!!\r\n"	      /* base64 */
		     "a=crypto\r\n"						      /* no value */
		     "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" K32 "\r\n"
		     "a=crypto:8 AES_CM_128_HMAC_SHA1_80 inline:" K80B "\r\n";
	struct oa_result r;
	char *a;

	use(OA_SRTP_MANDATORY, false);
	a = answer(o, OA_SENDRECV, &r);
	ck_assert_int_eq(count(a, "a=crypto:"), 1);
	ck_assert_ptr_nonnull(strstr(a, "\r\na=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:"));
	key_is(&r.rx_key, SDES_AES_CM_128_HMAC_SHA1_32, K32);
	oa_result_wipe(&r);
	free(a);
}
END_TEST

/* An RTP/SAVP line with no usable a=crypto is declined; the next usable line served. */
START_TEST(test_savp_without_crypto)
{
	const char *o = SDP_HEAD "m=audio 5002 RTP/SAVP 0\r\n"
				 "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" K80 "\r\n"
				 "m=audio 5004 RTP/SAVP 0\r\n"
				 "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n";
	const char *plain = SDP_HEAD "m=audio 5002 RTP/SAVP 0\r\n" M_AUDIO("0");
	struct oa_result r;
	char *a;

	use(OA_SRTP_OPTIONAL, false);
	a = answer(o, OA_SENDRECV, &r);
	ck_assert_ptr_nonnull(
	    strstr(a, "\r\nm=audio 0 RTP/SAVP 0\r\nm=audio 30000 RTP/SAVP 0\r\n"));
	ck_assert_ptr_nonnull(strstr(a, "\r\na=crypto:4 "));
	ck_assert_uint_eq(r.remote_port, 5004);
	ck_assert(r.srtp);
	oa_result_wipe(&r);
	free(a);
	/* optional: a bare RTP/SAVP line declined, the plain line served plain */
	a = answer(plain, OA_SENDRECV, &r);
	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 0 RTP/SAVP 0\r\nm=audio 30000 RTP/AVP 0\r\n"));
	ck_assert(!r.srtp);
	ck_assert(key_zero(&r.rx_key) && key_zero(&r.tx_key));
	free(a);
}
END_TEST

/* The refusals of -ENOTSUP with their exact words; nothing written out. */
static const struct {
	enum oa_srtp srtp;
	const char *offer;
	const char *why;
} refused[] = {
    {OA_SRTP_MANDATORY, SDP_HEAD M_AUDIO("0 8"), SRTP_MAND},
    {OA_SRTP_MANDATORY, SDP_HEAD "m=audio 5004 RTP/SAVP 0\r\n", SRTP_MAND},
    {OA_SRTP_MANDATORY,
     SDP_HEAD M_AUDIO("0") "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KG128 "\r\n", SRTP_MAND},
    {OA_SRTP_MANDATORY,
     SDP_HEAD "m=audio 5004 RTP/SAVPF 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n",
     SRTP_MAND},
    {OA_SRTP_OPTIONAL, SDP_HEAD "m=audio 5004 RTP/SAVP 0\r\n",
     "the offer's RTP/SAVP audio has no usable a=crypto"},
    {OA_SRTP_OFF,
     SDP_HEAD "m=audio 5004 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n",
     "the offer's audio is RTP/SAVP (SRTP) and [media] srtp is off"},
    {OA_SRTP_MANDATORY,
     SDP_HEAD "m=audio 5004 RTP/SAVP 18\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n",
     "no common audio codec (we have PCMU, ...)"},
};

START_TEST(test_offer_refused)
{
	struct oa_result r = {.pt = 77};
	char *a = NULL, why[160] = "";
	const char *o = refused[_i].offer;

	use(refused[_i].srtp, true);
	ck_assert_int_eq(
	    oa_take_offer(oa, o, strlen(o), 30000, OA_SENDRECV, &a, &r, why, sizeof(why)),
	    -ENOTSUP);
	ck_assert_str_eq(why, refused[_i].why);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(r.pt, 77);
	ck_assert(!r.srtp && key_zero(&r.tx_key));
	ck_assert(!oa_has_result(oa));
}
END_TEST

/* RFC 8643: an RTP/AVP line with a=crypto, answered per our srtp setting. */
START_TEST(test_avp_with_crypto)
{
	const char *o =
	    SDP_HEAD M_AUDIO("0") "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n";
	static const enum oa_srtp modes[] = {OA_SRTP_MANDATORY, OA_SRTP_OPTIONAL, OA_SRTP_OFF};
	struct oa_result r;
	char *a;

	use(modes[_i], false);
	a = answer(o, OA_SENDRECV, &r);
	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 30000 RTP/AVP 0\r\n"));
	if (modes[_i] == OA_SRTP_OFF) {
		/* ignored: a plain answer */
		ck_assert_ptr_null(strstr(a, "crypto"));
		ck_assert(!r.srtp);
		ck_assert(key_zero(&r.rx_key) && key_zero(&r.tx_key));
	} else {
		ck_assert_ptr_nonnull(strstr(a, "\r\na=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:"));
		ck_assert(r.srtp);
		key_is(&r.rx_key, SDES_AES_CM_128_HMAC_SHA1_80, K80);
		ours_is(a, 3, &r.tx_key);
	}
	oa_result_wipe(&r);
	free(a);
}
END_TEST

START_TEST(test_optional_plain_offer)
{
	struct oa_result r;
	char *a;

	use(OA_SRTP_OPTIONAL, false);
	a = answer(SDP_HEAD M_AUDIO("0"), OA_SENDRECV, &r);
	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 30000 RTP/AVP 0\r\n"));
	ck_assert_ptr_null(strstr(a, "crypto"));
	ck_assert(!r.srtp);
	free(a);
}
END_TEST

/* RTP/SAVPF, UDP/TLS/RTP/SAVP stay declined with port 0; RTP/SAVP is served. */
START_TEST(test_other_profiles_declined)
{
	const char *o = SDP_HEAD
	    "m=audio 5002 RTP/SAVPF 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n"
	    "m=audio 5006 UDP/TLS/RTP/SAVP 0\r\na=fingerprint:sha-256 AB:CD\r\n"
	    "m=audio 5004 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80B "\r\n";
	struct oa_result r;
	char *a;

	use(OA_SRTP_MANDATORY, false);
	a = answer(o, OA_SENDRECV, &r);
	ck_assert_ptr_nonnull(strstr(a, "\r\nm=audio 0 RTP/SAVPF 0\r\n"
					"m=audio 0 UDP/TLS/RTP/SAVP 0\r\n"
					"m=audio 30000 RTP/SAVP 0\r\n"));
	ck_assert_uint_eq(r.remote_port, 5004);
	key_is(&r.rx_key, SDES_AES_CM_128_HMAC_SHA1_80, K80B);
	oa_result_wipe(&r);
	free(a);
}
END_TEST

/* A re-offer with new keys: the new rx key, our tx key and answer unchanged. */
START_TEST(test_reinvite_rekey)
{
	const char *o1 = ANS_SAVP("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n");
	const char *o2 = ANS_SAVP("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80B "\r\n");
	struct oa_result r1, r2, r3;
	char *a1, *a2, *a3;

	use(OA_SRTP_MANDATORY, false);
	a1 = answer(o1, OA_SENDRECV, &r1);
	a2 = answer(o2, OA_SENDRECV, &r2);
	a3 = answer(o2, OA_SENDRECV, &r3);
	key_is(&r1.rx_key, SDES_AES_CM_128_HMAC_SHA1_80, K80);
	key_is(&r2.rx_key, SDES_AES_CM_128_HMAC_SHA1_80, K80B);
	ck_assert(key_eq(&r1.tx_key, &r2.tx_key));
	ck_assert_str_eq(a1, a2); /* our description did not change: same o= version */
	/* the same offer again: the same result */
	ck_assert_mem_eq(&r2, &r3, sizeof(r2));
	ck_assert_str_eq(a2, a3);
	oa_result_wipe(&r1);
	oa_result_wipe(&r2);
	oa_result_wipe(&r3);
	free(a1);
	free(a2);
	free(a3);
}
END_TEST

/* One key per suite and session: what we answered with, we offer with later. */
START_TEST(test_keys_shared_offer_answer)
{
	struct oa_result r, r2;
	char *a, *s = NULL;

	use(OA_SRTP_MANDATORY, false);
	a = answer(ANS_SAVP("a=crypto:5 AEAD_AES_128_GCM inline:" KG128 "\r\n"), OA_SENDRECV, &r);
	ck_assert_int_eq(oa_make_offer(oa, 30000, OA_SENDRECV, &s), 0);
	ours_is(s, 3, &r.tx_key); /* tag 3 is AEAD_AES_128_GCM */
	take(ANS_SAVP("a=crypto:3 AEAD_AES_128_GCM inline:" KG128 "\r\n"), &r2);
	ck_assert(key_eq(&r2.tx_key, &r.tx_key));
	oa_result_wipe(&r);
	oa_result_wipe(&r2);
	free(a);
	free(s);
}
END_TEST

/* Our offer answered with a=crypto: rx theirs, tx ours of that tag. */
START_TEST(test_take_answer_srtp)
{
	static const enum oa_srtp modes[] = {OA_SRTP_MANDATORY, OA_SRTP_OPTIONAL};
	const char *ans = SDP_HEAD "m=audio 5004 RTP/SAVP 0\r\n"
				   "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" K32 "\r\n";
	struct oa_result r;
	char *s = NULL;

	use(modes[_i], false);
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s), 0);
	take(ans, &r);
	ck_assert(r.srtp);
	key_is(&r.rx_key, SDES_AES_CM_128_HMAC_SHA1_32, K32);
	ours_is(s, 2, &r.tx_key);
	ck_assert(!key_eq(&r.tx_key, &r.rx_key));
	ck_assert(oa_has_result(oa));
	oa_result_wipe(&r);
	free(s);
}
END_TEST

static const struct {
	enum oa_srtp srtp;
	const char *answer;
	const char *why;
} bad_answers[] = {
    /* a tag we did not offer, another suite than the tag's, unparsable */
    {OA_SRTP_MANDATORY, ANS_SAVP("a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n"),
     NO_MATCH},
    {OA_SRTP_MANDATORY, ANS_SAVP("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n"),
     NO_MATCH},
    {OA_SRTP_MANDATORY, ANS_SAVP("a=crypto:4 AEAD_AES_128_GCM inline:" KG128 "\r\n"), NO_MATCH},
    {OA_SRTP_OPTIONAL, ANS_SAVP("a=crypto:1 F8_128_HMAC_SHA1_80 inline:" K80 "\r\n"), NO_MATCH},
    {OA_SRTP_OPTIONAL, ANS_SAVP("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KG128 "\r\n"),
     NO_MATCH},
    {OA_SRTP_OPTIONAL, ANS_SAVP("a=crypto\r\n"), NO_MATCH},
    /* off: we offered no a=crypto, and an RTP/SAVP answer is not ours */
    {OA_SRTP_OFF, ANS_SAVP("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K80 "\r\n"), NO_MATCH},
    /* mandatory and none */
    {OA_SRTP_MANDATORY, ANS_SAVP(""), ANS_NONE},
    {OA_SRTP_MANDATORY, SDP_HEAD M_AUDIO("0"), ANS_NONE},
    /* RTP/SAVP without keys */
    {OA_SRTP_OPTIONAL, ANS_SAVP(""), "the answer is RTP/SAVP with no a=crypto"},
    {OA_SRTP_OFF, ANS_SAVP(""), "the answer is RTP/SAVP with no a=crypto"},
};

START_TEST(test_take_answer_crypto_bad)
{
	struct oa_result r = {.pt = 55};
	char why[160] = "";

	use(bad_answers[_i].srtp, false);
	ck_assert_int_eq(offer_then(bad_answers[_i].answer, &r, why, sizeof(why)), -EPROTO);
	ck_assert_msg(strncmp(why, bad_answers[_i].why, strlen(bad_answers[_i].why)) == 0,
		      "case %d: %s", _i, why);
	ck_assert_int_eq(r.pt, 55);
	ck_assert(!oa_offer_pending(oa));
	ck_assert(!oa_has_result(oa));
}
END_TEST

/*
 * off: an RTP/AVP answer's a=crypto is ignored, the call is plain (baresip
 * with srtp optional puts one in every answer).
 */
START_TEST(test_take_answer_off_ignores_crypto)
{
	struct oa_result r;

	use(OA_SRTP_OFF, false);
	ck_assert_int_eq(offer_then(SDP_HEAD M_AUDIO("0") "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
							 "inline:" K80 "\r\n",
				    &r, NULL, 0),
			 0);
	ck_assert(!r.srtp && !r.rejected);
	ck_assert(key_zero(&r.rx_key) && key_zero(&r.tx_key));
}
END_TEST

/* optional: an answer with no a=crypto is plain RTP (RFC 8643). */
START_TEST(test_take_answer_optional_plain)
{
	struct oa_result r;

	use(OA_SRTP_OPTIONAL, false);
	ck_assert_int_eq(offer_then(SDP_HEAD M_AUDIO("0"), &r, NULL, 0), 0);
	ck_assert(!r.srtp);
	ck_assert(key_zero(&r.rx_key) && key_zero(&r.tx_key));
	/* a declined stream needs no keys either */
	use(OA_SRTP_MANDATORY, false);
	ck_assert_int_eq(offer_then(SDP_HEAD "m=audio 0 RTP/SAVP 0\r\n", &r, NULL, 0), 0);
	ck_assert(r.rejected && !r.srtp);
}
END_TEST

/* Where RTCP goes: rtcp-mux, a=rtcp (RFC 3605), else port + 1. */
static const struct {
	bool mux_cfg;
	const char *attrs; /* on the m= line of port 5004 */
	bool mux;
	const char *rtcp;
} rtcp_cases[] = {
    {false, "", false, "198.51.100.7:5005"},
    {true, "", false, "198.51.100.7:5005"},
    {true, "a=rtcp-mux\r\n", true, "198.51.100.7:5004"},
    {true, "a=rtcp-mux\r\na=rtcp:5010\r\n", true, "198.51.100.7:5004"},
    {false, "a=rtcp-mux\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp:5010\r\n", false, "198.51.100.7:5010"},
    {false, "a=rtcp:5011 IN IP4 198.51.100.9\r\n", false, "198.51.100.9:5011"},
    {false, "a=rtcp:5011 IN IP6 2001:db8::9\r\n", false, "[2001:db8::9]:5011"},
    {false, "a=rtcp:x\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp:0\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp:65536\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp:5010x\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp:5010 IN IP4\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp:5010 IN IP4 rtcp.example.com\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp:5010 IN IP4 198.51.100.9 x\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp:5010 ATM NSAP 198.51.100.9\r\n", false, "198.51.100.7:5005"},
    {false, "a=rtcp\r\n", false, "198.51.100.7:5005"},
};

START_TEST(test_rtcp_offer)
{
	char o[512], buf[NET_ADDR_STRLEN], *a;
	struct oa_result r;

	use(OA_SRTP_OFF, rtcp_cases[_i].mux_cfg);
	snprintf(o, sizeof(o), SDP_HEAD M_AUDIO("0") "%s", rtcp_cases[_i].attrs);
	a = answer(o, OA_SENDRECV, &r);
	ck_assert_int_eq(r.rtcp_mux, rtcp_cases[_i].mux);
	ck_assert_int_eq(strstr(a, "\r\na=rtcp-mux\r\n") != NULL, rtcp_cases[_i].mux);
	ck_assert_str_eq(net_addr_fmt(&r.remote_rtcp, buf, sizeof(buf)), rtcp_cases[_i].rtcp);
	if (r.rtcp_mux)
		ck_assert(net_addr_eq(&r.remote_rtcp, &r.remote));
	free(a);
}
END_TEST

START_TEST(test_rtcp_answer)
{
	char ans[512], buf[NET_ADDR_STRLEN];
	struct oa_result r;

	/* a=rtcp-mux in an answer counts only when we offered it */
	use(OA_SRTP_OFF, rtcp_cases[_i].mux_cfg);
	snprintf(ans, sizeof(ans), SDP_HEAD M_AUDIO("0") "%s", rtcp_cases[_i].attrs);
	ck_assert_int_eq(offer_then(ans, &r, NULL, 0), 0);
	ck_assert_int_eq(r.rtcp_mux, rtcp_cases[_i].mux);
	ck_assert_str_eq(net_addr_fmt(&r.remote_rtcp, buf, sizeof(buf)), rtcp_cases[_i].rtcp);
}
END_TEST

/* An RTP port of 65535 has no port + 1: remote_rtcp's port is 0. */
START_TEST(test_rtcp_port_top)
{
	const char *o = SDP_HEAD "m=audio 65535 RTP/AVP 0\r\n";
	struct oa_result r;
	char *a = answer(o, OA_SENDRECV, &r);

	ck_assert_uint_eq(r.remote_port, 65535);
	ck_assert_uint_eq(net_addr_port(&r.remote_rtcp), 0);
	free(a);
}
END_TEST

START_TEST(test_oa_params_srtp)
{
	struct oa_result r = {.remote_port = 4002,
			      .pt = 8,
			      .codec = "PCMA",
			      .rate = 8000,
			      .te_pt = 101,
			      .ptime = 20,
			      .rtcp_mux = true,
			      .srtp = true};
	struct media_params p;
	char buf[NET_ADDR_STRLEN];

	ck_assert_int_eq(net_addr_from_host(&r.remote, "198.51.100.7", 4002), 0);
	ck_assert_int_eq(net_addr_from_host(&r.remote_rtcp, "198.51.100.8", 4009), 0);
	ck_assert_int_eq(sdes_key_new(&r.tx_key, SDES_AEAD_AES_256_GCM), 0);
	ck_assert_int_eq(sdes_key_new(&r.rx_key, SDES_AEAD_AES_256_GCM), 0);
	oa_media_params(&r, &p);
	ck_assert(p.active && p.rtcp_mux && p.srtp);
	ck_assert_str_eq(net_addr_fmt(&p.remote_rtcp, buf, sizeof(buf)), "198.51.100.8:4009");
	ck_assert(key_eq(&p.tx_key, &r.tx_key));
	ck_assert(key_eq(&p.rx_key, &r.rx_key));
	sdes_wipe(&p.tx_key);
	sdes_wipe(&p.rx_key);
	/* plain: no keys */
	r.srtp = false;
	r.rtcp_mux = false;
	oa_media_params(&r, &p);
	ck_assert(!p.srtp && !p.rtcp_mux);
	ck_assert(key_zero(&p.tx_key) && key_zero(&p.rx_key));
	/* rejected: nothing */
	r.srtp = true;
	r.rejected = true;
	oa_media_params(&r, &p);
	ck_assert(!p.active && !p.srtp);
	ck_assert(key_zero(&p.tx_key) && key_zero(&p.rx_key));
	oa_result_wipe(&r);
	ck_assert(key_zero(&r.tx_key) && key_zero(&r.rx_key));
	ck_assert_int_eq(r.pt, 8); /* the rest stays */
	oa_result_wipe(NULL);
}
END_TEST

/* oa_free() with keys, a result and an offer pending: no leak, no crash (ASan). */
START_TEST(test_free_with_keys)
{
	struct oa_result r;
	char *a, *s = NULL;

	use(OA_SRTP_MANDATORY, true);
	a = answer(BARESIP_SAVP, OA_SENDRECV, &r);
	ck_assert(r.srtp && r.rtcp_mux);
	ck_assert_int_eq(oa_make_offer(oa, 30000, OA_SENDRECV, &s), 0);
	oa_free(oa);
	oa = NULL;
	/* the caller's copies are its own */
	ck_assert(r.srtp);
	key_is(&r.rx_key, SDES_AES_CM_128_HMAC_SHA1_80, K80);
	oa_result_wipe(&r);
	free(a);
	free(s);
}
END_TEST

static Suite *oa_suite(void)
{
	Suite *s = suite_create("oa");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_offer_text);
	tcase_add_test(tc, test_offer_no_dtmf_v6);
	tcase_add_test(tc, test_cfg_checked);
	tcase_add_test(tc, test_version_rule);
	tcase_add_test(tc, test_answer_version);
	tcase_add_test(tc, test_answer_keeps_order);
	tcase_add_test(tc, test_answer_subset);
	tcase_add_test(tc, test_answer_dynamic);
	tcase_add_test(tc, test_te_16k_only);
	tcase_add_test(tc, test_declined_lines);
	tcase_add_test(tc, test_savp_declined);
	tcase_add_loop_test(tc, test_directions, 0,
			    (int)(sizeof(dir_cases) / sizeof(dir_cases[0])));
	tcase_add_test(tc, test_session_level_dir);
	tcase_add_test(tc, test_no_common_codec);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_ipv6_offer);
	tcase_add_test(tc, test_take_answer);
	tcase_add_test(tc, test_take_answer_rejected);
	tcase_add_test(tc, test_take_answer_bad);
	tcase_add_test(tc, test_glare);
	tcase_add_test(tc, test_cancel_rolls_back);
	tcase_add_test(tc, test_free_pending);
	tcase_add_test(tc, test_oa_params);
	suite_add_tcase(s, tc);

	tc = tcase_create("srtp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cfg_srtp_checked);
	tcase_add_test(tc, test_offer_mandatory);
	tcase_add_test(tc, test_offer_optional);
	tcase_add_test(tc, test_offer_off);
	tcase_add_test(tc, test_reoffer_same_keys);
	tcase_add_test(tc, test_answer_baresip_savp);
	tcase_add_loop_test(tc, test_answer_each_suite, 0, 4);
	tcase_add_test(tc, test_answer_skips_bad_crypto);
	tcase_add_test(tc, test_savp_without_crypto);
	tcase_add_loop_test(tc, test_offer_refused, 0, (int)(sizeof(refused) / sizeof(refused[0])));
	tcase_add_loop_test(tc, test_avp_with_crypto, 0, 3);
	tcase_add_test(tc, test_optional_plain_offer);
	tcase_add_test(tc, test_other_profiles_declined);
	tcase_add_test(tc, test_reinvite_rekey);
	tcase_add_test(tc, test_keys_shared_offer_answer);
	tcase_add_loop_test(tc, test_take_answer_srtp, 0, 2);
	tcase_add_loop_test(tc, test_take_answer_crypto_bad, 0,
			    (int)(sizeof(bad_answers) / sizeof(bad_answers[0])));
	tcase_add_test(tc, test_take_answer_optional_plain);
	tcase_add_test(tc, test_take_answer_off_ignores_crypto);
	tcase_add_loop_test(tc, test_rtcp_offer, 0,
			    (int)(sizeof(rtcp_cases) / sizeof(rtcp_cases[0])));
	tcase_add_loop_test(tc, test_rtcp_answer, 0,
			    (int)(sizeof(rtcp_cases) / sizeof(rtcp_cases[0])));
	tcase_add_test(tc, test_rtcp_port_top);
	tcase_add_test(tc, test_oa_params_srtp);
	tcase_add_test(tc, test_free_with_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(oa_suite());
}
