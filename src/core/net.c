/*
 * net: socket addresses and transport names, shared by every layer.
 *
 * Owns the one grammar for listen entries and IP literals, so the config
 * module, the transport and the tests agree on it:
 *
 *   listen = PROTO ":" HOST ":" PORT
 *   PROTO  = "udp" | "tcp"                  (any case)
 *   HOST   = IPv4 dotted quad | "[" IPv6 "]"
 *   PORT   = 1*5DIGIT, 0..65535
 *
 *   udp:127.0.0.1:5060    tcp:[::1]:5062    UDP:0.0.0.0:0
 *
 * Only numeric hosts: no DNS, no interface names, no IPv6 zone ids (inet_pton
 * knows none of them).  Everything else is -EINVAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/net.h"

const char *net_proto_name(enum net_proto p)
{
	switch (p) {
	case NET_UDP:
		return "udp";
	case NET_TCP:
		return "tcp";
	case NET_TLS:
		return "tls";
	}
	return "?";
}

const char *net_proto_via(enum net_proto p)
{
	switch (p) {
	case NET_UDP:
		return "UDP";
	case NET_TCP:
		return "TCP";
	case NET_TLS:
		return "TLS";
	}
	return "?";
}

int net_proto_parse(const char *s, enum net_proto *out)
{
	if (!s)
		return -EINVAL;
	if (strcasecmp(s, "udp") == 0) {
		*out = NET_UDP;
		return 0;
	}
	if (strcasecmp(s, "tcp") == 0) {
		*out = NET_TCP;
		return 0;
	}
	if (strcasecmp(s, "tls") == 0) {
		*out = NET_TLS;
		return 0;
	}
	return -EINVAL;
}

/* Build an address from len bytes of host text (not NUL-terminated). */
static int net_addr_parse(struct net_addr *out, int family, const char *host, size_t len,
			  uint16_t port)
{
	char text[INET6_ADDRSTRLEN];
	struct net_addr a;

	if (len == 0 || len >= sizeof(text))
		return -EINVAL;
	memcpy(text, host, len);
	text[len] = '\0';
	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;

		if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		a.len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.ss;

		if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		a.len = sizeof(*sin6);
	}
	net_addr_set_port(&a, port);
	*out = a;
	return 0;
}

/* "[v6]" must be IPv6; a bare literal is IPv4 if it has no ':', else IPv6. */
static int net_host_parse(struct net_addr *out, const char *host, size_t len, uint16_t port)
{
	if (len >= 2 && host[0] == '[') {
		if (host[len - 1] != ']')
			return -EINVAL;
		return net_addr_parse(out, AF_INET6, host + 1, len - 2, port);
	}
	if (memchr(host, ':', len))
		return net_addr_parse(out, AF_INET6, host, len, port);
	return net_addr_parse(out, AF_INET, host, len, port);
}

int net_addr_from_host(struct net_addr *out, const char *host, uint16_t port)
{
	if (!host)
		return -EINVAL;
	return net_host_parse(out, host, strlen(host), port);
}

/* 1 to 5 decimal digits and nothing else, at most 65535. */
static int net_port_parse(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i == 5 || s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int net_listen_parse(const char *s, enum net_proto *proto, struct net_addr *out)
{
	char name[4];
	const char *host, *colon;
	enum net_proto p;
	struct net_addr a;
	uint16_t port;
	int err = -EINVAL;

	colon = s ? strchr(s, ':') : NULL;
	if (!colon || (size_t)(colon - s) >= sizeof(name))
		goto out;
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = '\0';
	if (net_proto_parse(name, &p) < 0)
		goto out;
	host = colon + 1;
	/* The port follows the last ':'; a bare IPv6 host would be ambiguous. */
	colon = strrchr(host, ':');
	if (!colon || (host[0] != '[' && memchr(host, ':', (size_t)(colon - host))))
		goto out;
	if (net_port_parse(colon + 1, &port) < 0)
		goto out;
	err = net_host_parse(&a, host, (size_t)(colon - host), port);
	if (err < 0)
		goto out;
	*proto = p;
	*out = a;
out:
	return err;
}

const char *net_addr_host(const struct net_addr *a, char *buf, size_t size)
{
	const void *src = NULL;
	int family = net_addr_family(a);

	if (size == 0)
		return buf;
	if (family == AF_INET && size >= INET_ADDRSTRLEN) {
		/* inet_ntop() formats each byte through sprintf: several per call. */
		const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in *)&a->ss)->sin_addr;
		char *w = buf;

		for (int i = 0; i < 4; i++) {
			unsigned v = b[i];

			if (v >= 100)
				*w++ = (char)('0' + v / 100);
			if (v >= 10)
				*w++ = (char)('0' + v / 10 % 10);
			*w++ = (char)('0' + v % 10);
			*w++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (family == AF_INET)
		src = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else if (family == AF_INET6)
		src = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (!src || !inet_ntop(family, src, buf, (socklen_t)size))
		buf[0] = '\0';
	return buf;
}

/* No address prints as "(none)", so a log line never has a hole. */
const char *net_addr_fmt(const struct net_addr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	int family = net_addr_family(a);

	if (size == 0)
		return buf;
	net_addr_host(a, host, sizeof(host));
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", host, (unsigned)net_addr_port(a));
	else if (family == AF_INET)
		snprintf(buf, size, "%s:%u", host, (unsigned)net_addr_port(a));
	else
		snprintf(buf, size, "(none)");
	return buf;
}

uint16_t net_addr_port(const struct net_addr *a)
{
	switch (net_addr_family(a)) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	}
	return 0;
}

void net_addr_set_port(struct net_addr *a, uint16_t port)
{
	switch (net_addr_family(a)) {
	case AF_INET:
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
		break;
	case AF_INET6:
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
		break;
	}
}

/* AF_UNSPEC when a holds no address. */
int net_addr_family(const struct net_addr *a)
{
	if (!a || a->len == 0)
		return AF_UNSPEC;
	return a->ss.ss_family;
}

/* Two empty addresses are equal; IPv4 never equals IPv4-mapped IPv6 here. */
bool net_addr_eq(const struct net_addr *a, const struct net_addr *b)
{
	int family = net_addr_family(a);

	if (family != net_addr_family(b))
		return false;
	if (family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->ss, *y = (const void *)&b->ss;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->ss, *y = (const void *)&b->ss;

		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return family == AF_UNSPEC;
}

/*
 * The host as (family, bytes), with an IPv4-mapped IPv6 address seen as the
 * IPv4 address it carries: a dual-stack socket reports 1.2.3.4 as
 * ::ffff:1.2.3.4, and a Via sent-by of 1.2.3.4 must still match it.
 */
static int net_host_bytes(const struct net_addr *a, uint8_t out[16])
{
	int family = net_addr_family(a);

	if (family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)&a->ss)->sin_addr, 4);
	} else if (family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			memcpy(out, &in6->s6_addr[12], 4);
			return AF_INET;
		}
		memcpy(out, in6, 16);
	}
	return family;
}

bool net_host_eq(const char *host, const struct net_addr *b)
{
	struct net_addr a;
	uint8_t x[16], y[16];
	int family;

	if (net_addr_from_host(&a, host, 0) < 0)
		return false;
	family = net_host_bytes(&a, x);
	if (family != net_host_bytes(b, y))
		return false;
	if (family == AF_INET)
		return memcmp(x, y, 4) == 0;
	return family == AF_INET6 && memcmp(x, y, 16) == 0;
}

bool net_addr_is_any(const struct net_addr *a)
{
	if (a->len == 0)
		return false;
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
	return false;
}

int net_addr_source_for(const struct net_addr *dst, struct net_addr *out)
{
	struct net_addr src = {.len = sizeof(src.ss)};
	struct net_addr to = *dst;
	int fd, err = 0;

	if (dst->len == 0)
		return -EINVAL;
	/* connect() needs a port; the route does not depend on it. */
	if (net_addr_port(&to) == 0)
		net_addr_set_port(&to, 9);
	fd = socket(dst->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&to.ss, to.len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&src.ss, &src.len) < 0)
		err = -errno;
	close(fd);
	if (err < 0)
		return err;
	net_addr_set_port(&src, 0);
	*out = src;
	return 0;
}
