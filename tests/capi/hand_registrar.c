/* hand_registrar.c — a hand-written JIT in GDB's jit-elf pattern: its own __jit_debug_descriptor and
 * __jit_debug_register_code, an ELF object copied into place (place.h; the fixture handjit.c needs no
 * relocations) and registered through its own list, then called. Built twice: exporting its
 * interface (-rdynamic, as GDB's jit-elf-main) and not. When the hooks are loaded (LD_PRELOAD) a
 * second object is registered through them, so that two registrars hold one object each.
 *
 *   hand_registrar HANDJIT.o [HOOKS_OBJECT.o] [crash]
 *
 * Prints "result N" (and "hooks registered id N"), checks that each list holds only its own entry,
 * then unregisters both and exits 0. With "crash", the JIT function is called with a null pointer
 * and crashes inside its frame (for core files). With $JD_GO set, it waits (30 s at most) for that
 * file before unregistering, so that a test can query the debug link meanwhile. */
#include "abi.h"
#include "objfile.h"
#include "place.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAND_EXPORTED
#define HAND_VISIBLE __attribute__((visibility("default")))
#else
#define HAND_VISIBLE __attribute__((visibility("hidden")))
#endif

HAND_VISIBLE struct jit_descriptor __jit_debug_descriptor = {1, 0, NULL, NULL};
HAND_VISIBLE void __attribute__((noinline)) __jit_debug_register_code(void) { __asm__ volatile("" ::: "memory"); }

/* The placed address of a defined symbol of the object (after place_object). */
static uint64_t symbol(const uint8_t *obj, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)obj;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(obj + eh->e_shoff);
	for (int i = 1; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		const Elf64_Sym *syms = (const Elf64_Sym *)(obj + sh[i].sh_offset);
		const char *strs = (const char *)obj + sh[sh[i].sh_link].sh_offset;
		for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++)
			if (syms[k].st_shndx && syms[k].st_shndx < eh->e_shnum && strcmp(strs + syms[k].st_name, name) == 0)
				return sh[syms[k].st_shndx].sh_addr + syms[k].st_value;
	}
	return 0;
}

static size_t count(const struct jit_descriptor *d)
{
	size_t n = 0;
	for (const struct jit_code_entry *e = d->first_entry; e && n < 1000; e = e->next_entry)
		n++;
	return n;
}

static void announce(struct jit_code_entry *e, uint32_t action)
{
	__jit_debug_descriptor.relevant_entry = e;
	__jit_debug_descriptor.action_flag = action;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = 0;
}

int main(int argc, char **argv)
{
	int crash = argc > 1 && strcmp(argv[argc - 1], "crash") == 0;
	int nargs = argc - crash;
	if (nargs < 2 || nargs > 3) {
		fprintf(stderr, "usage: hand_registrar HANDJIT.o [HOOKS_OBJECT.o] [crash]\n");
		return 2;
	}
	size_t size, hsize = 0;
	uint8_t *obj = read_object(argv[1], &size), *hobj = nargs == 3 ? read_object(argv[2], &hsize) : NULL;
	if (!obj || (nargs == 3 && !hobj))
		return 1;
	place_object(obj);
	int (*leaf)(int *, int) = (int (*)(int *, int))(uintptr_t)symbol(obj, "jd_hand_leaf");
	if (!leaf) {
		fprintf(stderr, "hand_registrar: no jd_hand_leaf in %s\n", argv[1]);
		return 1;
	}

	/* Registered GDB's way, through this program's own descriptor. */
	struct jit_code_entry *mine = calloc(1, sizeof(*mine));
	mine->symfile_addr = (const char *)obj;
	mine->symfile_size = size;
	__jit_debug_descriptor.first_entry = mine;
	announce(mine, 1);

	/* A second registrar: the hooks, when preloaded. */
	void *hooks = dlopen("libjitdebug-hooks.so.0", RTLD_NOW | RTLD_NOLOAD);
	uint64_t id = 0;
	int (*reg)(const void *, size_t, const void *, uint64_t *) = NULL;
	int (*unreg)(uint64_t) = NULL;
	if (hooks && hobj) {
		place_object(hobj); /* addresses only: its code is never called */
		reg = (int (*)(const void *, size_t, const void *, uint64_t *))dlsym(hooks, "jd_register_object");
		unreg = (int (*)(uint64_t))dlsym(hooks, "jd_unregister_object");
		if (!reg || !unreg || reg(hobj, hsize, NULL, &id) != 0) {
			fprintf(stderr, "hand_registrar: the hooks refused the object\n");
			return 1;
		}
		printf("hooks registered id %llu\n", (unsigned long long)id);
	}

	int sum = 0;
	int r = leaf(crash ? NULL : &sum, 20);
	printf("result %d sum %d\n", r, sum);
	fflush(stdout);
	int ok = count(&__jit_debug_descriptor) == 1 && __jit_debug_descriptor.first_entry == mine;
	printf("%s own list holds only its own entry\n", ok ? "ok  " : "FAIL");
	fflush(stdout);
	const char *go = getenv("JD_GO");
	for (int i = 0; go && i < 3000 && access(go, F_OK) != 0; i++)
		usleep(10000);

	if (unreg && unreg(id) != 0)
		ok = 0;
	__jit_debug_descriptor.first_entry = NULL;
	announce(mine, 2);
	free(mine);
	free(obj);
	free(hobj);
	return ok && r == 41 ? 0 : 1;
}
