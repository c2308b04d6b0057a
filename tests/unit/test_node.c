/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the util stage: the node tree every stage speaks, and the
 * arena, map and buffer under it.  The tree's contract is in
 * src/util/node.h; each test names the part of it that it pins down.
 */
#include <ctype.h>
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/civil.h"
#include "util/sha256.h"
#include "util/map.h"
#include "util/node.h"
#include "check_run.h"

static egw_arena *A;

static void setup(void) { A = egw_arena_new(NULL); }
static void teardown(void)
{
	egw_arena_free(A);
	A = NULL;
}

/* Member keys of an object, joined by ',' (for order assertions). */
static const char *keys_of(const egw_node *o)
{
	static char out[4096];
	size_t k = 0;
	out[0] = 0;
	const egw_member *m;
	EGW_OBJ_EACH(o, i, m)
	{
		k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", i ? "," : "", m->key);
	}
	return out;
}

/* ---- construction ---- */

START_TEST(scalars_keep_text_and_value)
{
	egw_node *n = egw_null(A);
	ck_assert_int_eq(n->kind, EGW_NULL);
	ck_assert_str_eq(n->str, "null");

	n = egw_bool(A, true);
	ck_assert_int_eq(n->kind, EGW_BOOL);
	ck_assert(egw_vbool(n));
	ck_assert_str_eq(n->str, "true");
	ck_assert_uint_eq(n->len, 4);
	ck_assert_str_eq(egw_bool(A, false)->str, "false");

	n = egw_int(A, INT64_MIN);
	ck_assert_int_eq(n->kind, EGW_INT);
	ck_assert(egw_vint(n) == INT64_MIN);
	ck_assert_str_eq(n->str, "-9223372036854775808");
	ck_assert_uint_eq(n->len, strlen("-9223372036854775808"));

	/* floats keep the shortest text that reads back as the same double */
	ck_assert_str_eq(egw_float(A, 0.1)->str, "0.1");
	ck_assert_str_eq(egw_float(A, 2.5)->str, "2.5");
	ck_assert_str_eq(egw_float(A, 1e300)->str, "1e+300");
	ck_assert_str_eq(egw_float(A, 1.0 / 3)->str, "0.3333333333333333");
	n = egw_float(A, 5e-324);
	ck_assert(strtod(n->str, NULL) == 5e-324);
}
END_TEST

START_TEST(strings_copy_or_reference)
{
	char src[] = "hello world";
	egw_node *c = egw_strn(A, src, 5);
	egw_node *r = egw_str_ref(A, src, 5);
	src[0] = 'J';
	ck_assert_int_eq(c->kind, EGW_STR);
	ck_assert_str_eq(c->str, "hello"); /* copied and NUL-terminated */
	ck_assert_uint_eq(c->len, 5);
	ck_assert(r->str == src); /* not copied */
	ck_assert_uint_eq(r->len, 5);

	/* embedded NUL: the length, not strlen, is the value */
	egw_node *z = egw_strn(A, "a\0b", 3);
	ck_assert_uint_eq(z->len, 3);
	ck_assert(memcmp(z->str, "a\0b", 4) == 0);

	/* no text: an empty string, whatever length was given */
	egw_node *none = egw_strn(A, NULL, 5);
	ck_assert_uint_eq(none->len, 0);
	ck_assert_str_eq(none->str, "");
	ck_assert_uint_eq(none->flags, 0);

	egw_node *e = egw_nstr(A, NULL);
	ck_assert_int_eq(e->kind, EGW_STR);
	ck_assert_str_eq(e->str, "");
	ck_assert_uint_eq(e->len, 0);

	/* egw_strf past its 256-byte stack buffer */
	char big[600];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	egw_node *f = egw_strf(A, "<%s|%d>", big, 42);
	ck_assert_uint_eq(f->len, 599 + 5);
	ck_assert_uint_eq(strlen(f->str), f->len);
	ck_assert(!strncmp(f->str + f->len - 4, "|42>", 4));
	ck_assert_str_eq(egw_strf(A, "%s-%03d", "a", 7)->str, "a-007");
}
END_TEST

START_TEST(arrays_grow_and_index)
{
	egw_node *a = egw_arr(A);
	ck_assert_uint_eq(egw_len(a), 0);
	for (int i = 0; i < 100; i++)
		ck_assert(egw_vint(egw_arr_push(A, a, egw_int(A, i))) == i);
	ck_assert_uint_eq(egw_len(a), 100);
	for (int i = 0; i < 100; i++)
		ck_assert(egw_vint(egw_at(a, (size_t)i)) == i);
	ck_assert_ptr_null(egw_at(a, 100));
	ck_assert_ptr_null(egw_at(NULL, 0));
	ck_assert_ptr_null(egw_at(egw_obj(A), 0));
	int seen = 0;
	egw_node *it;
	EGW_ARR_EACH(a, i, it)
	{
		ck_assert(egw_vint(it) == (int64_t)i);
		seen++;
	}
	ck_assert_int_eq(seen, 100);
	egw_node *none = NULL;
	EGW_ARR_EACH(none, i, it)
	ck_abort_msg("EGW_ARR_EACH(NULL) iterated");
	EGW_ARR_EACH(egw_obj(A), i, it)
	ck_abort_msg("EGW_ARR_EACH(object) iterated");
}
END_TEST

/* ---- lookup ---- */

/* EGW_ARR_EACH / EGW_OBJ_EACH evaluate their container once (callers pass
 * lookups), see each item, and keep break and continue as in one loop. */
static int evaluations;
static const egw_node *counted(const egw_node *n)
{
	evaluations++;
	return n;
}

START_TEST(each_evaluates_container_once)
{
	egw_node *arr = egw_arr(A);
	for (int k = 0; k < 5; k++)
		egw_arr_push(A, arr, egw_int(A, k));
	const egw_node *it;
	int64_t sum = 0, v;
	evaluations = 0;
	EGW_ARR_EACH(counted(arr), i, it) {
		ck_assert(egw_node_int(it, &v));
		sum += v * (int64_t)(i + 1);
	}
	ck_assert_int_eq(evaluations, 1);
	ck_assert_int_eq(sum, 0 * 1 + 1 * 2 + 2 * 3 + 3 * 4 + 4 * 5);

	/* continue skips one item, break leaves both hidden loops */
	size_t seen = 0, last = 0;
	EGW_ARR_EACH(counted(arr), i, it) {
		if (i == 1)
			continue;
		if (i == 3)
			break;
		seen++;
		last = i;
	}
	ck_assert_uint_eq(seen, 2);
	ck_assert_uint_eq(last, 2);
	ck_assert_int_eq(evaluations, 2);

	/* NULL and the other kind loop zero times */
	egw_node *obj = egw_obj(A);
	egw_obj_set(A, obj, "a", egw_int(A, 1));
	egw_obj_set(A, obj, "b", egw_int(A, 2));
	seen = 0;
	EGW_ARR_EACH(counted(NULL), i, it) seen++;
	EGW_ARR_EACH(counted(obj), i, it) seen++;
	const egw_member *m;
	EGW_OBJ_EACH(counted(arr), i, m) seen++;
	ck_assert_uint_eq(seen, 0);
	EGW_OBJ_EACH(counted(obj), i, m) seen += (size_t)egw_member_klen(m);
	ck_assert_uint_eq(seen, 2);
	ck_assert_int_eq(evaluations, 6);

	/* items pushed while looping are seen: the length is read each step */
	seen = 0;
	EGW_ARR_EACH(arr, i, it) {
		if (i == 4)
			egw_arr_push(A, arr, egw_int(A, 5));
		seen++;
	}
	ck_assert_uint_eq(seen, 6);
}
END_TEST

START_TEST(lookup_small_object)
{
	egw_node *o = egw_obj(A);
	egw_set_str(A, o, "name", "edge");
	egw_set_int(A, o, "port", 80);
	egw_set_bool(A, o, "tls", false);
	egw_obj_setn(A, o, "a\0b", 3, egw_nstr(A, "nul-key"));
	ck_assert_str_eq(egw_get_str(o, "name", NULL), "edge");
	ck_assert_int_eq(egw_get_int(o, "port", -1), 80);
	ck_assert(!egw_get_bool(o, "tls", true));
	ck_assert_str_eq(egw_getn(o, "a\0b", 3)->str, "nul-key");
	ck_assert_ptr_null(egw_get(o, "a")); /* not a prefix match */
	ck_assert_ptr_null(egw_get(o, "nam"));
	ck_assert_ptr_null(egw_get(o, "names"));
	ck_assert_ptr_null(egw_get(o, "Name"));
	/* an object code built is looked up exactly, even by egw_get_ci ... */
	ck_assert_ptr_null(egw_get_ci(o, "Name"));
	ck_assert_str_eq(egw_text(egw_get_ci(o, "name")), "edge");
	/* ... one read from input (the parser's flag, kept by clones) also
	 * case-insensitively, as Go decodes IR input */
	o->flags |= EGW_NF_INPUT_KEYS;
	ck_assert_str_eq(egw_text(egw_get_ci(o, "Name")), "edge");
	ck_assert_str_eq(egw_text(egw_get_ci(egw_clone(A, o), "Name")), "edge");
	ck_assert_str_eq(egw_text(egw_get_ci(o, "PORT")), "80");
	ck_assert_ptr_null(egw_get_ci(o, "nope"));
	ck_assert_str_eq(egw_get_str(o, "missing", "dflt"), "dflt");
	ck_assert_int_eq(egw_get_int(o, "name", -7), -7); /* "edge" is no integer */
	/* NULL- and kind-safety */
	ck_assert_ptr_null(egw_get(NULL, "name"));
	ck_assert_ptr_null(egw_get(egw_arr(A), "name"));
	ck_assert_ptr_null(egw_get(egw_nstr(A, "name"), "name"));
	ck_assert_ptr_null(egw_get_ci(NULL, "name"));
	ck_assert_uint_eq(egw_len(NULL), 0);
	ck_assert_uint_eq(egw_len(egw_nstr(A, "abc")), 0);
	ck_assert_uint_eq(egw_len(o), 4);
}
END_TEST

START_TEST(path_lookup)
{
	egw_node *o = egw_obj(A);
	egw_node *spec = egw_set_obj(A, o, "spec");
	egw_node *tls = egw_set_obj(A, spec, "tls");
	egw_set_str(A, tls, "mode", "Terminate");
	egw_set_str(A, spec, "gatewayClassName", "eg");
	ck_assert_str_eq(egw_text(egw_path(o, "spec.gatewayClassName")), "eg");
	ck_assert_str_eq(egw_text(egw_path(o, "spec.tls.mode")), "Terminate");
	ck_assert_ptr_eq(egw_path(o, "spec.tls"), tls);
	ck_assert_ptr_eq(egw_path(o, ""), o);
	ck_assert_ptr_null(egw_path(o, "spec.nope.mode"));
	ck_assert_ptr_null(egw_path(o, "spec.gatewayClassName.x")); /* through a scalar */
	ck_assert_ptr_null(egw_path(NULL, "spec"));
	ck_assert_ptr_null(egw_path(o, "spe"));
}
END_TEST

START_TEST(hash_index_past_twelve_members)
{
	egw_node *o = egw_obj(A);
	char k[32];
	for (int i = 0; i < 12; i++) {
		snprintf(k, sizeof k, "k%d", i);
		egw_set_int(A, o, k, i);
	}
	ck_assert_msg(!egw_obj_indexed(o), "12 members should still be scanned linearly");
	egw_set_int(A, o, "k12", 12);
	ck_assert_msg(egw_obj_indexed(o), "the 13th member builds the hash index");
	/* grow far past several index rebuilds */
	for (int i = 13; i < 2000; i++) {
		snprintf(k, sizeof k, "k%d", i);
		egw_set_int(A, o, k, i);
	}
	ck_assert_uint_eq(egw_len(o), 2000);
	for (int i = 0; i < 2000; i++) {
		snprintf(k, sizeof k, "k%d", i);
		egw_node *v = egw_get(o, k);
		ck_assert_msg(v && egw_vint(v) == i, "lookup of %s", k);
	}
	ck_assert_ptr_null(egw_get(o, "k2000"));
	ck_assert_ptr_null(egw_get(o, "k"));
	ck_assert_ptr_null(egw_get(o, ""));
	/* insertion order is kept under the index */
	const egw_member *m;
	EGW_OBJ_EACH(o, i, m)
	{
		snprintf(k, sizeof k, "k%zu", i);
		ck_assert_str_eq(m->key, k);
	}
	/* setting an existing key through the index does not append */
	egw_set_str(A, o, "k1500", "replaced");
	ck_assert_uint_eq(egw_len(o), 2000);
	ck_assert_str_eq(egw_get_str(o, "k1500", NULL), "replaced");
	ck_assert_str_eq(o->c.members[1500].key, "k1500");
	/* the empty key is a key like any other */
	egw_set_str(A, o, "", "empty");
	ck_assert_str_eq(egw_get_str(o, "", NULL), "empty");
	ck_assert_ptr_null(egw_get_ci(o, "K7"));
	o->flags |= EGW_NF_INPUT_KEYS;
	ck_assert_str_eq(egw_text(egw_get_ci(o, "K7")), "7");
}
END_TEST

START_TEST(replace_in_place_keeps_order)
{
	for (int big = 0; big < 2; big++) {
		egw_node *o = egw_obj(A);
		int n = big ? 20 : 3;
		char k[16];
		for (int i = 0; i < n; i++) {
			snprintf(k, sizeof k, "m%02d", i);
			egw_set_int(A, o, k, i);
		}
		egw_node *nv = egw_nstr(A, "new");
		ck_assert_ptr_eq(egw_obj_set(A, o, "m01", nv), nv);
		ck_assert_uint_eq(egw_len(o), (size_t)n);
		ck_assert_str_eq(o->c.members[1].key, "m01");
		ck_assert_ptr_eq(o->c.members[1].val, nv);
		ck_assert_ptr_eq(egw_get(o, "m01"), nv);
		/* ensure on a key of the wrong kind replaces it, also in place */
		egw_node *made = egw_obj_ensure(A, o, "m00");
		ck_assert_int_eq(made->kind, EGW_OBJ);
		ck_assert_str_eq(o->c.members[0].key, "m00");
		ck_assert_ptr_eq(egw_obj_ensure(A, o, "m00"), made); /* existing one is returned */
		egw_node *arr = egw_arr_ensure(A, o, "m02");
		ck_assert_int_eq(arr->kind, EGW_ARR);
		ck_assert_str_eq(o->c.members[2].key, "m02");
		ck_assert_ptr_eq(egw_arr_ensure(A, o, "m02"), arr);
		ck_assert_uint_eq(egw_len(o), (size_t)n);
		/* absent keys are appended */
		egw_node *tail = egw_obj_ensure(A, o, "zz");
		ck_assert_ptr_eq(o->c.members[n].val, tail);
	}
}
END_TEST

START_TEST(delete_members)
{
	egw_node *o = egw_obj(A);
	egw_set_int(A, o, "a", 1);
	egw_set_int(A, o, "b", 2);
	egw_set_int(A, o, "c", 3);
	egw_node *old = egw_obj_del(o, "b");
	ck_assert(old && egw_vint(old) == 2);
	ck_assert_str_eq(keys_of(o), "a,c");
	ck_assert_ptr_null(egw_get(o, "b"));
	ck_assert_ptr_null(egw_obj_del(o, "b"));
	ck_assert_ptr_null(egw_obj_del(o, "zzz"));
	ck_assert_ptr_null(egw_obj_del(NULL, "a"));
	egw_set_int(A, o, "b", 4); /* re-added at the end */
	ck_assert_str_eq(keys_of(o), "a,c,b");
	ck_assert(egw_obj_del(o, "a"));
	ck_assert(egw_obj_del(o, "b"));
	ck_assert(egw_obj_del(o, "c"));
	ck_assert_uint_eq(egw_len(o), 0);
	ck_assert(egw_is_empty(o));

	/* indexed object: the index follows the moved members */
	egw_node *h = egw_obj(A);
	char k[16];
	for (int i = 0; i < 40; i++) {
		snprintf(k, sizeof k, "h%d", i);
		egw_set_int(A, h, k, i);
	}
	for (int i = 0; i < 40; i += 2) {
		snprintf(k, sizeof k, "h%d", i);
		ck_assert(egw_vint(egw_obj_del(h, k)) == i);
	}
	ck_assert_uint_eq(egw_len(h), 20);
	for (int i = 0; i < 40; i++) {
		snprintf(k, sizeof k, "h%d", i);
		egw_node *v = egw_get(h, k);
		if (i % 2)
			ck_assert_msg(v && egw_vint(v) == i, "%s lost after deletes", k);
		else
			ck_assert_msg(v == NULL, "%s still found after delete", k);
	}
	ck_assert_str_eq(h->c.members[0].key, "h1");
	ck_assert_str_eq(h->c.members[19].key, "h39");
	/* and keeps working for appends after the deletes */
	for (int i = 100; i < 200; i++) {
		snprintf(k, sizeof k, "h%d", i);
		egw_set_int(A, h, k, i);
	}
	for (int i = 100; i < 200; i++) {
		snprintf(k, sizeof k, "h%d", i);
		ck_assert(egw_get(h, k) && egw_vint(egw_get(h, k)) == i);
	}
	ck_assert(egw_vint(egw_get(h, "h39")) == 39);
}
END_TEST

START_TEST(clone_is_deep)
{
	egw_node *o = egw_obj(A);
	o->pos = (egw_pos){ 2, 10, 3 };
	egw_node *md = egw_set_obj(A, o, "metadata");
	egw_set_str(A, md, "name", "x");
	egw_node *q = egw_set_str(A, md, "quoted", "123");
	q->flags |= EGW_NF_QUOTED;
	q->pos = (egw_pos){ 2, 12, 11 };
	egw_node *arr = egw_set_arr(A, o, "items");
	for (int i = 0; i < 20; i++)
		egw_arr_push(A, arr, egw_int(A, i));
	char k[16];
	for (int i = 0; i < 20; i++) { /* enough members for an index */
		snprintf(k, sizeof k, "f%d", i);
		egw_set_int(A, o, k, i);
	}
	egw_node *c = egw_clone(A, o);
	ck_assert_ptr_ne(c, o);
	ck_assert(egw_equal(c, o));
	ck_assert_str_eq(keys_of(c), keys_of(o));
	ck_assert_uint_eq(c->pos.input, 2);
	ck_assert_uint_eq(c->pos.line, 10);
	ck_assert_uint_eq(c->pos.col, 3);
	egw_node *cq = egw_path(c, "metadata.quoted");
	ck_assert_ptr_ne(cq, q);
	ck_assert(cq->flags & EGW_NF_QUOTED);
	ck_assert_uint_eq(cq->pos.line, 12);
	ck_assert_uint_eq(cq->pos.col, 11);
	/* changing the clone leaves the original alone */
	egw_set_str(A, egw_get(c, "metadata"), "name", "changed");
	egw_arr_push(A, egw_get(c, "items"), egw_null(A));
	egw_obj_del(c, "f3");
	ck_assert_str_eq(egw_text(egw_path(o, "metadata.name")), "x");
	ck_assert_uint_eq(egw_len(arr), 20);
	ck_assert(egw_get(o, "f3"));
	ck_assert(!egw_equal(c, o));
	for (int i = 0; i < 20; i++) {
		snprintf(k, sizeof k, "f%d", i);
		if (i != 3)
			ck_assert(egw_vint(egw_get(c, k)) == i);
	}
	ck_assert_ptr_null(egw_clone(A, NULL));
	egw_node *s = egw_clone(A, egw_float(A, 0.25));
	ck_assert_int_eq(s->kind, EGW_FLOAT);
	ck_assert(egw_vfloat(s) == 0.25);
	ck_assert_str_eq(s->str, "0.25");
}
END_TEST

/* Parsed documents shared by translations are frozen: copies are
 * writable, unshare leaves frozen subtrees (and their flags) alone, and a
 * rekey keeps the hash index right. */
START_TEST(freeze_clone_rekey)
{
	egw_node *doc = egw_obj(A);
	egw_node *spec = egw_set_obj(A, doc, "spec");
	for (int i = 0; i < 20; i++) /* past the size that gets an index */
		egw_set_int(A, spec, i == 7 ? "Level" : egw_strf(A, "k%d", i)->str, i);
	egw_node *list = egw_set_arr(A, doc, "list");
	egw_arr_push(A, list, egw_nstr(A, "x"));
	ck_assert(!egw_frozen(doc));
	egw_freeze(doc);
	ck_assert(egw_frozen(doc) && egw_frozen(spec) && egw_frozen(egw_at(list, 0)));
	ck_assert(!egw_frozen(NULL));

	egw_node *copy = egw_clone(A, doc);
	ck_assert(egw_equal(copy, doc));
	ck_assert(!egw_frozen(copy) && !egw_frozen(egw_get(copy, "spec")) &&
		  !egw_frozen(egw_at(egw_get(copy, "list"), 0)));

	/* a tree that links one frozen subtree twice: nothing copied, no mark
	 * left on the frozen nodes */
	egw_node *ir = egw_arr(A);
	egw_arr_push(A, ir, spec);
	egw_arr_push(A, ir, spec);
	egw_unshare(A, ir);
	ck_assert_ptr_eq(egw_at(ir, 0), spec);
	ck_assert_ptr_eq(egw_at(ir, 1), spec);
	ck_assert_uint_eq(spec->flags & ~0x40u, EGW_NF_FROZEN); /* 0x40: it has its hash index */

	/* rekey on the copy: found under the new key only, through the index */
	egw_node *cs = egw_get(copy, "spec");
	ck_assert(egw_obj_indexed(cs));
	egw_obj_rekey(cs, 7, egw_arena_intern(A, "level", 5));
	ck_assert_ptr_null(egw_get(cs, "Level"));
	ck_assert_int_eq(egw_get_int(cs, "level", -1), 7);
	ck_assert_int_eq(egw_get_int(cs, "k19", -1), 19);
	ck_assert_int_eq(egw_get_int(spec, "Level", -1), 7); /* the original is untouched */
	egw_obj_rekey(cs, 99, egw_arena_intern(A, "x", 1)); /* out of range: nothing */
	egw_obj_rekey(NULL, 0, egw_arena_intern(A, "x", 1));
}
END_TEST

START_TEST(unshare_copies_second_places)
{
	/* two routes and a route's destination share one metadata object,
	 * and both routes share one settings array */
	egw_node *meta = egw_obj(A);
	egw_set_str(A, meta, "name", "r");
	egw_node *settings = egw_arr(A);
	egw_arr_push(A, settings, egw_nstr(A, "s"));
	egw_node *routes = egw_arr(A);
	egw_node *r0 = egw_arr_push(A, routes, egw_obj(A));
	egw_node *r1 = egw_arr_push(A, routes, egw_obj(A));
	egw_obj_set(A, r0, "metadata", meta);
	egw_node *d0 = egw_set_obj(A, r0, "destination");
	egw_obj_set(A, d0, "metadata", meta);
	egw_obj_set(A, d0, "settings", settings);
	egw_obj_set(A, r1, "metadata", meta);
	egw_obj_set(A, r1, "settings", settings);
	egw_node *before = egw_clone(A, routes);

	ck_assert_ptr_eq(egw_unshare(A, routes), routes);
	ck_assert(egw_equal(routes, before)); /* same content */
	/* the first place keeps the node, every later place has its own copy */
	ck_assert_ptr_eq(egw_get(r0, "metadata"), meta);
	ck_assert_ptr_ne(egw_get(d0, "metadata"), meta);
	ck_assert_ptr_ne(egw_get(r1, "metadata"), meta);
	ck_assert_ptr_ne(egw_get(r1, "metadata"), egw_get(d0, "metadata"));
	ck_assert_ptr_eq(egw_get(d0, "settings"), settings);
	ck_assert_ptr_ne(egw_get(r1, "settings"), settings);
	/* so a change in one place stays there */
	egw_set_str(A, egw_get(d0, "metadata"), "extra", "x");
	ck_assert_ptr_null(egw_get(meta, "extra"));
	ck_assert_ptr_null(egw_get(egw_get(r1, "metadata"), "extra"));
	/* the walk's marks are gone: a second pass changes nothing, and
	 * flags the input had are kept */
	egw_node *m1 = egw_get(r1, "metadata");
	egw_unshare(A, routes);
	ck_assert_ptr_eq(egw_get(r1, "metadata"), m1);
	ck_assert_ptr_eq(egw_get(r0, "metadata"), meta);
	ck_assert_uint_eq(meta->flags, 0);
	ck_assert_uint_eq(routes->flags, 0);
	/* scalars and NULL pass through */
	ck_assert_ptr_null(egw_unshare(A, NULL));
	egw_node *s = egw_nstr(A, "x");
	ck_assert_ptr_eq(egw_unshare(A, s), s);
}
END_TEST

/* ---- equality ---- */

static egw_node *obj2(const char *k1, egw_node *v1, const char *k2, egw_node *v2)
{
	egw_node *o = egw_obj(A);
	egw_obj_set(A, o, k1, v1);
	if (k2)
		egw_obj_set(A, o, k2, v2);
	return o;
}

START_TEST(equality_rules)
{
	ck_assert(egw_equal(NULL, NULL));
	ck_assert(!egw_equal(NULL, egw_null(A)));
	ck_assert(!egw_equal(egw_null(A), NULL));
	ck_assert(egw_equal(egw_null(A), egw_null(A)));
	ck_assert(egw_equal(egw_bool(A, true), egw_bool(A, true)));
	ck_assert(!egw_equal(egw_bool(A, true), egw_bool(A, false)));
	/* numbers compare by value, across INT and FLOAT */
	ck_assert(egw_equal(egw_int(A, 1), egw_float(A, 1.0)));
	ck_assert(egw_equal(egw_float(A, 2.0), egw_int(A, 2)));
	ck_assert(!egw_equal(egw_int(A, 1), egw_float(A, 1.5)));
	/* two INTs compare exactly, even beyond double precision */
	ck_assert(!egw_equal(egw_int(A, 9007199254740993LL), egw_int(A, 9007199254740992LL)));
	/* a number is not its text */
	ck_assert(!egw_equal(egw_int(A, 1), egw_nstr(A, "1")));
	ck_assert(!egw_equal(egw_nstr(A, "true"), egw_bool(A, true)));
	ck_assert(!egw_equal(egw_nstr(A, "null"), egw_null(A)));
	ck_assert(egw_equal(egw_nstr(A, "abc"), egw_strn(A, "abcdef", 3)));
	ck_assert(!egw_equal(egw_strn(A, "a\0b", 3), egw_strn(A, "a\0c", 3)));
	ck_assert(!egw_equal(egw_strn(A, "a\0b", 3), egw_nstr(A, "a")));
	/* objects: member order does not matter, content does */
	egw_node *x = obj2("a", egw_int(A, 1), "b", egw_nstr(A, "s"));
	egw_node *y = obj2("b", egw_nstr(A, "s"), "a", egw_int(A, 1));
	ck_assert(egw_equal(x, y));
	ck_assert(!egw_equal(x, obj2("a", egw_int(A, 1), NULL, NULL)));
	ck_assert(!egw_equal(obj2("a", egw_int(A, 1), NULL, NULL), x));
	ck_assert(!egw_equal(x, obj2("a", egw_int(A, 1), "c", egw_nstr(A, "s"))));
	ck_assert(!egw_equal(x, obj2("a", egw_int(A, 2), "b", egw_nstr(A, "s"))));
	ck_assert(egw_equal(egw_obj(A), egw_obj(A)));
	ck_assert(!egw_equal(egw_obj(A), egw_arr(A)));
	/* a member whose value is null is not an absent member */
	ck_assert(!egw_equal(obj2("a", egw_null(A), NULL, NULL), obj2("b", egw_null(A), NULL, NULL)));
	/* arrays: order matters */
	egw_node *p = egw_arr(A), *q = egw_arr(A);
	egw_arr_push(A, p, egw_int(A, 1));
	egw_arr_push(A, p, egw_int(A, 2));
	egw_arr_push(A, q, egw_int(A, 2));
	egw_arr_push(A, q, egw_int(A, 1));
	ck_assert(!egw_equal(p, q));
	ck_assert(egw_equal(p, egw_clone(A, p)));
	egw_arr_push(A, q, egw_int(A, 3));
	ck_assert(!egw_equal(p, q));
	/* nested difference */
	egw_node *d1 = obj2("spec", obj2("x", egw_arr(A), NULL, NULL), NULL, NULL);
	egw_node *d2 = obj2("spec", obj2("x", egw_obj(A), NULL, NULL), NULL, NULL);
	ck_assert(!egw_equal(d1, d2));
}
END_TEST

START_TEST(empty_rules)
{
	ck_assert(egw_is_empty(NULL));
	ck_assert(egw_is_empty(egw_null(A)));
	ck_assert(egw_is_empty(egw_bool(A, false)));
	ck_assert(!egw_is_empty(egw_bool(A, true)));
	ck_assert(egw_is_empty(egw_int(A, 0)));
	ck_assert(!egw_is_empty(egw_int(A, -1)));
	ck_assert(egw_is_empty(egw_float(A, 0.0)));
	ck_assert(!egw_is_empty(egw_float(A, 0.5)));
	ck_assert(egw_is_empty(egw_nstr(A, "")));
	ck_assert(!egw_is_empty(egw_nstr(A, "0")));
	ck_assert(!egw_is_empty(egw_nstr(A, " ")));
	ck_assert(egw_is_empty(egw_arr(A)));
	ck_assert(egw_is_empty(egw_obj(A)));
	egw_node *a = egw_arr(A);
	egw_arr_push(A, a, egw_null(A));
	ck_assert(!egw_is_empty(a));
	ck_assert(!egw_is_empty(obj2("a", egw_null(A), NULL, NULL)));
}
END_TEST

START_TEST(scalar_accessors)
{
	int64_t v = 0;
	ck_assert(egw_node_int(egw_int(A, -5), &v) && v == -5);
	ck_assert(egw_node_int(egw_float(A, 3.0), &v) && v == 3);
	ck_assert(!egw_node_int(egw_float(A, 3.5), &v));
	ck_assert(!egw_node_int(egw_float(A, 1e30), &v));
	ck_assert(egw_node_int(egw_nstr(A, "8080"), &v) && v == 8080);
	ck_assert(egw_node_int(egw_nstr(A, "-12"), &v) && v == -12);
	ck_assert(!egw_node_int(egw_nstr(A, "80x"), &v));
	ck_assert(!egw_node_int(egw_nstr(A, ""), &v));
	ck_assert(!egw_node_int(egw_nstr(A, "99999999999999999999"), &v));
	ck_assert(!egw_node_int(egw_bool(A, true), &v));
	ck_assert(!egw_node_int(egw_null(A), &v));
	ck_assert(!egw_node_int(NULL, &v));
	ck_assert(egw_node_bool(egw_bool(A, true), false));
	ck_assert(!egw_node_bool(egw_bool(A, false), true));
	ck_assert(egw_node_bool(egw_nstr(A, "true"), false));
	ck_assert(!egw_node_bool(egw_nstr(A, "false"), true));
	ck_assert(egw_node_bool(egw_nstr(A, "yes"), true)); /* not a bool: the default */
	ck_assert(!egw_node_bool(egw_nstr(A, "yes"), false));
	ck_assert(egw_node_bool(NULL, true));
	ck_assert(egw_node_bool(egw_int(A, 1), true) && !egw_node_bool(egw_int(A, 1), false));
	ck_assert_ptr_null(egw_text(NULL));
	ck_assert_ptr_null(egw_text(egw_null(A)));
	ck_assert_ptr_null(egw_text(egw_obj(A)));
	ck_assert_ptr_null(egw_text(egw_arr(A)));
	ck_assert_str_eq(egw_text(egw_int(A, 42)), "42");
	ck_assert_str_eq(egw_text(egw_bool(A, false)), "false");
	ck_assert(egw_is(egw_obj(A), EGW_OBJ));
	ck_assert(!egw_is(NULL, EGW_NULL));
	ck_assert(!egw_is(egw_arr(A), EGW_OBJ));
}
END_TEST

START_TEST(sort_members)
{
	egw_node *o = egw_obj(A);
	const char *ks[] = { "zeta", "alpha", "mid", "Alpha", "al", "b" };
	for (size_t i = 0; i < 6; i++)
		egw_obj_set(A, o, ks[i], obj2("y", egw_int(A, 1), "x", egw_int(A, 2)));
	egw_obj_sort(o, false);
	ck_assert_str_eq(keys_of(o), "Alpha,al,alpha,b,mid,zeta");
	ck_assert_str_eq(keys_of(egw_get(o, "b")), "y,x"); /* shallow */
	egw_obj_sort(o, true);
	ck_assert_str_eq(keys_of(egw_get(o, "b")), "x,y");
	/* deep sort reaches objects inside arrays */
	egw_node *wrap = egw_obj(A);
	egw_node *arr = egw_set_arr(A, wrap, "list");
	egw_arr_push(A, arr, obj2("b", egw_int(A, 1), "a", egw_int(A, 2)));
	egw_obj_sort(wrap, true);
	ck_assert_str_eq(keys_of(egw_at(arr, 0)), "a,b");
	/* an indexed object still finds every key after sorting */
	egw_node *h = egw_obj(A);
	char k[16];
	for (int i = 50; i > 0; i--) {
		snprintf(k, sizeof k, "s%03d", i);
		egw_set_int(A, h, k, i);
	}
	egw_obj_sort(h, false);
	ck_assert_str_eq(h->c.members[0].key, "s001");
	for (int i = 1; i <= 50; i++) {
		snprintf(k, sizeof k, "s%03d", i);
		ck_assert_msg(egw_get(h, k) && egw_vint(egw_get(h, k)) == i, "%s after sort", k);
	}
	/* keys that share a prefix: the shorter one first */
	egw_node *pfx = obj2("ab", egw_null(A), "a", egw_null(A));
	egw_obj_sort(pfx, false);
	ck_assert_str_eq(keys_of(pfx), "a,ab");
	egw_obj_sort(NULL, true); /* no-op */
}
END_TEST

/* ---- arena, map, buf ---- */

typedef struct counting {
	size_t mallocs, frees;
} counting;

static void *c_malloc(size_t n, void *ud)
{
	((counting *)ud)->mallocs++;
	return malloc(n);
}
static void c_free(void *p, void *ud)
{
	((counting *)ud)->frees++;
	free(p);
}

static int defer_log[8];
static int defer_n;
static void log_defer(void *p) { defer_log[defer_n++] = *(int *)p; }

START_TEST(arena_allocations)
{
	counting cnt = { 0, 0 };
	egw_alloc_fns fns = { c_malloc, c_free, &cnt };
	egw_arena *a = egw_arena_new(&fns);
	ck_assert_ptr_nonnull(a);
	for (int i = 1; i < 200; i++) {
		unsigned char *p = egw_alloc(a, (size_t)i * 7);
		ck_assert_msg(((uintptr_t)p & 7) == 0, "allocation %d not 8-aligned", i);
		for (int j = 0; j < i * 7; j++)
			ck_assert_msg(p[j] == 0, "egw_alloc did not zero");
		memset(p, 0xAB, (size_t)i * 7);
	}
	/* a large object next to small ones */
	char *big = egw_alloc(a, 1 << 20);
	big[0] = 1;
	big[(1 << 20) - 1] = 2;
	char *small = egw_alloc(a, 16);
	ck_assert(big[0] == 1 && big[(1 << 20) - 1] == 2 && small[0] == 0);
	ck_assert_uint_ge(egw_arena_used(a), (size_t)(1 << 20));
	ck_assert_uint_ge(egw_arena_reserved(a), egw_arena_used(a));
	/* realloc keeps the contents, and shrinking keeps the pointer */
	char *r = egw_alloc(a, 8);
	memcpy(r, "abcdefg", 8);
	char *r2 = egw_realloc(a, r, 8, 4096);
	ck_assert_str_eq(r2, "abcdefg");
	ck_assert_ptr_eq(egw_realloc(a, r2, 4096, 10), r2);
	char *fresh = egw_realloc(a, NULL, 0, 32);
	ck_assert_ptr_nonnull(fresh);
	ck_assert_str_eq(egw_strndup(a, "hello", 3), "hel");
	ck_assert_str_eq(egw_strdup(a, ""), "");
	char longs[1000];
	memset(longs, 'q', sizeof longs - 1);
	longs[sizeof longs - 1] = 0;
	char *s = egw_sprintf(a, "%s%d", longs, 7);
	ck_assert_uint_eq(strlen(s), 1000);
	ck_assert(s[999] == '7');
	/* deferred cleanups run at free, last registered first */
	static int one = 1, two = 2, three = 3;
	defer_n = 0;
	egw_arena_defer(a, log_defer, &one);
	egw_arena_defer(a, log_defer, &two);
	egw_arena_defer(a, log_defer, &three);
	ck_assert_int_eq(defer_n, 0);
	ck_assert_uint_gt(cnt.mallocs, 1);
	egw_arena_free(a);
	ck_assert_int_eq(defer_n, 3);
	ck_assert_int_eq(defer_log[0], 3);
	ck_assert_int_eq(defer_log[1], 2);
	ck_assert_int_eq(defer_log[2], 1);
	ck_assert_uint_eq(cnt.mallocs, cnt.frees);
	egw_arena_free(NULL);
}
END_TEST

START_TEST(arena_realloc_grows_last_in_place)
{
	egw_arena *a = egw_arena_new(NULL);
	char *g = egw_alloc(a, 24);
	memcpy(g, "grow", 5);
	size_t used = egw_arena_used(a);
	char *g2 = egw_realloc(a, g, 24, 48);
	ck_assert_str_eq(g2, "grow");
#ifndef EGW_DEBUG_POOL
	/* the block's last allocation: extended, nothing copied or left behind */
	ck_assert_ptr_eq(g2, g);
	ck_assert_uint_eq(egw_arena_used(a), used + 24);
#else
	(void)used;
#endif
	/* something allocated after it: it moves, its contents with it */
	char *other = egw_alloc(a, 8);
	memcpy(other, "other", 6);
	char *g3 = egw_realloc(a, g2, 48, 96);
	ck_assert_ptr_ne(g3, g2);
	ck_assert_str_eq(g3, "grow");
	ck_assert_str_eq(other, "other");
	/* a growth that does not fit the block's rest moves too */
	char *h = egw_alloc(a, 16);
	memcpy(h, "tail", 5);
	char *h2 = egw_realloc(a, h, 16, 128 * 1024);
	ck_assert_ptr_ne(h2, h);
	ck_assert_str_eq(h2, "tail");
	egw_arena_free(a);
}
END_TEST

/* An array that grew out of its place leaves its old room to the next
 * array that grows to exactly that size (a power of two from 16 to 2048
 * bytes), contents copied; plain allocations, other sizes and arrays after
 * a reset never get it. */
START_TEST(arena_outgrown_room_reused)
{
	egw_arena *a = egw_arena_new(NULL);
	for (size_t sz = 16; sz <= 4096; sz *= 2) {
		unsigned char *old = egw_alloc(a, sz);
		memset(old, 0xab, sz);
		(void)egw_alloc(a, 8); /* so old cannot grow in place */
		unsigned char *grown = egw_realloc(a, old, sz, 2 * sz);
		ck_assert_ptr_ne(grown, old);
		for (size_t i = 0; i < sz; i++)
			ck_assert_uint_eq(grown[i], 0xab);
		ck_assert_ptr_ne(egw_alloc(a, sz), old); /* a plain allocation */
		unsigned char *small = egw_alloc(a, sz / 2);
		memset(small, 0xcd, sz / 2);
		(void)egw_alloc(a, 8);
		unsigned char *again = egw_realloc(a, small, sz / 2, sz);
#ifndef EGW_DEBUG_POOL
		if (sz <= 2048)
			ck_assert_ptr_eq(again, old);
		else
			ck_assert_ptr_ne(again, old);
#endif
		for (size_t i = 0; i < sz / 2; i++)
			ck_assert_uint_eq(again[i], 0xcd);
		/* given out once */
		unsigned char *other = egw_alloc(a, sz / 2);
		(void)egw_alloc(a, 8);
		ck_assert_ptr_ne(egw_realloc(a, other, sz / 2, sz), old);
	}
	/* an odd size is not a class: its room stays unused */
	char *o = egw_alloc(a, 40);
	(void)egw_alloc(a, 8);
	(void)egw_realloc(a, o, 40, 80);
	char *o2 = egw_alloc(a, 24);
	(void)egw_alloc(a, 8);
	ck_assert_ptr_ne(egw_realloc(a, o2, 24, 40), o);
	/* after a reset the old room is gone with its block */
	char *r = egw_alloc(a, 64);
	(void)egw_alloc(a, 8);
	(void)egw_realloc(a, r, 64, 128);
	egw_arena_reset(a);
	char *fresh = egw_alloc(a, 32);
	char *sep = egw_alloc(a, 8);
	char *moved = egw_realloc(a, fresh, 32, 64);
#ifndef EGW_DEBUG_POOL
	ck_assert_ptr_eq(moved, sep + 8); /* new room from the block, not r's */
#else
	(void)sep;
	(void)moved;
#endif
	egw_arena_free(a);
}
END_TEST

static int fail_after;
static void *failing_malloc(size_t n, void *ud)
{
	(void)ud;
	if (fail_after-- <= 0)
		return NULL;
	return malloc(n);
}
static void plain_free(void *p, void *ud)
{
	(void)ud;
	free(p);
}

START_TEST(arena_oom_jumps)
{
	fail_after = 1; /* the arena struct succeeds, the first block fails */
	egw_alloc_fns fns = { failing_malloc, plain_free, NULL };
	egw_arena *a = egw_arena_new(&fns);
	ck_assert_ptr_nonnull(a);
	jmp_buf jb;
	volatile int reached = 0;
	if (setjmp(jb) == 0) {
		egw_arena_set_oom(a, &jb);
		ck_assert_ptr_eq(egw_arena_get_oom(a), &jb);
		(void)egw_alloc(a, 10);
		reached = 1;
	}
	ck_assert_int_eq(reached, 0);
	egw_arena_free(a);
	fail_after = 0;
	ck_assert_ptr_null(egw_arena_new(&fns));
}
END_TEST

/* A sibling shares the allocator and OOM point; reset empties an arena for
 * reuse: nothing of it is counted, the deferred cleanups ran, its interned
 * strings are gone, and it hands out memory again. */
/* An integer node keeps its decimal text (stages read numbers as text
 * too), extremes included. */
START_TEST(int_text)
{
	static const struct { int64_t v; const char *t; } cases[] = {
		{ 0, "0" }, { 7, "7" }, { -1, "-1" }, { 1234567890, "1234567890" },
		{ INT64_MAX, "9223372036854775807" }, { INT64_MIN, "-9223372036854775808" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		egw_node *n = egw_int(A, cases[i].v);
		ck_assert_str_eq(n->str, cases[i].t);
		ck_assert_uint_eq(n->len, strlen(cases[i].t));
		int64_t back;
		ck_assert(egw_node_int(n, &back) && back == cases[i].v);
	}
}
END_TEST

/* egw_sprintf writes the common conversions itself and leaves the rest
 * to vsnprintf: the text must be vsnprintf's either way. */
#define SAME_AS_SNPRINTF(...)                                              \
	do {                                                               \
		char want[1024];                                           \
		snprintf(want, sizeof want, __VA_ARGS__);                  \
		ck_assert_str_eq(egw_sprintf(A, __VA_ARGS__), want);       \
	} while (0)

START_TEST(sprintf_matches_snprintf)
{
	SAME_AS_SNPRINTF("%s/%s/%s/rule/%zu/match/%zu", "httproute", "ns", "name", (size_t)3, (size_t)0);
	SAME_AS_SNPRINTF("%d %d %u %ld %lu %lld %llu", 0, -42, 4000000000u, -7L, 7UL, (long long)INT64_MIN,
			 (unsigned long long)UINT64_MAX);
	SAME_AS_SNPRINTF("100%% of %.*s", 3, "abcdef");
	SAME_AS_SNPRINTF("%.*s|", 10, "short");
	SAME_AS_SNPRINTF("plain text, no conversions");
	SAME_AS_SNPRINTF("%s", "");
	/* left to vsnprintf: flags, widths, floats, hex, a NULL string */
	SAME_AS_SNPRINTF("%5d|%-4s|%08.3f|%x|%g", 42, "a", 3.14159, 255u, 0.5);
	const char *volatile nul = NULL; /* glibc prints (null); hidden from -Wformat */
	SAME_AS_SNPRINTF("%s then %d", nul, 1);
	/* longer than the stack buffer */
	char big[600];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	SAME_AS_SNPRINTF("<%s>%zu", big, sizeof big);
	/* around the stack buffer's size (256 with its NUL): runs of text,
	 * strings and numbers that just fit or just do not */
	for (size_t n = 245; n < 262; n++) {
		char fmt[300], str[300];
		memset(fmt, 'f', n);
		fmt[n] = 0;
		memset(str, 's', n);
		str[n] = 0;
		SAME_AS_SNPRINTF(fmt, 0); /* a run only (the 0 is not read) */
		SAME_AS_SNPRINTF("%s", str);
		SAME_AS_SNPRINTF("%.*s!", (int)n - 3, str);
		SAME_AS_SNPRINTF("%s%d", str + 10, 123456789);
		SAME_AS_SNPRINTF("ab%%%s", str + 4);
	}
}
END_TEST

START_TEST(arena_sibling_and_reset)
{
	counting cnt = { 0, 0 };
	egw_alloc_fns fns = { c_malloc, c_free, &cnt };
	egw_arena *a = egw_arena_new(&fns);
	jmp_buf jb;
	egw_arena_set_oom(a, &jb);
	egw_arena *s = egw_arena_new_sibling(a);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_eq(egw_arena_get_oom(s), &jb);
	size_t before = cnt.mallocs;
	static int one = 1;
	defer_n = 0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 100; i++)
			memset(egw_alloc(s, 1000), 0x5A, 1000); /* past one block */
		(void)egw_alloc(s, 100000);                  /* a block of its own */
		const char *k = egw_arena_intern(s, "name", 4);
		ck_assert_ptr_eq(egw_arena_intern(s, "name", 4), k);
		egw_arena_defer(s, log_defer, &one);
		ck_assert_uint_ge(egw_arena_used(s), 200000);
		egw_arena_reset(s);
		ck_assert_uint_eq(egw_arena_used(s), 0);
		ck_assert_int_eq(defer_n, round + 1);
		/* memory handed out after a reset is usable and zeroed */
		unsigned char *p = egw_alloc(s, 64);
		for (int j = 0; j < 64; j++)
			ck_assert(p[j] == 0);
		egw_arena_reset(s);
	}
	/* the two arenas and the one kept block are all that is left */
	ck_assert_uint_gt(cnt.mallocs, before);
	ck_assert_uint_le(cnt.mallocs - cnt.frees, 3);
	ck_assert_uint_le(egw_arena_reserved(s), 70000);
	egw_arena_free(s);
	egw_arena_free(a);
	ck_assert_uint_eq(cnt.mallocs, cnt.frees);
}
END_TEST

/* With the system allocator an arena that has grown past a few MiB takes
 * 2 MiB blocks of its own from mmap (Linux; not in the debug pool): the
 * memory handed out must be as usable as any (aligned, zeroed, not
 * overlapping), go on reset and free, and a sibling gets
 * them too.  A host's allocator is never bypassed. */
START_TEST(arena_huge_blocks)
{
	counting cnt = { 0, 0 };
	egw_alloc_fns fns = { c_malloc, c_free, &cnt };
	egw_arena *sys = egw_arena_new(NULL), *host = egw_arena_new(&fns);
	egw_arena *sib = egw_arena_new_sibling(sys);
	egw_arena *as[3] = { sys, host, sib };
	enum { PIECE = 4000, PIECES = 6000 }; /* about 23 MiB */
	unsigned char **ps = malloc(PIECES * sizeof *ps);
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < PIECES; i++) {
			ps[i] = egw_alloc(as[k], PIECE);
			ck_assert_msg(((uintptr_t)ps[i] & 7) == 0, "piece %d not 8-aligned", i);
			ck_assert_msg(ps[i][0] == 0 && ps[i][PIECE - 1] == 0, "piece %d not zeroed", i);
			memset(ps[i], i & 0xFF, PIECE);
		}
		for (int i = 0; i < PIECES; i++)
			ck_assert_msg(ps[i][0] == (i & 0xFF) && ps[i][PIECE - 1] == (i & 0xFF), "piece %d overwritten", i);
		char *g = egw_alloc(as[k], 16);
		memcpy(g, "grow", 5);
		ck_assert_str_eq(egw_realloc(as[k], g, 16, 100000), "grow");
	}
#if defined(__linux__) && !defined(EGW_DEBUG_POOL)
	ck_assert_uint_gt(egw_arena_mapped(sys), 0);
	ck_assert_uint_gt(egw_arena_mapped(sib), 0);
	ck_assert_uint_le(egw_arena_mapped(sys), egw_arena_reserved(sys));
	/* the first MiB stay in ordinary blocks: small translations never map */
	ck_assert_uint_ge(egw_arena_reserved(sys) - egw_arena_mapped(sys), (size_t)4 << 20);
#endif
	ck_assert_uint_eq(egw_arena_mapped(host), 0);
#if defined(__linux__) && !defined(EGW_DEBUG_POOL)
	/* a child's huge blocks go back to its root when it is freed, and the
	 * next child takes them before it is large itself */
	egw_child *c1 = egw_arena_child(sys);
	for (int i = 0; i < PIECES; i++)
		memset(egw_alloc(c1->a, PIECE), 0x77, PIECE);
	size_t c1_mapped = egw_arena_mapped(c1->a);
	ck_assert_uint_gt(c1_mapped, 0);
	size_t before = egw_arena_spare(sys);
	egw_child_free(c1);
	ck_assert_uint_eq(egw_arena_spare(sys) - before, c1_mapped / ((size_t)2 << 20));
	egw_child *c2 = egw_arena_child(sys);
	for (int i = 0; i < 100; i++)
		memset(egw_alloc(c2->a, PIECE), 0x11, PIECE);
	ck_assert_uint_gt(egw_arena_mapped(c2->a), 0); /* small, yet in a kept block */
	ck_assert_uint_lt(egw_arena_spare(sys), before + c1_mapped / ((size_t)2 << 20));
	unsigned char *z = egw_alloc(c2->a, 4096);
	for (int j = 0; j < 4096; j++)
		ck_assert_msg(z[j] == 0, "memory from a kept block not zeroed");
	egw_child_free(c2);
	egw_arena_trim(sys);
	ck_assert_uint_eq(egw_arena_spare(sys), 0);
#endif
	egw_arena_reset(sys);
	ck_assert_uint_eq(egw_arena_mapped(sys), 0);
	ck_assert_uint_le(egw_arena_reserved(sys), 70000);
	unsigned char *p = egw_alloc(sys, 64);
	for (int j = 0; j < 64; j++)
		ck_assert(p[j] == 0);
	free(ps);
	egw_arena_free(sib);
	egw_arena_free(sys);
	egw_arena_free(host);
	ck_assert_uint_eq(cnt.mallocs, cnt.frees);
}
END_TEST

/* A store of huge blocks outlives arenas: one freed gives its blocks to
 * the store, up to as many as one arena ever held at once, and the next
 * takes them (dirty: egw_alloc must still hand out zeroes) before mapping
 * new ones.  Arenas with a host allocator and child arenas never use it. */
static size_t fill(egw_arena *a, int pieces, unsigned char v)
{
	for (int i = 0; i < pieces; i++) {
		unsigned char *p = egw_alloc(a, 4000);
		for (int j = 0; j < 4000; j += 997)
			ck_assert_msg(p[j] == 0, "memory not zeroed");
		memset(p, v, 4000);
	}
	return egw_arena_mapped(a) / ((size_t)2 << 20);
}

START_TEST(blocks_kept_between_arenas)
{
	egw_blocks *s = egw_blocks_new();
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(egw_blocks_kept(s), 0);
	egw_arena *a = egw_arena_new(NULL);
	egw_arena_use_blocks(a, s);
	size_t held = fill(a, 6000, 0xA1); /* about 23 MiB */
	egw_arena_free(a);
#if !defined(__linux__) || defined(EGW_DEBUG_POOL)
	ck_assert_uint_eq(held, 0);
#else
	ck_assert_uint_gt(held, 0);
	ck_assert_uint_eq(egw_blocks_kept(s), held);
	/* the next arena takes them first: fewer kept, none new mapped */
	egw_arena *b = egw_arena_new(NULL);
	egw_arena_use_blocks(b, s);
	size_t held_b = fill(b, 3000, 0xB2);
	ck_assert_uint_gt(held_b, 0);
	ck_assert_uint_eq(egw_blocks_kept(s), held - held_b);
	/* two at once, then both freed: the store keeps at most what one
	 * arena held at once, the rest goes back to the system */
	egw_arena *c = egw_arena_new(NULL);
	egw_arena_use_blocks(c, s);
	size_t held_c = fill(c, 6000, 0xC3);
	ck_assert_uint_eq(egw_blocks_kept(s), 0);
	egw_arena_free(b);
	egw_arena_free(c);
	ck_assert_uint_le(egw_blocks_kept(s), (held_c > held ? held_c : held));
	ck_assert_uint_ge(egw_blocks_kept(s), held_c);
	/* trimming a root gives its spare blocks to the store too */
	egw_arena *d = egw_arena_new(NULL);
	egw_arena_use_blocks(d, s);
	(void)fill(d, 2000, 0xD4);
	egw_child *ch = egw_arena_child(d);
	size_t held_ch = fill(ch->a, 3000, 0xE5);
	ck_assert_uint_gt(held_ch, 0);
	egw_child_free(ch); /* to d's spare list */
	ck_assert_uint_eq(egw_arena_spare(d), held_ch);
	size_t mid = egw_blocks_kept(s);
	egw_arena_trim(d);
	ck_assert_uint_eq(egw_arena_spare(d), 0);
	ck_assert_uint_eq(egw_blocks_kept(s), mid + held_ch);
	egw_arena_free(d);
#endif
	/* a host allocator's arena never maps, so never uses the store */
	counting cnt = { 0, 0 };
	egw_alloc_fns fns = { c_malloc, c_free, &cnt };
	egw_arena *h = egw_arena_new(&fns);
	size_t kept = egw_blocks_kept(s);
	egw_arena_use_blocks(h, s);
	ck_assert_uint_eq(fill(h, 6000, 0xF6), 0);
	ck_assert_uint_eq(egw_blocks_kept(s), kept);
	egw_arena_free(h);
	ck_assert_uint_eq(egw_blocks_kept(s), kept);
	ck_assert_uint_eq(cnt.mallocs, cnt.frees);
	egw_blocks_free(s);
	egw_blocks_free(NULL);
}
END_TEST

/* egw_arena_intern_key remembers the key interned from each address; a
 * buffer whose text changes at the same address, or an arena that was
 * reset, must still get the right key, equal to egw_arena_intern's. */
START_TEST(arena_intern_key_memo)
{
	egw_arena *a = egw_arena_new(NULL);
	char buf[32];
	strcpy(buf, "name");
	const char *k1 = egw_arena_intern_key(a, buf, 4);
	ck_assert_ptr_eq(k1, egw_arena_intern(a, "name", 4));
	ck_assert_ptr_eq(egw_arena_intern_key(a, buf, 4), k1);
	strcpy(buf, "kind"); /* same address, same length, other text */
	const char *k2 = egw_arena_intern_key(a, buf, 4);
	ck_assert_str_eq(k2, "kind");
	ck_assert_ptr_eq(k2, egw_arena_intern(a, "kind", 4));
	ck_assert_ptr_eq(egw_arena_intern_key(a, buf, 3), egw_arena_intern(a, "kin", 3));
	ck_assert_uint_eq(egw_key_len(egw_arena_intern_key(a, buf, 3)), 3);
	/* a literal, many times, among other addresses */
	for (int i = 0; i < 1000; i++) {
		char other[16];
		snprintf(other, sizeof other, "k%d", i);
		ck_assert_str_eq(egw_arena_intern_key(a, other, strlen(other)), other);
		ck_assert_ptr_eq(egw_arena_intern_key(a, "namespace", 9), egw_arena_intern(a, "namespace", 9));
	}
	/* after a reset the old keys are gone; the memo must not hand them out */
	strcpy(buf, "kind");
	ck_assert_ptr_eq(egw_arena_intern_key(a, buf, 4), k2);
	egw_arena_reset(a);
	const char *k3 = egw_arena_intern_key(a, buf, 4);
	ck_assert_ptr_eq(k3, egw_arena_intern(a, "kind", 4));
	ck_assert_str_eq(k3, "kind");
	egw_arena_free(a);
}
END_TEST

/* A child arena goes when its stage frees it, and at the latest with its
 * parent (the way out after an OOM jump); freeing it twice is harmless. */
START_TEST(arena_child_freed_early_or_with_parent)
{
	counting cnt = { 0, 0 };
	egw_alloc_fns fns = { c_malloc, c_free, &cnt };
	egw_arena *a = egw_arena_new(&fns);
	jmp_buf jb;
	egw_arena_set_oom(a, &jb);
	(void)egw_alloc(a, 16); /* the parent's first block */
	size_t base = cnt.mallocs - cnt.frees;
	egw_child *c = egw_arena_child(a);
	size_t created = cnt.mallocs - cnt.frees;
	ck_assert_ptr_nonnull(c->a);
	ck_assert_ptr_eq(egw_arena_get_oom(c->a), &jb);
	for (int i = 0; i < 200; i++)
		(void)egw_alloc(c->a, 1000);
	ck_assert_uint_gt(cnt.mallocs - cnt.frees, created); /* past the child's first block */
	egw_child_free(c);
	ck_assert_ptr_null(c->a);
	/* all of the child's memory, now: what stays is its handle and cleanup
	 * record in the parent (in the parent's block, or two mallocs of their
	 * own with -Ddebug_pool=true) */
	ck_assert_uint_lt(cnt.mallocs - cnt.frees, created);
	ck_assert_uint_le(cnt.mallocs - cnt.frees, base + 2);
	egw_child_free(c);
	egw_child_free(NULL);
	egw_child *kept = egw_arena_child(a);
	(void)egw_alloc(kept->a, 100000);
	egw_arena_free(a); /* takes the child with it */
	ck_assert_uint_eq(cnt.mallocs, cnt.frees);
}
END_TEST

/* Lookups compare length and the first four bytes before the key: keys
 * that share them, or are shorter than four bytes, still find their own
 * member, in small objects (scanned) and large ones (hashed). */
START_TEST(lookup_shared_prefixes)
{
	static const char *const keys[] = { "name", "namespace", "names", "nam", "n", "", "na",
					    "nameX", "namespaceS", "x" };
	for (int big = 0; big < 2; big++) {
		egw_node *o = egw_obj(A);
		if (big)
			for (int i = 0; i < 20; i++) {
				char k[8];
				snprintf(k, sizeof k, "pad%d", i);
				egw_set_int(A, o, k, i);
			}
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			egw_set_int(A, o, keys[i], (int64_t)i);
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			egw_node *v = egw_get(o, keys[i]);
			ck_assert_msg(v && egw_vint(v) == (int64_t)i, "key \"%s\" (%s object)", keys[i],
				      big ? "hashed" : "scanned");
		}
		ck_assert_ptr_null(egw_get(o, "namespac"));
		ck_assert_ptr_null(egw_get(o, "nameY"));
		ck_assert_ptr_eq(egw_getn(o, "name", 3), egw_get(o, "nam"));
		/* a member given a new key is found under it, not the old one */
		egw_member *m = &o->c.members[o->n - 1]; /* "x" */
		egw_member_rekey(m, egw_arena_intern(A, "y", 1));
		egw_obj_drop_index(o); /* as egw_member_rekey's callers do */
		ck_assert_ptr_nonnull(egw_get(o, "y"));
		ck_assert_ptr_null(egw_get(o, "x"));
	}
}
END_TEST

/* The key filter (egw_node.keys) lets a lookup miss without reading the
 * members; it must never make one miss that would have hit.  Every lookup
 * of many keys, present and absent, in objects small and hashed, exact
 * and case-insensitive, agrees with a plain scan of the members, also
 * after keys are renamed, removed, or the filter dropped. */
static egw_node *scan_for(const egw_node *o, const char *k, bool ci)
{
	for (size_t i = 0; i < o->n; i++)
		if (ci ? !strcasecmp(o->c.members[i].key, k) : !strcmp(o->c.members[i].key, k))
			return o->c.members[i].val;
	return NULL;
}

static void check_lookups(const egw_node *o, int nkeys)
{
	for (int i = 0; i < nkeys; i++) {
		char k[24], up[24];
		snprintf(k, sizeof k, i % 3 ? "field%dName" : "f%d", i);
		for (size_t j = 0; j <= strlen(k); j++)
			up[j] = (char)toupper((unsigned char)k[j]);
		egw_node *want = scan_for(o, k, false);
		ck_assert_msg(egw_get(o, k) == want, "exact \"%s\"", k);
		ck_assert_msg(egw_get(o, up) == scan_for(o, up, false), "exact \"%s\"", up);
		if (o->flags & EGW_NF_INPUT_KEYS) {
			ck_assert_msg(egw_get_ci(o, up) == scan_for(o, up, true), "folded \"%s\"", up);
			ck_assert_msg(egw_get_ci(o, k) == scan_for(o, k, true), "folded \"%s\"", k);
		}
	}
}

START_TEST(key_filter_never_hides_a_key)
{
	for (int size = 1; size <= 40; size += 13) {
		egw_node *o = egw_obj(A), *in = egw_obj(A);
		in->flags |= EGW_NF_INPUT_KEYS;
		for (int i = 0; i < 200; i += 5) {
			if (i / 5 >= size)
				break;
			char k[24];
			snprintf(k, sizeof k, i % 3 ? "field%dName" : "f%d", i);
			egw_set_int(A, o, k, i);
			/* input objects may spell a key in another case */
			if (i % 2)
				for (char *c = k; *c; c++)
					*c = (char)toupper((unsigned char)*c);
			egw_set_int(A, in, k, i);
		}
		check_lookups(o, 200);
		check_lookups(in, 200);
		ck_assert_uint_ne(o->keys, 0);
		/* renamed: found under the new key only */
		egw_obj_rekey(o, 0, egw_arena_intern(A, "renamedKey", 10));
		ck_assert_ptr_nonnull(egw_get(o, "renamedKey"));
		check_lookups(o, 200);
		/* removed: a miss, the rest still found */
		ck_assert_ptr_nonnull(egw_obj_del(o, "renamedKey"));
		ck_assert_ptr_null(egw_get(o, "renamedKey"));
		check_lookups(o, 200);
		/* a member renamed in place, with the filter dropped as told */
		egw_member_rekey(&in->c.members[0], egw_arena_intern(A, "zz", 2));
		egw_obj_drop_index(in);
		ck_assert_ptr_nonnull(egw_get(in, "zz"));
		ck_assert_ptr_nonnull(egw_get_ci(in, "ZZ"));
		check_lookups(in, 200);
		/* a copy has the filter of the keys it copied */
		egw_node *c = egw_clone(A, in);
		ck_assert(c->flags & EGW_NF_INPUT_KEYS);
		check_lookups(c, 200);
	}
}
END_TEST

/* egw_reserve makes room once: the appends after it move nothing. */
START_TEST(reserve_room)
{
	egw_node *o = egw_reserve(A, egw_obj(A), 5);
	ck_assert_uint_eq(o->cap, 5);
	egw_set_str(A, o, "a", "1");
	egw_member *first = o->c.members;
	for (int i = 0; i < 4; i++) {
		char k[4] = { 'b', (char)('0' + i), 0 };
		egw_set_int(A, o, k, i);
	}
	ck_assert_ptr_eq(o->c.members, first);
	ck_assert_uint_eq(egw_len(o), 5);
	ck_assert_str_eq(egw_get_str(o, "a", ""), "1");
	egw_node *arr = egw_reserve(A, egw_arr(A), 3);
	egw_arr_push(A, arr, egw_int(A, 1));
	egw_node **items = arr->c.items;
	egw_arr_push(A, arr, egw_int(A, 2));
	egw_arr_push(A, arr, egw_int(A, 3));
	ck_assert_ptr_eq(arr->c.items, items);
	egw_arr_push(A, arr, egw_int(A, 4)); /* past the room: grows as usual */
	ck_assert_uint_eq(egw_len(arr), 4);
	ck_assert(egw_vint(egw_at(arr, 3)) == 4);
	/* never shrinks, and ignores scalars and NULL */
	ck_assert_uint_eq(egw_reserve(A, arr, 1)->cap, arr->cap);
	egw_node *sc = egw_nstr(A, "x");
	ck_assert_ptr_eq(egw_reserve(A, sc, 10), sc);
	ck_assert_uint_eq(sc->len, 1);
	ck_assert_ptr_null(egw_reserve(A, NULL, 3));
}
END_TEST

/* Calendar arithmetic: known days, and the round trip over four centuries. */
START_TEST(civil_days)
{
	ck_assert_int_eq(egw_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(egw_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(egw_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(egw_days_from_civil(2036, 11, 24), 24434); /* 2111132653 / 86400 */
	for (int64_t day = -146097; day <= 146097; day += 7) {
		int64_t y;
		unsigned m, d;
		egw_civil_from_days(day, &y, &m, &d);
		ck_assert(m >= 1 && m <= 12 && d >= 1 && d <= 31);
		ck_assert_int_eq(egw_days_from_civil(y, m, d), day);
	}
	unsigned v;
	ck_assert(egw_digits("2026x", 4, &v) && v == 2026);
	ck_assert(!egw_digits("20a6", 4, &v));
	ck_assert(egw_digits("", 0, &v) && v == 0);
}
END_TEST

/* SHA-256 against FIPS 180-4's examples and a multi-block input (one pad
 * block, two pad blocks, several data blocks). */
START_TEST(sha256_vectors)
{
	ck_assert_str_eq(egw_sha256_hex(A, "", 0),
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_str_eq(egw_sha256_hex(A, "abc", 3),
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *s56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	ck_assert_str_eq(egw_sha256_hex(A, s56, strlen(s56)),
			 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char big[1000];
	memset(big, 'a', sizeof big);
	ck_assert_str_eq(egw_sha256_hex(A, big, sizeof big),
			 "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}
END_TEST

START_TEST(map_basics)
{
	egw_map m;
	egw_map_init(&m, A);
	ck_assert_ptr_null(egw_map_get(&m, "x"));
	ck_assert(!egw_map_has(&m, "x"));
	static int vals[3000];
	char k[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(k, sizeof k, "ns/name-%d", i);
		ck_assert_ptr_null(egw_map_put(&m, k, &vals[i]));
	}
	ck_assert_uint_eq(m.n, 3000);
	for (int i = 0; i < 3000; i++) {
		snprintf(k, sizeof k, "ns/name-%d", i);
		ck_assert_ptr_eq(egw_map_get(&m, k), &vals[i]);
		ck_assert(egw_map_has(&m, k));
	}
	ck_assert_ptr_null(egw_map_get(&m, "ns/name-3000"));
	ck_assert_ptr_eq(egw_map_put(&m, "ns/name-7", &vals[0]), &vals[7]);
	ck_assert_ptr_eq(egw_map_get(&m, "ns/name-7"), &vals[0]);
	ck_assert_uint_eq(m.n, 3000);
	ck_assert_ptr_eq(egw_map_getn(&m, "ns/name-12xyz", 10), &vals[12]);
	egw_map_entry *e;
	EGW_MAP_EACH(&m, i, e)
	{
		snprintf(k, sizeof k, "ns/name-%zu", i);
		ck_assert_str_eq(e->key, k);
	}
	/* put copies the key; put_ref keeps the caller's (arena) text */
	ck_assert_ptr_ne(m.entries[0].key, k);
	const char *kept = egw_strdup(A, "ns/kept");
	ck_assert_ptr_null(egw_map_put_ref(&m, kept, &vals[1]));
	ck_assert_ptr_eq(m.entries[m.n - 1].key, kept);
	ck_assert_ptr_eq(egw_map_get(&m, "ns/kept"), &vals[1]);
	ck_assert_ptr_eq(egw_map_put_ref(&m, kept, &vals[2]), &vals[1]); /* replaces */
	ck_assert_uint_eq(m.n, 3001);
}
END_TEST

START_TEST(buf_basics)
{
	egw_buf b;
	egw_buf_init(&b, A);
	ck_assert_str_eq(egw_buf_str(&b), "");
	egw_buf_puts(&b, "ab");
	egw_buf_putc(&b, 'c');
	egw_buf_put(&b, "d\0e", 3);
	ck_assert_uint_eq(b.len, 6);
	ck_assert(memcmp(b.data, "abcd\0e", 7) == 0);
	char big[3000];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = 0;
	egw_buf_printf(&b, "[%s]%d", big, 5);
	ck_assert_uint_eq(b.len, 6 + 2999 + 3);
	ck_assert_uint_eq(strlen(b.data + 6), 2999 + 3);
	ck_assert(b.data[b.len] == 0);
	egw_buf_printf(&b, "%d", 12);
	ck_assert_str_eq(b.data + b.len - 4, "]512");
}
END_TEST

static Suite *node_suite(void)
{
	Suite *s = suite_create("node");
	TCase *t = tcase_create("construct");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, scalars_keep_text_and_value);
	tcase_add_test(t, strings_copy_or_reference);
	tcase_add_test(t, arrays_grow_and_index);
	tcase_add_test(t, each_evaluates_container_once);
	suite_add_tcase(s, t);

	t = tcase_create("lookup");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, lookup_small_object);
	tcase_add_test(t, path_lookup);
	tcase_add_test(t, hash_index_past_twelve_members);
	tcase_add_test(t, replace_in_place_keeps_order);
	tcase_add_test(t, delete_members);
	tcase_add_test(t, clone_is_deep);
	tcase_add_test(t, unshare_copies_second_places);
	tcase_add_test(t, freeze_clone_rekey);
	tcase_add_test(t, sort_members);
	suite_add_tcase(s, t);

	t = tcase_create("compare");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, equality_rules);
	tcase_add_test(t, empty_rules);
	tcase_add_test(t, scalar_accessors);
	suite_add_tcase(s, t);

	t = tcase_create("util");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, arena_allocations);
	tcase_add_test(t, arena_realloc_grows_last_in_place);
	tcase_add_test(t, arena_oom_jumps);
	tcase_add_test(t, int_text);
	tcase_add_test(t, sprintf_matches_snprintf);
	tcase_add_test(t, arena_sibling_and_reset);
	tcase_add_test(t, arena_huge_blocks);
	tcase_add_test(t, blocks_kept_between_arenas);
	tcase_add_test(t, arena_outgrown_room_reused);
	tcase_add_test(t, arena_intern_key_memo);
	tcase_add_test(t, arena_child_freed_early_or_with_parent);
	tcase_add_test(t, reserve_room);
	tcase_add_test(t, key_filter_never_hides_a_key);
	tcase_add_test(t, lookup_shared_prefixes);
	tcase_add_test(t, civil_days);
	tcase_add_test(t, sha256_vectors);
	tcase_add_test(t, map_basics);
	tcase_add_test(t, buf_basics);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_run(node_suite(), NULL);
}
