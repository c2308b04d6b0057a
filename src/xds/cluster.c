/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Clusters and ClusterLoadAssignments.  IP endpoints go through EDS (one
 * ClusterLoadAssignment each); FQDN endpoints make a DNS cluster with an
 * inline load assignment.  Each destination setting becomes one locality so
 * Envoy keeps the settings' weights apart.
 */
#include <string.h>

#include "names.h"
#include "httpfilters.h"

#define xnum_any(n) xnum((n), 0)
#include "xds_int.h"

egw_node *xds_endpoint_addr(xt *x, const egw_node *ep)
{
	egw_node *a = xo(x);
	const char *path = GS(ep, "path");
	if (path) {
		xs(x, xobj(x, a, "pipe"), "path", path);
		return a;
	}
	egw_node *sa = xobj(x, a, "socketAddress");
	xs(x, sa, "address", GS(ep, "host"));
	xi(x, sa, "portValue", GI(ep, "port", 0));
	return a;
}

static bool any_tls(const egw_node *settings)
{
	const egw_node *st;
	EGW_ARR_EACH(settings, i, st)
		if (G(st, "tls"))
			return true;
	return false;
}

static egw_node *lb_endpoint(xt *x, const egw_node *st, const egw_node *ep, const char *name, int i, int64_t hc_port)
{
	egw_node *e = xo(x);
	egw_node *en = xobj(x, e, "endpoint");
	xset(x, en, "address", xds_endpoint_addr(x, ep));
	const char *hn = GS(ep, "hostname");
	if (hn)
		xs(x, en, "hostname", hn);
	if (hc_port)
		xi(x, xobj(x, en, "healthCheckConfig"), "portValue", hc_port);
	if (GB(ep, "draining"))
		xs(x, e, "healthStatus", "DRAINING");
	xi(x, e, "loadBalancingWeight", 1);
	if (G(st, "tls")) {
		egw_node *md = xobj(x, xobj(x, e, "metadata"), "filterMetadata");
		xs(x, xobj(x, md, "envoy.transport_socket_match"), "name", name_tls_match(x, name, i));
	}
	return e;
}

static int64_t zone_weight(const egw_node *lb, const char *zone)
{
	const egw_node *wz;
	EGW_ARR_EACH(G(lb, "weightedZones"), i, wz)
		if (!strcmp(GS(wz, "zone") ? GS(wz, "zone") : "", zone))
			return GI(wz, "weight", 1);
	return 1;
}

egw_node *xds_cla(xt *x, const char *name, const egw_node *settings, const egw_node *lb, int64_t hc_port)
{
	egw_node *cla = xo(x);
	xs(x, cla, "clusterName", name);
	egw_node *eps = xarr(x, cla, "endpoints");
	const egw_node *st;
	EGW_ARR_EACH(settings, i, st) {
		bool zonal = G(st, "preferLocal") || G(lb, "weightedZones") || G(lb, "preferLocal");
		const egw_node *ep;
		if (zonal) {
			/* one locality per zone, first-seen order */
			egw_map zones;
			egw_map_init(&zones, x->a);
			EGW_ARR_EACH(G(st, "endpoints"), j, ep) {
				const char *z = GS(ep, "zone");
				if (!z)
					z = "";
				egw_node *loc = egw_map_get(&zones, z);
				if (!loc) {
					loc = xo(x);
					xarr(x, loc, "lbEndpoints");
					if (G(lb, "weightedZones"))
						xi(x, loc, "loadBalancingWeight", zone_weight(lb, z));
					xs(x, xobj(x, loc, "locality"), "zone", z);
					egw_map_put(&zones, z, loc);
					xpush(x, eps, loc);
				}
				xpush(x, egw_get(loc, "lbEndpoints"), lb_endpoint(x, st, ep, name, (int)i, hc_port));
			}
			continue;
		}
		egw_node *loc = xo(x);
		egw_node *lbe = xarr(x, loc, "lbEndpoints");
		EGW_ARR_EACH(G(st, "endpoints"), j, ep)
			xpush(x, lbe, lb_endpoint(x, st, ep, name, (int)i, hc_port));
		xi(x, loc, "loadBalancingWeight", GI(st, "weight", 1));
		const char *sn = GS(st, "name");
		egw_node *lo = xobj(x, loc, "locality");
		if (sn && *sn)
			xs(x, lo, "region", sn);
		xset(x, loc, "metadata", xds_metadata(x, G(st, "metadata")));
		int64_t prio = GI(st, "priority", 0);
		if (prio)
			xi(x, loc, "priority", prio);
		xpush(x, eps, loc);
	}
	return cla;
}

static const char *lookup_family(xt *x, const cluster_args *ca)
{
	(void)x;
	const egw_node *dns = G(ca->traffic, "dns");
	const char *lf = GS(dns, "lookupFamily");
	if (lf) {
		if (!strcmp(lf, "IPv4"))
			return "V4_ONLY";
		if (!strcmp(lf, "IPv6"))
			return "V6_ONLY";
		if (!strcmp(lf, "IPv4Preferred"))
			return "V4_PREFERRED";
		if (!strcmp(lf, "IPv6Preferred"))
			return "AUTO";
		if (!strcmp(lf, "IPv4AndIPv6"))
			return "ALL";
	}
	/* IP family of the destination settings */
	const egw_node *st;
	bool v4 = false, v6 = false;
	EGW_ARR_EACH(ca->settings, i, st) {
		const char *f = GS(st, "ipFamily");
		if (!f)
			continue;
		if (!strcmp(f, "IPv4"))
			v4 = true;
		else if (!strcmp(f, "IPv6"))
			v6 = true;
		else if (!strcmp(f, "DualStack"))
			v4 = v6 = true;
	}
	if (v6 && v4)
		return "ALL";
	if (v6)
		return "V6_ONLY";
	return "V4_PREFERRED";
}

static egw_node *policy_list(xt *x, egw_node *tec)
{
	egw_node *pol = xo(x);
	xset(x, xpush(x, xarr(x, pol, "policies"), xo(x)), "typedExtensionConfig", tec);
	return pol;
}

static egw_node *typed_ext(xt *x, const char *name, const char *msg, egw_node **tc)
{
	egw_node *tec = xo(x);
	xs(x, tec, "name", egw_sprintf(x->a, "envoy.load_balancing_policies.%s", name));
	*tc = xset(x, tec, "typedConfig", xany(x, egw_sprintf(x->a, "envoy.extensions.load_balancing_policies.%s", msg)));
	return tec;
}

/* Client-side weighted round robin from backend utilization settings. */
static egw_node *cswrr(xt *x, const egw_node *bu)
{
	egw_node *tc;
	egw_node *tec = typed_ext(x, "client_side_weighted_round_robin",
				  "client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin", &tc);
	xs(x, tc, "blackoutPeriod", xdur(x, G(bu, "blackoutPeriod")));
	if (G(bu, "errorUtilizationPenaltyPercent")) {
		double v = xnum_any(G(bu, "errorUtilizationPenaltyPercent")) / 100.0;
		if (v == (double)(int64_t)v)
			xi(x, tc, "errorUtilizationPenalty", (int64_t)v);
		else
			xset(x, tc, "errorUtilizationPenalty", egw_float(x->a, v));
	}
	if (egw_len(G(bu, "metricNamesForComputingUtilization")))
		xset(x, tc, "metricNamesForComputingUtilization", xcopy(x, G(bu, "metricNamesForComputingUtilization")));
	const egw_node *oob = G(bu, "outOfBand");
	if (oob) {
		xb(x, tc, "enableOobLoadReport", true);
		if (GS(oob, "authority") || G(oob, "port")) {
			egw_node *rc = xobj(x, tc, "oobReportingConfig");
			xs(x, rc, "authority", GS(oob, "authority"));
			if (G(oob, "port"))
				xi(x, rc, "portValue", GI(oob, "port", 0));
		}
		xs(x, tc, "oobReportingPeriod", xdur(x, G(oob, "reportingPeriod")));
	}
	const egw_node *ss = G(bu, "slowStart");
	if (ss && G(ss, "window"))
		xs(x, xobj(x, tc, "slowStartConfig"), "slowStartWindow", xdur(x, G(ss, "window")));
	xs(x, tc, "weightExpirationPeriod", xdur(x, G(bu, "weightExpirationPeriod")));
	xs(x, tc, "weightUpdatePeriod", xdur(x, G(bu, "weightUpdatePeriod")));
	return tec;
}

/* A part shared by many clusters: built once, then frozen, so no stage can
 * change it for all of them (the node functions assert it). */
static egw_node *shared(egw_node **slot, egw_node *built)
{
	egw_freeze(built);
	*slot = built;
	return built;
}

static egw_node *lb_policy_new(xt *x, const egw_node *lb, const egw_node *pl);

static egw_node *lb_policy(xt *x, const egw_node *lb, const egw_node *pl)
{
	if (lb || pl)
		return lb_policy_new(x, lb, pl);
	return x->default_lb ? x->default_lb : shared(&x->default_lb, lb_policy_new(x, NULL, NULL));
}

static egw_node *lb_policy_new(xt *x, const egw_node *lb, const egw_node *pl)
{
	const egw_node *eo = G(lb, "endpointOverride");
	bool fallback = eo != NULL;
	egw_node *tec;
	const egw_node *bu = G(lb, "backendUtilization");
	if (bu) {
		tec = cswrr(x, bu);
		if (G(lb, "weightedZones")) {
			egw_node *tc;
			egw_node *w = typed_ext(x, "wrr_locality", "wrr_locality.v3.WrrLocality", &tc);
			xset(x, tc, "endpointPickingPolicy", policy_list(x, tec));
			tec = w;
		}
	} else {
		const char *name = "least_request", *msg = "least_request.v3.LeastRequest";
		const egw_node *ss = NULL;
		bool locality = !fallback;
		if (G(lb, "roundRobin")) {
			name = "round_robin";
			msg = "round_robin.v3.RoundRobin";
			ss = G(G(lb, "roundRobin"), "slowStart");
		} else if (G(lb, "random")) {
			name = "random";
			msg = "random.v3.Random";
		} else if (G(lb, "consistentHash")) {
			name = "maglev";
			msg = "maglev.v3.Maglev";
			locality = false;
		} else if (G(lb, "leastRequest")) {
			ss = G(G(lb, "leastRequest"), "slowStart");
		}
		egw_node *tc;
		tec = typed_ext(x, name, msg, &tc);
		if (locality && pl) {
			egw_node *za = xobj(x, xobj(x, tc, "localityLbConfig"), "zoneAwareLbConfig");
			const egw_node *force = G(pl, "force");
			if (force)
				xi(x, xobj(x, za, "forceLocalZone"), "minSize", GI(force, "minEndpointsInZoneThreshold", 1));
			if (G(pl, "minEndpointsThreshold"))
				xs(x, za, "minClusterSize", GS(pl, "minEndpointsThreshold"));
			if (G(pl, "percentageEnabled"))
				xi(x, xobj(x, za, "routingEnabled"), "value", GI(pl, "percentageEnabled", 0));
		} else if (locality)
			xobj(x, xobj(x, tc, "localityLbConfig"), "localityWeightedLbConfig");
		else if (G(lb, "weightedZones"))
			xobj(x, tc, "localityWeightedLbConfig");
		if (G(lb, "consistentHash") && G(G(lb, "consistentHash"), "tableSize"))
			xs(x, tc, "tableSize", GS(G(lb, "consistentHash"), "tableSize"));
		if (ss && G(ss, "window"))
			xs(x, xobj(x, tc, "slowStartConfig"), "slowStartWindow", xdur(x, G(ss, "window")));
	}
	if (fallback) {
		egw_node *tc;
		egw_node *oh = typed_ext(x, "override_host", "override_host.v3.OverrideHost", &tc);
		xset(x, tc, "fallbackPolicy", policy_list(x, tec));
		egw_node *src = xarr(x, tc, "overrideHostSources");
		const egw_node *ef;
		EGW_ARR_EACH(G(eo, "extractFrom"), i, ef) {
			egw_node *o = xpush(x, src, xo(x));
			xs(x, o, "header", GS(ef, "header"));
			xs(x, o, "metadata", NULL);
		}
		tec = oh;
	}
	return policy_list(x, tec);
}

static egw_node *circuit_breakers_new(xt *x, const egw_node *cb);

static egw_node *circuit_breakers(xt *x, const egw_node *cb)
{
	if (cb)
		return circuit_breakers_new(x, cb);
	return x->default_cb ? x->default_cb : shared(&x->default_cb, circuit_breakers_new(x, NULL));
}

static egw_node *circuit_breakers_new(xt *x, const egw_node *cb)
{
	egw_node *o = xo(x);
	egw_node *t = xpush(x, xarr(x, o, "thresholds"), xo(x));
	if (G(cb, "maxConnections"))
		xi(x, t, "maxConnections", GI(cb, "maxConnections", 0));
	if (G(cb, "maxPendingRequests"))
		xi(x, t, "maxPendingRequests", GI(cb, "maxPendingRequests", 0));
	if (G(cb, "maxParallelRequests"))
		xi(x, t, "maxRequests", GI(cb, "maxParallelRequests", 0));
	xi(x, t, "maxRetries", GI(cb, "maxParallelRetries", 1024));
	const egw_node *rb = G(cb, "retryBudget");
	if (rb) {
		egw_node *r = xobj(x, t, "retryBudget");
		if (G(rb, "percent")) {
			const egw_node *p = G(rb, "percent");
			egw_node *bp = xobj(x, r, "budgetPercent");
			if (p->kind == EGW_FLOAT)
				egw_obj_set(x->a, bp, "value", egw_float(x->a, egw_vfloat(p)));
			else
				xi(x, bp, "value", GI(rb, "percent", 0));
		}
		if (G(rb, "minRetryConcurrency"))
			xi(x, r, "minRetryConcurrency", GI(rb, "minRetryConcurrency", 0));
	}
	const egw_node *pe = G(cb, "perEndpoint");
	if (pe && G(pe, "maxConnections")) {
		egw_node *pt = xpush(x, xarr(x, o, "perHostThresholds"), xo(x));
		xi(x, pt, "maxConnections", GI(pe, "maxConnections", 0));
	}
	return o;
}

void xds_cluster_health(xt *x, egw_node *c, const cluster_args *ca);
void xds_cluster_protocol(xt *x, egw_node *c, const cluster_args *ca);
void xds_cluster_tls(xt *x, egw_node *c, const cluster_args *ca);

void xds_cluster_add(xt *x, const cluster_args *ca0)
{
	if (!ca0->name || xfind(x, EGW_XDS_CLUSTER, ca0->name))
		return;
	cluster_args cav = *ca0;
	const cluster_args *ca = &cav;
	if (!cav.http2)
		cav.http2 = G(cav.traffic, "http2");
	const egw_node *st0 = egw_at(ca->settings, 0);
	const char *atype = GS(st0, "addressType");
	bool dns = atype && !strcmp(atype, "FQDN") && !ca->static_eds_only;
	bool dynamic = GB(st0, "isDynamicResolver");
	egw_node *c = xo(x);
	xs(x, c, "name", ca->name);
	xs(x, c, "altStatName", ca->stat_name);
	const egw_node *tr = ca->traffic;
	const egw_node *lb = ca->lb ? ca->lb : G(tr, "loadBalancer");
	xset(x, c, "circuitBreakers", circuit_breakers(x, G(tr, "circuitBreaker")));
	xobj(x, c, "commonLbConfig");
	const char *ct = xdur(x, G(G(G(tr, "timeout"), "tcp"), "connectTimeout"));
	xs(x, c, "connectTimeout", ct ? ct : "10s");
	const char *fam = lookup_family(x, ca);
	xs(x, c, "dnsLookupFamily", fam);
	if (dns) {
		egw_node *ctn = xobj(x, c, "clusterType");
		xs(x, ctn, "name", "envoy.cluster.dns");
		egw_node *dc = xset(x, ctn, "typedConfig", xany(x, "envoy.extensions.clusters.dns.v3.DnsCluster"));
		xs(x, dc, "dnsLookupFamily", fam);
		const char *rr = xdur(x, G(G(tr, "dns"), "dnsRefreshRate"));
		xs(x, dc, "dnsRefreshRate", rr ? rr : "30s");
		const egw_node *rt = G(G(tr, "dns"), "respectDnsTtl");
		xb(x, dc, "respectDnsTtl", rt ? egw_node_bool(rt, true) : true);
		xset(x, c, "loadAssignment", xds_cla(x, ca->name, ca->settings, lb, GI(G(G(G(tr, "healthCheck"), "active"), "overrides"), "port", 0)));
	} else if (dynamic) {
		egw_node *ctn = xobj(x, c, "clusterType");
		xs(x, ctn, "name", "envoy.clusters.dynamic_forward_proxy");
		egw_node *cc = xset(x, ctn, "typedConfig",
				    xany(x, "envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig"));
		egw_node *dc = xobj(x, cc, "dnsCacheConfig");
		xs(x, dc, "dnsLookupFamily", fam);
		const char *rr = xdur(x, G(G(tr, "dns"), "dnsRefreshRate"));
		int64_t secs = 30;
		int32_t ns = 0;
		if (rr)
			go_dur(GS(G(tr, "dns"), "dnsRefreshRate"), &secs, &ns);
		xs(x, dc, "dnsRefreshRate", rr ? rr : "30s");
		char *lf = egw_strdup(x->a, fam);
		for (char *p = lf; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		const char *dn = GS(G(tr, "dns"), "name");
		xs(x, dc, "name", egw_sprintf(x->a, "envoy-gateway-dfp-cache-%s-%lldms-%s", lf,
					      (long long)(secs * 1000 + ns / 1000000), dn ? dn : "default"));
	} else {
		egw_node *eds = xobj(x, c, "edsClusterConfig");
		xset(x, eds, "edsConfig",
		     x->eds_source ? x->eds_source : shared(&x->eds_source, xads(x, false)));
		xs(x, eds, "serviceName", ca->name);
		xs(x, c, "type", "EDS");
		if (!xfind(x, EGW_XDS_ENDPOINT, ca->name))
			xadd(x, EGW_XDS_ENDPOINT, xds_cla(x, ca->name, ca->settings, lb, GI(G(G(G(tr, "healthCheck"), "active"), "overrides"), "port", 0)));
	}
	xb(x, c, "ignoreHealthOnHostRemoval", true);
	xset(x, c, "metadata", xds_metadata(x, ca->metadata));
	const egw_node *pl = G(lb, "preferLocal");
	if (!pl)
		pl = G(st0, "preferLocal");
	if (dynamic) {
		egw_node *tc;
		xset(x, c, "loadBalancingPolicy",
		     policy_list(x, typed_ext(x, "cluster_provided", "cluster_provided.v3.ClusterProvided", &tc)));
	} else
		xset(x, c, "loadBalancingPolicy", lb_policy(x, lb, pl));
	const egw_node *bc = G(tr, "backendConnection");
	if (!bc)
		bc = G(ca->route, "backendConnection");
	const egw_node *pc = G(bc, "preconnect");
	if (pc) {
		egw_node *pp = xobj(x, c, "preconnectPolicy");
		if (G(pc, "perEndpointPercent"))
			xset(x, pp, "perUpstreamPreconnectRatio",
			     egw_float(x->a, (double)GI(pc, "perEndpointPercent", 0) / 100.0));
		if (G(pc, "predictivePercent"))
			xset(x, pp, "predictivePreconnectRatio",
			     egw_float(x->a, (double)GI(pc, "predictivePercent", 0) / 100.0));
	}
	xi(x, c, "perConnectionBufferLimitBytes", G(bc, "bufferLimit") ? GI(bc, "bufferLimit", 32768) : 32768);
	const egw_node *ka = G(tr, "tcpKeepalive");
	if (ka) {
		egw_node *t = xobj(x, xobj(x, c, "upstreamConnectionOptions"), "tcpKeepalive");
		if (G(ka, "idleTime"))
			xi(x, t, "keepaliveTime", GI(ka, "idleTime", 0));
		if (G(ka, "interval"))
			xi(x, t, "keepaliveInterval", GI(ka, "interval", 0));
		if (G(ka, "probes"))
			xi(x, t, "keepaliveProbes", GI(ka, "probes", 0));
	}
	if (GB(x->metrics, "enablePerEndpointStats"))
		xb(x, xobj(x, c, "trackClusterStats"), "perEndpointStats", true);
	if (GB(x->metrics, "enableRequestResponseSizesStats"))
		xb(x, xobj(x, c, "trackClusterStats"), "requestResponseSizes", true);
	xds_cluster_health(x, c, ca);
	xds_cluster_protocol(x, c, ca);
	xds_cluster_tls(x, c, ca);
	xadd(x, EGW_XDS_CLUSTER, c);
	(void)any_tls;
}

void xds_backend_cluster(xt *x, const char *name, const egw_node *hl)
{
	const egw_node *bc = name ? egw_map_get(&x->backend_clusters, name) : NULL;
	if (!bc || xfind(x, EGW_XDS_CLUSTER, name))
		return;
	egw_node *settings = xa(x);
	if (G(bc, "setting"))
		xpush(x, settings, (egw_node *)G(bc, "setting"));
	cluster_args ca = {0};
	ca.name = name;
	ca.settings = settings;
	ca.traffic = G(bc, "traffic");
	ca.metadata = G(bc, "metadata");
	ca.http1 = G(hl, "http1");
	ca.http2 = G(G(bc, "traffic"), "http2");
	ca.use_client_protocol = GB(bc, "useClientProtocol");
	ca.is_http = hl != NULL;
	const char *proto = GS(G(bc, "setting"), "protocol");
	ca.tcp_route = proto && !strcmp(proto, "TCP");
	ca.udp_route = proto && !strcmp(proto, "UDP");
	xds_cluster_add(x, &ca);
}
