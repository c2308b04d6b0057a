/* SPDX-License-Identifier: Apache-2.0 */
#include "resources.h"

#include "../util/civil.h"
#include "../util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW "gateway.networking.k8s.io"
#define EG "gateway.envoyproxy.io"

static const egw_kind_info kinds[EGW_K__COUNT] = {
	{ EGW_K_GATEWAYCLASS, GW, "GatewayClass", "gatewayClass", false },
	{ EGW_K_GATEWAY, GW, "Gateway", "gateways", true },
	{ EGW_K_LISTENERSET, GW, "ListenerSet", "listenerSets", true },
	{ EGW_K_HTTPROUTE, GW, "HTTPRoute", "httpRoutes", true },
	{ EGW_K_GRPCROUTE, GW, "GRPCRoute", "grpcRoutes", true },
	{ EGW_K_TLSROUTE, GW, "TLSRoute", "tlsRoutes", true },
	{ EGW_K_TCPROUTE, GW, "TCPRoute", "tcpRoutes", true },
	{ EGW_K_UDPROUTE, GW, "UDPRoute", "udpRoutes", true },
	{ EGW_K_REFERENCEGRANT, GW, "ReferenceGrant", "referenceGrants", true },
	{ EGW_K_BACKENDTLSPOLICY, GW, "BackendTLSPolicy", "backendTLSPolicies", true },
	{ EGW_K_ENVOYPROXY, EG, "EnvoyProxy", NULL, true },
	{ EGW_K_BACKENDTRAFFICPOLICY, EG, "BackendTrafficPolicy", "backendTrafficPolicies", true },
	{ EGW_K_CLIENTTRAFFICPOLICY, EG, "ClientTrafficPolicy", "clientTrafficPolicies", true },
	{ EGW_K_SECURITYPOLICY, EG, "SecurityPolicy", "securityPolicies", true },
	{ EGW_K_ENVOYEXTENSIONPOLICY, EG, "EnvoyExtensionPolicy", "envoyExtensionPolicies", true },
	{ EGW_K_ENVOYPATCHPOLICY, EG, "EnvoyPatchPolicy", "envoyPatchPolicies", true },
	{ EGW_K_BACKEND, EG, "Backend", "backends", true },
	{ EGW_K_HTTPROUTEFILTER, EG, "HTTPRouteFilter", "httpFilters", true },
	{ EGW_K_SERVICE, "", "Service", "services", true },
	{ EGW_K_ENDPOINTSLICE, "discovery.k8s.io", "EndpointSlice", "endpointSlices", true },
	{ EGW_K_SECRET, "", "Secret", "secrets", true },
	{ EGW_K_CONFIGMAP, "", "ConfigMap", "configMaps", true },
	{ EGW_K_NAMESPACE, "", "Namespace", "namespaces", false },
	{ EGW_K_SERVICEIMPORT, "multicluster.x-k8s.io", "ServiceImport", "serviceImports", true },
	{ EGW_K_CLUSTERTRUSTBUNDLE, "certificates.k8s.io", "ClusterTrustBundle",
	  "clusterTrustBundles", false },
	{ EGW_K_EXTENSION, "", "", "extensionServerPolicies", true },
};

const egw_kind_info *egw_kind_info_of(egw_kind k)
{
	return (unsigned)k < EGW_K__COUNT ? &kinds[k] : NULL;
}

static void split_api_version(egw_arena *a, const char *av, const char **group)
{
	const char *slash = strrchr(av, '/');
	*group = slash ? egw_strndup(a, av, (size_t)(slash - av)) : "";
}

/* Whether group/kind is listed in extensionManager.<list> of the config. */
static bool ext_listed(const egw_node *config, const char *list, const char *group, const char *kind)
{
	const egw_node *it;
	EGW_ARR_EACH(egw_get(egw_get(config, "extensionManager"), list), i, it)
	{
		if (!strcmp(egw_get_str(it, "group", ""), group) && !strcmp(egw_get_str(it, "kind", ""), kind))
			return true;
	}
	return false;
}

static bool ext_registered(const egw_node *config, const char *group, const char *kind)
{
	return ext_listed(config, "resources", group, kind) ||
	       ext_listed(config, "policyResources", group, kind) ||
	       ext_listed(config, "backendResources", group, kind);
}

/* An object of a kind nobody registered that is shaped as a policy (its
 * spec names targets) while an extension manager is configured: taken as
 * an extension server policy, as if its kind were in policyResources. */
static bool policy_shaped(const egw_node *config, const egw_node *doc)
{
	if (!egw_get(config, "extensionManager"))
		return false;
	const egw_node *spec = egw_get(doc, "spec");
	return egw_get(spec, "targetRef") || egw_get(spec, "targetRefs") || egw_get(spec, "targetSelectors");
}

static egw_object *add_object(egw_ctx *c, egw_resources *rs, egw_node *doc, uint32_t *seq);

static int cmp_created(const char *a, const char *b);
static void set_created(egw_object *o, const char *ts);

/* The object as compact JSON with every object's keys sorted: equal for
 * equal content, whatever the key order or position. */
static const char *canonical(egw_arena *a, const egw_node *n)
{
	egw_node *copy = egw_clone(a, n);
	egw_obj_sort(copy, true);
	return egw_to_json(a, copy, false);
}

static void add_doc(egw_ctx *c, egw_resources *rs, egw_node *doc, uint32_t *seq, int depth)
{
	if (doc->kind != EGW_OBJ) {
		egw_diag(c, EGW_D_TYPE, EGW_SEV_ERROR, doc, NULL,
			 "a document must be an object with apiVersion and kind");
		return;
	}
	const char *kind = egw_get_str(doc, "kind", NULL);
	if (kind && !strcmp(kind, "List") && depth == 0) {
		const egw_node *items = egw_get(doc, "items");
		egw_node *it;
		EGW_ARR_EACH(items, i, it)
		add_doc(c, rs, it, seq, depth + 1);
		return;
	}
	add_object(c, rs, doc, seq);
}

static egw_object *add_object(egw_ctx *c, egw_resources *rs, egw_node *doc, uint32_t *seq)
{
	egw_arena *a = c->arena;
	const char *av = egw_text(egw_get(doc, "apiVersion"));
	const char *kind = egw_text(egw_get(doc, "kind"));
	if (!av || !kind || !*av || !*kind) {
		egw_diag(c, EGW_D_MISSING, EGW_SEV_ERROR, doc, NULL,
			 "object has no %s; skipped", !av || !*av ? "apiVersion" : "kind");
		return NULL;
	}
	egw_node *md = egw_get(doc, "metadata");
	const char *name = egw_text(egw_get(md, "name"));
	if (!md || md->kind != EGW_OBJ) {
		egw_diag(c, EGW_D_MISSING, EGW_SEV_ERROR, doc, doc, "%s has no metadata.name; skipped", kind);
		return NULL;
	}
	const char *group;
	split_api_version(a, av, &group);
	egw_kind k = EGW_K__COUNT;
	for (int i = 0; i < EGW_K_EXTENSION; i++) {
		if (!strcmp(kinds[i].name, kind) && !strcmp(kinds[i].group, group)) {
			k = (egw_kind)i;
			break;
		}
	}
	bool ext_policy = false;
	/* an extension object whose apiVersion is its group alone (the version
	 * left out) is still the extension's: the stage that uses it says
	 * the apiVersion cannot be read, as Envoy Gateway does */
	if (k == EGW_K__COUNT && !*group && !strchr(av, '/') && ext_registered(rs->config, av, kind))
		group = av;
	if (k == EGW_K__COUNT && ext_registered(rs->config, group, kind)) {
		k = EGW_K_EXTENSION;
		ext_policy = ext_listed(rs->config, "policyResources", group, kind);
	} else if (k == EGW_K__COUNT && policy_shaped(rs->config, doc)) {
		k = EGW_K_EXTENSION;
		ext_policy = true;
		egw_diag(c, EGW_D_UNKNOWN_KIND, EGW_SEV_INFO, egw_get(doc, "kind"), doc,
			 "%s %s is not in extensionManager.policyResources; its targets make it an "
			 "extension server policy",
			 av, kind);
	}
	if (k == EGW_K__COUNT) {
		egw_diag(c, EGW_D_UNKNOWN_KIND, EGW_SEV_WARNING, egw_get(doc, "kind"), doc,
			 "%s %s is not a kind libegw translates; ignored", av, kind);
		return NULL;
	}
	if (k != EGW_K_EXTENSION) {
		/* the same texts, from the table: the sorts compare them without
		 * reading the documents */
		kind = kinds[k].name;
		group = kinds[k].group;
	}
	bool nameless = !name || !*name;
	/* An EndpointSlice is found through its Service label, never by name,
	 * so one without a name is still usable (Envoy Gateway takes it). */
	if (nameless && k != EGW_K_ENDPOINTSLICE) {
		egw_diag(c, EGW_D_MISSING, EGW_SEV_ERROR, md, doc, "%s has no metadata.name; skipped",
			 kind);
		return NULL;
	}
	if (nameless)
		name = "";
	const egw_kind_info *ki = &kinds[k];
	egw_node *nsn = egw_get(md, "namespace");
	const char *ns = egw_text(nsn);
	if (!ki->namespaced) {
		ns = "";
	} else if (!nsn) {
		const egw_str *dn = &c->opts->default_namespace;
		if (dn->data) {
			ns = egw_strndup(a, dn->data, dn->len);
			if (egw_frozen(doc)) { /* shared parsed documents: fill a copy */
				doc = egw_clone(a, doc);
				md = egw_get(doc, "metadata");
			}
			egw_set_str(a, md, "namespace", ns);
		} else {
			ns = "";
		}
	} else if (!ns) {
		ns = "";
	}
	if (rs->n[k] >= c->limits.max_objects_per_kind) {
		egw_diag(c, EGW_D_LIMIT, EGW_SEV_ERROR, doc, doc,
			 "more than %zu objects of kind %s; skipped", c->limits.max_objects_per_kind,
			 kind);
		return NULL;
	}
	/* The index key ("ns/name"), and the namespace and name the object
	 * keeps, in one piece of the model's arena: the sorts and the later
	 * stages read them there, side by side, instead of in the documents. */
	const char *key;
	if (k == EGW_K_EXTENSION || nameless) {
		key = k == EGW_K_EXTENSION ? egw_sprintf(a, "%s/%s/%s/%s", group, kind, ns, name)
					   : egw_sprintf(a, "%s/#%u", ns, (unsigned)*seq); /* unique */
	} else {
		size_t nl = strlen(ns), ml = strlen(name);
		char *buf = egw_alloc_raw(a, 2 * nl + ml + 3);
		memcpy(buf, ns, nl + 1);           /* "ns\0" */
		char *kp = buf + nl + 1;           /* "ns/name\0" */
		memcpy(kp, ns, nl);
		kp[nl] = '/';
		memcpy(kp + nl + 1, name, ml + 1);
		ns = buf;
		name = kp + nl + 1;
		key = kp;
	}
	egw_object *prev = egw_map_get(&rs->index[k], key);
	if (prev) {
		/* Which of two objects with one name is used must not depend on
		 * the order of the documents.  The newer one wins, as in Envoy
		 * Gateway, where the later update replaces the earlier object;
		 * with equal timestamps the smaller canonical form wins. */
		int age = cmp_created(egw_get_str(md, "creationTimestamp", ""), prev->created);
		bool replace = age > 0 ||
			       (age == 0 && strcmp(canonical(a, doc), canonical(a, prev->node)) < 0);
		const egw_node *loser = replace ? prev->node : doc;
		const egw_node *winner = replace ? doc : prev->node;
		egw_diag(c, EGW_D_DUPLICATE, EGW_SEV_ERROR, loser, loser,
			 "duplicate %s %s%s%s; the one at line %u of input %u is used", kind, ns,
			 *ns ? "/" : "", name, (unsigned)winner->pos.line, (unsigned)winner->pos.input);
		if (!replace)
			return NULL;
		prev->node = doc;
		prev->api_version = av;
		prev->group = group;
		prev->kind_name = kind;
		prev->ext_policy = ext_policy;
		set_created(prev, egw_get_str(md, "creationTimestamp", ""));
		rs->unsorted[k] = true; /* its creation time may differ */
		return prev;
	}
	egw_object *o = egw_alloc(a, sizeof *o);
	o->node = doc;
	o->kind = k;
	o->api_version = av;
	o->group = group;
	o->kind_name = kind;
	o->ext_policy = ext_policy;
	o->ns = ns;
	o->name = name;
	set_created(o, egw_get_str(md, "creationTimestamp", ""));
	o->seq = (*seq)++;
	if (rs->n[k] == rs->cap[k]) {
		size_t nc = rs->cap[k] ? rs->cap[k] * 2 : 16;
		rs->items[k] = egw_realloc(a, rs->items[k], rs->cap[k] * sizeof(egw_object *),
					   nc * sizeof(egw_object *));
		rs->cap[k] = nc;
	}
	rs->items[k][rs->n[k]++] = o;
	rs->unsorted[k] = true;
	egw_map_put_ref(&rs->index[k], key, o); /* key: made above, in the arena */
	return o;
}

/* An RFC 3339 time ("2024-01-01T00:00:00Z", with a fraction or an offset)
 * as seconds and nanoseconds since the epoch. */
static bool rfc3339(const char *s, int64_t *sec, long *nsec)
{
	unsigned Y, M, D, h, m, x;
	if (strlen(s) < 20 || !egw_digits(s, 4, &Y) || s[4] != '-' || !egw_digits(s + 5, 2, &M) ||
	    s[7] != '-' || !egw_digits(s + 8, 2, &D) || !strchr("Tt ", s[10]) || !s[10] ||
	    !egw_digits(s + 11, 2, &h) || s[13] != ':' || !egw_digits(s + 14, 2, &m) || s[16] != ':' ||
	    !egw_digits(s + 17, 2, &x))
		return false;
	const char *p = s + 19;
	long ns = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 9)
				ns = ns * 10 + (*p - '0');
		if (!digits)
			return false;
		for (; digits < 9; digits++)
			ns *= 10;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		unsigned oh, om;
		if (strlen(p) != 6 || !egw_digits(p + 1, 2, &oh) || p[3] != ':' || !egw_digits(p + 4, 2, &om))
			return false;
		off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return false;
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || x > 60)
		return false;
	*sec = egw_days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + x - off;
	*nsec = ns;
	return true;
}

static void set_created(egw_object *o, const char *ts)
{
	o->created = ts;
	o->created_ok = rfc3339(ts, &o->created_sec, &o->created_nsec);
}

/* creationTimestamps compare as times (Envoy Gateway compares metav1.Time).
 * Text that is no RFC 3339 time ("" when absent) sorts first, as text, so
 * the order stays total (and the sort independent of input order). */
static int cmp_times(const char *a, bool pa, int64_t sa, long na, const char *b, bool pb, int64_t sb,
		     long nb)
{
	if (!pa || !pb)
		return pa != pb ? (pa ? 1 : -1) : strcmp(a, b);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return na < nb ? -1 : na > nb;
}

static int cmp_created(const char *a, const char *b)
{
	int64_t sa = 0, sb = 0;
	long na = 0, nb = 0;
	bool pa = rfc3339(a, &sa, &na), pb = rfc3339(b, &sb, &nb);
	return cmp_times(a, pa, sa, na, b, pb, sb, nb);
}

static int cmp_obj(const void *x, const void *y)
{
	const egw_object *a = *(egw_object *const *)x, *b = *(egw_object *const *)y;
	int c = cmp_times(a->created, a->created_ok, a->created_sec, a->created_nsec, b->created,
			  b->created_ok, b->created_sec, b->created_nsec);
	if (c)
		return c;
	c = strcmp(a->ns, b->ns);
	if (c)
		return c;
	c = strcmp(a->name, b->name);
	if (c)
		return c;
	/* extension objects of different kinds can share namespace and name */
	c = strcmp(a->group, b->group);
	if (c)
		return c;
	c = strcmp(a->kind_name, b->kind_name);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void egw_resources_build(egw_ctx *c, egw_resources *rs, egw_node *docs, egw_node *config)
{
	memset(rs, 0, sizeof *rs);
	for (int k = 0; k < EGW_K__COUNT; k++)
		egw_map_init(&rs->index[k], c->arena);
	rs->config = config ? config : egw_obj(c->arena);
	egw_node *d;
	EGW_ARR_EACH(docs, i, d)
	add_doc(c, rs, d, &rs->next_seq, 0);
	egw_resources_sort(c, rs);
}

egw_object *egw_resources_add(egw_ctx *c, egw_resources *rs, egw_node *doc)
{
	return add_object(c, rs, doc, &rs->next_seq);
}

egw_node *egw_object_writable(egw_ctx *c, egw_object *o)
{
	if (egw_frozen(o->node))
		o->node = egw_clone(c->arena, o->node);
	return o->node;
}

/* The first eight bytes of s, zero-padded, as a big-endian number: two
 * texts' prefixes compare as strcmp compares those bytes. */
static uint64_t prefix8(const char *s)
{
	uint64_t v = 0;
	for (int i = 0; i < 8 && s[i]; i++)
		v |= (uint64_t)(unsigned char)s[i] << (56 - 8 * i);
	return v;
}

typedef struct sort_key {
	uint64_t ns, name; /* prefix8 of each */
	egw_object *o;
} sort_key;

static int cmp_key(const void *x, const void *y)
{
	const sort_key *a = x, *b = y;
	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	/* equal prefixes are equal namespaces only when shorter than eight
	 * bytes (the prefix then holds the end; both do, or neither) */
	if ((a->ns & 0xff) != 0)
		return cmp_obj(&a->o, &b->o);
	if (a->name != b->name)
		return a->name < b->name ? -1 : 1;
	return cmp_obj(&a->o, &b->o);
}

/* Sorts objects in cmp_obj's order.  When none has a creation time, that
 * order starts with namespace and name, and the sort compares their
 * prefixes, kept beside each object, before reading any object: with
 * thousands of objects, following the pointers in every compare missed
 * the cache more than anything else in the translation. */
static void sort_objects(egw_arena *a, egw_object **v, size_t n)
{
	bool timed = false;
	for (size_t i = 0; i < n && !timed; i++)
		timed = v[i]->created_ok || v[i]->created[0];
	if (timed) {
		qsort(v, n, sizeof *v, cmp_obj);
		return;
	}
	egw_child *tmp = egw_arena_child(a); /* the records go with the sort */
	sort_key *keys = egw_alloc_raw(tmp->a, n * sizeof *keys);
	for (size_t i = 0; i < n; i++)
		keys[i] = (sort_key){ prefix8(v[i]->ns), prefix8(v[i]->name), v[i] };
	qsort(keys, n, sizeof *keys, cmp_key);
	for (size_t i = 0; i < n; i++)
		v[i] = keys[i].o;
	egw_child_free(tmp);
}

void egw_resources_sort(egw_ctx *c, egw_resources *rs)
{
	/* egw_resources_complete sorts again after adding what was missing:
	 * only the kinds that changed since */
	for (int k = 0; k < EGW_K__COUNT; k++) {
		if (rs->n[k] > 1 && rs->unsorted[k])
			sort_objects(c->arena, rs->items[k], rs->n[k]);
		rs->unsorted[k] = false;
	}
}

egw_object *egw_res_find(const egw_resources *rs, egw_kind k, const char *ns, const char *name)
{
	char small[512];
	size_t nl = strlen(ns), ml = strlen(name);
	if (nl + ml + 2 > sizeof small)
		return NULL;
	memcpy(small, ns, nl);
	small[nl] = '/';
	memcpy(small + nl + 1, name, ml + 1);
	return egw_map_getn(&rs->index[k], small, nl + 1 + ml);
}

egw_object *egw_res_find_ext(const egw_resources *rs, const char *group, const char *kind,
			     const char *ns, const char *name)
{
	char small[1024];
	int n = snprintf(small, sizeof small, "%s/%s/%s/%s", group, kind, ns, name);
	if (n < 0 || (size_t)n >= sizeof small)
		return NULL;
	return egw_map_getn(&rs->index[EGW_K_EXTENSION], small, (size_t)n);
}
