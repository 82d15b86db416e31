/* descriptors.c — every GDB JIT descriptor of a process or a core, found without a debugger: the
 * process's mapped files (a core's NT_FILE note, the dynamic loader's list) are opened on disk, their
 * symbol tables (.symtab, else .dynsym) give `__jit_debug_descriptor`'s address in the file, and the
 * mappings turn it into the address in the process. A module that also defines `jitdebug_registry`
 * is the hooks' own. Files are untrusted: each is parsed by jd_elf_open, symbol tables are
 * bounds-checked here, and a file that cannot be read is passed over.
 */
#include "bytes.h"
#include "files.h"
#include "jitdebug.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DESCRIPTOR "__jit_debug_descriptor"
#define REGISTRY "jitdebug_registry"
#define MAX_MODULE_SIZE (1ull << 34) /* 16 GiB: larger is not a module */

struct found {
	uint64_t descriptor, registry; /* file addresses (st_value); 0: absent */
	struct jd_elf_section descriptor_sec;
};

/* The defined symbols named DESCRIPTOR and REGISTRY in one symbol table. */
static void scan_symtab(const uint8_t *data, size_t size, const struct jd_elf *elf, const struct jd_elf_section *s,
			struct found *f)
{
	struct jd_elf_section str;
	if (s->entsize != sizeof(Elf64_Sym) || s->size % sizeof(Elf64_Sym) || s->offset > size ||
	    s->size > size - s->offset || jd_elf_section(elf, s->link, &str) != 0 || str.type != SHT_STRTAB ||
	    str.offset > size || str.size > size - str.offset)
		return;
	const uint8_t *strs = data + str.offset;
	for (uint64_t off = 0; off < s->size; off += sizeof(Elf64_Sym)) {
		const uint8_t *sym = data + s->offset + off;
		uint64_t name = jd_le(sym + offsetof(Elf64_Sym, st_name), 4);
		uint16_t shndx = (uint16_t)jd_le(sym + offsetof(Elf64_Sym, st_shndx), 2);
		if (shndx == SHN_UNDEF || shndx >= SHN_LORESERVE || name >= str.size)
			continue;
		const char *n = (const char *)strs + name;
		size_t room = (size_t)(str.size - name);
		uint64_t value = jd_le(sym + offsetof(Elf64_Sym, st_value), 8);
		if (room > sizeof(DESCRIPTOR) - 1 && memcmp(n, DESCRIPTOR, sizeof(DESCRIPTOR)) == 0 && !f->descriptor &&
		    jd_elf_section(elf, shndx, &f->descriptor_sec) == 0)
			f->descriptor = value;
		else if (room > sizeof(REGISTRY) - 1 && memcmp(n, REGISTRY, sizeof(REGISTRY)) == 0)
			f->registry = value;
	}
}

/* The address in the process of file address v in section s: through a section with file bytes (s
 * itself, or for .bss the allocated PROGBITS section just below it, in the same segment) and the
 * mapping of its file offset. 0 when no mapping of the file holds it. */
static uint64_t place(const struct jd_elf *elf, const struct jd_elf_section *s, uint64_t v,
		      const struct jd_mapping *maps, size_t n, const char *path)
{
	struct jd_elf_section ref = *s, t;
	if (s->type == SHT_NOBITS) {
		ref.addr = 0;
		for (size_t i = 0; jd_elf_section(elf, i, &t) == 0; i++)
			if (t.type == SHT_PROGBITS && (t.flags & SHF_ALLOC) && t.addr <= v && t.addr >= ref.addr)
				ref = t;
		if (!ref.addr)
			return 0;
	}
	if (!(ref.flags & SHF_ALLOC) || v < ref.addr)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct jd_mapping *m = &maps[i];
		if (strcmp(m->path, path) != 0 || m->end <= m->start || ref.offset < m->offset ||
		    ref.offset - m->offset >= m->end - m->start)
			continue;
		uint64_t at = m->start + (ref.offset - m->offset), delta = v - ref.addr;
		if (at + delta < at)
			return 0;
		return at + delta;
	}
	return 0;
}

static int module(const char *path, const struct jd_mapping *maps, size_t n, jd_descriptor_fn fn, void *ctx, int *stop)
{
	/* The path comes from a core's NT_FILE note or /proc/PID/maps (files.h: a device named there is
	 * never opened, a FIFO never waited on). */
	size_t size;
	const uint8_t *map = jd_map_file(AT_FDCWD, path, 0, sizeof(Elf64_Ehdr), MAX_MODULE_SIZE, &size);
	if (!map)
		return 0;
	static const struct jd_elf_open_opts light = {.sz = sizeof(light), .flags = JD_ELF_SECTIONS_ONLY};
	struct jd_elf *elf = jd_elf_open(map, size, &light, NULL, 0);
	int rc = 0;
	if (elf) {
		struct found f = {0};
		struct jd_elf_section s;
		/* .symtab holds what .dynsym does and local symbols too; .dynsym when stripped. */
		for (int pass = 0; pass < 2 && !f.descriptor; pass++)
			for (size_t i = 0; jd_elf_section(elf, i, &s) == 0; i++)
				if (s.type == (pass ? SHT_DYNSYM : SHT_SYMTAB))
					scan_symtab(map, size, elf, &s, &f);
		uint64_t at = f.descriptor ? place(elf, &f.descriptor_sec, f.descriptor, maps, n, path) : 0;
		if (at) {
			struct jd_descriptor d = {.addr = at, .path = path, .hooks = f.registry != 0};
			*stop = fn(&d, ctx);
			rc = 1;
		}
		jd_elf_close(elf);
	}
	jd_unmap_file(map, size);
	return rc;
}

static int cmp_by_path(const void *a, const void *b, void *maps)
{
	const struct jd_mapping *m = maps;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(m[x].path, m[y].path);
	return c ? c : (x < y ? -1 : x > y);
}

int jd_find_descriptors(const struct jd_mapping *maps, size_t n, jd_descriptor_fn fn, void *ctx)
{
	if (!fn || (n && !maps))
		return -EINVAL;
	/* Each file once, in the order of its first mapping: the mappings sorted by path (then index) mark
	 * the first of each path, so a core naming a million mappings costs n log n, not n^2. */
	size_t *order = n ? malloc(n * sizeof(*order)) : NULL;
	unsigned char *first = n ? calloc(n, 1) : NULL;
	if (n && (!order || !first)) {
		free(order);
		free(first);
		return -ENOMEM;
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (maps[i].path && maps[i].path[0] == '/')
			order[m++] = i;
	qsort_r(order, m, sizeof(*order), cmp_by_path, (void *)maps);
	for (size_t k = 0; k < m; k++)
		first[order[k]] = k == 0 || strcmp(maps[order[k - 1]].path, maps[order[k]].path) != 0;
	free(order);
	int found = 0, stop = 0;
	for (size_t i = 0; i < n && !stop; i++)
		if (first[i])
			found += module(maps[i].path, maps, n, fn, ctx, &stop);
	free(first);
	return found;
}
