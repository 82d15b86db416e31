/* synth.c — the ELF64 + DWARF 4 object of a light JIT's functions (synth.h).
 *
 * What is written (docs/light-jit.md):
 *   - one SHT_NOBITS `.text` section per run of adjacent functions, at the code's own address, so the
 *     code is never copied and no section covers memory between distant functions;
 *   - `.symtab`/`.strtab`: one STT_FUNC symbol per function;
 *   - with any line table: `.debug_abbrev`, `.debug_info` (one CU, one DW_TAG_subprogram per
 *     function, its pc ranges in `.debug_ranges`) and `.debug_line` (one sequence per function);
 *   - with any frame rule: `.debug_frame` (one CIE, one FDE per function that has a rule).
 * No relocations: symbols are section-relative (ET_REL), as in every JIT debug object, and DWARF
 * addresses are absolute, as the sections' sh_addr are the load addresses. Sections are built in growable buffers whose capacity
 * is checked by jd_wr_reserve before each write; section indices are named (struct layout), headers
 * are <elf.h>'s structs, whose sizes are asserted below. */
#include "synth.h"

#include "wbuf.h"

#include <dwarf.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(Elf64_Ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(Elf64_Shdr) == 64, "ELF64 section header");
_Static_assert(sizeof(Elf64_Sym) == 24, "ELF64 symbol");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the writer emits the host's (little-endian) order");

#if defined(__x86_64__)
#define JD_SYNTH_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define JD_SYNTH_MACHINE EM_AARCH64
#else
#error "jitdebug's object writer knows x86-64 and AArch64"
#endif

/* Functions closer than this are put in one .text section (alignment padding between them). */
enum { RUN_GAP = 64 };

/* x86-64 DWARF register numbers (System V psABI, figure 3.36). */
enum { DW_X86_64_RBP = 6, DW_X86_64_RSP = 7, DW_X86_64_RIP = 16 };

/* The DWARF abbreviation codes this writer defines in .debug_abbrev. */
enum abbrev {
	AB_CU = 1,        /* compile unit with DW_AT_comp_dir */
	AB_CU_NODIR,      /* compile unit without it */
	AB_SUB,           /* subprogram with DW_AT_decl_file / decl_line */
	AB_SUB_NOFILE,    /* subprogram of a function without a line table */
};

/* Line-program header constants (DWARF 4, 6.2.4). */
enum { LINE_BASE = -5, LINE_RANGE = 14, OPCODE_BASE = 13 };

static int fail(char *err, size_t err_size, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t err_size, int rc, const char *fmt, ...)
{
	if (err && err_size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void wr_uleb(struct jd_wbuf *b, uint64_t v)
{
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		jd_wr_u8(b, byte | (v ? 0x80 : 0));
	} while (v);
}

static void wr_sleb(struct jd_wbuf *b, int64_t v)
{
	for (;;) {
		uint8_t byte = v & 0x7f;
		v >>= 7; /* arithmetic shift (clang, gcc) */
		int done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
		jd_wr_u8(b, byte | (done ? 0 : 0x80));
		if (done)
			return;
	}
}

static void wr_cstr(struct jd_wbuf *b, const char *s)
{
	jd_wr_bytes(b, s, strlen(s) + 1);
}

static void pad_to(struct jd_wbuf *b, size_t align, uint8_t fill)
{
	while (b->len % align && !b->oom)
		jd_wr_u8(b, fill);
}

/* Writes a u32 at an offset already reserved in b (for lengths known only at the end). */
static void patch_u32(struct jd_wbuf *b, size_t at, uint32_t v)
{
	if (!b->oom)
		memcpy(b->p + at, &v, sizeof(v));
}

/* ---- validation -------------------------------------------------------------------------------- */

struct by_addr {
	uint64_t addr;
	size_t index;
};

static int cmp_by_addr(const void *a, const void *b)
{
	const struct by_addr *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int bounded_name(const char *s)
{
	return s && *s && memchr(s, 0, JD_SYNTH_MAX_NAME + 1) != NULL;
}

static int check_function(const struct jd_function *f, size_t i, char *err, size_t es)
{
	if (!f->name || !*f->name)
		return fail(err, es, -EINVAL, "function %zu: empty name", i);
	if (!bounded_name(f->name))
		return fail(err, es, -EINVAL, "function %zu: name longer than %d bytes", i, JD_SYNTH_MAX_NAME);
	const char *nm = f->name;
	if (f->addr == 0)
		return fail(err, es, -EINVAL, "function '%s': address 0", nm);
	if (f->size == 0)
		return fail(err, es, -EINVAL, "function '%s': size 0", nm);
	if (f->size > JD_MAX_OBJECT_SIZE)
		return fail(err, es, -EINVAL, "function '%s': size 0x%llx is over the 1 GiB limit", nm,
			    (unsigned long long)f->size);
	if (f->size > UINT64_MAX - f->addr)
		return fail(err, es, -EINVAL, "function '%s': 0x%llx + 0x%llx wraps around", nm,
			    (unsigned long long)f->addr, (unsigned long long)f->size);
	if (f->reserved)
		return fail(err, es, -EINVAL, "function '%s': reserved field is not 0", nm);
	switch (f->frame) {
	case JD_FRAME_UNKNOWN:
		break;
	case JD_FRAME_RBP:
	case JD_FRAME_LEAF: {
		if (JD_SYNTH_MACHINE != EM_X86_64)
			return fail(err, es, -EINVAL, "function '%s': frame rules are x86-64 only", nm);
		uint32_t push = f->frame_push_end ? f->frame_push_end : 1;
		uint32_t setup = f->frame_setup_end ? f->frame_setup_end : 4;
		if (f->frame == JD_FRAME_RBP && !(push < setup && setup <= f->size))
			return fail(err, es, -EINVAL, "function '%s': frame offsets %u (push) and %u (setup) not in order inside %llu bytes",
				    nm, push, setup, (unsigned long long)f->size);
		break;
	}
	default:
		return fail(err, es, -EINVAL, "function '%s': unknown frame kind %u", nm, f->frame);
	}
	if (f->n_lines == 0)
		return 0;
	if (!f->lines)
		return fail(err, es, -EINVAL, "function '%s': %zu lines but no line table", nm, f->n_lines);
	if (!f->file || !*f->file)
		return fail(err, es, -EINVAL, "function '%s': a line table needs a source file", nm);
	if (!bounded_name(f->file))
		return fail(err, es, -EINVAL, "function '%s': file name longer than %d bytes", nm, JD_SYNTH_MAX_NAME);
	/* Offsets strictly increase and stay below size, so there can be no more rows than bytes. */
	if (f->n_lines > f->size)
		return fail(err, es, -EINVAL, "function '%s': %zu line rows for %llu bytes of code", nm, f->n_lines,
			    (unsigned long long)f->size);
	for (size_t k = 0; k < f->n_lines; k++) {
		if (f->lines[k].offset >= f->size)
			return fail(err, es, -EINVAL, "function '%s': line row %zu at offset %u is past its %llu bytes", nm, k,
				    f->lines[k].offset, (unsigned long long)f->size);
		if (k && f->lines[k].offset <= f->lines[k - 1].offset)
			return fail(err, es, -EINVAL, "function '%s': line rows not sorted by offset at row %zu (%u after %u)", nm,
				    k, f->lines[k].offset, f->lines[k - 1].offset);
		if (f->lines[k].line == 0)
			return fail(err, es, -EINVAL, "function '%s': line row %zu has line 0", nm, k);
	}
	return 0;
}

/* ---- file table: distinct source files, 1-based indices for .debug_line ------------------------ */

struct files {
	const char **name; /* slot -> name */
	uint32_t *index;   /* slot -> 1-based file index */
	size_t cap, n;
	const char **order; /* index - 1 -> name */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

/* The 1-based index of file, added if new; 0 when out of memory. */
static uint32_t files_add(struct files *t, const char *file)
{
	size_t slot = hash_str(file) & (t->cap - 1);
	while (t->name[slot]) {
		if (strcmp(t->name[slot], file) == 0)
			return t->index[slot];
		slot = (slot + 1) & (t->cap - 1);
	}
	t->name[slot] = file;
	t->order[t->n] = file;
	return t->index[slot] = (uint32_t)++t->n;
}

/* ---- the object ---------------------------------------------------------------------------------- */

struct section {
	uint32_t name;          /* offset in .shstrtab */
	uint32_t type;
	uint64_t flags, addr;
	struct jd_wbuf *data;   /* contents (NULL for NOBITS) */
	uint64_t nobits_size;
	uint32_t link, info;
	uint64_t align, entsize;
	uint64_t offset;        /* file offset of the contents (assemble) */
};

/* Section indices, named; 0 means "not in this object". Text sections are text0 .. text0+ntext-1. */
struct layout {
	uint32_t shstrtab, strtab, symtab, abbrev, info, line, ranges, frame, text0, ntext, count;
};

struct writer {
	const struct jd_function *f;
	size_t n;
	size_t *order;          /* function indices in address order */
	uint32_t *run_of;       /* function index -> text run */
	uint32_t *file_of;      /* function index -> 1-based file index, 0 without lines */
	struct files files;
	struct layout L;
	struct jd_wbuf shstrtab, strtab, symtab, abbrev, info, line, ranges, frame;
	struct section *sec;
};

static uint32_t shstr_add(struct writer *w, const char *name)
{
	uint32_t off = (uint32_t)w->shstrtab.len;
	wr_cstr(&w->shstrtab, name);
	return off;
}

/* A section with contents (not allocated: only .text is, and it is NOBITS). */
static void data_section(struct writer *w, uint32_t index, const char *name, uint32_t type, struct jd_wbuf *data,
			 uint32_t link, uint32_t info, uint64_t align, uint64_t entsize)
{
	w->sec[index] = (struct section){
		.name = shstr_add(w, name), .type = type, .data = data,
		.link = link, .info = info, .align = align, .entsize = entsize,
	};
}

static void write_abbrevs(struct jd_wbuf *b)
{
	static const struct {
		uint8_t code, tag, children;
		uint16_t attr[9][2];
	} table[] = {
		{AB_CU, DW_TAG_compile_unit, DW_CHILDREN_yes,
		 {{DW_AT_producer, DW_FORM_string}, {DW_AT_language, DW_FORM_data2}, {DW_AT_name, DW_FORM_string},
		  {DW_AT_comp_dir, DW_FORM_string}, {DW_AT_low_pc, DW_FORM_addr}, {DW_AT_ranges, DW_FORM_sec_offset},
		  {DW_AT_stmt_list, DW_FORM_sec_offset}}},
		{AB_CU_NODIR, DW_TAG_compile_unit, DW_CHILDREN_yes,
		 {{DW_AT_producer, DW_FORM_string}, {DW_AT_language, DW_FORM_data2}, {DW_AT_name, DW_FORM_string},
		  {DW_AT_low_pc, DW_FORM_addr}, {DW_AT_ranges, DW_FORM_sec_offset}, {DW_AT_stmt_list, DW_FORM_sec_offset}}},
		{AB_SUB, DW_TAG_subprogram, DW_CHILDREN_no,
		 {{DW_AT_name, DW_FORM_string}, {DW_AT_low_pc, DW_FORM_addr}, {DW_AT_high_pc, DW_FORM_data8},
		  {DW_AT_frame_base, DW_FORM_exprloc}, {DW_AT_external, DW_FORM_flag_present},
		  {DW_AT_decl_file, DW_FORM_udata}, {DW_AT_decl_line, DW_FORM_udata}}},
		{AB_SUB_NOFILE, DW_TAG_subprogram, DW_CHILDREN_no,
		 {{DW_AT_name, DW_FORM_string}, {DW_AT_low_pc, DW_FORM_addr}, {DW_AT_high_pc, DW_FORM_data8},
		  {DW_AT_frame_base, DW_FORM_exprloc}, {DW_AT_external, DW_FORM_flag_present}}},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		wr_uleb(b, table[i].code);
		wr_uleb(b, table[i].tag);
		jd_wr_u8(b, table[i].children);
		for (size_t a = 0; a < 9 && table[i].attr[a][0]; a++) {
			wr_uleb(b, table[i].attr[a][0]);
			wr_uleb(b, table[i].attr[a][1]);
		}
		jd_wr_u16(b, 0); /* end of attributes */
	}
	jd_wr_u8(b, 0); /* end of abbreviations */
}

static void write_info(struct writer *w, const struct jd_synth_opts *o)
{
	struct jd_wbuf *b = &w->info;
	size_t len_at = b->len;
	jd_wr_u32(b, 0); /* unit_length, patched */
	jd_wr_u16(b, 4); /* DWARF 4 */
	jd_wr_u32(b, 0); /* debug_abbrev_offset */
	jd_wr_u8(b, 8);  /* address_size */

	const char *cu_name = w->files.n ? w->files.order[0] : w->f[w->order[0]].name;
	wr_uleb(b, o->comp_dir ? AB_CU : AB_CU_NODIR);
	wr_cstr(b, o->producer ? o->producer : "jitdebug");
	jd_wr_u16(b, DW_LANG_C99);
	wr_cstr(b, cu_name);
	if (o->comp_dir)
		wr_cstr(b, o->comp_dir);
	jd_wr_u64(b, 0); /* low_pc: base address of the ranges list */
	jd_wr_u32(b, 0); /* ranges: offset in .debug_ranges */
	jd_wr_u32(b, 0); /* stmt_list: offset in .debug_line */
	for (size_t k = 0; k < w->n; k++) {
		size_t i = w->order[k];
		const struct jd_function *f = &w->f[i];
		wr_uleb(b, w->file_of[i] ? AB_SUB : AB_SUB_NOFILE);
		wr_cstr(b, f->name);
		jd_wr_u64(b, f->addr);
		jd_wr_u64(b, f->size);
		wr_uleb(b, 1);
		jd_wr_u8(b, DW_OP_call_frame_cfa);
		if (w->file_of[i]) {
			wr_uleb(b, w->file_of[i]);
			wr_uleb(b, f->lines[0].line);
		}
		jd_wr_u64(&w->ranges, f->addr);
		jd_wr_u64(&w->ranges, f->addr + f->size);
	}
	jd_wr_u8(b, 0); /* end of the CU's children */
	jd_wr_u64(&w->ranges, 0);
	jd_wr_u64(&w->ranges, 0);
	patch_u32(b, len_at, (uint32_t)(b->len - len_at - 4));
}

static void write_line(struct writer *w)
{
	static const uint8_t std_lengths[OPCODE_BASE - 1] = {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1};
	struct jd_wbuf *b = &w->line;
	jd_wr_u32(b, 0); /* unit_length, patched */
	jd_wr_u16(b, 4);
	size_t hdr_at = b->len;
	jd_wr_u32(b, 0); /* header_length, patched */
	jd_wr_u8(b, 1);  /* minimum_instruction_length */
	jd_wr_u8(b, 1);  /* maximum_operations_per_instruction */
	jd_wr_u8(b, 1);  /* default_is_stmt */
	jd_wr_u8(b, (uint8_t)(int8_t)LINE_BASE);
	jd_wr_u8(b, LINE_RANGE);
	jd_wr_u8(b, OPCODE_BASE);
	jd_wr_bytes(b, std_lengths, sizeof(std_lengths));
	jd_wr_u8(b, 0); /* include_directories: none besides the compilation directory */
	for (size_t i = 0; i < w->files.n; i++) {
		wr_cstr(b, w->files.order[i]);
		wr_uleb(b, 0); /* directory: the compilation directory */
		wr_uleb(b, 0); /* mtime */
		wr_uleb(b, 0); /* length */
	}
	jd_wr_u8(b, 0);
	patch_u32(b, hdr_at, (uint32_t)(b->len - hdr_at - 4));

	for (size_t k = 0; k < w->n; k++) {
		size_t i = w->order[k];
		const struct jd_function *f = &w->f[i];
		if (!w->file_of[i])
			continue;
		jd_wr_u8(b, 0); /* extended: DW_LNE_set_address */
		wr_uleb(b, 9);
		jd_wr_u8(b, DW_LNE_set_address);
		jd_wr_u64(b, f->addr);
		jd_wr_u8(b, DW_LNS_set_file);
		wr_uleb(b, w->file_of[i]);
		uint64_t line = 1, off = 0;
		for (size_t r = 0; r < f->n_lines; r++) {
			if (f->lines[r].line != line) {
				jd_wr_u8(b, DW_LNS_advance_line);
				wr_sleb(b, (int64_t)f->lines[r].line - (int64_t)line);
				line = f->lines[r].line;
			}
			if (f->lines[r].offset != off) {
				jd_wr_u8(b, DW_LNS_advance_pc);
				wr_uleb(b, f->lines[r].offset - off);
				off = f->lines[r].offset;
			}
			jd_wr_u8(b, DW_LNS_copy);
		}
		jd_wr_u8(b, DW_LNS_advance_pc);
		wr_uleb(b, f->size - off);
		jd_wr_u8(b, 0); /* extended: DW_LNE_end_sequence */
		wr_uleb(b, 1);
		jd_wr_u8(b, DW_LNE_end_sequence);
	}
	patch_u32(b, 0, (uint32_t)(b->len - 4));
}

static void cfa_advance(struct jd_wbuf *b, uint32_t delta)
{
	if (delta < 0x40) {
		jd_wr_u8(b, DW_CFA_advance_loc | delta);
	} else if (delta <= 0xffff) {
		jd_wr_u8(b, DW_CFA_advance_loc2);
		jd_wr_u16(b, (uint16_t)delta);
	} else {
		jd_wr_u8(b, DW_CFA_advance_loc4);
		jd_wr_u32(b, delta);
	}
}

/* .debug_frame: a version-1 CIE with the x86-64 state at a call (CFA = %rsp + 8, return address at
 * CFA - 8), then an FDE for each function with a frame rule. */
static void write_frame(struct writer *w)
{
	struct jd_wbuf *b = &w->frame;
	size_t at = b->len;
	jd_wr_u32(b, 0);          /* length, patched */
	jd_wr_u32(b, 0xffffffff); /* CIE_id */
	jd_wr_u8(b, 1);           /* version */
	jd_wr_u8(b, 0);           /* augmentation "" */
	wr_uleb(b, 1);            /* code_alignment_factor */
	wr_sleb(b, -8);           /* data_alignment_factor */
	jd_wr_u8(b, DW_X86_64_RIP);
	jd_wr_u8(b, DW_CFA_def_cfa);
	wr_uleb(b, DW_X86_64_RSP);
	wr_uleb(b, 8);
	jd_wr_u8(b, DW_CFA_offset | DW_X86_64_RIP);
	wr_uleb(b, 1);
	pad_to(b, 8, DW_CFA_nop);
	patch_u32(b, at, (uint32_t)(b->len - at - 4));

	for (size_t k = 0; k < w->n; k++) {
		const struct jd_function *f = &w->f[w->order[k]];
		if (f->frame == JD_FRAME_UNKNOWN)
			continue;
		at = b->len;
		jd_wr_u32(b, 0); /* length, patched */
		jd_wr_u32(b, 0); /* CIE_pointer: the CIE at offset 0 */
		jd_wr_u64(b, f->addr);
		jd_wr_u64(b, f->size);
		if (f->frame == JD_FRAME_RBP) {
			uint32_t push = f->frame_push_end ? f->frame_push_end : 1;
			uint32_t setup = f->frame_setup_end ? f->frame_setup_end : 4;
			cfa_advance(b, push);
			jd_wr_u8(b, DW_CFA_def_cfa_offset);
			wr_uleb(b, 16);
			jd_wr_u8(b, DW_CFA_offset | DW_X86_64_RBP);
			wr_uleb(b, 2);
			cfa_advance(b, setup - push);
			jd_wr_u8(b, DW_CFA_def_cfa_register);
			wr_uleb(b, DW_X86_64_RBP);
		}
		pad_to(b, 8, DW_CFA_nop);
		patch_u32(b, at, (uint32_t)(b->len - at - 4));
	}
}

static void write_symbols(struct writer *w)
{
	jd_wr_u8(&w->strtab, 0);
	Elf64_Sym null = {0};
	jd_wr_bytes(&w->symtab, &null, sizeof(null));
	for (size_t k = 0; k < w->n; k++) {
		size_t i = w->order[k];
		Elf64_Sym s = {
			.st_name = (uint32_t)w->strtab.len,
			.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			.st_shndx = (uint16_t)(w->L.text0 + w->run_of[i]),
			/* ET_REL: relative to the section, whose sh_addr is the load address */
			.st_value = w->f[i].addr - w->sec[w->L.text0 + w->run_of[i]].addr,
			.st_size = w->f[i].size,
		};
		wr_cstr(&w->strtab, w->f[i].name);
		jd_wr_bytes(&w->symtab, &s, sizeof(s));
	}
}

/* Groups functions (in address order) into runs, one .text section each: sets run_of, returns the
 * run count. Functions are sorted and do not overlap, so a run ends at its last function's end. */
static uint32_t assign_runs(struct writer *w)
{
	uint32_t nrun = 0;
	uint64_t end = 0;
	for (size_t k = 0; k < w->n; k++) {
		const struct jd_function *f = &w->f[w->order[k]];
		if (nrun == 0 || f->addr > end + RUN_GAP)
			nrun++;
		end = f->addr + f->size;
		w->run_of[w->order[k]] = nrun - 1;
	}
	return nrun;
}

/* Each run's .text covers its first function's start to its last function's end. */
static void place_runs(struct writer *w, struct section *text)
{
	for (size_t k = w->n; k-- > 0;) {
		const struct jd_function *f = &w->f[w->order[k]];
		struct section *t = &text[w->run_of[w->order[k]]];
		if (!t->nobits_size)
			t->nobits_size = f->addr + f->size; /* the run's end: its last function, seen first */
		t->addr = f->addr;
	}
	for (uint32_t r = 0; r < w->L.ntext; r++)
		text[r].nobits_size -= text[r].addr;
}

static int assemble(struct writer *w, uint8_t **out, size_t *size)
{
	struct jd_wbuf file = {0};
	Elf64_Ehdr eh = {0};
	jd_wr_reserve(&file, sizeof(eh)); /* written last */
	for (uint32_t s = 1; s < w->L.count; s++) {
		struct section *sec = &w->sec[s];
		if (!sec->data)
			continue;
		pad_to(&file, sec->align ? sec->align : 1, 0);
		sec->offset = file.len;
		jd_wr_bytes(&file, sec->data->p, sec->data->len);
	}
	pad_to(&file, 8, 0);
	uint64_t shoff = file.len;
	Elf64_Shdr null = {0};
	jd_wr_bytes(&file, &null, sizeof(null));
	for (uint32_t s = 1; s < w->L.count; s++) {
		const struct section *sec = &w->sec[s];
		Elf64_Shdr sh = {
			.sh_name = sec->name,
			.sh_type = sec->type,
			.sh_flags = sec->flags,
			.sh_addr = sec->addr,
			.sh_offset = sec->offset,
			.sh_size = sec->data ? sec->data->len : sec->nobits_size,
			.sh_link = sec->link,
			.sh_info = sec->info,
			.sh_addralign = sec->align,
			.sh_entsize = sec->entsize,
		};
		jd_wr_bytes(&file, &sh, sizeof(sh));
	}
	if (file.oom) {
		jd_wr_free(&file);
		return -ENOMEM;
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_REL;
	eh.e_machine = JD_SYNTH_MACHINE;
	eh.e_version = EV_CURRENT;
	eh.e_shoff = shoff;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = (uint16_t)w->L.count;
	eh.e_shstrndx = (uint16_t)w->L.shstrtab;
	memcpy(file.p, &eh, sizeof(eh));
	*out = file.p;
	*size = file.len;
	return 0;
}

static void writer_free(struct writer *w)
{
	free(w->order);
	free(w->run_of);
	free(w->file_of);
	free(w->files.name);
	free(w->files.index);
	free(w->files.order);
	free(w->sec);
	struct jd_wbuf *bufs[] = {&w->shstrtab, &w->strtab, &w->symtab, &w->abbrev, &w->info, &w->line, &w->ranges, &w->frame};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		jd_wr_free(bufs[i]);
}

/* e_shnum is a u16 (no extended numbering here): sections per object, text runs included. */
enum { MAX_SECTIONS = SHN_LORESERVE - 1 };

int jd_synth_object(const struct jd_function *fns, size_t n, const struct jd_synth_opts *opts, uint8_t **out,
		    size_t *size, char *err, size_t es)
{
	static const struct jd_synth_opts no_opts;
	const struct jd_synth_opts *o = opts ? opts : &no_opts;
	if (err && es)
		err[0] = 0;
	if (!fns || n == 0)
		return fail(err, es, -EINVAL, "no functions");
	if (n > JD_SYNTH_MAX_FUNCTIONS)
		return fail(err, es, -E2BIG, "%zu functions: more than %d in one object", n, JD_SYNTH_MAX_FUNCTIONS);
	if (o->comp_dir && !bounded_name(o->comp_dir))
		return fail(err, es, -EINVAL, "compilation directory empty or longer than %d bytes", JD_SYNTH_MAX_NAME);
	if (o->producer && !bounded_name(o->producer))
		return fail(err, es, -EINVAL, "producer empty or longer than %d bytes", JD_SYNTH_MAX_NAME);
	int rc;
	int any_lines = 0, any_frame = 0;
	for (size_t i = 0; i < n; i++) {
		if ((rc = check_function(&fns[i], i, err, es)) != 0)
			return rc;
		any_lines |= fns[i].n_lines > 0;
		any_frame |= fns[i].frame != JD_FRAME_UNKNOWN;
	}

	struct writer w = {.f = fns, .n = n};
	w.order = malloc(n * sizeof(*w.order));
	w.run_of = calloc(n, sizeof(*w.run_of));
	w.file_of = calloc(n, sizeof(*w.file_of));
	w.files.cap = 16;
	while (w.files.cap < 2 * n)
		w.files.cap *= 2;
	w.files.name = calloc(w.files.cap, sizeof(*w.files.name));
	w.files.index = calloc(w.files.cap, sizeof(*w.files.index));
	w.files.order = calloc(n, sizeof(*w.files.order));
	if (!w.order || !w.run_of || !w.file_of || !w.files.name || !w.files.index || !w.files.order) {
		writer_free(&w);
		return -ENOMEM;
	}
	struct by_addr *sorted = malloc(n * sizeof(*sorted));
	if (!sorted) {
		writer_free(&w);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = (struct by_addr){fns[i].addr, i};
	qsort(sorted, n, sizeof(*sorted), cmp_by_addr);
	for (size_t k = 0; k < n; k++)
		w.order[k] = sorted[k].index;
	free(sorted);
	for (size_t k = 1; k < n; k++) {
		const struct jd_function *a = &fns[w.order[k - 1]], *b = &fns[w.order[k]];
		if (b->addr < a->addr + a->size) {
			writer_free(&w);
			return fail(err, es, -EINVAL, "functions '%s' and '%s' overlap", a->name, b->name);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (fns[i].n_lines)
			w.file_of[i] = files_add(&w.files, fns[i].file);

	uint32_t nrun = assign_runs(&w);
	/* Named indices: fixed sections first, then the text runs, then the debug sections present. */
	struct layout *L = &w.L;
	uint32_t next = 1;
	L->shstrtab = next++;
	L->strtab = next++;
	L->symtab = next++;
	L->text0 = next;
	L->ntext = nrun;
	next += nrun;
	if (any_lines) {
		L->abbrev = next++;
		L->info = next++;
		L->line = next++;
		L->ranges = next++;
	}
	if (any_frame)
		L->frame = next++;
	L->count = next;
	if (L->count > MAX_SECTIONS) {
		writer_free(&w);
		return fail(err, es, -E2BIG, "functions spread over %u separate address runs: more than one object can hold",
			    nrun);
	}
	w.sec = calloc(L->count, sizeof(*w.sec));
	if (!w.sec) {
		writer_free(&w);
		return -ENOMEM;
	}
	place_runs(&w, &w.sec[L->text0]);

	jd_wr_u8(&w.shstrtab, 0);
	data_section(&w, L->shstrtab, ".shstrtab", SHT_STRTAB, &w.shstrtab, 0, 0, 1, 0);
	data_section(&w, L->strtab, ".strtab", SHT_STRTAB, &w.strtab, 0, 0, 1, 0);
	data_section(&w, L->symtab, ".symtab", SHT_SYMTAB, &w.symtab, L->strtab, 1, 8, sizeof(Elf64_Sym));
	for (uint32_t r = 0; r < nrun; r++) {
		char name[32];
		if (r == 0)
			snprintf(name, sizeof(name), ".text");
		else
			snprintf(name, sizeof(name), ".text.%u", r);
		struct section *t = &w.sec[L->text0 + r];
		t->name = shstr_add(&w, name);
		t->type = SHT_NOBITS;
		t->flags = SHF_ALLOC | SHF_EXECINSTR;
		t->align = 1; /* the JIT's addresses need not be aligned */
	}
	if (any_lines) {
		data_section(&w, L->abbrev, ".debug_abbrev", SHT_PROGBITS, &w.abbrev, 0, 0, 1, 0);
		data_section(&w, L->info, ".debug_info", SHT_PROGBITS, &w.info, 0, 0, 1, 0);
		data_section(&w, L->line, ".debug_line", SHT_PROGBITS, &w.line, 0, 0, 1, 0);
		data_section(&w, L->ranges, ".debug_ranges", SHT_PROGBITS, &w.ranges, 0, 0, 1, 0);
		write_abbrevs(&w.abbrev);
		write_info(&w, o);
		write_line(&w);
	}
	if (any_frame) {
		data_section(&w, L->frame, ".debug_frame", SHT_PROGBITS, &w.frame, 0, 0, 8, 0);
		write_frame(&w);
	}
	write_symbols(&w);

	rc = -ENOMEM;
	int oom = w.shstrtab.oom || w.strtab.oom || w.symtab.oom || w.abbrev.oom || w.info.oom || w.line.oom ||
		  w.ranges.oom || w.frame.oom;
	if (!oom && w.info.len > UINT32_MAX / 2)
		rc = fail(err, es, -E2BIG, "debug information larger than 32-bit DWARF holds");
	else if (!oom)
		rc = assemble(&w, out, size);
	writer_free(&w);
	return rc;
}
