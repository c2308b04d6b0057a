/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text renderings of egw_node trees: JSON (pretty or compact) and YAML
 * (block style, strings quoted whenever a reader could take them for
 * anything else).  Members are written in the tree's order; callers sort
 * when they want canonical order.
 */
#ifndef EGW_UTIL_TEXT_H
#define EGW_UTIL_TEXT_H

#include "buf.h"
#include "node.h"

void egw_write_json(egw_buf *b, const egw_node *n, bool pretty);
void egw_write_yaml(egw_buf *b, const egw_node *n);

/* Convenience: render into a fresh arena string. */
const char *egw_to_json(egw_arena *a, const egw_node *n, bool pretty);
const char *egw_to_yaml(egw_arena *a, const egw_node *n);

#endif
