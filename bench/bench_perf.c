/* bench_perf.c — registration cost with the perf outputs, µs/object over COUNT registrations of one
 * clang-compiled object placed in memory (tests/capi/place.h). One output configuration per process
 * (the outputs are configured once):
 *   bench_perf MODE OBJECT DIR [COUNT]   MODE: off | perfmap | jitdump | all
 * (all: perf map, jitdump, and two watches in the debugger's table, a symbol and a file, that do not
 * match: every consumer of a registration at work.)
 * Prints the mean µs/object, and for jitdump the dump's bytes per function and the code bytes. */
#include "jitdebug-hooks.h"
#include "objfile.h"
#include "place.h"

#include <stdio.h>

extern volatile struct jd_watch_table jitdebug_watches;
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_perf off|perfmap|jitdump OBJECT DIR [COUNT]\n");
		return 2;
	}
	const char *mode = argv[1];
	int count = argc > 4 ? atoi(argv[4]) : 10000;
	size_t size;
	uint8_t *obj = read_object(argv[2], &size);
	if (!obj)
		return 2;
	place_object(obj);
	struct jd_hooks_opts o = {.sz = sizeof(o), .gdb_mode = JD_GDB_EAGER, .perfmap = -1, .jitdump = ""};
	if (strcmp(mode, "perfmap") == 0)
		o.perfmap = 1;
	else if (strcmp(mode, "jitdump") == 0)
		o.jitdump = argv[3];
	else if (strcmp(mode, "all") == 0) {
		o.perfmap = 1;
		o.jitdump = argv[3];
		/* As a debugger writes them (jitdebug-hooks.h): slots first, then `active`. */
		jitdebug_watches.slots[0].kind = JD_WATCH_SYMBOL;
		strcpy((char *)jitdebug_watches.slots[0].pattern, "no_such_function");
		jitdebug_watches.slots[1].kind = JD_WATCH_FILE;
		strcpy((char *)jitdebug_watches.slots[1].pattern, "no_such_file.c");
		jitdebug_watches.active = 2;
	}
	jd_hooks_init(&o);
	double t0 = now_s();
	for (int i = 0; i < count; i++) {
		uint64_t id;
		jd_register_object(obj, size, NULL, &id);
		jd_unregister_object(id); /* steady state: the registry stays small, the outputs grow */
	}
	double us = (now_s() - t0) * 1e6 / count;
	struct jd_hooks_stats s = {.sz = sizeof(s)};
	jd_hooks_stats(&s);
	jd_hooks_fini();
	printf("mode=%s objects=%d object_bytes=%zu us_per_object=%.2f", mode, count, size, us);
	if (strcmp(mode, "jitdump") == 0 || strcmp(mode, "all") == 0) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/jit-%d.dump", argv[3], (int)getpid());
		struct stat st;
		stat(path, &st);
		printf(" functions=%llu dump_bytes_per_function=%.0f", (unsigned long long)s.jitdump_loads,
		       (double)st.st_size / (double)(s.jitdump_loads ? s.jitdump_loads : 1));
	}
	printf("\n");
	char map[64];
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)getpid());
	unlink(map); /* a benchmark's map is of no use to anyone */
	return 0;
}
