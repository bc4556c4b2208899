/*
 * stats: the daemon's counters.  One struct in the daemon context; each
 * layer gets a pointer and bumps what it owns.  The control interface
 * (`stats`) reads it.
 *
 * Messages in and out are also counted per method and per status code, as
 * they cross the wire: the daemon counts what the transport hands up and
 * what the layers hand down (retransmissions included, as they are sent).
 */
#ifndef SIPUAD_STATS_H
#define SIPUAD_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The methods counted by name; anything else counts as "other". */
enum stats_method {
	STATS_INVITE,
	STATS_ACK,
	STATS_BYE,
	STATS_CANCEL,
	STATS_OPTIONS,
	STATS_REGISTER,
	STATS_INFO,
	STATS_UPDATE,
	STATS_PRACK,
	STATS_SUBSCRIBE,
	STATS_NOTIFY,
	STATS_REFER,
	STATS_MESSAGE,
	STATS_PUBLISH,
	STATS_OTHER,
	STATS_NMETHODS,
};

#define STATS_CODE_MIN 100
#define STATS_NCODES 600 /* 100..699 */

/* Per direction: requests by method, responses by code. */
struct stats_dir {
	uint64_t method[STATS_NMETHODS];
	uint64_t code[STATS_NCODES];
};

struct stats {
	uint64_t rx_requests;
	uint64_t rx_responses;
	uint64_t tx_requests;
	uint64_t tx_responses;
	uint64_t rx_malformed;	     /* datagrams/frames that did not parse: dropped */
	uint64_t rx_bad_requests;    /* requests answered 4xx/5xx by the message checks */
	uint64_t rx_bad_responses;   /* responses dropped by the checks */
	uint64_t rx_oversize;	     /* answered 513 or dropped for size */
	uint64_t rx_retransmissions; /* requests absorbed by a server transaction */
	uint64_t tx_retransmissions; /* our retransmissions (timers A, E, G, 2xx) */
	uint64_t rx_stray_responses; /* responses matching no client transaction */
	uint64_t tx_503;	     /* refused for a full table */
	uint64_t tx_errors;	     /* sends the transport refused */
	uint64_t tcp_accepted;
	uint64_t tcp_refused; /* over max_tcp_connections */
	uint64_t tcp_idle_closed;
	/* TLS handshakes (both sides) and why the failed ones failed */
	uint64_t tls_handshakes;    /* completed, resumed ones included */
	uint64_t tls_resumed;	    /* of those, resumed sessions */
	uint64_t tls_fail_verify;   /* a certificate refused: the peer's (chain, dates, name, none),
				       or ours, as the peer's alert says (TLS 1.3: after our Finished) */
	uint64_t tls_fail_timeout;  /* not done within handshake_timeout_s */
	uint64_t tls_fail_protocol; /* not TLS, no common version or cipher, an alert */
	uint64_t tls_fail_closed;   /* the peer closed or reset during the handshake */
	struct stats_dir rx, tx;
};

/* "INVITE", ..., "other". */
const char *stats_method_name(enum stats_method m);
/* The counter of a method name of len bytes (case-sensitive, RFC 3261 §7.1). */
enum stats_method stats_method_of(const char *name, size_t len);
/* Count one request (method) or, method NULL, one response (status). */
void stats_count(struct stats_dir *d, const char *method, int status);
/*
 * Count one serialized message going out, by its start line:
 * "METHOD ..." or "SIP/2.0 CODE ...".  Bytes that are neither count nothing.
 */
void stats_count_wire(struct stats_dir *d, const char *buf, size_t len);

#endif
