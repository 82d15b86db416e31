/* fleet.c — what the hooks do for objects looked at elsewhere, later (docs/fleet.md):
 *
 * - JITDEBUG_PUBLISH=DIR: each distinct object (by build-id) is written once into DIR, the tree a
 *   `debuginfod -F DIR` indexes (jd_publish_write: atomic, idempotent across processes and hosts).
 *   Registration never touches the disk: it queues a copy of the object; one thread of the hooks
 *   builds the file and writes it. The queue is bounded (4,096 files, 64 MiB): past that, files are dropped,
 *   counted and warned about once, and the JIT goes on. At exit the queue is drained for at most 5 s.
 * - JITDEBUG_CORE_OBJECTS=omit: the copies of objects live in mappings marked MADV_DONTDUMP, so core
 *   files leave them out (the registry entries, with build-ids and section addresses, stay in).
 *
 * Lock order: the registry lock is never held here; `pub.lock` is a leaf (warnings are issued after
 * releasing it).
 */
#include "fleet.h"
#include "subscribers.h"

#include "jitdebug-hooks.h"
#include "runtime.h"

#include "../jitdebug/buildid.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUED 4096u
#define MAX_QUEUED_BYTES (64u << 20)
#define DRAIN_SECONDS 5

/* ---- keeping copies out of core files ---------------------------------------------------------- */

size_t jd_page_round(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (size + page - 1) / page * page;
}

void *jd_map_dontdump(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, size, MADV_DONTDUMP) != 0)
		jd_warn_once("madvise(MADV_DONTDUMP) failed (%s): JIT objects stay in core files", strerror(errno));
	return p;
}

void jd_unmap(void *p, size_t size)
{
	munmap(p, size);
}

/* ---- publishing ------------------------------------------------------------------------------- */

struct item {
	struct item *next;
	uint8_t id[JD_BUILD_ID_MAX]; /* computed at registration: not again here */
	uint32_t id_len;
	int kind;
	uint8_t *image;       /* a copy of the object; the thread builds the file from it */
	size_t size;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	struct item *head, *tail;
	size_t n, bytes;
	int running, busy, thread_started;
	/* Build-ids this process queued already: open addressing, grows. */
	uint8_t (*ids)[JD_BUILD_ID_MAX + 1];
	size_t ids_cap, ids_n;
} pub = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

static struct {
	_Atomic uint64_t written, existing, duplicates, dropped, failed;
} counts;

static char pub_dir[PATH_MAX];
static _Atomic int pub_state = -1; /* -1 not read yet, 0 off, 1 on */

static int publishing(void)
{
	int s = atomic_load_explicit(&pub_state, memory_order_acquire);
	if (s >= 0)
		return s;
	pthread_mutex_lock(&pub.lock);
	s = atomic_load(&pub_state);
	const char *warn = NULL;
	if (s < 0) {
		const char *d = getenv("JITDEBUG_PUBLISH");
		s = 0;
		if (d && *d) {
			if (strlen(d) >= sizeof(pub_dir) - 64)
				warn = "JITDEBUG_PUBLISH is longer than a path can be; not publishing";
			else if (mkdir(d, 0755) != 0 && errno != EEXIST)
				warn = "JITDEBUG_PUBLISH names a directory that cannot be created; not publishing";
			else {
				strcpy(pub_dir, d);
				s = 1;
			}
		}
		atomic_store_explicit(&pub_state, s, memory_order_release);
	}
	pthread_mutex_unlock(&pub.lock);
	if (warn)
		jd_warn_once("%s", warn);
	return s;
}

static uint64_t id_hash(const uint8_t *id, uint32_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ id[i]) * 1099511628211ull;
	return h;
}

/* Under pub.lock: 1 if this process queued id before, 0 if added now, -ENOMEM. */
static int seen_locked(const uint8_t *id, uint32_t len)
{
	if ((pub.ids_n + 1) * 2 > pub.ids_cap) {
		size_t cap = pub.ids_cap ? pub.ids_cap * 2 : 256;
		uint8_t(*ids)[JD_BUILD_ID_MAX + 1] = calloc(cap, sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		for (size_t i = 0; i < pub.ids_cap; i++) {
			if (!pub.ids[i][0])
				continue;
			size_t k = id_hash(pub.ids[i] + 1, pub.ids[i][0]) & (cap - 1);
			while (ids[k][0])
				k = (k + 1) & (cap - 1);
			memcpy(ids[k], pub.ids[i], sizeof(*ids));
		}
		free(pub.ids);
		pub.ids = ids;
		pub.ids_cap = cap;
	}
	size_t k = id_hash(id, len) & (pub.ids_cap - 1);
	while (pub.ids[k][0]) {
		if (pub.ids[k][0] == len && memcmp(pub.ids[k] + 1, id, len) == 0)
			return 1;
		k = (k + 1) & (pub.ids_cap - 1);
	}
	pub.ids[k][0] = (uint8_t)len;
	memcpy(pub.ids[k] + 1, id, len);
	pub.ids_n++;
	return 0;
}

static void *publisher(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pub.lock);
	for (;;) {
		while (!pub.head)
			pthread_cond_wait(&pub.work, &pub.lock);
		struct item *it = pub.head;
		pub.head = it->next;
		if (!pub.head)
			pub.tail = NULL;
		pub.n--;
		pub.bytes -= it->size;
		pub.busy = 1;
		pthread_mutex_unlock(&pub.lock);
		char err[300];
		int written = 0;
		uint8_t *image = NULL;
		size_t image_size;
		int rc = jd_publish_image(it->image, it->size, &image, &image_size, it->kind, it->id, &it->id_len, err,
					  sizeof(err)) < 0
				 ? -EINVAL
				 : jd_publish_write(pub_dir, it->id, it->id_len, image, image_size, &written, err, sizeof(err));
		free(image);
		if (rc != 0) {
			atomic_fetch_add(&counts.failed, 1);
			jd_warn_once("JITDEBUG_PUBLISH: %s", err);
		} else {
			atomic_fetch_add(written ? &counts.written : &counts.existing, 1);
		}
		free(it->image);
		free(it);
		pthread_mutex_lock(&pub.lock);
		pub.busy = 0;
		if (!pub.head)
			pthread_cond_broadcast(&pub.idle);
	}
	return NULL;
}

/* The thread blocks every signal: they are the JIT's, not ours. */
static int start_thread(pthread_t *t, pthread_attr_t *a)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(t, a, publisher, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void publish_registered(const uint8_t *data, size_t size, int kind, const uint8_t *id, uint32_t id_len)
{
	if (!id_len || !publishing())
		return;
	pthread_mutex_lock(&pub.lock);
	int seen = seen_locked(id, id_len);
	pthread_mutex_unlock(&pub.lock);
	if (seen) {
		if (seen > 0)
			atomic_fetch_add(&counts.duplicates, 1);
		return;
	}
	/* Only a copy here: the file is built by the thread. */
	struct item *it = calloc(1, sizeof(*it));
	uint8_t *copy = it ? malloc(size) : NULL;
	if (!copy) {
		free(it);
		atomic_fetch_add(&counts.failed, 1);
		return;
	}
	memcpy(copy, data, size);
	it->image = copy;
	it->size = size;
	memcpy(it->id, id, id_len);
	it->id_len = id_len;
	it->kind = kind;
	const char *warn = NULL;
	pthread_mutex_lock(&pub.lock);
	if (pub.n >= MAX_QUEUED || pub.bytes + it->size > MAX_QUEUED_BYTES) {
		warn = "JITDEBUG_PUBLISH: more than 4,096 files or 64 MiB waiting for the disk; objects are dropped";
	} else {
		if (!pub.thread_started) {
			pthread_t t;
			pthread_attr_t a;
			pthread_attr_init(&a);
			pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
			if (start_thread(&t, &a) == 0)
				pub.thread_started = 1;
			pthread_attr_destroy(&a);
			if (!pub.thread_started)
				warn = "JITDEBUG_PUBLISH: cannot start the publishing thread; objects are dropped";
		}
		if (pub.thread_started) {
			if (pub.tail)
				pub.tail->next = it;
			else
				pub.head = it;
			pub.tail = it;
			pub.n++;
			pub.bytes += it->size;
			pthread_cond_signal(&pub.work);
			it = NULL;
		}
	}
	pthread_mutex_unlock(&pub.lock);
	if (it) {
		atomic_fetch_add(&counts.dropped, 1);
		free(it->image);
		free(it);
	}
	if (warn)
		jd_warn_once("%s", warn);
}

/* At exit: what is queued gets DRAIN_SECONDS to reach the disk. */
__attribute__((destructor)) static void drain(void)
{
	if (atomic_load(&pub_state) != 1)
		return;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DRAIN_SECONDS;
	pthread_mutex_lock(&pub.lock);
	while (pub.thread_started && (pub.head || pub.busy))
		if (pthread_cond_timedwait(&pub.idle, &pub.lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&pub.lock);
}

static void fleet_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE) {
		pthread_mutex_lock(&pub.lock);
		return;
	}
	if (phase == JD_FORK_CHILD) {
		/* The thread stayed in the parent: the child starts its own for what it queues (its
		 * copy of the queue included). */
		pthread_cond_init(&pub.work, NULL);
		pthread_cond_init(&pub.idle, NULL);
		/* The thread stayed in the parent, which writes what was queued; the child starts a
		 * thread of its own for what it registers. */
		pub.busy = 0;
		pub.thread_started = 0;
		pub.head = pub.tail = NULL; /* the child's copies of the parent's items are left */
		pub.n = pub.bytes = 0;
	}
	pthread_mutex_unlock(&pub.lock);
}

static void fleet_stats(struct jd_hooks_stats *s)
{
	s->published = atomic_load(&counts.written);
	s->publish_existing = atomic_load(&counts.existing);
	s->publish_duplicates = atomic_load(&counts.duplicates);
	s->publish_dropped = atomic_load(&counts.dropped);
	s->publish_failed = atomic_load(&counts.failed);
}

static void publish_object_ready(const struct jd_registration *r)
{
	publish_registered(r->data, r->size, r->build_id_kind, r->build_id, r->build_id_len);
}

const struct jd_subscriber jd_publish_subscriber = {
	.name = "publish",
	.object_ready = publish_object_ready,
	.fork = fleet_fork,
	.stats = fleet_stats,
};
