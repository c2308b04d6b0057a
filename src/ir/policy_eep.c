/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EnvoyExtensionPolicy: ext_proc services and Lua scripts on the IR routes
 * of its targets (envoyExtensions of an IR route).  A policy that fails to
 * build turns its routes into 500 direct responses.
 */
#include <string.h>

#include "policy.h"
#include "policy_util.h"
#include "../util/sha256.h"

static egw_node *refs_of(ir_tr *t, egw_node *svc)
{
	egw_node *rs = egw_get(svc, "backendRefs");
	if (egw_len(rs))
		return rs;
	egw_node *one = egw_get(svc, "backendRef");
	if (!one)
		return NULL;
	egw_node *arr = egw_arr(t->a);
	egw_arr_push(t->a, arr, one);
	return arr;
}

static const char *eep_extproc(pol_ctx *pc, ir_pol *p, egw_node *list, egw_node *out, bool *fatal)
{
	ir_tr *t = pc->t;
	if (!egw_len(list))
		return NULL;
	egw_node *arr = egw_set_arr(t->a, out, "extProcs");
	egw_buf errs;
	egw_buf_init(&errs, t->a);
	egw_node *ep;
	EGW_ARR_EACH(list, i, ep)
	{
		ep = pol_lc_keys(t, ep);
		const char *name = egw_sprintf(t->a, "envoyextensionpolicy/%s/%s/extproc/%zu", p->o->ns,
					       p->o->name, i);
		const char *auth, *err;
		egw_node *dest = pol_ext_destination(pc, p, refs_of(t, ep), name, "GRPCRoute", &auth, &err);
		const char *bse = NULL;
		egw_node *tr = dest ? pol_backend_settings(pc, p, egw_get(ep, "backendSettings"), &bse) : NULL;
		if (!dest || bse) {
			if (errs.len)
				egw_buf_puts(&errs, "\n");
			egw_buf_puts(&errs, dest ? bse : err);
			if (!egw_node_bool(egw_get(ep, "failOpen"), false))
				*fatal = true;
			continue;
		}
		egw_node *x = egw_arr_push(t->a, arr, egw_obj(t->a));
		egw_set_str(t->a, x, "authority", auth ? auth : "");
		egw_obj_set(t->a, x, "destination", dest);
		if (tr)
			egw_obj_set(t->a, x, "traffic", tr);
		egw_member *m;
		EGW_OBJ_EACH(ep, k, m)
		{
			if (!strcmp(m->key, "backendRef") || !strcmp(m->key, "backendRefs") ||
			    !strcmp(m->key, "backendSettings") || !strcmp(m->key, "processingMode") ||
			    !strcmp(m->key, "metadata"))
				continue;
			egw_obj_set(t->a, x, m->key, pol_durations(t, m->val));
		}
		egw_node *md = egw_get(ep, "metadata");
		egw_node *v;
		if ((v = egw_get(md, "accessibleNamespaces")))
			egw_obj_set(t->a, x, "forwardingMetadataNamespaces", egw_clone(t->a, v));
		if ((v = egw_get(md, "writableNamespaces")))
			egw_obj_set(t->a, x, "receivingMetadataNamespaces", egw_clone(t->a, v));
		egw_node *pm = egw_get(ep, "processingMode");
		if (pm) {
			if ((v = egw_get(pm, "allowModeOverride")))
				egw_obj_set(t->a, x, "allowModeOverride", egw_clone(t->a, v));
			const char *dir[] = { "request", "response" };
			for (int d = 0; d < 2; d++) {
				egw_node *dm = egw_get(pm, dir[d]);
				if (!dm)
					continue;
				egw_set_bool(t->a, x, egw_sprintf(t->a, "%sHeaderProcessing", dir[d]), true);
				if ((v = egw_get(dm, "attributes")))
					egw_obj_set(t->a, x, egw_sprintf(t->a, "%sAttributes", dir[d]), egw_clone(t->a, v));
				if ((v = egw_get(dm, "body")))
					egw_obj_set(t->a, x, egw_sprintf(t->a, "%sBodyProcessingMode", dir[d]),
						    egw_clone(t->a, v));
			}
		}
		egw_set_str(t->a, x, "name", name);
	}
	if (!arr->n)
		egw_obj_del(out, "extProcs");
	return errs.len ? egw_sprintf(t->a, "ExtProc: %s", egw_buf_str(&errs)) : NULL;
}

/* Wasm modules: Envoy fetches them from the control plane's cache, which
 * serves each under the SHA-256 of its original URL. */
static const char *eep_wasm(pol_ctx *pc, ir_pol *p, egw_node *list, egw_node *out, bool *fatal)
{
	ir_tr *t = pc->t;
	if (!egw_len(list))
		return NULL;
	egw_node *arr = egw_set_arr(t->a, out, "wasms");
	egw_buf errs;
	egw_buf_init(&errs, t->a);
	const char *cns = t->c->controller_ns ? t->c->controller_ns : "";
	const char *dom = t->c->dns_domain && *t->c->dns_domain ? t->c->dns_domain : "cluster.local";
	egw_node *w;
	EGW_ARR_EACH(list, i, w)
	{
		const char *name = egw_sprintf(t->a, "envoyextensionpolicy/%s/%s/wasm/%zu", p->o->ns, p->o->name, i);
		egw_node *code = egw_get(w, "code");
		const char *type = egw_get_str(code, "type", "HTTP");
		const char *url = NULL, *sum = NULL, *err = NULL;
		if (!strcmp(type, "Image")) {
			egw_node *img = egw_get(code, "image");
			url = egw_get_str(img, "url", "");
			if (!strstr(url, "://"))
				url = egw_sprintf(t->a, "oci://%s", url);
			const char *last = strrchr(url, '/');
			if (last && !strchr(last, ':') && !strchr(last, '@'))
				url = egw_sprintf(t->a, "%s:latest", url);
			sum = egw_text(egw_get(img, "sha256"));
			egw_node *ps = egw_get(img, "pullSecretRef");
			if (ps) {
				const char *sns = egw_get_str(ps, "namespace", p->o->ns), *sn = egw_get_str(ps, "name", "");
				if (!egw_res_find(t->rs, EGW_K_SECRET, sns, sn))
					err = egw_sprintf(t->a, "secret %s/%s does not exist", sns, sn);
			}
		} else {
			egw_node *hc = egw_get(code, "http");
			url = egw_get_str(hc, "url", "");
			sum = egw_text(egw_get(hc, "sha256"));
		}
		if (!err && !sum)
			err = egw_sprintf(t->a, "failed to fetch module from %s", url);
		if (err) {
			if (errs.len)
				egw_buf_puts(&errs, "\n");
			egw_buf_puts(&errs, err);
			if (!egw_node_bool(egw_get(w, "failOpen"), false))
				*fatal = true;
			continue;
		}
		egw_node *x = egw_arr_push(t->a, arr, egw_obj(t->a));
		egw_node *cfg = egw_get(w, "config");
		egw_obj_set(t->a, x, "config", cfg ? egw_clone(t->a, cfg) : egw_null(t->a));
		egw_set_bool(t->a, x, "failOpen", egw_node_bool(egw_get(w, "failOpen"), false));
		egw_node *hk = egw_path(w, "env.hostKeys");
		if (hk)
			egw_obj_set(t->a, x, "hostKeys", egw_clone(t->a, hk));
		egw_node *hw = egw_set_obj(t->a, x, "httpWasmCode");
		egw_set_str(t->a, hw, "originalDownloadingURL", url);
		egw_set_str(t->a, hw, "servingURL",
			    egw_sprintf(t->a, "https://envoy-gateway.%s.svc.%s:18002/%s.wasm", cns, dom,
					egw_sha256_hex(t->a, url, strlen(url))));
		egw_set_str(t->a, hw, "sha256", sum);
		egw_set_str(t->a, x, "name", name);
		const char *rid = egw_get_str(w, "rootID", NULL);
		if (rid)
			egw_set_str(t->a, x, "rootID", rid);
		egw_set_str(t->a, x, "wasmName", egw_get_str(w, "name", name));
	}
	if (!arr->n)
		egw_obj_del(out, "wasms");
	return errs.len ? egw_sprintf(t->a, "Wasm: %s", egw_buf_str(&errs)) : NULL;
}

static const char *eep_lua(pol_ctx *pc, ir_pol *p, egw_node *list, egw_node *out)
{
	ir_tr *t = pc->t;
	if (!egw_len(list))
		return NULL;
	if (egw_node_bool(egw_path(t->rs->config, "extensionApis.disableLua"), false))
		return "Lua: Skipping Lua EnvoyExtensionPolicy as feature is disabled in the Gateway";
	egw_node *arr = egw_set_arr(t->a, out, "luas");
	egw_node *l;
	EGW_ARR_EACH(list, i, l)
	{
		const char *code = NULL;
		if (ir_streq(egw_get_str(l, "type", ""), "ValueRef")) {
			egw_node *vr = egw_get(l, "valueRef");
			const char *cm = egw_get_str(vr, "name", "");
			egw_object *o = egw_res_find(t->rs, EGW_K_CONFIGMAP, p->o->ns, cm);
			if (!o)
				return egw_sprintf(t->a,
						   "Lua: can't find the referenced configmap %s in namespace %s", cm,
						   p->o->ns);
			code = egw_get_str(egw_get(o->node, "data"), "lua", NULL);
			if (!code)
				return egw_sprintf(t->a, "Lua: can't find the key lua in the referenced configmap %s",
						   cm);
		} else {
			code = egw_get_str(l, "inline", "");
		}
		egw_node *x = egw_arr_push(t->a, arr, egw_obj(t->a));
		egw_set_str(t->a, x, "Code", code);
		egw_node *fc = egw_get(l, "filterContext");
		egw_obj_set(t->a, x, "FilterContext", fc ? egw_clone(t->a, fc) : egw_null(t->a));
		egw_set_str(t->a, x, "Name",
			    egw_sprintf(t->a, "envoyextensionpolicy/%s/%s/lua/%zu", p->o->ns, p->o->name, i));
	}
	return NULL;
}

typedef struct eep_feat {
	egw_node *ext;
	bool fatal;
} eep_feat;

static const char *eep_build(pol_ctx *pc, ir_pol *p, void **featp)
{
	ir_tr *t = pc->t;
	egw_node *spec = egw_get(p->o->node, "spec");
	eep_feat *f = EGW_NEW(t->a, eep_feat);
	f->ext = egw_obj(t->a);
	*featp = f;
	const char *e1 = eep_extproc(pc, p, egw_get(spec, "extProc"), f->ext, &f->fatal);
	const char *e3 = eep_wasm(pc, p, egw_get(spec, "wasm"), f->ext, &f->fatal);
	const char *e2 = eep_lua(pc, p, egw_get(spec, "lua"), f->ext);
	if (e2)
		f->fatal = true;
	egw_buf b;
	egw_buf_init(&b, t->a);
	const char *es[] = { e3, e1, e2 };
	for (int i = 0; i < 3; i++) {
		if (!es[i])
			continue;
		if (b.len)
			egw_buf_puts(&b, "\n");
		egw_buf_puts(&b, es[i]);
	}
	return b.len ? egw_buf_str(&b) : NULL;
}

/* Dynamic modules resolve against the allowlist of the EnvoyProxy of the
 * listener's Gateway; returns an error or fills ext.dynamicModules. */
static const char *eep_dynmod(pol_ctx *pc, ir_pol *p, pol_irroute *ir, egw_node *ext)
{
	ir_tr *t = pc->t;
	egw_node *list = egw_path(p->o->node, "spec.dynamicModule");
	if (!egw_len(list))
		return NULL;
	egw_node *md = egw_get(ir->listener, "metadata");
	ir_gw *g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", egw_get_str(md, "namespace", ""),
							     egw_get_str(md, "name", "")));
	egw_node *allow = g ? egw_path(g->ep, "spec.dynamicModules") : NULL;
	egw_node *arr = egw_set_arr(t->a, ext, "dynamicModules");
	egw_node *dm;
	EGW_ARR_EACH(list, i, dm)
	{
		const char *name = egw_get_str(dm, "name", "");
		egw_node *reg = NULL, *a;
		EGW_ARR_EACH(allow, k, a)
		{
			if (ir_streq(egw_get_str(a, "name", ""), name))
				reg = a;
		}
		if (!reg)
			return egw_sprintf(t->a,
					   "DynamicModule: dynamic module \"%s\" is not registered in the EnvoyProxy dynamicModules allowlist",
					   name);
		egw_node *x = egw_arr_push(t->a, arr, egw_obj(t->a));
		pol_copy(t, x, dm, "config");
		egw_set_bool(t->a, x, "doNotClose", egw_node_bool(egw_get(reg, "doNotClose"), false));
		egw_set_str(t->a, x, "filterName", egw_get_str(dm, "filterName", name));
		egw_set_bool(t->a, x, "loadGlobally", egw_node_bool(egw_get(reg, "loadGlobally"), false));
		egw_set_str(t->a, x, "name",
			    egw_sprintf(t->a, "envoyextensionpolicy/%s/%s/dynamic-module/%zu", p->o->ns, p->o->name, i));
		const char *path = egw_text(egw_path(reg, "source.local.path"));
		egw_node *remote = egw_path(reg, "source.remote");
		if (path)
			egw_set_str(t->a, x, "path", path);
		else if (remote)
			egw_obj_set(t->a, x, "remote", egw_clone(t->a, remote));
		egw_set_bool(t->a, x, "terminalFilter", egw_node_bool(egw_get(dm, "terminalFilter"), false));
	}
	return NULL;
}

static void eep_apply(pol_ctx *pc, ir_pol *p, void *feat, const char *err, pol_irroute *ir)
{
	ir_tr *t = pc->t;
	if (ir->xk != XL_HTTP)
		return;
	eep_feat *f = feat;
	(void)err;
	if (f->fatal) {
		egw_node *dr = egw_set_obj(t->a, ir->route, "directResponse");
		egw_set_int(t->a, dr, "statusCode", 500);
		return;
	}
	egw_node *ext = egw_clone(t->a, f->ext);
	const char *e = eep_dynmod(pc, p, ir, ext);
	if (e) {
		if (!p->late_err)
			p->late_err = e;
		egw_node *dr = egw_set_obj(t->a, ir->route, "directResponse");
		egw_set_int(t->a, dr, "statusCode", 500);
		return;
	}
	egw_obj_set(t->a, ir->route, "envoyExtensions", ext);
}

static bool eep_is_set(pol_irroute *ir)
{
	return ir->xk == XL_HTTP && egw_get(ir->route, "envoyExtensions") != NULL;
}

void ir_policy_eep(pol_ctx *pc)
{
	static const pol_kind_ops ops = {
		.kind = EGW_K_ENVOYEXTENSIONPOLICY,
		.name = "EnvoyExtensionPolicy",
		.plural = "envoyExtensionPolicies",
		.rule_plural = "envoyExtensionPolicies",
		.build = eep_build,
		.apply = eep_apply,
		.is_set = eep_is_set,
		.mergeable = false,
	};
	pol_drive(pc, &ops);
}
