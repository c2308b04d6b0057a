/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorization: the RBAC filter with per-route matchers (methods, client
 * CIDRs, JWT scopes and claims, headers, client geolocation), and the geoip
 * filter that feeds geolocation headers to it.  CEL rules are not
 * translated yet.
 */
#include <string.h>

#include "httpfilters.h"

#define RBAC "envoy.filters.http.rbac"
#define GEOIP "envoy.filters.http.geoip"

static const egw_node *authz(const egw_node *r)
{
	return G(G(r, "security"), "authorization");
}

static egw_node *header_pred(xt *x, const char *hdr, egw_node *vm)
{
	egw_node *p = xo(x);
	egw_node *sp = xobj(x, p, "singlePredicate");
	egw_node *in = xobj(x, sp, "input");
	xs(x, in, "name", "http_header");
	egw_node *tc = xset(x, in, "typedConfig", xany(x, "envoy.type.matcher.v3.HttpRequestHeaderMatchInput"));
	xs(x, tc, "headerName", hdr);
	xset(x, sp, "valueMatch", vm);
	return p;
}

static egw_node *exact_ci(xt *x, const char *v, bool ci)
{
	egw_node *m = xo(x);
	xs(x, m, "exact", v);
	if (ci)
		xb(x, m, "ignoreCase", true);
	return m;
}

static egw_node *join(xt *x, egw_node *preds, const char *kind)
{
	if (preds->n == 1)
		return preds->c.items[0];
	egw_node *p = xo(x);
	xset(x, xobj(x, p, kind), "predicate", preds);
	return p;
}

static egw_node *metadata_pred(xt *x, const char *name, const char *input, const char *provider, const char *key,
			       const char *value, bool list)
{
	egw_node *p = xo(x);
	egw_node *sp = xobj(x, p, "singlePredicate");
	egw_node *cm = xobj(x, sp, "customMatch");
	xs(x, cm, "name", name);
	egw_node *tc = xset(x, cm, "typedConfig", xany(x, "envoy.extensions.matching.input_matchers.metadata.v3.Metadata"));
	egw_node *val = xobj(x, tc, "value");
	egw_node *sm = list ? xobj(x, xobj(x, xobj(x, val, "listMatch"), "oneOf"), "stringMatch") : xobj(x, val, "stringMatch");
	xs(x, sm, "exact", value);
	egw_node *in = xobj(x, sp, "input");
	xs(x, in, "name", input);
	egw_node *it = xset(x, in, "typedConfig",
			    xany(x, "envoy.extensions.matching.common_inputs.network.v3.DynamicMetadataInput"));
	xs(x, it, "filter", "envoy.filters.http.jwt_authn");
	egw_node *path = xarr(x, it, "path");
	xs(x, xpush(x, path, xo(x)), "key", provider);
	xs(x, xpush(x, path, xo(x)), "key", key);
	return p;
}

static const char *geo_header(const char *field)
{
	static const struct {
		const char *f, *h;
	} m[] = {
		{"country", "x-eg-internal-geoip-country"}, {"city", "x-eg-internal-geoip-city"},
		{"region", "x-eg-internal-geoip-region"},   {"asn", "x-eg-internal-geoip-asn"},
		{"isAnonymous", "x-eg-internal-geoip-anon"}, {"isVPN", "x-eg-internal-geoip-anon-vpn"},
		{"isHosting", "x-eg-internal-geoip-anon-hosting"}, {"isTor", "x-eg-internal-geoip-anon-tor"},
		{"isProxy", "x-eg-internal-geoip-anon-proxy"},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (!strcmp(field, m[i].f))
			return m[i].h;
	return NULL;
}

static egw_node *geo_location(xt *x, const egw_node *loc)
{
	egw_node *parts = xa(x);
	static const char *const plain[] = {"country", "region", "city"};
	for (size_t i = 0; i < 3; i++)
		if (GS(loc, plain[i]))
			xpush(x, parts, header_pred(x, geo_header(plain[i]), exact_ci(x, GS(loc, plain[i]), true)));
	const egw_node *an = G(loc, "anonymous");
	static const char *const flags[] = {"isAnonymous", "isVPN", "isHosting", "isTor", "isProxy"};
	for (size_t i = 0; i < 5; i++)
		if (G(an, flags[i]))
			xpush(x, parts, header_pred(x, geo_header(flags[i]), exact_ci(x, GB(an, flags[i]) ? "true" : "false", false)));
	return parts->n ? join(x, parts, "andMatcher") : xo(x);
}

static egw_node *rule_predicate(xt *x, const egw_node *rule)
{
	egw_node *parts = xa(x);
	const egw_node *ms = G(G(rule, "operation"), "methods"), *v;
	if (egw_len(ms)) {
		egw_node *or = xa(x);
		EGW_ARR_EACH(ms, i, v)
			xpush(x, or, header_pred(x, ":method", exact_ci(x, egw_text(v), true)));
		xpush(x, parts, join(x, or, "orMatcher"));
	}
	const egw_node *pr = G(rule, "principal");
	if (egw_len(G(pr, "clientCIDRs"))) {
		egw_node *p = xo(x);
		egw_node *sp = xobj(x, p, "singlePredicate");
		egw_node *cm = xobj(x, sp, "customMatch");
		xs(x, cm, "name", "ip_matcher");
		egw_node *tc = xset(x, cm, "typedConfig", xany(x, "envoy.extensions.matching.input_matchers.ip.v3.Ip"));
		egw_node *rg = xarr(x, tc, "cidrRanges");
		EGW_ARR_EACH(G(pr, "clientCIDRs"), i, v) {
			const char *c = GS(v, "cidr");
			const char *sl = c ? strchr(c, '/') : NULL;
			egw_node *o = xpush(x, rg, xo(x));
			xs(x, o, "addressPrefix", sl ? egw_strndup(x->a, c, (size_t)(sl - c)) : c);
			xi(x, o, "prefixLen", GI(v, "maskLen", 0));
		}
		xs(x, tc, "statPrefix", "client_ip");
		egw_node *in = xobj(x, sp, "input");
		xs(x, in, "name", "client_ip");
		xset(x, in, "typedConfig", xany(x, "envoy.extensions.matching.common_inputs.network.v3.SourceIPInput"));
		xpush(x, parts, p);
	}
	const egw_node *jwt = G(pr, "jwt");
	if (jwt) {
		const char *prov = GS(jwt, "provider");
		EGW_ARR_EACH(G(jwt, "scopes"), i, v) {
			egw_node *or = xa(x);
			xpush(x, or, metadata_pred(x, "scope_matcher", "scope", prov, "scope", egw_text(v), true));
			xpush(x, or, metadata_pred(x, "scope_matcher", "scope", prov, "scp", egw_text(v), true));
			xpush(x, parts, join(x, or, "orMatcher"));
		}
		const egw_node *cl;
		EGW_ARR_EACH(G(jwt, "claims"), i, cl) {
			const char *vt = GS(cl, "valueType");
			bool list = vt && !strcmp(vt, "StringArray");
			egw_node *or = xa(x);
			EGW_ARR_EACH(G(cl, "values"), k, v)
				xpush(x, or, metadata_pred(x, "claim_matcher", "claim", prov, GS(cl, "name"), egw_text(v), list));
			if (or->n)
				xpush(x, parts, join(x, or, "orMatcher"));
		}
	}
	const egw_node *h;
	EGW_ARR_EACH(G(pr, "headers"), i, h) {
		egw_node *or = xa(x);
		EGW_ARR_EACH(G(h, "values"), k, v)
			xpush(x, or, header_pred(x, GS(h, "name"), exact_ci(x, egw_text(v), false)));
		if (or->n)
			xpush(x, parts, join(x, or, "orMatcher"));
	}
	if (egw_len(G(pr, "clientIPGeoLocations"))) {
		egw_node *or = xa(x);
		EGW_ARR_EACH(G(pr, "clientIPGeoLocations"), i, v)
			xpush(x, or, geo_location(x, v));
		xpush(x, parts, join(x, or, "orMatcher"));
	}
	if (!parts->n)
		return xo(x);
	return join(x, parts, "andMatcher");
}

static egw_node *action(xt *x, const char *name, const char *act)
{
	egw_node *a = xo(x);
	xs(x, a, "name", name);
	egw_node *tc = xset(x, a, "typedConfig", xany(x, "envoy.config.rbac.v3.Action"));
	bool deny = act && !strcmp(act, "Deny");
	if (deny)
		xs(x, tc, "action", "DENY");
	xs(x, tc, "name", deny ? "DENY" : "ALLOW");
	return a;
}

static void rbac_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	if (!hf_first_route_with(x, hl, "security", "authorization") || hf_has(hf, RBAC))
		return;
	hf_add(x, hf, RBAC, "envoy.extensions.filters.http.rbac.v3.RBAC", false);
}

static void rbac_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *az = authz(r);
	if (!az)
		return;
	egw_node *c = hf_route_cfg(x, xr, RBAC, "envoy.extensions.filters.http.rbac.v3.RBACPerRoute");
	egw_node *m = xobj(x, xobj(x, c, "rbac"), "matcher");
	const egw_node *rule;
	if (egw_len(G(az, "rules"))) {
		egw_node *ms = xarr(x, xobj(x, m, "matcherList"), "matchers");
		EGW_ARR_EACH(G(az, "rules"), i, rule) {
			egw_node *o = xpush(x, ms, xo(x));
			xset(x, xobj(x, o, "onMatch"), "action", action(x, GS(rule, "name"), GS(rule, "action")));
			xset(x, o, "predicate", rule_predicate(x, rule));
		}
	}
	xset(x, xobj(x, m, "onNoMatch"), "action", action(x, "default", GS(az, "defaultAction")));
}
const hfilter hf_rbac = {rbac_hcm, rbac_route};

/* ---- geoip ---- */

/* The geolocation fields (geo_fields, as bits) that hl's authorization rules
 * use; computed once per listener. */
static const char *const geo_fields[] = {"country", "city", "region", "asn", "isAnonymous",
					 "isVPN", "isHosting", "isTor", "isProxy"};

static unsigned geo_fields_used(xt *x, const egw_node *hl)
{
	if (x->geo_hl == hl)
		return x->geo_used;
	unsigned used = 0;
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, "security", "authorization"), i, r) {
		const egw_node *rule;
		EGW_ARR_EACH(G(authz(r), "rules"), j, rule) {
			const egw_node *loc;
			EGW_ARR_EACH(G(G(rule, "principal"), "clientIPGeoLocations"), k, loc)
				for (size_t f = 0; f < 9; f++)
					if (G(f < 4 ? loc : G(loc, "anonymous"), geo_fields[f]))
						used |= 1u << f;
		}
	}
	x->geo_hl = hl;
	x->geo_used = used;
	return used;
}

static void geoip_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *gp = G(hl, "geoIPProvider");
	if (!gp || hf_has(hf, GEOIP))
		return;
	egw_node *c = hf_add(x, hf, GEOIP, "envoy.extensions.filters.http.geoip.v3.Geoip", false);
	const char *ch = GS(G(G(hl, "clientIPDetection"), "customHeader"), "name");
	if (ch)
		xs(x, xobj(x, c, "customHeaderConfig"), "headerName", ch);
	egw_node *p = xobj(x, c, "provider");
	xs(x, p, "name", "envoy.geoip_providers.maxmind");
	egw_node *tc = xset(x, p, "typedConfig", xany(x, "envoy.extensions.geoip_providers.maxmind.v3.MaxMindConfig"));
	const egw_node *mm = G(gp, "maxMind");
	xs(x, tc, "anonDbPath", GS(mm, "anonymousIpDbPath"));
	xs(x, tc, "asnDbPath", GS(mm, "asnDbPath"));
	xs(x, tc, "cityDbPath", GS(mm, "cityDbPath"));
	xs(x, tc, "countryDbPath", GS(mm, "countryDbPath"));
	xs(x, tc, "ispDbPath", GS(mm, "ispDbPath"));
	/* field keys: the geolocation fields the listener's rules use */
	egw_node *keys = xobj(x, xobj(x, tc, "commonProviderConfig"), "geoFieldKeys");
	/* the provider's name for each of geo_fields */
	static const char *const field_key[] = {"country", "city", "region", "asn", "anon",
						"anonVpn", "anonHosting", "anonTor", "anonProxy"};
	unsigned used = geo_fields_used(x, hl);
	for (size_t f = 0; f < 9; f++)
		if (used & (1u << f))
			xs(x, keys, field_key[f], geo_header(geo_fields[f]));
}
/* Internal geolocation headers must not come from the client. */
static void geoip_route(xt *x, egw_node *xr, const egw_node *r)
{
	(void)r;
	const egw_node *hl = x->cur_hl;
	if (!G(hl, "geoIPProvider"))
		return;
	unsigned used = geo_fields_used(x, hl);
	for (size_t f = 0; f < 9; f++)
		if (used & (1u << f))
			xpush_s(x, xarr(x, xr, "requestHeadersToRemove"), geo_header(geo_fields[f]));
}
const hfilter hf_geoip = {geoip_hcm, geoip_route};

/* ---- dynamic forward proxy: never forward to the proxy's own loopback ---- */

#define DFP_DENY "envoy.filters.http.rbac.dfp_loopback_deny"

static void dfp_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	if (hf_listener_dynamic(x, hl) && !hf_has(hf, DFP_DENY))
		hf_add(x, hf, DFP_DENY, "envoy.extensions.filters.http.rbac.v3.RBAC", false);
}

static void dfp_route(xt *x, egw_node *xr, const egw_node *r)
{
	/* a literal host rewrite fixes the destination: nothing to guard */
	if (!hf_route_dynamic(r) || GS(G(G(r, "urlRewrite"), "host"), "name"))
		return;
	static const char *const hosts[] = {
		"^127\\.0\\.0\\.1(?::\\d+)?$", "^localhost(?::\\d+)?$", "^localhost\\.localdomain(?::\\d+)?$",
		"^ip6-localhost(?::\\d+)?$",   "^ip6-loopback(?::\\d+)?$", "^\\[::1\\](?::\\d+)?$",
		"^::1(?::\\d+)?$",
	};
	egw_node *c = hf_route_cfg(x, xr, DFP_DENY, "envoy.extensions.filters.http.rbac.v3.RBACPerRoute");
	egw_node *m = xobj(x, xobj(x, c, "rbac"), "matcher");
	egw_node *o = xpush(x, xarr(x, xobj(x, m, "matcherList"), "matchers"), xo(x));
	xset(x, xobj(x, o, "onMatch"), "action", action(x, "deny-loopback-host", "Deny"));
	egw_node *or = xa(x);
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		egw_node *vm = xo(x);
		egw_node *re = xobj(x, vm, "safeRegex");
		xobj(x, re, "googleRe2");
		xs(x, re, "regex", hosts[i]);
		const char *hh = GS(G(G(r, "urlRewrite"), "host"), "header");
		xpush(x, or, header_pred(x, hh ? hh : ":authority", vm));
	}
	xset(x, o, "predicate", join(x, or, "orMatcher"));
	xset(x, xobj(x, m, "onNoMatch"), "action", action(x, "default", "Allow"));
}
const hfilter hf_dfp_deny = {dfp_hcm, dfp_route};
