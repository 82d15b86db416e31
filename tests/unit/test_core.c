/* test_core.c — jitdebug/core.c: ELF core files built here (PT_LOAD segments with a registry in
 * them), read by address and searched for the registry; the NT_FILE note, well-formed and not; bad
 * cores rejected with a message. */
#include "check.h"
#include "fakemem.h"
#include "jitdebug.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ELF header of an x86-64 core whose phnum program headers follow it. */
static void put_core_header(uint8_t *c, uint16_t phnum)
{
	Elf64_Ehdr eh = {.e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT, .e_phoff = sizeof(Elf64_Ehdr),
			 .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = phnum};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(c, &eh, sizeof(eh));
}

/* An ELF64 core with two PT_LOAD segments: mem[0..0x4000) at BASE and mem[0x8000..0x9000) at
 * BASE + 0x8000, plus a PT_NOTE; *size is set. */
static uint8_t *make_core(size_t *size)
{
	size_t phoff = sizeof(Elf64_Ehdr), data = phoff + 3 * sizeof(Elf64_Phdr);
	*size = data + 0x5000;
	uint8_t *c = calloc(1, *size);
	put_core_header(c, 3);
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

/* A core holding one PT_NOTE with an NT_FILE note: the count it claims, the page size, ntriples
 * triples, then paths_len bytes of paths. */
static uint8_t *make_file_note_core(uint64_t count, uint64_t page, const uint64_t *triples, size_t ntriples,
				    const char *paths, size_t paths_len, size_t *size)
{
	size_t desc = 16 + 3 * 8 * ntriples + paths_len;
	size_t note = 12 + 8 + ((desc + 3) & ~(size_t)3);
	size_t phoff = sizeof(Elf64_Ehdr), data = phoff + sizeof(Elf64_Phdr);
	*size = data + note;
	uint8_t *c = calloc(1, *size);
	put_core_header(c, 1);
	Elf64_Phdr ph = {.p_type = PT_NOTE, .p_offset = data, .p_filesz = note};
	memcpy(c + phoff, &ph, sizeof(ph));
	uint8_t *n = c + data;
	uint32_t hdr[3] = {5, (uint32_t)desc, 0x46494c45u};
	memcpy(n, hdr, sizeof(hdr));
	memcpy(n + 12, "CORE", 5);
	uint8_t *d = n + 20;
	memcpy(d, &count, 8);
	memcpy(d + 8, &page, 8);
	memcpy(d + 16, triples, 3 * 8 * ntriples);
	memcpy(d + 16 + 3 * 8 * ntriples, paths, paths_len);
	return c;
}

static int mappings_of(uint8_t *bytes, size_t size, struct jd_mapping **maps, size_t *n)
{
	char err[256];
	struct jd_core *core = jd_core_open_memory(bytes, size, err, sizeof(err));
	int rc = core ? jd_core_mappings(core, maps, n) : -100;
	jd_core_close(core);
	free(bytes);
	return rc;
}

static void test_core_reads_the_nt_file_note(void)
{
	const uint64_t t[] = {0x400000, 0x401000, 0, 0x7f0000000000, 0x7f0000003000, 2};
	static const char paths[] = "/bin/prog\0/lib/libx.so\0";
	size_t size, n = 0;
	struct jd_mapping *maps = NULL;
	CHECK(mappings_of(make_file_note_core(2, 0x1000, t, 2, paths, sizeof(paths) - 1, &size), size, &maps, &n) == 0 &&
		      n == 2, "parsed");
	CHECK(maps && maps[1].start == 0x7f0000000000 && maps[1].end == 0x7f0000003000 && maps[1].offset == 0x2000 &&
		      strcmp(maps[0].path, "/bin/prog") == 0 && strcmp(maps[1].path, "/lib/libx.so") == 0,
	      "mapping 1");
	free(maps);
	/* A core without an NT_FILE note (its PT_NOTE is empty). */
	make_registry(0);
	uint8_t *plain = make_core(&size);
	CHECK(mappings_of(plain, size, &maps, &n) == -ENOENT, "a note found in an empty PT_NOTE");
	/* Malformed: more entries than the note holds, a path without its NUL, a page size that is not a
	 * power of two; an offset that overflows maps nothing. */
	CHECK(mappings_of(make_file_note_core(1u << 19, 0x1000, t, 2, paths, sizeof(paths) - 1, &size), size, &maps, &n) ==
		      -EINVAL, "a count past the note");
	CHECK(mappings_of(make_file_note_core(2, 0x1000, t, 2, paths, sizeof(paths) - 2, &size), size, &maps, &n) == -EINVAL,
	      "a path without its NUL");
	CHECK(mappings_of(make_file_note_core(2, 0x1001, t, 2, paths, sizeof(paths) - 1, &size), size, &maps, &n) == -EINVAL,
	      "page size 0x1001");
	const uint64_t wrap[] = {0x400000, 0x401000, UINT64_MAX / 0x1000 + 1};
	CHECK(mappings_of(make_file_note_core(1, 0x1000, wrap, 1, "/a", 3, &size), size, &maps, &n) == 0 && n == 1 &&
		      maps[0].end == maps[0].start, "an overflowing offset mapped something");
	free(maps);
	/* A note whose sizes run past its segment. */
	uint8_t *bad = make_file_note_core(2, 0x1000, t, 2, paths, sizeof(paths) - 1, &size);
	uint32_t huge = 0x7fffffff;
	memcpy(bad + sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 4, &huge, 4);
	CHECK(mappings_of(bad, size, &maps, &n) == -EINVAL, "a note past its segment");
}

int main(void)
{
	RUN(test_core_reads_segments_and_finds_the_registry);
	RUN(test_core_rejects_bad_files);
	RUN(test_core_reads_the_nt_file_note);
	return check_report();
}
