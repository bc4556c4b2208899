/*
 * daemon: the one context, and the glue between the layers.
 *
 * Owns the event loop and everything on it: the SIP stack (sip.h: the
 * transports, the transaction layer and the receive pipeline), the UA core
 * registered on it as the transaction user, the call table, the OPTIONS
 * pinger and the control socket.  It builds each layer's view of the
 * config, here and nowhere else, and applies a reloaded one.
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
#include <sys/prctl.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "app/daemon.h"
#include "app/daemon_int.h"
#include "core/cfg.h"
#include "core/log.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "media/codec.h"
#include "media/msrtp.h"
#include "ctl/ctl.h"
#include "sip/msg.h"
#include "sip/sip.h"
#include "ua/account.h"
#include "app/daemon_accounts.h"
#include "app/daemon_tls.h"
#include "sip/dns.h"
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

static void sip_cfg_from(const struct cfg *cfg, struct sip_cfg *sc)
{
	*sc = (struct sip_cfg){
	    .tsx = {.t1_ms = cfg->t1_ms,
		.t2_ms = cfg->t2_ms,
		.t4_ms = cfg->t4_ms,
		.max_tsx = cfg->max_transactions,
		.retry_after_s = cfg->retry_after_s,
		.server = cfg->user_agent},
	    .tp = {.max_msg = cfg->max_message_size,
		.max_tcp_conns = cfg->max_tcp_connections,
		.tcp_idle_s = cfg->tcp_idle_timeout_s},
	};
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
	cc->answer = cfg->answer == CFG_ANSWER_MANUAL	? CALL_ANSWER_MANUAL
		     : cfg->answer == CFG_ANSWER_REJECT ? CALL_ANSWER_REJECT
							: CALL_ANSWER_AUTO;
	cc->answer_delay_ms = cfg->answer_delay_ms;
	cc->reject_code = cfg->reject_code;
	cc->ring_timeout_s = cfg->ring_timeout_s;
	cc->max_calls = cfg->max_calls;
	for (unsigned i = 0; i < cfg->n_codecs && i < CFG_MAX_CODECS; i++)
		cc->codecs[cc->n_codecs++] = cfg->codecs[i];
	cc->dtmf = cfg->dtmf;
	cc->source = cfg->source;
	cc->source_loop = cfg->source_loop != 0;
	cc->record_dir = cfg->record_dir;
	cc->srtp = (int)cfg->srtp;
	cc->rtcp_mux = cfg->rtcp_mux != 0;
	cc->srtp_insecure_signalling = cfg->srtp_insecure_signalling != 0;
}

static void media_cfg_from(const struct cfg *cfg, struct media_engine_cfg *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->rtp_timeout_s = cfg->rtp_timeout_s;
	mc->symmetric = cfg->symmetric_rtp != 0;
}

/*
 * [sip] dns_servers, and the transports we can use (RFC 3263 §4.1): those
 * of the listeners, and TLS when the config asks for it and the transport
 * took the [tls] settings (as a client, TLS needs no listener).  Not
 * merely because TLS could work: a name whose NAPTR prefers TLS would then
 * move calls of a config that never spoke of TLS onto it.
 */
static void dns_cfg_from(const struct daemon *dm, const struct cfg *cfg, struct dns_cfg *dc)
{
	memset(dc, 0, sizeof(*dc));
	dc->servers = cfg->dns_servers;
	for (unsigned i = 0; i < cfg->n_listen; i++)
		dc->transports |= cfg->listen[i].proto == NET_TCP   ? DNS_TP_TCP
				  : cfg->listen[i].proto == NET_TLS ? DNS_TP_TLS
								    : DNS_TP_UDP;
	if (dm->tls_ok && daemon_tls_wanted(cfg))
		dc->transports |= DNS_TP_TLS;
}

static int listen_all(struct daemon *dm)
{
	char a[NET_ADDR_STRLEN];
	struct net_addr bound;
	int err;

	for (unsigned i = 0; i < dm->cfg->n_listen; i++) {
		const struct cfg_listen *l = &dm->cfg->listen[i];

		if ((err = sip_listen(dm->sip, l->proto, &l->addr, &bound)) < 0) {
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

/*
 * SDES keys (RFC 4568) end up in many places of the daemon's memory: the
 * SDP we keep, the messages being retransmitted, libsrtp2's contexts; a
 * TLS private key sits in OpenSSL's context.  A core dump would hold them
 * all, so while any SRTP or a [tls] private_key is configured the process
 * is made non-dumpable (prctl PR_SET_DUMPABLE), once: a later reload that
 * drops them does not make the keys of earlier calls vanish.
 */
static void protect_keys(struct daemon *dm, const struct cfg *cfg)
{
	bool srtp = cfg->srtp != CFG_SRTP_OFF, tls = cfg->tls_private_key[0] != '\0';

	for (unsigned i = 0; i < cfg->n_accounts && !srtp; i++)
		srtp = cfg->accounts[i].srtp > CFG_SRTP_OFF;
	if ((!srtp && !tls) || dm->keys_protected)
		return;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_warn("cannot turn core dumps off for %s: %s",
			 srtp ? "SRTP keys" : "the TLS key", strerror(errno));
		return;
	}
	dm->keys_protected = true;
	if (srtp)
		log_info("SRTP configured: core dumps are off, so that they cannot hold SDES keys");
	else
		log_info("TLS private key configured: core dumps are off, so that they cannot "
			 "hold it");
}

/* The rate limits of lines remote input causes (log.h tiers). */
static void log_limits(const struct cfg *c)
{
	log_rl_set_budget(LOG_RL_PEER, CFG_RL_BURST(c->log_rate_limit),
			  CFG_RL_INTERVAL(c->log_rate_limit));
	log_rl_set_budget(LOG_RL_CALL, CFG_RL_BURST(c->log_rate_limit_calls),
			  CFG_RL_INTERVAL(c->log_rate_limit_calls));
}

static uint64_t log_clock(void *arg)
{
	const struct daemon *dm = arg;

	return tmr_now(dm->clk);
}

/* A summary falls due at `at`: one timer, moved earlier when a sooner one comes. */
static void log_due(void *arg, uint64_t at)
{
	struct daemon *dm = arg;
	uint64_t now = tmr_now(dm->clk);

	if (tmr_armed(&dm->log_tmr) && dm->log_due <= at)
		return;
	dm->log_due = at;
	tmr_start(&dm->log_tmr, at > now ? at - now : 0);
}

/* Summaries come out when their window ends, even if the daemon logs nothing else. */
static void on_log_due(void *arg)
{
	uint64_t next = log_rl_flush(false);

	if (next)
		log_due(arg, next);
}

/* Give every layer the values of a new config that apply at run time. */
static void apply_cfg(struct daemon *dm, const struct cfg *n)
{
	struct sip_cfg sc;
	struct ctl_cfg cc;
	struct call_cfg kc;

	log_set_level(n->log_level);
	log_limits(n);
	protect_keys(dm, n);
	ua_set_accounts(dm->ua, daemon_account_for_user, dm, n->accept_unknown_users);
	{
		struct dns_cfg dc;

		dns_cfg_from(dm, n, &dc);
		if (dm->dns && (strcmp(dm->cfg->dns_servers, n->dns_servers) != 0 ||
				dc.transports != dm->dns_transports)) {
			if (dns_set_cfg(dm->dns, &dc) < 0)
				log_warn("reload: [sip] dns_servers could not be applied; the old "
					 "servers stay");
			else
				dm->dns_transports = dc.transports;
		}
	}
	daemon_accounts_reload(dm, n);
	call_cfg_from(n, &kc);
	if (calls_set_cfg(dm->calls, &kc) < 0)
		log_warn("reload: the [call] and [media] settings could not be applied");
	{
		struct media_engine_cfg mc;

		media_cfg_from(n, &mc);
		media_engine_set_cfg(dm->media, &mc);
	}
	sip_cfg_from(n, &sc);
	sip_set_cfg(dm->sip, &sc);
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
	char *errs = NULL, restart[512], tls_errs[1024] = "";
	json_t *ev;
	int err;

	daemon_notify("RELOADING=1");
	if ((err = cfg_load(dm->cfg_path, codec_cfg_name, &n, &errs)) < 0) {
		log_err("reload of %s failed; the running config is kept:\n%s", dm->cfg_path,
			errs ? errs : strerror(-err));
		ev = json_pack("{s:b, s:b, s:s, s:s, s:[]}", "ok", 0, "applied", 0, "config",
			       dm->cfg_path, "errors", errs ? errs : strerror(-err),
			       "restart_needed");
		free(errs);
		daemon_notify("READY=1");
		goto out;
	}
	if (cfg_restart_needed(dm->cfg, n, restart, sizeof(restart)))
		log_warn("reload: %s changed; that takes effect only after a restart", restart);
	/* Keys that need a restart keep their running values. */
	cfg_keep_running(n, dm->cfg);
	/* [tls] files that do not load leave the running TLS settings, and only those. */
	err = daemon_tls_reload(dm, n, tls_errs, sizeof(tls_errs) - 1); /* room for its \n */
	apply_cfg(dm, n);
	cfg_free(dm->cfg);
	dm->cfg = n;
	log_info("reloaded %s%s", dm->cfg_path, err < 0 ? " but for [tls]" : "");
	if (err < 0)
		strcat(tls_errs, "\n");
	ev = json_pack("{s:b, s:b, s:s, s:s, s:o}", "ok", err == 0, "applied", 1, "config",
		       dm->cfg_path, "errors", tls_errs, "restart_needed", restart_list(restart));
	daemon_notify("READY=1");
out:
	if (ev)
		ctl_event(dm->ctl, "config.reload", json_deep_copy(ev));
	return ev;
}

/* Calls and registrations still to end before the daemon may exit. */
static unsigned pending_work(const struct daemon *dm)
{
	return ua_active(dm->ua) + daemon_accounts_busy(dm);
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
	/* Their peers learn nothing more: a stop that did not finish its work fails. */
	dm->exit_status = 1;
	finish(dm);
}

void daemon_shutdown(struct daemon *dm, const char *why)
{
	if (dm->stopping) {
		log_warn("%s while stopping: exiting now", why);
		if (pending_work(dm) > 0)
			dm->exit_status = 1;
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
	/* Expires: 0 for every registration (RFC 3261 §10.2.2). */
	daemon_accounts_shutdown(dm);
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

/* "0 calls, 2 listeners, 0 transactions, 1 TCP connection (0 TLS), 2 control clients" */
static void status_line(const struct daemon *dm, char *buf, size_t size)
{
	snprintf(buf, size,
		 "STATUS=%s%u call(s), %u listener(s), %u transaction(s), %u TCP connection(s) "
		 "(%u TLS), %u control client(s)",
		 dm->stopping ? "stopping: " : "", calls_count(dm->calls), dm->n_listeners,
		 sip_tsx_count(dm->sip), sip_conn_count(dm->sip), sip_tls_conn_count(dm->sip),
		 ctl_client_count(dm->ctl));
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

static int conn_info_cb(const void *sip, uint64_t conn, struct tp_conn_info *out)
{
	return sip_conn_info(sip, conn, out);
}


/* The clock, the daemon's timers, the SIP stack and the UA core on it. */
static int build_sip(struct daemon *dm)
{
	struct sip_cfg sc;
	int err;

	if ((err = tmr_clock_new(&dm->clk, dm->base)) < 0)
		return err;
	dm->started_ms = tmr_now(dm->clk);
	tmr_init(&dm->watchdog, dm->clk, on_watchdog, dm);
	tmr_init(&dm->status_tmr, dm->clk, on_status, dm);
	tmr_init(&dm->stop_tmr, dm->clk, on_stop_timeout, dm);
	tmr_init(&dm->drain_tmr, dm->clk, on_drain, dm);
	tmr_init(&dm->log_tmr, dm->clk, on_log_due, dm);
	log_rl_set_clock(log_clock, log_due, dm);
	daemon_accounts_init_timers(dm);
	sip_cfg_from(dm->cfg, &sc);
	/* One account while the config has no [account] sections (ua/account.h). */
	if ((err = account_new_default(&dm->account)) < 0 ||
	    (err = sip_new(&dm->sip, dm->base, dm->clk, &sc, &dm->stats)) < 0 ||
	    (err = ua_new(&dm->ua, dm->sip)) < 0)
		return err;
	return 0;
}

/* Over the SIP stack and its TLS settings: resolver, accounts, pinger, media, calls. */
static int build_layers(struct daemon *dm)
{
	struct options_env oe;
	struct call_env ce;
	struct call_cfg kc;
	struct dns_cfg dc;
	int err;

	dns_cfg_from(dm, dm->cfg, &dc);
	dm->dns_transports = dc.transports;
	/* Without a resolver sipuad still works with IP addresses: said once, not fatal. */
	if ((err = dns_new(&dm->dns, dm->base, dm->clk, &dc)) < 0)
		log_warn("no DNS resolver (c-ares: %s): host names cannot be resolved%s",
			 strerror(-err),
			 err == -EIO ? "; set [sip] dns_servers, or check /etc/resolv.conf" : "");
	if ((err = daemon_accounts_init(dm, dm->cfg)) < 0)
		return err;
	ua_set_accounts(dm->ua, daemon_account_for_user, dm, dm->cfg->accept_unknown_users);
	oe = (struct options_env){.tsx = sip_tsx(dm->sip),
				  .clk = dm->clk,
				  .local = sip_local_cb,
				  .local_arg = dm->sip,
				  .account = dm->account,
				  .account_find = daemon_account_find,
				  .account_arg = dm,
				  .dns = dm->dns};
	if ((err = options_new(&dm->opts, &oe)) < 0)
		return err;
	{
		struct media_engine_cfg mc;

		media_cfg_from(dm->cfg, &mc);
		if ((err = media_engine_new(&dm->media, dm->base, dm->clk, &mc)) < 0) {
			log_err("cannot start the media engine: %s%s", strerror(-err),
				err == -EIO ? " (libsrtp2's srtp_init failed)" : "");
			return err;
		}
		if (strcmp(msrtp_crypto(), "openssl") != 0)
			log_warn("libsrtp2 refused sipuad's OpenSSL SRTP crypto (its known-answer "
				 "tests failed): SRTP uses libsrtp2's own, slower");
	}
	ce = (struct call_env){.tsx = sip_tsx(dm->sip),
			       .clk = dm->clk,
			       .local = sip_local_cb,
			       .local_arg = dm->sip,
			       .event = daemon_call_event,
			       .event_arg = dm,
			       .rtp_port_min = (uint16_t)dm->cfg->rtp_port_min,
			       .rtp_port_max = (uint16_t)dm->cfg->rtp_port_max,
			       .account = dm->account,
			       .account_find = daemon_account_find,
			       .account_arg = dm,
			       .dns = dm->dns,
			       .media = dm->media,
			       .conn_info = conn_info_cb,
			       .conn_arg = dm->sip};
	call_cfg_from(dm->cfg, &kc);
	if ((err = calls_new(&dm->calls, &ce, &kc)) < 0)
		return err;
	ua_set_calls(dm->ua, dm->calls);
	return 0;
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
	log_limits(dm->cfg);
	protect_keys(dm, dm->cfg);
	if ((err = build_sip(dm)) < 0) {
		log_err("cannot start: %s", strerror(-err));
		goto out;
	}
	/* TLS before the resolver (which learns whether TLS works) and the listeners. */
	if ((err = daemon_tls_start(dm)) < 0)
		goto out; /* logged, naming the file */
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

int daemon_check(const struct cfg *cfg, const char *cfg_path)
{
	return daemon_tls_check(cfg, cfg_path, stderr);
}

int daemon_run(struct daemon *dm)
{
	char line[256];

	status_line(dm, line, sizeof(line));
	daemon_notify(line);
	daemon_notify("READY=1");
	hook_systemd(dm);
	log_info("sipuad %s ready; control socket %s", PACKAGE_VERSION, dm->cfg->socket);
	daemon_accounts_start(dm);
	if (event_base_dispatch(dm->base) < 0) {
		log_err("event loop failed");
		return 1;
	}
	log_rl_flush(true); /* what the rate limits held back, before the last word */
	log_info("stopped");
	return dm->exit_status;
}

void daemon_free(struct daemon *dm)
{
	if (!dm)
		return;
	/* What the limits held back is said (failed starts), and the clock is ours no more. */
	if (dm->clk) {
		log_rl_flush(true);
		log_rl_set_clock(NULL, NULL, NULL);
	}
	tmr_close(&dm->log_tmr);
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
	/* Registrations go without a word (shutdown unregistered them); calls hold their accounts. */
	daemon_accounts_free(dm);
	tmr_close(&dm->acct_sweep);
	/* Pings in flight are answered (cancelled) while the control socket is still up. */
	options_free(dm->opts);
	/* Calls still up after a forced exit go without a word: their peers time out. */
	if (dm->ua)
		ua_set_calls(dm->ua, NULL);
	calls_free(dm->calls);
	media_engine_free(dm->media);
	ctl_free(dm->ctl);
	ua_free(dm->ua);
	dns_free(dm->dns);
	sip_free(dm->sip);
	account_free(dm->account);
	tmr_clock_free(dm->clk);
	if (dm->base)
		event_base_free(dm->base);
	cfg_free(dm->cfg);
	free(dm->cfg_path);
	free(dm);
}
