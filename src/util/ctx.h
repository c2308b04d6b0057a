/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The translation context every stage receives: the arena, the diagnostics
 * list, the resolved options.  Stages never touch globals; all they need is
 * reachable from here.
 */
#ifndef EGW_UTIL_CTX_H
#define EGW_UTIL_CTX_H

#include <stdarg.h>
#include <stdbool.h>

#include "egw/egw.h"
#include "arena.h"
#include "node.h"

/* egw_pos.input of a diagnostic that concerns no input buffer. */
#define EGW_NO_INPUT UINT32_MAX

typedef struct egw_diag_item {
	struct egw_diag_item *next;
	int code;
	int severity;
	const char *message;
	egw_pos pos;
	const char *kind, *ns, *name;
} egw_diag_item;

typedef struct egw_ctx {
	egw_arena *arena;
	const egw_options *opts; /* never NULL inside the library */
	egw_limits limits;       /* defaults filled in */
	const char *controller_ns;
	const char *ratelimit_ns;
	const char *dns_domain;
	const char **runtime_flags; /* NULL-terminated, options + config */
	int64_t now_unix;
	const char **input_names;   /* per input index */
	size_t n_inputs;
	egw_diag_item *diag_head, *diag_tail;
	size_t n_diags;
	/* A reusable arena buffer for output of unknown size (the protobuf
	 * encoder writes each resource here, then copies it out exactly):
	 * growing a fresh buffer per resource left twice the output behind
	 * as garbage. */
	uint8_t *scratch;
	size_t scratch_cap;
	/* The encoder's field lookups by (message, key), valid for one
	 * resource (entries of older generations are misses) */
	void *pb_fields;
	/* ... and its encoded bodies of frozen nodes met more than once, for
	 * the same generation: a run's trees stay alive until it ends */
	void *pb_bodies;
	unsigned pb_gen;
	bool pb_run; /* inside egw_pb_run_begin/end: one generation */
	/* the parser freezes each node it completes (EGW_NF_FROZEN): set
	 * while parsing documents that are read-only once parsed */
	bool freeze_parsed;
	/* the parser reads every segment with libyaml, none with its own
	 * scanner for plain block YAML (src/parse/block.c): for tests that
	 * compare the two */
	bool yaml_libyaml_only;
	size_t yaml_fast_segments; /* segments that scanner took */
} egw_ctx;

/* Adds a diagnostic.  `at` gives the position (may be NULL); `obj` is the
 * Kubernetes object concerned (its kind/metadata are read; may be NULL). */
void egw_diag(egw_ctx *c, int code, int severity, const egw_node *at, const egw_node *obj,
	      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void egw_diagv(egw_ctx *c, int code, int severity, const egw_node *at, const egw_node *obj,
	       const char *fmt, va_list ap);
/* Adds a diagnostic at an explicit position with explicit object names. */
void egw_diag_at(egw_ctx *c, int code, int severity, egw_pos pos, const char *kind,
		 const char *ns, const char *name, const char *msg);

bool egw_runtime_flag(const egw_ctx *c, const char *flag);

/* A copy of c for a stage that works in arena a (a sibling of c's, freed
 * first): same options and limits, no diagnostics yet, no scratch buffer.
 * The caller moves the stage's diagnostics on before a goes. */
egw_ctx egw_ctx_in_arena(const egw_ctx *c, egw_arena *a);

#endif
