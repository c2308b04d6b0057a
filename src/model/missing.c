/* SPDX-License-Identifier: Apache-2.0 */
#include "missing.h"

#include <stdlib.h>
#include <string.h>

/* The address egctl gives Services that have no ClusterIP. */
#define STAND_IN_CLUSTER_IP "1.2.3.4"

static egw_node *new_object(egw_arena *a, const char *api_version, const char *kind,
			    const char *ns, const char *name)
{
	egw_node *o = egw_obj(a);
	egw_set_str(a, o, "apiVersion", api_version);
	egw_set_str(a, o, "kind", kind);
	egw_node *md = egw_set_obj(a, o, "metadata");
	egw_set_str(a, md, "name", name);
	if (ns)
		egw_set_str(a, md, "namespace", ns);
	return o;
}

static void add_namespaces(egw_ctx *c, egw_resources *rs)
{
	egw_map used;
	egw_map_init(&used, c->arena);
	for (int k = 0; k < EGW_K__COUNT; k++)
		for (size_t i = 0; i < rs->n[k]; i++)
			if (rs->items[k][i]->ns[0])
				egw_map_put(&used, rs->items[k][i]->ns, rs->items[k][i]);
	/* sorted so the added objects come out in one order whatever the input */
	size_t n = used.n;
	const char **names = egw_alloc(c->arena, (n ? n : 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		names[i] = used.entries[i].key;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		if (!egw_res_find(rs, EGW_K_NAMESPACE, "", names[i]))
			egw_resources_add(c, rs, new_object(c->arena, "v1", "Namespace", NULL, names[i]));
}

typedef struct port_ref {
	const char *protocol;
	int64_t port;
} port_ref;

/* Service backendRefs of one route kind: "ns/name" -> list of ports (ARR of {protocol, port}). */
static void collect_refs(egw_ctx *c, egw_resources *rs, egw_kind k, const char *protocol,
			 egw_map *need)
{
	egw_arena *a = c->arena;
	egw_object *o;
	EGW_RES_EACH(rs, k, i, o)
	{
		egw_node *rules = egw_path(o->node, "spec.rules"), *rule;
		EGW_ARR_EACH(rules, r, rule)
		{
			egw_node *refs = egw_get(rule, "backendRefs"), *ref;
			EGW_ARR_EACH(refs, j, ref)
			{
				const char *kind = egw_get_str(ref, "kind", "Service");
				const char *group = egw_get_str(ref, "group", "");
				const char *name = egw_get_str(ref, "name", NULL);
				int64_t port = egw_get_int(ref, "port", 0);
				if (strcmp(kind, "Service") || group[0] || !name || !port)
					continue;
				const char *ns = egw_get_str(ref, "namespace", o->ns);
				const char *key = egw_sprintf(a, "%s/%s", ns, name);
				egw_node *ports = egw_map_get(need, key);
				if (!ports) {
					ports = egw_arr(a);
					egw_map_put(need, key, ports);
				}
				bool seen = false;
				egw_node *p;
				EGW_ARR_EACH(ports, q, p)
				if (!strcmp(egw_get_str(p, "protocol", ""), protocol) &&
				    egw_get_int(p, "port", 0) == port)
					seen = true;
				if (!seen) {
					egw_node *p2 = egw_arr_push(a, ports, egw_obj(a));
					egw_set_str(a, p2, "name", egw_sprintf(a, "%s-%lld", protocol, (long long)port));
					egw_set_str(a, p2, "protocol", protocol);
					egw_set_int(a, p2, "port", port);
				}
			}
		}
	}
}

static int cmp_entry(const void *x, const void *y)
{
	return strcmp(((const egw_map_entry *)x)->key, ((const egw_map_entry *)y)->key);
}

static void add_services(egw_ctx *c, egw_resources *rs)
{
	egw_arena *a = c->arena;
	egw_map need;
	egw_map_init(&need, a);
	collect_refs(c, rs, EGW_K_TCPROUTE, "TCP", &need);
	collect_refs(c, rs, EGW_K_UDPROUTE, "UDP", &need);
	collect_refs(c, rs, EGW_K_TLSROUTE, "TCP", &need);
	collect_refs(c, rs, EGW_K_HTTPROUTE, "TCP", &need);
	collect_refs(c, rs, EGW_K_GRPCROUTE, "TCP", &need);
	egw_map_entry *es = egw_alloc(a, (need.n ? need.n : 1) * sizeof *es);
	if (need.n)
		memcpy(es, need.entries, need.n * sizeof *es);
	qsort(es, need.n, sizeof *es, cmp_entry);
	for (size_t i = 0; i < need.n; i++) {
		const char *slash = strchr(es[i].key, '/');
		const char *ns = egw_strndup(a, es[i].key, (size_t)(slash - es[i].key));
		const char *name = slash + 1;
		egw_node *ports = es[i].val;
		egw_object *svc = egw_res_find(rs, EGW_K_SERVICE, ns, name);
		if (!svc) {
			egw_node *o = new_object(a, "v1", "Service", ns, name);
			egw_node *spec = egw_set_obj(a, o, "spec");
			egw_set_str(a, spec, "clusterIP", STAND_IN_CLUSTER_IP);
			egw_obj_set(a, spec, "ports", ports);
			egw_resources_add(c, rs, o);
			continue;
		}
		egw_node *have = egw_arr_ensure(a, egw_obj_ensure(a, egw_object_writable(c, svc), "spec"),
						"ports");
		egw_node *p;
		EGW_ARR_EACH(ports, q, p)
		{
			bool found = false;
			egw_node *h;
			EGW_ARR_EACH(have, r, h)
			if (!strcmp(egw_get_str(h, "protocol", "TCP"), egw_get_str(p, "protocol", "")) &&
			    egw_get_int(h, "port", 0) == egw_get_int(p, "port", -1))
				found = true;
			if (!found)
				egw_arr_push(a, have, p);
		}
	}
}

void egw_resources_complete(egw_ctx *c, egw_resources *rs, bool add_missing)
{
	egw_arena *a = c->arena;
	if (add_missing) {
		egw_object *o;
		EGW_RES_EACH(rs, EGW_K_GATEWAYCLASS, i, o)
		{
			if (egw_get_str(egw_get(o->node, "spec"), "controllerName", "")[0])
				continue;
			egw_node *spec = egw_obj_ensure(a, egw_object_writable(c, o), "spec");
			egw_set_str(a, spec, "controllerName",
				    egw_get_str(egw_get(rs->config, "gateway"), "controllerName",
						"gateway.envoyproxy.io/gatewayclass-controller"));
		}
		EGW_RES_EACH(rs, EGW_K_SERVICE, i, o)
		{
			if (egw_get_str(egw_get(o->node, "spec"), "clusterIP", "")[0])
				continue;
			egw_node *spec = egw_obj_ensure(a, egw_object_writable(c, o), "spec");
			egw_set_str(a, spec, "clusterIP", STAND_IN_CLUSTER_IP);
		}
		add_services(c, rs);
	}
	add_namespaces(c, rs);
	egw_resources_sort(c, rs);
}
