/*
 * dlg: SIP dialogs, RFC 3261 §12.
 *
 * A dialog is the state two UAs keep between them: its id (Call-ID, local
 * tag, remote tag), the local and remote URIs, the remote target (the
 * peer's Contact), the route set, and the two CSeq counters.  This module
 * owns that state, a table to find a dialog from an incoming request or
 * response, and the building of in-dialog requests (§12.2.1.1).  It holds
 * no calls, media or timers: the call layer owns those and keeps a pointer
 * to its dialog.
 *
 * Example, the UAS side of a call from alice (§12.1.1):
 *
 *   INVITE sip:bob@192.0.2.2 SIP/2.0
 *   Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>
 *   From: <sip:alice@a.example>;tag=a1
 *   To: <sip:bob@b.example>
 *   Call-ID: c1@a
 *   CSeq: 10 INVITE
 *   Contact: <sip:alice@192.0.2.1:5070>
 *
 * with our 180 carrying To tag b7 gives dialog (c1@a, local b7, remote a1),
 * route set p2, p1 (the Record-Route order), remote target
 * sip:alice@192.0.2.1:5070, remote CSeq 10, local CSeq empty.  Our BYE then
 * goes to Request-URI sip:alice@192.0.2.1:5070 with Route p2, p1.
 *
 * Choices this module makes (the RFC leaves them open):
 * - The local CSeq of a UAS dialog starts empty (§12.1.1); the first
 *   dlg_next_cseq() picks a random value in [1, 2^30], so that 2^30 more
 *   requests still stay below 2^31 (§8.1.1.5).
 * - Remote CSeq (§12.2.2): a request other than ACK and CANCEL must carry a
 *   CSeq strictly above the last one; lower or equal gets -ERANGE (the
 *   caller answers 500).  Equal is a retransmission the transaction layer
 *   would have absorbed, so reaching the dialog it is a new request with a
 *   stale number.  ACK and CANCEL carry the CSeq of the INVITE they belong
 *   to: they are neither checked nor recorded.  An empty remote CSeq (a UAC
 *   dialog before the peer's first request) takes any value.
 * - URIs are kept as addr-spec text; display names are not kept (§12.2.1.1
 *   asks for the URI and the tag only).  Route entries are kept as the
 *   Record-Route values, parameters included.
 * - A request without a From tag (RFC 2543) makes no dialog: -EINVAL.
 */
#ifndef SIPUAD_DLG_H
#define SIPUAD_DLG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/htab.h"
#include "core/net.h"
#include "sip/msg.h"

enum dlg_state {
	DLG_EARLY,     /* made by a 1xx (§12.1) */
	DLG_CONFIRMED, /* made or confirmed by a 2xx */
};

struct dlg_table;

/* Read-only outside dlg.c. */
struct dlg {
	char handle[16]; /* "d12", for logs */
	enum dlg_state state;
	bool is_uac;
	char *call_id;
	char *local_tag;
	char *remote_tag;
	char *local_uri; /* addr-spec: our From (UAC) / their To (UAS) */
	char *remote_uri;
	char *remote_target; /* Contact URI; NULL until known (a 1xx without one) */
	char **route;	     /* route set, in the order Route headers go out */
	size_t n_route;
	char *strict_uri;    /* URI of route[0] when it lacks ;lr (strict router) */
	uint32_t local_cseq; /* last CSeq we used */
	bool local_cseq_set;
	uint32_t remote_cseq; /* last CSeq the peer used */
	bool remote_cseq_set;
	uint32_t invite_cseq; /* CSeq of our latest INVITE, for its ACK */
	bool invite_cseq_set;
	void *owner; /* the caller's (the call using it); dlg.c never touches it */

	/*
	 * The lines every request we send in it carries (msg_dlg_lines()),
	 * made by the first dlg_build_request() and again when the route set,
	 * the remote target or our Contact / User-Agent change.
	 */
	char *lines;
	size_t lines_len;
	char *lines_contact; /* the Contact and User-Agent they hold (NULL: none) */
	char *lines_ua;

	/* Table membership. */
	struct dlg_table *tab;
	struct htab_node node;
	bool linked;
	char *key;
	size_t keylen;
	struct htab_node early_node; /* UAC early: in the table's index by (Call-ID, local tag) */
	bool early_linked;
};

/* What our side puts in a request it builds. */
struct dlg_local {
	enum net_proto via_proto; /* Via transport */
	struct net_addr via_addr; /* our sent-by */
	const char *contact;	  /* our Contact (URI or name-addr); NULL: none */
	const char *user_agent;	  /* NULL: none */
};

/* 0 or -ENOMEM. */
int dlg_table_new(struct dlg_table **tp);
/* Frees the table and every dialog still in it. NULL is a no-op. */
void dlg_table_free(struct dlg_table *t);
size_t dlg_table_count(const struct dlg_table *t);

/*
 * UAS side (§12.1.1): a dialog from an incoming INVITE (or other
 * dialog-creating request) and the To tag of the 1xx/2xx we send.
 * State early; dlg_confirm() when the 2xx goes out.  Route set: the
 * request's Record-Route in order; remote target: its Contact; remote
 * CSeq: its CSeq; local CSeq empty.  On success *dp is in t (owned by t
 * until dlg_free()/dlg_remove()).
 *   -EINVAL  no From tag, no usable Contact, a URI that does not serialize,
 *            or a Call-ID + tags longer than DLG_KEY_MAX
 *   -EEXIST  the table already holds this dialog id
 *   -ENOMEM
 */
int dlg_uas_new(struct dlg_table *t, struct dlg **dp, const struct sip_msg *req,
		const char *local_tag);

/*
 * UAC side (§12.1.2): a dialog from our INVITE and a 101-299 response
 * with a To tag.  Each fork (To tag) makes its own dialog.  Route set:
 * the response's Record-Route reversed; remote target: its Contact (a 1xx
 * may lack one: remote_target NULL; a 2xx may not); local CSeq: the
 * INVITE's; remote CSeq empty.  State confirmed for a 2xx, early for a
 * 1xx.  Errors as dlg_uas_new(), plus -EINVAL for a status outside
 * 101-299 or no To tag.
 */
int dlg_uac_new(struct dlg_table *t, struct dlg **dp, const struct sip_msg *invite,
		const struct sip_msg *resp);

/*
 * Confirm an early dialog on a 2xx (§12.1, §13.2.2.4).  UAC: resp is the
 * 2xx received; route set and remote target are recomputed from it.  UAS:
 * resp is ignored (may be NULL).  0, -EINVAL (UAC: resp NULL, no Contact),
 * -ENOMEM (the dialog keeps its old values).
 */
int dlg_confirm(struct dlg *d, const struct sip_msg *resp);

/*
 * §12.3 / §13.2.2.4: a non-2xx final response to our INVITE ends every
 * early UAC dialog it created.  Frees the early UAC dialogs of (call_id,
 * local_tag); returns how many.  Pointers the caller held to them dangle.
 * Found through an index of the early UAC dialogs: the cost does not grow
 * with the dialogs the table holds.
 */
size_t dlg_table_end_early(struct dlg_table *t, const char *call_id, const char *local_tag);

/*
 * The dialog an in-dialog message belongs to (§12.2.2, §12.2.1.2): for a
 * request Call-ID, To tag = local, From tag = remote; for a response
 * Call-ID, From tag = local, To tag = remote.  NULL: none (a request then
 * gets 481), or a tag missing.
 */
struct dlg *dlg_match(const struct dlg_table *t, const struct sip_msg *m);

/*
 * §12.2.2: check and record the CSeq of an incoming in-dialog request
 * (rule in the file comment).  0, or -ERANGE (lower or equal: answer 500).
 */
int dlg_check_remote_cseq(struct dlg *d, const struct sip_msg *req);

/*
 * §12.2: a target refresh (re-INVITE or UPDATE received, or the 2xx to one
 * we sent) replaces the remote target with m's Contact.  0, -ENOENT (no
 * Contact: target unchanged), -ENOMEM.
 */
int dlg_refresh_target(struct dlg *d, const struct sip_msg *m);

/*
 * The CSeq for a new request (not ACK or CANCEL): the local CSeq plus one,
 * or a random start if empty (see above).  0 (*cseq set, and recorded),
 * -ERANGE (would reach 2^31).
 */
int dlg_next_cseq(struct dlg *d, uint32_t *cseq);

/*
 * Build an in-dialog request (§12.2.1.1): To = remote URI + tag, From =
 * local URI + tag, Call-ID, CSeq (dlg_next_cseq(), or the latest INVITE's
 * for ACK), Max-Forwards 70, a Via with a fresh branch, loc's Contact.
 * Written as text around the dialog's kept lines (msg_build_dlg_request()).
 * Request-URI and Route: no route set: the remote target, no Route; loose
 * (route[0] has ;lr): the remote target, Route = the route set; strict:
 * route[0]'s URI with its parameters, Route = the rest + <remote target>.
 * Sending an INVITE records its CSeq for the ACK.
 *   0        *mp owns a new message (msg_free), ready for tsx_request()
 *   -EINVAL  CANCEL (built from the INVITE, §9.1), ACK with no INVITE
 *            sent, no remote target, a field msg_dlg_lines() refuses
 *   -ERANGE  local CSeq exhausted
 *   -ENOMEM
 */
int dlg_build_request(struct sip_msg **mp, struct dlg *d, const char *method,
		      const struct dlg_local *loc);

/*
 * m, the latest request dlg_build_request() built in d, will not be sent
 * (the challenge it answers cannot be answered): its CSeq is given back,
 * so that the next request's follows the last one sent (§12.2.1.1: one
 * more each time).  No-op for an ACK, or when a later request took a
 * higher CSeq.
 */
void dlg_unbuild(struct dlg *d, const struct sip_msg *m);

/* Take d out of its table: it no longer matches. Idempotent. */
void dlg_remove(struct dlg *d);
/* Remove (if needed) and free. NULL is a no-op. */
void dlg_free(struct dlg *d);

/* Longest Call-ID + local tag + remote tag (with separators) accepted. */
#define DLG_KEY_MAX 1024

#endif
