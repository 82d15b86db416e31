/* hooks.c — the hooks' set-up: what runs at load time, jd_hooks_init and jd_hooks_fini, the GDB
 * announcement mode as the API sets it, the log callback, fork, and the statistics. Everything here
 * goes through the subscribers' table (subscribers.h), which is also the lock order, so a new module
 * takes part in fork and statistics by its table entry alone.
 *
 * Fork: every lock of the hooks is taken before fork() and released on both sides (one
 * pthread_atfork, registered at load time), so a child forked while another thread registers starts
 * with consistent, unlocked state, and each module resets in the child what belonged to the parent's
 * process (the link's server thread, the perf files). */
#include "jitdebug-hooks.h"

#include "mode.h"
#include "registry.h"
#include "subscribers.h"

#include "../jitdebug/opts.h"
#include "../perfmap/perf-outputs.h" /* jd_perf_configure */

#include <errno.h>
#include <pthread.h>
#include <string.h>

static void fork_prepare(void) { jd_subscribers_fork(JD_FORK_PREPARE); }
static void fork_parent(void) { jd_subscribers_fork(JD_FORK_PARENT); }
static void fork_child(void) { jd_subscribers_fork(JD_FORK_CHILD); }

/* The mode is known from the start (a debugger that reads the registry before the first registration
 * sees the real one), and fork is safe from the start. */
__attribute__((constructor)) static void hooks_init(void)
{
	jd_registry_publish_mode(jd_mode());
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	jd_subscribers_init();
}

int jd_hooks_init(const struct jd_hooks_opts *opts)
{
	if (!opts || !JD_OPTS_VALID(opts, JD_OPTS_END(struct jd_hooks_opts, gdb_mode)))
		return -EINVAL;
	int m = opts->gdb_mode < 0 ? jd_mode_from_env() : opts->gdb_mode;
	if (m > JD_GDB_OFF)
		return -EINVAL;
	if (JD_OPTS_HAS(opts, jitdump))
		jd_perf_configure(opts->perfmap, opts->jitdump);
	jd_mode_set(m);
	jd_registry_publish_mode(m);
	return 0;
}

void jd_hooks_fini(void)
{
	jd_subscribers_fini();
}

enum jd_gdb_mode jd_hooks_gdb_mode(void)
{
	return (enum jd_gdb_mode)jd_mode();
}

void jd_hooks_set_log(jd_log_fn fn, void *ctx)
{
	jd_log_set(fn, ctx);
}

int jd_hooks_stats(struct jd_hooks_stats *out)
{
	if (!out || out->sz < sizeof(size_t))
		return -EINVAL;
	struct jd_hooks_stats s = {.sz = out->sz};
	jd_subscribers_stats(&s);
	memcpy(out, &s, out->sz < sizeof(s) ? out->sz : sizeof(s));
	return 0;
}
