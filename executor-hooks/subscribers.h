/* subscribers.h — who hears of registrations, and in which order. The registry (registry.c) keeps the
 * list, the indexes and hold/release, and knows none of its consumers: the perf outputs, publishing,
 * the debug link, the watches and the other registrars' check subscribe here, one struct each, and the
 * registry calls the table. Adding an output is one file that defines its struct jd_subscriber and one
 * line in the table (subscribers.c); registration itself does not change.
 *
 * The table is also the hooks' lock order: fork PREPARE calls each `fork` forward (each takes its
 * locks), PARENT and CHILD backward (each releases them; CHILD also drops what belonged to the parent's
 * process). The registry's own lock is the `registry` entry. Every callback is optional. Internal to
 * the hooks. */
#ifndef JD_HOOKS_SUBSCRIBERS_H
#define JD_HOOKS_SUBSCRIBERS_H

#include "jitdebug-hooks.h"
#include "runtime.h" /* enum jd_fork_phase (jitdebug/) */

#include <stddef.h>
#include <stdint.h>

struct jd_parsed;
struct jd_obj_view;

/* One registration, as the subscribers see it. Valid during the call only. */
struct jd_registration {
	struct jd_parsed *parsed; /* one full parse and one line table, shared by every subscriber */
	const uint8_t *data;      /* the registry's copy (or the borrowed bytes) */
	size_t size;
	int build_id_kind;        /* JD_BUILD_ID_* (0: none) */
	const uint8_t *build_id;
	uint32_t build_id_len;
	const struct jd_obj_view *view; /* from `registered_locked` on: id, range, flags, first symbol */
	int mode;                 /* enum jd_gdb_mode in force */
};

struct jd_subscriber {
	const char *name;
	void (*init)(void); /* at load time */
	void (*fini)(void); /* jd_hooks_fini */
	/* Before the object is visible, on the registering thread, no lock held. */
	void (*object_ready)(const struct jd_registration *r);
	/* Whether `registered_locked` wants the object's first symbol in the view (a parse). */
	int (*wants_first_symbol)(void);
	/* Under the registry lock: append to memory only, never block or do I/O. */
	void (*registered_locked)(const struct jd_registration *r);
	/* Under the registry lock, as the object leaves: its view (first_sym only when it was computed,
	 * NULL otherwise: nothing is parsed for it). Memory only. */
	void (*unregistered_locked)(const struct jd_obj_view *v);
	/* After the object is visible, outside the lock, before the registration returns. */
	void (*registered)(const struct jd_registration *r);
	void (*fork)(enum jd_fork_phase phase);
	void (*stats)(struct jd_hooks_stats *s); /* fills its own counters */
};

/* Each module's subscriber, defined in its own file. */
extern const struct jd_subscriber jd_perf_subscriber;      /* subscribers.c: perfmap/'s writers */
extern const struct jd_subscriber jd_registry_subscriber;  /* registry.c: its lock and counters */
extern const struct jd_subscriber jd_publish_subscriber;   /* fleet.c: JITDEBUG_PUBLISH */
extern const struct jd_subscriber jd_link_subscriber;      /* link.c: the debug link's events */
extern const struct jd_subscriber jd_registrars_subscriber; /* registrars.c: other GDB JIT registrars */
extern const struct jd_subscriber jd_watches_subscriber;   /* link_watch.c: link and debugger watches */
extern const struct jd_subscriber jd_graveyard_subscriber; /* graveyard.c: what was unregistered lately */
extern const struct jd_subscriber jd_nobits_subscriber;    /* nobits.c: its allocation lock */
extern const struct jd_subscriber jd_log_subscriber;       /* subscribers.c: jitdebug/'s log lock */

/* The dispatch, in table order (fork: see above). */
void jd_subscribers_init(void);
void jd_subscribers_fini(void);
void jd_subscribers_object_ready(const struct jd_registration *r);
int jd_subscribers_want_first_symbol(void);
void jd_subscribers_registered_locked(const struct jd_registration *r);
void jd_subscribers_unregistered_locked(const struct jd_obj_view *v);
void jd_subscribers_registered(const struct jd_registration *r);
void jd_subscribers_fork(enum jd_fork_phase phase);
void jd_subscribers_stats(struct jd_hooks_stats *s);

#endif
