/*
 * media_int: what media.c, media_rx.c and media_tx.c share about a
 * session and the engine; nothing outside src/media/media*.c includes it.
 */
#ifndef SIPUAD_MEDIA_INT_H
#define SIPUAD_MEDIA_INT_H

#include <stdalign.h>

#include "core/tmr.h"
#include "media/dtmf.h"
#include "media/jbuf.h"
#include "media/media.h"
#include "media/msrtp.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/tone.h"

/* Samples in one tick, and in the longest packet time we send (RFC 3551: 20..60 ms typical). */
#define MEDIA_TICK_SAMPLES (MEDIA_RATE * MEDIA_TICK_MS / 1000)
#define MEDIA_PTIME_MAX 120
#define MEDIA_PKT_SAMPLES (MEDIA_RATE * MEDIA_PTIME_MAX / 1000)
/* A datagram we take: an MTU-sized packet and SRTP's room. */
#define MEDIA_BUF 2048
/* Recording frames written to disk per tick at most: 100 ms of audio. */
#define MEDIA_REC_FLUSH 800
/* Events a session can hold before the loop delivers them. */
#define MEDIA_EVQ 16
/*
 * Echo with nothing to give back sends nothing, as a sender with voice
 * activity detection does: its first packet (to open NAT bindings and
 * let the peer latch) and one of silence every 5 s of quiet, so that a
 * peer with an RTP timeout, another echo among them, keeps the call.
 */
#define MEDIA_ECHO_KEEPALIVE (5 * MEDIA_RATE)

struct media_engine {
	struct event_base *base;
	struct tmr_clock *clk;
	struct media_engine_cfg cfg;
	struct tmr tick;
	uint64_t next_ms;	   /* when the next tick is due */
	struct media *first;	   /* attached sessions */
	struct media *iter_next;   /* the tick's next session (media_free moves it on) */
	unsigned n;
	char cname_host[64];
	/* Wall clock at mono0_us of the engine clock: NTP times run on the engine clock. */
	uint64_t wall0_us, mono0_us;
};

/* A queued event with its own copies of the texts it names. */
struct media_evq {
	struct media_event_info info;
	char text[512];
	char reason[160];
	struct net_addr addr;
};

/*
 * The libevent events of a port pair.  They stay registered while the
 * pair is kept in the pool between calls (the pair's user), so a call
 * costs no epoll_ctl: m is the session reading them, NULL while kept,
 * when what arrives is read and dropped.
 */
struct media_socks {
	struct event *rtp, *rtcp; /* in the same allocation, after the struct */
	struct media *m;
};

struct media {
	struct media_engine *eng; /* NULL: not attached, no I/O */
	struct media *prev, *next;
	bool *alive;		  /* cleared by media_free while an event is being told */
	media_event_fn *fn;
	void *arg;

	struct rtpport_pool *pool;
	/*
	 * Bound to our address: media_local() asks the socket.  Its user is
	 * the struct media_socks of its events (made at media_attach()).
	 */
	struct rtpport_pair pair;

	struct media_params params;
	struct net_addr dest, dest_rtcp; /* where we send: the SDP's, or latched */

	/* Sending. */
	uint32_t ssrc, ts;
	uint16_t seq;
	bool spurt;		   /* the next audio packet starts a talk spurt: marker */
	bool heard;		   /* the packet being gathered holds audio received */
	uint16_t quiet;		   /* samples since echo last sent, up to MEDIA_ECHO_KEEPALIVE */
	/* The flags, together (a struct of this size per call). */
	bool have;
	bool latched;
	bool have_src;
	bool reported; /* a report block about the peer's source went out: see fraction */
	bool timed_out;
	bool src_failed; /* the file: source could not be opened: told once, not retried */
	/*
	 * What we send, gathered a tick at a time up to a packet time:
	 * made for the packet time when we first send, freed on hold.
	 */
	int16_t *out;
	unsigned out_n, out_cap;
	uint64_t tx_packets, tx_bytes;
	char cname[24];		   /* "%.16s@sipuad" */
	struct dtmf_tx *dtx;	   /* RFC 4733 sending, made at the first media_dtmf() */

	/* Receiving. */
	uint32_t peer_ssrc;
	struct rtp_src src;
	/* Another SSRC on probation: its last seq, its run in sequence (up to the probation). */
	uint32_t cand_ssrc;
	uint16_t cand_seq;
	uint8_t cand_n;
	/* Totals of the peer's sources before the current one: lost and loss_pct span them all. */
	int64_t lost_prior;
	uint64_t expected_prior;
	/*
	 * The jitter buffer and the in-band DTMF detector are made at the
	 * first audio that needs them and freed when we stop receiving (hold):
	 * a call without audio coming in holds neither.  The late and
	 * concealed counts of the jitter buffers freed go on here.
	 */
	struct jbuf *jb;
	uint64_t jb_late, jb_concealed;
	uint64_t last_rx_ms;	   /* last accepted RTP (or when media started) */
	uint64_t rx_packets, rx_bytes;
	uint64_t drop_source, drop_pt, drop_ssrc, drop_malformed, drop_srtp_auth, drop_srtp_replay;
	uint64_t drop_rtcp;
	struct dtmf_rx drx;
	uint32_t lsr;		   /* RTCP: middle 32 bits of the peer's last SR */
	struct dtmf_inband *inband;

	/* RTCP. */
	uint64_t next_rtcp_ms;
	uint64_t lsr_at_us;
	double rtt_ms;
	double remote_loss_pct, remote_jitter_ms;
	uint64_t rtcp_rx, rtcp_tx;
	uint8_t fraction; /* RFC 3550 §6.4.1 fraction lost our last report block carried */

	struct g722 *g722;	   /* G.722 codec state, made at its first use */

	/* SRTP. */
	struct msrtp *srtp;

	/* Sources and sinks. */
	struct media_source src_cfg;
	char *src_path;		   /* src_cfg.path's copy */
	struct tone tone;
	struct afile *file;	   /* the default file source */
	struct afile *play;	   /* a play command's file */
	char *play_path;
	struct wavrec *rec;
	char *rec_path;

	/* Events waiting for the loop: MEDIA_EVQ at most, made at a push, freed once told. */
	struct media_evq *evq;
	unsigned evq_n;
	struct event *ev_flush;	   /* made at the first event */
};

/* media.c */
void media_ev_push(struct media *m, const struct media_event_info *e);
bool media_sending(const struct media *m);
bool media_receiving(const struct media *m);
void media_tick_arm(struct media_engine *eng);
/* Where RTCP goes for RTP at rtp: rtp itself with rtcp-mux (RFC 5761), else its port + 1. */
void media_rtcp_dest(const struct net_addr *rtp, bool mux, struct net_addr *out);

/* The jitter buffer, made if needed. false: no memory (the audio is dropped). */
bool media_jb(struct media *m);
/* The in-band DTMF detector, made if needed. false: no memory (no detection this tick). */
bool media_inband(struct media *m);
/* Free what only receiving needs: the jitter buffer (its counts kept) and the DTMF detector. */
void media_rx_release(struct media *m);
/*
 * The peer's source ends (a new SSRC, a new address, new keys): its
 * counts go into the call's totals, the jitter buffer empties (its
 * timestamps are not the next source's) and the RFC 4733 receiver forgets
 * its digit; the next packet taken starts a source.  None: nothing.
 */
void media_src_end(struct media *m);

/* media_rx.c */
void media_on_rtp(int fd, short what, void *arg);
void media_on_rtcp(int fd, short what, void *arg);
void media_socks_free(void *ms); /* the pool's user_free for a pair's events */

/* media.c: the codec's octets of n samples and back; false: no codec state (no memory). */
bool media_encode(struct media *m, const struct codec *c, uint8_t *out, const int16_t *pcm, size_t n);
bool media_decode(struct media *m, const struct codec *c, int16_t *pcm, const uint8_t *in, size_t n);

/* media_tx.c */
/*
 * The file: source is done: MEDIA_EV_PLAY_DONE for its path, "end", or
 * "error: " and err when it could not be opened or read.  The file stays
 * (done), so that it is not opened again; silence follows.
 */
void media_source_done(struct media *m, const char *err);

uint64_t media_wall_us(void);
/* The engine clock as an NTP timestamp (RFC 3550 §4): wall time at start, monotonic since. */
uint64_t media_ntp_now(const struct media_engine *eng);
void media_tick(struct media *m, uint64_t now);
void media_send_rtcp(struct media *m, bool bye);
void media_play_end(struct media *m, const char *reason);
double media_record_end(struct media *m, const char *reason);

#endif
