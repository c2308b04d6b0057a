/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route configurations: one virtual host per distinct hostname of an HTTP
 * listener (first-seen order), one Envoy route per IR route, and the
 * clusters the routes point at.
 */
#include <string.h>

#include "names.h"
#include "xds_int.h"
#include "hooks.h"

static egw_node *header_opts(xt *x, const egw_node *hdrs)
{
	egw_node *arr = xa(x);
	const egw_node *h;
	EGW_ARR_EACH(hdrs, i, h) {
		const egw_node *vals = G(h, "value");
		size_t nv = vals && vals->kind == EGW_ARR ? vals->n : 1;
		for (size_t k = 0; k < nv; k++) {
			const char *v = vals && vals->kind == EGW_ARR ? egw_text(egw_at(vals, k)) : egw_text(vals);
			egw_node *o = xpush(x, arr, xo(x));
			bool append = GB(h, "append");
			if (GB(h, "addIfAbsent"))
				xs(x, o, "appendAction", "ADD_IF_ABSENT");
			else if (!append)
				xs(x, o, "appendAction", "OVERWRITE_IF_EXISTS_OR_ADD");
			egw_node *hv = xobj(x, o, "header");
			xs(x, hv, "key", GS(h, "name"));
			if (v && *v)
				xs(x, hv, "value", v);
			else
				xb(x, o, "keepEmptyValue", true);
		}
	}
	return arr;
}

egw_node *xds_headers_to_add(xt *x, const egw_node *hdrs)
{
	return header_opts(x, hdrs);
}

static egw_node *route_match(xt *x, const egw_node *r)
{
	egw_node *m = xo(x);
	const egw_node *pm = G(r, "pathMatch");
	const char *v;
	if (!pm)
		xs(x, m, "prefix", "/");
	else if ((v = GS(pm, "exact")))
		xs(x, m, "path", v);
	else if ((v = GS(pm, "prefix"))) {
		size_t n = strlen(v);
		if (!strcmp(v, "/"))
			xs(x, m, "prefix", "/");
		else if (n > 1 && v[n - 1] == '/')
			xs(x, m, "pathSeparatedPrefix", egw_strndup(x->a, v, n - 1));
		else
			xs(x, m, "pathSeparatedPrefix", v);
	} else if ((v = GS(pm, "safeRegex")))
		xs(x, xobj(x, m, "safeRegex"), "regex", v);
	const egw_node *h;
	if (egw_len(G(r, "cookieMatches"))) {
		egw_node *arr = xarr(x, m, "cookies");
		EGW_ARR_EACH(G(r, "cookieMatches"), i, h) {
			egw_node *o = xpush(x, arr, xo(x));
			xs(x, o, "name", GS(h, "name"));
			xset(x, o, "stringMatch", xstrmatch(x, h));
		}
	}
	if (egw_len(G(r, "headerMatches"))) {
		egw_node *arr = xarr(x, m, "headers");
		EGW_ARR_EACH(G(r, "headerMatches"), i, h)
			xpush(x, arr, xheadermatch(x, h));
	}
	if (egw_len(G(r, "queryParamMatches"))) {
		egw_node *arr = xarr(x, m, "queryParameters");
		EGW_ARR_EACH(G(r, "queryParamMatches"), i, h) {
			egw_node *o = xpush(x, arr, xo(x));
			xs(x, o, "name", GS(h, "name"));
			if (!G(h, "exact") && !G(h, "prefix") && !G(h, "suffix") && !G(h, "safeRegex"))
				xb(x, o, "presentMatch", true);
			else
				xset(x, o, "stringMatch", xstrmatch(x, h));
		}
	}
	return m;
}

static bool setting_has_filters(const egw_node *st)
{
	const egw_node *f = G(st, "filters");
	return f && !egw_is_empty(f);
}

static bool setting_invalid(const egw_node *st)
{
	return GB(st, "invalid") || !egw_len(G(st, "endpoints"));
}

/* Whether each destination setting gets a cluster of its own (the route then
 * uses weighted clusters). */
static bool needs_cluster_per_setting(const egw_node *settings, const egw_node *lb)
{
	const egw_node *st;
	if (G(lb, "weightedZones") || G(lb, "preferLocal"))
		return true;
	EGW_ARR_EACH(settings, i, st)
		if (setting_has_filters(st))
			return true;
	if (egw_len(settings) < 2)
		return false;
	EGW_ARR_EACH(settings, i, st) {
		const char *at = GS(st, "addressType");
		if (setting_invalid(st) || G(st, "preferLocal") || (at && !strcmp(at, "FQDN")) ||
		    GB(st, "forceHTTP1Upstream"))
			return true;
	}
	return false;
}

static egw_node *metadata_new(xt *x, const egw_node *md)
{
	egw_node *o = xo(x);
	egw_node *eg = xobj(x, xobj(x, o, "filterMetadata"), "envoy-gateway");
	egw_node *res = xo(x);
	const char *v;
	if (G(md, "annotations")) {
		egw_node *an = xobj(x, res, "annotations");
		const egw_node *a;
		EGW_ARR_EACH(G(md, "annotations"), i, a)
			xs(x, an, GS(a, "key"), GS(a, "value"));
		if (G(md, "annotations")->kind == EGW_OBJ) {
			egw_member *m;
			EGW_OBJ_EACH(G(md, "annotations"), i, m)
				xs(x, an, m->key, egw_text(m->val));
		}
	}
	if ((v = GS(md, "kind")))
		xs(x, res, "kind", v);
	if ((v = GS(md, "name")))
		xs(x, res, "name", v);
	if ((v = GS(md, "namespace")))
		xs(x, res, "namespace", v);
	if ((v = GS(md, "sectionName")))
		xs(x, res, "sectionName", v);
	xpush(x, xarr(x, eg, "resources"), res);
	if (egw_len(G(md, "policies"))) {
		egw_node *pa = xarr(x, eg, "policies");
		const egw_node *p;
		EGW_ARR_EACH(G(md, "policies"), i, p) {
			egw_node *po = xpush(x, pa, xo(x));
			xs(x, po, "kind", GS(p, "kind"));
			xs(x, po, "name", GS(p, "name"));
			xs(x, po, "namespace", GS(p, "namespace"));
		}
	}
	return o;
}

/* The memo key of IR metadata that names an object and nothing more (kind,
 * name, namespace, sectionName), or 0 when md says more.  Each text is
 * written as a byte that tells an absent text from an empty one, its
 * length, then its bytes: texts with any bytes in them cannot collide. */
static size_t metadata_key(const egw_node *md, char *buf, size_t cap)
{
	static const char *const keys[] = { "kind", "name", "namespace", "sectionName" };
	if (md->kind != EGW_OBJ || md->n > 4)
		return 0;
	size_t found = 0, n = 0;
	for (size_t i = 0; i < 4; i++) {
		const egw_node *v = G(md, keys[i]);
		if (v && v->kind != EGW_STR)
			return 0;
		found += v != NULL;
		uint32_t len = v ? v->len : 0;
		if (n + 1 + sizeof len + len > cap)
			return 0;
		buf[n++] = v ? 1 : 0;
		memcpy(buf + n, &len, sizeof len);
		n += sizeof len;
		if (len)
			memcpy(buf + n, v->str, len);
		n += len;
	}
	return found == md->n ? n : 0;
}

/* Envoy Gateway's filter metadata for IR metadata.  A route and its cluster
 * carry the same, so metadata that only names an object is built once per
 * fleet and frozen: both point at it, and the encoder copies its bytes. */
egw_node *xds_metadata(xt *x, const egw_node *md)
{
	if (!md)
		return NULL;
	char key[512];
	size_t klen = metadata_key(md, key, sizeof key);
	if (!klen)
		return metadata_new(x, md);
	egw_node *o = egw_map_getn(&x->md_memo, key, klen);
	if (!o) {
		o = metadata_new(x, md);
		egw_freeze(o);
		egw_map_putn(&x->md_memo, key, klen, o);
	}
	return o;
}

static void redirect(xt *x, egw_node *xr, const egw_node *rd)
{
	egw_node *o = xobj(x, xr, "redirect");
	const char *v;
	if ((v = GS(rd, "scheme")))
		xs(x, o, "schemeRedirect", v);
	const egw_node *p = G(rd, "path");
	if ((v = GS(p, "fullReplace")))
		xs(x, o, "pathRedirect", v);
	else if ((v = GS(p, "prefixMatchReplace")))
		xs(x, o, "prefixRewrite", v);
	if ((v = GS(rd, "hostname")))
		xs(x, o, "hostRedirect", v);
	if (G(rd, "port")) {
		int64_t port = GI(rd, "port", 0);
		const char *sch = GS(rd, "scheme");
		bool dflt = sch && ((!strcmp(sch, "https") && port == 443) || (!strcmp(sch, "http") && port == 80));
		if (!dflt)
			xi(x, o, "portRedirect", port);
	}
	int64_t sc = GI(rd, "statusCode", 0);
	if (sc == 302)
		xs(x, o, "responseCode", "FOUND");
	else if (sc == 303)
		xs(x, o, "responseCode", "SEE_OTHER");
	else if (sc == 307)
		xs(x, o, "responseCode", "TEMPORARY_REDIRECT");
	else if (sc == 308)
		xs(x, o, "responseCode", "PERMANENT_REDIRECT");
}

static void url_rewrite(xt *x, egw_node *ra, const egw_node *r, const egw_node *uw)
{
	const egw_node *p = G(uw, "path");
	const char *v;
	if ((v = GS(p, "fullReplace"))) {
		egw_node *rr = xobj(x, ra, "regexRewrite");
		xs(x, xobj(x, rr, "pattern"), "regex", "^/.*$");
		xs(x, rr, "substitution", v);
	} else if ((v = GS(p, "prefixMatchReplace"))) {
		const char *pfx = GS(G(r, "pathMatch"), "prefix");
		if (pfx && !strcmp(v, "/") && strcmp(pfx, "/")) {
			size_t n = strlen(pfx);
			if (n > 1 && pfx[n - 1] == '/')
				n--;
			egw_node *rr = xobj(x, ra, "regexRewrite");
			egw_buf b;
			egw_buf_init(&b, x->a);
			egw_buf_putc(&b, '^');
			for (size_t k = 0; k < n; k++) {
				if (strchr("\\.+*?()|[]{}^$", pfx[k]))
					egw_buf_putc(&b, '\\');
				egw_buf_putc(&b, pfx[k]);
			}
			egw_buf_puts(&b, "\\/*");
			xs(x, xobj(x, rr, "pattern"), "regex", egw_buf_str(&b));
			xs(x, rr, "substitution", "/");
		} else
			xs(x, ra, "prefixRewrite", v);
	} else if (G(p, "regexMatchReplace")) {
		const egw_node *rm = G(p, "regexMatchReplace");
		egw_node *rr = xobj(x, ra, "regexRewrite");
		xs(x, xobj(x, rr, "pattern"), "regex", GS(rm, "pattern"));
		xs(x, rr, "substitution", GS(rm, "substitution"));
	}
	const egw_node *h = G(uw, "host");
	if (h) {
		if ((v = GS(h, "name")))
			xs(x, ra, "hostRewriteLiteral", v);
		else if ((v = GS(h, "header")))
			xs(x, ra, "hostRewriteHeader", v);
		else if (G(h, "pathRegex")) {
			egw_node *pr = xobj(x, ra, "hostRewritePathRegex");
			xs(x, xobj(x, pr, "pattern"), "regex", GS(G(h, "pathRegex"), "pattern"));
			xs(x, pr, "substitution", GS(G(h, "pathRegex"), "substitution"));
		} else if (G(h, "backend"))
			xb(x, ra, "autoHostRewrite", true);
		bool axh = G(uw, "appendXForwardedHost") ? GB(uw, "appendXForwardedHost") : true;
		if (axh)
			xb(x, ra, "appendXForwardedHost", true);
	}
}

static void mirrors(xt *x, egw_node *ra, const egw_node *r)
{
	const egw_node *m;
	if (!egw_len(G(r, "mirrors")))
		return;
	egw_node *arr = xarr(x, ra, "requestMirrorPolicies");
	EGW_ARR_EACH(G(r, "mirrors"), i, m) {
		const egw_node *d = G(m, "destination");
		egw_node *o = xpush(x, arr, xo(x));
		xs(x, o, "cluster", GS(d, "name"));
		const egw_node *pct = G(m, "percentage");
		if (pct) {
			double p = 0;
			if (pct->kind == EGW_FLOAT)
				p = egw_vfloat(pct);
			else {
				int64_t iv = 0;
				egw_node_int(pct, &iv);
				p = (double)iv;
			}
			egw_node *dv = xobj(x, xobj(x, o, "runtimeFraction"), "defaultValue");
			xs(x, dv, "denominator", "MILLION");
			xi(x, dv, "numerator", (int64_t)(p * 10000 + 0.5));
		} else {
			xi(x, xobj(x, xobj(x, o, "runtimeFraction"), "defaultValue"), "numerator", 100);
		}
		xb(x, o, "disableShadowHostSuffixAppend", true);
	}
}

void xds_route_traffic(xt *x, egw_node *xr, egw_node *ra, const egw_node *r);
void xds_route_tracing(xt *x, egw_node *xr, const egw_node *r);
bool xds_route_valid(xt *x, const egw_node *r);

egw_node *xds_route(xt *x, const egw_node *r, const egw_node *hl)
{
	(void)hl;
	egw_node *xr = xo(x);
	xs(x, xr, "name", GS(r, "name"));
	xset(x, xr, "match", route_match(x, r));
	xset(x, xr, "metadata", xds_metadata(x, G(r, "metadata")));
	xs(x, xr, "statPrefix", GS(r, "statName"));
	if (egw_len(G(r, "addRequestHeaders")))
		xset(x, xr, "requestHeadersToAdd", header_opts(x, G(r, "addRequestHeaders")));
	if (egw_len(G(r, "removeRequestHeaders")))
		xset(x, xr, "requestHeadersToRemove", xcopy(x, G(r, "removeRequestHeaders")));
	if (egw_len(G(r, "addResponseHeaders")))
		xset(x, xr, "responseHeadersToAdd", header_opts(x, G(r, "addResponseHeaders")));
	if (egw_len(G(r, "removeResponseHeaders")))
		xset(x, xr, "responseHeadersToRemove", xcopy(x, G(r, "removeResponseHeaders")));
	const egw_node *dr = G(r, "directResponse");
	const egw_node *rd = G(r, "redirect");
	if (dr) {
		egw_node *o = xobj(x, xr, "directResponse");
		xi(x, o, "status", GI(dr, "statusCode", 200));
		const char *b = GS(dr, "body");
		if (b)
			xs(x, xobj(x, o, "body"), "inlineString", b);
	} else if (rd) {
		redirect(x, xr, rd);
	} else {
		egw_node *ra = xobj(x, xr, "route");
		const egw_node *d = G(r, "destination");
		const egw_node *settings = G(d, "settings");
		const egw_node *lb = G(G(r, "traffic"), "loadBalancer");
		const egw_node *refs = G(d, "backendClusterRefs");
		if (egw_len(refs) == 1 && !egw_len(settings)) {
			xs(x, ra, "cluster", GS(egw_at(refs, 0), "name"));
		} else if (egw_len(refs) || needs_cluster_per_setting(settings, lb)) {
			egw_node *wc = xobj(x, ra, "weightedClusters");
			egw_node *cl = xarr(x, wc, "clusters");
			const egw_node *st;
			int64_t invalid_w = 0;
			bool empty_valid = false;
			EGW_ARR_EACH(settings, i, st) {
				if (setting_invalid(st)) {
					invalid_w += GI(st, "weight", 1);
					if (!GB(st, "invalid"))
						empty_valid = true;
				}
			}
			if (!empty_valid)
				xs(x, ra, "clusterNotFoundResponseCode", "INTERNAL_SERVER_ERROR");
			if (invalid_w) {
				egw_node *c = xpush(x, cl, xo(x));
				xs(x, c, "name", "invalid-backend-cluster");
				xi(x, c, "weight", invalid_w);
			}
			if (G(lb, "consistentHash"))
				xb(x, wc, "useHashPolicy", true);
			EGW_ARR_EACH(settings, i, st) {
				if (setting_invalid(st))
					continue;
				egw_node *c = xpush(x, cl, xo(x));
				xs(x, c, "name", GS(st, "name"));
				const egw_node *f = G(st, "filters");
				if (egw_len(G(f, "addRequestHeaders")))
					xset(x, c, "requestHeadersToAdd", header_opts(x, G(f, "addRequestHeaders")));
				const char *hn = GS(G(G(f, "urlRewrite"), "host"), "name");
				if (hn)
					xs(x, c, "hostRewriteLiteral", hn);
				xi(x, c, "weight", GI(st, "weight", 1));
			}
			const egw_node *ref;
			EGW_ARR_EACH(refs, i, ref) {
				egw_node *c = xpush(x, cl, xo(x));
				xs(x, c, "name", GS(ref, "name"));
				xi(x, c, "weight", GI(ref, "weight", 1));
			}
		} else {
			xs(x, ra, "cluster", GS(d, "name"));
		}
		if (G(r, "urlRewrite"))
			url_rewrite(x, ra, r, G(r, "urlRewrite"));
		mirrors(x, ra, r);
		xds_route_traffic(x, xr, ra, r);
	}
	xds_route_filters(x, xr, r);
	xds_route_tracing(x, xr, r);
	return xr;
}

static void route_clusters(xt *x, const egw_node *r, const egw_node *hl)
{
	const egw_node *d = G(r, "destination");
	if (d) {
		cluster_args ca = {0};
		ca.settings = G(d, "settings");
		ca.traffic = G(r, "traffic");
		ca.http1 = G(hl, "http1");
		ca.http2 = G(G(r, "traffic"), "http2");
		ca.route = r;
		ca.is_http = true;
		ca.use_client_protocol = GB(r, "useClientProtocol");
		ca.metadata = G(d, "metadata");
		ca.stat_name = GS(d, "statName");
		const egw_node *ref;
		EGW_ARR_EACH(G(d, "backendClusterRefs"), i, ref)
			xds_backend_cluster(x, GS(ref, "name"), hl);
		if (egw_len(G(d, "backendClusterRefs")) && !egw_len(ca.settings)) {
			/* only shared clusters */
		} else if (!egw_len(G(d, "backendClusterRefs")) &&
			   !needs_cluster_per_setting(ca.settings, G(ca.traffic, "loadBalancer"))) {
			ca.name = GS(d, "name");
			xds_cluster_add(x, &ca);
		} else {
			const egw_node *st;
			EGW_ARR_EACH(ca.settings, i, st) {
				egw_node *one = xa(x);
				xpush(x, one, (egw_node *)st);
				cluster_args c2 = ca;
				c2.name = GS(st, "name");
				c2.settings = one;
				xds_cluster_add(x, &c2);
			}
		}
	}
	const egw_node *m;
	EGW_ARR_EACH(G(r, "mirrors"), i, m) {
		const egw_node *md = G(m, "destination");
		if (!md)
			continue;
		cluster_args ca = {0};
		ca.name = GS(md, "name");
		ca.settings = G(md, "settings");
		ca.metadata = G(md, "metadata");
		ca.static_eds_only = true;
		xds_cluster_add(x, &ca);
	}
}

void xds_add_route_config(xt *x, egw_node *rc, const egw_node *hl, bool http3)
{
	egw_map vhosts;
	egw_map_init(&vhosts, x->a);
	egw_node *vlist = xa(x);
	x->cur_hl = hl;
	const char *lname = GS(hl, "name");
	const egw_node *r;
	EGW_ARR_EACH(G(hl, "routes"), i, r) {
		const char *host = GS(r, "hostname");
		if (!host)
			host = "";
		egw_node *vh = egw_map_get(&vhosts, host);
		if (!vh) {
			vh = xo(x);
			xpush_s(x, xarr(x, vh, "domains"), host);
			xs(x, vh, "name", name_vhost(x, lname ? lname : "", host));
			xset(x, vh, "metadata", xds_metadata(x, G(hl, "metadata")));
			if (GB(x->metrics, "enableVirtualHostStats")) {
				egw_node *vc = xpush(x, xarr(x, vh, "virtualClusters"), xo(x));
				xs(x, vc, "name", name_vhost_stat(x, host));
				egw_node *hm = xpush(x, xarr(x, vc, "headers"), xo(x));
				xs(x, hm, "name", ":authority");
				xs(x, xobj(x, hm, "stringMatch"), "prefix", host);
			}
			xarr(x, vh, "routes");
			egw_map_put(&vhosts, host, vh);
			xpush(x, vlist, vh);
		}
		if (!xds_route_valid(x, r)) {
			route_clusters(x, r, hl);
			continue;
		}
		egw_node *xr = xds_route(x, r, hl);
		xds_hook_route(x, xr, vh, r);
		if (http3) {
			int64_t qp = GI(G(hl, "http3"), "quicPort", 0);
			if (!qp)
				qp = GI(hl, "externalPort", GI(hl, "port", 0));
			egw_node *o = xpush(x, xarr(x, xr, "responseHeadersToAdd"), xo(x));
			xb(x, o, "append", true);
			egw_node *hv = xobj(x, o, "header");
			xs(x, hv, "key", "alt-svc");
			xs(x, hv, "value", egw_sprintf(x->a, "h3=\":%lld\"; ma=86400", (long long)qp));
		}
		xpush(x, egw_get(vh, "routes"), xr);
		route_clusters(x, r, hl);
		xds_hook_route_cluster(x, r);
	}
	xds_hook_vhosts(x, vlist);
	egw_node *vhs = xarr(x, rc, "virtualHosts"), *vh;
	EGW_ARR_EACH(vlist, i, vh)
		xpush(x, vhs, vh);
}
