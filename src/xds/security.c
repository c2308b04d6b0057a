/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Filters configured per policy: external authorization, basic auth, API
 * key auth, external processing, Lua and Wasm.  Each policy gets its own
 * filter in the HCM, named "<filter>/<policy name>", disabled by default and
 * enabled (or configured) on the routes the policy applies to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpfilters.h"

void xds_gateway_service_cluster(xt *x, const char *name, const char *host, int64_t port);

egw_node *xds_retry_policy_core(xt *x, const egw_node *rt);

/* Compact JSON with sorted object keys (Go's encoding/json for maps). */
static void json_str(egw_buf *b, const char *s)
{
	egw_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			egw_buf_putc(b, '\\');
			egw_buf_putc(b, (char)*p);
		} else if (*p < 0x20)
			egw_buf_printf(b, "\\u%04x", *p);
		else if (*p == '<' || *p == '>' || *p == '&')
			egw_buf_printf(b, "\\u%04x", *p);
		else
			egw_buf_putc(b, (char)*p);
	}
	egw_buf_putc(b, '"');
}

static void json_sorted(xt *x, egw_buf *b, const egw_node *n)
{
	if (!n || n->kind == EGW_NULL) {
		egw_buf_puts(b, "null");
		return;
	}
	switch (n->kind) {
	case EGW_BOOL:
		egw_buf_puts(b, egw_vbool(n) ? "true" : "false");
		return;
	case EGW_INT:
	case EGW_FLOAT:
		egw_buf_puts(b, n->str ? n->str : "0");
		return;
	case EGW_STR:
		json_str(b, n->str ? n->str : "");
		return;
	case EGW_ARR:
		egw_buf_putc(b, '[');
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				egw_buf_putc(b, ',');
			json_sorted(x, b, n->c.items[i]);
		}
		egw_buf_putc(b, ']');
		return;
	default: {
		size_t k = n->n;
		const egw_member **ms = egw_alloc(x->a, (k + 1) * sizeof *ms);
		for (size_t i = 0; i < k; i++)
			ms[i] = &n->c.members[i];
		for (size_t i = 1; i < k; i++)
			for (size_t j = i; j > 0 && strcmp(ms[j - 1]->key, ms[j]->key) > 0; j--) {
				const egw_member *t = ms[j];
				ms[j] = ms[j - 1];
				ms[j - 1] = t;
			}
		egw_buf_putc(b, '{');
		for (size_t i = 0; i < k; i++) {
			if (i)
				egw_buf_putc(b, ',');
			json_str(b, ms[i]->key);
			egw_buf_putc(b, ':');
			json_sorted(x, b, ms[i]->val);
		}
		egw_buf_putc(b, '}');
	}
	}
}

const char *xds_json_compact(xt *x, const egw_node *n)
{
	egw_buf b;
	egw_buf_init(&b, x->a);
	json_sorted(x, &b, n);
	return egw_buf_str(&b);
}

static const char *b64dec(xt *x, const egw_node *n)
{
	size_t len;
	return xbytes_raw(x, n, &len);
}

const char *xds_service_cluster(xt *x, const egw_node *d, const egw_node *traffic)
{
	if (!d)
		return NULL;
	cluster_args ca = {0};
	ca.name = GS(d, "name");
	ca.settings = G(d, "settings");
	ca.traffic = traffic;
	ca.metadata = G(d, "metadata");
	ca.is_http = true;
	ca.service = true;
	xds_cluster_add(x, &ca);
	return ca.name;
}

static egw_node *header_patterns(xt *x, const egw_node *hdrs)
{
	egw_node *o = xo(x);
	egw_node *p = xarr(x, o, "patterns");
	const egw_node *h;
	EGW_ARR_EACH(hdrs, i, h) {
		egw_node *m = xpush(x, p, xo(x));
		xs(x, m, "exact", egw_text(h));
		xb(x, m, "ignoreCase", true);
	}
	return o;
}

static const char *http_status_name(int64_t code)
{
	switch (code) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 500: return "InternalServerError";
	case 502: return "BadGateway";
	case 503: return "ServiceUnavailable";
	case 504: return "GatewayTimeout";
	default: return NULL;
	}
}

/* ---- ext_authz ---- */

#define EXTAUTHZ "envoy.filters.http.ext_authz"

static void extauthz_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, "security", "extAuth"), i, r) {
		const egw_node *ea = G(G(r, "security"), "extAuth");
		const char *name = egw_sprintf(x->a, "%s/%s", EXTAUTHZ, GS(ea, "name") ? GS(ea, "name") : "");
		if (hf_has(hf, name))
			continue;
		egw_node *c = hf_add(x, hf, name, "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", true);
		if (egw_len(G(ea, "headersToExtAuth")))
			xset(x, c, "allowedHeaders", header_patterns(x, G(ea, "headersToExtAuth")));
		if (GB(ea, "recomputeRoute"))
			xb(x, c, "clearRouteCache", true);
		if (GB(ea, "failOpen"))
			xb(x, c, "failureModeAllow", true);
		const egw_node *g = G(ea, "grpc"), *h = G(ea, "http");
		if (g) {
			egw_node *gs = xobj(x, c, "grpcService");
			egw_node *eg = xobj(x, gs, "envoyGrpc");
			xs(x, eg, "authority", GS(g, "authority"));
			xs(x, eg, "clusterName", GS(G(g, "destination"), "name"));
			xs(x, gs, "timeout", xdur(x, G(ea, "timeout")) ? xdur(x, G(ea, "timeout")) : "10s");
			xds_service_cluster(x, G(g, "destination"), G(ea, "traffic"));
		} else if (h) {
			egw_node *hs = xobj(x, c, "httpService");
			if (egw_len(G(h, "headersToBackend")))
				xset(x, xobj(x, hs, "authorizationResponse"), "allowedUpstreamHeaders",
				     header_patterns(x, G(h, "headersToBackend")));
			const char *path = GS(h, "path"), *po = GS(h, "pathOverride");
			if (po)
				xs(x, hs, "pathOverride", po);
			else if (path)
				xs(x, hs, "pathPrefix", path);
			const egw_node *rt = G(G(ea, "traffic"), "retry");
			if (rt)
				xset(x, hs, "retryPolicy", xds_retry_policy_core(x, rt));
			egw_node *su = xobj(x, hs, "serverUri");
			xs(x, su, "cluster", GS(G(h, "destination"), "name"));
			xs(x, su, "timeout", xdur(x, G(ea, "timeout")) ? xdur(x, G(ea, "timeout")) : "10s");
			xs(x, su, "uri", egw_sprintf(x->a, "http://%s%s", GS(h, "authority") ? GS(h, "authority") : "",
						     po ? po : path ? path : ""));
			xds_service_cluster(x, G(h, "destination"), G(ea, "traffic"));
		}
		if (GB(ea, "includeRouteMetadata"))
			xpush_s(x, xarr(x, c, "routeMetadataContextNamespaces"), "envoy-gateway");
		const char *soe = http_status_name(GI(ea, "statusOnError", 0));
		if (soe)
			xs(x, xobj(x, c, "statusOnError"), "code", soe);
		xs(x, c, "transportApiVersion", "V3");
		if (G(ea, "bodyToExtAuth")) {
			egw_node *wb = xobj(x, c, "withRequestBody");
			xi(x, wb, "maxRequestBytes", GI(G(ea, "bodyToExtAuth"), "maxRequestBytes", 0));
		}
	}
}

static void extauthz_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *ea = G(G(r, "security"), "extAuth");
	if (!ea)
		return;
	const char *name = egw_sprintf(x->a, "%s/%s", EXTAUTHZ, GS(ea, "name") ? GS(ea, "name") : "");
	egw_node *c = hf_route_cfg(x, xr, name, "envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute");
	egw_node *cs = xobj(x, c, "checkSettings");
	const egw_node *ce;
	EGW_ARR_EACH(G(ea, "contextExtensions"), i, ce)
		xs(x, xobj(x, cs, "contextExtensions"), GS(ce, "name") ? GS(ce, "name") : "", b64dec(x, G(ce, "value")));
}
const hfilter hf_extauthz = {extauthz_hcm, extauthz_route};

/* ---- basic auth ---- */

#define BASIC "envoy.filters.http.basic_auth"

static void basic_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, "security", "basicAuth"), i, r) {
		const egw_node *ba = G(G(r, "security"), "basicAuth");
		const char *name = egw_sprintf(x->a, "%s/%s", BASIC, GS(ba, "name") ? GS(ba, "name") : "");
		if (hf_has(hf, name))
			continue;
		egw_node *c = hf_add(x, hf, name, "envoy.extensions.filters.http.basic_auth.v3.BasicAuth", true);
		xs(x, c, "forwardUsernameHeader", GS(ba, "forwardUsernameHeader"));
		xs(x, xobj(x, c, "users"), "inlineBytes", xbytes_b64(x, G(ba, "users")));
	}
}

static void basic_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *ba = G(G(r, "security"), "basicAuth");
	if (!ba)
		return;
	const char *name = egw_sprintf(x->a, "%s/%s", BASIC, GS(ba, "name") ? GS(ba, "name") : "");
	egw_node *c = hf_route_cfg(x, xr, name, "envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute");
	xs(x, xobj(x, c, "users"), "inlineBytes", xbytes_b64(x, G(ba, "users")));
}
const hfilter hf_basic_auth = {basic_hcm, basic_route};

/* ---- API key auth ---- */

#define APIKEY "envoy.filters.http.api_key_auth"

static void apikey_fill(xt *x, egw_node *c, const egw_node *ak)
{
	egw_node *creds = xarr(x, c, "credentials");
	const egw_node *cr;
	EGW_ARR_EACH(G(ak, "credentials"), i, cr) {
		egw_node *o = xpush(x, creds, xo(x));
		xs(x, o, "client", b64dec(x, G(cr, "client")));
		xs(x, o, "key", b64dec(x, G(cr, "key")));
	}
	const char *fwd = GS(ak, "forwardClientIDHeader");
	if (fwd || GB(ak, "sanitize")) {
		egw_node *f = xobj(x, c, "forwarding");
		xs(x, f, "header", fwd);
		if (GB(ak, "sanitize"))
			xb(x, f, "hideCredentials", true);
	}
	egw_node *ks = xarr(x, c, "keySources");
	const egw_node *ef;
	EGW_ARR_EACH(G(ak, "extractFrom"), i, ef) {
		static const struct {
			const char *ir, *out;
		} kinds[] = {{"cookies", "cookie"}, {"headers", "header"}, {"params", "query"}};
		for (size_t k = 0; k < 3; k++) {
			const egw_node *v;
			EGW_ARR_EACH(G(ef, kinds[k].ir), j, v)
				xs(x, xpush(x, ks, xo(x)), kinds[k].out, egw_text(v));
		}
	}
}

static void apikey_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r = hf_first_route_with(x, hl, "security", "apiKeyAuth");
	if (!r || hf_has(hf, APIKEY))
		return;
	egw_node *c = hf_add(x, hf, APIKEY, "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth", true);
	apikey_fill(x, c, G(G(r, "security"), "apiKeyAuth"));
}

static void apikey_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *ak = G(G(r, "security"), "apiKeyAuth");
	if (!ak)
		return;
	apikey_fill(x, hf_route_cfg(x, xr, APIKEY, "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute"),
		    ak);
}
const hfilter hf_api_key_auth = {apikey_hcm, apikey_route};

/* ---- ext_proc ---- */

#define EXTPROC "envoy.filters.http.ext_proc"

static const char *body_mode(const char *m)
{
	if (!m)
		return NULL;
	if (!strcmp(m, "Buffered"))
		return "BUFFERED";
	if (!strcmp(m, "Streamed"))
		return "STREAMED";
	if (!strcmp(m, "BufferedPartial"))
		return "BUFFERED_PARTIAL";
	if (!strcmp(m, "FullDuplexStreamed"))
		return "FULL_DUPLEX_STREAMED";
	return NULL;
}

static void extproc_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, NULL, "envoyExtensions"), i, r) {
		const egw_node *ep;
		EGW_ARR_EACH(G(G(r, "envoyExtensions"), "extProcs"), j, ep) {
			const char *name = egw_sprintf(x->a, "%s/%s", EXTPROC, GS(ep, "name") ? GS(ep, "name") : "");
			if (hf_has(hf, name))
				continue;
			egw_node *c = hf_add(x, hf, name, "envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor", true);
			if (GB(ep, "allowModeOverride"))
				xb(x, c, "allowModeOverride", true);
			if (GB(ep, "failOpen"))
				xb(x, c, "failureModeAllow", true);
			egw_node *gs = xobj(x, c, "grpcService");
			egw_node *eg = xobj(x, gs, "envoyGrpc");
			xs(x, eg, "authority", GS(ep, "authority"));
			xs(x, eg, "clusterName", GS(G(ep, "destination"), "name"));
			const egw_node *rt = G(G(ep, "traffic"), "retry");
			if (rt)
				xset(x, gs, "retryPolicy", xds_retry_policy_core(x, rt));
			xs(x, gs, "timeout", "10s");
			xs(x, c, "messageTimeout", xdur(x, G(ep, "messageTimeout")));
			if (egw_len(G(ep, "forwardingMetadataNamespaces")) || egw_len(G(ep, "receivingMetadataNamespaces"))) {
				egw_node *mo = xobj(x, c, "metadataOptions");
				if (egw_len(G(ep, "forwardingMetadataNamespaces")))
					xset(x, xobj(x, mo, "forwardingNamespaces"), "untyped",
					     xcopy(x, G(ep, "forwardingMetadataNamespaces")));
				if (egw_len(G(ep, "receivingMetadataNamespaces")))
					xset(x, xobj(x, mo, "receivingNamespaces"), "untyped",
					     xcopy(x, G(ep, "receivingMetadataNamespaces")));
			}
			if (GB(ep, "shadowMode"))
				xb(x, c, "observabilityMode", true);
			egw_node *pm = xobj(x, c, "processingMode");
			xs(x, pm, "requestBodyMode", body_mode(GS(ep, "requestBodyProcessingMode")));
			xs(x, pm, "requestHeaderMode", GB(ep, "requestHeaderProcessing") ? "SEND" : "SKIP");
			const char *rqb = GS(ep, "requestBodyProcessingMode"), *rsb = GS(ep, "responseBodyProcessingMode");
			xs(x, pm, "requestTrailerMode", rqb && !strcmp(rqb, "FullDuplexStreamed") ? "SEND" : "SKIP");
			xs(x, pm, "responseBodyMode", body_mode(GS(ep, "responseBodyProcessingMode")));
			xs(x, pm, "responseHeaderMode", GB(ep, "responseHeaderProcessing") ? "SEND" : "SKIP");
			xs(x, pm, "responseTrailerMode", rsb && !strcmp(rsb, "FullDuplexStreamed") ? "SEND" : "SKIP");
			if (egw_len(G(ep, "requestAttributes")))
				xset(x, c, "requestAttributes", xcopy(x, G(ep, "requestAttributes")));
			if (egw_len(G(ep, "responseAttributes")))
				xset(x, c, "responseAttributes", xcopy(x, G(ep, "responseAttributes")));
			const char *soe = http_status_name(GI(ep, "statusOnError", 0));
			if (soe)
				xs(x, xobj(x, c, "statusOnError"), "code", soe);
			xds_service_cluster(x, G(ep, "destination"), G(ep, "traffic"));
		}
	}
}

static void extproc_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *ep;
	EGW_ARR_EACH(G(G(r, "envoyExtensions"), "extProcs"), j, ep)
		hf_route_enable(x, xr, egw_sprintf(x->a, "%s/%s", EXTPROC, GS(ep, "name") ? GS(ep, "name") : ""));
}
const hfilter hf_extproc = {extproc_hcm, extproc_route};

/* ---- Lua ---- */

#define LUA "envoy.filters.http.lua"

/* Envoy Gateway's IR spells a Lua entry's fields with capitals (Name, Code,
 * FilterContext): the IR stage writes them so, and IR input matches any case. */

static void lua_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, NULL, "envoyExtensions"), i, r) {
		const egw_node *l;
		EGW_ARR_EACH(G(G(r, "envoyExtensions"), "luas"), j, l) {
			const char *name = egw_sprintf(x->a, "%s/%s", LUA, GS(l, "Name") ? GS(l, "Name") : "");
			if (hf_has(hf, name))
				continue;
			egw_node *c = hf_add(x, hf, name, "envoy.extensions.filters.http.lua.v3.Lua", true);
			xs(x, xobj(x, c, "defaultSourceCode"), "inlineString", GS(l, "Code"));
		}
	}
}

static void lua_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *l;
	EGW_ARR_EACH(G(G(r, "envoyExtensions"), "luas"), j, l) {
		const char *name = egw_sprintf(x->a, "%s/%s", LUA, GS(l, "Name") ? GS(l, "Name") : "");
		if (G(l, "FilterContext")) {
			egw_node *c = hf_route_cfg(x, xr, name, "envoy.extensions.filters.http.lua.v3.LuaPerRoute");
			xset(x, c, "filterContext", xcopy(x, G(l, "FilterContext")));
		} else
			hf_route_enable(x, xr, name);
	}
}
const hfilter hf_lua = {lua_hcm, lua_route};

/* ---- Wasm ---- */

#define WASM "envoy.filters.http.wasm"

static void wasm_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, NULL, "envoyExtensions"), i, r) {
		const egw_node *w;
		EGW_ARR_EACH(G(G(r, "envoyExtensions"), "wasms"), j, w) {
			const char *name = egw_sprintf(x->a, "%s/%s", WASM, GS(w, "name") ? GS(w, "name") : "");
			if (hf_has(hf, name))
				continue;
			egw_node *tc = hf_add(x, hf, name, "envoy.extensions.filters.http.wasm.v3.Wasm", true);
			if (G(G(x->ir, "globalResources"), "envoyClientCertificate")) {
				const char *dom = x->c->dns_domain ? x->c->dns_domain : "cluster.local";
				xds_gateway_service_cluster(
					x, "wasm_cluster",
					egw_sprintf(x->a, "envoy-gateway.envoy-gateway-system.svc.%s", dom), 18002);
			}
			egw_node *c = xobj(x, tc, "config");
			egw_node *cf = xset(x, c, "configuration", xany(x, "google.protobuf.StringValue"));
			if (G(w, "config") && G(w, "config")->kind != EGW_NULL)
				xs(x, cf, "value", xds_json_compact(x, G(w, "config")));
			if (GB(w, "failOpen"))
				xb(x, c, "failOpen", true);
			xs(x, c, "name", GS(w, "wasmName"));
			xs(x, c, "rootId", GS(w, "rootID"));
			egw_node *vm = xobj(x, c, "vmConfig");
			const egw_node *code = G(w, "httpWasmCode");
			egw_node *rem = xobj(x, xobj(x, vm, "code"), "remote");
			egw_node *hu = xobj(x, rem, "httpUri");
			xs(x, hu, "cluster", "wasm_cluster");
			xs(x, hu, "timeout", "10s");
			xs(x, hu, "uri", GS(code, "servingURL"));
			egw_node *rp = xobj(x, rem, "retryPolicy");
			xi(x, rp, "numRetries", 10);
			egw_node *bo = xobj(x, rp, "retryBackOff");
			xs(x, bo, "baseInterval", "1s");
			xs(x, bo, "maxInterval", "30s");
			xs(x, rem, "sha256", GS(code, "sha256"));
			xs(x, vm, "runtime", "envoy.wasm.runtime.v8");
			xs(x, vm, "vmId", GS(w, "name"));
			const egw_node *hk = G(w, "hostKeys");
			if (!hk)
				hk = G(G(w, "env"), "hostKeys");
			if (egw_len(hk))
				xset(x, xobj(x, vm, "environmentVariables"), "hostEnvKeys", xcopy(x, hk));
		}
	}
}

void xds_gateway_service_cluster(xt *x, const char *name, const char *host, int64_t port);

static void wasm_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *w;
	EGW_ARR_EACH(G(G(r, "envoyExtensions"), "wasms"), j, w)
		hf_route_enable(x, xr, egw_sprintf(x->a, "%s/%s", WASM, GS(w, "name") ? GS(w, "name") : ""));
}
const hfilter hf_wasm = {wasm_hcm, wasm_route};

/* ---- clusters for URLs (remote modules, JWKS) ---- */

/* Adds the cluster serving url; returns its name ("<host with _>_<port>"). */
const char *xds_url_cluster(xt *x, const char *url)
{
	if (!url)
		return NULL;
	const char *p = strstr(url, "://");
	bool tls = !strncmp(url, "https", 5);
	const char *host = p ? p + 3 : url;
	size_t hl = strcspn(host, ":/");
	int64_t port = tls ? 443 : 80;
	if (host[hl] == ':')
		port = strtol(host + hl + 1, NULL, 10);
	char *h = egw_strndup(x->a, host, hl);
	char *flat = egw_strdup(x->a, h);
	for (char *q = flat; *q; q++)
		if (*q == '.')
			*q = '_';
	const char *name = egw_sprintf(x->a, "%s_%lld", flat, (long long)port);
	if (xfind(x, EGW_XDS_CLUSTER, name))
		return name;
	bool ip = strspn(h, "0123456789.") == strlen(h) || strchr(h, ':');
	egw_node *ep = xo(x);
	xs(x, ep, "host", h);
	xi(x, ep, "port", port);
	egw_node *st = xo(x);
	xs(x, st, "name", egw_sprintf(x->a, "%s/backend/-1", name));
	xs(x, st, "addressType", ip ? "IP" : "FQDN");
	xpush(x, xarr(x, st, "endpoints"), ep);
	egw_node *settings = xa(x);
	xpush(x, settings, st);
	cluster_args ca = {0};
	ca.name = name;
	ca.settings = settings;
	xds_cluster_add(x, &ca);
	if (tls) {
		egw_node *c = xfind(x, EGW_XDS_CLUSTER, name);
		egw_node *ts = xobj(x, c, "transportSocket");
		xs(x, ts, "name", "envoy.transport_sockets.tls");
		egw_node *tc = xset(x, ts, "typedConfig", xany(x, "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"));
		egw_node *ctc = xobj(x, tc, "commonTlsContext");
		xs(x, xobj(x, ctc, "tlsParams"), "tlsMaximumProtocolVersion", "TLSv1_3");
		xs(x, xobj(x, xobj(x, ctc, "validationContext"), "trustedCa"), "filename", "/etc/ssl/certs/ca-certificates.crt");
		xs(x, tc, "sni", h);
	}
	return name;
}

/* ---- dynamic modules ---- */

#define DYNMOD "envoy.filters.http.dynamic_modules"

static void dynmod_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, NULL, "envoyExtensions"), i, r) {
		const egw_node *m;
		EGW_ARR_EACH(G(G(r, "envoyExtensions"), "dynamicModules"), j, m) {
			const char *name = egw_sprintf(x->a, "%s/%s", DYNMOD, GS(m, "name") ? GS(m, "name") : "");
			if (hf_has(hf, name))
				continue;
			egw_node *c = hf_add(x, hf, name,
					     "envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter", true);
			egw_node *dm = xobj(x, c, "dynamicModuleConfig");
			if (GB(m, "doNotClose"))
				xb(x, dm, "doNotClose", true);
			if (GB(m, "loadGlobally"))
				xb(x, dm, "loadGlobally", true);
			egw_node *mod = xobj(x, dm, "module");
			const egw_node *rem = G(m, "remote");
			if (rem) {
				egw_node *ro = xobj(x, mod, "remote");
				egw_node *hu = xobj(x, ro, "httpUri");
				xs(x, hu, "cluster", xds_url_cluster(x, GS(rem, "url")));
				xs(x, hu, "timeout", "10s");
				xs(x, hu, "uri", GS(rem, "url"));
				xs(x, ro, "sha256", GS(rem, "sha256"));
			} else
				xs(x, xobj(x, mod, "local"), "filename", GS(m, "path"));
			if (G(m, "config") && G(m, "config")->kind != EGW_NULL) {
				egw_node *fc = xset(x, c, "filterConfig", xany(x, "google.protobuf.StringValue"));
				xs(x, fc, "value", xds_json_compact(x, G(m, "config")));
			}
			xs(x, c, "filterName", GS(m, "filterName"));
			if (GB(m, "terminalFilter"))
				xb(x, c, "terminalFilter", true);
		}
	}
}

static void dynmod_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *m;
	EGW_ARR_EACH(G(G(r, "envoyExtensions"), "dynamicModules"), j, m)
		hf_route_enable(x, xr, egw_sprintf(x->a, "%s/%s", DYNMOD, GS(m, "name") ? GS(m, "name") : ""));
}
const hfilter hf_dynamic_modules = {dynmod_hcm, dynmod_route};
