/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the text emitters (src/emit/text.h).  JSON output is checked
 * against an independent reader (jansson's json_loads); YAML output against
 * our own parser: whatever the emitter writes must read back as the same
 * tree (egw_equal), so a string that a YAML reader would type as anything
 * else must come out quoted.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/text.h"
#include "parse/parse.h"
#include "util/ctx.h"
#include "ctx_fixture.h"
#include "check_run.h"

static egw_arena *A;
static egw_ctx C;
static egw_options O;

static void setup(void)
{
	A = egw_arena_new(NULL);
	test_ctx_init(&C, &O, A);
}

static void teardown(void)
{
	egw_arena_free(A);
	A = NULL;
}

/* Parses text with our parser; NULL unless it is exactly one document and
 * gave no diagnostic. */
static egw_node *reparse(const char *text)
{
	egw_node *docs = egw_arr(A);
	size_t before = C.n_diags;
	long n = egw_parse_buffer(&C, 0, text, strlen(text), docs);
	if (n != 1 || C.n_diags != before) {
		for (const egw_diag_item *d = C.diag_head; d; d = d->next)
			fprintf(stderr, "  reparse: %u:%u %s\n", d->pos.line, d->pos.col, d->message);
		return NULL;
	}
	return egw_at(docs, 0);
}

/* ---- jansson cross-check ---- */

/* True when jansson's value j is the same as the node n. */
static bool same_as_jansson(const egw_node *n, const json_t *j, char *why, size_t wl)
{
	switch (n->kind) {
	case EGW_NULL:
		if (json_is_null(j))
			return true;
		break;
	case EGW_BOOL:
		if (json_is_boolean(j) && json_is_true(j) == egw_vbool(n))
			return true;
		break;
	case EGW_INT:
		if (json_is_integer(j) && json_integer_value(j) == egw_vint(n))
			return true;
		break;
	case EGW_FLOAT:
		if (isnan(egw_vfloat(n)) || isinf(egw_vfloat(n))) {
			/* written as the strings protobuf's JSON mapping uses */
			const char *want = isnan(egw_vfloat(n)) ? "NaN" : egw_vfloat(n) > 0 ? "Infinity" : "-Infinity";
			if (json_is_string(j) && !strcmp(json_string_value(j), want))
				return true;
			break;
		}
		if (json_is_number(j) && json_number_value(j) == egw_vfloat(n))
			return true;
		break;
	case EGW_STR:
		if (json_is_string(j) && json_string_length(j) == n->len &&
		    memcmp(json_string_value(j), n->str, n->len) == 0)
			return true;
		break;
	case EGW_ARR:
		if (!json_is_array(j) || json_array_size(j) != n->n)
			break;
		for (size_t i = 0; i < n->n; i++)
			if (!same_as_jansson(n->c.items[i], json_array_get(j, i), why, wl))
				return false;
		return true;
	case EGW_OBJ: {
		if (!json_is_object(j) || json_object_size(j) != n->n)
			break;
		for (size_t i = 0; i < n->n; i++) {
			const egw_member *m = &n->c.members[i];
			json_t *v = json_object_getn(j, m->key, egw_member_klen(m));
			if (!v) {
				snprintf(why, wl, "jansson lacks key \"%s\"", m->key);
				return false;
			}
			if (!same_as_jansson(m->val, v, why, wl))
				return false;
		}
		/* and jansson kept the member order */
		const char *key;
		size_t klen;
		json_t *v;
		size_t i = 0;
		json_object_keylen_foreach((json_t *)j, key, klen, v)
		{
			(void)v;
			if (klen != egw_member_klen(&n->c.members[i]) || memcmp(key, n->c.members[i].key, klen)) {
				snprintf(why, wl, "member %zu is \"%s\" in the output", i, key);
				return false;
			}
			i++;
		}
		return true;
	}
	}
	if (!why[0])
		snprintf(why, wl, "node kind %d text \"%s\" differs from jansson's value", n->kind,
			 n->str ? n->str : "");
	return false;
}

static void check_with_jansson(const egw_node *n)
{
	for (int pretty = 0; pretty < 2; pretty++) {
		const char *text = egw_to_json(A, n, pretty);
		json_error_t err;
		json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		ck_assert_msg(j != NULL, "jansson rejects our JSON (%s at %d:%d): %s", err.text, err.line,
			      err.column, text);
		char why[256] = "";
		bool ok = same_as_jansson(n, j, why, sizeof why);
		json_decref(j);
		ck_assert_msg(ok, "%s; output: %s", why, text);
	}
}

/* ---- JSON ---- */

START_TEST(json_layout)
{
	egw_node *o = reparse("{\"b\": [1, {\"x\": null}, []], \"a\": {}, \"c\": \"s\", \"d\": [true]}");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(egw_to_json(A, o, false),
			 "{\"b\":[1,{\"x\":null},[]],\"a\":{},\"c\":\"s\",\"d\":[true]}");
	ck_assert_str_eq(egw_to_json(A, o, true), "{\n"
						   "  \"b\": [\n"
						   "    1,\n"
						   "    {\n"
						   "      \"x\": null\n"
						   "    },\n"
						   "    []\n"
						   "  ],\n"
						   "  \"a\": {},\n"
						   "  \"c\": \"s\",\n"
						   "  \"d\": [\n"
						   "    true\n"
						   "  ]\n"
						   "}\n");
	ck_assert_str_eq(egw_to_json(A, NULL, false), "null");
	ck_assert_str_eq(egw_to_json(A, egw_obj(A), true), "{}\n");
	ck_assert_str_eq(egw_to_json(A, egw_nstr(A, "x"), false), "\"x\"");
	check_with_jansson(o);
}
END_TEST

START_TEST(json_escaping)
{
	/* every byte but NUL, alone, and all together */
	egw_node *all = egw_arr(A);
	char every[128];
	for (int ch = 1; ch < 128; ch++) {
		char s[3] = { 'a', (char)ch, 0 };
		egw_arr_push(A, all, egw_strn(A, s, 2));
		every[ch - 1] = (char)ch;
	}
	egw_arr_push(A, all, egw_strn(A, every, 127));
	check_with_jansson(all);
	/* the short escapes, \u00XX for the other control characters */
	egw_node *s = egw_strn(A, "q\"b\\s/n\nr\rt\tb\bf\f\x01\x1f\x7f", 19);
	ck_assert_str_eq(egw_to_json(A, s, false),
			 "\"q\\\"b\\\\s/n\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\x7f\"");
	/* embedded NUL */
	egw_node *z = egw_strn(A, "a\0b", 3);
	ck_assert_str_eq(egw_to_json(A, z, false), "\"a\\u0000b\"");
	check_with_jansson(z);
	/* UTF-8 passes through byte for byte, including U+2028 and beyond the BMP */
	const char *u = "caf\xc3\xa9 \xe2\x98\x83 \xe2\x80\xa8 \xf0\x9f\x98\x80";
	egw_node *un = egw_nstr(A, u);
	char want[64];
	snprintf(want, sizeof want, "\"%s\"", u);
	ck_assert_str_eq(egw_to_json(A, un, false), want);
	check_with_jansson(un);
	/* keys are escaped like values */
	egw_node *o = egw_obj(A);
	egw_obj_setn(A, o, "k\"\n\x02", 4, egw_int(A, 1));
	egw_obj_set(A, o, "\xc3\xa9", egw_int(A, 2));
	ck_assert_str_eq(egw_to_json(A, o, false), "{\"k\\\"\\n\\u0002\":1,\"\xc3\xa9\":2}");
	check_with_jansson(o);
	/* long runs without escapes, and escapes at both ends */
	char big[5000];
	memset(big, 'x', sizeof big);
	big[0] = '\n';
	big[sizeof big - 1] = '"';
	check_with_jansson(egw_strn(A, big, sizeof big));
}
END_TEST

START_TEST(json_numbers)
{
	struct {
		double f;
		const char *text;
	} fl[] = {
		{ 0.1, "0.1" },        { 2.5, "2.5" },    { -0.25, "-0.25" },   { 1e300, "1e+300" },
		{ 1.0, "1" },          { 100.0, "100" },  { 1e21, "1e+21" },    { 5e-324, "4.9406564584124654e-324" },
		{ 1.0 / 3, "0.3333333333333333" },
	};
	for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
		egw_node *n = egw_float(A, fl[i].f);
		const char *t = egw_to_json(A, n, false);
		if (fl[i].f == 5e-324)
			ck_assert_msg(strtod(t, NULL) == 5e-324, "%s", t);
		else
			ck_assert_msg(!strcmp(t, fl[i].text), "%g written as %s, expected %s", fl[i].f, t,
				      fl[i].text);
		check_with_jansson(n);
	}
	ck_assert_str_eq(egw_to_json(A, egw_float(A, NAN), false), "\"NaN\"");
	ck_assert_str_eq(egw_to_json(A, egw_float(A, INFINITY), false), "\"Infinity\"");
	ck_assert_str_eq(egw_to_json(A, egw_float(A, -INFINITY), false), "\"-Infinity\"");
	ck_assert_str_eq(egw_to_json(A, egw_int(A, INT64_MIN), false), "-9223372036854775808");
	ck_assert_str_eq(egw_to_json(A, egw_int(A, INT64_MAX), false), "9223372036854775807");
	check_with_jansson(egw_int(A, INT64_MIN));
	check_with_jansson(egw_int(A, INT64_MAX));
	/* in YAML an exponent always comes with a fraction: YAML 1.1 readers
	 * take "1e-07" for a string */
	egw_node *o = egw_obj(A);
	egw_obj_set(A, o, "a", egw_float(A, 1e-7));
	egw_obj_set(A, o, "b", egw_float(A, 100.0));
	egw_obj_set(A, o, "c", egw_float(A, -2.5e300));
	egw_obj_set(A, o, "d", egw_float(A, 1.5e-7));
	ck_assert_str_eq(egw_to_yaml(A, o), "a: 1.0e-07\nb: 100\nc: -2.5e+300\nd: 1.5e-07\n");
	ck_assert_str_eq(egw_to_json(A, o, false), "{\"a\":1e-07,\"b\":100,\"c\":-2.5e+300,\"d\":1.5e-07}");
	egw_node *yb = reparse(egw_to_yaml(A, o));
	ck_assert(yb && egw_equal(yb, o));
	/* a float written without a fraction reads back as the same value */
	egw_node *back = reparse(egw_to_json(A, egw_float(A, 1e21), false));
	ck_assert(back && egw_equal(back, egw_float(A, 1e21)));
}
END_TEST

START_TEST(json_of_parsed_manifest)
{
	egw_node *d = reparse("apiVersion: gateway.networking.k8s.io/v1\n"
			      "kind: HTTPRoute\n"
			      "metadata:\n"
			      "  name: \"r\\u00e9\"\n"
			      "  annotations: {note: \"line1\\nline2\\ttab\", empty: \"\", n: ~}\n"
			      "spec:\n"
			      "  rules:\n"
			      "  - matches: [{path: {type: PathPrefix, value: /}}]\n"
			      "    weight: 1.25\n"
			      "    backendRefs: [{name: a, port: 8080, weight: 0}, {name: b, port: 9090}]\n"
			      "    flags: [yes, no, true, .inf, -.inf, 1e3]\n");
	ck_assert_ptr_nonnull(d);
	check_with_jansson(d);
	/* and JSON output reads back through our parser as the same tree */
	for (int pretty = 0; pretty < 2; pretty++) {
		egw_node *back = reparse(egw_to_json(A, d, pretty));
		ck_assert_ptr_nonnull(back);
		/* ±inf come back as the strings "Infinity"/"-Infinity" */
		egw_node *flags = egw_at(egw_path(back, "spec.rules"), 0);
		flags = egw_get(flags, "flags");
		ck_assert_str_eq(egw_at(flags, 3)->str, "Infinity");
		egw_node *copy = egw_clone(A, d);
		egw_node *cf = egw_get(egw_at(egw_path(copy, "spec.rules"), 0), "flags");
		cf->c.items[3] = egw_nstr(A, "Infinity");
		cf->c.items[4] = egw_nstr(A, "-Infinity");
		ck_assert(egw_equal(back, copy));
	}
}
END_TEST

/* ---- YAML ---- */

/* Strings a YAML reader could take for something else, or that need quotes
 * to survive (indicators, breaks, non-printables). */
static const char *const tricky[] = {
	"", " ", "  x", "x ", "true", "True", "TRUE", "false", "yes", "Yes", "no", "NO", "on", "Off",
	"y", "Y", "n", "N", "null", "Null", "NULL", "~", "0", "00", "007", "123", "-1", "+1", "1.5",
	"-0.5", ".5", "1.", "1e3", "1E-3", "+1e+2", "0x1F", "0o17", "0b101", "1_000", "1:20",
	"190:20:30", ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN",
	"2026-01-01", "2001-12-14t21:59:43.10-05:00", "a: b", "a:", "a #b", "#x", "- x", "-", "--",
	"---", "--- x", "...", "... x", "? x", "?", ": x", ":", "[a]", "]", "{a}", "}", "*a", "&a",
	"!a", "!!str", "|", "|-", ">", "'q'", "\"q\"", "%x", "@x", "`x", ",", "a,b", "a]b", "=",
	"<<", "a\nb", "\n", "a\tb", "\t", "a\r\nb", "\x01", "a\x7f", "x\x1b[0m", "caf\xc3\xa9",
	"\xe2\x80\xa8", "a\xe2\x80\xa9" "b", "a\xc2\x85" "b", "\xc2\x80", "\xc2\x9f", "\xef\xbb\xbf" "x",
	"\xc2\xa0", "a\\b", "\\", "a'b", "it's", "a\"b", "1.2.3", "10.0.0.1", "::1", "0.0.0.0/0",
	"/", "/a:b", "http://x:80/y", "*", "&", "k8s.io/name", "v1", "-x", "-1x", "1x", "1e", "e5",
	"NaN", "Infinity", "-Infinity", "12:30:00", "1,000", "$1", "50%", "a b c", "x # y", "a:b",
	"{{ .Values }}", "@", "\xe2\x98\x83", "\xf0\x9f\x98\x80",
};

static egw_node *tricky_tree(void)
{
	egw_node *root = egw_obj(A);
	egw_node *vals = egw_set_obj(A, root, "values");
	egw_node *keys = egw_set_obj(A, root, "keys");
	egw_node *list = egw_set_arr(A, root, "list");
	char k[32];
	for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
		snprintf(k, sizeof k, "v%zu", i);
		egw_obj_set(A, vals, k, egw_nstr(A, tricky[i]));
		if (!egw_get(keys, tricky[i]))
			egw_obj_set(A, keys, tricky[i], egw_int(A, (int64_t)i));
		egw_arr_push(A, list, egw_nstr(A, tricky[i]));
	}
	return root;
}

/* Which tricky string does not survive; -1 when all do. */
static void assert_yaml_roundtrip(const egw_node *n, const char *what)
{
	const char *y = egw_to_yaml(A, n);
	egw_node *back = reparse(y);
	ck_assert_msg(back != NULL, "%s: our parser rejects the emitted YAML:\n%s", what, y);
	if (egw_equal(back, n))
		return;
	/* find the first difference for the message */
	if (n->kind == EGW_OBJ && back->kind == EGW_OBJ) {
		const egw_member *m;
		EGW_OBJ_EACH(n, i, m)
		{
			const egw_node *b = egw_getn(back, m->key, egw_member_klen(m));
			if (!egw_equal(m->val, b))
				ck_abort_msg("%s: member \"%s\" (%s) reads back as %s", what, m->key,
					     egw_to_json(A, m->val, false), egw_to_json(A, b, false));
		}
	}
	if (n->kind == EGW_ARR && back->kind == EGW_ARR && back->n == n->n)
		for (size_t i = 0; i < n->n; i++)
			if (!egw_equal(n->c.items[i], back->c.items[i]))
				ck_abort_msg("%s: item %zu %s reads back as %s", what, i,
					     egw_to_json(A, n->c.items[i], false),
					     egw_to_json(A, back->c.items[i], false));
	ck_abort_msg("%s: YAML does not read back as written:\n%s\nread back: %s", what, y,
		     egw_to_json(A, back, false));
}

START_TEST(yaml_strings_roundtrip)
{
	egw_node *root = tricky_tree();
	egw_node *vals = egw_get(root, "values");
	/* one at a time first, for a precise message */
	const egw_member *m;
	EGW_OBJ_EACH(vals, i, m)
	{
		egw_node *one = egw_obj(A);
		egw_obj_set(A, one, "v", m->val);
		char what[64];
		snprintf(what, sizeof what, "string #%zu", i);
		assert_yaml_roundtrip(one, what);
		egw_node *key = egw_obj(A);
		egw_obj_setn(A, key, m->val->str, m->val->len, egw_int(A, 1));
		snprintf(what, sizeof what, "key #%zu", i);
		assert_yaml_roundtrip(key, what);
	}
	assert_yaml_roundtrip(root, "all tricky strings");
}
END_TEST

START_TEST(yaml_scalar_documents)
{
	/* a bare scalar as the whole document */
	for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "root string #%zu", i);
		egw_node *s = egw_nstr(A, tricky[i]);
		const char *y = egw_to_yaml(A, s);
		egw_node *docs = egw_arr(A);
		long n = egw_parse_buffer(&C, 0, y, strlen(y), docs);
		ck_assert_msg(n == 1 && egw_equal(egw_at(docs, 0), s), "%s %s: YAML %s read back as %s",
			      what, egw_to_json(A, s, false), y,
			      n == 1 ? egw_to_json(A, egw_at(docs, 0), false) : "nothing");
	}
}
END_TEST

/* Strings that a YAML 1.1 reader (PyYAML, go-yaml v2, the loaders most
 * tools use) types as numbers, booleans or timestamps must be quoted even
 * where our YAML 1.2 parser would read them as strings anyway. */
START_TEST(yaml_quotes_yaml11_lookalikes)
{
	const char *const yaml11[] = { "yes", "No", "on", "OFF", "y", "n", "0x1F", "0o17", "0b101",
				       "1_000", "1:20", "190:20:30", ".inf", "-.Inf", ".NaN", "0777",
				       "2001-12-14t21:59:43.10-05:00", "2026-01-01", "1e3", "=", "<<" };
	for (size_t i = 0; i < sizeof yaml11 / sizeof yaml11[0]; i++) {
		egw_node *o = egw_obj(A);
		egw_set_str(A, o, "v", yaml11[i]);
		const char *y = egw_to_yaml(A, o);
		ck_assert_msg(!strncmp(y, "v: \"", 4) || !strncmp(y, "v: '", 4),
			      "\"%s\" is written unquoted: %s", yaml11[i], y);
	}
	/* and ordinary text stays plain (readable output) */
	const char *const plain[] = { "edge", "gateway.envoyproxy.io/gatewayclass-controller",
				      "/shop", "shop.example.com", "100m", "1Gi", "v1", "HTTP",
				      "envoy-gateway-system/edge", "8080/TCP" };
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		egw_node *o = egw_obj(A);
		egw_set_str(A, o, "v", plain[i]);
		char want[128];
		snprintf(want, sizeof want, "v: %s\n", plain[i]);
		ck_assert_str_eq(egw_to_yaml(A, o), want);
	}
}
END_TEST

START_TEST(yaml_structure_roundtrip)
{
	const char *src = "{\"a\": 1, \"b\": -2.5, \"c\": true, \"d\": null, \"e\": [], \"f\": {},"
			  " \"g\": [[1, [2, []]], [{}], {\"x\": [{\"y\": {\"z\": [1]}}]}],"
			  " \"h\": [{\"k\": 1, \"l\": [1, 2]}, {\"m\": {\"n\": {}}}],"
			  " \"i\": {\"j\": {\"k\": [[[\"deep\"]]]}},"
			  " \"big\": 9223372036854775807, \"small\": -9223372036854775808,"
			  " \"tiny\": 5e-324, \"huge\": 1e300, \"third\": 0.3333333333333333}";
	egw_node *n = reparse(src);
	ck_assert_ptr_nonnull(n);
	assert_yaml_roundtrip(n, "structure");
	/* top-level arrays and nested empties */
	egw_node *arr = reparse("[[], {}, [[]], [{}], \"-\", [\"- x\"], null]");
	ck_assert_ptr_nonnull(arr);
	assert_yaml_roundtrip(arr, "array root");
	/* the exact block layout */
	egw_node *o = reparse("{\"k\": [1, {\"a\": 1, \"b\": [2, 3]}, [4, 5]], \"m\": {\"n\": {}}}");
	ck_assert_str_eq(egw_to_yaml(A, o), "k:\n"
					   "- 1\n"
					   "- a: 1\n"
					   "  b:\n"
					   "  - 2\n"
					   "  - 3\n"
					   "- - 4\n"
					   "  - 5\n"
					   "m:\n"
					   "  \"n\": {}\n"); /* a YAML 1.1 boolean as a key */
	ck_assert_str_eq(egw_to_yaml(A, egw_obj(A)), "{}\n");
	ck_assert_str_eq(egw_to_yaml(A, egw_arr(A)), "[]\n");
	ck_assert_str_eq(egw_to_yaml(A, NULL), "null\n");
	/* special floats read back as the same special floats */
	egw_node *sp = egw_obj(A);
	egw_obj_set(A, sp, "p", egw_float(A, INFINITY));
	egw_obj_set(A, sp, "m", egw_float(A, -INFINITY));
	egw_obj_set(A, sp, "nan", egw_float(A, NAN));
	egw_node *back = reparse(egw_to_yaml(A, sp));
	ck_assert_ptr_nonnull(back);
	ck_assert(egw_get(back, "p")->kind == EGW_FLOAT && egw_vfloat(egw_get(back, "p")) == INFINITY);
	ck_assert(egw_get(back, "m")->kind == EGW_FLOAT && egw_vfloat(egw_get(back, "m")) == -INFINITY);
	ck_assert(egw_get(back, "nan")->kind == EGW_FLOAT && isnan(egw_vfloat(egw_get(back, "nan"))));
}
END_TEST

/* Keys past YAML's 1024-character limit for implicit keys are written as
 * explicit "? key" entries (found by the yaml fuzz target). */
START_TEST(yaml_long_keys)
{
	char key[3001];
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = 0;
	char ctl[201]; /* escapes make 200 control characters 1,200 long */
	memset(ctl, 1, sizeof ctl - 1);
	ctl[sizeof ctl - 1] = 0;
	egw_node *o = egw_obj(A);
	egw_set_str(A, o, key, "scalar");
	egw_node *inner = egw_set_obj(A, o, ctl);
	egw_set_int(A, inner, key, 1);
	egw_node *seq = egw_obj_set(A, o, "list", egw_arr(A));
	egw_node *item = egw_arr_push(A, seq, egw_obj(A));
	egw_set_str(A, item, key, "first member of an item");
	egw_obj_set(A, o, "kk", egw_arr(A));
	egw_obj_set(A, egw_obj_set(A, o, key + 2000, egw_obj(A)), "x", egw_arr(A));
	egw_arr_push(A, egw_get(egw_get(o, key + 2000), "x"), egw_int(A, 2));
	const char *y = egw_to_yaml(A, o);
	ck_assert_msg(strstr(y, "? kkk") != NULL, "a long key is not explicit:\n%.200s", y);
	assert_yaml_roundtrip(o, "long keys");
}
END_TEST

START_TEST(yaml_member_order_kept)
{
	egw_node *o = egw_obj(A);
	const char *ks[] = { "zeta", "alpha", "kind", "apiVersion" };
	for (int i = 0; i < 4; i++)
		egw_set_int(A, o, ks[i], i);
	ck_assert_str_eq(egw_to_yaml(A, o), "zeta: 0\nalpha: 1\nkind: 2\napiVersion: 3\n");
	ck_assert_str_eq(egw_to_json(A, o, false), "{\"zeta\":0,\"alpha\":1,\"kind\":2,\"apiVersion\":3}");
}
END_TEST

static Suite *emit_suite(void)
{
	Suite *s = suite_create("emit");
	TCase *t = tcase_create("json");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, json_layout);
	tcase_add_test(t, json_escaping);
	tcase_add_test(t, json_numbers);
	tcase_add_test(t, json_of_parsed_manifest);
	suite_add_tcase(s, t);

	t = tcase_create("yaml");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, yaml_strings_roundtrip);
	tcase_add_test(t, yaml_scalar_documents);
	tcase_add_test(t, yaml_quotes_yaml11_lookalikes);
	tcase_add_test(t, yaml_structure_roundtrip);
	tcase_add_test(t, yaml_long_keys);
	tcase_add_test(t, yaml_member_order_kept);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_run(emit_suite(), NULL);
}
