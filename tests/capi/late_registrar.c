/* late_registrar.c — the hooks notice a GDB JIT registrar that is dlopen'ed after start (at a later
 * registration, at most a second after the last look), and look again at every module once one was
 * removed:
 *
 *   late_registrar OBJECT LIBRARY
 *
 * registers OBJECT, dlopens LIBRARY (which has its own __jit_debug_descriptor), waits past the hooks'
 * one-second gate and registers again: the hooks' warning names LIBRARY. Then dlcloses it, loads it
 * again, registers once more, and prints "ok" when every registration succeeded. */
#include "jitdebug-hooks.h"
#include "objfile.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static int reg(const uint8_t *obj, size_t size)
{
	uint64_t id;
	usleep(1100 * 1000); /* past the hooks' once-a-second gate on the registration path */
	return jd_register_object(obj, size, NULL, &id) == 0 && jd_unregister_object(id) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	size_t size;
	uint8_t *obj = read_object(argv[1], &size);
	if (!obj)
		return 1;
	int bad = reg(obj, size);
	fprintf(stderr, "late_registrar: loading %s\n", argv[2]);
	void *lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "late_registrar: %s\n", dlerror());
		return 1;
	}
	bad |= reg(obj, size);
	dlclose(lib);
	bad |= reg(obj, size);
	lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	bad |= !lib || reg(obj, size);
	printf("%s\n", bad ? "failed" : "ok");
	return bad;
}
