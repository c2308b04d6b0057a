/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWT authentication (envoy.filters.http.jwt_authn) from the IR's
 * route.security.jwt: one filter per HTTP listener holding every provider
 * and requirement its routes use, each route naming its requirement in a
 * PerRouteConfig, and the clusters the remote JWKS are fetched from.
 *
 * Providers and requirements are keyed by content: "<provider name>_<hash>"
 * and "<name>-or-<name>[-or-missing[-or-failed]]_<hash>", so routes that
 * share a provider share its entry, as in Envoy Gateway.  The hash is
 * xxh64 of the entry's canonical JSON; Envoy Gateway hashes something else,
 * so the suffixes differ from its output (docs/conformance.md).
 */
#include "httpfilters.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#define JWT "envoy.filters.http.jwt_authn"

static const char *keyed(xt *x, const char *prefix, const egw_node *content)
{
	const char *json = xds_json_compact(x, content);
	return egw_sprintf(x->a, "%s_%016llx", prefix,
			   (unsigned long long)XXH64(json, strlen(json), 0));
}

static const egw_node *route_jwt(const egw_node *r)
{
	const egw_node *j = G(G(r, "security"), "jwt");
	return egw_len(G(j, "providers")) ? j : NULL;
}

/* The remote JWKS's cluster: its IR destination, or one made from the URI. */
static const char *jwks_cluster(xt *x, const egw_node *rj)
{
	const egw_node *dest = G(rj, "destination");
	if (dest && egw_len(G(dest, "settings")))
		return xds_service_cluster(x, dest, G(rj, "traffic"));
	return xds_url_cluster(x, GS(rj, "uri"));
}

static egw_node *provider(xt *x, const egw_node *p)
{
	egw_node *o = xo(x);
	xs(x, o, "issuer", GS(p, "issuer"));
	if (egw_len(G(p, "audiences")))
		xset(x, o, "audiences", xcopy(x, G(p, "audiences")));
	const egw_node *lj = G(p, "localJWKS");
	const egw_node *rj = G(p, "remoteJWKS");
	if (egw_text(lj)) {
		xs(x, xobj(x, o, "localJwks"), "inlineString", egw_text(lj));
	} else if (rj) {
		egw_node *rem = xobj(x, o, "remoteJwks");
		egw_node *hu = xobj(x, rem, "httpUri");
		xs(x, hu, "uri", GS(rj, "uri"));
		xs(x, hu, "cluster", jwks_cluster(x, rj));
		const char *to = xdur(x, G(G(G(G(rj, "traffic"), "timeout"), "http"), "requestTimeout"));
		xs(x, hu, "timeout", to ? to : "10s");
		xs(x, rem, "cacheDuration", xdur(x, G(rj, "cacheDuration")));
		egw_node *af = xobj(x, rem, "asyncFetch");
		xs(x, af, "failedRefetchDuration", xdur(x, G(rj, "failedRefetchDuration")));
		const egw_node *rt = G(G(rj, "traffic"), "retry");
		if (rt)
			xset(x, rem, "retryPolicy", xds_retry_policy_core(x, rt));
	}
	xb(x, o, "forward", true);
	const egw_node *ef = G(p, "extractFrom");
	if (egw_len(G(ef, "headers"))) {
		egw_node *hs = xarr(x, o, "fromHeaders");
		const egw_node *h;
		EGW_ARR_EACH(G(ef, "headers"), i, h) {
			egw_node *e = xpush(x, hs, xo(x));
			xs(x, e, "name", GS(h, "name"));
			xs(x, e, "valuePrefix", GS(h, "valuePrefix"));
		}
	}
	if (egw_len(G(ef, "params")))
		xset(x, o, "fromParams", xcopy(x, G(ef, "params")));
	if (egw_len(G(ef, "cookies")))
		xset(x, o, "fromCookies", xcopy(x, G(ef, "cookies")));
	xs(x, o, "payloadInMetadata", GS(p, "name"));
	if (egw_len(G(p, "claimToHeaders"))) {
		egw_node *cs = xarr(x, o, "claimToHeaders");
		const egw_node *c;
		EGW_ARR_EACH(G(p, "claimToHeaders"), i, c) {
			egw_node *e = xpush(x, cs, xo(x));
			xs(x, e, "headerName", GS(c, "header"));
			xs(x, e, "claimName", GS(c, "claim"));
		}
	}
	if (G(p, "recomputeRoute"))
		xb(x, o, "clearRouteCache", GB(p, "recomputeRoute"));
	/* scopes as lists, so authorization can match one of them */
	egw_node *sd = xarr(x, xobj(x, o, "normalizePayloadInMetadata"), "spaceDelimitedClaims");
	xpush_s(x, sd, "scope");
	xpush_s(x, sd, "scp");
	return o;
}

/* The requirement of route r: its name (set in *name) and body.  Providers
 * are added to provs (a {key: provider} object) when provs is not NULL. */
static egw_node *requirement(xt *x, const egw_node *j, egw_node *provs, const char **name)
{
	egw_node *reqs = xa(x);
	egw_buf nb;
	egw_buf_init(&nb, x->a);
	const egw_node *p;
	EGW_ARR_EACH(G(j, "providers"), i, p) {
		egw_node *body = provider(x, p);
		const char *key = keyed(x, GS(p, "name") ? GS(p, "name") : "", body);
		if (provs && !G(provs, key))
			xset(x, provs, key, body);
		xs(x, xpush(x, reqs, xo(x)), "providerName", key);
		if (nb.len)
			egw_buf_puts(&nb, "-or-");
		egw_buf_puts(&nb, GS(p, "name") ? GS(p, "name") : "");
	}
	if (GB(j, "allowMissingOrFailed")) {
		xobj(x, xpush(x, reqs, xo(x)), "allowMissingOrFailed");
		egw_buf_puts(&nb, "-or-missing-or-failed");
	} else if (GB(j, "allowMissing")) {
		xobj(x, xpush(x, reqs, xo(x)), "allowMissing");
		egw_buf_puts(&nb, "-or-missing");
	}
	egw_node *req;
	if (reqs->n == 1) {
		req = reqs->c.items[0];
	} else {
		req = xo(x);
		xset(x, xobj(x, req, "requiresAny"), "requirements", reqs);
	}
	*name = keyed(x, egw_buf_str(&nb), req);
	return req;
}

static void jwt_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	if (hf_has(hf, JWT))
		return;
	egw_node *provs = NULL, *reqmap = NULL;
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, "security", "jwt"), i, r) {
		const egw_node *j = route_jwt(r);
		if (!j)
			continue;
		if (!provs) {
			provs = xo(x);
			reqmap = xo(x);
		}
		const char *name;
		egw_node *req = requirement(x, j, provs, &name);
		if (!G(reqmap, name))
			xset(x, reqmap, name, req);
		if (!x->jwt_names_init) {
			egw_map_init(&x->jwt_names, x->a);
			x->jwt_names_init = true;
		}
		egw_map_put(&x->jwt_names, egw_sprintf(x->a, "%zu", (size_t)(uintptr_t)j), (void *)name);
	}
	if (!provs)
		return;
	egw_node *c = hf_add(x, hf, JWT, "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication", false);
	xset(x, c, "providers", provs);
	xset(x, c, "requirementMap", reqmap);
}

static void jwt_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *j = route_jwt(r);
	if (!j)
		return;
	/* named when the listener's filter was built; built here only for a
	 * route that filter did not see */
	const char *name = x->jwt_names_init
				   ? egw_map_get(&x->jwt_names, egw_sprintf(x->a, "%zu", (size_t)(uintptr_t)j))
				   : NULL;
	if (!name)
		requirement(x, j, NULL, &name);
	egw_node *c = hf_route_cfg(x, xr, JWT, "envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig");
	xs(x, c, "requirementName", name);
}

const hfilter hf_jwt = {jwt_hcm, jwt_route};
