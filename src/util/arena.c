/* SPDX-License-Identifier: Apache-2.0 */
#include "arena.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#if defined(EGW_DEBUG_POOL) && defined(__SANITIZE_ADDRESS__)
#define EGW_ASAN 1
#elif defined(EGW_DEBUG_POOL) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EGW_ASAN 1
#endif
#endif
#ifdef EGW_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include <pthread.h>

#if defined(__linux__) && !defined(EGW_DEBUG_POOL)
#include <stdint.h>
#include <sys/mman.h>
#ifdef MADV_HUGEPAGE
#define HUGE_BLOCKS 1
#endif
#endif

#define BLOCK_MIN (64 * 1024)
/* A large translation's blocks with the system allocator: 2 MiB, aligned,
 * from mmap, with transparent huge pages asked for (MADV_HUGEPAGE).  Every
 * translation writes fresh memory, and with 4 KiB pages a first-touch fault
 * every 4 KiB was a tenth to a fifth of its time; a huge page is one fault.
 * Only arenas that already hold HUGE_AFTER bytes get them, so small
 * translations keep small blocks. */
#define HUGE_BLOCK ((size_t)2 << 20)
#define HUGE_AFTER ((size_t)4 << 20)
/* Huge blocks a freed or reset arena gives back are kept by the arena at
 * the root of its children (up to SPARE_MAX of them) for the next child
 * to take: a translation frees one fleet's xDS trees and builds the next
 * fleet's, and memory already written needs no fault and no zeroing by the
 * kernel.  egw_arena_trim hands them back to the system. */
#define SPARE_MAX 64
#define KMEMO_BITS 7
#define KMEMO (1 << KMEMO_BITS) /* egw_arena_intern_key's slots */
#define ALIGN 8 /* nothing in the arena needs more than pointer alignment */
#define FREE_MIN 16
#define FREE_CLASSES 8 /* 16 to 2048 bytes */

typedef struct block {
	struct block *next;
	size_t size, used;
	bool mapped; /* a HUGE_BLOCK from mmap, not from the allocator */
	/* data follows, aligned */
} block;

typedef struct deferred {
	struct deferred *next;
	void (*fn)(void *);
	void *ptr;
} deferred;

typedef struct interned {
	const char *s;
	size_t n;
} interned;

struct egw_arena {
	egw_alloc_fns fns;
	interned *strs; /* open addressing; capacity strs_mask + 1 */
	size_t strs_mask, strs_n;
	block *head;
	deferred *defers;
	jmp_buf *oom;
	size_t used, reserved, mapped;
	/* where huge blocks go when freed and come from first: the arena
	 * itself, or for a child the root arena of its parent */
	egw_arena *root;
	block *spare;
	size_t nspare;
	bool dying; /* in egw_arena_free: its own blocks are not kept */
	/* a root's store of huge blocks kept between translations (NULL:
	 * blocks it does not keep go back to the system), and how many huge
	 * blocks it and its children hold now and held at most */
	egw_blocks *store;
	size_t huge_live, huge_peak;
	/* egw_arena_intern_key's memo: the interned copy of the text last
	 * interned from each address, by address (KMEMO slots, in the arena,
	 * made on first use: the arena's own struct stays small) */
	struct kmemo_slot *kmemo;
	/* Room that arrays grew out of (egw_realloc moved them), by size
	 * class FREE_MIN << k: the next array that grows to exactly that
	 * size takes it.  Containers grow by doubling, so the sizes given up
	 * are the sizes asked for next.  Plain allocations never look here,
	 * which keeps them as cheap as before. */
	void *freel[FREE_CLASSES];
};

struct kmemo_slot {
	const char *at, *key;
};

/* Huge blocks that root arenas gave back, for the next ones (see arena.h).
 * Guarded: translations from one egw_documents may run at once. */
struct egw_blocks {
	pthread_mutex_t lock;
	block *head;
	size_t n;
	size_t cap; /* the most huge blocks one root arena held at once */
};

egw_blocks *egw_blocks_new(void)
{
	egw_blocks *s = calloc(1, sizeof *s);
	if (s && pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		s = NULL;
	}
	return s;
}

void egw_blocks_free(egw_blocks *s)
{
	if (!s)
		return;
#ifdef HUGE_BLOCKS
	for (block *b = s->head, *n; b; b = n) {
		n = b->next;
		munmap(b, HUGE_BLOCK);
	}
#endif
	pthread_mutex_destroy(&s->lock);
	free(s);
}

size_t egw_blocks_kept(egw_blocks *s)
{
	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	size_t n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void *sys_malloc(size_t n, void *ud) { (void)ud; return malloc(n); }
static void sys_free(void *p, void *ud) { (void)ud; free(p); }

#define HDR (((sizeof(block)) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

#ifdef HUGE_BLOCKS
/* HUGE_BLOCK bytes at a HUGE_BLOCK boundary (a huge page needs one), or
 * NULL: twice that is mapped and the ends beyond the boundary unmapped. */
static block *map_huge(void)
{
	size_t len = 2 * HUGE_BLOCK;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	char *al = (char *)(((uintptr_t)p + HUGE_BLOCK - 1) & ~(uintptr_t)(HUGE_BLOCK - 1));
	if (al != p)
		munmap(p, (size_t)(al - p));
	if (al + HUGE_BLOCK != p + len)
		munmap(al + HUGE_BLOCK, (size_t)(p + len - (al + HUGE_BLOCK)));
	(void)madvise(al, HUGE_BLOCK, MADV_HUGEPAGE); /* a hint: without it, small pages */
	return (block *)al;
}
#endif

#ifdef HUGE_BLOCKS
/* A huge block root r no longer needs: to its store while that keeps fewer
 * than r ever held at once (so a store never outgrows one translation),
 * else to the system. */
static void give_back(egw_arena *r, block *b)
{
	egw_blocks *s = r->store;
	if (s) {
		pthread_mutex_lock(&s->lock);
		if (s->cap < r->huge_peak)
			s->cap = r->huge_peak;
		bool keep = s->n < s->cap;
		if (keep) {
			b->next = s->head;
			s->head = b;
			s->n++;
		}
		pthread_mutex_unlock(&s->lock);
		if (keep)
			return;
	}
	munmap(b, HUGE_BLOCK);
}

/* A huge block from root r's store, or NULL. */
static block *take_kept(egw_arena *r)
{
	egw_blocks *s = r->store;
	if (!s)
		return NULL;
	pthread_mutex_lock(&s->lock);
	block *b = s->head;
	if (b) {
		s->head = b->next;
		s->n--;
	}
	pthread_mutex_unlock(&s->lock);
	return b;
}
#endif

static void free_block(egw_arena *a, block *b)
{
#ifdef HUGE_BLOCKS
	if (b->mapped) {
		egw_arena *r = a->root;
		r->huge_live--;
		if (!r->dying && r->nspare < SPARE_MAX) {
			b->next = r->spare;
			r->spare = b;
			r->nspare++;
		} else {
			give_back(r, b);
		}
		return;
	}
#endif
	a->fns.free(b, a->fns.ud);
}

void egw_arena_trim(egw_arena *a)
{
	while (a->spare) {
		block *b = a->spare;
		a->spare = b->next;
#ifdef HUGE_BLOCKS
		give_back(a, b);
#endif
	}
	a->nspare = 0;
}

void egw_arena_use_blocks(egw_arena *a, egw_blocks *s)
{
	if (a->root == a && a->fns.malloc == sys_malloc)
		a->store = s;
}

static block *new_block(egw_arena *a, size_t need)
{
	size_t size = need > BLOCK_MIN ? need : BLOCK_MIN;
#ifdef EGW_DEBUG_POOL
	size = need;
#endif
	block *b = NULL;
	bool mapped = false;
#ifdef HUGE_BLOCKS
	/* a kept block whenever one fits (it costs nothing more); a new one
	 * only for an arena already large */
	if (a->fns.malloc == sys_malloc && HDR + size <= HUGE_BLOCK &&
	    (a->root->spare || a->reserved >= HUGE_AFTER)) {
		egw_arena *r = a->root;
		if (r->spare) {
			b = r->spare;
			r->spare = b->next;
			r->nspare--;
		} else if (!(b = take_kept(r))) {
			b = map_huge(); /* on failure, the allocator's ordinary block */
		}
		if (b) {
			mapped = true;
			size = HUGE_BLOCK - HDR;
			if (++r->huge_live > r->huge_peak)
				r->huge_peak = r->huge_live;
		}
	}
#endif
	if (!b)
		b = a->fns.malloc(HDR + size, a->fns.ud);
	if (!b)
		return NULL;
	b->size = size;
	b->used = 0;
	b->mapped = mapped;
	b->next = a->head;
	a->head = b;
	a->reserved += HDR + size;
	if (mapped)
		a->mapped += HDR + size;
	return b;
}

egw_arena *egw_arena_new(const egw_alloc_fns *fns)
{
	egw_alloc_fns f = { sys_malloc, sys_free, NULL };
	if (fns && fns->malloc && fns->free)
		f = *fns;
	egw_arena *a = f.malloc(sizeof *a, f.ud);
	if (!a)
		return NULL;
	memset(a, 0, sizeof *a);
	a->fns = f;
	a->root = a;
	return a;
}

egw_arena *egw_arena_new_sibling(const egw_arena *a)
{
	egw_arena *s = egw_arena_new(&a->fns);
	if (s)
		s->oom = a->oom;
	return s;
}

static void child_free(void *p)
{
	egw_child *c = p;
	if (c->a)
		egw_arena_free(c->a);
	c->a = NULL;
}

egw_child *egw_arena_child(egw_arena *a)
{
	egw_child *c = egw_alloc(a, sizeof *c);
	egw_arena_defer(a, child_free, c);
	c->a = egw_arena_new_sibling(a);
	if (!c->a)
		egw_arena_oom(a);
	c->a->root = a->root; /* freed before a's root: its huge blocks go there */
	return c;
}

void egw_child_free(egw_child *c)
{
	if (c)
		child_free(c);
}

void egw_arena_reset(egw_arena *a)
{
	for (deferred *d = a->defers; d; d = d->next)
		d->fn(d->ptr);
	a->defers = NULL;
	a->strs = NULL;
	a->strs_mask = a->strs_n = 0;
	a->kmemo = NULL; /* it was in the blocks just emptied */
	memset(a->freel, 0, sizeof a->freel);
	block *keep = NULL;
	for (block *b = a->head; b;) {
		block *n = b->next;
		if (!n && b->size == BLOCK_MIN && !b->mapped) {
			keep = b; /* the oldest block, if it is an ordinary one */
		} else {
			a->reserved -= HDR + b->size;
			if (b->mapped)
				a->mapped -= HDR + b->size;
			free_block(a, b);
		}
		b = n;
	}
	if (keep)
		keep->used = 0;
	a->head = keep;
	a->used = 0;
}

void egw_arena_free(egw_arena *a)
{
	if (!a)
		return;
	for (deferred *d = a->defers; d; d = d->next)
		d->fn(d->ptr); /* children first: their huge blocks come back here */
	if (a->root == a)
		a->dying = true;
	block *b = a->head;
	while (b) {
		block *n = b->next;
		free_block(a, b);
		b = n;
	}
	if (a->root == a)
		egw_arena_trim(a);
	egw_alloc_fns f = a->fns;
	f.free(a, f.ud);
}

void egw_arena_set_oom(egw_arena *a, jmp_buf *jb) { a->oom = jb; }
jmp_buf *egw_arena_get_oom(egw_arena *a) { return a->oom; }

_Noreturn void egw_arena_oom(egw_arena *a)
{
	if (a->oom)
		longjmp(*a->oom, 1);
	abort();
}

/* The size class of an allocation of size bytes, or -1 when it has none
 * (only powers of two from FREE_MIN to FREE_MIN << (FREE_CLASSES - 1)). */
static inline int free_class(size_t size)
{
	if (size < FREE_MIN || size > (size_t)FREE_MIN << (FREE_CLASSES - 1) || (size & (size - 1)))
		return -1;
	return __builtin_ctzll((unsigned long long)size) - __builtin_ctz(FREE_MIN);
}

static inline __attribute__((always_inline)) void *alloc_raw(egw_arena *a, size_t size)
{
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (size == 0)
		size = ALIGN;
	block *b = a->head;
#ifdef EGW_DEBUG_POOL
	b = NULL;
#endif
	if (!b || b->size - b->used < size) {
		if (size > BLOCK_MIN / 4 && b) {
			/* Large object: own block, keep filling the current one. */
			block *big = a->fns.malloc(HDR + size, a->fns.ud);
			if (!big)
				egw_arena_oom(a);
			big->size = size;
			big->used = size;
			big->mapped = false;
			big->next = b->next;
			b->next = big;
			a->reserved += HDR + size;
			a->used += size;
			return (char *)big + HDR;
		}
		b = new_block(a, size);
		if (!b)
			egw_arena_oom(a);
	}
	void *p = (char *)b + HDR + b->used;
	b->used += size;
	a->used += size;
	return p;
}

void *egw_alloc_raw(egw_arena *a, size_t size) { return alloc_raw(a, size); }

void *egw_alloc(egw_arena *a, size_t size)
{
	void *p = alloc_raw(a, size);
	memset(p, 0, size);
	return p;
}

void *egw_realloc(egw_arena *a, void *old, size_t oldsize, size_t newsize)
{
	if (newsize <= oldsize && old)
		return old;
#ifdef EGW_DEBUG_POOL
	void *p = egw_alloc_raw(a, newsize);
	if (old && oldsize) {
		memcpy(p, old, oldsize);
#ifdef EGW_ASAN
		/* nothing may read the old place again (the other builds give it
		 * to the next array that grows to its size): this build proves it */
		ASAN_POISON_MEMORY_REGION(old, oldsize);
#endif
	}
	return p;
#else
	/* The block's last allocation grows where it is when there is room:
	 * an array filled without allocations in between leaves no copies. */
	block *b = a->head;
	size_t was = (oldsize + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	size_t want = (newsize + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (old && b && (char *)old + was == (char *)b + HDR + b->used && b->size - b->used >= want - was) {
		b->used += want - was;
		a->used += want - was;
		return old;
	}
	/* else room an array outgrew earlier, or new room */
	void *p = NULL;
	int k = free_class(want);
	if (k >= 0 && a->freel[k]) {
		p = a->freel[k];
		memcpy(&a->freel[k], p, sizeof(void *));
	} else {
		p = alloc_raw(a, newsize);
	}
	if (old && oldsize) {
		memcpy(p, old, oldsize);
		k = free_class(oldsize);
		if (k >= 0) {
			memcpy(old, &a->freel[k], sizeof(void *));
			a->freel[k] = old;
		}
	}
	return p;
#endif
}

char *egw_strndup(egw_arena *a, const char *s, size_t n)
{
	char *p = egw_alloc_raw(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *egw_strdup(egw_arena *a, const char *s)
{
	return egw_strndup(a, s, strlen(s));
}

size_t egw_udec(char *out, unsigned long long u)
{
	char d[20];
	size_t n = 0;
	do {
		d[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (size_t i = 0; i < n; i++)
		out[i] = d[n - 1 - i];
	return n;
}

/* Appends the decimal digits of u (negative when neg) at out[*k]. */
static bool put_dec(char *out, size_t cap, size_t *k, unsigned long long u, bool neg)
{
	char d[20];
	size_t n = egw_udec(d, u);
	if (*k + n + neg >= cap)
		return false;
	if (neg)
		out[(*k)++] = '-';
	memcpy(out + *k, d, n);
	*k += n;
	return true;
}

static bool put_signed(char *out, size_t cap, size_t *k, long long v)
{
	return put_dec(out, cap, k, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0);
}

/* The conversions the stages' keys and names use (%s %.*s %d %u %ld %lu
 * %lld %llu %zu %%), without vsnprintf's machinery.  Returns the length,
 * or -1 for anything else (flags, widths, floats, a NULL string) or output
 * that does not fit: vsnprintf then does it all. */
static int fast_format(char *out, size_t cap, const char *fmt, va_list ap)
{
	size_t k = 0;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			if (k + 1 >= cap)
				return -1;
			out[k++] = *f;
			continue;
		}
		f++;
		if (*f == '%') {
			if (k + 1 >= cap)
				return -1;
			out[k++] = '%';
		} else if (*f == 's' || (f[0] == '.' && f[1] == '*' && f[2] == 's')) {
			size_t lim = (size_t)-1;
			if (*f == '.') {
				int prec = va_arg(ap, int);
				if (prec < 0)
					return -1;
				lim = (size_t)prec;
				f += 2;
			}
			const char *str = va_arg(ap, const char *);
			if (!str)
				return -1;
			for (size_t i = 0; i < lim && str[i]; i++) {
				if (k + 1 >= cap)
					return -1;
				out[k++] = str[i];
			}
		} else if (*f == 'd') {
			if (!put_signed(out, cap, &k, va_arg(ap, int)))
				return -1;
		} else if (*f == 'u') {
			if (!put_dec(out, cap, &k, va_arg(ap, unsigned), false))
				return -1;
		} else if (f[0] == 'z' && f[1] == 'u') {
			f++;
			if (!put_dec(out, cap, &k, va_arg(ap, size_t), false))
				return -1;
		} else if (f[0] == 'l' && (f[1] == 'd' || f[1] == 'u')) {
			f++;
			if (*f == 'd' ? !put_signed(out, cap, &k, va_arg(ap, long))
				      : !put_dec(out, cap, &k, va_arg(ap, unsigned long), false))
				return -1;
		} else if (f[0] == 'l' && f[1] == 'l' && (f[2] == 'd' || f[2] == 'u')) {
			f += 2;
			if (*f == 'd' ? !put_signed(out, cap, &k, va_arg(ap, long long))
				      : !put_dec(out, cap, &k, va_arg(ap, unsigned long long), false))
				return -1;
		} else {
			return -1;
		}
	}
	out[k] = 0;
	return (int)k;
}

char *egw_sprintf(egw_arena *a, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = fast_format(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_start(ap, fmt);
		n = vsnprintf(small, sizeof small, fmt, ap);
		va_end(ap);
	}
	if (n < 0)
		n = 0;
	char *p = egw_alloc_raw(a, (size_t)n + 1);
	if ((size_t)n < sizeof small) {
		memcpy(p, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return p;
}

static size_t str_hash(const char *s, size_t n)
{
	return (size_t)egw_hash(s, n);
}

/* A text with its length and prefix in front (egw_key_lenpre). */
static const char *key_copy(egw_arena *a, const char *s, size_t n)
{
	char *p = egw_alloc_raw(a, 8 + n + 1);
	uint64_t w = egw_key_word(s, n);
	memcpy(p, &w, sizeof w);
	memcpy(p + 8, s, n);
	p[8 + n] = 0;
	return p + 8;
}

const char *egw_arena_intern(egw_arena *a, const char *s, size_t n)
{
	if (n > UINT32_MAX)
		egw_arena_oom(a); /* no key is that long; the parser's limits stop it first */
	if (n > 64) /* long strings rarely repeat */
		return key_copy(a, s, n);
	if (!a->strs || (a->strs_n + 1) * 2 > a->strs_mask + 1) {
		size_t cap = a->strs ? (a->strs_mask + 1) * 2 : 256;
		interned *t = egw_alloc(a, cap * sizeof *t);
		for (size_t i = 0; a->strs && i <= a->strs_mask; i++) {
			if (!a->strs[i].s)
				continue;
			size_t j = str_hash(a->strs[i].s, a->strs[i].n) & (cap - 1);
			while (t[j].s)
				j = (j + 1) & (cap - 1);
			t[j] = a->strs[i];
		}
		a->strs = t;
		a->strs_mask = cap - 1;
	}
	size_t j = str_hash(s, n) & a->strs_mask;
	while (a->strs[j].s) {
		if (a->strs[j].n == n && memcmp(a->strs[j].s, s, n) == 0)
			return a->strs[j].s;
		j = (j + 1) & a->strs_mask;
	}
	const char *copy = key_copy(a, s, n);
	a->strs[j].s = copy;
	a->strs[j].n = n;
	a->strs_n++;
	return copy;
}

const char *egw_arena_intern_key(egw_arena *a, const char *s, size_t n)
{
	uintptr_t h = (uintptr_t)s * (uintptr_t)0x9E3779B97F4A7C15ull;
	size_t slot = (size_t)(h >> (sizeof(uintptr_t) * 8 - KMEMO_BITS)); /* the product's top bits */
	if (!a->kmemo)
		a->kmemo = egw_alloc(a, KMEMO * sizeof *a->kmemo);
	struct kmemo_slot *m = &a->kmemo[slot];
	/* the text at an address can change (a buffer reused): the memo is
	 * only a guess, confirmed by comparing the texts */
	if (m->at == s && egw_key_eq(m->key, s, n, egw_key_word(s, n)))
		return m->key;
	const char *k = egw_arena_intern(a, s, n);
	m->at = s;
	m->key = k;
	return k;
}

void egw_arena_defer(egw_arena *a, void (*fn)(void *), void *ptr)
{
	deferred *d = egw_alloc(a, sizeof *d);
	d->fn = fn;
	d->ptr = ptr;
	d->next = a->defers;
	a->defers = d;
}

size_t egw_arena_used(const egw_arena *a) { return a->used; }
size_t egw_arena_reserved(const egw_arena *a) { return a->reserved; }
size_t egw_arena_mapped(const egw_arena *a) { return a->mapped; }
size_t egw_arena_spare(const egw_arena *a) { return a->nspare; }
