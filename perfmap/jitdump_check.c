/* jitdump_check.c — validates a jitdump file record by record, as strictly as perf needs it and a little
 * stricter (unknown record ids and trailing bytes inside a record are errors). Every size is checked
 * against the bytes that remain before it is used. */
#include "jitdump-format.h"
#include "perf-outputs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Where the check reports: the caller's outputs (any may be NULL). */
struct diag {
	uint64_t records, *offset;
	char *err;
	size_t errlen;
};

static int bad(struct diag *d, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct diag *d, uint64_t off, const char *fmt, ...)
{
	if (d->offset)
		*d->offset = off;
	if (d->err && d->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Length of the NUL-terminated string at p within n bytes, or -1. */
static long str_in(const uint8_t *p, uint64_t n)
{
	const uint8_t *z = memchr(p, 0, n);
	return z ? (long)(z - p) : -1;
}

/* The record holds at least its fixed part (whose size is `need`). */
static int fixed_part(struct diag *d, uint64_t off, uint64_t total, size_t need, const char *what)
{
	if (total >= need)
		return 0;
	return bad(d, off, "%s of %llu bytes, the fixed part is %zu", what, (unsigned long long)total, need);
}

static int check_record(const uint8_t *r, uint32_t id, uint64_t total, uint64_t off, struct diag *d)
{
	switch (id) {
	case JD_JIT_CODE_LOAD: {
		struct jd_jitdump_code_load h;
		if (fixed_part(d, off, total, sizeof(h), "CODE_LOAD"))
			return -EINVAL;
		memcpy(&h, r, sizeof(h));
		long name = str_in(r + sizeof(h), total - sizeof(h));
		if (name < 0)
			return bad(d, off, "CODE_LOAD name is not NUL-terminated within the record");
		if (h.code_size != total - sizeof(h) - (uint64_t)name - 1)
			return bad(d, off, "CODE_LOAD code_size %llu, but the record holds %llu code bytes",
				   (unsigned long long)h.code_size, (unsigned long long)(total - sizeof(h) - (uint64_t)name - 1));
		if (h.code_size == 0)
			return bad(d, off, "CODE_LOAD of zero bytes of code");
		return 0;
	}
	case JD_JIT_CODE_DEBUG_INFO: {
		struct jd_jitdump_debug_info h;
		if (fixed_part(d, off, total, sizeof(h), "DEBUG_INFO"))
			return -EINVAL;
		memcpy(&h, r, sizeof(h));
		uint64_t at = sizeof(h);
		for (uint64_t i = 0; i < h.nr_entry; i++) {
			struct jd_jitdump_debug_entry e;
			if (total - at < sizeof(e))
				return bad(d, off + at, "DEBUG_INFO entry %llu of %llu overruns the record", (unsigned long long)i,
					   (unsigned long long)h.nr_entry);
			memcpy(&e, r + at, sizeof(e));
			at += sizeof(e);
			long name = str_in(r + at, total - at);
			if (name < 0)
				return bad(d, off + at, "DEBUG_INFO entry %llu: file name overruns the record", (unsigned long long)i);
			if (e.lineno <= 0)
				return bad(d, off + at, "DEBUG_INFO entry %llu: line %d", (unsigned long long)i, e.lineno);
			at += (uint64_t)name + 1;
		}
		if (at != total)
			return bad(d, off, "DEBUG_INFO has %llu bytes after its %llu entries", (unsigned long long)(total - at),
				   (unsigned long long)h.nr_entry);
		return 0;
	}
	case JD_JIT_CODE_UNWINDING_INFO: {
		struct jd_jitdump_unwinding_info h;
		if (fixed_part(d, off, total, sizeof(h), "UNWINDING_INFO"))
			return -EINVAL;
		memcpy(&h, r, sizeof(h));
		if (h.unwind_data_size != total - sizeof(h) || h.eh_frame_hdr_size > h.unwind_data_size)
			return bad(d, off, "UNWINDING_INFO sizes (data %llu, header %llu) do not fit its %llu bytes",
				   (unsigned long long)h.unwind_data_size, (unsigned long long)h.eh_frame_hdr_size,
				   (unsigned long long)(total - sizeof(h)));
		return 0;
	}
	case JD_JIT_CODE_MOVE:
		return total == 64 ? 0 : bad(d, off, "CODE_MOVE of %llu bytes, expected 64", (unsigned long long)total);
	case JD_JIT_CODE_CLOSE:
		return total == sizeof(struct jd_jitdump_prefix) ? 0
								  : bad(d, off, "CLOSE of %llu bytes, expected 16", (unsigned long long)total);
	default:
		return bad(d, off, "unknown record id %u", id);
	}
}

static int check(const uint8_t *data, size_t size, struct diag *d)
{
	struct jd_jitdump_header h;

	if (size < sizeof(h))
		return bad(d, 0, "%zu bytes, the header needs %zu", size, sizeof(h));
	memcpy(&h, data, sizeof(h));
	if (h.magic == JD_JITDUMP_MAGIC_SWAPPED)
		return bad(d, 0, "byte-swapped dump (written on a machine of the other byte order): not supported");
	if (h.magic != JD_JITDUMP_MAGIC)
		return bad(d, 0, "bad magic 0x%08x", h.magic);
	if (h.version != JD_JITDUMP_VERSION)
		return bad(d, 4, "version %u, expected 1", h.version);
	if (h.total_size != sizeof(h))
		return bad(d, 8, "header size %u, perf reads exactly 40", h.total_size);
	if (h.flags & ~JD_JITDUMP_FLAGS_ARCH_TIMESTAMP)
		return bad(d, 32, "unknown flags 0x%llx (perf rejects them)", (unsigned long long)h.flags);

	uint64_t off = sizeof(h);
	while (off < size) {
		struct jd_jitdump_prefix p;
		if (size - off < sizeof(p))
			return bad(d, off, "record prefix truncated: %llu bytes left", (unsigned long long)(size - off));
		memcpy(&p, data + off, sizeof(p));
		if (p.total_size < sizeof(p))
			return bad(d, off, "record size %u is smaller than its prefix", p.total_size);
		if (p.total_size > size - off)
			return bad(d, off, "record size %u runs past the end (%llu bytes left)", p.total_size,
				   (unsigned long long)(size - off));
		int err = check_record(data + off, p.id, p.total_size, off, d);
		if (err)
			return err;
		d->records++;
		off += p.total_size;
	}
	return 0;
}

int jd_jitdump_check(const uint8_t *data, size_t size, uint64_t *records, uint64_t *bad_offset, char *err,
		     size_t errlen)
{
	struct diag d = {0, bad_offset, err, errlen};
	if (err && errlen)
		err[0] = '\0';
	int rc = check(data, size, &d);
	if (records)
		*records = d.records;
	return rc;
}
