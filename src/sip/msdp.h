/*
 * msdp: an SDP body (RFC 4566) read into a plain structure of our own.
 *
 * libosip2's sdp_message_parse() does the parsing; this module is the only
 * one that calls it, and hands the rest of the daemon what offer/answer
 * needs, with no libosip2 type in sight:
 *
 *   v=0
 *   o=alice 2890844526 2890844526 IN IP4 192.0.2.1     -> origin
 *   s=-
 *   c=IN IP4 192.0.2.1                                 -> conn
 *   t=0 0
 *   a=sendonly                                         -> dir
 *   m=audio 49170 RTP/AVP 0 97                         -> media[0]: type, port,
 *   a=rtpmap:97 iLBC/8000                                 proto, fmts in order
 *   a=fmtp:97 mode=30                                     with rtpmap and fmtp,
 *   a=ptime:20                                            other attrs
 *
 * Every list is bounded (MSDP_MAX_*): an SDP over a bound is refused, never
 * cut short, so that an answer never silently drops a line of the offer.
 * Writing SDP is not here: offer/answer writes its own text line by line.
 *
 * Errors (-EBADMSG) come with a one-line reason that starts with "SDP: ",
 * short enough for a SIP reason phrase ("400 Bad SDP: ...").
 */
#ifndef SIPUAD_MSDP_H
#define SIPUAD_MSDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSDP_MAX_MEDIA 16  /* m= lines */
#define MSDP_MAX_FMTS 128  /* formats on one m= line: every RTP payload type once */
#define MSDP_MAX_ATTRS 256 /* a= lines at one level: session, or one m= line */
#define MSDP_ENC_MAX 32	   /* an rtpmap encoding name, with its NUL */

/* The direction attribute (RFC 3264 §5.1); NONE: no such a= line. */
enum msdp_dir {
	MSDP_DIR_NONE,
	MSDP_SENDRECV,
	MSDP_SENDONLY,
	MSDP_RECVONLY,
	MSDP_INACTIVE,
};

/* Every const char * below points into the struct msdp that holds it. */

/* A c= line (RFC 4566 §5.7); fields "" when absent. */
struct msdp_conn {
	bool present; /* false: no c= here */
	const char *nettype, *addrtype, *addr;
};

/* An a= line; value NULL for a property attribute ("a=recvonly"). */
struct msdp_attr {
	const char *name;
	const char *value;
};

/* One format of an m= line, with what the a= lines of that m= line say of it. */
struct msdp_fmt {
	const char *text; /* as on the m= line: "0", "97", "t38" */
	int pt;		  /* 0..127; -1: not an RTP payload type number */
	/* a=rtpmap:PT NAME/RATE[/CHANNELS] (RFC 4566 §6): the first that parses. */
	bool mapped;
	char encoding[MSDP_ENC_MAX];
	uint32_t rate;
	unsigned channels; /* 0: not given */
	const char *fmtp;  /* a=fmtp:PT PARAMS: the first one's PARAMS; NULL: none */
};

struct msdp_media {
	const char *type;      /* "audio", "video", ...; "" when absent */
	const char *port_text; /* as written (without a "/count") */
	long port;	       /* 0..65535; -1: port_text is not one */
	const char *proto;     /* "RTP/AVP"; "" when absent */
	struct msdp_fmt *fmts;
	size_t n_fmts;
	struct msdp_conn conn; /* its own c= (the first); see msdp_conn_of() */
	/* Several direction lines: sendrecv wins, then sendonly, recvonly, inactive. */
	enum msdp_dir dir;
	/* The a= lines other than rtpmap, fmtp and direction, in order. */
	struct msdp_attr *attrs;
	size_t n_attrs;
};

struct msdp {
	struct {
		const char *username, *sess_id, *sess_version;
		const char *nettype, *addrtype, *addr;
	} origin; /* o=; fields "" when absent */
	struct msdp_conn conn;
	enum msdp_dir dir;
	struct msdp_attr *attrs; /* session-level, as on struct msdp_media */
	size_t n_attrs;
	struct msdp_media *media;
	size_t n_media;
	void *lib; /* msdp.c's: the parsed text the strings live in */
};

/*
 * Parse len bytes of text (need not be NUL-terminated).  0 with *out the
 * caller's (msdp_free); -EBADMSG with a reason in why (may be NULL):
 * a NUL byte, text libosip2 does not parse as SDP, or a bound passed;
 * -ENOMEM.  *out is written only on success.
 */
int msdp_parse(const char *text, size_t len, struct msdp **out, char *why, size_t whylen);
/* NULL: no-op. */
void msdp_free(struct msdp *sdp);

/* A field's decimal number (a port, a payload type, a=ptime) in [0, max]; -1 otherwise. */
long msdp_num(const char *s, long max);

/* The first attribute named name (any case) among attrs, or NULL. */
const struct msdp_attr *msdp_attr_find(const struct msdp_attr *attrs, size_t n, const char *name);

/* The c= that applies to m: its own, else the session's (RFC 4566 §5.7). */
const struct msdp_conn *msdp_conn_of(const struct msdp *sdp, const struct msdp_media *m);

#endif
