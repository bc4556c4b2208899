/*
 * dns_resolve: the resolver (src/sip/dns.c) on a real event loop and the
 * real clock, for tests/integration/dns/run.
 *
 *   dns_resolve [-s SERVERS] [-t TIMEOUT_MS] [-n TRIES] [-T udp,tcp,tls]
 *               [-c] [-F MS] [-v] URI...
 *
 * Resolves each URI, one after the other (-c: all at once), and prints
 *
 *   URI -> udp 127.0.0.2:5070 sip1.example.test     one line per target, in order
 *   URI == 2 targets in 3 ms
 *   URI !! ETIMEDOUT in 1502 ms: DNS timeout for example.test (NAPTR)
 *   stats resolutions=2 lookups=5 cache_hits=5 joined=0 cached=5
 *
 * -F MS frees the resolver MS milliseconds after the start, whatever is in
 * progress (the callbacks must not come), and says "freed with N in
 * progress".  -v logs the resolver's debug lines to stderr.  Exit 0 when
 * the loop ran to the end, 2 on bad usage or a refused start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/log.h"
#include "core/tmr.h"
#include "sip/dns.h"

struct run;

/* One URI's resolution: the callback's argument, owned by the run. */
struct one {
	struct run *r;
	int i;
};

struct run {
	struct event_base *base;
	struct dns *d;
	char **uris;
	int n, next, pending;
	bool concurrent;
	struct timespec *started;
	struct one *ones;
};

static const char *errname(int err)
{
	switch (-err) {
	case ENOENT:
		return "ENOENT";
	case ENODATA:
		return "ENODATA";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case EIO:
		return "EIO";
	case ENOMEM:
		return "ENOMEM";
	case EINVAL:
		return "EINVAL";
	case EPROTONOSUPPORT:
		return "EPROTONOSUPPORT";
	}
	return "E?";
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void start_next(struct run *r);

static void done(void *arg, int err, const struct dns_target *t, size_t n, const char *why)
{
	struct one *o = arg;
	struct run *r = o->r;
	const char *uri = r->uris[o->i];
	char a[NET_ADDR_STRLEN];
	long ms = ms_since(&r->started[o->i]);

	if (err) {
		printf("%s !! %s in %ld ms: %s\n", uri, errname(err), ms, why);
	} else {
		for (size_t k = 0; k < n; k++)
			printf("%s -> %s %s %s\n", uri, dns_target_proto(&t[k]),
			       net_addr_fmt(&t[k].addr, a, sizeof(a)), t[k].host);
		printf("%s == %zu targets in %ld ms\n", uri, n, ms);
	}
	fflush(stdout);
	r->pending--;
	if (!r->concurrent)
		start_next(r);
}

static void start_one(struct run *r, int i)
{
	struct one *o = &r->ones[i];
	char why[256];
	int err;

	o->r = r;
	o->i = i;
	clock_gettime(CLOCK_MONOTONIC, &r->started[i]);
	err = dns_resolve_uri(r->d, r->uris[i], done, o, NULL, why, sizeof(why));
	if (err) {
		printf("%s !! %s at once: %s\n", r->uris[i], errname(err), why);
		fflush(stdout);
		return;
	}
	r->pending++;
}

static void start_next(struct run *r)
{
	while (r->next < r->n && r->pending == 0)
		start_one(r, r->next++);
}

static void free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	struct dns_stats st;

	dns_get_stats(r->d, &st);
	dns_free(r->d);
	r->d = NULL;
	printf("freed with %u in progress\n", st.in_progress);
	fflush(stdout);
	event_base_loopbreak(r->base);
}

static unsigned parse_tps(const char *s)
{
	unsigned tps = 0;

	if (strstr(s, "udp"))
		tps |= DNS_TP_UDP;
	if (strstr(s, "tcp"))
		tps |= DNS_TP_TCP;
	if (strstr(s, "tls"))
		tps |= DNS_TP_TLS;
	return tps;
}

int main(int argc, char **argv)
{
	struct dns_cfg cfg = {0};
	struct run r = {0};
	struct tmr_clock *clk;
	struct event *fev = NULL;
	struct dns_stats st;
	long free_ms = -1;
	char why[256];
	int c, err;

	while ((c = getopt(argc, argv, "s:t:n:T:cF:v")) != -1) {
		switch (c) {
		case 's':
			cfg.servers = optarg;
			break;
		case 't':
			cfg.timeout_ms = (unsigned)atoi(optarg);
			break;
		case 'n':
			cfg.tries = (unsigned)atoi(optarg);
			break;
		case 'T':
			cfg.transports = parse_tps(optarg);
			break;
		case 'c':
			r.concurrent = true;
			break;
		case 'F':
			free_ms = atol(optarg);
			break;
		case 'v':
			log_open(true, LOG_LVL_DEBUG);
			break;
		default:
			fprintf(stderr, "usage: dns_resolve [-s SERVERS] [-t MS] [-n TRIES] "
					"[-T udp,tcp,tls] [-c] [-F MS] [-v] URI...\n");
			return 2;
		}
	}
	if (optind >= argc)
		return 2;
	if (dns_cfg_check(&cfg, why, sizeof(why)) < 0) {
		fprintf(stderr, "dns_resolve: %s\n", why);
		return 2;
	}
	r.uris = argv + optind;
	r.n = argc - optind;
	r.started = calloc((size_t)r.n, sizeof(*r.started));
	r.ones = calloc((size_t)r.n, sizeof(*r.ones));
	r.base = event_base_new();
	if (!r.started || !r.ones || !r.base || tmr_clock_new(&clk, r.base) < 0)
		return 2;
	if ((err = dns_new(&r.d, r.base, clk, &cfg)) < 0) {
		fprintf(stderr, "dns_resolve: dns_new: %s\n", strerror(-err));
		return 2;
	}
	if (free_ms >= 0) {
		struct timeval tv = {free_ms / 1000, (free_ms % 1000) * 1000};

		fev = evtimer_new(r.base, free_cb, &r);
		evtimer_add(fev, &tv);
	}
	if (r.concurrent)
		for (r.next = 0; r.next < r.n; r.next++)
			start_one(&r, r.next);
	else
		start_next(&r);
	/* Runs until nothing is pending (or -F breaks it). */
	while (r.d && (r.pending > 0 || r.next < r.n))
		if (event_base_loop(r.base, EVLOOP_ONCE) < 0)
			break;
	if (r.d) {
		dns_get_stats(r.d, &st);
		printf(
		    "stats resolutions=%llu lookups=%llu cache_hits=%llu joined=%llu cached=%u\n",
		    (unsigned long long)st.resolutions, (unsigned long long)st.lookups,
		    (unsigned long long)st.cache_hits, (unsigned long long)st.joined, st.cached);
		dns_free(r.d);
	}
	if (fev)
		event_free(fev);
	tmr_clock_free(clk);
	event_base_free(r.base);
	free(r.started);
	free(r.ones);
	return 0;
}
