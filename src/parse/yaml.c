/* SPDX-License-Identifier: Apache-2.0 */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../util/map.h"
#include "events.h"

struct frame;
struct pending;

typedef struct parser_box {
	struct frame *stack; /* the frame stack, kept across the buffer's segments */
	size_t stack_cap;
	struct pending *pend; /* children of the open containers, likewise kept */
	size_t pend_cap;
	yaml_parser_t p;
	bool p_live;
	yaml_event_t ev;
	bool ev_live;
	egw_yevs evs; /* block.c's events of one segment */
	/* mapping keys interned in this buffer, by a hash of their length and
	 * first bytes: the same few keys come again in every document, and a
	 * hit here skips egw_arena_intern's hashing of the whole text */
	const char *keys[256];
} parser_box;

static void box_cleanup(void *ptr)
{
	parser_box *b = ptr;
	if (b->ev_live)
		yaml_event_delete(&b->ev);
	if (b->p_live)
		yaml_parser_delete(&b->p);
	b->ev_live = b->p_live = false;
}

/* A child of an open container, waiting for the container to end: then the
 * container gets an array of exactly its size (an array grown as children
 * arrived left each outgrown copy behind in the arena). */
typedef struct pending {
	const char *key; /* mapping key (its text), NULL in a sequence */
	uint32_t klen;
	egw_pos kpos; /* where the key is, for a duplicate's warning */
	egw_node *val;
} pending;

typedef struct frame {
	egw_node *node;
	size_t base; /* the container's first child in pstate.pend */
	egw_node key;  /* pending mapping key (a scalar, held by value: keys
			* need no node of their own once they are members) */
	bool has_key;
	const char *anchor;
	egw_node *merges; /* mappings named by `<<` keys, applied at the end (ARR) */
} frame;

typedef struct pstate {
	egw_ctx *c;
	uint32_t input;
	uint32_t line0; /* line offset of the segment in the buffer */
	frame *stack;
	size_t depth, cap;
	pending *pend;
	size_t npend, pcap;
	egw_map anchors;
	size_t alias_nodes;
	const char **keys; /* parser_box.keys */
	bool failed;  /* syntax error */
	bool limited; /* limit hit */
} pstate;

static egw_pos mark_pos(const pstate *s, yaml_mark_t m)
{
	egw_pos p = { s->input, s->line0 + (uint32_t)m.line + 1, (uint32_t)m.column + 1 };
	return p;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool is_float_text(const char *s)
{
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	bool digits = false;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == 0;
}

/* The first characters of a null, a bool or a number (~nNtTfF.+- and digits). */
static const bool may_be_typed[256] = {
	['~'] = true, ['n'] = true, ['N'] = true, ['t'] = true, ['T'] = true, ['f'] = true,
	['F'] = true, ['.'] = true, ['+'] = true, ['-'] = true, ['0'] = true, ['1'] = true,
	['2'] = true, ['3'] = true, ['4'] = true, ['5'] = true, ['6'] = true, ['7'] = true,
	['8'] = true, ['9'] = true,
};

/* Types a plain scalar as Kubernetes' YAML loader (YAML 1.2 core schema) does. */
static void type_plain(egw_node *n)
{
	const char *s = n->str;
	size_t len = n->len;
	/* most scalars are names: only these first characters can start a
	 * null, a bool or a number */
	char c0 = s[0];
	if (len && !may_be_typed[(unsigned char)c0])
		return;
	/* the keywords by length first: "name" and "namespace" start with n */
	if (len == 0 || (len == 1 && c0 == '~') ||
	    (len == 4 && (c0 == 'n' || c0 == 'N') &&
	     (!strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL")))) {
		n->kind = EGW_NULL;
		return;
	}
	if (len == 4 && (c0 == 't' || c0 == 'T') &&
	    (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))) {
		n->kind = EGW_BOOL;
		return;
	}
	if (len == 5 && (c0 == 'f' || c0 == 'F') &&
	    (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))) {
		n->kind = EGW_BOOL;
		return;
	}
	if (c0 == 'n' || c0 == 'N' || c0 == 't' || c0 == 'T' || c0 == 'f' || c0 == 'F')
		return; /* a name: no number or special float starts with a letter */
	const char *d = s;
	size_t dl = len;
	if (*d == '-' || *d == '+') {
		d++;
		dl--;
	}
	if (all_digits(d, dl)) {
		errno = 0;
		(void)strtoll(s, NULL, 10);
		if (!errno) {
			n->kind = EGW_INT;
			return;
		}
		n->kind = EGW_FLOAT;
		return;
	}
	if (is_float_text(s)) {
		n->kind = EGW_FLOAT;
		return;
	}
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, "+.inf")) {
		n->kind = EGW_FLOAT;
		return;
	}
	if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf")) {
		n->kind = EGW_FLOAT;
		return;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN")) {
		n->kind = EGW_FLOAT;
		return;
	}
}

/* An explicit core-schema tag (`!!int "8080"`, `!!bool true`) gives its type
 * whatever the style, as YAML 1.2 and go-yaml do; a value that does not
 * read as the tagged type stays a string.  Returns false for other tags. */
static bool type_tagged(egw_node *n, const char *tag)
{
	egw_nkind want;
	if (!tag)
		return false;
	if (!strcmp(tag, "tag:yaml.org,2002:int"))
		want = EGW_INT;
	else if (!strcmp(tag, "tag:yaml.org,2002:float"))
		want = EGW_FLOAT;
	else if (!strcmp(tag, "tag:yaml.org,2002:bool"))
		want = EGW_BOOL;
	else
		return false;
	type_plain(n);
	if (want == EGW_FLOAT && n->kind == EGW_INT) {
		n->kind = EGW_FLOAT; /* its text reads as the number as well */
	}
	if (n->kind != want) {
		n->kind = EGW_STR;
		return false;
	}
	return true;
}

static size_t count_nodes(const egw_node *n)
{
	size_t k = 1;
	if (n->kind == EGW_ARR)
		for (size_t i = 0; i < n->n; i++)
			k += count_nodes(n->c.items[i]);
	else if (n->kind == EGW_OBJ)
		for (size_t i = 0; i < n->n; i++)
			k += count_nodes(n->c.members[i].val);
	return k;
}

/* Levels of containers in n (0 for a scalar). */
static size_t tree_depth(const egw_node *n)
{
	size_t d = 0;
	if (n->kind == EGW_ARR)
		for (size_t i = 0; i < n->n; i++) {
			size_t k = tree_depth(n->c.items[i]);
			d = k > d ? k : d;
		}
	else if (n->kind == EGW_OBJ)
		for (size_t i = 0; i < n->n; i++) {
			size_t k = tree_depth(n->c.members[i].val);
			d = k > d ? k : d;
		}
	else
		return 0;
	return d + 1;
}

/* On the parser's own stand-in for a mapping key (never on a tree node):
 * its text is interned already. */
enum { KEY_INTERNED = 0x20 };

static void push(pstate *s, egw_node *n, const char *anchor)
{
	if (s->depth == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		s->stack = egw_realloc(s->c->arena, s->stack, s->cap * sizeof(frame), nc * sizeof(frame));
		s->cap = nc;
	}
	frame *f = &s->stack[s->depth++];
	f->node = n;
	f->base = s->npend;
	f->has_key = false;
	f->anchor = anchor;
	f->merges = NULL;
}

/* A plain `<<` key merges a mapping (or a list of mappings) into the one
 * it is in, as YAML 1.1's merge key and go-yaml (so sigs.k8s.io/yaml, which
 * Kubernetes and egctl read manifests with) do.  The keys are added when
 * the mapping ends: keys written in the mapping win, then earlier merged
 * mappings over later ones. */
static void merge_later(pstate *s, frame *f, const egw_node *key, egw_node *v)
{
	bool ok = v->kind == EGW_OBJ || v->kind == EGW_ARR;
	const egw_node *it;
	EGW_ARR_EACH(v, i, it)
	if (it->kind != EGW_OBJ)
		ok = false;
	if (!ok) {
		egw_diag(s->c, EGW_D_SYNTAX, EGW_SEV_ERROR, key, NULL,
			 "a merge key (<<) needs a mapping or a list of mappings");
		s->failed = true;
		return;
	}
	if (!f->merges)
		f->merges = egw_arr(s->c->arena);
	if (v->kind == EGW_OBJ) {
		egw_arr_push(s->c->arena, f->merges, v);
		return;
	}
	egw_node *m;
	EGW_ARR_EACH(v, i, m)
	egw_arr_push(s->c->arena, f->merges, m);
}

static void apply_merges(pstate *s, frame *f)
{
	const egw_node *src;
	EGW_ARR_EACH(f->merges, i, src)
	{
		const egw_member *m;
		EGW_OBJ_EACH(src, j, m)
		if (!egw_getn(f->node, m->key, egw_member_klen(m)))
			egw_obj_append(s->c->arena, f->node, m->key, egw_member_klen(m), m->val);
	}
}

static void pend_push(pstate *s, const char *key, size_t klen, egw_pos kpos, egw_node *v)
{
	if (s->npend == s->pcap) {
		size_t nc = s->pcap ? s->pcap * 2 : 64;
		s->pend = egw_realloc(s->c->arena, s->pend, s->pcap * sizeof *s->pend, nc * sizeof *s->pend);
		s->pcap = nc;
	}
	s->pend[s->npend++] = (pending){ key, (uint32_t)klen, kpos, v };
}

/* Gives the container of frame f its children, in one allocation. */
static void materialize(pstate *s, frame *f)
{
	egw_arena *a = s->c->arena;
	egw_node *n = f->node;
	size_t k = s->npend - f->base;
	if (!k)
		return; /* an empty container (pend may not exist yet) */
	const pending *p = s->pend + f->base;
	egw_reserve(a, n, k);
	for (size_t i = 0; i < k; i++) {
		if (n->kind == EGW_ARR) {
			egw_arr_push(a, n, p[i].val);
		} else if (egw_getn(n, p[i].key, p[i].klen)) {
			egw_node at = { .kind = EGW_STR, .pos = p[i].kpos };
			egw_diag(s->c, EGW_D_DUPLICATE, EGW_SEV_WARNING, &at, NULL,
				 "duplicate key \"%s\"; the last value is used", p[i].key);
			egw_obj_setn(a, n, p[i].key, p[i].klen, p[i].val);
		} else {
			egw_obj_append_ref(a, n, p[i].key, p[i].klen, p[i].val); /* the key's text */
		}
	}
	s->npend = f->base;
}

/* Attaches a finished node to its parent (or returns it as the root). */
static egw_node *attach(pstate *s, egw_node *n, egw_node **root)
{
	if (s->depth == 0) {
		*root = n;
		return n;
	}
	frame *f = &s->stack[s->depth - 1];
	if (f->node->kind == EGW_ARR) {
		pend_push(s, NULL, 0, n->pos, n);
	} else if (!f->has_key) {
		if (n->kind == EGW_ARR || n->kind == EGW_OBJ) {
			egw_diag(s->c, EGW_D_SYNTAX, EGW_SEV_ERROR, n, NULL,
				 "mapping keys must be scalars");
			s->failed = true;
			return n;
		}
		f->key = *n;
		f->has_key = true;
	} else {
		egw_node *k = &f->key;
		f->has_key = false;
		if (k->kind == EGW_STR && k->len == 2 && !memcmp(k->str, "<<", 2) &&
		    !(k->flags & EGW_NF_QUOTED)) {
			merge_later(s, f, k, n);
			return n;
		}
		/* members keep interned keys: a key that was an anchor or an
		 * alias was read as an ordinary scalar */
		const char *key = (k->flags & KEY_INTERNED) ? k->str
							    : egw_arena_intern(s->c->arena, k->str, k->len);
		pend_push(s, key, k->len, k->pos, n);
	}
	return n;
}

static void limit_diag(pstate *s, egw_pos p, const char *what, size_t limit)
{
	egw_diag_at(s->c, EGW_D_LIMIT, EGW_SEV_ERROR, p, NULL, NULL, NULL,
		    egw_sprintf(s->c->arena, "input exceeds the %s limit (%zu)", what, limit));
	s->limited = true;
}

static bool hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* JSON writes a character beyond the BMP as a surrogate pair, "\ud83d\ude00"
 * (Python's json.dumps does so by default), which YAML's \u escape, and so
 * libyaml, rejects.  In a segment that is JSON (it starts with { or [),
 * each pair inside a string becomes YAML's "\U0001f600".  And JSON allows a
 * line break between a key and its colon, which YAML does not (an implicit
 * key is one line): the colon moves up behind the key, the break stays, so
 * line numbers do not change.  Returns data, or an arena copy with *len
 * updated.  Columns after a pair on its line move left by two. */
static const char *join_surrogates(egw_ctx *c, const char *data, size_t *len)
{
	const char *p = data, *end = data + *len;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (end - p >= 3 && !memcmp(p, "---", 3)) {
		p += 3;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
	}
	if (p == end || (*p != '{' && *p != '['))
		return data;
	char *out = NULL;
	size_t k = 0;
	bool in_str = false;
	for (const char *q = data; q < end; q++) {
		unsigned hi, lo;
		if (in_str && *q == '\\' && end - q >= 12 && q[1] == 'u' && hex4(q + 2, end, &hi) &&
		    hi >= 0xD800 && hi <= 0xDBFF && q[6] == '\\' && q[7] == 'u' &&
		    hex4(q + 8, end, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
			if (!out) {
				out = egw_alloc_raw(c->arena, *len + 1);
				k = (size_t)(q - data);
				memcpy(out, data, k);
			}
			unsigned cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
			k += (size_t)snprintf(out + k, 11, "\\U%08x", cp);
			q += 11;
			continue;
		}
		if (in_str && *q == '\\' && q + 1 < end) {
			if (out) {
				out[k++] = q[0];
				out[k++] = q[1];
			}
			q++;
			continue;
		}
		if (*q == '"')
			in_str = !in_str;
		if (!in_str && *q == '"') {
			/* a key whose colon is on a later line */
			const char *w = q + 1;
			bool brk = false;
			while (w < end && (*w == ' ' || *w == '\t' || *w == '\r' || *w == '\n'))
				brk |= *w++ == '\n';
			if (brk && w < end && *w == ':') {
				if (!out) {
					out = egw_alloc_raw(c->arena, *len + 1);
					k = (size_t)(q - data);
					memcpy(out, data, k);
				}
				out[k++] = '"';
				out[k++] = ':';
				memcpy(out + k, q + 1, (size_t)(w - q - 1));
				k += (size_t)(w - q - 1);
				q = w; /* the colon, already written */
				continue;
			}
		}
		if (out)
			out[k++] = *q;
	}
	if (!out)
		return data;
	out[k] = 0;
	*len = k;
	return out;
}

/* The tree builder's state across the events of one segment. */
typedef struct builder {
	pstate s;
	egw_node *root;
	egw_node *docs;
	long ndocs;
	bool done;
} builder;

/* egw_arena_intern for a mapping key, through the buffer's cache of keys. */
static const char *intern_key(pstate *s, const char *text, size_t n)
{
	uint64_t w = egw_key_word(text, n);
	uint64_t h = (w ^ (n > 4 ? (uint64_t)(unsigned char)text[n - 1] << 40 : 0)) * 0x9E3779B97F4A7C15ull;
	const char **slot = &s->keys[h >> 56];
	if (*slot && egw_key_eq(*slot, text, n, w))
		return *slot;
	return *slot = egw_arena_intern(s->c->arena, text, n);
}

/* Builds on one event, whether libyaml or block.c's scanner produced it. */
static void on_event(builder *bd, const egw_yev *ev)
{
	pstate *s = &bd->s;
	egw_ctx *c = s->c;
	egw_pos pos = { s->input, s->line0 + ev->line + 1, ev->col + 1 };
	switch (ev->type) {
	case EGW_YEV_STREAM_END:
		bd->done = true;
		break;
	case EGW_YEV_DOC_START:
		bd->root = NULL;
		s->depth = 0;
		s->npend = 0;
		egw_map_init(&s->anchors, c->arena);
		break;
	case EGW_YEV_DOC_END:
		if (bd->root && bd->root->kind != EGW_NULL) {
			if ((size_t)egw_len(bd->docs) >= c->limits.max_documents) {
				limit_diag(s, pos, "document count", c->limits.max_documents);
				break;
			}
			egw_arr_push(c->arena, bd->docs, bd->root);
			bd->ndocs++;
		}
		bd->root = NULL;
		break;
	case EGW_YEV_SCALAR: {
		size_t n = ev->len;
		if (n > c->limits.max_string_bytes) {
			limit_diag(s, pos, "string size", c->limits.max_string_bytes);
			break;
		}
		/* a mapping key lives on only as its text: no node for it */
		egw_node keynode;
		bool is_key = s->depth && s->stack[s->depth - 1].node->kind == EGW_OBJ &&
			      !s->stack[s->depth - 1].has_key && !ev->anchor;
		egw_node *nd;
		if (is_key) {
			memset(&keynode, 0, sizeof keynode);
			keynode.kind = EGW_STR;
			keynode.str = intern_key(s, ev->text, n);
			keynode.len = n;
			keynode.flags = KEY_INTERNED;
			nd = &keynode;
		} else {
			nd = egw_strn(c->arena, ev->text, n);
		}
		nd->pos = pos;
		const char *tag = ev->tag;
		if (ev->plain && !tag) {
			/* a key's type is never read: attach keeps its text, and
			 * the merge key `<<` stays a string (it starts no number) */
			if (!is_key)
				type_plain(nd);
		} else if (!type_tagged(nd, tag)) {
			nd->flags |= EGW_NF_QUOTED;
		}
		if (tag && !strcmp(tag, "tag:yaml.org,2002:null"))
			nd->kind = EGW_NULL;
		if (c->freeze_parsed)
			nd->flags |= EGW_NF_FROZEN; /* complete (see the mapping end) */
		attach(s, nd, &bd->root);
		if (ev->anchor)
			egw_map_put(&s->anchors, ev->anchor, nd);
		break;
	}
	case EGW_YEV_SEQ_START:
	case EGW_YEV_MAP_START: {
		if (s->depth >= c->limits.max_depth) {
			limit_diag(s, pos, "nesting depth", c->limits.max_depth);
			break;
		}
		egw_node *nd = ev->type == EGW_YEV_SEQ_START ? egw_arr(c->arena) : egw_obj(c->arena);
		nd->pos = pos;
		if (nd->kind == EGW_OBJ)
			nd->flags |= EGW_NF_INPUT_KEYS;
		push(s, nd, ev->anchor ? egw_strdup(c->arena, ev->anchor) : NULL);
		break;
	}
	case EGW_YEV_SEQ_END:
	case EGW_YEV_MAP_END: {
		frame f = s->stack[--s->depth];
		materialize(s, &f);
		apply_merges(s, &f);
		/* Documents that are read-only once parsed: each node is
		 * frozen here, complete and still in cache, so no later
		 * walk over the whole tree has to do it. */
		if (c->freeze_parsed)
			f.node->flags |= EGW_NF_FROZEN;
		attach(s, f.node, &bd->root);
		if (f.anchor)
			egw_map_put(&s->anchors, f.anchor, f.node);
		break;
	}
	case EGW_YEV_ALIAS: {
		egw_node *target = egw_map_get(&s->anchors, ev->anchor);
		if (!target) {
			egw_diag_at(c, EGW_D_SYNTAX, EGW_SEV_ERROR, pos, NULL, NULL, NULL,
				    egw_sprintf(c->arena, "unknown anchor \"%s\"", ev->anchor));
			s->failed = true;
			break;
		}
		s->alias_nodes += count_nodes(target);
		if (s->alias_nodes > c->limits.max_alias_nodes) {
			limit_diag(s, pos, "alias expansion", c->limits.max_alias_nodes);
			break;
		}
		/* the copy nests as deep as where it lands plus its own
		 * depth: the depth limit holds for the expanded tree too */
		if (s->depth + tree_depth(target) > c->limits.max_depth) {
			limit_diag(s, pos, "nesting depth", c->limits.max_depth);
			break;
		}
		egw_node *cl = egw_clone(c->arena, target);
		if (c->freeze_parsed)
			egw_freeze(cl);
		attach(s, cl, &bd->root);
		break;
	}
	}
}

/* libyaml's event as the builder's. */
static bool from_libyaml(const yaml_event_t *ye, egw_yev *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->line = (uint32_t)ye->start_mark.line;
	ev->col = (uint32_t)ye->start_mark.column;
	switch (ye->type) {
	case YAML_STREAM_END_EVENT:
		ev->type = EGW_YEV_STREAM_END;
		return true;
	case YAML_DOCUMENT_START_EVENT:
		ev->type = EGW_YEV_DOC_START;
		return true;
	case YAML_DOCUMENT_END_EVENT:
		ev->type = EGW_YEV_DOC_END;
		return true;
	case YAML_SCALAR_EVENT:
		ev->type = EGW_YEV_SCALAR;
		ev->text = (const char *)ye->data.scalar.value;
		ev->len = ye->data.scalar.length;
		ev->plain = ye->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		ev->anchor = (const char *)ye->data.scalar.anchor;
		ev->tag = (const char *)ye->data.scalar.tag;
		return true;
	case YAML_SEQUENCE_START_EVENT:
		ev->type = EGW_YEV_SEQ_START;
		ev->anchor = (const char *)ye->data.sequence_start.anchor;
		return true;
	case YAML_MAPPING_START_EVENT:
		ev->type = EGW_YEV_MAP_START;
		ev->anchor = (const char *)ye->data.mapping_start.anchor;
		return true;
	case YAML_SEQUENCE_END_EVENT:
		ev->type = EGW_YEV_SEQ_END;
		return true;
	case YAML_MAPPING_END_EVENT:
		ev->type = EGW_YEV_MAP_END;
		return true;
	case YAML_ALIAS_EVENT:
		ev->type = EGW_YEV_ALIAS;
		ev->anchor = (const char *)ye->data.alias.anchor;
		return true;
	default:
		return false;
	}
}

/* Parses one segment (one or more documents); see egw_parse_buffer.
 * Plain Kubernetes YAML goes through block.c's scanner; whatever it does
 * not take, libyaml parses. */
static long parse_segment(egw_ctx *c, parser_box *b, uint32_t input, uint32_t line0,
			  const char *data, size_t len, egw_node *docs, size_t *alias_nodes)
{
	builder bd = { .s = { .c = c, .input = input, .line0 = line0, .alias_nodes = *alias_nodes,
			      .stack = b->stack, .cap = b->stack_cap, .pend = b->pend,
			      .pcap = b->pend_cap, .keys = b->keys },
		       .docs = docs };
	pstate *s = &bd.s;
	egw_map_init(&s->anchors, c->arena);

	if (!c->yaml_libyaml_only && egw_block_scan(c->arena, data, len, &b->evs)) {
		c->yaml_fast_segments++;
		for (size_t i = 0; i < b->evs.n && !s->failed && !s->limited; i++)
			on_event(&bd, &b->evs.ev[i]);
	} else {
		if (!yaml_parser_initialize(&b->p))
			egw_arena_oom(c->arena);
		b->p_live = true;
		data = join_surrogates(c, data, &len);
		yaml_parser_set_input_string(&b->p, (const unsigned char *)data, len);
		while (!bd.done && !s->failed && !s->limited) {
			if (!yaml_parser_parse(&b->p, &b->ev)) {
				egw_pos p = mark_pos(s, b->p.problem_mark);
				const char *prob = b->p.problem ? b->p.problem : "syntax error";
				const char *ctxs = b->p.context;
				egw_diag_at(c, EGW_D_SYNTAX, EGW_SEV_ERROR, p, NULL, NULL, NULL,
					    ctxs ? egw_sprintf(c->arena, "%s %s", ctxs, prob)
						 : egw_strdup(c->arena, prob));
				s->failed = true;
				break;
			}
			b->ev_live = true;
			egw_yev ev;
			if (from_libyaml(&b->ev, &ev))
				on_event(&bd, &ev);
			yaml_event_delete(&b->ev);
			b->ev_live = false;
		}
		box_cleanup(b);
	}
	b->stack = s->stack; /* keep the grown stack for the next segment */
	b->stack_cap = s->cap;
	b->pend = s->pend;
	b->pend_cap = s->pcap;
	*alias_nodes = s->alias_nodes;
	return s->limited ? -1 : bd.ndocs;
}

static bool is_doc_marker(const char *p, const char *end)
{
	return end - p >= 3 && p[0] == '-' && p[1] == '-' && p[2] == '-' &&
	       (end - p == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\n' || p[3] == '\r');
}

/* A line starting with "---" always starts a new document in YAML (even
 * after a block scalar), so the buffer is cut there first: a syntax error in
 * one document then never loses the documents after it. */
long egw_parse_buffer(egw_ctx *c, uint32_t input, const char *data, size_t len, egw_node *docs)
{
	if (!data)
		data = ""; /* libyaml asserts on a NULL string, even of length 0 */
	/* one parser box for all segments of the buffer, released on any exit */
	parser_box *b = egw_alloc(c->arena, sizeof *b);
	egw_arena_defer(c->arena, box_cleanup, b);
	const char *end = data + len;
	const char *seg = data;
	uint32_t seg_line = 0, line = 0;
	long total = 0;
	size_t alias_nodes = 0;
	const char *p = data;
	/* Directives ("%YAML 1.2") open the document after them: the cut goes
	 * before the directive lines (and comments among them) above a marker. */
	const char *dir = NULL;
	uint32_t dir_line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		if (p != seg && is_doc_marker(p, end)) {
			const char *cut = dir && dir != seg ? dir : p;
			long k = parse_segment(c, b, input, seg_line, seg, (size_t)(cut - seg), docs,
					       &alias_nodes);
			if (k < 0)
				return -1;
			total += k;
			seg_line = cut == p ? line : dir_line;
			seg = cut;
		}
		if (*p == '%') {
			if (!dir) {
				dir = p;
				dir_line = line;
			}
		} else if (*p != '#' && *p != '\n' && *p != '\r') {
			dir = NULL;
		}
		p = next;
		line++;
	}
	long k = parse_segment(c, b, input, seg_line, seg, (size_t)(end - seg), docs, &alias_nodes);
	if (k < 0)
		return -1;
	return total + k;
}

egw_node *egw_parse_one(egw_ctx *c, uint32_t input, const char *data, size_t len)
{
	egw_node *docs = egw_arr(c->arena);
	size_t before = c->n_diags;
	long n = egw_parse_buffer(c, input, data, len, docs);
	if (n < 0)
		return NULL;
	if (egw_len(docs) != 1) {
		if (c->n_diags == before || egw_len(docs) > 1) {
			egw_pos p = { input, egw_len(docs) ? egw_at(docs, 1)->pos.line : 0, 0 };
			egw_diag_at(c, EGW_D_INVALID, EGW_SEV_ERROR, p, NULL, NULL, NULL,
				    egw_len(docs) ? "expected exactly one document"
						  : "expected a document, found none");
		}
		return NULL;
	}
	return egw_at(docs, 0);
}
