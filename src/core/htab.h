/*
 * htab: an intrusive hash table keyed by byte strings.
 *
 * The node lives inside the object (container_of gets it back), so insert
 * and remove never allocate except when the bucket array grows.  The hash is
 * SipHash-2-4 with a random key made at htab_new(), so a peer cannot choose
 * branches that all land in one bucket.  Lookup is O(1) on average.
 */
#ifndef SIPUAD_HTAB_H
#define SIPUAD_HTAB_H

#include <stddef.h>
#include <stdint.h>

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

struct htab_node {
	struct htab_node *next;
	uint64_t hash;
	const char *key;	/* owned by the object; stays valid while inserted */
	size_t keylen;
};

struct htab;

/* 0 or -ENOMEM. */
int htab_new(struct htab **hp);
/* The nodes still inserted are not touched. NULL is a no-op. */
void htab_free(struct htab *h);
/*
 * Insert n under key (duplicates allowed; find returns the newest).  Never
 * fails in practice: if growing the buckets fails, n goes into the old
 * array.  0 or -ENOMEM.
 */
int htab_insert(struct htab *h, struct htab_node *n, const char *key, size_t keylen);
struct htab_node *htab_find(const struct htab *h, const char *key, size_t keylen);
/* Next node after n with the same key, or NULL. */
struct htab_node *htab_find_next(const struct htab *h, const struct htab_node *n);
/* n must be inserted. */
void htab_remove(struct htab *h, struct htab_node *n);
size_t htab_count(const struct htab *h);

/* Visit every node; cb may remove only the node it is given. */
void htab_foreach(struct htab *h, void (*cb)(struct htab_node *n, void *arg), void *arg);

#endif
