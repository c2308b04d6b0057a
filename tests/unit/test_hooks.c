/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extension hooks through the public API (src/xds/hooks.c): C hooks that
 * change a route and a cluster, checked in the serialized protobuf the
 * result holds (decoded with the emit stage's codec); what a hook sees
 * (canonical JSON, its context); fail-open against fail-closed; replies that
 * are not JSON; and that hooks which keep everything change nothing.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egw/egw.h"
#include "emit/pb.h"
#include "util/text.h"
#include "check_run.h"

static const char ir_doc[] =
	"http:\n"
	"- name: hook-listener\n"
	"  address: 0.0.0.0\n"
	"  port: 10080\n"
	"  hostnames: ['*']\n"
	"  routes:\n"
	"  - name: r1\n"
	"    hostname: '*'\n"
	"    pathMatch:\n"
	"      prefix: /\n"
	"    destination:\n"
	"      name: r1-dest\n"
	"      settings:\n"
	"      - endpoints:\n"
	"        - host: 1.2.3.4\n"
	"          port: 50000\n"
	"        name: r1-dest/backend/0\n"
	"    extensionRefs:\n"
	"    - object:\n"
	"        apiVersion: foo.example.io/v1alpha1\n"
	"        kind: Filter\n"
	"        metadata: {name: f1, namespace: ns}\n"
	"        spec: {foo: bar}\n";

/* What the hooks saw and do. */
typedef struct hook_state {
	int calls[5];
	char *seen_res[5];  /* first resource seen per point */
	char *seen_ctx[5];
	int fail_point;     /* -1: none */
	const char *fail_msg;
	const char *reply[5]; /* non-NULL: reply with this text */
} hook_state;

static char *dup_str(egw_str s)
{
	char *p = malloc(s.len + 1);
	memcpy(p, s.data, s.len);
	p[s.len] = 0;
	return p;
}

static int hook(void *ud, egw_hook_point p, egw_str res, egw_str ctx, egw_str *out)
{
	hook_state *st = ud;
	st->calls[p]++;
	if (!st->seen_res[p]) {
		st->seen_res[p] = dup_str(res);
		st->seen_ctx[p] = dup_str(ctx);
	}
	if ((int)p == st->fail_point) {
		if (st->fail_msg) {
			out->data = st->fail_msg;
			out->len = strlen(st->fail_msg);
		}
		return -1;
	}
	if (st->reply[p]) {
		out->data = st->reply[p];
		out->len = strlen(st->reply[p]);
	}
	return 0;
}

static void state_init(hook_state *st)
{
	memset(st, 0, sizeof *st);
	st->fail_point = -1;
}

static void state_free(hook_state *st)
{
	for (int i = 0; i < 5; i++) {
		free(st->seen_res[i]);
		free(st->seen_ctx[i]);
	}
}

static egw_result *run(hook_state *st, bool fail_open, int *rc)
{
	egw_options o;
	ck_assert_int_eq(egw_options_init(&o, EGW_OPTIONS_VERSION), 0);
	o.from = EGW_FROM_XDS_IR;
	if (st) {
		for (int p = 0; p < 5; p++)
			o.hooks[p] = hook;
		o.hooks_ud = st;
	}
	o.hooks_fail_open = fail_open;
	egw_input in = { { "ir.yaml", 7 }, { ir_doc, sizeof ir_doc - 1 } };
	egw_result *r = NULL;
	*rc = egw_translate(&r, &in, 1, &o);
	return r;
}

static const egw_fleet *fleet(const egw_result *r)
{
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(egw_result_fleet_count(r), 1);
	return egw_result_fleet(r, 0);
}

/* The decoded protobuf of the resource of type t named `name`, as compact JSON. */
static char *decoded(const egw_fleet *f, egw_xds_type t, const char *msg, const char *name)
{
	for (size_t i = 0; i < egw_fleet_resource_count(f, t); i++) {
		egw_resource res;
		ck_assert_int_eq(egw_fleet_resource(f, t, i, &res), 0);
		if (strcmp(res.name.data, name))
			continue;
		egw_arena *a = egw_arena_new(NULL);
		egw_options o;
		egw_options_init(&o, EGW_OPTIONS_VERSION);
		egw_ctx c;
		memset(&c, 0, sizeof c);
		c.arena = a;
		c.opts = &o;
		const char *err = NULL;
		egw_node *n = egw_pb_decode(&c, msg, (const uint8_t *)res.proto.data, res.proto.len, &err);
		ck_assert_msg(n != NULL, "decode %s: %s", name, err ? err : "");
		egw_buf b;
		egw_buf_init(&b, a);
		egw_write_json(&b, n, false);
		char *s = strndup(b.data, b.len);
		egw_arena_free(a);
		return s;
	}
	ck_abort_msg("no resource %s", name);
	return NULL;
}

static bool has_diag(const egw_result *r, egw_diag_code code, egw_severity sev)
{
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		egw_result_diagnostic(r, i, &d);
		if (d.code == code && d.severity == sev)
			return true;
	}
	return false;
}

#define ROUTE_MSG "envoy.config.route.v3.RouteConfiguration"
#define CLUSTER_MSG "envoy.config.cluster.v3.Cluster"

static const char route_reply[] =
	"{\"name\":\"r1\",\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"r1-dest\"},"
	"\"responseHeadersToAdd\":[{\"header\":{\"key\":\"x-hooked\",\"value\":\"yes\"}}]}";
static const char cluster_reply[] =
	"{\"name\":\"r1-dest\",\"type\":\"STATIC\",\"connectTimeout\":\"7s\"}";

START_TEST(no_hooks_same_as_keeping_hooks)
{
	int rc;
	egw_result *plain = run(NULL, false, &rc);
	ck_assert_int_eq(rc, 0);
	hook_state st;
	state_init(&st);
	egw_result *kept = run(&st, false, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(st.calls[EGW_HOOK_POST_ROUTE], 1);
	ck_assert_int_eq(st.calls[EGW_HOOK_POST_CLUSTER], 1);
	ck_assert_int_eq(st.calls[EGW_HOOK_POST_VIRTUAL_HOST], 1);
	ck_assert_int_eq(st.calls[EGW_HOOK_POST_HTTP_LISTENER], 1);
	ck_assert_int_eq(st.calls[EGW_HOOK_POST_TRANSLATE], 1);
	ck_assert(egw_fleet_version(fleet(plain)) == egw_fleet_version(fleet(kept)));
	egw_result_free(plain);
	egw_result_free(kept);
	state_free(&st);
}
END_TEST

/* ---- extension server policies (src/ir/policy_ext.c) ---- */

static const char policy_manifest[] =
	"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
	"spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
	"metadata: {name: edge, namespace: web, creationTimestamp: '2024-01-01T00:00:00Z'}\n"
	"spec:\n  gatewayClassName: eg\n  listeners:\n  - {name: http, protocol: HTTP, port: 80}\n"
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
	"metadata: {name: r, namespace: web, creationTimestamp: '2024-01-01T00:00:01Z'}\n"
	"spec:\n  parentRefs: [{name: edge, sectionName: http}]\n"
	"  rules:\n  - name: main\n    backendRefs: [{name: svc, port: 8080}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: web}\n"
	"spec: {clusterIP: 10.0.0.1, ports: [{port: 8080}]}\n"
	"---\napiVersion: policy.example.io/v1\nkind: Limits\n"
	"metadata: {name: on-rule, namespace: web, creationTimestamp: '2024-01-01T00:00:02Z'}\n"
	"spec:\n  targetRef: {group: gateway.networking.k8s.io, kind: HTTPRoute, name: r, sectionName: main}\n"
	"  rps: 10\n"
	"---\napiVersion: policy.example.io/v1\nkind: Limits\n"
	"metadata: {name: no-rule, namespace: web, creationTimestamp: '2024-01-01T00:00:03Z'}\n"
	"spec:\n  targetRef: {group: gateway.networking.k8s.io, kind: HTTPRoute, name: r, sectionName: nope}\n"
	"---\napiVersion: policy.example.io/v1\nkind: Limits\n"
	"metadata: {name: on-gateway, namespace: web, creationTimestamp: '2024-01-01T00:00:04Z'}\n"
	"spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: edge}]\n";

static const char policy_config[] =
	"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
	"gateway: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
	"extensionManager:\n"
	"  policyResources: [{group: policy.example.io, version: v1, kind: Limits}]\n"
	"  hooks: {xdsTranslator: {post: [Route, Translation]}}\n"
	"  service: {fqdn: {hostname: ext.example, port: 443}}\n";

static egw_result *run_policies(hook_state *st, const char *config)
{
	egw_options o;
	ck_assert_int_eq(egw_options_init(&o, EGW_OPTIONS_VERSION), 0);
	for (int p = 0; p < 5; p++)
		o.hooks[p] = hook;
	o.hooks_ud = st;
	if (config) {
		o.config.data = config;
		o.config.len = strlen(config);
	}
	egw_input in = { { "m.yaml", 6 }, { policy_manifest, sizeof policy_manifest - 1 } };
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), 0);
	return r;
}

/* The status JSON of the named Limits object, or NULL. */
static const char *limits_status(const egw_result *r, const char *name)
{
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_status s;
		ck_assert_int_eq(egw_result_status(r, i, &s), 0);
		if (!strcmp(s.kind.data, "Limits") && !strcmp(s.name.data, name))
			return s.status_json.data;
	}
	return NULL;
}

START_TEST(extension_server_policies_reach_the_hooks)
{
	hook_state st;
	state_init(&st);
	egw_result *r = run_policies(&st, policy_config);
	/* one ancestor per Gateway reached, as Envoy Gateway words it */
	const char *s = limits_status(r, "on-rule");
	ck_assert_msg(s && strstr(s, "\"sectionName\":\"http\"") && strstr(s, "Policy has been accepted."), "%s", s);
	s = limits_status(r, "no-rule");
	ck_assert_msg(s && strstr(s, "\"reason\":\"TargetNotFound\"") &&
			      strstr(s, "No section name nope found for HTTPRoute web/r"),
		      "%s", s);
	s = limits_status(r, "on-gateway");
	ck_assert_msg(s && strstr(s, "Policy has been accepted.") && !strstr(s, "sectionName"), "%s", s);
	/* the route hook gets the rule's policy, the translation hook the
	 * Gateway's */
	const char *ctx = st.seen_ctx[EGW_HOOK_POST_ROUTE];
	ck_assert_msg(ctx && strstr(ctx, "\"extensionPolicies\":[{\"apiVersion\":\"policy.example.io/v1\","
				       "\"kind\":\"Limits\",\"metadata\":{\"name\":\"on-rule\""),
		      "%s", ctx);
	ck_assert_ptr_null(strstr(ctx, "no-rule"));
	ctx = st.seen_ctx[EGW_HOOK_POST_TRANSLATE];
	ck_assert_msg(ctx && strstr(ctx, "\"name\":\"on-gateway\"") && !strstr(ctx, "on-rule"), "%s", ctx);
	/* the IR carries them with their final status */
	egw_str ir;
	ck_assert_int_eq(egw_fleet_render_xds_ir(egw_result_fleet(r, 0), EGW_FORMAT_JSON, &ir), 0);
	ck_assert_ptr_nonnull(strstr(ir.data, "\"extensionRefs\""));
	ck_assert_ptr_nonnull(strstr(ir.data, "\"extensionServerPolicies\""));
	egw_result_free(r);
	state_free(&st);

	/* without an extension manager the kind means nothing: ignored, with
	 * a warning, and no status */
	state_init(&st);
	r = run_policies(&st, NULL);
	ck_assert_ptr_null(limits_status(r, "on-rule"));
	bool warned = false;
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		egw_result_diagnostic(r, i, &d);
		warned |= d.code == EGW_D_UNKNOWN_KIND && d.severity == EGW_SEV_WARNING;
	}
	ck_assert(warned);
	egw_result_free(r);
	state_free(&st);
}
END_TEST

START_TEST(hooks_see_canonical_json)
{
	hook_state st;
	state_init(&st);
	int rc;
	egw_result *r = run(&st, false, &rc);
	ck_assert_int_eq(rc, 0);
	/* proto3 JSON: compact, lowerCamelCase, Duration text, enum names */
	const char *route = st.seen_res[EGW_HOOK_POST_ROUTE];
	ck_assert_msg(!strncmp(route, "{\"name\":\"r1\",", 13), "%s", route);
	ck_assert_ptr_nonnull(strstr(route, "\"match\":{\"prefix\":\"/\"}"));
	ck_assert_ptr_null(strchr(route, '\n'));
	const char *cl = st.seen_res[EGW_HOOK_POST_CLUSTER];
	ck_assert_msg(strstr(cl, "\"connectTimeout\":\"10s\"") && strstr(cl, "\"type\":\"EDS\""), "%s", cl);
	/* the route's context: hostnames and the extension resource itself */
	const char *ctx = st.seen_ctx[EGW_HOOK_POST_ROUTE];
	ck_assert_msg(strstr(ctx, "\"hostnames\":[\"*\"]") != NULL, "%s", ctx);
	ck_assert_msg(strstr(ctx, "\"extensionResources\":[{\"apiVersion\":\"foo.example.io/v1alpha1\","
				  "\"kind\":\"Filter\"") != NULL, "%s", ctx);
	ck_assert_ptr_nonnull(strstr(st.seen_ctx[EGW_HOOK_POST_CLUSTER], "\"backendExtensionResources\":[{"));
	const char *tr = st.seen_res[EGW_HOOK_POST_TRANSLATE];
	ck_assert_msg(!strncmp(tr, "{\"clusters\":[{\"name\":\"r1-dest\"", 30), "%s", tr);
	ck_assert(strstr(tr, "\"secrets\":[]") && strstr(tr, "\"listeners\":[{") && strstr(tr, "\"routes\":[{"));
	egw_result_free(r);
	state_free(&st);
}
END_TEST

START_TEST(hooks_replace_route_and_cluster)
{
	hook_state st;
	state_init(&st);
	st.reply[EGW_HOOK_POST_ROUTE] = route_reply;
	st.reply[EGW_HOOK_POST_CLUSTER] = cluster_reply;
	int rc;
	egw_result *r = run(&st, false, &rc);
	ck_assert_int_eq(rc, 0);
	const egw_fleet *f = fleet(r);
	ck_assert_uint_eq(egw_fleet_error(f).len, 0);
	char *rcfg = decoded(f, EGW_XDS_ROUTE, ROUTE_MSG, "hook-listener");
	ck_assert_msg(strstr(rcfg, "\"responseHeadersToAdd\":[{\"header\":{\"key\":\"x-hooked\",\"value\":\"yes\"}}]"),
		      "%s", rcfg);
	ck_assert_ptr_null(strstr(rcfg, "upgradeConfigs")); /* the whole route was replaced */
	char *cl = decoded(f, EGW_XDS_CLUSTER, CLUSTER_MSG, "r1-dest");
	ck_assert_msg(strstr(cl, "\"connectTimeout\":\"7s\"") && strstr(cl, "\"type\":\"STATIC\"") &&
			      !strstr(cl, "edsClusterConfig"),
		      "%s", cl);
	/* the virtual host hook, later, saw the new route */
	ck_assert_ptr_nonnull(strstr(st.seen_res[EGW_HOOK_POST_VIRTUAL_HOST], "x-hooked"));
	free(rcfg);
	free(cl);
	egw_result_free(r);
	state_free(&st);
}
END_TEST

START_TEST(post_translate_adds_a_cluster)
{
	hook_state st;
	state_init(&st);
	/* clusters replaced (one added), secrets emptied, listeners and routes left out: kept */
	st.reply[EGW_HOOK_POST_TRANSLATE] =
		"{\"clusters\":[{\"name\":\"r1-dest\",\"type\":\"STATIC\"},{\"name\":\"added\",\"type\":\"STATIC\"}],"
		"\"secrets\":[]}";
	int rc;
	egw_result *r = run(&st, false, &rc);
	ck_assert_int_eq(rc, 0);
	const egw_fleet *f = fleet(r);
	ck_assert_uint_eq(egw_fleet_resource_count(f, EGW_XDS_CLUSTER), 2);
	ck_assert_uint_eq(egw_fleet_resource_count(f, EGW_XDS_LISTENER), 1);
	ck_assert_uint_eq(egw_fleet_resource_count(f, EGW_XDS_ROUTE), 1);
	char *cl = decoded(f, EGW_XDS_CLUSTER, CLUSTER_MSG, "added");
	ck_assert_ptr_nonnull(strstr(cl, "\"type\":\"STATIC\""));
	free(cl);
	egw_result_free(r);
	state_free(&st);
}
END_TEST

START_TEST(fail_open_keeps_the_resource)
{
	hook_state st;
	state_init(&st);
	st.fail_point = EGW_HOOK_POST_CLUSTER;
	st.reply[EGW_HOOK_POST_ROUTE] = route_reply;
	int rc;
	egw_result *r = run(&st, true, &rc);
	ck_assert_int_eq(rc, 0);
	const egw_fleet *f = fleet(r);
	ck_assert_uint_eq(egw_fleet_error(f).len, 0);
	char *cl = decoded(f, EGW_XDS_CLUSTER, CLUSTER_MSG, "r1-dest");
	ck_assert_msg(strstr(cl, "\"type\":\"EDS\"") && strstr(cl, "\"connectTimeout\":\"10s\""), "%s", cl);
	char *rcfg = decoded(f, EGW_XDS_ROUTE, ROUTE_MSG, "hook-listener");
	ck_assert_ptr_nonnull(strstr(rcfg, "x-hooked")); /* the other hooks still apply */
	ck_assert(has_diag(r, EGW_D_HOOK, EGW_SEV_WARNING));
	ck_assert(!has_diag(r, EGW_D_HOOK, EGW_SEV_ERROR));
	free(cl);
	free(rcfg);
	egw_result_free(r);
	state_free(&st);
}
END_TEST

START_TEST(fail_closed_fails_the_fleet)
{
	hook_state st;
	state_init(&st);
	st.fail_point = EGW_HOOK_POST_ROUTE;
	st.fail_msg = "route hook resource error";
	int rc;
	egw_result *r = run(&st, false, &rc);
	/* egw_translate reports the failed hook itself, with the result (egw.h) */
	ck_assert_int_eq(rc, EGW_EHOOK);
	ck_assert_ptr_nonnull(r);
	{
		const egw_fleet *f = fleet(r);
		/* Envoy Gateway's error is the extension's text */
		ck_assert_msg(!strcmp(egw_fleet_error(f).data, "route hook resource error"), "%s",
			      egw_fleet_error(f).data);
		ck_assert(has_diag(r, EGW_D_HOOK, EGW_SEV_ERROR));
		/* the route is the one before the hook */
		char *rcfg = decoded(f, EGW_XDS_ROUTE, ROUTE_MSG, "hook-listener");
		ck_assert_ptr_nonnull(strstr(rcfg, "upgradeConfigs"));
		free(rcfg);
	}
	egw_result_free(r);
	state_free(&st);
}
END_TEST

START_TEST(fail_closed_without_text_names_the_hook)
{
	hook_state st;
	state_init(&st);
	st.fail_point = EGW_HOOK_POST_HTTP_LISTENER;
	int rc;
	egw_result *r = run(&st, false, &rc);
	if (rc != EGW_EHOOK) {
		ck_assert_int_eq(rc, 0);
		egw_str e = egw_fleet_error(fleet(r));
		ck_assert_msg(strstr(e.data, "PostHTTPListenerModify") && strstr(e.data, "hook-listener"), "%s",
			      e.data);
	}
	egw_result_free(r);
	state_free(&st);
}
END_TEST

START_TEST(bad_reply_is_a_failure)
{
	static const char *const bad[] = { "{not json", "[1,2]", "\"text\"", "{\"a\":1}\n---\n{\"b\":2}" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		hook_state st;
		state_init(&st);
		st.reply[EGW_HOOK_POST_CLUSTER] = bad[i];
		int rc;
		egw_result *r = run(&st, true, &rc);
		ck_assert_int_eq(rc, 0);
		const egw_fleet *f = fleet(r);
		char *cl = decoded(f, EGW_XDS_CLUSTER, CLUSTER_MSG, "r1-dest");
		ck_assert_msg(strstr(cl, "\"type\":\"EDS\""), "reply %zu: %s", i, cl);
		ck_assert(has_diag(r, EGW_D_HOOK, EGW_SEV_WARNING));
		/* the reply's own syntax errors do not show as input errors */
		ck_assert(!has_diag(r, EGW_D_SYNTAX, EGW_SEV_ERROR));
		free(cl);
		egw_result_free(r);
		state_free(&st);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hooks");
	TCase *t = tcase_create("hooks");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, no_hooks_same_as_keeping_hooks);
	tcase_add_test(t, hooks_see_canonical_json);
	tcase_add_test(t, hooks_replace_route_and_cluster);
	tcase_add_test(t, post_translate_adds_a_cluster);
	tcase_add_test(t, fail_open_keeps_the_resource);
	tcase_add_test(t, fail_closed_fails_the_fleet);
	tcase_add_test(t, fail_closed_without_text_names_the_hook);
	tcase_add_test(t, bad_reply_is_a_failure);
	tcase_add_test(t, extension_server_policies_reach_the_hooks);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_run(suite(), NULL);
}
