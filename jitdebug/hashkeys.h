/* hashkeys.h — names found by hash: FNV-1a, and arrays of (hash, value) keys sorted by hash and
 * searched with one binary search (the registry's per-object symbol index, the link's symbol
 * watches). Also the hash the jitdump uses to tell code copies apart, and a growing set of 64-bit
 * keys (the addresses a list walk has visited; what `jitdebug core` has written). Internal to
 * jitdebug's libraries and tools. */
#ifndef JD_HASHKEYS_H
#define JD_HASHKEYS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline uint64_t jd_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

struct jd_hkey {
	uint64_t hash;
	uint32_t value; /* what the caller finds by the hash: an offset, an index */
};

static inline int jd_hkey_cmp(const void *a, const void *b)
{
	const struct jd_hkey *x = a, *y = b;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static inline void jd_hkeys_sort(struct jd_hkey *k, size_t n)
{
	qsort(k, n, sizeof(*k), jd_hkey_cmp);
}

/* The index of the first key with that hash in sorted k (n when there is none): the caller walks the
 * keys from there while the hash matches and compares the names themselves. */
static inline size_t jd_hkeys_first(const struct jd_hkey *k, size_t n, uint64_t hash)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A set of 64-bit keys: open addressing, grown by doubling (its users bound how many keys they add).
 * Zero-initialized it is empty; jd_u64set_free releases it. */
struct jd_u64set {
	uint64_t *slots; /* 0: empty slot (the key 0 is kept in has_zero) */
	size_t cap, n;
	int has_zero;
};

static inline size_t jd_u64set_slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	return (size_t)(key ^ (key >> 33)) & (cap - 1);
}

/* 1 if key was there, 0 if it was added, -ENOMEM. */
static inline int jd_u64set_add(struct jd_u64set *s, uint64_t key)
{
	if (key == 0) {
		int had = s->has_zero;
		s->has_zero = 1;
		return had;
	}
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slots[i])
				continue;
			size_t k = jd_u64set_slot(s->slots[i], cap);
			while (slots[k])
				k = (k + 1) & (cap - 1);
			slots[k] = s->slots[i];
		}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	size_t k = jd_u64set_slot(key, s->cap);
	for (; s->slots[k]; k = (k + 1) & (s->cap - 1))
		if (s->slots[k] == key)
			return 1;
	s->slots[k] = key;
	s->n++;
	return 0;
}

static inline void jd_u64set_free(struct jd_u64set *s)
{
	free(s->slots);
	*s = (struct jd_u64set){0};
}

#endif
