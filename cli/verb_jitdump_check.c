/* verb_jitdump_check.c — `jitdebug jitdump-check [--strict] FILE...`: validates jitdumps record by
 * record, as perf reads them (or, with --strict, as jitdebug's own writer must write them), and reports
 * every bad record with its offset (the first 20 per file, then a count), and what perf accepts but
 * skips (padding, line-0 entries, unknown record ids). */
#include "cli.h"
#include "perf-outputs.h"

#include <stdio.h>
#include <string.h>

enum { SHOWN = 20 };

struct shown {
	const char *file;
	unsigned n;
};

static void print_problem(uint64_t offset, const char *what, void *ctx)
{
	struct shown *s = ctx;
	if (s->n++ < SHOWN)
		printf("%s: bad record at offset %llu: %s\n", s->file, (unsigned long long)offset, what);
}

int cli_jitdump_check(int argc, char **argv)
{
	unsigned flags = 0;
	int first = 0;
	if (argc >= 1 && strcmp(argv[0], "--strict") == 0) {
		flags = JD_JITDUMP_STRICT;
		first = 1;
	}
	if (argc - first < 1 || (argc > first && strncmp(argv[first], "--", 2) == 0)) {
		cli_verb_usage("jitdump-check");
		return 2;
	}
	int status = 0;
	for (int i = first; i < argc; i++) {
		unsigned long size;
		const uint8_t *data = cli_map_file(argv[i], &size);
		if (!data) {
			status = 1;
			continue;
		}
		struct shown s = {argv[i], 0};
		struct jd_jitdump_report r;
		int rc = jd_jitdump_check_all(data, size, flags, print_problem, &s, &r);
		char skipped[160] = "";
		if (r.padded || r.line_zero || r.unknown)
			snprintf(skipped, sizeof(skipped), " (perf reads past: %llu padded records, %llu line-0 entries, "
				 "%llu records of unknown ids)", (unsigned long long)r.padded, (unsigned long long)r.line_zero,
				 (unsigned long long)r.unknown);
		if (rc == 0) {
			printf("%s: ok, %llu records%s\n", argv[i], (unsigned long long)r.records, skipped);
		} else {
			if (s.n > SHOWN)
				printf("%s: ... and %u more bad records\n", argv[i], s.n - SHOWN);
			printf("%s: %llu bad of %llu records, the first at offset %llu (after %llu good records)%s\n", argv[i],
			       (unsigned long long)r.bad, (unsigned long long)r.records, (unsigned long long)r.first_bad_offset,
			       (unsigned long long)r.first_good, skipped);
			status = 1;
		}
		cli_unmap_file(data, size);
	}
	return status;
}
