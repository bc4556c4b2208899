/*
 * tp_tls: TLS for the stream transport (placeholder until the TLS
 * connections land: every entry point reports TLS as unavailable).
 */
#include <errno.h>
#include <string.h>

#include "core/why.h"
#include "sip/tp_int.h"

int tp_tls_check(const struct tp_tls_cfg *c, char *why, size_t whylen)
{
	return why_fmt(why, whylen, -ENOSYS, "TLS is not built yet");
}

int tp_tls_set(struct tp *tp, const struct tp_tls_cfg *c, char *why, size_t whylen)
{
	return why_fmt(why, whylen, -ENOSYS, "TLS is not built yet");
}

int tp_conn_info(const struct tp *tp, uint64_t conn, struct tp_conn_info *out)
{
	return -ENOENT;
}

void tp_conn_foreach(const struct tp *tp, void (*fn)(void *arg, const struct tp_conn_info *ci),
		     void *arg)
{
}

int tp_conn_why(const struct tp *tp, uint64_t conn, char *buf, size_t size)
{
	return -ENOENT;
}

unsigned tp_tls_conn_count(const struct tp *tp)
{
	return 0;
}
