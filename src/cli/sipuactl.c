/*
 * sipuactl: the command-line client of sipuad's control socket.
 *
 *   sipuactl [-s SOCKET] [--json] [--timeout SECONDS] COMMAND [ARGS...]
 *
 * It connects to the daemon's UNIX stream socket, checks the hello line
 * (its protocol must be CTL_PROTOCOL), sends one request
 * {"id":1,"cmd":COMMAND,"args":{...}} and prints the reply with id 1: the
 * line as received with --json, else a readable view of the result.  The
 * protocol is include/ctl_proto.h.  Command names, usage, help and the
 * order of positional arguments come from the table the daemon dispatches
 * by (its rows: src/ctl/ctl_cmds_*.h; linked here as src/ctl/ctl_cmds.c,
 * without the handlers), so a command added there needs no change here
 * and the output is generic over any result.  "events [PATTERN...]" is
 * sipuactl's own: it subscribes and prints each event until SIGINT or
 * SIGTERM.
 *
 * Exit status (sipuactl(1)), for scripts and health checks:
 *   0  done (events: stopped by SIGINT or SIGTERM)
 *   1  the daemon said no: its message on stderr (and with --json the reply
 *      line on stdout); also sipuactl's own failures (out of memory, output)
 *   2  usage error: the message and the usage line on stderr
 *   3  the daemon could not be reached: cannot connect, another protocol
 *      version, the connection closed before the reply, no reply in time
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"

#ifndef SIPUAD_CONTROL_SOCKET
#define SIPUAD_CONTROL_SOCKET "/run/sipuad/control.sock"
#endif
/* Long enough for an OPTIONS ping to time out (timer F = 64*T1 = 32 s). */
#define DEFAULT_TIMEOUT_S 40.0
#define READ_CHUNK (64u << 10)
#define LINE_MAX_BYTES (64u << 20)
#define WRAP_AT 79

enum { EXIT_NO = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

/* "events" subscribes, so it takes subscribe's arguments from the table. */
static const char events_usage[] = "events [PATTERN...]";
static const char events_help[] =
    "Subscribe to the events matching the patterns (all without one) and print each "
    "as it comes, until interrupted (sipuactl's own command).";

/* The connection and what has been read from it but not yet used. */
struct conn {
	const char *path;
	int fd;
	char *buf; /* bytes [off, len) are unread; [off, off+scan) hold no LF */
	size_t off, scan, len, cap;
	double timeout_s;     /* as given, for messages */
	int64_t deadline_ms;  /* CLOCK_MONOTONIC; -1: wait forever */
	const sigset_t *mask; /* events: the mask ppoll lets SIGINT/SIGTERM in by */
};

/* The one global: a signal handler has nowhere else to say it ran. */
static volatile sig_atomic_t stop_signal;

static void usage_line(FILE *f, const char *cmd_usage);

static int fail(int status, const char *cmd_usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * "sipuactl: message" on stderr, and for a usage error (status 2) the usage
 * line of the command (cmd_usage) or of sipuactl (NULL); returns status.
 */
static int fail(int status, const char *cmd_usage, const char *fmt, ...)
{
	va_list ap;

	fputs("sipuactl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (status == EXIT_USAGE)
		usage_line(stderr, cmd_usage);
	return status;
}

/* Out of memory in a short-lived client: say so and stop, not limp on. */
static void *need(void *p)
{
	if (!p) {
		fputs("sipuactl: out of memory\n", stderr);
		exit(EXIT_NO);
	}
	return p;
}

static char *str_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A formatted string, malloc'd. */
static char *str_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return need(n < 0 ? NULL : s);
}

static const char *str_or(const char *s, const char *otherwise)
{
	return s ? s : otherwise;
}

/* ---- help text --------------------------------------------------------- */

/* From column at, pad to col and print text word-wrapped, later lines at col. */
static void put_wrapped(FILE *f, int at, int col, const char *text)
{
	const char *p = text + strspn(text, " ");
	bool first = true;

	fprintf(f, "%*s", col > at ? col - at : 0, "");
	at = col > at ? col : at;
	while (*p) {
		int w = (int)strcspn(p, " ");

		if (!first && at + 1 + w > WRAP_AT) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (!first) {
			fputc(' ', f);
			at++;
		}
		fwrite(p, 1, (size_t)w, f);
		at += w;
		first = false;
		p += w;
		p += strspn(p, " ");
	}
	fputc('\n', f);
}

/* "  left   text": text at col, or on the next line if left reaches it. */
static void put_entry(FILE *f, const char *left, int col, const char *text)
{
	int at = fprintf(f, "  %s", left);

	if (at + 2 > col) {
		fputc('\n', f);
		at = 0;
	}
	put_wrapped(f, at, col, text);
}

/* The help column for usage lines as long as longest (bounded: wraps). */
static int help_col(size_t longest)
{
	return longest + 4 > 34 ? 34 : (int)longest + 4;
}

static void usage_line(FILE *f, const char *cmd_usage)
{
	fprintf(f, "usage: sipuactl [-s SOCKET] [--json] [--timeout SECONDS] %s\n",
		cmd_usage ? cmd_usage : "COMMAND [ARGS...]");
}

static void usage_full(FILE *f)
{
	size_t longest = strlen(events_usage);
	int col;

	for (unsigned i = 0; i < ctl_ncmds; i++)
		if (strlen(ctl_cmds[i].usage) > longest)
			longest = strlen(ctl_cmds[i].usage);
	col = help_col(longest);
	usage_line(f, NULL);
	fputs(
	    "       sipuactl --help | --version\n"
	    "\n"
	    "Sends COMMAND to sipuad's control socket and prints the reply.\n"
	    "\n"
	    "  -s, --socket SOCKET  the control socket (default: $SIPUAD_SOCKET, else\n"
	    "                       " SIPUAD_CONTROL_SOCKET ")\n"
	    "      --json           print the reply line as received (events: every event line)\n"
	    "      --timeout SECONDS\n"
	    "                       wait at most this long for the reply (default 40; 0: forever)\n"
	    "  -h, --help           print this help and exit\n"
	    "      --version        print the version and exit\n"
	    "\n"
	    "Commands (arguments in the order shown, or each as --NAME VALUE):\n",
	    f);
	for (unsigned i = 0; i < ctl_ncmds; i++)
		put_entry(f, ctl_cmds[i].usage, col, ctl_cmds[i].help);
	put_entry(f, events_usage, col, events_help);
	fputs("\n"
	      "Exit status: 0 done, 1 the daemon said no, 2 usage error, 3 sipuad could not\n"
	      "be reached (no socket, no reply in time, connection closed).  See sipuactl(1).\n",
	      f);
}

/* ---- the command line's arguments into the request's "args" ------------ */

static unsigned arg_count(const struct ctl_cmd_info *ci)
{
	unsigned n = 0;

	while (n < CTL_MAX_ARGS && ci->args[n].name)
		n++;
	return n;
}

static const struct ctl_arg_info *arg_find(const struct ctl_cmd_info *ci, const char *name,
					   size_t len)
{
	for (unsigned i = 0; i < arg_count(ci); i++)
		if (strlen(ci->args[i].name) == len && strncmp(ci->args[i].name, name, len) == 0)
			return &ci->args[i];
	return NULL;
}

/* Add one value of ai to args, typed as the table says; 0 or exit status 2. */
static int arg_set(const char *usage, const struct ctl_arg_info *ai, const char *val, json_t *args)
{
	json_t *v, *a;
	char *end;
	long long n;

	if (ai->type == CTL_ARG_INT) {
		errno = 0;
		n = strtoll(val, &end, 10);
		if (!*val || *end || errno)
			return fail(EXIT_USAGE, usage,
				    "argument '%s' must be a decimal integer, not '%s'", ai->name,
				    val);
		v = need(json_integer(n));
	} else {
		v = json_string(val); /* NULL also for invalid UTF-8 */
		if (!v)
			return fail(EXIT_USAGE, usage, "argument '%s' is not valid UTF-8",
				    ai->name);
	}
	if (ai->type != CTL_ARG_STRINGS) {
		json_object_set_new(args, ai->name, v);
		return 0;
	}
	a = json_object_get(args, ai->name);
	if (!a) {
		a = need(json_array());
		json_object_set_new(args, ai->name, a);
	}
	json_array_append_new(a, v);
	return 0;
}

/*
 * Fill args from argv: positionals in the table's order (a STRINGS argument
 * takes all the rest), or --NAME VALUE / --NAME=VALUE in any order ("--"
 * ends the options).  0, or exit status 2 with the message printed.
 */
static int args_parse(const struct ctl_cmd_info *ci, const char *usage, int argc, char **argv,
		      json_t *args)
{
	unsigned nargs = arg_count(ci), pos = 0;
	bool opts = true;

	for (int i = 0; i < argc; i++) {
		const struct ctl_arg_info *ai;
		const char *a = argv[i], *val = a;
		int err;

		if (opts && strcmp(a, "--") == 0) {
			opts = false;
			continue;
		}
		if (opts && strncmp(a, "--", 2) == 0) {
			size_t len = strcspn(a + 2, "=");

			ai = arg_find(ci, a + 2, len);
			if (!ai) {
				bool global = (len == 4 && !strncmp(a + 2, "json", 4)) ||
					      (len == 7 && !strncmp(a + 2, "timeout", 7)) ||
					      (len == 6 && !strncmp(a + 2, "socket", 6));

				return fail(
				    EXIT_USAGE, usage, "unknown option '%.*s'%s", (int)len + 2, a,
				    global ? " (sipuactl's options go before the command)" : "");
			}
			if (ai->type == CTL_ARG_FLAG) {
				/* --NAME alone: true; --NAME=no: false. */
				bool on = a[2 + len] != '=' || strcmp(a + 3 + len, "no") != 0;

				if (a[2 + len] == '=' && on && strcmp(a + 3 + len, "yes") != 0)
					return fail(EXIT_USAGE, usage,
						    "option '--%s' takes no value (or =yes / =no)",
						    ai->name);
				json_object_set_new(args, ai->name, on ? json_true() : json_false());
				continue;
			}
			if (a[2 + len] == '=')
				val = a + 3 + len;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return fail(EXIT_USAGE, usage, "option '%s' needs a value", a);
			if (ai->type != CTL_ARG_STRINGS && json_object_get(args, ai->name))
				return fail(EXIT_USAGE, usage, "argument '%s' given twice",
					    ai->name);
		} else {
			/* Skip what --NAME already set and flags; a STRINGS argument keeps taking. */
			while (pos < nargs && ci->args[pos].type != CTL_ARG_STRINGS &&
			       (ci->args[pos].type == CTL_ARG_FLAG ||
				json_object_get(args, ci->args[pos].name)))
				pos++;
			if (pos == nargs)
				return fail(EXIT_USAGE, usage, "unexpected argument '%s'", a);
			ai = &ci->args[pos];
			if (ai->type != CTL_ARG_STRINGS)
				pos++;
		}
		err = arg_set(usage, ai, val, args);
		if (err)
			return err;
	}
	for (unsigned i = 0; i < nargs; i++)
		if (ci->args[i].required && !json_object_get(args, ci->args[i].name))
			return fail(EXIT_USAGE, usage, "missing argument '%s' (%s)",
				    ci->args[i].name, ci->args[i].help);
	return 0;
}

/* ---- the connection ------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until fd is ready for events or the deadline passes: 0, -ETIMEDOUT,
 * -EINTR.  ppoll, so that in events mode SIGINT/SIGTERM (blocked otherwise)
 * get in only here and none is missed between a check and the wait.
 */
static int conn_wait(struct conn *c, short events)
{
	struct pollfd pfd = {.fd = c->fd, .events = events};
	struct timespec ts, *tsp = NULL;
	int64_t left;

	if (c->deadline_ms >= 0) {
		left = c->deadline_ms - now_ms();
		left = left < 0 ? 0 : left;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		tsp = &ts;
	}
	switch (ppoll(&pfd, 1, tsp, c->mask)) {
	case -1:
		return -errno;
	case 0:
		return -ETIMEDOUT;
	default:
		return 0;
	}
}

/* 0 connected, else exit status 3 with the message: what to check. */
static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv;
	const char *hint;
	int e;

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return fail(EXIT_UNREACHABLE, NULL,
			    "cannot connect to %s: the path is longer than %zu bytes", c->path,
			    sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return fail(EXIT_UNREACHABLE, NULL, "socket: %s", strerror(errno));
	/* A UNIX connect waits for a full backlog by the send timeout: bound it. */
	if (c->deadline_ms >= 0) {
		tv.tv_sec = (time_t)c->timeout_s;
		tv.tv_usec = (suseconds_t)((c->timeout_s - (double)tv.tv_sec) * 1e6);
		if (!tv.tv_sec && tv.tv_usec < 1000)
			tv.tv_usec = 1000; /* 0 would mean no bound */
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EISCONN)
			break;
		if (e == EAGAIN)
			return fail(EXIT_UNREACHABLE, NULL,
				    "no reply within %g s from %s (sipuad does not "
				    "accept connections)",
				    c->timeout_s, c->path);
		if (e == EACCES || e == EPERM)
			hint = " (run as root, the daemon's user, or a member of the control "
			       "socket's group)";
		else if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR)
			hint =
			    " (is sipuad running? see [control] socket in sipuad.conf, or use -s)";
		else
			hint = "";
		return fail(EXIT_UNREACHABLE, NULL, "cannot connect to %s: %s%s", c->path,
			    strerror(e), hint);
	}
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0)
		return fail(EXIT_UNREACHABLE, NULL, "%s: fcntl: %s", c->path, strerror(errno));
	return 0;
}

/* Send all of p, however the socket takes it: 0 or -errno (-ETIMEDOUT). */
static int conn_write_all(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		int err;

		if (w >= 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = conn_wait(c, POLLOUT);
		if (err && err != -EINTR)
			return err;
	}
	return 0;
}

/*
 * The next non-blank line, without its CR LF, NUL-terminated in *line
 * (valid until the next call).  0, -EPIPE (closed), -ETIMEDOUT, -EMSGSIZE
 * (longer than LINE_MAX_BYTES), -EINTR (a stop signal), or -errno.
 */
static int conn_read_line(struct conn *c, char **line)
{
	if (!c->buf) {
		c->cap = READ_CHUNK;
		c->buf = need(malloc(c->cap));
	}
	for (;;) {
		char *s = c->buf + c->off,
		     *lf = memchr(s + c->scan, '\n', c->len - c->off - c->scan);
		ssize_t n;
		int err;

		if (lf) {
			size_t k = (size_t)(lf - s);

			c->off += k + 1;
			c->scan = 0;
			if (k && s[k - 1] == '\r')
				k--;
			s[k] = '\0';
			if (!k)
				continue;
			*line = s;
			return 0;
		}
		c->scan = c->len - c->off;
		if (c->off) {
			memmove(c->buf, s, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (c->cap - c->len < READ_CHUNK / 2) {
			if (c->cap >= LINE_MAX_BYTES)
				return -EMSGSIZE;
			c->cap *= 2;
			c->buf = need(realloc(c->buf, c->cap));
		}
		err = conn_wait(c, POLLIN);
		if (err == -EINTR && !stop_signal)
			continue;
		if (err)
			return err;
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n == 0)
			return -EPIPE;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			c->len += (size_t)n;
	}
}

/* Exit status 3 for a read or write that failed; before says for what. */
static int conn_fail(const struct conn *c, int err, const char *before)
{
	switch (err) {
	case -ETIMEDOUT:
		return fail(EXIT_UNREACHABLE, NULL, "no reply within %g s from %s", c->timeout_s,
			    c->path);
	case -EPIPE:
	case -ECONNRESET:
		return fail(EXIT_UNREACHABLE, NULL, "%s: sipuad closed the connection%s", c->path,
			    before);
	case -EMSGSIZE:
		return fail(EXIT_UNREACHABLE, NULL, "%s: a line longer than %u MiB from sipuad",
			    c->path, LINE_MAX_BYTES >> 20);
	default:
		return fail(EXIT_UNREACHABLE, NULL, "%s: %s", c->path, strerror(-err));
	}
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
}

/* ---- human-readable output ------------------------------------------------ */

enum view {
	VIEW_LINE, /* "key: value": arrays of scalars joined with ", " */
	VIEW_CELL, /* a table cell: nested values as compact JSON */
	VIEW_WORD, /* key=value in an event line: strings quoted if need be */
};

/* An array of objects, shown as a table. */
static bool is_table(const json_t *v)
{
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_object(json_array_get(v, i)))
			return false;
	return json_array_size(v) > 0;
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '\\' || *s == 0x7f)
			return true;
	return false;
}

/* v as text (malloc'd): numbers as JSON numbers, reals with up to 3 decimals. */
static char *value_str(json_t *v, enum view view)
{
	char *s = NULL, *p;
	size_t i, n = json_array_size(v);

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (view == VIEW_WORD && needs_quotes(json_string_value(v)))
			return need(json_dumps(v, JSON_ENCODE_ANY));
		return need(strdup(json_string_value(v)));
	case JSON_INTEGER:
		return str_fmt("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		/* "%.3f" always has a point: drop the zeros after it, then it. */
		s = str_fmt("%.3f", json_real_value(v));
		for (p = s + strlen(s); p[-1] == '0'; p--)
			p[-1] = '\0';
		if (p[-1] == '.')
			p[-1] = '\0';
		return strcmp(s, "-0") ? s : strcpy(s, "0");
	case JSON_TRUE:
		return need(strdup("yes"));
	case JSON_FALSE:
		return need(strdup("no"));
	case JSON_NULL:
		return need(strdup("-"));
	default:
		break;
	}
	if (view == VIEW_LINE && !n && !json_object_size(v))
		return need(strdup("-"));
	for (i = 0; view == VIEW_LINE && i < n; i++)
		if (json_is_object(json_array_get(v, i)) || json_is_array(json_array_get(v, i)))
			break;
	if (view != VIEW_LINE || json_is_object(v) || i < n)
		return need(json_dumps(v, JSON_COMPACT));
	for (i = 0; i < n; i++) {
		char *one = value_str(json_array_get(v, i), VIEW_CELL);
		char *all = str_fmt("%s%s%s", str_or(s, ""), s ? ", " : "", one);

		free(one);
		free(s);
		s = all;
	}
	return s;
}

/* s, its later lines indented by col so they stay under the first. */
static void put_text(const char *s, int col)
{
	for (const char *p = s; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1])
			printf("%*s", col, "");
	}
	if (!*s || s[strlen(s) - 1] != '\n')
		putchar('\n');
}

/* Rows of objects: one column per key, in the order keys are first seen. */
static void print_table(json_t *rows, int indent)
{
	size_t nrows = json_array_size(rows), ncols = 0, i, j;
	const char **keys = NULL, *k;
	size_t *width;
	char **cell;
	json_t *row, *v;

	for (i = 0; i < nrows; i++) {
		row = json_array_get(rows, i);
		for (void *it = json_object_iter(row); it; it = json_object_iter_next(row, it)) {
			k = json_object_iter_key(it);
			for (j = 0; j < ncols && strcmp(keys[j], k); j++)
				;
			if (j < ncols)
				continue;
			keys = need(realloc(keys, (ncols + 1) * sizeof(*keys)));
			keys[ncols++] = k;
		}
	}
	width = need(calloc(ncols, sizeof(*width)));
	cell = need(calloc(nrows * ncols, sizeof(*cell)));
	for (j = 0; j < ncols; j++)
		width[j] = strlen(keys[j]);
	for (i = 0; i < nrows; i++) {
		row = json_array_get(rows, i);
		for (j = 0; j < ncols; j++) {
			v = json_object_get(row, keys[j]);
			cell[i * ncols + j] = v ? value_str(v, VIEW_CELL) : need(strdup("-"));
			if (strlen(cell[i * ncols + j]) > width[j])
				width[j] = strlen(cell[i * ncols + j]);
		}
	}
	printf("%*s", indent, "");
	for (j = 0; j < ncols; j++) {
		for (k = keys[j]; *k; k++)
			putchar(*k >= 'a' && *k <= 'z' ? *k - 'a' + 'A' : *k);
		printf("%*s", j + 1 < ncols ? (int)(width[j] - strlen(keys[j]) + 2) : 0, "");
	}
	putchar('\n');
	for (i = 0; i < nrows; i++) {
		printf("%*s", indent, "");
		for (j = 0; j < ncols; j++) {
			const char *s = cell[i * ncols + j];

			printf("%s%*s", s, j + 1 < ncols ? (int)(width[j] - strlen(s) + 2) : 0, "");
			free(cell[i * ncols + j]);
		}
		putchar('\n');
	}
	free(cell);
	free(width);
	free(keys);
}

static void print_object(json_t *o, int indent);

/* The width of o's longest key, to align the values after it. */
static size_t key_width(json_t *o)
{
	size_t w = 0;

	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it))
		w = strlen(json_object_iter_key(it)) > w ? strlen(json_object_iter_key(it)) : w;
	return w;
}

/* One "key: value" line (w: the key column's width), or a nested block. */
static void print_field(const char *k, json_t *v, int indent, size_t w)
{
	char *s;

	if ((json_is_object(v) && json_object_size(v)) || is_table(v)) {
		printf("%*s%s:\n", indent, "", k);
		if (json_is_object(v))
			print_object(v, indent + 2);
		else
			print_table(v, indent + 2);
		return;
	}
	s = value_str(v, VIEW_LINE);
	printf("%*s%s:%*s ", indent, "", k, (int)(w - strlen(k)), "");
	put_text(s, indent + (int)w + 2);
	free(s);
}

/* "key: value" lines in the object's order, keys aligned; nesting indents. */
static void print_object(json_t *o, int indent)
{
	size_t w = key_width(o);

	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it))
		print_field(json_object_iter_key(it), json_object_iter_value(it), indent, w);
}

static void print_result(json_t *r)
{
	char *s;

	if (json_is_object(r)) {
		print_object(r, 0);
	} else if (is_table(r)) {
		print_table(r, 0);
	} else if (r) {
		s = value_str(r, VIEW_LINE);
		put_text(s, 0);
		free(s);
	}
}

/* "calls": the table alone, its header naming the columns already. */
static void print_calls(json_t *r)
{
	json_t *calls = json_object_get(r, "calls");

	if (json_object_size(r) != 1 || !json_is_array(calls))
		print_result(r); /* not the shape we know: show all of it */
	else if (!json_array_size(calls))
		puts("no calls");
	else
		print_table(calls, 0);
}

/* "accounts": the table alone, as for calls. */
static void print_accounts(json_t *r)
{
	json_t *rows = json_object_get(r, "accounts");

	if (json_object_size(r) != 1 || !json_is_array(rows))
		print_result(r);
	else if (!json_array_size(rows))
		puts("no accounts");
	else
		print_table(rows, 0);
}

/* An array of strings only (one that print_field would join with commas). */
static bool is_strings(json_t *v)
{
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return false;
	return json_array_size(v) > 0;
}

/*
 * Lines of s, each after indent spaces, without the CR of a CR LF (SDP's
 * line end, which a terminal would show as a stray return) and without an
 * empty line for a final LF.
 */
static void put_block(const char *s, int indent)
{
	while (*s) {
		size_t n = strcspn(s, "\n");
		size_t shown = n && s[n - 1] == '\r' ? n - 1 : n;

		printf("%*s%.*s\n", indent, "", (int)shown, s);
		s += n;
		s += *s == '\n';
	}
}

/*
 * "call-info": "key: value" lines, but a list of strings (the route set)
 * one item a line, and a text of several lines (the SDP bodies) as a block
 * indented under its key: both would be unreadable on one line.
 */
static void print_call_info(json_t *r)
{
	size_t w = key_width(r);
	const char *k;
	json_t *v;

	if (!json_is_object(r)) {
		print_result(r);
		return;
	}
	for (void *it = json_object_iter(r); it; it = json_object_iter_next(r, it)) {
		k = json_object_iter_key(it);
		v = json_object_iter_value(it);
		if (json_is_string(v) && strchr(json_string_value(v), '\n')) {
			printf("%s:\n", k);
			put_block(json_string_value(v), 4);
		} else if (is_strings(v)) {
			for (size_t i = 0; i < json_array_size(v); i++)
				printf("%s%s%*s %s\n", i ? "" : k, i ? " " : ":",
				       (int)(w - (i ? 0 : strlen(k))), "",
				       json_string_value(json_array_get(v, i)));
		} else {
			print_field(k, v, 0, w);
		}
	}
}

/* One command: usage, help, then its arguments (the daemon's "help CMD"). */
static void print_help_one(json_t *r)
{
	json_t *args = json_object_get(r, "args"), *a;
	size_t i, longest = 0;

	printf("usage: sipuactl %s\n\n",
	       str_or(json_string_value(json_object_get(r, "usage")), "?"));
	put_wrapped(stdout, 0, 2, str_or(json_string_value(json_object_get(r, "help")), ""));
	if (!json_array_size(args))
		return;
	for (i = 0; i < json_array_size(args); i++) {
		const char *name =
		    json_string_value(json_object_get(json_array_get(args, i), "name"));

		longest = name && strlen(name) > longest ? strlen(name) : longest;
	}
	puts("\narguments, in this order or each as --NAME VALUE:");
	for (i = 0; i < json_array_size(args); i++) {
		char *text;

		a = json_array_get(args, i);
		text =
		    str_fmt("%s%s: %s", str_or(json_string_value(json_object_get(a, "type")), "?"),
			    json_is_true(json_object_get(a, "required")) ? ", required" : "",
			    str_or(json_string_value(json_object_get(a, "help")), ""));
		put_entry(stdout, str_or(json_string_value(json_object_get(a, "name")), "?"),
			  help_col(longest), text);
		free(text);
	}
}

/* "help": the command list as "  usage   help" lines, or one command. */
static void print_help(json_t *r)
{
	json_t *cmds = json_object_get(r, "commands"), *c;
	size_t i, n = json_array_size(cmds), longest = strlen(events_usage);

	if (json_is_string(json_object_get(r, "usage"))) {
		print_help_one(r);
		return;
	}
	if (!json_is_array(cmds)) {
		print_result(r);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *u =
		    json_string_value(json_object_get(json_array_get(cmds, i), "usage"));

		longest = u && strlen(u) > longest ? strlen(u) : longest;
	}
	for (i = 0; i < n; i++) {
		c = json_array_get(cmds, i);
		put_entry(stdout, str_or(json_string_value(json_object_get(c, "usage")), "?"),
			  help_col(longest),
			  str_or(json_string_value(json_object_get(c, "help")), ""));
	}
	put_entry(stdout, events_usage, help_col(longest), events_help);
}

static bool is_one_of(const char *k, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(k, *names))
			return true;
	return false;
}

/* " key=value" for each field of ev but type, seq, event and those shown. */
static void put_rest(json_t *ev, const char *const *shown)
{
	static const char *const header[] = {"type", "seq", "event", NULL};

	for (void *it = json_object_iter(ev); it; it = json_object_iter_next(ev, it)) {
		const char *k = json_object_iter_key(it);
		char *s;

		if (is_one_of(k, header) || (shown && is_one_of(k, shown)))
			continue;
		s = value_str(json_object_iter_value(it), VIEW_WORD);
		printf(" %s=%s", k, s);
		free(s);
	}
}

/*
 * before, then field k of ev as plain words ("-" if absent): unquoted, to
 * read as a sentence, so control characters become '?' lest a peer's
 * header field reach the terminal as escape sequences or line breaks.
 */
static void put_plain(const char *before, json_t *ev, const char *k)
{
	json_t *v = json_object_get(ev, k);
	char *s = value_str(v ? v : json_null(), VIEW_CELL);

	for (char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	printf("%s%s", before, s);
	free(s);
}

/* "c2 from FROM to TO call_id=... source=...": who calls whom first. */
static void put_call_incoming(json_t *ev)
{
	static const char *const shown[] = {"call", "from", "to", NULL};

	put_plain(" ", ev, "call");
	put_plain(" from ", ev, "from");
	put_plain(" to ", ev, "to");
	put_rest(ev, shown);
}

/*
 * "c1 ended: 486 Busy Here (by remote) to sip:bob@host": the state first,
 * then why and by whom, then the peer, with "to" for an outgoing call and
 * "from" for an incoming one (another direction: both as key=value).
 */
static void put_call_state(json_t *ev)
{
	const char *shown[] = {"call", "state", "code", "reason", "by", "peer", "direction", NULL};
	const char *dir = json_string_value(json_object_get(ev, "direction"));
	bool known_dir = dir && (!strcmp(dir, "out") || !strcmp(dir, "in"));

	if (!known_dir)
		shown[5] = NULL; /* no "to"/"from" for the peer: both left to put_rest */
	put_plain(" ", ev, "call");
	put_plain(" ", ev, "state");
	if (json_object_get(ev, "code"))
		put_plain(": ", ev, "code");
	if (json_object_get(ev, "reason"))
		put_plain(json_object_get(ev, "code") ? " " : ": ", ev, "reason");
	if (json_object_get(ev, "by")) {
		put_plain(" (by ", ev, "by");
		putchar(')');
	}
	if (known_dir && json_object_get(ev, "peer"))
		put_plain(strcmp(dir, "out") ? " from " : " to ", ev, "peer");
	put_rest(ev, shown);
}

/* "c1 hold failed: 491 Request Pending": which re-INVITE, and how it ended. */
static void put_call_update(json_t *ev)
{
	static const char *const shown[] = {"call", "what", "ok", "code", "reason", NULL};

	put_plain(" ", ev, "call");
	put_plain(" ", ev, "what");
	printf(" %s", json_is_true(json_object_get(ev, "ok")) ? "done" : "failed");
	if (json_object_get(ev, "code"))
		put_plain(": ", ev, "code");
	if (json_object_get(ev, "reason"))
		put_plain(json_object_get(ev, "code") ? " " : ": ", ev, "reason");
	put_rest(ev, shown);
}

/*
 * "alice registered at sip:example.com for 600 s", "alice failed: 401 wrong
 * credentials ... (retry in 28 s)": the account and its new state first.
 */
static void put_reg_state(json_t *ev)
{
	static const char *const shown[] = {"account", "state",	 "registrar", "expires",
					    "code",    "reason", "retry_in",  NULL};
	const char *state = json_string_value(json_object_get(ev, "state"));

	put_plain(" ", ev, "account");
	put_plain(" ", ev, "state");
	if (state && !strcmp(state, "registered")) {
		put_plain(" at ", ev, "registrar");
		if (json_object_get(ev, "expires")) {
			put_plain(" for ", ev, "expires");
			printf(" s");
		}
	} else if (json_object_get(ev, "code")) {
		put_plain(": ", ev, "code");
		if (json_object_get(ev, "reason"))
			put_plain(" ", ev, "reason");
		if (json_object_get(ev, "retry_in")) {
			put_plain(" (retry in ", ev, "retry_in");
			printf(" s)");
		}
	} else {
		put_plain(" at ", ev, "registrar");
	}
	put_rest(ev, shown);
}

/*
 * "SEQ EVENT key=value ...": one line per event, whatever its fields; the
 * call events as a short sentence instead, as they are the ones a person
 * watches, and unknown fields after it as key=value.
 */
static void print_event(json_t *ev)
{
	json_t *seq = json_object_get(ev, "seq");
	const char *name = json_string_value(json_object_get(ev, "event"));

	if (json_is_integer(seq))
		printf("%" JSON_INTEGER_FORMAT, json_integer_value(seq));
	else
		putchar('-');
	printf(" %s", name ? name : "-");
	if (name && !strcmp(name, "call.incoming"))
		put_call_incoming(ev);
	else if (name && !strcmp(name, "call.state"))
		put_call_state(ev);
	else if (name && !strcmp(name, "call.update"))
		put_call_update(ev);
	else if (name && !strcmp(name, "reg.state"))
		put_reg_state(ev);
	else
		put_rest(ev, NULL);
	putchar('\n');
}

/* ---- the exchange -------------------------------------------------------- */

static bool is_type(json_t *msg, const char *type)
{
	const char *t = json_string_value(json_object_get(msg, "type"));

	return t && strcmp(t, type) == 0;
}

/* The daemon said no: its message on stderr, the line on stdout with --json. */
static int refused(json_t *msg, const char *line, bool json_out)
{
	json_t *e = json_object_get(msg, "error");
	const char *m = json_string_value(json_object_get(e, "message"));

	if (json_out)
		puts(line);
	if (!m || !*m)
		m = json_string_value(json_object_get(e, "code"));
	return fail(EXIT_NO, NULL, "%s", m ? m : "the request failed (no message)");
}

/* The hello, or a refusal instead of it: 0 or the exit status. */
static int expect_hello(struct conn *c, bool json_out)
{
	json_t *msg, *proto;
	char *line;
	int err = conn_read_line(c, &line), rc = 0;

	if (err)
		return conn_fail(c, err, " before its hello");
	msg = json_loads(line, 0, NULL);
	proto = json_object_get(msg, "protocol");
	if (is_type(msg, "reply") && !json_is_true(json_object_get(msg, "ok")))
		rc = refused(msg, line, json_out);
	else if (!is_type(msg, "hello"))
		rc = fail(EXIT_UNREACHABLE, NULL, "%s: no hello from sipuad, got '%.60s'", c->path,
			  line);
	else if (!json_is_integer(proto))
		rc = fail(EXIT_UNREACHABLE, NULL, "%s: the hello names no protocol version",
			  c->path);
	else if (json_integer_value(proto) != CTL_PROTOCOL)
		rc = fail(
		    EXIT_UNREACHABLE, NULL,
		    "%s: sipuad speaks control protocol %" JSON_INTEGER_FORMAT
		    ", this sipuactl %d: versions differ; use the sipuactl of the same release",
		    c->path, json_integer_value(proto), CTL_PROTOCOL);
	json_decref(msg);
	return rc;
}

/* Our reply: shown, or the daemon's no; the exit status. */
static int on_reply(json_t *msg, const char *line, const char *cmd, bool json_out, bool events)
{
	json_t *result = json_object_get(msg, "result");

	if (!json_is_true(json_object_get(msg, "ok")))
		return refused(msg, line, json_out);
	if (events)
		return 0; /* the events to come are the output */
	if (json_out)
		puts(line);
	else if (!strcmp(cmd, "help"))
		print_help(result);
	else if (!strcmp(cmd, "calls"))
		print_calls(result);
	else if (!strcmp(cmd, "accounts"))
		print_accounts(result);
	else if (!strcmp(cmd, "call-info"))
		print_call_info(result);
	else
		print_result(result);
	return 0;
}

/* Send the request and wait for the reply with id 1; the exit status. */
static int request(struct conn *c, const char *cmd, json_t *args, bool json_out, bool events)
{
	json_t *req = need(json_pack("{s:i, s:s, s:O}", "id", 1, "cmd", cmd, "args", args));
	char *text = need(json_dumps(req, JSON_COMPACT)), *line;
	size_t n = strlen(text);
	int err, rc = -1;

	json_decref(req);
	text = need(realloc(text, n + 2));
	memcpy(text + n, "\n", 2);
	err = conn_write_all(c, text, n + 1);
	free(text);
	if (err)
		return conn_fail(c, err, " before the request was sent");
	while (rc < 0) {
		json_t *msg, *id;

		err = conn_read_line(c, &line);
		if (err)
			return conn_fail(c, err, " before the reply");
		msg = json_loads(line, 0, NULL);
		id = json_object_get(msg, "id");
		if (is_type(msg, "reply") && json_is_integer(id) && json_integer_value(id) == 1)
			rc = on_reply(msg, line, cmd, json_out, events);
		else if (is_type(msg, "reply") && (!id || json_is_null(id)) &&
			 !json_is_true(json_object_get(msg, "ok")))
			rc = refused(msg, line, json_out); /* about us, not a request */
		/* Else an event, another id's reply or a stray line: not ours. */
		json_decref(msg);
	}
	return rc;
}

/* "help events", answered here: "events" is not the daemon's command. */
static int help_events(void)
{
	printf("usage: sipuactl %s\n\n", events_usage);
	put_wrapped(stdout, 0, 2, events_help);
	printf("\narguments: those of subscribe (sipuactl help subscribe)\n");
	return 0;
}

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* After subscribing: every event, until a stop signal (0) or the end (3). */
static int stream_events(struct conn *c, bool json_out)
{
	struct sigaction sa = {.sa_handler = on_stop};
	sigset_t block, open;
	char *line;
	int err;

	/* Blocked but while in ppoll: a signal that comes while printing waits. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &open);
	sigdelset(&open, SIGINT);
	sigdelset(&open, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	c->mask = &open;
	c->deadline_ms = -1;
	while (!(err = conn_read_line(c, &line))) {
		json_t *msg = json_loads(line, 0, NULL);

		if (is_type(msg, "event")) {
			if (json_out)
				puts(line);
			else
				print_event(msg);
		}
		json_decref(msg);
	}
	return err == -EINTR ? 0 : conn_fail(c, err, "");
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
	    {"socket", required_argument, NULL, 's'},  {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
	};
	struct conn c = {.path = getenv("SIPUAD_SOCKET"), .fd = -1};
	const struct ctl_cmd_info *ci;
	const char *name, *usage, *help_of;
	double timeout_s = DEFAULT_TIMEOUT_S;
	bool json_out = false, events;
	json_t *args;
	char *end;
	int opt, rc;

	if (!c.path || !*c.path)
		c.path = SIPUAD_CONTROL_SOCKET;
	opterr = 0; /* our messages: "sipuactl: ...", not argv[0] */
	while ((opt = getopt_long(argc, argv, "+:hs:", long_opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.path = optarg;
			break;
		case 'j':
			json_out = true;
			break;
		case 't':
			errno = 0;
			timeout_s = strtod(optarg, &end);
			if (end == optarg || *end || errno || !(timeout_s >= 0) || timeout_s > 1e9)
				return fail(EXIT_USAGE, NULL,
					    "--timeout: '%s' is not a number of seconds", optarg);
			break;
		case 'h':
			usage_full(stdout);
			return 0;
		case 'V':
			printf("sipuactl %s\n", PACKAGE_VERSION);
			return 0;
		case ':':
			return fail(EXIT_USAGE, NULL, "option '%s' needs a value",
				    argv[optind - 1]);
		default:
			if (optopt)
				return fail(EXIT_USAGE, NULL, "unknown option '-%c'", optopt);
			return fail(EXIT_USAGE, NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return fail(EXIT_USAGE, NULL, "no command given; see sipuactl --help");
	name = argv[optind++];
	events = strcmp(name, "events") == 0;
	ci = ctl_cmd_find(events ? "subscribe" : name);
	if (!ci)
		return fail(EXIT_USAGE, NULL, "unknown command '%s'; see sipuactl --help", name);
	usage = events ? events_usage : ci->usage;
	args = need(json_object());
	rc = args_parse(ci, usage, argc - optind, argv + optind, args);
	help_of = json_string_value(json_object_get(args, "command"));
	if (!rc && !strcmp(ci->name, "help") && help_of && !strcmp(help_of, "events")) {
		rc = help_events();
	} else if (!rc) {
		if (events)
			setvbuf(stdout, NULL, _IOLBF, 0); /* for pipes: a line when it comes */
		c.timeout_s = timeout_s;
		c.deadline_ms = timeout_s > 0 ? now_ms() + (int64_t)(timeout_s * 1000 + 0.999) : -1;
		rc = conn_open(&c);
		rc = rc ? rc : expect_hello(&c, json_out);
		rc = rc ? rc : request(&c, ci->name, args, json_out, events);
		rc = rc || !events ? rc : stream_events(&c, json_out);
	}
	json_decref(args);
	conn_close(&c);
	if (fflush(stdout) || ferror(stdout))
		return fail(EXIT_NO, NULL, "standard output: %s", strerror(errno));
	return rc;
}
