/*
 * ua: the UA core's front door (RFC 3261 §8.2).
 *
 * Every request that created a server transaction comes here.  It first
 * passes the checks that need a UA's view, in the order of §8.2:
 *   §8.2.1   method: known and served?      405 / 501, with Allow
 *   §8.2.2.1 Request-URI scheme sip/sips/tel  416
 *   §8.2.2.2 merged request (no To tag)       482
 *   §8.2.2.3 Require: every tag supported     420 with Unsupported
 *   §8.2.3   body type we take                415 with Accept, unless
 *            Content-Disposition says handling=optional (§20.11)
 * and is then routed through the method table: INVITE, BYE and CANCEL go
 * on to the call layer (call.h), ACKs for 2xx and stray responses too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "sip/sip.h"
#include "sip/tsx.h"
#include "ua/call.h"
#include "ua/oa.h"
#include "ua/ua.h"

struct ua {
	struct sip *sip;
	struct calls *calls; /* NULL: no calls (INVITE gets 501) */
	ua_account_fn *find_account; /* NULL: every user is ours */
	void *account_arg;
	bool accept_unknown;
};

typedef void(method_fn)(struct ua *ua, struct tsx *st, const struct sip_msg *req);

struct method {
	const char *name;
	method_fn *fn;
	bool allowed;	/* listed in Allow */
};

/* Option tags we implement (Supported, and the Require check). None yet. */
static const char *const supported_tags[] = { NULL };
/* Body types we take. */
#define UA_ACCEPT OA_CONTENT_TYPE

static void m_options(struct ua *ua, struct tsx *st, const struct sip_msg *req);
static void m_cancel(struct ua *ua, struct tsx *st, const struct sip_msg *req);
static void m_bye(struct ua *ua, struct tsx *st, const struct sip_msg *req);
static void m_invite(struct ua *ua, struct tsx *st, const struct sip_msg *req);
static void m_not_implemented(struct ua *ua, struct tsx *st, const struct sip_msg *req);
static void m_not_allowed(struct ua *ua, struct tsx *st, const struct sip_msg *req);

static const struct method methods[] = {
	{ "OPTIONS", m_options, true },
	{ "ACK", NULL, true },	/* never a transaction of its own (§17.2.3) */
	{ "CANCEL", m_cancel, true },
	{ "BYE", m_bye, true },
	{ "INVITE", m_invite, true },
	{ "INFO", m_bye, true },	/* in a call's dialog: DTMF (application/dtmf-relay) */
	{ "REGISTER", m_not_allowed, false },	/* we are no registrar */
};

const char *ua_allow(void)
{
	static char allow[128];

	if (allow[0])
		return allow;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!methods[i].allowed)
			continue;
		if (allow[0])
			strcat(allow, ", ");
		strcat(allow, methods[i].name);
	}
	return allow;
}

static const struct method *method_find(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

/*
 * Refusals a peer causes, rate-limited (log.h) by kind, so that a flood of
 * one (unknown users) does not hide the others; stats counts each class.
 */
static struct log_rl rl_404 =
    LOG_RL_INIT("refused_404", "requests refused with 404 (no such user)", LOG_RL_PEER);
static struct log_rl rl_481 =
    LOG_RL_INIT("refused_481", "requests refused with 481 (no such dialog)", LOG_RL_PEER);
static struct log_rl rl_method =
    LOG_RL_INIT("refused_method", "requests refused with 405 or 501", LOG_RL_PEER);
static struct log_rl rl_refused =
    LOG_RL_INIT("refused_other", "requests refused with 415, 416, 420 or 482", LOG_RL_PEER);

static struct log_rl *refused_rl(int code)
{
	switch (code) {
	case 404:
		return &rl_404;
	case 481:
		return &rl_481;
	case 405:
	case 501:
		return &rl_method;
	default:
		return &rl_refused;
	}
}

/* Answer code with one extra header (name may be NULL); log the refusal. */
static void refuse(struct tsx *st, int code, const char *reason, const char *hname,
    const char *hvalue)
{
	struct msg_err e;
	const struct sip_msg *req = tsx_req(st);
	int err;

	msg_err_set(&e, code, reason, hname, hvalue);
	log_rl_info(refused_rl(code), "%s: %s refused: %d %s", tsx_handle(st), req->method, code,
		    e.reason);
	if ((err = tsx_respond_code(st, code, e.reason, &e)) < 0)
		log_warn("%s: cannot send %d: %s", tsx_handle(st), code, strerror(-err));
}

static void m_not_implemented(struct ua *ua, struct tsx *st, const struct sip_msg *req)
{
	refuse(st, 501, NULL, "Allow", ua_allow());
}

static void m_not_allowed(struct ua *ua, struct tsx *st, const struct sip_msg *req)
{
	refuse(st, 405, NULL, "Allow", ua_allow());
}

/* §11.2: what we can do, in a 200. */
static void m_options(struct ua *ua, struct tsx *st, const struct sip_msg *req)
{
	struct sip_msg *r = NULL;
	int err;

	if ((err = msg_build_response(&r, req, 200, NULL, tsx_local_tag(st))) < 0 ||
	    (err = msg_add_header(r, "Allow", ua_allow())) < 0 ||
	    (err = msg_add_header(r, "Accept", UA_ACCEPT)) < 0 ||
	    (err = msg_add_header(r, "Supported", "")) < 0) {
		msg_free(r);
		log_warn("%s: cannot build the OPTIONS answer: %s", tsx_handle(st), strerror(-err));
		return;
	}
	if ((err = tsx_respond(st, r)) < 0)
		log_warn("%s: cannot send 200 to OPTIONS: %s", tsx_handle(st), strerror(-err));
}

/*
 * §9.2: a CANCEL that matches an INVITE server transaction gets 200 and
 * the call layer answers the INVITE 487; one that matches nothing gets 481.
 */
static void m_cancel(struct ua *ua, struct tsx *st, const struct sip_msg *req)
{
	struct tsx *inv = tsx_cancel_target(st); /* NULL once answered */
	struct sip_msg *r = NULL;

	if (!tsx_cancel_matched(st)) {
		refuse(st, 481, NULL, NULL, NULL);
		return;
	}
	/* §9.2: the 200 carries the To tag of the INVITE's responses (st took it). */
	if (msg_build_response(&r, req, 200, NULL, tsx_local_tag(st)) < 0 || tsx_respond(st, r) < 0)
		log_warn("%s: cannot send 200 to CANCEL", tsx_handle(st));
	if (inv && ua->calls)
		calls_cancel(ua->calls, inv);
}

/* §15.1.2: a BYE for a dialog of ours ends its call; any other gets 481. */
/* BYE and INFO: requests of a call's dialog, 481 outside one (§12.2.2). */
static void m_bye(struct ua *ua, struct tsx *st, const struct sip_msg *req)
{
	if (ua->calls && calls_in_dialog(ua->calls, st, req))
		return;
	refuse(st, 481, NULL, NULL, NULL);
}

/* The account the Request-URI's user names, or NULL (the default serves). */
static struct account *account_of(struct ua *ua, const struct sip_msg *req)
{
	char user[128];

	if (!ua->find_account || !msg_ruri_user(req, user, sizeof(user)))
		return NULL;
	return ua->find_account(ua->account_arg, user);
}

/*
 * INVITE: with a To tag, a re-INVITE of a dialog we hold (481 if none,
 * §12.2.2); without, a new call.
 */
static void m_invite(struct ua *ua, struct tsx *st, const struct sip_msg *req)
{
	if (!ua->calls) {
		m_not_implemented(ua, st, req);
		return;
	}
	if (req->to_tag) {
		if (!calls_in_dialog(ua->calls, st, req))
			refuse(st, 481, NULL, NULL, NULL);
		return;
	}
	calls_invite(ua->calls, st, req, account_of(ua, req));
}

static bool tag_supported(const char *tag, size_t n)
{
	for (const char *const *s = supported_tags; *s; s++)
		if (strlen(*s) == n && strncasecmp(*s, tag, n) == 0)
			return true;
	return false;
}

/* §8.2.2.3: the Require tags we do not know, comma-separated, into out. */
static bool require_unsupported(const struct sip_msg *req, char *out, size_t size)
{
	char req_tags[256];
	size_t used = 0;
	const char *p;

	out[0] = '\0';
	if (!msg_header_join(req, "Require", NULL, req_tags, sizeof(req_tags)))
		return false;
	for (p = req_tags; *p;) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n && !tag_supported(p, n) && used + n + 3 < size) {
			used += (size_t)snprintf(out + used, size - used, "%s%.*s", used ? ", " : "",
			    (int)n, p);
		}
		p += n;
	}
	return used > 0;
}

static bool uri_scheme_ok(const struct sip_msg *req)
{
	char buf[16];
	const char *s = msg_ruri_scheme(req, buf, sizeof(buf));

	return s && (!strcmp(s, "sip") || !strcmp(s, "sips") || !strcmp(s, "tel"));
}

/*
 * §8.2.3, §20.11: a body of a type we do not take gets 415, unless its
 * Content-Disposition says handling=optional: then it is ignored.
 */
static bool body_refused(const struct sip_msg *req)
{
	char buf[160];

	/* INFO's bodies are the call's to judge (DTMF types, 415 with its own Accept). */
	if (msg_body_len(req) == 0 || !msg_content_type(req, buf, sizeof(buf)) ||
	    strcmp(buf, UA_ACCEPT) == 0 || strcmp(req->method, "INFO") == 0)
		return false;
	return !msg_header_param(req, "Content-Disposition", NULL, "handling", buf, sizeof(buf)) ||
	       strcasecmp(buf, "optional") != 0;
}

/* The §8.2.2 / §8.2.3 checks; false if st was answered. */
static bool header_checks(struct tsx *st, const struct sip_msg *req)
{
	char buf[160];
	bool is_cancel = strcmp(req->method, "CANCEL") == 0;

	if (!uri_scheme_ok(req)) {
		refuse(st, 416, NULL, NULL, NULL);
		return false;
	}
	if (tsx_merged(st)) {
		refuse(st, 482, "Loop Detected (merged request)", NULL, NULL);
		return false;
	}
	if (!is_cancel && require_unsupported(req, buf, sizeof(buf))) {
		refuse(st, 420, NULL, "Unsupported", buf);
		return false;
	}
	if (body_refused(req)) {
		refuse(st, 415, NULL, "Accept", UA_ACCEPT);
		return false;
	}
	return true;
}

/*
 * Out of dialog, for a user we do not serve: 404, the same for every such
 * user.  false if st was answered.
 */
static bool user_known(struct ua *ua, struct tsx *st, const struct sip_msg *req)
{
	char user[128];

	if (!ua->find_account || ua->accept_unknown || req->to_tag ||
	    strcmp(req->method, "ACK") == 0 || strcmp(req->method, "CANCEL") == 0 ||
	    !msg_ruri_user(req, user, sizeof(user)) || ua->find_account(ua->account_arg, user))
		return true;
	log_debug("%s %s: no account for that user: 404", req->method, req->call_id);
	refuse(st, 404, NULL, NULL, NULL);
	return false;
}

static void on_request(void *arg, struct tsx *st, const struct sip_msg *req)
{
	struct ua *ua = arg;
	const struct method *m = method_find(req->method);

	/* §8.2.1 first: an unknown method gets 501 before any other check. */
	if (!m || !m->fn) {
		m_not_implemented(ua, st, req);
		return;
	}
	if (!header_checks(st, req) || !user_known(ua, st, req))
		return;
	m->fn(ua, st, req);
}

static void on_ack(void *arg, const struct sip_msg *ack)
{
	struct ua *ua = arg;

	if (ua->calls)
		calls_ack(ua->calls, ack);
	else
		log_debug("ACK for no transaction (Call-ID %s): no dialog to take it", ack->call_id);
}

static void on_stray_response(void *arg, const struct sip_msg *resp)
{
	struct ua *ua = arg;

	log_debug("stray %d response to %s (Call-ID %s)", resp->status, resp->method,
	    resp->call_id);
	if (ua->calls)
		calls_stray_response(ua->calls, resp);
}

int ua_new(struct ua **up, struct sip *sip)
{
	struct ua *ua = calloc(1, sizeof(*ua));
	struct tsx_user user = {on_request, on_ack, on_stray_response, NULL};

	if (!ua)
		return -ENOMEM;
	ua->sip = sip;
	user.arg = ua;
	sip_set_user(sip, &user);
	*up = ua;
	return 0;
}

void ua_free(struct ua *ua)
{
	if (!ua)
		return;
	sip_set_user(ua->sip, &(struct tsx_user){0});
	free(ua);
}

unsigned ua_active(const struct ua *ua)
{
	/* The registration table adds its count here when it comes. */
	return ua->calls ? calls_count(ua->calls) : 0;
}

void ua_set_calls(struct ua *ua, struct calls *cs)
{
	ua->calls = cs;
}

void ua_set_accounts(struct ua *ua, ua_account_fn *find, void *arg, bool accept_unknown)
{
	ua->find_account = find;
	ua->account_arg = arg;
	ua->accept_unknown = accept_unknown;
}
