/*
 * dns_cache: answers kept for their TTL, keyed by (type, name).
 *
 * Owns its entries: a hash table (core/htab.h) for lookup and a list in
 * insertion order for eviction.  Bounded: when full, expired entries are
 * dropped first (a walk of the list, only then), else the oldest entry.
 * Times are the caller's milliseconds (tmr_now), so the unit tests age the
 * cache on the fake clock.  The answers themselves are shared by
 * reference with the resolutions that read them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/htab.h"
#include "sip/dns_int.h"

struct dns_cache_entry {
	struct htab_node node;
	struct dns_cache_entry *prev, *next; /* insertion order, oldest first */
	uint64_t expires;		     /* ms */
	struct dns_rrset *rs;
	size_t keylen;
	char key[2 + DNS_NAME_SIZE]; /* qtype (2 bytes, big endian), normalised name */
};

struct dns_cache {
	struct htab *h;
	struct dns_cache_entry *oldest, *newest;
	size_t n, max;
};

int dns_cache_new(struct dns_cache **cp, size_t max)
{
	struct dns_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (htab_new(&c->h) < 0) {
		free(c);
		return -ENOMEM;
	}
	c->max = max ? max : 1;
	*cp = c;
	return 0;
}

static void entry_drop(struct dns_cache *c, struct dns_cache_entry *e)
{
	htab_remove(c->h, &e->node);
	if (e->prev)
		e->prev->next = e->next;
	else
		c->oldest = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->newest = e->prev;
	c->n--;
	dns_rrset_unref(e->rs);
	free(e);
}

void dns_cache_clear(struct dns_cache *c)
{
	while (c->oldest)
		entry_drop(c, c->oldest);
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	dns_cache_clear(c);
	htab_free(c->h);
	free(c);
}

size_t dns_cache_count(const struct dns_cache *c)
{
	return c->n;
}

static int make_key(uint16_t qtype, const char *name, char key[2 + DNS_NAME_SIZE], size_t *len)
{
	if (dns_name_norm(name, key + 2) < 0)
		return -EINVAL;
	key[0] = (char)(qtype >> 8);
	key[1] = (char)(qtype & 0xff);
	*len = 2 + strlen(key + 2);
	return 0;
}

static struct dns_cache_entry *entry_find(struct dns_cache *c, const char *key, size_t len)
{
	struct htab_node *hn = htab_find(c->h, key, len);

	return hn ? container_of(hn, struct dns_cache_entry, node) : NULL;
}

struct dns_rrset *dns_cache_get(struct dns_cache *c, uint16_t qtype, const char *name,
				uint64_t now_ms)
{
	char key[2 + DNS_NAME_SIZE];
	struct dns_cache_entry *e;
	size_t len;

	if (make_key(qtype, name, key, &len) < 0 || !(e = entry_find(c, key, len)))
		return NULL;
	if (e->expires <= now_ms) {
		entry_drop(c, e);
		return NULL;
	}
	return dns_rrset_ref(e->rs);
}

/* Room for one more: the expired entries go, else the oldest. */
static void make_room(struct dns_cache *c, uint64_t now_ms)
{
	struct dns_cache_entry *e, *next;

	if (c->n < c->max)
		return;
	for (e = c->oldest; e; e = next) {
		next = e->next;
		if (e->expires <= now_ms)
			entry_drop(c, e);
	}
	if (c->n >= c->max)
		entry_drop(c, c->oldest);
}

int dns_cache_put(struct dns_cache *c, const char *name, struct dns_rrset *rs, uint32_t ttl_s,
		  uint64_t now_ms)
{
	struct dns_cache_entry *e, *old;
	char key[2 + DNS_NAME_SIZE];
	size_t len;

	if (make_key(rs->qtype, name, key, &len) < 0)
		return -EINVAL;
	if (ttl_s == 0)
		return 0;
	if ((old = entry_find(c, key, len)))
		entry_drop(c, old);
	make_room(c, now_ms);
	if (!(e = calloc(1, sizeof(*e))))
		return -ENOMEM;
	memcpy(e->key, key, len);
	e->keylen = len;
	e->expires = now_ms + (uint64_t)ttl_s * 1000;
	e->rs = dns_rrset_ref(rs);
	if (htab_insert(c->h, &e->node, e->key, e->keylen) < 0) {
		dns_rrset_unref(e->rs);
		free(e);
		return -ENOMEM;
	}
	e->prev = c->newest;
	if (c->newest)
		c->newest->next = e;
	else
		c->oldest = e;
	c->newest = e;
	c->n++;
	return 0;
}
