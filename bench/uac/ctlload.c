/*
 * ctlload: place calls through sipuad's control socket at a target rate,
 * pipelined on one connection, and count what became of them.
 *
 * A benchmark tool (bench/uac/run compiles it with cc and jansson), not
 * part of sipuad.  The protocol is include/ctl_proto.h: one JSON object per
 * line.  On one connection:
 *
 *   <- {"type":"hello",...}
 *   -> {"id":0,"cmd":"subscribe","args":{"patterns":["call.state"]}}
 *   -> {"id":N,"cmd":"call","args":{"to":"sip:uas@127.0.0.1:5080"}}  N = 1..calls,
 *      sent on schedule (call N at (N-1)/rate s) without waiting for replies
 *   <- {"type":"reply","id":N,"ok":true,"result":{"call":"c7",...}}
 *   <- {"type":"event","event":"call.state","call":"c7","state":"answered"}
 *   -> {"id":M,"cmd":"hangup","args":{"call":"c7"}}     hold_ms after answered
 *   <- {"type":"event","event":"call.state","call":"c7","state":"ended",...}
 *
 * A call's reply and its events may come in any order (the daemon may emit
 * an event before the reply is read), so a call is found by its handle's
 * number, whichever comes first.  Latency: from writing the call command to
 * reading its answered event.  A call fails when the command is refused,
 * it ends before answered, or it is not answered by the deadline; calls left
 * up then (events lost, answered late) are hung up before the report.
 *
 * Output: one JSON object on stdout (counts, latency p50/p99/max in ms,
 * the first failure's reason).  Exit 0 when it ran, 1 on usage, 2 on I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SUBSCRIBE "{\"id\":0,\"cmd\":\"subscribe\",\"args\":{\"patterns\":[\"call.state\"]}}\n"

enum cstate { C_NEW, C_SENT, C_ANSWERED, C_HUNGUP, C_ENDED, C_FAILED };

struct lcall {
	enum cstate state;
	double sent;		/* when the call command was written */
	double answered;
	int handle;		/* number of "cN", 0 while unknown */
};

/* What we know of a daemon handle before its reply says which call it is. */
struct hinfo {
	int call;		/* index + 1 in calls[], 0: reply not read yet */
	double answered;	/* event time, 0: not (yet) answered */
	int ended;
};

struct load {
	int fd;
	const char *to;
	double rate;
	int ncalls;
	int hold_ms;
	double deadline_s;
	struct lcall *calls;
	struct hinfo *hs;
	size_t nhs;
	int next;		/* next call to place */
	int *hq;		/* hang-up queue: call indexes, FIFO */
	int hq_head, hq_tail;
	char *wbuf;
	size_t wlen, wcap;
	char *rbuf;
	size_t rlen, rcap;
	int refused, ended_early, lost_events, answered, ended, hangup_errors;
	int closed;		/* calls ended or failed: done with */
	int cleanup;		/* hangups sent at the end to calls left over */
	char first_error[256];
	double t0;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "ctlload: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void note_error(struct load *l, const char *fmt, const char *a, const char *b)
{
	if (l->first_error[0])
		return;
	snprintf(l->first_error, sizeof(l->first_error), fmt, a ? a : "", b ? b : "");
}

static void out_append(struct load *l, const char *s, size_t n)
{
	if (l->wlen + n > l->wcap) {
		l->wcap = (l->wlen + n) * 2;
		l->wbuf = realloc(l->wbuf, l->wcap);
		if (!l->wbuf)
			die("realloc");
	}
	memcpy(l->wbuf + l->wlen, s, n);
	l->wlen += n;
}

static void send_cmd(struct load *l, int id, const char *cmd, const char *key,
		     const char *val)
{
	json_t *req = json_pack("{s:i, s:s, s:{s:s}}", "id", id, "cmd", cmd, "args", key, val);
	char *s = json_dumps(req, JSON_COMPACT);

	if (!s)
		die("json_dumps");
	out_append(l, s, strlen(s));
	out_append(l, "\n", 1);
	free(s);
	json_decref(req);
}

/* The hinfo of handle "cN", grown as the daemon numbers further. */
static struct hinfo *handle_info(struct load *l, const char *h)
{
	long n;
	char *end;

	if (!h || h[0] != 'c')
		return NULL;
	n = strtol(h + 1, &end, 10);
	if (*end || n <= 0 || n > 100000000)
		return NULL;
	if ((size_t)n >= l->nhs) {
		size_t m = (size_t)n * 2 + 1024;

		l->hs = realloc(l->hs, m * sizeof(*l->hs));
		if (!l->hs)
			die("realloc");
		memset(l->hs + l->nhs, 0, (m - l->nhs) * sizeof(*l->hs));
		l->nhs = m;
	}
	return &l->hs[n];
}

static void call_answered(struct load *l, int i, double t)
{
	struct lcall *c = &l->calls[i];

	if (c->state != C_SENT)
		return;
	c->state = C_ANSWERED;
	c->answered = t;
	l->answered++;
	l->hq[l->hq_tail++] = i;
}

static void call_ended(struct load *l, int i)
{
	struct lcall *c = &l->calls[i];

	if (c->state == C_SENT) {
		c->state = C_FAILED;
		l->ended_early++;
		l->closed++;
		return;
	}
	if (c->state == C_ANSWERED || c->state == C_HUNGUP) {
		c->state = C_ENDED;
		l->ended++;
		l->closed++;
	}
}

static void on_reply(struct load *l, json_t *m)
{
	json_int_t id = json_integer_value(json_object_get(m, "id"));
	int ok = json_is_true(json_object_get(m, "ok"));
	struct hinfo *hi;
	const char *h;

	if (id >= 1 && id <= l->ncalls) {
		struct lcall *c = &l->calls[id - 1];

		if (!ok) {
			json_t *e = json_object_get(m, "error");

			c->state = C_FAILED;
			l->refused++;
			l->closed++;
			note_error(l, "call refused: %s: %s",
				   json_string_value(json_object_get(e, "code")),
				   json_string_value(json_object_get(e, "message")));
			return;
		}
		h = json_string_value(json_object_get(json_object_get(m, "result"), "call"));
		hi = handle_info(l, h);
		if (!hi)
			return;
		hi->call = (int)id;
		c->handle = (int)(hi - l->hs);
		if (hi->answered > 0)
			call_answered(l, (int)id - 1, hi->answered);
		if (hi->ended)
			call_ended(l, (int)id - 1);
	} else if (id > l->ncalls && !ok) {
		l->hangup_errors++;	/* the call ended on its own first */
	}
}

static void on_event(struct load *l, json_t *m, double t)
{
	const char *ev = json_string_value(json_object_get(m, "event"));
	const char *st;
	struct hinfo *hi;

	if (ev && !strcmp(ev, "lost")) {
		l->lost_events += (int)json_integer_value(json_object_get(m, "count"));
		note_error(l, "%s%sevents lost: the daemon's [control] event_queue overflowed",
			   NULL, NULL);
		return;
	}
	if (!ev || strcmp(ev, "call.state"))
		return;
	st = json_string_value(json_object_get(m, "state"));
	hi = handle_info(l, json_string_value(json_object_get(m, "call")));
	if (!hi || !st)
		return;
	if (!strcmp(st, "answered")) {
		hi->answered = t;
		if (hi->call)
			call_answered(l, hi->call - 1, t);
	} else if (!strcmp(st, "ended")) {
		hi->ended = 1;
		if (hi->call && l->calls[hi->call - 1].state == C_SENT) {
			char code[16];

			snprintf(code, sizeof(code), "%lld",
				 (long long)json_integer_value(json_object_get(m, "code")));
			note_error(l, "call ended before answered: %s %s", code,
				   json_string_value(json_object_get(m, "reason")));
		}
		if (hi->call)
			call_ended(l, hi->call - 1);
	}
}

static void on_line(struct load *l, const char *s, size_t n, double t)
{
	json_error_t err;
	json_t *m = json_loadb(s, n, 0, &err);
	const char *type;

	if (!m) {
		fprintf(stderr, "ctlload: bad line from sipuad: %.80s\n", s);
		return;
	}
	type = json_string_value(json_object_get(m, "type"));
	if (type && !strcmp(type, "reply"))
		on_reply(l, m);
	else if (type && !strcmp(type, "event"))
		on_event(l, m, t);
	json_decref(m);
}

static int read_some(struct load *l)
{
	double t;
	size_t start = 0;
	ssize_t n;

	if (l->rcap - l->rlen < 65536) {
		l->rcap = l->rcap * 2 + 65536;
		l->rbuf = realloc(l->rbuf, l->rcap);
		if (!l->rbuf)
			die("realloc");
	}
	n = read(l->fd, l->rbuf + l->rlen, l->rcap - l->rlen);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	l->rlen += (size_t)n;
	t = now();
	for (size_t i = 0; i < l->rlen; i++) {
		if (l->rbuf[i] != '\n')
			continue;
		on_line(l, l->rbuf + start, i - start, t);
		start = i + 1;
	}
	memmove(l->rbuf, l->rbuf + start, l->rlen - start);
	l->rlen -= start;
	return 0;
}

static int write_some(struct load *l)
{
	ssize_t n;

	if (!l->wlen)
		return 0;
	n = write(l->fd, l->wbuf, l->wlen);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	memmove(l->wbuf, l->wbuf + n, l->wlen - (size_t)n);
	l->wlen -= (size_t)n;
	return 0;
}

/* Place the calls that are due, hang up those held long enough. */
static void schedule(struct load *l, double t)
{
	char h[32];

	while (l->next < l->ncalls && t - l->t0 >= l->next / l->rate) {
		struct lcall *c = &l->calls[l->next];

		c->state = C_SENT;
		c->sent = t;
		l->next++;
		send_cmd(l, l->next, "call", "to", l->to);
	}
	while (l->hq_head < l->hq_tail) {
		struct lcall *c = &l->calls[l->hq[l->hq_head]];

		if (c->state == C_ANSWERED && t - c->answered < l->hold_ms / 1000.0)
			break;
		l->hq_head++;
		if (c->state != C_ANSWERED)
			continue;
		c->state = C_HUNGUP;
		snprintf(h, sizeof(h), "c%d", c->handle);
		send_cmd(l, l->ncalls + l->hq_head, "hangup", "call", h);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double q)
{
	int k;

	if (n <= 0)
		return -1;
	k = (int)(q / 100.0 * n + 0.999999);
	if (k < 1)
		k = 1;
	return v[k - 1];
}

static void report(struct load *l, double elapsed, double last_sent)
{
	double *lat = calloc((size_t)l->ncalls + 1, sizeof(*lat));
	int n = 0, unanswered = 0;
	json_t *o;

	if (!lat)
		die("calloc");
	for (int i = 0; i < l->ncalls; i++) {
		struct lcall *c = &l->calls[i];

		if (c->answered > 0)
			lat[n++] = (c->answered - c->sent) * 1000.0;
		else if (c->state == C_SENT || c->state == C_NEW)
			unanswered++;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	if (unanswered)
		note_error(l, "%s%scalls not answered by the deadline", NULL, NULL);
	o = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f,"
		      " s:f, s:f, s:f, s:f, s:s}",
		      "calls", l->ncalls, "placed", l->next, "answered", l->answered,
		      "failed", l->refused + l->ended_early + unanswered,
		      "refused", l->refused, "ended_before_answer", l->ended_early,
		      "unanswered", unanswered, "ended", l->ended,
		      "hangup_errors", l->hangup_errors, "lost_events", l->lost_events,
		      "cleanup_hangups", l->cleanup,
		      "elapsed_s", elapsed,
		      "offered_rate", last_sent > 0 ? (l->next - 1) / last_sent : 0.0,
		      "p50_ms", pct(lat, n, 50), "p99_ms", pct(lat, n, 99),
		      "max_ms", n ? lat[n - 1] : -1.0, "target_rate", l->rate,
		      "first_error", l->first_error);
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
	free(lat);
}

/*
 * Calls whose events were lost (the daemon's event_queue overflowed) or that
 * were not answered in time would stay up, and the SIPp UAS with them: hang
 * up every call with a handle that was not hung up, and read until they end
 * or 5 s have passed.
 */
static void clean_up(struct load *l)
{
	double end;
	int left = 0;
	char h[32];

	for (int i = 0; i < l->ncalls; i++) {
		struct lcall *c = &l->calls[i];

		if (!c->handle || (c->state != C_SENT && c->state != C_ANSWERED))
			continue;
		snprintf(h, sizeof(h), "c%d", c->handle);
		send_cmd(l, 2 * l->ncalls + i + 1, "hangup", "call", h);
		l->cleanup++;
		left++;
	}
	end = now() + 5.0;
	while (left && now() < end) {
		struct pollfd p = { .fd = l->fd, .events = POLLIN };

		if (l->wlen)
			p.events |= POLLOUT;
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			return;
		if ((p.revents & POLLOUT && write_some(l) < 0) ||
		    (p.revents & (POLLIN | POLLHUP | POLLERR) && read_some(l) < 0))
			return;
		if (!l->wlen && l->closed == l->ncalls)
			return;
	}
}

static int connect_ctl(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ctlload: socket path too long\n");
		exit(1);
	}
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(path);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: ctlload -s SOCKET -u URI -r RATE -n CALLS "
		"[-d HOLD_MS] [-t TIMEOUT_S]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	struct load l = { .hold_ms = 0, .deadline_s = 30 };
	const char *path = NULL;
	double t, end, last_sent = 0;
	int opt, err = 0;

	while ((opt = getopt(argc, argv, "s:u:r:n:d:t:")) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'u': l.to = optarg; break;
		case 'r': l.rate = atof(optarg); break;
		case 'n': l.ncalls = atoi(optarg); break;
		case 'd': l.hold_ms = atoi(optarg); break;
		case 't': l.deadline_s = atof(optarg); break;
		default: usage();
		}
	}
	if (!path || !l.to || l.rate <= 0 || l.ncalls <= 0 || l.ncalls > 10000000)
		usage();
	l.calls = calloc((size_t)l.ncalls, sizeof(*l.calls));
	l.hq = calloc((size_t)l.ncalls, sizeof(*l.hq));
	if (!l.calls || !l.hq)
		die("calloc");
	l.fd = connect_ctl(path);
	out_append(&l, SUBSCRIBE, strlen(SUBSCRIBE));
	l.t0 = now();
	/* all calls placed by ncalls/rate; then the hold, then the deadline */
	end = l.t0 + l.ncalls / l.rate + l.hold_ms / 1000.0 + l.deadline_s;
	while ((t = now()) < end) {
		struct pollfd p = { .fd = l.fd, .events = POLLIN };
		int timeout_ms = 1;

		schedule(&l, t);
		if (l.next == l.ncalls && !last_sent)
			last_sent = t - l.t0;
		if (l.wlen)
			p.events |= POLLOUT;
		if (l.next == l.ncalls && l.hq_head == l.hq_tail)
			timeout_ms = 50;
		if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
			die("poll");
		if (p.revents & POLLOUT)
			err = write_some(&l);
		if (!err && p.revents & (POLLIN | POLLHUP | POLLERR))
			err = read_some(&l);
		if (err) {
			fprintf(stderr, "ctlload: control connection: %s\n", strerror(-err));
			break;
		}
		if (l.closed == l.ncalls)
			break;
	}
	t = now() - l.t0;
	if (!err)
		clean_up(&l);
	report(&l, t, last_sent);
	fflush(stdout);
	close(l.fd);
	free(l.calls);
	free(l.hq);
	free(l.hs);
	free(l.wbuf);
	free(l.rbuf);
	return err ? 2 : 0;
}
