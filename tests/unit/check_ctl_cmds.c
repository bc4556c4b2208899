/*
 * check_ctl_cmds: the control command table (src/ctl/ctl_cmds*.h), the one
 * list that sipuad dispatches from and sipuactl reads its commands from.
 * Every row is found by its name at its own index (enum ctl_cmd_id), has a
 * usage that starts with its name, help, well-formed arguments, and an
 * entry in sipuactl(1) (found through $SRCDIR).  That every row is served
 * is not a property of the table: check_ctl sends each one to the server,
 * and the control integration test to the daemon.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl_cmds.h"
#include "ctl_proto.h"

#include "check_run.h"

START_TEST(test_find)
{
	ck_assert_uint_eq(ctl_ncmds, CTL_NCMDS);
	for (unsigned i = 0; i < ctl_ncmds; i++)
		ck_assert_ptr_eq(ctl_cmd_find(ctl_cmds[i].name), &ctl_cmds[i]);
	ck_assert_ptr_eq(ctl_cmd_find("log-level"), &ctl_cmds[CTL_CMD_log_level]);
	ck_assert_ptr_eq(ctl_cmd_find("call-info"), &ctl_cmds[CTL_CMD_call_info]);
	ck_assert_str_eq(ctl_cmds[CTL_CMD_hello].name, "hello");
	ck_assert_ptr_null(ctl_cmd_find("no-such-command"));
	ck_assert_ptr_null(ctl_cmd_find(""));
	ck_assert_ptr_null(ctl_cmd_find("Hello"));
}
END_TEST

START_TEST(test_table_well_formed)
{
	for (unsigned i = 0; i < ctl_ncmds; i++) {
		const struct ctl_cmd_info *c = &ctl_cmds[i];
		size_t n = strlen(c->name);
		bool rest = false;

		ck_assert_msg(n > 0 && strspn(c->name, "abcdefghijklmnopqrstuvwxyz-") == n,
			      "bad name '%s'", c->name);
		ck_assert_msg(strncmp(c->usage, c->name, n) == 0 &&
				  (c->usage[n] == '\0' || c->usage[n] == ' '),
			      "%s: usage '%s'", c->name, c->usage);
		ck_assert_msg(c->help && strlen(c->help) > 10, "%s: no help", c->name);
		for (unsigned j = i + 1; j < ctl_ncmds; j++)
			ck_assert_msg(strcmp(c->name, ctl_cmds[j].name) != 0, "%s twice", c->name);
		for (unsigned a = 0; a < CTL_MAX_ARGS && c->args[a].name; a++) {
			ck_assert_msg(!rest, "%s: an argument after a list", c->name);
			ck_assert_msg(c->args[a].help && c->args[a].help[0], "%s: %s: no help",
				      c->name, c->args[a].name);
			rest = c->args[a].type == CTL_ARG_STRINGS;
		}
	}
}
END_TEST

static char *slurp_src(const char *name)
{
	static const char *const guesses[] = {".", "..", "../..", "../../.."};
	const char *srcdir = getenv("SRCDIR");
	char path[4096];
	FILE *f = NULL;
	char *text = calloc(1, 1 << 20);
	size_t n;

	if (srcdir) {
		snprintf(path, sizeof(path), "%s/%s", srcdir, name);
		f = fopen(path, "r");
	}
	for (size_t i = 0; !f && i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", guesses[i], name);
		f = fopen(path, "r");
	}
	ck_assert_msg(f != NULL, "%s: %s", name, strerror(errno));
	ck_assert_ptr_nonnull(text);
	n = fread(text, 1, (1 << 20) - 1, f);
	ck_assert_uint_lt(n, (1 << 20) - 1);
	fclose(f);
	return text;
}

/* sipuactl(1) has an entry ".TP\n.B name" for every command, with its arguments. */
START_TEST(test_man_page)
{
	char *text = slurp_src("man/sipuactl.1"), want[256];

	for (unsigned i = 0; i < ctl_ncmds; i++) {
		const struct ctl_cmd_info *c = &ctl_cmds[i];
		const char *entry;

		snprintf(want, sizeof(want), ".TP\n.B %s\n", c->name);
		entry = strstr(text, want);
		if (!entry) {
			/* "log-level" is written "log\-level" in roff. */
			char roff[128];
			size_t k = 0;

			for (const char *p = c->name; *p && k + 3 < sizeof(roff); p++) {
				if (*p == '-')
					roff[k++] = '\\';
				roff[k++] = *p;
			}
			roff[k] = '\0';
			snprintf(want, sizeof(want), ".TP\n.B %s", roff);
			entry = strstr(text, want);
		}
		ck_assert_msg(entry != NULL, "man/sipuactl.1: no entry for %s", c->name);
	}
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_cmds");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_table_well_formed);
	tcase_add_test(tc, test_man_page);
	suite_add_tcase(s, tc);
	return check_run(s);
}
