/*
 * cfg: the INI configuration, parsed by inih and driven by one table of
 * keys (section, name, type, default, bounds, reloadable, help).  The same
 * table gives --check-config its messages, tells reload what needs a
 * restart, and lists the keys for the man page test.
 *
 * Besides the fixed sections, any number of [account NAME] sections (up to
 * CFG_MAX_ACCOUNTS), each a struct cfg_account, in file order.  Their keys
 * are rows of the table too, under the section "account NAME"; all of them
 * are reloadable (the daemon applies them), none is in cfg_restart_needed.
 *
 * Every error in a file is reported, as "FILE:LINE: message" naming the
 * accepted values, not only the first.
 */
#ifndef SIPUAD_CFG_H
#define SIPUAD_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/log.h"
#include "core/net.h"

#define CFG_MAX_LISTEN 16
/* [sip] dns_servers: entries at most. */
#define CFG_MAX_DNS_SERVERS 8
/* [account NAME] sections at most. */
#define CFG_MAX_ACCOUNTS 10000
/* An account's NAME: 1..CFG_ACCOUNT_NAME_MAX characters of A-Z a-z 0-9 . _ - */
#define CFG_ACCOUNT_NAME_MAX 32
/* owner / group "none": not set. */
#define CFG_ID_NONE ((unsigned)-1)
/* [media] codecs: audio codecs listed at most (telephone-event is a flag, not one of them). */
#define CFG_MAX_CODECS 4

/* [call] answer. */
#define CFG_ANSWER_AUTO 0   /* 200 after answer_delay_ms */
#define CFG_ANSWER_MANUAL 1 /* ring until the control socket answers, rejects or hangs up */
#define CFG_ANSWER_REJECT 2 /* reject_code at once */

/* [sip] accept_unknown_users, as written. */
#define CFG_ACCEPT_AUTO 0 /* yes while no [account] section is configured, no otherwise */
#define CFG_ACCEPT_YES 1
#define CFG_ACCEPT_NO 2

struct cfg_listen {
	enum net_proto proto;
	struct net_addr addr;
	char text[64];		/* as written, normalized: "udp:127.0.0.1:5060" */
};

/*
 * One [account NAME] section, checked and with its defaults filled in.
 * Every string is malloc'd and owned by the struct cfg; NULL where a key
 * without a default was left out.
 */
/* [media] srtp and an account's srtp: the order of ua/oa.h's enum oa_srtp. */
enum { CFG_SRTP_OFF, CFG_SRTP_OPTIONAL, CFG_SRTP_MANDATORY };
/* The names, in that order. */
int cfg_srtp_parse(const char *s, unsigned *v);

/* [tls] verify_client: the order of sip/tp.h's enum tp_verify_client. */
enum { CFG_VERIFY_NO, CFG_VERIFY_OPTIONAL, CFG_VERIFY_REQUIRE };

struct cfg_account {
	char *name;	    /* NAME of the header: unique, never "default" */
	char *uri;	    /* the address of record as written: "sip:alice@example.com" */
	char *display_name; /* NULL: none */
	/* NULL: none; with register = yes and none written, uri's "sip[s]:HOST[:PORT]" */
	char *registrar;
	char *outbound_proxy; /* NULL: none */
	char *username;	      /* digest user name; default: the user part of uri */
	char *password;	      /* NULL: none; from password or password_file; cfg_free wipes it */
	bool reg;	      /* register: send REGISTER to registrar */
	unsigned expires;     /* seconds asked for in REGISTER */
	int transport;	      /* an enum net_proto, or -1: not set, taken from the URIs */
	unsigned keepalive_s; /* keepalive_interval in seconds; 0: none */
	int srtp;	      /* a CFG_SRTP_*, or -1: not set, [media] srtp */
	/*
	 * TLS: the name the server's certificate must carry and the SNI sent
	 * (RFC 5922 §7.2, RFC 6066 §3); NULL: the host of the URI the request
	 * goes to.  A DNS name, never an IP address.
	 */
	char *server_name;
	unsigned line;	      /* the line of the [account NAME] header, for messages */
};

/* [log] rate_limit values: burst (1..65535) and interval_s (1..3600) in one unsigned. */
#define CFG_RL_PACK(burst, interval_s) (((unsigned)(burst) << 16) | (unsigned)(interval_s))
#define CFG_RL_BURST(v) ((v) >> 16)
#define CFG_RL_INTERVAL(v) ((v) & 0xffffu)

struct cfg {
	/* [sip] */
	struct cfg_listen listen[CFG_MAX_LISTEN];
	unsigned n_listen;
	char *user_agent;
	unsigned t1_ms;
	unsigned t2_ms;
	unsigned t4_ms;
	unsigned max_transactions;
	unsigned max_calls;
	unsigned max_message_size;
	unsigned max_tcp_connections;
	unsigned tcp_idle_timeout_s;
	unsigned retry_after_s;
	unsigned shutdown_timeout_s;
	unsigned accept_unknown_users_mode; /* CFG_ACCEPT_*, as written */
	bool accept_unknown_users;	    /* the mode resolved against n_accounts */
	/* "127.0.0.1:5353,[::1]:53", every entry with its port; "": the system's (resolv.conf) */
	char *dns_servers;
	unsigned register_retry_min_s;
	unsigned register_retry_max_s;
	/* [call] */
	unsigned answer;	/* CFG_ANSWER_* */
	unsigned answer_delay_ms;
	unsigned reject_code;
	unsigned ring_timeout_s;
	/* [media] */
	unsigned rtp_port_min;
	unsigned rtp_port_max;
	char codecs[CFG_MAX_CODECS][16]; /* audio, in order of preference: "PCMU", "PCMA" */
	unsigned n_codecs;		 /* at least 1 */
	bool dtmf;			 /* telephone-event listed */
	unsigned srtp;			 /* CFG_SRTP_* */
	char *source;			 /* echo | silence | tone:HZ | file:PATH */
	unsigned source_loop;		 /* 0 no, 1 yes: a file: source starts again at its end */
	char *record_dir;		 /* "": no recording */
	unsigned rtp_timeout_s;		 /* 0: off */
	unsigned symmetric_rtp;		 /* 0 no, 1 yes */
	unsigned rtcp_mux;		 /* 0 no, 1 yes */
	unsigned srtp_insecure_signalling; /* 1: SDES over plain UDP/TCP too (srtp = mandatory) */
	/*
	 * [tls] (strings "": not set).  A relative path is made absolute at
	 * load, as password_file is (cfg_path_resolve): the files are read by
	 * the transport, at start and on every reload, from wherever the
	 * daemon runs.
	 */
	char *tls_certificate;
	char *tls_private_key;
	char *tls_ca_file;
	char *tls_ca_path;
	char *tls_ciphers;
	unsigned tls_verify_server;	  /* 0 no, 1 yes */
	unsigned tls_verify_client;	  /* CFG_VERIFY_* */
	unsigned tls_session_cache;	  /* 0 no, 1 yes */
	unsigned tls_handshake_timeout_s; /* 1..300 */
	/* [control] */
	char *socket;		/* control socket path */
	unsigned owner;		/* uid of the socket; CFG_ID_NONE: ours */
	unsigned group;		/* gid of the socket and of allowed peers; CFG_ID_NONE: ours */
	unsigned max_clients;
	unsigned max_line_bytes;
	unsigned event_queue;
	/* [log] */
	enum log_level log_level;
	/* Rate limits (log.h tiers) as CFG_RL_PACK(burst, interval_s); 0: off. */
	unsigned log_rate_limit;       /* LOG_RL_PEER: refusals, malformed input, timeouts */
	unsigned log_rate_limit_calls; /* LOG_RL_CALL: a normal call's lines */
	/* [account NAME] sections, in file order */
	struct cfg_account *accounts;
	unsigned n_accounts;
	/* Where each key of the fixed sections was set, by row: cfg_key_line(). NULL: nowhere. */
	unsigned *key_lines;
};

/*
 * The names [media] codecs takes: row i of the codec table, with *audio
 * false for an event format (telephone-event, which only sets dtmf), NULL
 * past the end.  The table is the media layer's (media/codec.h,
 * codec_cfg_name); core/ sits below media/ and cannot include it, so
 * whoever loads a config hands it in.
 */
typedef const char *cfg_codec_fn(size_t i, bool *audio);

/* A config with every default. 0 or -ENOMEM. */
int cfg_defaults(cfg_codec_fn *codecs, struct cfg **cfgp);

/*
 * Load path over the defaults.
 *   0        *cfgp owns the config (cfg_free)
 *   -EINVAL  the file has errors: *errs (malloc'd, free()) holds one
 *            "PATH:LINE: message" line per error
 *   -errno   the file could not be read: *errs says so
 */
int cfg_load(const char *path, cfg_codec_fn *codecs, struct cfg **cfgp, char **errs);
/* Wipes every account's password (explicit_bzero) before freeing it. NULL is a no-op. */
void cfg_free(struct cfg *cfg);

/*
 * The line of the file where key name of section (a fixed section, not an
 * account's) was set, for messages about its value that only a later
 * check finds (the daemon's loading of [tls] files); 0: not set, or not
 * a key.
 */
unsigned cfg_key_line(const struct cfg *cfg, const char *section, const char *name);

/*
 * The keys whose values differ between old and new and that cannot change
 * without a restart, as "sip.listen, ..." into buf (empty: none).
 * Returns the number of such keys.  Accounts are never among them.
 */
unsigned cfg_restart_needed(const struct cfg *old, const struct cfg *new_cfg,
    char *buf, size_t size);
/*
 * A reload: give new_cfg the running values of every key that needs a
 * restart (strings move from old, which keeps NULL in their place), so
 * that what the daemon reports as "needs a restart" is what it runs with.
 * Accounts and every other reloadable key stay new_cfg's.
 */
void cfg_keep_running(struct cfg *new_cfg, struct cfg *old);

/*
 * The key table, for documentation and tests: the rows of the fixed
 * sections, then those of [account NAME] (section "account NAME").
 */
struct cfg_key_info {
	const char *section;
	const char *name;
	/* "integer", "string", "enum", "boolean", "path", "SIP URI", and "... list" */
	const char *type;
	const char *def;	/* default, as text ("" for an empty default) */
	const char *range;	/* "50..10000", "error | warn | info | debug" */
	bool reloadable;
	const char *help;
};
size_t cfg_key_count(void);
const struct cfg_key_info *cfg_key_at(size_t i);

#endif
