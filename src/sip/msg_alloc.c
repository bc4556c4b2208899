/*
 * msg_alloc: libosip2's allocations through free lists of our own.
 *
 * libosip2 allocates every header, URI, parameter and string of a message
 * on its own (about a hundred blocks per request parsed) and frees them all
 * when the message goes.  glibc keeps at most 7 freed blocks of a size in
 * its per-thread cache; the rest take its slower paths (fastbins, and
 * malloc_consolidate when they pile up): malloc and free were a tenth of
 * the daemon's CPU at 2,000 calls/s.  Freed blocks of up to MSG_ALLOC_MAX
 * bytes therefore go on free lists here, one per 16-byte class, and serve
 * the next message.
 *
 * Every block stays a block of glibc's own (malloc_usable_size() tells a
 * freed block's class), so memory libosip2 hands to us and we free() with
 * glibc, or ours that libosip2 frees, is never a problem.  At most
 * MSG_ALLOC_KEEP blocks are kept per class; msg_alloc_trim() (after a
 * burst, with the transaction pool's trim) gives the rest back.
 *
 * Under AddressSanitizer the lists are not used: a block reused from them
 * would hide a use after free from it.
 */
#include "config.h"

#include <stdlib.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif

#include <osipparser2/osip_port.h>

#include "sip/msg_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define MSG_ALLOC_LISTS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MSG_ALLOC_LISTS 0
#endif
#endif
#if !defined(MSG_ALLOC_LISTS) && defined(HAVE_MALLOC_H)
#define MSG_ALLOC_LISTS 1
#endif
#ifndef MSG_ALLOC_LISTS
#define MSG_ALLOC_LISTS 0
#endif

#define CLASSES (MSG_ALLOC_MAX / 16)

static struct {
	void *head[CLASSES];
	unsigned n[CLASSES];
} lists;

/* The class that serves n bytes (1..MSG_ALLOC_MAX): blocks of (class + 1) * 16. */
static unsigned class_of_request(size_t n)
{
	return (unsigned)((n - 1) / 16);
}

void *msg_alloc_malloc(size_t n)
{
	unsigned c;
	void *p;

	if (n == 0)
		n = 1;
	if (n > MSG_ALLOC_MAX)
		return malloc(n);
	c = class_of_request(n);
	if ((p = lists.head[c])) {
		lists.head[c] = *(void **)p;
		lists.n[c]--;
		return p;
	}
	return malloc((size_t)(c + 1) * 16);
}

void *msg_alloc_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

void msg_alloc_free(void *p)
{
	size_t u;
	unsigned c;

	if (!p)
		return;
#if MSG_ALLOC_LISTS
	/* The largest class whose blocks fit in what this block really holds. */
	u = malloc_usable_size(p);
	if (u >= 16 && u < (size_t)(CLASSES + 1) * 16) {
		c = (unsigned)(u / 16 - 1);
		if (c >= CLASSES)
			c = CLASSES - 1;
		if (lists.n[c] < MSG_ALLOC_KEEP) {
			*(void **)p = lists.head[c];
			lists.head[c] = p;
			lists.n[c]++;
			return;
		}
	}
#else
	(void)u;
	(void)c;
#endif
	free(p);
}

void msg_alloc_trim(unsigned keep)
{
	for (unsigned c = 0; c < CLASSES; c++)
		while (lists.n[c] > keep) {
			void *p = lists.head[c];

			lists.head[c] = *(void **)p;
			lists.n[c]--;
			free(p);
		}
}

size_t msg_alloc_kept(void)
{
	size_t n = 0;

	for (unsigned c = 0; c < CLASSES; c++)
		n += lists.n[c];
	return n;
}

void msg_alloc_install(void)
{
#if MSG_ALLOC_LISTS
	osip_set_allocators(msg_alloc_malloc, msg_alloc_realloc, msg_alloc_free);
#endif
}
