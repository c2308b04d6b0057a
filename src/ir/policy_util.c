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

/* SHA-256 (FIPS 180-4), hex encoded: names of served Wasm modules. */
const char *pol_sha256_hex(ir_tr *t, const char *data, size_t n)
{
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
		0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
		0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
		0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
		0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
		0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
		0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
		0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
	};
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	size_t total = ((n + 9 + 63) / 64) * 64;
	uint8_t *m = egw_alloc(t->a, total);
	memcpy(m, data, n);
	m[n] = 0x80;
	uint64_t bits = (uint64_t)n * 8;
	for (int i = 0; i < 8; i++)
		m[total - 1 - i] = (uint8_t)(bits >> (8 * i));
#define ROR(x, r) (((x) >> (r)) | ((x) << (32 - (r))))
	for (size_t off = 0; off < total; off += 64) {
		uint32_t w[64];
		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 |
			       (uint32_t)m[off + 4 * i + 2] << 8 | (uint32_t)m[off + 4 * i + 3];
		for (int i = 16; i < 64; i++) {
			uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
			uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
			w[i] = w[i - 16] + s0 + w[i - 7] + s1;
		}
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
		for (int i = 0; i < 64; i++) {
			uint32_t S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
			uint32_t ch = (e & f) ^ (~e & g);
			uint32_t t1 = hh + S1 + ch + k[i] + w[i];
			uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
			uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
			uint32_t t2 = S0 + mj;
			hh = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
		h[5] += f;
		h[6] += g;
		h[7] += hh;
	}
#undef ROR
	char *out = egw_alloc(t->a, 65);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", h[i]);
	return out;
}
