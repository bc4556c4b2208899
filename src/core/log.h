/*
 * log: the daemon's one log sink.
 *
 * Every line about an object starts with its handle ("c7: ...",
 * "alice: ..."), and is logged once, by the layer that decides.  In the
 * foreground (-f) lines go to stderr with a level tag; otherwise to syslog
 * (the journal under systemd).  libevent's own diagnostics are routed here
 * by log_hook_libevent(), libosip2's by msg_lib_init(); never to stdout.
 *
 * The level and sink are process-wide, like syslog itself: this is the one
 * piece of state outside the daemon context.
 */
#ifndef SIPUAD_LOG_H
#define SIPUAD_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* to_stderr: foreground; otherwise syslog with ident "sipuad". */
void log_open(bool to_stderr, enum log_level level);
void log_close(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);
/* "error" | "warn" | "info" | "debug" -> level. 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (log_enabled(LOG_LVL_DEBUG)) \
	log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

/* Route libevent's log callback through log_msg. */
void log_hook_libevent(void);

#endif
