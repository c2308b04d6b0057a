/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scanner for the block-style YAML that Kubernetes manifests are written
 * in, producing the same events libyaml produces for them (events.h).  It
 * reads each line once, keeps scalars where they are in the input, and
 * allocates nothing per scalar; libyaml's scanner and parser, which handle
 * all of YAML, take several times as long on such text.  The scanner gives
 * up (returns false) on anything outside its subset, syntax errors included,
 * and the caller parses that segment with libyaml: libyaml stays the
 * reference for what YAML means and for every error message.
 *
 * The rules libyaml follows that this scanner reproduces:
 * - a mapping starts where its first key starts, a block sequence where its
 *   first `-` is; an indentless sequence (`key:` then `- a` at the key's
 *   indentation) starts at its first `-` too;
 * - a mapping value left empty (`key:` with nothing after it or indented
 *   under it) is an empty plain scalar just after the colon;
 * - a plain scalar ends at `: ` (or a colon at the end of the line), at ` #`
 *   or at the line's end, without its trailing spaces; a more indented line
 *   after it would continue it (which this scanner leaves to libyaml);
 * - the document end is at column 0 of the line after the last one.
 */
#include <string.h>

#include "events.h"

enum { MAX_NEST = 200, MAX_KEY = 1000 };

typedef struct bscan {
	egw_arena *a;
	const char *p, *end;
	const char *ls; /* start of the current line */
	uint32_t line;
	int ind; /* indentation of the content line at p, -1 at the end */
	unsigned depth;
	egw_yevs *out;
} bscan;

/* The bytes a plain scalar's scan stops at (a comment needs a space
 * before its `#`, so `#` is looked at only after a space). */
static const unsigned char plain_stop[256] = { [':'] = 1, [' '] = 1, ['\n'] = 1 };

/* The indicators a plain scalar cannot start with (block.c also leaves
 * `?` and `:` before a non-blank, which YAML allows, to libyaml). */
static const unsigned char indicator[256] = {
	['?'] = 1, [':'] = 1, [','] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1, ['#'] = 1,
	['&'] = 1, ['*'] = 1, ['!'] = 1, ['|'] = 1, ['>'] = 1, ['%'] = 1, ['@'] = 1, ['`'] = 1,
};

static bool blankz(const bscan *s, const char *q)
{
	return q >= s->end || *q == ' ' || *q == '\n';
}

static uint32_t col(const bscan *s, const char *q)
{
	return (uint32_t)(q - s->ls);
}

/* An event at (line, column) of the segment. */
static void emit_pos(bscan *s, egw_yev_type t, uint32_t line, uint32_t column, const char *text,
		     size_t len, bool plain)
{
	egw_yevs *o = s->out;
	if (o->n == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 256;
		o->ev = egw_realloc(s->a, o->ev, o->cap * sizeof *o->ev, nc * sizeof *o->ev);
		o->cap = nc;
	}
	o->ev[o->n++] = (egw_yev){ .type = t, .plain = plain, .line = line, .col = column,
				   .text = text, .len = len };
}

/* An event at `at`, on the current line. */
static void emit(bscan *s, egw_yev_type t, const char *at, const char *text, size_t len,
		 bool plain)
{
	emit_pos(s, t, s->line, col(s, at), text, len, plain);
}

/* From the start of a line (s->p == s->ls), skips blank and comment-only
 * lines; stops at the first content character of the next content line
 * (setting s->ind) or at the end (s->ind = -1).  Lines starting with a
 * document marker are left to libyaml. */
static bool next_content(bscan *s)
{
	for (;;) {
		const char *q = s->p;
		if (q >= s->end) {
			s->ind = -1;
			return true;
		}
		while (q < s->end && *q == ' ')
			q++;
		if (q < s->end && *q != '\n' && *q != '#') {
			if (q == s->ls && s->end - q >= 3 &&
			    (!memcmp(q, "---", 3) || !memcmp(q, "...", 3)))
				return false;
			s->p = q;
			s->ind = (int)(q - s->ls);
			return true;
		}
		const char *nl = memchr(q, '\n', (size_t)(s->end - q));
		if (!nl) {
			s->p = s->end;
			s->ind = -1;
			return true;
		}
		s->p = s->ls = nl + 1;
		s->line++;
	}
}

/* After a value on its line: spaces, maybe a comment, the line's end. */
static bool end_line(bscan *s)
{
	const char *q = s->p;
	while (q < s->end && *q == ' ')
		q++;
	if (q < s->end && *q == '#') {
		if (q == s->p)
			return false; /* a comment needs a space before it */
		q = memchr(q, '\n', (size_t)(s->end - q));
		if (!q)
			q = s->end;
	}
	if (q < s->end && *q != '\n')
		return false;
	if (q < s->end) {
		s->p = s->ls = q + 1;
		s->line++;
	} else {
		s->p = s->end;
	}
	return next_content(s);
}

/* A quoted scalar opening at q (its quote): true with *close at the
 * closing quote when it ends on this line without escapes (no `\`, no
 * `''`); false for anything libyaml must read. */
static bool quoted_span(const char *q, const char *end, const char **close)
{
	const char *t = q + 1;
	while (t < end && *t != *q) {
		if (*t == '\n' || *t == '\\')
			return false; /* multi-line, or an escape */
		t++;
	}
	if (t >= end || (*q == '\'' && t + 1 < end && t[1] == '\''))
		return false; /* unclosed, or a '' escape */
	*close = t;
	return true;
}

/* One scalar on the current line at s->p.  *is_key tells whether a `: `
 * follows it (s->p is then at the colon); otherwise s->p is after it. */
static bool scalar(bscan *s, const char **text, size_t *len, bool *plain, bool *is_key)
{
	const char *q = s->p, *end = s->end;
	char c0 = *q;
	if (c0 == '"' || c0 == '\'') {
		const char *t;
		if (!quoted_span(q, end, &t))
			return false;
		*text = q + 1;
		*len = (size_t)(t - q - 1);
		*plain = false;
		s->p = t + 1;
		*is_key = s->p < end && *s->p == ':' && blankz(s, s->p + 1);
		return !*is_key || *len <= MAX_KEY;
	}
	/* plain: not starting with an indicator (`-` only before a non-blank) */
	if (indicator[(unsigned char)c0] || (c0 == '-' && blankz(s, q + 1)))
		return false;
	const char *t = q, *last = q; /* last: after the last non-space */
	*is_key = false;
	while (t < end) {
		/* most bytes are none of the three that matter here */
		if (!plain_stop[(unsigned char)*t]) {
			last = ++t;
			continue;
		}
		if (*t == '\n')
			break;
		if (*t == ':' && blankz(s, t + 1)) {
			*is_key = true;
			break;
		}
		if (*t == ' ') {
			if (t + 1 < end && t[1] == '#')
				break;
		} else {
			last = t + 1;
		}
		t++;
	}
	*text = q;
	*len = (size_t)(last - q);
	*plain = true;
	s->p = *is_key ? t : last;
	return !*is_key || (size_t)(t - q) <= MAX_KEY;
}

static bool block(bscan *s);
static bool mapping(bscan *s);
static bool sequence(bscan *s, bool indentless);

static bool flow_plain_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '/' || ch == '-';
}

/* A one-line flow sequence of scalars, `[a, "b", 'c']`, at s->p.  Its plain
 * items are words of letters, digits and `._/-` only (flow context has
 * rules of its own for the rest). */
static bool flow_seq(bscan *s)
{
	const char *q = s->p + 1, *end = s->end;
	emit(s, EGW_YEV_SEQ_START, s->p, NULL, 0, false);
	for (;;) {
		while (q < end && *q == ' ')
			q++;
		if (q >= end)
			return false;
		const char *text, *at = q;
		size_t len;
		if (*q == '"' || *q == '\'') {
			const char *t;
			if (!quoted_span(q, end, &t))
				return false;
			text = q + 1;
			len = (size_t)(t - q - 1);
			q = t + 1;
		} else {
			const char *t = q;
			while (t < end && flow_plain_char(*t))
				t++;
			if (t == q || (*q == '-' && t == q + 1))
				return false;
			text = q;
			len = (size_t)(t - q);
			q = t;
		}
		emit(s, EGW_YEV_SCALAR, at, text, len, *at != '"' && *at != '\'');
		while (q < end && *q == ' ')
			q++;
		if (q < end && *q == ']')
			break;
		if (q >= end || *q != ',')
			return false;
		q++;
	}
	emit(s, EGW_YEV_SEQ_END, q, NULL, 0, false);
	s->p = q + 1;
	return true;
}

/* A value on the line of its key or `-`: a scalar, `[]`, `{}` or a flow
 * sequence of scalars.  Then the line must end, and the next content line
 * must not be more indented than `outer` (that would continue a plain
 * scalar, or be an error). */
static bool inline_value(bscan *s, int outer)
{
	const char *q = s->p;
	if (*q == '[' && !(q + 1 < s->end && q[1] == ']')) {
		if (!flow_seq(s))
			return false;
	} else if ((*q == '[' || *q == '{') && q + 1 < s->end && q[1] == (*q == '[' ? ']' : '}')) {
		bool seq = *q == '[';
		emit(s, seq ? EGW_YEV_SEQ_START : EGW_YEV_MAP_START, q, NULL, 0, false);
		emit(s, seq ? EGW_YEV_SEQ_END : EGW_YEV_MAP_END, q, NULL, 0, false);
		s->p = q + 2;
	} else {
		const char *text;
		size_t len;
		bool plain, is_key;
		if (!scalar(s, &text, &len, &plain, &is_key) || is_key)
			return false;
		emit(s, EGW_YEV_SCALAR, q, text, len, plain);
	}
	return end_line(s) && s->ind <= outer;
}

/* The block node at s->p, which starts a content line of indentation s->ind. */
static bool block(bscan *s)
{
	if (++s->depth > MAX_NEST)
		return false;
	bool ok;
	if (*s->p == '-' && blankz(s, s->p + 1)) {
		ok = sequence(s, false);
	} else {
		ok = mapping(s);
	}
	s->depth--;
	return ok;
}

/* A block mapping whose first key is at s->p; its indentation is that
 * key's column (a key after `- ` on a sequence's line is not at s->ind). */
static bool mapping(bscan *s)
{
	int m = (int)col(s, s->p);
	emit(s, EGW_YEV_MAP_START, s->p, NULL, 0, false);
	for (;;) {
		const char *k = s->p;
		const char *text;
		size_t len;
		bool plain, is_key;
		if (!scalar(s, &text, &len, &plain, &is_key) || !is_key)
			return false;
		emit(s, EGW_YEV_SCALAR, k, text, len, plain);
		const char *colon = s->p;
		s->p++;
		while (s->p < s->end && *s->p == ' ')
			s->p++;
		if (s->p < s->end && *s->p != '\n' && *s->p != '#') {
			if (!inline_value(s, m))
				return false;
		} else {
			/* the value, if any, is on the lines below */
			uint32_t kline = s->line;
			uint32_t ccol = col(s, colon) + 1;
			s->p = colon + 1;
			if (!end_line(s))
				return false;
			if (s->ind > m) {
				if (!block(s))
					return false;
			} else if (s->ind == m && *s->p == '-' && blankz(s, s->p + 1)) {
				if (++s->depth > MAX_NEST || !sequence(s, true))
					return false;
				s->depth--;
			} else {
				emit_pos(s, EGW_YEV_SCALAR, kline, ccol, "", 0, true);
			}
		}
		if (s->ind < m)
			break;
		if (s->ind > m || (*s->p == '-' && blankz(s, s->p + 1)))
			return false;
	}
	emit(s, EGW_YEV_MAP_END, s->p, NULL, 0, false);
	return true;
}

/* A block sequence whose first `-` is at s->p.  An indentless one (the
 * value of a key at the same indentation) ends at the next key. */
static bool sequence(bscan *s, bool indentless)
{
	int q = s->ind;
	emit(s, EGW_YEV_SEQ_START, s->p, NULL, 0, false);
	for (;;) {
		/* s->p is at a `-` followed by a blank */
		const char *t = s->p + 1;
		while (t < s->end && *t == ' ')
			t++;
		if (t >= s->end || *t == '\n' || *t == '#' || (*t == '-' && blankz(s, t + 1)))
			return false; /* the item on the lines below, or a nested `- -` */
		s->p = t;
		const char *text;
		size_t len;
		bool plain, is_key = false;
		if (*t != '[' && *t != '{' && !scalar(s, &text, &len, &plain, &is_key))
			return false;
		s->p = t;
		if (is_key) {
			if (++s->depth > MAX_NEST || !mapping(s))
				return false;
			s->depth--;
		} else if (!inline_value(s, q)) {
			return false;
		}
		if (s->ind < q)
			break;
		if (s->ind > q)
			return false;
		if (!(*s->p == '-' && blankz(s, s->p + 1))) {
			if (!indentless)
				return false;
			break;
		}
	}
	emit(s, EGW_YEV_SEQ_END, s->p, NULL, 0, false);
	return true;
}

bool egw_block_scan(egw_arena *a, const char *data, size_t len, egw_yevs *out)
{
	/* Bytes left to libyaml wherever they are: beyond ASCII (columns would
	 * no longer be bytes), controls other than the line feed (tabs,
	 * carriage returns, what libyaml rejects) and the backslash (no scalar
	 * needs unescaping then).  No early exit: the loop vectorizes. */
	unsigned any = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];
		any |= (unsigned)(ch >= 0x7f) | ((unsigned)(ch < 0x20) & (unsigned)(ch != '\n')) |
		       (unsigned)(ch == '\\');
	}
	if (any)
		return false;
	bscan s = { .a = a, .p = data, .end = data + len, .ls = data, .out = out };
	out->n = 0;
	if (!next_content(&s)) {
		/* a leading `---` (the caller cuts the buffer before each) */
		const char *q = s.p;
		if (q != s.ls || s.end - q < 3 || memcmp(q, "---", 3) || !blankz(&s, q + 3))
			return false;
		s.p = q + 3;
		if (!end_line(&s))
			return false;
		if (s.ind == -1)
			return true; /* an empty document: no events, as no node */
	} else if (s.ind == -1) {
		return true; /* comments only */
	}
	emit(&s, EGW_YEV_DOC_START, s.p, NULL, 0, false);
	if (!block(&s) || s.ind != -1)
		return false;
	/* libyaml's stream end: column 0 of the line after the last (the
	 * scan counted the line feeds; a last line without one counts too) */
	uint32_t lines = s.line + (s.ls < s.end ? 1 : 0);
	emit_pos(&s, EGW_YEV_DOC_END, lines, 0, NULL, 0, false);
	emit_pos(&s, EGW_YEV_STREAM_END, lines, 0, NULL, 0, false);
	return true;
}
