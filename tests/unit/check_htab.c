/*
 * check_htab: the intrusive hash table of src/core/htab.c, and its
 * SipHash-2-4 against the reference vectors of the SipHash paper.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/htab.h"

#include "check_run.h"

/* htab.c's test hook: the raw SipHash-2-4 with a chosen key. */
uint64_t htab_siphash24(const uint8_t key[16], const void *data, size_t len);

struct item {
	char key[16];
	int id;
	int visits;
	struct htab_node node;
};

static struct item *item_of(struct htab_node *n)
{
	return n ? container_of(n, struct item, node) : NULL;
}

static void item_set(struct item *it, const char *key, int id)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->key, sizeof(it->key), "%s", key);
	it->id = id;
}

static int insert(struct htab *h, struct item *it)
{
	return htab_insert(h, &it->node, it->key, strlen(it->key));
}

static struct item *find(struct htab *h, const char *key)
{
	return item_of(htab_find(h, key, strlen(key)));
}

/* Key 00 01 .. 0f, message 00 01 .. (len-1): the paper's Appendix A. */
START_TEST(test_siphash_vectors)
{
	uint8_t key[16], msg[16];

	for (int i = 0; i < 16; i++) {
		key[i] = (uint8_t)i;
		msg[i] = (uint8_t)i;
	}
	ck_assert_uint_eq(htab_siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	ck_assert_uint_eq(htab_siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
	/* Block boundaries: one byte, one full word, a word and a byte. */
	ck_assert_uint_eq(htab_siphash24(key, msg, 1), 0x74f839c593dc67fdULL);
	ck_assert_uint_eq(htab_siphash24(key, msg, 8), 0x93f5f5799a932462ULL);
	ck_assert_uint_eq(htab_siphash24(key, msg, 9), 0x9e0082df0ba9e4b0ULL);
}
END_TEST

START_TEST(test_basic)
{
	struct htab *h = NULL;
	struct item a, b;

	ck_assert_int_eq(htab_new(&h), 0);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(htab_count(h), 0);
	ck_assert_ptr_null(find(h, "z9hG4bKabc"));
	item_set(&a, "z9hG4bKabc", 1);
	item_set(&b, "z9hG4bKabd", 2);
	ck_assert_int_eq(insert(h, &a), 0);
	ck_assert_int_eq(insert(h, &b), 0);
	ck_assert_uint_eq(htab_count(h), 2);
	ck_assert_ptr_eq(find(h, "z9hG4bKabc"), &a);
	ck_assert_ptr_eq(find(h, "z9hG4bKabd"), &b);
	ck_assert_ptr_null(find(h, "z9hG4bKab"));
	ck_assert_ptr_null(find(h, "z9hG4bKabcd"));
	ck_assert_ptr_null(htab_find_next(h, &a.node));
	htab_remove(h, &a.node);
	ck_assert_uint_eq(htab_count(h), 1);
	ck_assert_ptr_null(find(h, "z9hG4bKabc"));
	ck_assert_ptr_eq(find(h, "z9hG4bKabd"), &b);
	htab_remove(h, &b.node);
	ck_assert_uint_eq(htab_count(h), 0);
	htab_free(h);
	htab_free(NULL);
}
END_TEST

/* Keys are byte strings: embedded NULs count, and the empty key is a key. */
START_TEST(test_binary_keys)
{
	static const char k1[] = {'a', '\0', 'b'}, k2[] = {'a', '\0', 'c'};
	struct htab *h;
	struct htab_node n1, n2, n3;

	ck_assert_int_eq(htab_new(&h), 0);
	ck_assert_int_eq(htab_insert(h, &n1, k1, sizeof(k1)), 0);
	ck_assert_int_eq(htab_insert(h, &n2, k2, sizeof(k2)), 0);
	ck_assert_int_eq(htab_insert(h, &n3, "", 0), 0);
	ck_assert_ptr_eq(htab_find(h, k1, sizeof(k1)), &n1);
	ck_assert_ptr_eq(htab_find(h, k2, sizeof(k2)), &n2);
	ck_assert_ptr_null(htab_find(h, k1, 1));
	ck_assert_ptr_eq(htab_find(h, "", 0), &n3);
	ck_assert_ptr_eq(htab_find(h, NULL, 0), &n3);
	htab_remove(h, &n1);
	htab_remove(h, &n2);
	htab_remove(h, &n3);
	ck_assert_uint_eq(htab_count(h), 0);
	htab_free(h);
}
END_TEST

START_TEST(test_duplicates)
{
	struct htab *h;
	struct item it[4];

	ck_assert_int_eq(htab_new(&h), 0);
	for (int i = 0; i < 3; i++) {
		item_set(&it[i], "call-1", i);
		ck_assert_int_eq(insert(h, &it[i]), 0);
	}
	item_set(&it[3], "call-2", 3);
	ck_assert_int_eq(insert(h, &it[3]), 0);
	/* Newest first, then older ones, and never another key. */
	ck_assert_ptr_eq(find(h, "call-1"), &it[2]);
	ck_assert_ptr_eq(item_of(htab_find_next(h, &it[2].node)), &it[1]);
	ck_assert_ptr_eq(item_of(htab_find_next(h, &it[1].node)), &it[0]);
	ck_assert_ptr_null(htab_find_next(h, &it[0].node));
	/* Remove the middle one. */
	htab_remove(h, &it[1].node);
	ck_assert_ptr_eq(item_of(htab_find_next(h, &it[2].node)), &it[0]);
	/* Remove the newest: the older becomes what find returns. */
	htab_remove(h, &it[2].node);
	ck_assert_ptr_eq(find(h, "call-1"), &it[0]);
	ck_assert_uint_eq(htab_count(h), 2);
	htab_remove(h, &it[0].node);
	htab_remove(h, &it[3].node);
	ck_assert_uint_eq(htab_count(h), 0);
	htab_free(h);
}
END_TEST

#define GROW_N 5000

/* Far past 2 * 64: every key still found, duplicates still newest first. */
START_TEST(test_growth)
{
	struct htab *h;
	struct item *it = calloc(GROW_N, sizeof(*it));
	char key[16];

	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(htab_new(&h), 0);
	for (int i = 0; i < GROW_N; i++) {
		snprintf(key, sizeof(key), "k%d", i % (GROW_N / 2));
		item_set(&it[i], key, i);
		ck_assert_int_eq(insert(h, &it[i]), 0);
		ck_assert_uint_eq(htab_count(h), (size_t)i + 1);
	}
	for (int i = 0; i < GROW_N / 2; i++) {
		struct item *x;

		snprintf(key, sizeof(key), "k%d", i);
		x = find(h, key);
		ck_assert_ptr_eq(x, &it[i + GROW_N / 2]);
		ck_assert_ptr_eq(item_of(htab_find_next(h, &x->node)), &it[i]);
		ck_assert_ptr_null(htab_find_next(h, &it[i].node));
	}
	for (int i = 0; i < GROW_N; i++)
		htab_remove(h, &it[i].node);
	ck_assert_uint_eq(htab_count(h), 0);
	htab_free(h);
	free(it);
}
END_TEST

#define CHURN_N 10000

/* 10,000 inserts and removes in a scrambled order leave an empty table. */
START_TEST(test_churn)
{
	struct htab *h;
	struct item *it = calloc(CHURN_N, sizeof(*it));
	char key[16];

	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(htab_new(&h), 0);
	for (int i = 0; i < CHURN_N; i++) {
		snprintf(key, sizeof(key), "z9hG4bK%d", i);
		item_set(&it[i], key, i);
		ck_assert_int_eq(insert(h, &it[i]), 0);
	}
	ck_assert_uint_eq(htab_count(h), CHURN_N);
	/* 7919 is prime, so i * 7919 mod N visits every index once. */
	for (int i = 0; i < CHURN_N; i++) {
		struct item *x = &it[(size_t)i * 7919 % CHURN_N];

		ck_assert_ptr_eq(find(h, x->key), x);
		htab_remove(h, &x->node);
		ck_assert_ptr_null(find(h, x->key));
		ck_assert_uint_eq(htab_count(h), (size_t)(CHURN_N - i - 1));
	}
	ck_assert_uint_eq(htab_count(h), 0);
	htab_free(h);
	free(it);
}
END_TEST

struct walk {
	struct htab *h;
	int seen;
	int remove_mod; /* remove nodes whose id % remove_mod == 0; 0: none */
};

static void walk_cb(struct htab_node *n, void *arg)
{
	struct walk *w = arg;
	struct item *it = item_of(n);

	it->visits++;
	w->seen++;
	if (w->remove_mod && it->id % w->remove_mod == 0) {
		htab_remove(w->h, n);
		/* The walk must not look at the node again. */
		memset(n, 0xff, sizeof(*n));
	}
}

#define WALK_N 1000

START_TEST(test_foreach_remove)
{
	struct htab *h;
	struct item *it = calloc(WALK_N, sizeof(*it));
	struct walk w = {0};
	char key[16];

	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(htab_new(&h), 0);
	w.h = h;
	htab_foreach(h, walk_cb, &w);
	ck_assert_int_eq(w.seen, 0);
	for (int i = 0; i < WALK_N; i++) {
		snprintf(key, sizeof(key), "dup%d", i % 100);
		item_set(&it[i], key, i);
		ck_assert_int_eq(insert(h, &it[i]), 0);
	}
	/* Remove every other node while walking; each is visited once. */
	w.remove_mod = 2;
	htab_foreach(h, walk_cb, &w);
	ck_assert_int_eq(w.seen, WALK_N);
	ck_assert_uint_eq(htab_count(h), WALK_N / 2);
	for (int i = 0; i < WALK_N; i++)
		ck_assert_int_eq(it[i].visits, 1);
	/* Then remove everything that is left. */
	w.seen = 0;
	w.remove_mod = 1;
	htab_foreach(h, walk_cb, &w);
	ck_assert_int_eq(w.seen, WALK_N / 2);
	ck_assert_uint_eq(htab_count(h), 0);
	htab_free(h);
	free(it);
}
END_TEST

static Suite *htab_suite(void)
{
	Suite *s = suite_create("htab");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_siphash_vectors);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_binary_keys);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_churn);
	tcase_add_test(tc, test_foreach_remove);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(htab_suite());
}
