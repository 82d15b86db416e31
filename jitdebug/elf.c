/* elf.c — bounds-checked reader for ELF64 little-endian JIT debug objects.
 *
 * Contract: jd_elf_open validates the whole object up front (headers, section table, string tables,
 * symbol table, notes) so that every accessor afterwards is infallible for in-range indices. Nothing
 * in the input is trusted: every offset/size pair is checked with overflow-safe arithmetic before the
 * bytes are touched, and every string is bounded by its (NUL-terminated) table. The object's bytes are
 * borrowed for the lifetime of the struct jd_elf; the reader never writes to them.
 */
#include "bytes.h"
#include "jitdebug.h"
#include "opts.h"
#include "relocs.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	/* More than any compiler emits for one JIT object, small enough to bound memory. */
	JD_ELF_MAX_SECTIONS = 1u << 20,
	EHDR_SIZE = sizeof(Elf64_Ehdr),
	SHDR_SIZE = sizeof(Elf64_Shdr),
	SYM_SIZE = sizeof(Elf64_Sym),
	NOTE_HDR_SIZE = sizeof(Elf64_Nhdr),
};
_Static_assert(sizeof(Elf64_Ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(Elf64_Shdr) == 64, "ELF64 section header is 64 bytes");
_Static_assert(sizeof(Elf64_Sym) == 24, "ELF64 symbol is 24 bytes");
_Static_assert(sizeof(Elf64_Nhdr) == 12, "ELF note header is 12 bytes");
_Static_assert(sizeof(Elf64_Rela) == 24, "ELF64 RELA entry is 24 bytes");

struct jd_elf {
	const uint8_t *data;
	size_t size;
	uint16_t machine, type;
	size_t shnum;
	struct jd_elf_section *secs;
	const uint8_t *syms; /* the symbol table's bytes, nsyms entries */
	size_t nsyms;
	const char *strtab;  /* the symbol string table, NUL-terminated at strtab_size - 1 */
	size_t strtab_size;
	const uint8_t *xindex; /* SHT_SYMTAB_SHNDX entries (u32 each), or NULL */
	const uint8_t *build_id;
	size_t build_id_len;
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)jd_le(p, 2); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)jd_le(p, 4); }
static uint64_t le64(const uint8_t *p) { return jd_le(p, 8); }

/* [off, off+len) lies within [0, size) without overflow. */
static int in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Where a rejection's message goes: the caller's err/errlen (either may be NULL/0). */
struct diag {
	char *err;
	size_t errlen;
};

/* The message reads "NAME: DETAIL (file offset 0xOFF)", NAME being jd_elf_strerror(code). */
static int reject(const struct diag *diag, enum jd_elf_error code, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int reject(const struct diag *diag, enum jd_elf_error code, uint64_t offset, const char *fmt, ...)
{
	if (diag->err && diag->errlen) {
		char detail[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		snprintf(diag->err, diag->errlen, "%s: %s (file offset 0x%llx)", jd_elf_strerror(code), detail,
			 (unsigned long long)offset);
	}
	return -(int)code;
}

static const char *const error_names[JD_ELF_E__COUNT] = {
	[JD_ELF_OK] = "ok",
	[JD_ELF_E_TRUNCATED_HEADER] = "truncated ELF header",
	[JD_ELF_E_BAD_MAGIC] = "not an ELF file",
	[JD_ELF_E_BAD_CLASS] = "not a 64-bit ELF object",
	[JD_ELF_E_BAD_DATA] = "not a little-endian ELF object",
	[JD_ELF_E_BAD_VERSION] = "unsupported ELF version",
	[JD_ELF_E_BAD_EHSIZE] = "bad ELF header size",
	[JD_ELF_E_BAD_SHENTSIZE] = "bad section header size",
	[JD_ELF_E_NO_SECTIONS] = "no section header table",
	[JD_ELF_E_TOO_MANY_SECTIONS] = "too many sections",
	[JD_ELF_E_SHDRS_OUT_OF_BOUNDS] = "section header table out of bounds",
	[JD_ELF_E_BAD_SHSTRNDX] = "bad section name table index",
	[JD_ELF_E_SECTION_OUT_OF_BOUNDS] = "section out of bounds",
	[JD_ELF_E_OVERLAP] = "overlapping file ranges",
	[JD_ELF_E_BAD_STRTAB] = "bad string table",
	[JD_ELF_E_BAD_NAME] = "name outside its string table",
	[JD_ELF_E_BAD_SYMTAB] = "bad symbol table",
	[JD_ELF_E_BAD_SYMBOL_SECTION] = "symbol refers to no section",
	[JD_ELF_E_BAD_NOTE] = "malformed note",
	[JD_ELF_E_BAD_ALIGN] = "bad section alignment",
	[JD_ELF_E_NOMEM] = "out of memory",
};

const char *jd_elf_strerror(enum jd_elf_error code)
{
	if ((unsigned)code >= JD_ELF_E__COUNT || !error_names[code])
		return "unknown error";
	return error_names[code];
}

/* A string table is usable when it has file bytes and its last byte is NUL: then every offset below
 * its size names a terminated string. */
static int check_strtab(const struct jd_elf *e, const struct jd_elf_section *s, const struct diag *diag)
{
	if (s->type != SHT_STRTAB || s->size == 0)
		return reject(diag, JD_ELF_E_BAD_STRTAB, EHDR_SIZE + (uint64_t)s->index * SHDR_SIZE,
			      "section %u is not a non-empty string table", s->index);
	if (e->data[s->offset + s->size - 1] != '\0')
		return reject(diag, JD_ELF_E_BAD_STRTAB, s->offset + s->size - 1,
			      "string table in section %u is not NUL-terminated", s->index);
	return 0;
}

struct range {
	uint64_t off, end;
	uint32_t what; /* section index, or UINT32_MAX-1 header, UINT32_MAX header table */
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int check_overlaps(const struct jd_elf *e, uint64_t shoff, const struct diag *diag)
{
	struct range *r = calloc(e->shnum + 2, sizeof(*r));
	size_t n = 0;
	int err = 0;

	if (!r)
		return reject(diag, JD_ELF_E_NOMEM, 0, "out of memory checking %zu sections", e->shnum);
	r[n++] = (struct range){0, EHDR_SIZE, UINT32_MAX - 1};
	r[n++] = (struct range){shoff, shoff + (uint64_t)e->shnum * SHDR_SIZE, UINT32_MAX};
	for (size_t i = 1; i < e->shnum; i++) {
		const struct jd_elf_section *s = &e->secs[i];
		if (s->type != SHT_NOBITS && s->size > 0)
			r[n++] = (struct range){s->offset, s->offset + s->size, s->index};
	}
	qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 1; i < n; i++) {
		if (r[i].off < r[i - 1].end) {
			err = reject(diag, JD_ELF_E_OVERLAP, r[i].off,
				     "file bytes of %s%u overlap those of %s%u at offset 0x%llx",
				     r[i].what >= UINT32_MAX - 1 ? "header " : "section ", r[i].what >= UINT32_MAX - 1 ? 0 : r[i].what,
				     r[i - 1].what >= UINT32_MAX - 1 ? "header " : "section ",
				     r[i - 1].what >= UINT32_MAX - 1 ? 0 : r[i - 1].what, (unsigned long long)r[i].off);
			break;
		}
	}
	free(r);
	return err;
}

static int parse_notes(struct jd_elf *e, const struct jd_elf_section *s, const struct diag *diag)
{
	const uint8_t *p = e->data + s->offset;
	uint64_t off = 0;

	while (off < s->size) {
		if (!in_bounds(off, NOTE_HDR_SIZE, s->size))
			return reject(diag, JD_ELF_E_BAD_NOTE, s->offset + off, "note header in section %u truncated",
				      s->index);
		uint64_t namesz = le32(p + off), descsz = le32(p + off + 4);
		uint32_t type = le32(p + off + 8);
		uint64_t name_off = off + NOTE_HDR_SIZE;
		uint64_t desc_off = name_off + ((namesz + 3) & ~(uint64_t)3);
		uint64_t next = desc_off + ((descsz + 3) & ~(uint64_t)3);
		if (!in_bounds(name_off, namesz, s->size) || !in_bounds(desc_off, descsz, s->size) || next > s->size + 3)
			return reject(diag, JD_ELF_E_BAD_NOTE, s->offset + off,
				      "note in section %u: sizes (name %llu, desc %llu) run past the section", s->index,
				      (unsigned long long)namesz, (unsigned long long)descsz);
		if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + name_off, "GNU", 4) == 0 && !e->build_id) {
			e->build_id = p + desc_off;
			e->build_id_len = descsz;
		}
		off = next;
	}
	return 0;
}

static int parse_symtab(struct jd_elf *e, const struct jd_elf_section *s, const struct diag *diag)
{
	uint64_t hdr_off = EHDR_SIZE; /* diag offset: best effort, the section's own header */

	if (s->entsize != SYM_SIZE || s->size % SYM_SIZE != 0)
		return reject(diag, JD_ELF_E_BAD_SYMTAB, hdr_off, "symbol table %u: entry size %llu, size %llu", s->index,
			      (unsigned long long)s->entsize, (unsigned long long)s->size);
	if (s->link == 0 || s->link >= e->shnum)
		return reject(diag, JD_ELF_E_BAD_SYMTAB, hdr_off, "symbol table %u links to section %u of %zu", s->index,
			      s->link, e->shnum);
	int err = check_strtab(e, &e->secs[s->link], diag);
	if (err)
		return err;
	e->syms = e->data + s->offset;
	e->nsyms = s->size / SYM_SIZE;
	e->strtab = (const char *)e->data + e->secs[s->link].offset;
	e->strtab_size = e->secs[s->link].size;

	for (size_t i = 1; i < e->shnum; i++) {
		const struct jd_elf_section *x = &e->secs[i];
		if (x->type == SHT_SYMTAB_SHNDX && x->link == s->index) {
			if (x->size / 4 < e->nsyms)
				return reject(diag, JD_ELF_E_BAD_SYMTAB, x->offset,
					      "extended index table %u has %llu entries for %zu symbols", x->index,
					      (unsigned long long)(x->size / 4), e->nsyms);
			e->xindex = e->data + x->offset;
		}
	}

	for (size_t i = 0; i < e->nsyms; i++) {
		const uint8_t *sym = e->syms + i * SYM_SIZE;
		uint64_t sym_off = s->offset + i * SYM_SIZE;
		uint32_t name = le32(sym + offsetof(Elf64_Sym, st_name));
		uint16_t shndx = le16(sym + offsetof(Elf64_Sym, st_shndx));
		if (name >= e->strtab_size)
			return reject(diag, JD_ELF_E_BAD_NAME, sym_off, "symbol %zu: name offset %u past string table (%zu)", i,
				      name, e->strtab_size);
		uint64_t real = shndx;
		if (shndx == SHN_XINDEX) {
			if (!e->xindex)
				return reject(diag, JD_ELF_E_BAD_SYMBOL_SECTION, sym_off,
					      "symbol %zu uses SHN_XINDEX but there is no extended index table", i);
			real = le32(e->xindex + i * 4);
		} else if (shndx >= SHN_LORESERVE) {
			continue; /* SHN_ABS, SHN_COMMON, processor-specific */
		}
		if (real >= e->shnum)
			return reject(diag, JD_ELF_E_BAD_SYMBOL_SECTION, sym_off, "symbol %zu: section %llu of %zu", i,
				      (unsigned long long)real, e->shnum);
	}
	return 0;
}

static int parse(struct jd_elf *e, uint32_t flags, const struct diag *diag)
{
	const uint8_t *d = e->data;

	if (e->size < EHDR_SIZE)
		return reject(diag, JD_ELF_E_TRUNCATED_HEADER, 0, "%zu bytes, an ELF64 header needs %d", e->size, EHDR_SIZE);
	if (memcmp(d, ELFMAG, SELFMAG) != 0)
		return reject(diag, JD_ELF_E_BAD_MAGIC, 0, "bad magic %02x %02x %02x %02x", d[0], d[1], d[2], d[3]);
	if (d[EI_CLASS] != ELFCLASS64)
		return reject(diag, JD_ELF_E_BAD_CLASS, EI_CLASS, "EI_CLASS is %u, expected ELFCLASS64", d[EI_CLASS]);
	if (d[EI_DATA] != ELFDATA2LSB)
		return reject(diag, JD_ELF_E_BAD_DATA, EI_DATA, "EI_DATA is %u, expected ELFDATA2LSB", d[EI_DATA]);
	if (d[EI_VERSION] != EV_CURRENT || le32(d + offsetof(Elf64_Ehdr, e_version)) != EV_CURRENT)
		return reject(diag, JD_ELF_E_BAD_VERSION, EI_VERSION, "ELF version is not EV_CURRENT");
	if (le16(d + offsetof(Elf64_Ehdr, e_ehsize)) != EHDR_SIZE)
		return reject(diag, JD_ELF_E_BAD_EHSIZE, offsetof(Elf64_Ehdr, e_ehsize), "e_ehsize is %u",
			      le16(d + offsetof(Elf64_Ehdr, e_ehsize)));

	e->type = le16(d + offsetof(Elf64_Ehdr, e_type));
	e->machine = le16(d + offsetof(Elf64_Ehdr, e_machine));
	uint64_t shoff = le64(d + offsetof(Elf64_Ehdr, e_shoff));
	uint64_t shnum = le16(d + offsetof(Elf64_Ehdr, e_shnum));
	uint32_t shstrndx = le16(d + offsetof(Elf64_Ehdr, e_shstrndx));

	if (shoff == 0)
		return reject(diag, JD_ELF_E_NO_SECTIONS, offsetof(Elf64_Ehdr, e_shoff), "e_shoff is 0");
	if (le16(d + offsetof(Elf64_Ehdr, e_shentsize)) != SHDR_SIZE)
		return reject(diag, JD_ELF_E_BAD_SHENTSIZE, offsetof(Elf64_Ehdr, e_shentsize), "e_shentsize is %u",
			      le16(d + offsetof(Elf64_Ehdr, e_shentsize)));
	if (!in_bounds(shoff, SHDR_SIZE, e->size))
		return reject(diag, JD_ELF_E_SHDRS_OUT_OF_BOUNDS, offsetof(Elf64_Ehdr, e_shoff),
			      "section header table at 0x%llx, file is 0x%zx bytes", (unsigned long long)shoff, e->size);
	/* Extended numbering: the real counts live in section 0. */
	if (shnum == 0)
		shnum = le64(d + shoff + offsetof(Elf64_Shdr, sh_size));
	if (shstrndx == SHN_XINDEX)
		shstrndx = le32(d + shoff + offsetof(Elf64_Shdr, sh_link));
	if (shnum == 0)
		return reject(diag, JD_ELF_E_NO_SECTIONS, offsetof(Elf64_Ehdr, e_shnum), "no sections");
	if (shnum > JD_ELF_MAX_SECTIONS)
		return reject(diag, JD_ELF_E_TOO_MANY_SECTIONS, offsetof(Elf64_Ehdr, e_shnum), "%llu sections, at most %u",
			      (unsigned long long)shnum, JD_ELF_MAX_SECTIONS);
	if (!in_bounds(shoff, shnum * SHDR_SIZE, e->size))
		return reject(diag, JD_ELF_E_SHDRS_OUT_OF_BOUNDS, offsetof(Elf64_Ehdr, e_shoff),
			      "%llu section headers at 0x%llx run past the end (0x%zx)", (unsigned long long)shnum,
			      (unsigned long long)shoff, e->size);
	if (shstrndx == SHN_UNDEF || shstrndx >= shnum)
		return reject(diag, JD_ELF_E_BAD_SHSTRNDX, offsetof(Elf64_Ehdr, e_shstrndx), "e_shstrndx %u of %llu",
			      shstrndx, (unsigned long long)shnum);

	e->shnum = shnum;
	e->secs = calloc(shnum, sizeof(*e->secs));
	if (!e->secs)
		return reject(diag, JD_ELF_E_NOMEM, 0, "out of memory for %llu sections", (unsigned long long)shnum);

	for (size_t i = 0; i < shnum; i++) {
		const uint8_t *h = d + shoff + i * SHDR_SIZE;
		uint64_t hoff = shoff + i * SHDR_SIZE;
		struct jd_elf_section *s = &e->secs[i];
		s->index = (uint32_t)i;
		s->type = le32(h + offsetof(Elf64_Shdr, sh_type));
		s->flags = le64(h + offsetof(Elf64_Shdr, sh_flags));
		s->addr = le64(h + offsetof(Elf64_Shdr, sh_addr));
		s->offset = le64(h + offsetof(Elf64_Shdr, sh_offset));
		s->size = le64(h + offsetof(Elf64_Shdr, sh_size));
		s->link = le32(h + offsetof(Elf64_Shdr, sh_link));
		s->info = le32(h + offsetof(Elf64_Shdr, sh_info));
		s->align = le64(h + offsetof(Elf64_Shdr, sh_addralign));
		s->entsize = le64(h + offsetof(Elf64_Shdr, sh_entsize));
		if (i == 0)
			continue; /* SHN_UNDEF; may hold extended counts */
		if (s->type != SHT_NOBITS && !in_bounds(s->offset, s->size, e->size))
			return reject(diag, JD_ELF_E_SECTION_OUT_OF_BOUNDS, hoff,
				      "section %zu: bytes 0x%llx+0x%llx run past the end (0x%zx)", i,
				      (unsigned long long)s->offset, (unsigned long long)s->size, e->size);
		if ((s->flags & SHF_ALLOC) && s->addr + s->size < s->addr)
			return reject(diag, JD_ELF_E_SECTION_OUT_OF_BOUNDS, hoff,
				      "section %zu: address 0x%llx + size 0x%llx wraps", i, (unsigned long long)s->addr,
				      (unsigned long long)s->size);
		if (s->align & (s->align - 1))
			return reject(diag, JD_ELF_E_BAD_ALIGN, hoff, "section %zu: alignment %llu", i,
				      (unsigned long long)s->align);
	}

	int err = 0;
	if (!(flags & JD_ELF_SECTIONS_ONLY) && (err = check_overlaps(e, shoff, diag)))
		return err;

	const struct jd_elf_section *shstr = &e->secs[shstrndx];
	if ((err = check_strtab(e, shstr, diag)))
		return err;
	const char *names = (const char *)d + shstr->offset;
	for (size_t i = 0; i < shnum; i++) {
		uint32_t n = le32(d + shoff + i * SHDR_SIZE + offsetof(Elf64_Shdr, sh_name));
		if (n >= shstr->size)
			return reject(diag, JD_ELF_E_BAD_NAME, shoff + i * SHDR_SIZE,
				      "section %zu: name offset %u past the name table (%llu)", i, n,
				      (unsigned long long)shstr->size);
		e->secs[i].name = names + n;
	}
	if (flags & JD_ELF_SECTIONS_ONLY) {
		/* The build-id only (notes are small and few): a malformed note ends the search, it does
		 * not reject the object. */
		static const struct diag silent = {NULL, 0};
		for (size_t i = 1; i < shnum && !e->build_id; i++)
			if (e->secs[i].type == SHT_NOTE)
				parse_notes(e, &e->secs[i], &silent);
		return 0;
	}

	for (size_t i = 1; i < shnum; i++) {
		const struct jd_elf_section *s = &e->secs[i];
		if (s->type == SHT_SYMTAB && !e->syms && (err = parse_symtab(e, s, diag)))
			return err;
		if (s->type == SHT_NOTE && (err = parse_notes(e, s, diag)))
			return err;
	}
	return 0;
}

struct jd_elf *jd_elf_open(const void *data, size_t size, const struct jd_elf_open_opts *opts, char *err,
			   size_t errlen)
{
	const struct diag d = {err, errlen}, *diag = &d;
	struct jd_elf *e;
	uint32_t flags = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!JD_OPTS_VALID(opts, sizeof(size_t)) || (JD_OPTS_GET(opts, flags, 0) & ~JD_ELF_SECTIONS_ONLY)) {
		if (err && errlen)
			snprintf(err, errlen, "bad jd_elf_open_opts (size or unknown flags)");
		errno = EINVAL;
		return NULL;
	}
	flags = JD_OPTS_GET(opts, flags, 0);
	enum jd_elf_error *rejected = JD_OPTS_GET(opts, rejected, NULL);
	if (rejected)
		*rejected = JD_ELF_OK;
	if (!data && size) {
		if (err && errlen)
			snprintf(err, errlen, "no bytes for a %zu-byte object", size);
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		reject(diag, JD_ELF_E_NOMEM, 0, "out of memory");
		if (rejected)
			*rejected = JD_ELF_E_NOMEM;
		errno = ENOMEM;
		return NULL;
	}
	e->data = data;
	e->size = size;
	int rc = parse(e, flags, diag);
	if (rc) {
		jd_elf_close(e);
		if (rejected)
			*rejected = (enum jd_elf_error)-rc;
		errno = rc == -JD_ELF_E_NOMEM ? ENOMEM : EINVAL;
		return NULL;
	}
	return e;
}

void jd_elf_close(struct jd_elf *elf)
{
	if (!elf)
		return;
	free(elf->secs);
	free(elf);
}

uint16_t jd_elf_machine(const struct jd_elf *elf) { return elf->machine; }
uint16_t jd_elf_type(const struct jd_elf *elf) { return elf->type; }
size_t jd_elf_section_count(const struct jd_elf *elf) { return elf->shnum; }
size_t jd_elf_symbol_count(const struct jd_elf *elf) { return elf->nsyms; }

int jd_elf_section(const struct jd_elf *elf, size_t index, struct jd_elf_section *out)
{
	if (index >= elf->shnum)
		return -ENOENT;
	*out = elf->secs[index];
	return 0;
}

int jd_elf_section_by_name(const struct jd_elf *elf, const char *name, struct jd_elf_section *out)
{
	for (size_t i = 1; i < elf->shnum; i++) {
		if (strcmp(elf->secs[i].name, name) == 0) {
			*out = elf->secs[i];
			return 0;
		}
	}
	return -ENOENT;
}

int jd_elf_symbol(const struct jd_elf *elf, size_t index, struct jd_elf_symbol *out)
{
	if (index >= elf->nsyms)
		return -ENOENT;
	const uint8_t *sym = elf->syms + index * SYM_SIZE;
	uint8_t info = sym[offsetof(Elf64_Sym, st_info)];
	uint16_t shndx = le16(sym + offsetof(Elf64_Sym, st_shndx));
	uint64_t value = le64(sym + offsetof(Elf64_Sym, st_value));
	uint64_t real = shndx == SHN_XINDEX ? le32(elf->xindex + index * 4) : shndx;

	out->name = elf->strtab + le32(sym + offsetof(Elf64_Sym, st_name));
	out->size = le64(sym + offsetof(Elf64_Sym, st_size));
	out->shndx = shndx;
	out->type = ELF64_ST_TYPE(info);
	out->bind = ELF64_ST_BIND(info);
	if (shndx == SHN_ABS) {
		out->addr = value;
		out->defined = 1;
	} else if (shndx == SHN_UNDEF || (shndx >= SHN_LORESERVE && shndx != SHN_XINDEX)) {
		out->addr = 0;
		out->defined = 0;
	} else {
		/* Relocatable objects hold section-relative values; executables and libraries absolute ones. */
		out->addr = elf->type == ET_REL ? elf->secs[real].addr + value : value;
		out->defined = 1;
	}
	return 0;
}

int jd_gdb_add_symbol_file(const void *data, size_t size, const char *path, char *out, size_t len, char *err,
			   size_t errlen)
{
	static const struct jd_elf_open_opts light = {.sz = sizeof(light), .flags = JD_ELF_SECTIONS_ONLY};
	char why[256];
	struct jd_elf *elf = jd_elf_open(data, size, &light, why, sizeof(why));
	if (!elf) {
		snprintf(err, errlen, "not a JIT debug object: %s", why);
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	}
	int rc = 0;
	uint16_t phnum = (uint16_t)le16(elf->data + offsetof(Elf64_Ehdr, e_phnum)); /* the header was checked */
	if (elf->type == ET_CORE || phnum) {
		/* A core, an executable or a shared library: GDB loads those itself (core-file, file). */
		snprintf(err, errlen, "not a JIT debug object: %s",
			 elf->type == ET_CORE ? "a core file (use `jitdebug core` to extract its JIT objects)"
					      : "a linked program or library with program headers (GDB's `file` loads it)");
		rc = -EINVAL;
	} else {
		int n = 0;
		size_t at = (size_t)snprintf(out, len, "add-symbol-file %s", path);
		for (size_t i = 1; i < elf->shnum && at < len; i++) {
			const struct jd_elf_section *s = &elf->secs[i];
			if (!(s->flags & SHF_ALLOC) || s->addr == 0 || !*s->name || strpbrk(s->name, " \t\n'\""))
				continue;
			at += (size_t)snprintf(out + at, len - at, " -s %s 0x%llx", s->name, (unsigned long long)s->addr);
			n++;
		}
		if (n == 0) {
			snprintf(err, errlen, "no allocated section has a load address");
			rc = -ENOENT;
		} else if (at >= len) {
			snprintf(err, errlen, "too many sections for one command of %zu bytes", len);
			rc = -ERANGE; /* the caller's buffer is too small */
		}
	}
	jd_elf_close(elf);
	return rc;
}

int jd_elf_first_symbol(const struct jd_elf *elf, struct jd_elf_symbol *out)
{
	int have_object = 0;
	for (size_t i = 0; i < elf->nsyms; i++) {
		struct jd_elf_symbol sym;
		if (jd_elf_symbol(elf, i, &sym) != 0 || !sym.defined || !*sym.name)
			continue;
		if (sym.type == STT_FUNC) {
			*out = sym;
			return 0;
		}
		if (sym.type == STT_OBJECT && !have_object) {
			*out = sym;
			have_object = 1;
		}
	}
	return have_object ? 0 : -ENOENT;
}

int jd_object_first_symbol(const void *data, size_t size, char *out, size_t len)
{
	if (!out || len == 0)
		return -EINVAL;
	out[0] = '\0';
	struct jd_elf *elf = jd_elf_open(data, size, NULL, NULL, 0);
	if (!elf)
		return -errno;
	struct jd_elf_symbol sym;
	int err = jd_elf_first_symbol(elf, &sym);
	if (!err)
		snprintf(out, len, "%s", sym.name);
	jd_elf_close(elf);
	return err;
}

int jd_elf_rela(const struct jd_elf *elf, const struct jd_elf_section *relsec, size_t index,
		struct jd_elf_rela *out)
{
	if (relsec->index == 0 || relsec->index >= elf->shnum || relsec->type != SHT_RELA ||
	    relsec->entsize != sizeof(Elf64_Rela) || !elf->syms)
		return -EINVAL;
	const struct jd_elf_section *s = &elf->secs[relsec->index]; /* trust our copy, not the caller's */
	if (index >= s->size / sizeof(Elf64_Rela))
		return -ENOENT;
	const uint8_t *r = elf->data + s->offset + index * sizeof(Elf64_Rela);
	uint64_t info = le64(r + offsetof(Elf64_Rela, r_info));
	out->offset = le64(r + offsetof(Elf64_Rela, r_offset));
	out->type = (uint32_t)ELF64_R_TYPE(info);
	out->sym = (uint32_t)ELF64_R_SYM(info);
	out->addend = (int64_t)le64(r + offsetof(Elf64_Rela, r_addend));
	if (out->sym >= elf->nsyms)
		return -EINVAL;
	return 0;
}

int jd_elf_build_id(const struct jd_elf *elf, const uint8_t **id, size_t *len)
{
	if (!elf->build_id)
		return -ENOENT;
	*id = elf->build_id;
	*len = elf->build_id_len;
	return 0;
}

int jd_elf_alloc_range(const struct jd_elf *elf, uint64_t *lo, uint64_t *hi)
{
	uint64_t l = UINT64_MAX, h = 0;
	for (size_t i = 1; i < elf->shnum; i++) {
		const struct jd_elf_section *s = &elf->secs[i];
		if (!(s->flags & SHF_ALLOC) || s->addr == 0 || s->size == 0)
			continue;
		if (s->addr < l)
			l = s->addr;
		uint64_t end = s->size > UINT64_MAX - s->addr ? UINT64_MAX : s->addr + s->size; /* saturates */
		if (end > h)
			h = end;
	}
	if (l == UINT64_MAX)
		return -ENOENT;
	*lo = l;
	*hi = h;
	return 0;
}

/* The width of an absolute S + A relocation (what debug sections hold: addresses and offsets), or 0. */
static int debug_reloc_width(uint16_t machine, uint32_t type)
{
	switch (jd_reloc_kind(machine, type, NULL)) {
	case JD_RELOC_ABS64: return 8;
	case JD_RELOC_ABS32:
	case JD_RELOC_ABS32S: return 4;
	default: return 0;
	}
}

size_t jd_elf_apply_debug_relocations(uint8_t *copy, const struct jd_elf *elf)
{
	struct jd_elf_section rs, target;
	size_t skipped = 0;

	if (!jd_reloc_machine_known(elf->machine) || elf->type != ET_REL)
		return 0;
	for (size_t r = 1; jd_elf_section(elf, r, &rs) == 0; r++) {
		if (rs.type != SHT_RELA || jd_elf_section(elf, rs.info, &target) != 0 || (target.flags & SHF_ALLOC) ||
		    target.type == SHT_NOBITS)
			continue;
		struct jd_elf_rela rel;
		for (size_t k = 0; jd_elf_rela(elf, &rs, k, &rel) == 0; k++) {
			struct jd_elf_symbol sym;
			int width = debug_reloc_width(elf->machine, rel.type);
			if (!width || jd_elf_symbol(elf, rel.sym, &sym) != 0 || rel.offset > target.size ||
			    target.size - rel.offset < (uint64_t)width) {
				skipped++;
				continue;
			}
			jd_store_le(copy + target.offset + rel.offset, sym.addr + (uint64_t)rel.addend, width);
		}
	}
	return skipped;
}

int jd_elf_make_absolute(uint8_t *data, size_t size, size_t *unapplied, char *err, size_t errlen)
{
	struct jd_elf *elf = jd_elf_open(data, size, NULL, err, errlen);
	if (!elf)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	size_t skipped = 0;
	if (elf->type == ET_REL) {
		/* Relocations first: they read the section-relative symbol values rewritten next. */
		skipped = jd_elf_apply_debug_relocations(data, elf);
		uint8_t *syms = data + (elf->syms ? (size_t)(elf->syms - elf->data) : 0);
		for (size_t i = 0; elf->syms && i < elf->nsyms; i++) {
			struct jd_elf_symbol sym;
			if (jd_elf_symbol(elf, i, &sym) == 0 && sym.defined && sym.shndx != SHN_ABS)
				jd_store_le(syms + i * SYM_SIZE + offsetof(Elf64_Sym, st_value), sym.addr, 8);
		}
		jd_store_le(data + offsetof(Elf64_Ehdr, e_type), ET_EXEC, 2);
	}
	jd_elf_close(elf);
	if (unapplied)
		*unapplied = skipped;
	return 0;
}
