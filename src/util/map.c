/* SPDX-License-Identifier: Apache-2.0 */
#include "map.h"

#include <string.h>

#include "hash.h"

static size_t hash(const char *k, size_t n)
{
	return (size_t)egw_hash(k, n);
}

void egw_map_init(egw_map *m, egw_arena *a)
{
	memset(m, 0, sizeof *m);
	m->arena = a;
}

static void rehash(egw_map *m, size_t cap)
{
	unsigned *slots = egw_alloc(m->arena, cap * sizeof(unsigned));
	for (size_t i = 0; i < m->n; i++) {
		size_t s = hash(m->entries[i].key, m->entries[i].klen) & (cap - 1);
		while (slots[s])
			s = (s + 1) & (cap - 1);
		slots[s] = (unsigned)i + 1;
	}
	m->slots = slots;
	m->mask = cap - 1;
}

static egw_map_entry *lookup(const egw_map *m, const char *key, size_t klen)
{
	if (!m->slots)
		return NULL;
	size_t s = hash(key, klen) & m->mask;
	while (m->slots[s]) {
		egw_map_entry *e = &m->entries[m->slots[s] - 1];
		if (e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
		s = (s + 1) & m->mask;
	}
	return NULL;
}

void *egw_map_getn(const egw_map *m, const char *key, size_t klen)
{
	egw_map_entry *e = lookup(m, key, klen);
	return e ? e->val : NULL;
}

void *egw_map_get(const egw_map *m, const char *key)
{
	return egw_map_getn(m, key, strlen(key));
}

bool egw_map_has(const egw_map *m, const char *key)
{
	return lookup(m, key, strlen(key)) != NULL;
}

static void *put(egw_map *m, const char *key, size_t klen, void *val, bool copy_key)
{
	egw_map_entry *e = lookup(m, key, klen);
	if (e) {
		void *old = e->val;
		e->val = val;
		return old;
	}
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 8;
		m->entries = egw_realloc(m->arena, m->entries, m->cap * sizeof *m->entries,
					 nc * sizeof *m->entries);
		m->cap = nc;
	}
	/* Allocate everything before the entry counts: an allocation failure
	 * jumps out of here, and a map that outlives it (a result's render
	 * cache) must stay whole.  tests/reliability/test_alloc_sweep.c. */
	const char *copy = copy_key ? egw_strndup(m->arena, key, klen) : key;
	if (!m->slots || (m->n + 1) * 2 > m->mask + 1) {
		size_t cap = 16;
		while (cap < (m->n + 1) * 4)
			cap *= 2;
		rehash(m, cap);
	}
	e = &m->entries[m->n++];
	e->key = copy;
	e->klen = klen;
	e->val = val;
	size_t s = hash(key, klen) & m->mask;
	while (m->slots[s])
		s = (s + 1) & m->mask;
	m->slots[s] = (unsigned)m->n;
	return NULL;
}

void *egw_map_putn(egw_map *m, const char *key, size_t klen, void *val)
{
	return put(m, key, klen, val, true);
}

void *egw_map_put(egw_map *m, const char *key, void *val)
{
	return put(m, key, strlen(key), val, true);
}

void *egw_map_put_ref(egw_map *m, const char *key, void *val)
{
	return put(m, key, strlen(key), val, false);
}
