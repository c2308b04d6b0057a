/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every limit of egw_limits, at every place input enters (input buffers, the
 * EnvoyGateway configuration, IR input): at the limit the input is read,
 * one past it the call returns EGW_ELIMIT (or, for max_objects_per_kind, the
 * object is skipped) with an EGW_D_LIMIT diagnostic that names the limit and
 * says where (input index and name; line and column where there is one).
 * The defaults are checked too, and that hostile sizes fail fast.
 */
#include "harness.h"

typedef struct run {
	int rc;
	egw_result *r;
	egw_diagnostic d; /* the first EGW_D_LIMIT diagnostic, if any */
	bool has_limit_diag;
	double secs;
} run;

static run translate(const egw_input *in, size_t n, egw_from from, const egw_limits *lim,
		     const char *config, size_t config_len)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.from = from;
	if (lim)
		o.limits = *lim;
	if (config) {
		o.config.data = config;
		o.config.len = config_len;
	}
	run x;
	memset(&x, 0, sizeof x);
	double t0 = rel_now();
	x.rc = egw_translate(&x.r, in, n, &o);
	x.secs = rel_now() - t0;
	if (x.r)
		x.has_limit_diag = rel_find_diag(x.r, EGW_D_LIMIT, &x.d);
	return x;
}

static run one(const char *data, size_t len, egw_from from, const egw_limits *lim)
{
	egw_input in = rel_input("in.yaml", data, len);
	return translate(&in, 1, from, lim, NULL, 0);
}

static run with_config(const char *config, size_t len, const egw_limits *lim)
{
	static const char doc[] = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n";
	egw_input in = rel_input("in.yaml", doc, sizeof doc - 1);
	return translate(&in, 1, EGW_FROM_GATEWAY_API, lim, config, len);
}

/* The call failed with EGW_ELIMIT and a diagnostic that names `what`. */
#define EXPECT_LIMIT(x, what)                                                              \
	do {                                                                               \
		CHECKF((x).rc == EGW_ELIMIT, "rc %d (%s), expected EGW_ELIMIT for %s", (x).rc, \
		       egw_strerror((x).rc), what);                                        \
		CHECKF((x).r != NULL, "no result with EGW_ELIMIT");                        \
		CHECKF((x).has_limit_diag, "no EGW_D_LIMIT diagnostic for %s", what);       \
		if ((x).has_limit_diag)                                                     \
			CHECKF(strstr((x).d.message.data, what) != NULL,                    \
			       "diagnostic \"%s\" does not name %s", (x).d.message.data, what); \
	} while (0)

#define EXPECT_READ(x)                                                                     \
	do {                                                                               \
		CHECKF((x).rc == EGW_OK && !(x).has_limit_diag, "rc %d, limit diagnostic %d", \
		       (x).rc, (int)(x).has_limit_diag);                                   \
		if ((x).has_limit_diag)                                                     \
			fprintf(stderr, "  %s\n", (x).d.message.data);                      \
	} while (0)

static void done(run *x) { egw_result_free(x->r); }

/* n nested flow sequences around a scalar: [[[1]]] */
static char *nested_flow(size_t n, char open, char close)
{
	rel_buf b = { 0 };
	for (size_t i = 0; i < n; i++)
		rel_put(&b, &open, 1);
	rel_puts(&b, open == '{' ? "" : "1");
	for (size_t i = 0; i < n; i++)
		rel_put(&b, &close, 1);
	return b.data;
}

/* {"a":{"a":...{"a":1}}} with n objects */
static char *nested_json(size_t n)
{
	rel_buf b = { 0 };
	for (size_t i = 0; i < n; i++)
		rel_puts(&b, "{\"a\":");
	rel_puts(&b, "1");
	for (size_t i = 0; i < n; i++)
		rel_puts(&b, "}");
	return b.data;
}

/* n nested block mappings, one key per level */
static char *nested_block(size_t n)
{
	rel_buf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++)
			rel_puts(&b, " ");
		rel_puts(&b, i + 1 == n ? "k: 1\n" : "k:\n");
	}
	return b.data;
}

static void test_input_bytes(void)
{
	egw_limits lim = { 0 };
	lim.max_input_bytes = 100;
	char big[201];
	memset(big, '#', 200);
	big[200] = 0;
	char exact[101];
	memset(exact, '#', 100);
	exact[100] = 0;
	egw_input in[3] = {
		rel_input("a.yaml", "# a\n", 4),
		rel_input("b.yaml", big, 200),
		rel_input("c.yaml", "# c\n", 4),
	};
	run x = translate(in, 3, EGW_FROM_GATEWAY_API, &lim, NULL, 0);
	EXPECT_LIMIT(x, "size limit");
	if (x.has_limit_diag) {
		CHECK(x.d.input == 1);
		CHECK(!strcmp(x.d.input_name.data, "b.yaml"));
		CHECK(strstr(x.d.message.data, "100") != NULL);
	}
	done(&x);

	in[1].data.len = 100;
	in[1].data.data = exact;
	x = translate(in, 3, EGW_FROM_GATEWAY_API, &lim, NULL, 0);
	EXPECT_READ(x);
	done(&x);

	/* the configuration is input n */
	x = with_config(big, 200, &lim);
	EXPECT_LIMIT(x, "size limit");
	if (x.has_limit_diag) {
		CHECK(x.d.input == 1);
		CHECK(!strcmp(x.d.input_name.data, "<config>"));
	}
	done(&x);

	x = one(big, 200, EGW_FROM_XDS_IR, &lim);
	EXPECT_LIMIT(x, "size limit");
	done(&x);
}

static void test_depth(void)
{
	egw_limits lim = { 0 };
	lim.max_depth = 8;
	static const char *const what = "nesting depth";
	for (int from = 0; from < 2; from++) {
		char *ok = nested_flow(8, '[', ']'), *bad = nested_flow(9, '[', ']');
		run x = one(ok, strlen(ok), (egw_from)from, &lim);
		CHECKF(x.rc != EGW_ELIMIT && !x.has_limit_diag, "8 levels with max_depth 8 (from %d)", from);
		done(&x);
		x = one(bad, strlen(bad), (egw_from)from, &lim);
		EXPECT_LIMIT(x, what);
		if (x.has_limit_diag) {
			CHECK(x.d.input == 0 && !strcmp(x.d.input_name.data, "in.yaml"));
			CHECKF(x.d.line == 1 && x.d.column == 9, "at %u:%u, expected 1:9", x.d.line,
			       x.d.column);
		}
		done(&x);
		free(ok);
		free(bad);

		ok = nested_json(8);
		bad = nested_json(9);
		x = one(ok, strlen(ok), (egw_from)from, &lim);
		CHECK(x.rc != EGW_ELIMIT && !x.has_limit_diag);
		done(&x);
		x = one(bad, strlen(bad), (egw_from)from, &lim);
		EXPECT_LIMIT(x, what);
		done(&x);
		free(ok);
		free(bad);

		ok = nested_block(8);
		bad = nested_block(9);
		x = one(ok, strlen(ok), (egw_from)from, &lim);
		CHECK(x.rc != EGW_ELIMIT && !x.has_limit_diag);
		done(&x);
		x = one(bad, strlen(bad), (egw_from)from, &lim);
		EXPECT_LIMIT(x, what);
		if (x.has_limit_diag)
			CHECKF(x.d.line == 9, "at line %u, expected 9", x.d.line);
		done(&x);
		free(ok);
		free(bad);
	}

	/* in the configuration */
	char *cfg = nested_block(9);
	run x = with_config(cfg, strlen(cfg), &lim);
	EXPECT_LIMIT(x, what);
	if (x.has_limit_diag)
		CHECK(!strcmp(x.d.input_name.data, "<config>"));
	done(&x);
	free(cfg);

	/* the default (64), and a hostile depth that must fail fast, not overflow the stack */
	char *ok = nested_flow(64, '[', ']'), *bad = nested_flow(65, '[', ']');
	x = one(ok, strlen(ok), EGW_FROM_GATEWAY_API, NULL);
	CHECK(x.rc != EGW_ELIMIT && !x.has_limit_diag);
	done(&x);
	x = one(bad, strlen(bad), EGW_FROM_GATEWAY_API, NULL);
	EXPECT_LIMIT(x, what);
	if (x.has_limit_diag)
		CHECK(strstr(x.d.message.data, "64") != NULL);
	done(&x);
	free(ok);
	free(bad);
	char *hostile = nested_flow(1000000, '[', ']');
	x = one(hostile, strlen(hostile), EGW_FROM_GATEWAY_API, NULL);
	EXPECT_LIMIT(x, what);
	CHECKF(x.secs < 5, "a million brackets took %.1f s", x.secs);
	done(&x);
	free(hostile);
	hostile = nested_flow(1000000, '{', '}');
	x = one(hostile, strlen(hostile), EGW_FROM_XDS_IR, NULL);
	CHECK(x.rc == EGW_ELIMIT || x.rc == EGW_EPARSE);
	CHECK(x.secs < 5);
	done(&x);
	free(hostile);
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memset(s, ch, n);
	s[n] = 0;
	return s;
}

static void test_string_size(void)
{
	egw_limits lim = { 0 };
	lim.max_string_bytes = 16;
	static const char *const what = "string size";
	char *s16 = repeat('x', 16), *s17 = repeat('x', 17);
	char buf[256];
	for (int from = 0; from < 2; from++) {
		snprintf(buf, sizeof buf, "a: %s\n", s16);
		run x = one(buf, strlen(buf), (egw_from)from, &lim);
		CHECK(x.rc != EGW_ELIMIT && !x.has_limit_diag);
		done(&x);
		/* plain, quoted, key, block scalar, escapes that decode to 17 bytes */
		const char *fmts[] = { "a: %s\n", "a: \"%s\"\n", "%s: 1\n", "a: |\n  %s\n", NULL };
		for (const char **f = fmts; *f; f++) {
			snprintf(buf, sizeof buf, *f, s17);
			x = one(buf, strlen(buf), (egw_from)from, &lim);
			EXPECT_LIMIT(x, what);
			if (x.has_limit_diag)
				CHECKF(x.d.line >= 1, "no line for %s", *f);
			done(&x);
		}
		const char *esc = "a: \"\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\\x41\"\n";
		x = one(esc, strlen(esc), (egw_from)from, &lim);
		EXPECT_LIMIT(x, what);
		done(&x);
	}
	snprintf(buf, sizeof buf, "gateway:\n  controllerName: %s\n", s17);
	run x = with_config(buf, strlen(buf), &lim);
	EXPECT_LIMIT(x, what);
	done(&x);
	free(s16);
	free(s17);

	/* the default, 4 MiB */
	size_t big = ((size_t)4 << 20) + 1;
	char *doc = malloc(big + 8);
	if (!doc)
		abort();
	memcpy(doc, "a: ", 3);
	memset(doc + 3, 'y', big);
	doc[3 + big] = '\n';
	x = one(doc, big + 4, EGW_FROM_GATEWAY_API, NULL);
	EXPECT_LIMIT(x, what);
	done(&x);
	x = one(doc, big + 2, EGW_FROM_GATEWAY_API, NULL); /* 4 MiB exactly, no newline */
	CHECK(!x.has_limit_diag || !strstr(x.d.message.data, what));
	done(&x);
	free(doc);
}

static void test_aliases(void)
{
	static const char *const what = "alias expansion";
	egw_limits lim = { 0 };
	lim.max_alias_nodes = 10;
	/* [1,2,3,4] is 5 nodes: two aliases make 10 (allowed), three 15 */
	const char *ok = "a: &x [1, 2, 3, 4]\nb: *x\nc: *x\n";
	const char *bad = "a: &x [1, 2, 3, 4]\nb: *x\nc: *x\nd: *x\n";
	for (int from = 0; from < 2; from++) {
		run x = one(ok, strlen(ok), (egw_from)from, &lim);
		CHECK(x.rc != EGW_ELIMIT && !x.has_limit_diag);
		done(&x);
		x = one(bad, strlen(bad), (egw_from)from, &lim);
		EXPECT_LIMIT(x, what);
		if (x.has_limit_diag)
			CHECKF(x.d.line == 4 && x.d.column == 4, "at %u:%u, expected 4:4", x.d.line,
			       x.d.column);
		done(&x);
	}
	/* the count is per buffer, across its documents */
	const char *two = "a: &x [1, 2, 3, 4]\nb: *x\n---\na: &y [1, 2, 3, 4]\nb: *y\nc: *y\n";
	run x = one(two, strlen(two), EGW_FROM_GATEWAY_API, &lim);
	EXPECT_LIMIT(x, what);
	done(&x);
	egw_input in[2] = { rel_input("1", ok, strlen(ok)), rel_input("2", ok, strlen(ok)) };
	x = translate(in, 2, EGW_FROM_GATEWAY_API, &lim, NULL, 0);
	CHECK(x.rc != EGW_ELIMIT && !x.has_limit_diag);
	done(&x);
	char cfg[128];
	snprintf(cfg, sizeof cfg, "kind: EnvoyGateway\nx: &x [1, 2, 3, 4]\ny: [*x, *x, *x]\n");
	x = with_config(cfg, strlen(cfg), &lim);
	EXPECT_LIMIT(x, what);
	done(&x);

	/* billion laughs with the default limit: fails, and fast */
	rel_buf b = { 0 };
	rel_puts(&b, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (int i = 1; i < 10; i++) {
		rel_printf(&b, "a%d: &a%d [", i, i);
		for (int k = 0; k < 10; k++)
			rel_printf(&b, "%s*a%d", k ? ", " : "", i - 1);
		rel_puts(&b, "]\n");
	}
	for (int from = 0; from < 2; from++) {
		x = one(b.data, b.len, (egw_from)from, NULL);
		EXPECT_LIMIT(x, what);
		if (x.has_limit_diag)
			CHECK(strstr(x.d.message.data, "100000") != NULL);
		CHECKF(x.secs < 2, "billion laughs took %.2f s", x.secs);
		done(&x);
	}
	rel_buf_free(&b);

	/* quadratic blow-up: one big anchor aliased many times */
	rel_puts(&b, "big: &b [");
	for (int i = 0; i < 5000; i++)
		rel_printf(&b, "%s%d", i ? "," : "", i);
	rel_puts(&b, "]\nrefs: [");
	for (int i = 0; i < 5000; i++)
		rel_printf(&b, "%s*b", i ? "," : "");
	rel_puts(&b, "]\n");
	x = one(b.data, b.len, EGW_FROM_GATEWAY_API, NULL);
	EXPECT_LIMIT(x, what);
	CHECKF(x.secs < 2, "5000 aliases of 5000 items took %.2f s", x.secs);
	done(&x);
	rel_buf_free(&b);
}

static void test_documents(void)
{
	static const char *const what = "document count";
	egw_limits lim = { 0 };
	lim.max_documents = 3;
	const char *three = "a: 1\n---\na: 2\n---\na: 3\n";
	const char *four = "a: 1\n---\na: 2\n---\na: 3\n---\na: 4\n";
	for (int from = 0; from < 2; from++) {
		run x = one(three, strlen(three), (egw_from)from, &lim);
		CHECK(x.rc != EGW_ELIMIT && !x.has_limit_diag);
		done(&x);
		x = one(four, strlen(four), (egw_from)from, &lim);
		EXPECT_LIMIT(x, what);
		if (x.has_limit_diag)
			CHECKF(x.d.line >= 7, "at line %u, expected the fourth document", x.d.line);
		done(&x);
	}
	/* across buffers */
	const char *two = "a: 1\n---\na: 2\n";
	egw_input in[2] = { rel_input("1.yaml", two, strlen(two)), rel_input("2.yaml", two, strlen(two)) };
	run x = translate(in, 2, EGW_FROM_GATEWAY_API, &lim, NULL, 0);
	EXPECT_LIMIT(x, what);
	if (x.has_limit_diag)
		CHECK(x.d.input == 1 && !strcmp(x.d.input_name.data, "2.yaml"));
	done(&x);
	/* empty documents do not count */
	const char *empties = "---\n---\n---\n---\n---\na: 1\n";
	x = one(empties, strlen(empties), EGW_FROM_GATEWAY_API, &lim);
	CHECK(x.rc != EGW_ELIMIT && !x.has_limit_diag);
	done(&x);
	/* the configuration is one document whatever max_documents says */
	lim.max_documents = 1;
	const char *cfg = "kind: EnvoyGateway\n";
	x = with_config(cfg, strlen(cfg), &lim);
	CHECK(x.rc == EGW_OK);
	done(&x);
}

static void test_objects_per_kind(void)
{
	egw_limits lim = { 0 };
	lim.max_objects_per_kind = 2;
	rel_buf b = { 0 };
	for (int i = 0; i < 3; i++)
		rel_printf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: ns}\n"
			       "spec: {ports: [{port: 80}]}\n", i);
	rel_puts(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n");
	egw_input in = rel_input("svc.yaml", b.data, b.len);
	run x = translate(&in, 1, EGW_FROM_GATEWAY_API, &lim, NULL, 0);
	CHECKF(x.rc == EGW_OK, "rc %d: a skipped object is not a failed call", x.rc);
	CHECK(x.has_limit_diag);
	if (x.has_limit_diag) {
		CHECK(strstr(x.d.message.data, "Service") != NULL);
		CHECK(strstr(x.d.message.data, "2") != NULL);
		CHECK(!strcmp(x.d.name.data, "s2"));
		CHECK(x.d.line == 12);
	}
	done(&x);

	/* the same in a kind: List, and per kind: two HTTPRoutes and two Services pass */
	rel_buf_free(&b);
	rel_puts(&b, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
	for (int i = 0; i < 2; i++)
		rel_printf(&b, "%s{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s%d\"}},"
			       "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","
			       "\"metadata\":{\"name\":\"r%d\"},\"spec\":{}}",
			   i ? "," : "", i, i);
	rel_puts(&b, "]}");
	in = rel_input("list.json", b.data, b.len);
	x = translate(&in, 1, EGW_FROM_GATEWAY_API, &lim, NULL, 0);
	CHECK(x.rc == EGW_OK && !x.has_limit_diag);
	done(&x);
	rel_buf_free(&b);
}

/* A limit stops the call, but the result still says everything it found
 * before, and frees cleanly. */
static void test_limit_result(void)
{
	egw_limits lim = { 0 };
	lim.max_depth = 4;
	const char *in = "apiVersion: v1\nkind: Namespace\nmetadata: {name: [x}\n---\n"
			 "a: [[[[[1]]]]]\n";
	run x = one(in, strlen(in), EGW_FROM_GATEWAY_API, &lim);
	EXPECT_LIMIT(x, "nesting depth");
	CHECK(rel_has_diag(x.r, EGW_D_SYNTAX, NULL));
	egw_str s;
	CHECK(egw_result_render(x.r, EGW_RENDER_GATEWAY_API, 0, EGW_FORMAT_JSON, &s) == 0);
	CHECK(egw_result_fleet_count(x.r) == 0);
	done(&x);
}

/* egw_parse applies the limits of its options; egw_translate_documents
 * reports a hit as egw_translate does. */
static void test_parse_api(void)
{
	egw_limits lim = { 0 };
	lim.max_depth = 4;
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.limits = lim;
	const char *deep = "a: [[[[[1]]]]]\n";
	egw_input in = rel_input("deep.yaml", deep, strlen(deep));
	egw_documents *d = NULL;
	CHECK(egw_parse(&d, &in, 1, &o) == EGW_OK);
	egw_result *r = NULL;
	int rc = egw_translate_documents(&r, d, NULL);
	egw_documents_free(d);
	CHECKF(rc == EGW_ELIMIT, "rc %d", rc);
	egw_diagnostic diag;
	CHECK(r && rel_find_diag(r, EGW_D_LIMIT, &diag) && strstr(diag.message.data, "nesting depth") &&
	      !strcmp(diag.input_name.data, "deep.yaml") && diag.line == 1);
	egw_result_free(r);
	/* the configuration is read by egw_translate_documents, under its options */
	const char *ok = "a: 1\n";
	in = rel_input("ok.yaml", ok, strlen(ok));
	CHECK(egw_parse(&d, &in, 1, NULL) == EGW_OK);
	o.config.data = "kind: EnvoyGateway\ngateway: {a: {b: {c: {d: {e: 1}}}}}\n";
	o.config.len = strlen(o.config.data);
	r = NULL;
	rc = egw_translate_documents(&r, d, &o);
	CHECKF(rc == EGW_ELIMIT, "config over the depth limit: rc %d", rc);
	egw_result_free(r);
	egw_documents_free(d);
}

int main(void)
{
	test_input_bytes();
	test_depth();
	test_string_size();
	test_aliases();
	test_documents();
	test_objects_per_kind();
	test_limit_result();
	test_parse_api();
	return rel_done("limits");
}
