/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: Kubernetes manifests (YAML, any number of documents) through
 * egw_translate and every rendering.  NUL bytes split the input into up to
 * eight input buffers, so the fuzzer also exercises objects that refer to
 * each other across buffers; a line "# egw-add-missing" turns on
 * add_missing_resources.
 */
#define _GNU_SOURCE /* memmem */
#include "fuzz.h"

#define MAX_INPUTS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	egw_input in[MAX_INPUTS];
	size_t n = 0;
	const char *p = (const char *)data, *end = p + size;
	while (n < MAX_INPUTS) {
		const char *nul = n + 1 < MAX_INPUTS ? memchr(p, 0, (size_t)(end - p)) : NULL;
		const char *stop = nul ? nul : end;
		in[n].name.data = "fuzz.yaml";
		in[n].name.len = 9;
		in[n].data.data = p;
		in[n].data.len = (size_t)(stop - p);
		n++;
		if (!nul)
			break;
		p = nul + 1;
	}
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	static const char marker[] = "# egw-add-missing";
	o.add_missing_resources = size >= sizeof marker - 1 &&
				  memmem(data, size, marker, sizeof marker - 1) != NULL;
	egw_result *r = NULL;
	fuzz_translate(&r, in, n, &o);
	fuzz_exercise(r, size < 4096);
	egw_result_free(r);
	return 0;
}
