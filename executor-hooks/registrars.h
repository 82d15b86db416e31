/* registrars.h — the other GDB JIT registrars of the process (registrars.c, docs/registrars.md), for
 * the link's LIST and FETCH. Internal to the hooks. */
#ifndef JD_HOOKS_REGISTRARS_H
#define JD_HOOKS_REGISTRARS_H

#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#define JD_MAX_REGISTRARS 16
/* The objects of the other registrars' lists, read now through the checked self-reader, sorted by
 * id (JD_FOREIGN_ID_BIT | address of the bytes): a malloc'ed array (*out) and its length, or
 * -ENOMEM. At most JD_MAX_FOREIGN_OBJECTS per list. */
#define JD_MAX_FOREIGN_OBJECTS (1u << 20)
struct jd_registry_object;
ssize_t jd_registrars_objects(struct jd_registry_object **out);
/* FETCH of another registrar's object that a list holds now: as jd_registry_read; -EFAULT when its
 * bytes became unreadable. */
int jd_registrars_read(uint64_t id, uint64_t off, uint32_t len, uint8_t *dst, uint32_t *got, uint64_t *size);

#endif
