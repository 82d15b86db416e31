/* bench_foreign.c — N JIT objects for the link's LIST cost (bench/link_bench.sh), held either by a
 * GDB JIT registrar of the program's own (GDB's jit-elf pattern: the hooks see another registrar's
 * list) or by the hooks' registry (jd_register_object). The hooks are preloaded (LD_PRELOAD) in both.
 *
 *   bench_foreign own|hooks OBJECT N
 *
 * Each object is a copy of OBJECT placed at addresses of its own (place.h). Prints "ready N" once
 * they are registered, then waits for the end of its input. */
#include "abi.h"
#include "objfile.h"
#include "place.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jit_descriptor __jit_debug_descriptor = {1, 0, NULL, NULL};
void __attribute__((noinline)) __jit_debug_register_code(void) { __asm__ volatile("" ::: "memory"); }

int main(int argc, char **argv)
{
	long n = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
	int own = argc == 4 && strcmp(argv[1], "own") == 0;
	if (n <= 0 || n > 1000000 || (!own && strcmp(argv[1], "hooks") != 0)) {
		fprintf(stderr, "usage: bench_foreign own|hooks OBJECT N (N <= 1000000)\n");
		return 2;
	}
	size_t size;
	uint8_t *obj = read_object(argv[2], &size);
	if (!obj)
		return 1;
	int (*reg)(const void *, size_t, const void *, uint64_t *) =
		(int (*)(const void *, size_t, const void *, uint64_t *))dlsym(RTLD_DEFAULT, "jd_register_object");
	if (!own && !reg) {
		fprintf(stderr, "bench_foreign: the hooks are not loaded (LD_PRELOAD=libjitdebug-hooks.so)\n");
		return 1;
	}
	struct jit_code_entry *entries = own ? calloc((size_t)n, sizeof(*entries)) : NULL;
	if (own && !entries)
		return 1;
	for (long i = 0; i < n; i++) {
		uint8_t *copy = malloc(size);
		if (!copy)
			return 1;
		memcpy(copy, obj, size);
		place_object(copy);
		if (own) {
			entries[i].symfile_addr = (const char *)copy;
			entries[i].symfile_size = size;
			entries[i].prev_entry = i ? &entries[i - 1] : NULL;
			entries[i].next_entry = i + 1 < n ? &entries[i + 1] : NULL;
		} else {
			uint64_t id;
			if (reg(copy, size, NULL, &id) != 0)
				return 1;
			free(copy);
		}
	}
	if (own) {
		__jit_debug_descriptor.first_entry = entries;
		__jit_debug_descriptor.relevant_entry = entries;
		__jit_debug_descriptor.action_flag = 1;
		__jit_debug_register_code();
		__jit_debug_descriptor.action_flag = 0;
	}
	printf("ready %ld\n", n);
	fflush(stdout);
	while (getchar() != EOF)
		;
	return 0;
}
