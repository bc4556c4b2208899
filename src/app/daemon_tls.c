/*
 * daemon_tls: [tls] from the config to the transport, at start, on reload
 * and for --check-config.  See daemon_tls.h for when a failure is fatal.
 *
 * The transport (sip/tp.h) reads the files and says what failed in words
 * that name the file ("/etc/sipuad/tls/key.pem: key values mismatch");
 * this module puts the key and the line of the config in front, so that
 * the message reads like every other config error:
 *
 *   /etc/sipuad.conf:31: private_key: /etc/sipuad/tls/key.pem: readable
 *   by group or others (chmod 600 it)
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/daemon_int.h"
#include "app/daemon_tls.h"
#include "core/cfg.h"
#include "core/log.h"
#include "sip/sip.h"
#include "sip/tp.h"

/* A loading failure in words: OpenSSL's reasons with a path fit in this. */
#define WHY_MAX 512

static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

void daemon_tls_cfg(const struct cfg *cfg, struct tp_tls_cfg *out)
{
	*out = (struct tp_tls_cfg){
	    .certificate = or_null(cfg->tls_certificate),
	    .private_key = or_null(cfg->tls_private_key),
	    .ca_file = or_null(cfg->tls_ca_file),
	    .ca_path = or_null(cfg->tls_ca_path),
	    .ciphers = or_null(cfg->tls_ciphers),
	    .verify_server = cfg->tls_verify_server != 0,
	    .verify_client = cfg->tls_verify_client == CFG_VERIFY_REQUIRE    ? TP_VERIFY_REQUIRE
			     : cfg->tls_verify_client == CFG_VERIFY_OPTIONAL ? TP_VERIFY_OPTIONAL
									     : TP_VERIFY_NO,
	    .session_cache = cfg->tls_session_cache != 0,
	    .handshake_timeout_s = cfg->tls_handshake_timeout_s,
	};
}

/* A URI that asks for TLS: sips:, or ;transport=tls among its parameters. */
static bool uri_tls(const char *uri)
{
	const char *p;

	if (!uri)
		return false;
	if (strncasecmp(uri, "sips:", 5) == 0)
		return true;
	for (p = strchr(uri, ';'); p; p = strchr(p + 1, ';')) {
		if (strncasecmp(p, ";transport=tls", 14) == 0 && (!p[14] || strchr(";?>", p[14])))
			return true;
	}
	return false;
}

bool daemon_tls_wanted(const struct cfg *cfg)
{
	if (cfg->tls_certificate[0] || cfg->tls_private_key[0] || cfg->tls_ca_file[0] ||
	    cfg->tls_ca_path[0] || cfg->tls_ciphers[0])
		return true;
	for (unsigned i = 0; i < cfg->n_listen; i++) {
		if (cfg->listen[i].proto == NET_TLS)
			return true;
	}
	for (unsigned i = 0; i < cfg->n_accounts; i++) {
		const struct cfg_account *a = &cfg->accounts[i];

		if (a->transport == (int)NET_TLS || uri_tls(a->uri) || uri_tls(a->registrar) ||
		    uri_tls(a->outbound_proxy))
			return true;
	}
	return false;
}

/* why starts with path and a colon: it is about that file. */
static bool names_file(const char *why, const char *path)
{
	size_t n = strlen(path);

	return n && strncmp(why, path, n) == 0 && why[n] == ':';
}

const char *daemon_tls_culprit(const struct cfg *cfg, int err, const char *why)
{
	static const struct {
		const char *key;
		size_t off;
	} files[] = {
	    {"private_key", offsetof(struct cfg, tls_private_key)},
	    {"certificate", offsetof(struct cfg, tls_certificate)},
	    {"ca_file", offsetof(struct cfg, tls_ca_file)},
	    {"ca_path", offsetof(struct cfg, tls_ca_path)},
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *path = *(char *const *)(const void *)((const char *)cfg + files[i].off);

		if (path && names_file(why, path))
			return files[i].key;
	}
	if (err == -EPERM && cfg->tls_private_key[0])
		return "private_key";
	if (cfg->tls_ciphers[0] && strstr(why, "cipher"))
		return "ciphers";
	return NULL;
}

void daemon_tls_msg(const struct cfg *cfg, const char *path, int err, const char *why, char *buf,
		    size_t size)
{
	const char *key = daemon_tls_culprit(cfg, err, why);
	unsigned line = key ? cfg_key_line(cfg, "tls", key) : 0;

	if (line)
		snprintf(buf, size, "%s:%u: %s: %s", path, line, key, why);
	else
		snprintf(buf, size, "%s: [tls]: %s", path, why);
}

int daemon_tls_check(const struct cfg *cfg, const char *path, FILE *f)
{
	struct tp_tls_cfg tc;
	char why[WHY_MAX], msg[WHY_MAX + 256];
	int err;

	if (!daemon_tls_wanted(cfg))
		return 0;
	daemon_tls_cfg(cfg, &tc);
	why[0] = '\0';
	if ((err = tp_tls_check(&tc, why, sizeof(why))) == 0)
		return 0;
	daemon_tls_msg(cfg, path, err, why[0] ? why : strerror(-err), msg, sizeof(msg));
	fprintf(f, "%s\n", msg);
	return err;
}

/* "[tls] private_key: WHY" / "[tls]: WHY", for the log. */
static void log_text(const struct cfg *cfg, int err, const char *why, char *buf, size_t size)
{
	const char *key = daemon_tls_culprit(cfg, err, why);

	snprintf(buf, size, "[tls]%s%s: %s", key ? " " : "", key ? key : "", why);
}

int daemon_tls_start(struct daemon *dm)
{
	struct tp_tls_cfg tc;
	char why[WHY_MAX], text[WHY_MAX + 64];
	int err;

	daemon_tls_cfg(dm->cfg, &tc);
	why[0] = '\0';
	err = sip_tls_set(dm->sip, &tc, why, sizeof(why));
	dm->tls_ok = err == 0;
	if (err == 0) {
		if (tc.certificate)
			log_info("TLS certificate %s", tc.certificate);
		return 0;
	}
	log_text(dm->cfg, err, why[0] ? why : strerror(-err), text, sizeof(text));
	if (daemon_tls_wanted(dm->cfg)) {
		log_err("cannot start: %s", text);
		return err;
	}
	/* Nobody asked for TLS: the daemon runs, and a sips: destination fails when used. */
	log_warn("TLS is unavailable (%s): sips: and ;transport=tls destinations cannot be reached",
		 text);
	return 0;
}

/* A TLS listener runs until a restart: settings without a certificate cannot serve it. */
static int listener_check(const struct daemon *dm, const struct cfg *n, char *why, size_t size)
{
	char a[NET_ADDR_STRLEN];

	if (n->tls_certificate[0])
		return 0;
	for (unsigned i = 0; i < dm->n_listeners; i++) {
		if (dm->listeners[i].proto != NET_TLS)
			continue;
		snprintf(why, size,
			 "no certificate, but the listener tls:%s runs until a restart: expected "
			 "certificate and private_key",
			 net_addr_fmt(&dm->listeners[i].addr, a, sizeof(a)));
		return -ENOKEY;
	}
	return 0;
}

/* The running [tls] values into n, since they stay in force; n's go to old, to be freed. */
static void keep_running(struct cfg *n, struct cfg *old)
{
	char **fields[][2] = {
	    {&n->tls_certificate, &old->tls_certificate},
	    {&n->tls_private_key, &old->tls_private_key},
	    {&n->tls_ca_file, &old->tls_ca_file},
	    {&n->tls_ca_path, &old->tls_ca_path},
	    {&n->tls_ciphers, &old->tls_ciphers},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *t = *fields[i][0];

		*fields[i][0] = *fields[i][1];
		*fields[i][1] = t;
	}
	n->tls_verify_server = old->tls_verify_server;
	n->tls_verify_client = old->tls_verify_client;
	n->tls_session_cache = old->tls_session_cache;
	n->tls_handshake_timeout_s = old->tls_handshake_timeout_s;
}

/* The [tls] keys that are not files are the same in a and b. */
static bool same_switches(const struct cfg *a, const struct cfg *b)
{
	return a->tls_verify_server == b->tls_verify_server &&
	       a->tls_verify_client == b->tls_verify_client &&
	       a->tls_session_cache == b->tls_session_cache &&
	       a->tls_handshake_timeout_s == b->tls_handshake_timeout_s;
}

int daemon_tls_reload(struct daemon *dm, struct cfg *n, char *errs, size_t size)
{
	struct tp_tls_cfg tc;
	char why[WHY_MAX], text[WHY_MAX + 64];
	int err;

	/*
	 * Neither the running config nor the new one speaks of TLS: the
	 * contexts would be rebuilt from the same (empty) settings, reading
	 * the system's CA store again: a few ms each, and a script that
	 * reloads often pays it every time.
	 */
	if (!daemon_tls_wanted(n) && !daemon_tls_wanted(dm->cfg) && same_switches(n, dm->cfg))
		return 0;
	why[0] = '\0';
	daemon_tls_cfg(n, &tc);
	if ((err = listener_check(dm, n, why, sizeof(why))) == 0 &&
	    (err = sip_tls_set(dm->sip, &tc, why, sizeof(why))) == 0) {
		dm->tls_ok = true;
		return 0;
	}
	if (!why[0])
		snprintf(why, sizeof(why), "%s", strerror(-err));
	if (!daemon_tls_wanted(n) && err != -ENOKEY) {
		log_text(n, err, why, text, sizeof(text));
		log_warn("reload: TLS is %s (%s)", dm->tls_ok ? "as before" : "unavailable", text);
		keep_running(n, dm->cfg);
		return 0;
	}
	daemon_tls_msg(n, dm->cfg_path, err, why, errs, size);
	log_err("reload: %s; the running [tls] settings are kept", errs);
	keep_running(n, dm->cfg);
	return err;
}
