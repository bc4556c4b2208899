/*
 * daemon_tls: the daemon's side of TLS: the [tls] section as the
 * transport takes it (struct tp_tls_cfg), loaded at start before the
 * listeners, again on every reload, and by --check-config; the messages
 * that name the key (and its line) whose file failed to load.
 *
 * When the transport is asked to load the settings, and what a failure
 * means:
 *   - TLS is "wanted" when the file asks for it: a [tls] file or cipher
 *     list, a tls: listener, or an account that uses TLS (transport = tls,
 *     a sips: URI, ;transport=tls).  Then a failure at start is fatal, a
 *     failure on reload is an error of the reload, and --check-config
 *     loads the files and reports what fails.
 *   - Otherwise the settings (no certificate, the system's CA store) are
 *     loaded anyway, so that a sips: URI given later to the call or
 *     options command works as a client; a failure is a warning and TLS
 *     stays unavailable.  --check-config has no file of the user's to
 *     check and does not try.
 * On any failure the transport keeps the settings it had (tp_tls_set).
 */
#ifndef SIPUAD_DAEMON_TLS_H
#define SIPUAD_DAEMON_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cfg;
struct daemon;
struct tp_tls_cfg;

/* cfg's [tls] as the transport takes it; the strings point into cfg ("" as NULL). */
void daemon_tls_cfg(const struct cfg *cfg, struct tp_tls_cfg *out);
/* Whether cfg asks for TLS (see above). */
bool daemon_tls_wanted(const struct cfg *cfg);
/*
 * The [tls] key whose value a loading failure (err, why as tp_tls_check()
 * gives them) is about: the key whose file why names first, else
 * private_key for -EPERM and ciphers for a cipher list; NULL if none.
 */
const char *daemon_tls_culprit(const struct cfg *cfg, int err, const char *why);
/*
 * A loading failure as a config error of the file at path:
 * "PATH:LINE: private_key: WHY", or "PATH: [tls]: WHY" where no key's
 * line is known.  Into buf, cut to size.
 */
void daemon_tls_msg(const struct cfg *cfg, const char *path, int err, const char *why, char *buf,
		    size_t size);
/*
 * --check-config: when TLS is wanted, have the transport load the files as
 * it would at start.  0, or -errno with the message line written to f.
 */
int daemon_tls_check(const struct cfg *cfg, const char *path, FILE *f);
/*
 * At start, before the listeners.  0, or -errno when TLS is wanted and
 * its settings do not load (logged: "cannot start: [tls] KEY: WHY").
 */
int daemon_tls_start(struct daemon *dm);
/*
 * A reload to n (the running config is still dm->cfg).  0, or -errno when
 * the new settings do not load and TLS is wanted: the message, as
 * daemon_tls_msg() writes it, into errs, logged; n then gets the running
 * [tls] values, since those stay in force.
 */
int daemon_tls_reload(struct daemon *dm, struct cfg *n, char *errs, size_t size);

#endif
