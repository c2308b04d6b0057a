/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EnvoyPatchPolicy: RFC 6902 JSON patches applied to the generated
 * resources in their proto-field-name JSON form (snake_case, as Envoy
 * Gateway marshals them before patching), optionally targeted with a
 * JSONPath expression.  Each policy gets a Programmed condition.
 */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "httpfilters.h"

/* ---- key case conversion ---- */

/* Fields whose values are free-form (Struct / string maps): left untouched. */
static bool opaque_field(const char *k)
{
	static const char *const f[] = {"filterMetadata", "filter_metadata", "filterContext", "filter_context",
					"jsonFormat", "json_format", "contextExtensions", "context_extensions"};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!strcmp(k, f[i]))
			return true;
	return false;
}

/* Map fields: keys kept, values converted. */
static bool map_field(const char *k)
{
	static const char *const f[] = {"typedPerFilterConfig", "typed_per_filter_config",
					"typedExtensionProtocolOptions", "typed_extension_protocol_options"};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!strcmp(k, f[i]))
			return true;
	return false;
}

static const char *snake(xt *x, const char *k)
{
	if (k[0] == '@')
		return k;
	egw_buf b;
	egw_buf_init(&b, x->a);
	for (const char *p = k; *p; p++) {
		if (isupper((unsigned char)*p)) {
			egw_buf_putc(&b, '_');
			egw_buf_putc(&b, (char)tolower((unsigned char)*p));
		} else
			egw_buf_putc(&b, *p);
	}
	return egw_buf_str(&b);
}

static const char *camel(xt *x, const char *k)
{
	if (k[0] == '@' || !strchr(k, '_'))
		return k;
	egw_buf b;
	egw_buf_init(&b, x->a);
	for (const char *p = k; *p; p++) {
		if (*p == '_' && p[1]) {
			p++;
			egw_buf_putc(&b, (char)toupper((unsigned char)*p));
		} else
			egw_buf_putc(&b, *p);
	}
	return egw_buf_str(&b);
}

static egw_node *convert(xt *x, const egw_node *n, bool to_snake, bool keep_keys)
{
	if (!n)
		return NULL;
	if (n->kind == EGW_ARR) {
		egw_node *a = xa(x);
		for (size_t i = 0; i < n->n; i++)
			xpush(x, a, convert(x, n->c.items[i], to_snake, false));
		return a;
	}
	if (n->kind != EGW_OBJ)
		return egw_clone(x->a, n);
	egw_node *o = xo(x);
	egw_member *m;
	EGW_OBJ_EACH(n, i, m) {
		const char *k = keep_keys ? m->key : to_snake ? snake(x, m->key) : camel(x, m->key);
		egw_node *v;
		if (!keep_keys && opaque_field(m->key))
			v = egw_clone(x->a, m->val);
		else
			v = convert(x, m->val, to_snake, !keep_keys && map_field(m->key));
		egw_obj_set(x->a, o, k, v);
	}
	return o;
}

/* ---- JSON pointer ---- */

typedef struct ptr_tok {
	const char *s;
} ptr_tok;

static size_t split_ptr(xt *x, const char *p, const char ***out)
{
	size_t n = 0, cap = 8;
	const char **t = egw_alloc(x->a, cap * sizeof *t);
	if (*p == '/')
		p++;
	if (!*p) {
		*out = t;
		return 0;
	}
	while (1) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		egw_buf b;
		egw_buf_init(&b, x->a);
		for (size_t i = 0; i < l; i++) {
			if (p[i] == '~' && i + 1 < l && p[i + 1] == '1') {
				egw_buf_putc(&b, '/');
				i++;
			} else if (p[i] == '~' && i + 1 < l && p[i + 1] == '0') {
				egw_buf_putc(&b, '~');
				i++;
			} else
				egw_buf_putc(&b, p[i]);
		}
		if (n == cap) {
			const char **nt = egw_alloc(x->a, cap * 2 * sizeof *nt);
			memcpy(nt, t, cap * sizeof *t);
			t = nt;
			cap *= 2;
		}
		t[n++] = egw_buf_str(&b);
		if (!e)
			break;
		p = e + 1;
	}
	*out = t;
	return n;
}

static bool arr_index(const egw_node *arr, const char *tok, size_t *idx, bool allow_end)
{
	if (allow_end && !strcmp(tok, "-")) {
		*idx = arr->n;
		return true;
	}
	if (!*tok)
		return false;
	char *end;
	long v = strtol(tok, &end, 10);
	if (*end || v < 0)
		return false;
	*idx = (size_t)v;
	return allow_end ? *idx <= arr->n : *idx < arr->n;
}

static egw_node *child(egw_node *n, const char *tok)
{
	if (!n)
		return NULL;
	if (n->kind == EGW_OBJ)
		return egw_get(n, tok);
	if (n->kind == EGW_ARR) {
		size_t i;
		return arr_index(n, tok, &i, false) ? n->c.items[i] : NULL;
	}
	return NULL;
}

static void arr_insert(xt *x, egw_node *arr, size_t at, egw_node *v)
{
	egw_arr_push(x->a, arr, v);
	for (size_t i = arr->n - 1; i > at; i--)
		arr->c.items[i] = arr->c.items[i - 1];
	arr->c.items[at] = v;
}

static egw_node *arr_remove(egw_node *arr, size_t at)
{
	egw_node *v = arr->c.items[at];
	for (size_t i = at; i + 1 < arr->n; i++)
		arr->c.items[i] = arr->c.items[i + 1];
	arr->n--;
	return v;
}

/* Applies one operation to doc (an object); returns NULL or an error text. */
static const char *op_add(xt *x, egw_node *doc, const char *path, egw_node *val, bool replace)
{
	const char **t;
	size_t n = split_ptr(x, path, &t);
	if (n == 0)
		return "cannot replace the document root";
	egw_node *p = doc;
	for (size_t i = 0; i + 1 < n; i++) {
		egw_node *c = child(p, t[i]);
		if (!c && !replace && p->kind == EGW_OBJ) {
			/* Envoy Gateway patches with EnsurePathExistsOnAdd */
			size_t dummy;
			bool next_is_index = !strcmp(t[i + 1], "-") || (isdigit((unsigned char)t[i + 1][0]) &&
									 strtol(t[i + 1], NULL, 10) >= 0);
			(void)dummy;
			c = egw_obj_set(x->a, p, t[i], next_is_index ? xa(x) : xo(x));
		} else if (!c && !replace && p->kind == EGW_ARR && !strcmp(t[i], "-")) {
			c = xpush(x, p, xo(x));
		} else if (!c && !replace && p->kind == EGW_ARR) {
			size_t idx;
			if (arr_index(p, t[i], &idx, true) && idx == p->n)
				c = xpush(x, p, xo(x));
		}
		p = c;
		if (!p)
			return egw_sprintf(x->a, "add operation does not apply: doc is missing path: \"%s\"", path);
	}
	const char *last = t[n - 1];
	if (p->kind == EGW_OBJ) {
		egw_node *old = egw_get(p, last);
		if (replace && !old)
			return egw_sprintf(x->a, "replace operation does not apply: doc is missing key: %s", path);
		int64_t iv;
		if (old && old->kind == EGW_INT && val && val->kind == EGW_STR && egw_node_int(val, &iv))
			val = egw_int(x->a, iv); /* protojson reads "50" into a number field */
		egw_obj_set(x->a, p, last, val);
		return NULL;
	}
	if (p->kind == EGW_ARR) {
		size_t idx;
		if (!arr_index(p, last, &idx, !replace))
			return egw_sprintf(x->a, "add operation does not apply: doc is missing path: \"%s\"", path);
		if (replace)
			p->c.items[idx] = val;
		else
			arr_insert(x, p, idx, val);
		return NULL;
	}
	return egw_sprintf(x->a, "add operation does not apply: doc is missing path: \"%s\"", path);
}

static egw_node *op_remove(xt *x, egw_node *doc, const char *path, const char **err)
{
	const char **t;
	size_t n = split_ptr(x, path, &t);
	egw_node *p = doc;
	for (size_t i = 0; n && i + 1 < n; i++)
		p = child(p, t[i]);
	if (!n || !p) {
		*err = egw_sprintf(x->a, "remove operation does not apply: doc is missing path: \"%s\"", path);
		return NULL;
	}
	if (p->kind == EGW_OBJ) {
		egw_node *v = egw_obj_del(p, t[n - 1]);
		if (!v)
			*err = egw_sprintf(x->a, "remove operation does not apply: doc is missing key: %s", path);
		return v;
	}
	size_t idx;
	if (p->kind == EGW_ARR && arr_index(p, t[n - 1], &idx, false))
		return arr_remove(p, idx);
	*err = egw_sprintf(x->a, "remove operation does not apply: doc is missing path: \"%s\"", path);
	return NULL;
}

static egw_node *op_get(xt *x, egw_node *doc, const char *path)
{
	const char **t;
	size_t n = split_ptr(x, path, &t);
	egw_node *p = doc;
	for (size_t i = 0; i < n && p; i++)
		p = child(p, t[i]);
	return p;
}

/* ---- JSONPath (the subset patches use) ---- */

typedef struct jp_item {
	egw_node *n;
	const char *ptr;
} jp_item;

typedef struct jp_set {
	jp_item *v;
	size_t n, cap;
} jp_set;

static void jp_push(xt *x, jp_set *s, egw_node *n, const char *ptr)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		jp_item *nv = egw_alloc(x->a, nc * sizeof *nv);
		if (s->n)
			memcpy(nv, s->v, s->n * sizeof *nv);
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n].n = n;
	s->v[s->n].ptr = ptr;
	s->n++;
}

static const char *esc_tok(xt *x, const char *k)
{
	if (!strchr(k, '/') && !strchr(k, '~'))
		return k;
	egw_buf b;
	egw_buf_init(&b, x->a);
	for (const char *p = k; *p; p++) {
		if (*p == '~')
			egw_buf_puts(&b, "~0");
		else if (*p == '/')
			egw_buf_puts(&b, "~1");
		else
			egw_buf_putc(&b, *p);
	}
	return egw_buf_str(&b);
}

static void jp_descend_all(xt *x, jp_set *out, egw_node *n, const char *ptr)
{
	jp_push(x, out, n, ptr);
	if (n->kind == EGW_OBJ) {
		egw_member *m;
		EGW_OBJ_EACH(n, i, m)
			jp_descend_all(x, out, m->val, egw_sprintf(x->a, "%s/%s", ptr, esc_tok(x, m->key)));
	} else if (n->kind == EGW_ARR) {
		for (size_t i = 0; i < n->n; i++)
			jp_descend_all(x, out, n->c.items[i], egw_sprintf(x->a, "%s/%zu", ptr, i));
	}
}

static bool filter_match(const egw_node *el, const char *key, const char *op, const char *val)
{
	const char *v = egw_get_str(el, key, NULL);
	if (!v)
		return false;
	if (!strcmp(op, "=="))
		return !strcmp(v, val);
	if (!strcmp(op, "!="))
		return strcmp(v, val) != 0;
	if (!strcmp(op, "=~")) {
		regex_t re;
		if (regcomp(&re, val, REG_EXTENDED | REG_NOSUB))
			return false;
		bool ok = regexec(&re, v, 0, NULL, 0) == 0;
		regfree(&re);
		return ok;
	}
	return false;
}

/* Evaluates expr against root; fills out with the matched pointers. */
static void jsonpath(xt *x, egw_node *root, const char *expr, jp_set *out)
{
	jp_set cur = {0};
	jp_push(x, &cur, root, "");
	const char *p = expr;
	if (*p == '$')
		p++;
	while (*p) {
		jp_set next = {0};
		bool deep = false;
		if (p[0] == '.' && p[1] == '.') {
			deep = true;
			p += 2;
		} else if (*p == '.')
			p++;
		if (deep) {
			jp_set all = {0};
			for (size_t i = 0; i < cur.n; i++)
				jp_descend_all(x, &all, cur.v[i].n, cur.v[i].ptr);
			cur = all;
		}
		if (*p == '[') {
			const char *e = strchr(p, ']');
			if (!e)
				break;
			/* a filter expression may contain ']' inside quotes: find the closing ")]" */
			if (p[1] == '?') {
				const char *fe = strstr(p, ")]");
				if (fe)
					e = fe + 1;
			}
			char *in = egw_strndup(x->a, p + 1, (size_t)(e - p - 1));
			p = e + 1;
			for (size_t i = 0; i < cur.n; i++) {
				egw_node *n = cur.v[i].n;
				if (in[0] == '?') {
					/* ?(@.key OP 'value') */
					char key[256] = {0}, op[3] = {0}, val[1024] = {0};
					const char *q = strstr(in, "@.");
					if (!q || n->kind != EGW_ARR)
						continue;
					q += 2;
					size_t kl = strcspn(q, "=!~ ");
					if (kl >= sizeof key)
						continue;
					memcpy(key, q, kl);
					q += kl;
					while (*q == ' ')
						q++;
					op[0] = q[0];
					op[1] = q[1];
					q += 2;
					while (*q == ' ')
						q++;
					char quote = *q;
					if (quote == '\'' || quote == '"') {
						q++;
						const char *qe = strchr(q, quote);
						size_t vl = qe ? (size_t)(qe - q) : strlen(q);
						if (vl >= sizeof val)
							continue;
						memcpy(val, q, vl);
					}
					for (size_t k = 0; k < n->n; k++)
						if (filter_match(n->c.items[k], key, op, val))
							jp_push(x, &next, n->c.items[k], egw_sprintf(x->a, "%s/%zu", cur.v[i].ptr, k));
				} else if (!strcmp(in, "*")) {
					if (n->kind == EGW_ARR)
						for (size_t k = 0; k < n->n; k++)
							jp_push(x, &next, n->c.items[k], egw_sprintf(x->a, "%s/%zu", cur.v[i].ptr, k));
				} else if (in[0] == '\'' || in[0] == '"') {
					char *k = egw_strndup(x->a, in + 1, strlen(in) > 2 ? strlen(in) - 2 : 0);
					egw_node *c = n->kind == EGW_OBJ ? egw_get(n, k) : NULL;
					if (c)
						jp_push(x, &next, c, egw_sprintf(x->a, "%s/%s", cur.v[i].ptr, esc_tok(x, k)));
				} else {
					long idx = strtol(in, NULL, 10);
					if (n->kind == EGW_ARR && idx >= 0 && (size_t)idx < n->n)
						jp_push(x, &next, n->c.items[idx], egw_sprintf(x->a, "%s/%ld", cur.v[i].ptr, idx));
				}
			}
			cur = next;
			continue;
		}
		size_t l = strcspn(p, ".[");
		char *name = egw_strndup(x->a, p, l);
		p += l;
		for (size_t i = 0; i < cur.n; i++) {
			egw_node *n = cur.v[i].n;
			if (!strcmp(name, "*")) {
				if (n->kind == EGW_OBJ) {
					egw_member *m;
					EGW_OBJ_EACH(n, k, m)
						jp_push(x, &next, m->val, egw_sprintf(x->a, "%s/%s", cur.v[i].ptr, esc_tok(x, m->key)));
				}
				continue;
			}
			egw_node *c = n->kind == EGW_OBJ ? egw_get(n, name) : NULL;
			if (c)
				jp_push(x, &next, c, egw_sprintf(x->a, "%s/%s", cur.v[i].ptr, esc_tok(x, name)));
		}
		cur = next;
	}
	*out = cur;
}

/* ---- policies ---- */

#define RESERVED_CA "Secret name \"system_ca_certificates\" is reserved for the system trust store"

static int type_of(const char *url)
{
	if (!url)
		return -1;
	const char *slash = strrchr(url, '/');
	const char *msg = slash ? slash + 1 : url;
	for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++)
		if (!strcmp(msg, egw_xds_type_msg[t]))
			return t;
	return -1;
}

static void replace_resource(xt *x, int t, egw_node *old, egw_node *nw)
{
	egw_node *arr = x->out->res[t];
	for (size_t i = 0; i < arr->n; i++)
		if (arr->c.items[i] == old)
			arr->c.items[i] = nw;
	egw_map_put(&x->idx[t], egw_xds_resource_name((egw_xds_type)t, nw), nw);
}

static const char *apply_patch(xt *x, const egw_node *jp)
{
	int t = type_of(GS(jp, "type"));
	const char *name = GS(jp, "name");
	const egw_node *op = G(jp, "operation");
	const char *kind = GS(op, "op");
	const egw_node *pathn = G(op, "path");
	const char *path = egw_text(pathn);
	const char *jpath = GS(op, "jsonPath");
	const char *from = GS(op, "from");
	const egw_node *value = G(op, "value");
	if (t < 0)
		return egw_sprintf(x->a, "Unsupported xds resource type: %s", GS(jp, "type") ? GS(jp, "type") : "");
	if (!path && !jpath)
		return "A patch operation must specify a path or jsonPath.";
	if (kind && !strcmp(kind, "add") && path && !*path && !jpath) {
		/* a whole new resource */
		egw_node *res = convert(x, value, false, false);
		if (res && res->kind == EGW_OBJ) {
			if (t == EGW_XDS_CLUSTER && !strcmp(egw_get_str(res, "lbPolicy", ""), "ROUND_ROBIN"))
				egw_obj_del(res, "lbPolicy");
			const char *rn = egw_xds_resource_name((egw_xds_type)t, res);
			if (t == EGW_XDS_SECRET && !strcmp(rn, "system_ca_certificates"))
				return RESERVED_CA " and cannot be used by other resources.";
			xadd(x, (egw_xds_type)t, res);
		}
		return NULL;
	}
	if (t == EGW_XDS_SECRET && name && !strcmp(name, "system_ca_certificates"))
		return RESERVED_CA " and cannot be modified by patches.";
	egw_node *res = xfind(x, (egw_xds_type)t, name);
	if (!res)
		return egw_sprintf(x->a, "Unable to find xds resource %s: %s", egw_xds_type_msg[t], name ? name : "");
	egw_node *doc = convert(x, res, true, false);
	/* pointers to operate on */
	size_t np = 1;
	const char **ptrs = egw_alloc(x->a, sizeof *ptrs);
	ptrs[0] = path;
	if (jpath) {
		jp_set set;
		jsonpath(x, doc, jpath, &set);
		if (!set.n)
			return egw_sprintf(x->a,
					   "No jsonPointers were found while evaluating the jsonPath: '%s'. Ensure the elements "
					   "you are trying to select with the jsonPath exist in the document. If you need to "
					   "add a non-existing property, use the 'path' attribute.",
					   jpath);
		np = set.n;
		ptrs = egw_alloc(x->a, np * sizeof *ptrs);
		for (size_t i = 0; i < np; i++) {
			if (path && *path)
				ptrs[i] = egw_sprintf(x->a, "%s/%s", set.v[i].ptr, path[0] == '/' ? path + 1 : path);
			else
				ptrs[i] = set.v[i].ptr;
		}
	}
	for (size_t i = 0; i < np; i++) {
		const char *err = NULL;
		const char *pp = ptrs[i];
		/* an add or replace without a value adds null, as a JSON document
		 * with "value": null would; never a missing node */
		egw_node *val = value ? egw_clone(x->a, value) : egw_null(x->a);
		if (!strcmp(kind ? kind : "", "add"))
			err = op_add(x, doc, pp, val, false);
		else if (!strcmp(kind ? kind : "", "replace"))
			err = op_add(x, doc, pp, val, true);
		else if (!strcmp(kind ? kind : "", "remove"))
			op_remove(x, doc, pp, &err);
		else if (!strcmp(kind ? kind : "", "move") || !strcmp(kind ? kind : "", "copy")) {
			egw_node *v;
			if (!strcmp(kind, "move"))
				v = op_remove(x, doc, from ? from : "", &err);
			else {
				v = op_get(x, doc, from ? from : "");
				v = v ? egw_clone(x->a, v) : NULL;
				if (!v)
					err = egw_sprintf(x->a, "copy operation does not apply: doc is missing from path: %s",
							  from ? from : "");
			}
			if (!err)
				err = op_add(x, doc, pp, v, false);
		} else if (!strcmp(kind ? kind : "", "test")) {
			egw_node *v = op_get(x, doc, pp);
			if (!v || !egw_equal(v, value))
				err = "testing value failed";
		} else
			err = egw_sprintf(x->a, "Unexpected kind: %s", kind ? kind : "");
		if (err)
			return egw_sprintf(x->a, "Unable to apply patch:%s on resource:%s, err: %s", "", name ? name : "",
					   err);
	}
	egw_node *nw = convert(x, doc, false, false);
	/* proto3 JSON leaves out enum fields at their zero value */
	if (t == EGW_XDS_CLUSTER && !strcmp(egw_get_str(nw, "lbPolicy", ""), "ROUND_ROBIN"))
		egw_obj_del(nw, "lbPolicy");
	if (t == EGW_XDS_SECRET && strcmp(egw_xds_resource_name(EGW_XDS_SECRET, nw), name ? name : "") &&
	    !strcmp(egw_xds_resource_name(EGW_XDS_SECRET, nw), "system_ca_certificates"))
		return RESERVED_CA " and cannot be used by other resources.";
	replace_resource(x, t, res, nw);
	return NULL;
}

void xds_json_patches(xt *x, const egw_node *policies)
{
	if (!policies)
		return;
	egw_node *statuses = xa(x);
	const egw_node *pol;
	EGW_ARR_EACH(policies, i, pol) {
		const char *err = NULL;
		const egw_node *jp;
		EGW_ARR_EACH(G(pol, "jsonPatches"), j, jp) {
			const char *e = apply_patch(x, jp);
			if (e && !err)
				err = e;
		}
		egw_node *st = xpush(x, statuses, xo(x));
		xset(x, st, "generation", xcopy(x, G(pol, "generation")));
		xs(x, st, "name", GS(pol, "name"));
		xs(x, st, "namespace", GS(pol, "namespace"));
		egw_node *anc = xarr(x, xobj(x, st, "status"), "ancestors");
		const egw_node *a;
		EGW_ARR_EACH(G(G(pol, "status"), "ancestors"), k, a) {
			egw_node *o = xpush(x, anc, xo(x));
			xset(x, o, "ancestorRef", xcopy(x, G(a, "ancestorRef")));
			egw_node *c = xpush(x, xarr(x, o, "conditions"), xo(x));
			egw_obj_set(x->a, c, "lastTransitionTime", egw_null(x->a));
			xs(x, c, "message", err ? err : "Patches have been successfully applied.");
			xset(x, c, "observedGeneration", xcopy(x, G(pol, "generation")));
			xs(x, c, "reason", err ? "Invalid" : "Programmed");
			xs(x, c, "status", err ? "False" : "True");
			xs(x, c, "type", "Programmed");
			xs(x, o, "controllerName", "");
		}
	}
	x->out->patch_statuses = statuses;
}
