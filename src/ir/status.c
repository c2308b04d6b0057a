/* SPDX-License-Identifier: Apache-2.0 */
/* Status building blocks: conditions and route parent entries. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

egw_node *ir_cond_find(egw_node *conds, const char *type)
{
	egw_node *c;
	EGW_ARR_EACH(conds, i, c)
	{
		if (ir_streq(egw_get_str(c, "type", ""), type))
			return c;
	}
	return NULL;
}

bool ir_cond_is(egw_node *conds, const char *type, bool status)
{
	egw_node *c = ir_cond_find(conds, type);
	return c && ir_streq(egw_get_str(c, "status", ""), status ? "True" : "False");
}

void ir_cond(ir_tr *t, egw_node *conds, const char *type, bool status, const char *reason,
	     const char *msg)
{
	const char *st = status ? "True" : "False";
	egw_node *c = ir_cond_find(conds, type);
	if (!c) {
		c = egw_arr_push(t->a, conds, egw_reserve(t->a, egw_obj(t->a), 5));
		egw_obj_set(t->a, c, "type", ir_cs(t, type));
	}
	/* conditions are set again as a route's parents are worked through:
	 * only what changed is set; the texts repeat across objects, so their
	 * nodes are shared (ir_cs) */
	if (!ir_streq(egw_get_str(c, "status", NULL), st))
		egw_obj_set(t->a, c, "status", ir_cs(t, st));
	if (!ir_streq(egw_get_str(c, "reason", NULL), reason))
		egw_obj_set(t->a, c, "reason", ir_cs(t, reason));
	if (!ir_streq(egw_get_str(c, "message", NULL), msg))
		egw_obj_set(t->a, c, "message", ir_cs(t, msg));
	if (!egw_get(c, "lastTransitionTime")) {
		if (!t->null_node)
			t->null_node = egw_null(t->a);
		egw_obj_set(t->a, c, "lastTransitionTime", t->null_node);
	}
}

egw_node *ir_route_parent(ir_tr *t, egw_object *route, egw_node *pref)
{
	if (!route->status)
		route->status = egw_obj(t->a);
	egw_node *parents = egw_arr_ensure(t->a, route->status, "parents");
	egw_node *p;
	EGW_ARR_EACH(parents, i, p)
	{
		if (egw_equal(egw_get(p, "parentRef"), pref))
			return p;
	}
	p = egw_arr_push(t->a, parents, egw_reserve(t->a, egw_obj(t->a), 3));
	egw_obj_set(t->a, p, "parentRef", egw_frozen(pref) ? pref : egw_clone(t->a, pref));
	egw_obj_set(t->a, p, "controllerName", ir_cs(t, t->controller));
	egw_set_arr(t->a, p, "conditions");
	return p;
}

const char *ir_policy_msg(ir_tr *t, const char *m)
{
	size_t n = strlen(m);
	char *r = egw_alloc(t->a, n + 2);
	memcpy(r, m, n);
	if (n && r[0] >= 'a' && r[0] <= 'z')
		r[0] = (char)(r[0] - 'a' + 'A');
	if (!n || r[n - 1] != '.')
		r[n++] = '.';
	r[n] = 0;
	return r;
}

static int anc_cmp(const void *x, const void *y)
{
	const egw_node *a = egw_get(*(egw_node *const *)x, "ancestorRef");
	const egw_node *b = egw_get(*(egw_node *const *)y, "ancestorRef");
	static const char *keys[] = { "namespace", "name", "sectionName", "kind", "group" };
	for (int i = 0; i < 5; i++) {
		int c = strcmp(egw_get_str(a, keys[i], ""), egw_get_str(b, keys[i], ""));
		if (c)
			return c;
	}
	return 0;
}

void ir_ancestors_finish(ir_tr *t, egw_node *anc)
{
	if (!anc || anc->kind != EGW_ARR || anc->n == 0)
		return;
	qsort(anc->c.items, anc->n, sizeof(egw_node *), anc_cmp);
	if (anc->n <= 16)
		return;
	anc->n = 16;
	ir_cond(t, egw_get(anc->c.items[15], "conditions"), "Aggregated", true, "Aggregated",
		"Ancestors have been truncated because the number of policy ancestors exceeds 16.");
}
