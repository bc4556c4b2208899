/*
 * log: the daemon's one log sink, and the hook that pulls libevent's
 * diagnostics into it (libosip2's traces are pulled in by the message
 * module, msg_lib_init(), which owns that library).
 *
 * Owns the process-wide level and sink (stderr in the foreground, syslog
 * otherwise), the only state outside the daemon context, because syslog(3)
 * itself is process-wide.  A foreground line is
 *
 *   2024-05-01 12:00:00.123 info: c7: answered 200 OK
 *
 * written with one write so lines from one process never interleave.  A
 * message is always exactly one line: trailing newlines (libosip2 ends its
 * traces with one) are dropped and other control characters, which can come
 * from the wire, are shown as '?'.  Nothing is ever written to stdout.
 *
 * Also owns the rate limits of lines that remote input causes (log.h says
 * how they behave): the tiers' budgets, the clock, the list of every class
 * used and the list of those holding a summary.  The limiter is a few
 * integer operations per line; a suppressed line is never formatted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "core/log.h"

#define LOG_LINE_MAX 2048

static struct {
	bool to_stderr;
	bool syslog_open;
	enum log_level level;
} log_state = {true, false, LOG_LVL_INFO};

/* The rate limits: see log.h. */
static struct {
	struct {
		unsigned burst, interval_s;
	} tier[LOG_RL_NTIERS];
	uint64_t (*now_ms)(void *arg);
	void (*due)(void *arg, uint64_t at_ms);
	void *arg;
	struct log_rl *all, **all_tail;
	struct log_rl *pending; /* dropped lines, a summary to say */
	uint64_t next_due;	/* earliest window end among pending; 0: none */
} rl_state = {
    .tier = {[LOG_RL_PEER] = {10, 10}, [LOG_RL_CALL] = {100, 1}},
    .all_tail = &rl_state.all,
};

static void rl_flush_due(void);

static const char *const log_names[] = {
    [LOG_LVL_ERR] = "error",
    [LOG_LVL_WARN] = "warn",
    [LOG_LVL_INFO] = "info",
    [LOG_LVL_DEBUG] = "debug",
};

static const int log_prio[] = {
    [LOG_LVL_ERR] = LOG_ERR,
    [LOG_LVL_WARN] = LOG_WARNING,
    [LOG_LVL_INFO] = LOG_INFO,
    [LOG_LVL_DEBUG] = LOG_DEBUG,
};

void log_open(bool to_stderr, enum log_level level)
{
	log_close();
	log_state.to_stderr = to_stderr;
	log_state.level = level;
	if (!to_stderr) {
		openlog("sipuad", LOG_PID, LOG_DAEMON);
		log_state.syslog_open = true;
	}
}

/* Back to the default sink, stderr, so late messages are not lost. */
void log_close(void)
{
	if (log_state.syslog_open)
		closelog();
	log_state.syslog_open = false;
	log_state.to_stderr = true;
}

void log_set_level(enum log_level level)
{
	if (level >= LOG_LVL_ERR && level <= LOG_LVL_DEBUG)
		log_state.level = level;
}

enum log_level log_get_level(void)
{
	return log_state.level;
}

bool log_enabled(enum log_level level)
{
	return level <= log_state.level;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; s && i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcasecmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	if (level < LOG_LVL_ERR || level > LOG_LVL_DEBUG)
		return "?";
	return log_names[level];
}

/* One line: no trailing newlines, other control characters as '?'. */
static void log_sanitize(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			s[i] = '?';
		else if (s[i] == 0x7f)
			s[i] = '?';
	}
}

/* "YYYY-MM-DD HH:MM:SS.mmm" local time, or "" if the clock fails. */
static void log_stamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	buf[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !localtime_r(&ts.tv_sec, &tm))
		return;
	n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	if (n > 0)
		snprintf(buf + n, size - n, ".%03ld", ts.tv_nsec / 1000000);
}

static void log_emit(enum log_level level, const char *text)
{
	char line[LOG_LINE_MAX + 64], stamp[32];
	int n;

	if (!log_state.to_stderr) {
		syslog(log_prio[level], "%s", text);
		return;
	}
	log_stamp(stamp, sizeof(stamp));
	n = snprintf(line, sizeof(line), "%s %s: %s\n", stamp, log_names[level], text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)fwrite(line, 1, (size_t)n, stderr);
}

/* errno is preserved: callers often log and then look at it. */
void log_msg(enum log_level level, const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	int saved = errno;
	va_list ap;

	if (level < LOG_LVL_ERR || level > LOG_LVL_DEBUG || !log_enabled(level))
		return;
	if (rl_state.pending)
		rl_flush_due();
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_sanitize(text);
	log_emit(level, text);
	errno = saved;
}

/* ---- rate limits ---------------------------------------------------- */

void log_rl_set_budget(enum log_rl_tier tier, unsigned burst, unsigned interval_s)
{
	if ((unsigned)tier >= LOG_RL_NTIERS)
		return;
	rl_state.tier[tier].burst = burst;
	rl_state.tier[tier].interval_s = interval_s ? interval_s : 1;
}

/* A decimal in lo..hi, the whole of [s, end). */
static int rl_num(const char *s, const char *end, unsigned long lo, unsigned long hi, unsigned *out)
{
	unsigned long v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > hi)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int log_rl_parse(const char *s, unsigned *burst, unsigned *interval_s)
{
	const char *slash;
	unsigned b, i;

	if (!s)
		return -EINVAL;
	if (strcasecmp(s, "off") == 0) {
		*burst = 0;
		*interval_s = 1;
		return 0;
	}
	slash = strchr(s, '/');
	if (!slash || rl_num(s, slash, 1, LOG_RL_BURST_MAX, &b) < 0 ||
	    rl_num(slash + 1, slash + strlen(slash), 1, LOG_RL_INTERVAL_MAX, &i) < 0)
		return -EINVAL;
	*burst = b;
	*interval_s = i;
	return 0;
}

static uint64_t rl_clock_default(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t rl_now(void)
{
	return rl_state.now_ms ? rl_state.now_ms(rl_state.arg) : rl_clock_default(NULL);
}

void log_rl_set_clock(uint64_t (*now_ms)(void *arg), void (*due)(void *arg, uint64_t at_ms),
		      void *arg)
{
	rl_state.now_ms = now_ms;
	rl_state.due = due;
	rl_state.arg = arg;
}

static uint64_t rl_window_end(const struct log_rl *rl)
{
	return rl->start + (uint64_t)rl_state.tier[rl->tier].interval_s * 1000;
}

/* The summary of rl's window, which ran secs seconds; the window closes. */
static void rl_summary(struct log_rl *rl, uint64_t secs)
{
	char text[LOG_LINE_MAX];

	if (rl->dropped && log_enabled(rl->level)) {
		snprintf(text, sizeof(text), "%u more %s in the last %" PRIu64 " s (suppressed)",
			 rl->dropped, rl->what, secs);
		log_sanitize(text);
		log_emit(rl->level, text);
	}
	rl->start = 0;
	rl->lines = rl->dropped = 0;
}

static void rl_unpend(struct log_rl *rl)
{
	struct log_rl **pp;

	for (pp = &rl_state.pending; *pp; pp = &(*pp)->next_pending) {
		if (*pp == rl) {
			*pp = rl->next_pending;
			break;
		}
	}
	rl->next_pending = NULL;
	rl->pending = false;
}

/* Seconds a window cut short at now ran, rounded up, within 1..interval. */
static uint64_t rl_ran_s(const struct log_rl *rl, uint64_t now)
{
	uint64_t s = now > rl->start ? (now - rl->start + 999) / 1000 : 1;
	uint64_t max = rl_state.tier[rl->tier].interval_s;

	return s < 1 ? 1 : s > max ? max : s;
}

uint64_t log_rl_flush(bool all)
{
	uint64_t now = rl_now(), next = 0, end;
	struct log_rl *rl, *nx;
	int saved = errno;

	for (rl = rl_state.pending; rl; rl = nx) {
		nx = rl->next_pending;
		end = rl_window_end(rl);
		if (all || now >= end) {
			rl_unpend(rl);
			rl_summary(rl, all && now < end ? rl_ran_s(rl, now)
							: rl_state.tier[rl->tier].interval_s);
		} else if (!next || end < next) {
			next = end;
		}
	}
	rl_state.next_due = next;
	errno = saved;
	return next;
}

static void rl_flush_due(void)
{
	if (rl_state.next_due && rl_now() >= rl_state.next_due)
		log_rl_flush(false);
}

/* rl dropped its first line of the window: its summary falls due at the window's end. */
static void rl_pend(struct log_rl *rl)
{
	uint64_t end = rl_window_end(rl);

	rl->pending = true;
	rl->next_pending = rl_state.pending;
	rl_state.pending = rl;
	if (!rl_state.next_due || end < rl_state.next_due) {
		rl_state.next_due = end;
		if (rl_state.due)
			rl_state.due(rl_state.arg, end);
	}
}

bool log_rl_pass(struct log_rl *rl, enum log_level level)
{
	unsigned burst = rl_state.tier[rl->tier].burst;
	uint64_t now;

	if (!rl->listed) {
		rl->listed = true;
		*rl_state.all_tail = rl;
		rl_state.all_tail = &rl->next_all;
	}
	rl->total++;
	if (!log_enabled(level))
		return false;
	if (!burst || level == LOG_LVL_DEBUG)
		return true;
	now = rl_now();
	if (rl->start && now >= rl_window_end(rl)) {
		if (rl->pending)
			rl_unpend(rl);
		rl_summary(rl, rl_state.tier[rl->tier].interval_s);
	}
	if (!rl->start) {
		rl->start = now ? now : 1;
		rl->level = level;
	}
	if (rl->lines < burst) {
		rl->lines++;
		return true;
	}
	if (rl->dropped == 0 || level < rl->level)
		rl->level = level;
	rl->dropped++;
	rl->total_dropped++;
	if (!rl->pending)
		rl_pend(rl);
	return false;
}

void log_rl_close(struct log_rl *rl)
{
	struct log_rl **pp;

	if (!rl || !rl->listed)
		return;
	if (rl->pending) {
		rl_unpend(rl);
		rl_summary(rl, rl_ran_s(rl, rl_now()));
	}
	for (pp = &rl_state.all; *pp; pp = &(*pp)->next_all) {
		if (*pp == rl) {
			*pp = rl->next_all;
			if (rl_state.all_tail == &rl->next_all)
				rl_state.all_tail = pp;
			break;
		}
	}
	rl->listed = false;
	rl->next_all = NULL;
}

const struct log_rl *log_rl_next(const struct log_rl *prev)
{
	return prev ? prev->next_all : rl_state.all;
}

static void log_event(int severity, const char *msg)
{
	enum log_level level;

	switch (severity) {
	case EVENT_LOG_ERR:
		level = LOG_LVL_ERR;
		break;
	case EVENT_LOG_WARN:
		level = LOG_LVL_WARN;
		break;
	case EVENT_LOG_MSG:
		level = LOG_LVL_INFO;
		break;
	default:
		level = LOG_LVL_DEBUG;
		break;
	}
	log_msg(level, "libevent: %s", msg ? msg : "");
}

/* libevent's log callback is process-wide, like the sink. */
void log_hook_libevent(void)
{
	event_set_log_callback(log_event);
}
