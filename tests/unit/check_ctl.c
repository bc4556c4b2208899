/*
 * check_ctl: the control socket server over real UNIX sockets.
 *
 * Each test makes its own event_base, a socket path in a fresh mkdtemp
 * directory, a ctl and raw client sockets registered on the same base.
 * A client's lines are read by running the loop (EVLOOP_ONCE) until the
 * line, EOF or a safety timer comes, so a bug fails a test instead of
 * hanging it; nothing sleeps.  Everything is freed at the end of each
 * test, so an AddressSanitizer build also checks for leaks.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "core/log.h"
#include "ctl/ctl.h"
#include "ctl_proto.h"

#include "check_run.h"

#define SAFETY_S 5
#define MAXREQ 8

struct t;

/* A raw client: its socket (or any fd to read lines from) and what came. */
struct cli {
	struct t *t;
	int fd;
	struct event *ev;
	char *buf;
	size_t off, len, cap;
	bool eof;
};

struct t {
	struct event_base *base;
	struct event *safety;
	bool timed_out;
	char dir[64], path[128];
	struct ctl_cfg cfg;
	struct ctl *ctl;
	struct ctl_req *req[MAXREQ]; /* dispatched, not answered */
	int nreq;
	unsigned ndispatched; /* requests that reached on_dispatch */
	bool answer; /* dispatch answers at once */
	char uri[64];
};

/* ---- harness -------------------------------------------------------- */

static void safety_cb(evutil_socket_t fd, short what, void *arg)
{
	((struct t *)arg)->timed_out = true;
}

static void on_dispatch(void *arg, struct ctl_req *req)
{
	struct t *t = arg;
	const char *uri = json_string_value(json_object_get(req->args, "uri"));

	if (uri)
		snprintf(t->uri, sizeof(t->uri), "%s", uri);
	t->ndispatched++;
	if (t->answer) {
		ctl_reply_ok(req, json_pack("{s:s, s:i}", "cmd", req->cmd, "cmd_id", (int)req->cmd_id));
		return;
	}
	ck_assert_int_lt(t->nreq, MAXREQ);
	t->req[t->nreq++] = req;
}

static void t_cfg(struct t *t)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->dir, "/tmp/check_ctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/ctl.sock", t->dir);
	t->cfg = (struct ctl_cfg){.path = t->path,
				  .group = (gid_t)-1,
				  .owner = (uid_t)-1,
				  .max_clients = 8,
				  .max_line = 4096,
				  .event_queue = 100};
	t->base = event_base_new();
	ck_assert_ptr_nonnull(t->base);
	t->safety = evtimer_new(t->base, safety_cb, t);
	t->answer = true;
}

static void t_init(struct t *t)
{
	t_cfg(t);
	ck_assert_int_eq(ctl_new(&t->ctl, t->base, &t->cfg, "1.2.3", on_dispatch, t), 0);
}

static void t_fini(struct t *t)
{
	char other[160];

	ctl_free(t->ctl);
	snprintf(other, sizeof(other), "%s/other", t->dir);
	unlink(t->path);
	unlink(other);
	ck_assert_int_eq(rmdir(t->dir), 0);
	event_free(t->safety);
	event_base_free(t->base);
}

/* Run the loop until done(t) holds; false if the safety timer fired first. */
static bool run_until(struct t *t, bool (*done)(struct t *))
{
	struct timeval tv = {SAFETY_S, 0};

	t->timed_out = false;
	evtimer_add(t->safety, &tv);
	while (!done(t) && !t->timed_out)
		event_base_loop(t->base, EVLOOP_ONCE);
	evtimer_del(t->safety);
	return done(t);
}

static bool have_req(struct t *t)
{
	return t->nreq > 0;
}

static bool have_two(struct t *t)
{
	return t->nreq > 1;
}

static void cli_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cli *c = arg;
	ssize_t n;

	for (;;) {
		if (c->cap - c->len < 4096) {
			c->cap = c->cap * 2 + 65536;
			c->buf = realloc(c->buf, c->cap);
			ck_assert_ptr_nonnull(c->buf);
		}
		n = read(fd, c->buf + c->len, c->cap - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		c->eof = true; /* 0, or ECONNRESET after unread data */
		event_del(c->ev);
		return;
	}
}

/* Read lines from fd (taken). */
static void cli_fd(struct t *t, struct cli *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->fd = fd;
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	c->ev = event_new(t->base, fd, EV_READ | EV_PERSIST, cli_read_cb, c);
	ck_assert_int_eq(event_add(c->ev, NULL), 0);
}

static int sock_to(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void cli_new(struct t *t, struct cli *c)
{
	int fd = sock_to(t->path);

	ck_assert_int_ge(fd, 0);
	cli_fd(t, c, fd);
}

static void cli_free(struct cli *c)
{
	event_free(c->ev);
	close(c->fd);
	free(c->buf);
}

static bool cli_want_line;
static struct cli *cli_waiting;

static bool cli_ready(struct t *t)
{
	struct cli *c = cli_waiting;

	return c->eof ||
	       (cli_want_line && c->len > c->off && memchr(c->buf + c->off, '\n', c->len - c->off));
}

/* The next line as JSON; NULL at EOF.  A timeout fails the test. */
static json_t *cli_json(struct cli *c)
{
	json_error_t je;
	char *p, *nl;
	json_t *j;

	cli_waiting = c;
	cli_want_line = true;
	ck_assert_msg(run_until(c->t, cli_ready), "no line within %d s", SAFETY_S);
	p = c->buf + c->off;
	nl = c->len > c->off ? memchr(p, '\n', c->len - c->off) : NULL;
	if (!nl)
		return NULL;
	j = json_loadb(p, (size_t)(nl - p), 0, &je);
	ck_assert_msg(j != NULL, "bad line from the daemon: %s", je.text);
	c->off += (size_t)(nl - p) + 1;
	if (c->off == c->len)
		c->off = c->len = 0;
	return j;
}

/* The peer closed, with nothing more to read. */
static void cli_eof(struct cli *c)
{
	cli_waiting = c;
	cli_want_line = false;
	ck_assert(run_until(c->t, cli_ready));
	ck_assert_uint_eq(c->len - c->off, 0);
}

static void cli_send(struct cli *c, const char *s)
{
	ck_assert_int_eq(write(c->fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Send one line, return the next line (the reply when not subscribed). */
static json_t *rpc(struct cli *c, const char *line)
{
	cli_send(c, line);
	cli_send(c, "\n");
	return cli_json(c);
}

static const char *str(json_t *j, const char *path)
{
	const char *dot = strchr(path, '.');
	char key[32];

	if (!dot)
		return json_string_value(json_object_get(j, path));
	snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
	return str(json_object_get(j, key), dot + 1);
}

static json_int_t num(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	ck_assert_msg(json_is_integer(v), "no integer %s", key);
	return json_integer_value(v);
}

/* j (freed) is an error reply with code and, if not NULL, argument. */
static void ck_err(json_t *j, const char *code, const char *arg, const char *in_msg)
{
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(str(j, "type"), "reply");
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert_str_eq(str(j, "error.code"), code);
	if (arg)
		ck_assert_str_eq(str(j, "error.argument"), arg);
	else
		ck_assert_ptr_null(json_object_get(json_object_get(j, "error"), "argument"));
	if (in_msg)
		ck_assert_msg(strstr(str(j, "error.message"), in_msg), "message '%s' lacks '%s'",
			      str(j, "error.message"), in_msg);
	json_decref(j);
}

/* j is an ok reply; its result (borrowed from j). */
static json_t *ck_ok(json_t *j)
{
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(str(j, "type"), "reply");
	ck_assert_msg(json_is_true(json_object_get(j, "ok")), "error: %s", str(j, "error.message"));
	return json_object_get(j, "result");
}

/* A connected client that has read its hello. */
static void cli_hello(struct t *t, struct cli *c)
{
	json_t *h;

	cli_new(t, c);
	h = cli_json(c);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(str(h, "type"), "hello");
	json_decref(h);
}

/* ---- requests -------------------------------------------------------- */

START_TEST(test_hello)
{
	struct t t;
	struct cli c;
	json_t *h;

	t_init(&t);
	ck_assert_uint_eq(ctl_event(t.ctl, "x", NULL), 1);
	ck_assert_uint_eq(ctl_event(t.ctl, "x", NULL), 2);
	cli_new(&t, &c);
	h = cli_json(&c);
	ck_assert_str_eq(str(h, "type"), "hello");
	ck_assert_int_eq(num(h, "protocol"), CTL_PROTOCOL);
	ck_assert_str_eq(str(h, "version"), "1.2.3");
	ck_assert_int_eq(num(h, "seq"), 2);
	json_decref(h);
	ck_assert_uint_eq(ctl_client_count(t.ctl), 1);
	h = rpc(&c, "{\"cmd\":\"hello\"}");
	ck_assert_int_eq(num(ck_ok(h), "seq"), 2);
	ck_assert_str_eq(str(h, "result.version"), "1.2.3");
	json_decref(h);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

START_TEST(test_id_echo)
{
	static const char *ids[] = {"7", "\"abc\"", "{\"a\":[1,2]}", "null", "2.5"};
	struct t t;
	struct cli c;
	char line[128];
	json_t *j, *want;

	t_init(&t);
	cli_hello(&t, &c);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(line, sizeof(line), "{\"id\":%s,\"cmd\":\"hello\"}", ids[i]);
		j = rpc(&c, line);
		want = json_loads(ids[i], JSON_DECODE_ANY, NULL);
		ck_assert(json_equal(json_object_get(j, "id"), want));
		json_decref(want);
		json_decref(j);
	}
	/* Absent: null; blank lines and CRLF are fine. */
	cli_send(&c, "\r\n   \n{\"cmd\":\"hello\"}\r\n");
	j = cli_json(&c);
	ck_ok(j);
	ck_assert(json_is_null(json_object_get(j, "id")));
	json_decref(j);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

START_TEST(test_bad_requests)
{
	struct t t;
	struct cli c;
	json_t *j;

	t_init(&t);
	cli_hello(&t, &c);
	ck_err(rpc(&c, "{\"cmd\":"), CTL_ERR_BAD_REQUEST, NULL, "column");
	j = rpc(&c, "{\"id\":2,\"cmd\":\"hello\"}");
	ck_ok(j);
	ck_assert_int_eq(num(j, "id"), 2);
	json_decref(j);
	ck_err(rpc(&c, "{\"cmd\":\"a\",\"cmd\":\"b\"}"), CTL_ERR_BAD_REQUEST, NULL, "not JSON");
	ck_err(rpc(&c, "[1,2]"), CTL_ERR_BAD_REQUEST, NULL, "request is not a JSON object");
	ck_err(rpc(&c, "42"), CTL_ERR_BAD_REQUEST, NULL, "not a JSON object");
	ck_err(rpc(&c, "{\"id\":1}"), CTL_ERR_BAD_REQUEST, NULL, "missing \"cmd\"");
	ck_err(rpc(&c, "{\"cmd\":5}"), CTL_ERR_BAD_REQUEST, NULL, "\"cmd\" must be a string");
	ck_err(rpc(&c, "{\"cmd\":\"help\",\"args\":[]}"), CTL_ERR_BAD_REQUEST, NULL,
	       "\"args\" must be an object");
	ck_err(rpc(&c, "{\"cmd\":\"foo\"}"), CTL_ERR_UNKNOWN, NULL,
	       "unknown command 'foo'; 'help' lists them");
	ck_err(rpc(&c, "{\"cmd\":\"options\"}"), CTL_ERR_BAD_ARGUMENT, "uri",
	       "missing argument 'uri' (sip: URI");
	ck_err(rpc(&c, "{\"cmd\":\"options\",\"args\":{\"uri\":5}}"), CTL_ERR_BAD_ARGUMENT, "uri",
	       "must be a string");
	ck_err(rpc(&c, "{\"cmd\":\"subscribe\",\"args\":{\"patterns\":[\"a\",1]}}"),
	       CTL_ERR_BAD_ARGUMENT, "patterns", "an array of strings");
	ck_err(rpc(&c, "{\"cmd\":\"status\",\"args\":{\"x\":1}}"), CTL_ERR_BAD_ARGUMENT, "x",
	       "unknown argument 'x' for 'status'");
	j = rpc(&c, "{\"id\":3,\"cmd\":\"hello\"}");
	ck_ok(j);
	json_decref(j);
	ck_assert_int_eq(t.nreq, 0);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

START_TEST(test_help)
{
	struct t t;
	struct cli c;
	json_t *j, *r, *a;

	t_init(&t);
	cli_hello(&t, &c);
	j = rpc(&c, "{\"cmd\":\"help\"}");
	a = json_object_get(ck_ok(j), "commands");
	ck_assert_uint_eq(json_array_size(a), ctl_ncmds);
	ck_assert_str_eq(str(json_array_get(a, 0), "name"), ctl_cmds[0].name);
	ck_assert_ptr_nonnull(str(json_array_get(a, 0), "usage"));
	ck_assert_ptr_nonnull(str(json_array_get(a, 0), "help"));
	json_decref(j);
	j = rpc(&c, "{\"cmd\":\"help\",\"args\":{\"command\":\"options\"}}");
	r = ck_ok(j);
	ck_assert_str_eq(str(r, "usage"), "options URI [--account A]");
	a = json_array_get(json_object_get(r, "args"), 0);
	ck_assert_str_eq(str(a, "name"), "uri");
	ck_assert_str_eq(str(a, "type"), "string");
	ck_assert(json_is_true(json_object_get(a, "required")));
	a = json_array_get(json_object_get(r, "args"), 1);
	ck_assert_str_eq(str(a, "name"), "account");
	ck_assert_str_eq(str(a, "type"), "string");
	ck_assert(json_is_false(json_object_get(a, "required")));
	json_decref(j);
	ck_err(rpc(&c, "{\"cmd\":\"help\",\"args\":{\"command\":\"nope\"}}"), CTL_ERR_BAD_ARGUMENT,
	       "command", "nope");
	cli_free(&c);
	t_fini(&t);
}
END_TEST

/*
 * Every command `help` lists is served: the four ctl_proto.h says ctl
 * answers itself (hello, help, subscribe, unsubscribe) by ctl, never
 * dispatched; every other one dispatched with its own row, by name and by
 * cmd_id.  Required arguments are sent with a value of their type.
 */
START_TEST(test_every_command_served)
{
	static const char *const own[] = {"hello", "help", "subscribe", "unsubscribe"};
	struct t t;
	struct cli c;
	json_t *j, *cmds, *row;
	size_t i;
	unsigned nown = 0;

	t_init(&t);
	cli_hello(&t, &c);
	j = rpc(&c, "{\"cmd\":\"help\"}");
	cmds = json_object_get(ck_ok(j), "commands");
	ck_assert_uint_eq(json_array_size(cmds), CTL_NCMDS);
	json_array_foreach(cmds, i, row)
	{
		const char *name = str(row, "name");
		const struct ctl_cmd_info *ci = ctl_cmd_find(name);
		json_t *req = json_pack("{s:I, s:s, s:{}}", "id", (json_int_t)i, "cmd", name, "args");
		json_t *args = json_object_get(req, "args"), *r, *res;
		bool by_ctl = false;
		unsigned before = t.ndispatched;
		char *line;

		ck_assert_ptr_eq(ci, &ctl_cmds[i]);
		for (const struct ctl_arg_info *a = ci->args; a < ci->args + CTL_MAX_ARGS && a->name;
		     a++) {
			if (!a->required)
				continue;
			json_object_set_new(args, a->name,
					    a->type == CTL_ARG_INT	   ? json_integer(400)
					    : a->type == CTL_ARG_STRINGS ? json_pack("[s]", "x")
									 : json_string("x"));
		}
		for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
			by_ctl = by_ctl || strcmp(name, own[k]) == 0;
		nown += by_ctl;
		line = json_dumps(req, JSON_COMPACT);
		r = rpc(&c, line);
		res = ck_ok(r);
		ck_assert_int_eq(num(r, "id"), (json_int_t)i);
		if (by_ctl) {
			ck_assert_msg(t.ndispatched == before, "%s was dispatched", name);
			ck_assert_ptr_null(json_object_get(res, "cmd"));
		} else {
			ck_assert_msg(t.ndispatched == before + 1, "%s was not dispatched", name);
			ck_assert_str_eq(str(res, "cmd"), name);
			ck_assert_int_eq(num(res, "cmd_id"), (json_int_t)i);
		}
		free(line);
		json_decref(r);
		json_decref(req);
	}
	ck_assert_uint_eq(nown, sizeof(own) / sizeof(own[0]));
	json_decref(j);
	/* A name the table lacks: the documented error, and nothing dispatched. */
	ck_err(rpc(&c, "{\"cmd\":\"no-such-command\"}"), CTL_ERR_UNKNOWN, NULL,
	       "unknown command 'no-such-command'; 'help' lists them");
	ck_err(rpc(&c, "{\"cmd\":\"\"}"), CTL_ERR_UNKNOWN, NULL, "unknown command ''");
	ck_assert_uint_eq(t.ndispatched, CTL_NCMDS - nown);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

START_TEST(test_dispatch_async)
{
	struct t t;
	struct cli c;
	json_t *j;

	t_init(&t);
	t.answer = false;
	cli_hello(&t, &c);
	cli_send(&c, "{\"id\":7,\"cmd\":\"options\",\"args\":{\"uri\":\"sip:127.0.0.1\"}}\n");
	ck_assert(run_until(&t, have_req));
	ck_assert_str_eq(t.req[0]->cmd, "options");
	ck_assert_str_eq(t.uri, "sip:127.0.0.1");
	ck_assert_int_eq(json_integer_value(t.req[0]->id), 7);
	for (int i = 0; i < 10; i++)
		event_base_loop(t.base, EVLOOP_NONBLOCK);
	ctl_reply_ok(t.req[0], json_pack("{s:i}", "code", 200));
	j = cli_json(&c);
	ck_assert_int_eq(num(j, "id"), 7);
	ck_assert_int_eq(num(ck_ok(j), "code"), 200);
	json_decref(j);
	/* Error replies with extra fields; the request had no args: {}. */
	t.nreq = 0;
	cli_send(&c, "{\"cmd\":\"status\"}\n");
	ck_assert(run_until(&t, have_req));
	ctl_reply_err_fields(t.req[0], CTL_ERR_FAILED, NULL, json_pack("{s:i}", "sip_code", 408),
			     "no answer from %s", "x");
	j = cli_json(&c);
	ck_assert_int_eq(num(json_object_get(j, "error"), "sip_code"), 408);
	ck_err(j, CTL_ERR_FAILED, NULL, "no answer from x");
	cli_free(&c);
	t_fini(&t);
}
END_TEST

static bool no_clients(struct t *t)
{
	return ctl_client_count(t->ctl) == 0;
}

START_TEST(test_reply_after_gone)
{
	struct t t;
	struct cli c;

	t_init(&t);
	t.answer = false;
	cli_hello(&t, &c);
	cli_send(&c, "{\"cmd\":\"status\"}\n{\"cmd\":\"stats\"}\n");
	ck_assert(run_until(&t, have_two));
	cli_free(&c);
	ck_assert(run_until(&t, no_clients));
	/* The client is gone: dropped quietly, req freed. */
	ctl_reply_ok(t.req[0], json_object());
	/* ctl is gone too: still safe. */
	ctl_free(t.ctl);
	t.ctl = NULL;
	ck_assert_ptr_null(t.req[1]->ctl);
	ctl_reply_err(t.req[1], CTL_ERR_FAILED, NULL, "late");
	t_fini(&t);
}
END_TEST

/* ---- events ---------------------------------------------------------- */

START_TEST(test_subscribe)
{
	struct t t;
	struct cli c;
	json_t *j, *r;

	t_init(&t);
	cli_hello(&t, &c);
	ctl_event(t.ctl, "call.state", NULL);
	j = rpc(&c, "{\"cmd\":\"subscribe\",\"args\":{\"patterns\":[\"call.*\"]}}");
	r = ck_ok(j);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "patterns"), 0)),
			 "call.*");
	ck_assert_int_eq(num(r, "seq"), 1);
	json_decref(j);
	ck_assert_uint_eq(ctl_subscriber_count(t.ctl), 1);
	ck_assert_uint_eq(ctl_event(t.ctl, "call.state", json_pack("{s:s}", "call", "c1")), 2);
	ck_assert_uint_eq(ctl_event(t.ctl, "config.reload", NULL), 3);
	ck_assert_uint_eq(ctl_event(t.ctl, "call.end", NULL), 4);
	j = cli_json(&c);
	ck_assert_str_eq(str(j, "type"), "event");
	ck_assert_str_eq(str(j, "event"), "call.state");
	ck_assert_str_eq(str(j, "call"), "c1");
	ck_assert_int_eq(num(j, "seq"), 2);
	json_decref(j);
	j = cli_json(&c);
	ck_assert_str_eq(str(j, "event"), "call.end");
	ck_assert_int_eq(num(j, "seq"), 4);
	json_decref(j);
	ck_assert_uint_eq(ctl_last_seq(t.ctl), 4);

	/* No patterns: everything; the list is a set. */
	j = rpc(&c, "{\"cmd\":\"subscribe\"}");
	ck_assert_uint_eq(json_array_size(json_object_get(ck_ok(j), "patterns")), 2);
	json_decref(j);
	ck_err(rpc(&c,
		   "{\"cmd\":\"subscribe\",\"args\":{\"patterns\":[\"a1\",\"a2\",\"a3\","
		   "\"a4\",\"a5\",\"a6\",\"a7\",\"a8\",\"a9\",\"a10\",\"a11\",\"a12\",\"a13\","
		   "\"a14\",\"a15\",\"a16\",\"a17\",\"a18\",\"a19\",\"a20\",\"a21\",\"a22\","
		   "\"a23\",\"a24\",\"a25\",\"a26\",\"a27\",\"a28\",\"a29\",\"a30\",\"a31\"]}}"),
	       CTL_ERR_BAD_ARGUMENT, "patterns", "at most 32");

	/* Unsubscribe "*": config.* no longer comes; the reply is the next line. */
	j = rpc(&c, "{\"cmd\":\"unsubscribe\",\"args\":{\"patterns\":[\"*\"]}}");
	ck_assert_int_eq(num(ck_ok(j), "removed"), 1);
	json_decref(j);
	ctl_event(t.ctl, "config.reload", NULL);
	j = rpc(&c, "{\"cmd\":\"unsubscribe\"}");
	r = ck_ok(j);
	ck_assert_int_eq(num(r, "removed"), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(r, "patterns")), 0);
	json_decref(j);
	ck_assert_uint_eq(ctl_subscriber_count(t.ctl), 0);
	ctl_event(t.ctl, "call.state", NULL);
	j = rpc(&c, "{\"cmd\":\"hello\"}");
	ck_assert_int_eq(num(ck_ok(j), "seq"), 6);
	json_decref(j);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

/*
 * Events emitted in the loop's last round, then ctl_free() (the daemon
 * exiting): they still reach the client, then EOF.  A socket bufferevent
 * keeps its output frozen outside its write callback, which once made
 * this flush write nothing.
 */
START_TEST(test_flush_at_exit)
{
	struct t t;
	struct cli c;
	json_t *j;

	t_init(&t);
	cli_hello(&t, &c);
	j = rpc(&c, "{\"cmd\":\"subscribe\"}");
	ck_ok(j);
	json_decref(j);
	for (int i = 0; i < 3; i++)
		ctl_event(t.ctl, "call.state", json_pack("{s:i}", "n", i));
	ctl_free(t.ctl);
	t.ctl = NULL;
	for (int i = 0; i < 3; i++) {
		j = cli_json(&c);
		ck_assert_ptr_nonnull(j);
		ck_assert_str_eq(str(j, "event"), "call.state");
		ck_assert_int_eq(num(j, "n"), i);
		json_decref(j);
	}
	cli_eof(&c);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

START_TEST(test_slow_subscriber)
{
	char pad[201];
	struct t t;
	struct cli c;
	json_int_t expect = 1, lost = 0, seen = 0;
	json_t *j;

	t_cfg(&t);
	t.cfg.event_queue = 16;
	ck_assert_int_eq(ctl_new(&t.ctl, t.base, &t.cfg, "1", on_dispatch, &t), 0);
	cli_hello(&t, &c);
	json_decref(rpc(&c, "{\"cmd\":\"subscribe\"}"));
	memset(pad, 'x', 200);
	pad[200] = 0;
	event_del(c.ev); /* the client stops reading */
	for (int i = 0; i < 100000; i++) {
		ctl_event(t.ctl, "call.state", json_pack("{s:s}", "pad", pad));
		if (i % 64 == 0)
			event_base_loop(t.base, EVLOOP_NONBLOCK);
	}
	event_add(c.ev, NULL);
	/* Every seq is seen once or counted in a "lost". */
	while (expect <= 100000) {
		j = cli_json(&c);
		ck_assert_ptr_nonnull(j);
		if (strcmp(str(j, "event"), "lost") == 0) {
			ck_assert_int_gt(num(j, "count"), 0);
			ck_assert_int_eq(num(j, "seq"), expect - 1 + num(j, "count"));
			lost += num(j, "count");
			expect = num(j, "seq") + 1;
		} else {
			ck_assert_int_eq(num(j, "seq"), expect);
			expect++;
			seen++;
		}
		json_decref(j);
	}
	/* Caught up: the next event comes as it is. */
	ctl_event(t.ctl, "call.state", NULL);
	j = cli_json(&c);
	ck_assert_str_eq(str(j, "event"), "call.state");
	ck_assert_int_eq(num(j, "seq"), 100001);
	json_decref(j);
	ck_assert_int_gt(lost, 0);
	ck_assert_int_eq(seen + lost, 100000);
	ck_assert_int_lt(seen, 50000);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

/* ---- bounds ---------------------------------------------------------- */

static bool one_client(struct t *t)
{
	return ctl_client_count(t->ctl) == 1;
}

START_TEST(test_max_clients)
{
	struct t t;
	struct cli a, b, c;

	t_cfg(&t);
	t.cfg.max_clients = 2;
	ck_assert_int_eq(ctl_new(&t.ctl, t.base, &t.cfg, "1", on_dispatch, &t), 0);
	cli_hello(&t, &a);
	cli_hello(&t, &b);
	cli_new(&t, &c);
	ck_err(cli_json(&c), CTL_ERR_BUSY, NULL,
	       "too many control clients (2 connected; [control] max_clients)");
	cli_eof(&c);
	cli_free(&c);
	ck_assert_uint_eq(ctl_client_count(t.ctl), 2);
	cli_free(&a);
	ck_assert(run_until(&t, one_client));
	cli_hello(&t, &c);
	cli_free(&b);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

START_TEST(test_long_line)
{
	char line[3100];
	struct t t;
	struct cli c;
	json_t *j;

	t_cfg(&t);
	t.cfg.max_line = 1024;
	ck_assert_int_eq(ctl_new(&t.ctl, t.base, &t.cfg, "1", on_dispatch, &t), 0);
	cli_hello(&t, &c);
	/* Exactly max_line bytes is fine. */
	memset(line, ' ', 1024);
	memcpy(line, "{\"cmd\":\"hello\"}", 15);
	line[1024] = 0;
	j = rpc(&c, line);
	ck_ok(j);
	json_decref(j);
	/* A reload raises the bound for the open connection too. */
	t.cfg.max_line = 2048;
	ctl_set_cfg(t.ctl, &t.cfg);
	memset(line, ' ', 2000);
	memcpy(line, "{\"cmd\":\"hello\"}", 15);
	line[2000] = 0;
	j = rpc(&c, line);
	ck_ok(j);
	json_decref(j);
	memset(line, 'x', 3000);
	line[3000] = 0;
	cli_send(&c, line);
	ck_err(cli_json(&c), CTL_ERR_BAD_REQUEST, NULL,
	       "request line longer than 2048 bytes ([control] max_line_bytes)");
	cli_eof(&c);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

/* Requests sent without reading the replies: reading pauses, nothing is lost. */
START_TEST(test_backpressure)
{
	static const char req[] = "{\"cmd\":\"help\",\"id\":%d}\n";
	char line[64];
	struct t t;
	struct cli c;
	int sent = 0;
	json_t *j;

	t_init(&t);
	cli_hello(&t, &c);
	event_del(c.ev);
	while (sent < 3000) {
		int n = snprintf(line, sizeof(line), req, sent);

		if (write(c.fd, line, (size_t)n) != n)
			break; /* the daemon stopped reading: our buffer is full */
		sent++;
		event_base_loop(t.base, EVLOOP_NONBLOCK);
	}
	ck_assert_int_gt(sent, 450); /* replies of ~2.3 kB: over 1 MiB */
	event_add(c.ev, NULL);
	for (int i = 0; i < sent; i++) {
		j = cli_json(&c);
		ck_assert_int_eq(num(j, "id"), i);
		json_decref(j);
	}
	cli_free(&c);
	t_fini(&t);
}
END_TEST

/* A client that shuts its sending side still gets its replies, then EOF. */
START_TEST(test_half_close)
{
	struct t t;
	struct cli c;
	json_t *j;

	t_init(&t);
	t.answer = false;
	cli_hello(&t, &c);
	cli_send(&c, "{\"cmd\":\"hello\",\"id\":1}\n{\"cmd\":\"status\",\"id\":2}");
	ck_assert_int_eq(shutdown(c.fd, SHUT_WR), 0);
	j = cli_json(&c);
	ck_assert_int_eq(num(j, "id"), 1);
	json_decref(j);
	ck_assert(run_until(&t, have_req));
	ctl_reply_ok(t.req[0], NULL);
	j = cli_json(&c);
	ck_assert_int_eq(num(j, "id"), 2);
	json_decref(j);
	cli_eof(&c);
	cli_free(&c);
	ck_assert(run_until(&t, no_clients));
	t_fini(&t);
}
END_TEST

/* ---- the socket file and peers --------------------------------------- */

START_TEST(test_socket_file)
{
	struct t t;
	struct cli c;
	struct ctl *other;
	struct stat st;
	char other_path[160];
	int fd;

	t_init(&t);
	ck_assert_int_eq(stat(t.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	/* A live daemon there: refused, and it goes on working. */
	ck_assert_int_eq(ctl_new(&other, t.base, &t.cfg, "1", on_dispatch, &t), -EADDRINUSE);
	cli_hello(&t, &c);
	cli_free(&c);
	/* ctl_free unlinks its own socket... */
	ctl_free(t.ctl);
	ck_assert_int_eq(access(t.path, F_OK), -1);
	/* ...not a file that replaced it. */
	ck_assert_int_eq(ctl_new(&t.ctl, t.base, &t.cfg, "1", on_dispatch, &t), 0);
	snprintf(other_path, sizeof(other_path), "%s/other", t.dir);
	fd = open(other_path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(rename(other_path, t.path), 0);
	ctl_free(t.ctl);
	t.ctl = NULL;
	ck_assert_int_eq(access(t.path, F_OK), 0);
	/* A regular file at the path: -EEXIST, and it stays. */
	ck_assert_int_eq(ctl_new(&t.ctl, t.base, &t.cfg, "1", on_dispatch, &t), -EEXIST);
	ck_assert_int_eq(stat(t.path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	t_fini(&t);
}
END_TEST

START_TEST(test_stale_socket)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct t t;
	struct cli c;
	int fd;

	t_cfg(&t);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", t.path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd); /* left behind, as by a crash */
	ck_assert_int_eq(ctl_new(&t.ctl, t.base, &t.cfg, "1", on_dispatch, &t), 0);
	cli_hello(&t, &c);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

START_TEST(test_bad_paths)
{
	char longp[200];
	struct t t;
	struct ctl *c;

	t_cfg(&t);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	t.cfg.path = longp;
	ck_assert_int_eq(ctl_new(&c, t.base, &t.cfg, "1", on_dispatch, &t), -ENAMETOOLONG);
	snprintf(longp, sizeof(longp), "%s/missing/ctl.sock", t.dir);
	ck_assert_int_eq(ctl_new(&c, t.base, &t.cfg, "1", on_dispatch, &t), -ENOENT);
	t_fini(&t);
}
END_TEST

/* A peer that is neither root, our uid nor in our group (needs root). */
START_TEST(test_not_allowed)
{
	struct t t;
	struct cli c;
	int p[2], status;
	json_t *j;
	pid_t pid;

	if (geteuid() != 0)
		return;
	t_init(&t);
	ck_assert_int_eq(chmod(t.dir, 0711), 0);
	ck_assert_int_eq(chmod(t.path, 0666), 0);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char buf[512];
		ssize_t n = 0;
		int fd;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2); /* e.g. a user namespace without uid 65534: skip */
		fd = sock_to(t.path);
		alarm(SAFETY_S);
		while (fd >= 0 && n < (ssize_t)sizeof(buf) && !memchr(buf, '\n', (size_t)n)) {
			ssize_t r = read(fd, buf + n, sizeof(buf) - (size_t)n);

			if (r <= 0)
				break;
			n += r;
		}
		if (write(p[1], buf, (size_t)n) != n)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	cli_fd(&t, &c, p[0]);
	j = cli_json(&c);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (j || !WIFEXITED(status) || WEXITSTATUS(status) != 2)
		ck_err(j, CTL_ERR_NOT_ALLOWED, NULL,
		       "uid 65534 may not use the control socket (allowed: root");
	ck_assert_uint_eq(ctl_client_count(t.ctl), 0);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

static struct rlimit saved_nofile;

static void restore_nofile_cb(evutil_socket_t fd, short what, void *arg)
{
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
}

/* accept fails with EMFILE: ctl pauses, resumes after 1 s and says hello. */
START_TEST(test_emfile)
{
	struct timeval later = {0, 100 * 1000};
	struct event *restore;
	struct rlimit low;
	struct t t;
	struct cli c;
	json_t *h;
	int lowest;

	t_init(&t);
	restore = evtimer_new(t.base, restore_nofile_cb, NULL);
	cli_new(&t, &c);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
	lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	low = saved_nofile;
	low.rlim_cur = (rlim_t)lowest; /* no new descriptor fits */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	evtimer_add(restore, &later);
	h = cli_json(&c);
	ck_assert_str_eq(str(h, "type"), "hello");
	json_decref(h);
	event_free(restore);
	cli_free(&c);
	t_fini(&t);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *req = tcase_create("requests"), *ev = tcase_create("events"),
	      *bnd = tcase_create("bounds"), *sock = tcase_create("socket");

	tcase_set_timeout(req, 20);
	tcase_set_timeout(ev, 60);
	tcase_set_timeout(bnd, 20);
	tcase_set_timeout(sock, 20);
	tcase_add_test(req, test_hello);
	tcase_add_test(req, test_id_echo);
	tcase_add_test(req, test_bad_requests);
	tcase_add_test(req, test_help);
	tcase_add_test(req, test_every_command_served);
	tcase_add_test(req, test_dispatch_async);
	tcase_add_test(req, test_reply_after_gone);
	tcase_add_test(ev, test_subscribe);
	tcase_add_test(ev, test_slow_subscriber);
	tcase_add_test(ev, test_flush_at_exit);
	tcase_add_test(bnd, test_max_clients);
	tcase_add_test(bnd, test_long_line);
	tcase_add_test(bnd, test_backpressure);
	tcase_add_test(bnd, test_half_close);
	tcase_add_test(sock, test_socket_file);
	tcase_add_test(sock, test_stale_socket);
	tcase_add_test(sock, test_bad_paths);
	tcase_add_test(sock, test_not_allowed);
	tcase_add_test(sock, test_emfile);
	suite_add_tcase(s, req);
	suite_add_tcase(s, ev);
	suite_add_tcase(s, bnd);
	suite_add_tcase(s, sock);
	return s;
}

int main(void)
{
	int rc;

	/* As the daemon: a write to a client that went away is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	log_open(true, getenv("CHECK_CTL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	rc = check_run(ctl_suite());
	log_close();
	return rc;
}
