/* test_synth.c — light-JIT registration (jd_register_function(s)) and the object writer behind it.
 * The written objects are re-read with the core ELF reader and libdw (jd_lines_read); one test per
 * rejection rule checks that nothing is registered. With a directory argument, the objects are also
 * saved there for `llvm-dwarfdump --verify` (tests/integration/light_jit.sh). */
#include "check.h"
#include "dwarf-lines.h"
#include "jitdebug-hooks.h"
#include "jitdebug.h"
#include "synth.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *save_dir;

static void quiet_log(int level, const char *msg, void *ctx) { (void)level, (void)msg, (void)ctx; }

static void save(const char *name, const uint8_t *obj, size_t size)
{
	if (!save_dir)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", save_dir, name);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(obj, 1, size, f) == size, "cannot save %s", path);
	if (f)
		fclose(f);
}

static const struct jd_function_line sq_lines[] = {{0, 3}, {15, 4}, {19, 5}};
static const struct jd_function_line poly_lines[] = {{0, 7}, {15, 8}, {30, 9}, {36, 10}};

static struct jd_function fn(const char *name, uint64_t addr, uint64_t size)
{
	return (struct jd_function){.name = name, .addr = addr, .size = size};
}

static struct jd_function fn_lines(const char *name, uint64_t addr, uint64_t size, const struct jd_function_line *l,
				   size_t n)
{
	struct jd_function f = fn(name, addr, size);
	f.file = "/src/poly.acc";
	f.lines = l;
	f.n_lines = n;
	f.frame = JD_FRAME_RBP;
	return f;
}

/* Two adjacent functions with lines and one far away without: two .text runs, symbols at their
 * absolute addresses, the line table as given. */
static void test_written_object_reads_back(void)
{
	struct jd_function f[] = {
		fn_lines("poly", 0x7ff000001020, 60, poly_lines, 4),
		fn_lines("square", 0x7ff000001000, 26, sq_lines, 3),
		fn("far_away", 0x7ff000900000, 10),
	};
	uint8_t *obj;
	size_t size;
	char err[160];
	int rc = jd_synth_object(f, 3, &(struct jd_synth_opts){"/src", "test"}, &obj, &size, err, sizeof(err));
	CHECK(rc == 0, "rc %d: %s", rc, err);
	if (rc)
		return;
	save("three.o", obj, size);
	char why[256];
	struct jd_elf *elf = jd_elf_open(obj, size, NULL, why, sizeof(why));
	CHECK(elf, "core reader rejects the object: %s", why);
	if (elf) {
		CHECK(jd_elf_type(elf) == ET_REL, "type %u", jd_elf_type(elf));
		struct jd_elf_section t0, t1, s;
		CHECK(jd_elf_section_by_name(elf, ".text", &t0) == 0 && t0.type == SHT_NOBITS &&
			      t0.addr == 0x7ff000001000 && t0.size == 0x5c && (t0.flags & SHF_EXECINSTR),
		      ".text %#llx+%#llx", (unsigned long long)t0.addr, (unsigned long long)t0.size);
		CHECK(jd_elf_section_by_name(elf, ".text.1", &t1) == 0 && t1.type == SHT_NOBITS && t1.addr == 0x7ff000900000 &&
			      t1.size == 10,
		      ".text.1");
		const char *debug[] = {".debug_info", ".debug_abbrev", ".debug_line", ".debug_ranges", ".debug_frame"};
		for (size_t i = 0; i < 5; i++)
			CHECK(jd_elf_section_by_name(elf, debug[i], &s) == 0 && s.size > 0, "%s", debug[i]);
		uint64_t lo, hi;
		CHECK(jd_elf_alloc_range(elf, &lo, &hi) == 0 && lo == 0x7ff000001000 && hi == 0x7ff00090000a, "range");
		int seen = 0;
		for (size_t i = 0; i < jd_elf_symbol_count(elf); i++) {
			struct jd_elf_symbol sym;
			if (jd_elf_symbol(elf, i, &sym) != 0 || sym.type != STT_FUNC)
				continue;
			for (size_t k = 0; k < 3; k++)
				if (strcmp(sym.name, f[k].name) == 0 && sym.addr == f[k].addr && sym.size == f[k].size)
					seen |= 1 << k;
		}
		CHECK(seen == 7, "symbols found: %#x", seen);
		jd_elf_close(elf);
	}
	struct jd_lines *lines = jd_lines_read(obj, size);
	CHECK(lines, "libdw reads no line table: %s", strerror(errno));
	if (lines) {
		size_t n;
		const struct jd_line *rows = jd_lines_rows(lines, &n);
		CHECK(n == 7, "%zu rows", n);
		for (size_t i = 0; i < n && n == 7; i++) {
			const struct jd_function *g = i < 3 ? &f[1] : &f[0];
			const struct jd_function_line *want = &g->lines[i < 3 ? i : i - 3];
			CHECK(rows[i].addr == g->addr + want->offset && rows[i].line == (int32_t)want->line &&
				      strcmp(rows[i].file, "/src/poly.acc") == 0,
			      "row %zu: %#llx %d %s", i, (unsigned long long)rows[i].addr, rows[i].line, rows[i].file);
		}
		jd_lines_free(lines);
	}
	free(obj);
}

/* Without line tables or frame rules there is no DWARF at all: only .text and symbols. */
static void test_names_only_object_has_no_dwarf(void)
{
	struct jd_function f = fn("bare", 0x401000, 32);
	uint8_t *obj;
	size_t size;
	CHECK(jd_synth_object(&f, 1, NULL, &obj, &size, NULL, 0) == 0, "rejected");
	char why[256];
	struct jd_elf *elf = jd_elf_open(obj, size, NULL, why, sizeof(why));
	struct jd_elf_section s;
	CHECK(elf && jd_elf_section_by_name(elf, ".debug_info", &s) != 0 && jd_elf_section_by_name(elf, ".debug_frame", &s) != 0,
	      "unexpected DWARF");
	CHECK(elf && jd_elf_section_count(elf) == 5, "%zu sections", elf ? jd_elf_section_count(elf) : 0);
	save("bare.o", obj, size);
	jd_elf_close(elf);
	free(obj);
}

static int find_id(const struct jd_object_info *info, void *ctx)
{
	struct jd_object_info *want = ctx;
	if (info->id != want->id)
		return 0;
	*want = *info;
	return 1;
}

static void test_register_and_unregister(void)
{
	struct jd_function f[] = {fn_lines("square", 0x7ff000001000, 26, sq_lines, 3), fn_lines("poly", 0x7ff000001020, 60, poly_lines, 4)};
	size_t before = jd_object_count();
	uint64_t id = 0;
	CHECK(jd_register_functions(f, 2, NULL, &id, NULL, 0) == 0 && id != 0, "registration failed");
	CHECK(jd_object_count() == before + 1, "count");
	struct jd_object_info info = {.id = id};
	CHECK(jd_foreach_object(find_id, &info) == 1 && info.lo == 0x7ff000001000 && info.hi == 0x7ff00000105c,
	      "registry range %#llx-%#llx", (unsigned long long)info.lo, (unsigned long long)info.hi);
	CHECK(jd_unregister_object(id) == 0 && jd_object_count() == before, "unregister");
	uint64_t one = 0;
	CHECK(jd_register_function(&f[0], NULL, &one, NULL, 0) == 0 && one > id, "single function");
	CHECK(jd_unregister_object(one) == 0, "unregister single");
}

/* A caller built against an older, shorter struct jd_function, and one against a longer one. */
static void test_function_size_field(void)
{
	struct old_function {
		const char *name;
		uint64_t addr, size;
	} old[2] = {{"old_a", 0x500000, 16}, {"old_b", 0x500010, 16}};
	uint64_t id;
	struct jd_functions_opts o = {.sz = sizeof(o), .function_sz = sizeof(old[0])};
	CHECK(jd_register_functions((const struct jd_function *)(const void *)old, 2, &o, &id, NULL, 0) == 0, "older layout");
	jd_unregister_object(id);

	struct newer {
		struct jd_function f;
		uint64_t future;
	} nf[1] = {{fn("newer", 0x600000, 8), 0}};
	o.function_sz = sizeof(nf[0]);
	CHECK(jd_register_functions(&nf[0].f, 1, &o, &id, NULL, 0) == 0, "newer layout with zero tail");
	jd_unregister_object(id);
	nf[0].future = 1;
	char err[160] = "";
	CHECK(jd_register_functions(&nf[0].f, 1, &o, &id, err, sizeof(err)) == -EINVAL && strstr(err, "unknown"), "non-zero tail: %s", err);
	struct {
		struct jd_functions_opts o;
		uint64_t future;
	} big = {{.sz = sizeof(big)}, 1};
	CHECK(jd_register_functions(&nf[0].f, 1, &big.o, &id, err, sizeof(err)) == -EINVAL && strstr(err, "opts"),
	      "opts with unknown tail: %s", err);
}

/* Bad input: -EINVAL with a reason, nothing registered, the rejection counted. */
static void expect_rejected(const struct jd_function *f, size_t n, const char *reason)
{
	char err[160] = "";
	struct jd_functions_opts o = {.sz = sizeof(o)};
	struct jd_hooks_stats before = {.sz = sizeof(before)}, after = {.sz = sizeof(after)};
	jd_hooks_stats(&before);
	size_t count = jd_object_count();
	uint64_t id = 0;
	int rc = jd_register_functions(f, n, &o, &id, err, sizeof(err));
	jd_hooks_stats(&after);
	CHECK(rc == -EINVAL || rc == -E2BIG, "accepted (rc %d) input that should fail with '%s'", rc, reason);
	CHECK(strstr(err, reason), "reason '%s', wanted '%s'", err, reason);
	CHECK(jd_object_count() == count && id == 0, "something was registered");
	CHECK(after.rejected == before.rejected + 1, "rejection not counted");
}

static void test_rejects_empty_name(void)
{
	struct jd_function f = fn("", 0x1000, 4);
	expect_rejected(&f, 1, "empty name");
	f.name = NULL;
	expect_rejected(&f, 1, "empty name");
}

static void test_rejects_zero_size(void)
{
	struct jd_function f = fn("z", 0x1000, 0);
	expect_rejected(&f, 1, "size 0");
}

static void test_rejects_zero_address_and_wrap(void)
{
	struct jd_function f = fn("a", 0, 4);
	expect_rejected(&f, 1, "address 0");
	f = fn("w", UINT64_MAX - 2, 8);
	expect_rejected(&f, 1, "wraps around");
}

static void test_rejects_line_past_end(void)
{
	static const struct jd_function_line l[] = {{0, 1}, {26, 2}};
	struct jd_function f = fn_lines("past", 0x1000, 26, l, 2);
	expect_rejected(&f, 1, "past its 26 bytes");
}

static void test_rejects_unsorted_lines(void)
{
	static const struct jd_function_line l[] = {{0, 1}, {8, 2}, {4, 3}};
	struct jd_function f = fn_lines("unsorted", 0x1000, 26, l, 3);
	expect_rejected(&f, 1, "not sorted");
	static const struct jd_function_line dup[] = {{0, 1}, {0, 2}};
	f = fn_lines("dup", 0x1000, 26, dup, 2);
	expect_rejected(&f, 1, "not sorted");
}

static void test_rejects_line_zero_and_missing_file(void)
{
	static const struct jd_function_line l[] = {{0, 0}};
	struct jd_function f = fn_lines("l0", 0x1000, 8, l, 1);
	expect_rejected(&f, 1, "line 0");
	f = fn_lines("nofile", 0x1000, 8, sq_lines, 1);
	f.file = NULL;
	expect_rejected(&f, 1, "needs a source file");
	f = fn_lines("notable", 0x1000, 8, NULL, 1);
	expect_rejected(&f, 1, "no line table");
}

static void test_rejects_absurd_counts(void)
{
	struct jd_function f = fn_lines("absurd", 0x1000, 16, sq_lines, (size_t)1 << 40);
	expect_rejected(&f, 1, "line rows for 16 bytes");
	f = fn("many", 0x1000, 16);
	expect_rejected(&f, (size_t)JD_SYNTH_MAX_FUNCTIONS + 1, "more than");
	expect_rejected(NULL, 0, "no functions");
	char *longname = malloc(JD_SYNTH_MAX_NAME + 2);
	memset(longname, 'a', JD_SYNTH_MAX_NAME + 1);
	longname[JD_SYNTH_MAX_NAME + 1] = 0;
	f = fn(longname, 0x1000, 16);
	expect_rejected(&f, 1, "longer than");
	free(longname);
}

static void test_rejects_overlap_and_bad_frame(void)
{
	struct jd_function f[] = {fn("first", 0x1000, 32), fn("second", 0x1010, 32)};
	expect_rejected(f, 2, "overlap");
	struct jd_function g = fn("frame", 0x1000, 3);
	g.frame = JD_FRAME_RBP; /* the default prologue needs 4 bytes */
	expect_rejected(&g, 1, "frame offsets");
	g.frame = 9;
	expect_rejected(&g, 1, "unknown frame kind");
	g.frame = 0;
	g.reserved = 1;
	expect_rejected(&g, 1, "reserved");
}

/* A batch of 1,000 functions with 4 lines each: one object, written and read back; the size per
 * function is printed for the docs. */
static void test_batch_of_1000(void)
{
	enum { N = 1000 };
	static struct jd_function f[N];
	static char names[N][16];
	static const struct jd_function_line l[] = {{0, 1}, {8, 2}, {16, 3}, {24, 4}};
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "fn_%d", i);
		f[i] = fn_lines(names[i], 0x7f0000000000 + 48 * (uint64_t)i, 40, l, 4);
		f[i].file = i % 2 ? "/src/odd.acc" : "/src/even.acc";
	}
	uint8_t *obj;
	size_t size;
	char err[160];
	CHECK(jd_synth_object(f, N, NULL, &obj, &size, err, sizeof(err)) == 0, "%s", err);
	char why[256];
	struct jd_elf *elf = jd_elf_open(obj, size, NULL, why, sizeof(why));
	CHECK(elf && jd_elf_symbol_count(elf) == N + 1, "symbols");
	struct jd_elf_section t;
	CHECK(elf && jd_elf_section_by_name(elf, ".text", &t) == 0 && t.size == 48 * (N - 1) + 40, "one run");
	jd_elf_close(elf);
	struct jd_lines *lines = jd_lines_read(obj, size);
	size_t n = 0;
	CHECK(lines && jd_lines_rows(lines, &n) && n == 4 * N, "%zu rows", n);
	jd_lines_free(lines);
	printf("     batch of %d functions with 4 lines: %zu bytes, %zu per function\n", N, size, size / N);
	save("batch1000.o", obj, size);
	free(obj);
}

int main(int argc, char **argv)
{
	save_dir = argc > 1 ? argv[1] : NULL;
	jd_hooks_set_log(quiet_log, NULL);
	RUN(test_written_object_reads_back);
	RUN(test_names_only_object_has_no_dwarf);
	RUN(test_register_and_unregister);
	RUN(test_function_size_field);
	RUN(test_rejects_empty_name);
	RUN(test_rejects_zero_size);
	RUN(test_rejects_zero_address_and_wrap);
	RUN(test_rejects_line_past_end);
	RUN(test_rejects_unsorted_lines);
	RUN(test_rejects_line_zero_and_missing_file);
	RUN(test_rejects_absurd_counts);
	RUN(test_rejects_overlap_and_bad_frame);
	RUN(test_batch_of_1000);
	return check_report();
}
