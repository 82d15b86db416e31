/* subscribers.c — the table of the registry's subscribers (subscribers.h), in lock order, and the
 * dispatch over it. Also the two subscribers that adapt lower layers: perfmap/'s writers and the log
 * of jitdebug/runtime.c. */
#include "subscribers.h"

#include "../perfmap/perf-outputs.h"

static const struct jd_subscriber *const table[] = {
	&jd_perf_subscriber,       /* its writers' lock is taken before the registry's */
	&jd_registry_subscriber,
	&jd_publish_subscriber,
	&jd_link_subscriber,
	&jd_registrars_subscriber, /* after the link: registered() polls the loader's modules */
	&jd_watches_subscriber,    /* last of the registered() calls: it may call the debugger's rendezvous */
	&jd_graveyard_subscriber,  /* unregistered_locked only: no lock of its own */
	&jd_nobits_subscriber,
	&jd_log_subscriber,        /* a leaf */
};
enum { N = sizeof(table) / sizeof(table[0]) };

#define EACH(field, ...)                                                                                       \
	do {                                                                                                   \
		for (size_t i_ = 0; i_ < N; i_++)                                                              \
			if (table[i_]->field)                                                                  \
				table[i_]->field(__VA_ARGS__);                                                 \
	} while (0)

void jd_subscribers_init(void) { EACH(init); }
void jd_subscribers_fini(void) { EACH(fini); }
void jd_subscribers_object_ready(const struct jd_registration *r) { EACH(object_ready, r); }
void jd_subscribers_registered_locked(const struct jd_registration *r) { EACH(registered_locked, r); }
void jd_subscribers_unregistered_locked(const struct jd_obj_view *v) { EACH(unregistered_locked, v); }
void jd_subscribers_registered(const struct jd_registration *r) { EACH(registered, r); }
void jd_subscribers_stats(struct jd_hooks_stats *s) { EACH(stats, s); }

int jd_subscribers_want_first_symbol(void)
{
	for (size_t i = 0; i < N; i++)
		if (table[i]->wants_first_symbol && table[i]->wants_first_symbol())
			return 1;
	return 0;
}

void jd_subscribers_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE) {
		EACH(fork, phase);
		return;
	}
	for (size_t i = N; i-- > 0;)
		if (table[i]->fork)
			table[i]->fork(phase);
}

/* ---- perfmap/: the perf map and the jitdump ---------------------------------------------------- */

static void perf_object_ready(const struct jd_registration *r)
{
	jd_perf_object_registered(r->parsed);
}

static void perf_stats(struct jd_hooks_stats *s)
{
	struct jd_perf_counters pc;
	jd_perf_counters(&pc);
	s->perfmap_lines = pc.perfmap_lines;
	s->perfmap_dropped = pc.perfmap_dropped;
	s->jitdump_loads = pc.jitdump_loads;
	s->jitdump_dropped = pc.jitdump_dropped;
	s->jitdump_debug_info = pc.debug_info_records;
	s->objects_without_lines = pc.objects_without_lines;
	s->code_salted = pc.code_salted;
	s->files_lost = pc.files_lost;
}

const struct jd_subscriber jd_perf_subscriber = {
	.name = "perf",
	.fini = jd_perf_fini,
	.object_ready = perf_object_ready,
	.fork = jd_perf_fork,
	.stats = perf_stats,
};

/* ---- jitdebug/runtime.c: the log's lock ---------------------------------------------------------- */

const struct jd_subscriber jd_log_subscriber = {
	.name = "log",
	.fork = jd_log_fork,
};
