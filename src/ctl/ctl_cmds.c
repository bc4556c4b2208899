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
	{ .name = "call",
	  .usage = "call TO [--account A] [--header 'NAME: VALUE']...",
	  .help = "Call TO (send an INVITE); replies with the call's handle at once, the outcome "
		  "comes as call.state events.",
	  .args = { { "to", CTL_ARG_STRING, 1,
		      "sip: URI to call, e.g. sip:bob@127.0.0.1:5062;transport=tcp" },
		    { "account", CTL_ARG_STRING, 0, "the account to call from" },
		    { "header", CTL_ARG_STRINGS, 0,
		      "extra header field for the INVITE, \"Name: value\"; may be repeated" } } },
	{ .name = "answer",
	  .usage = "answer CALL",
	  .help = "Answer a ringing incoming call (200 OK with SDP).",
	  .args = { { "call", CTL_ARG_STRING, 1, "call handle, e.g. c1" } } },
	{ .name = "reject",
	  .usage = "reject CALL [CODE]",
	  .help = "Reject a ringing incoming call with CODE (400-699; default [call] reject_code).",
	  .args = { { "call", CTL_ARG_STRING, 1, "call handle, e.g. c1" },
		    { "code", CTL_ARG_INT, 0, "SIP status code 400..699" } } },
	{ .name = "hangup",
	  .usage = "hangup CALL",
	  .help = "End a call in any state: BYE once answered, CANCEL while calling out, 603 to "
		  "an unanswered incoming call.",
	  .args = { { "call", CTL_ARG_STRING, 1, "call handle, e.g. c1" } } },
	{ .name = "hold",
	  .usage = "hold CALL",
	  .help = "Put an answered call on hold (re-INVITE with a=sendonly); the outcome comes as "
		  "events.",
	  .args = { { "call", CTL_ARG_STRING, 1, "call handle, e.g. c1" } } },
	{ .name = "resume",
	  .usage = "resume CALL",
	  .help = "Take a call off hold (re-INVITE with a=sendrecv); the outcome comes as events.",
	  .args = { { "call", CTL_ARG_STRING, 1, "call handle, e.g. c1" } } },
	{ .name = "calls",
	  .usage = "calls",
	  .help = "List the calls: handle, direction, peer, state, duration and codec." },
	{ .name = "call-info",
	  .usage = "call-info CALL",
	  .help = "Everything about one call: dialog (Call-ID, tags, URIs, route set, CSeqs), "
		  "SDP both ways, codec, RTP addresses, hold state.",
	  .args = { { "call", CTL_ARG_STRING, 1, "call handle, e.g. c1" } } },
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
