/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ClientTrafficPolicy: settings of the IR listeners of a Gateway.  Policies
 * naming a listener (sectionName) go first; a Gateway-wide policy then fills
 * the listeners no listener policy took, and says which ones it lost.
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "policy_util.h"

static const char *ctp_keepalive(ir_tr *t, egw_node *ka, egw_node **out)
{
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

static const char *ctp_connection(ir_tr *t, egw_node *c, egw_node **out)
{
	*out = NULL;
	if (!c)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *cl = egw_get(c, "connectionLimit");
	if (cl) {
		egw_node *l = egw_set_obj(t->a, o, "limit");
		egw_member *m;
		EGW_OBJ_EACH(cl, i, m)
		{
			double d;
			if (m->val->kind == EGW_STR && !ir_parse_duration(m->val->str, &d)) {
				char nm[64];
				snprintf(nm, sizeof nm, "%s", m->key);
				nm[0] = (char)(nm[0] - 'a' + 'A');
				return egw_sprintf(t->a, "Connection: invalid %s value %s", nm, m->val->str);
			}
			egw_obj_set(t->a, l, m->key, pol_durations(t, m->val));
		}
	}
	pol_copy(t, o, c, "maxAcceptPerSocketEvent");
	egw_node *bl = egw_get(c, "bufferLimit");
	if (bl) {
		const char *s = egw_text(bl);
		int64_t v;
		int rc = pol_quantity(s, &v);
		if (rc < 0)
			return egw_sprintf(t->a, "Connection: invalid BufferLimit value %s", s);
		if (rc > 0 || v < 0 || v > 4294967295LL)
			return egw_sprintf(t->a,
					   "Connection: BufferLimit value %s is out of range, must be between 0 and 4294967295",
					   s);
		egw_set_int(t->a, o, "bufferLimit", v);
	}
	*out = o;
	return NULL;
}

static bool hdr_seen(egw_node *arr, const char *name, const char *value)
{
	egw_node *h;
	EGW_ARR_EACH(arr, i, h)
	{
		if (!strcasecmp(egw_get_str(h, "name", ""), name) &&
		    (!value || ir_streq(egw_text(egw_at(egw_get(h, "value"), 0)), value)))
			return true;
	}
	return false;
}

static bool hdr_value_bad(const char *v)
{
	size_t n = strlen(v);
	if (strpbrk(v, "\r\n"))
		return true;
	return n && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t');
}

/* Validates one list (add/set/addIfAbsent) like Envoy Gateway; appends
 * errors and returns the number of valid entries. */
static size_t hdr_check(ir_tr *t, egw_node *list, const char *who, const char *verb, egw_buf *errs)
{
	size_t ok = 0;
	egw_node *h;
	EGW_ARR_EACH(list, i, h)
	{
		const char *n = egw_get_str(h, "name", ""), *v = egw_get_str(h, "value", "");
		const char *e = NULL;
		if (!*n)
			e = egw_sprintf(t->a, "%s cannot %s a header with an empty name", who, verb);
		else if (strpbrk(n, "/:"))
			e = egw_sprintf(t->a, "%s cannot %s a header with a '/' or ':' character in them. Header: '\"%s\"'",
					who, verb, n);
		else if (hdr_value_bad(v))
			e = egw_sprintf(t->a, "%s cannot %s a header with an invalid value. Header: '\"%s\"'", who, verb,
					n);
		if (e) {
			if (errs->len)
				egw_buf_puts(errs, "\n");
			egw_buf_puts(errs, e);
		} else {
			ok++;
		}
	}
	return ok;
}

static void hdr_mods(ir_tr *t, egw_node *src, egw_node *ho, const char *addk, const char *rmk,
		     const char *rmmk, const char *who, egw_buf *errs)
{
	if (!src)
		return;
	size_t before = errs->len;
	size_t ok = hdr_check(t, egw_get(src, "add"), who, "add", errs);
	ok += hdr_check(t, egw_get(src, "set"), who, "set", errs);
	ok += hdr_check(t, egw_get(src, "addIfAbsent"), who, "addIfAbsent", errs);
	egw_node *rmv;
	EGW_ARR_EACH(egw_get(src, "remove"), i, rmv)
	{
		if (!egw_text(rmv) || !*egw_text(rmv)) {
			if (errs->len)
				egw_buf_puts(errs, "\n");
			egw_buf_printf(errs, "%s cannot remove a header with an empty name", who);
		} else
			ok++;
	}
	ok += egw_len(egw_get(src, "removeOnMatch"));
	if (errs->len != before) {
		if (!ok) {
			egw_buf_puts(errs, "\n");
			egw_buf_printf(errs, "%s did not provide valid configuration to add/set/remove any headers", who);
		}
		return;
	}
	/* add (kept unless the same name and value came before), set and
	 * addIfAbsent (first of a name wins): one IR list, told apart by flags */
	static const struct {
		const char *key;
		bool by_value, add_if_absent, append;
	} kinds[] = {
		{ "add", true, false, true },
		{ "set", false, false, false },
		{ "addIfAbsent", false, true, false },
	};
	egw_node *add = egw_arr(t->a);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		egw_node *seen = egw_arr(t->a);
		egw_node *h;
		EGW_ARR_EACH(egw_get(src, kinds[k].key), i, h)
		{
			const char *n = egw_get_str(h, "name", ""), *v = egw_get_str(h, "value", "");
			if (hdr_seen(seen, n, kinds[k].by_value ? v : NULL))
				continue;
			egw_node *x = egw_arr_push(t->a, add, egw_obj(t->a));
			egw_set_bool(t->a, x, "addIfAbsent", kinds[k].add_if_absent);
			egw_set_bool(t->a, x, "append", kinds[k].append);
			egw_set_str(t->a, x, "name", n);
			egw_arr_push(t->a, egw_set_arr(t->a, x, "value"), ir_s(t, v));
			egw_arr_push(t->a, seen, x);
		}
	}
	if (add->n)
		egw_obj_set(t->a, ho, addk, add);
	egw_node *rm = egw_get(src, "remove");
	if (egw_len(rm))
		egw_obj_set(t->a, ho, rmk, pol_dedup_strings(t, rm));
	egw_node *rmm = egw_get(src, "removeOnMatch");
	if (egw_len(rmm)) {
		egw_node *arr = egw_set_arr(t->a, ho, rmmk);
		egw_node *m;
		EGW_ARR_EACH(rmm, i, m)
		{
			egw_node *x = egw_arr_push(t->a, arr, egw_obj(t->a));
			egw_set_bool(t->a, x, "distinct", false);
			egw_set_str(t->a, x, "name", "");
			const char *ty = egw_get_str(m, "type", "Exact");
			const char *k = !strcmp(ty, "Prefix")		   ? "prefix"
					: !strcmp(ty, "Suffix")		   ? "suffix"
					: !strcmp(ty, "RegularExpression") ? "safeRegex"
									   : "exact";
			egw_set_str(t->a, x, k, egw_get_str(m, "value", ""));
		}
	}
}

static egw_node *ctp_headers(ir_tr *t, egw_node *h, const char **err)
{
	*err = NULL;
	if (!h)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_member *m;
	EGW_OBJ_EACH(h, i, m)
	{
		if (!strcmp(m->key, "earlyRequestHeaders") || !strcmp(m->key, "lateResponseHeaders") ||
		    !strcmp(m->key, "maxRequestHeaderLimit"))
			continue;
		if (!strcmp(m->key, "host"))
			continue;
		if (!strcmp(m->key, "preserveXRequestID")) {
			if (!egw_get(h, "requestID"))
				egw_set_str(t->a, o, "requestID",
					    egw_node_bool(m->val, false) ? "PreserveOrGenerate" : "Generate");
			continue;
		}
		if (!strcmp(m->key, "xForwardedClientCert")) {
			egw_node *x = egw_obj(t->a);
			const char *mode = egw_get_str(m->val, "mode", NULL);
			if (mode)
				egw_set_str(t->a, x, "mode", mode);
			egw_node *cd = egw_get(m->val, "certDetailsToAdd");
			if (cd && mode && (!strcmp(mode, "AppendForward") || !strcmp(mode, "SanitizeSet")))
				egw_obj_set(t->a, x, "certDetailsToAdd", egw_clone(t->a, cd));
			egw_obj_set(t->a, o, m->key, x);
			continue;
		}
		egw_obj_set(t->a, o, m->key, egw_clone(t->a, m->val));
	}
	if (!egw_get(o, "withUnderscoresAction"))
		egw_set_str(t->a, o, "withUnderscoresAction", "RejectRequest");
	egw_node *mrh = egw_get(h, "maxRequestHeaderLimit");
	if (mrh) {
		int64_t v;
		if (pol_quantity(egw_text(mrh), &v) == 0 && v < 1024) {
			*err = egw_sprintf(t->a, "Headers: MaxRequestHeaderLimit value %s must be at least 1Ki",
					   egw_text(mrh));
			return o;
		}
		if (pol_quantity(egw_text(mrh), &v) != 0 || v > 8192 * 1024) {
			*err = egw_sprintf(t->a, "Headers: MaxRequestHeaderLimit value %s exceeds the maximum of 8192Ki",
					   egw_text(mrh));
			return o;
		}
		egw_set_int(t->a, o, "maxRequestHeadersKB", v / 1024);
	}
	egw_buf errs;
	egw_buf_init(&errs, t->a);
	egw_node *mods = egw_obj(t->a);
	hdr_mods(t, egw_get(h, "earlyRequestHeaders"), mods, "earlyAddRequestHeaders", "earlyRemoveRequestHeaders",
		 "earlyRemoveRequestHeadersOnMatch", "EarlyRequestHeaders", &errs);
	hdr_mods(t, egw_get(h, "lateResponseHeaders"), mods, "lateAddResponseHeaders", "lateRemoveResponseHeaders",
		 "lateRemoveResponseHeadersOnMatch", "LateResponseHeaders", &errs);
	if (errs.len) {
		*err = egw_sprintf(t->a, "Headers: %s", egw_buf_str(&errs));
		return o;
	}
	EGW_OBJ_EACH(mods, i, m)
	egw_obj_set(t->a, o, m->key, m->val);
	return o;
}

/* TLS parameters and client validation of a terminating listener. */
static const char *ctp_tls_obj(pol_ctx *pc, ir_pol *p, egw_node *tls);

static const char *ctp_tls(pol_ctx *pc, ir_pol *p, egw_node *x)
{
	egw_node *tls = egw_get(x, "tls");
	if (tls && tls->kind == EGW_OBJ)
		return ctp_tls_obj(pc, p, tls);
	egw_node *r;
	EGW_ARR_EACH(egw_get(x, "routes"), i, r)
	{
		egw_node *term = egw_path(r, "tls.terminate");
		if (term && term->kind == EGW_OBJ) {
			const char *e = ctp_tls_obj(pc, p, term);
			if (e)
				return e;
		}
	}
	return NULL;
}

static bool cipher_known(const char *c)
{
	static const char *const known[] = {
		"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
		"ECDHE-RSA-AES256-GCM-SHA384",	 "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
		"ECDHE-PSK-CHACHA20-POLY1305",	 "ECDHE-ECDSA-AES128-SHA",	 "ECDHE-RSA-AES128-SHA",
		"ECDHE-PSK-AES128-CBC-SHA",	 "ECDHE-ECDSA-AES256-SHA",	 "ECDHE-RSA-AES256-SHA",
		"ECDHE-PSK-AES256-CBC-SHA",	 "AES128-GCM-SHA256",		 "AES256-GCM-SHA384",
		"AES128-SHA",			 "PSK-AES128-CBC-SHA",		 "AES256-SHA",
		"PSK-AES256-CBC-SHA",		 "DES-CBC3-SHA",		 "TLS_AES_128_GCM_SHA256",
		"TLS_AES_256_GCM_SHA384",	 "TLS_CHACHA20_POLY1305_SHA256",
	};
	char buf[128];
	size_t n = strlen(c);
	if (n >= 2 && c[0] == '[' && c[n - 1] == ']') {
		/* an equal-preference group: [A|B|C] */
		const char *q = c + 1;
		while (q < c + n - 1) {
			const char *bar = memchr(q, '|', (size_t)(c + n - 1 - q));
			size_t len = bar ? (size_t)(bar - q) : (size_t)(c + n - 1 - q);
			if (len >= sizeof buf)
				return false;
			memcpy(buf, q, len);
			buf[len] = 0;
			if (!cipher_known(buf))
				return false;
			q += len + 1;
		}
		return true;
	}
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(known[i], c))
			return true;
	return false;
}

static const char *ctp_tls_obj(pol_ctx *pc, ir_pol *p, egw_node *tls)
{
	ir_tr *t = pc->t;
	egw_node *spec = egw_path(p->o->node, "spec.tls");
	egw_set_str(t->a, tls, "minVersion", egw_get_str(spec, "minVersion", "1.2"));
	egw_set_str(t->a, tls, "maxVersion", egw_get_str(spec, "maxVersion", "1.3"));
	egw_node *c;
	EGW_ARR_EACH(egw_get(spec, "ciphers"), i, c)
	{
		if (!cipher_known(egw_text(c) ? egw_text(c) : ""))
			return egw_sprintf(t->a, "TLS: unsupported cipher suite: %s", egw_text(c));
	}
	const char *lists[] = { "ciphers", "ecdhCurves", "signatureAlgorithms", "alpnProtocols",
				"fingerprints" };
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		egw_node *v = egw_get(spec, lists[i]);
		if (v)
			egw_obj_set(t->a, tls, lists[i], egw_clone(t->a, v));
	}
	egw_node *cv = egw_get(spec, "clientValidation");
	if (!cv)
		return NULL;
	if (egw_node_bool(egw_get(cv, "optional"), false))
		pol_note_deprecated(t, p, "spec.tls.clientValidation.optional", "spec.tls.clientValidation.mode");
	{
		const char *md = egw_get_str(cv, "mode", NULL);
		bool opt = egw_node_bool(egw_get(cv, "optional"), false) || (md && strcmp(md, "Require"));
		egw_set_bool(t->a, tls, "clientValidationEnabled", true);
		egw_set_bool(t->a, tls, "requireClientCertificate", !opt);
	}
	egw_buf pem;
	egw_buf_init(&pem, t->a);
	egw_node *ref;
	EGW_ARR_EACH(egw_get(cv, "caCertificateRefs"), i, ref)
	{
		const char *kind = egw_get_str(ref, "kind", "Secret");
		const char *ns = egw_get_str(ref, "namespace", p->o->ns), *name = egw_get_str(ref, "name", "");
		const char *data = NULL;
		if (!strcmp(kind, "ClusterTrustBundle")) {
			egw_object *b = egw_res_find(t->rs, EGW_K_CLUSTERTRUSTBUNDLE, "", name);
			if (!b)
				return egw_sprintf(t->a,
						   "TLS: failed to get certificate from ref: ref ClusterTrustBundle [%s] not found",
						   name);
			data = egw_get_str(egw_get(b->node, "spec"), "trustBundle", "");
		} else {
			bool cm = !strcmp(kind, "ConfigMap");
			egw_object *o = egw_res_find(t->rs, cm ? EGW_K_CONFIGMAP : EGW_K_SECRET, ns, name);
			if (!o)
				return egw_sprintf(t->a, "TLS: failed to get certificate from ref: %s %s/%s does not exist",
						   cm ? "configmap" : "secret", ns, name);
			egw_node *dm = egw_get(o->node, "data");
			const char *v = egw_get_str(dm, "ca.crt", NULL);
			if (!v && egw_len(dm) == 1)
				v = egw_text(dm->c.members[0].val);
			if (!v)
				return egw_sprintf(t->a,
						   "TLS: failed to get certificate from ref: ref %s [%s] has none of the expected keys [ca.crt] and more than one entry",
						   cm ? "configmap" : "secret", name);
			if (cm) {
				data = v;
			} else {
				size_t n;
				data = ir_b64_decode(t, v, &n);
				if (!data)
					data = "";
			}
		}
		/* a bundle of trust anchors: expired or malformed ones are
		 * dropped, the rest re-encoded; none left refuses the policy */
		const char *err;
		const char *valid = ir_ca_bundle(t, data, strlen(data), &err);
		if (!valid)
			return egw_sprintf(t->a, "TLS: no valid certificates exist in %s: %s", name, err);
		egw_buf_puts(&pem, valid);
	}
	if (pem.len) {
		egw_node *ca = egw_set_obj(t->a, tls, "caCertificate");
		egw_set_str(t->a, ca, "certificate", ir_b64_encode(t, pem.data, pem.len));
		egw_set_str(t->a, ca, "name", egw_sprintf(t->a, "%s/%s/ca.crt", p->o->ns, p->o->name));
	}
	/* checked after the CA is in place: Envoy Gateway keeps it when a CRL is refused */
	EGW_ARR_EACH(egw_path(cv, "crl.refs"), i, ref)
	{
		const char *kind = egw_get_str(ref, "kind", "Secret");
		const char *ns = egw_get_str(ref, "namespace", p->o->ns), *name = egw_get_str(ref, "name", "");
		bool cm = !strcmp(kind, "ConfigMap");
		egw_object *o = egw_res_find(t->rs, cm ? EGW_K_CONFIGMAP : EGW_K_SECRET, ns, name);
		const char *v = o ? egw_get_str(egw_get(o->node, "data"), "ca.crl", NULL) : NULL;
		if (!v)
			continue;
		size_t n = strlen(v);
		const char *crl = cm ? v : ir_b64_decode(t, v, &n);
		const char *err = crl ? ir_crl_error(t, crl, n) : "unable to decode pem data for CRL";
		if (err)
			return egw_sprintf(t->a, "TLS: invalid crl in %s: %s", name, err);
	}
	const char *mode = egw_get_str(cv, "mode", NULL);
	if (mode && strcmp(mode, "Require") && !pem.len)
		return egw_sprintf(t->a, "TLS: tls.clientValidation.mode \"%s\" requires caCertificateRefs", mode);
	if (!mode && egw_node_bool(egw_get(cv, "optional"), false) && !pem.len)
		return "TLS: tls.clientValidation.optional=true requires caCertificateRefs (maps to mode \"VerifyIfGiven\")";
	egw_set_bool(t->a, tls, "clientValidationEnabled", true);
	egw_node *sans = egw_get(cv, "subjectAltNames");
	if (sans) {
		egw_node *arr = egw_arr(t->a);
		static const char *const kinds[][2] = { { "dnsNames", "DNS" },
							{ "emailAddresses", "EMAIL" },
							{ "ipAddresses", "IP_ADDRESS" },
							{ "uris", "URI" } };
		for (size_t k = 0; k < 4; k++) {
			egw_node *x;
			EGW_ARR_EACH(egw_get(sans, kinds[k][0]), i, x)
			{
				egw_node *m = egw_arr_push(t->a, arr, egw_obj(t->a));
				egw_set_bool(t->a, m, "distinct", false);
				const char *ty = egw_get_str(x, "type", "Exact");
				const char *key = !strcmp(ty, "Prefix")		   ? "prefix"
						  : !strcmp(ty, "Suffix")	   ? "suffix"
						  : !strcmp(ty, "RegularExpression") ? "safeRegex"
										     : "exact";
				egw_set_str(t->a, m, key, egw_get_str(x, "value", ""));
				egw_set_str(t->a, m, "name", kinds[k][1]);
			}
		}
		egw_node *x;
		EGW_ARR_EACH(egw_get(sans, "otherNames"), i, x)
		{
			egw_node *m = egw_arr_push(t->a, arr, egw_obj(t->a));
			egw_set_bool(t->a, m, "distinct", false);
			const char *ty = egw_get_str(x, "type", "Exact");
			const char *key = !strcmp(ty, "Prefix")		   ? "prefix"
					  : !strcmp(ty, "Suffix")	   ? "suffix"
					  : !strcmp(ty, "RegularExpression") ? "safeRegex"
									     : "exact";
			egw_set_str(t->a, m, key, egw_get_str(x, "value", ""));
			egw_set_str(t->a, m, "name", egw_get_str(x, "oid", ""));
		}
		if (arr->n)
			egw_obj_set(t->a, tls, "matchTypedSubjectAltNames", arr);
	}
	egw_node *ch = egw_get(cv, "certificateHashes");
	if (egw_len(ch))
		egw_obj_set(t->a, tls, "verifyCertificateHash", egw_clone(t->a, ch));
	egw_node *sh = egw_get(cv, "spkiHashes");
	if (egw_len(sh))
		egw_obj_set(t->a, tls, "verifyCertificateSpki", egw_clone(t->a, sh));
	bool optional = egw_node_bool(egw_get(cv, "optional"), false) ||
			(mode && strcmp(mode, "Require"));
	egw_set_bool(t->a, tls, "requireClientCertificate", !optional);
	return NULL;
}

/* "<prefix> FieldName value X" for the first value that is not a duration. */
static const char *ctp_check_durations(ir_tr *t, egw_node *obj, const char *prefix)
{
	egw_member *m;
	EGW_OBJ_EACH(obj, i, m)
	{
		double d;
		if (m->val->kind == EGW_STR && !ir_parse_duration(m->val->str, &d)) {
			char nm[64];
			snprintf(nm, sizeof nm, "%s", m->key);
			if (nm[0] >= 'a' && nm[0] <= 'z')
				nm[0] = (char)(nm[0] - 'a' + 'A');
			return egw_sprintf(t->a, "%s %s value %s", prefix, nm, m->val->str);
		}
	}
	return NULL;
}

/* Translates the policy onto one listener; returns an error or NULL. */
static const char *ctp_listener(pol_ctx *pc, ir_pol *p, ir_lis *l, egw_node *ref)
{
	ir_tr *t = pc->t;
	egw_node *spec = egw_get(p->o->node, "spec");
	egw_node *x = l->xl;
	if (!x)
		return NULL;
	egw_node *ka, *conn;
	const char *e;
	if ((e = ctp_keepalive(t, egw_get(spec, "tcpKeepalive"), &ka)))
		return e;
	if ((e = ctp_connection(t, egw_get(spec, "connection"), &conn)))
		return e;
	egw_node *pp = egw_get(spec, "enableProxyProtocol");
	if (pp)
		pol_note_deprecated(t, p, "spec.enableProxyProtocol", "spec.proxyProtocol");
	if (egw_path(spec, "headers.preserveXRequestID"))
		pol_note_deprecated(t, p, "spec.headers.preserveXRequestID", "spec.headers.requestID");
	egw_node *ppn = egw_get(spec, "proxyProtocol");
	if (l->xk == XL_HTTP) {
		pol_copy(t, x, spec, "clientIPDetection");
		egw_node *hh = egw_path(spec, "headers.host");
		if (egw_len(hh))
			egw_obj_set(t->a, x, "host", egw_clone(t->a, hh));
		const char *herr;
		egw_node *hd = ctp_headers(t, egw_get(spec, "headers"), &herr);
		if (hd)
			egw_obj_set(t->a, x, "headers", hd);
		if (herr)
			return herr;
		egw_node *path = egw_get(spec, "path");
		if (path) {
			egw_node *po = egw_obj_ensure(t->a, x, "path");
			egw_node *dms = egw_get(path, "disableMergeSlashes");
			if (dms)
				egw_set_bool(t->a, po, "mergeSlashes", !egw_node_bool(dms, false));
			const char *esa = egw_get_str(path, "escapedSlashesAction", NULL);
			if (esa)
				egw_set_str(t->a, po, "escapedSlashesAction", esa);
		}
		egw_node *to = egw_get(spec, "timeout");
		if ((e = ctp_check_durations(t, egw_get(to, "http"), "Timeout: invalid HTTP")))
			return e;
		if ((e = ctp_check_durations(t, egw_get(to, "tcp"), "Timeout: invalid TCP")))
			return e;
		if (to) {
			egw_node *tt = pol_durations(t, to);
			egw_node *ht = egw_get(tt, "http");
			if (ht)
				egw_obj_set(t->a, x, "timeout", tt);
			else
				egw_obj_set(t->a, x, "timeout", tt);
		}
		egw_node *h1 = egw_get(spec, "http1");
		if (h1) {
			egw_node *o = egw_obj(t->a);
			egw_obj_set(t->a, x, "http1", o);
			egw_member *m;
			EGW_OBJ_EACH(h1, i, m)
			{
				if (!strcmp(m->key, "http10")) {
					egw_node *h10 = egw_obj(t->a);
					if (egw_node_bool(egw_get(m->val, "useDefaultHost"), false)) {
						const char *dh = NULL;
						egw_node *hn;
						EGW_ARR_EACH(egw_get(x, "hostnames"), k, hn)
						{
							if (!dh && egw_text(hn) && !strchr(egw_text(hn), '*'))
								dh = egw_text(hn);
						}
						if (!dh) {
							egw_node *rts = egw_get(x, "routes");
							if (egw_len(rts) == 0)
								return "HTTP1: cannot set http10 default host on listener with only wildcard hostnames";
							egw_node *hs = NULL;
							egw_node *r;
							EGW_ARR_EACH(rts, k, r)
							pol_str_add(t, &hs, egw_get_str(r, "hostname", ""));
							if (egw_len(hs) != 1)
								return "HTTP1: cannot set http10 default host on listener with only wildcard hostnames and more than one possible default route";
							dh = egw_text(egw_at(hs, 0));
						}
						egw_set_str(t->a, h10, "defaultHost", dh);
					}
					egw_obj_set(t->a, o, "http10", h10);
				} else if (!strcmp(m->key, "ignoredUpgradeTypes")) {
					egw_node *arr = egw_set_arr(t->a, o, m->key);
					egw_node *u;
					EGW_ARR_EACH(m->val, k, u)
					{
						egw_node *sm = egw_arr_push(t->a, arr, egw_obj(t->a));
						egw_set_bool(t->a, sm, "distinct", false);
						egw_set_str(t->a, sm, "name", "");
						const char *ty = egw_get_str(u, "type", "Exact");
						const char *key = !strcmp(ty, "Prefix")		   ? "prefix"
								  : !strcmp(ty, "Suffix")	   ? "suffix"
								  : !strcmp(ty, "RegularExpression") ? "safeRegex"
												     : "exact";
						egw_set_str(t->a, sm, key, egw_get_str(u, "value", ""));
					}
				} else
					egw_obj_set(t->a, o, m->key, egw_clone(t->a, m->val));
			}
		}
		egw_node *grpc = egw_get(spec, "grpc");
		if (grpc && egw_get(grpc, "enableWeb")) {
			egw_node *g = egw_obj_ensure(t->a, x, "grpc");
			egw_set_bool(t->a, g, "enableGRPCWeb", egw_node_bool(egw_get(grpc, "enableWeb"), false));
		}
		egw_node *h2 = egw_get(spec, "http2");
		if (h2) {
			egw_node *o = egw_obj(t->a);
			/* Envoy Gateway writes each window size into the other's field */
			const char *q[] = { "initialStreamWindowSize", "initialConnectionWindowSize" };
			const char *qn[] = { "InitialStreamWindowSize", "InitialConnectionWindowSize" };
			egw_buf h2e;
			egw_buf_init(&h2e, t->a);
			for (int i = 0; i < 2; i++) {
				egw_node *v = egw_get(h2, q[i]);
				int64_t n;
				if (!v)
					continue;
				if (pol_quantity(egw_text(v), &n) != 0 || n < 65535 || n > 2147483647) {
					if (h2e.len)
						egw_buf_puts(&h2e, "\n");
					egw_buf_printf(&h2e, "%s value %s is out of range, must be between 65535 and 2147483647",
						       qn[i], egw_text(v));
					continue;
				}
				egw_set_int(t->a, o, q[1 - i], n);
			}
			if (h2e.len)
				return egw_sprintf(t->a, "HTTP2: %s", egw_buf_str(&h2e));
			egw_node *mcs = egw_get(h2, "maxConcurrentStreams");
			if (mcs)
				egw_obj_set(t->a, o, "maxConcurrentStreams", egw_clone(t->a, mcs));
			const char *oim = egw_get_str(h2, "onInvalidMessage", NULL);
			egw_set_bool(t->a, o, "resetStreamOnError", oim && !strcmp(oim, "TerminateStream"));
			egw_obj_set(t->a, x, "http2", o);
		}
		egw_node *hc = egw_get(spec, "healthCheck");
		if (hc)
			egw_obj_set(t->a, x, "healthCheck", pol_lc_keys(t, hc));
	}
	if (l->xk == XL_HTTP || l->xk == XL_TCP) {
		if ((e = ctp_tls(pc, p, x)))
			return e;
		if (l->xk == XL_HTTP && egw_get(spec, "http3") && egw_get(x, "tls")) {
			if (egw_node_bool(egw_path(x, "tls.clientValidationEnabled"), false)) {
				pol_warning(pc, p, ref, "UnsupportedHTTP3ClientValidation",
					    egw_sprintf(t->a,
							"HTTP/3 was disabled for listener \"%s\" because Envoy does not support downstream client TLS validation over QUIC",
							l->name));
			} else {
				egw_set_obj(t->a, x, "http3");
				egw_node *px;
				const char *xn = egw_get_str(x, "name", "");
				EGW_ARR_EACH(egw_path(egw_get(t->out->infra_ir, l->gw->irkey), "proxy.listeners"), k, px)
				{
					if (ir_streq(egw_get_str(px, "name", ""), xn))
						egw_set_obj(t->a, px, "http3");
				}
			}
		}
		if (ka)
			egw_obj_set(t->a, x, "tcpKeepalive", ka);
		if (conn)
			egw_obj_set(t->a, x, "connection", conn);
		if (ppn)
			egw_obj_set(t->a, x, "proxyProtocol", egw_clone(t->a, ppn));
		else if (pp && egw_node_bool(pp, false))
			egw_set_obj(t->a, x, "proxyProtocol");
		if (l->xk == XL_TCP) {
			egw_node *to = egw_path(spec, "timeout.tcp");
			if (to) {
				egw_node *tt = egw_obj(t->a);
				egw_obj_set(t->a, tt, "tcp", pol_durations(t, to));
				egw_obj_set(t->a, x, "timeout", tt);
			}
		}
	}
	return NULL;
}

/* A listener whose policy failed serves 500 on every route. */
static void ctp_fail_routes(ir_tr *t, ir_lis *l)
{
	if (l->xl && l->xk == XL_TCP) {
		egw_obj_del(l->xl, "routes");
		return;
	}
	if (!l->xl || l->xk != XL_HTTP)
		return;
	egw_node *r;
	EGW_ARR_EACH(egw_get(l->xl, "routes"), i, r)
	{
		egw_node *dr = egw_set_obj(t->a, r, "directResponse");
		egw_set_int(t->a, dr, "statusCode", 500);
	}
}

/* Other plain-HTTP IR listeners on the same port, as names. */
static egw_node *same_port(pol_ctx *pc, ir_lis *l)
{
	ir_tr *t = pc->t;
	if (!l->xl || l->xk != XL_HTTP || egw_get(l->xl, "tls"))
		return NULL;
	egw_node *fleet = egw_get(t->out->xds_ir, l->gw->irkey);
	egw_node *out = NULL;
	egw_node *o;
	int64_t port = egw_get_int(l->xl, "port", -1);
	EGW_ARR_EACH(egw_get(fleet, "http"), i, o)
	{
		if (o == l->xl || egw_get(o, "tls") || egw_get_int(o, "port", -2) != port)
			continue;
		pol_str_add(t, &out, egw_get_str(o, "name", ""));
	}
	return out;
}

static const char *join(ir_tr *t, egw_node *arr, const char *sep)
{
	egw_buf b;
	egw_buf_init(&b, t->a);
	egw_node *x;
	EGW_ARR_EACH(arr, i, x)
	{
		if (i)
			egw_buf_puts(&b, sep);
		egw_buf_puts(&b, egw_text(x));
	}
	return egw_buf_str(&b);
}

static const char *port_overlap(pol_ctx *pc, ir_lis *l, bool whole_gw)
{
	ir_tr *t = pc->t;
	egw_node *same = same_port(pc, l);
	if (!same || !same->n)
		return NULL;
	if (whole_gw) {
		const char *ln = egw_get_str(l->xl, "name", "");
		const char *sl = strrchr(ln, '/');
		size_t gl = sl ? (size_t)(sl - ln) : 0;
		egw_node *conf = NULL;
		egw_node *x;
		EGW_ARR_EACH(same, i, x)
		{
			if (strncmp(egw_text(x), ln, gl + 1))
				pol_str_add(t, &conf, egw_text(x));
		}
		if (!conf)
			return NULL;
		same = conf;
	}
	return egw_sprintf(t->a,
			   "ClientTrafficPolicy is being applied to multiple http (non https) listeners (%s) on the same port, which is not allowed",
			   join(t, same, ", "));
}

/* Listener bookkeeping of one Gateway: which listeners a policy took. */
typedef struct ctp_gw {
	egw_map taken;      /* listener identity -> non-NULL */
	egw_node *names;    /* display names of taken listeners */
	bool whole;         /* a Gateway-wide policy attached */
	egw_map lset_whole; /* ListenerSet key -> non-NULL */
} ctp_gw;

static ctp_gw *ctp_state(ir_tr *t, egw_map *m, ir_gw *g)
{
	ctp_gw *s = egw_map_get(m, g->irkey ? egw_sprintf(t->a, "%s/%s", g->ns, g->name) : "");
	if (!s) {
		s = EGW_NEW(t->a, ctp_gw);
		egw_map_init(&s->taken, t->a);
		egw_map_init(&s->lset_whole, t->a);
		egw_map_put(m, egw_sprintf(t->a, "%s/%s", g->ns, g->name), s);
	}
	return s;
}

static const char *lis_id(ir_tr *t, ir_lis *l)
{
	return l->lset ? egw_sprintf(t->a, "%s/%s/%s", l->lset->ns, l->lset->name, l->name) : l->name;
}

static void ctp_take(ir_tr *t, ctp_gw *s, ir_lis *l)
{
	egw_map_put(&s->taken, lis_id(t, l), l);
	pol_str_add(t, &s->names, l->name);
}

/* Applies p to listeners ls[0..n) not yet taken; returns joined errors. */
static const char *ctp_apply_many(pol_ctx *pc, ir_pol *p, ctp_gw *s, ir_lis **ls, size_t n, bool lset_only,
				  egw_node *ref)
{
	ir_tr *t = pc->t;
	egw_buf errs;
	egw_buf_init(&errs, t->a);
	ir_lis **todo = EGW_NEWN(t->a, ir_lis *, n ? n : 1);
	size_t nt = 0;
	for (size_t li = 0; li < n; li++) {
		ir_lis *l = ls[li];
		if (lset_only && !l->lset)
			continue;
		if (egw_map_get(&s->taken, lis_id(t, l)))
			continue;
		todo[nt++] = l;
	}
	for (size_t k = 0; k < nt; k++) {
		ir_lis *l = todo[k];
		ctp_take(t, s, l);
		const char *err = port_overlap(pc, l, true);
		if (!err && (err = ctp_listener(pc, p, l, ref)))
			ctp_fail_routes(t, l);
		if (err) {
			if (errs.len)
				egw_buf_puts(&errs, "\n");
			egw_buf_puts(&errs, err);
		}
	}
	return errs.len ? egw_buf_str(&errs) : NULL;
}

void ir_policy_ctp(pol_ctx *pc)
{
	ir_tr *t = pc->t;
	egw_map handled, states;
	egw_map_init(&handled, t->a);
	egw_map_init(&states, t->a);
	pol_reset_targets(pc);
	/* 0: one listener (of a Gateway or a ListenerSet), 1: whole ListenerSets, 2: whole Gateways */
	for (int pass = 0; pass < 3; pass++) {
		egw_object *o;
		EGW_RES_EACH(t->rs, EGW_K_CLIENTTRAFFICPOLICY, i, o)
		{
			size_t n;
			pol_target *tg = pol_targets(pc, o, false, &n);
			for (size_t j = 0; j < n; j++) {
				bool isls = !strcmp(tg[j].kind, "ListenerSet");
				if (!isls && strcmp(tg[j].kind, "Gateway"))
					continue;
				const char *sec = tg[j].section;
				if ((sec != NULL) != (pass == 0))
					continue;
				if ((pass == 1 && !isls) || (pass == 2 && isls))
					continue;
				const char *pk = egw_sprintf(t->a, "%s/%s", o->ns, o->name);
				ir_pol *p = egw_map_get(&handled, pk);
				if (!p) {
					p = EGW_NEW(t->a, ir_pol);
					pol_init(pc, p, o, "ClientTrafficPolicy");
					egw_node *one = egw_path(o->node, "spec.targetRef");
					p->deprecated_ref = one && one->kind == EGW_OBJ;
					egw_map_put(&handled, pk, p);
				}
				const char *tns = tg[j].ns ? tg[j].ns : o->ns;
				const char *tk = egw_sprintf(t->a, "%s/%s", tns, tg[j].name);
				ir_gw *g;
				pol_ls *pl = NULL;
				if (isls) {
					pl = egw_map_get(&pc->lsets, tk);
					if (!pl)
						continue;
					g = pl->g;
				} else {
					g = egw_map_get(&t->gw_by_name, tk);
					if (!g)
						continue;
				}
				ctp_gw *st = ctp_state(t, &states, g);
				egw_node *ref = pol_ancestor_ref(pc, tns, tg[j].name, sec);
				if (isls)
					egw_set_str(t->a, ref, "kind", "ListenerSet");
				if (sec) {
					ir_lis *l = NULL;
					if (isls) {
						for (size_t k = 0; k < pl->nls; k++)
							if (!strcmp(pl->ls[k]->name, sec))
								l = pl->ls[k];
					} else {
						l = pol_find_listener(g, sec);
					}
					if (!l) {
						pol_cond(pc, p, ref, "Accepted", false, "TargetNotFound",
							 egw_sprintf(t->a, "No section name %s found for %s %s", sec,
								     isls ? "ListenerSet" : "Gateway", tk));
						continue;
					}
					if (egw_map_get(&st->taken, lis_id(t, l))) {
						pol_cond(pc, p, ref, "Accepted", false, "Conflicted",
							 egw_sprintf(t->a,
								     "Unable to target section of %s, another ClientTrafficPolicy has already attached to it",
								     tg[j].name));
						continue;
					}
					ctp_take(t, st, l);
					const char *err = port_overlap(pc, l, false);
					if (!err && (err = ctp_listener(pc, p, l, ref)))
						ctp_fail_routes(t, l);
					if (err)
						pol_cond(pc, p, ref, "Accepted", false, "Invalid", pol_err_msg(t, err));
					pol_accepted(pc, p, ref);
					pol_deprecated(pc, p, ref);
					continue;
				}
				bool *whole = NULL;
				if (isls) {
					if (egw_map_get(&st->lset_whole, tk)) {
						pol_cond(pc, p, ref, "Accepted", false, "Conflicted",
							 egw_sprintf(t->a,
								     "Unable to target ListenerSet %s, another ClientTrafficPolicy has already attached to it",
								     tg[j].name));
						continue;
					}
					egw_map_put(&st->lset_whole, tk, pl);
				} else {
					whole = &st->whole;
					if (*whole) {
						pol_cond(pc, p, ref, "Accepted", false, "Conflicted",
							 egw_sprintf(t->a,
								     "Unable to target Gateway %s, another ClientTrafficPolicy has already attached to it",
								     g->name));
						continue;
					}
					*whole = true;
				}
				/* sections of this target already taken by others */
				egw_node *over = NULL;
				ir_lis **ls = isls ? pl->ls : g->ls;
				size_t nls = isls ? pl->nls : g->nls;
				for (size_t k = 0; k < nls; k++)
					if (egw_map_get(&st->taken, lis_id(t, ls[k])))
						pol_str_add(t, &over, ls[k]->name);
				if (over && over->n) {
					egw_node *sorted = pol_sorted_unique(t, over, false);
					pol_cond(pc, p, ref, "Overridden", true, "Overridden",
						 egw_sprintf(t->a,
							     "There are existing ClientTrafficPolicies that are overriding these sections [%s]",
							     join(t, sorted, " ")));
				}
				const char *errs = ctp_apply_many(pc, p, st, ls, nls, false, ref);
				if (errs)
					pol_cond(pc, p, ref, "Accepted", false, "Invalid", pol_err_msg(t, errs));
				pol_accepted(pc, p, ref);
				pol_deprecated(pc, p, ref);
			}
		}
	}
	egw_map_entry *e;
	EGW_MAP_EACH(&handled, i, e)
	pol_finish(pc, e->val);
}
