/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 of a byte string, as 64 lower-case hex digits in the arena. */
#ifndef EGW_UTIL_SHA256_H
#define EGW_UTIL_SHA256_H

#include <stddef.h>

#include "arena.h"

const char *egw_sha256_hex(egw_arena *a, const void *data, size_t n);

#endif
