/*
 * ctl_proto.h: the control protocol, shared by sipuad and sipuactl.
 *
 * Newline-delimited JSON over a UNIX stream socket (DESIGN.md); CR before
 * the LF is tolerated, blank lines are ignored.  Every line the daemon
 * writes is one JSON object with a "type":
 *
 *   daemon, on connect:  {"type":"hello","protocol":1,"version":"0.1.0","seq":41}
 *   client request:      {"id":1,"cmd":"status","args":{}}
 *   daemon reply:        {"type":"reply","id":1,"ok":true,"result":{...}}
 *                        {"type":"reply","id":1,"ok":false,
 *                         "error":{"code":"bad_argument","argument":"uri",
 *                                  "message":"..."}}
 *   daemon event (after subscribe):
 *                        {"type":"event","seq":42,"event":"config.reload",...}
 *                        {"type":"event","seq":60,"event":"lost","count":17}
 *
 * "id" is any JSON value the client chooses and is echoed in the reply
 * (null if absent, or if the line was not a JSON object).  "args" is an
 * object and may be left out.  Replies to one client come in the order of
 * its requests, except those of long operations (options), which reply
 * when they finish; events may come between replies.  Replies are never
 * dropped: a client that sends without reading its replies is no longer
 * read from until it catches up.
 *
 * Events: "seq" grows by one per event the daemon emits (whether anyone
 * listens or not; the first is 1; hello and subscribe tell the last one).
 * A client receives the events whose names match one of its fnmatch(3)
 * patterns (subscribe; at most CTL_MAX_PATTERNS).  At most [control]
 * event_queue events wait for a client that does not read; further ones
 * are dropped until it catches up, and then it first gets one "lost"
 * event: "count" events it would have received were dropped, the last of
 * them had "seq".  So every matching seq is either received or counted,
 * and the next event's seq is greater.  "lost" is not itself numbered.
 *
 * Commands ctl answers itself: hello -> {"protocol","version","seq"};
 * help [command] -> {"commands":[{"name","usage","help"}...]}, or one
 * command with "args":[{"name","type","required","help"}...];
 * subscribe [patterns] (none: ["*"]) -> {"patterns":[all held],"seq":last};
 * unsubscribe [patterns] (none: all) -> {"patterns":[left],"removed":n}.
 *
 * Error codes: bad_request (not JSON, not an object, no "cmd", "args" not
 * an object, a line over [control] max_line_bytes), unknown_command,
 * bad_argument (with "argument": unknown, missing, or of the wrong type),
 * not_allowed (peer uid; sent instead of hello), busy (a bound was reached,
 * e.g. [control] max_clients, sent instead of hello, or [sip] max_calls),
 * not_found (with "argument": the object it names does not exist, e.g. an
 * unknown call handle), failed (the operation failed, or the object is in
 * the wrong state for it; message says why).  After not_allowed, busy
 * instead of hello, and an over-long line the daemon closes the connection
 * (once the error is sent); after any other error it stays usable.  A
 * client that shuts down its sending side still gets the replies to what it
 * sent (no more events), then the daemon closes.
 */
#ifndef SIPUAD_CTL_PROTO_H
#define SIPUAD_CTL_PROTO_H

#define CTL_PROTOCOL 1

/* Event name patterns one client may hold. */
#define CTL_MAX_PATTERNS 32

#define CTL_ERR_BAD_REQUEST	"bad_request"
#define CTL_ERR_UNKNOWN		"unknown_command"
#define CTL_ERR_BAD_ARGUMENT	"bad_argument"
#define CTL_ERR_NOT_ALLOWED	"not_allowed"
#define CTL_ERR_BUSY		"busy"
#define CTL_ERR_NOT_FOUND	"not_found"
#define CTL_ERR_FAILED		"failed"

/* An argument of a command: its JSON name and type. */
enum ctl_arg_type {
	CTL_ARG_STRING,
	CTL_ARG_INT,
	CTL_ARG_STRINGS,	/* array of strings */
	CTL_ARG_FLAG,		/* true / false; sipuactl: --NAME alone */
};

struct ctl_arg_info {
	const char *name;
	enum ctl_arg_type type;
	int required;
	const char *help;
};

#define CTL_MAX_ARGS 4

/*
 * One command, as the one table describes it: the daemon checks requests
 * against it and dispatches by it, sipuactl takes its names, usage and
 * help from it.  The rows are written once, by domain, in
 * src/ctl/ctl_cmds_*.h (see src/ctl/ctl_cmds.h).  Positional arguments on
 * sipuactl's command line fill args in order.
 */
struct ctl_cmd_info {
	const char *name;
	const char *usage;	/* "options URI", "subscribe [PATTERN...]" */
	const char *help;	/* one line */
	struct ctl_arg_info args[CTL_MAX_ARGS];
};

extern const struct ctl_cmd_info ctl_cmds[];
extern const unsigned ctl_ncmds;

/* The command named name, or NULL. */
const struct ctl_cmd_info *ctl_cmd_find(const char *name);

#endif
