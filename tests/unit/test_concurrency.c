/* test_concurrency.c — 8 threads register and unregister 10,000 objects in total with no debugger;
 * afterwards GDB's list (walked through __jit_debug_descriptor, as GDB does) and the exported registry
 * hold exactly the objects still registered: none lost, none twice, links consistent. */
#include "abi.h"
#include "check.h"
#include "elfbuild.h"
#include "jitdebug-hooks.h"

#include <pthread.h>
#include <stdlib.h>

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

int main(void)
{
	RUN(eight_threads_no_lost_or_duplicate_entries);
	return check_report();
}
