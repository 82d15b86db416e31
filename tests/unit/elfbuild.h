/* elfbuild.h — writes small ELF64 relocatable objects for the tests: a valid one, which each
 * rejection test then breaks in exactly one place. Layout is computed, not hard-coded. */
#ifndef JD_ELFBUILD_H
#define JD_ELFBUILD_H
#include <elf.h>
#include <stdint.h>
#include <string.h>

enum { EB_NULL, EB_TEXT, EB_DATA, EB_BSS, EB_NOTE, EB_SYMTAB, EB_STRTAB, EB_SHSTRTAB, EB_RELA_TEXT, EB_NSECS };
enum { EB_SYM_NULL, EB_SYM_FUNC, EB_SYM_DATA, EB_SYM_BSS, EB_SYM_ABS, EB_NSYMS };
enum { EB_CAP = 4096 };

struct eb {
	uint8_t buf[EB_CAP];
	size_t size;
	uint64_t sec_off[EB_NSECS];
	uint64_t shoff;
};

static inline Elf64_Ehdr *eb_ehdr(struct eb *b) { return (Elf64_Ehdr *)b->buf; }
static inline Elf64_Shdr *eb_shdr(struct eb *b, int i) { return (Elf64_Shdr *)(b->buf + b->shoff) + i; }
static inline Elf64_Sym *eb_sym(struct eb *b, int i) { return (Elf64_Sym *)(b->buf + b->sec_off[EB_SYMTAB]) + i; }

static inline uint64_t eb_put(struct eb *b, const void *p, size_t n, size_t align)
{
	b->size = (b->size + align - 1) & ~(align - 1);
	uint64_t at = b->size;
	memcpy(b->buf + at, p, n);
	b->size += n;
	return at;
}

enum { EB_MAX_RELA = 4 };

/* .text at text_addr (0x1000 bytes later .data); .bss left at 0 as LLVM 16 leaves it; the given
 * machine and .rela.text entries (n <= EB_MAX_RELA). */
static inline void eb_build_rela(struct eb *b, uint64_t text_addr, uint16_t machine, const Elf64_Rela *rela, size_t n)
{
	static const uint8_t text[] = {0x55, 0x48, 0x89, 0xe5, 0x31, 0xc0, 0x5d, 0xc3};
	static const uint8_t data[] = {7, 0, 0, 0};
	static const char strtab[] = "\0jd_func\0jd_data\0jd_bss\0jd_abs";
	static const char shstr[] = "\0.text\0.data\0.bss\0.note.gnu.build-id\0.symtab\0.strtab\0.shstrtab\0.rela.text";
	struct { Elf64_Nhdr h; char name[4]; uint8_t id[8]; } note = {{4, 8, NT_GNU_BUILD_ID}, "GNU", {1, 2, 3, 4, 5, 6, 7, 8}};
	Elf64_Sym syms[EB_NSYMS] = {
		[EB_SYM_FUNC] = {1, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), 0, EB_TEXT, 0, sizeof(text)},
		[EB_SYM_DATA] = {9, ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), 0, EB_DATA, 0, 4},
		[EB_SYM_BSS] = {17, ELF64_ST_INFO(STB_LOCAL, STT_OBJECT), 0, EB_BSS, 4, 4},
		[EB_SYM_ABS] = {24, ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE), 0, SHN_ABS, 0x1234, 0},
	};
	memset(b, 0, sizeof(*b));
	b->size = sizeof(Elf64_Ehdr);
	b->sec_off[EB_TEXT] = eb_put(b, text, sizeof(text), 16);
	b->sec_off[EB_DATA] = eb_put(b, data, sizeof(data), 8);
	b->sec_off[EB_BSS] = b->size;
	b->sec_off[EB_NOTE] = eb_put(b, &note, sizeof(note), 4);
	b->sec_off[EB_SYMTAB] = eb_put(b, syms, sizeof(syms), 8);
	b->sec_off[EB_STRTAB] = eb_put(b, strtab, sizeof(strtab), 1);
	b->sec_off[EB_SHSTRTAB] = eb_put(b, shstr, sizeof(shstr), 1);
	b->sec_off[EB_RELA_TEXT] = eb_put(b, rela, n * sizeof(*rela), 8);
	Elf64_Shdr sh[EB_NSECS] = {
		[EB_TEXT] = {1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text_addr, b->sec_off[EB_TEXT], sizeof(text), 0, 0, 16, 0},
		[EB_DATA] = {7, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, text_addr ? text_addr + 0x1000 : 0, b->sec_off[EB_DATA], sizeof(data), 0, 0, 8, 0},
		[EB_BSS] = {13, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0, b->sec_off[EB_BSS], 16, 0, 0, 8, 0},
		[EB_NOTE] = {18, SHT_NOTE, SHF_ALLOC, 0, b->sec_off[EB_NOTE], sizeof(note), 0, 0, 4, 0},
		[EB_SYMTAB] = {37, SHT_SYMTAB, 0, 0, b->sec_off[EB_SYMTAB], sizeof(syms), EB_STRTAB, EB_SYM_BSS, 8, sizeof(Elf64_Sym)},
		[EB_STRTAB] = {45, SHT_STRTAB, 0, 0, b->sec_off[EB_STRTAB], sizeof(strtab), 0, 0, 1, 0},
		[EB_SHSTRTAB] = {53, SHT_STRTAB, 0, 0, b->sec_off[EB_SHSTRTAB], sizeof(shstr), 0, 0, 1, 0},
		[EB_RELA_TEXT] = {63, SHT_RELA, SHF_INFO_LINK, 0, b->sec_off[EB_RELA_TEXT], n * sizeof(Elf64_Rela), EB_SYMTAB, EB_TEXT, 8, sizeof(Elf64_Rela)},
	};
	b->shoff = eb_put(b, sh, sizeof(sh), 8);
	Elf64_Ehdr *eh = eb_ehdr(b);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_shoff = b->shoff;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = EB_NSECS;
	eh->e_shstrndx = EB_SHSTRTAB;
}

/* The x86-64 object: text+0 holds the absolute address of jd_bss (an R_X86_64_64 against it). */
static inline void eb_build(struct eb *b, uint64_t text_addr)
{
	Elf64_Rela rela = {0, ELF64_R_INFO(EB_SYM_BSS, R_X86_64_64), 0};
	eb_build_rela(b, text_addr, EM_X86_64, &rela, 1);
}
#endif
