/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the policy kinds share: targets, ancestor status, the route->IR
 * index, conflict and override bookkeeping, and the route-or-gateway driver
 * that BackendTrafficPolicy, SecurityPolicy and EnvoyExtensionPolicy use
 * (route rules first, then routes, listeners, gateways: the more specific
 * target wins because it writes the IR first).
 */
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_util.h"

/* ---------------------------------------------------------------- status */

const char *pol_err_msg(ir_tr *t, const char *m)
{
	if (!m || !*m)
		return "";
	size_t n = strlen(m);
	char *s = egw_alloc(t->a, n + 2);
	memcpy(s, m, n);
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	if (s[n - 1] != '.')
		s[n++] = '.';
	s[n] = 0;
	return s;
}

void pol_init(pol_ctx *pc, ir_pol *p, egw_object *o, const char *kind)
{
	memset(p, 0, sizeof *p);
	p->o = o;
	p->kind = kind;
	p->ancestors = egw_arr(pc->t->a);
	egw_map_init(&p->amap, pc->t->a);
}

egw_node *pol_ancestor_ref(pol_ctx *pc, const char *ns, const char *name, const char *section)
{
	egw_arena *a = pc->t->a;
	egw_node *r = egw_obj(a);
	egw_set_str(a, r, "group", GW_GROUP);
	egw_set_str(a, r, "kind", "Gateway");
	egw_set_str(a, r, "name", name);
	egw_set_str(a, r, "namespace", ns);
	if (section)
		egw_set_str(a, r, "sectionName", section);
	return r;
}

static const char *anc_key(ir_tr *t, egw_node *ref)
{
	egw_node *sec = egw_get(ref, "sectionName");
	return egw_sprintf(t->a, "%s\n%s\n%s\n%s\n%s", egw_get_str(ref, "kind", ""),
			   egw_get_str(ref, "namespace", ""), egw_get_str(ref, "name", ""),
			   sec ? "1" : "0", sec ? egw_text(sec) : "");
}

static void pol_bound_ancestors(ir_tr *t, ir_pol *p);

static egw_node *anc_get(pol_ctx *pc, ir_pol *p, egw_node *ref, bool create)
{
	ir_tr *t = pc->t;
	const char *k = anc_key(t, ref);
	egw_node *an = egw_map_get(&p->amap, k);
	if (an || !create)
		return an;
	an = egw_arr_push(t->a, p->ancestors, egw_obj(t->a));
	egw_obj_set(t->a, an, "ancestorRef", egw_clone(t->a, ref));
	egw_set_arr(t->a, an, "conditions");
	egw_obj_set(t->a, an, "controllerName", ir_cs(t, t->controller));
	egw_map_put(&p->amap, k, an);
	return an;
}

void pol_cond(pol_ctx *pc, ir_pol *p, egw_node *ref, const char *type, bool status,
	      const char *reason, const char *msg)
{
	egw_node *an = anc_get(pc, p, ref, true);
	egw_node *conds = egw_get(an, "conditions");
	ir_cond(pc->t, conds, type, status, reason, msg);
	/* bounded with the new condition in place; the new ancestor itself may be
	 * the one evicted (its condition is then lost, as in Envoy Gateway) */
	pol_bound_ancestors(pc->t, p);
	int64_t gen;
	if (egw_node_int(egw_path(p->o->node, "metadata.generation"), &gen) && gen) {
		egw_node *c = ir_cond_find(conds, type);
		egw_set_int(pc->t->a, c, "observedGeneration", gen);
	}
}

void pol_accepted(pol_ctx *pc, ir_pol *p, egw_node *ref)
{
	egw_node *an = anc_get(pc, p, ref, false);
	if (an && ir_cond_find(egw_get(an, "conditions"), "Accepted"))
		return;
	pol_cond(pc, p, ref, "Accepted", true, "Accepted", "Policy has been accepted.");
}

/* A Warning merges with an earlier one on the same ancestor. */
void pol_warning(pol_ctx *pc, ir_pol *p, egw_node *ref, const char *reason, const char *msg)
{
	if (!msg || !*msg)
		return;
	egw_node *an = anc_get(pc, p, ref, false);
	egw_node *c = an ? ir_cond_find(egw_get(an, "conditions"), "Warning") : NULL;
	if (!c) {
		pol_cond(pc, p, ref, "Warning", true, reason, msg);
		return;
	}
	const char *om = egw_get_str(c, "message", "");
	const char *orr = egw_get_str(c, "reason", "");
	const char *nm;
	if (!*om || strstr(msg, om))
		nm = msg;
	else if (strstr(om, msg))
		nm = om;
	else
		nm = egw_sprintf(pc->t->a, "%s; %s", om, msg);
	const char *nr = (!*orr || !strcmp(orr, reason)) ? reason : "Warnings";
	pol_cond(pc, p, ref, "Warning", true, nr, nm);
}

void pol_note_deprecated(ir_tr *t, ir_pol *p, const char *field, const char *instead)
{
	pol_str_add(t, &p->deprecated, egw_sprintf(t->a, "%s is deprecated, use %s instead", field, instead));
}

void pol_deprecated(pol_ctx *pc, ir_pol *p, egw_node *ref)
{
	ir_tr *t = pc->t;
	egw_node *all = NULL;
	egw_node *x;
	EGW_ARR_EACH(p->deprecated, i, x)
	pol_str_add(t, &all, egw_text(x));
	if (p->extra_warning)
		pol_str_add(t, &all, p->extra_warning);
	if (p->deprecated_ref)
		pol_str_add(t, &all, "spec.targetRef is deprecated, use spec.targetRefs instead");
	if (!all)
		return;
	/* Envoy Gateway sorts by field name; messages start with the field */
	egw_node *sorted = pol_sorted_unique(t, all, false);
	egw_buf b;
	egw_buf_init(&b, t->a);
	EGW_ARR_EACH(sorted, i, x)
	{
		if (i)
			egw_buf_puts(&b, "; ");
		egw_buf_puts(&b, egw_text(x));
	}
	pol_warning(pc, p, ref, "DeprecatedField", egw_buf_str(&b));
}

static int anc_rank(egw_node *an)
{
	egw_node *conds = egw_get(an, "conditions");
	if (ir_cond_is(conds, "Accepted", false))
		return 0;
	if (ir_cond_is(conds, "Overridden", true))
		return 1;
	return 2;
}

static int anc_cmp(const void *x, const void *y)
{
	egw_node *a = *(egw_node *const *)x, *b = *(egw_node *const *)y;
	int ra = anc_rank(a), rb = anc_rank(b);
	if (ra != rb)
		return ra - rb;
	int c = strcmp(egw_get_str(egw_get(a, "ancestorRef"), "namespace", ""),
		       egw_get_str(egw_get(b, "ancestorRef"), "namespace", ""));
	if (c)
		return c;
	c = strcmp(egw_get_str(egw_get(a, "ancestorRef"), "name", ""),
		   egw_get_str(egw_get(b, "ancestorRef"), "name", ""));
	if (c)
		return c;
	return 0;
}

/* Keeps at most 17 ancestors while they are added (Envoy Gateway's soft
 * cap, one above the CRD limit so the final truncation still sees the
 * overflow): the lowest-ranked one is evicted. */
static void pol_bound_ancestors(ir_tr *t, ir_pol *p)
{
	egw_node *anc = p->ancestors;
	if (anc->n <= 17)
		return;
	size_t worst = 0;
	for (size_t i = 1; i < anc->n; i++)
		if (anc_cmp(&anc->c.items[worst], &anc->c.items[i]) < 0)
			worst = i;
	egw_node *w = anc->c.items[worst];
	egw_map_put(&p->amap, anc_key(t, egw_get(w, "ancestorRef")), NULL);
	memmove(&anc->c.items[worst], &anc->c.items[worst + 1], (anc->n - worst - 1) * sizeof(egw_node *));
	anc->n--;
}

void pol_finish(pol_ctx *pc, ir_pol *p)
{
	ir_tr *t = pc->t;
	egw_node *anc = p->ancestors;
	if (anc->n > 16) {
		/* stable: merge sort through an index tiebreak */
		size_t n = anc->n;
		egw_node **v = EGW_NEWN(t->a, egw_node *, n);
		memcpy(v, anc->c.items, n * sizeof *v);
		/* insertion-stable sort via qsort on (item, index) pairs */
		typedef struct { egw_node *n; size_t i; } pair;
		pair *ps = EGW_NEWN(t->a, pair, n);
		for (size_t i = 0; i < n; i++) {
			ps[i].n = v[i];
			ps[i].i = i;
		}
		/* simple bottom-up merge sort to stay stable */
		pair *tmp = EGW_NEWN(t->a, pair, n);
		for (size_t w = 1; w < n; w *= 2) {
			for (size_t lo = 0; lo < n; lo += 2 * w) {
				size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
				size_t i = lo, j = mid, k = lo;
				while (i < mid && j < hi)
					tmp[k++] = anc_cmp(&ps[j].n, &ps[i].n) < 0 ? ps[j++] : ps[i++];
				while (i < mid)
					tmp[k++] = ps[i++];
				while (j < hi)
					tmp[k++] = ps[j++];
			}
			pair *sw = ps;
			ps = tmp;
			tmp = sw;
		}
		anc->n = 16;
		for (size_t i = 0; i < 16; i++)
			anc->c.items[i] = ps[i].n;
		egw_node *last = anc->c.items[15];
		ir_cond(t, egw_get(last, "conditions"), "Aggregated", true, "Aggregated",
			"Ancestors have been truncated because the number of policy ancestors exceeds 16.");
	}
	egw_node *st = egw_obj(t->a);
	if (anc->n)
		egw_obj_set(t->a, st, "ancestors", anc);
	p->o->status = st;
}

/* ---------------------------------------------------------------- targets */

static const egw_kind route_kinds[] = { EGW_K_HTTPROUTE, EGW_K_GRPCROUTE, EGW_K_TLSROUTE,
					EGW_K_TCPROUTE, EGW_K_UDPROUTE };

static void push_target(ir_tr *t, pol_target **v, size_t *n, size_t *cap, pol_target tg)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		pol_target *nv = EGW_NEWN(t->a, pol_target, nc);
		if (*n)
			memcpy(nv, *v, *n * sizeof *nv);
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = tg;
}

static pol_target target_of(egw_node *r)
{
	pol_target tg;
	tg.group = egw_get_str(r, "group", "");
	tg.kind = egw_get_str(r, "kind", "");
	tg.name = egw_get_str(r, "name", "");
	tg.section = egw_text(egw_get(r, "sectionName"));
	tg.ns = NULL;
	return tg;
}

/* Whether a selector may pick an object of namespace ns: its namespaces
 * (Same by default, All, or a label Selector), and a ReferenceGrant from
 * the policy when the namespace is another one. */
static bool selector_ns_ok(ir_tr *t, egw_object *pol, egw_node *sel, const char *group, const char *kind,
			   const char *ns, const char *name)
{
	egw_node *nss = egw_get(sel, "namespaces");
	const char *from = egw_get_str(nss, "from", "Same");
	if (!strcmp(ns, pol->ns))
		return true;
	if (!strcmp(from, "Same"))
		return false;
	if (!strcmp(from, "Selector")) {
		egw_object *nso = egw_res_find(t->rs, EGW_K_NAMESPACE, "", ns);
		if (!nso || !ir_label_selector_matches(egw_get(nss, "selector"),
							 egw_path(nso->node, "metadata.labels")))
			return false;
	} else if (strcmp(from, "All")) {
		return false;
	}
	/* the grant is from the policy's own group and kind (an extension
	 * server policy's are its own) */
	return ir_refgrant_allows(t, pol->group, pol->kind_name, pol->ns, group, kind, ns, name);
}

pol_target *pol_targets(pol_ctx *pc, egw_object *o, bool routes, size_t *n)
{
	ir_tr *t = pc->t;
	pol_target *v = NULL;
	size_t cap = 0;
	*n = 0;
	egw_node *spec = egw_get(o->node, "spec");
	egw_node *sel;
	egw_map seen;
	egw_map_init(&seen, t->a);
	EGW_ARR_EACH(egw_get(spec, "targetSelectors"), si, sel)
	{
		const char *grp = egw_get_str(sel, "group", GW_GROUP);
		const char *kind = egw_get_str(sel, "kind", "");
		if (routes) {
			for (size_t k = 0; k < sizeof route_kinds / sizeof route_kinds[0]; k++) {
				const egw_kind_info *ki = egw_kind_info_of(route_kinds[k]);
				if (strcmp(ki->name, kind) || strcmp(ki->group, grp))
					continue;
				egw_object *ro;
				EGW_RES_EACH(t->rs, route_kinds[k], i, ro)
				{
					if (!ir_label_selector_matches(sel, egw_path(ro->node, "metadata.labels")))
						continue;
					if (!selector_ns_ok(t, o, sel, grp, kind, ro->ns, ro->name))
						continue;
					pol_target tg = { grp, kind, ro->name, NULL, strcmp(ro->ns, o->ns) ? ro->ns : NULL };
					const char *dk = egw_sprintf(t->a, "%s/%s/%s", kind, ro->ns, ro->name);
					if (!egw_map_has(&seen, dk)) {
						egw_map_put(&seen, dk, o);
						push_target(t, &v, n, &cap, tg);
					}
				}
			}
		} else if (!strcmp(kind, "ListenerSet") && !strcmp(grp, GW_GROUP)) {
			egw_object *lo;
			EGW_RES_EACH(t->rs, EGW_K_LISTENERSET, i, lo)
			{
				if (!ir_label_selector_matches(sel, egw_path(lo->node, "metadata.labels")))
					continue;
				if (!selector_ns_ok(t, o, sel, grp, kind, lo->ns, lo->name))
					continue;
				pol_target tg = { grp, kind, lo->name, NULL, strcmp(lo->ns, o->ns) ? lo->ns : NULL };
				const char *dk = egw_sprintf(t->a, "ListenerSet/%s/%s", lo->ns, lo->name);
				if (!egw_map_has(&seen, dk)) {
					egw_map_put(&seen, dk, o);
					push_target(t, &v, n, &cap, tg);
				}
			}
		} else if (!strcmp(kind, "Gateway") && !strcmp(grp, GW_GROUP)) {
			for (size_t i = 0; i < t->ngw; i++) {
				egw_object *go = t->gws[i]->o;
				if (!ir_label_selector_matches(sel, egw_path(go->node, "metadata.labels")))
					continue;
				if (!selector_ns_ok(t, o, sel, grp, kind, go->ns, go->name))
					continue;
				pol_target tg = { grp, kind, go->name, NULL, strcmp(go->ns, o->ns) ? go->ns : NULL };
				const char *dk = egw_sprintf(t->a, "Gateway/%s/%s", go->ns, go->name);
				if (!egw_map_has(&seen, dk)) {
					egw_map_put(&seen, dk, o);
					push_target(t, &v, n, &cap, tg);
				}
			}
		}
	}
	egw_node *one = egw_get(spec, "targetRef");
	if (one && one->kind == EGW_OBJ) {
		push_target(t, &v, n, &cap, target_of(one));
	} else {
		egw_node *r;
		EGW_ARR_EACH(egw_get(spec, "targetRefs"), i, r)
		push_target(t, &v, n, &cap, target_of(r));
	}
	return v;
}

/* ---------------------------------------------------------------- maps */

bool pol_str_in(egw_node *arr, const char *s)
{
	egw_node *x;
	EGW_ARR_EACH(arr, i, x)
	{
		if (ir_streq(egw_text(x), s))
			return true;
	}
	return false;
}

void pol_str_add(ir_tr *t, egw_node **arr, const char *s)
{
	if (!*arr)
		*arr = egw_arr(t->a);
	if (!pol_str_in(*arr, s))
		egw_arr_push(t->a, *arr, ir_s(t, s));
}

static const char *route_kind_of_prefix(const char *p, size_t n)
{
	static const char *const m[][2] = { { "httproute", "HTTPRoute" }, { "grpcroute", "GRPCRoute" },
					    { "tcproute", "TCPRoute" },   { "tlsroute", "TLSRoute" },
					    { "udproute", "UDPRoute" } };
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (strlen(m[i][0]) == n && !memcmp(m[i][0], p, n))
			return m[i][1];
	return NULL;
}

static void index_irroute(pol_ctx *pc, const char *name, egw_node *route, egw_node *lis,
			  const char *fleet, xl_kind xk)
{
	ir_tr *t = pc->t;
	if (!name)
		return;
	const char *s1 = strchr(name, '/');
	if (!s1)
		return;
	const char *kind = route_kind_of_prefix(name, (size_t)(s1 - name));
	if (!kind)
		return;
	const char *s2 = strchr(s1 + 1, '/');
	if (!s2)
		return;
	const char *s3 = strchr(s2 + 1, '/');
	size_t nlen = s3 ? (size_t)(s3 - s2 - 1) : strlen(s2 + 1);
	const char *key = egw_sprintf(t->tmp, "%s/%.*s/%.*s", kind, (int)(s2 - s1 - 1), s1 + 1,
				      (int)nlen, s2 + 1);
	pol_route *r = egw_map_get(&pc->irindex, key);
	if (!r) {
		r = EGW_NEW(t->tmp, pol_route);
		r->kind = kind;
		egw_map_put(&pc->irindex, key, r);
	}
	if (r->nirs == r->capirs) {
		size_t nc = r->capirs ? r->capirs * 2 : 4;
		pol_irroute *nv = EGW_NEWN(t->tmp, pol_irroute, nc);
		if (r->nirs)
			memcpy(nv, r->irs, r->nirs * sizeof *nv);
		r->irs = nv;
		r->capirs = nc;
	}
	pol_irroute *ir = &r->irs[r->nirs++];
	ir->route = route;
	ir->listener = lis;
	ir->fleet = fleet;
	ir->xk = xk;
}

static void build_irindex(pol_ctx *pc)
{
	ir_tr *t = pc->t;
	egw_map_init(&pc->irindex, t->tmp);
	egw_member *fm;
	EGW_OBJ_EACH(t->out->xds_ir, fi, fm)
	{
		egw_node *l, *r;
		EGW_ARR_EACH(egw_get(fm->val, "http"), li, l)
		{
			EGW_ARR_EACH(egw_get(l, "routes"), ri, r)
			index_irroute(pc, egw_get_str(r, "name", NULL), r, l, fm->key, XL_HTTP);
		}
		EGW_ARR_EACH(egw_get(fm->val, "tcp"), li, l)
		{
			EGW_ARR_EACH(egw_get(l, "routes"), ri, r)
			index_irroute(pc, egw_get_str(egw_get(r, "destination"), "name", NULL), r, l,
				      fm->key, XL_TCP);
		}
		EGW_ARR_EACH(egw_get(fm->val, "udp"), li, l)
		{
			r = egw_get(l, "route");
			if (r)
				index_irroute(pc, egw_get_str(egw_get(r, "destination"), "name", NULL), r, l,
					      fm->key, XL_UDP);
		}
	}
}

pol_route *pol_irroutes(pol_ctx *pc, const char *kind, const char *ns, const char *name)
{
	return egw_map_get(&pc->irindex, egw_sprintf(pc->t->tmp, "%s/%s/%s", kind, ns, name));
}

static egw_kind route_kind_enum(const char *kind)
{
	for (size_t k = 0; k < sizeof route_kinds / sizeof route_kinds[0]; k++)
		if (!strcmp(egw_kind_info_of(route_kinds[k])->name, kind))
			return route_kinds[k];
	return EGW_K__COUNT;
}

void pol_reset_targets(pol_ctx *pc)
{
	ir_tr *t = pc->t;
	egw_map_init(&pc->lsets, t->tmp);
	for (size_t gi = 0; gi < t->ngw; gi++) {
		ir_gw *g = t->gws[gi];
		for (size_t li = 0; li < g->nls; li++) {
			ir_lis *l = g->ls[li];
			if (!l->lset)
				continue;
			const char *k = egw_sprintf(t->tmp, "%s/%s", l->lset->ns, l->lset->name);
			pol_ls *pl = egw_map_get(&pc->lsets, k);
			if (!pl) {
				pl = EGW_NEW(t->tmp, pol_ls);
				pl->o = l->lset;
				pl->g = g;
				egw_map_put(&pc->lsets, k, pl);
			}
			if (pl->nls == pl->capls) {
				size_t nc = pl->capls ? pl->capls * 2 : 4;
				ir_lis **nv = EGW_NEWN(t->tmp, ir_lis *, nc);
				if (pl->nls)
					memcpy(nv, pl->ls, pl->nls * sizeof *nv);
				pl->ls = nv;
				pl->capls = nc;
			}
			pl->ls[pl->nls++] = l;
		}
	}
	egw_map_init(&pc->routes, pc->t->tmp);
	egw_map_init(&pc->gws, pc->t->tmp);
	egw_map_init(&pc->gw_routes, pc->t->a);
	egw_map_init(&pc->gw_routes_merged, pc->t->a);
}

pol_route *pol_find_route(pol_ctx *pc, const char *kind, const char *ns, const char *name)
{
	ir_tr *t = pc->t;
	const char *key = egw_sprintf(t->tmp, "%s/%s/%s", kind, ns, name);
	pol_route *r = egw_map_get(&pc->routes, key);
	if (r)
		return r;
	egw_kind k = route_kind_enum(kind);
	if (k == EGW_K__COUNT)
		return NULL;
	egw_object *o = egw_res_find(t->rs, k, ns, name);
	if (!o || !o->status)
		return NULL;
	r = EGW_NEW(t->tmp, pol_route);
	r->o = o;
	r->kind = kind;
	pol_route *ix = egw_map_get(&pc->irindex, key);
	if (ix) {
		r->irs = ix->irs;
		r->nirs = ix->nirs;
	}
	egw_map_put(&pc->routes, key, r);
	return r;
}

pol_gw *pol_find_gw(pol_ctx *pc, const char *ns, const char *name)
{
	ir_tr *t = pc->t;
	const char *key = egw_sprintf(t->tmp, "%s/%s", ns, name);
	pol_gw *g = egw_map_get(&pc->gws, key);
	if (g)
		return g;
	ir_gw *ig = egw_map_get(&t->gw_by_name, key);
	if (!ig)
		return NULL;
	g = EGW_NEW(t->tmp, pol_gw);
	g->g = ig;
	egw_map_put(&pc->gws, key, g);
	return g;
}

bool pol_route_has_rule(egw_object *route, const char *rule)
{
	egw_node *r;
	EGW_ARR_EACH(egw_path(route->node, "spec.rules"), i, r)
	{
		if (ir_streq(egw_get_str(r, "name", NULL), rule))
			return true;
	}
	return false;
}

ir_lis *pol_find_listener(ir_gw *g, const char *name)
{
	for (size_t i = 0; i < g->nls; i++)
		if (!g->ls[i]->lset && ir_streq(g->ls[i]->name, name))
			return g->ls[i];
	return NULL;
}

pol_route *pol_resolve_route(pol_ctx *pc, ir_pol *p, pol_target *tg, const char **err_reason,
			     const char **err_msg)
{
	ir_tr *t = pc->t;
	*err_reason = *err_msg = NULL;
	const char *tns = tg->ns ? tg->ns : p->o->ns;
	pol_route *r = pol_find_route(pc, tg->kind, tns, tg->name);
	if (!r)
		return NULL;
	if (tg->section) {
		if (!pol_route_has_rule(r->o, tg->section)) {
			*err_reason = "TargetNotFound";
			*err_msg = egw_sprintf(t->a, "No section name %s found for %s %s/%s", tg->section,
					       tg->kind, tns, tg->name);
			return r;
		}
		if (pol_str_in(r->rules_attached, tg->section)) {
			*err_reason = "Conflicted";
			*err_msg = egw_sprintf(t->a,
					       "Unable to target RouteRule %s/%s, another %s has already attached to it",
					       tg->name, tg->section, p->kind);
			return r;
		}
		pol_str_add(t, &r->rules_attached, tg->section);
		return r;
	}
	if (r->attached) {
		*err_reason = "Conflicted";
		*err_msg = egw_sprintf(t->a, "Unable to target %s %s, another %s has already attached to it",
				       tg->kind, tg->name, p->kind);
		return r;
	}
	r->attached = true;
	return r;
}

pol_gw *pol_resolve_gw(pol_ctx *pc, ir_pol *p, pol_target *tg, const char **err_reason,
		       const char **err_msg)
{
	ir_tr *t = pc->t;
	*err_reason = *err_msg = NULL;
	const char *tns = tg->ns ? tg->ns : p->o->ns;
	pol_gw *g = pol_find_gw(pc, tns, tg->name);
	if (!g)
		return NULL;
	if (tg->section) {
		if (!pol_find_listener(g->g, tg->section)) {
			*err_reason = "TargetNotFound";
			*err_msg = egw_sprintf(t->a, "No section name %s found for Gateway %s/%s", tg->section,
					       tns, tg->name);
			return g;
		}
		if (pol_str_in(g->lis_attached, tg->section)) {
			*err_reason = "Conflicted";
			*err_msg = egw_sprintf(t->a,
					       "Unable to target Listener %s/%s/%s, another %s has already attached to it",
					       tns, tg->name, tg->section, p->kind);
			return g;
		}
		pol_str_add(t, &g->lis_attached, tg->section);
		return g;
	}
	if (g->attached) {
		*err_reason = "Conflicted";
		*err_msg = egw_sprintf(t->a, "Unable to target Gateway %s, another %s has already attached to it",
				       tg->name, p->kind);
		return g;
	}
	g->attached = true;
	return g;
}

/* A set of strings that keeps insertion order: linear to build and to probe. */
typedef struct strset {
	egw_node *arr;
	egw_map idx;
} strset;

static strset *strset_new(ir_tr *t)
{
	strset *ss = EGW_NEW(t->a, strset);
	ss->arr = egw_arr(t->a);
	egw_map_init(&ss->idx, t->a);
	return ss;
}

static void strset_add(ir_tr *t, strset *ss, const char *s)
{
	if (egw_map_has(&ss->idx, s))
		return;
	egw_map_put(&ss->idx, s, ss);
	egw_arr_push(t->a, ss->arr, ir_s(t, s));
}

static bool strset_has(strset *ss, const char *s)
{
	return ss && egw_map_has(&ss->idx, s);
}

/* gw_routes maps "gw\nsection" to the routes recorded there, and
 * "gw\n\n" to the sections seen for gw, so a Gateway's routes are found
 * without scanning every entry. */
static void gwr_add(ir_tr *t, egw_map *m, const char *gwkey, const char *section, const char *route)
{
	const char *k = egw_sprintf(t->a, "%s\n%s", gwkey, section ? section : "");
	strset *ss = egw_map_get(m, k);
	if (!ss) {
		ss = strset_new(t);
		egw_map_put(m, k, ss);
		const char *sk = egw_sprintf(t->a, "%s\n\n", gwkey);
		strset *secs = egw_map_get(m, sk);
		if (!secs) {
			secs = strset_new(t);
			egw_map_put(m, sk, secs);
		}
		strset_add(t, secs, section ? section : "");
	}
	strset_add(t, ss, route);
}

egw_node *pol_route_ancestors(pol_ctx *pc, egw_map *gw_routes, pol_route *r)
{
	ir_tr *t = pc->t;
	egw_node *refs = egw_arr(t->a);
	egw_node *pr;
	const char *rkey = egw_sprintf(t->a, "%s/%s", r->o->ns, r->o->name);
	EGW_ARR_EACH(egw_path(r->o->node, "spec.parentRefs"), i, pr)
	{
		const char *kind = egw_get_str(pr, "kind", "Gateway");
		bool isls = !strcmp(kind, "ListenerSet");
		if (strcmp(kind, "Gateway") && !isls)
			continue;
		const char *ns = egw_get_str(pr, "namespace", r->o->ns);
		const char *name = egw_get_str(pr, "name", "");
		const char *sec = egw_text(egw_get(pr, "sectionName"));
		if (gw_routes)
			gwr_add(t, gw_routes, egw_sprintf(t->a, "%s%s/%s", isls ? "LS:" : "", ns, name), sec, rkey);
		egw_node *ref = pol_ancestor_ref(pc, ns, name, sec);
		if (isls)
			egw_set_str(t->a, ref, "kind", "ListenerSet");
		bool dup = false;
		egw_node *x;
		EGW_ARR_EACH(refs, j, x)
		{
			if (egw_equal(x, ref))
				dup = true;
		}
		if (!dup)
			egw_arr_push(t->a, refs, ref);
	}
	return refs;
}

static const char *txt(const egw_node *n)
{
	const char *s = egw_text(n);
	return s ? s : "";
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(txt(*(egw_node *const *)a), txt(*(egw_node *const *)b));
}

static const char *join_sorted(ir_tr *t, egw_node *arr)
{
	if (!arr || !arr->n)
		return NULL;
	egw_node **v = EGW_NEWN(t->a, egw_node *, arr->n);
	memcpy(v, arr->c.items, arr->n * sizeof *v);
	qsort(v, arr->n, sizeof *v, str_cmp);
	egw_buf b;
	egw_buf_init(&b, t->a);
	for (size_t i = 0; i < arr->n; i++) {
		if (i)
			egw_buf_puts(&b, " ");
		egw_buf_puts(&b, egw_text(v[i]));
	}
	return egw_buf_str(&b);
}

const char *pol_route_override_msg(pol_ctx *pc, pol_route *r)
{
	const char *j = join_sorted(pc->t, r->rules_attached);
	return j ? egw_sprintf(pc->t->a, "these route rules: [%s]", j) : NULL;
}

/* Routes recorded for gateway gwkey: one section, or all sections. */
/* Routes recorded for gateway gwkey: one section (and the section-less
 * parent refs), or all sections but skip_sections. */
static strset *gwr_routes(ir_tr *t, egw_map *m, const char *gwkey, const char *section, bool all,
			  egw_node *skip_sections, strset *out)
{
	if (!out)
		out = strset_new(t);
	strset *secs = egw_map_get(m, egw_sprintf(t->tmp, "%s\n\n", gwkey));
	egw_node *sn;
	EGW_ARR_EACH(secs ? secs->arr : NULL, i, sn)
	{
		const char *sec = egw_text(sn);
		if (!all && strcmp(sec, section) && *sec)
			continue;
		if (skip_sections && pol_str_in(skip_sections, sec))
			continue;
		strset *rs = egw_map_get(m, egw_sprintf(t->tmp, "%s\n%s", gwkey, sec));
		egw_node *x;
		EGW_ARR_EACH(rs ? rs->arr : NULL, k, x)
		strset_add(t, out, egw_text(x));
	}
	return out;
}

static const char *and_join(ir_tr *t, const char *a, const char *label, egw_node *items)
{
	const char *j = join_sorted(t, items);
	if (!j)
		return a;
	const char *part = egw_sprintf(t->a, "these %s: [%s]", label, j);
	return a ? egw_sprintf(t->a, "%s and %s", a, part) : part;
}

/* Overridden and merged messages of a policy on a Gateway (pg) or a
 * ListenerSet (pl), whole or one section. */
static void gw_messages(pol_ctx *pc, pol_gw *pg, pol_ls *pl, const char *section, const char **over,
			const char **merged)
{
	ir_tr *t = pc->t;
	const char *gwkey = pl ? egw_sprintf(t->a, "LS:%s/%s", pl->o->ns, pl->o->name)
			       : egw_sprintf(t->a, "%s/%s", pg->g->ns, pg->g->name);
	strset *mr = NULL, *routes = NULL;
	egw_node *lis = NULL, *lsets = NULL, *lslis = NULL;
	egw_node *x;
	if (!section) {
		egw_node *attached = pl ? pl->lis_attached : pg->lis_attached;
		mr = gwr_routes(t, &pc->gw_routes_merged, gwkey, NULL, true, attached, NULL);
		routes = gwr_routes(t, &pc->gw_routes, gwkey, NULL, true, NULL, NULL);
		if (pl) {
			EGW_ARR_EACH(pl->lis_attached, i, x)
			pol_str_add(t, &lslis, egw_sprintf(t->a, "%s/%s/%s", pl->o->ns, pl->o->name, egw_text(x)));
		} else {
			EGW_ARR_EACH(pg->lis_attached, i, x)
			pol_str_add(t, &lis, egw_sprintf(t->a, "%s/%s", gwkey, egw_text(x)));
			/* the gateway's ListenerSets */
			egw_map_entry *e;
			EGW_MAP_EACH(&pc->lsets, i, e)
			{
				pol_ls *l2 = e->val;
				if (l2->g != pg->g)
					continue;
				const char *lk = egw_sprintf(t->a, "%s/%s", l2->o->ns, l2->o->name);
				if (l2->attached)
					pol_str_add(t, &lsets, lk);
				EGW_ARR_EACH(l2->lis_attached, k, x)
				pol_str_add(t, &lslis, egw_sprintf(t->a, "%s/%s", lk, egw_text(x)));
				gwr_routes(t, &pc->gw_routes, egw_sprintf(t->a, "LS:%s", lk), NULL, true, NULL, routes);
			}
		}
	} else {
		mr = gwr_routes(t, &pc->gw_routes_merged, gwkey, section, false, NULL, NULL);
		routes = gwr_routes(t, &pc->gw_routes, gwkey, section, false, NULL, NULL);
	}
	egw_node *ov = egw_arr(t->a);
	EGW_ARR_EACH(routes->arr, i, x)
	{
		if (!strset_has(mr, egw_text(x)))
			egw_arr_push(t->a, ov, x);
	}
	const char *mj = join_sorted(t, mr->arr);
	*merged = mj ? egw_sprintf(t->a, "these routes: [%s]", mj) : NULL;
	const char *o = NULL;
	o = and_join(t, o, "gateway listeners", lis);
	o = and_join(t, o, "listenersets", lsets);
	o = and_join(t, o, "listenerset listeners", lslis);
	o = and_join(t, o, "routes", ov);
	*over = o;
}

/* ---------------------------------------------------------------- driver */

typedef struct drv {
	pol_ctx *pc;
	const pol_kind_ops *ops;
	egw_map handled; /* "ns/name" -> ir_pol */
	egw_node *order; /* not used: handled keeps insertion order */
	egw_map gwpol;   /* "gwns/gw\nsection" -> egw_object (first policy) */
} drv;

static ir_pol *drv_pol(drv *d, egw_object *o)
{
	ir_tr *t = d->pc->t;
	const char *k = egw_sprintf(t->a, "%s/%s", o->ns, o->name);
	ir_pol *p = egw_map_get(&d->handled, k);
	if (!p) {
		p = EGW_NEW(t->a, ir_pol);
		pol_init(d->pc, p, o, d->ops->name);
		egw_node *one = egw_path(o->node, "spec.targetRef");
		p->deprecated_ref = one && one->kind == EGW_OBJ;
		egw_map_put(&d->handled, k, p);
	}
	return p;
}

/* Applies the policy's features to the IR routes of route r (optionally one
 * fleet / listener). */
static void apply_route(drv *d, ir_pol *p, void *feat, const char *err, pol_route *r,
			pol_target *tg, const char *fleet, const char *lisname)
{
	for (size_t i = 0; i < r->nirs; i++) {
		pol_irroute *ir = &r->irs[i];
		if (fleet && strcmp(ir->fleet, fleet))
			continue;
		if (lisname && !ir_streq(egw_get_str(egw_get(ir->listener, "metadata"), "sectionName", ""),
					 lisname))
			continue;
		if (tg->section) {
			const char *sec = egw_get_str(egw_get(ir->route, "metadata"), "sectionName", NULL);
			if (!sec)
				sec = egw_get_str(egw_path(ir->route, "destination.metadata"), "sectionName", NULL);
			if (!ir_streq(sec, tg->section))
				continue;
		}
		if (d->ops->is_set && d->ops->is_set(ir))
			continue;
		d->ops->apply(d->pc, p, feat, err, ir);
	}
}

egw_node *pol_merge_by_name(ir_tr *t, egw_node *base, egw_node *over)
{
	egw_node *out = egw_clone(t->a, over);
	egw_node *b;
	EGW_ARR_EACH(base, i, b)
	{
		const char *n = egw_get_str(b, "name", NULL);
		bool have = false;
		egw_node *x;
		EGW_ARR_EACH(over, j, x)
		have |= n && ir_streq(egw_get_str(x, "name", NULL), n);
		if (!have)
			egw_arr_push(t->a, out, egw_clone(t->a, b));
	}
	return out;
}

static egw_node *merge_specs(ir_tr *t, egw_node *base, egw_node *over, bool strategic)
{
	if (strategic && base && over && base->kind == EGW_ARR && over->kind == EGW_ARR) {
		egw_node *out = egw_clone(t->a, over);
		egw_node *b;
		EGW_ARR_EACH(base, i, b)
		{
			bool dup = false;
			egw_node *x;
			EGW_ARR_EACH(over, j, x)
			{
				if (egw_equal(x, b))
					dup = true;
			}
			if (!dup)
				egw_arr_push(t->a, out, egw_clone(t->a, b));
		}
		return out;
	}
	if (!base || base->kind != EGW_OBJ || !over || over->kind != EGW_OBJ)
		return egw_clone(t->a, over);
	egw_node *out = egw_clone(t->a, base);
	egw_member *m;
	EGW_OBJ_EACH(over, i, m)
	{
		egw_node *b = egw_get(out, m->key);
		if (m->val && m->val->kind == EGW_NULL)
			egw_obj_del(out, m->key);
		else if (b && ((b->kind == EGW_OBJ && m->val->kind == EGW_OBJ) ||
			       (strategic && b->kind == EGW_ARR && m->val->kind == EGW_ARR)))
			egw_obj_set(t->a, out, m->key, merge_specs(t, b, m->val, strategic));
		else
			egw_obj_set(t->a, out, m->key, egw_clone(t->a, m->val));
	}
	return out;
}

/* A parent policy's references (ConfigMap valueRefs, basic auth users,
 * client secrets, backendRefs) name objects in the parent's namespace.
 * Merged into a route's policy in another namespace they keep pointing
 * there: each is marked with the namespace it resolves in (pol_ref_ns),
 * and needs no ReferenceGrant. */
static void mark_parent_refs(ir_tr *t, egw_node *n, const char *ns)
{
	if (!n)
		return;
	if (n->kind == EGW_ARR) {
		egw_node *x;
		EGW_ARR_EACH(n, i, x)
		mark_parent_refs(t, x, ns);
		return;
	}
	if (n->kind != EGW_OBJ)
		return;
	egw_member *m;
	EGW_OBJ_EACH(n, i, m)
	{
		bool ref = !strcmp(m->key, "valueRef") || !strcmp(m->key, "users") ||
			   !strcmp(m->key, "clientSecret") || !strcmp(m->key, "backendRef");
		if (ref && m->val->kind == EGW_OBJ) {
			egw_set_str(t->a, m->val, PARENT_NS_KEY, ns);
		} else if (!strcmp(m->key, "backendRefs") && m->val->kind == EGW_ARR) {
			egw_node *b;
			EGW_ARR_EACH(m->val, k, b)
			if (b->kind == EGW_OBJ)
				egw_set_str(t->a, b, PARENT_NS_KEY, ns);
		} else {
			mark_parent_refs(t, m->val, ns);
		}
	}
}

const char *pol_ref_ns(const ir_pol *p, const egw_node *ref)
{
	return egw_get_str(ref, PARENT_NS_KEY, p->o->ns);
}

static void process_route(drv *d, ir_pol *p, pol_target *tg)
{
	pol_ctx *pc = d->pc;
	ir_tr *t = pc->t;
	const char *er, *em;
	pol_route *r = pol_resolve_route(pc, p, tg, &er, &em);
	if (!r)
		return;
	egw_node *refs = pol_route_ancestors(pc, &pc->gw_routes, r);
	egw_node *ref;
	if (er) {
		EGW_ARR_EACH(refs, i, ref)
		{
			pol_cond(pc, p, ref, "Accepted", false, er, em);
		}
		return;
	}
	const char *mt = egw_text(egw_path(p->o->node, "spec.mergeType"));
	p->target_kind = r->kind;
	if (!mt || !d->ops->mergeable) {
		void *feat = NULL;
		p->late_err = NULL;
		const char *err = d->ops->build(pc, p, &feat);
		apply_route(d, p, feat, err, r, tg, NULL, NULL);
		if (!err)
			err = p->late_err;
		if (err) {
			EGW_ARR_EACH(refs, i, ref)
			pol_cond(pc, p, ref, "Accepted", false, "Invalid", pol_err_msg(t, err));
		}
	} else {
		egw_node *pr;
		EGW_ARR_EACH(egw_path(r->o->node, "spec.parentRefs"), i, pr)
		{
			if (strcmp(egw_get_str(pr, "kind", "Gateway"), "Gateway"))
				continue;
			const char *ns = egw_get_str(pr, "namespace", r->o->ns);
			const char *name = egw_get_str(pr, "name", "");
			const char *sec = egw_text(egw_get(pr, "sectionName"));
			ir_gw *g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", ns, name));
			if (!g)
				continue;
			const char *gwkey = egw_sprintf(t->a, "%s/%s", ns, name);
			for (size_t li = 0; li < g->nls; li++) {
				ir_lis *l = g->ls[li];
				if (l->lset || (sec && strcmp(l->name, sec)))
					continue;
				if (!sec && !l->xl)
					continue;
				/* only listeners the route attached to */
				bool attached = false;
				for (size_t k = 0; k < r->nirs; k++)
					if (r->irs[k].listener == l->xl)
						attached = true;
				if (!attached && !sec)
					continue;
				egw_node *aref = pol_ancestor_ref(pc, ns, name, l->name);
				egw_object *lp = egw_map_get(&d->gwpol, egw_sprintf(t->tmp, "%s\n%s", gwkey, l->name));
				egw_object *gp = egw_map_get(&d->gwpol, egw_sprintf(t->tmp, "%s\n", gwkey));
				egw_object *parent = lp ? lp : gp;
				void *feat = NULL;
				const char *err;
				if (!parent) {
					err = d->ops->build(pc, p, &feat);
					apply_route(d, p, feat, err, r, tg, g->irkey, l->name);
					if (err)
						pol_cond(pc, p, aref, "Accepted", false, "Invalid", pol_err_msg(t, err));
					continue;
				}
				/* build from the merged spec; the parent's references
				 * stay in the parent's namespace */
				egw_node *saved = p->o->node;
				egw_node *mn = egw_clone(t->a, saved);
				egw_node *pspec = egw_clone(t->a, egw_get(parent->node, "spec"));
				if (strcmp(parent->ns, p->o->ns))
					mark_parent_refs(t, pspec, parent->ns);
				egw_obj_set(t->a, mn, "spec",
					    merge_specs(t, pspec, egw_get(saved, "spec"), !strcmp(mt, "StrategicMerge")));
				p->o->node = mn;
				p->own = saved;
				err = d->ops->build(pc, p, &feat);
				if (d->ops->post_merge)
					d->ops->post_merge(pc, p, parent, feat, !strcmp(mt, "StrategicMerge"));
				p->own = NULL;
				apply_route(d, p, feat, err, r, tg, g->irkey, l->name);
				p->o->node = saved;
				if (err) {
					/* a merge that cannot be built is no merge: the
					 * route's policy is invalid, the parent overridden */
					pol_cond(pc, p, aref, "Accepted", false, "Invalid", pol_err_msg(t, err));
					continue;
				}
				gwr_add(t, &pc->gw_routes_merged, gwkey, l->name,
					egw_sprintf(t->a, "%s/%s", r->o->ns, r->o->name));
				pol_cond(pc, p, aref, "Merged", true, "Merged",
					 egw_sprintf(t->a, "Merged with policy %s/%s", parent->ns, parent->name));
			}
		}
	}
	p->target_kind = NULL;
	EGW_ARR_EACH(refs, i, ref)
	{
		pol_accepted(pc, p, ref);
		pol_deprecated(pc, p, ref);
	}
	if (tg->section)
		return;
	const char *om = pol_route_override_msg(pc, r);
	if (om) {
		EGW_ARR_EACH(refs, i, ref)
		pol_cond(pc, p, ref, "Overridden", true, "Overridden",
			 egw_sprintf(t->a, "This policy is being overridden by other %s for %s",
				     d->ops->rule_plural, om));
	}
}

static void apply_listeners(drv *d, ir_pol *p, void *feat, const char *err, ir_gw *g, ir_lis **ls,
			    size_t nls, const char *section, bool skip_lset);

static void process_gw(drv *d, ir_pol *p, pol_target *tg)
{
	pol_ctx *pc = d->pc;
	ir_tr *t = pc->t;
	const char *er, *em;
	pol_gw *pg = pol_resolve_gw(pc, p, tg, &er, &em);
	if (!pg)
		return;
	egw_node *ref = pol_ancestor_ref(pc, pg->g->ns, pg->g->name, tg->section);
	if (er) {
		pol_cond(pc, p, ref, "Accepted", false, er, em);
		return;
	}
	void *feat = NULL;
	p->late_err = NULL;
	const char *err = d->ops->build(pc, p, &feat);
	ir_gw *g = pg->g;
	/* a section names a Gateway listener, never a ListenerSet's */
	apply_listeners(d, p, feat, err, g, g->ls, g->nls, tg->section, true);
	if (!err)
		err = p->late_err;
	if (err)
		pol_cond(pc, p, ref, "Accepted", false, "Invalid", pol_err_msg(t, err));
	pol_accepted(pc, p, ref);
	pol_deprecated(pc, p, ref);
	const char *over, *merged;
	gw_messages(pc, pg, NULL, tg->section, &over, &merged);
	if (merged && d->ops->mergeable)
		pol_cond(pc, p, ref, "Merged", true, "Merged",
			 egw_sprintf(t->a, "This policy is being merged by other %s for %s", d->ops->plural,
				     merged));
	if (over)
		pol_cond(pc, p, ref, "Overridden", true, "Overridden",
			 egw_sprintf(t->a, "This policy is being overridden by other %s for %s",
				     d->ops->plural, over));
}

static pol_ls *resolve_ls(pol_ctx *pc, ir_pol *p, pol_target *tg, const char **er, const char **em)
{
	ir_tr *t = pc->t;
	*er = *em = NULL;
	const char *tns = tg->ns ? tg->ns : p->o->ns;
	pol_ls *pl = egw_map_get(&pc->lsets, egw_sprintf(t->tmp, "%s/%s", tns, tg->name));
	if (!pl)
		return NULL;
	if (tg->section) {
		bool found = false;
		for (size_t i = 0; i < pl->nls; i++)
			if (!strcmp(pl->ls[i]->name, tg->section))
				found = true;
		if (!found) {
			*er = "TargetNotFound";
			*em = egw_sprintf(t->a, "No section name %s found for ListenerSet %s/%s", tg->section,
					  tns, tg->name);
			return pl;
		}
		if (pol_str_in(pl->lis_attached, tg->section)) {
			*er = "Conflicted";
			*em = egw_sprintf(t->a, "Unable to target Listener %s/%s, another %s has already attached to it",
					  tg->name, tg->section, p->kind);
			return pl;
		}
		pol_str_add(t, &pl->lis_attached, tg->section);
		return pl;
	}
	if (pl->attached) {
		*er = "Conflicted";
		*em = egw_sprintf(t->a, "Unable to target ListenerSet %s, another %s has already attached to it",
				  tg->name, p->kind);
		return pl;
	}
	pl->attached = true;
	return pl;
}

static void apply_listeners(drv *d, ir_pol *p, void *feat, const char *err, ir_gw *g, ir_lis **ls,
			    size_t nls, const char *section, bool skip_lset)
{
	pol_ctx *pc = d->pc;
	for (size_t li = 0; li < nls; li++) {
		ir_lis *l = ls[li];
		if (!l->xl || (skip_lset && l->lset && section) || (section && strcmp(l->name, section)))
			continue;
		pol_irroute tmp;
		tmp.listener = l->xl;
		tmp.fleet = g->irkey;
		tmp.xk = l->xk;
		if (l->xk == XL_HTTP || l->xk == XL_TCP) {
			egw_node *r;
			EGW_ARR_EACH(egw_get(l->xl, "routes"), ri, r)
			{
				tmp.route = r;
				if (d->ops->is_set && d->ops->is_set(&tmp))
					continue;
				d->ops->apply(pc, p, feat, err, &tmp);
			}
		} else if (l->xk == XL_UDP) {
			tmp.route = egw_get(l->xl, "route");
			if (tmp.route && !(d->ops->is_set && d->ops->is_set(&tmp)))
				d->ops->apply(pc, p, feat, err, &tmp);
		}
	}
}

static void process_ls(drv *d, ir_pol *p, pol_target *tg)
{
	pol_ctx *pc = d->pc;
	ir_tr *t = pc->t;
	const char *er, *em;
	pol_ls *pl = resolve_ls(pc, p, tg, &er, &em);
	if (!pl)
		return;
	egw_node *ref = pol_ancestor_ref(pc, pl->o->ns, pl->o->name, tg->section);
	egw_set_str(t->a, ref, "kind", "ListenerSet");
	if (er) {
		pol_cond(pc, p, ref, "Accepted", false, er, em);
		return;
	}
	void *feat = NULL;
	p->late_err = NULL;
	const char *err = d->ops->build(pc, p, &feat);
	apply_listeners(d, p, feat, err, pl->g, pl->ls, pl->nls, tg->section, false);
	if (!err)
		err = p->late_err;
	if (err)
		pol_cond(pc, p, ref, "Accepted", false, "Invalid", pol_err_msg(t, err));
	pol_accepted(pc, p, ref);
	pol_deprecated(pc, p, ref);
	const char *over, *merged;
	gw_messages(pc, NULL, pl, tg->section, &over, &merged);
	if (merged && d->ops->mergeable)
		pol_cond(pc, p, ref, "Merged", true, "Merged",
			 egw_sprintf(t->a, "This policy is being merged by other %s for %s", d->ops->plural,
				     merged));
	if (over)
		pol_cond(pc, p, ref, "Overridden", true, "Overridden",
			 egw_sprintf(t->a, "This policy is being overridden by other %s for %s",
				     d->ops->plural, over));
}

void pol_drive(pol_ctx *pc, const pol_kind_ops *ops)
{
	ir_tr *t = pc->t;
	drv d;
	memset(&d, 0, sizeof d);
	d.pc = pc;
	d.ops = ops;
	egw_map_init(&d.handled, t->a);
	egw_map_init(&d.gwpol, t->a);
	pol_reset_targets(pc);
	size_t np = t->rs->n[ops->kind];
	pol_target **tgs = EGW_NEWN(t->a, pol_target *, np ? np : 1);
	size_t *ntg = EGW_NEWN(t->a, size_t, np ? np : 1);
	pol_target **gtgs = EGW_NEWN(t->a, pol_target *, np ? np : 1);
	size_t *ngtg = EGW_NEWN(t->a, size_t, np ? np : 1);
	egw_object *o;
	EGW_RES_EACH(t->rs, ops->kind, i, o)
	{
		tgs[i] = pol_targets(pc, o, true, &ntg[i]);
		gtgs[i] = pol_targets(pc, o, false, &ngtg[i]);
		/* gateway policy map for merging */
		for (size_t j = 0; j < ngtg[i]; j++) {
			pol_target *tg = &gtgs[i][j];
			if (strcmp(tg->kind, "Gateway"))
				continue;
			const char *tns = tg->ns ? tg->ns : o->ns;
			ir_gw *g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", tns, tg->name));
			if (!g || (tg->section && !pol_find_listener(g, tg->section)))
				continue;
			const char *k = egw_sprintf(t->a, "%s/%s\n%s", tns, tg->name,
						    tg->section ? tg->section : "");
			if (!egw_map_get(&d.gwpol, k))
				egw_map_put(&d.gwpol, k, o);
		}
	}
	for (int pass = 0; pass < 5; pass++) {
		EGW_RES_EACH(t->rs, ops->kind, i, o)
		{
			bool gwpass = pass >= 2;
			pol_target *v = gwpass ? gtgs[i] : tgs[i];
			size_t n = gwpass ? ngtg[i] : ntg[i];
			for (size_t j = 0; j < n; j++) {
				pol_target *tg = &v[j];
				bool isgw = !strcmp(tg->kind, "Gateway");
				bool isls = !strcmp(tg->kind, "ListenerSet");
				if ((isgw || isls) != gwpass)
					continue;
				bool want_sec = pass == 0 || pass == 2;
				if ((tg->section != NULL) != want_sec)
					continue;
				if ((pass == 3 && !isls) || (pass == 4 && !isgw))
					continue;
				ir_pol *p = drv_pol(&d, o);
				if (isls)
					process_ls(&d, p, tg);
				else if (gwpass)
					process_gw(&d, p, tg);
				else
					process_route(&d, p, tg);
			}
		}
	}
	egw_map_entry *e;
	EGW_MAP_EACH(&d.handled, i, e)
	pol_finish(pc, e->val);
}

/* ---------------------------------------------------------------- entry */

/* A fleet whose routes use the global rate limit service or Wasm modules
 * gets the control plane's client certificate (the "envoy" Secret). */
static void client_certificates(ir_tr *t)
{
	const char *cns = t->c->controller_ns ? t->c->controller_ns : "";
	egw_object *sec = egw_res_find(t->rs, EGW_K_SECRET, cns, "envoy");
	if (!sec)
		return;
	egw_member *fm;
	EGW_OBJ_EACH(t->out->xds_ir, fi, fm)
	{
		bool need = false;
		egw_node *l, *r;
		EGW_ARR_EACH(egw_get(fm->val, "http"), li, l)
		{
			EGW_ARR_EACH(egw_get(l, "routes"), ri, r)
			{
				if (egw_path(r, "traffic.rateLimit.global") || egw_len(egw_path(r, "envoyExtensions.wasms")))
					need = true;
			}
		}
		if (!need)
			continue;
		egw_node *gr = egw_obj_ensure(t->a, fm->val, "globalResources");
		egw_node *c = egw_set_obj(t->a, gr, "envoyClientCertificate");
		egw_node *data = egw_get(sec->node, "data");
		egw_set_str(t->a, c, "certificate", egw_get_str(data, "tls.crt", ""));
		egw_set_str(t->a, c, "name", egw_sprintf(t->a, "%s/%s", cns, "envoy"));
		egw_set_str(t->a, c, "privateKey", egw_get_str(data, "tls.key", ""));
	}
}

void ir_policies(ir_tr *t)
{
	pol_ctx pc;
	memset(&pc, 0, sizeof pc);
	pc.t = t;
	build_irindex(&pc);
	ir_policy_ctp(&pc);
	ir_policy_btp(&pc);
	ir_policy_security(&pc);
	ir_policy_eep(&pc);
	ir_policy_epp(&pc);
	ir_policy_ext(&pc);
	client_certificates(t);
}

/* ---------------------------------------------------------------- backends */

/* Envoy Gateway words backend errors of policies in lower case. */
/* Go reads JSON field names case-insensitively: "Name" is "name". */
egw_node *pol_lc_keys(ir_tr *t, egw_node *n)
{
	if (!n)
		return NULL;
	if (n->kind == EGW_ARR) {
		egw_node *o = egw_arr(t->a);
		egw_node *x;
		EGW_ARR_EACH(n, i, x)
		egw_arr_push(t->a, o, pol_lc_keys(t, x));
		return o;
	}
	if (n->kind != EGW_OBJ)
		return egw_clone(t->a, n);
	egw_node *o = egw_obj(t->a);
	egw_member *m;
	EGW_OBJ_EACH(n, i, m)
	{
		char *k = egw_strdup(t->a, m->key);
		if (k[0] >= 'A' && k[0] <= 'Z' && !(k[1] >= 'A' && k[1] <= 'Z'))
			k[0] = (char)(k[0] - 'A' + 'a');
		egw_obj_set(t->a, o, k, pol_lc_keys(t, m->val));
	}
	return o;
}

static const char *lower_first(ir_tr *t, const char *m)
{
	char *s = egw_strdup(t->a, m);
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
	char *on = strstr(s, " not found on Service ");
	if (on)
		on[14] = 's';
	const char *r = s;
	const char *x = strstr(r, " not found on ServiceImport ");
	if (x)
		r = egw_sprintf(t->a, "%.*s not found on service %s", (int)(x - r), r, x + 28);
	if (!strncmp(r, "service import ", 15))
		r = egw_sprintf(t->a, "serviceimport %s", r + 15);
	return r;
}

static void add_line(ir_tr *t, egw_buf *b, const char *m)
{
	(void)t;
	if (b->len)
		egw_buf_puts(b, "\n");
	egw_buf_puts(b, m);
}

egw_node *pol_ext_destination(pol_ctx *pc, ir_pol *p, egw_node *brefs, const char *destname,
			      const char *route_kind, const char **authority, const char **err)
{
	ir_tr *t = pc->t;
	*err = NULL;
	if (authority)
		*authority = NULL;
	egw_node *dest = egw_obj(t->a);
	egw_obj_set(t->a, dest, "metadata", ir_meta(t, p->kind, p->o->ns, p->o->name, NULL));
	egw_set_str(t->a, dest, "name", destname);
	egw_node *settings = egw_set_arr(t->a, dest, "settings");
	egw_node *br;
	egw_buf errs;
	egw_buf_init(&errs, t->a);
	/* a policy's services are reached as the host routes Services by
	 * default (egctl: their ClusterIPs), whatever a route's rule says */
	bool saved_routing = t->svc_routing;
	t->svc_routing = t->c->opts->service_routing != 0;
	/* a BackendTLSPolicy of these backends names this policy as its ancestor */
	void *saved = t->cur_parent;
	egw_node *self = egw_obj(t->a);
	egw_set_str(t->a, self, "group", EG_GROUP);
	egw_set_str(t->a, self, "kind", p->kind);
	egw_set_str(t->a, self, "name", p->o->name);
	egw_set_str(t->a, self, "namespace", p->o->ns);
	t->cur_parent = self;
	EGW_ARR_EACH(brefs, i, br)
	{
		const char *kind = egw_get_str(br, "kind", "Service");
		const char *grp = egw_get_str(br, "group", "");
		const char *name = egw_get_str(br, "name", "");
		const char *from = pol_ref_ns(p, br); /* a merged parent's refs are the parent's */
		const char *ns = egw_get_str(br, "namespace", from);
		if (!strcmp(kind, "Service") && !egw_res_find(t->rs, EGW_K_SERVICE, ns, name)) {
			add_line(t, &errs, egw_sprintf(t->a, "service %s/%s not found", ns, name));
			continue;
		}
		if (strcmp(ns, from) &&
		    !ir_refgrant_allows(t, EG_GROUP, p->kind, from, grp, kind, ns, name)) {
			add_line(t, &errs, egw_sprintf(t->a, "backend ref to %s %s/%s not permitted by any ReferenceGrant",
						       kind, ns, name));
			continue;
		}
		egw_node *b2 = egw_clone(t->a, br);
		egw_set_str(t->a, b2, "namespace", ns);
		egw_object fake = *p->o;
		fake.ns = ns;
		ir_dest_err de;
		memset(&de, 0, sizeof de);
		egw_node *ds = NULL;
		egw_object *be = !strcmp(kind, "Backend") && t->backend_enabled
					 ? egw_res_find(t->rs, EGW_K_BACKEND, ns, name)
					 : NULL;
		egw_node *uep = NULL;
		egw_node *ep;
		EGW_ARR_EACH(egw_path(be ? be->node : NULL, "spec.endpoints"), k, ep)
		{
			if (egw_get(ep, "unix"))
				uep = ep;
		}
		if (uep && egw_len(egw_path(be->node, "spec.endpoints")) == 1) {
			/* policies may reach their services over a unix socket */
			ds = egw_obj(t->a);
			egw_set_str(t->a, ds, "addressType", "UDS");
			egw_node *eps = egw_set_arr(t->a, ds, "endpoints");
			egw_node *e1 = egw_arr_push(t->a, eps, egw_obj(t->a));
			egw_set_str(t->a, e1, "host", "");
			egw_set_str(t->a, e1, "path", egw_get_str(egw_get(uep, "unix"), "path", ""));
			egw_set_int(t->a, e1, "port", 0);
			egw_obj_set(t->a, ds, "metadata", ir_meta(t, "Backend", ns, name, NULL));
			egw_set_str(t->a, ds, "name", egw_sprintf(t->a, "%s/backend/%zu", destname, i));
			egw_set_str(t->a, ds, "protocol", !strcmp(route_kind, "GRPCRoute") ? "GRPC" : "HTTP");
			egw_set_int(t->a, ds, "weight", 1);
		} else {
			ds = ir_backend_setting(t, &fake, route_kind, b2,
						egw_sprintf(t->a, "%s/backend/%zu", destname, i), NULL, &de);
		}
		if (!ds) {
			if (de.reason && !strcmp(de.reason, "UnsupportedValue") && !strcmp(kind, "Backend"))
				add_line(t, &errs,
					 egw_sprintf(t->a,
						     "resource %s of type Backend cannot be used since Backend is disabled in Envoy Gateway configuration",
						     name));
			else
				add_line(t, &errs, lower_first(t, de.msg ? de.msg : "invalid backend"));
			continue;
		}
		if (egw_get(ds, "tls") && ir_streq(egw_get_str(ds, "protocol", ""), "HTTP") && !authority)
			egw_set_str(t->a, ds, "protocol", "HTTPS");
		egw_arr_push(t->a, settings, ds);
		if (authority && !*authority) {
			int64_t port = egw_get_int(br, "port", 0);
			egw_node *fq = NULL;
			/* ext auth names a Backend's FQDN endpoint; ext proc names
			 * the backendRef itself (name.namespace[:port]), as Envoy
			 * Gateway does */
			if (!strcmp(kind, "Backend") && strcmp(p->kind, "EnvoyExtensionPolicy")) {
				egw_object *be = egw_res_find(t->rs, EGW_K_BACKEND, ns, name);
				egw_node *ep;
				EGW_ARR_EACH(egw_path(be ? be->node : NULL, "spec.endpoints"), k, ep)
				{
					if (!fq)
						fq = egw_get(ep, "fqdn");
				}
			}
			if (fq)
				*authority = egw_sprintf(t->a, "%s:%lld", egw_get_str(fq, "hostname", ""),
							 (long long)egw_get_int(fq, "port", 0));
			else if (!port)
				*authority = egw_sprintf(t->a, "%s.%s", name, ns);
			else
				*authority = egw_sprintf(t->a, "%s.%s:%lld", name, ns, (long long)port);
		}
	}
	t->cur_parent = saved;
	t->svc_routing = saved_routing;
	if (errs.len)
		*err = egw_buf_str(&errs);
	if (!*err) {
		const char *first = NULL;
		egw_node *ds;
		EGW_ARR_EACH(settings, i, ds)
		{
			const char *at = egw_get_str(ds, "addressType", NULL);
			if (!at)
				continue;
			if (!strcmp(at, "Mixed") || (first && strcmp(first, at))) {
				*err = "external service destinations having multiple endpoint types are not supported";
				break;
			}
			first = at;
		}
	}
	return *err ? NULL : dest;
}
