/*
 * ctl_cmds_daemon: the commands about the daemon as a whole, and the SIP
 * ping.  Rows as described in ctl_cmds.h; the handlers are in
 * app/daemon_ctl.c.
 */
#ifndef SIPUAD_CTL_CMDS_DAEMON_H
#define SIPUAD_CTL_CMDS_DAEMON_H

#define CTL_CMDS_DAEMON(X)                                                                         \
	X(status, "status", "status",                                                              \
	  "Version, uptime, listeners, and counts of transactions, TCP and TLS connections and "   \
	  "control clients; each TLS connection with its peer's certificate.",                     \
	  daemon_ctl_status, CTL_NOARGS)                                                           \
	X(stats, "stats", "stats",                                                                 \
	  "Counters: messages in and out per method and status code, malformed and "               \
	  "dropped messages, retransmissions, 503s sent, TCP connections, TLS handshakes and "     \
	  "their failures.",                                                                       \
	  daemon_ctl_stats, CTL_NOARGS)                                                            \
	X(options, "options", "options URI [--account A]",                                         \
	  "Send OPTIONS to URI (a SIP ping) from account A (default: the default one); the "       \
	  "reply comes with the final response's code, reason and round-trip time.",               \
	  daemon_ctl_options,                                                                      \
	  CTL_ARG("uri", STRING, 1,                                                                \
		  "sip: URI, e.g. sip:127.0.0.1:5062;transport=tcp or sip:pbx.example.com"),       \
	  CTL_ARG("account", STRING, 0, "the account to send from"))                               \
	X(log_level, "log-level", "log-level [LEVEL]",                                             \
	  "Show the log level, or set it: error, warn, info or debug.", daemon_ctl_log_level,      \
	  CTL_ARG("level", STRING, 0, "error | warn | info | debug"))                              \
	X(reload, "reload", "reload",                                                              \
	  "Re-read the configuration file, as SIGHUP does; errors are returned.",                  \
	  daemon_ctl_reload, CTL_NOARGS)                                                           \
	X(shutdown, "shutdown", "shutdown", "Stop the daemon, as SIGTERM does.",                   \
	  daemon_ctl_shutdown, CTL_NOARGS)

#endif
