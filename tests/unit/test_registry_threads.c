/* test_registry_threads.c — executor-hooks/registry.c under threads and fork(): 8 threads register
 * and unregister 10,000 objects in total with no debugger;
 * afterwards GDB's list (walked through __jit_debug_descriptor, as GDB does) and the exported registry
 * hold exactly the objects still registered: none lost, none twice, links consistent. And fork():
 * children forked while other threads register (every hooks lock busy: registry, perf map, jitdump,
 * link queues, log) register and exit without hanging. ctest turns the perf outputs and the link on. */
#include "abi.h"
#include "check.h"
#include "elfbuild.h"
#include "jitdebug-hooks.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { THREADS = 8, PER_THREAD = 1250 };

extern struct jd_registry jitdebug_registry;

static struct eb proto;
static uint64_t ids[THREADS][PER_THREAD];
static int errors;

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		if (jd_register_object(proto.buf, proto.size, NULL, &ids[t][i]) != 0)
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
		if (i % 2 == 1 && jd_unregister_object(ids[t][i - 1]) != 0) /* keep the odd ones */
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

static void eight_threads_no_lost_or_duplicate_entries(void)
{
	eb_build(&proto, 0x7f0000001000);
	eb_shdr(&proto, EB_BSS)->sh_size = 0;
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	CHECK(errors == 0, "%d failed calls", errors);

	const size_t expect = THREADS * PER_THREAD / 2;
	uintptr_t *seen = calloc(expect + 1, sizeof(*seen));
	size_t n = 0;
	int links_ok = 1;
	struct jit_code_entry *prev = NULL;
	for (struct jit_code_entry *e = __jit_debug_descriptor.first_entry; e && n <= expect; e = e->next_entry) {
		links_ok &= e->prev_entry == prev && e->symfile_size == proto.size;
		seen[n++] = (uintptr_t)e->symfile_addr;
		prev = e;
	}
	CHECK(n == expect, "GDB list has %zu entries, expected %zu", n, expect);
	CHECK(links_ok, "prev/next links");
	qsort(seen, n, sizeof(*seen), cmp_ptr);
	size_t dups = 0;
	for (size_t i = 1; i < n; i++)
		dups += seen[i] == seen[i - 1];
	CHECK(dups == 0, "%zu duplicate entries", dups);

	size_t m = 0;
	uint64_t prev_addr = 0;
	int reg_ok = 1;
	for (uint64_t a = jitdebug_registry.first; a && m <= expect; m++) {
		const struct jd_registry_entry *r = (const void *)(uintptr_t)a;
		reg_ok &= r->prev == prev_addr && r->entry_size == sizeof(*r);
		prev_addr = a;
		a = r->next;
	}
	CHECK(reg_ok, "registry links");
	CHECK(m == expect && jitdebug_registry.count == expect, "registry walk %zu, count %llu", m,
	      (unsigned long long)jitdebug_registry.count);
	CHECK(jitdebug_registry.last == prev_addr && jitdebug_registry.generation % 2 == 0, "registry tail and generation");

	for (int t = 0; t < THREADS; t++)
		for (int i = 1; i < PER_THREAD; i += 2)
			CHECK(jd_unregister_object(ids[t][i]) == 0, "unregister %llu", (unsigned long long)ids[t][i]);
	CHECK(__jit_debug_descriptor.first_entry == NULL && jitdebug_registry.count == 0 && jitdebug_registry.first == 0,
	      "empty at the end");
	free(seen);
}

static volatile int stop_forking_test;

static void *busy_registrar(void *arg)
{
	(void)arg;
	while (!stop_forking_test) {
		uint64_t id;
		if (jd_register_object(proto.buf, proto.size, NULL, &id) == 0)
			jd_unregister_object(id);
	}
	return NULL;
}

/* 0 exited 0; 1 other status; 2 hung (killed after 10 s). */
static int reap(pid_t pid)
{
	for (int waited = 0; waited < 10000; waited += 5) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
		if (r < 0 && errno != EINTR)
			return 1;
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 2;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JD_ASAN 1
#endif
#endif

static void fork_while_registering_never_hangs(void)
{
	enum { CHILDREN = 200 };
#ifdef JD_ASAN
	/* LLVM 16's sanitizer allocator takes no lock around fork(): a child forked while another thread
	 * allocates hangs inside ASan's malloc, before any hooks code. The normal build runs this test. */
	printf("  (skipped under ASan: its allocator is not fork-safe)\n");
	return;
#endif
	pthread_t th[4];
	stop_forking_test = 0;
	for (int t = 0; t < 4; t++)
		pthread_create(&th[t], NULL, busy_registrar, NULL);
	int hung = 0, failed = 0;
	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			uint64_t id;
			/* The child inherits the objects live at fork (their code is copied too); its own go and come. */
			int ok = jd_register_object(proto.buf, proto.size, NULL, &id) == 0 && jd_unregister_object(id) == 0;
			_exit(ok ? 0 : 3);
		}
		int r = pid < 0 ? 1 : reap(pid);
		hung += r == 2;
		failed += r == 1;
		char path[4200];
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)pid);
		unlink(path);
		const char *dump_dir = getenv("JITDEBUG_JITDUMP");
		if (dump_dir && *dump_dir == '/' && snprintf(path, sizeof(path), "%s/jit-%d.dump", dump_dir, (int)pid) < 4200)
			unlink(path);
	}
	stop_forking_test = 1;
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	CHECK(hung == 0 && failed == 0, "of %d children forked mid-registration: %d hung, %d failed", CHILDREN, hung,
	      failed);
}

int main(void)
{
	alarm(200);
	RUN(eight_threads_no_lost_or_duplicate_entries);
	RUN(fork_while_registering_never_hangs);
	/* The test runs with JITDEBUG_PERFMAP=1: its own perf map goes too, as its children's did. */
	char map[64];
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)getpid());
	unlink(map);
	return check_report();
}
