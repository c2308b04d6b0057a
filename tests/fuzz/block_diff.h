/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parses one buffer twice, through block.c's scanner where it applies and
 * through libyaml only, and compares what the parse stage gives: the
 * documents (kind, flags, text, line and column of every node, keys in
 * order), the return code and the diagnostics.  The unit test test_block.c
 * and the fuzz target fuzz_block.c share it.  Uses the library's internal
 * headers (src/).
 */
#ifndef EGW_TESTS_BLOCK_DIFF_H
#define EGW_TESTS_BLOCK_DIFF_H

#include <stdio.h>
#include <string.h>

#include "../unit/ctx_fixture.h"
#include "parse/parse.h"

typedef struct bd_side {
	egw_arena *a;
	egw_ctx c;
	egw_options o;
	egw_node *docs;
	long rc;
} bd_side;

static const char *bd_names[] = { "a.yaml" };

static inline void bd_parse(bd_side *s, bool libyaml_only, const char *text, size_t len,
			    size_t max_docs)
{
	memset(s, 0, sizeof *s);
	s->a = egw_arena_new(NULL);
	test_ctx_init(&s->c, &s->o, s->a);
	s->c.limits.max_documents = max_docs;
	s->c.input_names = bd_names;
	s->c.n_inputs = 1;
	s->c.freeze_parsed = true;
	s->c.yaml_libyaml_only = libyaml_only;
	s->docs = egw_arr(s->a);
	s->rc = egw_parse_buffer(&s->c, 0, text, len, s->docs);
}

/* The first difference between two trees, written to why; false if none. */
static inline bool bd_differ(const egw_node *x, const egw_node *y, char *why, size_t wn)
{
	if (x->kind != y->kind || x->flags != y->flags || x->pos.line != y->pos.line ||
	    x->pos.col != y->pos.col || x->pos.input != y->pos.input) {
		snprintf(why, wn, "node at %u:%u (kind %d flags %x) against %u:%u (kind %d flags %x)",
			 x->pos.line, x->pos.col, x->kind, x->flags, y->pos.line, y->pos.col, y->kind,
			 y->flags);
		return true;
	}
	if (x->kind == EGW_ARR || x->kind == EGW_OBJ) {
		if (x->n != y->n) {
			snprintf(why, wn, "container at %u:%u: %u against %u children", x->pos.line,
				 x->pos.col, x->n, y->n);
			return true;
		}
		for (size_t i = 0; i < x->n; i++) {
			if (x->kind == EGW_OBJ) {
				const egw_member *mx = &x->c.members[i], *my = &y->c.members[i];
				if (strcmp(mx->key, my->key)) {
					snprintf(why, wn, "key \"%s\" against \"%s\"", mx->key, my->key);
					return true;
				}
				if (bd_differ(mx->val, my->val, why, wn))
					return true;
			} else if (bd_differ(x->c.items[i], y->c.items[i], why, wn)) {
				return true;
			}
		}
		return false;
	}
	if (x->kind != EGW_NULL && (x->len != y->len || memcmp(x->str, y->str, x->len))) {
		snprintf(why, wn, "scalar at %u:%u: \"%s\" against \"%s\"", x->pos.line, x->pos.col,
			 x->str, y->str);
		return true;
	}
	return false;
}

/* Compares the two parses; false (with why) when they differ. */
static inline bool bd_same(const bd_side *f, const bd_side *l, char *why, size_t wn)
{
	if (f->rc != l->rc || egw_len(f->docs) != egw_len(l->docs) || f->c.n_diags != l->c.n_diags) {
		snprintf(why, wn, "rc %ld/%ld, %zu/%zu documents, %zu/%zu diagnostics", f->rc, l->rc,
			 egw_len(f->docs), egw_len(l->docs), f->c.n_diags, l->c.n_diags);
		return false;
	}
	for (size_t i = 0; i < egw_len(f->docs); i++)
		if (bd_differ(egw_at(f->docs, i), egw_at(l->docs, i), why, wn))
			return false;
	for (const egw_diag_item *x = f->c.diag_head, *y = l->c.diag_head; x && y;
	     x = x->next, y = y->next) {
		if (x->code != y->code || x->severity != y->severity || strcmp(x->message, y->message) ||
		    x->pos.line != y->pos.line || x->pos.col != y->pos.col) {
			snprintf(why, wn, "diagnostic %u:%u \"%s\" against %u:%u \"%s\"", x->pos.line,
				 x->pos.col, x->message, y->pos.line, y->pos.col, y->message);
			return false;
		}
	}
	return true;
}

#endif
