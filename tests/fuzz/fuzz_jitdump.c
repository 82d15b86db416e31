/* fuzz_jitdump.c — libFuzzer target: arbitrary bytes through the jitdump validator. */
#include "perf-outputs.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jd_jitdump_diag d;
	if (jd_jitdump_check(data, size, &d) != 0)
		(void)strlen(d.message);
	return 0;
}
