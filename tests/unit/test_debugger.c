/* test_debugger.c — what debugger plugins and `jitdebug core` read: the registry and GDB's JIT list
 * walked through a memory reader (jd_walk_*), ELF core files (jd_core_*), and the absolute copy that
 * LLDB loads (jd_elf_make_absolute). Inputs are built here: a fake address space, small cores, and
 * objects from the light-JIT writer and the clang fixture. argv[1]: jitfix.o. */
#include "check.h"
#include "dwarf-lines.h"
#include "jitdebug.h"
#include "objfile.h"
#include "synth.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- a fake address space: one buffer at BASE ---------------------------------------------------- */
#define BASE 0x10000ull
static uint8_t mem[1 << 16];

static int read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	if (addr < BASE || addr - BASE > sizeof(mem) || len > sizeof(mem) - (addr - BASE))
		return -EFAULT;
	memcpy(buf, mem + (addr - BASE), len);
	return 0;
}

static void put(uint64_t addr, uint64_t v, int width)
{
	for (int i = 0; i < width; i++)
		mem[addr - BASE + (uint64_t)i] = (uint8_t)(v >> (8 * i));
}

#define REG (BASE + 0x100)
#define ENTRY(i) (BASE + 0x1000 + (uint64_t)(i) * 0x100)

/* A version-1 registry of n entries, ids 1..n, objects at 0x8000 + 0x100 * i, 0x80 bytes each. */
static void make_registry(int n)
{
	memset(mem, 0, sizeof(mem));
	put(REG, 0x3130474552444a4aull, 8);
	put(REG + 8, 1, 4);
	put(REG + 12, 56, 4);
	put(REG + 16, 2, 8);
	put(REG + 24, (uint64_t)n, 8);
	put(REG + 32, n ? ENTRY(0) : 0, 8);
	put(REG + 40, n ? ENTRY(n - 1) : 0, 8);
	put(REG + 48, 1, 8);
	for (int i = 0; i < n; i++) {
		put(ENTRY(i), i + 1 < n ? ENTRY(i + 1) : 0, 8);
		put(ENTRY(i) + 8, i ? ENTRY(i - 1) : 0, 8);
		put(ENTRY(i) + 16, (uint64_t)i + 1, 8);
		put(ENTRY(i) + 24, BASE + 0x8000 + (uint64_t)i * 0x100, 8);
		put(ENTRY(i) + 32, 0x80, 8);
		put(ENTRY(i) + 40, 0x7f0000000000ull + (uint64_t)i * 0x1000, 8);
		put(ENTRY(i) + 48, 0x7f0000000000ull + (uint64_t)i * 0x1000 + 0x40, 8);
		put(ENTRY(i) + 56, 1, 4);
		put(ENTRY(i) + 60, 64, 4);
	}
}

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
	put(REG + 8, 2, 4);
	CHECK(walk(&s, NULL, err) == -EPROTONOSUPPORT && strstr(err, "version 2"), "%s", err);
	struct jd_walk w = {.sz = sizeof(w), .read = read_mem, .ctx = &s, .object = on_object, .skipped = on_skipped};
	CHECK(jd_walk_registry(0x10, &w, NULL, err, sizeof(err)) == -EFAULT, "unreadable header");
	w.sz = 8;
	err[0] = '\0';
	CHECK(jd_walk_registry(REG, &w, NULL, err, sizeof(err)) == -EINVAL && strstr(err, "bad struct jd_walk"),
	      "short struct accepted, or no message: '%s'", err);
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

/* ---- `jit break`: locations and the watch table, as both plugins use them ---------------------------- */

static int write_mem(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	if (addr < BASE || addr - BASE > sizeof(mem) || len > sizeof(mem) - (addr - BASE))
		return -EFAULT;
	memcpy(mem + (addr - BASE), buf, len);
	return 0;
}

static void test_locations_parse_one_way(void)
{
	static const struct { const char *spec; int rc, kind; const char *name; uint32_t line; } cases[] = {
		{"jd_leaf", 0, JD_WATCH_SYMBOL, "jd_leaf", 0},
		{"ns::Shape::area", 0, JD_WATCH_SYMBOL, "ns::Shape::area", 0},
		{"crash.c:9", 0, JD_WATCH_FILE, "crash.c", 9},
		{"/src/a:b/x.c:12", -EINVAL, 0, "", 0}, /* a single colon in the file part */
		{"dir/x.c:2147483647", 0, JD_WATCH_FILE, "dir/x.c", 2147483647u},
		{"x.c:2147483648", -EINVAL, 0, "", 0},
		{"x.c:0", -EINVAL, 0, "", 0},
		{"a:b:c", -EINVAL, 0, "", 0},
		{":12", -EINVAL, 0, "", 0},
		{"f:", -EINVAL, 0, "", 0},
		{"", -EINVAL, 0, "", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int kind = -1;
		uint32_t line = 7;
		char name[256] = "", err[256] = "";
		int rc = jd_parse_location(cases[i].spec, &kind, name, sizeof(name), &line, err, sizeof(err));
		CHECK(rc == cases[i].rc, "'%s': %d (%s)", cases[i].spec, rc, err);
		if (rc == 0)
			CHECK(kind == cases[i].kind && strcmp(name, cases[i].name) == 0 && line == cases[i].line,
			      "'%s': kind %d name '%s' line %u", cases[i].spec, kind, name, line);
		else
			CHECK(strstr(err, "bad location '") != NULL, "'%s': %s", cases[i].spec, err);
	}
	char big[300], name[256], err[256];
	int kind;
	uint32_t line;
	memset(big, 'f', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(jd_parse_location(big, &kind, name, sizeof(name), &line, err, sizeof(err)) == -E2BIG, "long name");
}

static void test_watch_table_is_written_slots_then_active(void)
{
	memset(mem, 0, sizeof(mem));
	uint64_t table = BASE + 0x100;
	struct jd_watch_table t = {.magic = JD_WATCH_TABLE_MAGIC, .version = 1,
				   .header_size = offsetof(struct jd_watch_table, slots), .nslots = JD_WATCH_SLOTS,
				   .slot_size = sizeof(struct jd_watch_slot)};
	memcpy(mem + 0x100, &t, sizeof(t));
	struct jd_watch w[2] = {{JD_WATCH_SYMBOL, "jd_leaf"}, {JD_WATCH_FILE, "crash.c"}};
	char err[256];
	CHECK(jd_watch_table_write(table, w, 2, read_mem, write_mem, NULL, err, sizeof(err)) == 0, "%s", err);
	memcpy(&t, mem + 0x100, sizeof(t));
	CHECK(t.active == 2 && t.slots[0].kind == JD_WATCH_SYMBOL && strcmp(t.slots[0].pattern, "jd_leaf") == 0 &&
		      t.slots[1].kind == JD_WATCH_FILE && strcmp(t.slots[1].pattern, "crash.c") == 0,
	      "table: active %u, '%s', '%s'", t.active, t.slots[0].pattern, t.slots[1].pattern);
	struct jd_watch many[JD_WATCH_SLOTS + 1];
	for (size_t i = 0; i < JD_WATCH_SLOTS + 1; i++)
		many[i] = (struct jd_watch){JD_WATCH_SYMBOL, "f"};
	CHECK(jd_watch_table_write(table, many, JD_WATCH_SLOTS + 1, read_mem, write_mem, NULL, err, sizeof(err)) == -E2BIG &&
		      strstr(err, "at most 16"), "%s", err);
	struct jd_watch bad = {JD_WATCH_SYMBOL, ""};
	CHECK(jd_watch_table_write(table, &bad, 1, read_mem, write_mem, NULL, err, sizeof(err)) == -EINVAL, "empty pattern");
	put(table, 0x1234, 8);
	CHECK(jd_watch_table_write(table, w, 1, read_mem, write_mem, NULL, err, sizeof(err)) == -EINVAL &&
		      strstr(err, "not a version-1 watch table"), "%s", err);
	CHECK(jd_watch_table_write(0x10, w, 1, read_mem, write_mem, NULL, err, sizeof(err)) == -EFAULT, "unreadable");
}

struct maps {
	char pairs[4][2][256];
	int n, lost;
};

static void on_map(const char *from, const char *to, const char *file, void *ctx)
{
	struct maps *m = ctx;
	if (m->n < 4) {
		snprintf(m->pairs[m->n][0], 256, "%s", from);
		snprintf(m->pairs[m->n][1], 256, "%s", to);
	}
	m->n++;
}

static void on_lost(const char *file, void *ctx) { ((struct maps *)ctx)->lost++; }

/* `jit source-map --auto` for both plugins: the longest common path suffix wins, one mapping per
 * prefix pair, files found nowhere reported. */
static void test_source_map_finds_moved_sources(void)
{
	char root[] = "/tmp/jd-srcmap.XXXXXX", path[512];
	CHECK(mkdtemp(root) != NULL, "mkdtemp");
	static const char *files[] = {"moved/project/src/a.c", "moved/project/src/b.c", "other/a.c"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		for (char *c = path + strlen(root) + 1; *c; c++)
			if (*c == '/') {
				*c = '\0';
				mkdir(path, 0700);
				*c = '/';
			}
		FILE *f = fopen(path, "w");
		if (f)
			fclose(f);
	}
	const char *missing[] = {"/build/project/src/a.c", "/build/project/src/b.c", "/build/zz.c"};
	const char *dirs[] = {root};
	struct maps m = {0};
	CHECK(jd_source_map_auto(missing, 3, dirs, 1, on_map, on_lost, &m) == 0, "ran");
	snprintf(path, sizeof(path), "%s/moved", root);
	CHECK(m.n == 1 && strcmp(m.pairs[0][0], "/build") == 0 && strcmp(m.pairs[0][1], path) == 0,
	      "%d mappings, first %s -> %s", m.n, m.pairs[0][0], m.pairs[0][1]);
	CHECK(m.lost == 1, "one file found nowhere: %d", m.lost);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	CHECK(system(path) == 0, "cleanup");
}

/* ---- cores ------------------------------------------------------------------------------------------ */

/* An ELF64 core with two PT_LOAD segments: mem[0..0x4000) at BASE and mem[0x8000..0x9000) at
 * BASE + 0x8000, plus a PT_NOTE; *size is set. */
static uint8_t *make_core(size_t *size)
{
	size_t phoff = sizeof(Elf64_Ehdr), data = phoff + 3 * sizeof(Elf64_Phdr);
	*size = data + 0x5000;
	uint8_t *c = calloc(1, *size);
	Elf64_Ehdr eh = {.e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT, .e_phoff = phoff,
			 .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(c, &eh, sizeof(eh));
	Elf64_Phdr ph[3] = {
		{.p_type = PT_NOTE, .p_offset = data, .p_filesz = 0},
		{.p_type = PT_LOAD, .p_offset = data, .p_vaddr = BASE, .p_filesz = 0x4000, .p_memsz = 0x4000},
		{.p_type = PT_LOAD, .p_offset = data + 0x4000, .p_vaddr = BASE + 0x8000, .p_filesz = 0x1000, .p_memsz = 0x2000},
	};
	memcpy(c + phoff, ph, sizeof(ph));
	memcpy(c + data, mem, 0x4000);
	memcpy(c + data + 0x4000, mem + 0x8000, 0x1000);
	return c;
}

static void test_core_reads_segments_and_finds_the_registry(void)
{
	make_registry(2);
	memset(mem + 0x8000, 0xab, 0x200);
	size_t size;
	uint8_t *bytes = make_core(&size);
	char err[256];
	struct jd_core *core = jd_core_open_memory(bytes, size, err, sizeof(err));
	CHECK(core, "%s", err);
	if (!core) {
		free(bytes);
		return;
	}
	uint64_t at = 0;
	size_t candidates = 0;
	CHECK(jd_core_find_registry(core, &at, &candidates) == 0 && at == REG && candidates == 1, "found at %#llx (%zu)",
	      (unsigned long long)at, candidates);
	uint8_t buf[0x80];
	CHECK(jd_core_read(core, BASE + 0x8000, buf, sizeof(buf)) == 0 && buf[0] == 0xab, "object bytes");
	CHECK(jd_core_read(core, BASE + 0x3ff0, buf, 0x20) == -EFAULT, "read across a gap succeeded");
	CHECK(jd_core_read(core, BASE + 0x9000, buf, 8) == -EFAULT, "bytes past p_filesz are not zeros");
	CHECK(jd_core_read(core, 0x10, buf, 8) == -EFAULT, "read below every segment");
	struct jd_walk w = {.sz = sizeof(w), .read = jd_core_read, .ctx = core, .object = NULL, .skipped = NULL};
	struct jd_registry_header h;
	CHECK(jd_walk_registry(at, &w, &h, err, sizeof(err)) == 0 && h.count == 2, "%s", err);
	jd_core_close(core);
	free(bytes);
}

static void test_core_rejects_bad_files(void)
{
	make_registry(1);
	size_t size;
	uint8_t *bytes = make_core(&size);
	char err[256];
	struct jd_core *core;
	CHECK(!jd_core_open_memory(bytes, 10, err, sizeof(err)) && strstr(err, "not an ELF"), "%s", err);
	bytes[offsetof(Elf64_Ehdr, e_type)] = ET_EXEC;
	CHECK(!jd_core_open_memory(bytes, size, err, sizeof(err)) && strstr(err, "not a core file"), "%s", err);
	bytes[offsetof(Elf64_Ehdr, e_type)] = ET_CORE;
	bytes[offsetof(Elf64_Ehdr, e_phnum)] = 0xff; /* 65,535 headers: past the end */
	bytes[offsetof(Elf64_Ehdr, e_phnum) + 1] = 0xff;
	CHECK(!jd_core_open_memory(bytes, size, err, sizeof(err)) && strstr(err, "bad program header table"), "%s", err);
	bytes[offsetof(Elf64_Ehdr, e_phnum)] = 3;
	bytes[offsetof(Elf64_Ehdr, e_phnum) + 1] = 0;
	/* Truncated inside the second segment: what is there is readable, the rest is not. */
	core = jd_core_open_memory(bytes, sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) + 0x200, err, sizeof(err));
	uint8_t buf[16];
	CHECK(core && jd_core_read(core, BASE + 0x100, buf, 16) == 0 && jd_core_read(core, BASE + 0x300, buf, 16) == -EFAULT,
	      "truncated core");
	uint64_t at;
	CHECK(core && jd_core_find_registry(core, &at, NULL) == 0 && at == REG, "registry in a truncated core");
	jd_core_close(core);
	memset(bytes + sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr), 0, 0x5000);
	core = jd_core_open_memory(bytes, size, err, sizeof(err));
	CHECK(core && jd_core_find_registry(core, &at, NULL) == -ENOENT, "a registry found in zeros");
	jd_core_close(core);
	CHECK(!jd_core_open("/nonexistent/core", err, sizeof(err)) && strstr(err, "No such file"), "%s", err);
	free(bytes);
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

static const char *fixture;
static void test_absolute_copy_of_the_fixture(void) { test_absolute_copy_of_a_clang_object(fixture); }

int main(int argc, char **argv)
{
	fixture = argc > 1 ? argv[1] : "jitfix.o";
	RUN(test_registry_walk_reads_every_entry);
	RUN(test_registry_walk_stops_at_a_cycle);
	RUN(test_registry_walk_is_capped_by_the_count);
	RUN(test_registry_walk_skips_implausible_entries);
	RUN(test_registry_walk_reports_an_unreadable_entry);
	RUN(test_registry_walk_rejects_bad_headers);
	RUN(test_walk_struct_grows);
	RUN(test_locations_parse_one_way);
	RUN(test_watch_table_is_written_slots_then_active);
	RUN(test_source_map_finds_moved_sources);
	RUN(test_gdb_list_follows_the_target_abi);
	RUN(test_core_reads_segments_and_finds_the_registry);
	RUN(test_core_rejects_bad_files);
	RUN(test_absolute_copy_of_a_written_object);
	RUN(test_absolute_copy_of_the_fixture);
	return check_report();
}
