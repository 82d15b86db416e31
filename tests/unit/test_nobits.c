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
	RUN(nobits_unplaced_is_counted);
	return check_report();
}
