/* verb_jitdump_check.c — `jitdebug jitdump-check FILE...`: validates jitdumps record by record and reports
 * the first bad record with its offset. */
#include "cli.h"
#include "perf-outputs.h"

#include <stdio.h>

int cli_jitdump_check(int argc, char **argv)
{
	if (argc < 1) {
		cli_verb_usage("jitdump-check");
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
		uint64_t records, offset;
		char why[160];
		if (jd_jitdump_check(data, size, &records, &offset, why, sizeof(why)) == 0) {
			printf("%s: ok, %llu records\n", argv[i], (unsigned long long)records);
		} else {
			printf("%s: bad record at offset %llu (after %llu good records): %s\n", argv[i],
			       (unsigned long long)offset, (unsigned long long)records, why);
			status = 1;
		}
		cli_unmap_file(data, size);
	}
	return status;
}
