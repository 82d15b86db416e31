/* nobits.h — placing NOBITS sections a JIT left at address 0 (nobits.c, docs/nobits.md). Internal to
 * the hooks. */
#ifndef JD_HOOKS_NOBITS_H
#define JD_HOOKS_NOBITS_H

#include <stddef.h>
#include <stdint.h>

struct jd_elf;

/* Gives NOBITS ALLOC sections left at address 0 their load addresses, writing sh_addr into the
 * (writable, copied) object. `sections` is a parse of obj (section headers are enough: a full parse
 * is made only when relocations must be read). [*lo, *hi) is widened to cover what was placed.
 * Returns how many it placed; *unplaced counts those it could not. */
unsigned jd_nobits_fixup(uint8_t *obj, size_t size, const struct jd_elf *sections, unsigned *unplaced,
			 uint64_t *lo, uint64_t *hi);
/* Whether [addr, addr+size) lies inside one segment of an allocation a memory manager reported. */
int jd_range_is_jit_memory(uint64_t addr, uint64_t size);
/* Whether the object has NOBITS ALLOC sections at address 0 that need jd_nobits_fixup. */
int jd_nobits_needed(const struct jd_elf *elf);

#endif
