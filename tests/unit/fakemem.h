/* fakemem.h — a fake target address space for the remote readers' tests: one buffer at BASE, read
 * and written through the jd_read_fn / write callbacks the plugins pass, and a version-1 registry
 * built in it. Header-only: each test binary includes it once. */
#ifndef JD_TEST_FAKEMEM_H
#define JD_TEST_FAKEMEM_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define BASE 0x10000ull
static uint8_t mem[1 << 16];

static inline int read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BASE || addr - BASE > sizeof(mem) || len > sizeof(mem) - (addr - BASE))
		return -EFAULT;
	memcpy(buf, mem + (addr - BASE), len);
	return 0;
}

static inline int write_mem(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	(void)ctx;
	if (addr < BASE || addr - BASE > sizeof(mem) || len > sizeof(mem) - (addr - BASE))
		return -EFAULT;
	memcpy(mem + (addr - BASE), buf, len);
	return 0;
}

static inline void put(uint64_t addr, uint64_t v, int width)
{
	for (int i = 0; i < width; i++)
		mem[addr - BASE + (uint64_t)i] = (uint8_t)(v >> (8 * i));
}

#define REG (BASE + 0x100)
#define ENTRY(i) (BASE + 0x1000 + (uint64_t)(i) * 0x100)

/* A version-1 registry of n entries, ids 1..n, objects at 0x8000 + 0x100 * i, 0x80 bytes each. */
static inline void make_registry(int n)
{
	memset(mem, 0, sizeof(mem));
	put(REG, 0x3130474552444a4aull, 8);
	put(REG + 8, 1, 4);
	put(REG + 12, 56, 4);
	put(REG + 16, 2, 8);
	put(REG + 24, (uint64_t)n, 8);
	put(REG + 32, n ? ENTRY(0) : 0, 8);
	put(REG + 40, n ? ENTRY(n - 1) : 0, 8);
	put(REG + 48, 1, 8);
	for (int i = 0; i < n; i++) {
		put(ENTRY(i), i + 1 < n ? ENTRY(i + 1) : 0, 8);
		put(ENTRY(i) + 8, i ? ENTRY(i - 1) : 0, 8);
		put(ENTRY(i) + 16, (uint64_t)i + 1, 8);
		put(ENTRY(i) + 24, BASE + 0x8000 + (uint64_t)i * 0x100, 8);
		put(ENTRY(i) + 32, 0x80, 8);
		put(ENTRY(i) + 40, 0x7f0000000000ull + (uint64_t)i * 0x1000, 8);
		put(ENTRY(i) + 48, 0x7f0000000000ull + (uint64_t)i * 0x1000 + 0x40, 8);
		put(ENTRY(i) + 56, 1, 4);
		put(ENTRY(i) + 60, 64, 4);
	}
}

#endif
