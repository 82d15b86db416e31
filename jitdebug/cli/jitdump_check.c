/* jitdump_check.c — `jitdebug jitdump-check FILE...`: validates jitdumps record by record and reports
 * the first bad record with its offset. */
#include "cli.h"
#include "perf-outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_jitdump_check(int argc, char **argv)
{
	if (argc < 1) {
		fprintf(stderr, "usage: jitdebug jitdump-check FILE...\n");
		return 2;
	}
	int status = 0;
	for (int i = 0; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			fprintf(stderr, "jitdebug: %s: %s\n", argv[i], strerror(errno));
			status = 1;
			if (fd >= 0)
				close(fd);
			continue;
		}
		size_t size = (size_t)st.st_size;
		const uint8_t *data = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : (const uint8_t *)"";
		close(fd);
		if (data == MAP_FAILED) {
			fprintf(stderr, "jitdebug: %s: %s\n", argv[i], strerror(errno));
			status = 1;
			continue;
		}
		struct jd_jitdump_diag d;
		if (jd_jitdump_check(data, size, &d) == 0) {
			printf("%s: ok, %llu records\n", argv[i], (unsigned long long)d.records);
		} else {
			printf("%s: bad record at offset %llu (after %llu good records): %s\n", argv[i],
			       (unsigned long long)d.offset, (unsigned long long)d.records, d.message);
			status = 1;
		}
		if (size)
			munmap((void *)data, size);
	}
	return status;
}
