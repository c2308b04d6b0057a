/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route attachment (parentRefs to listeners, with Envoy Gateway's route
 * parent conditions) and the per-kind translation of HTTPRoute, GRPCRoute,
 * TLSRoute, TCPRoute and UDPRoute into IR routes on the fleet listeners.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#include "route.h"

/* ---- parent refs ---- */

static bool listener_allows_kind(ir_lis *l, const char *kind)
{
	egw_node *k;
	EGW_ARR_EACH(l->kinds, i, k)
	{
		if (ir_streq(ir_str(k, "kind"), kind))
			return true;
	}
	return false;
}

static bool listener_allows_ns(ir_tr *t, ir_lis *l, const char *ns)
{
	/* the route's Namespace must be known to attach at all */
	if (!egw_res_find(t->rs, EGW_K_NAMESPACE, "", ns))
		return false;
	if (!strcmp(l->from, "All"))
		return true;
	if (!strcmp(l->from, "Selector")) {
		if (!l->selector)
			return false;
		egw_object *n = egw_res_find(t->rs, EGW_K_NAMESPACE, "", ns);
		egw_node *labels = n ? egw_path(n->node, "metadata.labels") : NULL;
		return ir_label_selector_matches(l->selector, labels);
	}
	return ir_streq(ns, l->lset ? l->lset->ns : l->gw->ns);
}

static bool resolve_parents(ir_tr *t, rctx *r)
{
	egw_node *refs = egw_path(r->o->node, "spec.parentRefs");
	r->ps = EGW_NEWN(t->tmp, rparent, egw_len(refs) + 1);
	egw_node *p;
	EGW_ARR_EACH(refs, i, p)
	{
		const char *grp = ir_str(p, "group");
		const char *kind = ir_str(p, "kind");
		if (grp && strcmp(grp, GW_GROUP))
			continue;
		if (kind && strcmp(kind, "Gateway") && strcmp(kind, "ListenerSet"))
			continue;
		const char *ns = ir_str(p, "namespace");
		if (!ns || !*ns)
			ns = r->o->ns;
		egw_object *lset = NULL;
		ir_gw *g;
		if (kind && !strcmp(kind, "ListenerSet")) {
			lset = egw_res_find(t->rs, EGW_K_LISTENERSET, ns, egw_get_str(p, "name", ""));
			if (!lset || !lset->status)
				continue;
			egw_node *lpr = egw_path(lset->node, "spec.parentRef");
			const char *gns = ir_str(lpr, "namespace");
			if (!gns || !*gns)
				gns = lset->ns;
			g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", gns, egw_get_str(lpr, "name", "")));
		} else {
			g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", ns, egw_get_str(p, "name", "")));
		}
		if (!g || !g->accepted || g->routes_blocked)
			continue;
		rparent *rp = &r->ps[r->nps++];
		rp->pref = p;
		/* BackendTLSPolicy ancestors name the parentRef as the route
		 * wrote it (a missing namespace stays missing), as Envoy
		 * Gateway's do; input is read-only, so they share it */
		rp->anc = egw_frozen(p) ? p : egw_clone(t->a, p);
		rp->g = g;
		rp->st = ir_route_parent(t, r->o, p);
		rp->conds = egw_get(rp->st, "conditions");
		const char *sec = ir_str(p, "sectionName");
		egw_node *portn = egw_get(p, "port");
		int64_t port = 0;
		bool has_port = portn && egw_node_int(portn, &port);
		rp->ls = EGW_NEWN(t->tmp, ir_lis *, g->nls + 1);
		size_t nsel = 0;
		for (size_t j = 0; j < g->nls; j++) {
			ir_lis *l = g->ls[j];
			if (l->lset != lset)
				continue;
			if (sec && strcmp(sec, l->name))
				continue;
			if (has_port && port != l->port)
				continue;
			nsel++;
			if (listener_allows_kind(l, r->kind) && listener_allows_ns(t, l, r->o->ns))
				rp->ls[rp->nls++] = l;
		}
		if (!nsel) {
			ir_cond(t, rp->conds, "Accepted", false, "NoMatchingParent",
				"No listeners match this parent ref");
			continue;
		}
		if (!rp->nls) {
			ir_cond(t, rp->conds, "Accepted", false, "NotAllowedByListeners",
				"No listeners included by this parent ref allowed this attachment.");
			continue;
		}
	}
	return r->nps > 0;
}

/* ---- matches and filters ---- */

static egw_node *string_match(ir_tr *t, const char *name, const char *how, const char *v)
{
	egw_node *m = egw_obj(t->a);
	if (name)
		egw_set_str(t->a, m, "name", name);
	egw_set_str(t->a, m, how, v);
	return m;
}

static egw_node *route_meta(ir_tr *t, rctx *r, egw_node *rule)
{
	egw_node *m = ir_meta(t, r->kind, r->o->ns, r->o->name, ir_str(rule, "name"));
	egw_member *a;
	egw_node *ann = NULL;
	EGW_OBJ_EACH(egw_path(r->o->node, "metadata.annotations"), i, a)
	{
		if (!strncmp(a->key, "gateway.envoyproxy.io/", 22)) {
			if (!ann)
				ann = egw_arr(t->a);
			egw_node *kv = egw_obj(t->a);
			egw_set_str(t->a, kv, "key", a->key + 22);
			egw_obj_set(t->a, kv, "value", egw_clone(t->a, a->val));
			size_t at = ann->n;
			egw_arr_push(t->a, ann, kv);
			while (at > 0 && strcmp(egw_get_str(ann->c.items[at - 1], "key", ""), a->key + 22) > 0) {
				ann->c.items[at] = ann->c.items[at - 1];
				ann->c.items[at - 1] = kv;
				at--;
			}
		}
	}
	if (ann)
		egw_obj_set(t->a, m, "annotations", ann);
	return m;
}

static void route_timeouts(ir_tr *t, egw_node *x, egw_node *rule)
{
	egw_node *to = egw_get(rule, "timeouts");
	egw_node *retry = egw_get(rule, "retry");
	double s;
	const char *req = ir_str(to, "request");
	if (req) {
		if (!ir_parse_duration(req, &s))
			s = 15;
		egw_set_str(t->a, x, "timeout", ir_fmt_duration(t, s));
	}
	const char *breq = ir_str(to, "backendRequest");
	if (breq && !retry) {
		if (!ir_parse_duration(breq, &s))
			s = 15;
		egw_set_str(t->a, x, "timeout", ir_fmt_duration(t, s));
	}
	if (retry) {
		egw_node *rr = egw_set_obj(t->a, x, "retry");
		egw_node *att = egw_get(retry, "attempts");
		if (att)
			egw_obj_set(t->a, rr, "numRetries", egw_clone(t->a, att));
		const char *bo = ir_str(retry, "backoff");
		if (bo && ir_parse_duration(bo, &s)) {
			egw_node *pr = egw_set_obj(t->a, rr, "perRetry");
			egw_set_str(t->a, egw_set_obj(t->a, pr, "backOff"), "baseInterval", ir_fmt_duration(t, s));
			double s2;
			if (breq && ir_parse_duration(breq, &s2))
				egw_set_str(t->a, pr, "timeout", ir_fmt_duration(t, s2));
		}
		egw_node *codes = egw_get(retry, "codes");
		if (egw_len(codes)) {
			egw_node *ro = egw_set_obj(t->a, rr, "retryOn");
			egw_obj_set(t->a, ro, "httpStatusCodes", egw_clone(t->a, codes));
		}
	}
}

/* IR routes of one HTTPRoute/GRPCRoute rule (without hostnames). */
static egw_node *http_rule_routes(ir_tr *t, rctx *r, egw_node *rule, size_t ri, filt *f,
				  rerrs *es, bool *rule_failed)
{
	egw_node *out = egw_arr(t->a);
	egw_node *matches = egw_get(rule, "matches");
	bool grpc = !strcmp(r->kind, "GRPCRoute");
	egw_node *meta = route_meta(t, r, rule);
	egw_node *sp = NULL;
	egw_node *spc = egw_get(rule, "sessionPersistence");
	if (spc && !grpc) {
		const char *sname = ir_str(spc, "sessionName");
		if (!sname) {
			char *n = egw_sprintf(t->a, "%s/%s/%s/rule/%zu", r->prefix, r->o->ns, r->o->name, ri);
			for (char *p = n; *p; p++)
				if (*p == '/')
					*p = '-';
			sname = n;
		}
		const char *ty = egw_get_str(spc, "type", "Cookie");
		sp = egw_obj(t->a);
		if (!strcmp(ty, "Header")) {
			egw_set_str(t->a, egw_set_obj(t->a, sp, "header"), "name", sname);
		} else {
			egw_node *ck = egw_set_obj(t->a, sp, "cookie");
			egw_set_str(t->a, ck, "name", sname);
			double s;
			const char *abs = ir_str(spc, "absoluteTimeout");
			if (abs && ir_streq(egw_text(egw_path(spc, "cookieConfig.lifetimeType")), "Permanent") &&
			    ir_parse_duration(abs, &s))
				egw_set_str(t->a, ck, "ttl", ir_fmt_duration(t, s));
		}
	}
	size_t nbase = egw_len(matches);
	size_t nfm = grpc ? 0 : egw_len(f->matches);
	size_t nm = nfm ? (nbase ? nbase : 1) * nfm : nbase;
	for (size_t mi = 0; mi < (nm ? nm : 1); mi++) {
		egw_node *m = nfm ? egw_at(matches, mi / nfm) : nm ? egw_at(matches, mi) : NULL;
		egw_node *fm = nfm ? egw_at(f->matches, mi % nfm) : NULL;
		egw_node *x = egw_obj(t->a);
		if (nm)
			egw_set_str(t->a, x, "name",
				    egw_sprintf(t->a, "%s/%s/%s/rule/%zu/match/%zu", r->prefix, r->o->ns,
						r->o->name, ri, mi));
		else
			egw_set_str(t->a, x, "name",
				    egw_sprintf(t->a, "%s/%s/%s/rule/%zu/match/-1", r->prefix, r->o->ns,
						r->o->name, ri));
		egw_obj_set(t->a, x, "metadata", meta);
		if (sp)
			egw_obj_set(t->a, x, "sessionPersistence", sp);
		if (!grpc)
			route_timeouts(t, x, rule);
		egw_node *hm = NULL;
		if (!grpc) {
			egw_node *path = egw_get(m, "path");
			if (path) {
				const char *ty = egw_get_str(path, "type", "PathPrefix");
				const char *v = egw_get_str(path, "value", "/");
				if (!strcmp(ty, "Exact"))
					egw_obj_set(t->a, x, "pathMatch", string_match(t, NULL, "exact", v));
				else if (!strcmp(ty, "RegularExpression"))
					egw_obj_set(t->a, x, "pathMatch", string_match(t, NULL, "safeRegex", v));
				else
					egw_obj_set(t->a, x, "pathMatch", string_match(t, NULL, "prefix", v));
			}
		}
		egw_node *h;
		EGW_ARR_EACH(egw_get(m, "headers"), hi, h)
		{
			if (!hm)
				hm = egw_arr(t->a);
			const char *ty = egw_get_str(h, "type", "Exact");
			egw_arr_push(t->a, hm,
				     string_match(t, egw_get_str(h, "name", ""),
						  !strcmp(ty, "RegularExpression") ? "safeRegex" : "exact",
						  egw_get_str(h, "value", "")));
		}
		if (!grpc) {
			egw_node *qm = NULL;
			EGW_ARR_EACH(egw_get(m, "queryParams"), qi, h)
			{
				if (!qm)
					qm = egw_arr(t->a);
				const char *ty = egw_get_str(h, "type", "Exact");
				egw_arr_push(t->a, qm,
					     string_match(t, egw_get_str(h, "name", ""),
							  !strcmp(ty, "RegularExpression") ? "safeRegex" : "exact",
							  egw_get_str(h, "value", "")));
			}
			if (qm)
				egw_obj_set(t->a, x, "queryParamMatches", qm);
			const char *method = ir_str(m, "method");
			if (method) {
				if (!hm)
					hm = egw_arr(t->a);
				egw_arr_push(t->a, hm, string_match(t, ":method", "exact", method));
			}
		} else {
			egw_node *md = egw_get(m, "method");
			if (md) {
				const char *svc = ir_str(md, "service"), *meth = ir_str(md, "method");
				const char *ty = egw_get_str(md, "type", "Exact");
				if (!strcmp(ty, "RegularExpression")) {
					const char *v = svc && meth ? egw_sprintf(t->a, "/%s/%s", svc, meth)
						: meth ? egw_sprintf(t->a, "/%s/%s", "(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*", meth)
						: svc ? egw_sprintf(t->a, "/%s/%s", svc, "[A-Za-z_][A-Za-z_0-9]*") : NULL;
					if (v)
						egw_obj_set(t->a, x, "pathMatch", string_match(t, NULL, "safeRegex", v));
				} else if (svc && meth) {
					egw_obj_set(t->a, x, "pathMatch",
						    string_match(t, NULL, "exact", egw_sprintf(t->a, "/%s/%s", svc, meth)));
				} else if (meth) {
					if (!hm)
						hm = egw_arr(t->a);
					egw_arr_push(t->a, hm,
						     string_match(t, ":path", "suffix", egw_sprintf(t->a, "/%s", meth)));
				} else if (svc) {
					egw_obj_set(t->a, x, "pathMatch",
						    string_match(t, NULL, "prefix", egw_sprintf(t->a, "/%s", svc)));
				}
			}
		}
		if (hm)
			egw_obj_set(t->a, x, "headerMatches", hm);
		egw_node *ck;
		egw_node *cm = NULL;
		EGW_ARR_EACH(egw_get(fm, "cookies"), ci, ck)
		{
			if (!cm)
				cm = egw_set_arr(t->a, x, "cookieMatches");
			const char *ty = egw_get_str(ck, "type", "Exact");
			egw_arr_push(t->a, cm,
				     string_match(t, egw_get_str(ck, "name", ""),
						  !strcmp(ty, "RegularExpression") ? "safeRegex" : "exact",
						  egw_get_str(ck, "value", "")));
		}
		/* regular expressions must compile (Envoy would reject the route) */
		const char *bad = NULL;
		egw_node *pmx = egw_get(x, "pathMatch");
		if (ir_str(pmx, "safeRegex") && !ir_regex_valid(ir_str(pmx, "safeRegex")))
			bad = ir_str(pmx, "safeRegex");
		static const char *mlists[] = { "headerMatches", "queryParamMatches", "cookieMatches" };
		for (int li = 0; li < 3 && !bad; li++) {
			egw_node *sm;
			EGW_ARR_EACH(egw_get(x, mlists[li]), si, sm)
			{
				if (ir_str(sm, "safeRegex") && !ir_regex_valid(ir_str(sm, "safeRegex")))
					bad = ir_str(sm, "safeRegex");
			}
		}
		if (bad) {
			ir_err_add(t, es, "Accepted", "UnsupportedValue",
				   egw_sprintf(t->a,
					       "failed to process route rule %zu: regex \"%s\" is invalid: error parsing regexp: missing argument to repetition operator: `%c`",
					       ri, bad, ir_regex_bad_op(bad)));
			*rule_failed = true;
			return NULL;
		}
		ir_apply_filters(t, x, f);
		egw_arr_push(t->a, out, x);
		const char *method = grpc ? NULL : ir_str(m, "method");
		if (f->cors && method && strcmp(method, "OPTIONS") && !cm) {
			egw_node *c = egw_obj(t->a);
			egw_set_str(t->a, c, "name", egw_sprintf(t->a, "%s/cors-preflight", egw_get_str(x, "name", "")));
			egw_obj_set(t->a, c, "metadata", meta);
			if (egw_get(x, "pathMatch"))
				egw_obj_set(t->a, c, "pathMatch", egw_get(x, "pathMatch"));
			if (egw_get(x, "queryParamMatches"))
				egw_obj_set(t->a, c, "queryParamMatches", egw_get(x, "queryParamMatches"));
			egw_obj_set(t->a, c, "cors", f->cors);
			egw_node *ch = egw_set_arr(t->a, c, "headerMatches");
			egw_node *h2;
			EGW_ARR_EACH(hm, hi2, h2)
			{
				if (!ir_streq(ir_str(h2, "name"), ":method"))
					egw_arr_push(t->a, ch, h2);
			}
			egw_arr_push(t->a, ch, string_match(t, ":method", "exact", "OPTIONS"));
			egw_arr_push(t->a, ch, string_match(t, "origin", "safeRegex", ".*"));
			egw_arr_push(t->a, ch, string_match(t, "access-control-request-method", "safeRegex", ".*"));
			egw_arr_push(t->a, out, c);
		}
	}
	return out;
}

static const char *route_protocol(rctx *r)
{
	if (!strcmp(r->kind, "GRPCRoute"))
		return "GRPC";
	if (!strcmp(r->kind, "UDPRoute"))
		return "UDP";
	if (!strcmp(r->kind, "HTTPRoute"))
		return "HTTP";
	return "TCP";
}

/* Destination settings of one rule; returns the ARR (weight-0 refs dropped). */
static egw_node *rule_settings(ir_tr *t, rctx *r, rparent *rp, egw_node *rule, long ri,
			       const char *dest, rerrs *es, bool *dest_err, bool *no_ep)
{
	egw_node *all = egw_arr(t->a);
	egw_node *b;
	t->cur_parent = rp->anc;
	bool unsafe = ir_merge_rule_unsafe(t, rp->g, r->o, r->kind, rule);
	bool rt_div = false;
	/* a listener policy's routingType counts when the route has one listener there */
	const char *lis = rp->nls == 1 && !rp->ls[0]->lset ? rp->ls[0]->name : NULL;
	t->svc_routing = ir_service_routing(t, rp->g, r->o, r->kind, ir_str(rule, "name"), lis, &rt_div);
	if (rt_div)
		unsafe = true;
	EGW_ARR_EACH(egw_get(rule, "backendRefs"), bi, b)
	{
		const char *sname = egw_sprintf(t->a, "%s/backend/%zu", dest, bi);
		ir_dest_err err = { 0 };
		egw_node *ds = ir_backend_setting(t, r->o, r->kind, b, sname, rp->g, &err);
		if (ds && egw_len(egw_get(b, "filters"))) {
			const char *ferr = NULL, *freason = NULL;
			egw_node *bf = ir_backend_filters(t, r, egw_get(b, "filters"), &ferr, &freason);
			if (ferr) {
				err.reason = freason;
				err.msg = ferr;
				ds = NULL;
			} else if (bf) {
				egw_obj_set(t->a, ds, "filters", bf);
			}
		}
		if (!ds) {
			if (err.no_endpoints) {
				*no_ep = true;
				ir_err_add(t, es, "BackendsAvailable", err.reason,
					egw_sprintf(t->a, "failed to find endpoints: %s", err.msg));
				continue;
			}
			/* an L4 route's backend errors are printed as they come,
			 * an HTTP route's as sentences */
			if (ri >= 0)
				ir_err_add(t, es, "ResolvedRefs", err.reason,
					   egw_sprintf(t->a, "failed to process route rule %ld backendRef %zu: %s",
						       ri, bi, err.msg));
			else
				ir_err_add_raw(t, es, "ResolvedRefs", err.reason, err.msg);
			*dest_err = true;
			ds = egw_obj(t->a);
			egw_set_str(t->a, ds, "name", sname);
			int64_t w = egw_get_int(b, "weight", 1);
			egw_set_int(t->a, ds, "weight", w);
			egw_set_bool(t->a, ds, "invalid", true);
			if (w == 0)
				continue;
			egw_arr_push(t->a, all, ds);
			continue;
		}
		if (egw_get_int(ds, "weight", 1) == 0)
			continue;
		const char *bns = ir_str(b, "namespace");
		if (!unsafe && ir_merge_ref_ok(t, rp->g, b, ds, bns && *bns ? bns : r->o->ns))
			egw_set_bool(t->a, ds, "_merge", true);
		egw_arr_push(t->a, all, ds);
	}
	t->svc_routing = false;
	(void)route_protocol;
	return all;
}

static int64_t valid_weight(egw_node *settings)
{
	int64_t w = 0;
	egw_node *s;
	EGW_ARR_EACH(settings, i, s)
	{
		if (egw_get_bool(s, "invalid", false))
			continue;
		w += egw_get_int(s, "weight", 1);
	}
	return w;
}

static void set_direct(ir_tr *t, egw_node *routes, int code)
{
	egw_node *x;
	EGW_ARR_EACH(routes, i, x)
	{
		if (egw_get(x, "directResponse") || egw_get(x, "redirect"))
			continue;
		egw_set_int(t->a, egw_set_obj(t->a, x, "directResponse"), "statusCode", code);
	}
}


/* The cluster's stat name from the EnvoyProxy's clusterStatName template,
 * or NULL when there is none. */
static const char *cluster_stat_name(ir_tr *t, rctx *r, rparent *rp, egw_node *rule, size_t ri)
{
	const char *tmpl = egw_text(egw_path(rp->g->ep, "spec.telemetry.metrics.clusterStatName"));
	if (!tmpl)
		return NULL;
	egw_buf refs;
	egw_buf_init(&refs, t->a);
	egw_node *br;
	EGW_ARR_EACH(egw_get(rule, "backendRefs"), i, br)
	egw_buf_printf(&refs, "%s%s/%s", refs.len ? "|" : "", egw_get_str(br, "namespace", r->o->ns),
		       egw_get_str(br, "name", ""));
	const char *rule_name = ir_str(rule, "name");
	struct {
		const char *var, *val;
	} vars[] = {
		{ "%ROUTE_KIND%", r->prefix },
		{ "%ROUTE_NAMESPACE%", r->o->ns },
		{ "%ROUTE_NAME%", r->o->name },
		{ "%ROUTE_RULE_NAME%", rule_name && *rule_name ? rule_name : "-" },
		{ "%ROUTE_RULE_NUMBER%", egw_sprintf(t->a, "%zu", ri) },
		{ "%BACKEND_REFS%", egw_buf_str(&refs) },
	};
	egw_buf b;
	egw_buf_init(&b, t->a);
	for (const char *q = tmpl; *q;) {
		size_t i = 0;
		while (i < sizeof vars / sizeof vars[0] && strncmp(q, vars[i].var, strlen(vars[i].var)))
			i++;
		if (i < sizeof vars / sizeof vars[0]) {
			egw_buf_puts(&b, vars[i].val);
			q += strlen(vars[i].var);
		} else {
			egw_buf_putc(&b, *q++);
		}
	}
	return egw_buf_str(&b);
}

static egw_node *http_parent_routes(ir_tr *t, rctx *r, rparent *rp, rerrs *es, size_t *n_unaccepted,
				    egw_buf *unaccepted)
{
	egw_node *all = egw_arr(t->a);
	egw_node *rule;
	EGW_ARR_EACH(egw_path(r->o->node, "spec.rules"), ri, rule)
	{
		filt f;
		memset(&f, 0, sizeof f);
		rerrs fe;
		memset(&fe, 0, sizeof fe);
		ir_process_filters(t, r, egw_get(rule, "filters"), ri, &f, &fe);
		for (size_t i = 0; i < fe.n; i++) {
			/* re-add grouped filter errors */
			const char *msgs = egw_buf_str(&fe.e[i].msgs);
			ir_err_add(t, es, fe.e[i].type, egw_buf_str(&fe.e[i].reasons), msgs);
			if (!strcmp(fe.e[i].type, "Accepted")) {
				egw_buf_printf(unaccepted, "%s%zu", *n_unaccepted ? " " : "", ri);
				(*n_unaccepted)++;
			}
		}
		bool rule_failed = false;
		egw_node *routes = http_rule_routes(t, r, rule, ri, &f, es, &rule_failed);
		if (!routes) {
			egw_buf_printf(unaccepted, "%s%zu", *n_unaccepted ? " " : "", ri);
			(*n_unaccepted)++;
			continue;
		}
		const char *dest = egw_sprintf(t->a, "%s/%s/%s/rule/%zu", r->prefix, r->o->ns, r->o->name, ri);
		bool dest_err = false, no_ep = false;
		egw_node *settings = rule_settings(t, r, rp, rule, (long)ri, dest, es, &dest_err, &no_ep);
		int64_t vw = valid_weight(settings);
		egw_node *xrefs = NULL, *sx0;
		EGW_ARR_EACH(settings, si0, sx0)
		{
			egw_node *xo = egw_obj_del(sx0, "_ext");
			if (xo) {
				if (!xrefs)
					xrefs = egw_arr(t->a);
				egw_obj_set(t->a, egw_arr_push(t->a, xrefs, egw_obj(t->a)), "object", xo);
			}
		}
		if (xrefs) {
			egw_node *x0;
			EGW_ARR_EACH(routes, k0, x0)
			{
				egw_node *er = egw_arr_ensure(t->a, x0, "extensionRefs");
				egw_node *e0;
				EGW_ARR_EACH(xrefs, j0, e0)
				egw_arr_push(t->a, er, e0);
			}
		}
		bool dyn = false;
		egw_node *sx;
		EGW_ARR_EACH(settings, si, sx)
		dyn = dyn || egw_get_bool(sx, "isDynamicResolver", false);
		if (f.failed) {
			egw_node *x;
			EGW_ARR_EACH(routes, k, x)
			egw_set_int(t->a, egw_set_obj(t->a, x, "directResponse"), "statusCode", 500);
		} else if (dest_err && vw == 0) {
			set_direct(t, routes, 500);
		} else if (no_ep && vw == 0) {
			set_direct(t, routes, 503);
		} else if (vw == 0) {
			set_direct(t, routes, 500);
		} else if (dyn && egw_path(f.rewrite, "host.pathRegex")) {
			set_direct(t, routes, 500);
			ir_err_add(t, es, "ResolvedRefs", "UnsupportedValue",
				   egw_sprintf(t->a, "failed to process route rule %zu: host rewrite from path (PathRegex) is not supported with a dynamic resolver backend", ri));
		} else if (dyn && egw_len(egw_get(rule, "backendRefs")) > 1) {
			set_direct(t, routes, 500);
			ir_err_add(t, es, "ResolvedRefs", "InvalidBackendRef",
				   egw_sprintf(t->a, "failed to process route rule %zu: dynamic resolver is not supported for multiple backendRefs", ri));
		} else {
			egw_node *x;
			EGW_ARR_EACH(routes, k, x)
			{
				if (egw_get(x, "directResponse") || egw_get(x, "redirect"))
					continue;
				egw_node *d = egw_set_obj(t->a, x, "destination");
				egw_set_str(t->a, d, "name", dest);
				egw_obj_set(t->a, d, "settings", settings);
				egw_obj_set(t->a, d, "metadata", egw_get(x, "metadata"));
				const char *sn = cluster_stat_name(t, r, rp, rule, ri);
				if (sn)
					egw_set_str(t->a, d, "statName", sn);
			}
		}
		egw_node *x;
		EGW_ARR_EACH(routes, k, x)
		egw_arr_push(t->a, all, x);
	}
	return all;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Aggregated reasons are listed in sorted order. */
static const char *sorted_reasons(ir_tr *t, const char *s)
{
	if (!strchr(s, ','))
		return s;
	char *c = egw_strdup(t->a, s);
	const char *parts[16];
	size_t n = 0;
	for (char *p = strtok(c, ","); p && n < 16; p = strtok(NULL, ","))
		parts[n++] = p;
	qsort(parts, n, sizeof parts[0], cmp_cstr);
	egw_buf b;
	egw_buf_init(&b, t->a);
	for (size_t i = 0; i < n; i++)
		egw_buf_printf(&b, "%s%s", i ? "," : "", parts[i]);
	return egw_buf_str(&b);
}

static void set_errors(ir_tr *t, rctx *r, rparent *rp, rerrs *es, size_t n_unaccepted,
		       egw_buf *unaccepted)
{
	size_t nrules = egw_len(egw_path(r->o->node, "spec.rules"));
	for (size_t i = 0; i < es->n; i++) {
		rerr *e = &es->e[i];
		const char *reason = sorted_reasons(t, egw_buf_str(&e->reasons));
		const char *msg = egw_buf_str(&e->msgs);
		if (!strcmp(e->type, "Accepted")) {
			if (n_unaccepted == nrules) {
				ir_cond(t, rp->conds, "Accepted", false, reason, msg);
			} else {
				ir_cond(t, rp->conds, "PartiallyInvalid", true, reason,
					egw_sprintf(t->a, "Dropped Rule(s) [%s]: %s", egw_buf_str(unaccepted), msg));
				ir_cond(t, rp->conds, "Accepted", true, "Accepted", "Route is accepted");
			}
		} else {
			ir_cond(t, rp->conds, e->type, false, reason, msg);
		}
	}
}

static void attach_http(ir_tr *t, rctx *r, rparent *rp, egw_node *routes, bool *intersect)
{
	egw_node *rhosts = egw_path(r->o->node, "spec.hostnames");
	*intersect = rp->nls == 0;
	/* the listeners that take the routes, and their hostnames; each route
	 * is copied for every (listener, hostname) but the last, which takes
	 * the route built for this parent itself (nothing reads it after) */
	egw_unshare(t->a, routes);
	egw_node **lhosts = egw_alloc(t->a, (rp->nls ? rp->nls : 1) * sizeof *lhosts);
	size_t last = 0;
	for (size_t i = 0; i < rp->nls; i++) {
		ir_lis *l = rp->ls[i];
		egw_node *hosts = ir_compute_hosts(t, rhosts, l);
		if (!hosts->n)
			continue;
		*intersect = true;
		l->attached++;
		if (!l->ready || !l->xl || l->xk != XL_HTTP)
			continue;
		lhosts[i] = hosts;
		last = i + 1;
	}
	for (size_t i = 0; i < rp->nls; i++) {
		ir_lis *l = rp->ls[i];
		egw_node *hosts = lhosts[i];
		if (!hosts)
			continue;
		egw_node *lr = egw_arr_ensure(t->a, l->xl, "routes");
		egw_node *h;
		EGW_ARR_EACH(hosts, hi, h)
		{
			bool final = i + 1 == last && hi + 1 == hosts->n;
			egw_node *x;
			EGW_ARR_EACH(routes, k, x)
			{
				egw_node *c = final ? x : egw_clone(t->a, x);
				egw_node *rd = egw_get(c, "redirect");
				if (rd && !egw_get(rd, "port")) {
					int64_t port = l->port;
					const char *sch = ir_str(rd, "scheme");
					if (sch && !strcasecmp(sch, "http"))
						port = 80;
					else if (sch && !strcasecmp(sch, "https"))
						port = 443;
					egw_set_int(t->a, rd, "port", port);
				}
				egw_set_str(t->a, c, "name",
					    egw_sprintf(t->a, "%s/%s", egw_get_str(x, "name", ""),
							ir_underscore_dots(t, egw_text(h))));
				egw_set_str(t->a, c, "hostname", egw_text(h));
				egw_set_bool(t->a, c, "isHTTP2", !strcmp(r->kind, "GRPCRoute"));
				if (egw_get(c, "destination"))
					ir_merge_apply(t, l->gw, egw_get(c, "destination"),
						       ir_merge_diverges(t, l, r->o, r->kind,
									 ir_str(egw_get(c, "metadata"), "sectionName")));
				egw_arr_push(t->a, lr, c);
			}
		}
		if (!strcmp(r->kind, "GRPCRoute")) {
			egw_node *gs = egw_obj_ensure(t->a, l->xl, "grpc");
			egw_set_bool(t->a, gs, "enableGRPCWeb", true);
			egw_set_bool(t->a, gs, "enableGRPCStats", true);
		}
	}
}

static void finish_parent(ir_tr *t, rctx *r, rparent *rp, bool intersect)
{
	if (!ir_cond_is(rp->conds, "ResolvedRefs", false))
		ir_cond(t, rp->conds, "ResolvedRefs", true, "ResolvedRefs",
			"Resolved all the Object references for the Route");
	if (!intersect)
		ir_cond(t, rp->conds, "Accepted", false, "NoMatchingListenerHostname",
			egw_sprintf(t->a,
				    "There were no hostname intersections between the %s and this parent ref's Listener(s).",
				    r->kind));
	if (!ir_cond_find(rp->conds, "Accepted"))
		ir_cond(t, rp->conds, "Accepted", true, "Accepted", "Route is accepted");
}

static void process_http(ir_tr *t, rctx *r)
{
	for (size_t i = 0; i < r->nps; i++) {
		rparent *rp = &r->ps[i];
		rerrs es;
		memset(&es, 0, sizeof es);
		egw_buf unacc;
		egw_buf_init(&unacc, t->a);
		size_t nun = 0;
		egw_node *routes = http_parent_routes(t, r, rp, &es, &nun, &unacc);
		set_errors(t, r, rp, &es, nun, &unacc);
		if (!ir_cond_is(rp->conds, "ResolvedRefs", false))
			ir_cond(t, rp->conds, "ResolvedRefs", true, "ResolvedRefs",
				"Resolved all the Object references for the Route");
		bool inter;
		attach_http(t, r, rp, routes, &inter);
		finish_parent(t, r, rp, inter);
	}
}

static void process_l4(ir_tr *t, rctx *r)
{
	bool tls = !strcmp(r->kind, "TLSRoute");
	bool udp = !strcmp(r->kind, "UDPRoute");
	egw_node *rules = egw_path(r->o->node, "spec.rules");
	for (size_t i = 0; i < r->nps; i++) {
		rparent *rp = &r->ps[i];
		const char *dest = egw_sprintf(t->a, "%s/%s/%s/rule/-1", r->prefix, r->o->ns, r->o->name);
		rerrs es;
		memset(&es, 0, sizeof es);
		bool dest_err = false, no_ep = false;
		egw_node *settings = egw_arr(t->a);
		egw_node *rule;
		if (!tls && egw_len(rules) != 1) {
			ir_cond(t, rp->conds, "Accepted", false, "InvalidRule", "One and only one rule is supported");
			continue;
		}
		EGW_ARR_EACH(rules, ri, rule)
		{
			egw_node *s = rule_settings(t, r, rp, rule, -1, dest, &es, &dest_err, &no_ep);
			egw_node *x;
			EGW_ARR_EACH(s, k, x)
			{
				if (egw_get_bool(x, "invalid", false))
					continue;
				egw_arr_push(t->a, settings, x);
			}
		}
		bool dyn = false;
		size_t nrefs = 0;
		egw_node *sx;
		EGW_ARR_EACH(settings, si, sx)
		dyn = dyn || egw_get_bool(sx, "isDynamicResolver", false);
		EGW_ARR_EACH(rules, ri2, rule)
		nrefs += egw_len(egw_get(rule, "backendRefs"));
		for (size_t k = 0; k < es.n; k++)
			ir_cond(t, rp->conds, es.e[k].type, false, egw_buf_str(&es.e[k].reasons),
				egw_buf_str(&es.e[k].msgs));
		if (dyn && nrefs > 1) {
			ir_cond(t, rp->conds, "ResolvedRefs", false, "InvalidBackendRef",
				"dynamic resolver is not supported for multiple backendRefs");
			settings = egw_arr(t->a);
			dyn = false;
		}
		if (!ir_cond_is(rp->conds, "ResolvedRefs", false))
			ir_cond(t, rp->conds, "ResolvedRefs", true, "ResolvedRefs",
				"Resolved all the Object references for the Route");
		bool inter = !tls || rp->nls == 0;
		for (size_t li = 0; li < rp->nls; li++) {
			ir_lis *l = rp->ls[li];
			egw_node *hosts = NULL;
			if (tls) {
				hosts = ir_compute_hosts(t, egw_path(r->o->node, "spec.hostnames"), l);
				if (!hosts->n)
					continue;
				inter = true;
			}
			l->attached++;
			if (!l->ready || !l->xl)
				continue;
			egw_node *x = egw_obj(t->a);
			egw_node *meta = ir_meta(t, r->kind, r->o->ns, r->o->name, NULL);
			egw_node *d = egw_obj(t->a);
			egw_set_str(t->a, d, "name", dest);
			egw_obj_set(t->a, d, "settings", settings);
			const char *rname = egw_len(rules) == 1 ? ir_str(egw_at(rules, 0), "name") : NULL;
			egw_obj_set(t->a, d, "metadata",
				    rname ? ir_meta(t, r->kind, r->o->ns, r->o->name, rname) : meta);
			d = egw_clone(t->a, d);
			ir_merge_apply(t, l->gw, d,
				       ir_merge_diverges(t, l, r->o, r->kind,
							 egw_len(rules) == 1 ? ir_str(egw_at(rules, 0), "name") : NULL));
			if (udp) {
				if (l->xk != XL_UDP)
					continue;
				egw_set_str(t->a, x, "name", egw_sprintf(t->a, "%s/%s/%s", r->prefix, r->o->ns, r->o->name));
				egw_obj_set(t->a, x, "destination", d);
				if (!egw_get(l->xl, "route")) /* one UDPRoute per listener: the oldest */
					egw_obj_set(t->a, l->xl, "route", x);
				continue;
			}
			if (l->xk != XL_TCP)
				continue;
			if (dyn && egw_get(l->xl, "tls")) {
				ir_cond(t, rp->conds, "ResolvedRefs", false, "UnsupportedValue",
					"Dynamic resolver backend is only supported with TLS passthrough listeners");
				continue;
			}
			/* a plain TCP listener forwards to one TCPRoute: the oldest */
			if (!tls && egw_len(egw_get(l->xl, "routes")))
				continue;
			egw_set_str(t->a, x, "name", egw_sprintf(t->a, "%s/%s/%s", r->prefix, r->o->ns, r->o->name));
			egw_obj_set(t->a, x, "destination", d);
			egw_obj_set(t->a, x, "metadata", meta);
			if (tls) {
				egw_node *tc = egw_set_obj(t->a, x, "tls");
				egw_node *lt = egw_get(l->xl, "tls");
				if (lt)
					egw_obj_set(t->a, tc, "terminate", lt);
				egw_obj_set(t->a, egw_set_obj(t->a, tc, "inspector"), "snis", hosts);
			} else if (egw_get(l->xl, "tls")) {
				egw_node *tc = egw_set_obj(t->a, x, "tls");
				egw_obj_set(t->a, tc, "terminate", egw_get(l->xl, "tls"));
				if (l->hostname) {
					egw_node *sn = egw_arr(t->a);
					egw_arr_push(t->a, sn, ir_s(t, l->hostname));
					egw_obj_set(t->a, egw_set_obj(t->a, tc, "inspector"), "snis", sn);
				}
			}
			egw_arr_push(t->a, egw_arr_ensure(t->a, l->xl, "routes"), x);
		}
		if (!inter)
			ir_cond(t, rp->conds, "Accepted", false, "NoMatchingListenerHostname",
				egw_sprintf(t->a,
					    "There were no hostname intersections between the %s and this parent ref's Listener(s).",
					    r->kind));
		if (!ir_cond_find(rp->conds, "Accepted"))
			ir_cond(t, rp->conds, "Accepted", true, "Accepted", "Route is accepted");
	}
}

static void routes_of(ir_tr *t, egw_kind k, const char *kind, const char *prefix)
{
	egw_object *o;
	EGW_RES_EACH(t->rs, k, i, o)
	{
		rctx r;
		memset(&r, 0, sizeof r);
		r.o = o;
		r.kind = kind;
		r.prefix = prefix;
		if (!resolve_parents(t, &r))
			continue;
		if (k == EGW_K_HTTPROUTE || k == EGW_K_GRPCROUTE)
			process_http(t, &r);
		else
			process_l4(t, &r);
	}
}

void ir_routes(ir_tr *t)
{
	routes_of(t, EGW_K_HTTPROUTE, "HTTPRoute", "httproute");
	routes_of(t, EGW_K_GRPCROUTE, "GRPCRoute", "grpcroute");
	routes_of(t, EGW_K_TLSROUTE, "TLSRoute", "tlsroute");
	routes_of(t, EGW_K_TCPROUTE, "TCPRoute", "tcproute");
	routes_of(t, EGW_K_UDPROUTE, "UDPRoute", "udproute");
	for (size_t gi = 0; gi < t->ngw; gi++) {
		ir_gw *g = t->gws[gi];
		for (size_t i = 0; i < g->nls; i++)
			egw_set_int(t->a, g->ls[i]->st, "attachedRoutes", g->ls[i]->attached);
	}
}

/* ---- route order (Envoy Gateway's sortXdsIRMap: most specific first) ---- */

static int path_rank(egw_node *pm)
{
	if (!pm)
		return 1; /* no path match sorts as the implied prefix "/" */
	if (egw_get(pm, "exact"))
		return 3;
	if (egw_get(pm, "safeRegex"))
		return 2;
	if (egw_get(pm, "prefix"))
		return 1;
	return 0;
}

static size_t path_len(egw_node *pm)
{
	if (!pm)
		return 1;
	const char *v = ir_str(pm, "exact");
	if (!v)
		v = ir_str(pm, "safeRegex");
	if (!v)
		v = ir_str(pm, "prefix");
	return v ? strlen(v) : 0;
}

static size_t n_exact(egw_node *ms)
{
	size_t n = 0;
	egw_node *m;
	EGW_ARR_EACH(ms, i, m)
	n += egw_get(m, "exact") != NULL;
	return n;
}

/* A route's sort key, read once: comparing keys instead of looking the
 * fields up in every comparison keeps the n log n part to integers in one
 * array (at 10,000 routes on a listener the lookups were most of the sort). */
typedef struct route_key {
	egw_node *route;
	size_t len;
	int rank;
	size_t count[3], exact[3]; /* header, query, cookie matches */
} route_key;

static void route_key_of(egw_node *r, route_key *k)
{
	static const char *const kinds[] = { "headerMatches", "queryParamMatches", "cookieMatches" };
	egw_node *pm = egw_get(r, "pathMatch");
	k->route = r;
	k->rank = path_rank(pm);
	k->len = path_len(pm);
	for (size_t i = 0; i < 3; i++) {
		egw_node *ms = egw_get(r, kinds[i]);
		k->count[i] = egw_len(ms);
		k->exact[i] = n_exact(ms);
	}
}

/* Returns <0 when a sorts before b (a is "greater" in the reference's
 * Less order, which is applied in reverse). */
static int route_cmp(const route_key *a, const route_key *b)
{
	if (a->rank != b->rank)
		return b->rank - a->rank;
	if (a->len != b->len)
		return a->len > b->len ? -1 : 1;
	/* more header, then query, then cookie matches first; among equals,
	 * more exact ones first */
	for (size_t k = 0; k < 3; k++) {
		if (a->count[k] != b->count[k])
			return a->count[k] > b->count[k] ? -1 : 1;
		if (a->exact[k] != b->exact[k])
			return a->exact[k] > b->exact[k] ? -1 : 1;
	}
	return 0; /* equal routes keep their translation order */
}

static void stable_sort(egw_arena *a, egw_node **v, size_t n)
{
	if (n < 2)
		return;
	route_key *keys = egw_alloc_raw(a, n * sizeof *keys);
	route_key *tmp = egw_alloc_raw(a, n * sizeof *tmp);
	for (size_t i = 0; i < n; i++)
		route_key_of(v[i], &keys[i]);
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = route_cmp(&keys[j], &keys[i]) < 0 ? keys[j++] : keys[i++];
			while (i < mid)
				tmp[k++] = keys[i++];
			while (j < hi)
				tmp[k++] = keys[j++];
		}
		route_key *sw = keys;
		keys = tmp;
		tmp = sw;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = keys[i].route;
}

void ir_sort_routes(ir_tr *t)
{
	egw_member *m;
	EGW_OBJ_EACH(t->out->xds_ir, i, m)
	{
		egw_node *l;
		EGW_ARR_EACH(egw_get(m->val, "http"), j, l)
		{
			egw_node *routes = egw_get(l, "routes");
			if (egw_get_bool(l, "preserveRouteOrder", false))
				continue;
			if (routes && routes->kind == EGW_ARR)
				stable_sort(t->tmp, routes->c.items, routes->n);
		}
	}
}
