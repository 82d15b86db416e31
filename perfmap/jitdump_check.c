/* jitdump_check.c — validates a jitdump file record by record, in one of two modes:
 *  - as perf reads it (the default of `jitdebug jitdump-check`; tools/perf/util/jitdump.c): records are
 *    framed by their total_size, DEBUG_INFO entries are walked by nr_entry and UNWINDING_INFO data by
 *    its own size, so bytes after them are padding perf skips (V8 pads both); a line-0 entry is kept
 *    (BEAM ends each table with one on purpose); a record of an unknown id is skipped with a warning.
 *    Those are counted, not errors. What perf would misread is an error: sizes that overrun their
 *    record, names without their NUL, negative lines, code_size past the record;
 *  - strict (JD_JITDUMP_STRICT, for jitdebug's own writer): no padding, no line 0, no unknown id, no
 *    empty code.
 * Every record is checked and every bad one reported (the callback), not only the first; the walk stops
 * only where the framing itself breaks (a record size that cannot be right). Every size is checked
 * against the bytes that remain before it is used. */
#include "jitdump-format.h"
#include "perf-outputs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct checker {
	unsigned flags;
	jd_jitdump_problem_fn problem;
	void *ctx;
	struct jd_jitdump_report *rep;
	int in_record; /* the record being checked is counted in rep->records already */
};

/* One bad record (or header, or frame): counted, the first one kept, the callback told. */
static int bad(struct checker *c, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct checker *c, uint64_t off, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!c->rep->bad++) {
		c->rep->first_bad_offset = off;
		c->rep->first_good = c->rep->records - (uint64_t)c->in_record;
		snprintf(c->rep->first, sizeof(c->rep->first), "%s", what);
	}
	if (c->problem)
		c->problem(off, what, c->ctx);
	return -EINVAL;
}

static int strict(const struct checker *c)
{
	return (c->flags & JD_JITDUMP_STRICT) != 0;
}

/* Length of the NUL-terminated string at p within n bytes, or -1. */
static long str_in(const uint8_t *p, uint64_t n)
{
	const uint8_t *z = memchr(p, 0, n);
	return z ? (long)(z - p) : -1;
}

/* The record holds at least its fixed part (whose size is `need`). */
static int fixed_part(struct checker *c, uint64_t off, uint64_t total, size_t need, const char *what)
{
	if (total >= need)
		return 0;
	return bad(c, off, "%s of %llu bytes, the fixed part is %zu", what, (unsigned long long)total, need);
}

static int check_code_load(struct checker *c, const uint8_t *r, uint64_t total, uint64_t off)
{
	struct jd_jitdump_code_load h;
	if (fixed_part(c, off, total, sizeof(h), "CODE_LOAD"))
		return -EINVAL;
	memcpy(&h, r, sizeof(h));
	long name = str_in(r + sizeof(h), total - sizeof(h));
	if (name < 0)
		return bad(c, off, "CODE_LOAD name is not NUL-terminated within the record");
	uint64_t room = total - sizeof(h) - (uint64_t)name - 1; /* perf takes the code from the record's end */
	if (h.code_size > room || (strict(c) && h.code_size != room))
		return bad(c, off, "CODE_LOAD code_size %llu, but the record holds %llu code bytes",
			   (unsigned long long)h.code_size, (unsigned long long)room);
	if (h.code_size < room)
		c->rep->padded++;
	if (h.code_size == 0 && strict(c))
		return bad(c, off, "CODE_LOAD of zero bytes of code");
	return 0;
}

/* Whether the entry at `at` looks like one a writer meant: a positive line, an address near the
 * code's. */
static int plausible_entry(const uint8_t *r, uint64_t total, uint64_t at, uint64_t code_addr)
{
	struct jd_jitdump_debug_entry e;
	if (total - at < sizeof(e))
		return 0;
	memcpy(&e, r + at, sizeof(e));
	return e.lineno > 0 && e.addr >= code_addr && e.addr - code_addr < (1ull << 32);
}

/* A DEBUG_INFO whose entries cannot be walked: is it one whose file names hold NUL bytes (V8 writes
 * some so)? Yes when every entry is found by letting a name run past a NUL to where the next entry looks
 * right. perf, which walks by the first NUL, reads the rest of such a name as entries with bogus lines.
 * At most 64 NULs are tried per name. */
static int names_hold_nuls(const uint8_t *r, uint64_t total, const struct jd_jitdump_debug_info *h)
{
	uint64_t at = sizeof(*h);
	int skipped = 0;
	for (uint64_t i = 0; i < h->nr_entry; i++) {
		if (!plausible_entry(r, total, at, h->code_addr))
			return 0;
		at += sizeof(struct jd_jitdump_debug_entry);
		uint64_t end = at;
		int found = 0;
		for (int tries = 0; tries < 64 && end < total; tries++) {
			const uint8_t *z = memchr(r + end, 0, total - end);
			if (!z)
				return 0;
			end = (uint64_t)(z - r) + 1;
			if (i + 1 == h->nr_entry || plausible_entry(r, total, end, h->code_addr)) {
				found = 1;
				break;
			}
			skipped = 1;
		}
		if (!found)
			return 0;
		at = end;
	}
	return skipped;
}

static int check_debug_info(struct checker *c, const uint8_t *r, uint64_t total, uint64_t off)
{
	struct jd_jitdump_debug_info h;
	if (fixed_part(c, off, total, sizeof(h), "DEBUG_INFO"))
		return -EINVAL;
	memcpy(&h, r, sizeof(h));
	if (names_hold_nuls(r, total, &h))
		return bad(c, off, "DEBUG_INFO for 0x%llx: its file names hold NUL bytes, so perf reads their rest as "
			   "entries with bogus lines (a defect of the writer)", (unsigned long long)h.code_addr);
	uint64_t at = sizeof(h), zeros = 0;
	for (uint64_t i = 0; i < h.nr_entry; i++) {
		struct jd_jitdump_debug_entry e;
		if (total - at < sizeof(e))
			return bad(c, off, "DEBUG_INFO entry %llu of %llu overruns the record (at byte %llu of %llu)",
				   (unsigned long long)i, (unsigned long long)h.nr_entry, (unsigned long long)at,
				   (unsigned long long)total);
		memcpy(&e, r + at, sizeof(e));
		at += sizeof(e);
		long name = str_in(r + at, total - at);
		if (name < 0)
			return bad(c, off, "DEBUG_INFO entry %llu: file name overruns the record (at byte %llu of %llu)",
				   (unsigned long long)i, (unsigned long long)at, (unsigned long long)total);
		if (e.lineno < 0 || (e.lineno == 0 && strict(c)))
			return bad(c, off, "DEBUG_INFO entry %llu: line %d (at byte %llu of %llu)", (unsigned long long)i,
				   e.lineno, (unsigned long long)(at - sizeof(e)), (unsigned long long)total);
		zeros += e.lineno == 0;
		at += (uint64_t)name + 1;
	}
	if (at != total && strict(c))
		return bad(c, off, "DEBUG_INFO has %llu bytes after its %llu entries", (unsigned long long)(total - at),
			   (unsigned long long)h.nr_entry);
	c->rep->line_zero += zeros;
	if (at != total)
		c->rep->padded++;
	return 0;
}

static int check_unwinding_info(struct checker *c, const uint8_t *r, uint64_t total, uint64_t off)
{
	struct jd_jitdump_unwinding_info h;
	if (fixed_part(c, off, total, sizeof(h), "UNWINDING_INFO"))
		return -EINVAL;
	memcpy(&h, r, sizeof(h));
	uint64_t room = total - sizeof(h);
	if (h.unwind_data_size > room || (strict(c) && h.unwind_data_size != room) ||
	    h.eh_frame_hdr_size > h.unwind_data_size)
		return bad(c, off, "UNWINDING_INFO sizes (data %llu, header %llu) do not fit its %llu bytes",
			   (unsigned long long)h.unwind_data_size, (unsigned long long)h.eh_frame_hdr_size,
			   (unsigned long long)room);
	if (h.unwind_data_size < room)
		c->rep->padded++;
	return 0;
}

static int check_record(struct checker *c, const uint8_t *r, uint32_t id, uint64_t total, uint64_t off)
{
	switch (id) {
	case JD_JIT_CODE_LOAD:
		return check_code_load(c, r, total, off);
	case JD_JIT_CODE_DEBUG_INFO:
		return check_debug_info(c, r, total, off);
	case JD_JIT_CODE_UNWINDING_INFO:
		return check_unwinding_info(c, r, total, off);
	case JD_JIT_CODE_MOVE:
		return total == 64 ? 0 : bad(c, off, "CODE_MOVE of %llu bytes, expected 64", (unsigned long long)total);
	case JD_JIT_CODE_CLOSE:
		return total == sizeof(struct jd_jitdump_prefix) ? 0
								  : bad(c, off, "CLOSE of %llu bytes, expected 16", (unsigned long long)total);
	default:
		if (strict(c))
			return bad(c, off, "unknown record id %u", id);
		c->rep->unknown++;
		return 0;
	}
}

int jd_jitdump_check_all(const uint8_t *data, size_t size, unsigned flags, jd_jitdump_problem_fn problem, void *ctx,
			 struct jd_jitdump_report *rep)
{
	struct jd_jitdump_report local;
	struct checker c = {flags, problem, ctx, rep ? rep : &local, 0};
	memset(c.rep, 0, sizeof(*c.rep));
	struct jd_jitdump_header h;

	if (size < sizeof(h))
		return bad(&c, 0, "%zu bytes, the header needs %zu", size, sizeof(h));
	memcpy(&h, data, sizeof(h));
	if (h.magic == JD_JITDUMP_MAGIC_SWAPPED)
		return bad(&c, 0, "byte-swapped dump (written on a machine of the other byte order): not supported");
	if (h.magic != JD_JITDUMP_MAGIC)
		return bad(&c, 0, "bad magic 0x%08x", h.magic);
	if (h.version != JD_JITDUMP_VERSION)
		return bad(&c, 4, "version %u, expected 1", h.version);
	if (h.total_size != sizeof(h))
		return bad(&c, 8, "header size %u, perf reads exactly 40", h.total_size);
	if (h.flags & ~JD_JITDUMP_FLAGS_ARCH_TIMESTAMP)
		return bad(&c, 32, "unknown flags 0x%llx (perf rejects them)", (unsigned long long)h.flags);

	uint64_t off = sizeof(h);
	while (off < size) {
		struct jd_jitdump_prefix p;
		/* A broken frame ends the walk: the next record cannot be found. */
		if (size - off < sizeof(p))
			return bad(&c, off, "record prefix truncated: %llu bytes left", (unsigned long long)(size - off));
		memcpy(&p, data + off, sizeof(p));
		if (p.total_size < sizeof(p))
			return bad(&c, off, "record size %u is smaller than its prefix", p.total_size);
		if (p.total_size > size - off)
			return bad(&c, off, "record size %u runs past the end (%llu bytes left)", p.total_size,
				   (unsigned long long)(size - off));
		c.rep->records++;
		c.in_record = 1;
		check_record(&c, data + off, p.id, p.total_size, off); /* a bad record is counted; the walk goes on */
		c.in_record = 0;
		off += p.total_size;
	}
	return c.rep->bad ? -EINVAL : 0;
}

int jd_jitdump_check(const uint8_t *data, size_t size, uint64_t *records, uint64_t *bad_offset, char *err,
		     size_t errlen)
{
	struct jd_jitdump_report rep;
	int rc = jd_jitdump_check_all(data, size, JD_JITDUMP_STRICT, NULL, NULL, &rep);
	if (records) /* the good records before the first bad one */
		*records = rc ? rep.first_good : rep.records;
	if (rc && bad_offset)
		*bad_offset = rep.first_bad_offset;
	if (err && errlen)
		snprintf(err, errlen, "%s", rc ? rep.first : "");
	return rc;
}
