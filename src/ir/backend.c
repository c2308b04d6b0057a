/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backends: a route's backendRef (Service, ServiceImport, Backend) to an IR
 * destination setting with endpoints from EndpointSlices, plus the fleet's
 * global resources (the proxy Service cluster).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *port_proto(egw_node *p)
{
	const char *s = ir_str(p, "protocol");
	return s && *s ? s : "TCP";
}

/* Endpoints of Service ns/svc for the service port svcport. */
egw_node *ir_service_endpoints(ir_tr *t, const char *ns, const char *svc, egw_node *svcport,
			       const char **addr_type)
{
	egw_node *eps = egw_arr(t->a);
	egw_node *slices = egw_map_get(&t->slices_by_svc, egw_sprintf(t->tmp, "%s%s/%s", t->mcs_lookup ? "mcs:" : "", ns, svc));
	const char *pname = egw_get_str(svcport, "name", "");
	const char *proto = port_proto(svcport);
	bool fqdn = false, ip = false;
	egw_node *sl;
	EGW_ARR_EACH(slices, i, sl)
	{
		const char *at = egw_get_str(sl, "addressType", "IPv4");
		egw_node *sp = NULL, *p;
		EGW_ARR_EACH(egw_get(sl, "ports"), j, p)
		{
			if (ir_streq(egw_get_str(p, "name", ""), pname) && ir_streq(port_proto(p), proto)) {
				sp = p;
				break;
			}
		}
		if (!sp)
			continue;
		int64_t port = egw_get_int(sp, "port", 0);
		egw_node *ep;
		EGW_ARR_EACH(egw_get(sl, "endpoints"), j, ep)
		{
			egw_node *cond = egw_get(ep, "conditions");
			egw_node *ready = egw_get(cond, "ready");
			bool draining = false;
			if (ready && !egw_node_bool(ready, true)) {
				/* terminating but still serving endpoints are kept, draining */
				if (egw_node_bool(egw_get(cond, "serving"), false) &&
				    egw_node_bool(egw_get(cond, "terminating"), false))
					draining = true;
				else
					continue;
			}
			egw_node *a;
			EGW_ARR_EACH(egw_get(ep, "addresses"), k, a)
			{
				egw_node *x = egw_arr_push(t->a, eps, egw_obj(t->a));
				egw_set_str(t->a, x, "host", egw_text(a));
				egw_set_int(t->a, x, "port", port);
				const char *zone = ir_str(ep, "zone");
				if (zone)
					egw_set_str(t->a, x, "zone", zone);
				if (draining)
					egw_set_bool(t->a, x, "draining", true);
				if (!strcmp(at, "FQDN"))
					fqdn = true;
				else
					ip = true;
			}
		}
	}
	*addr_type = fqdn && ip ? "Mixed" : fqdn ? "FQDN" : "IP";
	return eps;
}

static egw_node *svc_port(egw_node *svc, int64_t port, const char *proto)
{
	egw_node *p;
	EGW_ARR_EACH(egw_path(svc, "spec.ports"), i, p)
	{
		if (egw_get_int(p, "port", -1) == port && !strcmp(port_proto(p), proto))
			return p;
	}
	return NULL;
}

static const char *app_protocol(egw_node *sp, const char *route_kind)
{
	if (!strcmp(route_kind, "GRPCRoute"))
		return "GRPC";
	if (!strcmp(route_kind, "UDPRoute"))
		return "UDP";
	if (strcmp(route_kind, "HTTPRoute"))
		return "TCP";
	const char *ap = ir_str(sp, "appProtocol");
	if (ap && !strcmp(ap, "grpc"))
		return "GRPC";
	if (ap && !strcmp(ap, "kubernetes.io/h2c"))
		return "HTTP2";
	if (ap && !strcmp(ap, "kubernetes.io/ws"))
		return "HTTP";
	return "HTTP";
}

/* The EnvoyProxy's backendTLS (client certificate, versions, ciphers, ALPN)
 * on a backend that BackendTLSPolicy makes TLS.  Returns why its client
 * certificate cannot be used (the backend is then refused), or NULL. */
static const char *proxy_backend_tls(ir_tr *t, ir_gw *g, egw_node *tls)
{
	egw_node *bt = g ? egw_path(g->ep, "spec.backendTLS") : NULL;
	if (!bt)
		return NULL;
	static const char *const lists[] = { "alpnProtocols", "ciphers", "ecdhCurves",
					     "signatureAlgorithms" };
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		egw_node *v = egw_get_ci(bt, lists[i]);
		if (egw_len(v))
			egw_obj_set(t->a, tls, lists[i], egw_clone(t->a, v));
	}
	static const char *const strs[] = { "maxVersion", "minVersion" };
	for (size_t i = 0; i < 2; i++) {
		const char *v = egw_text(egw_get_ci(bt, strs[i]));
		if (v)
			egw_set_str(t->a, tls, strs[i], v);
	}
	egw_node *cr = egw_get_ci(bt, "clientCertificateRef");
	if (!cr || !g->epo)
		return NULL;
	return ir_client_certificate(t, "EnvoyProxy", g->epo, cr, tls);
}

static bool attach_btls(ir_tr *t, ir_gw *g, egw_node *ds, const char *kind, const char *ns,
			const char *name, const char *section, ir_dest_err *err)
{
	if (!t->cur_parent)
		return true;
	const char *e = NULL;
	egw_node *tls = ir_btls_settings(t, kind, ns, name, section, t->cur_parent, &e);
	if (e) {
		err->reason = "InvalidBackendTLS";
		err->msg = e;
		return false;
	}
	if (tls) {
		e = proxy_backend_tls(t, g, tls);
		if (e) {
			err->reason = "InvalidBackendTLS";
			err->msg = e;
			return false;
		}
		egw_obj_set(t->a, ds, "tls", tls);
	}
	return true;
}

egw_node *ir_backend_setting(ir_tr *t, egw_object *route, const char *route_kind,
			     egw_node *bref, const char *setting_name, ir_gw *g, ir_dest_err *err)
{
	const char *grp = ir_str(bref, "group");
	const char *kind = ir_str(bref, "kind");
	if (!kind)
		kind = "Service";
	const char *name = egw_get_str(bref, "name", "");
	const char *ns = ir_str(bref, "namespace");
	if (!ns || !*ns)
		ns = route->ns;
	if (grp && *grp && (ir_ext_registered(t, "backendResources", grp, kind) ||
			    ir_ext_registered(t, "resources", grp, kind))) {
		/* a backend of an extension's own kind: the extension builds it */
		egw_object *eo = egw_res_find_ext(t->rs, grp, kind, ns, name);
		if (!eo) {
			err->reason = "BackendNotFound";
			err->msg = egw_sprintf(t->a, "custom backend %s %s/%s not found", kind, ns, name);
			return NULL;
		}
		egw_node *ds = egw_obj(t->a);
		egw_set_bool(t->a, ds, "isCustomBackend", true);
		egw_set_str(t->a, ds, "name", setting_name);
		int64_t wv = 1;
		if (egw_get(bref, "weight"))
			egw_node_int(egw_get(bref, "weight"), &wv);
		egw_set_int(t->a, ds, "weight", wv);
		egw_obj_set(t->a, ds, "_ext", ir_ext_object(t, eo));
		return ds;
	}
	if (grp && *grp && strcmp(grp, "multicluster.x-k8s.io") && strcmp(grp, EG_GROUP)) {
		err->reason = "InvalidKind";
		err->msg = "Group is invalid, only the core API group (specified by omitting the group field or setting it to an empty string), multicluster.x-k8s.io and gateway.envoyproxy.io are supported";
		return NULL;
	}
	if (strcmp(kind, "Service") && strcmp(kind, "ServiceImport") && strcmp(kind, "Backend")) {
		err->reason = "InvalidKind";
		err->msg = "Kind is invalid, only Service, MCS ServiceImport and Envoy Gateway Backend are supported";
		return NULL;
	}
	if (!strcmp(kind, "Backend") && !t->backend_enabled) {
		err->reason = "UnsupportedValue";
		err->msg = "Backend is disabled in Envoy Gateway configuration";
		return NULL;
	}
	if (strcmp(ns, route->ns) && route->kind != EGW_K_ENVOYPROXY &&
	    !ir_refgrant_allows(t, GW_GROUP, route_kind, route->ns, grp ? grp : "", kind, ns, name)) {
		err->reason = "RefNotPermitted";
		err->msg = egw_sprintf(t->a, "Backend ref to %s %s/%s not permitted by any ReferenceGrant", kind, ns, name);
		return NULL;
	}
	egw_node *portn = egw_get(bref, "port");
	int64_t port = 0;
	if ((!portn || !egw_node_int(portn, &port)) && strcmp(kind, "Backend")) {
		err->reason = "PortNotSpecified";
		err->msg = "A valid port number corresponding to a port on the Service must be specified";
		return NULL;
	}
	const char *proto = !strcmp(route_kind, "UDPRoute") ? "UDP" : "TCP";
	egw_node *ds = egw_obj(t->a);
	egw_set_str(t->a, ds, "name", setting_name);
	egw_node *w = egw_get(bref, "weight");
	int64_t wv = 1;
	if (w)
		egw_node_int(w, &wv);
	egw_set_int(t->a, ds, "weight", wv);
	if (!strcmp(kind, "Service")) {
		egw_object *svc = egw_res_find(t->rs, EGW_K_SERVICE, ns, name);
		if (!svc) {
			err->reason = "BackendNotFound";
			err->msg = egw_sprintf(t->a, "service %s/%s not found", ns, name);
			return NULL;
		}
		if (ir_streq(egw_text(egw_path(svc->node, "spec.type")), "ExternalName")) {
			err->reason = "UnsupportedValue";
			err->msg = egw_sprintf(t->a,
					       "Service %s/%s is of type ExternalName, which is not supported as a backend; use an Envoy Gateway Backend resource with an FQDN endpoint instead",
					       ns, name);
			return NULL;
		}
		egw_node *sp = svc_port(svc->node, port, proto);
		if (!sp) {
			err->reason = "PortNotFound";
			err->msg = egw_sprintf(t->a, "%s Port %lld not found on Service %s/%s", proto,
					       (long long)port, ns, name);
			return NULL;
		}
		const char *at;
		egw_node *eps;
		if (t->svc_routing) {
			/* Service routing: the cluster IP and the service port */
			eps = egw_arr(t->a);
			egw_node *x = egw_arr_push(t->a, eps, egw_obj(t->a));
			egw_set_str(t->a, x, "host", egw_get_str(egw_path(svc->node, "spec"), "clusterIP", ""));
			egw_set_int(t->a, x, "port", port);
			at = NULL;
		} else {
			eps = ir_service_endpoints(t, ns, name, sp, &at);
		}
		if (at && !strcmp(at, "Mixed")) {
			err->reason = "UnsupportedAddressType";
			err->msg = "mixed endpointslice address type for the same backendRef is not supported";
			return NULL;
		}
		if (!eps->n) {
			err->reason = "EndpointsNotFound";
			err->msg = egw_sprintf(t->a, "no ready endpoints for the related Service %s/%s", ns, name);
			err->no_endpoints = true;
			return NULL;
		}
		egw_set_str(t->a, ds, "protocol", app_protocol(sp, route_kind));
		egw_obj_set(t->a, ds, "endpoints", eps);
		if (at)
			egw_set_str(t->a, ds, "addressType", at);
		const char *td = egw_text(egw_path(svc->node, "spec.trafficDistribution"));
		if (td && (!strcmp(td, "PreferClose") || !strcmp(td, "PreferSameZone"))) {
			/* topology-aware routing: stay in the zone while it has endpoints */
			egw_node *pl = egw_set_obj(t->a, ds, "preferLocal");
			egw_set_int(t->a, pl, "minEndpointsThreshold", 1);
			egw_set_int(t->a, egw_set_obj(t->a, pl, "force"), "minEndpointsInZoneThreshold", 1);
		}
		egw_obj_set(t->a, ds, "metadata",
			    ir_meta(t, "Service", ns, name, egw_sprintf(t->a, "%lld", (long long)port)));
		if (!attach_btls(t, g, ds, "Service", ns, name, ir_str(sp, "name"), err))
			return NULL;
		return ds;
	}
	if (!strcmp(kind, "ServiceImport")) {
		egw_object *si = egw_res_find(t->rs, EGW_K_SERVICEIMPORT, ns, name);
		if (!si) {
			err->reason = "BackendNotFound";
			err->msg = egw_sprintf(t->a, "service import %s/%s not found", ns, name);
			return NULL;
		}
		egw_node *sp = svc_port(si->node, port, proto);
		if (!sp) {
			err->reason = "PortNotFound";
			err->msg = egw_sprintf(t->a, "%s Port %lld not found on ServiceImport %s/%s", proto,
					       (long long)port, ns, name);
			return NULL;
		}
		/* ServiceImport endpoints come from slices labelled with the MCS service name */
		const char *at = "IP";
		t->mcs_lookup = true;
		egw_node *eps = ir_service_endpoints(t, ns, name, sp, &at);
		t->mcs_lookup = false;
		if (!strcmp(at, "Mixed")) {
			err->reason = "UnsupportedAddressType";
			err->msg = "mixed endpointslice address type for the same backendRef is not supported";
			return NULL;
		}
		egw_set_str(t->a, ds, "protocol", app_protocol(sp, route_kind));
		egw_obj_set(t->a, ds, "endpoints", eps);
		egw_set_str(t->a, ds, "addressType", at);
		egw_obj_set(t->a, ds, "metadata",
			    ir_meta(t, "ServiceImport", ns, name, egw_sprintf(t->a, "%lld", (long long)port)));
		if (!attach_btls(t, g, ds, "ServiceImport", ns, name, ir_str(sp, "name"), err))
			return NULL;
		return ds;
	}
	/* Backend */
	egw_object *be = egw_res_find(t->rs, EGW_K_BACKEND, ns, name);
	if (!be) {
		err->reason = "BackendNotFound";
		err->msg = egw_sprintf(t->a, "Backend %s/%s not found", ns, name);
		return NULL;
	}
	if (be->user) {
		const char *m = (const char *)be->user;
		err->reason = m[0] == '\x01' ? "InvalidBackendRef" : "InvalidAddress";
		err->msg = m[0] == '\x01' ? m + 1 : m;
		return NULL;
	}
	const char *proto0 = app_protocol(NULL, route_kind);
	egw_node *aps = egw_path(be->node, "spec.appProtocols");
	if (!aps)
		aps = egw_path(be->node, "spec.AppProtocols");
	egw_node *apn;
	EGW_ARR_EACH(aps, i, apn)
	{
		if (!strcmp(route_kind, "HTTPRoute") && ir_streq(egw_text(apn), "gateway.envoyproxy.io/h2c"))
			proto0 = "HTTP2";
		if (!strcmp(route_kind, "HTTPRoute") && (ir_streq(egw_text(apn), "gateway.envoyproxy.io/ws") ||
							  ir_streq(egw_text(apn), "gateway.envoyproxy.io/wss")))
			egw_set_bool(t->a, ds, "forceHTTP1Upstream", true);
	}
	const char *terr = NULL;
	egw_node *own_tls = ir_backend_own_tls(t, be, &terr);
	if (terr) {
		err->reason = "InvalidBackendTLS";
		err->msg = terr;
		return NULL;
	}
	if (ir_streq(egw_text(egw_path(be->node, "spec.type")), "DynamicResolver")) {
		egw_set_bool(t->a, ds, "isDynamicResolver", true);
		egw_set_str(t->a, ds, "protocol", proto0);
		if (own_tls)
			egw_obj_set(t->a, ds, "tls", own_tls);
		return ds;
	}
	egw_node *eps = egw_arr(t->a);
	bool fqdn = false, ip = false, uds = false;
	/* services the proxy calls itself (ext_proc, ext_authz, telemetry) may
	 * listen on Unix sockets; a route's backends may not */
	bool service = route && (route->kind < EGW_K_HTTPROUTE || route->kind > EGW_K_UDPROUTE);
	egw_node *ep;
	EGW_ARR_EACH(egw_path(be->node, "spec.endpoints"), i, ep)
	{
		egw_node *f = egw_get(ep, "fqdn"), *ipn = egw_get(ep, "ip"), *ux = egw_get(ep, "unix");
		if (ux && !service) {
			err->reason = "UnsupportedAddressType";
			err->msg = "unix domain sockets are not supported in backend references";
			return NULL;
		}
		egw_node *x = egw_obj(t->a);
		if (ux) {
			egw_set_str(t->a, x, "host", "");
			egw_set_str(t->a, x, "path", egw_get_str(ux, "path", ""));
			egw_set_int(t->a, x, "port", 0);
			uds = true;
		} else if (f) {
			egw_set_str(t->a, x, "host", egw_get_str(f, "hostname", ""));
			egw_set_int(t->a, x, "port", egw_get_int(f, "port", 0));
			fqdn = true;
		} else if (ipn) {
			egw_set_str(t->a, x, "host", egw_get_str(ipn, "address", ""));
			egw_set_int(t->a, x, "port", egw_get_int(ipn, "port", 0));
			ip = true;
		} else {
			continue;
		}
		const char *hn = ir_str(ep, "hostname");
		if (hn)
			egw_set_str(t->a, x, "hostname", hn);
		const char *zone = ir_str(ep, "zone");
		if (zone)
			egw_set_str(t->a, x, "zone", zone);
		egw_arr_push(t->a, eps, x);
	}
	if (fqdn && (ip || uds)) {
		err->reason = "UnsupportedAddressType";
		err->msg = "mixed FQDN and IP or Unix address type for the same backendRef is not supported";
		return NULL;
	}
	egw_set_str(t->a, ds, "protocol", proto0);
	if (own_tls)
		egw_obj_set(t->a, ds, "tls", own_tls);
	egw_obj_set(t->a, ds, "endpoints", eps);
	egw_set_str(t->a, ds, "addressType", uds ? (ip ? "STATIC" : "UDS") : fqdn ? "FQDN" : "IP");
	egw_obj_set(t->a, ds, "metadata", ir_meta(t, "Backend", ns, name, NULL));
	if (!attach_btls(t, g, ds, "Backend", ns, name,
			 portn ? egw_sprintf(t->a, "%lld", (long long)port) : NULL, err))
		return NULL;
	egw_node *ptls = egw_get(ds, "tls");
	if (ptls && own_tls) {
		/* the policy's validation wins; the Backend adds its own switches */
		static const char *own_keys[] = { "insecureSkipVerify", "autoSNIFromEndpointHostname" };
		for (int k = 0; k < 2; k++)
			if (egw_get(own_tls, own_keys[k]))
				egw_obj_set(t->a, ptls, own_keys[k], egw_get(own_tls, own_keys[k]));
	}
	if (egw_node_bool(egw_path(be->node, "spec.fallback"), false))
		egw_set_int(t->a, ds, "priority", 1);
	return ds;
}

/* The proxy's own Services, by their owner labels ("gateway ns/name" or
 * "class name"), the first of each in resource order: one pass, however
 * many Gateways ask. */
static void owned_services(ir_tr *t, egw_map *by_owner)
{
	egw_map_init(by_owner, t->tmp);
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_SERVICE, i, o)
	{
		egw_node *labels = egw_path(o->node, "metadata.labels");
		if (!labels)
			continue;
		const char *key;
		if (t->merge_gateways) {
			const char *cls = egw_get_str(labels, "gateway.envoyproxy.io/owning-gatewayclass", NULL);
			if (!cls)
				continue;
			key = egw_sprintf(t->tmp, "class %s", cls);
		} else {
			const char *n = egw_get_str(labels, "gateway.envoyproxy.io/owning-gateway-name", NULL);
			const char *ns = egw_get_str(labels, "gateway.envoyproxy.io/owning-gateway-namespace", NULL);
			if (!n || !ns)
				continue;
			key = egw_sprintf(t->tmp, "gateway %s/%s", ns, n);
		}
		if (!egw_map_has(by_owner, key))
			egw_map_put_ref(by_owner, key, o);
	}
}

void ir_global_resources(ir_tr *t)
{
	egw_map by_owner;
	bool indexed = false;
	for (size_t gi = 0; gi < t->ngw; gi++) {
		ir_gw *g = t->gws[gi];
		if (!g->accepted || egw_path(g->xds, "globalResources.proxyServiceCluster"))
			continue;
		if (!indexed) {
			owned_services(t, &by_owner);
			indexed = true;
		}
		if (t->merge_gateways && !t->class_name)
			continue;
		egw_object *svc = egw_map_get(&by_owner, t->merge_gateways
								 ? egw_sprintf(t->tmp, "class %s", t->class_name)
								 : egw_sprintf(t->tmp, "gateway %s/%s", g->ns, g->name));
		if (!svc)
			continue;
		egw_node *sp = egw_at(egw_path(svc->node, "spec.ports"), 0);
		if (!sp)
			continue;
		const char *port = egw_sprintf(t->a, "%lld", (long long)egw_get_int(sp, "port", 0));
		const char *at;
		egw_node *eps;
		if (ir_streq(egw_text(egw_path(g->ep, "spec.routingType")), "Service")) {
			eps = egw_arr(t->a);
			egw_node *x = egw_arr_push(t->a, eps, egw_obj(t->a));
			egw_set_str(t->a, x, "host", egw_get_str(egw_get(svc->node, "spec"), "clusterIP", ""));
			egw_set_int(t->a, x, "port", egw_get_int(sp, "port", 0));
			at = NULL;
		} else {
			eps = ir_service_endpoints(t, svc->ns, svc->name, sp, &at);
		}
		egw_node *gr = egw_obj_ensure(t->a, g->xds, "globalResources");
		egw_node *psc = egw_set_obj(t->a, gr, "proxyServiceCluster");
		egw_node *meta = ir_meta(t, "Service", svc->ns, svc->name, port);
		egw_obj_set(t->a, psc, "metadata", meta);
		egw_set_str(t->a, psc, "name", g->irkey);
		egw_node *ss = egw_set_arr(t->a, psc, "settings");
		egw_node *s = egw_arr_push(t->a, ss, egw_obj(t->a));
		if (at)
			egw_set_str(t->a, s, "addressType", at);
		egw_obj_set(t->a, s, "endpoints", eps);
		egw_obj_set(t->a, s, "metadata", meta);
		egw_set_str(t->a, s, "name", g->irkey);
		egw_set_str(t->a, s, "protocol", "TCP");
	}
}

static bool valid_ipv4(const char *s, bool *loopback)
{
	int parts = 0, v = -1, first = -1;
	for (const char *p = s;; p++) {
		if (*p >= '0' && *p <= '9') {
			v = (v < 0 ? 0 : v) * 10 + (*p - '0');
			if (v > 255)
				return false;
		} else if (*p == '.' || !*p) {
			if (v < 0)
				return false;
			if (first < 0)
				first = v;
			parts++;
			v = -1;
			if (!*p)
				break;
		} else {
			return false;
		}
	}
	*loopback = first == 127;
	return parts == 4;
}

static const char *backend_problem(ir_tr *t, egw_object *o)
{
	egw_node *spec = egw_get(o->node, "spec");
	egw_node *ep;
	EGW_ARR_EACH(egw_get(spec, "endpoints"), i, ep)
	{
		egw_node *f = egw_get(ep, "fqdn"), *ip = egw_get(ep, "ip");
		if (f) {
			const char *h = egw_get_str(f, "hostname", "");
			if (strchr(h, '*'))
				return egw_sprintf(t->a, "hostname %s is not a valid FQDN", h);
			if (!strchr(h, '.'))
				return egw_sprintf(t->a,
						   "hostname %s should be a domain with at least two segments separated by dots",
						   h);
		} else if (ip) {
			const char *a = egw_get_str(ip, "address", "");
			bool lb = false;
			if (!strchr(a, ':') && !valid_ipv4(a, &lb))
				return egw_sprintf(t->a, "IP address %s is invalid", a);
			if ((lb || !strcmp(a, "::1")) && !t->running_on_host)
				return egw_sprintf(t->a,
						   "IP address %s in the loopback range is only supported when using the Host infrastructure",
						   a);
		}
	}
	egw_node *tls = egw_get(spec, "tls");
	bool has_policy = false;
	size_t np;
	egw_object *const *ps = ir_btls_targeting(t, o->ns, "Backend", o->name, &np);
	for (size_t bi = 0; bi < np; bi++) {
		egw_object *bp = ps[bi];
		egw_node *tr;
		EGW_ARR_EACH(egw_path(bp->node, "spec.targetRefs"), bj, tr)
		{
			if (strcmp(bp->ns, o->ns) || !ir_streq(ir_str(tr, "kind"), "Backend") ||
			    !ir_streq(ir_str(tr, "name"), o->name))
				continue;
			const char *sec = ir_str(tr, "sectionName");
			if (!sec) {
				has_policy = true;
				continue;
			}
			egw_node *ep;
			EGW_ARR_EACH(egw_get(spec, "endpoints"), bk, ep)
			{
				egw_node *a = egw_get(ep, "fqdn") ? egw_get(ep, "fqdn") : egw_get(ep, "ip");
				if (a && ir_streq(egw_text(egw_get(a, "port")), sec))
					has_policy = true;
			}
		}
	}
	if (tls && !has_policy && !egw_get_bool(tls, "insecureSkipVerify", false) &&
	    !egw_len(egw_get(tls, "caCertificateRefs")) && !egw_get(tls, "wellKnownCACertificates"))
		return "\x01must specify either CACertificateRefs or WellKnownCACertificates when InsecureSkipVerify is unset or false";
	return NULL;
}

void ir_backends_status(ir_tr *t)
{
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_BACKEND, i, o)
	{
		o->status = egw_obj(t->a);
		egw_node *conds = egw_set_arr(t->a, o->status, "conditions");
		if (!t->backend_enabled) {
			ir_cond(t, conds, "Invalid", false, "Accepted",
				"The Backend was not accepted since Backend is not enabled in Envoy Gateway Config");
			continue;
		}
		const char *p = backend_problem(t, o);
		if (p && p[0] == '\x01') {
			/* a TLS setting problem: the ref is invalid rather than its address */
			p++;
			ir_cond(t, conds, "Invalid", false, "Accepted",
				egw_sprintf(t->a, "The Backend was not accepted: %s", p));
			o->user = (void *)egw_sprintf(t->a, "\x01%s", p);
			continue;
		}
		if (p) {
			ir_cond(t, conds, "Invalid", false, "Accepted",
				egw_sprintf(t->a, "The Backend was not accepted: %s", p));
			o->user = (void *)p;
			continue;
		}
		ir_cond(t, conds, "Accepted", true, "Accepted", "The Backend was accepted");
	}
}
