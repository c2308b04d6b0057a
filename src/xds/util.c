/* SPDX-License-Identifier: Apache-2.0 */
/* Small builders shared by the xds stage's files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xds_int.h"

const char *GS(const egw_node *n, const char *k)
{
	return egw_text(G(n, k));
}

int64_t GI(const egw_node *n, const char *k, int64_t def)
{
	int64_t v;
	return egw_node_int(G(n, k), &v) ? v : def;
}

bool GB(const egw_node *n, const char *k)
{
	return egw_node_bool(G(n, k), false);
}

egw_node *xo(xt *x) { return egw_obj(x->a); }
egw_node *xa(xt *x) { return egw_arr(x->a); }

egw_node *xset(xt *x, egw_node *o, const char *k, egw_node *v)
{
	return v ? egw_obj_set(x->a, o, k, v) : NULL;
}

egw_node *xs(xt *x, egw_node *o, const char *k, const char *s)
{
	return s ? egw_set_str(x->a, o, k, s) : NULL;
}

egw_node *xi(xt *x, egw_node *o, const char *k, int64_t v)
{
	return egw_set_int(x->a, o, k, v);
}

egw_node *xb(xt *x, egw_node *o, const char *k, bool v)
{
	return egw_set_bool(x->a, o, k, v);
}

egw_node *xobj(xt *x, egw_node *o, const char *k)
{
	return egw_obj_ensure(x->a, o, k);
}

egw_node *xarr(xt *x, egw_node *o, const char *k)
{
	return egw_arr_ensure(x->a, o, k);
}

egw_node *xpush(xt *x, egw_node *arr, egw_node *v)
{
	return egw_arr_push(x->a, arr, v);
}

egw_node *xpush_s(xt *x, egw_node *arr, const char *s)
{
	return egw_arr_push(x->a, arr, egw_nstr(x->a, s));
}

egw_node *xany(xt *x, const char *msg)
{
	egw_node *o = xo(x);
	const char *t = egw_sprintf(x->a, "type.googleapis.com/%s", msg);
	egw_obj_set(x->a, o, "@type", egw_str_ref(x->a, t, strlen(t))); /* t is x->a's already */
	return o;
}

egw_node *xtyped(xt *x, egw_node *parent, const char *name, const char *msg)
{
	egw_node *f = xo(x);
	xs(x, f, "name", name);
	egw_node *tc = xset(x, f, "typedConfig", xany(x, msg));
	if (parent && parent->kind == EGW_ARR)
		xpush(x, parent, f);
	return tc;
}

egw_node *xads(xt *x, bool with_timeout)
{
	egw_node *o = xo(x);
	xobj(x, o, "ads");
	if (with_timeout)
		xs(x, o, "initialFetchTimeout", "0s");
	xs(x, o, "resourceApiVersion", "V3");
	return o;
}

egw_node *xcopy(xt *x, const egw_node *n)
{
	return n ? egw_clone(x->a, n) : NULL;
}

bool go_dur(const char *s, int64_t *secs, int32_t *nanos)
{
	if (!s || !*s)
		return false;
	/* total in nanoseconds as long double is imprecise; accumulate integer ns */
	int neg = 0;
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (!strcmp(s, "0")) {
		*secs = 0;
		*nanos = 0;
		return true;
	}
	__int128 total = 0;
	while (*s) {
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return false;
		__int128 ip = 0;
		__int128 fp = 0, fs = 1;
		while (*s >= '0' && *s <= '9')
			ip = ip * 10 + (*s++ - '0');
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9') {
				if (fs < 1000000000000000000LL) {
					fp = fp * 10 + (*s - '0');
					fs *= 10;
				}
				s++;
			}
		}
		int64_t unit;
		if (!strncmp(s, "ns", 2)) { unit = 1; s += 2; }
		else if (!strncmp(s, "us", 2)) { unit = 1000; s += 2; }
		else if (!strncmp(s, "\xc2\xb5s", 3)) { unit = 1000; s += 3; }
		else if (!strncmp(s, "ms", 2)) { unit = 1000000; s += 2; }
		else if (*s == 's') { unit = 1000000000LL; s++; }
		else if (*s == 'm') { unit = 60LL * 1000000000LL; s++; }
		else if (*s == 'h') { unit = 3600LL * 1000000000LL; s++; }
		else
			return false;
		total += ip * unit + fp * unit / fs;
	}
	if (neg)
		total = -total;
	*secs = (int64_t)(total / 1000000000);
	*nanos = (int32_t)(total % 1000000000);
	return true;
}

const char *dur_fmt(xt *x, int64_t secs, int32_t nanos)
{
	if (nanos == 0)
		return egw_sprintf(x->a, "%llds", (long long)secs);
	const char *sign = "";
	if (secs < 0 || nanos < 0) {
		sign = "-";
		secs = secs < 0 ? -secs : secs;
		nanos = nanos < 0 ? -nanos : nanos;
	}
	if (nanos % 1000000 == 0)
		return egw_sprintf(x->a, "%s%lld.%03ds", sign, (long long)secs, nanos / 1000000);
	if (nanos % 1000 == 0)
		return egw_sprintf(x->a, "%s%lld.%06ds", sign, (long long)secs, nanos / 1000);
	return egw_sprintf(x->a, "%s%lld.%09ds", sign, (long long)secs, nanos);
}

const char *xdur(xt *x, const egw_node *n)
{
	const char *s = egw_text(n);
	int64_t secs;
	int32_t nanos;
	if (!s || !go_dur(s, &secs, &nanos))
		return NULL;
	return dur_fmt(x, secs, nanos);
}

const char *b64enc(xt *x, const unsigned char *d, size_t n)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = egw_alloc(x->a, (n + 2) / 3 * 4 + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)d[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		o[j++] = tb[(v >> 18) & 63];
		o[j++] = tb[(v >> 12) & 63];
		o[j++] = i + 1 < n ? tb[(v >> 6) & 63] : '=';
		o[j++] = i + 2 < n ? tb[v & 63] : '=';
	}
	o[j] = 0;
	return o;
}

static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+' || ch == '-') return 62;
	if (ch == '/' || ch == '_') return 63;
	return -1;
}

const char *xbytes_b64(xt *x, const egw_node *n)
{
	if (!n || n->kind == EGW_NULL)
		return NULL;
	if (n->kind == EGW_ARR) {
		unsigned char *d = egw_alloc(x->a, n->n + 1);
		for (size_t i = 0; i < n->n; i++) {
			int64_t v = 0;
			egw_node_int(n->c.items[i], &v);
			d[i] = (unsigned char)v;
		}
		return b64enc(x, d, n->n);
	}
	const char *s = egw_text(n);
	if (!s)
		return NULL;
	size_t sl = strlen(s);
	bool ok = sl % 4 == 0;
	for (size_t i = 0; ok && i < sl; i++)
		if (b64val(s[i]) < 0 && !(s[i] == '=' && i >= sl - 2))
			ok = false;
	return ok ? s : b64enc(x, (const unsigned char *)s, sl);
}

const char *xbytes_raw(xt *x, const egw_node *n, size_t *len)
{
	*len = 0;
	if (!n || n->kind == EGW_NULL)
		return NULL;
	if (n->kind == EGW_ARR) {
		char *d = egw_alloc(x->a, n->n + 1);
		for (size_t i = 0; i < n->n; i++) {
			int64_t v = 0;
			egw_node_int(n->c.items[i], &v);
			d[i] = (char)v;
		}
		*len = n->n;
		return d;
	}
	const char *s = egw_text(n);
	if (!s)
		return NULL;
	size_t sl = strlen(s);
	char *d = egw_alloc(x->a, sl + 1);
	size_t j = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < sl; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[j++] = (char)((acc >> bits) & 0xff);
		}
	}
	d[j] = 0;
	*len = j;
	return d;
}

egw_node *xfind(xt *x, egw_xds_type t, const char *name)
{
	return name ? egw_map_get(&x->idx[t], name) : NULL;
}

void xadd(xt *x, egw_xds_type t, egw_node *res)
{
	const char *name = egw_xds_resource_name(t, res);
	egw_map_put(&x->idx[t], name, res);
	egw_arr_push(x->a, x->out->res[t], res);
}

void xerr(xt *x, const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (x->err.len)
		egw_buf_puts(&x->err, "\n");
	egw_buf_puts(&x->err, tmp);
}

egw_node *xstrmatch(xt *x, const egw_node *m)
{
	egw_node *o = xo(x);
	const char *v;
	if ((v = GS(m, "exact")))
		xs(x, o, "exact", v);
	else if ((v = GS(m, "prefix")))
		xs(x, o, "prefix", v);
	else if ((v = GS(m, "suffix")))
		xs(x, o, "suffix", v);
	else if ((v = GS(m, "safeRegex")))
		xs(x, xobj(x, o, "safeRegex"), "regex", v);
	else if ((v = GS(m, "contains")))
		xs(x, o, "contains", v);
	if (GB(m, "ignoreCase"))
		xb(x, o, "ignoreCase", true);
	return o;
}

egw_node *xheadermatch(xt *x, const egw_node *m)
{
	egw_node *o = xo(x);
	xs(x, o, "name", GS(m, "name"));
	if (GB(m, "invert"))
		xb(x, o, "invertMatch", true);
	if (!G(m, "exact") && !G(m, "prefix") && !G(m, "suffix") && !G(m, "safeRegex") &&
	    !G(m, "contains")) {
		xb(x, o, "presentMatch", true);
		return o;
	}
	xset(x, o, "stringMatch", xstrmatch(x, m));
	return o;
}

