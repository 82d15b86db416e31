/* core.c — `jitdebug core COREFILE -o DIR [--registry ADDR]`: the JIT objects of a core file, written
 * to DIR/ID.o, and for each one the GDB command that loads it at its addresses (stdout), ready to
 * paste. The hooks' registry is found in the core by its magic number, so the executable is not
 * needed; --registry gives its address when several are found. What the walk skipped (a corrupted
 * list, unreadable objects) is reported on stderr. */
#include "cli.h"
#include "jitdebug.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct extract {
	struct jd_core *core;
	const char *dir;
	size_t written, failed;
};

static void say_skipped(const char *what, void *ctx)
{
	fprintf(stderr, "jitdebug core: skipped: %s\n", what);
}

static int read_core(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return jd_core_read(((struct extract *)ctx)->core, addr, buf, len);
}

static int extract_one(const struct jd_registry_object *o, void *ctx)
{
	struct extract *x = ctx;
	uint8_t *bytes = malloc(o->size);
	char path[4096];
	if (!bytes) {
		fprintf(stderr, "jitdebug core: skipped: object %" PRIu64 ": out of memory for %" PRIu64 " bytes\n", o->id,
			o->size);
		x->failed++;
		return 0;
	}
	if (jd_core_read(x->core, o->symfile, bytes, o->size) != 0) {
		fprintf(stderr, "jitdebug core: skipped: object %" PRIu64 ": its %" PRIu64 " bytes at 0x%" PRIx64
				" are not in the core\n", o->id, o->size, o->symfile);
		x->failed++;
	} else if (snprintf(path, sizeof(path), "%s/%" PRIu64 ".o", x->dir, o->id) >= (int)sizeof(path) ||
		   cli_write_file(path, bytes, o->size) != 0 || cli_print_add_symbol_file(path) != 0) {
		x->failed++;
	} else {
		x->written++;
	}
	free(bytes);
	return 0;
}

int cli_core(int argc, char **argv)
{
	const char *path = NULL, *dir = NULL;
	uint64_t registry = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0) {
			if (!(dir = cli_value(argc, argv, &i, "core")))
				return 2;
		} else if (strcmp(argv[i], "--registry") == 0) {
			const char *v = cli_value(argc, argv, &i, "core");
			if (!v || cli_number("core", "--registry address", v, 1, UINT64_MAX, &registry) != 0)
				return 2;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "jitdebug core: unknown option '%s'\n", argv[i]);
			return 2;
		} else if (path) {
			path = NULL;
			break;
		} else {
			path = argv[i];
		}
	}
	if (!path || !dir) {
		fprintf(stderr, "usage: jitdebug core COREFILE -o DIR [--registry ADDR]\n");
		return 2;
	}
	char err[512];
	struct jd_core *core = jd_core_open(path, err, sizeof(err));
	if (!core) {
		fprintf(stderr, "jitdebug core: %s\n", err);
		return 1;
	}
	int rc = 1;
	size_t candidates = 1;
	if (!registry && jd_core_find_registry(core, &registry, &candidates) != 0) {
		fprintf(stderr, "jitdebug core: %s: no jitdebug registry in this core (was the process running with the "
				"jitdebug hooks?)\n", path);
		goto out;
	}
	if (candidates > 1)
		fprintf(stderr, "jitdebug core: %zu registry headers found; reading the one at 0x%" PRIx64
				" (--registry chooses another)\n", candidates, registry);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "jitdebug core: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	struct extract x = {.core = core, .dir = dir};
	struct jd_walk w = {.sz = sizeof(w), .read = read_core, .ctx = &x, .object = extract_one, .skipped = say_skipped};
	struct jd_registry_header hdr;
	if (jd_walk_registry(registry, &w, &hdr, err, sizeof(err)) != 0) {
		fprintf(stderr, "jitdebug core: %s\n", err);
		goto out;
	}
	if (hdr.generation % 2)
		fprintf(stderr, "jitdebug core: the core was written while the registry was being edited; the list may "
				"be incomplete\n");
	fprintf(stderr, "jitdebug core: %zu of %" PRIu64 " objects written to %s%s\n", x.written, hdr.count, dir,
		x.failed ? " (see the skipped ones above)" : "");
	if (x.written == 0)
		fprintf(stderr, "jitdebug core: nothing extracted%s\n",
			hdr.count ? "" : ": the registry was empty when the core was written");
	rc = x.written == 0; /* a run that extracted nothing did not do its job */
out:
	jd_core_close(core);
	return rc;
}
