/* test_numbers.c — jitdebug/numbers.c: object ids as users see and type them (registry ids in
 * decimal, other registrars' as f<hex>), round trips and refusals. */
#include "check.h"
#include "jitdebug.h"

#include <errno.h>
#include <string.h>

static void test_ids_round_trip(void)
{
	const uint64_t ids[] = {1, 42, JD_FOREIGN_ID_BIT - 1, JD_FOREIGN_ID_BIT | 0x555555633100ull,
				JD_FOREIGN_ID_BIT | 1, UINT64_MAX};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char text[24];
		uint64_t back = 0;
		CHECK(jd_id_format(ids[i], text, sizeof(text)) == 0 && jd_id_parse(text, &back) == 0 && back == ids[i],
		      "%s -> %#llx", text, (unsigned long long)back);
	}
	char text[24];
	CHECK(jd_id_format(JD_FOREIGN_ID_BIT | 0x555555633100ull, text, sizeof(text)) == 0 &&
		      strcmp(text, "f555555633100") == 0, "%s", text);
	CHECK(jd_id_format(UINT64_MAX, text, 4) == -ERANGE, "a short buffer filled");
}

static void test_ids_refused(void)
{
	const char *bad[] = {"", "0", "f", "f0", "fx1", "F12", "-1", "12a", " 1", "0x10",
			     "9223372036854775808",   /* 2^63: a registry id never reaches the foreign bit */
			     "f8000000000000000",     /* an address with bit 63 set */
			     "f10000000000000000",    /* 17 digits */
			     "f8000000000000000000", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t id = 7;
		CHECK(jd_id_parse(bad[i], &id) == -EINVAL && id == 7, "'%s' accepted", bad[i]);
	}
	uint64_t id;
	CHECK(jd_id_parse(NULL, &id) == -EINVAL, "NULL accepted");
}

int main(void)
{
	RUN(test_ids_round_trip);
	RUN(test_ids_refused);
	return check_report();
}
