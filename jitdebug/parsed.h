/* parsed.h — one parse of an object, shared by everything that reads it during its registration
 * (the perf outputs, the first symbol of the link's event, watch matching), so that each registered
 * object is parsed at most once in full and its line table read at most once, whatever is on.
 * Internal to jitdebug's libraries. Not thread-safe: one registering thread owns it; the bytes must
 * stay valid and unchanged until jd_parsed_fini. */
#ifndef JD_PARSED_H
#define JD_PARSED_H

#include "dwarf-lines.h"
#include "jitdebug.h"

#include <stddef.h>
#include <stdint.h>

struct jd_parsed {
	const uint8_t *data;
	size_t size;
	struct jd_elf *elf;     /* the full parse, made on first use */
	struct jd_lines *lines; /* the line table, read on first use */
	int elf_err, lines_err; /* 0 not tried yet; else the errno of the attempt (-1: succeeded) */
	char why[256]; /* why the full parse failed */
};

static inline void jd_parsed_init(struct jd_parsed *p, const uint8_t *data, size_t size)
{
	p->data = data;
	p->size = size;
	p->elf = NULL;
	p->lines = NULL;
	p->elf_err = p->lines_err = 0;
	p->why[0] = '\0';
}

/* The full parse: NULL with errno set (EINVAL: see p->why; ENOMEM) when the object does not parse.
 * Made once. */
const struct jd_elf *jd_parsed_elf(struct jd_parsed *p);
/* The line table: NULL with errno set (ENODATA: none) when there is none. Read once. */
const struct jd_lines *jd_parsed_lines(struct jd_parsed *p);
void jd_parsed_fini(struct jd_parsed *p);

#endif
