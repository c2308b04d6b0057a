/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A few helpers shared by the reliability tests: CHECK that counts failures
 * instead of stopping (one run reports every broken case), file reading, a
 * counting allocator that can fail its Nth allocation, and diagnostics
 * lookups.  Tests use only the public API (egw/egw.h), so they test what a
 * host sees.  Header-only so each test stays one file.
 */
#ifndef EGW_TESTS_RELIABILITY_HARNESS_H
#define EGW_TESTS_RELIABILITY_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egw/egw.h"

static int rel_failures;
static int rel_checks;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		rel_checks++;                                                             \
		if (!(cond)) {                                                            \
			rel_failures++;                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                         \
	} while (0)

#define CHECKF(cond, ...)                                                                 \
	do {                                                                              \
		rel_checks++;                                                             \
		if (!(cond)) {                                                            \
			rel_failures++;                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                     \
			fputc('\n', stderr);                                              \
		}                                                                         \
	} while (0)

/* Ends a test binary: prints a summary, exit status 1 on any failure. */
static inline int rel_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, rel_checks, rel_failures);
	return rel_failures ? 1 : 0;
}

static inline double rel_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- growable byte buffer (malloc; tests only) ---- */

typedef struct rel_buf {
	char *data;
	size_t len, cap;
} rel_buf;

static inline void rel_put(rel_buf *b, const void *p, size_t n)
{
	if (n > SIZE_MAX / 4) /* also tells gcc's -Wstringop-overflow the range */
		abort();
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n + 1)
			nc *= 2;
		char *d = realloc(b->data, nc);
		if (!d) {
			fputs("out of memory in the test itself\n", stderr);
			abort();
		}
		b->data = d;
		b->cap = nc;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}

static inline void rel_puts(rel_buf *b, const char *s) { rel_put(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static inline void rel_printf(rel_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		rel_put(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rel_put(b, big, (size_t)n);
	free(big);
}

static inline void rel_buf_free(rel_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Reads a whole file (NUL-terminated); exits the test when it cannot. */
static inline char *rel_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	rel_buf b = { 0 };
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
		rel_put(&b, tmp, k);
	fclose(f);
	if (!b.data)
		rel_put(&b, "", 0);
	if (len)
		*len = b.len;
	return b.data;
}

static inline egw_str rel_str(const char *s)
{
	egw_str v = { s, s ? strlen(s) : 0 };
	return v;
}

static inline egw_input rel_input(const char *name, const char *data, size_t len)
{
	egw_input in;
	in.name = rel_str(name);
	in.data.data = data;
	in.data.len = len;
	return in;
}

/* ---- counting allocator ---- */

/* Counts allocations and frees; fails the fail_at-th allocation (1-based;
 * 0 = never).  Single-threaded use per instance (the thread test gives
 * each thread its own). */
typedef struct rel_counter {
	size_t allocs, frees, fail_at, failed;
	size_t live_bytes, peak_bytes;
} rel_counter;

typedef struct rel_hdr {
	size_t size;
	size_t pad; /* keep 16-byte alignment of the payload */
} rel_hdr;

static inline void *rel_count_malloc(size_t size, void *ud)
{
	rel_counter *c = ud;
	if (c->fail_at && c->allocs + c->failed + 1 == c->fail_at) {
		c->failed++;
		return NULL;
	}
	rel_hdr *h = malloc(sizeof(rel_hdr) + size);
	if (!h)
		return NULL;
	h->size = size;
	c->allocs++;
	c->live_bytes += size;
	if (c->live_bytes > c->peak_bytes)
		c->peak_bytes = c->live_bytes;
	return h + 1;
}

static inline void rel_count_free(void *p, void *ud)
{
	rel_counter *c = ud;
	if (!p)
		return;
	rel_hdr *h = (rel_hdr *)p - 1;
	c->frees++;
	c->live_bytes -= h->size;
	free(h);
}

static inline egw_allocator rel_counting_allocator(rel_counter *c)
{
	egw_allocator a = { rel_count_malloc, rel_count_free, c };
	return a;
}

/* ---- result inspection ---- */

/* True when the result has a diagnostic with `code` whose message contains
 * `needle` (NULL = any). */
static inline bool rel_has_diag(const egw_result *r, int code, const char *needle)
{
	size_t n = egw_result_diagnostic_count(r);
	for (size_t i = 0; i < n; i++) {
		egw_diagnostic d;
		if (egw_result_diagnostic(r, i, &d) != 0)
			continue;
		if ((int)d.code == code && (!needle || strstr(d.message.data, needle)))
			return true;
	}
	return false;
}

/* The first diagnostic with `code`, or false. */
static inline bool rel_find_diag(const egw_result *r, int code, egw_diagnostic *out)
{
	size_t n = egw_result_diagnostic_count(r);
	for (size_t i = 0; i < n; i++)
		if (egw_result_diagnostic(r, i, out) == 0 && (int)out->code == code)
			return true;
	return false;
}

static inline void rel_dump_diags(const egw_result *r)
{
	size_t n = egw_result_diagnostic_count(r);
	for (size_t i = 0; i < n; i++) {
		egw_diagnostic d;
		if (egw_result_diagnostic(r, i, &d) == 0)
			fprintf(stderr, "  diag %d sev %d %zu:%u:%u %s\n", (int)d.code, (int)d.severity,
				d.input, d.line, d.column, d.message.data);
	}
}

/* Whether rc is one egw_translate may return for bad input.  Anything else
 * (EGW_EINVAL, EGW_EVERSION, unknown codes) is a bug in the test or the library. */
static inline bool rel_rc_ok_for_input(int rc)
{
	return rc == EGW_OK || rc == EGW_ELIMIT || rc == EGW_EPARSE || rc == EGW_ECONFIG;
}

/* Renders everything a host can render from a result into `out` (appended),
 * so two results can be compared byte for byte.  Returns the first failing
 * render's code, or 0. */
static inline int rel_render_all(const egw_result *r, rel_buf *out)
{
	int first = 0;
	egw_str s;
	static const egw_format fmts[] = { EGW_FORMAT_JSON, EGW_FORMAT_YAML };
	for (size_t k = 0; k < 2; k++) {
		int rc = egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0,
					   fmts[k], &s);
		if (rc == 0)
			rel_put(out, s.data, s.len);
		else if (!first)
			first = rc;
	}
	for (size_t i = 0; i < egw_result_fleet_count(r); i++) {
		const egw_fleet *f = egw_result_fleet(r, i);
		egw_str name = egw_fleet_name(f);
		rel_printf(out, "\n== fleet %s version %016llx error %s\n", name.data,
			   (unsigned long long)egw_fleet_version(f), egw_fleet_error(f).data);
		int rc = egw_fleet_render_xds(f, 0, EGW_FORMAT_JSON_COMPACT, &s);
		if (rc == 0)
			rel_put(out, s.data, s.len);
		else if (!first)
			first = rc;
		rc = egw_fleet_render_xds_ir(f, EGW_FORMAT_JSON_COMPACT, &s);
		if (rc == 0)
			rel_put(out, s.data, s.len);
		else if (!first)
			first = rc;
		rc = egw_fleet_render_infra_ir(f, EGW_FORMAT_JSON_COMPACT, &s);
		if (rc == 0)
			rel_put(out, s.data, s.len);
		else if (rc != EGW_ENOTFOUND && !first)
			first = rc;
		rc = egw_fleet_render_ratelimit(f, EGW_FORMAT_JSON_COMPACT, &s);
		if (rc == 0)
			rel_put(out, s.data, s.len);
		else if (!first)
			first = rc;
		for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++) {
			size_t n = egw_fleet_resource_count(f, (egw_xds_type)t);
			for (size_t j = 0; j < n; j++) {
				egw_resource res;
				if (egw_fleet_resource(f, (egw_xds_type)t, j, &res) == 0)
					rel_printf(out, "\n%s %s %zu %016llx", res.type_url.data,
						   res.name.data, res.proto.len,
						   (unsigned long long)res.version);
			}
		}
	}
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_status st;
		if (egw_result_status(r, i, &st) == 0)
			rel_printf(out, "\n%s %s %s/%s %s", st.api_version.data, st.kind.data,
				   st.namespace_.data, st.name.data, st.status_json.data);
	}
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		if (egw_result_diagnostic(r, i, &d) == 0)
			rel_printf(out, "\n%d %d %zu %s:%u:%u %s [%s %s/%s]", (int)d.code, (int)d.severity,
				   d.input, d.input_name.data, d.line, d.column, d.message.data,
				   d.kind.data, d.namespace_.data, d.name.data);
	}
	return first;
}

#endif
