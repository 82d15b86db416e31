/* core.c — the memory of an ELF64 little-endian core file (ET_CORE), read through its PT_LOAD
 * segments, the files the process had mapped (its NT_FILE note), and the hooks' registry found in it
 * by its magic number, so a core can be read without
 * the executable that wrote it. The file is untrusted: every program header is bounds-checked, and a
 * read succeeds only if every byte lies in a segment's file image (bytes the kernel did not dump are
 * unreadable, not zero). A struct jd_core is immutable after opening and may be read from several
 * threads at once.
 */
#include "bytes.h"
#include "files.h"
#include "jitdebug-types.h"
#include "jitdebug.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SEGMENTS 65536

struct segment {
	uint64_t vaddr, filesz, offset;
};

struct jd_core {
	const uint8_t *data;
	size_t size;
	int mapped;
	struct segment *segs; /* sorted by vaddr */
	size_t nsegs;
	struct segment *notes; /* PT_NOTE file ranges (vaddr unused) */
	size_t nnotes;
};

static int cmp_seg(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

struct jd_core *jd_core_open_memory(const void *data, size_t size, char *err, size_t errlen)
{
	const uint8_t *d = data;
	if (size < sizeof(Elf64_Ehdr) || memcmp(d, ELFMAG, SELFMAG) != 0) {
		snprintf(err, errlen, "not an ELF file");
		errno = EINVAL;
		return NULL;
	}
	if (d[EI_CLASS] != ELFCLASS64 || d[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errlen, "only 64-bit little-endian core files are read");
		errno = EINVAL;
		return NULL;
	}
	if (jd_le(d + offsetof(Elf64_Ehdr, e_type), 2) != ET_CORE) {
		snprintf(err, errlen, "not a core file (ELF type %u)", (unsigned)jd_le(d + offsetof(Elf64_Ehdr, e_type), 2));
		errno = EINVAL;
		return NULL;
	}
	uint64_t phoff = jd_le(d + offsetof(Elf64_Ehdr, e_phoff), 8);
	uint64_t phentsize = jd_le(d + offsetof(Elf64_Ehdr, e_phentsize), 2), phnum = jd_le(d + offsetof(Elf64_Ehdr, e_phnum), 2);
	if (phentsize != sizeof(Elf64_Phdr) || phnum == 0 || phnum > MAX_SEGMENTS || phoff > size ||
	    phnum * phentsize > size - phoff) {
		snprintf(err, errlen, "bad program header table (%" PRIu64 " entries of %" PRIu64 " bytes at 0x%" PRIx64 ")",
			 phnum, phentsize, phoff);
		errno = EINVAL;
		return NULL;
	}
	struct jd_core *c = calloc(1, sizeof(*c));
	if (!c || !(c->segs = calloc(phnum, sizeof(*c->segs))) || !(c->notes = calloc(phnum, sizeof(*c->notes)))) {
		if (c)
			free(c->segs);
		free(c);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->data = d;
	c->size = size;
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = d + phoff + i * phentsize;
		uint32_t type = (uint32_t)jd_le(ph + offsetof(Elf64_Phdr, p_type), 4);
		if (type == PT_NOTE) {
			struct segment n = {.filesz = jd_le(ph + offsetof(Elf64_Phdr, p_filesz), 8),
					    .offset = jd_le(ph + offsetof(Elf64_Phdr, p_offset), 8)};
			if (n.offset < size && n.filesz <= size - n.offset)
				c->notes[c->nnotes++] = n;
			continue;
		}
		if (type != PT_LOAD)
			continue;
		struct segment s = {
			.vaddr = jd_le(ph + offsetof(Elf64_Phdr, p_vaddr), 8),
			.filesz = jd_le(ph + offsetof(Elf64_Phdr, p_filesz), 8),
			.offset = jd_le(ph + offsetof(Elf64_Phdr, p_offset), 8),
		};
		/* A segment cut short by a truncated core keeps the part that is there. */
		if (s.offset >= size || s.filesz == 0 || s.vaddr + s.filesz < s.vaddr)
			continue;
		if (s.filesz > size - s.offset)
			s.filesz = size - s.offset;
		c->segs[c->nsegs++] = s;
	}
	qsort(c->segs, c->nsegs, sizeof(*c->segs), cmp_seg);
	return c;
}

struct jd_core *jd_core_open(const char *path, char *err, size_t errlen)
{
	/* files.h: only a regular file is opened, and a FIFO is refused, not waited on. */
	size_t size;
	const void *map = jd_map_file(AT_FDCWD, path, 0, 1, UINT64_MAX, &size);
	if (!map) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path,
			 e == EISDIR ? "is a directory" : e == EINVAL || e == EFBIG ? "not a regular, non-empty file" : strerror(e));
		errno = e == EISDIR || e == EFBIG ? EINVAL : e;
		return NULL;
	}
	char why[200];
	struct jd_core *c = jd_core_open_memory(map, size, why, sizeof(why));
	if (!c) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, why);
		jd_unmap_file(map, size);
		errno = e;
		return NULL;
	}
	c->mapped = 1;
	return c;
}

void jd_core_close(struct jd_core *c)
{
	if (!c)
		return;
	if (c->mapped)
		munmap((void *)c->data, c->size);
	free(c->segs);
	free(c->notes);
	free(c);
}

int jd_core_read(void *core, uint64_t addr, void *buf, size_t len)
{
	const struct jd_core *c = core;
	uint8_t *out = buf;
	while (len) {
		/* The last segment starting at or below addr. */
		size_t lo = 0, hi = c->nsegs;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (c->segs[mid].vaddr <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			return -EFAULT;
		const struct segment *s = &c->segs[lo - 1];
		uint64_t in = addr - s->vaddr;
		if (in >= s->filesz)
			return -EFAULT;
		size_t n = s->filesz - in < len ? (size_t)(s->filesz - in) : len;
		memcpy(out, c->data + s->offset + in, n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

struct counted {
	const struct jd_core *core;
	uint64_t objects, reads;
};

static int read_counted(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct counted *k = ctx;
	k->reads++;
	return jd_core_read((void *)k->core, addr, buf, len);
}

/* Entries read in all while choosing among candidate headers: a core of many headers whose lists
 * share long chains of (overlapping) entries would otherwise cost headers x entries. */
#define SEARCH_BUDGET (1u << 20)

static int count_in(const struct jd_registry_object *o, void *ctx)
{
	((struct counted *)ctx)->objects++;
	return 0;
}

int jd_core_find_registry(const struct jd_core *c, uint64_t *addr, size_t *candidates)
{
	uint8_t magic[8];
	for (unsigned i = 0; i < sizeof(magic); i++)
		magic[i] = (uint8_t)(JD_REGISTRY_MAGIC >> (8 * i));
	uint64_t best = 0, best_objects = 0, budget = SEARCH_BUDGET;
	size_t n = 0;
	for (size_t i = 0; i < c->nsegs && budget; i++) {
		const struct segment *s = &c->segs[i];
		const uint8_t *base = c->data + s->offset, *p = base, *end = base + s->filesz;
		while (budget && p < end && (p = memmem(p, (size_t)(end - p), magic, sizeof(magic))) != NULL) {
			uint64_t at = s->vaddr + (uint64_t)(p - base);
			p += sizeof(magic);
			/* A candidate is a header the walker accepts; the one whose list yields the most
			 * objects wins (a stale copy of the header has an unreadable or shorter list). Every
			 * walk draws on one budget of entry reads; once it is spent, the best so far wins. */
			struct counted k = {c, 0, 0};
			struct jd_walk w = {.sz = sizeof(w), .read = read_counted, .ctx = &k, .object = count_in,
					    .max_entries = budget};
			char err[160];
			int rc = at % 8 != 0 ? -EINVAL : jd_walk_registry(at, &w, NULL, err, sizeof(err));
			budget -= k.reads < budget ? k.reads : budget;
			if (rc != 0)
				continue;
			if (!n++ || k.objects > best_objects) {
				best = at;
				best_objects = k.objects;
			}
		}
	}
	if (candidates)
		*candidates = n;
	if (!n)
		return -ENOENT;
	*addr = best;
	return 0;
}

#define NT_FILE_TYPE 0x46494c45u /* NT_FILE: "FILE" */
#define MAX_FILE_MAPPINGS (1u << 20)

/* NT_FILE's desc: count, page size, count x {start, end, page offset}, then count NUL-terminated
 * paths (all u64 little-endian on the cores read here). */
static int parse_nt_file(const uint8_t *desc, uint64_t len, struct jd_mapping **maps, size_t *n)
{
	if (len < 16)
		return -EINVAL;
	uint64_t count = jd_le(desc, 8), page = jd_le(desc + 8, 8);
	if (count > MAX_FILE_MAPPINGS || count * 24 > len - 16 || page == 0 || page > (1u << 30) || (page & (page - 1)))
		return -EINVAL;
	const uint8_t *names = desc + 16 + count * 24, *end = desc + len;
	/* One block: the array, then a copy of the paths (each checked for its NUL). */
	size_t names_len = (size_t)(end - names);
	struct jd_mapping *m = malloc(count * sizeof(*m) + names_len + 1);
	if (!m)
		return -ENOMEM;
	char *copy = (char *)(m + count);
	memcpy(copy, names, names_len);
	copy[names_len] = '\0';
	size_t at = 0;
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *e = desc + 16 + i * 24;
		if (at >= names_len || !memchr(copy + at, '\0', names_len - at)) {
			free(m);
			return -EINVAL;
		}
		uint64_t pages = jd_le(e + 16, 8);
		m[i] = (struct jd_mapping){.start = jd_le(e, 8), .end = jd_le(e + 8, 8), .path = copy + at};
		if (pages > UINT64_MAX / page)
			m[i].end = m[i].start; /* an offset that overflows maps nothing */
		else
			m[i].offset = pages * page;
		at += strlen(copy + at) + 1;
	}
	*maps = m;
	*n = (size_t)count;
	return 0;
}

int jd_core_mappings(const struct jd_core *c, struct jd_mapping **maps, size_t *n)
{
	for (size_t i = 0; i < c->nnotes; i++) {
		const uint8_t *p = c->data + c->notes[i].offset;
		uint64_t left = c->notes[i].filesz;
		while (left >= 12) {
			uint64_t namesz = jd_le(p, 4), descsz = jd_le(p + 4, 4), type = jd_le(p + 8, 4);
			uint64_t name_pad = (namesz + 3) & ~3ull, desc_pad = (descsz + 3) & ~3ull;
			if (name_pad > left - 12 || desc_pad > left - 12 - name_pad)
				return -EINVAL;
			if (type == NT_FILE_TYPE && namesz == 5 && memcmp(p + 12, "CORE", 5) == 0)
				return parse_nt_file(p + 12 + name_pad, descsz, maps, n);
			p += 12 + name_pad + desc_pad;
			left -= 12 + name_pad + desc_pad;
		}
	}
	return -ENOENT;
}
