/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CRD defaulting, as the Kubernetes API server applies the Gateway API and
 * Envoy Gateway schemas' defaults before a controller sees an object.  A host
 * that feeds libegw objects read from the API server has them already; one
 * that reads files (egctl, the file provider) asks for them with
 * egw_options.crd_defaults.  Envoy Gateway's translator test harness loads
 * files without defaulting, which is why it is an option and not always on.
 *
 * Only absent fields are filled; nothing the user wrote is changed.
 */
#include "defaults.h"

#include <string.h>

#define GW_GROUP "gateway.networking.k8s.io"

static egw_node *ensure_str(egw_arena *a, egw_node *obj, const char *key, const char *val)
{
	egw_node *v = egw_get(obj, key);
	if (!v || v->kind == EGW_NULL)
		v = egw_set_str(a, obj, key, val);
	return v;
}

static void ensure_int(egw_arena *a, egw_node *obj, const char *key, int64_t val)
{
	egw_node *v = egw_get(obj, key);
	if (!v || v->kind == EGW_NULL)
		egw_set_int(a, obj, key, val);
}

static void parent_refs(egw_arena *a, egw_node *spec)
{
	egw_node *p;
	EGW_ARR_EACH(egw_get(spec, "parentRefs"), i, p)
	{
		if (p->kind != EGW_OBJ)
			continue;
		ensure_str(a, p, "group", GW_GROUP);
		ensure_str(a, p, "kind", "Gateway");
	}
}

static void backend_ref(egw_arena *a, egw_node *b, bool weighted)
{
	if (!b || b->kind != EGW_OBJ)
		return;
	ensure_str(a, b, "group", "");
	ensure_str(a, b, "kind", "Service");
	if (weighted)
		ensure_int(a, b, "weight", 1);
}

static void backend_refs(egw_arena *a, egw_node *rule)
{
	egw_node *b;
	EGW_ARR_EACH(egw_get(rule, "backendRefs"), i, b)
	backend_ref(a, b, true);
}

/* Filters whose references have defaults (mirror backends). */
static void filters(egw_arena *a, egw_node *list)
{
	egw_node *f;
	EGW_ARR_EACH(list, i, f)
	backend_ref(a, egw_path(f, "requestMirror.backendRef"), false);
}

static void typed_matches(egw_arena *a, egw_node *list, const char *def)
{
	egw_node *m;
	EGW_ARR_EACH(list, i, m)
	if (m->kind == EGW_OBJ)
		ensure_str(a, m, "type", def);
}

static void http_route(egw_arena *a, egw_node *spec)
{
	parent_refs(a, spec);
	egw_node *rules = egw_get(spec, "rules");
	if (!rules || rules->kind == EGW_NULL) {
		rules = egw_set_arr(a, spec, "rules");
		egw_arr_push(a, rules, egw_obj(a));
	}
	egw_node *r;
	EGW_ARR_EACH(rules, i, r)
	{
		if (r->kind != EGW_OBJ)
			continue;
		egw_node *matches = egw_get(r, "matches");
		if (!matches || matches->kind == EGW_NULL) {
			matches = egw_set_arr(a, r, "matches");
			egw_arr_push(a, matches, egw_obj(a));
		}
		egw_node *m;
		EGW_ARR_EACH(matches, j, m)
		{
			if (m->kind != EGW_OBJ)
				continue;
			egw_node *path = egw_get(m, "path");
			if (!path || path->kind == EGW_NULL)
				path = egw_set_obj(a, m, "path");
			if (path->kind == EGW_OBJ) {
				ensure_str(a, path, "type", "PathPrefix");
				ensure_str(a, path, "value", "/");
			}
			typed_matches(a, egw_get(m, "headers"), "Exact");
			typed_matches(a, egw_get(m, "queryParams"), "Exact");
		}
		filters(a, egw_get(r, "filters"));
		backend_refs(a, r);
		egw_node *b;
		EGW_ARR_EACH(egw_get(r, "backendRefs"), j, b)
		filters(a, egw_get(b, "filters"));
	}
}

static void grpc_route(egw_arena *a, egw_node *spec)
{
	parent_refs(a, spec);
	egw_node *r;
	EGW_ARR_EACH(egw_get(spec, "rules"), i, r)
	{
		egw_node *m;
		EGW_ARR_EACH(egw_get(r, "matches"), j, m)
		{
			egw_node *method = egw_get(m, "method");
			if (method && method->kind == EGW_OBJ)
				ensure_str(a, method, "type", "Exact");
			typed_matches(a, egw_get(m, "headers"), "Exact");
		}
		filters(a, egw_get(r, "filters"));
		backend_refs(a, r);
	}
}

static void l4_route(egw_arena *a, egw_node *spec)
{
	parent_refs(a, spec);
	egw_node *r;
	EGW_ARR_EACH(egw_get(spec, "rules"), i, r)
	backend_refs(a, r);
}

static void gateway(egw_arena *a, egw_node *spec)
{
	egw_node *l;
	EGW_ARR_EACH(egw_get(spec, "listeners"), i, l)
	{
		if (l->kind != EGW_OBJ)
			continue;
		egw_node *ar = egw_get(l, "allowedRoutes");
		if (!ar || ar->kind == EGW_NULL)
			ar = egw_set_obj(a, l, "allowedRoutes");
		if (ar->kind == EGW_OBJ) {
			egw_node *ns = egw_get(ar, "namespaces");
			if (!ns || ns->kind == EGW_NULL)
				ns = egw_set_obj(a, ar, "namespaces");
			if (ns->kind == EGW_OBJ)
				ensure_str(a, ns, "from", "Same");
		}
		egw_node *tls = egw_get(l, "tls");
		if (tls && tls->kind == EGW_OBJ)
			ensure_str(a, tls, "mode", "Terminate");
	}
}

void egw_defaults_apply(egw_ctx *c, egw_resources *rs)
{
	if (!c->opts || !c->opts->crd_defaults)
		return;
	egw_arena *a = c->arena;
	egw_object *o;
	for (int k = 0; k < EGW_K__COUNT; k++) {
		EGW_RES_EACH(rs, (egw_kind)k, i, o)
		{
			egw_node *spec = egw_get(o->node, "spec");
			if (!spec || spec->kind != EGW_OBJ)
				continue;
			switch (o->kind) {
			case EGW_K_GATEWAY: gateway(a, spec); break;
			case EGW_K_HTTPROUTE: http_route(a, spec); break;
			case EGW_K_GRPCROUTE: grpc_route(a, spec); break;
			case EGW_K_TCPROUTE:
			case EGW_K_UDPROUTE:
			case EGW_K_TLSROUTE: l4_route(a, spec); break;
			case EGW_K_BACKEND: ensure_str(a, spec, "type", "Endpoints"); break;
			default: break;
			}
		}
	}
}
