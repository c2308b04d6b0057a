/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EnvoyProxy: the copy the infra IR carries as `config`, the Accepted
 * ancestor status on the EnvoyProxy itself, and the access log settings it
 * gives the fleet's xDS IR.
 */
#include <string.h>

#include "internal.h"

/* Adds an Accepted ancestor for ref to the EnvoyProxy's status. */
void ir_envoyproxy_ancestor(ir_tr *t, egw_object *ep, egw_node *ref)
{
	if (!ep->status)
		ep->status = egw_obj(t->a);
	egw_node *anc = egw_arr_ensure(t->a, ep->status, "ancestors");
	egw_node *a;
	EGW_ARR_EACH(anc, i, a)
	{
		if (egw_equal(egw_get(a, "ancestorRef"), ref))
			return;
	}
	a = egw_arr_push(t->a, anc, egw_obj(t->a));
	egw_obj_set(t->a, a, "ancestorRef", ref);
	egw_node *conds = egw_set_arr(t->a, a, "conditions");
	ir_cond(t, conds, "Accepted", true, "Accepted", "EnvoyProxy has been accepted.");
}

/* The EnvoyProxy as the infra IR shows it: identity and spec, plus the
 * status this translation gives it. */
egw_node *ir_envoyproxy_config(ir_tr *t, egw_object *ep)
{
	egw_node *cfg = egw_obj(t->a);
	egw_set_str(t->a, cfg, "apiVersion", egw_get_str(ep->node, "apiVersion", ""));
	egw_set_str(t->a, cfg, "kind", "EnvoyProxy");
	egw_node *md = egw_set_obj(t->a, cfg, "metadata");
	egw_set_str(t->a, md, "name", ep->name);
	egw_set_str(t->a, md, "namespace", ep->ns);
	egw_node *src = egw_get(ep->node, "metadata");
	static const char *keep[] = { "labels", "annotations" };
	for (size_t i = 0; i < 2; i++)
		if (egw_get(src, keep[i]))
			egw_obj_set(t->a, md, keep[i], egw_clone(t->a, egw_get(src, keep[i])));
	egw_obj_set(t->a, cfg, "spec", egw_clone(t->a, egw_get(ep->node, "spec")));
	return cfg;
}

/* Access log of a fleet from the EnvoyProxy telemetry settings; only file
 * sinks are translated yet (ALS and OpenTelemetry sinks are skipped). */
void ir_access_log(ir_tr *t, egw_node *xds, egw_node *ep)
{
	egw_node *al = egw_path(ep, "spec.telemetry.accessLog");
	if (!al)
		return;
	if (egw_get_bool(al, "disable", false)) {
		egw_obj_del(xds, "accessLog");
		return;
	}
	egw_node *settings = egw_get(al, "settings");
	if (!egw_len(settings))
		return;
	egw_node *out = egw_obj(t->a);
	egw_node *s;
	EGW_ARR_EACH(settings, i, s)
	{
		egw_node *fmt = egw_get(s, "format");
		const char *fty = egw_get_str(fmt, "type", "Text");
		egw_node *sink;
		EGW_ARR_EACH(egw_get(s, "sinks"), j, sink)
		{
			if (!ir_streq(egw_get_str(sink, "type", ""), "File"))
				continue;
			egw_node *file = egw_get(sink, "file");
			if (!file)
				continue;
			egw_node *x = egw_obj(t->a);
			if (!strcmp(fty, "JSON")) {
				if (!egw_len(egw_get(fmt, "json")))
					continue;
				egw_obj_set(t->a, x, "json", egw_clone(t->a, egw_get(fmt, "json")));
				egw_set_str(t->a, x, "path", egw_get_str(file, "path", ""));
				egw_arr_push(t->a, egw_arr_ensure(t->a, out, "json"), x);
			} else {
				const char *text = ir_str(fmt, "text");
				if (text)
					egw_set_str(t->a, x, "format", text);
				egw_set_str(t->a, x, "path", egw_get_str(file, "path", ""));
				egw_arr_push(t->a, egw_arr_ensure(t->a, out, "text"), x);
			}
		}
	}
	egw_obj_set(t->a, xds, "accessLog", out);
}
