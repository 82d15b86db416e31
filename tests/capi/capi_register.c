/* capi_register.c — the direct C API under GDB: registers an object file given on the command line,
 * stops at capi_checkpoint(1), unregisters it, stops at capi_checkpoint(2). The GDB test reads
 * `maint info jit` at both stops. */
#include "jitdebug-hooks.h"
#include "objfile.h"

#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void capi_checkpoint(int n)
{
	__asm__ volatile("" ::"r"(n) : "memory");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: capi_register OBJECT\n");
		return 2;
	}
	size_t n;
	uint8_t *buf = read_object(argv[1], &n);
	if (!buf)
		return 1;
	uint64_t id;
	int err = jd_register_object(buf, n, NULL, &id);
	printf("registered id=%llu size=%zu err=%d\n", (unsigned long long)id, n, err);
	fflush(stdout);
	capi_checkpoint(1);
	err = jd_unregister_object(id);
	printf("unregistered err=%d\n", err);
	fflush(stdout);
	capi_checkpoint(2);
	return 0;
}
