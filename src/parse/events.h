/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parse-internal: the event stream the tree builder in yaml.c consumes.
 * libyaml's events are translated into these, and block.c's scanner for
 * plain Kubernetes YAML writes them directly.  Positions are 0-based within
 * the segment, as libyaml's marks are.
 */
#ifndef EGW_PARSE_EVENTS_H
#define EGW_PARSE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"

typedef enum {
	EGW_YEV_DOC_START,
	EGW_YEV_DOC_END,
	EGW_YEV_SCALAR,
	EGW_YEV_SEQ_START,
	EGW_YEV_SEQ_END,
	EGW_YEV_MAP_START,
	EGW_YEV_MAP_END,
	EGW_YEV_ALIAS,
	EGW_YEV_STREAM_END,
} egw_yev_type;

typedef struct egw_yev {
	egw_yev_type type;
	bool plain;       /* a scalar written plain (typed as the core schema says) */
	uint32_t line, col;
	const char *text; /* a scalar's text (not NUL-terminated), or NULL */
	size_t len;
	const char *anchor, *tag; /* NUL-terminated, or NULL */
} egw_yev;

/* A growing list of events, reused from segment to segment. */
typedef struct egw_yevs {
	egw_yev *ev;
	size_t n, cap;
} egw_yevs;

/* Scans a segment (at most one document) written in the block-style subset
 * of YAML that Kubernetes manifests use: block mappings and sequences
 * (indentless ones too), one-line plain and quoted scalars without escapes,
 * comments, a leading `---`, and the empty flow collections `[]` and `{}`.
 * Fills `out` with the events libyaml gives for the same text and returns
 * true; returns false, with `out` unspecified, for anything else (anchors,
 * tags, block scalars, flow collections, multi-line scalars, escapes, tabs,
 * carriage returns, bytes beyond ASCII, and every syntax error), which the
 * caller then hands to libyaml.  Allocates the event list in `a`. */
bool egw_block_scan(egw_arena *a, const char *data, size_t len, egw_yevs *out);

#endif
