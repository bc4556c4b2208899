/*
 * check_daemon_tls: src/app/daemon_tls.c without a transport: [tls] from
 * a loaded config to struct tp_tls_cfg, when TLS counts as wanted, and the
 * config error a loading failure becomes (the key whose file failed, its
 * line).  Loading the files is the transport's (check_tp_tls) and the
 * daemon's start and reload are the integration tests'.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/daemon_tls.h"
#include "core/cfg.h"
#include "media/codec.h"
#include "sip/tp.h"

#include "check_run.h"

static char tmp_dir[64], conf_path[128];

static void setup(void)
{
	strcpy(tmp_dir, "/tmp/check_daemon_tls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
	snprintf(conf_path, sizeof(conf_path), "%s/sipuad.conf", tmp_dir);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void teardown(void)
{
	unlink(conf_path);
	rmdir(tmp_dir);
}

/* text as the config file; it must load.  The caller frees the result. */
static struct cfg *load(const char *text)
{
	FILE *f = fopen(conf_path, "w");
	struct cfg *c = NULL;
	char *errs = NULL;
	int err;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	err = cfg_load(conf_path, codec_cfg_name, &c, &errs);
	ck_assert_msg(err == 0, "cfg_load: %d: %s", err, errs ? errs : "");
	return c;
}

START_TEST(test_cfg_defaults)
{
	struct cfg *c = load("");
	struct tp_tls_cfg t;

	memset(&t, 0xa5, sizeof(t));
	daemon_tls_cfg(c, &t);
	/* Nothing set is NULL, not "": the transport's "none". */
	ck_assert_ptr_null(t.certificate);
	ck_assert_ptr_null(t.private_key);
	ck_assert_ptr_null(t.ca_file);
	ck_assert_ptr_null(t.ca_path);
	ck_assert_ptr_null(t.ciphers);
	ck_assert(t.verify_server);
	ck_assert_int_eq(t.verify_client, TP_VERIFY_NO);
	ck_assert(t.session_cache);
	ck_assert_uint_eq(t.handshake_timeout_s, 10);
	cfg_free(c);
}
END_TEST

START_TEST(test_cfg_all)
{
	struct cfg *c = load("[tls]\ncertificate = /etc/sipuad/cert.pem\nprivate_key = key.pem\n"
			     "ca_file = /etc/sipuad/ca.pem\nca_path = /etc/ssl/certs\n"
			     "ciphers = ECDHE+AESGCM\nverify_server = no\nverify_client = optional\n"
			     "session_cache = no\nhandshake_timeout_s = 3\n");
	struct tp_tls_cfg t;
	char key[256];

	daemon_tls_cfg(c, &t);
	snprintf(key, sizeof(key), "%s/key.pem", tmp_dir);
	ck_assert_str_eq(t.certificate, "/etc/sipuad/cert.pem");
	ck_assert_str_eq(t.private_key, key);
	ck_assert_str_eq(t.ca_file, "/etc/sipuad/ca.pem");
	ck_assert_str_eq(t.ca_path, "/etc/ssl/certs");
	ck_assert_str_eq(t.ciphers, "ECDHE+AESGCM");
	ck_assert(!t.verify_server);
	ck_assert_int_eq(t.verify_client, TP_VERIFY_OPTIONAL);
	ck_assert(!t.session_cache);
	ck_assert_uint_eq(t.handshake_timeout_s, 3);
	cfg_free(c);
	c = load("[tls]\nverify_client = require\n");
	daemon_tls_cfg(c, &t);
	ck_assert_int_eq(t.verify_client, TP_VERIFY_REQUIRE);
	cfg_free(c);
}
END_TEST

/* What makes a failure to load [tls] an error rather than a warning. */
START_TEST(test_wanted)
{
	static const struct {
		const char *text;
		bool wanted;
	} cases[] = {
	    {"", false},
	    {"[tls]\nverify_server = no\nsession_cache = no\nhandshake_timeout_s = 5\n", false},
	    {"[tls]\nca_file = ca.pem\n", true},
	    {"[tls]\nca_path = /etc/ssl/certs\n", true},
	    {"[tls]\nciphers = HIGH\n", true},
	    {"[tls]\ncertificate = c.pem\nprivate_key = k.pem\n", true},
	    {"[sip]\nlisten = udp:127.0.0.1:0, tls:127.0.0.1:0\n[tls]\ncertificate = c\n"
	     "private_key = k\n",
	     true},
	    {"[account a]\nuri = sip:a@example.com\nregistrar = sip:example.com\n", false},
	    {"[account a]\nuri = sip:a@example.com\ntransport = tls\n", true},
	    {"[account a]\nuri = sip:a@example.com\ntransport = tcp\n", false},
	    {"[account a]\nuri = SIPS:a@example.com\n", true},
	    {"[account a]\nuri = sip:a@example.com\nregistrar = sips:example.com\n", true},
	    {"[account a]\nuri = sip:a@example.com\noutbound_proxy = sip:p.example.com;lr;"
	     "transport=TLS\n",
	     true},
	    {"[account a]\nuri = sip:a@example.com\noutbound_proxy = sip:p.example.com;"
	     "transport=tlsx\n",
	     false},
	    {"[account a]\nuri = sip:a@example.com\n[account b]\nuri = sip:b@example.com\n"
	     "registrar = sip:example.com;transport=tls\n",
	     true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg *c = load(cases[i].text);

		ck_assert_msg(daemon_tls_wanted(c) == cases[i].wanted, "case %zu: %s", i,
			      cases[i].text);
		cfg_free(c);
	}
}
END_TEST

/* A failure as the transport words it, back to the key and line it is about. */
START_TEST(test_msg)
{
	struct cfg *c = load("[log]\nlevel = info\n[tls]\n; ours\ncertificate = /t/cert.pem\n"
			     "private_key = /t/key.pem\nca_file = /t/ca.pem\nca_path = /t/cas\n"
			     "ciphers = NOPE\n");
	char buf[512], want[512];

	ck_assert_str_eq(daemon_tls_culprit(c, -EINVAL, "/t/key.pem: key values mismatch"),
			 "private_key");
	ck_assert_str_eq(daemon_tls_culprit(c, -ENOENT, "/t/cert.pem: No such file or directory"),
			 "certificate");
	ck_assert_str_eq(daemon_tls_culprit(c, -EINVAL, "/t/ca.pem: no certificate found"),
			 "ca_file");
	ck_assert_str_eq(daemon_tls_culprit(c, -EACCES, "/t/cas: Permission denied"), "ca_path");
	/* A file named in the middle of the text is not the one it is about. */
	ck_assert_str_eq(daemon_tls_culprit(c, -EPERM, "readable by others: /t/cert.pem"),
			 "private_key");
	ck_assert_str_eq(daemon_tls_culprit(c, -EINVAL, "NOPE: no cipher match"), "ciphers");
	ck_assert_ptr_null(daemon_tls_culprit(c, -ENOMEM, "out of memory"));
	/* A prefix of another path is not that path. */
	ck_assert_ptr_null(daemon_tls_culprit(c, -ENOENT, "/t/cert.pem.bak: gone"));

	daemon_tls_msg(c, conf_path, -EPERM,
		       "/t/key.pem: readable by group or others (chmod 600 it)", buf,
		       sizeof(buf));
	snprintf(want, sizeof(want),
		 "%s:6: private_key: /t/key.pem: readable by group or others (chmod 600 it)",
		 conf_path);
	ck_assert_str_eq(buf, want);
	daemon_tls_msg(c, conf_path, -ENOENT, "/t/cert.pem: No such file or directory", buf,
		       sizeof(buf));
	snprintf(want, sizeof(want), "%s:5: certificate: /t/cert.pem: No such file or directory",
		 conf_path);
	ck_assert_str_eq(buf, want);
	daemon_tls_msg(c, conf_path, -EINVAL, "NOPE: no cipher match", buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s:9: ciphers: NOPE: no cipher match", conf_path);
	ck_assert_str_eq(buf, want);
	daemon_tls_msg(c, conf_path, -ENOSYS, "TLS is not built", buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s: [tls]: TLS is not built", conf_path);
	ck_assert_str_eq(buf, want);
	/* Cut to the buffer, never past it. */
	daemon_tls_msg(c, conf_path, -ENOSYS, "TLS is not built", buf, 8);
	ck_assert_uint_eq(strlen(buf), 7);
	cfg_free(c);

	/* No [tls] file set: nothing to blame but the section. */
	c = load("");
	ck_assert_ptr_null(daemon_tls_culprit(c, -EPERM, "/t/key.pem: readable"));
	daemon_tls_msg(c, conf_path, -EIO, "no CA store", buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s: [tls]: no CA store", conf_path);
	ck_assert_str_eq(buf, want);
	cfg_free(c);
}
END_TEST

/* Without TLS wanted, --check-config has no file of the user's to load: it does not try. */
START_TEST(test_check_not_wanted)
{
	struct cfg *c = load("[tls]\nverify_client = require\n");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(daemon_tls_check(c, conf_path, f), 0);
	fclose(f);
	ck_assert_str_eq(out, "");
	free(out);
	cfg_free(c);
}
END_TEST

static Suite *daemon_tls_suite(void)
{
	Suite *s = suite_create("daemon_tls");
	TCase *tc = tcase_create("map");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cfg_defaults);
	tcase_add_test(tc, test_cfg_all);
	tcase_add_test(tc, test_wanted);
	tcase_add_test(tc, test_msg);
	tcase_add_test(tc, test_check_not_wanted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(daemon_tls_suite());
}
