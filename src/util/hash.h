/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The util layer's one string hash (interned keys, object indexes, maps):
 * XXH3, compiled inline.  Include it from .c files only: xxhash.h in
 * inline mode must not meet its library form in one translation unit.
 */
#ifndef EGW_UTIL_HASH_H
#define EGW_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t egw_hash(const char *s, size_t n)
{
	return XXH3_64bits(s, n);
}

#endif
