/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access logs: file (text or JSON), gRPC access log service and
 * OpenTelemetry sinks.  Listener-level loggers only log requests that found
 * no route (response flag NR) so each request is logged once; HCM, TCP and
 * UDP proxy loggers log everything.  CEL matches become expression filters,
 * and-ed with the NR filter where there is one.
 */
#include <stdlib.h>
#include <string.h>

#include "httpfilters.h"

static egw_node *cel_filter(xt *x, const char *expr)
{
	egw_node *f = xo(x);
	egw_node *ef = xobj(x, f, "extensionFilter");
	xs(x, ef, "name", "envoy.access_loggers.extension_filters.cel");
	egw_node *tc = xset(x, ef, "typedConfig", xany(x, "envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter"));
	xs(x, tc, "expression", expr);
	return f;
}

static egw_node *log_filter(xt *x, const egw_node *sink, bool listener_level)
{
	const egw_node *cel = G(sink, "celMatches");
	egw_node *nr = NULL;
	if (listener_level) {
		nr = xo(x);
		xpush_s(x, xarr(x, xobj(x, nr, "responseFlagFilter"), "flags"), "NR");
	}
	size_t n = egw_len(cel) + (nr ? 1 : 0);
	if (n == 0)
		return NULL;
	if (n == 1 && nr)
		return nr;
	if (n == 1)
		return cel_filter(x, egw_text(egw_at(cel, 0)));
	egw_node *f = xo(x);
	egw_node *arr = xarr(x, xobj(x, f, "andFilter"), "filters");
	const egw_node *c;
	EGW_ARR_EACH(cel, i, c)
		xpush(x, arr, cel_filter(x, egw_text(c)));
	if (nr)
		xpush(x, arr, nr);
	return f;
}

static egw_node *formatters(xt *x, const char *text)
{
	if (!text || !strstr(text, "%REQ_WITHOUT_QUERY("))
		return NULL;
	egw_node *arr = xa(x);
	xtyped(x, arr, "envoy.formatter.req_without_query",
	       "envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery");
	return arr;
}

/* The JSON access log record Envoy Gateway writes when the IR names no
 * fields (its default, the same for HTTP, TCP and UDP listeners). */
static const char *const default_json_fields[][2] = {
	{ "start_time", "%START_TIME%" },
	{ "method", "%REQ(:METHOD)%" },
	{ "x-envoy-origin-path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%" },
	{ "protocol", "%PROTOCOL%" },
	{ "response_code", "%RESPONSE_CODE%" },
	{ "response_flags", "%RESPONSE_FLAGS%" },
	{ "response_code_details", "%RESPONSE_CODE_DETAILS%" },
	{ "connection_termination_details", "%CONNECTION_TERMINATION_DETAILS%" },
	{ "upstream_transport_failure_reason", "%UPSTREAM_TRANSPORT_FAILURE_REASON%" },
	{ "bytes_received", "%BYTES_RECEIVED%" },
	{ "bytes_sent", "%BYTES_SENT%" },
	{ "duration", "%DURATION%" },
	{ "x-envoy-upstream-service-time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%" },
	{ "x-forwarded-for", "%REQ(X-FORWARDED-FOR)%" },
	{ "user-agent", "%REQ(USER-AGENT)%" },
	{ "x-request-id", "%REQ(X-REQUEST-ID)%" },
	{ ":authority", "%REQ(:AUTHORITY)%" },
	{ "upstream_host", "%UPSTREAM_HOST%" },
	{ "upstream_cluster", "%UPSTREAM_CLUSTER%" },
	{ "upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%" },
	{ "downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%" },
	{ "downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%" },
	{ "requested_server_name", "%REQUESTED_SERVER_NAME%" },
	{ "route_name", "%ROUTE_NAME%" },
};

static const char *json_text(const egw_node *json)
{
	static const char *const none = "";
	(void)json;
	return none;
}

static egw_node *logger(xt *x, egw_node *arr, const egw_node *sink, bool listener_level, const char *name,
			const char *msg)
{
	egw_node *l = xpush(x, arr, xo(x));
	xset(x, l, "filter", log_filter(x, sink, listener_level));
	xs(x, l, "name", name);
	return xset(x, l, "typedConfig", xany(x, msg));
}

static egw_node *kv_values(xt *x, const egw_node *attrs, bool pod_defaults)
{
	/* key-sorted list of {key, value: {stringValue}} */
	egw_map m;
	egw_map_init(&m, x->a);
	if (pod_defaults) {
		egw_map_put(&m, "k8s.namespace.name", (void *)"%ENVIRONMENT(ENVOY_POD_NAMESPACE)%");
		egw_map_put(&m, "k8s.pod.name", (void *)"%ENVIRONMENT(ENVOY_POD_NAME)%");
	}
	const egw_node *a;
	EGW_ARR_EACH(attrs, i, a)
		if (GS(a, "key"))
			egw_map_put(&m, GS(a, "key"), (void *)(GS(a, "value") ? GS(a, "value") : ""));
	if (attrs && attrs->kind == EGW_OBJ) {
		egw_member *mm;
		EGW_OBJ_EACH(attrs, i, mm)
			egw_map_put(&m, mm->key, (void *)(egw_text(mm->val) ? egw_text(mm->val) : ""));
	}
	size_t n = m.n;
	const egw_map_entry **es = egw_alloc(x->a, (n + 1) * sizeof *es);
	egw_map_entry *e;
	EGW_MAP_EACH(&m, i, e)
		es[i] = e;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(es[j - 1]->key, es[j]->key) > 0; j--) {
			const egw_map_entry *t = es[j];
			es[j] = es[j - 1];
			es[j - 1] = t;
		}
	egw_node *o = xo(x);
	egw_node *vals = xarr(x, o, "values");
	for (size_t i = 0; i < n; i++) {
		egw_node *v = xpush(x, vals, xo(x));
		xs(x, v, "key", es[i]->key);
		xs(x, xobj(x, v, "value"), "stringValue", (const char *)es[i]->val);
	}
	return o;
}

egw_node *xds_access_logs(xt *x, bool listener_level, int kind)
{
	const egw_node *al = x->accesslog;
	if (!al)
		return NULL;
	egw_node *arr = xa(x);
	const egw_node *s;
	EGW_ARR_EACH(G(al, "text"), i, s) {
		const char *fmt = GS(s, "format");
		if (!fmt) {
			xerr(x, "text.Format is nil");
			continue;
		}
		egw_node *tc = logger(x, arr, s, listener_level, "envoy.access_loggers.file",
				      "envoy.extensions.access_loggers.file.v3.FileAccessLog");
		egw_node *lf = xobj(x, tc, "logFormat");
		xset(x, lf, "formatters", formatters(x, fmt));
		xs(x, xobj(x, lf, "textFormatSource"), "inlineString", fmt);
		xs(x, tc, "path", GS(s, "path"));
	}
	EGW_ARR_EACH(G(al, "json"), i, s) {
		egw_node *tc = logger(x, arr, s, listener_level, "envoy.access_loggers.file",
				      "envoy.extensions.access_loggers.file.v3.FileAccessLog");
		egw_node *lf = xobj(x, tc, "logFormat");
		egw_node *jf = xobj(x, lf, "jsonFormat");
		bool rwq = false;
		const egw_node *kv;
		if (!egw_len(G(s, "json"))) /* no fields named: Envoy Gateway's default record */
			for (size_t j = 0; j < sizeof default_json_fields / sizeof default_json_fields[0]; j++)
				xs(x, jf, default_json_fields[j][0], default_json_fields[j][1]);
		EGW_ARR_EACH(G(s, "json"), j, kv) {
			const char *v = GS(kv, "value");
			xs(x, jf, GS(kv, "key") ? GS(kv, "key") : "", v ? v : "");
			if (v && strstr(v, "%REQ_WITHOUT_QUERY("))
				rwq = true;
		}
		if (rwq) {
			egw_node *fm = formatters(x, "%REQ_WITHOUT_QUERY(");
			/* formatters come first in the proto's field order; position is not semantic */
			xset(x, lf, "formatters", fm);
		}
		xs(x, tc, "path", GS(s, "path"));
	}
	EGW_ARR_EACH(G(al, "als"), i, s) {
		const char *type = GS(s, "type");
		bool tcp = type && !strcmp(type, "TCP");
		if (tcp && kind == AL_HTTP && !listener_level)
			continue;
		egw_node *tc;
		if (tcp)
			tc = logger(x, arr, s, listener_level, "envoy.access_loggers.tcp_grpc",
				    "envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig");
		else {
			if (kind != AL_HTTP)
				continue;
			tc = logger(x, arr, s, listener_level, "envoy.access_loggers.http_grpc",
				    "envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig");
			const egw_node *h = G(s, "http");
			if (egw_len(G(h, "requestHeaders")))
				xset(x, tc, "additionalRequestHeadersToLog", xcopy(x, G(h, "requestHeaders")));
			if (egw_len(G(h, "responseHeaders")))
				xset(x, tc, "additionalResponseHeadersToLog", xcopy(x, G(h, "responseHeaders")));
			if (egw_len(G(h, "responseTrailers")))
				xset(x, tc, "additionalResponseTrailersToLog", xcopy(x, G(h, "responseTrailers")));
		}
		egw_node *cc = xobj(x, tc, "commonConfig");
		xs(x, xobj(x, xobj(x, cc, "grpcService"), "envoyGrpc"), "clusterName", GS(G(s, "destination"), "name"));
		xs(x, cc, "logName", GS(s, "name"));
		xs(x, cc, "transportApiVersion", "V3");
	}
	EGW_ARR_EACH(G(al, "openTelemetry"), i, s) {
		egw_node *tc = logger(x, arr, s, listener_level, "envoy.access_loggers.open_telemetry",
				      "envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig");
		xset(x, tc, "attributes", kv_values(x, G(s, "attributes"), true));
		const char *text = GS(s, "text");
		if (text)
			xs(x, xobj(x, tc, "body"), "stringValue", text);
		egw_node *cc = xobj(x, tc, "commonConfig");
		egw_node *eg = xobj(x, xobj(x, cc, "grpcService"), "envoyGrpc");
		xs(x, eg, "authority", GS(s, "authority"));
		xs(x, eg, "clusterName", GS(G(s, "destination"), "name"));
		xs(x, cc, "logName", "otel_envoy_accesslog");
		xs(x, cc, "transportApiVersion", "V3");
		xset(x, tc, "formatters", formatters(x, text));
		if (egw_len(G(s, "resourceAttributes")))
			xset(x, tc, "resourceAttributes", kv_values(x, G(s, "resourceAttributes"), false));
	}
	(void)json_text;
	return arr->n ? arr : NULL;
}

static void sink_cluster(xt *x, const egw_node *s)
{
	const egw_node *d = G(s, "destination");
	if (!d)
		return;
	cluster_args ca = {0};
	ca.name = GS(d, "name");
	ca.settings = G(d, "settings");
	ca.traffic = G(s, "traffic");
	ca.metadata = G(d, "metadata");
	ca.is_http = true;
	ca.stream_timeout = true;
	xds_cluster_add(x, &ca);
}

void xds_accesslog_clusters(xt *x)
{
	const egw_node *al = x->accesslog, *s;
	EGW_ARR_EACH(G(al, "als"), i, s)
		sink_cluster(x, s);
	EGW_ARR_EACH(G(al, "openTelemetry"), i, s)
		sink_cluster(x, s);
}
