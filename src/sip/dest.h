/*
 * dest: where a SIP message came from or goes, the one thing the
 * transport (tp.h) and the message layer (msg.h) both speak of.  Its own
 * header so that the transport, which moves bytes, does not see the
 * parsed message or the parser behind it.
 */
#ifndef SIPUAD_DEST_H
#define SIPUAD_DEST_H

#include <stdint.h>

#include "core/net.h"

/* A host name at most (RFC 1035: 253 characters), with its NUL. */
#define SIP_DEST_HOST_MAX 256

/* Where a message came from, or where it goes. */
struct sip_dest {
	enum net_proto proto;
	struct net_addr addr;  /* peer */
	struct net_addr local; /* our listener (len 0: any) */
	uint64_t conn;	       /* TCP/TLS connection id; 0: none/any */
	/*
	 * TLS toward a server: the name its certificate must carry (RFC
	 * 5922 §7.2: the URI's host, not an SRV target) and the SNI sent
	 * (RFC 6066 §3, not for an IP literal).  "": the address is the
	 * identity (its IP SAN is checked).  Unused for UDP and TCP.
	 */
	char host[SIP_DEST_HOST_MAX];
};

#endif
