/* objects.c — `jitdebug add-symbol-file FILE...`: the GDB command that loads a JIT debug object saved
 * to a file (by `jitdebug fetch`, the GDB plugin's cache, or `jitdebug core`) at its load addresses:
 * `add-symbol-file FILE -s SECTION ADDR ...` with every allocated section that has an address. The GDB
 * plugin runs it rather than parse ELF in Python. */
#include "cli.h"
#include "jitdebug.h"

#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

int cli_print_add_symbol_file(const char *path)
{
	unsigned long size;
	const uint8_t *data = cli_map_file(path, &size);
	if (!data)
		return 1;
	static const struct jd_elf_open_opts light = {sizeof(light), JD_ELF_SECTIONS_ONLY};
	struct jd_elf_diag diag;
	struct jd_elf *elf = jd_elf_open(data, size, &light, &diag);
	int rc = 1;
	uint16_t phnum = size >= sizeof(Elf64_Ehdr) ? (uint16_t)(data[offsetof(Elf64_Ehdr, e_phnum)] |
								    data[offsetof(Elf64_Ehdr, e_phnum) + 1] << 8) : 0;
	if (!elf) {
		fprintf(stderr, "jitdebug: %s: not a JIT debug object: %s\n", path, diag.message);
	} else if (jd_elf_type(elf) == ET_CORE || phnum) {
		/* A core, an executable or a shared library: GDB loads those itself (core-file, file). */
		fprintf(stderr, "jitdebug: %s: not a JIT debug object: %s\n", path,
			jd_elf_type(elf) == ET_CORE ? "a core file (use `jitdebug core` to extract its JIT objects)"
						    : "a linked program or library with program headers (GDB's `file` loads it)");
	} else {
		char line[16384];
		int len = snprintf(line, sizeof(line), "add-symbol-file %s", path), n = 0;
		for (size_t i = 1; i < jd_elf_section_count(elf) && len > 0 && (size_t)len < sizeof(line); i++) {
			struct jd_elf_section s;
			if (jd_elf_section(elf, i, &s) != 0 || !(s.flags & SHF_ALLOC) || s.addr == 0 || !*s.name ||
			    strpbrk(s.name, " \t\n'\""))
				continue;
			len += snprintf(line + len, sizeof(line) - (size_t)len, " -s %s 0x%llx", s.name, (unsigned long long)s.addr);
			n++;
		}
		if (n == 0)
			fprintf(stderr, "jitdebug: %s: no allocated section has a load address\n", path);
		else if (len < 0 || (size_t)len >= sizeof(line))
			fprintf(stderr, "jitdebug: %s: too many sections for one command\n", path);
		else
			rc = printf("%s\n", line) < 0;
		jd_elf_close(elf);
	}
	cli_unmap_file(data, size);
	return rc;
}

int cli_add_symbol_file(int argc, char **argv)
{
	if (argc < 1) {
		fprintf(stderr, "usage: jitdebug add-symbol-file FILE...\n");
		return 2;
	}
	int rc = 0;
	for (int i = 0; i < argc; i++)
		rc |= cli_print_add_symbol_file(argv[i]);
	return rc;
}
