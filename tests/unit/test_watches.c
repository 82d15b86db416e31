/* test_watches.c — jitdebug/watches.c, as both plugins' `jit break` use it: one location parser and
 * the watch table written into the target (slots first, then `active`). */
#include "check.h"
#include "fakemem.h"
#include "jitdebug.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_locations_parse_one_way(void)
{
	static const struct { const char *spec; int rc, kind; const char *name; uint32_t line; } cases[] = {
		{"jd_leaf", 0, JD_WATCH_SYMBOL, "jd_leaf", 0},
		{"ns::Shape::area", 0, JD_WATCH_SYMBOL, "ns::Shape::area", 0},
		{"crash.c:9", 0, JD_WATCH_FILE, "crash.c", 9},
		{"/src/a:b/x.c:12", -EINVAL, 0, "", 0}, /* a single colon in the file part */
		{"dir/x.c:2147483647", 0, JD_WATCH_FILE, "dir/x.c", 2147483647u},
		{"x.c:2147483648", -EINVAL, 0, "", 0},
		{"x.c:0", -EINVAL, 0, "", 0},
		{"a:b:c", -EINVAL, 0, "", 0},
		{":12", -EINVAL, 0, "", 0},
		{"f:", -EINVAL, 0, "", 0},
		{"", -EINVAL, 0, "", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int kind = -1;
		uint32_t line = 7;
		char name[256] = "", err[256] = "";
		int rc = jd_parse_location(cases[i].spec, &kind, name, sizeof(name), &line, err, sizeof(err));
		CHECK(rc == cases[i].rc, "'%s': %d (%s)", cases[i].spec, rc, err);
		if (rc == 0)
			CHECK(kind == cases[i].kind && strcmp(name, cases[i].name) == 0 && line == cases[i].line,
			      "'%s': kind %d name '%s' line %u", cases[i].spec, kind, name, line);
		else
			CHECK(strstr(err, "bad location '") != NULL, "'%s': %s", cases[i].spec, err);
	}
	char big[300], name[256], err[256];
	int kind;
	uint32_t line;
	memset(big, 'f', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(jd_parse_location(big, &kind, name, sizeof(name), &line, err, sizeof(err)) == -E2BIG, "long name");
}

static void test_watch_table_is_written_slots_then_active(void)
{
	memset(mem, 0, sizeof(mem));
	uint64_t table = BASE + 0x100;
	struct jd_watch_table t = {.magic = JD_WATCH_TABLE_MAGIC, .version = 1,
				   .header_size = offsetof(struct jd_watch_table, slots), .nslots = JD_WATCH_SLOTS,
				   .slot_size = sizeof(struct jd_watch_slot)};
	memcpy(mem + 0x100, &t, sizeof(t));
	struct jd_watch w[2] = {{JD_WATCH_SYMBOL, "jd_leaf"}, {JD_WATCH_FILE, "crash.c"}};
	char err[256];
	CHECK(jd_watch_table_write(table, w, 2, read_mem, write_mem, NULL, err, sizeof(err)) == 0, "%s", err);
	memcpy(&t, mem + 0x100, sizeof(t));
	CHECK(t.active == 2 && t.slots[0].kind == JD_WATCH_SYMBOL && strcmp(t.slots[0].pattern, "jd_leaf") == 0 &&
		      t.slots[1].kind == JD_WATCH_FILE && strcmp(t.slots[1].pattern, "crash.c") == 0,
	      "table: active %u, '%s', '%s'", t.active, t.slots[0].pattern, t.slots[1].pattern);
	struct jd_watch many[JD_WATCH_SLOTS + 1];
	for (size_t i = 0; i < JD_WATCH_SLOTS + 1; i++)
		many[i] = (struct jd_watch){JD_WATCH_SYMBOL, "f"};
	CHECK(jd_watch_table_write(table, many, JD_WATCH_SLOTS + 1, read_mem, write_mem, NULL, err, sizeof(err)) == -E2BIG &&
		      strstr(err, "at most 16"), "%s", err);
	struct jd_watch bad = {JD_WATCH_SYMBOL, ""};
	CHECK(jd_watch_table_write(table, &bad, 1, read_mem, write_mem, NULL, err, sizeof(err)) == -EINVAL, "empty pattern");
	put(table, 0x1234, 8);
	CHECK(jd_watch_table_write(table, w, 1, read_mem, write_mem, NULL, err, sizeof(err)) == -EINVAL &&
		      strstr(err, "not a version-1 watch table"), "%s", err);
	CHECK(jd_watch_table_write(0x10, w, 1, read_mem, write_mem, NULL, err, sizeof(err)) == -EFAULT, "unreadable");
}

int main(void)
{
	RUN(test_locations_parse_one_way);
	RUN(test_watch_table_is_written_slots_then_active);
	return check_report();
}
