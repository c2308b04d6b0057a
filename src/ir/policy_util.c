/* SPDX-License-Identifier: Apache-2.0 */
/* Value helpers the policy kinds share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_util.h"

int pol_quantity(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	static const struct {
		const char *suf;
		double mul;
	} sufs[] = { { "Ki", 1024.0 },
		     { "Mi", 1048576.0 },
		     { "Gi", 1073741824.0 },
		     { "Ti", 1099511627776.0 },
		     { "Pi", 1125899906842624.0 },
		     { "Ei", 1152921504606846976.0 },
		     { "n", 1e-9 },
		     { "u", 1e-6 },
		     { "m", 1e-3 },
		     { "", 1 },
		     { "k", 1e3 },
		     { "M", 1e6 },
		     { "G", 1e9 },
		     { "T", 1e12 },
		     { "P", 1e15 },
		     { "E", 1e18 } };
	double mul = 0;
	for (size_t i = 0; i < sizeof sufs / sizeof sufs[0]; i++)
		if (!strcmp(end, sufs[i].suf)) {
			mul = sufs[i].mul;
			break;
		}
	if (mul == 0)
		return -1;
	double r = v * mul;
	if (r != (double)(int64_t)r)
		return -1;
	if (r > 9.2e18 || r < -9.2e18)
		return 1;
	*out = (int64_t)r;
	return 0;
}

const char *pol_regex_quote(ir_tr *t, const char *s)
{
	egw_buf b;
	egw_buf_init(&b, t->a);
	for (; *s; s++) {
		if (strchr("\\.+*?()|[]{}^$", *s))
			egw_buf_putc(&b, '\\');
		egw_buf_putc(&b, *s);
	}
	return egw_buf_str(&b);
}

egw_node *pol_cidr(ir_tr *t, const char *cidr)
{
	if (!cidr) /* null, a list or an object where a CIDR string belongs */
		return NULL;
	const char *sl = strchr(cidr, '/');
	if (!sl)
		return NULL;
	int mask = atoi(sl + 1);
	bool v6 = memchr(cidr, ':', (size_t)(sl - cidr)) != NULL;
	if (mask < 0 || mask > (v6 ? 128 : 32))
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_set_str(t->a, o, "cidr", cidr);
	egw_set_int(t->a, o, "maskLen", mask);
	egw_set_bool(t->a, o, "isIPv6", v6);
	return o;
}

static int cmp_num(const void *a, const void *b)
{
	int64_t x = 0, y = 0;
	egw_node_int(*(egw_node *const *)a, &x);
	egw_node_int(*(egw_node *const *)b, &y);
	return x < y ? -1 : x > y;
}

static const char *txt(const egw_node *n)
{
	const char *s = egw_text(n);
	return s ? s : "";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(txt(*(egw_node *const *)a), txt(*(egw_node *const *)b));
}

void pol_copy(ir_tr *t, egw_node *dst, const egw_node *src, const char *key)
{
	egw_node *v = egw_get(src, key);
	if (v)
		egw_obj_set(t->a, dst, key, egw_clone(t->a, v));
}

egw_node *pol_sorted_unique(ir_tr *t, egw_node *arr, bool numeric)
{
	if (!arr || arr->kind != EGW_ARR)
		return egw_arr(t->a);
	size_t n = egw_len(arr);
	egw_node **v = EGW_NEWN(t->a, egw_node *, n ? n : 1);
	for (size_t i = 0; i < n; i++)
		v[i] = egw_at(arr, i);
	qsort(v, n, sizeof *v, numeric ? cmp_num : cmp_str);
	egw_node *out = egw_arr(t->a);
	for (size_t i = 0; i < n; i++) {
		if (i && !(numeric ? cmp_num(&v[i], &v[i - 1]) : cmp_str(&v[i], &v[i - 1])))
			continue;
		egw_arr_push(t->a, out, egw_clone(t->a, v[i]));
	}
	return out;
}

egw_node *pol_durations(ir_tr *t, egw_node *obj)
{
	if (!obj)
		return NULL;
	if (obj->kind == EGW_OBJ) {
		egw_node *o = egw_obj(t->a);
		egw_member *m;
		EGW_OBJ_EACH(obj, i, m)
		egw_obj_set(t->a, o, m->key, pol_durations(t, m->val));
		return o;
	}
	if (obj->kind == EGW_ARR) {
		egw_node *o = egw_arr(t->a);
		egw_node *x;
		EGW_ARR_EACH(obj, i, x)
		egw_arr_push(t->a, o, pol_durations(t, x));
		return o;
	}
	double d;
	if (obj->kind == EGW_STR && obj->len > 1 && obj->str[0] >= '0' && obj->str[0] <= '9' &&
	    ir_parse_duration(obj->str, &d))
		return ir_s(t, ir_fmt_duration(t, d));
	return egw_clone(t->a, obj);
}

static egw_node *payload(ir_tr *t, egw_node *p)
{
	if (!p)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *x = egw_get(p, "text");
	if (x)
		egw_obj_set(t->a, o, "text", egw_clone(t->a, x));
	x = egw_get(p, "binary");
	if (x)
		egw_obj_set(t->a, o, "binary", egw_clone(t->a, x));
	return o;
}

egw_node *pol_health_check(ir_tr *t, egw_node *hc)
{
	if (!hc)
		return NULL;
	egw_node *o = egw_obj(t->a);
	egw_node *ac = egw_get(hc, "active");
	if (ac) {
		egw_node *a = egw_set_obj(t->a, o, "active");
		const char *type = egw_get_str(ac, "type", "");
		egw_member *m;
		EGW_OBJ_EACH(ac, i, m)
		{
			if (!strcmp(m->key, "type") || !strcmp(m->key, "http") || !strcmp(m->key, "tcp") ||
			    !strcmp(m->key, "grpc"))
				continue;
			if (!strcmp(m->key, "healthCheckLog")) {
				egw_obj_set(t->a, a, "backendHealthCheckLog", ir_health_check_log(t, m->val));
				continue;
			}
			egw_obj_set(t->a, a, m->key, pol_durations(t, m->val));
		}
		if (!strcmp(type, "HTTP")) {
			egw_node *h = egw_get(ac, "http");
			egw_node *x = egw_set_obj(t->a, a, "http");
			egw_node *er = payload(t, egw_get(h, "expectedResponse"));
			if (er)
				egw_obj_set(t->a, x, "expectedResponse", er);
			egw_node *es = egw_get(h, "expectedStatuses");
			if (es && egw_len(es))
				egw_obj_set(t->a, x, "expectedStatuses", egw_clone(t->a, es));
			else {
				egw_node *d = egw_set_arr(t->a, x, "expectedStatuses");
				egw_arr_push(t->a, d, egw_int(t->a, 200));
			}
			egw_set_str(t->a, x, "host", egw_get_str(h, "hostname", ""));
			if (ir_str(h, "method"))
				egw_set_str(t->a, x, "method", ir_str(h, "method"));
			egw_set_str(t->a, x, "path", egw_get_str(h, "path", ""));
			egw_node *rb = payload(t, egw_get(h, "requestBody"));
			if (rb)
				egw_obj_set(t->a, x, "requestBody", rb);
			egw_node *rs = egw_get(h, "retriableStatuses");
			if (rs)
				egw_obj_set(t->a, x, "retriableStatuses", pol_sorted_unique(t, rs, true));
		} else if (!strcmp(type, "TCP")) {
			egw_node *h = egw_get(ac, "tcp");
			egw_node *x = egw_set_obj(t->a, a, "tcp");
			egw_node *s = payload(t, egw_get(h, "send"));
			if (s)
				egw_obj_set(t->a, x, "send", s);
			s = payload(t, egw_get(h, "receive"));
			if (s)
				egw_obj_set(t->a, x, "receive", s);
		} else if (!strcmp(type, "GRPC")) {
			egw_node *h = egw_get(ac, "grpc");
			egw_node *x = egw_set_obj(t->a, a, "grpc");
			pol_copy(t, x, h, "service");
		}
	}
	egw_node *pa = egw_get(hc, "passive");
	if (pa)
		egw_obj_set(t->a, o, "passive", pol_durations(t, pa));
	pol_copy(t, o, hc, "panicThreshold");
	return o;
}

egw_node *pol_dedup_strings(ir_tr *t, egw_node *arr)
{
	egw_node *out = egw_arr(t->a);
	egw_node *x;
	EGW_ARR_EACH(arr, i, x)
	{
		bool dup = false;
		egw_node *y;
		EGW_ARR_EACH(out, j, y)
		{
			if (ir_streq(egw_text(x), egw_text(y)))
				dup = true;
		}
		if (!dup)
			egw_arr_push(t->a, out, egw_clone(t->a, x));
	}
	return out;
}

const char *pol_quantity_canonical(ir_tr *t, const char *s)
{
	int64_t v;
	if (!s || pol_quantity(s, &v) != 0)
		return s;
	size_t n = strlen(s);
	bool binary = n >= 2 && s[n - 1] == 'i';
	static const char *const dec[] = { "", "k", "M", "G", "T", "P", "E" };
	static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	int64_t base = binary ? 1024 : 1000;
	int k = 0;
	while (v != 0 && k < 6 && v % base == 0) {
		v /= base;
		k++;
	}
	return egw_sprintf(t->a, "%lld%s", (long long)v, binary ? bin[k] : dec[k]);
}

