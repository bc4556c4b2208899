/*
 * call_uac: what a call does with our INVITEs (RFC 3261 §13.2): the
 * initial one with its provisional responses, early dialogs and forks
 * (§12.1.2, §13.2.2.4), redirects (§8.1.3.4), and re-INVITEs for hold and
 * resume with glare handling (§14.1).  The session (sess.c) sends them and
 * their CANCEL (§9.1), ACKs every 2xx and ends a second fork.
 *
 *   call sip:bob@192.0.2.1             c2 calling
 *   INVITE (offer)            -->
 *   <-- 180 Ringing (tag b1)           c2 ringing (early dialog b1)
 *   <-- 200 OK (tag b1, answer)        ACK -->, c2 answered
 *   <-- 200 OK (tag b1) again          ACK --> again (the ICT passes each
 *                                      2xx up until Timer M, afterwards the
 *                                      layer calls it stray: same answer)
 *   <-- 200 OK (tag b2)                a second fork: ACK -->, BYE -->
 *
 * A hangup before the answer CANCELs, but only once a provisional response
 * has come (§9.1); a 2xx that crosses the CANCEL is ACKed and the call is
 * ended with BYE (§15).  After the CANCEL, a final response is awaited for
 * 64*T1 at most.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/why.h"
#include "core/rnd.h"
#include "ua/account.h"
#include "ua/call_int.h"
#include "ua/cred.h"
#include "ua/preroute.h"
#include "ua/ua.h"

#define CALL_FIRST_CSEQ 1 /* §8.1.1.5: any value below 2^31 */

/* Headers the `call` command may not set: sipuad writes them itself. */
static const char *const own_headers[] = {
    "Via",     "v", "From",	      "f", "To",	   "t", "Call-ID",	"i",	 "CSeq",
    "Contact", "m", "Content-Length", "l", "Content-Type", "c", "Max-Forwards", "Route", NULL,
};

static bool token_char(int ch)
{
	return isalnum(ch) || strchr("-.!%*_+`'~", ch);
}

/* "Name: value" that we may add as it is. 0 or -EINVAL with why. */
static int header_check(const char *h, struct why *why)
{
	size_t n = 0;
	const char *v;

	while (h[n] && token_char((unsigned char)h[n]))
		n++;
	if (n == 0 || h[n] != ':')
		return why_set(why, -EINVAL, WHY_ARG, "header",
			       "header '%.60s': expected 'Name: value'", h);
	for (v = h + n + 1; *v; v++)
		if ((unsigned char)*v < ' ' && *v != '\t')
			return why_set(why, -EINVAL, WHY_ARG, "header",
				       "header '%.*s': control characters in the value", (int)n, h);
	for (const char *const *o = own_headers; *o; o++)
		if (strlen(*o) == n && strncasecmp(*o, h, n) == 0)
			return why_set(why, -EINVAL, WHY_ARG, "header",
				       "header '%.*s': sipuad sets it itself", (int)n, h);
	return 0;
}

static int add_header_line(struct sip_msg *m, const char *h)
{
	size_t n = strcspn(h, ":");
	char name[128];
	const char *v = h + n + 1;

	if (n >= sizeof(name))
		return -EINVAL;
	memcpy(name, h, n);
	name[n] = '\0';
	v += strspn(v, " \t");
	return msg_add_header(m, name, v);
}

/* ---- the initial INVITE ---- */

static void on_invite(void *arg, struct tsx *ct, const struct sip_msg *resp, int err);

/*
 * Our INVITE to ruri with CSeq c->uac->inv_cseq (§8.1.1, §13.2.1): the extra
 * headers of the `call` command, the account's route set (§8.1.2) and
 * our offer c->local_sdp.  0, or -errno with why.
 */
static int build_invite(struct call *c, const char *ruri, const struct sip_dest *d,
			struct sip_msg **mp, char *why, size_t whylen)
{
	struct msg_req_spec spec;
	struct sip_msg *m = NULL;
	int err;

	memset(&spec, 0, sizeof(spec));
	spec.method = "INVITE";
	spec.ruri = ruri;
	spec.to = c->peer;
	spec.from = c->local_uri;
	spec.from_tag = c->local_tag;
	spec.call_id = c->call_id;
	spec.cseq = c->uac->inv_cseq;
	spec.via_proto = d->proto;
	spec.via_addr = c->s.via;
	spec.contact = c->s.contact;
	spec.user_agent = tsx_layer_cfg(c->cs->env.tsx)->server;
	if ((err = msg_build_request(&m, &spec)) < 0)
		return why_fmt(why, whylen, err, "cannot build the INVITE: %s", strerror(-err));
	if ((err = msg_add_header(m, "Allow", ua_allow())) < 0 ||
	    (err = msg_add_header(m, "Supported", "")) < 0)
		goto fail;
	for (size_t i = 0; i < c->uac->n_hdrs; i++)
		if ((err = add_header_line(m, c->uac->hdrs[i])) < 0)
			goto fail;
	if ((err = preroute_add(c->acc, m)) < 0 ||
	    (err = msg_set_body(m, OA_CONTENT_TYPE, c->local_sdp, strlen(c->local_sdp))) < 0)
		goto fail;
	*mp = m;
	return 0;
fail:
	msg_free(m);
	return why_fmt(why, whylen, err, "cannot build the INVITE: %s", strerror(-err));
}

/* What call_setup_local() and its kind say, for a human. */
static const char *local_error(int err)
{
	return err == -ENOSPC || err == -EADDRINUSE ? "no RTP port free in [media] range"
	       : err == -ENOENT			    ? "no listener to send from"
						    : strerror(-err);
}

/*
 * Who we are toward d (our address, Contact, RTP pair: per target, as its
 * transport and family ask), the From of the call once, our offer, and
 * d->local.  0, or -errno with why.
 */
static int target_local(struct call *c, struct sip_dest *d, char *why, size_t whylen)
{
	struct calls *cs = c->cs;
	char from[NET_ADDR_STRLEN + 128];
	struct net_addr local;
	int err;

	if ((err = call_srtp_policy(c, d->proto, why, whylen)) < 0)
		return err;
	account_tls_name(c->acc, d);
	c->sips = msg_uri_sips(c->uac->ruri) || msg_uri_sips(c->uac->hop.uri);
	if ((err = call_uac_local(c, d->proto, &d->addr)) < 0)
		return why_fmt(why, whylen, err, "%s", local_error(err));
	if (cs->env.local(cs->env.local_arg, d->proto, net_addr_family(&d->addr), &local) < 0)
		return why_fmt(why, whylen, -EAFNOSUPPORT, "no %s listener for %s to send from",
			       net_proto_name(d->proto),
			       net_addr_family(&d->addr) == AF_INET6 ? "IPv6" : "IPv4");
	d->local = local;
	/* The From stays what the first target made it: the dialog's identity. */
	if (!c->local_uri && ((err = account_from(c->acc, &c->s.via, from, sizeof(from))) < 0 ||
			      (err = call_set_str(&c->local_uri, from)) < 0))
		return why_fmt(why, whylen, err, "%s", strerror(-err));
	if (!c->local_sdp &&
	    (err = oa_make_offer(c->oa, media_port(c->media), OA_SENDRECV, &c->local_sdp)) < 0)
		return why_fmt(why, whylen, err, "cannot make the SDP offer: %s", strerror(-err));
	return 0;
}

/*
 * Build and send our INVITE to c->uac->ruri at the current target: a new
 * request chain, whose challenges are answered afresh.  0, or -errno with
 * why.
 */
static int send_invite(struct call *c, char *why, size_t whylen)
{
	const struct dns_target *t = hop_target(&c->uac->hop);
	struct sip_msg *m = NULL;
	struct sip_dest d;
	char name[NET_ADDR_STRLEN + 280];
	int err;

	if ((err = hop_dest(t, &d, why, whylen)) < 0 ||
	    (err = target_local(c, &d, why, whylen)) < 0 ||
	    (err = build_invite(c, c->uac->ruri, &d, &m, why, whylen)) < 0)
		return err;
	memset(&c->uac->inv_chain, 0, sizeof(c->uac->inv_chain));
	if ((err = sess_invite(&c->s, m, &d, on_invite, c)) < 0)
		return why_fmt(why, whylen, err, "cannot send the INVITE: %s",
			       err == -EAGAIN ? "transaction table full" : strerror(-err));
	/* The dialog's requests may name the same host: they go to this target too. */
	if (sess_set_inv_uri(&c->s, c->uac->hop.uri) < 0)
		log_warn("%s: out of memory: requests in the call cannot go to %s by name",
			 c->handle, c->uac->hop.uri);
	c->uac->reached = false;
	log_info("%s: INVITE %s sent to %s", c->handle, c->uac->ruri,
		 hop_name(t, name, sizeof(name)));
	return 0;
}

/* A new offer for the next INVITE (the last one's was never answered). */
static void offer_again(struct call *c)
{
	oa_cancel_offer(c->oa);
	call_sdp_free(c->local_sdp);
	c->local_sdp = NULL;
}

/*
 * Our INVITE to the current target, or else to the next ones (RFC 3263
 * §4.3: one we cannot send to is passed over).  true: one went; false:
 * none was left, why says what was wrong with the last.
 */
static bool send_to_targets(struct call *c, char *why, size_t whylen)
{
	char name[NET_ADDR_STRLEN + 280];

	for (const struct dns_target *t = hop_target(&c->uac->hop); t; t = hop_next(&c->uac->hop)) {
		if (send_invite(c, why, whylen) == 0)
			return true;
		log_info("%s: cannot send the INVITE to %s: %s", c->handle,
			 hop_name(t, name, sizeof(name)), why);
	}
	return false;
}

static void on_hop(void *arg, int err, const char *why);

/*
 * Start the INVITE to ruri (the call's URI, or a redirect's Contact):
 * resolve where it goes (its first route's URI, else ruri: preroute.h).
 * 0: resolving, on_hop() follows; 1: no resolver, the one target is
 * there; -errno with why: refused at once (*route: the fault is the
 * account's route, not ruri's).
 */
static int resolve_ruri(struct call *c, const char *ruri, bool *route, char *why, size_t whylen)
{
	const char *first = preroute_first(c->acc);
	char *uri = NULL, text[WHY_MSG_MAX];
	int err;

	*route = first != NULL;
	c->uac->reached = false;
	if ((err = call_set_str(&c->uac->ruri, ruri)) < 0)
		return why_fmt(why, whylen, err, "out of memory");
	if ((err = preroute_hop_uri(c->acc, ruri, &uri, why, whylen)) < 0)
		return err;
	err = hop_resolve(&c->uac->hop, uri, text, sizeof(text));
	free(uri);
	if (err < 0 && first)
		return why_fmt(why, whylen, err, "route %.100s of account '%.64s': %s", first,
			       account_name(c->acc), text);
	if (err < 0)
		return why_fmt(why, whylen, err, "%s", text);
	return err;
}

static bool next_target(struct call *c);

/*
 * Every target of c->uac->ruri failed before any INVITE went, or its name did
 * not resolve: the next redirect target, if any, else the end (code, why).
 */
static void ruri_failed(struct call *c, int code, const char *why)
{
	if (c->uac->next_target < c->uac->n_targets)
		log_info("%s: redirect target %s unusable: %s", c->handle, c->uac->ruri, why);
	if (next_target(c))
		return;
	call_end(c, code, why, false);
}

/* The resolver answered for c->uac->ruri's next hop. */
static void on_hop(void *arg, int err, const char *why)
{
	struct call *c = arg;
	char text[WHY_MSG_MAX];

	if (err < 0) {
		ruri_failed(c, 503, why);
		return;
	}
	if (!send_to_targets(c, text, sizeof(text)))
		ruri_failed(c, 503, text);
}

/*
 * RFC 3263 §4.3: our INVITE to the current target timed out, failed in
 * the transport or got a 503 (what), and no provisional response came
 * from it: the same INVITE (new branch, CSeq + 1, a new offer) to the
 * next target.  true: one went.
 */
static bool failover(struct call *c, const char *what)
{
	char was[sizeof(c->source)], name[NET_ADDR_STRLEN + 280], why[WHY_MSG_MAX];
	const struct dns_target *t;

	if (c->uac->reached || sess_cancelling(&c->s) || !(t = hop_next(&c->uac->hop)))
		return false;
	snprintf(was, sizeof(was), "%s", c->source);
	log_info("%s: %s from %s: trying the next target, %s", c->handle, what, was,
		 hop_name(t, name, sizeof(name)));
	c->uac->inv_cseq++;
	offer_again(c);
	if (send_to_targets(c, why, sizeof(why)))
		return true;
	snprintf(c->source, sizeof(c->source), "%s", was); /* what the end is about */
	return false;
}

/*
 * The account a call is placed from: name, or the default one (name
 * NULL).  NULL with why when there is none of that name.
 */
static const struct account *find_account(struct calls *cs, const char *name, struct why *why)
{
	return account_lookup(cs->env.account_find, cs->env.account_arg, cs->env.account, name,
			      why);
}

/* The call's identity: Call-ID and From tag (random, §8.1.1.4), its peer. 0 or -ENOMEM. */
static int set_identity(struct call *c, const char *uri)
{
	char tag[RND_TAG_LEN], cid[RND_CALLID_LEN];
	int err;

	rnd_token(tag, sizeof(tag));
	rnd_token(cid, sizeof(cid));
	if ((err = call_set_str(&c->peer, uri)) < 0 || (err = call_set_str(&c->local_tag, tag)) < 0)
		return err;
	return call_set_str(&c->call_id, cid);
}

/*
 * The first INVITE: resolve where it goes; without a resolver it goes at
 * once, and a failure is call_place()'s.  0 or -errno with why typed.
 */
static int place_first(struct call *c, const char *uri, struct why *why)
{
	bool route;
	int err;

	c->uac->inv_cseq = CALL_FIRST_CSEQ;
	if ((err = resolve_ruri(c, uri, &route, why->msg, sizeof(why->msg))) < 0)
		return why_tag(why, err,
			       err == -EBUSY		 ? WHY_BUSY
			       : err == -ENOMEM || route ? WHY_FAILED
							 : WHY_ARG,
			       err == -EBUSY || err == -ENOMEM || route ? NULL : "to");
	if (err == 0)
		return 0; /* on_hop() goes on */
	if ((err = send_invite(c, why->msg, sizeof(why->msg))) < 0) {
		/* uri parsed already: only a listener missing for it makes it the fault. */
		if (err == -EAFNOSUPPORT && !route)
			return why_tag(why, err, WHY_ARG, "to");
		return why_tag(why, err, err == -EAGAIN ? WHY_BUSY : WHY_FAILED, NULL);
	}
	return 0;
}

int call_place(struct calls *cs, const char *uri, const char *account, const char *const *headers,
	       size_t n_headers, struct call **cp, struct why *why)
{
	const struct account *acc;
	struct call *c = NULL;
	int err;

	*why = (struct why){.kind = WHY_FAILED};
	/* The request first: a bad one is refused as such whatever the load. */
	if (!(acc = find_account(cs, account, why)))
		return -ENOENT;
	if (n_headers > CALL_MAX_HEADERS)
		return why_set(why, -EINVAL, WHY_ARG, "header", "at most %d extra headers",
			       CALL_MAX_HEADERS);
	for (size_t i = 0; i < n_headers; i++)
		if ((err = header_check(headers[i], why)) < 0)
			return err;
	if ((err = preroute_check(acc, uri, cs->env.dns != NULL, "to", why)) < 0 ||
	    (err = call_srtp_precheck(cs, acc, uri, why)) < 0)
		return err;
	if (cs->closing)
		return why_set(why, -ECANCELED, WHY_FAILED, NULL, "sipuad is shutting down");
	if (cs->n >= cs->cfg.max_calls)
		return why_set(why, -EAGAIN, WHY_BUSY, NULL,
			       "%u call(s) in progress: [sip] max_calls is %u", cs->n,
			       cs->cfg.max_calls);
	if ((err = call_new(cs, true, acc, &c)) < 0)
		return why_set(why, err, WHY_FAILED, NULL, "out of memory");
	hop_init(&c->uac->hop, cs->env.dns, on_hop, c);
	if (n_headers && !(c->uac->hdrs = calloc(n_headers, sizeof(char *)))) {
		err = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n_headers; i++) {
		if (!(c->uac->hdrs[i] = strdup(headers[i]))) {
			err = -ENOMEM;
			goto fail;
		}
		c->uac->n_hdrs++;
	}
	if ((err = set_identity(c, uri)) < 0)
		goto fail;
	if ((err = place_first(c, uri, why)) < 0)
		goto out;
	c->state = CALL_CALLING;
	tmr_start(&c->ring_tmr, (uint64_t)cs->cfg.ring_timeout_s * 1000);
	call_emit(c, "calling", 0, NULL, NULL);
	*cp = c;
	return 0;
fail:
	why_fmt(why->msg, sizeof(why->msg), err, "%s", strerror(-err));
out:
	call_drop(c); /* never announced: no event */
	return err;
}

/*
 * §13.2.2.4: a 2xx from a second fork: its dialog is confirmed (ACK) and
 * ended at once (BYE) by the session; the dialog is not kept, so a resent
 * 2xx repeats both.
 */
static void fork_kill(struct call *c, const struct sip_msg *invite, const struct sip_msg *resp)
{
	struct dlg *d = NULL;
	int err;

	if ((err = dlg_uac_new(c->cs->dlgs, &d, invite, resp)) < 0) {
		log_info("%s: 2xx from another fork (tag %s) unusable: %s", c->handle,
			 resp->to_tag ? resp->to_tag : "-", strerror(-err));
		return;
	}
	sess_fork_end(&c->s, d);
}

/* The first 2xx: confirm its dialog, ACK, take the answer. */
static void first_2xx(struct call *c, struct tsx *ct, const struct sip_msg *resp)
{
	struct calls *cs = c->cs;
	struct dlg *d = dlg_match(cs->dlgs, resp);
	int err;

	if (d && d->state == DLG_EARLY)
		err = dlg_confirm(d, resp);
	else if (!d)
		err = dlg_uac_new(cs->dlgs, &d, tsx_req(ct), resp);
	else
		err = 0;
	if (err < 0) {
		log_info("%s: 2xx without a usable dialog (%s)", c->handle, strerror(-err));
		call_end(c, 502, "the 2xx made no usable dialog (no Contact?)", true);
		return;
	}
	sess_set_dlg(&c->s, d);
	/* §12.3: the other forks' early dialogs end. */
	dlg_table_end_early(cs->dlgs, c->call_id, c->local_tag);
	tmr_stop(&c->ring_tmr);
	sess_cancel_stop(&c->s);
	if ((err = sess_ack(&c->s, NULL)) < 0)
		log_warn("%s: cannot send ACK: %s", c->handle, strerror(-err));
	if (sess_cancelling(&c->s)) {
		/* The 2xx crossed our CANCEL: the call exists; end it (§9.1, §15). */
		log_info("%s: 200 crossed our CANCEL: ACK, then BYE", c->handle);
		call_bye(c, c->end_code, call_end_reason(c), false);
		return;
	}
	if (oa_offer_pending(c->oa) && call_take_answer(c, resp, "the 2xx", 488) < 0)
		return;
	c->state = CALL_ESTABLISHED;
	c->answered_ms = tmr_now(cs->env.clk);
	log_info("%s: answered (%s)", c->handle,
		 media_codec(c->media) ? media_codec(c->media) : "no media");
	call_emit(c, "answered", resp->status, msg_reason_phrase(resp), NULL);
}

static void on_2xx(struct call *c, struct tsx *ct, const struct sip_msg *resp)
{
	if (c->s.dlg && c->s.dlg->state == DLG_CONFIRMED) {
		if (resp->to_tag && c->s.dlg->remote_tag &&
		    !strcmp(resp->to_tag, c->s.dlg->remote_tag))
			sess_ack_again(&c->s, resp->cseq); /* the 2xx again: the same ACK again */
		else
			fork_kill(c, tsx_req(ct), resp);
		return;
	}
	first_2xx(c, ct, resp);
}

/* A 1xx: §9.1's CANCEL may go now; ringing / early; an early dialog per To tag. */
static void on_provisional(struct call *c, struct tsx *ct, const struct sip_msg *resp)
{
	struct calls *cs = c->cs;
	struct dlg *d = NULL;
	struct oa_result res;
	const char *sdp;
	size_t len;
	char why[160] = "";

	if (sess_invite_1xx(&c->s))
		return; /* the CANCEL is out: the call is ending */
	if (resp->status == 100)
		return;
	if (resp->to_tag && !(d = dlg_match(cs->dlgs, resp)) &&
	    dlg_uac_new(cs->dlgs, &d, tsx_req(ct), resp) == 0)
		d->owner = &c->s; /* an early dialog of this call's (one per fork, §12.3) */
	if (d && !c->s.dlg)
		sess_set_dlg(&c->s, d);
	/* Only an application/sdp body is SDP: a 1xx with another is no early media. */
	if ((sdp = msg_body_of_type(resp, OA_CONTENT_TYPE, &len)) && oa_offer_pending(c->oa)) {
		/* An answer in an unreliable 1xx (early media); the 2xx repeats it. */
		if (oa_take_answer(c->oa, sdp, len, &res, why, sizeof(why)) == 0) {
			call_media_update(c, &res, sdp, len);
			oa_result_wipe(&res);
		} else
			log_info("%s: SDP in %d ignored: %s", c->handle, resp->status, why);
	}
	if (resp->status == 183 || sdp) {
		if (!c->uac->early_sent) {
			c->uac->early_sent = true;
			c->state = CALL_EARLY;
			call_emit(c, "early", resp->status, msg_reason_phrase(resp), NULL);
		}
	} else if (c->state == CALL_CALLING) {
		c->state = CALL_RINGING;
		call_emit(c, "ringing", resp->status, msg_reason_phrase(resp), NULL);
	}
}

/* The Contacts of a 3xx being sorted into c->uac->targets, highest q first (§8.1.3.4). */
struct targets {
	struct call *c;
	double q[CALL_MAX_TARGETS];
};

static int add_target(void *arg, const char *uri, double v)
{
	struct targets *t = arg;
	struct call *c = t->c;
	char *copy;
	size_t at;

	if (c->uac->n_targets == CALL_MAX_TARGETS)
		return 1;
	if (!(copy = strdup(uri)))
		return 0; /* this one is lost; the others may fit */
	for (at = c->uac->n_targets; at > 0 && t->q[at - 1] < v; at--) {
		t->q[at] = t->q[at - 1];
		c->uac->targets[at] = c->uac->targets[at - 1];
	}
	t->q[at] = v;
	c->uac->targets[at] = copy;
	c->uac->n_targets++;
	return 0;
}

static void collect_targets(struct call *c, const struct sip_msg *resp)
{
	struct targets t = {.c = c};

	for (size_t i = 0; i < c->uac->n_targets; i++)
		free(c->uac->targets[i]);
	c->uac->n_targets = c->uac->next_target = 0;
	msg_contacts(resp, add_target, &t);
}

/*
 * Try the next redirect target (§8.1.3.4): a new INVITE (CSeq + 1, a new
 * offer) to it, once resolved.  true: an INVITE went, or a resolution is
 * under way (on_hop() goes on).
 */
static bool next_target(struct call *c)
{
	char why[WHY_MSG_MAX];
	bool route;
	int err;

	while (c->uac->next_target < c->uac->n_targets) {
		const char *t = c->uac->targets[c->uac->next_target++];

		c->uac->inv_cseq++;
		offer_again(c);
		if ((err = resolve_ruri(c, t, &route, why, sizeof(why))) == 0) {
			log_info("%s: redirected to %s", c->handle, t);
			return true;
		}
		if (err == 1 && send_to_targets(c, why, sizeof(why))) {
			log_info("%s: redirected to %s", c->handle, t);
			return true;
		}
		log_info("%s: redirect target %s unusable: %s", c->handle, t, why);
	}
	return false;
}

static bool challenged(const struct sip_msg *resp)
{
	return resp->status == 401 || resp->status == 407;
}

/*
 * The INVITE that answers the challenge to ct's: a copy of it with CSeq
 * + 1 and a new branch (msg_build_retry(): the same Call-ID, From tag,
 * headers, Route set and offer).  If an answer came in a 1xx to it (early
 * media: no challenging proxy sends one, but a UAS may), that exchange
 * went with the early dialog the challenge ended (§12.3): the new INVITE
 * carries a new offer, built as the first one was.
 */
static int build_retry(struct call *c, struct tsx *ct, struct sip_msg **mp)
{
	char *ruri = NULL, why[WHY_MSG_MAX];
	int err;

	c->uac->inv_cseq++;
	if (oa_offer_pending(c->oa))
		return msg_build_retry(mp, tsx_req(ct), c->uac->inv_cseq);
	call_sdp_free(c->local_sdp);
	c->local_sdp = NULL;
	if ((err = oa_make_offer(c->oa, media_port(c->media), OA_SENDRECV, &c->local_sdp)) < 0 ||
	    (err = msg_ruri(tsx_req(ct), &ruri)) < 0)
		return err;
	err = build_invite(c, ruri, c->s.inv_dest, mp, why, sizeof(why));
	free(ruri);
	return err;
}

/*
 * §22.2, §8.1.3.5: our INVITE was challenged (401 / 407; its ICT ACKed
 * it, §17.1.1.3).  The INVITE goes again with the account's credentials
 * on a new transaction that replaces the old one in the session, so a
 * later CANCEL (§9.1) goes for the new INVITE; the call stays where it
 * was, without an event.  A challenge the account cannot answer (no
 * password, wrong credentials, one asked too often, an unknown scheme)
 * ends the call with the challenge's code and cred's words, by remote.
 */
static void auth_retry(struct call *c, struct tsx *ct, const struct sip_msg *resp)
{
	struct sip_dest d = *c->s.inv_dest; /* the INVITE went: it was challenged */
	struct sip_msg *m = NULL;
	struct why why;
	char text[160];
	int err;

	if ((err = build_retry(c, ct, &m)) < 0) {
		oa_cancel_offer(c->oa);
		snprintf(text, sizeof(text), "cannot build the INVITE again: %s", strerror(-err));
		call_end(c, 500, text, false);
		return;
	}
	if (cred_authorize(account_cred(c->acc), &c->uac->inv_chain, resp, m, &why) < 0) {
		msg_free(m);
		oa_cancel_offer(c->oa);
		call_end(c, resp->status, why.msg, true);
		return;
	}
	if ((err = sess_invite(&c->s, m, &d, on_invite, c)) < 0) {
		oa_cancel_offer(c->oa);
		snprintf(text, sizeof(text), "cannot send the INVITE again: %s",
			 err == -EAGAIN ? "transaction table full" : strerror(-err));
		call_end(c, 503, text, false);
		return;
	}
	log_debug("%s: INVITE challenged (%d): sent again with credentials (CSeq %u)", c->handle,
		  resp->status, (unsigned)c->uac->inv_cseq);
}

/* A final non-2xx: §12.3 the early dialogs end; a challenge answered, a redirect, or the end. */
static void on_failure(struct call *c, struct tsx *ct, const struct sip_msg *resp)
{
	const char *reason = msg_reason_phrase(resp);
	char text[160];

	sess_invite_over(&c->s);
	if (c->s.dlg && c->s.dlg->state == DLG_EARLY)
		c->s.dlg = NULL;
	dlg_table_end_early(c->cs->dlgs, c->call_id, c->local_tag);
	if (sess_cancelling(&c->s)) {
		/* Hung up (or timed out) meanwhile: no challenge is answered; the end is ours. */
		bool ours = resp->status == 487 || challenged(resp);

		oa_cancel_offer(c->oa);
		call_end(c, ours ? c->end_code : resp->status,
			 ours ? call_end_reason(c) : (reason ? reason : ""), false);
		return;
	}
	if (challenged(resp)) {
		auth_retry(c, ct, resp);
		return;
	}
	oa_cancel_offer(c->oa);
	if (resp->status == 503 && failover(c, "503"))
		return;
	if (resp->status < 400 && c->uac->redirects < CALL_MAX_REDIRECTS) {
		c->uac->redirects++;
		collect_targets(c, resp);
	}
	if (next_target(c))
		return;
	snprintf(text, sizeof(text), "%s", reason && reason[0] ? reason : msg_reason(resp->status));
	call_end(c, resp->status, text, true);
}

static void on_invite(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	struct call *c = arg;

	if (!resp) {
		sess_invite_over(&c->s);
		if (err == 0)
			return; /* the Accepted ICT ended (Timer M) */
		if (sess_cancelling(&c->s))
			call_end(c, c->end_code, call_end_reason(c), false);
		else if (failover(c, err == -ETIMEDOUT ? "no answer (Timer B)" : strerror(-err)))
			return;
		else if (err == -ETIMEDOUT)
			call_end(c, 408, "no answer to the INVITE (Timer B)", false);
		else {
			char text[320];
			const char *why = tsx_why(ct);

			snprintf(text, sizeof(text), "cannot reach %s: %s", c->source,
				 why ? why : strerror(-err));
			call_end(c, 503, text, false);
		}
		return;
	}
	sess_set_flow(&c->s, &resp->src);
	if (resp->status < 200) {
		c->uac->reached = true; /* RFC 3263 §4.3: this target works on it: no failover */
		on_provisional(c, ct, resp);
	} else if (resp->status < 300)
		on_2xx(c, ct, resp);
	else
		on_failure(c, ct, resp);
}

/* ---- re-INVITE: hold and resume (§14.1) ---- */

static void on_reinvite(void *arg, struct tsx *ct, const struct sip_msg *resp, int err);

int call_uac_reinvite(struct call *c, enum call_update what)
{
	enum oa_dir dir = what == CALL_UPD_HOLD ? OA_SENDONLY : OA_SENDRECV;
	char *sdp = NULL;
	int e;

	if ((e = oa_make_offer(c->oa, media_port(c->media), dir, &sdp)) < 0)
		return e;
	if ((e = sess_reinvite(&c->s, sdp, on_reinvite, c)) < 0) {
		oa_cancel_offer(c->oa);
		free(sdp);
		return e;
	}
	call_sdp_free(c->local_sdp);
	c->local_sdp = sdp;
	c->update = what;
	log_info("%s: re-INVITE (%s) sent", c->handle, what == CALL_UPD_HOLD ? "hold" : "resume");
	return 0;
}

static const char *update_name(enum call_update u)
{
	return u == CALL_UPD_HOLD ? "hold" : "resume";
}

static void reinvite_2xx(struct call *c, const struct sip_msg *resp)
{
	enum call_update what = c->update;
	int err;

	if (what == CALL_UPD_NONE) {
		sess_ack_again(&c->s, resp->cseq); /* the re-INVITE's 2xx again */
		return;
	}
	c->update = CALL_UPD_NONE;
	dlg_refresh_target(c->s.dlg, resp);
	if ((err = sess_ack(&c->s, NULL)) < 0)
		log_warn("%s: cannot send ACK: %s", c->handle, strerror(-err));
	if (call_take_answer(c, resp, "the re-INVITE's 2xx", 488) < 0)
		return;
	c->local_hold = what == CALL_UPD_HOLD;
	log_info("%s: %s", c->handle, c->local_hold ? "held" : "resumed");
	call_emit(c, c->local_hold ? "held" : "resumed", resp->status, msg_reason_phrase(resp),
		  "local");
}

/* §14.1: a 491'd re-INVITE is retried after the session's back-off (we own the Call-ID as UAC). */
static void glare_retry(struct call *c, enum call_update what)
{
	c->retry = what;
	sess_glare_wait(&c->s, c->outgoing);
}

static void reinvite_failed(struct call *c, int code, const char *reason)
{
	enum call_update what = c->update;
	char text[160];

	c->update = CALL_UPD_NONE;
	oa_cancel_offer(c->oa);
	if (code == 491) {
		glare_retry(c, what);
		return;
	}
	if (code == 481) {
		/* §14.1: the dialog is gone at the peer. */
		call_end(c, 481, "re-INVITE answered 481: the peer no longer knows the call", true);
		return;
	}
	if (code == 408) {
		snprintf(text, sizeof(text), "re-INVITE (%s) %s", update_name(what),
			 reason ? reason : "timed out");
		call_bye(c, 408, text, false);
		return;
	}
	log_info("%s: re-INVITE (%s) failed: %d %s; the session stays as it was", c->handle,
		 update_name(what), code, reason ? reason : "");
	call_emit_update(c, code, reason ? reason : msg_reason(code), update_name(what));
}

/*
 * §22.2: our re-INVITE was challenged: a new one in the dialog (next CSeq,
 * the same offer, which stays pending) with the account's credentials,
 * still for the same update.  true: it went.
 */
static bool reinvite_auth(struct call *c, struct tsx *ct, const struct sip_msg *resp)
{
	struct why why;

	if (sess_request_auth(&c->s, tsx_req(ct), resp, &c->s.reinv_chain, on_reinvite, c,
			      &c->s.reict, &why) == 0) {
		log_debug("%s: re-INVITE (%s) challenged (%d): sent again with credentials",
			  c->handle, update_name(c->update), resp->status);
		return true;
	}
	c->s.reict = NULL;
	reinvite_failed(c, resp->status, why.msg);
	return false;
}

static void on_reinvite(void *arg, struct tsx *ct, const struct sip_msg *resp, int err)
{
	struct call *c = arg;
	const char *reason;

	if (!resp) {
		c->s.reict = NULL;
		if (err == 0 || c->update == CALL_UPD_NONE)
			return;
		reinvite_failed(c, err == -ETIMEDOUT ? 408 : 503,
				err == -ETIMEDOUT ? "timed out (Timer B)" : strerror(-err));
		return;
	}
	if (resp->status < 200)
		return;
	if (resp->status < 300) {
		reinvite_2xx(c, resp);
		return;
	}
	c->s.reict = NULL;
	if (challenged(resp) && c->update != CALL_UPD_NONE && c->state == CALL_ESTABLISHED) {
		reinvite_auth(c, ct, resp);
		return;
	}
	reason = msg_reason_phrase(resp);
	reinvite_failed(c, resp->status, reason && reason[0] ? reason : NULL);
}

/* A 2xx no transaction took (after Timer M): ACK it again if it is ours. */
void call_uac_stray(struct calls *cs, const struct sip_msg *resp)
{
	struct dlg *d;
	struct call *c;

	if (resp->status < 200 || resp->status >= 300 || strcmp(resp->method, "INVITE") != 0)
		return;
	if (!(d = dlg_match(cs->dlgs, resp)) || !(c = call_of_dlg(d)) || d != c->s.dlg)
		return;
	sess_ack_again(&c->s, resp->cseq);
}
