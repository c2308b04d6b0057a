/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Simple HTTP filters: gRPC-Web and gRPC stats, the listener health check,
 * fault injection, CORS, session persistence, request buffering and
 * response compression.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "httpfilters.h"

double xnum(const egw_node *n, double def)
{
	if (!n)
		return def;
	if (n->kind == EGW_FLOAT)
		return egw_vfloat(n);
	if (n->kind == EGW_INT)
		return (double)egw_vint(n);
	const char *s = egw_text(n);
	return s && *s ? strtod(s, NULL) : def;
}

int64_t k8s_quantity(const egw_node *n)
{
	const char *s = egw_text(n);
	if (!s)
		return 0;
	char *end;
	double v = strtod(s, &end);
	static const struct {
		const char *suf;
		double mul;
	} sufs[] = {
		{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
		{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	};
	for (size_t i = 0; i < sizeof sufs / sizeof sufs[0]; i++)
		if (!strcmp(end, sufs[i].suf))
			return (int64_t)(v * sufs[i].mul + 0.5);
	return (int64_t)v;
}

egw_node *hf_fraction(xt *x, const egw_node *pct)
{
	egw_node *o = xo(x);
	xs(x, o, "denominator", "MILLION");
	xi(x, o, "numerator", (int64_t)(xnum(pct, 100.0) * 10000.0 + 0.5));
	return o;
}

/* The questions the filters ask of a listener's routes.  One pass over the
 * routes answers them all (hf_routes_with): with thousands of routes per
 * listener, a pass per filter kind reads every route two dozen times. */
static const struct {
	const char *section, *key;
} asked[] = {
	{ "traffic", "faultInjection" }, { "traffic", "requestBuffer" },  { "security", "cors" },
	{ "security", "oidc" },           { "security", "authorization" }, { "security", "apiKeyAuth" },
	{ NULL, "sessionPersistence" },   { "traffic", "responseOverride" }, { "traffic", "compression" },
	{ NULL, "credentialInjection" },  { "security", "jwt" },          { "traffic", "rateLimit" },
	{ "security", "extAuth" },        { "security", "basicAuth" },    { NULL, "envoyExtensions" },
};
#define N_ASKED (sizeof asked / sizeof asked[0])

struct hf_index {
	const egw_node *hl;
	egw_node *with[N_ASKED]; /* ARR: the routes with each, in order */
	bool dynamic;            /* a route resolves its destination dynamically */
};

static bool route_dynamic(const egw_node *r)
{
	const egw_node *st;
	EGW_ARR_EACH(G(G(r, "destination"), "settings"), i, st)
		if (GB(st, "isDynamicResolver"))
			return true;
	return false;
}

static struct hf_index *index_of(xt *x, const egw_node *hl)
{
	if (x->hfi && x->hfi->hl == hl)
		return x->hfi;
	struct hf_index *ix = egw_alloc(x->a, sizeof *ix);
	ix->hl = hl;
	for (size_t k = 0; k < N_ASKED; k++)
		ix->with[k] = xa(x);
	const egw_node *r;
	EGW_ARR_EACH(G(hl, "routes"), i, r) {
		const egw_node *traffic = G(r, "traffic"), *security = G(r, "security");
		for (size_t k = 0; k < N_ASKED; k++) {
			const egw_node *sec = !asked[k].section ? r
					      : asked[k].section[0] == 't' ? traffic
									   : security;
			if (sec && G(sec, asked[k].key))
				xpush(x, ix->with[k], (egw_node *)r);
		}
		if (!ix->dynamic && route_dynamic(r))
			ix->dynamic = true;
	}
	x->hfi = ix;
	return ix;
}

const egw_node *hf_routes_with(xt *x, const egw_node *hl, const char *section, const char *key)
{
	size_t q = 0;
	while (q < N_ASKED && !((asked[q].section == section ||
				 (asked[q].section && section && !strcmp(asked[q].section, section))) &&
				!strcmp(asked[q].key, key)))
		q++;
	if (q < N_ASKED)
		return index_of(x, hl)->with[q];
	/* a question not in the list: a scan */
	egw_node *out = xa(x);
	const egw_node *r;
	EGW_ARR_EACH(G(hl, "routes"), i, r)
		if (G(section ? G(r, section) : r, key))
			xpush(x, out, (egw_node *)r);
	return out;
}

const egw_node *hf_first_route_with(xt *x, const egw_node *hl, const char *section, const char *key)
{
	return egw_at(hf_routes_with(x, hl, section, key), 0);
}

bool hf_route_dynamic(const egw_node *r)
{
	return route_dynamic(r);
}

bool hf_listener_dynamic(xt *x, const egw_node *hl)
{
	return index_of(x, hl)->dynamic;
}

/* ---- gRPC ---- */

static void grpc_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *g = G(hl, "grpc");
	if (GB(g, "enableGRPCWeb") && !hf_has(hf, "envoy.filters.http.grpc_web"))
		hf_add(x, hf, "envoy.filters.http.grpc_web", "envoy.extensions.filters.http.grpc_web.v3.GrpcWeb", false);
	if (GB(g, "enableGRPCStats") && !hf_has(hf, "envoy.filters.http.grpc_stats")) {
		egw_node *c = hf_add(x, hf, "envoy.filters.http.grpc_stats",
				     "envoy.extensions.filters.http.grpc_stats.v3.FilterConfig", false);
		xb(x, c, "emitFilterState", true);
		xb(x, c, "statsForAllMethods", true);
	}
}
const hfilter hf_grpc = {grpc_hcm, NULL};

/* ---- listener health check ---- */

static void hc_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *hc = G(hl, "healthCheck");
	if (!hc || hf_has(hf, "envoy.filters.http.health_check"))
		return;
	egw_node *c = hf_add(x, hf, "envoy.filters.http.health_check",
			     "envoy.extensions.filters.http.health_check.v3.HealthCheck", false);
	egw_node *h = xpush(x, xarr(x, c, "headers"), xo(x));
	xs(x, h, "name", ":path");
	xs(x, xobj(x, h, "stringMatch"), "exact", GS(hc, "path"));
	xb(x, c, "passThroughMode", false);
}
const hfilter hf_health_check = {hc_hcm, NULL};

/* ---- fault ---- */

#define FAULT "envoy.filters.http.fault"
#define FAULT_MSG "envoy.extensions.filters.http.fault.v3.HTTPFault"

static void fault_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	if (hf_first_route_with(x, hl, "traffic", "faultInjection") && !hf_has(hf, FAULT))
		hf_add(x, hf, FAULT, FAULT_MSG, false);
}

static void fault_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *fi = G(G(r, "traffic"), "faultInjection");
	if (!G(fi, "abort") && !G(fi, "delay"))
		return;
	egw_node *c = hf_route_cfg(x, xr, FAULT, FAULT_MSG);
	const egw_node *ab = G(fi, "abort");
	if (ab) {
		egw_node *a = xobj(x, c, "abort");
		if (G(ab, "grpcStatus"))
			xi(x, a, "grpcStatus", GI(ab, "grpcStatus", 0));
		else
			xi(x, a, "httpStatus", GI(ab, "httpStatus", 0));
		xset(x, a, "percentage", hf_fraction(x, G(ab, "percentage")));
	}
	const egw_node *de = G(fi, "delay");
	if (de) {
		egw_node *d = xobj(x, c, "delay");
		xs(x, d, "fixedDelay", xdur(x, G(de, "fixedDelay")));
		xset(x, d, "percentage", hf_fraction(x, G(de, "percentage")));
	}
}
const hfilter hf_fault = {fault_hcm, fault_route};

/* ---- CORS ---- */

#define CORS "envoy.filters.http.cors"

static void cors_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	if (hf_first_route_with(x, hl, "security", "cors") && !hf_has(hf, CORS))
		hf_add(x, hf, CORS, "envoy.extensions.filters.http.cors.v3.Cors", false);
}

static const char *join(xt *x, const egw_node *arr, bool star)
{
	egw_buf b;
	egw_buf_init(&b, x->a);
	const egw_node *it;
	EGW_ARR_EACH(arr, i, it) {
		const char *s = egw_text(it);
		if (star && s && !strcmp(s, "*"))
			return "*";
		if (b.len)
			egw_buf_puts(&b, ", ");
		egw_buf_puts(&b, s ? s : "");
	}
	return b.len ? egw_buf_str(&b) : NULL;
}

static void cors_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *cors = G(G(r, "security"), "cors");
	if (!cors)
		return;
	egw_node *c = hf_route_cfg(x, xr, CORS, "envoy.extensions.filters.http.cors.v3.CorsPolicy");
	if (GB(cors, "allowCredentials"))
		xb(x, c, "allowCredentials", true);
	xs(x, c, "allowHeaders", join(x, G(cors, "allowHeaders"), true));
	xs(x, c, "allowMethods", join(x, G(cors, "allowMethods"), true));
	const egw_node *o;
	if (egw_len(G(cors, "allowOrigins"))) {
		egw_node *arr = xarr(x, c, "allowOriginStringMatch");
		EGW_ARR_EACH(G(cors, "allowOrigins"), i, o)
			xpush(x, arr, xstrmatch(x, o));
	}
	xs(x, c, "exposeHeaders", join(x, G(cors, "exposeHeaders"), true));
	xb(x, c, "forwardNotMatchingPreflights", false);
	int64_t secs;
	int32_t ns;
	if (go_dur(GS(cors, "maxAge"), &secs, &ns))
		xs(x, c, "maxAge", egw_sprintf(x->a, "%lld", (long long)secs));
}
const hfilter hf_cors = {cors_hcm, cors_route};

/* ---- session persistence ---- */

#define SESSION "envoy.filters.http.stateful_session"

static const char *cookie_path(xt *x, const egw_node *r)
{
	const egw_node *pm = G(r, "pathMatch");
	const char *v;
	if ((v = GS(pm, "exact")))
		return v;
	if ((v = GS(pm, "prefix"))) {
		size_t n = strlen(v);
		return n && v[n - 1] == '/' ? v : egw_sprintf(x->a, "%s/", v);
	}
	if ((v = GS(pm, "safeRegex"))) {
		size_t n = strcspn(v, ".*+?()[]{}|^$\\");
		while (n > 0 && v[n - 1] != '/')
			n--;
		if (n > 1)
			n--; /* drop the trailing slash */
		return egw_strndup(x->a, v, n);
	}
	return NULL;
}

static egw_node *session_state(xt *x, const egw_node *r)
{
	const egw_node *sp = G(r, "sessionPersistence");
	egw_node *ss = xo(x);
	const egw_node *h = G(sp, "header");
	if (h) {
		xs(x, ss, "name", "envoy.http.stateful_session.header");
		egw_node *tc = xset(x, ss, "typedConfig",
				    xany(x, "envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState"));
		xs(x, tc, "name", GS(h, "name"));
		return ss;
	}
	const egw_node *ck = G(sp, "cookie");
	xs(x, ss, "name", "envoy.http.stateful_session.cookie");
	egw_node *tc = xset(x, ss, "typedConfig",
			    xany(x, "envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState"));
	egw_node *c = xobj(x, tc, "cookie");
	xs(x, c, "name", GS(ck, "name"));
	xs(x, c, "path", cookie_path(x, r));
	xs(x, c, "ttl", xdur(x, G(ck, "ttl")));
	return ss;
}

static void session_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r = hf_first_route_with(x, hl, NULL, "sessionPersistence");
	if (!r || hf_has(hf, SESSION))
		return;
	egw_node *c = hf_add(x, hf, SESSION, "envoy.extensions.filters.http.stateful_session.v3.StatefulSession", true);
	xset(x, c, "sessionState", session_state(x, r));
}

static void session_route(xt *x, egw_node *xr, const egw_node *r)
{
	if (!G(r, "sessionPersistence"))
		return;
	egw_node *c = hf_route_cfg(x, xr, SESSION,
				   "envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute");
	xset(x, xobj(x, c, "statefulSession"), "sessionState", session_state(x, r));
}
const hfilter hf_session = {session_hcm, session_route};

/* ---- request buffer ---- */

#define BUFFER "envoy.filters.http.buffer"

static void buffer_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r = hf_first_route_with(x, hl, "traffic", "requestBuffer");
	if (!r || hf_has(hf, BUFFER))
		return;
	egw_node *c = hf_add(x, hf, BUFFER, "envoy.extensions.filters.http.buffer.v3.Buffer", true);
	xi(x, c, "maxRequestBytes", k8s_quantity(G(G(G(r, "traffic"), "requestBuffer"), "limit")));
}

static void buffer_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *rb = G(G(r, "traffic"), "requestBuffer");
	if (!rb)
		return;
	egw_node *c = hf_route_cfg(x, xr, BUFFER, "envoy.extensions.filters.http.buffer.v3.BufferPerRoute");
	xi(x, xobj(x, c, "buffer"), "maxRequestBytes", k8s_quantity(G(rb, "limit")));
}
const hfilter hf_buffer = {buffer_hcm, buffer_route};

/* ---- compression ---- */

static const char *lower(xt *x, const char *s)
{
	char *o = egw_strdup(x->a, s ? s : "");
	for (char *p = o; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return o;
}

static void compressor_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, "traffic", "compression"), i, r) {
		const egw_node *c;
		EGW_ARR_EACH(G(G(r, "traffic"), "compression"), j, c) {
			const char *t = lower(x, GS(c, "type"));
			const char *name = egw_sprintf(x->a, "envoy.filters.http.compressor.%s", t);
			if (hf_has(hf, name))
				continue;
			egw_node *tc = hf_add(x, hf, name, "envoy.extensions.filters.http.compressor.v3.Compressor", true);
			egw_node *lib = xobj(x, tc, "compressorLibrary");
			xs(x, lib, "name", egw_sprintf(x->a, "envoy.compression.%s.compressor", t));
			const char *msg = !strcmp(t, "gzip") ? "Gzip" : !strcmp(t, "brotli") ? "Brotli" : "Zstd";
			xset(x, lib, "typedConfig",
			     xany(x, egw_sprintf(x->a, "envoy.extensions.compression.%s.compressor.v3.%s", t, msg)));
			if (G(c, "minContentLength"))
				xi(x, xobj(x, xobj(x, tc, "responseDirectionConfig"), "commonConfig"),
				   "minContentLength", GI(c, "minContentLength", 0));
		}
	}
}

static void compressor_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *c;
	if (egw_len(G(G(r, "traffic"), "compression")))
		xpush_s(x, xarr(x, xr, "requestHeadersToRemove"), "accept-encoding");
	EGW_ARR_EACH(G(G(r, "traffic"), "compression"), j, c) {
		const char *name = egw_sprintf(x->a, "envoy.filters.http.compressor.%s", lower(x, GS(c, "type")));
		egw_node *pr = hf_route_cfg(x, xr, name, "envoy.extensions.filters.http.compressor.v3.CompressorPerRoute");
		xobj(x, xobj(x, pr, "overrides"), "responseDirectionConfig");
	}
}
const hfilter hf_compressor = {compressor_hcm, compressor_route};
