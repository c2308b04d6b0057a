/* SPDX-License-Identifier: Apache-2.0 */
/* Tracing: the HCM's tracing block (OpenTelemetry, Zipkin, Datadog), the
 * collector cluster, and per-route span names. */
#include <string.h>

#include "httpfilters.h"

static egw_node *percent(xt *x, double v)
{
	egw_node *o = xo(x);
	if (v == 0)
		return o; /* the default, as Envoy Gateway writes it */
	if (v == (double)(int64_t)v)
		xi(x, o, "value", (int64_t)v);
	else
		xset(x, o, "value", egw_float(x->a, v));
	return o;
}

static egw_node *sampling(xt *x, const egw_node *tr)
{
	egw_node *o = xo(x);
	const egw_node *sf = G(tr, "samplingFraction");
	double v = 100.0;
	if (sf) {
		double num = xnum(G(sf, "numerator"), 0), den = xnum(G(sf, "denominator"), 100);
		v = den ? num / den * 100.0 : 0;
	} else if (G(tr, "samplingRate"))
		v = xnum(G(tr, "samplingRate"), 100);
	if (v == (double)(int64_t)v)
		xi(x, o, "value", (int64_t)v);
	else
		xset(x, o, "value", egw_float(x->a, v));
	return o;
}

static int tag_cmp(const egw_node *a, const egw_node *b)
{
	const char *ka = GS(a, "key"), *kb = GS(b, "key");
	return strcmp(ka ? ka : "", kb ? kb : "");
}

static egw_node *custom_tags(xt *x, const egw_node *tags)
{
	size_t n = egw_len(tags);
	if (!n)
		return NULL;
	const egw_node **v = egw_alloc(x->a, n * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = egw_at(tags, i);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && tag_cmp(v[j - 1], v[j]) > 0; j--) {
			const egw_node *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	egw_node *arr = xa(x);
	for (size_t i = 0; i < n; i++) {
		const egw_node *val = G(v[i], "value");
		const char *type = GS(val, "type");
		egw_node *o = xpush(x, arr, xo(x));
		if (type && !strcmp(type, "Environment")) {
			egw_node *e = xobj(x, o, "environment");
			xs(x, e, "defaultValue", GS(G(val, "environment"), "defaultValue"));
			xs(x, e, "name", GS(G(val, "environment"), "name"));
		} else if (type && !strcmp(type, "RequestHeader")) {
			egw_node *e = xobj(x, o, "requestHeader");
			xs(x, e, "defaultValue", GS(G(val, "requestHeader"), "defaultValue"));
			xs(x, e, "name", GS(G(val, "requestHeader"), "name"));
		} else {
			xs(x, xobj(x, o, "literal"), "value", GS(G(val, "literal"), "value"));
		}
		xs(x, o, "tag", GS(v[i], "key"));
	}
	return arr;
}

static egw_node *otel_sampler(xt *x, const egw_node *s)
{
	const char *t = GS(s, "type");
	if (!t)
		return NULL;
	egw_node *o = xo(x);
	if (!strcmp(t, "AlwaysOn")) {
		xs(x, o, "name", "envoy.tracers.opentelemetry.samplers.always_on");
		xset(x, o, "typedConfig", xany(x, "envoy.extensions.tracers.opentelemetry.samplers.v3.AlwaysOnSamplerConfig"));
		return o;
	}
	egw_node *ratio = xo(x);
	xs(x, ratio, "name", "envoy.tracers.opentelemetry.samplers.trace_id_ratio_based");
	egw_node *rc = xset(x, ratio, "typedConfig",
			    xany(x, "envoy.extensions.tracers.opentelemetry.samplers.v3.TraceIdRatioBasedSamplerConfig"));
	egw_node *sp = xobj(x, rc, "samplingPercentage");
	const egw_node *pct = G(s, "samplingPercentage");
	if (pct) {
		int64_t num = GI(pct, "numerator", 0);
		if (num)
			xi(x, sp, "numerator", num);
		const char *den = GS(pct, "denominator");
		if (den && strcmp(den, "HUNDRED"))
			xs(x, sp, "denominator", den);
	}
	if (!strcmp(t, "ParentBasedTraceIdRatio")) {
		xs(x, o, "name", "envoy.tracers.opentelemetry.samplers.parent_based");
		egw_node *tc = xset(x, o, "typedConfig",
				    xany(x, "envoy.extensions.tracers.opentelemetry.samplers.v3.ParentBasedSamplerConfig"));
		xset(x, tc, "wrappedSampler", ratio);
		return o;
	}
	return ratio;
}

static egw_node *provider(xt *x, const egw_node *tr)
{
	const egw_node *p = G(tr, "provider");
	const char *type = GS(p, "type");
	const char *cluster = GS(G(tr, "destination"), "name");
	egw_node *o = xo(x);
	if (type && !strcmp(type, "Zipkin")) {
		xs(x, o, "name", "envoy.traces.zipkin");
		egw_node *tc = xset(x, o, "typedConfig", xany(x, "envoy.config.trace.v3.ZipkinConfig"));
		const egw_node *z = G(p, "zipkin");
		xs(x, tc, "collectorCluster", cluster);
		xs(x, tc, "collectorEndpoint", "/api/v2/spans");
		xs(x, tc, "collectorEndpointVersion", "HTTP_JSON");
		xb(x, tc, "sharedSpanContext", !GB(z, "disableSharedSpanContext"));
		xb(x, tc, "traceId128bit", GB(z, "enable128BitTraceId"));
		return o;
	}
	if (type && !strcmp(type, "Datadog")) {
		xs(x, o, "name", "envoy.tracers.datadog");
		egw_node *tc = xset(x, o, "typedConfig", xany(x, "envoy.config.trace.v3.DatadogConfig"));
		xs(x, tc, "collectorCluster", cluster);
		xs(x, tc, "serviceName", GS(tr, "serviceName"));
		return o;
	}
	xs(x, o, "name", "envoy.tracers.opentelemetry");
	egw_node *tc = xset(x, o, "typedConfig", xany(x, "envoy.config.trace.v3.OpenTelemetryConfig"));
	egw_node *gs = xobj(x, tc, "grpcService");
	egw_node *eg = xobj(x, gs, "envoyGrpc");
	xs(x, eg, "authority", GS(tr, "authority"));
	xs(x, eg, "clusterName", cluster);
	const egw_node *h;
	EGW_ARR_EACH(G(tr, "headers"), i, h) {
		egw_node *m = xpush(x, xarr(x, gs, "initialMetadata"), xo(x));
		xs(x, m, "key", GS(h, "name"));
		xs(x, m, "value", GS(h, "value"));
	}
	if (egw_len(G(tr, "resourceAttributes"))) {
		egw_node *rd = xtyped(x, xarr(x, tc, "resourceDetectors"),
				      "envoy.tracers.opentelemetry.resource_detectors.static_config",
				      "envoy.extensions.tracers.opentelemetry.resource_detectors.v3.StaticConfigResourceDetectorConfig");
		egw_node *attrs = xobj(x, rd, "attributes");
		const egw_node *a;
		EGW_ARR_EACH(G(tr, "resourceAttributes"), i, a)
			xs(x, attrs, GS(a, "key") ? GS(a, "key") : "", GS(a, "value") ? GS(a, "value") : "");
	}
	xset(x, tc, "sampler", otel_sampler(x, G(G(p, "openTelemetry"), "sampler")));
	xs(x, tc, "serviceName", GS(tr, "serviceName"));
	return o;
}

void xds_hcm_tracing(xt *x, egw_node *hcm)
{
	const egw_node *tr = x->tracing;
	if (!tr)
		return;
	egw_node *t = xobj(x, hcm, "tracing");
	xset(x, t, "clientSampling", percent(x, xnum(G(tr, "clientSamplingRate"), 0)));
	xset(x, t, "customTags", custom_tags(x, G(tr, "customTags")));
	const egw_node *sn = G(tr, "spanName");
	xs(x, t, "operation", GS(sn, "client"));
	xset(x, t, "overallSampling", percent(x, xnum(G(tr, "overallSamplingRate"), 100)));
	xset(x, t, "provider", provider(x, tr));
	xset(x, t, "randomSampling", sampling(x, tr));
	xb(x, t, "spawnUpstreamSpan", true);
	xs(x, t, "upstreamOperation", GS(sn, "server"));
}

void xds_route_tracing(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *t = G(G(G(r, "traffic"), "telemetry"), "tracing");
	if (!t)
		return;
	egw_node *o = xobj(x, xr, "tracing");
	xobj(x, o, "clientSampling");
	const egw_node *sn = G(t, "spanName");
	xs(x, o, "operation", GS(sn, "client"));
	xs(x, o, "upstreamOperation", GS(sn, "server"));
	if (G(t, "customTags"))
		xset(x, o, "customTags", custom_tags(x, G(t, "customTags")));
}

void xds_tracing_cluster(xt *x)
{
	const egw_node *tr = x->tracing;
	const egw_node *d = G(tr, "destination");
	if (!tr)
		return;
	cluster_args ca = {0};
	ca.name = GS(d, "name");
	ca.settings = G(d, "settings");
	if (!d) {
		/* no resolved destination: the provider's host and port */
		const egw_node *p = G(tr, "provider");
		egw_node *ep = xo(x);
		xs(x, ep, "host", GS(p, "host") ? GS(p, "host") : "");
		xi(x, ep, "port", GI(p, "port", 0));
		egw_node *st = xo(x);
		xs(x, st, "name", "tracing/backend/-1");
		xs(x, st, "addressType", "FQDN");
		xpush(x, xarr(x, st, "endpoints"), ep);
		egw_node *settings = xa(x);
		xpush(x, settings, st);
		ca.name = "tracing";
		ca.settings = settings;
	}
	ca.traffic = G(tr, "traffic");
	ca.metadata = G(d, "metadata");
	ca.is_http = true;
	ca.stream_timeout = true;
	xds_cluster_add(x, &ca);
}
