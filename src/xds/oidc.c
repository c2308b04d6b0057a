/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenID Connect: one oauth2 filter in the HCM with its whole configuration
 * per route (OAuth2PerRoute), the client and HMAC secrets as generic SDS
 * secrets, and a cluster for the token endpoint.
 */
#include <string.h>
#include <strings.h>

#include "httpfilters.h"

#define OAUTH2 "envoy.filters.http.oauth2"


static const egw_node *oidc_of(const egw_node *r)
{
	return G(G(r, "security"), "oidc");
}

static void oidc_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	if (hf_first_route_with(x, hl, "security", "oidc") && !hf_has(hf, OAUTH2))
		hf_add(x, hf, OAUTH2, "envoy.extensions.filters.http.oauth2.v3.OAuth2", false);
}

static egw_node *secret_ref(xt *x, const char *name)
{
	egw_node *o = xo(x);
	xs(x, o, "name", name);
	xset(x, o, "sdsConfig", xads(x, true));
	return o;
}

static void generic_secret(xt *x, const char *name, const egw_node *data)
{
	if (xfind(x, EGW_XDS_SECRET, name))
		return;
	egw_node *s = xo(x);
	{
		/* a DataSource must name its source: an absent secret is empty bytes */
		const char *b = xbytes_b64(x, data);
		xs(x, xobj(x, xobj(x, s, "genericSecret"), "secret"), "inlineBytes", b ? b : "");
	}
	xs(x, s, "name", name);
	xadd(x, EGW_XDS_SECRET, s);
}

static egw_node *path_exact(xt *x, const char *p)
{
	egw_node *o = xo(x);
	xs(x, xobj(x, o, "path"), "exact", p);
	return o;
}

static void pass_through_add(xt *x, egw_node *ms, const char *name, const char *prefix)
{
	const egw_node *m;
	EGW_ARR_EACH(ms, i, m)
	{
		const char *mp = GS(G(m, "stringMatch"), "prefix");
		if (!strcmp(GS(m, "name"), name) && (mp == prefix || (mp && prefix && !strcmp(mp, prefix))))
			return;
	}
	egw_node *n = xpush(x, ms, xo(x));
	xs(x, n, "name", name);
	if (prefix)
		xs(x, xobj(x, n, "stringMatch"), "prefix", prefix);
}

/* Requests that carry a token skip the login flow: with JWT providers on the
 * route, the headers they read tokens from (Authorization with "Bearer "
 * for a provider that names none); without, the Authorization header. */
static void pass_through(xt *x, egw_node *ms, const egw_node *jwt_providers)
{
	if (!egw_len(jwt_providers)) {
		pass_through_add(x, ms, "authorization", "Bearer ");
		return;
	}
	const egw_node *p;
	EGW_ARR_EACH(jwt_providers, i, p) {
		const egw_node *hs = G(G(p, "extractFrom"), "headers");
		if (!G(p, "extractFrom"))
			pass_through_add(x, ms, "Authorization", "Bearer ");
		const egw_node *h;
		EGW_ARR_EACH(hs, j, h)
			pass_through_add(x, ms, GS(h, "name") ? GS(h, "name") : "", GS(h, "valuePrefix"));
	}
}

static void oidc_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *o = oidc_of(r);
	if (!o)
		return;
	const char *name = GS(o, "name") ? GS(o, "name") : "";
	const egw_node *prov = G(o, "provider");
	egw_node *pr = hf_route_cfg(x, xr, OAUTH2, "envoy.extensions.filters.http.oauth2.v3.OAuth2PerRoute");
	egw_node *c = xobj(x, pr, "config");
	if (egw_len(G(o, "scopes")))
		xset(x, c, "authScopes", xcopy(x, G(o, "scopes")));
	xs(x, c, "authType", "BASIC_AUTH");
	xs(x, c, "authorizationEndpoint", GS(prov, "authorizationEndpoint"));
	egw_node *cr = xobj(x, c, "credentials");
	xs(x, cr, "clientId", GS(o, "clientID"));
	xs(x, cr, "cookieDomain", GS(o, "cookieDomain"));
	const char *sfx = GS(o, "cookieSuffix") ? GS(o, "cookieSuffix") : "";
	const egw_node *ov = G(o, "cookieNameOverrides");
	egw_node *cn = xobj(x, cr, "cookieNames");
	xs(x, cn, "bearerToken", GS(ov, "accessToken") ? GS(ov, "accessToken") : egw_sprintf(x->a, "AccessToken-%s", sfx));
	xs(x, cn, "idToken", GS(ov, "idToken") ? GS(ov, "idToken") : egw_sprintf(x->a, "IdToken-%s", sfx));
	xs(x, cn, "oauthExpires", egw_sprintf(x->a, "OauthExpires-%s", sfx));
	xs(x, cn, "oauthHmac", egw_sprintf(x->a, "OauthHMAC-%s", sfx));
	xs(x, cn, "oauthNonce", egw_sprintf(x->a, "OauthNonce-%s", sfx));
	xs(x, cn, "refreshToken", egw_sprintf(x->a, "RefreshToken-%s", sfx));
	const char *hmac = egw_sprintf(x->a, "oauth2/hmac_secret/%s", name);
	const char *tok = egw_sprintf(x->a, "oauth2/client_secret/%s", name);
	xset(x, cr, "hmacSecret", secret_ref(x, hmac));
	xset(x, cr, "tokenSecret", secret_ref(x, tok));
	generic_secret(x, tok, G(o, "clientSecret"));
	generic_secret(x, hmac, G(o, "hmacSecret"));
	xs(x, c, "csrfTokenExpiresIn", xdur(x, G(o, "csrfTokenTTL")));
	xs(x, c, "defaultExpiresIn", xdur(x, G(o, "defaultTokenTTL")));
	xs(x, c, "defaultRefreshTokenExpiresIn", xdur(x, G(o, "defaultRefreshTokenTTL")));
	const egw_node *h;
	EGW_ARR_EACH(G(G(o, "denyRedirect"), "headers"), i, h) {
		egw_node *m = xpush(x, xarr(x, c, "denyRedirectMatcher"), xo(x));
		xs(x, m, "name", GS(h, "name"));
		egw_node *sm = xobj(x, m, "stringMatch");
		const char *t = GS(h, "type"), *v = GS(h, "value");
		if (t && !strcmp(t, "RegularExpression"))
			xs(x, xobj(x, sm, "safeRegex"), "regex", v);
		else if (t && !strcmp(t, "Suffix"))
			xs(x, sm, "suffix", v);
		else if (t && !strcmp(t, "Prefix"))
			xs(x, sm, "prefix", v);
		else
			xs(x, sm, "exact", v);
	}
	if (GB(o, "disableTokenEncryption"))
		xb(x, c, "disableTokenEncryption", true);
	if (GB(o, "forwardAccessToken"))
		xb(x, c, "forwardBearerToken", true);
	if (GS(o, "forwardIDTokenHeader"))
		xs(x, xobj(x, c, "forwardIdToken"), "header", GS(o, "forwardIDTokenHeader"));
	const egw_node *pt = G(o, "passThroughAuthHeader");
	if (GB(o, "passThroughAuthHeader") && pt)
		pass_through(x, xarr(x, c, "passThroughMatcher"), G(G(G(r, "security"), "jwt"), "providers"));
	/* keep the client's Authorization header unless the filter writes one */
	const char *idh = GS(o, "forwardIDTokenHeader");
	if (!GB(o, "forwardAccessToken") && !(idh && !strcasecmp(idh, "Authorization")))
		xb(x, c, "preserveAuthorizationHeader", true);
	if (GS(o, "redirectPath"))
		xset(x, c, "redirectPathMatcher", path_exact(x, GS(o, "redirectPath")));
	xs(x, c, "redirectUri", GS(o, "redirectURL"));
	const egw_node *rt = G(G(prov, "traffic"), "retry");
	if (rt)
		xset(x, c, "retryPolicy", xds_retry_policy_core(x, rt));
	if (egw_len(G(o, "resources")))
		xset(x, c, "resources", xcopy(x, G(o, "resources")));
	if (GS(o, "logoutPath"))
		xset(x, c, "signoutPath", path_exact(x, GS(o, "logoutPath")));
	xs(x, c, "statPrefix", name);
	egw_node *te = xobj(x, c, "tokenEndpoint");
	const egw_node *dest = G(prov, "destination");
	const char *cluster = dest ? xds_service_cluster(x, dest, G(prov, "traffic"))
				   : xds_url_cluster(x, GS(prov, "tokenEndpoint"));
	xs(x, te, "cluster", cluster);
	const char *tt = xdur(x, G(G(G(G(prov, "traffic"), "timeout"), "http"), "requestTimeout"));
	xs(x, te, "timeout", tt ? tt : "10s");
	xs(x, te, "uri", GS(prov, "tokenEndpoint"));
	if (G(o, "refreshToken"))
		xb(x, c, "useRefreshToken", GB(o, "refreshToken"));
}
const hfilter hf_oidc = {oidc_hcm, oidc_route};
