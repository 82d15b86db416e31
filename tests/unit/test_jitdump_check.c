/* test_jitdump_check.c — perfmap/jitdump_check.c, the jitdump validator: a valid dump built here is
 * accepted; one crafted file per rejection rule is refused with the offset of the bad record (strict,
 * jitdebug's own writer); as perf reads them, padding, line-0 entries and unknown ids are counted and
 * accepted, file names holding NUL bytes (V8) are named as such, and every bad record is reported. */
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
	CHECK(rejected_at(&d, d.debug_off), "overrun accepted");
	build(&d);
	set64(&d, d.debug_off + offsetof(struct jd_jitdump_debug_info, nr_entry), UINT64_MAX); /* absurd count */
	CHECK(rejected_at(&d, d.debug_off), "huge count accepted");
}

/* Appends n zero bytes to the record at rec (total_size grows), moving what follows. */
static void pad_record(struct dump *d, size_t rec, size_t n)
{
	uint32_t total;
	memcpy(&total, d->b + rec + 4, 4);
	memmove(d->b + rec + total + n, d->b + rec + total, d->len - rec - total);
	memset(d->b + rec + total, 0, n);
	set32(d, rec + 4, total + (uint32_t)n);
	d->len += n;
	if (d->load_off > rec)
		d->load_off += n;
	if (d->close_off > rec)
		d->close_off += n;
}

static void perf_reads_past_padding_line_zero_and_unknown_ids(void)
{
	struct dump d;
	build(&d);
	pad_record(&d, d.debug_off, 2); /* V8 pads some DEBUG_INFO records */
	set32(&d, d.debug_off + sizeof(struct jd_jitdump_debug_info) + 20 + 8, 0); /* the last entry: line 0 (BEAM) */
	struct jd_jitdump_prefix unknown = {9, sizeof(unknown) + 4, 5}; /* a record of an id perf does not know */
	put(&d, &unknown, sizeof(unknown));
	put(&d, "abcd", 4);
	struct jd_jitdump_report r;
	CHECK(jd_jitdump_check_all(d.b, d.len, 0, NULL, NULL, &r) == 0, "perf's reading refused it: %s", r.first);
	CHECK(r.records == 4 && r.padded == 1 && r.line_zero == 1 && r.unknown == 1 && r.bad == 0,
	      "%llu records, %llu padded, %llu line 0, %llu unknown", (unsigned long long)r.records,
	      (unsigned long long)r.padded, (unsigned long long)r.line_zero, (unsigned long long)r.unknown);
	CHECK(jd_jitdump_check_all(d.b, d.len, JD_JITDUMP_STRICT, NULL, NULL, &r) < 0 && r.bad == 2,
	      "strict: line 0 and the unknown id are bad (%llu)", (unsigned long long)r.bad);
}

static unsigned seen;
static uint64_t seen_at[8];
static void note(uint64_t offset, const char *what, void *ctx)
{
	if (seen < 8)
		seen_at[seen] = offset;
	seen++;
}

static void every_bad_record_is_reported(void)
{
	struct dump d;
	build(&d);
	/* Two bad records (a CODE_LOAD claiming more code than it holds, a CLOSE of the wrong size) and
	 * good ones around them: both are named, the walk goes on. */
	set64(&d, d.load_off + offsetof(struct jd_jitdump_code_load, code_size), 99);
	pad_record(&d, d.close_off, 8);
	struct jd_jitdump_prefix c = {JD_JIT_CODE_CLOSE, sizeof(c), 9};
	put(&d, &c, sizeof(c));
	struct jd_jitdump_report r;
	seen = 0;
	CHECK(jd_jitdump_check_all(d.b, d.len, 0, note, NULL, &r) < 0, "accepted");
	CHECK(r.bad == 2 && seen == 2 && seen_at[0] == d.load_off && seen_at[1] == d.close_off && r.records == 4,
	      "%llu bad, %u seen", (unsigned long long)r.bad, seen);
	CHECK(r.first_bad_offset == d.load_off && r.first_good == 1, "the first at %llu after %llu",
	      (unsigned long long)r.first_bad_offset, (unsigned long long)r.first_good);
}

/* V8 writes some DEBUG_INFO file names with NUL bytes inside: named as such, not as a bogus line. */
static void file_names_holding_nuls_are_named(void)
{
	struct dump d;
	memset(&d, 0, sizeof(d));
	struct jd_jitdump_header h = {JD_JITDUMP_MAGIC, 1, sizeof(h), 62, 0, 123, 1, 0};
	put(&d, &h, sizeof(h));
	static const char name[] = "\x16_\x01\0\0\0\0\0\x02\xb8js"; /* 14 bytes + NUL, NULs inside */
	struct jd_jitdump_debug_info di = {{JD_JIT_CODE_DEBUG_INFO, sizeof(di) + 3 * (16 + sizeof(name)), 1}, 0x1000, 3};
	put(&d, &di, sizeof(di));
	for (int i = 0; i < 3; i++) {
		struct jd_jitdump_debug_entry e = {0x1000 + (uint64_t)i, 2 + i, 0};
		put(&d, &e, sizeof(e));
		put(&d, name, sizeof(name));
	}
	struct jd_jitdump_report r;
	CHECK(jd_jitdump_check_all(d.b, d.len, 0, NULL, NULL, &r) < 0 && strstr(r.first, "file names hold NUL bytes"),
	      "%s", r.first);
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
	RUN(perf_reads_past_padding_line_zero_and_unknown_ids);
	RUN(every_bad_record_is_reported);
	RUN(file_names_holding_nuls_are_named);
	return check_report();
}
