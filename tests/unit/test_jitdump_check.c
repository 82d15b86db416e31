/* test_jitdump_check.c — perfmap/jitdump_check.c, the jitdump validator: a valid dump built here is accepted; one crafted file per
 * rejection rule is refused with the offset of the bad record. */
#include "check.h"
#include "jitdump-format.h"
#include "perf-outputs.h"

#include <stddef.h>
#include <string.h>

struct dump {
	uint8_t b[4096];
	size_t len;
	size_t load_off, debug_off, close_off;
};

/* Records are packed (no alignment), so fields are written with memcpy. */
static void set32(struct dump *d, size_t off, uint32_t v) { memcpy(d->b + off, &v, sizeof(v)); }
static void set64(struct dump *d, size_t off, uint64_t v) { memcpy(d->b + off, &v, sizeof(v)); }

static void put(struct dump *d, const void *p, size_t n)
{
	memcpy(d->b + d->len, p, n);
	d->len += n;
}

/* header, DEBUG_INFO (2 entries), CODE_LOAD "f" with 4 code bytes, CLOSE */
static void build(struct dump *d)
{
	memset(d, 0, sizeof(*d));
	struct jd_jitdump_header h = {JD_JITDUMP_MAGIC, 1, sizeof(h), 62, 0, 123, 1, 0};
	put(d, &h, sizeof(h));
	d->debug_off = d->len;
	struct jd_jitdump_debug_info di = {{JD_JIT_CODE_DEBUG_INFO, sizeof(di) + 2 * (16 + 4), 2}, 0x1000, 2};
	put(d, &di, sizeof(di));
	struct jd_jitdump_debug_entry e1 = {0x1000, 3, 0}, e2 = {0x1002, 4, 0};
	put(d, &e1, sizeof(e1));
	put(d, "a.c", 4);
	put(d, &e2, sizeof(e2));
	put(d, "a.c", 4);
	d->load_off = d->len;
	struct jd_jitdump_code_load cl = {{JD_JIT_CODE_LOAD, sizeof(cl) + 2 + 4, 3}, 123, 123, 0x1000, 0x1000, 4, 0};
	put(d, &cl, sizeof(cl));
	put(d, "f", 2);
	put(d, "\x55\x31\xc0\xc3", 4);
	d->close_off = d->len;
	struct jd_jitdump_prefix c = {JD_JIT_CODE_CLOSE, sizeof(c), 4};
	put(d, &c, sizeof(c));
}

static int rejected_at(struct dump *d, uint64_t off)
{
	uint64_t at = UINT64_MAX;
	char why[160];
	int r = jd_jitdump_check(d->b, d->len, NULL, &at, why, sizeof(why));
	if (r == 0)
		return 0;
	CHECK(why[0], "message");
	CHECK(at == off, "offset %llu, expected %llu (%s)", (unsigned long long)at, (unsigned long long)off, why);
	return 1;
}

static void accepts_valid_dump(void)
{
	struct dump d;
	build(&d);
	uint64_t records = 0;
	char why[160];
	CHECK(jd_jitdump_check(d.b, d.len, &records, NULL, why, sizeof(why)) == 0 && records == 3, "%s", why);
}

static void rejects_bad_magic(void)
{
	struct dump d;
	build(&d);
	d.b[0] ^= 0xff;
	CHECK(rejected_at(&d, 0), "bad magic accepted");
}

static void rejects_header_size(void)
{
	struct dump d;
	build(&d);
	set32(&d, offsetof(struct jd_jitdump_header, total_size), 48);
	CHECK(rejected_at(&d, 8), "header size accepted");
	build(&d);
	d.len = 39;
	CHECK(rejected_at(&d, 0), "truncated header accepted");
}

static void rejects_unknown_flags(void)
{
	struct dump d;
	build(&d);
	set64(&d, offsetof(struct jd_jitdump_header, flags), 2);
	CHECK(rejected_at(&d, 32), "flags accepted");
}

static void rejects_record_size_past_end(void)
{
	struct dump d;
	build(&d);
	set32(&d, d.close_off + offsetof(struct jd_jitdump_prefix, total_size), 17);
	CHECK(rejected_at(&d, d.close_off), "record past end accepted");
	build(&d);
	d.len -= 3; /* a truncated prefix */
	CHECK(rejected_at(&d, d.close_off), "truncated prefix accepted");
}

static void rejects_unterminated_name(void)
{
	struct dump d;
	build(&d);
	memset(d.b + d.load_off + sizeof(struct jd_jitdump_code_load), 'x', 2 + 4); /* name and code without a NUL */
	CHECK(rejected_at(&d, d.load_off), "unterminated name accepted");
}

static void rejects_wrong_code_size(void)
{
	struct dump d;
	build(&d);
	set64(&d, d.load_off + offsetof(struct jd_jitdump_code_load, code_size), 5);
	CHECK(rejected_at(&d, d.load_off), "wrong code size accepted");
}

static void rejects_debug_entry_overrun(void)
{
	struct dump d;
	build(&d);
	set64(&d, d.debug_off + offsetof(struct jd_jitdump_debug_info, nr_entry), 3);
	CHECK(rejected_at(&d, d.debug_off + sizeof(struct jd_jitdump_debug_info) + 2 * 20), "overrun accepted");
	build(&d);
	set64(&d, d.debug_off + offsetof(struct jd_jitdump_debug_info, nr_entry), UINT64_MAX); /* absurd count */
	CHECK(rejected_at(&d, d.debug_off + sizeof(struct jd_jitdump_debug_info) + 2 * 20), "huge count accepted");
}

static void rejects_unknown_record(void)
{
	struct dump d;
	build(&d);
	set32(&d, d.close_off + offsetof(struct jd_jitdump_prefix, id), 9);
	CHECK(rejected_at(&d, d.close_off), "unknown id accepted");
}

int main(void)
{
	RUN(accepts_valid_dump);
	RUN(rejects_bad_magic);
	RUN(rejects_header_size);
	RUN(rejects_unknown_flags);
	RUN(rejects_record_size_past_end);
	RUN(rejects_unterminated_name);
	RUN(rejects_wrong_code_size);
	RUN(rejects_debug_entry_overrun);
	RUN(rejects_unknown_record);
	return check_report();
}
