/* host_registrar.c — a JIT host with a GDB JIT interface of its own (GDB's jit-elf-main pattern: its
 * own __jit_debug_descriptor and __jit_debug_register_code), linked -rdynamic so that it exports them,
 * with the hooks preloaded (LD_PRELOAD). Both registrars register an object; the host then takes its
 * own entry out and frees it. Each list must hold only its own registrar's entries throughout: the
 * hooks must bind their descriptor locally, not to the host's exported one. argv[1]: an object file.
 * Prints "ok" lines and exits 0, or says what went wrong and exits 1. */
#include "abi.h"
#include "objfile.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The host's own interface, exported (-rdynamic), as hand-written registrars do. */
__attribute__((visibility("default"))) struct jit_descriptor __jit_debug_descriptor = {1, 0, NULL, NULL};
__attribute__((visibility("default"))) void __attribute__((noinline)) __jit_debug_register_code(void) { __asm__ volatile("" ::: "memory"); }

static size_t count(const struct jit_descriptor *d)
{
	size_t n = 0;
	for (const struct jit_code_entry *e = d->first_entry; e && n < 1000; e = e->next_entry)
		n++;
	return n;
}

static int failures;
static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	size_t size;
	uint8_t *obj = read_object(argv[1], &size);
	void *hooks = dlopen("libjitdebug-hooks.so.0", RTLD_NOW | RTLD_NOLOAD);
	if (!obj || !hooks) {
		fprintf(stderr, "host_registrar: %s\n", obj ? "the hooks are not loaded (LD_PRELOAD)" : "no object");
		return 1;
	}
	const struct jit_descriptor *theirs = dlsym(hooks, "__jit_debug_descriptor");
	int (*reg)(const void *, size_t, const void *, uint64_t *) = (int (*)(const void *, size_t, const void *, uint64_t *))dlsym(hooks, "jd_register_object");
	int (*unreg)(uint64_t) = (int (*)(uint64_t))dlsym(hooks, "jd_unregister_object");
	check(theirs && theirs != &__jit_debug_descriptor, "the hooks have a descriptor of their own");
	if (!theirs || !reg || !unreg)
		return 1;

	/* The host registers its object, GDB's way. */
	struct jit_code_entry *mine = calloc(1, sizeof(*mine));
	mine->symfile_addr = (const char *)obj;
	mine->symfile_size = size;
	__jit_debug_descriptor.first_entry = __jit_debug_descriptor.relevant_entry = mine;
	__jit_debug_descriptor.action_flag = 1;
	__jit_debug_register_code();

	/* The hooks register theirs. */
	uint64_t id = 0;
	check(reg(obj, size, NULL, &id) == 0, "the hooks register an object");
	check(count(&__jit_debug_descriptor) == 1, "the host's list holds only the host's entry");
	check(count(theirs) >= 1 && theirs->first_entry != mine, "the hooks' list holds the hooks' entry");

	/* The host takes its entry out and frees it, GDB's way; the hooks' list is untouched. */
	__jit_debug_descriptor.first_entry = NULL;
	__jit_debug_descriptor.relevant_entry = mine;
	__jit_debug_descriptor.action_flag = 2;
	__jit_debug_register_code();
	free(mine);
	check(count(theirs) >= 1, "after the host freed its entry, the hooks' list is intact");
	check(unreg(id) == 0, "the hooks unregister their object");
	free(obj);
	return failures ? 1 : 0;
}
