/* SPDX-License-Identifier: Apache-2.0 */
/* Cluster health: active health checks and outlier detection. */
#include <stdio.h>
#include <string.h>

#include "httpfilters.h"

static const char *hex(xt *x, const char *s)
{
	size_t n = strlen(s);
	char *o = egw_alloc(x->a, n * 2 + 1);
	for (size_t i = 0; i < n; i++)
		snprintf(o + i * 2, 3, "%02x", (unsigned char)s[i]);
	return o;
}

static egw_node *payload(xt *x, const egw_node *p)
{
	egw_node *o = xo(x);
	const char *t = GS(p, "text");
	if (t && *t)
		xs(x, o, "text", hex(x, t));
	else if (G(p, "binary"))
		xs(x, o, "binary", xbytes_b64(x, G(p, "binary")));
	return o;
}

/* Sorted statuses -> [start, end) ranges. */
static egw_node *status_ranges(xt *x, const egw_node *st)
{
	size_t n = egw_len(st);
	int64_t *v = egw_alloc(x->a, (n + 1) * sizeof *v);
	for (size_t i = 0; i < n; i++)
		egw_node_int(egw_at(st, i), &v[i]);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	egw_node *arr = xa(x);
	size_t i = 0;
	while (i < n) {
		int64_t start = v[i], end = v[i] + 1;
		i++;
		while (i < n && v[i] <= end) {
			if (v[i] == end)
				end++;
			i++;
		}
		egw_node *r = xpush(x, arr, xo(x));
		xs(x, r, "end", egw_sprintf(x->a, "%lld", (long long)end));
		xs(x, r, "start", egw_sprintf(x->a, "%lld", (long long)start));
	}
	return arr;
}

void xds_cluster_health(xt *x, egw_node *c, const cluster_args *ca)
{
	const egw_node *hc = G(ca->traffic, "healthCheck");
	const egw_node *ac = G(hc, "active");
	if (ac) {
		egw_node *h = xpush(x, xarr(x, c, "healthChecks"), xo(x));
		const egw_node *log = G(ac, "backendHealthCheckLog");
		if (!log)
			log = G(x->ir, "healthCheckLog");
		if (log) {
			if (GB(log, "alwaysLogHealthCheckFailures"))
				xb(x, h, "alwaysLogHealthCheckFailures", true);
			if (GB(log, "alwaysLogHealthCheckSuccess"))
				xb(x, h, "alwaysLogHealthCheckSuccess", true);
			const egw_node *fs;
			EGW_ARR_EACH(G(log, "fileSinks"), i, fs) {
				egw_node *tc = xtyped(x, xarr(x, h, "eventLogger"), "envoy.health_check.event_sinks.file",
						      "envoy.extensions.health_check.event_sinks.file.v3.HealthCheckEventFileSink");
				xs(x, tc, "eventLogPath", GS(fs, "path"));
			}
		}
		if (G(ac, "healthyThreshold"))
			xi(x, h, "healthyThreshold", GI(ac, "healthyThreshold", 0));
		const egw_node *http = G(ac, "http");
		if (http) {
			egw_node *hh = xobj(x, h, "httpHealthCheck");
			if (egw_len(G(http, "expectedStatuses")))
				xset(x, hh, "expectedStatuses", status_ranges(x, G(http, "expectedStatuses")));
			xs(x, hh, "host", GS(http, "host"));
			xs(x, hh, "method", GS(http, "method"));
			xs(x, hh, "path", GS(http, "path"));
			if (G(http, "expectedResponse"))
				xpush(x, xarr(x, hh, "receive"), payload(x, G(http, "expectedResponse")));
		}
		const egw_node *grpc = G(ac, "grpc");
		if (grpc) {
			egw_node *gh = xobj(x, h, "grpcHealthCheck");
			xs(x, gh, "serviceName", GS(grpc, "service"));
		}
		xs(x, h, "interval", xdur(x, G(ac, "interval")));
		const egw_node *tcp = G(ac, "tcp");
		if (tcp) {
			egw_node *th = xobj(x, h, "tcpHealthCheck");
			if (G(tcp, "receive"))
				xpush(x, xarr(x, th, "receive"), payload(x, G(tcp, "receive")));
			if (G(tcp, "send"))
				xset(x, th, "send", payload(x, G(tcp, "send")));
		}
		xs(x, h, "timeout", xdur(x, G(ac, "timeout")));
		if (G(ac, "unhealthyThreshold"))
			xi(x, h, "unhealthyThreshold", GI(ac, "unhealthyThreshold", 0));
		if (G(ac, "initialJitter"))
			xs(x, h, "initialJitter", xdur(x, G(ac, "initialJitter")));
	}
	const egw_node *pv = G(hc, "passive");
	if (pv) {
		egw_node *od = xobj(x, c, "outlierDetection");
		if (GB(pv, "alwaysEjectOneEndpoint"))
			xb(x, od, "alwaysEjectOneHost", true);
		xs(x, od, "baseEjectionTime", xdur(x, G(pv, "baseEjectionTime")));
		if (G(pv, "consecutive5XxErrors"))
			xi(x, od, "consecutive5xx", GI(pv, "consecutive5XxErrors", 0));
		if (G(pv, "consecutiveGatewayErrors")) {
			xi(x, od, "consecutiveGatewayFailure", GI(pv, "consecutiveGatewayErrors", 0));
			xi(x, od, "enforcingConsecutiveGatewayFailure", 100);
		}
		if (G(pv, "consecutiveLocalOriginFailures"))
			xi(x, od, "consecutiveLocalOriginFailure", GI(pv, "consecutiveLocalOriginFailures", 0));
		if (G(pv, "failurePercentageThreshold")) {
			xi(x, od, "enforcingFailurePercentage", 100);
			xi(x, od, "failurePercentageThreshold", GI(pv, "failurePercentageThreshold", 0));
		}
		xs(x, od, "interval", xdur(x, G(pv, "interval")));
		if (GI(pv, "maxEjectionPercent", 0) > 0)
			xi(x, od, "maxEjectionPercent", GI(pv, "maxEjectionPercent", 0));
		if (GB(pv, "splitExternalLocalOriginErrors"))
			xb(x, od, "splitExternalLocalOriginErrors", true);
	}
	if (ac && G(G(ac, "panicThreshold"), "value"))
		(void)0;
}
