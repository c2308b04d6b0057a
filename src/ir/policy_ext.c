/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extension server policies: objects of the kinds in
 * extensionManager.policyResources (or shaped as policies, see
 * src/model/resources.c).  libegw does not interpret them; it attaches them
 * where they point so the extension hooks see them:
 *
 *   - a route (HTTPRoute, GRPCRoute) or one of its rules: the policy joins
 *     the extensionServerPolicies of the route's IR routes;
 *   - a Gateway or one of its listeners: the policy joins the fleet's
 *     extensionServerPolicies and the extensionRefs of the listeners.
 *
 * As in Envoy Gateway, targets are worked through in four passes (route
 * rules, routes, listeners, gateways), each over the policies in input
 * order; a policy gets one ancestor per Gateway it reached, and is left
 * out of the output when it reached none.  The IR holds one copy of each
 * policy, shared by every place it attaches to, with the policy's final
 * status.
 */
#include <string.h>

#include "policy.h"

typedef struct ext_pol {
	ir_pol p;
	egw_node *obj; /* the IR's copy, made at the first attachment */
	bool valid;    /* its spec names targets */
} ext_pol;

static const char *const route_kinds[] = { "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute" };

static bool is_route_kind(const char *k)
{
	for (size_t i = 0; i < sizeof route_kinds / sizeof route_kinds[0]; i++)
		if (!strcmp(route_kinds[i], k))
			return true;
	return false;
}

static bool is_type_or_null(const egw_node *n, egw_nkind k)
{
	return !n || n->kind == k || n->kind == EGW_NULL;
}

/* Envoy Gateway reads the spec into its PolicyTargetReferences type: a
 * field of the wrong shape, or no target at all, leaves the policy out. */
static bool names_targets(const egw_node *spec)
{
	if (!spec || spec->kind != EGW_OBJ)
		return false;
	const egw_node *one = egw_get(spec, "targetRef"), *refs = egw_get(spec, "targetRefs"),
		       *sels = egw_get(spec, "targetSelectors");
	if (!is_type_or_null(one, EGW_OBJ) || !is_type_or_null(refs, EGW_ARR) || !is_type_or_null(sels, EGW_ARR))
		return false;
	const egw_node *x;
	EGW_ARR_EACH(refs, i, x)
	{
		if (x->kind != EGW_OBJ)
			return false;
	}
	bool whole = one && one->kind == EGW_OBJ && *egw_get_str(one, "group", "") &&
		     *egw_get_str(one, "kind", "") && *egw_get_str(one, "name", "");
	return whole || egw_len(refs) || egw_len(sels);
}

/* The policy's targetRef, or else its targetRefs, in its own namespace
 * (selectors are left to pol_targets). */
static pol_target *refs_of(ir_tr *t, egw_object *o, size_t *n)
{
	egw_node *spec = egw_get(o->node, "spec");
	egw_node *one = egw_get(spec, "targetRef");
	egw_node *list = egw_get(spec, "targetRefs");
	size_t cnt = one && one->kind == EGW_OBJ ? 1 : egw_len(list);
	pol_target *v = EGW_NEWN(t->a, pol_target, cnt ? cnt : 1);
	for (size_t i = 0; i < cnt; i++) {
		egw_node *r = one && one->kind == EGW_OBJ ? one : egw_at(list, i);
		v[i].group = egw_get_str(r, "group", "");
		v[i].kind = egw_get_str(r, "kind", "");
		v[i].name = egw_get_str(r, "name", "");
		v[i].section = egw_text(egw_get(r, "sectionName"));
		v[i].ns = NULL;
	}
	*n = cnt;
	return v;
}

static egw_node *obj_of(ir_tr *t, ext_pol *ep)
{
	if (!ep->obj) {
		ep->obj = egw_obj(t->a);
		egw_obj_set(t->a, ep->obj, "object", ir_ext_object(t, ep->p.o));
	}
	return ep->obj;
}

/* Appends the policy to list[key] of n unless it is there already. */
static bool add_once(ir_tr *t, egw_node *n, const char *key, egw_node *ref)
{
	egw_node *arr = egw_arr_ensure(t->a, n, key);
	egw_node *x;
	EGW_ARR_EACH(arr, i, x)
	{
		if (x == ref)
			return false;
	}
	egw_arr_push(t->a, arr, ref);
	return true;
}

/* Short name of an IR listener ("ns/gateway/name" -> "name"). */
static const char *short_name(const egw_node *xl)
{
	const char *n = egw_get_str(xl, "name", "");
	const char *s = strrchr(n, '/');
	return s ? s + 1 : n;
}

static void route_target(pol_ctx *pc, ext_pol *ep, const pol_target *tg)
{
	ir_tr *t = pc->t;
	egw_object *o = ep->p.o;
	const char *tns = tg->ns ? tg->ns : o->ns;
	egw_kind rk = EGW_K__COUNT;
	for (int k = 0; k < EGW_K__COUNT; k++)
		if (!strcmp(egw_kind_info_of((egw_kind)k)->name, tg->kind))
			rk = (egw_kind)k;
	egw_object *ro = rk == EGW_K__COUNT ? NULL : egw_res_find(t->rs, rk, tns, tg->name);
	if (!ro || !ro->status)
		return; /* no such route (yet): no status, as in Envoy Gateway */
	const char *err = NULL;
	if (tg->section && !pol_route_has_rule(ro, tg->section))
		err = egw_sprintf(t->a, "No section name %s found for %s %s/%s", tg->section, tg->kind, tns,
				  tg->name);
	bool supported = !strcmp(tg->kind, "HTTPRoute") || !strcmp(tg->kind, "GRPCRoute");
	pol_route *ix = pol_irroutes(pc, tg->kind, tns, tg->name);
	egw_node *pr;
	EGW_ARR_EACH(egw_path(ro->node, "spec.parentRefs"), i, pr)
	{
		if (strcmp(egw_get_str(pr, "kind", "Gateway"), "Gateway"))
			continue;
		const char *gns = egw_get_str(pr, "namespace", ro->ns), *gname = egw_get_str(pr, "name", "");
		const char *sec = egw_text(egw_get(pr, "sectionName"));
		ir_gw *g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", gns, gname));
		if (!g || !g->xds)
			continue; /* not a Gateway this translation owns */
		egw_node *ref = pol_ancestor_ref(pc, gns, gname, sec);
		if (err) {
			pol_cond(pc, &ep->p, ref, "Accepted", false, "TargetNotFound", err);
			continue;
		}
		if (!supported) {
			pol_cond(pc, &ep->p, ref, "Accepted", false, "Invalid",
				 egw_sprintf(t->a, "ExtensionServerPolicy does not support targeting %s", tg->kind));
			continue;
		}
		/* the route's IR routes under this parentRef's listeners */
		const char *prefix = egw_sprintf(t->a, "%s/%s/", gns, gname);
		size_t plen = strlen(prefix);
		int64_t port = egw_get_int(pr, "port", 0);
		bool found = false;
		for (size_t k = 0; ix && k < ix->nirs; k++) {
			const pol_irroute *ir = &ix->irs[k];
			if (ir->xk != XL_HTTP)
				continue;
			const char *ln = egw_get_str(ir->listener, "name", "");
			if (strncmp(ln, prefix, plen) || strchr(ln + plen, '/'))
				continue;
			if (sec && strcmp(ln + plen, sec))
				continue;
			if (port && egw_get_int(ir->listener, "externalPort", 0) != port)
				continue;
			if (tg->section && !ir_streq(egw_get_str(egw_get(ir->route, "metadata"), "sectionName", NULL),
						     tg->section))
				continue;
			add_once(t, ir->route, "extensionServerPolicies", obj_of(t, ep));
			found = true;
		}
		if (found)
			pol_accepted(pc, &ep->p, ref);
	}
}

static void gateway_target(pol_ctx *pc, ext_pol *ep, const pol_target *tg)
{
	ir_tr *t = pc->t;
	const char *tns = tg->ns ? tg->ns : ep->p.o->ns;
	ir_gw *g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", tns, tg->name));
	if (!g || !g->xds)
		return;
	egw_node *ref = obj_of(t, ep);
	egw_arr_push(t->a, egw_arr_ensure(t->a, g->xds, "extensionServerPolicies"), ref);
	static const char *const lists[] = { "http", "tcp", "udp" };
	bool found = false;
	for (size_t l = 0; l < 3; l++) {
		egw_node *xl;
		EGW_ARR_EACH(egw_get(g->xds, lists[l]), i, xl)
		{
			if (tg->section && strcmp(short_name(xl), tg->section))
				continue;
			egw_arr_push(t->a, egw_arr_ensure(t->a, xl, "extensionRefs"), ref);
			found = true;
		}
	}
	if (found)
		pol_accepted(pc, &ep->p, pol_ancestor_ref(pc, tns, tg->name, tg->section));
}

void ir_policy_ext(pol_ctx *pc)
{
	ir_tr *t = pc->t;
	size_t n = 0;
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_EXTENSION, i, o)
	n += o->ext_policy;
	if (!n)
		return;
	ext_pol *eps = EGW_NEWN(t->a, ext_pol, n);
	size_t k = 0;
	EGW_RES_EACH(t->rs, EGW_K_EXTENSION, i, o)
	{
		if (!o->ext_policy)
			continue;
		pol_init(pc, &eps[k].p, o, o->kind_name);
		eps[k].valid = names_targets(egw_get(o->node, "spec"));
		k++;
	}
	for (int pass = 0; pass < 4; pass++) {
		for (size_t i = 0; i < n; i++) {
			ext_pol *ep = &eps[i];
			if (!ep->valid)
				continue;
			size_t nt;
			/* refs alone for rules and listeners; selectors too for
			 * whole routes and gateways */
			pol_target *tgs = pass == 0 || pass == 2 ? refs_of(t, ep->p.o, &nt)
								  : pol_targets(pc, ep->p.o, pass == 1, &nt);
			for (size_t j = 0; j < nt; j++) {
				const pol_target *tg = &tgs[j];
				bool route = is_route_kind(tg->kind), gw = !strcmp(tg->kind, "Gateway");
				bool sec = tg->section != NULL;
				if (pass == 0 && route && sec)
					route_target(pc, ep, tg);
				else if (pass == 1 && route && !sec)
					route_target(pc, ep, tg);
				else if (pass == 2 && gw && sec)
					gateway_target(pc, ep, tg);
				else if (pass == 3 && gw && !sec)
					gateway_target(pc, ep, tg);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		ext_pol *ep = &eps[i];
		if (!egw_len(ep->p.ancestors))
			continue; /* reached no Gateway: no status, not in the output */
		pol_finish(pc, &ep->p);
		if (ep->obj)
			egw_obj_set(t->a, egw_get(ep->obj, "object"), "status", ep->p.o->status);
	}
}
