/* objfile.h — reads a whole object file for the tests and benchmarks. */
#ifndef JD_OBJFILE_H
#define JD_OBJFILE_H
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file's bytes (malloc'ed; the caller frees them) and *size, or NULL after a message on stderr. */
static inline uint8_t *read_object(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long n = -1;
	if (f && fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf && (fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	if (!buf)
		fprintf(stderr, "cannot read %s\n", path);
	*size = buf ? (size_t)n : 0;
	return buf;
}

/* Gives every allocated section a distinct fake load address, as ORC's debug object has. */
static inline void patch_load_addresses(uint8_t *obj, size_t size)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)obj;
	if (size < sizeof(*eh) || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
		return;
	Elf64_Shdr *sh = (Elf64_Shdr *)(obj + eh->e_shoff);
	uint64_t at = 0x7f1000000000;
	for (int i = 1; i < eh->e_shnum; i++) {
		if (sh[i].sh_flags & SHF_ALLOC) {
			sh[i].sh_addr = at;
			at += (sh[i].sh_size + 0xfff) & ~0xfffull;
		}
	}
}
/* A copy of the object as variant v (malloc'ed): v written into the first 4 bytes of its .data, so
 * each variant has its own content build-id, and its allocated sections at addresses of their own. */
static inline uint8_t *object_variant(const uint8_t *obj, size_t size, uint32_t v)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)obj;
	uint8_t *o = malloc(size);
	if (!o || size < sizeof(*eh) || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size) {
		free(o);
		return NULL;
	}
	memcpy(o, obj, size);
	Elf64_Shdr *sh = (Elf64_Shdr *)(o + eh->e_shoff);
	const char *names = (const char *)o + sh[eh->e_shstrndx].sh_offset;
	uint64_t at = 0x7f0000000000ull + (uint64_t)(v % 1000000) * 0x10000;
	for (int i = 1; i < eh->e_shnum; i++) {
		if (strcmp(names + sh[i].sh_name, ".data") == 0 && sh[i].sh_size >= 4)
			memcpy(o + sh[i].sh_offset, &v, 4);
		if (sh[i].sh_flags & SHF_ALLOC) {
			sh[i].sh_addr = at;
			at += (sh[i].sh_size + 0xfff) & ~0xfffull;
		}
	}
	return o;
}
#endif
