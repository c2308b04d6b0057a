/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The descriptor-driven protobuf codec.  protoc-c compiles the schemas in
 * proto/ (a subset of Envoy's v3 API with its exact packages, names and
 * field numbers, plus Google's well-known types); this codec walks their
 * descriptors to turn an egw_node in Envoy's canonical JSON into protobuf
 * wire bytes and back, handling the proto3 JSON mapping: lowerCamelCase
 * names, Any with "@type" (looked up in a registry of every compiled type),
 * Duration "1.5s", wrapper types as plain values, 64-bit integers as strings,
 * enums by name, Struct/Value as free JSON.
 */
#ifndef EGW_EMIT_PB_H
#define EGW_EMIT_PB_H

#include <stdint.h>

#include "../util/ctx.h"

/* Encodes `json` as message `full_name` (e.g. "envoy.config.listener.v3.Listener").
 * Fields are written in field-number order, so equal input gives equal bytes.
 * Returns 0 and sets *out and *len (arena), or -1 and sets *err (arena) naming
 * the JSON path of the first problem (unknown field, wrong type, unknown
 * @type). */
int egw_pb_encode(egw_ctx *c, const char *full_name, const egw_node *json, uint8_t **out,
		  size_t *len, const char **err);

/* A run of encodings whose trees all stay alive until egw_pb_run_end (one
 * fleet's resources): the encoder's field lookups carry over from one
 * resource to the next.  Outside a run they last one resource, since a
 * key's address may be reused once its tree is freed. */
void egw_pb_run_begin(egw_ctx *c);
void egw_pb_run_end(egw_ctx *c);

/* Decodes wire bytes of message `full_name` into canonical JSON (fields in
 * field-number order, defaults omitted).  Returns NULL and sets *err on
 * malformed input or an unknown type. */
egw_node *egw_pb_decode(egw_ctx *c, const char *full_name, const uint8_t *buf, size_t len,
			const char **err);

/* As egw_pb_decode, with the decoder's temporaries (about a kilobyte per
 * message) in tmp instead of c->arena; the tree itself is in c->arena and
 * does not point into tmp, so the caller may reset tmp right after. */
egw_node *egw_pb_decode_tmp(egw_ctx *c, egw_arena *tmp, const char *full_name, const uint8_t *buf,
			    size_t len, const char **err);

/* True when the registry knows `full_name`. */
int egw_pb_known(const char *full_name);

#endif
