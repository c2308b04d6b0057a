/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extension hooks (see hooks.h).  The context of each call mirrors the
 * context message Envoy Gateway sends its extension server
 * (proto/extension: PostRouteExtensionContext, ...), with each extension
 * resource embedded as the object itself rather than as JSON bytes:
 *
 *   route      {"irName", "hostnames", "extensionResources", "extensionPolicies"}
 *   cluster    {"irName", "backendExtensionResources"}
 *   vhost      {}
 *   listener   {"irName", "extensionResources"}
 *   translate  {"extensionResources"}   (the IR's extensionServerPolicies)
 *
 * Envoy Gateway gives PostClusterModify only the route's extensionRefs whose
 * kind its configuration lists as a backend resource; the xds stage has no
 * such list (its input is the IR), so it passes all of them and calls the
 * hook for every route that has any: the host decides what is a backend.
 */
#include <string.h>

#include "../parse/parse.h"
#include "../util/text.h"
#include "hooks.h"

/* Envoy Gateway's PostEndpointsModify, per ClusterLoadAssignment, context
 * {}.  egw_hook_point does not have it yet: it is the next point appended
 * (EGW_HOOK_POST_ENDPOINTS = 5 with hooks[6]), and until egw.h has that slot
 * the hook is never set and never called. */
#define HOOK_POST_ENDPOINTS ((egw_hook_point)5)
#define HOOK_SLOTS (sizeof((egw_options *)0)->hooks / sizeof((egw_options *)0)->hooks[0])

static const char *const hook_name[] = {
	"PostRouteModify", "PostVirtualHostModify", "PostHTTPListenerModify",
	"PostClusterModify", "PostTranslateModify", "PostEndpointsModify",
};

static egw_hook_fn hook_fn(const xt *x, egw_hook_point p)
{
	return (size_t)p < HOOK_SLOTS ? x->c->opts->hooks[p] : NULL;
}

/* The hook failed: fail-open keeps the resource with a warning; fail-closed
 * fails the fleet, in the hook's own words when it gave some (Envoy Gateway's
 * error is the extension server's), else saying which hook and resource. */
static void hook_failed(xt *x, egw_hook_point p, const char *what, const char *why, bool host_said)
{
	bool open = x->c->opts->hooks_fail_open != 0;
	const char *msg = egw_sprintf(x->a, "extension hook %s failed for %s%s%s%s", hook_name[p], what,
				      why ? ": " : "", why ? why : "",
				      open ? " (fail-open: resource kept)" : "");
	egw_pos none = { 0, 0, 0 };
	egw_diag_at(x->c, EGW_D_HOOK, open ? EGW_SEV_WARNING : EGW_SEV_ERROR, none, NULL, NULL, NULL,
		    msg);
	if (!open)
		xerr(x, "%s", host_said ? why : msg);
}

/* Parses a hook's reply.  The parser's own diagnostics would point into an
 * input buffer the reply is not part of, so they are dropped: the caller
 * reports the failure as the hook's. */
static egw_node *parse_reply(xt *x, egw_str s)
{
	egw_ctx *c = x->c;
	egw_diag_item *tail = c->diag_tail;
	size_t n = c->n_diags;
	egw_node *doc = egw_parse_one(c, 0, s.data, s.len);
	c->diag_tail = tail;
	if (tail)
		tail->next = NULL;
	else
		c->diag_head = NULL;
	c->n_diags = n;
	return doc;
}

/* Calls hook p.  Returns the reply when the hook replaced the resource
 * with an object, NULL when it kept it or failed (failure reported). */
static egw_node *call(xt *x, egw_hook_point p, const egw_node *res, const egw_node *ctx,
		      const char *what)
{
	egw_hook_fn fn = hook_fn(x, p);
	if (!fn)
		return NULL;
	const char *rs = egw_to_json(x->a, res, false);
	const char *cs = egw_to_json(x->a, ctx, false);
	egw_str out = { NULL, 0 };
	int rc = fn(x->c->opts->hooks_ud, p, (egw_str){ rs, strlen(rs) }, (egw_str){ cs, strlen(cs) },
		    &out);
	if (rc != 0) {
		/* a failing hook may say why in *out */
		bool said = out.data && out.len;
		hook_failed(x, p, what, said ? egw_strndup(x->a, out.data, out.len) : NULL, said);
		return NULL;
	}
	if (!out.data)
		return NULL;
	egw_node *doc = parse_reply(x, out);
	if (!doc || doc->kind != EGW_OBJ) {
		hook_failed(x, p, what, "the reply is not a JSON object", false);
		return NULL;
	}
	return doc;
}

/* Replaces node `dst` by `src` in place (Envoy Gateway's deepCopyPtr):
 * arrays and maps that hold dst see the new resource. */
static void replace(egw_node *dst, const egw_node *src)
{
	egw_pos pos = dst->pos;
	*dst = *src;
	dst->pos = pos;
}

/* ARR of the "object" of each entry of IR list `refs` ([{object: {...}}]). */
static egw_node *objects(xt *x, const egw_node *refs)
{
	egw_node *a = xa(x);
	const egw_node *ref;
	EGW_ARR_EACH(refs, i, ref) {
		egw_node *o = G(ref, "object");
		if (o)
			egw_arr_push(x->a, a, o);
	}
	return a;
}

void xds_hook_route(xt *x, egw_node *xr, const egw_node *vh, const egw_node *r)
{
	if (!xr || !hook_fn(x, EGW_HOOK_POST_ROUTE))
		return;
	const egw_node *refs = G(r, "extensionRefs"), *pols = G(r, "extensionServerPolicies");
	if (!egw_len(refs) && !egw_len(pols))
		return;
	egw_node *ctx = xo(x);
	xs(x, ctx, "irName", GS(r, "name"));
	xset(x, ctx, "hostnames", egw_get(vh, "domains") ? egw_get(vh, "domains") : xa(x));
	xset(x, ctx, "extensionResources", objects(x, refs));
	xset(x, ctx, "extensionPolicies", objects(x, pols));
	const char *name = egw_get_str(xr, "name", "");
	egw_node *nw = call(x, EGW_HOOK_POST_ROUTE, xr, ctx, egw_sprintf(x->a, "route %s", name));
	if (nw)
		replace(xr, nw);
}

void xds_hook_route_cluster(xt *x, const egw_node *r)
{
	if (!hook_fn(x, EGW_HOOK_POST_CLUSTER))
		return;
	const egw_node *refs = G(r, "extensionRefs");
	if (!egw_len(refs))
		return;
	const char *cname = GS(G(r, "destination"), "name");
	egw_node *cl = cname ? xfind(x, EGW_XDS_CLUSTER, cname) : NULL;
	if (!cl)
		return;
	egw_node *ctx = xo(x);
	xs(x, ctx, "irName", GS(r, "name"));
	xset(x, ctx, "backendExtensionResources", objects(x, refs));
	egw_node *nw = call(x, EGW_HOOK_POST_CLUSTER, cl, ctx, egw_sprintf(x->a, "cluster %s", cname));
	if (!nw)
		return;
	replace(cl, nw);
	egw_map_put(&x->idx[EGW_XDS_CLUSTER], egw_xds_resource_name(EGW_XDS_CLUSTER, cl), cl);
}

void xds_hook_vhosts(xt *x, egw_node *vlist)
{
	if (!hook_fn(x, EGW_HOOK_POST_VIRTUAL_HOST))
		return;
	egw_node *vh;
	EGW_ARR_EACH(vlist, i, vh) {
		const char *name = egw_get_str(vh, "name", "");
		egw_node *nw = call(x, EGW_HOOK_POST_VIRTUAL_HOST, vh, xo(x),
				    egw_sprintf(x->a, "virtual host %s", name));
		if (nw)
			replace(vh, nw);
	}
}

void xds_hook_listener(xt *x, egw_node *l, const egw_node *irl)
{
	if (!l || !hook_fn(x, EGW_HOOK_POST_HTTP_LISTENER))
		return;
	egw_node *ctx = xo(x);
	xs(x, ctx, "irName", GS(irl, "name"));
	xset(x, ctx, "extensionResources", objects(x, G(irl, "extensionRefs")));
	const char *name = egw_get_str(l, "name", "");
	egw_node *nw = call(x, EGW_HOOK_POST_HTTP_LISTENER, l, ctx,
			    egw_sprintf(x->a, "listener %s", name));
	if (!nw)
		return;
	replace(l, nw);
	egw_map_put(&x->idx[EGW_XDS_LISTENER], egw_xds_resource_name(EGW_XDS_LISTENER, l), l);
}

/* The types PostTranslateModify sees, and their keys in its JSON. */
static const egw_xds_type translate_types[] = {
	EGW_XDS_CLUSTER, EGW_XDS_SECRET, EGW_XDS_LISTENER, EGW_XDS_ROUTE,
};

/* Envoy Gateway calls PostEndpointsModify for the load assignments of HTTP
 * route destinations only (not TCP/UDP, mirrors or telemetry clusters), each
 * once, in the order the assignments were built. */
static void hook_endpoints(xt *x)
{
	if (!hook_fn(x, HOOK_POST_ENDPOINTS))
		return;
	egw_map http;
	egw_map_init(&http, x->a);
	const egw_node *hl, *r;
	EGW_ARR_EACH(G(x->ir, "http"), i, hl)
		EGW_ARR_EACH(G(hl, "routes"), j, r) {
			const char *d = GS(G(r, "destination"), "name");
			if (d)
				egw_map_put(&http, d, (void *)r);
		}
	egw_node *cla;
	EGW_ARR_EACH(x->out->res[EGW_XDS_ENDPOINT], i, cla) {
		const char *name = egw_xds_resource_name(EGW_XDS_ENDPOINT, cla);
		if (!egw_map_get(&http, name))
			continue;
		egw_node *nw = call(x, HOOK_POST_ENDPOINTS, cla, xo(x),
				    egw_sprintf(x->a, "endpoints %s", name));
		if (!nw)
			continue;
		replace(cla, nw);
		egw_map_put(&x->idx[EGW_XDS_ENDPOINT], egw_xds_resource_name(EGW_XDS_ENDPOINT, cla), cla);
	}
}

void xds_hook_translate(xt *x)
{
	hook_endpoints(x);
	if (!hook_fn(x, EGW_HOOK_POST_TRANSLATE))
		return;
	egw_node *res = xo(x);
	for (size_t i = 0; i < sizeof translate_types / sizeof translate_types[0]; i++) {
		egw_xds_type t = translate_types[i];
		xset(x, res, egw_xds_type_key[t], x->out->res[t] ? x->out->res[t] : xa(x));
	}
	egw_node *ctx = xo(x);
	xset(x, ctx, "extensionResources", objects(x, G(x->ir, "extensionServerPolicies")));
	egw_node *nw = call(x, EGW_HOOK_POST_TRANSLATE, res, ctx, "the translation");
	if (!nw)
		return;
	/* every type the reply names is replaced, a type it leaves out kept;
	 * a malformed reply changes nothing */
	size_t nt = sizeof translate_types / sizeof translate_types[0];
	for (size_t i = 0; i < nt; i++) {
		const char *key = egw_xds_type_key[translate_types[i]];
		const egw_node *arr = egw_get(nw, key), *it;
		bool ok = !arr || arr->kind == EGW_ARR;
		EGW_ARR_EACH(arr, j, it)
			ok = ok && it->kind == EGW_OBJ;
		if (!ok) {
			hook_failed(x, EGW_HOOK_POST_TRANSLATE, "the translation",
				    egw_sprintf(x->a, "\"%s\" is not a list of objects", key), false);
			return;
		}
	}
	for (size_t i = 0; i < nt; i++) {
		egw_xds_type t = translate_types[i];
		egw_node *arr = egw_get(nw, egw_xds_type_key[t]), *it;
		if (!arr)
			continue;
		egw_map_init(&x->idx[t], x->a);
		EGW_ARR_EACH(arr, j, it)
			egw_map_put(&x->idx[t], egw_xds_resource_name(t, it), it);
		x->out->res[t] = arr;
	}
}
