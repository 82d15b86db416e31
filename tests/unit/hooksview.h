/* hooksview.h — the hooks as a debugger sees them, for the hooks' unit tests: GDB's JIT list through
 * __jit_debug_descriptor, the exported registry and watch table, one object by id, the GDB mode.
 * Header-only; each test binary includes it once. */
#ifndef JD_TEST_HOOKSVIEW_H
#define JD_TEST_HOOKSVIEW_H

#include "abi.h"
#include "check.h"
#include "jitdebug-hooks.h"
#include "jitdebug.h"

extern struct jd_registry jitdebug_registry;
extern struct jd_watch_table jitdebug_watches;


static inline void quiet_log(int level, const char *msg, void *ctx) { (void)level, (void)msg, (void)ctx; }

static inline size_t gdb_list_len(void)
{
	size_t n = 0;
	for (struct jit_code_entry *e = __jit_debug_descriptor.first_entry; e && n < 1000000; e = e->next_entry)
		n++;
	return n;
}

static inline int gdb_list_has(const void *symfile)
{
	for (struct jit_code_entry *e = __jit_debug_descriptor.first_entry; e; e = e->next_entry)
		if (e->symfile_addr == symfile)
			return 1;
	return 0;
}

struct find { uint64_t id; struct jd_object_info info; int found; };
static inline int find_cb(const struct jd_object_info *info, void *ctx)
{
	struct find *f = ctx;
	if (info->id == f->id) {
		f->info = *info;
		f->found = 1;
		return 1;
	}
	return 0;
}
static inline struct find find_object(uint64_t id)
{
	struct find f = {.id = id};
	jd_foreach_object(find_cb, &f);
	return f;
}

static inline void set_mode(int mode)
{
	struct jd_hooks_opts o = {.sz = sizeof(o), .gdb_mode = mode};
	CHECK(jd_hooks_init(&o) == 0, "init mode %d", mode);
}

#endif
