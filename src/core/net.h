/*
 * net: socket addresses and transport protocol names.
 *
 * Owns the small vocabulary every layer shares: which transport (UDP, TCP, TLS)
 * and an address that fits IPv4 and IPv6.  Parsing of listen entries
 * ("udp:127.0.0.1:5060", "tcp:[::1]:5062") lives here so the config module
 * and the tests agree on one grammar.
 */
#ifndef SIPUAD_NET_H
#define SIPUAD_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* TLS is a stream transport: everything said of TCP holds for it too. */
enum net_proto {
	NET_UDP,
	NET_TCP,
	NET_TLS,
};

struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;			/* 0: no address */
};

/* Longest text net_addr_fmt() writes: "[" v6 "]:" port NUL. */
#define NET_ADDR_STRLEN 56

/* "udp" / "tcp" / "tls". */
const char *net_proto_name(enum net_proto p);
/* "UDP" / "TCP" / "TLS", as in a Via header. */
const char *net_proto_via(enum net_proto p);
/* Case-insensitive "udp" / "tcp" / "tls". 0 or -EINVAL. */
int net_proto_parse(const char *s, enum net_proto *out);

/*
 * Parse a numeric host (IPv4 dotted quad, or IPv6 with or without brackets)
 * and a port into *out.  No DNS.  0, or -EINVAL.
 */
int net_addr_from_host(struct net_addr *out, const char *host, uint16_t port);

/*
 * Parse "PROTO:HOST:PORT" where HOST is an IPv4 literal or a bracketed IPv6
 * literal, PORT 0..65535.  0, or -EINVAL.
 */
int net_listen_parse(const char *s, enum net_proto *proto, struct net_addr *out);

/* "127.0.0.1:5060" / "[::1]:5060" into buf (NET_ADDR_STRLEN); returns buf. */
const char *net_addr_fmt(const struct net_addr *a, char *buf, size_t size);
/* Host part only, without brackets: "::1". Returns buf. */
const char *net_addr_host(const struct net_addr *a, char *buf, size_t size);
uint16_t net_addr_port(const struct net_addr *a);
void net_addr_set_port(struct net_addr *a, uint16_t port);
int net_addr_family(const struct net_addr *a);
/* Same family, host and port. */
bool net_addr_eq(const struct net_addr *a, const struct net_addr *b);
/* 0.0.0.0 or :: (a wildcard listener). */
bool net_addr_is_any(const struct net_addr *a);
/*
 * The source address the kernel would use toward dst (a route lookup by
 * connecting a UDP socket; nothing is sent), port 0.  What a wildcard
 * listener must write in Via and Contact instead of 0.0.0.0.  0 or -errno
 * (-ENETUNREACH, ...).
 */
int net_addr_source_for(const struct net_addr *dst, struct net_addr *out);
/* True if host is an IP literal equal to the host of b (sent-by vs source); ::ffff:a.b.c.d equals a.b.c.d. A name never matches. */
bool net_host_eq(const char *host, const struct net_addr *b);

#endif
