/* dwarf-lines.h — DWARF line tables of JIT debug objects (dwarf_lines.c); internal to jitdebug's
 * libraries (the hooks' perf outputs and watches, the CLI's symbolize). */
#ifndef JD_DWARF_LINES_H
#define JD_DWARF_LINES_H

#include <stddef.h>
#include <stdint.h>

/* One line-table row, absolute address. */
struct jd_line {
	uint64_t addr;
	int32_t line;
	const char *file; /* valid while the jd_lines it came from is alive */
};

struct jd_lines;
/* Line table of an ET_REL object whose sections carry load addresses: the object's .rela.debug_*
 * are applied to a private copy first (x86-64), then libdw reads it. NULL with errno on failure
 * (ENODATA: no line table). Rows are sorted by address. */
struct jd_lines *jd_lines_read(const uint8_t *obj, size_t size);
struct jd_elf;
/* The same with the caller's full parse of obj (jd_elf_open without JD_ELF_SECTIONS_ONLY), which is
 * not parsed again. */
struct jd_lines *jd_lines_read_parsed(const uint8_t *obj, size_t size, const struct jd_elf *parse);
const struct jd_line *jd_lines_rows(const struct jd_lines *l, size_t *n);
void jd_lines_free(struct jd_lines *l);

#endif
