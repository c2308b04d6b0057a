/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: Kubernetes manifests (YAML, any number of documents) through
 * egw_translate and every rendering.  NUL bytes split the input into up to
 * eight input buffers, so the fuzzer also exercises objects that refer to
 * each other across buffers; a line "# egw-add-missing" turns on
 * add_missing_resources.  Oracle: egw_parse + egw_translate_documents give
 * the bytes egw_translate gives.
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
	int rc = fuzz_translate(&r, in, n, &o);
	fuzz_exercise(r, size < 4096);

	egw_documents *docs = NULL;
	FUZZ_ASSERT(egw_parse(&docs, in, n, &o) == 0, "egw_parse failed");
	egw_result *r2 = NULL;
	int rc2 = egw_translate_documents(&r2, docs, &o);
	egw_documents_free(docs);
	FUZZ_ASSERT(rc2 == rc, "egw_translate gives %d, egw_parse + egw_translate_documents %d", rc, rc2);
	if (r && r2) {
		egw_str a, b;
		unsigned all = EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS;
		if (egw_result_render(r, all, 0, EGW_FORMAT_JSON_COMPACT, &a) == 0 &&
		    egw_result_render(r2, all, 0, EGW_FORMAT_JSON_COMPACT, &b) == 0)
			FUZZ_ASSERT(a.len == b.len && !memcmp(a.data, b.data, a.len),
				    "egw_parse + egw_translate_documents renders differently");
		FUZZ_ASSERT(egw_result_diagnostic_count(r) == egw_result_diagnostic_count(r2),
			    "diagnostics differ: %zu vs %zu", egw_result_diagnostic_count(r),
			    egw_result_diagnostic_count(r2));
	}
	egw_result_free(r2);
	egw_result_free(r);
	return 0;
}
