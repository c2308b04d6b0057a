/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the xds stage: the translation state shared by its files and
 * small builders for Envoy's canonical JSON (Any, Duration, config sources).
 * The IR is read with case-insensitive keys (Envoy Gateway loads it with
 * Go's encoding/json), so every IR access goes through G().
 */
#ifndef EGW_XDS_INT_H
#define EGW_XDS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/buf.h"
#include "../util/map.h"
#include "xds.h"

typedef struct xt {
	egw_ctx *c;
	egw_arena *a;
	egw_xds_out *out;
	const egw_node *ir;
	egw_map idx[EGW_XDS_TYPE_COUNT]; /* name -> resource node */
	egw_map lst_addr;                /* "proto|addr|port" -> listener node */
	const egw_node *accesslog, *tracing, *metrics;
	bool name_v2;
	egw_buf err; /* accumulated errors, newline-joined */
	const egw_node *cur_hl; /* the HTTP listener being translated */
	/* hf_routes_with's answers for one listener, from one pass */
	struct hf_index *hfi;
	const egw_node *geo_hl; /* rbac.c: the geolocation fields hl's rules use */
	unsigned geo_used;
	egw_map backend_clusters; /* name -> IR backendClusters entry */
	/* jwt.c: each route's requirement name, by its IR jwt node's address,
	 * so the per-route config does not build the requirement again */
	egw_map jwt_names;
	bool jwt_names_init;
	/* cluster.c: the parts of a cluster that are the same in every
	 * cluster without settings of its own (EDS config source, default
	 * circuit breakers, default load-balancing policy), built once per
	 * fleet and frozen: thousands of clusters point at one copy */
	egw_node *eds_source, *default_cb, *default_lb;
	/* route.c: filter metadata that only names an object, by what it
	 * names: a route and its cluster share one frozen copy */
	egw_map md_memo;
} xt;

/* IR access: case-insensitive. */
#define G(n, k) egw_get_ci((n), (k))
const char *GS(const egw_node *n, const char *k); /* text or NULL */
int64_t GI(const egw_node *n, const char *k, int64_t def);
bool GB(const egw_node *n, const char *k);

/* Output builders. */
egw_node *xo(xt *x);                                     /* new {} */
egw_node *xa(xt *x);                                     /* new [] */
egw_node *xset(xt *x, egw_node *o, const char *k, egw_node *v);
egw_node *xs(xt *x, egw_node *o, const char *k, const char *s); /* skips NULL */
egw_node *xi(xt *x, egw_node *o, const char *k, int64_t v);
egw_node *xb(xt *x, egw_node *o, const char *k, bool v);
egw_node *xobj(xt *x, egw_node *o, const char *k);       /* ensure {} */
egw_node *xarr(xt *x, egw_node *o, const char *k);       /* ensure [] */
egw_node *xpush(xt *x, egw_node *arr, egw_node *v);
egw_node *xpush_s(xt *x, egw_node *arr, const char *s);
/* {"@type": "type.googleapis.com/<msg>"} */
egw_node *xany(xt *x, const char *msg);
/* {"name": name, "typedConfig": xany(msg)}; returns the typedConfig. */
egw_node *xtyped(xt *x, egw_node *parent_arr_or_obj, const char *name, const char *msg);
/* ADS config source; with_timeout adds initialFetchTimeout 0s. */
egw_node *xads(xt *x, bool with_timeout);
/* Copies an IR value (deep). */
egw_node *xcopy(xt *x, const egw_node *n);

/* Go duration text ("1h2m3.5s", "100ms") -> proto JSON ("3723.500s").
 * Returns NULL when n is absent or unparsable. */
const char *xdur(xt *x, const egw_node *n);
/* Seconds + nanos from a Go duration; false when unparsable. */
bool go_dur(const char *s, int64_t *secs, int32_t *nanos);
const char *dur_fmt(xt *x, int64_t secs, int32_t nanos);
/* IR []byte (array of ints, or base64 string) -> base64 text. */
const char *xbytes_b64(xt *x, const egw_node *n);
/* IR []byte -> raw text (decoded). */
const char *xbytes_raw(xt *x, const egw_node *n, size_t *len);
const char *b64enc(xt *x, const unsigned char *d, size_t n);

/* Resources. */
egw_node *xfind(xt *x, egw_xds_type t, const char *name);
void xadd(xt *x, egw_xds_type t, egw_node *res);
void xerr(xt *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Names (Names are API: every scheme decision lives in names.c). */
const char *name_vhost(xt *x, const char *listener, const char *host);

/* StringMatcher from an IR StringMatch ({exact|prefix|suffix|safeRegex|contains, distinct?}). */
egw_node *xstrmatch(xt *x, const egw_node *m);
/* HeaderMatcher list entry from an IR StringMatch with a name. */
egw_node *xheadermatch(xt *x, const egw_node *m);

/* Stages. */
void xds_ready_listener(xt *x, const egw_node *ready);
void xds_http_listeners(xt *x, const egw_node *arr);
void xds_tcp_listeners(xt *x, const egw_node *arr);
void xds_udp_listeners(xt *x, const egw_node *arr);
egw_node *xds_listener_find_addr(xt *x, const char *addr, int64_t port, bool udp);

/* Routes. */
egw_node *xds_route(xt *x, const egw_node *r, const egw_node *hl);

/* Clusters. */
typedef struct cluster_args {
	const char *name;
	const egw_node *settings; /* ARR of DestinationSetting */
	const egw_node *traffic;  /* route traffic (lb, hc, cb, timeout, ...) */
	const egw_node *http1;    /* listener http1 settings */
	const egw_node *http2;    /* route traffic http2 */
	const egw_node *route;    /* the IR route (for extra flags), or NULL */
	const egw_node *lb;       /* load balancer override, or NULL */
	bool is_http;
	bool static_eds_only;     /* mirrors/extra: always EDS */
	bool use_client_protocol;
	bool tcp_route;
	bool udp_route;
	bool force_static;        /* STATIC with inline load assignment */
	const egw_node *metadata; /* destination metadata */
	bool stream_timeout;      /* maxStreamDuration goes on the cluster (telemetry sinks) */
	bool service;             /* a service the proxy calls itself: hashing goes on the cluster */
	const char *stat_name;    /* the destination's statName: the cluster's altStatName */
} cluster_args;
void xds_cluster_add(xt *x, const cluster_args *ca);
/* Adds the shared cluster of IR backendClusters entry `name`. */
void xds_backend_cluster(xt *x, const char *name, const egw_node *hl);
egw_node *xds_cla(xt *x, const char *name, const egw_node *settings, const egw_node *lb, int64_t hc_port);
egw_node *xds_metadata(xt *x, const egw_node *md);
egw_node *xds_http2_options(xt *x, const egw_node *h2);
egw_node *xds_endpoint_addr(xt *x, const egw_node *ep);

/* TLS. */
egw_node *xds_downstream_tls(xt *x, const egw_node *tls, bool quic, bool overlaps);
void xds_tls_secrets(xt *x, const egw_node *tls);
egw_node *xds_upstream_tls(xt *x, const egw_node *tls, const char *cluster, int idx, bool auto_sni);
bool xds_cluster_auto_sni(const egw_node *settings);
egw_node *xds_secret_cert(xt *x, const egw_node *cert);
egw_node *xds_tls_params(xt *x, const egw_node *tls);

/* Access logs (listener-level and HCM-level). */
egw_node *xds_access_logs(xt *x, bool listener_level, int kind);
void xds_accesslog_clusters(xt *x);
enum { AL_HTTP = 0, AL_TCP = 1, AL_UDP = 2 };

/* HTTP filters: fills hcm.httpFilters for listener hl; per-route configs. */
void xds_http_filters(xt *x, egw_node *hcm, const egw_node *hl);
void xds_route_filters(xt *x, egw_node *xr, const egw_node *r);

/* Patches (EnvoyPatchPolicy). */
void xds_json_patches(xt *x, const egw_node *policies);

#endif
