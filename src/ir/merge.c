/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mergeBackends: routes that reach the same backend (kind, namespace,
 * name, port, protocol) on a fleet share one backend cluster instead of a
 * cluster per route rule.  A backendRef is eligible when nothing about it
 * can differ between the routes sharing the cluster (no backendRef
 * filters, no per-rule session affinity or hashing across several
 * backends, a matching selector); a listener or route that carries its own
 * cluster-level policy settings keeps its settings inline.
 */
#include <string.h>

#include "internal.h"

/* Policies below the Gateway that give clusters their own settings. */
typedef struct merge_idx {
	egw_map rule_btp; /* "Kind/ns/name/rule" -> 1: any rule-level policy */
	egw_map rt;       /* routingType by "Kind/ns/name[/rule]" or "gw:ns/name" */
	egw_map route;    /* "Kind/ns/name[/rule]" -> 1 */
	egw_map listener; /* "gwns/gw/listener" or "ls:ns/name[/listener]" -> 1 */
	egw_map gw_hash;  /* "ns/name" -> 1: gateway-wide consistent hashing */
} merge_idx;

static const char *BTP_NON_CLUSTER[] = { "targetRef", "targetRefs", "targetSelectors", "mergeType",
					 "rateLimit", "faultInjection", "responseOverride", "telemetry",
					 "requestBuffer", "compression", "compressor", NULL };

static bool btp_has_cluster_fields(egw_node *spec)
{
	egw_member *m;
	EGW_OBJ_EACH(spec, i, m)
	{
		bool skip = false;
		for (int k = 0; BTP_NON_CLUSTER[k]; k++)
			if (!strcmp(m->key, BTP_NON_CLUSTER[k]))
				skip = true;
		if (!skip)
			return true;
	}
	return false;
}

/* Calls fn for each target of policy o: its targetRef(s), and the routes in
 * its namespace its targetSelectors match (as {kind, name} references). */
static void each_target(ir_tr *t, egw_object *o, void (*fn)(void *, egw_node *), void *ud)
{
	egw_node *spec = egw_get(o->node, "spec");
	egw_node *tr = egw_get(spec, "targetRef");
	if (tr)
		fn(ud, tr);
	egw_node *x;
	EGW_ARR_EACH(egw_get(spec, "targetRefs"), i, x)
	fn(ud, x);
	static const egw_kind route_kinds[] = { EGW_K_HTTPROUTE, EGW_K_GRPCROUTE, EGW_K_TLSROUTE,
						EGW_K_TCPROUTE, EGW_K_UDPROUTE };
	egw_node *sel;
	EGW_ARR_EACH(egw_get(spec, "targetSelectors"), si, sel)
	{
		const char *kind = egw_get_str(sel, "kind", "");
		for (size_t k = 0; k < sizeof route_kinds / sizeof route_kinds[0]; k++) {
			if (strcmp(egw_kind_info_of(route_kinds[k])->name, kind))
				continue;
			egw_object *ro;
			EGW_RES_EACH(t->rs, route_kinds[k], i, ro)
			{
				if (strcmp(ro->ns, o->ns) ||
				    !ir_label_selector_matches(sel, egw_path(ro->node, "metadata.labels")))
					continue;
				egw_node *ref = egw_obj(t->a);
				egw_set_str(t->a, ref, "kind", kind);
				egw_set_str(t->a, ref, "name", ro->name);
				fn(ud, ref);
			}
		}
	}
}

typedef struct btp_visit {
	ir_tr *t;
	merge_idx *mi;
	egw_object *o;
	bool ctp;
} btp_visit;

static void index_target(void *ud, egw_node *tr)
{
	btp_visit *v = ud;
	ir_tr *t = v->t;
	egw_node *spec = egw_get(v->o->node, "spec");
	const char *kind = egw_get_str(tr, "kind", "");
	const char *name = egw_get_str(tr, "name", "");
	const char *sec = ir_str(tr, "sectionName");
	const char *ns = v->o->ns;
	if (v->ctp) {
		if (!egw_get(spec, "http1"))
			return;
		if (!strcmp(kind, "Gateway") && sec)
			egw_map_put(&v->mi->listener, egw_sprintf(t->a, "%s/%s/%s", ns, name, sec), v);
		else if (!strcmp(kind, "ListenerSet"))
			egw_map_put(&v->mi->listener, egw_sprintf(t->a, "ls:%s/%s%s%s", ns, name, sec ? "/" : "", sec ? sec : ""), v);
		return;
	}
	bool cluster = btp_has_cluster_fields(spec);
	const char *rtype = egw_text(egw_get(spec, "routingType"));
	/* a route policy that does not merge replaces the Gateway's: its
	 * routing type, even unset (""), is the route's */
	bool replaces = strstr(kind, "Route") && !egw_get(spec, "mergeType");
	if (rtype || replaces) {
		const char *k = NULL;
		if (!strcmp(kind, "Gateway") && !sec)
			k = egw_sprintf(t->a, "gw:%s/%s", ns, name);
		else if (!strcmp(kind, "Gateway"))
			k = egw_sprintf(t->a, "gwl:%s/%s/%s", ns, name, sec);
		else if (strstr(kind, "Route"))
			k = egw_sprintf(t->a, "%s/%s/%s%s%s", kind, ns, name, sec ? "/" : "", sec ? sec : "");
		if (k && !egw_map_has(&v->mi->rt, k))
			egw_map_put(&v->mi->rt, k, (void *)(rtype ? rtype : ""));
	}
	if (!strcmp(kind, "Gateway")) {
		if (sec) {
			egw_map_put(&v->mi->listener, egw_sprintf(t->a, "%s/%s/%s", ns, name, sec), v);
		} else if (ir_streq(egw_text(egw_path(spec, "loadBalancer.type")), "ConsistentHash")) {
			egw_map_put(&v->mi->gw_hash, egw_sprintf(t->a, "%s/%s", ns, name), v);
		}
	} else if (!strcmp(kind, "ListenerSet")) {
		egw_map_put(&v->mi->listener, egw_sprintf(t->a, "ls:%s/%s%s%s", ns, name, sec ? "/" : "", sec ? sec : ""), v);
	} else if (strstr(kind, "Route")) {
		if (sec)
			egw_map_put(&v->mi->rule_btp, egw_sprintf(t->a, "%s/%s/%s/%s", kind, ns, name, sec), v);
		/* a route-level policy without mergeType replaces the Gateway's
		 * settings, so its routes keep their own clusters */
		if (cluster || !egw_get(spec, "mergeType"))
			egw_map_put(&v->mi->route, egw_sprintf(t->a, "%s/%s/%s%s%s", kind, ns, name, sec ? "/" : "", sec ? sec : ""), v);
	}
}

static merge_idx *index_of(ir_tr *t)
{
	if (t->merge_idx)
		return t->merge_idx;
	merge_idx *mi = EGW_NEW(t->a, merge_idx);
	egw_map_init(&mi->route, t->a);
	egw_map_init(&mi->rt, t->a);
	egw_map_init(&mi->rule_btp, t->a);
	egw_map_init(&mi->listener, t->a);
	egw_map_init(&mi->gw_hash, t->a);
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_BACKENDTRAFFICPOLICY, i, o)
	{
		btp_visit v = { t, mi, o, false };
		each_target(t, o, index_target, &v);
	}
	EGW_RES_EACH(t->rs, EGW_K_CLIENTTRAFFICPOLICY, i, o)
	{
		btp_visit v = { t, mi, o, true };
		each_target(t, o, index_target, &v);
	}
	t->merge_idx = mi;
	return mi;
}

bool ir_merge_rule_unsafe(ir_tr *t, ir_gw *g, egw_object *route, const char *kind, egw_node *rule)
{
	if (!g || !g->merge_backends)
		return true;
	egw_node *refs = egw_get(rule, "backendRefs");
	if (strcmp(kind, "HTTPRoute") && strcmp(kind, "GRPCRoute")) {
		/* L4 listeners route to a single cluster: the distinct backends of
		 * all the route's rules count */
		egw_map seen;
		egw_map_init(&seen, t->a);
		egw_node *ru, *b;
		EGW_ARR_EACH(egw_path(route->node, "spec.rules"), i, ru)
		{
			EGW_ARR_EACH(egw_get(ru, "backendRefs"), j, b)
			{
				const char *bns = ir_str(b, "namespace");
				egw_map_put(&seen,
					    egw_sprintf(t->a, "%s/%s/%s/%s", egw_get_str(b, "kind", "Service"),
							bns && *bns ? bns : route->ns, egw_get_str(b, "name", ""),
							egw_get_str(b, "port", "0")),
					    b);
			}
		}
		return seen.n > 1;
	}
	if (egw_len(refs) <= 1)
		return false;
	if (egw_get(rule, "sessionPersistence"))
		return true;
	egw_node *b;
	EGW_ARR_EACH(refs, i, b)
	{
		if (!ir_streq(ir_str(b, "kind"), "Backend"))
			continue;
		const char *ns = ir_str(b, "namespace");
		egw_object *be = egw_res_find(t->rs, EGW_K_BACKEND, ns && *ns ? ns : route->ns, egw_get_str(b, "name", ""));
		if (be && egw_node_bool(egw_path(be->node, "spec.fallback"), false))
			return true;
	}
	return egw_map_has(&index_of(t)->gw_hash, egw_sprintf(t->tmp, "%s/%s", g->ns, g->name));
}

bool ir_merge_ref_ok(ir_tr *t, ir_gw *g, egw_node *bref, egw_node *ds, const char *backend_ns)
{
	if (!g || !g->merge_backends || egw_get_bool(ds, "invalid", false))
		return false;
	if (egw_get_int(ds, "weight", 1) == 0 || egw_len(egw_get(bref, "filters")) || egw_get(ds, "filters"))
		return false;
	const char *kind = egw_get_str(bref, "kind", "Service");
	const char *name = egw_get_str(bref, "name", "");
	egw_object *obj = NULL;
	if (!strcmp(kind, "Service"))
		obj = egw_res_find(t->rs, EGW_K_SERVICE, backend_ns, name);
	else if (!strcmp(kind, "ServiceImport"))
		obj = egw_res_find(t->rs, EGW_K_SERVICEIMPORT, backend_ns, name);
	else if (!strcmp(kind, "Backend")) {
		obj = egw_res_find(t->rs, EGW_K_BACKEND, backend_ns, name);
		if (obj && ir_streq(egw_text(egw_path(obj->node, "spec.type")), "DynamicResolver"))
			return false;
	} else {
		return false;
	}
	egw_node *sel = egw_get(g->merge_cfg, "selector");
	if (sel && (!obj || !ir_label_selector_matches(sel, egw_path(obj->node, "metadata.labels"))))
		return false;
	return true;
}

bool ir_merge_diverges(ir_tr *t, ir_lis *l, egw_object *route, const char *kind, const char *rule_name)
{
	merge_idx *mi = index_of(t);
	/* a rule-level policy shields its rule from the route-level one */
	bool rule_has = rule_name && egw_map_has(&mi->rule_btp, egw_sprintf(t->tmp, "%s/%s/%s/%s", kind, route->ns,
									     route->name, rule_name));
	if (!rule_has && egw_map_has(&mi->route, egw_sprintf(t->tmp, "%s/%s/%s", kind, route->ns, route->name)))
		return true;
	if (rule_name &&
	    egw_map_has(&mi->route, egw_sprintf(t->tmp, "%s/%s/%s/%s", kind, route->ns, route->name, rule_name)))
		return true;
	if (l->lset)
		return egw_map_has(&mi->listener, egw_sprintf(t->tmp, "ls:%s/%s", l->lset->ns, l->lset->name)) ||
		       egw_map_has(&mi->listener,
				   egw_sprintf(t->a, "ls:%s/%s/%s", l->lset->ns, l->lset->name, l->name));
	return egw_map_has(&mi->listener, egw_sprintf(t->tmp, "%s/%s/%s", l->gw->ns, l->gw->name, l->name));
}

static const char *lower_dup(ir_tr *t, const char *s)
{
	char *r = egw_strdup(t->a, s);
	for (char *p = r; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

/* Splits a destination's settings for one listener: eligible ones move to
 * shared backend clusters (referenced after the inline ones), the rest
 * stay inline.  `diverges` keeps everything inline.  The eligibility mark
 * is removed either way. */
void ir_merge_apply(ir_tr *t, ir_gw *g, egw_node *dest, bool diverges)
{
	egw_node *settings = egw_get(dest, "settings");
	if (!settings)
		return;
	egw_node *inl = egw_arr(t->a), *refs = NULL;
	egw_node *s;
	EGW_ARR_EACH(settings, i, s)
	{
		bool mk = egw_get_bool(s, "_merge", false);
		if (!mk || diverges) {
			if (mk) {
				s = egw_clone(t->a, s);
				egw_obj_del(s, "_merge");
			}
			egw_arr_push(t->a, inl, s);
			continue;
		}
		egw_node *meta = egw_get(s, "metadata");
		const char *name = egw_sprintf(t->a, "%s/%s/%s/%s/%s", lower_dup(t, ir_str(meta, "kind")),
					       ir_str(meta, "namespace"), ir_str(meta, "name"),
					       egw_get_str(meta, "sectionName", "0"),
					       lower_dup(t, egw_get_str(s, "protocol", "TCP")));
		const char *key = egw_sprintf(t->a, "%s\n%s", g->irkey, name);
		if (!egw_map_has(&t->backend_clusters, key)) {
			egw_node *bc = egw_arr_push(t->a, egw_arr_ensure(t->a, g->xds, "backendClusters"), egw_obj(t->a));
			egw_map_put(&t->backend_clusters, key, bc);
			egw_obj_set(t->a, bc, "metadata", meta);
			egw_set_str(t->a, bc, "name", name);
			egw_node *st = egw_clone(t->a, s);
			egw_obj_del(st, "_merge");
			egw_obj_del(st, "weight");
			egw_set_str(t->a, st, "name", name);
			egw_obj_set(t->a, bc, "setting", st);
		}
		if (!refs)
			refs = egw_arr(t->a);
		egw_node *r = egw_arr_push(t->a, refs, egw_obj(t->a));
		egw_set_str(t->a, r, "name", name);
		egw_set_int(t->a, r, "weight", egw_get_int(s, "weight", 1));
	}
	if (inl->n)
		egw_obj_set(t->a, dest, "settings", inl);
	else
		egw_obj_del(dest, "settings");
	if (refs)
		egw_obj_set(t->a, dest, "backendClusterRefs", refs);
}

/* Does this rule route to Service cluster IPs instead of endpoints?  A
 * route-rule, route or Gateway BackendTrafficPolicy routingType wins over
 * the EnvoyProxy's. */
static bool service_routing_for(ir_tr *t, ir_gw *g, const char *btp)
{
	if (btp)
		return !strcmp(btp, "Service");
	const char *ep = egw_text(egw_path(g->ep, "spec.routingType"));
	if (ep)
		return !strcmp(ep, "Service");
	/* the host's default: egctl routes to ClusterIPs */
	return t->c->opts->service_routing != 0;
}

bool ir_service_routing(ir_tr *t, ir_gw *g, egw_object *route, const char *kind, const char *rule,
			const char *listener, bool *diverges)
{
	merge_idx *mi = index_of(t);
	const char *rt = NULL;
	if (route && rule)
		rt = egw_map_get(&mi->rt, egw_sprintf(t->tmp, "%s/%s/%s/%s", kind, route->ns, route->name, rule));
	if (!rt && route)
		rt = egw_map_get(&mi->rt, egw_sprintf(t->tmp, "%s/%s/%s", kind, route->ns, route->name));
	const char *gw_rt = g ? egw_map_get(&mi->rt, egw_sprintf(t->tmp, "gw:%s/%s", g->ns, g->name)) : NULL;
	if (!rt && g && listener)
		rt = egw_map_get(&mi->rt, egw_sprintf(t->tmp, "gwl:%s/%s/%s", g->ns, g->name, listener));
	if (!rt)
		rt = gw_rt;
	else if (!*rt)
		rt = NULL; /* a replacing route policy without routingType */
	bool eff = g ? service_routing_for(t, g, rt) : false;
	if (diverges)
		*diverges = g && eff != service_routing_for(t, g, gw_rt);
	return eff;
}
