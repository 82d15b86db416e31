/* fuzz_jitdump.c — libFuzzer target: arbitrary bytes through the jitdump validator. */
#include "perf-outputs.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160];
	if (jd_jitdump_check(data, size, NULL, NULL, why, sizeof(why)) != 0)
		(void)strlen(why);
	return 0;
}
