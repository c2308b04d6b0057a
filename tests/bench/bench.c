/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The benchmark: for one workload file, the time of each stage (parse,
 * translate, serialize) and of the whole public call, the time libyaml alone
 * takes to scan the same bytes (the yardstick: results are reported as
 * ratios to it, which survive a noisy machine), peak RSS, allocations, arena
 * bytes and output bytes.  Prints one JSON object.
 *
 * The timed calls use the default allocator, as a host that passes none
 * gets it (arenas take huge-page blocks once large); the heap figures come
 * from the same calls made once more, untimed, through a counting
 * allocator (which gets ordinary blocks: the library never bypasses a
 * host's allocator).
 *
 * usage: egw-bench FILE [--repeat N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <yaml.h>

#include "../unit/slurp.h"
#include "egw/egw.h"
#include "emit/pb.h"
#include "ir/ir.h"
#include "model/missing.h"
#include "model/resources.h"
#include "parse/parse.h"
#include "util/ctx.h"
#include "xds/xds.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* libyaml's scanner over the whole input: the floor any YAML consumer pays. */
static size_t yaml_scan(const char *data, size_t len)
{
	yaml_parser_t p;
	yaml_token_t t;
	size_t tokens = 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	for (;;) {
		if (!yaml_parser_scan(&p, &t))
			break;
		int end = t.type == YAML_STREAM_END_TOKEN;
		yaml_token_delete(&t);
		tokens++;
		if (end)
			break;
	}
	yaml_parser_delete(&p);
	return tokens;
}

/* The host allocator egw_translate gets: counts calls and bytes, and the
 * most bytes held at once (the library's peak heap; each block carries its
 * size in a header so frees can be subtracted). */
typedef struct counts {
	size_t allocs, frees, bytes, live, peak;
} counts;

#define COUNT_HDR 16 /* keeps the block 16-aligned */

static void *count_malloc(size_t n, void *ud)
{
	counts *c = ud;
	unsigned char *p = malloc(n + COUNT_HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof n);
	c->allocs++;
	c->bytes += n;
	c->live += n;
	if (c->live > c->peak)
		c->peak = c->live;
	return p + COUNT_HDR;
}

static void count_free(void *p, void *ud)
{
	counts *c = ud;
	if (!p)
		return;
	unsigned char *b = (unsigned char *)p - COUNT_HDR;
	size_t n;
	memcpy(&n, b, sizeof n);
	c->frees++;
	c->live -= n;
	free(b);
}

static void ctx_init(egw_ctx *c, egw_arena *a, egw_options *o)
{
	memset(c, 0, sizeof *c);
	c->arena = a;
	c->opts = o;
	c->limits.max_input_bytes = (size_t)1 << 32;
	c->limits.max_documents = (size_t)1 << 30;
	c->limits.max_depth = 64;
	c->limits.max_string_bytes = (size_t)1 << 26;
	c->limits.max_alias_nodes = 100000;
	c->limits.max_objects_per_kind = (size_t)1 << 30;
	c->controller_ns = "envoy-gateway-system";
	c->ratelimit_ns = c->controller_ns;
	c->dns_domain = "cluster.local";
	static const char *noflags[] = { NULL };
	c->runtime_flags = noflags;
	c->now_unix = 0; /* no clock: certificates are not checked against a date */
}

typedef struct stage_times {
	double parse, model, ir, xds, serialize;
	size_t mem_parse, mem_model, mem_ir, mem_xds, mem_serialize; /* arena bytes after each */
	size_t fleets, resources, out_bytes, arena_bytes, statuses;
} stage_times;

static egw_node *config_node(egw_ctx *c)
{
	egw_node *cfg = egw_obj(c->arena);
	egw_node *gw = egw_set_obj(c->arena, cfg, "gateway");
	egw_set_str(c->arena, gw, "controllerName", "gateway.envoyproxy.io/gatewayclass-controller");
	return cfg;
}

/* The stages one by one, so each gets its own time. */
static void run_stages(const char *data, size_t len, stage_times *st)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	egw_arena *a = egw_arena_new(NULL);
	egw_ctx c;
	ctx_init(&c, a, &o);
	double t0 = now();
	egw_node *docs = egw_arr(a);
	egw_parse_buffer(&c, 0, data, len, docs);
	egw_freeze(docs); /* as egw_parse leaves them: translations read them in place */
	double t1 = now();
	st->mem_parse = egw_arena_used(a);
	egw_resources rs;
	egw_resources_build(&c, &rs, docs, config_node(&c));
	egw_resources_complete(&c, &rs, false); /* as egw_translate does */
	double t3 = now();
	st->mem_model = egw_arena_used(a);
	egw_ir_out ir = { NULL, NULL };
	egw_ir_translate(&c, &rs, &ir);
	double t4 = now();
	st->mem_ir = egw_arena_used(a);
	/* as egw_translate does: each fleet's xDS trees in a child arena,
	 * serialized into the main one, then released (its huge blocks go
	 * back to the main arena for the next fleet) */
	size_t nf = 0, nres = 0, out = 0, xds_bytes = 0;
	double t_xds = 0, t_ser = 0;
	egw_member *m;
	EGW_OBJ_EACH(ir.xds_ir, i, m)
	{
		egw_child *xch = egw_arena_child(a);
		egw_arena *xa = xch->a;
		egw_ctx xc = egw_ctx_in_arena(&c, xa);
		egw_xds_out xo;
		memset(&xo, 0, sizeof xo);
		double s0 = now();
		egw_xds_translate(&xc, m->val, &xo);
		double s1 = now();
		xds_bytes += egw_arena_used(xa);
		egw_pb_run_begin(&c); /* as egw_translate: one run per fleet */
		for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++) {
			egw_node *r;
			EGW_ARR_EACH(xo.res[t], k, r)
			{
				uint8_t *b;
				size_t bl;
				const char *err;
				if (egw_pb_encode(&c, egw_xds_type_msg[t], r, &b, &bl, &err) == 0)
					out += bl;
				nres++;
			}
		}
		egw_pb_run_end(&c);
		t_xds += s1 - s0;
		t_ser += now() - s1;
		egw_child_free(xch);
		nf++;
	}
	double t5 = t4 + t_xds, t6 = t5 + t_ser;
	st->mem_xds = st->mem_ir + xds_bytes;
	st->mem_serialize = st->mem_xds + (egw_arena_used(a) - st->mem_ir);
	size_t statuses = 0;
	for (int k = 0; k < EGW_K__COUNT; k++)
		for (size_t i = 0; i < rs.n[k]; i++)
			statuses += rs.items[k][i]->status != NULL;
	st->parse = t1 - t0;
	st->model = t3 - t1;
	st->ir = t4 - t3;
	st->xds = t5 - t4;
	st->serialize = t6 - t5;
	st->fleets = nf;
	st->resources = nres;
	st->out_bytes = out;
	st->arena_bytes = egw_arena_reserved(a);
	st->statuses = statuses;
	egw_arena_free(a);
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The fastest repeat: on a shared machine, noise only ever adds time, so
 * the minimum is the steadiest estimate of the work itself. */
static double fastest(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: egw-bench FILE [--repeat N]\n");
		return 2;
	}
	int repeat = 5;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
	if (repeat < 1)
		repeat = 1;
	size_t len;
	char *data = test_slurp(argv[1], &len);
	if (!data) {
		perror(argv[1]);
		return 1;
	}
	double *scan = calloc((size_t)repeat, sizeof(double));
	double *total = calloc((size_t)repeat, sizeof(double));
	double *retr = calloc((size_t)repeat, sizeof(double));
	double *sp = calloc((size_t)repeat * 5, sizeof(double));
	size_t tokens = 0;
	stage_times st = { 0 };
	counts cnt = { 0, 0, 0, 0, 0 };
	size_t diags = 0, retr_peak = 0;
	for (int r = 0; r < repeat; r++) {
		double t0 = now();
		tokens = yaml_scan(data, len);
		scan[r] = now() - t0;

		run_stages(data, len, &st);
		sp[0 * repeat + r] = st.parse;
		sp[1 * repeat + r] = st.model;
		sp[2 * repeat + r] = st.ir;
		sp[3 * repeat + r] = st.xds;
		sp[4 * repeat + r] = st.serialize;

		/* timed with the default allocator, as a host calls it; the
		 * first repeat also translates once more through a counting
		 * allocator (untimed) for the heap figures */
		egw_options o;
		egw_options_init(&o, EGW_OPTIONS_VERSION);
		o.limits.max_input_bytes = (size_t)1 << 32; /* the 100,000-route input is 80 MiB */
		o.limits.max_documents = (size_t)1 << 30;
		egw_input in = { { argv[1], strlen(argv[1]) }, { data, len } };
		egw_result *res = NULL;
		t0 = now();
		int rc = egw_translate(&res, &in, 1, &o);
		total[r] = now() - t0;
		if (rc < 0) {
			fprintf(stderr, "egw_translate: %s\n", egw_strerror(rc));
			return 1;
		}
		diags = egw_result_diagnostic_count(res);
		egw_result_free(res);
		if (r == 0) {
			counts c = { 0, 0, 0, 0, 0 };
			egw_allocator al = { count_malloc, count_free, &c };
			egw_options oc = o;
			oc.allocator = &al;
			if (egw_translate(&res, &in, 1, &oc) >= 0)
				egw_result_free(res);
			cnt = c;
		}

		/* the host's path on every change: parse once, translate again.
		 * The timed translation is the second from these documents: a
		 * host's steady state, where the documents kept the huge blocks
		 * of the result freed before it (see egw_parse) */
		egw_documents *docs = NULL;
		if (egw_parse(&docs, &in, 1, &o) == 0) {
			if (r == 0) {
				/* the translation's own memory: the documents are the
				 * host's.  Counted first, before the documents keep a
				 * freed result's blocks (peak RSS would add those to
				 * this call's, which a host never does) */
				counts rc2 = { 0, 0, 0, 0, 0 };
				egw_allocator al2 = { count_malloc, count_free, &rc2 };
				egw_options o2 = o;
				o2.allocator = &al2;
				if (egw_translate_documents(&res, docs, &o2) >= 0)
					egw_result_free(res);
				retr_peak = rc2.peak;
			}
			if (egw_translate_documents(&res, docs, &o) >= 0)
				egw_result_free(res);
			t0 = now();
			if (egw_translate_documents(&res, docs, &o) >= 0)
				egw_result_free(res);
			retr[r] = now() - t0;
			egw_documents_free(docs);
		}
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double f_scan = fastest(scan, repeat), f_total = fastest(total, repeat);
	double m_scan = median(scan, repeat), m_total = median(total, repeat);
	double m_retr = median(retr, repeat);
	double m[5];
	for (int k = 0; k < 5; k++)
		m[k] = median(sp + k * repeat, repeat);
	double translate = m[1] + m[2] + m[3];
	printf("{\"file\": \"%s\", \"input_bytes\": %zu, \"yaml_tokens\": %zu, \"repeat\": %d,\n"
	       " \"seconds\": {\"yaml_scan\": %.6f, \"parse\": %.6f, \"model\": %.6f, \"ir\": %.6f, "
	       "\"xds\": %.6f, \"serialize\": %.6f, \"translate\": %.6f, \"total\": %.6f, \"retranslate\": %.6f},\n"
	       " \"fastest_seconds\": {\"yaml_scan\": %.6f, \"total\": %.6f},\n"
	       " \"ratio_to_scan\": {\"parse\": %.3f, \"translate\": %.3f, \"serialize\": %.3f, \"total\": %.3f, "
	       "\"retranslate\": %.3f},\n"
	       " \"peak_rss_bytes\": %ld, \"arena_bytes\": %zu, \"allocs\": %zu, \"alloc_bytes\": %zu, "
	       "\"leaked_allocs\": %zd, \"translate_peak_bytes\": %zu, \"retranslate_peak_bytes\": %zu,\n"
	       " \"fleets\": %zu, \"resources\": %zu, \"output_bytes\": %zu, \"statuses\": %zu, "
	       "\"diagnostics\": %zu,\n"
	       " \"arena_bytes_by_stage\": {\"parse\": %zu, \"model\": %zu, \"ir\": %zu, "
	       "\"xds\": %zu, \"serialize\": %zu}}\n",
	       argv[1], len, tokens, repeat, m_scan, m[0], m[1], m[2], m[3], m[4], translate,
	       m_total, m_retr, f_scan, f_total, m[0] / m_scan, translate / m_scan, m[4] / m_scan, m_total / m_scan,
	       m_retr / m_scan, ru.ru_maxrss * 1024L, st.arena_bytes, cnt.allocs,
	       cnt.bytes, (ssize_t)cnt.allocs - (ssize_t)cnt.frees, cnt.peak, retr_peak, st.fleets, st.resources,
	       st.out_bytes, st.statuses, diags, st.mem_parse,
	       st.mem_model - st.mem_parse, st.mem_ir - st.mem_model, st.mem_xds - st.mem_ir,
	       st.mem_serialize - st.mem_xds);
	free(scan);
	free(total);
	free(retr);
	free(sp);
	free(data);
	return 0;
}
