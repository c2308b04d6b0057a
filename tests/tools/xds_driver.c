/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Developer driver for the xds stage: reads one xDS IR YAML file (and an
 * optional settings file), runs egw_xds_translate, prints the resources as
 * one JSON object {"listeners": [...], ...}.  With --ratelimit prints the
 * rate limit service configuration instead.  Exit 1 on a translation error
 * (text on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/slurp.h"
#include "util/text.h"
#include "parse/parse.h"
#include "xds/xds.h"

int main(int argc, char **argv)
{
	const char *in = NULL, *settings = NULL;
	int ratelimit = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--settings") && i + 1 < argc)
			settings = argv[++i];
		else if (!strcmp(argv[i], "--ratelimit"))
			ratelimit = 1;
		else
			in = argv[i];
	}
	if (!in) {
		fprintf(stderr, "usage: xds_driver [--ratelimit] [--settings S] IR.yaml\n");
		return 2;
	}
	egw_arena *arena = egw_arena_new(NULL);
	egw_options opts;
	memset(&opts, 0, sizeof opts);
	opts.version = 1;
	egw_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.arena = arena;
	ctx.opts = &opts;
	ctx.limits.max_depth = 256;
	ctx.limits.max_string_bytes = 1 << 26;
	ctx.limits.max_alias_nodes = 1 << 20;
	ctx.limits.max_documents = 1 << 20;
	ctx.limits.max_objects_per_kind = 1 << 20;
	ctx.limits.max_input_bytes = 1 << 28;
	ctx.dns_domain = "cluster.local";
	const char *flags[64] = {0};
	int nflags = 0;
	if (settings) {
		size_t sl;
		char *sd = test_slurp(settings, &sl);
		egw_node *s = sd ? egw_parse_one(&ctx, 1, sd, sl) : NULL;
		if (s) {
			ctx.dns_domain = egw_get_str(s, "dnsDomain", ctx.dns_domain);
			egw_node *it;
			EGW_ARR_EACH(egw_get(s, "runtimeFlags"), i, it)
				if (nflags < 63)
					flags[nflags++] = egw_text(it);
		}
	}
	ctx.runtime_flags = flags;
	size_t len;
	char *data = test_slurp(in, &len);
	if (!data) {
		fprintf(stderr, "cannot read %s\n", in);
		return 2;
	}
	egw_node *ir = egw_parse_one(&ctx, 0, data, len);
	if (!ir)
		ir = egw_obj(arena);
	if (ratelimit) {
		egw_node *rl = egw_xds_ratelimit_config(&ctx, ir);
		puts(egw_to_json(arena, rl, true));
		egw_arena_free(arena);
		free(data);
		return 0;
	}
	egw_xds_out out;
	memset(&out, 0, sizeof out);
	int rc = egw_xds_translate(&ctx, ir, &out);
	egw_node *o = egw_obj(arena);
	for (int t = 0; t < EGW_XDS_TYPE_COUNT; t++)
		egw_obj_set(arena, o, egw_xds_type_key[t], out.res[t] ? out.res[t] : egw_arr(arena));
	if (out.patch_statuses)
		egw_obj_set(arena, o, "envoyPatchPolicies", out.patch_statuses);
	if (out.error)
		egw_set_str(arena, o, "error", out.error);
	puts(egw_to_json(arena, o, true));
	if (rc != 0)
		fprintf(stderr, "error: %s\n", out.error ? out.error : "(none)");
	egw_arena_free(arena);
	free(data);
	return rc != 0;
}
