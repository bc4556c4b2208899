/*
 * daemon_ctl: the daemon's dispatch of control commands, and the commands
 * about the daemon as a whole (CTL_CMDS_DAEMON: status, stats, options,
 * log-level, reload, shutdown).
 *
 * The control server (ctl/) frames and checks every request against the
 * command table and answers the commands of CTL_CMDS_CTL itself.  Every
 * other one arrives at daemon_ctl_dispatch(), arguments already
 * type-checked, and goes to the handler its row names, through a table
 * expanded from the same rows (ctl/ctl_cmds.h): no name is looked up and
 * none can be missing.  A handler replies at once, or keeps the request and
 * replies when its work ends (options: when the final response arrives).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/daemon_accounts.h"
#include "app/daemon_ctl.h"
#include "app/daemon_int.h"
#include "core/log.h"
#include "core/why.h"
#include "ctl/ctl.h"
#include "ctl_proto.h"
#include "media/msrtp.h"
#include "sip/sip.h"
#include "ua/call.h"
#include "ua/options.h"

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

/* TLS connections shown by status at most; tls_connection_count has them all. */
#define STATUS_TLS_CONNS_MAX 100

/* One TLS connection, as status lists it: what a call shows of it, and where it runs. */
static json_t *tls_conn_json(const struct tp_conn_info *ci)
{
	char id[32], peer[NET_ADDR_STRLEN], local[NET_ADDR_STRLEN];
	json_t *o = daemon_tls_json(ci);

	snprintf(id, sizeof(id), "tls%llu", (unsigned long long)ci->id);
	if (o)
		json_object_update_new(
		    o, json_pack("{s:s, s:s, s:s, s:s}", "id", id, "peer",
				 net_addr_fmt(&ci->peer, peer, sizeof(peer)), "local",
				 net_addr_fmt(&ci->local, local, sizeof(local)), "direction",
				 ci->outgoing ? "out" : "in"));
	return o;
}

static void add_tls_conn(void *arg, const struct tp_conn_info *ci)
{
	json_t *a = arg;

	if (ci->proto == NET_TLS && json_array_size(a) < STATUS_TLS_CONNS_MAX)
		json_array_append_new(a, tls_conn_json(ci));
}

/* The first STATUS_TLS_CONNS_MAX open TLS connections, in the transport's order. */
static json_t *tls_conns_json(const struct daemon *dm)
{
	json_t *a = json_array();

	if (a)
		sip_conn_foreach(dm->sip, add_tls_conn, a);
	return a;
}

void daemon_ctl_status(struct daemon *dm, struct ctl_req *req)
{
	uint64_t up = (tmr_now(dm->clk) - dm->started_ms) / 1000;
	json_t *r;
	unsigned n_reg = 0;

	r = json_pack("{s:s, s:i, s:I, s:s, s:I, s:s, s:s, s:o, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
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
			       (json_int_t)ctl_last_seq(dm->ctl));
	if (r) {
		json_object_set_new(r, "accounts", json_integer(daemon_accounts_count(dm)));
		daemon_accounts_registered(dm, &n_reg);
		json_object_set_new(r, "registered", json_integer(n_reg));
		json_object_set_new(r, "rtp_ports_kept", json_integer(calls_rtp_kept(dm->calls)));
		json_object_set_new(r, "tls_available", json_boolean(dm->tls_ok));
		json_object_set_new(r, "srtp_crypto", json_string(msrtp_crypto()));
		json_object_set_new(r, "tls_connection_count",
				    json_integer(sip_tls_conn_count(dm->sip)));
		json_object_set_new(r, "tls_connections", tls_conns_json(dm));
	}
	ctl_reply_ok(req, r);
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

/* Handshakes done and failed (by why), and the TLS connections open now. */
static json_t *tls_stats_json(const struct daemon *dm)
{
	const struct stats *s = &dm->stats;

	return json_pack(
	    "{s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}", "handshakes", (json_int_t)s->tls_handshakes,
	    "resumed", (json_int_t)s->tls_resumed, "connections",
	    (json_int_t)sip_tls_conn_count(dm->sip), "failures", "verify",
	    (json_int_t)s->tls_fail_verify, "timeout", (json_int_t)s->tls_fail_timeout, "protocol",
	    (json_int_t)s->tls_fail_protocol, "closed", (json_int_t)s->tls_fail_closed);
}

/*
 * The classes of rate-limited log lines (log.h) used since the start: every
 * event of each, logged or not, and how many lines were suppressed.
 */
static json_t *log_stats_json(void)
{
	json_t *o = json_object();

	for (const struct log_rl *rl = log_rl_next(NULL); o && rl; rl = log_rl_next(rl))
		json_object_set_new(o, rl->key,
				    json_pack("{s:I, s:I}", "count", (json_int_t)rl->total,
					      "suppressed", (json_int_t)rl->total_dropped));
	return o;
}

void daemon_ctl_stats(struct daemon *dm, struct ctl_req *req)
{
	const struct stats *s = &dm->stats;
	uint64_t tx_req = 0, tx_resp = 0;
	json_t *r;

	for (unsigned i = 0; i < STATS_NMETHODS; i++)
		tx_req += s->tx.method[i];
	for (unsigned i = 0; i < STATS_NCODES; i++)
		tx_resp += s->tx.code[i];
	r = json_pack(
	    "{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}", "in",
	    dir_json(&s->rx, s->rx_requests, s->rx_responses), "out",
	    dir_json(&s->tx, tx_req, tx_resp), "malformed_dropped", (json_int_t)s->rx_malformed,
	    "bad_requests_answered", (json_int_t)s->rx_bad_requests, "bad_responses_dropped",
	    (json_int_t)s->rx_bad_responses, "oversize", (json_int_t)s->rx_oversize,
	    "retransmissions_in", (json_int_t)s->rx_retransmissions, "retransmissions_out",
	    (json_int_t)s->tx_retransmissions, "stray_responses", (json_int_t)s->rx_stray_responses,
	    "sent_503", (json_int_t)s->tx_503, "send_errors", (json_int_t)s->tx_errors, "tcp",
	    "accepted", (json_int_t)s->tcp_accepted, "refused", (json_int_t)s->tcp_refused,
	    "idle_closed", (json_int_t)s->tcp_idle_closed);
	if (r) {
		json_object_set_new(r, "tls", tls_stats_json(dm));
		json_object_set_new(r, "log", log_stats_json());
	}
	ctl_reply_ok(req, r);
}

void daemon_ctl_log_level(struct daemon *dm, struct ctl_req *req)
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

void daemon_ctl_reload(struct daemon *dm, struct ctl_req *req)
{
	json_t *r = daemon_reload(dm);

	if (!r) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "out of memory");
		return;
	}
	if (json_is_true(json_object_get(r, "applied")) &&
	    !json_is_true(json_object_get(r, "ok"))) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL,
			      "%s: applied, but the [tls] files did not load; the running TLS "
			      "settings are kept:\n%s",
			      dm->cfg_path, json_string_value(json_object_get(r, "errors")));
		json_decref(r);
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
	json_object_del(r, "applied");
	json_object_del(r, "errors");
	ctl_reply_ok(req, r);
}

void daemon_ctl_shutdown(struct daemon *dm, struct ctl_req *req)
{
	ctl_reply_ok(req, json_pack("{s:i}", "timeout_s", (int)dm->cfg->shutdown_timeout_s));
	daemon_shutdown(dm, "shutdown command");
}

void daemon_ctl_reply_why(struct ctl_req *req, int err, const struct why *w)
{
	const char *msg = w->msg[0] ? w->msg : strerror(-err);

	switch (w->kind) {
	case WHY_ARG:
		ctl_reply_err(req, CTL_ERR_BAD_ARGUMENT, w->arg, "%s", msg);
		return;
	case WHY_NOT_FOUND:
		ctl_reply_err(req, CTL_ERR_NOT_FOUND, w->arg, "%s", msg);
		return;
	case WHY_BUSY:
		ctl_reply_err(req, CTL_ERR_BUSY, NULL, "%s", msg);
		return;
	case WHY_FAILED:
		break;
	}
	ctl_reply_err(req, CTL_ERR_FAILED, NULL, "%s", msg);
}

/* A ping ended: its final response, or the 408 / 503 it stands for. */
static void on_options_done(void *arg, const struct options_result *r)
{
	struct ctl_req *req = arg;

	if (r->err == -ECANCELED) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "sipuad is shutting down");
		return;
	}
	if (r->local && !r->dest[0]) {
		/* Sent nowhere: the URI's name did not resolve, or no target could be used. */
		ctl_reply_err_fields(req, CTL_ERR_FAILED, NULL,
				     json_pack("{s:i, s:s, s:f}", "sip_code", r->code, "reason",
					       r->reason, "elapsed_ms", r->rtt_ms),
				     "%d %s", r->code, r->reason);
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

void daemon_ctl_options(struct daemon *dm, struct ctl_req *req)
{
	const char *uri = json_string_value(json_object_get(req->args, "uri"));
	const char *account = json_string_value(json_object_get(req->args, "account"));
	struct why why;
	int err;

	if (dm->stopping) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "sipuad is shutting down");
		return;
	}
	if ((err = options_send(dm->opts, uri, account, on_options_done, req, &why)) < 0)
		daemon_ctl_reply_why(req, err, &why);
}

/* Every command the daemon serves, by row: expanded from the rows themselves. */
#define DAEMON_CTL_HANDLER_(id, name, usage, help, handler, ...) [CTL_CMD_##id] = handler,
static daemon_ctl_fn *const handlers[CTL_NCMDS] = {CTL_CMDS_APP(DAEMON_CTL_HANDLER_)};
#undef DAEMON_CTL_HANDLER_

void daemon_ctl_dispatch(void *arg, struct ctl_req *req)
{
	/* ctl dispatches only the rows of CTL_CMDS_APP, and each has its handler. */
	handlers[req->cmd_id](arg, req);
}
