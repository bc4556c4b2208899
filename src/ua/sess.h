/*
 * sess: the INVITE dialog usage (RFC 3261 §12, §13, §14, §15), below the
 * call's policy.  A session holds one dialog (once there is one) and what
 * the protocol asks of an INVITE usage from its first INVITE on, whichever
 * side sent it:
 *
 *   - who we are in it (transport, our Via address, our Contact);
 *   - UAS: the INVITE (initial or re-INVITE) not finally answered yet,
 *     and the responses to it: provisionals and the 2xx carry our Contact
 *     and, when they establish the dialog, the request's Record-Route
 *     (§12.1.1); a final non-2xx lets the transaction go;
 *   - UAC: our initial INVITE's client transaction and its CANCEL, sent
 *     only once a provisional response has come (§9.1), with the 64*T1
 *     wait for the INVITE's final response after it;
 *   - UAS: our 2xx, resent at T1, 2T1 .. T2 until the ACK, for 64*T1 at
 *     most (§13.3.1.4); the owner hears of the timeout;
 *   - UAC: the ACK of a 2xx, kept and sent again for each 2xx resent
 *     (§13.2.2.4), and the ACK + BYE that end a second fork's dialog;
 *   - our re-INVITE's client transaction and the glare back-off of §14.1;
 *   - our BYE (§15.1.1), whose outcome the owner hears of;
 *   - the credentials our in-dialog requests answer a 401 or 407 with
 *     (§22.2, cred.h): a challenged re-INVITE or BYE goes again as a new
 *     request of the dialog (next CSeq, same body) with one more
 *     Authorization or Proxy-Authorization (sess_request_auth()):
 *
 *       BYE (CSeq 5)                        -->
 *       <-- 407 Proxy-Authenticate: realm "pbx", nonce n1
 *       BYE (CSeq 6) + Proxy-Authorization  -->
 *       <-- 200                                 bye_done
 *
 * Where an in-dialog request goes (§12.2.1.1) is a function of a dialog,
 * not of a session, so a dialog that is not the session's (a second fork)
 * is served by the same helper.
 *
 * The owner (call.c) decides what to send and when: answering, offers and
 * answers, hold, hang-up.  A session is embedded in its owner and ends
 * with sess_close(), which stops its timers, lets go of its transactions
 * (they run out on their own timers and never call back) and frees its
 * dialog.  Its dialog's owner pointer is the session (sess_of()).
 */
#ifndef SIPUAD_SESS_H
#define SIPUAD_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "core/tmr.h"
#include "sip/dlg.h"
#include "sip/msg.h"
#include "sip/tsx.h"
#include "ua/cred.h"

/* What all sessions of one owner table share (the settings they use are the transaction layer's). */
struct sess_ctx {
	struct tsx_layer *tsx;
	struct tmr_clock *clk;
	/* Our listener for proto and family (tp_local()). 0 or -errno. */
	int (*local)(void *arg, enum net_proto proto, int family, struct net_addr *out);
	void *local_arg;
	/* T1, T2 and the User-Agent value are the transaction layer's (tsx_layer_cfg()). */
};

/* What a session tells its owner; each may end the owner (and the session). */
struct sess_handlers {
	/* UAS: no ACK for our 2xx within 64*T1 (§13.3.1.4). */
	void (*ok_timeout)(void *arg);
	/* Our BYE is over: resp is its final response, or NULL (err: Timer F, transport). */
	void (*bye_done)(void *arg, const struct sip_msg *resp, int err);
	/* The §14.1 back-off after a 491 ran out. */
	void (*glare_done)(void *arg);
	/* §9.1: no final response to our INVITE 64*T1 after our CANCEL. */
	void (*cancel_timeout)(void *arg);
};

struct sess {
	const struct sess_ctx *ctx;
	const char *handle; /* the owner's, for the log */
	const struct sess_handlers *h;
	void *arg;
	struct dlg *dlg; /* early or confirmed; owned; NULL before there is one */

	/* Who we are in the dialog. */
	enum net_proto proto;
	struct net_addr via; /* our address toward the peer (Via, Contact, SDP) */
	char *contact;	     /* our Contact, "<sip:user@host:port>" */
	/*
	 * TLS: the connection the dialog was set up over (0: none) and its
	 * peer.  In-dialog requests to that peer's address go on it while it
	 * is open (RFC 5923's reuse, without its alias): a caller that
	 * connected to us is seldom reachable by a new connection to its
	 * Contact, and a server we checked needs no second handshake.
	 */
	uint64_t flow;
	struct net_addr *flow_peer; /* owned; set with flow */

	/* UAC: our initial INVITE (valid until its last callback) and its CANCEL. */
	struct tsx *ict;
	struct sip_dest *inv_dest; /* where it went (owned): the CANCEL goes there too */
	char *inv_uri;		  /* the URI inv_dest was resolved from (RFC 3263); NULL: none */
	bool provisional;	  /* a 1xx came: the CANCEL may go (§9.1) */
	bool cancel_wanted;	  /* the owner ends the call before the answer */
	bool cancel_sent;
	struct tmr cancel_tmr; /* §9.1: 64*T1 for the final response after our CANCEL */

	/* UAS: the INVITE not finally answered (its owner pointer is the session). */
	struct tsx *ist;
	bool ist_reinvite;

	/* UAS: our 2xx, resent until the ACK (§13.3.1.4). */
	/*
	 * The 2xx bytes and where they go, held only until the ACK: a
	 * struct sip_dest is 544 bytes, which an established call need not
	 * keep.
	 */
	char *ok_buf; /* NULL: none pending */
	size_t ok_len;
	struct sip_dest *ok_dest;
	uint32_t ok_cseq;
	uint64_t ok_interval, ok_deadline;
	struct tmr ok_tmr;

	/* UAC: the ACK of the latest 2xx to our INVITE (§13.2.2.4). */
	char *ack_buf; /* NULL: none */
	size_t ack_len;
	struct sip_dest *ack_dest; /* set with ack_buf (owned) */
	uint32_t ack_cseq;

	struct tsx *reict; /* our re-INVITE, until its last callback */
	struct tsx *bye;   /* our BYE, until its final outcome */
	struct tsx *info;  /* our INFO (DTMF), until its final outcome: the owner's callback clears it */
	char *bye_reason; /* a Reason header value for our BYE (RFC 3326), owned; NULL: none */
	struct tmr glare_tmr;

	/*
	 * What a 401 / 407 to our in-dialog requests is answered with: the
	 * account's credentials (borrowed from the owner's account; NULL:
	 * none), and what each request chain answered so far (cred.h),
	 * zeroed when the owner's re-INVITE or BYE starts a new chain.
	 */
	struct cred *cred;
	struct cred_chain reinv_chain;
	struct cred_chain bye_chain;
};

/* Set up s (embedded in its owner); h and arg: who hears. */
void sess_init(struct sess *s, const struct sess_ctx *ctx, const char *handle,
	       const struct sess_handlers *h, void *arg);
/* The one end: timers, transactions let go, buffers, the dialog freed. */
void sess_close(struct sess *s);
/* The session whose dialog d is (dlg->owner), or NULL. */
struct sess *sess_of(const struct dlg *d);
/* Make d (may be NULL) the session's dialog; the previous one is not freed. */
void sess_set_dlg(struct sess *s, struct dlg *d);

/* Who we are in the dialog: proto, our address, our Contact (copied). 0 or -ENOMEM. */
int sess_set_local(struct sess *s, enum net_proto proto, const struct net_addr *via,
		   const char *contact);
/* The same as dlg_build_request() wants it. */
void sess_local(const struct sess *s, struct dlg_local *loc);

/* src (a message that came over TLS) names the dialog's connection: see flow. */
void sess_set_flow(struct sess *s, const struct sip_dest *src);
/*
 * Where an in-dialog request of dialog d goes (§12.2.1.1, §8.1.2): the
 * first route (loose or strict), else the remote target, from our listener
 * for its transport.  That URI must name an IP address (msg_uri_dest()),
 * or else the host (and port, transport) our initial INVITE was resolved
 * for (sess_set_inv_uri() of the session that owns d): then the request
 * goes where the INVITE went, the target that answered (a proxy that
 * Record-Routes with the name it is reached by; a callee whose Contact is
 * the name called).  Other host names are not resolved here.  0, -EINVAL
 * (no remote target, or a URI we cannot send to: logged with handle), or
 * -errno from ctx->local.
 */
int sess_dest(const struct sess_ctx *ctx, const struct dlg *d, const char *handle,
	      struct sip_dest *out);
/* Send method in the session's dialog (sdp: a body, or NULL) on a new client transaction. */
int sess_request(struct sess *s, const char *method, const char *sdp, tsx_resp_fn *cb, void *arg,
		 struct tsx **ctp);

/*
 * UAC: send our initial INVITE m (taken) to d on a new client transaction
 * whose responses go to cb; a redirect's INVITE replaces the previous one
 * (whose transaction has ended).  0 or -errno from tsx_request().
 */
int sess_invite(struct sess *s, struct sip_msg *m, const struct sip_dest *d, tsx_resp_fn *cb,
		void *arg);
/* The URI our INVITE's destination was resolved from (copied; NULL: none). 0 or -ENOMEM. */
int sess_set_inv_uri(struct sess *s, const char *uri);
/* Our INVITE's transaction gave its last callback (a final non-2xx, Timer B or M). */
void sess_invite_over(struct sess *s);
/*
 * A 1xx to our INVITE came: the CANCEL may go now (§9.1), and goes if the
 * owner wanted it.  true: a CANCEL is wanted, the owner ignores the 1xx.
 */
bool sess_invite_1xx(struct sess *s);
/*
 * §9.1: end our INVITE before its final response: CANCEL, at once if a
 * provisional response came, else with the first one; then wait 64*T1 at
 * most for the final response (cancel_timeout).  0, or -ENOTCONN when no
 * INVITE is in progress (the owner ends the call itself).
 */
int sess_cancel(struct sess *s);
/* The owner asked for a CANCEL (sess_cancel()). */
bool sess_cancelling(const struct sess *s);
/* A 2xx came: the §9.1 wait after a CANCEL is over. */
void sess_cancel_stop(struct sess *s);

/*
 * UAS: st is the INVITE (initial, or a re-INVITE when reinvite) we answer
 * from now on; its owner pointer becomes the session (sess_of_tsx()).
 */
void sess_uas_hold(struct sess *s, struct tsx *st, bool reinvite);
/* The session whose held INVITE st is, or NULL. */
struct sess *sess_of_tsx(const struct tsx *st);
/* A provisional (100..199) on the held INVITE; a failure is logged. */
void sess_uas_provisional(struct sess *s, int code);
/*
 * A final non-2xx on the held INVITE (code, reason or NULL for the
 * standard phrase, an optional extra header); the transaction is let go.
 * No-op when none is held.  A failure is logged.
 */
void sess_uas_final(struct sess *s, int code, const char *reason, const char *hname,
		    const char *hvalue);
/*
 * The 2xx to the held INVITE, with sdp as its body (or none), sent and
 * then resent until the ACK (sess_ok_send()); the transaction is let go.
 * 0, or -errno and *sent as sess_ok_send() (-errno with *sent false also
 * when it could not be built).
 */
int sess_uas_ok(struct sess *s, const char *sdp, bool *sent);

/*
 * UAS: send resp, the 2xx to st's INVITE, and resend it from here on
 * (§13.3.1.4); st is left to itself (it absorbs INVITE retransmissions
 * until Timer L).  0; -errno with *sent false when the transaction could
 * not send it (nothing went, nothing will be resent); -ENOMEM with *sent
 * true when it went but cannot be kept for the resends.
 */
int sess_ok_send(struct sess *s, struct tsx *st, struct sip_msg *resp, bool *sent);
/* A 2xx of ours waits for its ACK. */
bool sess_ok_pending(const struct sess *s);
/* ack is the ACK of our pending 2xx: the resends stop, true.  Otherwise false. */
bool sess_ok_acked(struct sess *s, const struct sip_msg *ack);
/* Stop resending (the call ends). */
void sess_ok_stop(struct sess *s);

/*
 * UAC: build the ACK of the 2xx to our latest INVITE in the session's
 * dialog (§13.2.2.4), with sdp as its body (or none), keep it and send it.
 * 0 or -errno (nothing kept).
 */
int sess_ack(struct sess *s, const char *sdp);
/* A 2xx to the INVITE with CSeq cseq came again: the same ACK again, if we have it. */
void sess_ack_again(struct sess *s, uint32_t cseq);
/*
 * §13.2.2.4: a 2xx of another fork made dialog d (not ours): ACK it and end
 * it with BYE at once, and free d.  One log line says what went.
 */
void sess_fork_end(struct sess *s, struct dlg *d);

/*
 * §22.2 in the dialog: req, a request we sent in the session's dialog (a
 * re-INVITE, a BYE; INFO and UPDATE later), was answered resp, a 401 or
 * 407, as its final response.  Send a new request of req's method with
 * the dialog's next CSeq (dlg_build_request(): new branch, our Contact),
 * req's body and its Content-Type, and the credentials answering resp
 * (cred_authorize() with s->cred and chain ch, the request chain's), to
 * where in-dialog requests go (sess_dest()), on a new client transaction
 * (*ctp) whose responses go to cb.  An INVITE sent so records its CSeq for
 * the ACK.  0, or -errno with why (not NULL) saying why nothing went:
 * cred_authorize()'s refusals (-ENOKEY, -ENOTSUP, -EACCES, -ELOOP, with
 * its words), or "cannot send the METHOD again: ..." for a failure to
 * build or send it.
 */
int sess_request_auth(struct sess *s, const struct sip_msg *req, const struct sip_msg *resp,
		      struct cred_chain *ch, tsx_resp_fn *cb, void *arg, struct tsx **ctp,
		      struct why *why);

/*
 * Our re-INVITE (§14.1) with offer sdp, starting a new credentials chain
 * (s->reinv_chain).  A previous one still in Accepted (Timer M) is let go
 * first.  cb hears the responses; the owner clears s->reict in the
 * callback that ends it, and answers a 401 / 407 with sess_request_auth()
 * (s->reinv_chain, &s->reict).  0 or -errno.
 */
int sess_reinvite(struct sess *s, const char *sdp, tsx_resp_fn *cb, void *arg);
/*
 * §14.1: after a 491, wait 2.1-4 s if we own the Call-ID (we sent the
 * initial INVITE), else 0-2 s, in units of 10 ms; then glare_done.
 */
void sess_glare_wait(struct sess *s, bool own_call_id);
bool sess_glare_waiting(const struct sess *s);

/*
 * §15.1.1: BYE in the confirmed dialog; bye_done follows.  A 401 / 407 to
 * it is answered here (sess_request_auth(), one chain per BYE): bye_done
 * hears the final response of the last BYE sent, or the challenge itself
 * when it cannot be answered (logged with the reason).  0, -EALREADY,
 * -ENOTCONN, -errno.
 */
int sess_bye(struct sess *s);
/*
 * The Reason header (RFC 3326) value our BYE will carry, e.g.
 * SIP;cause=408;text="...": its first SESS_BYE_REASON_MAX bytes (none
 * without memory).  NULL or "": none.
 */
#define SESS_BYE_REASON_MAX 159
void sess_set_bye_reason(struct sess *s, const char *value);
/*
 * An INFO in the dialog with body (ctype) on a new client transaction whose
 * responses go to cb; s->info holds it (cb sets it NULL at the final
 * outcome).  -ENOTCONN without a confirmed dialog, -EBUSY when an INFO is
 * out, or tsx_request()'s -errno.
 */
int sess_info(struct sess *s, const char *ctype, const char *body, tsx_resp_fn *cb, void *arg);

#endif
