/* jitdebug-hooks.h — what runs inside the process that executes JIT code.
 *
 * A JIT hands its ELF debug objects (section headers carrying load addresses) to
 * jd_register_object. The hooks keep them in a registry that other processes and core-file readers
 * can walk (struct jd_registry, exported as `jitdebug_registry`), and announce them to GDB and LLDB
 * through the GDB JIT interface (__jit_debug_descriptor / __jit_debug_register_code), depending on
 * the mode (JITDEBUG_GDB=eager|lazy|off, eager by default).
 *
 * LLVM ORC needs none of this API: the library exports llvm_orc_registerJITLoaderGDBWrapper and
 * llvm_orc_registerJITLoaderGDBAllocAction, which ORC's debugger support looks up by name.
 *
 * Conventions: int-returning functions return 0 or a negative errno. All functions are thread-safe.
 * Registration never blocks on a debugger, a client or the disk; with no debugger attached it costs a
 * copy of the object, one parse of its section headers, and one short critical section.
 */
#ifndef JITDEBUG_HOOKS_H
#define JITDEBUG_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "jitdebug-types.h" /* modes, object flags, the registry and watch-table layouts, struct jd_function */

#ifdef __cplusplus
extern "C" {
#endif

#define JD_HOOKS_API __attribute__((visibility("default")))

/* Options for jd_hooks_init. `sz` must be sizeof(struct jd_hooks_opts) as the caller knows it; fields
 * the library does not know must be zero. */
struct jd_hooks_opts {
	size_t sz;
	int gdb_mode;        /* enum jd_gdb_mode, or -1 to read JITDEBUG_GDB */
	int perfmap;         /* /tmp/perf-<pid>.map: 1 on, -1 off, 0 from JITDEBUG_PERFMAP */
	const char *jitdump; /* jit-<pid>.dump: NULL from JITDEBUG_JITDUMP, "" off, "1" in the default
	                        directory, else the directory to write it in (docs/perf.md) */
};

/* Optional: the hooks initialise themselves from the environment on first use. Calling this first
 * overrides the environment. May be called again to change the mode; objects already announced stay
 * announced. */
JD_HOOKS_API int jd_hooks_init(const struct jd_hooks_opts *opts);
/* Ends the perf outputs (writes JIT_CODE_CLOSE). Also runs at exit; safe to call twice. */
JD_HOOKS_API void jd_hooks_fini(void);
JD_HOOKS_API enum jd_gdb_mode jd_hooks_gdb_mode(void);

/* Log callback; by default the hooks print each distinct warning once to stderr, prefixed
 * "jitdebug: ". level: 0 error, 1 warning, 2 info. fn == NULL restores the default. */
JD_HOOKS_API void jd_hooks_set_log(jd_log_fn fn, void *ctx);

#define JD_REGISTER_BORROW      0x1u /* do not copy: the bytes stay valid and unchanged until unregistered */
#define JD_REGISTER_NO_ANNOUNCE 0x2u /* never announce this object by itself, even in eager mode */

struct jd_register_opts {
	size_t sz;
	uint32_t flags; /* JD_REGISTER_* */
};

/* Registers an ELF debug object. By default the bytes are copied, so the caller may free them at once
 * and the registry never reads memory the JIT has released; with JD_REGISTER_BORROW they are not
 * (unless an address fix-up has to be written, see docs/nobits.md). The object is validated first: a
 * malformed one is rejected with -EINVAL and nothing is registered. *id (may be NULL) receives the
 * object's id, never 0. */
JD_HOOKS_API int jd_register_object(const void *obj, size_t size, const struct jd_register_opts *opts, uint64_t *id);
/* -ENOENT if no object has that id. */
JD_HOOKS_API int jd_unregister_object(uint64_t id);
/* Puts a registered object into GDB's JIT list now (lazy mode, or JD_REGISTER_NO_ANNOUNCE objects).
 * 0 if it is announced (or already was), -ENOENT, or -EPERM in mode off. */
JD_HOOKS_API int jd_announce_object(uint64_t id);


struct jd_object_info {
	uint64_t id;
	const void *data; /* the registered bytes (the copy); valid while the object is registered */
	uint64_t size;
	uint64_t lo, hi;  /* lowest and highest+1 load address of its allocated sections (0, 0: none) */
	uint32_t flags;   /* JD_OBJECT_* */
};

/* Calls fn for every live object, oldest first, under the registry lock: fn must not call back into
 * the hooks. A non-zero return from fn stops the walk and is returned. */
typedef int (*jd_object_fn)(const struct jd_object_info *info, void *ctx);
JD_HOOKS_API int jd_foreach_object(jd_object_fn fn, void *ctx);
JD_HOOKS_API size_t jd_object_count(void);

/* Where a JIT memory manager placed the segments of one allocation. Memory managers that know it
 * (jitdebug-executor does) report each allocation when it is finalized, so that NOBITS sections
 * (.bss), which LLVM 16 leaves at address 0 in debug objects, get their real addresses. */
#define JD_PROT_R 0x1u
#define JD_PROT_W 0x2u
#define JD_PROT_X 0x4u
struct jd_segment {
	uint64_t addr;         /* start of the segment */
	uint64_t size;         /* whole size: content, then zero-fill */
	uint64_t content_size; /* bytes with content; the zero-fill part follows */
	uint32_t prot;         /* JD_PROT_* */
};
JD_HOOKS_API int jd_note_allocation(const struct jd_segment *segs, size_t n);
/* Forget allocations whose first segment starts at addr (on deallocation). */
JD_HOOKS_API void jd_forget_allocation(uint64_t addr);

/* ---- Light JITs: functions without an ELF object (struct jd_function: jitdebug-types.h) ---------
 * A JIT that has only machine code, a name and perhaps a line table registers the function here; the
 * hooks write a small ELF object for it (.text as NOBITS at the code's address — the code is not
 * copied — a symbol table, DWARF when a line table is given, .debug_frame when a frame rule is given)
 * and register that object like any other: GDB JIT interface, registry, debug link, perf map and
 * jitdump. Unregister with jd_unregister_object(id). docs/light-jit.md. */

struct jd_functions_opts {
	size_t sz;
	uint32_t flags;        /* JD_REGISTER_NO_ANNOUNCE only (the object is always the hooks' own) */
	uint32_t function_sz;  /* sizeof(struct jd_function) as the caller knows it; 0: this header's */
	const char *comp_dir;  /* DW_AT_comp_dir for relative file names (NULL: none) */
	const char *producer;  /* DW_AT_producer (NULL: "jitdebug") */
};

/* Registers one function, or n functions as one object (the cheaper way: one object for the
 * debuggers to load). The input is validated first — empty name, zero size, overlapping functions,
 * a line table that is unsorted or runs past the function, absurd counts: -EINVAL, the reason in
 * err (may be NULL), and nothing registered. *id receives the object's id. */
JD_HOOKS_API int jd_register_function(const struct jd_function *fn, const struct jd_functions_opts *opts, uint64_t *id,
				      char *err, size_t errlen);
JD_HOOKS_API int jd_register_functions(const struct jd_function *fns, size_t n, const struct jd_functions_opts *opts,
				       uint64_t *id, char *err, size_t errlen);

struct jd_hooks_stats {
	size_t sz;
	uint64_t registered;      /* successful registrations */
	uint64_t unregistered;
	uint64_t rejected;        /* malformed objects and bad ORC argument blobs */
	uint64_t nobits_placed;   /* NOBITS sections given an address */
	uint64_t nobits_unplaced; /* NOBITS sections left at 0 (no allocation noted, no usable relocation) */
	uint64_t live;
	uint64_t perfmap_lines, perfmap_dropped;  /* perf map lines written / dropped (write failed) */
	uint64_t jitdump_loads, jitdump_dropped;  /* CODE_LOAD records written / functions dropped */
	uint64_t jitdump_debug_info;              /* DEBUG_INFO records written */
	uint64_t objects_without_lines;           /* objects whose DWARF line table was missing or broken */
	uint64_t code_salted;                     /* identical code copies salted in the dump */
	/* debug link clients (docs/protocol.md, "Limits") */
	uint64_t link_accepted;    /* connections given a slot */
	uint64_t link_refused;     /* connections answered with ERROR and closed at once (no slot) */
	uint64_t link_evicted;     /* idle clients closed to make room for a new one */
	uint64_t link_timed_out;   /* closed by the HELLO, frame or idle timeout */
	uint64_t link_overflowed;  /* dropped for more than 4 MiB unsent */
	/* JITDEBUG_PUBLISH (docs/fleet.md) */
	uint64_t published;          /* files this process wrote into the tree */
	uint64_t publish_existing;   /* files already there (another process or host wrote them) */
	uint64_t publish_duplicates; /* objects whose build-id this process had queued before */
	uint64_t publish_dropped;    /* not queued: the queue was full */
	uint64_t publish_failed;     /* not written: the disk said no, or no file could be built */
	/* descriptors the program closed or reused under the hooks (a link socket, a perf file): each is
	 * left alone, and that output stops or starts anew on descriptors of its own */
	uint64_t link_lost;          /* link sockets */
	uint64_t files_lost;         /* perf map and jitdump descriptors */
};
JD_HOOKS_API int jd_hooks_stats(struct jd_hooks_stats *out);


#ifdef __cplusplus
}
#endif
#endif
