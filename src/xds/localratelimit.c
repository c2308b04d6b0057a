/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local rate limiting: one local_ratelimit filter per HCM (token buckets
 * live in each route's configuration), and per route the default bucket,
 * one descriptor per rule with its entries, and the actions producing them.
 */
#include <string.h>

#include "httpfilters.h"

#define LRL "envoy.filters.http.local_ratelimit"
#define LRL_MSG "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"

void method_path_actions(xt *x, egw_node *acts, const egw_node *rule, int ri);
const char *x_rl_option(const char *o);

static const egw_node *local_rl(const egw_node *r)
{
	return G(G(G(r, "traffic"), "rateLimit"), "local");
}

static const char *fill_interval(const char *unit)
{
	if (!unit)
		return "1s";
	if (!strcasecmp(unit, "Second"))
		return "1s";
	if (!strcasecmp(unit, "Minute"))
		return "60s";
	if (!strcasecmp(unit, "Hour"))
		return "3600s";
	if (!strcasecmp(unit, "Day"))
		return "86400s";
	if (!strcasecmp(unit, "Month"))
		return "2592000s";
	if (!strcasecmp(unit, "Year"))
		return "31536000s";
	return "1s";
}

static egw_node *bucket(xt *x, const egw_node *lim)
{
	egw_node *b = xo(x);
	xs(x, b, "fillInterval", fill_interval(GS(lim, "unit")));
	xi(x, b, "maxTokens", GI(lim, "requests", 0));
	xi(x, b, "tokensPerFill", GI(lim, "requests", 0));
	return b;
}

static void lrl_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	bool any = false;
	EGW_ARR_EACH(hf_routes_with(x, hl, "traffic", "rateLimit"), i, r)
		if (local_rl(r))
			any = true;
	if (!any || hf_has(hf, LRL))
		return;
	egw_node *c = hf_add(x, hf, LRL, LRL_MSG, false);
	xi(x, c, "maxDynamicDescriptors", 10000);
	xs(x, c, "statPrefix", "http_local_rate_limiter");
}

static egw_node *entry(xt *x, egw_node *entries, const char *k, const char *v)
{
	egw_node *e = xpush(x, entries, xo(x));
	xs(x, e, "key", k);
	xs(x, e, "value", v);
	return e;
}

static egw_node *remote_match(xt *x, const char *key, const char *val, const egw_node *cm)
{
	egw_node *a = xo(x);
	egw_node *ra = xobj(x, a, "remoteAddressMatch");
	egw_node *am = xobj(x, ra, "addressMatcher");
	if (GB(cm, "invert"))
		xb(x, am, "invertMatch", true);
	const char *cidr = GS(cm, "cidr");
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	egw_node *rg = xpush(x, xarr(x, am, "ranges"), xo(x));
	xs(x, rg, "addressPrefix", slash ? egw_strndup(x->a, cidr, (size_t)(slash - cidr)) : cidr);
	xi(x, rg, "prefixLen", GI(cm, "maskLen", 0));
	xs(x, ra, "descriptorKey", key);
	xs(x, ra, "descriptorValue", val);
	return a;
}

static void lrl_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *l = local_rl(r);
	if (!l)
		return;
	egw_node *c = hf_route_cfg(x, xr, LRL, LRL_MSG);
	xb(x, c, "alwaysConsumeDefaultTokenBucket", false);
	egw_node *descs = xarr(x, c, "descriptors");
	if (!GB(G(x->cur_hl, "headers"), "disableRateLimitHeaders"))
		xs(x, c, "enableXRatelimitHeaders", "DRAFT_VERSION_03");
	xi(x, xobj(x, xobj(x, c, "filterEnabled"), "defaultValue"), "numerator", 100);
	xi(x, xobj(x, xobj(x, c, "filterEnforced"), "defaultValue"), "numerator", 100);
	egw_node *rls = xarr(x, c, "rateLimits");
	const egw_node *rule;
	EGW_ARR_EACH(G(l, "rules"), i, rule) {
		int ri = (int)i;
		egw_node *d = xpush(x, descs, xo(x));
		egw_node *entries = xarr(x, d, "entries");
		egw_node *acts = xa(x);
		int mi = 0;
		const egw_node *m;
		EGW_ARR_EACH(G(rule, "headerMatches"), j, m) {
			const char *k = egw_sprintf(x->a, "rule-%d-match-%d", ri, mi++);
			egw_node *a = xpush(x, acts, xo(x));
			if (GB(m, "distinct")) {
				entry(x, entries, k, NULL);
				egw_node *rh = xobj(x, a, "requestHeaders");
				xs(x, rh, "descriptorKey", k);
				xs(x, rh, "headerName", GS(m, "name"));
				continue;
			}
			entry(x, entries, k, k);
			egw_node *hv = xobj(x, a, "headerValueMatch");
			xs(x, hv, "descriptorKey", k);
			xs(x, hv, "descriptorValue", k);
			xb(x, hv, "expectMatch", !GB(m, "invert"));
			egw_node *h = xpush(x, xarr(x, hv, "headers"), xo(x));
			xs(x, h, "name", GS(m, "name"));
			xset(x, h, "stringMatch", xstrmatch(x, m));
		}
		EGW_ARR_EACH(G(rule, "queryParamMatches"), j, m) {
			const char *k = egw_sprintf(x->a, "rule-%d-match-%d", ri, mi++);
			entry(x, entries, k, k);
			egw_node *qv = xobj(x, xpush(x, acts, xo(x)), "queryParameterValueMatch");
			xs(x, qv, "descriptorKey", k);
			xs(x, qv, "descriptorValue", k);
			xb(x, qv, "expectMatch", !GB(m, "invert"));
			egw_node *q = xpush(x, xarr(x, qv, "queryParameters"), xo(x));
			xs(x, q, "name", GS(m, "name"));
			xset(x, q, "stringMatch", xstrmatch(x, m));
		}
		size_t before = acts->n;
		method_path_actions(x, acts, rule, ri);
		for (size_t k = before; k < acts->n; k++) {
			const char *dk = egw_get_str(egw_get(acts->c.items[k], "headerValueMatch"), "descriptorKey", "");
			entry(x, entries, dk, dk);
		}
		const egw_node *cm = G(rule, "cidrMatch");
		if (cm) {
			const char *k = egw_sprintf(x->a, "rule-%d-masked-remote-address", ri);
			const char *cidr = GS(cm, "cidr");
			entry(x, entries, k, cidr);
			xpush(x, acts, remote_match(x, k, cidr, cm));
			if (GB(cm, "distinct")) {
				const char *k2 = egw_sprintf(x->a, "rule-%d-remote-address", ri);
				entry(x, entries, k2, NULL);
				xpush(x, acts, remote_match(x, k2, "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", cm));
			}
		}
		if (GB(rule, "shadowMode"))
			xb(x, d, "shadowMode", true);
		xset(x, d, "tokenBucket", bucket(x, G(rule, "limit")));
		egw_node *one = xpush(x, rls, xo(x));
		xset(x, one, "actions", acts);
		xs(x, one, "xRatelimitOption", x_rl_option(GS(rule, "xRateLimitOption")));
	}
	xs(x, c, "statPrefix", "http_local_rate_limiter");
	xset(x, c, "tokenBucket", bucket(x, G(l, "default")));
}
const hfilter hf_local_ratelimit = {lrl_hcm, lrl_route};
