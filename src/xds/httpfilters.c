/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HCM's HTTP filter chain.  Each filter kind is a row in a table: a
 * function that adds the filter to an HCM (once, even when several IR
 * listeners share the HCM) and one that adds its per-route configuration.
 * Filters that lack native per-route configuration are added disabled and
 * enabled per route.  After patching, filters are ordered by a fixed rank
 * (stable, so filters of one kind keep their order); the router is last.
 */
#include <string.h>

#include "httpfilters.h"

bool hf_has(const egw_node *hf, const char *name)
{
	const egw_node *f;
	EGW_ARR_EACH(hf, i, f)
		if (!strcmp(egw_get_str(f, "name", ""), name))
			return true;
	return false;
}

egw_node *hf_add(xt *x, egw_node *hf, const char *name, const char *msg, bool disabled)
{
	egw_node *f = xpush(x, hf, xo(x));
	if (disabled)
		xb(x, f, "disabled", true);
	xs(x, f, "name", name);
	return xset(x, f, "typedConfig", xany(x, msg));
}

egw_node *hf_route_cfg(xt *x, egw_node *xr, const char *name, const char *msg)
{
	egw_node *tpf = xobj(x, xr, "typedPerFilterConfig");
	return xset(x, tpf, name, xany(x, msg));
}

void hf_route_enable(xt *x, egw_node *xr, const char *name)
{
	egw_node *tpf = xobj(x, xr, "typedPerFilterConfig");
	egw_node *c = xset(x, tpf, name, xany(x, "envoy.config.route.v3.FilterConfig"));
	xobj(x, c, "config");
}

static const struct {
	const char *prefix;
	int rank;
} ranks[] = {
	{"envoy.filters.http.health_check", 0},
	{"envoy.filters.http.fault", 1},
	{"envoy.filters.http.cors", 2},
	{"envoy.filters.http.header_mutation", 3},
	{"envoy.filters.http.ext_authz", 4},
	{"envoy.filters.http.api_key_auth", 5},
	{"envoy.filters.http.basic_auth", 6},
	{"envoy.filters.http.oauth2", 7},
	{"envoy.filters.http.jwt_authn", 8},
	{"envoy.filters.http.stateful_session", 9},
	{"envoy.filters.http.buffer", 10},
	{"envoy.filters.http.lua", 11},
	{"envoy.filters.http.ext_proc", 12},
	{"envoy.filters.http.wasm", 13},
	{"envoy.filters.http.dynamic_modules", 14},
	{"envoy.filters.http.geoip", 15},
	{"envoy.filters.http.rbac.dfp_loopback_deny", 17},
	{"envoy.filters.http.rbac", 16},
	{"envoy.filters.http.local_ratelimit", 18},
	{"envoy.filters.http.ratelimit", 19},
	{"envoy.filters.http.custom_response", 20},
	{"envoy.filters.http.credential_injector", 21},
	{"envoy.filters.http.compressor", 22},
	{"envoy.filters.http.admission_control", 23},
	{"envoy.filters.http.dynamic_forward_proxy", 24},
	{"envoy.filters.http.grpc_web", 48},
	{"envoy.filters.http.grpc_stats", 49},
	{"envoy.filters.http.router", 100},
};

static int rank_of(const char *name);

static int filter_cmp(const egw_node *a, const egw_node *b)
{
	const char *na = egw_get_str(a, "name", ""), *nb = egw_get_str(b, "name", "");
	int ra = rank_of(na), rb = rank_of(nb);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	/* filters of one kind (one per policy) are ordered by name */
	return strcmp(na, nb);
}

static int rank_of(const char *name)
{
	for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
		if (!strncmp(name, ranks[i].prefix, strlen(ranks[i].prefix)))
			return ranks[i].rank;
	return 50;
}

static void sort_filters(egw_node *hf)
{
	/* insertion sort: stable, and chains are short */
	for (size_t i = 1; i < hf->n; i++) {
		egw_node *v = hf->c.items[i];
		size_t j = i;
		while (j > 0 && filter_cmp(hf->c.items[j - 1], v) > 0) {
			hf->c.items[j] = hf->c.items[j - 1];
			j--;
		}
		hf->c.items[j] = v;
	}
}

static bool has_prefix(const egw_node *f, const char *p)
{
	const char *n = egw_get_str(f, "name", "");
	size_t l = strlen(p);
	return !strncmp(n, p, l) && (n[l] == 0 || n[l] == '/');
}

/* The IR's filterOrder: move a filter kind before or after another. */
static void custom_order(xt *x, egw_node *hf)
{
	const egw_node *fo;
	EGW_ARR_EACH(G(x->ir, "filterOrder"), i, fo) {
		const char *name = GS(fo, "name"), *before = GS(fo, "before"), *after = GS(fo, "after");
		if (!name || (!before && !after))
			continue;
		egw_node *moved = xa(x), *rest = xa(x), *it;
		EGW_ARR_EACH(hf, j, it)
			xpush(x, has_prefix(it, name) ? moved : rest, it);
		if (!moved->n)
			continue;
		size_t at = rest->n;
		bool found = false;
		for (size_t j = 0; j < rest->n; j++) {
			if (before && has_prefix(rest->c.items[j], before)) {
				at = j;
				found = true;
				break;
			}
			if (after && has_prefix(rest->c.items[j], after)) {
				at = j + 1;
				found = true;
			}
		}
		if (!found)
			continue;
		egw_node *out = xa(x);
		for (size_t j = 0; j <= rest->n; j++) {
			if (j == at)
				EGW_ARR_EACH(moved, k, it)
					xpush(x, out, it);
			if (j < rest->n)
				xpush(x, out, rest->c.items[j]);
		}
		hf->n = 0;
		EGW_ARR_EACH(out, j, it)
			xpush(x, hf, it);
	}
}

static const hfilter *const filters[] = {
	&hf_grpc, &hf_health_check, &hf_fault, &hf_cors, &hf_session, &hf_buffer, &hf_compressor,
	&hf_ratelimit, &hf_local_ratelimit, &hf_extauthz, &hf_basic_auth, &hf_api_key_auth, &hf_jwt,
	&hf_extproc, &hf_lua, &hf_wasm, &hf_header_mutation, &hf_credential,
	&hf_custom_response, &hf_dynamic_modules, &hf_rbac, &hf_geoip, &hf_dfp_deny, &hf_oidc,
};

void xds_http_filters(xt *x, egw_node *hcm, const egw_node *hl)
{
	egw_node *hf = xarr(x, hcm, "httpFilters");
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (filters[i]->hcm)
			filters[i]->hcm(x, hf, hl);
	if (!hf_has(hf, HF_ROUTER)) {
		egw_node *r = hf_add(x, hf, HF_ROUTER, "envoy.extensions.filters.http.router.v3.Router", false);
		xb(x, r, "suppressEnvoyHeaders", true);
	}
	sort_filters(hf);
	custom_order(x, hf);
}

void xds_route_filters(xt *x, egw_node *xr, const egw_node *r)
{
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (filters[i]->route)
			filters[i]->route(x, xr, r);
}
