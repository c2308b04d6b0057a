/* SPDX-License-Identifier: Apache-2.0 */
#include "ctx.h"

#include <stdio.h>
#include <string.h>

void egw_diag_at(egw_ctx *c, int code, int severity, egw_pos pos, const char *kind,
		 const char *ns, const char *name, const char *msg)
{
	egw_diag_item *d = egw_alloc(c->arena, sizeof *d);
	d->code = code;
	d->severity = severity;
	d->pos = pos;
	d->message = msg;
	d->kind = kind;
	d->ns = ns;
	d->name = name;
	if (c->diag_tail)
		c->diag_tail->next = d;
	else
		c->diag_head = d;
	c->diag_tail = d;
	c->n_diags++;
}

void egw_diagv(egw_ctx *c, int code, int severity, const egw_node *at, const egw_node *obj,
	       const char *fmt, va_list ap)
{
	char small[512];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	if (n < 0)
		n = 0;
	char *msg = egw_alloc_raw(c->arena, (size_t)n + 1);
	if ((size_t)n < sizeof small)
		memcpy(msg, small, (size_t)n + 1);
	else
		vsnprintf(msg, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	egw_pos pos = { 0, 0, 0 };
	if (at)
		pos = at->pos;
	else if (obj)
		pos = obj->pos;
	const char *kind = NULL, *ns = NULL, *name = NULL;
	if (obj) {
		kind = egw_get_str(obj, "kind", NULL);
		ns = egw_text(egw_path(obj, "metadata.namespace"));
		name = egw_text(egw_path(obj, "metadata.name"));
	}
	egw_diag_at(c, code, severity, pos, kind, ns, name, msg);
}

void egw_diag(egw_ctx *c, int code, int severity, const egw_node *at, const egw_node *obj,
	      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	egw_diagv(c, code, severity, at, obj, fmt, ap);
	va_end(ap);
}

bool egw_runtime_flag(const egw_ctx *c, const char *flag)
{
	if (!c->runtime_flags)
		return false;
	for (const char **f = c->runtime_flags; *f; f++)
		if (!strcmp(*f, flag))
			return true;
	return false;
}

egw_ctx egw_ctx_in_arena(const egw_ctx *c, egw_arena *a)
{
	egw_ctx x = *c;
	x.arena = a;
	x.diag_head = x.diag_tail = NULL;
	x.n_diags = 0;
	x.scratch = NULL;
	x.scratch_cap = 0;
	x.pb_fields = NULL;
	x.pb_gen = 0;
	x.pb_run = false;
	return x;
}
