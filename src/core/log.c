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
 */
#include <errno.h>
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
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_sanitize(text);
	log_emit(level, text);
	errno = saved;
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
