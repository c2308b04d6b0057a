/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A translation context for the unit tests that call the stages' internal
 * functions directly: options zeroed, and the limits egw.c's set_limits
 * gives by default.  Header-only.
 */
#ifndef EGW_TESTS_CTX_FIXTURE_H
#define EGW_TESTS_CTX_FIXTURE_H

#include <string.h>

#include "util/ctx.h"

static inline void test_ctx_init(egw_ctx *c, egw_options *o, egw_arena *a)
{
	memset(c, 0, sizeof *c);
	memset(o, 0, sizeof *o);
	o->version = EGW_OPTIONS_VERSION;
	c->arena = a;
	c->opts = o;
	c->limits.max_input_bytes = (size_t)64 << 20;
	c->limits.max_documents = 1000000;
	c->limits.max_depth = 64;
	c->limits.max_string_bytes = (size_t)4 << 20;
	c->limits.max_alias_nodes = 100000;
	c->limits.max_objects_per_kind = 1000000;
}

#endif
