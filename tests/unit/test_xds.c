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

/* Clusters without settings of their own point at one frozen copy of the
 * EDS config source, the default circuit breakers and the default
 * load-balancing policy; a cluster with its own settings gets its own. */
START_TEST(clusters_share_default_parts)
{
	char ir[8192];
	snprintf(ir, sizeof ir,
		 "http:\n"
		 "- name: \"first-listener\"\n"
		 "  address: \"::\"\n"
		 "  port: 10080\n"
		 "  hostnames:\n"
		 "  - \"*\"\n"
		 "  routes:\n%s%s%s",
		 route("a", ""), route("b", ""),
		 route("c", "    traffic:\n"
			    "      circuitBreaker:\n"
			    "        maxConnections: 7\n"
			    "      loadBalancer:\n"
			    "        random: {}\n"));
	egw_node *doc = egw_parse_one(&C, 0, ir, strlen(ir));
	ck_assert_ptr_nonnull(doc);
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

int main(void)
{
	Suite *s = suite_create("xds");
	TCase *tc = tcase_create("trees");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, clusters_share_default_parts);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
