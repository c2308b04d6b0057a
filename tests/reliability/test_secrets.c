/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets stay secret.  A recognisable private key (tests/reliability/data/
 * tls.key, a throwaway key made for this test) goes into a kubernetes.io/tls
 * Secret, as do marker strings into the credentials of basic auth, OIDC and
 * API key auth.  None of it may appear in any text the library produces:
 * diagnostics, statuses, fleet errors, resource names, the rendered IR, the
 * rendered xDS (every format and type mask) or the whole-result renderings,
 * also when the Secret is broken or refused.  The serialized protobuf, which
 * is what goes to Envoy, must still carry the key.
 *
 * Usage: test_secrets DATA_DIR
 */
#include "harness.h"

#define MARK_BASIC "EGWMARKERBASICAUTH0123456789abcdef"
#define MARK_OIDC "EGWMARKEROIDCSECRET0123456789abcdef"
#define MARK_APIKEY "EGWMARKERAPIKEY0123456789abcdef"

static char *b64(const char *in, size_t n)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1), *p = out;
	if (!out)
		abort();
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		*p++ = tb[(v >> 18) & 63];
		*p++ = tb[(v >> 12) & 63];
		*p++ = i + 1 < n ? tb[(v >> 6) & 63] : '=';
		*p++ = i + 2 < n ? tb[v & 63] : '=';
	}
	*p = 0;
	return out;
}

/* What must never show: the key's PEM body lines, pieces of the Secret's
 * base64 of the PEM (at every phase of the 3-byte grouping), the markers. */
typedef struct needles {
	char *v[64];
	size_t n;
} needles;

/* Public material (the certificate, in PEM and base64 at each phase): an
 * RSA private key holds the modulus the certificate also carries, so pieces
 * of the key that occur in the certificate are not secret. */
static char *public_forms[4];

static bool is_public(const char *s, size_t n)
{
	for (int i = 0; i < 4; i++) {
		const char *p = public_forms[i];
		if (!p)
			continue;
		for (size_t k = 0; p[k]; k++)
			if (!strncmp(p + k, s, n))
				return true;
	}
	return false;
}

static void add_needle(needles *nd, const char *s, size_t n)
{
	if (nd->n < 64 && n >= 16 && !is_public(s, n)) {
		char *p = malloc(n + 1);
		if (!p)
			abort();
		memcpy(p, s, n);
		p[n] = 0;
		nd->v[nd->n++] = p;
	}
}

static void make_needles(needles *nd, const char *pem)
{
	const char *p = strchr(pem, '\n');
	while (p && *++p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n >= 32 && p[0] != '-')
			add_needle(nd, p + 4, 24); /* a piece of every body line */
		p = e;
	}
	for (size_t shift = 0; shift < 3; shift++) {
		char *enc = b64(pem + shift, strlen(pem) - shift);
		size_t el = strlen(enc);
		for (size_t at = 40; at + 24 < el; at += el / 5)
			add_needle(nd, enc + at, 24);
		free(enc);
	}
	add_needle(nd, MARK_BASIC, strlen(MARK_BASIC));
	add_needle(nd, MARK_OIDC, strlen(MARK_OIDC));
	add_needle(nd, MARK_APIKEY, strlen(MARK_APIKEY));
}

static const char *leak_in(const needles *nd, const char *text, size_t len)
{
	for (size_t i = 0; i < nd->n; i++) {
		size_t nl = strlen(nd->v[i]);
		for (size_t k = 0; k + nl <= len; k++)
			if (text[k] == nd->v[i][0] && !memcmp(text + k, nd->v[i], nl))
				return nd->v[i];
	}
	return NULL;
}

static size_t texts_checked;

/* Known leaks, reported to their owners and not fixed yet: found again,
 * they are printed but do not fail the test; once they pass, the message
 * says to move the case out of the pending list. */
static const char *pending; /* why the current case is pending, or NULL */
static size_t pending_hits;

static void check_text(const needles *nd, const char *where, const char *what, egw_str s)
{
	texts_checked++;
	const char *hit = leak_in(nd, s.data, s.len);
	if (pending) {
		if (hit && !pending_hits++)
			printf("PENDING %s: secret material in %s (%s)\n", where, what, pending);
		return;
	}
	CHECKF(!hit, "%s: secret material (%.12s...) in %s", where, hit ? hit : "", what);
}

static void end_pending(const char *where)
{
	if (pending && !pending_hits)
		printf("XPASS %s: no longer leaks; remove it from the pending cases\n", where);
	pending = NULL;
	pending_hits = 0;
}

/* Every text a host can get from r. */
static void check_result(const needles *nd, const char *where, const egw_result *r)
{
	egw_str s;
	for (size_t i = 0; i < egw_result_diagnostic_count(r); i++) {
		egw_diagnostic d;
		if (egw_result_diagnostic(r, i, &d) == 0)
			check_text(nd, where, "a diagnostic", d.message);
	}
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_status st;
		if (egw_result_status(r, i, &st) == 0)
			check_text(nd, where, "a status", st.status_json);
	}
	static const egw_format fmts[] = { EGW_FORMAT_JSON, EGW_FORMAT_JSON_COMPACT, EGW_FORMAT_YAML };
	for (size_t k = 0; k < 3; k++) {
		for (unsigned parts = 1; parts < 8; parts++)
			if (egw_result_render(r, parts, 0, fmts[k], &s) == 0)
				check_text(nd, where, "the result rendering", s);
		if (egw_result_render(r, EGW_RENDER_XDS, 1u << EGW_XDS_SECRET, fmts[k], &s) == 0)
			check_text(nd, where, "the secrets rendering", s);
	}
	for (size_t i = 0; i < egw_result_fleet_count(r); i++) {
		const egw_fleet *f = egw_result_fleet(r, i);
		check_text(nd, where, "a fleet error", egw_fleet_error(f));
		for (size_t k = 0; k < 3; k++) {
			for (unsigned mask = 0; mask < 32; mask++)
				if (egw_fleet_render_xds(f, mask, fmts[k], &s) == 0)
					check_text(nd, where, "the fleet's xDS", s);
			if (egw_fleet_render_xds_ir(f, fmts[k], &s) == 0)
				check_text(nd, where, "the fleet's IR", s);
			if (egw_fleet_render_infra_ir(f, fmts[k], &s) == 0)
				check_text(nd, where, "the fleet's infra IR", s);
			if (egw_fleet_render_ratelimit(f, fmts[k], &s) == 0)
				check_text(nd, where, "the rate limit config", s);
		}
		for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++)
			for (size_t j = 0; j < egw_fleet_resource_count(f, (egw_xds_type)t); j++) {
				egw_resource res;
				if (egw_fleet_resource(f, (egw_xds_type)t, j, &res) == 0)
					check_text(nd, where, "a resource name", res.name);
			}
	}
}

/* Whether some serialized Secret resource holds the whole PEM key. */
/* pem is in the serialized resources of type t (what Envoy must get). */
static bool proto_has(const egw_result *r, egw_xds_type t, const char *pem)
{
	size_t pl = strlen(pem);
	for (size_t i = 0; i < egw_result_fleet_count(r); i++) {
		const egw_fleet *f = egw_result_fleet(r, i);
		for (size_t j = 0; j < egw_fleet_resource_count(f, t); j++) {
			egw_resource res;
			if (egw_fleet_resource(f, t, j, &res) != 0)
				continue;
			for (size_t k = 0; k + pl <= res.proto.len; k++)
				if (!memcmp(res.proto.data + k, pem, pl))
					return true;
		}
	}
	return false;
}

static bool proto_has_key(const egw_result *r, const char *pem)
{
	return proto_has(r, EGW_XDS_SECRET, pem);
}

/* Some status of r mentions text. */
static bool status_says(const egw_result *r, const char *text)
{
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_status st;
		if (egw_result_status(r, i, &st) == 0 && strstr(st.status_json.data, text))
			return true;
	}
	return false;
}

static void manifest(rel_buf *b, const char *crt64, const char *key64, const char *secret_ns,
		     const char *secret_type)
{
	rel_puts(b, "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
		    "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
		    "---\n"
		    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
		    "metadata: {name: gw, namespace: default}\n"
		    "spec:\n  gatewayClassName: eg\n  listeners:\n"
		    "  - name: https\n    protocol: HTTPS\n    port: 443\n    hostname: www.example.com\n"
		    "    tls:\n      mode: Terminate\n      certificateRefs:\n");
	rel_printf(b, "      - {kind: Secret, name: cert, namespace: %s}\n", secret_ns);
	rel_puts(b, "---\n"
		    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
		    "metadata: {name: r, namespace: default}\n"
		    "spec:\n  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: svc, port: 80}]\n"
		    "---\n"
		    "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: default}\n"
		    "spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 80}]}\n"
		    "---\n"
		    "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\n"
		    "metadata: {name: sp, namespace: default}\n"
		    "spec:\n"
		    "  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n"
		    "  basicAuth: {users: {name: htpasswd}}\n"
		    "  apiKeyAuth:\n    credentialRefs: [{name: apikeys}]\n"
		    "    extractFrom: [{headers: [x-api-key]}]\n"
		    "  oidc:\n"
		    "    provider:\n      issuer: https://idp.example.com\n"
		    "      authorizationEndpoint: https://idp.example.com/auth\n"
		    "      tokenEndpoint: https://idp.example.com/token\n"
		    "    clientID: client\n    clientSecret: {name: oidc}\n"
		    "    redirectURL: https://www.example.com/oauth2/callback\n"
		    "---\n");
	rel_printf(b, "apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: %s}\ntype: %s\n"
		      "data:\n  tls.crt: %s\n  tls.key: %s\n",
		   secret_ns, secret_type, crt64, key64);
	char *htpasswd = b64("alice:{SHA}" MARK_BASIC "\n", strlen("alice:{SHA}" MARK_BASIC "\n"));
	char *oidc = b64(MARK_OIDC, strlen(MARK_OIDC));
	rel_printf(b, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: htpasswd, namespace: default}\n"
		      "type: Opaque\ndata: {.htpasswd: %s}\n", htpasswd);
	rel_printf(b, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: oidc, namespace: default}\n"
		      "type: Opaque\ndata: {client-secret: %s}\n", oidc);
	rel_printf(b, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: apikeys, namespace: default}\n"
		      "type: Opaque\nstringData: {client1: %s}\n", MARK_APIKEY);
	free(htpasswd);
	free(oidc);
}

static egw_result *translate(const char *where, const char *text, size_t len, egw_from from, int *rc)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.from = from;
	o.now_unix = 1830297600; /* 2028-01-01: inside the test certificate's validity */
	o.config.data = "kind: EnvoyGateway\nextensionApis: {enableBackend: true}\n";
	o.config.len = strlen(o.config.data);
	egw_input in = rel_input(where, text, len);
	egw_result *r = NULL;
	*rc = egw_translate(&r, &in, 1, &o);
	CHECKF(rel_rc_ok_for_input(*rc), "%s: rc %d", where, *rc);
	return r;
}

static char *join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%s", dir, file);
	return p;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	char *kp = join(argv[1], "tls.key"), *cp = join(argv[1], "tls.crt");
	size_t kl, cl;
	char *key = rel_read_file(kp, &kl), *crt = rel_read_file(cp, &cl);
	needles nd = { .n = 0 };
	public_forms[0] = crt;
	for (size_t shift = 0; shift < 3; shift++)
		public_forms[1 + shift] = b64(crt + shift, cl - shift);
	make_needles(&nd, key);
	char *key64 = b64(key, kl), *crt64 = b64(crt, cl);

	/* the good case: the key reaches Envoy, and nothing else */
	rel_buf b = { 0 };
	manifest(&b, crt64, key64, "default", "kubernetes.io/tls");
	int rc;
	egw_result *r = translate("tls.yaml", b.data, b.len, EGW_FROM_GATEWAY_API, &rc);
	CHECK(rc == EGW_OK);
	if (r) {
		CHECKF(proto_has_key(r, key), "the serialized Secret lacks the private key");
		check_result(&nd, "tls.yaml", r);
		/* the IR of this fleet, fed back as IR input: still redacted, still in the proto */
		const egw_fleet *f = egw_result_fleet(r, 0);
		egw_str ir;
		if (f && egw_fleet_render_xds_ir(f, EGW_FORMAT_YAML, &ir) == 0) {
			CHECK(strstr(ir.data, "[redacted]") != NULL);
		}
		egw_result_free(r);
	}
	rel_buf_free(&b);

	/* broken and refused secrets: whatever the diagnostics say, not the key */
	struct variant {
		const char *name, *ns, *type;
		char *crt, *key;
		const char *pending;
	} vs[] = {
		{ "wrong type", "default", "Opaque", crt64, key64, NULL },
		{ "other namespace, no ReferenceGrant", "other", "kubernetes.io/tls", crt64, key64, NULL },
		{ "key is not base64", "default", "kubernetes.io/tls", crt64, NULL, NULL },
		{ "key is a certificate", "default", "kubernetes.io/tls", crt64, crt64, NULL },
		{ "certificate is the key", "default", "kubernetes.io/tls", key64, key64, NULL },
		{ "truncated key", "default", "kubernetes.io/tls", crt64, NULL, NULL },
	};
	/* the key's PEM, base64'd but unparseable as base64 (a '!' in it) */
	char *bad64 = strdup(key64);
	bad64[100] = '!';
	vs[2].key = bad64;
	char *trunc = malloc(kl);
	if (!trunc)
		abort();
	memcpy(trunc, key, kl / 2);
	char *trunc64 = b64(trunc, kl / 2);
	vs[5].key = trunc64;
	for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
		rel_buf m = { 0 };
		manifest(&m, vs[i].crt, vs[i].key, vs[i].ns, vs[i].type);
		pending = vs[i].pending;
		r = translate(vs[i].name, m.data, m.len, EGW_FROM_GATEWAY_API, &rc);
		if (r)
			check_result(&nd, vs[i].name, r);
		if (r && i == 4) /* refused as Envoy Gateway refuses it, not copied */
			CHECKF(status_says(r, "unable to validate certificate in tls.crt: x509: malformed"),
			       "%s: the listener does not report the bad certificate", vs[i].name);
		end_pending(vs[i].name);
		egw_result_free(r);
		rel_buf_free(&m);
	}

	/* an IR document that carries the key inline */
	rel_buf irb = { 0 };
	rel_puts(&irb, "http:\n- name: default/gw/https\n  address: 0.0.0.0\n  port: 10443\n"
		       "  hostnames: [www.example.com]\n  isHTTP2: false\n"
		       "  tls:\n    certificates:\n    - name: default/cert\n");
	rel_printf(&irb, "      certificate: %s\n      privateKey: %s\n", crt64, key64);
	rel_puts(&irb, "  routes:\n  - name: r\n    hostname: www.example.com\n"
		       "    directResponse: {statusCode: 200}\n");
	r = translate("ir.yaml", irb.data, irb.len, EGW_FROM_XDS_IR, &rc);
	CHECK(rc == EGW_OK);
	if (r) {
		check_result(&nd, "ir.yaml", r);
		CHECKF(proto_has_key(r, key), "the serialized Secret from IR input lacks the private key");
		egw_result_free(r);
	}
	rel_buf_free(&irb);
	/* API key credentials in IR input */
	{
		char *k = b64(MARK_APIKEY, strlen(MARK_APIKEY));
		rel_buf ak = { 0 };
		rel_printf(&ak, "http:\n- name: l\n  port: 10080\n  hostnames: ['*']\n  routes:\n"
				"  - name: r\n    hostname: '*'\n    directResponse: {statusCode: 200}\n"
				"    security:\n      apiKeyAuth:\n        credentials:\n"
				"        - {client: Y2xpZW50LTE=, key: %s}\n"
				"        extractFrom: [{headers: [x-api-key]}]\n", k);
		r = translate("api key IR", ak.data, ak.len, EGW_FROM_XDS_IR, &rc);
		if (r) {
			check_result(&nd, "api key IR", r);
			/* redacted in every rendering, but Envoy gets it */
			CHECKF(proto_has(r, EGW_XDS_ROUTE, MARK_APIKEY),
			       "the serialized route lacks the API key");
		}
		end_pending("api key IR");
		egw_result_free(r);
		rel_buf_free(&ak);
		free(k);
	}

	/* broken IR documents around the key: errors may not quote it */
	static const char *const broken_ir[] = {
		"http:\n- name: l\n  port: 10443\n  tls:\n    certificates:\n    - name: c\n"
		"      certificate: 12\n      privateKey: %s\n",
		"http:\n- name: l\n  port: 10443\n  tls:\n    certificates:\n    - name: c\n"
		"      certificate: \"not base64!\"\n      privateKey: %s\n",
		"http:\n- name: l\n  port: 10443\n  tls:\n    certificates:\n    - name: c\n"
		"      privateKey: [%s]\n",
		"http:\n- name: l\n  port: 10443\n  tls:\n    certificates:\n    - name: c\n"
		"      privateKey: {inline: %s}\n",
		"tcp:\n- name: l\n  port: 10443\n  tls:\n    certificates:\n    - name: c\n"
		"      certificate: %s\n      privateKey: %s\n",
		NULL,
	};
	for (size_t i = 0; broken_ir[i]; i++) {
		rel_buf bad = { 0 };
		rel_printf(&bad, broken_ir[i], key64, key64);
		char where[32];
		snprintf(where, sizeof where, "broken IR %zu", i);
		r = translate(where, bad.data, bad.len, EGW_FROM_XDS_IR, &rc);
		if (r)
			check_result(&nd, where, r);
		end_pending(where);
		egw_result_free(r);
		rel_buf_free(&bad);
	}

	printf("secrets: %zu texts checked for %zu needles\n", texts_checked, nd.n);
	for (size_t i = 0; i < nd.n; i++)
		free(nd.v[i]);
	free(key);
	free(crt);
	free(kp);
	free(cp);
	free(key64);
	free(crt64);
	free(bad64);
	free(trunc);
	free(trunc64);
	for (int i = 1; i < 4; i++)
		free(public_forms[i]);
	return rel_done("secrets");
}
