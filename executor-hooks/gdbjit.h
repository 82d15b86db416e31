/* gdbjit.h — the hooks' side of the GDB JIT interface (gdbjit.c; the ABI: docs/formats.md). Internal
 * to the hooks. */
#ifndef JD_HOOKS_GDBJIT_H
#define JD_HOOKS_GDBJIT_H

#include <stdint.h>

/* The GDB JIT interface's list entry, as debuggers read it. */
struct jit_code_entry {
	struct jit_code_entry *next_entry;
	struct jit_code_entry *prev_entry;
	const char *symfile_addr;
	uint64_t symfile_size;
};

/* Links/unlinks one entry in __jit_debug_descriptor and calls __jit_debug_register_code. The caller
 * holds the registry lock, which is the one lock around the whole rendezvous. */
void jd_gdb_announce_locked(struct jit_code_entry *e);
void jd_gdb_retract_locked(struct jit_code_entry *e);
/* The hooks' own __jit_debug_descriptor. */
uint64_t jd_gdb_descriptor_address(void);
/* The rendezvous for debugger plugins: an object matching a watch was just registered (exported). */
void jitdebug_debugger_notify(uint64_t id);

#endif
