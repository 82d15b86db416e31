/* link_watch.c — watches: symbol names and source files that, when a registered object matches them,
 * produce EV_WATCH_MATCH for the link client that set them, and (with the debugger-written table
 * `jitdebug_watches`) the debugger rendezvous: the watches are a subscriber of the registry
 * (jd_watches_subscriber), called after each registration, before it returns.
 *
 * Bounded cost: at most LINK_MAX_WATCHES link watches (LINK_MAX_WATCHES_PER_CLIENT per client) and
 * JD_WATCH_SLOTS debugger watches, each pattern under JD_WATCH_PATTERN bytes. The link watches are an
 * immutable, reference-counted set rebuilt when they change, so a registration copies nothing: it
 * takes a reference under jd_link_mu, matches without any lock, and drops it. Symbol watches are
 * matched by a sorted table of name hashes (a binary search per symbol), file watches per distinct
 * file of the line table. A match is delivered to the connection that set the watch, never to
 * whoever holds its slot now. */
#include "link-internal.h"

#include "../jitdebug/hashkeys.h"
#include "../jitdebug/parsed.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct watch {
	uint32_t id;
	uint64_t conn; /* 0: the debugger's table (no link client to tell) */
	uint8_t kind;  /* JD_WATCH_SYMBOL or JD_WATCH_FILE (the watch kinds of the wire and of the table) */
	uint16_t len;
	uint64_t hash;
	char pattern[JD_WATCH_PATTERN];
};

struct watch_set {
	_Atomic unsigned refs;
	size_t n, nkeys;
	struct jd_hkey keys[LINK_MAX_WATCHES]; /* the symbol watches by name hash (value: index in w), sorted */
	struct watch w[];
};

static struct watch *watches; /* under mu: the live link watches, LINK_MAX_WATCHES slots (id 0 free) */
static struct watch_set *current; /* under mu: a snapshot of them, or NULL when there are none */
static uint32_t next_watch_id = 1;
static _Atomic int n_watches;

static void set_put(struct watch_set *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

/* mu held: the snapshot registrations match against, rebuilt after every change. */
static void rebuild_locked(void)
{
	size_t n = 0;
	for (int i = 0; watches && i < LINK_MAX_WATCHES; i++)
		n += watches[i].id != 0;
	struct watch_set *s = n ? malloc(sizeof(*s) + n * sizeof(struct watch)) : NULL;
	if (s) {
		atomic_init(&s->refs, 1);
		s->n = s->nkeys = 0;
		for (int i = 0; i < LINK_MAX_WATCHES; i++) {
			if (!watches[i].id)
				continue;
			if (watches[i].kind == JD_WATCH_SYMBOL)
				s->keys[s->nkeys++] = (struct jd_hkey){watches[i].hash, (uint32_t)s->n};
			s->w[s->n++] = watches[i];
		}
		jd_hkeys_sort(s->keys, s->nkeys);
	}
	set_put(current);
	current = s; /* NULL on allocation failure: matching stops until the next change (rare) */
	atomic_store(&n_watches, (int)n);
}

int link_watch_add(struct link_client *c, uint8_t kind, const char *pattern, size_t len, uint32_t *id,
		   const char **why)
{
	if (kind != JD_WATCH_SYMBOL && kind != JD_WATCH_FILE) {
		*why = "watch kind must be 1 (symbol) or 2 (source file)";
		return -EINVAL;
	}
	if (len == 0 || memchr(pattern, 0, len)) {
		*why = "watch pattern is empty or contains a NUL byte";
		return -EINVAL;
	}
	if (len >= JD_WATCH_PATTERN) {
		*why = "watch pattern longer than 247 bytes";
		return -E2BIG;
	}
	int err = 0;
	pthread_mutex_lock(&jd_link_mu);
	if (!watches && !(watches = calloc(LINK_MAX_WATCHES, sizeof(*watches)))) {
		err = -ENOMEM;
		*why = "out of memory";
	} else if (c->nwatches >= LINK_MAX_WATCHES_PER_CLIENT) {
		err = -E2BIG;
		*why = "too many watches for this client (16)";
	} else {
		err = -E2BIG;
		*why = "too many watches (256 in all)";
		for (int i = 0; i < LINK_MAX_WATCHES; i++) {
			if (watches[i].id)
				continue;
			struct watch *w = &watches[i];
			memset(w, 0, sizeof(*w));
			w->id = next_watch_id++;
			if (!next_watch_id)
				next_watch_id = 1;
			w->conn = c->conn;
			w->kind = kind;
			w->len = (uint16_t)len;
			w->hash = jd_hash(pattern, len);
			memcpy(w->pattern, pattern, len);
			*id = w->id;
			c->nwatches++;
			rebuild_locked();
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&jd_link_mu);
	return err;
}

void link_watch_drop_conn_locked(uint64_t conn)
{
	int changed = 0;
	for (int i = 0; watches && i < LINK_MAX_WATCHES; i++) {
		if (watches[i].id && watches[i].conn == conn) {
			watches[i].id = 0;
			changed = 1;
		}
	}
	if (changed)
		rebuild_locked();
}

void link_watch_reset_locked(void)
{
	if (watches)
		memset(watches, 0, LINK_MAX_WATCHES * sizeof(*watches));
	rebuild_locked();
}

/* The debugger's table (jitdebug-hooks.h): written by a debugger while the process is stopped, so
 * it is read without a lock, each slot copied and bounded before use. */
JD_HOOKS_API volatile struct jd_watch_table jitdebug_watches = {
	.magic = JD_WATCH_TABLE_MAGIC,
	.version = 1,
	.header_size = offsetof(struct jd_watch_table, slots),
	.nslots = JD_WATCH_SLOTS,
	.slot_size = sizeof(struct jd_watch_slot),
};

static size_t debugger_watches(struct watch *out)
{
	uint32_t active = jitdebug_watches.active;
	size_t n = 0;
	for (uint32_t i = 0; i < active && i < JD_WATCH_SLOTS; i++) {
		struct watch *w = &out[n];
		uint64_t kind = jitdebug_watches.slots[i].kind;
		for (size_t k = 0; k < sizeof(w->pattern); k++)
			w->pattern[k] = jitdebug_watches.slots[i].pattern[k];
		const char *nul = memchr(w->pattern, 0, sizeof(w->pattern));
		if ((kind != JD_WATCH_SYMBOL && kind != JD_WATCH_FILE) || !nul || nul == w->pattern)
			continue;
		w->id = 0;
		w->conn = 0;
		w->kind = (uint8_t)kind;
		w->len = (uint16_t)(nul - w->pattern);
		w->hash = jd_hash(w->pattern, w->len);
		n++;
	}
	return n;
}

/* pattern equals path, or is a suffix of it starting after a '/'. */
static int path_matches(const char *path, const struct watch *w)
{
	size_t lp = strlen(path), lq = w->len;
	if (lq > lp)
		return 0;
	return memcmp(path + lp - lq, w->pattern, lq) == 0 &&
	       (lq == lp || path[lp - lq - 1] == '/' || w->pattern[0] == '/');
}

/* Marks the symbol watches among keys (values: indexes into all[] from base) that name `name`. */
static void mark_symbol(const struct jd_hkey *k, size_t n, size_t base, const struct watch *const *all, const char *name,
			size_t len, uint64_t h, char *matched)
{
	for (size_t i = jd_hkeys_first(k, n, h); i < n && k[i].hash == h; i++) {
		const struct watch *w = all[base + k[i].value];
		if (w->len == len && memcmp(w->pattern, name, len) == 0)
			matched[base + k[i].value] = 1;
	}
}

static int match_watches(struct jd_parsed *p, uint64_t id)
{
	if (!atomic_load_explicit(&n_watches, memory_order_relaxed) && !jitdebug_watches.active)
		return 0;
	struct watch_set *set = NULL;
	pthread_mutex_lock(&jd_link_mu);
	if ((set = current))
		atomic_fetch_add(&set->refs, 1);
	pthread_mutex_unlock(&jd_link_mu);

	struct watch dbg[JD_WATCH_SLOTS];
	size_t ndbg = debugger_watches(dbg), nset = set ? set->n : 0, n = nset + ndbg;
	const struct watch *all[LINK_MAX_WATCHES + JD_WATCH_SLOTS];
	for (size_t i = 0; i < nset; i++)
		all[i] = &set->w[i];
	for (size_t i = 0; i < ndbg; i++)
		all[nset + i] = &dbg[i];

	char matched[LINK_MAX_WATCHES + JD_WATCH_SLOTS] = {0};
	/* Symbol watches: the set's keys are sorted already; the debugger's (at most 16) are sorted here. */
	struct jd_hkey dkeys[JD_WATCH_SLOTS];
	size_t ndkeys = 0, nkeys = set ? set->nkeys : 0;
	int want_files = 0;
	for (size_t w = 0; w < n; w++) {
		if (all[w]->kind != JD_WATCH_SYMBOL)
			want_files = 1;
		else if (w >= nset)
			dkeys[ndkeys++] = (struct jd_hkey){all[w]->hash, (uint32_t)(w - nset)};
	}
	jd_hkeys_sort(dkeys, ndkeys);
	const struct jd_elf *elf = nkeys + ndkeys ? jd_parsed_elf(p) : NULL;
	for (size_t i = 0; elf && i < jd_elf_symbol_count(elf); i++) {
		struct jd_elf_symbol sym;
		if (jd_elf_symbol(elf, i, &sym) != 0 || !sym.defined || (sym.type != STT_FUNC && sym.type != STT_OBJECT))
			continue;
		size_t len = strlen(sym.name);
		if (len >= JD_WATCH_PATTERN)
			continue;
		uint64_t h = jd_hash(sym.name, len);
		mark_symbol(set ? set->keys : NULL, nkeys, 0, all, sym.name, len, h, matched);
		mark_symbol(dkeys, ndkeys, nset, all, sym.name, len, h, matched);
	}
	if (want_files) {
		const struct jd_lines *lines = jd_parsed_lines(p);
		size_t nrows = 0;
		const struct jd_line *rows = lines ? jd_lines_rows(lines, &nrows) : NULL;
		for (size_t r = 0; r < nrows; r++) {
			if (r > 0 && rows[r].file == rows[r - 1].file)
				continue;
			for (size_t w = 0; w < n; w++)
				if (all[w]->kind == JD_WATCH_FILE && !matched[w] && path_matches(rows[r].file, all[w]))
					matched[w] = 1;
		}
	}

	int matched_any = 0;
	pthread_mutex_lock(&jd_link_mu);
	for (size_t w = 0; w < n; w++) {
		if (!matched[w])
			continue;
		matched_any = 1;
		if (!all[w]->conn)
			continue; /* the debugger's table: the debugger learns of it from the rendezvous */
		struct jd_wbuf b = {0};
		size_t f = jd_wr_begin(&b, JD_EV_WATCH_MATCH, 0);
		jd_wr_u32(&b, all[w]->id);
		jd_wr_u64(&b, id);
		jd_wr_end(&b, f);
		link_queue_conn_locked(all[w]->conn, &b);
		jd_wr_free(&b);
	}
	pthread_mutex_unlock(&jd_link_mu);
	set_put(set);
	if (matched_any)
		link_wake();
	return matched_any;
}

/* A match (link or debugger watch), unless the mode is off: in lazy mode the object is announced to
 * GDB's JIT list before its code can run; in both modes the debuggers' rendezvous is called, for
 * plugins that load the object themselves. */
static void watches_registered(const struct jd_registration *r)
{
	uint64_t id = r->view->id;
	if (match_watches(r->parsed, id) && r->mode != JD_GDB_OFF) {
		jd_registry_add_flags(id, JD_OBJECT_WATCHED | (r->mode == JD_GDB_LAZY ? JD_OBJECT_ANNOUNCED : 0));
		jitdebug_debugger_notify(id);
	}
}

const struct jd_subscriber jd_watches_subscriber = {
	.name = "watches",
	.registered = watches_registered,
};
