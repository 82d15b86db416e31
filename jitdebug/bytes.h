/* bytes.h — fixed-width unsigned integers read from untrusted bytes in either byte order, and stored
 * little-endian (internal to libjitdebug). The caller has checked that width bytes are there. */
#ifndef JD_BYTES_H
#define JD_BYTES_H
#include <stdint.h>

static inline uint64_t jd_load(const uint8_t *p, unsigned width, int big_endian)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)p[big_endian ? width - 1 - i : i] << (8 * i);
	return v;
}

static inline uint64_t jd_le(const uint8_t *p, unsigned width) { return jd_load(p, width, 0); }

static inline void jd_store_le(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
