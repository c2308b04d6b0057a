/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BackendTLSPolicy: the upstream TLS settings a backend gets from the
 * policy that targets it, and the policy's ancestor status (one ancestor
 * per route parent that uses the backend).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_ANCESTORS 16

typedef struct btls_state {
	egw_map ancestors; /* ancestor key -> entry */
	size_t n;
	bool truncated;
} btls_state;

void ir_btls_init(ir_tr *t)
{
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_BACKENDTLSPOLICY, i, o)
	{
		o->status = egw_obj(t->a);
		btls_state *st = EGW_NEW(t->a, btls_state);
		egw_map_init(&st->ancestors, t->a);
		o->user = st;
	}
}

typedef struct btls_list {
	egw_object **v;
	size_t n, cap;
} btls_list;

/* The index key of a target, in buf when it fits (the lookups, one per
 * backend reference, leave nothing behind), else in tmp; *len is its length. */
static const char *target_key(ir_tr *t, char *buf, size_t cap, const char *ns, const char *kind,
			      const char *name, size_t *len)
{
	int k = snprintf(buf, cap, "%s\n%s\n%s", ns, kind, name);
	if (k >= 0 && (size_t)k < cap) {
		*len = (size_t)k;
		return buf;
	}
	const char *key = egw_sprintf(t->tmp, "%s\n%s\n%s", ns, kind, name);
	*len = strlen(key);
	return key;
}

static void index_targets(ir_tr *t)
{
	egw_map_init(&t->btls_by_target, t->tmp);
	t->btls_indexed = true;
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_BACKENDTLSPOLICY, i, o)
	{
		egw_node *tr;
		EGW_ARR_EACH(egw_path(o->node, "spec.targetRefs"), j, tr)
		{
			char small[512];
			size_t kl;
			const char *key = target_key(t, small, sizeof small, o->ns, egw_get_str(tr, "kind", ""),
						     egw_get_str(tr, "name", ""), &kl);
			btls_list *l = egw_map_getn(&t->btls_by_target, key, kl);
			if (!l) {
				l = EGW_NEW(t->tmp, btls_list);
				egw_map_putn(&t->btls_by_target, key, kl, l);
			}
			if (l->n && l->v[l->n - 1] == o)
				continue; /* two targetRefs of one policy name this target */
			if (l->n == l->cap) {
				size_t nc = l->cap ? l->cap * 2 : 2;
				l->v = egw_realloc(t->tmp, l->v, l->cap * sizeof *l->v, nc * sizeof *l->v);
				l->cap = nc;
			}
			l->v[l->n++] = o;
		}
	}
}

egw_object *const *ir_btls_targeting(ir_tr *t, const char *ns, const char *kind, const char *name,
				     size_t *n)
{
	*n = 0;
	if (!t->rs->n[EGW_K_BACKENDTLSPOLICY])
		return NULL;
	if (!t->btls_indexed)
		index_targets(t);
	char small[512];
	size_t kl;
	const char *key = target_key(t, small, sizeof small, ns, kind, name, &kl);
	const btls_list *l = egw_map_getn(&t->btls_by_target, key, kl);
	if (!l)
		return NULL;
	*n = l->n;
	return l->v;
}

static bool target_matches(egw_node *tr, const char *kind, const char *name, const char *section)
{
	const char *tk = egw_get_str(tr, "kind", "");
	if (strcmp(tk, kind) || !ir_streq(egw_get_str(tr, "name", ""), name))
		return false;
	const char *tg = egw_get_str(tr, "group", "");
	if (!strcmp(kind, "Backend") ? strcmp(tg, EG_GROUP) : (*tg && strcmp(tg, "multicluster.x-k8s.io")))
		return false;
	const char *ts = ir_str(tr, "sectionName");
	return !ts || (section && !strcmp(ts, section));
}

/* The policy for a backend: a section-specific one first, then the oldest
 * whole-backend one. */
static egw_object *find_policy(ir_tr *t, const char *kind, const char *ns, const char *name,
			       const char *section)
{
	egw_object *whole = NULL;
	size_t np;
	egw_object *const *ps = ir_btls_targeting(t, ns, kind, name, &np);
	for (size_t i = 0; i < np; i++) {
		egw_object *o = ps[i];
		egw_node *tr;
		EGW_ARR_EACH(egw_path(o->node, "spec.targetRefs"), j, tr)
		{
			if (!target_matches(tr, kind, name, section))
				continue;
			if (ir_str(tr, "sectionName"))
				return o;
			if (!whole)
				whole = o;
		}
	}
	return whole;
}

static void ancestor_status(ir_tr *t, egw_object *p, egw_node *ref, const char *err_reason,
			    const char *err_msg, const char *rr_reason)
{
	btls_state *st = p->user;
	const char *key = egw_sprintf(t->a, "%s/%s/%s/%s/%s", egw_get_str(ref, "group", ""),
				      egw_get_str(ref, "kind", ""), egw_get_str(ref, "namespace", ""),
				      egw_get_str(ref, "name", ""), egw_get_str(ref, "sectionName", ""));
	if (egw_map_has(&st->ancestors, key))
		return;
	egw_node *anc = egw_arr_ensure(t->a, p->status, "ancestors");
	egw_node *a = egw_arr_push(t->a, anc, egw_obj(t->a));
	egw_map_put(&st->ancestors, key, a);
	st->n++;
	egw_obj_set(t->a, a, "ancestorRef", ref);
	egw_obj_set(t->a, a, "controllerName", ir_cs(t, t->controller));
	egw_node *conds = egw_set_arr(t->a, a, "conditions");
	if (err_msg) {
		const char *m = ir_policy_msg(t, err_msg);
		ir_cond(t, conds, "ResolvedRefs", false, rr_reason, m);
		ir_cond(t, conds, "Accepted", false, err_reason, m);
	} else {
		ir_cond(t, conds, "ResolvedRefs", true, "ResolvedRefs", "Resolved all the Object references.");
		ir_cond(t, conds, "Accepted", true, "Accepted", "Policy has been accepted.");
	}
}

static const char *first_key_value(egw_node *data)
{
	const char *best = NULL, *val = NULL;
	egw_member *m;
	EGW_OBJ_EACH(data, i, m)
	{
		if (!best || strcmp(m->key, best) < 0) {
			best = m->key;
			val = egw_text(m->val);
		}
	}
	return val;
}

static const char *ca_bundle_refs(ir_tr *t, const char *ns, egw_node *refs, const char **err,
				  const char **rr_reason);

/* CA bundle text from the policy's caCertificateRefs; NULL + *err on failure. */
static const char *ca_bundle(ir_tr *t, egw_object *p, const char **err, const char **rr_reason)
{
	return ca_bundle_refs(t, p->ns, egw_path(p->node, "spec.validation.caCertificateRefs"), err, rr_reason);
}

static const char *ca_bundle_refs(ir_tr *t, const char *ns, egw_node *refs, const char **err,
				  const char **rr_reason)
{
	egw_buf b;
	egw_buf_init(&b, t->a);
	egw_node *ref;
	struct {
		const char *ns;
	} pp = { ns }, *p = &pp;
	EGW_ARR_EACH(refs, i, ref)
	{
		const char *kind = egw_get_str(ref, "kind", "");
		const char *name = egw_get_str(ref, "name", "");
		const char *ca = NULL;
		if (!strcmp(kind, "ConfigMap")) {
			egw_object *cm = egw_res_find(t->rs, EGW_K_CONFIGMAP, p->ns, name);
			if (!cm) {
				*err = egw_sprintf(t->a, "configmap %s not found in namespace %s", name, p->ns);
				return NULL;
			}
			egw_node *data = egw_get(cm->node, "data");
			ca = egw_text(egw_get(data, "ca.crt"));
			if (!ca && egw_len(data) == 1)
				ca = first_key_value(data);
			if (!ca || !*ca) {
				*err = egw_sprintf(t->a, "no ca found in configmap %s", name);
				return NULL;
			}
		} else if (!strcmp(kind, "Secret")) {
			egw_object *sec = egw_res_find(t->rs, EGW_K_SECRET, p->ns, name);
			if (!sec) {
				*err = egw_sprintf(t->a, "secret %s not found in namespace %s", name, p->ns);
				return NULL;
			}
			/* a Secret that names an SDS server holds no CA itself;
			 * using one must be enabled (extensionApis.enableSDSSecretRef) */
			if (ir_streq(egw_get_str(sec->node, "type", ""), "gateway.envoyproxy.io/sds") &&
			    !egw_node_bool(egw_path(t->rs->config, "extensionApis.enableSDSSecretRef"), false)) {
				*err = "SDS Secret reference is not enabled in EnvoyGateway configuration";
				return NULL;
			}
			egw_node *data = egw_get(sec->node, "data");
			const char *b64 = egw_text(egw_get(data, "ca.crt"));
			if (!b64 && egw_len(data) == 1)
				b64 = first_key_value(data);
			size_t n = 0;
			ca = b64 ? ir_b64_decode(t, b64, &n) : NULL;
			if (!ca || !n) {
				*err = egw_sprintf(t->a, "no ca found in secret %s", name);
				return NULL;
			}
		} else if (!strcmp(kind, "ClusterTrustBundle")) {
			egw_object *ctb = egw_res_find(t->rs, EGW_K_CLUSTERTRUSTBUNDLE, "", name);
			if (!ctb) {
				*err = egw_sprintf(t->a, "clusterTrustBundle %s not found", name);
				return NULL;
			}
			ca = egw_text(egw_path(ctb->node, "spec.trustBundle"));
		} else {
			*err = "Unsupported reference kind, supported kinds are ConfigMap, Secret, and ClusterTrustBundle in caCertificateRefs";
			*rr_reason = "InvalidKind";
			return NULL;
		}
		if (b.len)
			egw_buf_putc(&b, '\n');
		egw_buf_puts(&b, ca ? ca : "");
	}
	return egw_buf_str(&b);
}

/* Younger policies targeting the same backend (section) as the winner
 * are reported as conflicting with it. */
static void report_conflicts(ir_tr *t, egw_object *win, const char *kind, const char *ns,
			     const char *name, const char *section, egw_node *ancestor)
{
	bool win_sectioned = false;
	egw_node *tr;
	EGW_ARR_EACH(egw_path(win->node, "spec.targetRefs"), j, tr)
	{
		if (target_matches(tr, kind, name, section) && ir_str(tr, "sectionName"))
			win_sectioned = true;
	}
	size_t np;
	egw_object *const *ps = ir_btls_targeting(t, ns, kind, name, &np);
	for (size_t i = 0; i < np; i++) {
		egw_object *o = ps[i];
		if (o == win)
			continue;
		EGW_ARR_EACH(egw_path(o->node, "spec.targetRefs"), j, tr)
		{
			if (!target_matches(tr, kind, name, section) ||
			    (ir_str(tr, "sectionName") != NULL) != win_sectioned)
				continue;
			btls_state *st = o->user;
			const char *key = egw_sprintf(t->a, "%s/%s/%s/%s/%s", egw_get_str(ancestor, "group", ""),
						      egw_get_str(ancestor, "kind", ""),
						      egw_get_str(ancestor, "namespace", ""),
						      egw_get_str(ancestor, "name", ""),
						      egw_get_str(ancestor, "sectionName", ""));
			if (egw_map_has(&st->ancestors, key))
				break;
			egw_node *a = egw_arr_push(t->a, egw_arr_ensure(t->a, o->status, "ancestors"), egw_obj(t->a));
			egw_map_put(&st->ancestors, key, a);
			egw_obj_set(t->a, a, "ancestorRef", ancestor);
			egw_obj_set(t->a, a, "controllerName", ir_cs(t, t->controller));
			ir_cond(t, egw_set_arr(t->a, a, "conditions"), "Accepted", false, "Conflicted",
				egw_sprintf(t->a, "Policy conflicts with BackendTLSPolicy %s/%s.", win->ns, win->name));
			break;
		}
	}
}

egw_node *ir_btls_settings(ir_tr *t, const char *kind, const char *ns, const char *name,
			   const char *section, egw_node *ancestor, const char **route_err)
{
	egw_object *p = find_policy(t, kind, ns, name, section);
	if (!p)
		return NULL;
	report_conflicts(t, p, kind, ns, name, section, ancestor);
	egw_node *val = egw_path(p->node, "spec.validation");
	egw_node *tls = egw_obj(t->a);
	egw_obj_set(t->a, tls, "alpnProtocols", egw_null(t->a));
	const char *err = NULL, *rr_reason = "InvalidCACertificateRef";
	const char *wk = ir_str(val, "wellKnownCACertificates");
	if (wk && !strcmp(wk, "System")) {
		egw_set_bool(t->a, tls, "useSystemTrustStore", true);
		egw_set_str(t->a, egw_set_obj(t->a, tls, "caCertificate"), "name",
			    ir_flag(t, "PerResourceSystemCASecret") ? egw_sprintf(t->a, "%s/%s-ca", p->name, p->ns)
								     : "system_ca_certificates");
	} else {
		const char *ca = ca_bundle(t, p, &err, &rr_reason);
		if (!ca) {
			ancestor_status(t, p, ancestor, "NoValidCACertificate", err, rr_reason);
			*route_err = err;
			return NULL;
		}
		egw_node *cc = egw_set_obj(t->a, tls, "caCertificate");
		egw_set_str(t->a, cc, "certificate", ir_b64_encode(t, ca, strlen(ca)));
		egw_set_str(t->a, cc, "name", egw_sprintf(t->a, "%s/%s-ca", p->name, p->ns));
	}
	const char *host = ir_str(val, "hostname");
	if (host)
		egw_set_str(t->a, tls, "sni", host);
	egw_node *sans = NULL, *s;
	EGW_ARR_EACH(egw_get(val, "subjectAltNames"), i, s)
	{
		const char *ty = ir_str(s, "type");
		if (!ir_streq(ty, "URI") && !ir_streq(ty, "Hostname"))
			continue; /* an entry without its type names nothing */
		if (!sans)
			sans = egw_set_arr(t->a, tls, "subjectAltNames");
		egw_node *x = egw_arr_push(t->a, sans, egw_obj(t->a));
		if (!strcmp(ty, "URI"))
			egw_set_str(t->a, x, "uri", egw_get_str(s, "uri", ""));
		else
			egw_set_str(t->a, x, "hostname", egw_get_str(s, "hostname", ""));
	}
	egw_set_str(t->a, tls, "minVersion", "1.2");
	egw_set_str(t->a, tls, "maxVersion", "1.3");
	ancestor_status(t, p, ancestor, NULL, NULL, NULL);
	return tls;
}

void ir_btls_finish(ir_tr *t)
{
	egw_object *o;
	EGW_RES_EACH(t->rs, EGW_K_BACKENDTLSPOLICY, i, o)
	ir_ancestors_finish(t, egw_get(o->status, "ancestors"));
}

const char *ir_client_certificate(ir_tr *t, const char *owner_kind, egw_object *owner, egw_node *ref,
				  egw_node *tls)
{
	const char *ons = owner->ns;
	const char *cns = egw_get_str(ref, "namespace", ons), *cn = egw_get_str(ref, "name", "");
	if (strcmp(cns, ons))
		return egw_sprintf(t->a,
				   "ClientCertificateRef Secret is not located in the same namespace as %s. "
				   "Secret namespace: %s does not match %s namespace: %s",
				   owner_kind, cns, owner_kind, ons);
	egw_object *sec = egw_res_find(t->rs, EGW_K_SECRET, cns, cn);
	if (!sec)
		return egw_sprintf(t->a, "failed to locate TLS secret for client auth: %s/%s specified in %s %s/%s",
				   ons, cn, owner_kind, ons, owner->name);
	egw_node *data = egw_get(sec->node, "data");
	const char *crt = egw_text(egw_get(data, "tls.crt")), *key = egw_text(egw_get(data, "tls.key"));
	if (!crt || !key)
		return NULL;
	egw_node *c = egw_arr_push(t->a, egw_set_arr(t->a, tls, "clientCertificates"), egw_obj(t->a));
	egw_set_str(t->a, c, "certificate", ir_pem_normalize(t, crt));
	egw_set_str(t->a, c, "name", egw_sprintf(t->a, "%s/%s", cns, cn));
	egw_set_str(t->a, c, "privateKey", ir_pem_normalize(t, key));
	return NULL;
}

/* Upstream TLS a Backend asks for itself (spec.tls); NULL when none. */
egw_node *ir_backend_own_tls(ir_tr *t, egw_object *be, const char **err)
{
	egw_node *bt = egw_path(be->node, "spec.tls");
	if (!bt)
		return NULL;
	egw_node *tls = egw_obj(t->a);
	egw_obj_set(t->a, tls, "alpnProtocols", egw_null(t->a));
	if (egw_get_bool(bt, "insecureSkipVerify", false)) {
		egw_set_bool(t->a, tls, "insecureSkipVerify", true);
	} else if (ir_streq(ir_str(bt, "wellKnownCACertificates"), "System")) {
		egw_set_bool(t->a, tls, "useSystemTrustStore", true);
		egw_set_str(t->a, egw_set_obj(t->a, tls, "caCertificate"), "name",
			    ir_flag(t, "PerResourceSystemCASecret") ? egw_sprintf(t->a, "%s/%s-ca", be->name, be->ns)
								     : "system_ca_certificates");
	} else if (egw_len(egw_get(bt, "caCertificateRefs"))) {
		const char *rr = NULL;
		const char *ca = ca_bundle_refs(t, be->ns, egw_get(bt, "caCertificateRefs"), err, &rr);
		if (!ca)
			return NULL;
		egw_node *cc = egw_set_obj(t->a, tls, "caCertificate");
		egw_set_str(t->a, cc, "certificate", ir_b64_encode(t, ca, strlen(ca)));
		egw_set_str(t->a, cc, "name", egw_sprintf(t->a, "%s/%s-ca", be->name, be->ns));
	}
	const char *sni = ir_str(bt, "sni");
	if (sni)
		egw_set_str(t->a, tls, "sni", sni);
	if (egw_get_bool(bt, "autoSNIFromEndpointHostname", false))
		egw_set_bool(t->a, tls, "autoSNIFromEndpointHostname", true);
	egw_node *cr = egw_get(bt, "clientCertificateRef");
	if (cr) {
		const char *e = ir_client_certificate(t, "Backend", be, cr, tls);
		if (e) {
			*err = e;
			return NULL;
		}
	}
	egw_set_str(t->a, tls, "minVersion", "1.2");
	egw_set_str(t->a, tls, "maxVersion", "1.3");
	return tls;
}
