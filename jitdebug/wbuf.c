/* wbuf.c — the one growable byte buffer (wbuf.h). */
#include "wbuf.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

uint8_t *jd_wr_reserve(struct jd_wbuf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (n > JD_WBUF_MAX - b->len) { /* b->len <= JD_WBUF_MAX always: no wrap here or below */
		b->oom = 1;
		return NULL;
	}
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len < n)
			cap = cap > JD_WBUF_MAX / 2 ? JD_WBUF_MAX : cap * 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return NULL;
		}
		b->p = np;
		b->cap = cap;
	}
	uint8_t *at = b->p + b->len;
	b->len += n;
	return at;
}

static void put_le(struct jd_wbuf *b, uint64_t v, int n)
{
	uint8_t *p = jd_wr_reserve(b, (size_t)n);
	if (p)
		jd_store_le(p, v, (unsigned)n);
}

void jd_wr_u8(struct jd_wbuf *b, uint8_t v) { put_le(b, v, 1); }
void jd_wr_u16(struct jd_wbuf *b, uint16_t v) { put_le(b, v, 2); }
void jd_wr_u32(struct jd_wbuf *b, uint32_t v) { put_le(b, v, 4); }
void jd_wr_u64(struct jd_wbuf *b, uint64_t v) { put_le(b, v, 8); }

void jd_wr_bytes(struct jd_wbuf *b, const void *src, size_t n)
{
	uint8_t *p = jd_wr_reserve(b, n);
	if (p && n)
		memcpy(p, src, n);
}

void jd_wr_free(struct jd_wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
