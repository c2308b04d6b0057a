/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS: downstream contexts for listeners, upstream contexts for clusters
 * (one transport socket match per TLS destination setting), and the SDS
 * secrets both refer to.
 */
#include <string.h>

#include "../util/sha256.h"
#include "names.h"
#include "xds_int.h"

#define TLS_SOCKET "envoy.transport_sockets.tls"
#define DOWN_MSG "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
#define UP_MSG "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"

static const char *tls_version(const char *v)
{
	if (!v || !strcmp(v, "Auto") || !*v)
		return NULL;
	if (!strcmp(v, "1.0"))
		return "TLSv1_0";
	if (!strcmp(v, "1.1"))
		return "TLSv1_1";
	if (!strcmp(v, "1.2"))
		return "TLSv1_2";
	if (!strcmp(v, "1.3"))
		return "TLSv1_3";
	return NULL; /* TLS_AUTO, proto3's default */
}

egw_node *xds_tls_params(xt *x, const egw_node *tls)
{
	egw_node *p = xo(x);
	if (egw_len(G(tls, "ciphers")))
		xset(x, p, "cipherSuites", xcopy(x, G(tls, "ciphers")));
	if (egw_len(G(tls, "ecdhCurves")))
		xset(x, p, "ecdhCurves", xcopy(x, G(tls, "ecdhCurves")));
	if (egw_len(G(tls, "signatureAlgorithms")))
		xset(x, p, "signatureAlgorithms", xcopy(x, G(tls, "signatureAlgorithms")));
	xs(x, p, "tlsMaximumProtocolVersion", tls_version(GS(tls, "maxVersion")));
	xs(x, p, "tlsMinimumProtocolVersion", tls_version(GS(tls, "minVersion")));
	return p->n ? p : NULL;
}

static egw_node *sds(xt *x, const char *name)
{
	egw_node *o = xo(x);
	xs(x, o, "name", name);
	xset(x, o, "sdsConfig", xads(x, true));
	return o;
}

/* An SDS config fetched from a local SDS server over a unix socket; the
 * server gets a static cluster named after its path. */
static egw_node *sds_remote(xt *x, const egw_node *sd)
{
	const char *path = GS(sd, "address");
	if (!path)
		path = "";
	char *flat = egw_strdup(x->a, path[0] == '/' ? path + 1 : path);
	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '_';
	const char *cname = egw_sprintf(x->a, "sds_%s_%.32s", flat, egw_sha256_hex(x->a, path, strlen(path)));
	if (!xfind(x, EGW_XDS_CLUSTER, cname)) {
		egw_node *cl = xo(x);
		xs(x, cl, "connectTimeout", "10s");
		xobj(x, cl, "http2ProtocolOptions");
		egw_node *la = xobj(x, cl, "loadAssignment");
		xs(x, la, "clusterName", cname);
		egw_node *ep = xobj(x, xpush(x, xarr(x, xpush(x, xarr(x, la, "endpoints"), xo(x)), "lbEndpoints"), xo(x)),
				    "endpoint");
		xs(x, xobj(x, xobj(x, ep, "address"), "pipe"), "path", path);
		xs(x, cl, "name", cname);
		xs(x, cl, "type", "STATIC");
		xadd(x, EGW_XDS_CLUSTER, cl);
	}
	egw_node *o = xo(x);
	xs(x, o, "name", GS(sd, "secretName"));
	egw_node *acs = xobj(x, xobj(x, o, "sdsConfig"), "apiConfigSource");
	xs(x, acs, "apiType", "GRPC");
	egw_node *gs = xpush(x, xarr(x, acs, "grpcServices"), xo(x));
	xs(x, xobj(x, gs, "envoyGrpc"), "clusterName", cname);
	return o;
}

static egw_node *san_matchers(xt *x, const egw_node *arr)
{
	egw_node *o = xa(x);
	const egw_node *m;
	EGW_ARR_EACH(arr, i, m) {
		egw_node *e = xpush(x, o, xo(x));
		xset(x, e, "matcher", xstrmatch(x, m));
		const char *n = GS(m, "name");
		static const char *const known[] = {"DNS", "EMAIL", "IP_ADDRESS", "URI", "OTHER_NAME"};
		bool k = false;
		for (size_t j = 0; n && j < sizeof known / sizeof known[0]; j++)
			if (!strcmp(n, known[j]))
				k = true;
		if (n && !k) {
			/* an OID names an otherName SAN */
			xs(x, e, "oid", n);
			n = "OTHER_NAME";
		}
		xs(x, e, "sanType", n ? n : "DNS");
	}
	return o;
}

egw_node *xds_downstream_tls(xt *x, const egw_node *tls, bool quic, bool overlaps)
{
	egw_node *ts = xo(x);
	egw_node *ctx = xany(x, DOWN_MSG);
	egw_node *ctc = xobj(x, ctx, "commonTlsContext");
	const egw_node *alpn = G(tls, "alpnProtocols");
	if (quic)
		xpush_s(x, xarr(x, ctc, "alpnProtocols"), "h3");
	else if ((!alpn || alpn->kind == EGW_NULL) && overlaps)
		xpush_s(x, xarr(x, ctc, "alpnProtocols"), "http/1.1");
	else if (!alpn || alpn->kind == EGW_NULL) {
		egw_node *a = xarr(x, ctc, "alpnProtocols");
		xpush_s(x, a, "h2");
		xpush_s(x, a, "http/1.1");
	} else if (egw_len(alpn))
		xset(x, ctc, "alpnProtocols", xcopy(x, alpn));
	egw_node *certs = xarr(x, ctc, "tlsCertificateSdsSecretConfigs");
	const egw_node *c;
	EGW_ARR_EACH(G(tls, "certificates"), i, c) {
		const egw_node *sd = G(c, "sds");
		if (sd)
			xpush(x, certs, sds_remote(x, sd));
		else
			xpush(x, certs, sds(x, GS(c, "name")));
	}
	xset(x, ctc, "tlsParams", xds_tls_params(x, tls));
	const egw_node *ca = G(tls, "caCertificate");
	if (ca) {
		egw_node *msan = G(tls, "matchTypedSubjectAltNames");
		bool extra = egw_len(msan) || egw_len(G(tls, "verifyCertificateHash")) ||
			     egw_len(G(tls, "verifyCertificateSpki")) || G(tls, "crl") ||
			     GB(tls, "allowExpiredCertificate") || GB(tls, "acceptUntrusted");
		if (extra) {
			egw_node *cvc = xobj(x, ctc, "combinedValidationContext");
			egw_node *dvc = xobj(x, cvc, "defaultValidationContext");
			if (egw_len(msan))
				xset(x, dvc, "matchTypedSubjectAltNames", san_matchers(x, msan));
			if (egw_len(G(tls, "verifyCertificateHash")))
				xset(x, dvc, "verifyCertificateHash", xcopy(x, G(tls, "verifyCertificateHash")));
			if (GB(tls, "allowExpiredCertificate"))
				xb(x, dvc, "allowExpiredCertificate", true);
			if (GB(tls, "acceptUntrusted"))
				xs(x, dvc, "trustChainVerification", "ACCEPT_UNTRUSTED");
			if (egw_len(G(tls, "verifyCertificateSpki")))
				xset(x, dvc, "verifyCertificateSpki", xcopy(x, G(tls, "verifyCertificateSpki")));
			xset(x, cvc, "validationContextSdsSecretConfig", sds(x, GS(ca, "name")));
		} else {
			xset(x, ctc, "validationContextSdsSecretConfig", sds(x, GS(ca, "name")));
		}
	} else if (GB(tls, "acceptUntrusted")) {
		xs(x, xobj(x, ctc, "validationContext"), "trustChainVerification", "ACCEPT_UNTRUSTED");
	}
	if (!quic) {
		xb(x, ctx, "disableStatefulSessionResumption", !GB(tls, "statefulSessionResumption"));
		xb(x, ctx, "disableStatelessSessionResumption", !GB(tls, "statelessSessionResumption"));
	}
	if (ca && quic)
		xb(x, ctx, "requireClientCertificate", true);
	else if (ca || GB(tls, "clientValidationEnabled"))
		xb(x, ctx, "requireClientCertificate", GB(tls, "requireClientCertificate"));
	if (quic) {
		egw_node *q = xany(x, "envoy.extensions.transport_sockets.quic.v3.QuicDownstreamTransport");
		xb(x, ctx, "disableStatefulSessionResumption", !GB(tls, "statefulSessionResumption"));
		xb(x, ctx, "disableStatelessSessionResumption", !GB(tls, "statelessSessionResumption"));
		egw_obj_del(ctx, "@type");
		xset(x, q, "downstreamTlsContext", ctx);
		xs(x, ts, "name", "envoy.transport_sockets.quic");
		xset(x, ts, "typedConfig", q);
		return ts;
	}
	xs(x, ts, "name", TLS_SOCKET);
	xset(x, ts, "typedConfig", ctx);
	return ts;
}

egw_node *xds_secret_cert(xt *x, const egw_node *cert)
{
	egw_node *s = xo(x);
	xs(x, s, "name", GS(cert, "name"));
	egw_node *tc = xobj(x, s, "tlsCertificate");
	xs(x, xobj(x, tc, "certificateChain"), "inlineBytes", xbytes_b64(x, G(cert, "certificate")));
	xs(x, xobj(x, tc, "privateKey"), "inlineBytes", xbytes_b64(x, G(cert, "privateKey")));
	const egw_node *ocsp = G(cert, "ocspStaple");
	if (ocsp)
		xs(x, xobj(x, tc, "ocspStaple"), "inlineBytes", xbytes_b64(x, ocsp));
	return s;
}

static egw_node *secret_ca(xt *x, const egw_node *ca, const egw_node *crl)
{
	egw_node *s = xo(x);
	xs(x, s, "name", GS(ca, "name"));
	egw_node *vc = xobj(x, s, "validationContext");
	if (crl) {
		xs(x, xobj(x, vc, "crl"), "inlineBytes", xbytes_b64(x, G(crl, "data")));
		if (GB(crl, "onlyVerifyLeafCertificate"))
			xb(x, vc, "onlyVerifyLeafCertCrl", true);
	}
	xs(x, xobj(x, vc, "trustedCa"), "inlineBytes", xbytes_b64(x, G(ca, "certificate")));
	return s;
}

void xds_tls_secrets(xt *x, const egw_node *tls)
{
	const egw_node *c;
	EGW_ARR_EACH(G(tls, "certificates"), i, c) {
		if (G(c, "sds"))
			continue;
		xadd(x, EGW_XDS_SECRET, xds_secret_cert(x, c));
	}
	const egw_node *ca = G(tls, "caCertificate");
	if (ca)
		xadd(x, EGW_XDS_SECRET, secret_ca(x, ca, G(tls, "crl")));
}

/* ---- upstream ---- */

static egw_node *upstream_ctx(xt *x, const egw_node *tls, bool auto_sni)
{
	egw_node *ctx = xany(x, UP_MSG);
	egw_node *ctc = xobj(x, ctx, "commonTlsContext");
	if (egw_len(G(tls, "alpnProtocols")))
		xset(x, ctc, "alpnProtocols", xcopy(x, G(tls, "alpnProtocols")));
	const egw_node *ca = G(tls, "caCertificate");
	if (!GB(tls, "insecureSkipVerify") && ca) {
		egw_node *cvc = xobj(x, ctc, "combinedValidationContext");
		egw_node *dvc = xobj(x, cvc, "defaultValidationContext");
		egw_node *sans = G(tls, "subjectAltNames");
		if (egw_len(sans)) {
			egw_node *arr = xarr(x, dvc, "matchTypedSubjectAltNames");
			const egw_node *s;
			EGW_ARR_EACH(sans, i, s) {
				egw_node *e = xpush(x, arr, xo(x));
				const char *v;
				if ((v = GS(s, "hostname"))) {
					xs(x, xobj(x, e, "matcher"), "exact", v);
					xs(x, e, "sanType", "DNS");
				} else if ((v = GS(s, "uri"))) {
					xs(x, xobj(x, e, "matcher"), "exact", v);
					xs(x, e, "sanType", "URI");
				}
			}
		} else if (GS(tls, "sni")) {
			egw_node *e = xpush(x, xarr(x, dvc, "matchTypedSubjectAltNames"), xo(x));
			xs(x, xobj(x, e, "matcher"), "exact", GS(tls, "sni"));
			xs(x, e, "sanType", "DNS");
		}
		xset(x, cvc, "validationContextSdsSecretConfig", sds(x, GS(ca, "name")));
	}
	egw_node *certs = NULL;
	const egw_node *c;
	EGW_ARR_EACH(G(tls, "clientCertificates"), i, c) {
		if (!certs)
			certs = xarr(x, ctc, "tlsCertificateSdsSecretConfigs");
		xpush(x, certs, sds(x, GS(c, "name")));
	}
	xset(x, ctc, "tlsParams", xds_tls_params(x, tls));
	xs(x, ctx, "sni", GS(tls, "sni"));
	if (GB(tls, "autoSNIFromEndpointHostname"))
		xb(x, ctx, "autoHostSni", true);
	if ((auto_sni || GB(tls, "autoSNIFromEndpointHostname")) && !egw_len(G(tls, "subjectAltNames")) &&
	    !GB(tls, "insecureSkipVerify"))
		xb(x, ctx, "autoSniSanValidation", true);
	return ctx;
}

bool xds_cluster_auto_sni(const egw_node *settings)
{
	const egw_node *st;
	bool any = false;
	EGW_ARR_EACH(settings, i, st) {
		const egw_node *tls = G(st, "tls");
		if (!tls)
			continue;
		if (GS(tls, "sni") || GB(tls, "autoSNIFromEndpointHostname"))
			return false;
		any = true;
	}
	return any;
}

egw_node *xds_upstream_tls(xt *x, const egw_node *tls, const char *cluster, int idx, bool auto_sni)
{
	(void)cluster;
	(void)idx;
	egw_node *ts = xo(x);
	xs(x, ts, "name", TLS_SOCKET);
	xset(x, ts, "typedConfig", upstream_ctx(x, tls, auto_sni));
	return ts;
}

static egw_node *upstream_ca_secret(xt *x, const egw_node *tls)
{
	const egw_node *ca = G(tls, "caCertificate");
	egw_node *s = xo(x);
	xs(x, s, "name", GS(ca, "name"));
	egw_node *vc = xobj(x, s, "validationContext");
	if (GB(tls, "useSystemTrustStore"))
		xs(x, xobj(x, vc, "trustedCa"), "filename", "/etc/ssl/certs/ca-certificates.crt");
	else
		xs(x, xobj(x, vc, "trustedCa"), "inlineBytes", xbytes_b64(x, G(ca, "certificate")));
	return s;
}

static egw_node *proxy_protocol(xt *x, const egw_node *pp, egw_node *inner)
{
	egw_node *ts = xo(x);
	xs(x, ts, "name", "envoy.transport_sockets.upstream_proxy_protocol");
	egw_node *tc = xset(x, ts, "typedConfig",
			    xany(x, "envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport"));
	const char *v = GS(pp, "version");
	xs(x, xobj(x, tc, "config"), "version", v && !strcmp(v, "V1") ? "V1" : "V2");
	xset(x, tc, "transportSocket", inner);
	return ts;
}

void xds_cluster_tls(xt *x, egw_node *c, const cluster_args *ca)
{
	const egw_node *st;
	const egw_node *pp = G(ca->traffic, "proxyProtocol");
	egw_node *tsm = NULL;
	bool all_tls = egw_len(ca->settings) > 0;
	EGW_ARR_EACH(ca->settings, i, st) {
		const egw_node *tls = G(st, "tls");
		if (!tls) {
			all_tls = false;
			continue;
		}
		const egw_node *cac = G(tls, "caCertificate");
		if (cac && !xfind(x, EGW_XDS_SECRET, GS(cac, "name")))
			xadd(x, EGW_XDS_SECRET, upstream_ca_secret(x, tls));
		const egw_node *cc;
		EGW_ARR_EACH(G(tls, "clientCertificates"), k, cc)
			if (!xfind(x, EGW_XDS_SECRET, GS(cc, "name")))
				xadd(x, EGW_XDS_SECRET, xds_secret_cert(x, cc));
		if (!tsm)
			tsm = xa(x);
		const char *mn = name_tls_match(x, ca->name, (int)i);
		egw_node *m = xpush(x, tsm, xo(x));
		xs(x, xobj(x, m, "match"), "name", mn);
		xs(x, m, "name", mn);
		bool dyn = GB(st, "isDynamicResolver");
		egw_node *sock = xds_upstream_tls(x, tls, ca->name, (int)i, !dyn && xds_cluster_auto_sni(ca->settings));
		if (pp)
			sock = proxy_protocol(x, pp, sock);
		xset(x, m, "transportSocket", sock);
	}
	egw_node *base = NULL;
	const egw_node *st0 = egw_at(ca->settings, 0);
	if (tsm && GB(st0, "isDynamicResolver")) {
		/* a dynamic forward proxy has no endpoints to match: TLS applies to all */
		base = egw_get(egw_at(tsm, 0), "transportSocket");
		tsm = NULL;
	} else if (tsm && all_tls && ca->is_http) {
		base = xo(x);
		xs(x, base, "name", "dummy.transport_socket");
		egw_node *tc = xset(x, base, "typedConfig", xany(x, UP_MSG));
		xobj(x, tc, "commonTlsContext");
	} else if (pp) {
		base = xo(x);
		xs(x, base, "name", "envoy.transport_sockets.raw_buffer");
		xset(x, base, "typedConfig", xany(x, "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"));
	}
	if (base && pp)
		base = proxy_protocol(x, pp, base);
	if (base)
		xset(x, c, "transportSocket", base);
	if (tsm)
		xset(x, c, "transportSocketMatches", tsm);
}
