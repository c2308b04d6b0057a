/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encoder: canonical proto3 JSON (an egw_node tree) -> protobuf wire bytes,
 * driven by protoc-c's descriptors.  No C message structs are built: the
 * walker writes the wire format directly, so the only state is the output
 * buffer and the JSON path kept for error messages.
 *
 * Output is deterministic: fields in field-number order, map entries sorted
 * by key, proto3 scalars at their default omitted, packed repeated scalars.
 * A length-delimited field is written by reserving one byte for its length,
 * encoding the body in place and widening the length afterwards when the
 * body turned out longer than 127 bytes.
 */
#include "pb.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "pb_internal.h"

#define MAX_PATH (PB_MAX_DEPTH * 3)

typedef enum { SEG_KEY, SEG_INDEX, SEG_MAPKEY } seg_kind;

typedef struct seg {
	seg_kind kind;
	const char *key;
	size_t klen;
	size_t idx;
} seg;

/* One slot of the field cache: JSON keys repeat across a resource's
 * messages (a route table's thousand routes), and their pointers are
 * unique while the tree is alive (keys are interned), so (message, key
 * pointer) finds the field without converting the name again. */
#define FIELD_CACHE 512
typedef struct field_slot {
	const ProtobufCMessageDescriptor *d;
	const char *key;
	const ProtobufCFieldDescriptor *f;
	unsigned gen;
} field_slot;

/* One slot of the body cache: a frozen node never changes, and the xds
 * stage points thousands of resources at one frozen copy of a common part
 * (a cluster's default load-balancing policy and circuit breakers), so the
 * body encoded for (node, message) is copied instead of encoded again.  A
 * slot first only notes a node; its bytes are kept from the second
 * sighting on, so nodes met once (every frozen input node) cost no copy.
 * The slots hold the bytes themselves: what is allocated does not depend on
 * which nodes happen to share a slot (that depends on their addresses), so
 * a translation allocates the same whatever the addresses. */
#define BODY_CACHE 128
#define BODY_MAX 240
typedef struct body_slot {
	const egw_node *v;
	const ProtobufCMessageDescriptor *d;
	unsigned gen;
	int depth;     /* the nesting it was encoded at: a hit must not be deeper */
	bool kept;     /* bytes[0..len) hold the body (from the second sighting) */
	uint8_t len;
	uint8_t bytes[BODY_MAX];
} body_slot;

typedef struct enc {
	egw_arena *a;
	field_slot *fields;
	body_slot *bodies;
	unsigned gen; /* this resource's generation in fields */
	uint8_t *p;
	size_t n, cap;
	const char *err;
	int depth;
	size_t npath;
	seg path[MAX_PATH];
} enc;

/* ---- output buffer ---- */

static void reserve(enc *e, size_t extra)
{
	if (e->n + extra <= e->cap)
		return;
	size_t nc = e->cap ? e->cap * 2 : 256;
	while (nc < e->n + extra)
		nc *= 2;
	e->p = egw_realloc(e->a, e->p, e->cap, nc);
	e->cap = nc;
}

static void put_varint(enc *e, uint64_t v)
{
	reserve(e, 10);
	while (v >= 0x80) {
		e->p[e->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	e->p[e->n++] = (uint8_t)v;
}

static void put_tag(enc *e, uint32_t num, int wt) { put_varint(e, (uint64_t)num << 3 | (unsigned)wt); }

static void put_fixed(enc *e, uint64_t v, int bytes)
{
	reserve(e, 8);
	for (int i = 0; i < bytes; i++)
		e->p[e->n++] = (uint8_t)(v >> (8 * i));
}

static void put_raw(enc *e, const void *p, size_t n)
{
	reserve(e, n);
	if (n)
		memcpy(e->p + e->n, p, n);
	e->n += n;
}

/* Starts a length-delimited body; returns where its one length byte is. */
static size_t len_begin(enc *e)
{
	reserve(e, 1);
	e->p[e->n++] = 0;
	return e->n - 1;
}

/* Ends the body started at mark; returns the body's length. */
static size_t len_end(enc *e, size_t mark)
{
	size_t body = e->n - mark - 1;
	uint8_t tmp[10];
	int k = 0;
	uint64_t v = body;
	while (v >= 0x80) {
		tmp[k++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[k++] = (uint8_t)v;
	if (k > 1) {
		reserve(e, (size_t)k - 1);
		memmove(e->p + mark + k, e->p + mark + 1, body);
		e->n += (size_t)k - 1;
	}
	memcpy(e->p + mark, tmp, (size_t)k);
	return body;
}

/* ---- errors ---- */

static void push(enc *e, seg_kind k, const char *key, size_t klen, size_t idx)
{
	if (e->npath < MAX_PATH)
		e->path[e->npath] = (seg){k, key, klen, idx};
	e->npath++;
}

static void pop(enc *e) { e->npath--; }

static int fail(enc *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(enc *e, const char *fmt, ...)
{
	if (e->err)
		return -1;
	size_t cap = 64, n = 0;
	for (size_t i = 0; i < e->npath && i < MAX_PATH; i++)
		cap += e->path[i].klen + 24;
	char *s = egw_alloc_raw(e->a, cap + 256);
	for (size_t i = 0; i < e->npath && i < MAX_PATH && n < cap; i++) {
		const seg *g = &e->path[i];
		if (g->kind == SEG_INDEX)
			n += (size_t)snprintf(s + n, cap - n, "[%zu]", g->idx);
		else if (g->kind == SEG_MAPKEY)
			n += (size_t)snprintf(s + n, cap - n, "[%.*s]", (int)g->klen, g->key);
		else
			n += (size_t)snprintf(s + n, cap - n, "%s%.*s", n ? "." : "", (int)g->klen, g->key);
	}
	if (n == 0)
		n += (size_t)snprintf(s, cap, "(root)");
	if (n > cap)
		n = cap; /* cannot happen: each segment has room; stay in bounds anyway */
	n += (size_t)snprintf(s + n, cap + 256 - n, ": ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s + n, cap + 256 - n, fmt, ap);
	va_end(ap);
	e->err = s;
	return -1;
}

static const char *kind_name(const egw_node *v)
{
	static const char *names[] = {"null", "a bool", "an integer", "a number", "a string",
				      "an array", "an object"};
	return v->kind <= EGW_OBJ ? names[v->kind] : "?";
}

/* ---- scalars ---- */

static bool is_scalar(const egw_node *v)
{
	return v->kind == EGW_BOOL || v->kind == EGW_INT || v->kind == EGW_FLOAT || v->kind == EGW_STR;
}

/* Integer from a JSON number or a numeric string (64-bit range either side). */
static bool json_int(const egw_node *v, bool *neg, uint64_t *mag)
{
	if (v->kind == EGW_INT) {
		int64_t i = egw_vint(v);
		*neg = i < 0;
		*mag = *neg ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
		return true;
	}
	const char *s;
	size_t n;
	if (v->kind == EGW_FLOAT) {
		s = v->str;
		n = v->len;
	} else if (v->kind == EGW_STR) {
		s = v->str;
		n = v->len;
	} else {
		return false;
	}
	if (n == 0)
		return false;
	size_t i = 0;
	*neg = false;
	if (s[0] == '-' || s[0] == '+') {
		*neg = s[0] == '-';
		i++;
	}
	uint64_t x = 0;
	size_t st = i;
	bool ok = true;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		uint64_t dgt = (uint64_t)(s[i] - '0');
		if (x > (UINT64_MAX - dgt) / 10)
			ok = false;
		x = x * 10 + dgt;
	}
	if (i == n && i > st && ok) {
		*mag = x;
		return true;
	}
	/* "1e3", "5.0": accept when the value is integral and fits a double exactly */
	char *end;
	char tmp[64];
	if (n >= sizeof tmp)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	double d = strtod(tmp, &end);
	if (*end || !isfinite(d) || d != floor(d) || fabs(d) >= 18446744073709551616.0)
		return false;
	*neg = d < 0;
	*mag = (uint64_t)fabs(d);
	return true;
}

static bool json_double(const egw_node *v, double *out)
{
	if (v->kind == EGW_INT) {
		*out = (double)egw_vint(v);
		return true;
	}
	if (v->kind == EGW_FLOAT) {
		*out = egw_vfloat(v);
		return true;
	}
	if (v->kind != EGW_STR || v->len == 0 || v->len > 64)
		return false;
	if (strcmp(v->str, "NaN") == 0) {
		*out = NAN;
		return true;
	}
	if (strcmp(v->str, "Infinity") == 0) {
		*out = INFINITY;
		return true;
	}
	if (strcmp(v->str, "-Infinity") == 0) {
		*out = -INFINITY;
		return true;
	}
	char *end;
	*out = strtod(v->str, &end);
	return *end == 0 && isfinite(*out);
}

/* A scalar's wire form: wt and either u (VARINT/I32/I64) or p/n (LEN). */
typedef struct sval {
	int wt;
	uint64_t u;
	const uint8_t *p;
	size_t n;
} sval;

static bool sval_default(const sval *s) { return s->wt == WT_LEN ? s->n == 0 : s->u == 0; }

static int enum_value(enc *e, const ProtobufCEnumDescriptor *ed, const egw_node *v, int32_t *out)
{
	if (v->kind == EGW_STR) {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, v->str);
		if (!ev)
			return fail(e, "unknown value \"%s\" of enum %s", v->str, ed->name);
		*out = ev->value;
		return 0;
	}
	if (v->kind == EGW_NULL && strcmp(ed->name, "google.protobuf.NullValue") == 0) {
		*out = 0;
		return 0;
	}
	bool neg;
	uint64_t mag;
	if (v->kind == EGW_INT && json_int(v, &neg, &mag) &&
	    (neg ? mag <= 2147483648u : mag <= 2147483647u)) {
		*out = neg ? (int32_t)(0 - (int64_t)mag) : (int32_t)mag;
		return 0;
	}
	return fail(e, "expected a name of enum %s, got %s", ed->name, kind_name(v));
}

static int scalar(enc *e, ProtobufCType t, const void *sub, const egw_node *v, sval *o)
{
	bool neg;
	uint64_t mag;
	double d;
	o->wt = WT_VARINT;
	o->u = 0;
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (!json_int(v, &neg, &mag) || (neg ? mag > 2147483648u : mag > 2147483647u))
			return fail(e, "expected a 32-bit integer, got %s", kind_name(v));
		{
			int32_t x = neg ? (int32_t)(0 - (int64_t)mag) : (int32_t)mag;
			if (t == PROTOBUF_C_TYPE_INT32) {
				o->u = (uint64_t)(int64_t)x;
			} else if (t == PROTOBUF_C_TYPE_SINT32) {
				o->u = ((uint32_t)x << 1) ^ (uint32_t)(x >> 31);
			} else {
				o->wt = WT_I32;
				o->u = (uint32_t)x;
			}
		}
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!json_int(v, &neg, &mag) || (neg && mag) || mag > UINT32_MAX)
			return fail(e, "expected an unsigned 32-bit integer, got %s", kind_name(v));
		o->u = mag;
		if (t == PROTOBUF_C_TYPE_FIXED32)
			o->wt = WT_I32;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (!json_int(v, &neg, &mag) || (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > INT64_MAX))
			return fail(e, "expected a 64-bit integer, got %s", kind_name(v));
		{
			uint64_t x = neg ? 0 - mag : mag; /* two's complement */
			if (t == PROTOBUF_C_TYPE_SINT64) {
				o->u = (x << 1) ^ (uint64_t)((int64_t)x >> 63);
			} else {
				o->u = x;
				if (t == PROTOBUF_C_TYPE_SFIXED64)
					o->wt = WT_I64;
			}
		}
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!json_int(v, &neg, &mag) || (neg && mag))
			return fail(e, "expected an unsigned 64-bit integer, got %s", kind_name(v));
		o->u = mag;
		if (t == PROTOBUF_C_TYPE_FIXED64)
			o->wt = WT_I64;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		if (!json_double(v, &d))
			return fail(e, "expected a number, got %s", kind_name(v));
		if (isfinite(d) && fabs(d) > 3.4028234663852886e38)
			return fail(e, "number out of float range");
		{
			float f = (float)d;
			uint32_t bits;
			memcpy(&bits, &f, 4);
			o->wt = WT_I32;
			o->u = bits;
		}
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		if (!json_double(v, &d))
			return fail(e, "expected a number, got %s", kind_name(v));
		memcpy(&o->u, &d, 8);
		o->wt = WT_I64;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (v->kind == EGW_BOOL)
			o->u = egw_vbool(v);
		else if (v->kind == EGW_STR && strcmp(v->str, "true") == 0)
			o->u = 1;
		else if (!(v->kind == EGW_STR && strcmp(v->str, "false") == 0))
			return fail(e, "expected a bool, got %s", kind_name(v));
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		int32_t x = 0;
		if (enum_value(e, sub, v, &x))
			return -1;
		o->u = (uint64_t)(int64_t)x;
		return 0;
	}
	case PROTOBUF_C_TYPE_STRING:
		/* YAML may type a plain scalar (a port, "yes"); its source text is the string */
		if (!is_scalar(v))
			return fail(e, "expected a string, got %s", kind_name(v));
		if (!pb_utf8_valid((const uint8_t *)v->str, v->len))
			return fail(e, "string is not valid UTF-8");
		o->wt = WT_LEN;
		o->p = (const uint8_t *)v->str;
		o->n = v->len;
		return 0;
	case PROTOBUF_C_TYPE_BYTES: {
		uint8_t *b;
		size_t bn;
		if (v->kind != EGW_STR || !pb_b64_decode(e->a, v->str, v->len, &b, &bn))
			return fail(e, "expected base64 bytes");
		o->wt = WT_LEN;
		o->p = b;
		o->n = bn;
		return 0;
	}
	default:
		return fail(e, "unsupported field type");
	}
}

static void put_sval(enc *e, const sval *s)
{
	switch (s->wt) {
	case WT_VARINT: put_varint(e, s->u); break;
	case WT_I32: put_fixed(e, s->u, 4); break;
	case WT_I64: put_fixed(e, s->u, 8); break;
	default:
		put_varint(e, s->n);
		put_raw(e, s->p, s->n);
	}
}

/* ---- messages ---- */

static int enc_body(enc *e, const ProtobufCMessageDescriptor *d, const egw_node *v, bool in_any);

/* Writes field num as a length-delimited message body; omits it when
 * omit_empty and the body is empty. */
static int enc_sub(enc *e, uint32_t num, const ProtobufCMessageDescriptor *d, const egw_node *v,
		   bool omit_empty)
{
	body_slot *bs = NULL;
	if (egw_frozen(v) && v->kind == EGW_OBJ && v->n) {
		uintptr_t h = ((uintptr_t)v >> 3) ^ ((uintptr_t)d >> 4);
		bs = &e->bodies[(h ^ (h >> 11)) % BODY_CACHE];
		if (bs->v == v && bs->d == d && bs->gen == e->gen) {
			if (bs->kept && e->depth <= bs->depth) {
				if (bs->len || !omit_empty) {
					put_tag(e, num, WT_LEN);
					put_varint(e, bs->len);
					put_raw(e, bs->bytes, bs->len);
				}
				return 0;
			}
		} else {
			bs->v = v;
			bs->d = d;
			bs->gen = e->gen;
			bs->kept = false;
			bs = NULL; /* noted; kept from the second sighting on */
		}
	}
	size_t start = e->n;
	put_tag(e, num, WT_LEN);
	size_t mark = len_begin(e);
	if (enc_body(e, d, v, false))
		return -1;
	size_t body = len_end(e, mark);
	if (bs && !bs->kept && body <= BODY_MAX) {
		memcpy(bs->bytes, e->p + e->n - body, body);
		bs->len = (uint8_t)body;
		bs->depth = e->depth;
		bs->kept = true;
	}
	if (body == 0 && omit_empty)
		e->n = start;
	return 0;
}

static int enc_value_of(enc *e, const ProtobufCFieldDescriptor *f, const egw_node *v, bool always)
{
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return enc_sub(e, f->id, f->descriptor, v, false);
	sval s;
	if (scalar(e, f->type, f->descriptor, v, &s))
		return -1;
	if (!always && sval_default(&s))
		return 0;
	put_tag(e, f->id, s.wt);
	put_sval(e, &s);
	return 0;
}

typedef struct mkey {
	const egw_member *m;
	int64_t num; /* integer keys sort by value */
} mkey;

static int cmp_mkey_str(const void *x, const void *y)
{
	const mkey *a = x, *b = y;
	size_t n = egw_member_klen(a->m) < egw_member_klen(b->m) ? egw_member_klen(a->m) : egw_member_klen(b->m);
	int c = memcmp(a->m->key, b->m->key, n);
	return c ? c : (egw_member_klen(a->m) > egw_member_klen(b->m)) - (egw_member_klen(a->m) < egw_member_klen(b->m));
}

static int cmp_mkey_num(const void *x, const void *y)
{
	const mkey *a = x, *b = y;
	return (a->num > b->num) - (a->num < b->num);
}

static int enc_map(enc *e, const ProtobufCFieldDescriptor *f, const egw_node *v)
{
	if (v->kind != EGW_OBJ)
		return fail(e, "expected an object (map), got %s", kind_name(v));
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
	mkey small[8];
	mkey *keys = v->n <= 8 ? small : EGW_NEWN(e->a, mkey, v->n);
	bool numeric = kf->type != PROTOBUF_C_TYPE_STRING && kf->type != PROTOBUF_C_TYPE_BOOL;
	for (size_t i = 0; i < v->n; i++) {
		keys[i].m = &v->c.members[i];
		if (numeric)
			keys[i].num = strtoll(keys[i].m->key, NULL, 10);
	}
	if (v->n > 1)
		qsort(keys, v->n, sizeof *keys, numeric ? cmp_mkey_num : cmp_mkey_str);
	for (size_t i = 0; i < v->n; i++) {
		const egw_member *m = keys[i].m;
		push(e, SEG_MAPKEY, m->key, egw_member_klen(m), 0);
		put_tag(e, f->id, WT_LEN);
		size_t mark = len_begin(e);
		/* JSON writes every map key as a string, integer and bool keys too */
		egw_node kn = {.kind = EGW_STR, .str = m->key, .len = egw_member_klen(m)};
		if (enc_value_of(e, kf, &kn, true))
			return -1;
		if (m->val->kind == EGW_NULL && vf->type == PROTOBUF_C_TYPE_MESSAGE &&
		    pb_wkt_of(vf->descriptor) != WKT_VALUE) {
			/* null map value: an empty message */
			put_tag(e, vf->id, WT_LEN);
			put_varint(e, 0);
		} else if (m->val->kind == EGW_NULL && vf->type != PROTOBUF_C_TYPE_MESSAGE) {
			/* default scalar: key only */
		} else if (enc_value_of(e, vf, m->val, true)) {
			return -1;
		}
		len_end(e, mark);
		pop(e);
	}
	return 0;
}

static bool packable(ProtobufCType t)
{
	return t != PROTOBUF_C_TYPE_STRING && t != PROTOBUF_C_TYPE_BYTES && t != PROTOBUF_C_TYPE_MESSAGE;
}

static int enc_repeated(enc *e, const ProtobufCFieldDescriptor *f, const egw_node *v)
{
	if (v->kind != EGW_ARR)
		return fail(e, "expected an array, got %s", kind_name(v));
	if (v->n == 0)
		return 0;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) && packable(f->type)) {
		put_tag(e, f->id, WT_LEN);
		size_t mark = len_begin(e);
		for (size_t i = 0; i < v->n; i++) {
			push(e, SEG_INDEX, NULL, 0, i);
			sval s;
			if (scalar(e, f->type, f->descriptor, v->c.items[i], &s))
				return -1;
			put_sval(e, &s);
			pop(e);
		}
		len_end(e, mark);
		return 0;
	}
	for (size_t i = 0; i < v->n; i++) {
		const egw_node *it = v->c.items[i];
		push(e, SEG_INDEX, NULL, 0, i);
		if (it->kind == EGW_NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    pb_wkt_of(f->descriptor) != WKT_VALUE) {
			put_tag(e, f->id, WT_LEN);
			put_varint(e, 0);
		} else if (it->kind == EGW_NULL) {
			return fail(e, "null in a repeated field");
		} else if (enc_value_of(e, f, it, true)) {
			return -1;
		}
		pop(e);
	}
	return 0;
}

static int enc_field(enc *e, const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
		     const egw_node *v)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return pb_is_map(d, f) ? enc_map(e, f, v) : enc_repeated(e, f, v);
	/* proto3 fields without presence omit their default; oneof members and
	 * proto2 optional fields are written whenever they are set */
	bool always = f->label != PROTOBUF_C_LABEL_NONE || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
	return enc_value_of(e, f, v, always);
}

typedef struct fent {
	const ProtobufCFieldDescriptor *f;
	const egw_member *m;
} fent;

/* Field-number order.  Most messages have a few fields, often in order
 * already: an insertion sort does that in one pass, where qsort (a merge
 * sort through a comparison callback) was 4 % of a translation. */
static void sort_fents(fent *fs, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		fent t = fs[i];
		size_t j = i;
		while (j > 0 && fs[j - 1].f->id > t.f->id) {
			fs[j] = fs[j - 1];
			j--;
		}
		fs[j] = t;
	}
}

static const ProtobufCFieldDescriptor *field_of(enc *e, const ProtobufCMessageDescriptor *d,
					       const egw_member *m)
{
	uintptr_t h = ((uintptr_t)d >> 4) ^ ((uintptr_t)m->key >> 3) ^ ((uintptr_t)m->key >> 11);
	field_slot *s = &e->fields[h & (FIELD_CACHE - 1)];
	if (s->gen == e->gen && s->d == d && s->key == m->key)
		return s->f;
	const ProtobufCFieldDescriptor *f = pb_find_field(d, m->key, egw_member_klen(m));
	*s = (field_slot){ d, m->key, f, e->gen };
	return f;
}

static int enc_plain(enc *e, const ProtobufCMessageDescriptor *d, const egw_node *v, bool in_any)
{
	if (v->kind != EGW_OBJ)
		return fail(e, "expected an object (%s), got %s", d->name, kind_name(v));
	/* on the stack when small (most messages): an arena array per
	 * message was garbage as large as the output */
	fent small[16];
	fent *fs = v->n <= 16 ? small : EGW_NEWN(e->a, fent, v->n);
	size_t nf = 0;
	for (size_t i = 0; i < v->n; i++) {
		const egw_member *m = &v->c.members[i];
		if (in_any && strcmp(m->key, "@type") == 0)
			continue;
		const ProtobufCFieldDescriptor *f = field_of(e, d, m);
		if (!f) {
			push(e, SEG_KEY, m->key, egw_member_klen(m), 0);
			return fail(e, "unknown field (in %s)", d->name);
		}
		if (m->val->kind == EGW_NULL && !(f->type == PROTOBUF_C_TYPE_MESSAGE &&
						  pb_wkt_of(f->descriptor) == WKT_VALUE &&
						  f->label != PROTOBUF_C_LABEL_REPEATED))
			continue; /* null is "not set" */
		fs[nf++] = (fent){f, m};
	}
	sort_fents(fs, nf);
	for (size_t i = 0; i < nf; i++) {
		push(e, SEG_KEY, fs[i].m->key, egw_member_klen(fs[i].m), 0);
		if (i > 0 && fs[i - 1].f == fs[i].f)
			return fail(e, "field given twice");
		if (fs[i].f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			for (size_t j = 0; j < i; j++)
				if ((fs[j].f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
				    fs[j].f->quantifier_offset == fs[i].f->quantifier_offset)
					return fail(e, "more than one field of a oneof (also %s)",
						    fs[j].m->key);
		}
		if (enc_field(e, d, fs[i].f, fs[i].m->val))
			return -1;
		pop(e);
	}
	return 0;
}

/* ---- well-known types ---- */

static int enc_value(enc *e, const egw_node *v);

static int enc_struct(enc *e, const egw_node *v)
{
	if (v->kind != EGW_OBJ)
		return fail(e, "expected an object (Struct), got %s", kind_name(v));
	mkey small[8];
	mkey *keys = v->n <= 8 ? small : EGW_NEWN(e->a, mkey, v->n);
	for (size_t i = 0; i < v->n; i++)
		keys[i].m = &v->c.members[i];
	if (v->n > 1)
		qsort(keys, v->n, sizeof *keys, cmp_mkey_str);
	for (size_t i = 0; i < v->n; i++) {
		const egw_member *m = keys[i].m;
		push(e, SEG_KEY, m->key, egw_member_klen(m), 0);
		if (!pb_utf8_valid((const uint8_t *)m->key, egw_member_klen(m)))
			return fail(e, "key is not valid UTF-8");
		put_tag(e, 1, WT_LEN);
		size_t mark = len_begin(e);
		put_tag(e, 1, WT_LEN);
		put_varint(e, egw_member_klen(m));
		put_raw(e, m->key, egw_member_klen(m));
		put_tag(e, 2, WT_LEN);
		size_t vm = len_begin(e);
		if (enc_value(e, m->val))
			return -1;
		len_end(e, vm);
		len_end(e, mark);
		pop(e);
	}
	return 0;
}

static int enc_list(enc *e, const egw_node *v)
{
	if (v->kind != EGW_ARR)
		return fail(e, "expected an array (ListValue), got %s", kind_name(v));
	for (size_t i = 0; i < v->n; i++) {
		push(e, SEG_INDEX, NULL, 0, i);
		put_tag(e, 1, WT_LEN);
		size_t mark = len_begin(e);
		if (enc_value(e, v->c.items[i]))
			return -1;
		len_end(e, mark);
		pop(e);
	}
	return 0;
}

/* google.protobuf.Value body */
static int enc_value(enc *e, const egw_node *v)
{
	if (++e->depth > PB_MAX_DEPTH)
		return fail(e, "nesting deeper than %d", PB_MAX_DEPTH);
	int rc = 0;
	size_t mark;
	double d;
	switch (v->kind) {
	case EGW_NULL:
		put_tag(e, 1, WT_VARINT);
		put_varint(e, 0);
		break;
	case EGW_INT:
	case EGW_FLOAT:
		d = v->kind == EGW_INT ? (double)egw_vint(v) : egw_vfloat(v);
		if (!isfinite(d)) {
			rc = fail(e, "Value numbers must be finite");
			break;
		}
		put_tag(e, 2, WT_I64);
		{
			uint64_t bits;
			memcpy(&bits, &d, 8);
			put_fixed(e, bits, 8);
		}
		break;
	case EGW_STR:
		if (!pb_utf8_valid((const uint8_t *)v->str, v->len)) {
			rc = fail(e, "string is not valid UTF-8");
			break;
		}
		put_tag(e, 3, WT_LEN);
		put_varint(e, v->len);
		put_raw(e, v->str, v->len);
		break;
	case EGW_BOOL:
		put_tag(e, 4, WT_VARINT);
		put_varint(e, egw_vbool(v));
		break;
	case EGW_OBJ:
		put_tag(e, 5, WT_LEN);
		mark = len_begin(e);
		rc = enc_struct(e, v);
		if (!rc)
			len_end(e, mark);
		break;
	case EGW_ARR:
		put_tag(e, 6, WT_LEN);
		mark = len_begin(e);
		rc = enc_list(e, v);
		if (!rc)
			len_end(e, mark);
		break;
	}
	e->depth--;
	return rc;
}

static int enc_any(enc *e, const egw_node *v)
{
	if (v->kind != EGW_OBJ)
		return fail(e, "expected an object (Any), got %s", kind_name(v));
	const egw_node *t = egw_get(v, "@type");
	if (!t) {
		if (v->n == 0)
			return 0;
		return fail(e, "Any without \"@type\"");
	}
	if (t->kind != EGW_STR)
		return fail(e, "\"@type\" must be a string");
	const char *slash = strrchr(t->str, '/');
	const char *name = slash ? slash + 1 : t->str;
	const ProtobufCMessageDescriptor *d = pb_lookup(name, strlen(name));
	if (!d) {
		push(e, SEG_KEY, "@type", 5, 0);
		return fail(e, "unknown type %s", t->str);
	}
	if (!pb_utf8_valid((const uint8_t *)t->str, t->len))
		return fail(e, "\"@type\" is not valid UTF-8");
	put_tag(e, 1, WT_LEN);
	put_varint(e, t->len);
	put_raw(e, t->str, t->len);
	size_t start = e->n;
	put_tag(e, 2, WT_LEN);
	size_t mark = len_begin(e);
	pb_wkt w = pb_wkt_of(d);
	int rc;
	if (w != WKT_NONE) {
		/* a well-known type inside Any keeps its JSON form under "value" */
		const egw_node *inner = egw_get(v, "value");
		for (size_t i = 0; i < v->n; i++) {
			const char *k = v->c.members[i].key;
			if (strcmp(k, "@type") != 0 && strcmp(k, "value") != 0) {
				push(e, SEG_KEY, k, egw_member_klen(&v->c.members[i]), 0);
				return fail(e, "unknown field (in Any of %s)", d->name);
			}
		}
		if (!inner || inner->kind == EGW_NULL)
			rc = 0;
		else {
			push(e, SEG_KEY, "value", 5, 0);
			rc = enc_body(e, d, inner, false);
			if (!rc)
				pop(e);
		}
	} else {
		rc = enc_body(e, d, v, true);
	}
	if (rc)
		return -1;
	if (len_end(e, mark) == 0)
		e->n = start;
	return 0;
}

static int enc_wrapper(enc *e, const ProtobufCMessageDescriptor *d, const egw_node *v)
{
	const ProtobufCFieldDescriptor *f = &d->fields[0];
	sval s;
	if (scalar(e, f->type, f->descriptor, v, &s))
		return -1;
	if (!sval_default(&s)) {
		put_tag(e, 1, s.wt);
		put_sval(e, &s);
	}
	return 0;
}

static int enc_fieldmask(enc *e, const egw_node *v)
{
	if (v->kind != EGW_STR)
		return fail(e, "expected a string (FieldMask), got %s", kind_name(v));
	const char *s = v->str;
	while (*s) {
		const char *c = strchr(s, ',');
		size_t n = c ? (size_t)(c - s) : strlen(s);
		char *path = egw_alloc_raw(e->a, n * 2 + 1);
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			if (s[i] >= 'A' && s[i] <= 'Z') {
				path[j++] = '_';
				path[j++] = (char)(s[i] - 'A' + 'a');
			} else {
				path[j++] = s[i];
			}
		}
		put_tag(e, 1, WT_LEN);
		put_varint(e, j);
		put_raw(e, path, j);
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int enc_time(enc *e, const egw_node *v, bool duration)
{
	int64_t secs;
	int32_t nanos;
	if (v->kind != EGW_STR ||
	    !(duration ? pb_duration_parse(v->str, v->len, &secs, &nanos)
		       : pb_timestamp_parse(v->str, v->len, &secs, &nanos)))
		return fail(e, duration ? "expected a duration like \"1.5s\""
					: "expected an RFC 3339 timestamp");
	if (secs) {
		put_tag(e, 1, WT_VARINT);
		put_varint(e, (uint64_t)secs);
	}
	if (nanos) {
		put_tag(e, 2, WT_VARINT);
		put_varint(e, (uint64_t)(int64_t)nanos);
	}
	return 0;
}

/* Body of message d from JSON v (no tag/length). */
static int enc_body(enc *e, const ProtobufCMessageDescriptor *d, const egw_node *v, bool in_any)
{
	if (++e->depth > PB_MAX_DEPTH)
		return fail(e, "nesting deeper than %d", PB_MAX_DEPTH);
	int rc;
	switch (in_any ? WKT_NONE : pb_wkt_of(d)) {
	case WKT_ANY: rc = enc_any(e, v); break;
	case WKT_DURATION: rc = enc_time(e, v, true); break;
	case WKT_TIMESTAMP: rc = enc_time(e, v, false); break;
	case WKT_STRUCT: rc = enc_struct(e, v); break;
	case WKT_VALUE: rc = enc_value(e, v); break;
	case WKT_LIST: rc = enc_list(e, v); break;
	case WKT_FIELDMASK: rc = enc_fieldmask(e, v); break;
	case WKT_WRAPPER: rc = enc_wrapper(e, d, v); break;
	case WKT_EMPTY:
		rc = (v->kind == EGW_OBJ && v->n == 0) ? 0 : fail(e, "expected {} (Empty)");
		break;
	default: rc = enc_plain(e, d, v, in_any); break;
	}
	e->depth--;
	return rc;
}

/* ---- API ---- */

int egw_pb_known(const char *full_name)
{
	return full_name && pb_lookup(full_name, strlen(full_name)) != NULL;
}

/* Makes every cached field lookup a miss (allocating the cache once). */
static void next_generation(egw_ctx *c)
{
	if (!c->pb_fields || c->pb_gen == UINT_MAX) {
		if (!c->pb_fields) {
			c->pb_fields = EGW_NEWN(c->arena, field_slot, FIELD_CACHE);
			c->pb_bodies = EGW_NEWN(c->arena, body_slot, BODY_CACHE);
		}
		memset(c->pb_fields, 0, FIELD_CACHE * sizeof(field_slot));
		memset(c->pb_bodies, 0, BODY_CACHE * sizeof(body_slot));
		c->pb_gen = 0;
	}
	c->pb_gen++;
}

void egw_pb_run_begin(egw_ctx *c)
{
	next_generation(c);
	c->pb_run = true;
}

void egw_pb_run_end(egw_ctx *c)
{
	c->pb_run = false;
}

int egw_pb_encode(egw_ctx *c, const char *full_name, const egw_node *json, uint8_t **out,
		  size_t *len, const char **err)
{
	const char *dummy;
	if (!err)
		err = &dummy;
	/* the encoder state (about 10 KiB, mostly the error path) lives on the
	 * stack: one per resource in the arena was most of serialization's memory */
	enc estate;
	/* not the whole struct: path[] is only read below npath */
	estate.p = c->scratch;
	estate.cap = c->scratch_cap;
	estate.n = 0;
	estate.err = NULL;
	estate.depth = 0;
	estate.npath = 0;
	enc *e = &estate;
	e->a = c->arena;
	if (!c->pb_run)
		next_generation(c);
	e->fields = c->pb_fields;
	e->bodies = c->pb_bodies;
	e->gen = c->pb_gen;
	*out = NULL;
	*len = 0;
	const ProtobufCMessageDescriptor *d = full_name ? pb_lookup(full_name, strlen(full_name)) : NULL;
	if (!d) {
		*err = egw_sprintf(c->arena, "unknown message type %s", full_name ? full_name : "(null)");
		return -1;
	}
	if (!json) {
		*err = "no JSON to encode";
		return -1;
	}
	int rc = json->kind == EGW_NULL ? 0 : enc_body(e, d, json, false);
	/* keep the (possibly grown) buffer for the next resource */
	c->scratch = e->p;
	c->scratch_cap = e->cap;
	if (rc) {
		*err = e->err ? e->err : "encoding failed";
		return -1;
	}
	/* an exact copy: never NULL, even for an empty message */
	*out = egw_alloc_raw(c->arena, e->n ? e->n : 1);
	if (e->n)
		memcpy(*out, e->p, e->n);
	*len = e->n;
	return 0;
}
