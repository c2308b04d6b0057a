/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP filter table of the xds stage (see httpfilters.c). */
#ifndef EGW_XDS_HTTPFILTERS_H
#define EGW_XDS_HTTPFILTERS_H

#include "xds_int.h"

#define HF_ROUTER "envoy.filters.http.router"

typedef struct hfilter {
	/* Adds the filter to the HCM's httpFilters (hf) for listener hl, once. */
	void (*hcm)(xt *x, egw_node *hf, const egw_node *hl);
	/* Adds per-route configuration to the Envoy route xr for IR route r. */
	void (*route)(xt *x, egw_node *xr, const egw_node *r);
} hfilter;

bool hf_has(const egw_node *hf, const char *name);
/* Appends {name, typedConfig: {@type: msg}} (disabled when asked); returns typedConfig. */
egw_node *hf_add(xt *x, egw_node *hf, const char *name, const char *msg, bool disabled);
/* Sets route.typedPerFilterConfig[name] = {@type: msg}; returns it. */
egw_node *hf_route_cfg(xt *x, egw_node *xr, const char *name, const char *msg);
/* Enables a disabled-by-default filter on a route (FilterConfig {config: {}}). */
void hf_route_enable(xt *x, egw_node *xr, const char *name);

/* The IR routes of hl (an array, in order) that have the given key in their
 * traffic or security section (section NULL: the route's own key).  For the
 * questions in filters_basic.c's list, the first call for a listener answers
 * them all in one pass over its routes and later calls look the answer up;
 * any other question scans the routes. */
const egw_node *hf_routes_with(xt *x, const egw_node *hl, const char *section, const char *key);
/* The first of them, or NULL. */
const egw_node *hf_first_route_with(xt *x, const egw_node *hl, const char *section, const char *key);
/* Whether route r, or any route of hl, resolves its destination dynamically. */
bool hf_route_dynamic(const egw_node *r);
bool hf_listener_dynamic(xt *x, const egw_node *hl);
/* Fraction {numerator, denominator: MILLION} from a percentage. */
egw_node *hf_fraction(xt *x, const egw_node *pct);
double xnum(const egw_node *n, double def);
/* Kubernetes quantity ("4Mi", "10k") in bytes. */
int64_t k8s_quantity(const egw_node *n);

extern const hfilter hf_ratelimit, hf_local_ratelimit;
extern const hfilter hf_rbac, hf_geoip, hf_dfp_deny, hf_oidc;
extern const hfilter hf_header_mutation, hf_credential, hf_custom_response, hf_dynamic_modules;
const char *xds_url_cluster(xt *x, const char *url);
/* Adds the cluster of an external service's IR destination (with its
 * traffic settings); returns its name (NULL without a destination). */
const char *xds_service_cluster(xt *x, const egw_node *dest, const egw_node *traffic);
egw_node *xds_upstream_filters(xt *x, const cluster_args *ca);
extern const hfilter hf_extauthz, hf_basic_auth, hf_api_key_auth, hf_extproc, hf_lua, hf_wasm;
extern const hfilter hf_jwt;
/* A RetryPolicy (config.core.v3) from an IR retry: for fetches outside routes. */
egw_node *xds_retry_policy_core(xt *x, const egw_node *rt);
const char *xds_json_compact(xt *x, const egw_node *n);
extern const hfilter hf_grpc, hf_health_check, hf_fault, hf_cors, hf_session, hf_buffer, hf_compressor;

#endif
