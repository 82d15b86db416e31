/* jitdump_check.c — `jitdebug jitdump-check FILE...`: validates jitdumps record by record and reports
 * the first bad record with its offset. */
#include "cli.h"
#include "perf-outputs.h"

#include <stdio.h>

int cli_jitdump_check(int argc, char **argv)
{
	if (argc < 1) {
		fprintf(stderr, "usage: jitdebug jitdump-check FILE...\n");
		return 2;
	}
	int status = 0;
	for (int i = 0; i < argc; i++) {
		unsigned long size;
		const uint8_t *data = cli_map_file(argv[i], &size);
		if (!data) {
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
		cli_unmap_file(data, size);
	}
	return status;
}
