/*
 * check_rtpport: the RTP/RTCP port pair pool of src/media/rtpport.c, on
 * real sockets over loopback.
 *
 * Each test first probes a window of free UDP ports in 40000..59999 (on
 * 127.0.0.1 and ::1) and builds its pool on that window, so suites running
 * in parallel, or other programs on the host, do not make it flaky.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/net.h"
#include "core/rnd.h"
#include "media/rtpport.h"

#include "check_run.h"

#define WINDOW	8	/* ports per test: 4 pairs */
#define DEPTH_WINDOW	(2 * (RTPPORT_REUSE_DEPTH + 4))
#define BIG_WINDOW	(2 * (RTPPORT_KEEP_MAX + 8))

/* A UDP socket bound to host:port, or -1. */
static int udp_bound(const char *host, uint16_t port)
{
	struct net_addr a;
	int fd;

	if (net_addr_from_host(&a, host, port) < 0)
		return -1;
	fd = socket(net_addr_family(&a), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* An even base such that [base, base + w) is free on both loopbacks (w <= BIG_WINDOW). */
static uint16_t free_window(int w)
{
	int fds[2 * BIG_WINDOW];

	ck_assert_int_le(w, BIG_WINDOW);
	for (int attempt = 0; attempt < 200; attempt++) {
		uint16_t base = (uint16_t)(40000 + 2 * rnd_uniform(10000 - w));
		int n = 0;
		bool ok = true;

		for (int i = 0; i < w && ok; i++) {
			fds[n] = udp_bound("127.0.0.1", (uint16_t)(base + i));
			ok = fds[n++] >= 0;
			if (!ok)
				break;
			fds[n] = udp_bound("::1", (uint16_t)(base + i));
			ok = fds[n++] >= 0;
		}
		while (n > 0)
			if (fds[--n] >= 0)
				close(fds[n]);
		if (ok)
			return base;
	}
	ck_abort_msg("no free window of %d UDP ports in 40000..59999", w);
	return 0;
}

static uint16_t free_base(void)
{
	return free_window(WINDOW);
}

static struct net_addr addr(const char *host)
{
	struct net_addr a;

	ck_assert_int_eq(net_addr_from_host(&a, host, 0), 0);
	return a;
}

/* The port fd is bound to, and check its family. */
static uint16_t bound_port(int fd, int family)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a.ss, &a.len), 0);
	ck_assert_int_eq(net_addr_family(&a), family);
	return net_addr_port(&a);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void check_pair(const struct rtpport_pair *pr, uint16_t min, uint16_t max, int family)
{
	ck_assert_int_eq(pr->port % 2, 0);
	ck_assert_uint_ge(pr->port, min);
	ck_assert_uint_le(pr->port + 1u, max);
	ck_assert_int_ge(pr->rtp_fd, 0);
	ck_assert_int_ge(pr->rtcp_fd, 0);
	ck_assert_uint_eq(bound_port(pr->rtp_fd, family), pr->port);
	ck_assert_uint_eq(bound_port(pr->rtcp_fd, family), pr->port + 1u);
}

static void get_put_one(const char *host, int family)
{
	uint16_t base = free_base();
	struct rtpport_pool *p = NULL;
	struct net_addr local = addr(host);
	struct rtpport_pair pr;

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + WINDOW - 1), 0);
	ck_assert_uint_eq(rtpport_capacity(p), WINDOW / 2);
	ck_assert_uint_eq(rtpport_in_use(p), 0);
	ck_assert_int_eq(rtpport_get(p, &local, &pr), 0);
	check_pair(&pr, base, base + WINDOW - 1, family);
	ck_assert_uint_eq(rtpport_in_use(p), 1);
	rtpport_put(p, &pr);
	ck_assert_uint_eq(rtpport_in_use(p), 0);
	ck_assert_int_eq(pr.rtp_fd, -1);
	ck_assert_int_eq(pr.rtcp_fd, -1);
	ck_assert_uint_eq(pr.port, 0);
	rtpport_put(p, &pr);		/* second put: no-op */
	ck_assert_uint_eq(rtpport_in_use(p), 0);
	rtpport_pool_free(p);
}

START_TEST(test_get_v4)
{
	get_put_one("127.0.0.1", AF_INET);
}
END_TEST

START_TEST(test_get_v6)
{
	get_put_one("::1", AF_INET6);
}
END_TEST

/* All pairs of the range, each different, then -ENOSPC while held. */
START_TEST(test_exhaust)
{
	uint16_t base = free_base(), max = base + WINDOW - 1;
	struct rtpport_pool *p;
	struct net_addr local = addr("127.0.0.1");
	struct rtpport_pair pr[WINDOW / 2], extra;
	bool seen[WINDOW / 2] = { false };

	ck_assert_int_eq(rtpport_pool_new(&p, base, max), 0);
	for (unsigned i = 0; i < WINDOW / 2; i++) {
		ck_assert_int_eq(rtpport_get(p, &local, &pr[i]), 0);
		check_pair(&pr[i], base, max, AF_INET);
		ck_assert(!seen[(pr[i].port - base) / 2]);
		seen[(pr[i].port - base) / 2] = true;
		ck_assert_uint_eq(rtpport_in_use(p), i + 1);
	}
	memset(&extra, 0x5a, sizeof(extra));
	ck_assert_int_eq(rtpport_get(p, &local, &extra), -ENOSPC);
	ck_assert_uint_eq(extra.port, 0x5a5a);	/* untouched on failure */
	for (unsigned i = 0; i < WINDOW / 2; i++)
		rtpport_put(p, &pr[i]);
	ck_assert_uint_eq(rtpport_in_use(p), 0);
	rtpport_pool_free(p);
}
END_TEST

/* A range of exactly one pair: busy while held, free again after put. */
START_TEST(test_one_pair)
{
	uint16_t base = free_base();
	struct rtpport_pool *p;
	struct net_addr local = addr("127.0.0.1");
	struct rtpport_pair a, b;

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + 1), 0);
	ck_assert_uint_eq(rtpport_capacity(p), 1);
	ck_assert_int_eq(rtpport_get(p, &local, &a), 0);
	ck_assert_uint_eq(a.port, base);
	ck_assert_int_eq(rtpport_get(p, &local, &b), -ENOSPC);
	rtpport_put(p, &a);
	ck_assert_int_eq(rtpport_get(p, &local, &b), 0);
	ck_assert_uint_eq(b.port, base);
	rtpport_put(p, &b);
	rtpport_pool_free(p);
}
END_TEST

/* A released pair is not the next one handed out (round-robin). */
START_TEST(test_round_robin)
{
	uint16_t base = free_base();
	struct rtpport_pool *p;
	struct net_addr local = addr("127.0.0.1");
	struct rtpport_pair a, b, c;

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + WINDOW - 1), 0);
	ck_assert_int_eq(rtpport_get(p, &local, &a), 0);
	uint16_t first = a.port;
	rtpport_put(p, &a);
	ck_assert_int_eq(rtpport_get(p, &local, &b), 0);
	ck_assert_uint_ne(b.port, first);
	/* The next candidate after b is the pair after b, wrapping. */
	ck_assert_uint_eq(b.port, base + (first - base + 2) % WINDOW);
	ck_assert_int_eq(rtpport_get(p, &local, &c), 0);
	ck_assert_uint_eq(c.port, base + (b.port - base + 2) % WINDOW);
	rtpport_put(p, &b);
	rtpport_put(p, &c);
	rtpport_pool_free(p);
}
END_TEST

/*
 * Ports held by another socket (ours here, standing for another process)
 * are skipped, whether the RTP or the RTCP port of the pair is taken.
 */
START_TEST(test_skip_taken)
{
	uint16_t base = free_base();
	struct rtpport_pool *p;
	struct net_addr local = addr("127.0.0.1");
	struct rtpport_pair a, b;
	int rtcp_taken, rtp_taken, fds0 = count_fds();

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + 3), 0);	/* 2 pairs */
	rtcp_taken = udp_bound("127.0.0.1", base + 1);	/* pair 0's RTCP */
	ck_assert_int_ge(rtcp_taken, 0);
	ck_assert_int_eq(rtpport_get(p, &local, &a), 0);
	ck_assert_uint_eq(a.port, base + 2);
	check_pair(&a, base, base + 3, AF_INET);
	/* Pair 0 is the other's, pair 1 ours: none left. */
	ck_assert_int_eq(rtpport_get(p, &local, &b), -EADDRINUSE);
	ck_assert_uint_eq(rtpport_in_use(p), 1);
	rtpport_put(p, &a);
	/* Kept bound by the pool: pair 1 is still ours, nobody else's. */
	ck_assert_uint_eq(rtpport_kept(p), 1);
	ck_assert_int_lt(udp_bound("127.0.0.1", base + 2), 0);
	rtpport_pool_free(p);

	/* Now pair 1's RTP port is taken and pair 0 is free again. */
	ck_assert_int_eq(rtpport_pool_new(&p, base, base + 3), 0);
	close(rtcp_taken);
	rtp_taken = udp_bound("127.0.0.1", base + 2);
	ck_assert_int_ge(rtp_taken, 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rtpport_get(p, &local, &a), 0);
		ck_assert_uint_eq(a.port, base);
		rtpport_put(p, &a);
	}
	close(rtp_taken);
	rtpport_pool_free(p);
	/* The half-bound pairs left no socket behind. */
	ck_assert_int_eq(count_fds(), fds0);
}
END_TEST

/* The same on IPv6: the pool on ::1 skips a port held on ::1. */
START_TEST(test_skip_taken_v6)
{
	uint16_t base = free_base();
	struct rtpport_pool *p;
	struct net_addr local = addr("::1");
	struct rtpport_pair a;
	int taken;

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + 3), 0);
	taken = udp_bound("::1", base);
	ck_assert_int_ge(taken, 0);
	ck_assert_int_eq(rtpport_get(p, &local, &a), 0);
	ck_assert_uint_eq(a.port, base + 2);
	check_pair(&a, base, base + 3, AF_INET6);
	rtpport_put(p, &a);
	close(taken);
	rtpport_pool_free(p);
}
END_TEST

START_TEST(test_odd_min)
{
	uint16_t base = free_base();
	struct rtpport_pool *p;
	struct net_addr local = addr("127.0.0.1");
	struct rtpport_pair a, b;

	/* [base+1, base+4]: base+1 rounds to base+2; base+4 has no base+5. */
	ck_assert_int_eq(rtpport_pool_new(&p, base + 1, base + 4), 0);
	ck_assert_uint_eq(rtpport_capacity(p), 1);
	ck_assert_int_eq(rtpport_get(p, &local, &a), 0);
	ck_assert_uint_eq(a.port, base + 2);
	ck_assert_int_eq(rtpport_get(p, &local, &b), -ENOSPC);
	rtpport_put(p, &a);
	rtpport_pool_free(p);
}
END_TEST

START_TEST(test_bad_ranges)
{
	struct rtpport_pool *p = (struct rtpport_pool *)&p;	/* sentinel */

	ck_assert_int_eq(rtpport_pool_new(&p, 0, 100), -EINVAL);
	ck_assert_int_eq(rtpport_pool_new(&p, 100, 0), -EINVAL);
	ck_assert_int_eq(rtpport_pool_new(&p, 0, 0), -EINVAL);
	ck_assert_int_eq(rtpport_pool_new(&p, 200, 100), -EINVAL);
	ck_assert_int_eq(rtpport_pool_new(&p, 100, 100), -EINVAL);
	ck_assert_int_eq(rtpport_pool_new(&p, 101, 102), -EINVAL);
	ck_assert_int_eq(rtpport_pool_new(&p, 1, 2), -EINVAL);
	ck_assert_int_eq(rtpport_pool_new(&p, 65535, 65535), -EINVAL);
	ck_assert_int_eq(rtpport_pool_new(NULL, 20000, 29999), -EINVAL);
	ck_assert_ptr_eq(p, (struct rtpport_pool *)&p);	/* untouched */

	/* The edges that do hold a pair. */
	ck_assert_int_eq(rtpport_pool_new(&p, 65534, 65535), 0);
	ck_assert_uint_eq(rtpport_capacity(p), 1);
	rtpport_pool_free(p);
	ck_assert_int_eq(rtpport_pool_new(&p, 101, 103), 0);
	ck_assert_uint_eq(rtpport_capacity(p), 1);
	rtpport_pool_free(p);
	ck_assert_int_eq(rtpport_pool_new(&p, RTPPORT_MIN_DEFAULT, RTPPORT_MAX_DEFAULT), 0);
	ck_assert_uint_eq(rtpport_capacity(p), 5000);
	ck_assert_uint_eq(rtpport_in_use(p), 0);
	rtpport_pool_free(p);
	ck_assert_int_eq(rtpport_pool_new(&p, 1, 65535), 0);
	ck_assert_uint_eq(rtpport_capacity(p), 32767);
	rtpport_pool_free(p);
	rtpport_pool_free(NULL);
}
END_TEST

/* Bad arguments, and a bind error other than EADDRINUSE comes back at once. */
START_TEST(test_errors)
{
	uint16_t base = free_base();
	struct rtpport_pool *p;
	struct net_addr local = addr("127.0.0.1"), none, foreign = addr("192.0.2.1");
	struct rtpport_pair a;
	int fds0 = count_fds();

	memset(&none, 0, sizeof(none));
	ck_assert_int_eq(rtpport_pool_new(&p, base, base + WINDOW - 1), 0);
	ck_assert_int_eq(rtpport_get(NULL, &local, &a), -EINVAL);
	ck_assert_int_eq(rtpport_get(p, NULL, &a), -EINVAL);
	ck_assert_int_eq(rtpport_get(p, &local, NULL), -EINVAL);
	ck_assert_int_eq(rtpport_get(p, &none, &a), -EINVAL);
	/* TEST-NET-1 is no local address. */
	ck_assert_int_eq(rtpport_get(p, &foreign, &a), -EADDRNOTAVAIL);
	ck_assert_uint_eq(rtpport_in_use(p), 0);
	ck_assert_int_eq(count_fds(), fds0);
	rtpport_put(p, NULL);
	rtpport_pool_free(p);
}
END_TEST

/* Many get/put rounds on both families leave the fd table as it was, once the pool is freed. */
START_TEST(test_no_fd_leak)
{
	uint16_t base = free_base();
	struct rtpport_pool *p;
	struct net_addr v4 = addr("127.0.0.1"), v6 = addr("::1");
	struct rtpport_pair pr[WINDOW / 2], extra;
	int fds0 = count_fds();

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + WINDOW - 1), 0);
	for (int round = 0; round < 20; round++) {
		for (unsigned i = 0; i < WINDOW / 2; i++)
			ck_assert_int_eq(rtpport_get(p, i % 2 ? &v6 : &v4, &pr[i]), 0);
		ck_assert_int_eq(count_fds(), fds0 + WINDOW);
		ck_assert_int_eq(rtpport_get(p, &v4, &extra), -ENOSPC);
		for (unsigned i = 0; i < WINDOW / 2; i++)
			rtpport_put(p, &pr[i]);
		/* Kept for the next round (the range is all ours): reused, not rebound. */
		ck_assert_uint_eq(rtpport_kept(p), WINDOW / 2);
		ck_assert_int_eq(count_fds(), fds0 + WINDOW);
	}
	rtpport_pool_free(p);
	ck_assert_int_eq(count_fds(), fds0);
}
END_TEST

/* ---- pairs kept bound (rtpport.h) ---- */

/* A UDP client socket on host, port 0. */
static int client(const char *host)
{
	int fd = udp_bound(host, 0);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void send_to_port(int fd, const char *host, uint16_t port, int n)
{
	struct net_addr to;

	ck_assert_int_eq(net_addr_from_host(&to, host, port), 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(sendto(fd, "stale", 5, 0, (struct sockaddr *)&to.ss, to.len), 5);
}

/* Datagrams queued on fd now (read and dropped). */
static int queued(int fd)
{
	char buf[16];
	int n = 0;

	while (n < 1000 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	return n;
}

/*
 * Get and put one pair at a time, RTPPORT_REUSE_DEPTH times: each is bound
 * fresh (round-robin), and all are kept.  The ports in order, their RTP fds.
 */
static void fill_kept(struct rtpport_pool *p, const struct net_addr *local, uint16_t *port,
		      int *fd)
{
	struct rtpport_pair a;

	for (unsigned i = 0; i < RTPPORT_REUSE_DEPTH; i++) {
		ck_assert_int_eq(rtpport_get(p, local, &a), 0);
		for (unsigned k = 0; k < i; k++)
			ck_assert_uint_ne(a.port, port[k]); /* fresh: not one kept */
		port[i] = a.port;
		fd[i] = a.rtp_fd;
		rtpport_put(p, &a);
		ck_assert_uint_eq(rtpport_kept(p), i + 1);
	}
}

/*
 * Once RTPPORT_REUSE_DEPTH pairs are kept, a get hands out the oldest as
 * it is (same port, same sockets, no fd opened), and the pair just put
 * back is the last of them to come again.
 */
START_TEST(test_reuse_oldest)
{
	uint16_t base = free_window(DEPTH_WINDOW), port[RTPPORT_REUSE_DEPTH];
	struct net_addr local = addr("127.0.0.1");
	struct rtpport_pool *p;
	struct rtpport_pair a;
	int fd[RTPPORT_REUSE_DEPTH], fds0 = count_fds(), fds;

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + DEPTH_WINDOW - 1), 0);
	fill_kept(p, &local, port, fd);
	fds = count_fds();
	ck_assert_int_eq(fds, fds0 + 2 * RTPPORT_REUSE_DEPTH);
	/* Two rounds through the queue: always the oldest, in release order. */
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < RTPPORT_REUSE_DEPTH; i++) {
			ck_assert_int_eq(rtpport_get(p, &local, &a), 0);
			ck_assert_uint_eq(a.port, port[i]);
			ck_assert_int_eq(a.rtp_fd, fd[i]);
			check_pair(&a, base, base + DEPTH_WINDOW - 1, AF_INET);
			ck_assert_uint_eq(rtpport_in_use(p), 1);
			ck_assert_uint_eq(rtpport_kept(p), RTPPORT_REUSE_DEPTH - 1);
			ck_assert_int_eq(count_fds(), fds);
			rtpport_put(p, &a);
		}
	}
	rtpport_pool_free(p);
	ck_assert_int_eq(count_fds(), fds0);
}
END_TEST

/*
 * Late packets of the ended call, queued on a kept pair, are read and
 * dropped when it is handed out again, on both sockets; a flood beyond
 * RTPPORT_DRAIN_MAX is not read to its end (the drain is bounded).
 */
static void drain_on(const char *host, int family)
{
	uint16_t base = free_window(DEPTH_WINDOW), port[RTPPORT_REUSE_DEPTH];
	struct net_addr local = addr(host);
	struct rtpport_pool *p;
	struct rtpport_pair a, b;
	int fd[RTPPORT_REUSE_DEPTH], c = client(host);

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + DEPTH_WINDOW - 1), 0);
	fill_kept(p, &local, port, fd);
	send_to_port(c, host, port[0], 3);
	send_to_port(c, host, (uint16_t)(port[0] + 1), 2);
	send_to_port(c, host, port[1], RTPPORT_DRAIN_MAX + 5);
	ck_assert_int_eq(rtpport_get(p, &local, &a), 0);
	ck_assert_uint_eq(a.port, port[0]);
	check_pair(&a, base, base + DEPTH_WINDOW - 1, family);
	ck_assert_int_eq(queued(a.rtp_fd), 0);
	ck_assert_int_eq(queued(a.rtcp_fd), 0);
	/* A new packet on the reused pair does arrive. */
	send_to_port(c, host, a.port, 1);
	ck_assert_int_eq(queued(a.rtp_fd), 1);
	rtpport_put(p, &a); /* back to RTPPORT_REUSE_DEPTH kept */
	ck_assert_int_eq(rtpport_get(p, &local, &b), 0);
	ck_assert_uint_eq(b.port, port[1]);
	ck_assert_int_eq(queued(b.rtp_fd), 5);
	rtpport_put(p, &b);
	close(c);
	rtpport_pool_free(p);
}

START_TEST(test_drain_v4)
{
	drain_on("127.0.0.1", AF_INET);
}
END_TEST

START_TEST(test_drain_v6)
{
	drain_on("::1", AF_INET6);
}
END_TEST

/* Nobody holds port on host: a socket can bind it. */
static bool port_free(const char *host, uint16_t port)
{
	int fd = udp_bound(host, port);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * At most RTPPORT_KEEP_MAX pairs are kept: after a burst of more calls,
 * the oldest released ones are closed (their ports free for anyone), the
 * fds held are 2 * RTPPORT_KEEP_MAX, and all go with the pool.
 */
START_TEST(test_keep_cap)
{
	enum { N = BIG_WINDOW / 2 };
	uint16_t base = free_window(BIG_WINDOW);
	struct net_addr local = addr("127.0.0.1");
	struct rtpport_pool *p;
	struct rtpport_pair pr[N];
	uint16_t port[N];
	int fds0 = count_fds();

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + BIG_WINDOW - 1), 0);
	for (unsigned i = 0; i < N; i++) {
		ck_assert_int_eq(rtpport_get(p, &local, &pr[i]), 0);
		port[i] = pr[i].port;
	}
	ck_assert_int_eq(count_fds(), fds0 + 2 * N);
	for (unsigned i = 0; i < N; i++) {
		rtpport_put(p, &pr[i]);
		ck_assert_uint_le(rtpport_kept(p), RTPPORT_KEEP_MAX);
	}
	ck_assert_uint_eq(rtpport_kept(p), RTPPORT_KEEP_MAX);
	ck_assert_uint_eq(rtpport_in_use(p), 0);
	ck_assert_int_eq(count_fds(), fds0 + 2 * RTPPORT_KEEP_MAX);
	for (unsigned i = 0; i < N; i++) {
		bool closed = i < N - RTPPORT_KEEP_MAX;

		ck_assert_msg(port_free("127.0.0.1", port[i]) == closed, "pair %u", i);
		ck_assert(port_free("127.0.0.1", (uint16_t)(port[i] + 1)) == closed);
	}
	rtpport_pool_free(p);
	ck_assert_int_eq(count_fds(), fds0);
	ck_assert(port_free("127.0.0.1", port[N - 1]));
}
END_TEST

/*
 * A kept pair is bound on one address: a get on another skips it, and
 * when the range has nothing else left it is closed and its ports bound
 * on the address asked for.
 */
START_TEST(test_kept_other_host)
{
	uint16_t base = free_base();
	struct net_addr v4 = addr("127.0.0.1"), v6 = addr("::1");
	struct rtpport_pool *p;
	struct rtpport_pair a, b;
	uint16_t a_port;

	ck_assert_int_eq(rtpport_pool_new(&p, base, base + 1), 0); /* one pair */
	ck_assert_int_eq(rtpport_get(p, &v6, &a), 0);
	a_port = a.port;
	rtpport_put(p, &a);
	ck_assert_uint_eq(rtpport_kept(p), 1);
	ck_assert_int_eq(rtpport_get(p, &v4, &b), 0);
	ck_assert_uint_eq(b.port, a_port);
	check_pair(&b, base, base + 1, AF_INET);
	ck_assert_uint_eq(rtpport_kept(p), 0);
	ck_assert(port_free("::1", a_port)); /* the v6 pair was closed */
	rtpport_put(p, &b);
	rtpport_pool_free(p);
}
END_TEST

/* The same when the rest of the range is another process's (EADDRINUSE). */
START_TEST(test_kept_other_host_rest_taken)
{
	uint16_t base = free_base();
	struct net_addr v4 = addr("127.0.0.1"), v6 = addr("::1");
	struct rtpport_pool *p;
	struct rtpport_pair a, b;
	int t4 = udp_bound("127.0.0.1", base), t6 = udp_bound("::1", base);

	ck_assert_int_ge(t4, 0);
	ck_assert_int_ge(t6, 0);
	ck_assert_int_eq(rtpport_pool_new(&p, base, base + 3), 0); /* pair 0 is taken */
	ck_assert_int_eq(rtpport_get(p, &v6, &a), 0);
	ck_assert_uint_eq(a.port, base + 2);
	rtpport_put(p, &a);
	ck_assert_int_eq(rtpport_get(p, &v4, &b), 0);
	ck_assert_uint_eq(b.port, base + 2);
	check_pair(&b, base, base + 3, AF_INET);
	ck_assert_uint_eq(rtpport_kept(p), 0);
	rtpport_put(p, &b);
	rtpport_pool_free(p);
	close(t4);
	close(t6);
}
END_TEST

static Suite *rtpport_suite(void)
{
	Suite *s = suite_create("rtpport");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_get_v4);
	tcase_add_test(tc, test_get_v6);
	tcase_add_test(tc, test_exhaust);
	tcase_add_test(tc, test_one_pair);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_skip_taken);
	tcase_add_test(tc, test_skip_taken_v6);
	tcase_add_test(tc, test_odd_min);
	tcase_add_test(tc, test_bad_ranges);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_no_fd_leak);
	tcase_add_test(tc, test_reuse_oldest);
	tcase_add_test(tc, test_drain_v4);
	tcase_add_test(tc, test_drain_v6);
	tcase_add_test(tc, test_keep_cap);
	tcase_add_test(tc, test_kept_other_host);
	tcase_add_test(tc, test_kept_other_host_rest_taken);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(rtpport_suite());
}
