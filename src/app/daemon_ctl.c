/*
 * daemon_ctl: the control commands that act on the daemon.
 *
 * The control server (ctl/) frames and checks every request against the
 * command table (ctl/ctl_cmds.c) and answers the commands about the
 * connection itself (hello, help, subscribe, unsubscribe).  Everything
 * else arrives here, arguments already type-checked, and goes through the
 * handler table below.  A handler replies at once, or keeps the request and
 * replies when its work ends (options: when the final response arrives).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/daemon_int.h"
#include "core/log.h"
#include "ctl/ctl.h"
#include "ctl_proto.h"
#include "sip/sip.h"
#include "ua/call.h"
#include "ua/options.h"

typedef void(handler_fn)(struct daemon *dm, struct ctl_req *req);

static json_t *listeners_json(const struct daemon *dm)
{
	json_t *a = json_array();
	char buf[NET_ADDR_STRLEN];

	for (unsigned i = 0; a && i < dm->n_listeners; i++)
		json_array_append_new(
		    a,
		    json_pack("{s:s, s:s}", "proto", net_proto_name(dm->listeners[i].proto),
			      "address", net_addr_fmt(&dm->listeners[i].addr, buf, sizeof(buf))));
	return a;
}

static void h_status(struct daemon *dm, struct ctl_req *req)
{
	uint64_t up = (tmr_now(dm->clk) - dm->started_ms) / 1000;

	ctl_reply_ok(req,
		     json_pack("{s:s, s:i, s:I, s:s, s:I, s:s, s:s, s:o, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
			       "s:I}",
			       "version", PACKAGE_VERSION, "protocol", CTL_PROTOCOL, "pid",
			       (json_int_t)getpid(), "state", dm->stopping ? "stopping" : "running",
			       "uptime_s", (json_int_t)up, "config", dm->cfg_path, "log_level",
			       log_level_name(log_get_level()), "listeners", listeners_json(dm),
			       "transactions", (int)sip_tsx_count(dm->sip), "tcp_connections",
			       (int)sip_conn_count(dm->sip), "control_clients",
			       (int)ctl_client_count(dm->ctl), "calls", (int)calls_count(dm->calls),
			       "dialogs", (int)calls_dialogs(dm->calls), "rtp_ports_in_use",
			       (int)calls_rtp_in_use(dm->calls), "options_pending",
			       (int)options_pending(dm->opts), "event_seq",
			       (json_int_t)ctl_last_seq(dm->ctl)));
}

/* One direction: requests by method (all of them), responses by code (those seen). */
static json_t *dir_json(const struct stats_dir *d, uint64_t requests, uint64_t responses)
{
	json_t *methods = json_object(), *codes = json_object();
	char code[8];

	for (unsigned i = 0; i < STATS_NMETHODS; i++)
		json_object_set_new(methods, stats_method_name((enum stats_method)i),
				    json_integer((json_int_t)d->method[i]));
	for (unsigned i = 0; i < STATS_NCODES; i++) {
		if (!d->code[i])
			continue;
		snprintf(code, sizeof(code), "%u", i + STATS_CODE_MIN);
		json_object_set_new(codes, code, json_integer((json_int_t)d->code[i]));
	}
	return json_pack("{s:I, s:I, s:o, s:o}", "requests", (json_int_t)requests, "responses",
			 (json_int_t)responses, "methods", methods, "codes", codes);
}

static void h_stats(struct daemon *dm, struct ctl_req *req)
{
	const struct stats *s = &dm->stats;
	uint64_t tx_req = 0, tx_resp = 0;

	for (unsigned i = 0; i < STATS_NMETHODS; i++)
		tx_req += s->tx.method[i];
	for (unsigned i = 0; i < STATS_NCODES; i++)
		tx_resp += s->tx.code[i];
	ctl_reply_ok(
	    req,
	    json_pack(
		"{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}", "in",
		dir_json(&s->rx, s->rx_requests, s->rx_responses), "out",
		dir_json(&s->tx, tx_req, tx_resp), "malformed_dropped", (json_int_t)s->rx_malformed,
		"bad_requests_answered", (json_int_t)s->rx_bad_requests, "bad_responses_dropped",
		(json_int_t)s->rx_bad_responses, "oversize", (json_int_t)s->rx_oversize,
		"retransmissions_in", (json_int_t)s->rx_retransmissions, "retransmissions_out",
		(json_int_t)s->tx_retransmissions, "stray_responses",
		(json_int_t)s->rx_stray_responses, "sent_503", (json_int_t)s->tx_503, "send_errors",
		(json_int_t)s->tx_errors, "tcp", "accepted", (json_int_t)s->tcp_accepted, "refused",
		(json_int_t)s->tcp_refused, "idle_closed", (json_int_t)s->tcp_idle_closed));
}

static void h_log_level(struct daemon *dm, struct ctl_req *req)
{
	const char *arg = json_string_value(json_object_get(req->args, "level"));
	enum log_level old = log_get_level(), l;

	(void)dm;
	if (!arg) {
		ctl_reply_ok(req, json_pack("{s:s}", "level", log_level_name(old)));
		return;
	}
	if (log_level_parse(arg, &l) < 0) {
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "level",
			      "unknown log level '%s': expected error, warn, info or debug", arg);
		return;
	}
	log_set_level(l);
	log_info("log level %s (was %s), by the control socket", log_level_name(l),
		 log_level_name(old));
	ctl_reply_ok(req, json_pack("{s:s, s:s}", "level", log_level_name(l), "previous",
				    log_level_name(old)));
}

static void h_reload(struct daemon *dm, struct ctl_req *req)
{
	json_t *r = daemon_reload(dm);

	if (!r) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "out of memory");
		return;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL,
			      "%s: invalid; the running config is kept:\n%s", dm->cfg_path,
			      json_string_value(json_object_get(r, "errors")));
		json_decref(r);
		return;
	}
	json_object_del(r, "ok");
	json_object_del(r, "errors");
	ctl_reply_ok(req, r);
}

static void h_shutdown(struct daemon *dm, struct ctl_req *req)
{
	ctl_reply_ok(req, json_pack("{s:i}", "timeout_s", (int)dm->cfg->shutdown_timeout_s));
	daemon_shutdown(dm, "shutdown command");
}

/* A ping ended: its final response, or the 408 / 503 it stands for. */
static void on_options_done(void *arg, const struct options_result *r)
{
	struct ctl_req *req = arg;

	if (r->err == -ECANCELED) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "sipuad is shutting down");
		return;
	}
	if (r->local) {
		ctl_reply_err_fields(
		    req, CTL_ERR_FAILED, NULL,
		    json_pack("{s:i, s:s, s:s, s:f}", "sip_code", r->code, "reason", r->reason,
			      "dest", r->dest, "elapsed_ms", r->rtt_ms),
		    "%d %s: %s %s", r->code, r->reason,
		    r->err == -ETIMEDOUT ? "no response from" : "cannot reach", r->dest);
		return;
	}
	ctl_reply_ok(req,
		     json_pack("{s:i, s:s, s:f, s:s, s:s}", "code", r->code, "reason", r->reason,
			       "rtt_ms", r->rtt_ms, "dest", r->dest, "server", r->server));
}

static void h_options(struct daemon *dm, struct ctl_req *req)
{
	const char *uri = json_string_value(json_object_get(req->args, "uri"));
	char why[256] = "";
	int err;

	if (dm->stopping) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "sipuad is shutting down");
		return;
	}
	err = options_send(dm->opts, uri, on_options_done, req, why, sizeof(why));
	if (err == -EAGAIN)
		ctl_reply_err(req, CTL_ERR_BUSY, NULL, "%s", why);
	else if (err == -EINVAL || err == -EPROTONOSUPPORT || err == -EAFNOSUPPORT)
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "uri", "%s", why);
	else if (err < 0)
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "%s", why[0] ? why : strerror(-err));
}

/* ---- calls ---- */

/* Set key to s when s is not NULL. */
static void set_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

void daemon_call_event(void *arg, const struct call *c, const struct call_event_info *e)
{
	struct daemon *dm = arg;
	struct call_info ci;
	json_t *f = json_object();

	call_info(c, &ci);
	json_object_set_new(f, "call", json_string(ci.handle));
	switch (e->ev) {
	case CALL_EV_INCOMING:
		set_str(f, "from", ci.peer);
		set_str(f, "to", ci.local_uri);
		set_str(f, "call_id", ci.call_id);
		set_str(f, "source", ci.source);
		ctl_event(dm->ctl, "call.incoming", f);
		return;
	case CALL_EV_STATE:
		set_str(f, "state", e->state);
		json_object_set_new(f, "direction", json_string(ci.outgoing ? "out" : "in"));
		set_str(f, "peer", ci.peer);
		if (e->code)
			json_object_set_new(f, "code", json_integer(e->code));
		set_str(f, "reason", e->reason);
		set_str(f, "by", e->by);
		if (ci.codec)
			set_str(f, "codec", ci.codec);
		ctl_event(dm->ctl, "call.state", f);
		return;
	case CALL_EV_UPDATE:
		json_object_set_new(f, "ok", json_false());
		json_object_set_new(f, "code", json_integer(e->code));
		set_str(f, "reason", e->reason);
		set_str(f, "what", e->what);
		ctl_event(dm->ctl, "call.update", f);
		return;
	}
	json_decref(f);
}

/* The call named by the "call" argument, or an error reply and NULL. */
static struct call *arg_call(struct daemon *dm, struct ctl_req *req)
{
	const char *h = json_string_value(json_object_get(req->args, "call"));
	struct call *c = h ? call_find(dm->calls, h) : NULL;

	if (!c)
		ctl_reply_err(req, CTL_ERR_NOT_FOUND, "call", "no call %s", h ? h : "");
	return c;
}

static void h_call(struct daemon *dm, struct ctl_req *req)
{
	const char *to = json_string_value(json_object_get(req->args, "to"));
	const char *account = json_string_value(json_object_get(req->args, "account"));
	json_t *hs = json_object_get(req->args, "header");
	const char *headers[32];
	size_t n = 0, i;
	json_t *v;
	struct call *c = NULL;
	struct call_info ci;
	char why[256] = "";
	int err;

	if (account) {
		ctl_reply_err(req, CTL_ERR_NOT_FOUND, "account",
			      "no account '%s': no [account] section is configured", account);
		return;
	}
	json_array_foreach(hs, i, v)
	{
		if (n == sizeof(headers) / sizeof(headers[0])) {
			ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "header",
				      "at most %zu extra headers", n);
			return;
		}
		headers[n++] = json_string_value(v);
	}
	err = call_place(dm->calls, to, headers, n, &c, why, sizeof(why));
	if (err == -EAGAIN) {
		ctl_reply_err(req, CTL_ERR_BUSY, NULL, "%s", why);
		return;
	}
	if (err == -EINVAL || err == -EPROTONOSUPPORT || err == -EAFNOSUPPORT) {
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT,
			      strncmp(why, "header", 6) == 0 ? "header" : "to", "%s", why);
		return;
	}
	if (err < 0) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "%s", why[0] ? why : strerror(-err));
		return;
	}
	call_info(c, &ci);
	ctl_reply_ok(req, json_pack("{s:s, s:s, s:s}", "call", ci.handle, "call_id", ci.call_id,
				    "to", ci.peer));
}

/* A command on one call: fn(c, arg, why) gives 0 or -errno with why. */
typedef int(call_cmd_fn)(struct call *c, int arg, char *why, size_t whylen);

static int do_answer(struct call *c, int arg, char *why, size_t whylen)
{
	(void)arg;
	return call_answer(c, why, whylen);
}

static int do_reject(struct call *c, int code, char *why, size_t whylen)
{
	return call_reject(c, code, why, whylen);
}

static int do_hangup(struct call *c, int arg, char *why, size_t whylen)
{
	(void)arg;
	return call_hangup(c, why, whylen);
}

static int do_hold(struct call *c, int hold, char *why, size_t whylen)
{
	return call_hold(c, hold != 0, why, whylen);
}

/*
 * Run fn on the call named by "call" and reply {"call": handle}, or the
 * error: -EINVAL is a bad "code", anything else failed (why says why).
 * The handle is copied first: fn may end and free the call.
 */
static void call_cmd(struct daemon *dm, struct ctl_req *req, call_cmd_fn *fn, int arg)
{
	struct call *c = arg_call(dm, req);
	char why[256] = "", h[16];
	int err;

	if (!c)
		return;
	snprintf(h, sizeof(h), "%s", call_handle(c));
	if ((err = fn(c, arg, why, sizeof(why))) == 0)
		ctl_reply_ok(req, json_pack("{s:s}", "call", h));
	else if (err == -EINVAL)
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "code", "%s", why);
	else
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "%s", why[0] ? why : strerror(-err));
}

static void h_answer(struct daemon *dm, struct ctl_req *req)
{
	call_cmd(dm, req, do_answer, 0);
}

static void h_reject(struct daemon *dm, struct ctl_req *req)
{
	json_t *code = json_object_get(req->args, "code");
	json_int_t v = code ? json_integer_value(code) : 0;

	if (code && (v < 400 || v > 699)) {
		/* Checked here too, before an int could wrap it into range. */
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, "code", "code %" JSON_INTEGER_FORMAT
			      ": a rejection is 400..699", v);
		return;
	}
	call_cmd(dm, req, do_reject, (int)v);
}

static void h_hangup(struct daemon *dm, struct ctl_req *req)
{
	call_cmd(dm, req, do_hangup, 0);
}

static void h_hold(struct daemon *dm, struct ctl_req *req)
{
	call_cmd(dm, req, do_hold, 1);
}

static void h_resume(struct daemon *dm, struct ctl_req *req)
{
	call_cmd(dm, req, do_hold, 0);
}

static void add_call_row(const struct call *c, void *arg)
{
	struct call_info ci;

	call_info(c, &ci);
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:f, s:s?}", "call", ci.handle,
					     "direction", ci.outgoing ? "out" : "in", "peer",
					     ci.peer ? ci.peer : "", "state", ci.state,
					     "duration_s", ci.duration_s, "codec", ci.codec));
}

static void h_calls(struct daemon *dm, struct ctl_req *req)
{
	json_t *a = json_array();

	calls_foreach(dm->calls, add_call_row, a);
	ctl_reply_ok(req, json_pack("{s:o}", "calls", a));
}

static const char *hold_name(const struct call_info *ci)
{
	if (ci->local_hold && ci->remote_hold)
		return "both";
	return ci->local_hold ? "local" : ci->remote_hold ? "remote" : "none";
}

static void h_call_info(struct daemon *dm, struct ctl_req *req)
{
	struct call *c = arg_call(dm, req);
	struct call_info ci;
	json_t *r, *route;

	if (!c)
		return;
	call_info(c, &ci);
	route = json_array();
	for (size_t i = 0; i < ci.n_route; i++)
		json_array_append_new(route, json_string(ci.route[i]));
	r = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:f, s:I, s:I}", "call", ci.handle,
		      "direction", ci.outgoing ? "out" : "in", "state", ci.state, "transport",
		      ci.transport, "route_set", route, "source", ci.source, "hold",
		      hold_name(&ci), "duration_s", ci.duration_s, "local_cseq",
		      (json_int_t)ci.local_cseq, "remote_cseq", (json_int_t)ci.remote_cseq);
	set_str(r, "peer", ci.peer);
	set_str(r, "local_uri", ci.local_uri);
	set_str(r, "remote_uri", ci.peer);
	set_str(r, "call_id", ci.call_id);
	set_str(r, "local_tag", ci.local_tag);
	set_str(r, "remote_tag", ci.remote_tag);
	set_str(r, "remote_target", ci.remote_target);
	set_str(r, "local_sdp", ci.local_sdp);
	set_str(r, "remote_sdp", ci.remote_sdp);
	set_str(r, "codec", ci.codec);
	if (ci.local_rtp[0])
		set_str(r, "local_rtp", ci.local_rtp);
	if (ci.remote_rtp[0])
		set_str(r, "remote_rtp", ci.remote_rtp);
	ctl_reply_ok(req, r);
}

static const struct {
	const char *name;
	handler_fn *fn;
} handlers[] = {
    {"status", h_status},     {"stats", h_stats},	  {"options", h_options},
    {"log-level", h_log_level}, {"reload", h_reload},	  {"shutdown", h_shutdown},
    {"call", h_call},	      {"answer", h_answer},	  {"reject", h_reject},
    {"hangup", h_hangup},     {"hold", h_hold},		  {"resume", h_resume},
    {"calls", h_calls},	      {"call-info", h_call_info},
};

static handler_fn *handler_find(const char *name)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].name, name) == 0)
			return handlers[i].fn;
	return NULL;
}

bool daemon_ctl_serves(const char *name)
{
	return handler_find(name) != NULL;
}

void daemon_ctl_dispatch(void *arg, struct ctl_req *req)
{
	struct daemon *dm = arg;
	handler_fn *fn = handler_find(req->cmd);

	if (!fn) {
		/* In the table but served by no one: a bug, said as such. */
		log_err("control command '%s' has no handler", req->cmd);
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "'%s' is not implemented by this daemon",
			      req->cmd);
		return;
	}
	fn(dm, req);
}
