/*
 * ctl_cmds: the control commands, their arguments and help.
 *
 * One table for both sides: sipuad dispatches by it (every entry has a
 * handler, checked by the unit tests) and checks argument types against
 * it; sipuactl takes command names, usage, positional argument order and
 * help from it.  The calls, registration and media parts add their rows.
 */
#include <string.h>

#include "ctl_proto.h"

const struct ctl_cmd_info ctl_cmds[] = {
	{ .name = "hello",
	  .usage = "hello",
	  .help = "Say hello again: protocol and daemon version." },
	{ .name = "help",
	  .usage = "help [COMMAND]",
	  .help = "List the commands, or describe one.",
	  .args = { { "command", CTL_ARG_STRING, 0, "the command to describe" } } },
	{ .name = "status",
	  .usage = "status",
	  .help = "Version, uptime, listeners, and counts of transactions, TCP connections and "
		  "control clients." },
	{ .name = "stats",
	  .usage = "stats",
	  .help = "Counters: messages in and out per method and status code, malformed and "
		  "dropped messages, retransmissions, 503s sent." },
	{ .name = "subscribe",
	  .usage = "subscribe [PATTERN...]",
	  .help = "Receive events whose names match the patterns (fnmatch: call.*, config.*); "
		  "all without one.",
	  .args = { { "patterns", CTL_ARG_STRINGS, 0, "event name patterns" } } },
	{ .name = "unsubscribe",
	  .usage = "unsubscribe [PATTERN...]",
	  .help = "Stop receiving events matching the patterns; all without one.",
	  .args = { { "patterns", CTL_ARG_STRINGS, 0, "event name patterns" } } },
	{ .name = "options",
	  .usage = "options URI",
	  .help = "Send OPTIONS to URI (a SIP ping); the reply comes with the final response's "
		  "code, reason and round-trip time.",
	  .args = { { "uri", CTL_ARG_STRING, 1,
		      "sip: URI with an IP address, e.g. sip:127.0.0.1:5062;transport=tcp" } } },
	{ .name = "log-level",
	  .usage = "log-level [LEVEL]",
	  .help = "Show the log level, or set it: error, warn, info or debug.",
	  .args = { { "level", CTL_ARG_STRING, 0, "error | warn | info | debug" } } },
	{ .name = "reload",
	  .usage = "reload",
	  .help = "Re-read the configuration file, as SIGHUP does; errors are returned." },
	{ .name = "shutdown", .usage = "shutdown", .help = "Stop the daemon, as SIGTERM does." },
};

const unsigned ctl_ncmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);

const struct ctl_cmd_info *ctl_cmd_find(const char *name)
{
	for (unsigned i = 0; i < ctl_ncmds; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}
