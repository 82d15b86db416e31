/* test_walk.c — jitdebug/walk.c: the registry and GDB's JIT list walked through a memory reader, as
 * the debugger plugins and `jitdebug core` walk them: every entry, cycles, caps, implausible and
 * unreadable entries, bad headers, the growing options struct, the target's pointer ABI, and other
 * registrars' ids and ranges, and the graveyard of objects unregistered lately. */
#include "check.h"
#include "fakemem.h"
#include "jitdebug.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seen_objects {
	uint64_t ids[64];
	size_t n;
	char skipped[8][256];
	size_t nskipped;
};

static int on_object(const struct jd_registry_object *o, void *ctx)
{
	struct seen_objects *s = ctx;
	if (s->n < 64)
		s->ids[s->n++] = o->id;
	return 0;
}

static void on_skipped(const char *what, void *ctx)
{
	struct seen_objects *s = ctx;
	if (s->nskipped < 8)
		snprintf(s->skipped[s->nskipped++], sizeof(s->skipped[0]), "%s", what);
}

static int walk(struct seen_objects *s, struct jd_registry_header *h, char *err)
{
	memset(s, 0, sizeof(*s));
	struct jd_walk w = {.sz = sizeof(w), .read = read_mem, .ctx = s, .object = on_object, .skipped = on_skipped};
	return jd_walk_registry(REG, &w, h, err, 256);
}

static void test_registry_walk_reads_every_entry(void)
{
	struct seen_objects s;
	struct jd_registry_header h;
	char err[256];
	make_registry(3);
	CHECK(walk(&s, &h, err) == 0, "%s", err);
	CHECK(s.n == 3 && s.ids[0] == 1 && s.ids[2] == 3 && s.nskipped == 0, "%zu objects, %zu skipped", s.n, s.nskipped);
	CHECK(h.count == 3 && h.mode == 1 && h.generation == 2, "header");
}

static void test_registry_walk_stops_at_a_cycle(void)
{
	struct seen_objects s;
	char err[256];
	make_registry(3);
	put(ENTRY(2), ENTRY(0), 8);
	put(REG + 24, 100, 8); /* the count allows more: only the cycle check stops the walk */
	CHECK(walk(&s, NULL, err) == 0, "%s", err);
	CHECK(s.n == 3 && s.nskipped == 1 && strstr(s.skipped[0], "cycle at entry"), "%zu objects: %s", s.n, s.skipped[0]);
}

static void test_registry_walk_is_capped_by_the_count(void)
{
	struct seen_objects s;
	char err[256];
	make_registry(5);
	put(REG + 24, 2, 8);
	CHECK(walk(&s, NULL, err) == 0, "%s", err);
	CHECK(s.n == 3 && strstr(s.skipped[0], "longer than its count"), "%zu objects", s.n);
}

static void test_registry_walk_skips_implausible_entries(void)
{
	struct seen_objects s;
	char err[256];
	make_registry(3);
	put(ENTRY(1) + 32, 1ull << 48, 8);                /* huge size */
	put(ENTRY(2) + 48, 0x100, 8);                     /* hi below lo */
	CHECK(walk(&s, NULL, err) == 0, "%s", err);
	CHECK(s.n == 1 && s.nskipped == 2 && strstr(s.skipped[0], "implausible size 281474976710656"), "%zu: %s", s.n,
	      s.skipped[0]);
}

static void test_registry_walk_reports_an_unreadable_entry(void)
{
	struct seen_objects s;
	char err[256];
	make_registry(3);
	put(ENTRY(0), 0x10, 8);
	CHECK(walk(&s, NULL, err) == 0, "%s", err);
	CHECK(s.n == 1 && strstr(s.skipped[0], "entry at 0x10 unreadable"), "%s", s.skipped[0]);
}

static void test_registry_walk_rejects_bad_headers(void)
{
	struct seen_objects s;
	char err[256];
	make_registry(1);
	put(REG, 0x1234, 8);
	CHECK(walk(&s, NULL, err) == -EINVAL && strstr(err, "bad magic"), "%s", err);
	make_registry(1);
	put(REG + 8, 3, 4);
	CHECK(walk(&s, NULL, err) == -EPROTONOSUPPORT && strstr(err, "version 3"), "%s", err);
	struct jd_walk w = {.sz = sizeof(w), .read = read_mem, .ctx = &s, .object = on_object, .skipped = on_skipped};
	CHECK(jd_walk_registry(0x10, &w, NULL, err, sizeof(err)) == -EFAULT, "unreadable header");
	w.sz = 8;
	err[0] = '\0';
	CHECK(jd_walk_registry(REG, &w, NULL, err, sizeof(err)) == -EINVAL && strstr(err, "bad struct jd_walk"),
	      "short struct accepted, or no message: '%s'", err);
}

/* The graveyard (jitdebug_graveyard) as a hostile target may hold it: the newest slot covering the
 * address wins; bad headers, sizes past their bounds, a range past 1 TiB, an unterminated name and an
 * unreadable slot are refused or passed over. Built from the layout's offsets, not from the struct. */
#define GRV (BASE + 0x4000)
static void make_graveyard(uint32_t nslots, uint32_t slot_size)
{
	memset(mem, 0, sizeof(mem));
	put(GRV, 0x31305652474a444aull, 8);
	put(GRV + 8, 1, 4);
	put(GRV + 12, 40, 4);
	put(GRV + 32, nslots, 4);
	put(GRV + 36, slot_size, 4);
}
static void put_slot(uint32_t i, uint64_t seq, uint64_t id, uint64_t lo, uint64_t hi, const char *name)
{
	uint64_t at = GRV + 40 + (uint64_t)i * 112;
	put(at, seq, 8);
	put(at + 8, id, 8);
	put(at + 16, lo, 8);
	put(at + 24, hi, 8);
	put(at + 40, 2, 4);
	put(at + 44, 0xabcd, 2);
	memcpy(mem + (at + 64 - BASE), name, strlen(name) < 48 ? strlen(name) : 48);
}

static void test_graveyard_names_the_newest_holder(void)
{
	struct jd_graveyard_slot g;
	make_graveyard(4, 112);
	put_slot(0, 1, 7, 0x7000, 0x8000, "old");
	put_slot(1, 3, 9, 0x7000, 0x7800, "newest");
	put_slot(2, 2, 8, 0x7000, 0x8000, "middle");
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x7100, &g) == 0 && g.id == 9 && strcmp(g.first_symbol, "newest") == 0,
	      "id %llu %s", (unsigned long long)g.id, g.first_symbol);
	CHECK(g.build_id_size == 2 && g.build_id[0] == 0xcd && g.build_id[1] == 0xab, "build-id");
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x7900, &g) == 0 && g.id == 8, "past the newest's range");
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x9000, &g) == -ENOENT, "nothing there");
	/* A name of 48 bytes and more is ended by the reader. */
	put_slot(3, 4, 10, 0xa000, 0xb000, "");
	memset(mem + (GRV + 40 + 3 * 112 + 64 - BASE), 'n', 48);
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0xa000, &g) == 0 && strlen(g.first_symbol) == 47, "name ended");
	/* A range past 1 TiB is corruption; an unused slot (seq 0) is nothing. */
	put_slot(3, 5, 11, 0x1000, 0x1000 + (2ull << 40), "huge");
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x2000, &g) == -ENOENT, "huge range passed over");
	put_slot(3, 0, 12, 0xc000, 0xd000, "unused");
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0xc000, &g) == -ENOENT, "unused slot");
	/* Bad headers. */
	make_graveyard(4, 112);
	put(GRV, 0x1234, 8);
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x7100, &g) == -EINVAL, "bad magic");
	make_graveyard(4, 112);
	put(GRV + 8, 2, 4);
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x7100, &g) == -EINVAL, "version 2");
	make_graveyard(5000, 112);
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x7100, &g) == -EINVAL, "5,000 slots");
	make_graveyard(4, 16);
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x7100, &g) == -EINVAL, "slots smaller than a slot");
	make_graveyard(4096, 4096);
	CHECK(jd_graveyard_find(GRV, read_mem, NULL, 0x7100, &g) == -ENOENT, "slots past the target's memory: unread");
	CHECK(jd_graveyard_find(0x10, read_mem, NULL, 0x7100, &g) == -EFAULT, "unreadable header");
	CHECK(jd_graveyard_find(UINT64_MAX - 8, read_mem, NULL, 0x7100, &g) < 0, "at the end of the address space");
}

/* The options convention (opts.h): a caller built before a field existed passes a smaller struct and
 * gets the field's default; a caller that sets bytes past what this library knows is refused. */
static void test_walk_struct_grows(void)
{
	struct seen_objects s;
	char err[256];
	make_registry(2);
	struct {
		struct jd_walk w;
		uint64_t future;
	} big = {.w = {.sz = sizeof(big), .read = read_mem, .ctx = &s, .object = on_object, .skipped = on_skipped}};
	memset(&s, 0, sizeof(s));
	big.w.sz = offsetof(struct jd_walk, u64_align); /* a caller from before u64_align */
	CHECK(jd_walk_registry(REG, &big.w, NULL, err, sizeof(err)) == 0 && s.n == 2, "older, smaller struct: %s", err);
	big.w.sz = sizeof(big);
	CHECK(jd_walk_registry(REG, &big.w, NULL, err, sizeof(err)) == 0, "newer struct, unknown tail zero");
	big.future = 1;
	CHECK(jd_walk_registry(REG, &big.w, NULL, err, sizeof(err)) == -EINVAL, "unknown non-zero tail accepted");
}

/* GDB's JIT list with 4-byte big-endian pointers, then 8-byte little-endian, with a cycle. */
static void test_gdb_list_follows_the_target_abi(void)
{
	struct seen_objects s = {0};
	struct jd_walk w = {.sz = sizeof(w), .read = read_mem, .ctx = &s, .object = NULL, .skipped = on_skipped};
	uint64_t n = 0;
	memset(mem, 0, sizeof(mem));
	/* 32-bit BE: descriptor {u32 version, u32 action, u32 relevant, u32 first}; entry {next, prev,
	 * symfile, pad, u64 size}. */
	uint64_t d = BASE + 0x200, e0 = BASE + 0x300, e1 = BASE + 0x340;
	mem[d - BASE + 15] = (uint8_t)e0, mem[d - BASE + 14] = (uint8_t)(e0 >> 8), mem[d - BASE + 13] = (uint8_t)(e0 >> 16);
	mem[e0 - BASE + 3] = (uint8_t)e1, mem[e0 - BASE + 2] = (uint8_t)(e1 >> 8), mem[e0 - BASE + 1] = (uint8_t)(e1 >> 16);
	mem[e0 - BASE + 23] = 0x40;
	mem[e1 - BASE + 23] = 0x40;
	CHECK(jd_walk_gdb_jit_list(d, 4, 1, &w, &n) == 0 && n == 2 && s.nskipped == 0, "32-bit BE: %llu entries",
	      (unsigned long long)n);
	memset(mem, 0, sizeof(mem));
	put(d + 16, e0, 8);
	put(e0, e1, 8);
	put(e0 + 24, 0x40, 8);
	put(e1, e0, 8);
	put(e1 + 24, 1ull << 40, 8);
	CHECK(jd_walk_gdb_jit_list(d, 8, 0, &w, &n) == 0 && n == 2, "64-bit LE: %llu entries", (unsigned long long)n);
	CHECK(s.nskipped == 2 && strstr(s.skipped[0], "claims 1099511627776 bytes") && strstr(s.skipped[1], "cycle"),
	      "%zu: %s / %s", s.nskipped, s.skipped[0], s.skipped[1]);
	CHECK(jd_walk_gdb_jit_list(d, 3, 0, &w, &n) == -EINVAL, "pointer size 3 accepted");
	/* i386: 4-byte pointers, and a u64 aligned to 4, so symfile_size sits at offset 12 (the walker
	 * takes the target's alignment; by default 8, which puts it at 16). */
	memset(mem, 0, sizeof(mem));
	memset(&s, 0, sizeof(s));
	put(d + 12, e0, 4);
	put(e0, e1, 4);
	put(e0 + 8, 0x1000, 4);
	put(e0 + 12, 0x40, 8);
	put(e1 + 8, 0x2000, 4);
	put(e1 + 12, 0x50, 8);
	w.u64_align = 4;
	CHECK(jd_walk_gdb_jit_list(d, 4, 0, &w, &n) == 0 && n == 2 && s.nskipped == 0, "i386: %llu entries, %zu skipped",
	      (unsigned long long)n, s.nskipped);
	w.u64_align = 3;
	CHECK(jd_walk_gdb_jit_list(d, 4, 0, &w, &n) == -EINVAL, "alignment 3 accepted");
}

/* Another registrar's list: ids JD_FOREIGN_ID_BIT | address, flagged foreign, and the address range
 * read from the object's section headers alone (unreadable or bogus headers leave it 0, 0). */
static struct jd_registry_object last;
static int keep_last(const struct jd_registry_object *o, void *ctx)
{
	last = *o;
	return on_object(o, ctx);
}

static void test_gdb_list_gives_foreign_ids_and_ranges(void)
{
	struct seen_objects s = {0};
	struct jd_walk w = {.sz = sizeof(w), .read = read_mem, .ctx = &s, .object = keep_last, .skipped = on_skipped};
	memset(mem, 0, sizeof(mem));
	uint64_t d = BASE + 0x200, e0 = BASE + 0x300, obj = BASE + 0x1000, n = 0;
	/* An ELF64 LE header with 3 section headers at 0x40: null, .text (alloc) and .debug (not). */
	Elf64_Ehdr eh = {.e_shoff = 0x40, .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 3};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	Elf64_Shdr sh[3] = {{0},
			    {.sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = 0x7f0000001000, .sh_size = 0x80},
			    {.sh_addr = 0x7fff00000000, .sh_size = 0x10}};
	memcpy(mem + (obj - BASE), &eh, sizeof(eh));
	memcpy(mem + (obj - BASE) + 0x40, sh, sizeof(sh));
	put(d + 16, e0, 8);
	put(e0 + 16, obj, 8);
	put(e0 + 24, 0x40 + sizeof(sh), 8);
	CHECK(jd_walk_gdb_jit_list(d, 8, 0, &w, &n) == 0 && n == 1 && s.n == 1, "one entry");
	CHECK(last.id == (JD_FOREIGN_ID_BIT | obj) && (last.flags & JD_OBJECT_FOREIGN), "id %#llx flags %u",
	      (unsigned long long)last.id, last.flags);
	CHECK(last.lo == 0x7f0000001000 && last.hi == 0x7f0000001080, "range %#llx-%#llx", (unsigned long long)last.lo,
	      (unsigned long long)last.hi);
	/* Section headers past the object's end: no range, the object is still listed. */
	put(e0 + 24, 0x60, 8);
	memset(&s, 0, sizeof(s));
	CHECK(jd_walk_gdb_jit_list(d, 8, 0, &w, &n) == 0 && s.n == 1 && last.lo == 0 && last.hi == 0, "range %#llx",
	      (unsigned long long)last.lo);
	/* An address with the foreign bit set, or one whose end wraps, is skipped. */
	put(e0 + 16, JD_FOREIGN_ID_BIT | obj, 8);
	memset(&s, 0, sizeof(s));
	CHECK(jd_walk_gdb_jit_list(d, 8, 0, &w, &n) == 0 && s.n == 0 && s.nskipped == 1, "bit-63 address listed");
	put(e0 + 16, UINT64_MAX - 0x10, 8);
	memset(&s, 0, sizeof(s));
	CHECK(jd_walk_gdb_jit_list(d, 8, 0, &w, &n) == 0 && s.n == 0 && s.nskipped == 1, "wrapping object listed");
}

struct v2_seen {
	struct jd_registry_object o[4];
	size_t n;
};

static int keep_object(const struct jd_registry_object *o, void *ctx)
{
	struct v2_seen *s = ctx;
	if (s->n < 4)
		s->o[s->n++] = *o;
	return 0;
}

/* Version 2 entries: the build-id and the section table are read; implausible ones read as none. */
static void test_registry_v2_build_id_and_sections(void)
{
	make_registry(3);
	put(REG + 8, 2, 4);
	for (int i = 0; i < 3; i++) {
		put(ENTRY(i) + 60, 104, 4);
		for (int k = 0; k < 20; k++)
			put(ENTRY(i) + 64 + (uint64_t)k, (uint64_t)(0xa0 + k), 1);
		put(ENTRY(i) + 84, 20, 1);
		put(ENTRY(i) + 85, JD_BUILD_ID_CONTENT, 1);
		put(ENTRY(i) + 86, 16, 2);
		put(ENTRY(i) + 88, 2, 4);
		put(ENTRY(i) + 96, BASE + 0xa000, 8);
	}
	put(ENTRY(1) + 84, 21, 1);     /* longer than 20 bytes: no build-id */
	put(ENTRY(2) + 86, 8, 2);      /* sections smaller than their layout: none */
	struct v2_seen s = {0};
	char err[256];
	struct jd_walk w = {.sz = sizeof(w), .read = read_mem, .ctx = &s, .object = keep_object};
	CHECK(jd_walk_registry(REG, &w, NULL, err, sizeof(err)) == 0 && s.n == 3, "%s (%zu)", err, s.n);
	CHECK(s.o[0].build_id_size == 20 && s.o[0].build_id[0] == 0xa0 && s.o[0].build_id[19] == 0xb3 &&
		      s.o[0].build_id_kind == JD_BUILD_ID_CONTENT,
	      "entry 1 build-id: %u bytes", s.o[0].build_id_size);
	CHECK(s.o[0].nsections == 2 && s.o[0].sections == BASE + 0xa000 && s.o[0].section_size == 16, "entry 1 sections");
	CHECK(s.o[1].build_id_size == 0 && s.o[1].nsections == 2, "entry 2: a 21-byte build-id reads as none");
	CHECK(s.o[2].build_id_size == 20 && s.o[2].nsections == 0, "entry 3: 8-byte section records read as none");
	/* A version 1 registry gives neither, whatever lies after its 64-byte entries. */
	put(REG + 8, 1, 4);
	memset(&s, 0, sizeof(s));
	CHECK(jd_walk_registry(REG, &w, NULL, err, sizeof(err)) == 0 && s.n == 3 && s.o[0].build_id_size == 0 &&
		      s.o[0].nsections == 0,
	      "version 1");
}

int main(void)
{
	RUN(test_registry_walk_reads_every_entry);
	RUN(test_registry_v2_build_id_and_sections);
	RUN(test_registry_walk_stops_at_a_cycle);
	RUN(test_registry_walk_is_capped_by_the_count);
	RUN(test_registry_walk_skips_implausible_entries);
	RUN(test_registry_walk_reports_an_unreadable_entry);
	RUN(test_registry_walk_rejects_bad_headers);
	RUN(test_walk_struct_grows);
	RUN(test_gdb_list_follows_the_target_abi);
	RUN(test_gdb_list_gives_foreign_ids_and_ranges);
	RUN(test_graveyard_names_the_newest_holder);
	return check_report();
}
