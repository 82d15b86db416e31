/* mode.h — the GDB announcement mode (mode.c): JITDEBUG_GDB, or jd_hooks_init's choice. Below the
 * registry and the hooks' set-up, which both read it. Internal to the hooks. */
#ifndef JD_HOOKS_MODE_H
#define JD_HOOKS_MODE_H

/* enum jd_gdb_mode in force: JITDEBUG_GDB read on first use unless jd_mode_set came first. */
int jd_mode(void);
void jd_mode_set(int mode);
/* JITDEBUG_GDB as a mode (eager when unset; a bad value warns once and reads as eager). */
int jd_mode_from_env(void);

#endif
