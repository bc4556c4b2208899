/*
 * ctl_cmds_ctl: the commands the control server answers itself, about the
 * connection (its hello, its subscriptions) or the command table (help).
 * Rows as described in ctl_cmds.h; the handlers are ctl.c's builtins.
 */
#ifndef SIPUAD_CTL_CMDS_CTL_H
#define SIPUAD_CTL_CMDS_CTL_H

#define CTL_CMDS_CTL(X)                                                                            \
	X(hello, "hello", "hello", "Say hello again: protocol and daemon version.", cmd_hello,     \
	  CTL_NOARGS)                                                                              \
	X(help, "help", "help [COMMAND]", "List the commands, or describe one.", cmd_help,         \
	  CTL_ARG("command", STRING, 0, "the command to describe"))                                \
	X(subscribe, "subscribe", "subscribe [PATTERN...]",                                        \
	  "Receive events whose names match the patterns (fnmatch: call.*, config.*); "            \
	  "all without one.",                                                                      \
	  cmd_subscribe, CTL_ARG("patterns", STRINGS, 0, "event name patterns"))                   \
	X(unsubscribe, "unsubscribe", "unsubscribe [PATTERN...]",                                  \
	  "Stop receiving events matching the patterns; all without one.", cmd_unsubscribe,        \
	  CTL_ARG("patterns", STRINGS, 0, "event name patterns"))

#endif
