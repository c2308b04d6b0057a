/* SPDX-License-Identifier: Apache-2.0 */
/*
 * More HTTP filters: late response header mutation, credential injection
 * (downstream per route, and upstream per backend), and the upstream HTTP
 * filters of clusters (admission control, credential injection).
 */
#include <string.h>

#include "httpfilters.h"

egw_node *xds_header_mutations(xt *x, const egw_node *add, const egw_node *remove, const egw_node *on_match);

/* ---- late header mutation ---- */

#define HMUT "envoy.filters.http.header_mutation"

static void hmut_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *h = G(hl, "headers");
	const egw_node *add = G(h, "lateAddResponseHeaders"), *rm = G(h, "lateRemoveResponseHeaders"),
		       *om = G(h, "lateRemoveResponseHeadersOnMatch");
	if ((!egw_len(add) && !egw_len(rm) && !egw_len(om)) || hf_has(hf, HMUT))
		return;
	egw_node *c = hf_add(x, hf, HMUT, "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation", false);
	xset(x, xobj(x, c, "mutations"), "responseMutations", xds_header_mutations(x, add, rm, om));
}
const hfilter hf_header_mutation = {hmut_hcm, NULL};

/* ---- credential injection ---- */

#define CRED "envoy.filters.http.credential_injector"

static const char *cred_secret_name(xt *x, const egw_node *ci)
{
	return egw_sprintf(x->a, "credential_injector/credential/%s", GS(ci, "name") ? GS(ci, "name") : "");
}

static void cred_secret(xt *x, const egw_node *ci)
{
	const char *sn = cred_secret_name(x, ci);
	if (xfind(x, EGW_XDS_SECRET, sn))
		return;
	egw_node *s = xo(x);
	{
		/* a DataSource must name its source: an absent credential is empty bytes */
		const char *b = xbytes_b64(x, G(ci, "credential"));
		xs(x, xobj(x, xobj(x, s, "genericSecret"), "secret"), "inlineBytes", b ? b : "");
	}
	xs(x, s, "name", sn);
	xadd(x, EGW_XDS_SECRET, s);
}

egw_node *xds_credential_filter(xt *x, egw_node *hf, const egw_node *ci, bool disabled)
{
	const char *name = egw_sprintf(x->a, "%s/%s", CRED, GS(ci, "name") ? GS(ci, "name") : "");
	egw_node *c = hf_add(x, hf, name, "envoy.extensions.filters.http.credential_injector.v3.CredentialInjector",
			     disabled);
	egw_node *cr = xobj(x, c, "credential");
	xs(x, cr, "name", "envoy.http.injected_credentials.generic");
	egw_node *g = xset(x, cr, "typedConfig", xany(x, "envoy.extensions.http.injected_credentials.generic.v3.Generic"));
	egw_node *sc = xobj(x, g, "credential");
	xs(x, sc, "name", cred_secret_name(x, ci));
	xset(x, sc, "sdsConfig", xads(x, true));
	xs(x, g, "header", GS(ci, "header"));
	if (GB(ci, "overwrite"))
		xb(x, c, "overwrite", true);
	cred_secret(x, ci);
	return c;
}

static void cred_hcm(xt *x, egw_node *hf, const egw_node *hl)
{
	const egw_node *r;
	EGW_ARR_EACH(hf_routes_with(x, hl, NULL, "credentialInjection"), i, r) {
		const egw_node *ci = G(r, "credentialInjection");
		const char *name = egw_sprintf(x->a, "%s/%s", CRED, GS(ci, "name") ? GS(ci, "name") : "");
		if (!hf_has(hf, name))
			xds_credential_filter(x, hf, ci, true);
	}
}

static void cred_route(xt *x, egw_node *xr, const egw_node *r)
{
	const egw_node *ci = G(r, "credentialInjection");
	if (ci)
		hf_route_enable(x, xr, egw_sprintf(x->a, "%s/%s", CRED, GS(ci, "name") ? GS(ci, "name") : ""));
}
const hfilter hf_credential = {cred_hcm, cred_route};

/* ---- upstream HTTP filters of a cluster ---- */

static egw_node *admission_control(xt *x, egw_node *hf, const egw_node *ac)
{
	egw_node *c = hf_add(x, hf, "envoy.filters.http.admission_control",
			     "envoy.extensions.filters.http.admission_control.v3.AdmissionControl", false);
	if (G(ac, "rejectionAggression"))
		xset(x, xobj(x, c, "aggression"), "defaultValue", xcopy(x, G(ac, "rejectionAggression")));
	xb(x, xobj(x, c, "enabled"), "defaultValue", true);
	if (G(ac, "maxRejectionPercent"))
		xset(x, xobj(x, xobj(x, c, "maxRejectionProbability"), "defaultValue"), "value",
		     xcopy(x, G(ac, "maxRejectionPercent")));
	if (G(ac, "minRequestRate"))
		xset(x, xobj(x, c, "rpsThreshold"), "defaultValue", xcopy(x, G(ac, "minRequestRate")));
	xs(x, c, "samplingWindow", xdur(x, G(ac, "samplingWindow")));
	if (G(ac, "minSuccessRate"))
		xset(x, xobj(x, xobj(x, c, "srThreshold"), "defaultValue"), "value", xcopy(x, G(ac, "minSuccessRate")));
	egw_node *sc = xobj(x, c, "successCriteria");
	const egw_node *crit = G(ac, "successCriteria");
	const egw_node *st;
	if (G(crit, "http")) {
		egw_node *arr = xarr(x, xobj(x, sc, "httpCriteria"), "httpSuccessStatus");
		EGW_ARR_EACH(G(G(crit, "http"), "statusCodes"), i, st) {
			int64_t v = 0;
			egw_node_int(st, &v);
			egw_node *o = xpush(x, arr, xo(x));
			xi(x, o, "end", v + 1);
			xi(x, o, "start", v);
		}
	}
	if (G(crit, "grpc")) {
		static const char *const codes[] = {"Ok", "Cancelled", "Unknown", "InvalidArgument", "DeadlineExceeded",
						    "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
						    "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
						    "Internal", "Unavailable", "DataLoss", "Unauthenticated"};
		egw_node *arr = xarr(x, xobj(x, sc, "grpcCriteria"), "grpcSuccessStatus");
		EGW_ARR_EACH(G(G(crit, "grpc"), "statusCodes"), i, st) {
			const char *s = egw_text(st);
			for (size_t k = 0; s && k < sizeof codes / sizeof codes[0]; k++)
				if (!strcmp(s, codes[k]))
					xpush(x, arr, egw_int(x->a, (int64_t)k));
		}
	}
	return c;
}

/* Returns the cluster's upstream httpFilters, or NULL when it needs none. */
egw_node *xds_upstream_filters(xt *x, const cluster_args *ca)
{
	egw_node *hf = xa(x);
	const egw_node *ac = G(ca->traffic, "admissionControl");
	if (ac && ca->is_http)
		admission_control(x, hf, ac);
	const egw_node *st;
	EGW_ARR_EACH(ca->settings, i, st) {
		const egw_node *ci = G(G(st, "filters"), "credentialInjection");
		if (ci && egw_len(ca->settings) == 1)
			xds_credential_filter(x, hf, ci, false);
	}
	if (!hf->n)
		return NULL;
	hf_add(x, hf, "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec",
	       "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec", false);
	return hf;
}
