/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The xds stage's entry points: the order of work follows Envoy Gateway's
 * translator (ready listener, HTTP, TCP, UDP listeners, patches, access log
 * and tracing clusters, then validation).
 */
#include <string.h>

#include "xds_int.h"
#include "hooks.h"

const char *const egw_xds_type_msg[EGW_XDS_TYPE_COUNT] = {
	"envoy.config.listener.v3.Listener",
	"envoy.config.route.v3.RouteConfiguration",
	"envoy.config.cluster.v3.Cluster",
	"envoy.config.endpoint.v3.ClusterLoadAssignment",
	"envoy.extensions.transport_sockets.tls.v3.Secret",
};

const char *const egw_xds_type_key[EGW_XDS_TYPE_COUNT] = {
	"listeners", "routes", "clusters", "endpoints", "secrets",
};

const char *egw_xds_resource_name(egw_xds_type t, const egw_node *res)
{
	return egw_get_str(res, t == EGW_XDS_ENDPOINT ? "clusterName" : "name", "");
}

void xds_tracing_cluster(xt *x);
void xds_validate(xt *x);
void xds_global_resources(xt *x);

int egw_xds_translate(egw_ctx *c, const egw_node *ir, egw_xds_out *out)
{
	xt X;
	xt *x = &X;
	memset(x, 0, sizeof *x);
	x->c = c;
	x->a = c->arena;
	x->out = out;
	x->ir = ir;
	egw_buf_init(&x->err, c->arena);
	for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++) {
		out->res[t] = egw_arr(c->arena);
		egw_map_init(&x->idx[t], c->arena);
	}
	egw_map_init(&x->lst_addr, c->arena);
	egw_map_init(&x->backend_clusters, c->arena);
	egw_map_init(&x->md_memo, c->arena);
	const egw_node *bc;
	EGW_ARR_EACH(G(ir, "backendClusters"), i, bc)
		if (GS(bc, "name"))
			egw_map_put(&x->backend_clusters, GS(bc, "name"), (void *)bc);
	x->accesslog = G(ir, "accessLog");
	x->tracing = G(ir, "tracing");
	x->metrics = G(ir, "metrics");
	x->name_v2 = egw_runtime_flag(c, "XDSNameSchemeV2");

	if (G(ir, "readyListener"))
		xds_ready_listener(x, G(ir, "readyListener"));
	xds_http_listeners(x, G(ir, "http"));
	xds_tcp_listeners(x, G(ir, "tcp"));
	xds_udp_listeners(x, G(ir, "udp"));
	xds_json_patches(x, G(ir, "envoyPatchPolicies"));
	xds_accesslog_clusters(x);
	xds_tracing_cluster(x);
	xds_validate(x);
	xds_hook_translate(x);

	if (x->err.len) {
		out->error = egw_buf_str(&x->err);
		return -1;
	}
	return 0;
}
