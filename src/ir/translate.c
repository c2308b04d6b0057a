/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IR stage's entry point: the order of Envoy Gateway's Translate()
 * (class, gateways, listeners, routes, global resources, route sorting).
 */
#include <stdlib.h>
#include <string.h>

#include "../model/defaults.h"
#include "internal.h"
#include "policy.h"

static int slice_order(const void *x, const void *y)
{
	const egw_object *a = *(egw_object *const *)x, *b = *(egw_object *const *)y;
	bool ea = !*a->created, eb = !*b->created;
	if (ea != eb)
		return ea ? 1 : -1;
	int c = strcmp(a->created, b->created);
	if (!c)
		c = strcmp(a->ns, b->ns);
	if (!c)
		c = strcmp(a->name, b->name);
	return c ? c : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/* EndpointSlices per Service: slices with a creationTimestamp in creation
 * order, then those without one (the reference lists a Service's endpoints
 * in that order). */
static void index_slices(ir_tr *t)
{
	size_t n = t->rs->n[EGW_K_ENDPOINTSLICE];
	egw_object **v = EGW_NEWN(t->tmp, egw_object *, n + 1);
	for (size_t i = 0; i < n; i++)
		v[i] = t->rs->items[EGW_K_ENDPOINTSLICE][i];
	qsort(v, n, sizeof *v, slice_order);
	for (size_t i = 0; i < n; i++) {
		egw_object *o = v[i];
		egw_node *labels = egw_path(o->node, "metadata.labels");
		const char *svc = egw_get_str(labels, "kubernetes.io/service-name", NULL);
		const char *key;
		if (svc) {
			key = egw_sprintf(t->tmp, "%s/%s", o->ns, svc);
		} else {
			/* MCS: slices of an imported service */
			svc = egw_get_str(labels, "multicluster.kubernetes.io/service-name", NULL);
			if (!svc)
				continue;
			key = egw_sprintf(t->tmp, "mcs:%s/%s", o->ns, svc);
		}
		egw_node *arr = egw_map_get(&t->slices_by_svc, key);
		if (!arr) {
			arr = egw_arr(t->tmp);
			egw_map_put(&t->slices_by_svc, key, arr);
		}
		egw_arr_push(t->tmp, arr, o->node);
	}
}

static void gateway_class(ir_tr *t)
{
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_GATEWAYCLASS, i, o)
	{
		const char *ctl = egw_text(egw_path(o->node, "spec.controllerName"));
		if (!ir_streq(ctl, t->controller))
			continue;
		t->gc = o;
		t->class_name = o->name;
		break;
	}
	if (!t->gc)
		return;
	egw_node *pr = egw_path(t->gc->node, "spec.parametersRef");
	if (pr && ir_streq(egw_get_str(pr, "kind", ""), "EnvoyProxy")) {
		egw_object *ep = egw_res_find(t->rs, EGW_K_ENVOYPROXY,
					      egw_get_str(pr, "namespace", ""),
					      egw_get_str(pr, "name", ""));
		if (ep) {
			ir_envoyproxy_normalize(t, ep); /* may copy ep->node: first */
			t->gc_ep = ep->node;
			t->gc_epo = ep;
		}
		if (ep) {
			egw_node *ref = egw_obj(t->a);
			egw_set_str(t->a, ref, "group", GW_GROUP);
			egw_set_str(t->a, ref, "kind", "GatewayClass");
			egw_set_str(t->a, ref, "name", t->gc->name);
			ir_envoyproxy_ancestor(t, ep, ref);
			t->gc_ep_invalid = ir_envoyproxy_invalid(t, ep);
			if (t->gc_ep_invalid) {
				/* the ancestor just added says why */
				egw_node *anc = egw_get(ep->status, "ancestors");
				egw_node *conds = egw_set_arr(t->a, egw_at(anc, anc->n - 1), "conditions");
				ir_cond(t, conds, "Accepted", false, "InvalidParameters", t->gc_ep_invalid);
			}
		}
	}
	egw_node *st = egw_obj(t->a);
	egw_node *conds = egw_set_arr(t->a, st, "conditions");
	if (t->gc_ep_invalid)
		ir_cond(t, conds, "Accepted", false, "InvalidParameters",
			egw_sprintf(t->a, "Invalid parametersRef: %s", t->gc_ep_invalid));
	else
		ir_cond(t, conds, "Accepted", true, "Accepted", "Valid GatewayClass");
	t->gc->status = st;
}

static void translate(ir_tr *t);

void egw_ir_translate(egw_ctx *c, egw_resources *rs, egw_ir_out *out)
{
	ir_tr tr;
	memset(&tr, 0, sizeof tr);
	ir_tr *t = &tr;
	t->c = c;
	t->a = c->arena;
	t->rs = rs;
	t->out = out;
	out->xds_ir = egw_obj(c->arena);
	out->infra_ir = egw_obj(c->arena);
	egw_child *tmp = egw_arena_child(c->arena);
	t->tmp = tmp->a;
	translate(t);
	egw_child_free(tmp);
}

static void translate(ir_tr *t)
{
	egw_ctx *c = t->c;
	egw_resources *rs = t->rs;
	egw_defaults_apply(c, rs);
	egw_map_init(&t->gw_by_name, t->a);
	egw_map_init(&t->slices_by_svc, t->tmp);
	egw_map_init(&t->xds_listeners, t->a);
	egw_map_init(&t->backend_clusters, t->a);
	t->controller = egw_text(egw_path(rs->config, "gateway.controllerName"));
	if (!t->controller)
		t->controller = "gateway.envoyproxy.io/gatewayclass-controller";
	t->backend_enabled = egw_node_bool(egw_path(rs->config, "extensionApis.enableBackend"), false);
	const char *ptype = egw_text(egw_path(rs->config, "provider.type"));
	t->running_on_host = ptype && !strcmp(ptype, "Custom") &&
			     ir_streq(egw_text(egw_path(rs->config, "provider.custom.infrastructure.type")), "Host");
	t->gateway_ns_mode = ir_streq(
		egw_text(egw_path(rs->config, "provider.kubernetes.deploy.type")), "GatewayNamespace");
	index_slices(t);
	gateway_class(t);
	if (!t->gc)
		return;
	ir_btls_init(t); /* before the gateways: their telemetry backends may be TLS */
	ir_gateways(t);
	ir_listeners(t);
	ir_backends_status(t);
	ir_routes(t);
	ir_policies(t); /* policy.h: CTP, BTP, SecurityPolicy, EEP, EPP */
	ir_global_resources(t);
	ir_btls_finish(t);
	ir_sort_routes(t);
	/* EnvoyProxies are listed under their own keys: the class's, and the
	 * ones Gateways name */
	egw_object *ep;
	EGW_RES_EACH(t->rs, EGW_K_ENVOYPROXY, i, ep)
	if (ep->status)
		ep->out_key = ep == t->gc_epo ? "envoyProxyForGatewayClass" : "envoyProxiesForGateways";
}
