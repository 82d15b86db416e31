/* internal.h — shared between the hooks' source files; not installed. */
#ifndef JD_HOOKS_INTERNAL_H
#define JD_HOOKS_INTERNAL_H

#include "jitdebug-hooks.h"
#include <sys/types.h> /* ssize_t */
#include "runtime.h" /* jd_warn_once, jd_read_self (jitdebug/) */

#include <stdint.h>

struct jd_elf;

/* The GDB JIT interface ABI (GDB manual, "JIT Interface"). */
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

/* Gives NOBITS ALLOC sections left at address 0 their load addresses, writing sh_addr into the
 * (writable, copied) object. `sections` is a parse of obj (section headers are enough: a full parse
 * is made only when relocations must be read). [*lo, *hi) is widened to cover what was placed.
 * Returns how many it placed; *unplaced counts those it could not. */
unsigned jd_nobits_fixup(uint8_t *obj, size_t size, const struct jd_elf *sections, unsigned *unplaced,
			 uint64_t *lo, uint64_t *hi);
/* Whether [addr, addr+size) lies inside one segment of an allocation a memory manager reported. */
int jd_range_is_jit_memory(uint64_t addr, uint64_t size);
/* Whether the object has NOBITS ALLOC sections at address 0 that need jd_nobits_fixup. */
int jd_nobits_needed(const struct jd_elf *elf);


void jd_count_rejected(void);


/* jd_register_object for a malloc'd object the caller hands over (the light-JIT writer's output): no
 * copy is made; on success the registry frees obj when the object is unregistered, on failure the
 * caller still owns it. An object that needs a NOBITS fix-up is refused (-EINVAL): the writer never
 * makes one. */
#define JD_REGISTER_OWNED_ 0x80000000u /* internal: never accepted from jd_register_object */
int jd_register_owned(uint8_t *obj, size_t size, uint32_t flags, uint64_t *id);

/* jd_register_object for an address range handed over by someone else (ORC): always copied, and
 * copied with jd_read_self. */
int jd_register_from_address(uint64_t addr, uint64_t size, uint32_t flags, uint64_t *id);


/* ---- for the debug link server (link.c) ---- */

struct jd_obj_view {
	uint64_t id, size, lo, hi;
	uint32_t flags;
	const uint8_t *data;    /* valid until jd_registry_release */
	const char *first_sym;  /* jd_elf_first_symbol's name or ""; NULL from jd_registry_hold when not
				 * computed yet (jd_registry_first_symbol) */
	void *ref;              /* the held object (jd_registry_hold) */
	const uint8_t *build_id; /* valid while held; NULL when it has none */
	uint32_t build_id_len;
};
/* Holds up to max live objects with id > after_id, oldest first: their views (bytes included) stay
 * valid outside the registry lock until jd_registry_release, even if they are unregistered meanwhile.
 * For work that parses objects (the link's LIST and LOOKUP_SYMBOL): the lock is held only to count
 * references. Returns how many were held. */
size_t jd_registry_hold(uint64_t after_id, struct jd_obj_view *views, size_t max);
void jd_registry_release(struct jd_obj_view *views, size_t n);
/* The held object's first symbol, computed (one parse, then cached with the object) if needed. */
const char *jd_registry_first_symbol(struct jd_obj_view *v);
/* Whether the held object defines a function or object symbol `name` (len bytes): a binary search in
 * the object's symbol index, built by the first call (one parse) and kept with the object. */
int jd_registry_defines(struct jd_obj_view *v, const char *name, size_t len);
/* The oldest live object whose allocated range holds addr (the address index): id, range, size and
 * flags in *out (not held: no bytes). 0 or -ENOENT. */
int jd_registry_lookup_addr(uint64_t addr, struct jd_obj_view *out);
/* Copies up to len bytes of object id from off into dst (the object held, the copy made outside the
 * registry lock). -ENOENT, -ERANGE. */
int jd_registry_read(uint64_t id, uint64_t off, uint32_t len, uint8_t *dst, uint32_t *got, uint64_t *size);
uint64_t jd_registry_generation(void);

/* Called by the registry (link.c; cheap no-ops when the server is off). _locked ones run under the
 * registry lock and only append to memory. */
void jd_link_registered_locked(const struct jd_obj_view *v);
/* Whether a registration should compute the object's first symbol for the REGISTERED event. */
int jd_link_wants_first_symbol(void);
void jd_link_unregistered_locked(uint64_t id);
/* After a registration, outside the lock: 1 if a watch matched (then, in lazy mode, the object is
 * announced, and in lazy and eager mode jitdebug_debugger_notify is called, before the registration
 * returns). */
struct jd_parsed;
int jd_link_match_watches(struct jd_parsed *p, uint64_t id);
void jitdebug_debugger_notify(uint64_t id);
/* Fills the link_* counters of jd_hooks_stats (link.c). */
void jd_link_stats(struct jd_hooks_stats *s);
/* Fork handlers (registry.c runs them in lock order; enum jd_fork_phase of runtime.h): PREPARE takes
 * the lock, PARENT releases it, CHILD releases it and resets what belongs to the parent's process. */
void jd_link_fork(enum jd_fork_phase phase);
/* Starts the link anew at a registration (outside the registry lock) in a child forked from a process
 * whose link listened on port 0 (the child's own link), or after the program took the link's
 * descriptors back (link.c). A cheap no-op otherwise. */
void jd_link_restart_if_pending(void);
void jd_nobits_fork(enum jd_fork_phase phase);

/* fleet.c (docs/fleet.md): JITDEBUG_PUBLISH and JITDEBUG_CORE_OBJECTS=omit. */
/* Queues the object for JITDEBUG_PUBLISH under the id registration computed (kind: JD_BUILD_ID_*). */
void jd_publish_registered(const uint8_t *data, size_t size, int kind, const uint8_t *id, uint32_t id_len);
void jd_fleet_fork(enum jd_fork_phase phase);
void jd_fleet_stats(struct jd_hooks_stats *s);
size_t jd_page_round(size_t size);
void *jd_map_dontdump(size_t size); /* NULL on failure */
void jd_unmap(void *p, size_t size);
/* The hooks' own __jit_debug_descriptor (gdbjit.c). */
uint64_t jd_gdb_descriptor_address(void);
/* Other registrars (registrars.c): looks at the modules again if the loader's set changed, warning
 * once per new descriptor (never under the registry lock). */
#define JD_MAX_REGISTRARS 16
void jd_registrars_check(void);
/* jd_registrars_check at most once a second: for the registration path. */
void jd_registrars_poll(void);
/* The objects of the other registrars' lists, read now through the checked self-reader, sorted by
 * id (JD_FOREIGN_ID_BIT | address of the bytes): a malloc'ed array (*out) and its length, or
 * -ENOMEM. At most JD_MAX_FOREIGN_OBJECTS per list. */
#define JD_MAX_FOREIGN_OBJECTS (1u << 20)
struct jd_registry_object;
ssize_t jd_registrars_objects(struct jd_registry_object **out);
/* FETCH of another registrar's object that a list holds now: as jd_registry_read; -EFAULT when its
 * bytes became unreadable. */
int jd_registrars_read(uint64_t id, uint64_t off, uint32_t len, uint8_t *dst, uint32_t *got, uint64_t *size);
/* For the fuzzer only: feeds bytes to the frame handlers as client slot 0 (see link.c). */
int jd_link_feed_for_tests(int fd, const uint8_t *data, size_t len);

#endif
