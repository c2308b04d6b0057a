/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: Kubernetes objects as JSON (one object, or a kind: List)
 * through egw_translate and every rendering.  JSON is read by the same
 * YAML parser, so this target adds an oracle: a buffer that jansson accepts
 * as JSON must not give a syntax diagnostic (libegw promises JSON input).
 */
#include "fuzz.h"

static int syntax_diag(const egw_result *r)
{
	size_t n = egw_result_diagnostic_count(r);
	for (size_t i = 0; i < n; i++) {
		egw_diagnostic d;
		if (egw_result_diagnostic(r, i, &d) == 0 && d.code == EGW_D_SYNTAX) {
			fprintf(stderr, "syntax diagnostic: %u:%u %s\n", d.line, d.column, d.message.data);
			return 1;
		}
	}
	return 0;
}

/* JSON that libyaml refuses by design (docs/reliability.md, "JSON input"):
 * YAML's character set ("control characters are not allowed": raw DEL, C1
 * controls U+0080..U+009F and U+FFFE/U+FFFF are valid inside JSON strings but
 * not in a YAML stream; NUL ends the text), and keys over 1024 characters. */
static int known_incompatible(const uint8_t *data, size_t size)
{
	/* an object key longer than YAML's 1024-character limit on implicit
	 * keys ("did not find expected ',' or '}'") */
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '"')
			continue;
		size_t j = i + 1;
		while (j < size && data[j] != '"')
			j += data[j] == '\\' ? 2 : 1;
		size_t k = j + 1;
		while (k < size && (data[k] == ' ' || data[k] == '\n' || data[k] == '\t' || data[k] == '\r'))
			k++;
		if (j - i > 1000 && k < size && data[k] == ':')
			return 1;
		i = j;
	}
	for (size_t i = 0; i < size; i++) {
		if (data[i] == 0 || data[i] == 0x7f)
			return 1;
		if (data[i] == 0xc2 && i + 1 < size && data[i + 1] >= 0x80 && data[i + 1] <= 0x9f)
			return 1;
		if (data[i] == 0xef && i + 2 < size && data[i + 1] == 0xbf && data[i + 2] >= 0xbe)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	egw_input in = { { "fuzz.json", 9 }, { (const char *)data, size } };
	egw_result *r = NULL;
	int rc = fuzz_translate(&r, &in, 1, NULL);
	json_error_t err;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &err);
	if (j && rc != EGW_ELIMIT && !known_incompatible(data, size))
		FUZZ_ASSERT(!syntax_diag(r), "valid JSON (per jansson) gave a syntax diagnostic");
	json_decref(j);
	fuzz_exercise(r, size < 4096);
	egw_result_free(r);
	return 0;
}
