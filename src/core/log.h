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
#include <stdint.h>

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

/*
 * Rate limits for lines that remote input causes.
 *
 * A peer decides how often we log a refusal, a malformed message or a
 * transaction it let time out: a flood of them must not fill the journal.
 * Each class of such lines is one struct log_rl, usually a static at the
 * place that logs it:
 *
 *   static struct log_rl rl_busy = LOG_RL_INIT("invite_503", "INVITEs refused with 503",
 *                                              LOG_RL_PEER);
 *   log_rl_info(&rl_busy, "%s: INVITE refused: 503 (%s)", handle, why);
 *
 * A class may log `burst` lines per window of `interval_s` seconds; the
 * window opens at the first line.  Past the burst, lines are counted and
 * not formatted (the arguments are not even evaluated).  When a window
 * that dropped lines ends, one line of the class's level says
 *
 *   12 more INVITEs refused with 503 in the last 10 s (suppressed)
 *
 * The budgets belong to tiers, set by the config ([log] rate_limit and
 * rate_limit_calls): LOG_RL_PEER for refusals, malformed input and
 * timeouts a peer causes, default 10 lines per 10 s per class; LOG_RL_CALL
 * for the lines of a normal call (INVITE from X, ended), default 100 per
 * second per class, generous, because a busy system must log its calls.
 * Debug lines are never limited (log_debug has no limiter): at level
 * debug the operator asked for every message, and gets them, while the
 * info lines keep their limits so that the log reads the same.
 *
 * The summary comes out when the window ends, even if the class never
 * logs again: log_rl_set_clock() lets the daemon hear when a summary falls
 * due (it arms one timer and calls log_rl_flush()).  Any line logged after
 * that time flushes the summaries first too, so they stay in order and
 * nothing is lost when no timer is hooked (tools, tests).  Every class
 * also counts its events forever (log_rl_next()): `stats` shows them.
 *
 * Like the level and the sink, the tiers, the clock and the list of
 * classes are process-wide; everything runs on the one loop thread.
 */
enum log_rl_tier {
	LOG_RL_PEER, /* refusals, malformed input, timeouts: tight */
	LOG_RL_CALL, /* a normal call's lines: generous */
	LOG_RL_NTIERS,
};

struct log_rl {
	const char *key;  /* "invite_503": its name in `stats` */
	const char *what; /* "INVITEs refused with 503": the summary's noun */
	enum log_rl_tier tier;
	/* The rest is the limiter's, zero at first. */
	uint64_t start;		/* window opened at (ms); 0: none open */
	unsigned lines;		/* logged in this window */
	unsigned dropped;	/* suppressed in this window */
	enum log_level level;	/* of the summary: the most severe dropped */
	uint64_t total, total_dropped; /* since the start */
	bool listed, pending;
	struct log_rl *next_all, *next_pending;
};

#define LOG_RL_INIT(k, w, t) {.key = (k), .what = (w), .tier = (t)}

/* burst 0: no limit for the tier.  Other values are taken as given (interval_s >= 1). */
void log_rl_set_budget(enum log_rl_tier tier, unsigned burst, unsigned interval_s);

#define LOG_RL_BURST_MAX 65535
#define LOG_RL_INTERVAL_MAX 3600
/*
 * "N/S", N lines per S seconds (1..LOG_RL_BURST_MAX, 1..LOG_RL_INTERVAL_MAX),
 * or "off" (burst 0).  0 or -EINVAL, the outputs untouched.
 */
int log_rl_parse(const char *s, unsigned *burst, unsigned *interval_s);

/*
 * The clock in milliseconds (NULL: CLOCK_MONOTONIC) and a hook told, with
 * the clock's time, when a summary falls due, so the caller can run
 * log_rl_flush() then (NULL: none).  Tests pass a fake clock.
 */
void log_rl_set_clock(uint64_t (*now_ms)(void *arg), void (*due)(void *arg, uint64_t at_ms),
		      void *arg);
/*
 * Say the summaries whose window has ended (all of them with all true,
 * at exit: "in the last S s" is then the time the window ran).  Returns
 * the clock time of the next summary due, or 0 if none is.
 */
uint64_t log_rl_flush(bool all);
/*
 * Count one line of rl at level and say whether to log it.  Lines that the
 * level filters out are counted and never logged; debug lines are never
 * limited.
 */
bool log_rl_pass(struct log_rl *rl, enum log_level level);
/* Flush rl and take it off the lists (for a limiter in freed memory). */
void log_rl_close(struct log_rl *rl);
/* Every class that logged since the start, in first-use order: NULL starts, NULL ends. */
const struct log_rl *log_rl_next(const struct log_rl *prev);

#define log_rl_msg(rl, level, ...) do { if (log_rl_pass((rl), (level))) \
	log_msg((level), __VA_ARGS__); } while (0)
#define log_rl_err(rl, ...)	log_rl_msg((rl), LOG_LVL_ERR, __VA_ARGS__)
#define log_rl_warn(rl, ...)	log_rl_msg((rl), LOG_LVL_WARN, __VA_ARGS__)
#define log_rl_info(rl, ...)	log_rl_msg((rl), LOG_LVL_INFO, __VA_ARGS__)

/* Route libevent's log callback through log_msg. */
void log_hook_libevent(void);

#endif
