/* test_descriptors.c — jitdebug/descriptors.c: the GDB JIT descriptor of a real process
 * (descriptor_host, its descriptor in .data and in .bss) found from its mapped files, as
 * `jitdebug core` finds it from a core's NT_FILE note and the hooks from the loader's list: the
 * address must be the one the process prints. Files that are not ELF or not there, and mappings that
 * do not hold the file's bytes, are passed over.
 *
 *   test_descriptors HOST_DATA HOST_BSS */
#include "check.h"
#include "jitdebug.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_MAPS 256

struct maps {
	struct jd_mapping m[MAX_MAPS];
	char paths[MAX_MAPS][512];
	size_t n;
};

/* The file mappings of /proc/PID/maps. */
static void read_maps(pid_t pid, struct maps *out)
{
	char name[64], line[1024];
	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(name, "r");
	out->n = 0;
	while (f && out->n < MAX_MAPS && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		char path[512] = "";
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %511s", &start, &end, &off, path) < 3 || path[0] != '/')
			continue;
		snprintf(out->paths[out->n], sizeof(out->paths[0]), "%s", path);
		out->m[out->n] = (struct jd_mapping){start, end, off, out->paths[out->n]};
		out->n++;
	}
	if (f)
		fclose(f);
}

struct found {
	uint64_t addr;
	int n, hooks;
};

static int on_descriptor(const struct jd_descriptor *d, void *ctx)
{
	struct found *f = ctx;
	f->addr = d->addr;
	f->hooks |= d->hooks;
	f->n++;
	return 0;
}

static void finds_the_descriptor_of(const char *host)
{
	int in[2], out[2];
	if (pipe(in) != 0 || pipe(out) != 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(host, host, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	char line[64] = "";
	FILE *f = fdopen(out[0], "r");
	uint64_t expected = 0;
	if (f && fgets(line, sizeof(line), f))
		expected = strtoull(line, NULL, 16);
	struct maps maps;
	read_maps(pid, &maps);
	struct found got = {0};
	int rc = jd_find_descriptors(maps.m, maps.n, on_descriptor, &got);
	CHECK(expected && rc == 1 && got.n == 1 && got.addr == expected && !got.hooks,
	      "%s: rc %d, %d found at %#llx, the process says %#llx", host, rc, got.n, (unsigned long long)got.addr,
	      (unsigned long long)expected);
	/* Shifted mappings place nothing at the printed address. */
	for (size_t i = 0; i < maps.n; i++)
		maps.m[i].offset += 0x100000;
	memset(&got, 0, sizeof(got));
	jd_find_descriptors(maps.m, maps.n, on_descriptor, &got);
	CHECK(got.n == 0 || got.addr != expected, "%s: placed through mappings that do not hold its bytes", host);
	close(in[1]);
	if (f)
		fclose(f);
	waitpid(pid, NULL, 0);
}

static const char *host_data, *host_bss;
static void test_descriptor_in_data(void) { finds_the_descriptor_of(host_data); }
static void test_descriptor_in_bss(void) { finds_the_descriptor_of(host_bss); }

static void test_files_that_are_no_modules_are_passed_over(void)
{
	struct jd_mapping m[] = {
		{0x1000, 0x2000, 0, "/nonexistent/lib.so"},
		{0x3000, 0x4000, 0, "/proc/self/status"}, /* not a regular file */
		{0x5000, 0x6000, 0, "/etc/hostname"},     /* not ELF */
		{0x7000, 0x8000, 0, "relative/path"},
		{0x9000, 0x8000, 0, NULL},
	};
	struct found got = {0};
	CHECK(jd_find_descriptors(m, sizeof(m) / sizeof(m[0]), on_descriptor, &got) == 0 && got.n == 0, "%d", got.n);
	CHECK(jd_find_descriptors(NULL, 1, on_descriptor, &got) == -EINVAL, "no mappings accepted");
	CHECK(jd_find_descriptors(m, 1, NULL, &got) == -EINVAL, "no callback accepted");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_descriptors HOST_DATA HOST_BSS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	host_data = argv[1];
	host_bss = argv[2];
	RUN(test_descriptor_in_data);
	RUN(test_descriptor_in_bss);
	RUN(test_files_that_are_no_modules_are_passed_over);
	return check_report();
}
