/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The xds stage (Envoy Gateway's internal/xds/translator): one fleet's xDS IR
 * in, Envoy resources out, each as an egw_node tree in Envoy's canonical
 * (proto3) JSON form with lowerCamelCase field names and `@type` on Any.
 * The emit stage turns those trees into protobuf bytes.
 */
#ifndef EGW_XDS_XDS_H
#define EGW_XDS_XDS_H

#include "../util/ctx.h"

typedef struct egw_xds_out {
	/* Per egw_xds_type: ARR of resources (Listener, RouteConfiguration,
	 * Cluster, ClusterLoadAssignment, Secret messages), without "@type". */
	egw_node *res[EGW_XDS_TYPE_COUNT];
	/* EnvoyPatchPolicy statuses produced while patching (ARR), or NULL. */
	egw_node *patch_statuses;
	/* When translation fails: the error text (as Envoy Gateway words it). */
	const char *error;
} egw_xds_out;

/* Fully-qualified protobuf message name of each resource type. */
extern const char *const egw_xds_type_msg[EGW_XDS_TYPE_COUNT];
/* The key of each type in the rendered output ("listeners", ...). */
extern const char *const egw_xds_type_key[EGW_XDS_TYPE_COUNT];

/* Translates one fleet's IR.  Returns 0, or -1 with out->error set (the
 * resources translated so far are still in out). */
int egw_xds_translate(egw_ctx *c, const egw_node *ir, egw_xds_out *out);

/* The name of a resource node of type t (Listener.name, ..., ClusterLoadAssignment.clusterName). */
const char *egw_xds_resource_name(egw_xds_type t, const egw_node *res);

/* The global rate limit service configuration for one fleet's IR: ARR of
 * documents, one per domain (see xds/ratelimit-config goldens). */
egw_node *egw_xds_ratelimit_config(egw_ctx *c, const egw_node *ir);

/* The proxy bootstrap (envoy.config.bootstrap.v3.Bootstrap, canonical JSON)
 * as Envoy Gateway renders it by default. */
egw_node *egw_xds_bootstrap(egw_ctx *c);

#endif
