/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Global rate limiting: the ratelimit HTTP filters (one for the listener's
 * own domain, one per shared policy domain), each route's rate limit actions
 * (typedPerFilterConfig), the rate limit service cluster, and the rate limit
 * service's configuration (one document per domain).
 *
 * Descriptor layout: a route-level generic key (the route name, or the rule
 * name for shared rules), then one descriptor per match of the rule in order
 * (headers, query parameters, source CIDR), the limit on the last one; a
 * rule without matches gets a generic key "rule-<i>-match--1".  Rules are
 * numbered within their domain.
 */
#include <string.h>

#include "httpfilters.h"

#define RL_FILTER "envoy.filters.http.ratelimit"
#define RL_CLUSTER "ratelimit_cluster"

static bool rule_shared(const egw_node *rule)
{
	return GB(rule, "shared");
}

/* The domain of a shared rule: its name without the "/rule/<n>" suffix. */
static const char *shared_domain(xt *x, const egw_node *rule)
{
	const char *n = GS(rule, "name");
	if (!n)
		return "";
	const char *p = strstr(n, "/rule/");
	const char *last = NULL;
	while (p) {
		last = p;
		p = strstr(p + 1, "/rule/");
	}
	return last ? egw_strndup(x->a, n, (size_t)(last - n)) : n;
}

static const char *filter_name(xt *x, const char *domain, bool shared)
{
	return shared ? egw_sprintf(x->a, "%s/%s", RL_FILTER, domain) : RL_FILTER;
}

static const egw_node *global_rules(const egw_node *r)
{
	return G(G(G(r, "traffic"), "rateLimit"), "global");
}

static bool listener_has_global(xt *x, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, "traffic", "rateLimit"), i, r)
		if (egw_len(G(global_rules(r), "rules")))
			return true;
	return false;
}

static const char *desc_key(xt *x, int r, int m)
{
	return egw_sprintf(x->a, "rule-%d-match-%d", r, m);
}

static egw_node *generic_key(xt *x, const char *k)
{
	egw_node *a = xo(x);
	egw_node *g = xobj(x, a, "genericKey");
	xs(x, g, "descriptorKey", k);
	xs(x, g, "descriptorValue", k);
	return a;
}

static bool rule_has_match(const egw_node *rule)
{
	return egw_len(G(rule, "headerMatches")) || egw_len(G(rule, "queryParamMatches")) ||
	       G(rule, "cidrMatch") || egw_len(G(rule, "methodMatches")) || G(rule, "pathMatch");
}

static egw_node *rl_hcm_filter(xt *x, egw_node *hf, const char *name, const char *domain, const egw_node *hl)
{
	egw_node *c = hf_add(x, hf, name, "envoy.extensions.filters.http.ratelimit.v3.RateLimit", false);
	xb(x, c, "disableXEnvoyRatelimitedHeader", true);
	xs(x, c, "domain", domain);
	if (!GB(G(hl, "headers"), "disableRateLimitHeaders"))
		xs(x, c, "enableXRatelimitHeaders", "DRAFT_VERSION_03");
	egw_node *rls = xobj(x, c, "rateLimitService");
	xs(x, xobj(x, xobj(x, rls, "grpcService"), "envoyGrpc"), "clusterName", RL_CLUSTER);
	xs(x, rls, "transportApiVersion", "V3");
	return c;
}

static void rl_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	if (!listener_has_global(x, hl))
		return;
	const char *ldom = GS(hl, "name");
	if (!hf_has(hf, RL_FILTER))
		rl_hcm_filter(x, hf, RL_FILTER, ldom, hl);
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, "traffic", "rateLimit"), i, r) {
		const egw_node *rule;
		EGW_ARR_EACH(G(global_rules(r), "rules"), j, rule) {
			if (!rule_shared(rule))
				continue;
			const char *d = shared_domain(x, rule);
			const char *fn = filter_name(x, d, true);
			if (!hf_has(hf, fn))
				rl_hcm_filter(x, hf, fn, d, hl);
		}
	}
}

const char *x_rl_option(const char *o)
{
	if (!o)
		return NULL;
	if (!strcmp(o, "Off"))
		return "OFF";
	if (!strcmp(o, "DraftVersion03"))
		return "DRAFT_VERSION_03";
	return NULL;
}

static egw_node *cost(xt *x, const egw_node *c)
{
	egw_node *o = xo(x);
	if (G(c, "number"))
		xs(x, o, "number", GS(c, "number"));
	else if (G(c, "format"))
		xs(x, o, "format", GS(c, "format"));
	else if (G(c, "metadata")) {
		egw_node *mk = xobj(x, o, "metadata");
		xs(x, mk, "key", GS(G(c, "metadata"), "namespace"));
		xs(x, xpush(x, xarr(x, mk, "path"), xo(x)), "key", GS(G(c, "metadata"), "key"));
	}
	return o;
}

static egw_node *pseudo_header_match(xt *x, const char *key, const char *hdr, egw_node *m, bool invert)
{
	egw_node *a = xo(x);
	egw_node *hv = xobj(x, a, "headerValueMatch");
	xs(x, hv, "descriptorKey", key);
	xs(x, hv, "descriptorValue", key);
	xb(x, hv, "expectMatch", !invert);
	egw_node *h = xpush(x, xarr(x, hv, "headers"), xo(x));
	xs(x, h, "name", hdr);
	xset(x, h, "stringMatch", m);
	return a;
}

/* Method and path matches: header value matches on :method and :path. */
void method_path_actions(xt *x, egw_node *acts, const egw_node *rule, int ri)
{
	const egw_node *mm = G(rule, "methodMatches");
	if (egw_len(mm)) {
		egw_node *sm;
		if (egw_len(mm) == 1) {
			sm = xstrmatch(x, egw_at(mm, 0));
		} else {
			egw_buf b;
			egw_buf_init(&b, x->a);
			egw_buf_puts(&b, "^(");
			const egw_node *m;
			EGW_ARR_EACH(mm, i, m) {
				if (i)
					egw_buf_putc(&b, '|');
				const char *v = GS(m, "exact");
				egw_buf_puts(&b, v ? v : "");
			}
			egw_buf_puts(&b, ")$");
			sm = xo(x);
			xs(x, xobj(x, sm, "safeRegex"), "regex", egw_buf_str(&b));
		}
		xpush(x, acts, pseudo_header_match(x, egw_sprintf(x->a, "rule-%d-method", ri), ":method", sm, false));
	}
	const egw_node *pm = G(rule, "pathMatch");
	if (pm)
		xpush(x, acts, pseudo_header_match(x, egw_sprintf(x->a, "rule-%d-path", ri), ":path", xstrmatch(x, pm),
						   GB(pm, "invert")));
}

/* The actions of one rule (index ri within its domain). */
static egw_node *rule_actions(xt *x, const egw_node *rule, int ri, const char *gk)
{
	egw_node *acts = xa(x);
	xpush(x, acts, generic_key(x, gk));
	int mi = 0;
	const egw_node *m;

	EGW_ARR_EACH(G(rule, "headerMatches"), i, m) {
		egw_node *a = xpush(x, acts, xo(x));
		if (GB(m, "distinct")) {
			egw_node *rh = xobj(x, a, "requestHeaders");
			xs(x, rh, "descriptorKey", desc_key(x, ri, mi));
			xs(x, rh, "headerName", GS(m, "name"));
		} else {
			egw_node *hv = xobj(x, a, "headerValueMatch");
			xs(x, hv, "descriptorKey", desc_key(x, ri, mi));
			xs(x, hv, "descriptorValue", desc_key(x, ri, mi));
			xb(x, hv, "expectMatch", !GB(m, "invert"));
			egw_node *h = xpush(x, xarr(x, hv, "headers"), xo(x));
			xs(x, h, "name", GS(m, "name"));
			xset(x, h, "stringMatch", xstrmatch(x, m));
		}
		mi++;
	}
	EGW_ARR_EACH(G(rule, "queryParamMatches"), i, m) {
		egw_node *a = xpush(x, acts, xo(x));
		egw_node *qv = xobj(x, a, "queryParameterValueMatch");
		xs(x, qv, "descriptorKey", desc_key(x, ri, mi));
		xs(x, qv, "descriptorValue", desc_key(x, ri, mi));
		xb(x, qv, "expectMatch", !GB(m, "invert"));
		egw_node *q = xpush(x, xarr(x, qv, "queryParameters"), xo(x));
		xs(x, q, "name", GS(m, "name"));
		xset(x, q, "stringMatch", xstrmatch(x, m));
		mi++;
	}
	method_path_actions(x, acts, rule, ri);
	const egw_node *cm = G(rule, "cidrMatch");
	if (cm) {
		egw_node *a = xpush(x, acts, xo(x));
		egw_node *ra = xobj(x, a, "remoteAddressMatch");
		egw_node *am = xobj(x, ra, "addressMatcher");
		const char *cidr = GS(cm, "cidr");
		if (GB(cm, "invert"))
			xb(x, am, "invertMatch", true);
		egw_node *rg = xpush(x, xarr(x, am, "ranges"), xo(x));
		const char *slash = cidr ? strchr(cidr, '/') : NULL;
		xs(x, rg, "addressPrefix", slash ? egw_strndup(x->a, cidr, (size_t)(slash - cidr)) : cidr);
		xi(x, rg, "prefixLen", GI(cm, "maskLen", 0));
		xs(x, ra, "descriptorKey", "masked_remote_address");
		xs(x, ra, "descriptorValue", GB(cm, "invert") ? egw_sprintf(x->a, "invert:%s", cidr ? cidr : "") : cidr);
		if (GB(cm, "distinct")) {
			egw_node *ra2 = egw_clone(x->a, ra);
			xs(x, ra2, "descriptorKey", "remote_address");
			xs(x, ra2, "descriptorValue", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%");
			xset(x, xpush(x, acts, xo(x)), "remoteAddressMatch", ra2);
		}
	}
	if (!rule_has_match(rule))
		xpush(x, acts, generic_key(x, desc_key(x, ri, -1)));
	return acts;
}

static void rl_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *rules = G(global_rules(r), "rules");
	if (!egw_len(rules) || !x->cur_hl)
		return;
	/* group rules by domain, first-seen order */
	egw_map doms;
	egw_map_init(&doms, x->a);
	const egw_node *rule;
	EGW_ARR_EACH(rules, i, rule) {
		bool sh = rule_shared(rule);
		const char *d = sh ? shared_domain(x, rule) : GS(x->cur_hl, "name");
		const char *fn = filter_name(x, d, sh);
		egw_node *cfg = egw_map_get(&doms, fn);
		if (!cfg) {
			cfg = hf_route_cfg(x, xr, fn, "envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute");
			xs(x, cfg, "domain", d);
			xarr(x, cfg, "rateLimits");
			egw_map_put(&doms, fn, cfg);
		}
		egw_node *rls = egw_get(cfg, "rateLimits");
		/* index within the domain: count earlier rules of the same group */
		int ri = 0;
		const egw_node *prev;
		for (size_t k = 0; k < i; k++) {
			prev = egw_at(rules, k);
			bool psh = rule_shared(prev);
			if (psh == sh && (!sh || !strcmp(shared_domain(x, prev), d)))
				ri++;
		}
		const char *gk = sh ? GS(rule, "name") : GS(r, "name");
		const egw_node *lim = G(rule, "limit");
		const egw_node *fm = G(lim, "fromMetadata");
		egw_node *one = xpush(x, rls, xo(x));
		xset(x, one, "actions", rule_actions(x, rule, ri, gk));
		if (G(rule, "requestCost"))
			xset(x, one, "hitsAddend", cost(x, G(rule, "requestCost")));
		if (fm) {
			egw_node *mk = xobj(x, xobj(x, xobj(x, one, "limit"), "dynamicMetadata"), "metadataKey");
			xs(x, mk, "key", GS(fm, "namespace"));
			xs(x, xpush(x, xarr(x, mk, "path"), xo(x)), "key", GS(fm, "key"));
		}
		xs(x, one, "xRatelimitOption", x_rl_option(GS(rule, "xRateLimitOption")));
		if (G(rule, "responseCost")) {
			egw_node *two = xpush(x, rls, xo(x));
			xset(x, two, "actions", rule_actions(x, rule, ri, gk));
			xb(x, two, "applyOnStreamDone", true);
			xset(x, two, "hitsAddend", cost(x, G(rule, "responseCost")));
			if (fm)
				xset(x, two, "limit", egw_clone(x->a, egw_get(one, "limit")));
			xs(x, two, "xRatelimitOption", x_rl_option(GS(rule, "xRateLimitOption")));
		}
	}
}
const hfilter hf_ratelimit = {rl_hcm, rl_route};

/* ---- the rate limit service cluster ---- */

/* A cluster to a control-plane service (rate limit, wasm), reached over
 * mutual TLS with the Envoy client certificate of globalResources. */
void xds_gateway_service_cluster(xt *x, const char *name, const char *host, int64_t port)
{
	if (xfind(x, EGW_XDS_CLUSTER, name))
		return;
	egw_node *ep = xo(x);
	xs(x, ep, "host", host);
	xi(x, ep, "port", port);
	egw_node *st = xo(x);
	xs(x, st, "name", egw_sprintf(x->a, "%s/backend/-1", name));
	xs(x, st, "addressType", "FQDN");
	xs(x, st, "protocol", "GRPC");
	xpush(x, xarr(x, st, "endpoints"), ep);
	egw_node *settings = xa(x);
	xpush(x, settings, st);
	cluster_args ca = {0};
	ca.name = name;
	ca.settings = settings;
	ca.is_http = true;
	xds_cluster_add(x, &ca);
	egw_node *c = xfind(x, EGW_XDS_CLUSTER, name);
	const egw_node *cc = G(G(x->ir, "globalResources"), "envoyClientCertificate");
	egw_node *ts = xobj(x, c, "transportSocket");
	xs(x, ts, "name", "envoy.transport_sockets.tls");
	egw_node *tc = xset(x, ts, "typedConfig", xany(x, "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"));
	egw_node *ctc = xobj(x, tc, "commonTlsContext");
	egw_node *sds = xpush(x, xarr(x, ctc, "tlsCertificateSdsSecretConfigs"), xo(x));
	xs(x, sds, "name", GS(cc, "name"));
	xset(x, sds, "sdsConfig", xads(x, true));
	xs(x, xobj(x, ctc, "tlsParams"), "tlsMaximumProtocolVersion", "TLSv1_3");
	xs(x, xobj(x, xobj(x, ctc, "validationContext"), "trustedCa"), "filename", "/certs/ca.crt");
	if (cc && !xfind(x, EGW_XDS_SECRET, GS(cc, "name")))
		xadd(x, EGW_XDS_SECRET, xds_secret_cert(x, cc));
}

void xds_ratelimit_cluster(xt *x, const egw_node *hl)
{
	if (!listener_has_global(x, hl) || !G(G(x->ir, "globalResources"), "envoyClientCertificate"))
		return;
	const char *dom = x->c->dns_domain ? x->c->dns_domain : "cluster.local";
	xds_gateway_service_cluster(x, RL_CLUSTER, egw_sprintf(x->a, "envoy-ratelimit.envoy-gateway-system.svc.%s", dom),
				    8081);
}

/* ---- the rate limit service configuration ---- */

static egw_node *rls_desc(xt *x, const char *key, const char *value, bool shadow)
{
	egw_node *d = xo(x);
	xs(x, d, "key", key);
	xs(x, d, "value", value ? value : "");
	egw_obj_set(x->a, d, "rate_limit", egw_null(x->a));
	xarr(x, d, "descriptors");
	xb(x, d, "shadow_mode", shadow);
	xb(x, d, "quota_mode", false);
	xb(x, d, "detailed_metric", false);
	xb(x, d, "value_to_metric", false);
	xb(x, d, "share_threshold", false);
	return d;
}

static const char *unit_upper(xt *x, const char *u)
{
	char *o = egw_strdup(x->a, u ? u : "");
	for (char *p = o; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return o;
}

static void set_limit(xt *x, egw_node *d, const egw_node *lim)
{
	egw_node *rl = xo(x);
	xi(x, rl, "requests_per_unit", GI(lim, "requests", 0));
	xs(x, rl, "unit", unit_upper(x, GS(lim, "unit")));
	xb(x, rl, "unlimited", false);
	xs(x, rl, "name", "");
	xarr(x, rl, "replaces");
	xset(x, d, "rate_limit", rl);
}

static egw_node *rule_descriptor(xt *x, const egw_node *rule, int ri)
{
	bool shadow = GB(rule, "shadowMode");
	egw_node *head = NULL, *cur = NULL;
	int mi = 0;
	const egw_node *m;
#define CHAIN(d)                                                               \
	do {                                                                   \
		egw_node *d_ = (d);                                            \
		if (!head)                                                     \
			head = d_;                                             \
		else                                                           \
			xpush(x, egw_get(cur, "descriptors"), d_);             \
		cur = d_;                                                      \
	} while (0)
	EGW_ARR_EACH(G(rule, "headerMatches"), i, m) {
		const char *k = desc_key(x, ri, mi++);
		CHAIN(rls_desc(x, k, GB(m, "distinct") ? "" : k, shadow));
	}
	EGW_ARR_EACH(G(rule, "queryParamMatches"), i, m) {
		const char *k = desc_key(x, ri, mi++);
		CHAIN(rls_desc(x, k, GB(m, "distinct") ? "" : k, shadow));
	}
	if (egw_len(G(rule, "methodMatches"))) {
		const char *k = egw_sprintf(x->a, "rule-%d-method", ri);
		CHAIN(rls_desc(x, k, k, shadow));
	}
	if (G(rule, "pathMatch")) {
		const char *k = egw_sprintf(x->a, "rule-%d-path", ri);
		CHAIN(rls_desc(x, k, k, shadow));
	}
	const egw_node *cm = G(rule, "cidrMatch");
	if (cm) {
		const char *cidr = GS(cm, "cidr");
		CHAIN(rls_desc(x, "masked_remote_address",
			       GB(cm, "invert") ? egw_sprintf(x->a, "invert:%s", cidr ? cidr : "") : cidr, shadow));
		if (GB(cm, "distinct"))
			CHAIN(rls_desc(x, "remote_address", "", shadow));
	}
	if (!head) {
		const char *k = desc_key(x, ri, -1);
		CHAIN(rls_desc(x, k, k, shadow));
	}
#undef CHAIN
	set_limit(x, cur, G(rule, "limit"));
	return head;
}

egw_node *egw_xds_ratelimit_config(egw_ctx *c, const egw_node *ir)
{
	xt X;
	xt *x = &X;
	memset(x, 0, sizeof *x);
	x->c = c;
	x->a = c->arena;
	x->ir = ir;
	egw_node *docs = egw_arr(c->arena);
	egw_map domains; /* domain -> doc */
	egw_map_init(&domains, x->a);
	egw_map seen; /* domain|rule name -> 1 (shared rules once per domain) */
	egw_map_init(&seen, x->a);
	const egw_node *hl;
	const egw_node *lst = G(ir, "http");
	if (!lst && G(ir, "routes")) {
		/* a single HTTP listener */
		egw_node *one = egw_arr(c->arena);
		egw_arr_push(c->arena, one, (egw_node *)ir);
		lst = one;
	}
	EGW_ARR_EACH(lst, li, hl) {
		const char *ldom = GS(hl, "name") ? GS(hl, "name") : ""; /* a listener must have a name; none is not a crash */
		egw_node *ldoc = NULL;
		/* the listener's own domain comes first */
		egw_node *first = xo(x);
		xs(x, first, "name", ldom);
		xs(x, first, "domain", ldom);
		xarr(x, first, "descriptors");
		egw_map_put(&domains, ldom ? ldom : "", first);
		size_t first_at = docs->n;
		xpush(x, docs, first);
		const egw_node *r;
		EGW_ARR_EACH(G(hl, "routes"), ri_, r) {
			const egw_node *rules = G(global_rules(r), "rules");
			egw_node *route_desc = NULL;
			egw_map idx; /* domain -> next rule index */
			egw_map_init(&idx, x->a);
			const egw_node *rule;
			EGW_ARR_EACH(rules, i, rule) {
				bool sh = rule_shared(rule);
				const char *d = sh ? shared_domain(x, rule) : ldom;
				intptr_t n = (intptr_t)egw_map_get(&idx, d);
				egw_map_put(&idx, d, (void *)(n + 1));
				egw_node *doc = egw_map_get(&domains, d);
				if (!doc && !sh) {
					doc = xo(x);
					xs(x, doc, "name", d);
					xs(x, doc, "domain", d);
					xarr(x, doc, "descriptors");
					egw_map_put(&domains, d, doc);
					xpush(x, docs, doc);
				}
				if (!doc) {
					doc = xo(x);
					xs(x, doc, "name", d);
					xs(x, doc, "domain", d);
					xarr(x, doc, "descriptors");
					egw_map_put(&domains, d, doc);
					xpush(x, docs, doc);
				}
				egw_node *rd = rule_descriptor(x, rule, (int)n);
				if (sh) {
					const char *rn = GS(rule, "name");
					const char *key = egw_sprintf(x->a, "%s|%s", d, rn ? rn : "");
					if (egw_map_has(&seen, key))
						continue;
					egw_map_put(&seen, key, (void *)1);
					egw_node *top = rls_desc(x, rn, rn, false);
					xpush(x, egw_get(top, "descriptors"), rd);
					xpush(x, egw_get(doc, "descriptors"), top);
				} else {
					ldoc = doc;
					if (!route_desc) {
						route_desc = rls_desc(x, GS(r, "name"), GS(r, "name"), false);
						xpush(x, egw_get(doc, "descriptors"), route_desc);
					}
					xpush(x, egw_get(route_desc, "descriptors"), rd);
				}
			}
		}
		if (!ldoc) {
			/* no rule of this listener's own domain: drop its document */
			for (size_t k = first_at; k + 1 < docs->n; k++)
				docs->c.items[k] = docs->c.items[k + 1];
			docs->n--;
			egw_map_put(&domains, ldom ? ldom : "", NULL);
		}
	}
	return docs;
}
