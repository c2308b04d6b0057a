/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upstream HTTP protocol options of a cluster
 * (envoy.extensions.upstreams.http.v3.HttpProtocolOptions): explicit HTTP/2
 * for gRPC and h2c backends, ALPN auto-negotiation for TLS backends, the
 * client's protocol when asked, HTTP/1 settings of the listener, and the
 * connection-level timeouts and limits.
 */
#include <string.h>

#include "httpfilters.h"

#define HPO "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

egw_node *xds_http1_options(xt *x, const egw_node *h1, bool upstream);

static egw_node *up_h2(xt *x, const egw_node *h2)
{
	egw_node *o = xo(x);
	const egw_node *ka = G(h2, "connectionKeepalive");
	if (ka) {
		egw_node *k = xobj(x, o, "connectionKeepalive");
		xs(x, k, "connectionIdleInterval", xdur(x, G(ka, "idleInterval")));
		xs(x, k, "interval", xdur(x, G(ka, "interval")));
		if (G(ka, "intervalJitter"))
			xi(x, xobj(x, k, "intervalJitter"), "value", GI(ka, "intervalJitter", 0));
		xs(x, k, "timeout", xdur(x, G(ka, "timeout")));
	}
	/* Envoy Gateway's IR names the two window sizes the other way round. */
	xi(x, o, "initialConnectionWindowSize", GI(h2, "initialStreamWindowSize", 1048576));
	xi(x, o, "initialStreamWindowSize", GI(h2, "initialConnectionWindowSize", 65536));
	if (G(h2, "maxConcurrentStreams"))
		xi(x, o, "maxConcurrentStreams", GI(h2, "maxConcurrentStreams", 0));
	if (G(h2, "resetStreamOnError"))
		xb(x, o, "overrideStreamErrorOnInvalidHttpMessage", GB(h2, "resetStreamOnError"));
	return o;
}

static bool proto_is(const egw_node *st, const char *p)
{
	const char *v = GS(st, "protocol");
	return v && !strcmp(v, p);
}

void xds_cluster_protocol(xt *x, egw_node *c, const cluster_args *ca)
{
	if (ca->tcp_route || ca->udp_route)
		return;
	const egw_node *st;
	bool h2 = false, all_tls = egw_len(ca->settings) > 0, auto_sni = false, force_h1 = false;
	EGW_ARR_EACH(ca->settings, i, st) {
		if (proto_is(st, "GRPC") || proto_is(st, "HTTP2"))
			h2 = true;
		const egw_node *tls = G(st, "tls");
		if (!tls)
			all_tls = false;
		if (GB(st, "forceHTTP1Upstream"))
			force_h1 = true;
		if (proto_is(st, "TCP") || proto_is(st, "UDP"))
			all_tls = false;
	}
	auto_sni = xds_cluster_auto_sni(ca->settings);
	const egw_node *tr = ca->traffic;
	const egw_node *th = G(G(tr, "timeout"), "http");
	const egw_node *cb = G(tr, "circuitBreaker");
	bool common = G(th, "connectionIdleTimeout") || G(th, "maxConnectionDuration") ||
		      G(cb, "maxRequestsPerConnection") || (ca->stream_timeout && G(th, "maxStreamDuration"));
	egw_node *h1 = xds_http1_options(x, ca->http1, true);
	egw_node *uf = xds_upstream_filters(x, ca);
	const egw_node *ch = ca->service ? G(G(ca->traffic, "loadBalancer"), "consistentHash") : NULL;
	if (!h2 && !all_tls && !ca->use_client_protocol && !h1 && !common && !auto_sni && !uf && !force_h1 && !ch)
		return;
	egw_node *o = xany(x, HPO);
	if (common) {
		egw_node *cho = xobj(x, o, "commonHttpProtocolOptions");
		xs(x, cho, "idleTimeout", xdur(x, G(th, "connectionIdleTimeout")));
		xs(x, cho, "maxConnectionDuration", xdur(x, G(th, "maxConnectionDuration")));
		if (ca->stream_timeout)
			xs(x, cho, "maxStreamDuration", xdur(x, G(th, "maxStreamDuration")));
		if (G(cb, "maxRequestsPerConnection"))
			xi(x, cho, "maxRequestsPerConnection", GI(cb, "maxRequestsPerConnection", 0));
	}
	if (ca->use_client_protocol) {
		egw_node *u = xobj(x, o, "useDownstreamProtocolConfig");
		xset(x, u, "http2ProtocolOptions", up_h2(x, ca->http2));
		xset(x, u, "httpProtocolOptions", h1 ? h1 : xo(x));
	} else if (h2) {
		xset(x, xobj(x, o, "explicitHttpConfig"), "http2ProtocolOptions", up_h2(x, ca->http2));
	} else if (all_tls) {
		egw_node *a = xobj(x, o, "autoConfig");
		xset(x, a, "http2ProtocolOptions", up_h2(x, ca->http2));
		xset(x, a, "httpProtocolOptions", h1 ? h1 : xo(x));
	} else {
		xset(x, xobj(x, o, "explicitHttpConfig"), "httpProtocolOptions", h1 ? h1 : xo(x));
	}
	if (auto_sni) {
		egw_node *uo = xobj(x, o, "upstreamHttpProtocolOptions");
		if (GB(egw_at(ca->settings, 0), "isDynamicResolver"))
			xb(x, uo, "autoSanValidation", true);
		xb(x, uo, "autoSni", true);
	}
	xset(x, o, "httpFilters", uf);
	if (ch && GB(ch, "sourceIP"))
		xb(x, xobj(x, xpush(x, xarr(x, o, "hashPolicy"), xo(x)), "connectionProperties"), "sourceIp", true);
	const egw_node *hh;
	EGW_ARR_EACH(G(ch, "headers"), i, hh)
		xs(x, xobj(x, xpush(x, xarr(x, o, "hashPolicy"), xo(x)), "header"), "headerName", GS(hh, "name"));
	egw_node *teo = xobj(x, c, "typedExtensionProtocolOptions");
	xset(x, teo, HPO, o);
}
