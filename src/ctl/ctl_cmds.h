/*
 * ctl_cmds: the control commands, as rows written once.
 *
 * Each domain lists its commands in its own file as X-macro rows:
 *
 *   X(id, "name", "usage", "help", handler, args...)
 *
 *   id       the command as a C identifier: enum ctl_cmd_id's CTL_CMD_<id>
 *   name     as sent in "cmd"; usage and help as sipuactl and `help` show
 *            them (usage starts with the name)
 *   handler  the function that serves it: for CTL_CMDS_CTL a builtin of
 *            ctl.c, for the others a handler of the daemon (app/, with
 *            the signature of daemon_ctl_fn in app/daemon_ctl.h)
 *   args     CTL_ARG(...) for each argument, in sipuactl's positional
 *            order (a CTL_ARG_STRINGS one last), or CTL_NOARGS
 *
 * ctl_cmds_ctl.h     hello, help, subscribe, unsubscribe: answered by the
 *                    control server itself (the connection, the table)
 * ctl_cmds_daemon.h  the daemon as a whole: status, stats, log level,
 *                    reload, shutdown, an OPTIONS ping
 * ctl_cmds_calls.h   calls: place, answer, reject, hang up, hold, list
 * ctl_cmds_accounts.h  accounts: list, info, register, unregister
 *
 * Each program expands the rows into what it needs: ctl_cmds.c into the
 * info table (include/ctl_proto.h) that requests are checked against and
 * sipuactl takes its usage from, dropping the handler column, so that
 * sipuactl links no handler; ctl.c its builtins from CTL_CMDS_CTL; the
 * daemon its dispatch table from CTL_CMDS_APP (app/daemon_ctl.c).  Every
 * table is indexed by CTL_CMD_<id>, so they cannot drift apart, and a row
 * whose handler does not exist does not build.  A command is one row
 * here and its handler; a new domain (accounts, media) is one more file
 * and one more line in CTL_CMDS_APP.
 */
#ifndef SIPUAD_CTL_CMDS_H
#define SIPUAD_CTL_CMDS_H

#include "ctl_proto.h"

/* One argument: CTL_ARG("uri", STRING, 1, "help"); type STRING, INT or STRINGS. */
// clang-format off
#define CTL_ARG(name, type, required, help) { name, CTL_ARG_##type, required, help }
#define CTL_NOARGS { 0 }
// clang-format on

#include "ctl/ctl_cmds_accounts.h"
#include "ctl/ctl_cmds_calls.h"
#include "ctl/ctl_cmds_ctl.h"
#include "ctl/ctl_cmds_daemon.h"

/* The commands the daemon's handlers serve: every domain but ctl's own. */
#define CTL_CMDS_APP(X) CTL_CMDS_DAEMON(X) CTL_CMDS_CALLS(X) CTL_CMDS_ACCOUNTS(X)

/* Every command, in the order `help` and sipuactl --help list them. */
#define CTL_CMDS(X) CTL_CMDS_CTL(X) CTL_CMDS_APP(X)

#define CTL_CMD_ENUM_(id, ...) CTL_CMD_##id,
/* A command's row: its index in ctl_cmds[] and in every table expanded from the rows. */
enum ctl_cmd_id { CTL_CMDS(CTL_CMD_ENUM_) CTL_NCMDS };
#undef CTL_CMD_ENUM_

#endif
