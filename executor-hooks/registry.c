/* registry.c — the registry of live JIT objects and the registration API.
 *
 * One mutex (`lock`) covers the registry list, the id index, the exported `jitdebug_registry` root
 * and the GDB JIT rendezvous. Everything that can be done without it — copying the object, parsing
 * and validating it, fixing NOBITS addresses — is done before taking it, so the critical section is a
 * few pointer writes (plus the call to __jit_debug_register_code in eager mode).
 *
 * Each object is one allocation: struct obj, followed by its copied bytes unless borrowed (or, with
 * JITDEBUG_CORE_OBJECTS=omit, the copy in a mapping of its own that core files leave out), plus the
 * table of its sections' load addresses that the registry entry points to (version 2). Indexes:
 * by id (a hash), by address (1 MiB buckets of each object's range), and per object, built on first
 * use by a holder, by symbol name (a sorted hash table). Readers
 * that parse objects (the link server) hold them (jd_registry_hold: a reference count) and work
 * outside the lock, so what a client asks never lengthens a registration's wait for the lock. The
 * last reference frees a copied object; unregistering a borrowed one waits until the holders are
 * done with the caller's bytes (one object's parse on the server thread, never a client's I/O).
 *
 * Consumers (perf outputs, publishing, the debug link, watches, the other registrars' check) are not
 * called by name: they subscribe (subscribers.h), and a registration hands them one struct
 * jd_registration with the shared parse: before the object is visible, under the lock (append to
 * memory only), and after. Lock order, fork and statistics are the subscribers' table's (hooks.c);
 * the registry's own part is its lock and the `released` condition.
 */
#include "registry.h"

#include "fleet.h"
#include "gdbjit.h"
#include "mode.h"
#include "nobits.h"
#include "subscribers.h"

#include "../jitdebug/jitdebug.h"
#include "../jitdebug/hashkeys.h"
#include "../jitdebug/opts.h"
#include "../jitdebug/buildid.h"
#include "../jitdebug/parsed.h"
#include "runtime.h" /* jd_warn_once, jd_read_self */

#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct obj {
	struct jit_code_entry gdb;     /* in GDB's list when flags & JD_OBJECT_ANNOUNCED */
	struct jd_registry_entry reg;  /* in the exported registry list */
	struct obj *hnext;             /* id index chain */
	const uint8_t *data;
	_Atomic uint32_t first_sym;    /* cached offset into data: 0 not computed yet, UINT32_MAX none */
	int owned;                     /* data is a malloc'd buffer handed over (jd_register_owned): freed with o */
	struct symidx *_Atomic symidx; /* built on first use by a holder (jd_registry_defines) */
	struct jd_registry_section *secs; /* where each section was loaded (reg.sections), malloc'ed */
	size_t mapped;                 /* non-zero: data is a copy in its own mapping of this size, kept
					* out of core files (JITDEBUG_CORE_OBJECTS=omit) */
	unsigned refs;                 /* under lock: 1 while registered, +1 per jd_registry_hold */
	int unlinked;                  /* under lock: unregistered; the last release frees it */
};

/* The layout other processes read (docs/registry.md). */
_Static_assert(sizeof(struct jd_registry) == 56, "registry header layout");
_Static_assert(offsetof(struct jd_registry, first) == 32 && offsetof(struct jd_registry, gdb_mode) == 48,
	       "registry header offsets");
_Static_assert(sizeof(struct jd_registry_entry) == 104 && offsetof(struct jd_registry_entry, build_id) == 64 &&
		       offsetof(struct jd_registry_entry, sections) == 96,
	       "registry entry layout");
_Static_assert(sizeof(struct jd_registry_section) == 16, "registry section layout");
_Static_assert(offsetof(struct jd_registry_entry, symfile_addr) == 24 &&
		       offsetof(struct jd_registry_entry, flags) == 56,
	       "registry entry offsets");

JD_HOOKS_API struct jd_registry jitdebug_registry = {
	.magic = JD_REGISTRY_MAGIC,
	.version = JD_REGISTRY_VERSION,
	.header_size = sizeof(struct jd_registry),
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER; /* a hold on a borrowed object ended */
static struct obj **index_buckets; /* power-of-two sized, chained */
static size_t index_nbuckets;
static uint64_t next_id = 1;

static struct {
	_Atomic uint64_t registered, unregistered, rejected, nobits_placed, nobits_unplaced;
} stats;


void jd_count_rejected(void)
{
	atomic_fetch_add(&stats.rejected, 1);
}

/* ---- mode and fork ------------------------------------------------------------------------ */

void jd_registry_publish_mode(int mode)
{
	pthread_mutex_lock(&lock);
	jitdebug_registry.gdb_mode = (uint64_t)mode;
	pthread_mutex_unlock(&lock);
}

/* The registry's place in the lock order (subscribers.c): PREPARE takes the lock, PARENT releases
 * it, CHILD releases it with a fresh condition. */
static void registry_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE) {
		pthread_mutex_lock(&lock);
		return;
	}
	if (phase == JD_FORK_CHILD)
		pthread_cond_init(&released, NULL);
	pthread_mutex_unlock(&lock);
}

size_t jd_object_count(void);

static void registry_stats(struct jd_hooks_stats *s)
{
	s->registered = atomic_load(&stats.registered);
	s->unregistered = atomic_load(&stats.unregistered);
	s->rejected = atomic_load(&stats.rejected);
	s->nobits_placed = atomic_load(&stats.nobits_placed);
	s->nobits_unplaced = atomic_load(&stats.nobits_unplaced);
	s->live = jd_object_count();
}

const struct jd_subscriber jd_registry_subscriber = {
	.name = "registry",
	.fork = registry_fork,
	.stats = registry_stats,
};

/* ---- id index (under lock) ------------------------------------------------------------------ */

static size_t bucket_of(uint64_t id, size_t n)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 17) & (n - 1);
}

static int index_insert(struct obj *o)
{
	if (jitdebug_registry.count + 1 > index_nbuckets) {
		size_t n = index_nbuckets ? index_nbuckets * 2 : 64;
		struct obj **b = calloc(n, sizeof(*b));
		if (!b)
			return -ENOMEM;
		for (size_t i = 0; i < index_nbuckets; i++) {
			for (struct obj *x = index_buckets[i], *nx; x; x = nx) {
				nx = x->hnext;
				size_t k = bucket_of(x->reg.id, n);
				x->hnext = b[k];
				b[k] = x;
			}
		}
		free(index_buckets);
		index_buckets = b;
		index_nbuckets = n;
	}
	size_t k = bucket_of(o->reg.id, index_nbuckets);
	o->hnext = index_buckets[k];
	index_buckets[k] = o;
	return 0;
}

static struct obj *index_find(uint64_t id, struct obj ***link_out)
{
	if (!index_nbuckets)
		return NULL;
	struct obj **link = &index_buckets[bucket_of(id, index_nbuckets)];
	for (; *link; link = &(*link)->hnext) {
		if ((*link)->reg.id == id) {
			if (link_out)
				*link_out = link;
			return *link;
		}
	}
	return NULL;
}

/* ---- address index (under lock) ------------------------------------------------------------- *
 * The ids of the objects whose allocated range [lo, hi) touches each 1 MiB of address space, in a
 * hash of buckets; an object spanning more than ADDR_SPAN_MAX MiB (sections far apart) goes to the
 * `wide` bucket, which every lookup scans. Unregistration costs nothing here: a bucket keeps ids, and
 * ids of objects gone (never reused) are dropped when a lookup meets them or when the bucket would
 * grow, so a bucket holds at most about twice its live objects. Ranges of different objects may
 * overlap (one object's sections around another's): a lookup returns the oldest object whose range
 * holds the address, as a walk would. */
enum { ADDR_SHIFT = 20, ADDR_SPAN_MAX = 64, ADDR_CHAINS = 4096 };

struct addr_bucket {
	uint64_t key; /* address >> ADDR_SHIFT */
	struct addr_bucket *next;
	uint64_t *ids;
	size_t n, cap;
};

static struct addr_bucket *addr_chains[ADDR_CHAINS];
static struct addr_bucket wide;

static struct obj *index_find(uint64_t id, struct obj ***link_out);

static int obj_is_wide(const struct obj *o)
{
	return ((o->reg.hi - 1) >> ADDR_SHIFT) - (o->reg.lo >> ADDR_SHIFT) >= ADDR_SPAN_MAX;
}

static struct addr_bucket *addr_bucket(uint64_t key, int create)
{
	struct addr_bucket **chain = &addr_chains[(key * 0x9E3779B97F4A7C15ull) >> 52 & (ADDR_CHAINS - 1)];
	for (struct addr_bucket *b = *chain; b; b = b->next)
		if (b->key == key)
			return b;
	if (!create)
		return NULL;
	struct addr_bucket *b = calloc(1, sizeof(*b));
	if (b) {
		b->key = key;
		b->next = *chain;
		*chain = b;
	}
	return b;
}

/* Drops the ids of unregistered objects. */
static void bucket_compact(struct addr_bucket *b)
{
	size_t k = 0;
	for (size_t i = 0; i < b->n; i++)
		if (index_find(b->ids[i], NULL))
			b->ids[k++] = b->ids[i];
	b->n = k;
}

static int bucket_add(struct addr_bucket *b, uint64_t id)
{
	if (b->n == b->cap)
		bucket_compact(b);
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 4;
		uint64_t *nv = realloc(b->ids, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->ids = nv;
		b->cap = ncap;
	}
	b->ids[b->n++] = id;
	return 0;
}

/* Called with o in the id index already; on failure the ids added stay and are dropped later. */
static int addr_insert(struct obj *o)
{
	if (o->reg.hi <= o->reg.lo)
		return 0;
	if (obj_is_wide(o))
		return bucket_add(&wide, o->reg.id);
	for (uint64_t k = o->reg.lo >> ADDR_SHIFT; k <= (o->reg.hi - 1) >> ADDR_SHIFT; k++) {
		struct addr_bucket *b = addr_bucket(k, 1);
		if (!b || bucket_add(b, o->reg.id) < 0)
			return -ENOMEM;
	}
	return 0;
}

static struct obj *bucket_find(struct addr_bucket *b, uint64_t addr, struct obj *best)
{
	size_t k = 0;
	for (size_t i = 0; b && i < b->n; i++) {
		struct obj *o = index_find(b->ids[i], NULL);
		if (!o)
			continue; /* gone: dropped below */
		b->ids[k++] = b->ids[i];
		if (addr >= o->reg.lo && addr < o->reg.hi && (!best || o->reg.id < best->reg.id))
			best = o;
	}
	if (b)
		b->n = k;
	return best;
}

static struct obj *addr_find(uint64_t addr)
{
	return bucket_find(&wide, addr, bucket_find(addr_bucket(addr >> ADDR_SHIFT, 0), addr, NULL));
}

/* ---- registration --------------------------------------------------------------------------- */

static struct obj *obj_of_entry(uint64_t entry_addr)
{
	return (struct obj *)(uintptr_t)(entry_addr - offsetof(struct obj, reg));
}

static int reject_object(const char *why)
{
	if (errno == ENOMEM)
		return -ENOMEM;
	jd_count_rejected();
	jd_warn_once("rejected a JIT object: %s", why);
	return -EINVAL;
}

static const char *first_symbol_of(struct obj *o, struct jd_parsed *p);
static struct jd_obj_view view_of(struct obj *o);

static void free_obj(struct obj *o)
{
	free(atomic_load(&o->symidx));
	free(o->secs);
	if (o->owned)
		free((void *)o->data);
	if (o->mapped)
		jd_unmap((void *)o->data, o->mapped);
	free(o);
}

/* JITDEBUG_CORE_OBJECTS=omit: the hooks' copies of objects go into mappings that core dumps leave out
 * (MADV_DONTDUMP), for cores that rely on fetching objects by build-id. Read once. */
static int omit_from_cores(void)
{
	static _Atomic int omit = -1;
	int v = atomic_load_explicit(&omit, memory_order_relaxed);
	if (v < 0) {
		const char *e = getenv("JITDEBUG_CORE_OBJECTS");
		v = e && strcmp(e, "omit") == 0;
		if (e && *e && !v && strcmp(e, "keep") != 0)
			jd_warn_once("JITDEBUG_CORE_OBJECTS=%.40s is not keep or omit; keeping objects in core files", e);
		atomic_store(&omit, v);
	}
	return v;
}

/* Every allocated section with a load address, for reg.sections. */
static int record_sections(struct obj *o, const struct jd_elf *elf)
{
	size_t n = jd_elf_section_count(elf), k = 0;
	for (size_t pass = 0; pass < 2; pass++) {
		k = 0;
		for (size_t i = 1; i < n; i++) {
			struct jd_elf_section s;
			if (jd_elf_section(elf, i, &s) != 0 || !(s.flags & SHF_ALLOC) || !s.addr)
				continue;
			if (pass)
				o->secs[k] = (struct jd_registry_section){.index = (uint32_t)i, .addr = s.addr};
			k++;
		}
		if (pass || !k || k > 65535)
			break;
		if (!(o->secs = malloc(k * sizeof(*o->secs))))
			return -ENOMEM;
	}
	if (o->secs) {
		o->reg.nsections = (uint32_t)k;
		o->reg.section_size = sizeof(struct jd_registry_section);
		o->reg.sections = (uint64_t)(uintptr_t)o->secs;
	}
	return 0;
}
static int register_common(const void *data, size_t size, uint32_t flags, int untrusted, uint64_t *id_out);

int jd_register_object(const void *data, size_t size, const struct jd_register_opts *opts, uint64_t *id_out)
{
	uint32_t flags = 0;

	if (!JD_OPTS_VALID(opts, sizeof(size_t)))
		return -EINVAL;
	flags = JD_OPTS_GET(opts, flags, 0);
	if (flags & ~(JD_REGISTER_BORROW | JD_REGISTER_NO_ANNOUNCE))
		return -EINVAL;
	return register_common(data, size, flags, 0, id_out);
}

int jd_register_owned(uint8_t *obj, size_t size, uint32_t flags, uint64_t *id_out)
{
	return register_common(obj, size, (flags & JD_REGISTER_NO_ANNOUNCE) | JD_REGISTER_BORROW | JD_REGISTER_OWNED_, 0,
			       id_out);
}

int jd_register_from_address(uint64_t addr, uint64_t size, uint32_t flags, uint64_t *id_out)
{
	return register_common((const void *)(uintptr_t)addr, size, flags & ~JD_REGISTER_BORROW, 1, id_out);
}

/* untrusted: `data` is an address someone else gave us (ORC's wrapper argument); it is copied with
 * jd_read_self so that a bad range is an error, not a crash, and never borrowed. */
static int register_common(const void *data, size_t size, uint32_t flags, int untrusted, uint64_t *id_out)
{
	if (!data || size == 0)
		return -EINVAL;
	if (size > JD_MAX_OBJECT_SIZE)
		return -E2BIG;

	/* Registration reads only section headers, so it validates only those (JD_ELF_SECTIONS_ONLY);
	 * debuggers and tools parse the rest with their own checks. Borrowed objects are parsed in place;
	 * all others (and borrowed ones that need a NOBITS fix-up, which writes) are copied first and the
	 * copy is parsed, so the common path parses once. */
	static const struct jd_elf_open_opts light = {.sz = sizeof(light), .flags = JD_ELF_SECTIONS_ONLY};
	char why[256];
	struct jd_elf *elf = NULL;
	int borrow = 0;
	if (flags & JD_REGISTER_BORROW) {
		if (!(elf = jd_elf_open(data, size, &light, why, sizeof(why))))
			return reject_object(why);
		borrow = !jd_nobits_needed(elf);
		if (!borrow) {
			jd_elf_close(elf);
			elf = NULL;
			if (flags & JD_REGISTER_OWNED_)
				return -EINVAL; /* a handed-over object must not need a fix-up (it is written in place) */
		}
	}
	size_t mapped = !borrow && omit_from_cores() ? jd_page_round(size) : 0;
	struct obj *o = malloc(sizeof(*o) + (borrow || mapped ? 0 : size));
	if (!o) {
		jd_elf_close(elf);
		return -ENOMEM;
	}
	memset(o, 0, sizeof(*o));
	if (borrow) {
		o->data = data;
		o->owned = (flags & JD_REGISTER_OWNED_) != 0;
	} else {
		uint8_t *copy = mapped ? jd_map_dontdump(mapped) : (uint8_t *)(o + 1);
		if (!copy) {
			free(o);
			return -ENOMEM;
		}
		o->mapped = mapped;
		o->data = copy;
		if (!untrusted || jd_range_is_jit_memory((uint64_t)(uintptr_t)data, size)) {
			memcpy(copy, data, size);
		} else if (jd_read_self((uint64_t)(uintptr_t)data, copy, size) != 0) {
			free_obj(o);
			jd_count_rejected();
			return -EFAULT;
		}
		if (!(elf = jd_elf_open(copy, size, &light, why, sizeof(why)))) {
			free_obj(o);
			return reject_object(why);
		}
	}
	uint64_t lo = 0, hi = 0;
	jd_elf_alloc_range(elf, &lo, &hi);
	if (!borrow && jd_nobits_needed(elf)) {
		unsigned unplaced = 0;
		unsigned placed = jd_nobits_fixup((uint8_t *)o->data, size, elf, &unplaced, &lo, &hi);
		atomic_fetch_add(&stats.nobits_placed, placed);
		atomic_fetch_add(&stats.nobits_unplaced, unplaced);
	}
	/* Version 2 of the entry: the build-id and the sections' addresses, so a core without the
	 * object's bytes still says which object was where (docs/fleet.md). */
	uint32_t id_len = 0;
	int kind = jd_elf_object_id(elf, o->data, o->reg.build_id, &id_len);
	if (kind > 0) {
		o->reg.build_id_size = (uint8_t)id_len;
		o->reg.build_id_kind = (uint8_t)kind;
	}
	if (record_sections(o, elf) < 0) {
		jd_elf_close(elf);
		free_obj(o);
		return -ENOMEM;
	}
	jd_elf_close(elf);
	/* One full parse and one line table at most, shared by the outputs, the event's first symbol and
	 * the watches. Before the object is visible: nobody can unregister (free) it while the outputs
	 * read it. */
	struct jd_parsed parsed;
	jd_parsed_init(&parsed, o->data, size);
	int mode = jd_mode();
	struct jd_registration ev = {
		.parsed = &parsed, .data = o->data, .size = size, .build_id_kind = o->reg.build_id_kind,
		.build_id = o->reg.build_id_size ? o->reg.build_id : NULL, .build_id_len = o->reg.build_id_size,
		.mode = mode,
	};
	jd_subscribers_object_ready(&ev);
	o->refs = 1;

	o->gdb.symfile_addr = (const char *)o->data;
	o->gdb.symfile_size = size;
	o->reg.symfile_addr = (uint64_t)(uintptr_t)o->data;
	o->reg.symfile_size = size;
	o->reg.lo = lo;
	o->reg.hi = hi;
	o->reg.flags = borrow && !o->owned ? JD_OBJECT_BORROWED : 0;
	o->reg.entry_size = sizeof(o->reg);
	const char *first = jd_subscribers_want_first_symbol() ? first_symbol_of(o, &parsed) : "";

	pthread_mutex_lock(&lock);
	o->reg.id = next_id;
	if (index_insert(o) < 0 || addr_insert(o) < 0) {
		struct obj **link;
		if (index_find(o->reg.id, &link))
			*link = o->hnext; /* ids it left in address buckets are dropped when met */
		next_id++;                /* that id is never used again */
		pthread_mutex_unlock(&lock);
		jd_parsed_fini(&parsed);
		free_obj(o);
		return -ENOMEM;
	}
	next_id++;
	jitdebug_registry.generation++; /* odd: editing */
	o->reg.prev = jitdebug_registry.last;
	if (jitdebug_registry.last)
		obj_of_entry(jitdebug_registry.last)->reg.next = (uint64_t)(uintptr_t)&o->reg;
	else
		jitdebug_registry.first = (uint64_t)(uintptr_t)&o->reg;
	jitdebug_registry.last = (uint64_t)(uintptr_t)&o->reg;
	jitdebug_registry.count++;
	jitdebug_registry.gdb_mode = (uint64_t)mode;
	if (mode == JD_GDB_EAGER && !(flags & JD_REGISTER_NO_ANNOUNCE)) {
		o->reg.flags |= JD_OBJECT_ANNOUNCED;
		jd_gdb_announce_locked(&o->gdb);
	}
	jitdebug_registry.generation++;
	uint64_t id = o->reg.id;
	struct jd_obj_view view = {id, size, lo, hi, o->reg.flags, o->data, first, NULL, NULL, 0};
	ev.view = &view;
	jd_subscribers_registered_locked(&ev);
	pthread_mutex_unlock(&lock);
	atomic_fetch_add(&stats.registered, 1);
	/* The object is visible: the link restarts if it must, other registrars are looked at, and the
	 * watches match (in lazy mode a match is announced before the code can run). */
	jd_subscribers_registered(&ev);
	jd_parsed_fini(&parsed);
	if (id_out)
		*id_out = id;
	return 0;
}

/* Function and object symbols by name hash (value: the name's offset in the object's bytes), sorted:
 * one parse per object, then lookups without one. */
struct symidx {
	size_t n;
	struct jd_hkey k[];
};


int jd_unregister_object(uint64_t id)
{
	struct obj **link;

	pthread_mutex_lock(&lock);
	struct obj *o = index_find(id, &link);
	if (!o) {
		pthread_mutex_unlock(&lock);
		return -ENOENT;
	}
	*link = o->hnext; /* its ids in the address index are dropped when met */
	if (o->reg.flags & JD_OBJECT_ANNOUNCED)
		jd_gdb_retract_locked(&o->gdb);
	jitdebug_registry.generation++;
	if (o->reg.prev)
		obj_of_entry(o->reg.prev)->reg.next = o->reg.next;
	else
		jitdebug_registry.first = o->reg.next;
	if (o->reg.next)
		obj_of_entry(o->reg.next)->reg.prev = o->reg.prev;
	else
		jitdebug_registry.last = o->reg.prev;
	jitdebug_registry.count--;
	jitdebug_registry.generation++;
	struct jd_obj_view gone = view_of(o);
	jd_subscribers_unregistered_locked(&gone);
	o->unlinked = 1;
	int last = --o->refs == 0;
	if (!last && (o->reg.flags & JD_OBJECT_BORROWED)) {
		/* The caller frees its bytes when we return: wait for the holders (bounded work). */
		while (o->refs)
			pthread_cond_wait(&released, &lock);
		last = 1;
	}
	pthread_mutex_unlock(&lock);
	if (last)
		free_obj(o);
	atomic_fetch_add(&stats.unregistered, 1);
	return 0;
}

int jd_registry_add_flags(uint64_t id, uint32_t flags)
{
	int err = 0;

	pthread_mutex_lock(&lock);
	struct obj *o = index_find(id, NULL);
	if (!o) {
		err = -ENOENT;
	} else if ((o->reg.flags & flags) != flags) {
		jitdebug_registry.generation++;
		if ((flags & JD_OBJECT_ANNOUNCED) && !(o->reg.flags & JD_OBJECT_ANNOUNCED))
			jd_gdb_announce_locked(&o->gdb);
		o->reg.flags |= flags;
		jitdebug_registry.generation++;
	}
	pthread_mutex_unlock(&lock);
	return err;
}

int jd_announce_object(uint64_t id)
{
	if (jd_mode() == JD_GDB_OFF)
		return -EPERM;
	return jd_registry_add_flags(id, JD_OBJECT_ANNOUNCED);
}

int jd_foreach_object(jd_object_fn fn, void *ctx)
{
	int ret = 0;
	pthread_mutex_lock(&lock);
	for (uint64_t e = jitdebug_registry.first; e && !ret;) {
		struct obj *o = obj_of_entry(e);
		e = o->reg.next;
		struct jd_object_info info = {
			.id = o->reg.id, .data = o->data, .size = o->reg.symfile_size, .lo = o->reg.lo, .hi = o->reg.hi,
			.flags = o->reg.flags,
		};
		ret = fn(&info, ctx);
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

size_t jd_object_count(void)
{
	pthread_mutex_lock(&lock);
	size_t n = jitdebug_registry.count;
	pthread_mutex_unlock(&lock);
	return n;
}

/* The object's first symbol (jd_elf_first_symbol), cached as an offset into its bytes. The caller
 * holds the object (registration before it is visible, or jd_registry_hold); the lock is not needed:
 * two threads computing it at once store the same value. */
static const char *first_symbol_of(struct obj *o, struct jd_parsed *p)
{
	uint32_t off = atomic_load(&o->first_sym);
	if (off == 0) {
		off = UINT32_MAX;
		const struct jd_elf *elf = jd_parsed_elf(p);
		struct jd_elf_symbol sym;
		if (elf && jd_elf_first_symbol(elf, &sym) == 0)
			off = (uint32_t)((const uint8_t *)sym.name - o->data);
		atomic_store(&o->first_sym, off);
	}
	return off == UINT32_MAX ? "" : (const char *)o->data + off;
}

static const char *first_symbol(struct obj *o)
{
	if (atomic_load(&o->first_sym))
		return first_symbol_of(o, NULL);
	struct jd_parsed p;
	jd_parsed_init(&p, o->data, o->reg.symfile_size);
	const char *name = first_symbol_of(o, &p);
	jd_parsed_fini(&p);
	return name;
}

static struct jd_obj_view view_of(struct obj *o)
{
	uint32_t off = atomic_load(&o->first_sym);
	return (struct jd_obj_view){o->reg.id, o->reg.symfile_size, o->reg.lo, o->reg.hi, o->reg.flags, o->data,
				    off == 0 ? NULL : off == UINT32_MAX ? "" : (const char *)o->data + off, o,
				    o->reg.build_id_size ? o->reg.build_id : NULL, o->reg.build_id_size};
}

size_t jd_registry_hold(uint64_t after_id, struct jd_obj_view *views, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&lock);
	struct obj *from = after_id ? index_find(after_id, NULL) : NULL;
	for (uint64_t e = from ? from->reg.next : jitdebug_registry.first; e && n < max;) {
		struct obj *o = obj_of_entry(e);
		e = o->reg.next;
		if (o->reg.id <= after_id)
			continue;
		o->refs++;
		views[n++] = view_of(o);
	}
	pthread_mutex_unlock(&lock);
	return n;
}

void jd_registry_release(struct jd_obj_view *views, size_t n)
{
	struct obj *dead[64];
	size_t ndead = 0, i = 0;
	while (i < n) {
		int wake_unregister = 0;
		pthread_mutex_lock(&lock);
		for (; i < n && ndead < sizeof(dead) / sizeof(dead[0]); i++) {
			struct obj *o = views[i].ref;
			views[i].ref = NULL;
			if (--o->refs == 0 && o->unlinked) {
				if (o->reg.flags & JD_OBJECT_BORROWED)
					wake_unregister = 1; /* jd_unregister_object frees it */
				else
					dead[ndead++] = o;
			}
		}
		if (wake_unregister)
			pthread_cond_broadcast(&released);
		pthread_mutex_unlock(&lock);
		for (size_t k = 0; k < ndead; k++)
			free_obj(dead[k]);
		ndead = 0;
	}
}

static struct symidx *symbol_index(struct obj *o)
{
	struct symidx *idx = atomic_load(&o->symidx);
	if (idx)
		return idx;
	struct jd_elf *elf = jd_elf_open(o->data, o->reg.symfile_size, NULL, NULL, 0);
	size_t nsyms = elf ? jd_elf_symbol_count(elf) : 0;
	idx = malloc(sizeof(*idx) + nsyms * sizeof(idx->k[0]));
	if (!idx) {
		jd_elf_close(elf);
		return NULL;
	}
	idx->n = 0;
	for (size_t i = 0; i < nsyms; i++) {
		struct jd_elf_symbol sym;
		if (jd_elf_symbol(elf, i, &sym) == 0 && sym.defined && *sym.name &&
		    (sym.type == STT_FUNC || sym.type == STT_OBJECT))
			idx->k[idx->n++] = (struct jd_hkey){jd_hash(sym.name, strlen(sym.name)),
							    (uint32_t)((const uint8_t *)sym.name - o->data)};
	}
	jd_elf_close(elf);
	jd_hkeys_sort(idx->k, idx->n);
	struct symidx *expected = NULL;
	if (!atomic_compare_exchange_strong(&o->symidx, &expected, idx)) {
		free(idx); /* another holder built it first */
		idx = expected;
	}
	return idx;
}

int jd_registry_defines(struct jd_obj_view *v, const char *name, size_t len)
{
	struct obj *o = v->ref;
	struct symidx *idx = symbol_index(o);
	if (!idx)
		return 0;
	uint64_t h = jd_hash(name, len);
	for (size_t i = jd_hkeys_first(idx->k, idx->n, h); i < idx->n && idx->k[i].hash == h; i++) {
		const char *s = (const char *)o->data + idx->k[i].value;
		if (strnlen(s, len + 1) == len && memcmp(s, name, len) == 0) /* s ends within its string table */
			return 1;
	}
	return 0;
}

const char *jd_registry_first_symbol(struct jd_obj_view *v)
{
	if (!v->first_sym)
		v->first_sym = first_symbol(v->ref);
	return v->first_sym;
}

int jd_registry_lookup_addr(uint64_t addr, struct jd_obj_view *out)
{
	pthread_mutex_lock(&lock);
	struct obj *o = addr_find(addr);
	if (o) {
		*out = view_of(o);
		out->data = NULL; /* not held: the ids and range only */
		out->ref = NULL;
	}
	pthread_mutex_unlock(&lock);
	return o ? 0 : -ENOENT;
}

int jd_registry_read(uint64_t id, uint64_t off, uint32_t len, uint8_t *dst, uint32_t *got, uint64_t *size)
{
	/* The object is held, and copied outside the lock: a registration never waits for a copy. */
	struct jd_obj_view v;
	pthread_mutex_lock(&lock);
	struct obj *o = index_find(id, NULL);
	if (o) {
		o->refs++;
		v = view_of(o);
	}
	pthread_mutex_unlock(&lock);
	if (!o)
		return -ENOENT;
	int err = 0;
	if (off > v.size || (off == v.size && v.size > 0 && len > 0)) {
		err = -ERANGE;
	} else {
		uint64_t n = v.size - off;
		*got = n < len ? (uint32_t)n : len;
		*size = v.size;
		memcpy(dst, v.data + off, *got);
	}
	jd_registry_release(&v, 1);
	return err;
}

uint64_t jd_registry_generation(void)
{
	pthread_mutex_lock(&lock);
	uint64_t g = jitdebug_registry.generation;
	pthread_mutex_unlock(&lock);
	return g;
}
