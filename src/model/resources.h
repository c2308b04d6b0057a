/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resource set: every input object routed by apiVersion/kind, indexed
 * by namespace/name, and each kind sorted the way Envoy Gateway's provider
 * hands objects to its translator (creationTimestamp, then namespace, then
 * name; input order last), so results never depend on document order.
 */
#ifndef EGW_MODEL_RESOURCES_H
#define EGW_MODEL_RESOURCES_H

#include "../util/ctx.h"
#include "../util/map.h"
#include "../util/node.h"

typedef enum egw_kind {
	EGW_K_GATEWAYCLASS = 0,
	EGW_K_GATEWAY,
	EGW_K_LISTENERSET,
	EGW_K_HTTPROUTE,
	EGW_K_GRPCROUTE,
	EGW_K_TLSROUTE,
	EGW_K_TCPROUTE,
	EGW_K_UDPROUTE,
	EGW_K_REFERENCEGRANT,
	EGW_K_BACKENDTLSPOLICY,
	EGW_K_ENVOYPROXY,
	EGW_K_BACKENDTRAFFICPOLICY,
	EGW_K_CLIENTTRAFFICPOLICY,
	EGW_K_SECURITYPOLICY,
	EGW_K_ENVOYEXTENSIONPOLICY,
	EGW_K_ENVOYPATCHPOLICY,
	EGW_K_BACKEND,
	EGW_K_HTTPROUTEFILTER,
	EGW_K_SERVICE,
	EGW_K_ENDPOINTSLICE,
	EGW_K_SECRET,
	EGW_K_CONFIGMAP,
	EGW_K_NAMESPACE,
	EGW_K_SERVICEIMPORT,
	EGW_K_CLUSTERTRUSTBUNDLE,
	EGW_K_EXTENSION, /* kinds registered in extensionManager.resources / policyResources */
	EGW_K__COUNT
} egw_kind;

typedef struct egw_kind_info {
	egw_kind kind;
	const char *group;       /* "" for core */
	const char *name;        /* Kind */
	const char *out_key;     /* key in the translate output ("httpRoutes"), or NULL */
	bool namespaced;
} egw_kind_info;

const egw_kind_info *egw_kind_info_of(egw_kind k);

typedef struct egw_object {
	egw_node *node; /* the whole object as parsed (metadata.namespace filled in) */
	egw_kind kind;
	uint32_t seq;          /* position in the input (tie-break) */
	const char *api_version;
	const char *group;     /* API group of apiVersion ("" for v1) */
	const char *kind_name; /* the object's kind as written */
	const char *ns;        /* "" when cluster-scoped */
	const char *name;
	const char *created;   /* metadata.creationTimestamp or "" */
	/* created as a time, parsed once for the sorts (created_ok false when
	 * it is no RFC 3339 time) */
	int64_t created_sec;
	long created_nsec;
	bool created_ok;
	/* EXTENSION: an extension server policy (its kind is in
	 * extensionManager.policyResources, or it is shaped as a policy) */
	bool ext_policy;
	/* Set by the IR stage.  NULL: the object gets no status in the output. */
	egw_node *status;
	/* Output group key when it differs from the kind's (e.g.
	 * "envoyProxiesForGateways"); NULL = egw_kind_info.out_key. */
	const char *out_key;
	/* Free for the IR stage's use (per-object translation state). */
	void *user;
} egw_object;

typedef struct egw_resources {
	egw_object **items[EGW_K__COUNT];
	size_t n[EGW_K__COUNT];
	size_t cap[EGW_K__COUNT];
	egw_map index[EGW_K__COUNT]; /* "ns/name" -> egw_object*; EXTENSION: "group/kind/ns/name" */
	egw_node *config;            /* the EnvoyGateway object (defaults applied), never NULL */
	uint32_t next_seq;           /* input position of the next object added */
	bool unsorted[EGW_K__COUNT]; /* objects added or replaced since the last sort */
} egw_resources;

/* Builds the set from parsed documents (an ARR of document nodes):
 * expands `kind: List`, routes by apiVersion/kind (unknown kinds get a
 * diagnostic), fills defaults (namespace), rejects duplicates, sorts. */
void egw_resources_build(egw_ctx *c, egw_resources *rs, egw_node *docs, egw_node *config);

/* Adds one object (diagnostics as for input objects); returns it or NULL.
 * Call egw_resources_sort afterwards. */
egw_object *egw_resources_add(egw_ctx *c, egw_resources *rs, egw_node *doc);

/* The object's node, made the translation's own first when it is part of
 * shared parsed documents (EGW_NF_FROZEN): call it before changing o->node,
 * and before keeping pointers into it. */
egw_node *egw_object_writable(egw_ctx *c, egw_object *o);
void egw_resources_sort(egw_ctx *c, egw_resources *rs);

egw_object *egw_res_find(const egw_resources *rs, egw_kind k, const char *ns, const char *name);
egw_object *egw_res_find_ext(const egw_resources *rs, const char *group, const char *kind,
			     const char *ns, const char *name);

#define EGW_RES_EACH(rs, k, i, o) \
	for (size_t i = 0; i < (rs)->n[k] && ((o) = (rs)->items[k][i], 1); i++)

#endif
