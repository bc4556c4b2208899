/*
 * ctl_check: a request line against the protocol and the command table
 * (include/ctl_proto.h, src/ctl/ctl_cmds.h).
 */
#ifndef SIPUAD_CTL_CHECK_H
#define SIPUAD_CTL_CHECK_H

#include <stdbool.h>

#include <jansson.h>

#include "ctl_proto.h"

#define CTL_CHECK_MSG_MAX 512

/* A check that failed: the error reply to send. */
struct ctl_fail {
	const char *code;	/* CTL_ERR_* */
	const char *arg;	/* the argument at fault, or NULL; borrowed */
	char msg[CTL_CHECK_MSG_MAX];	/* cut to fit */
};

/* Fill f; returns -EINVAL, so that a check can "return ctl_check_fail(...)". */
int ctl_check_fail(struct ctl_fail *f, const char *code, const char *arg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * A parsed line (root; NULL: the parse failed, je says why) as a request:
 * an object, "cmd" a string naming a command of the table, "args" absent
 * or an object whose names and types are the command's, the required ones
 * present.  0: *cip is the command and *argsp the args ({} added to root
 * if absent; borrowed from root).  -EINVAL: f says why (f->arg borrowed
 * from root).
 */
int ctl_check_request(json_t *root, const json_error_t *je, const struct ctl_cmd_info **cip,
    json_t **argsp, struct ctl_fail *f);

/*
 * The "help" command (args checked): every command's name, usage and help,
 * or one command's with its arguments.  0 with *res (new), or -EINVAL.
 */
int ctl_check_help(json_t *args, json_t **res, struct ctl_fail *f);

#endif
