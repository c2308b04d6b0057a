/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parse: bytes to egw_node documents.  YAML (any number of documents) and
 * JSON both go through libyaml, which gives every node its line and column,
 * except documents in plain block YAML, which block.c scans into the same
 * events (events.h) faster; the tree is built from the events either way.
 * Plain scalars are typed as Kubernetes' YAML loader types them (null, bools,
 * integers, floats; everything else a string); quoted scalars are strings.
 * YAML 1.1 merge keys (`<<: *base`) are applied, as go-yaml applies them,
 * and JSON's surrogate pairs ("\ud83d\ude00") are read as the one character.
 * Limits (depth, string size, alias expansion, document count) are enforced
 * here; a violation gives a diagnostic and stops that buffer.
 */
#ifndef EGW_PARSE_PARSE_H
#define EGW_PARSE_PARSE_H

#include "../util/ctx.h"

/* Parses one buffer; appends each non-empty document to `docs` (an ARR).
 * Syntax errors give an EGW_D_SYNTAX diagnostic at the error's position;
 * documents before the error are kept.  Returns the number of documents
 * appended, or -1 when a limit stopped the buffer (EGW_D_LIMIT was added). */
long egw_parse_buffer(egw_ctx *c, uint32_t input, const char *data, size_t len, egw_node *docs);

/* Parses a buffer that must hold exactly one document (config, IR);
 * returns NULL (with a diagnostic) when it does not. */
egw_node *egw_parse_one(egw_ctx *c, uint32_t input, const char *data, size_t len);

#endif
