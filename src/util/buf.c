/* SPDX-License-Identifier: Apache-2.0 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void egw_buf_init(egw_buf *b, egw_arena *a)
{
	memset(b, 0, sizeof *b);
	b->arena = a;
}

static void grow(egw_buf *b, size_t need)
{
	if (b->len + need + 1 <= b->cap)
		return;
	size_t nc = b->cap ? b->cap * 2 : 256;
	while (nc < b->len + need + 1)
		nc *= 2;
	b->data = egw_realloc(b->arena, b->data, b->cap, nc);
	b->cap = nc;
}

void egw_buf_put(egw_buf *b, const void *data, size_t n)
{
	grow(b, n);
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = 0;
}

void egw_buf_puts(egw_buf *b, const char *s) { egw_buf_put(b, s, strlen(s)); }

void egw_buf_putc(egw_buf *b, char ch) { egw_buf_put(b, &ch, 1); }

void egw_buf_printf(egw_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		egw_buf_put(b, small, (size_t)n);
		return;
	}
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *egw_buf_str(egw_buf *b)
{
	if (!b->data)
		return "";
	return b->data;
}
