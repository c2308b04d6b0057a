/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A string-keyed hash map in the arena (open addressing, insertion order
 * kept so iteration is deterministic).  Used for every by-name index so no
 * stage looks things up by linear scan.
 */
#ifndef EGW_UTIL_MAP_H
#define EGW_UTIL_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef struct egw_map_entry {
	const char *key;
	size_t klen;
	void *val;
} egw_map_entry;

typedef struct egw_map {
	egw_arena *arena;
	egw_map_entry *entries; /* insertion order */
	size_t n, cap;
	unsigned *slots; /* entry index + 1 */
	size_t mask;
} egw_map;

void egw_map_init(egw_map *m, egw_arena *a);
/* Returns the value, or NULL. */
void *egw_map_get(const egw_map *m, const char *key);
void *egw_map_getn(const egw_map *m, const char *key, size_t klen);
/* Sets key (copied) to val; returns the previous value or NULL. */
void *egw_map_put(egw_map *m, const char *key, void *val);
void *egw_map_putn(egw_map *m, const char *key, size_t klen, void *val);
/* As egw_map_put, but keeps the key pointer: key must live as long as the
 * map (in its arena, say) and not change. */
void *egw_map_put_ref(egw_map *m, const char *key, void *val);
bool egw_map_has(const egw_map *m, const char *key);

#define EGW_MAP_EACH(map, i, e) \
	for (size_t i = 0; i < (map)->n && ((e) = &(map)->entries[i], 1); i++)

#endif
