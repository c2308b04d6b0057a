/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The end of every unit test program's main(): run its suite (and a second
 * one, if given) and exit with failure when any test failed.  Header-only.
 */
#ifndef EGW_TESTS_CHECK_RUN_H
#define EGW_TESTS_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int test_run(Suite *s, Suite *more)
{
	SRunner *sr = srunner_create(s);
	if (more)
		srunner_add_suite(sr, more);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
