/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HCM settings beyond the basics: request IDs, client IP detection, XFCC,
 * host normalization, scheme handling and early header mutations.
 */
#include <string.h>

#include "httpfilters.h"

egw_node *xds_headers_to_add(xt *x, const egw_node *hdrs);

static void request_id(xt *x, egw_node *hcm, const egw_node *hl)
{
	const char *rid = GS(G(hl, "headers"), "requestID");
	if (rid) {
		if (!strcmp(rid, "Generate"))
			xb(x, hcm, "generateRequestId", true);
		else if (!strcmp(rid, "Preserve")) {
			xb(x, hcm, "generateRequestId", false);
			xb(x, hcm, "preserveExternalRequestId", true);
		} else if (!strcmp(rid, "PreserveOrGenerate")) {
			xb(x, hcm, "generateRequestId", true);
			xb(x, hcm, "preserveExternalRequestId", true);
		} else if (!strcmp(rid, "Disable"))
			xb(x, hcm, "generateRequestId", false);
	}
	const char *ext = GS(hl, "requestID");
	if (ext && strcmp(ext, "PackAndSample")) {
		bool pack = !strcmp(ext, "Pack") || !strcmp(ext, "PackAndSample");
		bool sample = !strcmp(ext, "Sample") || !strcmp(ext, "PackAndSample");
		egw_node *tc = xset(x, xobj(x, hcm, "requestIdExtension"), "typedConfig",
				    xany(x, "envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig"));
		xb(x, tc, "packTraceReason", pack);
		xb(x, tc, "useRequestIdForTraceSampling", sample);
	}
}

static void client_ip(xt *x, egw_node *hcm, const egw_node *hl)
{
	const egw_node *cid = G(hl, "clientIPDetection");
	const egw_node *xff = G(cid, "xForwardedFor");
	const egw_node *ch = G(cid, "customHeader");
	if (!xff && !ch)
		return;
	egw_node *arr = xarr(x, hcm, "originalIpDetectionExtensions");
	if (ch) {
		egw_node *tc = xtyped(x, arr, "envoy.extensions.http.original_ip_detection.custom_header",
				      "envoy.extensions.http.original_ip_detection.custom_header.v3.CustomHeaderConfig");
		xb(x, tc, "allowExtensionToSetAddressAsTrusted", true);
		xs(x, tc, "headerName", GS(ch, "name"));
		if (GB(ch, "failClosed"))
			xs(x, xobj(x, tc, "rejectWithStatus"), "code", "Forbidden");
	} else {
		egw_node *tc = xtyped(x, arr, "envoy.extensions.http.original_ip_detection.xff",
				      "envoy.extensions.http.original_ip_detection.xff.v3.XffConfig");
		xb(x, tc, "skipXffAppend", GB(xff, "disableXForwardedForAppend"));
		const egw_node *cidrs = G(xff, "trustedCidrs");
		if (egw_len(cidrs)) {
			egw_node *ca = xarr(x, xobj(x, tc, "xffTrustedCidrs"), "cidrs");
			const egw_node *c;
			EGW_ARR_EACH(cidrs, i, c) {
				const char *s = egw_text(c);
				const char *sl = s ? strchr(s, '/') : NULL;
				egw_node *o = xpush(x, ca, xo(x));
				xs(x, o, "addressPrefix", sl ? egw_strndup(x->a, s, (size_t)(sl - s)) : s);
				int64_t pl = 32;
				if (sl) {
					egw_node *tmp = egw_nstr(x->a, sl + 1);
					egw_node_int(tmp, &pl);
				}
				xi(x, o, "prefixLen", pl);
			}
		} else if (G(xff, "numTrustedHops")) {
			int64_t n = GI(xff, "numTrustedHops", 0);
			if (n > 0)
				xi(x, tc, "xffNumTrustedHops", n - 1);
		}
	}
	xb(x, hcm, "useRemoteAddress", false);
}

static void xfcc(xt *x, egw_node *hcm, const egw_node *hl)
{
	const egw_node *xf = G(G(hl, "headers"), "xForwardedClientCert");
	const char *mode = GS(xf, "mode");
	if (!mode)
		return;
	static const struct {
		const char *ir, *envoy;
	} modes[] = {
		{"Sanitize", NULL},
		{"ForwardOnly", "FORWARD_ONLY"},
		{"AppendForward", "APPEND_FORWARD"},
		{"SanitizeSet", "SANITIZE_SET"},
		{"AlwaysForwardOnly", "ALWAYS_FORWARD_ONLY"},
	};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(mode, modes[i].ir) && modes[i].envoy)
			xs(x, hcm, "forwardClientCertDetails", modes[i].envoy);
	if (strcmp(mode, "AppendForward") && strcmp(mode, "SanitizeSet"))
		return;
	const egw_node *d;
	EGW_ARR_EACH(G(xf, "certDetailsToAdd"), i, d) {
		const char *s = egw_text(d);
		if (!s)
			continue;
		egw_node *sc = xobj(x, hcm, "setCurrentClientCertDetails");
		if (!strcmp(s, "Subject"))
			xb(x, sc, "subject", true);
		else if (!strcmp(s, "Cert"))
			xb(x, sc, "cert", true);
		else if (!strcmp(s, "Chain"))
			xb(x, sc, "chain", true);
		else if (!strcmp(s, "DNS"))
			xb(x, sc, "dns", true);
		else if (!strcmp(s, "URI"))
			xb(x, sc, "uri", true);
	}
}

/* Header mutations (early: HCM extension; late: the header_mutation filter). */
egw_node *xds_header_mutations(xt *x, const egw_node *add, const egw_node *remove, const egw_node *on_match)
{
	egw_node *muts = xa(x);
	egw_node *opts = xds_headers_to_add(x, add);
	egw_node *o;
	EGW_ARR_EACH(opts, i, o)
		xset(x, xpush(x, muts, xo(x)), "append", o);
	const egw_node *r;
	EGW_ARR_EACH(remove, i, r)
		xs(x, xpush(x, muts, xo(x)), "remove", egw_text(r));
	EGW_ARR_EACH(on_match, i, r)
		xset(x, xobj(x, xpush(x, muts, xo(x)), "removeOnMatch"), "keyMatcher", xstrmatch(x, r));
	return muts;
}

static void early_mutation(xt *x, egw_node *hcm, const egw_node *hl)
{
	const egw_node *h = G(hl, "headers");
	const egw_node *add = G(h, "earlyAddRequestHeaders"), *rm = G(h, "earlyRemoveRequestHeaders"),
		       *om = G(h, "earlyRemoveRequestHeadersOnMatch");
	if (!egw_len(add) && !egw_len(rm) && !egw_len(om))
		return;
	egw_node *tc = xtyped(x, xarr(x, hcm, "earlyHeaderMutationExtensions"),
			      "envoy.http.early_header_mutation.header_mutation",
			      "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation");
	xset(x, tc, "mutations", xds_header_mutations(x, add, rm, om));
}

void xds_hcm_extras(xt *x, egw_node *hcm, const egw_node *hl)
{
	request_id(x, hcm, hl);
	client_ip(x, hcm, hl);
	xfcc(x, hcm, hl);
	early_mutation(x, hcm, hl);
	if (GB(G(hl, "host"), "stripTrailingHostDot"))
		xb(x, hcm, "stripTrailingHostDot", true);
	if (GB(hl, "matchBackendScheme"))
		xb(x, xobj(x, hcm, "schemeHeaderTransformation"), "matchUpstream", true);
	if (GB(G(hl, "headers"), "preserveXRequestID"))
		xb(x, hcm, "preserveExternalRequestId", true);
}
