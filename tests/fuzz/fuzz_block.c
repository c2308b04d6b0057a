/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the parse stage's own scanner for plain block YAML
 * (src/parse/block.c) against libyaml.  Oracle: parsing the input with the
 * scanner where it applies and with libyaml only gives the same documents
 * (every node's kind, flags, text, line and column), the same return code
 * and the same diagnostics.  Uses the internal API (block_diff.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "block_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bd_side f, l;
	/* a small document limit now and then, so its diagnostic is compared too */
	size_t max_docs = size && data[0] == '#' ? 2 : 1000000;
	bd_parse(&f, false, (const char *)data, size, max_docs);
	bd_parse(&l, true, (const char *)data, size, max_docs);
	char why[512] = "";
	if (!bd_same(&f, &l, why, sizeof why)) {
		fprintf(stderr, "fuzz oracle failed: the scanner and libyaml differ: %s\n", why);
		abort();
	}
	egw_arena_free(f.a);
	egw_arena_free(l.a);
	return 0;
}
