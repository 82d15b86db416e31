/* dwarf_lines.c — the DWARF line table of a JIT debug object, with absolute addresses, via libdw.
 *
 * A JIT debug object is ET_REL: its .debug_* sections still hold relocations (.rela.debug_line,
 * .rela.debug_addr, ...) against the code sections. Debuggers apply them themselves; libdw does not.
 * So the relocations are applied to a private copy of the object (jd_elf_apply_debug_relocations),
 * against the section addresses the JIT patched in, and libdw reads the copy. DWARF 4 and 5 both work:
 * the line program's DW_LNE_set_address (v4) and .debug_addr entries (v5) are the relocated fields.
 */
#include "dwarf-lines.h"
#include "jitdebug.h"

#include <elf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

struct jd_lines {
	uint8_t *copy;
	Elf *elf;
	Dwarf *dw;
	struct jd_line *rows;
	size_t n;
};

static int cmp_row(const void *a, const void *b)
{
	const struct jd_line *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct jd_lines *jd_lines_read(const uint8_t *obj, size_t size)
{
	struct jd_elf *elf = jd_elf_open(obj, size, NULL, NULL, 0);
	if (!elf) {
		errno = errno == ENOMEM ? ENOMEM : EINVAL;
		return NULL;
	}
	struct jd_lines *l = jd_lines_read_parsed(obj, size, elf);
	int err = errno;
	jd_elf_close(elf);
	errno = err;
	return l;
}

struct jd_lines *jd_lines_read_parsed(const uint8_t *obj, size_t size, const struct jd_elf *parse)
{
	struct jd_lines *l = calloc(1, sizeof(*l));
	int err = ENODATA;

	if (!l || !(l->copy = malloc(size))) {
		err = ENOMEM;
		goto fail;
	}
	/* The copy has the parsed bytes' layout: the parse's offsets apply to it. */
	memcpy(l->copy, obj, size);
	jd_elf_apply_debug_relocations(l->copy, parse);

	elf_version(EV_CURRENT);
	if (!(l->elf = elf_memory((char *)l->copy, size)) || !(l->dw = dwarf_begin_elf(l->elf, DWARF_C_READ, NULL)))
		goto fail; /* no DWARF at all */

	size_t cap = 0;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(l->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		Dwarf_Lines *lines;
		size_t nlines;
		if (dwarf_offdie(l->dw, off + hsize, &cu) && dwarf_getsrclines(&cu, &lines, &nlines) == 0) {
			for (size_t i = 0; i < nlines; i++) {
				Dwarf_Line *ln = dwarf_onesrcline(lines, i);
				Dwarf_Addr addr;
				int lineno;
				bool end;
				const char *file;
				if (!ln || dwarf_lineaddr(ln, &addr) || dwarf_lineno(ln, &lineno) || dwarf_lineendsequence(ln, &end) ||
				    end || lineno <= 0 || !(file = dwarf_linesrc(ln, NULL, NULL)))
					continue;
				if (l->n == cap) {
					size_t ncap = cap ? cap * 2 : 64;
					struct jd_line *nr = realloc(l->rows, ncap * sizeof(*nr));
					if (!nr) {
						err = ENOMEM;
						goto fail;
					}
					l->rows = nr;
					cap = ncap;
				}
				l->rows[l->n++] = (struct jd_line){addr, lineno, file};
			}
		}
		off = next;
	}
	if (l->n == 0)
		goto fail;
	qsort(l->rows, l->n, sizeof(*l->rows), cmp_row);
	return l;
fail:
	jd_lines_free(l);
	errno = err;
	return NULL;
}

const struct jd_line *jd_lines_rows(const struct jd_lines *l, size_t *n)
{
	*n = l->n;
	return l->rows;
}

void jd_lines_free(struct jd_lines *l)
{
	if (!l)
		return;
	if (l->dw)
		dwarf_end(l->dw);
	if (l->elf)
		elf_end(l->elf);
	free(l->rows);
	free(l->copy);
	free(l);
}
