/*
 * why: a failure told to whoever asked for the operation, in words.
 *
 * Inside, errors are negative errno returns.  When the one who asked is a
 * person (a control command, a config check), the layer that fails also
 * says why, and the caller decides whether and where to show or log it:
 *
 *   why_fmt():      the reason as text into the caller's buffer;
 *   struct why:     the same, typed: what kind of failure it is and which
 *                   of the operation's arguments it concerns, so that the
 *                   caller maps it (to a control error code and argument)
 *                   without reading the text back.
 *
 * Neither logs anything: the layer that decides logs, once.
 */
#ifndef SIPUAD_WHY_H
#define SIPUAD_WHY_H

#include <stddef.h>

/* What the one who asked can do about it. */
enum why_kind {
	WHY_FAILED,    /* the operation failed, or the object's state forbids it */
	WHY_ARG,       /* an argument is unusable as given: arg names it */
	WHY_NOT_FOUND, /* an argument names something that does not exist: arg */
	WHY_BUSY,      /* a bound is reached: the same request may work later */
};

#define WHY_MSG_MAX 256

struct why {
	enum why_kind kind;
	const char *arg;       /* the argument at fault, or NULL; static storage */
	char msg[WHY_MSG_MAX]; /* one line for a human; cut to fit */
};

/*
 * Fill w (may be NULL) and return err, so that a check can
 * "return why_set(w, -EINVAL, WHY_ARG, "to", "...", ...)".
 */
int why_set(struct why *w, int err, enum why_kind kind, const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Type a reason a lower layer already wrote into w->msg (with why_fmt):
 * set kind and arg, return err.
 */
int why_tag(struct why *w, int err, enum why_kind kind, const char *arg);

/*
 * The reason as text only: fill buf (may be NULL) and return err, so that
 * a check can "return why_fmt(why, len, -EINVAL, ...)".
 */
int why_fmt(char *buf, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
