/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the public API (include/egw/egw.h) and nothing else: this file
 * links the shared library and includes only the public header.
 *
 * Two kinds of test live here.  Most pin down what the spine guarantees
 * whatever the translators do (argument checking, diagnostics, limits,
 * memory, threads, determinism).  The TCase "translation" holds assertions
 * on translated output (statuses, fleets, xDS resources); they depend on the
 * IR and xds stages and say so in their names.
 */
#include <check.h>
#include <xxhash.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egw/egw.h"
#include "check_run.h"

#define S(lit) ((egw_str){ (lit), sizeof(lit) - 1 })

static egw_str str(const char *s)
{
	egw_str v = { s, s ? strlen(s) : 0 };
	return v;
}

static egw_input input(const char *name, const char *data)
{
	egw_input in = { str(name), str(data) };
	return in;
}

static bool str_eq(egw_str a, const char *b)
{
	return a.len == strlen(b) && (a.len == 0 || memcmp(a.data, b, a.len) == 0);
}

static bool contains(egw_str hay, const char *needle)
{
	return hay.data && strstr(hay.data, needle) != NULL;
}

/* The test manifest: one document per entry, as YAML and as JSON. */
static const char *const yaml_docs[] = {
	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: GatewayClass\n"
	"metadata:\n"
	"  name: eg\n"
	"spec:\n"
	"  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n",

	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: Gateway\n"
	"metadata:\n"
	"  name: edge\n"
	"  namespace: web\n"
	"spec:\n"
	"  gatewayClassName: eg\n"
	"  listeners:\n"
	"  - name: http\n"
	"    protocol: HTTP\n"
	"    port: 80\n",

	"apiVersion: gateway.networking.k8s.io/v1\n"
	"kind: HTTPRoute\n"
	"metadata:\n"
	"  name: app\n"
	"  namespace: web\n"
	"spec:\n"
	"  parentRefs:\n"
	"  - name: edge\n"
	"  hostnames: [app.example.com]\n"
	"  rules:\n"
	"  - matches:\n"
	"    - path: {type: PathPrefix, value: /api}\n"
	"    backendRefs:\n"
	"    - name: api\n"
	"      port: 8080\n",

	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata:\n"
	"  name: api\n"
	"  namespace: web\n"
	"spec:\n"
	"  clusterIP: 10.96.1.1\n"
	"  ports:\n"
	"  - name: http\n"
	"    port: 8080\n"
	"    targetPort: 8080\n",

	"apiVersion: discovery.k8s.io/v1\n"
	"kind: EndpointSlice\n"
	"metadata:\n"
	"  name: api-1\n"
	"  namespace: web\n"
	"  labels:\n"
	"    kubernetes.io/service-name: api\n"
	"addressType: IPv4\n"
	"ports:\n"
	"- name: http\n"
	"  port: 8080\n"
	"  protocol: TCP\n"
	"endpoints:\n"
	"- addresses: [\"10.244.1.5\"]\n"
	"  conditions: {ready: true}\n",
};

static const char *const json_docs[] = {
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"GatewayClass\","
	"\"metadata\":{\"name\":\"eg\"},"
	"\"spec\":{\"controllerName\":\"gateway.envoyproxy.io/gatewayclass-controller\"}}",

	"{\"apiVersion\": \"gateway.networking.k8s.io/v1\", \"kind\": \"Gateway\",\n"
	" \"metadata\": {\"name\": \"edge\", \"namespace\": \"web\"},\n"
	" \"spec\": {\"gatewayClassName\": \"eg\",\n"
	"   \"listeners\": [{\"name\": \"http\", \"protocol\": \"HTTP\", \"port\": 80}]}}",

	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","
	"\"metadata\":{\"name\":\"app\",\"namespace\":\"web\"},"
	"\"spec\":{\"parentRefs\":[{\"name\":\"edge\"}],\"hostnames\":[\"app.example.com\"],"
	"\"rules\":[{\"matches\":[{\"path\":{\"type\":\"PathPrefix\",\"value\":\"/api\"}}],"
	"\"backendRefs\":[{\"name\":\"api\",\"port\":8080}]}]}}",

	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"api\",\"namespace\":\"web\"},"
	"\"spec\":{\"clusterIP\":\"10.96.1.1\",\"ports\":[{\"name\":\"http\",\"port\":8080,\"targetPort\":8080}]}}",

	"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\","
	"\"metadata\":{\"name\":\"api-1\",\"namespace\":\"web\","
	"\"labels\":{\"kubernetes.io/service-name\":\"api\"}},\"addressType\":\"IPv4\","
	"\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],"
	"\"endpoints\":[{\"addresses\":[\"10.244.1.5\"],\"conditions\":{\"ready\":true}}]}",
};

#define NDOCS 5

/* Joins docs[order[i]] with "---" lines into buf. */
static const char *join(char *buf, size_t cap, const char *const *docs, const int *order)
{
	size_t k = 0;
	buf[0] = 0;
	for (int i = 0; i < NDOCS; i++)
		k += (size_t)snprintf(buf + k, cap - k, "%s%s\n", i ? "---\n" : "",
				      docs[order ? order[i] : i]);
	ck_assert_uint_lt(k, cap);
	return buf;
}

static egw_result *translate_text(const char *text, int expect_rc)
{
	egw_input in = input("manifest.yaml", text);
	egw_result *r = NULL;
	int rc = egw_translate(&r, &in, 1, NULL);
	ck_assert_msg(rc == expect_rc, "egw_translate returned %d (%s), expected %d", rc,
		      egw_strerror(rc), expect_rc);
	return r;
}

static void dump_diags(const egw_result *r)
{
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		egw_result_diagnostic(r, i, &d);
		fprintf(stderr, "  diag %zu: code=%d sev=%d input=%zu %s:%u:%u %s\n", i, d.code,
			d.severity, d.input, d.input_name.data, d.line, d.column, d.message.data);
	}
}

/* Index of the first diagnostic with this code, or -1. */
static long find_diag(const egw_result *r, egw_diag_code code, egw_diagnostic *out)
{
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		ck_assert_int_eq(egw_result_diagnostic(r, i, &d), EGW_OK);
		if (d.code == code) {
			if (out)
				*out = d;
			return (long)i;
		}
	}
	return -1;
}

static size_t count_diag(const egw_result *r, egw_diag_code code)
{
	size_t n = 0;
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		egw_result_diagnostic(r, i, &d);
		n += d.code == code;
	}
	return n;
}

/* ---- version, errors, options ---- */

START_TEST(version_and_strerror)
{
	ck_assert_str_eq(egw_version(), EGW_VERSION);
	unsigned a, b, c;
	char tail;
	ck_assert_int_eq(sscanf(egw_version(), "%u.%u.%u%c", &a, &b, &c, &tail), 3);
	ck_assert_uint_eq(a, EGW_VERSION_MAJOR);
	ck_assert_uint_eq(b, EGW_VERSION_MINOR);
	ck_assert_uint_eq(c, EGW_VERSION_PATCH);

	const int codes[] = { EGW_OK,     EGW_ERROR,   EGW_ENOMEM,    EGW_EINVAL,   EGW_ELIMIT,
			      EGW_EPARSE, EGW_EHOOK,   EGW_ENOTFOUND, EGW_EVERSION, EGW_ECONFIG };
	const char *unknown = egw_strerror(-1000);
	ck_assert_ptr_nonnull(unknown);
	ck_assert_str_eq(egw_strerror(1), unknown);
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		const char *s = egw_strerror(codes[i]);
		ck_assert_msg(s && *s, "no text for %d", codes[i]);
		ck_assert_msg(strcmp(s, unknown) != 0, "code %d described as unknown", codes[i]);
		ck_assert_ptr_eq(egw_strerror(codes[i]), s); /* static */
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(s, egw_strerror(codes[j])), "codes %d and %d share \"%s\"",
				      codes[i], codes[j], s);
	}
}
END_TEST

START_TEST(options_init_and_version)
{
	egw_options o;
	memset(&o, 0xA5, sizeof o);
	ck_assert_int_eq(egw_options_init(&o, EGW_OPTIONS_VERSION), EGW_OK);
	egw_options m = EGW_OPTIONS_INIT;
	ck_assert_uint_eq(o.version, EGW_OPTIONS_VERSION);
	ck_assert_uint_eq(m.version, EGW_OPTIONS_VERSION);
	/* the function and the macro give the same defaults */
	ck_assert_ptr_null(o.allocator);
	ck_assert_int_eq(o.from, EGW_FROM_GATEWAY_API);
	ck_assert_ptr_null(o.config.data);
	ck_assert_ptr_null(o.controller_namespace.data);
	ck_assert_ptr_null(o.default_namespace.data);
	ck_assert_ptr_null(o.runtime_flags);
	ck_assert_uint_eq(o.runtime_flags_len, 0);
	ck_assert_int_eq(o.add_missing_resources, m.add_missing_resources);
	ck_assert(o.now_unix == 0 && m.now_unix == 0);
	ck_assert_uint_eq(o.limits.max_input_bytes, 0);
	ck_assert_ptr_null(o.fetch);
	for (int i = 0; i < 5; i++)
		ck_assert_ptr_null(o.hooks[i]);
	ck_assert_int_eq(o.hooks_fail_open, 0);

	ck_assert_int_eq(egw_options_init(NULL, EGW_OPTIONS_VERSION), EGW_EINVAL);
	ck_assert_int_eq(egw_options_init(&o, 0), EGW_EVERSION);
	ck_assert_int_eq(egw_options_init(&o, EGW_OPTIONS_VERSION + 1), EGW_EVERSION);

	/* egw_translate checks the version and the enum fields */
	egw_input in = input("x", yaml_docs[0]);
	egw_result *r = (egw_result *)&o; /* must be reset to NULL on failure */
	egw_options bad;
	egw_options_init(&bad, EGW_OPTIONS_VERSION);
	bad.version = 0;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &bad), EGW_EVERSION);
	ck_assert_ptr_null(r);
	bad.version = 99;
	r = (egw_result *)&o;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &bad), EGW_EVERSION);
	ck_assert_ptr_null(r);
	egw_options_init(&bad, EGW_OPTIONS_VERSION);
	bad.from = (egw_from)7;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &bad), EGW_EINVAL);
	ck_assert_ptr_null(r);
	egw_allocator nofree = { NULL, NULL, NULL };
	egw_options_init(&bad, EGW_OPTIONS_VERSION);
	bad.allocator = &nofree;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &bad), EGW_EINVAL);
	ck_assert_ptr_null(r);
	/* the macro's options work as they are */
	ck_assert_int_eq(egw_translate(&r, &in, 1, &m), EGW_OK);
	ck_assert_ptr_nonnull(r);
	egw_result_free(r);
}
END_TEST

START_TEST(null_handling)
{
	egw_input in = input("x", yaml_docs[0]);
	ck_assert_int_eq(egw_translate(NULL, &in, 1, NULL), EGW_EINVAL);
	egw_result *r = (egw_result *)&in;
	ck_assert_int_eq(egw_translate(&r, NULL, 1, NULL), EGW_EINVAL);
	ck_assert_ptr_null(r);
	egw_input nodata = { S("n"), { NULL, 5 } };
	ck_assert_int_eq(egw_translate(&r, &nodata, 1, NULL), EGW_EINVAL);
	ck_assert_ptr_null(r);

	/* no inputs, and a NULL buffer of length 0, are empty inputs */
	ck_assert_int_eq(egw_translate(&r, NULL, 0, NULL), EGW_OK);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(egw_result_fleet_count(r), 0);
	egw_result_free(r);
	egw_input empty[2] = { { { NULL, 0 }, { NULL, 0 } }, input("gc", yaml_docs[0]) };
	ck_assert_int_eq(egw_translate(&r, empty, 2, NULL), EGW_OK);
	ck_assert_uint_eq(count_diag(r, EGW_D_SYNTAX), 0);

	/* every accessor is NULL-safe */
	egw_str out = { "x", 1 };
	egw_resource res;
	egw_status st;
	egw_diagnostic dg;
	ck_assert_uint_eq(egw_result_fleet_count(NULL), 0);
	ck_assert_ptr_null(egw_result_fleet(NULL, 0));
	ck_assert_ptr_null(egw_result_fleet(r, 1000));
	ck_assert_ptr_null(egw_result_fleet_by_name(NULL, S("a")));
	ck_assert_ptr_null(egw_result_fleet_by_name(r, (egw_str){ NULL, 0 }));
	ck_assert_ptr_null(egw_result_fleet_by_name(r, S("no/such")));
	ck_assert_uint_eq(egw_fleet_name(NULL).len, 0);
	ck_assert_ptr_nonnull(egw_fleet_name(NULL).data);
	ck_assert(egw_fleet_version(NULL) == 0);
	ck_assert_uint_eq(egw_fleet_error(NULL).len, 0);
	ck_assert_uint_eq(egw_fleet_resource_count(NULL, EGW_XDS_LISTENER), 0);
	ck_assert_int_eq(egw_fleet_resource(NULL, EGW_XDS_LISTENER, 0, &res), EGW_EINVAL);
	ck_assert_int_eq(egw_fleet_render_xds(NULL, 0, EGW_FORMAT_JSON, &out), EGW_EINVAL);
	ck_assert_int_eq(egw_fleet_render_xds_ir(NULL, EGW_FORMAT_JSON, &out), EGW_EINVAL);
	ck_assert_int_eq(egw_fleet_render_infra_ir(NULL, EGW_FORMAT_JSON, &out), EGW_EINVAL);
	ck_assert_int_eq(egw_fleet_render_ratelimit(NULL, EGW_FORMAT_JSON, &out), EGW_EINVAL);
	ck_assert_int_eq(egw_result_render(NULL, EGW_RENDER_XDS, 0, EGW_FORMAT_JSON, &out), EGW_EINVAL);
	ck_assert_int_eq(egw_result_render(r, EGW_RENDER_XDS, 0, EGW_FORMAT_JSON, NULL), EGW_EINVAL);
	ck_assert_int_eq(egw_result_render(r, EGW_RENDER_XDS, 0, (egw_format)9, &out), EGW_EINVAL);
	ck_assert_uint_eq(egw_result_status_count(NULL), 0);
	ck_assert_int_eq(egw_result_status(NULL, 0, &st), EGW_EINVAL);
	ck_assert_int_eq(egw_result_status(r, 0, NULL), EGW_EINVAL);
	ck_assert_int_eq(egw_result_status(r, egw_result_status_count(r), &st), EGW_ENOTFOUND);
	ck_assert_uint_eq(egw_result_diagnostic_count(NULL), 0);
	ck_assert_int_eq(egw_result_diagnostic(NULL, 0, &dg), EGW_EINVAL);
	ck_assert_int_eq(egw_result_diagnostic(r, 0, NULL), EGW_EINVAL);
	ck_assert_int_eq(egw_result_diagnostic(r, egw_result_diagnostic_count(r), &dg), EGW_ENOTFOUND);
	egw_gateway_infra gi = { S("web"), S("edge"), NULL, 0, 1 };
	ck_assert_int_eq(egw_result_set_gateway_infra(NULL, &gi), EGW_EINVAL);
	ck_assert_int_eq(egw_result_set_gateway_infra(r, NULL), EGW_EINVAL);
	gi.name.data = NULL;
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &gi), EGW_EINVAL);
	/* out of range on a real result */
	ck_assert_int_eq(egw_result_render(r, 0, 0, EGW_FORMAT_JSON, &out), EGW_OK);
	ck_assert_str_eq(out.data, "{}\n");
	egw_result_free(r);
	egw_result_free(NULL); /* the only _free; a no-op on NULL */
}
END_TEST

/* ---- diagnostics ---- */

START_TEST(diag_malformed_document_in_the_middle)
{
	const char *first = "apiVersion: v1\nkind: Pod\nmetadata: {name: before, namespace: x}\n";
	const char *broken = "apiVersion: v1\n"         /* 5 */
			     "kind: Service\n"          /* 6 */
			     "metadata: {name: [oops\n" /* 7 */
			     "spec: {}\n";              /* 8 */
	const char *last = "apiVersion: v1\nkind: Pod\nmetadata: {name: after, namespace: x}\n";
	char text[1024];
	snprintf(text, sizeof text, "%s---\n%s---\n%s---\n%s", first, broken, last, yaml_docs[0]);
	egw_input ins[2] = { input("other.yaml", yaml_docs[3]), input("mixed.yaml", text) };
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, ins, 2, NULL), EGW_OK);
	egw_diagnostic d;
	ck_assert_msg(find_diag(r, EGW_D_SYNTAX, &d) >= 0, "no syntax diagnostic");
	ck_assert_uint_eq(count_diag(r, EGW_D_SYNTAX), 1);
	ck_assert_int_eq(d.severity, EGW_SEV_ERROR);
	ck_assert_uint_eq(d.input, 1);
	ck_assert(str_eq(d.input_name, "mixed.yaml"));
	ck_assert_msg(d.line >= 7 && d.line <= 9, "syntax error reported at line %u", d.line);
	ck_assert_uint_gt(d.column, 0);
	ck_assert_uint_gt(d.message.len, 0);
	ck_assert_uint_eq(strlen(d.message.data), d.message.len); /* NUL-terminated view */
	/* the documents on both sides were read: each Pod got its warning */
	ck_assert_uint_eq(count_diag(r, EGW_D_UNKNOWN_KIND), 2);
	bool before = false, after = false;
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_result_diagnostic(r, i, &d);
		if (d.code != EGW_D_UNKNOWN_KIND)
			continue;
		ck_assert_uint_eq(d.input, 1);
		if (str_eq(d.name, "before")) {
			before = true;
			ck_assert_uint_eq(d.line, 2);
		}
		if (str_eq(d.name, "after")) {
			after = true;
			ck_assert_uint_eq(d.line, 11);
		}
	}
	ck_assert(before && after);
	/* and no Service came out of the broken document */
	egw_str out;
	ck_assert_int_eq(egw_result_render(r, EGW_RENDER_GATEWAY_API, 0, EGW_FORMAT_JSON, &out), 0);
	ck_assert(!contains(out, "oops"));
	/* translation-level: the GatewayClass after the broken document was
	 * translated (it has a status) */
	ck_assert_msg(contains(out, "\"gatewayClass\"") && contains(out, "\"name\": \"eg\"") &&
			      contains(out, "\"status\""),
		      "the GatewayClass after the broken document has no status: %s", out.data);
	egw_result_free(r);
}
END_TEST

START_TEST(diag_unknown_kind)
{
	const char *text = "apiVersion: apps/v1\n"
			   "kind: Deployment\n"
			   "metadata:\n"
			   "  name: envoy\n"
			   "  namespace: infra\n"
			   "---\n";
	char buf[1024];
	snprintf(buf, sizeof buf, "%s%s", text, yaml_docs[0]);
	egw_result *r = translate_text(buf, EGW_OK);
	egw_diagnostic d;
	ck_assert(find_diag(r, EGW_D_UNKNOWN_KIND, &d) >= 0);
	ck_assert_uint_eq(count_diag(r, EGW_D_UNKNOWN_KIND), 1);
	ck_assert_int_eq(d.severity, EGW_SEV_WARNING);
	ck_assert_uint_eq(d.input, 0);
	ck_assert(str_eq(d.input_name, "manifest.yaml"));
	ck_assert_uint_eq(d.line, 2);
	ck_assert_uint_eq(d.column, 7);
	ck_assert(str_eq(d.kind, "Deployment"));
	ck_assert(str_eq(d.namespace_, "infra"));
	ck_assert(str_eq(d.name, "envoy"));
	ck_assert(contains(d.message, "apps/v1"));
	egw_result_free(r);
}
END_TEST

START_TEST(diag_missing_identity)
{
	const char *text = "kind: Service\nmetadata: {name: a}\n"           /* 1 */
			   "---\n"                                          /* 3 */
			   "apiVersion: v1\nmetadata: {name: b}\n"          /* 4 */
			   "---\n"                                          /* 6 */
			   "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: ns\n" /* 7 */
			   "---\n";                                         /* 11 */
	char buf[2048];
	snprintf(buf, sizeof buf, "%s%s", text, yaml_docs[0]);
	egw_input ins[2] = { input("first.yaml", yaml_docs[3]), input("ids.yaml", buf) };
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, ins, 2, NULL), EGW_OK);
	const struct {
		unsigned line;
		const char *what;
	} want[] = { { 1, "apiVersion" }, { 4, "kind" }, { 10, "metadata.name" } };
	size_t k = 0;
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		egw_result_diagnostic(r, i, &d);
		if (d.code != EGW_D_MISSING || d.input != 1)
			continue;
		ck_assert_uint_lt(k, 3);
		ck_assert_int_eq(d.severity, EGW_SEV_ERROR);
		ck_assert(str_eq(d.input_name, "ids.yaml"));
		ck_assert_msg(d.line == want[k].line, "missing %s at line %u", want[k].what, d.line);
		ck_assert_uint_gt(d.column, 0);
		ck_assert_msg(contains(d.message, want[k].what), "%s", d.message.data);
		k++;
	}
	if (k != 3)
		dump_diags(r);
	ck_assert_uint_eq(k, 3);
	egw_result_free(r);
}
END_TEST

START_TEST(eparse_when_nothing_is_readable)
{
	egw_input ins[2] = { input("a.yaml", "a: [\n"), input("b.json", "{\"kind\": \"Service\",\n") };
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, ins, 1, NULL), EGW_EPARSE);
	ck_assert_ptr_nonnull(r); /* the result says why */
	egw_diagnostic d;
	ck_assert(find_diag(r, EGW_D_SYNTAX, &d) >= 0);
	ck_assert(str_eq(d.input_name, "a.yaml"));
	ck_assert_uint_ge(d.line, 1);
	egw_result_free(r);
	r = NULL;
	ck_assert_int_eq(egw_translate(&r, ins, 2, NULL), EGW_EPARSE);
	ck_assert_uint_eq(count_diag(r, EGW_D_SYNTAX), 2);
	egw_result_free(r);
	/* one readable buffer is enough */
	egw_input mixed[2] = { ins[0], input("gc.yaml", yaml_docs[0]) };
	r = NULL;
	ck_assert_int_eq(egw_translate(&r, mixed, 2, NULL), EGW_OK);
	ck_assert_uint_eq(count_diag(r, EGW_D_SYNTAX), 1);
	egw_result_free(r);
	/* comments only: nothing to read, but nothing wrong either */
	egw_input quiet = input("c.yaml", "# nothing here\n");
	r = NULL;
	ck_assert_int_eq(egw_translate(&r, &quiet, 1, NULL), EGW_OK);
	ck_assert_uint_eq(count_diag(r, EGW_D_SYNTAX), 0);
	egw_result_free(r);
}
END_TEST

START_TEST(elimit_for_large_input)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.limits.max_input_bytes = 64;
	egw_input ins[2] = { input("small.yaml", "a: 1\n"), input("big.yaml", yaml_docs[1]) };
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, ins, 2, &o), EGW_ELIMIT);
	ck_assert_ptr_nonnull(r);
	egw_diagnostic d;
	ck_assert(find_diag(r, EGW_D_LIMIT, &d) >= 0);
	ck_assert_uint_eq(d.input, 1);
	ck_assert(str_eq(d.input_name, "big.yaml"));
	ck_assert_int_eq(d.severity, EGW_SEV_ERROR);
	egw_result_free(r);
	/* exactly at the limit is fine */
	char exact[65];
	memset(exact, ' ', 64);
	memcpy(exact, "a: 1", 4);
	exact[64] = 0;
	egw_input at = input("exact.yaml", exact);
	r = NULL;
	ck_assert_int_eq(egw_translate(&r, &at, 1, &o), EGW_OK);
	egw_result_free(r);
	/* the other limits surface as EGW_ELIMIT too */
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.limits.max_depth = 3;
	egw_input deep = input("deep.yaml", "a: {b: {c: {d: 1}}}\n");
	r = NULL;
	ck_assert_int_eq(egw_translate(&r, &deep, 1, &o), EGW_ELIMIT);
	ck_assert(find_diag(r, EGW_D_LIMIT, &d) >= 0);
	ck_assert_uint_eq(d.line, 1);
	egw_result_free(r);
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.limits.max_documents = 2;
	egw_input many = input("many.yaml", "a: 1\n---\nb: 2\n---\nc: 3\n");
	r = NULL;
	ck_assert_int_eq(egw_translate(&r, &many, 1, &o), EGW_ELIMIT);
	egw_result_free(r);
}
END_TEST

/* ---- memory ---- */

typedef struct counter {
	size_t mallocs, frees, live, bytes;
	long fail_at; /* fail the Nth malloc (1-based); 0 = never */
} counter;

static void *count_malloc(size_t n, void *ud)
{
	counter *c = ud;
	if (c->fail_at && (long)(c->mallocs + 1) == c->fail_at) {
		c->fail_at = -1; /* fail once */
		return NULL;
	}
	void *p = malloc(n);
	if (p) {
		c->mallocs++;
		c->live++;
		c->bytes += n;
	}
	return p;
}

static void count_free(void *p, void *ud)
{
	counter *c = ud;
	if (p) {
		c->frees++;
		c->live--;
	}
	free(p);
}

static const char *full_manifest(void)
{
	static char buf[8192];
	return join(buf, sizeof buf, yaml_docs, NULL);
}

START_TEST(custom_allocator_balances)
{
	counter c = { 0 };
	egw_allocator al = { count_malloc, count_free, &c };
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = &al;
	egw_input in = input("m.yaml", full_manifest());
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	ck_assert_uint_gt(c.mallocs, 0);
	ck_assert_uint_gt(c.live, 0);
	/* renderings after the call allocate from the same allocator */
	size_t before = c.bytes;
	egw_str out;
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS,
						   0, EGW_FORMAT_YAML, &out),
				 EGW_OK);
	ck_assert_uint_ge(c.bytes, before);
	egw_result_free(r);
	ck_assert_uint_eq(c.live, 0);
	ck_assert_uint_eq(c.mallocs, c.frees);
	/* failure paths free everything too */
	counter c2 = { 0 };
	egw_allocator al2 = { count_malloc, count_free, &c2 };
	o.allocator = &al2;
	o.limits.max_input_bytes = 8;
	r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_ELIMIT);
	egw_result_free(r);
	ck_assert_uint_gt(c2.mallocs, 0);
	ck_assert_uint_eq(c2.live, 0);
}
END_TEST

/* Bytes held at once, through a header with each block's size. */
typedef struct peak_counter {
	size_t live, peak, total, frees;
} peak_counter;

static void *peak_malloc(size_t n, void *ud)
{
	peak_counter *c = ud;
	unsigned char *p = malloc(n + 16);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof n);
	c->live += n;
	c->total += n;
	if (c->live > c->peak)
		c->peak = c->live;
	return p + 16;
}

static void peak_free(void *p, void *ud)
{
	peak_counter *c = ud;
	if (!p)
		return;
	unsigned char *b = (unsigned char *)p - 16;
	size_t n;
	memcpy(&n, b, sizeof n);
	c->live -= n;
	c->frees++;
	free(b);
}

/* Each fleet's xDS trees live in an arena of their own that is freed once
 * the fleet is serialized: with eight fleets the call gives memory back
 * before it returns, so its peak is below what it allocated; the xDS
 * renderings, decoded from the kept protobuf, still show every fleet. */
START_TEST(fleet_trees_released_during_call)
{
	static char buf[32768];
	size_t n = (size_t)snprintf(buf, sizeof buf,
				    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
				    "metadata: {name: eg}\nspec: {controllerName: "
				    "gateway.envoyproxy.io/gatewayclass-controller}\n");
	for (int i = 0; i < 8; i++)
		n += (size_t)snprintf(
			buf + n, sizeof buf - n,
			"---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
			"metadata: {name: gw-%d, namespace: default}\n"
			"spec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n"
			"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
			"metadata: {name: route-%d, namespace: default}\n"
			"spec:\n  parentRefs: [{name: gw-%d}]\n  rules:\n  - backendRefs: [{name: svc, port: 80}]\n",
			i, i, i);
	snprintf(buf + n, sizeof buf - n,
		 "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: default}\n"
		 "spec:\n  clusterIP: 10.0.0.1\n  ports: [{port: 80}]\n"
		 "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		 "metadata:\n  name: svc-1\n  namespace: default\n"
		 "  labels: {kubernetes.io/service-name: svc}\n"
		 "addressType: IPv4\nports: [{port: 80}]\n"
		 "endpoints: [{addresses: [10.1.0.1], conditions: {ready: true}}]\n");
	peak_counter c = { 0 };
	egw_allocator al = { peak_malloc, peak_free, &c };
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = &al;
	egw_input in = input("fleets.yaml", buf);
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	ck_assert_uint_eq(egw_result_fleet_count(r), 8);
	ck_assert_uint_gt(c.frees, 0);
	ck_assert_uint_lt(c.peak, c.total);
	for (size_t i = 0; i < 8; i++) {
		const egw_fleet *f = egw_result_fleet(r, i);
		egw_str out;
		ck_assert_int_eq(egw_fleet_render_xds(f, 0, EGW_FORMAT_JSON, &out), EGW_OK);
		char want[64];
		snprintf(want, sizeof want, "\"httproute/default/route-%zu/rule/0\"", i);
		ck_assert_msg(strstr(out.data, want), "fleet %zu renders no %s", i, want);
		ck_assert(strstr(out.data, "\"virtualHosts\""));
	}
	egw_result_free(r);
	ck_assert_uint_eq(c.live, 0);
}
END_TEST

/* The options are only read during the call: an allocator struct that goes
 * away after egw_translate must not be used by later calls on the result. */
static size_t stale_calls;
static void *stale_malloc(size_t n, void *ud)
{
	(void)ud;
	stale_calls++;
	return malloc(n);
}
static void stale_free(void *p, void *ud)
{
	(void)ud;
	stale_calls++;
	free(p);
}

START_TEST(allocator_struct_not_kept)
{
	counter c = { 0 };
	egw_allocator *al = malloc(sizeof *al);
	*al = (egw_allocator){ count_malloc, count_free, &c };
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = al;
	egw_input in = input("m.yaml", full_manifest());
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	/* the host reuses the struct's memory for something else */
	stale_calls = 0;
	*al = (egw_allocator){ stale_malloc, stale_free, NULL };
	egw_str out;
	ck_assert_int_eq(egw_result_render(r, EGW_RENDER_XDS | EGW_RENDER_IR, 0, EGW_FORMAT_JSON, &out), 0);
	egw_result_free(r);
	free(al);
	ck_assert_msg(stale_calls == 0, "the result called the allocator struct's functions as "
					"changed after egw_translate returned (%zu calls)", stale_calls);
	ck_assert_uint_eq(c.live, 0);
}
END_TEST

START_TEST(allocation_failure_sweep)
{
	egw_input in = input("m.yaml", full_manifest());
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	/* how many allocations a successful run makes */
	counter ok = { 0 };
	egw_allocator al = { count_malloc, count_free, &ok };
	o.allocator = &al;
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	egw_result_free(r);
	size_t total = ok.mallocs;
	ck_assert_uint_gt(total, 0);
	for (size_t n = 1; n <= total; n++) {
		counter c = { 0 };
		c.fail_at = (long)n;
		al.ud = &c;
		r = (egw_result *)&c;
		int rc = egw_translate(&r, &in, 1, &o);
		ck_assert_msg(rc == EGW_ENOMEM, "failing allocation %zu of %zu: rc %d", n, total, rc);
		ck_assert_ptr_null(r);
		ck_assert_msg(c.live == 0, "failing allocation %zu leaked %zu blocks", n, c.live);
	}
}
END_TEST

START_TEST(econfig_for_unusable_config)
{
	egw_input in = input("m.yaml", full_manifest());
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	const struct {
		const char *config;
		egw_diag_code code;
		unsigned line;
	} bad[] = {
		{ "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\n", EGW_D_INVALID, 2 },
		{ "gateway: [\n", EGW_D_SYNTAX, 2 },
		{ "- just a list\n", EGW_D_TYPE, 1 },
		{ "kind: EnvoyGateway\n---\nkind: EnvoyGateway\n", EGW_D_INVALID, 3 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		o.config = str(bad[i].config);
		egw_result *r = NULL;
		ck_assert_msg(egw_translate(&r, &in, 1, &o) == EGW_ECONFIG, "config %zu accepted", i);
		ck_assert_ptr_nonnull(r);
		egw_diagnostic d;
		ck_assert_msg(find_diag(r, bad[i].code, &d) >= 0, "config %zu: no diagnostic %d", i,
			      bad[i].code);
		ck_assert_uint_eq(d.input, 1); /* the config counts as the input after the last */
		ck_assert(str_eq(d.input_name, "<config>"));
		ck_assert_msg(d.line == bad[i].line, "config %zu: line %u", i, d.line);
		ck_assert_uint_eq(egw_result_fleet_count(r), 0);
		egw_result_free(r);
	}
	/* a usable one, as YAML and as JSON */
	const char *good[] = {
		"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
		"gateway: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n",
		"{\"apiVersion\": \"gateway.envoyproxy.io/v1alpha1\", \"kind\": \"EnvoyGateway\"}",
	};
	for (size_t i = 0; i < 2; i++) {
		o.config = str(good[i]);
		egw_result *r = NULL;
		ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
		egw_result_free(r);
	}
}
END_TEST

/* A rendering that runs out of memory fails with EGW_ENOMEM and leaves the
 * result as it was: later renderings give the same text as ever. */
START_TEST(render_out_of_memory)
{
	egw_input in = input("m.yaml", full_manifest());
	egw_gateway_infra gi = { S("web"), S("edge"), NULL, 0, 0 };
	const unsigned all = EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS;
	egw_result *ref = NULL;
	ck_assert_int_eq(egw_translate(&ref, &in, 1, NULL), EGW_OK);
	int ref_infra = egw_result_set_gateway_infra(ref, &gi);
	egw_str want;
	ck_assert_int_eq(egw_result_render(ref, all, 0, EGW_FORMAT_YAML, &want), EGW_OK);

	counter c = { 0 };
	egw_allocator al = { count_malloc, count_free, &c };
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = &al;
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &gi), ref_infra);
	int failures = 0;
	for (int k = 1; k <= 8; k++) {
		c.fail_at = (long)c.mallocs + k;
		egw_str out = { NULL, 0 };
		int rc = egw_result_render(r, all, 0, EGW_FORMAT_YAML, &out);
		if (rc == EGW_ENOMEM) {
			failures++;
		} else {
			ck_assert_int_eq(rc, EGW_OK);
			ck_assert_msg(!strcmp(out.data, want.data), "rendering %d differs", k);
		}
		c.fail_at = 0;
		ck_assert_int_eq(egw_result_render(r, all, 0, EGW_FORMAT_YAML, &out), EGW_OK);
		ck_assert_msg(!strcmp(out.data, want.data), "rendering after failure %d differs", k);
	}
	ck_assert_msg(failures > 0, "no rendering needed a new block: the test tests nothing");
	egw_result_free(r);
	ck_assert_uint_eq(c.live, 0);
	egw_result_free(ref);
}
END_TEST

/* ---- threads and determinism ---- */

typedef struct job {
	const char *text;
	int rounds;
	char *first; /* first rendering (malloc'd) */
	int mismatches, failures;
} job;

static void *translate_loop(void *p)
{
	job *j = p;
	for (int i = 0; i < j->rounds; i++) {
		egw_input in = input("t.yaml", j->text);
		egw_result *r = NULL;
		if (egw_translate(&r, &in, 1, NULL) != EGW_OK) {
			j->failures++;
			continue;
		}
		egw_str out;
		if (egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0,
				      EGW_FORMAT_JSON, &out) != EGW_OK) {
			j->failures++;
		} else if (!j->first) {
			j->first = strdup(out.data);
		} else if (strcmp(j->first, out.data)) {
			j->mismatches++;
		}
		egw_result_free(r);
	}
	return NULL;
}

START_TEST(two_threads_translate_at_once)
{
	static char other[8192];
	int order[NDOCS] = { 4, 3, 2, 1, 0 };
	job a = { full_manifest(), 25, NULL, 0, 0 };
	job b = { join(other, sizeof other, yaml_docs, order), 25, NULL, 0, 0 };
	pthread_t ta, tb;
	ck_assert_int_eq(pthread_create(&ta, NULL, translate_loop, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, translate_loop, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_int_eq(a.failures + b.failures, 0);
	ck_assert_int_eq(a.mismatches + b.mismatches, 0);
	ck_assert_ptr_nonnull(a.first);
	ck_assert_str_eq(a.first, b.first); /* and the two orders agree */
	free(a.first);
	free(b.first);
}
END_TEST

typedef struct reader {
	const egw_result *r;
	const char *want;
	int bad;
} reader;

static void *render_loop(void *p)
{
	reader *rd = p;
	for (int i = 0; i < 30; i++) {
		egw_str out;
		if (egw_result_render(rd->r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0,
				      EGW_FORMAT_YAML, &out) != EGW_OK ||
		    strcmp(out.data, rd->want))
			rd->bad++;
		for (size_t f = 0; f < egw_result_fleet_count(rd->r); f++) {
			egw_str x;
			if (egw_fleet_render_xds(egw_result_fleet(rd->r, f), 0, EGW_FORMAT_JSON, &x))
				rd->bad++;
		}
	}
	return NULL;
}

START_TEST(one_result_read_from_threads)
{
	egw_result *r = translate_text(full_manifest(), EGW_OK);
	egw_str want;
	ck_assert_int_eq(egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0,
					   EGW_FORMAT_YAML, &want),
			 0);
	char *copy = strdup(want.data);
	reader rd[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		rd[i] = (reader){ r, copy, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, render_loop, &rd[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(rd[i].bad, 0);
	}
	/* earlier views stay valid until egw_result_free */
	ck_assert_str_eq(want.data, copy);
	free(copy);
	egw_result_free(r);
}
END_TEST

/* Each thread asks for every status of one fresh result: each status's JSON
 * is rendered once (every thread gets the same view) and equals what a
 * result read from one thread gives. */
typedef struct status_reader {
	const egw_result *r;
	const char *seen[64];
	int bad;
} status_reader;

static void *status_loop(void *p)
{
	status_reader *sr = p;
	size_t n = egw_result_status_count(sr->r);
	for (size_t k = 0; k < n && k < 64; k++) {
		size_t i = (k * 7) % n; /* not all threads in the same order */
		egw_status s;
		if (egw_result_status(sr->r, i, &s) != EGW_OK || !s.status_json.data ||
		    s.status_json.data[0] != '{' || s.status_json.data[s.status_json.len] != 0)
			sr->bad++;
		else
			sr->seen[i] = s.status_json.data;
	}
	return NULL;
}

START_TEST(statuses_rendered_once_from_threads)
{
	egw_result *r = translate_text(full_manifest(), EGW_OK);
	egw_result *ref = translate_text(full_manifest(), EGW_OK);
	size_t n = egw_result_status_count(r);
	ck_assert_uint_gt(n, 1);
	ck_assert_uint_le(n, 64);
	status_reader sr[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		memset(&sr[i], 0, sizeof sr[i]);
		sr[i].r = r;
		ck_assert_int_eq(pthread_create(&t[i], NULL, status_loop, &sr[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(sr[i].bad, 0);
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 1; k < 4; k++)
			ck_assert_ptr_eq(sr[k].seen[i], sr[0].seen[i]);
		egw_status s;
		ck_assert_int_eq(egw_result_status(ref, i, &s), EGW_OK);
		ck_assert_str_eq(sr[0].seen[i], s.status_json.data);
	}
	egw_result_free(ref);
	egw_result_free(r);
}
END_TEST

typedef struct snapshot {
	char *render;
	size_t n_fleets;
	uint64_t versions[16];
	char names[16][128];
} snapshot;

static void take(snapshot *s, const egw_input *ins, size_t n)
{
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, ins, n, NULL), EGW_OK);
	egw_str out;
	ck_assert_int_eq(egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0,
					   EGW_FORMAT_JSON, &out),
			 0);
	s->render = strdup(out.data);
	s->n_fleets = egw_result_fleet_count(r);
	ck_assert_uint_le(s->n_fleets, 16);
	for (size_t i = 0; i < s->n_fleets; i++) {
		const egw_fleet *f = egw_result_fleet(r, i);
		s->versions[i] = egw_fleet_version(f);
		snprintf(s->names[i], sizeof s->names[i], "%s", egw_fleet_name(f).data);
	}
	egw_result_free(r);
}

static void same(const snapshot *a, const snapshot *b, const char *what)
{
	ck_assert_msg(!strcmp(a->render, b->render), "%s: rendering differs", what);
	ck_assert_uint_eq(a->n_fleets, b->n_fleets);
	for (size_t i = 0; i < a->n_fleets; i++) {
		ck_assert_str_eq(a->names[i], b->names[i]);
		ck_assert_msg(a->versions[i] == b->versions[i], "%s: fleet %s version differs", what,
			      a->names[i]);
	}
}

START_TEST(determinism_order_and_format)
{
	static char text[8192];
	snapshot ref;
	egw_input in = input("m.yaml", join(text, sizeof text, yaml_docs, NULL));
	take(&ref, &in, 1);
	/* every order of the five documents, as YAML and as JSON */
	int idx[NDOCS] = { 0, 1, 2, 3, 4 };
	int perms = 0;
	for (;;) {
		snapshot s;
		in = input("m.yaml", join(text, sizeof text, yaml_docs, idx));
		take(&s, &in, 1);
		same(&ref, &s, "shuffled YAML");
		free(s.render);
		in = input("m.json", join(text, sizeof text, json_docs, idx));
		take(&s, &in, 1);
		same(&ref, &s, "shuffled JSON");
		free(s.render);
		perms++;
		int i = NDOCS - 2;
		while (i >= 0 && idx[i] > idx[i + 1])
			i--;
		if (i < 0)
			break;
		int j = NDOCS - 1;
		while (idx[j] < idx[i])
			j--;
		int t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
		for (int x = i + 1, y = NDOCS - 1; x < y; x++, y--) {
			t = idx[x];
			idx[x] = idx[y];
			idx[y] = t;
		}
	}
	ck_assert_int_eq(perms, 120);
	/* one document per input buffer, JSON and YAML mixed */
	egw_input ins[NDOCS];
	for (int i = 0; i < NDOCS; i++)
		ins[i] = input(i % 2 ? "x.json" : "x.yaml", i % 2 ? json_docs[NDOCS - 1 - i] : yaml_docs[NDOCS - 1 - i]);
	snapshot s;
	take(&s, ins, NDOCS);
	same(&ref, &s, "one buffer per document");
	free(s.render);
	/* a kind: List of the JSON documents */
	char list[8192];
	size_t k = (size_t)snprintf(list, sizeof list, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
	for (int i = NDOCS - 1; i >= 0; i--)
		k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i == NDOCS - 1 ? "" : ",", json_docs[i]);
	snprintf(list + k, sizeof list - k, "]}");
	in = input("list.json", list);
	take(&s, &in, 1);
	same(&ref, &s, "kind: List");
	free(s.render);
	free(ref.render);
}
END_TEST

/* ---- parse once, translate many ---- */

static char *render_all(const egw_result *r)
{
	egw_str out;
	ck_assert_int_eq(egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0,
					   EGW_FORMAT_JSON, &out),
			 EGW_OK);
	return strdup(out.data);
}

/* The diagnostics of r as text, one per line. */
static char *diag_text(const egw_result *r)
{
	size_t cap = 4096, k = 0;
	char *buf = malloc(cap);
	buf[0] = 0;
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		egw_result_diagnostic(r, i, &d);
		char line[1024];
		int n = snprintf(line, sizeof line, "%d %d %zu %s %u:%u %s [%s %s %s]\n", d.code,
				 d.severity, d.input, d.input_name.data, d.line, d.column, d.message.data,
				 d.kind.data, d.namespace_.data, d.name.data);
		while (k + (size_t)n + 1 > cap)
			buf = realloc(buf, cap *= 2);
		memcpy(buf + k, line, (size_t)n + 1);
		k += (size_t)n;
	}
	return buf;
}

/* Translations from one egw_documents reuse the huge blocks of results
 * already freed (memory a translation leaves dirty): each must still be
 * byte for byte what a fresh translation of the text gives.  Two thousand
 * routes take each result well past the size where blocks are kept. */
static char *many_routes(int n)
{
	size_t cap = (size_t)n * 700 + 1024, k = 0;
	char *t = malloc(cap);
	k += (size_t)snprintf(t + k, cap - k,
			      "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
			      "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\n"
			      "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: web}\n"
			      "spec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n");
	for (int i = 0; i < n; i++)
		k += (size_t)snprintf(t + k, cap - k,
				      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
				      "metadata: {name: r%d, namespace: web}\nspec:\n  parentRefs: [{name: gw}]\n"
				      "  hostnames: [\"h%d.example.com\"]\n  rules:\n  - backendRefs: [{name: s%d, port: 80}]\n"
				      "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: web}\n"
				      "spec: {clusterIP: 10.0.%d.%d, ports: [{name: http, port: 80}]}\n",
				      i, i, i, i, i / 250, i % 250 + 1);
	ck_assert_uint_lt(k, cap);
	return t;
}

START_TEST(retranslation_reuses_memory_cleanly)
{
	char *text = many_routes(2000);
	egw_input in = input("routes.yaml", text);
	egw_result *direct = NULL;
	ck_assert_int_eq(egw_translate(&direct, &in, 1, NULL), EGW_OK);
	ck_assert_uint_eq(egw_result_diagnostic_count(direct), 0);
	char *want = render_all(direct);
	egw_documents *docs = NULL;
	ck_assert_int_eq(egw_parse(&docs, &in, 1, NULL), EGW_OK);
	egw_result *prev = NULL;
	for (int i = 0; i < 4; i++) {
		egw_result *r = NULL;
		ck_assert_int_eq(egw_translate_documents(&r, docs, NULL), EGW_OK);
		char *got = render_all(r);
		ck_assert_msg(strcmp(got, want) == 0, "translation %d differs", i);
		for (size_t f = 0; f < egw_result_fleet_count(r); f++)
			ck_assert(egw_fleet_version(egw_result_fleet(r, f)) ==
				  egw_fleet_version(egw_result_fleet(direct, f)));
		free(got);
		/* the second keeps the first alive meanwhile (a host diffing the
		 * two); the others come after the one before was freed */
		if (i != 1)
			egw_result_free(prev);
		else
			egw_result_free(r), r = prev;
		prev = r;
	}
	egw_documents_free(docs); /* before the last result: it holds them */
	char *last = render_all(prev);
	ck_assert_str_eq(last, want);
	free(last);
	egw_result_free(prev);
	egw_result_free(direct);
	free(want);
	free(text);
}
END_TEST

START_TEST(parse_once_translate_many)
{
	ck_assert_uint_eq(egw_documents_count(NULL), 0);
	egw_documents_free(NULL); /* a no-op */
	egw_documents *docs = (egw_documents *)&docs;
	egw_input in = input("x", yaml_docs[0]);
	ck_assert_int_eq(egw_parse(NULL, &in, 1, NULL), EGW_EINVAL);
	ck_assert_int_eq(egw_parse(&docs, NULL, 1, NULL), EGW_EINVAL);
	ck_assert_ptr_null(docs);
	egw_input nodata = { S("n"), { NULL, 3 } };
	docs = (egw_documents *)&docs;
	ck_assert_int_eq(egw_parse(&docs, &nodata, 1, NULL), EGW_EINVAL);
	ck_assert_ptr_null(docs);
	egw_options bad;
	egw_options_init(&bad, EGW_OPTIONS_VERSION);
	bad.version = 7;
	ck_assert_int_eq(egw_parse(&docs, &in, 1, &bad), EGW_EVERSION);
	ck_assert_ptr_null(docs);
	egw_result *r = (egw_result *)&r;
	ck_assert_int_eq(egw_translate_documents(&r, NULL, NULL), EGW_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(egw_translate_documents(NULL, NULL, NULL), EGW_EINVAL);

	/* inputs in host buffers that are gone after egw_parse */
	static char text[8192];
	join(text, sizeof text, yaml_docs, NULL);
	char *extra = strdup("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: web}\n---\n"
			     "broken: [\n");
	char *copy = strdup(text);
	egw_input ins[2] = { input("m.yaml", copy), input("extra.yaml", extra) };
	ck_assert_int_eq(egw_parse(&docs, ins, 2, NULL), EGW_OK);
	ck_assert_ptr_nonnull(docs);
	ck_assert_uint_eq(egw_documents_count(docs), NDOCS + 1);
	egw_result *direct = NULL;
	ck_assert_int_eq(egw_translate(&direct, ins, 2, NULL), EGW_OK);
	memset(copy, 'x', strlen(copy));
	memset(extra, 'x', strlen(extra));
	free(copy);
	free(extra);
	char *want = render_all(direct), *want_diags = diag_text(direct);
	ck_assert_uint_eq(count_diag(direct, EGW_D_SYNTAX), 1);
	for (int i = 0; i < 3; i++) {
		r = NULL;
		ck_assert_int_eq(egw_translate_documents(&r, docs, NULL), EGW_OK);
		char *got = render_all(r), *got_diags = diag_text(r);
		ck_assert_str_eq(got, want);
		ck_assert_str_eq(got_diags, want_diags); /* parse diagnostics in every result */
		ck_assert_uint_eq(egw_result_fleet_count(r), egw_result_fleet_count(direct));
		for (size_t f = 0; f < egw_result_fleet_count(r); f++)
			ck_assert(egw_fleet_version(egw_result_fleet(r, f)) ==
				  egw_fleet_version(egw_result_fleet(direct, f)));
		free(got);
		free(got_diags);
		egw_result_free(r);
	}
	free(want);
	free(want_diags);
	egw_result_free(direct);
	egw_documents_free(docs);

	/* limits and unreadable input surface at translation, as egw_translate's */
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.limits.max_input_bytes = 16;
	egw_input big = input("big.yaml", yaml_docs[1]);
	ck_assert_int_eq(egw_parse(&docs, &big, 1, &o), EGW_OK);
	r = NULL;
	ck_assert_int_eq(egw_translate_documents(&r, docs, NULL), EGW_ELIMIT);
	ck_assert_ptr_nonnull(r);
	ck_assert(find_diag(r, EGW_D_LIMIT, NULL) >= 0);
	egw_result_free(r);
	egw_documents_free(docs);
	egw_input junk = input("junk.yaml", "a: [\n");
	ck_assert_int_eq(egw_parse(&docs, &junk, 1, NULL), EGW_OK);
	ck_assert_uint_eq(egw_documents_count(docs), 0);
	r = NULL;
	ck_assert_int_eq(egw_translate_documents(&r, docs, NULL), EGW_EPARSE);
	ck_assert_ptr_nonnull(r);
	egw_result_free(r);
	egw_documents_free(docs);
	/* kind: List is counted as one document */
	egw_input list = input("l.json", "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{},{}]}");
	ck_assert_int_eq(egw_parse(&docs, &list, 1, NULL), EGW_OK);
	ck_assert_uint_eq(egw_documents_count(docs), 1);
	egw_documents_free(docs);
}
END_TEST

typedef struct doc_job {
	const egw_documents *docs;
	const char *want;
	int bad;
} doc_job;

static void *translate_docs_loop(void *p)
{
	doc_job *j = p;
	for (int i = 0; i < 20; i++) {
		egw_result *r = NULL;
		if (egw_translate_documents(&r, j->docs, NULL) != EGW_OK) {
			j->bad++;
			continue;
		}
		egw_str out;
		if (egw_result_render(r, EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS, 0,
				      EGW_FORMAT_JSON, &out) != EGW_OK ||
		    strcmp(out.data, j->want))
			j->bad++;
		egw_result_free(r);
	}
	return NULL;
}

START_TEST(documents_shared_by_threads)
{
	counter c = { 0 };
	egw_allocator al = { count_malloc, count_free, &c };
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = &al;
	egw_input in = input("m.yaml", full_manifest());
	egw_documents *docs = NULL;
	ck_assert_int_eq(egw_parse(&docs, &in, 1, &o), EGW_OK);
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, NULL), EGW_OK);
	char *want = render_all(r);
	egw_result_free(r);
	doc_job jobs[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		jobs[i] = (doc_job){ docs, want, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, translate_docs_loop, &jobs[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(jobs[i].bad, 0);
	}
	free(want);
	ck_assert_uint_gt(c.live, 0);
	egw_documents_free(docs);
	ck_assert_uint_eq(c.live, 0); /* the documents' memory came from their allocator */
	ck_assert_uint_eq(c.mallocs, c.frees);
}
END_TEST

/* Translations from parsed documents read them in place: every stage that
 * fills something in (the namespace of an object without one, CRD defaults,
 * missing ClusterIPs and controller names, an EnvoyProxy's Go-style keys)
 * works on a copy of that object.  The node functions assert that nothing
 * changes the frozen documents, so this input, which takes each of those
 * paths, aborts a debug build if one of them forgets to copy.  Only the
 * HTTPRoute lacks a namespace: the others reach the later copies. */
static const char cow_manifest[] =
	"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
	"metadata: {name: eg}\n"
	"spec:\n  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy, namespace: web}\n"
	"---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\n"
	"metadata: {name: proxy, namespace: web}\n"
	"spec:\n  Logging:\n    Level: {default: warn}\n"
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
	"metadata: {name: edge, namespace: web}\n"
	"spec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n"
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
	"metadata: {name: r}\n"
	"spec:\n  parentRefs: [{name: edge}]\n  rules:\n  - backendRefs: [{name: svc, port: 8080}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: web}\n"
	"spec:\n  ports: [{port: 8080}]\n";

/* An EnvoyProxy's Go-style keys are lower-cased in full, a NUL inside one
 * included (an ASan build also sees that nothing past the key is read). */
START_TEST(envoyproxy_key_with_nul)
{
	static const char doc[] =
		"{\"apiVersion\": \"gateway.networking.k8s.io/v1\", \"kind\": \"GatewayClass\",\n"
		" \"metadata\": {\"name\": \"eg\"}, \"spec\": {\"controllerName\": "
		"\"gateway.envoyproxy.io/gatewayclass-controller\", \"parametersRef\": {\"group\": "
		"\"gateway.envoyproxy.io\", \"kind\": \"EnvoyProxy\", \"name\": \"proxy\", "
		"\"namespace\": \"web\"}}}\n"
		"---\n"
		"{\"apiVersion\": \"gateway.envoyproxy.io/v1alpha1\", \"kind\": \"EnvoyProxy\",\n"
		" \"metadata\": {\"name\": \"proxy\", \"namespace\": \"web\"},\n"
		" \"spec\": {\"Logging\": {\"Xy\\u0000zzzz\": 1}}}\n";
	egw_input in = input("nul.json", doc);
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, NULL), EGW_OK);
	char *got = render_all(r);
	ck_assert_msg(strstr(got, "\"xy\\u0000zzzz\": 1") != NULL, "%s", got);
	free(got);
	egw_result_free(r);
}
END_TEST

START_TEST(documents_read_in_place)
{
	counter c = { 0 };
	egw_allocator al = { count_malloc, count_free, &c };
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.crd_defaults = 1;
	o.add_missing_resources = 1;
	o.default_namespace = S("web");
	o.service_routing = 1;
	egw_input in = input("cow.yaml", cow_manifest);
	egw_result *direct = NULL;
	ck_assert_int_eq(egw_translate(&direct, &in, 1, &o), EGW_OK);
	char *want = render_all(direct);
	egw_result_free(direct);
	/* what the copies are for is in the output */
	ck_assert_ptr_nonnull(strstr(want, "\"namespace\": \"web\""));
	ck_assert_ptr_nonnull(strstr(want, "\"from\": \"Same\""));
	ck_assert_ptr_nonnull(strstr(want, "\"controllerName\""));
	ck_assert_ptr_nonnull(strstr(want, "\"1.2.3.4\"")); /* the stand-in ClusterIP */
	ck_assert_ptr_nonnull(strstr(want, "\"logging\""));
	ck_assert_ptr_null(strstr(want, "\"Logging\""));

	egw_options po = o;
	po.allocator = &al;
	egw_documents *docs = NULL;
	ck_assert_int_eq(egw_parse(&docs, &in, 1, &po), EGW_OK);
	egw_result *r[2] = { NULL, NULL };
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(egw_translate_documents(&r[i], docs, &o), EGW_OK);
		char *got = render_all(r[i]);
		ck_assert_str_eq(got, want); /* the first translation left nothing behind */
		free(got);
	}
	/* the results hold the documents: the host's handle may go first */
	egw_documents_free(docs);
	ck_assert_uint_gt(c.live, 0);
	for (int i = 0; i < 2; i++) {
		char *got = render_all(r[i]);
		ck_assert_str_eq(got, want);
		free(got);
		egw_result_free(r[i]);
		if (i == 0)
			ck_assert_uint_gt(c.live, 0);
	}
	ck_assert_uint_eq(c.live, 0); /* gone with the last result */
	ck_assert_uint_eq(c.mallocs, c.frees);
	free(want);
}
END_TEST

/* ---- translation-level (depend on the IR and xds stages) ---- */

static const egw_fleet *the_fleet(const egw_result *r)
{
	ck_assert_uint_eq(egw_result_fleet_count(r), 1);
	const egw_fleet *f = egw_result_fleet(r, 0);
	ck_assert(str_eq(egw_fleet_name(f), "web/edge"));
	ck_assert_ptr_eq(egw_result_fleet_by_name(r, S("web/edge")), f);
	return f;
}

START_TEST(translation_fleet_resources)
{
	egw_result *r = translate_text(full_manifest(), EGW_OK);
	if (egw_result_diagnostic_count(r))
		dump_diags(r);
	ck_assert_uint_eq(egw_result_diagnostic_count(r), 0);
	const egw_fleet *f = the_fleet(r);
	ck_assert_uint_eq(egw_fleet_error(f).len, 0);
	/* the readiness listener and one HTTP listener on 10080 (80 + 10000:
	 * the proxy runs unprivileged), one route configuration, one cluster,
	 * one load assignment */
	ck_assert_uint_eq(egw_fleet_resource_count(f, EGW_XDS_LISTENER), 2);
	ck_assert_uint_eq(egw_fleet_resource_count(f, EGW_XDS_ROUTE), 1);
	ck_assert_uint_eq(egw_fleet_resource_count(f, EGW_XDS_CLUSTER), 1);
	ck_assert_uint_eq(egw_fleet_resource_count(f, EGW_XDS_ENDPOINT), 1);
	ck_assert_uint_eq(egw_fleet_resource_count(f, EGW_XDS_SECRET), 0);
	egw_resource res;
	ck_assert_int_eq(egw_fleet_resource(f, EGW_XDS_LISTENER, 0, &res), EGW_OK);
	ck_assert(str_eq(res.name, "envoy-gateway-proxy-ready-0.0.0.0-19003"));
	ck_assert_int_eq(egw_fleet_resource(f, EGW_XDS_LISTENER, 1, &res), EGW_OK);
	ck_assert(str_eq(res.name, "web/edge/http")); /* sorted by name */
	ck_assert(str_eq(res.type_url, "type.googleapis.com/envoy.config.listener.v3.Listener"));
	ck_assert_uint_gt(res.proto.len, 0);
	ck_assert_int_eq(egw_fleet_resource(f, EGW_XDS_CLUSTER, 0, &res), EGW_OK);
	ck_assert(str_eq(res.name, "httproute/web/app/rule/0"));
	ck_assert(str_eq(res.type_url, "type.googleapis.com/envoy.config.cluster.v3.Cluster"));
	ck_assert_int_eq(egw_fleet_resource(f, EGW_XDS_ENDPOINT, 0, &res), EGW_OK);
	ck_assert(str_eq(res.name, "httproute/web/app/rule/0"));
	ck_assert_int_eq(egw_fleet_resource(f, EGW_XDS_ROUTE, 0, &res), EGW_OK);
	ck_assert(str_eq(res.name, "web/edge/http"));
	ck_assert_int_eq(egw_fleet_resource(f, EGW_XDS_ROUTE, 1, &res), EGW_ENOTFOUND);
	ck_assert_int_eq(egw_fleet_resource(f, (egw_xds_type)99, 0, &res), EGW_ENOTFOUND);
	ck_assert_uint_eq(egw_fleet_resource_count(f, (egw_xds_type)99), 0);
	/* the fleet's xDS rendering carries the endpoint and the route */
	egw_str x;
	ck_assert_int_eq(egw_fleet_render_xds(f, 0, EGW_FORMAT_JSON, &x), 0);
	ck_assert(contains(x, "10.244.1.5"));
	ck_assert(contains(x, "\"portValue\": 10080"));
	ck_assert(contains(x, "app.example.com"));
	ck_assert_int_eq(egw_fleet_render_xds(f, 1u << EGW_XDS_CLUSTER, EGW_FORMAT_JSON, &x), 0);
	ck_assert(!contains(x, "10.244.1.5"));
	ck_assert(contains(x, "\"clusters\""));
	ck_assert_int_eq(egw_fleet_render_xds_ir(f, EGW_FORMAT_YAML, &x), 0);
	ck_assert(contains(x, "app.example.com"));
	ck_assert_int_eq(egw_fleet_render_infra_ir(f, EGW_FORMAT_JSON, &x), 0);
	ck_assert_int_eq(egw_fleet_render_ratelimit(f, EGW_FORMAT_JSON, &x), 0);
	ck_assert(egw_fleet_version(f) != 0);
	egw_result_free(r);
}
END_TEST

/* Each resource's version is the xxh64 of its bytes, and the fleet's is
 * the xxh64 of the text egw.h describes, which a host can rebuild from the
 * resources it kept (the library writes that text without printf). */
START_TEST(snapshot_version_as_documented)
{
	egw_result *r = translate_text(full_manifest(), EGW_OK);
	const egw_fleet *f = the_fleet(r);
	char text[8192];
	size_t n = 0, count = 0;
	for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++) {
		for (size_t i = 0; i < egw_fleet_resource_count(f, (egw_xds_type)t); i++) {
			egw_resource res;
			ck_assert_int_eq(egw_fleet_resource(f, (egw_xds_type)t, i, &res), EGW_OK);
			ck_assert(res.version == XXH64(res.proto.data, res.proto.len, 0));
			n += (size_t)snprintf(text + n, sizeof text - n, "%d/%.*s/%016llx\n", t,
					      (int)res.name.len, res.name.data, (unsigned long long)res.version);
			ck_assert_uint_lt(n, sizeof text);
			count++;
		}
	}
	ck_assert_uint_ge(count, 4);
	ck_assert(egw_fleet_version(f) == XXH64(text, n, 0));
	egw_result_free(r);
}
END_TEST

/* The Gateway's status as JSON, from the flat status list. */
static egw_str gateway_status(const egw_result *r)
{
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_status s;
		ck_assert_int_eq(egw_result_status(r, i, &s), EGW_OK);
		if (str_eq(s.kind, "Gateway") && str_eq(s.namespace_, "web") && str_eq(s.name, "edge"))
			return s.status_json;
	}
	ck_abort_msg("no status for Gateway web/edge");
	return (egw_str){ NULL, 0 };
}

/* A GatewayClass, Gateway web/edge (HTTP on 80) and the start of HTTPRoute
 * web/r's first rule: the tests below add its backendRefs and the rest. */
#define EDGE_AND_ROUTE_R                                                                              \
	"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"            \
	"spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"                          \
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: web}\n" \
	"spec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n"       \
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: web}\n" \
	"spec:\n  parentRefs: [{name: edge}]\n  rules:\n"

/* Translates text under a configuration that enables the Backend API. */
static egw_result *translate_backend_enabled(const char *text)
{
	static const char config[] = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
				     "extensionApis: {enableBackend: true}\n";
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.config.data = config;
	o.config.len = sizeof config - 1;
	egw_input in = input("manifest.yaml", text);
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	return r;
}

/* An EnvoyProxy whose backendTLS client certificate cannot be used refuses
 * the TLS backends it would apply to, as Envoy Gateway does: the route
 * says why (ResolvedRefs InvalidBackendTLS) and gets a 500. */
static char *client_cert_manifest(const char *ref)
{
	static char buf[4096];
	snprintf(buf, sizeof buf,
		 "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
		 "spec:\n  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n"
		 "  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy, namespace: infra}\n"
		 "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyProxy\n"
		 "metadata: {name: proxy, namespace: infra}\n"
		 "spec:\n  backendTLS:\n    clientCertificateRef: %s\n"
		 "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: web}\n"
		 "spec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n"
		 "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: web}\n"
		 "spec:\n  parentRefs: [{name: edge}]\n  rules:\n  - backendRefs: [{name: tls-svc, port: 443}]\n"
		 "---\napiVersion: v1\nkind: Service\nmetadata: {name: tls-svc, namespace: web}\n"
		 "spec: {clusterIP: 10.0.0.9, ports: [{name: https, port: 443}]}\n"
		 "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		 "metadata: {name: tls-svc, namespace: web, labels: {kubernetes.io/service-name: tls-svc}}\n"
		 "addressType: IPv4\nports: [{name: https, port: 443}]\nendpoints: [{addresses: [10.1.1.1]}]\n"
		 "---\napiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: tls, namespace: web}\n"
		 "spec:\n  targetRefs: [{group: '', kind: Service, name: tls-svc}]\n"
		 "  validation: {wellKnownCACertificates: System, hostname: backend.example}\n",
		 ref);
	return buf;
}

/* The status JSON of the object kind/name, or NULL. */
static const char *status_of(const egw_result *r, const char *kind, const char *name)
{
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_status s;
		ck_assert_int_eq(egw_result_status(r, i, &s), EGW_OK);
		if (str_eq(s.kind, kind) && str_eq(s.name, name))
			return s.status_json.data;
	}
	return NULL;
}

static const char *route_status(const egw_result *r)
{
	return status_of(r, "HTTPRoute", "r");
}

/* A backend's BackendTLSPolicy is the oldest one in its namespace that
 * targets it by kind and name, whatever the document order; a younger one
 * is reported as conflicting, and policies of another namespace or naming
 * another kind are not the backend's. */
START_TEST(backend_tls_policy_lookup)
{
	static const char *const docs[] = {
		"apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
		"metadata: {name: young, namespace: web, creationTimestamp: '2024-06-01T00:00:00Z'}\n"
		"spec:\n  targetRefs: [{group: '', kind: Service, name: tls-svc}]\n"
		"  validation: {wellKnownCACertificates: System, hostname: young.example}\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
		"metadata: {name: elsewhere, namespace: other, creationTimestamp: '2023-01-01T00:00:00Z'}\n"
		"spec:\n  targetRefs: [{group: '', kind: Service, name: tls-svc}]\n"
		"  validation: {wellKnownCACertificates: System, hostname: elsewhere.example}\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
		"metadata: {name: other-kind, namespace: web, creationTimestamp: '2023-01-01T00:00:00Z'}\n"
		"spec:\n  targetRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: tls-svc}]\n"
		"  validation: {wellKnownCACertificates: System, hostname: backend.example}\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
		"spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: web}\n"
		"spec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: web}\n"
		"spec:\n  parentRefs: [{name: edge}]\n  rules:\n  - backendRefs: [{name: tls-svc, port: 443}]\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: tls-svc, namespace: web}\n"
		"spec: {clusterIP: 10.0.0.9, ports: [{name: https, port: 443}]}\n",
		"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: tls-svc, namespace: web, labels: {kubernetes.io/service-name: tls-svc}}\n"
		"addressType: IPv4\nports: [{name: https, port: 443}]\nendpoints: [{addresses: [10.1.1.1]}]\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
		"metadata: {name: old, namespace: web, creationTimestamp: '2024-01-01T00:00:00Z'}\n"
		"spec:\n  targetRefs: [{group: '', kind: Service, name: tls-svc}]\n"
		"  validation: {wellKnownCACertificates: System, hostname: old.example}\n",
	};
	char text[8192];
	size_t k = 0;
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
		k += (size_t)snprintf(text + k, sizeof text - k, "---\n%s", docs[i]);
	ck_assert_uint_lt(k, sizeof text);
	egw_result *r = translate_text(text, EGW_OK);
	egw_str x;
	ck_assert_int_eq(egw_fleet_render_xds(egw_result_fleet(r, 0), 0, EGW_FORMAT_JSON, &x), EGW_OK);
	ck_assert_msg(strstr(x.data, "\"sni\": \"old.example\""), "%s", x.data);
	ck_assert_ptr_null(strstr(x.data, "young.example"));
	ck_assert_ptr_null(strstr(x.data, "elsewhere.example"));
	ck_assert_ptr_null(strstr(x.data, "backend.example"));
	const char *old = status_of(r, "BackendTLSPolicy", "old");
	const char *young = status_of(r, "BackendTLSPolicy", "young");
	ck_assert_msg(old && strstr(old, "\"reason\":\"Accepted\""), "%s", old);
	ck_assert_msg(young && strstr(young, "\"reason\":\"Conflicted\"") &&
			      strstr(young, "Policy conflicts with BackendTLSPolicy web/old."),
		      "%s", young);
	const char *elsewhere = status_of(r, "BackendTLSPolicy", "elsewhere");
	const char *other_kind = status_of(r, "BackendTLSPolicy", "other-kind");
	ck_assert_msg(!elsewhere || !strstr(elsewhere, "ancestorRef"), "%s", elsewhere);
	ck_assert_msg(!other_kind || !strstr(other_kind, "ancestorRef"), "%s", other_kind);
	egw_result_free(r);
}
END_TEST

START_TEST(proxy_client_certificate_refusals)
{
	egw_result *r = translate_text(client_cert_manifest("{name: missing}"), EGW_OK);
	const char *st = route_status(r);
	ck_assert_msg(st && strstr(st, "\"reason\":\"InvalidBackendTLS\"") &&
			      strstr(st, "failed to locate TLS secret for client auth: infra/missing specified in "
					 "EnvoyProxy infra/proxy"),
		      "%s", st);
	egw_str ir;
	ck_assert_int_eq(egw_fleet_render_xds_ir(egw_result_fleet(r, 0), EGW_FORMAT_JSON, &ir), EGW_OK);
	ck_assert_ptr_nonnull(strstr(ir.data, "\"statusCode\": 500"));
	egw_result_free(r);

	/* a Backend's own client certificate, by the same rules */
	static const char backend_manifest[] =
		"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
		"spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
		"---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: web}\n"
		"spec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n"
		"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: web}\n"
		"spec:\n  parentRefs: [{name: edge}]\n  rules:\n"
		"  - backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: be, port: 443}]\n"
		"---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: be, namespace: web}\n"
		"spec:\n  endpoints: [{fqdn: {hostname: be.example, port: 443}}]\n"
		"  tls: {insecureSkipVerify: true, clientCertificateRef: {name: missing}}\n";
	r = translate_backend_enabled(backend_manifest);
	st = route_status(r);
	ck_assert_msg(st && strstr(st, "failed to locate TLS secret for client auth: web/missing specified in "
				       "Backend web/be"),
		      "%s", st);
	egw_result_free(r);

	r = translate_text(client_cert_manifest("{name: cert, namespace: elsewhere}"), EGW_OK);
	st = route_status(r);
	ck_assert_msg(st && strstr(st, "ClientCertificateRef Secret is not located in the same namespace as "
				       "EnvoyProxy. Secret namespace: elsewhere does not match EnvoyProxy namespace: infra"),
		      "%s", st);
	egw_result_free(r);
}
END_TEST

/* An ext proc service's authority names its backendRef (name.namespace,
 * and the port when the ref gives one), even for a Backend with an FQDN
 * endpoint; ext auth names the FQDN instead (conformance covers that). */
START_TEST(ext_proc_authority)
{
	static const char manifest[] =
		EDGE_AND_ROUTE_R
		"  - backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: app, port: 8080}]\n"
		"---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: app, namespace: web}\n"
		"spec: {endpoints: [{fqdn: {hostname: app.example, port: 8080}}]}\n"
		"---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: proc, namespace: web}\n"
		"spec: {endpoints: [{fqdn: {hostname: proc.example, port: 9090}}]}\n"
		"---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\n"
		"metadata: {name: p, namespace: web}\n"
		"spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n"
		"  extProc: [{backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: proc, port: 9090}]}]\n";
	egw_result *r = translate_backend_enabled(manifest);
	egw_str ir;
	ck_assert_int_eq(egw_fleet_render_xds_ir(egw_result_fleet(r, 0), EGW_FORMAT_JSON, &ir), EGW_OK);
	ck_assert_msg(strstr(ir.data, "\"authority\": \"proc.web:9090\"") != NULL, "%.2000s", ir.data);
	egw_result_free(r);
}
END_TEST

/* Ext auth context extensions: an inline value and one read from a
 * ConfigMap key reach the route's ext_authz settings; IR renderings
 * redact their values. */
START_TEST(ext_auth_context_extensions)
{
	static const char manifest[] =
		EDGE_AND_ROUTE_R
		"  - backendRefs: [{name: app, port: 80}]\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: web}\n"
		"spec: {clusterIP: 10.0.0.1, ports: [{port: 80}]}\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: authz, namespace: web}\n"
		"spec: {clusterIP: 10.0.0.2, ports: [{port: 9000}]}\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: authz, namespace: web, labels: {kubernetes.io/service-name: authz}}\n"
		"addressType: IPv4\nports: [{port: 9000}]\nendpoints: [{addresses: [10.1.1.2]}]\n"
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ctx, namespace: web}\ndata: {tenant: blue-team}\n"
		"---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: sp, namespace: web}\n"
		"spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n"
		"  extAuth:\n    http: {backendRefs: [{name: authz, port: 9000}]}\n"
		"    contextExtensions:\n"
		"    - {name: inline, type: Value, value: plain-text}\n"
		"    - {name: fromcm, type: ValueRef, valueRef: {kind: ConfigMap, name: ctx, key: tenant}}\n";
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.service_routing = 1;
	egw_input in = input("m.yaml", manifest);
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	const egw_fleet *f = egw_result_fleet(r, 0);
	egw_str x;
	ck_assert_int_eq(egw_fleet_render_xds(f, 1u << EGW_XDS_ROUTE, EGW_FORMAT_JSON, &x), EGW_OK);
	ck_assert_msg(strstr(x.data, "\"inline\": \"plain-text\"") && strstr(x.data, "\"fromcm\": \"blue-team\""),
		      "%.3000s", x.data);
	/* with service routing the ext auth service is reached at its
	 * ClusterIP too, not through its EndpointSlice */
	ck_assert_int_eq(egw_fleet_render_xds(f, 1u << EGW_XDS_ENDPOINT, EGW_FORMAT_JSON, &x), EGW_OK);
	ck_assert_msg(strstr(x.data, "10.0.0.2") && !strstr(x.data, "10.1.1.2"), "%.3000s", x.data);
	ck_assert_int_eq(egw_fleet_render_xds_ir(f, EGW_FORMAT_JSON, &x), EGW_OK);
	ck_assert_ptr_null(strstr(x.data, "plain-text"));
	ck_assert_ptr_null(strstr(x.data, "Ymx1ZS10ZWFt")); /* base64 of blue-team */
	ck_assert_ptr_nonnull(strstr(x.data, "\"[redacted]\""));
	egw_result_free(r);
}
END_TEST

START_TEST(translation_statuses)
{
	egw_result *r = translate_text(full_manifest(), EGW_OK);
	/* GatewayClass, Gateway, HTTPRoute carry statuses, sorted by kind */
	ck_assert_uint_ge(egw_result_status_count(r), 3);
	egw_status s;
	ck_assert_int_eq(egw_result_status(r, 0, &s), EGW_OK);
	ck_assert(str_eq(s.kind, "GatewayClass"));
	ck_assert(str_eq(s.name, "eg"));
	ck_assert(str_eq(s.api_version, "gateway.networking.k8s.io/v1"));
	ck_assert(contains(s.status_json, "\"type\":\"Accepted\",\"status\":\"True\""));
	ck_assert(contains(gateway_status(r), "\"attachedRoutes\":1"));
	bool route = false;
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_result_status(r, i, &s);
		if (str_eq(s.kind, "HTTPRoute")) {
			route = true;
			ck_assert(contains(s.status_json, "\"type\":\"Accepted\",\"status\":\"True\""));
			ck_assert(contains(s.status_json, "\"type\":\"ResolvedRefs\",\"status\":\"True\""));
		}
	}
	ck_assert(route);
	egw_result_free(r);
}
END_TEST

START_TEST(translation_set_gateway_infra)
{
	egw_result *r = translate_text(full_manifest(), EGW_OK);
	egw_str addrs[2] = { S("203.0.113.7"), S("cafe.de") };
	egw_gateway_infra gi = { S("web"), S("edge"), addrs, 2, 1 };
	/* not found: wrong name, wrong namespace */
	egw_gateway_infra other = gi;
	other.name = S("nope");
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &other), EGW_ENOTFOUND);
	other = gi;
	other.namespace_ = S("elsewhere");
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &other), EGW_ENOTFOUND);
	other = gi;
	other.name = S("edg"); /* no prefix match */
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &other), EGW_ENOTFOUND);

	/* no addresses yet */
	egw_gateway_infra none = { S("web"), S("edge"), NULL, 0, 0 };
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &none), EGW_OK);
	egw_str st = gateway_status(r);
	int programmed = 0;
	for (const char *p = st.data; (p = strstr(p, "\"type\":\"Programmed\"")); p++)
		programmed++;
	ck_assert(contains(st, "\"type\":\"Programmed\",\"status\":\"False\",\"reason\":\"AddressNotAssigned\""));
	ck_assert(contains(st, "\"addresses\":[]"));
	/* addresses but no ready replica */
	gi.ready = 0;
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &gi), EGW_OK);
	st = gateway_status(r);
	ck_assert(contains(st, "\"type\":\"Programmed\",\"status\":\"False\",\"reason\":\"NoResources\""));
	/* ready */
	gi.ready = 1;
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &gi), EGW_OK);
	st = gateway_status(r);
	ck_assert(contains(st, "\"type\":\"Programmed\",\"status\":\"True\",\"reason\":\"Programmed\""));
	ck_assert(contains(st, "\"type\":\"Accepted\",\"status\":\"True\""));
	ck_assert(contains(st, "{\"type\":\"IPAddress\",\"value\":\"203.0.113.7\"}"));
	ck_assert_msg(contains(st, "{\"type\":\"Hostname\",\"value\":\"cafe.de\"}"),
		      "a hostname of hex letters is no IP address: %s", st.data);
	/* the Gateway's Programmed condition is replaced, not added again */
	int n = 0;
	for (const char *p = st.data; (p = strstr(p, "\"type\":\"Programmed\"")); p++)
		n++;
	ck_assert_int_eq(n, programmed);
	/* the rendering shows the same status */
	egw_str out;
	ck_assert_int_eq(egw_result_render(r, EGW_RENDER_GATEWAY_API, 0, EGW_FORMAT_JSON, &out), 0);
	ck_assert(contains(out, "203.0.113.7"));
	/* IPv6 */
	egw_str v6[1] = { S("2001:db8::1") };
	gi.addresses = v6;
	gi.addresses_len = 1;
	ck_assert_int_eq(egw_result_set_gateway_infra(r, &gi), EGW_OK);
	ck_assert(contains(gateway_status(r), "{\"type\":\"IPAddress\",\"value\":\"2001:db8::1\"}"));
	egw_result_free(r);
}
END_TEST

/* egw_result_set_gateway_infra is all or nothing: when it runs out of
 * memory part-way, the Gateway's status (rendered and flat) is as before. */
START_TEST(set_gateway_infra_out_of_memory)
{
	egw_input in = input("m.yaml", full_manifest());
	egw_gateway_infra none = { S("web"), S("edge"), NULL, 0, 0 };
	/* enough addresses that the update needs several new arena blocks */
	enum { NADDR = 4000 };
	egw_str *addrs = malloc(NADDR * sizeof *addrs);
	char (*txt)[24] = malloc(NADDR * sizeof *txt);
	for (int i = 0; i < NADDR; i++) {
		snprintf(txt[i], sizeof txt[i], "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
		addrs[i] = str(txt[i]);
	}
	egw_gateway_infra big = { S("web"), S("edge"), addrs, NADDR, 1 };
	const unsigned all = EGW_RENDER_GATEWAY_API | EGW_RENDER_IR | EGW_RENDER_XDS;

	counter c = { 0 };
	egw_allocator al = { count_malloc, count_free, &c };
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.allocator = &al;
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	int rc0 = egw_result_set_gateway_infra(r, &none);
	if (rc0 == EGW_ENOTFOUND) { /* the IR stage set no Gateway status yet */
		egw_result_free(r);
		free(addrs);
		free(txt);
		ck_abort_msg("translation-level precondition: no status for Gateway web/edge");
	}
	ck_assert_int_eq(rc0, EGW_OK);
	egw_str out;
	ck_assert_int_eq(egw_result_render(r, all, 0, EGW_FORMAT_JSON, &out), EGW_OK);
	char *want = strdup(out.data);
	char *want_flat = strndup(gateway_status(r).data, gateway_status(r).len);
	int failures = 0;
	for (int k = 1; k <= 40; k++) {
		c.fail_at = (long)c.mallocs + k;
		int rc = egw_result_set_gateway_infra(r, &big);
		c.fail_at = 0;
		ck_assert(rc == EGW_OK || rc == EGW_ENOMEM);
		if (rc == EGW_ENOMEM) {
			failures++;
			egw_str flat = gateway_status(r);
			ck_assert_msg(flat.len == strlen(want_flat) && !memcmp(flat.data, want_flat, flat.len),
				      "failure at allocation %d changed the flat status", k);
			ck_assert_int_eq(egw_result_render(r, all, 0, EGW_FORMAT_JSON, &out), EGW_OK);
			ck_assert_msg(!strcmp(out.data, want), "failure at allocation %d changed the rendering", k);
		} else {
			ck_assert(contains(gateway_status(r), "\"value\":\"10.0.15.159\""));
			ck_assert_int_eq(egw_result_set_gateway_infra(r, &none), EGW_OK); /* back */
		}
	}
	ck_assert_msg(failures > 0, "no allocation failed inside egw_result_set_gateway_infra");
	free(want);
	free(want_flat);
	free(addrs);
	free(txt);
	egw_result_free(r);
	ck_assert_uint_eq(c.live, 0);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *t = tcase_create("basics");
	tcase_add_test(t, version_and_strerror);
	tcase_add_test(t, options_init_and_version);
	tcase_add_test(t, null_handling);
	suite_add_tcase(s, t);

	t = tcase_create("diagnostics");
	tcase_add_test(t, diag_malformed_document_in_the_middle);
	tcase_add_test(t, diag_unknown_kind);
	tcase_add_test(t, diag_missing_identity);
	tcase_add_test(t, eparse_when_nothing_is_readable);
	tcase_add_test(t, elimit_for_large_input);
	tcase_add_test(t, econfig_for_unusable_config);
	suite_add_tcase(s, t);

	t = tcase_create("memory");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, custom_allocator_balances);
	tcase_add_test(t, fleet_trees_released_during_call);
	tcase_add_test(t, allocator_struct_not_kept);
	tcase_add_test(t, allocation_failure_sweep);
	tcase_add_test(t, render_out_of_memory);
	suite_add_tcase(s, t);

	t = tcase_create("determinism");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, two_threads_translate_at_once);
	tcase_add_test(t, one_result_read_from_threads);
	tcase_add_test(t, statuses_rendered_once_from_threads);
	tcase_add_test(t, determinism_order_and_format);
	suite_add_tcase(s, t);

	t = tcase_create("documents");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, parse_once_translate_many);
	tcase_add_test(t, retranslation_reuses_memory_cleanly);
	tcase_add_test(t, documents_shared_by_threads);
	tcase_add_test(t, documents_read_in_place);
	tcase_add_test(t, envoyproxy_key_with_nul);
	suite_add_tcase(s, t);

	/* Translation-level: these need the IR and xds stages. */
	t = tcase_create("translation");
	tcase_add_test(t, translation_fleet_resources);
	tcase_add_test(t, snapshot_version_as_documented);
	tcase_add_test(t, translation_statuses);
	tcase_add_test(t, ext_auth_context_extensions);
	tcase_add_test(t, ext_proc_authority);
	tcase_add_test(t, proxy_client_certificate_refusals);
	tcase_add_test(t, backend_tls_policy_lookup);
	tcase_add_test(t, translation_set_gateway_infra);
	tcase_add_test(t, set_gateway_infra_out_of_memory);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_run(api_suite(), NULL);
}
