/*
 * daemon: the one context, and the glue between the layers.
 *
 * Owns the event loop and everything on it.  Data flows up: the transport
 * hands a message's bytes to on_packet(), which parses them, applies the
 * §8.2 checks (answering a bad request statelessly, dropping a bad
 * response), notes the source in the Via (§18.2.1) and gives the message to
 * the transaction layer, which hands new requests to the UA core.  Bytes
 * flow down through send_bytes() into the transport.
 *
 * Signals are libevent events: SIGTERM and SIGINT stop the loop, SIGHUP
 * re-reads the config file (an invalid file leaves the running config as it
 * is).  systemd hears READY=1 once every listener is up.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "core/cfg.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/stats.h"
#include "core/tmr.h"
#include "sip/msg.h"
#include "sip/tp.h"
#include "sip/tsx.h"
#include "ua/ua.h"

struct daemon {
	struct event_base *base;
	struct cfg *cfg;
	char *cfg_path;
	struct tmr_clock *clk;
	struct tp *tp;
	struct tsx_layer *tsx;
	struct ua *ua;
	struct stats stats;
	struct event *sig_term, *sig_int, *sig_hup;
};

static void notify(const char *state)
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

static int send_bytes(void *arg, struct sip_dest *d, const char *buf, size_t len)
{
	struct daemon *dm = arg;

	return tp_send(dm->tp, d, buf, len);
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
		log_debug("%s: unparseable %zu bytes from %s dropped", net_proto_name(pkt->src.proto),
		    pkt->len, net_addr_fmt(&pkt->src.addr, a, sizeof(a)));
		return;
	}
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
			log_err("cannot listen on %s: %s", l->text, strerror(-err));
			return err;
		}
		log_info("listening on %s:%s", net_proto_name(l->proto),
		    net_addr_fmt(&bound, a, sizeof(a)));
	}
	return 0;
}

/* SIGHUP: a new config, or the old one kept with the errors logged. */
static void reload(struct daemon *dm)
{
	struct cfg *n = NULL;
	char *errs = NULL, restart[256];
	struct tsx_cfg tc;
	struct tp_opts o;
	struct ua_cfg uc;
	int err;

	notify("RELOADING=1");
	if ((err = cfg_load(dm->cfg_path, &n, &errs)) < 0) {
		log_err("reload of %s failed; the running config is kept:\n%s", dm->cfg_path,
		    errs ? errs : strerror(-err));
		free(errs);
		notify("READY=1");
		return;
	}
	if (cfg_restart_needed(dm->cfg, n, restart, sizeof(restart)))
		log_warn("reload: %s changed; that takes effect only after a restart", restart);
	log_set_level(n->log_level);
	tsx_cfg_from(n, &tc);
	tsx_layer_set_cfg(dm->tsx, &tc);
	tp_opts_from(n, &o);
	tp_set_opts(dm->tp, &o);
	uc.user_agent = n->user_agent;
	ua_set_cfg(dm->ua, &uc);
	/* Keys that need a restart keep their running values. */
	memcpy(n->listen, dm->cfg->listen, sizeof(n->listen));
	n->n_listen = dm->cfg->n_listen;
	cfg_free(dm->cfg);
	dm->cfg = n;
	log_info("reloaded %s", dm->cfg_path);
	notify("READY=1");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *dm = arg;

	if (sig == SIGHUP) {
		reload(dm);
		return;
	}
	log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	notify("STOPPING=1");
	event_base_loopexit(dm->base, NULL);
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

static int build_layers(struct daemon *dm)
{
	struct tsx_cfg tc;
	struct tsx_user user;
	struct tp_opts o;
	struct ua_cfg uc = { .user_agent = dm->cfg->user_agent };
	int err;

	if ((err = tmr_clock_new(&dm->clk, dm->base)) < 0 ||
	    (err = ua_new(&dm->ua, &uc, &dm->stats)) < 0)
		return err;
	ua_tsx_user(dm->ua, &user);
	tsx_cfg_from(dm->cfg, &tc);
	if ((err = tsx_layer_new(&dm->tsx, dm->clk, &tc, send_bytes, dm, &user, &dm->stats)) < 0)
		return err;
	ua_set_layer(dm->ua, dm->tsx);
	tp_opts_from(dm->cfg, &o);
	return tp_new(&dm->tp, dm->base, &o, on_packet, on_conn, dm, &dm->stats);
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
	if ((err = listen_all(dm)) < 0 || (err = hook_signals(dm)) < 0)
		goto out;
	*dp = dm;
	return 0;
out:
	daemon_free(dm);
	return err;
}

int daemon_run(struct daemon *dm)
{
	char status[128];

	snprintf(status, sizeof(status), "STATUS=serving on %u listener(s)", dm->cfg->n_listen);
	notify(status);
	notify("READY=1");
	log_info("sipuad %s ready", PACKAGE_VERSION);
	if (event_base_dispatch(dm->base) < 0) {
		log_err("event loop failed");
		return 1;
	}
	log_info("stopped");
	return 0;
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
