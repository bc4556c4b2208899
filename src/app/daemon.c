/*
 * daemon: the one context, and the glue between the layers.
 *
 * Owns the event loop and everything on it.  Data flows up: the transport
 * hands a message's bytes to on_packet(), which parses them, applies the
 * §8.2 checks (answering a bad request statelessly, dropping a bad
 * response), notes the source in the Via (§18.2.1) and gives the message to
 * the transaction layer, which hands new requests to the UA core.  Bytes
 * flow down through send_bytes() into the transport.  Both directions are
 * counted per method and status code as they cross the wire.
 *
 * The life cycle, as systemd sees it (Type=notify):
 *   start    the control socket, then every listener; READY=1 only when all
 *            are up, so a client that waits for readiness can talk at once.
 *   SIGHUP   RELOADING=1, re-read the file, READY=1: an invalid file keeps the
 *            running config; keys that need a restart are reported.  Either
 *            way a config.reload event goes to subscribers.
 *   SIGTERM  STOPPING=1; stop taking calls, end the ones in progress and
 *   SIGINT   registrations, exit 0 when nothing is left or after
 *            [sip] shutdown_timeout_s.  A second signal exits at once.
 *   WATCHDOG=1 every half of WatchdogSec, STATUS= a one-line summary.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "core/cfg.h"
#include "app/daemon.h"
#include "app/daemon_int.h"
#include "core/log.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "media/codec.h"
#include "ctl/ctl.h"
#include "sip/msg.h"
#include "sip/tp.h"
#include "sip/tsx.h"
#include "ua/call.h"
#include "ua/options.h"
#include "ua/ua.h"

/* How often STATUS= is refreshed while systemd listens. */
#define STATUS_EVERY_MS 5000
/* How often a stopping daemon looks whether everything has ended. */
#define DRAIN_EVERY_MS 100

void daemon_notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void tsx_cfg_from(const struct cfg *cfg, struct tsx_cfg *tc)
{
	tc->t1_ms = cfg->t1_ms;
	tc->t2_ms = cfg->t2_ms;
	tc->t4_ms = cfg->t4_ms;
	tc->max_tsx = cfg->max_transactions;
	tc->retry_after_s = cfg->retry_after_s;
	tc->server = cfg->user_agent;
}

static void tp_opts_from(const struct cfg *cfg, struct tp_opts *o)
{
	o->max_msg = cfg->max_message_size;
	o->max_tcp_conns = cfg->max_tcp_connections;
	o->tcp_idle_s = cfg->tcp_idle_timeout_s;
}

static void ctl_cfg_from(const struct cfg *cfg, struct ctl_cfg *cc)
{
	cc->path = cfg->socket;
	cc->owner = cfg->owner == CFG_ID_NONE ? (uid_t)-1 : (uid_t)cfg->owner;
	cc->group = cfg->group == CFG_ID_NONE ? (gid_t)-1 : (gid_t)cfg->group;
	cc->max_clients = cfg->max_clients;
	cc->max_line = cfg->max_line_bytes;
	cc->event_queue = cfg->event_queue;
}

static void call_cfg_from(const struct cfg *cfg, struct call_cfg *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->user_agent = cfg->user_agent;
	cc->answer = cfg->answer == CFG_ANSWER_MANUAL	? CALL_ANSWER_MANUAL
		     : cfg->answer == CFG_ANSWER_REJECT ? CALL_ANSWER_REJECT
							: CALL_ANSWER_AUTO;
	cc->answer_delay_ms = cfg->answer_delay_ms;
	cc->reject_code = cfg->reject_code;
	cc->ring_timeout_s = cfg->ring_timeout_s;
	cc->max_calls = cfg->max_calls;
	cc->retry_after_s = cfg->retry_after_s;
	cc->t1_ms = cfg->t1_ms;
	cc->t2_ms = cfg->t2_ms;
	for (unsigned i = 0; i < cfg->n_codecs && i < CFG_MAX_CODECS; i++)
		cc->codecs[cc->n_codecs++] = cfg->codecs[i];
	cc->dtmf = cfg->dtmf;
}

static int send_bytes(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	struct daemon *dm = arg;
	int err = tp_send(dm->tp, d, buf, len);

	if (err < 0)
		dm->stats.tx_errors++;
	else
		stats_count_wire(&dm->stats.tx, buf, len);
	return err;
}

/* Our address for Via and Contact: the first listener of proto and family. */
static int local_addr(void *arg, enum net_proto proto, int family, struct net_addr *out)
{
	struct daemon *dm = arg;

	return tp_local(dm->tp, proto, family, out);
}

/* Only CR, LF and blanks: a keepalive, not a message. */
static bool is_blank(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\r' && buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\t')
			return false;
	return true;
}

static void on_bad_request(struct daemon *dm, struct sip_msg *m, const struct msg_err *e)
{
	char a[NET_ADDR_STRLEN];

	dm->stats.rx_bad_requests++;
	if (e->code == 513)
		dm->stats.rx_oversize++;
	log_info("%s from %s:%s answered %d %s", m->method ? m->method : "request",
		 net_proto_name(m->src.proto), net_addr_fmt(&m->src.addr, a, sizeof(a)), e->code,
		 e->reason);
	tsx_reply_stateless(dm->tsx, m, e);
	msg_free(m);
}

static void on_packet(void *arg, const struct tp_pkt *pkt)
{
	struct daemon *dm = arg;
	struct sip_msg *m = NULL;
	struct msg_err e;
	const char *why;
	char a[NET_ADDR_STRLEN];

	if (is_blank(pkt->buf, pkt->len))
		return;
	if (msg_parse(&m, pkt->buf, pkt->len, pkt->oversize) < 0) {
		dm->stats.rx_malformed++;
		log_debug("%s: unparseable %zu bytes from %s dropped",
			  net_proto_name(pkt->src.proto), pkt->len,
			  net_addr_fmt(&pkt->src.addr, a, sizeof(a)));
		return;
	}
	stats_count(&dm->stats.rx, m->is_request ? m->method : NULL, m->status);
	m->src = pkt->src;
	if (!m->is_request) {
		dm->stats.rx_responses++;
		if (!msg_check_response(m, &why)) {
			dm->stats.rx_bad_responses++;
			log_info("response from %s dropped: %s",
				 net_addr_fmt(&m->src.addr, a, sizeof(a)), why);
			msg_free(m);
			return;
		}
		tsx_layer_recv(dm->tsx, m);
		return;
	}
	dm->stats.rx_requests++;
	if (m->via_host)
		msg_stamp_via(m);
	if (!msg_check_request(m, &e)) {
		on_bad_request(dm, m, &e);
		return;
	}
	tsx_layer_recv(dm->tsx, m);
}

static void on_conn(void *arg, uint64_t conn, int err)
{
	struct daemon *dm = arg;

	tsx_layer_conn_closed(dm->tsx, conn, err);
}

static int listen_all(struct daemon *dm)
{
	char a[NET_ADDR_STRLEN];
	struct net_addr bound;
	int err;

	for (unsigned i = 0; i < dm->cfg->n_listen; i++) {
		const struct cfg_listen *l = &dm->cfg->listen[i];

		if ((err = tp_listen(dm->tp, l->proto, &l->addr, &bound)) < 0) {
			log_err(
			    "cannot listen on %s: %s%s", l->text, strerror(-err),
			    err == -EACCES && net_addr_port(&l->addr) < 1024
				? " (a port below 1024 needs CAP_NET_BIND_SERVICE; see sipuad(8))"
				: "");
			return err;
		}
		dm->listeners[dm->n_listeners].proto = l->proto;
		dm->listeners[dm->n_listeners++].addr = bound;
		log_info("listening on %s:%s", net_proto_name(l->proto),
			 net_addr_fmt(&bound, a, sizeof(a)));
	}
	return 0;
}

/* Give every layer the values of a new config that apply at run time. */
static void apply_cfg(struct daemon *dm, const struct cfg *n)
{
	struct tsx_cfg tc;
	struct tp_opts o;
	struct ctl_cfg cc;
	struct ua_cfg uc = {.user_agent = n->user_agent};
	struct call_cfg kc;

	log_set_level(n->log_level);
	call_cfg_from(n, &kc);
	if (calls_set_cfg(dm->calls, &kc) < 0)
		log_warn("reload: the [call] and [media] settings could not be applied");
	tsx_cfg_from(n, &tc);
	tsx_layer_set_cfg(dm->tsx, &tc);
	tp_opts_from(n, &o);
	tp_set_opts(dm->tp, &o);
	ua_set_cfg(dm->ua, &uc);
	options_set_user_agent(dm->opts, n->user_agent);
	ctl_cfg_from(n, &cc);
	ctl_set_cfg(dm->ctl, &cc);
}

/* restart_needed as a JSON array of "section.key" from cfg_restart_needed()'s text. */
static json_t *restart_list(const char *text)
{
	json_t *a = json_array();
	const char *p = text;

	while (a && *p) {
		size_t n = strcspn(p, ",");

		json_array_append_new(a, json_stringn(p, n));
		p += n;
		p += strspn(p, ", ");
	}
	return a;
}

json_t *daemon_reload(struct daemon *dm)
{
	struct cfg *n = NULL;
	char *errs = NULL, restart[512];
	json_t *ev;
	int err;

	daemon_notify("RELOADING=1");
	if ((err = cfg_load(dm->cfg_path, codec_cfg_name, &n, &errs)) < 0) {
		log_err("reload of %s failed; the running config is kept:\n%s", dm->cfg_path,
			errs ? errs : strerror(-err));
		ev = json_pack("{s:b, s:s, s:s, s:[]}", "ok", 0, "config", dm->cfg_path, "errors",
			       errs ? errs : strerror(-err), "restart_needed");
		free(errs);
		daemon_notify("READY=1");
		goto out;
	}
	if (cfg_restart_needed(dm->cfg, n, restart, sizeof(restart)))
		log_warn("reload: %s changed; that takes effect only after a restart", restart);
	/* Keys that need a restart keep their running values. */
	cfg_keep_running(n, dm->cfg);
	apply_cfg(dm, n);
	cfg_free(dm->cfg);
	dm->cfg = n;
	log_info("reloaded %s", dm->cfg_path);
	ev = json_pack("{s:b, s:s, s:s, s:o}", "ok", 1, "config", dm->cfg_path, "errors", "",
		       "restart_needed", restart_list(restart));
	daemon_notify("READY=1");
out:
	if (ev)
		ctl_event(dm->ctl, "config.reload", json_deep_copy(ev));
	return ev;
}

/* Calls (and, to come, registrations) still to end before the daemon may exit. */
static unsigned pending_work(const struct daemon *dm)
{
	return ua_active(dm->ua);
}

static void finish(struct daemon *dm)
{
	tmr_stop(&dm->drain_tmr);
	tmr_stop(&dm->stop_tmr);
	event_base_loopexit(dm->base, NULL);
}

static void on_drain(void *arg)
{
	struct daemon *dm = arg;

	if (pending_work(dm) == 0) {
		log_info("shutdown: nothing left to end");
		finish(dm);
		return;
	}
	tmr_start(&dm->drain_tmr, DRAIN_EVERY_MS);
}

static void on_stop_timeout(void *arg)
{
	struct daemon *dm = arg;

	log_warn("shutdown: %u call(s) or registration(s) still ending after %u s "
		 "([sip] shutdown_timeout_s); exiting anyway",
		 pending_work(dm), dm->cfg->shutdown_timeout_s);
	finish(dm);
}

void daemon_shutdown(struct daemon *dm, const char *why)
{
	if (dm->stopping) {
		log_warn("%s while stopping: exiting now", why);
		finish(dm);
		return;
	}
	dm->stopping = true;
	log_info("%s: shutting down", why);
	daemon_notify("STOPPING=1");
	ctl_event(
	    dm->ctl, "daemon.stopping",
	    json_pack("{s:s, s:i}", "reason", why, "timeout_s", (int)dm->cfg->shutdown_timeout_s));
	tmr_start(&dm->stop_tmr, (uint64_t)dm->cfg->shutdown_timeout_s * 1000);
	tmr_start(&dm->drain_tmr, 0);
	/* BYE, CANCEL or 480 for each call; new INVITEs get 503 from here on. */
	calls_shutdown(dm->calls);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *dm = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading %s", dm->cfg_path);
		json_decref(daemon_reload(dm));
		return;
	}
	daemon_shutdown(dm, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int hook_signals(struct daemon *dm)
{
	signal(SIGPIPE, SIG_IGN);
	dm->sig_term = evsignal_new(dm->base, SIGTERM, on_signal, dm);
	dm->sig_int = evsignal_new(dm->base, SIGINT, on_signal, dm);
	dm->sig_hup = evsignal_new(dm->base, SIGHUP, on_signal, dm);
	if (!dm->sig_term || !dm->sig_int || !dm->sig_hup || evsignal_add(dm->sig_term, NULL) ||
	    evsignal_add(dm->sig_int, NULL) || evsignal_add(dm->sig_hup, NULL))
		return -ENOMEM;
	return 0;
}

/* "udp:127.0.0.1:5060 ..., 0 transactions, 1 TCP connection, 2 control clients" */
static void status_line(const struct daemon *dm, char *buf, size_t size)
{
	snprintf(buf, size,
		 "STATUS=%s%u call(s), %u listener(s), %u transaction(s), %u TCP connection(s), "
		 "%u control client(s)",
		 dm->stopping ? "stopping: " : "", calls_count(dm->calls), dm->n_listeners,
		 tsx_layer_count(dm->tsx),
		 tp_conn_count(dm->tp), ctl_client_count(dm->ctl));
}

static void on_status(void *arg)
{
	struct daemon *dm = arg;
	char line[256];

	status_line(dm, line, sizeof(line));
	daemon_notify(line);
	tmr_start(&dm->status_tmr, STATUS_EVERY_MS);
}

static void on_watchdog(void *arg)
{
	struct daemon *dm = arg;

	daemon_notify("WATCHDOG=1");
	tmr_start(&dm->watchdog, dm->watchdog_ms);
}

/* systemd's watchdog and status line, when it is listening. */
static void hook_systemd(struct daemon *dm)
{
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		dm->watchdog_ms = usec / 2000;
		log_info("systemd watchdog every %llu ms", (unsigned long long)dm->watchdog_ms);
		tmr_start(&dm->watchdog, dm->watchdog_ms);
	}
	if (getenv("NOTIFY_SOCKET"))
		tmr_start(&dm->status_tmr, STATUS_EVERY_MS);
#else
	(void)dm;
#endif
}

static int build_layers(struct daemon *dm)
{
	struct tsx_cfg tc;
	struct tsx_user user;
	struct tp_opts o;
	struct ua_cfg uc = {.user_agent = dm->cfg->user_agent};
	struct options_env oe;
	struct call_env ce;
	struct call_cfg kc;
	int err;

	if ((err = tmr_clock_new(&dm->clk, dm->base)) < 0 ||
	    (err = ua_new(&dm->ua, &uc, &dm->stats)) < 0)
		return err;
	dm->started_ms = tmr_now(dm->clk);
	tmr_init(&dm->watchdog, dm->clk, on_watchdog, dm);
	tmr_init(&dm->status_tmr, dm->clk, on_status, dm);
	tmr_init(&dm->stop_tmr, dm->clk, on_stop_timeout, dm);
	tmr_init(&dm->drain_tmr, dm->clk, on_drain, dm);
	ua_tsx_user(dm->ua, &user);
	tsx_cfg_from(dm->cfg, &tc);
	if ((err = tsx_layer_new(&dm->tsx, dm->clk, &tc, send_bytes, dm, &user, &dm->stats)) < 0)
		return err;
	ua_set_layer(dm->ua, dm->tsx);
	oe = (struct options_env){.tsx = dm->tsx,
				  .clk = dm->clk,
				  .local = local_addr,
				  .local_arg = dm,
				  .user_agent = dm->cfg->user_agent};
	if ((err = options_new(&dm->opts, &oe)) < 0)
		return err;
	ce = (struct call_env){.tsx = dm->tsx,
			       .clk = dm->clk,
			       .local = local_addr,
			       .local_arg = dm,
			       .event = daemon_call_event,
			       .event_arg = dm,
			       .rtp_port_min = (uint16_t)dm->cfg->rtp_port_min,
			       .rtp_port_max = (uint16_t)dm->cfg->rtp_port_max};
	call_cfg_from(dm->cfg, &kc);
	if ((err = calls_new(&dm->calls, &ce, &kc)) < 0)
		return err;
	ua_set_calls(dm->ua, dm->calls);
	tp_opts_from(dm->cfg, &o);
	return tp_new(&dm->tp, dm->base, &o, on_packet, on_conn, dm, &dm->stats);
}

/*
 * The control socket comes up before the listeners: when a second daemon
 * is started on the same config, the cause it reports is the running one.
 */
static int open_control(struct daemon *dm)
{
	struct ctl_cfg cc;

	ctl_cfg_from(dm->cfg, &cc);
	return ctl_new(&dm->ctl, dm->base, &cc, PACKAGE_VERSION, daemon_ctl_dispatch, dm);
}

int daemon_new(struct daemon **dp, struct cfg *cfg, const char *cfg_path)
{
	struct daemon *dm = calloc(1, sizeof(*dm));
	int err = -ENOMEM;

	if (!dm) {
		cfg_free(cfg);
		return -ENOMEM;
	}
	dm->cfg = cfg;
	if (!(dm->cfg_path = strdup(cfg_path)) || !(dm->base = event_base_new()))
		goto out;
	msg_lib_init();
	if ((err = build_layers(dm)) < 0) {
		log_err("cannot start: %s", strerror(-err));
		goto out;
	}
	if ((err = open_control(dm)) < 0 || (err = listen_all(dm)) < 0 ||
	    (err = hook_signals(dm)) < 0)
		goto out;
	*dp = dm;
	return 0;
out:
	daemon_free(dm);
	return err;
}

int daemon_run(struct daemon *dm)
{
	char line[256];

	status_line(dm, line, sizeof(line));
	daemon_notify(line);
	daemon_notify("READY=1");
	hook_systemd(dm);
	log_info("sipuad %s ready; control socket %s", PACKAGE_VERSION, dm->cfg->socket);
	if (event_base_dispatch(dm->base) < 0) {
		log_err("event loop failed");
		return 1;
	}
	log_info("stopped");
	return dm->exit_status;
}

void daemon_free(struct daemon *dm)
{
	if (!dm)
		return;
	if (dm->sig_term)
		event_free(dm->sig_term);
	if (dm->sig_int)
		event_free(dm->sig_int);
	if (dm->sig_hup)
		event_free(dm->sig_hup);
	tmr_close(&dm->watchdog);
	tmr_close(&dm->status_tmr);
	tmr_close(&dm->stop_tmr);
	tmr_close(&dm->drain_tmr);
	/* Pings in flight are answered (cancelled) while the control socket is still up. */
	options_free(dm->opts);
	/* Calls still up after a forced exit go without a word: their peers time out. */
	if (dm->ua)
		ua_set_calls(dm->ua, NULL);
	calls_free(dm->calls);
	ctl_free(dm->ctl);
	tp_free(dm->tp);
	tsx_layer_free(dm->tsx);
	ua_free(dm->ua);
	tmr_clock_free(dm->clk);
	if (dm->base)
		event_base_free(dm->base);
	cfg_free(dm->cfg);
	free(dm->cfg_path);
	free(dm);
}
