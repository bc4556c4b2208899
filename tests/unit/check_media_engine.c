/*
 * check_media_engine: two media sessions on one engine, on real loopback
 * sockets, driven by the fake clock: audio goes from one to the other and
 * is recorded, SRTP protects it (and a tampered packet is dropped and
 * counted), RFC 4733 digits arrive as events, garbage and strangers are
 * counted, RTCP gives the round trip, a silent peer times out, hold stops
 * sending, a file source plays once (its end told) or loops.  Each tick is MEDIA_TICK_MS of fake time followed by a
 * non-blocking pass of the event loop, so packets sent in a tick are read
 * before the next one.
 *
 * Where a test needs what no session sends (loss, other SSRCs and payload
 * types, replays, old keys, another source address), a hand-made peer
 * sends it from sockets of its own and reads what the session sends:
 * packet sizes, timestamps, markers, RTCP reports.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <sndfile.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/net.h"
#include "core/tmr.h"
#include "media/codec.h"
#include "media/media.h"
#include "media/msrtp.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/rtpport.h"
#include "media/sdes.h"

#include "check_run.h"

struct side {
	struct media *m;
	char digits[32];
	unsigned n_digits;
	unsigned timeouts, plays_done, records_done;
	char last_reason[200];
	double record_seconds;
	unsigned latched;
	struct net_addr latched_to;
};

static struct event_base *base;
static struct tmr_clock *clk;
static struct media_engine *eng;
static struct rtpport_pool *pool;
static struct side A, B;
static char dir[64];

static void on_ev(void *arg, struct media *m, const struct media_event_info *e)
{
	struct side *s = arg;

	(void)m;
	switch (e->ev) {
	case MEDIA_EV_DTMF:
		if (s->n_digits + 1 < sizeof(s->digits))
			s->digits[s->n_digits++] = e->digit;
		break;
	case MEDIA_EV_TIMEOUT:
		s->timeouts++;
		break;
	case MEDIA_EV_PLAY_DONE:
		s->plays_done++;
		snprintf(s->last_reason, sizeof(s->last_reason), "%s", e->reason ? e->reason : "");
		break;
	case MEDIA_EV_RECORD_DONE:
		s->records_done++;
		s->record_seconds = e->record_seconds;
		break;
	case MEDIA_EV_SOURCE_LATCHED:
		s->latched++;
		s->latched_to = *e->addr;
		break;
	}
}

static void setup(void)
{
	struct media_engine_cfg ec = {.rtp_timeout_s = 2, .symmetric = false};

	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_int_eq(tmr_clock_new(&clk, NULL), 0);
	ck_assert_int_eq(media_engine_new(&eng, base, clk, &ec), 0);
	ck_assert_int_eq(rtpport_pool_new(&pool, 40000, 59999), 0);
	snprintf(dir, sizeof(dir), "/tmp/check_media_engine.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	media_free(A.m);
	media_free(B.m);
	A.m = B.m = NULL;
	ck_assert_uint_eq(media_engine_sessions(eng), 0);
	media_engine_free(eng);
	rtpport_pool_free(pool);
	tmr_clock_free(clk);
	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void run_ms(unsigned ms)
{
	for (unsigned t = 0; t < ms; t += MEDIA_TICK_MS) {
		tmr_fake_advance(clk, MEDIA_TICK_MS);
		event_base_loop(base, EVLOOP_NONBLOCK);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
}

static void open_side(struct side *s, const char *source)
{
	struct net_addr local;
	struct media_source src;

	ck_assert_int_eq(net_addr_from_host(&local, "127.0.0.1", 0), 0);
	ck_assert_int_eq(media_new(&s->m, pool, &local), 0);
	ck_assert_int_eq(media_source_parse(source, &src), 0);
	ck_assert_int_eq(media_attach(s->m, eng, &src, on_ev, s), 0);
}

/* Parameters of `from` sending to `to`'s port: PCMU (or PCMA), telephone-event 101, 20 ms. */
static void params(struct media_params *p, const struct side *to, const char *codec)
{
	memset(p, 0, sizeof(*p));
	p->active = true;
	media_local(to->m, &p->remote);
	p->codec = codec_find(codec);
	p->pt = p->codec->pt;
	p->te_pt = 101;
	p->dir = MEDIA_SENDRECV;
	p->ptime = 20;
	p->remote_rtcp = p->remote;
	net_addr_set_port(&p->remote_rtcp, (uint16_t)(net_addr_port(&p->remote) + 1));
}

static void connect_both(const char *codec)
{
	struct media_params pa, pb;

	params(&pa, &B, codec);
	params(&pb, &A, codec);
	ck_assert_int_eq(media_update(A.m, &pa), 0);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
}

/* Goertzel power of hz in x. */
static double power(const short *x, size_t n, double hz)
{
	double w = 2 * M_PI * hz / 8000, c = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* Channel ch of a stereo WAV; *n frames. */
static short *read_channel(const char *path, int ch, size_t *n)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	short *all, *out;

	ck_assert_msg(f, "%s: %s", path, sf_strerror(NULL));
	ck_assert_int_eq(info.channels, 2);
	ck_assert_int_eq(info.samplerate, 8000);
	all = calloc((size_t)info.frames * 2 + 2, sizeof(*all));
	out = calloc((size_t)info.frames + 1, sizeof(*out));
	ck_assert_int_eq(sf_readf_short(f, all, info.frames), info.frames);
	for (sf_count_t i = 0; i < info.frames; i++)
		out[i] = all[i * 2 + ch];
	sf_close(f);
	free(all);
	*n = (size_t)info.frames;
	return out;
}

static void tone_plain(const char *codec)
{
	struct media_stats st;
	char path[128], why[200];
	size_t n;
	short *left, *right;
	double seconds = 0;

	open_side(&A, "tone:1000");
	open_side(&B, "tone:400");
	connect_both(codec);
	snprintf(path, sizeof(path), "%s/b.wav", dir);
	ck_assert_int_eq(media_record_start(B.m, path, why, sizeof(why)), 0);
	ck_assert_str_eq(media_recording(B.m), path);
	run_ms(2000);
	ck_assert_int_eq(media_record_stop(B.m, &seconds), 0);
	ck_assert(seconds > 1.9 && seconds < 2.1);
	run_ms(10);
	ck_assert_uint_eq(B.records_done, 1);
	media_stats(B.m, &st);
	ck_assert(st.valid);
	/* 2 s at 20 ms: 100 packets each way, give or take the first and last tick. */
	ck_assert_msg(st.rx_packets >= 97 && st.rx_packets <= 101, "rx %llu",
		      (unsigned long long)st.rx_packets);
	ck_assert(st.tx_packets >= 97 && st.tx_packets <= 101);
	ck_assert_int_eq(st.lost, 0);
	ck_assert_uint_eq(st.drop_source + st.drop_pt + st.drop_ssrc + st.drop_malformed, 0);
	ck_assert(st.mos > 4.0);
	/* Left: what B received, A's 1000 Hz; right: what B sent, 400 Hz. */
	left = read_channel(path, 0, &n);
	right = read_channel(path, 1, &n);
	ck_assert(n >= 15900 && n <= 16100);
	ck_assert(power(left + 4000, 8000, 1000) > 100 * power(left + 4000, 8000, 400));
	ck_assert(power(right + 4000, 8000, 400) > 100 * power(right + 4000, 8000, 1000));
	free(left);
	free(right);
}

START_TEST(test_tone_pcmu)
{
	tone_plain("PCMU");
}
END_TEST

START_TEST(test_tone_pcma)
{
	tone_plain("PCMA");
}
END_TEST

START_TEST(test_tone_g722)
{
	tone_plain("G722");
}
END_TEST

/* SRTP both ways with suite s: the audio arrives; a tampered copy of a packet is dropped. */
static void srtp_run(enum sdes_suite s)
{
	struct media_params pa, pb;
	struct sdes_key ka, kb;
	struct media_stats st;
	int fd;
	uint8_t junk[200];
	struct net_addr to;

	open_side(&A, "tone:1000");
	open_side(&B, "silence");
	ck_assert_int_eq(sdes_key_new(&ka, s), 0);
	ck_assert_int_eq(sdes_key_new(&kb, s), 0);
	params(&pa, &B, "PCMU");
	params(&pb, &A, "PCMU");
	pa.srtp = pb.srtp = true;
	pa.tx_key = ka;
	pa.rx_key = kb;
	pb.tx_key = kb;
	pb.rx_key = ka;
	ck_assert_int_eq(media_update(A.m, &pa), 0);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	ck_assert_str_eq(media_srtp_suite(A.m), sdes_suite_name(s));
	run_ms(500);
	media_stats(B.m, &st);
	ck_assert(st.rx_packets >= 22);
	ck_assert_uint_eq(st.drop_srtp_auth, 0);
	/* A forged packet from A's own address: authentication fails. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(junk, 0x5a, sizeof(junk));
	rtp_write_hdr(junk, 0, false, 1, 1, st.peer_ssrc);
	media_local(B.m, &to);
	ck_assert_int_ge(fd, 0);
	/* From another port: dropped as a stranger before SRTP even looks. */
	ck_assert_int_eq(sendto(fd, junk, sizeof(junk), 0, (struct sockaddr *)&to.ss, to.len),
			 (ssize_t)sizeof(junk));
	close(fd);
	run_ms(20);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.drop_source, 1);
	sdes_wipe(&ka);
	sdes_wipe(&kb);
}

START_TEST(test_srtp_suites)
{
	srtp_run((enum sdes_suite)_i);
}
END_TEST

START_TEST(test_dtmf)
{
	open_side(&A, "silence");
	open_side(&B, "silence");
	connect_both("PCMU");
	run_ms(100);
	ck_assert_int_eq(media_dtmf(A.m, "12#", 100), 0);
	ck_assert_int_eq(media_dtmf(A.m, "x", 100), -EINVAL);
	run_ms(1500);
	ck_assert_str_eq(B.digits, "12#");
}
END_TEST

/* The SSRC the tests' hand-made peer sends with. */
#define PEER_SSRC 0x1234abcdu

/* Send one RTP packet of pt and ssrc from fd to m. */
static void send_pkt_ssrc(int fd, const struct media *m, uint32_t ssrc, uint8_t pt, bool marker,
			  uint16_t seq, uint32_t ts, const uint8_t *pl, size_t plen)
{
	uint8_t buf[RTP_HDR_LEN + 160];
	struct net_addr to;
	size_t n = rtp_write_hdr(buf, pt, marker, seq, ts, ssrc);

	ck_assert_uint_le(plen, 160);
	memcpy(buf + n, pl, plen);
	media_local(m, &to);
	ck_assert_int_eq(sendto(fd, buf, n + plen, 0, (struct sockaddr *)&to.ss, to.len),
			 (ssize_t)(n + plen));
}

/* Send one RTP packet of pt from fd to m. */
static void send_pkt(int fd, const struct media *m, uint8_t pt, bool marker, uint16_t seq,
		     uint32_t ts, const uint8_t *pl, size_t plen)
{
	send_pkt_ssrc(fd, m, PEER_SSRC, pt, marker, seq, ts, pl, plen);
}

/* A hand-made peer's socket on 127.0.0.1, non-blocking; its address in *a. */
static int peer_open(struct net_addr *a)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	ck_assert_int_eq(net_addr_from_host(a, "127.0.0.1", ntohs(sin.sin_port)), 0);
	return fd;
}

/* Parameters for a session whose peer is the hand-made one at rtp (RTCP at rtcp): PCMU, 20 ms. */
static void peer_params(struct media_params *p, const struct net_addr *rtp,
			const struct net_addr *rtcp)
{
	memset(p, 0, sizeof(*p));
	p->active = true;
	p->remote = *rtp;
	p->remote_rtcp = *rtcp;
	p->codec = codec_find("PCMU");
	p->pt = 0;
	p->te_pt = 101;
	p->dir = MEDIA_SENDRECV;
	p->ptime = 20;
}

/* Send len bytes of buf from fd to m. */
static void send_raw(int fd, const struct media *m, const uint8_t *buf, size_t len)
{
	struct net_addr to;

	media_local(m, &to);
	ck_assert_int_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&to.ss, to.len), (ssize_t)len);
}

/* An SRTP packet of PCMU silence protected by s into buf (4-aligned, size bytes); its length. */
static size_t srtp_pkt(struct msrtp *s, uint8_t *buf, size_t size, uint32_t ssrc, uint16_t seq,
		       uint32_t ts)
{
	size_t len = rtp_write_hdr(buf, 0, false, seq, ts, ssrc);

	memset(buf + len, 0xff, 160);
	len += 160;
	ck_assert_int_eq(msrtp_protect(s, buf, &len, size), 0);
	return len;
}

/* The RTP packets waiting at fd, read and counted; SSRCs other than ssrc (0: any) fail. */
static unsigned drain_rtp(int fd, uint32_t ssrc)
{
	uint8_t buf[2048];
	struct rtp_hdr h;
	unsigned n = 0;
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (rtp_is_rtcp(buf, (size_t)len))
			continue;
		ck_assert_int_eq(rtp_parse(buf, (size_t)len, &h), 0);
		ck_assert(!ssrc || h.ssrc == ssrc);
		n++;
	}
	return n;
}

/* A packet a session sent, as the hand-made peer saw it. */
struct pkt {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts, ssrc;
	size_t plen;
	uint64_t at; /* the fake clock when it was read */
};

/* The RTP packets waiting at fd, after out[*n], up to max. */
static void collect(int fd, struct pkt *out, unsigned *n, unsigned max)
{
	uint8_t buf[2048];
	struct rtp_hdr h;
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (rtp_is_rtcp(buf, (size_t)len))
			continue;
		ck_assert_int_eq(rtp_parse(buf, (size_t)len, &h), 0);
		ck_assert_uint_lt(*n, max);
		out[*n] = (struct pkt){.pt = h.pt,
				       .marker = h.marker,
				       .seq = h.seq,
				       .ts = h.ts,
				       .ssrc = h.ssrc,
				       .plen = h.plen,
				       .at = tmr_now(clk)};
		(*n)++;
	}
}

/* Run ms of the clock, collecting what arrives at fd a tick at a time. */
static void run_collect(unsigned ms, int fd, struct pkt *out, unsigned *n, unsigned max)
{
	for (unsigned t = 0; t < ms; t += MEDIA_TICK_MS) {
		run_ms(MEDIA_TICK_MS);
		collect(fd, out, n, max);
	}
}

/* Run the clock until an RTCP report about PEER_SSRC arrives at fd (8 s at most). */
static void wait_report(int fd, struct rtcp_info *ri)
{
	uint8_t buf[RTCP_MAX];

	for (unsigned t = 0; t < 8000; t += MEDIA_TICK_MS) {
		ssize_t n;

		run_ms(MEDIA_TICK_MS);
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (rtcp_parse(buf, (size_t)n, PEER_SSRC, ri) == 0 && ri->have_block)
				return;
	}
	ck_abort_msg("no report in 8 s");
}

/*
 * A peer that goes on sending audio during an RFC 4733 event (baresip
 * does): the event's packets all carry the timestamp of its start (RFC
 * 4733 §2.5.1.2) while they go out a packet time apart, among audio
 * packets whose timestamps advance.  Fed to the A.8 estimate they read as
 * ~100 ms of jitter on a perfect link, as a call with baresip showed on
 * loopback; only audio measures jitter.  The digit still arrives.
 */
START_TEST(test_dtmf_not_jitter)
{
	struct media_params pb;
	struct media_stats st;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	uint8_t silence[160], ev[4];
	uint16_t seq = 1000;
	int fd;

	memset(silence, 0xff, sizeof(silence));
	open_side(&B, "silence");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	memset(&pb, 0, sizeof(pb));
	pb.active = true;
	ck_assert_int_eq(net_addr_from_host(&pb.remote, "127.0.0.1", ntohs(sin.sin_port)), 0);
	pb.codec = codec_find("PCMU");
	pb.pt = 0;
	pb.te_pt = 101;
	pb.dir = MEDIA_SENDRECV;
	pb.ptime = 20;
	pb.remote_rtcp = pb.remote;
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (uint32_t i = 0; i < 60; i++) {
		send_pkt(fd, B.m, 0, i == 0, seq++, i * 160, silence, sizeof(silence));
		if (i >= 20 && i < 32) {
			/* digit 5, started at packet 20: 9 updates, then 3 end packets */
			uint16_t dur = (uint16_t)(i < 29 ? (i - 19) * 160 : 9 * 160);

			ev[0] = 5;
			ev[1] = (uint8_t)(10 | (i >= 29 ? 0x80 : 0));
			ev[2] = (uint8_t)(dur >> 8);
			ev[3] = (uint8_t)dur;
			send_pkt(fd, B.m, 101, i == 20, seq++, 20 * 160, ev, sizeof(ev));
		}
		run_ms(20);
	}
	close(fd);
	media_stats(B.m, &st);
	ck_assert_str_eq(B.digits, "5");
	ck_assert_uint_eq(st.rx_packets, 72);
	ck_assert_uint_eq(st.lost, 0);
	ck_assert_msg(st.jitter_ms < 1.0, "jitter %.1f ms on a perfect link", st.jitter_ms);
}
END_TEST

/*
 * The fraction lost (RFC 3550 §6.4.1) the statistics publish: before our
 * first report, over what arrived since the start; then what our last
 * report block carried, until the next one.  The hand-made peer loses 9
 * of its first 50 packets, then 2 of the next 50.
 */
START_TEST(test_fraction_lost)
{
	struct media_params pb;
	struct media_stats st;
	struct rtcp_info ri;
	struct net_addr pa, pr;
	uint8_t pl[160];
	uint16_t seq = 500;
	uint32_t ts = 8000;
	int fd = peer_open(&pa), rfd = peer_open(&pr);

	memset(pl, 0xff, sizeof(pl));
	open_side(&B, "silence");
	peer_params(&pb, &pa, &pr);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (int i = 0; i < 50; i++, seq++, ts += 160) {
		if (i == 0 || i % 5)
			send_pkt(fd, B.m, 0, i == 0, seq, ts, pl, sizeof(pl));
		run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.rtcp_tx, 0);
	ck_assert_int_eq(st.lost, 9);
	ck_assert_uint_eq(st.fraction, 9 * 256 / 50);
	wait_report(rfd, &ri);
	ck_assert_uint_eq(ri.fraction, 9 * 256 / 50);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.fraction, 9 * 256 / 50);
	/* The next interval's loss shows when the next report carries it. */
	for (int i = 0; i < 50; i++, seq++, ts += 160) {
		if (i != 10 && i != 30)
			send_pkt(fd, B.m, 0, false, seq, ts, pl, sizeof(pl));
		run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.fraction, 9 * 256 / 50);
	wait_report(rfd, &ri);
	ck_assert_uint_eq(ri.fraction, 2 * 256 / 50);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.fraction, 2 * 256 / 50);
	ck_assert_int_eq(st.lost, 11);
	close(fd);
	close(rfd);
}
END_TEST

/*
 * Only the negotiated audio payload type (PCMU, 0) and telephone-event
 * (101) are taken: PCMA (8) and G.722 (9) are in our codec table but were
 * not negotiated, 3 (GSM) and 96 are in nothing; each is dropped and
 * counted, and the stream's own packets go on.
 */
START_TEST(test_payload_type_negotiated_only)
{
	static const uint8_t others[] = {8, 9, 3, 96};
	struct media_params pb;
	struct media_stats st;
	struct net_addr pa;
	uint8_t pl[160], ev[4] = {1, 10, 0, 160};
	uint16_t seq = 7;
	uint32_t ts = 0;
	int fd = peer_open(&pa);

	memset(pl, 0xff, sizeof(pl));
	open_side(&B, "silence");
	peer_params(&pb, &pa, &pa);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (int i = 0; i < 10; i++, ts += 160) {
		send_pkt(fd, B.m, 0, i == 0, seq++, ts, pl, sizeof(pl));
		if (i < (int)sizeof(others))
			send_pkt(fd, B.m, others[i], false, seq++, ts, pl, sizeof(pl));
		run_ms(20);
	}
	send_pkt(fd, B.m, 101, true, seq++, ts, ev, sizeof(ev));
	run_ms(100);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.drop_pt, sizeof(others));
	ck_assert_uint_eq(st.rx_packets, 11);
	ck_assert_str_eq(B.digits, "1");
	close(fd);
}
END_TEST

/*
 * A lone packet of another SSRC (a stray from an old stream, a
 * misdirected one) is dropped and counted; the peer's stream goes on.
 */
START_TEST(test_ssrc_stray)
{
	struct media_params pb;
	struct media_stats st;
	struct net_addr pa;
	uint8_t pl[160];
	int fd = peer_open(&pa);

	memset(pl, 0xff, sizeof(pl));
	open_side(&B, "silence");
	peer_params(&pb, &pa, &pa);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (uint16_t i = 0; i < 30; i++) {
		send_pkt(fd, B.m, 0, i == 0, (uint16_t)(100 + i), i * 160u, pl, sizeof(pl));
		if (i == 10)
			send_pkt_ssrc(fd, B.m, 0x5eed, 0, false, 9000, 12345, pl, sizeof(pl));
		run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.peer_ssrc, PEER_SSRC);
	ck_assert_uint_eq(st.drop_ssrc, 1);
	ck_assert_uint_eq(st.rx_packets, 30);
	ck_assert_int_eq(st.lost, 0);
	close(fd);
}
END_TEST

/*
 * A burst of another SSRC's packets, in sequence, between two packets of
 * the peer's stream (an injection, as tests/integration/media_faults
 * makes): the stream has not gone quiet, so each is dropped and counted,
 * and the stream goes on as it was.
 */
START_TEST(test_ssrc_burst)
{
	struct media_params pb;
	struct media_stats st;
	struct net_addr pa;
	uint8_t pl[160];
	int fd = peer_open(&pa);

	memset(pl, 0xff, sizeof(pl));
	open_side(&B, "silence");
	peer_params(&pb, &pa, &pa);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (uint16_t i = 0; i < 30; i++) {
		send_pkt(fd, B.m, 0, i == 0, (uint16_t)(100 + i), i * 160u, pl, sizeof(pl));
		if (i == 10) {
			run_ms(10);
			for (uint16_t k = 0; k < 10; k++)
				send_pkt_ssrc(fd, B.m, 0xbadc0de, 0, false, (uint16_t)(4000 + k),
					      k * 160u, pl, sizeof(pl));
			run_ms(10);
		} else
			run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.peer_ssrc, PEER_SSRC);
	ck_assert_uint_eq(st.drop_ssrc, 10);
	ck_assert_uint_eq(st.rx_packets, 30);
	ck_assert_int_eq(st.lost, 0);
	close(fd);
}
END_TEST

/*
 * A peer that restarts its stream with a new SSRC (and new sequence and
 * timestamp bases) is followed after MEDIA_SSRC_PROBATION packets: its
 * audio reaches the jitter buffer, which echo shows by sending it back.
 * Its timestamps start where the old source's did, behind its last: the
 * jitter buffer starts afresh, or they would all be late.  The loss adds
 * up over both sources.
 */
START_TEST(test_ssrc_switch)
{
	struct media_params pb;
	struct media_stats st;
	struct net_addr pa;
	uint8_t pl[160];
	unsigned echoed;
	int fd = peer_open(&pa);

	memset(pl, 0x40, sizeof(pl));
	open_side(&B, "echo");
	peer_params(&pb, &pa, &pa);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	/* One lost before the switch, none after. */
	for (uint16_t i = 0; i < 20; i++) {
		if (i != 10)
			send_pkt(fd, B.m, 0, i == 0, (uint16_t)(60000 + i), i * 160u, pl,
				 sizeof(pl));
		run_ms(20);
	}
	for (uint16_t i = 0; i < 50; i++) {
		send_pkt_ssrc(fd, B.m, 0xfeed, 0, i == 0, (uint16_t)(5 + i), i * 160u, pl,
			      sizeof(pl));
		run_ms(20);
		if (i == 25)
			(void)drain_rtp(fd, 0);
	}
	echoed = drain_rtp(fd, 0);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.peer_ssrc, 0xfeed);
	ck_assert_uint_eq(st.drop_ssrc, MEDIA_SSRC_PROBATION - 1);
	ck_assert_uint_eq(st.rx_packets, 19 + 50 - (MEDIA_SSRC_PROBATION - 1));
	ck_assert_int_eq(st.lost, 1);
	ck_assert_msg(echoed >= 23, "echoed %u of 24 packet times", echoed);
	ck_assert_uint_eq(st.late, 0);
	ck_assert_uint_eq(media_buffers(B.m) & MEDIA_BUF_JITTER, MEDIA_BUF_JITTER);
	close(fd);
}
END_TEST

/*
 * Two SSRCs interleaved, each in sequence (a bridge that leaks a second
 * stream): the first stays the peer's source, the other is dropped
 * packet by packet; no flip-flop between them.
 */
START_TEST(test_ssrc_interleaved)
{
	struct media_params pb;
	struct media_stats st;
	struct net_addr pa;
	uint8_t pl[160];
	int fd = peer_open(&pa);

	memset(pl, 0xff, sizeof(pl));
	open_side(&B, "silence");
	peer_params(&pb, &pa, &pa);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (uint16_t i = 0; i < 40; i++) {
		send_pkt(fd, B.m, 0, i == 0, (uint16_t)(100 + i), i * 160u, pl, sizeof(pl));
		send_pkt_ssrc(fd, B.m, 0xbad, 0, i == 0, (uint16_t)(7000 + i), 99 + i * 160u, pl,
			      sizeof(pl));
		run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.peer_ssrc, PEER_SSRC);
	ck_assert_uint_eq(st.drop_ssrc, 40);
	ck_assert_uint_eq(st.rx_packets, 40);
	ck_assert_int_eq(st.lost, 0);
	close(fd);
}
END_TEST

/*
 * Re-keying (RFC 4568 §7.1.4): a re-INVITE brings the peer's new key and
 * keeps ours (oa.c keeps our key for the session).  Packets under the
 * peer's new key are taken at once, though they come with a new SSRC (a
 * new key starts the peer's source afresh, no probation); packets under
 * its old key fail authentication.  We send under our key still, with a
 * new SSRC (the SRTP sessions are new: RFC 3711 §9.1, no keystream
 * reuse).
 */
START_TEST(test_srtp_rekey)
{
	alignas(8) uint8_t buf[RTP_HDR_LEN + 160 + MSRTP_TRAILER];
	struct sdes_key kp1, kp2, kb;
	struct msrtp *p1, *p2;
	struct media_params pb;
	struct media_stats st;
	struct net_addr pa;
	struct rtp_hdr h;
	uint32_t old_ssrc;
	uint16_t seq = 10;
	unsigned got;
	int fd = peer_open(&pa);

	ck_assert_int_eq(sdes_key_new(&kp1, SDES_AES_CM_128_HMAC_SHA1_80), 0);
	ck_assert_int_eq(sdes_key_new(&kp2, SDES_AES_CM_128_HMAC_SHA1_80), 0);
	ck_assert_int_eq(sdes_key_new(&kb, SDES_AES_CM_128_HMAC_SHA1_80), 0);
	ck_assert_int_eq(msrtp_new(&p1, &kp1, &kb), 0);
	ck_assert_int_eq(msrtp_new(&p2, &kp2, &kb), 0);
	open_side(&B, "tone:1000");
	peer_params(&pb, &pa, &pa);
	pb.srtp = true;
	pb.tx_key = kb;
	pb.rx_key = kp1;
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (uint32_t i = 0; i < 20; i++, seq++) {
		send_raw(fd, B.m, buf, srtp_pkt(p1, buf, sizeof(buf), PEER_SSRC, seq, i * 160));
		run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.rx_packets, 20);
	old_ssrc = st.ssrc;
	ck_assert_uint_ge(drain_rtp(fd, old_ssrc), 18);
	pb.rx_key = kp2;
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (uint32_t i = 0; i < 20; i++, seq++) {
		send_raw(fd, B.m, buf,
			 srtp_pkt(p2, buf, sizeof(buf), 0x2222, (uint16_t)(900 + i), i * 160));
		if (i % 4 == 0)
			send_raw(
			    fd, B.m, buf,
			    srtp_pkt(p1, buf, sizeof(buf), PEER_SSRC, seq, 20 * 160 + i * 160));
		run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.drop_srtp_auth, 5);
	ck_assert_uint_eq(st.drop_ssrc, 0);
	ck_assert_uint_eq(st.peer_ssrc, 0x2222);
	ck_assert_uint_eq(st.rx_packets, 40);
	ck_assert_int_eq(st.lost, 0);
	/* What B sent since: our key, a new SSRC; each packet authenticates. */
	ck_assert_uint_ne(st.ssrc, old_ssrc);
	got = 0;
	for (;;) {
		size_t len;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		len = (size_t)n;
		ck_assert_int_eq(msrtp_unprotect(p2, buf, &len), 0);
		ck_assert_int_eq(rtp_parse(buf, len, &h), 0);
		ck_assert_uint_eq(h.ssrc, st.ssrc);
		got++;
	}
	ck_assert_uint_ge(got, 18);
	msrtp_free(p1);
	msrtp_free(p2);
	sdes_wipe(&kp1);
	sdes_wipe(&kp2);
	sdes_wipe(&kb);
	sdes_wipe(&pb.tx_key);
	sdes_wipe(&pb.rx_key);
	close(fd);
}
END_TEST

/* Two sockets of the hand-made peer on ports p and p + 1 (RTP and RTCP, no rtcp-mux). */
static void peer_open_pair(int *rtp, int *rtcp, struct net_addr *a)
{
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		int fd = peer_open(a), fd2 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

		ck_assert_int_ge(fd2, 0);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((uint16_t)(net_addr_port(a) + 1));
		if (net_addr_port(a) < 65535 &&
		    bind(fd2, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			*rtp = fd;
			*rtcp = fd2;
			return;
		}
		close(fd);
		close(fd2);
	}
	ck_abort_msg("no two ports in a row");
}

/* Does an RTCP packet wait at fd?  Everything waiting is read. */
static bool got_rtcp(int fd)
{
	uint8_t buf[2048];
	bool got = false;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		got |= rtp_is_rtcp(buf, (size_t)n);
	return got;
}

/* Run the clock until RTCP arrives at fd, 8 s at most (the first report: 2.5 to 7.5 s). */
static void wait_rtcp(int fd)
{
	for (unsigned t = 0; t < 8000; t += MEDIA_TICK_MS) {
		run_ms(MEDIA_TICK_MS);
		if (got_rtcp(fd))
			return;
	}
	ck_abort_msg("no RTCP in 8 s");
}

/*
 * Symmetric RTP (RFC 4961), on: B's SDP peer is at sdp, but the peer's
 * packets come from real (a NAT).  A stranger's packet that fails a check
 * (a payload type not negotiated) does not latch; the first valid packet,
 * from real, does: MEDIA_EV_SOURCE_LATCHED, and our RTP goes to real, our
 * RTCP to real's port + 1.  From then on the SDP's address is a stranger.
 */
START_TEST(test_symmetric_latch)
{
	struct media_engine_cfg ec = {.rtp_timeout_s = 2, .symmetric = true};
	struct media_params pb;
	struct net_addr sdp, sdp_rtcp, real, stranger;
	struct media_stats st;
	uint8_t pl[160];
	int s_rtp, s_rtcp, r_rtp, r_rtcp, x = peer_open(&stranger);

	memset(pl, 0xff, sizeof(pl));
	media_engine_set_cfg(eng, &ec);
	peer_open_pair(&s_rtp, &s_rtcp, &sdp);
	peer_open_pair(&r_rtp, &r_rtcp, &real);
	open_side(&B, "tone:1000");
	sdp_rtcp = sdp;
	net_addr_set_port(&sdp_rtcp, (uint16_t)(net_addr_port(&sdp) + 1));
	peer_params(&pb, &sdp, &sdp_rtcp);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	run_ms(100);
	ck_assert_uint_ge(drain_rtp(s_rtp, 0), 4);
	send_pkt(x, B.m, 8, true, 1, 0, pl, sizeof(pl));
	run_ms(20);
	ck_assert_uint_eq(B.latched, 0);
	ck_assert_uint_ge(drain_rtp(s_rtp, 0), 1);
	/* A stranger's report before RTP latched: dropped, the figures untouched. */
	{
		struct rtcp_report r = {.ssrc = 0x0badc0de,
					.have_block = true,
					.fraction = 128,
					.lost = 50,
					.jitter = 800,
					.cname = "stranger"};
		struct net_addr to;
		uint8_t buf[RTCP_MAX];
		size_t len;

		media_stats(B.m, &st);
		r.peer_ssrc = st.ssrc;
		len = rtcp_build(buf, sizeof(buf), &r, false, NULL);
		ck_assert_uint_gt(len, 0);
		media_local(B.m, &to);
		net_addr_set_port(&to, (uint16_t)(net_addr_port(&to) + 1));
		ck_assert_int_eq(sendto(x, buf, len, 0, (struct sockaddr *)&to.ss, to.len),
				 (ssize_t)len);
		run_ms(20);
		media_stats(B.m, &st);
		ck_assert_uint_eq(st.rtcp_rx, 0);
		ck_assert_uint_eq(st.drop_source, 1);
		ck_assert_msg(st.remote_loss_pct <= 0, "remote loss %.1f %% from a stranger",
			      st.remote_loss_pct);
	}
	send_pkt(r_rtp, B.m, 0, true, 1, 0, pl, sizeof(pl));
	run_ms(20);
	ck_assert_uint_eq(B.latched, 1);
	ck_assert(net_addr_eq(&B.latched_to, &real));
	(void)drain_rtp(s_rtp, 0);
	run_ms(200);
	ck_assert_uint_eq(drain_rtp(s_rtp, 0), 0);
	ck_assert_uint_ge(drain_rtp(r_rtp, 0), 9);
	/* The SDP's address is not the peer's any more. */
	send_pkt(s_rtp, B.m, 0, false, 2, 160, pl, sizeof(pl));
	run_ms(20);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.drop_pt, 1);
	ck_assert_uint_eq(st.drop_source, 2); /* the stranger's report, and this */
	ck_assert_uint_eq(st.rx_packets, 1);
	/* The first report goes to real's RTCP port. */
	wait_rtcp(r_rtcp);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.rtcp_tx, 1);
	ck_assert(!got_rtcp(s_rtcp));
	ck_assert_uint_eq(B.latched, 1);
	close(s_rtp);
	close(s_rtcp);
	close(r_rtp);
	close(r_rtcp);
	close(x);
}
END_TEST

/* Symmetric RTP off: packets from elsewhere than the SDP's address are dropped; we send there. */
START_TEST(test_symmetric_off)
{
	struct media_params pb;
	struct net_addr sdp, sdp_rtcp, real;
	struct media_stats st;
	uint8_t pl[160];
	int s_rtp, s_rtcp, r_rtp, r_rtcp;

	memset(pl, 0xff, sizeof(pl));
	peer_open_pair(&s_rtp, &s_rtcp, &sdp);
	peer_open_pair(&r_rtp, &r_rtcp, &real);
	open_side(&B, "tone:1000");
	sdp_rtcp = sdp;
	net_addr_set_port(&sdp_rtcp, (uint16_t)(net_addr_port(&sdp) + 1));
	peer_params(&pb, &sdp, &sdp_rtcp);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (uint16_t i = 0; i < 10; i++) {
		send_pkt(r_rtp, B.m, 0, i == 0, i, i * 160u, pl, sizeof(pl));
		run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.drop_source, 10);
	ck_assert_uint_eq(st.rx_packets, 0);
	ck_assert_uint_eq(B.latched, 0);
	ck_assert_uint_ge(drain_rtp(s_rtp, 0), 9);
	ck_assert_uint_eq(drain_rtp(r_rtp, 0), 0);
	wait_rtcp(s_rtcp);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.rtcp_tx, 1);
	ck_assert(!got_rtcp(r_rtcp));
	close(s_rtp);
	close(s_rtcp);
	close(r_rtp);
	close(r_rtcp);
}
END_TEST

/*
 * ptime (RFC 4566 a=ptime): G.711 packets of ptime ms, each ptime apart,
 * of 8 samples (octets) a ms, their timestamps that many apart.
 */
START_TEST(test_ptime)
{
	static const unsigned ptimes[] = {20, 30};
	unsigned ptime = ptimes[_i], n = 0;
	struct media_params pb;
	struct net_addr pa;
	struct pkt p[64];
	int fd = peer_open(&pa);

	open_side(&B, "tone:1000");
	peer_params(&pb, &pa, &pa);
	pb.ptime = ptime;
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	run_collect(1200, fd, p, &n, 64);
	ck_assert_uint_ge(n, 1200 / ptime - 1);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq(p[i].pt, 0);
		ck_assert_uint_eq(p[i].plen, 8 * ptime);
		if (i == 0)
			continue;
		ck_assert_uint_eq(p[i].ts - p[i - 1].ts, 8 * ptime);
		ck_assert_uint_eq((uint16_t)(p[i].seq - p[i - 1].seq), 1);
		ck_assert_uint_eq(p[i].at - p[i - 1].at, ptime);
	}
	close(fd);
}
END_TEST

/*
 * The marker bit (RFC 3551 §4.1): on the first packet of the stream and
 * the first of each talk spurt, on no other.  A tone's talk spurts are
 * broken by RFC 4733 events, whose own first packet is marked (RFC 4733
 * §2.5.1.1).
 */
START_TEST(test_marker_dtmf)
{
	unsigned n = 0, events = 0, spurts = 0;
	struct media_params pb;
	struct net_addr pa;
	struct pkt p[128];
	int fd = peer_open(&pa);

	open_side(&B, "tone:1000");
	peer_params(&pb, &pa, &pa);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	run_collect(300, fd, p, &n, 128);
	ck_assert_int_eq(media_dtmf(B.m, "12", 100), 0);
	run_collect(1200, fd, p, &n, 128);
	ck_assert_uint_ge(n, 60);
	for (unsigned i = 0; i < n; i++) {
		bool starts =
		    i == 0 || p[i].pt != p[i - 1].pt || (p[i].pt == 101 && p[i].ts != p[i - 1].ts);

		ck_assert_msg(p[i].marker == starts, "packet %u (pt %u): marker %d", i, p[i].pt,
			      p[i].marker);
		events += p[i].pt == 101 && starts;
		spurts += p[i].pt == 0 && starts;
	}
	ck_assert_uint_eq(events, 2);
	ck_assert_uint_eq(spurts, 3);
	close(fd);
}
END_TEST

/*
 * Echo sends nothing while nothing arrives (as a sender with voice
 * activity detection): its first packet is marked, and so is the first
 * of each talk spurt it sends back, and no other.
 */
START_TEST(test_marker_echo)
{
	unsigned n = 0;
	struct media_params pb;
	struct net_addr pa;
	struct pkt p[64];
	uint8_t pl[160];
	uint16_t seq = 1;
	uint32_t ts = 0;
	int fd = peer_open(&pa);

	memset(pl, 0x40, sizeof(pl));
	open_side(&B, "echo");
	peer_params(&pb, &pa, &pa);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	run_collect(200, fd, p, &n, 64);
	ck_assert_uint_eq(n, 1);
	ck_assert(p[0].marker);
	for (int spurt = 0; spurt < 2; spurt++) {
		unsigned first = n;

		for (int i = 0; i < 10; i++, seq++, ts += 160) {
			send_pkt(fd, B.m, 0, i == 0, seq, ts, pl, sizeof(pl));
			run_collect(20, fd, p, &n, 64);
		}
		run_collect(1000, fd, p, &n, 64);
		ts += 8000;
		ck_assert_uint_ge(n - first, 9);
		for (unsigned i = first; i < n; i++)
			ck_assert_msg(p[i].marker == (i == first), "spurt %d packet %u: marker %d",
				      spurt, i - first, p[i].marker);
	}
	close(fd);
}
END_TEST

/*
 * RFC 3550 §5.1: the SSRC, the first sequence number and the first
 * timestamp are random.  Four sessions: no two SSRCs or timestamps alike
 * (a collision among four 32-bit values has odds of about 1e-9), and the
 * sequence numbers not all the same.
 */
START_TEST(test_random_start)
{
	struct pkt first[4];
	struct media_params pb;
	struct net_addr pa;
	int fd = peer_open(&pa);
	bool seq_differ = false;

	for (int k = 0; k < 4; k++) {
		struct pkt p[8];
		unsigned n = 0;

		open_side(&A, "tone:1000");
		peer_params(&pb, &pa, &pa);
		ck_assert_int_eq(media_update(A.m, &pb), 0);
		run_collect(30, fd, p, &n, 8);
		ck_assert_uint_ge(n, 1);
		first[k] = p[0];
		media_free(A.m);
		A.m = NULL;
		run_ms(10);
		(void)drain_rtp(fd, 0);
	}
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++) {
			ck_assert_uint_ne(first[i].ssrc, first[j].ssrc);
			ck_assert_uint_ne(first[i].ts, first[j].ts);
			seq_differ |= first[i].seq != first[j].seq;
		}
	ck_assert(seq_differ);
	close(fd);
}
END_TEST

/*
 * SRTP replay protection (RFC 3711 §3.3.2): a packet that authenticates
 * but was seen before is dropped and counted as a replay, not as an
 * authentication failure; the stream goes on.
 */
START_TEST(test_srtp_replay)
{
	alignas(8) uint8_t buf[RTP_HDR_LEN + 160 + MSRTP_TRAILER], again[sizeof(buf)];
	struct sdes_key kp, kb;
	struct msrtp *p;
	struct media_params pb;
	struct media_stats st;
	struct net_addr pa;
	size_t again_len = 0;
	int fd = peer_open(&pa);

	ck_assert_int_eq(sdes_key_new(&kp, SDES_AES_CM_128_HMAC_SHA1_80), 0);
	ck_assert_int_eq(sdes_key_new(&kb, SDES_AES_CM_128_HMAC_SHA1_80), 0);
	ck_assert_int_eq(msrtp_new(&p, &kp, &kb), 0);
	open_side(&B, "silence");
	peer_params(&pb, &pa, &pa);
	pb.srtp = true;
	pb.tx_key = kb;
	pb.rx_key = kp;
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	for (uint16_t i = 0; i < 10; i++) {
		size_t len = srtp_pkt(p, buf, sizeof(buf), PEER_SSRC, (uint16_t)(50 + i), i * 160u);

		send_raw(fd, B.m, buf, len);
		if (i == 4) {
			memcpy(again, buf, len);
			again_len = len;
		}
		if (i == 6)
			send_raw(fd, B.m, again, again_len);
		run_ms(20);
	}
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.drop_srtp_replay, 1);
	ck_assert_uint_eq(st.drop_srtp_auth, 0);
	ck_assert_uint_eq(st.rx_packets, 10);
	ck_assert_int_eq(st.lost, 0);
	msrtp_free(p);
	sdes_wipe(&kp);
	sdes_wipe(&kb);
	sdes_wipe(&pb.tx_key);
	sdes_wipe(&pb.rx_key);
	close(fd);
}
END_TEST

START_TEST(test_dtmf_no_te)
{
	struct media_params pa, pb;

	open_side(&A, "silence");
	open_side(&B, "silence");
	params(&pa, &B, "PCMU");
	params(&pb, &A, "PCMU");
	pa.te_pt = pb.te_pt = -1;
	ck_assert_int_eq(media_update(A.m, &pa), 0);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
	ck_assert_int_eq(media_dtmf(A.m, "1", 100), -ENOTSUP);
}
END_TEST

START_TEST(test_garbage_and_stranger)
{
	struct media_stats st;
	struct net_addr to;
	uint8_t junk[40] = {0x12, 0x34};
	int fd;

	open_side(&A, "tone:1000");
	open_side(&B, "silence");
	connect_both("PCMU");
	run_ms(200);
	media_local(B.m, &to);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(sendto(fd, junk, sizeof(junk), 0, (struct sockaddr *)&to.ss, to.len),
				 (ssize_t)sizeof(junk));
	close(fd);
	run_ms(200);
	media_stats(B.m, &st);
	ck_assert_uint_eq(st.drop_source, 5);
	ck_assert(st.rx_packets >= 18);
	ck_assert_uint_eq(B.timeouts, 0);
}
END_TEST

START_TEST(test_timeout_and_hold)
{
	struct media_params pa;
	struct media_stats st;
	uint64_t tx;

	open_side(&A, "tone:1000");
	open_side(&B, "silence");
	connect_both("PCMU");
	run_ms(500);
	/* A holds (sendonly from B's view is recvonly for A: A stops... here A goes inactive). */
	params(&pa, &B, "PCMU");
	pa.dir = MEDIA_INACTIVE;
	ck_assert_int_eq(media_update(A.m, &pa), 0);
	media_stats(A.m, &st);
	tx = st.tx_packets;
	run_ms(1000);
	media_stats(A.m, &st);
	ck_assert_uint_eq(st.tx_packets, tx);
	/* A sends nothing and is held: its own timeout does not run. B's does: 2 s. */
	run_ms(2500);
	ck_assert_uint_eq(A.timeouts, 0);
	ck_assert_uint_eq(B.timeouts, 1);
	run_ms(1000);
	ck_assert_uint_eq(B.timeouts, 1);
}
END_TEST

/* Both sides' directions and telephone-event (te: its payload type, -1: none). */
static void dirs(enum media_dir a, enum media_dir b, int te)
{
	struct media_params pa, pb;

	params(&pa, &B, "PCMU");
	params(&pb, &A, "PCMU");
	pa.dir = a;
	pb.dir = b;
	pa.te_pt = pb.te_pt = te;
	ck_assert_int_eq(media_update(A.m, &pa), 0);
	ck_assert_int_eq(media_update(B.m, &pb), 0);
}

/*
 * Issue 12: a session holds its buffers only while it needs them (an
 * established call without audio holds little more than its struct).  The
 * jitter buffer comes with the first audio received, the in-band DTMF
 * detector with the first audio played out without telephone-event, the
 * send buffer with our first packet; hold frees them, the counts stay;
 * the event queue goes once its events are told.
 */
START_TEST(test_buffers_lazy)
{
	struct media_stats st, held;

	open_side(&A, "tone:1000");
	open_side(&B, "silence");
	ck_assert_uint_eq(media_buffers(A.m), 0);
	dirs(MEDIA_RECVONLY, MEDIA_SENDONLY, 101);
	ck_assert_uint_eq(media_buffers(A.m), 0);
	run_ms(200);
	ck_assert_uint_eq(media_buffers(A.m), MEDIA_BUF_JITTER);
	ck_assert_uint_eq(media_buffers(B.m), MEDIA_BUF_SEND);
	dirs(MEDIA_SENDRECV, MEDIA_SENDRECV, -1);
	run_ms(200);
	ck_assert_uint_eq(media_buffers(A.m), MEDIA_BUF_JITTER | MEDIA_BUF_DTMF | MEDIA_BUF_SEND);
	ck_assert_uint_eq(media_buffers(B.m), MEDIA_BUF_JITTER | MEDIA_BUF_DTMF | MEDIA_BUF_SEND);
	media_stats(A.m, &st);
	dirs(MEDIA_INACTIVE, MEDIA_INACTIVE, -1);
	ck_assert_uint_eq(media_buffers(A.m), 0);
	ck_assert_uint_eq(media_buffers(B.m), 0);
	media_stats(A.m, &held);
	ck_assert_uint_eq(held.late, st.late);
	ck_assert_uint_eq(held.concealed_ms, st.concealed_ms);
	ck_assert_uint_eq(held.rx_packets, st.rx_packets);
	run_ms(200);
	ck_assert_uint_eq(media_buffers(A.m), 0);
	/* Resumed with telephone-event: no detector; a digit told leaves no queue behind. */
	dirs(MEDIA_SENDRECV, MEDIA_SENDRECV, 101);
	run_ms(100);
	ck_assert_int_eq(media_dtmf(A.m, "7", 100), 0);
	run_ms(500);
	ck_assert_str_eq(B.digits, "7");
	ck_assert_uint_eq(media_buffers(B.m), MEDIA_BUF_JITTER | MEDIA_BUF_SEND);
	media_stats(A.m, &st);
	ck_assert_uint_ge(st.rx_packets, held.rx_packets + 20);
	media_free(B.m);
	B.m = NULL;
	ck_assert_uint_eq(media_buffers(NULL), 0);
}
END_TEST

START_TEST(test_rtcp_rtt)
{
	struct media_stats st;

	open_side(&A, "tone:1000");
	open_side(&B, "tone:400");
	connect_both("PCMU");
	run_ms(16000);
	media_stats(A.m, &st);
	ck_assert_uint_ge(st.rtcp_tx, 2);
	ck_assert_uint_ge(st.rtcp_rx, 2);
	ck_assert(st.rtt_ms >= 0 && st.rtt_ms < 50);
	ck_assert(st.remote_loss_pct >= 0 && st.remote_loss_pct < 1);
}
END_TEST

START_TEST(test_play)
{
	char why[256];

	open_side(&A, "silence");
	open_side(&B, "silence");
	connect_both("PCMU");
	ck_assert_int_eq(media_play(A.m, "/nonexistent/x.wav", false, why, sizeof(why)), -ENOENT);
	ck_assert_msg(strstr(why, "/nonexistent/x.wav"), "%s", why);
	ck_assert_int_eq(media_play_stop(A.m), -ENOENT);
}
END_TEST

/*
 * Echo with nothing to give back stays quiet: its first packet, then one
 * of silence per 5 s; audio that arrives goes back in every packet time;
 * when it stops, echo goes quiet again.  A (echo) and B (a tone; sending,
 * then not, then again).
 */
START_TEST(test_echo_quiet)
{
	struct media_stats a, b;
	uint64_t tx;

	open_side(&A, "echo");
	open_side(&B, "tone:800");
	connect_both("PCMU");
	run_ms(1000);
	media_stats(A.m, &a);
	ck_assert_msg(a.tx_packets >= 40, "echo: %llu", (unsigned long long)a.tx_packets);
	/* B on hold (sendonly from A's view: B sends nothing): A goes quiet. */
	{
		struct media_params pb;

		params(&pb, &A, "PCMU");
		pb.dir = MEDIA_RECVONLY;
		ck_assert_int_eq(media_update(B.m, &pb), 0);
	}
	run_ms(500); /* the jitter buffer empties */
	media_stats(A.m, &a);
	tx = a.tx_packets;
	run_ms(4000);
	media_stats(A.m, &a);
	ck_assert_msg(a.tx_packets - tx <= 1, "quiet echo sent %llu in 4 s",
		      (unsigned long long)(a.tx_packets - tx));
	/* 12 s more: a packet of silence per 5 s of quiet, no more, no less. */
	tx = a.tx_packets;
	run_ms(12000);
	media_stats(A.m, &a);
	ck_assert_msg(a.tx_packets - tx >= 2 && a.tx_packets - tx <= 3, "keepalives %llu",
		      (unsigned long long)(a.tx_packets - tx));
	/* B sends again: it comes back, every packet time. */
	connect_both("PCMU");
	run_ms(500);
	media_stats(A.m, &a);
	tx = a.tx_packets;
	run_ms(1000);
	media_stats(A.m, &a);
	media_stats(B.m, &b);
	ck_assert_msg(a.tx_packets - tx >= 49 && a.tx_packets - tx <= 51, "echoed %llu in 1 s",
		      (unsigned long long)(a.tx_packets - tx));
	ck_assert_int_eq(b.lost, 0);
}
END_TEST

/* A fresh session with the echo source sends its first packet at once (NAT, latching). */
START_TEST(test_echo_first_packet)
{
	struct media_stats a;
	struct media_params pa;

	open_side(&A, "echo");
	open_side(&B, "silence");
	params(&pa, &B, "PCMU");
	ck_assert_int_eq(media_update(A.m, &pa), 0);
	run_ms(100);
	media_stats(A.m, &a);
	ck_assert_uint_eq(a.tx_packets, 1);
	run_ms(2000);
	media_stats(A.m, &a);
	ck_assert_uint_eq(a.tx_packets, 1);
}
END_TEST

/*
 * RFC 3550 §6.3.7: a participant that never sent an RTP or RTCP packet
 * MUST NOT send a BYE when it leaves; one that did sends it.  A only
 * receives (recvonly) for 1 s, before its first report is due, and ends:
 * B gets no RTCP.  Then the same with A sending: B gets A's BYE.
 */
START_TEST(test_rtcp_bye_only_after_sending)
{
	struct media_stats b;

	open_side(&A, "silence");
	open_side(&B, "tone:400");
	dirs(MEDIA_RECVONLY, MEDIA_SENDONLY, 101);
	run_ms(1000);
	media_stats(A.m, &b);
	ck_assert_uint_eq(b.tx_packets, 0);
	ck_assert_uint_eq(b.rtcp_tx, 0);
	ck_assert_uint_gt(b.rx_packets, 40);
	media_free(A.m);
	A.m = NULL;
	run_ms(50);
	media_stats(B.m, &b);
	ck_assert_uint_eq(b.rtcp_rx, 0);

	open_side(&A, "silence");
	dirs(MEDIA_SENDRECV, MEDIA_SENDRECV, 101);
	run_ms(1000);
	media_stats(B.m, &b);
	ck_assert_uint_eq(b.rtcp_rx, 0);
	media_free(A.m);
	A.m = NULL;
	run_ms(50);
	media_stats(B.m, &b);
	ck_assert_uint_eq(b.rtcp_rx, 1);
}
END_TEST

START_TEST(test_source_parse)
{
	struct media_source s;

	ck_assert_int_eq(media_source_parse("echo", &s), 0);
	ck_assert_int_eq(s.kind, MEDIA_SRC_ECHO);
	ck_assert_int_eq(media_source_parse("silence", &s), 0);
	ck_assert_int_eq(s.kind, MEDIA_SRC_SILENCE);
	ck_assert_int_eq(media_source_parse("tone:440", &s), 0);
	ck_assert_uint_eq(s.tone_hz, 440);
	ck_assert_int_eq(media_source_parse("file:/a.wav", &s), 0);
	ck_assert_str_eq(s.path, "/a.wav");
	ck_assert_int_eq(media_source_parse("tone:0", &s), -EINVAL);
	ck_assert_int_eq(media_source_parse("tone:4000", &s), -EINVAL);
	ck_assert_int_eq(media_source_parse("tone:12x", &s), -EINVAL);
	ck_assert_int_eq(media_source_parse("tone:", &s), -EINVAL);
	ck_assert_int_eq(media_source_parse("file:", &s), -EINVAL);
	ck_assert_int_eq(media_source_parse("Echo", &s), -EINVAL);
	ck_assert_int_eq(media_source_parse("", &s), -EINVAL);
}
END_TEST

/* A mono 16-bit WAV of secs of hz at rate, at path. */
static void write_tone(const char *path, double hz, int rate, double secs)
{
	SF_INFO info = {
	    .samplerate = rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	sf_count_t n = (sf_count_t)(secs * rate);
	short *x = calloc((size_t)n, sizeof(*x));

	ck_assert_msg(f && x, "%s: %s", path, sf_strerror(NULL));
	for (sf_count_t i = 0; i < n; i++)
		x[i] = (short)(8000 * sin(2 * M_PI * hz * (double)i / rate));
	ck_assert_int_eq(sf_writef_short(f, x, n), n);
	sf_close(f);
	free(x);
}

/* A sends path as its file: source (looping or not), B records 1.5 s of it: B's left channel. */
static short *file_source_call(const char *path, bool loop, size_t *n)
{
	struct media_source src = {.kind = MEDIA_SRC_FILE, .path = path, .loop = loop};
	struct net_addr local;
	struct media_stats st;
	char rec[128], why[200];
	short *left;

	ck_assert_int_eq(net_addr_from_host(&local, "127.0.0.1", 0), 0);
	ck_assert_int_eq(media_new(&A.m, pool, &local), 0);
	ck_assert_int_eq(media_attach(A.m, eng, &src, on_ev, &A), 0);
	open_side(&B, "silence");
	connect_both("PCMU");
	snprintf(rec, sizeof(rec), "%s/b.wav", dir);
	ck_assert_int_eq(media_record_start(B.m, rec, why, sizeof(why)), 0);
	run_ms(1500);
	ck_assert_int_eq(media_record_stop(B.m, NULL), 0);
	run_ms(10);
	/* The source's end does not stop the stream: 1.5 s of packets. */
	media_stats(A.m, &st);
	ck_assert_msg(st.tx_packets >= 73 && st.tx_packets <= 76, "tx %llu",
		      (unsigned long long)st.tx_packets);
	left = read_channel(rec, 0, n);
	ck_assert(*n >= 11900);
	return left;
}

/*
 * [media] source = file:PATH: a 0.5 s file at 16 kHz played once is
 * heard for 0.5 s, then silence, and its end is told once as a play
 * ending; looping, it is heard throughout and nothing is told; a file
 * that cannot be opened is told once, at the first media, as an error
 * with its path, and silence is sent.
 */
START_TEST(test_source_file)
{
	char path[128], missing[128];
	size_t n;
	short *left;

	snprintf(path, sizeof(path), "%s/tone.wav", dir);
	write_tone(path, 1000, 16000, 0.5);
	left = file_source_call(path, false, &n);
	ck_assert_uint_eq(A.plays_done, 1);
	ck_assert_str_eq(A.last_reason, "end");
	ck_assert(power(left + 800, 2400, 1000) > 100 * power(left + 800, 2400, 400));
	for (size_t i = 6400; i < n; i++) /* 0.8 s on: after the file and the jitter buffer */
		ck_assert_msg(left[i] == 0, "sample %zu: %d after the file's end", i, left[i]);
	free(left);
	media_free(A.m);
	media_free(B.m);
	A.m = B.m = NULL;
	memset(&A, 0, sizeof(A));

	left = file_source_call(path, true, &n);
	ck_assert_uint_eq(A.plays_done, 0);
	ck_assert(power(left + 8000, 2400, 1000) > 100 * power(left + 8000, 2400, 400));
	free(left);
	media_free(A.m);
	media_free(B.m);
	A.m = B.m = NULL;
	memset(&A, 0, sizeof(A));

	snprintf(missing, sizeof(missing), "%s/missing.wav", dir);
	left = file_source_call(missing, true, &n);
	ck_assert_uint_eq(A.plays_done, 1);
	ck_assert_msg(strncmp(A.last_reason, "error: cannot open ", 19) == 0 &&
			      strstr(A.last_reason, missing) && strstr(A.last_reason, "No such file"),
		      "%s", A.last_reason);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(left[i], 0);
	free(left);
	/* A re-INVITE (the same media again, then held and resumed) does not tell it again. */
	connect_both("PCMU");
	run_ms(100);
	{
		struct media_params p;

		params(&p, &B, "PCMU");
		p.dir = MEDIA_SENDONLY;
		ck_assert_int_eq(media_update(A.m, &p), 0);
		p.dir = MEDIA_SENDRECV;
		ck_assert_int_eq(media_update(A.m, &p), 0);
	}
	run_ms(100);
	ck_assert_uint_eq(A.plays_done, 1);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("media_engine");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tone_pcmu);
	tcase_add_test(tc, test_tone_pcma);
	tcase_add_test(tc, test_tone_g722);
	tcase_add_loop_test(tc, test_srtp_suites, 0, SDES_SUITE_COUNT);
	tcase_add_test(tc, test_dtmf);
	tcase_add_test(tc, test_dtmf_not_jitter);
	tcase_add_test(tc, test_dtmf_no_te);
	tcase_add_test(tc, test_fraction_lost);
	tcase_add_test(tc, test_payload_type_negotiated_only);
	tcase_add_test(tc, test_ssrc_stray);
	tcase_add_test(tc, test_ssrc_burst);
	tcase_add_test(tc, test_ssrc_switch);
	tcase_add_test(tc, test_ssrc_interleaved);
	tcase_add_test(tc, test_srtp_rekey);
	tcase_add_test(tc, test_srtp_replay);
	tcase_add_test(tc, test_symmetric_latch);
	tcase_add_test(tc, test_symmetric_off);
	tcase_add_loop_test(tc, test_ptime, 0, 2);
	tcase_add_test(tc, test_marker_dtmf);
	tcase_add_test(tc, test_marker_echo);
	tcase_add_test(tc, test_random_start);
	tcase_add_test(tc, test_garbage_and_stranger);
	tcase_add_test(tc, test_timeout_and_hold);
	tcase_add_test(tc, test_buffers_lazy);
	tcase_add_test(tc, test_rtcp_rtt);
	tcase_add_test(tc, test_play);
	tcase_add_test(tc, test_source_parse);
	tcase_add_test(tc, test_source_file);
	tcase_add_test(tc, test_echo_quiet);
	tcase_add_test(tc, test_echo_first_packet);
	tcase_add_test(tc, test_rtcp_bye_only_after_sending);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(engine_suite());
}
