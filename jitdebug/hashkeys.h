/* hashkeys.h — names found by hash: FNV-1a, and arrays of (hash, value) keys sorted by hash and
 * searched with one binary search (the registry's per-object symbol index, the link's symbol
 * watches). Also the hash the jitdump uses to tell code copies apart. Internal to jitdebug's libraries. */
#ifndef JD_HASHKEYS_H
#define JD_HASHKEYS_H

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

#endif
