/*
 * htab: an intrusive chained hash table keyed by byte strings.
 *
 * Owns the bucket array and the hash key, nothing else: the nodes live in
 * the objects that are inserted (transactions by branch, dialogs by Call-ID
 * and tags), so insert and remove never allocate except when the array
 * grows.  The keys come off the wire, so the hash is SipHash-2-4 (Aumasson
 * and Bernstein, "SipHash: a fast short-input PRF", 2012) with a 16-byte key
 * drawn from getrandom(2) at htab_new(): a peer that cannot learn the key
 * cannot choose branches that all land in one bucket.
 *
 * A new node goes to the head of its chain, so htab_find() returns the newest
 * node of a key and htab_find_next() walks to older ones.  The bucket count
 * is a power of two, starts at 64 and doubles when the count exceeds twice
 * the bucket count; it never shrinks, so removing (even from inside
 * htab_foreach) never moves a node.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/htab.h"
#include "core/rnd.h"

#define HTAB_MIN_BUCKETS 64
#define HTAB_LOAD 2 /* grow when count > HTAB_LOAD * buckets */

struct htab {
	struct htab_node **b;
	size_t nb; /* power of two */
	size_t count;
	unsigned walking; /* htab_foreach depth: no growth while > 0 */
	uint8_t key[16];
};

/*
 * Not part of the interface: the raw SipHash-2-4, exported only so
 * tests/unit/check_htab.c can check it against the paper's test vectors.
 */
uint64_t htab_siphash24(const uint8_t key[16], const void *data, size_t len);

#define SIPHASH_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t siphash_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void siphash_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = SIPHASH_ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = SIPHASH_ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = SIPHASH_ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = SIPHASH_ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = SIPHASH_ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = SIPHASH_ROTL(v[2], 32);
}

static void siphash_compress(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	siphash_round(v);
	siphash_round(v);
	v[0] ^= m;
}

/* The paper's §2: 2 rounds per 8-byte word, 4 finalization rounds. */
uint64_t htab_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = siphash_le64(key), k1 = siphash_le64(key + 8);
	uint64_t v[4] = {
	    k0 ^ 0x736f6d6570736575ULL,
	    k1 ^ 0x646f72616e646f6dULL,
	    k0 ^ 0x6c7967656e657261ULL,
	    k1 ^ 0x7465646279746573ULL,
	};
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		siphash_compress(v, siphash_le64(p + i));
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	siphash_compress(v, last);
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		siphash_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int htab_new(struct htab **hp)
{
	struct htab *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->nb = HTAB_MIN_BUCKETS;
	h->b = calloc(h->nb, sizeof(*h->b));
	if (!h->b) {
		err = -ENOMEM;
		goto out;
	}
	err = rnd_bytes(h->key, sizeof(h->key));
	if (err < 0)
		goto out;
	*hp = h;
	h = NULL;
out:
	htab_free(h);
	return err;
}

void htab_free(struct htab *h)
{
	if (!h)
		return;
	free(h->b);
	free(h);
}

/*
 * Double the bucket array.  Old bucket i splits into new buckets i and
 * i + old size; appending at the tails keeps each chain's order, so equal
 * keys stay newest first.
 */
static int htab_grow(struct htab *h)
{
	size_t nb = h->nb * 2;
	struct htab_node **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < h->nb; i++) {
		struct htab_node **tail[2] = {&b[i], &b[i + h->nb]};
		struct htab_node *n, *next;

		for (n = h->b[i]; n; n = next) {
			int half = (n->hash & h->nb) != 0;

			next = n->next;
			n->next = NULL;
			*tail[half] = n;
			tail[half] = &n->next;
		}
	}
	free(h->b);
	h->b = b;
	h->nb = nb;
	return 0;
}

/*
 * A failed growth is not an insert failure: the node still goes in, the
 * chains are only longer, and the next insert tries to grow again.  So in
 * practice insert returns 0; -ENOMEM stays in the contract.
 */
int htab_insert(struct htab *h, struct htab_node *n, const char *key, size_t keylen)
{
	struct htab_node **head;

	n->key = key;
	n->keylen = keylen;
	n->hash = htab_siphash24(h->key, key, keylen);
	head = &h->b[n->hash & (h->nb - 1)];
	n->next = *head;
	*head = n;
	h->count++;
	if (h->count > HTAB_LOAD * h->nb && !h->walking)
		(void)htab_grow(h);
	return 0;
}

static bool htab_node_is(const struct htab_node *n, uint64_t hash, const char *key, size_t keylen)
{
	return n->hash == hash && n->keylen == keylen &&
	       (keylen == 0 || memcmp(n->key, key, keylen) == 0);
}

struct htab_node *htab_find(const struct htab *h, const char *key, size_t keylen)
{
	uint64_t hash = htab_siphash24(h->key, key, keylen);
	struct htab_node *n;

	for (n = h->b[hash & (h->nb - 1)]; n; n = n->next) {
		if (htab_node_is(n, hash, key, keylen))
			return n;
	}
	return NULL;
}

struct htab_node *htab_find_next(const struct htab *h, const struct htab_node *n)
{
	struct htab_node *m;

	for (m = n->next; m; m = m->next) {
		if (htab_node_is(m, n->hash, n->key, n->keylen))
			return m;
	}
	return NULL;
}

void htab_remove(struct htab *h, struct htab_node *n)
{
	struct htab_node **pp = &h->b[n->hash & (h->nb - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			h->count--;
			return;
		}
	}
}

size_t htab_count(const struct htab *h)
{
	return h->count;
}

/*
 * The next pointer is read before cb runs, so cb may remove (and free) the
 * node it is given.  It must not remove other nodes.  Nodes it inserts may
 * or may not be visited; the array does not grow until the walk ends.
 */
void htab_foreach(struct htab *h, void (*cb)(struct htab_node *n, void *arg), void *arg)
{
	h->walking++;
	for (size_t i = 0; i < h->nb; i++) {
		struct htab_node *n, *next;

		for (n = h->b[i]; n; n = next) {
			next = n->next;
			cb(n, arg);
		}
	}
	h->walking--;
	if (!h->walking && h->count > HTAB_LOAD * h->nb)
		(void)htab_grow(h);
}
