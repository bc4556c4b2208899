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

/* Where a message came from, or where it goes. */
struct sip_dest {
	enum net_proto proto;
	struct net_addr addr;  /* peer */
	struct net_addr local; /* our listener (len 0: any) */
	uint64_t conn;	       /* TCP connection id; 0: none/any */
};

#endif
