/*
 * daemon_accounts: the account table, its reload, the registrations, the
 * account commands and reg.state events.  See daemon_accounts.h.
 *
 * The table is an array in config order (the first account is the
 * default one).  Lookups walk it: a config has a handful of accounts, and
 * a thousand cost a microsecond per incoming request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/daemon_accounts.h"
#include "app/daemon_ctl.h"
#include "app/daemon_int.h"
#include "core/cfg.h"
#include "core/log.h"
#include "ctl/ctl.h"
#include "ctl_proto.h"
#include "sip/sip.h"
#include "ua/account.h"
#include "ua/reg.h"

struct daemon_acct {
	struct account *a; /* the table's reference */
	struct reg *r;	   /* NULL: does not register */
	bool leaving;	   /* removed by a reload: unregistering, then gone */
};

static void acct_account_cfg(const struct cfg_account *ca, struct account_cfg *ac)
{
	*ac = (struct account_cfg){
	    .name = ca->name,
	    .aor = ca->uri,
	    .display = ca->display_name,
	    .auth_user = ca->username,
	    .password = ca->password,
	    .registrar = ca->registrar,
	    .outbound_proxy = ca->outbound_proxy,
	    .reg = ca->reg,
	    .expires = ca->expires,
	    .has_transport = ca->transport >= 0,
	    .transport = ca->transport >= 0 ? (enum net_proto)ca->transport : NET_UDP,
	    .keepalive_s = ca->keepalive_s,
	    .srtp = ca->srtp + 1, /* -1 (not set) is 0 */
	    .server_name = ca->server_name,
	};
}

static void on_reg_event(void *arg, const struct reg_status *st);

static void reg_env_of(struct daemon *dm, const struct cfg *cfg, struct reg_env *env)
{
	*env = (struct reg_env){
	    .tsx = sip_tsx(dm->sip),
	    .clk = dm->clk,
	    .local = sip_local_cb,
	    .local_arg = dm->sip,
	    .dns = dm->dns,
	    .keepalive = sip_keepalive_cb,
	    .keepalive_cancel = sip_keepalive_cancel,
	    .keepalive_arg = dm->sip,
	    .event = on_reg_event,
	    .event_arg = dm,
	    .retry_min_s = cfg->register_retry_min_s,
	    .retry_max_s = cfg->register_retry_max_s,
	};
}

/* Room for one more entry. 0 or -ENOMEM. */
static int grow(struct daemon *dm)
{
	struct daemon_acct *v;
	unsigned cap;

	if (dm->n_accts < dm->cap_accts)
		return 0;
	cap = dm->cap_accts ? dm->cap_accts * 2 : 8;
	if (!(v = realloc(dm->accts, cap * sizeof(*v))))
		return -ENOMEM;
	dm->accts = v;
	dm->cap_accts = cap;
	return 0;
}

/* A new entry for ca at the end (its reg made, not started). 0 or -errno (logged). */
static int add(struct daemon *dm, const struct cfg *cfg, const struct cfg_account *ca,
	       struct daemon_acct **ep)
{
	struct account_cfg ac;
	struct daemon_acct e = {0};
	struct reg_env env;
	int err;

	acct_account_cfg(ca, &ac);
	if ((err = grow(dm)) < 0 || (err = account_new(&e.a, &ac)) < 0) {
		log_err("account %s: %s", ca->name,
			err == -EINVAL ? "its URIs or user name are not usable" : strerror(-err));
		return err;
	}
	if (account_registers(e.a)) {
		reg_env_of(dm, cfg, &env);
		if ((err = reg_new(&e.r, &env, e.a, ++dm->next_reg_id)) < 0) {
			log_err("account %s: cannot make its registration: %s", ca->name,
				strerror(-err));
			account_free(e.a);
			return err;
		}
	}
	dm->accts[dm->n_accts] = e;
	*ep = &dm->accts[dm->n_accts++];
	return 0;
}

int daemon_accounts_init(struct daemon *dm, const struct cfg *cfg)
{
	struct daemon_acct *e;
	unsigned i;
	int err;

	for (i = 0; i < cfg->n_accounts; i++)
		if ((err = add(dm, cfg, &cfg->accounts[i], &e)) < 0)
			return err;
	return 0;
}

static void start_one(struct daemon_acct *e)
{
	struct why why;

	if (e->r && reg_start(e->r, &why) < 0)
		log_warn("account %s: %s", account_name(e->a), why.msg);
}

/*
 * The first REGISTERs (at startup, or of accounts a reload adds): one every
 * 2 ms (1,000 accounts: 2 s), not one burst.  k: e's place in the series.
 */
#define ACCT_STAGGER_MS 2

static void start_later(struct daemon_acct *e, unsigned k)
{
	if (!e->r)
		return;
	if (k == 0)
		start_one(e);
	else if (reg_start_after(e->r, k * ACCT_STAGGER_MS) < 0)
		log_err("account %s: cannot arm its first registration: out of memory",
			account_name(e->a));
}

void daemon_accounts_start(struct daemon *dm)
{
	unsigned k = 0;

	for (unsigned i = 0; i < dm->n_accts; i++)
		if (dm->accts[i].r)
			start_later(&dm->accts[i], k++);
}

static struct daemon_acct *find_entry(const struct daemon *dm, const char *name)
{
	for (unsigned i = 0; i < dm->n_accts; i++)
		if (!dm->accts[i].leaving && strcmp(account_name(dm->accts[i].a), name) == 0)
			return &dm->accts[i];
	return NULL;
}

struct account *daemon_account_find(void *arg, const char *name)
{
	struct daemon *dm = arg;
	struct daemon_acct *e;

	if (!name) {
		for (unsigned i = 0; i < dm->n_accts; i++)
			if (!dm->accts[i].leaving)
				return dm->accts[i].a;
		return dm->account;
	}
	if ((e = find_entry(dm, name)))
		return e->a;
	return strcmp(name, account_name(dm->account)) == 0 ? dm->account : NULL;
}

struct account *daemon_account_for_user(void *arg, const char *user)
{
	struct daemon *dm = arg;

	for (unsigned i = 0; i < dm->n_accts; i++)
		if (!dm->accts[i].leaving && strcmp(account_user(dm->accts[i].a), user) == 0)
			return dm->accts[i].a;
	return NULL;
}

void daemon_accounts_registered(const struct daemon *dm, unsigned *n)
{
	struct reg_status st;

	*n = 0;
	for (unsigned i = 0; i < dm->n_accts; i++)
		if (dm->accts[i].r) {
			reg_status(dm->accts[i].r, &st);
			*n += st.state == REG_REGISTERED;
		}
}

unsigned daemon_accounts_count(const struct daemon *dm)
{
	return dm->n_accts;
}

/* Drop entry i (its reg freed, the table's reference let go). */
static void remove_at(struct daemon *dm, unsigned i)
{
	reg_free(dm->accts[i].r);
	account_free(dm->accts[i].a);
	memmove(&dm->accts[i], &dm->accts[i + 1], (dm->n_accts - i - 1) * sizeof(dm->accts[0]));
	dm->n_accts--;
}

/* Leaving entries whose Expires: 0 is over. */
static void sweep(struct daemon *dm)
{
	for (unsigned i = 0; i < dm->n_accts;) {
		struct daemon_acct *e = &dm->accts[i];

		if (e->leaving && (!e->r || !reg_busy(e->r)))
			remove_at(dm, i);
		else
			i++;
	}
}

static void on_sweep(void *arg)
{
	sweep(arg);
}

/* Removed by a reload: unregister if it may be registered, then leave. */
static void retire(struct daemon *dm, struct daemon_acct *e)
{
	e->leaving = true;
	if (e->r)
		reg_stop(e->r);
	tmr_start(&dm->acct_sweep, 0);
}

void daemon_accounts_reload(struct daemon *dm, const struct cfg *cfg)
{
	unsigned i, j, n_old = dm->n_accts, k = 0;
	bool *seen = calloc(n_old + 1, sizeof(*seen));

	if (!seen) {
		log_err("reload: out of memory; the accounts are kept as they were");
		return;
	}
	for (i = 0; i < cfg->n_accounts; i++) {
		const struct cfg_account *ca = &cfg->accounts[i];
		struct daemon_acct *e = NULL;
		struct account_cfg ac;
		struct account *b = NULL;
		struct why why;

		for (j = 0; j < n_old; j++)
			if (!dm->accts[j].leaving && strcmp(account_name(dm->accts[j].a), ca->name) == 0)
				e = &dm->accts[j];
		acct_account_cfg(ca, &ac);
		if (!e) {
			if (add(dm, cfg, ca, &e) == 0) {
				log_info("reload: account %s added", ca->name);
				start_later(e, k++);
			}
			continue;
		}
		seen[e - dm->accts] = true;
		if (account_same(e->a, &ac))
			continue;
		if (account_new(&b, &ac) < 0) {
			log_err("reload: account %s: its new settings are not usable; kept as it was",
				ca->name);
			continue;
		}
		log_info("reload: account %s changed", ca->name);
		if (e->r && account_registers(b) &&
		    strcmp(account_registrar(e->a), account_registrar(b)) == 0 &&
		    strcmp(account_aor(e->a), account_aor(b)) == 0) {
			/* The same registration with new settings: same Call-ID, registered again. */
			account_free(e->a);
			e->a = b;
			if (reg_set_account(e->r, b, &why) < 0)
				log_warn("account %s: %s", ca->name, why.msg);
			continue;
		}
		/* Another registration, or none: the old one ends, a new entry begins. */
		retire(dm, e);
		account_free(b);
		if (add(dm, cfg, ca, &e) == 0)
			start_later(e, k++);
	}
	for (j = 0; j < dm->n_accts; j++)
		if (dm->accts[j].r)
			reg_set_retry(dm->accts[j].r, cfg->register_retry_min_s,
				      cfg->register_retry_max_s);
	for (j = 0; j < n_old; j++)
		if (!seen[j] && !dm->accts[j].leaving) {
			log_info("reload: account %s removed", account_name(dm->accts[j].a));
			retire(dm, &dm->accts[j]);
		}
	free(seen);
}

/*
 * Expires: 0 for every registration, 1 ms apart (5,000 accounts: 5 s, within
 * the default shutdown_timeout_s), not in one burst whose answers overflow
 * the socket and leave bindings behind.
 */
void daemon_accounts_shutdown(struct daemon *dm)
{
	unsigned k = 0;

	for (unsigned i = 0; i < dm->n_accts; i++)
		if (dm->accts[i].r && reg_stop_after(dm->accts[i].r, k++) < 0)
			reg_stop(dm->accts[i].r);
}

unsigned daemon_accounts_busy(const struct daemon *dm)
{
	unsigned n = 0;

	for (unsigned i = 0; i < dm->n_accts; i++)
		if (dm->accts[i].r && reg_busy(dm->accts[i].r))
			n++;
	return n;
}

void daemon_accounts_free(struct daemon *dm)
{
	while (dm->n_accts)
		remove_at(dm, dm->n_accts - 1);
	free(dm->accts);
	dm->accts = NULL;
	dm->cap_accts = 0;
}

/* ---- events ---- */

static json_t *status_json(const struct reg_status *st)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "account", st->account, "reg", st->handle,
			      "state", reg_state_name(st->state), "registrar", st->registrar);

	if (!o)
		return NULL;
	if (st->contact && st->contact[0])
		json_object_set_new(o, "contact", json_string(st->contact));
	if (st->state == REG_REGISTERED) {
		json_object_set_new(o, "expires", json_integer(st->expires));
		json_object_set_new(o, "expires_left", json_integer(st->expires_left));
	}
	if (st->state == REG_FAILED) {
		json_object_set_new(o, "code", json_integer(st->code));
		json_object_set_new(o, "reason", json_string(st->reason));
		json_object_set_new(o, "retry_in", json_integer(st->retry_in));
	}
	return o;
}

static void on_reg_event(void *arg, const struct reg_status *st)
{
	struct daemon *dm = arg;
	json_t *o = status_json(st);

	if (o) {
		json_object_del(o, "expires_left");
		ctl_event(dm->ctl, "reg.state", o);
	}
	if (st->state == REG_UNREGISTERED)
		tmr_start(&dm->acct_sweep, 0); /* a leaving account may go now */
}

void daemon_accounts_init_timers(struct daemon *dm)
{
	tmr_init(&dm->acct_sweep, dm->clk, on_sweep, dm);
}

/* ---- commands ---- */

/* The account named by the "account" argument, or an error reply and NULL. */
static struct daemon_acct *arg_acct(struct daemon *dm, struct ctl_req *req)
{
	const char *name = json_string_value(json_object_get(req->args, "account"));
	struct daemon_acct *e = name ? find_entry(dm, name) : NULL;

	if (!e)
		ctl_reply_err(req, CTL_ERR_NOT_FOUND, "account",
			      dm->n_accts ? "no account '%s'"
					  : "no account '%s': no [account] section is configured",
			      name ? name : "");
	return e;
}

static json_t *row_json(const struct daemon_acct *e)
{
	struct reg_status st;
	json_t *o;

	if (!e->r)
		return json_pack("{s:s, s:s, s:s}", "account", account_name(e->a), "uri",
				 account_aor(e->a), "state", "none");
	reg_status(e->r, &st);
	o = status_json(&st);
	if (o) {
		json_object_set_new(o, "uri", json_string(account_aor(e->a)));
		if (e->leaving)
			json_object_set_new(o, "leaving", json_true());
	}
	return o;
}

void daemon_accounts_list(struct daemon *dm, struct ctl_req *req)
{
	json_t *rows = json_array();

	for (unsigned i = 0; rows && i < dm->n_accts; i++)
		json_array_append_new(rows, row_json(&dm->accts[i]));
	ctl_reply_ok(req, json_pack("{s:o}", "accounts", rows));
}

void daemon_accounts_info(struct daemon *dm, struct ctl_req *req)
{
	struct daemon_acct *e = arg_acct(dm, req);
	const char *routes[ACCOUNT_MAX_ROUTES];
	size_t n, i;
	json_t *o, *rs;
	int t;

	if (!e)
		return;
	o = row_json(e);
	if (!o) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "out of memory");
		return;
	}
	if (account_display(e->a))
		json_object_set_new(o, "display_name", json_string(account_display(e->a)));
	json_object_set_new(o, "user", json_string(account_user(e->a)));
	/* Whether there is a password, never what it is. */
	json_object_set_new(o, "password", json_string(account_cred(e->a) ? "set" : "none"));
	json_object_set_new(o, "register", json_boolean(account_registers(e->a)));
	if (account_registrar(e->a))
		json_object_set_new(o, "registrar", json_string(account_registrar(e->a)));
	if (account_outbound_proxy(e->a))
		json_object_set_new(o, "outbound_proxy",
				    json_string(account_outbound_proxy(e->a)));
	json_object_set_new(o, "expires_asked", json_integer(account_expires(e->a)));
	t = account_transport(e->a);
	json_object_set_new(o, "transport",
			    json_string(t < 0 ? "auto" : net_proto_name((enum net_proto)t)));
	json_object_set_new(o, "keepalive_interval", json_integer(account_keepalive(e->a)));
	rs = json_array();
	n = account_routes(e->a, routes, ACCOUNT_MAX_ROUTES);
	for (i = 0; rs && i < n; i++)
		json_array_append_new(rs, json_string(routes[i]));
	json_object_set_new(o, "route_set", rs);
	if (e->r) {
		struct reg_status st;

		reg_status(e->r, &st);
		json_object_set_new(o, "attempts", json_integer((json_int_t)st.attempts));
		json_object_set_new(o, "failures", json_integer((json_int_t)st.failures));
	}
	ctl_reply_ok(req, o);
}

/* The account of the "account" argument, if it registers; else an error reply and NULL. */
static struct daemon_acct *arg_reg_acct(struct daemon *dm, struct ctl_req *req)
{
	struct daemon_acct *e = arg_acct(dm, req);

	if (e && !e->r) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL,
			      "account %s does not register (no registrar, or register = no)",
			      account_name(e->a));
		return NULL;
	}
	return e;
}

void daemon_accounts_register(struct daemon *dm, struct ctl_req *req)
{
	struct daemon_acct *e = arg_reg_acct(dm, req);
	struct why why;

	if (!e)
		return;
	if (reg_start(e->r, &why) < 0) {
		ctl_reply_err(req, CTL_ERR_FAILED, NULL, "%s", why.msg);
		return;
	}
	ctl_reply_ok(req, row_json(e));
}

void daemon_accounts_unregister(struct daemon *dm, struct ctl_req *req)
{
	struct daemon_acct *e = arg_reg_acct(dm, req);

	if (!e)
		return;
	reg_stop(e->r);
	ctl_reply_ok(req, row_json(e));
}
