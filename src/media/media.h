/*
 * media: one call's media session, and the engine that runs them all.
 *
 * The UA holds a session opaque: it creates one per call on the call's
 * local address, puts its RTP port in every SDP it writes, and feeds it the
 * result of each completed offer/answer exchange (RFC 3264) as media
 * parameters: where the peer receives, the payload types, the direction,
 * the packet time, rtcp-mux and the SRTP keys.
 *
 * A session owns its RTP/RTCP port pair (RFC 3550 §11, from the pool at
 * media_new(), back at media_free()) and, once attached to the engine
 * (media_attach()), everything that moves audio:
 *
 *   socket --> SRTP unprotect --> RTP checks --> jitter buffer --+--> recording (left)
 *          (source, PT, SSRC,      (seq, A.8)    telephone-event |--> echo source
 *           counted when dropped)      |          --> call.dtmf  +--> in-band DTMF
 *   source (echo, silence, tone, file) --> G.711 --> RTP --> SRTP protect --> socket
 *                                 \--> recording (right)
 *
 * One engine clock ticks every MEDIA_TICK_MS for all sessions (never a
 * timer per call): each tick takes 10 ms from the jitter buffer, makes
 * 10 ms of source audio and sends a packet when a packet time is full; it
 * also sends RTCP reports about every 5 s and sees RTP timeouts.  The
 * clock runs only while some session is attached.
 *
 * What the UA hears comes through one callback per session (DTMF, RTP
 * timeout, a play or a recording ending), always from the event loop and
 * never from inside a media_* call the UA made.  No logging here: the UA
 * words it.
 */
#ifndef SIPUAD_MEDIA_H
#define SIPUAD_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "media/codec.h"
#include "media/rtpport.h"
#include "media/sdes.h"

/* What we do on the stream (RFC 3264 §5.1, from our side). */
enum media_dir {
	MEDIA_SENDRECV,
	MEDIA_SENDONLY,
	MEDIA_RECVONLY,
	MEDIA_INACTIVE,
};

/* What an offer/answer exchange negotiated, in media terms. */
struct media_params {
	bool active;		   /* false: our stream was declined (port 0): no media */
	struct net_addr remote;	   /* peer RTP address and port (0.0.0.0: RFC 2543 hold) */
	int pt;			   /* payload type we send, 0..127 */
	const struct codec *codec; /* its row in the codec table (an audio row) */
	int te_pt;		   /* telephone-event payload type; -1: none */
	enum media_dir dir;
	unsigned ptime; /* ms per packet, > 0 */
	/* RTCP: on the RTP port (RFC 5761 rtcp-mux), else at remote_rtcp (RFC 3605 a=rtcp, else port + 1). */
	bool rtcp_mux;
	struct net_addr remote_rtcp;
	/* SRTP (RFC 3711) keyed by SDES (RFC 4568): tx_key ours, rx_key the peer's, same suite. */
	bool srtp;
	struct sdes_key tx_key, rx_key;
};

/* One tick of the engine clock: 80 samples at 8 kHz. */
#define MEDIA_TICK_MS 10
#define MEDIA_RATE 8000

struct event_base;
struct tmr_clock;
struct media;
struct media_engine;

/* Settings every session of an engine shares; copied. */
struct media_engine_cfg {
	unsigned rtp_timeout_s; /* 0: off */
	/*
	 * RFC 4961 (comedia): send RTP and RTCP to where the peer's packets
	 * come from.  Until a packet latches, any source is taken: the first
	 * packet from anywhere that passes every other check (SRTP, header,
	 * payload type, sequence) wins, even over the SDP's address.
	 */
	bool symmetric;
	unsigned jitter_min_ms, jitter_max_ms; /* 0: 20 and 200; 2000 at most */
};

/* 0, -EINVAL, -ENOMEM, -EIO (libsrtp2 would not start). */
int media_engine_new(struct media_engine **out, struct event_base *base, struct tmr_clock *clk,
		     const struct media_engine_cfg *cfg);
/* Every session must be freed first. NULL: no-op. */
void media_engine_free(struct media_engine *eng);
/* New settings, for every session from the next tick. */
void media_engine_set_cfg(struct media_engine *eng, const struct media_engine_cfg *cfg);
/* Sessions attached. */
unsigned media_engine_sessions(const struct media_engine *eng);

/* What a session tells the UA. */
enum media_event {
	MEDIA_EV_DTMF,	      /* a digit arrived: digit, source, duration_ms */
	MEDIA_EV_TIMEOUT,     /* no RTP for rtp_timeout_s on an active call: seconds */
	MEDIA_EV_PLAY_DONE,   /* a play or the source's file ended: path, reason ("end", ...) */
	MEDIA_EV_RECORD_DONE, /* a recording ended: path, seconds, reason (NULL, or an error) */
	MEDIA_EV_SOURCE_LATCHED, /* symmetric RTP: we now send to where the peer's packets come from */
};

struct media_event_info {
	enum media_event ev;
	char digit;
	const char *dtmf_source; /* "rfc4733" / "inband" */
	unsigned duration_ms;
	unsigned seconds;	 /* MEDIA_EV_TIMEOUT */
	const char *path;
	double record_seconds;
	const char *reason;
	const struct net_addr *addr; /* MEDIA_EV_SOURCE_LATCHED: the new destination */
};

typedef void(media_event_fn)(void *arg, struct media *m, const struct media_event_info *e);

/* What a session's default audio source is. */
enum media_source_kind {
	MEDIA_SRC_ECHO,
	MEDIA_SRC_SILENCE,
	MEDIA_SRC_TONE,
	MEDIA_SRC_FILE,
};

struct media_source {
	enum media_source_kind kind;
	unsigned tone_hz;  /* MEDIA_SRC_TONE */
	const char *path;  /* MEDIA_SRC_FILE */
	bool loop;	   /* MEDIA_SRC_FILE: start again at the end; false: silence after it */
};

/*
 * "echo", "silence", "tone:HZ" (1..3999) or "file:PATH" into *out (path
 * points into text; a file loops: set loop after it to change that).  0 or
 * -EINVAL.
 */
int media_source_parse(const char *text, struct media_source *out);

/*
 * A session on local's address (its port is ignored) with a port pair from
 * pool, which must outlive it.  0 with *mp the caller's (media_free), or
 * rtpport_get()'s codes (-ENOSPC, -EADDRINUSE: no pair free), -EINVAL,
 * -ENOMEM.  Nothing is negotiated yet.
 */
int media_new(struct media **mp, struct rtpport_pool *pool, const struct net_addr *local);
/*
 * Closes the sockets and gives the pair back to the pool; an attached
 * session first sends an RTCP BYE (when it had sent anything) and ends a
 * recording (its file is complete; no event).  NULL: no-op.
 */
void media_free(struct media *m);

/*
 * Run m on eng: from now on it receives, and it sends as negotiated with
 * src as its audio (copied; a file source is opened at the first active
 * parameters: a file that cannot be used, at each try, and its end, once,
 * when it does not loop, are told as MEDIA_EV_PLAY_DONE; silence follows).
 * fn hears its events.  0, -EINVAL, -EALREADY, -ENOMEM.
 * Without it a session only holds its ports (the unit tests of the UA).
 */
int media_attach(struct media *m, struct media_engine *eng, const struct media_source *src,
		 media_event_fn *fn, void *arg);

/*
 * The result of a completed exchange.  An inactive p ends what was
 * negotiated before.  0, or -EINVAL (an active p with no audio codec row,
 * a payload type out of 0..127, no remote address, ptime 0, SRTP keys of
 * two suites) and nothing changes; -EIO: libsrtp2 refused the keys (the
 * session sends nothing then).  p is copied; the SRTP sessions are made
 * again only when a key changed (srtp_create is costly).  A new remote
 * address or new keys end the peer's source: its next packet starts one,
 * whatever its SSRC.
 *
 * Within a stream, a packet of another SSRC than the peer's source is
 * dropped and counted (drop_ssrc) unless it is the MEDIA_SSRC_PROBATION-th
 * or later in sequence of that SSRC (RFC 3550 A.1's probation) and the
 * source has sent nothing for MEDIA_SSRC_QUIET_MS: then the peer restarted its stream (a PBX that
 * switched sources), and that SSRC becomes its source.  A new source
 * starts afresh its RFC 3550 figures (sequence, jitter, fraction lost, the
 * report blocks about it), the jitter buffer and the RFC 4733 receiver;
 * lost and loss_pct add up over the call's sources, and the packet, byte,
 * drop, late and concealed counts are the call's.
 */
#define MEDIA_SSRC_PROBATION 3
#define MEDIA_SSRC_QUIET_MS 60
int media_update(struct media *m, const struct media_params *p);

/* Our RTP port for the m= line; 0 when m is NULL. */
uint16_t media_port(const struct media *m);
/* Our RTP address with its port (the socket's: len 0 if it cannot tell). */
void media_local(const struct media *m, struct net_addr *out);
/* The negotiated parameters, or NULL when none are active. */
const struct media_params *media_current(const struct media *m);
/* The negotiated codec's name ("PCMU"), or NULL when none; static text. */
const char *media_codec(const struct media *m);
/* The SRTP suite in use ("AES_CM_128_HMAC_SHA1_80"), or NULL for plain RTP. */
const char *media_srtp_suite(const struct media *m);

/*
 * Play the WAV file path instead of the default source, from its start,
 * looping if loop; MEDIA_EV_PLAY_DONE when it ends or is stopped, then the
 * default source again.  A play replaces a play (the first ends
 * "replaced").  0, or -errno with why: a file that cannot be used
 * ("cannot open PATH: ...") or -ENOTCONN (not attached).
 */
int media_play(struct media *m, const char *path, bool loop, char *why, size_t whylen);
/* Stop a play: 0, or -ENOENT when none is going. */
int media_play_stop(struct media *m);
/* The file being played, or NULL. */
const char *media_playing(const struct media *m);

/*
 * Record to a stereo WAV at path (left: received, right: sent), created now
 * and written in bounded pieces each tick; MEDIA_EV_RECORD_DONE when it
 * stops.  0, or -EALREADY (a recording is going), -ENOTCONN, -errno with
 * why ("cannot create PATH: ...").
 */
int media_record_start(struct media *m, const char *path, char *why, size_t whylen);
/*
 * Stop: the file is completed and MEDIA_EV_RECORD_DONE told (seconds, may
 * be NULL, gets its length too).  0 or -ENOENT.
 */
int media_record_stop(struct media *m, double *seconds);
/* The file being recorded, or NULL. */
const char *media_recording(const struct media *m);

/*
 * Send digits as RFC 4733 events of duration_ms (0: 100).  -ENOTSUP when
 * the peer took no telephone-event (the UA sends INFO instead), -ENOTCONN
 * when nothing is negotiated or the call is not sending, -EINVAL a bad
 * digit or duration, -ENOSPC too many queued, -ENOMEM.
 */
int media_dtmf(struct media *m, const char *digits, unsigned duration_ms);

/* A call's media figures, for call-info and the end of a call. */
struct media_stats {
	bool valid; /* false: no media ever ran */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	int64_t lost;	 /* RFC 3550 A.3, cumulative over the peer's sources */
	double loss_pct; /* lost / expected, %, as lost */
	/*
	 * RFC 3550 §6.4.1 fraction lost, in 1/256 (0..255), as our report
	 * blocks carry it: of the interval our last report covered; before
	 * our first report about this source, since its start.
	 */
	uint8_t fraction;
	double jitter_ms;     /* A.8, of the current source */
	double rtt_ms;	      /* from the peer's reports; < 0: unknown */
	double remote_loss_pct; /* what the peer reported of our stream; < 0: unknown */
	double remote_jitter_ms;
	double mos, r;	      /* G.107 E-model estimate; 0: no audio received */
	unsigned jitter_delay_ms;
	uint64_t drop_source, drop_pt, drop_ssrc, drop_malformed, drop_srtp_auth,
	    drop_srtp_replay, late, concealed_ms;
	uint64_t drop_rtcp; /* RTCP that failed SRTCP or the RFC 3550 A.2 checks */
	uint64_t rtcp_rx, rtcp_tx;
	uint32_t ssrc, peer_ssrc; /* peer_ssrc: the current source's; 0 before its first packet */
};
void media_stats(const struct media *m, struct media_stats *out);

/*
 * The buffers a session holds now, as MEDIA_BUF_* bits: each is made when
 * first needed (the jitter buffer at the first audio received, the
 * in-band DTMF detector at the first audio played out without
 * telephone-event, the send buffer at our first packet time, the event
 * queue at an event; the RFC 4733 sender, kept once made, at the first
 * media_dtmf()) and freed when no longer needed (the receiving ones
 * and the send buffer when that direction stops: hold; the queue once its
 * events are told), so that an established call without audio holds
 * little more than its struct.  NULL: 0.
 */
#define MEDIA_BUF_JITTER 0x1
#define MEDIA_BUF_DTMF 0x2
#define MEDIA_BUF_SEND 0x4
#define MEDIA_BUF_EVENTS 0x8
unsigned media_buffers(const struct media *m);

#endif
