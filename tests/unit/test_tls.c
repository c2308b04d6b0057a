/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS Secret checks (src/ir/x509.c) through the public API: a Gateway's
 * HTTPS listener refers to a Secret built from the PEM files in
 * tests/unit/data/tls/ (made once with openssl: see README there), and the
 * listener's status must say what Envoy Gateway says.  The clock is the
 * option now_unix, so the validity checks do not depend on the day the
 * test runs.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egw/egw.h"
#include "check_run.h"

static const char *data_dir;

/* The fixtures' validity window (openssl x509 -noout -dates). */
#define NOT_BEFORE 1795772653LL /* 2026-11-27 09:44:13 UTC */
#define NOT_AFTER 2111132653LL  /* 2036-11-24 09:44:13 UTC */
#define INSIDE (NOT_BEFORE + 86400)

static char *slurp(const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", data_dir, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = malloc(1 << 16);
	ck_assert_ptr_nonnull(buf);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static char *b64(const char *s)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	char *out = malloc((n + 2) / 3 * 4 + 1);
	ck_assert_ptr_nonnull(out);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = tb[(v >> 18) & 63];
		out[o++] = tb[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tb[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tb[v & 63] : '=';
	}
	out[o] = 0;
	return out;
}

/* Text of a fixture file, or the literal after "=" (for broken inputs). */
static char *pem(const char *spec)
{
	if (spec[0] == '=')
		return strdup(spec + 1);
	return slurp(spec);
}

static const char manifest_head[] =
	"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
	"spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\n"
	"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
	"metadata: {name: gw, namespace: default}\n"
	"spec:\n  gatewayClassName: eg\n  listeners:\n"
	"  - name: https\n    protocol: HTTPS\n    port: 443\n"
	"    tls: {mode: Terminate, certificateRefs: [{name: cert}]}\n---\n";

/* What one translation of doc at time now gives: the status JSON of the
 * object of kind `kind`, the xDS IR (when ir is not NULL) and the number of
 * xDS Secrets. */
typedef struct {
	char *status, *ir;
	int secrets;
} outcome;

static outcome translate(const char *doc, int64_t now, const char *kind, bool want_ir)
{
	egw_options o;
	egw_options_init(&o, EGW_OPTIONS_VERSION);
	o.now_unix = now;
	egw_input in = { { "tls.yaml", 8 }, { doc, strlen(doc) } };
	egw_result *r = NULL;
	ck_assert_int_eq(egw_translate(&r, &in, 1, &o), EGW_OK);
	outcome out = { NULL, NULL, 0 };
	for (size_t i = 0; i < egw_result_status_count(r); i++) {
		egw_status s;
		ck_assert_int_eq(egw_result_status(r, i, &s), 0);
		if (s.kind.len == strlen(kind) && !memcmp(s.kind.data, kind, s.kind.len))
			out.status = strndup(s.status_json.data, s.status_json.len);
	}
	for (size_t i = 0; i < egw_result_fleet_count(r); i++)
		out.secrets += (int)egw_fleet_resource_count(egw_result_fleet(r, i), EGW_XDS_SECRET);
	if (want_ir) {
		egw_str text;
		ck_assert_int_eq(egw_result_fleet_count(r), 1);
		ck_assert_int_eq(egw_fleet_render_xds_ir(egw_result_fleet(r, 0), EGW_FORMAT_JSON_COMPACT,
							 &text), 0);
		out.ir = strndup(text.data, text.len);
	}
	egw_result_free(r);
	ck_assert_ptr_nonnull(out.status);
	return out;
}

/* Translates the Gateway with Secret cert = (crt, key); returns the
 * Gateway's status JSON (malloc'd) and whether an xDS Secret was made. */
static char *gateway_status(const char *crt, const char *key, int64_t now, int *secrets)
{
	char *c = pem(crt), *k = pem(key);
	char *c64 = b64(c), *k64 = b64(k);
	size_t cap = strlen(manifest_head) + strlen(c64) + strlen(k64) + 512;
	char *doc = malloc(cap);
	ck_assert_ptr_nonnull(doc);
	snprintf(doc, cap,
		 "%sapiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: default}\n"
		 "type: kubernetes.io/tls\ndata:\n  tls.crt: %s\n  tls.key: %s\n",
		 manifest_head, c64, k64);
	outcome out = translate(doc, now, "Gateway", false);
	*secrets = out.secrets;
	free(doc);
	free(c);
	free(k);
	free(c64);
	free(k64);
	return out.status;
}

static void expect_ok(const char *crt, const char *key, int64_t now)
{
	int secrets;
	char *st = gateway_status(crt, key, now, &secrets);
	ck_assert_msg(!strstr(st, "InvalidCertificateRef"), "%s + %s refused: %s", crt, key, st);
	ck_assert_int_eq(secrets, 1);
	free(st);
}

static void expect_refused(const char *crt, const char *key, int64_t now, const char *msg)
{
	int secrets;
	char *st = gateway_status(crt, key, now, &secrets);
	ck_assert_msg(strstr(st, "\"reason\":\"InvalidCertificateRef\"") != NULL, "%s + %s: %s", crt,
		      key, st);
	ck_assert_msg(strstr(st, msg) != NULL, "%s + %s: want \"%s\" in %s", crt, key, msg, st);
	ck_assert_int_eq(secrets, 0); /* nothing of it reaches Envoy */
	free(st);
}

START_TEST(matching_pairs)
{
	expect_ok("rsa.crt", "rsa.key", INSIDE);   /* PKCS8 RSA */
	expect_ok("ec.crt", "ec.key", INSIDE);     /* SEC1 EC with its public point */
	expect_ok("ec.crt", "ec-pkcs8.key", INSIDE);
}
END_TEST

START_TEST(mismatched_pairs)
{
	expect_refused("rsa.crt", "rsa-other.key", INSIDE,
		       "default/cert must contain a matching tls.crt and tls.key: "
		       "tls: private key does not match public key");
	expect_refused("ec.crt", "ec-other.key", INSIDE, "tls: private key does not match public key");
	expect_refused("rsa.crt", "ec.key", INSIDE,
		       "tls: private key type does not match public key type");
}
END_TEST

START_TEST(malformed_material)
{
	/* a key pasted where the certificate belongs is never copied out */
	expect_refused("rsa.key", "rsa.key", INSIDE,
		       "default/cert must contain valid tls.crt and tls.key, unable to validate "
		       "certificate in tls.crt: x509: malformed tbs certificate");
	expect_refused("=not a certificate", "rsa.key", INSIDE,
		       "unable to validate certificate in tls.crt: unable to decode pem data for "
		       "certificate");
	expect_refused("rsa.crt", "=no key here", INSIDE,
		       "default/cert must contain valid tls.crt and tls.key, unable to decode pem "
		       "data in tls.key");
	expect_refused("rsa.crt", "rsa.crt", INSIDE,
		       "CERTIFICATE key format found in tls.key, supported formats are PKCS1, "
		       "PKCS8 or EC");
	expect_refused("rsa.crt", "=-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
		       INSIDE, "unable to parse PKCS1 formatted private key in tls.key");
}
END_TEST

START_TEST(validity_window)
{
	expect_refused("rsa.crt", "rsa.key", NOT_AFTER + 1,
		       "unable to validate certificate in tls.crt: certificate www.example.com has "
		       "expired since 2036-11-24 09:44:13 +0000 UTC");
	expect_refused("ec.crt", "ec.key", NOT_BEFORE - 1,
		       "certificate ec.example.com will be valid after 2026-11-27 09:44:13 +0000 UTC");
	expect_ok("rsa.crt", "rsa.key", NOT_AFTER);   /* the last valid second */
	expect_ok("rsa.crt", "rsa.key", NOT_BEFORE);  /* the first one */
	expect_ok("rsa.crt", "rsa.key", 0);           /* no clock: not checked */
}
END_TEST

/* ClientTrafficPolicy CA bundle: expired members dropped, none left refuses */
static char *ctp_status(const char *bundle, int64_t now, char **ir)
{
	char *c = slurp("rsa.crt"), *k = slurp("rsa.key");
	char *c64 = b64(c), *k64 = b64(k), *ca64 = b64(bundle);
	size_t cap = strlen(manifest_head) + 2 * strlen(c64) + strlen(k64) + strlen(ca64) + 1024;
	char *doc = malloc(cap);
	ck_assert_ptr_nonnull(doc);
	snprintf(doc, cap,
		 "%sapiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: default}\n"
		 "type: kubernetes.io/tls\ndata:\n  tls.crt: %s\n  tls.key: %s\n---\n"
		 "apiVersion: v1\nkind: Secret\nmetadata: {name: ca, namespace: default}\n"
		 "data:\n  ca.crt: %s\n---\n"
		 "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\n"
		 "metadata: {name: mtls, namespace: default}\n"
		 "spec:\n  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}\n"
		 "  tls:\n    clientValidation:\n      caCertificateRefs: [{kind: Secret, name: ca}]\n",
		 manifest_head, c64, k64, ca64);
	outcome out = translate(doc, now, "ClientTrafficPolicy", true);
	*ir = out.ir;
	free(doc);
	free(c);
	free(k);
	free(c64);
	free(k64);
	free(ca64);
	return out.status;
}

START_TEST(ca_bundle)
{
	char *old = slurp("expired.crt"), *ec = slurp("ec.crt");
	size_t n = strlen(old) + strlen(ec) + 64;
	char *bundle = malloc(n);
	ck_assert_ptr_nonnull(bundle);
	/* text around the blocks is ignored, as Go's pem.Decode ignores it */
	snprintf(bundle, n, "root one\n%s\nroot two\n%s", old, ec);
	char *ir;
	char *st = ctp_status(bundle, INSIDE, &ir);
	ck_assert_msg(strstr(st, "Policy has been accepted") != NULL, "%s", st);
	/* the expired root and the commentary are gone; the good root comes back
	 * whole (openssl writes blocks as Go's pem.EncodeToMemory does) */
	char *want = b64(ec);
	ck_assert_msg(strstr(ir, want) != NULL, "the IR's CA is not the valid root alone: %s", ir);
	free(want);
	free(st);
	free(ir);

	st = ctp_status(old, INSIDE, &ir);
	ck_assert_msg(strstr(st, "TLS: no valid certificates exist in ca: certificate old.example.com "
				 "has expired since 2020-01-01 00:00:00 +0000 UTC") != NULL, "%s", st);
	ck_assert_msg(!strstr(ir, "\"caCertificate\""), "%s", ir);
	free(st);
	free(ir);

	/* no clock: nothing is dropped */
	st = ctp_status(bundle, 0, &ir);
	ck_assert_msg(strstr(st, "Policy has been accepted") != NULL, "%s", st);
	free(st);
	free(ir);
	free(bundle);
	free(old);
	free(ec);
}
END_TEST

int main(int argc, char **argv)
{
	data_dir = argc > 1 ? argv[1] : "tests/unit/data/tls";
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("secrets");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, matching_pairs);
	tcase_add_test(tc, mismatched_pairs);
	tcase_add_test(tc, malformed_material);
	tcase_add_test(tc, validity_window);
	tcase_add_test(tc, ca_bundle);
	suite_add_tcase(s, tc);
	return test_run(s, NULL);
}
