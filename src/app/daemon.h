/*
 * daemon: the one context.  Owns the event loop and everything on it:
 * config, clock, transport, transaction layer, UA core, counters, signal
 * events.  Nothing else is global (but the log sink), so a test can build
 * two daemons in one process.
 */
#ifndef SIPUAD_DAEMON_H
#define SIPUAD_DAEMON_H

#include <stdbool.h>

struct daemon;
struct cfg;

/*
 * Build a daemon on cfg (taken over) read from cfg_path (kept for
 * reload): bind every listener, hook signals.  On failure the reason has
 * been logged.  0 or -errno.
 */
int daemon_new(struct daemon **dp, struct cfg *cfg, const char *cfg_path);
/*
 * --check-config, past what cfg_load() checks: what only the layers can
 * check, such as whether the transport loads the [tls] files.  0, or
 * -errno with every error on stderr as "PATH:LINE: message".
 */
int daemon_check(const struct cfg *cfg, const char *cfg_path);
/* Run until SIGTERM/SIGINT. Returns the process exit status. */
int daemon_run(struct daemon *d);
/* NULL is a no-op. */
void daemon_free(struct daemon *d);

#endif
