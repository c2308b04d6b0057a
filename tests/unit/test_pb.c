/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protobuf codec: exact bytes for small messages, the proto3 JSON
 * special forms, error paths, garbage input, and a round trip over every
 * xDS resource of the conformance corpus (encode with the resource's type,
 * decode, compare with the conformance rule that absent == null, false, 0,
 * "", [] and {}).  The corpus is found through $EGW_CORPUS (set by meson);
 * when it is missing the round trip is skipped with a loud message.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurp.h"
#include "emit/pb.h"
#include "emit/pb_internal.h"
#include "emit/text.h"
#include "parse/parse.h"
#include "check_run.h"

/* ---- fixtures ---- */

typedef struct fx {
	egw_arena *a;
	egw_options opts;
	egw_ctx c;
} fx;

static void fx_init(fx *f)
{
	memset(f, 0, sizeof *f);
	f->a = egw_arena_new(NULL);
	f->opts.version = 1;
	f->c.arena = f->a;
	f->c.opts = &f->opts;
	f->c.limits.max_depth = 512;
	f->c.limits.max_string_bytes = 1 << 26;
	f->c.limits.max_alias_nodes = 1 << 20;
	f->c.limits.max_documents = 1 << 20;
	f->c.limits.max_objects_per_kind = 1 << 20;
	f->c.limits.max_input_bytes = 1 << 28;
}

static void fx_done(fx *f) { egw_arena_free(f->a); }

static egw_node *json(fx *f, const char *text)
{
	egw_node *n = egw_parse_one(&f->c, 0, text, strlen(text));
	ck_assert_msg(n != NULL, "test JSON does not parse: %s", text);
	return n;
}

static char *hex(fx *f, const uint8_t *p, size_t n)
{
	char *s = egw_alloc(f->a, n * 2 + 1);
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	return s;
}

/* tree encoded as message type, in hex; the encoding must succeed */
static const char *encode_hex(fx *f, const char *type, const egw_node *tree)
{
	uint8_t *out;
	size_t len;
	const char *err = NULL;
	ck_assert_msg(egw_pb_encode(&f->c, type, tree, &out, &len, &err) == 0, "%s: %s", type, err);
	return hex(f, out, len);
}

/* Encodes text as type and checks the bytes (hex). */
static void check_bytes(const char *type, const char *text, const char *want)
{
	fx f;
	fx_init(&f);
	uint8_t *out;
	size_t len;
	const char *err = NULL;
	int rc = egw_pb_encode(&f.c, type, json(&f, text), &out, &len, &err);
	ck_assert_msg(rc == 0, "%s: %s", text, err ? err : "?");
	ck_assert_str_eq(hex(&f, out, len), want);
	fx_done(&f);
}

/* Encodes then decodes; checks the decoded JSON text (compact). */
static void check_round(const char *type, const char *text, const char *want)
{
	fx f;
	fx_init(&f);
	uint8_t *out;
	size_t len;
	const char *err = NULL;
	int rc = egw_pb_encode(&f.c, type, json(&f, text), &out, &len, &err);
	ck_assert_msg(rc == 0, "%s: %s", text, err ? err : "?");
	egw_node *back = egw_pb_decode(&f.c, type, out, len, &err);
	ck_assert_msg(back != NULL, "%s: decode: %s", text, err ? err : "?");
	ck_assert_str_eq(egw_to_json(f.a, back, false), want);
	fx_done(&f);
}

static void check_error(const char *type, const char *text, const char *want_sub)
{
	fx f;
	fx_init(&f);
	uint8_t *out;
	size_t len;
	const char *err = NULL;
	int rc = egw_pb_encode(&f.c, type, json(&f, text), &out, &len, &err);
	ck_assert_msg(rc == -1, "%s: expected an error", text);
	ck_assert_msg(err && strstr(err, want_sub), "%s: error \"%s\" lacks \"%s\"", text,
		      err ? err : "(null)", want_sub);
	fx_done(&f);
}

/* ---- exact bytes ---- */

START_TEST(bytes_scalars)
{
	/* name = 1 (string) */
	check_bytes("envoy.config.listener.v3.Listener", "{\"name\":\"a\"}", "0a0161");
	/* proto3 defaults are omitted */
	check_bytes("envoy.config.listener.v3.Listener", "{\"name\":\"\"}", "");
	/* port_value = 3 in SocketAddress; address = 2 */
	check_bytes("envoy.config.core.v3.SocketAddress",
		    "{\"portValue\":10080,\"address\":\"0.0.0.0\"}", "1207302e302e302e3018e04e");
	/* negative int32 is a 10-byte varint: Int32Value {value: -1} */
	check_bytes("google.protobuf.Int32Value", "-1", "08ffffffffffffffffff01");
	/* int64 as a string, uint64 max */
	check_bytes("google.protobuf.UInt64Value", "\"18446744073709551615\"", "08ffffffffffffffffff01");
	check_bytes("google.protobuf.Int64Value", "\"-2\"", "08feffffffffffffffff01");
	/* double and float */
	check_bytes("google.protobuf.DoubleValue", "1.5", "09000000000000f83f");
	check_bytes("google.protobuf.FloatValue", "\"Infinity\"", "0d0000807f");
	check_bytes("google.protobuf.BoolValue", "true", "0801");
	check_bytes("google.protobuf.BytesValue", "\"AQI\"", "0a020102");
	check_bytes("google.protobuf.BytesValue", "\"_-8=\"", "0a02ffef");
}
END_TEST

START_TEST(bytes_wkt)
{
	check_bytes("google.protobuf.Duration", "\"1.5s\"", "08011080cab5ee01");
	check_bytes("google.protobuf.Duration", "\"0s\"", "");
	check_bytes("google.protobuf.Duration", "\"-1.000000001s\"", "08ffffffffffffffffff0110ffffffffffffffffff01");
	check_bytes("google.protobuf.Timestamp", "\"1970-01-01T00:00:01Z\"", "0801");
	check_bytes("google.protobuf.Timestamp", "\"1970-01-01T01:00:01+01:00\"", "0801");
	check_bytes("google.protobuf.Empty", "{}", "");
	/* Struct keys are sorted: {"b":1,"a":null} */
	check_bytes("google.protobuf.Struct", "{\"b\":1,\"a\":null}",
		    "0a070a016112020800" "0a0e0a0162120911000000000000f03f");
	/* an Any holding a wrapper keeps "value" */
	check_bytes("google.protobuf.Any",
		    "{\"@type\":\"type.googleapis.com/google.protobuf.StringValue\",\"value\":\"x\"}",
		    "0a2f747970652e676f6f676c65617069732e636f6d2f676f6f676c652e70726f746f6275662e"
		    "537472696e6756616c756512030a0178");
}
END_TEST

/* Fields are written in number order whatever the JSON order; repeated
 * scalars are packed; enums go by name or number. */
START_TEST(bytes_order_packed_enum)
{
	check_bytes("envoy.config.core.v3.SocketAddress", "{\"portValue\":1,\"protocol\":\"UDP\"}",
		    "08011801");
	check_bytes("envoy.config.core.v3.SocketAddress", "{\"protocol\":1}", "0801");
	/* RetryPolicy.retriable_status_codes = 7, repeated uint32 (packed) */
	check_bytes("envoy.config.route.v3.RetryPolicy", "{\"retriableStatusCodes\":[500,503]}",
		    "3a04f403f703");
	/* the snake_case name is accepted too */
	check_bytes("envoy.config.core.v3.SocketAddress", "{\"port_value\":1}", "1801");
}
END_TEST

/* ---- decode forms ---- */

/* A run keeps the encoder's field lookups from one resource to the next:
 * the bytes must be those of separate encodings, whatever the messages
 * share (keys such as "name" mean different fields in each). */
START_TEST(run_same_bytes)
{
	static const char *const docs[][2] = {
		{ "envoy.config.cluster.v3.Cluster",
		  "{\"name\":\"c\",\"connectTimeout\":\"5s\",\"type\":\"EDS\",\"edsClusterConfig\":{\"serviceName\":\"c\"}}" },
		{ "envoy.config.listener.v3.Listener",
		  "{\"name\":\"l\",\"address\":{\"socketAddress\":{\"address\":\"::\",\"portValue\":80}}}" },
		{ "envoy.config.endpoint.v3.ClusterLoadAssignment",
		  "{\"clusterName\":\"c\",\"endpoints\":[{\"lbEndpoints\":[{\"endpoint\":{\"address\":"
		  "{\"socketAddress\":{\"address\":\"1.2.3.4\",\"portValue\":8080}}}}]}]}" },
		{ "envoy.config.cluster.v3.Cluster", "{\"name\":\"d\",\"type\":\"STATIC\"}" },
	};
	fx f;
	fx_init(&f);
	const char *alone[4];
	egw_node *trees[4];
	for (int i = 0; i < 4; i++) {
		trees[i] = json(&f, docs[i][1]);
		alone[i] = encode_hex(&f, docs[i][0], trees[i]);
	}
	egw_pb_run_begin(&f.c);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 4; i++) {
			ck_assert_str_eq(encode_hex(&f, docs[i][0], trees[i]), alone[i]);
		}
	egw_pb_run_end(&f.c);
	fx_done(&f);
}
END_TEST

/* In a run, the body of a frozen node met again is copied, not encoded
 * again: the bytes must be those of unshared, unfrozen trees, whatever
 * message the node stands for at each place (here {"name": ...} is a Route,
 * whose name is field 14, and a TransportSocket, whose name is field 1), and
 * for bodies longer than 127 bytes (a length of two bytes). */
START_TEST(run_copies_frozen_bodies)
{
	fx f;
	fx_init(&f);
	char longname[300];
	memset(longname, 'x', 200);
	longname[200] = 0;
	char text[512];
	snprintf(text, sizeof text, "{\"name\":\"%s\"}", longname);
	egw_node *shared[2] = { json(&f, "{\"name\":\"n\"}"), json(&f, text) };
	egw_node *md = json(&f, "{\"filterMetadata\":{\"envoy-gateway\":{\"resources\":"
				"[{\"kind\":\"HTTPRoute\",\"name\":\"a\",\"namespace\":\"default\"}]}}}");
	for (int k = 0; k < 2; k++) {
		egw_node *nd = shared[k];
		/* each message, with copies (the reference) or with the shared node */
		egw_node *trees[2][3];
		for (int sh = 0; sh < 2; sh++) {
			egw_node *use = sh ? nd : egw_clone(f.a, nd);
			egw_node *mdu = sh ? md : egw_clone(f.a, md);
			egw_node *rc = json(&f, "{\"name\":\"rc\",\"virtualHosts\":[{\"name\":\"vh\",\"domains\":[\"*\"]}]}");
			egw_node *routes = egw_set_arr(f.a, egw_at(egw_get(rc, "virtualHosts"), 0), "routes");
			/* the shared node as a route, a route of its own, the shared node again */
			egw_arr_push(f.a, routes, use);
			egw_node *own = egw_arr_push(f.a, routes, egw_obj(f.a));
			egw_set_str(f.a, own, "name", "own");
			egw_obj_set(f.a, own, "metadata", mdu);
			egw_arr_push(f.a, routes, use);
			egw_node *cl = json(&f, "{\"name\":\"c\",\"type\":\"STATIC\"}");
			egw_obj_set(f.a, cl, "transportSocket", use);
			egw_obj_set(f.a, cl, "metadata", mdu);
			egw_node *cl2 = json(&f, "{\"name\":\"d\"}");
			egw_obj_set(f.a, cl2, "metadata", mdu);
			trees[sh][0] = rc;
			trees[sh][1] = cl;
			trees[sh][2] = cl2;
		}
		egw_freeze(nd);
		egw_freeze(md);
		static const char *const types[3] = { "envoy.config.route.v3.RouteConfiguration",
						      "envoy.config.cluster.v3.Cluster",
						      "envoy.config.cluster.v3.Cluster" };
		const char *want[3];
		for (int i = 0; i < 3; i++)
			want[i] = encode_hex(&f, types[i], trees[0][i]);
		egw_pb_run_begin(&f.c);
		for (int pass = 0; pass < 3; pass++)
			for (int i = 0; i < 3; i++)
				ck_assert_msg(!strcmp(encode_hex(&f, types[i], trees[1][i]), want[i]),
					      "shape %d, pass %d, message %d", k, pass, i);
		egw_pb_run_end(&f.c);
	}
	fx_done(&f);
}
END_TEST

START_TEST(round_forms)
{
	check_round("google.protobuf.Duration", "\"0.250s\"", "\"0.250s\"");
	check_round("google.protobuf.Duration", "\"1.000001s\"", "\"1.000001s\"");
	check_round("google.protobuf.Duration", "\"-0.5s\"", "\"-0.500s\"");
	check_round("google.protobuf.Timestamp", "\"2020-02-29T12:00:00.5+02:00\"",
		    "\"2020-02-29T10:00:00.500Z\"");
	check_round("google.protobuf.UInt32Value", "0", "0");
	check_round("google.protobuf.Int64Value", "12", "\"12\"");
	check_round("google.protobuf.FloatValue", "0.1", "0.1");
	check_round("google.protobuf.DoubleValue", "\"NaN\"", "\"NaN\"");
	check_round("google.protobuf.Value", "{\"a\":[1,\"x\",true,null,{}],\"b\":1.25}",
		    "{\"a\":[1,\"x\",true,null,{}],\"b\":1.25}");
	check_round("google.protobuf.FieldMask", "\"fooBar,baz.quxQuux\"", "\"fooBar,baz.quxQuux\"");
	check_round("envoy.config.listener.v3.Listener",
		    "{\"address\":{\"socketAddress\":{\"portValue\":80,\"address\":\"::\"}},\"name\":\"l\","
		    "\"perConnectionBufferLimitBytes\":0,\"filterChains\":[{}]}",
		    "{\"name\":\"l\",\"address\":{\"socketAddress\":{\"address\":\"::\",\"portValue\":80}},"
		    "\"filterChains\":[{}],\"perConnectionBufferLimitBytes\":0}");
	/* maps: keys sorted on the wire; Any inside a map */
	check_round("envoy.config.route.v3.Route",
		    "{\"typedPerFilterConfig\":{\"z\":{},\"a\":{\"@type\":"
		    "\"type.googleapis.com/envoy.config.route.v3.FilterConfig\",\"disabled\":true}}}",
		    "{\"typedPerFilterConfig\":{\"a\":{\"@type\":"
		    "\"type.googleapis.com/envoy.config.route.v3.FilterConfig\",\"disabled\":true},\"z\":{}}}");
	/* a oneof member at its default value is kept */
	check_round("envoy.config.core.v3.SocketAddress", "{\"portValue\":0}", "{\"portValue\":0}");
	/* the enum's zero value is a default like any other */
	check_round("envoy.config.core.v3.SocketAddress", "{\"protocol\":\"TCP\"}", "{}");
	/* Bootstrap's Runtime.base is written base_ for protoc-c; its JSON name is base */
	check_round("envoy.config.bootstrap.v3.Runtime", "{\"base\":{\"k\":\"v\"}}", "{\"base\":{\"k\":\"v\"}}");
}
END_TEST

/* ---- errors ---- */

START_TEST(errors)
{
	check_error("envoy.config.listener.v3.Listener",
		    "{\"filterChains\":[{\"filters\":[{\"name\":\"a\"},{\"typedConfig\":{\"@type\":"
		    "\"type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\","
		    "\"foo\":1}}]}]}",
		    "filterChains[0].filters[1].typedConfig.foo: unknown field");
	check_error("envoy.config.listener.v3.Listener", "{\"name\":[1]}", "name: expected a string");
	check_error("google.protobuf.Duration", "\"1m\"", "expected a duration");
	check_error("google.protobuf.Duration", "\"315576000001s\"", "expected a duration");
	check_error("google.protobuf.Any", "{\"@type\":\"type.googleapis.com/no.such.Type\"}",
		    "@type: unknown type");
	check_error("google.protobuf.Any", "{\"x\":1}", "Any without");
	check_error("google.protobuf.UInt32Value", "4294967296", "unsigned 32-bit");
	check_error("google.protobuf.Int32Value", "1.5", "32-bit integer");
	check_error("google.protobuf.BytesValue", "\"a$\"", "base64");
	check_error("envoy.config.core.v3.SocketAddress", "{\"protocol\":\"SCTP\"}", "unknown value");
	check_error("envoy.config.core.v3.SocketAddress", "{\"portValue\":1,\"namedPort\":\"x\"}",
		    "more than one field of a oneof");
	check_error("envoy.config.core.v3.SocketAddress", "{\"portValue\":1,\"port_value\":2}",
		    "field given twice");
	check_error("envoy.config.route.v3.Route", "{\"typedPerFilterConfig\":{\"f\":{\"@type\":"
		    "\"type.googleapis.com/google.protobuf.StringValue\",\"value\":1,\"x\":2}}}",
		    "typedPerFilterConfig[f].x: unknown field");
	check_error("no.such.Message", "{}", "unknown message type");

	fx f;
	fx_init(&f);
	ck_assert(egw_pb_known("envoy.config.cluster.v3.Cluster"));
	ck_assert(egw_pb_known("google.protobuf.Struct"));
	ck_assert(!egw_pb_known("envoy.config.cluster.v3"));
	ck_assert(!egw_pb_known(NULL));
	/* deep Struct nesting stops at the depth limit instead of the stack */
	char *deep = egw_alloc(f.a, 4000);
	size_t k = 0;
	for (int i = 0; i < 300; i++)
		deep[k++] = '[';
	for (int i = 0; i < 300; i++)
		deep[k++] = ']';
	uint8_t *out;
	size_t len;
	const char *err = NULL;
	egw_node *dn = egw_parse_one(&f.c, 0, deep, k);
	if (dn) {
		ck_assert_int_eq(egw_pb_encode(&f.c, "google.protobuf.Value", dn, &out, &len, &err), -1);
		ck_assert_ptr_nonnull(strstr(err, "nesting"));
	}
	fx_done(&f);
}
END_TEST

/* ---- garbage in ---- */

START_TEST(garbage)
{
	fx f;
	fx_init(&f);
	const char *err;
	/* truncated length, bad wire type, field number 0, overlong varint */
	static const uint8_t bad1[] = {0x0a, 0x05, 'a'};
	static const uint8_t bad2[] = {0x0f};
	static const uint8_t bad3[] = {0x00, 0x01};
	static const uint8_t bad4[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	ck_assert_ptr_null(egw_pb_decode(&f.c, "envoy.config.listener.v3.Listener", bad1, sizeof bad1, &err));
	ck_assert_ptr_null(egw_pb_decode(&f.c, "envoy.config.listener.v3.Listener", bad2, sizeof bad2, &err));
	ck_assert_ptr_null(egw_pb_decode(&f.c, "envoy.config.listener.v3.Listener", bad3, sizeof bad3, &err));
	ck_assert_ptr_null(egw_pb_decode(&f.c, "envoy.config.listener.v3.Listener", bad4, sizeof bad4, &err));
	/* unknown fields are left out */
	static const uint8_t unk[] = {0xf8, 0x3f, 0x01, 0x0a, 0x01, 'x'};
	egw_node *n = egw_pb_decode(&f.c, "envoy.config.listener.v3.Listener", unk, sizeof unk, &err);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(egw_to_json(f.a, n, false), "{\"name\":\"x\"}");
	/* self-nested messages beyond the depth limit */
	size_t depth = 200, len = 0;
	uint8_t *deep = egw_alloc(f.a, depth * 4);
	for (size_t i = 0; i < depth; i++) {
		/* ListValue{values: Value{list_value: ...}} built inside out */
		memmove(deep + 4, deep, len);
		deep[0] = 0x0a;
		deep[1] = (uint8_t)(len + 2 < 128 ? len + 2 : 0);
		deep[2] = 0x32;
		deep[3] = (uint8_t)(len < 128 ? len : 0);
		len += 4;
		if (len > 120)
			break;
	}
	egw_pb_decode(&f.c, "google.protobuf.ListValue", deep, len, &err);
	/* random bytes: never a crash, whatever the verdict */
	uint32_t seed = 12345;
	uint8_t buf[256];
	static const char *types[] = {"envoy.config.listener.v3.Listener", "envoy.config.cluster.v3.Cluster",
				      "envoy.config.route.v3.RouteConfiguration", "google.protobuf.Any",
				      "google.protobuf.Struct"};
	for (int round = 0; round < 20000; round++) {
		size_t bl = (size_t)(round % 255) + 1;
		for (size_t i = 0; i < bl; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		egw_pb_decode(&f.c, types[round % 5], buf, bl, &err);
		if (round % 1000 == 999) {
			fx_done(&f);
			fx_init(&f);
		}
	}
	/* mutations of a valid encoding reach deeper than random bytes */
	const char *seedjson =
		"{\"name\":\"l\",\"address\":{\"socketAddress\":{\"address\":\"::\",\"portValue\":80}},"
		"\"filterChains\":[{\"filters\":[{\"name\":\"hcm\",\"typedConfig\":{\"@type\":"
		"\"type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3."
		"HttpConnectionManager\",\"statPrefix\":\"s\",\"commonHttpProtocolOptions\":{"
		"\"idleTimeout\":\"1.5s\"},\"httpFilters\":[{\"name\":\"r\",\"typedConfig\":{\"@type\":"
		"\"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\"}}],"
		"\"accessLog\":[{\"name\":\"f\",\"typedConfig\":{\"@type\":\"type.googleapis.com/"
		"envoy.extensions.access_loggers.file.v3.FileAccessLog\",\"path\":\"/dev/stdout\","
		"\"logFormat\":{\"jsonFormat\":{\"a\":[1,true,null,{\"b\":\"c\"}]}}}}]}}]}],"
		"\"metadata\":{\"filterMetadata\":{\"x\":{\"y\":1.5}}},\"listenerFiltersTimeout\":\"0s\"}";
	uint8_t *enc;
	size_t elen;
	const char *eerr = NULL;
	ck_assert_int_eq(egw_pb_encode(&f.c, "envoy.config.listener.v3.Listener", json(&f, seedjson), &enc,
				       &elen, &eerr), 0);
	uint8_t *mut = malloc(elen), *orig = malloc(elen);
	memcpy(orig, enc, elen); /* enc lives in an arena renewed below */
	for (int round = 0; round < 20000; round++) {
		memcpy(mut, orig, elen);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % elen;
			seed = seed * 1103515245u + 12345u;
			mut[at] = (uint8_t)(seed >> 16);
		}
		egw_pb_decode(&f.c, "envoy.config.listener.v3.Listener", mut, elen - (size_t)(round % 3), &err);
		if (round % 1000 == 999) {
			fx_done(&f);
			fx_init(&f);
		}
	}
	free(mut);
	free(orig);
	fx_done(&f);
}
END_TEST

/* ---- corpus round trip ---- */

/* The conformance rule: absent, null, false, 0, "", [] and {} are equal;
 * numbers compare by value (a 64-bit integer may be a string on one side). */
static bool num_of(const egw_node *n, double *d)
{
	if (n->kind == EGW_INT) {
		*d = (double)egw_vint(n);
		return true;
	}
	if (n->kind == EGW_FLOAT) {
		*d = egw_vfloat(n);
		return true;
	}
	if (n->kind == EGW_STR && n->len > 0) {
		char *end;
		*d = strtod(n->str, &end);
		return *end == 0;
	}
	return false;
}

static bool sem_equal(const egw_node *a, const egw_node *b, char *where, size_t cap);

static bool obj_side(const egw_node *a, const egw_node *b, char *where, size_t cap)
{
	const egw_member *m;
	EGW_OBJ_EACH(a, i, m)
	{
		const egw_node *o = egw_getn(b, m->key, egw_member_klen(m));
		if (!sem_equal(m->val, o, where, cap)) {
			size_t l = strlen(where);
			char tmp[512];
			snprintf(tmp, sizeof tmp, ".%s%s", m->key, where);
			(void)l;
			snprintf(where, cap, "%s", tmp);
			return false;
		}
	}
	return true;
}

static bool sem_equal(const egw_node *a, const egw_node *b, char *where, size_t cap)
{
	if (egw_is_empty(a) && egw_is_empty(b))
		return true;
	if (!a || !b)
		return false;
	double x, y;
	if (a->kind == EGW_OBJ && b->kind == EGW_OBJ)
		return obj_side(a, b, where, cap) && obj_side(b, a, where, cap);
	if (a->kind == EGW_ARR && b->kind == EGW_ARR) {
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++)
			if (!sem_equal(a->c.items[i], b->c.items[i], where, cap)) {
				char tmp[512];
				snprintf(tmp, sizeof tmp, "[%zu]%s", i, where);
				snprintf(where, cap, "%s", tmp);
				return false;
			}
		return true;
	}
	if (a->kind == EGW_STR && b->kind == EGW_STR)
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	if (num_of(a, &x) && num_of(b, &y))
		return x == y || (isnan(x) && isnan(y));
	if (a->kind == EGW_BOOL && b->kind == EGW_BOOL)
		return egw_vbool(a) == egw_vbool(b);
	return false;
}

typedef struct tally {
	int ok, bad;
	int by_kind[6];
} tally;

static const char *const kinds[] = {"listeners", "routes", "clusters", "endpoints", "secrets", "dumps"};
static const char *const kind_types[] = {
	"envoy.config.listener.v3.Listener", "envoy.config.route.v3.RouteConfiguration",
	"envoy.config.cluster.v3.Cluster", "envoy.config.endpoint.v3.ClusterLoadAssignment",
	"envoy.extensions.transport_sockets.tls.v3.Secret", "google.protobuf.Any"};

static void round_one(fx *f, const char *file, int kind, const egw_node *res, tally *t)
{
	uint8_t *out;
	size_t len;
	const char *err = NULL;
	const char *name = egw_get_str(res, "name", egw_get_str(res, "clusterName", "?"));
	if (egw_pb_encode(&f->c, kind_types[kind], res, &out, &len, &err) != 0) {
		fprintf(stderr, "ROUNDTRIP FAIL %s %s: encode: %s\n", file, name, err);
		t->bad++;
		return;
	}
	egw_node *back = egw_pb_decode(&f->c, kind_types[kind], out, len, &err);
	if (!back) {
		fprintf(stderr, "ROUNDTRIP FAIL %s %s: decode: %s\n", file, name, err);
		t->bad++;
		return;
	}
	char where[512] = "";
	if (!sem_equal(res, back, where, sizeof where)) {
		fprintf(stderr, "ROUNDTRIP FAIL %s %s: differs at %s\n", file, name, where[0] ? where : "(top)");
		t->bad++;
		return;
	}
	t->ok++;
	t->by_kind[kind]++;
}

/* egctl outputs: every Any of an admin config dump, wherever it sits. */
static void find_dumps(fx *f, const char *file, const egw_node *n, tally *t)
{
	if (!n)
		return;
	if (n->kind == EGW_OBJ) {
		const char *ty = egw_get_str(n, "@type", NULL);
		if (ty && strncmp(ty, "type.googleapis.com/envoy.admin.v3.", 35) == 0) {
			round_one(f, file, 5, n, t);
			return;
		}
		const egw_member *m;
		EGW_OBJ_EACH(n, i, m) find_dumps(f, file, m->val, t);
	} else if (n->kind == EGW_ARR) {
		const egw_node *it;
		EGW_ARR_EACH(n, i, it) find_dumps(f, file, it, t);
	}
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

static void round_dir(const char *dir, bool egctl, tally *t, int *files)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return;
	char *names[4096];
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(dh)) && nn < 4096)
		if (de->d_name[0] != '.')
			names[nn++] = strdup(de->d_name);
	closedir(dh);
	qsort(names, nn, sizeof names[0], cmp_str);
	for (size_t i = 0; i < nn; i++) {
		int kind = -1;
		for (int k = 0; k < 5 && !egctl; k++) {
			char suf[32];
			snprintf(suf, sizeof suf, ".%s.yaml", kinds[k]);
			size_t l = strlen(names[i]), sl = strlen(suf);
			if (l > sl && strcmp(names[i] + l - sl, suf) == 0)
				kind = k;
		}
		if (!egctl && kind < 0) {
			free(names[i]);
			continue;
		}
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		size_t len;
		char *data = test_slurp(path, &len);
		if (data) {
			fx f;
			fx_init(&f);
			egw_node *docs = egw_arr(f.a);
			egw_parse_buffer(&f.c, 0, data, len, docs);
			(*files)++;
			const egw_node *doc, *res;
			EGW_ARR_EACH(docs, j, doc)
			{
				if (egctl)
					find_dumps(&f, names[i], doc, t);
				else if (doc->kind == EGW_ARR)
					EGW_ARR_EACH(doc, k, res) round_one(&f, names[i], kind, res, t);
			}
			fx_done(&f);
			free(data);
		}
		free(names[i]);
	}
}

/* pb_utf8_valid: its ASCII fast path (eight bytes at a time) hands over to
 * the byte-by-byte check at the first byte with its high bit set, wherever
 * that is. */
START_TEST(utf8_check)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "", true },
		{ "httproute/default/app-1/rule/0", true },
		{ "abcdefgh\xc3\xa9", true },         /* é right after eight ASCII */
		{ "abcdefghi\xff", false },            /* never valid */
		{ "abcdefg\xc3\xa9xyzabcdefgh", true }, /* é across the first word */
		{ "abcdefghabcdefgh\xe2\x82", false }, /* truncated at the end */
		{ "abcdefgh\xc0\xaf", false },         /* overlong */
		{ "abcdefgh\xed\xa0\x80", false },    /* a surrogate */
		{ "abcdefgh\xf0\x9f\x98\x80" "abcdefgh", true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(pb_utf8_valid((const uint8_t *)cases[i].s, strlen(cases[i].s)) == cases[i].ok,
			      "case %zu", i);
}
END_TEST

START_TEST(corpus_round_trip)
{
	const char *root = getenv("EGW_CORPUS");
	if (!root)
		root = "../shared/conformance";
	char p[4096];
	snprintf(p, sizeof p, "%s/xds/xds-ir/out", root);
	DIR *probe = opendir(p);
	if (!probe) {
		fprintf(stderr, "\n*** test_pb: conformance corpus not found at %s: ROUND TRIP SKIPPED ***\n\n", root);
		return;
	}
	closedir(probe);
	tally t = {0};
	int files = 0;
	round_dir(p, false, &t, &files);
	snprintf(p, sizeof p, "%s/xds/extension-xds-ir/out", root);
	round_dir(p, false, &t, &files);
	snprintf(p, sizeof p, "%s/egctl/out", root);
	round_dir(p, true, &t, &files);
	fprintf(stderr, "test_pb: corpus round trip: %d resources from %d files: %d ok, %d failed "
		"(listeners %d, routes %d, clusters %d, endpoints %d, secrets %d, egctl dumps %d)\n",
		t.ok + t.bad, files, t.ok, t.bad, t.by_kind[0], t.by_kind[1], t.by_kind[2], t.by_kind[3],
		t.by_kind[4], t.by_kind[5]);
	ck_assert_int_gt(t.ok, 1000);
	ck_assert_int_eq(t.bad, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pb");
	TCase *tc = tcase_create("codec");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, bytes_scalars);
	tcase_add_test(tc, bytes_wkt);
	tcase_add_test(tc, bytes_order_packed_enum);
	tcase_add_test(tc, run_same_bytes);
	tcase_add_test(tc, run_copies_frozen_bodies);
	tcase_add_test(tc, round_forms);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, utf8_check);
	tcase_add_test(tc, corpus_round_trip);
	suite_add_tcase(s, tc);
	return test_run(s, NULL);
}
