/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IR stage's private state: one translator per egw_ir_translate call,
 * a context per accepted Gateway and per listener, helpers shared by the
 * stage's files.  Everything lives in the ctx arena; lookups go through
 * egw_map so nothing scans the resource set per route.
 */
#ifndef EGW_IR_INTERNAL_H
#define EGW_IR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/buf.h"
#include "../util/map.h"
#include "ir.h"

#define GW_GROUP "gateway.networking.k8s.io"
#define EG_GROUP "gateway.envoyproxy.io"

typedef struct ir_gw ir_gw;
typedef struct ir_tr ir_tr;

typedef enum { XL_NONE, XL_HTTP, XL_TCP, XL_UDP } xl_kind;

typedef struct ir_lis {
	ir_gw *gw;
	egw_node *spec;
	const char *name, *proto, *hostname; /* hostname NULL when unset */
	int64_t port;
	egw_node *st;    /* listener status object */
	egw_node *conds; /* its conditions */
	egw_node *kinds; /* supportedKinds */
	int64_t attached;
	const char *from; /* Same / All / Selector */
	egw_node *selector;
	bool ready;
	bool tls_passthrough;
	bool cert_invalid, cert_partial;
	bool spec_invalid;
	bool conflicted;
	xl_kind xk;
	egw_node *xl;    /* the IR listener, when ready */
	egw_node *tls;   /* IR TLS certificate list (ARR) or NULL */
	egw_object *lset; /* the ListenerSet it comes from, or NULL */
	egw_node *lset_st; /* status object in the ListenerSet's listeners list */
} ir_lis;

struct ir_gw {
	egw_object *o;
	const char *ns, *name, *irkey;
	egw_node *xds, *infra;
	ir_lis **ls;
	size_t nls, capls;
	egw_node *status, *conds, *lstat;
	egw_node *ep;  /* the effective EnvoyProxy node, or NULL */
	egw_object *epo; /* its object */
	bool ep_from_gw;
	bool merge_backends;
	egw_node *merge_cfg; /* the effective mergeBackends settings */
	bool routes_blocked; /* not accepted for its EnvoyProxy telemetry: no routes attach */
	bool accepted;
	int64_t attached_lsets;
};

struct ir_tr {
	egw_ctx *c;
	egw_arena *a;
	/* lookup structures and keys that die with the stage (indexes, sort
	 * buffers): freed before the xds stage runs, so never link them into
	 * the IR or a status */
	egw_arena *tmp;
	egw_map shared; /* ir_cs's nodes by text (the map in tmp, the nodes in a) */
	bool shared_init;
	egw_node *null_node; /* shared null (lastTransitionTime) */
	egw_resources *rs;
	egw_ir_out *out;
	const char *controller;   /* gateway.controllerName */
	const char *class_name;   /* the accepted GatewayClass */
	egw_object *gc;
	egw_node *gc_ep;          /* EnvoyProxy of the class */
	egw_object *gc_epo;
	const char *gc_ep_invalid; /* why the class's EnvoyProxy is unusable, or NULL */
	bool merge_gateways;
	bool backend_enabled;
	bool running_on_host;
	bool gateway_ns_mode;
	ir_gw **gws;
	size_t ngw, capgw;
	egw_map gw_by_name;      /* "ns/name" -> ir_gw */
	egw_map slices_by_svc;   /* "ns/svc" -> egw_node ARR of EndpointSlice nodes */
	egw_map backend_clusters; /* "irkey\ncluster" -> setting */
	egw_map xds_listeners;
	egw_node *cur_parent; /* the route parentRef being translated, as written */
	struct merge_idx *merge_idx;
	bool mcs_lookup; /* ir_service_endpoints reads ServiceImport slices */
	/* btls.c: BackendTLSPolicies by target ("ns\nkind\nname" -> list),
	 * built on first use (in tmp) */
	egw_map btls_by_target;
	bool btls_indexed;
	/* util.c: ReferenceGrants by namespace (ns -> egw_node ARR of their
	 * objects' nodes), built on first use (in tmp) */
	egw_map grants_by_ns;
	bool grants_indexed;
	bool svc_routing; /* the destination being built routes to the cluster IP */   /* "irkey\nlistenername" -> IR listener */
};

/* ---- status.c ---- */
/* Sets (replacing the same type) a condition in conds (ARR). */
void ir_cond(ir_tr *t, egw_node *conds, const char *type, bool status, const char *reason,
	     const char *msg);
egw_node *ir_cond_find(egw_node *conds, const char *type);
bool ir_cond_is(egw_node *conds, const char *type, bool status);
/* The route's parents entry for parent ref index i, created on first use. */
egw_node *ir_route_parent(ir_tr *t, egw_object *route, egw_node *pref);

/* Policy condition text: first letter capitalised, ending with a period. */
const char *ir_policy_msg(ir_tr *t, const char *m);
/* Sorts policy ancestors by reference and caps them at 16, adding the
 * Aggregated condition to the last one kept. */
void ir_ancestors_finish(ir_tr *t, egw_node *ancestors);

/* ---- util.c ---- */
bool ir_streq(const char *a, const char *b);
bool ir_flag(ir_tr *t, const char *flag);
egw_node *ir_ext_object(ir_tr *t, egw_object *eo);
bool ir_ext_registered(ir_tr *t, const char *list, const char *group, const char *kind);
const char *ir_str(const egw_node *obj, const char *key); /* NULL when absent */
egw_node *ir_s(ir_tr *t, const char *s);
/* One shared node per text for fields that repeat it thousands of times
 * (status conditions, metadata).  Safe because no stage changes a scalar
 * node in place: they replace it (egw_obj_set). */
egw_node *ir_cs(ir_tr *t, const char *s);
egw_node *ir_sf(ir_tr *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
egw_node *ir_meta(ir_tr *t, const char *kind, const char *ns, const char *name,
		  const char *section);
bool ir_refgrant_allows(ir_tr *t, const char *from_group, const char *from_kind,
			const char *from_ns, const char *to_group, const char *to_kind,
			const char *to_ns, const char *to_name);
bool ir_wildcard_match(const char *host, const char *wild);
/* Returns a sorted, deduplicated ARR of host strings (possibly empty). */
egw_node *ir_compute_hosts(ir_tr *t, egw_node *route_hosts, ir_lis *l);
bool ir_host_claimed_elsewhere(ir_lis *l, const char *h);
char *ir_underscore_dots(ir_tr *t, const char *s);
bool ir_parse_duration(const char *s, double *secs);
const char *ir_fmt_duration(ir_tr *t, double secs);
char *ir_b64_decode(ir_tr *t, const char *s, size_t *len);
const char *ir_b64_encode(ir_tr *t, const char *d, size_t n);
const char *ir_pem_normalize(ir_tr *t, const char *b64);
bool ir_regex_valid(const char *re);
char ir_regex_bad_op(const char *re);
bool ir_label_selector_matches(egw_node *sel, egw_node *labels);

/* ---- x509.c ---- */
/* Envoy Gateway's checks of a TLS Secret's tls.crt and tls.key (base64):
 * PEM, certificate shape and validity at the host's time, key format, and
 * that the key belongs to the leaf.  NULL when fine, else the error text. */
const char *ir_tls_secret_error(ir_tr *t, const char *ns, const char *name, const char *crt_b64,
				const char *key_b64);

/* A CA bundle (PEM text) with its expired or malformed certificates dropped
 * and the rest re-encoded; NULL when none is left.  *err: the dropped ones'
 * errors, one per line (NULL when none). */
const char *ir_ca_bundle(ir_tr *t, const char *pem, size_t n, const char **err);
/* A CRL (PEM text) that does not parse or is outside its validity window
 * at the host's time: the error text; NULL when fine. */
const char *ir_crl_error(ir_tr *t, const char *pem, size_t n);

/* ---- gateway.c ---- */
void ir_gateways(ir_tr *t);
void ir_listeners(ir_tr *t);
int64_t ir_container_port(ir_tr *t, ir_gw *g, int64_t port);

/* ---- overlap.c ---- */
void ir_overlapping_tls(ir_tr *t);

/* ---- envoyproxy.c ---- */
void ir_envoyproxy_ancestor(ir_tr *t, egw_object *ep, egw_node *ref);
egw_node *ir_envoyproxy_config(ir_tr *t, egw_object *ep, bool with_status);
void ir_access_log(ir_tr *t, egw_node *xds, egw_node *ep);
/* Lower-cases Go-style capitalised keys in the spec once; may replace
 * ep->node by a copy (shared parsed documents), so call it before keeping
 * pointers into the node. */
void ir_envoyproxy_normalize(ir_tr *t, egw_object *ep);
void ir_tracing(ir_tr *t, ir_gw *g);
/* What makes an EnvoyProxy unusable ("[problem, problem]"), or NULL. */
const char *ir_envoyproxy_invalid(ir_tr *t, egw_object *ep);
/* The EnvoyProxy's OpenTelemetry metric sinks, resolved to destinations in
 * the infra IR (proxy.resolvedMetricSinks). */
void ir_metric_sinks(ir_tr *t, ir_gw *g);
/* A health check log spec ({matches, sinks}) as the IR's health check
 * logger: which results are always logged, and the files. */
egw_node *ir_health_check_log(ir_tr *t, egw_node *spec);
void ir_metrics(ir_tr *t, egw_node *xds, egw_node *ep);
bool ir_telemetry_ok(ir_tr *t, ir_gw *g);

/* ---- btls.c ---- */
void ir_btls_init(ir_tr *t);
/* The client certificate a Backend's or EnvoyProxy's clientCertificateRef
 * names, added to tls.clientCertificates; or why it cannot be used (the
 * Secret must be in the owner's namespace and exist), as Envoy Gateway
 * words it. */
const char *ir_client_certificate(ir_tr *t, const char *owner_kind, egw_object *owner, egw_node *ref,
				  egw_node *tls);
egw_node *ir_backend_own_tls(ir_tr *t, egw_object *be, const char **err);
void ir_btls_finish(ir_tr *t);
/* Upstream TLS for a backend from its BackendTLSPolicy (NULL when none or
 * invalid; *route_err is set when the policy is invalid). */
egw_node *ir_btls_settings(ir_tr *t, const char *kind, const char *ns, const char *name,
			   const char *section, egw_node *ancestor, const char **route_err);
/* The BackendTLSPolicies in namespace ns with a targetRef of this kind and
 * name, each once, in resource order; *n is their count.  One pass indexes
 * them all, so a backend's lookup does not scan every policy. */
egw_object *const *ir_btls_targeting(ir_tr *t, const char *ns, const char *kind, const char *name,
				     size_t *n);

/* ---- merge.c ---- */
bool ir_merge_rule_unsafe(ir_tr *t, ir_gw *g, egw_object *route, const char *kind, egw_node *rule);
bool ir_merge_ref_ok(ir_tr *t, ir_gw *g, egw_node *bref, egw_node *ds, const char *backend_ns);
bool ir_merge_diverges(ir_tr *t, ir_lis *l, egw_object *route, const char *kind, const char *rule_name);
void ir_merge_apply(ir_tr *t, ir_gw *g, egw_node *dest, bool diverges);
/* Routes to Service cluster IPs rather than endpoints?  The most specific
 * BackendTrafficPolicy routingType (rule, route, listener `listener` of g
 * when not NULL, Gateway), else the EnvoyProxy's, else the host's default. */
bool ir_service_routing(ir_tr *t, ir_gw *g, egw_object *route, const char *kind, const char *rule,
			const char *listener, bool *diverges);

/* ---- route.c ---- */
void ir_routes(ir_tr *t);
void ir_sort_routes(ir_tr *t);

/* ---- backend.c ---- */
typedef struct ir_dest_err {
	const char *reason;
	const char *msg;
	bool no_endpoints;
} ir_dest_err;
/* Builds the destination setting for one backendRef; returns NULL and fills
 * err when the ref is invalid.  route_kind is "HTTPRoute" etc. */
egw_node *ir_backend_setting(ir_tr *t, egw_object *route, const char *route_kind,
			     egw_node *bref, const char *setting_name, ir_gw *g, ir_dest_err *err);
egw_node *ir_service_endpoints(ir_tr *t, const char *ns, const char *svc, egw_node *svcport,
			       const char **addr_type);
void ir_global_resources(ir_tr *t);
void ir_backends_status(ir_tr *t);

#endif
