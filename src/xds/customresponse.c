/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Response overrides: one custom_response filter per policy, each rule a
 * matcher (status codes, response headers, local reply or backend) with a
 * local response or a redirect.
 */
#include <stdio.h>
#include <string.h>

#include "../parse/parse.h"
#include "httpfilters.h"

#define CR "envoy.filters.http.custom_response"

egw_node *xds_headers_to_add(xt *x, const egw_node *hdrs);

static egw_node *single(xt *x, const char *input, const char *msg, const char *header, egw_node *vm)
{
	egw_node *p = xo(x);
	egw_node *sp = xobj(x, p, "singlePredicate");
	egw_node *in = xobj(x, sp, "input");
	xs(x, in, "name", input);
	egw_node *tc = xset(x, in, "typedConfig", xany(x, msg));
	xs(x, tc, "headerName", header);
	xset(x, sp, "valueMatch", vm);
	return p;
}

static egw_node *exact(xt *x, const char *v)
{
	egw_node *m = xo(x);
	xs(x, m, "exact", v);
	return m;
}

static egw_node *status_range(xt *x, int64_t start, int64_t end)
{
	char buf[1024];
	snprintf(buf, sizeof buf,
		 "{\"singlePredicate\":{\"customMatch\":{\"name\":\"cel-matcher\",\"typedConfig\":{\"@type\":"
		 "\"type.googleapis.com/xds.type.matcher.v3.CelMatcher\",\"exprMatch\":{\"celExprParsed\":{\"expr\":"
		 "{\"callExpr\":{\"args\":[{\"callExpr\":{\"args\":[{\"id\":\"2\",\"selectExpr\":{\"field\":\"code\","
		 "\"operand\":{\"id\":\"1\",\"identExpr\":{\"name\":\"response\"}}}},{\"constExpr\":{\"int64Value\":"
		 "\"%lld\"},\"id\":\"4\"}],\"function\":\"_>=_\"},\"id\":\"3\"},{\"callExpr\":{\"args\":[{\"id\":\"6\","
		 "\"selectExpr\":{\"field\":\"code\",\"operand\":{\"id\":\"5\",\"identExpr\":{\"name\":\"response\"}}}},"
		 "{\"constExpr\":{\"int64Value\":\"%lld\"},\"id\":\"8\"}],\"function\":\"_<=_\"},\"id\":\"7\"}],"
		 "\"function\":\"_&&_\"},\"id\":\"9\"}}}}},\"input\":{\"name\":\"http-attributes-cel-match-input\","
		 "\"typedConfig\":{\"@type\":\"type.googleapis.com/xds.type.matcher.v3.HttpAttributesCelMatchInput\"}}}}",
		 (long long)start, (long long)end);
	egw_node *n = egw_parse_one(x->c, 0, buf, strlen(buf));
	return n ? n : xo(x);
}

static egw_node *combine(xt *x, egw_node *preds, const char *kind)
{
	if (preds->n == 1)
		return preds->c.items[0];
	egw_node *p = xo(x);
	xset(x, xobj(x, p, kind), "predicate", preds);
	return p;
}

static egw_node *rule_predicate(xt *x, const egw_node *rule)
{
	const egw_node *m = G(rule, "match");
	egw_node *parts = xa(x);
	egw_node *st = xa(x);
	const egw_node *sc;
	EGW_ARR_EACH(G(m, "statusCodes"), i, sc) {
		if (G(sc, "value"))
			xpush(x, st, single(x, "http-response-status-code-match-input",
					    "envoy.type.matcher.v3.HttpResponseStatusCodeMatchInput", NULL,
					    exact(x, GS(sc, "value"))));
		else if (G(sc, "range"))
			xpush(x, st, status_range(x, GI(G(sc, "range"), "start", 0), GI(G(sc, "range"), "end", 0)));
	}
	if (st->n)
		xpush(x, parts, combine(x, st, "orMatcher"));
	egw_node *hd = xa(x);
	EGW_ARR_EACH(G(m, "responseHeaders"), i, sc) {
		egw_node *vm = xstrmatch(x, sc);
		egw_node *re = egw_get(vm, "safeRegex");
		if (re) {
			/* this matcher type spells out the RE2 engine */
			egw_node *nre = xo(x);
			xobj(x, nre, "googleRe2");
			xs(x, nre, "regex", egw_get_str(re, "regex", ""));
			xset(x, vm, "safeRegex", nre);
		}
		xpush(x, hd, single(x, "http-response-header-match-input",
				    "envoy.type.matcher.v3.HttpResponseHeaderMatchInput", GS(sc, "name"), vm));
	}
	if (hd->n)
		xpush(x, parts, combine(x, hd, "andMatcher"));
	const char *src = GS(rule, "source");
	if (src && (!strcmp(src, "Local") || !strcmp(src, "Backend")))
		xpush(x, parts, single(x, "http-response-local-reply-match-input",
				       "envoy.type.matcher.v3.HttpResponseLocalReplyMatchInput", NULL,
				       exact(x, !strcmp(src, "Local") ? "true" : "false")));
	if (!parts->n)
		return xo(x);
	return combine(x, parts, "andMatcher");
}

static egw_node *rule_action(xt *x, const egw_node *rule)
{
	egw_node *a = xo(x);
	xs(x, a, "name", GS(rule, "name"));
	const egw_node *rd = G(rule, "redirect");
	if (rd) {
		egw_node *tc = xset(x, a, "typedConfig",
				    xany(x, "envoy.extensions.http.custom_response.redirect_policy.v3.RedirectPolicy"));
		egw_node *ra = xobj(x, tc, "redirectAction");
		xs(x, ra, "hostRedirect", GS(rd, "hostname"));
		xs(x, ra, "pathRedirect", GS(G(rd, "path"), "fullReplace"));
		if (G(rd, "port"))
			xi(x, ra, "portRedirect", GI(rd, "port", 0));
		xs(x, ra, "schemeRedirect", GS(rd, "scheme"));
		if (G(rd, "statusCode"))
			xi(x, tc, "statusCode", GI(rd, "statusCode", 0));
		return a;
	}
	const egw_node *rsp = G(rule, "response");
	egw_node *tc = xset(x, a, "typedConfig",
			    xany(x, "envoy.extensions.http.custom_response.local_response_policy.v3.LocalResponsePolicy"));
	if (G(rsp, "body")) {
		size_t len;
		const char *body = xbytes_raw(x, G(rsp, "body"), &len);
		xs(x, xobj(x, tc, "bodyFormat"), "textFormat", body);
	}
	egw_node *hdrs = xa(x);
	const char *ct = GS(rsp, "contentType");
	if (ct) {
		egw_node *h = xpush(x, hdrs, xo(x));
		xs(x, h, "appendAction", "OVERWRITE_IF_EXISTS_OR_ADD");
		egw_node *hv = xobj(x, h, "header");
		xs(x, hv, "key", "Content-Type");
		xs(x, hv, "value", ct);
	}
	egw_node *more = xds_headers_to_add(x, G(rsp, "addResponseHeaders")), *h;
	EGW_ARR_EACH(more, i, h)
		xpush(x, hdrs, h);
	if (hdrs->n)
		xset(x, tc, "responseHeadersToAdd", hdrs);
	if (G(rsp, "statusCode"))
		xi(x, tc, "statusCode", GI(rsp, "statusCode", 0));
	return a;
}

static void cr_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, "traffic", "responseOverride"), i, r) {
		const egw_node *ro = G(G(r, "traffic"), "responseOverride");
		const char *name = egw_sprintf(x->a, "%s/%s", CR, GS(ro, "name") ? GS(ro, "name") : "");
		if (hf_has(hf, name))
			continue;
		egw_node *c = hf_add(x, hf, name, "envoy.extensions.filters.http.custom_response.v3.CustomResponse", true);
		egw_node *ms = xarr(x, xobj(x, xobj(x, c, "customResponseMatcher"), "matcherList"), "matchers");
		const egw_node *rule;
		EGW_ARR_EACH(G(ro, "rules"), j, rule) {
			egw_node *m = xpush(x, ms, xo(x));
			xset(x, xobj(x, m, "onMatch"), "action", rule_action(x, rule));
			xset(x, m, "predicate", rule_predicate(x, rule));
		}
	}
}

static void cr_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *ro = G(G(r, "traffic"), "responseOverride");
	if (ro)
		hf_route_enable(x, xr, egw_sprintf(x->a, "%s/%s", CR, GS(ro, "name") ? GS(ro, "name") : ""));
}
const hfilter hf_custom_response = {cr_hcm, cr_route};
