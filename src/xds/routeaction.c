/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route actions' traffic settings: timeouts, retries, hash policies and
 * protocol upgrades.
 */
#include <string.h>

#include "xds_int.h"


/* core.v3.RetryPolicy (used by services such as ext_authz). */
egw_node *xds_retry_policy_core(xt *x, const egw_node *rt)
{
	egw_node *o = xo(x);
	xi(x, o, "numRetries", GI(rt, "numRetries", 2));
	const egw_node *bo = G(G(rt, "perRetry"), "backOff");
	if (bo) {
		egw_node *rb = xobj(x, o, "retryBackOff");
		xs(x, rb, "baseInterval", xdur(x, G(bo, "baseInterval")));
		xs(x, rb, "maxInterval", xdur(x, G(bo, "maxInterval")));
	}
	egw_buf b;
	egw_buf_init(&b, x->a);
	const egw_node *t;
	EGW_ARR_EACH(G(G(rt, "retryOn"), "triggers"), i, t) {
		if (b.len)
			egw_buf_putc(&b, ',');
		egw_buf_puts(&b, egw_text(t) ? egw_text(t) : "");
	}
	if (b.len)
		xs(x, o, "retryOn", egw_buf_str(&b));
	return o;
}

static bool known_trigger(const char *t)
{
	static const char *const k[] = {"5xx", "gateway-error", "reset", "reset-before-request", "connect-failure",
					"envoy-ratelimited", "retriable-4xx", "refused-stream", "retriable-status-codes",
					"retriable-headers", "http3-post-connect-failure", "cancelled", "deadline-exceeded",
					"internal", "resource-exhausted", "unavailable"};
	for (size_t i = 0; t && i < sizeof k / sizeof k[0]; i++)
		if (!strcmp(t, k[i]))
			return true;
	return false;
}

/* Whether the route's settings can be translated (false drops the route). */
bool xds_route_valid(xt *x, const egw_node *r)
{
	const egw_node *rp = G(r, "retry") ? G(r, "retry") : G(G(r, "traffic"), "retry");
	const egw_node *t;
	EGW_ARR_EACH(G(G(rp, "retryOn"), "triggers"), i, t)
		if (!known_trigger(egw_text(t))) {
			xerr(x, "invalid retry trigger %s on route %s", egw_text(t) ? egw_text(t) : "",
			     GS(r, "name") ? GS(r, "name") : "");
			return false;
		}
	return true;
}

static egw_node *retry_policy(xt *x, const egw_node *rt)
{
	egw_node *o = xo(x);
	xi(x, o, "numRetries", GI(rt, "numRetries", 2));
	const egw_node *on = G(rt, "retryOn");
	const egw_node *trig = G(on, "triggers"), *codes = G(on, "httpStatusCodes");
	egw_buf b;
	egw_buf_init(&b, x->a);
	if (egw_len(trig)) {
		bool has_rsc = false;
		const egw_node *t;
		EGW_ARR_EACH(trig, i, t) {
			const char *s = egw_text(t);
			if (b.len)
				egw_buf_putc(&b, ',');
			egw_buf_puts(&b, s ? s : "");
			if (s && !strcmp(s, "retriable-status-codes"))
				has_rsc = true;
		}
		if (egw_len(codes) && !has_rsc)
			egw_buf_puts(&b, ",retriable-status-codes");
		if (egw_len(codes))
			xset(x, o, "retriableStatusCodes", xcopy(x, codes));
	} else {
		egw_buf_puts(&b, "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
		if (egw_len(codes))
			xset(x, o, "retriableStatusCodes", xcopy(x, codes));
		else
			xpush(x, xarr(x, o, "retriableStatusCodes"), egw_int(x->a, 503));
	}
	xs(x, o, "retryOn", egw_buf_str(&b));
	const egw_node *pr = G(rt, "perRetry");
	if (pr) {
		xs(x, o, "perTryTimeout", xdur(x, G(pr, "timeout")));
		const egw_node *bo = G(pr, "backOff");
		if (bo) {
			egw_node *rb = xobj(x, o, "retryBackOff");
			xs(x, rb, "baseInterval", xdur(x, G(bo, "baseInterval")));
			xs(x, rb, "maxInterval", xdur(x, G(bo, "maxInterval")));
		}
	}
	egw_node *hp = xpush(x, xarr(x, o, "retryHostPredicate"), xo(x));
	xs(x, hp, "name", "envoy.retry_host_predicates.previous_hosts");
	xset(x, hp, "typedConfig", xany(x, "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"));
	xs(x, o, "hostSelectionRetryMaxAttempts", "5");
	int64_t nap = GI(rt, "numAttemptsPerPriority", 0);
	if (nap > 0) {
		egw_node *rp = xobj(x, o, "retryPriority");
		xs(x, rp, "name", "envoy.retry_priorities.previous_priorities");
		egw_node *tc = xset(x, rp, "typedConfig",
				    xany(x, "envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig"));
		xi(x, tc, "updateFrequency", nap);
	}
	return o;
}

static void hash_policy(xt *x, egw_node *ra, const egw_node *lb)
{
	const egw_node *ch = G(lb, "consistentHash");
	if (!ch)
		return;
	egw_node *hp = xarr(x, ra, "hashPolicy");
	if (GB(ch, "sourceIP")) {
		egw_node *o = xpush(x, hp, xo(x));
		xb(x, xobj(x, o, "connectionProperties"), "sourceIp", true);
	}
	const egw_node *h;
	EGW_ARR_EACH(G(ch, "headers"), i, h) {
		egw_node *o = xpush(x, hp, xo(x));
		xs(x, xobj(x, o, "header"), "headerName", GS(h, "name"));
	}
	if (G(ch, "header")) {
		egw_node *o = xpush(x, hp, xo(x));
		xs(x, xobj(x, o, "header"), "headerName", GS(G(ch, "header"), "name"));
	}
	const egw_node *ck = G(ch, "cookie");
	if (ck) {
		egw_node *o = xpush(x, hp, xo(x));
		egw_node *c = xobj(x, o, "cookie");
		const egw_node *attrs = G(ck, "attributes");
		if (attrs && attrs->kind == EGW_OBJ && attrs->n) {
			egw_node *aa = xarr(x, c, "attributes");
			egw_member *m;
			EGW_OBJ_EACH(attrs, i, m) {
				egw_node *a = xpush(x, aa, xo(x));
				xs(x, a, "name", m->key);
				xs(x, a, "value", egw_text(m->val));
			}
		}
		xs(x, c, "name", GS(ck, "name"));
		xs(x, c, "ttl", xdur(x, G(ck, "ttl")));
	}
	EGW_ARR_EACH(G(ch, "queryParams"), i, h) {
		egw_node *o = xpush(x, hp, xo(x));
		xs(x, xobj(x, o, "queryParameter"), "name", GS(h, "name"));
	}
}

void xds_route_traffic(xt *x, egw_node *xr, egw_node *ra, const egw_node *r)
{
	const egw_node *tr = G(r, "traffic");
	hash_policy(x, ra, G(tr, "loadBalancer"));
	const egw_node *th = G(G(tr, "timeout"), "http");
	const egw_node *tn = G(r, "timeout");
	if (!tn)
		tn = G(th, "requestTimeout");
	const char *rt = xdur(x, tn);
	if (rt)
		xs(x, ra, "timeout", rt);
	bool lst_idle = G(G(G(x->cur_hl, "timeout"), "http"), "streamIdleTimeout") != NULL;
	if (rt && !G(th, "streamIdleTimeout") && !lst_idle) {
		int64_t secs;
		int32_t ns;
		go_dur(egw_text(tn), &secs, &ns);
		if (secs == 0 && ns == 0)
			xs(x, ra, "idleTimeout", "0s");
		else if (secs >= 3600 && !(secs == 3600 && ns == 0))
			xs(x, ra, "idleTimeout", rt);
		else
			xs(x, ra, "idleTimeout", "3600s");
	}
	const char *msd = xdur(x, G(th, "maxStreamDuration"));
	if (msd)
		xs(x, xobj(x, ra, "maxStreamDuration"), "maxStreamDuration", msd);
	const char *sit = xdur(x, G(th, "streamIdleTimeout"));
	if (sit)
		xs(x, ra, "idleTimeout", sit);
	const egw_node *rp = G(r, "retry") ? G(r, "retry") : G(tr, "retry");
	if (rp)
		xset(x, ra, "retryPolicy", retry_policy(x, rp));
	const egw_node *up = G(tr, "httpUpgrade");
	egw_node *uc = xarr(x, ra, "upgradeConfigs");
	if (up) {
		const egw_node *u;
		EGW_ARR_EACH(up, i, u) {
			egw_node *o = xpush(x, uc, xo(x));
			const char *t = GS(u, "type");
			if (t && !strcmp(t, "CONNECT")) {
				if (GB(G(u, "connect"), "terminate"))
					xobj(x, o, "connectConfig");
				egw_node *m = xo(x);
				xobj(x, m, "connectMatcher");
				egw_node *old = egw_get(xr, "match");
				/* CONNECT requests carry no path: match them by method */
				if (old) {
					egw_member *mm;
					EGW_OBJ_EACH(old, k, mm)
						if (strcmp(mm->key, "prefix") && strcmp(mm->key, "path") &&
						    strcmp(mm->key, "pathSeparatedPrefix") && strcmp(mm->key, "safeRegex"))
							egw_obj_set(x->a, m, mm->key, mm->val);
				}
				xset(x, xr, "match", m);
			}
			xs(x, o, "upgradeType", t);
		}
	} else if (!GB(r, "isHTTP2") && !G(tr, "requestBuffer")) {
		xs(x, xpush(x, uc, xo(x)), "upgradeType", "websocket");
	}
}

