/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libegw: Kubernetes Gateway API and Envoy Gateway resources in, xDS out.
 *
 * One pure function, egw_translate(), takes the resources a host has (as
 * YAML or JSON buffers) and returns an egw_result: per proxy fleet the xDS
 * resources (serialized protobuf, each with an xxh64 content hash, plus a
 * snapshot hash), the status of every input object, Envoy Gateway's
 * intermediate representation, and diagnostics with input, line and column
 * for everything rejected or skipped.  The library does no I/O and keeps no
 * global state: what it needs from the outside world (OIDC discovery, the
 * clock, extension servers) it asks for through callbacks in egw_options.
 *
 * Conventions (see docs/conventions.md):
 *  - Out-parameter first; functions return 0 or a negative egw_error.  The
 *    return code only says whether the call itself worked; problems in the
 *    input are data (statuses and diagnostics in the result).
 *  - Strings and blobs cross the ABI as egw_str views {data, len}.  Views
 *    returned by the library are NUL-terminated for convenience (the NUL is
 *    not counted in len) and borrowed from the egw_result: they live until
 *    egw_result_free().
 *  - Input buffers are only read during the egw_translate() call; nothing
 *    keeps a pointer to them afterwards.
 *  - Every *_free(NULL) is a no-op.  An egw_result may be read from many
 *    threads at once; distinct translations may run on distinct threads.
 */
#ifndef EGW_EGW_H
#define EGW_EGW_H

#include <stddef.h>
#include <stdint.h>

#include "egw/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(EGW_BUILDING) && defined(__GNUC__)
#define EGW_EXTERN __attribute__((visibility("default")))
#else
#define EGW_EXTERN
#endif

/** A borrowed string or blob: not necessarily NUL-terminated on input. */
typedef struct egw_str {
	const char *data;
	size_t len;
} egw_str;

/** Return codes.  Negative, so `if (rc < 0)` tests for failure. */
typedef enum egw_error {
	EGW_OK = 0,
	EGW_ERROR = -1,     /**< generic failure; see the result's diagnostics */
	EGW_ENOMEM = -2,    /**< an allocation failed; nothing was leaked */
	EGW_EINVAL = -3,    /**< a bad argument (NULL out-param, unknown option) */
	EGW_ELIMIT = -4,    /**< the input exceeds a limit in egw_limits */
	EGW_EPARSE = -5,    /**< no input buffer could be read at all */
	EGW_EHOOK = -6,     /**< an extension hook failed and fail-closed is set */
	EGW_ENOTFOUND = -7, /**< index or name out of range */
	EGW_EVERSION = -8,  /**< options struct version not supported */
	EGW_ECONFIG = -9,   /**< the EnvoyGateway configuration is unusable */
} egw_error;

/** Returns a static English description of an egw_error code. */
EGW_EXTERN const char *egw_strerror(int code);

/** Returns the library version string ("MAJOR.MINOR.PATCH"). */
EGW_EXTERN const char *egw_version(void);

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/** A host allocator.  All memory of a translation comes from it. */
typedef struct egw_allocator {
	void *(*malloc)(size_t size, void *ud);
	void (*free)(void *ptr, void *ud);
	void *ud;
} egw_allocator;

/** Which half of the pipeline the inputs feed. */
typedef enum egw_from {
	EGW_FROM_GATEWAY_API = 0, /**< Kubernetes resources (the normal case) */
	EGW_FROM_XDS_IR = 1,      /**< one Envoy Gateway xDS IR document */
} egw_from;

/** Limits on hostile input; 0 in a field means its default. */
typedef struct egw_limits {
	size_t max_input_bytes;   /**< per buffer; default 64 MiB */
	size_t max_documents;     /**< across all buffers; default 1,000,000 */
	size_t max_depth;         /**< nesting of one document; default 64 */
	size_t max_string_bytes;  /**< one scalar; default 4 MiB */
	size_t max_alias_nodes;   /**< nodes produced by YAML aliases; default 100,000 */
	size_t max_objects_per_kind; /**< default 1,000,000 */
} egw_limits;

/** Answer of a fetcher callback. */
typedef struct egw_fetch_response {
	int status;     /**< HTTP-like status; 0 = could not fetch */
	egw_str body;   /**< must stay valid until the fetcher is called again or egw_translate returns; the library copies it */
} egw_fetch_response;

/**
 * Asks the host to fetch a URL (OIDC issuer discovery, remote JWKS).  Return
 * 0 and fill *resp, or a negative value for "could not fetch".
 */
typedef int (*egw_fetch_fn)(void *ud, egw_str url, egw_fetch_response *resp);

/** Extension hook points (Envoy Gateway's extension server hooks). */
typedef enum egw_hook_point {
	EGW_HOOK_POST_ROUTE = 0,
	EGW_HOOK_POST_VIRTUAL_HOST = 1,
	EGW_HOOK_POST_HTTP_LISTENER = 2,
	EGW_HOOK_POST_CLUSTER = 3,
	EGW_HOOK_POST_TRANSLATE = 4,
	EGW_HOOK_POST_ENDPOINTS = 5, /**< each ClusterLoadAssignment of an HTTP route's destination */
	EGW_HOOK_POINT_COUNT = 6,
} egw_hook_point;

/**
 * An extension hook.  `resource` is the xDS resource in Envoy's canonical
 * JSON (for POST_TRANSLATE: {"clusters":[...],"secrets":[...],...}), and
 * `context` a JSON object with the hook's context (the extension resources
 * attached to the route, the IR name, ...).  To modify the resource, set
 * *out to new JSON (the library copies it before the next hook call; the
 * host keeps ownership).  Leave *out {NULL,0} to keep the resource.  Return
 * 0, or non-zero to fail (fail-open keeps the resource unchanged).
 *
 * Extension server policies (objects of the kinds in the configuration's
 * extensionManager.policyResources) are attached where their targetRef,
 * targetRefs or targetSelectors point and get Envoy Gateway's status: a
 * route or route rule's policies are POST_ROUTE's `extensionPolicies`, a
 * Gateway or listener's are POST_TRANSLATE's `extensionResources`.  With
 * an extension manager configured, an object of a kind nobody registered
 * whose spec names targets is taken as such a policy too (an info
 * diagnostic says so); without one it is ignored with a warning.
 */
typedef int (*egw_hook_fn)(void *ud, egw_hook_point point, egw_str resource,
			   egw_str context, egw_str *out);

/** Options of egw_translate().  Initialise with EGW_OPTIONS_INIT or
 * egw_options_init(); only fields are ever appended. */
typedef struct egw_options {
	unsigned version; /**< EGW_OPTIONS_VERSION */
	/** Allocator for everything; NULL = malloc/free.  With NULL, on
	 * Linux, a translation whose memory has grown past 4 MiB also takes
	 * 2 MiB blocks straight from mmap with transparent huge pages asked
	 * for (madvise), and gives them back before it returns or when the
	 * result is freed; an allocator given here is the only source of
	 * memory (pass malloc/free wrappers to opt out of huge pages). */
	const egw_allocator *allocator;
	/** Input kind of the buffers. */
	egw_from from;
	/** The EnvoyGateway configuration (YAML or JSON); empty = defaults. */
	egw_str config;
	/** Namespace the control plane runs in; data NULL = "envoy-gateway-system"
	 * (a non-NULL empty string means the empty namespace). */
	egw_str controller_namespace;
	/** Namespace given to namespaced objects that have none (egctl's -n);
	 * data NULL = keep them in the empty namespace, as written. */
	egw_str default_namespace;
	/** Namespace of the global rate limit service; data NULL = controller namespace. */
	egw_str ratelimit_namespace;
	/** DNS domain for Service FQDNs; data NULL = "cluster.local". */
	egw_str dns_domain;
	/** Runtime flags to enable (XDSNameSchemeV2, ...), in addition to the config's. */
	const egw_str *runtime_flags;
	size_t runtime_flags_len;
	/** Add a GatewayClass, and Namespaces, and EndpointSlices for Services
	 * with ClusterIPs, where the input lacks them (egctl --add-missing-resources). */
	int add_missing_resources;
	/** Non-zero: fill in the Gateway API and Envoy Gateway CRD defaults
	 * (listener allowedRoutes, parentRef group/kind, backendRef weight, ...)
	 * as the API server would; for objects read from files.  Objects from
	 * the API server already have them. */
	int crd_defaults;
	/** Non-zero: route to each Service's ClusterIP rather than its
	 * EndpointSlices unless an EnvoyProxy or BackendTrafficPolicy says
	 * otherwise (routingType); `egctl x translate` does this. */
	int service_routing;
	/** Unix time at which certificates must be valid (notBefore/notAfter);
	 * 0 = the host gave no clock: validity windows are not checked. */
	int64_t now_unix;
	egw_limits limits;
	egw_fetch_fn fetch;
	void *fetch_ud;
	/** Extension hooks, indexed by egw_hook_point; NULL entries are skipped. */
	egw_hook_fn hooks[EGW_HOOK_POINT_COUNT];
	void *hooks_ud;
	/** Non-zero: a failing hook keeps the resource (fail-open). */
	int hooks_fail_open;
} egw_options;

#define EGW_OPTIONS_VERSION 1
#ifdef __cplusplus
#define EGW_OPTIONS_INIT { EGW_OPTIONS_VERSION } /* prefer egw_options_init() in C++ */
#else
#define EGW_OPTIONS_INIT { .version = EGW_OPTIONS_VERSION } /* no -Wmissing-field-initializers */
#endif

/** Initialises *opts to the defaults for `version`; returns 0 or EGW_EVERSION. */
EGW_EXTERN int egw_options_init(egw_options *opts, unsigned version);

/** One input buffer: YAML (one or more documents) or JSON, `kind: List` too.
 * `name` is used in diagnostics (a file name, say); may be empty. */
typedef struct egw_input {
	egw_str name;
	egw_str data;
} egw_input;

/* ------------------------------------------------------------------ */
/* Translation                                                         */
/* ------------------------------------------------------------------ */

typedef struct egw_result egw_result;
typedef struct egw_fleet egw_fleet;

/**
 * Translates inputs[0..n) under opts (NULL = defaults) into *out.
 *
 * Returns 0 and sets *out, which the caller frees with egw_result_free(),
 * also when parts of the input were rejected (see the diagnostics).
 * Returns EGW_EINVAL (bad arguments), EGW_EVERSION, EGW_ENOMEM, EGW_ELIMIT,
 * EGW_ECONFIG (the config is unusable), EGW_EPARSE (no buffer held a single
 * readable document) or EGW_EHOOK (a fail-closed extension hook failed);
 * then *out is set to NULL, except for EGW_ELIMIT, EGW_EPARSE, EGW_ECONFIG
 * and EGW_EHOOK where *out holds a result whose diagnostics say why (and
 * must be freed).
 */
EGW_EXTERN int egw_translate(egw_result **out, const egw_input *inputs, size_t n,
			     const egw_options *opts);

/**
 * Parsed input that many translations can share.  A host that keeps its
 * objects and re-translates on every change parses once with egw_parse() and
 * calls egw_translate_documents() as often as it likes: each translation
 * reads the documents in place, without copying them, and never changes
 * them (an object a translation must complete, say with a default
 * namespace, is copied first), so several threads may translate from one
 * egw_documents at once.  A result made from documents holds a reference
 * to them: egw_documents_free() may come before egw_result_free(), and the
 * documents' memory goes with the last of them.  Parse diagnostics are
 * repeated in every result.
 *
 * With the system allocator (no egw_options.allocator when parsing and
 * translating), documents also keep the large memory blocks of the
 * results made from them once those are freed, up to as many as one
 * translation used at once, and the next translation takes them before
 * asking the system for fresh memory, which costs page faults.  So a host
 * that frees each result before (or soon after) making the next holds
 * about one translation's memory in the documents between changes; it
 * goes back to the system with the documents.
 */
typedef struct egw_documents egw_documents;

/**
 * Parses inputs[0..n) under opts' limits into *out (free with
 * egw_documents_free).  Returns 0 (also when some documents were rejected:
 * see the results' diagnostics), EGW_EINVAL, EGW_EVERSION or EGW_ENOMEM.  A
 * limit hit or unreadable input is reported by egw_translate_documents as
 * egw_translate would report it.
 */
EGW_EXTERN int egw_parse(egw_documents **out, const egw_input *inputs, size_t n,
			 const egw_options *opts);
/** Translates parsed documents; returns as egw_translate. */
EGW_EXTERN int egw_translate_documents(egw_result **out, const egw_documents *docs,
				       const egw_options *opts);
/** Number of documents parsed (after `kind: List` is not yet expanded). */
EGW_EXTERN size_t egw_documents_count(const egw_documents *docs);
EGW_EXTERN void egw_documents_free(egw_documents *docs);

/** Frees a result and everything borrowed from it. */
EGW_EXTERN void egw_result_free(egw_result *r);

/* ---- proxy fleets and xDS ---- */

/** xDS resource types, in the order Envoy's config dump lists them. */
typedef enum egw_xds_type {
	EGW_XDS_LISTENER = 0,
	EGW_XDS_ROUTE = 1,
	EGW_XDS_CLUSTER = 2,
	EGW_XDS_ENDPOINT = 3,
	EGW_XDS_SECRET = 4,
	EGW_XDS_TYPE_COUNT = 5,
} egw_xds_type;

/** One xDS resource (views borrowed from the result). */
typedef struct egw_resource {
	egw_str name;
	egw_str type_url;
	egw_str proto;    /**< serialized protobuf: the real bytes, never redacted */
	uint64_t version; /**< xxh64 of proto */
} egw_resource;

/** Number of proxy fleets (one per Gateway, or per class when merged). */
EGW_EXTERN size_t egw_result_fleet_count(const egw_result *r);
/** The i-th fleet in name order, or NULL. */
EGW_EXTERN const egw_fleet *egw_result_fleet(const egw_result *r, size_t i);
/** The fleet named `name` ("<namespace>/<gateway>" or the class name), or NULL. */
EGW_EXTERN const egw_fleet *egw_result_fleet_by_name(const egw_result *r, egw_str name);

EGW_EXTERN egw_str egw_fleet_name(const egw_fleet *f);
/** The snapshot version: xxh64 (seed 0) of one line per resource, types in
 * egw_xds_type order and names sorted within each, printf'd as
 * "%d/%s/%016llx\n" from the type, the name and the resource's version. */
EGW_EXTERN uint64_t egw_fleet_version(const egw_fleet *f);
/** The xds stage's error for this fleet ("" when it translated); the
 * resources translated before the error are still there. */
EGW_EXTERN egw_str egw_fleet_error(const egw_fleet *f);
EGW_EXTERN size_t egw_fleet_resource_count(const egw_fleet *f, egw_xds_type t);
/** Fills *out with the i-th resource of type t (sorted by name); 0 or EGW_ENOTFOUND. */
EGW_EXTERN int egw_fleet_resource(const egw_fleet *f, egw_xds_type t, size_t i,
				  egw_resource *out);

/** Rendering formats and flags. */
typedef enum egw_format {
	EGW_FORMAT_JSON = 0,        /**< pretty JSON, two-space indent */
	EGW_FORMAT_JSON_COMPACT = 1,
	EGW_FORMAT_YAML = 2,
	/** OR into a format to render xDS Secrets with their real bytes.
	 * Without it, private keys and other secret bytes in rendered Secrets
	 * read "[redacted]" (base64 "W3JlZGFjdGVkXQ==").  IR renderings are
	 * always redacted, as Envoy Gateway's are; the protobuf from
	 * egw_fleet_resource always has the real bytes. */
	EGW_FORMAT_SHOW_SECRETS = 0x100,
} egw_format;

/**
 * Renders a fleet's resources of the types in `type_mask` (bits 1<<egw_xds_type;
 * 0 = all) in Envoy's canonical JSON form (decoded from the protobuf the
 * fleet hands out: fields in field-number order, defaults omitted), as
 * {"listeners":[...],"routes":[...],"clusters":[...],"endpoints":[...],"secrets":[...]},
 * plus "envoyPatchPolicies" (each policy's status) when the IR had any.
 * Secret bytes are redacted unless fmt has EGW_FORMAT_SHOW_SECRETS.
 * *out is borrowed from the result.
 */
EGW_EXTERN int egw_fleet_render_xds(const egw_fleet *f, unsigned type_mask, egw_format fmt,
				    egw_str *out);
/** Renders the fleet's xDS IR / infra IR as Envoy Gateway dumps them. */
EGW_EXTERN int egw_fleet_render_xds_ir(const egw_fleet *f, egw_format fmt, egw_str *out);
EGW_EXTERN int egw_fleet_render_infra_ir(const egw_fleet *f, egw_format fmt, egw_str *out);

/**
 * Renders the global rate limit service configuration derived from the
 * fleet's IR (one document per rate limit domain; an empty list when the
 * fleet has no global rate limits).
 */
EGW_EXTERN int egw_fleet_render_ratelimit(const egw_fleet *f, egw_format fmt, egw_str *out);

/* ---- statuses ---- */

typedef struct egw_status {
	egw_str api_version;
	egw_str kind;
	egw_str namespace_;
	egw_str name;
	egw_str status_json; /**< the object's .status as compact JSON */
} egw_status;

/** Number of objects that carry a status (sorted by kind, namespace, name). */
EGW_EXTERN size_t egw_result_status_count(const egw_result *r);
/** The i-th status.  Its status_json is rendered at the first call for i
 * (under the result's lock, so any thread may ask); EGW_ENOMEM when that
 * rendering runs out of memory. */
EGW_EXTERN int egw_result_status(const egw_result *r, size_t i, egw_status *out);

/* ---- diagnostics ---- */

typedef enum egw_severity {
	EGW_SEV_ERROR = 0,   /**< the object (or document) was rejected */
	EGW_SEV_WARNING = 1, /**< something was ignored; the object was used */
	EGW_SEV_INFO = 2,
} egw_severity;

/** Diagnostic codes. */
typedef enum egw_diag_code {
	EGW_D_SYNTAX = 1,        /**< the document is not valid YAML/JSON */
	EGW_D_UNKNOWN_KIND = 2,  /**< apiVersion/kind not translated */
	EGW_D_UNKNOWN_FIELD = 3, /**< a field the schema does not have */
	EGW_D_TYPE = 4,          /**< a value of the wrong type */
	EGW_D_MISSING = 5,       /**< a required field is missing */
	EGW_D_LIMIT = 6,         /**< a limit was exceeded */
	EGW_D_DUPLICATE = 7,     /**< two objects with one kind/namespace/name */
	EGW_D_INVALID = 8,       /**< a value that is not valid for its field */
	EGW_D_REJECTED = 9,      /**< the translation rejected the object (see its status) */
	EGW_D_UNSUPPORTED = 10,  /**< a feature libegw does not translate yet */
	EGW_D_HOOK = 11,         /**< an extension hook failed */
} egw_diag_code;

typedef struct egw_diagnostic {
	egw_diag_code code;
	egw_severity severity;
	egw_str message;
	size_t input;   /**< index into the inputs of egw_translate (the config is
			     the index after the last input); SIZE_MAX when the
			     diagnostic concerns no input */
	egw_str input_name;
	unsigned line;  /**< 1-based; 0 = no position */
	unsigned column;
	egw_str kind;   /**< the object concerned, when there is one */
	egw_str namespace_;
	egw_str name;
} egw_diagnostic;

EGW_EXTERN size_t egw_result_diagnostic_count(const egw_result *r);
EGW_EXTERN int egw_result_diagnostic(const egw_result *r, size_t i, egw_diagnostic *out);

/* ---- whole-result renderings (what `egw translate` prints) ---- */

/** Parts of egw_result_render. */
enum {
	EGW_RENDER_GATEWAY_API = 1, /**< input objects grouped by kind, with status */
	EGW_RENDER_IR = 2,          /**< xdsIR and infraIR, keyed by fleet */
	EGW_RENDER_XDS = 4,         /**< per fleet an Envoy config dump */
	/** The input objects as EGW_RENDER_GATEWAY_API prints them, but the
	 * GatewayClass without its status: what `egctl x translate --to ir`
	 * prints beside the IR. */
	EGW_RENDER_RESOURCES = 8,
};

/** Bit of egw_result_render's `type_mask` selecting the proxy's bootstrap
 * (an Envoy BootstrapConfigDump); a type_mask of 0 selects it with the
 * endpoints, clusters, listeners and routes, as `egctl x translate -t all`. */
#define EGW_RENDER_BOOTSTRAP (1u << 5)

/**
 * Renders the parts in `parts` as one document with Envoy Gateway's
 * `egctl x translate` shape; `type_mask` restricts EGW_RENDER_XDS as in
 * egw_fleet_render_xds.  *out is borrowed from the result.
 */
EGW_EXTERN int egw_result_render(const egw_result *r, unsigned parts, unsigned type_mask,
				 egw_format fmt, egw_str *out);

/* ---- finishing Gateway conditions from infrastructure state ---- */

/** What the host's infrastructure knows about one Gateway's proxy. */
typedef struct egw_gateway_infra {
	egw_str namespace_;
	egw_str name;
	/** Addresses assigned to the proxy's Service (IPs or hostnames). */
	const egw_str *addresses;
	size_t addresses_len;
	/** Non-zero when at least one proxy replica is ready. */
	int ready;
} egw_gateway_infra;

/**
 * Completes a Gateway's status as Envoy Gateway's provider does from the
 * proxy's Service and Deployment: sets status.addresses and the Gateway's
 * Accepted=True (unless the translation set Accepted=False) and Programmed
 * (True when addresses are assigned and ready, else False with reason
 * AddressNotAssigned or NoResources).  Returns 0 or EGW_ENOTFOUND.
 */
EGW_EXTERN int egw_result_set_gateway_infra(egw_result *r, const egw_gateway_infra *infra);

#ifdef __cplusplus
}
#endif

#endif
