/*
 * osip_same: test helpers that compare what two messages hold through
 * libosip2's serialisation of each part, for the suites that check a
 * message built as text against libosip2's own build of it.
 */
#ifndef SIPUAD_OSIP_SAME_H
#define SIPUAD_OSIP_SAME_H

#include <check.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

typedef int(to_str_fn)(void *, char **);

/* a and b (libosip2 objects, either may be NULL) serialise to the same text. */
static inline void same(void *a, void *b, to_str_fn *fn, const char *what)
{
	char *sa = NULL, *sb = NULL;

	ck_assert_msg(!a == !b, "%s: one is missing", what);
	if (!a)
		return;
	ck_assert_int_eq(fn(a, &sa), 0);
	ck_assert_int_eq(fn(b, &sb), 0);
	ck_assert_msg(strcmp(sa, sb) == 0, "%s: '%s' != '%s'", what, sa, sb);
	osip_free(sa);
	osip_free(sb);
}

static inline void same_list(const osip_list_t *a, const osip_list_t *b, to_str_fn *fn,
			     const char *what)
{
	ck_assert_msg(osip_list_size(a) == osip_list_size(b), "%s: %d != %d", what,
		      osip_list_size(a), osip_list_size(b));
	for (int i = 0; i < osip_list_size(a); i++)
		same(osip_list_get(a, i), osip_list_get(b, i), fn, what);
}

static inline void same_str(const char *a, const char *b, const char *what)
{
	ck_assert_msg(!a == !b, "%s: one is missing", what);
	if (a)
		ck_assert_msg(strcmp(a, b) == 0, "%s: '%s' != '%s'", what, a, b);
}

#endif
