/* main.c — the jitdebug command-line tool: the options every verb shares, and the dispatch through the
 * one table of verbs (verbs.c); each verb lives in cli/verb_NAME.c. */
#include "cli.h"
#include "files.h"
#include "jitdebug.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const unsigned char *cli_map_file(const char *path, unsigned long *size)
{
	/* files.h: only a regular file is opened, and a FIFO is refused, not waited on. */
	size_t n;
	const unsigned char *data = jd_map_file(AT_FDCWD, path, 0, 0, UINT64_MAX, &n);
	if (!data) {
		int e = errno;
		fprintf(stderr, "jitdebug: %s: %s\n", path,
			e == EISDIR ? "is a directory" : e == EINVAL ? "not a regular file" : strerror(e));
		return NULL;
	}
	*size = (unsigned long)n;
	return data;
}

void cli_unmap_file(const unsigned char *data, unsigned long size)
{
	jd_unmap_file(data, size);
}

int cli_write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wbx");
	if (!f && errno == EEXIST && unlink(path) == 0)
		f = fopen(path, "wbx");
	int ok = f && fwrite(data, 1, size, f) == size;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok) {
		int e = errno;
		fprintf(stderr, "jitdebug: cannot write %s: %s\n", path, strerror(e));
		if (f)
			unlink(path); /* no partial file is left behind */
		return -1;
	}
	return 0;
}

const char *cli_value(int argc, char **argv, int *i, const char *verb)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "jitdebug %s: option '%s' needs a value\n", verb, argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

int cli_number(const char *verb, const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	int err = jd_parse_u64(s, min, max, out);
	if (err == -ERANGE)
		fprintf(stderr, "jitdebug %s: %s %s is out of range (%llu to %llu)\n", verb, what, s, (unsigned long long)min,
			(unsigned long long)max);
	else if (err)
		fprintf(stderr, "jitdebug %s: %s '%s' is not a number\n", verb, what, s);
	return err ? -1 : 0;
}

/* Past RLIMIT_FSIZE a write fails with EFBIG and is reported like any failed write (its file removed),
 * instead of SIGXFSZ ending the command mid-way. A handler, not SIG_IGN: what `perf record` runs gets
 * the default back at exec. */
static void on_xfsz(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	signal(SIGXFSZ, on_xfsz);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		cli_version();
		return 0;
	}
	if (strcmp(argv[1], "--man") == 0) /* the build writes jitdebug.1 with it */
		return cli_man();
	int status = cli_run_verb(argc - 1, argv + 1);
	if (status >= 0)
		return status;
	fprintf(stderr, "jitdebug: unknown command '%s%s%s'\n", argv[1], argc >= 3 ? " " : "", argc >= 3 ? argv[2] : "");
	cli_usage(stderr);
	return 2;
}
