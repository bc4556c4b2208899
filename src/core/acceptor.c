/*
 * acceptor: one accept loop with its pause on descriptor exhaustion, shared
 * by the SIP stream listeners (sip/tp_stream.c) and the control socket
 * (ctl/ctl.c).  See acceptor.h for what it owns.
 *
 * accept(2) errors fall in three groups:
 *   EAGAIN, EWOULDBLOCK          the backlog is empty: wait for the next wake-up
 *   EMFILE, ENFILE, ENOBUFS,     no descriptor or memory for the connection:
 *   ENOMEM                       pause, since the socket stays readable
 *   anything else                that one connection failed (ECONNABORTED,
 *                                EINTR, a network error on it): go on
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "core/acceptor.h"
#include "core/log.h"
#include "core/net.h"

#define ACCEPTOR_BURST 64
#define ACCEPTOR_PAUSE_MS 1000

struct acceptor {
	int fd;
	char *name;
	unsigned burst;
	struct timeval pause;
	acceptor_fn *cb;
	void *arg;
	struct event *ev;     /* the socket is readable */
	struct event *resume; /* the pause is over */
	bool paused;
	bool pause_logged; /* until the next successful accept */
};

/* Out of descriptors: stop watching the socket for a while instead of spinning. */
static void acceptor_pause(struct acceptor *a, int e)
{
	event_del(a->ev);
	evtimer_add(a->resume, &a->pause);
	a->paused = true;
	if (!a->pause_logged)
		log_warn("%s: accept: %s; pausing accepts for %ld ms", a->name, strerror(e),
			 (long)a->pause.tv_sec * 1000 + (long)a->pause.tv_usec / 1000);
	a->pause_logged = true;
}

static void acceptor_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acceptor *a = arg;

	a->paused = false;
	event_add(a->ev, NULL);
}

static void acceptor_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acceptor *a = arg;

	for (unsigned i = 0; i < a->burst; i++) {
		struct net_addr peer = {.len = sizeof(peer.ss)};
		int s = accept4(fd, (struct sockaddr *)&peer.ss, &peer.len,
				SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (s >= 0) {
			a->pause_logged = false;
			a->cb(a->arg, s, &peer);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			acceptor_pause(a, errno);
			return;
		}
		log_debug("%s: accept: %s", a->name, strerror(errno));
	}
}

int acceptor_new(struct acceptor **ap, struct event_base *base, int fd,
		 const struct acceptor_cfg *cfg, acceptor_fn *cb, void *arg)
{
	struct acceptor *a = calloc(1, sizeof(*a));
	unsigned ms = cfg->pause_ms ? cfg->pause_ms : ACCEPTOR_PAUSE_MS;

	if (!a)
		return -ENOMEM;
	a->fd = fd;
	a->burst = cfg->burst ? cfg->burst : ACCEPTOR_BURST;
	a->pause.tv_sec = ms / 1000;
	a->pause.tv_usec = (ms % 1000) * 1000;
	a->cb = cb;
	a->arg = arg;
	a->name = strdup(cfg->name ? cfg->name : "listener");
	a->ev = event_new(base, fd, EV_READ | EV_PERSIST, acceptor_read_cb, a);
	a->resume = evtimer_new(base, acceptor_resume_cb, a);
	if (!a->name || !a->ev || !a->resume || event_add(a->ev, NULL) < 0) {
		acceptor_free(a);
		return -ENOMEM;
	}
	*ap = a;
	return 0;
}

void acceptor_free(struct acceptor *a)
{
	if (!a)
		return;
	if (a->ev)
		event_free(a->ev);
	if (a->resume)
		event_free(a->resume);
	free(a->name);
	free(a);
}

bool acceptor_paused(const struct acceptor *a)
{
	return a->paused;
}
