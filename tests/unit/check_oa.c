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
	struct oa_result r, cur;
	char host[64];

	ck_assert_int_eq(oa_current(oa, &cur), -ENOENT);
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
	ck_assert_int_eq(oa_current(oa, &cur), 0);
	ck_assert_int_eq(cur.pt, 8);
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
	struct oa_result r;

	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDRECV, &s1), 0);
	complete();
	ck_assert_int_eq(oa_make_offer(oa, 40000, OA_SENDONLY, &s2), 0); /* hold, refused */
	ck_assert_uint_eq(version_of(s2), version_of(s1) + 1);
	oa_cancel_offer(oa);
	ck_assert(!oa_offer_pending(oa));
	oa_cancel_offer(oa); /* no-op */
	ck_assert_int_eq(oa_current(oa, &r), 0);
	ck_assert_int_eq(r.local_dir, OA_SENDRECV); /* previous session kept */
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
	return s;
}

int main(void)
{
	return check_run(oa_suite());
}
