/*
 * check_acceptor: src/core/acceptor.c over real loopback and UNIX sockets.
 *
 * Each test makes its own event_base and listening socket, connects
 * clients with blocking connect(2) (on loopback the handshake is done when
 * it returns, so the connection waits in the backlog), then runs the loop
 * one round at a time and counts what the acceptor handed over.  The
 * EMFILE test lowers RLIMIT_NOFILE, which Check's fork keeps inside that
 * test.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/acceptor.h"
#include "core/log.h"
#include "core/net.h"

#include "check_run.h"

#define MAXFD 16
#define SAFETY_ROUNDS 5000 /* loop rounds of 1 ms before a run gives up */

struct got {
	int fd[MAXFD];
	struct net_addr peer[MAXFD];
	int n;
};

static void on_accept(void *arg, int fd, const struct net_addr *peer)
{
	struct got *g = arg;

	ck_assert_int_lt(g->n, MAXFD);
	g->fd[g->n] = fd;
	g->peer[g->n] = *peer;
	g->n++;
}

static void got_close(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		close(g->fd[i]);
}

/* A listening TCP socket on 127.0.0.1, port chosen by the kernel. */
static int tcp_listener(struct net_addr *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(net_addr_from_host(bound, "127.0.0.1", 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&bound->ss, bound->len), 0);
	ck_assert_int_eq(listen(fd, SOMAXCONN), 0);
	bound->len = sizeof(bound->ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&bound->ss, &bound->len), 0);
	return fd;
}

/* A connected client; *self gets its own address. */
static int tcp_client(const struct net_addr *to, struct net_addr *self)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (const struct sockaddr *)&to->ss, to->len), 0);
	if (self) {
		self->len = sizeof(self->ss);
		ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&self->ss, &self->len), 0);
	}
	return fd;
}

/* Loop rounds until g has n connections; false if that never happens. */
static bool run_until(struct event_base *base, struct got *g, int n)
{
	struct timeval ms = {0, 1000};

	for (int i = 0; i < SAFETY_ROUNDS && g->n < n; i++) {
		event_base_loopexit(base, &ms);
		event_base_loop(base, EVLOOP_ONCE);
	}
	return g->n >= n;
}

START_TEST(test_accept)
{
	struct event_base *base = event_base_new();
	struct acceptor_cfg cfg = {.name = "test"};
	struct net_addr bound, self;
	struct acceptor *a = NULL;
	struct got g = {.n = 0};
	char x[NET_ADDR_STRLEN], y[NET_ADDR_STRLEN];
	int lfd = tcp_listener(&bound), cfd;

	ck_assert_int_eq(acceptor_new(&a, base, lfd, &cfg, on_accept, &g), 0);
	cfd = tcp_client(&bound, &self);
	ck_assert(run_until(base, &g, 1));
	ck_assert_int_eq(g.n, 1);
	ck_assert(net_addr_eq(&g.peer[0], &self));
	ck_assert_str_eq(net_addr_fmt(&g.peer[0], x, sizeof(x)), net_addr_fmt(&self, y, sizeof(y)));
	ck_assert(!acceptor_paused(a));
	/* The connection is the client's peer: bytes go through. */
	ck_assert_int_eq(write(cfd, "hi", 2), 2);
	ck_assert_int_eq(read(g.fd[0], x, sizeof(x)), 2);
	/* The socket stays the caller's. */
	acceptor_free(a);
	ck_assert_int_eq(listen(lfd, SOMAXCONN), 0);
	acceptor_free(NULL);
	got_close(&g);
	close(cfd);
	close(lfd);
	event_base_free(base);
}
END_TEST

/* At most burst connections per wake-up; the rest on the next ones. */
START_TEST(test_burst)
{
	struct event_base *base = event_base_new();
	struct acceptor_cfg cfg = {.name = "test", .burst = 2};
	struct net_addr bound;
	struct acceptor *a = NULL;
	struct got g = {.n = 0};
	int lfd = tcp_listener(&bound), cfd[5];

	ck_assert_int_eq(acceptor_new(&a, base, lfd, &cfg, on_accept, &g), 0);
	for (int i = 0; i < 5; i++)
		cfd[i] = tcp_client(&bound, NULL);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(g.n, 2);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(g.n, 4);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(g.n, 5);
	acceptor_free(a);
	got_close(&g);
	for (int i = 0; i < 5; i++)
		close(cfd[i]);
	close(lfd);
	event_base_free(base);
}
END_TEST

/* The control socket's kind: a UNIX stream socket. */
START_TEST(test_unix)
{
	struct event_base *base = event_base_new();
	struct acceptor_cfg cfg = {.name = "control socket test"};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct acceptor *a = NULL;
	struct got g = {.n = 0};
	int lfd, cfd;

	/* An abstract address: no file to clean up. */
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "sipuad-check-acceptor-%d",
		 (int)getpid());
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, SOMAXCONN), 0);
	ck_assert_int_eq(acceptor_new(&a, base, lfd, &cfg, on_accept, &g), 0);
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert(run_until(base, &g, 1));
	ck_assert_int_eq(g.peer[0].ss.ss_family, AF_UNIX);
	acceptor_free(a);
	got_close(&g);
	close(cfd);
	close(lfd);
	event_base_free(base);
}
END_TEST

/*
 * accept fails with EMFILE: the acceptor pauses (it does not accept even
 * once descriptors are free again), then resumes after pause_ms and hands
 * over the connection that waited in the backlog.
 */
START_TEST(test_emfile)
{
	struct event_base *base = event_base_new();
	struct acceptor_cfg cfg = {.name = "test", .pause_ms = 300};
	struct rlimit saved, low;
	struct net_addr bound, self;
	struct acceptor *a = NULL;
	struct got g = {.n = 0};
	int lfd = tcp_listener(&bound), cfd, lowest;

	ck_assert_int_eq(acceptor_new(&a, base, lfd, &cfg, on_accept, &g), 0);
	cfd = tcp_client(&bound, &self);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	low = saved;
	low.rlim_cur = (rlim_t)lowest; /* no new descriptor fits */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);

	event_base_loop(base, EVLOOP_ONCE); /* accept4: EMFILE */
	ck_assert_int_eq(g.n, 0);
	ck_assert(acceptor_paused(a));

	/* Descriptors again, but the pause holds: the socket is not watched. */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(g.n, 0);
	ck_assert(acceptor_paused(a));

	/* The pause ends and the waiting connection comes through. */
	ck_assert(run_until(base, &g, 1));
	ck_assert(!acceptor_paused(a));
	ck_assert(net_addr_eq(&g.peer[0], &self));
	acceptor_free(a);
	got_close(&g);
	close(cfd);
	close(lfd);
	event_base_free(base);
}
END_TEST

/* Freed during a pause: the resume timer goes with it (ASan: no leak, no late callback). */
START_TEST(test_free_paused)
{
	struct event_base *base = event_base_new();
	struct acceptor_cfg cfg = {.name = "test", .pause_ms = 50};
	struct rlimit saved, low;
	struct net_addr bound;
	struct acceptor *a = NULL;
	struct got g = {.n = 0};
	int lfd = tcp_listener(&bound), cfd, lowest;
	struct timeval later = {0, 200 * 1000};

	ck_assert_int_eq(acceptor_new(&a, base, lfd, &cfg, on_accept, &g), 0);
	cfd = tcp_client(&bound, NULL);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	low = saved;
	low.rlim_cur = (rlim_t)lowest;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert(acceptor_paused(a));
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	acceptor_free(a);
	event_base_loopexit(base, &later);
	event_base_dispatch(base);
	ck_assert_int_eq(g.n, 0);
	close(cfd);
	close(lfd);
	event_base_free(base);
}
END_TEST

static Suite *acceptor_suite(void)
{
	Suite *s = suite_create("acceptor");
	TCase *tc = tcase_create("accept");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_accept);
	tcase_add_test(tc, test_burst);
	tcase_add_test(tc, test_unix);
	tcase_add_test(tc, test_emfile);
	tcase_add_test(tc, test_free_paused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc;

	log_open(true, LOG_LVL_ERR);
	rc = check_run(acceptor_suite());
	log_close();
	return rc;
}
