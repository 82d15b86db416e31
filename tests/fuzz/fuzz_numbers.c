/* fuzz_numbers.c — libFuzzer target: the one strict parser for numbers and HOST:PORT that users type
 * (jd_parse_u64, jd_parse_hostport), with its invariants checked: an accepted value lies in its
 * range, prints back to a string that parses to the same value, and an accepted port is 0-65535. */
#include "jitdebug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 200)
		return 0;
	char s[256];
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	/* A range from the first byte: [b, b * 2^(b%64)] or the whole u64. */
	uint64_t min = data[0] & 0x0f, max = data[0] & 0x80 ? UINT64_MAX : (uint64_t)1000 << (data[0] & 0x1f);
	uint64_t v = 12345;
	int err = jd_parse_u64(s, min, max, &v);
	if (err == 0) {
		if (v < min || v > max)
			abort();
		char back[32];
		uint64_t w;
		snprintf(back, sizeof(back), "%llu", (unsigned long long)v);
		if (jd_parse_u64(back, 0, UINT64_MAX, &w) != 0 || w != v)
			abort();
	} else if (v != 12345) {
		abort(); /* a refused number leaves the output alone */
	}
	char host[64], why[192];
	uint16_t port;
	if (jd_parse_hostport(s, host, sizeof(host), &port, why, sizeof(why)) == 0) {
		if (strlen(host) >= sizeof(host) || !strrchr(s, ':'))
			abort();
	} else if (!memchr(why, 0, sizeof(why)) || !why[0]) {
		abort(); /* every refusal says why */
	}
	return 0;
}
