/*
 * check_cfg: src/core/cfg.c, the config file and its key table.
 *
 * Each test writes its config into a fresh mkdtemp directory and compares
 * cfg_load's error text exactly: the messages are what a user reads, so they
 * are the contract.  Also checked: the defaults, the shipped conf/sipuad.conf
 * and man/sipuad.conf.5 against the table (found through $SRCDIR, set by
 * the test harness).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Only to reach the line length this inih was built with (Debian's is a variable). */
#include <ini.h>

#include "core/cfg.h"
#include "media/codec.h"

#include "check_run.h"

/* Room for tmp_dir and a file name in it. */
#define PATH_SZ 512
/* [control] socket in the source tree's conf/sipuad.conf. */
#define CHECKOUT_SOCKET "run/sipuad.sock"
/* What an unknown or missing section is told, in table order. */
#define SECTIONS "[sip], [tls], [call], [media], [control], [log], [account NAME]"
/* What an unknown key in [sip] is told. */
#define SIP_KEYS                                                                                   \
	"listen, user_agent, t1_ms, t2_ms, t4_ms, max_transactions, max_calls, max_message_size, " \
	"max_tcp_connections, tcp_idle_timeout_s, retry_after_s, shutdown_timeout_s, "             \
	"accept_unknown_users, dns_servers, register_retry_min_s, register_retry_max_s"
/* What an unknown key in an account is told. */
#define ACCOUNT_KEYS                                                                               \
	"uri, display_name, registrar, outbound_proxy, username, password, password_file, "        \
	"register, expires, transport, keepalive_interval, srtp, server_name"
#define URI_EXP "sip:USER@HOST or sips:USER@HOST"
#define PROXY_EXP "sip:HOST or sips:HOST"
#define TEXT_EXP "1..127 bytes of UTF-8 text without control characters, \" or \\"
#define HOST_EXP "HOST or HOST:PORT, HOST a name, an IPv4 or [IPv6] address, PORT 1..65535"
#define DNS_EXP                                                                                    \
	"HOST or HOST:PORT, HOST an IPv4 or IPv6 literal, [IPv6]:PORT with a port, PORT 1..65535"

static char tmp_dir[64];
static unsigned n_files;

static void setup(void)
{
	strcpy(tmp_dir, "/tmp/check_cfg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
	n_files = 0;
}

/* dir and what is in it, one level of subdirectories deep. */
static void remove_dir(const char *dir, bool sub)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_SZ];
	struct stat st;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (sub && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_dir(path, false);
		else
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void teardown(void)
{
	remove_dir(tmp_dir, true);
}

/* text as a new file in tmp_dir; its path into path (PATH_SZ bytes). */
static void write_conf(char *path, const char *text)
{
	FILE *f;

	snprintf(path, PATH_SZ, "%s/%u.conf", tmp_dir, n_files++);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0 || !text[0], 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* text must load; the caller frees the result. */
static struct cfg *load_ok(const char *text)
{
	char path[PATH_SZ], *errs = NULL;
	struct cfg *c = NULL;
	int err;

	write_conf(path, text);
	err = cfg_load(path, codec_cfg_name, &c, &errs);
	ck_assert_msg(err == 0, "cfg_load: %d: %s", err, errs ? errs : "");
	ck_assert_ptr_null(errs);
	ck_assert_ptr_nonnull(c);
	return c;
}

/*
 * text must fail with exactly the errors in want, given as "LINE: message"
 * lines: each is checked with the file's path in front.
 */
static void load_errs(const char *text, const char *want)
{
	char path[PATH_SZ], *errs = NULL, *expected, *e;
	struct cfg *sentinel = (struct cfg *)&n_files, *c = sentinel;
	const char *w, *nl;
	int err;

	write_conf(path, text);
	err = cfg_load(path, codec_cfg_name, &c, &errs);
	ck_assert_int_eq(err, -EINVAL);
	ck_assert_ptr_eq(c, sentinel);
	ck_assert_ptr_nonnull(errs);
	expected = calloc(1, strlen(want) * 2 + 4096);
	ck_assert_ptr_nonnull(expected);
	e = expected;
	for (w = want; *w; w = nl + 1) {
		nl = strchr(w, '\n');
		ck_assert_ptr_nonnull(nl);
		e += sprintf(e, "%s:%.*s\n", path, (int)(nl - w), w);
	}
	ck_assert_str_eq(errs, expected);
	free(expected);
	free(errs);
}

/* The longest line inih takes, as cfg reports it. */
static int line_max(void)
{
	return ini_max_line - 3;
}

static void assert_defaults(const struct cfg *c)
{
	ck_assert_uint_eq(c->n_listen, 2);
	ck_assert_int_eq(c->listen[0].proto, NET_UDP);
	ck_assert_str_eq(c->listen[0].text, "udp:127.0.0.1:5060");
	ck_assert_int_eq(c->listen[1].proto, NET_TCP);
	ck_assert_str_eq(c->listen[1].text, "tcp:127.0.0.1:5060");
	ck_assert_uint_eq(net_addr_port(&c->listen[1].addr), 5060);
	ck_assert_str_eq(c->user_agent, "sipuad");
	ck_assert_uint_eq(c->t1_ms, 500);
	ck_assert_uint_eq(c->t2_ms, 4000);
	ck_assert_uint_eq(c->t4_ms, 5000);
	ck_assert_uint_eq(c->max_transactions, 1000000);
	ck_assert_uint_eq(c->max_calls, 10000);
	ck_assert_uint_eq(c->max_message_size, 65535);
	ck_assert_uint_eq(c->max_tcp_connections, 1024);
	ck_assert_uint_eq(c->tcp_idle_timeout_s, 300);
	ck_assert_uint_eq(c->retry_after_s, 5);
	ck_assert_uint_eq(c->shutdown_timeout_s, 10);
	ck_assert_uint_eq(c->accept_unknown_users_mode, CFG_ACCEPT_AUTO);
	ck_assert(c->accept_unknown_users);
	ck_assert_str_eq(c->dns_servers, "");
	ck_assert_uint_eq(c->register_retry_min_s, 30);
	ck_assert_uint_eq(c->register_retry_max_s, 1800);
	ck_assert_uint_eq(c->n_accounts, 0);
	ck_assert_ptr_null(c->accounts);
	ck_assert_uint_eq(c->answer, CFG_ANSWER_AUTO);
	ck_assert_uint_eq(c->answer_delay_ms, 0);
	ck_assert_uint_eq(c->reject_code, 486);
	ck_assert_uint_eq(c->ring_timeout_s, 120);
	ck_assert_uint_eq(c->rtp_port_min, 20000);
	ck_assert_uint_eq(c->rtp_port_max, 29999);
	ck_assert_uint_eq(c->n_codecs, 2);
	ck_assert_str_eq(c->codecs[0], "PCMU");
	ck_assert_str_eq(c->codecs[1], "PCMA");
	ck_assert(c->dtmf);
	ck_assert_uint_eq(c->owner, CFG_ID_NONE);
	ck_assert_uint_eq(c->group, CFG_ID_NONE);
	ck_assert_uint_eq(c->max_clients, 64);
	ck_assert_uint_eq(c->max_line_bytes, 65536);
	ck_assert_uint_eq(c->event_queue, 1000);
	ck_assert_int_eq(c->log_level, LOG_LVL_INFO);
	ck_assert_uint_eq(c->log_rate_limit, CFG_RL_PACK(10, 10));
	ck_assert_uint_eq(c->log_rate_limit_calls, CFG_RL_PACK(100, 1));
	ck_assert_uint_eq(c->srtp_insecure_signalling, 0);
	ck_assert_uint_eq(c->source_loop, 1);
	ck_assert_str_eq(c->tls_certificate, "");
	ck_assert_str_eq(c->tls_private_key, "");
	ck_assert_str_eq(c->tls_ca_file, "");
	ck_assert_str_eq(c->tls_ca_path, "");
	ck_assert_str_eq(c->tls_ciphers, "");
	ck_assert_uint_eq(c->tls_verify_server, 1);
	ck_assert_uint_eq(c->tls_verify_client, CFG_VERIFY_NO);
	ck_assert_uint_eq(c->tls_session_cache, 1);
	ck_assert_uint_eq(c->tls_handshake_timeout_s, 10);
}

/* Every default, the control socket path included. */
static void assert_all_defaults(const struct cfg *c)
{
	assert_defaults(c);
	ck_assert_str_eq(c->socket, "/run/sipuad/control.sock");
}

START_TEST(test_defaults)
{
	struct cfg *c = NULL;

	ck_assert_int_eq(cfg_defaults(codec_cfg_name, &c), 0);
	assert_all_defaults(c);
	cfg_free(c);
	cfg_free(NULL);
}
END_TEST

START_TEST(test_empty_file)
{
	struct cfg *c = load_ok("");

	assert_all_defaults(c);
	cfg_free(c);
	c = load_ok("; nothing but comments\n# and this\n\n   \n[sip]\n[log]\n");
	assert_defaults(c);
	cfg_free(c);
}
END_TEST

START_TEST(test_full_file)
{
	struct cfg *c = load_ok("\xef\xbb\xbf; every key, not one left at its default\r\n"
				"[sip]\r\n"
				"listen = udp:0.0.0.0:5070,tcp:[::1]:5071 , UDP:[2001:db8::1]:0\r\n"
				"user_agent = sipuad/1.0 (lab rig; 3)   ; a comment\n"
				"  t1_ms = 50\n"
				"\tt2_ms=100\n"
				"t4_ms : 60000\n"
				"max_transactions = 10000000\n"
				"max_message_size = 1024\n"
				"max_tcp_connections = 1\n"
				"tcp_idle_timeout_s = 86400\n"
				"retry_after_s = 0003600\n"
				"max_calls = 1\n"
				"accept_unknown_users = No\n"
				"dns_servers = 192.0.2.53, [2001:db8::53]:5353\n"
				"register_retry_min_s = 86400\n"
				"register_retry_max_s = 86400\n"
				"\n"
				"[call]\n"
				"answer = Manual\n"
				"answer_delay_ms = 600000\n"
				"reject_code = 603\n"
				"ring_timeout_s = 86400\n"
				"[media]\n"
				"rtp_port_min = 1024\n"
				"rtp_port_max = 65535\n"
				"codecs = pcma\n"
				"[log]\n"
				"level = DEBUG\n");

	ck_assert_uint_eq(c->n_listen, 3);
	ck_assert_str_eq(c->listen[0].text, "udp:0.0.0.0:5070");
	ck_assert_str_eq(c->listen[1].text, "tcp:[::1]:5071");
	ck_assert_int_eq(c->listen[1].proto, NET_TCP);
	ck_assert_int_eq(net_addr_family(&c->listen[1].addr), AF_INET6);
	ck_assert_str_eq(c->listen[2].text, "udp:[2001:db8::1]:0");
	ck_assert_str_eq(c->user_agent, "sipuad/1.0 (lab rig; 3)");
	ck_assert_uint_eq(c->t1_ms, 50);
	ck_assert_uint_eq(c->t2_ms, 100);
	ck_assert_uint_eq(c->t4_ms, 60000);
	ck_assert_uint_eq(c->max_transactions, 10000000);
	ck_assert_uint_eq(c->max_message_size, 1024);
	ck_assert_uint_eq(c->max_tcp_connections, 1);
	ck_assert_uint_eq(c->tcp_idle_timeout_s, 86400);
	ck_assert_uint_eq(c->retry_after_s, 3600);
	ck_assert_uint_eq(c->max_calls, 1);
	ck_assert_uint_eq(c->accept_unknown_users_mode, CFG_ACCEPT_NO);
	ck_assert(!c->accept_unknown_users);
	ck_assert_str_eq(c->dns_servers, "192.0.2.53:53,[2001:db8::53]:5353");
	ck_assert_uint_eq(c->register_retry_min_s, 86400);
	ck_assert_uint_eq(c->register_retry_max_s, 86400);
	ck_assert_uint_eq(c->answer, CFG_ANSWER_MANUAL);
	ck_assert_uint_eq(c->answer_delay_ms, 600000);
	ck_assert_uint_eq(c->reject_code, 603);
	ck_assert_uint_eq(c->ring_timeout_s, 86400);
	ck_assert_uint_eq(c->rtp_port_min, 1024);
	ck_assert_uint_eq(c->rtp_port_max, 65535);
	ck_assert_uint_eq(c->n_codecs, 1);
	ck_assert_str_eq(c->codecs[0], "PCMA");
	ck_assert(!c->dtmf);
	ck_assert_int_eq(c->log_level, LOG_LVL_DEBUG);
	cfg_free(c);
}
END_TEST

START_TEST(test_unknown_section)
{
	load_errs("[sip]\nt1_ms = 600\n[foo]\nx = 1\ny = 2\n[accounts alice]\n[Account bob]\n",
		  "3: unknown section [foo]: expected one of " SECTIONS "\n"
		  "6: unknown section [accounts alice]: expected one of " SECTIONS "\n"
		  "7: unknown section [Account bob]: expected one of " SECTIONS "\n");
	load_errs("[ sip ]\n[SIP]\n[]\n",
		  "1: unknown section [ sip ]: expected one of " SECTIONS "\n"
		  "2: unknown section [SIP]: expected one of " SECTIONS "\n"
		  "3: unknown section []: expected one of " SECTIONS "\n");
}
END_TEST

START_TEST(test_unknown_key)
{
	load_errs("[sip]\nmax_dialogs = 10\n[log]\nlevl = info\n[call]\nauto_answer = 1\n"
		  "[media]\nrtp_ports = 1-2\n",
		  "2: unknown key 'max_dialogs' in [sip]: expected one of " SIP_KEYS "\n"
		  "4: unknown key 'levl' in [log]: expected one of level, rate_limit, "
		  "rate_limit_calls\n"
		  "6: unknown key 'auto_answer' in [call]: expected one of answer, "
		  "answer_delay_ms, reject_code, ring_timeout_s\n"
		  "8: unknown key 'rtp_ports' in [media]: expected one of rtp_port_min, "
		  "rtp_port_max, codecs, srtp, srtp_insecure_signalling, source, source_loop, "
		  "record_dir, rtp_timeout_s, symmetric_rtp, rtcp_mux\n");
}
END_TEST

START_TEST(test_key_before_section)
{
	load_errs("; top\nt1_ms = 500\n[sip]\nt1_ms = 600\n",
		  "2: key 't1_ms' before any section: expected it under one of " SECTIONS "\n");
}
END_TEST

START_TEST(test_not_integer)
{
	load_errs("[sip]\nt1_ms = abc\nt2_ms = -5\nt4_ms = +500\nmax_transactions = 100 0\n"
		  "max_message_size = 2048b\nretry_after_s = 0x10\ntcp_idle_timeout_s = 1.5\n",
		  "2: t1_ms: 'abc' is not an integer (50..10000)\n"
		  "3: t2_ms: '-5' is not an integer (100..60000)\n"
		  "4: t4_ms: '+500' is not an integer (100..60000)\n"
		  "5: max_transactions: '100 0' is not an integer (16..10000000)\n"
		  "6: max_message_size: '2048b' is not an integer (1024..1048576)\n"
		  "7: retry_after_s: '0x10' is not an integer (1..3600)\n"
		  "8: tcp_idle_timeout_s: '1.5' is not an integer (1..86400)\n");
}
END_TEST

START_TEST(test_out_of_range)
{
	load_errs("[sip]\nt1_ms = 20\nt2_ms = 60001\nmax_tcp_connections = 0\n"
		  "max_transactions = 4294967296\nt4_ms = 99999999999999999999999999\n",
		  "2: t1_ms: 20 is out of range 50..10000\n"
		  "3: t2_ms: 60001 is out of range 100..60000\n"
		  "4: max_tcp_connections: 0 is out of range 1..100000\n"
		  "5: max_transactions: 4294967296 is out of range 16..10000000\n"
		  "6: t4_ms: 99999999999999999999999999 is out of range 100..60000\n");
}
END_TEST

START_TEST(test_repeated_key)
{
	load_errs("[sip]\n\n\nt1_ms = 600\nt1_ms = 700\n[log]\nlevel = warn\n[sip]\nt1_ms = 800\n",
		  "5: repeated key 't1_ms' (first at line 4)\n"
		  "9: repeated key 't1_ms' (first at line 4)\n");
}
END_TEST

START_TEST(test_bad_listen)
{
	static const char *const bad[] = {
	    "sctp:127.0.0.1:5060", "udp:::1:5060",	 "udp:localhost:5060", "udp:1.2.3.4:65536",
	    "udp:1.2.3.4",	   "udp:[1.2.3.4]:5060", "udp:1.2.3.4:-1",     "udp 1.2.3.4:5060",
	};
	char text[256], want[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[sip]\nlisten = udp:127.0.0.1:5060, %s\n", bad[i]);
		snprintf(want, sizeof(want),
			 "2: listen: bad entry '%s': expected PROTO:HOST:PORT, PROTO udp, tcp or "
			 "tls, HOST an IPv4 or [IPv6] literal, PORT 0..65535\n",
			 bad[i]);
		load_errs(text, want);
	}
}
END_TEST

/* [control] owner and group: a name, a number, or none. */
START_TEST(test_owner_group)
{
	struct cfg *c = load_ok("[control]\nowner = root\ngroup = 0\n");

	ck_assert_uint_eq(c->owner, 0);
	ck_assert_uint_eq(c->group, 0);
	cfg_free(c);
	c = load_ok("[control]\nowner = 65534\ngroup = root\nsocket = /tmp/x.sock\n");
	ck_assert_uint_eq(c->owner, 65534);
	ck_assert_uint_eq(c->group, 0);
	ck_assert_str_eq(c->socket, "/tmp/x.sock");
	cfg_free(c);
	load_errs("[control]\nowner = no-such-user-here\n",
		  "2: owner: no user named 'no-such-user-here': expected none, a user name or a "
		  "uid\n");
	load_errs("[control]\ngroup = -1\n",
		  "2: group: '-1' is not one of none, a group name or a gid\n");
	load_errs("[control]\nsocket = /"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  "2: socket: 110 characters: expected 1..107 printable ASCII characters\n");
}
END_TEST

START_TEST(test_listen_list)
{
	load_errs("[sip]\nlisten = udp:127.0.0.1:5060, UDP:127.0.0.1:5060\n",
		  "2: listen: duplicate entry 'udp:127.0.0.1:5060'\n");
	load_errs("[sip]\nlisten = tcp:[::1]:5060,tcp:[0:0::1]:5060\n",
		  "2: listen: duplicate entry 'tcp:[::1]:5060'\n");
	load_errs("[sip]\nlisten = udp:127.0.0.1:5060, , tcp:127.0.0.1:5060\n",
		  "2: listen: empty entry: expected 1..16 entries of udp|tcp|tls:HOST:PORT\n");
	load_errs("[sip]\nlisten = udp:127.0.0.1:5060,\n",
		  "2: listen: empty entry: expected 1..16 entries of udp|tcp|tls:HOST:PORT\n");
}
END_TEST

/* CFG_MAX_LISTEN entries do not fit inih's default line, so lengthen it here. */
START_TEST(test_listen_max)
{
	char text[2048], want[128];
	size_t n = (size_t)snprintf(text, sizeof(text), "[sip]\nlisten = ");
	struct cfg *c;
	int saved = ini_max_line;

	ini_max_line = 1024;
	for (unsigned i = 0; i < CFG_MAX_LISTEN; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%sudp:10.0.0.%u:5060",
				      i ? ", " : "", i + 1);
	snprintf(text + n, sizeof(text) - n, "\n");
	c = load_ok(text);
	ck_assert_uint_eq(c->n_listen, CFG_MAX_LISTEN);
	ck_assert_str_eq(c->listen[CFG_MAX_LISTEN - 1].text, "udp:10.0.0.16:5060");
	cfg_free(c);
	snprintf(text + n, sizeof(text) - n, ", tcp:10.0.0.1:5060\n");
	snprintf(want, sizeof(want), "2: listen: more than %u entries\n", CFG_MAX_LISTEN);
	load_errs(text, want);
	ini_max_line = saved;
}
END_TEST

START_TEST(test_empty_value)
{
	load_errs("[sip]\nlisten =\nuser_agent =\nt1_ms =\n[log]\nlevel = ; no value\n",
		  "2: listen: empty value: expected 1..16 entries of udp|tcp|tls:HOST:PORT\n"
		  "3: user_agent: empty value: expected 1..127 printable ASCII characters\n"
		  "4: t1_ms: empty value: expected an integer (50..10000)\n"
		  "6: level: empty value: expected one of error | warn | info | debug\n");
}
END_TEST

START_TEST(test_bad_string)
{
	char text[512], want[256];

	load_errs("[sip]\nuser_agent = sip\tuad\n",
		  "2: user_agent: character 4 (\\x09) is not printable: expected 1..127 printable "
		  "ASCII characters\n");
	load_errs("[sip]\nuser_agent = caf\xc3\xa9\n",
		  "2: user_agent: character 4 (\\xc3) is not printable: expected 1..127 printable "
		  "ASCII characters\n");
	snprintf(text, sizeof(text), "[sip]\nuser_agent = %0128d\n", 0);
	snprintf(want, sizeof(want),
		 "2: user_agent: 128 characters: expected 1..127 printable ASCII characters\n");
	load_errs(text, want);
}
END_TEST

START_TEST(test_bad_enum)
{
	load_errs("[log]\nlevel = verbose\n",
		  "2: level: 'verbose' is not one of error | warn | info | debug\n");
	load_errs("[log]\nlevel = warning\x01\n",
		  "2: level: 'warning\\x01' is not one of error | warn | info | debug\n");
}
END_TEST

/* [log] rate_limit and rate_limit_calls: N/S or off. */
START_TEST(test_rate_limit)
{
	struct cfg *c = load_ok("[log]\nrate_limit = 65535/3600\nrate_limit_calls = OFF\n");

	ck_assert_uint_eq(CFG_RL_BURST(c->log_rate_limit), 65535);
	ck_assert_uint_eq(CFG_RL_INTERVAL(c->log_rate_limit), 3600);
	ck_assert_uint_eq(c->log_rate_limit_calls, 0);
	cfg_free(c);
	c = load_ok("[log]\nrate_limit = 1/1\nrate_limit_calls = 5/60\n");
	ck_assert_uint_eq(c->log_rate_limit, CFG_RL_PACK(1, 1));
	ck_assert_uint_eq(c->log_rate_limit_calls, CFG_RL_PACK(5, 60));
	cfg_free(c);
	load_errs("[log]\nrate_limit = 10\n", "2: rate_limit: '10' is not one of off, or N/S: N "
						 "lines per S seconds (1..65535, 1..3600)\n");
	load_errs("[log]\nrate_limit_calls = 0/1\n",
		  "2: rate_limit_calls: '0/1' is not one of off, or N/S: N lines per S seconds "
		  "(1..65535, 1..3600)\n");
	load_errs("[log]\nrate_limit = 10/3601\n",
		  "2: rate_limit: '10/3601' is not one of off, or N/S: N lines per S seconds "
		  "(1..65535, 1..3600)\n");
}
END_TEST

/* The [media] keys of the media engine, and an account's srtp: values and refusals. */
START_TEST(test_media_keys)
{
	struct cfg *c = load_ok("[media]\nsrtp = mandatory\nsource = tone:440\nrecord_dir = /tmp/r\n"
				"rtp_timeout_s = 0\nsymmetric_rtp = no\nrtcp_mux = no\nsource_loop = no\n"
				"[account a]\nuri = sip:a@example.com\nsrtp = optional\n");

	ck_assert_uint_eq(c->srtp, CFG_SRTP_MANDATORY);
	ck_assert_str_eq(c->source, "tone:440");
	ck_assert_str_eq(c->record_dir, "/tmp/r");
	ck_assert_uint_eq(c->rtp_timeout_s, 0);
	ck_assert_uint_eq(c->symmetric_rtp, 0);
	ck_assert_uint_eq(c->rtcp_mux, 0);
	ck_assert_uint_eq(c->source_loop, 0);
	ck_assert_int_eq(c->accounts[0].srtp, CFG_SRTP_OPTIONAL);
	cfg_free(c);
	c = load_ok("[media]\nsource = file:/x y.wav\nrecord_dir =\nsource_loop = YES\n"
		    "[account a]\nuri = sip:a@h\n");
	ck_assert_str_eq(c->source, "file:/x y.wav");
	ck_assert_uint_eq(c->source_loop, 1);
	ck_assert_str_eq(c->record_dir, "");
	ck_assert_int_eq(c->accounts[0].srtp, -1);
	cfg_free(c);
	load_errs("[media]\nsrtp = yes\n",
		  "2: srtp: 'yes' is not one of off | optional | mandatory\n");
	load_errs("[media]\nsource = tone:4000\n",
		  "2: source: 'tone:4000' is not one of echo | silence | tone:HZ (1..3999) | "
		  "file:PATH\n");
	load_errs("[media]\nsource = file:\n",
		  "2: source: 'file:' is not one of echo | silence | tone:HZ (1..3999) | file:PATH\n");
	load_errs("[media]\nsource = noise\n",
		  "2: source: 'noise' is not one of echo | silence | tone:HZ (1..3999) | file:PATH\n");
	load_errs("[media]\nsource =\n", "2: source: empty value: expected 1..1023 printable ASCII "
					   "characters\n");
	load_errs("[media]\nrtp_timeout_s = -1\n",
		  "2: rtp_timeout_s: '-1' is not an integer (0..86400)\n");
	load_errs("[media]\nsymmetric_rtp = 1\n", "2: symmetric_rtp: '1' is not one of yes | no\n");
	load_errs("[media]\nrtcp_mux = maybe\n", "2: rtcp_mux: 'maybe' is not one of yes | no\n");
	load_errs("[media]\nsource_loop = once\n", "2: source_loop: 'once' is not one of yes | no\n");
	load_errs("[media]\nsource_loop = 0\n", "2: source_loop: '0' is not one of yes | no\n");
	load_errs("[media]\nsource_loop =\n",
		  "2: source_loop: empty value: expected one of yes | no\n");
	load_errs("[account a]\nuri = sip:a@h\nsrtp = on\n",
		  "3: srtp: 'on' is not one of off | optional | mandatory\n");
}
END_TEST

START_TEST(test_malformed)
{
	load_errs("[sip]\nt1_ms 500\n= 500\n[log\n  level = debug\n[sip ; c]\nt1_ms = 600\n",
		  "2: malformed line: expected KEY = VALUE, [SECTION] or a ; comment\n"
		  "3: malformed line: expected KEY = VALUE, [SECTION] or a ; comment\n"
		  "4: malformed section header: expected [NAME]\n"
		  "6: malformed section header: expected [NAME]\n");
	load_errs("[sip] t1_ms = 600\nt1_ms 1\n",
		  "1: text after [sip]: expected the end of the line or a ; comment\n"
		  "2: malformed line: expected KEY = VALUE, [SECTION] or a ; comment\n");
	/* The last line, without its newline, is still read and counted. */
	load_errs("[sip]\n\nt1_ms",
		  "3: malformed line: expected KEY = VALUE, [SECTION] or a ; comment\n");
}
END_TEST

/* A line longer than inih reads is one error, never read as two lines. */
START_TEST(test_long_line)
{
	char text[2048], want[256];
	int max = line_max();

	snprintf(text, sizeof(text), "[sip]\n; %0*d\nt1_ms = 5\n; %0*d\nt2_ms = 1%0*d\nt4_ms = x\n",
		 max - 2, 0, max - 1, 0, max + 50, 0);
	snprintf(want, sizeof(want),
		 "3: t1_ms: 5 is out of range 50..10000\n"
		 "4: line too long: %d characters, at most %d\n"
		 "5: line too long: %d characters, at most %d\n"
		 "6: t4_ms: 'x' is not an integer (100..60000)\n",
		 max + 1, max, max + 59, max);
	load_errs(text, want);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "[sip]\nt1_ms = 6\0"
				   "00\nt2_ms = 1\n";
	char path[PATH_SZ], *errs = NULL, want[3 * PATH_SZ];
	struct cfg *c = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/nul.conf", tmp_dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(cfg_load(path, codec_cfg_name, &c, &errs), -EINVAL);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want),
		 "%s:2: line has a NUL byte\n%s:3: t2_ms: 1 is out of range 100..60000\n", path,
		 path);
	ck_assert_str_eq(errs, want);
	free(errs);
}
END_TEST

START_TEST(test_many_errors)
{
	load_errs("[sip]\n"
		  "t1_ms = 600\n"
		  "bogus = 1\n"
		  "t1_ms = 700\n"
		  "\n"
		  "t4_ms = 1e3\n"
		  "[rtp]\n"
		  "port_min = 20000\n"
		  "[log]\n"
		  "level = loud\n"
		  "junk\n"
		  "[sip]\n"
		  "listen = udp:127.0.0.1\n",
		  "3: unknown key 'bogus' in [sip]: expected one of " SIP_KEYS "\n"
		  "4: repeated key 't1_ms' (first at line 2)\n"
		  "6: t4_ms: '1e3' is not an integer (100..60000)\n"
		  "7: unknown section [rtp]: expected one of " SECTIONS "\n"
		  "10: level: 'loud' is not one of error | warn | info | debug\n"
		  "11: malformed line: expected KEY = VALUE, [SECTION] or a ; comment\n"
		  "13: listen: bad entry 'udp:127.0.0.1': expected PROTO:HOST:PORT, PROTO udp, tcp "
		  "or tls, HOST an IPv4 or [IPv6] literal, PORT 0..65535\n");
}
END_TEST

/* A file of nothing but errors is cut at 100 of them, and says how many more. */
START_TEST(test_error_cap)
{
	char *text = malloc(150 * 8 + 8), *want = malloc(100 * 80 + 64), *t = text, *w = want;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(want);
	t += sprintf(t, "[sip]\n");
	for (unsigned i = 0; i < 150; i++) {
		t += sprintf(t, "x%u\n", i);
		if (i < 100)
			w += sprintf(w,
				     "%u: malformed line: expected KEY = VALUE, [SECTION] or a ; "
				     "comment\n",
				     i + 2);
	}
	sprintf(w, " 50 more errors not shown\n");
	load_errs(text, want);
	free(text);
	free(want);
}
END_TEST

START_TEST(test_t2_below_t1)
{
	struct cfg *c;

	load_errs("[sip]\nt2_ms = 400\nt1_ms = 500\n",
		  "2: t2_ms: 400 is less than t1_ms (500): expected t2_ms >= t1_ms\n");
	load_errs(
	    "[sip]\nt1_ms = 5000\n",
	    "2: t1_ms: 5000 is more than t2_ms (4000, the default): expected t1_ms <= t2_ms\n");
	load_errs("[sip]\n\nt2_ms = 200\n",
		  "3: t2_ms: 200 is less than t1_ms (500, the default): expected t2_ms >= t1_ms\n");
	/* A refused value is not compared: one error, not two. */
	load_errs("[sip]\nt1_ms = 5000x\nt2_ms = 200\n",
		  "2: t1_ms: '5000x' is not an integer (50..10000)\n");
	c = load_ok("[sip]\nt1_ms = 4000\n");
	ck_assert_uint_eq(c->t1_ms, c->t2_ms);
	cfg_free(c);
	c = load_ok("[sip]\nt1_ms = 8000\nt2_ms = 9000\n");
	ck_assert_uint_eq(c->t2_ms, 9000);
	cfg_free(c);
}
END_TEST

/* [sip] max_calls and the [call] keys: bounds and the answer enum. */
START_TEST(test_call_keys)
{
	struct cfg *c = load_ok("[sip]\nmax_calls = 1000000\n[call]\nanswer = reject\n"
				"answer_delay_ms = 0\nreject_code = 400\nring_timeout_s = 1\n");

	ck_assert_uint_eq(c->max_calls, 1000000);
	ck_assert_uint_eq(c->answer, CFG_ANSWER_REJECT);
	ck_assert_uint_eq(c->answer_delay_ms, 0);
	ck_assert_uint_eq(c->reject_code, 400);
	ck_assert_uint_eq(c->ring_timeout_s, 1);
	cfg_free(c);
	c = load_ok("[call]\nanswer = AUTO\nreject_code = 699\nanswer_delay_ms = 1500\n");
	ck_assert_uint_eq(c->answer, CFG_ANSWER_AUTO);
	ck_assert_uint_eq(c->reject_code, 699);
	ck_assert_uint_eq(c->answer_delay_ms, 1500);
	cfg_free(c);
	load_errs("[sip]\nmax_calls = 10k\n[call]\nanswer_delay_ms = -1\nreject_code = 486 Busy\n"
		  "ring_timeout_s = 2m\n",
		  "2: max_calls: '10k' is not an integer (1..1000000)\n"
		  "4: answer_delay_ms: '-1' is not an integer (0..600000)\n"
		  "5: reject_code: '486 Busy' is not an integer (400..699)\n"
		  "6: ring_timeout_s: '2m' is not an integer (1..86400)\n");
	load_errs("[sip]\nmax_calls = 0\n[call]\nanswer_delay_ms = 600001\nreject_code = 399\n"
		  "ring_timeout_s = 0\n",
		  "2: max_calls: 0 is out of range 1..1000000\n"
		  "4: answer_delay_ms: 600001 is out of range 0..600000\n"
		  "5: reject_code: 399 is out of range 400..699\n"
		  "6: ring_timeout_s: 0 is out of range 1..86400\n");
	load_errs("[sip]\nmax_calls = 1000001\n[call]\nreject_code = 700\nring_timeout_s = 86401\n",
		  "2: max_calls: 1000001 is out of range 1..1000000\n"
		  "4: reject_code: 700 is out of range 400..699\n"
		  "5: ring_timeout_s: 86401 is out of range 1..86400\n");
	load_errs("[call]\nanswer = yes\n",
		  "2: answer: 'yes' is not one of auto | manual | reject\n");
	load_errs("[call]\nanswer =\n",
		  "2: answer: empty value: expected one of auto | manual | reject\n");
}
END_TEST

START_TEST(test_rtp_ports)
{
	struct cfg *c = load_ok("[media]\nrtp_port_min = 30000\nrtp_port_max = 30001\n");

	ck_assert_uint_eq(c->rtp_port_min, 30000);
	ck_assert_uint_eq(c->rtp_port_max, 30001);
	cfg_free(c);
	/* The one pair of an odd start is the next even port and the one after. */
	c = load_ok("[media]\nrtp_port_min = 65533\nrtp_port_max = 65535\n");
	ck_assert_uint_eq(c->rtp_port_min, 65533);
	cfg_free(c);
	c = load_ok("[media]\nrtp_port_max = 20001\n");
	ck_assert_uint_eq(c->rtp_port_max, 20001);
	cfg_free(c);
	load_errs("[media]\nrtp_port_min = 1023\nrtp_port_max = 65536\n",
		  "2: rtp_port_min: 1023 is out of range 1024..65534\n"
		  "3: rtp_port_max: 65536 is out of range 1025..65535\n");
	load_errs("[media]\nrtp_port_min = 65535\nrtp_port_max = 1024\n",
		  "2: rtp_port_min: 65535 is out of range 1024..65534\n"
		  "3: rtp_port_max: 1024 is out of range 1025..65535\n");
	load_errs("[media]\nrtp_port_min = 20k\nrtp_port_max = 0x7fff\n",
		  "2: rtp_port_min: '20k' is not an integer (1024..65534)\n"
		  "3: rtp_port_max: '0x7fff' is not an integer (1025..65535)\n");
	load_errs("[media]\nrtp_port_min =\n",
		  "2: rtp_port_min: empty value: expected an integer (1024..65534)\n");
}
END_TEST

/* min <= max, and the range holds an even port P and P + 1: one error per mistake. */
START_TEST(test_rtp_range)
{
	load_errs("[media]\nrtp_port_min = 30000\nrtp_port_max = 20000\n",
		  "3: rtp_port_max: 20000 is less than rtp_port_min (30000): expected "
		  "rtp_port_max >= rtp_port_min\n");
	load_errs("[media]\nrtp_port_min = 30000\n",
		  "2: rtp_port_min: 30000 is more than rtp_port_max (29999, the default): expected "
		  "rtp_port_min <= rtp_port_max\n");
	load_errs("[media]\n\nrtp_port_max = 19999\n",
		  "3: rtp_port_max: 19999 is less than rtp_port_min (20000, the default): expected "
		  "rtp_port_max >= rtp_port_min\n");
	load_errs("[media]\nrtp_port_min = 20000\nrtp_port_max = 20000\n",
		  "3: rtp_port_max: 20000..20000 holds no RTP/RTCP port pair: expected an even "
		  "port P and P + 1 in rtp_port_min..rtp_port_max\n");
	load_errs("[media]\nrtp_port_max = 20001\nrtp_port_min = 20001\n",
		  "2: rtp_port_max: 20001..20001 holds no RTP/RTCP port pair: expected an even "
		  "port P and P + 1 in rtp_port_min..rtp_port_max\n");
	load_errs("[media]\nrtp_port_min = 20001\nrtp_port_max = 20002\n",
		  "3: rtp_port_max: 20001..20002 holds no RTP/RTCP port pair: expected an even "
		  "port P and P + 1 in rtp_port_min..rtp_port_max\n");
	/* Only the minimum set: the error is on its line. */
	load_errs("[media]\nrtp_port_min = 29999\n",
		  "2: rtp_port_min: 29999..29999 holds no RTP/RTCP port pair: expected an even "
		  "port P and P + 1 in rtp_port_min..rtp_port_max\n");
	/* A refused value is not compared. */
	load_errs("[media]\nrtp_port_min = 30000x\nrtp_port_max = 20000\n",
		  "2: rtp_port_min: '30000x' is not an integer (1024..65534)\n");
	load_errs("[media]\nrtp_port_min = 20000\nrtp_port_max = 70000\n",
		  "3: rtp_port_max: 70000 is out of range 1025..65535\n");
}
END_TEST

START_TEST(test_codecs)
{
	struct cfg *c = load_ok("[media]\ncodecs = pcma ,\tTelephone-Event,PCMU\n");

	ck_assert_uint_eq(c->n_codecs, 2);
	ck_assert_str_eq(c->codecs[0], "PCMA");
	ck_assert_str_eq(c->codecs[1], "PCMU");
	ck_assert(c->dtmf);
	cfg_free(c);
	c = load_ok("[media]\ncodecs = PCMU\n");
	ck_assert_uint_eq(c->n_codecs, 1);
	ck_assert_str_eq(c->codecs[0], "PCMU");
	ck_assert(!c->dtmf);
	cfg_free(c);
	c = load_ok("[media]\ncodecs = telephone-event, pcmA\n");
	ck_assert_uint_eq(c->n_codecs, 1);
	ck_assert_str_eq(c->codecs[0], "PCMA");
	ck_assert(c->dtmf);
	cfg_free(c);
	load_errs("[media]\ncodecs = PCMU, G729\n",
		  "2: codecs: unknown codec 'G729': expected PCMU, PCMA, G722 or telephone-event\n");
	load_errs("[media]\ncodecs = PCMU/8000\n",
		  "2: codecs: unknown codec 'PCMU/8000': expected PCMU, PCMA, G722 or telephone-event\n");
	load_errs("[media]\ncodecs = PCMU PCMA\n",
		  "2: codecs: unknown codec 'PCMU PCMA': expected PCMU, PCMA, G722 or telephone-event\n");
	load_errs("[media]\ncodecs = PCMU, PCMA, pcmu\n", "2: codecs: duplicate entry 'PCMU'\n");
	load_errs("[media]\ncodecs = telephone-event, PCMA, TELEPHONE-EVENT\n",
		  "2: codecs: duplicate entry 'telephone-event'\n");
	load_errs("[media]\ncodecs = PCMU, , PCMA\n",
		  "2: codecs: empty entry: expected 1..4 entries of PCMU, PCMA, G722, telephone-event\n");
	load_errs("[media]\ncodecs = PCMU,\n",
		  "2: codecs: empty entry: expected 1..4 entries of PCMU, PCMA, G722, telephone-event\n");
	load_errs("[media]\ncodecs = ,PCMU\n",
		  "2: codecs: empty entry: expected 1..4 entries of PCMU, PCMA, G722, telephone-event\n");
	load_errs("[media]\ncodecs =\n",
		  "2: codecs: empty value: expected 1..4 entries of PCMU, PCMA, G722, telephone-event\n");
	load_errs("[media]\ncodecs = telephone-event\n",
		  "2: codecs: no audio codec: expected at least one of PCMU, PCMA, G722 besides "
		  "telephone-event\n");
	/* A long bad entry is quoted cut, like any value. */
	load_errs("[media]\ncodecs = PCMU, "
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		  "2: codecs: unknown codec "
		  "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': expected "
		  "PCMU, PCMA, G722 or telephone-event\n");
	/* G.722 listed: offered with the others, in the order given. */
	c = load_ok("[media]\ncodecs = G722, PCMU, telephone-event\n");
	ck_assert_uint_eq(c->n_codecs, 2);
	ck_assert_str_eq(c->codecs[0], "G722");
	ck_assert_str_eq(c->codecs[1], "PCMU");
	cfg_free(c);
}
END_TEST

START_TEST(test_unreadable)
{
	char path[PATH_SZ], *errs = NULL, want[2 * PATH_SZ];
	struct cfg *c = NULL;

	snprintf(path, sizeof(path), "%s/missing.conf", tmp_dir);
	ck_assert_int_eq(cfg_load(path, codec_cfg_name, &c, &errs), -ENOENT);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s: cannot read: %s\n", path, strerror(ENOENT));
	ck_assert_str_eq(errs, want);
	free(errs);
	errs = NULL;

	ck_assert_int_eq(cfg_load(tmp_dir, codec_cfg_name, &c, &errs), -EISDIR);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s: cannot read: %s\n", tmp_dir, strerror(EISDIR));
	ck_assert_str_eq(errs, want);
	free(errs);
	errs = NULL;

	/* errs is optional. */
	ck_assert_int_eq(cfg_load(path, codec_cfg_name, &c, NULL), -ENOENT);

	if (geteuid() == 0)
		return; /* root reads a mode 000 file */
	write_conf(path, "[sip]\n");
	ck_assert_int_eq(chmod(path, 0), 0);
	ck_assert_int_eq(cfg_load(path, codec_cfg_name, &c, &errs), -EACCES);
	snprintf(want, sizeof(want), "%s: cannot read: %s\n", path, strerror(EACCES));
	ck_assert_str_eq(errs, want);
	free(errs);
}
END_TEST

START_TEST(test_restart_needed)
{
	struct cfg *a = load_ok("[sip]\nlisten = udp:127.0.0.1:5060, tcp:[::1]:5060\n");
	struct cfg *b = load_ok("[sip]\nlisten = TCP:[0::1]:5060,udp:127.0.0.1:5060\n"
				"user_agent = other\nt1_ms = 100\n[log]\nlevel = debug\n");
	struct cfg *d = load_ok("[sip]\nlisten = udp:127.0.0.1:5060, tcp:[::1]:5061\n");
	struct cfg *e = load_ok("[sip]\nlisten = udp:127.0.0.1:5060\n");
	char buf[64];

	/* Same listeners in another order, and only reloadable keys changed. */
	ck_assert_uint_eq(cfg_restart_needed(a, b, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(cfg_restart_needed(a, a, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(cfg_restart_needed(a, d, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "sip.listen");
	ck_assert_uint_eq(cfg_restart_needed(e, a, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "sip.listen");
	ck_assert_uint_eq(cfg_restart_needed(a, e, buf, 5), 1);
	ck_assert_str_eq(buf, "sip.");
	ck_assert_uint_eq(cfg_restart_needed(a, e, NULL, 0), 1);
	cfg_free(a);
	cfg_free(b);
	cfg_free(d);
	cfg_free(e);
}
END_TEST

/* The RTP port range needs a restart; the [call] keys and codecs do not, codec order counts. */
START_TEST(test_restart_media)
{
	struct cfg *a = load_ok("[media]\nrtp_port_min = 30000\nrtp_port_max = 30099\n");
	struct cfg *b = load_ok("[sip]\nmax_calls = 5\n[call]\nanswer = manual\n"
				"answer_delay_ms = 10\nreject_code = 603\nring_timeout_s = 5\n"
				"[media]\nrtp_port_min = 30000\nrtp_port_max = 30099\n"
				"codecs = PCMA, PCMU\n");
	struct cfg *d = load_ok("[media]\nrtp_port_min = 30002\nrtp_port_max = 30099\n");
	struct cfg *e = load_ok("[media]\nrtp_port_max = 40000\ncodecs = PCMU\n");
	char buf[128];

	ck_assert_uint_eq(cfg_restart_needed(a, b, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(cfg_restart_needed(a, d, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "media.rtp_port_min");
	ck_assert_uint_eq(cfg_restart_needed(a, e, buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "media.rtp_port_min, media.rtp_port_max");
	/* The ports stay as running; everything else is the new file's. */
	cfg_keep_running(e, a);
	ck_assert_uint_eq(e->rtp_port_min, 30000);
	ck_assert_uint_eq(e->rtp_port_max, 30099);
	ck_assert_uint_eq(e->n_codecs, 1);
	ck_assert_str_eq(e->codecs[0], "PCMU");
	ck_assert(!e->dtmf);
	cfg_keep_running(b, d);
	ck_assert_uint_eq(b->rtp_port_min, 30002);
	ck_assert_uint_eq(b->max_calls, 5);
	ck_assert_uint_eq(b->answer, CFG_ANSWER_MANUAL);
	ck_assert_uint_eq(b->answer_delay_ms, 10);
	ck_assert_uint_eq(b->reject_code, 603);
	ck_assert_uint_eq(b->ring_timeout_s, 5);
	ck_assert_str_eq(b->codecs[0], "PCMA");
	ck_assert_str_eq(b->codecs[1], "PCMU");
	ck_assert_uint_eq(b->n_codecs, 2);
	ck_assert(!b->dtmf);
	cfg_free(a);
	cfg_free(b);
	cfg_free(d);
	cfg_free(e);
}
END_TEST

/* A reload keeps every restart-only key at its running value, and only those. */
START_TEST(test_keep_running)
{
	struct cfg *old = load_ok("[sip]\nlisten = udp:127.0.0.1:5060\n[control]\n"
				  "socket = /tmp/a.sock\nowner = 0\ngroup = 0\n");
	struct cfg *n = load_ok("[sip]\nlisten = tcp:127.0.0.1:5070\nt1_ms = 100\n[control]\n"
				"socket = /tmp/b.sock\nowner = none\nmax_clients = 5\n");
	char buf[128];

	ck_assert_uint_eq(cfg_restart_needed(old, n, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "sip.listen, control.socket, control.owner, control.group");
	cfg_keep_running(n, old);
	ck_assert_uint_eq(n->n_listen, 1);
	ck_assert_str_eq(n->listen[0].text, "udp:127.0.0.1:5060");
	ck_assert_str_eq(n->socket, "/tmp/a.sock");
	ck_assert_ptr_null(old->socket); /* moved, not copied */
	ck_assert_uint_eq(n->owner, 0);
	ck_assert_uint_eq(n->group, 0);
	ck_assert_uint_eq(n->t1_ms, 100); /* reloadable: the new value */
	ck_assert_uint_eq(n->max_clients, 5);
	cfg_free(old);
	cfg_free(n);
}
END_TEST

static bool parse_range(const char *s, unsigned long *lo, unsigned long *hi, char **rest)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	*lo = strtoul(s, &end, 10);
	if (strncmp(end, "..", 2) != 0 || end[2] < '0' || end[2] > '9')
		return false;
	*hi = strtoul(end + 2, rest, 10);
	return *lo <= *hi;
}

/* The enum range "a | b | c" names def. */
static bool enum_has(const char *range, const char *def)
{
	size_t n = strlen(def);

	for (const char *p = range; p; p = strstr(p, " | ")) {
		if (p != range)
			p += 3;
		if (strncmp(p, def, n) == 0 && (p[n] == '\0' || p[n] == ' '))
			return true;
	}
	return false;
}

static bool is_account_row(const struct cfg_key_info *k)
{
	return strcmp(k->section, "account NAME") == 0;
}

static void check_key_range(const struct cfg_key_info *k)
{
	unsigned long lo, hi, v;
	char *rest;

	/* An account's defaults other than numbers depend on its other keys: they are words. */
	if (is_account_row(k) && strcmp(k->type, "integer") != 0) {
		ck_assert_msg(k->range[0] && k->def[0], "%s: range or default", k->name);
		return;
	}
	if (strcmp(k->type, "enum") == 0) {
		ck_assert_msg(enum_has(k->range, k->def), "%s: default not in range", k->name);
		return;
	}
	if (strcmp(k->type, "rate") == 0) {
		unsigned b, i;

		ck_assert_int_eq(log_rl_parse(k->def, &b, &i), 0);
		ck_assert_str_eq(k->range, "off, or N/S: N lines per S seconds (1..65535, 1..3600)");
		return;
	}
	if (strcmp(k->type, "user") == 0 || strcmp(k->type, "group") == 0) {
		ck_assert_str_eq(k->def, "none");
		ck_assert_msg(strncmp(k->range, "none, a ", 8) == 0, "%s: range", k->name);
		return;
	}
	ck_assert_msg(parse_range(k->range, &lo, &hi, &rest), "%s: range '%s'", k->name, k->range);
	if (strcmp(k->type, "integer") == 0) {
		ck_assert_str_eq(rest, "");
		v = strtoul(k->def, &rest, 10);
		ck_assert_msg(!*rest && v >= lo && v <= hi, "%s: default out of range", k->name);
	} else if (strcmp(k->type, "string") == 0 || strcmp(k->type, "path") == 0) {
		ck_assert_str_eq(rest, " printable ASCII characters");
		ck_assert(strlen(k->def) >= lo && strlen(k->def) <= hi);
	} else if (strcmp(k->type, "codec list") == 0) {
		/* The documented range is media/codec's table, every row in order. */
		char want[256] = " entries of";
		const char *name;
		bool audio;
		size_t i;

		for (i = 0; (name = codec_cfg_name(i, &audio)); i++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s %s",
				 i ? "," : "", name);
		ck_assert_str_eq(rest, want);
		ck_assert_str_eq(rest, " entries of PCMU, PCMA, G722, telephone-event");
		ck_assert_uint_eq(hi, i);
	} else if (strcmp(k->type, "address list") == 0) {
		ck_assert_str_eq(rest, " entries of HOST or HOST:PORT");
		ck_assert_uint_eq(lo, 0);
		ck_assert_uint_eq(hi, CFG_MAX_DNS_SERVERS);
		ck_assert_str_eq(k->def, "");
	} else {
		ck_assert_str_eq(k->type, "listen list");
		ck_assert_str_eq(rest, " entries of udp|tcp|tls:HOST:PORT");
		ck_assert_uint_eq(hi, CFG_MAX_LISTEN);
	}
}

/* The account with every default: only a uri. */
static void assert_account_defaults(const struct cfg_account *a)
{
	ck_assert_str_eq(a->name, "t");
	ck_assert_str_eq(a->uri, "sip:t@example.com");
	ck_assert_ptr_null(a->display_name);
	ck_assert_ptr_null(a->registrar);
	ck_assert_ptr_null(a->outbound_proxy);
	ck_assert_str_eq(a->username, "t");
	ck_assert_ptr_null(a->password);
	ck_assert(!a->reg);
	ck_assert_uint_eq(a->expires, 600);
	ck_assert_int_eq(a->transport, -1);
	ck_assert_uint_eq(a->keepalive_s, 0);
	ck_assert_ptr_null(a->server_name);
	ck_assert_uint_eq(a->line, 1);
}

START_TEST(test_key_table)
{
	size_t n = cfg_key_count();

	ck_assert_uint_eq(n, 62);
	ck_assert_ptr_null(cfg_key_at(n));
	for (size_t i = 0; i < n; i++) {
		const struct cfg_key_info *k = cfg_key_at(i);
		char text[512];
		struct cfg *c;

		ck_assert_ptr_nonnull(k);
		ck_assert_msg(k->section[0] && k->name[0], "key %zu", i);
		/* Empty defaults: no DNS server, no recording, no [tls] file or cipher list. */
		ck_assert_msg(k->def[0] || !strcmp(k->type, "address list") ||
				  !strcmp(k->name, "record_dir") || !strcmp(k->section, "tls"),
			      "%s: no default", k->name);
		ck_assert_msg(strlen(k->help) > 20, "%s: help too short", k->name);
		check_key_range(k);
		for (size_t j = 0; j < i; j++)
			ck_assert(strcmp(cfg_key_at(j)->name, k->name) != 0 ||
				  strcmp(cfg_key_at(j)->section, k->section) != 0);
		/* The account rows come last, and all of them are reloadable. */
		if (i >= n - 13) {
			ck_assert_msg(is_account_row(k), "%s: not an account row", k->name);
			ck_assert(k->reloadable);
		}
		/* The default, written in a file, loads and gives the defaults. */
		if (is_account_row(k)) {
			if (strcmp(k->type, "integer") != 0)
				continue; /* words: test_account_defaults has them */
			snprintf(text, sizeof(text),
				 "[account t]\nuri = sip:t@example.com\n%s = %s\n", k->name,
				 k->def);
			c = load_ok(text);
			ck_assert_uint_eq(c->n_accounts, 1);
			assert_account_defaults(&c->accounts[0]);
			ck_assert(!c->accept_unknown_users);
		} else {
			snprintf(text, sizeof(text), "[%s]\n%s = %s\n", k->section, k->name,
				 k->def);
			c = load_ok(text);
			assert_defaults(c);
		}
		cfg_free(c);
	}
}
END_TEST

/* [sip] accept_unknown_users: auto follows whether any account is configured. */
START_TEST(test_accept_unknown_users)
{
	struct cfg *c = load_ok("[sip]\naccept_unknown_users = auto\n");

	ck_assert_uint_eq(c->accept_unknown_users_mode, CFG_ACCEPT_AUTO);
	ck_assert(c->accept_unknown_users);
	cfg_free(c);
	c = load_ok("[sip]\naccept_unknown_users = AUTO\n[account a]\nuri = sip:a@example.com\n");
	ck_assert_uint_eq(c->accept_unknown_users_mode, CFG_ACCEPT_AUTO);
	ck_assert(!c->accept_unknown_users);
	cfg_free(c);
	/* No key at all: auto, resolved the same way. */
	c = load_ok("[account a]\nuri = sip:a@example.com\n");
	ck_assert(!c->accept_unknown_users);
	cfg_free(c);
	c = load_ok("[sip]\naccept_unknown_users = yes\n[account a]\nuri = sip:a@example.com\n");
	ck_assert_uint_eq(c->accept_unknown_users_mode, CFG_ACCEPT_YES);
	ck_assert(c->accept_unknown_users);
	cfg_free(c);
	c = load_ok("[sip]\naccept_unknown_users = no\n");
	ck_assert_uint_eq(c->accept_unknown_users_mode, CFG_ACCEPT_NO);
	ck_assert(!c->accept_unknown_users);
	cfg_free(c);
	load_errs("[sip]\naccept_unknown_users = maybe\naccept_unknown_users = 1\n",
		  "2: accept_unknown_users: 'maybe' is not one of auto | yes | no\n"
		  "3: repeated key 'accept_unknown_users' (first at line 2)\n");
	load_errs("[sip]\naccept_unknown_users =\n",
		  "2: accept_unknown_users: empty value: expected one of auto | yes | no\n");
}
END_TEST

/* [sip] dns_servers: IP literals, written back with their ports, comma-separated. */
START_TEST(test_dns_servers)
{
	static const char *const bad[] = {
	    "localhost",  "ns1.example.com:53", "127.0.0.1:0", "127.0.0.1:65536", "[::1]:0", "[::1",
	    "127.0.0.1:", "udp:127.0.0.1:53",	"1.2.3.4.5",   "[127.0.0.1]:53",
	};
	char text[256], want[512];
	struct cfg *c = load_ok("[sip]\ndns_servers = 127.0.0.1:5353 , ::1,[2001:DB8::1]:53,\t"
				"192.0.2.1\n");

	ck_assert_str_eq(c->dns_servers, "127.0.0.1:5353,[::1]:53,[2001:db8::1]:53,192.0.2.1:53");
	cfg_free(c);
	c = load_ok("[sip]\ndns_servers = [::1]\n");
	ck_assert_str_eq(c->dns_servers, "[::1]:53");
	cfg_free(c);
	/* Empty, written or not: the system's resolver configuration. */
	c = load_ok("[sip]\ndns_servers =\n");
	ck_assert_str_eq(c->dns_servers, "");
	cfg_free(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[sip]\ndns_servers = 127.0.0.1, %s\n", bad[i]);
		snprintf(want, sizeof(want),
			 "2: dns_servers: bad entry '%s': expected " DNS_EXP "\n", bad[i]);
		load_errs(text, want);
	}
	load_errs("[sip]\ndns_servers = 127.0.0.1, 127.0.0.1:53\n",
		  "2: dns_servers: duplicate entry '127.0.0.1:53'\n");
	load_errs("[sip]\ndns_servers = [0::1]:53, ::1\n",
		  "2: dns_servers: duplicate entry '[::1]:53'\n");
	load_errs("[sip]\ndns_servers = 127.0.0.1,,127.0.0.2\n",
		  "2: dns_servers: empty entry: expected 0..8 entries of HOST or HOST:PORT\n");
	load_errs("[sip]\ndns_servers = 127.0.0.1,\n",
		  "2: dns_servers: empty entry: expected 0..8 entries of HOST or HOST:PORT\n");
	c = load_ok("[sip]\ndns_servers = 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, "
		    "10.0.0.6, 10.0.0.7, 10.0.0.8\n");
	ck_assert_str_eq(c->dns_servers, "10.0.0.1:53,10.0.0.2:53,10.0.0.3:53,10.0.0.4:53,"
					 "10.0.0.5:53,10.0.0.6:53,10.0.0.7:53,10.0.0.8:53");
	cfg_free(c);
	load_errs("[sip]\ndns_servers = 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, "
		  "10.0.0.6, 10.0.0.7, 10.0.0.8, 10.0.0.9\n",
		  "2: dns_servers: more than 8 entries\n");
}
END_TEST

/* [sip] register_retry_min_s <= register_retry_max_s, each 1..86400. */
START_TEST(test_register_retry)
{
	struct cfg *c = load_ok("[sip]\nregister_retry_min_s = 5\nregister_retry_max_s = 5\n");

	ck_assert_uint_eq(c->register_retry_min_s, 5);
	ck_assert_uint_eq(c->register_retry_max_s, 5);
	cfg_free(c);
	load_errs("[sip]\nregister_retry_min_s = 600\nregister_retry_max_s = 60\n",
		  "3: register_retry_max_s: 60 is less than register_retry_min_s (600): expected "
		  "register_retry_max_s >= register_retry_min_s\n");
	load_errs("[sip]\nregister_retry_max_s = 20\n",
		  "2: register_retry_max_s: 20 is less than register_retry_min_s (30, the "
		  "default): expected register_retry_max_s >= register_retry_min_s\n");
	load_errs("[sip]\nregister_retry_min_s = 3600\n",
		  "2: register_retry_min_s: 3600 is more than register_retry_max_s (1800, the "
		  "default): expected register_retry_min_s <= register_retry_max_s\n");
	load_errs("[sip]\nregister_retry_min_s = 0\nregister_retry_max_s = 86401\n",
		  "2: register_retry_min_s: 0 is out of range 1..86400\n"
		  "3: register_retry_max_s: 86401 is out of range 1..86400\n");
	/* A refused value is not compared. */
	load_errs("[sip]\nregister_retry_min_s = 1m\nregister_retry_max_s = 20\n",
		  "2: register_retry_min_s: '1m' is not an integer (1..86400)\n");
}
END_TEST

/* One uri and nothing else: every default; the defaults that follow from other keys. */
START_TEST(test_account_defaults)
{
	struct cfg *c = load_ok("[account t]\nuri = sip:t@example.com\n");
	const struct cfg_account *a;

	ck_assert_uint_eq(c->n_accounts, 1);
	assert_account_defaults(&c->accounts[0]);
	cfg_free(c);
	/* A registrar: register defaults to yes; the user name drops the uri's ;params. */
	c = load_ok("[account bob]\nuri = SIPS:+4930123;npdi@example.com:5061;transport=tcp\n"
		    "registrar = sips:reg.example.com\n");
	a = &c->accounts[0];
	ck_assert_str_eq(a->username, "+4930123");
	ck_assert_str_eq(a->registrar, "sips:reg.example.com");
	ck_assert(a->reg);
	cfg_free(c);
	/* register = yes without a registrar: the uri's scheme, host and port. */
	c = load_ok("[account bob]\nuri = SIPS:bob@[2001:db8::1]:5061;transport=tcp?x=y\n"
		    "register = YES\n");
	a = &c->accounts[0];
	ck_assert_str_eq(a->registrar, "sips:[2001:db8::1]:5061");
	ck_assert(a->reg);
	cfg_free(c);
	c = load_ok("[account bob]\nuri = sip:bob@example.com\nregister = yes\n");
	ck_assert_str_eq(c->accounts[0].registrar, "sip:example.com");
	cfg_free(c);
	/* register = no keeps a registrar that is written, and adds none. */
	c = load_ok("[account bob]\nuri = sip:bob@example.com\nregister = no\n"
		    "registrar = sip:example.com\n[account carol]\nuri = sip:carol@example.com\n"
		    "register = no\n");
	ck_assert(!c->accounts[0].reg);
	ck_assert_str_eq(c->accounts[0].registrar, "sip:example.com");
	ck_assert(!c->accounts[1].reg);
	ck_assert_ptr_null(c->accounts[1].registrar);
	cfg_free(c);
}
END_TEST

/* Several accounts, every key, in file order, between other sections. */
START_TEST(test_accounts)
{
	struct cfg *c = load_ok("[account alice]\n"
				"uri = sip:alice@example.com\n"
				"display_name = Alice Müller (lab)\n"
				"registrar = sip:example.com\n"
				"outbound_proxy = sip:proxy.example.com;lr\n"
				"username = alice-auth\n"
				"password = s3cret with blanks\n"
				"register = yes\n"
				"expires = 10\n"
				"transport = TLS\n"
				"keepalive_interval = 3600\n"
				"[sip]\n"
				"t1_ms = 600\n"
				"[account Bob_2.x-y]\n"
				"  uri = sip:bob@192.0.2.1:5070\n"
				"transport = udp\n"
				"expires = 86400\n"
				"\n"
				"[account c]\n"
				"uri = sip:c@example.com\n"
				"transport = tcp\n"
				"keepalive_interval = 0\n");
	const struct cfg_account *a;

	ck_assert_uint_eq(c->t1_ms, 600);
	ck_assert_uint_eq(c->n_accounts, 3);
	a = &c->accounts[0];
	ck_assert_str_eq(a->name, "alice");
	ck_assert_str_eq(a->uri, "sip:alice@example.com");
	ck_assert_str_eq(a->display_name, "Alice Müller (lab)");
	ck_assert_str_eq(a->registrar, "sip:example.com");
	ck_assert_str_eq(a->outbound_proxy, "sip:proxy.example.com;lr");
	ck_assert_str_eq(a->username, "alice-auth");
	ck_assert_str_eq(a->password, "s3cret with blanks");
	ck_assert(a->reg);
	ck_assert_uint_eq(a->expires, 10);
	ck_assert_int_eq(a->transport, NET_TLS);
	ck_assert_uint_eq(a->keepalive_s, 3600);
	ck_assert_uint_eq(a->line, 1);
	a = &c->accounts[1];
	ck_assert_str_eq(a->name, "Bob_2.x-y");
	ck_assert_str_eq(a->uri, "sip:bob@192.0.2.1:5070");
	ck_assert_str_eq(a->username, "bob");
	ck_assert_ptr_null(a->password);
	ck_assert_ptr_null(a->registrar);
	ck_assert(!a->reg);
	ck_assert_uint_eq(a->expires, 86400);
	ck_assert_int_eq(a->transport, NET_UDP);
	ck_assert_uint_eq(a->line, 14);
	a = &c->accounts[2];
	ck_assert_str_eq(a->name, "c");
	ck_assert_int_eq(a->transport, NET_TCP);
	ck_assert_uint_eq(a->keepalive_s, 0);
	ck_assert_uint_eq(a->line, 19);
	cfg_free(c);
}
END_TEST

/* The header: a name, a good one, not the built-in one's, once. */
START_TEST(test_account_header)
{
	char text[128];

	load_errs("[account]\nuri = sip:a@example.com\n[account   ]\n[account\t]\n",
		  "1: [account]: no account name: expected [account NAME], NAME 1..32 characters "
		  "of A-Z a-z 0-9 . _ -\n"
		  "3: [account   ]: no account name: expected [account NAME], NAME 1..32 "
		  "characters of A-Z a-z 0-9 . _ -\n"
		  "4: [account\\x09]: no account name: expected [account NAME], NAME 1..32 "
		  "characters of A-Z a-z 0-9 . _ -\n");
	load_errs(
	    "[account al ice]\nuri = x\n[account a/b]\n[account bob ]\n[account é]\n",
	    "1: [account al ice]: bad account name: expected 1..32 characters of A-Z a-z 0-9 "
	    ". _ -\n"
	    "3: [account a/b]: bad account name: expected 1..32 characters of A-Z a-z 0-9 . _ "
	    "-\n"
	    "4: [account bob ]: bad account name: expected 1..32 characters of A-Z a-z 0-9 . "
	    "_ -\n"
	    "5: [account \\xc3\\xa9]: bad account name: expected 1..32 characters of A-Z a-z "
	    "0-9 . _ -\n");
	/* 32 characters are a name, 33 are not. */
	snprintf(text, sizeof(text), "[account %032d]\nuri = sip:a@example.com\n", 0);
	cfg_free(load_ok(text));
	load_errs("[account 000000000000000000000000000000000]\n",
		  "1: [account 000000000000000000000000000000000]: bad account name: expected "
		  "1..32 characters of A-Z a-z 0-9 . _ -\n");
	load_errs("[account default]\nuri = sip:a@example.com\n",
		  "1: [account default]: the name default is reserved for the built-in account: "
		  "expected another name\n");
	/* A duplicate's keys are not read: one error for the section. */
	load_errs("[account alice]\nuri = sip:alice@example.com\n[sip]\n[account alice]\n"
		  "bogus = 1\n[account Alice]\nuri = sip:alice@example.com\n[account alice]\n",
		  "4: duplicate [account alice], first at line 1\n"
		  "8: duplicate [account alice], first at line 1\n");
	load_errs("[account alice] x\nuri = sip:alice@example.com\n",
		  "1: text after [account alice]: expected the end of the line or a ; comment\n");
	/* A key before any section names the account section among the others. */
	load_errs("uri = sip:a@example.com\n",
		  "1: key 'uri' before any section: expected it under one of " SECTIONS "\n");
}
END_TEST

/* Keys in an account: unknown, repeated, empty, and uri required. */
START_TEST(test_account_keys)
{
	load_errs("[account alice]\nuri = sip:alice@example.com\nurl = sip:x@y\nuri = sip:b@y\n"
		  "t1_ms = 500\n",
		  "3: unknown key 'url' in [account alice]: expected one of " ACCOUNT_KEYS "\n"
		  "4: repeated key 'uri' (first at line 2)\n"
		  "5: unknown key 't1_ms' in [account alice]: expected one of " ACCOUNT_KEYS "\n");
	/* No uri: said at the header, once the section ends (at the next header or the end). */
	load_errs("[account alice]\ndisplay_name = Alice\n[account bob]\n",
		  "1: [account alice]: no uri: expected uri = " URI_EXP "\n"
		  "3: [account bob]: no uri: expected uri = " URI_EXP "\n");
	/* A refused uri is one error, not two. */
	load_errs("[account alice]\nuri =\n", "2: uri: empty value: expected " URI_EXP "\n");
	load_errs("[account a]\nuri = sip:a@example.com\ndisplay_name =\nregistrar =\n"
		  "outbound_proxy =\nusername =\npassword =\nregister =\nexpires =\ntransport =\n"
		  "keepalive_interval =\n",
		  "3: display_name: empty value: expected " TEXT_EXP "\n"
		  "4: registrar: empty value: expected " PROXY_EXP "\n"
		  "5: outbound_proxy: empty value: expected " PROXY_EXP "\n"
		  "6: username: empty value: expected " TEXT_EXP "\n"
		  "7: password: empty value: expected 1..255 characters without control "
		  "characters\n"
		  "8: register: empty value: expected yes | no\n"
		  "9: expires: empty value: expected 10..86400\n"
		  "10: transport: empty value: expected udp | tcp | tls\n"
		  "11: keepalive_interval: empty value: expected 0..3600\n");
	load_errs("[account a]\nuri = sip:a@example.com\nregister = maybe\nexpires = 9\n"
		  "transport = sctp\nkeepalive_interval = 3601\n",
		  "3: register: 'maybe' is not one of yes | no\n"
		  "4: expires: 9 is out of range 10..86400\n"
		  "5: transport: 'sctp' is not one of udp | tcp | tls\n"
		  "6: keepalive_interval: 3601 is out of range 0..3600\n");
	load_errs("[account a]\nuri = sip:a@example.com\nregister = 1\nexpires = 86401\n"
		  "transport = ws\nkeepalive_interval = -1\nexpires = 10m\n",
		  "3: register: '1' is not one of yes | no\n"
		  "4: expires: 86401 is out of range 10..86400\n"
		  "5: transport: 'ws' is not one of udp | tcp | tls\n"
		  "6: keepalive_interval: '-1' is not an integer (0..3600)\n"
		  "7: repeated key 'expires' (first at line 4)\n");
	load_errs("[account a]\nuri = sip:a@example.com\nexpires = 10m\n",
		  "3: expires: '10m' is not an integer (10..86400)\n");
}
END_TEST

/* uri, registrar and outbound_proxy: the checks a config can make of a SIP URI. */
START_TEST(test_account_uris)
{
	load_errs("[account a]\nuri = tel:+4930123\n[account b]\nuri = alice@example.com\n"
		  "[account c]\nuri = http://c:pw@example.com\n[account d]\nuri = sip:example.com\n"
		  "[account e]\nuri = sip:@example.com\n[account f]\nuri = sip:f@\n"
		  "[account g]\nuri = sip:g@;transport=tcp\n",
		  "2: uri: 'tel:' is not a sip: or sips: URI: expected " URI_EXP "\n"
		  "4: uri: 'alice@example.com' is not a sip: or sips: URI: expected " URI_EXP "\n"
		  "6: uri: 'http:' is not a sip: or sips: URI: expected " URI_EXP "\n"
		  "8: uri: 'sip:example.com' has no user part: expected " URI_EXP "\n"
		  "10: uri: 'sip:@example.com' has an empty user part: expected " URI_EXP "\n"
		  "12: uri: 'sip:f@' has no host: expected " URI_EXP "\n"
		  "14: uri: 'sip:g@;transport=tcp' has no host: expected " URI_EXP "\n");
	/* A password in the URI is refused without being repeated. */
	load_errs("[account a]\nuri = sip:alice:secret@example.com\n",
		  "2: uri: a password in the URI (USER:PASSWORD@) is not taken: expected " URI_EXP
		  ", and password or password_file\n");
	load_errs(
	    "[account a]\nuri = sip:alice @example.com\n[account b]\n"
	    "uri = sip:b\t@example.com\n[account c]\nuri = sip:c@ex\x7f"
	    "ample.com\n"
	    "[account d]\nuri = sip:d@exämple.com\n",
	    "2: uri: character 10 (\\x20) is a blank or not printable ASCII: expected " URI_EXP "\n"
	    "4: uri: character 6 (\\x09) is a blank or not printable ASCII: expected " URI_EXP "\n"
	    "6: uri: character 9 (\\x7f) is a blank or not printable ASCII: expected " URI_EXP "\n"
	    "8: uri: character 9 (\\xc3) is a blank or not printable ASCII: expected " URI_EXP
	    "\n");
	load_errs("[account a]\nuri = sip:a@exa_mple.com\n[account b]\nuri = sip:b@example.com:0\n"
		  "[account c]\nuri = sip:c@example.com:65536\n[account d]\nuri = sip:d@[::1\n"
		  "[account e]\nuri = sip:e@[zz::1]:5060\n[account f]\nuri = sip:f@h:50x\n"
		  "[account g]\nuri = sip:g@:5060\n",
		  "2: uri: bad host 'exa_mple.com': expected " HOST_EXP "\n"
		  "4: uri: bad host 'example.com:0': expected " HOST_EXP "\n"
		  "6: uri: bad host 'example.com:65536': expected " HOST_EXP "\n"
		  "8: uri: bad host '[::1': expected " HOST_EXP "\n"
		  "10: uri: bad host '[zz::1]:5060': expected " HOST_EXP "\n"
		  "12: uri: bad host 'h:50x': expected " HOST_EXP "\n"
		  "14: uri: bad host ':5060': expected " HOST_EXP "\n");
	/* registrar and outbound_proxy take a URI with or without a user. */
	load_errs("[account a]\nuri = sip:a@example.com\nregistrar = example.com\n"
		  "outbound_proxy = sips:\n",
		  "3: registrar: 'example.com' is not a sip: or sips: URI: expected " PROXY_EXP "\n"
		  "4: outbound_proxy: 'sips:' has no host: expected " PROXY_EXP "\n");
	load_errs(
	    "[account a]\nuri = sip:a@example.com\nregistrar = sip:u:p@example.com\n"
	    "outbound_proxy = sip:proxy .example.com\n",
	    "3: registrar: a password in the URI (USER:PASSWORD@) is not taken: expected " PROXY_EXP
	    ", and password or password_file\n"
	    "4: outbound_proxy: character 10 (\\x20) is a blank or not printable ASCII: "
	    "expected " PROXY_EXP "\n");
	/* With a bad registrar, register = yes does not make one up. */
	load_errs("[account a]\nuri = sip:a@example.com\nregister = yes\nregistrar = sip:\n",
		  "4: registrar: 'sip:' has no host: expected " PROXY_EXP "\n");
}
END_TEST

/* URIs that pass, as written. */
START_TEST(test_account_uris_ok)
{
	struct cfg *c = load_ok("[account a]\nuri = sip:a@example.com\n"
				"registrar = sip:registrar@EXAMPLE.com:5060;transport=tcp\n"
				"outbound_proxy = sip:[::1]:5062;lr\n"
				"[account b]\nuri = sips:b%40corp@192.0.2.1\n"
				"outbound_proxy = sips:127.0.0.1\n");

	ck_assert_str_eq(c->accounts[0].registrar, "sip:registrar@EXAMPLE.com:5060;transport=tcp");
	ck_assert_str_eq(c->accounts[0].outbound_proxy, "sip:[::1]:5062;lr");
	ck_assert_str_eq(c->accounts[1].uri, "sips:b%40corp@192.0.2.1");
	ck_assert_str_eq(c->accounts[1].username, "b%40corp");
	cfg_free(c);
}
END_TEST

/* display_name and username: UTF-8 text that can stand in a quoted-string as it is. */
START_TEST(test_account_text)
{
	char text[512], want[512];

	load_errs("[account a]\nuri = sip:a@example.com\ndisplay_name = Al\"ice\n"
		  "username = a\\b\n",
		  "3: display_name: character 3 (\\x22) is not allowed: expected " TEXT_EXP "\n"
		  "4: username: character 2 (\\x5c) is not allowed: expected " TEXT_EXP "\n");
	load_errs("[account a]\nuri = sip:a@example.com\ndisplay_name = A\tB\n"
		  "username = a\x7f\n",
		  "3: display_name: character 2 (\\x09) is not allowed: expected " TEXT_EXP "\n"
		  "4: username: character 2 (\\x7f) is not allowed: expected " TEXT_EXP "\n");
	/* Latin-1, an overlong '/', a UTF-16 surrogate, a cut sequence. */
	load_errs("[account a]\nuri = sip:a@example.com\ndisplay_name = M\xfcller\n"
		  "username = \xc0\xaf\n"
		  "[account b]\nuri = sip:b@example.com\ndisplay_name = x\xed\xa0\x80\n"
		  "username = ab\xe2\x82\n",
		  "3: display_name: byte 2 (\\xfc) is not UTF-8: expected " TEXT_EXP "\n"
		  "4: username: byte 1 (\\xc0) is not UTF-8: expected " TEXT_EXP "\n"
		  "7: display_name: byte 2 (\\xed) is not UTF-8: expected " TEXT_EXP "\n"
		  "8: username: byte 3 (\\xe2) is not UTF-8: expected " TEXT_EXP "\n");
	snprintf(text, sizeof(text),
		 "[account a]\nuri = sip:a@example.com\ndisplay_name = %0128d\n", 0);
	snprintf(want, sizeof(want), "3: display_name: 128 bytes: expected " TEXT_EXP "\n");
	load_errs(text, want);
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@example.com\nusername = %0127d\n",
		 0);
	cfg_free(load_ok(text));
}
END_TEST

/* Values longer than a default inih line: the URIs' and password's own bounds. */
START_TEST(test_account_long)
{
	char text[1024], want[256];
	struct cfg *c;
	int saved = ini_max_line;

	ini_max_line = 1024;
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@%0245d.com\npassword = %0255d\n", 0,
		 0);
	c = load_ok(text);
	ck_assert_uint_eq(strlen(c->accounts[0].uri), 255);
	ck_assert_uint_eq(strlen(c->accounts[0].password), 255);
	cfg_free(c);
	snprintf(text, sizeof(text),
		 "[account a]\nuri = sip:a@%0246d.com\npassword = %0256d\nregistrar = sip:%0252d\n",
		 0, 0, 0);
	snprintf(want, sizeof(want),
		 "2: uri: 256 characters: expected at most 255\n"
		 "3: password: 256 characters: expected 1..255\n"
		 "4: registrar: 256 characters: expected at most 255\n");
	load_errs(text, want);
	ini_max_line = saved;
}
END_TEST

/* password and password_file: one or the other, never quoted in a message. */
START_TEST(test_account_password)
{
	struct cfg *c = load_ok("[account a]\nuri = sip:a@example.com\npassword = a;b#c ;d\n");

	/* inih ends a value at " ;" only: a password with ';' in it needs none before. */
	ck_assert_str_eq(c->accounts[0].password, "a;b#c");
	cfg_free(c);
	/* A password that is all comment is an empty one. */
	load_errs("[account a]\nuri = sip:a@example.com\npassword = ;x\n",
		  "3: password: empty value: expected 1..255 characters without control "
		  "characters\n");
	load_errs("[account a]\nuri = sip:a@example.com\npassword = se\tcret\n",
		  "3: password: character 3 is a control character: expected 1..255 characters "
		  "without control characters\n");
	load_errs(
	    "[account a]\nuri = sip:a@example.com\npassword = x\npassword_file = /nonexistent\n"
	    "[account b]\nuri = sip:b@example.com\npassword_file = /nonexistent\npassword = x\n",
	    "4: password_file: password is set too (line 3): expected one of password, "
	    "password_file\n"
	    "7: password_file: /nonexistent: cannot read: No such file or directory\n"
	    "8: password: password_file is set too (line 7): expected one of password, "
	    "password_file\n");
}
END_TEST

/* A file of tmp_dir with these bytes; its path into path (PATH_SZ). */
static void write_file(char *path, const char *name, const char *bytes, size_t len)
{
	FILE *f;

	snprintf(path, PATH_SZ, "%s/%s", tmp_dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* password_file, absolute: the first line, without its line end. */
START_TEST(test_password_file)
{
	static const struct {
		const char *bytes, *want;
	} files[] = {
	    {"secret\n", "secret"},
	    {"secret", "secret"},
	    {"se cret\r\nsecond line\n", "se cret"},
	    {"s\n\n", "s"},
	};
	char path[PATH_SZ], text[2 * PATH_SZ], want[4 * PATH_SZ], big[300];
	struct cfg *c;

	unsetenv("CREDENTIALS_DIRECTORY");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		write_file(path, "a.pw", files[i].bytes, strlen(files[i].bytes));
		snprintf(text, sizeof(text),
			 "[account a]\nuri = sip:a@example.com\n"
			 "password_file = %s\n",
			 path);
		c = load_ok(text);
		ck_assert_str_eq(c->accounts[0].password, files[i].want);
		cfg_free(c);
	}
	/* Empty, or an empty first line. */
	write_file(path, "empty.pw", "", 0);
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@example.com\npassword_file = %s\n",
		 path);
	snprintf(want, sizeof(want),
		 "3: password_file: %s: first line empty: expected the password on it\n", path);
	load_errs(text, want);
	write_file(path, "nl.pw", "\nsecret\n", 8);
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@example.com\npassword_file = %s\n",
		 path);
	snprintf(want, sizeof(want),
		 "3: password_file: %s: first line empty: expected the password on it\n", path);
	load_errs(text, want);
	/* Missing, a directory, a control character, too long. */
	snprintf(text, sizeof(text),
		 "[account a]\nuri = sip:a@example.com\n"
		 "password_file = %s/missing.pw\n",
		 tmp_dir);
	snprintf(want, sizeof(want),
		 "3: password_file: %s/missing.pw: cannot read: No such file or directory\n",
		 tmp_dir);
	load_errs(text, want);
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@example.com\npassword_file = %s\n",
		 tmp_dir);
	snprintf(want, sizeof(want), "3: password_file: %s: not a regular file\n", tmp_dir);
	load_errs(text, want);
	write_file(path, "ctl.pw",
		   "ab\x01"
		   "c\n",
		   5);
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@example.com\npassword_file = %s\n",
		 path);
	snprintf(want, sizeof(want),
		 "3: password_file: %s: character 3 is a control character: expected 1..255 "
		 "characters without control characters\n",
		 path);
	load_errs(text, want);
	memset(big, 'x', sizeof(big));
	write_file(path, "big.pw", big, 255);
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@example.com\npassword_file = %s\n",
		 path);
	c = load_ok(text);
	ck_assert_uint_eq(strlen(c->accounts[0].password), 255);
	cfg_free(c);
	big[256] = '\n';
	write_file(path, "big.pw", big, 257);
	snprintf(want, sizeof(want),
		 "3: password_file: %s: first line longer than 255 characters\n", path);
	load_errs(text, want);
	write_file(path, "big.pw", big, sizeof(big));
	load_errs(text, want);
	load_errs("[account a]\nuri = sip:a@example.com\npassword_file = a\x01.pw\n",
		  "3: password_file: character 2 (\\x01) is a control character: expected a path "
		  "to a file whose first line is the password (1..255 characters)\n");
	if (geteuid() != 0) { /* root reads a mode 000 file */
		write_file(path, "noread.pw", "secret\n", 7);
		ck_assert_int_eq(chmod(path, 0), 0);
		snprintf(text, sizeof(text),
			 "[account a]\nuri = sip:a@example.com\npassword_file = %s\n", path);
		snprintf(want, sizeof(want),
			 "3: password_file: %s: cannot read: Permission denied\n", path);
		load_errs(text, want);
	}
}
END_TEST

/*
 * A relative password_file: in $CREDENTIALS_DIRECTORY (systemd's
 * LoadCredential=) when it is set, else beside the config file.
 */
START_TEST(test_password_file_relative)
{
	char path[PATH_SZ], creds[PATH_SZ], want[4 * PATH_SZ];
	struct cfg *c;

	unsetenv("CREDENTIALS_DIRECTORY");
	write_file(path, "alice.pw", "beside the config\n", 18);
	c = load_ok("[account alice]\nuri = sip:alice@example.com\npassword_file = alice.pw\n");
	ck_assert_str_eq(c->accounts[0].password, "beside the config");
	cfg_free(c);
	snprintf(creds, sizeof(creds), "%s/creds", tmp_dir);
	ck_assert_int_eq(mkdir(creds, 0700), 0);
	write_file(path, "creds/alice.pw", "from systemd", 12);
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", creds, 1), 0);
	c = load_ok("[account alice]\nuri = sip:alice@example.com\npassword_file = alice.pw\n");
	ck_assert_str_eq(c->accounts[0].password, "from systemd");
	cfg_free(c);
	/* An absolute path stays absolute. */
	snprintf(path, sizeof(path),
		 "[account alice]\nuri = sip:alice@example.com\n"
		 "password_file = %s/alice.pw\n",
		 tmp_dir);
	c = load_ok(path);
	ck_assert_str_eq(c->accounts[0].password, "beside the config");
	cfg_free(c);
	/* What the credentials directory lacks is not looked for beside the config. */
	write_file(path, "bob.pw", "secret\n", 7);
	snprintf(want, sizeof(want),
		 "3: password_file: %s/bob.pw: cannot read: No such file or directory\n", creds);
	load_errs("[account bob]\nuri = sip:bob@example.com\npassword_file = bob.pw\n", want);
	unsetenv("CREDENTIALS_DIRECTORY");
}
END_TEST

/* CFG_MAX_ACCOUNTS sections, and one more refused, naming the bound. */
START_TEST(test_account_max)
{
	size_t size = (CFG_MAX_ACCOUNTS + 1) * 48, n = 0;
	char *text = malloc(size), want[128];
	struct cfg *c;

	ck_assert_ptr_nonnull(text);
	for (unsigned i = 0; i < CFG_MAX_ACCOUNTS; i++)
		n += (size_t)snprintf(text + n, size - n, "[account a%u]\nuri = sip:a%u@h\n", i, i);
	c = load_ok(text);
	ck_assert_uint_eq(c->n_accounts, CFG_MAX_ACCOUNTS);
	ck_assert_str_eq(c->accounts[CFG_MAX_ACCOUNTS - 1].name, "a9999");
	ck_assert_str_eq(c->accounts[CFG_MAX_ACCOUNTS - 1].username, "a9999");
	ck_assert_uint_eq(c->accounts[CFG_MAX_ACCOUNTS - 1].line, 2 * CFG_MAX_ACCOUNTS - 1);
	cfg_free(c);
	snprintf(text + n, size - n, "[account more]\nuri = sip:more@h\n");
	snprintf(want, sizeof(want), "%u: [account more]: more than %u accounts\n",
		 2 * CFG_MAX_ACCOUNTS + 1, CFG_MAX_ACCOUNTS);
	load_errs(text, want);
	free(text);
}
END_TEST

/* Accounts are reloadable: never a restart, and a reload takes the new file's. */
START_TEST(test_account_reload)
{
	struct cfg *old = load_ok("[account a]\nuri = sip:a@example.com\npassword = one\n");
	struct cfg *n = load_ok("[account b]\nuri = sip:b@example.com\npassword = two\n"
				"[account c]\nuri = sip:c@example.com\n[sip]\n"
				"accept_unknown_users = yes\ndns_servers = 127.0.0.1\n"
				"register_retry_min_s = 1\nregister_retry_max_s = 2\n");
	char buf[64];

	ck_assert_uint_eq(cfg_restart_needed(old, n, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	cfg_keep_running(n, old);
	ck_assert_uint_eq(n->n_accounts, 2);
	ck_assert_str_eq(n->accounts[0].name, "b");
	ck_assert_str_eq(n->accounts[0].password, "two");
	ck_assert(n->accept_unknown_users);
	ck_assert_str_eq(n->dns_servers, "127.0.0.1:53");
	ck_assert_uint_eq(n->register_retry_max_s, 2);
	ck_assert_uint_eq(old->n_accounts, 1);
	ck_assert_str_eq(old->accounts[0].password, "one");
	cfg_free(old);
	cfg_free(n);
}
END_TEST

/* [tls], and [media] srtp_insecure_signalling: values, relative paths, the lines kept. */
START_TEST(test_tls_keys)
{
	struct cfg *c;
	char want[PATH_SZ];

	unsetenv("CREDENTIALS_DIRECTORY");
	c = load_ok("[sip]\nlisten = udp:127.0.0.1:5060, TLS:127.0.0.1:5061, tcp:[::1]:0, "
		    "tls:[::1]:0\n"
		    "[tls]\ncertificate = /etc/sipuad/cert.pem\nprivate_key = key.pem\n"
		    "ca_file = ca/ca.pem\nca_path = /etc/ssl/certs\n"
		    "ciphers = ECDHE+AESGCM:!aNULL\nverify_server = No\n"
		    "verify_client = Require\nsession_cache = no\nhandshake_timeout_s = 300\n"
		    "[media]\nsrtp_insecure_signalling = yes\n");
	ck_assert_uint_eq(c->n_listen, 4);
	ck_assert_int_eq(c->listen[1].proto, NET_TLS);
	ck_assert_str_eq(c->listen[1].text, "tls:127.0.0.1:5061");
	ck_assert_str_eq(c->listen[3].text, "tls:[::1]:0");
	ck_assert_str_eq(c->tls_certificate, "/etc/sipuad/cert.pem");
	/* Relative: beside the config file, as password_file. */
	snprintf(want, sizeof(want), "%s/key.pem", tmp_dir);
	ck_assert_str_eq(c->tls_private_key, want);
	snprintf(want, sizeof(want), "%s/ca/ca.pem", tmp_dir);
	ck_assert_str_eq(c->tls_ca_file, want);
	ck_assert_str_eq(c->tls_ca_path, "/etc/ssl/certs");
	ck_assert_str_eq(c->tls_ciphers, "ECDHE+AESGCM:!aNULL");
	ck_assert_uint_eq(c->tls_verify_server, 0);
	ck_assert_uint_eq(c->tls_verify_client, CFG_VERIFY_REQUIRE);
	ck_assert_uint_eq(c->tls_session_cache, 0);
	ck_assert_uint_eq(c->tls_handshake_timeout_s, 300);
	ck_assert_uint_eq(c->srtp_insecure_signalling, 1);
	/* Where each key was, for the messages of the daemon's checks. */
	ck_assert_uint_eq(cfg_key_line(c, "sip", "listen"), 2);
	ck_assert_uint_eq(cfg_key_line(c, "tls", "certificate"), 4);
	ck_assert_uint_eq(cfg_key_line(c, "tls", "private_key"), 5);
	ck_assert_uint_eq(cfg_key_line(c, "tls", "handshake_timeout_s"), 12);
	ck_assert_uint_eq(cfg_key_line(c, "sip", "t1_ms"), 0);
	ck_assert_uint_eq(cfg_key_line(c, "tls", "no_such_key"), 0);
	ck_assert_uint_eq(cfg_key_line(c, "account NAME", "uri"), 0);
	cfg_free(c);
	c = load_ok("[tls]\nverify_client = optional\ncertificate =\nprivate_key =\n");
	ck_assert_uint_eq(c->tls_verify_client, CFG_VERIFY_OPTIONAL);
	ck_assert_str_eq(c->tls_certificate, "");
	cfg_free(c);
	/* Under systemd with LoadCredential=, relative files are credentials. */
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/sipuad.service", 1);
	c = load_ok("[tls]\ncertificate = cert.pem\nprivate_key = key.pem\n");
	ck_assert_str_eq(c->tls_certificate, "/run/credentials/sipuad.service/cert.pem");
	ck_assert_str_eq(c->tls_private_key, "/run/credentials/sipuad.service/key.pem");
	cfg_free(c);
	unsetenv("CREDENTIALS_DIRECTORY");
	ck_assert_int_eq(cfg_defaults(codec_cfg_name, &c), 0);
	ck_assert_uint_eq(cfg_key_line(c, "tls", "certificate"), 0);
	cfg_free(c);
}
END_TEST

/* Every refused [tls] value, and what the keys ask of each other and of the listeners. */
START_TEST(test_tls_errors)
{
	load_errs("[tls]\nverify_server = maybe\nverify_client = sometimes\nsession_cache = 1\n"
		  "handshake_timeout_s = 0\n",
		  "2: verify_server: 'maybe' is not one of yes | no\n"
		  "3: verify_client: 'sometimes' is not one of no | optional | require\n"
		  "4: session_cache: '1' is not one of yes | no\n"
		  "5: handshake_timeout_s: 0 is out of range 1..300\n");
	load_errs("[tls]\nhandshake_timeout_s = 301\nverify_client = yes\n",
		  "2: handshake_timeout_s: 301 is out of range 1..300\n"
		  "3: verify_client: 'yes' is not one of no | optional | require\n");
	load_errs("[tls]\nhandshake_timeout_s = 10s\n",
		  "2: handshake_timeout_s: '10s' is not an integer (1..300)\n");
	load_errs("[tls]\nverify_server =\n",
		  "2: verify_server: empty value: expected one of yes | no\n");
	load_errs("[media]\nsrtp_insecure_signalling = true\n",
		  "2: srtp_insecure_signalling: 'true' is not one of yes | no\n");
	load_errs("[tls]\nciphers = HIGH:\x01\n",
		  "2: ciphers: character 6 (\\x01) is not printable: expected 0..1023 printable "
		  "ASCII characters\n");
	load_errs("[tls]\ncertificate = cert.pem\n",
		  "2: certificate: no private_key: expected [tls] private_key with it\n");
	load_errs("[tls]\nprivate_key = key.pem\ncertificate =\n",
		  "2: private_key: no certificate: expected [tls] certificate with it\n");
	load_errs("[sip]\nlisten = udp:127.0.0.1:5060, tls:127.0.0.1:5061\n",
		  "2: listen: tls:127.0.0.1:5061 needs [tls] certificate and private_key\n");
	load_errs("[tls]\nprivate_key = key.pem\n[sip]\nt1_ms = 500\nlisten = tls:[::1]:5061\n",
		  "5: listen: tls:[::1]:5061 needs [tls] certificate and private_key\n"
		  "2: private_key: no certificate: expected [tls] certificate with it\n");
	/* A refused certificate is reported once, not again by what needs it. */
	load_errs("[sip]\nlisten = tls:127.0.0.1:5061\n[tls]\ncertificate = a\tb\n"
		  "private_key = key.pem\n",
		  "4: certificate: character 2 (\\x09) is not printable: expected 0..4095 "
		  "printable ASCII characters\n");
	/* TCP and TLS listeners both bind TCP: not on one port (port 0 is a new one each). */
	load_errs("[sip]\nlisten = tcp:127.0.0.1:5060, tls:127.0.0.1:5060\n"
		  "[tls]\ncertificate = c.pem\nprivate_key = k.pem\n",
		  "2: listen: 'tcp:127.0.0.1:5060' and 'tls:127.0.0.1:5060' are one TCP port: "
		  "expected another port for tls (5061 by convention)\n");
	cfg_free(load_ok("[sip]\nlisten = udp:127.0.0.1:5060, tls:127.0.0.1:5060, tcp:[::1]:0, "
			 "tls:[::1]:0\n[tls]\ncertificate = c.pem\nprivate_key = k.pem\n"));
}
END_TEST

/* [account NAME] server_name: a DNS name, checked as one. */
START_TEST(test_server_name)
{
	static const char *const good[] = {"sip.example.com", "PBX-1.Example.COM", "localhost", "a",
					   "x1.example",      "123.example.com"};
	static const char *const bad[] = {
	    "-pbx.example.com",	    "pbx-.example.com", "a..b",
	    "example.com.",	    ".example.com",	"*.example.com",
	    "pbx_1.example.com",    "host.123",		"sip:pbx.example.com",
	    "pbx.example.com:5061", "h\xc3\xa9.example"};
	char text[1024], want[1024], name[300];
	struct cfg *c;
	int saved = ini_max_line;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text),
			 "[account a]\nuri = sip:a@10.0.0.1\nserver_name = %s\n", good[i]);
		c = load_ok(text);
		ck_assert_str_eq(c->accounts[0].server_name, good[i]);
		cfg_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char q[64];

		snprintf(text, sizeof(text), "[account a]\nuri = sip:a@h\nserver_name = %s\n",
			 bad[i]);
		snprintf(q, sizeof(q), "%s", bad[i]);
		if (strchr(q, '\xc3'))
			snprintf(q, sizeof(q), "h\\xc3\\xa9.example");
		snprintf(want, sizeof(want),
			 "3: server_name: '%s' is not a host name: expected a host name: "
			 "dot-separated labels of 1..63 letters, digits and inner -, at most 253 "
			 "characters\n",
			 q);
		load_errs(text, want);
	}
	load_errs("[account a]\nuri = sip:a@h\nserver_name = 192.0.2.1\n",
		  "3: server_name: '192.0.2.1' is an IP address: expected a host name (a server "
		  "called by its address has that address checked)\n");
	load_errs("[account a]\nuri = sip:a@h\nserver_name = ::1\n",
		  "3: server_name: '::1' is an IP address: expected a host name (a server called "
		  "by its address has that address checked)\n");
	/* Labels up to 63 characters, names up to 253. */
	ini_max_line = 1024;
	memset(name, 'a', 63);
	snprintf(name + 63, sizeof(name) - 63, ".example");
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@h\nserver_name = %s\n", name);
	cfg_free(load_ok(text));
	memset(name, 'a', 64);
	snprintf(name + 64, sizeof(name) - 64, ".example");
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@h\nserver_name = %s\n", name);
	snprintf(want, sizeof(want),
		 "3: server_name: '%.64s...' is not a host name: expected a host name: "
		 "dot-separated labels of 1..63 letters, digits and inner -, at most 253 "
		 "characters\n",
		 name);
	load_errs(text, want);
	for (size_t i = 0; i < 252; i++)
		name[i] = i % 2 ? '.' : 'a';
	name[252] = 'z';
	name[253] = '\0';
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@h\nserver_name = %s\n", name);
	cfg_free(load_ok(text));
	snprintf(text, sizeof(text), "[account a]\nuri = sip:a@h\nserver_name = %sz\n", name);
	load_errs(text, "3: server_name: 254 characters: expected a host name: dot-separated "
			"labels of 1..63 letters, digits and inner -, at most 253 characters\n");
	ini_max_line = saved;
}
END_TEST

/* Every [tls] key and srtp_insecure_signalling reload without a restart. */
START_TEST(test_restart_tls)
{
	struct cfg *a = load_ok("[sip]\nlisten = tls:127.0.0.1:5061\n[tls]\ncertificate = a.pem\n"
				"private_key = a.key\n");
	struct cfg *b =
	    load_ok("[sip]\nlisten = tls:127.0.0.1:5061\n[tls]\ncertificate = b.pem\n"
		    "private_key = b.key\nca_file = ca.pem\nca_path = /c\nciphers = HIGH\n"
		    "verify_server = no\nverify_client = require\nsession_cache = no\n"
		    "handshake_timeout_s = 1\n[media]\nsrtp_insecure_signalling = yes\n"
		    "[account x]\nuri = sip:x@h\nserver_name = h.example\n");
	char buf[128];

	ck_assert_uint_eq(cfg_restart_needed(a, b, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	cfg_keep_running(b, a);
	ck_assert_str_eq(b->tls_ciphers, "HIGH");
	ck_assert_uint_eq(b->tls_handshake_timeout_s, 1);
	ck_assert_str_eq(b->accounts[0].server_name, "h.example");
	cfg_free(a);
	cfg_free(b);
}
END_TEST

/* $SRCDIR/name, or the first of the likely relative places that exists. */
static void src_path(char *buf, size_t size, const char *name)
{
	static const char *const guesses[] = {".", "..", "../..", "../../.."};
	const char *srcdir = getenv("SRCDIR");

	if (srcdir) {
		snprintf(buf, size, "%s/%s", srcdir, name);
		return;
	}
	for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		snprintf(buf, size, "%s/%s", guesses[i], name);
		if (access(buf, R_OK) == 0)
			return;
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 65536);
	size_t n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_ptr_nonnull(text);
	n = fread(text, 1, 65535, f);
	ck_assert_uint_lt(n, 65535);
	fclose(f);
	return text;
}

START_TEST(test_shipped_conf)
{
	char path[4096], *errs = NULL, *text, line[512];
	struct cfg *c = NULL;

	src_path(path, sizeof(path), "conf/sipuad.conf");
	ck_assert_msg(cfg_load(path, codec_cfg_name, &c, &errs) == 0, "%s: %s", path,
		      errs ? errs : "");
	assert_defaults(c);
	/* The one key the source tree's copy sets otherwise; make install writes the default. */
	ck_assert_str_eq(c->socket, CHECKOUT_SOCKET);
	cfg_free(c);
	/*
	 * Every key is there, set to its default, under its section; the
	 * account keys in the commented-out example account.
	 */
	text = slurp(path);
	for (size_t i = 0; i < cfg_key_count(); i++) {
		const struct cfg_key_info *k = cfg_key_at(i);
		bool sock = !strcmp(k->section, "control") && !strcmp(k->name, "socket");
		char *sect, *key;

		if (is_account_row(k)) {
			sect = strstr(text, "\n; [account alice]\n");
			snprintf(line, sizeof(line), "\n; %s = ", k->name);
		} else {
			snprintf(line, sizeof(line), "\n[%s]\n", k->section);
			sect = strstr(text, line);
			snprintf(line, sizeof(line), "\n%s =%s%s\n", k->name, k->def[0] ? " " : "",
				 sock ? CHECKOUT_SOCKET : k->def);
		}
		key = sect ? strstr(sect, line) : NULL;
		ck_assert_msg(key, "%s: no '%s' under [%s]", path, line + 1, k->section);
	}
	free(text);
}
END_TEST

START_TEST(test_man_page)
{
	char path[4096], *text, line[512];

	src_path(path, sizeof(path), "man/sipuad.conf.5");
	text = slurp(path);
	for (size_t i = 0; i < cfg_key_count(); i++) {
		const struct cfg_key_info *k = cfg_key_at(i);

		snprintf(line, sizeof(line), ".SS [%s]\n", k->section);
		ck_assert_msg(strstr(text, line), "%s: no %s", path, line);
		snprintf(line, sizeof(line), ".TP\n.B %s\n", k->name);
		ck_assert_msg(strstr(text, line), "%s: no entry for %s", path, k->name);
		snprintf(line, sizeof(line), "Default: %s.", k->def[0] ? k->def : "empty");
		ck_assert_msg(strstr(text, line), "%s: %s: no '%s'", path, k->name, line);
	}
	free(text);
}
END_TEST

static Suite *cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *load = tcase_create("load"), *errors = tcase_create("errors");
	TCase *table = tcase_create("table"), *accounts = tcase_create("accounts");

	tcase_add_checked_fixture(load, setup, teardown);
	tcase_add_test(load, test_defaults);
	tcase_add_test(load, test_empty_file);
	tcase_add_test(load, test_full_file);
	tcase_add_test(load, test_unreadable);
	tcase_add_test(load, test_restart_needed);
	tcase_add_test(load, test_keep_running);
	tcase_add_test(load, test_restart_media);
	tcase_add_test(load, test_tls_keys);
	tcase_add_test(load, test_restart_tls);
	suite_add_tcase(s, load);

	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(errors, test_unknown_section);
	tcase_add_test(errors, test_unknown_key);
	tcase_add_test(errors, test_key_before_section);
	tcase_add_test(errors, test_not_integer);
	tcase_add_test(errors, test_out_of_range);
	tcase_add_test(errors, test_repeated_key);
	tcase_add_test(errors, test_bad_listen);
	tcase_add_test(errors, test_owner_group);
	tcase_add_test(errors, test_listen_list);
	tcase_add_test(errors, test_listen_max);
	tcase_add_test(errors, test_empty_value);
	tcase_add_test(errors, test_bad_string);
	tcase_add_test(errors, test_bad_enum);
	tcase_add_test(errors, test_rate_limit);
	tcase_add_test(errors, test_media_keys);
	tcase_add_test(errors, test_malformed);
	tcase_add_test(errors, test_long_line);
	tcase_add_test(errors, test_nul_byte);
	tcase_add_test(errors, test_many_errors);
	tcase_add_test(errors, test_error_cap);
	tcase_add_test(errors, test_t2_below_t1);
	tcase_add_test(errors, test_call_keys);
	tcase_add_test(errors, test_rtp_ports);
	tcase_add_test(errors, test_rtp_range);
	tcase_add_test(errors, test_codecs);
	tcase_add_test(errors, test_tls_errors);
	suite_add_tcase(s, errors);

	tcase_add_checked_fixture(accounts, setup, teardown);
	tcase_add_test(accounts, test_accept_unknown_users);
	tcase_add_test(accounts, test_dns_servers);
	tcase_add_test(accounts, test_register_retry);
	tcase_add_test(accounts, test_account_defaults);
	tcase_add_test(accounts, test_accounts);
	tcase_add_test(accounts, test_account_header);
	tcase_add_test(accounts, test_account_keys);
	tcase_add_test(accounts, test_account_uris);
	tcase_add_test(accounts, test_account_uris_ok);
	tcase_add_test(accounts, test_account_text);
	tcase_add_test(accounts, test_account_long);
	tcase_add_test(accounts, test_account_password);
	tcase_add_test(accounts, test_password_file);
	tcase_add_test(accounts, test_password_file_relative);
	tcase_add_test(accounts, test_account_max);
	tcase_add_test(accounts, test_account_reload);
	tcase_add_test(accounts, test_server_name);
	suite_add_tcase(s, accounts);

	tcase_add_checked_fixture(table, setup, teardown);
	tcase_add_test(table, test_key_table);
	tcase_add_test(table, test_shipped_conf);
	tcase_add_test(table, test_man_page);
	suite_add_tcase(s, table);
	return s;
}

int main(void)
{
	return check_run(cfg_suite());
}
