/* consumer.c — a program built against an installed jitdebug only (tests/integration/installed.sh):
 * through pkg-config and through find_package(jitdebug), shared and static. It JITs one function
 * (x86-64: lea 1(%rdi,%rdi), %eax; ret), registers it with the light-JIT API and calls it.
 *
 *   consumer [wait]   prints "consumer: jitdebug V, object N, twice_plus_one(20) = 41"; with "wait",
 *                     keeps the function registered until its input ends (for a debugger to attach). */
#include <jitdebug-hooks.h>
#include <jitdebug-version.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static const unsigned char twice_plus_one[] = {0x8d, 0x44, 0x3f, 0x01, 0xc3};

int main(int argc, char **argv)
{
	void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memcpy(mem, twice_plus_one, sizeof(twice_plus_one));
	if (mprotect(mem, 4096, PROT_READ | PROT_EXEC) != 0)
		return 1;
	struct jd_function fn = {.name = "twice_plus_one", .addr = (uint64_t)(uintptr_t)mem, .size = sizeof(twice_plus_one)};
	uint64_t id = 0;
	char err[256];
	if (jd_register_function(&fn, NULL, &id, err, sizeof(err)) != 0) {
		fprintf(stderr, "consumer: %s\n", err);
		return 1;
	}
	int (*f)(int) = (int (*)(int))mem;
	printf("consumer: jitdebug %s, object %llu, twice_plus_one(20) = %d\n", JD_VERSION_STRING, (unsigned long long)id,
	       f(20));
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "wait") == 0)
		while (getchar() != EOF)
			;
	return jd_unregister_object(id) == 0 ? 0 : 1;
}
