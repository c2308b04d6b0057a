/* SPDX-License-Identifier: Apache-2.0 */
/* A growable byte buffer in the arena. */
#ifndef EGW_UTIL_BUF_H
#define EGW_UTIL_BUF_H

#include <stddef.h>

#include "arena.h"

typedef struct egw_buf {
	egw_arena *arena;
	char *data; /* always NUL-terminated once anything was written */
	size_t len, cap;
} egw_buf;

void egw_buf_init(egw_buf *b, egw_arena *a);
void egw_buf_put(egw_buf *b, const void *data, size_t n);
void egw_buf_puts(egw_buf *b, const char *s);
void egw_buf_putc(egw_buf *b, char ch);
void egw_buf_printf(egw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the NUL-terminated contents ("" when empty). */
const char *egw_buf_str(egw_buf *b);

#endif
