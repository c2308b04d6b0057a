/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The block-YAML scanner (src/parse/block.c) against libyaml: every text is
 * parsed both ways, and the trees (kinds, flags, texts, line and column of
 * every node) and the diagnostics must be the same.  The hand-written cases
 * also say whether the scanner takes the text or leaves it to libyaml; the
 * corpus test does the same comparison for every YAML file of the
 * conformance corpus ($EGW_CORPUS) and of testdata/.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "slurp.h"
#include "../fuzz/block_diff.h"
#include "check_run.h"

static size_t max_docs = 1000000;

/* Parses text both ways and compares; returns whether the scanner took
 * every segment (1), some (0) or none (-1) of them. */
static int both_ways(const char *text, size_t len, const char *label)
{
	bd_side f, l;
	bd_parse(&f, false, text, len, max_docs);
	bd_parse(&l, true, text, len, max_docs);
	char why[512] = "";
	bool bad = !bd_same(&f, &l, why, sizeof why);
	ck_assert_msg(!bad, "%s: the scanner and libyaml differ: %s\n<<%.*s>>", label, why,
		      len > 400 ? 400 : (int)len, text);
	ck_assert_msg(l.c.yaml_fast_segments == 0, "libyaml_only still used the scanner");
	size_t took = f.c.yaml_fast_segments;
	/* segments: the first line, then each line starting with "---" */
	size_t segs = 1;
	for (size_t i = 1; i + 3 <= len; i++)
		if (text[i - 1] == '\n' && !memcmp(text + i, "---", 3))
			segs++;
	egw_arena_free(f.a);
	egw_arena_free(l.a);
	return took == 0 ? -1 : took >= segs ? 1 : 0;
}

static int both(const char *text) { return both_ways(text, strlen(text), "case"); }

#define TAKES(t) ck_assert_msg(both(t) == 1, "the scanner should take <<%s>>", t)
#define DECLINES(t) ck_assert_msg(both(t) == -1, "the scanner should leave <<%s>> to libyaml", t)

START_TEST(takes_manifests)
{
	TAKES("apiVersion: gateway.networking.k8s.io/v1\n"
	      "kind: HTTPRoute   # a comment\n"
	      "metadata:\n"
	      "  name: r-1\n"
	      "  namespace: default\n"
	      "  labels: {}\n"
	      "spec:\n"
	      "  parentRefs:\n"
	      "  - name: gw\n"
	      "    sectionName: \"http\"\n"
	      "    port: 8080\n"
	      "  hostnames:\n"
	      "  - 'a.example.com'\n"
	      "  - \"b.example.com\"\n");
	TAKES("a: 1\n"
	      "b:\n"
	      "- x\n"
	      "- 'y'\n"
	      "-   z: 1\n"
	      "    w:\n"
	      "      - q\n"
	      "c:\n"
	      "d: ~\n"
	      "e: true\n"
	      "f: -1.5e3\n"
	      "g: .inf\n"
	      "h: http://example.com:8080/a#frag\n"
	      "i: a#b\n"
	      "\"j\": k\n"
	      "'l': ''\n"
	      "m: []\n"
	      "n:   \n"
	      "o: \"\"\n");
	TAKES("---\nkind: A\n---\n# only a comment\n---\nkind: B\n");
	TAKES("# leading comment\n\n---  # marker comment\nkind: A\n  # indented comment\n\n");
	TAKES("  root: indented\n  second: 2\n");
	TAKES("list:\n  - a\n  - b:\n    - c\n    - d\n  - e\n");
	TAKES("a: 1\nb: 2\na: 3\n"); /* a duplicate key's warning */
	TAKES("---\n");
	TAKES("");
	TAKES("key with spaces: value with spaces   \n");
	TAKES("last: no newline");
	TAKES("a: [1, -2,x.y/z, \"q r\" ,'s']\nb:\n- ['10.0.0.1']\n- [ true ]\n");
	TAKES("a:\n  b:\n    c:\n      d: 1\n  e: 2\nf: 3\n");
}
END_TEST

START_TEST(takes_some_segments)
{
	/* each document on its own: the scanner leaves the one with an anchor */
	ck_assert_int_eq(both("kind: A\n---\nkind: &k B\n---\nkind: C\n"), 0);
	ck_assert_int_eq(both("---\nkind: A\n---\nkind: B\n...\n"), 0);
}
END_TEST

START_TEST(declines_the_rest)
{
	DECLINES("a: &x 1\nb: *x\n");
	DECLINES("base: &b {k: 1}\nuse:\n  <<: *b\n");
	DECLINES("a: !!str 1\n");
	DECLINES("a: |\n  text\n");
	DECLINES("a: >-\n  folded\n");
	DECLINES("a: [1, [2]]\n");
	DECLINES("a: [x y]\n");
	DECLINES("a: [1,\n  2]\n");
	DECLINES("a: [1, ]\n");
	DECLINES("a: [k: v]\n");
	DECLINES("a: [-]\n");
	DECLINES("a: {b: 1}\n");
	DECLINES("{\"a\": 1}\n");
	DECLINES("a: multi\n  line\n");
	DECLINES("a: \"multi\n  line\"\n");
	DECLINES("a: \"esc\\n\"\n");
	DECLINES("a: 'it''s'\n");
	DECLINES("a:\tb\n");
	DECLINES("a: b\r\n");
	DECLINES("a: caf\xc3\xa9\n");
	DECLINES("%YAML 1.1\n");
	both("%YAML 1.1\n---\na: 1\n"); /* libyaml reads the directive */
	DECLINES("? complex\n: key\n");
	DECLINES("just a scalar\n");
	DECLINES("- - nested\n");
	DECLINES("-\n  a: 1\n");
	DECLINES("a:\n  value below\n");
	DECLINES("--- inline\n");
	DECLINES("a: 1 # c\n...\nb: 2\n");
	/* syntax errors: libyaml's message and position */
	DECLINES("a: b: c\n");
	DECLINES("a: 1\n b: 2\n");
	DECLINES("a:\n  b: 1\n c: 2\n");
	DECLINES("a: 1\n- b\n");
	DECLINES("- a\nb: 1\n");
	DECLINES("a: \"unclosed\n");
	DECLINES("a: 'x' y\n");
	DECLINES("a: \"x\"#c\n");
	DECLINES("a: [] x\n");
	DECLINES("a:\n  - x\n  b: 1\n");
}
END_TEST

START_TEST(limits_the_same)
{
	max_docs = 2;
	ck_assert_int_eq(both("a: 1\n---\nb: 2\n---\nc: 3\n"), 1);
	ck_assert_int_eq(both("a: 1\n---\nb: 2\n---\nc: 3"), 1);
	max_docs = 1000000;
	/* deeper than the depth limit (64) */
	char deep[64 * 70 + 16], *p = deep;
	for (int i = 0; i < 66; i++) {
		for (int k = 0; k < i; k++)
			*p++ = ' ';
		p += sprintf(p, "k%d:\n", i);
	}
	sprintf(p, "%*sv: 1\n", 66, "");
	ck_assert_int_eq(both(deep), 1);
}
END_TEST

/* --- the corpus --- */

typedef struct tally {
	size_t files, taken, some, declined;
} tally;

static void walk(const char *dir, tally *t)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return;
	struct dirent *de;
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, t);
			continue;
		}
		size_t l = strlen(de->d_name);
		if (l < 5 || (strcmp(de->d_name + l - 5, ".yaml") && strcmp(de->d_name + l - 5, ".json")))
			continue;
		size_t len;
		char *data = test_slurp(path, &len);
		if (!data)
			continue;
		int r = both_ways(data, len, path);
		t->files++;
		if (r == 1)
			t->taken++;
		else if (r == 0)
			t->some++;
		else
			t->declined++;
		free(data);
	}
	closedir(dh);
}

START_TEST(corpus_same_both_ways)
{
	const char *root = getenv("EGW_CORPUS");
	if (!root)
		root = "../shared/conformance";
	const char *src = getenv("EGW_SOURCE_ROOT");
	tally t = { 0 };
	walk(root, &t);
	size_t corpus = t.files;
	if (src) {
		char p[4096];
		snprintf(p, sizeof p, "%s/testdata", src);
		walk(p, &t);
	}
	fprintf(stderr,
		"test_block: %zu files (%zu of the corpus) parsed both ways, all the same: "
		"the scanner took %zu whole, %zu in part, %zu not at all\n",
		t.files, corpus, t.taken, t.some, t.declined);
	if (!corpus) {
		fprintf(stderr, "\n*** test_block: conformance corpus not found at %s ***\n\n", root);
		return;
	}
	/* most manifests are plain block YAML */
	ck_assert_uint_gt(t.taken + t.some, t.files / 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("block");
	TCase *tc = tcase_create("block");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, takes_manifests);
	tcase_add_test(tc, takes_some_segments);
	tcase_add_test(tc, declines_the_rest);
	tcase_add_test(tc, limits_the_same);
	tcase_add_test(tc, corpus_same_both_ways);
	suite_add_tcase(s, tc);
	return test_run(s, NULL);
}
