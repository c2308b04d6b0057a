/* SPDX-License-Identifier: Apache-2.0 */
#include "node.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"

#define INDEX_AT 12 /* objects with more members get a hash index */
enum {
	NF_SEEN = 0x80,    /* egw_unshare's walk mark, cleared before it returns */
	NF_INDEXED = 0x40, /* OBJ: the hash index's address follows members[cap] */
};

/* Every function that changes a container checks it is not part of shared,
 * parsed documents (see EGW_NF_FROZEN): a stage that forgot to copy first
 * would change what other translations are reading. */
#define WRITABLE(n) assert(!((n)->flags & EGW_NF_FROZEN))

typedef struct obj_index {
	egw_arena *arena;
	size_t mask; /* capacity - 1 */
	uint32_t *slots; /* member index + 1; 0 = empty */
} obj_index;

/* An object's hash index lives behind its members (the node has no room
 * for it): the members' allocation is one pointer longer once it exists. */
static inline obj_index *index_of(const egw_node *obj)
{
	if (!(obj->flags & NF_INDEXED))
		return NULL;
	obj_index *ix;
	memcpy(&ix, (const char *)(obj->c.members + obj->cap), sizeof ix);
	return ix;
}

static inline void index_put(egw_node *obj, obj_index *ix)
{
	memcpy((char *)(obj->c.members + obj->cap), &ix, sizeof ix);
	obj->flags |= NF_INDEXED;
}

bool egw_obj_indexed(const egw_node *obj) { return obj && obj->kind == EGW_OBJ && index_of(obj); }

void egw_obj_drop_index(egw_node *obj)
{
	if (obj && obj->kind == EGW_OBJ) {
		WRITABLE(obj);
		obj->flags &= (uint8_t)~NF_INDEXED;
		obj->keys = UINT16_MAX;
	}
}

/* Room for nc members, the index's address moving along. */
static void members_resize(egw_arena *a, egw_node *obj, size_t nc)
{
	obj_index *ix = index_of(obj);
	size_t extra = ix ? sizeof ix : 0;
	obj->c.members = egw_realloc(a, obj->c.members, obj->cap * sizeof(egw_member) + extra,
				     nc * sizeof(egw_member) + extra);
	obj->cap = (uint32_t)nc;
	if (ix)
		index_put(obj, ix);
}

void egw_member_rekey(egw_member *m, const char *key) { m->key = key; }

static uint64_t hash_key(const char *k, size_t n)
{
	return egw_hash(k, n);
}

_Static_assert(sizeof(void *) != 8 || sizeof(egw_node) == 32, "egw_node grew past 32 bytes");
_Static_assert(sizeof(void *) != 8 || sizeof(egw_member) == 16, "egw_member grew past 16 bytes");

static egw_node *mk(egw_arena *a, egw_nkind k)
{
	egw_node *n = egw_alloc(a, sizeof *n);
	n->kind = (uint8_t)k;
	return n;
}

egw_node *egw_null(egw_arena *a)
{
	egw_node *n = mk(a, EGW_NULL);
	n->str = "null";
	n->len = 4;
	return n;
}

egw_node *egw_bool(egw_arena *a, bool b)
{
	egw_node *n = mk(a, EGW_BOOL);
	n->str = b ? "true" : "false";
	n->len = strlen(n->str);
	return n;
}

egw_node *egw_int(egw_arena *a, int64_t i)
{
	/* the text behind the node, as egw_strn puts it (the stages set many
	 * integers) */
	char d[21];
	size_t k = 0;
	if (i < 0)
		d[k++] = '-';
	k += egw_udec(d + k, i < 0 ? 0 - (uint64_t)i : (uint64_t)i);
	egw_node *n = egw_alloc_raw(a, sizeof *n + k + 1);
	memset(n, 0, sizeof *n);
	n->kind = EGW_INT;
	char *t = (char *)(n + 1);
	memcpy(t, d, k);
	t[k] = 0;
	n->str = t;
	n->len = (uint32_t)k;
	return n;
}

egw_node *egw_float(egw_arena *a, double f)
{
	egw_node *n = mk(a, EGW_FLOAT);
	n->str = egw_sprintf(a, "%.17g", f);
	/* shortest round-trip representation */
	char buf[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, f);
		if (strtod(buf, NULL) == f) {
			n->str = egw_strdup(a, buf);
			break;
		}
	}
	n->len = strlen(n->str);
	return n;
}

egw_node *egw_strn(egw_arena *a, const char *s, size_t len)
{
	if (!s)
		len = 0;
	/* the text right behind its node: one allocation, and reading the
	 * one usually brings the other into the cache */
	egw_node *n = egw_alloc_raw(a, sizeof *n + len + 1);
	memset(n, 0, sizeof *n);
	n->kind = EGW_STR;
	char *t = (char *)(n + 1);
	if (len)
		memcpy(t, s, len);
	t[len] = 0;
	n->str = t;
	n->len = (uint32_t)len;
	return n;
}

egw_node *egw_nstr(egw_arena *a, const char *s)
{
	return egw_strn(a, s, s ? strlen(s) : 0);
}

egw_node *egw_str_ref(egw_arena *a, const char *s, size_t len)
{
	egw_node *n = mk(a, EGW_STR);
	n->str = s;
	n->len = len;
	return n;
}

egw_node *egw_strf(egw_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int k = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (k < 0)
		k = 0;
	char *p = egw_alloc_raw(a, (size_t)k + 1);
	if ((size_t)k < sizeof small) {
		memcpy(p, small, (size_t)k + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)k + 1, fmt, ap);
		va_end(ap);
	}
	egw_node *n = mk(a, EGW_STR);
	n->str = p;
	n->len = (size_t)k;
	return n;
}

egw_node *egw_arr(egw_arena *a) { return mk(a, EGW_ARR); }
egw_node *egw_obj(egw_arena *a) { return mk(a, EGW_OBJ); }

egw_node *egw_reserve(egw_arena *a, egw_node *n, size_t count)
{
	if (!n || (n->kind != EGW_ARR && n->kind != EGW_OBJ) || count <= n->cap || count > UINT32_MAX)
		return n;
	WRITABLE(n);
	if (n->kind == EGW_ARR)
		n->c.items = egw_realloc(a, n->c.items, n->cap * sizeof(egw_node *), count * sizeof(egw_node *));
	else
		members_resize(a, n, count);
	n->cap = (uint32_t)count;
	return n;
}

egw_node *egw_arr_push(egw_arena *a, egw_node *arr, egw_node *v)
{
	if (arr->kind != EGW_ARR)
		return v; /* a caller's bug; the node's fields are not an array's */
	WRITABLE(arr);
	if (arr->n == arr->cap) {
		size_t nc = arr->cap ? arr->cap * 2 : 2;
		arr->c.items = egw_realloc(a, arr->c.items, arr->cap * sizeof(egw_node *),
					   nc * sizeof(egw_node *));
		arr->cap = nc;
	}
	arr->c.items[arr->n++] = v;
	return v;
}

static void index_insert(obj_index *ix, const egw_member *members, uint32_t mi)
{
	uint64_t h = hash_key(members[mi].key, egw_member_klen(&members[mi]));
	size_t s = h & ix->mask;
	while (ix->slots[s])
		s = (s + 1) & ix->mask;
	ix->slots[s] = mi + 1;
}

/* The index again after members moved or changed keys. */
static void index_rebuild(egw_node *obj)
{
	obj_index *ix = index_of(obj);
	memset(ix->slots, 0, (ix->mask + 1) * sizeof(uint32_t));
	for (size_t j = 0; j < obj->n; j++)
		index_insert(ix, obj->c.members, (uint32_t)j);
}

static void index_build(egw_arena *a, egw_node *obj)
{
	size_t cap = 16;
	while (cap < obj->n * 2 + 2)
		cap *= 2;
	obj_index *ix = index_of(obj);
	if (!ix) {
		ix = egw_alloc(a, sizeof *ix);
		ix->arena = a;
		obj->c.members = egw_realloc(a, obj->c.members, obj->cap * sizeof(egw_member),
					     obj->cap * sizeof(egw_member) + sizeof ix);
		index_put(obj, ix);
	}
	ix->mask = cap - 1;
	ix->slots = egw_alloc(a, cap * sizeof(uint32_t));
	for (size_t i = 0; i < obj->n; i++)
		index_insert(ix, obj->c.members, (uint32_t)i);
}

egw_node *egw_obj_append(egw_arena *a, egw_node *obj, const char *key, size_t klen, egw_node *v)
{
	return egw_obj_append_ref(a, obj, egw_arena_intern_key(a, key, klen), klen, v);
}

egw_node *egw_obj_append_ref(egw_arena *a, egw_node *obj, const char *key, size_t klen,
			     egw_node *v)
{
	if (obj->kind != EGW_OBJ)
		return v; /* a caller's bug; the node's fields are not an object's */
	WRITABLE(obj);
	if (obj->n == obj->cap)
		members_resize(a, obj, obj->cap ? obj->cap * 2 : 2);
	assert(egw_key_len(key) == klen); /* an interned key (egw_arena_intern) */
	egw_member *m = &obj->c.members[obj->n++];
	m->key = key;
	m->val = v;
	obj->keys |= egw_key_bit(egw_key_lenpre(key));
	(void)klen; /* the key carries it */
	obj_index *ix = index_of(obj);
	if (ix) {
		if ((obj->n * 2) > ix->mask)
			index_build(a, obj);
		else
			index_insert(ix, obj->c.members, (uint32_t)(obj->n - 1));
	} else if (obj->n > INDEX_AT) {
		index_build(a, obj);
	}
	return v;
}

static inline bool key_is(const egw_member *m, const char *key, size_t klen, uint64_t want)
{
	return egw_key_eq(m->key, key, klen, want);
}

static inline __attribute__((always_inline)) egw_member *find(const egw_node *obj, const char *key,
							    size_t klen)
{
	if (!obj || obj->kind != EGW_OBJ || klen > UINT32_MAX)
		return NULL;
	uint64_t want = egw_key_word(key, klen); /* as an interned key holds them */
	const obj_index *ix = index_of(obj);
	if (ix) {
		size_t s = hash_key(key, klen) & ix->mask;
		while (ix->slots[s]) {
			egw_member *m = &obj->c.members[ix->slots[s] - 1];
			if (key_is(m, key, klen, want))
				return m;
			s = (s + 1) & ix->mask;
		}
		return NULL;
	}
	for (size_t i = 0; i < obj->n; i++) {
		egw_member *m = &obj->c.members[i];
		if (key_is(m, key, klen, want))
			return m;
	}
	return NULL;
}

egw_node *egw_obj_setn(egw_arena *a, egw_node *obj, const char *key, size_t klen, egw_node *v)
{
	/* a key the filter rules out is new: no scan (the lookups check the
	 * filter inline before they call find) */
	egw_member *m = egw_may_have(obj, key, klen) ? find(obj, key, klen) : NULL;
	if (m) {
		WRITABLE(obj);
		m->val = v;
		return v;
	}
	return egw_obj_append(a, obj, key, klen, v);
}

egw_node *egw_obj_del(egw_node *obj, const char *key)
{
	egw_member *m = find(obj, key, strlen(key));
	if (!m)
		return NULL;
	WRITABLE(obj);
	egw_node *old = m->val;
	size_t i = (size_t)(m - obj->c.members);
	memmove(m, m + 1, (obj->n - i - 1) * sizeof *m);
	obj->n--;
	if (index_of(obj))
		index_rebuild(obj);
	return old;
}

void egw_obj_rekey(egw_node *obj, size_t i, const char *key)
{
	if (!obj || obj->kind != EGW_OBJ || i >= obj->n)
		return;
	WRITABLE(obj);
	egw_member_rekey(&obj->c.members[i], key);
	obj->keys |= egw_key_bit(egw_key_lenpre(key));
	if (index_of(obj))
		index_rebuild(obj);
}

egw_node *egw_set_str(egw_arena *a, egw_node *obj, const char *key, const char *s)
{
	return egw_obj_set(a, obj, key, egw_nstr(a, s));
}
egw_node *egw_set_int(egw_arena *a, egw_node *obj, const char *key, int64_t i)
{
	return egw_obj_set(a, obj, key, egw_int(a, i));
}
egw_node *egw_set_bool(egw_arena *a, egw_node *obj, const char *key, bool b)
{
	return egw_obj_set(a, obj, key, egw_bool(a, b));
}
egw_node *egw_set_obj(egw_arena *a, egw_node *obj, const char *key)
{
	return egw_obj_set(a, obj, key, egw_obj(a));
}
egw_node *egw_set_arr(egw_arena *a, egw_node *obj, const char *key)
{
	return egw_obj_set(a, obj, key, egw_arr(a));
}

egw_node *egw_obj_ensure(egw_arena *a, egw_node *obj, const char *key)
{
	egw_node *v = egw_get(obj, key);
	if (v && v->kind == EGW_OBJ)
		return v;
	return egw_set_obj(a, obj, key);
}

egw_node *egw_arr_ensure(egw_arena *a, egw_node *obj, const char *key)
{
	egw_node *v = egw_get(obj, key);
	if (v && v->kind == EGW_ARR)
		return v;
	return egw_set_arr(a, obj, key);
}

egw_node *egw_clone(egw_arena *a, const egw_node *n)
{
	if (!n)
		return NULL;
	egw_node *c = mk(a, (egw_nkind)n->kind);
	c->flags = n->flags & (uint8_t)~(NF_SEEN | EGW_NF_FROZEN | NF_INDEXED);
	c->pos = n->pos;
	if (n->kind != EGW_ARR && n->kind != EGW_OBJ) {
		c->str = n->str; /* scalars' text is immutable: share it */
		c->len = n->len;
		return c;
	}
	if (n->kind == EGW_ARR) {
		if (n->n) {
			c->c.items = egw_alloc_raw(a, n->n * sizeof(egw_node *));
			c->cap = n->n;
		}
		for (size_t i = 0; i < n->n; i++)
			egw_arr_push(a, c, egw_clone(a, n->c.items[i]));
	} else if (n->kind == EGW_OBJ) {
		if (n->n) {
			c->c.members = egw_alloc_raw(a, n->n * sizeof(egw_member));
			c->cap = n->n;
		}
		for (size_t i = 0; i < n->n; i++)
			egw_obj_append_ref(a, c, n->c.members[i].key, egw_member_klen(&n->c.members[i]),
					   egw_clone(a, n->c.members[i].val)); /* keys are immutable: share */
	}
	return c;
}

void egw_freeze(egw_node *n)
{
	/* a frozen node's whole tree is frozen: nothing under it is visited
	 * again (the parser freezes each node as it completes it) */
	if (!n || (n->flags & EGW_NF_FROZEN))
		return;
	n->flags |= EGW_NF_FROZEN;
	for (size_t i = 0; i < n->n; i++)
		egw_freeze(n->kind == EGW_ARR ? n->c.items[i] : n->c.members[i].val);
}

static void unshare_mark(egw_arena *a, egw_node *n)
{
	n->flags |= NF_SEEN;
	for (size_t i = 0; i < n->n; i++) {
		egw_node **slot = n->kind == EGW_ARR ? &n->c.items[i] : &n->c.members[i].val;
		egw_node *v = *slot;
		if (!v || (v->kind != EGW_ARR && v->kind != EGW_OBJ) || (v->flags & EGW_NF_FROZEN))
			continue;
		if (v->flags & NF_SEEN)
			*slot = egw_clone(a, v); /* a fresh copy nobody else holds */
		else
			unshare_mark(a, v);
	}
}

static void unshare_clear(egw_node *n)
{
	n->flags &= (uint8_t)~NF_SEEN;
	for (size_t i = 0; i < n->n; i++) {
		egw_node *v = n->kind == EGW_ARR ? n->c.items[i] : n->c.members[i].val;
		if (v && (v->kind == EGW_ARR || v->kind == EGW_OBJ) && (v->flags & NF_SEEN))
			unshare_clear(v);
	}
}

egw_node *egw_unshare(egw_arena *a, egw_node *root)
{
	if (!root || (root->kind != EGW_ARR && root->kind != EGW_OBJ) || (root->flags & EGW_NF_FROZEN))
		return root;
	unshare_mark(a, root);
	unshare_clear(root);
	return root;
}

egw_node *egw_getn_member(const egw_node *obj, const char *key, size_t klen)
{
	egw_member *m = find(obj, key, klen);
	return m ? m->val : NULL;
}


egw_node *egw_get_cin_member(const egw_node *obj, const char *key, size_t klen)
{
	egw_member *m = find(obj, key, klen);
	egw_node *v = m ? m->val : NULL;
	/* Go's JSON decoding matches field names case-insensitively, and IR
	 * input relies on it ("CACertificate", "SNI", "accesslog").  Only
	 * objects read from input are scanned again: trees the stages build
	 * use the exact names, and their common miss (an absent optional
	 * field) stays one lookup.  Callers come here only when the key
	 * filter, which folds case, has the key's bit. */
	if (v || !obj || obj->kind != EGW_OBJ || !(obj->flags & EGW_NF_INPUT_KEYS))
		return v;
	for (size_t i = 0; i < obj->n; i++)
		if (egw_member_klen(&obj->c.members[i]) == klen && strncasecmp(obj->c.members[i].key, key, klen) == 0)
			return obj->c.members[i].val;
	return NULL;
}

egw_node *egw_path(const egw_node *obj, const char *dotted)
{
	const egw_node *cur = obj;
	const char *p = dotted;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		cur = egw_getn(cur, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	return (egw_node *)cur;
}

egw_node *egw_at(const egw_node *arr, size_t i)
{
	if (!arr || arr->kind != EGW_ARR || i >= arr->n)
		return NULL;
	return arr->c.items[i];
}

size_t egw_len(const egw_node *n)
{
	if (!n || (n->kind != EGW_ARR && n->kind != EGW_OBJ))
		return 0;
	return n->n;
}

const char *egw_text(const egw_node *n)
{
	if (!n || n->kind == EGW_NULL || n->kind == EGW_ARR || n->kind == EGW_OBJ)
		return NULL;
	return n->str;
}

int64_t egw_vint(const egw_node *n)
{
	/* an INT's text is decimal digits with an optional sign, in range */
	const char *p = n->str;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return neg ? (int64_t)(0 - v) : (int64_t)v;
}

double egw_vfloat(const egw_node *n)
{
	if (n->kind == EGW_INT)
		return (double)egw_vint(n);
	const char *p = n->str;
	/* YAML's .inf, -.Inf, .nan, .NaN: strtod reads inf and nan only */
	const char *q = p + (*p == '-' || *p == '+');
	if (q[0] == '.' && (q[1] | 0x20) == 'i')
		return *p == '-' ? -INFINITY : INFINITY;
	if (q[0] == '.' && (q[1] | 0x20) == 'n')
		return NAN;
	return strtod(p, NULL);
}

bool egw_node_int(const egw_node *n, int64_t *out)
{
	if (!n)
		return false;
	switch (n->kind) {
	case EGW_INT:
		*out = egw_vint(n);
		return true;
	case EGW_FLOAT: {
		double f = egw_vfloat(n);
		if (f == floor(f) && fabs(f) < 9.2e18) {
			*out = (int64_t)f;
			return true;
		}
		return false;
	}
	case EGW_STR: {
		if (!n->len)
			return false;
		char *end;
		errno = 0;
		long long v = strtoll(n->str, &end, 10);
		if (errno || *end)
			return false;
		*out = v;
		return true;
	}
	default:
		return false;
	}
}

int64_t egw_get_int(const egw_node *obj, const char *key, int64_t def)
{
	int64_t v;
	return egw_node_int(egw_get(obj, key), &v) ? v : def;
}

bool egw_node_bool(const egw_node *n, bool def)
{
	if (!n)
		return def;
	if (n->kind == EGW_BOOL)
		return egw_vbool(n);
	if (n->kind == EGW_STR) {
		if (!strcmp(n->str, "true"))
			return true;
		if (!strcmp(n->str, "false"))
			return false;
	}
	return def;
}

bool egw_get_bool(const egw_node *obj, const char *key, bool def)
{
	return egw_node_bool(egw_get(obj, key), def);
}

bool egw_is(const egw_node *n, egw_nkind k) { return n && n->kind == k; }

bool egw_is_empty(const egw_node *n)
{
	if (!n)
		return true;
	switch (n->kind) {
	case EGW_NULL: return true;
	case EGW_BOOL: return !egw_vbool(n);
	case EGW_INT: return egw_vint(n) == 0;
	case EGW_FLOAT: return egw_vfloat(n) == 0;
	case EGW_STR: return n->len == 0;
	case EGW_ARR:
	case EGW_OBJ: return n->n == 0;
	}
	return false;
}

static bool num(const egw_node *n, double *d)
{
	if (n->kind == EGW_INT || n->kind == EGW_FLOAT) { *d = egw_vfloat(n); return true; }
	return false;
}

bool egw_equal(const egw_node *a, const egw_node *b)
{
	if (!a || !b)
		return a == b;
	double x, y;
	if (num(a, &x) && num(b, &y)) {
		if (a->kind == EGW_INT && b->kind == EGW_INT)
			return egw_vint(a) == egw_vint(b);
		return x == y;
	}
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case EGW_NULL: return true;
	case EGW_BOOL: return egw_vbool(a) == egw_vbool(b);
	case EGW_STR: return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	case EGW_ARR:
		if (a->n != b->n) return false;
		for (size_t i = 0; i < a->n; i++)
			if (!egw_equal(a->c.items[i], b->c.items[i])) return false;
		return true;
	case EGW_OBJ:
		if (a->n != b->n) return false;
		for (size_t i = 0; i < a->n; i++) {
			const egw_member *m = &a->c.members[i];
			if (!egw_equal(m->val, egw_getn(b, m->key, egw_member_klen(m)))) return false;
		}
		return true;
	}
	return false;
}

static int cmp_member(const void *x, const void *y)
{
	const egw_member *a = x, *b = y;
	size_t n = egw_member_klen(a) < egw_member_klen(b) ? egw_member_klen(a) : egw_member_klen(b);
	int c = memcmp(a->key, b->key, n);
	if (c)
		return c;
	return egw_member_klen(a) < egw_member_klen(b) ? -1 : egw_member_klen(a) > egw_member_klen(b);
}

void egw_obj_sort(egw_node *obj, bool deep)
{
	if (!obj)
		return;
	if (obj->kind == EGW_OBJ) {
		WRITABLE(obj);
		if (obj->n > 1)
			qsort(obj->c.members, obj->n, sizeof(egw_member), cmp_member);
		if (index_of(obj))
			index_rebuild(obj);
		if (deep)
			for (size_t i = 0; i < obj->n; i++)
				egw_obj_sort(obj->c.members[i].val, true);
	} else if (obj->kind == EGW_ARR && deep) {
		for (size_t i = 0; i < obj->n; i++)
			egw_obj_sort(obj->c.items[i], true);
	}
}
