/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Translations on several threads at once give the bytes one thread gives
 * (the library keeps no global state), and one result read and rendered by
 * several threads at once gives every thread the same bytes (egw.h: "an
 * egw_result may be read from many threads at once").  Each thread has its
 * own counting allocator, which also checks that nothing leaks under
 * concurrency.  Run under ThreadSanitizer or helgrind to look for races:
 *   valgrind --tool=helgrind build/tests/reliability/test_threads DATA_DIR
 *
 * Usage: test_threads DATA_DIR [threads] [iterations]
 */
#include <pthread.h>

#include "harness.h"

typedef struct job {
	const char *name;
	egw_from from;
	egw_input in[2];
	size_t n;
	const char *config;
	rel_buf baseline;
} job;

static job jobs[4];
static size_t n_jobs;
static int iterations = 6;
static pthread_barrier_t start;

static int translate_render(const job *j, const egw_allocator *al, rel_buf *out)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = al;
	o.from = j->from;
	if (j->config) {
		o.config.data = j->config;
		o.config.len = strlen(j->config);
	}
	egw_result *r = NULL;
	int rc = egw_translate(&r, j->in, j->n, &o);
	rel_printf(out, "rc %d\n", rc);
	if (r)
		rel_render_all(r, out);
	egw_result_free(r);
	return rc;
}

typedef struct worker {
	pthread_t t;
	int id;
	size_t mismatches, leaks, runs;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	rel_counter c = { 0 };
	egw_allocator al = rel_counting_allocator(&c);
	pthread_barrier_wait(&start);
	for (int it = 0; it < iterations; it++) {
		/* each thread walks the jobs in its own order */
		const job *j = &jobs[(size_t)(it + w->id) % n_jobs];
		rel_buf out = { 0 };
		translate_render(j, &al, &out);
		w->runs++;
		if (out.len != j->baseline.len || memcmp(out.data, j->baseline.data, out.len) != 0)
			w->mismatches++;
		rel_buf_free(&out);
	}
	if (c.allocs != c.frees)
		w->leaks = c.allocs - c.frees;
	return NULL;
}

/* Several threads render one shared result at once. */
typedef struct reader {
	pthread_t t;
	const egw_result *r;
	rel_buf out;
	int rc;
} reader;

static void *read_shared(void *arg)
{
	reader *rd = arg;
	pthread_barrier_wait(&start);
	for (int it = 0; it < 3; it++) {
		rel_buf_free(&rd->out);
		rd->rc = rel_render_all(rd->r, &rd->out);
	}
	return NULL;
}

/* Many threads translate one egw_documents at once. */
static const egw_documents *shared_docs;

typedef struct doc_worker {
	pthread_t t;
	egw_result *r;
	int rc;
} doc_worker;

static void *translate_shared(void *arg)
{
	doc_worker *w = arg;
	pthread_barrier_wait(&start);
	w->rc = egw_translate_documents(&w->r, shared_docs, NULL);
	return NULL;
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
		fprintf(stderr, "usage: %s DATA_DIR [threads] [iterations]\n", argv[0]);
		return 2;
	}
	int nthreads = argc > 2 ? atoi(argv[2]) : 4;
	if (argc > 3)
		iterations = atoi(argv[3]);
	if (nthreads < 2)
		nthreads = 2;
	char *paths[3] = { join(argv[1], "gateway.yaml"), join(argv[1], "policies.yaml"),
			   join(argv[1], "list.json") };
	size_t lens[3];
	char *data[3];
	for (int i = 0; i < 3; i++)
		data[i] = rel_read_file(paths[i], &lens[i]);

	jobs[0].name = "gateway.yaml";
	jobs[0].in[0] = rel_input("gateway.yaml", data[0], lens[0]);
	jobs[0].n = 1;
	jobs[1].name = "policies.yaml + list.json";
	jobs[1].in[0] = rel_input("policies.yaml", data[1], lens[1]);
	jobs[1].in[1] = rel_input("list.json", data[2], lens[2]);
	jobs[1].n = 2;
	jobs[1].config = "kind: EnvoyGateway\nextensionApis: {enableBackend: true}\n";
	n_jobs = 2;

	/* an IR job from the first job's IR */
	char *ir = NULL;
	{
		egw_result *r = NULL;
		egw_str s;
		if (egw_translate(&r, jobs[0].in, 1, NULL) == 0 && egw_result_fleet(r, 0) &&
		    egw_fleet_render_xds_ir(egw_result_fleet(r, 0), EGW_FORMAT_YAML, &s) == 0) {
			ir = malloc(s.len + 1);
			if (ir)
				memcpy(ir, s.data, s.len + 1);
		}
		egw_result_free(r);
	}
	if (ir) {
		jobs[2].name = "xds IR";
		jobs[2].from = EGW_FROM_XDS_IR;
		jobs[2].in[0] = rel_input("ir.yaml", ir, strlen(ir));
		jobs[2].n = 1;
		n_jobs = 3;
	}
	for (size_t i = 0; i < n_jobs; i++) {
		int rc = translate_render(&jobs[i], NULL, &jobs[i].baseline);
		CHECKF(rc == 0, "%s: rc %d", jobs[i].name, rc);
		/* and a second single-threaded run is identical (determinism) */
		rel_buf again = { 0 };
		translate_render(&jobs[i], NULL, &again);
		CHECKF(again.len == jobs[i].baseline.len &&
			       !memcmp(again.data, jobs[i].baseline.data, again.len),
		       "%s: two runs on one thread differ", jobs[i].name);
		rel_buf_free(&again);
	}

	double t0 = rel_now();
	worker *ws = calloc((size_t)nthreads, sizeof *ws);
	if (!ws)
		abort();
	pthread_barrier_init(&start, NULL, (unsigned)nthreads);
	for (int i = 0; i < nthreads; i++) {
		ws[i].id = i;
		CHECK(pthread_create(&ws[i].t, NULL, work, &ws[i]) == 0);
	}
	size_t runs = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i].t, NULL);
		CHECKF(ws[i].mismatches == 0, "thread %d: %zu of %zu outputs differ from one thread's", i,
		       ws[i].mismatches, ws[i].runs);
		CHECKF(ws[i].leaks == 0, "thread %d: %zu allocations not freed", i, ws[i].leaks);
		runs += ws[i].runs;
	}
	pthread_barrier_destroy(&start);
	printf("threads: %d threads, %zu translations in %.2f s\n", nthreads, runs, rel_now() - t0);

	/* one result, many readers */
	egw_result *shared = NULL;
	CHECK(egw_translate(&shared, jobs[1].in, jobs[1].n, NULL) == 0);
	if (shared) {
		reader *rs = calloc((size_t)nthreads, sizeof *rs);
		if (!rs)
			abort();
		pthread_barrier_init(&start, NULL, (unsigned)nthreads);
		for (int i = 0; i < nthreads; i++) {
			rs[i].r = shared;
			CHECK(pthread_create(&rs[i].t, NULL, read_shared, &rs[i]) == 0);
		}
		for (int i = 0; i < nthreads; i++) {
			pthread_join(rs[i].t, NULL);
			CHECKF(rs[i].rc == 0, "reader %d: render rc %d", i, rs[i].rc);
			CHECKF(rs[i].out.len == rs[0].out.len &&
				       !memcmp(rs[i].out.data, rs[0].out.data, rs[0].out.len),
			       "reader %d saw different bytes", i);
		}
		for (int i = 0; i < nthreads; i++)
			rel_buf_free(&rs[i].out);
		pthread_barrier_destroy(&start);
		free(rs);
		egw_result_free(shared);
	}

	/* one egw_documents, translated by many threads at once, freed before
	 * the results are read */
	{
		egw_documents *docs = NULL;
		CHECK(egw_parse(&docs, jobs[0].in, jobs[0].n, NULL) == 0);
		shared_docs = docs;
		pthread_barrier_init(&start, NULL, (unsigned)nthreads);
		doc_worker *dw = calloc((size_t)nthreads, sizeof *dw);
		if (!dw)
			abort();
		for (int i = 0; i < nthreads; i++)
			CHECK(pthread_create(&dw[i].t, NULL, translate_shared, &dw[i]) == 0);
		for (int i = 0; i < nthreads; i++)
			pthread_join(dw[i].t, NULL);
		egw_documents_free(docs);
		for (int i = 0; i < nthreads; i++) {
			rel_buf out = { 0 };
			rel_printf(&out, "rc %d\n", dw[i].rc);
			if (dw[i].r)
				rel_render_all(dw[i].r, &out);
			CHECKF(out.len == jobs[0].baseline.len &&
				       !memcmp(out.data, jobs[0].baseline.data, out.len),
			       "thread %d: egw_translate_documents differs from egw_translate", i);
			rel_buf_free(&out);
			egw_result_free(dw[i].r);
		}
		pthread_barrier_destroy(&start);
		free(dw);
	}

	free(ws);
	for (size_t i = 0; i < n_jobs; i++)
		rel_buf_free(&jobs[i].baseline);
	for (int i = 0; i < 3; i++) {
		free(data[i]);
		free(paths[i]);
	}
	free(ir);
	return rel_done("threads");
}
