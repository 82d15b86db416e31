/* test_elf.c — jitdebug/elf.c, the core ELF reader: valid objects (built here, and the clang-compiled
 * fixtures given as arguments), one named test per rejection rule, and the absolute copy that LLDB
 * loads (jd_elf_make_absolute) of a light-JIT object and of the first fixture. */
#include "check.h"
#include "dwarf-lines.h"
#include "elfbuild.h"
#include "objfile.h"
#include "jitdebug.h"
#include "synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *fixture_paths[4];
static int nfixtures;

/* The rejection's kind, as jd_elf_open_opts.rejected gives it; the message must name the same kind
 * ("NAME: DETAIL (file offset …)"). */
static enum jd_elf_error open_code(struct eb *b)
{
	char err[256];
	enum jd_elf_error code = JD_ELF_E__COUNT;
	struct jd_elf_open_opts o = {.sz = sizeof(o), .rejected = &code};
	struct jd_elf *e = jd_elf_open(b->buf, b->size, &o, err, sizeof(err));
	if (e) {
		jd_elf_close(e);
		CHECK(code == JD_ELF_OK, "accepted, yet rejected says %d", (int)code);
		return JD_ELF_OK;
	}
	CHECK(errno == EINVAL, "errno %d", errno);
	CHECK(code > JD_ELF_OK && code < JD_ELF_E__COUNT, "no rejection kind (%d)", (int)code);
	const char *name = jd_elf_strerror(code);
	CHECK(strncmp(err, name, strlen(name)) == 0 && err[strlen(name)] == ':', "\"%s\" does not name %s", err, name);
	CHECK(strstr(err, " (file offset 0x") != NULL, "no offset in \"%s\"", err);
	return code;
}

#define EXPECT_REJECT(b, code) CHECK(open_code(b) == (code), "expected %s", jd_elf_strerror(code))

static void valid_sections_and_symbols(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	char d[256];
	struct jd_elf *e = jd_elf_open(b.buf, b.size, NULL, d, sizeof(d));
	CHECK(e != NULL, "%s", d);
	if (!e)
		return;
	CHECK(jd_elf_section_count(e) == EB_NSECS, "%zu", jd_elf_section_count(e));
	struct jd_elf_section s;
	CHECK(jd_elf_section_by_name(e, ".text", &s) == 0 && s.addr == 0x7f0000001000 && s.size == 8, "text");
	CHECK(jd_elf_section_by_name(e, ".bss", &s) == 0 && s.type == SHT_NOBITS && s.addr == 0, "bss");
	CHECK(jd_elf_section(e, EB_NSECS, &s) == -ENOENT, "past end");
	CHECK(jd_elf_symbol_count(e) == EB_NSYMS, "%zu", jd_elf_symbol_count(e));
	struct jd_elf_symbol sym;
	CHECK(jd_elf_symbol(e, EB_SYM_FUNC, &sym) == 0 && strcmp(sym.name, "jd_func") == 0 &&
		      sym.addr == 0x7f0000001000 && sym.type == STT_FUNC && sym.defined, "func %s %llx", sym.name,
	      (unsigned long long)sym.addr);
	CHECK(jd_elf_symbol(e, EB_SYM_DATA, &sym) == 0 && sym.addr == 0x7f0000002000, "data %llx",
	      (unsigned long long)sym.addr);
	CHECK(jd_elf_symbol(e, EB_SYM_ABS, &sym) == 0 && sym.addr == 0x1234 && sym.defined, "abs");
	const uint8_t *id;
	size_t idlen;
	CHECK(jd_elf_build_id(e, &id, &idlen) == 0 && idlen == 8 && id[0] == 1 && id[7] == 8, "build-id");
	uint64_t lo, hi;
	CHECK(jd_elf_alloc_range(e, &lo, &hi) == 0 && lo == 0x7f0000001000 && hi == 0x7f0000002004, "range %llx %llx",
	      (unsigned long long)lo, (unsigned long long)hi);
	jd_elf_close(e);
}

static void valid_unpatched_has_no_range(void)
{
	struct eb b;
	eb_build(&b, 0);
	struct jd_elf *e = jd_elf_open(b.buf, b.size, NULL, NULL, 0);
	uint64_t lo, hi;
	CHECK(e && jd_elf_alloc_range(e, &lo, &hi) == -ENOENT, "range of an unpatched object");
	jd_elf_close(e);
}

static void check_clang_fixture(const char *fixture_path)
{
	size_t n;
	uint8_t *buf = read_object(fixture_path, &n);
	CHECK(buf != NULL, "read %s", fixture_path);
	if (!buf)
		return;
	char d[256];
	struct jd_elf *e = jd_elf_open(buf, n, NULL, d, sizeof(d));
	CHECK(e != NULL, "%s", d);
	if (!e) {
		free(buf);
		return;
	}
	int found_leaf = 0, found_outer = 0;
	for (size_t i = 0; i < jd_elf_symbol_count(e); i++) {
		struct jd_elf_symbol s;
		jd_elf_symbol(e, i, &s);
		found_leaf |= strcmp(s.name, "jd_leaf") == 0 && s.type == STT_FUNC;
		found_outer |= strcmp(s.name, "jd_outer") == 0 && s.type == STT_FUNC;
	}
	CHECK(found_leaf && found_outer, "fixture symbols");
	struct jd_elf_section s, rela;
	CHECK(jd_elf_section_by_name(e, ".debug_info", &s) == 0, "debug_info");
	CHECK(jd_elf_section_by_name(e, ".rela.text", &rela) == 0, "rela.text");
	struct jd_elf_rela r;
	CHECK(jd_elf_rela(e, &rela, 0, &r) == 0, "first relocation");
	CHECK(jd_elf_rela(e, &rela, rela.size / 24, &r) == -ENOENT, "relocation past the end");
	CHECK(jd_elf_rela(e, &s, 0, &r) == -EINVAL, "not a RELA section");
	jd_elf_close(e);
	free(buf);
}

/* clang-16 objects as JITs get them: DWARF 5 (the default) and DWARF 4. */
static void valid_clang_fixtures(void)
{
	CHECK(nfixtures > 0, "no fixture given");
	for (int i = 0; i < nfixtures; i++)
		check_clang_fixture(fixture_paths[i]);
}

/* ---- one test per rejection rule ---- */

static void reject_truncated_header(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	b.size = sizeof(Elf64_Ehdr) - 1;
	EXPECT_REJECT(&b, JD_ELF_E_TRUNCATED_HEADER);
	CHECK(jd_elf_open(b.buf, 0, NULL, NULL, 0) == NULL, "empty input");
}

static void reject_bad_magic(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	b.buf[1] = 'X';
	EXPECT_REJECT(&b, JD_ELF_E_BAD_MAGIC);
}

static void reject_bad_class(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	b.buf[EI_CLASS] = ELFCLASS32;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_CLASS);
}

static void reject_big_endian(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	b.buf[EI_DATA] = ELFDATA2MSB;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_DATA);
}

static void reject_bad_version(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_ehdr(&b)->e_version = 2;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_VERSION);
}

static void reject_bad_ehsize(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_ehdr(&b)->e_ehsize = 52;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_EHSIZE);
}

static void reject_bad_shentsize(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_ehdr(&b)->e_shentsize = 40;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_SHENTSIZE);
}

static void reject_no_section_table(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_ehdr(&b)->e_shoff = 0;
	EXPECT_REJECT(&b, JD_ELF_E_NO_SECTIONS);
}

static void reject_huge_extended_section_count(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_ehdr(&b)->e_shnum = 0; /* extended numbering: the count is in section 0 */
	eb_shdr(&b, 0)->sh_size = 1ull << 40;
	EXPECT_REJECT(&b, JD_ELF_E_TOO_MANY_SECTIONS);
}

static void reject_section_table_past_end(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_ehdr(&b)->e_shnum = 60000; /* a huge count the file cannot hold */
	EXPECT_REJECT(&b, JD_ELF_E_SHDRS_OUT_OF_BOUNDS);
	eb_build(&b, 0x1000);
	eb_ehdr(&b)->e_shoff = UINT64_MAX - 8; /* offset arithmetic must not wrap */
	EXPECT_REJECT(&b, JD_ELF_E_SHDRS_OUT_OF_BOUNDS);
}

static void reject_bad_shstrndx(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_ehdr(&b)->e_shstrndx = EB_NSECS;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_SHSTRNDX);
}

static void reject_section_past_end(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_DATA)->sh_size = b.size;
	EXPECT_REJECT(&b, JD_ELF_E_SECTION_OUT_OF_BOUNDS);
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_DATA)->sh_offset = 8;
	eb_shdr(&b, EB_DATA)->sh_size = UINT64_MAX; /* offset + size wraps */
	EXPECT_REJECT(&b, JD_ELF_E_SECTION_OUT_OF_BOUNDS);
}

static void reject_address_wrap(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_BSS)->sh_addr = UINT64_MAX - 4;
	EXPECT_REJECT(&b, JD_ELF_E_SECTION_OUT_OF_BOUNDS);
}

static void reject_overlapping_sections(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_DATA)->sh_offset = b.sec_off[EB_TEXT] + 2;
	EXPECT_REJECT(&b, JD_ELF_E_OVERLAP);
}

static void reject_section_over_header_table(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_DATA)->sh_offset = b.shoff;
	EXPECT_REJECT(&b, JD_ELF_E_OVERLAP);
}

static void reject_unterminated_strtab(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	b.buf[b.sec_off[EB_STRTAB] + eb_shdr(&b, EB_STRTAB)->sh_size - 1] = 'x';
	EXPECT_REJECT(&b, JD_ELF_E_BAD_STRTAB);
}

static void reject_shstrtab_not_strtab(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_SHSTRTAB)->sh_type = SHT_PROGBITS;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_STRTAB);
}

static void reject_bad_section_name(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_TEXT)->sh_name = 100000;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_NAME);
}

static void reject_bad_symbol_name(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_sym(&b, EB_SYM_FUNC)->st_name = (uint32_t)eb_shdr(&b, EB_STRTAB)->sh_size;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_NAME);
}

static void reject_bad_symtab_entsize(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_SYMTAB)->sh_entsize = 23;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_SYMTAB);
}

static void reject_bad_symtab_link(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_SYMTAB)->sh_link = EB_NSECS + 5;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_SYMTAB);
}

static void reject_bad_symbol_section(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_sym(&b, EB_SYM_DATA)->st_shndx = EB_NSECS;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_SYMBOL_SECTION);
	eb_build(&b, 0x1000);
	eb_sym(&b, EB_SYM_DATA)->st_shndx = SHN_XINDEX; /* no SHT_SYMTAB_SHNDX section */
	EXPECT_REJECT(&b, JD_ELF_E_BAD_SYMBOL_SECTION);
}

static void reject_bad_note(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	((Elf64_Nhdr *)(b.buf + b.sec_off[EB_NOTE]))->n_descsz = 0xffffff00u;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_NOTE);
}

static void reject_bad_alignment(void)
{
	struct eb b;
	eb_build(&b, 0x1000);
	eb_shdr(&b, EB_DATA)->sh_addralign = 12;
	EXPECT_REJECT(&b, JD_ELF_E_BAD_ALIGN);
}

static void every_error_has_a_name(void)
{
	for (int c = 0; c < JD_ELF_E__COUNT; c++)
		CHECK(strcmp(jd_elf_strerror((enum jd_elf_error)c), "unknown error") != 0, "code %d", c);
	CHECK(strcmp(jd_elf_strerror((enum jd_elf_error)999), "unknown error") == 0, "out of range");
}

/* ---- absolute copies ------------------------------------------------------------------------------ */

/* A light-JIT object (absolute DWARF, section-relative symbols): the copy is ET_EXEC with absolute
 * symbols and the same line table. */
static void test_absolute_copy_of_a_written_object(void)
{
	static const struct jd_function_line rows[] = {{0, 3}, {8, 4}};
	struct jd_function f = {.name = "sq", .addr = 0x7ff000001010, .size = 16, .file = "/s/a.acc", .lines = rows,
				.n_lines = 2};
	uint8_t *obj, *copy;
	size_t size;
	char err[160];
	CHECK(jd_synth_object(&f, 1, NULL, &obj, &size, err, sizeof(err)) == 0, "%s", err);
	char why[256];
	copy = malloc(size);
	memcpy(copy, obj, size);
	CHECK(jd_elf_make_absolute(copy, size, NULL, why, sizeof(why)) == 0, "%s", why);
	struct jd_elf *elf = jd_elf_open(copy, size, NULL, why, sizeof(why));
	CHECK(elf && jd_elf_type(elf) == ET_EXEC, "copy not ET_EXEC");
	int found = 0;
	for (size_t i = 0; elf && i < jd_elf_symbol_count(elf); i++) {
		struct jd_elf_symbol sym;
		if (jd_elf_symbol(elf, i, &sym) == 0 && strcmp(sym.name, "sq") == 0)
			found = sym.addr == f.addr;
	}
	CHECK(found, "sq not at its address in the copy");
	jd_elf_close(elf);
	struct jd_lines *l = jd_lines_read(copy, size);
	size_t n = 0;
	const struct jd_line *r = l ? jd_lines_rows(l, &n) : NULL;
	CHECK(n >= 2 && r[0].addr == f.addr && r[1].addr == f.addr + 8 && r[1].line == 4, "%zu rows", n);
	jd_lines_free(l);
	free(copy);
	free(obj);
}

/* The clang fixture with a load address patched into .text (what ORC registers): in the copy the
 * debug relocations are applied and the line table sits at that address without relocating again. */
static void test_absolute_copy_of_a_clang_object(const char *path)
{
	size_t size;
	uint8_t *obj = read_object(path, &size), *copy;
	if (!obj) {
		CHECK(0, "no fixture");
		return;
	}
	struct jd_elf *elf = jd_elf_open(obj, size, NULL, NULL, 0);
	struct jd_elf_section text;
	CHECK(elf && jd_elf_section_by_name(elf, ".text", &text) == 0, "no .text");
	jd_elf_close(elf);
	uint64_t load = 0x7f1234560000ull;
	uint64_t shoff;
	memcpy(&shoff, obj + offsetof(Elf64_Ehdr, e_shoff), 8);
	memcpy(obj + shoff + text.index * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_addr), &load, 8);
	struct jd_lines *want = jd_lines_read(obj, size);
	char why[256];
	size_t unapplied = 99;
	copy = malloc(size);
	memcpy(copy, obj, size);
	CHECK(jd_elf_make_absolute(copy, size, &unapplied, why, sizeof(why)) == 0 && unapplied == 0, "%s, %zu unapplied",
	      why, unapplied);
	struct jd_lines *got = jd_lines_read(copy, size);
	size_t nw = 0, ng = 0;
	const struct jd_line *rw = want ? jd_lines_rows(want, &nw) : NULL, *rg = got ? jd_lines_rows(got, &ng) : NULL;
	CHECK(nw > 2 && nw == ng, "%zu vs %zu rows", nw, ng);
	for (size_t i = 0; i < nw && nw == ng; i++)
		CHECK(rw[i].addr == rg[i].addr && rw[i].addr >= load && rw[i].line == rg[i].line, "row %zu", i);
	jd_lines_free(want);
	jd_lines_free(got);
	free(copy);
	obj[0] = 0;
	CHECK(jd_elf_make_absolute(obj, size, NULL, why, sizeof(why)) == -EINVAL && strncmp(why, "not an ELF file:", 16) == 0,
	      "a broken object was rewritten");
	free(obj);
}


static void test_absolute_copy_of_the_fixture(void)
{
	test_absolute_copy_of_a_clang_object(nfixtures ? fixture_paths[0] : "jitfix.o");
}

/* The fixture given last is clang's AArch64 object (jitfix-aarch64.o): its debug sections carry
 * R_AARCH64_ABS64/ABS32 relocations, every one applied (the copy differs, nothing skipped), and its
 * line table then sits at the load address like the x86-64 one. */
static void test_aarch64_debug_relocations(void)
{
	const char *path = nfixtures >= 3 ? fixture_paths[nfixtures - 1] : "jitfix-aarch64.o";
	size_t size;
	uint8_t *obj = read_object(path, &size);
	CHECK(obj != NULL, "read %s", path);
	if (!obj)
		return;
	struct jd_elf *elf = jd_elf_open(obj, size, NULL, NULL, 0);
	CHECK(elf && jd_elf_machine(elf) == EM_AARCH64, "%s is not an AArch64 object", path);
	uint8_t *copy = malloc(size);
	memcpy(copy, obj, size);
	size_t skipped = elf ? jd_elf_apply_debug_relocations(copy, elf) : 99;
	CHECK(skipped == 0, "%zu debug relocations skipped", skipped);
	CHECK(memcmp(copy, obj, size) != 0, "no debug relocation applied");
	jd_elf_close(elf);
	free(copy);
	free(obj);
	test_absolute_copy_of_a_clang_object(path);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc && nfixtures < 4; i++)
		fixture_paths[nfixtures++] = argv[i];
	RUN(valid_sections_and_symbols);
	RUN(valid_unpatched_has_no_range);
	RUN(valid_clang_fixtures);
	RUN(reject_truncated_header);
	RUN(reject_bad_magic);
	RUN(reject_bad_class);
	RUN(reject_big_endian);
	RUN(reject_bad_version);
	RUN(reject_bad_ehsize);
	RUN(reject_bad_shentsize);
	RUN(reject_no_section_table);
	RUN(reject_huge_extended_section_count);
	RUN(reject_section_table_past_end);
	RUN(reject_bad_shstrndx);
	RUN(reject_section_past_end);
	RUN(reject_address_wrap);
	RUN(reject_overlapping_sections);
	RUN(reject_section_over_header_table);
	RUN(reject_unterminated_strtab);
	RUN(reject_shstrtab_not_strtab);
	RUN(reject_bad_section_name);
	RUN(reject_bad_symbol_name);
	RUN(reject_bad_symtab_entsize);
	RUN(reject_bad_symtab_link);
	RUN(reject_bad_symbol_section);
	RUN(reject_bad_note);
	RUN(reject_bad_alignment);
	RUN(every_error_has_a_name);
	RUN(test_absolute_copy_of_a_written_object);
	RUN(test_absolute_copy_of_the_fixture);
	RUN(test_aarch64_debug_relocations);
	return check_report();
}
