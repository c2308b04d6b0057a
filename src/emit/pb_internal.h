/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the protobuf codec's files: pb.c (registry, encoder),
 * pb_dec.c (decoder) and pb_util.c (names, base64, UTF-8, Duration and
 * Timestamp text).  Nothing here keeps state; every function is pure or
 * writes only into the arena it is given.
 */
#ifndef EGW_EMIT_PB_INTERNAL_H
#define EGW_EMIT_PB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "../util/arena.h"

#define PB_MAX_DEPTH 100

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

/* Well-known types with a special JSON form. */
typedef enum pb_wkt {
	WKT_NONE = 0,
	WKT_ANY,
	WKT_DURATION,
	WKT_TIMESTAMP,
	WKT_EMPTY,
	WKT_STRUCT,
	WKT_VALUE,
	WKT_LIST,
	WKT_FIELDMASK,
	WKT_WRAPPER, /* DoubleValue .. BytesValue: the JSON is the inner "value" */
} pb_wkt;

const ProtobufCMessageDescriptor *pb_lookup(const char *name, size_t len);
pb_wkt pb_wkt_of(const ProtobufCMessageDescriptor *d);

/* True when f is a map field (repeated entry message with key=1, value=2
 * named <Field>Entry inside the field's message). */
bool pb_is_map(const ProtobufCMessageDescriptor *owner, const ProtobufCFieldDescriptor *f);

/* JSON name of a proto field name (protobuf's rule: drop '_' and upper-case
 * the letter after it), in the arena. */
char *pb_json_name(egw_arena *a, const char *proto_name);
/* Compares the JSON name of proto_name with key[0..klen) without allocating. */
bool pb_json_name_eq(const char *proto_name, const char *key, size_t klen);
/* Field of d whose JSON name or proto name is key; NULL when none. */
const ProtobufCFieldDescriptor *pb_find_field(const ProtobufCMessageDescriptor *d,
					      const char *key, size_t klen);

/* Base64 (standard or URL-safe, padding optional).  Returns false on bad input. */
bool pb_b64_decode(egw_arena *a, const char *s, size_t n, uint8_t **out, size_t *outlen);
char *pb_b64_encode(egw_arena *a, const uint8_t *p, size_t n); /* standard, padded */
bool pb_utf8_valid(const uint8_t *p, size_t n);

/* "1.5s" <-> seconds/nanos (range checked as protobuf does). */
bool pb_duration_parse(const char *s, size_t n, int64_t *secs, int32_t *nanos);
char *pb_duration_format(egw_arena *a, int64_t secs, int32_t nanos); /* NULL when out of range */
/* RFC 3339 <-> seconds/nanos since the epoch. */
bool pb_timestamp_parse(const char *s, size_t n, int64_t *secs, int32_t *nanos);
char *pb_timestamp_format(egw_arena *a, int64_t secs, int32_t nanos);

#endif
