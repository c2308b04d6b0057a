/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listeners: the ready listener, HTTP listeners (HCM with RDS, TLS filter
 * chains matched by SNI, QUIC twins for HTTP/3), TCP proxy filter chains
 * and UDP proxy listeners.  Listeners that share an address and port share
 * one Envoy listener, found through x->lst_addr.
 */
#include <string.h>

#include "names.h"
#include "xds_int.h"
#include "hooks.h"

#define HCM_MSG "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
#define HCM_NAME "envoy.filters.network.http_connection_manager"
#define TCP_PROXY_MSG "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
#define TLS_INSPECTOR "envoy.filters.listener.tls_inspector"

static const char *addr_key(xt *x, const char *addr, int64_t port, bool udp)
{
	return egw_sprintf(x->a, "%s|%s|%lld", udp ? "udp" : "tcp", addr ? addr : "", (long long)port);
}

egw_node *xds_listener_find_addr(xt *x, const char *addr, int64_t port, bool udp)
{
	return egw_map_get(&x->lst_addr, addr_key(x, addr, port, udp));
}

static void socket_options(xt *x, egw_node *l, const egw_node *ka)
{
	if (!ka)
		return;
	egw_node *so = xarr(x, l, "socketOptions");
	egw_node *o = xpush(x, so, xo(x));
	xs(x, o, "description", "socket option to enable tcp keep alive");
	xs(x, o, "intValue", "1");
	xs(x, o, "level", "1");
	xs(x, o, "name", "9");
	static const struct {
		const char *key, *desc, *name;
	} opts[] = {
		{"probes", "socket option for keep alive probes", "6"},
		{"idleTime", "socket option for keep alive idle time", "4"},
		{"interval", "socket option for keep alive interval", "5"},
	};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		const char *v = GS(ka, opts[i].key);
		if (!v)
			continue;
		o = xpush(x, so, xo(x));
		xs(x, o, "description", opts[i].desc);
		xs(x, o, "intValue", v);
		xs(x, o, "level", "6");
		xs(x, o, "name", opts[i].name);
	}
}

static egw_node *socket_address(xt *x, const char *addr, int64_t port, bool udp, const char *family)
{
	egw_node *a = xo(x);
	egw_node *sa = xobj(x, a, "socketAddress");
	xs(x, sa, "address", addr);
	if (family && !strcmp(family, "DualStack"))
		xb(x, sa, "ipv4Compat", true);
	xi(x, sa, "portValue", port);
	if (udp)
		xs(x, sa, "protocol", "UDP");
	return a;
}

/* A TCP listener (HTTP or TCP IR listener). */
static egw_node *tcp_listener_new(xt *x, const egw_node *l)
{
	egw_node *o = xo(x);
	const char *addr = GS(l, "address");
	int64_t port = GI(l, "port", 0);
	xs(x, o, "name", name_listener(x, l, false, false));
	xset(x, o, "address", socket_address(x, addr, port, false, GS(l, "ipFamily")));
	egw_node *al = xds_access_logs(x, true, AL_HTTP);
	if (al)
		xset(x, o, "accessLog", al);
	socket_options(x, o, G(l, "tcpKeepalive"));
	const egw_node *conn = G(l, "connection");
	int64_t buf = 32768;
	if (G(conn, "bufferLimit"))
		buf = GI(conn, "bufferLimit", buf);
	xi(x, o, "perConnectionBufferLimitBytes", buf);
	int64_t mx = 1;
	if (G(conn, "maxAcceptPerSocketEvent"))
		mx = GI(conn, "maxAcceptPerSocketEvent", 1);
	if (mx)
		xi(x, o, "maxConnectionsToAcceptPerSocketEvent", mx);
	xadd(x, EGW_XDS_LISTENER, o);
	egw_map_put(&x->lst_addr, addr_key(x, addr, port, false), o);
	return o;
}

static egw_node *quic_listener_new(xt *x, const egw_node *l)
{
	egw_node *o = xo(x);
	const char *addr = GS(l, "address");
	int64_t port = GI(l, "port", 0);
	xs(x, o, "name", name_listener(x, l, false, true));
	xset(x, o, "address", socket_address(x, addr, port, true, GS(l, "ipFamily")));
	egw_node *al = xds_access_logs(x, true, AL_HTTP);
	if (al)
		xset(x, o, "accessLog", al);
	xs(x, o, "drainType", "MODIFY_ONLY");
	egw_node *u = xobj(x, o, "udpListenerConfig");
	xobj(x, u, "downstreamSocketConfig");
	xobj(x, u, "quicOptions");
	xadd(x, EGW_XDS_LISTENER, o);
	egw_map_put(&x->lst_addr, addr_key(x, addr, port, true), o);
	return o;
}

static egw_node *add_tls_inspector(xt *x, egw_node *l)
{
	egw_node *lf = xarr(x, l, "listenerFilters"), *it;
	EGW_ARR_EACH(lf, i, it)
		if (!strcmp(egw_get_str(it, "name", ""), TLS_INSPECTOR))
			return egw_get(it, "typedConfig");
	return xtyped(x, lf, TLS_INSPECTOR, "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector");
}

static void fingerprints(xt *x, egw_node *l, const egw_node *tls)
{
	const egw_node *fp;
	EGW_ARR_EACH(G(tls, "fingerprints"), i, fp) {
		const char *f = egw_text(fp);
		egw_node *ti = add_tls_inspector(x, l);
		if (f && !strcmp(f, "JA3"))
			xb(x, ti, "enableJa3Fingerprinting", true);
		else if (f && !strcmp(f, "JA4"))
			xb(x, ti, "enableJa4Fingerprinting", true);
	}
}

void xds_proxy_protocol_filter(xt *x, egw_node *l, const egw_node *irl)
{
	const egw_node *pp = G(irl, "proxyProtocol");
	if (!pp && !GB(irl, "enableProxyProtocol"))
		return;
	egw_node *lf = xarr(x, l, "listenerFilters"), *it;
	EGW_ARR_EACH(lf, i, it)
		if (!strcmp(egw_get_str(it, "name", ""), "envoy.filters.listener.proxy_protocol"))
			return;
	egw_node *tmp = xa(x);
	egw_node *tc = xtyped(x, tmp, "envoy.filters.listener.proxy_protocol",
			      "envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol");
	if (GB(pp, "optional"))
		xb(x, tc, "allowRequestsWithoutProxyProtocol", true);
	/* the proxy protocol filter must run first */
	egw_node *nl = xa(x);
	xpush(x, nl, egw_at(tmp, 0));
	EGW_ARR_EACH(lf, i, it)
		xpush(x, nl, it);
	xset(x, l, "listenerFilters", nl);
}

static void server_names(xt *x, egw_node *l, egw_node *fc, const egw_node *hosts, bool quic)
{
	const egw_node *h0 = egw_at(hosts, 0);
	if (!h0 || !strcmp(egw_text(h0) ? egw_text(h0) : "", "*"))
		return;
	egw_node *fcm = xobj(x, fc, "filterChainMatch");
	xset(x, fcm, "serverNames", xcopy(x, hosts));
	if (!quic)
		add_tls_inspector(x, l);
}

static const char *escaped_slashes(const char *s)
{
	if (!s)
		return NULL;
	if (!strcmp(s, "KeepUnchanged"))
		return "KEEP_UNCHANGED";
	if (!strcmp(s, "RejectRequest"))
		return "REJECT_REQUEST";
	if (!strcmp(s, "UnescapeAndRedirect"))
		return "UNESCAPE_AND_REDIRECT";
	if (!strcmp(s, "UnescapeAndForward"))
		return "UNESCAPE_AND_FORWARD";
	return NULL;
}

egw_node *xds_http1_options(xt *x, const egw_node *h1, bool upstream)
{
	if (!h1)
		return NULL;
	bool tr = GB(h1, "enableTrailers"), pc = GB(h1, "preserveHeaderCase");
	const egw_node *h10 = G(h1, "http10");
	const egw_node *ign = G(h1, "ignoredUpgradeTypes");
	if (!tr && !pc && !h10 && (!egw_len(ign) || upstream))
		return NULL;
	egw_node *o = xo(x);
	if (tr)
		xb(x, o, "enableTrailers", true);
	if (pc) {
		egw_node *sf = xobj(x, xobj(x, o, "headerKeyFormat"), "statefulFormatter");
		xs(x, sf, "name", "preserve_case");
		xset(x, sf, "typedConfig",
		     xany(x, "envoy.extensions.http.header_formatters.preserve_case.v3.PreserveCaseFormatterConfig"));
	}
	if (h10) {
		xb(x, o, "acceptHttp10", true);
		xs(x, o, "defaultHostForHttp10", GS(h10, "defaultHost"));
	}
	if (egw_len(ign) && !upstream) {
		egw_node *arr = xarr(x, o, "ignoreHttp11Upgrade"), *it;
		EGW_ARR_EACH(ign, i, it)
			xpush(x, arr, xstrmatch(x, it));
	}
	return o;
}

egw_node *xds_http2_options(xt *x, const egw_node *h2)
{
	egw_node *o = xo(x);
	/* Envoy Gateway's IR names these two the other way round. */
	xi(x, o, "initialConnectionWindowSize", GI(h2, "initialStreamWindowSize", 1048576));
	xi(x, o, "initialStreamWindowSize", GI(h2, "initialConnectionWindowSize", 65536));
	xi(x, o, "maxConcurrentStreams", GI(h2, "maxConcurrentStreams", 100));
	if (G(h2, "resetStreamOnError"))
		xb(x, o, "overrideStreamErrorOnInvalidHttpMessage", GB(h2, "resetStreamOnError"));
	const egw_node *ka = G(h2, "connectionKeepalive");
	if (ka) {
		egw_node *k = xobj(x, o, "connectionKeepalive");
		xs(x, k, "interval", xdur(x, G(ka, "interval")));
		xs(x, k, "timeout", xdur(x, G(ka, "timeout")));
		if (G(ka, "intervalJitter"))
			xi(x, xobj(x, k, "intervalJitter"), "value", GI(ka, "intervalJitter", 0));
		xs(x, k, "connectionIdleInterval", xdur(x, G(ka, "idleInterval")));
	}
	return o;
}

static const char *underscores_action(const egw_node *hdr)
{
	const char *a = GS(hdr, "withUnderscoresAction");
	if (a && !strcmp(a, "Allow"))
		return "ALLOW";
	if (a && !strcmp(a, "DropHeader"))
		return "DROP_HEADER";
	return "REJECT_REQUEST";
}

void xds_hcm_extras(xt *x, egw_node *hcm, const egw_node *hl);
void xds_hcm_tracing(xt *x, egw_node *hcm);

static egw_node *build_hcm(xt *x, const egw_node *hl, bool quic)
{
	bool tls = G(hl, "tls") != NULL;
	egw_node *hcm = xany(x, HCM_MSG);
	egw_node *al = xds_access_logs(x, false, AL_HTTP);
	if (al)
		xset(x, hcm, "accessLog", al);
	if (quic)
		xs(x, hcm, "codecType", "HTTP3");
	egw_node *cpo = xobj(x, hcm, "commonHttpProtocolOptions");
	const char *ua = underscores_action(G(hl, "headers"));
	if (strcmp(ua, "ALLOW"))
		xs(x, cpo, "headersWithUnderscoresAction", ua);
	const egw_node *th = G(G(hl, "timeout"), "http");
	if (th) {
		xs(x, cpo, "idleTimeout", xdur(x, G(th, "idleTimeout")));
		xs(x, hcm, "requestTimeout", xdur(x, G(th, "requestReceivedTimeout")));
		xs(x, hcm, "requestHeadersTimeout", xdur(x, G(th, "requestHeadersReceivedTimeout")));
		xs(x, hcm, "streamIdleTimeout", xdur(x, G(th, "streamIdleTimeout")));
	}
	xset(x, hcm, "httpProtocolOptions", xds_http1_options(x, G(hl, "http1"), false));
	xset(x, hcm, "http2ProtocolOptions", xds_http2_options(x, G(hl, "http2")));
	if (quic)
		xobj(x, hcm, "http3ProtocolOptions");
	xarr(x, hcm, "httpFilters");
	const egw_node *path = G(hl, "path");
	if (GB(path, "mergeSlashes"))
		xb(x, hcm, "mergeSlashes", true);
	xb(x, hcm, "normalizePath", true);
	xs(x, hcm, "pathWithEscapedSlashesAction", escaped_slashes(GS(path, "escapedSlashesAction")));
	egw_node *rds = xobj(x, hcm, "rds");
	xset(x, rds, "configSource", xads(x, true));
	xs(x, rds, "routeConfigName", name_route_config(x, hl));
	xs(x, hcm, "serverHeaderTransformation", "PASS_THROUGH");
	xs(x, hcm, "statPrefix",
	   egw_sprintf(x->a, "%s-%lld", tls ? "https" : "http", (long long)name_stat_port(x, hl)));
	xb(x, hcm, "useRemoteAddress", true);
	xds_hcm_tracing(x, hcm);
	if (G(G(hl, "headers"), "maxRequestHeadersKB"))
		xi(x, hcm, "maxRequestHeadersKb", GI(G(hl, "headers"), "maxRequestHeadersKB", 0));
	xds_hcm_extras(x, hcm, hl);
	xds_http_filters(x, hcm, hl);
	return hcm;
}

static void add_hcm(xt *x, egw_node *l, const egw_node *hl, bool quic)
{
	egw_node *fc = xo(x);
	egw_node *filters = xarr(x, fc, "filters");
	egw_node *f = xpush(x, filters, xo(x));
	xs(x, f, "name", HCM_NAME);
	xset(x, f, "typedConfig", build_hcm(x, hl, quic));
	const egw_node *tls = G(hl, "tls");
	xds_proxy_protocol_filter(x, l, hl);
	xs(x, fc, "transportSocketConnectTimeout", xdur(x, G(G(G(hl, "timeout"), "tcp"), "tlsHandshakeTimeout")));
	if (tls) {
		fingerprints(x, l, tls);
		xs(x, fc, "name", GS(hl, "name"));
		xset(x, fc, "transportSocket", xds_downstream_tls(x, tls, quic, GB(hl, "tlsOverlaps")));
		server_names(x, l, fc, G(hl, "hostnames"), quic);
		xpush(x, xarr(x, l, "filterChains"), fc);
	} else {
		xs(x, fc, "name", name_route_config(x, hl));
		xset(x, l, "defaultFilterChain", fc);
	}
}

static egw_node *default_hcm(egw_node *l)
{
	egw_node *fc = egw_get(l, "defaultFilterChain"), *f;
	EGW_ARR_EACH(egw_get(fc, "filters"), i, f)
		if (!strcmp(egw_get_str(f, "name", ""), HCM_NAME))
			return egw_get(f, "typedConfig");
	return NULL;
}

void xds_add_route_config(xt *x, egw_node *rc, const egw_node *hl, bool http3);
void xds_ratelimit_cluster(xt *x, const egw_node *hl);

void xds_http_listeners(xt *x, const egw_node *arr)
{
	const egw_node *hl;
	EGW_ARR_EACH(arr, i, hl) {
		bool h3 = G(hl, "http3") != NULL;
		bool tls = G(hl, "tls") != NULL;
		egw_node *l = xds_listener_find_addr(x, GS(hl, "address"), GI(hl, "port", 0), false);
		egw_node *ql = NULL, *rc = NULL;
		bool add = false;
		if (!l) {
			if (h3)
				ql = quic_listener_new(x, hl);
			l = tcp_listener_new(x, hl);
			add = true;
		} else {
			if (h3)
				ql = xds_listener_find_addr(x, GS(hl, "address"), GI(hl, "port", 0), true);
			if (!tls) {
				egw_node *hcm = default_hcm(l);
				const char *rn = hcm ? egw_get_str(egw_get(hcm, "rds"), "routeConfigName", NULL) : NULL;
				add = !rn;
				if (rn)
					rc = xfind(x, EGW_XDS_ROUTE, rn);
			} else {
				add = true;
			}
		}
		if (add) {
			add_hcm(x, l, hl, false);
			if (h3 && ql)
				add_hcm(x, ql, hl, true);
		} else {
			egw_node *hcm = default_hcm(l);
			if (hcm)
				xds_http_filters(x, hcm, hl);
		}
		const egw_node *tlsn = G(hl, "tls");
		if (tlsn)
			xds_tls_secrets(x, tlsn);
		/* upstream client certificates of the routes */
		const egw_node *r;
		EGW_ARR_EACH(G(hl, "routes"), j, r) {
			const egw_node *st;
			EGW_ARR_EACH(G(G(r, "destination"), "settings"), k, st) {
				const egw_node *cc;
				EGW_ARR_EACH(G(G(st, "tls"), "clientCertificates"), m, cc)
					if (!xfind(x, EGW_XDS_SECRET, GS(cc, "name")))
						xadd(x, EGW_XDS_SECRET, xds_secret_cert(x, cc));
			}
		}
		if (!rc) {
			const char *rn = name_route_config(x, hl);
			rc = xfind(x, EGW_XDS_ROUTE, rn);
			if (!rc) {
				rc = xo(x);
				xb(x, rc, "ignorePortInHostMatching", true);
				xs(x, rc, "name", rn);
				xadd(x, EGW_XDS_ROUTE, rc);
			}
		}
		xds_add_route_config(x, rc, hl, h3);
		xds_ratelimit_cluster(x, hl);
		xds_hook_listener(x, l, hl);
	}
}

/* ---- TCP ---- */

static void add_tcp_chain(xt *x, egw_node *l, const egw_node *tl, const egw_node *route,
			  const char *cluster)
{
	const char *rname = GS(route, "name");
	egw_node *fcs = xarr(x, l, "filterChains"), *it;
	EGW_ARR_EACH(fcs, i, it)
		if (rname && !strcmp(egw_get_str(it, "name", ""), rname))
			return;
	const egw_node *rtls = G(route, "tls");
	const egw_node *term = G(rtls, "terminate");
	const egw_node *insp = G(rtls, "inspector");
	const char *kind = term ? "tls-terminate" : insp ? "tls-passthrough" : "tcp";
	egw_node *fc = xo(x);
	if (insp && egw_len(G(insp, "snis"))) {
		xset(x, xobj(x, fc, "filterChainMatch"), "serverNames", xcopy(x, G(insp, "snis")));
		add_tls_inspector(x, l);
	}
	egw_node *filters = xarr(x, fc, "filters");
	egw_node *tp = xtyped(x, filters, "envoy.filters.network.tcp_proxy", TCP_PROXY_MSG);
	egw_node *al = xds_access_logs(x, false, AL_TCP);
	if (al)
		xset(x, tp, "accessLog", al);
	xs(x, tp, "cluster", cluster);
	const egw_node *lb = G(route, "loadBalancer");
	if (GB(G(lb, "consistentHash"), "sourceIP"))
		xpush(x, xarr(x, tp, "hashPolicy"), egw_obj_set(x->a, xo(x), "sourceIp", xo(x)));
	const egw_node *tt = G(G(tl, "timeout"), "tcp");
	xs(x, tp, "idleTimeout", xdur(x, G(tt, "idleTimeout")));
	const char *sn = GS(route, "statName");
	xs(x, tp, "statPrefix", sn ? sn : egw_sprintf(x->a, "%s-%lld", kind, (long long)GI(tl, "port", 0)));
	xs(x, fc, "name", rname);
	if (term)
		xset(x, fc, "transportSocket", xds_downstream_tls(x, term, false, false));
	xpush(x, fcs, fc);
}

void xds_proxy_protocol_filter(xt *x, egw_node *l, const egw_node *irl);

void xds_tcp_listeners(xt *x, const egw_node *arr)
{
	const egw_node *tl;
	EGW_ARR_EACH(arr, i, tl) {
		egw_node *l = xds_listener_find_addr(x, GS(tl, "address"), GI(tl, "port", 0), false);
		if (!l)
			l = tcp_listener_new(x, tl);
		xds_proxy_protocol_filter(x, l, tl);
		fingerprints(x, l, G(tl, "tls"));
		const egw_node *r;
		EGW_ARR_EACH(G(tl, "routes"), j, r) {
			const egw_node *d = G(r, "destination");
			cluster_args ca = {0};
			ca.name = GS(d, "name");
			ca.settings = G(d, "settings");
			ca.route = r;
			ca.metadata = G(d, "metadata");
			ca.lb = G(r, "loadBalancer");
			ca.traffic = NULL;
			ca.tcp_route = true;
			if (egw_len(G(d, "backendClusterRefs")) && !egw_len(ca.settings)) {
				ca.name = GS(egw_at(G(d, "backendClusterRefs"), 0), "name");
				xds_backend_cluster(x, ca.name, NULL);
			} else
				xds_cluster_add(x, &ca);
			const egw_node *term = G(G(r, "tls"), "terminate");
			if (term)
				xds_tls_secrets(x, term);
			add_tcp_chain(x, l, tl, r, ca.name);
		}
		if (!egw_len(G(tl, "routes"))) {
			if (!xfind(x, EGW_XDS_CLUSTER, "EmptyCluster")) {
				egw_node *c = xo(x);
				xs(x, c, "name", "EmptyCluster");
				xs(x, c, "type", "STATIC");
				xadd(x, EGW_XDS_CLUSTER, c);
			}
			egw_node *er = xo(x);
			xs(x, er, "name", "EmptyCluster");
			add_tcp_chain(x, l, tl, er, "EmptyCluster");
		}
		xds_hook_listener(x, l, tl);
	}
}

/* ---- UDP ---- */

void xds_udp_listeners(xt *x, const egw_node *arr)
{
	const egw_node *ul;
	EGW_ARR_EACH(arr, i, ul) {
		const egw_node *r = G(ul, "route");
		const egw_node *d = G(r, "destination");
		const char *cname = r ? GS(d, "name") : "EmptyCluster";
		bool shared = egw_len(G(d, "backendClusterRefs")) && !egw_len(G(d, "settings"));
		if (shared) {
			cname = GS(egw_at(G(d, "backendClusterRefs"), 0), "name");
			xds_backend_cluster(x, cname, NULL);
		}
		if (!r && !xfind(x, EGW_XDS_CLUSTER, "EmptyCluster")) {
			egw_node *c = xo(x);
			xs(x, c, "name", "EmptyCluster");
			xs(x, c, "type", "STATIC");
			xadd(x, EGW_XDS_CLUSTER, c);
		}
		egw_node *o = xo(x);
		const char *addr = GS(ul, "address");
		int64_t port = GI(ul, "port", 0);
		xs(x, o, "name", name_listener(x, ul, true, false));
		xset(x, o, "address", socket_address(x, addr, port, true, GS(ul, "ipFamily")));
		egw_node *al = xds_access_logs(x, true, AL_UDP);
		if (al)
			xset(x, o, "accessLog", al);
		egw_node *lf = xarr(x, o, "listenerFilters");
		egw_node *up = xtyped(x, lf, "envoy.filters.udp_listener.udp_proxy",
				      "envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig");
		al = xds_access_logs(x, false, AL_UDP);
		if (al)
			xset(x, up, "accessLog", al);
		egw_node *act = xobj(x, xobj(x, xobj(x, up, "matcher"), "onNoMatch"), "action");
		xs(x, act, "name", "route");
		egw_node *rt = xset(x, act, "typedConfig", xany(x, "envoy.extensions.filters.udp.udp_proxy.v3.Route"));
		xs(x, rt, "cluster", cname);
		xs(x, up, "statPrefix", "service");
		xadd(x, EGW_XDS_LISTENER, o);
		egw_map_put(&x->lst_addr, addr_key(x, addr, port, true), o);
		xds_hook_listener(x, o, ul);
		if (!r || shared)
			continue;
		cluster_args ca = {0};
		ca.name = GS(d, "name");
		ca.settings = G(d, "settings");
		ca.route = r;
		ca.metadata = G(d, "metadata");
		ca.udp_route = true;
		xds_cluster_add(x, &ca);
	}
}

/* ---- ready ---- */

void xds_ready_listener(xt *x, const egw_node *rl)
{
	const char *addr = GS(rl, "address");
	int64_t port = GI(rl, "port", 0);
	egw_node *o = xo(x);
	xs(x, o, "name", name_ready_listener(x, addr ? addr : "", port));
	xset(x, o, "address", socket_address(x, addr, port, false, GS(rl, "ipFamily")));
	xb(x, o, "bypassOverloadManager", true);
	egw_node *fc = xpush(x, xarr(x, o, "filterChains"), xo(x));
	egw_node *hcm = xtyped(x, xarr(x, fc, "filters"), HCM_NAME, HCM_MSG);
	egw_node *hf = xarr(x, hcm, "httpFilters");
	egw_node *hc = xtyped(x, hf, "envoy.filters.http.health_check",
			      "envoy.extensions.filters.http.health_check.v3.HealthCheck");
	egw_node *h = xpush(x, xarr(x, hc, "headers"), xo(x));
	xs(x, h, "name", ":path");
	xs(x, xobj(x, h, "stringMatch"), "exact", GS(rl, "path"));
	xb(x, hc, "passThroughMode", false);
	egw_node *router = xtyped(x, hf, "envoy.filters.http.router",
				  "envoy.extensions.filters.http.router.v3.Router");
	xb(x, router, "suppressEnvoyHeaders", true);
	egw_node *rc = xobj(x, hcm, "routeConfig");
	xs(x, rc, "name", "ready_route");
	egw_node *vh = xpush(x, xarr(x, rc, "virtualHosts"), xo(x));
	xpush_s(x, xarr(x, vh, "domains"), "*");
	xs(x, vh, "name", "ready_route");
	egw_node *r = xpush(x, xarr(x, vh, "routes"), xo(x));
	xi(x, xobj(x, r, "directResponse"), "status", 500);
	xs(x, xobj(x, r, "match"), "prefix", "/");
	xs(x, hcm, "statPrefix", "eg-ready-http");
	xadd(x, EGW_XDS_LISTENER, o);
}
