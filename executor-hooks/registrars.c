/* registrars.c — the other GDB JIT registrars in this process: libLLVM's GDB listener (MCJIT,
 * RuntimeDyld, PostgreSQL's JIT), hand-written JITs with a __jit_debug_descriptor of their own. The
 * hooks never join their lists (gdbjit.c binds the hooks' own names locally); they find them, say once
 * that stock LLDB follows only one descriptor per process, and let the link list and fetch their
 * objects (link_requests.c).
 *
 * The modules are looked at again only when the dynamic loader's module set has changed (its add and
 * remove counters), never under the registry lock: at start, at link requests, and after
 * registrations at most once a second (asking the loader costs about 4,000 instructions, two thirds
 * of a whole registration with the outputs off). Only modules added since the last look are opened
 * and their symbol tables scanned (jd_find_descriptors); a removal makes the next look a whole one.
 */
#include "registrars.h"
#include "gdbjit.h"
#include "subscribers.h"

#include "jitdebug-hooks.h"
#include "runtime.h"
#include "jitdebug.h" /* jd_find_descriptors */

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MODULES 512

static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long seen_adds = ~0ull, seen_subs = ~0ull;
static uint64_t others[JD_MAX_REGISTRARS];
static size_t n_others;
/* The modules already scanned (load addresses): after a dlopen only the new ones are opened. A module
 * removed (the loader's remove counter moved) starts a whole scan again. */
static uint64_t scanned[MAX_MODULES];
static size_t n_scanned;

struct scan {
	struct jd_mapping *maps;
	size_t n, cap;
	char *names[MAX_MODULES];
	uint64_t bases[MAX_MODULES];
	size_t n_names, visited;
	unsigned long long adds, subs;
	int incremental; /* only modules added since the last scan */
	int unchanged;
	int failed;
};

static int was_scanned(uint64_t base)
{
	for (size_t i = 0; i < n_scanned; i++)
		if (scanned[i] == base)
			return 1;
	return 0;
}

static int on_module(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct scan *s = ctx;
	/* The loader's counters, the same in every callback: compared at the first. */
	if (s->visited++ == 0 && size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
		if (info->dlpi_adds == seen_adds && info->dlpi_subs == seen_subs) {
			s->unchanged = 1;
			return 1;
		}
		s->adds = info->dlpi_adds;
		s->subs = info->dlpi_subs;
		s->incremental = info->dlpi_subs == seen_subs;
	}
	if (s->incremental && was_scanned((uint64_t)info->dlpi_addr))
		return 0;
	char exe[4096];
	const char *path = info->dlpi_name;
	if (!path || !path[0]) { /* the program: its file, by name where the kernel knows it */
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		path = len > 0 && (exe[len] = '\0', exe[0] == '/') ? exe : "/proc/self/exe";
	}
	if (path[0] != '/' || s->n_names == MAX_MODULES)
		return 0;
	char *name = strdup(path);
	if (!name) {
		s->failed = 1;
		return 1;
	}
	s->bases[s->n_names] = (uint64_t)info->dlpi_addr;
	s->names[s->n_names++] = name;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || ph->p_filesz == 0)
			continue;
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			struct jd_mapping *m = realloc(s->maps, cap * sizeof(*m));
			if (!m) {
				s->failed = 1;
				return 1;
			}
			s->maps = m;
			s->cap = cap;
		}
		uint64_t start = (uint64_t)info->dlpi_addr + ph->p_vaddr;
		s->maps[s->n++] = (struct jd_mapping){start, start + ph->p_filesz, ph->p_offset, name};
	}
	return 0;
}

static int on_descriptor(const struct jd_descriptor *d, void *ctx)
{
	if (d->hooks || d->addr == jd_gdb_descriptor_address())
		return 0;
	for (size_t i = 0; i < n_others; i++)
		if (others[i] == d->addr)
			return 0;
	if (n_others == JD_MAX_REGISTRARS)
		return 1;
	others[n_others++] = d->addr;
	jd_warn_once("another GDB JIT registrar in this process: %s has its own __jit_debug_descriptor. Stock LLDB "
		     "follows one per process (the first module defining __jit_debug_register_code), and GDB 13 "
		     "follows the program's own for every module when the program defines one: either may miss "
		     "this one's objects or the hooks'. The jitdebug plugins read all (docs/registrars.md)",
		     d->path);
	return 0;
}

/* Looks at the modules again if the loader's set changed, warning once per new descriptor (never
 * under the registry lock). At load time, and from registrations at most once a second. */
static void registrars_check(void)
{
	if (pthread_mutex_trylock(&scan_lock) != 0)
		return; /* another thread is looking */
	struct scan s = {0};
	dl_iterate_phdr(on_module, &s);
	if (!s.unchanged && !s.failed) {
		if (!s.incremental)
			n_others = n_scanned = 0;
		jd_find_descriptors(s.maps, s.n, on_descriptor, NULL);
		for (size_t i = 0; i < s.n_names && n_scanned < MAX_MODULES; i++)
			scanned[n_scanned++] = s.bases[i];
		seen_adds = s.adds;
		seen_subs = s.subs;
	}
	for (size_t i = 0; i < s.n_names; i++)
		free(s.names[i]);
	free(s.maps);
	pthread_mutex_unlock(&scan_lock);
}

static void registrars_poll(const struct jd_registration *r)
{
	(void)r;
	static _Atomic uint64_t next_ns;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, next = atomic_load(&next_ns);
	if (now < next || !atomic_compare_exchange_strong(&next_ns, &next, now + 1000000000u))
		return;
	registrars_check();
}

const struct jd_subscriber jd_registrars_subscriber = {
	.name = "registrars",
	.init = registrars_check,
	.registered = registrars_poll,
};

static int read_self(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return jd_read_self(addr, buf, len);
}

/* Walks every other registrar's list through the checked self-reader. Another registrar edits its
 * list without the hooks' lock: a torn list ends the walk or skips an entry, and the walk is capped. */
static void walk_others(int (*fn)(const struct jd_registry_object *o, void *ctx), void *ctx)
{
	registrars_check();
	pthread_mutex_lock(&scan_lock);
	uint64_t addrs[JD_MAX_REGISTRARS];
	size_t n = n_others;
	memcpy(addrs, others, n * sizeof(*addrs));
	pthread_mutex_unlock(&scan_lock);
	struct jd_walk w = {.sz = sizeof(w), .read = read_self, .ctx = ctx, .object = fn,
			    .max_entries = JD_MAX_FOREIGN_OBJECTS};
	for (size_t i = 0; i < n; i++)
		jd_walk_gdb_jit_list(addrs[i], sizeof(void *), 0, &w, NULL);
}

struct collect {
	struct jd_registry_object *v;
	size_t n, cap;
	int failed;
};

static int collect_one(const struct jd_registry_object *o, void *ctx)
{
	struct collect *c = ctx;
	if (c->failed)
		return 1;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct jd_registry_object *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->failed = 1;
			return 1;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *o;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct jd_registry_object *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

ssize_t jd_registrars_objects(struct jd_registry_object **out)
{
	struct collect c = {0};
	walk_others(collect_one, &c);
	if (c.failed) {
		free(c.v);
		return -ENOMEM;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), by_id);
	*out = c.v;
	return (ssize_t)c.n;
}

struct find {
	uint64_t id;
	struct jd_registry_object o;
	int found;
};

static int find_one(const struct jd_registry_object *o, void *ctx)
{
	struct find *f = ctx;
	if (o->id != f->id)
		return 0;
	f->o = *o;
	f->found = 1;
	return 1;
}

int jd_registrars_read(uint64_t id, uint64_t off, uint32_t len, uint8_t *dst, uint32_t *got, uint64_t *size)
{
	/* Only an object a list holds now is read: never an address a client names. */
	struct find f = {.id = id};
	walk_others(find_one, &f);
	if (!f.found)
		return -ENOENT;
	if (off > f.o.size)
		return -ERANGE;
	uint64_t left = f.o.size - off;
	*got = left < len ? (uint32_t)left : len;
	*size = f.o.size;
	return *got && jd_read_self(f.o.symfile + off, dst, *got) != 0 ? -EFAULT : 0;
}
