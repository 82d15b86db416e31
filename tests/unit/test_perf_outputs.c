/* test_perf_outputs.c — the perf writers (perfmap/) against hostile objects and hostile files:
 * sizes and addresses that overflow (each must register promptly, the function skipped by perf, and
 * the next registration must still work), a perf map that hits EFBIG (cut back to whole lines), a hard
 * link, a FIFO, a symbolic link, a device or another user's file planted where the perf map or the
 * jitdump will be written (refused without blocking, the other file left alone), the descriptors
 * closed and their numbers reused by the program (the program's files left alone, ours opened again),
 * and one object of 8,192 functions (its cost linear: a scan per function took minutes). The test
 * bounds its own time with alarm(), and each child's: a hang is a failure, not a CI time-out.
 *   test_perf_outputs MANY.o   (tests/fixtures/many.c) */
#include "check.h"
#include "elfbuild.h"
#include "jitdebug-hooks.h"
#include "objfile.h"
#include "../capi/place.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/jd-perf-outputs.XXXXXX";
/* The code the objects describe: readable memory, so a good function gets a CODE_LOAD. */
static uint8_t code[2 * 4096] __attribute__((aligned(4096))) = {0x55, 0x48, 0x89, 0xe5, 0x31, 0xc0, 0x5d, 0xc3};

static void quiet_log(int level, const char *msg, void *ctx) { (void)level, (void)msg, (void)ctx; }

static void outputs_on(int perfmap, const char *jitdump)
{
	struct jd_hooks_opts o = {.sz = sizeof(o), .gdb_mode = JD_GDB_OFF, .perfmap = perfmap, .jitdump = jitdump};
	CHECK(jd_hooks_init(&o) == 0, "init");
}

static struct jd_hooks_stats stats(void)
{
	struct jd_hooks_stats s = {.sz = sizeof(s)};
	jd_hooks_stats(&s);
	return s;
}

static int register_ok(struct eb *b)
{
	uint64_t id;
	int err = jd_register_object(b->buf, b->size, NULL, &id);
	if (err == 0)
		jd_unregister_object(id);
	return err;
}

static void good_object(struct eb *b)
{
	eb_build(b, (uint64_t)(uintptr_t)code);
	eb_shdr(b, EB_BSS)->sh_size = 0;
}

/* Every way an object's numbers can overflow the writers' arithmetic. */
static void overflowing_sizes_register_and_are_skipped(void)
{
	outputs_on(1, dir);
	struct eb b;
	good_object(&b);
	struct jd_hooks_stats s0 = stats();
	CHECK(register_ok(&b) == 0, "a good object");
	struct jd_hooks_stats s1 = stats();
	CHECK(s1.jitdump_loads == s0.jitdump_loads + 1 && s1.perfmap_lines == s0.perfmap_lines + 1,
	      "the good function is written: loads %llu -> %llu", (unsigned long long)s0.jitdump_loads,
	      (unsigned long long)s1.jitdump_loads);

	static const struct { const char *what; uint64_t st_size, st_value, sh_addr, sh_size; int nobits; } cases[] = {
		{"st_size near 2^64", UINT64_MAX - 7, 0, 0, 0, 0},
		{"st_size 2^63", 1ull << 63, 0, 0, 0, 0},
		{"st_size past its section", 4096, 0, 0, 0, 0},
		{"st_value near 2^64 (address wraps)", 8, UINT64_MAX - 3, 0, 0, 0},
		{"section ending past 2^64", 8, 0, UINT64_MAX - 0xfff, 0, 0},
		{"NOBITS text of 2^62 bytes", 1ull << 62, 0, 0, 1ull << 62, 1},
		{"NOBITS text near 2^64 bytes (the reader may refuse it)", UINT64_MAX - 0x2000, 0, 0, UINT64_MAX - 0x1000, 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		good_object(&b);
		Elf64_Sym *f = eb_sym(&b, EB_SYM_FUNC);
		Elf64_Shdr *t = eb_shdr(&b, EB_TEXT);
		f->st_size = cases[i].st_size;
		if (cases[i].st_value)
			f->st_value = cases[i].st_value;
		if (cases[i].sh_addr)
			t->sh_addr = cases[i].sh_addr;
		if (cases[i].nobits) {
			t->sh_type = SHT_NOBITS;
			t->sh_size = cases[i].sh_size;
		}
		struct jd_hooks_stats a = stats();
		int err = register_ok(&b);
		struct jd_hooks_stats z = stats();
		CHECK(err == 0 || (err == -EINVAL && strstr(cases[i].what, "may refuse")), "%s: registration %d",
		      cases[i].what, err);
		CHECK(z.jitdump_loads == a.jitdump_loads && z.perfmap_lines == a.perfmap_lines,
		      "%s: not written for perf (loads +%llu, lines +%llu)", cases[i].what,
		      (unsigned long long)(z.jitdump_loads - a.jitdump_loads),
		      (unsigned long long)(z.perfmap_lines - a.perfmap_lines));
	}
	good_object(&b);
	s0 = stats();
	CHECK(register_ok(&b) == 0, "a good object after them");
	s1 = stats();
	CHECK(s1.jitdump_loads == s0.jitdump_loads + 1, "the writers still work");
	jd_hooks_fini();
}

/* Runs fn in a child (with its own pid, so its own perf files) and returns its exit status. */
static int in_child(int (*fn)(void *), void *arg, pid_t *pid_out, int go_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		if (go_fd >= 0 && read(go_fd, &c, 1) != 1)
			_exit(90);
		_exit(fn(arg));
	}
	*pid_out = pid;
	return pid;
}

/* The child's exit status; 124 (and the child killed) when it has not ended within 20 s. */
static int wait_status(pid_t pid)
{
	int st = 0;
	for (int i = 0; i < 2000; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return 125;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 124;
}

static int register_until_efbig(void *arg)
{
	(void)arg;
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit r = {100, 100};
	setrlimit(RLIMIT_FSIZE, &r);
	jd_hooks_set_log(quiet_log, NULL);
	outputs_on(1, "");
	struct eb b;
	good_object(&b);
	for (int i = 0; i < 10; i++)
		if (register_ok(&b) != 0)
			return 1;
	return stats().perfmap_dropped > 0 ? 0 : 2;
}

static void perf_map_cut_back_to_whole_lines(void)
{
	pid_t pid;
	in_child(register_until_efbig, NULL, &pid, -1);
	CHECK(wait_status(pid) == 0, "the child registered past EFBIG and counted dropped lines");
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)pid);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	CHECK(n > 0 && n < 100, "map written up to the limit (%zd bytes)", n);
	if (n > 0) {
		buf[n] = '\0';
		CHECK(buf[n - 1] == '\n', "the map ends with a whole line: ...%s", buf + (n > 20 ? n - 20 : 0));
		int lines = 0;
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"), lines++) {
			unsigned long long a, s;
			char name[64];
			CHECK(sscanf(line, "%llx %llx %63s", &a, &s, name) == 3 && strcmp(name, "jd_func") == 0 &&
				      a == (unsigned long long)(uintptr_t)code && s == 8,
			      "line '%s'", line);
		}
		CHECK(lines >= 1, "whole lines before the cut");
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
}

static const char *victim_text = "not yours\n";

static int register_with_outputs(void *arg)
{
	jd_hooks_set_log(quiet_log, NULL);
	outputs_on(1, arg);
	struct eb b;
	good_object(&b);
	if (register_ok(&b) != 0)
		return 1;
	struct jd_hooks_stats s = stats();
	return (s.perfmap_dropped ? 0 : 4) | (arg && *(const char *)arg ? (s.jitdump_dropped ? 0 : 8) : 0);
}

static int victim_intact(const char *path)
{
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(victim_text) && strcmp(buf, victim_text) == 0;
}

/* What can be planted at a perf file's path; each is refused at once, and the file behind it (if
 * any) is left as it was. */
enum plant { PLANT_HARDLINK, PLANT_FIFO, PLANT_SYMLINK, PLANT_DEVICE, PLANT_OTHER_USER, PLANT_KINDS };
static const char *plant_name[] = {"a hard link", "a FIFO", "a symbolic link", "a device", "another user's file"};

static int plant(enum plant kind, const char *path, const char *victim)
{
	switch (kind) {
	case PLANT_HARDLINK: return link(victim, path);
	case PLANT_FIFO: return mkfifo(path, 0666);
	case PLANT_SYMLINK: return symlink(victim, path);
	case PLANT_DEVICE: /* /dev/null's numbers; without the right to make one, a link to it */
		return geteuid() == 0 ? mknod(path, S_IFCHR | 0666, makedev(1, 3)) : symlink("/dev/null", path);
	case PLANT_OTHER_USER: { /* root only (a file of our own is ours to reuse): given away */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
		int ok = fd >= 0 && write(fd, victim_text, strlen(victim_text)) == (ssize_t)strlen(victim_text);
		if (fd >= 0)
			close(fd);
		return ok && chown(path, 12345, 12345) == 0 ? 0 : -1;
	}
	default: return -1;
	}
}

/* The planted file itself is left as it was too (another user's file keeps its text). */
static void planted_files_are_refused_without_blocking(void)
{
	char victim[128], map[64], dump[160];
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	for (int kind = 0; kind < PLANT_KINDS; kind++) {
		if (kind == PLANT_OTHER_USER && geteuid() != 0)
			continue;
		int fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		CHECK(fd >= 0 && write(fd, victim_text, strlen(victim_text)) == (ssize_t)strlen(victim_text), "victim");
		if (fd >= 0)
			close(fd);
		int go[2];
		CHECK(pipe(go) == 0, "pipe");
		pid_t pid;
		in_child(register_with_outputs, dir, &pid, go[0]);
		snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)pid);
		snprintf(dump, sizeof(dump), "%s/jit-%d.dump", dir, (int)pid);
		CHECK(plant(kind, map, victim) == 0, "plant %s at %s: %s", plant_name[kind], map, strerror(errno));
		CHECK(plant(kind, dump, victim) == 0, "plant %s at %s: %s", plant_name[kind], dump, strerror(errno));
		CHECK(write(go[1], "g", 1) == 1, "go");
		int st = wait_status(pid);
		CHECK(st == 0, "%s: the child registered at once, and dropped both outputs (status %d%s)", plant_name[kind],
		      st, st == 124 ? ": it hung" : "");
		CHECK(victim_intact(victim), "%s: the file behind it was neither truncated nor written", plant_name[kind]);
		if (kind == PLANT_OTHER_USER)
			CHECK(victim_intact(map) && victim_intact(dump), "another user's files keep their text");
		unlink(map);
		unlink(dump);
		close(go[0]);
		close(go[1]);
	}
	unlink(victim);
}

/* The descriptor open on path in this process, or -1. */
static int fd_of(const char *path)
{
	char link[64], target[4096];
	for (int fd = 0; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', strcmp(target, path) == 0))
			return fd;
	}
	return -1;
}

/* A program that closes descriptors it did not open and reuses the numbers: close the perf map's
 * and the jitdump's descriptors, open files of "its own" on the same numbers, register again. */
static int take_descriptors_back(void *arg)
{
	(void)arg;
	jd_hooks_set_log(quiet_log, NULL);
	outputs_on(1, dir);
	struct eb b;
	good_object(&b);
	if (register_ok(&b) != 0)
		return 1;
	char map[64], dump[160], mine[2][160];
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", (int)getpid());
	snprintf(dump, sizeof(dump), "%s/jit-%d.dump", dir, (int)getpid());
	int fds[2] = {fd_of(map), fd_of(dump)};
	if (fds[0] < 0 || fds[1] < 0)
		return 2;
	for (int i = 0; i < 2; i++) {
		snprintf(mine[i], sizeof(mine[i]), "%s/program-%d-%d", dir, (int)getpid(), i);
		close(fds[i]);
		int fd = open(mine[i], O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0 && fd != fds[i] && dup2(fd, fds[i]) == fds[i]) { /* on that very number */
			close(fd);
			fd = fds[i];
		}
		if (fd != fds[i])
			return 3;
	}
	struct jd_hooks_stats s0 = stats();
	if (register_ok(&b) != 0)
		return 4;
	struct jd_hooks_stats s1 = stats();
	struct stat st;
	int rc = 0;
	for (int i = 0; i < 2; i++)
		if (stat(mine[i], &st) != 0 || st.st_size != 0)
			rc |= 8; /* the program's files were written */
	if (s1.files_lost != s0.files_lost + 2)
		rc |= 16;
	if (s1.perfmap_lines != s0.perfmap_lines + 1 || s1.jitdump_loads != s0.jitdump_loads + 1)
		rc |= 32; /* ours were not opened again */
	FILE *f = fopen(map, "r");
	int lines = 0;
	for (int c; f && (c = fgetc(f)) != EOF;)
		lines += c == '\n';
	if (f)
		fclose(f);
	if (lines != 2)
		rc |= 64;
	jd_hooks_fini();
	unlink(map);
	for (int i = 0; i < 2; i++)
		unlink(mine[i]);
	return rc;
}

static void descriptors_taken_back_are_left_alone(void)
{
	pid_t pid;
	in_child(take_descriptors_back, NULL, &pid, -1);
	int st = wait_status(pid);
	CHECK(st == 0, "status %d (8: the program's files written; 16: not counted as lost; 32/64: the perf files "
		       "not opened again)", st);
}

static const char *many_path;

/* One object with 8,192 functions, each with an FDE: every function gets its CODE_LOAD and its line
 * table, within the test's alarm (a scan of the relocations per function took 38 s at 4,000). */
static void a_large_object_costs_linear_time(void)
{
	size_t size;
	uint8_t *obj = read_object(many_path, &size);
	CHECK(obj != NULL, "%s", many_path);
	if (!obj)
		return;
	place_object(obj);
	outputs_on(1, dir);
	struct jd_hooks_stats s0 = stats();
	uint64_t id;
	CHECK(jd_register_object(obj, size, NULL, &id) == 0, "the object registers");
	struct jd_hooks_stats s1 = stats();
	CHECK(s1.jitdump_loads - s0.jitdump_loads == 8192 && s1.perfmap_lines - s0.perfmap_lines == 8192,
	      "8192 functions written (loads %llu, lines %llu)", (unsigned long long)(s1.jitdump_loads - s0.jitdump_loads),
	      (unsigned long long)(s1.perfmap_lines - s0.perfmap_lines));
	CHECK(s1.jitdump_debug_info - s0.jitdump_debug_info == 8192, "8192 line tables (%llu)",
	      (unsigned long long)(s1.jitdump_debug_info - s0.jitdump_debug_info));
	jd_unregister_object(id);
	free(obj);
}

int main(int argc, char **argv)
{
	alarm(120);
	if (argc != 2) {
		fprintf(stderr, "usage: test_perf_outputs MANY.o\n");
		return 2;
	}
	many_path = argv[1];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	jd_hooks_set_log(quiet_log, NULL);
	RUN(perf_map_cut_back_to_whole_lines);
	RUN(planted_files_are_refused_without_blocking);
	RUN(descriptors_taken_back_are_left_alone);
	RUN(a_large_object_costs_linear_time);
	RUN(overflowing_sizes_register_and_are_skipped); /* last: it ends the outputs (jd_hooks_fini) */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s /tmp/perf-%d.map", dir, (int)getpid());
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed: %s\n", cmd);
	return check_report();
}
