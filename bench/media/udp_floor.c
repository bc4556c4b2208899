/*
 * udp_floor: what N echo streams cost the kernel alone, one UDP socket
 * per stream as a SIP endpoint has (a port per call), so that
 * bench/media/run's CPU per echo call can be read against a floor on the
 * same machine.  A measurement, not a test.
 *
 *   echo N PORT        N sockets on 127.0.0.1 PORT, PORT+2, ...; every
 *                      datagram is sent straight back to where it came
 *                      from: one recvfrom and one sendto per packet,
 *                      epoll (level-triggered) as sipuad's loop uses.
 *                      No jitter buffer, no codec, no timing: nothing a
 *                      real echo could do with less.
 *   load N PORT SECS   N sockets sending a 172-byte RTP-sized datagram
 *                      every 20 ms each (50 packets/s, spread over the
 *                      20 ms), to the echo's ports, reading what comes
 *                      back; prints packets sent and received.
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE bench/media/udp_floor.c -o /tmp/udp_floor
 *   taskset -c 1 /tmp/udp_floor echo 1000 40000 &
 *   taskset -c 0 /tmp/udp_floor load 1000 40000 20
 *   (and read the echo's CPU time from /proc/PID/stat; bench/media/floor does all this)
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKT 172
#define PTIME_NS 20000000LL

static int udp_socket(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	a.sin_port = htons((unsigned short)port);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("socket/bind");
		exit(1);
	}
	return fd;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static _Noreturn void echo(unsigned n, unsigned port)
{
	int ep = epoll_create1(0);
	struct epoll_event evs[256];
	char buf[2048];

	for (unsigned i = 0; i < n; i++) {
		struct epoll_event e = {.events = EPOLLIN};

		e.data.fd = udp_socket(port + 2 * i);
		epoll_ctl(ep, EPOLL_CTL_ADD, e.data.fd, &e);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int k = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < k; i++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(evs[i].data.fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);

			if (r > 0)
				sendto(evs[i].data.fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
		}
	}
}

static int load(unsigned n, unsigned port, int secs)
{
	int *fd = calloc(n, sizeof(*fd)), ep = epoll_create1(0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct epoll_event evs[256];
	char pkt[PKT], buf[2048];
	long long start = now_ns(), end = start + secs * 1000000000LL, next = start;
	unsigned long long sent = 0, got = 0;
	unsigned turn = 0;

	memset(pkt, 0x55, sizeof(pkt));
	for (unsigned i = 0; i < n; i++) {
		struct epoll_event e = {.events = EPOLLIN};

		e.data.fd = fd[i] = udp_socket(port + 10000 + 2 * i);
		epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &e);
	}
	/* As a caller's event loop: sleep in epoll, send each 1 ms slice's packets on time. */
	while (now_ns() < end) {
		long long left = next - now_ns();

		if (left <= 0) {
			for (unsigned i = turn; i < n; i += 20) {
				to.sin_port = htons((unsigned short)(port + 2 * i));
				if (sendto(fd[i], pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
					   sizeof(to)) > 0)
					sent++;
			}
			turn = (turn + 1) % 20;
			next += PTIME_NS / 20;
			continue;
		}
		int k = epoll_wait(ep, evs, 256, (int)((left + 999999) / 1000000));

		for (int i = 0; i < k; i++)
			if (recv(evs[i].data.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				got++;
	}
	printf("sent %llu received %llu in %d s: %.1f packets/s per stream each way\n", sent, got,
	       secs, (double)got / secs / n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "echo") == 0)
		echo((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "load") == 0)
		return load((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: udp_floor echo N PORT | load N PORT SECS\n");
	return 2;
}
