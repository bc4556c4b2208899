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
	{ "hello", "hello", "Say hello again: protocol and daemon version.", { { NULL } } },
	{ "help", "help [COMMAND]", "List the commands, or describe one.",
	    { { "command", CTL_ARG_STRING, 0, "the command to describe" } } },
	{ "status", "status",
	    "Version, uptime, listeners, and counts of transactions, TCP connections and "
	    "control clients.",
	    { { NULL } } },
	{ "stats", "stats",
	    "Counters: messages in and out per method and status code, malformed and dropped "
	    "messages, retransmissions, 503s sent.",
	    { { NULL } } },
	{ "subscribe", "subscribe [PATTERN...]",
	    "Receive events whose names match the patterns (fnmatch: call.*, config.*); all "
	    "without one.",
	    { { "patterns", CTL_ARG_STRINGS, 0, "event name patterns" } } },
	{ "unsubscribe", "unsubscribe [PATTERN...]",
	    "Stop receiving events matching the patterns; all without one.",
	    { { "patterns", CTL_ARG_STRINGS, 0, "event name patterns" } } },
	{ "options", "options URI",
	    "Send OPTIONS to URI (a SIP ping); the reply comes with the final response's code, "
	    "reason and round-trip time.",
	    { { "uri", CTL_ARG_STRING, 1, "sip: URI with an IP address, e.g. "
					 "sip:127.0.0.1:5062;transport=tcp" } } },
	{ "log-level", "log-level [LEVEL]",
	    "Show the log level, or set it: error, warn, info or debug.",
	    { { "level", CTL_ARG_STRING, 0, "error | warn | info | debug" } } },
	{ "reload", "reload", "Re-read the configuration file, as SIGHUP does; errors are returned.",
	    { { NULL } } },
	{ "shutdown", "shutdown", "Stop the daemon, as SIGTERM does.", { { NULL } } },
};

const unsigned ctl_ncmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);

const struct ctl_cmd_info *ctl_cmd_find(const char *name)
{
	for (unsigned i = 0; i < ctl_ncmds; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}
