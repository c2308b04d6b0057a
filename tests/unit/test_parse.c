/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the parse stage (bytes -> egw_node documents) and the model
 * stage (documents -> the resource set).  The contracts are in
 * src/parse/parse.h and src/model/resources.h.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/resources.h"
#include "parse/parse.h"
#include "util/ctx.h"
#include "ctx_fixture.h"
#include "check_run.h"

static egw_arena *A;
static egw_ctx C;
static egw_options O;
static const char *names[] = { "a.yaml", "b.yaml", "c.yaml" };

static void setup(void)
{
	A = egw_arena_new(NULL);
	test_ctx_init(&C, &O, A); /* the defaults egw.c's set_limits applies */
	C.controller_ns = "envoy-gateway-system";
	C.input_names = names;
	C.n_inputs = 3;
}

static void teardown(void)
{
	egw_arena_free(A);
	A = NULL;
}

static long last_rc;

static egw_node *parse_in(uint32_t input, const char *text)
{
	egw_node *docs = egw_arr(A);
	last_rc = egw_parse_buffer(&C, input, text, strlen(text), docs);
	return docs;
}

static egw_node *parse(const char *text) { return parse_in(0, text); }

/* The only document of text (asserting there is exactly one). */
static egw_node *doc1(const char *text)
{
	egw_node *d = parse(text);
	ck_assert_msg(egw_len(d) == 1, "expected one document from <<%s>>, got %zu", text, egw_len(d));
	return egw_at(d, 0);
}

static const egw_diag_item *diag_at(size_t i)
{
	const egw_diag_item *d = C.diag_head;
	while (d && i--)
		d = d->next;
	ck_assert_msg(d != NULL, "no diagnostic %zu (have %zu)", i, C.n_diags);
	return d;
}

static size_t count_code(int code)
{
	size_t n = 0;
	for (const egw_diag_item *d = C.diag_head; d; d = d->next)
		n += d->code == code;
	return n;
}

static void dump_diags(void)
{
	for (const egw_diag_item *d = C.diag_head; d; d = d->next)
		fprintf(stderr, "  diag code=%d sev=%d %u:%u:%u %s\n", d->code, d->severity,
			d->pos.input, d->pos.line, d->pos.col, d->message);
}

#define POS(n, l, c)                                                                        \
	do {                                                                                \
		const egw_node *pn_ = (n);                                                  \
		ck_assert_msg(pn_ != NULL, "no node for position check");                    \
		ck_assert_msg(pn_->pos.line == (l) && pn_->pos.col == (c),                  \
			      "%s: at %u:%u, expected %u:%u", #n, pn_->pos.line, pn_->pos.col, \
			      (unsigned)(l), (unsigned)(c));                                 \
	} while (0)

/* ---- scalar typing ---- */

typedef struct typing {
	const char *text;
	egw_nkind kind;
	double num; /* INT/FLOAT value; BOOL 0/1 */
} typing;

/* Plain scalars as Kubernetes' loader types them (YAML 1.2 core schema);
 * everything not listed as another type is a string, with its text intact. */
static const typing plain_cases[] = {
	{ "~", EGW_NULL, 0 },           { "null", EGW_NULL, 0 },        { "Null", EGW_NULL, 0 },
	{ "NULL", EGW_NULL, 0 },        { "true", EGW_BOOL, 1 },        { "True", EGW_BOOL, 1 },
	{ "TRUE", EGW_BOOL, 1 },        { "false", EGW_BOOL, 0 },       { "False", EGW_BOOL, 0 },
	{ "FALSE", EGW_BOOL, 0 },       { "0", EGW_INT, 0 },            { "80", EGW_INT, 80 },
	{ "-12", EGW_INT, -12 },        { "+7", EGW_INT, 7 },           { "007", EGW_INT, 7 },
	{ "9223372036854775807", EGW_INT, 9223372036854775807.0 },
	{ "9223372036854775808", EGW_FLOAT, 9223372036854775808.0 },
	{ "1.5", EGW_FLOAT, 1.5 },      { "-0.25", EGW_FLOAT, -0.25 },  { ".5", EGW_FLOAT, 0.5 },
	{ "1.", EGW_FLOAT, 1 },         { "1e3", EGW_FLOAT, 1000 },     { "2.5E-1", EGW_FLOAT, 0.25 },
	{ "+1e+2", EGW_FLOAT, 100 },
	/* YAML 1.1 booleans and the like are strings to a YAML 1.2 reader */
	{ "yes", EGW_STR, 0 },          { "No", EGW_STR, 0 },           { "on", EGW_STR, 0 },
	{ "OFF", EGW_STR, 0 },          { "y", EGW_STR, 0 },            { "nULL", EGW_STR, 0 },
	{ "tRUE", EGW_STR, 0 },         { "1_000", EGW_STR, 0 },        { "1:20", EGW_STR, 0 },
	{ "10.0.0.1", EGW_STR, 0 },     { "1.2.3", EGW_STR, 0 },        { "2026-01-01", EGW_STR, 0 },
	{ "1e", EGW_STR, 0 },           { "e5", EGW_STR, 0 },           { ".", EGW_STR, 0 },
	{ "+", EGW_STR, 0 },            { "100m", EGW_STR, 0 },
	{ "1Gi", EGW_STR, 0 },          { "v1", EGW_STR, 0 },           { "NaN", EGW_STR, 0 },
	{ "Infinity", EGW_STR, 0 },     { "--1", EGW_STR, 0 },          { "1-2", EGW_STR, 0 },
	{ "0.0.0.0/0", EGW_STR, 0 },    { "/shop", EGW_STR, 0 },        { "a b", EGW_STR, 0 },
	{ "héllo", EGW_STR, 0 },
};

START_TEST(plain_scalar_typing)
{
	for (size_t i = 0; i < sizeof plain_cases / sizeof plain_cases[0]; i++) {
		const typing *t = &plain_cases[i];
		char text[128];
		snprintf(text, sizeof text, "v: %s\n", t->text);
		egw_node *v = egw_get(doc1(text), "v");
		ck_assert_msg(v && v->kind == t->kind, "%s: kind %d, expected %d", t->text,
			      v ? v->kind : -1, t->kind);
		ck_assert_msg(!(v->flags & EGW_NF_QUOTED), "%s: plain scalar marked quoted", t->text);
		ck_assert_msg(!strcmp(v->str, t->text), "%s: text became %s", t->text, v->str);
		if (t->kind == EGW_INT)
			ck_assert_msg((double)egw_vint(v) == t->num, "%s: value %lld", t->text, (long long)egw_vint(v));
		if (t->kind == EGW_FLOAT)
			ck_assert_msg(egw_vfloat(v) == t->num, "%s: value %g", t->text, egw_vfloat(v));
		if (t->kind == EGW_BOOL)
			ck_assert_msg(egw_vbool(v) == (t->num != 0), "%s: bool %d", t->text, egw_vbool(v));
	}
	/* the special floats */
	egw_node *d = doc1("a: .inf\nb: -.Inf\nc: +.inf\nd: .nan\ne: .NaN\nf:\n");
	ck_assert(egw_get(d, "a")->kind == EGW_FLOAT && isinf(egw_vfloat(egw_get(d, "a"))) &&
		  egw_vfloat(egw_get(d, "a")) > 0);
	ck_assert(egw_get(d, "b")->kind == EGW_FLOAT && isinf(egw_vfloat(egw_get(d, "b"))) &&
		  egw_vfloat(egw_get(d, "b")) < 0);
	ck_assert(egw_get(d, "c")->kind == EGW_FLOAT && egw_vfloat(egw_get(d, "c")) > 0);
	ck_assert(egw_get(d, "d")->kind == EGW_FLOAT && isnan(egw_vfloat(egw_get(d, "d"))));
	ck_assert(egw_get(d, "e")->kind == EGW_FLOAT && isnan(egw_vfloat(egw_get(d, "e"))));
	/* an empty value is null, and present */
	ck_assert(egw_get(d, "f") && egw_get(d, "f")->kind == EGW_NULL);
	ck_assert_uint_eq(C.n_diags, 0);
}
END_TEST

/* Mappings read from input are marked so that egw_get_ci finds keys
 * spelled in another case, as Go's decoding of IR input does. */
START_TEST(input_objects_match_keys_in_any_case)
{
	egw_node *d = doc1("CACertificate: {Name: ca}\nlist: [{SNI: x}]\n");
	ck_assert(d->flags & EGW_NF_INPUT_KEYS);
	egw_node *ca = egw_get_ci(d, "caCertificate");
	ck_assert_ptr_nonnull(ca);
	ck_assert_str_eq(egw_text(egw_get_ci(ca, "name")), "ca");
	ck_assert_str_eq(egw_text(egw_get_ci(egw_get(d, "list")->c.items[0], "sni")), "x");
	ck_assert_ptr_null(egw_get_ci(d, "caCertificat"));
	/* the typing of "Name"-like plain scalars is unchanged: strings */
	ck_assert(egw_get(ca, "Name")->kind == EGW_STR);
}
END_TEST

START_TEST(quoted_scalars_are_strings)
{
	egw_node *d = doc1("a: \"true\"\n"
			   "b: '123'\n"
			   "c: \"null\"\n"
			   "d: ''\n"
			   "e: \"1.5\"\n"
			   "f: |\n  80\n"
			   "g: >-\n  false\n"
			   "h: !!str 443\n"
			   "i: ! 12\n"
			   "j: \"~\"\n");
	const char *keys = "abcdefghij";
	const char *want[] = { "true", "123", "null", "", "1.5", "80\n", "false", "443", "12", "~" };
	for (int i = 0; keys[i]; i++) {
		char k[2] = { keys[i], 0 };
		egw_node *v = egw_get(d, k);
		ck_assert_msg(v && v->kind == EGW_STR, "%s: kind %d", k, v ? v->kind : -1);
		ck_assert_msg(v->flags & EGW_NF_QUOTED, "%s: not flagged quoted", k);
		ck_assert_msg(!strcmp(v->str, want[i]), "%s: \"%s\"", k, v->str);
	}
	/* the text is kept, so a stage can still read a quoted number */
	int64_t port;
	ck_assert(egw_node_int(egw_get(d, "b"), &port) && port == 123);
	/* keys are text too: a key that looks like a number or bool stays a key */
	egw_node *k = doc1("80: http\ntrue: yes\n~: tilde\n\"q\": 1\n");
	ck_assert_str_eq(egw_get_str(k, "80", ""), "http");
	ck_assert_str_eq(egw_get_str(k, "true", ""), "yes");
	ck_assert_str_eq(egw_get_str(k, "~", ""), "tilde");
	ck_assert(egw_get(k, "q"));
	/* an explicit !!null tag makes null */
	ck_assert_int_eq(egw_get(doc1("n: !!null ''\n"), "n")->kind, EGW_NULL);
}
END_TEST

/* Explicit core-schema tags give the tagged type, quoted or not (YAML 1.2
 * 10.3.2; go-yaml does the same).  `!!int 5` must not turn into "5". */
START_TEST(explicit_core_tags)
{
	egw_node *d = doc1("a: !!int 5\nb: !!int \"6\"\nc: !!bool true\nd: !!float 1\ne: !!float '2.5'\n"
			   "f: !!str true\n");
	egw_node *a = egw_get(d, "a"), *b = egw_get(d, "b"), *c = egw_get(d, "c");
	egw_node *e = egw_get(d, "e"), *f = egw_get(d, "f"), *dd = egw_get(d, "d");
	ck_assert_msg(a->kind == EGW_INT && egw_vint(a) == 5, "!!int 5 -> kind %d", a->kind);
	ck_assert_msg(b->kind == EGW_INT && egw_vint(b) == 6, "!!int \"6\" -> kind %d", b->kind);
	ck_assert_msg(c->kind == EGW_BOOL && egw_vbool(c), "!!bool true -> kind %d", c->kind);
	ck_assert_msg(egw_equal(dd, egw_float(A, 1.0)) && dd->kind != EGW_STR, "!!float 1 -> kind %d",
		      dd->kind);
	ck_assert_msg(e->kind == EGW_FLOAT && egw_vfloat(e) == 2.5, "!!float '2.5' -> kind %d", e->kind);
	ck_assert_msg(f->kind == EGW_STR, "!!str true -> kind %d", f->kind);
}
END_TEST

/* ---- documents ---- */

START_TEST(multi_document_streams)
{
	egw_node *d = parse("a: 1\n"        /* 1 */
			    "---\n"         /* 2 */
			    "b: 2\n"        /* 3 */
			    "---\n"         /* 4 */
			    "---\n"         /* 5: empty document */
			    "# comment\n"   /* 6 */
			    "---\n"         /* 7: comment-only document */
			    "c: 3\n"        /* 8 */
			    "...\n"         /* 9 */
			    "--- {d: 4}\n"  /* 10 */
			    "--- |\n"       /* 11 */
			    "  text\n");    /* 12 */
	ck_assert_int_eq(last_rc, 5);
	ck_assert_uint_eq(egw_len(d), 5);
	ck_assert_uint_eq(C.n_diags, 0);
	ck_assert(egw_get(egw_at(d, 0), "a"));
	ck_assert(egw_get(egw_at(d, 1), "b"));
	ck_assert(egw_get(egw_at(d, 2), "c"));
	ck_assert(egw_get(egw_at(d, 3), "d"));
	ck_assert_str_eq(egw_at(d, 4)->str, "text\n");
	POS(egw_at(d, 0), 1, 1);
	POS(egw_at(d, 1), 3, 1);
	POS(egw_at(d, 2), 8, 1);
	POS(egw_at(d, 3), 10, 5);
	POS(egw_get(egw_at(d, 3), "d"), 10, 9);
	/* CRLF line ends */
	egw_node *w = parse("a: 1\r\n---\r\nb:\r\n  c: 2\r\n");
	ck_assert_uint_eq(egw_len(w), 2);
	POS(egw_path(egw_at(w, 1), "b.c"), 4, 6);
	/* a `---` that is not a marker (no separator after it, or not at column 1) */
	egw_node *x = parse("a: ---x\nb: |\n  ---\n  y\n");
	ck_assert_uint_eq(egw_len(x), 1);
	ck_assert_str_eq(egw_get_str(egw_at(x, 0), "a", ""), "---x");
	ck_assert_str_eq(egw_get_str(egw_at(x, 0), "b", ""), "---\ny\n");
}
END_TEST

START_TEST(empty_documents)
{
	const char *empties[] = { "", "\n\n", "# only a comment\n", "---\n", "---\n---\n...\n",
				  "~\n", "null\n", "--- null\n", "   \n  \n" };
	for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
		egw_node *d = parse(empties[i]);
		ck_assert_msg(egw_len(d) == 0 && last_rc == 0, "case %zu gave %zu documents", i,
			      egw_len(d));
	}
	ck_assert_uint_eq(C.n_diags, 0);
	/* a NULL buffer of length 0 is an empty input, not a crash */
	egw_node *docs = egw_arr(A);
	ck_assert_int_eq(egw_parse_buffer(&C, 0, NULL, 0, docs), 0);
	ck_assert_uint_eq(egw_len(docs), 0);
	/* an empty object or array is a document */
	ck_assert_uint_eq(egw_len(parse("{}\n---\n[]\n")), 2);
}
END_TEST

START_TEST(syntax_error_keeps_other_documents)
{
	egw_node *d = parse("a: 1\n"                /* 1 */
			    "---\n"                 /* 2 */
			    "key: value: bad\n"     /* 3 */
			    "---\n"                 /* 4 */
			    "c: 3\n"                /* 5 */
			    "---\n"                 /* 6 */
			    "d:\n"                  /* 7 */
			    "\te: 1\n"              /* 8: tab indentation */
			    "---\n"                 /* 9 */
			    "f: [1, 2\n"            /* 10 */
			    "---\n"                 /* 11 */
			    "g: 7\n");              /* 12 */
	ck_assert_uint_eq(egw_len(d), 3);
	ck_assert_int_eq(last_rc, 3);
	ck_assert(egw_get(egw_at(d, 0), "a"));
	ck_assert(egw_get(egw_at(d, 1), "c"));
	ck_assert(egw_get(egw_at(d, 2), "g"));
	POS(egw_at(d, 2), 12, 1);
	if (C.n_diags != 3)
		dump_diags();
	ck_assert_uint_eq(C.n_diags, 3);
	const egw_diag_item *e = diag_at(0);
	ck_assert_int_eq(e->code, EGW_D_SYNTAX);
	ck_assert_int_eq(e->severity, EGW_SEV_ERROR);
	ck_assert_uint_eq(e->pos.line, 3);
	ck_assert_uint_eq(e->pos.col, 11);
	ck_assert_ptr_nonnull(strstr(e->message, "mapping values are not allowed"));
	e = diag_at(1);
	ck_assert_int_eq(e->code, EGW_D_SYNTAX);
	ck_assert_uint_eq(e->pos.line, 8);
	ck_assert_uint_eq(e->pos.col, 1);
	e = diag_at(2);
	ck_assert_int_eq(e->code, EGW_D_SYNTAX);
	ck_assert_msg(e->pos.line == 10 || e->pos.line == 11, "unclosed [ reported at line %u",
		      e->pos.line);
	/* the documents before an error inside one segment are kept */
	egw_node *k = parse("x: 1\n...\ny: [\n");
	ck_assert_uint_eq(egw_len(k), 1);
	ck_assert(egw_get(egw_at(k, 0), "x"));
}
END_TEST

/* A directive that opens the next document belongs to it, not to the
 * document before: "...\n%YAML 1.2\n---" is valid YAML. */
START_TEST(directive_between_documents)
{
	egw_node *d = parse("a: 1\n...\n%YAML 1.2\n---\nb: 2\n");
	if (C.n_diags)
		dump_diags();
	ck_assert_uint_eq(egw_len(d), 2);
	ck_assert_uint_eq(C.n_diags, 0);
	POS(egw_at(d, 1), 5, 1);
}
END_TEST

/* Every node knows its input, line and column. */
static void all_positioned(const egw_node *n, uint32_t input)
{
	ck_assert_msg(n->pos.line > 0 && n->pos.col > 0, "node without position");
	ck_assert_uint_eq(n->pos.input, input);
	const egw_node *it;
	EGW_ARR_EACH(n, i, it)
	all_positioned(it, input);
	const egw_member *m;
	EGW_OBJ_EACH(n, i, m)
	all_positioned(m->val, input);
}

START_TEST(positions_of_every_object)
{
	const char *text = "# leading comment\n"          /* 1 */
			   "apiVersion: v1\n"             /* 2 */
			   "kind: Service\n"              /* 3 */
			   "metadata:\n"                  /* 4 */
			   "  name: web\n"                /* 5 */
			   "  labels: {app: web, tier: \"1\"}\n" /* 6 */
			   "spec:\n"                      /* 7 */
			   "  ports:\n"                   /* 8 */
			   "  - port: 80\n"               /* 9 */
			   "    name: http\n"             /* 10 */
			   "  -   port: 443\n"            /* 11 */
			   "  selector:\n"                /* 12 */
			   "    - a\n"                    /* 13 */
			   "---\n"                        /* 14 */
			   "apiVersion: v1\n"             /* 15 */
			   "kind: Namespace\n"            /* 16 */
			   "metadata: {name: shop}\n";    /* 17 */
	egw_node *d = parse_in(2, text);
	ck_assert_uint_eq(egw_len(d), 2);
	egw_node *svc = egw_at(d, 0), *ns = egw_at(d, 1);
	all_positioned(svc, 2);
	all_positioned(ns, 2);
	POS(svc, 2, 1);
	POS(egw_get(svc, "kind"), 3, 7);
	POS(egw_get(svc, "metadata"), 5, 3);
	POS(egw_path(svc, "metadata.name"), 5, 9);
	POS(egw_path(svc, "metadata.labels"), 6, 11);
	POS(egw_path(svc, "metadata.labels.tier"), 6, 28);
	POS(egw_path(svc, "spec.ports"), 9, 3);
	POS(egw_at(egw_path(svc, "spec.ports"), 0), 9, 5);
	POS(egw_get(egw_at(egw_path(svc, "spec.ports"), 0), "port"), 9, 11);
	POS(egw_get(egw_at(egw_path(svc, "spec.ports"), 0), "name"), 10, 11);
	POS(egw_at(egw_path(svc, "spec.ports"), 1), 11, 7);
	POS(egw_path(svc, "spec.selector"), 13, 5);
	POS(ns, 15, 1);
	POS(egw_get(ns, "metadata"), 17, 11);
	POS(egw_path(ns, "metadata.name"), 17, 18);
}
END_TEST

/* ---- anchors and aliases ---- */

START_TEST(anchors_and_aliases)
{
	egw_node *d = doc1("base: &b\n"
			   "  x: 1\n"
			   "  y: [1, 2]\n"
			   "copy: *b\n"
			   "word: &w hello\n"
			   "again: *w\n"
			   "list: &l [a, b]\n"
			   "lists: [*l, *l]\n"
			   "w2: &w bye\n"
			   "again2: *w\n");
	ck_assert_uint_eq(C.n_diags, 0);
	egw_node *base = egw_get(d, "base"), *copy = egw_get(d, "copy");
	ck_assert(egw_equal(base, copy));
	ck_assert_ptr_ne(base, copy); /* expanded, not shared */
	ck_assert_str_eq(egw_get_str(d, "again", ""), "hello");
	ck_assert_uint_eq(egw_len(egw_get(d, "lists")), 2);
	ck_assert(egw_equal(egw_at(egw_get(d, "lists"), 1), egw_get(d, "list")));
	ck_assert_str_eq(egw_get_str(d, "again2", ""), "bye"); /* a redefined anchor wins */
	/* an anchored key and an alias used as a key are keys like any other
	 * (members keep interned keys: these were read as ordinary scalars) */
	egw_node *k = doc1("&ka name: one\n"
			   "other: two\n"
			   "n: {*ka : three}\n"
			   "list: [&kb kind, x]\n"
			   "m: {*kb : four}\n");
	ck_assert_uint_eq(C.n_diags, 0);
	ck_assert_str_eq(egw_get_str(k, "name", ""), "one");
	ck_assert_str_eq(egw_get_str(k, "other", ""), "two");
	ck_assert_str_eq(egw_get_str(egw_get(k, "n"), "name", ""), "three");
	ck_assert_str_eq(egw_get_str(egw_get(k, "m"), "kind", ""), "four");
	ck_assert_uint_eq(egw_member_klen(&egw_get(k, "m")->c.members[0]), 4);
	/* anchors do not reach into the next document */
	egw_node *two = parse("a: &x 1\n---\nb: *x\n---\nc: 3\n");
	ck_assert_uint_eq(egw_len(two), 2);
	ck_assert_uint_eq(count_code(EGW_D_SYNTAX), 1);
	ck_assert_ptr_nonnull(strstr(diag_at(0)->message, "unknown anchor"));
	ck_assert_uint_eq(diag_at(0)->pos.line, 3);
	/* an alias of a node that is still open is unknown too (no cycles) */
	parse("a: &r [*r]\n");
	ck_assert_uint_eq(count_code(EGW_D_SYNTAX), 2);
}
END_TEST

/* YAML 1.1 merge keys, which go-yaml (so sigs.k8s.io/yaml, so kubectl and
 * egctl) applies: keys written in the mapping win, then earlier merged
 * mappings over later ones; a quoted "<<" is an ordinary key. */
/* Mapping keys are interned through a small cache by length and first
 * bytes: keys that share those (and so a cache slot) must stay apart, the
 * same text must give the one interned key in every document, and plain
 * keys that look like nulls, bools or numbers keep their text. */
START_TEST(keys_interned_by_text)
{
	const char *text = "abcdXz: 1\nabcdYz: 2\nabcdXzz: 3\ntrue: 4\n12: 5\n~: 6\nnull: 7\n"
			   "---\nabcdYz: 8\nabcdXz: 9\n"
			   "---\n{\"abcdXz\": 10, \"abcdYz\": 11}\n";
	for (int libyaml = 0; libyaml < 2; libyaml++) {
		C.yaml_libyaml_only = libyaml;
		egw_node *docs = parse(text);
		ck_assert_uint_eq(egw_len(docs), 3);
		egw_node *a = egw_at(docs, 0), *b = egw_at(docs, 1), *j = egw_at(docs, 2);
		const char *want[] = { "abcdXz", "abcdYz", "abcdXzz", "true", "12", "~", "null" };
		ck_assert_uint_eq(egw_len(a), 7);
		for (size_t i = 0; i < 7; i++) {
			ck_assert_str_eq(a->c.members[i].key, want[i]);
			ck_assert_ptr_eq(a->c.members[i].key, egw_arena_intern(C.arena, want[i], strlen(want[i])));
			ck_assert_int_eq(egw_get_int(a, want[i], -1), (int64_t)i + 1);
		}
		ck_assert_int_eq(egw_get_int(b, "abcdYz", -1), 8);
		ck_assert_int_eq(egw_get_int(b, "abcdXz", -1), 9);
		ck_assert_ptr_eq(b->c.members[1].key, a->c.members[0].key);
		ck_assert_ptr_eq(b->c.members[0].key, a->c.members[1].key);
		ck_assert_int_eq(egw_get_int(j, "abcdXz", -1), 10);
		ck_assert_ptr_eq(j->c.members[1].key, a->c.members[1].key);
	}
	C.yaml_libyaml_only = false;
}
END_TEST

START_TEST(merge_keys)
{
	egw_node *d = doc1("base: &base\n"
			   "  port: 80\n"
			   "  protocol: HTTP\n"
			   "  name: base\n"
			   "tls: &tls {port: 443, protocol: HTTPS}\n"
			   "listeners:\n"
			   "- <<: *base\n"
			   "  name: http\n"
			   "- name: first\n"
			   "  <<: *base\n"
			   "- <<: [*tls, *base]\n"
			   "- <<: {inline: true}\n"
			   "  other: 1\n"
			   "named: &named {<<: *base, extra: 1}\n"
			   "copy: *named\n"
			   "quoted: {\"<<\": {a: 1}}\n");
	ck_assert_uint_eq(C.n_diags, 0);
	egw_node *ls = egw_get(d, "listeners");
	egw_node *l0 = egw_at(ls, 0), *l1 = egw_at(ls, 1), *l2 = egw_at(ls, 2), *l3 = egw_at(ls, 3);
	ck_assert_uint_eq(egw_len(l0), 3);
	ck_assert_str_eq(egw_get_str(l0, "name", ""), "http");
	ck_assert_int_eq(egw_get_int(l0, "port", 0), 80);
	ck_assert_str_eq(egw_get_str(l0, "protocol", ""), "HTTP");
	ck_assert_ptr_null(egw_get(l0, "<<"));
	ck_assert_str_eq(egw_get_str(l1, "name", ""), "first");
	ck_assert_uint_eq(egw_len(l1), 3);
	ck_assert_int_eq(egw_get_int(l2, "port", 0), 443);
	ck_assert_str_eq(egw_get_str(l2, "protocol", ""), "HTTPS");
	ck_assert_str_eq(egw_get_str(l2, "name", ""), "base");
	ck_assert(egw_get_bool(l3, "inline", false));
	ck_assert_int_eq(egw_get_int(l3, "other", 0), 1);
	ck_assert_uint_eq(egw_len(egw_get(d, "copy")), 4);
	ck_assert(egw_equal(egw_get(d, "copy"), egw_get(d, "named")));
	ck_assert_ptr_nonnull(egw_path(egw_get(d, "quoted"), "<<.a"));
	/* merged members are copies: the anchor's mapping is unchanged */
	ck_assert_uint_eq(egw_len(egw_get(d, "base")), 3);
	egw_set_int(A, l0, "port", 8080);
	ck_assert_int_eq(egw_get_int(egw_get(d, "base"), "port", 0), 80);
	ck_assert_int_eq(egw_get_int(l1, "port", 0), 80);
	/* JSON's "<<" is a key */
	egw_node *j = doc1("{\"<<\": {\"a\": 1}, \"b\": 2}");
	ck_assert_uint_eq(egw_len(j), 2);
	/* a merge of a scalar is an error in its document only */
	egw_node *bad = parse("a: 1\n---\nx: &s 5\ny:\n  <<: *s\n---\nb: 2\n");
	ck_assert_uint_eq(egw_len(bad), 2);
	ck_assert_uint_eq(count_code(EGW_D_SYNTAX), 1);
	ck_assert_ptr_nonnull(strstr(diag_at(0)->message, "merge"));
	ck_assert_uint_eq(diag_at(0)->pos.line, 5);
	ck_assert_uint_eq(diag_at(0)->pos.col, 3);
}
END_TEST

START_TEST(alias_expansion_limit)
{
	C.limits.max_alias_nodes = 100;
	/* 11 nodes per alias of a: nine aliases are 99 nodes, within the limit */
	const char *ok = "a: &a [1,2,3,4,5,6,7,8,9,10]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n";
	egw_node *d = parse(ok);
	ck_assert_int_eq(last_rc, 1);
	ck_assert_uint_eq(egw_len(d), 1);
	ck_assert_uint_eq(C.n_diags, 0);
	const char *over = "a: &a [1,2,3,4,5,6,7,8,9,10]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n";
	d = parse(over);
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(egw_len(d), 0);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 1);
	ck_assert_uint_eq(diag_at(0)->pos.line, 2);
	ck_assert_ptr_nonnull(strstr(diag_at(0)->message, "alias"));
	/* the count runs over the whole buffer, across documents */
	C.n_diags = 0;
	C.diag_head = C.diag_tail = NULL;
	d = parse("a: &a [1,2,3,4,5,6,7,8,9,10]\nb: [*a,*a,*a,*a,*a]\n---\n"
		  "a: &a [1,2,3,4,5,6,7,8,9,10]\nb: [*a,*a,*a,*a,*a]\n");
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 1);

	/* a billion laughs under the default limit stops early */
	C.limits.max_alias_nodes = 100000;
	C.n_diags = 0;
	C.diag_head = C.diag_tail = NULL;
	const char *lol = "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
			  "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
			  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
			  "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
			  "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
			  "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
			  "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
			  "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
			  "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	parse(lol);
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 1);
	ck_assert_uint_le(egw_arena_used(A), (size_t)256 << 20);
}
END_TEST

/* ---- limits ---- */

static char *nested(char open, char close, int depth)
{
	char *s = egw_alloc(A, (size_t)depth * 2 + 4);
	int k = 0;
	for (int i = 0; i < depth; i++)
		s[k++] = open;
	s[k++] = '1';
	for (int i = 0; i < depth; i++)
		s[k++] = close;
	s[k] = 0;
	return s;
}

START_TEST(depth_limit)
{
	C.limits.max_depth = 5;
	parse(nested('[', ']', 5));
	ck_assert_int_eq(last_rc, 1);
	ck_assert_uint_eq(C.n_diags, 0);
	parse("a: {b: {c: {d: {e: 1}}}}\n");
	ck_assert_int_eq(last_rc, 1);
	parse("a: {b: {c: {d: {e: {f: 1}}}}}\n");
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 1);
	ck_assert_ptr_nonnull(strstr(diag_at(0)->message, "depth"));
	ck_assert_uint_eq(diag_at(0)->pos.line, 1);
	ck_assert_uint_eq(diag_at(0)->pos.col, 20); /* the sixth mapping's "{" */
	/* an alias counts at the depth it is expanded to: a 2-deep anchor
	 * under four open containers makes 6 levels */
	parse("a: &a [[1]]\nb: [[*a]]\n");
	ck_assert_int_eq(last_rc, 1);
	parse("a: &a [[1]]\nb: [[[*a]]]\n");
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 2);
	/* nor can a chain of anchors nest deeper than the limit */
	C.limits.max_depth = 64;
	char chain[8192];
	size_t k = (size_t)snprintf(chain, sizeof chain, "l0: &l0 %s\n", nested('[', ']', 30));
	for (int i = 1; i < 6; i++) {
		k += (size_t)snprintf(chain + k, sizeof chain - k, "l%d: &l%d ", i, i);
		for (int j = 0; j < 30; j++)
			chain[k++] = '[';
		k += (size_t)snprintf(chain + k, sizeof chain - k, "*l%d", i - 1);
		for (int j = 0; j < 30; j++)
			chain[k++] = ']';
		chain[k++] = '\n';
		chain[k] = 0;
	}
	parse(chain);
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 3);
	/* the default is 64 */
	parse(nested('[', ']', 64));
	ck_assert_int_eq(last_rc, 1);
	parse(nested('[', ']', 65));
	ck_assert_int_eq(last_rc, -1);
	/* hostile nesting ends in a diagnostic, not a stack overflow */
	parse(nested('[', ']', 200000));
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 5);
}
END_TEST

START_TEST(string_limit)
{
	C.limits.max_string_bytes = 10;
	parse("a: \"0123456789\"\n");
	ck_assert_int_eq(last_rc, 1);
	parse("a: 0123456789x\n");
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 1);
	ck_assert_ptr_nonnull(strstr(diag_at(0)->message, "string"));
	ck_assert_uint_eq(diag_at(0)->pos.col, 4);
	/* keys are strings too */
	parse("abcdefghijk: 1\n");
	ck_assert_int_eq(last_rc, -1);
	/* and documents before the long string are kept */
	egw_node *d = parse("a: 1\n---\nb: \"this one is far too long\"\n");
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(egw_len(d), 1);
}
END_TEST

START_TEST(document_limit)
{
	C.limits.max_documents = 3;
	egw_node *d = parse("a: 1\n---\n---\nb: 2\n---\nc: 3\n");
	ck_assert_int_eq(last_rc, 3); /* the empty document does not count */
	ck_assert_uint_eq(C.n_diags, 0);
	d = parse("a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n");
	ck_assert_int_eq(last_rc, -1);
	ck_assert_uint_eq(egw_len(d), 3);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 1);
	ck_assert_ptr_nonnull(strstr(diag_at(0)->message, "document"));
	/* the limit is across buffers: the docs array already holds documents */
	egw_node *docs = egw_arr(A);
	ck_assert_int_eq(egw_parse_buffer(&C, 0, "a: 1\n---\nb: 2\n", 14, docs), 2);
	ck_assert_int_eq(egw_parse_buffer(&C, 1, "c: 3\n---\nd: 4\n", 14, docs), -1);
	ck_assert_uint_eq(egw_len(docs), 3);
}
END_TEST

/* ---- JSON ---- */

/* JSON allows a line break between a key and its colon; YAML does not.  The
 * reader moves the colon up and keeps the line numbers. */
START_TEST(json_key_colon_on_next_line)
{
	egw_node *d = doc1("{\n"
			   "  \"kind\"\n"
			   "  : \"Service\",\n"
			   "  \"spec\" \r\n\t:\n"
			   "  {\"port\"\n:80, \"text\": \"a\\\" \\n : b\"}\n"
			   "}\n");
	ck_assert_uint_eq(C.n_diags, 0);
	ck_assert_str_eq(egw_get_str(d, "kind", ""), "Service");
	ck_assert_int_eq(egw_get_int(egw_get(d, "spec"), "port", -1), 80);
	/* a quote and a newline inside a string are not a key's end */
	ck_assert_str_eq(egw_text(egw_path(d, "spec.text")), "a\" \n : b");
	/* the value 80 keeps its line (7: after the colon that moved up) */
	ck_assert_uint_eq(egw_get(egw_get(d, "spec"), "port")->pos.line, 7);
}
END_TEST

START_TEST(json_input)
{
	egw_node *d = doc1("{\n"
			   "  \"apiVersion\": \"v1\",\n"
			   "  \"kind\": \"Service\",\n"
			   "  \"metadata\": {\"name\": \"web\", \"labels\": {}},\n"
			   "  \"spec\": {\n"
			   "    \"ports\": [{\"port\": 80, \"weight\": 1.5, \"big\": -2e3}],\n"
			   "    \"flags\": [true, false, null],\n"
			   "    \"text\": \"a\\nb\\t\\\"q\\\" \\\\ \\/ \\u00e9\\u2603\",\n"
			   "    \"num\": \"80\",\n"
			   "    \"empty\": []\n"
			   "  }\n"
			   "}\n");
	ck_assert_uint_eq(C.n_diags, 0);
	egw_node *port = egw_at(egw_path(d, "spec.ports"), 0);
	ck_assert(egw_get(port, "port")->kind == EGW_INT && egw_vint(egw_get(port, "port")) == 80);
	ck_assert(egw_get(port, "weight")->kind == EGW_FLOAT && egw_vfloat(egw_get(port, "weight")) == 1.5);
	ck_assert(egw_get(port, "big")->kind == EGW_FLOAT && egw_vfloat(egw_get(port, "big")) == -2000);
	egw_node *flags = egw_path(d, "spec.flags");
	ck_assert(egw_at(flags, 0)->kind == EGW_BOOL && egw_vbool(egw_at(flags, 0)));
	ck_assert(egw_at(flags, 1)->kind == EGW_BOOL && !egw_vbool(egw_at(flags, 1)));
	ck_assert(egw_at(flags, 2)->kind == EGW_NULL);
	ck_assert_str_eq(egw_text(egw_path(d, "spec.text")), "a\nb\t\"q\" \\ / \xc3\xa9\xe2\x98\x83");
	ck_assert(egw_path(d, "spec.num")->kind == EGW_STR);
	ck_assert(egw_path(d, "spec.empty")->kind == EGW_ARR);
	ck_assert(egw_path(d, "metadata.labels")->kind == EGW_OBJ);
	POS(d, 1, 1);
	POS(egw_get(d, "metadata"), 4, 15);
	POS(egw_path(d, "metadata.name"), 4, 24);
	POS(port, 6, 15);

	/* one line, no spaces (kubectl get -o json | jq -c) */
	egw_node *one = doc1("{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
			     "\"metadata\":{\"name\":\"g\",\"namespace\":\"n\"},\"spec\":{\"listeners\":"
			     "[{\"name\":\"http\",\"port\":80,\"protocol\":\"HTTP\"}]}}");
	ck_assert_str_eq(egw_text(egw_path(one, "metadata.namespace")), "n");
	egw_node *l = egw_at(egw_path(one, "spec.listeners"), 0);
	ck_assert(egw_get(l, "port")->kind == EGW_INT);
	POS(egw_get(one, "metadata"), 1, 74);
	POS(l, 1, 124);
	/* a JSON array is one document */
	egw_node *arr = doc1("[1, \"two\", {\"three\": 3}]");
	ck_assert_int_eq(arr->kind, EGW_ARR);
	ck_assert_uint_eq(egw_len(arr), 3);
	/* JSON documents separated by --- */
	ck_assert_uint_eq(egw_len(parse("{\"a\":1}\n---\n{\"b\":2}\n")), 2);
}
END_TEST

/* JSON writers that escape everything outside ASCII (Python's json.dumps)
 * write characters beyond the BMP as surrogate pairs, which YAML's \u (and
 * so libyaml) rejects: the parser joins them in JSON documents. */
START_TEST(json_surrogate_pairs)
{
	egw_node *d = parse("{\"a\": 1}\n---\n{\"emoji\": \"x\\ud83d\\ude00y\", \"k\\uD83D\\uDE80\": [\"\\ud83c\\udf89\"],\n"
			    " \"escaped\": \"\\\\ud83d\\\\ude00\", \"bmp\": \"\\u00e9\", \"after\": true}\n---\n{\"b\": 2}\n");
	if (egw_len(d) != 3)
		dump_diags();
	ck_assert_uint_eq(egw_len(d), 3);
	ck_assert_uint_eq(C.n_diags, 0);
	egw_node *e = egw_at(d, 1);
	ck_assert_str_eq(egw_get_str(e, "emoji", ""), "x\xf0\x9f\x98\x80y");
	ck_assert_str_eq(egw_text(egw_at(egw_get(e, "k\xf0\x9f\x9a\x80"), 0)), "\xf0\x9f\x8e\x89");
	/* an escaped backslash before "ud83d" is text, not an escape */
	ck_assert_str_eq(egw_get_str(e, "escaped", ""), "\\ud83d\\ude00");
	ck_assert_str_eq(egw_get_str(e, "bmp", ""), "\xc3\xa9");
	POS(egw_get(e, "after"), 4, 57); /* a line without pairs keeps its columns */
	POS(egw_at(d, 2), 6, 1);
	/* a lone surrogate is still an error, in its document only */
	egw_node *lone = parse("{\"a\": 1}\n---\n{\"bad\": \"\\ud83d\"}\n---\n{\"b\": 2}\n");
	ck_assert_uint_eq(egw_len(lone), 2);
	ck_assert_uint_eq(count_code(EGW_D_SYNTAX), 1);
	ck_assert_uint_eq(diag_at(0)->pos.line, 3);
	/* YAML is left alone: a backslash in a plain scalar is text */
	egw_node *y = doc1("path: C:\\ud83d\\ude00\n");
	ck_assert_str_eq(egw_get_str(y, "path", ""), "C:\\ud83d\\ude00");
}
END_TEST

START_TEST(duplicate_keys)
{
	egw_node *d = doc1("a: 1\n"
			   "b: 2\n"
			   "a: 3\n");
	ck_assert_uint_eq(egw_len(d), 2);
	ck_assert_int_eq(egw_get_int(d, "a", 0), 3); /* the last value wins */
	ck_assert_str_eq(d->c.members[0].key, "a"); /* at the first one's place */
	ck_assert_uint_eq(C.n_diags, 1);
	const egw_diag_item *e = diag_at(0);
	ck_assert_int_eq(e->code, EGW_D_DUPLICATE);
	ck_assert_int_eq(e->severity, EGW_SEV_WARNING);
	ck_assert_uint_eq(e->pos.line, 3);
	ck_assert_uint_eq(e->pos.col, 1);
	ck_assert_ptr_nonnull(strstr(e->message, "\"a\""));
	/* also in JSON, and in a large (hash-indexed) object */
	char big[2048];
	size_t k = (size_t)snprintf(big, sizeof big, "{");
	for (int i = 0; i < 30; i++)
		k += (size_t)snprintf(big + k, sizeof big - k, "\"k%d\": %d, ", i, i);
	snprintf(big + k, sizeof big - k, "\"k17\": \"again\"}");
	egw_node *j = doc1(big);
	ck_assert_uint_eq(egw_len(j), 30);
	ck_assert_str_eq(egw_get_str(j, "k17", ""), "again");
	ck_assert_uint_eq(count_code(EGW_D_DUPLICATE), 2);
	/* the same key in two different objects is no duplicate */
	doc1("x: {a: 1}\ny: {a: 2}\n");
	ck_assert_uint_eq(count_code(EGW_D_DUPLICATE), 2);
}
END_TEST

/* Containers get their children when they end, in an array of exactly
 * their size; empty ones (also as a buffer's very first container, before
 * any child was ever seen: a fuzzer's find under UBSan) get none. */
START_TEST(containers_sized_exactly)
{
	egw_node *e = doc1("{}");
	ck_assert_int_eq(e->kind, EGW_OBJ);
	ck_assert_uint_eq(egw_len(e), 0);
	e = doc1("[]");
	ck_assert_int_eq(e->kind, EGW_ARR);
	ck_assert_uint_eq(egw_len(e), 0);
	egw_node *d = doc1("a: {}\nb: []\nc: {x: {y: {}}}\nd:\n- {}\n- []\n- [1, [2, 3], {k: v}]\n");
	ck_assert_uint_eq(egw_len(d), 4);
	ck_assert_uint_eq(d->cap, 4);
	ck_assert_uint_eq(egw_len(egw_get(d, "a")), 0);
	ck_assert_uint_eq(egw_len(egw_get(d, "b")), 0);
	ck_assert_int_eq(egw_path(d, "c.x.y")->kind, EGW_OBJ);
	egw_node *l = egw_get(d, "d");
	ck_assert_uint_eq(egw_len(l), 3);
	ck_assert_uint_eq(l->cap, 3);
	egw_node *last = egw_at(l, 2);
	ck_assert_uint_eq(egw_len(last), 3);
	ck_assert_uint_eq(last->cap, 3);
	ck_assert(egw_vint(egw_at(egw_at(last, 1), 1)) == 3);
	ck_assert_str_eq(egw_get_str(egw_at(last, 2), "k", ""), "v");
	/* positions are the children's own */
	ck_assert_uint_eq(egw_at(l, 1)->pos.line, 6);
	ck_assert_uint_eq(C.n_diags, 0);
}
END_TEST

START_TEST(non_scalar_keys)
{
	egw_node *d = parse("ok: 1\n---\n? [a, b]\n: 1\n---\nalso: ok\n");
	ck_assert_uint_eq(egw_len(d), 2);
	ck_assert_uint_eq(count_code(EGW_D_SYNTAX), 1);
	ck_assert_ptr_nonnull(strstr(diag_at(0)->message, "scalar"));
	ck_assert_uint_eq(diag_at(0)->pos.line, 3);
}
END_TEST

START_TEST(parse_one_document)
{
	egw_node *one = egw_parse_one(&C, 0, "kind: EnvoyGateway\n", 19);
	ck_assert_str_eq(egw_get_str(one, "kind", ""), "EnvoyGateway");
	ck_assert_uint_eq(C.n_diags, 0);
	ck_assert_ptr_null(egw_parse_one(&C, 0, "a: 1\n---\nb: 2\n", 14));
	ck_assert_uint_eq(C.n_diags, 1);
	ck_assert_uint_eq(diag_at(0)->pos.line, 3);
	ck_assert_ptr_null(egw_parse_one(&C, 0, "# nothing\n", 10));
	ck_assert_uint_eq(C.n_diags, 2);
	ck_assert_ptr_null(egw_parse_one(&C, 0, "a: [\n", 5));
	ck_assert_uint_eq(C.n_diags, 3); /* only the syntax error */
	ck_assert_int_eq(diag_at(2)->code, EGW_D_SYNTAX);
}
END_TEST

START_TEST(unicode_text)
{
	/* a UTF-8 BOM is not part of the first key */
	egw_node *d = doc1("\xef\xbb\xbf" "name: caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80\n");
	ck_assert_str_eq(egw_get_str(d, "name", ""), "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80");
	/* invalid UTF-8 is a syntax error, not garbage in the tree */
	egw_node *bad = parse("a: 1\n---\nb: \xff\xfe\n---\nc: 1\n");
	ck_assert_uint_eq(egw_len(bad), 2);
	ck_assert_uint_eq(count_code(EGW_D_SYNTAX), 1);
}
END_TEST

/* ---- the resource set ---- */

static egw_resources RS;

static void build(const char *text) { egw_resources_build(&C, &RS, parse(text), NULL); }

static const char *order_of(egw_kind k)
{
	static char out[1024];
	size_t n = 0;
	out[0] = 0;
	egw_object *o;
	EGW_RES_EACH(&RS, k, i, o)
	{
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s/%s", i ? "," : "", o->ns, o->name);
	}
	return out;
}

static const char *routing_yaml =
	"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: n}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: l, namespace: n}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1beta1\nkind: HTTPRoute\nmetadata: {name: r, namespace: n}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: r, namespace: n}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: {name: r, namespace: n}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: r, namespace: n}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: UDPRoute\nmetadata: {name: r, namespace: n}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: rg, namespace: n}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1alpha3\nkind: BackendTLSPolicy\nmetadata: {name: b, namespace: n}\n---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\nmetadata: {name: p, namespace: n}\n---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: p, namespace: n}\n---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: p, namespace: n}\n---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p, namespace: n}\n---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\nmetadata: {name: p, namespace: n}\n---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyPatchPolicy\nmetadata: {name: p, namespace: n}\n---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: b, namespace: n}\n---\n"
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: HTTPRouteFilter\nmetadata: {name: f, namespace: n}\n---\n"
	"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n}\n---\n"
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s-1, namespace: n}\n---\n"
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n---\n"
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n---\n"
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\n"
	"apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceImport\nmetadata: {name: s, namespace: n}\n---\n"
	"apiVersion: certificates.k8s.io/v1beta1\nkind: ClusterTrustBundle\nmetadata: {name: ctb}\n";

START_TEST(routing_by_api_version_and_kind)
{
	build(routing_yaml);
	if (C.n_diags)
		dump_diags();
	ck_assert_uint_eq(C.n_diags, 0);
	for (int k = 0; k < EGW_K_EXTENSION; k++) {
		const egw_kind_info *ki = egw_kind_info_of((egw_kind)k);
		ck_assert_msg(RS.n[k] == 1, "%s: %zu objects", ki->name, RS.n[k]);
		egw_object *o = RS.items[k][0];
		ck_assert_int_eq(o->kind, k);
		ck_assert_str_eq(o->kind_name, ki->name);
		ck_assert_str_eq(o->group, ki->group);
		ck_assert_str_eq(o->ns, ki->namespaced ? "n" : "");
		ck_assert_ptr_eq(egw_res_find(&RS, (egw_kind)k, o->ns, o->name), o);
		ck_assert_str_eq(egw_get_str(o->node, "kind", ""), ki->name);
	}
	ck_assert_uint_eq(RS.n[EGW_K_EXTENSION], 0);
	egw_object *hr = RS.items[EGW_K_HTTPROUTE][0];
	ck_assert_str_eq(hr->api_version, "gateway.networking.k8s.io/v1beta1");
	ck_assert_ptr_null(egw_res_find(&RS, EGW_K_HTTPROUTE, "n", "nope"));
	ck_assert_ptr_null(egw_res_find(&RS, EGW_K_HTTPROUTE, "other", "r"));
	ck_assert_ptr_null(egw_kind_info_of(EGW_K__COUNT));
	ck_assert_ptr_nonnull(RS.config);
}
END_TEST

START_TEST(unknown_kinds_warn)
{
	build("apiVersion: v1\n"                              /* 1 */
	      "kind: Pod\n"                                   /* 2 */
	      "metadata: {name: p, namespace: n}\n"           /* 3 */
	      "---\n"                                         /* 4 */
	      "apiVersion: networking.k8s.io/v1\n"            /* 5: the wrong group */
	      "kind: Gateway\n"                               /* 6 */
	      "metadata: {name: g}\n"                         /* 7 */
	      "---\n"                                         /* 8 */
	      "apiVersion: gateway.networking.k8s.io/v1\n"    /* 9 */
	      "kind: gateway\n"                               /* 10: kinds are case-sensitive */
	      "metadata: {name: g}\n"                         /* 11 */
	      "---\n"                                         /* 12 */
	      "apiVersion: gateway.networking.k8s.io/v1\n"    /* 13 */
	      "kind: Gateway\n"                               /* 14 */
	      "metadata: {name: g}\n");                       /* 15 */
	ck_assert_uint_eq(RS.n[EGW_K_GATEWAY], 1);
	ck_assert_uint_eq(C.n_diags, 3);
	const unsigned lines[] = { 2, 6, 10 };
	const char *kinds[] = { "Pod", "Gateway", "gateway" };
	for (size_t i = 0; i < 3; i++) {
		const egw_diag_item *d = diag_at(i);
		ck_assert_int_eq(d->code, EGW_D_UNKNOWN_KIND);
		ck_assert_int_eq(d->severity, EGW_SEV_WARNING);
		ck_assert_uint_eq(d->pos.line, lines[i]);
		ck_assert_uint_eq(d->pos.col, 7);
		ck_assert_str_eq(d->kind, kinds[i]);
		ck_assert_ptr_nonnull(strstr(d->message, kinds[i]));
	}
	ck_assert_str_eq(diag_at(0)->name, "p");
	ck_assert_str_eq(diag_at(0)->ns, "n");
}
END_TEST

START_TEST(missing_identity)
{
	build("kind: Service\nmetadata: {name: a}\n"                        /* 1-2 */
	      "---\n"                                                       /* 3 */
	      "apiVersion: v1\nmetadata: {name: b}\n"                       /* 4-5 */
	      "---\n"                                                       /* 6 */
	      "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: x\n"  /* 7-10 */
	      "---\n"                                                       /* 11 */
	      "apiVersion: v1\nkind: Service\nspec: {}\n"                   /* 12-14 */
	      "---\n"                                                       /* 15 */
	      "apiVersion: \"\"\nkind: Service\nmetadata: {name: e}\n"      /* 16-18 */
	      "---\n"                                                       /* 19 */
	      "- just\n- a list\n"                                          /* 20-21 */
	      "---\n"                                                       /* 22 */
	      "plain scalar\n"                                              /* 23 */
	      "---\n"                                                       /* 24 */
	      "apiVersion: v1\nkind: Service\nmetadata: {name: ok}\n");     /* 25-27 */
	ck_assert_uint_eq(RS.n[EGW_K_SERVICE], 1);
	ck_assert_str_eq(RS.items[EGW_K_SERVICE][0]->name, "ok");
	ck_assert_uint_eq(C.n_diags, 7);
	struct {
		int code;
		unsigned line;
		const char *msg;
	} want[] = {
		{ EGW_D_MISSING, 1, "apiVersion" }, { EGW_D_MISSING, 4, "kind" },
		{ EGW_D_MISSING, 10, "metadata.name" }, { EGW_D_MISSING, 12, "metadata.name" },
		{ EGW_D_MISSING, 16, "apiVersion" }, { EGW_D_TYPE, 20, "object" },
		{ EGW_D_TYPE, 23, "object" },
	};
	for (size_t i = 0; i < 7; i++) {
		const egw_diag_item *d = diag_at(i);
		ck_assert_msg(d->code == want[i].code, "diag %zu: code %d", i, d->code);
		ck_assert_int_eq(d->severity, EGW_SEV_ERROR);
		ck_assert_msg(d->pos.line == want[i].line, "diag %zu at line %u, expected %u", i,
			      d->pos.line, want[i].line);
		ck_assert_msg(strstr(d->message, want[i].msg), "diag %zu: %s", i, d->message);
	}
	ck_assert_str_eq(diag_at(2)->kind, "Service");
	ck_assert_str_eq(diag_at(2)->ns, "x");
}
END_TEST

START_TEST(list_expansion)
{
	build("apiVersion: v1\n"
	      "kind: List\n"
	      "items:\n"
	      "- apiVersion: v1\n"                        /* 4 */
	      "  kind: Service\n"
	      "  metadata: {name: a, namespace: n}\n"
	      "- apiVersion: gateway.networking.k8s.io/v1\n"
	      "  kind: Gateway\n"
	      "  metadata: {name: g, namespace: n}\n"
	      "- apiVersion: v1\n"                        /* 10: a List in a List is not expanded */
	      "  kind: List\n"
	      "  metadata: {name: inner}\n"
	      "  items:\n"
	      "  - {apiVersion: v1, kind: Service, metadata: {name: hidden, namespace: n}}\n"
	      "- apiVersion: v1\n"                        /* 15 */
	      "  kind: Service\n"
	      "  metadata: {namespace: n}\n"
	      "---\n"
	      "apiVersion: v1\nkind: List\nitems: []\n"
	      "---\n"
	      "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", "
	      "\"kind\": \"Service\", \"metadata\": {\"name\": \"b\", \"namespace\": \"n\"}}]}\n");
	ck_assert_uint_eq(RS.n[EGW_K_SERVICE], 2);
	ck_assert_ptr_nonnull(egw_res_find(&RS, EGW_K_SERVICE, "n", "a"));
	ck_assert_ptr_nonnull(egw_res_find(&RS, EGW_K_SERVICE, "n", "b"));
	ck_assert_ptr_null(egw_res_find(&RS, EGW_K_SERVICE, "n", "hidden"));
	ck_assert_uint_eq(RS.n[EGW_K_GATEWAY], 1);
	POS(egw_res_find(&RS, EGW_K_SERVICE, "n", "a")->node, 4, 3);
	ck_assert_uint_eq(C.n_diags, 2);
	ck_assert_int_eq(diag_at(0)->code, EGW_D_UNKNOWN_KIND);
	ck_assert_uint_eq(diag_at(0)->pos.line, 11);
	ck_assert_int_eq(diag_at(1)->code, EGW_D_MISSING);
	ck_assert_uint_eq(diag_at(1)->pos.line, 17);
}
END_TEST

START_TEST(duplicates_rejected)
{
	build("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n}\nspec: {v: first}\n"
	      "---\n"
	      "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n}\nspec: {v: second}\n"
	      "---\n"
	      "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: m}\n"
	      "---\n"
	      "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n"
	      "---\n"
	      "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
	      "metadata: {name: eg, namespace: a}\n"
	      "---\n"
	      "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
	      "metadata: {name: eg, namespace: b}\n");
	ck_assert_uint_eq(RS.n[EGW_K_SERVICE], 2);
	ck_assert_uint_eq(RS.n[EGW_K_SECRET], 1);
	ck_assert_uint_eq(RS.n[EGW_K_GATEWAYCLASS], 1);
	ck_assert_str_eq(RS.items[EGW_K_GATEWAYCLASS][0]->ns, "");
	egw_object *s = egw_res_find(&RS, EGW_K_SERVICE, "n", "s");
	ck_assert_str_eq(egw_text(egw_path(s->node, "spec.v")), "first");
	ck_assert_uint_eq(C.n_diags, 2);
	ck_assert_int_eq(diag_at(0)->code, EGW_D_DUPLICATE);
	ck_assert_int_eq(diag_at(0)->severity, EGW_SEV_ERROR);
	ck_assert_uint_eq(diag_at(0)->pos.line, 6);
	ck_assert_str_eq(diag_at(0)->name, "s");
	ck_assert_ptr_nonnull(strstr(diag_at(0)->message, "n/s"));
	ck_assert_int_eq(diag_at(1)->code, EGW_D_DUPLICATE);
	ck_assert_uint_eq(diag_at(1)->pos.line, 23);
}
END_TEST

/* Without creation times objects sort by namespace, then name, and the
 * sort compares eight-byte prefixes first: names and namespaces that share
 * their first eight bytes (or are shorter) must still come out in strcmp's
 * order, whatever the input order. */
static int cmp_pair(const void *x, const void *y)
{
	const char *const *a = x, *const *b = y;
	int c = strcmp(a[0], b[0]);
	return c ? c : strcmp(a[1], b[1]);
}

START_TEST(sorted_by_names_past_eight_bytes)
{
	static const char *nss[] = { "namespace-b", "default", "namespace-a", "namespace", "ns",
				     "namespace-a-long", "namespacf" };
	static const char *names[] = { "app-10", "app-1", "application-y", "applicat", "application-x",
				       "a", "app-2", "applicatio" };
	enum { NNS = sizeof nss / sizeof nss[0], NNAMES = sizeof names / sizeof names[0] };
	const char *pairs[NNS * NNAMES][2];
	for (int rot = 0; rot < 3; rot++) {
		static char text[NNS * NNAMES * 120];
		size_t k = 0, np = 0;
		for (int i = 0; i < NNS * NNAMES; i++) {
			int j = (i * 5 + rot * 11) % (NNS * NNAMES); /* 5 and 56 share no factor */ /* a different order each time */
			const char *ns = nss[j / NNAMES], *name = names[j % NNAMES];
			k += (size_t)snprintf(text + k, sizeof text - k,
					      "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\n",
					      name, ns);
			pairs[np][0] = ns;
			pairs[np++][1] = name;
		}
		qsort(pairs, np, sizeof pairs[0], cmp_pair);
		build(text);
		ck_assert_uint_eq(RS.n[EGW_K_SERVICE], np);
		egw_object *o;
		EGW_RES_EACH(&RS, EGW_K_SERVICE, i, o)
		{
			ck_assert_str_eq(o->ns, pairs[i][0]);
			ck_assert_str_eq(o->name, pairs[i][1]);
		}
	}
}
END_TEST

/* Four routes whose sort order is decided by each key in turn. */
static const char *sort_docs[] = {
	"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: b, namespace: x, "
	"creationTimestamp: \"2025-01-01T00:00:00Z\"}\n",
	"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: a, namespace: y, "
	"creationTimestamp: \"2025-01-01T00:00:00Z\"}\n",
	"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: z, namespace: a, "
	"creationTimestamp: \"2025-06-01T00:00:00Z\"}\n",
	"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: a, namespace: x, "
	"creationTimestamp: \"2025-01-01T00:00:00Z\"}\n",
	"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: m, namespace: z}\n",
};

START_TEST(sorted_regardless_of_document_order)
{
	/* every permutation of the five documents */
	int idx[5] = { 0, 1, 2, 3, 4 };
	int perms = 0;
	for (;;) {
		char text[4096];
		size_t k = 0;
		for (int i = 0; i < 5; i++)
			k += (size_t)snprintf(text + k, sizeof text - k, "---\n%s", sort_docs[idx[i]]);
		build(text);
		ck_assert_str_eq(order_of(EGW_K_HTTPROUTE), "z/m,x/a,x/b,y/a,a/z");
		perms++;
		/* next permutation */
		int i = 3;
		while (i >= 0 && idx[i] > idx[i + 1])
			i--;
		if (i < 0)
			break;
		int j = 4;
		while (idx[j] < idx[i])
			j--;
		int t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
		for (int a = i + 1, b = 4; a < b; a++, b--) {
			t = idx[a];
			idx[a] = idx[b];
			idx[b] = t;
		}
	}
	ck_assert_int_eq(perms, 120);
	ck_assert_uint_eq(C.n_diags, 0);
}
END_TEST

/* creationTimestamp is a time, not a string: an offset or a fraction must
 * not change the order (Envoy Gateway compares metav1.Time values). */
START_TEST(sorted_by_time_not_text)
{
	const char *t[] = {
		"2024-01-01T00:00:00.5Z",    /* c: half a second after b */
		"2024-01-01T00:00:00Z",      /* b */
		"2024-01-01T01:00:00+02:00", /* a: 2023-12-31T23:00:00Z */
		"2024-01-01T00:30:00-01:00", /* d: 01:30Z */
		"",                          /* z: no timestamp, the zero time */
	};
	const char *names[] = { "c", "b", "a", "d", "z" };
	char text[4096];
	size_t k = 0;
	for (int i = 0; i < 5; i++)
		k += (size_t)snprintf(text + k, sizeof text - k,
				      "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: n%s%s%s}\n",
				      names[i], *t[i] ? ", creationTimestamp: \"" : "", t[i], *t[i] ? "\"" : "");
	build(text);
	ck_assert_str_eq(order_of(EGW_K_SERVICE), "n/z,n/a,n/b,n/c,n/d");
	/* text that is no time sorts before all times, whatever the input
	 * order: the order stays total */
	const char *mixed[] = { "2024-01-01T01:00:00+02:00", "2024-01-01T00:00:00Z", "2024-01-01T00:30:00X",
				"yesterday" };
	const char *want = NULL;
	for (int rot = 0; rot < 4; rot++) {
		k = 0;
		for (int i = 0; i < 4; i++) {
			int j = (i + rot) % 4;
			k += (size_t)snprintf(text + k, sizeof text - k,
					      "---\napiVersion: v1\nkind: Service\n"
					      "metadata: {name: m%d, namespace: n, creationTimestamp: \"%s\"}\n",
					      j, mixed[j]);
		}
		build(text);
		if (!want)
			want = egw_strdup(A, order_of(EGW_K_SERVICE));
		ck_assert_str_eq(order_of(EGW_K_SERVICE), want);
	}
	ck_assert_str_eq(want, "n/m2,n/m3,n/m0,n/m1");
}
END_TEST

START_TEST(default_namespace_option)
{
	const char *text = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n"
			   "apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: explicit}\n---\n"
			   "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\n";
	build(text);
	ck_assert_ptr_nonnull(egw_res_find(&RS, EGW_K_SERVICE, "", "a"));
	ck_assert_ptr_null(egw_path(egw_res_find(&RS, EGW_K_SERVICE, "", "a")->node, "metadata.namespace"));
	O.default_namespace.data = "team-a-and-more";
	O.default_namespace.len = 6;
	build(text);
	egw_object *a = egw_res_find(&RS, EGW_K_SERVICE, "team-a", "a");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->ns, "team-a");
	ck_assert_str_eq(egw_text(egw_path(a->node, "metadata.namespace")), "team-a");
	ck_assert_ptr_nonnull(egw_res_find(&RS, EGW_K_SERVICE, "explicit", "b"));
	egw_object *gc = egw_res_find(&RS, EGW_K_GATEWAYCLASS, "", "c");
	ck_assert_ptr_nonnull(gc);
	ck_assert_ptr_null(egw_path(gc->node, "metadata.namespace"));
}
END_TEST

static const char *ext_config = "extensionManager:\n"
				"  resources:\n"
				"  - {group: example.io, version: v1, kind: Foo}\n"
				"  policyResources:\n"
				"  - {group: example.io, version: v1, kind: Bar}\n";

START_TEST(extension_kinds)
{
	egw_node *cfg = egw_parse_one(&C, 1, ext_config, strlen(ext_config));
	ck_assert_ptr_nonnull(cfg);
	const char *docs[] = {
		"apiVersion: example.io/v1\nkind: Foo\nmetadata: {name: same, namespace: n}\n",
		"apiVersion: example.io/v1\nkind: Bar\nmetadata: {name: same, namespace: n}\n",
		"apiVersion: other.io/v1\nkind: Foo\nmetadata: {name: same, namespace: n}\n",
	};
	for (int order = 0; order < 2; order++) {
		char text[1024];
		snprintf(text, sizeof text, "%s---\n%s---\n%s", docs[order ? 1 : 0], docs[order ? 0 : 1],
			 docs[2]);
		size_t before = C.n_diags;
		egw_resources_build(&C, &RS, parse(text), cfg);
		ck_assert_uint_eq(RS.n[EGW_K_EXTENSION], 2);
		ck_assert_ptr_nonnull(egw_res_find_ext(&RS, "example.io", "Foo", "n", "same"));
		ck_assert_ptr_nonnull(egw_res_find_ext(&RS, "example.io", "Bar", "n", "same"));
		ck_assert_ptr_null(egw_res_find_ext(&RS, "other.io", "Foo", "n", "same"));
		ck_assert_uint_eq(C.n_diags, before + 1); /* other.io/Foo is unknown */
		/* same namespace and name: the order must still not depend on the input's */
		ck_assert_msg(!strcmp(RS.items[EGW_K_EXTENSION][0]->kind_name, "Bar"),
			      "input order %d: extension objects sorted as %s,%s", order,
			      RS.items[EGW_K_EXTENSION][0]->kind_name,
			      RS.items[EGW_K_EXTENSION][1]->kind_name);
	}
}
END_TEST

START_TEST(objects_per_kind_limit)
{
	C.limits.max_objects_per_kind = 2;
	build("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n"
	      "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n---\n"
	      "apiVersion: v1\nkind: Service\nmetadata: {name: c}\n---\n"
	      "apiVersion: v1\nkind: Secret\nmetadata: {name: c}\n");
	ck_assert_uint_eq(RS.n[EGW_K_SERVICE], 2);
	ck_assert_uint_eq(RS.n[EGW_K_SECRET], 1);
	ck_assert_uint_eq(count_code(EGW_D_LIMIT), 1);
	ck_assert_uint_eq(diag_at(0)->pos.line, 9);
}
END_TEST

/* Whether n and every node under it are frozen (all) or none is (!all). */
static bool frozen_throughout(const egw_node *n, bool all)
{
	if (egw_frozen(n) != all)
		return false;
	for (size_t i = 0; n->kind == EGW_ARR && i < n->n; i++)
		if (!frozen_throughout(n->c.items[i], all))
			return false;
	for (size_t i = 0; n->kind == EGW_OBJ && i < n->n; i++)
		if (!frozen_throughout(n->c.members[i].val, all))
			return false;
	return true;
}

/* Documents that are read-only once parsed are frozen node by node as the
 * parser completes them (no walk over the whole tree afterwards): merged
 * members, alias copies and duplicate keys included.  Other parses (the
 * configuration, IR input) stay writable. */
START_TEST(freeze_as_parsed)
{
	static const char text[] = "base: &base {port: 80, tls: {mode: Terminate}}\n"
				   "list: [&item {a: 1}, *item]\n"
				   "merged: {<<: *base, name: x}\n"
				   "dup: {k: 1, k: [2, {z: null}]}\n"
				   "copy: *base\n";
	C.freeze_parsed = true;
	egw_node *d = doc1(text);
	ck_assert(frozen_throughout(d, true));
	ck_assert_int_eq(egw_get_int(egw_get(d, "merged"), "port", 0), 80);
	ck_assert_uint_eq(egw_len(egw_get(egw_get(d, "dup"), "k")), 2);
	/* egw_freeze stops at frozen subtrees: a fresh parent is frozen, the
	 * tree under it was already */
	egw_node *top = egw_arr(A);
	egw_arr_push(A, top, d);
	egw_freeze(top);
	ck_assert(egw_frozen(top));
	C.freeze_parsed = false;
	ck_assert(frozen_throughout(doc1(text), false));
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *t = tcase_create("typing");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, plain_scalar_typing);
	tcase_add_test(t, input_objects_match_keys_in_any_case);
	tcase_add_test(t, quoted_scalars_are_strings);
	tcase_add_test(t, explicit_core_tags);
	tcase_add_test(t, unicode_text);
	suite_add_tcase(s, t);

	t = tcase_create("documents");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, multi_document_streams);
	tcase_add_test(t, empty_documents);
	tcase_add_test(t, syntax_error_keeps_other_documents);
	tcase_add_test(t, directive_between_documents);
	tcase_add_test(t, positions_of_every_object);
	tcase_add_test(t, anchors_and_aliases);
	tcase_add_test(t, merge_keys);
	tcase_add_test(t, keys_interned_by_text);
	tcase_add_test(t, freeze_as_parsed);
	tcase_add_test(t, duplicate_keys);
	tcase_add_test(t, containers_sized_exactly);
	tcase_add_test(t, non_scalar_keys);
	tcase_add_test(t, parse_one_document);
	suite_add_tcase(s, t);

	t = tcase_create("limits");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, alias_expansion_limit);
	tcase_add_test(t, depth_limit);
	tcase_add_test(t, string_limit);
	tcase_add_test(t, document_limit);
	suite_add_tcase(s, t);

	t = tcase_create("json");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, json_key_colon_on_next_line);
	tcase_add_test(t, json_input);
	tcase_add_test(t, json_surrogate_pairs);
	suite_add_tcase(s, t);
	return s;
}

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *t = tcase_create("resources");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, routing_by_api_version_and_kind);
	tcase_add_test(t, unknown_kinds_warn);
	tcase_add_test(t, missing_identity);
	tcase_add_test(t, list_expansion);
	tcase_add_test(t, duplicates_rejected);
	tcase_add_test(t, sorted_regardless_of_document_order);
	tcase_add_test(t, sorted_by_time_not_text);
	tcase_add_test(t, sorted_by_names_past_eight_bytes);
	tcase_add_test(t, default_namespace_option);
	tcase_add_test(t, extension_kinds);
	tcase_add_test(t, objects_per_kind_limit);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_run(parse_suite(), model_suite());
}
