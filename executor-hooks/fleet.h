/* fleet.h — what fleet.c gives the registry besides its subscriber (docs/fleet.md): the mappings
 * core files leave out, for JITDEBUG_CORE_OBJECTS=omit. Internal to the hooks. */
#ifndef JD_HOOKS_FLEET_H
#define JD_HOOKS_FLEET_H

#include <stddef.h>

size_t jd_page_round(size_t size);
void *jd_map_dontdump(size_t size); /* NULL on failure */
void jd_unmap(void *p, size_t size);

#endif
