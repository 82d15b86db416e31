/* watches.c — what both debugger plugins do for `jit break`, done once: parsing the location, and
 * writing the watch table (jitdebug-types.h) into a stopped process through the debugger's own
 * memory reads and writes, by the protocol the hooks read it with (slots first, `active` last). */
#include "bytes.h"
#include "jitdebug.h"
#include "jitdebug-types.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int jd_parse_location(const char *spec, int *kind, char *name, size_t namelen, uint32_t *line, char *err,
		      size_t errlen)
{
	const char *colon = spec ? strrchr(spec, ':') : NULL;
	int file_line = colon && colon > spec && colon[-1] != ':' && all_digits(colon + 1);
	uint64_t ln = 0;
	size_t nlen = !spec ? 0 : file_line ? (size_t)(colon - spec) : strlen(spec);
	int bad = nlen == 0 || (file_line && jd_parse_u64(colon + 1, 1, INT32_MAX, &ln) != 0);
	for (size_t i = 0; !bad && i < nlen; i++) { /* a name may hold "::" (C++), no other colon */
		if (spec[i] == ':' && spec[i + 1] == ':' && i + 1 < nlen)
			i++;
		else if (spec[i] == ':')
			bad = 1;
	}
	if (bad) {
		snprintf(err, errlen, "bad location '%s': a function name or FILE:LINE", spec ? spec : "");
		return -EINVAL;
	}
	if (nlen >= JD_WATCH_PATTERN) {
		snprintf(err, errlen, "location too long for a watch (%d bytes at most)", JD_WATCH_PATTERN - 1);
		return -E2BIG;
	}
	if (nlen >= namelen) {
		snprintf(err, errlen, "a name buffer of %zu bytes is too small for '%s'", namelen, spec);
		return -ERANGE; /* the caller's buffer is too small */
	}
	memcpy(name, spec, nlen);
	name[nlen] = '\0';
	*kind = file_line ? JD_WATCH_FILE : JD_WATCH_SYMBOL;
	*line = (uint32_t)ln;
	return 0;
}

int jd_watch_table_write(uint64_t table, const struct jd_watch *w, size_t n, jd_read_fn read, jd_write_fn write,
			 void *ctx, char *err, size_t errlen)
{
	enum { HEADER = offsetof(struct jd_watch_table, slots) };
	uint8_t h[HEADER];
	int rc = read(ctx, table, h, sizeof(h));
	if (rc != 0) {
		snprintf(err, errlen, "jitdebug_watches at 0x%llx is unreadable", (unsigned long long)table);
		return rc < 0 ? rc : -EFAULT;
	}
	uint64_t magic = jd_le(h + offsetof(struct jd_watch_table, magic), 8);
	uint32_t version = (uint32_t)jd_le(h + offsetof(struct jd_watch_table, version), 4);
	uint32_t header_size = (uint32_t)jd_le(h + offsetof(struct jd_watch_table, header_size), 4);
	uint32_t nslots = (uint32_t)jd_le(h + offsetof(struct jd_watch_table, nslots), 4);
	uint32_t slot_size = (uint32_t)jd_le(h + offsetof(struct jd_watch_table, slot_size), 4);
	if (magic != JD_WATCH_TABLE_MAGIC || version != 1 || header_size < HEADER || header_size > 4096 ||
	    slot_size < sizeof(struct jd_watch_slot) || slot_size > 4096 || nslots > 4096) {
		snprintf(err, errlen, "jitdebug_watches at 0x%llx is not a version-1 watch table", (unsigned long long)table);
		return -EINVAL;
	}
	if (n > nslots) {
		snprintf(err, errlen, "at most %u jit break watches", nslots);
		return -E2BIG;
	}
	/* header_size, nslots and slot_size are at most 4096: the end of the slots fits 32 bits. */
	uint64_t span = (uint64_t)header_size + (uint64_t)nslots * slot_size;
	if (table > UINT64_MAX - span) {
		snprintf(err, errlen, "jitdebug_watches at 0x%llx runs past the end of the address space",
			 (unsigned long long)table);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t plen = w[i].pattern ? strlen(w[i].pattern) : 0;
		if ((w[i].kind != JD_WATCH_SYMBOL && w[i].kind != JD_WATCH_FILE) || !plen || plen >= JD_WATCH_PATTERN) {
			snprintf(err, errlen, "watch %zu: kind %d with a pattern of %zu bytes (1 to %d)", i, w[i].kind, plen,
				 JD_WATCH_PATTERN - 1);
			return -EINVAL;
		}
		struct jd_watch_slot slot;
		memset(&slot, 0, sizeof(slot));
		jd_store_le((uint8_t *)&slot.kind, (uint64_t)w[i].kind, 8);
		memcpy(slot.pattern, w[i].pattern, plen);
		if ((rc = write(ctx, table + header_size + (uint64_t)i * slot_size, &slot, sizeof(slot))) != 0) {
			snprintf(err, errlen, "cannot write the watch table at 0x%llx", (unsigned long long)table);
			return rc < 0 ? rc : -EFAULT;
		}
	}
	uint8_t active[4];
	jd_store_le(active, n, 4); /* last: the hooks read only the slots it counts */
	if ((rc = write(ctx, table + offsetof(struct jd_watch_table, active), active, sizeof(active))) != 0) {
		snprintf(err, errlen, "cannot write the watch table at 0x%llx", (unsigned long long)table);
		return rc < 0 ? rc : -EFAULT;
	}
	return 0;
}
