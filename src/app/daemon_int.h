/*
 * daemon_int: the daemon context, shared by daemon.c (life cycle, signals,
 * the SIP layers' glue) and the control commands' handlers (daemon_ctl.c,
 * daemon_calls.c).  Nothing else includes it.
 */
#ifndef SIPUAD_DAEMON_INT_H
#define SIPUAD_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/cfg.h"
#include "core/net.h"
#include "core/stats.h"
#include "core/tmr.h"

struct tp_conn_info;
struct call;
struct call_event_info;
struct calls;
struct event;
struct event_base;
struct ctl;
struct ctl_req;
struct options;
struct account;
struct daemon_acct;
struct dns;
struct sip;
struct ua;

struct daemon_listener {
	enum net_proto proto;
	struct net_addr addr; /* as bound: port 0 in the config is the real port here */
};

struct daemon {
	struct event_base *base;
	struct cfg *cfg;
	char *cfg_path;
	struct tmr_clock *clk;
	struct sip *sip;
	struct dns *dns; /* RFC 3263 resolver (c-ares) */
	struct account *account; /* the built-in default (no [account] section) */
	struct daemon_acct *accts; /* [account NAME] sections (daemon_accounts.c) */
	unsigned n_accts, cap_accts;
	unsigned long next_reg_id;
	struct tmr acct_sweep; /* drops accounts whose unregistration is over */
	struct ua *ua;
	struct options *opts;
	struct calls *calls;
	struct media_engine *media; /* every call's RTP; freed after calls */
	bool keys_protected;	    /* PR_SET_DUMPABLE 0: SRTP or a TLS key is configured */
	bool tls_ok;		    /* the transport took [tls] once: TLS works (daemon_tls.c) */
	unsigned dns_transports;    /* the DNS_TP_* the resolver was given */
	struct ctl *ctl;
	struct stats stats;
	struct daemon_listener listeners[CFG_MAX_LISTEN];
	unsigned n_listeners;
	uint64_t started_ms; /* tmr_now() at start, for uptime */
	struct event *sig_term, *sig_int, *sig_hup;
	struct tmr watchdog;   /* WATCHDOG=1 every half WatchdogSec */
	uint64_t watchdog_ms;  /* 0: systemd did not ask */
	struct tmr status_tmr; /* STATUS= refresh */
	struct tmr stop_tmr;   /* shutdown_timeout_s: exit anyway */
	struct tmr drain_tmr;  /* checks whether shutdown is done */
	struct tmr log_tmr;    /* says the log's "(suppressed)" summaries when due */
	uint64_t log_due;      /* when log_tmr fires (tmr_now) */
	bool stopping;
	int exit_status;
};

/*
 * Re-read the config file (SIGHUP, `reload`).  Applies what can change at
 * run time, reports what needs a restart, emits a config.reload event.
 * Returns the event's fields (new reference): {"ok": bool, "applied":
 * bool, "errors": text, "restart_needed": [...], "config": path}.  ok
 * false with applied false: the file has errors, the running config is
 * kept; with applied true: the file applied but for [tls], whose files did
 * not load and whose running settings are kept (errors says why).
 */
json_t *daemon_reload(struct daemon *dm);
/* Begin the orderly stop (SIGTERM, SIGINT, `shutdown`); why is logged. */
void daemon_shutdown(struct daemon *dm, const char *why);
/* sd_notify(3) when built with libsystemd; a no-op otherwise. */
void daemon_notify(const char *state);

/* The control socket's dispatch callback (daemon_ctl.c): arg is the daemon. */
void daemon_ctl_dispatch(void *arg, struct ctl_req *req);
/* The call layer's news, as control events (daemon_calls.c): arg is the daemon. */
void daemon_call_event(void *arg, const struct call *c, const struct call_event_info *e);

/* The media figures of a call as JSON (daemon_calls.c). */
struct call_info;
json_t *daemon_media_json(const struct call_info *ci);
/* A TLS connection as call-info, media.started and status show it. */
json_t *daemon_tls_json(const struct tp_conn_info *ci);

#endif
