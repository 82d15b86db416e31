/* registry.h — the registry of live JIT objects (registry.c), as the rest of the hooks use it: the
 * registration entry points that take bytes from elsewhere, holding objects to read them outside the
 * registry lock, lookups, and flags. The registry calls no consumer by name: they subscribe
 * (subscribers.h). Internal to the hooks. */
#ifndef JD_HOOKS_REGISTRY_H
#define JD_HOOKS_REGISTRY_H

#include "jitdebug-hooks.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" { /* the executor (C++) uses jd_registry_lookup_addr */
#endif

/* jd_register_object for a malloc'd object the caller hands over (the light-JIT writer's output): no
 * copy is made; on success the registry frees obj when the object is unregistered, on failure the
 * caller still owns it. An object that needs a NOBITS fix-up is refused (-EINVAL): the writer never
 * makes one. */
#define JD_REGISTER_OWNED_ 0x80000000u /* internal: never accepted from jd_register_object */
int jd_register_owned(uint8_t *obj, size_t size, uint32_t flags, uint64_t *id);

/* jd_register_object for an address range handed over by someone else (ORC): always copied, and
 * copied with jd_read_self. */
int jd_register_from_address(uint64_t addr, uint64_t size, uint32_t flags, uint64_t *id);

/* Counts an object refused before it reached the registry (a bad ORC argument, a bad light JIT). */
void jd_count_rejected(void);

/* Adds flags to a live object, announcing it to GDB when JD_OBJECT_ANNOUNCED is new among them. The
 * generation moves, so a reader that caches the registry sees the change. 0 or -ENOENT. */
int jd_registry_add_flags(uint64_t id, uint32_t flags);

/* The GDB announcement mode in force (mode.h) written into the exported registry, under its lock. */
void jd_registry_publish_mode(int mode);

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

#ifdef __cplusplus
}
#endif
#endif
