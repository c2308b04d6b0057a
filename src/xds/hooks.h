/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extension hooks: the host's egw_options.hooks called where Envoy Gateway's
 * translator calls its extension server (internal/xds/translator/extension.go).
 * Each call site is one line in the xds file that builds the resource:
 *
 *   PostRouteModify        per route with extensionRefs or extension policies
 *   PostClusterModify      per route with extensionRefs, on its destination
 *                          cluster (custom backends; the host picks its kinds)
 *   PostVirtualHostModify  per virtual host, once its routes are in
 *   PostHTTPListenerModify per IR listener (HTTP, TCP, UDP), with its policies
 *   PostTranslateModify    once, with clusters, secrets, listeners and routes
 *   PostEndpointsModify    per load assignment of an HTTP route destination,
 *                          once egw_hook_point has the point (see hooks.c)
 *
 * The resource goes out as canonical JSON; a reply replaces it (in place, so
 * every reference to the node sees the new one).  A failing hook, or a reply
 * that is not a JSON object, keeps the resource: with hooks_fail_open that is
 * a warning (EGW_D_HOOK), without it an error that fails the fleet with the
 * hook's text.  With no hook set every function here returns at once.
 */
#ifndef EGW_XDS_HOOKS_H
#define EGW_XDS_HOOKS_H

#include "xds_int.h"

/* xr: the Route built for IR route r, inside virtual host vh. */
void xds_hook_route(xt *x, egw_node *xr, const egw_node *vh, const egw_node *r);
/* The destination cluster of IR route r (after route_clusters added it). */
void xds_hook_route_cluster(xt *x, const egw_node *r);
/* vlist: ARR of the virtual hosts of one route configuration. */
void xds_hook_vhosts(xt *x, egw_node *vlist);
/* l: the xDS listener IR listener irl went into. */
void xds_hook_listener(xt *x, egw_node *l, const egw_node *irl);
/* Once, after every other resource was built and validated (Envoy Gateway
 * does not validate what the extension returns): PostEndpointsModify, then
 * PostTranslateModify. */
void xds_hook_translate(xt *x);

#endif
