/*
 * oa: SDP offer/answer (RFC 3264) for one session; see oa.h for the
 * protocol we speak and the codes we return.
 *
 * sip/msdp parses what the peer sends into a struct msdp; what we send is
 * written here as text, line by line, so that its order and its bytes are
 * ours (RFC 4566 §5 fixes the line order) and so that comparing two
 * descriptions is a strcmp.  A description ("desc") is everything after
 * the o= line: if it equals the last one we sent, the o= version stays,
 * otherwise it grows by one (RFC 3264 §8).
 *
 * State: idle, or an offer of ours pending.  A remote offer is answered at
 * once, so "their offer pending" never lasts beyond oa_take_offer(); an
 * offer while ours is pending is the glare of RFC 3261 §14.1 (-EBUSY).
 *
 * SRTP keys (RFC 4568 SDES): ours, one per suite, are drawn the first time
 * a suite is offered or answered and kept for the session, so that a
 * re-offer or re-answer repeats them (an unchanged description stays
 * byte-identical and keeps its o= version) and the media layer re-keys
 * only when the peer's key changes.  Every copy of a key we drop is wiped:
 * the keys, the results, the parsed a=crypto lines, and the texts that
 * carry keys in base64 (descriptions and the buffers they grew in).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/rnd.h"
#include "core/why.h"
#include "media/codec.h"
#include "media/sdes.h"
#include "sip/msdp.h"
#include "ua/oa.h"

#define OA_MAX_FMTS 16	  /* formats we put on our answer's m= line, at most */
#define OA_CRYPTO_MAX 128 /* one a=crypto value: tag, suite, inline: and 60 base64 characters */

static const char PROTO_AVP[] = "RTP/AVP";
static const char PROTO_SAVP[] = "RTP/SAVP";

/* The suites we offer, in our order of preference; a=crypto tag i + 1 is suite i. */
static const enum sdes_suite offer_suites[] = {
    SDES_AES_CM_128_HMAC_SHA1_80,
    SDES_AES_CM_128_HMAC_SHA1_32,
    SDES_AEAD_AES_128_GCM,
    SDES_AEAD_AES_256_GCM,
};
#define N_OFFER_SUITES (sizeof(offer_suites) / sizeof(offer_suites[0]))

struct oa {
	const struct codec *codecs[OA_MAX_CODECS]; /* rows of media/codec's table */
	size_t n_codecs;
	bool dtmf;
	uint8_t te_pt;
	unsigned ptime;
	char host[INET6_ADDRSTRLEN];
	bool ip6;
	enum oa_srtp srtp;
	bool rtcp_mux;

	/* Our SRTP keys, one per suite, drawn once (see the top of this file). */
	/* [SDES_SUITE_COUNT], made with the first key: a call without SRTP has none. */
	struct sdes_key *keys;
	bool have_key[SDES_SUITE_COUNT];

	uint32_t sess_id; /* o= sess-id: random, once (RFC 4566 §5.2) */
	uint64_t version; /* o= sess-version of last_desc; 0: nothing sent */
	char *last_desc;  /* last description sent and kept; NULL: none */

	bool have_result;

	/* Our offer awaiting an answer. */
	bool pending;
	char *pend_desc;
	uint64_t pend_version;
	enum oa_dir pend_dir;
};

/* One format on the m= line we write: a codec row, on the peer's number when answering. */
struct fmt {
	int pt;
	const struct codec *c;
};

/* --- a growing string ---------------------------------------------------- */

struct sb {
	char *s;
	size_t len, cap;
	bool oom;
};

/*
 * Room for n more characters and a NUL.  Not realloc(): the old block is
 * wiped before it is freed, since the text may carry keys.  0 or -ENOMEM.
 */
static int sb_grow(struct sb *b, size_t n)
{
	size_t cap = b->cap ? b->cap * 2 : 512;
	char *s;

	while (cap - b->len <= n)
		cap *= 2;
	if (!(s = malloc(cap)))
		return -ENOMEM;
	if (b->s) {
		memcpy(s, b->s, b->len);
		explicit_bzero(b->s, b->cap);
		free(b->s);
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		if (sb_grow(b, (size_t)n) < 0) {
			b->oom = true;
			return;
		}
	}
}

/* Free b's text, wiped first: it may hold keys in base64. */
static void sb_free(struct sb *b)
{
	if (b->s) {
		explicit_bzero(b->s, b->cap);
		free(b->s);
	}
	b->s = NULL;
	b->len = b->cap = 0;
}

/*
 * The string at its length (caller frees), or NULL after an allocation
 * failure.  A call keeps its descriptions as long as it lasts: the
 * builder's block, 512 bytes at least, would be mostly slack.
 */
static char *sb_take(struct sb *b)
{
	char *s = NULL;

	if (!b->oom && b->s && (s = malloc(b->len + 1)))
		memcpy(s, b->s, b->len + 1);
	sb_free(b);
	return s;
}

/* A text of ours freed, wiped first (keys in a=crypto lines). NULL: no-op. */
static void str_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* --- small helpers -------------------------------------------------------- */

const char *oa_dir_name(enum oa_dir d)
{
	switch (d) {
	case OA_SENDRECV:
		return "sendrecv";
	case OA_SENDONLY:
		return "sendonly";
	case OA_RECVONLY:
		return "recvonly";
	case OA_INACTIVE:
		return "inactive";
	}
	return "sendrecv";
}

static bool dir_sends(enum oa_dir d)
{
	return d == OA_SENDRECV || d == OA_SENDONLY;
}

static bool dir_recvs(enum oa_dir d)
{
	return d == OA_SENDRECV || d == OA_RECVONLY;
}

static enum oa_dir dir_make(bool send, bool recv)
{
	if (send && recv)
		return OA_SENDRECV;
	if (send)
		return OA_SENDONLY;
	return recv ? OA_RECVONLY : OA_INACTIVE;
}

/*
 * What we do, given what we want and what the peer does: we send only if
 * the peer receives, and receive only if it sends (RFC 3264 §6.1).
 */
static enum oa_dir dir_local(enum oa_dir want, enum oa_dir remote)
{
	return dir_make(dir_sends(want) && dir_recvs(remote), dir_recvs(want) && dir_sends(remote));
}

/* The direction on the wire as ours; -1 when the SDP has none there. */
static int dir_from(enum msdp_dir d)
{
	switch (d) {
	case MSDP_SENDRECV:
		return OA_SENDRECV;
	case MSDP_SENDONLY:
		return OA_SENDONLY;
	case MSDP_RECVONLY:
		return OA_RECVONLY;
	case MSDP_INACTIVE:
		return OA_INACTIVE;
	case MSDP_DIR_NONE:
		break;
	}
	return -1;
}

/*
 * The peer's RTP address from c= and port.  0, or -EINVAL for what we
 * cannot use: no c=, not IN IP4/IP6, a name instead of an address.
 */
static int conn_addr(const struct msdp_conn *c, uint16_t port, struct net_addr *out, bool *hold)
{
	if (!c->present || strcasecmp(c->nettype, "IN"))
		return -EINVAL;
	if (strcasecmp(c->addrtype, "IP4") && strcasecmp(c->addrtype, "IP6"))
		return -EINVAL;
	if (net_addr_from_host(out, c->addr, port) < 0)
		return -EINVAL;
	*hold = strcmp(c->addr, "0.0.0.0") == 0;
	return 0;
}

/*
 * The peer's direction on m: media-level attribute, else session-level,
 * else sendrecv (RFC 3264 §5.1).  c=0.0.0.0 is RFC 2543 hold: the peer
 * receives nothing, whatever the attribute says (RFC 3264 §8.4).
 */
static enum oa_dir remote_dir(const struct msdp *sdp, const struct msdp_media *m, bool hold)
{
	int d = dir_from(m->dir);

	if (d < 0)
		d = dir_from(sdp->dir);
	if (d < 0)
		d = OA_SENDRECV;
	return hold ? dir_make(dir_sends((enum oa_dir)d), false) : (enum oa_dir)d;
}

/* a=ptime on m, else on the session, else ours. */
static unsigned remote_ptime(const struct oa *oa, const struct msdp *sdp,
			     const struct msdp_media *m)
{
	const struct msdp_attr *a = msdp_attr_find(m->attrs, m->n_attrs, "ptime");
	long v;

	if (!a)
		a = msdp_attr_find(sdp->attrs, sdp->n_attrs, "ptime");
	v = a ? msdp_num(a->value, 1000) : -1;
	return v > 0 ? (unsigned)v : oa->ptime;
}

/* --- RTCP and SRTP attributes of a line -------------------------------------- */

/*
 * a=rtcp:PORT [IN IP4|IP6 ADDR] (RFC 3605) against the RTP address rtp:
 * 0 with *out, or -EINVAL for a value we cannot use (then the default
 * applies, as if there were none).
 */
static int rtcp_attr(const char *v, const struct net_addr *rtp, struct net_addr *out)
{
	char net[8], type[8], addr[64];
	struct msdp_conn c = {.present = true, .nettype = net, .addrtype = type, .addr = addr};
	unsigned long port;
	char *end;
	int used = 0;
	bool hold;

	if (!v || *v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(v, &end, 10);
	if (errno || port == 0 || port > 65535)
		return -EINVAL;
	if (*end == '\0') {
		*out = *rtp;
		net_addr_set_port(out, (uint16_t)port);
		return 0;
	}
	if (sscanf(end, " %7s %7s %63s%n", net, type, addr, &used) != 3 ||
	    end[used + (int)strspn(end + used, " \t")] != '\0')
		return -EINVAL;
	return conn_addr(&c, (uint16_t)port, out, &hold);
}

/*
 * Where the peer takes RTCP (r->remote_rtcp) and whether it is muxed:
 * rtcp-mux when m has it and mux_ok (we offer or accept it, RFC 5761),
 * then on the RTP address; else a=rtcp; else RTP port + 1 (RFC 3550 §11),
 * port 0 when there is none (RTP on 65535).
 */
static void rtcp_read(const struct msdp_media *m, bool mux_ok, struct oa_result *r)
{
	const struct msdp_attr *a = msdp_attr_find(m->attrs, m->n_attrs, "rtcp");

	struct net_addr at;

	r->rtcp_mux = mux_ok && msdp_attr_find(m->attrs, m->n_attrs, "rtcp-mux");
	r->remote_rtcp = r->remote;
	if (r->rtcp_mux)
		return;
	if (a && rtcp_attr(a->value, &r->remote, &at) == 0) {
		r->remote_rtcp = at;
		return;
	}
	net_addr_set_port(&r->remote_rtcp,
			  r->remote_port < 65535 ? (uint16_t)(r->remote_port + 1) : 0);
}

/* Our key for suite s, drawn the first time. 0 or sdes_key_new()'s -errno. */
static int our_key(struct oa *oa, enum sdes_suite s, const struct sdes_key **k)
{
	int err;

	if (!oa->keys && !(oa->keys = calloc(SDES_SUITE_COUNT, sizeof(*oa->keys))))
		return -ENOMEM;
	if (!oa->have_key[s]) {
		if ((err = sdes_key_new(&oa->keys[s], s)) < 0)
			return err;
		oa->have_key[s] = true;
	}
	*k = &oa->keys[s];
	return 0;
}

/*
 * The first a=crypto of m that we can honour (RFC 4568 §6.3: skip the
 * others).  true with *out filled (the caller wipes it).
 */
static bool crypto_pick(const struct msdp_media *m, struct sdes_crypto *out)
{
	for (size_t i = 0; i < m->n_attrs; i++) {
		const struct msdp_attr *a = &m->attrs[i];

		if (strcasecmp(a->name, "crypto") == 0 && a->value &&
		    sdes_parse(a->value, out, NULL, 0) == 0)
			return true;
	}
	return false;
}

/* --- what we write ---------------------------------------------------- */

/* s=, c=, t=: the start of every description of ours. */
static void desc_head(const struct oa *oa, struct sb *b)
{
	sb_add(b, "s=-\r\nc=IN %s %s\r\nt=0 0\r\n", oa->ip6 ? "IP6" : "IP4", oa->host);
}

/* Our audio m= line on proto with its attributes; a=crypto lines follow. */
static void desc_audio(const struct oa *oa, struct sb *b, uint16_t port, const char *proto,
		       const struct fmt *f, size_t n, enum oa_dir dir, bool mux)
{
	sb_add(b, "m=audio %u %s", (unsigned)port, proto);
	for (size_t i = 0; i < n; i++)
		sb_add(b, " %d", f[i].pt);
	sb_add(b, "\r\n");
	for (size_t i = 0; i < n; i++)
		sb_add(b, "a=rtpmap:%d %s/%u\r\n", f[i].pt, f[i].c->name, (unsigned)f[i].c->rate);
	for (size_t i = 0; i < n; i++)
		if (f[i].c->fmtp)
			sb_add(b, "a=fmtp:%d %s\r\n", f[i].pt, f[i].c->fmtp);
	sb_add(b, "a=ptime:%u\r\na=%s\r\n", oa->ptime, oa_dir_name(dir));
	if (mux)
		sb_add(b, "a=rtcp-mux\r\n");
}

/* a=crypto:TAG SUITE inline:KEY (RFC 4568 §9.1).  0 or -EINVAL. */
static int desc_crypto(struct sb *b, unsigned tag, const struct sdes_key *k)
{
	char v[OA_CRYPTO_MAX];
	int n = sdes_format(v, sizeof(v), tag, k);

	if (n >= 0)
		sb_add(b, "a=crypto:%s\r\n", v);
	explicit_bzero(v, sizeof(v));
	return n < 0 ? -EINVAL : 0;
}

/*
 * The full body for desc: the o= version stays when desc is the last one
 * sent, else grows by one (RFC 3264 §8).  *version gets the one used.
 */
static char *body_make(const struct oa *oa, const char *desc, uint64_t *version)
{
	struct sb b = {0};

	*version =
	    oa->last_desc && strcmp(oa->last_desc, desc) == 0 ? oa->version : oa->version + 1;
	sb_add(&b, "v=0\r\no=sipuad %u %llu IN %s %s\r\n%s", (unsigned)oa->sess_id,
	       (unsigned long long)*version, oa->ip6 ? "IP6" : "IP4", oa->host, desc);
	return sb_take(&b);
}

/* --- life cycle ---------------------------------------------------------- */

int oa_new(struct oa **op, const struct oa_cfg *cfg)
{
	struct oa *oa;
	int fam = net_addr_family(&cfg->local);

	if (cfg->n_codecs == 0 || cfg->n_codecs > OA_MAX_CODECS)
		return -EINVAL;
	if (cfg->te_pt && (cfg->te_pt < 96 || cfg->te_pt > 127))
		return -EINVAL;
	if (cfg->local.len == 0 || (fam != AF_INET && fam != AF_INET6))
		return -EINVAL;
	if (cfg->srtp != OA_SRTP_OFF && cfg->srtp != OA_SRTP_OPTIONAL &&
	    cfg->srtp != OA_SRTP_MANDATORY)
		return -EINVAL;
	oa = calloc(1, sizeof(*oa));
	if (!oa)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_codecs; i++) {
		oa->codecs[i] = codec_find(cfg->codecs[i]);
		if (!oa->codecs[i] || oa->codecs[i]->kind != CODEC_AUDIO) {
			free(oa);
			return -EINVAL;
		}
	}
	oa->n_codecs = cfg->n_codecs;
	oa->dtmf = cfg->dtmf;
	oa->te_pt = cfg->te_pt ? cfg->te_pt : codec_event()->pt;
	oa->ptime = cfg->ptime ? cfg->ptime : OA_PTIME_DEFAULT;
	oa->srtp = cfg->srtp;
	oa->rtcp_mux = cfg->rtcp_mux;
	oa->ip6 = fam == AF_INET6;
	net_addr_host(&cfg->local, oa->host, sizeof(oa->host));
	/* 31 bits: some peers read sess-id into a signed int. */
	oa->sess_id = rnd_u32() & 0x7fffffffu;
	*op = oa;
	return 0;
}

void oa_result_wipe(struct oa_result *r)
{
	if (!r)
		return;
	sdes_wipe(&r->tx_key);
	sdes_wipe(&r->rx_key);
}

void oa_free(struct oa *oa)
{
	if (!oa)
		return;
	for (size_t i = 0; oa->keys && i < SDES_SUITE_COUNT; i++)
		sdes_wipe(&oa->keys[i]);
	free(oa->keys);
	str_free(oa->last_desc);
	str_free(oa->pend_desc);
	free(oa);
}

bool oa_offer_pending(const struct oa *oa)
{
	return oa->pending;
}

bool oa_has_result(const struct oa *oa)
{
	return oa->have_result;
}

void oa_media_params(const struct oa_result *r, struct media_params *p)
{
	static const enum media_dir dirs[] = {
	    [OA_SENDRECV] = MEDIA_SENDRECV,
	    [OA_SENDONLY] = MEDIA_SENDONLY,
	    [OA_RECVONLY] = MEDIA_RECVONLY,
	    [OA_INACTIVE] = MEDIA_INACTIVE,
	};

	memset(p, 0, sizeof(*p));
	p->te_pt = -1;
	if (r->rejected)
		return;
	p->active = true;
	p->remote = r->remote;
	net_addr_set_port(&p->remote, r->remote_port);
	p->pt = r->pt;
	p->codec = codec_find(r->codec);
	p->te_pt = r->te_pt;
	p->dir = dirs[r->local_dir];
	p->ptime = r->ptime;
	p->rtcp_mux = r->rtcp_mux;
	p->remote_rtcp = r->remote_rtcp;
	p->srtp = r->srtp;
	if (r->srtp) {
		p->tx_key = r->tx_key;
		p->rx_key = r->rx_key;
	}
}

/* The offered-or-answered description becomes the session's. */
static void commit(struct oa *oa, char *desc, uint64_t version)
{
	str_free(oa->last_desc);
	oa->last_desc = desc;
	oa->version = version;
	oa->have_result = true;
}

/* --- our offer ------------------------------------------------------------ */

/*
 * Our description for an offer: RTP/SAVP when SRTP is mandatory, else
 * RTP/AVP (RFC 8643 best effort when optional), a=crypto lines with tags
 * 1..N in offer_suites' order unless SRTP is off.  0 with *desc_out, or
 * -ENOMEM, or sdes_key_new()'s -errno.
 */
static int offer_desc(struct oa *oa, uint16_t port, enum oa_dir dir, char **desc_out)
{
	struct fmt f[OA_MAX_CODECS + 1];
	struct sb b = {0};
	size_t n = 0;
	int err = 0;

	for (size_t i = 0; i < oa->n_codecs; i++)
		f[n++] = (struct fmt){oa->codecs[i]->pt, oa->codecs[i]};
	if (oa->dtmf)
		f[n++] = (struct fmt){oa->te_pt, codec_event()};
	desc_head(oa, &b);
	desc_audio(oa, &b, port, oa->srtp == OA_SRTP_MANDATORY ? PROTO_SAVP : PROTO_AVP, f, n, dir,
		   oa->rtcp_mux);
	for (size_t i = 0; oa->srtp != OA_SRTP_OFF && i < N_OFFER_SUITES && !err; i++) {
		const struct sdes_key *k;

		if ((err = our_key(oa, offer_suites[i], &k)) == 0)
			err = desc_crypto(&b, (unsigned)i + 1, k);
	}
	if (err < 0) {
		sb_free(&b);
		return err;
	}
	*desc_out = sb_take(&b);
	return *desc_out ? 0 : -ENOMEM;
}

int oa_make_offer(struct oa *oa, uint16_t port, enum oa_dir dir, char **sdp_out)
{
	uint64_t version;
	char *desc, *body;
	int err;

	if (oa->pending)
		return -EBUSY; /* one offer at a time (RFC 3264 §4) */
	if ((err = offer_desc(oa, port, dir, &desc)) < 0)
		return err;
	body = body_make(oa, desc, &version);
	if (!body) {
		str_free(desc);
		return -ENOMEM;
	}
	oa->pending = true;
	oa->pend_desc = desc;
	oa->pend_version = version;
	oa->pend_dir = dir;
	*sdp_out = body;
	return 0;
}

void oa_cancel_offer(struct oa *oa)
{
	str_free(oa->pend_desc);
	oa->pend_desc = NULL;
	oa->pending = false;
}

/* --- their answer ----------------------------------------------------------- */

/* Is pt one we offered? The codec, or NULL; *te when it is telephone-event. */
static const struct codec *offered(const struct oa *oa, int pt, bool *te)
{
	*te = oa->dtmf && pt == oa->te_pt;
	for (size_t i = 0; i < oa->n_codecs; i++)
		if (oa->codecs[i]->pt == pt)
			return oa->codecs[i];
	return NULL;
}

/*
 * The SRTP of the answer m to our offer (RFC 4568 §7.1.2): its first
 * a=crypto must carry a tag we offered with that tag's suite; then we
 * send with our key of that tag and receive with theirs.  No a=crypto:
 * plain RTP, unless SRTP is mandatory or the answer is RTP/SAVP; with srtp
 * off an RTP/AVP answer's a=crypto is ignored.
 */
static int answer_crypto(const struct oa *oa, const struct msdp_media *m, struct oa_result *r,
			 char *why, size_t whylen)
{
	const struct msdp_attr *a = msdp_attr_find(m->attrs, m->n_attrs, "crypto");
	struct sdes_crypto c;
	char cwhy[96] = "";
	unsigned tag;

	if (!a && oa->srtp == OA_SRTP_MANDATORY)
		return why_fmt(why, whylen, -EPROTO, "SRTP is mandatory and the answer has none");
	if (!a && strcmp(m->proto, PROTO_SAVP) == 0)
		return why_fmt(why, whylen, -EPROTO, "the answer is RTP/SAVP with no a=crypto");
	/*
	 * We offered no keys: an RTP/AVP answer's a=crypto is ignored, as an
	 * offer's is (baresip with srtp optional puts one in any answer).
	 */
	if (!a || (oa->srtp == OA_SRTP_OFF && strcmp(m->proto, PROTO_SAVP) != 0))
		return 0;
	if (oa->srtp == OA_SRTP_OFF || !a->value)
		return why_fmt(why, whylen, -EPROTO,
			       "the answer's a=crypto does not match our offer");
	if (sdes_parse(a->value, &c, cwhy, sizeof(cwhy)) < 0)
		return why_fmt(why, whylen, -EPROTO,
			       "the answer's a=crypto does not match our offer (%s)", cwhy);
	tag = c.tag;
	if (tag < 1 || tag > N_OFFER_SUITES || c.key.suite != offer_suites[tag - 1] || !oa->keys) {
		sdes_wipe(&c.key);
		return why_fmt(why, whylen, -EPROTO,
			       "the answer's a=crypto does not match our offer");
	}
	r->srtp = true;
	r->rx_key = c.key;
	r->tx_key = oa->keys[c.key.suite]; /* drawn when we offered it */
	sdes_wipe(&c.key);
	return 0;
}

/* The formats of the answer m: the first codec we offered, telephone-event. */
static int answer_fmts(const struct oa *oa, const struct msdp_media *m, struct oa_result *r,
		       char *why, size_t whylen)
{
	for (size_t i = 0; i < m->n_fmts; i++) {
		int pt = m->fmts[i].pt;
		const struct codec *c = NULL;
		bool te = false;

		if (pt >= 0)
			c = offered(oa, pt, &te);
		if (!c && !te)
			return why_fmt(why, whylen, -EPROTO,
				       "answer has format %s we did not offer", m->fmts[i].text);
		if (te && r->te_pt < 0)
			r->te_pt = (int)pt;
		if (c && r->pt < 0) {
			r->pt = c->pt; /* the first common one (§6.1: preference order) */
			snprintf(r->codec, sizeof(r->codec), "%s", c->name);
			r->rate = c->rate;
		}
	}
	if (r->pt < 0)
		return why_fmt(why, whylen, -EPROTO, "answer has no audio format we offered");
	return 0;
}

/* Check the answer against our offer (RFC 3264 §6) and read it into *res. */
static int answer_read(struct oa *oa, const struct msdp *sdp, struct oa_result *res, char *why,
		       size_t whylen)
{
	const struct msdp_media *m;
	struct oa_result r = {.pt = -1, .te_pt = -1};
	bool hold = false;
	long port;
	int err;

	if (sdp->n_media != 1)
		return why_fmt(why, whylen, -EPROTO, "answer has %zu m= lines, offer had 1",
			       sdp->n_media);
	m = &sdp->media[0];
	if (strcasecmp(m->type, "audio"))
		return why_fmt(why, whylen, -EPROTO, "answer m= is %s, not audio", m->type);
	port = m->port;
	if (port < 0)
		return why_fmt(why, whylen, -EPROTO, "answer m= port '%s'", m->port_text);
	r.local_dir = OA_INACTIVE;
	r.remote_dir = OA_INACTIVE;
	r.ptime = oa->ptime;
	if (port == 0) {
		r.rejected = true; /* §6: the answerer declined our stream */
		*res = r;
		return 0;
	}
	if ((err = answer_fmts(oa, m, &r, why, whylen)) < 0)
		return err;
	if (conn_addr(msdp_conn_of(sdp, m), (uint16_t)port, &r.remote, &hold) < 0)
		return why_fmt(why, whylen, -EPROTO, "answer has no usable c= address");
	r.remote_port = (uint16_t)port;
	r.remote_dir = remote_dir(sdp, m, hold);
	r.local_dir = dir_local(oa->pend_dir, r.remote_dir);
	r.ptime = remote_ptime(oa, sdp, m);
	rtcp_read(m, oa->rtcp_mux, &r);
	if ((err = answer_crypto(oa, m, &r, why, whylen)) < 0)
		return err;
	*res = r;
	oa_result_wipe(&r);
	return 0;
}

int oa_take_answer(struct oa *oa, const char *text, size_t len, struct oa_result *res, char *why,
		   size_t whylen)
{
	struct msdp *sdp = NULL;
	struct oa_result r;
	int err;

	if (!oa->pending)
		return why_fmt(why, whylen, -EPROTO, "answer without an offer");
	err = msdp_parse(text, len, &sdp, why, whylen);
	if (err == 0) {
		err = answer_read(oa, sdp, &r, why, whylen);
		msdp_free(sdp);
	}
	if (err < 0) {
		oa_cancel_offer(oa);
		return err;
	}
	commit(oa, oa->pend_desc, oa->pend_version);
	oa->pend_desc = NULL;
	oa->pending = false;
	*res = r;
	oa_result_wipe(&r);
	return 0;
}

/* --- their offer ------------------------------------------------------------ */

/*
 * The formats of m we answer, in the offerer's order with the offerer's
 * numbers (RFC 3264 §6.1): static types by number, dynamic ones by rtpmap
 * encoding name and clock rate; telephone-event at 8000 Hz only.  Returns
 * how many audio codecs (not counting telephone-event) were found.
 */
static size_t offer_match(const struct oa *oa, const struct msdp_media *m, struct fmt *f, size_t *n)
{
	const struct codec *te = codec_event();
	size_t audio = 0;
	bool have_te = false;

	*n = 0;
	for (size_t k = 0; k < m->n_fmts && *n < OA_MAX_FMTS; k++) {
		const struct msdp_fmt *mf = &m->fmts[k];
		int pt = mf->pt;
		bool mapped = mf->mapped;

		if (pt < 0)
			continue;
		if (mapped && strcasecmp(mf->encoding, te->name) == 0) {
			if (oa->dtmf && mf->rate == te->rate && !have_te) {
				f[(*n)++] = (struct fmt){pt, te};
				have_te = true;
			}
			continue;
		}
		for (size_t i = 0; i < oa->n_codecs; i++) {
			const struct codec *c = oa->codecs[i];
			bool ok = pt < CODEC_PT_DYNAMIC
				      ? c->pt == pt
				      : mapped && strcasecmp(mf->encoding, c->name) == 0 &&
					    mf->rate == c->rate;

			if (ok) {
				f[(*n)++] = (struct fmt){pt, c};
				audio++;
				break;
			}
		}
	}
	return audio;
}

/* A line we decline: port 0, the offered formats kept (RFC 3264 §6). */
static void desc_reject(struct sb *b, const struct msdp_media *m)
{
	sb_add(b, "m=%s 0 %s", m->type, m->proto);
	for (size_t i = 0; i < m->n_fmts; i++)
		sb_add(b, " %s", m->fmts[i].text);
	sb_add(b, "\r\n");
}

/* The line we serve: its formats, the a=crypto tag we answer (0: none), the result. */
struct served {
	struct fmt f[OA_MAX_FMTS];
	size_t n;
	unsigned tag;
	struct oa_result r;
};

/* Why the offer's audio lines were not served, for the reason of -ENOTSUP. */
struct tally {
	bool savp_off;	/* an RTP/SAVP line while SRTP is off */
	bool crypto_ok; /* a line had an a=crypto we can honour */
	bool no_crypto; /* a line needed one and had none we can honour */
};

/*
 * m's SRTP when we serve it: RTP/SAVP needs SRTP on and an a=crypto we
 * can honour; RTP/AVP takes one when SRTP is on (RFC 8643) and needs one
 * when it is mandatory.  true with c filled when SRTP is to be used
 * (c->tag 0 for plain RTP); false when m cannot be served.
 */
static bool offer_crypto(const struct oa *oa, const struct msdp_media *m, struct sdes_crypto *c,
			 struct tally *t)
{
	bool savp = strcmp(m->proto, PROTO_SAVP) == 0;

	c->tag = 0;
	if (savp && oa->srtp == OA_SRTP_OFF) {
		t->savp_off = true;
		return false;
	}
	if (oa->srtp != OA_SRTP_OFF && crypto_pick(m, c)) {
		t->crypto_ok = true;
		return true;
	}
	if (savp || oa->srtp == OA_SRTP_MANDATORY) {
		t->no_crypto = true;
		return false;
	}
	return true;
}

/* The result of serving m with the formats and crypto of s. */
static void offer_result(const struct oa *oa, const struct msdp *sdp, const struct msdp_media *m,
			 enum oa_dir want, bool hold, struct served *s)
{
	struct oa_result *r = &s->r;

	r->remote_port = (uint16_t)m->port;
	r->pt = -1;
	r->te_pt = -1;
	for (size_t i = 0; i < s->n; i++) {
		bool te = s->f[i].c->kind == CODEC_EVENT;

		if (te && r->te_pt < 0)
			r->te_pt = s->f[i].pt;
		if (!te && r->pt < 0) {
			r->pt = s->f[i].pt;
			snprintf(r->codec, sizeof(r->codec), "%s", s->f[i].c->name);
			r->rate = s->f[i].c->rate;
		}
	}
	r->remote_dir = remote_dir(sdp, m, hold);
	r->local_dir = dir_local(want, r->remote_dir);
	r->ptime = remote_ptime(oa, sdp, m);
	rtcp_read(m, oa->rtcp_mux, r);
}

/*
 * Try m as the audio stream we serve: audio, RTP/AVP or RTP/SAVP, a port,
 * a usable c=, the SRTP rule of offer_crypto() and a codec in common.
 * 1 with *s filled, 0 when m cannot be served, or our_key()'s -errno.
 */
static int offer_serve(struct oa *oa, const struct msdp *sdp, const struct msdp_media *m,
		       enum oa_dir want, struct served *s, struct tally *t)
{
	struct sdes_crypto c = {0};
	const struct sdes_key *k;
	bool hold = false;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (strcasecmp(m->type, "audio") || m->port <= 0 ||
	    (strcmp(m->proto, PROTO_AVP) && strcmp(m->proto, PROTO_SAVP)))
		return 0;
	if (conn_addr(msdp_conn_of(sdp, m), (uint16_t)m->port, &s->r.remote, &hold) < 0)
		return 0;
	if (!offer_crypto(oa, m, &c, t))
		return 0;
	if (offer_match(oa, m, s->f, &s->n) == 0) {
		err = 0;
	} else if (c.tag == 0) {
		err = 1;
	} else if ((err = our_key(oa, c.key.suite, &k)) == 0) {
		s->tag = c.tag;
		s->r.srtp = true;
		s->r.tx_key = *k;
		s->r.rx_key = c.key;
		err = 1;
	}
	sdes_wipe(&c.key);
	if (err == 1)
		offer_result(oa, sdp, m, want, hold, s);
	return err;
}

/* The reason no audio line of the offer was served (-ENOTSUP). */
static int offer_refused(const struct oa *oa, const struct tally *t, char *why, size_t whylen)
{
	if (oa->srtp == OA_SRTP_MANDATORY && !t->crypto_ok)
		return why_fmt(why, whylen, -ENOTSUP,
			       "SRTP is mandatory ([media] srtp) and the offer has no usable "
			       "a=crypto");
	if (t->savp_off && !t->crypto_ok)
		return why_fmt(why, whylen, -ENOTSUP,
			       "the offer's audio is RTP/SAVP (SRTP) and [media] srtp is off");
	if (t->no_crypto && !t->crypto_ok)
		return why_fmt(why, whylen, -ENOTSUP,
			       "the offer's RTP/SAVP audio has no usable a=crypto");
	return why_fmt(why, whylen, -ENOTSUP, "no common audio codec (we have %s%s)",
		       oa->codecs[0]->name, oa->n_codecs > 1 ? ", ..." : "");
}

/* Our answer's description to the parsed offer; -ENOTSUP when nothing to serve. */
static int answer_build(struct oa *oa, const struct msdp *sdp, uint16_t port, enum oa_dir want,
			char **desc_out, struct oa_result *res, char *why, size_t whylen)
{
	struct sb b = {0};
	struct served s;
	struct tally t = {0};
	bool served = false;
	int err = 0;

	desc_head(oa, &b);
	for (size_t i = 0; i < sdp->n_media && err >= 0; i++) {
		const struct msdp_media *m = &sdp->media[i];

		/* One audio stream: every other line is declined (§6). */
		if (served || (err = offer_serve(oa, sdp, m, want, &s, &t)) <= 0) {
			desc_reject(&b, m);
			continue;
		}
		served = true;
		desc_audio(oa, &b, port, m->proto, s.f, s.n, s.r.local_dir, s.r.rtcp_mux);
		if (s.tag)
			err = desc_crypto(&b, s.tag, &s.r.tx_key);
		*res = s.r;
		oa_result_wipe(&s.r);
	}
	if (err >= 0 && !served)
		err = offer_refused(oa, &t, why, whylen);
	if (err < 0) {
		if (served)
			oa_result_wipe(res);
		sb_free(&b);
		return err;
	}
	if (!(*desc_out = sb_take(&b))) {
		oa_result_wipe(res);
		return -ENOMEM;
	}
	return 0;
}

int oa_take_offer(struct oa *oa, const char *text, size_t len, uint16_t port, enum oa_dir want,
		  char **answer_out, struct oa_result *res, char *why, size_t whylen)
{
	struct msdp *sdp = NULL;
	struct oa_result r;
	char *desc = NULL, *body;
	uint64_t version;
	int err;

	if (oa->pending)
		return why_fmt(why, whylen, -EBUSY, "offer while ours is pending");
	err = msdp_parse(text, len, &sdp, why, whylen);
	if (err < 0)
		return err;
	err = answer_build(oa, sdp, port, want, &desc, &r, why, whylen);
	msdp_free(sdp);
	if (err < 0)
		return err;
	body = body_make(oa, desc, &version);
	if (!body) {
		str_free(desc);
		oa_result_wipe(&r);
		return -ENOMEM;
	}
	commit(oa, desc, version);
	*answer_out = body;
	*res = r;
	oa_result_wipe(&r);
	return 0;
}
