/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Envoy Gateway's policy kinds in the IR stage (ClientTrafficPolicy,
 * BackendTrafficPolicy, SecurityPolicy, EnvoyExtensionPolicy,
 * EnvoyPatchPolicy, extension server policies).  policy.c holds what they
 * share: target resolution (targetRef, targetRefs, targetSelectors), the
 * index from a route object to its IR routes, per-policy ancestor status
 * (bounded, with the aggregated condition past 16 ancestors) and the
 * conflict/override bookkeeping; one file per kind does the rest.
 * Everything lives in the translation arena; every lookup goes through an
 * egw_map.
 */
#ifndef EGW_IR_POLICY_H
#define EGW_IR_POLICY_H

#include "internal.h"

/* One target of a policy, from targetRef/targetRefs/targetSelectors. */
typedef struct pol_target {
	const char *group, *kind, *name;
	const char *section; /* NULL when unset */
	const char *ns;      /* the target's namespace (the policy's unless a selector crossed namespaces) */
} pol_target;

/* One IR route (HTTP) or TCP/UDP route with the IR listener holding it. */
typedef struct pol_irroute {
	egw_node *route;
	egw_node *listener;
	const char *fleet;
	xl_kind xk;
} pol_irroute;

/* A route object as a policy target. */
typedef struct pol_route {
	egw_object *o;
	const char *kind;
	bool attached;
	egw_node *rules_attached; /* ARR of rule names, or NULL */
	pol_irroute *irs;
	size_t nirs, capirs;
} pol_route;

/* A Gateway as a policy target. */
typedef struct pol_gw {
	ir_gw *g;
	bool attached;
	egw_node *lis_attached; /* ARR of listener names, or NULL */
} pol_gw;

/* A ListenerSet (attached to a Gateway) as a policy target. */
typedef struct pol_ls {
	egw_object *o;
	ir_gw *g;
	ir_lis **ls;
	size_t nls, capls;
	bool attached;
	egw_node *lis_attached;
} pol_ls;

/* A policy being translated: its status under construction. */
typedef struct ir_pol {
	egw_object *o;
	const char *kind; /* "BackendTrafficPolicy" ... */
	egw_node *ancestors;
	egw_map amap; /* ancestor key -> ancestor node */
	bool deprecated_ref;
	const char *extra_warning; /* more deprecated fields ("spec.x is deprecated, use spec.y instead") */
	egw_node *deprecated;      /* ARR of further such messages (sorted when used) */
	egw_node *own;             /* the policy's own node while a merged spec is being built */
	const char *late_err; /* an error found while applying to one listener's routes */
	const char *target_kind; /* kind of the route being targeted (NULL for Gateway/ListenerSet targets) */
} ir_pol;

/* Shared state of the policy pass. */
typedef struct pol_ctx {
	ir_tr *t;
	egw_map routes;   /* "Kind/ns/name" -> pol_route (fresh per kind) */
	egw_map gws;      /* "ns/name" -> pol_gw (fresh per kind) */
	egw_map lsets;    /* "ns/name" -> pol_ls (fresh per kind) */
	egw_map irindex;  /* "Kind/ns/name" -> pol_route with IR routes (shared) */
	/* (gw ns/name, parent section) -> ARR of "ns/name" route keys */
	egw_map gw_routes;
	egw_map gw_routes_merged;
} pol_ctx;

/* ---- policy.c ---- */
void ir_policies(ir_tr *t);

void pol_init(pol_ctx *pc, ir_pol *p, egw_object *o, const char *kind);
/* Targets of the policy, selectors resolved against route objects (when
 * routes) or gateways. */
pol_target *pol_targets(pol_ctx *pc, egw_object *o, bool routes, size_t *n);
egw_node *pol_ancestor_ref(pol_ctx *pc, const char *ns, const char *name, const char *section);
void pol_cond(pol_ctx *pc, ir_pol *p, egw_node *ref, const char *type, bool status,
	      const char *reason, const char *msg);
void pol_accepted(pol_ctx *pc, ir_pol *p, egw_node *ref);
void pol_warning(pol_ctx *pc, ir_pol *p, egw_node *ref, const char *reason, const char *msg);
/* Notes a deprecated field: "<field> is deprecated, use <instead> instead". */
void pol_note_deprecated(ir_tr *t, ir_pol *p, const char *field, const char *instead);
/* The DeprecatedField warning (spec.targetRef, extra_warning) on ref. */
void pol_deprecated(pol_ctx *pc, ir_pol *p, egw_node *ref);
void pol_finish(pol_ctx *pc, ir_pol *p);
/* "x: y" -> "X: y." like Envoy Gateway's Error2ConditionMsg. */
const char *pol_err_msg(ir_tr *t, const char *m);

/* Per-kind target maps (reset before each kind). */
void pol_reset_targets(pol_ctx *pc);
pol_route *pol_find_route(pol_ctx *pc, const char *kind, const char *ns, const char *name);
pol_gw *pol_find_gw(pol_ctx *pc, const char *ns, const char *name);
pol_route *pol_irroutes(pol_ctx *pc, const char *kind, const char *ns, const char *name);
bool pol_route_has_rule(egw_object *route, const char *rule);
ir_lis *pol_find_listener(ir_gw *g, const char *name);
bool pol_str_in(egw_node *arr, const char *s);
void pol_str_add(ir_tr *t, egw_node **arr, const char *s);
/* Records route parentRefs into gw_routes and builds ancestor refs (ARR). */
egw_node *pol_route_ancestors(pol_ctx *pc, egw_map *gw_routes, pol_route *r);
const char *pol_route_override_msg(pol_ctx *pc, pol_route *r);
/* Resolve route / gateway targets, the way BTP/SP/EEP do (conflicts by
 * attachment).  Return NULL when the target does not exist; set *err_reason
 * and *err_msg on a resolve error. */
pol_route *pol_resolve_route(pol_ctx *pc, ir_pol *p, pol_target *tg, const char **err_reason,
			     const char **err_msg);
pol_gw *pol_resolve_gw(pol_ctx *pc, ir_pol *p, pol_target *tg, const char **err_reason,
		       const char **err_msg);

/* A destination for backendRefs of a policy (ext auth, ext proc, ...):
 * settings named <destname>/backend/<i>; *authority gets "name.ns:port". */
egw_node *pol_ext_destination(pol_ctx *pc, ir_pol *p, egw_node *brefs, const char *destname,
			      const char *route_kind, const char **authority, const char **err);

/* The namespace a policy's reference (valueRef, users) resolves in: the
 * policy's own, or the parent policy's for what a merge took from it
 * (marked with PARENT_NS_KEY, which needs no ReferenceGrant). */
#define PARENT_NS_KEY "@parentNamespace"
const char *pol_ref_ns(const ir_pol *p, const egw_node *ref);

/* A list keyed by name merged strategically: over's entries, then base's
 * whose name over lacks (contextExtensions). */
egw_node *pol_merge_by_name(ir_tr *t, egw_node *base, egw_node *over);

/* Copy with Go-style case-insensitive field names folded to lowerCamel. */
egw_node *pol_lc_keys(ir_tr *t, egw_node *n);

/* Cluster settings of a policy's service (backendSettings) as IR traffic. */
egw_node *pol_backend_settings(pol_ctx *pc, ir_pol *p, egw_node *bs, const char **err);

/* ---- kinds ---- */
void ir_policy_ctp(pol_ctx *pc);
void ir_policy_btp(pol_ctx *pc);
void ir_policy_security(pol_ctx *pc);
void ir_policy_eep(pol_ctx *pc);
void ir_policy_epp(pol_ctx *pc);
void ir_policy_ext(pol_ctx *pc);

/* Route-or-gateway policy driver shared by BTP, SecurityPolicy and EEP. */
typedef struct pol_kind_ops {
	egw_kind kind;
	const char *name;     /* "BackendTrafficPolicy" */
	const char *plural;   /* "backendTrafficPolicies" */
	const char *rule_plural; /* "backendTrafficPolicy" (route rule override message) */
	/* Builds the features; returns an error message or NULL. */
	const char *(*build)(pol_ctx *pc, ir_pol *p, void **feat);
	/* Applies to one IR route (only when not already set by a more specific one).
	 * err: the build error (or NULL). */
	void (*apply)(pol_ctx *pc, ir_pol *p, void *feat, const char *err, pol_irroute *ir);
	/* Whether the IR route already has this kind's features. */
	bool (*is_set)(pol_irroute *ir);
	bool mergeable;
	/* After building from a merged spec (optional): parent is the policy merged with. */
	void (*post_merge)(pol_ctx *pc, ir_pol *p, egw_object *parent, void *feat, bool strategic);
} pol_kind_ops;

void pol_drive(pol_ctx *pc, const pol_kind_ops *ops);

#endif
