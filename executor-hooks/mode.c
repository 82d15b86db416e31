/* mode.c — the GDB announcement mode: eager, lazy or off (docs/environment.md, JITDEBUG_GDB). One
 * atomic, read without a lock by every registration. */
#include "mode.h"

#include "jitdebug-hooks.h"
#include "runtime.h" /* jd_warn_once */

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic int gdb_mode = -1; /* -1: not known yet */

int jd_mode_from_env(void)
{
	const char *v = getenv("JITDEBUG_GDB");
	if (!v || !*v || strcmp(v, "eager") == 0)
		return JD_GDB_EAGER;
	if (strcmp(v, "lazy") == 0)
		return JD_GDB_LAZY;
	if (strcmp(v, "off") == 0)
		return JD_GDB_OFF;
	jd_warn_once("JITDEBUG_GDB=%s is not eager, lazy or off; using eager", v);
	return JD_GDB_EAGER;
}

int jd_mode(void)
{
	int m = atomic_load_explicit(&gdb_mode, memory_order_relaxed);
	if (m < 0) {
		int expected = -1;
		m = jd_mode_from_env();
		if (!atomic_compare_exchange_strong(&gdb_mode, &expected, m))
			m = expected;
	}
	return m;
}

void jd_mode_set(int mode)
{
	atomic_store(&gdb_mode, mode);
}
