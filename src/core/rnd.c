/*
 * rnd: the daemon's only source of randomness.
 *
 * Owns every random value the daemon puts on the wire or uses as a secret:
 * tags, branches, Call-IDs, SRTP keys and hash seeds.  They all come from
 * getrandom(2) (the kernel CSPRNG), never from rand()/lrand48(), because a
 * predictable branch or tag lets an off-path peer inject responses, and a
 * predictable hash seed lets it choose keys that collide (see htab.c).
 *
 * Values are drawn without modulo bias: rnd_uniform() and rnd_token() reject
 * the few raw values that would make some outcomes more likely than others.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/rnd.h"

/*
 * Tokens (tags, branches, Call-IDs) are digits and lower-case letters.
 * With capitals, a To tag could spell a header name: SIPp, the tool most
 * of our users test with, finds a response's CSeq with strstr(msg,
 * "CSeq") and took a 180 whose To tag was "zvdQSCSeqxns" for an unexpected
 * message (one call in about 1.6 million).  12 characters of 36 still give
 * 62 bits, above the 32 RFC 3261 §19.3 asks of a tag.
 */
static const char rnd_alphabet[] = "0123456789"
				   "abcdefghijklmnopqrstuvwxyz";
#define RND_ALPHABET_LEN 36
/* Largest multiple of 36 that fits a byte: bytes >= this are rejected. */
#define RND_BYTE_LIMIT (256 - 256 % RND_ALPHABET_LEN)

/* getrandom() returns at most 32 MiB per call and may be interrupted. */
int rnd_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	int err = 0;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		p += r;
		n -= (size_t)r;
	}
out:
	return err;
}

/*
 * The void-returning helpers have no way to report a failure, and a
 * "random" value that is not random would be a silent security hole, so a
 * failing kernel CSPRNG (only possible on pre-3.17 kernels or with a bad
 * pointer) aborts the process.
 *
 * They serve the values that go on the wire (tags, branches, Call-IDs,
 * SSRCs, sequence numbers) and draw them from a pool filled by one
 * getrandom(2) call at a time: a call used to cost seven of them.  Each
 * byte is handed out once and cleared from the pool.  Secrets (SRTP keys,
 * hash seeds, cnonces) go through rnd_bytes(), straight from the kernel.
 */
static unsigned char rnd_pool[256];
static size_t rnd_left; /* the unused bytes are rnd_pool[0..rnd_left) */

static void rnd_must(void *buf, size_t n)
{
	unsigned char *p = buf;

	if (n > sizeof(rnd_pool)) {
		if (rnd_bytes(buf, n) < 0)
			abort();
		return;
	}
	if (rnd_left < n) {
		if (rnd_bytes(rnd_pool, sizeof(rnd_pool)) < 0)
			abort();
		rnd_left = sizeof(rnd_pool);
	}
	rnd_left -= n;
	memcpy(p, rnd_pool + rnd_left, n);
	memset(rnd_pool + rnd_left, 0, n);
}

uint32_t rnd_u32(void)
{
	uint32_t v;

	rnd_must(&v, sizeof(v));
	return v;
}

/* Reject the 2^32 mod bound smallest values so every residue is equally likely. */
uint32_t rnd_uniform(uint32_t bound)
{
	uint32_t threshold, v;

	if (bound <= 1)
		return 0;
	threshold = (uint32_t)(-bound) % bound;
	do {
		v = rnd_u32();
	} while (v < threshold);
	return v % bound;
}

void rnd_token(char *out, size_t size)
{
	size_t i = 0;
	unsigned char b;

	if (size == 0)
		return;
	while (i < size - 1) {
		rnd_must(&b, 1);
		if (b < RND_BYTE_LIMIT)
			out[i++] = rnd_alphabet[b % RND_ALPHABET_LEN];
	}
	out[i] = '\0';
}

/* RFC 3261 §8.1.1.7: the branch starts with the magic cookie "z9hG4bK". */
void rnd_branch(char out[RND_BRANCH_LEN])
{
	static const char cookie[] = "z9hG4bK";

	memcpy(out, cookie, sizeof(cookie) - 1);
	rnd_token(out + sizeof(cookie) - 1, RND_BRANCH_LEN - (sizeof(cookie) - 1));
}
