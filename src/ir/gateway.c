/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Gateways and their listeners: which Gateways belong to the class, their
 * fleets (xDS IR + infra IR), listener validation with Envoy Gateway's
 * conditions, conflicts, and the IR listeners of the ready ones.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static egw_node *fleet_xds(ir_tr *t, const char *key)
{
	egw_node *x = egw_get(t->out->xds_ir, key);
	if (x)
		return x;
	x = egw_obj_set(t->a, t->out->xds_ir, key, egw_obj(t->a));
	egw_node *al = egw_set_obj(t->a, x, "accessLog");
	egw_node *js = egw_set_arr(t->a, al, "json");
	egw_set_str(t->a, egw_arr_push(t->a, js, egw_obj(t->a)), "path", "/dev/stdout");
	egw_node *rl = egw_set_obj(t->a, x, "readyListener");
	egw_set_str(t->a, rl, "address", "0.0.0.0");
	egw_set_str(t->a, rl, "ipFamily", "IPv4");
	egw_set_str(t->a, rl, "path", "/ready");
	egw_set_int(t->a, rl, "port", 19003);
	return x;
}

static egw_node *fleet_infra(ir_tr *t, ir_gw *g)
{
	egw_node *x = egw_get(t->out->infra_ir, g->irkey);
	if (x)
		return x;
	x = egw_obj_set(t->a, t->out->infra_ir, g->irkey, egw_obj(t->a));
	egw_node *px = egw_set_obj(t->a, x, "proxy");
	egw_node *md = egw_set_obj(t->a, px, "metadata");
	egw_node *labels = egw_set_obj(t->a, md, "labels");
	egw_member *m;
	EGW_OBJ_EACH(egw_path(g->o->node, "spec.infrastructure.labels"), i, m)
	egw_obj_set(t->a, labels, m->key, egw_clone(t->a, m->val));
	egw_node *ann = egw_path(g->o->node, "spec.infrastructure.annotations");
	if (egw_len(ann))
		egw_obj_set(t->a, md, "annotations", egw_clone(t->a, ann));
	if (t->merge_gateways) {
		egw_set_str(t->a, labels, "gateway.envoyproxy.io/owning-gatewayclass", t->class_name);
	} else {
		egw_set_str(t->a, labels, "gateway.envoyproxy.io/owning-gateway-name", g->name);
		egw_set_str(t->a, labels, "gateway.envoyproxy.io/owning-gateway-namespace", g->ns);
	}
	egw_node *own = egw_set_obj(t->a, md, "ownerReference");
	if (t->gateway_ns_mode) {
		egw_set_str(t->a, own, "kind", "Gateway");
		egw_set_str(t->a, own, "name", g->name);
		egw_set_str(t->a, px, "name", g->name);
		egw_set_str(t->a, px, "namespace", g->ns);
	} else {
		egw_set_str(t->a, own, "kind", "GatewayClass");
		egw_set_str(t->a, own, "name", t->class_name);
		egw_set_str(t->a, px, "name", g->irkey);
		egw_set_str(t->a, px, "namespace", t->c->controller_ns ? t->c->controller_ns : "");
	}
	return x;
}

int64_t ir_container_port(ir_tr *t, ir_gw *g, int64_t port)
{
	if (t->running_on_host)
		return port;
	if (egw_node_bool(egw_path(g->ep, "spec.provider.kubernetes.envoyService.useListenerPortAsContainerPort"), false))
		return port;
	return port < 1024 ? port + 10000 : port;
}

static void gw_not_accepted(ir_tr *t, ir_gw *g, const char *reason, const char *msg)
{
	ir_cond(t, g->conds, "Accepted", false, reason, msg);
}

static ir_lis *add_listener(ir_tr *t, ir_gw *g, egw_node *l)
{
	ir_lis *li = EGW_NEW(t->a, ir_lis);
	li->gw = g;
	li->spec = l;
	li->name = egw_get_str(l, "name", "");
	li->proto = egw_get_str(l, "protocol", "");
	const char *h = ir_str(l, "hostname");
	li->hostname = h && *h ? h : NULL;
	li->port = egw_get_int(l, "port", 0);
	li->st = egw_obj(t->a);
	egw_set_str(t->a, li->st, "name", li->name);
	li->kinds = egw_set_arr(t->a, li->st, "supportedKinds");
	egw_set_int(t->a, li->st, "attachedRoutes", 0);
	li->conds = egw_set_arr(t->a, li->st, "conditions");
	li->from = egw_text(egw_path(l, "allowedRoutes.namespaces.from"));
	if (!li->from)
		li->from = "Same";
	li->selector = egw_path(l, "allowedRoutes.namespaces.selector");
	if (g->nls == g->capls) {
		size_t nc = g->capls ? g->capls * 2 : 8;
		g->ls = egw_realloc(t->a, g->ls, g->capls * sizeof *g->ls, nc * sizeof *g->ls);
		g->capls = nc;
	}
	g->ls[g->nls++] = li;
	return li;
}

static bool lset_allowed(ir_tr *t, ir_gw *g, egw_object *ls)
{
	egw_node *an = egw_path(g->o->node, "spec.allowedListeners.namespaces");
	const char *from = ir_str(an, "from");
	if (!from)
		return false;
	if (!strcmp(from, "All"))
		return true;
	if (!strcmp(from, "Same"))
		return !strcmp(g->ns, ls->ns);
	if (!strcmp(from, "Selector")) {
		egw_node *sel = egw_get(an, "selector");
		if (!sel)
			return false;
		egw_object *n = egw_res_find(t->rs, EGW_K_NAMESPACE, "", ls->ns);
		return n && ir_label_selector_matches(sel, egw_path(n->node, "metadata.labels"));
	}
	return false;
}

static void listener_sets(ir_tr *t)
{
	egw_object *ls;
	EGW_RES_EACH(t->rs, EGW_K_LISTENERSET, i, ls)
	{
		egw_node *pr = egw_path(ls->node, "spec.parentRef");
		const char *pns = ir_str(pr, "namespace");
		if (!pns || !*pns)
			pns = ls->ns;
		ir_gw *g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", pns, egw_get_str(pr, "name", "")));
		if (!g)
			continue;
		ls->status = egw_obj(t->a);
		egw_node *conds = egw_set_arr(t->a, ls->status, "conditions");
		if (!g->accepted) {
			ir_cond(t, conds, "Accepted", false, "ParentNotAccepted",
				egw_sprintf(t->a, "Parent Gateway %s/%s not accepted", pns, g->name));
			ir_cond(t, conds, "Programmed", false, "Programmed", "Not Programmed");
			continue;
		}
		if (!lset_allowed(t, g, ls)) {
			ir_cond(t, conds, "Accepted", false, "NotAllowed",
				egw_sprintf(t->a, "ListenerSet attachment from namespace %s not allowed by Gateway %s/%s",
					    ls->ns, g->ns, g->name));
			ir_cond(t, conds, "Programmed", false, "NotAllowed", "Not Programmed");
			continue;
		}
		egw_node *lst = egw_set_arr(t->a, ls->status, "listeners");
		egw_node *l;
		EGW_ARR_EACH(egw_path(ls->node, "spec.listeners"), j, l)
		{
			ir_lis *li = add_listener(t, g, l);
			li->lset = ls;
			egw_arr_push(t->a, lst, li->st);
		}
		ls->user = g;
	}
}

/* ListenerSet conditions from its listeners, once they are validated. */
static void listener_set_status(ir_tr *t)
{
	egw_object *ls;
	EGW_RES_EACH(t->rs, EGW_K_LISTENERSET, i, ls)
	{
		egw_node *conds = egw_get(ls->status, "conditions");
		if (!conds || ir_cond_is(conds, "Accepted", false))
			continue;
		bool all_acc = true, any_acc = false, all_prog = true, any_prog = false;
		egw_node *e;
		EGW_ARR_EACH(egw_get(ls->status, "listeners"), j, e)
		{
			bool acc = ir_cond_is(egw_get(e, "conditions"), "Accepted", true);
			bool prog = ir_cond_is(egw_get(e, "conditions"), "Programmed", true);
			all_acc = all_acc && acc;
			any_acc = any_acc || acc;
			all_prog = all_prog && prog;
			any_prog = any_prog || prog;
		}
		if (all_acc)
			ir_cond(t, conds, "Accepted", true, "Accepted", "All listeners are accepted");
		else if (any_acc)
			ir_cond(t, conds, "Accepted", true, "ListenersNotValid", "Some listeners are invalid");
		else
			ir_cond(t, conds, "Accepted", false, "ListenersNotValid", "No listeners are accepted");
		if (all_prog)
			ir_cond(t, conds, "Programmed", true, "Programmed", "All listeners are programmed");
		else if (any_prog)
			ir_cond(t, conds, "Programmed", true, "Programmed", "Some listeners are not programmed");
		else
			ir_cond(t, conds, "Programmed", false, "ListenersNotValid", "No listeners are programmed");
		ir_gw *g = ls->user;
		if (g && ir_cond_is(conds, "Accepted", true)) {
			g->attached_lsets++;
			egw_set_int(t->a, g->status, "attachedListenerSets", g->attached_lsets);
		}
	}
}

static void register_gw(ir_tr *t, ir_gw *g)
{
	if (t->ngw == t->capgw) {
		size_t nc = t->capgw ? t->capgw * 2 : 8;
		t->gws = egw_realloc(t->a, t->gws, t->capgw * sizeof *t->gws, nc * sizeof *t->gws);
		t->capgw = nc;
	}
	t->gws[t->ngw++] = g;
	egw_map_put(&t->gw_by_name, egw_sprintf(t->a, "%s/%s", g->ns, g->name), g);
}

void ir_gateways(ir_tr *t)
{
	egw_node *gc_ep = t->gc_ep;
	t->merge_gateways = egw_node_bool(egw_path(gc_ep, "spec.mergeGateways"), false);
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_GATEWAY, i, o)
	{
		egw_node *spec = egw_get(o->node, "spec");
		if (!ir_streq(ir_str(spec, "gatewayClassName"), t->class_name))
			continue;
		ir_gw *g = EGW_NEW(t->a, ir_gw);
		g->o = o;
		g->ns = o->ns;
		g->name = o->name;
		g->irkey = t->merge_gateways ? t->class_name : egw_sprintf(t->a, "%s/%s", o->ns, o->name);
		o->status = egw_obj(t->a);
		g->status = o->status;
		g->lstat = egw_set_arr(t->a, g->status, "listeners");
		g->conds = egw_arr(t->a);
		g->accepted = true;
		g->ep = gc_ep;
		g->epo = t->gc_epo;
		egw_node *pr = egw_path(spec, "infrastructure.parametersRef");
		if (pr && ir_streq(ir_str(pr, "kind"), "EnvoyProxy")) {
			egw_object *ep = egw_res_find(t->rs, EGW_K_ENVOYPROXY, o->ns,
						      egw_get_str(pr, "name", ""));
			if (ep) {
				ir_envoyproxy_normalize(t, ep);
				g->ep = ep->node;
				g->epo = ep;
				g->ep_from_gw = true;
				egw_node *ref = egw_obj(t->a);
				egw_set_str(t->a, ref, "group", GW_GROUP);
				egw_set_str(t->a, ref, "kind", "Gateway");
				egw_set_str(t->a, ref, "name", o->name);
				egw_set_str(t->a, ref, "namespace", o->ns);
				ir_envoyproxy_ancestor(t, ep, ref);
			}
		}
		if (!g->ep_from_gw && t->gc_ep_invalid) {
			/* Envoy Gateway's message has the doubled colon */
			gw_not_accepted(t, g, "InvalidParameters",
					egw_sprintf(t->a, "Invalid parametersRef:: %s", t->gc_ep_invalid));
			g->accepted = false;
		}
		egw_node *addr;
		EGW_ARR_EACH(egw_get(spec, "addresses"), j, addr)
		{
			const char *ty = ir_str(addr, "type");
			if (ty && strcmp(ty, "IPAddress") && strcmp(ty, "Hostname") && g->accepted) {
				gw_not_accepted(t, g, "UnsupportedAddress",
						egw_sprintf(t->a, "Gateway has an address with an unsupported type: %s", ty));
				g->accepted = false;
			}
		}
		g->merge_cfg = egw_path(g->ep, "spec.mergeBackends");
		if (!g->merge_cfg)
			g->merge_cfg = egw_path(t->rs->config, "envoyProxy.mergeBackends");
		g->merge_backends = g->merge_cfg != NULL;
		if (g->merge_backends && t->merge_gateways && g->accepted) {
			gw_not_accepted(t, g, "InvalidParameters",
					"mergeGateways and mergeBackends cannot both be enabled");
			g->accepted = false;
		}
		if (!g->accepted) {
			/* a Gateway the translation rejects keeps a bare fleet so
			 * its infrastructure is not torn down */
			egw_obj_del(g->status, "listeners");
			egw_obj_set(t->a, g->status, "conditions", g->conds);
			g->merge_backends = false;
			g->xds = egw_get(t->out->xds_ir, g->irkey);
			if (!g->xds)
				g->xds = egw_obj_set(t->a, t->out->xds_ir, g->irkey, egw_obj(t->a));
			g->infra = fleet_infra(t, g);
			register_gw(t, g);
			continue;
		}
		g->xds = fleet_xds(t, g->irkey);
		g->infra = fleet_infra(t, g);
		EGW_ARR_EACH(egw_get(spec, "addresses"), j, addr)
		{
			const char *ty = ir_str(addr, "type");
			if (ty && strcmp(ty, "IPAddress"))
				continue;
			egw_node *px = egw_get(g->infra, "proxy");
			egw_arr_push(t->a, egw_arr_ensure(t->a, px, "addresses"), ir_s(t, egw_get_str(addr, "value", "")));
		}
		if (g->epo) {
			egw_obj_set(t->a, egw_get(g->infra, "proxy"), "config",
				    ir_envoyproxy_config(t, g->epo, true));
			if (ir_telemetry_ok(t, g)) {
				ir_access_log(t, g->xds, g->ep);
				ir_tracing(t, g);
				ir_metrics(t, g->xds, g->ep);
				ir_metric_sinks(t, g);
			}
			egw_node *fo = egw_path(g->ep, "spec.filterOrder");
			if (egw_len(fo))
				egw_obj_set(t->a, g->xds, "filterOrder", egw_clone(t->a, fo));
			egw_node *hcl = egw_path(g->ep, "spec.telemetry.healthCheckLog");
			if (hcl)
				egw_obj_set(t->a, g->xds, "healthCheckLog", ir_health_check_log(t, hcl));
		}
		egw_node *l;
		EGW_ARR_EACH(egw_get(spec, "listeners"), j, l)
		{
			ir_lis *li = add_listener(t, g, l);
			egw_arr_push(t->a, g->lstat, li->st);
		}
		register_gw(t, g);
	}
	listener_sets(t);
}

static void lcond(ir_tr *t, ir_lis *l, const char *type, bool st, const char *reason,
		  const char *msg)
{
	ir_cond(t, l->conds, type, st, reason, msg);
}

/* metav1.LabelSelectorAsSelector's validation of matchExpressions. */
static const char *selector_error(ir_tr *t, egw_node *sel)
{
	egw_node *e;
	EGW_ARR_EACH(egw_get(sel, "matchExpressions"), i, e)
	{
		const char *op = egw_get_str(e, "operator", "");
		egw_node *vals = egw_get(e, "values");
		if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
			if (!egw_len(vals))
				return "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty";
		} else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
			if (egw_len(vals)) {
				egw_buf b;
				egw_buf_init(&b, t->a);
				egw_buf_puts(&b, "values: Invalid value: [");
				egw_node *v;
				EGW_ARR_EACH(vals, j, v)
				egw_buf_printf(&b, "%s\"%s\"", j ? "," : "", egw_text(v));
				egw_buf_puts(&b, "]: values set must be empty for exists and does not exist");
				return egw_buf_str(&b);
			}
		} else {
			return egw_sprintf(t->a, "\"%s\" is not a valid label selector operator", op);
		}
	}
	return NULL;
}

static void add_kind(ir_tr *t, ir_lis *l, const char *kind)
{
	egw_node *k = egw_arr_push(t->a, l->kinds, egw_obj(t->a));
	egw_set_str(t->a, k, "group", GW_GROUP);
	egw_set_str(t->a, k, "kind", kind);
}

static void allowed_routes(ir_tr *t, ir_lis *l, const char **kinds, size_t nk)
{
	egw_node *ak = egw_path(l->spec, "allowedRoutes.kinds");
	if (egw_len(ak) == 0) {
		for (size_t i = 0; i < nk; i++)
			add_kind(t, l, kinds[i]);
		return;
	}
	const char *supported[8];
	size_t ns = 0;
	const char *unsupported[16];
	size_t nu = 0;
	egw_node *k;
	EGW_ARR_EACH(ak, i, k)
	{
		const char *grp = ir_str(k, "group");
		if (grp && *grp && strcmp(grp, GW_GROUP)) {
			lcond(t, l, "ResolvedRefs", false, "InvalidRouteKinds",
			      "Group is not supported, group must be " GW_GROUP);
			continue;
		}
		const char *kind = egw_get_str(k, "kind", "");
		bool found = false;
		for (size_t j = 0; j < nk; j++) {
			if (!strcmp(kind, kinds[j])) {
				if (ns < 8)
					supported[ns++] = kind;
				egw_arr_push(t->a, l->kinds, egw_clone(t->a, k));
				found = true;
				break;
			}
		}
		if (!found && nu < 16)
			unsupported[nu++] = kind;
	}
	for (size_t i = 0; i < nu; i++) {
		egw_buf b;
		egw_buf_init(&b, t->a);
		egw_buf_printf(&b, "%s is not supported, kind must be one of [", unsupported[i]);
		const char **list = ns ? supported : kinds;
		size_t n = ns ? ns : nk;
		for (size_t j = 0; j < n; j++)
			egw_buf_printf(&b, "%s%s", j ? " " : "", list[j]);
		egw_buf_putc(&b, ']');
		lcond(t, l, "ResolvedRefs", false, "InvalidRouteKinds", egw_buf_str(&b));
	}
}

static const char *b64_text(egw_node *data, const char *key)
{
	const char *v = egw_text(egw_get(data, key));
	return v && *v ? v : NULL;
}

static void tls_secrets(ir_tr *t, ir_lis *l)
{
	egw_node *refs = egw_path(l->spec, "tls.certificateRefs");
	ir_gw *g = l->gw;
	if (egw_len(refs) == 0) {
		lcond(t, l, "Programmed", false, "Invalid",
		      "Listener must have at least 1 TLS certificate ref");
		return;
	}
	egw_node *certs = egw_arr(t->a);
	egw_buf errs;
	egw_buf_init(&errs, t->a);
	const char *reason = NULL;
	size_t nerr = 0;
	egw_node *r;
	EGW_ARR_EACH(refs, i, r)
	{
		const char *grp = ir_str(r, "group");
		const char *kind = ir_str(r, "kind");
		const char *name = egw_get_str(r, "name", "");
		const char *rns = ir_str(r, "namespace");
		const char *msg = NULL, *rsn = "InvalidCertificateRef";
		const char *owner_ns = l->lset ? l->lset->ns : g->ns;
		const char *sns = owner_ns;
		egw_object *sec = NULL;
		if (grp && *grp) {
			msg = "Listener's TLS certificate ref group must be unspecified/empty";
		} else if (kind && strcmp(kind, "Secret")) {
			msg = "Listener's TLS certificate ref kind must be Secret";
		} else {
			if (rns && *rns && strcmp(rns, owner_ns)) {
				const char *fk = l->lset ? "ListenerSet" : "Gateway";
				if (!ir_refgrant_allows(t, GW_GROUP, fk, owner_ns, "", "Secret", rns, name)) {
					msg = egw_sprintf(t->a,
							  "Certificate ref to secret %s/%s not permitted by any ReferenceGrant",
							  rns, name);
					rsn = "RefNotPermitted";
				}
				sns = rns;
			}
			if (!msg) {
				sec = egw_res_find(t->rs, EGW_K_SECRET, sns, name);
				if (!sec)
					msg = egw_sprintf(t->a, "Secret %s/%s does not exist", sns, name);
			}
			if (!msg && !strcmp(egw_get_str(sec->node, "type", ""), "gateway.envoyproxy.io/sds") &&
			    !egw_node_bool(egw_path(t->rs->config, "extensionApis.enableSDSSecretRef"), false))
				msg = egw_sprintf(t->a,
						  "SDS Secret %s/%s cannot be used because SDS Secret references are "
						  "not enabled in EnvoyGateway configuration",
						  sns, name);
			if (!msg && strcmp(egw_get_str(sec->node, "type", ""), "kubernetes.io/tls"))
				msg = egw_sprintf(t->a, "Secret %s/%s must be of type kubernetes.io/tls", sns, name);
			if (!msg && (!b64_text(egw_get(sec->node, "data"), "tls.crt") ||
				     !b64_text(egw_get(sec->node, "data"), "tls.key")))
				msg = egw_sprintf(t->a, "Secret %s/%s must contain tls.crt and tls.key", sns, name);
		}
		bool bad_pem = false;
		if (!msg) {
			egw_node *d = egw_get(sec->node, "data");
			msg = ir_tls_secret_error(t, sns, name, b64_text(d, "tls.crt"), b64_text(d, "tls.key"));
			bad_pem = msg != NULL;
		}
		if (msg) {
			if (nerr)
				egw_buf_putc(&errs, '\n');
			if (bad_pem) /* Envoy Gateway's later check: its text has no ref index */
				egw_buf_puts(&errs, msg);
			else
				egw_buf_printf(&errs, "certificate refs %zu: %s", i, msg);
			if (!reason)
				reason = rsn;
			nerr++;
			continue;
		}
		egw_node *data = egw_get(sec->node, "data");
		egw_node *c = egw_arr_push(t->a, certs, egw_obj(t->a));
		egw_set_str(t->a, c, "name", egw_sprintf(t->a, "%s/%s", sns, name));
		egw_set_str(t->a, c, "certificate", ir_pem_normalize(t, b64_text(data, "tls.crt")));
		egw_set_str(t->a, c, "privateKey", ir_pem_normalize(t, b64_text(data, "tls.key")));
		if (b64_text(data, "tls.ocsp-staple"))
			egw_set_str(t->a, c, "ocspStaple", b64_text(data, "tls.ocsp-staple"));
	}
	if (nerr && !certs->n) {
		lcond(t, l, "ResolvedRefs", false, reason,
		      egw_sprintf(t->a, "No valid secrets exist: %s.", egw_buf_str(&errs)));
		l->cert_invalid = !strcmp(reason, "InvalidCertificateRef");
	} else if (nerr) {
		lcond(t, l, "ResolvedRefs", false, "PartiallyInvalidCertificateRef",
		      egw_sprintf(t->a, "Some secrets are invalid: %s.", egw_buf_str(&errs)));
		l->cert_partial = true;
	}
	if (certs->n)
		l->tls = certs;
}

static void validate_tls(ir_tr *t, ir_lis *l)
{
	egw_node *tls = egw_get(l->spec, "tls");
	const char *p = l->proto;
	const char *mode = ir_str(tls, "mode");
	if (!strcmp(p, "HTTP") || !strcmp(p, "TCP") || !strcmp(p, "UDP")) {
		if (tls)
			lcond(t, l, "Programmed", false, "Invalid",
			      egw_sprintf(t->a, "Listener must not have TLS set when protocol is %s.", p));
	} else if (!strcmp(p, "HTTPS")) {
		if (!tls) {
			lcond(t, l, "Programmed", false, "Invalid",
			      "Listener must have TLS set when protocol is HTTPS.");
			return;
		}
		if (mode && strcmp(mode, "Terminate")) {
			lcond(t, l, "Programmed", false, "UnsupportedTLSMode",
			      egw_sprintf(t->a, "TLS %s mode is not supported, TLS mode must be Terminate.", mode));
			return;
		}
		tls_secrets(t, l);
	} else if (!strcmp(p, "TLS")) {
		if (!tls) {
			lcond(t, l, "Programmed", false, "Invalid",
			      "Listener must have TLS set when protocol is TLS.");
			return;
		}
		if (!mode || !strcmp(mode, "Passthrough")) {
			l->tls_passthrough = true;
			if (egw_len(egw_get(tls, "certificateRefs"))) {
				lcond(t, l, "Programmed", false, "Invalid",
				      "Listener must not have TLS certificate refs set for TLS mode Passthrough.");
				return;
			}
		} else if (!strcmp(mode, "Terminate")) {
			if (!egw_len(egw_get(tls, "certificateRefs"))) {
				lcond(t, l, "Programmed", false, "Invalid",
				      "Listener must have TLS certificate refs set for TLS mode Terminate.");
				return;
			}
			tls_secrets(t, l);
		}
	}
}

/* The IR name of a listener: <gw ns>/<gw>/<listener>, with the
 * ListenerSet's <ns>/<name> inserted for listeners that come from one. */
static const char *lname(ir_tr *t, ir_lis *l)
{
	if (l->lset)
		return egw_sprintf(t->a, "%s/%s/%s/%s/%s", l->gw->ns, l->gw->name, l->lset->ns,
				   l->lset->name, l->name);
	return egw_sprintf(t->a, "%s/%s/%s", l->gw->ns, l->gw->name, l->name);
}

/* How conflict messages name a listener: by its owner (Gateway or
 * ListenerSet). */
static const char *cname(ir_tr *t, ir_lis *l)
{
	if (l->lset)
		return egw_sprintf(t->a, "%s/%s/%s", l->lset->ns, l->lset->name, l->name);
	return egw_sprintf(t->a, "%s/%s/%s", l->gw->ns, l->gw->name, l->name);
}

/* A conflicted listener: Gateway listeners get Conflicted (and later the
 * generic Programmed=False); ListenerSet listeners are also not Accepted. */
static void conflicted(ir_tr *t, ir_lis *l, const char *reason, const char *msg)
{
	lcond(t, l, "Conflicted", true, reason, msg);
	if (l->lset) {
		lcond(t, l, "Accepted", false, reason, msg);
		lcond(t, l, "Programmed", false, reason, msg);
	}
	l->conflicted = true;
}

static const char *group_names(ir_tr *t, ir_lis **v, size_t n, const char *prefix)
{
	egw_buf b;
	egw_buf_init(&b, t->a);
	egw_buf_puts(&b, prefix);
	for (size_t j = 0; j < n; j++)
		egw_buf_printf(&b, "%s%s", j ? ", " : "", cname(t, v[j]));
	return egw_buf_str(&b);
}

typedef struct lgroup {
	ir_lis **v;
	size_t n, cap;
} lgroup;

static void group_add(ir_tr *t, egw_map *m, const char *key, ir_lis *l)
{
	lgroup *g = egw_map_get(m, key);
	if (!g) {
		g = EGW_NEW(t->a, lgroup);
		egw_map_put(m, key, g);
	}
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 4;
		g->v = egw_realloc(t->a, g->v, g->cap * sizeof *g->v, nc * sizeof *g->v);
		g->cap = nc;
	}
	g->v[g->n++] = l;
}

static const char *proto_class(const char *p)
{
	return !strcmp(p, "HTTPS") || !strcmp(p, "TLS") ? "https/tls" : p;
}

static bool known_proto(const char *p)
{
	return !strcmp(p, "HTTP") || !strcmp(p, "HTTPS") || !strcmp(p, "TLS") || !strcmp(p, "TCP") ||
	       !strcmp(p, "UDP");
}

/* Listeners sharing a port must agree on the protocol (HTTPS and TLS are
 * compatible; UDP coexists with anything).  The Gateway's own listeners win
 * over ListenerSet listeners; otherwise every listener on the port loses. */
static void conflicts_protocol(ir_tr *t, ir_lis **ls, size_t nls)
{
	egw_map ports;
	egw_map_init(&ports, t->a);
	for (size_t i = 0; i < nls; i++) {
		ir_lis *l = ls[i];
		if (l->spec_invalid || !known_proto(l->proto) || !strcmp(l->proto, "UDP"))
			continue;
		group_add(t, &ports, egw_sprintf(t->a, "%lld", (long long)l->port), l);
	}
	egw_map_entry *e;
	EGW_MAP_EACH(&ports, pi, e)
	{
		lgroup *g = e->val;
		const char *first = NULL, *gw_proto = NULL;
		bool multi = false, gw_multi = false;
		for (size_t j = 0; j < g->n; j++) {
			const char *pc = proto_class(g->v[j]->proto);
			if (!first)
				first = pc;
			else if (strcmp(first, pc))
				multi = true;
			if (!g->v[j]->lset) {
				if (!gw_proto)
					gw_proto = pc;
				else if (strcmp(gw_proto, pc))
					gw_multi = true;
			}
		}
		if (!multi)
			continue;
		const char *msg = group_names(t, g->v, g->n,
					      "All listeners for a given port must use a compatible protocol, conflicting listeners: ");
		for (size_t j = 0; j < g->n; j++) {
			ir_lis *l = g->v[j];
			if (gw_proto && !gw_multi && !strcmp(proto_class(l->proto), gw_proto))
				continue;
			conflicted(t, l, "ProtocolConflict", msg);
		}
	}
}

/* Layer-7 listeners sharing a port need distinct hostnames. */
static void conflicts_hostname(ir_tr *t, ir_lis **ls, size_t nls)
{
	egw_map groups;
	egw_map_init(&groups, t->a);
	for (size_t i = 0; i < nls; i++) {
		ir_lis *l = ls[i];
		if (l->spec_invalid || l->conflicted)
			continue;
		if (strcmp(l->proto, "HTTP") && strcmp(l->proto, "HTTPS") && strcmp(l->proto, "TLS"))
			continue;
		group_add(t, &groups,
			  egw_sprintf(t->a, "%lld\n%s", (long long)l->port, l->hostname ? l->hostname : ""), l);
	}
	egw_map_entry *e;
	EGW_MAP_EACH(&groups, gi, e)
	{
		lgroup *g = e->val;
		if (g->n < 2)
			continue;
		size_t ngw = 0;
		for (size_t j = 0; j < g->n; j++)
			ngw += !g->v[j]->lset;
		/* the winner: the Gateway's own listener when it has exactly one
		 * here; otherwise the oldest ListenerSet's, unless that
		 * ListenerSet conflicts with itself */
		ir_lis *winner = NULL;
		if (ngw == 1) {
			for (size_t j = 0; j < g->n; j++)
				if (!g->v[j]->lset)
					winner = g->v[j];
		} else if (ngw == 0) {
			winner = g->v[0];
			for (size_t j = 1; j < g->n && winner; j++)
				if (g->v[j]->lset == winner->lset)
					winner = NULL;
		}
		const char *msg = group_names(t, g->v, g->n,
					      "All listeners for a given port must use a unique hostname, conflicting listeners: ");
		for (size_t j = 0; j < g->n; j++) {
			if (g->v[j] == winner)
				continue;
			conflicted(t, g->v[j], "HostnameConflict", msg);
		}
	}
}

static void conflicts_l4(ir_tr *t, ir_lis **ls, size_t nls, const char *proto)
{
	egw_map ports;
	egw_map_init(&ports, t->a);
	for (size_t i = 0; i < nls; i++) {
		ir_lis *l = ls[i];
		if (l->spec_invalid || strcmp(l->proto, proto))
			continue;
		char key[32];
		snprintf(key, sizeof key, "%lld", (long long)l->port);
		const char *msg = egw_sprintf(t->a, "Only one %s listener is allowed in a given port", proto);
		if (!egw_map_get(&ports, key))
			egw_map_put(&ports, key, l);
		else if (l->conflicted) /* already lost: only the Conflicted reason changes */
			lcond(t, l, "Conflicted", true, "ProtocolConflict", msg);
		else
			conflicted(t, l, "ProtocolConflict", msg);
	}
}

static bool listener_ready(ir_tr *t, ir_lis *l)
{
	if (l->conds->n == 0) {
		lcond(t, l, "Programmed", true, "Programmed",
		      "Sending translated listener configuration to the data plane");
		lcond(t, l, "Accepted", true, "Accepted", "Listener has been successfully translated");
		lcond(t, l, "ResolvedRefs", true, "ResolvedRefs", "Listener references have been resolved");
		if (l->lset)
			lcond(t, l, "Conflicted", false, "NoConflicts", "No conflicts detected");
		return true;
	}
	if (l->cert_partial && l->conds->n == 1) {
		/* some certificates are usable: the listener is still served */
		lcond(t, l, "Programmed", true, "Programmed",
		      "Sending translated listener configuration to the data plane");
		lcond(t, l, "Accepted", true, "Accepted", "Listener has been successfully translated");
		return true;
	}
	if (l->cert_invalid && !ir_cond_find(l->conds, "Accepted"))
		lcond(t, l, "Accepted", true, "Accepted", "Listener has been successfully translated");
	if (!ir_cond_find(l->conds, "Programmed"))
		lcond(t, l, "Programmed", false, l->lset ? "ListenersNotValid" : "Invalid",
		      "Listener is invalid, see other Conditions for details.");
	if (!ir_cond_find(l->conds, "ResolvedRefs"))
		lcond(t, l, "ResolvedRefs", true, "ResolvedRefs", "Listener references have been resolved");
	return false;
}

static const char *lower(ir_tr *t, const char *s)
{
	char *r = egw_strdup(t->a, s);
	for (char *p = r; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

static void add_ir_listener(ir_tr *t, ir_lis *l, egw_map *found_ports)
{
	ir_gw *g = l->gw;
	int64_t cport = ir_container_port(t, g, l->port);
	egw_node *x = egw_obj(t->a);
	const char *name = lname(t, l);
	egw_set_str(t->a, x, "name", name);
	egw_set_str(t->a, x, "address", "0.0.0.0");
	egw_set_int(t->a, x, "port", cport);
	egw_set_int(t->a, x, "externalPort", l->port);
	egw_obj_set(t->a, x, "metadata", ir_meta(t, "Gateway", g->ns, g->name, l->name));
	const char *p = l->proto;
	const char *arrkey;
	if (!strcmp(p, "HTTP") || !strcmp(p, "HTTPS")) {
		egw_node *hn = egw_set_arr(t->a, x, "hostnames");
		egw_arr_push(t->a, hn, ir_s(t, l->hostname ? l->hostname : "*"));
		if (egw_get_bool(egw_get(g->ep, "spec"), "preserveRouteOrder", false))
			egw_set_bool(t->a, x, "preserveRouteOrder", true);
		egw_node *path = egw_set_obj(t->a, x, "path");
		egw_set_bool(t->a, path, "mergeSlashes", true);
		egw_set_str(t->a, path, "escapedSlashesAction", "UnescapeAndRedirect");
		/* how the request ID extension works with tracing */
		const char *rid = ir_str(egw_path(g->ep, "spec.telemetry.requestID"), "tracing");
		if (rid)
			egw_set_str(t->a, x, "requestID", rid);
		l->xk = XL_HTTP;
		arrkey = "http";
	} else if (!strcmp(p, "UDP")) {
		l->xk = XL_UDP;
		arrkey = "udp";
	} else {
		l->xk = XL_TCP;
		arrkey = "tcp";
	}
	if (l->tls) {
		egw_node *tls = egw_set_obj(t->a, x, "tls");
		egw_obj_set(t->a, tls, "alpnProtocols", egw_null(t->a));
		egw_obj_set(t->a, tls, "certificates", l->tls);
	}
	egw_arr_push(t->a, egw_arr_ensure(t->a, g->xds, arrkey), x);
	l->xl = x;
	egw_map_put(&t->xds_listeners, egw_sprintf(t->a, "%s\n%s", g->irkey, name), x);

	/* infra IR: one port per (L4 protocol, port) per fleet */
	const char *l4 = !strcmp(p, "UDP") ? "UDP" : "TCP";
	const char *pk = egw_sprintf(t->a, "%s\n%s/%lld", g->irkey, l4, (long long)l->port);
	if (egw_map_has(found_ports, pk))
		return;
	egw_map_put(found_ports, pk, l);
	egw_node *px = egw_get(g->infra, "proxy");
	egw_node *pl = egw_arr_push(t->a, egw_arr_ensure(t->a, px, "listeners"), egw_obj(t->a));
	egw_set_str(t->a, pl, "name", name);
	egw_node *ports = egw_set_arr(t->a, pl, "ports");
	egw_node *pp = egw_arr_push(t->a, ports, egw_obj(t->a));
	egw_set_str(t->a, pp, "name", egw_sprintf(t->a, "%s-%lld", lower(t, p), (long long)l->port));
	egw_set_str(t->a, pp, "protocol", p);
	egw_set_int(t->a, pp, "servicePort", l->port);
	egw_set_int(t->a, pp, "containerPort", cport);
}

void ir_listeners(ir_tr *t)
{
	egw_map found;
	egw_map_init(&found, t->a);
	if (t->merge_gateways) {
		egw_map seen;
		egw_map_init(&seen, t->a);
		for (size_t gi = 0; gi < t->ngw; gi++) {
			ir_gw *g = t->gws[gi];
			if (!g->accepted)
				continue;
			for (size_t i = 0; i < g->nls; i++) {
				ir_lis *l = g->ls[i];
				const char *k = egw_sprintf(t->a, "%s:%s:%lld", l->proto,
							    l->hostname ? l->hostname : "", (long long)l->port);
				if (egw_map_has(&seen, k))
					lcond(t, l, "Conflicted", true, "HostnameConflict",
					      "Port, protocol and hostname tuple must be unique for every listener");
				egw_map_put(&seen, k, l);
			}
		}
	}
	for (size_t gi = 0; gi < t->ngw; gi++) {
		ir_gw *g = t->gws[gi];
		if (!g->accepted)
			continue;
		for (size_t i = 0; i < g->nls; i++) {
			ir_lis *l = g->ls[i];
			const char *p = l->proto;
			if (!strcmp(p, "TLS")) {
				const char *mode = egw_text(egw_path(l->spec, "tls.mode"));
				const char *k2[] = { "TCPRoute", "TLSRoute" };
				if (mode && !strcmp(mode, "Passthrough"))
					allowed_routes(t, l, (const char *[]){ "TLSRoute" }, 1);
				else
					allowed_routes(t, l, k2, 2);
			} else if (!strcmp(p, "HTTP") || !strcmp(p, "HTTPS")) {
				allowed_routes(t, l, (const char *[]){ "HTTPRoute", "GRPCRoute" }, 2);
			} else if (!strcmp(p, "TCP")) {
				allowed_routes(t, l, (const char *[]){ "TCPRoute" }, 1);
			} else if (!strcmp(p, "UDP")) {
				allowed_routes(t, l, (const char *[]){ "UDPRoute" }, 1);
			} else {
				lcond(t, l, "Accepted", false, "UnsupportedProtocol",
				      egw_sprintf(t->a, "Protocol %s is unsupported, must be HTTP, HTTPS, TCP or UDP.", p));
			}
			if (!strcmp(l->from, "Selector") && !l->selector) {
				lcond(t, l, "Programmed", false, "Invalid",
				      "The allowedRoutes.namespaces.selector field must be specified when allowedRoutes.namespaces.from is set to \"Selector\".");
			} else if (!strcmp(l->from, "Selector")) {
				const char *serr = selector_error(t, l->selector);
				if (serr)
					lcond(t, l, "Programmed", false, "Invalid",
					      egw_sprintf(t->a, "The allowedRoutes.namespaces.selector could not be parsed: %s.", serr));
			}
			validate_tls(t, l);
			if ((!strcmp(p, "TCP") || !strcmp(p, "UDP")) && l->hostname)
				lcond(t, l, "Programmed", false, "Invalid",
				      egw_sprintf(t->a, "Listener must not have hostname set when protocol is %s.", p));
			l->spec_invalid = l->conds->n > 0;
		}
	}
	for (size_t gi = 0; gi < t->ngw; gi++) {
		ir_gw *g = t->gws[gi];
		if (!g->accepted)
			continue;
		conflicts_protocol(t, g->ls, g->nls);
		conflicts_hostname(t, g->ls, g->nls);
		conflicts_l4(t, g->ls, g->nls, "TCP");
		conflicts_l4(t, g->ls, g->nls, "UDP");
	}
	for (size_t gi = 0; gi < t->ngw; gi++) {
		ir_gw *g = t->gws[gi];
		if (!g->accepted)
			continue;
		for (size_t i = 0; i < g->nls; i++) {
			ir_lis *l = g->ls[i];
			l->ready = listener_ready(t, l);
			if (l->ready)
				add_ir_listener(t, l, &found);
		}
	}
	ir_overlapping_tls(t);
	listener_set_status(t);
}
