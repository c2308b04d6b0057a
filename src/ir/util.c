/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by the IR stage: strings, metadata, ReferenceGrant
 * checks, hostname intersection, durations, label selectors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool ir_streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

const char *ir_str(const egw_node *obj, const char *key)
{
	return egw_text(egw_get(obj, key));
}

egw_node *ir_s(ir_tr *t, const char *s)
{
	return egw_strn(t->a, s ? s : "", s ? strlen(s) : 0);
}

egw_node *ir_cs(ir_tr *t, const char *s)
{
	if (!s)
		s = "";
	if (!t->shared_init) {
		egw_map_init(&t->shared, t->tmp);
		t->shared_init = true;
	}
	egw_node *n = egw_map_get(&t->shared, s);
	if (!n) {
		n = egw_strn(t->a, s, strlen(s));
		egw_map_put(&t->shared, s, n);
	}
	return n;
}

egw_node *ir_sf(ir_tr *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[512];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	egw_node *r;
	if (n >= 0 && (size_t)n < sizeof tmp) {
		r = egw_strn(t->a, tmp, (size_t)n);
	} else {
		char *big = egw_alloc(t->a, (size_t)n + 1);
		vsnprintf(big, (size_t)n + 1, fmt, ap2);
		r = egw_strn(t->a, big, (size_t)n);
	}
	va_end(ap2);
	return r;
}

egw_node *ir_meta(ir_tr *t, const char *kind, const char *ns, const char *name,
		  const char *section)
{
	egw_node *m = egw_reserve(t->a, egw_obj(t->a), section && *section ? 4 : 3);
	egw_obj_set(t->a, m, "kind", ir_cs(t, kind));
	egw_obj_set(t->a, m, "name", ir_cs(t, name));
	egw_obj_set(t->a, m, "namespace", ir_cs(t, ns));
	if (section && *section)
		egw_obj_set(t->a, m, "sectionName", ir_cs(t, section));
	return m;
}

bool ir_refgrant_allows(ir_tr *t, const char *from_group, const char *from_kind,
			const char *from_ns, const char *to_group, const char *to_kind,
			const char *to_ns, const char *to_name)
{
	if (!to_ns || !t->rs->n[EGW_K_REFERENCEGRANT])
		return false;
	/* a grant lives in the namespace it opens: look at those only (every
	 * cross-namespace reference asks, so a scan of all grants would be
	 * references times grants) */
	if (!t->grants_indexed) {
		egw_map_init(&t->grants_by_ns, t->tmp);
		t->grants_indexed = true;
		egw_object *g;
		EGW_RES_EACH(t->rs, EGW_K_REFERENCEGRANT, gi, g)
		{
			egw_node *l = egw_map_get(&t->grants_by_ns, g->ns);
			if (!l) {
				l = egw_arr(t->tmp);
				egw_map_put_ref(&t->grants_by_ns, g->ns, l);
			}
			egw_arr_push(t->tmp, l, g->node);
		}
	}
	egw_node *node;
	EGW_ARR_EACH((egw_node *)egw_map_get(&t->grants_by_ns, to_ns), i, node)
	{
		egw_node *spec = egw_get(node, "spec");
		bool from_ok = false, to_ok = false;
		egw_node *f;
		EGW_ARR_EACH(egw_get(spec, "from"), j, f)
		{
			if (ir_streq(egw_get_str(f, "namespace", ""), from_ns) &&
			    ir_streq(egw_get_str(f, "group", ""), from_group) &&
			    ir_streq(egw_get_str(f, "kind", ""), from_kind))
				from_ok = true;
		}
		if (!from_ok)
			continue;
		EGW_ARR_EACH(egw_get(spec, "to"), j, f)
		{
			const char *nm = egw_get_str(f, "name", "");
			if (ir_streq(egw_get_str(f, "group", ""), to_group) &&
			    ir_streq(egw_get_str(f, "kind", ""), to_kind) &&
			    (!*nm || ir_streq(nm, to_name)))
				to_ok = true;
		}
		if (to_ok)
			return true;
	}
	return false;
}

bool ir_wildcard_match(const char *host, const char *wild)
{
	if (!host || !wild || wild[0] != '*')
		return false;
	const char *suffix = wild + 1; /* ".example.com" */
	size_t hl = strlen(host), sl = strlen(suffix);
	if (hl <= sl)
		return false;
	return !strcmp(host + hl - sl, suffix);
}

static int cmp_str(const void *x, const void *y)
{
	const egw_node *a = *(egw_node *const *)x, *b = *(egw_node *const *)y;
	return strcmp(a->str, b->str);
}

/* Is hostname h better served by another listener of the same gateway and
 * port whose hostname is more specific than l's? */
static bool more_specific(const char *a, const char *b)
{
	if (!b)
		return a != NULL;
	if (!a)
		return false;
	if (b[0] == '*' && a[0] != '*')
		return ir_wildcard_match(a, b);
	if (b[0] == '*' && a[0] == '*')
		return strlen(a) > strlen(b) && ir_wildcard_match(a + 1, b);
	return false;
}

bool ir_host_claimed_elsewhere(ir_lis *l, const char *h)
{
	ir_gw *g = l->gw;
	for (size_t i = 0; i < g->nls; i++) {
		ir_lis *o = g->ls[i];
		if (o == l || o->port != l->port || !o->hostname || strcmp(o->proto, l->proto))
			continue;
		if (!more_specific(o->hostname, l->hostname))
			continue;
		if (!strcmp(o->hostname, h) || (o->hostname[0] == '*' && ir_wildcard_match(h, o->hostname)))
			return true;
	}
	return false;
}

egw_node *ir_compute_hosts(ir_tr *t, egw_node *route_hosts, ir_lis *l)
{
	egw_node *out = egw_arr(t->a);
	const char *lh = l ? l->hostname : NULL;
	if (egw_len(route_hosts) == 0) {
		egw_arr_push(t->a, out, ir_s(t, lh ? lh : "*"));
		return out;
	}
	/* a few hosts per route: a scan of what was picked finds repeats; a
	 * map only for long lists */
	bool big = egw_len(route_hosts) > 16;
	egw_map seen;
	if (big)
		egw_map_init(&seen, t->tmp);
	egw_node *h;
	EGW_ARR_EACH(route_hosts, i, h)
	{
		const char *rh = egw_text(h);
		const char *pick = NULL;
		if (!rh)
			continue;
		if (!lh || !*lh)
			pick = rh;
		else if (!strcmp(lh, rh))
			pick = rh;
		else if (lh[0] == '*') {
			if (ir_wildcard_match(rh, lh))
				pick = rh;
			else if (rh[0] == '*' && ir_wildcard_match(lh, rh))
				pick = lh;
		} else if (rh[0] == '*') {
			if (ir_wildcard_match(lh, rh))
				pick = lh;
		}
		if (pick && l && ir_host_claimed_elsewhere(l, pick))
			pick = NULL;
		if (!pick)
			continue;
		bool dup = false;
		if (big) {
			dup = egw_map_has(&seen, pick);
			if (!dup)
				egw_map_put(&seen, pick, (void *)pick);
		} else {
			egw_node *x;
			EGW_ARR_EACH(out, k, x)
			dup |= !strcmp(egw_text(x), pick);
		}
		if (!dup)
			egw_arr_push(t->a, out, ir_s(t, pick));
	}
	if (out->n > 1)
		qsort(out->c.items, out->n, sizeof(egw_node *), cmp_str);
	return out;
}

char *ir_underscore_dots(ir_tr *t, const char *s)
{
	char *r = egw_strdup(t->a, s);
	for (char *p = r; *p; p++)
		if (*p == '.')
			*p = '_';
	return r;
}

/* Go's time.ParseDuration subset: sequences of <number><unit>. */
bool ir_parse_duration(const char *s, double *secs)
{
	if (!s || !*s)
		return false;
	double total = 0;
	const char *p = s;
	if (!strcmp(s, "0")) {
		*secs = 0;
		return true;
	}
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			return false;
		p = end;
		double mul;
		if (!strncmp(p, "ms", 2)) {
			mul = 1e-3;
			p += 2;
		} else if (!strncmp(p, "us", 2) || !strncmp(p, "µs", 3)) {
			mul = 1e-6;
			p += p[0] == 'u' ? 2 : 3;
		} else if (!strncmp(p, "ns", 2)) {
			mul = 1e-9;
			p += 2;
		} else if (*p == 'h') {
			mul = 3600;
			p++;
		} else if (*p == 'm') {
			mul = 60;
			p++;
		} else if (*p == 's') {
			mul = 1;
			p++;
		} else {
			return false;
		}
		total += v * mul;
	}
	*secs = total;
	return true;
}

/* metav1.Duration rendering (Go's Duration.String). */
const char *ir_fmt_duration(ir_tr *t, double secs)
{
	long long ns = (long long)(secs * 1e9 + (secs >= 0 ? 0.5 : -0.5));
	if (ns == 0)
		return "0s";
	egw_buf b;
	egw_buf_init(&b, t->a);
	if (ns < 0) {
		egw_buf_putc(&b, '-');
		ns = -ns;
	}
	if (ns < 1000000000LL) {
		if (ns < 1000)
			egw_buf_printf(&b, "%lldns", ns);
		else if (ns < 1000000) {
			char tmp[64];
			snprintf(tmp, sizeof tmp, "%.6f", ns / 1e3);
			char *e = tmp + strlen(tmp) - 1;
			while (*e == '0')
				*e-- = 0;
			if (*e == '.')
				*e = 0;
			egw_buf_printf(&b, "%sµs", tmp);
		} else {
			char tmp[64];
			snprintf(tmp, sizeof tmp, "%.6f", ns / 1e6);
			char *e = tmp + strlen(tmp) - 1;
			while (*e == '0')
				*e-- = 0;
			if (*e == '.')
				*e = 0;
			egw_buf_printf(&b, "%sms", tmp);
		}
		return egw_buf_str(&b);
	}
	long long h = ns / 3600000000000LL;
	ns %= 3600000000000LL;
	long long m = ns / 60000000000LL;
	ns %= 60000000000LL;
	if (h)
		egw_buf_printf(&b, "%lldh", h);
	if (h || m)
		egw_buf_printf(&b, "%lldm", m);
	long long s = ns / 1000000000LL, frac = ns % 1000000000LL;
	if (frac) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "%09lld", frac);
		char *e = tmp + strlen(tmp) - 1;
		while (e > tmp && *e == '0')
			*e-- = 0;
		egw_buf_printf(&b, "%lld.%ss", s, tmp);
	} else {
		egw_buf_printf(&b, "%llds", s);
	}
	return egw_buf_str(&b);
}

static bool in_values(egw_node *vals, const char *v)
{
	egw_node *x;
	EGW_ARR_EACH(vals, i, x)
	{
		if (v && ir_streq(egw_text(x), v))
			return true;
	}
	return false;
}

bool ir_label_selector_matches(egw_node *sel, egw_node *labels)
{
	egw_member *m;
	EGW_OBJ_EACH(egw_get(sel, "matchLabels"), i, m)
	{
		if (!ir_streq(egw_text(egw_get(labels, m->key)), egw_text(m->val)))
			return false;
	}
	egw_node *e;
	EGW_ARR_EACH(egw_get(sel, "matchExpressions"), i, e)
	{
		const char *key = egw_get_str(e, "key", "");
		const char *op = egw_get_str(e, "operator", "");
		const char *v = egw_text(egw_get(labels, key));
		egw_node *vals = egw_get(e, "values");
		if (!strcmp(op, "In")) {
			if (!in_values(vals, v))
				return false;
		} else if (!strcmp(op, "NotIn")) {
			if (in_values(vals, v))
				return false;
		} else if (!strcmp(op, "Exists")) {
			if (!v)
				return false;
		} else if (!strcmp(op, "DoesNotExist")) {
			if (v)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static const char b64c[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64v(char ch)
{
	const char *p = ch ? strchr(b64c, ch) : NULL;
	return p ? (int)(p - b64c) : -1;
}

char *ir_b64_decode(ir_tr *t, const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *out = egw_alloc(t->a, n * 3 / 4 + 4);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' || s[i] == '\n' || s[i] == '\r' || s[i] == ' ')
			continue;
		int v = b64v(s[i]);
		if (v < 0)
			return NULL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = 0;
	*len = o;
	return out;
}

const char *ir_b64_encode(ir_tr *t, const char *d, size_t n)
{
	char *out = egw_alloc(t->a, (n + 2) / 3 * 4 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)d[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)d[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)d[i + 2];
		out[o++] = b64c[(v >> 18) & 63];
		out[o++] = b64c[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64c[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64c[v & 63] : '=';
	}
	out[o] = 0;
	return out;
}

/* PEM data as Envoy Gateway re-encodes it: each block ends with a newline. */
const char *ir_pem_normalize(ir_tr *t, const char *b64)
{
	size_t n;
	char *raw = ir_b64_decode(t, b64, &n);
	if (!raw || !n || raw[n - 1] == '\n')
		return b64;
	char *r2 = egw_alloc(t->a, n + 2);
	memcpy(r2, raw, n);
	r2[n] = '\n';
	return ir_b64_encode(t, r2, n + 1);
}

/* A cheap RE2 sanity check: balanced groups/classes and no repetition
 * operator without an operand (what users get wrong in practice). */
bool ir_regex_valid(const char *re)
{
	int depth = 0;
	bool in_class = false, prev_atom = false;
	for (const char *p = re; *p; p++) {
		char ch = *p;
		if (ch == '\\') {
			if (!p[1])
				return false;
			p++;
			prev_atom = true;
			continue;
		}
		if (in_class) {
			if (ch == ']')
				in_class = false, prev_atom = true;
			continue;
		}
		switch (ch) {
		case '[':
			in_class = true;
			if (p[1] == ']')
				p++;
			break;
		case '(':
			depth++;
			if (p[1] == '?') {
				/* (?i) (?:...) (?P<name>...) */
				p++;
			}
			prev_atom = false;
			break;
		case ')':
			if (--depth < 0)
				return false;
			prev_atom = true;
			break;
		case '*':
		case '+':
		case '?':
			if (!prev_atom)
				return false;
			if (p[1] == '?')
				p++;
			prev_atom = false;
			break;
		case '{':
			if (!prev_atom)
				return false;
			prev_atom = false;
			while (*p && *p != '}')
				p++;
			if (!*p)
				return false;
			break;
		case '|':
			prev_atom = false;
			break;
		default:
			prev_atom = true;
		}
	}
	return depth == 0 && !in_class;
}

/* The repetition operator ir_regex_valid tripped on (for the message). */
char ir_regex_bad_op(const char *re)
{
	bool prev_atom = false;
	for (const char *p = re; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			prev_atom = true;
		} else if (*p == '*' || *p == '+' || *p == '?') {
			if (!prev_atom)
				return *p;
			prev_atom = false;
		} else {
			prev_atom = *p != '(' && *p != '|';
		}
	}
	return '*';
}

/* A runtime flag enabled by the host or in the EnvoyGateway configuration. */
bool ir_flag(ir_tr *t, const char *flag)
{
	if (t->c->runtime_flags && egw_runtime_flag(t->c, flag))
		return true;
	egw_node *f;
	EGW_ARR_EACH(egw_path(t->rs->config, "runtimeFlags.enabled"), i, f)
	{
		if (ir_streq(egw_text(f), flag))
			return true;
	}
	return false;
}

/* An extension resource as the IR carries it: identity and spec. */
egw_node *ir_ext_object(ir_tr *t, egw_object *eo)
{
	egw_node *o = egw_obj(t->a);
	egw_set_str(t->a, o, "apiVersion", eo->api_version);
	egw_set_str(t->a, o, "kind", eo->kind_name);
	egw_node *md = egw_set_obj(t->a, o, "metadata");
	egw_set_str(t->a, md, "name", eo->name);
	egw_set_str(t->a, md, "namespace", eo->ns);
	egw_node *spec = egw_get(eo->node, "spec");
	if (spec)
		egw_obj_set(t->a, o, "spec", spec);
	return o;
}

/* Is group/kind an extension kind of the given role ("resources",
 * "backendResources", "policyResources") in the EnvoyGateway config? */
bool ir_ext_registered(ir_tr *t, const char *list, const char *group, const char *kind)
{
	egw_node *it;
	EGW_ARR_EACH(egw_path(t->rs->config, "extensionManager") ? egw_get(egw_path(t->rs->config, "extensionManager"), list) : NULL, i, it)
	{
		if (ir_streq(egw_get_str(it, "group", ""), group) && ir_streq(egw_get_str(it, "kind", ""), kind))
			return true;
	}
	return false;
}
