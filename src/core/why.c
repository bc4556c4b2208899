/*
 * why: reasons for a failure, handed back to the caller (see why.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/why.h"

int why_set(struct why *w, int err, enum why_kind kind, const char *arg, const char *fmt, ...)
{
	va_list ap;

	if (!w)
		return err;
	w->kind = kind;
	w->arg = arg;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	return err;
}

int why_tag(struct why *w, int err, enum why_kind kind, const char *arg)
{
	if (w) {
		w->kind = kind;
		w->arg = arg;
	}
	return err;
}

int why_fmt(char *buf, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return err;
}
