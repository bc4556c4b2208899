/*
 * ctl: the control socket server.
 *
 * Owns the listening UNIX socket and every client connection on it: the
 * socket file (stale one replaced, a live daemon behind it refused), its
 * mode 0660 and group, the SO_PEERCRED check, line framing, JSON parsing,
 * the hello, per-client bounds, subscriptions and their event queues.  It
 * knows commands only as the table (ctl_cmds.h) describes them, and answers
 * the four about the connection or the table itself (CTL_CMDS_CTL); every
 * other well-formed request goes to the dispatch callback the daemon gives
 * it, with its row (cmd_id), which answers with ctl_reply_*, at once or
 * later.
 * Protocol: include/ctl_proto.h.  Helpers: ctl_sock.c (the socket file,
 * peer credentials), ctl_check.c (a request against the table, help).
 */
#ifndef SIPUAD_CTL_H
#define SIPUAD_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "ctl/ctl_cmds.h"

struct event_base;
struct ctl;

struct ctl_cfg {
	const char *path;	/* socket path */
	gid_t group;		/* group of the socket and allowed peers; (gid_t)-1: ours */
	uid_t owner;		/* owner of the socket; (uid_t)-1: ours */
	unsigned max_clients;
	size_t max_line;	/* longest request line, bytes */
	unsigned event_queue;	/* events queued per subscriber before "lost" */
};

/*
 * A request being answered: allocated by ctl, owned by the handler from
 * dispatch until it calls one of ctl_reply_ok/err/err_fields (once),
 * which free it.  If the client goes away first, or ctl is freed (ctl is
 * then NULL), the reply is dropped quietly; replying stays safe.
 */
struct ctl_req {
	struct ctl *ctl;	/* NULL once ctl_free ran */
	uint64_t client;	/* client id, never reused */
	json_t *id;		/* the request's "id" (owned; json null if absent) */
	enum ctl_cmd_id cmd_id;	/* the command's row: ctl_cmds[cmd_id] */
	const char *cmd;	/* its name (static) */
	json_t *args;		/* the "args" object ({} if absent): borrowed, valid
				 * during dispatch only; a handler that needs an
				 * argument later copies it (json_deep_copy, strdup) */
};

/*
 * A well-formed request arrived: a command of CTL_CMDS_APP (ctl answers
 * those of CTL_CMDS_CTL itself), its arguments checked against the command
 * table (names, types, required ones).  req->cmd_id says which; the
 * callback dispatches on it.  Answer with ctl_reply_ok/err now, or keep
 * req and answer later.  Any ctl_* call but ctl_free is allowed inside.
 */
typedef void (ctl_dispatch_fn)(void *arg, struct ctl_req *req);

/*
 * Bind and listen on cfg->path (mode 0660, then chown to owner/group when
 * set).  A stale socket file there is replaced.  -EADDRINUSE when a live
 * daemon answers on that path, -EEXIST when the path is not a socket (it is
 * left alone), -ENAMETOOLONG over sun_path, -errno otherwise; the cause has
 * been logged with the path.  Peers allowed: uid 0, our euid, and members
 * of group (primary or supplementary).  cfg->path is copied.
 */
int ctl_new(struct ctl **cp, struct event_base *base, const struct ctl_cfg *cfg,
    const char *version, ctl_dispatch_fn *dispatch, void *arg);
/*
 * Close every client, close the listener and unlink the socket file if it
 * is still the one we bound.  Requests still with their handlers stay
 * theirs to reply to (the replies are dropped).  NULL is a no-op.
 */
void ctl_free(struct ctl *c);
/* New bounds (reload): max_clients, max_line, event_queue; path, owner and group stay. */
void ctl_set_cfg(struct ctl *c, const struct ctl_cfg *cfg);

/* Reply; result (may be NULL: {}) is taken.  Frees req. */
void ctl_reply_ok(struct ctl_req *req, json_t *result);
/* Reply with an error; argument may be NULL.  Frees req. */
void ctl_reply_err(struct ctl_req *req, const char *code, const char *argument,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * The same with more keys in "error" (fields: an object, taken, may be
 * NULL; code, message and argument win), e.g. the SIP status of a failed
 * ping.  Frees req.
 */
void ctl_reply_err_fields(struct ctl_req *req, const char *code, const char *argument,
    json_t *fields, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Subscriptions, as states of the client of req: fnmatch(3) patterns
 * ("call.*"), at most CTL_MAX_PATTERNS.  0 (also if already held),
 * -ENOENT (client gone), -ENOSPC or -ENOMEM.
 */
int ctl_subscribe(struct ctl_req *req, const char *pattern);
/* pattern NULL: all.  Returns how many were removed (0 if the client is gone). */
unsigned ctl_unsubscribe(struct ctl_req *req, const char *pattern);

/*
 * Emit an event to every subscriber whose pattern matches name.  fields
 * (taken; may be NULL) are merged into {"type":"event","seq":N,"event":name}
 * (these three keys win).  The line is serialized once and queued to each
 * subscriber within its event_queue bound; a full queue drops it and
 * counts it for a later "lost" event.  Returns the event's seq (the
 * counter grows even with no subscriber).  c NULL: fields freed, 0.
 */
uint64_t ctl_event(struct ctl *c, const char *name, json_t *fields);

/*
 * Whether an event of this name would reach a client (one that matches,
 * a full queue counting it lost included).  When not, the caller may skip
 * building its fields and call ctl_event_skip(), which takes its seq, as
 * ctl_event() would have: under load with nobody listening, events cost
 * nothing.  c NULL: false.
 */
bool ctl_event_wanted(const struct ctl *c, const char *name);
uint64_t ctl_event_skip(struct ctl *c);

/* Clients connected and admitted (not those being refused). */
unsigned ctl_client_count(const struct ctl *c);
/* Of those, the ones holding at least one pattern. */
unsigned ctl_subscriber_count(const struct ctl *c);
/* The seq of the last event emitted; 0 before the first. */
uint64_t ctl_last_seq(const struct ctl *c);

#endif
