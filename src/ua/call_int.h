/*
 * call_int: the call object, shared by call.c (life cycle, commands),
 * call_uas.c (answering, requests the peer sends in the call) and
 * call_uac.c (our INVITEs: the initial one, redirects, CANCEL,
 * re-INVITEs).  The dialog usage under it (2xx resend, ACK, re-INVITE
 * transaction and glare back-off, BYE) is its session, sess.h.  Nothing
 * else includes it.
 */
#ifndef SIPUAD_CALL_INT_H
#define SIPUAD_CALL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/htab.h"
#include "core/tmr.h"
#include "media/media.h"
#include "media/rtpport.h"
#include "sip/dlg.h"
#include "sip/msg.h"
#include "sip/tsx.h"
#include "ua/call.h"
#include "ua/cred.h"
#include "ua/hop.h"
#include "ua/oa.h"
#include "ua/sess.h"

#define CALL_MAX_REDIRECTS 5 /* 3xx followed per call */
#define CALL_MAX_TARGETS 8   /* Contacts of one 3xx kept */
#define CALL_DTMF_INFO_Q 64  /* digits waiting for INFO, with the NUL */

enum call_state {
	CALL_CALLING,	  /* UAC: INVITE sent, nothing back but 100 */
	CALL_RINGING,	  /* UAC: 180; UAS: INVITE received, not answered */
	CALL_EARLY,	  /* UAC: 183 or SDP in a 1xx */
	CALL_CONNECTING,  /* UAS: 2xx sent, waiting for the ACK */
	CALL_ESTABLISHED, /* both sides confirmed the dialog */
	CALL_ENDING,	  /* our BYE or CANCEL is out */
};

/* What our pending re-INVITE is for. */
enum call_update {
	CALL_UPD_NONE,
	CALL_UPD_HOLD,
	CALL_UPD_RESUME,
};

struct calls {
	struct call_env env;	     /* env.account: never NULL once made */
	struct account *own_account; /* the default, when env had none */
	struct call_cfg cfg;	     /* strings owned: codecs */
	struct dlg_table *dlgs;
	struct sess_ctx sx; /* what every call's session shares */
	struct rtpport_pool *rtp;
	struct htab *by_handle;
	struct call *first, *last; /* in order of creation */
	unsigned n;
	unsigned long next_id;
	bool closing; /* calls_shutdown(): no new calls */
	/* RTP port exhaustion, said once per CALL_PORTS_LOG_S with a count. */
	uint64_t ports_log_ms;
	unsigned ports_refused;
};

#define CALL_PORTS_LOG_S 10

/*
 * What only our own initial INVITE needs (call_uac.c), apart so that the
 * calls we answer, most calls of a busy UAS, do not carry it.
 */
struct call_uac {
	char *ruri;	 /* the Request-URI of our INVITE: peer, or a redirect's Contact */
	struct hop hop;	 /* where it goes (RFC 3263): resolving, or the targets */
	bool reached;	 /* a provisional came from the current target: no failover */
	uint32_t inv_cseq;
	struct cred_chain inv_chain; /* what a 401 / 407 to our INVITE was answered with (cred.h) */
	char **hdrs; /* extra headers of the `call` command, for redirects */
	size_t n_hdrs;
	bool early_sent;		 /* "early" event given */
	char *targets[CALL_MAX_TARGETS]; /* 3xx Contacts left to try, best first */
	unsigned n_targets, next_target, redirects;
};

struct call {
	struct calls *cs;
	char handle[16];
	struct htab_node node; /* cs->by_handle */
	struct call *prev, *next;
	bool outgoing;
	enum call_state state;

	/* Who and where. */
	struct account *acc; /* who we are in this call: held (account_hold) */
	char *peer;		   /* their URI */
	char *local_uri;	   /* ours */
	char *call_id;
	char *local_tag;
	char source[64]; /* "udp:127.0.0.1:5062" */

	/* The dialog usage: s.dlg, our address s.via, s.contact, s.ist, 2xx, ACK, BYE. */
	struct sess s;

	/* UAS (the INVITE we have not finally answered is s.ist). */
	bool offer_in_ok; /* the INVITE had no SDP: our 2xx offers, the ACK answers */

	bool bye_after_ack; /* hung up while connecting: BYE once the ACK comes (§15) */

	/* UAC (our INVITE's transaction and its CANCEL are s.ict and sess_cancel()). */
	struct call_uac *uac; /* outgoing calls only */

	/* Our re-INVITE (its transaction is s.reict): hold or resume. */
	enum call_update update; /* what it is for; NONE: no final response pending */
	enum call_update retry;	 /* a 491'd re-INVITE waiting for the glare back-off */

	/* Media. */
	struct oa *oa;
	struct media *media; /* our RTP port pair, fed each exchange's result */
	char *local_sdp, *remote_sdp;
	bool local_hold, remote_hold;
	bool recorded;       /* the record_dir recording was started once */
	bool srtp_warned;    /* the SDES-over-plain-signalling warning, once per call */
	/*
	 * The dialog is sips: (the target or first route of our INVITE, or the
	 * Request-URI, top Record-Route or Contact of theirs): our Contact
	 * is a sips: URI then (§8.1.1.8, §12.1.1).
	 */
	bool sips;
	bool dtmf_info_busy; /* an INFO DTMF is out: the next digits wait */
	bool end_remote;     /* how it ends (below): the peer ended it */
	uint64_t media_sig; /* a hash of what media.started last said: codec, address, suite */
	char *dtmf_info_q; /* digits waiting for INFO, CALL_DTMF_INFO_Q bytes; NULL: none yet */
	unsigned dtmf_info_dur;
	/* How it ends (kept while our BYE or CANCEL is out). */
	int end_code;
	char *end_reason; /* owned, its first CALL_END_REASON_MAX bytes; NULL: "" (call_end_reason()) */

	struct tmr answer_tmr; /* UAS auto answer after answer_delay_ms */
	struct tmr ring_tmr;   /* ring_timeout_s */
	uint64_t answered_ms;  /* 0: not yet */
};

#define CALL_END_REASON_MAX 127

/* The reason kept for how the call ends ("" before any, or without memory). */
static inline const char *call_end_reason(const struct call *c)
{
	return c->end_reason ? c->end_reason : "";
}

/* The call whose session dialog d belongs to (any of its forks' dialogs too), or NULL. */
static inline struct call *call_of_dlg(const struct dlg *d)
{
	struct sess *s = sess_of(d);

	return s ? s->arg : NULL;
}

/* call.c */
void call_emit(struct call *c, const char *state, int code, const char *reason, const char *by);
void call_end(struct call *c, int code, const char *reason, bool remote);
/* Free a call never announced (no event). */
void call_drop(struct call *c);
void call_emit_update(struct call *c, int code, const char *reason, const char *what);
void call_emit_ev(struct call *c, enum call_event ev, int code, const char *reason,
		  const char *what);
void call_bye(struct call *c, int code, const char *reason, bool remote);
/* A new call of acc (held; NULL: the table's default account). 0 or -ENOMEM. */
int call_new(struct calls *cs, bool outgoing, const struct account *acc, struct call **cp);
int call_set_str(char **dst, const char *src);
void call_media_update(struct call *c, const struct oa_result *r, const char *remote_sdp,
		       size_t len);
const char *call_state_name(enum call_state s);
/*
 * Take the SDP answer in m (the ACK, a 2xx) for our pending offer.  0, or
 * the call was ended with BYE (code, "WHAT carried no usable SDP answer:
 * ...") and -errno returned: c may be gone.
 */
/* Free an SDP text we kept, wiped first: it may hold SDES keys (RFC 4568). NULL: no-op. */
void call_sdp_free(char *sdp);

/* call_media.c: the media session's side of a call. */
int call_media_attach(struct call *c);
void call_media_started(struct call *c);
void call_media_end(struct call *c);
int call_srtp_mode(const struct call *c);

/*
 * RFC 4568 §8.3: SDES keys are only as secret as the signalling.  With
 * srtp = mandatory a call's keys go only over a TLS hop, unless
 * [media] srtp_insecure_signalling.  0, or -EPERM with why.
 */
int call_srtp_policy(const struct call *c, enum net_proto proto, char *why, size_t whylen);
/*
 * The same for a call not placed yet, as far as uri and acc's routes tell
 * without DNS: an IP literal or a ;transport= that is not TLS is refused
 * at once (a name may resolve to TLS: call_srtp_policy() judges it then).
 * 0, or -EPERM with why (WHY_ARG "to").
 */
int call_srtp_precheck(const struct calls *cs, const struct account *acc, const char *uri,
		       struct why *why);
/* How the call's SRTP keys travelled: "tls", "insecure" (plain UDP/TCP), NULL: no SRTP. */
const char *call_srtp_keys(const struct call *c);
void calls_ports_exhausted(struct calls *cs);
bool call_info_request(struct call *c, struct tsx *st, const struct sip_msg *req);

int call_take_answer(struct call *c, const struct sip_msg *m, const char *what, int code);
int call_setup_local(struct call *c, enum net_proto proto, const struct net_addr *listener,
		     const struct net_addr *peer);
/*
 * UAC, before any response: who we are toward the target peer over
 * proto, as call_setup_local() does; a call set up already keeps its
 * address, Contact and RTP pair if they stay the same, else gets new ones
 * and drops its offer (c->local_sdp NULL).  0 or -errno as
 * call_setup_local().
 */
int call_uac_local(struct call *c, enum net_proto proto, const struct net_addr *peer);

/* call_uas.c */
/*
 * Answer the ringing incoming call: 200 with our answer (or offer).  0,
 * -ECANCELED when the 200 could not be sent and the call ended (c is gone
 * or ending), or -errno before anything was sent (c->ist still waits).
 */
int call_uas_answer(struct call *c);
/* Refuse the initial INVITE with code (and an optional header) and end the call. */
void call_uas_refuse(struct call *c, int code, const char *reason, const char *hname,
		     const char *hvalue, const char *why);
/* Timer: auto answer after answer_delay_ms. */
void call_uas_answer_timer(void *arg);
/* The session's news: no ACK for our 2xx within 64*T1. */
void call_uas_ok_timeout(void *arg);

/* call_uac.c */
int call_uac_reinvite(struct call *c, enum call_update what);
void call_uac_stray(struct calls *cs, const struct sip_msg *resp);

#endif
