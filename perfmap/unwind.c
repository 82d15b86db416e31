/* unwind.c — JIT_CODE_UNWINDING_INFO payloads: one function's CIE + FDE from the object's .eh_frame,
 * re-encoded for the one-function ELF that `perf inject --jit` synthesizes, plus an .eh_frame_hdr.
 *
 * perf's genelf.c lays that ELF out as: .text (the code) at T, .eh_frame at E = ALIGN_8(T + csize)
 * holding the payload's first (size - hdr_size) bytes, .eh_frame_hdr right after it at H holding
 * the last hdr_size bytes. T is 0x40 or 0x80 depending on the perf version, but every value written
 * here is relative (pcrel, datarel), and E - T = ALIGN_8(csize) either way.
 *
 * The object is ET_REL: an FDE's pc_begin is a PC-relative 32-bit relocation against the code
 * (R_X86_64_PC32, R_AARCH64_PREL32: jitdebug/relocs.h), which is how the FDE of a function is found.
 * An object's table is indexed once (its relocations sorted by offset, one walk of the FDEs, the FDEs
 * sorted by address), so an object of n functions costs O(n log n), not a scan per function.
 * Only CIEs with augmentation "zR" and FDE pointers encoded pcrel|sdata4 (what clang and GCC emit for
 * C) are handled; anything else (personality, LSDA, 64-bit lengths) yields -ENOTSUP and the function
 * simply gets no unwinding record. */
#include "perf-outputs.h"

#include "../jitdebug/jitdebug.h"
#include "../jitdebug/relocs.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	DW_EH_PE_udata4 = 0x03,
	DW_EH_PE_sdata4 = 0x0b,
	DW_EH_PE_pcrel = 0x10,
	DW_EH_PE_datarel = 0x30,
	EH_HDR_SIZE = 4 + 4 + 4 + 8, /* version+encodings, eh_frame_ptr, fde_count, one table entry */
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Reads a ULEB128 within [p, end); advances *p. -1 on overrun. */
static int skip_leb(const uint8_t **p, const uint8_t *end)
{
	while (*p < end) {
		if (!(*(*p)++ & 0x80))
			return 0;
	}
	return -1;
}

/* The CIE at cie (length len, id at +4) uses augmentation "zR" with FDE encoding pcrel|sdata4. */
static int cie_is_simple(const uint8_t *cie, uint32_t len)
{
	const uint8_t *p = cie + 8, *end = cie + 4 + len;
	if (p >= end)
		return 0;
	uint8_t version = *p++;
	const uint8_t *aug = p;
	const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
	if (!nul || strcmp((const char *)aug, "zR") != 0)
		return 0;
	p = nul + 1;
	if (skip_leb(&p, end) || skip_leb(&p, end)) /* code and data alignment factors */
		return 0;
	if (version == 1)
		p++;
	else if (skip_leb(&p, end)) /* return address register */
		return 0;
	if (skip_leb(&p, end) || p >= end) /* augmentation data length, then the R encoding */
		return 0;
	return *p == (DW_EH_PE_pcrel | DW_EH_PE_sdata4);
}

struct reloc_at {
	uint64_t offset, target;
};

struct fde_at {
	uint64_t target, off; /* the address the FDE covers from; its offset in .eh_frame */
};

struct jd_unwind_index {
	const uint8_t *base; /* the object's .eh_frame */
	uint64_t size;
	struct fde_at *fdes; /* by target, then by offset (the first FDE in the table wins) */
	size_t n;
};

static int cmp_reloc(const void *a, const void *b)
{
	const struct reloc_at *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int cmp_fde(const void *a, const void *b)
{
	const struct fde_at *x = a, *y = b;
	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

void jd_unwind_index_free(struct jd_unwind_index *ix)
{
	if (ix) {
		free(ix->fdes);
		free(ix);
	}
}

struct jd_unwind_index *jd_unwind_index(const uint8_t *obj, const struct jd_elf *elf)
{
	struct jd_elf_section eh, rela;
	int found_rela = 0;
	if (!jd_reloc_machine_known(jd_elf_machine(elf)) || jd_elf_section_by_name(elf, ".eh_frame", &eh) != 0 ||
	    eh.type == SHT_NOBITS)
		return NULL;
	for (size_t i = 1; !found_rela && jd_elf_section(elf, i, &rela) == 0; i++)
		found_rela = rela.type == SHT_RELA && rela.info == eh.index;
	if (!found_rela)
		return NULL;
	/* The PC-relative relocations of .eh_frame by offset: what each FDE's pc_begin field points at. */
	size_t nrel = rela.size / sizeof(Elf64_Rela), nr = 0, nf = 0;
	struct reloc_at *rel = nrel ? malloc(nrel * sizeof(*rel)) : NULL;
	struct jd_unwind_index *ix = calloc(1, sizeof(*ix));
	if (!ix || (nrel && !rel)) {
		free(rel);
		free(ix);
		return NULL;
	}
	struct jd_elf_rela r;
	for (size_t k = 0; k < nrel && jd_elf_rela(elf, &rela, k, &r) == 0; k++) {
		struct jd_elf_symbol sym;
		if (jd_reloc_kind(jd_elf_machine(elf), r.type, NULL) == JD_RELOC_PC32 && jd_elf_symbol(elf, r.sym, &sym) == 0 &&
		    sym.defined)
			rel[nr++] = (struct reloc_at){r.offset, sym.addr + (uint64_t)r.addend};
	}
	if (nr > 1)
		qsort(rel, nr, sizeof(*rel), cmp_reloc);
	/* One walk of the table; at most one FDE per relocation. */
	ix->base = obj + eh.offset;
	ix->size = eh.size;
	ix->fdes = nr ? malloc(nr * sizeof(*ix->fdes)) : NULL;
	for (uint64_t off = 0; ix->fdes && nf < nr && off + 8 <= eh.size;) {
		uint32_t length = rd32(ix->base + off);
		if (length == 0 || length == 0xffffffffu || length > eh.size - off - 4)
			break; /* the terminator, or what this encoder does not read: no FDE after it */
		if (rd32(ix->base + off + 4) != 0 && length >= 12) {
			struct reloc_at key = {off + 8, 0};
			const struct reloc_at *hit = bsearch(&key, rel, nr, sizeof(*rel), cmp_reloc);
			if (hit)
				ix->fdes[nf++] = (struct fde_at){hit->target, off};
		}
		off += 4 + (uint64_t)length;
	}
	free(rel);
	if (nf > 1)
		qsort(ix->fdes, nf, sizeof(*ix->fdes), cmp_fde);
	ix->n = nf;
	return ix;
}

int jd_unwind_for_function(const struct jd_unwind_index *ix, uint64_t addr, uint64_t code_size, uint8_t **out,
			   size_t *len, size_t *hdr_len)
{
	if (!ix)
		return -ENOENT;
	size_t lo = 0, hi = ix->n; /* the first FDE covering from addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->fdes[mid].target < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ix->n || ix->fdes[lo].target != addr)
		return -ENOENT;
	const uint8_t *base = ix->base;
	uint64_t off = ix->fdes[lo].off;
	uint32_t length = rd32(base + off), id = rd32(base + off + 4);
	uint64_t cie_off = off + 4 - id; /* id is the distance back to the CIE */
	if (id > off + 4 || cie_off + 8 > ix->size)
		return -EINVAL;
	uint32_t cie_len = rd32(base + cie_off);
	if (cie_len == 0xffffffffu || cie_len > ix->size - cie_off - 4 || rd32(base + cie_off + 4) != 0 ||
	    !cie_is_simple(base + cie_off, cie_len))
		return -ENOTSUP;
	/* Table: CIE, FDE, terminator, zero padding to 8 (so .eh_frame_hdr's address is aligned). */
	size_t cie_bytes = 4 + (size_t)cie_len, fde_bytes = 4 + (size_t)length;
	size_t table = (cie_bytes + fde_bytes + 4 + 7) & ~(size_t)7;
	uint8_t *b = calloc(1, table + EH_HDR_SIZE);
	if (!b)
		return -ENOMEM;
	memcpy(b, base + cie_off, cie_bytes);
	memcpy(b + cie_bytes, base + off, fde_bytes);
	uint64_t fde = cie_bytes, text_to_eh = (code_size + 7) & ~7ull; /* E - T */
	wr32(b + fde + 4, (uint32_t)(fde + 4));                             /* back to the CIE at 0 */
	wr32(b + fde + 8, (uint32_t)(0 - (text_to_eh + fde + 8)));          /* pc_begin = T, pcrel */
	uint8_t *h = b + table;                                             /* at H = E + table */
	h[0] = 1;
	h[1] = DW_EH_PE_pcrel | DW_EH_PE_sdata4;   /* eh_frame_ptr */
	h[2] = DW_EH_PE_udata4;                    /* fde_count */
	h[3] = DW_EH_PE_datarel | DW_EH_PE_sdata4; /* table, relative to H */
	wr32(h + 4, (uint32_t)(0 - (table + 4)));                 /* E - (H + 4) */
	wr32(h + 8, 1);
	wr32(h + 12, (uint32_t)(0 - (text_to_eh + table)));       /* T - H */
	wr32(h + 16, (uint32_t)(fde - table));                    /* (E + fde) - H */
	*out = b;
	*len = table + EH_HDR_SIZE;
	*hdr_len = EH_HDR_SIZE;
	return 0;
}
