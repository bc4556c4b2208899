/*
 * ctl: the control socket server (protocol: include/ctl_proto.h).
 *
 * Owns the listening socket (its file and the peer check are ctl_sock's),
 * every client connection (struct ctl_client, found by an id that is never
 * reused, so a late reply to a gone client finds nothing), the line
 * framing, every request handed to the dispatch callback and not yet
 * answered (struct ctl_pending), the subscriptions, and the event lines
 * queued for subscribers (struct ctl_line, serialized once and shared).
 * Whether a line is a valid request is ctl_check's to say.
 *
 * A session, "<" from the daemon:
 *
 *   < {"type":"hello","protocol":1,"version":"0.1.0","seq":0}
 *   > {"id":1,"cmd":"subscribe","args":{"patterns":["call.*"]}}
 *   < {"type":"reply","id":1,"ok":true,"result":{"patterns":["call.*"],"seq":0}}
 *   < {"type":"event","seq":1,"event":"call.state",...}
 *
 * Bounds: max_clients connections (one more is told "busy" and closed);
 * max_line bytes per request line (a longer one ends the connection);
 * event_queue events waiting per subscriber before they are dropped and
 * counted ("lost"); reading from a client stops while more than
 * CTL_OUT_HIGH bytes of its replies wait to be sent, since replies are
 * never dropped.  A connection being closed after an error lingers at most
 * CTL_LINGER_S for the error to be read.
 *
 * Callbacks (dispatch) run from the event loop; inside them every ctl_*
 * call is allowed except ctl_free().  The daemon ignores SIGPIPE, so a
 * peer that went away shows up as a write error here.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/acceptor.h"
#include "core/htab.h"
#include "core/log.h"
#include "ctl/ctl.h"
#include "ctl/ctl_check.h"
#include "ctl/ctl_sock.h"
#include "ctl_proto.h"

#define CTL_ACCEPT_BURST 16	/* connections accepted per wake-up */
#define CTL_PAUSE_MS 1000	/* accept pause after EMFILE / ENFILE */
#define CTL_LINGER_S 5		/* a closing client's time to read its error */
#define CTL_OUT_LOW (64u << 10) /* events are moved to the socket below this */
#define CTL_OUT_HIGH (1u << 20) /* reading stops above this */
#define CTL_QUEUE_MIN 16	/* first size of an event ring */

enum cl_state {
	CL_OPEN,
	CL_DRAIN,   /* the peer sent EOF: answer what is pending, then close */
	CL_CLOSING, /* refused or framing lost: flush the error, then close */
};

/* One serialized line (JSON + LF), shared by every queue that holds it. */
struct ctl_line {
	unsigned refs;
	size_t len;
	char buf[];
};

struct ctl_client {
	struct ctl *ctl;
	uint64_t id;	 /* also the by_id key */
	char handle[24]; /* "ctl7" */
	enum cl_state state;
	bool counted; /* in ctl->nclients: admitted and not closing */
	bool paused;  /* reading stopped until the replies drain */
	bool in_id;
	struct ucred cred;
	struct bufferevent *bev; /* owns the socket */
	struct event *linger;
	struct htab_node by_id;
	size_t scanned;	  /* input bytes known to hold no LF */
	unsigned pending; /* requests dispatched and not answered */
	char *pat[CTL_MAX_PATTERNS];
	unsigned npat;
	/* Events not yet handed to the bufferevent: a ring of qcap. */
	struct ctl_line **q;
	unsigned qcap, qhead, qlen;
	uint64_t lost, lost_seq; /* dropped since the last "lost" marker */
};

/* A request handed to the dispatch callback; ctl_free orphans them. */
struct ctl_pending {
	struct ctl_req req;
	struct ctl_pending *prev, *next;
};

struct ctl {
	struct event_base *base;
	struct ctl_cfg cfg; /* cfg.path is path */
	char *path, *version;
	gid_t group;	   /* allowed peers' group */
	char allowed[128]; /* "root, uid 0, group sipuad", for not_allowed */
	ctl_dispatch_fn *dispatch;
	void *arg;
	int fd;
	struct ctl_sock_file file;
	struct acceptor *acc;
	struct htab *clients;
	uint64_t next_id, seq;
	unsigned nclients;
	bool refusing; /* at max_clients; logged once */
	struct ctl_pending *pending;
};

static void client_process(struct ctl_client *cl);

/* ---- lines and replies ---------------------------------------------- */

/* A JSON string of s; bytes that are not UTF-8 (a cut message) become '?'. */
static json_t *msg_json(const char *s)
{
	json_t *j = json_string(s);
	char *t;

	if (j || !(t = strdup(s)))
		return j;
	for (char *p = t; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(t);
	free(t);
	return j;
}

static struct ctl_line *line_new(const json_t *obj)
{
	char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	struct ctl_line *l;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	l = malloc(sizeof(*l) + n + 1);
	if (l) {
		l->refs = 1;
		l->len = n + 1;
		memcpy(l->buf, s, n);
		l->buf[n] = '\n';
	}
	free(s);
	return l;
}

static void line_unref(struct ctl_line *l)
{
	if (l && --l->refs == 0)
		free(l);
}

static void line_cleanup_cb(const void *data, size_t len, void *extra)
{
	line_unref(extra);
}

/* Hand a line (its reference taken) to the socket. 0 or -ENOMEM. */
static int client_put(struct ctl_client *cl, struct ctl_line *l)
{
	struct evbuffer *out = bufferevent_get_output(cl->bev);

	if (evbuffer_add_reference(out, l->buf, l->len, line_cleanup_cb, l) < 0) {
		line_unref(l);
		return -ENOMEM;
	}
	return 0;
}

/* Send obj (taken) as one line.  Only out of memory loses it. */
static void client_send(struct ctl_client *cl, json_t *obj)
{
	struct ctl_line *l = line_new(obj);

	json_decref(obj);
	if (!l || client_put(cl, l) < 0)
		log_warn("%s: out of memory, a reply is lost", cl->handle);
}

/* {"type":"reply","id":id,"ok":true,"result":result}; id borrowed, result taken. */
static void client_reply(struct ctl_client *cl, json_t *id, json_t *result)
{
	json_t *r = json_object();

	json_object_set_new(r, "type", json_string("reply"));
	json_object_set(r, "id", id ? id : json_null());
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "result", result ? result : json_object());
	client_send(cl, r);
}

/* The error reply; id borrowed, msg and fields (extra keys, may be NULL) taken. */
static void client_reply_err(struct ctl_client *cl, json_t *id, const char *code, const char *arg,
			     json_t *msg, json_t *fields)
{
	json_t *r = json_object(), *e = json_object();

	json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message", msg ? msg : json_string("?"));
	if (arg)
		json_object_set_new(e, "argument", json_string(arg));
	if (json_is_object(fields))
		json_object_update_missing(e, fields);
	json_decref(fields);
	json_object_set_new(r, "type", json_string("reply"));
	json_object_set(r, "id", id ? id : json_null());
	json_object_set_new(r, "ok", json_false());
	json_object_set_new(r, "error", e);
	client_send(cl, r);
}

static void client_fail(struct ctl_client *cl, json_t *id, const struct ctl_fail *f)
{
	client_reply_err(cl, id, f->code, f->arg, msg_json(f->msg), NULL);
}

/* ---- event queues ---------------------------------------------------- */

/* Append l (a reference is taken) to the ring.  0 or -ENOMEM. */
static int q_push(struct ctl_client *cl, struct ctl_line *l)
{
	if (cl->qlen == cl->qcap) {
		unsigned cap = cl->qcap ? cl->qcap * 2 : CTL_QUEUE_MIN;
		struct ctl_line **q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (unsigned i = 0; i < cl->qlen; i++)
			q[i] = cl->q[(cl->qhead + i) % cl->qcap];
		free(cl->q);
		cl->q = q;
		cl->qcap = cap;
		cl->qhead = 0;
	}
	cl->q[(cl->qhead + cl->qlen++) % cl->qcap] = l;
	l->refs++;
	return 0;
}

/* The oldest line, its reference handed to the caller. */
static struct ctl_line *q_pop(struct ctl_client *cl)
{
	struct ctl_line *l = cl->q[cl->qhead];

	cl->qhead = (cl->qhead + 1) % cl->qcap;
	cl->qlen--;
	return l;
}

static void q_clear(struct ctl_client *cl)
{
	while (cl->qlen > 0)
		line_unref(q_pop(cl));
}

/* Queue the "lost" marker for the events dropped so far, then count anew. */
static void client_queue_lost(struct ctl_client *cl)
{
	json_t *o =
	    json_pack("{s:s, s:I, s:s, s:I}", "type", "event", "seq", (json_int_t)cl->lost_seq,
		      "event", "lost", "count", (json_int_t)cl->lost);
	struct ctl_line *l = line_new(o);

	json_decref(o);
	if (l && q_push(cl, l) == 0) {
		log_info("%s: %" PRIu64 " events lost (up to seq %" PRIu64 ")", cl->handle,
			 cl->lost, cl->lost_seq);
		cl->lost = 0;
	}
	line_unref(l);
}

/*
 * Move queued events into the bufferevent while it holds less than
 * CTL_OUT_LOW, so at most event_queue of them wait in memory per client
 * beyond what the socket takes; the write callback calls again as it drains.
 */
static void client_refill(struct ctl_client *cl)
{
	struct evbuffer *out = bufferevent_get_output(cl->bev);

	while (cl->state != CL_CLOSING) {
		if (cl->lost > 0 && cl->qlen < cl->ctl->cfg.event_queue)
			client_queue_lost(cl);
		if (cl->qlen == 0 || evbuffer_get_length(out) >= CTL_OUT_LOW)
			return;
		if (client_put(cl, q_pop(cl)) < 0)
			return;
	}
}

static void client_drop(struct ctl_client *cl, uint64_t seq)
{
	if (cl->lost++ == 0)
		log_info("%s: does not keep up with events, dropping from seq %" PRIu64, cl->handle,
			 seq);
	cl->lost_seq = seq;
}

/* No room for one more event (after the "lost" marker, if one is due). */
static bool client_full(struct ctl_client *cl)
{
	if (cl->lost > 0 && cl->qlen < cl->ctl->cfg.event_queue)
		client_queue_lost(cl);
	return cl->qlen >= cl->ctl->cfg.event_queue;
}

/* Queue l (NULL: it could not be made) or count it lost. */
static void client_event(struct ctl_client *cl, struct ctl_line *l, uint64_t seq)
{
	if (!l || q_push(cl, l) < 0) {
		client_drop(cl, seq);
		return;
	}
	client_refill(cl);
}

/* ---- subscriptions --------------------------------------------------- */

static bool client_holds(const struct ctl_client *cl, const char *pattern)
{
	for (unsigned i = 0; i < cl->npat; i++)
		if (strcmp(cl->pat[i], pattern) == 0)
			return true;
	return false;
}

static bool client_matches(const struct ctl_client *cl, const char *name)
{
	for (unsigned i = 0; i < cl->npat; i++)
		if (fnmatch(cl->pat[i], name, 0) == 0)
			return true;
	return false;
}

/* 0 (also when already held), -ENOSPC (CTL_MAX_PATTERNS) or -ENOMEM. */
static int client_subscribe(struct ctl_client *cl, const char *pattern)
{
	if (client_holds(cl, pattern))
		return 0;
	if (cl->npat >= CTL_MAX_PATTERNS)
		return -ENOSPC;
	cl->pat[cl->npat] = strdup(pattern);
	if (!cl->pat[cl->npat])
		return -ENOMEM;
	cl->npat++;
	return 0;
}

/* Remove pattern, or all when NULL.  How many were removed. */
static unsigned client_unsubscribe(struct ctl_client *cl, const char *pattern)
{
	unsigned i = 0, n = 0;

	while (i < cl->npat) {
		if (pattern && strcmp(cl->pat[i], pattern) != 0) {
			i++;
			continue;
		}
		free(cl->pat[i]);
		cl->pat[i] = cl->pat[--cl->npat];
		n++;
	}
	return n;
}

static json_t *patterns_json(const struct ctl_client *cl)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < cl->npat; i++)
		json_array_append_new(a, json_string(cl->pat[i]));
	return a;
}

/* ---- clients --------------------------------------------------------- */

static struct ctl_client *client_by_id(const struct ctl *c, uint64_t id)
{
	struct htab_node *n = htab_find(c->clients, (const char *)&id, sizeof(id));

	return n ? container_of(n, struct ctl_client, by_id) : NULL;
}

static void client_uncount(struct ctl_client *cl)
{
	if (cl->counted)
		cl->ctl->nclients--;
	cl->counted = false;
}

/* Releases everything.  NULL is a no-op. */
static void client_free(struct ctl_client *cl)
{
	if (!cl)
		return;
	client_uncount(cl);
	if (cl->in_id)
		htab_remove(cl->ctl->clients, &cl->by_id);
	if (cl->q)
		q_clear(cl);
	free(cl->q);
	client_unsubscribe(cl, NULL);
	if (cl->linger)
		event_free(cl->linger);
	if (cl->bev)
		bufferevent_free(cl->bev);
	free(cl);
}

/* Read no more; close once what is queued has been sent, or after CTL_LINGER_S. */
static void client_close_after(struct ctl_client *cl)
{
	struct timeval tv = {CTL_LINGER_S, 0};
	struct evbuffer *in = bufferevent_get_input(cl->bev);

	client_uncount(cl);
	cl->state = CL_CLOSING;
	q_clear(cl);
	bufferevent_disable(cl->bev, EV_READ);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_setwatermark(cl->bev, EV_WRITE, 0, 0);
	evtimer_add(cl->linger, &tv);
}

/* After EOF: close when every request is answered and everything sent. */
static void client_drain_check(struct ctl_client *cl)
{
	if (cl->pending == 0 && cl->qlen == 0 &&
	    evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0) {
		log_debug("%s: done", cl->handle);
		client_free(cl);
		return;
	}
	bufferevent_setwatermark(cl->bev, EV_WRITE, 0, 0);
}

static void client_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *cl = arg;

	log_debug("%s: does not read its error, closing", cl->handle);
	client_free(cl);
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
	client_process(arg);
}

/* Output at or below its low watermark: refill, resume reading, or close. */
static void client_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (cl->state == CL_CLOSING) {
		if (evbuffer_get_length(out) == 0)
			client_free(cl);
		return;
	}
	if (cl->paused && evbuffer_get_length(out) <= CTL_OUT_LOW) {
		log_debug("%s: replies drained, reading again", cl->handle);
		cl->paused = false;
		if (cl->state == CL_OPEN)
			bufferevent_enable(bev, EV_READ);
		client_process(cl);
	}
	client_refill(cl);
	if (cl->state == CL_DRAIN)
		client_drain_check(cl);
}

/*
 * EOF: did the peer close (POLLHUP: both directions shut) or only shut
 * its sending side (shutdown(SHUT_WR), "echo ... | socat")?
 */
static bool peer_gone(int fd)
{
	struct pollfd p = {.fd = fd};

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *cl = arg;
	int e = EVUTIL_SOCKET_ERROR();

	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) && cl->state == CL_OPEN &&
	    !peer_gone(bufferevent_getfd(bev))) {
		/* Half-closed: the answers may still be read. */
		cl->state = CL_DRAIN;
		client_process(cl);
		if (cl->state == CL_DRAIN)
			client_drain_check(cl);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		log_debug("%s: %s", cl->handle, strerror(e));
	else
		log_debug("%s: closed", cl->handle);
	client_free(cl);
}

/* A client around fd (always taken over: closed on failure). 0 or -ENOMEM. */
static int client_new(struct ctl *c, int fd, struct ctl_client **clp)
{
	struct ctl_client *cl = calloc(1, sizeof(*cl));
	int err = -ENOMEM;

	if (!cl)
		goto out;
	cl->ctl = c;
	cl->id = c->next_id++;
	snprintf(cl->handle, sizeof(cl->handle), "ctl%" PRIu64, cl->id);
	cl->state = CL_CLOSING;
	ctl_sock_peer(fd, &cl->cred);
	cl->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!cl->bev)
		goto out;
	fd = -1;
	cl->linger = evtimer_new(c->base, client_linger_cb, cl);
	if (!cl->linger)
		goto out;
	err = htab_insert(c->clients, &cl->by_id, (const char *)&cl->id, sizeof(cl->id));
	if (err)
		goto out;
	cl->in_id = true;
	bufferevent_setcb(cl->bev, client_read_cb, client_write_cb, client_event_cb, cl);
	bufferevent_setwatermark(cl->bev, EV_WRITE, CTL_OUT_LOW, 0);
	*clp = cl;
	cl = NULL;
out:
	if (fd >= 0)
		close(fd);
	client_free(cl);
	return err;
}

/* ---- requests -------------------------------------------------------- */

typedef int(builtin_fn)(struct ctl_client *cl, json_t *args, json_t **res, struct ctl_fail *f);

static int cmd_help(struct ctl_client *cl, json_t *args, json_t **res, struct ctl_fail *f)
{
	return ctl_check_help(args, res, f);
}

static int cmd_hello(struct ctl_client *cl, json_t *args, json_t **res, struct ctl_fail *f)
{
	*res = json_pack("{s:i, s:s, s:I}", "protocol", CTL_PROTOCOL, "version", cl->ctl->version,
			 "seq", (json_int_t)cl->ctl->seq);
	return 0;
}

static int cmd_subscribe(struct ctl_client *cl, json_t *args, json_t **res, struct ctl_fail *f)
{
	json_t *pats = json_object_get(args, "patterns");
	const char *want[CTL_MAX_PATTERNS] = {"*"};
	size_t i, n = json_array_size(pats);
	unsigned add = 0;

	if (n > CTL_MAX_PATTERNS)
		return ctl_check_fail(f, CTL_ERR_BAD_ARGUMENT, "patterns",
				      "a client holds at most %d patterns", CTL_MAX_PATTERNS);
	for (i = 0; i < n; i++) {
		want[i] = json_string_value(json_array_get(pats, i));
		if (!*want[i])
			return ctl_check_fail(f, CTL_ERR_BAD_ARGUMENT, "patterns", "empty pattern");
	}
	n = n ? n : 1;
	for (i = 0; i < n; i++) {
		bool dup = client_holds(cl, want[i]);

		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(want[i], want[j]) == 0;
		add += !dup;
	}
	if (cl->npat + add > CTL_MAX_PATTERNS)
		return ctl_check_fail(f, CTL_ERR_BAD_ARGUMENT, "patterns",
				      "a client holds at most %d patterns (%u held, %u new)",
				      CTL_MAX_PATTERNS, cl->npat, add);
	for (i = 0; i < n; i++)
		if (client_subscribe(cl, want[i]) < 0)
			return ctl_check_fail(f, CTL_ERR_FAILED, NULL, "out of memory");
	log_debug("%s: subscribed, %u patterns", cl->handle, cl->npat);
	*res =
	    json_pack("{s:o, s:I}", "patterns", patterns_json(cl), "seq", (json_int_t)cl->ctl->seq);
	return 0;
}

static int cmd_unsubscribe(struct ctl_client *cl, json_t *args, json_t **res, struct ctl_fail *f)
{
	json_t *pats = json_object_get(args, "patterns");
	size_t n = json_array_size(pats);
	unsigned removed = 0;

	if (n == 0)
		removed = client_unsubscribe(cl, NULL);
	for (size_t i = 0; i < n; i++)
		removed += client_unsubscribe(cl, json_string_value(json_array_get(pats, i)));
	*res = json_pack("{s:o, s:i}", "patterns", patterns_json(cl), "removed", (int)removed);
	return 0;
}

/*
 * The commands about the connection or the table, answered here: their
 * rows (ctl_cmds_ctl.h) name the functions above.  Every other row is the
 * dispatch callback's.
 */
#define CTL_BUILTIN_(id, name, usage, help, handler, ...) [CTL_CMD_##id] = handler,
static builtin_fn *const builtins[CTL_NCMDS] = {CTL_CMDS_CTL(CTL_BUILTIN_)};
#undef CTL_BUILTIN_

/* Hand the request of row cmd to the daemon; args stay valid until dispatch returns. */
static void req_dispatch(struct ctl_client *cl, json_t *id, enum ctl_cmd_id cmd, json_t *args)
{
	struct ctl *c = cl->ctl;
	struct ctl_pending *p = c->dispatch ? calloc(1, sizeof(*p)) : NULL;

	if (!p) {
		client_reply_err(cl, id, CTL_ERR_FAILED, NULL,
				 json_string(c->dispatch ? "out of memory" : "no handler"), NULL);
		return;
	}
	p->req.ctl = c;
	p->req.client = cl->id;
	p->req.id = json_incref(id);
	p->req.cmd_id = cmd;
	p->req.cmd = ctl_cmds[cmd].name;
	p->req.args = args;
	p->next = c->pending;
	if (p->next)
		p->next->prev = p;
	c->pending = p;
	cl->pending++;
	c->dispatch(c->arg, &p->req);
}

/* One request line (not blank), answered here or dispatched. */
static void req_line(struct ctl_client *cl, const char *buf, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	json_t *id = json_is_object(root) ? json_object_get(root, "id") : NULL;
	const struct ctl_cmd_info *ci = NULL;
	struct ctl_fail f = {0};
	json_t *args = NULL, *res = NULL;
	builtin_fn *fn;

	if (ctl_check_request(root, &je, &ci, &args, &f) < 0) {
		log_debug("%s: %s: %s", cl->handle, f.code, f.msg);
		client_fail(cl, id, &f);
	} else if ((fn = builtins[ci - ctl_cmds])) {
		if (fn(cl, args, &res, &f) < 0)
			client_fail(cl, id, &f);
		else
			client_reply(cl, id, res);
	} else {
		req_dispatch(cl, id, (enum ctl_cmd_id)(ci - ctl_cmds), args);
	}
	json_decref(root);
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/*
 * Take the next line from the input.  Once some bytes are known to hold no
 * LF, only the new ones are searched.  After EOF a last line may lack its
 * LF.  1: one handled; 0: wait; -EMSGSIZE: over max_line, closing.
 */
static int client_line(struct ctl_client *cl)
{
	struct evbuffer *in = bufferevent_get_input(cl->bev);
	size_t len = evbuffer_get_length(in), max = cl->ctl->cfg.max_line, n, eol = 1;
	struct evbuffer_ptr p = {.pos = -1};
	struct ctl_fail f;
	const char *buf;

	if (len == 0)
		return 0;
	if (cl->scanned < len && evbuffer_ptr_set(in, &p, cl->scanned, EVBUFFER_PTR_SET) == 0)
		p = evbuffer_search_eol(in, &p, NULL, EVBUFFER_EOL_LF);
	if (p.pos >= 0) {
		n = (size_t)p.pos;
	} else if (len <= max && cl->state == CL_OPEN) {
		cl->scanned = len;
		return 0;
	} else {
		n = len;
		eol = 0;
	}
	if (n > max) {
		log_info("%s: request line longer than %zu bytes, closing", cl->handle, max);
		ctl_check_fail(&f, CTL_ERR_BAD_REQUEST, NULL,
			       "request line longer than %zu bytes ([control] max_line_bytes)",
			       max);
		client_fail(cl, NULL, &f);
		client_close_after(cl);
		return -EMSGSIZE;
	}
	buf = n > 0 ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : "";
	if (!buf)
		return 0;
	if (!blank(buf, n))
		req_line(cl, buf, n);
	evbuffer_drain(in, n + eol);
	cl->scanned = 0;
	return 1;
}

/*
 * Handle the complete lines in the input, unless the client's replies
 * pile up unread: then stop reading until they drain (never drop one).
 */
static void client_process(struct ctl_client *cl)
{
	while (cl->state != CL_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(cl->bev)) > CTL_OUT_HIGH) {
			if (!cl->paused)
				log_debug("%s: does not read its replies, reading paused",
					  cl->handle);
			cl->paused = true;
			bufferevent_disable(cl->bev, EV_READ);
			return;
		}
		if (client_line(cl) <= 0)
			return;
	}
}

/* Send the error and close; no hello. */
static void client_refuse(struct ctl_client *cl, const struct ctl_fail *f)
{
	client_fail(cl, NULL, f);
	client_close_after(cl);
}

/* A new connection: check the peer and the bound, then say hello. */
static void client_admit(struct ctl *c, int fd)
{
	struct ctl_client *cl = NULL;
	struct ctl_fail f;

	if (client_new(c, fd, &cl) < 0) {
		log_warn("control socket %s: out of memory, a client is dropped", c->path);
		return;
	}
	if (!ctl_sock_allowed(fd, &cl->cred, c->group)) {
		log_info("%s: uid %d pid %d may not use the control socket, refused", cl->handle,
			 (int)cl->cred.uid, (int)cl->cred.pid);
		ctl_check_fail(&f, CTL_ERR_NOT_ALLOWED, NULL,
			       "uid %d may not use the control socket (allowed: %s)",
			       (int)cl->cred.uid, c->allowed);
		client_refuse(cl, &f);
		return;
	}
	if (c->nclients >= c->cfg.max_clients) {
		if (!c->refusing)
			log_warn("%s: %u control clients connected ([control] max_clients), "
				 "refusing more",
				 cl->handle, c->nclients);
		c->refusing = true;
		ctl_check_fail(&f, CTL_ERR_BUSY, NULL,
			       "too many control clients (%u connected; [control] max_clients)",
			       c->nclients);
		client_refuse(cl, &f);
		return;
	}
	c->refusing = false;
	cl->state = CL_OPEN;
	cl->counted = true;
	c->nclients++;
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
	log_debug("%s: uid %d pid %d connected", cl->handle, (int)cl->cred.uid, (int)cl->cred.pid);
	client_send(cl, json_pack("{s:s, s:i, s:s, s:I}", "type", "hello", "protocol", CTL_PROTOCOL,
				  "version", c->version, "seq", (json_int_t)c->seq));
}

/* ---- listener -------------------------------------------------------- */

/* A new connection (acceptor.h). */
static void lsn_accept_cb(void *arg, int fd, const struct net_addr *peer)
{
	client_admit(arg, fd);
}

/* ---- interface ------------------------------------------------------- */

int ctl_new(struct ctl **cp, struct event_base *base, const struct ctl_cfg *cfg,
	    const char *version, ctl_dispatch_fn *dispatch, void *arg)
{
	struct ctl *c = calloc(1, sizeof(*c));
	char name[160]; /* "control socket " and a sun_path */
	struct acceptor_cfg ac = {
	    .name = name, .burst = CTL_ACCEPT_BURST, .pause_ms = CTL_PAUSE_MS};
	int err = -ENOMEM;

	if (!c)
		goto out;
	c->base = base;
	c->fd = -1;
	c->dispatch = dispatch;
	c->arg = arg;
	c->next_id = 1;
	c->cfg = *cfg;
	c->path = strdup(cfg->path);
	c->version = strdup(version ? version : "");
	if (!c->path || !c->version)
		goto out;
	c->cfg.path = c->path;
	c->group = cfg->group != (gid_t)-1 ? cfg->group : getegid();
	ctl_sock_allowed_text(c->group, c->allowed, sizeof(c->allowed));
	err = htab_new(&c->clients);
	if (err)
		goto out;
	err = ctl_sock_listen(c->path, cfg->owner, cfg->group, &c->fd, &c->file);
	if (err)
		goto out;
	snprintf(name, sizeof(name), "control socket %s", c->path);
	err = acceptor_new(&c->acc, base, c->fd, &ac, lsn_accept_cb, c);
	if (err)
		goto out;
	log_debug("control socket %s: listening", c->path);
	*cp = c;
	c = NULL;
	err = 0;
out:
	ctl_free(c);
	return err;
}

/*
 * The daemon is exiting: hand what is still queued for the client (the
 * reply to `shutdown`, the daemon.stopping event) to the kernel once,
 * without waiting, then free it.
 */
static void client_flush_free_node(struct htab_node *n, void *arg)
{
	struct ctl_client *cl = container_of(n, struct ctl_client, by_id);

	(void)arg;
	if (cl->bev) {
		struct evbuffer *out = bufferevent_get_output(cl->bev);

		if (cl->state != CL_CLOSING)
			client_refill(cl);
		/*
		 * A socket bufferevent keeps the start of its output frozen
		 * outside its own write callback, and evbuffer_write() on a
		 * frozen buffer fails without writing: thaw it first.  Events
		 * emitted in the loop's last round are still here (found when a
		 * SIGTERM ended three calls within a millisecond).
		 */
		if (evbuffer_get_length(out)) {
			evbuffer_unfreeze(out, 1);
			if (evbuffer_write(out, bufferevent_getfd(cl->bev)) < 0)
				log_debug("%s: %zu bytes could not be sent before exit: %s",
					  cl->handle, evbuffer_get_length(out), strerror(errno));
		}
	}
	client_free(cl);
}

void ctl_free(struct ctl *c)
{
	struct ctl_pending *p;

	if (!c)
		return;
	if (c->clients)
		htab_foreach(c->clients, client_flush_free_node, NULL);
	/* Requests still with their handlers: their replies will be dropped. */
	while ((p = c->pending)) {
		c->pending = p->next;
		p->prev = p->next = NULL;
		p->req.ctl = NULL;
	}
	acceptor_free(c->acc);
	if (c->fd >= 0)
		close(c->fd);
	ctl_sock_unlink(c->path, &c->file);
	htab_free(c->clients);
	free(c->path);
	free(c->version);
	free(c);
}

static void client_refill_node(struct htab_node *n, void *arg)
{
	struct ctl_client *cl = container_of(n, struct ctl_client, by_id);

	if (cl->state != CL_CLOSING)
		client_refill(cl);
}

void ctl_set_cfg(struct ctl *c, const struct ctl_cfg *cfg)
{
	c->cfg.max_clients = cfg->max_clients;
	c->cfg.max_line = cfg->max_line;
	c->cfg.event_queue = cfg->event_queue;
	/* A larger queue has room now: tell the slow ones what they lost. */
	htab_foreach(c->clients, client_refill_node, NULL);
}

/* The client of req, or NULL when it is gone (or ctl is). */
static struct ctl_client *req_client(const struct ctl_req *req)
{
	return req->ctl ? client_by_id(req->ctl, req->client) : NULL;
}

/* Unlink from the pending list and free; the client's count is done. */
static void req_free(struct ctl_req *req)
{
	struct ctl_pending *p = container_of(req, struct ctl_pending, req);

	if (req->ctl) {
		if (p->prev)
			p->prev->next = p->next;
		else
			req->ctl->pending = p->next;
		if (p->next)
			p->next->prev = p->prev;
	}
	json_decref(req->id);
	free(p);
}

void ctl_reply_ok(struct ctl_req *req, json_t *result)
{
	struct ctl_client *cl = req ? req_client(req) : NULL;

	if (cl) {
		cl->pending--;
		client_reply(cl, req->id, result);
	} else {
		json_decref(result);
		if (req)
			log_debug("ctl%" PRIu64 ": gone, reply to '%s' dropped", req->client,
				  req->cmd);
	}
	if (req)
		req_free(req);
}

/* Both error replies; fields (taken, may be NULL) go into "error". */
__attribute__((format(printf, 5, 0))) static void reply_err_v(struct ctl_req *req, const char *code, const char *argument, json_t *fields,
			const char *fmt, va_list ap)
{
	struct ctl_client *cl = req ? req_client(req) : NULL;
	char *msg = NULL;

	if (cl) {
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		cl->pending--;
		client_reply_err(cl, req->id, code, argument, msg_json(msg ? msg : "?"), fields);
		free(msg);
	} else {
		json_decref(fields);
		if (req)
			log_debug("ctl%" PRIu64 ": gone, reply to '%s' dropped", req->client,
				  req->cmd);
	}
	if (req)
		req_free(req);
}

void ctl_reply_err(struct ctl_req *req, const char *code, const char *argument, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_err_v(req, code, argument, NULL, fmt, ap);
	va_end(ap);
}

void ctl_reply_err_fields(struct ctl_req *req, const char *code, const char *argument,
			  json_t *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_err_v(req, code, argument, fields, fmt, ap);
	va_end(ap);
}

int ctl_subscribe(struct ctl_req *req, const char *pattern)
{
	struct ctl_client *cl = req_client(req);

	return cl ? client_subscribe(cl, pattern) : -ENOENT;
}

unsigned ctl_unsubscribe(struct ctl_req *req, const char *pattern)
{
	struct ctl_client *cl = req_client(req);

	return cl ? client_unsubscribe(cl, pattern) : 0;
}

struct emit {
	const char *name;
	uint64_t seq;
	json_t *obj;
	struct ctl_line *line; /* made at the first subscriber */
	bool tried;
};

static void emit_node(struct htab_node *n, void *arg)
{
	struct ctl_client *cl = container_of(n, struct ctl_client, by_id);
	struct emit *e = arg;

	if (cl->state != CL_OPEN || !client_matches(cl, e->name))
		return;
	if (client_full(cl)) {
		client_drop(cl, e->seq);
		return;
	}
	if (!e->tried)
		e->line = line_new(e->obj);
	e->tried = true;
	client_event(cl, e->line, e->seq);
}

uint64_t ctl_event(struct ctl *c, const char *name, json_t *fields)
{
	struct emit e = {.name = name};

	if (!c) {
		json_decref(fields);
		return 0;
	}
	e.seq = ++c->seq;
	e.obj =
	    json_pack("{s:s, s:I, s:s}", "type", "event", "seq", (json_int_t)e.seq, "event", name);
	if (e.obj && json_is_object(fields))
		json_object_update_missing(e.obj, fields);
	json_decref(fields);
	htab_foreach(c->clients, emit_node, &e);
	line_unref(e.line);
	json_decref(e.obj);
	return e.seq;
}

struct wanted {
	const char *name;
	bool yes;
};

static void wanted_node(struct htab_node *n, void *arg)
{
	struct ctl_client *cl = container_of(n, struct ctl_client, by_id);
	struct wanted *w = arg;

	w->yes = w->yes || (cl->state == CL_OPEN && client_matches(cl, w->name));
}

bool ctl_event_wanted(const struct ctl *c, const char *name)
{
	struct wanted w = {.name = name};

	if (!c || !c->nclients)
		return false;
	htab_foreach(c->clients, wanted_node, &w);
	return w.yes;
}

uint64_t ctl_event_skip(struct ctl *c)
{
	return c ? ++c->seq : 0;
}

unsigned ctl_client_count(const struct ctl *c)
{
	return c->nclients;
}

static void count_subscriber(struct htab_node *n, void *arg)
{
	struct ctl_client *cl = container_of(n, struct ctl_client, by_id);

	*(unsigned *)arg += cl->state == CL_OPEN && cl->npat > 0;
}

unsigned ctl_subscriber_count(const struct ctl *c)
{
	unsigned n = 0;

	htab_foreach(c->clients, count_subscriber, &n);
	return n;
}

uint64_t ctl_last_seq(const struct ctl *c)
{
	return c->seq;
}
