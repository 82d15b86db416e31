/* bench_fleet.c — the fleet's costs (bench/fleet.sh prints them beside each other):
 *
 *   bench_fleet OBJECT publish DIR N            jd_object_publish of N distinct objects into DIR, then
 *                                               the same N again (already there): µs per object
 *   bench_fleet OBJECT register N SHARED SEED [DISTINCT]
 *                                               registers N objects through the ORC entry point, the
 *                                               first SHARED the same in every process, the others
 *                                               this process's own (SEED), or only DISTINCT ones
 *                                               over and over; prints the median ns per
 *                                               registration (with or without JITDEBUG_PUBLISH, as
 *                                               the environment says), then exits (the queue drains)
 *   bench_fleet OBJECT hold N                   registers N distinct objects, prints "ready PID", and
 *                                               sleeps (for a core to be taken)
 *
 * Objects are variants of OBJECT (a clang -g -c object; object_variant of tests/unit/objfile.h): each
 * has its own build-id and its own fake load addresses, as ORC would give. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi.h"
#include "jitdebug-hooks.h"
#include "jitdebug.h"
#include "objfile.h"
#include "timing.h"

static uint8_t *obj;
static size_t size;

static uint8_t *variant(uint64_t v)
{
	return object_variant(obj, size, (uint32_t)v);
}

static void register_one(uint8_t *o)
{
	uint64_t blob[2] = {(uint64_t)(uintptr_t)o, (uint64_t)(uintptr_t)o + size};
	cwrapper_result r = llvm_orc_registerJITLoaderGDBWrapper((const char *)blob, sizeof(blob));
	if (r.Size > sizeof(char *))
		free(r.Data.ValuePtr);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s OBJECT publish DIR N | register N SHARED SEED | hold N\n", argv[0]);
		return 2;
	}
	if (!(obj = read_object(argv[1], &size)) || !variant(0)) {
		fprintf(stderr, "%s: not an object to vary\n", argv[1]);
		return 1;
	}
	const char *mode = argv[2];
	if (strcmp(mode, "publish") == 0 && argc >= 5) {
		size_t n = strtoul(argv[4], NULL, 10);
		uint8_t **objs = malloc(n * sizeof(*objs));
		for (size_t i = 0; i < n; i++)
			objs[i] = variant(1000000 + i);
		char err[300];
		int written;
		size_t fresh = 0, again = 0;
		uint64_t t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			if (jd_object_publish(argv[3], objs[i], size, NULL, NULL, &written, err, sizeof(err)) == 0)
				fresh += written;
		uint64_t t1 = now_ns();
		for (size_t i = 0; i < n; i++)
			if (jd_object_publish(argv[3], objs[i], size, NULL, NULL, &written, err, sizeof(err)) == 0)
				again += !written;
		uint64_t t2 = now_ns();
		printf("publish objects=%zu object_bytes=%zu first_us=%.1f written=%zu duplicate_us=%.1f already_there=%zu\n", n,
		       size, (t1 - t0) / 1e3 / n, fresh, (t2 - t1) / 1e3 / n, again);
		return fresh == n && again == n ? 0 : 1;
	}
	if (strcmp(mode, "register") == 0 && argc >= 6) {
		size_t n = strtoul(argv[3], NULL, 10), shared = strtoul(argv[4], NULL, 10);
		uint64_t seed = strtoull(argv[5], NULL, 10);
		uint8_t **objs = malloc(n * sizeof(*objs));
		uint64_t *t = malloc(n * sizeof(*t));
		size_t distinct = argc > 6 ? strtoul(argv[6], NULL, 10) : 0;
		for (size_t i = 0; i < n; i++)
			objs[i] = distinct && i >= distinct ? objs[i % distinct]
				  : variant(i < shared ? i : seed * 100000 + i);
		for (size_t i = 0; i < n; i++) {
			uint64_t t0 = now_ns();
			register_one(objs[i]);
			t[i] = now_ns() - t0;
		}
		printf("register objects=%zu publish=%s median_ns=%llu\n", n, getenv("JITDEBUG_PUBLISH") ? "on" : "off",
		       (unsigned long long)median(t, n));
		return 0;
	}
	if (strcmp(mode, "hold") == 0) {
		size_t n = strtoul(argv[3], NULL, 10);
		for (size_t i = 0; i < n; i++)
			register_one(variant(2000000 + i));
		struct jd_hooks_stats s = {.sz = sizeof(s)};
		jd_hooks_stats(&s);
		printf("ready %ld registered=%llu\n", (long)getpid(), (unsigned long long)s.registered);
		fflush(stdout);
		sleep(600);
		return 0;
	}
	fprintf(stderr, "unknown mode %s\n", mode);
	return 2;
}
