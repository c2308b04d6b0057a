/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Node: the one in-memory tree every stage speaks.  Parsed input objects, the
 * EnvoyGateway configuration, Envoy Gateway's IR (xdsIR, infraIR) and Envoy's
 * xDS resources in canonical JSON form are all trees of egw_node, allocated in
 * the translation's arena.  A node remembers where it came from (input index,
 * line, column) so any stage can attach a diagnostic to it.
 *
 * Objects keep their members in insertion order; lookups are linear for small
 * objects and hashed once an object grows (see egw_obj_get).  Every scalar
 * keeps its source text in `str`, so a stage can read a number that a user
 * wrote as a string and vice versa (egw_node_text, egw_node_int).
 */
#ifndef EGW_UTIL_NODE_H
#define EGW_UTIL_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

typedef enum egw_nkind {
	EGW_NULL = 0,
	EGW_BOOL,
	EGW_INT,
	EGW_FLOAT,
	EGW_STR,
	EGW_ARR,
	EGW_OBJ,
} egw_nkind;

/* Source position; input is the index of the input buffer, line and col
 * are 1-based; line 0 means "made by the library". */
typedef struct egw_pos {
	uint32_t input;
	uint32_t line;
	uint32_t col;
} egw_pos;

typedef struct egw_node egw_node;
typedef struct egw_member egw_member;

struct egw_member {
	/* NUL-terminated and interned (egw_arena_intern): its length and first
	 * four bytes sit in front of it, so a lookup compares one word before
	 * it reads the text, and the member needs no room for them */
	const char *key;
	egw_node *val;
};

static inline uint32_t egw_member_klen(const egw_member *m) { return egw_key_len(m->key); }

/* Gives member m a new key, interned as for egw_obj_append_ref; the owning
 * object's hash index and key filter must be dropped by the caller
 * (egw_obj_drop_index) unless the key's text is unchanged. */
void egw_member_rekey(egw_member *m, const char *key);
/* Whether obj has its hash index (built once it has more than 12 members). */
bool egw_obj_indexed(const egw_node *obj);
/* Forgets obj's hash index (lookups scan until an append builds it anew)
 * and its key filter (every lookup reads the members from then on). */
void egw_obj_drop_index(egw_node *obj);

enum {
	EGW_NF_QUOTED = 1, /* scalar was quoted in YAML: never a number/bool */
	/* object read from input (set by the parser, kept by egw_clone): its
	 * keys may differ in case from the names code looks up, so egw_get_ci
	 * scans it again case-insensitively when the exact key is absent */
	EGW_NF_INPUT_KEYS = 2,
	/* part of parsed documents (egw_parse) that any number of translations
	 * read, possibly at once: nothing may change it.  A stage that must
	 * change such an object works on a copy (egw_clone's copies are
	 * writable); the node functions that change a tree assert this. */
	EGW_NF_FROZEN = 4,
};

struct egw_node {
	uint8_t kind;
	uint8_t flags;
	/* OBJ: a one-bit-per-key filter of its members' keys (egw_key_bit):
	 * a lookup whose bit is clear misses without a call or a read of the
	 * members.  Most lookups ask for optional fields that are absent. */
	uint16_t keys;
	egw_pos pos;
	union {
		uint32_t len; /* scalars: bytes of str */
		uint32_t cap; /* containers: room in items/members */
	};
	uint32_t n; /* containers: items or members; 0 for scalars */
	/* A node is 32 bytes: a scalar's text and a container's children share
	 * their place (read them only after checking kind), a scalar's value
	 * is read from its text (egw_vint, egw_vfloat, egw_vbool), and an
	 * object's hash index, once it has one, sits behind its members. */
	union {
		/* Scalars: the text (for STR the value; for INT/FLOAT/BOOL the
		 * literal, which always reads as the kind's value).  Always
		 * NUL-terminated; len excludes the NUL. */
		const char *str;
		/* ARR: items[n]; OBJ: members[n] */
		union {
			egw_node **items;
			egw_member *members;
		} c;
	};
};

/* A scalar's value, read from its text: BOOL true/false; INT (and INT
 * only) its integer; FLOAT (or INT) its number, YAML's .inf and .nan
 * included. */
static inline bool egw_vbool(const egw_node *n) { return (n->str[0] | 0x20) == 't'; }
int64_t egw_vint(const egw_node *n);
double egw_vfloat(const egw_node *n);

/* ---- construction (all allocate in the arena) ---- */
egw_node *egw_null(egw_arena *a);
egw_node *egw_bool(egw_arena *a, bool b);
egw_node *egw_int(egw_arena *a, int64_t i);
egw_node *egw_float(egw_arena *a, double f);
egw_node *egw_strn(egw_arena *a, const char *s, size_t n); /* copies */
egw_node *egw_nstr(egw_arena *a, const char *s);           /* copies (egw_str is the public view type) */
egw_node *egw_str_ref(egw_arena *a, const char *s, size_t n); /* no copy: s must outlive the arena's use */
egw_node *egw_strf(egw_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
egw_node *egw_arr(egw_arena *a);
egw_node *egw_obj(egw_arena *a);

/* Makes room for n members (OBJ) or items (ARR) in one allocation: a
 * builder that knows how many it will add leaves no outgrown arrays behind.
 * Returns n. */
egw_node *egw_reserve(egw_arena *a, egw_node *n, size_t count);

/* Appends; returns v. */
egw_node *egw_arr_push(egw_arena *a, egw_node *arr, egw_node *v);
/* Sets key (replacing an existing member in place, keeping its position);
 * key is copied.  Returns v. */
egw_node *egw_obj_setn(egw_arena *a, egw_node *obj, const char *key, size_t klen, egw_node *v);
static inline egw_node *egw_obj_set(egw_arena *a, egw_node *obj, const char *key, egw_node *v)
{
	return egw_obj_setn(a, obj, key, strlen(key), v);
}
/* Appends without looking for an existing key (parser use; caller ensures uniqueness). */
egw_node *egw_obj_append(egw_arena *a, egw_node *obj, const char *key, size_t klen, egw_node *v);
/* As egw_obj_append, but keeps the key pointer: key must come from
 * egw_arena_intern (klen is its length) and live as long as the tree. */
egw_node *egw_obj_append_ref(egw_arena *a, egw_node *obj, const char *key, size_t klen,
			     egw_node *v);
/* Gives obj's i-th member a new key (interned and kept, as
 * egw_obj_append_ref keeps it); the hash index follows. */
void egw_obj_rekey(egw_node *obj, size_t i, const char *key);
/* Removes key; returns the old value or NULL. */
egw_node *egw_obj_del(egw_node *obj, const char *key);
/* Convenience setters; each returns the new child. */
egw_node *egw_set_str(egw_arena *a, egw_node *obj, const char *key, const char *s);
egw_node *egw_set_int(egw_arena *a, egw_node *obj, const char *key, int64_t i);
egw_node *egw_set_bool(egw_arena *a, egw_node *obj, const char *key, bool b);
egw_node *egw_set_obj(egw_arena *a, egw_node *obj, const char *key);  /* new empty object */
egw_node *egw_set_arr(egw_arena *a, egw_node *obj, const char *key);  /* new empty array */
/* Returns the object at key, creating it when absent. */
egw_node *egw_obj_ensure(egw_arena *a, egw_node *obj, const char *key);
egw_node *egw_arr_ensure(egw_arena *a, egw_node *obj, const char *key);

/* Deep copy; the copy is writable (never EGW_NF_FROZEN). */
egw_node *egw_clone(egw_arena *a, const egw_node *n);

/* Marks every node under root EGW_NF_FROZEN.  A frozen node's children are
 * frozen (nothing can be attached to it), so frozen subtrees are skipped. */
void egw_freeze(egw_node *root);
static inline bool egw_frozen(const egw_node *n) { return n && (n->flags & EGW_NF_FROZEN); }

/* Replaces every container reached a second time under root (a subtree
 * two places share) by a deep copy, so each place can be changed on its own
 * afterwards; nodes outside root are not seen, nor are frozen ones (they
 * are never changed, so sharing them is safe, and the walk must not mark
 * what other translations read).  Cheaper than egw_clone when
 * only the sharing has to go.  Returns root. */
egw_node *egw_unshare(egw_arena *a, egw_node *root);

/* The key filter's bit (egw_node.keys) for a key whose length and prefix
 * word is w (egw_key_word).  The prefix is folded to lower case first so
 * that a key matching only case-insensitively (egw_get_cin) has the same
 * bit: an ASCII letter differs from its other case in bit 5 alone, and
 * setting bit 5 of every byte keeps bytes that compare equal equal.  For a
 * literal key the compiler works the bit out. */
static inline uint16_t egw_key_bit(uint64_t w)
{
	/* bit 5 of each prefix byte, where egw_key_word puts the prefix on
	 * this machine (a constant: the compiler folds it) */
	const uint32_t half[2] = { 0, 0x20202020u };
	uint64_t fold;
	memcpy(&fold, half, sizeof fold);
	return (uint16_t)(1u << (((w | fold) * 0x9E3779B97F4A7C15ull) >> 60));
}
/* Whether obj is an object that may have key k[0..klen) (its filter has
 * the key's bit); false means it certainly has not, in any case. */
static inline bool egw_may_have(const egw_node *obj, const char *key, size_t klen)
{
	return obj && obj->kind == EGW_OBJ && (obj->keys & egw_key_bit(egw_key_word(key, klen)));
}

/* ---- access (NULL-safe: a NULL node or wrong kind gives NULL/default) ---- */
egw_node *egw_getn_member(const egw_node *obj, const char *key, size_t klen);
egw_node *egw_get_cin_member(const egw_node *obj, const char *key, size_t klen);
static inline egw_node *egw_getn(const egw_node *obj, const char *key, size_t klen)
{
	return egw_may_have(obj, key, klen) ? egw_getn_member(obj, key, klen) : NULL;
}
/* Case-insensitive lookup (Go's encoding/json matching). */
static inline egw_node *egw_get_cin(const egw_node *obj, const char *key, size_t klen)
{
	return egw_may_have(obj, key, klen) ? egw_get_cin_member(obj, key, klen) : NULL;
}
/* The by-name lookups are inline so a literal key's length is known when
 * compiling: the lookups of the stages' field names cost no strlen. */
static inline egw_node *egw_get(const egw_node *obj, const char *key)
{
	return egw_getn(obj, key, strlen(key));
}
static inline egw_node *egw_get_ci(const egw_node *obj, const char *key)
{
	return egw_get_cin(obj, key, strlen(key));
}
/* Path lookup: keys separated by '.', e.g. "spec.gatewayClassName". */
egw_node *egw_path(const egw_node *obj, const char *dotted);
egw_node *egw_at(const egw_node *arr, size_t i);
size_t egw_len(const egw_node *n); /* items of ARR, members of OBJ, else 0 */

/* Text of a scalar (any scalar kind), or NULL when n is NULL/null/container. */
const char *egw_text(const egw_node *n);
/* Text at key of obj, or def. */
static inline const char *egw_get_str(const egw_node *obj, const char *key, const char *def)
{
	const char *s = egw_text(egw_get(obj, key));
	return s ? s : def;
}
/* Integer value: INT, or a FLOAT with integral value, or a STR that parses
 * as an integer.  Returns false when n is not such a value. */
bool egw_node_int(const egw_node *n, int64_t *out);
int64_t egw_get_int(const egw_node *obj, const char *key, int64_t def);
bool egw_node_bool(const egw_node *n, bool def);
bool egw_get_bool(const egw_node *obj, const char *key, bool def);
bool egw_is(const egw_node *n, egw_nkind k);
/* "Empty" in the conformance sense: NULL, null, false, 0, "", [], {}. */
bool egw_is_empty(const egw_node *n);

/* Semantic equality (numbers by value, objects order-insensitive). */
bool egw_equal(const egw_node *a, const egw_node *b);

/* Sort an object's members by key (bytewise), recursively when deep. */
void egw_obj_sort(egw_node *obj, bool deep);

/* n when it is a node of kind k, else NULL. */
static inline const egw_node *egw_if_kind(const egw_node *n, egw_nkind k)
{
	return n && n->kind == k ? n : NULL;
}

/* Loops over an array's items (an object's members): `it` (`m`) is each in
 * turn, `i` its index; NULL or another kind loops zero times.  The
 * container expression is evaluated once, before the loop (callers pass
 * lookups such as G(r, "routes")); its length is read at each step.  The
 * outer loop only holds it, so break and continue work as in one loop. */
#define EGW_ARR_EACH(arr, i, it)                                                               \
	for (const egw_node *egw_each_##i = egw_if_kind((arr), EGW_ARR); egw_each_##i;            \
	     egw_each_##i = NULL)                                                                \
		for (size_t i = 0; i < egw_each_##i->n && ((it) = egw_each_##i->c.items[i], 1); i++)
#define EGW_OBJ_EACH(obj, i, m)                                                                \
	for (const egw_node *egw_each_##i = egw_if_kind((obj), EGW_OBJ); egw_each_##i;            \
	     egw_each_##i = NULL)                                                                \
		for (size_t i = 0; i < egw_each_##i->n && ((m) = &egw_each_##i->c.members[i], 1); i++)

#endif
