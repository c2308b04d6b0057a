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

/* One pass over an object's spec.  Parsed documents shared by several
 * translations (EGW_NF_FROZEN) are not changed: a dry pass first finds
 * whether anything is missing, and only then is the object copied and
 * filled. */
typedef struct dflt {
	egw_arena *a;
	bool dry;  /* only note whether something would be filled */
	bool need; /* the dry pass found something missing */
} dflt;

/* obj[key] = the value made by `make`, or in the dry pass NULL (nothing to
 * descend into) after noting the change. */
#define PUT(d, obj, key, make) \
	((d)->dry ? ((d)->need = true, (egw_node *)NULL) : egw_obj_set((d)->a, (obj), (key), (make)))

static bool absent(const egw_node *v) { return !v || v->kind == EGW_NULL; }

static void ensure_str(dflt *d, egw_node *obj, const char *key, const char *val)
{
	if (absent(egw_get(obj, key)))
		PUT(d, obj, key, egw_nstr(d->a, val));
}

static void ensure_int(dflt *d, egw_node *obj, const char *key, int64_t val)
{
	if (absent(egw_get(obj, key)))
		PUT(d, obj, key, egw_int(d->a, val));
}

static void parent_refs(dflt *d, egw_node *spec)
{
	egw_node *p;
	EGW_ARR_EACH(egw_get(spec, "parentRefs"), i, p)
	{
		if (p->kind != EGW_OBJ)
			continue;
		ensure_str(d, p, "group", GW_GROUP);
		ensure_str(d, p, "kind", "Gateway");
	}
}

static void backend_ref(dflt *d, egw_node *b, bool weighted)
{
	if (!b || b->kind != EGW_OBJ)
		return;
	ensure_str(d, b, "group", "");
	ensure_str(d, b, "kind", "Service");
	if (weighted)
		ensure_int(d, b, "weight", 1);
}

static void backend_refs(dflt *d, egw_node *rule)
{
	egw_node *b;
	EGW_ARR_EACH(egw_get(rule, "backendRefs"), i, b)
	backend_ref(d, b, true);
}

/* Filters whose references have defaults (mirror backends). */
static void filters(dflt *d, egw_node *list)
{
	egw_node *f;
	EGW_ARR_EACH(list, i, f)
	backend_ref(d, egw_path(f, "requestMirror.backendRef"), false);
}

static void typed_matches(dflt *d, egw_node *list, const char *def)
{
	egw_node *m;
	EGW_ARR_EACH(list, i, m)
	if (m->kind == EGW_OBJ)
		ensure_str(d, m, "type", def);
}

static void http_route(dflt *d, egw_node *spec)
{
	parent_refs(d, spec);
	egw_node *rules = egw_get(spec, "rules");
	if (absent(rules)) {
		rules = PUT(d, spec, "rules", egw_arr(d->a));
		if (rules)
			egw_arr_push(d->a, rules, egw_obj(d->a));
	}
	egw_node *r;
	EGW_ARR_EACH(rules, i, r)
	{
		if (r->kind != EGW_OBJ)
			continue;
		egw_node *matches = egw_get(r, "matches");
		if (absent(matches)) {
			matches = PUT(d, r, "matches", egw_arr(d->a));
			if (matches)
				egw_arr_push(d->a, matches, egw_obj(d->a));
		}
		egw_node *m;
		EGW_ARR_EACH(matches, j, m)
		{
			if (m->kind != EGW_OBJ)
				continue;
			egw_node *path = egw_get(m, "path");
			if (absent(path))
				path = PUT(d, m, "path", egw_obj(d->a));
			if (path && path->kind == EGW_OBJ) {
				ensure_str(d, path, "type", "PathPrefix");
				ensure_str(d, path, "value", "/");
			}
			typed_matches(d, egw_get(m, "headers"), "Exact");
			typed_matches(d, egw_get(m, "queryParams"), "Exact");
		}
		filters(d, egw_get(r, "filters"));
		backend_refs(d, r);
		egw_node *b;
		EGW_ARR_EACH(egw_get(r, "backendRefs"), j, b)
		filters(d, egw_get(b, "filters"));
	}
}

static void grpc_route(dflt *d, egw_node *spec)
{
	parent_refs(d, spec);
	egw_node *r;
	EGW_ARR_EACH(egw_get(spec, "rules"), i, r)
	{
		egw_node *m;
		EGW_ARR_EACH(egw_get(r, "matches"), j, m)
		{
			egw_node *method = egw_get(m, "method");
			if (method && method->kind == EGW_OBJ)
				ensure_str(d, method, "type", "Exact");
			typed_matches(d, egw_get(m, "headers"), "Exact");
		}
		filters(d, egw_get(r, "filters"));
		backend_refs(d, r);
	}
}

static void l4_route(dflt *d, egw_node *spec)
{
	parent_refs(d, spec);
	egw_node *r;
	EGW_ARR_EACH(egw_get(spec, "rules"), i, r)
	backend_refs(d, r);
}

static void gateway(dflt *d, egw_node *spec)
{
	egw_node *l;
	EGW_ARR_EACH(egw_get(spec, "listeners"), i, l)
	{
		if (l->kind != EGW_OBJ)
			continue;
		egw_node *ar = egw_get(l, "allowedRoutes");
		if (absent(ar))
			ar = PUT(d, l, "allowedRoutes", egw_obj(d->a));
		if (ar && ar->kind == EGW_OBJ) {
			egw_node *ns = egw_get(ar, "namespaces");
			if (absent(ns))
				ns = PUT(d, ar, "namespaces", egw_obj(d->a));
			if (ns && ns->kind == EGW_OBJ)
				ensure_str(d, ns, "from", "Same");
		}
		egw_node *tls = egw_get(l, "tls");
		if (tls && tls->kind == EGW_OBJ)
			ensure_str(d, tls, "mode", "Terminate");
	}
}

/* EnvoyExtensionPolicy: each extProc's backendRefs (group, kind, weight). */
static void extension_policy(dflt *d, egw_node *spec)
{
	egw_node *x;
	EGW_ARR_EACH(egw_get(spec, "extProc"), i, x)
	backend_refs(d, x);
}

static void apply(dflt *d, egw_kind k, egw_node *spec)
{
	switch (k) {
	case EGW_K_ENVOYEXTENSIONPOLICY: extension_policy(d, spec); break;
	case EGW_K_GATEWAY: gateway(d, spec); break;
	case EGW_K_HTTPROUTE: http_route(d, spec); break;
	case EGW_K_GRPCROUTE: grpc_route(d, spec); break;
	case EGW_K_TCPROUTE:
	case EGW_K_UDPROUTE:
	case EGW_K_TLSROUTE: l4_route(d, spec); break;
	case EGW_K_BACKEND: ensure_str(d, spec, "type", "Endpoints"); break;
	default: break;
	}
}

void egw_defaults_apply(egw_ctx *c, egw_resources *rs)
{
	if (!c->opts || !c->opts->crd_defaults)
		return;
	dflt d = { c->arena, false, false };
	egw_object *o;
	for (int k = 0; k < EGW_K__COUNT; k++) {
		EGW_RES_EACH(rs, (egw_kind)k, i, o)
		{
			egw_node *spec = egw_get(o->node, "spec");
			if (!spec || spec->kind != EGW_OBJ)
				continue;
			if (egw_frozen(spec)) {
				d.dry = true;
				d.need = false;
				apply(&d, o->kind, spec);
				d.dry = false;
				if (!d.need)
					continue;
				spec = egw_get(egw_object_writable(c, o), "spec");
			}
			apply(&d, o->kind, spec);
		}
	}
}
