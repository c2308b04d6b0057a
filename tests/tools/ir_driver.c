/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Developer driver for the IR stage alone: parses a case's input and
 * EnvoyGateway configuration, builds the resource set, runs
 * egw_ir_translate and prints {"<outKey>": [...], "xdsIR": ..., "infraIR": ...}
 * as JSON.  Usage: ir_driver IN.yaml CONFIG.yaml [CONTROLLER_NS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/text.h"
#include "ir/ir.h"
#include "model/resources.h"
#include "parse/parse.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *d = malloc(cap);
	size_t r;
	while (d && (r = fread(d + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nd = realloc(d, cap * 2);
			if (!nd) {
				free(d);
				d = NULL;
				break;
			}
			d = nd;
			cap *= 2;
		}
	}
	fclose(f);
	*len = n;
	return d;
}

/* Renderings redact private keys, as the goldens do. */
static void redact(egw_arena *a, egw_node *n)
{
	if (!n)
		return;
	if (n->kind == EGW_ARR) {
		for (size_t i = 0; i < n->n; i++)
			redact(a, n->c.items[i]);
	} else if (n->kind == EGW_OBJ) {
		for (size_t i = 0; i < n->n; i++) {
			egw_member *m = &n->c.members[i];
			if ((!strcmp(m->key, "privateKey") || !strcmp(m->key, "credential") ||
			     !strcmp(m->key, "clientSecret") || !strcmp(m->key, "hmacSecret")) &&
			    m->val->kind == EGW_STR)
				m->val = egw_str_ref(a, "[redacted]", 10);
			else
				redact(a, m->val);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s IN.yaml CONFIG.yaml [CONTROLLER_NS]\n", argv[0]);
		return 2;
	}
	egw_options opts;
	memset(&opts, 0, sizeof opts);
	opts.version = 1;
	egw_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.arena = egw_arena_new(NULL);
	ctx.opts = &opts;
	ctx.limits.max_depth = 256;
	ctx.limits.max_string_bytes = 1 << 26;
	ctx.limits.max_alias_nodes = 1 << 20;
	ctx.limits.max_documents = 1 << 20;
	ctx.limits.max_objects_per_kind = 1 << 20;
	ctx.controller_ns = argc > 3 ? argv[3] : "envoy-gateway-system";
	ctx.dns_domain = "cluster.local";
	size_t inl, cfl;
	char *in = slurp(argv[1], &inl), *cf = slurp(argv[2], &cfl);
	if (!in || !cf) {
		fprintf(stderr, "cannot read input\n");
		return 2;
	}
	egw_node *docs = egw_arr(ctx.arena);
	egw_parse_buffer(&ctx, 0, in, inl, docs);
	egw_node *config = egw_parse_one(&ctx, 1, cf, cfl);
	egw_resources rs;
	egw_resources_build(&ctx, &rs, docs, config);
	egw_ir_out out;
	egw_ir_translate(&ctx, &rs, &out);
	egw_node *res = egw_obj(ctx.arena);
	for (int k = 0; k < EGW_K__COUNT; k++) {
		const egw_kind_info *ki = egw_kind_info_of((egw_kind)k);
		egw_object *o;
		EGW_RES_EACH(&rs, k, i, o)
		{
			if (!o->status || !ki->out_key)
				continue;
			egw_node *arr = egw_arr_ensure(ctx.arena, res, ki->out_key);
			egw_node *copy = egw_clone(ctx.arena, o->node);
			egw_obj_set(ctx.arena, copy, "status", o->status);
			egw_arr_push(ctx.arena, arr, copy);
		}
	}
	redact(ctx.arena, out.xds_ir);
	egw_obj_set(ctx.arena, res, "xdsIR", out.xds_ir);
	egw_obj_set(ctx.arena, res, "infraIR", out.infra_ir);
	fputs(egw_to_json(ctx.arena, res, true), stdout);
	fputc('\n', stdout);
	for (egw_diag_item *d = ctx.diag_head; d; d = d->next)
		if (getenv("IR_DIAG"))
			fprintf(stderr, "diag %d: %s\n", d->code, d->message);
	free(in);
	free(cf);
	egw_arena_free(ctx.arena);
	return 0;
}
