/* SPDX-License-Identifier: Apache-2.0 */
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* YAML readers reject DEL and the C1 controls even inside double quotes,
 * and fold NEL, LS and PS like line breaks; a BOM inside a scalar is
 * dropped by some.  Returns the length of such a sequence at s, or 0. */
static size_t yaml_unsafe(const unsigned char *s, size_t n)
{
	if (s[0] == 0x7f)
		return 1;
	if (n >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
		return 3;
	if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		return 3;
	return 0;
}

/* A JSON string; with `yaml`, also a YAML double-quoted scalar (JSON's
 * escapes are YAML's, plus the characters yaml_unsafe names). */
static void json_str_mode(egw_buf *b, const char *s, size_t n, bool yaml)
{
	egw_buf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		const char *esc = NULL;
		char tmp[8];
		size_t skip = 0;
		switch (ch) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (ch < 0x20) {
				snprintf(tmp, sizeof tmp, "\\u%04x", ch);
				esc = tmp;
			} else if (yaml && ch >= 0x7f && (skip = yaml_unsafe((const unsigned char *)s + i, n - i))) {
				unsigned cp = skip == 1 ? ch
					      : skip == 2 ? (unsigned)(((ch & 0x1f) << 6) | ((unsigned char)s[i + 1] & 0x3f))
					      : (unsigned)(((ch & 0x0f) << 12) | (((unsigned char)s[i + 1] & 0x3f) << 6) |
							   ((unsigned char)s[i + 2] & 0x3f));
				snprintf(tmp, sizeof tmp, "\\u%04x", cp);
				esc = tmp;
			}
		}
		if (esc) {
			egw_buf_put(b, s + i - run, run);
			run = 0;
			egw_buf_puts(b, esc);
			if (skip > 1)
				i += skip - 1;
		} else {
			run++;
		}
	}
	egw_buf_put(b, s + n - run, run);
	egw_buf_putc(b, '"');
}

static void json_str(egw_buf *b, const char *s, size_t n) { json_str_mode(b, s, n, false); }

/* The shortest text that reads back as f.  Integral values below 1e21 are
 * written in full ("100", not "1e+02", as Go and protobuf print them); for
 * YAML an exponent form always gets a fraction ("1.0e-07"), since YAML 1.1
 * readers take "1e-07" for a string. */
static void put_float_mode(egw_buf *b, double f, bool yaml)
{
	if (isnan(f) || isinf(f)) {
		egw_buf_puts(b, isnan(f) ? "\"NaN\"" : f > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	char buf[48];
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, f);
		double back;
		sscanf(buf, "%lf", &back);
		if (back == f)
			break;
	}
	char *e = strchr(buf, 'e');
	if (e && fabs(f) < 1e21 && f == floor(f)) {
		snprintf(buf, sizeof buf, "%.0f", f);
	} else if (e && yaml && !memchr(buf, '.', (size_t)(e - buf))) {
		char tail[16];
		snprintf(tail, sizeof tail, "%s", e);
		snprintf(e, sizeof buf - (size_t)(e - buf), ".0%s", tail);
	}
	egw_buf_puts(b, buf);
}

static void put_float(egw_buf *b, double f) { put_float_mode(b, f, false); }

static void indent(egw_buf *b, int depth)
{
	for (int i = 0; i < depth; i++)
		egw_buf_puts(b, "  ");
}

static void json_node(egw_buf *b, const egw_node *n, bool pretty, int depth)
{
	if (!n) {
		egw_buf_puts(b, "null");
		return;
	}
	switch (n->kind) {
	case EGW_NULL: egw_buf_puts(b, "null"); break;
	case EGW_BOOL: egw_buf_puts(b, egw_vbool(n) ? "true" : "false"); break;
	case EGW_INT: egw_buf_printf(b, "%lld", (long long)egw_vint(n)); break;
	case EGW_FLOAT: put_float(b, egw_vfloat(n)); break;
	case EGW_STR: json_str(b, n->str, n->len); break;
	case EGW_ARR:
		if (!n->n) {
			egw_buf_puts(b, "[]");
			break;
		}
		egw_buf_putc(b, '[');
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				egw_buf_putc(b, ',');
			if (pretty) {
				egw_buf_putc(b, '\n');
				indent(b, depth + 1);
			}
			json_node(b, n->c.items[i], pretty, depth + 1);
		}
		if (pretty) {
			egw_buf_putc(b, '\n');
			indent(b, depth);
		}
		egw_buf_putc(b, ']');
		break;
	case EGW_OBJ:
		if (!n->n) {
			egw_buf_puts(b, "{}");
			break;
		}
		egw_buf_putc(b, '{');
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				egw_buf_putc(b, ',');
			if (pretty) {
				egw_buf_putc(b, '\n');
				indent(b, depth + 1);
			}
			json_str(b, n->c.members[i].key, egw_member_klen(&n->c.members[i]));
			egw_buf_puts(b, pretty ? ": " : ":");
			json_node(b, n->c.members[i].val, pretty, depth + 1);
		}
		if (pretty) {
			egw_buf_putc(b, '\n');
			indent(b, depth);
		}
		egw_buf_putc(b, '}');
		break;
	}
}

void egw_write_json(egw_buf *b, const egw_node *n, bool pretty)
{
	json_node(b, n, pretty, 0);
	if (pretty)
		egw_buf_putc(b, '\n');
}

/* ---- YAML ---- */

static bool plain_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	/* Anything the YAML loader would type as non-string must be quoted:
	 * YAML 1.2's and YAML 1.1's (go-yaml v2, PyYAML) null and booleans,
	 * and 1.1's merge key and value indicator. */
	static const char *const reserved[] = { "null", "Null", "NULL", "~", "true", "True",
						"TRUE", "false", "False", "FALSE", "yes", "Yes",
						"YES", "no", "No", "NO", "on", "On", "ON", "off",
						"Off", "OFF", "y", "Y", "n", "N", "<<", "=", NULL };
	for (const char *const *r = reserved; *r; r++)
		if (!strcmp(s, *r))
			return false;
	unsigned char c0 = (unsigned char)s[0];
	if (strchr("-?:,[]{}#&*!|>'\"%@` \t", c0) && !(c0 == '-' && n > 1 && s[1] != ' '))
		return false;
	/* document markers, wherever the scalar lands */
	if (n >= 3 && (!strncmp(s, "---", 3) || !strncmp(s, "...", 3)))
		return false;
	if ((c0 >= '0' && c0 <= '9') || c0 == '.' || c0 == '+' || c0 == '-') {
		/* Could be a number in some YAML: decimal, 0x/0o/0b, 1_000,
		 * sexagesimal 1:20, .inf/.nan, or a timestamp.  Plain only when a
		 * character appears that none of those can contain. */
		bool other = false;
		for (size_t i = 0; i < n && !other; i++)
			if (!strchr("0123456789+-._: eEaAbBcCdDfFxXoOtTzZiInN", (unsigned char)s[i]))
				other = true;
		if (!other)
			return false;
	}
	if (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == ':')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			return false;
		if (ch >= 0x80 && yaml_unsafe((const unsigned char *)s + i, n - i))
			return false;
		if (ch == ':' && i + 1 < n && s[i + 1] == ' ')
			return false;
		if (ch == '#' && i > 0 && s[i - 1] == ' ')
			return false;
		if (ch == ':' && i + 1 == n)
			return false;
	}
	return true;
}

static void yaml_scalar(egw_buf *b, const egw_node *n)
{
	switch (n->kind) {
	case EGW_NULL: egw_buf_puts(b, "null"); return;
	case EGW_BOOL: egw_buf_puts(b, egw_vbool(n) ? "true" : "false"); return;
	case EGW_INT: egw_buf_printf(b, "%lld", (long long)egw_vint(n)); return;
	case EGW_FLOAT: {
		double f = egw_vfloat(n);
		if (isnan(f)) egw_buf_puts(b, ".nan");
		else if (isinf(f)) egw_buf_puts(b, f > 0 ? ".inf" : "-.inf");
		else put_float_mode(b, f, true);
		return;
	}
	case EGW_STR:
		if (plain_ok(n->str, n->len))
			egw_buf_put(b, n->str, n->len);
		else
			json_str_mode(b, n->str, n->len, true); /* JSON strings are YAML double-quoted scalars */
		return;
	default: return;
	}
}

static bool is_container(const egw_node *n)
{
	return n && (n->kind == EGW_ARR || n->kind == EGW_OBJ) && n->n > 0;
}

static void yaml_key(egw_buf *b, const char *k, size_t kl)
{
	if (plain_ok(k, kl))
		egw_buf_put(b, k, kl);
	else
		json_str_mode(b, k, kl, true);
}

static void yaml_node(egw_buf *b, const egw_node *n, int depth);

/* Writes the value after "key:" or "- " (the cursor is after that). */
static void yaml_value(egw_buf *b, const egw_node *v, int depth, bool in_seq)
{
	if (!v) {
		egw_buf_puts(b, " null\n");
		return;
	}
	if (!is_container(v)) {
		egw_buf_putc(b, ' ');
		if (v->kind == EGW_ARR)
			egw_buf_puts(b, "[]");
		else if (v->kind == EGW_OBJ)
			egw_buf_puts(b, "{}");
		else
			yaml_scalar(b, v);
		egw_buf_putc(b, '\n');
		return;
	}
	if (in_seq) {
		/* "- " followed by the first member on the same line */
		egw_buf_putc(b, ' ');
		yaml_node(b, v, -(depth + 1));
		return;
	}
	egw_buf_putc(b, '\n');
	/* sequences under a key are written at the key's indentation */
	yaml_node(b, v, v->kind == EGW_ARR ? depth : depth + 1);
}

/* depth < 0: the first line continues the current line (after "- "). */
static void yaml_node(egw_buf *b, const egw_node *n, int depth)
{
	bool cont = depth < 0;
	int d = cont ? -depth : depth;
	if (n->kind == EGW_OBJ) {
		for (size_t i = 0; i < n->n; i++) {
			if (!(cont && i == 0))
				indent(b, d);
			const char *k = n->c.members[i].key;
			size_t kl = egw_member_klen(&n->c.members[i]);
			/* YAML limits an implicit key to 1024 characters; a key
			 * that may be longer once written (an escape is at most
			 * six) goes in the explicit form, "? key" then ": value" */
			if (kl > 170) {
				egw_buf kb;
				egw_buf_init(&kb, b->arena);
				yaml_key(&kb, k, kl);
				if (kb.len > 1000) {
					egw_buf_puts(b, "? ");
					egw_buf_put(b, kb.data, kb.len);
					egw_buf_putc(b, '\n');
					indent(b, d);
				} else {
					egw_buf_put(b, kb.data, kb.len);
				}
			} else {
				yaml_key(b, k, kl);
			}
			egw_buf_putc(b, ':');
			yaml_value(b, n->c.members[i].val, d, false);
		}
	} else if (n->kind == EGW_ARR) {
		for (size_t i = 0; i < n->n; i++) {
			if (!(cont && i == 0))
				indent(b, d);
			egw_buf_putc(b, '-');
			yaml_value(b, n->c.items[i], d, true);
		}
	} else {
		if (!cont)
			indent(b, d);
		yaml_scalar(b, n);
		egw_buf_putc(b, '\n');
	}
}

void egw_write_yaml(egw_buf *b, const egw_node *n)
{
	if (!n) {
		egw_buf_puts(b, "null\n");
		return;
	}
	if (!is_container(n)) {
		if (n->kind == EGW_ARR)
			egw_buf_puts(b, "[]\n");
		else if (n->kind == EGW_OBJ)
			egw_buf_puts(b, "{}\n");
		else {
			yaml_scalar(b, n);
			egw_buf_putc(b, '\n');
		}
		return;
	}
	yaml_node(b, n, 0);
}

const char *egw_to_json(egw_arena *a, const egw_node *n, bool pretty)
{
	egw_buf b;
	egw_buf_init(&b, a);
	egw_write_json(&b, n, pretty);
	return egw_buf_str(&b);
}

const char *egw_to_yaml(egw_arena *a, const egw_node *n)
{
	egw_buf b;
	egw_buf_init(&b, a);
	egw_write_yaml(&b, n);
	return egw_buf_str(&b);
}
