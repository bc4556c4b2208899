/*
 * sipuad: a stateful SIP user agent daemon.
 *
 * The command line (DESIGN.md, sipuad(8)):
 *   sipuad [-f] [-c FILE]        run; -f stays in the foreground, logs to stderr
 *   sipuad -c FILE --check-config validate and exit: 0 ok, 1 with FILE:LINE: errors
 *   sipuad --version | --help
 * Wrong usage exits 2 with the usage text.  sipuad never forks: under
 * systemd it runs as Type=notify, and without -f it logs to syslog.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/cfg.h"
#include "app/daemon.h"
#include "core/log.h"
#include "media/codec.h"

#ifndef SIPUAD_SYSCONFDIR
#define SIPUAD_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SIPUAD_SYSCONFDIR "/sipuad.conf"

enum { OPT_CHECK = 256, OPT_VERSION, OPT_HELP };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: sipuad [-f] [-c FILE]\n"
	    "       sipuad [-c FILE] --check-config\n"
	    "       sipuad --version | --help\n"
	    "\n"
	    "A stateful SIP user agent daemon.\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
	    "  -f, --foreground    log to stderr instead of syslog (sipuad never forks)\n"
	    "      --check-config  validate the configuration and exit:\n"
	    "                      0 if valid, 1 with FILE:LINE: messages on stderr\n"
	    "      --version       print the version and exit\n"
	    "      --help          print this help and exit\n"
	    "\n"
	    "Signals: SIGTERM/SIGINT stop, SIGHUP reloads the configuration.\n"
	    "See sipuad(8) and sipuad.conf(5).\n");
}

/* Load the config; on failure print every error on stderr. */
static int load(const char *path, struct cfg **cfgp)
{
	char *errs = NULL;
	int err = cfg_load(path, codec_cfg_name, cfgp, &errs);

	if (err < 0) {
		fputs(errs ? errs : "", stderr);
		if (errs && errs[0] && errs[strlen(errs) - 1] != '\n')
			fputc('\n', stderr);
	}
	free(errs);
	return err;
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	bool foreground = false, check = false;
	struct cfg *cfg = NULL;
	struct daemon *dm = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:fhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': foreground = true; break;
		case OPT_CHECK: check = true; break;
		case 'V':
		case OPT_VERSION: printf("sipuad %s\n", PACKAGE_VERSION); return 0;
		case 'h':
		case OPT_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sipuad: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (load(path, &cfg) < 0)
		return 1;
	if (check) {
		rc = daemon_check(cfg, path) < 0;
		if (rc == 0)
			printf("%s: configuration is valid\n", path);
		cfg_free(cfg);
		return rc;
	}
	log_open(foreground, cfg->log_level);
	log_hook_libevent();
	if (daemon_new(&dm, cfg, path) < 0) {
		log_close();
		return 1;
	}
	rc = daemon_run(dm);
	daemon_free(dm);
	log_close();
	return rc;
}
