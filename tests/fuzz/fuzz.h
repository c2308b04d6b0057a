/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every fuzz target does with a result, so that a crash anywhere a host
 * could reach (translation, every rendering, every accessor) is found, and
 * the oracles that turn wrong output into a crash libFuzzer can keep:
 *
 *  - every view the library returns is NUL-terminated at len;
 *  - every JSON rendering parses as JSON (jansson);
 *  - every YAML rendering parses as YAML (libyaml);
 *  - rendering a fleet's IR as YAML or JSON and reading it back as IR input
 *    gives the same IR again (egw_fuzz_roundtrip_ir: the parser and the
 *    emitters agree on every scalar);
 *  - egw_translate returns only the codes egw.h documents for bad input.
 *
 * Targets use only the public API.  Header-only: each target is one file
 * plus this one, and the standalone driver replays any target's corpus.
 */
#ifndef EGW_TESTS_FUZZ_H
#define EGW_TESTS_FUZZ_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "egw/egw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                  \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz oracle failed: %s: ", #cond);     \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

static inline void fuzz_view(egw_str s, const char *what)
{
	FUZZ_ASSERT(s.data != NULL, "%s: NULL view", what);
	FUZZ_ASSERT(s.data[s.len] == 0, "%s: view not NUL-terminated at len", what);
}

static inline void fuzz_check_json(egw_str s, const char *what)
{
	fuzz_view(s, what);
	json_error_t err;
	json_t *j = json_loadb(s.data, s.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	/* valid JSON that jansson cannot hold: \u0000 in a key */
	if (!j && strstr(err.text, "NUL byte in object key"))
		return;
	/* valid JSON that jansson cannot hold as an integer: an integral
	 * float beyond int64 is written in full (8e19 as 80000000000000000000,
	 * as Go prints it); read such numbers as reals instead */
	if (!j && strstr(err.text, "too big integer"))
		j = json_loadb(s.data, s.len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
			       &err);
	FUZZ_ASSERT(j != NULL, "%s is not JSON: %s at line %d column %d", what, err.text, err.line,
		    err.column);
	json_decref(j);
}

static inline void fuzz_check_yaml(egw_str s, const char *what)
{
	fuzz_view(s, what);
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, (const unsigned char *)s.data, s.len);
	yaml_event_t ev;
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			fprintf(stderr, "%.*s\n", (int)(s.len > 4000 ? 4000 : s.len), s.data);
			FUZZ_ASSERT(0, "%s is not YAML: %s at line %zu column %zu", what,
				    p.problem ? p.problem : "?", p.problem_mark.line + 1,
				    p.problem_mark.column + 1);
		}
		int done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (done)
			break;
	}
	yaml_parser_delete(&p);
}

static inline void fuzz_render(int rc, egw_str s, egw_format fmt, const char *what)
{
	if (rc == EGW_ENOTFOUND)
		return;
	FUZZ_ASSERT(rc == 0, "%s: render returned %d (%s)", what, rc, egw_strerror(rc));
	if (fmt == EGW_FORMAT_YAML)
		fuzz_check_yaml(s, what);
	else
		fuzz_check_json(s, what);
}

/* Reads and renders everything in r.  `deep`: also every format of every
 * per-fleet rendering (slower; the targets use it on small inputs). */
static inline void fuzz_exercise(egw_result *r, int deep)
{
	if (!r)
		return;
	egw_str s;
	size_t nd = egw_result_diagnostic_count(r);
	for (size_t i = 0; i < nd; i++) {
		egw_diagnostic d;
		FUZZ_ASSERT(egw_result_diagnostic(r, i, &d) == 0, "diagnostic %zu", i);
		fuzz_view(d.message, "diagnostic message");
		fuzz_view(d.input_name, "diagnostic input name");
		fuzz_view(d.kind, "diagnostic kind");
		fuzz_view(d.namespace_, "diagnostic namespace");
		fuzz_view(d.name, "diagnostic name");
		FUZZ_ASSERT(d.message.len > 0, "empty diagnostic message (code %d)", (int)d.code);
	}
	size_t ns = egw_result_status_count(r);
	for (size_t i = 0; i < ns; i++) {
		egw_status st;
		FUZZ_ASSERT(egw_result_status(r, i, &st) == 0, "status %zu", i);
		fuzz_view(st.kind, "status kind");
		fuzz_view(st.name, "status name");
		fuzz_check_json(st.status_json, "status JSON");
	}
	static const egw_format fmts[] = { EGW_FORMAT_JSON, EGW_FORMAT_JSON_COMPACT, EGW_FORMAT_YAML };
	for (size_t k = 0; k < 3; k++) {
		if (!deep && k == 1)
			continue;
		int rc = egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS,
					   0, fmts[k], &s);
		fuzz_render(rc, s, fmts[k], "result rendering");
	}
	size_t nf = egw_result_fleet_count(r);
	for (size_t i = 0; i < nf; i++) {
		const egw_fleet *f = egw_result_fleet(r, i);
		FUZZ_ASSERT(f != NULL, "fleet %zu", i);
		fuzz_view(egw_fleet_name(f), "fleet name");
		fuzz_view(egw_fleet_error(f), "fleet error");
		FUZZ_ASSERT(egw_result_fleet_by_name(r, egw_fleet_name(f)) != NULL, "fleet by name");
		for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++) {
			size_t n = egw_fleet_resource_count(f, (egw_xds_type)t);
			for (size_t j = 0; j < n; j++) {
				egw_resource res;
				FUZZ_ASSERT(egw_fleet_resource(f, (egw_xds_type)t, j, &res) == 0,
					    "resource %d/%zu", t, j);
				fuzz_view(res.name, "resource name");
				fuzz_view(res.type_url, "resource type URL");
				FUZZ_ASSERT(res.proto.data || !res.proto.len, "resource bytes");
			}
		}
		for (size_t k = 0; k < 3; k++) {
			if (!deep && k != 1)
				continue;
			egw_format fmt = fmts[k];
			fuzz_render(egw_fleet_render_xds(f, 0, fmt, &s), s, fmt, "fleet xDS");
			fuzz_render(egw_fleet_render_xds_ir(f, fmt, &s), s, fmt, "fleet xDS IR");
			fuzz_render(egw_fleet_render_infra_ir(f, fmt, &s), s, fmt, "fleet infra IR");
			fuzz_render(egw_fleet_render_ratelimit(f, fmt, &s), s, fmt, "fleet rate limit");
		}
		/* one type at a time, as egctl -t does */
		fuzz_render(egw_fleet_render_xds(f, 1u << (i % EGW_XDS_TYPE_COUNT), EGW_FORMAT_YAML, &s),
			    s, EGW_FORMAT_YAML, "fleet xDS, one type");
	}
}

static inline int fuzz_rc_ok(int rc)
{
	return rc == EGW_OK || rc == EGW_ELIMIT || rc == EGW_EPARSE || rc == EGW_ECONFIG;
}

/* Translates and checks the return code contract of egw.h. */
static inline int fuzz_translate(egw_result **out, const egw_input *in, size_t n, const egw_options *o)
{
	int rc = egw_translate(out, in, n, o);
	FUZZ_ASSERT(fuzz_rc_ok(rc), "egw_translate returned %d (%s)", rc, egw_strerror(rc));
	FUZZ_ASSERT((*out != NULL) == (rc != EGW_ENOMEM), "result presence for rc %d", rc);
	return rc;
}

/* The IR of fleet f, rendered in fmt and read back as IR input, must render
 * to the same JSON.  Skipped when the reading hits a limit (aliases can build
 * trees deeper than max_depth, which the rendering then spells out). */
static inline void fuzz_roundtrip_ir(const egw_fleet *f)
{
	egw_str json, text;
	if (egw_fleet_render_xds_ir(f, EGW_FORMAT_JSON_COMPACT, &json) != 0)
		return;
	static const egw_format fmts[] = { EGW_FORMAT_YAML, EGW_FORMAT_JSON, EGW_FORMAT_JSON_COMPACT };
	for (size_t k = 0; k < 3; k++) {
		if (egw_fleet_render_xds_ir(f, fmts[k], &text) != 0)
			continue;
		egw_options o;
		egw_options_init(&o, EGW_OPTIONS_VERSION);
		o.from = EGW_FROM_XDS_IR;
		egw_input in = { { "roundtrip", 9 }, text };
		egw_result *r2 = NULL;
		int rc = egw_translate(&r2, &in, 1, &o);
		if (rc == EGW_ELIMIT) {
			egw_result_free(r2);
			continue;
		}
		FUZZ_ASSERT(rc == 0, "IR rendered as format %d does not read back: rc %d", (int)fmts[k], rc);
		egw_str again = { "", 0 };
		const egw_fleet *f2 = egw_result_fleet(r2, 0);
		if (f2) {
			FUZZ_ASSERT(egw_fleet_render_xds_ir(f2, EGW_FORMAT_JSON_COMPACT, &again) == 0,
				    "render of the read-back IR");
		} else {
			/* an IR that renders as null or {} reads back as no document */
			again.data = "null";
			again.len = 4;
		}
		int same = again.len == json.len && !memcmp(again.data, json.data, json.len);
		if (!same && !f2 && (!strcmp(json.data, "{}") || !strcmp(json.data, "null")))
			same = 1;
		if (!same) {
			fprintf(stderr, "--- rendered (format %d):\n%s\n--- first JSON:\n%s\n--- read back:\n%s\n",
				(int)fmts[k], text.data, json.data, again.data);
			FUZZ_ASSERT(0, "IR does not survive rendering as format %d and reading back",
				    (int)fmts[k]);
		}
		egw_result_free(r2);
	}
}

#endif
