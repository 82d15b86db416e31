/* verb_core.c — `jitdebug core COREFILE -o DIR [--registry ADDR] [--descriptor ADDR]`: the JIT objects of a
 * core file, written to DIR/ID.o, and for each one the GDB command that loads it at its addresses
 * (stdout), ready to paste. Every registrar is read: the hooks' registry, found in the core by its
 * magic number, and every other GDB JIT descriptor (libLLVM's listener, hand-written ones), found in
 * the symbol tables of the files the core's NT_FILE note names; so the executable is not needed.
 * --registry and --descriptor give addresses when the search cannot. What a walk skipped (a corrupted
 * list, unreadable objects) is reported on stderr. */
#include "cli.h"
#include "hashkeys.h"
#include "jitdebug.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a core can make this command write is bounded by what the core holds: each object id once,
 * each start address of object bytes once, and in all no more bytes from the core than its size (a
 * hostile core's thousand entries naming one megabyte would otherwise write a gigabyte). Objects
 * fetched by build-id come from a server, not the core, and are not counted against it. */
struct extract {
	struct jd_core *core;
	const char *dir;
	uint64_t core_size, from_core;
	struct jd_u64set ids, starts;
	size_t written, failed, fetched, repeated, over_budget;
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
	struct jd_walk w = {.sz = sizeof(w), .read = read_core, .ctx = x};
	uint8_t *bytes;
	size_t size;
	int fetched = 0;
	char path[4096], id[24], err[600];
	jd_id_format(o->id, id, sizeof(id));
	int seen_id = jd_u64set_add(&x->ids, o->id);
	int seen_range = jd_u64set_add(&x->starts, o->symfile); /* no two objects' bytes start at one address */
	if (seen_id < 0 || seen_range < 0) {
		fprintf(stderr, "jitdebug core: out of memory\n");
		return 1;
	}
	if (seen_id || seen_range) {
		fprintf(stderr, "jitdebug core: skipped: object %s: %s\n", id,
			seen_id ? "an object of this id was read before (a corrupted or forged list)"
				: "its bytes start where an object read before starts (a corrupted or forged list)");
		x->repeated++;
		return 0;
	}
	if (o->size > x->core_size - x->from_core && jd_core_read(x->core, o->symfile, &(uint8_t){0}, 1) == 0) {
		fprintf(stderr, "jitdebug core: skipped: object %s: %" PRIu64 " more bytes would pass the core's own size "
				"(%" PRIu64 " bytes already read for other objects): the list names the same bytes again\n",
			id, o->size, x->from_core);
		x->over_budget++;
		return 0;
	}
	if (jd_object_bytes(&w, o, &bytes, &size, &fetched, err, sizeof(err)) != 0) {
		fprintf(stderr, "jitdebug core: skipped: %s\n", err);
		x->failed++;
		return 0;
	}
	if (!fetched)
		x->from_core += size;
	int named = snprintf(path, sizeof(path), "%s/%s.o", x->dir, id) < (int)sizeof(path);
	if (named && cli_write_file(path, bytes, size) == 0 && cli_print_add_symbol_file(path) == 0) {
		x->written++;
		x->fetched += fetched;
	} else {
		if (named)
			unlink(path); /* what is reported as not written is not left behind */
		x->failed++;
	}
	jd_free(bytes);
	return 0;
}

struct descriptors {
	uint64_t addr[64];
	char path[64][256];
	size_t n;
	int with_registry; /* the hooks' own descriptor lists registry objects: skipped when it was read */
};

static int add_descriptor(const struct jd_descriptor *d, void *ctx)
{
	struct descriptors *ds = ctx;
	if (d->hooks && ds->with_registry)
		return 0;
	if (ds->n == sizeof(ds->addr) / sizeof(ds->addr[0])) {
		fprintf(stderr, "jitdebug core: more than %zu GDB JIT descriptors; the rest are not read\n", ds->n);
		return 1;
	}
	ds->addr[ds->n] = d->addr;
	snprintf(ds->path[ds->n], sizeof(ds->path[0]), "%s", d->path);
	ds->n++;
	return 0;
}

/* Every GDB JIT descriptor of the mapped files; none when the core has no NT_FILE note. */
static void find_descriptors(struct jd_core *core, const char *path, struct descriptors *ds)
{
	struct jd_mapping *maps = NULL;
	size_t n = 0;
	int rc = jd_core_mappings(core, &maps, &n);
	if (rc == -ENOENT)
		fprintf(stderr, "jitdebug core: %s has no NT_FILE note: other registrars' descriptors are not searched "
				"(--descriptor gives one)\n", path);
	else if (rc != 0)
		fprintf(stderr, "jitdebug core: %s: unreadable NT_FILE note (%s)\n", path, strerror(-rc));
	else
		jd_find_descriptors(maps, n, add_descriptor, ds);
	free(maps);
}

int cli_core(int argc, char **argv)
{
	const char *path = NULL, *dir = NULL;
	uint64_t registry = 0, descriptor = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0) {
			if (!(dir = cli_value(argc, argv, &i, "core")))
				return 2;
		} else if (strcmp(argv[i], "--registry") == 0 || strcmp(argv[i], "--descriptor") == 0) {
			int reg = argv[i][2] == 'r';
			const char *v = cli_value(argc, argv, &i, "core");
			if (!v || cli_number("core", reg ? "--registry address" : "--descriptor address", v, 1, UINT64_MAX,
					     reg ? &registry : &descriptor) != 0)
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
		cli_verb_usage("core");
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
	int have_registry = registry || jd_core_find_registry(core, &registry, &candidates) == 0;
	if (candidates > 1)
		fprintf(stderr, "jitdebug core: %zu registry headers found; reading the one at 0x%" PRIx64
				" (--registry chooses another)\n", candidates, registry);
	static struct descriptors ds;
	memset(&ds, 0, sizeof(ds));
	ds.with_registry = have_registry;
	if (descriptor) {
		ds.addr[0] = descriptor;
		snprintf(ds.path[0], sizeof(ds.path[0]), "--descriptor");
		ds.n = 1;
	} else {
		find_descriptors(core, path, &ds);
	}
	if (!have_registry && !ds.n) {
		fprintf(stderr, "jitdebug core: %s: no jitdebug registry and no GDB JIT descriptor in this core (was a "
				"JIT running? --descriptor ADDR names one)\n", path);
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "jitdebug core: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	struct stat cst;
	struct extract x = {.core = core, .dir = dir, .core_size = stat(path, &cst) == 0 ? (uint64_t)cst.st_size : 0};
	struct jd_walk w = {.sz = sizeof(w), .read = read_core, .ctx = &x, .object = extract_one, .skipped = say_skipped};
	size_t total = 0;
	if (have_registry) {
		struct jd_registry_header hdr;
		if (jd_walk_registry(registry, &w, &hdr, err, sizeof(err)) != 0) {
			fprintf(stderr, "jitdebug core: %s\n", err);
		} else {
			if (hdr.generation % 2)
				fprintf(stderr, "jitdebug core: the core was written while the registry was being edited; the "
						"list may be incomplete\n");
			fprintf(stderr, "jitdebug core: jitdebug registry: %zu of %" PRIu64 " objects written to %s%s\n",
				x.written, hdr.count, dir, x.failed ? " (see the skipped ones above)" : "");
			if (x.fetched)
				fprintf(stderr, "jitdebug core: %zu of them fetched by build-id from DEBUGINFOD_URLS\n", x.fetched);
			total += hdr.count;
		}
	}
	for (size_t i = 0; i < ds.n; i++) {
		size_t before = x.written, failed = x.failed;
		uint64_t count = 0;
		if (jd_walk_gdb_jit_list(ds.addr[i], 8, 0, &w, &count) != 0) {
			fprintf(stderr, "jitdebug core: GDB JIT descriptor of %s at 0x%" PRIx64 ": unreadable\n", ds.path[i],
				ds.addr[i]);
			continue;
		}
		fprintf(stderr, "jitdebug core: GDB JIT list of %s (descriptor 0x%" PRIx64 "): %zu of %" PRIu64
				" objects written to %s%s\n", ds.path[i], ds.addr[i], x.written - before, count, dir,
			x.failed > failed ? " (see the skipped ones above)" : "");
		total += count;
	}
	if (x.repeated)
		fprintf(stderr, "jitdebug core: %zu entries named an object id or bytes read before: skipped (a corrupted or "
				"forged list)\n", x.repeated);
	if (x.over_budget)
		fprintf(stderr, "jitdebug core: %zu entries would have taken more bytes than the core holds: skipped (a "
				"corrupted or forged list)\n", x.over_budget);
	if (x.written == 0)
		fprintf(stderr, "jitdebug core: nothing extracted%s\n",
			total ? "" : ": every JIT list was empty when the core was written");
	jd_u64set_free(&x.ids);
	jd_u64set_free(&x.starts);
	rc = x.written == 0; /* a run that extracted nothing did not do its job */
out:
	jd_core_close(core);
	return rc;
}
