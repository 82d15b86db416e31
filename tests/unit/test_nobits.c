/* test_nobits.c — executor-hooks/nobits.c: `.bss` and other NOBITS sections given the address the
 * JIT placed them at, from reported segments or from relocations, and counted when left at 0. */
#include "check.h"
#include "elfbuild.h"
#include "hooksview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t registered_bss_addr(uint64_t id)
{
	struct find f = find_object(id);
	struct jd_elf *e = f.found ? jd_elf_open(f.info.data, f.info.size, NULL, NULL, 0) : NULL;
	struct jd_elf_section s = {0};
	if (e)
		jd_elf_section_by_name(e, ".bss", &s);
	jd_elf_close(e);
	return s.addr;
}

static void nobits_placed_from_reported_segments(void)
{
	struct eb b;
	eb_build(&b, 0x7e0000001000);
	/* RX segment with .text; RW segment with .data then 0x3c bytes JITLink added (a GOT), then zero-fill */
	struct jd_segment segs[] = {
		{0x7e0000001000, 0x1000, 8, JD_PROT_R | JD_PROT_X},
		{0x7e0000002000, 0x1000, 0x40, JD_PROT_R | JD_PROT_W},
	};
	CHECK(jd_note_allocation(segs, 2) == 0, "note");
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(registered_bss_addr(id) == 0x7e0000002040, ".bss at %llx", (unsigned long long)registered_bss_addr(id));
	struct find f = find_object(id);
	CHECK(f.info.hi == 0x7e0000002050, "range grows to cover .bss: %llx", (unsigned long long)f.info.hi);
	jd_unregister_object(id);
	jd_forget_allocation(0x7e0000001000);
}

static void nobits_placed_from_relocations(void)
{
	static uint64_t code[2];        /* stands for JIT code at its final address */
	static uint64_t bss_area[4];    /* where the JIT placed .bss */
	struct eb b;
	eb_build(&b, (uint64_t)(uintptr_t)code);
	code[0] = (uint64_t)(uintptr_t)&bss_area[0] + 4; /* resolved R_X86_64_64 against jd_bss (st_value 4) */
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(registered_bss_addr(id) == (uint64_t)(uintptr_t)bss_area, ".bss at %llx, expected %p",
	      (unsigned long long)registered_bss_addr(id), (void *)bss_area);
	jd_unregister_object(id);
}

/* AArch64 code: an ABS64 field holding jd_bss's address. */
static void nobits_placed_from_aarch64_abs64(void)
{
	static uint64_t code[2];
	static uint64_t bss_area[4];
	struct eb b;
	Elf64_Rela rela = {0, ELF64_R_INFO(EB_SYM_BSS, R_AARCH64_ABS64), 0};
	eb_build_rela(&b, (uint64_t)(uintptr_t)code, EM_AARCH64, &rela, 1);
	code[0] = (uint64_t)(uintptr_t)&bss_area[0] + 4;
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(registered_bss_addr(id) == (uint64_t)(uintptr_t)bss_area, ".bss at %llx, expected %p",
	      (unsigned long long)registered_bss_addr(id), (void *)bss_area);
	jd_unregister_object(id);
}

/* AArch64 code: `adrp x0, jd_bss+8; add x0, x0, :lo12:jd_bss+8`, resolved as JITLink resolves them. */
static void nobits_placed_from_aarch64_adrp_add(void)
{
	static uint32_t code[2];
	static _Alignas(4096) uint64_t bss_area[1024];
	struct eb b;
	Elf64_Rela rela[2] = {
		{0, ELF64_R_INFO(EB_SYM_BSS, R_AARCH64_ADR_PREL_PG_HI21), 8},
		{4, ELF64_R_INFO(EB_SYM_BSS, R_AARCH64_ADD_ABS_LO12_NC), 8},
	};
	eb_build_rela(&b, (uint64_t)(uintptr_t)code, EM_AARCH64, rela, 2);
	uint64_t target = (uint64_t)(uintptr_t)&bss_area[0] + 4 + 8 + 0x7f0; /* S + A, S = section + st_value 4 */
	uint64_t p = (uint64_t)(uintptr_t)code;
	int64_t pages = (int64_t)((target & ~0xfffull) - (p & ~0xfffull)) / 4096;
	uint32_t imm = (uint32_t)pages & 0x1fffff;
	code[0] = 0x90000000u | (imm & 3) << 29 | (imm >> 2) << 5;           /* adrp x0 */
	code[1] = 0x91000000u | (uint32_t)(target & 0xfff) << 10;            /* add x0, x0, #lo12 */
	/* the section starts 0x7f0 into bss_area: st_value 4 + addend 8 + 0x7f0 = target */
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(registered_bss_addr(id) == (uint64_t)(uintptr_t)&bss_area[0] + 0x7f0, ".bss at %llx, expected %llx",
	      (unsigned long long)registered_bss_addr(id), (unsigned long long)(uintptr_t)&bss_area[0] + 0x7f0);
	jd_unregister_object(id);
	/* an ADRP without its low half places nothing */
	eb_build_rela(&b, (uint64_t)(uintptr_t)code, EM_AARCH64, rela, 1);
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(registered_bss_addr(id) == 0, "left at 0 without the low 12 bits");
	jd_unregister_object(id);
}

static void nobits_unplaced_is_counted(void)
{
	struct eb b;
	eb_build(&b, 0x7d0000001000); /* unmapped code: the relocation cannot be read */
	struct jd_hooks_stats s0 = {.sz = sizeof(s0)}, s1 = {.sz = sizeof(s1)};
	jd_hooks_stats(&s0);
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "still registered");
	jd_hooks_stats(&s1);
	CHECK(registered_bss_addr(id) == 0 && s1.nobits_unplaced == s0.nobits_unplaced + 1, "left at 0, counted");
	jd_unregister_object(id);
}

int main(void)
{
	jd_hooks_set_log(quiet_log, NULL);
	RUN(nobits_placed_from_reported_segments);
	RUN(nobits_placed_from_relocations);
	RUN(nobits_placed_from_aarch64_abs64);
	RUN(nobits_placed_from_aarch64_adrp_add);
	RUN(nobits_unplaced_is_counted);
	return check_report();
}
