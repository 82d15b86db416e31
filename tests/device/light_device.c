/* light_device.c — a light JIT on the device (built by `make aarch64` for AArch64, run under qemu):
 * copies the machine code of square() into fresh executable memory, registers it with a line table
 * through jd_register_function (the hooks write the ELF object: e_machine of the device's CPU), calls
 * it, prints its address and waits (up to 30 s) for the file named by $JD_GO so that the host can
 * read the object, the perf map and the jitdump. */
#include "jitdebug-hooks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) static int square(int x)
{
	return x * x;
}

int main(void)
{
	/* The copy: square() is position-independent leaf code on both CPUs (no calls, no literals). */
	enum { CODE = 64 };
	uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memcpy(code, (const void *)(uintptr_t)square, CODE);
	__builtin___clear_cache((char *)code, (char *)code + CODE);
	struct jd_function_line lines[] = {{0, 10}, {4, 11}};
	struct jd_function fn = {.name = "jit_square", .addr = (uint64_t)(uintptr_t)code, .size = CODE,
				 .file = "square.acc", .lines = lines, .n_lines = 2};
	uint64_t id;
	char err[256];
	if (jd_register_function(&fn, NULL, &id, err, sizeof(err)) != 0) {
		fprintf(stderr, "light_device: %s\n", err);
		return 1;
	}
	int (*jit_square)(int) = (int (*)(int))(uintptr_t)code;
	printf("jit_square=%p id=%llu result=%d\n", (void *)code, (unsigned long long)id, jit_square(7));
	fflush(stdout);
	const char *go = getenv("JD_GO");
	for (int i = 0; go && i < 3000 && access(go, F_OK) != 0; i++)
		usleep(10000);
	return 0;
}
