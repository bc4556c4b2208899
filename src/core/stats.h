/*
 * stats: the daemon's counters.  One struct in the daemon context; each
 * layer gets a pointer and bumps what it owns.  The control interface
 * (`stats`) reads it.
 */
#ifndef SIPUAD_STATS_H
#define SIPUAD_STATS_H

#include <stdint.h>

struct stats {
	uint64_t rx_requests;
	uint64_t rx_responses;
	uint64_t tx_requests;
	uint64_t tx_responses;
	uint64_t rx_malformed;		/* datagrams/frames that did not parse: dropped */
	uint64_t rx_bad_requests;	/* requests answered 4xx/5xx by the message checks */
	uint64_t rx_bad_responses;	/* responses dropped by the checks */
	uint64_t rx_oversize;		/* answered 513 or dropped for size */
	uint64_t rx_retransmissions;	/* requests absorbed by a server transaction */
	uint64_t tx_retransmissions;	/* our retransmissions (timers A, E, G, 2xx) */
	uint64_t rx_stray_responses;	/* responses matching no client transaction */
	uint64_t tx_503;		/* refused for a full table */
	uint64_t tcp_accepted;
	uint64_t tcp_refused;		/* over max_tcp_connections */
	uint64_t tcp_idle_closed;
};

#endif
