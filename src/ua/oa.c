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
#include "sip/msdp.h"
#include "ua/oa.h"

#define OA_MAX_FMTS 16 /* formats we put on our answer's m= line, at most */

struct oa {
	const struct codec *codecs[OA_MAX_CODECS]; /* rows of media/codec's table */
	size_t n_codecs;
	bool dtmf;
	uint8_t te_pt;
	unsigned ptime;
	char host[INET6_ADDRSTRLEN];
	bool ip6;

	uint32_t sess_id; /* o= sess-id: random, once (RFC 4566 §5.2) */
	uint64_t version; /* o= sess-version of last_desc; 0: nothing sent */
	char *last_desc;  /* last description sent and kept; NULL: none */

	bool have_result;
	struct oa_result cur;

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
		size_t cap = b->cap ? b->cap * 2 : 512;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* The string (caller frees), or NULL after an allocation failure. */
static char *sb_take(struct sb *b)
{
	if (b->oom || !b->s) {
		free(b->s);
		return NULL;
	}
	return b->s;
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

/* --- what we write ---------------------------------------------------- */

/* s=, c=, t=: the start of every description of ours. */
static void desc_head(const struct oa *oa, struct sb *b)
{
	sb_add(b, "s=-\r\nc=IN %s %s\r\nt=0 0\r\n", oa->ip6 ? "IP6" : "IP4", oa->host);
}

/* Our audio m= line with its attributes. */
static void desc_audio(const struct oa *oa, struct sb *b, uint16_t port, const struct fmt *f,
		       size_t n, enum oa_dir dir)
{
	sb_add(b, "m=audio %u RTP/AVP", (unsigned)port);
	for (size_t i = 0; i < n; i++)
		sb_add(b, " %d", f[i].pt);
	sb_add(b, "\r\n");
	for (size_t i = 0; i < n; i++)
		sb_add(b, "a=rtpmap:%d %s/%u\r\n", f[i].pt, f[i].c->name, (unsigned)f[i].c->rate);
	for (size_t i = 0; i < n; i++)
		if (f[i].c->fmtp)
			sb_add(b, "a=fmtp:%d %s\r\n", f[i].pt, f[i].c->fmtp);
	sb_add(b, "a=ptime:%u\r\na=%s\r\n", oa->ptime, oa_dir_name(dir));
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
	oa->ip6 = fam == AF_INET6;
	net_addr_host(&cfg->local, oa->host, sizeof(oa->host));
	/* 31 bits: some peers read sess-id into a signed int. */
	oa->sess_id = rnd_u32() & 0x7fffffffu;
	*op = oa;
	return 0;
}

void oa_free(struct oa *oa)
{
	if (!oa)
		return;
	free(oa->last_desc);
	free(oa->pend_desc);
	free(oa);
}

bool oa_offer_pending(const struct oa *oa)
{
	return oa->pending;
}

int oa_current(const struct oa *oa, struct oa_result *res)
{
	if (!oa->have_result)
		return -ENOENT;
	*res = oa->cur;
	return 0;
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
}

/* The offered-or-answered description becomes the session's. */
static void commit(struct oa *oa, char *desc, uint64_t version, const struct oa_result *res)
{
	free(oa->last_desc);
	oa->last_desc = desc;
	oa->version = version;
	oa->cur = *res;
	oa->have_result = true;
}

/* --- our offer ------------------------------------------------------------ */

int oa_make_offer(struct oa *oa, uint16_t port, enum oa_dir dir, char **sdp_out)
{
	struct fmt f[OA_MAX_CODECS + 1];
	struct sb b = {0};
	size_t n = 0;
	uint64_t version;
	char *desc, *body;

	if (oa->pending)
		return -EBUSY; /* one offer at a time (RFC 3264 §4) */
	for (size_t i = 0; i < oa->n_codecs; i++)
		f[n++] = (struct fmt){oa->codecs[i]->pt, oa->codecs[i]};
	if (oa->dtmf)
		f[n++] = (struct fmt){oa->te_pt, codec_event()};
	desc_head(oa, &b);
	desc_audio(oa, &b, port, f, n, dir);
	desc = sb_take(&b);
	if (!desc)
		return -ENOMEM;
	body = body_make(oa, desc, &version);
	if (!body) {
		free(desc);
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
	free(oa->pend_desc);
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

/* Check the answer against our offer (RFC 3264 §6) and read it into *res. */
static int answer_read(struct oa *oa, const struct msdp *sdp, struct oa_result *res, char *why,
		       size_t whylen)
{
	const struct msdp_media *m;
	struct oa_result r = {.pt = -1, .te_pt = -1};
	bool hold = false;
	long port;

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
	for (size_t i = 0; i < m->n_fmts; i++) {
		int pt = m->fmts[i].pt;
		const struct codec *c = NULL;
		bool te = false;

		if (pt >= 0)
			c = offered(oa, pt, &te);
		if (!c && !te)
			return why_fmt(why, whylen, -EPROTO,
				       "answer has format %s we did not offer", m->fmts[i].text);
		if (te && r.te_pt < 0)
			r.te_pt = (int)pt;
		if (c && r.pt < 0) {
			r.pt = c->pt; /* the first common one (§6.1: preference order) */
			snprintf(r.codec, sizeof(r.codec), "%s", c->name);
			r.rate = c->rate;
		}
	}
	if (r.pt < 0)
		return why_fmt(why, whylen, -EPROTO, "answer has no audio format we offered");
	if (conn_addr(msdp_conn_of(sdp, m), (uint16_t)port, &r.remote, &hold) < 0)
		return why_fmt(why, whylen, -EPROTO, "answer has no usable c= address");
	r.remote_port = (uint16_t)port;
	r.remote_dir = remote_dir(sdp, m, hold);
	r.local_dir = dir_local(oa->pend_dir, r.remote_dir);
	r.ptime = remote_ptime(oa, sdp, m);
	*res = r;
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
	commit(oa, oa->pend_desc, oa->pend_version, &r);
	oa->pend_desc = NULL;
	oa->pending = false;
	*res = r;
	return 0;
}

/* --- their offer ------------------------------------------------------------ */

/*
 * The formats of m we answer, in the offerer's order with the offerer's
 * numbers (RFC 3264 §6.1): static types by number, dynamic ones by rtpmap
 * encoding name and clock rate; telephone-event at 8000 Hz only.  Returns
 * how many audio codecs (not counting telephone-event) were found.
 */
static size_t offer_match(const struct oa *oa, const struct msdp_media *m, struct fmt *f,
			  size_t *n)
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

/*
 * Try m as the audio stream we serve: audio, RTP/AVP, a port, a usable
 * c= and a codec in common.  true with f/n and *res filled.
 */
static bool offer_serve(const struct oa *oa, const struct msdp *sdp, const struct msdp_media *m,
			enum oa_dir want, struct fmt *f, size_t *n, struct oa_result *res)
{
	struct oa_result r = {.te_pt = -1};
	long port = m->port;
	bool hold = false;

	if (strcasecmp(m->type, "audio") || strcmp(m->proto, "RTP/AVP") || port <= 0)
		return false;
	if (conn_addr(msdp_conn_of(sdp, m), (uint16_t)port, &r.remote, &hold) < 0)
		return false;
	if (offer_match(oa, m, f, n) == 0)
		return false;
	r.remote_port = (uint16_t)port;
	r.pt = -1;
	for (size_t i = 0; i < *n; i++) {
		bool te = f[i].c->kind == CODEC_EVENT;

		if (te && r.te_pt < 0)
			r.te_pt = f[i].pt;
		if (!te && r.pt < 0) {
			r.pt = f[i].pt;
			snprintf(r.codec, sizeof(r.codec), "%s", f[i].c->name);
			r.rate = f[i].c->rate;
		}
	}
	r.remote_dir = remote_dir(sdp, m, hold);
	r.local_dir = dir_local(want, r.remote_dir);
	r.ptime = remote_ptime(oa, sdp, m);
	*res = r;
	return true;
}

/* Our answer's description to the parsed offer; -ENOTSUP when nothing to serve. */
static int answer_build(const struct oa *oa, const struct msdp *sdp, uint16_t port,
			enum oa_dir want, char **desc_out, struct oa_result *res, char *why,
			size_t whylen)
{
	struct sb b = {0};
	bool served = false;

	desc_head(oa, &b);
	for (size_t i = 0; i < sdp->n_media; i++) {
		const struct msdp_media *m = &sdp->media[i];
		struct fmt f[OA_MAX_FMTS];
		size_t n;

		/* One audio stream: every other line is declined (§6). */
		if (!served && offer_serve(oa, sdp, m, want, f, &n, res)) {
			served = true;
			desc_audio(oa, &b, port, f, n, res->local_dir);
		} else {
			desc_reject(&b, m);
		}
	}
	if (!served) {
		free(b.s);
		return why_fmt(why, whylen, -ENOTSUP, "no common audio codec (we have %s%s)",
			       oa->codecs[0]->name, oa->n_codecs > 1 ? ", ..." : "");
	}
	*desc_out = sb_take(&b);
	return *desc_out ? 0 : -ENOMEM;
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
		free(desc);
		return -ENOMEM;
	}
	commit(oa, desc, version, &r);
	*answer_out = body;
	*res = r;
	return 0;
}
