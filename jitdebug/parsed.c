/* parsed.c — the shared parse of parsed.h. */
#include "parsed.h"

#include <errno.h>

const struct jd_elf *jd_parsed_elf(struct jd_parsed *p)
{
	if (!p->elf_err) {
		p->elf = jd_elf_open(p->data, p->size, NULL, p->why, sizeof(p->why));
		p->elf_err = p->elf ? -1 : (errno ? errno : EINVAL);
	}
	if (!p->elf)
		errno = p->elf_err;
	return p->elf;
}

const struct jd_lines *jd_parsed_lines(struct jd_parsed *p)
{
	if (!p->lines_err) {
		const struct jd_elf *elf = jd_parsed_elf(p);
		p->lines = elf ? jd_lines_read_parsed(p->data, p->size, elf) : NULL;
		p->lines_err = p->lines ? -1 : (errno ? errno : ENODATA);
	}
	if (!p->lines)
		errno = p->lines_err;
	return p->lines;
}

void jd_parsed_fini(struct jd_parsed *p)
{
	jd_lines_free(p->lines);
	jd_elf_close(p->elf);
	p->lines = NULL;
	p->elf = NULL;
}
