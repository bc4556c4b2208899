/*
 * call: calls, the INVITE usage of RFC 3261 (§13 to §15), as UAC and UAS,
 * with SDP offer/answer (RFC 3264, through oa.h) and a pair of RTP/RTCP
 * sockets per call (rtpport.h).
 *
 * Owns every call, its INVITE session (sess.h: the dialog usage, which
 * owns the dialog), its account reference (account.h: who we are), its
 * timers, its offer/answer session and its RTP port pair.  It hears from
 * the UA core (ua.c: INVITE, in-dialog requests, CANCEL, ACK, stray 2xx)
 * and from the control commands (place, answer, reject, hang up, hold,
 * resume), and tells the daemon what happened through one event callback.
 *
 * A call, as UAS (answer = auto):
 *
 *   INVITE (SDP offer)            -->   c1 ringing (call.incoming)
 *   <-- 180 Ringing                      (no 100: §17.2.1, see call_uas.c)
 *   <-- 200 OK (SDP answer)              T1, 2T1 .. T2 resends until the ACK
 *   ACK                           -->   c1 answered
 *   BYE                           -->   c1 ended 200 by remote
 *   <-- 200 OK
 *
 * and as UAC (`call sip:bob@192.0.2.1`): INVITE -->, <-- 180 (ringing),
 * <-- 200 (answered; ACK -->, and again for each 2xx resent), later
 * `hangup c2`: BYE -->, <-- 200 (ended 200 by local).
 *
 * Every call ends in one place, which sends the one "ended" event and
 * frees all of it; each state has a timer or a transaction that ends it
 * (see call.c).
 */
#ifndef SIPUAD_CALL_H
#define SIPUAD_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "media/media.h"
#include "core/why.h"
#include "sip/msg.h"
#include "sip/tp.h"

struct account;
struct call;
struct calls;
struct dns;
struct tmr_clock;
struct tsx;
struct tsx_layer;

enum call_answer {
	CALL_ANSWER_AUTO,
	CALL_ANSWER_MANUAL,
	CALL_ANSWER_REJECT,
};

/*
 * The [call] and [media] settings; copied (strings too) by calls_new() /
 * calls_set_cfg().  The [sip] ones calls use (T1, T2, Retry-After, the
 * User-Agent value) are read from the transaction layer (tsx_layer_cfg()),
 * which holds the one copy.
 */
struct call_cfg {
	enum call_answer answer;
	unsigned answer_delay_ms;
	unsigned reject_code;	 /* 400..699 */
	unsigned ring_timeout_s; /* an unanswered call ends after it */
	unsigned max_calls;
	const char *codecs[4]; /* "PCMU", "PCMA" in order of preference */
	size_t n_codecs;
	bool dtmf; /* telephone-event */
	/* [media]: what a call sends ("echo", "silence", "tone:HZ", "file:PATH"; NULL: echo),
	 * where every call is recorded (NULL or "": not), SRTP and rtcp-mux (oa.h). */
	const char *source;
	bool source_loop; /* a file: source starts again at its end; false: silence after it */
	const char *record_dir;
	int srtp; /* enum oa_srtp */
	bool rtcp_mux;
	/* srtp mandatory: SDES over plain UDP/TCP too (else only over TLS, RFC 4568 §8.3) */
	bool srtp_insecure_signalling;
};

/* What the daemon is told. */
enum call_event {
	CALL_EV_INCOMING, /* call.incoming */
	CALL_EV_STATE,	  /* call.state */
	CALL_EV_UPDATE,	  /* call.update: a re-INVITE we sent failed */
	CALL_EV_MEDIA,	  /* media.started: media runs as negotiated (again, after a change) */
	CALL_EV_DTMF,	  /* call.dtmf: a digit arrived (digit, source, duration_ms) */
	CALL_EV_PLAY,	  /* play.done: path, reason */
	CALL_EV_RECORD,	  /* record.done: path, seconds, reason */
};

struct call_event_info {
	enum call_event ev;
	const char
	    *state; /* CALL_EV_STATE: calling, ringing, early, answered, held, resumed, ended */
	int code;   /* SIP status, 0: none */
	const char *reason; /* NULL: none */
	const char *by;	    /* "local" / "remote", NULL: none */
	const char *what;   /* CALL_EV_UPDATE: "hold" / "resume" */
	char digit;	    /* CALL_EV_DTMF */
	const char *source; /* CALL_EV_DTMF: "rfc4733", "inband", "info" */
	unsigned duration_ms;
	const char *path; /* CALL_EV_PLAY, CALL_EV_RECORD */
	double seconds;	  /* CALL_EV_RECORD */
};

typedef void(call_event_fn)(void *arg, const struct call *c, const struct call_event_info *e);

struct call_env {
	struct tsx_layer *tsx;
	struct tmr_clock *clk;
	/* Our listener for proto and family (tp_local()). 0 or -errno. */
	int (*local)(void *arg, enum net_proto proto, int family, struct net_addr *out);
	void *local_arg;
	call_event_fn *event;
	void *event_arg;
	/*
	 * What the transport knows of a TCP/TLS connection (sip_conn_info()),
	 * with conn_arg; NULL: nothing (the unit tests).
	 */
	int (*conn_info)(const void *arg, uint64_t conn, struct tp_conn_info *out);
	const void *conn_arg;
	uint16_t rtp_port_min, rtp_port_max; /* fixed for the pool's life */
	/*
	 * Who we are in every call (account.h): borrowed, it must outlive the
	 * table.  NULL: the default account, made and owned by the table.
	 */
	const struct account *account;
	/*
	 * The account named name for an outgoing call (call_place()), or
	 * NULL if there is none; name NULL asks for the default one (NULL
	 * back: `account` above).  The account is borrowed for the call:
	 * call_place() holds it (account_hold()) for the call's life.  fn
	 * NULL: `account` is the only one, and its name the only one known.
	 */
	struct account *(*account_find)(void *arg, const char *name);
	void *account_arg;
	/*
	 * RFC 3263: where our INVITE goes (the first pre-loaded route's URI,
	 * else the Request-URI) is resolved by it, and its targets are tried
	 * in order (hop.h).  NULL: IP literals only, the INVITE sent from
	 * inside call_place() (the unit tests; no c-ares).
	 */
	struct dns *dns;
	/* The media engine every call's RTP runs on; NULL: ports only, no RTP (unit tests). */
	struct media_engine *media;
};

/* 0, -EINVAL (env incomplete, a bad port range or codec), -ENOMEM. */
int calls_new(struct calls **csp, const struct call_env *env, const struct call_cfg *cfg);
/* Every call is dropped without a word on the wire (use calls_shutdown() first). NULL: no-op. */
void calls_free(struct calls *cs);
/* New settings for calls created afterwards. 0, -EINVAL, -ENOMEM (old kept). */
int calls_set_cfg(struct calls *cs, const struct call_cfg *cfg);

/* Calls in the table (any state). */
unsigned calls_count(const struct calls *cs);
/* Dialogs in the dialog table (early and confirmed). */
unsigned calls_dialogs(const struct calls *cs);
/* RTP port pairs held. */
unsigned calls_rtp_in_use(const struct calls *cs);
/* Port pairs the pool keeps bound for the next calls (2 fds each; at most RTPPORT_KEEP_MAX). */
unsigned calls_rtp_kept(const struct calls *cs);

/*
 * Stop taking calls (new INVITEs get 503) and end every call: BYE for an
 * established one, CANCEL for an outgoing one not answered, 480 for an
 * incoming one not answered.  calls_count() reaches 0 as they end.
 */
void calls_shutdown(struct calls *cs);

/* ---- from the UA core ---- */

/*
 * An INVITE out of any dialog (no To tag); st is its IST. Always answered.
 * acc: the account its Request-URI names (the UA core matched the user),
 * held by the call; NULL: the default one.
 */
void calls_invite(struct calls *cs, struct tsx *st, const struct sip_msg *req,
		  const struct account *acc);
/*
 * A request with a To tag (BYE, re-INVITE, ...).  true: it belonged to a
 * call and was answered; false: no dialog matched (the caller answers 481
 * or serves it as out of dialog).
 */
bool calls_in_dialog(struct calls *cs, struct tsx *st, const struct sip_msg *req);
/* §9.2: CANCEL st matched INVITE server transaction inv (200 is the caller's). */
void calls_cancel(struct calls *cs, struct tsx *inv);
/* The ACK for a 2xx (no transaction matched it). */
void calls_ack(struct calls *cs, const struct sip_msg *ack);
/* A response no transaction matched: a 2xx resent after Timer M is ACKed again. */
void calls_stray_response(struct calls *cs, const struct sip_msg *resp);

/* ---- from the control commands ---- */

/* Extra header fields one call_place() takes. */
#define CALL_MAX_HEADERS 32

/*
 * Place a call to uri from account (NULL: the default one;
 * env.account_find() finds the others), with extra headers ("Name: value"
 * each, at most CALL_MAX_HEADERS).  The INVITE carries the account's
 * pre-loaded route set and goes to its first route, else to uri
 * (preroute.h); a 401 / 407 to it is answered with the account's
 * credentials (cred.h): the INVITE goes again, the call stays calling.  A
 * challenge that cannot be answered (no password, wrong credentials, ...)
 * ends the call: ended with the 401 / 407 and cred's words as reason, by
 * remote.
 *
 * With env.dns, the URI the INVITE goes toward may name a host (RFC
 * 3263): the call is placed at once (calling) and the INVITE goes when
 * the resolver has answered, to its first target.  A name that does not
 * resolve ends the call: ended 503 by local, the resolver's words as
 * reason ("no such domain: x.example.test (NXDOMAIN)").  A timeout of the
 * INVITE (Timer B), a transport error or a 503 before any provisional
 * response moves on to the next target with a new INVITE (new branch,
 * CSeq + 1), RFC 3263 §4.3; the last target's outcome ends the call.  A
 * redirect's Contacts are resolved the same way.  In the dialog, a URI
 * naming the host the INVITE went toward goes to the target that answered
 * (sess_dest()); other names there are not resolved.  Without env.dns the
 * URIs must be IP literals (msg_uri_dest() rules) and the INVITE has gone
 * when call_place() returns.
 *
 * 0 with *cp (owned by cs) and the calling state sent.
 * On failure why (not NULL) says which argument, if one, and why:
 *   -ENOENT           no such account (WHY_NOT_FOUND, "account"):
 *                     "no account 'NAME'"
 *   -EINVAL           a header unusable, or too many (WHY_ARG, "header");
 *                     uri unusable (WHY_ARG, "to")
 *   -EPROTONOSUPPORT  sips: or a transport other than udp/tcp (WHY_ARG, "to")
 *   -EINVAL, -EPROTONOSUPPORT  the account's first route unusable
 *                     (WHY_FAILED: "route <...> of account 'NAME': ...")
 *   -EAFNOSUPPORT     no listener to send to uri from (WHY_ARG, "to"; to
 *                     the first route: WHY_FAILED); without env.dns only
 *   -EAGAIN           max_calls reached or tables full (WHY_BUSY); with
 *                     env.dns, -EBUSY: too many DNS resolutions (WHY_BUSY)
 *   -ECANCELED        shutting down; -ENOSPC no RTP port; -ENOMEM (WHY_FAILED)
 */
int call_place(struct calls *cs, const char *uri, const char *account,
	       const char *const *headers, size_t n_headers, struct call **cp,
	       struct why *why);

/* The call with handle ("c7"), or NULL. */
struct call *call_find(const struct calls *cs, const char *handle);

/*
 * The commands.  0, or on failure why (not NULL) says why: -EINVAL a bad
 * code (WHY_ARG, "code"); WHY_FAILED for the rest: -EPERM when the call's
 * state does not allow it (why says which state), -EBUSY a re-INVITE is
 * in progress, -EALREADY already (not) on hold, -EIO the 200 could not be
 * sent, -ENOMEM.
 */
int call_answer(struct call *c, struct why *why);
int call_reject(struct call *c, int code, struct why *why);
int call_hangup(struct call *c, struct why *why);
int call_hold(struct call *c, bool hold, struct why *why);

/*
 * Media commands on an established (or early) call.  play: path's WAV
 * instead of the source until it ends (play.done); path NULL stops the
 * play (-ENOENT when none).  record: start to path (NULL: the record_dir
 * name, or a name in the working directory... see call_media.c), or stop
 * (start false).  dtmf: RFC 4733 events, or INFO application/dtmf-relay
 * when the peer took no telephone-event.  why says what was wrong:
 * WHY_FAILED with the media layer's words, WHY_ARG for a bad argument.
 */
int call_play(struct call *c, const char *path, bool loop, struct why *why);
int call_record(struct call *c, bool start, const char *path, struct why *why);
int call_dtmf(struct call *c, const char *digits, unsigned duration_ms, struct why *why);

/* Iterate: fn for each call in order of creation. */
void calls_foreach(struct calls *cs, void (*fn)(const struct call *c, void *arg), void *arg);

/* ---- what a call looks like, for status and events ---- */

struct call_info {
	const char *handle;
	const char *account; /* the account's name ("default": the built-in one) */
	bool outgoing;
	const char *state; /* calling, ringing, early, connecting, established, ending */
	const char *peer;  /* the other side's URI */
	const char *local_uri;
	const char *call_id;
	const char *local_tag;	/* NULL until known */
	const char *remote_tag; /* NULL until known */
	const char *remote_target;
	const char *const *route; /* route set, in the order Route headers go out */
	size_t n_route;
	const char *transport; /* "udp" / "tcp" / "tls" */
	/* TLS: the connection of the signalling hop, while it is open (tls false: none) */
	bool tls;
	struct tp_conn_info tls_conn;
	const char *srtp_keys; /* how the SRTP keys travelled: "tls", "insecure"; NULL: no SRTP */
	const char *source;    /* "udp:127.0.0.1:5062": where the INVITE came from / went */
	const char *local_sdp; /* last sent, NULL: none */
	const char *remote_sdp;
	const char *codec; /* "PCMU", NULL: not negotiated */
	char local_rtp[NET_ADDR_STRLEN + 8];
	char remote_rtp[NET_ADDR_STRLEN + 8];
	bool local_hold, remote_hold;
	double duration_s; /* since answered; 0 before */
	const char *srtp;  /* the SRTP suite, NULL: plain RTP */
	const char *playing, *recording; /* paths, NULL: none */
	struct media_stats media; /* media.valid false: no RTP ran */
	uint32_t local_cseq, remote_cseq;
};

void call_info(const struct call *c, struct call_info *out);
const char *call_handle(const struct call *c);

#endif
