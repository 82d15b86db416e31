/* fuzz_core.c — libFuzzer target: arbitrary bytes as a core file (jd_core_open_memory), the registry
 * search, the NT_FILE note, and the walks of the registry and of a GDB JIT list through the core's memory, with the
 * objects' bytes read as `jitdebug core` reads them. */
#include "jitdebug.h"

#include <stdlib.h>
#include <string.h>

static struct jd_core *core;

static int read_object(const struct jd_registry_object *o, void *ctx)
{
	uint8_t buf[256];
	jd_core_read(core, o->symfile, buf, o->size < sizeof(buf) ? o->size : sizeof(buf));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	core = jd_core_open_memory(data, size, err, sizeof(err));
	if (!core)
		return (int)strlen(err) * 0;
	uint64_t at;
	struct jd_walk w = {.sz = sizeof(w), .read = jd_core_read, .ctx = core, .object = read_object, .skipped = NULL};
	struct jd_registry_header h;
	if (jd_core_find_registry(core, &at, NULL) == 0) {
		jd_walk_registry(at, &w, &h, err, sizeof(err));
		/* The same bytes as GDB's descriptor, in both ABIs. */
		jd_walk_gdb_jit_list(at, 8, 0, &w, NULL);
		jd_walk_gdb_jit_list(at, 4, 1, &w, NULL);
	}
	/* The NT_FILE note, and its paths as a process's mappings (files that exist are opened). */
	struct jd_mapping *maps;
	size_t n;
	if (jd_core_mappings(core, &maps, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			(void)strlen(maps[i].path);
		free(maps);
	}
	jd_core_close(core);
	return 0;
}
