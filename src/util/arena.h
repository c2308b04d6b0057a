/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arena: every allocation of one translation lives here and is released by
 * one egw_arena_free.  There is no per-object free.  Allocation never returns
 * NULL to its caller: on failure the arena longjmps to the recovery point set
 * by the public entry point (egw_translate), which frees the whole arena and
 * returns EGW_ENOMEM.  Code below the API therefore never checks for NULL and
 * must not hold resources outside the arena across an allocation, unless it
 * registers a cleanup with egw_arena_defer (which runs on free, in reverse).
 *
 * Build with -Degw_debug_pool=true and each allocation is a real malloc, so
 * ASan and valgrind see overruns (libgit2's DEBUG_POOL idea).
 */
#ifndef EGW_UTIL_ARENA_H
#define EGW_UTIL_ARENA_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct egw_arena egw_arena;

typedef struct egw_alloc_fns {
	void *(*malloc)(size_t size, void *ud);
	void (*free)(void *ptr, void *ud);
	void *ud;
} egw_alloc_fns;

/* Creates an arena; fns may be NULL (system malloc).  Returns NULL when the
 * first block cannot be allocated (the only NULL return in the arena API). */
egw_arena *egw_arena_new(const egw_alloc_fns *fns);
void egw_arena_free(egw_arena *a);
/* A second arena with a's allocator and OOM point, for work whose memory
 * can go before a's does.  NULL when its first block cannot be allocated. */
egw_arena *egw_arena_new_sibling(const egw_arena *a);

/* A sibling of a whose memory goes before a's: the stage that made it calls
 * egw_child_free when done; a frees it otherwise (on every way out, OOM
 * jumps included).  Never NULL: failing to make it jumps to a's OOM point. */
typedef struct egw_child {
	egw_arena *a; /* NULL once freed */
} egw_child;
egw_child *egw_arena_child(egw_arena *a);
void egw_child_free(egw_child *c); /* idempotent */

/* Gives back the huge blocks a (a root arena) keeps for its children to
 * reuse (see arena.c), to its store if it has one, else to the system;
 * egw_arena_free does it too.  Call it when the memory-hungry work is over
 * and the arena lives on. */
void egw_arena_trim(egw_arena *a);

/* A store of huge blocks that outlives arenas: a root arena given one
 * (egw_arena_use_blocks) takes its huge blocks from it before mapping new
 * ones, and gives them back to it, up to as many as one such arena ever
 * held at once, instead of to the system.  Memory the kernel has already
 * zeroed and mapped costs no page faults: a host that translates again
 * and again from one egw_documents reuses the last result's blocks.  It
 * is thread-safe; it must outlive every arena that uses it. */
typedef struct egw_blocks egw_blocks;
egw_blocks *egw_blocks_new(void); /* NULL when out of memory */
void egw_blocks_free(egw_blocks *s);
size_t egw_blocks_kept(egw_blocks *s); /* blocks in the store now */
/* Makes root arena a use store s; nothing for a child arena or an arena
 * with a host allocator (huge blocks are the system allocator's). */
void egw_arena_use_blocks(egw_arena *a, egw_blocks *s);
/* Forgets everything allocated in a, keeping its first block for reuse:
 * for an arena of temporaries that a loop empties on each turn.  Runs and
 * drops the deferred cleanups; interned strings are forgotten too. */
void egw_arena_reset(egw_arena *a);

/* Where to jump on allocation failure; NULL means abort().  The jump passes 1. */
void egw_arena_set_oom(egw_arena *a, jmp_buf *jb);
jmp_buf *egw_arena_get_oom(egw_arena *a);
/* Jumps to the OOM point (used when a non-arena allocation fails). */
_Noreturn void egw_arena_oom(egw_arena *a);

void *egw_alloc(egw_arena *a, size_t size);   /* 8-aligned, zeroed */
void *egw_alloc_raw(egw_arena *a, size_t size); /* 8-aligned, not zeroed */
void *egw_realloc(egw_arena *a, void *old, size_t oldsize, size_t newsize);
char *egw_strndup(egw_arena *a, const char *s, size_t n); /* NUL-terminated */
char *egw_strdup(egw_arena *a, const char *s);
char *egw_sprintf(egw_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Writes u's decimal digits at out (room for 20, no NUL); returns how many. */
size_t egw_udec(char *out, unsigned long long u);

/* Returns the arena's single copy of s[0..n) (NUL-terminated): object keys
 * repeat endlessly ("name", "metadata", ...), so they are stored once.
 * (Texts longer than 64 bytes are copied each time.)  The eight bytes
 * before an interned text hold its length and its first four bytes
 * (zero-padded), which is all an object member keeps of its key besides
 * the pointer: see egw_key_len and egw_key_lenpre. */
const char *egw_arena_intern(egw_arena *a, const char *s, size_t n);

/* egw_arena_intern for the keys code sets: the same few texts, mostly
 * string literals, from the same addresses again and again.  A memo by
 * address answers most calls without hashing (the text is still compared,
 * so any address is fine). */
const char *egw_arena_intern_key(egw_arena *a, const char *s, size_t n);
/* The first four bytes of k[0..n), zero-padded, as a number. */
static inline uint32_t egw_key_prefix(const char *k, size_t n)
{
	uint32_t p = 0;
	if (n >= 4)
		memcpy(&p, k, 4);
	else
		for (size_t i = 0; i < n; i++)
			((unsigned char *)&p)[i] = (unsigned char)k[i];
	return p;
}

/* Length of an interned text (egw_arena_intern). */
static inline uint32_t egw_key_len(const char *k)
{
	uint32_t n;
	memcpy(&n, k - 8, sizeof n);
	return n;
}

/* Length and prefix of an interned text as one word: the low half is the
 * length, the high half the prefix (on little- and big-endian alike, as
 * egw_key_word makes them). */
static inline uint64_t egw_key_lenpre(const char *k)
{
	uint64_t w;
	memcpy(&w, k - 8, sizeof w);
	return w;
}

/* The word egw_key_lenpre reads for a text k[0..n). */
static inline uint64_t egw_key_word(const char *k, size_t n)
{
	uint32_t h[2] = { (uint32_t)n, egw_key_prefix(k, n) };
	uint64_t w;
	memcpy(&w, h, sizeof w);
	return w;
}

/* Whether interned text k is s[0..n), given want = egw_key_word(s, n):
 * the length-and-prefix word settles most compares without reading the
 * texts. */
static inline bool egw_key_eq(const char *k, const char *s, size_t n, uint64_t want)
{
	return egw_key_lenpre(k) == want && (n <= 4 || memcmp(k + 4, s + 4, n - 4) == 0);
}
/* Runs fn(ptr) when the arena is freed (also after an OOM jump). */
void egw_arena_defer(egw_arena *a, void (*fn)(void *), void *ptr);

/* Bytes handed out and bytes reserved from the allocator (for benchmarks). */
size_t egw_arena_used(const egw_arena *a);
size_t egw_arena_reserved(const egw_arena *a);
/* Of those, the bytes in huge-page blocks mapped by the arena itself (with
 * the system allocator, on Linux, once an arena is large; see arena.c). */
size_t egw_arena_mapped(const egw_arena *a);
/* Huge blocks a keeps for its children (egw_arena_trim gives them back). */
size_t egw_arena_spare(const egw_arena *a);

#define EGW_NEW(a, T) ((T *)egw_alloc((a), sizeof(T)))
#define EGW_NEWN(a, T, n) ((T *)egw_alloc((a), sizeof(T) * (size_t)(n)))

#endif
