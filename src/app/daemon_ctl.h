/*
 * daemon_ctl: the daemon's side of the control commands.
 *
 * The control server (ctl/) frames every request, checks it against the
 * command table and answers the commands of CTL_CMDS_CTL itself; every
 * other one arrives at daemon_ctl_dispatch() (daemon_int.h) and goes to
 * the handler its row names (ctl/ctl_cmds_*.h).  The handlers live by
 * domain: daemon_ctl.c the daemon's own (CTL_CMDS_DAEMON), daemon_calls.c
 * the calls' (CTL_CMDS_CALLS).  Each is declared here from the rows, so a
 * row whose handler is missing or has another signature does not build.
 */
#ifndef SIPUAD_DAEMON_CTL_H
#define SIPUAD_DAEMON_CTL_H

#include "ctl/ctl.h"
#include "ctl/ctl_cmds.h"

struct daemon;
struct why;

/*
 * A command's handler: its arguments are type-checked already.  It replies
 * with ctl_reply_* (once), at once or when its work ends.
 */
typedef void(daemon_ctl_fn)(struct daemon *dm, struct ctl_req *req);

/*
 * Reply to req with the control error a layer's refusal stands for (err,
 * and w as the layer filled it): WHY_ARG is bad_argument and WHY_NOT_FOUND
 * not_found, both naming w->arg; WHY_BUSY is busy; WHY_FAILED failed.  The
 * message is w->msg, or strerror(-err) when the layer said nothing.
 */
void daemon_ctl_reply_why(struct ctl_req *req, int err, const struct why *w);

#define DAEMON_CTL_DECLARE_(id, name, usage, help, handler, ...) daemon_ctl_fn handler;
CTL_CMDS_APP(DAEMON_CTL_DECLARE_)
#undef DAEMON_CTL_DECLARE_

#endif
