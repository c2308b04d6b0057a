/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A battery of malformed input nobody wrote by hand, through the C API:
 *
 *  - truncations of valid inputs (YAML, JSON, IR) at many offsets;
 *  - random bytes, and random text from YAML's alphabet;
 *  - byte-level mutations of valid inputs (flip, insert, delete, repeat);
 *  - pathological shapes: deep nesting of every kind, huge scalars and keys,
 *    billion laughs, merge keys, tags, BOMs, UTF-16, NULs, bad UTF-8, CRLF,
 *    100,000 documents, keys or duplicates;
 *  - mistyped fields: every field path of the valid Gateway API objects and
 *    of an IR document gets a string where an object is expected, an object
 *    where a string is, arrays, numbers, null, huge values, or is deleted;
 *  - the good part survives: garbage documents or buffers between the valid
 *    documents leave the rendered translation byte-identical.
 *
 * Every run must return a code egw.h documents for bad input, render
 * everything without failing, and give every allocation back (a counting
 * egw_allocator per run).  A signal or a hang fails the test (meson's
 * timeout).  Each case runs in a child process, so one crash or hang fails
 * that case and the rest still run (EGW_BATTERY_FORK=0: in process, for
 * debuggers).  The scale is 1 by default; EGW_BATTERY_SCALE=0.1 samples a
 * tenth (for valgrind), 10 runs ten times more random cases.
 *
 * Usage: test_malformed DATA_DIR [--scale S]
 * (meson runs it at 0.3, about 4,500 cases; EGW_BATTERY_SCALE=1 runs all.)
 */
#include <jansson.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static double scale = 1.0;
static double slowest;
static char slowest_what[256];
static size_t n_runs, n_with_diag, n_rc[16];

/* xorshift64*: deterministic, so a failure reproduces */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}
static size_t rndn(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static size_t scaled(size_t n)
{
	size_t k = (size_t)((double)n * scale);
	return k ? k : 1;
}

/* One translation of bad input: checks and counts; returns the result's
 * JSON rendering in *out when out is given. */
/* The run itself: translate, render everything, check.  Returns rc; the
 * JSON rendering goes to out; *diag says whether there were diagnostics. */
static int run_input(const char *what, const egw_input *in, size_t n, egw_from from, const char *config,
		     rel_buf *out, bool *diag)
{
	rel_counter c = { 0 };
	egw_allocator al = rel_counting_allocator(&c);
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = &al;
	o.from = from;
	if (config) {
		o.config.data = config;
		o.config.len = strlen(config);
	}
	egw_result *r = NULL;
	int rc = egw_translate(&r, in, n, &o);
	CHECKF(rel_rc_ok_for_input(rc), "%s: rc %d (%s)", what, rc, egw_strerror(rc));
	CHECKF(r != NULL, "%s: no result with rc %d", what, rc);
	*diag = false;
	if (r) {
		*diag = egw_result_diagnostic_count(r) > 0;
		rel_buf all = { 0 };
		int rrc = rel_render_all(r, &all);
		CHECKF(rrc == 0, "%s: a rendering failed with %d", what, rrc);
		rel_buf_free(&all);
		egw_str s;
		if (out && egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0,
					     EGW_FORMAT_JSON, &s) == 0)
			rel_put(out, s.data, s.len);
		egw_result_free(r);
	}
	CHECKF(c.allocs == c.frees, "%s: %zu allocations not freed", what, c.allocs - c.frees);
	return rc;
}

/* Runs one case in a child process (unless EGW_BATTERY_FORK=0), so that a
 * crash or a hang fails that case and the battery goes on to report every
 * other one.  The child sends back its checks, rc and rendering. */
static bool fork_cases = true;
static size_t shape_n = 100000; /* size of the pathological shapes */
static unsigned case_timeout = 60;

typedef struct child_report {
	int rc, failures, checks;
	bool diag;
	size_t out_len;
} child_report;

static int try_input(const char *what, const egw_input *in, size_t n, egw_from from, const char *config,
		     rel_buf *out)
{
	double t0 = rel_now();
	bool diag = false;
	int rc;
	if (!fork_cases) {
		rc = run_input(what, in, n, from, config, out, &diag);
	} else {
		int fds[2];
		if (pipe(fds) != 0)
			abort();
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			abort();
		if (pid == 0) {
			close(fds[0]);
			alarm(case_timeout);
			rel_failures = rel_checks = 0;
			rel_buf o = { 0 };
			child_report cr = { 0 };
			cr.rc = run_input(what, in, n, from, config, &o, &cr.diag);
			cr.failures = rel_failures;
			cr.checks = rel_checks;
			cr.out_len = o.len;
			FILE *w = fdopen(fds[1], "wb");
			fwrite(&cr, sizeof cr, 1, w);
			if (o.len)
				fwrite(o.data, 1, o.len, w);
			fclose(w);
			_exit(0);
		}
		close(fds[1]);
		FILE *rd = fdopen(fds[0], "rb");
		child_report cr;
		bool got = fread(&cr, sizeof cr, 1, rd) == 1;
		rel_buf o = { 0 };
		if (got && cr.out_len) {
			char *tmp = malloc(cr.out_len);
			if (!tmp || fread(tmp, 1, cr.out_len, rd) != cr.out_len)
				got = false;
			else
				rel_put(&o, tmp, cr.out_len);
			free(tmp);
		}
		fclose(rd);
		int st = 0;
		waitpid(pid, &st, 0);
		if (WIFSIGNALED(st) || !got) {
			CHECKF(0, "%s: %s (signal %d)", what,
			       WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "hangs" : "crashes",
			       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
			rel_buf_free(&o);
			return EGW_ERROR;
		}
		rel_checks += cr.checks;
		rel_failures += cr.failures;
		rc = cr.rc;
		diag = cr.diag;
		if (out)
			rel_put(out, o.data ? o.data : "", o.len);
		rel_buf_free(&o);
	}
	n_runs++;
	n_rc[(unsigned)-rc & 15]++;
	if (diag)
		n_with_diag++;
	double dt = rel_now() - t0;
	if (dt > slowest) {
		slowest = dt;
		snprintf(slowest_what, sizeof slowest_what, "%s", what);
	}
	return rc;
}

static int try_text(const char *what, const char *data, size_t len, egw_from from)
{
	egw_input in = rel_input("bad.yaml", data, len);
	return try_input(what, &in, 1, from, NULL, NULL);
}

/* ---- truncations and byte mutations ---- */

static void truncations(const char *name, const char *text, size_t len, egw_from from)
{
	size_t steps = scaled(400);
	size_t step = len / steps ? len / steps : 1;
	char what[128];
	for (size_t cut = 0; cut < len; cut += step) {
		snprintf(what, sizeof what, "%s cut at %zu", name, cut);
		/* an exact-size copy so ASan sees reads past the end */
		char *p = malloc(cut ? cut : 1);
		if (!p)
			abort();
		memcpy(p, text, cut);
		try_text(what, p, cut, from);
		free(p);
	}
}

static void byte_mutations(const char *name, const char *text, size_t len, egw_from from)
{
	static const char specials[] = "{}[]:,-&*!|>'\"#%@`?\t\n\r\\ \x00\xff";
	char what[128];
	size_t n = scaled(300);
	for (size_t i = 0; i < n; i++) {
		rel_buf b = { 0 };
		rel_put(&b, text, len);
		int edits = 1 + (int)rndn(4);
		for (int e = 0; e < edits && b.len; e++) {
			size_t at = rndn(b.len);
			switch (rndn(5)) {
			case 0: /* flip a bit */
				b.data[at] ^= (char)(1u << rndn(8));
				break;
			case 1: /* overwrite with a YAML special */
				b.data[at] = specials[rndn(sizeof specials - 1)];
				break;
			case 2: { /* insert a special */
				rel_buf c = { 0 };
				rel_put(&c, b.data, at);
				rel_put(&c, &specials[rndn(sizeof specials - 1)], 1);
				rel_put(&c, b.data + at, b.len - at);
				rel_buf_free(&b);
				b = c;
				break;
			}
			case 3: { /* delete a run */
				size_t k = 1 + rndn(16);
				if (at + k > b.len)
					k = b.len - at;
				memmove(b.data + at, b.data + at + k, b.len - at - k);
				b.len -= k;
				break;
			}
			default: { /* repeat a chunk */
				size_t k = 1 + rndn(64);
				if (at + k > b.len)
					k = b.len - at;
				rel_buf c = { 0 };
				rel_put(&c, b.data, at + k);
				rel_put(&c, b.data + at, b.len - at);
				rel_buf_free(&b);
				b = c;
			}
			}
		}
		snprintf(what, sizeof what, "%s mutation %zu", name, i);
		try_text(what, b.data ? b.data : "", b.len, from);
		rel_buf_free(&b);
	}
}

static void random_inputs(void)
{
	static const char alphabet[] = "{}[]:,-&*!|>'\"#%? \n\n\n    abcxyz019.~_/\t\\";
	char what[64];
	size_t n = scaled(300);
	for (size_t i = 0; i < n; i++) {
		size_t len = rndn(2048);
		char *p = malloc(len ? len : 1);
		if (!p)
			abort();
		bool text = i % 2;
		for (size_t k = 0; k < len; k++)
			p[k] = text ? alphabet[rndn(sizeof alphabet - 1)] : (char)rnd();
		snprintf(what, sizeof what, "random %s %zu", text ? "text" : "bytes", i);
		try_text(what, p, len, i % 3 == 0 ? EGW_FROM_XDS_IR : EGW_FROM_GATEWAY_API);
		free(p);
	}
}

/* ---- pathological shapes ---- */

/* head + n units + tail, as Gateway API input; and with n_ir units as IR
 * input (0 = n).  IR input makes one fleet per document, and each fleet's
 * rendering carries a bootstrap dump of about 7 KB, so 100,000 tiny IR
 * documents would render gigabytes: IR gets fewer. */
static void repeated_ir(const char *what, const char *head, const char *unit, size_t n, size_t n_ir,
			const char *tail)
{
	for (int from = 0; from < 2; from++) {
		size_t k = from && n_ir ? n_ir : n;
		rel_buf b = { 0 };
		rel_puts(&b, head);
		for (size_t i = 0; i < k; i++)
			rel_puts(&b, unit);
		rel_puts(&b, tail);
		try_text(what, b.data, b.len, (egw_from)from);
		rel_buf_free(&b);
	}
}

static void repeated(const char *what, const char *head, const char *unit, size_t n, const char *tail)
{
	repeated_ir(what, head, unit, n, 0, tail);
}

static void shapes(void)
{
	repeated("100k [", "", "[", shape_n, "");
	repeated("100k {", "", "{", shape_n, "");
	repeated("100k {a:", "", "{a: ", shape_n, "1");
	{
		rel_buf b = { 0 };
		for (size_t i = 0; i < shape_n; i++)
			rel_puts(&b, "[");
		for (size_t i = 0; i < shape_n; i++)
			rel_puts(&b, "]");
		try_text("100k [ closed", b.data, b.len, EGW_FROM_GATEWAY_API);
		rel_buf_free(&b);
	}
	repeated("100k block sequences", "", "- ", shape_n, "x\n");
	{
		rel_buf b = { 0 };
		for (size_t i = 0; i < 20000; i++) {
			for (size_t k = 0; k < i % 200; k++)
				rel_puts(&b, " ");
			rel_puts(&b, "a:\n");
		}
		try_text("deep block mappings", b.data, b.len, EGW_FROM_GATEWAY_API);
		rel_buf_free(&b);
	}
	repeated_ir("100k documents", "", "---\na: 1\n", shape_n, 1000, "");
	repeated("100k empty documents", "", "---\n", shape_n, "");
	{
		rel_buf b = { 0 };
		rel_puts(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m, namespace: x}\ndata:\n");
		for (size_t i = 0; i < shape_n; i++)
			rel_printf(&b, "  k%zu: v\n", i);
		try_text("100k keys", b.data, b.len, EGW_FROM_GATEWAY_API);
		rel_buf_free(&b);
		rel_puts(&b, "http:\n- name: l\n  routes:\n");
		for (size_t i = 0; i < 20000; i++)
			rel_printf(&b, "  - name: r%zu\n    hostname: '*'\n", i);
		try_text("20k IR routes", b.data, b.len, EGW_FROM_XDS_IR);
		rel_buf_free(&b);
	}
	repeated("100k duplicate keys", "", "a: 1\n", shape_n, "");
	repeated("10k duplicate metadata", "apiVersion: v1\nkind: Namespace\n", "metadata: {name: x}\n", 10000, "");
	{
		size_t big = ((size_t)5 << 20);
		char *p = malloc(big + 16);
		if (!p)
			abort();
		memcpy(p, "a: ", 3);
		memset(p + 3, 'x', big);
		try_text("5 MiB scalar", p, big + 3, EGW_FROM_GATEWAY_API);
		memset(p, 'k', big);
		memcpy(p + big, ": v\n", 4);
		try_text("5 MiB key", p, big + 4, EGW_FROM_XDS_IR);
		p[0] = '"';
		try_text("5 MiB unterminated quote", p, big, EGW_FROM_GATEWAY_API);
		p[0] = '#';
		try_text("5 MiB comment", p, big, EGW_FROM_GATEWAY_API);
		free(p);
	}
	{
		rel_buf b = { 0 };
		rel_puts(&b, "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
		for (int i = 1; i < 12; i++) {
			rel_printf(&b, "l%d: &l%d [", i, i);
			for (int k = 0; k < 10; k++)
				rel_printf(&b, "%s*l%d", k ? ", " : "", i - 1);
			rel_puts(&b, "]\n");
		}
		for (int from = 0; from < 2; from++)
			CHECK(try_text("billion laughs", b.data, b.len, (egw_from)from) == EGW_ELIMIT);
		rel_buf_free(&b);
		/* the laughs inside a real object's field */
		rel_puts(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m, namespace: x}\ndata:\n"
			     "  a: &a [x, x, x, x, x, x, x, x]\n");
		for (int i = 1; i < 8; i++)
			rel_printf(&b, "  %c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", 'a' + i, 'a' + i,
				   'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1,
				   'a' + i - 1, 'a' + i - 1);
		try_text("laughs in a ConfigMap", b.data, b.len, EGW_FROM_GATEWAY_API);
		rel_buf_free(&b);
	}
#define S(x) { x, sizeof(x) - 1 }
	static const struct {
		const char *data;
		size_t len;
	} odd[] = {
		S("a: &a [*a]\n"),
		S("a: &a {b: *a}\n"),
		S("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n"),
		S("<<: [*x]\n"),
		S("a: !!binary aGVsbG8=\nb: !!set {x, y}\nc: !!omap [a: 1]\nd: !custom x\n"),
		S("%TAG ! tag:example.com,2000:\n--- !foo\na: 1\n"),
		S("%YAML 1.3\n---\na: 1\n"),
		S("%YAML 1.1\n%YAML 1.1\n---\na: 1\n"),
		S("\xef\xbb\xbf" "apiVersion: v1\nkind: Namespace\nmetadata: {name: bom}\n"),
		S("\xff\xfe" "a\0:\0 \0b\0\n\0"),
		S("\xfe\xff" "\0a\0:\0 \0b\0\n"),
		S("a: \xff\xfe\xfd\n"),
		S("a: \xc3\n"),
		S("a: \xed\xa0\x80\n"),
		S("a: \"\\ud800\"\n"),
		S("a: \"\\udc00\\ud800\"\n"),
		S("{\"a\": \"\\ud83d\"}"),
		S("a: \"\\0\\a\\e\\N\\_\\L\\P\"\n"),
		S("apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: crlf\r\n"),
		S("apiVersion: v1\rkind: Namespace\rmetadata: {name: cr}\r"),
		S("? [complex, key]\n: value\n"),
		S("? {a: b}\n: value\n"),
		S("[a, b]: c\n"),
		S("a: 1\n a: 2\n"),
		S("a:\n\t- tab\n"),
		S("- a\nb: c\n"),
		S("...\n...\n---\n...\n"),
		S("--- |\n  literal document\n"),
		S("--- >-\n  folded\n  document\n"),
		S("---\n---\n--- ---\n"),
		S("a: 99999999999999999999999999999999999\nb: -0\nc: 1e99999\nd: -.inf\ne: .nan\nf: 0x7fffffffffffffff\ng: 0o777\n"),
		S("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: x}\nspec: {ports: [{port: 99999999999999999999}, {port: -1}, {port: 1e3}, {port: .nan}, {port: \"80\"}]}\n"),
		S("apiVersion: 1\nkind: 2\nmetadata: {name: 3}\n"),
		S("apiVersion: [v1]\nkind: {a: b}\nmetadata: {name: [x]}\n"),
		S("apiVersion: v1\nkind: List\nitems: {a: b}\n"),
		S("apiVersion: v1\nkind: List\nitems: [1, [2], null, {kind: List, items: [{kind: List}]}]\n"),
		S("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: [{apiVersion: v1, kind: Namespace, metadata: {name: nested}}]\n"),
		S("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: \"\", namespace: \"\"}\n"),
		S("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: \"a/b\\u0000c\", namespace: \"../..\"}\nspec: {}\n"),
		S("\0\0\0\0"),
		S("a: \"\0\"\n"),
		S(""),
		S("\n\n\n"),
		S("# only a comment"),
		S("null"),
		S("~\n---\n~\n"),
		S("- []\n- {}\n"),
		{ NULL, 0 },
	};
	char what[64];
	for (size_t i = 0; odd[i].data; i++) {
		snprintf(what, sizeof what, "odd input %zu", i);
		for (int from = 0; from < 2; from++)
			try_text(what, odd[i].data, odd[i].len, (egw_from)from);
	}
	/* NULs in the middle of a valid buffer */
	static const char nul[] = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n\0---\nb: 1\n";
	try_text("NUL inside", nul, sizeof nul - 1, EGW_FROM_GATEWAY_API);
	/* bad configurations */
	static const char *const configs[] = {
		"", "[]", "x", "kind: EnvoyProxy\n", "kind: [EnvoyGateway]\n", "{{{{",
		"kind: EnvoyGateway\ngateway: 12\nprovider: [1]\nextensionApis: x\n",
		"kind: EnvoyGateway\nruntimeFlags: {enabled: {a: b}}\n",
		"kind: EnvoyGateway\nruntimeFlags: {enabled: [1, [2], {a: 3}, null]}\n",
		"kind: EnvoyGateway\nextensionManager: {resources: [1, {group: [x]}]}\n",
		"kind: EnvoyGateway\nrateLimit: {backend: {type: Redis, redis: 12}}\n",
		"a: 1\n---\nb: 2\n", NULL,
	};
	static const char manifest[] =
		"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
		"spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n";
	for (size_t i = 0; configs[i]; i++) {
		egw_input in = rel_input("m.yaml", manifest, sizeof manifest - 1);
		snprintf(what, sizeof what, "bad config %zu", i);
		try_input(what, &in, 1, EGW_FROM_GATEWAY_API, configs[i], NULL);
	}
}

/* ---- mistyped fields ---- */

typedef struct step {
	const char *key; /* NULL: array index */
	size_t idx;
} step;

typedef struct fpath {
	step s[48];
	int n;
} fpath;

typedef struct paths {
	fpath *v;
	size_t n, cap;
} paths;

static void collect(json_t *j, fpath *cur, paths *out)
{
	if (cur->n >= 48)
		return;
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) {
			cur->s[cur->n].key = k;
			cur->n++;
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 256;
				out->v = realloc(out->v, out->cap * sizeof *out->v);
				if (!out->v)
					abort();
			}
			out->v[out->n++] = *cur;
			collect(v, cur, out);
			cur->n--;
		}
	} else if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++) {
			cur->s[cur->n].key = NULL;
			cur->s[cur->n].idx = i;
			cur->n++;
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 256;
				out->v = realloc(out->v, out->cap * sizeof *out->v);
				if (!out->v)
					abort();
			}
			out->v[out->n++] = *cur;
			collect(json_array_get(j, i), cur, out);
			cur->n--;
		}
	}
}

static void path_text(const fpath *p, char *buf, size_t cap)
{
	size_t k = 0;
	buf[0] = 0;
	for (int i = 0; i < p->n && k + 1 < cap; i++) {
		int w = p->s[i].key ? snprintf(buf + k, cap - k, ".%s", p->s[i].key)
				    : snprintf(buf + k, cap - k, "[%zu]", p->s[i].idx);
		if (w < 0)
			break;
		k += (size_t)w;
	}
}

/* Replacement number m for a value; NULL means "delete the field". */
static json_t *replacement(int m)
{
	switch (m) {
	case 0: return json_string("x");
	case 1: return json_string("");
	case 2: return json_integer(-1);
	case 3: return json_integer(0);
	case 4: return json_integer(9223372036854775807LL);
	case 5: return json_real(1e308);
	case 6: return json_true();
	case 7: return json_null();
	case 8: return json_array();
	case 9: return json_object();
	case 10: return json_pack("[{s:s}]", "x", "y");
	case 11: return json_pack("{s:[i]}", "x", 1);
	case 12: {
		char *s = malloc(10001);
		if (!s)
			abort();
		memset(s, 'a', 10000);
		s[10000] = 0;
		json_t *j = json_string(s);
		free(s);
		return j;
	}
	case 13: return json_stringn("a\0b\n\t\"\\\x7f", 9);
	case 14: return json_string("12");
	default: return NULL;
	}
}
#define N_REPLACEMENTS 16

static void mistyped(const char *name, const char *json_text, egw_from from)
{
	json_error_t err;
	json_t *root = json_loads(json_text, 0, &err);
	CHECKF(root != NULL, "%s: %s", name, err.text);
	if (!root)
		return;
	paths ps = { 0 };
	fpath cur = { .n = 0 };
	collect(root, &cur, &ps);
	size_t silent = 0, total = 0;
	char what[512], ptxt[400];
	/* without mutation, for comparison */
	rel_buf base = { 0 };
	{
		egw_input in = rel_input(name, json_text, strlen(json_text));
		try_input(name, &in, 1, from, NULL, &base);
	}
	size_t stride = scale >= 1 ? 1 : (size_t)(1 / scale);
	for (size_t i = 0; i < ps.n; i += stride) {
		for (int m = 0; m < N_REPLACEMENTS; m++) {
			json_t *copy = json_deep_copy(root);
			json_t *parent = copy;
			const fpath *p = &ps.v[i];
			for (int k = 0; k + 1 < p->n; k++)
				parent = p->s[k].key ? json_object_get(parent, p->s[k].key)
						     : json_array_get(parent, p->s[k].idx);
			const step *last = &p->s[p->n - 1];
			json_t *rep = replacement(m);
			if (last->key) {
				if (rep)
					json_object_set_new(parent, last->key, rep);
				else
					json_object_del(parent, last->key);
			} else {
				if (rep)
					json_array_set_new(parent, last->idx, rep);
				else
					json_array_remove(parent, last->idx);
			}
			char *text = json_dumps(copy, JSON_COMPACT | JSON_ENSURE_ASCII);
			json_decref(copy);
			if (!text)
				continue;
			path_text(p, ptxt, sizeof ptxt);
			snprintf(what, sizeof what, "%s: %s replaced by #%d", name, ptxt, m);
			egw_input in = rel_input(name, text, strlen(text));
			rel_buf out = { 0 };
			size_t before = n_with_diag;
			try_input(what, &in, 1, from, NULL, &out);
			total++;
			if (n_with_diag == before && out.len == base.len && !memcmp(out.data, base.data, out.len))
				silent++;
			rel_buf_free(&out);
			free(text);
		}
	}
	printf("%s: %zu field paths, %zu mistyped inputs, %zu changed nothing (no diagnostic, same output)\n",
	       name, ps.n, total, silent);
	rel_buf_free(&base);
	free(ps.v);
	json_decref(root);
}

/* ---- the good part survives ---- */

static void good_part(const char *gateway, size_t len)
{
	rel_buf base = { 0 };
	egw_input in = rel_input("gateway.yaml", gateway, len);
	CHECK(try_input("good part baseline", &in, 1, EGW_FROM_GATEWAY_API, NULL, &base) == EGW_OK);
	static const char *const garbage[] = {
		"key: [unclosed\n",
		"just a scalar\n",
		"- a\n- list\n",
		"apiVersion: v1\nkind: Service\n",
		"apiVersion: v1\nkind: Service\nmetadata: 12\n",
		"apiVersion: example.com/v1\nkind: Unknown\nmetadata: {name: x}\n",
		"a: b\n\tc: d\n",
		"\"unterminated\n",
		"a: *nowhere\n",
		"{{{{{\n",
		"a: 1\n a: 2\n",
		"a: \xff\xfe\n",
		"? [complex, key]\n: v\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: broken, namespace: shop}\nspec: 7\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: broken, namespace: shop}\nspec: {parentRefs: 7, rules: [{backendRefs: {name: x}}]}\n",
		NULL,
	};
	/* document boundaries of gateway.yaml */
	size_t cuts[32], ncuts = 0;
	cuts[ncuts++] = 0;
	for (size_t i = 0; i + 4 <= len && ncuts < 31; i++)
		if ((i == 0 || gateway[i - 1] == '\n') && !memcmp(gateway + i, "---\n", 4))
			cuts[ncuts++] = i;
	cuts[ncuts++] = len;
	char what[128];
	for (size_t g = 0; garbage[g]; g++) {
		for (size_t c = 0; c < ncuts; c++) {
			rel_buf doc = { 0 };
			rel_put(&doc, gateway, cuts[c]);
			if (cuts[c] && doc.data[doc.len - 1] != '\n')
				rel_puts(&doc, "\n");
			rel_puts(&doc, "---\n");
			rel_puts(&doc, garbage[g]);
			if (cuts[c] < len) {
				if (memcmp(gateway + cuts[c], "---\n", 4))
					rel_puts(&doc, "---\n");
				rel_put(&doc, gateway + cuts[c], len - cuts[c]);
			}
			in = rel_input("gateway.yaml", doc.data, doc.len);
			rel_buf out = { 0 };
			snprintf(what, sizeof what, "garbage document %zu at document %zu", g, c);
			try_input(what, &in, 1, EGW_FROM_GATEWAY_API, NULL, &out);
			CHECKF(out.len == base.len && !memcmp(out.data, base.data, out.len),
			       "%s changes the translation of the good documents", what);
			rel_buf_free(&out);
			rel_buf_free(&doc);
		}
		/* the garbage as a buffer of its own, between two halves */
		egw_input two[3] = { rel_input("a.yaml", gateway, cuts[ncuts / 2]),
				     rel_input("garbage.yaml", garbage[g], strlen(garbage[g])),
				     rel_input("b.yaml", gateway + cuts[ncuts / 2], len - cuts[ncuts / 2]) };
		rel_buf out = { 0 };
		snprintf(what, sizeof what, "garbage buffer %zu", g);
		try_input(what, two, 3, EGW_FROM_GATEWAY_API, NULL, &out);
		CHECKF(out.len == base.len && !memcmp(out.data, base.data, out.len),
		       "%s changes the translation of the good buffers", what);
		rel_buf_free(&out);
	}
	/* random binary buffers between the good ones */
	for (size_t i = 0; i < scaled(50); i++) {
		size_t l = rndn(512);
		char *p = malloc(l ? l : 1);
		if (!p)
			abort();
		for (size_t k = 0; k < l; k++)
			p[k] = (char)rnd();
		egw_input two[3] = { rel_input("a.yaml", gateway, cuts[1]),
				     rel_input("random.bin", p, l),
				     rel_input("b.yaml", gateway + cuts[1], len - cuts[1]) };
		rel_buf out = { 0 };
		snprintf(what, sizeof what, "random buffer %zu", i);
		int rc = try_input(what, two, 3, EGW_FROM_GATEWAY_API, NULL, &out);
		if (rc == EGW_OK)
			CHECKF(out.len == base.len && !memcmp(out.data, base.data, out.len),
			       "%s changes the translation of the good buffers", what);
		rel_buf_free(&out);
		free(p);
	}
	rel_buf_free(&base);
}

static char *join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%s", dir, file);
	return p;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR [--scale S]\n", argv[0]);
		return 2;
	}
	for (int i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--scale") && atof(argv[i + 1]) > 0)
			scale = atof(argv[i + 1]);
	const char *env = getenv("EGW_BATTERY_SCALE"); /* wins over --scale */
	if (env && atof(env) > 0)
		scale = atof(env);
	env = getenv("EGW_BATTERY_CASE_TIMEOUT"); /* seconds per case; valgrind needs more */
	if (env && atoi(env) > 0)
		case_timeout = (unsigned)atoi(env);
	if (scale < 0.2)
		shape_n = 10000; /* valgrind: the shapes still exceed every limit */
	env = getenv("EGW_BATTERY_FORK");
	if (env && !strcmp(env, "0"))
		fork_cases = false;
	double t0 = rel_now();
	const char *files[] = { "gateway.yaml", "policies.yaml", "list.json", "policies.json" };
	char *text[4];
	size_t len[4];
	for (int i = 0; i < 4; i++) {
		char *p = join(argv[1], files[i]);
		text[i] = rel_read_file(p, &len[i]);
		free(p);
	}
	/* an IR document, as JSON and YAML, from the policies */
	char *ir_json = NULL, *ir_yaml = NULL;
	{
		egw_input in = rel_input("policies.yaml", text[1], len[1]);
		egw_result *r = NULL;
		egw_str s;
		if (egw_translate(&r, &in, 1, NULL) == 0 && egw_result_fleet(r, 0)) {
			if (egw_fleet_render_xds_ir(egw_result_fleet(r, 0), EGW_FORMAT_JSON, &s) == 0)
				ir_json = strdup(s.data);
			if (egw_fleet_render_xds_ir(egw_result_fleet(r, 0), EGW_FORMAT_YAML, &s) == 0)
				ir_yaml = strdup(s.data);
		}
		egw_result_free(r);
	}
	CHECK(ir_json && ir_yaml);

	for (int i = 0; i < 4; i++)
		truncations(files[i], text[i], len[i], EGW_FROM_GATEWAY_API);
	if (ir_yaml) {
		truncations("IR yaml", ir_yaml, strlen(ir_yaml), EGW_FROM_XDS_IR);
		truncations("IR json", ir_json, strlen(ir_json), EGW_FROM_XDS_IR);
	}
	printf("truncations: %zu runs, %.1f s\n", n_runs, rel_now() - t0);
	for (int i = 0; i < 4; i++)
		byte_mutations(files[i], text[i], len[i], EGW_FROM_GATEWAY_API);
	if (ir_yaml)
		byte_mutations("IR yaml", ir_yaml, strlen(ir_yaml), EGW_FROM_XDS_IR);
	random_inputs();
	printf("mutations and random: %zu runs, %.1f s\n", n_runs, rel_now() - t0);
	shapes();
	printf("shapes: %zu runs, %.1f s\n", n_runs, rel_now() - t0);
	mistyped("list.json", text[2], EGW_FROM_GATEWAY_API);
	mistyped("policies.json", text[3], EGW_FROM_GATEWAY_API);
	if (ir_json)
		mistyped("IR", ir_json, EGW_FROM_XDS_IR);
	printf("mistyped: %zu runs, %.1f s\n", n_runs, rel_now() - t0);
	good_part(text[0], len[0]);
	printf("malformed: %zu runs (%zu with diagnostics; rc OK %zu, ELIMIT %zu, EPARSE %zu, ECONFIG %zu), "
	       "slowest %.3f s (%s), %.1f s in all\n",
	       n_runs, n_with_diag, n_rc[0], n_rc[4], n_rc[5], n_rc[9], slowest, slowest_what,
	       rel_now() - t0);
	for (int i = 0; i < 4; i++)
		free(text[i]);
	free(ir_json);
	free(ir_yaml);
	return rel_done("malformed");
}
