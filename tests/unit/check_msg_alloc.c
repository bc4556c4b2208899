/*
 * check_msg_alloc: the free lists libosip2 allocates through
 * (src/sip/msg_alloc.c).  A freed block serves the next request of its
 * class; every block handed out holds at least what was asked, whoever
 * allocated it first (libosip2, we, or plain malloc); the lists keep at
 * most MSG_ALLOC_KEEP per class and msg_alloc_trim() empties them; a
 * message parsed and freed twice through libosip2 reuses the blocks.
 * Under AddressSanitizer the lists are off (a reused block would hide a
 * use after free): the same calls then go straight to malloc and free.
 */
#include <check.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "sip/msg.h"
#include "sip/msg_int.h"

#include "check_run.h"

#if defined(__SANITIZE_ADDRESS__)
#define LISTS false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LISTS false
#endif
#endif
#ifndef LISTS
#define LISTS true
#endif

static void setup(void)
{
	msg_alloc_trim(0);
}

START_TEST(test_reuse)
{
	void *p = msg_alloc_malloc(40), *q;

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(malloc_usable_size(p), 40);
	msg_alloc_free(p);
	ck_assert_uint_eq(msg_alloc_kept(), LISTS ? 1 : 0);
	q = msg_alloc_malloc(33);
	if (LISTS)
		ck_assert_ptr_eq(q, p);
	ck_assert_uint_eq(msg_alloc_kept(), 0);
	msg_alloc_free(q);
	/* Blocks beyond the largest class (and its malloc slack) are never kept. */
	p = msg_alloc_malloc(MSG_ALLOC_MAX + 32);
	msg_alloc_free(p);
	ck_assert_uint_eq(msg_alloc_kept(), LISTS ? 1 : 0); /* q only */
	msg_alloc_free(NULL);
	/* 0 bytes: a block all the same, freeable. */
	p = msg_alloc_malloc(0);
	ck_assert_ptr_nonnull(p);
	msg_alloc_free(p);
}
END_TEST

/*
 * Blocks of every size from plain malloc, strdup and msg_alloc_malloc,
 * freed through the lists in a random order, then asked for at random
 * sizes: each block handed out holds what was asked (written in full,
 * which valgrind or a corrupted heap would catch), and realloc works on
 * any of them.
 */
START_TEST(test_any_block_fits)
{
	enum { N = 20000 };
	static void *live[N];
	static size_t want[N];
	uint32_t x = 12345;

	for (unsigned i = 0; i < N; i++) {
		size_t n;

		x = x * 1103515245 + 12345;
		n = 1 + (x >> 8) % (MSG_ALLOC_MAX + 64);
		switch ((x >> 4) % 3) {
		case 0:
			live[i] = malloc(n);
			break;
		case 1:
			live[i] = msg_alloc_malloc(n);
			break;
		default:
			live[i] = msg_alloc_realloc(NULL, n);
		}
		ck_assert_ptr_nonnull(live[i]);
		memset(live[i], 0xa5, n);
		want[i] = n;
		/* Free about half as we go: the lists fill and empty. */
		x = x * 1103515245 + 12345;
		if ((x >> 9) % 2 && i > 0) {
			unsigned j = (x >> 11) % i;

			if (live[j]) {
				msg_alloc_free(live[j]);
				live[j] = NULL;
			}
		}
	}
	for (unsigned i = 0; i < N; i++) {
		if (!live[i]) {
			x = x * 1103515245 + 12345;
			want[i] = 1 + (x >> 8) % MSG_ALLOC_MAX;
			live[i] = msg_alloc_malloc(want[i]);
			ck_assert_ptr_nonnull(live[i]);
		}
		ck_assert_uint_ge(malloc_usable_size(live[i]), want[i]);
		memset(live[i], 0x5a, want[i]);
	}
	for (unsigned i = 0; i < N; i += 2) {
		live[i] = msg_alloc_realloc(live[i], want[i] + 100);
		ck_assert_ptr_nonnull(live[i]);
		memset(live[i], 0x11, want[i] + 100);
	}
	for (unsigned i = 0; i < N; i++)
		msg_alloc_free(live[i]);
	msg_alloc_trim(0);
	ck_assert_uint_eq(msg_alloc_kept(), 0);
}
END_TEST

START_TEST(test_keep_bound_and_trim)
{
	enum { M = MSG_ALLOC_KEEP + 100 };
	static void *b[M];

	for (unsigned i = 0; i < M; i++)
		b[i] = msg_alloc_malloc(100);
	for (unsigned i = 0; i < M; i++)
		msg_alloc_free(b[i]);
	ck_assert_uint_eq(msg_alloc_kept(), LISTS ? MSG_ALLOC_KEEP : 0);
	msg_alloc_trim(10);
	ck_assert_uint_eq(msg_alloc_kept(), LISTS ? 10 : 0);
	msg_alloc_trim(0);
	ck_assert_uint_eq(msg_alloc_kept(), 0);
}
END_TEST

static const char invite[] = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds;rport\r\n"
			     "Max-Forwards: 70\r\n"
			     "To: Bob <sip:bob@127.0.0.1>\r\n"
			     "From: Alice <sip:alice@127.0.0.1>;tag=1928301774\r\n"
			     "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
			     "CSeq: 314159 INVITE\r\n"
			     "Contact: <sip:alice@127.0.0.1:5070>\r\n"
			     "Content-Length: 0\r\n\r\n";

/* libosip2 itself through the lists: the second parse takes the first one's blocks. */
START_TEST(test_libosip_round_trip)
{
	osip_message_t *m;
	size_t kept;

	msg_lib_init();
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(osip_message_init(&m), 0);
		ck_assert_int_eq(osip_message_parse(m, invite, sizeof(invite) - 1), 0);
		ck_assert_str_eq(m->call_id->number, "a84b4c76e66710");
		ck_assert_str_eq(m->cseq->number, "314159");
		ck_assert_str_eq(m->from->url->username, "alice");
		kept = msg_alloc_kept();
		osip_message_free(m);
		if (LISTS)
			ck_assert_uint_gt(msg_alloc_kept(), kept + 20);
		else
			ck_assert_uint_eq(msg_alloc_kept(), 0);
	}
	msg_lib_trim();
	ck_assert_uint_le(msg_alloc_kept(), 64 * (MSG_ALLOC_MAX / 16));
}
END_TEST

static Suite *msg_alloc_suite(void)
{
	Suite *s = suite_create("msg_alloc");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_any_block_fits);
	tcase_add_test(tc, test_keep_bound_and_trim);
	tcase_add_test(tc, test_libosip_round_trip);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(msg_alloc_suite());
}
