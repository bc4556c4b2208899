/*
 * stats: naming and counting messages by method and status code.
 */
#include <string.h>

#include "core/stats.h"

static const char *const method_names[STATS_NMETHODS] = {
    [STATS_INVITE] = "INVITE",	     [STATS_ACK] = "ACK",	  [STATS_BYE] = "BYE",
    [STATS_CANCEL] = "CANCEL",	     [STATS_OPTIONS] = "OPTIONS", [STATS_REGISTER] = "REGISTER",
    [STATS_INFO] = "INFO",	     [STATS_UPDATE] = "UPDATE",	  [STATS_PRACK] = "PRACK",
    [STATS_SUBSCRIBE] = "SUBSCRIBE", [STATS_NOTIFY] = "NOTIFY",	  [STATS_REFER] = "REFER",
    [STATS_MESSAGE] = "MESSAGE",     [STATS_PUBLISH] = "PUBLISH", [STATS_OTHER] = "other",
};

const char *stats_method_name(enum stats_method m)
{
	return (unsigned)m < STATS_NMETHODS ? method_names[m] : "other";
}

enum stats_method stats_method_of(const char *name, size_t len)
{
	for (unsigned i = 0; i < STATS_OTHER; i++)
		if (strlen(method_names[i]) == len && memcmp(method_names[i], name, len) == 0)
			return (enum stats_method)i;
	return STATS_OTHER;
}

void stats_count(struct stats_dir *d, const char *method, int status)
{
	if (method)
		d->method[stats_method_of(method, strlen(method))]++;
	else if (status >= STATS_CODE_MIN && status < STATS_CODE_MIN + STATS_NCODES)
		d->code[status - STATS_CODE_MIN]++;
}

void stats_count_wire(struct stats_dir *d, const char *buf, size_t len)
{
	const char *sp = memchr(buf, ' ', len < 32 ? len : 32);
	unsigned code = 0;

	if (!sp || sp == buf)
		return;
	if ((size_t)(sp - buf) == 7 && memcmp(buf, "SIP/2.0", 7) == 0) {
		const char *p = sp + 1, *end = buf + len;

		for (int i = 0; i < 3 && p < end && *p >= '0' && *p <= '9'; i++, p++)
			code = code * 10 + (unsigned)(*p - '0');
		stats_count(d, NULL, (int)code);
		return;
	}
	d->method[stats_method_of(buf, (size_t)(sp - buf))]++;
}
