/* bench_register.c — cost of one debug-object registration with no debugger attached, median of
 * 100,000 (each timed alone), through the ORC entry point llvm_orc_registerJITLoaderGDBWrapper.
 * Built twice: against the jitdebug hooks, and (JD_BENCH_LLVM) against LLVM 16's own
 * JITLoaderGDB from libLLVMOrcTargetProcess, so bench/run.sh can print the ratio on the same run.
 * With the hooks, the C API paths (copy, borrow) are measured as well.
 *
 * usage: bench_register OBJECT [COUNT]   (OBJECT: a clang -g -c object; its allocated sections are
 * given fake load addresses as ORC would) */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi.h"
#include "objfile.h"
#include "timing.h"
#ifndef JD_BENCH_LLVM
#include "jitdebug-hooks.h"
#endif



/* Median time of `count` calls of the ORC entry point with the blob (start, end). */
static uint64_t time_orc_wrapper(const uint64_t blob[2], uint64_t *t, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint64_t t0 = now_ns();
		cwrapper_result r = llvm_orc_registerJITLoaderGDBWrapper((const char *)blob, 2 * sizeof(uint64_t));
		t[i] = now_ns() - t0;
		if (r.Size > sizeof(char *))
			free(r.Data.ValuePtr);
	}
	return median(t, count);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJECT [COUNT]\n", argv[0]);
		return 2;
	}
	size_t count = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	size_t size;
	uint8_t *obj = read_object(argv[1], &size);
	if (!obj)
		return 1;
	patch_load_addresses(obj, size);
	uint64_t *t = malloc(count * sizeof(*t));
	uint64_t blob[2] = {(uint64_t)(uintptr_t)obj, (uint64_t)(uintptr_t)obj + size};
	const char *who =
#ifdef JD_BENCH_LLVM
		"llvm16-JITLoaderGDB";
#else
		"jitdebug";
#endif
	uint64_t m = time_orc_wrapper(blob, t, count);
	printf("%-22s %-13s objects=%zu size=%zu median_ns=%llu\n", who,
#ifdef JD_BENCH_LLVM
	       "orc-wrapper",
#else
	       "orc-inprocess", /* no memory manager reports: fault-guarded copy */
#endif
	       count, size, (unsigned long long)m);
#ifndef JD_BENCH_LLVM
	/* As in jitdebug-executor: the memory manager reported the allocation holding the object. */
	struct jd_segment seg = {(uint64_t)(uintptr_t)obj & ~0xfffull, ((size + 0x1fff) & ~0xfffull), size, JD_PROT_R};
	jd_note_allocation(&seg, 1);
	m = time_orc_wrapper(blob, t, count);
	printf("%-22s %-13s objects=%zu size=%zu median_ns=%llu\n", who, "orc-executor", count, size,
	       (unsigned long long)m);
	static const struct { const char *name; uint32_t flags; } modes[] = {
		{"capi-copy", 0}, {"capi-borrow", JD_REGISTER_BORROW}};
	for (size_t m = 0; m < 2; m++) {
		struct jd_register_opts o = {sizeof(o), modes[m].flags};
		for (size_t i = 0; i < count; i++) {
			uint64_t t0 = now_ns();
			jd_register_object(obj, size, &o, NULL);
			t[i] = now_ns() - t0;
		}
		printf("%-22s %-13s objects=%zu size=%zu median_ns=%llu\n", who, modes[m].name, count, size,
		       (unsigned long long)median(t, count));
	}
	/* Steady state: a JIT that also unregisters (memory is reused, no first-touch page faults). */
	for (size_t i = 0; i < count; i++) {
		uint64_t id, t0 = now_ns();
		jd_register_object(obj, size, NULL, &id);
		t[i] = now_ns() - t0;
		jd_unregister_object(id);
	}
	printf("%-22s %-13s objects=%zu size=%zu median_ns=%llu\n", who, "capi-steady", count, size,
	       (unsigned long long)median(t, count));
#endif
	free(t);
	return 0;
}
