/* gdbjit.c — the GDB JIT interface: __jit_debug_descriptor and __jit_debug_register_code.
 *
 * GDB and LLDB plant a breakpoint on __jit_debug_register_code and read the descriptor when it hits,
 * so the function must exist as a real, non-inlined, non-folded function, and both symbols must be in
 * the dynamic symbol table. Every edit of the list, relevant_entry and action_flag, and the call
 * itself, happen under the registry lock (held by the callers of this file).
 */
#include "gdbjit.h"

#include "jitdebug-hooks.h"

#include <stddef.h>

enum jit_actions { JIT_NOACTION = 0, JIT_REGISTER_FN = 1, JIT_UNREGISTER_FN = 2 };

struct jit_descriptor {
	uint32_t version;
	uint32_t action_flag;
	struct jit_code_entry *relevant_entry;
	struct jit_code_entry *first_entry;
};

_Static_assert(offsetof(struct jit_code_entry, symfile_size) == 3 * sizeof(void *), "GDB's entry layout (LP64)");
_Static_assert(sizeof(struct jit_descriptor) == 8 + 2 * sizeof(void *), "GDB's descriptor layout");

/* Exported, but bound here (protected visibility): a host that exports the same names (a hand-written
 * registrar linked -rdynamic, GDB's jit-elf pattern) must not capture the hooks' references, or the
 * hooks would link their entries into the host's list and the host's unregistration would free them.
 * Each registrar keeps its own list; debuggers look the names up per module. */
#define JD_GDB_INTERFACE __attribute__((visibility("protected")))

JD_GDB_INTERFACE struct jit_descriptor __jit_debug_descriptor = {1, JIT_NOACTION, NULL, NULL};

JD_GDB_INTERFACE void __attribute__((noinline, used)) __jit_debug_register_code(void)
{
	/* The body must not be empty or folded with another function: debuggers break here. */
	__asm__ volatile("" ::: "memory");
}

uint64_t jd_gdb_descriptor_address(void)
{
	return (uint64_t)(uintptr_t)&__jit_debug_descriptor;
}

void jd_gdb_announce_locked(struct jit_code_entry *e)
{
	e->prev_entry = NULL;
	e->next_entry = __jit_debug_descriptor.first_entry;
	if (e->next_entry)
		e->next_entry->prev_entry = e;
	__jit_debug_descriptor.first_entry = e;
	__jit_debug_descriptor.relevant_entry = e;
	__jit_debug_descriptor.action_flag = JIT_REGISTER_FN;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = JIT_NOACTION;
}

void jd_gdb_retract_locked(struct jit_code_entry *e)
{
	if (e->prev_entry)
		e->prev_entry->next_entry = e->next_entry;
	else
		__jit_debug_descriptor.first_entry = e->next_entry;
	if (e->next_entry)
		e->next_entry->prev_entry = e->prev_entry;
	__jit_debug_descriptor.relevant_entry = e;
	__jit_debug_descriptor.action_flag = JIT_UNREGISTER_FN;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = JIT_NOACTION;
	__jit_debug_descriptor.relevant_entry = NULL; /* the caller frees the entry next */
	e->next_entry = e->prev_entry = NULL;
}

/* The debuggers' rendezvous: called with the id of a newly registered object that matched a watch
 * (in lazy mode after it was put into GDB's list), before its code can run. A debugger plugin breaks
 * here, loads that object and resolves its breakpoints. */
JD_HOOKS_API void __attribute__((noinline, used)) jitdebug_debugger_notify(uint64_t id)
{
	__asm__ volatile("" ::"r"(id) : "memory");
}
