/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the xds stage's trees (src/xds), through its internal
 * entry point egw_xds_translate on hand-written IR.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"
#include "util/ctx.h"
#include "ctx_fixture.h"
#include "xds/xds.h"
#include "check_run.h"

static egw_arena *A;
static egw_ctx C;
static egw_options O;
static const char *names[] = { "ir.yaml" };

static void setup(void)
{
	A = egw_arena_new(NULL);
	test_ctx_init(&C, &O, A);
	C.input_names = names;
	C.n_inputs = 1;
}

static void teardown(void) { egw_arena_free(A); }

static const egw_node *cluster(const egw_xds_out *out, const char *name)
{
	const egw_node *c;
	EGW_ARR_EACH(out->res[EGW_XDS_CLUSTER], i, c)
		if (!strcmp(egw_get_str(c, "name", ""), name))
			return c;
	ck_abort_msg("no cluster %s", name);
	return NULL;
}

static const char *route(const char *name, const char *traffic)
{
	static char buf[4][1024];
	static int k;
	char *b = buf[k++ % 4];
	snprintf(b, 1024,
		 "  - name: \"%s\"\n"
		 "    hostname: \"*\"\n"
		 "%s"
		 "    destination:\n"
		 "      name: \"%s-dest\"\n"
		 "      settings:\n"
		 "      - endpoints:\n"
		 "        - host: \"1.2.3.4\"\n"
		 "          port: 50000\n"
		 "        name: \"%s-dest/backend/0\"\n",
		 name, traffic, name, name);
	return b;
}

/* One HTTP listener's IR with the given routes, parsed. */
static egw_node *listener_doc(const char *routes)
{
	char ir[8192];
	snprintf(ir, sizeof ir,
		 "http:\n"
		 "- name: \"first-listener\"\n"
		 "  address: \"::\"\n"
		 "  port: 10080\n"
		 "  hostnames:\n"
		 "  - \"*\"\n"
		 "  routes:\n%s",
		 routes);
	egw_node *doc = egw_parse_one(&C, 0, ir, strlen(ir));
	ck_assert_ptr_nonnull(doc);
	return doc;
}

/* Clusters without settings of their own point at one frozen copy of the
 * EDS config source, the default circuit breakers and the default
 * load-balancing policy; a cluster with its own settings gets its own. */
START_TEST(clusters_share_default_parts)
{
	char rs[4096];
	snprintf(rs, sizeof rs, "%s%s%s", route("a", ""), route("b", ""),
		 route("c", "    traffic:\n"
			    "      circuitBreaker:\n"
			    "        maxConnections: 7\n"
			    "      loadBalancer:\n"
			    "        random: {}\n"));
	egw_node *doc = listener_doc(rs);
	egw_xds_out out;
	memset(&out, 0, sizeof out);
	ck_assert_int_eq(egw_xds_translate(&C, doc, &out), 0);
	const egw_node *a = cluster(&out, "a-dest"), *b = cluster(&out, "b-dest"),
		       *c = cluster(&out, "c-dest");
	static const char *const parts[] = { "circuitBreakers", "loadBalancingPolicy" };
	for (size_t i = 0; i < 2; i++) {
		const egw_node *pa = egw_get(a, parts[i]), *pb = egw_get(b, parts[i]),
			       *pc = egw_get(c, parts[i]);
		ck_assert_ptr_nonnull(pa);
		ck_assert_msg(pa == pb, "%s not shared", parts[i]);
		ck_assert_msg(egw_frozen(pa), "a shared %s is not frozen", parts[i]);
		ck_assert_msg(pc != pa && !egw_equal(pc, pa), "c's own %s", parts[i]);
	}
	const egw_node *ea = egw_path(a, "edsClusterConfig.edsConfig");
	ck_assert_ptr_nonnull(ea);
	ck_assert_ptr_eq(ea, egw_path(c, "edsClusterConfig.edsConfig"));
	ck_assert(egw_frozen(ea));
	/* the clusters' own parts are not shared */
	ck_assert_ptr_ne(egw_get(a, "edsClusterConfig"), egw_get(b, "edsClusterConfig"));
	ck_assert_str_eq(egw_get_str(egw_get(a, "edsClusterConfig"), "serviceName", ""), "a-dest");
	int64_t mc = 0;
	ck_assert(egw_node_int(egw_path(egw_at(egw_get(egw_get(c, "circuitBreakers"), "thresholds"), 0),
					"maxConnections"),
			       &mc));
	ck_assert_int_eq(mc, 7);
}
END_TEST

static size_t count_named(const egw_node *arr, egw_xds_type t, const char *name)
{
	size_t k = 0;
	const egw_node *r;
	EGW_ARR_EACH(arr, i, r)
		k += !strcmp(egw_xds_resource_name(t, r), name);
	return k;
}

/* Validation walks every object of a route configuration: a fault abort's
 * status outside [200, 600), deep in a route's per-filter configuration,
 * drops the configuration and says so; the listener's clusters stay. */
START_TEST(route_config_validation)
{
	static const struct {
		int status;
		bool dropped;
	} cases[] = { { 500, false }, { 200, false }, { 599, false }, { 700, true }, { 199, true }, { 600, true } };
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char traffic[256], rs[4096];
		snprintf(traffic, sizeof traffic,
			 "    traffic:\n"
			 "      faultInjection:\n"
			 "        abort:\n"
			 "          httpStatus: %d\n"
			 "          percentage: 100\n",
			 cases[k].status);
		snprintf(rs, sizeof rs, "%s%s", route("a", ""), route("b", traffic));
		egw_node *doc = listener_doc(rs);
		egw_xds_out out;
		memset(&out, 0, sizeof out);
		int rc = egw_xds_translate(&C, doc, &out);
		size_t n = count_named(out.res[EGW_XDS_ROUTE], EGW_XDS_ROUTE, "first-listener");
		if (cases[k].dropped) {
			ck_assert_msg(rc < 0 && n == 0, "case %zu: route configuration kept", k);
			ck_assert_ptr_nonnull(strstr(out.error, "validation failed for xds resource first-listener"));
		} else {
			ck_assert_msg(rc == 0 && n == 1, "case %zu: route configuration dropped (%s)", k,
				      out.error ? out.error : "");
		}
		/* the clusters are checked on their own and stay */
		ck_assert_uint_eq(count_named(out.res[EGW_XDS_CLUSTER], EGW_XDS_CLUSTER, "a-dest"), 1);
	}
}
END_TEST

static const egw_node *xroute(const egw_xds_out *out, const char *name)
{
	const egw_node *rc, *vh, *r;
	EGW_ARR_EACH(out->res[EGW_XDS_ROUTE], i, rc)
		EGW_ARR_EACH(egw_get(rc, "virtualHosts"), j, vh)
			EGW_ARR_EACH(egw_get(vh, "routes"), k, r)
				if (!strcmp(egw_get_str(r, "name", ""), name))
					return r;
	ck_abort_msg("no route %s", name);
	return NULL;
}

/* Filter metadata that only names an object is built once per fleet: a
 * route and its cluster point at one frozen copy, and the encoder copies
 * its bytes.  Metadata that says more (annotations) is each resource's own. */
START_TEST(metadata_shared_by_route_and_cluster)
{
	char rs[4096];
	snprintf(rs, sizeof rs,
		 "%s"
		 "    metadata:\n"
		 "      kind: HTTPRoute\n"
		 "      name: app\n"
		 "      namespace: default\n"
		 "%s"
		 "    metadata:\n"
		 "      kind: HTTPRoute\n"
		 "      name: app\n"
		 "      namespace: default\n"
		 "      annotations:\n"
		 "        team: a\n",
		 route("a", ""), route("b", ""));
	/* route() ends each route with its destination; the metadata lines
	 * above belong to the route, and the destination carries the same */
	egw_node *doc = listener_doc(rs);
	egw_node *routes = egw_path(egw_at(egw_get(doc, "http"), 0), "routes");
	for (size_t i = 0; i < 2; i++) {
		egw_node *r = egw_at(routes, i);
		egw_obj_set(A, egw_get(r, "destination"), "metadata", egw_clone(A, egw_get(r, "metadata")));
	}
	egw_xds_out out;
	memset(&out, 0, sizeof out);
	ck_assert_int_eq(egw_xds_translate(&C, doc, &out), 0);
	const egw_node *ra = egw_get(xroute(&out, "a"), "metadata"), *ca = egw_get(cluster(&out, "a-dest"), "metadata");
	ck_assert_ptr_nonnull(ra);
	ck_assert_ptr_eq(ra, ca);
	ck_assert(egw_frozen(ra));
	ck_assert_str_eq(egw_get_str(egw_at(egw_path(ra, "filterMetadata.envoy-gateway.resources"), 0), "name", ""), "app");
	const egw_node *rb = egw_get(xroute(&out, "b"), "metadata"), *cb = egw_get(cluster(&out, "b-dest"), "metadata");
	ck_assert_ptr_nonnull(rb);
	ck_assert_ptr_ne(rb, ra);
	ck_assert_ptr_ne(rb, cb);
	ck_assert(!egw_frozen(rb));
	ck_assert(egw_equal(rb, cb));
	ck_assert_str_eq(egw_get_str(egw_path(egw_at(egw_path(rb, "filterMetadata.envoy-gateway.resources"), 0),
					      "annotations"),
				     "team", ""),
			 "a");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xds");
	TCase *tc = tcase_create("trees");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, clusters_share_default_parts);
	tcase_add_test(tc, route_config_validation);
	tcase_add_test(tc, metadata_shared_by_route_and_cluster);
	suite_add_tcase(s, tc);
	return test_run(s, NULL);
}
