/*
 * rnd: randomness for tags, branches, Call-IDs and keys, from getrandom(2).
 * Never lrand48 (libosip2's osip_build_random_number uses it): tags,
 * branches and keys must not be predictable.
 */
#ifndef SIPUAD_RND_H
#define SIPUAD_RND_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fill buf with n random bytes. 0 or -errno.  The functions below return no
 * error: if getrandom(2) fails they abort() rather than hand out weak values.
 */
int rnd_bytes(void *buf, size_t n);
uint32_t rnd_u32(void);
/* Uniform in [0, bound) (bound > 0). */
uint32_t rnd_uniform(uint32_t bound);
/* size-1 characters of [0-9a-z] and a NUL (no capitals: see rnd.c). */
void rnd_token(char *out, size_t size);

/* Lengths including the NUL. */
#define RND_TAG_LEN	13
#define RND_BRANCH_LEN	(7 + 20 + 1)	/* "z9hG4bK" + 20 */
#define RND_CALLID_LEN	25

/* "z9hG4bK" + 20 random characters. */
void rnd_branch(char out[RND_BRANCH_LEN]);

#endif
