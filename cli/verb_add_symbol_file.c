/* verb_add_symbol_file.c — `jitdebug add-symbol-file FILE...`: the GDB command that loads a JIT debug object saved
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
	char line[16384], err[256];
	int rc = jd_gdb_add_symbol_file(data, size, path, line, sizeof(line), err, sizeof(err));
	if (rc)
		fprintf(stderr, "jitdebug: %s: %s\n", path, err);
	else
		rc = printf("%s\n", line) < 0;
	cli_unmap_file(data, size);
	return rc ? 1 : 0;
}

int cli_add_symbol_file(int argc, char **argv)
{
	if (argc < 1) {
		cli_verb_usage("add-symbol-file");
		return 2;
	}
	int rc = 0;
	for (int i = 0; i < argc; i++)
		rc |= cli_print_add_symbol_file(argv[i]);
	return rc;
}
