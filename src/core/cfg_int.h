/*
 * cfg_int: what cfg.c (the file, the fixed sections, the key table),
 * cfg_account.c (the [account NAME] sections) and cfg_tls.c (what TLS asks
 * of the file) share, and nobody else: the error sink, the quoting of
 * values in messages, the integer parser, the resolution of relative
 * paths, and the account and TLS modules' entry points, which cfg.c calls
 * as it reads the file.
 */
#ifndef SIPUAD_CFG_INT_H
#define SIPUAD_CFG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/cfg.h"

/* Longest value quoted in a message, and a buffer that holds it quoted. */
#define CFG_QUOTE_MAX 64
#define CFG_QUOTE_SZ (CFG_QUOTE_MAX * 4 + 8)

/* The section of the account rows, as the man page and messages write it. */
#define CFG_ACCOUNT_SECTION "account NAME"

/* Where one file's errors go: "PATH:LINE: message" lines, all counted, CFG_MAX_ERRS shown. */
struct cfg_errs {
	const char *path;
	FILE *out; /* open_memstream */
	unsigned n;
};

__attribute__((format(printf, 3, 4))) void cfg_report(struct cfg_errs *e, unsigned line,
						      const char *fmt, ...);
__attribute__((format(printf, 3, 0))) void cfg_vreport(struct cfg_errs *e, unsigned line,
						       const char *fmt, va_list ap);
/* s fit for a message: non-printables as \xHH, cut at CFG_QUOTE_MAX with "...". Returns buf. */
const char *cfg_quote(const char *s, char *buf, size_t size);
/*
 * A decimal integer lo..hi (range: "lo..hi", for the message) into *out.
 * 0, or -EINVAL / -ERANGE with msg saying "NAME: ..." and *out untouched.
 */
int cfg_parse_uint(const char *name, const char *val, unsigned lo, unsigned hi, const char *range,
		   unsigned *out, char *msg, size_t size);

/*
 * Where a relative path written in the file cfg_path names a file:
 * in $CREDENTIALS_DIRECTORY (systemd's LoadCredential=) when that is set,
 * else in the config file's directory; an absolute one as it is.
 * malloc'd; NULL: no memory.  (cfg_account.c, for password_file and [tls].)
 */
char *cfg_path_resolve(const char *cfg_path, const char *val);

/* What a server_name takes, for the key table and messages. */
#define CFG_HOST_NAME_RANGE                                                                        \
	"a host name: dot-separated labels of 1..63 letters, digits and inner -, at most 253 "     \
	"characters"

/* cfg_tls.c: where the keys cfg_tls_check() looks at were set (0: not), and whether refused. */
struct cfg_tls_where {
	unsigned listen, certificate, private_key;
	bool listen_bad, certificate_bad, private_key_bad;
};
/*
 * Once the file is read: [tls] certificate and private_key go together,
 * and every tls: listen entry needs them.  Errors to e, on the lines of w.
 */
void cfg_tls_check(const struct cfg *c, const struct cfg_tls_where *w, struct cfg_errs *e);
/* The relative [tls] paths made absolute (cfg_path_resolve). 0 or -ENOMEM. */
int cfg_tls_resolve(struct cfg *c, const char *cfg_path);
/* [account] server_name: a DNS name, not an IP address.  0, or -EINVAL with msg "NAME: ...". */
int cfg_host_name_check(const char *name, const char *val, char *msg, size_t size);

/*
 * cfg_account.c: the reading of one file's [account NAME] sections into
 * cfg->accounts.  cfg.c hands over each header that names an account
 * section, each KEY = VALUE under an accepted one, and each section's end
 * (the next header, or the end of the file); errors go to errs.
 */
struct cfg_account_parse;

/* cfg_path: the config file, whose directory a relative password_file is in. 0 or -ENOMEM. */
int cfg_account_parse_new(struct cfg_account_parse **app, struct cfg *cfg, struct cfg_errs *errs,
			  const char *cfg_path);
/* NULL is a no-op; the accounts read stay in the cfg. */
void cfg_account_parse_free(struct cfg_account_parse *ap);
/* Whether the header text between the brackets is "account", alone or with a name. */
bool cfg_account_is_section(const char *section);
/*
 * A header cfg_account_is_section() took, on line: 0 (the keys after it
 * are the new account's), -EINVAL (refused and reported: its keys are not
 * read), -ENOMEM.
 */
int cfg_account_header(struct cfg_account_parse *ap, const char *section, unsigned line);
/* KEY = VALUE on line, in the account of the last header taken.  0 or -ENOMEM. */
int cfg_account_pair(struct cfg_account_parse *ap, const char *key, const char *value,
		     unsigned line);
/* The open account section (if any) ends: required keys, defaults.  0 or -ENOMEM. */
int cfg_account_end_section(struct cfg_account_parse *ap);
/* Free n accounts and the array, passwords wiped first. */
void cfg_account_free_all(struct cfg_account *accounts, unsigned n);

/* The account rows of the key table. */
size_t cfg_account_key_count(void);
const struct cfg_key_info *cfg_account_key_at(size_t i);

#endif
