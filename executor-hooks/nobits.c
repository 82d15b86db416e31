/* nobits.c — real addresses for NOBITS sections (.bss) that LLVM 16 leaves at 0 in debug objects.
 *
 * LLVM 16's ELFDebugObject patches sh_addr only for PROGBITS sections, so GDB and LLDB read a
 * `static int counter;` at 0x0. Two ways to find where the section really is, tried in order:
 *
 * 1. Segments (exact). A memory manager that reports its allocations (jd_note_allocation; the
 *    jitdebug-executor does, from every finalize request) tells where each segment starts, how many
 *    bytes have content and how large it is. JITLink's BasicLayout puts the zero-fill blocks of a
 *    segment after its content, in section order, each aligned; so the NOBITS sections of an object
 *    are laid out from segment.addr + content_size. The allocation is the one containing the object's
 *    patched sections; the segment is the one with the section's protection (LLVM 16 puts read-only
 *    data in the RW segment, so R falls back to RW).
 * 2. Relocations (in-process JITs, other memory managers). The code referring to the section has
 *    already been fixed up in memory. For an absolute or PC-relative relocation against a symbol of
 *    the section (x86-64 64/32/32S/PC32/PLT32, AArch64 ABS64/ABS32/PREL32: jitdebug/relocs.h), the
 *    resolved field gives the symbol's address, hence the section's; so does an AArch64 ADRP (its
 *    page) with the ADD or load/store carrying the low 12 bits for the same symbol and addend. The field is read with process_vm_readv on ourselves, so
 *    a wrong address yields EFAULT, not a crash.
 *
 * Limits (docs/nobits.md): a section no code refers to, on a path that reports no segments, stays at
 * 0 and is counted in nobits_unplaced; relocation recovery reads x86-64 and AArch64 code only.
 */
#include "nobits.h"
#include "subscribers.h"

#include "runtime.h"

#include "../jitdebug/jitdebug.h"
#include "../jitdebug/relocs.h"

#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum { MAX_ALLOCS = 1024, MAX_SEGS = 8, MAX_NOBITS = 64 };

struct alloc {
	uint32_t nsegs;
	struct jd_segment segs[MAX_SEGS];
};

static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct alloc allocs[MAX_ALLOCS]; /* ring; the newest at (alloc_next - 1) */
static size_t alloc_next, alloc_used;

int jd_note_allocation(const struct jd_segment *segs, size_t n)
{
	if (!segs || n == 0)
		return -EINVAL;
	if (n > MAX_SEGS)
		n = MAX_SEGS; /* JITLink uses at most a handful of protection groups */
	pthread_mutex_lock(&alloc_lock);
	struct alloc *a = &allocs[alloc_next];
	a->nsegs = (uint32_t)n;
	memcpy(a->segs, segs, n * sizeof(*segs));
	alloc_next = (alloc_next + 1) % MAX_ALLOCS;
	if (alloc_used < MAX_ALLOCS)
		alloc_used++;
	pthread_mutex_unlock(&alloc_lock);
	return 0;
}

void jd_forget_allocation(uint64_t addr)
{
	pthread_mutex_lock(&alloc_lock);
	for (size_t i = 0; i < alloc_used; i++)
		if (allocs[i].nsegs && allocs[i].segs[0].addr == addr)
			allocs[i].nsegs = 0;
	pthread_mutex_unlock(&alloc_lock);
}

int jd_range_is_jit_memory(uint64_t addr, uint64_t size)
{
	int found = 0;
	pthread_mutex_lock(&alloc_lock);
	for (size_t k = 1; k <= alloc_used && !found; k++) {
		const struct alloc *a = &allocs[(alloc_next + MAX_ALLOCS - k) % MAX_ALLOCS];
		for (uint32_t s = 0; s < a->nsegs && !found; s++)
			found = addr >= a->segs[s].addr && addr - a->segs[s].addr <= a->segs[s].size &&
				size <= a->segs[s].size - (addr - a->segs[s].addr);
	}
	pthread_mutex_unlock(&alloc_lock);
	return found;
}

/* The newest noted allocation with a segment containing addr. */
static int find_alloc(uint64_t addr, struct alloc *out)
{
	int found = 0;
	pthread_mutex_lock(&alloc_lock);
	for (size_t k = 1; k <= alloc_used && !found; k++) {
		const struct alloc *a = &allocs[(alloc_next + MAX_ALLOCS - k) % MAX_ALLOCS];
		for (uint32_t s = 0; s < a->nsegs; s++) {
			if (addr >= a->segs[s].addr && addr - a->segs[s].addr < a->segs[s].size) {
				*out = *a;
				found = 1;
				break;
			}
		}
	}
	pthread_mutex_unlock(&alloc_lock);
	return found;
}

static int needs_fixup(const struct jd_elf_section *s)
{
	return s->type == SHT_NOBITS && (s->flags & SHF_ALLOC) && s->addr == 0 && s->size > 0;
}

int jd_nobits_needed(const struct jd_elf *elf)
{
	struct jd_elf_section s;
	for (size_t i = 1; jd_elf_section(elf, i, &s) == 0; i++)
		if (needs_fixup(&s))
			return 1;
	return 0;
}

static uint32_t prot_of(const struct jd_elf_section *s)
{
	return JD_PROT_R | (s->flags & SHF_WRITE ? JD_PROT_W : 0) | (s->flags & SHF_EXECINSTR ? JD_PROT_X : 0);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return a > 1 ? (v + a - 1) & ~(a - 1) : v;
}

static void write_sh_addr(uint8_t *obj, uint32_t index, uint64_t addr)
{
	uint64_t shoff;
	memcpy(&shoff, obj + offsetof(Elf64_Ehdr, e_shoff), sizeof(shoff)); /* validated by jd_elf_open */
	uint8_t *p = obj + shoff + (uint64_t)index * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_addr);
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(addr >> (8 * i));
}

/* Method 1: lay out the zero-fill part of the matching segment. */
static void place_by_segments(const struct alloc *a, struct jd_elf_section *nb, size_t n, uint64_t *placed_at)
{
	uint64_t cursor[MAX_SEGS];
	for (uint32_t s = 0; s < a->nsegs; s++)
		cursor[s] = a->segs[s].addr + a->segs[s].content_size;
	for (size_t i = 0; i < n; i++) {
		uint32_t want = prot_of(&nb[i]);
		int seg = -1;
		for (uint32_t s = 0; s < a->nsegs && seg < 0; s++)
			if (a->segs[s].prot == want)
				seg = (int)s;
		for (uint32_t s = 0; s < a->nsegs && seg < 0; s++)
			if (want == JD_PROT_R && a->segs[s].prot == (JD_PROT_R | JD_PROT_W))
				seg = (int)s;
		if (seg < 0)
			continue;
		uint64_t at = align_up(cursor[seg], nb[i].align);
		uint64_t end = a->segs[seg].addr + a->segs[seg].size;
		if (at < cursor[seg] || at > end || nb[i].size > end - at)
			continue; /* does not fit: the report and the object disagree, place nothing */
		placed_at[i] = at;
		cursor[seg] = at + nb[i].size;
	}
}

static void nobits_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE)
		pthread_mutex_lock(&alloc_lock);
	else
		pthread_mutex_unlock(&alloc_lock); /* the child keeps the allocations: its memory is a copy */
}

const struct jd_subscriber jd_nobits_subscriber = {
	.name = "nobits",
	.fork = nobits_fork,
};


/* Method 2: recover the section's address from resolved relocations in code already in memory. */

/* ADRPs looked up against their low half, per relocation section, and how many relocations after the
 * ADRP's own are searched for it: compilers put the ADD or load right after the ADRP, so a bad object
 * costs at most PAIR_TRIES * PAIR_WINDOW reads of relocations per section. */
enum { PAIR_TRIES = 64, PAIR_WINDOW = 64 };

/* The low 12 bits of S + A that the *_ABS_LO12_NC relocation lo carries (an ADD or load/store in
 * target), or -1. */
static int lo12_of(uint16_t machine, const struct jd_elf_section *target, const struct jd_elf_rela *lo,
		   uint64_t *lo12)
{
	unsigned shift;
	uint32_t insn;
	if (jd_reloc_kind(machine, lo->type, &shift) != JD_RELOC_LO12 || lo->offset >= target->size ||
	    target->size - lo->offset < 4 || jd_read_self(target->addr + lo->offset, &insn, 4))
		return -1;
	*lo12 = (((uint64_t)(insn >> 10) & 0xfff) << shift) & 0xfff;
	return 0;
}

/* The resolved S + A of relocation number k of rs, whose field is at p with room bytes of the section
 * after it (jitdebug/relocs.h says what each kind computes), or -1. An absolute or PC-relative field
 * holds it whole. An ADRP (JD_RELOC_PAGE21) holds its 4 KiB page, and the *_ABS_LO12_NC relocation of
 * the same symbol and addend that follows it (the ADD or load) its low 12 bits. */
static int resolved_target(const struct jd_elf *elf, const struct jd_elf_section *rs, const struct jd_elf_section *target,
			   const struct jd_elf_rela *rel, size_t k, uint64_t p, uint64_t room, unsigned *tries,
			   uint64_t *s_plus_a)
{
	uint16_t machine = jd_elf_machine(elf);
	enum jd_reloc_kind kind = jd_reloc_kind(machine, rel->type, NULL);
	int32_t v32;
	uint64_t v64;
	if (kind == JD_RELOC_ABS64) {
		if (room < 8 || jd_read_self(p, &v64, 8))
			return -1;
		*s_plus_a = v64;
		return 0;
	}
	if (kind == JD_RELOC_ABS32 || kind == JD_RELOC_ABS32S || kind == JD_RELOC_PC32) {
		if (room < 4 || jd_read_self(p, &v32, 4))
			return -1;
		*s_plus_a = kind == JD_RELOC_ABS32 ? (uint64_t)(uint32_t)v32 : (uint64_t)(int64_t)v32;
		if (kind == JD_RELOC_PC32)
			*s_plus_a += p; /* the field is S + A - P */
		return 0;
	}
	if (kind != JD_RELOC_PAGE21)
		return -1;
	uint32_t insn;
	if (*tries >= PAIR_TRIES)
		return -1;
	++*tries;
	if (room < 4 || jd_read_self(p, &insn, 4) || (insn & 0x9f000000u) != 0x90000000u)
		return -1; /* not an ADRP */
	uint64_t imm = ((uint64_t)((insn >> 5) & 0x7ffff) << 2) | ((insn >> 29) & 3); /* 21 bits, signed */
	int64_t pages = (int64_t)(imm << 43) >> 43;
	uint64_t page = (p & ~(uint64_t)0xfff) + ((uint64_t)pages << 12), lo12;
	struct jd_elf_rela lo;
	for (size_t j = k + 1; j <= k + PAIR_WINDOW && jd_elf_rela(elf, rs, j, &lo) == 0; j++) {
		if (lo.sym == rel->sym && lo.addend == rel->addend && lo12_of(machine, target, &lo, &lo12) == 0) {
			*s_plus_a = page | lo12;
			return 0;
		}
	}
	return -1;
}

static void place_by_relocations(const struct jd_elf *elf, struct jd_elf_section *nb, size_t n, uint64_t *placed_at)
{
	struct jd_elf_section rs, target;

	if (!jd_reloc_machine_known(jd_elf_machine(elf)))
		return;
	for (size_t r = 1; jd_elf_section(elf, r, &rs) == 0; r++) {
		if (rs.type != SHT_RELA || jd_elf_section(elf, rs.info, &target) != 0 || !(target.flags & SHF_ALLOC) ||
		    target.addr == 0 || target.type == SHT_NOBITS)
			continue;
		struct jd_elf_rela rel;
		unsigned tries = 0;
		for (size_t k = 0; jd_elf_rela(elf, &rs, k, &rel) == 0; k++) {
			struct jd_elf_symbol sym;
			if (jd_elf_symbol(elf, rel.sym, &sym) != 0)
				continue;
			size_t i;
			for (i = 0; i < n; i++)
				if (!placed_at[i] && sym.shndx == nb[i].index)
					break;
			if (i == n || rel.offset >= target.size)
				continue;
			uint64_t p = target.addr + rel.offset, room = target.size - rel.offset, s_plus_a;
			if (resolved_target(elf, &rs, &target, &rel, k, p, room, &tries, &s_plus_a) != 0)
				continue;
			/* sym.addr is st_value here: the section's own address is still 0. */
			uint64_t base = s_plus_a - (uint64_t)rel.addend - sym.addr;
			if (base == 0 || (nb[i].align > 1 && base % nb[i].align) || base + nb[i].size < base)
				continue;
			placed_at[i] = base;
		}
	}
}

unsigned jd_nobits_fixup(uint8_t *obj, size_t size, const struct jd_elf *sections, unsigned *unplaced,
			 uint64_t *lo, uint64_t *hi)
{
	struct jd_elf_section nb[MAX_NOBITS], s;
	uint64_t placed_at[MAX_NOBITS] = {0};
	uint64_t anchor = 0;
	size_t n = 0;
	unsigned placed = 0, missing = 0;

	for (size_t i = 1; jd_elf_section(sections, i, &s) == 0; i++) {
		if (needs_fixup(&s)) {
			if (n < MAX_NOBITS)
				nb[n++] = s;
			else
				missing++;
		} else if ((s.flags & SHF_ALLOC) && s.addr && !anchor) {
			anchor = s.addr;
		}
	}
	struct alloc a;
	if (anchor && find_alloc(anchor, &a))
		place_by_segments(&a, nb, n, placed_at);
	for (size_t i = 0; i < n; i++) {
		if (placed_at[i])
			continue;
		/* The relocation method reads symbols and relocations: only now validate the whole object. */
		struct jd_elf *full = jd_elf_open(obj, size, NULL, NULL, 0);
		if (full)
			place_by_relocations(full, nb, n, placed_at);
		else
			jd_warn_once("NOBITS sections left at address 0: the object's symbol table is malformed");
		jd_elf_close(full);
		break;
	}
	for (size_t i = 0; i < n; i++) {
		if (!placed_at[i]) {
			missing++;
			continue;
		}
		write_sh_addr(obj, nb[i].index, placed_at[i]);
		placed++;
		if (!*lo || placed_at[i] < *lo)
			*lo = placed_at[i];
		if (placed_at[i] + nb[i].size > *hi)
			*hi = placed_at[i] + nb[i].size;
	}
	if (missing)
		jd_warn_once("%u NOBITS section(s) (.bss) left at address 0: no allocation was reported for the "
			     "object and no code refers to them (see docs/nobits.md)", missing);
	*unplaced = missing;
	return placed;
}
