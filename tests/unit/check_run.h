/*
 * check_run: the end of every unit suite's main(): run the suite (Check
 * forks per test), free it, and turn the failures into the exit status
 * the automake harness reads.
 */
#ifndef SIPUAD_CHECK_RUN_H
#define SIPUAD_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
