/* relocs.h — what a relocation type computes, per machine: the one place that knows x86-64 and
 * AArch64 relocation numbers. The debug-section relocator (elf.c), the jitdump's FDE finder
 * (perfmap/unwind.c) and the `.bss` placement from code in memory (executor-hooks/nobits.c) ask here,
 * so a new machine is added once. Internal: not part of the installed API. */
#ifndef JD_RELOCS_H
#define JD_RELOCS_H
#include <elf.h>
#include <stdint.h>

enum jd_reloc_kind {
	JD_RELOC_OTHER = 0, /* not one of these, or a machine this file does not know */
	JD_RELOC_ABS64,     /* S + A, 8 bytes */
	JD_RELOC_ABS32,     /* S + A, 4 bytes, zero-extended */
	JD_RELOC_ABS32S,    /* S + A, 4 bytes, sign-extended */
	JD_RELOC_PC32,      /* S + A - P, 4 bytes, sign-extended */
	JD_RELOC_PAGE21,    /* AArch64 ADRP: Page(S + A) - Page(P), in the instruction's 21-bit immediate */
	JD_RELOC_LO12,      /* AArch64 ADD/LDR/STR: (S + A) & 0xfff, in bits 10-21, shifted right by *lo12_shift */
};

/* Whether this file knows machine's relocations (callers leave other machines' objects alone). */
static inline int jd_reloc_machine_known(uint16_t machine)
{
	return machine == EM_X86_64 || machine == EM_AARCH64;
}

/* The kind of relocation type on machine; for JD_RELOC_LO12, *lo12_shift (may be NULL) is the access
 * size's log2 that the instruction's immediate is scaled by. */
static inline enum jd_reloc_kind jd_reloc_kind(uint16_t machine, uint32_t type, unsigned *lo12_shift)
{
	unsigned shift = 0;
	enum jd_reloc_kind k = JD_RELOC_OTHER;
	if (machine == EM_X86_64) {
		switch (type) {
		case R_X86_64_64: k = JD_RELOC_ABS64; break;
		case R_X86_64_32: k = JD_RELOC_ABS32; break;
		case R_X86_64_32S: k = JD_RELOC_ABS32S; break;
		case R_X86_64_PC32:
		case R_X86_64_PLT32: k = JD_RELOC_PC32; break;
		}
	} else if (machine == EM_AARCH64) {
		switch (type) {
		case R_AARCH64_ABS64: k = JD_RELOC_ABS64; break;
		case R_AARCH64_ABS32: k = JD_RELOC_ABS32; break;
		case R_AARCH64_PREL32: k = JD_RELOC_PC32; break;
		case R_AARCH64_ADR_PREL_PG_HI21: k = JD_RELOC_PAGE21; break;
		case R_AARCH64_ADD_ABS_LO12_NC:
		case R_AARCH64_LDST8_ABS_LO12_NC: k = JD_RELOC_LO12; break;
		case R_AARCH64_LDST16_ABS_LO12_NC: k = JD_RELOC_LO12, shift = 1; break;
		case R_AARCH64_LDST32_ABS_LO12_NC: k = JD_RELOC_LO12, shift = 2; break;
		case R_AARCH64_LDST64_ABS_LO12_NC: k = JD_RELOC_LO12, shift = 3; break;
		case R_AARCH64_LDST128_ABS_LO12_NC: k = JD_RELOC_LO12, shift = 4; break;
		}
	}
	if (lo12_shift)
		*lo12_shift = shift;
	return k;
}
#endif
