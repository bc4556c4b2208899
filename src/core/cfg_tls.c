/*
 * cfg_tls: what TLS asks of the config file beyond each key's own value.
 *
 * Owns three checks that cfg.c and cfg_account.c call:
 *
 *   - once the whole file is read, that [tls] certificate and private_key
 *     come together, and that a tls: listen entry has them: a server
 *     without a certificate cannot finish a single handshake, so the file
 *     is refused rather than the daemon failing at start;
 *   - the relative [tls] paths made absolute, by the rule password_file
 *     follows (cfg_path_resolve): the transport reads the files at start
 *     and on every reload, from whatever directory the daemon runs in;
 *   - the syntax of an [account NAME] server_name: a DNS name (RFC 1123
 *     §2.1), since it is matched against a certificate's DNS and URI names
 *     (RFC 5922 §7.2) and sent as SNI (RFC 6066 §3), which carries names
 *     only.  An IP address is refused: a server called by its address has
 *     that address checked, with no name to give.
 *
 * The files themselves are not opened here: core has no OpenSSL.  The
 * daemon has the transport load them (tp_tls_check, tp_tls_set), and
 * names the key's line from cfg_key_line() when that fails.
 *
 *   [sip]
 *   listen = udp:127.0.0.1:5060, tls:127.0.0.1:5061
 *   [tls]
 *   certificate = tls/cert.pem     ; beside the config file
 *   private_key = tls/key.pem      ; mode 0600
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg_int.h"
#include "core/net.h"

#define HOST_NAME_MAX_LEN 253 /* RFC 1035 §2.3.4, without the final dot */
#define LABEL_MAX 63

void cfg_tls_check(const struct cfg *c, const struct cfg_tls_where *w, struct cfg_errs *e)
{
	bool cert = c->tls_certificate[0] != '\0', key = c->tls_private_key[0] != '\0';

	/* A refused value was reported: what follows from it would only repeat it. */
	for (unsigned i = 0; !cert && !w->certificate_bad && !w->listen_bad && i < c->n_listen;
	     i++) {
		if (c->listen[i].proto == NET_TLS)
			cfg_report(e, w->listen,
				   "listen: %s needs [tls] certificate and private_key",
				   c->listen[i].text);
	}
	if (cert && !key && !w->private_key_bad)
		cfg_report(e, w->certificate,
			   "certificate: no private_key: expected [tls] private_key with it");
	if (key && !cert && !w->certificate_bad)
		cfg_report(e, w->private_key,
			   "private_key: no certificate: expected [tls] certificate with it");
}

/* *field made absolute if it is relative. 0 or -ENOMEM. */
static int resolve_one(char **field, const char *cfg_path)
{
	char *abs;

	if (!(*field)[0] || (*field)[0] == '/')
		return 0;
	if (!(abs = cfg_path_resolve(cfg_path, *field)))
		return -ENOMEM;
	free(*field);
	*field = abs;
	return 0;
}

int cfg_tls_resolve(struct cfg *c, const char *cfg_path)
{
	char **paths[] = {&c->tls_certificate, &c->tls_private_key, &c->tls_ca_file,
			  &c->tls_ca_path};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (resolve_one(paths[i], cfg_path) < 0)
			return -ENOMEM;
	}
	return 0;
}

static bool is_let_dig(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* One label, s[0..len): RFC 1123 §2.1, letters, digits and inner hyphens. */
static bool label_ok(const char *s, size_t len)
{
	if (len == 0 || len > LABEL_MAX || !is_let_dig(s[0]) || !is_let_dig(s[len - 1]))
		return false;
	for (size_t i = 1; i + 1 < len; i++) {
		if (!is_let_dig(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

/* The labels of s; the last one not all digits (RFC 3696 §2: no numeric top-level domain). */
static bool host_name_ok(const char *s)
{
	const char *label = s;
	size_t len;
	bool digits = true;

	for (;;) {
		len = strcspn(label, ".");
		if (!label_ok(label, len))
			return false;
		if (!label[len])
			break;
		label += len + 1;
	}
	for (size_t i = 0; i < len; i++)
		digits = digits && label[i] >= '0' && label[i] <= '9';
	return !digits;
}

int cfg_host_name_check(const char *name, const char *val, char *msg, size_t size)
{
	char q[CFG_QUOTE_SZ];
	struct net_addr a;
	size_t len = strlen(val);

	if (len > HOST_NAME_MAX_LEN) {
		snprintf(msg, size, "%s: %zu characters: expected %s", name, len,
			 CFG_HOST_NAME_RANGE);
		return -EINVAL;
	}
	if (net_addr_from_host(&a, val, 0) == 0) {
		snprintf(msg, size,
			 "%s: '%s' is an IP address: expected a host name (a server called by "
			 "its address has that address checked)",
			 name, cfg_quote(val, q, sizeof(q)));
		return -EINVAL;
	}
	if (!host_name_ok(val)) {
		snprintf(msg, size, "%s: '%s' is not a host name: expected %s", name,
			 cfg_quote(val, q, sizeof(q)), CFG_HOST_NAME_RANGE);
		return -EINVAL;
	}
	return 0;
}
