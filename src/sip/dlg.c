/*
 * dlg: SIP dialogs, RFC 3261 §12.  See dlg.h for what it owns and the
 * choices it makes.
 *
 * The table is an htab keyed by "Call-ID NUL local-tag NUL remote-tag";
 * the key lives in the dialog.  URIs, Contact and Record-Route are read
 * through the message layer's accessors, as text.  The lines every request
 * in the dialog repeats (To, From, Call-ID, Route, Contact, User-Agent)
 * are kept as bytes, made once and again only when one of them changes,
 * and each request is written around them (msg_build_dlg_request()).
 * libosip2 stays behind msg.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rnd.h"
#include "sip/dlg.h"

#define CSEQ_LIMIT 0x80000000u /* §8.1.1.5: CSeq below 2^31 */
#define CSEQ_START 0x40000000u /* random first local CSeq in [1, 2^30] */

struct dlg_table {
	struct htab *h;
	struct htab *early; /* UAC early dialogs by "Call-ID NUL local-tag", a prefix of their key */
	unsigned next_id;
};

int dlg_table_new(struct dlg_table **tp)
{
	struct dlg_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	if (htab_new(&t->h) < 0 || htab_new(&t->early) < 0) {
		htab_free(t->h);
		free(t);
		return -ENOMEM;
	}
	*tp = t;
	return 0;
}

static void free_cb(struct htab_node *n, void *arg)
{
	(void)arg;
	dlg_free(container_of(n, struct dlg, node));
}

void dlg_table_free(struct dlg_table *t)
{
	if (!t)
		return;
	htab_foreach(t->h, free_cb, NULL);
	htab_free(t->h);
	htab_free(t->early);
	free(t);
}

size_t dlg_table_count(const struct dlg_table *t)
{
	return htab_count(t->h);
}

/* "call_id\0ltag\0rtag" into buf; its length in *lenp. 0 or -EINVAL (too long). */
static int make_key(char *buf, size_t size, const char *call_id, const char *ltag, const char *rtag,
		    size_t *lenp)
{
	size_t a = strlen(call_id), b = strlen(ltag), c = strlen(rtag);

	if (a + b + c + 2 > size)
		return -EINVAL;
	memcpy(buf, call_id, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, ltag, b);
	buf[a + 1 + b] = '\0';
	memcpy(buf + a + b + 2, rtag, c);
	*lenp = a + b + c + 2;
	return 0;
}

static void routes_free(char **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i]);
	free(r);
}

struct route_set {
	char **r;
	size_t n;
	char *strict; /* route[0]'s URI if it lacks ;lr */
};

/*
 * The route set from m's Record-Route (§12.1.1 in order, §12.1.2
 * reversed), and whether its first entry is a strict router (§12.2.1.1).
 */
static int route_set_read(const struct sip_msg *m, bool reverse, struct route_set *rs)
{
	char *uri = NULL;
	bool lr = true;
	int n, got, err = 0;

	memset(rs, 0, sizeof(*rs));
	if ((n = msg_record_routes(m, NULL, 0)) <= 0)
		return n;
	if (!(rs->r = calloc((size_t)n, sizeof(*rs->r))))
		return -ENOMEM;
	if ((got = msg_record_routes(m, rs->r, (size_t)n)) < 0) {
		free(rs->r);
		rs->r = NULL;
		return got;
	}
	rs->n = (size_t)n;
	for (size_t i = 0; reverse && i < rs->n / 2; i++) {
		char *t = rs->r[i];

		rs->r[i] = rs->r[rs->n - 1 - i];
		rs->r[rs->n - 1 - i] = t;
	}
	/* An entry whose URI does not parse back is taken as a loose router. */
	if ((err = msg_route_uri(rs->r[0], &uri, &lr)) == 0 && !lr)
		rs->strict = uri;
	else
		free(uri);
	if (err == -EINVAL)
		err = 0;
	if (err < 0) {
		routes_free(rs->r, rs->n);
		memset(rs, 0, sizeof(*rs));
	}
	return err;
}

/* The kept lines are stale: the next request makes them again. */
static void lines_drop(struct dlg *d)
{
	free(d->lines);
	free(d->lines_contact);
	free(d->lines_ua);
	d->lines = d->lines_contact = d->lines_ua = NULL;
	d->lines_len = 0;
}

static void route_set_take(struct dlg *d, struct route_set *rs)
{
	lines_drop(d);
	routes_free(d->route, d->n_route);
	free(d->strict_uri);
	d->route = rs->r;
	d->n_route = rs->n;
	d->strict_uri = rs->strict;
	memset(rs, 0, sizeof(*rs));
}

static void dlg_release(struct dlg *d)
{
	free(d->call_id);
	free(d->local_tag);
	free(d->remote_tag);
	free(d->local_uri);
	free(d->remote_uri);
	free(d->remote_target);
	routes_free(d->route, d->n_route);
	free(d->strict_uri);
	lines_drop(d);
	free(d->key);
	free(d);
}

/* Allocate d with its id and key; -EEXIST if t holds that id. */
static int dlg_alloc(struct dlg_table *t, struct dlg **dp, const char *call_id, const char *ltag,
		     const char *rtag)
{
	char key[DLG_KEY_MAX];
	struct dlg *d;
	size_t len;

	if (!call_id || !ltag || !rtag || !ltag[0] || !rtag[0] ||
	    make_key(key, sizeof(key), call_id, ltag, rtag, &len) < 0)
		return -EINVAL;
	if (htab_find(t->h, key, len))
		return -EEXIST;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->call_id = strdup(call_id);
	d->local_tag = strdup(ltag);
	d->remote_tag = strdup(rtag);
	d->key = malloc(len);
	if (!d->call_id || !d->local_tag || !d->remote_tag || !d->key) {
		dlg_release(d);
		return -ENOMEM;
	}
	memcpy(d->key, key, len);
	d->keylen = len;
	*dp = d;
	return 0;
}

/* Put d into t, give it a handle. */
static void dlg_link(struct dlg_table *t, struct dlg *d)
{
	snprintf(d->handle, sizeof(d->handle), "d%u", ++t->next_id);
	d->tab = t;
	htab_insert(t->h, &d->node, d->key, d->keylen);
	d->linked = true;
	if (d->is_uac && d->state == DLG_EARLY) {
		htab_insert(t->early, &d->early_node, d->key,
			    strlen(d->call_id) + 1 + strlen(d->local_tag));
		d->early_linked = true;
	}
	log_debug("%s: %s %s dialog, Call-ID %s", d->handle,
		  d->state == DLG_EARLY ? "early" : "confirmed", d->is_uac ? "UAC" : "UAS",
		  d->call_id);
}

int dlg_uas_new(struct dlg_table *t, struct dlg **dp, const struct sip_msg *req,
		const char *local_tag)
{
	struct route_set rs;
	struct dlg *d = NULL;
	int err;

	if (!req->is_request)
		return -EINVAL;
	if ((err = dlg_alloc(t, &d, req->call_id, local_tag, req->from_tag)) < 0)
		return err;
	d->state = DLG_EARLY;
	d->remote_cseq = req->cseq;
	d->remote_cseq_set = true;
	if ((err = msg_to_uri(req, &d->local_uri)) < 0 ||
	    (err = msg_from_uri(req, &d->remote_uri)) < 0)
		goto out;
	if ((err = msg_contact_uri(req, 0, &d->remote_target)) < 0) {
		err = err == -ENOENT ? -EINVAL : err;
		goto out;
	}
	if ((err = route_set_read(req, false, &rs)) < 0)
		goto out;
	route_set_take(d, &rs);
	dlg_link(t, d);
	*dp = d;
out:
	if (err < 0)
		dlg_release(d);
	return err;
}

int dlg_uac_new(struct dlg_table *t, struct dlg **dp, const struct sip_msg *invite,
		const struct sip_msg *resp)
{
	struct route_set rs;
	struct dlg *d = NULL;
	int err;

	if (resp->is_request || resp->status <= 100 || resp->status >= 300 || !invite->is_request)
		return -EINVAL;
	if ((err = dlg_alloc(t, &d, invite->call_id, invite->from_tag, resp->to_tag)) < 0)
		return err;
	d->is_uac = true;
	d->state = resp->status < 200 ? DLG_EARLY : DLG_CONFIRMED;
	d->local_cseq = d->invite_cseq = invite->cseq;
	d->local_cseq_set = d->invite_cseq_set = true;
	if ((err = msg_from_uri(invite, &d->local_uri)) < 0 ||
	    (err = msg_to_uri(invite, &d->remote_uri)) < 0)
		goto out;
	/* §12.1.2: a 1xx may come without Contact; a 2xx must carry one (§13.3.1.4). */
	if ((err = msg_contact_uri(resp, 0, &d->remote_target)) < 0) {
		if (err != -ENOENT || d->state == DLG_CONFIRMED) {
			err = err == -ENOENT ? -EINVAL : err;
			goto out;
		}
		err = 0;
	}
	if ((err = route_set_read(resp, true, &rs)) < 0)
		goto out;
	route_set_take(d, &rs);
	dlg_link(t, d);
	*dp = d;
out:
	if (err < 0)
		dlg_release(d);
	return err;
}

static void early_unlink(struct dlg *d)
{
	if (d->early_linked) {
		htab_remove(d->tab->early, &d->early_node);
		d->early_linked = false;
	}
}

int dlg_confirm(struct dlg *d, const struct sip_msg *resp)
{
	struct route_set rs;
	char *target = NULL;
	int err;

	if (d->is_uac) {
		/* §13.2.2.4: the route set is recomputed from the 2xx. */
		if (!resp)
			return -EINVAL;
		if ((err = msg_contact_uri(resp, 0, &target)) < 0)
			return err == -ENOENT ? -EINVAL : err;
		if ((err = route_set_read(resp, true, &rs)) < 0) {
			free(target);
			return err;
		}
		route_set_take(d, &rs);
		free(d->remote_target);
		d->remote_target = target; /* route_set_take() dropped the lines */
	}
	d->state = DLG_CONFIRMED;
	early_unlink(d);
	return 0;
}

size_t dlg_table_end_early(struct dlg_table *t, const char *call_id, const char *local_tag)
{
	char key[DLG_KEY_MAX];
	struct htab_node *n, *next;
	size_t len, ended = 0;

	/* "call_id NUL local_tag NUL x": the prefix before the x is the index's key. */
	if (!call_id || !local_tag || make_key(key, sizeof(key), call_id, local_tag, "x", &len) < 0)
		return 0;
	len -= 2;
	for (n = htab_find(t->early, key, len); n; n = next) {
		struct dlg *d = container_of(n, struct dlg, early_node);

		next = htab_find_next(t->early, n);
		log_debug("%s: early dialog ended with the INVITE's final response", d->handle);
		dlg_free(d);
		ended++;
	}
	return ended;
}

struct dlg *dlg_match(const struct dlg_table *t, const struct sip_msg *m)
{
	const char *ltag = m->is_request ? m->to_tag : m->from_tag;
	const char *rtag = m->is_request ? m->from_tag : m->to_tag;
	char key[DLG_KEY_MAX];
	struct htab_node *n;
	size_t len;

	if (!m->call_id || !ltag || !rtag ||
	    make_key(key, sizeof(key), m->call_id, ltag, rtag, &len) < 0)
		return NULL;
	n = htab_find(t->h, key, len);
	return n ? container_of(n, struct dlg, node) : NULL;
}

static bool is_method(const char *m, const char *name)
{
	return m && strcmp(m, name) == 0;
}

int dlg_check_remote_cseq(struct dlg *d, const struct sip_msg *req)
{
	if (is_method(req->method, "ACK") || is_method(req->method, "CANCEL"))
		return 0;
	if (d->remote_cseq_set && req->cseq <= d->remote_cseq)
		return -ERANGE;
	d->remote_cseq = req->cseq;
	d->remote_cseq_set = true;
	return 0;
}

int dlg_refresh_target(struct dlg *d, const struct sip_msg *m)
{
	char *target = NULL;
	int err;

	if ((err = msg_contact_uri(m, 0, &target)) < 0)
		return err == -EINVAL ? -ENOENT : err;
	lines_drop(d); /* the Request-URI, or a strict route's last entry */
	free(d->remote_target);
	d->remote_target = target;
	return 0;
}

int dlg_next_cseq(struct dlg *d, uint32_t *cseq)
{
	uint32_t next;

	if (!d->local_cseq_set)
		next = 1 + rnd_uniform(CSEQ_START);
	else if (d->local_cseq + 1 >= CSEQ_LIMIT)
		return -ERANGE;
	else
		next = d->local_cseq + 1;
	d->local_cseq = next;
	d->local_cseq_set = true;
	*cseq = next;
	return 0;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int dup_or_null(char **dst, const char *s)
{
	*dst = NULL;
	return s && !(*dst = strdup(s)) ? -ENOMEM : 0;
}

/*
 * d's lines for loc, made if it has none or they hold another Contact or
 * User-Agent (an account's address changed).  §12.2.1.1 picks the Route
 * set: none or loose (route[0] has ;lr): the route set as it is; strict:
 * the rest of it, then the remote target.
 */
static int lines_make(struct dlg *d, const struct dlg_local *loc)
{
	struct msg_dlg_ids ids = {
	    .ruri = d->strict_uri ? d->strict_uri : d->remote_target,
	    .remote_uri = d->remote_uri,
	    .remote_tag = d->remote_tag,
	    .local_uri = d->local_uri,
	    .local_tag = d->local_tag,
	    .call_id = d->call_id,
	    .route = d->strict_uri ? d->route + 1 : d->route,
	    .n_route = d->strict_uri ? d->n_route - 1 : d->n_route,
	    .route_last = d->strict_uri ? d->remote_target : NULL,
	    .contact = loc->contact,
	    .user_agent = loc->user_agent,
	};
	int err;

	if (d->lines && same_str(d->lines_contact, loc->contact) &&
	    same_str(d->lines_ua, loc->user_agent))
		return 0;
	lines_drop(d);
	if ((err = msg_dlg_lines(&d->lines, &d->lines_len, &ids)) < 0)
		return err;
	if (dup_or_null(&d->lines_contact, loc->contact) < 0 ||
	    dup_or_null(&d->lines_ua, loc->user_agent) < 0) {
		lines_drop(d);
		return -ENOMEM;
	}
	return 0;
}

int dlg_build_request(struct sip_msg **mp, struct dlg *d, const char *method,
		      const struct dlg_local *loc)
{
	struct msg_dlg_req r = {0};
	bool ack = is_method(method, "ACK");
	uint32_t cseq;
	int err;

	if (!method || is_method(method, "CANCEL") || !d->remote_target ||
	    (ack && !d->invite_cseq_set))
		return -EINVAL;
	if ((err = lines_make(d, loc)) < 0)
		return err;
	if (ack)
		cseq = d->invite_cseq;
	else if ((err = dlg_next_cseq(d, &cseq)) < 0)
		return err;
	r.method = method;
	r.ruri = d->strict_uri ? d->strict_uri : d->remote_target;
	r.cseq = cseq;
	r.via_proto = loc->via_proto;
	r.via_addr = loc->via_addr;
	r.lines = d->lines;
	r.lines_len = d->lines_len;
	r.call_id = d->call_id;
	r.from_tag = d->local_tag;
	r.to_tag = d->remote_tag;
	if ((err = msg_build_dlg_request(mp, &r)) < 0)
		return err;
	if (is_method(method, "INVITE")) {
		d->invite_cseq = cseq;
		d->invite_cseq_set = true;
	}
	return 0;
}

void dlg_unbuild(struct dlg *d, const struct sip_msg *m)
{
	if (is_method(m->method, "ACK") || !d->local_cseq_set || m->cseq != d->local_cseq ||
	    d->local_cseq <= 1)
		return;
	d->local_cseq--;
}

void dlg_remove(struct dlg *d)
{
	if (!d || !d->linked)
		return;
	htab_remove(d->tab->h, &d->node);
	d->linked = false;
	early_unlink(d);
}

void dlg_free(struct dlg *d)
{
	if (!d)
		return;
	dlg_remove(d);
	dlg_release(d);
}
