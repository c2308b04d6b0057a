/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reads a whole file, for the tests and tools that read their inputs
 * (the corpus walks, egw-bench, the xds driver).
 * Header-only.
 */
#ifndef EGW_TESTS_SLURP_H
#define EGW_TESTS_SLURP_H

#include <stdio.h>
#include <stdlib.h>

/* The file's bytes, NUL-terminated (*len excludes the NUL), or NULL.
 * The caller frees them. */
static inline char *test_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *d = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!d || fread(d, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(d);
		return NULL;
	}
	d[n] = 0;
	fclose(fp);
	*len = (size_t)n;
	return d;
}

#endif
