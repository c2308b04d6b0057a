/* SPDX-License-Identifier: Apache-2.0 */
/* The protobuf codec's small pieces: the registry search, field names,
 * base64, UTF-8, and the text forms of Duration and Timestamp. */
#include "pb_internal.h"

#include <stdio.h>
#include <string.h>

#include "egw_pb_registry.h"
#include "../util/civil.h"

/* ---- registry ---- */

static int cmp_name(const char *name, size_t len, const char *key)
{
	size_t kl = strlen(key);
	size_t m = len < kl ? len : kl;
	int c = memcmp(name, key, m);
	if (c)
		return c;
	return len < kl ? -1 : len > kl;
}

const ProtobufCMessageDescriptor *pb_lookup(const char *name, size_t len)
{
	size_t lo = 0, hi = egw_pb_registry_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_name(name, len, egw_pb_registry[mid].name);
		if (c == 0)
			return egw_pb_registry[mid].desc;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

pb_wkt pb_wkt_of(const ProtobufCMessageDescriptor *d)
{
	/* the encoder asks for every message: the first byte turns away
	 * Envoy's own packages (envoy., xds., udpa.), and the short name's
	 * first letter leaves one or two names to compare */
	if (!d->package_name || d->package_name[0] != 'g' ||
	    strcmp(d->package_name, "google.protobuf") != 0)
		return WKT_NONE;
	static const struct {
		const char *name;
		pb_wkt w;
	} wkts[] = {
		{"Any", WKT_ANY},           {"Duration", WKT_DURATION}, {"Timestamp", WKT_TIMESTAMP},
		{"Empty", WKT_EMPTY},       {"Struct", WKT_STRUCT},     {"Value", WKT_VALUE},
		{"ListValue", WKT_LIST},    {"FieldMask", WKT_FIELDMASK},
		{"DoubleValue", WKT_WRAPPER}, {"FloatValue", WKT_WRAPPER}, {"Int64Value", WKT_WRAPPER},
		{"UInt64Value", WKT_WRAPPER}, {"Int32Value", WKT_WRAPPER}, {"UInt32Value", WKT_WRAPPER},
		{"BoolValue", WKT_WRAPPER}, {"StringValue", WKT_WRAPPER}, {"BytesValue", WKT_WRAPPER},
	};
	const char *n = d->short_name;
	for (size_t i = 0; i < sizeof wkts / sizeof wkts[0]; i++)
		if (wkts[i].name[0] == n[0] && strcmp(n, wkts[i].name) == 0)
			return wkts[i].w;
	return WKT_NONE;
}

/* ---- names ---- */

char *pb_json_name(egw_arena *a, const char *proto_name)
{
	size_t n = strlen(proto_name), j = 0;
	char *out = egw_alloc_raw(a, n + 1);
	bool up = false;
	for (size_t i = 0; i < n; i++) {
		char ch = proto_name[i];
		if (ch == '_') {
			up = true;
		} else if (up) {
			out[j++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
			up = false;
		} else {
			out[j++] = ch;
		}
	}
	out[j] = 0;
	return out;
}

bool pb_json_name_eq(const char *proto_name, const char *key, size_t klen)
{
	size_t j = 0;
	bool up = false;
	for (const char *p = proto_name; *p; p++) {
		char ch = *p;
		if (ch == '_') {
			up = true;
			continue;
		}
		if (up) {
			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			up = false;
		}
		if (j >= klen || key[j] != ch)
			return false;
		j++;
	}
	return j == klen;
}

static const ProtobufCFieldDescriptor *by_proto_name(const ProtobufCMessageDescriptor *d,
						     const char *key, size_t klen)
{
	unsigned lo = 0, hi = d->n_fields;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const ProtobufCFieldDescriptor *f = &d->fields[d->fields_sorted_by_name[mid]];
		int c = cmp_name(key, klen, f->name);
		if (c == 0)
			return f;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const ProtobufCFieldDescriptor *pb_find_field(const ProtobufCMessageDescriptor *d, const char *key,
					      size_t klen)
{
	/* a key without capitals is its proto name (or nothing); one with
	 * capitals cannot be one (Envoy's field names are snake_case) */
	bool camel = false;
	for (size_t i = 0; i < klen && !camel; i++)
		camel = key[i] >= 'A' && key[i] <= 'Z';
	const ProtobufCFieldDescriptor *f = camel ? NULL : by_proto_name(d, key, klen);
	if (f)
		return f;
	/* lowerCamelCase -> snake_case, then check the round trip */
	char snake[160];
	size_t j = 0;
	for (size_t i = 0; i < klen && j + 2 < sizeof snake; i++) {
		char ch = key[i];
		if (ch >= 'A' && ch <= 'Z') {
			snake[j++] = '_';
			snake[j++] = (char)(ch - 'A' + 'a');
		} else {
			snake[j++] = ch;
		}
	}
	if (j + 2 < sizeof snake) {
		f = by_proto_name(d, snake, j);
		if (f && pb_json_name_eq(f->name, key, klen))
			return f;
	}
	for (unsigned i = 0; i < d->n_fields; i++)
		if (pb_json_name_eq(d->fields[i].name, key, klen))
			return &d->fields[i];
	return NULL;
}

bool pb_is_map(const ProtobufCMessageDescriptor *owner, const ProtobufCFieldDescriptor *f)
{
	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	const ProtobufCMessageDescriptor *e = f->descriptor;
	if (!e || e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
	    strcmp(e->fields[0].name, "key") != 0 || strcmp(e->fields[1].name, "value") != 0)
		return false;
	/* the entry is <owner>.<CamelField>Entry */
	size_t on = strlen(owner->name);
	if (strncmp(e->name, owner->name, on) != 0 || e->name[on] != '.')
		return false;
	const char *s = e->name + on + 1;
	bool up = true;
	for (const char *p = f->name; *p; p++) {
		char ch = *p;
		if (ch == '_') {
			up = true;
			continue;
		}
		if (up && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		up = false;
		if (*s++ != ch)
			return false;
	}
	return strcmp(s, "Entry") == 0;
}

/* ---- base64 ---- */

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

bool pb_b64_decode(egw_arena *a, const char *s, size_t n, uint8_t **out, size_t *outlen)
{
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return false;
	uint8_t *o = egw_alloc_raw(a, n / 4 * 3 + 3);
	size_t j = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_val((unsigned char)s[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[j++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*out = o;
	*outlen = j;
	return true;
}

char *pb_b64_encode(egw_arena *a, const uint8_t *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = egw_alloc_raw(a, (n + 2) / 3 * 4 + 1);
	size_t j = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		o[j++] = tab[v >> 18];
		o[j++] = tab[(v >> 12) & 63];
		o[j++] = tab[(v >> 6) & 63];
		o[j++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		o[j++] = tab[v >> 18];
		o[j++] = tab[(v >> 12) & 63];
		o[j++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		o[j++] = '=';
	}
	o[j] = 0;
	return o;
}

bool pb_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	/* names and addresses are ASCII: eight bytes at a time while no byte
	 * has its high bit set */
	while (i + 8 <= n) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			break;
		i += 8;
	}
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if ((c & 0xE0) == 0xC0) {
			len = 2;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

/* ---- Duration ---- */

#define DURATION_MAX_SECS 315576000000LL /* 10,000 years, protobuf's bound */

static bool digits(const char *s, size_t n, size_t *i, uint64_t *v, size_t maxd)
{
	size_t st = *i;
	uint64_t x = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (*i - st >= maxd)
			return false;
		x = x * 10 + (uint64_t)(s[*i] - '0');
		(*i)++;
	}
	*v = x;
	return *i > st;
}

/* ".123" -> nanos; *i at the '.'; no dot leaves 0 */
static bool frac_nanos(const char *s, size_t n, size_t *i, int32_t *nanos)
{
	*nanos = 0;
	if (*i >= n || s[*i] != '.')
		return true;
	(*i)++;
	size_t st = *i;
	int32_t v = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (*i - st >= 9)
			return false;
		v = v * 10 + (s[*i] - '0');
		(*i)++;
	}
	if (*i == st)
		return false;
	for (size_t k = *i - st; k < 9; k++)
		v *= 10;
	*nanos = v;
	return true;
}

bool pb_duration_parse(const char *s, size_t n, int64_t *secs, int32_t *nanos)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	uint64_t sec;
	int32_t ns;
	if (!digits(s, n, &i, &sec, 12) || !frac_nanos(s, n, &i, &ns))
		return false;
	if (i + 1 != n || s[i] != 's' || sec > (uint64_t)DURATION_MAX_SECS)
		return false;
	*secs = neg ? -(int64_t)sec : (int64_t)sec;
	*nanos = neg ? -ns : ns;
	return true;
}

static void put_frac(char *buf, size_t cap, int32_t ns)
{
	if (ns == 0)
		buf[0] = 0;
	else if (ns % 1000000 == 0)
		snprintf(buf, cap, ".%03d", (int)(ns / 1000000));
	else if (ns % 1000 == 0)
		snprintf(buf, cap, ".%06d", (int)(ns / 1000));
	else
		snprintf(buf, cap, ".%09d", (int)ns);
}

char *pb_duration_format(egw_arena *a, int64_t secs, int32_t nanos)
{
	if (secs > DURATION_MAX_SECS || secs < -DURATION_MAX_SECS || nanos <= -1000000000 ||
	    nanos >= 1000000000 || (secs > 0 && nanos < 0) || (secs < 0 && nanos > 0))
		return NULL;
	bool neg = secs < 0 || nanos < 0;
	char frac[16];
	put_frac(frac, sizeof frac, nanos < 0 ? -nanos : nanos);
	return egw_sprintf(a, "%s%lld%ss", neg ? "-" : "", (long long)(secs < 0 ? -secs : secs), frac);
}

/* ---- Timestamp ---- */

#define TS_MIN -62135596800LL /* 0001-01-01T00:00:00Z */
#define TS_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

static bool fixed_num(const char *s, size_t n, size_t *i, int width, unsigned *v)
{
	unsigned x = 0;
	for (int k = 0; k < width; k++) {
		if (*i >= n || s[*i] < '0' || s[*i] > '9')
			return false;
		x = x * 10 + (unsigned)(s[*i] - '0');
		(*i)++;
	}
	*v = x;
	return true;
}

static bool expect(const char *s, size_t n, size_t *i, char c)
{
	if (*i < n && (s[*i] == c || (c == 'T' && s[*i] == 't'))) {
		(*i)++;
		return true;
	}
	return false;
}

bool pb_timestamp_parse(const char *s, size_t n, int64_t *secs, int32_t *nanos)
{
	size_t i = 0;
	unsigned Y, M, D, h, mi, se;
	if (!fixed_num(s, n, &i, 4, &Y) || !expect(s, n, &i, '-') || !fixed_num(s, n, &i, 2, &M) ||
	    !expect(s, n, &i, '-') || !fixed_num(s, n, &i, 2, &D) || !expect(s, n, &i, 'T') ||
	    !fixed_num(s, n, &i, 2, &h) || !expect(s, n, &i, ':') || !fixed_num(s, n, &i, 2, &mi) ||
	    !expect(s, n, &i, ':') || !fixed_num(s, n, &i, 2, &se))
		return false;
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (Y < 1 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || se > 59)
		return false;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return false;
	int32_t ns;
	if (!frac_nanos(s, n, &i, &ns))
		return false;
	int64_t off = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1;
		i++;
		unsigned oh, om;
		if (!fixed_num(s, n, &i, 2, &oh) || !expect(s, n, &i, ':') || !fixed_num(s, n, &i, 2, &om) ||
		    oh > 23 || om > 59)
			return false;
		off = sign * (int64_t)(oh * 3600 + om * 60);
	} else {
		return false;
	}
	if (i != n)
		return false;
	int64_t t = egw_days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + se - off;
	if (t < TS_MIN || t > TS_MAX)
		return false;
	*secs = t;
	*nanos = ns;
	return true;
}

char *pb_timestamp_format(egw_arena *a, int64_t secs, int32_t nanos)
{
	if (secs < TS_MIN || secs > TS_MAX || nanos < 0 || nanos >= 1000000000)
		return NULL;
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	egw_civil_from_days(days, &y, &m, &d);
	char frac[16];
	put_frac(frac, sizeof frac, nanos);
	return egw_sprintf(a, "%04lld-%02u-%02uT%02u:%02u:%02u%sZ", (long long)y, m, d,
			   (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60), frac);
}
