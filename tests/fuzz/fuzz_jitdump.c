/* fuzz_jitdump.c — libFuzzer target: arbitrary bytes through the jitdump validator, strict and as perf
 * reads them (every bad record reported, the NUL-in-name search included). */
#include "perf-outputs.h"

#include <string.h>

static void seen(uint64_t offset, const char *what, void *ctx)
{
	(void)offset;
	*(size_t *)ctx += strlen(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160];
	if (jd_jitdump_check(data, size, NULL, NULL, why, sizeof(why)) != 0)
		(void)strlen(why);
	struct jd_jitdump_report r;
	size_t chars = 0;
	jd_jitdump_check_all(data, size, 0, seen, &chars, &r);
	jd_jitdump_check_all(data, size, JD_JITDUMP_STRICT, NULL, NULL, &r);
	return 0;
}
