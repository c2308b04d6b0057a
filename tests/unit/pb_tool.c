/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Driver for tests/unit/pb_check.py, which checks the codec's bytes against
 * the real protobuf classes (xds-protos).
 *
 *   pb_tool encode TYPE FILE   FILE is YAML/JSON: a list of resources or one;
 *                              prints one line of hex per resource
 *                              ("ERR <message>" when encoding fails)
 *   pb_tool decode TYPE        reads lines of hex on stdin, prints one line
 *                              of compact JSON per line ("ERR ..." on failure)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/pb.h"
#include "emit/text.h"
#include "parse/parse.h"

static void ctx_init(egw_ctx *c, egw_options *o, egw_arena *a)
{
	memset(c, 0, sizeof *c);
	memset(o, 0, sizeof *o);
	o->version = 1;
	c->arena = a;
	c->opts = o;
	c->limits.max_depth = 512;
	c->limits.max_string_bytes = 1 << 26;
	c->limits.max_alias_nodes = 1 << 20;
	c->limits.max_documents = 1 << 20;
	c->limits.max_objects_per_kind = 1 << 20;
	c->limits.max_input_bytes = 1 << 28;
}

static void encode_one(egw_ctx *c, const char *type, const egw_node *res)
{
	uint8_t *out;
	size_t len;
	const char *err = NULL;
	if (egw_pb_encode(c, type, res, &out, &len, &err) != 0) {
		printf("ERR %s\n", err);
		return;
	}
	for (size_t i = 0; i < len; i++)
		printf("%02x", out[i]);
	putchar('\n');
}

static int encode(const char *type, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 2;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(data);
		return 2;
	}
	fclose(f);
	egw_arena *a = egw_arena_new(NULL);
	egw_ctx c;
	egw_options o;
	ctx_init(&c, &o, a);
	egw_node *doc = egw_parse_one(&c, 0, data, (size_t)n);
	const egw_node *it;
	if (doc && doc->kind == EGW_ARR) {
		EGW_ARR_EACH(doc, i, it) encode_one(&c, type, it);
	} else if (doc) {
		encode_one(&c, type, doc);
	}
	egw_arena_free(a);
	free(data);
	return doc ? 0 : 1;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

static int decode(const char *type)
{
	size_t cap = 1 << 16;
	char *line = malloc(cap);
	size_t n = 0;
	int ch;
	for (;;) {
		ch = getchar();
		if (ch != '\n' && ch != EOF) {
			if (n + 1 >= cap) {
				cap *= 2;
				line = realloc(line, cap);
			}
			line[n++] = (char)ch;
			continue;
		}
		if (n > 0 || ch == '\n') {
			egw_arena *a = egw_arena_new(NULL);
			egw_ctx c;
			egw_options o;
			ctx_init(&c, &o, a);
			uint8_t *buf = egw_alloc(a, n / 2 + 1);
			size_t bl = 0;
			for (size_t i = 0; i + 1 < n; i += 2)
				buf[bl++] = (uint8_t)(hexval(line[i]) << 4 | hexval(line[i + 1]));
			const char *err = NULL;
			egw_node *v = egw_pb_decode(&c, type, buf, bl, &err);
			if (v)
				printf("%s\n", egw_to_json(a, v, false));
			else
				printf("ERR %s\n", err);
			egw_arena_free(a);
		}
		n = 0;
		if (ch == EOF)
			break;
	}
	free(line);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "encode") == 0)
		return encode(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "decode") == 0)
		return decode(argv[2]);
	fprintf(stderr, "usage: pb_tool encode TYPE FILE | pb_tool decode TYPE < hex-lines\n");
	return 2;
}
