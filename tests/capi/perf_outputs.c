/* perf_outputs.c — drives the hooks' perf outputs through the C API for the failure tests.
 *   perf_outputs MODE OBJECT DIR
 * The object's .text is copied into mapped memory and its sections get addresses there, as a JIT
 * would have it; then the object is registered with the perf map on and the jitdump in DIR.
 * MODE: basic | nodwarf (OBJECT has no DWARF) | brokendwarf (its .debug_line is garbled here) |
 *       full (writes fail: RLIMIT_FSIZE) | fork (the child registers too).
 * Prints "register=<rc>" and the counters as key=value lines. */
#include "jitdebug-hooks.h"
#include "objfile.h"
#include "place.h"

#include <elf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t *obj;
static size_t size;

static void garble_debug_line(void)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)obj;
	Elf64_Shdr *sh = (Elf64_Shdr *)(obj + eh->e_shoff);
	const char *names = (const char *)obj + sh[eh->e_shstrndx].sh_offset;
	for (int i = 1; i < eh->e_shnum; i++)
		if (strcmp(names + sh[i].sh_name, ".debug_line") == 0)
			memset(obj + sh[i].sh_offset + 4, 0xff, sh[i].sh_size > 4 ? sh[i].sh_size - 4 : 0);
}

static void report(const char *who, int rc)
{
	struct jd_hooks_stats s = {.sz = sizeof(s)};
	jd_hooks_stats(&s);
	printf("%s register=%d registered=%llu perfmap_lines=%llu perfmap_dropped=%llu jitdump_loads=%llu "
	       "jitdump_dropped=%llu debug_info=%llu without_lines=%llu salted=%llu\n",
	       who, rc, (unsigned long long)s.registered, (unsigned long long)s.perfmap_lines,
	       (unsigned long long)s.perfmap_dropped, (unsigned long long)s.jitdump_loads,
	       (unsigned long long)s.jitdump_dropped, (unsigned long long)s.jitdump_debug_info,
	       (unsigned long long)s.objects_without_lines, (unsigned long long)s.code_salted);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: perf_outputs MODE OBJECT DIR\n");
		return 2;
	}
	const char *mode = argv[1];
	if (!(obj = read_object(argv[2], &size)))
		return 2;
	place_object(obj);
	if (strcmp(mode, "brokendwarf") == 0)
		garble_debug_line();
	struct jd_hooks_opts o = {.sz = sizeof(o), .gdb_mode = JD_GDB_EAGER, .perfmap = 1, .jitdump = argv[3]};
	if (jd_hooks_init(&o) != 0)
		return 2;
	struct rlimit old;
	getrlimit(RLIMIT_FSIZE, &old);
	if (strcmp(mode, "full") == 0) {
		signal(SIGXFSZ, SIG_IGN); /* what a host that wants EFBIG instead of death does */
		struct rlimit rl = {200, old.rlim_max}; /* files stop growing at 200 bytes: a full disk */
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	int rc = jd_register_object(obj, size, NULL, NULL);
	setrlimit(RLIMIT_FSIZE, &old); /* our own stdout may be a file */
	report("parent", rc);
	if (strcmp(mode, "fork") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			rc = jd_register_object(obj, size, NULL, NULL);
			printf("child-pid=%d\n", (int)getpid());
			report("child", rc);
			jd_hooks_fini();
			_exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
	}
	jd_hooks_fini();
	jd_hooks_fini(); /* safe twice */
	printf("parent-pid=%d\n", (int)getpid());
	return 0;
}
