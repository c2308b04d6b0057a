/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoder: protobuf wire bytes -> canonical proto3 JSON (egw_node), driven
 * by protoc-c's descriptors.  One pass splits a message into records (field,
 * wire type, value); a second pass emits the fields in field-number order,
 * which is how protojson orders them too.  Repeated fields accept packed and
 * unpacked records; a singular message that appears more than once is
 * merged (its records are concatenated, as the wire format defines); of a
 * oneof, the member seen last wins.  Unknown fields and fields whose wire
 * type does not match are skipped.  Every read is bounds-checked and
 * nesting is limited to PB_MAX_DEPTH, so garbage gives an error, not a crash.
 */
#include "pb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_internal.h"

typedef struct dec {
	egw_arena *a;
	egw_arena *tmp; /* records and indexes, dropped after the call (or a) */
	const char *err;
	int depth;
} dec;

typedef struct rec {
	const ProtobufCFieldDescriptor *f;
	int wt;
	uint64_t u;
	const uint8_t *p;
	size_t n;
} rec;

static egw_node *bad(dec *d, const char *what, const char *where)
{
	if (!d->err)
		d->err = egw_sprintf(d->a, "%s%s%s", where ? where : "", where ? ": " : "", what);
	return NULL;
}

static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (*p >= end)
			return false;
		uint8_t b = *(*p)++;
		if (shift == 63 && b > 1)
			return false;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

static bool get_fixed(const uint8_t **p, const uint8_t *end, int bytes, uint64_t *v)
{
	if ((size_t)(end - *p) < (size_t)bytes)
		return false;
	uint64_t x = 0;
	for (int i = 0; i < bytes; i++)
		x |= (uint64_t)(*p)[i] << (8 * i);
	*p += bytes;
	*v = x;
	return true;
}

/* Reads one record's value; skips groups.  Returns false on malformed input. */
static bool read_value(const uint8_t **p, const uint8_t *end, int wt, uint32_t num, rec *r, int depth)
{
	r->wt = wt;
	switch (wt) {
	case WT_VARINT: return get_varint(p, end, &r->u);
	case WT_I64: return get_fixed(p, end, 8, &r->u);
	case WT_I32: return get_fixed(p, end, 4, &r->u);
	case WT_LEN: {
		uint64_t n;
		if (!get_varint(p, end, &n) || n > (uint64_t)(end - *p))
			return false;
		r->p = *p;
		r->n = (size_t)n;
		*p += n;
		return true;
	}
	case WT_SGROUP:
		/* legacy groups: skip to the matching end tag */
		if (depth > PB_MAX_DEPTH)
			return false;
		for (;;) {
			uint64_t tag;
			if (!get_varint(p, end, &tag))
				return false;
			int w = (int)(tag & 7);
			uint32_t n = (uint32_t)(tag >> 3);
			if (w == WT_EGROUP)
				return n == num;
			rec tmp;
			if (n == 0 || !read_value(p, end, w, n, &tmp, depth + 1))
				return false;
		}
	default: return false;
	}
}

static bool wt_fits(const ProtobufCFieldDescriptor *f, int wt)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE: return wt == WT_LEN;
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT: return wt == WT_I32 || (wt == WT_LEN && f->label == PROTOBUF_C_LABEL_REPEATED);
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return wt == WT_I64 || (wt == WT_LEN && f->label == PROTOBUF_C_LABEL_REPEATED);
	default: return wt == WT_VARINT || (wt == WT_LEN && f->label == PROTOBUF_C_LABEL_REPEATED);
	}
}

/* Splits a message into the records of known fields. */
static bool split(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n, rec **out,
		  size_t *nout)
{
	const uint8_t *end = p + n;
	size_t cap = 8, k = 0;
	rec *rs = EGW_NEWN(d->tmp, rec, cap);
	while (p < end) {
		uint64_t tag;
		if (!get_varint(&p, end, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
			return false;
		int wt = (int)(tag & 7);
		uint32_t num = (uint32_t)(tag >> 3);
		rec r = {0};
		if (!read_value(&p, end, wt, num, &r, d->depth))
			return false;
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(md, num);
		if (!f || !wt_fits(f, wt))
			continue; /* unknown field: not part of the JSON */
		r.f = f;
		if (k == cap) {
			rs = egw_realloc(d->tmp, rs, cap * sizeof *rs, cap * 2 * sizeof *rs);
			cap *= 2;
		}
		rs[k++] = r;
	}
	*out = rs;
	*nout = k;
	return true;
}

/* ---- scalars ---- */

static egw_node *u64_str(dec *d, uint64_t v) { return egw_strf(d->a, "%llu", (unsigned long long)v); }
static egw_node *i64_str(dec *d, int64_t v) { return egw_strf(d->a, "%lld", (long long)v); }

static egw_node *float_node(dec *d, double v, bool single)
{
	if (isnan(v))
		return egw_nstr(d->a, "NaN");
	if (isinf(v))
		return egw_nstr(d->a, v > 0 ? "Infinity" : "-Infinity");
	if (single) {
		/* the shortest text that reads back as the same float */
		char buf[40];
		for (int prec = 1; prec <= 9; prec++) {
			snprintf(buf, sizeof buf, "%.*g", prec, v);
			if ((float)strtod(buf, NULL) == (float)v)
				break;
		}
		v = strtod(buf, NULL);
	}
	return egw_float(d->a, v);
}

static egw_node *enum_node(dec *d, const ProtobufCEnumDescriptor *ed, int32_t v)
{
	if (strcmp(ed->name, "google.protobuf.NullValue") == 0)
		return egw_null(d->a);
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
	return ev ? egw_nstr(d->a, ev->name) : egw_int(d->a, v);
}

/* One scalar from a VARINT/I32/I64 value. */
static egw_node *num_node(dec *d, const ProtobufCFieldDescriptor *f, uint64_t u)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: return egw_int(d->a, (int32_t)(uint32_t)u);
	case PROTOBUF_C_TYPE_SINT32: {
		uint32_t x = (uint32_t)u;
		return egw_int(d->a, (int32_t)((x >> 1) ^ (0u - (x & 1))));
	}
	case PROTOBUF_C_TYPE_SFIXED32: return egw_int(d->a, (int32_t)(uint32_t)u);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: return egw_int(d->a, (int64_t)(uint32_t)u);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SFIXED64: return i64_str(d, (int64_t)u);
	case PROTOBUF_C_TYPE_SINT64: return i64_str(d, (int64_t)((u >> 1) ^ (0 - (u & 1))));
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: return u64_str(d, u);
	case PROTOBUF_C_TYPE_BOOL: return egw_bool(d->a, u != 0);
	case PROTOBUF_C_TYPE_ENUM: return enum_node(d, f->descriptor, (int32_t)(uint32_t)u);
	case PROTOBUF_C_TYPE_FLOAT: {
		uint32_t bits = (uint32_t)u;
		float x;
		memcpy(&x, &bits, 4);
		return float_node(d, x, true);
	}
	case PROTOBUF_C_TYPE_DOUBLE: {
		double x;
		memcpy(&x, &u, 8);
		return float_node(d, x, false);
	}
	default: return NULL;
	}
}

static bool num_is_default(const ProtobufCFieldDescriptor *f, uint64_t u)
{
	if (f->type == PROTOBUF_C_TYPE_FLOAT)
		return (uint32_t)u == 0;
	return u == 0;
}

static egw_node *dec_body(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n);

/* The JSON value of one LEN record of field f (string, bytes, message). */
static egw_node *len_node(dec *d, const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t n)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (!pb_utf8_valid(p, n))
			return bad(d, "string is not valid UTF-8", f->name);
		return egw_strn(d->a, (const char *)p, n);
	case PROTOBUF_C_TYPE_BYTES: return egw_nstr(d->a, pb_b64_encode(d->a, p, n));
	case PROTOBUF_C_TYPE_MESSAGE: return dec_body(d, f->descriptor, p, n);
	default: return bad(d, "unexpected length-delimited value", f->name);
	}
}

/* Appends every value of a repeated scalar record (packed or not) to arr. */
static bool push_scalars(dec *d, const ProtobufCFieldDescriptor *f, const rec *r, egw_node *arr)
{
	if (r->wt != WT_LEN || f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES) {
		egw_node *v = r->wt == WT_LEN ? len_node(d, f, r->p, r->n) : num_node(d, f, r->u);
		if (!v)
			return false;
		egw_arr_push(d->a, arr, v);
		return true;
	}
	const uint8_t *p = r->p, *end = r->p + r->n;
	int wt = (f->type == PROTOBUF_C_TYPE_FLOAT || f->type == PROTOBUF_C_TYPE_FIXED32 ||
		  f->type == PROTOBUF_C_TYPE_SFIXED32)
			 ? WT_I32
		 : (f->type == PROTOBUF_C_TYPE_DOUBLE || f->type == PROTOBUF_C_TYPE_FIXED64 ||
		    f->type == PROTOBUF_C_TYPE_SFIXED64)
			 ? WT_I64
			 : WT_VARINT;
	while (p < end) {
		uint64_t u;
		bool ok = wt == WT_VARINT ? get_varint(&p, end, &u) : get_fixed(&p, end, wt == WT_I32 ? 4 : 8, &u);
		if (!ok) {
			bad(d, "malformed packed field", f->name);
			return false;
		}
		egw_arr_push(d->a, arr, num_node(d, f, u));
	}
	return true;
}

static egw_node *map_key_node(dec *d, const ProtobufCFieldDescriptor *kf, const rec *r)
{
	if (!r)
		return kf->type == PROTOBUF_C_TYPE_STRING ? egw_nstr(d->a, "")
		       : kf->type == PROTOBUF_C_TYPE_BOOL ? egw_nstr(d->a, "false")
							   : egw_nstr(d->a, "0");
	egw_node *k = r->wt == WT_LEN ? len_node(d, kf, r->p, r->n) : num_node(d, kf, r->u);
	return k;
}

/* Default JSON value of a field (map values that are absent on the wire). */
static egw_node *default_node(dec *d, const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_MESSAGE: return dec_body(d, f->descriptor, NULL, 0);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES: return egw_nstr(d->a, "");
	default: return num_node(d, f, 0);
	}
}

static bool add_map_entry(dec *d, const ProtobufCFieldDescriptor *f, const rec *r, egw_node *obj)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	rec *rs;
	size_t nr;
	if (!split(d, ed, r->p, r->n, &rs, &nr)) {
		bad(d, "malformed map entry", f->name);
		return false;
	}
	const rec *kr = NULL, *vr = NULL;
	for (size_t i = 0; i < nr; i++) {
		if (rs[i].f->id == 1)
			kr = &rs[i];
		else
			vr = &rs[i];
	}
	egw_node *k = map_key_node(d, &ed->fields[0], kr);
	if (!k)
		return false;
	const ProtobufCFieldDescriptor *vf = &ed->fields[1];
	egw_node *v;
	if (!vr)
		v = default_node(d, vf);
	else if (vr->wt == WT_LEN)
		v = len_node(d, vf, vr->p, vr->n);
	else
		v = num_node(d, vf, vr->u);
	if (!v)
		return false;
	egw_obj_setn(d->a, obj, k->str, k->len, v);
	return true;
}

/* ---- well-known types ---- */

static egw_node *dec_struct(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n)
{
	rec *rs;
	size_t nr;
	if (!split(d, md, p, n, &rs, &nr))
		return bad(d, "malformed Struct", NULL);
	egw_node *obj = egw_obj(d->a);
	for (size_t i = 0; i < nr; i++)
		if (!add_map_entry(d, rs[i].f, &rs[i], obj))
			return NULL;
	return obj;
}

static egw_node *dec_list(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n)
{
	rec *rs;
	size_t nr;
	if (!split(d, md, p, n, &rs, &nr))
		return bad(d, "malformed ListValue", NULL);
	egw_node *arr = egw_arr(d->a);
	for (size_t i = 0; i < nr; i++) {
		egw_node *v = dec_body(d, rs[i].f->descriptor, rs[i].p, rs[i].n);
		if (!v)
			return NULL;
		egw_arr_push(d->a, arr, v);
	}
	return arr;
}

static egw_node *dec_value_msg(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n)
{
	rec *rs;
	size_t nr;
	if (!split(d, md, p, n, &rs, &nr))
		return bad(d, "malformed Value", NULL);
	if (nr == 0)
		return egw_null(d->a); /* no kind set */
	const rec *r = &rs[nr - 1]; /* the oneof's last member wins */
	if (r->wt == WT_LEN)
		return len_node(d, r->f, r->p, r->n);
	if (r->f->type == PROTOBUF_C_TYPE_DOUBLE) {
		double x;
		memcpy(&x, &r->u, 8);
		if (!isfinite(x))
			return bad(d, "Value number is not finite", NULL);
		if (x == floor(x) && fabs(x) < 9007199254740992.0)
			return egw_int(d->a, (int64_t)x);
		return egw_float(d->a, x);
	}
	return num_node(d, r->f, r->u);
}

static egw_node *dec_time(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n,
			  bool duration)
{
	rec *rs;
	size_t nr;
	if (!split(d, md, p, n, &rs, &nr))
		return bad(d, "malformed Duration/Timestamp", NULL);
	int64_t secs = 0;
	int32_t nanos = 0;
	for (size_t i = 0; i < nr; i++) {
		if (rs[i].f->id == 1)
			secs = (int64_t)rs[i].u;
		else
			nanos = (int32_t)(uint32_t)rs[i].u;
	}
	char *s = duration ? pb_duration_format(d->a, secs, nanos) : pb_timestamp_format(d->a, secs, nanos);
	if (!s)
		return bad(d, duration ? "Duration out of range" : "Timestamp out of range", NULL);
	return egw_nstr(d->a, s);
}

static egw_node *dec_wrapper(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n)
{
	rec *rs;
	size_t nr;
	if (!split(d, md, p, n, &rs, &nr))
		return bad(d, "malformed wrapper", md->name);
	const ProtobufCFieldDescriptor *f = &md->fields[0];
	if (nr == 0)
		return default_node(d, f);
	const rec *r = &rs[nr - 1];
	return r->wt == WT_LEN ? len_node(d, f, r->p, r->n) : num_node(d, f, r->u);
}

static egw_node *dec_fieldmask(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n)
{
	rec *rs;
	size_t nr;
	if (!split(d, md, p, n, &rs, &nr))
		return bad(d, "malformed FieldMask", NULL);
	size_t total = 1;
	for (size_t i = 0; i < nr; i++)
		total += rs[i].n + 1;
	char *s = egw_alloc_raw(d->a, total);
	size_t j = 0;
	for (size_t i = 0; i < nr; i++) {
		if (j)
			s[j++] = ',';
		bool up = false;
		for (size_t k = 0; k < rs[i].n; k++) {
			char ch = (char)rs[i].p[k];
			if (ch == '_') {
				up = true;
				continue;
			}
			if (up && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			up = false;
			s[j++] = ch;
		}
	}
	s[j] = 0;
	return egw_strn(d->a, s, j);
}

static egw_node *dec_any(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n)
{
	rec *rs;
	size_t nr;
	if (!split(d, md, p, n, &rs, &nr))
		return bad(d, "malformed Any", NULL);
	const rec *url = NULL, *val = NULL;
	for (size_t i = 0; i < nr; i++) {
		if (rs[i].f->id == 1)
			url = &rs[i];
		else
			val = &rs[i];
	}
	egw_node *obj = egw_obj(d->a);
	if (!url || url->n == 0) {
		if (val && val->n)
			return bad(d, "Any with a value but no type URL", NULL);
		return obj;
	}
	if (!pb_utf8_valid(url->p, url->n))
		return bad(d, "Any type URL is not valid UTF-8", NULL);
	const char *u = (const char *)url->p;
	const char *name = u;
	for (size_t i = 0; i < url->n; i++)
		if (u[i] == '/')
			name = u + i + 1;
	size_t nlen = url->n - (size_t)(name - u);
	const ProtobufCMessageDescriptor *inner = pb_lookup(name, nlen);
	if (!inner)
		return bad(d, egw_sprintf(d->a, "unknown type %.*s", (int)url->n, u), "@type");
	egw_set_str(d->a, obj, "@type", egw_strndup(d->a, u, url->n));
	egw_node *v = dec_body(d, inner, val ? val->p : NULL, val ? val->n : 0);
	if (!v)
		return NULL;
	if (pb_wkt_of(inner) != WKT_NONE) {
		egw_obj_set(d->a, obj, "value", v);
	} else {
		for (size_t i = 0; i < v->n; i++)
			egw_obj_append(d->a, obj, v->c.members[i].key, egw_member_klen(&v->c.members[i]),
				       v->c.members[i].val);
	}
	return obj;
}

/* ---- messages ---- */

static egw_node *dec_plain(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n)
{
	rec *rs;
	size_t nr;
	if (!split(d, md, p, n, &rs, &nr))
		return bad(d, "malformed message", md->name);
	egw_node *obj = egw_obj(d->a);
	if (nr == 0)
		return obj;
	/* records grouped by field, in field-number order, keeping wire order
	 * within a field (a stable sort by field index) */
	size_t *cnt = EGW_NEWN(d->tmp, size_t, md->n_fields + 1);
	for (size_t i = 0; i < nr; i++)
		cnt[rs[i].f - md->fields + 1]++;
	for (unsigned i = 0; i < md->n_fields; i++)
		cnt[i + 1] += cnt[i];
	const rec **by = EGW_NEWN(d->tmp, const rec *, nr);
	size_t *last = EGW_NEWN(d->tmp, size_t, md->n_fields); /* 1 + wire position of the last record */
	for (size_t i = 0; i < nr; i++) {
		size_t fi = (size_t)(rs[i].f - md->fields);
		by[cnt[fi]++] = &rs[i];
		last[fi] = i + 1;
	}
	/* cnt[fi] is now the end of field fi's run; its start is cnt[fi - 1] */
	for (unsigned fi = 0; fi < md->n_fields; fi++) {
		size_t start = fi ? cnt[fi - 1] : 0, end = cnt[fi];
		if (start == end)
			continue;
		const ProtobufCFieldDescriptor *f = &md->fields[fi];
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			bool beaten = false;
			for (unsigned g = 0; g < md->n_fields; g++)
				if (g != fi && (md->fields[g].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
				    md->fields[g].quantifier_offset == f->quantifier_offset && last[g] > last[fi])
					beaten = true;
			if (beaten)
				continue;
		}
		egw_node *v;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (pb_is_map(md, f)) {
				v = egw_obj(d->a);
				for (size_t k = start; k < end; k++)
					if (!add_map_entry(d, f, by[k], v))
						return NULL;
			} else {
				v = egw_arr(d->a);
				for (size_t k = start; k < end; k++) {
					const rec *r = by[k];
					if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
						egw_node *m = len_node(d, f, r->p, r->n);
						if (!m)
							return NULL;
						egw_arr_push(d->a, v, m);
					} else if (!push_scalars(d, f, r, v)) {
						return NULL;
					}
				}
			}
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			const uint8_t *mp = by[start]->p;
			size_t mn = by[start]->n;
			if (end - start > 1) { /* merge: concatenate the records */
				size_t tot = 0;
				for (size_t k = start; k < end; k++)
					tot += by[k]->n;
				uint8_t *cat = egw_alloc_raw(d->tmp, tot ? tot : 1);
				size_t off = 0;
				for (size_t k = start; k < end; k++) {
					memcpy(cat + off, by[k]->p, by[k]->n);
					off += by[k]->n;
				}
				mp = cat;
				mn = tot;
			}
			v = dec_body(d, f->descriptor, mp, mn);
			if (!v)
				return NULL;
		} else {
			const rec *r = by[end - 1]; /* last one wins */
			bool presence = f->label != PROTOBUF_C_LABEL_NONE || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
			if (r->wt == WT_LEN) {
				if (!presence && r->n == 0)
					continue;
				v = len_node(d, f, r->p, r->n);
			} else {
				if (!presence && num_is_default(f, r->u))
					continue;
				v = num_node(d, f, r->u);
			}
			if (!v)
				return NULL;
		}
		char *key = pb_json_name(d->a, f->name);
		egw_obj_append(d->a, obj, key, strlen(key), v);
	}
	return obj;
}

static egw_node *dec_body(dec *d, const ProtobufCMessageDescriptor *md, const uint8_t *p, size_t n)
{
	if (++d->depth > PB_MAX_DEPTH)
		return bad(d, "nesting too deep", NULL);
	static const uint8_t none[1] = {0};
	if (!p)
		p = none;
	egw_node *v;
	switch (pb_wkt_of(md)) {
	case WKT_ANY: v = dec_any(d, md, p, n); break;
	case WKT_DURATION: v = dec_time(d, md, p, n, true); break;
	case WKT_TIMESTAMP: v = dec_time(d, md, p, n, false); break;
	case WKT_STRUCT: v = dec_struct(d, md, p, n); break;
	case WKT_VALUE: v = dec_value_msg(d, md, p, n); break;
	case WKT_LIST: v = dec_list(d, md, p, n); break;
	case WKT_FIELDMASK: v = dec_fieldmask(d, md, p, n); break;
	case WKT_WRAPPER: v = dec_wrapper(d, md, p, n); break;
	default: v = dec_plain(d, md, p, n); break; /* Empty too: {} */
	}
	d->depth--;
	return v;
}

egw_node *egw_pb_decode(egw_ctx *c, const char *full_name, const uint8_t *buf, size_t len,
			const char **err)
{
	return egw_pb_decode_tmp(c, NULL, full_name, buf, len, err);
}

egw_node *egw_pb_decode_tmp(egw_ctx *c, egw_arena *tmp, const char *full_name, const uint8_t *buf,
			    size_t len, const char **err)
{
	const char *dummy;
	if (!err)
		err = &dummy;
	dec dd = {.a = c->arena, .tmp = tmp ? tmp : c->arena};
	const ProtobufCMessageDescriptor *md = full_name ? pb_lookup(full_name, strlen(full_name)) : NULL;
	if (!md) {
		*err = egw_sprintf(c->arena, "unknown message type %s", full_name ? full_name : "(null)");
		return NULL;
	}
	if (!buf && len) {
		*err = "no input";
		return NULL;
	}
	egw_node *v = dec_body(&dd, md, buf, len);
	if (!v)
		*err = dd.err ? dd.err : "decoding failed";
	return v;
}
