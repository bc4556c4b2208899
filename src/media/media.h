/*
 * media: one call's media session.
 *
 * The UA holds it opaque: it creates one per call on the call's local
 * address, puts its RTP port in every SDP it writes, and feeds it the
 * result of each completed offer/answer exchange (RFC 3264) as media
 * parameters: where the peer receives, which payload type and codec row
 * to send, telephone-event's type, the direction, the packet time.
 *
 * Owns, today: the RTP/RTCP port pair (RFC 3550 §11: RTP on an even port,
 * RTCP on the next), taken from the pool at media_new() and handed back by
 * media_free(), and the parameters last negotiated.  It sends and receives
 * nothing yet: RTP, SRTP, jitter buffer, DTMF, sources and sinks come with
 * the media issue and live here, behind the same calls.  No logging: the
 * UA decides what a failure means.
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

struct media;

/*
 * A session on local's address (its port is ignored) with a port pair from
 * pool, which must outlive it.  0 with *mp the caller's (media_free), or
 * rtpport_get()'s codes (-ENOSPC, -EADDRINUSE: no pair free), -EINVAL,
 * -ENOMEM.  Nothing is negotiated yet.
 */
int media_new(struct media **mp, struct rtpport_pool *pool, const struct net_addr *local);
/* Closes the sockets and gives the pair back to the pool.  NULL: no-op. */
void media_free(struct media *m);

/*
 * The result of a completed exchange.  An inactive p ends what was
 * negotiated before.  0, or -EINVAL (an active p with no audio codec row,
 * a payload type out of 0..127, no remote address, ptime 0) and nothing
 * changes.  p is copied.
 */
int media_update(struct media *m, const struct media_params *p);

/* Our RTP port for the m= line; 0 when m is NULL. */
uint16_t media_port(const struct media *m);
/* Our RTP address with its port. */
void media_local(const struct media *m, struct net_addr *out);
/* The negotiated parameters, or NULL when none are active. */
const struct media_params *media_current(const struct media *m);
/* The negotiated codec's name ("PCMU"), or NULL when none; static text. */
const char *media_codec(const struct media *m);

#endif
