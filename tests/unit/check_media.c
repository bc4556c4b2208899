/*
 * check_media: the media session of src/media/media.c, on real sockets over
 * loopback: it holds a port pair of the pool from media_new() to
 * media_free(), and keeps the parameters of the last exchange it is fed.
 *
 * Pools span 40000..59999; the pool skips pairs another process holds, so
 * other suites running at once do not make these flaky.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/net.h"
#include "media/codec.h"
#include "media/media.h"
#include "media/rtpport.h"

#include "check_run.h"

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Whether host:port can be bound now (nobody holds it). */
static bool port_free(const char *host, uint16_t port)
{
	struct net_addr a;
	int fd, ok;

	ck_assert_int_eq(net_addr_from_host(&a, host, port), 0);
	fd = socket(net_addr_family(&a), SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ok = bind(fd, (struct sockaddr *)&a.ss, a.len) == 0;
	close(fd);
	return ok;
}

static void host_addr(struct net_addr *a, const char *host)
{
	ck_assert_int_eq(net_addr_from_host(a, host, 5060), 0);
}

/* A pair from the pool, bound on the local address, handed back by media_free(). */
static void take_and_give_back(const char *host)
{
	struct rtpport_pool *pool = NULL;
	struct media *m = NULL;
	struct net_addr local, l;
	char buf[NET_ADDR_STRLEN];
	unsigned fds = count_fds();
	uint16_t port;

	host_addr(&local, host);
	ck_assert_int_eq(rtpport_pool_new(&pool, 40000, 59999), 0);
	ck_assert_int_eq(media_new(&m, pool, &local), 0);
	ck_assert_uint_eq(rtpport_in_use(pool), 1);
	port = media_port(m);
	ck_assert_uint_ge(port, 40000);
	ck_assert_uint_le(port, 59998);
	ck_assert_uint_eq(port % 2, 0);
	/* RTP and RTCP are held: nobody else can bind them. */
	ck_assert(!port_free(host, port));
	ck_assert(!port_free(host, (uint16_t)(port + 1)));
	ck_assert_uint_eq(count_fds(), fds + 2);
	media_local(m, &l);
	ck_assert_uint_eq(net_addr_port(&l), port);
	ck_assert_str_eq(net_addr_host(&l, buf, sizeof(buf)), host);
	/* Nothing negotiated yet. */
	ck_assert_ptr_null(media_current(m));
	ck_assert_ptr_null(media_codec(m));
	media_free(m);
	ck_assert_uint_eq(rtpport_in_use(pool), 0);
	/* Kept bound by the pool for the next call, its events gone with m. */
	ck_assert_uint_eq(rtpport_kept(pool), 1);
	ck_assert_uint_eq(count_fds(), fds + 2);
	ck_assert(!port_free(host, port));
	media_free(NULL);
	rtpport_pool_free(pool);
	ck_assert_uint_eq(count_fds(), fds);
	ck_assert(port_free(host, port));
}

START_TEST(test_pair_v4)
{
	take_and_give_back("127.0.0.1");
}
END_TEST

START_TEST(test_pair_v6)
{
	take_and_give_back("::1");
}
END_TEST

/* A pool with one pair: the second session gets the pool's code, and no object. */
START_TEST(test_pool_full)
{
	struct rtpport_pool *pool = NULL;
	struct media *a = NULL, *sentinel = (struct media *)&sentinel, *b = sentinel;
	struct net_addr local;
	uint16_t port;

	host_addr(&local, "127.0.0.1");
	ck_assert_int_eq(rtpport_pool_new(&pool, 40000, 59999), 0);
	ck_assert_int_eq(media_new(&a, pool, &local), 0);
	port = media_port(a);
	media_free(a);
	rtpport_pool_free(pool);

	ck_assert_int_eq(rtpport_pool_new(&pool, port, (uint16_t)(port + 1)), 0);
	ck_assert_int_eq(media_new(&a, pool, &local), 0);
	ck_assert_uint_eq(media_port(a), port);
	ck_assert_int_eq(media_new(&b, pool, &local), -ENOSPC);
	ck_assert_ptr_eq(b, sentinel);
	media_free(a);
	/* Given back: the pair can be taken again. */
	ck_assert_int_eq(media_new(&a, pool, &local), 0);
	media_free(a);
	ck_assert_int_eq(media_new(&b, NULL, &local), -EINVAL);
	ck_assert_int_eq(media_new(&b, pool, NULL), -EINVAL);
	ck_assert_ptr_eq(b, sentinel);
	ck_assert_uint_eq(media_port(NULL), 0);
	ck_assert_ptr_null(media_current(NULL));
	rtpport_pool_free(pool);
}
END_TEST

static struct media_params pcma_params(void)
{
	struct media_params p = {
	    .active = true,
	    .pt = 8,
	    .codec = codec_find("PCMA"),
	    .te_pt = 101,
	    .dir = MEDIA_SENDONLY,
	    .ptime = 30,
	};

	ck_assert_int_eq(net_addr_from_host(&p.remote, "192.0.2.7", 4000), 0);
	return p;
}

/* The parameters of the last exchange; an inactive one ends them, a bad one changes nothing. */
START_TEST(test_update)
{
	struct rtpport_pool *pool = NULL;
	struct media *m = NULL;
	struct net_addr local;
	struct media_params p = pcma_params(), bad, off = {.active = false, .te_pt = -1};
	const struct media_params *cur;
	char buf[NET_ADDR_STRLEN];

	host_addr(&local, "127.0.0.1");
	ck_assert_int_eq(rtpport_pool_new(&pool, 40000, 59999), 0);
	ck_assert_int_eq(media_new(&m, pool, &local), 0);
	ck_assert_int_eq(media_update(m, &p), 0);
	cur = media_current(m);
	ck_assert_ptr_nonnull(cur);
	ck_assert_ptr_ne(cur, &p); /* copied */
	ck_assert_int_eq(cur->pt, 8);
	ck_assert_str_eq(media_codec(m), "PCMA");
	ck_assert_int_eq(cur->te_pt, 101);
	ck_assert_int_eq(cur->dir, MEDIA_SENDONLY);
	ck_assert_uint_eq(cur->ptime, 30);
	ck_assert_str_eq(net_addr_fmt(&cur->remote, buf, sizeof(buf)), "192.0.2.7:4000");

	/* Refused, and the session keeps what it had. */
	bad = p, bad.codec = NULL;
	ck_assert_int_eq(media_update(m, &bad), -EINVAL);
	bad = p, bad.codec = codec_event();
	ck_assert_int_eq(media_update(m, &bad), -EINVAL);
	bad = p, bad.pt = 128;
	ck_assert_int_eq(media_update(m, &bad), -EINVAL);
	bad = p, bad.pt = -1;
	ck_assert_int_eq(media_update(m, &bad), -EINVAL);
	bad = p, bad.te_pt = 200;
	ck_assert_int_eq(media_update(m, &bad), -EINVAL);
	bad = p, bad.ptime = 0;
	ck_assert_int_eq(media_update(m, &bad), -EINVAL);
	bad = p, memset(&bad.remote, 0, sizeof(bad.remote));
	ck_assert_int_eq(media_update(m, &bad), -EINVAL);
	ck_assert_int_eq(media_update(m, NULL), -EINVAL);
	ck_assert_int_eq(media_update(NULL, &p), -EINVAL);
	ck_assert_str_eq(media_codec(m), "PCMA");

	/* Declined (port 0 in a later exchange): no media, the pair is still ours. */
	ck_assert_int_eq(media_update(m, &off), 0);
	ck_assert_ptr_null(media_current(m));
	ck_assert_ptr_null(media_codec(m));
	ck_assert_uint_eq(rtpport_in_use(pool), 1);
	ck_assert_uint_ne(media_port(m), 0);
	p.codec = codec_find("PCMU");
	p.pt = 0;
	ck_assert_int_eq(media_update(m, &p), 0);
	ck_assert_str_eq(media_codec(m), "PCMU");
	media_free(m);
	rtpport_pool_free(pool);
}
END_TEST

static Suite *media_suite(void)
{
	Suite *s = suite_create("media");
	TCase *tc = tcase_create("media");

	tcase_add_test(tc, test_pair_v4);
	tcase_add_test(tc, test_pair_v6);
	tcase_add_test(tc, test_pool_full);
	tcase_add_test(tc, test_update);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(media_suite());
}
