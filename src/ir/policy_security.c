/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecurityPolicy: authentication and authorization on the IR routes of its
 * targets (security of an IR route).
 */
#include <string.h>

#include "../parse/parse.h"
#include "policy.h"
#include "policy_util.h"

static egw_node *sp_cors(pol_ctx *pc, egw_node *c)
{
	ir_tr *t = pc->t;
	if (!c)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *x;
	if ((x = egw_get(c, "allowCredentials")))
		egw_obj_set(t->a, o, "allowCredentials", egw_clone(t->a, x));
	const char *lists[] = { "allowHeaders", "allowMethods" };
	for (int i = 0; i < 2; i++)
		if ((x = egw_get(c, lists[i])) && egw_len(x))
			egw_obj_set(t->a, o, lists[i], egw_clone(t->a, x));
	egw_node *ao = egw_get(c, "allowOrigins");
	if (egw_len(ao)) {
		egw_node *arr = egw_set_arr(t->a, o, "allowOrigins");
		egw_node *or;
		EGW_ARR_EACH(ao, i, or)
		{
			const char *s = egw_text(or);
			egw_node *m = egw_arr_push(t->a, arr, egw_obj(t->a));
			egw_set_bool(t->a, m, "distinct", false);
			if (s && strchr(s, '*')) {
				egw_buf b;
				egw_buf_init(&b, t->a);
				for (const char *q = s; *q; q++) {
					if (*q == '*')
						egw_buf_puts(&b, ".*");
					else if (*q == '.')
						egw_buf_puts(&b, "\\.");
					else
						egw_buf_putc(&b, *q);
				}
				egw_set_str(t->a, m, "name", "");
				egw_set_str(t->a, m, "safeRegex", egw_buf_str(&b));
			} else {
				egw_set_str(t->a, m, "exact", s ? s : "");
				egw_set_str(t->a, m, "name", "");
			}
		}
	}
	if ((x = egw_get(c, "exposeHeaders")) && egw_len(x))
		egw_obj_set(t->a, o, "exposeHeaders", egw_clone(t->a, x));
	const char *ma = egw_get_str(c, "maxAge", NULL);
	double d;
	if (ma && ir_parse_duration(ma, &d))
		egw_set_str(t->a, o, "maxAge", ir_fmt_duration(t, d));
	return o;
}

static const char *sp_basic(pol_ctx *pc, ir_pol *p, egw_node *ba, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!ba)
		return NULL;
	egw_node *u = egw_get(ba, "users");
	const char *own = pol_ref_ns(p, u); /* a merged parent's users stay in its namespace */
	const char *ns = egw_get_str(u, "namespace", own), *name = egw_get_str(u, "name", "");
	if (strcmp(ns, own) &&
	    !ir_refgrant_allows(t, EG_GROUP, "SecurityPolicy", p->o->ns, "", "Secret", ns, name))
		return egw_sprintf(t->a, "BasicAuth: secret %s/%s is not permitted by any ReferenceGrant", ns, name);
	egw_object *sec = egw_res_find(t->rs, EGW_K_SECRET, ns, name);
	if (!sec)
		return egw_sprintf(t->a, "BasicAuth: secret %s/%s does not exist", ns, name);
	const char *users = egw_get_str(egw_get(sec->node, "data"), ".htpasswd", NULL);
	if (!users)
		return egw_sprintf(t->a, "BasicAuth: .htpasswd file not found in secret %s/%s", ns, name);
	egw_node *o = egw_obj(t->a);
	egw_set_str(t->a, o, "name", egw_sprintf(t->a, "securitypolicy/%s/%s", p->o->ns, p->o->name));
	egw_set_str(t->a, o, "users", users);
	pol_copy(t, o, ba, "forwardUsernameHeader");
	*out = o;
	return NULL;
}

/* backendRefs of an ext service, the deprecated single backendRef included. */
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

/* The ext auth service's context extensions as the IR carries them:
 * {name, value} with the value in base64, read from a ConfigMap or Secret
 * key for a ValueRef (in the namespace the reference resolves in). */
static const char *context_extensions(pol_ctx *pc, ir_pol *p, egw_node *list, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!list || list->kind != EGW_ARR)
		return NULL;
	egw_node *arr = egw_arr(t->a);
	egw_node *ce;
	EGW_ARR_EACH(list, i, ce)
	{
		const char *name = egw_get_str(ce, "name", "");
		const char *value = NULL;
		egw_node *vr = egw_get(ce, "valueRef");
		if (vr) {
			const char *ns = pol_ref_ns(p, vr), *kind = egw_get_str(vr, "kind", "ConfigMap");
			const char *ref = egw_get_str(vr, "name", ""), *key = egw_get_str(vr, "key", "");
			bool secret = !strcmp(kind, "Secret");
			egw_object *o = egw_res_find(t->rs, secret ? EGW_K_SECRET : EGW_K_CONFIGMAP, ns, ref);
			if (!o)
				return egw_sprintf(t->a, "context extension %s: %s %s/%s not found", name, kind, ns, ref);
			const char *v = egw_get_str(egw_get(o->node, "data"), key, NULL);
			if (!v)
				return egw_sprintf(t->a, "context extension %s: key %s not found in %s %s/%s", name,
						   key, kind, ns, ref);
			value = secret ? v : ir_b64_encode(t, v, strlen(v)); /* Secret data is base64 already */
		} else {
			const char *v = egw_get_str(ce, "value", "");
			value = ir_b64_encode(t, v, strlen(v));
		}
		egw_node *x = egw_arr_push(t->a, arr, egw_obj(t->a));
		egw_set_str(t->a, x, "name", name);
		egw_set_str(t->a, x, "value", value);
	}
	*out = arr;
	return NULL;
}

static const char *sp_extauth(pol_ctx *pc, ir_pol *p, egw_node *ea, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!ea)
		return NULL;
	ea = pol_lc_keys(t, ea);
	egw_node *o = egw_obj(t->a);
	const char *base = egw_sprintf(t->a, "securitypolicy/%s/%s", p->o->ns, p->o->name);
	egw_member *m;
	EGW_OBJ_EACH(ea, i, m)
	{
		if (!strcmp(m->key, "grpc") || !strcmp(m->key, "http"))
			continue;
		if (!strcmp(m->key, "contextExtensions")) {
			egw_node *ces;
			const char *e = context_extensions(pc, p, m->val, &ces);
			if (e)
				return egw_sprintf(t->a, "ExtAuth: %s", e);
			if (ces)
				egw_obj_set(t->a, o, m->key, ces);
			continue;
		}
		egw_obj_set(t->a, o, m->key, pol_durations(t, m->val));
	}
	egw_set_str(t->a, o, "name", base);
	const char *kinds[] = { "grpc", "http" };
	for (int k = 0; k < 2; k++) {
		egw_node *svc = egw_get(ea, kinds[k]);
		if (!svc)
			continue;
		if (egw_get(svc, "backendRef"))
			pol_note_deprecated(t, p, egw_sprintf(t->a, "spec.extAuth.%s.backendRef", kinds[k]),
					    egw_sprintf(t->a, "spec.extAuth.%s.backendRefs", kinds[k]));
		const char *auth, *err;
		egw_node *dest = pol_ext_destination(pc, p, refs_of(t, svc), egw_sprintf(t->a, "%s/extauth/0", base),
						     k == 0 ? "GRPCRoute" : "HTTPRoute", &auth, &err);
		if (!dest)
			return egw_sprintf(t->a, "ExtAuth: %s", err);
		egw_node *x = egw_set_obj(t->a, o, kinds[k]);
		egw_set_str(t->a, x, "authority", auth ? auth : "");
		egw_obj_set(t->a, x, "destination", dest);
		const char *bse;
		egw_node *tr = pol_backend_settings(pc, p, egw_get(svc, "backendSettings"), &bse);
		if (bse)
			return egw_sprintf(t->a, "ExtAuth: %s", bse);
		if (tr)
			egw_obj_set(t->a, o, "traffic", tr);
		EGW_OBJ_EACH(svc, i, m)
		{
			if (!strcmp(m->key, "backendRef") || !strcmp(m->key, "backendRefs") ||
			    !strcmp(m->key, "backendSettings"))
				continue;
			egw_obj_set(t->a, x, m->key, egw_clone(t->a, m->val));
		}
	}
	*out = o;
	return NULL;
}

static egw_node *origin_match(ir_tr *t, const char *s, bool strip_scheme)
{
	egw_node *m = egw_obj(t->a);
	egw_set_bool(t->a, m, "distinct", false);
	egw_set_str(t->a, m, "name", "");
	if (strip_scheme) {
		const char *sc = strstr(s, "://");
		if (sc)
			s = sc + 3;
	}
	if (strchr(s, '*')) {
		egw_buf b;
		egw_buf_init(&b, t->a);
		for (const char *q = s; *q; q++) {
			if (*q == '*')
				egw_buf_puts(&b, ".*");
			else if (*q == '.')
				egw_buf_puts(&b, "\\.");
			else
				egw_buf_putc(&b, *q);
		}
		egw_set_str(t->a, m, "safeRegex", egw_buf_str(&b));
	} else {
		egw_set_str(t->a, m, "exact", s);
	}
	return m;
}

static egw_node *sp_csrf(pol_ctx *pc, egw_node *c)
{
	ir_tr *t = pc->t;
	if (!c)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *ao = egw_get(c, "additionalOrigins");
	if (egw_len(ao)) {
		egw_node *arr = egw_set_arr(t->a, o, "additionalOrigins");
		egw_node *x;
		EGW_ARR_EACH(ao, i, x)
		egw_arr_push(t->a, arr, origin_match(t, egw_text(x) ? egw_text(x) : "", true));
	}
	egw_member *m;
	EGW_OBJ_EACH(c, i, m)
	{
		if (strcmp(m->key, "additionalOrigins"))
			egw_obj_set(t->a, o, m->key, egw_clone(t->a, m->val));
	}
	return o;
}

static const char *sp_jwt(pol_ctx *pc, ir_pol *p, egw_node *j, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!j)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_member *m;
	EGW_OBJ_EACH(j, i, m)
	{
		if (!strcmp(m->key, "optional"))
			egw_obj_set(t->a, o, "allowMissing", egw_clone(t->a, m->val));
		else if (!strcmp(m->key, "failOpen"))
			egw_obj_set(t->a, o, "allowMissingOrFailed", egw_clone(t->a, m->val));
		else if (!strcmp(m->key, "providers")) {
			egw_node *arr = egw_set_arr(t->a, o, "providers");
			egw_node *pv;
			EGW_ARR_EACH(m->val, k, pv)
			{
				egw_node *x = pol_durations(t, pv);
				egw_node *lj = egw_get(x, "localJWKS");
				if (lj && lj->kind == EGW_OBJ) {
					if (ir_streq(egw_get_str(lj, "type", ""), "ValueRef")) {
						egw_node *vr = egw_get(lj, "valueRef");
						const char *cm = egw_get_str(vr, "name", ""), *cns = pol_ref_ns(p, vr);
						egw_object *c = egw_res_find(t->rs, EGW_K_CONFIGMAP, cns, cm);
						if (!c)
							return egw_sprintf(t->a, "JWT: local JWKS ConfigMap %s/%s not found",
									   cns, cm);
						egw_node *cd = egw_get(c->node, "data");
						const char *jw = egw_get_str(cd, "jwks", NULL);
						if (!jw && egw_len(cd) == 1)
							jw = egw_text(cd->c.members[0].val);
						if (!jw)
							return egw_sprintf(t->a,
									   "JWT: local JWKS ConfigMap %s/%s does not contain key jwks",
									   p->o->ns, cm);
						egw_set_str(t->a, x, "localJWKS", jw);
					} else {
						const char *inl = egw_get_str(lj, "inline", NULL);
						if (inl)
							egw_set_str(t->a, x, "localJWKS", inl);
					}
				}
				egw_node *rj = egw_get(x, "remoteJWKS");
				egw_node *brefs = egw_get(rj, "backendRefs");
				if (egw_len(brefs)) {
					const char *err;
					egw_node *dest = pol_ext_destination(
						pc, p, brefs,
						egw_sprintf(t->a, "securitypolicy/%s/%s/jwt/%zu", p->o->ns, p->o->name, k),
						"HTTPRoute", NULL, &err);
					if (!dest)
						return egw_sprintf(t->a, "JWT: %s", err);
					if (!strncmp(egw_get_str(rj, "uri", ""), "https://", 8)) {
						egw_node *ds;
						EGW_ARR_EACH(egw_get(dest, "settings"), q, ds)
						egw_set_str(t->a, ds, "protocol", "HTTPS");
					}
					egw_obj_set(t->a, rj, "destination", dest);
					const char *bse;
					egw_node *tr = pol_backend_settings(pc, p, egw_get(pv, "remoteJWKS") ? egw_path(pv, "remoteJWKS.backendSettings") : NULL, &bse);
					if (bse)
						return egw_sprintf(t->a, "JWT: %s", bse);
					if (tr)
						egw_obj_set(t->a, rj, "traffic", tr);
				}
				egw_obj_del(rj, "backendRefs");
				egw_obj_del(rj, "backendSettings");
				egw_arr_push(t->a, arr, x);
			}
		} else
			egw_obj_set(t->a, o, m->key, pol_durations(t, m->val));
	}
	*out = o;
	return NULL;
}

static egw_node *sp_authz(pol_ctx *pc, egw_node *az)
{
	ir_tr *t = pc->t;
	if (!az)
		return NULL;
	egw_node *o = egw_clone(t->a, az);
	egw_node *r;
	EGW_ARR_EACH(egw_get(o, "rules"), i, r)
	{
		egw_node *pr = egw_get(r, "principal");
		egw_node *cc = egw_get(pr, "clientCIDRs");
		if (cc) {
			egw_node *arr = egw_arr(t->a);
			egw_node *c;
			EGW_ARR_EACH(cc, j, c)
			{
				egw_node *x = pol_cidr(t, egw_text(c));
				if (x)
					egw_arr_push(t->a, arr, x);
			}
			egw_obj_set(t->a, pr, "clientCIDRs", arr);
		}
	}
	return o;
}

typedef struct sp_feat {
	egw_node *sec;
	bool geo; /* authorization uses clientIPGeoLocations */
	bool fatal; /* an error that is not covered by failOpen: the routes serve 500 */
} sp_feat;

static void add_err(egw_buf *b, const char *e)
{
	if (!e)
		return;
	if (b->len)
		egw_buf_puts(b, "\n");
	egw_buf_puts(b, e);
}

static uint32_t fnv32a(const char *s)
{
	uint32_t h = 0x811c9dc5u;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x01000193u;
	}
	return h;
}

/* The OpenID provider's endpoints from its discovery document, through the
 * host's fetcher (the library does no I/O). */
static const char *oidc_discover(pol_ctx *pc, const char *issuer, const char **auth_ep, const char **token_ep)
{
	ir_tr *t = pc->t;
	const char *url = egw_sprintf(t->a, "%s/.well-known/openid-configuration", issuer);
	size_t n = strlen(issuer);
	if (n && issuer[n - 1] == '/')
		url = egw_sprintf(t->a, "%s.well-known/openid-configuration", issuer);
	egw_fetch_response resp;
	memset(&resp, 0, sizeof resp);
	int rc = -1;
	if (t->c->opts && t->c->opts->fetch) {
		egw_str u = { url, strlen(url) };
		rc = t->c->opts->fetch(t->c->opts->fetch_ud, u, &resp);
	}
	if (rc < 0 || resp.status != 200)
		return egw_sprintf(t->a, "failed fetching openid-configuration from issuer URL: %s, status code: %d",
				   issuer, rc < 0 ? 0 : resp.status);
	egw_node *doc = egw_parse_one(t->c, 0, resp.body.data, resp.body.len);
	*auth_ep = egw_get_str(doc, "authorization_endpoint", NULL);
	*token_ep = egw_get_str(doc, "token_endpoint", NULL);
	if (!*auth_ep || !*token_ep)
		return egw_sprintf(t->a, "failed fetching openid-configuration from issuer URL: %s", issuer);
	return NULL;
}

static const char *secret_value(pol_ctx *pc, ir_pol *p, egw_node *ref, const char *key, const char **val,
				const char **ns_out, const char **name_out)
{
	ir_tr *t = pc->t;
	const char *own = pol_ref_ns(p, ref);
	const char *ns = egw_get_str(ref, "namespace", own), *name = egw_get_str(ref, "name", "");
	*ns_out = ns;
	*name_out = name;
	if (strcmp(ns, own) &&
	    !ir_refgrant_allows(t, EG_GROUP, "SecurityPolicy", own, "", "Secret", ns, name))
		return egw_sprintf(t->a, "ref to Secret %s/%s not permitted by any ReferenceGrant", ns, name);
	egw_object *sec = egw_res_find(t->rs, EGW_K_SECRET, ns, name);
	if (!sec)
		return egw_sprintf(t->a, "secret %s/%s does not exist", ns, name);
	*val = egw_get_str(egw_get(sec->node, "data"), key, NULL);
	return NULL;
}

static const char *sp_oidc(pol_ctx *pc, ir_pol *p, egw_node *oi, egw_node **out)
{
	ir_tr *t = pc->t;
	*out = NULL;
	if (!oi)
		return NULL;
	egw_node *o = egw_obj(t->a);
	const char *base = egw_sprintf(t->a, "securitypolicy/%s/%s", p->o->ns, p->o->name);
	const char *ns, *name, *v = NULL, *e;
	/* client id */
	const char *cid = egw_get_str(oi, "clientID", NULL);
	if (!cid && egw_get(oi, "clientIDRef")) {
		if ((e = secret_value(pc, p, egw_get(oi, "clientIDRef"), "client-id", &v, &ns, &name)))
			return egw_sprintf(t->a, "OIDC: %s", e);
		if (!v)
			return egw_sprintf(t->a, "OIDC: client ID not found in secret %s/%s", ns, name);
		size_t n;
		cid = ir_b64_decode(t, v, &n);
	}
	/* client secret */
	v = NULL;
	if ((e = secret_value(pc, p, egw_get(oi, "clientSecret"), "client-secret", &v, &ns, &name)))
		return egw_sprintf(t->a, "OIDC: %s", e);
	if (!v)
		return egw_sprintf(t->a, "OIDC: client secret not found in secret %s/%s", ns, name);
	/* provider */
	egw_node *prov = egw_get(oi, "provider");
	const char *aep = egw_get_str(prov, "authorizationEndpoint", NULL);
	const char *tep = egw_get_str(prov, "tokenEndpoint", NULL);
	if (!aep || !tep) {
		const char *da = NULL, *dt = NULL;
		if ((e = oidc_discover(pc, egw_get_str(prov, "issuer", ""), &da, &dt)))
			return egw_sprintf(t->a, "OIDC: %s", e);
		if (!aep)
			aep = da;
		if (!tep)
			tep = dt;
	}
	egw_set_str(t->a, o, "clientID", cid ? cid : "");
	egw_set_str(t->a, o, "clientSecret", v);
	const char *cns = t->c->controller_ns ? t->c->controller_ns : "";
	egw_object *hmac = egw_res_find(t->rs, EGW_K_SECRET, cns, "envoy-oidc-hmac");
	egw_set_str(t->a, o, "cookieSuffix",
		    egw_sprintf(t->a, "%08x", fnv32a(egw_get_str(egw_path(p->o->node, "metadata"), "uid", ""))));
	if (hmac)
		egw_set_str(t->a, o, "hmacSecret", egw_get_str(egw_get(hmac->node, "data"), "hmac-secret", ""));
	egw_set_str(t->a, o, "name", base);
	egw_node *po = egw_set_obj(t->a, o, "provider");
	egw_set_str(t->a, po, "authorizationEndpoint", aep);
	egw_set_str(t->a, po, "tokenEndpoint", tep);
	egw_node *brefs = egw_get(prov, "backendRefs");
	if (egw_len(brefs)) {
		const char *err;
		egw_node *dest = pol_ext_destination(pc, p, brefs, egw_sprintf(t->a, "%s/oidc/0", base), "HTTPRoute",
						     NULL, &err);
		if (!dest)
			return egw_sprintf(t->a, "OIDC: %s", err);
		if (!strncmp(tep ? tep : "", "https://", 8)) {
			egw_node *ds;
			EGW_ARR_EACH(egw_get(dest, "settings"), i, ds)
			egw_set_str(t->a, ds, "protocol", "HTTPS");
		}
		egw_obj_set(t->a, po, "destination", dest);
	}
	const char *bse;
	egw_node *tr = pol_backend_settings(pc, p, egw_get(prov, "backendSettings"), &bse);
	if (bse)
		return egw_sprintf(t->a, "OIDC: %s", bse);
	if (tr)
		egw_obj_set(t->a, po, "traffic", tr);
	const char *ru = egw_get_str(oi, "redirectURL", "%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback");
	const char *rp = strstr(ru, "://");
	rp = rp ? strchr(rp + 3, '/') : NULL;
	egw_set_str(t->a, o, "redirectPath", rp ? rp : "/");
	egw_set_str(t->a, o, "redirectURL", ru);
	egw_set_str(t->a, o, "logoutPath", egw_get_str(oi, "logoutPath", "/logout"));
	egw_node *sc = egw_arr(t->a);
	egw_node *us = egw_get(oi, "scopes");
	if (!pol_str_in(us, "openid"))
		egw_arr_push(t->a, sc, ir_s(t, "openid"));
	egw_node *x;
	EGW_ARR_EACH(us, i, x)
	egw_arr_push(t->a, sc, egw_clone(t->a, x));
	egw_obj_set(t->a, o, "scopes", sc);
	egw_set_bool(t->a, o, "refreshToken", egw_node_bool(egw_get(oi, "refreshToken"), true));
	egw_member *m;
	EGW_OBJ_EACH(oi, i, m)
	{
		const char *k = m->key;
		if (!strcmp(k, "clientID") || !strcmp(k, "clientIDRef") || !strcmp(k, "clientSecret") ||
		    !strcmp(k, "provider") || !strcmp(k, "redirectURL") || !strcmp(k, "logoutPath") ||
		    !strcmp(k, "scopes") || !strcmp(k, "refreshToken"))
			continue;
		if (!strcmp(k, "cookieNames"))
			egw_obj_set(t->a, o, "cookieNameOverrides", egw_clone(t->a, m->val));
		else if (!strcmp(k, "forwardIDToken")) {
			const char *h = egw_get_str(m->val, "header", NULL);
			if (h)
				egw_set_str(t->a, o, "forwardIDTokenHeader", h);
		} else
			egw_obj_set(t->a, o, k, pol_durations(t, m->val));
	}
	*out = o;
	return NULL;
}

static const char *sp_build(pol_ctx *pc, ir_pol *p, void **featp)
{
	ir_tr *t = pc->t;
	egw_node *spec = egw_get(p->o->node, "spec");
	sp_feat *f = EGW_NEW(t->a, sp_feat);
	if (ir_streq(p->target_kind, "TCPRoute")) {
		egw_member *m;
		EGW_OBJ_EACH(spec, i, m)
		{
			if (strcmp(m->key, "authorization") && strcmp(m->key, "targetRef") && strcmp(m->key, "targetRefs") &&
			    strcmp(m->key, "targetSelectors") && strcmp(m->key, "mergeType")) {
				f->sec = egw_obj(t->a);
				f->fatal = true;
				*featp = f;
				return "Only authorization is supported for TCP (routes/listeners)";
			}
		}
	}
	egw_node *o = egw_obj(t->a);
	f->sec = o;
	*featp = f;
	egw_buf errs;
	egw_buf_init(&errs, t->a);
	egw_node *c = sp_cors(pc, egw_get(spec, "cors"));
	if (c)
		egw_obj_set(t->a, o, "cors", c);
	egw_node *jwt;
	const char *je = sp_jwt(pc, p, egw_get(spec, "jwt"), &jwt);
	if (jwt)
		egw_obj_set(t->a, o, "jwt", jwt);
	if (je) {
		add_err(&errs, je);
		f->fatal = true;
	}
	egw_node *csrf = sp_csrf(pc, egw_get(spec, "csrf"));
	if (csrf)
		egw_obj_set(t->a, o, "csrf", csrf);
	egw_node *ba;
	const char *e = sp_basic(pc, p, egw_get(spec, "basicAuth"), &ba);
	if (ba)
		egw_obj_set(t->a, o, "basicAuth", ba);
	if (e) {
		add_err(&errs, e);
		f->fatal = true;
	}
	egw_node *ea;
	egw_node *eas = egw_get(spec, "extAuth");
	e = sp_extauth(pc, p, eas, &ea);
	if (ea && !e)
		egw_obj_set(t->a, o, "extAuth", ea);
	if (e) {
		add_err(&errs, e);
		if (!egw_node_bool(egw_get_ci(eas, "failOpen"), false))
			f->fatal = true;
	}
	egw_node *oi;
	e = sp_oidc(pc, p, egw_get(spec, "oidc"), &oi);
	if (oi)
		egw_obj_set(t->a, o, "oidc", oi);
	if (e) {
		add_err(&errs, e);
		f->fatal = true;
	}
	egw_node *az = sp_authz(pc, egw_get(spec, "authorization"));
	if (az)
		egw_obj_set(t->a, o, "authorization", az);
	egw_node *r;
	EGW_ARR_EACH(egw_get(az, "rules"), i, r)
	{
		if (egw_len(egw_path(r, "principal.clientIPGeoLocations")))
			f->geo = true;
	}
	return errs.len ? egw_buf_str(&errs) : NULL;
}

/* GeoIP authorization needs the proxy's GeoIP provider and a client IP
 * detection on the listener; the listener then carries the provider. */
static const char *sp_geo_listener(pol_ctx *pc, pol_irroute *ir)
{
	ir_tr *t = pc->t;
	egw_node *md = egw_get(ir->listener, "metadata");
	ir_gw *g = egw_map_get(&t->gw_by_name, egw_sprintf(t->tmp, "%s/%s", egw_get_str(md, "namespace", ""),
							     egw_get_str(md, "name", "")));
	egw_node *prov = g ? egw_path(g->ep, "spec.geoIP.provider") : NULL;
	if (!prov)
		return "Authorization: authorization clientIPGeoLocations requires EnvoyProxy.spec.geoIP.provider to be configured";
	egw_node *cid = egw_get(ir->listener, "clientIPDetection");
	if (!cid)
		return "Authorization: authorization clientIPGeoLocations requires ClientTrafficPolicy.spec.clientIPDetection to be configured";
	if (egw_len(egw_path(cid, "xForwardedFor.trustedCIDRs")))
		return "Authorization: authorization clientIPGeoLocations does not support ClientIPDetection.XForwardedFor.TrustedCIDRs";
	egw_node *mm = egw_get(prov, "maxMind");
	egw_node *o = egw_obj(t->a);
	egw_node *x = egw_set_obj(t->a, o, "maxMind");
	egw_member *m;
	EGW_OBJ_EACH(mm, i, m)
	{
		size_t n = strlen(m->key);
		const char *path = egw_text(egw_path(m->val, "local.path"));
		if (n > 6 && !strcmp(m->key + n - 6, "Source") && path)
			egw_set_str(t->a, x, egw_sprintf(t->a, "%.*sPath", (int)(n - 6), m->key), path);
	}
	egw_obj_set(t->a, ir->listener, "geoIPProvider", o);
	return NULL;
}

static void sp_apply(pol_ctx *pc, ir_pol *p, void *featp, const char *err, pol_irroute *ir)
{
	ir_tr *t = pc->t;
	(void)p;
	(void)err;
	if (ir->xk != XL_HTTP)
		return;
	sp_feat *f = featp;
	if (f->geo && !f->fatal) {
		const char *e = sp_geo_listener(pc, ir);
		if (e) {
			if (!p->late_err)
				p->late_err = e;
			egw_obj_set(t->a, ir->route, "security", egw_clone(t->a, f->sec));
			egw_node *dr = egw_set_obj(t->a, ir->route, "directResponse");
			egw_set_int(t->a, dr, "statusCode", 500);
			return;
		}
	}
	egw_obj_set(t->a, ir->route, "security", egw_clone(t->a, f->sec));
	if (f->fatal) {
		egw_node *dr = egw_set_obj(t->a, ir->route, "directResponse");
		egw_set_int(t->a, dr, "statusCode", 500);
	}
}

static bool sp_is_set(pol_irroute *ir)
{
	return ir->xk == XL_HTTP && egw_get(ir->route, "security") != NULL;
}

/* A route policy merged with its Gateway's: each feature keeps the
 * identity of the policy it comes from; the route's features win. */
static void sp_post_merge(pol_ctx *pc, ir_pol *p, egw_object *parent, void *featp, bool strategic)
{
	ir_tr *t = pc->t;
	sp_feat *f = featp;
	ir_pol pp;
	pol_init(pc, &pp, parent, p->kind);
	void *pf = NULL;
	sp_build(pc, &pp, &pf);
	egw_node *saved = p->o->node;
	p->o->node = p->own;
	void *rf = NULL;
	const char *e = sp_build(pc, p, &rf);
	p->o->node = saved;
	sp_feat *gf = pf, *own = rf;
	egw_node *out = egw_clone(t->a, own->sec);
	egw_member *m;
	EGW_OBJ_EACH(gf->sec, i, m)
	{
		if (!egw_get(out, m->key))
			egw_obj_set(t->a, out, m->key, m->val);
	}
	/* ext auth is the route's, but a strategic merge keeps the parent's
	 * context extensions the route does not name */
	egw_node *oe = egw_get(out, "extAuth"), *pe = egw_get(gf->sec, "extAuth");
	if (strategic && oe && pe && oe != pe && egw_get(pe, "contextExtensions")) {
		oe = egw_clone(t->a, oe);
		egw_node *own_ce = egw_get(oe, "contextExtensions");
		egw_obj_set(t->a, oe, "contextExtensions",
			    own_ce ? pol_merge_by_name(t, egw_get(pe, "contextExtensions"), own_ce)
				   : egw_clone(t->a, egw_get(pe, "contextExtensions")));
		egw_obj_set(t->a, out, "extAuth", oe);
	}
	f->sec = out;
	f->fatal = own->fatal || gf->fatal;
	f->geo = own->geo || gf->geo;
	(void)e;
}

void ir_policy_security(pol_ctx *pc)
{
	static const pol_kind_ops ops = {
		.kind = EGW_K_SECURITYPOLICY,
		.name = "SecurityPolicy",
		.plural = "securityPolicies",
		.rule_plural = "securityPolicies",
		.build = sp_build,
		.apply = sp_apply,
		.is_set = sp_is_set,
		.mergeable = true,
		.post_merge = sp_post_merge,
	};
	pol_drive(pc, &ops);
}
