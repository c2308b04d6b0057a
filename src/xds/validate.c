/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of the generated resources, in the spirit of Envoy's PGV rules
 * that Envoy Gateway runs before publishing: an invalid resource is dropped
 * and the translation reports "validation failed for xds resource".
 */
#include <string.h>

#include "xds_int.h"

static bool addr_ok(const egw_node *addr)
{
	const egw_node *sa = egw_get(addr, "socketAddress");
	if (sa)
		return egw_get_str(sa, "address", "")[0] != 0;
	const egw_node *pipe = egw_get(addr, "pipe");
	if (pipe)
		return egw_get_str(pipe, "path", "")[0] != 0;
	return egw_get(addr, "envoyInternalAddress") != NULL;
}

static bool cla_ok_(const egw_node *cla)
{
	const egw_node *loc, *e;
	EGW_ARR_EACH(egw_get(cla, "endpoints"), i, loc)
		EGW_ARR_EACH(egw_get(loc, "lbEndpoints"), j, e)
			if (!addr_ok(egw_path(e, "endpoint.address")))
				return false;
	return true;
}

static bool chain_ok(const egw_node *fc)
{
	const egw_node *f;
	if (!fc)
		return true;
	EGW_ARR_EACH(egw_get(fc, "filters"), i, f) {
		if (!egw_get_str(f, "name", "")[0])
			return false;
		const egw_node *h;
		EGW_ARR_EACH(egw_path(f, "typedConfig.httpFilters"), j, h)
			if (!egw_get_str(h, "name", "")[0])
				return false;
	}
	return true;
}

/* Whether interned key k is the literal lit. */
#define KEY_IS(k, lit) egw_key_eq((k), (lit), sizeof(lit) - 1, egw_key_word((lit), sizeof(lit) - 1))

static const char tcp_proxy_type[] =
	"type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

/* Rules of Envoy's PGV annotations that generated trees can break, checked
 * anywhere in a resource: a gRPC service's Envoy cluster must be named, a
 * TCP proxy hash policy must say what to hash, a fault abort's HTTP status
 * must be in [200, 600).  n is an object or an array, reached through key
 * (NULL at the top).  The walk visits every object of every route
 * configuration, so a member is looked at once: its key is one word
 * compare against "@type", and only containers are descended into,
 * metadata excepted. */
static bool tree_ok(const egw_node *n, const char *key)
{
	if (n->kind == EGW_ARR) {
		for (size_t i = 0; i < n->n; i++) {
			const egw_node *it = n->c.items[i];
			if (it && (it->kind == EGW_ARR || it->kind == EGW_OBJ) && !tree_ok(it, key))
				return false;
		}
		return true;
	}
	if (key && KEY_IS(key, "envoyGrpc") && !egw_get_str(n, "clusterName", "")[0])
		return false;
	if (key && KEY_IS(key, "abort")) {
		int64_t st;
		const egw_node *hs = egw_get(n, "httpStatus");
		if (hs && (!egw_node_int(hs, &st) || st < 200 || st >= 600))
			return false;
	}
	for (size_t i = 0; i < n->n; i++) {
		const egw_member *m = &n->c.members[i];
		const egw_node *v = m->val;
		if (!v)
			continue;
		if (v->kind == EGW_STR && KEY_IS(m->key, "@type") && v->len == sizeof tcp_proxy_type - 1 &&
		    !memcmp(v->str, tcp_proxy_type, v->len)) {
			const egw_node *hp;
			EGW_ARR_EACH(egw_get(n, "hashPolicy"), j, hp)
				if (!egw_get(hp, "sourceIp") && !egw_get(hp, "filterState"))
					return false;
		}
		/* a Metadata message is data for filters, not configuration the
		 * rules are about (a fault "abort" key in a route's filter
		 * metadata is no fault abort); every route has one */
		if (v->kind == EGW_OBJ && KEY_IS(m->key, "metadata"))
			continue;
		if ((v->kind == EGW_ARR || v->kind == EGW_OBJ) && !tree_ok(v, m->key))
			return false;
	}
	return true;
}

static bool tree_ok_top(const egw_node *n)
{
	return !n || (n->kind != EGW_ARR && n->kind != EGW_OBJ) || tree_ok(n, NULL);
}

static bool listener_ok(xt *x, const egw_node *l)
{
	(void)x;
	if (!tree_ok_top(l))
		return false;
	const egw_node *fc;
	EGW_ARR_EACH(egw_get(l, "filterChains"), i, fc)
		if (!chain_ok(fc))
			return false;
	return addr_ok(egw_get(l, "address")) && chain_ok(egw_get(l, "defaultFilterChain"));
}

static bool cla_ok(xt *x, const egw_node *cla)
{
	(void)x;
	return cla_ok_(cla);
}

/* A cluster goes with its load assignment: inline, or the EDS one that was
 * dropped (still known by name in the index, mapped to NULL). */
static bool cluster_ok(xt *x, const egw_node *c)
{
	const egw_node *la = egw_get(c, "loadAssignment");
	if (la)
		return cla_ok_(la);
	const char *n = egw_get_str(c, "name", "");
	return !(egw_map_has(&x->idx[EGW_XDS_ENDPOINT], n) && !egw_map_get(&x->idx[EGW_XDS_ENDPOINT], n));
}

static bool route_config_ok(xt *x, const egw_node *rc)
{
	(void)x;
	return tree_ok_top(rc);
}

static void filter_type(xt *x, egw_xds_type t, bool (*ok)(xt *, const egw_node *))
{
	egw_node *arr = x->out->res[t];
	size_t w = 0;
	for (size_t i = 0; i < arr->n; i++) {
		egw_node *r = arr->c.items[i];
		if (ok(x, r)) {
			arr->c.items[w++] = r;
			continue;
		}
		xerr(x, "validation failed for xds resource %s", egw_xds_resource_name(t, r));
		egw_map_put(&x->idx[t], egw_xds_resource_name(t, r), NULL);
	}
	arr->n = w;
}

void xds_validate(xt *x)
{
	filter_type(x, EGW_XDS_LISTENER, listener_ok);
	filter_type(x, EGW_XDS_ROUTE, route_config_ok);
	filter_type(x, EGW_XDS_ENDPOINT, cla_ok);
	filter_type(x, EGW_XDS_CLUSTER, cluster_ok);
}
