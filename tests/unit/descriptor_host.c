/* descriptor_host.c — a process holding a GDB JIT descriptor of its own, for test_descriptors: in
 * .data (as libLLVM and GDB's jit-elf tests have it), or in .bss when built with IN_BSS. Prints the
 * descriptor's address, then waits until its stdin closes. */
#include <stdint.h>
#include <stdio.h>

struct jit_descriptor {
	uint32_t version, action_flag;
	void *relevant_entry, *first_entry;
};
#ifdef IN_BSS
struct jit_descriptor __jit_debug_descriptor;
#else
struct jit_descriptor __jit_debug_descriptor = {1, 0, NULL, NULL};
#endif

int main(void)
{
	printf("%p\n", (void *)&__jit_debug_descriptor);
	fflush(stdout);
	while (getchar() != EOF)
		;
	return 0;
}
