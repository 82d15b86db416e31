/* perfmap.c — /tmp/perf-<pid>.map, the symbol map `perf report` reads for anonymous executable
 * memory. One "START SIZE name" line per function (hex without 0x; the name is the rest of the
 * line, so newlines in names are replaced). One object's lines go out in one write() under one lock,
 * so lines of concurrent registrations never interleave. The file is the conventional predictable
 * name in /tmp, so it is opened with O_NOFOLLOW and reused only if it is a regular file we own with
 * no other name (a hard link planted there would make us truncate and write someone else's file); a
 * stale one from an earlier process with the same pid is truncated. A failed write (full disk,
 * EFBIG) is cut back to the last whole line, and the map stops there: perf reads a line torn
 * mid-way as a wrong symbol. */
#include "perf-outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct jd_own_file map = JD_OWN_FILE_INIT;
static int failed;
static off_t good_len; /* file length after the last complete write */

static int open_map(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	good_len = 0;
	if (jd_open_own_file(&map, path, O_WRONLY | O_APPEND) == 0)
		return 0;
	jd_warn_once("cannot write %s (%s); perf map output is off", path, strerror(errno));
	return -1;
}

int jd_perfmap_append(const struct jd_perf_func *f, size_t n)
{
	size_t cap = 0;
	for (size_t i = 0; i < n; i++)
		cap += 40 + strlen(f[i].name);
	char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, cap + 1 - len, "%llx %llx ", (unsigned long long)f[i].addr,
					(unsigned long long)f[i].size);
		for (const char *c = f[i].name; *c; c++)
			buf[len++] = (*c == '\n' || *c == '\r') ? '?' : *c;
		buf[len++] = '\n';
	}
	int err = 0;
	pthread_mutex_lock(&mu);
	if (map.fd < 0 && !failed && open_map() < 0)
		failed = 1;
	if (map.fd < 0 || jd_own_file_check(&map) != 0) {
		failed = 1;
		err = -EIO;
	} else if ((err = jd_write_all(map.fd, buf, len)) != 0) {
		jd_warn_once("writing the perf map failed (%s); it ends at its last whole line, and later lines are "
			     "dropped and counted", strerror(-err));
		if (ftruncate(map.fd, good_len) != 0)
			jd_warn_once("cannot cut the perf map back to its last whole line");
		jd_own_file_close(&map);
		failed = 1;
	} else {
		good_len += (off_t)len;
	}
	pthread_mutex_unlock(&mu);
	free(buf);
	return err;
}

void jd_perfmap_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE) {
		pthread_mutex_lock(&mu);
		return;
	}
	if (phase == JD_FORK_CHILD) {
		/* The child has its own pid: its lines go to its own file, opened on its first registration. */
		jd_own_file_close(&map);
		failed = 0;
		good_len = 0;
	}
	pthread_mutex_unlock(&mu);
}
