/* session.c — what the GDB and LLDB plugins do, written once: the `jit` commands, the walks over a
 * stopped process (the hooks' registry and every other registrar's GDB JIT list), the choice between
 * the process's memory and the debug link, loading and unloading objects, the watches of `jit break`,
 * and what a stop does. The plugins register the command table and adapt struct jd_debugger's
 * callbacks to their debugger; nothing here knows which debugger it serves but its name.
 *
 * Ownership: a session owns its object lists, caches and cache files' names; the debugger owns what
 * it loaded (the session asks it to unload). One recursive lock per session serializes its entry
 * points (LLDB runs breakpoint callbacks on its own thread; a debugger's load can re-enter through an
 * event). Every size from the target is capped by the walkers (walk.c) and by JD_MAX_OBJECT_SIZE. */
#include "hashkeys.h"
#include "jitdebug-types.h"
#include "jitdebug.h"
#include "listing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	MAX_THREAD_PCS = 1024 * 256, /* PCs examined per stop: 1,024 threads of 256 frames */
	ROUNDS = 16,                 /* a loaded object can reveal further JIT frames: rounds per stop */
	PROGRESS = 1000,             /* a command loading this many objects says how far it got */
};

/* A growing list of copied strings. */
struct strings {
	char **v;
	size_t n;
};

struct objects {
	struct jd_registry_object *v;
	uint32_t *registrar; /* per object: index into the session's registrar names (foreign ones) */
	size_t n, cap;
	struct strings skipped; /* what the walks skipped, one line each */
};

struct loaded {
	uint64_t id;
	char *path;
};

struct named {
	uint64_t id;
	char *text;
};

/* Positions of ids in an array (position + 1 in open-addressed slots, 0: free), so that a listing or a
 * load of n objects asks about each in O(1), not O(n). Without slots (out of memory) the array is
 * searched. */
struct id_index {
	uint32_t *slots;
	size_t cap;
};

/* id -> text (first symbols, build-ids of foreign objects): objects do not change while registered. */
struct named_table {
	struct named *v;
	size_t n, cap;
	struct id_index ix;
};

struct jd_session {
	const struct jd_debugger *dbg;
	pthread_mutex_t lock;
	/* Kept across processes. */
	char *link, *token;
	struct jd_watch *watches; /* patterns malloc'ed */
	size_t nwatches;
	double seconds;
	uint64_t loads;
	/* The process's: started afresh when it changes. */
	uint64_t process;
	int have_process;
	int watches_written;
	uint64_t registry; /* jitdebug_registry's address (0: not found yet) */
	struct objects cache; /* the last registry walk, reused while the generation stays the same and even */
	int cache_valid;
	struct jd_registry_header header;
	struct loaded *loaded;
	size_t nloaded, caploaded;
	struct id_index loaded_ix;
	struct named_table first_symbols, build_ids;
	struct strings registrars; /* module names of the foreign objects' registrars */
	/* One entry point's. */
	void *ctx;
	struct jd_session_target t;
	struct jd_client *client;
	char err[600];
};

/* ---- the commands' table ---------------------------------------------------------------------- */

typedef int (*command_fn)(struct jd_session *s, int argc, const char *const *argv);
static int cmd_connect(struct jd_session *s, int argc, const char *const *argv);
static int cmd_list(struct jd_session *s, int argc, const char *const *argv);
static int cmd_info(struct jd_session *s, int argc, const char *const *argv);
static int cmd_load(struct jd_session *s, int argc, const char *const *argv);
static int cmd_unload(struct jd_session *s, int argc, const char *const *argv);
static int cmd_break(struct jd_session *s, int argc, const char *const *argv);
static int cmd_source_map(struct jd_session *s, int argc, const char *const *argv);
static int cmd_status(struct jd_session *s, int argc, const char *const *argv);
static int cmd_load_core(struct jd_session *s, int argc, const char *const *argv);

static const struct jd_session_command commands[] = {
	{"connect", "jit connect [HOST:PORT] [--token T]",
	 "Use the process's debug link: jit connect [HOST:PORT] [--token T].\n"
	 "Without an address, the address the process published (jitdebug_link_address) is used. The link\n"
	 "answers while the process runs, so it is used in non-stop mode or with no process; while the\n"
	 "process is stopped, objects are read from its memory."},
	{"list", "jit list",
	 "List the JIT objects of every registrar: id, range, size, build-id, state, registrar, first symbol."},
	{"info", "jit info ID|ADDR",
	 "Show one JIT object: its registrar, range, build-id, state, cache file, and its sections' addresses."},
	{"load", "jit load ID|all|ADDR", "Load JIT objects at their addresses: jit load ID|all|ADDR."},
	{"unload", "jit unload ID|all", "Unload objects the plugin loaded: jit unload ID|all."},
	{"break", "jit break FUNCTION | FILE:LINE",
	 "Breakpoint on JIT code that may not exist yet, resolved before it runs: jit break FUNCTION | FILE:LINE.\n"
	 "The process is told to watch for it (the matching object is handed to the debugger before its code\n"
	 "runs), and a pending breakpoint is set."},
	{"source-map", "jit source-map FROM TO | --auto DIR...",
	 "Where JIT sources live now: jit source-map FROM TO, or jit source-map --auto DIR...\n"
	 "--auto reads the source files of the loaded JIT objects and, for each one not found, looks under the\n"
	 "DIRs for the file with the longest matching path suffix, then maps the prefixes."},
	{"status", "jit status", "Link, hooks mode, objects known and loaded, registrars, watches, time spent."},
	{"load-core", "jit load-core [--all]",
	 "Symbolize the JIT frames of a core file: jit load-core [--all].\n"
	 "Reads the hooks' registry and every GDB JIT list from the core's memory and loads the objects that\n"
	 "cover the threads' frames (every object with --all). Every read is checked and walks are capped."},
};
static const command_fn command_fns[] = {cmd_connect, cmd_list,       cmd_info,   cmd_load,     cmd_unload,
					 cmd_break,   cmd_source_map, cmd_status, cmd_load_core};
_Static_assert(sizeof(commands) / sizeof(commands[0]) == sizeof(command_fns) / sizeof(command_fns[0]),
	       "one function per command");

const struct jd_session_command *jd_session_commands(size_t *n)
{
	*n = sizeof(commands) / sizeof(commands[0]);
	return commands;
}

/* ---- small helpers ---------------------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A failure: its message in s->err, and the negative errno to return (-EINVAL when rc is not one). */
__attribute__((format(printf, 3, 4))) static int fail(struct jd_session *s, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return rc < 0 ? rc : -EINVAL;
}

__attribute__((format(printf, 2, 3))) static void say(struct jd_session *s, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->dbg->print(s->ctx, buf);
}

static char *dup_or_null(const char *p)
{
	return p ? strdup(p) : NULL;
}

static const char *id_text(uint64_t id, char buf[24])
{
	jd_id_format(id, buf, 24);
	return buf;
}

static int is_foreign(const struct jd_registry_object *o)
{
	return (o->flags & JD_OBJECT_FOREIGN) != 0;
}

static void strings_add(struct strings *l, const char *text)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return;
	l->v = v;
	if ((v[l->n] = strdup(text)))
		l->n++;
}

static void strings_free(struct strings *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct strings){0};
}

static void objects_free(struct objects *o)
{
	strings_free(&o->skipped);
	free(o->v);
	free(o->registrar);
	*o = (struct objects){0};
}

static int objects_add(struct objects *o, const struct jd_registry_object *r, uint32_t registrar)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct jd_registry_object *v = realloc(o->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		o->v = v;
		uint32_t *g = realloc(o->registrar, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		o->registrar = g;
		o->cap = cap;
	}
	o->v[o->n] = *r;
	o->registrar[o->n++] = registrar;
	return 0;
}

static int objects_append(struct objects *to, const struct objects *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (objects_add(to, &from->v[i], from->registrar[i]) != 0)
			return -ENOMEM;
	for (size_t i = 0; i < from->skipped.n; i++)
		strings_add(&to->skipped, from->skipped.v[i]);
	return 0;
}

static const struct jd_registry_object *covering(const struct objects *o, uint64_t pc)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].lo <= pc && pc < o->v[i].hi)
			return &o->v[i];
	return NULL;
}

typedef uint64_t (*id_at_fn)(const void *arr, size_t i);

static void index_free(struct id_index *x)
{
	free(x->slots);
	*x = (struct id_index){0};
}

/* Indexes the n entries of arr anew (after the array shrank, or to grow the slots). */
static void index_rebuild(struct id_index *x, const void *arr, size_t n, id_at_fn id_at)
{
	size_t cap = 64;
	while (cap < 2 * (n + 1))
		cap *= 2;
	uint32_t *slots = n < UINT32_MAX ? calloc(cap, sizeof(*slots)) : NULL;
	index_free(x);
	if (!slots)
		return; /* searched */
	for (size_t i = 0; i < n; i++) {
		size_t k = jd_u64set_slot(id_at(arr, i), cap);
		while (slots[k])
			k = (k + 1) & (cap - 1);
		slots[k] = (uint32_t)i + 1;
	}
	x->slots = slots;
	x->cap = cap;
}

/* Entry n - 1 of arr was just appended. */
static void index_added(struct id_index *x, const void *arr, size_t n, id_at_fn id_at)
{
	if (!x->slots || 2 * n > x->cap) {
		index_rebuild(x, arr, n, id_at);
		return;
	}
	size_t k = jd_u64set_slot(id_at(arr, n - 1), x->cap);
	while (x->slots[k])
		k = (k + 1) & (x->cap - 1);
	x->slots[k] = (uint32_t)n;
}

/* The position of id in arr (n entries), or SIZE_MAX. */
static size_t index_find(const struct id_index *x, const void *arr, size_t n, id_at_fn id_at, uint64_t id)
{
	if (!x->slots) {
		for (size_t i = 0; i < n; i++)
			if (id_at(arr, i) == id)
				return i;
		return SIZE_MAX;
	}
	for (size_t k = jd_u64set_slot(id, x->cap); x->slots[k]; k = (k + 1) & (x->cap - 1))
		if (id_at(arr, x->slots[k] - 1) == id)
			return x->slots[k] - 1;
	return SIZE_MAX;
}

static uint64_t named_id(const void *arr, size_t i)
{
	return ((const struct named *)arr)[i].id;
}

static const char *named_get(const struct named_table *t, uint64_t id)
{
	size_t i = index_find(&t->ix, t->v, t->n, named_id, id);
	return i == SIZE_MAX ? NULL : t->v[i].text;
}

static const char *named_put(struct named_table *t, uint64_t id, const char *text)
{
	if (t->n == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 64;
		struct named *g = realloc(t->v, c * sizeof(*g));
		if (!g)
			return text;
		t->v = g;
		t->cap = c;
	}
	char *copy = strdup(text);
	if (!copy)
		return text;
	t->v[t->n++] = (struct named){id, copy};
	index_added(&t->ix, t->v, t->n, named_id);
	return copy;
}

static void named_free(struct named_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	index_free(&t->ix);
	*t = (struct named_table){0};
}

static uint64_t loaded_id(const void *arr, size_t i)
{
	return ((const struct loaded *)arr)[i].id;
}

static struct loaded *loaded_find(struct jd_session *s, uint64_t id)
{
	size_t i = index_find(&s->loaded_ix, s->loaded, s->nloaded, loaded_id, id);
	return i == SIZE_MAX ? NULL : &s->loaded[i];
}

/* ---- the cache directory: one per debugger process and name ------------------------------------ */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char cache_path[4096];
static int cache_temporary;

/* At exit: the directory in the system temp directory, with the object files the plugin wrote there
 * (a flat directory of its own). One under JITDEBUG_CACHE stays. */
static void remove_cache_dir(void)
{
	if (!cache_path[0] || !cache_temporary)
		return;
	DIR *dir = opendir(cache_path);
	if (dir) {
		struct dirent *e;
		while ((e = readdir(dir)))
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(dir), e->d_name, 0);
		closedir(dir);
	}
	rmdir(cache_path);
}

static const char *cache_dir(struct jd_session *s)
{
	pthread_mutex_lock(&cache_lock);
	if (!cache_path[0]) {
		const char *base = getenv("JITDEBUG_CACHE");
		char tmpl[4096];
		if (base && *base) {
			mkdir(base, 0700);
			snprintf(tmpl, sizeof(tmpl), "%s/%s-XXXXXX", base, s->dbg->name);
		} else {
			const char *tmp = getenv("TMPDIR");
			snprintf(tmpl, sizeof(tmpl), "%s/jitdebug-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", s->dbg->name);
		}
		if (mkdtemp(tmpl)) {
			snprintf(cache_path, sizeof(cache_path), "%s", tmpl);
			cache_temporary = !(base && *base);
			if (cache_temporary)
				atexit(remove_cache_dir); /* the temp directory's copy lives as long as the debugger */
		} else {
			snprintf(s->err, sizeof(s->err), "cannot create a cache directory %s: %s", tmpl, strerror(errno));
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return cache_path[0] ? cache_path : NULL;
}

const char *jd_session_cache_dir(const struct jd_session *s)
{
	(void)s;
	return cache_path;
}

/* ---- the session and its process --------------------------------------------------------------- */

struct jd_session *jd_session_new(const struct jd_debugger *dbg)
{
	if (!dbg || dbg->sz < offsetof(struct jd_debugger, watches_written) || !dbg->name || !dbg->target ||
	    !dbg->read || !dbg->write || !dbg->symbol || !dbg->evaluate || !dbg->descriptors || !dbg->has ||
	    !dbg->load || !dbg->unload || !dbg->frames || !dbg->breakpoint || !dbg->source_files ||
	    !dbg->source_map || !dbg->print) {
		errno = EINVAL;
		return NULL;
	}
	struct jd_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->dbg = dbg;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &a);
	pthread_mutexattr_destroy(&a);
	return s;
}

static void forget_process(struct jd_session *s)
{
	objects_free(&s->cache);
	s->cache_valid = 0;
	s->registry = 0;
	s->watches_written = 0;
	named_free(&s->first_symbols);
	named_free(&s->build_ids);
	strings_free(&s->registrars);
}

static void unload_all(struct jd_session *s)
{
	for (size_t i = 0; i < s->nloaded; i++) {
		s->dbg->unload(s->ctx, s->loaded[i].id, s->loaded[i].path);
		unlink(s->loaded[i].path);
		free(s->loaded[i].path);
	}
	s->nloaded = 0;
	index_free(&s->loaded_ix);
}

void jd_session_free(struct jd_session *s)
{
	if (!s)
		return;
	forget_process(s);
	for (size_t i = 0; i < s->nloaded; i++)
		free(s->loaded[i].path);
	free(s->loaded);
	index_free(&s->loaded_ix);
	for (size_t i = 0; i < s->nwatches; i++)
		free((char *)s->watches[i].pattern);
	free(s->watches);
	free(s->link);
	free(s->token);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int add_watch(struct jd_session *s, int kind, const char *pattern)
{
	struct jd_watch *w = realloc(s->watches, (s->nwatches + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	s->watches = w;
	char *p = strdup(pattern);
	if (!p)
		return -ENOMEM;
	w[s->nwatches++] = (struct jd_watch){kind, p};
	s->watches_written = 0;
	return 0;
}

int jd_session_inherit(struct jd_session *s, const struct jd_session *from)
{
	if (!s || !from)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	free(s->link);
	free(s->token);
	s->link = dup_or_null(from->link);
	s->token = dup_or_null(from->token);
	int rc = 0;
	for (size_t i = 0; i < from->nwatches && rc == 0; i++)
		rc = add_watch(s, from->watches[i].kind, from->watches[i].pattern);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The start of every entry point: the lock, the debugger's context, and what the target is now. A
 * new process (or none) drops what the old one had: its objects leave the debugger. */
static void enter(struct jd_session *s, void *ctx)
{
	pthread_mutex_lock(&s->lock);
	s->ctx = ctx;
	s->err[0] = '\0';
	s->t = (struct jd_session_target){0};
	s->dbg->target(ctx, &s->t);
	if (!s->t.ptr_size)
		s->t.ptr_size = 8;
	if (!s->have_process || s->process != s->t.process) {
		unload_all(s);
		forget_process(s);
		s->process = s->t.process;
		s->have_process = 1;
	}
}

static int leave(struct jd_session *s, int rc, char *err, size_t errlen)
{
	if (s->client) {
		jd_client_close(s->client);
		s->client = NULL;
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", rc < 0 ? s->err : "");
	s->ctx = NULL;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void jd_session_process_gone(struct jd_session *s, void *ctx)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->ctx = ctx;
	unload_all(s);
	forget_process(s);
	s->have_process = 0;
	s->ctx = NULL;
	pthread_mutex_unlock(&s->lock);
}

/* The link answers only while the process runs, or when there is no process. */
static int link_usable(const struct jd_session *s)
{
	return s->link && (s->t.kind == JD_TARGET_NONE || !s->t.stopped);
}

/* One connection per entry point, opened on first use. A live process's link must be served by that
 * process (a forked child may hold its parent's address). */
static struct jd_client *client(struct jd_session *s)
{
	if (s->client)
		return s->client;
	char why[256] = "";
	struct jd_client_opts o = {.sz = sizeof(o), .token = s->token, .timeout_ms = 15000,
				   .expect_pid = s->t.kind == JD_TARGET_LIVE ? s->t.pid : 0};
	s->client = jd_client_connect(s->link, &o, why, sizeof(why));
	if (!s->client)
		fail(s, -ECONNREFUSED, "%s", why); /* "cannot connect to HOST:PORT: ..." */
	return s->client;
}

/* ---- objects from memory ------------------------------------------------------------------------ */

struct walk_ctx {
	struct jd_session *s;
	struct objects *out;
	uint32_t registrar;
};

static int walk_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct jd_session *s = ((struct walk_ctx *)ctx)->s;
	return s->dbg->read(s->ctx, addr, buf, len);
}

static int walk_collect(const struct jd_registry_object *o, void *ctx)
{
	struct walk_ctx *w = ctx;
	return objects_add(w->out, o, w->registrar) ? 1 : 0;
}

static void walk_skipped(const char *what, void *ctx)
{
	strings_add(&((struct walk_ctx *)ctx)->out->skipped, what);
}

static int require_target(struct jd_session *s)
{
	if (s->t.kind == JD_TARGET_NONE)
		return fail(s, -ENOENT, "no process and no core file: nothing to read JIT objects from");
	return 0;
}

static int has_registry(struct jd_session *s)
{
	if (!s->registry && s->dbg->symbol(s->ctx, "jitdebug_registry", &s->registry) != 0)
		s->registry = 0;
	return s->registry != 0;
}

static const char *mode_name(uint32_t m, char buf[32])
{
	if (m == JD_GDB_EAGER)
		return "eager";
	if (m == JD_GDB_LAZY)
		return "lazy";
	if (m == JD_GDB_OFF)
		return "off";
	snprintf(buf, 32, "unknown (%u)", m);
	return buf;
}

/* The hooks' registry, read from the stopped process's (or core's) memory. */
static int walk_registry(struct jd_session *s, const struct objects **out)
{
	int rc = require_target(s);
	if (rc)
		return rc;
	if (!has_registry(s))
		return fail(s, -ENOENT, "no jitdebug_registry in this process: is it running with the jitdebug hooks "
				   "(jitdebug-executor, LD_PRELOAD=libjitdebug-hooks.so, or linked in)?");
	uint8_t gen[8];
	if (s->cache_valid &&
	    s->dbg->read(s->ctx, s->registry + offsetof(struct jd_registry, generation), gen, sizeof(gen)) == 0) {
		uint64_t g = 0;
		for (int i = 7; i >= 0; i--) /* the registry is little-endian on every target the hooks run on */
			g = g << 8 | gen[i];
		if (g == s->header.generation && g % 2 == 0) {
			*out = &s->cache;
			return 0;
		}
	}
	objects_free(&s->cache);
	s->cache_valid = 0;
	struct walk_ctx wc = {s, &s->cache, 0};
	struct jd_walk w = {.sz = sizeof(w), .read = walk_read, .ctx = &wc, .object = walk_collect,
			    .skipped = walk_skipped};
	char why[256];
	rc = jd_walk_registry(s->registry, &w, &s->header, why, sizeof(why));
	if (rc)
		return fail(s, rc, "%s", why);
	s->cache_valid = 1;
	*out = &s->cache;
	return 0;
}

struct descriptor_list {
	struct jd_descriptor *v;
	size_t n;
};

static int descriptor_collect(const struct jd_descriptor *d, void *ctx)
{
	struct descriptor_list *l = ctx;
	struct jd_descriptor *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return 1;
	l->v = v;
	v[l->n] = *d;
	v[l->n].path = strdup(d->path ? d->path : "?");
	if (!v[l->n].path)
		return 1;
	l->n++;
	return 0;
}

static void descriptors_free(struct descriptor_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((char *)l->v[i].path);
	free(l->v);
	*l = (struct descriptor_list){0};
}

/* Every module's descriptor (all: the hooks' and those not loaded yet too). */
static void descriptors(struct jd_session *s, struct descriptor_list *l, int all)
{
	struct descriptor_list every = {0};
	s->dbg->descriptors(s->ctx, descriptor_collect, &every);
	for (size_t i = 0; i < every.n; i++) {
		if (all || (!every.v[i].hooks && every.v[i].addr)) {
			descriptor_collect(&every.v[i], l);
		}
	}
	descriptors_free(&every);
}

static uint32_t registrar_index(struct jd_session *s, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	for (size_t i = 0; i < s->registrars.n; i++)
		if (strcmp(s->registrars.v[i], base) == 0)
			return (uint32_t)i;
	size_t n = s->registrars.n;
	strings_add(&s->registrars, base);
	return s->registrars.n > n ? (uint32_t)n : UINT32_MAX;
}

static const char *registrar_name(const struct jd_session *s, uint32_t i)
{
	return i < s->registrars.n ? s->registrars.v[i] : "?";
}

/* Walks the GDB JIT list at addr into out (its objects when collecting, and what it skipped). */
static void walk_list(struct jd_session *s, uint64_t addr, struct objects *out, uint32_t registrar, int collecting)
{
	struct walk_ctx wc = {s, out, registrar};
	struct jd_walk w = {.sz = sizeof(w), .read = walk_read, .ctx = &wc,
			    .object = collecting ? walk_collect : NULL, .skipped = walk_skipped};
	jd_walk_gdb_jit_list(addr, s->t.ptr_size, s->t.big_endian, &w, NULL);
}

/* The objects of the other registrars' lists, each with its registrar. */
static void walk_foreign(struct jd_session *s, const struct descriptor_list *ds, struct objects *out)
{
	for (size_t i = 0; i < ds->n; i++)
		walk_list(s, ds->v[i].addr, out, registrar_index(s, ds->v[i].path), 1);
}

/* The registry's objects (when the hooks are there) and every other registrar's, from memory. */
static int walk_all(struct jd_session *s, struct objects *out)
{
	int rc = require_target(s);
	if (rc)
		return rc;
	if (has_registry(s)) {
		const struct objects *reg;
		if ((rc = walk_registry(s, &reg)) != 0 || (rc = objects_append(out, reg)) != 0)
			return rc ? rc : fail(s, -ENOMEM, "out of memory");
	}
	struct descriptor_list ds = {0};
	descriptors(s, &ds, 0);
	walk_foreign(s, &ds, out);
	size_t n = ds.n;
	descriptors_free(&ds);
	if (!has_registry(s) && n == 0)
		return fail(s, -ENOENT, "no jitdebug_registry and no GDB JIT descriptor in this process: is a JIT running?");
	return 0;
}

/* ---- objects over the link --------------------------------------------------------------------- */

struct link_ctx {
	struct jd_session *s;
	struct objects *out;
};

static int link_collect(const struct jd_link_object *o, void *ctx)
{
	struct link_ctx *l = ctx;
	struct jd_registry_object r = {.id = o->id, .size = o->size, .lo = o->lo, .hi = o->hi, .flags = o->flags,
				       .build_id_size = o->build_id_size};
	memcpy(r.build_id, o->build_id, sizeof(r.build_id));
	/* The server chose the first symbol from the bytes it has: no fetch to list. */
	if (!named_get(&l->s->first_symbols, o->id))
		named_put(&l->s->first_symbols, o->id, o->first_symbol);
	return objects_add(l->out, &r, UINT32_MAX) ? 1 : 0;
}

/* The objects: from memory while stopped, else as the debug link lists them. */
static int all_objects(struct jd_session *s, struct objects *out, int *over_link)
{
	*over_link = link_usable(s);
	if (!*over_link)
		return walk_all(s, out);
	struct jd_client *c = client(s);
	if (!c)
		return -ECONNREFUSED;
	char why[256];
	struct link_ctx l = {s, out};
	int rc = jd_client_list(c, 0, link_collect, &l, why, sizeof(why));
	if (rc)
		return fail(s, rc, "list over the link: %s", why);
	return 0;
}

/* ---- an object's bytes, and loading ------------------------------------------------------------- */

/* The object's bytes as registered: over the link, or from memory; NULL when neither has them (nothing
 * is fetched by build-id just to list). malloc'ed. */
static uint8_t *registered_bytes(struct jd_session *s, const struct jd_registry_object *o, size_t *size)
{
	uint8_t *data = NULL;
	if (link_usable(s) && !is_foreign(o)) {
		struct jd_client *c = client(s);
		if (!c || jd_client_fetch(c, o->id, &data, size, NULL, 0) != 0)
			return NULL;
		return data;
	}
	if (!o->size || o->size > JD_MAX_OBJECT_SIZE || !(data = malloc(o->size)))
		return NULL;
	if (s->dbg->read(s->ctx, o->symfile, data, o->size) != 0) {
		free(data);
		return NULL;
	}
	*size = o->size;
	return data;
}

static uint8_t *file_bytes(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	uint8_t *data = NULL;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= JD_MAX_OBJECT_SIZE && (data = malloc((size_t)st.st_size))) {
		if (read(fd, data, (size_t)st.st_size) != st.st_size) {
			free(data);
			data = NULL;
		} else {
			*size = (size_t)st.st_size;
		}
	}
	if (fd >= 0)
		close(fd);
	return data;
}

/* The object's naming symbol (jd_object_first_symbol: as the CLI and the link choose it). */
static const char *first_symbol(struct jd_session *s, const struct jd_registry_object *o)
{
	const char *name = named_get(&s->first_symbols, o->id);
	if (name)
		return name;
	size_t size = 0;
	uint8_t *data = registered_bytes(s, o, &size);
	const struct loaded *l = loaded_find(s, o->id);
	if (!data && l) /* a core without the objects: the copy loaded by build-id */
		data = file_bytes(l->path, &size);
	if (!data)
		return "";
	char buf[256];
	jd_object_first_symbol(data, size, buf, sizeof(buf));
	free(data);
	return named_put(&s->first_symbols, o->id, buf);
}

/* The registry's build-id; for another registrar's object, computed from its bytes as the hooks and
 * the link compute it. "-" when there is none. */
static const char *build_id_text(struct jd_session *s, const struct jd_registry_object *o, char buf[41])
{
	snprintf(buf, 41, "-");
	if (o->build_id_size) {
		jd_build_id_format(o->build_id, o->build_id_size, buf, 41);
		return buf;
	}
	if (!is_foreign(o))
		return buf;
	const char *known = named_get(&s->build_ids, o->id);
	if (known)
		return known;
	size_t size = 0;
	uint8_t *data = registered_bytes(s, o, &size);
	uint8_t id[JD_BUILD_ID_MAX];
	uint32_t n = 0;
	if (data && jd_object_build_id(data, size, id, &n, NULL, 0) > 0)
		jd_build_id_format(id, n, buf, 41);
	free(data);
	return named_put(&s->build_ids, o->id, buf);
}

/* The object's bytes for loading (malloc'ed): over the link, from memory, or fetched by build-id. */
static int object_bytes(struct jd_session *s, const struct jd_registry_object *o, uint8_t **data, size_t *size)
{
	char why[600];
	if (link_usable(s) && !is_foreign(o)) {
		struct jd_client *c = client(s);
		if (!c)
			return -ECONNREFUSED;
		int rc = jd_client_fetch(c, o->id, data, size, why, sizeof(why));
		return rc ? fail(s, rc, "fetch over the link: %s", why) : 0;
	}
	/* From memory, or, when the process or core lacks the bytes, by build-id from DEBUGINFOD_URLS
	 * (jd_object_bytes, as `jitdebug core` does). */
	struct walk_ctx wc = {s, NULL, 0};
	struct jd_walk w = {.sz = sizeof(w), .read = walk_read, .ctx = &wc};
	int fetched = 0;
	int rc = jd_object_bytes(&w, o, data, size, &fetched, why, sizeof(why));
	if (rc)
		return fail(s, rc, "%s", why);
	if (fetched) {
		char id[24], bid[41];
		say(s, "jit: object %s fetched by build-id %s\n", id_text(o->id, id), build_id_text(s, o, bid));
	}
	return 0;
}

static int write_file(const char *path, const uint8_t *data, size_t size)
{
	unlink(path); /* never write through an existing file */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;
			close(fd);
			unlink(path);
			return e;
		}
		done += (size_t)n;
	}
	return close(fd) == 0 ? 0 : -errno;
}

static int load_one(struct jd_session *s, const struct jd_registry_object *o)
{
	if (s->nloaded == s->caploaded) {
		size_t cap = s->caploaded ? s->caploaded * 2 : 64;
		struct loaded *v = realloc(s->loaded, cap * sizeof(*v));
		if (!v)
			return fail(s, -ENOMEM, "out of memory");
		s->loaded = v;
		s->caploaded = cap;
	}
	uint8_t *data = NULL;
	size_t size = 0;
	int rc = object_bytes(s, o, &data, &size);
	if (rc)
		return rc;
	char why[256], id[24];
	if ((s->dbg->flags & JD_DEBUGGER_ABSOLUTE) && (rc = jd_elf_make_absolute(data, size, NULL, why, sizeof(why)))) {
		free(data);
		return fail(s, rc, "not a JIT debug object: %s", why);
	}
	const char *dir = cache_dir(s);
	char path[4200];
	if (!dir) {
		free(data);
		return -EIO; /* s->err says why */
	}
	snprintf(path, sizeof(path), "%s/%" PRIu32 "-%s.o", dir, s->t.pid, id_text(o->id, id));
	if ((rc = write_file(path, data, size)) != 0) {
		free(data);
		return fail(s, rc, "cannot write %s: %s", path, strerror(-rc));
	}
	rc = s->dbg->load(s->ctx, o->id, path, data, size, why, sizeof(why));
	free(data);
	char *p = rc ? NULL : strdup(path);
	if (rc || !p) {
		unlink(path);
		return rc ? fail(s, rc, "%s", why) : fail(s, -ENOMEM, "out of memory");
	}
	s->loaded[s->nloaded++] = (struct loaded){o->id, p};
	index_added(&s->loaded_ix, s->loaded, s->nloaded, loaded_id);
	return 0;
}

/* Whether the debugger already has the object: loaded by us, or by its own JIT reader. */
static int debugger_has(struct jd_session *s, const struct jd_registry_object *o)
{
	return loaded_find(s, o->id) || s->dbg->has(s->ctx, o->symfile, o->lo);
}

/* Loads the objects (skipping those the debugger has); failures are reported (when `report`) and
 * skipped. How many were loaded. */
static size_t load(struct jd_session *s, const struct jd_registry_object *todo, size_t n, int report)
{
	double t0 = now();
	size_t done = 0;
	for (size_t i = 0; i < n; i++) {
		if (!debugger_has(s, &todo[i])) {
			if (load_one(s, &todo[i]) == 0) {
				done++;
			} else if (report) {
				char id[24];
				say(s, "jit: object %s skipped: %s\n", id_text(todo[i].id, id), s->err);
			}
		}
		if (report && n >= PROGRESS && (i + 1) % PROGRESS == 0)
			say(s, "jit: loaded %zu/%zu objects\n", i + 1, n);
	}
	s->err[0] = '\0';
	s->loads += done;
	s->seconds += now() - t0;
	return done;
}

/* Unloads those of ids the session loaded: marked first (the index stays right while it looks them
 * up), then the array is compacted and indexed anew, once. */
static void unload_ids(struct jd_session *s, const uint64_t *ids, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct loaded *l = loaded_find(s, ids[k]);
		if (!l || !l->path)
			continue;
		s->dbg->unload(s->ctx, l->id, l->path);
		unlink(l->path);
		free(l->path);
		l->path = NULL;
	}
	size_t kept = 0;
	for (size_t i = 0; i < s->nloaded; i++)
		if (s->loaded[i].path)
			s->loaded[kept++] = s->loaded[i];
	if (kept != s->nloaded) {
		s->nloaded = kept;
		index_rebuild(&s->loaded_ix, s->loaded, s->nloaded, loaded_id);
	}
}

/* Loads the objects covering the PCs of every thread's frames until none is missing: a loaded object
 * can reveal further JIT frames to the unwinder. How many were loaded. */
static int load_frames(struct jd_session *s, int report, size_t *total)
{
	*total = 0;
	uint64_t *pcs = malloc(MAX_THREAD_PCS * sizeof(*pcs));
	if (!pcs)
		return fail(s, -ENOMEM, "out of memory");
	int rc = 0;
	for (int round = 0; round < ROUNDS; round++) {
		struct objects all = {0}, want = {0};
		if ((rc = walk_all(s, &all)) != 0) {
			objects_free(&all);
			break;
		}
		size_t n = s->dbg->frames(s->ctx, pcs, MAX_THREAD_PCS);
		struct jd_u64set seen = {0};
		for (size_t i = 0; i < n && i < MAX_THREAD_PCS; i++) {
			const struct jd_registry_object *o = covering(&all, pcs[i]);
			if (o && !debugger_has(s, o) && jd_u64set_add(&seen, o->id) == 0)
				objects_add(&want, o, 0);
		}
		jd_u64set_free(&seen);
		size_t got = want.n ? load(s, want.v, want.n, report) : 0;
		objects_free(&want);
		objects_free(&all);
		if (!got)
			break;
		*total += got;
	}
	free(pcs);
	return rc;
}

/* Objects unregistered in the process leave the debugger. */
static int sync_unregistered(struct jd_session *s)
{
	if (!s->nloaded)
		return 0;
	struct objects all = {0};
	int rc = walk_all(s, &all);
	if (rc == 0) {
		struct jd_u64set live = {0};
		for (size_t i = 0; i < all.n; i++)
			jd_u64set_add(&live, all.v[i].id);
		uint64_t *gone = malloc((s->nloaded + 1) * sizeof(*gone));
		size_t n = 0;
		for (size_t i = 0; gone && i < s->nloaded; i++)
			if (jd_u64set_add(&live, s->loaded[i].id) == 0)
				gone[n++] = s->loaded[i].id;
		unload_ids(s, gone, n);
		free(gone);
		jd_u64set_free(&live);
	}
	objects_free(&all);
	return rc;
}

/* ---- watches ------------------------------------------------------------------------------------ */

static int write_watches(struct jd_session *s)
{
	if (s->t.kind != JD_TARGET_LIVE || !s->nwatches || !s->t.stopped)
		return 0;
	uint64_t base = 0;
	if (s->dbg->symbol(s->ctx, "jitdebug_watches", &base) != 0 || !base)
		return 0;
	char why[256];
	int rc = jd_watch_table_write(base, s->watches, s->nwatches, s->dbg->read, s->dbg->write, s->ctx, why,
				      sizeof(why));
	if (rc)
		return fail(s, rc, "%s", why);
	s->watches_written = 1;
	if (s->dbg->sz > offsetof(struct jd_debugger, watches_written) && s->dbg->watches_written)
		s->dbg->watches_written(s->ctx);
	return 1;
}

/* ---- commands ----------------------------------------------------------------------------------- */

static int usage(struct jd_session *s, const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return fail(s, -EINVAL, "usage: %s", commands[i].usage);
	return fail(s, -EINVAL, "usage: jit %s", name);
}

static int cmd_connect(struct jd_session *s, int argc, const char *const *argv)
{
	const char *addr = NULL, *token = s->token;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--token") == 0 && i + 1 < argc)
			token = argv[++i];
		else if (strncmp(argv[i], "--", 2) == 0 || addr)
			return usage(s, "connect");
		else
			addr = argv[i];
	}
	char raw[128] = "";
	if (!addr) {
		if (s->t.kind != JD_TARGET_LIVE)
			return fail(s, -EINVAL, "no process to discover the link from: give HOST:PORT");
		uint64_t base = 0;
		if (s->dbg->symbol(s->ctx, "jitdebug_link_address", &base) == 0 && base &&
		    s->dbg->read(s->ctx, base, raw, sizeof(raw) - 1) == 0)
			raw[sizeof(raw) - 1] = '\0';
		else
			raw[0] = '\0';
		if (!raw[0])
			return fail(s, -ENOENT, "the process has no debug link (start it with JITDEBUG_LISTEN=127.0.0.1:0)");
		addr = raw;
	}
	if (!strchr(addr, ':'))
		return fail(s, -EINVAL, "bad address '%s': expected HOST:PORT", addr);
	char *old_link = s->link, *old_token = s->token;
	s->link = strdup(addr);
	s->token = dup_or_null(token);
	if (!s->link || (token && !s->token)) {
		free(s->link);
		free(s->token);
		s->link = old_link;
		s->token = old_token;
		return fail(s, -ENOMEM, "out of memory");
	}
	if (!link_usable(s)) {
		free(old_link);
		free(old_token);
		say(s, "jit: link %s recorded; the process is stopped, so objects are read from its memory now and the link "
		       "is used while it runs\n", addr);
		return 0;
	}
	struct jd_client *c = client(s);
	if (!c) {
		free(s->link);
		free(s->token);
		s->link = old_link;
		s->token = old_token;
		return -ECONNREFUSED;
	}
	free(old_link);
	free(old_token);
	const struct jd_link_info *info = jd_client_info(c);
	say(s, "jit: connected to %s (pid %" PRIu32 ", %s)\n", s->link, info->pid, info->triple);
	return 0;
}

static const char *state_of(struct jd_session *s, const struct jd_registry_object *o, char buf[32])
{
	if (loaded_find(s, o->id))
		return "loaded";
	if (s->t.can_load && s->dbg->has(s->ctx, o->symfile, o->lo)) {
		snprintf(buf, 32, "%s-jit", s->dbg->name);
		return buf;
	}
	return "-";
}

static const char *registrar_of(const struct jd_session *s, const struct objects *all, size_t i)
{
	return is_foreign(&all->v[i]) ? registrar_name(s, all->registrar[i]) : "jitdebug";
}

static int cmd_list(struct jd_session *s, int argc, const char *const *argv)
{
	(void)argv;
	if (argc != 1)
		return usage(s, "list");
	struct objects all = {0};
	int over_link = 0;
	int rc = all_objects(s, &all, &over_link);
	if (rc) {
		objects_free(&all);
		return rc;
	}
	char row[1024];
	jd_list_header(row, sizeof(row), 1);
	say(s, "%s", row);
	size_t foreign = 0;
	for (size_t i = 0; i < all.n; i++) {
		const struct jd_registry_object *o = &all.v[i];
		char bid[41], st[32];
		foreign += is_foreign(o);
		jd_list_row(row, sizeof(row), o->id, o->lo, o->hi, o->size, build_id_text(s, o, bid), state_of(s, o, st),
			    registrar_of(s, &all, i), first_symbol(s, o));
		say(s, "%s", row);
	}
	for (size_t i = 0; i < all.skipped.n; i++)
		say(s, "jit: skipped: %s\n", all.skipped.v[i]);
	say(s, "%zu objects (%zu from other registrars), %zu loaded by the plugin\n", all.n, foreign, s->nloaded);
	objects_free(&all);
	return 0;
}

/* What a PC in freed JIT code belonged to, from the hooks' graveyard (jitdebug_graveyard) while the
 * process's memory is read: ": object 3 (jd_leaf, build-id 5e77...) held 0x...-0x... until it was
 * unregistered", or "" when nothing is known. The name is the graveyard's, else the one this session
 * saw while the object lived. */
static void graveyard_note(struct jd_session *s, uint64_t addr, char *out, size_t len)
{
	uint64_t base = 0;
	struct jd_graveyard_slot g;
	out[0] = '\0';
	if (s->t.kind == JD_TARGET_NONE || !s->t.stopped || s->dbg->symbol(s->ctx, "jitdebug_graveyard", &base) != 0 ||
	    jd_graveyard_find(base, s->dbg->read, s->ctx, addr, &g) != 0)
		return;
	const char *name = g.first_symbol[0] ? g.first_symbol : named_get(&s->first_symbols, g.id);
	char id[24], bid[2 * JD_BUILD_ID_MAX + 1] = "", what[160] = "";
	if (g.build_id_size)
		jd_build_id_format(g.build_id, g.build_id_size, bid, sizeof(bid));
	if ((name && *name) || bid[0])
		snprintf(what, sizeof(what), " (%s%s%s%s)", name && *name ? name : "", name && *name && bid[0] ? ", " : "",
			 bid[0] ? "build-id " : "", bid);
	snprintf(out, len, ": object %s%s held 0x%" PRIx64 "-0x%" PRIx64 " until it was unregistered", id_text(g.id, id),
		 what, g.lo, g.hi);
}

/* The objects named by `all`, an object id, or an address expression. */
static int select_objects(struct jd_session *s, const char *arg, const struct objects *all, struct objects *out)
{
	if (strcmp(arg, "all") == 0)
		return objects_append(out, all) ? fail(s, -ENOMEM, "out of memory") : 0;
	uint64_t v;
	if (jd_id_parse(arg, &v) == 0) {
		for (size_t i = 0; i < all->n; i++)
			if (all->v[i].id == v)
				return objects_add(out, &all->v[i], all->registrar[i]) ? fail(s, -ENOMEM, "out of memory") : 0;
		return fail(s, -ENOENT, "object %s: no such object (unregistered, or never registered)", arg);
	}
	char *end;
	errno = 0;
	v = strtoull(arg, &end, 0);
	if (!*arg || *arg == '-' || errno || *end) {
		char why[256] = "";
		if (s->dbg->evaluate(s->ctx, arg, &v, why, sizeof(why)) != 0)
			return fail(s, -EINVAL, "not an object id or address: %s%s%s%s", arg, why[0] ? " (" : "", why,
				    why[0] ? ")" : "");
	}
	for (size_t i = 0; i < all->n; i++)
		if (all->v[i].lo <= v && v < all->v[i].hi)
			return objects_add(out, &all->v[i], all->registrar[i]) ? fail(s, -ENOMEM, "out of memory") : 0;
	char gone[300];
	graveyard_note(s, v, gone, sizeof(gone));
	return fail(s, -ENOENT, "no JIT object covers 0x%" PRIx64 "%s", v, gone);
}

/* The objects a command's argument names, among all the objects there are now. */
static int selected_objects(struct jd_session *s, const char *arg, struct objects *out, int *over_link)
{
	struct objects all = {0};
	int rc = all_objects(s, &all, over_link);
	if (rc == 0)
		rc = select_objects(s, arg, &all, out);
	objects_free(&all);
	return rc;
}

static int cmd_info(struct jd_session *s, int argc, const char *const *argv)
{
	if (argc != 2 || strcmp(argv[1], "all") == 0)
		return usage(s, "info");
	struct objects one = {0};
	int over_link = 0;
	int rc = selected_objects(s, argv[1], &one, &over_link);
	if (rc == 0) {
		const struct jd_registry_object *o = &one.v[0];
		const struct loaded *l = loaded_find(s, o->id);
		char id[24], bid[41], st[32];
		say(s, "object:       %s\n", id_text(o->id, id));
		say(s, "registrar:    %s\n", registrar_of(s, &one, 0));
		say(s, "range:        0x%012" PRIx64 "-0x%012" PRIx64 "\n", o->lo, o->hi);
		say(s, "bytes:        %" PRIu64 "%s\n", o->size, over_link ? " (listed over the link)" : "");
		say(s, "build-id:     %s%s\n", build_id_text(s, o, bid),
		    o->build_id_kind == JD_BUILD_ID_NOTE ? " (its own note)"
		    : o->build_id_kind == JD_BUILD_ID_CONTENT ? " (content hash)" : "");
		say(s, "state:        %s%s\n", state_of(s, o, st),
		    o->flags & JD_OBJECT_WATCHED ? ", watched" : o->flags & JD_OBJECT_ANNOUNCED ? ", announced" : "");
		say(s, "first symbol: %s\n", first_symbol(s, o));
		if (l)
			say(s, "file:         %s\n", l->path);
		size_t size = 0;
		uint8_t *data = registered_bytes(s, o, &size);
		if (!data && l)
			data = file_bytes(l->path, &size);
		char why[256] = "";
		struct jd_elf *elf = data ? jd_elf_open(data, size, NULL, why, sizeof(why)) : NULL;
		if (elf) {
			for (size_t i = 0; i < jd_elf_section_count(elf); i++) {
				struct jd_elf_section sec;
				if (jd_elf_section(elf, i, &sec) == 0 && (sec.flags & 0x2 /* SHF_ALLOC */) && sec.addr)
					say(s, "section:      %-20s 0x%012" PRIx64 " %10" PRIu64 "\n", sec.name, sec.addr,
					    sec.size);
			}
			jd_elf_close(elf);
		} else {
			say(s, "sections:     %s\n", data ? why : "its bytes are not readable now");
		}
		free(data);
	}
	objects_free(&one);
	return rc;
}

static int cmd_load(struct jd_session *s, int argc, const char *const *argv)
{
	if (argc != 2)
		return usage(s, "load");
	if (!s->t.can_load)
		return fail(s, -EINVAL, "no target to load into (create a target, or attach first)");
	struct objects todo = {0};
	int over_link = 0;
	int rc = selected_objects(s, argv[1], &todo, &over_link);
	if (rc == 0) {
		size_t n = load(s, todo.v, todo.n, 1);
		say(s, "jit: loaded %zu object%s\n", n, n == 1 ? "" : "s");
	}
	objects_free(&todo);
	return rc;
}

static int cmd_unload(struct jd_session *s, int argc, const char *const *argv)
{
	uint64_t id = 0;
	if (argc != 2 || (strcmp(argv[1], "all") != 0 && jd_id_parse(argv[1], &id) != 0))
		return usage(s, "unload");
	size_t n;
	if (strcmp(argv[1], "all") == 0) {
		n = s->nloaded;
		unload_all(s);
	} else {
		if (!loaded_find(s, id))
			return fail(s, -ENOENT, "object %s is not loaded by the plugin", argv[1]);
		unload_ids(s, &id, 1);
		n = 1;
	}
	say(s, "jit: unloaded %zu object%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int cmd_break(struct jd_session *s, int argc, const char *const *argv)
{
	if (argc != 2)
		return usage(s, "break");
	int kind = 0;
	uint32_t line = 0;
	char name[JD_WATCH_PATTERN], why[256];
	int rc = jd_parse_location(argv[1], &kind, name, sizeof(name), &line, why, sizeof(why));
	if (rc)
		return fail(s, rc, "%s", why);
	int added = 1;
	for (size_t i = 0; i < s->nwatches; i++)
		if (s->watches[i].kind == kind && strcmp(s->watches[i].pattern, name) == 0)
			added = 0;
	if (added && (rc = add_watch(s, kind, name)) != 0)
		return fail(s, rc, "out of memory");
	int written = write_watches(s);
	if (written < 0) {
		if (added)
			free((char *)s->watches[--s->nwatches].pattern);
		return written;
	}
	if ((rc = s->dbg->breakpoint(s->ctx, argv[1], kind, name, line, why, sizeof(why))) != 0)
		return fail(s, rc, "%s", why);
	if (!written) {
		uint64_t registry = 0;
		if (s->dbg->sz > offsetof(struct jd_debugger, watches_pending) && s->dbg->watches_pending)
			s->dbg->watches_pending(s->ctx);
		if (s->t.kind == JD_TARGET_LIVE && s->t.stopped && s->dbg->symbol(s->ctx, "jitdebug_registry", &registry) != 0)
			say(s, "jit: no jitdebug hooks in this process: the breakpoint resolves when another registrar "
			       "announces the code\n");
		else
			say(s, "jit: the watch is written into the process at its first JIT registration\n");
	}
	return 0;
}

static void source_file_add(const char *path, void *ctx)
{
	struct strings *f = ctx;
	struct stat st;
	if (path[0] != '/' || stat(path, &st) == 0)
		return; /* where its debug info says: nothing to map */
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i], path) == 0)
			return;
	strings_add(f, path);
}

struct source_maps {
	struct jd_session *s;
	const char *dirs;
	int rc;
};

static void source_map_found(const char *from, const char *to, const char *file, void *ctx)
{
	struct source_maps *m = ctx;
	char why[256] = "";
	if (m->rc)
		return;
	if ((m->rc = m->s->dbg->source_map(m->s->ctx, from, to, why, sizeof(why))) != 0) {
		fail(m->s, m->rc, "%s", why);
		return;
	}
	say(m->s, "jit: mapped %s -> %s (%s)\n", from, to, file);
}

static void source_map_missing(const char *file, void *ctx)
{
	struct source_maps *m = ctx;
	say(m->s, "jit: %s: not found under %s\n", file, m->dirs);
}

static int cmd_source_map(struct jd_session *s, int argc, const char *const *argv)
{
	if (argc >= 2 && strcmp(argv[1], "--auto") == 0) {
		if (argc < 3)
			return fail(s, -EINVAL, "usage: jit source-map --auto DIR...");
		char dirs[4096] = "";
		for (int i = 2; i < argc; i++) {
			struct stat st;
			if (stat(argv[i], &st) != 0 || !S_ISDIR(st.st_mode))
				return fail(s, -ENOTDIR, "%s: not a directory", argv[i]);
			size_t used = strlen(dirs);
			snprintf(dirs + used, sizeof(dirs) - used, "%s%s", i > 2 ? " " : "", argv[i]);
		}
		struct strings missing = {0};
		s->dbg->source_files(s->ctx, source_file_add, &missing);
		int rc = 0;
		if (!missing.n) {
			say(s, "jit: every source file of the loaded JIT objects is where its debug info says\n");
		} else {
			struct source_maps m = {s, dirs, 0};
			if (jd_source_map_auto((const char *const *)missing.v, missing.n, argv + 2, (size_t)argc - 2,
					       source_map_found, source_map_missing, &m) != 0)
				rc = fail(s, -ENOMEM, "out of memory while indexing %s", dirs);
			else
				rc = m.rc;
		}
		strings_free(&missing);
		return rc;
	}
	if (argc != 3 || strncmp(argv[1], "--", 2) == 0)
		return usage(s, "source-map");
	char why[256] = "";
	int rc = s->dbg->source_map(s->ctx, argv[1], argv[2], why, sizeof(why));
	if (rc)
		return fail(s, rc, "%s", why);
	say(s, "jit: %s -> %s\n", argv[1], argv[2]);
	return 0;
}

static int cmd_status(struct jd_session *s, int argc, const char *const *argv)
{
	(void)argv;
	if (argc != 1)
		return usage(s, "status");
	say(s, "target: %s\n", s->t.kind == JD_TARGET_CORE ? "core" : s->t.kind == JD_TARGET_LIVE ? "live" : "none");
	say(s, "link: %s%s\n", s->link ? s->link : "not connected",
	    !s->link ? "" : link_usable(s) ? " (in use)" : " (not used while stopped)");
	const struct objects *reg = NULL;
	int rc = s->t.kind != JD_TARGET_NONE && !s->t.stopped
			 ? fail(s, -EAGAIN, "the process is running; the registry is read while it is stopped")
			 : walk_registry(s, &reg);
	if (rc == 0) {
		size_t announced = 0;
		for (size_t i = 0; i < reg->n; i++)
			announced += (reg->v[i].flags & JD_OBJECT_ANNOUNCED) != 0;
		char m[32];
		say(s, "mode: %s\nobjects: %zu known, %zu loaded by the plugin, %zu announced to the GDB JIT interface\n",
		    mode_name(s->header.mode, m), reg->n, s->nloaded, announced);
	} else {
		say(s, "registry: %s\n", s->err);
		s->err[0] = '\0';
	}
	if (s->t.kind != JD_TARGET_NONE && s->t.stopped) {
		struct descriptor_list ds = {0};
		descriptors(s, &ds, 0);
		for (size_t i = 0; i < ds.n; i++)
			say(s, "registrar: %s (__jit_debug_descriptor at 0x%" PRIx64 ")\n", ds.v[i].path, ds.v[i].addr);
		if (ds.n && has_registry(s))
			say(s, "note: %zu GDB JIT descriptor%s besides the hooks': stock LLDB follows one per process, GDB the "
			       "program's own for every module if the program defines one; the plugins read all\n",
			    ds.n, ds.n == 1 ? "" : "s");
		descriptors_free(&ds);
	}
	char w[4096] = "";
	for (size_t i = 0; i < s->nwatches; i++) {
		size_t used = strlen(w);
		snprintf(w + used, sizeof(w) - used, "%s%s %s", i ? ", " : "",
			 s->watches[i].kind == JD_WATCH_SYMBOL ? "function" : "file", s->watches[i].pattern);
	}
	say(s, "watches: %s\n", w[0] ? w : "none");
	say(s, "time spent: %.3f s in %" PRIu64 " loads\n", s->seconds, s->loads);
	return 0;
}

static int cmd_load_core(struct jd_session *s, int argc, const char *const *argv)
{
	int every = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			every = 1;
		else
			return usage(s, "load-core");
	}
	if (s->t.kind == JD_TARGET_NONE)
		return fail(s, -ENOENT, "no core file (open one first: core-file FILE in GDB, target create --core FILE "
					"in LLDB)");
	double t0 = now();
	struct objects all = {0};
	int rc = walk_all(s, &all);
	if (rc) {
		objects_free(&all);
		return rc;
	}
	/* The hooks' own GDB JIT list holds registry objects: walked for what is wrong with it only. */
	struct descriptor_list ds = {0};
	descriptors(s, &ds, 1);
	for (size_t i = 0; i < ds.n; i++)
		if (ds.v[i].hooks && ds.v[i].addr)
			walk_list(s, ds.v[i].addr, &all, 0, 0);
	descriptors_free(&ds);
	for (size_t i = 0; i < all.skipped.n; i++)
		say(s, "jit: skipped: %s\n", all.skipped.v[i]);
	if (has_registry(s) && s->header.generation % 2)
		say(s, "jit: the registry was being edited when the core was written; the list may be incomplete\n");
	size_t n = 0;
	if (every)
		n = load(s, all.v, all.n, 1);
	else
		load_frames(s, 1, &n);
	s->err[0] = '\0';
	/* Per registrar, in name order. */
	size_t in_registry = 0;
	char others[2048] = "";
	size_t *per = calloc(s->registrars.n + 1, sizeof(*per));
	for (size_t i = 0; i < all.n; i++) {
		if (!is_foreign(&all.v[i]))
			in_registry++;
		else if (per && all.registrar[i] < s->registrars.n)
			per[all.registrar[i]]++;
	}
	for (;;) {
		size_t best = SIZE_MAX;
		for (size_t r = 0; per && r < s->registrars.n; r++)
			if (per[r] && (best == SIZE_MAX || strcmp(s->registrars.v[r], s->registrars.v[best]) < 0))
				best = r;
		if (best == SIZE_MAX)
			break;
		size_t used = strlen(others);
		snprintf(others + used, sizeof(others) - used, ", %zu from %s", per[best], s->registrars.v[best]);
		per[best] = 0;
	}
	free(per);
	say(s, "jit: %zu objects in the registry%s; loaded %zu in %.2f s\n", in_registry, others, n, now() - t0);
	objects_free(&all);
	return 0;
}

/* ---- entry points ------------------------------------------------------------------------------- */

int jd_session_run(struct jd_session *s, void *ctx, int argc, const char *const *argv, char *err, size_t errlen)
{
	if (!s || argc < 1 || !argv || !argv[0])
		return -EINVAL;
	enter(s, ctx);
	int rc = -EINVAL;
	size_t i = 0;
	for (; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		fail(s, -EINVAL, "no jit command \"%s\"", argv[0]);
	else
		rc = command_fns[i](s, argc, argv);
	if (rc < 0 && !s->err[0])
		fail(s, rc, "%s", strerror(-rc));
	return leave(s, rc < 0 ? rc : 0, err, errlen);
}

int jd_session_on_stop(struct jd_session *s, void *ctx, char *err, size_t errlen)
{
	if (!s)
		return -EINVAL;
	enter(s, ctx);
	int rc = 0;
	if (s->t.kind == JD_TARGET_LIVE && s->t.stopped) {
		double t0 = now();
		if (s->nwatches && !s->watches_written)
			rc = write_watches(s) < 0 ? -EINVAL : 0;
		struct descriptor_list ds = {0};
		descriptors(s, &ds, 0);
		if (rc == 0 && (has_registry(s) || ds.n)) {
			size_t n;
			rc = sync_unregistered(s);
			if (rc == 0)
				rc = load_frames(s, 0, &n);
		}
		descriptors_free(&ds);
		s->seconds += now() - t0;
	}
	return leave(s, rc, err, errlen);
}

int jd_session_load_watched(struct jd_session *s, void *ctx, char *err, size_t errlen)
{
	if (!s)
		return -EINVAL;
	enter(s, ctx);
	const struct objects *reg;
	int rc = walk_registry(s, &reg);
	if (rc == 0) {
		struct objects todo = {0};
		for (size_t i = 0; i < reg->n; i++)
			if ((reg->v[i].flags & JD_OBJECT_WATCHED) && !debugger_has(s, &reg->v[i]))
				objects_add(&todo, &reg->v[i], 0);
		load(s, todo.v, todo.n, 0);
		objects_free(&todo);
	}
	return leave(s, rc, err, errlen);
}

int jd_session_sync_registrars(struct jd_session *s, void *ctx, char *err, size_t errlen)
{
	if (!s)
		return -EINVAL;
	enter(s, ctx);
	struct descriptor_list ds = {0};
	struct objects others = {0}, todo = {0};
	descriptors(s, &ds, 0);
	walk_foreign(s, &ds, &others);
	struct jd_u64set live = {0};
	for (size_t i = 0; i < others.n; i++) {
		jd_u64set_add(&live, others.v[i].id);
		if (!debugger_has(s, &others.v[i]))
			objects_add(&todo, &others.v[i], others.registrar[i]);
	}
	uint64_t *gone = malloc((s->nloaded + 1) * sizeof(*gone));
	size_t n = 0;
	for (size_t i = 0; gone && i < s->nloaded; i++)
		if ((s->loaded[i].id & JD_FOREIGN_ID_BIT) && jd_u64set_add(&live, s->loaded[i].id) == 0)
			gone[n++] = s->loaded[i].id;
	unload_ids(s, gone, n);
	free(gone);
	jd_u64set_free(&live);
	load(s, todo.v, todo.n, 0);
	objects_free(&todo);
	objects_free(&others);
	descriptors_free(&ds);
	return leave(s, 0, err, errlen);
}

int jd_session_write_watches(struct jd_session *s, void *ctx, char *err, size_t errlen)
{
	if (!s)
		return -EINVAL;
	enter(s, ctx);
	int rc = write_watches(s);
	return leave(s, rc, err, errlen);
}

int jd_session_watches_pending(struct jd_session *s)
{
	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	int pending = s->nwatches && !s->watches_written;
	pthread_mutex_unlock(&s->lock);
	return pending;
}
