/* wbuf.h — the one growable byte buffer of jitdebug's libraries: the debug link's frames (protocol.h),
 * the light-JIT object writer (synth.c) and the jitdump records (perfmap/jitdump.c) are built in it.
 * Capacity is checked before every write: a write that does not fit latches `oom` and writes nothing,
 * so a writer checks once at the end. Integers are written little-endian. Internal to jitdebug's
 * libraries and tools. */
#ifndef JD_WBUF_H
#define JD_WBUF_H

#include <stddef.h>
#include <stdint.h>

#include "jitdebug.h" /* JD_MAX_OBJECT_SIZE */

struct jd_wbuf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};
/* A buffer never grows past JD_WBUF_MAX (one object, JD_MAX_OBJECT_SIZE, plus its records' headers):
 * a size read from an object or a peer that asks for more fails like an allocation. */
#define JD_WBUF_MAX ((size_t)JD_MAX_OBJECT_SIZE + ((size_t)1 << 20))
/* Appends n bytes of room and returns it (NULL, and b->oom set, when out of memory or past
 * JD_WBUF_MAX). */
uint8_t *jd_wr_reserve(struct jd_wbuf *b, size_t n);
void jd_wr_u8(struct jd_wbuf *b, uint8_t v);
void jd_wr_u16(struct jd_wbuf *b, uint16_t v);
void jd_wr_u32(struct jd_wbuf *b, uint32_t v);
void jd_wr_u64(struct jd_wbuf *b, uint64_t v);
void jd_wr_bytes(struct jd_wbuf *b, const void *p, size_t n);
void jd_wr_free(struct jd_wbuf *b);

#endif
