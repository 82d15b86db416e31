/* place.h — give a clang-compiled relocatable object the addresses a JIT would: each allocated
 * section with content is copied into its own mapping (code mapped executable) and sh_addr is set
 * to it. For tests and benchmarks of the perf outputs, which read code from those addresses. */
#ifndef JD_PLACE_H
#define JD_PLACE_H
#include <elf.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

static inline void place_object(uint8_t *obj)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)obj;
	Elf64_Shdr *sh = (Elf64_Shdr *)(obj + eh->e_shoff);
	for (int i = 1; i < eh->e_shnum; i++) {
		if (!(sh[i].sh_flags & SHF_ALLOC) || sh[i].sh_type == SHT_NOBITS || sh[i].sh_size == 0)
			continue;
		void *mem = mmap(NULL, sh[i].sh_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memcpy(mem, obj + sh[i].sh_offset, sh[i].sh_size);
		if (sh[i].sh_flags & SHF_EXECINSTR)
			mprotect(mem, sh[i].sh_size, PROT_READ | PROT_EXEC);
		sh[i].sh_addr = (uint64_t)(uintptr_t)mem;
	}
}
#endif
