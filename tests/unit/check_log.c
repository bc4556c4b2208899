/*
 * check_log: the rate limits of lines remote input causes (log.h): the
 * burst, the window, the summary when the window ends (from the due hook,
 * from the next line of any class, at exit), several classes and tiers,
 * level debug, the budget parser.  Time is a fake clock moved by the test;
 * the lines are read from stderr, the foreground sink.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

#include "check_run.h"

static uint64_t now = 5000;
static uint64_t due_at;
static unsigned n_due;

static uint64_t fake_now(void *arg)
{
	(void)arg;
	return now;
}

static void fake_due(void *arg, uint64_t at)
{
	(void)arg;
	due_at = at;
	n_due++;
}

static int saved_fd = -1;
static FILE *cap;

static void capture_start(void)
{
	fflush(stderr);
	cap = tmpfile();
	ck_assert_ptr_nonnull(cap);
	saved_fd = dup(2);
	ck_assert_int_ge(saved_fd, 0);
	ck_assert_int_ge(dup2(fileno(cap), 2), 0);
}

static void capture_stop(char *out, size_t size)
{
	size_t n;

	fflush(stderr);
	ck_assert_int_ge(dup2(saved_fd, 2), 0);
	close(saved_fd);
	rewind(cap);
	n = fread(out, 1, size - 1, cap);
	out[n] = '\0';
	fclose(cap);
}

static unsigned count(const char *s, const char *what)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void setup(void)
{
	now = 5000;
	due_at = 0;
	n_due = 0;
	log_open(true, LOG_LVL_INFO);
	log_rl_set_budget(LOG_RL_PEER, 10, 10);
	log_rl_set_budget(LOG_RL_CALL, 100, 1);
	log_rl_set_clock(fake_now, fake_due, NULL);
}

static struct log_rl rl_a = LOG_RL_INIT("a", "bad things", LOG_RL_PEER);
static struct log_rl rl_b = LOG_RL_INIT("b", "other things", LOG_RL_PEER);
static struct log_rl rl_c = LOG_RL_INIT("c", "calls", LOG_RL_CALL);

static void lines(struct log_rl *rl, unsigned n, const char *tag)
{
	for (unsigned i = 0; i < n; i++)
		log_rl_info(rl, "%s %u", tag, i);
}

/* 25 lines: 10 logged, 15 counted; the hook hears when the summary falls due. */
START_TEST(test_burst_and_summary)
{
	char out[16384];

	capture_start();
	lines(&rl_a, 25, "line");
	ck_assert_uint_eq(n_due, 1);
	ck_assert_uint_eq(due_at, 5000 + 10000);
	ck_assert_uint_eq(log_rl_flush(false), 15000); /* not yet: still due then */
	now = 14999;
	ck_assert_uint_eq(log_rl_flush(false), 15000);
	now = 15000;
	ck_assert_uint_eq(log_rl_flush(false), 0);
	capture_stop(out, sizeof(out));
	ck_assert_uint_eq(count(out, "info: line "), 10);
	ck_assert_msg(strstr(out, "info: line 9\n") && !strstr(out, "line 10"), "%s", out);
	ck_assert_uint_eq(count(out, "(suppressed)"), 1);
	ck_assert_msg(strstr(out, "info: 15 more bad things in the last 10 s (suppressed)\n"), "%s",
		      out);
	ck_assert_uint_eq(rl_a.total, 25);
	ck_assert_uint_eq(rl_a.total_dropped, 15);
}
END_TEST

/* A window that dropped nothing says nothing; the next window has a fresh burst. */
START_TEST(test_windows)
{
	char out[16384];

	capture_start();
	lines(&rl_a, 10, "w1");
	ck_assert_uint_eq(n_due, 0);
	now += 10000;
	lines(&rl_a, 12, "w2");
	ck_assert_uint_eq(n_due, 1);
	now += 10000;
	/* The next line of the class flushes the summary first. */
	lines(&rl_a, 1, "w3");
	capture_stop(out, sizeof(out));
	ck_assert_uint_eq(count(out, "info: w1 "), 10);
	ck_assert_uint_eq(count(out, "info: w2 "), 10);
	ck_assert_uint_eq(count(out, "(suppressed)"), 1);
	ck_assert_msg(strstr(out, "2 more bad things in the last 10 s (suppressed)\n"), "%s", out);
	ck_assert_msg(strstr(out, "(suppressed)") < strstr(out, "w3 0"), "%s", out);
	ck_assert_uint_eq(rl_a.total, 23);
	ck_assert_uint_eq(rl_a.total_dropped, 2);
}
END_TEST

/* Classes have their own budgets; a line of any class flushes what is due. */
START_TEST(test_classes)
{
	char out[16384];

	capture_start();
	lines(&rl_a, 11, "a");
	now += 3000;
	lines(&rl_b, 13, "b");
	lines(&rl_c, 150, "c");
	ck_assert_uint_eq(n_due, 2); /* a at 15000, then c's earlier one at 9000 */
	ck_assert_uint_eq(due_at, 9000);
	now = 9000;
	ck_assert_uint_eq(log_rl_flush(false), 15000);
	now = 15000;
	log_info("an unlimited line");
	ck_assert_uint_eq(log_rl_flush(false), 18000);
	now = 18500;
	log_rl_flush(false);
	capture_stop(out, sizeof(out));
	ck_assert_uint_eq(count(out, "info: a "), 10);
	ck_assert_uint_eq(count(out, "info: b "), 10);
	ck_assert_uint_eq(count(out, "info: c "), 100);
	ck_assert_msg(strstr(out, "50 more calls in the last 1 s (suppressed)\n"), "%s", out);
	ck_assert_msg(strstr(out, "1 more bad things in the last 10 s (suppressed)\n"
				  "20"),
		      "%s", out);
	ck_assert_msg(strstr(out, "3 more other things in the last 10 s (suppressed)\n"), "%s",
		      out);
	ck_assert_msg(strstr(out, "1 more bad things") < strstr(out, "an unlimited line"), "%s",
		      out);
}
END_TEST

/* At exit every summary is said, with the time its window ran. */
START_TEST(test_flush_all)
{
	char out[4096];

	capture_start();
	lines(&rl_b, 14, "x");
	now += 2500;
	ck_assert_uint_eq(log_rl_flush(true), 0);
	now += 20000;
	ck_assert_uint_eq(log_rl_flush(false), 0);
	capture_stop(out, sizeof(out));
	ck_assert_uint_eq(count(out, "(suppressed)"), 1);
	ck_assert_msg(strstr(out, "4 more other things in the last 3 s (suppressed)\n"), "%s", out);
}
END_TEST

/*
 * Debug lines are not limited; at level debug the info lines keep their
 * limit; lines below the level are counted, not logged, and use no budget.
 */
START_TEST(test_levels)
{
	char out[16384];

	capture_start();
	log_set_level(LOG_LVL_DEBUG);
	for (int i = 0; i < 30; i++)
		log_rl_msg(&rl_b, LOG_LVL_DEBUG, "dbg %d", i);
	lines(&rl_a, 12, "info-at-debug");
	log_set_level(LOG_LVL_WARN);
	lines(&rl_c, 300, "warn-level");
	log_set_level(LOG_LVL_INFO);
	lines(&rl_c, 100, "after");
	log_rl_flush(true);
	capture_stop(out, sizeof(out));
	ck_assert_uint_eq(count(out, "debug: dbg "), 30);
	ck_assert_uint_eq(count(out, "info: info-at-debug "), 10);
	ck_assert_msg(strstr(out, "2 more bad things in the last 1 s (suppressed)\n"), "%s", out);
	ck_assert_uint_eq(count(out, "warn-level"), 0);
	ck_assert_uint_eq(count(out, "info: after "), 100);
	ck_assert_uint_eq(count(out, "(suppressed)"), 1);
	ck_assert_uint_eq(rl_b.total, 30);
	ck_assert_uint_eq(rl_c.total, 400);
	ck_assert_uint_eq(rl_c.total_dropped, 0);
}
END_TEST

/* "off": no limit; a warn line makes the summary a warn line. */
START_TEST(test_off_and_summary_level)
{
	char out[16384];

	capture_start();
	log_rl_set_budget(LOG_RL_PEER, 0, 1);
	lines(&rl_a, 40, "free");
	log_rl_set_budget(LOG_RL_PEER, 2, 5);
	log_rl_info(&rl_b, "b1");
	log_rl_info(&rl_b, "b2");
	log_rl_info(&rl_b, "b3");
	log_rl_warn(&rl_b, "b4");
	now += 5000;
	log_rl_flush(false);
	capture_stop(out, sizeof(out));
	ck_assert_uint_eq(count(out, "info: free "), 40);
	ck_assert_msg(strstr(out, "warn: 2 more other things in the last 5 s (suppressed)\n"), "%s",
		      out);
}
END_TEST

/* The arguments of a suppressed line are not evaluated. */
static unsigned evaluated;

static const char *arg(void)
{
	evaluated++;
	return "x";
}

START_TEST(test_lazy)
{
	char out[4096];

	capture_start();
	for (int i = 0; i < 20; i++)
		log_rl_info(&rl_a, "%s", arg());
	log_rl_flush(true);
	capture_stop(out, sizeof(out));
	ck_assert_uint_eq(evaluated, 10);
}
END_TEST

/* Every class used is listed once, in first-use order; a closed one leaves. */
START_TEST(test_list_and_close)
{
	struct log_rl heap = LOG_RL_INIT("h", "heap things", LOG_RL_PEER);
	const struct log_rl *r;
	char out[4096];
	unsigned n = 0;

	capture_start();
	lines(&rl_b, 1, "b");
	lines(&heap, 12, "h");
	lines(&rl_b, 1, "b");
	for (r = log_rl_next(NULL); r; r = log_rl_next(r))
		n++;
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_eq(log_rl_next(NULL), &rl_b);
	ck_assert_ptr_eq(log_rl_next(&rl_b), &heap);
	now += 1000;
	log_rl_close(&heap);
	ck_assert_ptr_eq(log_rl_next(&rl_b), NULL);
	lines(&rl_a, 1, "a");
	ck_assert_ptr_eq(log_rl_next(&rl_b), &rl_a);
	ck_assert_uint_eq(log_rl_flush(false), 0);
	capture_stop(out, sizeof(out));
	ck_assert_msg(strstr(out, "2 more heap things in the last 1 s (suppressed)\n"), "%s", out);
}
END_TEST

START_TEST(test_parse)
{
	unsigned b = 7, i = 7;

	ck_assert_int_eq(log_rl_parse("10/10", &b, &i), 0);
	ck_assert_uint_eq(b, 10);
	ck_assert_uint_eq(i, 10);
	ck_assert_int_eq(log_rl_parse("OFF", &b, &i), 0);
	ck_assert_uint_eq(b, 0);
	ck_assert_int_eq(log_rl_parse("65535/3600", &b, &i), 0);
	ck_assert_uint_eq(b, 65535);
	ck_assert_uint_eq(i, 3600);
	b = i = 7;
	ck_assert_int_eq(log_rl_parse("0/10", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("10/0", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("10", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("10/", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("/10", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("10/10s", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("-1/10", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("65536/1", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("1/3601", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse("99999999999999999999/1", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse(" 10/10", &b, &i), -EINVAL);
	ck_assert_int_eq(log_rl_parse(NULL, &b, &i), -EINVAL);
	ck_assert_uint_eq(b, 7);
	ck_assert_uint_eq(i, 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("rl");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_burst_and_summary);
	tcase_add_test(tc, test_windows);
	tcase_add_test(tc, test_classes);
	tcase_add_test(tc, test_flush_all);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_off_and_summary_level);
	tcase_add_test(tc, test_lazy);
	tcase_add_test(tc, test_list_and_close);
	tcase_add_test(tc, test_parse);
	suite_add_tcase(s, tc);
	return check_run(s);
}
