/* registrar_lib.c — a shared library with a GDB JIT interface of its own (as libLLVM has), for
 * late_registrar. */
#include "abi.h"

__attribute__((visibility("default"))) struct jit_descriptor __jit_debug_descriptor = {1, 0, NULL, NULL};
__attribute__((visibility("default"), noinline)) void __jit_debug_register_code(void)
{
	__asm__ volatile("" ::: "memory");
}
