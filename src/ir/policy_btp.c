/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BackendTrafficPolicy: the traffic features of an IR route (timeouts, load
 * balancing, circuit breaking, health checks, rate limits, ...).  A route
 * keeps the features of the most specific policy that reached it first; a
 * policy whose features fail to build turns its routes into 500 direct
 * responses, as Envoy Gateway does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_util.h"

typedef struct btp_feat {
	egw_node *traffic;
	egw_node *use_client_protocol;
} btp_feat;

static const char *btp_timeout(pol_ctx *pc, egw_node *to, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!to)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *tcp = egw_get(to, "tcp"), *http = egw_get(to, "http");
	if (tcp) {
		egw_node *x = egw_set_obj(t->a, o, "tcp");
		const char *ct = egw_get_str(tcp, "connectTimeout", NULL);
		if (ct) {
			double d;
			if (!ir_parse_duration(ct, &d))
				return egw_sprintf(t->a, "invalid ConnectTimeout value %s", ct);
			egw_set_str(t->a, x, "connectTimeout", ir_fmt_duration(t, d));
		}
	}
	if (http) {
		egw_node *x = egw_set_obj(t->a, o, "http");
		static const char *const keys[][2] = {
			{ "connectionIdleTimeout", "ConnectionIdleTimeout" },
			{ "maxConnectionDuration", "MaxConnectionDuration" },
			{ "requestTimeout", "RequestTimeout" },
			{ "maxStreamDuration", "MaxStreamDuration" },
			{ "streamIdleTimeout", "StreamIdleTimeout" },
		};
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			const char *v = egw_get_str(http, keys[i][0], NULL);
			if (!v)
				continue;
			double d;
			if (!ir_parse_duration(v, &d))
				return egw_sprintf(t->a, "invalid %s value %s", keys[i][1], v);
			egw_set_str(t->a, x, keys[i][0], ir_fmt_duration(t, d));
		}
	}
	*out = o;
	return NULL;
}

static const char *btp_lb(pol_ctx *pc, egw_node *lb, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!lb)
		return NULL;
	const char *type = egw_get_str(lb, "type", "");
	egw_node *o = egw_obj(t->a);
	egw_node *x = NULL;
	if (!strcmp(type, "RoundRobin"))
		x = egw_set_obj(t->a, o, "roundRobin");
	else if (!strcmp(type, "LeastRequest"))
		x = egw_set_obj(t->a, o, "leastRequest");
	else if (!strcmp(type, "Random"))
		x = egw_set_obj(t->a, o, "random");
	else if (!strcmp(type, "BackendUtilization"))
		x = egw_set_obj(t->a, o, "backendUtilization");
	else if (!strcmp(type, "ConsistentHash")) {
		x = egw_set_obj(t->a, o, "consistentHash");
		egw_node *ch = egw_get(lb, "consistentHash");
		const char *ct = egw_get_str(ch, "type", "");
		if (!strcmp(ct, "SourceIP"))
			egw_set_bool(t->a, x, "sourceIP", true);
		else if (!strcmp(ct, "Header")) {
			egw_node *h = egw_get(ch, "header");
			if (h) {
				egw_node *hs = egw_set_arr(t->a, x, "headers");
				egw_node *ho = egw_arr_push(t->a, hs, egw_obj(t->a));
				egw_set_str(t->a, ho, "name", egw_get_str(h, "name", ""));
			}
			egw_node *hs2 = egw_get(ch, "headers");
			if (hs2) {
				egw_node *hs = egw_set_arr(t->a, x, "headers");
				egw_node *h2;
				EGW_ARR_EACH(hs2, i, h2)
				{
					egw_node *ho = egw_arr_push(t->a, hs, egw_obj(t->a));
					egw_set_str(t->a, ho, "name", egw_get_str(h2, "name", ""));
				}
			}
		} else if (!strcmp(ct, "Cookie")) {
			pol_copy(t, x, ch, "cookie");
		} else if (!strcmp(ct, "QueryParams")) {
			pol_copy(t, x, ch, "queryParams");
		}
		int64_t ts;
		if (egw_node_int(egw_get(ch, "tableSize"), &ts))
			egw_set_int(t->a, x, "tableSize", ts);
	}
	egw_node *ss = egw_get(lb, "slowStart");
	if (x && ss) {
		egw_node *so = egw_set_obj(t->a, x, "slowStart");
		double d;
		const char *w = egw_get_str(ss, "window", NULL);
		if (w && ir_parse_duration(w, &d))
			egw_set_str(t->a, so, "window", ir_fmt_duration(t, d));
	}
	egw_node *za = egw_get(lb, "zoneAware");
	egw_node *wz = egw_get(za, "weightedZones");
	if (wz)
		egw_obj_set(t->a, o, "weightedZones", egw_clone(t->a, wz));
	else if (za)
		egw_obj_set(t->a, o, "zoneAware", egw_clone(t->a, za));
	egw_node *bu = egw_get(lb, "backendUtilization");
	if (x && !strcmp(type, "BackendUtilization")) {
		egw_node *b = bu ? pol_durations(t, bu) : egw_obj(t->a);
		if (!egw_get(b, "keepResponseHeaders"))
			egw_set_bool(t->a, b, "keepResponseHeaders", false);
		egw_obj_set(t->a, o, "backendUtilization", b);
	}
	pol_copy(t, o, lb, "endpointOverride");
	*out = o;
	return NULL;
}

static const char *btp_cb(pol_ctx *pc, egw_node *cb, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!cb)
		return NULL;
	egw_node *o = egw_obj(t->a);
	static const char *const keys[][2] = {
		{ "maxConnections", "MaxConnections" },
		{ "maxPendingRequests", "MaxPendingRequests" },
		{ "maxParallelRequests", "MaxParallelRequests" },
		{ "maxParallelRetries", "MaxParallelRetries" },
		{ "maxRequestsPerConnection", "MaxRequestsPerConnection" },
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		int64_t v;
		if (!egw_node_int(egw_get(cb, keys[i][0]), &v))
			continue;
		if (v < 0 || v > 4294967295LL)
			return egw_sprintf(t->a, "invalid %s value %lld", keys[i][1], (long long)v);
		egw_set_int(t->a, o, keys[i][0], v);
	}
	pol_copy(t, o, cb, "perEndpoint");
	egw_node *rb = egw_get(cb, "retryBudget");
	if (rb) {
		/* the budget's fraction becomes a percentage */
		egw_node *r = egw_clone(t->a, rb);
		egw_node *pf = egw_get(rb, "percent");
		if (pf && pf->kind == EGW_OBJ) {
			int64_t n = 0, d = 100;
			egw_node_int(egw_get(pf, "numerator"), &n);
			egw_node_int(egw_get(pf, "denominator"), &d);
			double num = (double)n, den = (double)d;
			egw_obj_set(t->a, r, "percent", egw_float(t->a, den ? num * 100.0 / den : 0));
		}
		egw_obj_set(t->a, o, "retryBudget", r);
	}
	*out = o;
	return NULL;
}

static const char *btp_keepalive(pol_ctx *pc, egw_node *ka, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!ka)
		return NULL;
	egw_node *o = egw_obj(t->a);
	int64_t v;
	if (egw_node_int(egw_get(ka, "probes"), &v))
		egw_set_int(t->a, o, "probes", v);
	const char *keys[] = { "idleTime", "interval" };
	const char *names[] = { "IdleTime", "Interval" };
	for (int i = 0; i < 2; i++) {
		const char *s = egw_get_str(ka, keys[i], NULL);
		if (!s)
			continue;
		double d;
		if (!ir_parse_duration(s, &d))
			return egw_sprintf(t->a, "invalid %s value %s", names[i], s);
		egw_set_int(t->a, o, keys[i], (int64_t)d);
	}
	*out = o;
	return NULL;
}

static const char *btp_connection(pol_ctx *pc, egw_node *bc, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!bc)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *bl = egw_get(bc, "bufferLimit");
	if (bl) {
		const char *s = egw_text(bl);
		int64_t v;
		int rc = pol_quantity(s, &v);
		if (rc < 0)
			return egw_sprintf(t->a, "invalid BufferLimit value %s", s);
		if (rc > 0 || v < 0 || v > 4294967295LL)
			return egw_sprintf(t->a, "BufferLimit value %s is out of range", pol_quantity_canonical(t, s));
		egw_set_int(t->a, o, "bufferLimit", v);
	}
	egw_node *pc2 = egw_get(bc, "preconnect");
	if (pc2)
		egw_obj_set(t->a, o, "preconnect", egw_clone(t->a, pc2));
	*out = o;
	return NULL;
}

static egw_node *btp_dns(pol_ctx *pc, ir_pol *p, egw_node *dns)
{
	ir_tr *t = pc->t;
	if (!dns)
		return NULL;
	egw_node *o = egw_obj(t->a);
	const char *rr = egw_get_str(dns, "dnsRefreshRate", NULL);
	double d;
	if (rr && ir_parse_duration(rr, &d))
		egw_set_str(t->a, o, "dnsRefreshRate", ir_fmt_duration(t, d));
	egw_node *rt = egw_get(dns, "respectDnsTtl");
	if (rt)
		egw_set_bool(t->a, o, "respectDnsTtl", egw_node_bool(rt, false));
	const char *lf = egw_get_str(dns, "lookupFamily", NULL);
	if (lf)
		egw_set_str(t->a, o, "lookupFamily", lf);
	egw_set_str(t->a, o, "name", egw_sprintf(t->a, "%s/%s", p->o->ns, p->o->name));
	return o;
}

static egw_node *btp_fault(pol_ctx *pc, egw_node *fi)
{
	ir_tr *t = pc->t;
	if (!fi)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *dl = egw_get(fi, "delay");
	if (dl) {
		egw_node *x = egw_set_obj(t->a, o, "delay");
		pol_copy(t, x, dl, "percentage");
		double d = 0;
		const char *fd = egw_get_str(dl, "fixedDelay", NULL);
		if (fd)
			ir_parse_duration(fd, &d);
		egw_set_str(t->a, x, "fixedDelay", ir_fmt_duration(t, d));
	}
	egw_node *ab = egw_get(fi, "abort");
	if (ab) {
		egw_node *x = egw_set_obj(t->a, o, "abort");
		const char *keys[] = { "percentage", "grpcStatus", "httpStatus" };
		for (int i = 0; i < 3; i++) {
			egw_node *v = egw_get(ab, keys[i]);
			if (v)
				egw_obj_set(t->a, x, keys[i], egw_clone(t->a, v));
		}
	}
	return o;
}

static egw_node *btp_compression(pol_ctx *pc, egw_node *spec)
{
	ir_tr *t = pc->t;
	egw_node *src = egw_get(spec, "compressor");
	bool newstyle = src != NULL;
	if (!src)
		src = egw_get(spec, "compression");
	if (!src || !egw_len(src))
		return NULL;
	egw_node *arr = egw_arr(t->a);
	egw_node *c;
	EGW_ARR_EACH(src, i, c)
	{
		const char *type = egw_get_str(c, "type", "");
		if (newstyle) {
			char key[32];
			snprintf(key, sizeof key, "%s", type);
			for (char *q = key; *q; q++)
				if (*q >= 'A' && *q <= 'Z')
					*q = (char)(*q - 'A' + 'a');
			egw_node *tc = egw_get(c, key);
			if (!tc || tc->kind == EGW_NULL)
				continue;
		}
		egw_node *o = egw_arr_push(t->a, arr, egw_obj(t->a));
		if (i == 0)
			egw_set_bool(t->a, o, "chooseFirst", true);
		egw_set_str(t->a, o, "type", type);
		egw_node *mcl = egw_path(c, "minContentLength");
		int64_t v;
		if (mcl && pol_quantity(egw_text(mcl), &v) == 0)
			egw_set_int(t->a, o, "minContentLength", v);
	}
	return arr->n ? arr : NULL;
}

static egw_node *btp_upgrade(pol_ctx *pc, egw_node *hu)
{
	ir_tr *t = pc->t;
	if (!hu || !egw_len(hu))
		return NULL;
	egw_node *arr = egw_arr(t->a);
	egw_node *c;
	EGW_ARR_EACH(hu, i, c)
	{
		egw_node *o = egw_arr_push(t->a, arr, egw_obj(t->a));
		egw_set_str(t->a, o, "type", egw_get_str(c, "type", ""));
		pol_copy(t, o, c, "connect");
	}
	return arr;
}

static const char *btp_http2(pol_ctx *pc, egw_node *h2, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!h2)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *v;
	/* Envoy Gateway writes each window size into the other's field. */
	const char *q[] = { "initialStreamWindowSize", "initialConnectionWindowSize" };
	for (int i = 0; i < 2; i++) {
		v = egw_get(h2, q[i]);
		if (!v)
			continue;
		int64_t n;
		if (pol_quantity(egw_text(v), &n) != 0)
			return egw_sprintf(t->a, "invalid %s value %s", q[i], egw_text(v));
		egw_set_int(t->a, o, q[1 - i], n);
	}
	v = egw_get(h2, "maxConcurrentStreams");
	if (v)
		egw_obj_set(t->a, o, "maxConcurrentStreams", egw_clone(t->a, v));
	const char *oim = egw_get_str(h2, "onInvalidMessage", NULL);
	if (oim)
		egw_set_bool(t->a, o, "resetStreamOnError", !strcmp(oim, "TerminateStream"));
	egw_node *ck = egw_get(h2, "connectionKeepalive");
	if (ck) {
		egw_node *x = egw_set_obj(t->a, o, "connectionKeepalive");
		egw_member *m;
		EGW_OBJ_EACH(ck, i, m)
		{
			double d;
			if (m->val->kind == EGW_STR && ir_parse_duration(m->val->str, &d))
				egw_set_str(t->a, x, m->key, ir_fmt_duration(t, d));
			else
				egw_obj_set(t->a, x, m->key, egw_clone(t->a, m->val));
		}
	}
	*out = o;
	return NULL;
}

static const char *btp_bandwidth(pol_ctx *pc, egw_node *bw, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!bw)
		return NULL;
	egw_node *o = egw_obj(t->a);
	const char *dirs[] = { "request", "response" };
	for (int i = 0; i < 2; i++) {
		egw_node *d = egw_get(bw, dirs[i]);
		if (!d)
			continue;
		egw_node *lim = egw_get(d, "limit");
		const char *unit = egw_get_str(lim, "unit", "Second");
		int64_t bytes;
		if (pol_quantity(egw_text(egw_get(lim, "value")), &bytes) != 0)
			return egw_sprintf(t->a, "%s: invalid bandwidth limit value %s", dirs[i],
					   egw_text(egw_get(lim, "value")));
		int64_t secs = !strcmp(unit, "Minute") ? 60 : !strcmp(unit, "Hour") ? 3600 : 1;
		if (bytes / secs < 1024)
			return egw_sprintf(t->a, "%s: bandwidth limit of %lld bytes per %s is below the minimum of 1 KiB/s",
					   dirs[i], (long long)bytes, unit);
		egw_node *x = egw_set_obj(t->a, o, dirs[i]);
		egw_set_int(t->a, x, "limitKibps", bytes / 1024 / secs);
		egw_member *m;
		EGW_OBJ_EACH(d, k, m)
		{
			if (strcmp(m->key, "limit"))
				egw_obj_set(t->a, x, m->key, egw_clone(t->a, m->val));
		}
	}
	*out = o;
	return NULL;
}

static egw_node *string_match(ir_tr *t, const char *name, egw_node *v)
{
	egw_node *m = egw_obj(t->a);
	egw_set_bool(t->a, m, "distinct", false);
	const char *ty = egw_get_str(v, "type", "Exact");
	const char *k = !strcmp(ty, "Prefix")		   ? "prefix"
			: !strcmp(ty, "Suffix")		   ? "suffix"
			: !strcmp(ty, "RegularExpression") ? "safeRegex"
							   : "exact";
	egw_set_str(t->a, m, k, egw_get_str(v, "value", ""));
	egw_set_str(t->a, m, "name", name);
	return m;
}

static const char *btp_response_override(pol_ctx *pc, ir_pol *p, egw_node *ros, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!egw_len(ros))
		return NULL;
	const char *base = egw_sprintf(t->a, "backendtrafficpolicy/%s/%s", p->o->ns, p->o->name);
	egw_node *o = egw_obj(t->a);
	egw_set_str(t->a, o, "name", base);
	egw_node *rules = egw_set_arr(t->a, o, "rules");
	egw_node *ro;
	EGW_ARR_EACH(ros, i, ro)
	{
		egw_node *r = egw_arr_push(t->a, rules, egw_obj(t->a));
		egw_node *m = egw_set_obj(t->a, r, "match");
		egw_node *sc;
		egw_node *mt = egw_get(ro, "match");
		if (egw_len(egw_get(mt, "responseHeaders"))) {
			egw_node *arr = egw_set_arr(t->a, m, "responseHeaders");
			egw_node *h;
			EGW_ARR_EACH(egw_get(mt, "responseHeaders"), k, h)
			egw_arr_push(t->a, arr, string_match(t, egw_get_str(h, "name", ""), egw_get(h, "value")));
		}
		if (egw_len(egw_get(mt, "statusCodes"))) {
			egw_node *arr = egw_set_arr(t->a, m, "statusCodes");
			EGW_ARR_EACH(egw_get(mt, "statusCodes"), k, sc)
			{
				egw_node *x = egw_arr_push(t->a, arr, egw_obj(t->a));
				if (ir_streq(egw_get_str(sc, "type", ""), "Range")) {
					egw_node *rg = egw_set_obj(t->a, x, "range");
					egw_obj_set(t->a, rg, "end", egw_clone(t->a, egw_path(sc, "range.end")));
					egw_obj_set(t->a, rg, "start", egw_clone(t->a, egw_path(sc, "range.start")));
				} else {
					egw_obj_set(t->a, x, "value", egw_clone(t->a, egw_get(sc, "value")));
				}
			}
		}
		egw_set_str(t->a, r, "name", egw_sprintf(t->a, "%s/responseoverride/rule/%zu", base, i));
		egw_node *rd = egw_get(ro, "redirect");
		if (rd) {
			egw_node *x = egw_set_obj(t->a, r, "redirect");
			egw_member *mm;
			EGW_OBJ_EACH(rd, k, mm)
			{
				if (!strcmp(mm->key, "path")) {
					egw_node *pth = egw_set_obj(t->a, x, "path");
					const char *ty = egw_get_str(mm->val, "type", "");
					if (!strcmp(ty, "ReplaceFullPath"))
						egw_set_str(t->a, pth, "fullReplace", egw_get_str(mm->val, "replaceFullPath", ""));
					else
						egw_set_str(t->a, pth, "prefixMatchReplace",
							    egw_get_str(mm->val, "replacePrefixMatch", ""));
				} else
					egw_obj_set(t->a, x, mm->key, egw_clone(t->a, mm->val));
			}
		}
		egw_node *rs = egw_get(ro, "response");
		if (!rs)
			continue;
		egw_node *x = egw_set_obj(t->a, r, "response");
		egw_node *hdr = egw_get(rs, "header");
		if (hdr) {
			egw_node *adds = egw_arr(t->a);
			const char *kinds[] = { "add", "set" };
			for (int k = 0; k < 2; k++) {
				egw_node *h;
				EGW_ARR_EACH(egw_get(hdr, kinds[k]), j, h)
				{
					egw_node *a = egw_arr_push(t->a, adds, egw_obj(t->a));
					egw_set_bool(t->a, a, "addIfAbsent", false);
					egw_set_bool(t->a, a, "append", k == 0);
					egw_set_str(t->a, a, "name", egw_get_str(h, "name", ""));
					egw_arr_push(t->a, egw_set_arr(t->a, a, "value"), ir_s(t, egw_get_str(h, "value", "")));
				}
			}
			if (adds->n)
				egw_obj_set(t->a, x, "addResponseHeaders", adds);
			if (egw_len(egw_get(hdr, "remove")))
				egw_obj_set(t->a, x, "removeResponseHeaders", egw_clone(t->a, egw_get(hdr, "remove")));
		}
		egw_node *body = egw_get(rs, "body");
		if (body) {
			const char *text = NULL;
			if (ir_streq(egw_get_str(body, "type", ""), "ValueRef")) {
				egw_node *vr = egw_get(body, "valueRef");
				const char *cm = egw_get_str(vr, "name", ""), *cns = pol_ref_ns(p, vr);
				egw_object *c = egw_res_find(t->rs, EGW_K_CONFIGMAP, cns, cm);
				if (!c)
					return egw_sprintf(t->a, "can't find the referenced configmap %s/%s", cns, cm);
				text = egw_get_str(egw_get(c->node, "data"), "response.body", NULL);
				if (!text)
					return egw_sprintf(t->a,
							   "can't find the key response.body in the referenced configmap %s",
							   cm);
			} else {
				text = egw_get_str(body, "inline", "");
			}
			egw_set_str(t->a, x, "body", ir_b64_encode(t, text, strlen(text)));
		}
		const char *ct = egw_get_str(rs, "contentType", NULL);
		if (ct)
			egw_set_str(t->a, x, "contentType", ct);
		pol_copy(t, x, rs, "statusCode");
	}
	*out = o;
	return NULL;
}

/* ---- rate limit ---- */

static int64_t unit_secs(const char *u)
{
	if (!strcmp(u, "Second"))
		return 1;
	if (!strcmp(u, "Minute"))
		return 60;
	if (!strcmp(u, "Hour"))
		return 3600;
	if (!strcmp(u, "Day"))
		return 86400;
	if (!strcmp(u, "Month"))
		return 2592000;
	if (!strcmp(u, "Year"))
		return 31536000;
	return 0;
}

/* Go's regexp error text for the mistakes users make most. */
static const char *regex_err(ir_tr *t, const char *re)
{
	char op = ir_regex_bad_op(re);
	if (op)
		return egw_sprintf(t->a,
				   "regex \"%s\" is invalid: error parsing regexp: missing argument to repetition operator: `%c`",
				   re, op);
	return egw_sprintf(t->a, "regex \"%s\" is invalid", re);
}

static const char *rl_rule(pol_ctx *pc, egw_node *rule, egw_node **out)
{
	ir_tr *t = pc->t;
	egw_node *o = egw_obj(t->a);
	egw_node *hm = egw_arr(t->a), *mm = egw_arr(t->a);
	egw_node *sel;
	EGW_ARR_EACH(egw_get(rule, "clientSelectors"), i, sel)
	{
		if (!egw_len(egw_get(sel, "headers")) && !egw_len(egw_get(sel, "methods")) &&
		    !egw_get(sel, "path") && !egw_get(sel, "sourceCIDR"))
			return "unable to translate rateLimit. At least one of the header or method or path or sourceCIDR must be specified";
		egw_node *h;
		EGW_ARR_EACH(egw_get(sel, "headers"), j, h)
		{
			const char *type = egw_get_str(h, "type", NULL);
			const char *val = egw_get_str(h, "value", NULL);
			egw_node *inv = egw_get(h, "invert");
			egw_node *m = egw_obj(t->a);
			if ((!type || !strcmp(type, "Exact")) && val) {
				egw_set_bool(t->a, m, "distinct", false);
				egw_set_str(t->a, m, "exact", val);
				if (inv)
					egw_obj_set(t->a, m, "invert", egw_clone(t->a, inv));
				egw_set_str(t->a, m, "name", egw_get_str(h, "name", ""));
			} else if (type && !strcmp(type, "RegularExpression") && val) {
				if (!ir_regex_valid(val))
					return regex_err(t, val);
				egw_set_bool(t->a, m, "distinct", false);
				if (inv)
					egw_obj_set(t->a, m, "invert", egw_clone(t->a, inv));
				egw_set_str(t->a, m, "name", egw_get_str(h, "name", ""));
				egw_set_str(t->a, m, "safeRegex", val);
			} else if (type && !strcmp(type, "Distinct") && !val) {
				if (inv && egw_node_bool(inv, false))
					return "unable to translate rateLimit.Invert is not applicable for distinct header match type";
				egw_set_bool(t->a, m, "distinct", true);
				egw_set_str(t->a, m, "name", egw_get_str(h, "name", ""));
			} else {
				return "unable to translate rateLimit. Either the header.Type is not valid or the header is missing a value";
			}
			egw_arr_push(t->a, hm, m);
		}
		egw_node *me;
		EGW_ARR_EACH(egw_get(sel, "methods"), j, me)
		{
			egw_node *m = egw_arr_push(t->a, mm, egw_obj(t->a));
			egw_set_bool(t->a, m, "distinct", false);
			egw_set_str(t->a, m, "exact", egw_get_str(me, "value", ""));
			egw_node *inv = egw_get(me, "invert");
			if (inv)
				egw_obj_set(t->a, m, "invert", egw_clone(t->a, inv));
		}
		egw_node *path = egw_get(sel, "path");
		if (path) {
			const char *pt = egw_get_str(path, "type", "PathPrefix");
			const char *pv = egw_get_str(path, "value", "");
			egw_node *m = egw_set_obj(t->a, o, "pathMatch");
			egw_set_bool(t->a, m, "distinct", false);
			if (!strcmp(pt, "PathPrefix")) {
				if (!strcmp(pv, "/"))
					egw_set_str(t->a, m, "prefix", pv);
				else {
					size_t n = strlen(pv);
					while (n > 1 && pv[n - 1] == '/')
						n--;
					egw_set_str(t->a, m, "safeRegex",
						    egw_sprintf(t->a, "^%s(/.*|\\?.*|#.*|;.*|$)", pol_regex_quote(t, egw_strndup(t->a, pv, n))));
				}
			} else if (!strcmp(pt, "Exact")) {
				egw_set_str(t->a, m, "exact", pv);
			} else if (!strcmp(pt, "RegularExpression")) {
				if (!ir_regex_valid(pv))
					return regex_err(t, pv);
				egw_set_str(t->a, m, "safeRegex", pv);
			} else {
				return "unable to translate rateLimit: invalid path type.";
			}
			pol_copy(t, m, path, "invert");
		}
		egw_node *sc = egw_get(sel, "sourceCIDR");
		if (sc) {
			const char *cidr = egw_get_str(sc, "value", "");
			egw_node *cm = pol_cidr(t, cidr);
			if (!cm)
				return egw_sprintf(t->a, "unable to translate rateLimit: invalid CIDR address: %s", cidr);
			egw_set_bool(t->a, cm, "distinct", ir_streq(egw_get_str(sc, "type", ""), "Distinct"));
			egw_set_bool(t->a, cm, "invert", egw_node_bool(egw_get(sc, "invert"), false));
			egw_obj_set(t->a, o, "cidrMatch", cm);
		}
	}
	if (hm->n)
		egw_obj_set(t->a, o, "headerMatches", hm);
	if (mm->n)
		egw_obj_set(t->a, o, "methodMatches", mm);
	egw_obj_set(t->a, o, "limit", egw_clone(t->a, egw_get(rule, "limit")));
	pol_copy(t, o, rule, "shared");
	pol_copy(t, o, rule, "shadowMode");
	egw_node *xr = egw_get(rule, "xRateLimitHeaders");
	if (xr)
		egw_obj_set(t->a, o, "xRateLimitOption", egw_clone(t->a, xr));
	egw_node *cost = egw_get(rule, "cost");
	const char *ck[] = { "request", "response" };
	const char *ik[] = { "requestCost", "responseCost" };
	for (int i = 0; i < 2; i++) {
		egw_node *c = egw_get(cost, ck[i]);
		if (!c)
			continue;
		egw_node *x = egw_set_obj(t->a, o, ik[i]);
		pol_copy(t, x, c, "number");
		egw_node *md = egw_get(c, "metadata");
		if (md)
			egw_set_str(t->a, x, "format",
				    egw_sprintf(t->a, "%%DYNAMIC_METADATA(%s:%s)%%", egw_get_str(md, "namespace", ""),
						egw_get_str(md, "key", "")));
	}
	*out = o;
	return NULL;
}

static const char *rl_local(pol_ctx *pc, ir_pol *p, egw_node *local, egw_node **out)
{
	ir_tr *t = pc->t;
	egw_node *def = NULL;
	egw_node *r;
	EGW_ARR_EACH(egw_get(local, "rules"), i, r)
	{
		if (egw_len(egw_get(r, "clientSelectors")))
			continue;
		if (def)
			return "local rateLimit can not have more than one rule without clientSelectors";
		def = egw_obj(t->a);
		egw_obj_set(t->a, def, "requests", egw_clone(t->a, egw_path(r, "limit.requests")));
		egw_set_str(t->a, def, "unit", egw_get_str(egw_get(r, "limit"), "unit", ""));
	}
	if (!def) {
		def = egw_obj(t->a);
		egw_set_int(t->a, def, "requests", 4294967295LL);
		egw_set_str(t->a, def, "unit", "Second");
	}
	int64_t du = unit_secs(egw_get_str(def, "unit", ""));
	EGW_ARR_EACH(egw_get(local, "rules"), i, r)
	{
		int64_t ru = unit_secs(egw_get_str(egw_get(r, "limit"), "unit", ""));
		if (!du || ru % du)
			return "local rateLimit rule limit unit must be a multiple of the default limit unit";
	}
	egw_node *o = egw_obj(t->a);
	egw_obj_set(t->a, o, "default", def);
	egw_node *rules = egw_arr(t->a);
	EGW_ARR_EACH(egw_get(local, "rules"), i, r)
	{
		if (!egw_len(egw_get(r, "clientSelectors")))
			continue;
		egw_node *ir;
		const char *e = rl_rule(pc, r, &ir);
		if (e)
			return e;
		egw_set_str(t->a, ir, "name", egw_sprintf(t->a, "%s/%s/rule/%zu", p->o->ns, p->o->name, i));
		egw_arr_push(t->a, rules, ir);
	}
	if (rules->n)
		egw_obj_set(t->a, o, "rules", rules);
	*out = o;
	return NULL;
}

static const char *rl_global(pol_ctx *pc, ir_pol *p, egw_node *global, egw_node **out)
{
	ir_tr *t = pc->t;
	egw_node *rl = egw_path(t->rs->config, "rateLimit");
	if (!rl)
		return "enable Ratelimit in the EnvoyGateway config to configure global rateLimit";
	egw_node *o = egw_obj(t->a);
	egw_node *rules = egw_set_arr(t->a, o, "rules");
	egw_node *r;
	EGW_ARR_EACH(egw_get(global, "rules"), i, r)
	{
		egw_node *ir;
		const char *e = rl_rule(pc, r, &ir);
		if (e)
			return e;
		egw_set_str(t->a, ir, "name", egw_sprintf(t->a, "%s/%s/rule/%zu", p->o->ns, p->o->name, i));
		egw_arr_push(t->a, rules, ir);
	}
	*out = o;
	return NULL;
}

static const char *btp_ratelimit(pol_ctx *pc, ir_pol *p, egw_node *rl, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!rl)
		return NULL;
	egw_node *o = egw_obj(t->a);
	const char *type = egw_get_str(rl, "type", NULL);
	egw_node *local = egw_get(rl, "local"), *global = egw_get(rl, "global");
	if (type) {
		if (!strcmp(type, "Global")) {
			if (!global)
				return "global configuration empty for rateLimit";
			local = NULL;
		} else if (!strcmp(type, "Local")) {
			if (!local)
				return "local configuration empty for rateLimit";
			global = NULL;
		} else
			return egw_sprintf(t->a, "invalid rateLimit type: %s", type);
	}
	egw_node *x;
	const char *e;
	if (local) {
		if ((e = rl_local(pc, p, local, &x)))
			return e;
		egw_obj_set(t->a, o, "local", x);
	}
	if (global) {
		if ((e = rl_global(pc, p, global, &x)))
			return e;
		egw_obj_set(t->a, o, "global", x);
	}
	*out = o;
	return NULL;
}

static const char *btp_retry(pol_ctx *pc, egw_node *rt, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!rt)
		return NULL;
	egw_node *o = egw_obj(t->a);
	pol_copy(t, o, rt, "numRetries");
	pol_copy(t, o, rt, "numAttemptsPerPriority");
	egw_node *ro = egw_get(rt, "retryOn");
	if (ro) {
		egw_node *x = egw_set_obj(t->a, o, "retryOn");
		egw_node *tr = egw_get(ro, "triggers");
		if (tr)
			egw_obj_set(t->a, x, "triggers", pol_sorted_unique(t, tr, false));
		egw_node *hs = egw_get(ro, "httpStatusCodes");
		if (hs)
			egw_obj_set(t->a, x, "httpStatusCodes", pol_sorted_unique(t, hs, true));
	}
	egw_node *pr = egw_get(rt, "perRetry");
	if (pr) {
		egw_node *x = egw_set_obj(t->a, o, "perRetry");
		double d;
		const char *to = egw_get_str(pr, "timeout", NULL);
		if (to && ir_parse_duration(to, &d))
			egw_set_str(t->a, x, "timeout", ir_fmt_duration(t, d));
		egw_node *bo = egw_get(pr, "backOff");
		if (bo) {
			egw_node *b = egw_set_obj(t->a, x, "backOff");
			egw_member *m;
			EGW_OBJ_EACH(bo, i, m)
			{
				if (ir_parse_duration(egw_text(m->val), &d))
					egw_set_str(t->a, b, m->key, ir_fmt_duration(t, d));
			}
		}
	}
	*out = o;
	return NULL;
}

static const char *btp_build(pol_ctx *pc, ir_pol *p, void **featp)
{
	ir_tr *t = pc->t;
	egw_node *spec = egw_get(p->o->node, "spec");
	btp_feat *f = EGW_NEW(t->a, btp_feat);
	egw_node *tr = egw_obj(t->a);
	f->traffic = tr;
	*featp = f;
	egw_buf errs;
	egw_buf_init(&errs, t->a);
	egw_node *x;
	const char *e;
#define ERR(name, call)                                                    \
	do {                                                               \
		if ((e = (call))) {                                        \
			if (errs.len)                                      \
				egw_buf_puts(&errs, "\n");                 \
			egw_buf_printf(&errs, "%s: %s", name, e);          \
		}                                                          \
	} while (0)
	x = NULL;
	ERR("RateLimit", btp_ratelimit(pc, p, egw_get(spec, "rateLimit"), &x));
	if (x)
		egw_obj_set(t->a, tr, "rateLimit", x);
	x = NULL;
	ERR("LoadBalancer", btp_lb(pc, egw_get(spec, "loadBalancer"), &x));
	if (x)
		egw_obj_set(t->a, tr, "loadBalancer", x);
	pol_copy(t, tr, spec, "proxyProtocol");
	egw_node *hc = pol_health_check(t, egw_get(spec, "healthCheck"));
	if (hc)
		egw_obj_set(t->a, tr, "healthCheck", hc);
	x = NULL;
	ERR("CircuitBreaker", btp_cb(pc, egw_get(spec, "circuitBreaker"), &x));
	if (x)
		egw_obj_set(t->a, tr, "circuitBreaker", x);
	x = btp_fault(pc, egw_get(spec, "faultInjection"));
	if (x)
		egw_obj_set(t->a, tr, "faultInjection", x);
	x = NULL;
	ERR("TCPKeepalive", btp_keepalive(pc, egw_get(spec, "tcpKeepalive"), &x));
	if (x)
		egw_obj_set(t->a, tr, "tcpKeepalive", x);
	x = NULL;
	ERR("Retry", btp_retry(pc, egw_get(spec, "retry"), &x));
	if (x)
		egw_obj_set(t->a, tr, "retry", x);
	x = NULL;
	ERR("Timeout", btp_timeout(pc, egw_get(spec, "timeout"), &x));
	if (x)
		egw_obj_set(t->a, tr, "timeout", x);
	x = NULL;
	ERR("BackendConnection", btp_connection(pc, egw_get(spec, "connection"), &x));
	if (x)
		egw_obj_set(t->a, tr, "backendConnection", x);
	x = NULL;
	ERR("HTTP2", btp_http2(pc, egw_get(spec, "http2"), &x));
	if (x)
		egw_obj_set(t->a, tr, "http2", x);
	x = btp_dns(pc, p, egw_get(spec, "dns"));
	if (x)
		egw_obj_set(t->a, tr, "dns", x);
	pol_copy(t, tr, spec, "requestBuffer");
	x = btp_compression(pc, spec);
	if (x)
		egw_obj_set(t->a, tr, "compression", x);
	x = btp_upgrade(pc, egw_get(spec, "httpUpgrade"));
	if (x)
		egw_obj_set(t->a, tr, "httpUpgrade", x);
	x = NULL;
	ERR("ResponseOverride", btp_response_override(pc, p, egw_get(spec, "responseOverride"), &x));
	if (x)
		egw_obj_set(t->a, tr, "responseOverride", x);
	x = NULL;
	ERR("BandwidthLimit", btp_bandwidth(pc, egw_get(spec, "bandwidthLimit"), &x));
	if (x)
		egw_obj_set(t->a, tr, "bandwidthLimit", x);
	egw_node *adm = egw_get(spec, "admissionControl");
	if (adm)
		egw_obj_set(t->a, tr, "admissionControl", pol_durations(t, adm));
	egw_node *tel = egw_get(spec, "telemetry");
	if (tel) {
		egw_node *tc = egw_clone(t->a, tel);
		const char *lists[] = { "customTags", "tags" };
		for (int i = 0; i < 2; i++) {
			egw_node *m = egw_path(tc, "tracing");
			egw_node *mp = egw_get(m, lists[i]);
			if (!mp || mp->kind != EGW_OBJ)
				continue;
			egw_obj_sort(mp, false);
			egw_node *arr = egw_arr(t->a);
			egw_member *mm;
			EGW_OBJ_EACH(mp, k, mm)
			{
				egw_node *kv = egw_arr_push(t->a, arr, egw_obj(t->a));
				egw_set_str(t->a, kv, "key", mm->key);
				egw_obj_set(t->a, kv, "value", mm->val);
			}
			egw_obj_set(t->a, m, lists[i], arr);
		}
		egw_obj_set(t->a, tr, "telemetry", tc);
	}
#undef ERR
	f->use_client_protocol = egw_get(spec, "useClientProtocol");
	if (egw_path(p->own ? p->own : p->o->node, "spec.compression"))
		pol_note_deprecated(t, p, "spec.compression", "spec.compressor");
	return errs.len ? egw_buf_str(&errs) : NULL;
}

static void add_policy_meta(pol_ctx *pc, ir_pol *p, egw_node *route)
{
	ir_tr *t = pc->t;
	egw_node *md = egw_obj_ensure(t->a, route, "metadata");
	egw_node *pols = egw_arr_ensure(t->a, md, "policies");
	egw_node *m = egw_arr_push(t->a, pols, egw_obj(t->a));
	egw_set_str(t->a, m, "kind", "BackendTrafficPolicy");
	egw_set_str(t->a, m, "name", p->o->name);
	egw_set_str(t->a, m, "namespace", p->o->ns);
}

static const char *route_stat_name(ir_tr *t, const char *tmpl, egw_node *md)
{
	struct {
		const char *var, *val;
	} vars[] = { { "%ROUTE_KIND%", egw_get_str(md, "kind", "") },
		     { "%ROUTE_NAMESPACE%", egw_get_str(md, "namespace", "") },
		     { "%ROUTE_NAME%", egw_get_str(md, "name", "") },
		     { "%ROUTE_RULE_NAME%", egw_get_str(md, "sectionName", "") } };
	egw_buf b;
	egw_buf_init(&b, t->a);
	for (const char *q = tmpl; *q;) {
		bool hit = false;
		for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			size_t n = strlen(vars[i].var);
			if (!strncmp(q, vars[i].var, n)) {
				egw_buf_puts(&b, vars[i].val);
				q += n;
				hit = true;
				break;
			}
		}
		if (!hit)
			egw_buf_putc(&b, *q++);
	}
	return egw_buf_str(&b);
}

static void btp_apply(pol_ctx *pc, ir_pol *p, void *featp, const char *err, pol_irroute *ir)
{
	ir_tr *t = pc->t;
	btp_feat *f = featp;
	egw_node *r = ir->route;
	const char *rsn = egw_text(egw_path(f->traffic, "telemetry.metrics.routeStatName"));
	if (rsn && (ir->xk == XL_HTTP || !egw_get(r, "statName")))
		egw_set_str(t->a, r, "statName", route_stat_name(t, rsn, egw_get(r, "metadata")));
	if (ir->xk == XL_HTTP) {
		if (err) {
			egw_node *dr = egw_set_obj(t->a, r, "directResponse");
			egw_set_int(t->a, dr, "statusCode", 500);
			return;
		}
		egw_node *tr = egw_clone(t->a, f->traffic);
		if (egw_len(tr))
			egw_obj_set(t->a, r, "traffic", tr);
		else
			egw_obj_set(t->a, r, "traffic", tr);
		if (f->use_client_protocol)
			egw_obj_set(t->a, r, "useClientProtocol", egw_clone(t->a, f->use_client_protocol));
		egw_node *bu = egw_path(tr, "loadBalancer.backendUtilization");
		if (bu && !egw_node_bool(egw_get(bu, "keepResponseHeaders"), false)) {
			egw_node *rm = egw_arr_ensure(t->a, r, "removeResponseHeaders");
			const char *hs[] = { "endpoint-load-metrics", "endpoint-load-metrics-bin" };
			for (int i = 0; i < 2; i++)
				if (!pol_str_in(rm, hs[i]))
					egw_arr_push(t->a, rm, ir_s(t, hs[i]));
		}
		add_policy_meta(pc, p, r);
		return;
	}
	if (ir->xk == XL_TCP)
		add_policy_meta(pc, p, r);
	/* TCP / UDP routes take a subset, each only when unset */
	const char *keys[] = { "loadBalancer", "proxyProtocol", "healthCheck", "circuitBreaker",
			       "tcpKeepalive", "timeout", "backendConnection", "dns" };
	size_t nk = ir->xk == XL_UDP ? 0 : sizeof keys / sizeof keys[0];
	for (size_t i = 0; i < nk; i++) {
		egw_node *v = egw_get(f->traffic, keys[i]);
		if (v && !egw_get(r, keys[i]))
			egw_obj_set(t->a, r, keys[i], egw_clone(t->a, v));
	}
	if (ir->xk == XL_UDP) {
		const char *uk[] = { "loadBalancer", "dns" };
		for (int i = 0; i < 2; i++) {
			egw_node *v = egw_get(f->traffic, uk[i]);
			if (v && !egw_get(r, uk[i]))
				egw_obj_set(t->a, r, uk[i], egw_clone(t->a, v));
		}
	}
}

static bool btp_is_set(pol_irroute *ir)
{
	if (ir->xk != XL_HTTP)
		return false;
	return egw_get(ir->route, "traffic") || egw_get(ir->route, "useClientProtocol");
}

/* Rate limit rules keep the names of the policy they come from when a
 * route policy is merged with its Gateway's (the merge is done on the IR). */
static void btp_post_merge(pol_ctx *pc, ir_pol *p, egw_object *parent, void *featp, bool strategic)
{
	ir_tr *t = pc->t;
	btp_feat *f = featp;
	egw_node *own_rl = egw_path(p->own, "spec.rateLimit");
	egw_node *par_rl = egw_path(parent->node, "spec.rateLimit");
	if (!par_rl)
		return;
	ir_pol pp;
	pol_init(pc, &pp, parent, p->kind);
	egw_node *prl = NULL, *rrl = NULL;
	if (btp_ratelimit(pc, &pp, par_rl, &prl) || !prl)
		return;
	if (!own_rl) {
		egw_obj_set(t->a, f->traffic, "rateLimit", prl);
		return;
	}
	egw_node *saved = p->o->node;
	p->o->node = p->own;
	const char *e = btp_ratelimit(pc, p, own_rl, &rrl);
	p->o->node = saved;
	if (e || !rrl)
		return;
	if (!strategic) {
		egw_obj_set(t->a, f->traffic, "rateLimit", rrl);
		return;
	}
	egw_node *out = egw_clone(t->a, prl);
	egw_member *m;
	EGW_OBJ_EACH(rrl, i, m)
	{
		egw_node *b = egw_get(out, m->key);
		if (!b) {
			egw_obj_set(t->a, out, m->key, m->val);
			continue;
		}
		/* rules: the route's first, then the Gateway's */
		egw_node *merged = egw_clone(t->a, m->val);
		egw_node *rules = egw_arr(t->a);
		egw_node *x;
		EGW_ARR_EACH(egw_get(m->val, "rules"), k, x)
		egw_arr_push(t->a, rules, x);
		EGW_ARR_EACH(egw_get(b, "rules"), k, x)
		egw_arr_push(t->a, rules, x);
		if (rules->n)
			egw_obj_set(t->a, merged, "rules", rules);
		egw_obj_set(t->a, out, m->key, merged);
	}
	egw_obj_set(t->a, f->traffic, "rateLimit", out);
}

void ir_policy_btp(pol_ctx *pc)
{
	static const pol_kind_ops ops = {
		.kind = EGW_K_BACKENDTRAFFICPOLICY,
		.name = "BackendTrafficPolicy",
		.plural = "backendTrafficPolicies",
		.rule_plural = "backendTrafficPolicy",
		.build = btp_build,
		.apply = btp_apply,
		.is_set = btp_is_set,
		.mergeable = true,
		.post_merge = btp_post_merge,
	};
	pol_drive(pc, &ops);
}

egw_node *pol_backend_settings(pol_ctx *pc, ir_pol *p, egw_node *bs, const char **err)
{
	ir_tr *t = pc->t;
	*err = NULL;
	if (!bs)
		return NULL;
	egw_node *tr = egw_obj(t->a);
	egw_node *x;
	const char *e;
#define SET(key, call)                                        \
	do {                                                  \
		x = NULL;                                     \
		if ((e = (call))) {                           \
			*err = e;                             \
			return NULL;                          \
		}                                             \
		if (x)                                        \
			egw_obj_set(t->a, tr, key, x);        \
	} while (0)
	SET("circuitBreaker", btp_cb(pc, egw_get(bs, "circuitBreaker"), &x));
	SET("backendConnection", btp_connection(pc, egw_get(bs, "connection"), &x));
	x = btp_dns(pc, p, egw_get(bs, "dns"));
	if (x) {
		egw_obj_del(x, "name");
		egw_obj_set(t->a, tr, "dns", x);
	}
	x = pol_health_check(t, egw_get(bs, "healthCheck"));
	if (x)
		egw_obj_set(t->a, tr, "healthCheck", x);
	SET("http2", btp_http2(pc, egw_get(bs, "http2"), &x));
	SET("loadBalancer", btp_lb(pc, egw_get(bs, "loadBalancer"), &x));
	pol_copy(t, tr, bs, "proxyProtocol");
	SET("retry", btp_retry(pc, egw_get(bs, "retry"), &x));
	SET("tcpKeepalive", btp_keepalive(pc, egw_get(bs, "tcpKeepalive"), &x));
	SET("timeout", btp_timeout(pc, egw_get(bs, "timeout"), &x));
#undef SET
	return egw_len(tr) ? tr : NULL;
}
