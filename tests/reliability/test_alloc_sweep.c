/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fail-the-Nth-allocation sweep (upb, jansson's test_chaos.c, nghttp2's
 * failmalloc): for representative inputs, a counting egw_allocator fails
 * allocation N for every N from 1 to the total a clean run makes
 * (translation, every rendering and the statuses' JSON; renderings at about 1,500 evenly spread
 * points when they make more allocations).  Each run must end in EGW_ENOMEM where
 * the failure hit (translation, or the one rendering), leave the result
 * usable when a rendering failed (the next renderings give the clean run's
 * bytes), and give back every byte: allocations == frees.
 *
 * libyaml's own mallocs do not go through egw_allocator; the arena's defer
 * list frees the parser after an OOM jump, and the ASan and valgrind runs of
 * this test (scripts/sanitize.sh) check that nothing of it leaks.
 *
 * egw_parse + egw_translate_documents get the same sweep (one case).
 *
 * Usage: test_alloc_sweep DATA_DIR [--stride N]   (N > 1 samples every Nth)
 */
#include "harness.h"

typedef struct input_case {
	const char *name;
	egw_from from;
	const char *config; /* may be NULL */
	egw_input in[3];
	size_t n;
	bool parse_first; /* egw_parse + egw_translate_documents, documents freed first */
} input_case;

/* The translation step of a case, under options o. */
static int translate_case(const input_case *ic, const egw_options *o, egw_result **r)
{
	if (!ic->parse_first)
		return egw_translate(r, ic->in, ic->n, o);
	egw_documents *d = NULL;
	int rc = egw_parse(&d, ic->in, ic->n, o);
	if (rc != EGW_OK)
		return rc;
	rc = egw_translate_documents(r, d, o);
	egw_documents_free(d);
	return rc;
}

/* A translation plus the renderings a host makes, under allocator `al`.
 * Records which step failed first.  Returns the rendered bytes in out. */
typedef struct sweep_run {
	int translate_rc;
	int render_rc[8]; /* per rendering step, 1 = not run */
	size_t steps;
} sweep_run;

static void run_case(const input_case *ic, const egw_allocator *al, sweep_run *sr, rel_buf *out)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = al;
	o.from = ic->from;
	if (ic->config) {
		o.config.data = ic->config;
		o.config.len = strlen(ic->config);
	}
	memset(sr, 0, sizeof *sr);
	egw_result *r = NULL;
	sr->translate_rc = translate_case(ic, &o, &r);
	if (!r)
		return;
	egw_str s;
	size_t k = 0;
	static const egw_format fmts[] = { EGW_FORMAT_JSON, EGW_FORMAT_YAML };
	for (size_t i = 0; i < 2; i++, k++) {
		sr->render_rc[k] = egw_result_render(
			r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0, fmts[i], &s);
		if (sr->render_rc[k] == 0)
			rel_put(out, s.data, s.len);
	}
	const egw_fleet *f = egw_result_fleet(r, 0);
	if (f) {
		sr->render_rc[k] = egw_fleet_render_xds(f, 0, EGW_FORMAT_YAML, &s);
		if (sr->render_rc[k++] == 0)
			rel_put(out, s.data, s.len);
		sr->render_rc[k] = egw_fleet_render_xds_ir(f, EGW_FORMAT_JSON, &s);
		if (sr->render_rc[k++] == 0)
			rel_put(out, s.data, s.len);
		sr->render_rc[k] = egw_fleet_render_ratelimit(f, EGW_FORMAT_YAML, &s);
		if (sr->render_rc[k++] == 0)
			rel_put(out, s.data, s.len);
	}
	/* a status's JSON is rendered when first asked for: the statuses
	 * are one more step that may fail (at most one of them, as only one
	 * allocation fails) */
	int status_rc = 0;
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_status st;
		int rc = egw_result_status(r, i, &st);
		if (rc == 0)
			rel_put(out, st.status_json.data, st.status_json.len);
		else if (status_rc == 0)
			status_rc = rc;
	}
	sr->render_rc[k++] = status_rc;
	sr->steps = k;
	/* the diagnostics' views cost no allocation and are part of the output */
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		if (egw_result_diagnostic(r, i, &d) == 0)
			rel_put(out, d.message.data, d.message.len);
	}
	egw_result_free(r);
}

static void sweep(const input_case *ic, size_t stride)
{
	rel_counter clean = { 0 };
	egw_allocator al = rel_counting_allocator(&clean);
	sweep_run base;
	rel_buf base_out = { 0 };
	run_case(ic, &al, &base, &base_out);
	CHECKF(clean.allocs == clean.frees, "%s: clean run leaks %zu allocations", ic->name,
	       clean.allocs - clean.frees);
	CHECKF(base.translate_rc != EGW_ENOMEM, "%s: clean run says ENOMEM", ic->name);
	for (size_t i = 0; i < base.steps; i++)
		CHECKF(base.render_rc[i] == 0, "%s: clean rendering %zu gives %d", ic->name, i,
		       base.render_rc[i]);
	/* how many allocations the translation alone makes */
	rel_counter tc = { 0 };
	egw_allocator tal = rel_counting_allocator(&tc);
	{
		egw_options o;
		egw_options_init(&o, EGW_OPTIONS_VERSION);
		o.allocator = &tal;
		o.from = ic->from;
		if (ic->config) {
			o.config.data = ic->config;
			o.config.len = strlen(ic->config);
		}
		egw_result *r = NULL;
		translate_case(ic, &o, &r);
		egw_result_free(r);
	}
	size_t total = clean.allocs, in_translate = tc.allocs;
	double t0 = rel_now();
	size_t runs = 0, bad = 0;
	/* every allocation of the translation fails once; the renderings
	 * (which decode each resource's protobuf into a tree, thousands of
	 * allocations in the debug pool) at about 1,500 evenly spread points */
	size_t render_step = (total - in_translate) / 1500 + 1;
	for (size_t n = 1; n <= total + 1;
	     n += (n < 200 || stride < 2) ? (n >= in_translate && n < total ? render_step : 1) : stride) {
		rel_counter c = { 0 };
		c.fail_at = n;
		egw_allocator fal = rel_counting_allocator(&c);
		sweep_run sr;
		rel_buf out = { 0 };
		run_case(ic, &fal, &sr, &out);
		runs++;
		int ok = 1;
		if (c.allocs != c.frees) {
			fprintf(stderr, "%s: failing allocation %zu: %zu allocations, %zu frees\n",
				ic->name, n, c.allocs, c.frees);
			ok = 0;
		}
		if (n <= in_translate) {
			if (sr.translate_rc != EGW_ENOMEM) {
				fprintf(stderr, "%s: failing allocation %zu (in translation): rc %d\n",
					ic->name, n, sr.translate_rc);
				ok = 0;
			}
		} else if (n <= total) {
			/* exactly one rendering failed, with EGW_ENOMEM; the others, run
			 * afterwards on the same result, still give the clean bytes */
			size_t failed = 0;
			for (size_t i = 0; i < sr.steps; i++) {
				if (sr.render_rc[i] == EGW_ENOMEM)
					failed++;
				else if (sr.render_rc[i] != 0)
					ok = 0;
			}
			if (sr.translate_rc != base.translate_rc || failed != 1) {
				fprintf(stderr, "%s: failing allocation %zu (in rendering): rc %d, %zu failed renderings\n",
					ic->name, n, sr.translate_rc, failed);
				ok = 0;
			}
		} else {
			/* past the total: nothing fails and the output is the clean one */
			if (sr.translate_rc != base.translate_rc || out.len != base_out.len ||
			    memcmp(out.data, base_out.data, out.len) != 0) {
				fprintf(stderr, "%s: allocation %zu is past the total but the run differs\n",
					ic->name, n);
				ok = 0;
			}
		}
		rel_checks++;
		if (!ok) {
			rel_failures++;
			if (++bad > 20) {
				fprintf(stderr, "%s: giving up after 20 failing points\n", ic->name);
				rel_buf_free(&out);
				break;
			}
		}
		rel_buf_free(&out);
	}
	printf("%s: %zu allocations (%zu in translation, peak %zu bytes), %zu runs in %.1f s\n",
	       ic->name, total, in_translate, clean.peak_bytes, runs, rel_now() - t0);
	rel_buf_free(&base_out);
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

/* The IR of the small manifest, as the library renders it: an IR input that
 * is valid for whatever the translator currently emits. */
static char *ir_of(const egw_input *in, size_t n)
{
	egw_result *r = NULL;
	if (egw_translate(&r, in, n, NULL) != 0 || !egw_result_fleet(r, 0)) {
		egw_result_free(r);
		return NULL;
	}
	egw_str s;
	char *out = NULL;
	if (egw_fleet_render_xds_ir(egw_result_fleet(r, 0), EGW_FORMAT_YAML, &s) == 0) {
		out = malloc(s.len + 1);
		if (out)
			memcpy(out, s.data, s.len + 1);
	}
	egw_result_free(r);
	return out;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR [--stride N]\n", argv[0]);
		return 2;
	}
	size_t stride = 1;
	for (int i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--stride"))
			stride = (size_t)strtoul(argv[i + 1], NULL, 10);
	const char *env = getenv("EGW_SWEEP_STRIDE");
	if (env)
		stride = (size_t)strtoul(env, NULL, 10);

	char *p1 = join(argv[1], "gateway.yaml"), *p2 = join(argv[1], "list.json");
	size_t l1, l2;
	char *gateway = rel_read_file(p1, &l1), *list = rel_read_file(p2, &l2);
	static const char broken[] =
		"apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x\n"
		"---\n"
		"- just\n- a list\n"
		"---\n"
		"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: 12\n"
		"---\n"
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
		"---\n"
		"key: \"unterminated\n";
	input_case cases[6];
	memset(cases, 0, sizeof cases);
	cases[0].name = "gateway.yaml";
	cases[0].in[0] = rel_input("gateway.yaml", gateway, l1);
	cases[0].n = 1;
	cases[1].name = "list.json";
	cases[1].in[0] = rel_input("list.json", list, l2);
	cases[1].n = 1;
	cases[2].name = "broken documents";
	cases[2].in[0] = rel_input("broken.yaml", broken, sizeof broken - 1);
	cases[2].in[1] = rel_input("gateway.yaml", gateway, l1);
	cases[2].n = 2;
	cases[2].config = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
			  "extensionApis: {enableBackend: true}\n";
	char *ir = ir_of(&cases[0].in[0], 1);
	CHECKF(ir != NULL, "no IR for gateway.yaml");
	size_t nc = 3;
	if (ir) {
		cases[3].name = "xds IR";
		cases[3].from = EGW_FROM_XDS_IR;
		cases[3].in[0] = rel_input("ir.yaml", ir, strlen(ir));
		cases[3].n = 1;
		nc = 4;
	}
	cases[nc].name = "gateway.yaml via egw_parse";
	cases[nc].in[0] = rel_input("gateway.yaml", gateway, l1);
	cases[nc].n = 1;
	cases[nc].parse_first = true;
	nc++;
	cases[nc].name = "bad configuration";
	cases[nc].config = "kind: EnvoyGateway\ngateway: [\n";
	cases[nc].in[0] = rel_input("gateway.yaml", gateway, l1);
	cases[nc].n = 1;
	nc++;
	for (size_t i = 0; i < nc; i++)
		sweep(&cases[i], stride);
	free(ir);
	free(gateway);
	free(list);
	free(p1);
	free(p2);
	return rel_done("alloc_sweep");
}
