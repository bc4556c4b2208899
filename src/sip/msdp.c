/*
 * msdp: SDP text into struct msdp; see msdp.h.
 *
 * Owns every libosip2 SDP call.  The parsed sdp_message_t stays alive
 * inside the struct msdp (its strings are the ones struct msdp points to),
 * and the structure itself (media, formats, attributes) is one block sized
 * from the parsed lists after they passed the bounds, so a parse is two
 * allocations besides libosip2's own, and msdp_free() two frees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>

#include "core/why.h"
#include "sip/msdp.h"

/*
 * libosip2's sdp_message_parse() can read a few bytes past the NUL (after
 * a lone CR at the end of a line, found by fuzz_sdp): the text is parsed
 * from a copy followed by SDP_PAD NULs, so those reads stay inside it.
 */
#define SDP_PAD 16

static const char *nz(const char *s)
{
	return s ? s : "";
}

long msdp_num(const char *s, long max)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return v;
}

static void conn_read(struct msdp_conn *out, const sdp_connection_t *c)
{
	if (!c)
		return;
	out->present = true;
	out->nettype = nz(c->c_nettype);
	out->addrtype = nz(c->c_addrtype);
	out->addr = nz(c->c_addr);
}

/* Which direction a= line field is; MSDP_DIR_NONE for any other. */
static enum msdp_dir dir_of(const char *field)
{
	static const struct {
		const char *name;
		enum msdp_dir dir;
	} dirs[] = {
	    {"sendrecv", MSDP_SENDRECV},
	    {"sendonly", MSDP_SENDONLY},
	    {"recvonly", MSDP_RECVONLY},
	    {"inactive", MSDP_INACTIVE},
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strcasecmp(field, dirs[i].name) == 0)
			return dirs[i].dir;
	return MSDP_DIR_NONE;
}

/* Of two direction lines, the one that wins (msdp.h): the lower enum value. */
static enum msdp_dir dir_pick(enum msdp_dir cur, enum msdp_dir d)
{
	return cur == MSDP_DIR_NONE || (d != MSDP_DIR_NONE && d < cur) ? d : cur;
}

/* "PT NAME/RATE[/CHANNELS]" onto the formats numbered PT that have none yet. */
static void rtpmap_read(struct msdp_media *m, const char *value)
{
	char name[MSDP_ENC_MAX];
	unsigned pt, rate, ch = 0;

	if (!value || sscanf(value, "%u %31[^/]/%u/%u", &pt, name, &rate, &ch) < 3)
		return;
	for (size_t i = 0; i < m->n_fmts; i++) {
		struct msdp_fmt *f = &m->fmts[i];

		if (f->pt < 0 || (unsigned)f->pt != pt || f->mapped)
			continue;
		f->mapped = true;
		snprintf(f->encoding, sizeof(f->encoding), "%s", name);
		f->rate = rate;
		f->channels = ch;
	}
}

/* "PT PARAMS" onto the formats numbered PT that have none yet. */
static void fmtp_read(struct msdp_media *m, const char *value)
{
	const char *params;
	char *end;
	unsigned long pt;

	if (!value || *value < '0' || *value > '9')
		return;
	pt = strtoul(value, &end, 10);
	params = end + strspn(end, " \t");
	for (size_t i = 0; i < m->n_fmts; i++) {
		struct msdp_fmt *f = &m->fmts[i];

		if (f->pt >= 0 && (unsigned long)f->pt == pt && !f->fmtp)
			f->fmtp = params;
	}
}

/*
 * The a= lines of one level: direction and other attributes; rtpmap and
 * fmtp onto m's formats when m is given.  attrs has room for every line.
 */
static void attrs_read(const osip_list_t *l, struct msdp_media *m, struct msdp_attr *attrs,
		       size_t *n, enum msdp_dir *dir)
{
	osip_list_iterator_t it;
	const sdp_attribute_t *a;

	*n = 0;
	*dir = MSDP_DIR_NONE;
	for (a = osip_list_get_first(l, &it); a; a = osip_list_get_next(&it)) {
		enum msdp_dir d;

		if (!a->a_att_field)
			continue;
		if ((d = dir_of(a->a_att_field)) != MSDP_DIR_NONE) {
			*dir = dir_pick(*dir, d);
		} else if (m && strcasecmp(a->a_att_field, "rtpmap") == 0) {
			rtpmap_read(m, a->a_att_value);
		} else if (m && strcasecmp(a->a_att_field, "fmtp") == 0) {
			fmtp_read(m, a->a_att_value);
		} else {
			attrs[*n].name = a->a_att_field;
			attrs[*n].value = a->a_att_value;
			(*n)++;
		}
	}
}

/* libosip2 over a padded copy of text. 0 with *out (sdp_message_free), or -errno. */
static int lib_parse(const char *text, size_t len, sdp_message_t **out, char *why, size_t whylen)
{
	sdp_message_t *sdp = NULL;
	char *buf;
	int err = 0;

	buf = calloc(1, len + SDP_PAD);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	if (sdp_message_init(&sdp) != OSIP_SUCCESS) {
		err = -ENOMEM;
		goto out;
	}
	if (sdp_message_parse(sdp, buf) != OSIP_SUCCESS || !sdp->v_version) {
		sdp_message_free(sdp);
		err = why_fmt(why, whylen, -EBADMSG, "SDP: does not parse");
		goto out;
	}
	*out = sdp;
out:
	free(buf);
	return err;
}

/* Check the bounds; the formats and attributes the block must hold. */
static int bounds(const sdp_message_t *sdp, size_t *n_fmts, size_t *n_attrs, char *why,
		  size_t whylen)
{
	osip_list_iterator_t it;
	const sdp_media_t *m;
	int nm = osip_list_size(&sdp->m_medias), na = osip_list_size(&sdp->a_attributes);
	size_t i = 0;

	if (nm > MSDP_MAX_MEDIA)
		return why_fmt(why, whylen, -EBADMSG, "SDP: more than %d m= lines", MSDP_MAX_MEDIA);
	if (na > MSDP_MAX_ATTRS)
		return why_fmt(why, whylen, -EBADMSG, "SDP: more than %d session a= lines",
			       MSDP_MAX_ATTRS);
	*n_fmts = 0;
	*n_attrs = na > 0 ? (size_t)na : 0;
	for (m = osip_list_get_first(&sdp->m_medias, &it); m; m = osip_list_get_next(&it)) {
		int nf = osip_list_size(&m->m_payloads);

		na = osip_list_size(&m->a_attributes);
		i++;
		if (nf > MSDP_MAX_FMTS)
			return why_fmt(why, whylen, -EBADMSG,
				       "SDP: m= line %zu has more than %d formats", i,
				       MSDP_MAX_FMTS);
		if (na > MSDP_MAX_ATTRS)
			return why_fmt(why, whylen, -EBADMSG,
				       "SDP: m= line %zu has more than %d a= lines", i,
				       MSDP_MAX_ATTRS);
		*n_fmts += nf > 0 ? (size_t)nf : 0;
		*n_attrs += na > 0 ? (size_t)na : 0;
	}
	return 0;
}

/* One m= line into out; fmts and attrs have room for its formats and a= lines. */
static void media_read(struct msdp_media *out, const sdp_media_t *m, struct msdp_fmt *fmts,
		       struct msdp_attr *attrs)
{
	osip_list_iterator_t it;
	const char *p;

	out->type = nz(m->m_media);
	out->port_text = nz(m->m_port);
	out->port = msdp_num(m->m_port, 65535);
	out->proto = nz(m->m_proto);
	out->fmts = fmts;
	for (p = osip_list_get_first(&m->m_payloads, &it); p; p = osip_list_get_next(&it)) {
		struct msdp_fmt *f = &fmts[out->n_fmts++];

		f->text = p;
		f->pt = (int)msdp_num(p, 127);
	}
	conn_read(&out->conn, osip_list_get_first(&m->c_connections, &it));
	out->attrs = attrs;
	attrs_read(&m->a_attributes, out, attrs, &out->n_attrs, &out->dir);
}

int msdp_parse(const char *text, size_t len, struct msdp **out, char *why, size_t whylen)
{
	osip_list_iterator_t it;
	const sdp_media_t *m;
	sdp_message_t *lib = NULL;
	struct msdp *sdp;
	struct msdp_fmt *fmts;
	struct msdp_attr *attrs;
	size_t n_media, n_fmts = 0, n_attrs = 0;
	int err;

	if (!text || memchr(text, '\0', len))
		return why_fmt(why, whylen, -EBADMSG, "SDP: NUL byte in body");
	if ((err = lib_parse(text, len, &lib, why, whylen)) < 0)
		return err;
	if ((err = bounds(lib, &n_fmts, &n_attrs, why, whylen)) < 0)
		goto out;
	n_media = (size_t)osip_list_size(&lib->m_medias);
	/* One block: the struct, its media, then every format and attribute. */
	sdp = calloc(1, sizeof(*sdp) + n_media * sizeof(sdp->media[0]) + n_fmts * sizeof(*fmts) +
			    n_attrs * sizeof(*attrs));
	if (!sdp) {
		err = -ENOMEM;
		goto out;
	}
	sdp->media = (struct msdp_media *)(sdp + 1);
	fmts = (struct msdp_fmt *)(sdp->media + n_media);
	attrs = (struct msdp_attr *)(fmts + n_fmts);
	sdp->origin.username = nz(lib->o_username);
	sdp->origin.sess_id = nz(lib->o_sess_id);
	sdp->origin.sess_version = nz(lib->o_sess_version);
	sdp->origin.nettype = nz(lib->o_nettype);
	sdp->origin.addrtype = nz(lib->o_addrtype);
	sdp->origin.addr = nz(lib->o_addr);
	conn_read(&sdp->conn, lib->c_connection);
	sdp->attrs = attrs;
	attrs_read(&lib->a_attributes, NULL, attrs, &sdp->n_attrs, &sdp->dir);
	attrs += osip_list_size(&lib->a_attributes);
	for (m = osip_list_get_first(&lib->m_medias, &it); m; m = osip_list_get_next(&it)) {
		struct msdp_media *mm = &sdp->media[sdp->n_media++];

		media_read(mm, m, fmts, attrs);
		fmts += osip_list_size(&m->m_payloads);
		attrs += osip_list_size(&m->a_attributes);
	}
	sdp->lib = lib;
	lib = NULL;
	*out = sdp;
out:
	if (lib)
		sdp_message_free(lib);
	return err;
}

void msdp_free(struct msdp *sdp)
{
	if (!sdp)
		return;
	sdp_message_free(sdp->lib);
	free(sdp);
}

const struct msdp_attr *msdp_attr_find(const struct msdp_attr *attrs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(attrs[i].name, name) == 0)
			return &attrs[i];
	return NULL;
}

const struct msdp_conn *msdp_conn_of(const struct msdp *sdp, const struct msdp_media *m)
{
	return m->conn.present ? &m->conn : &sdp->conn;
}
