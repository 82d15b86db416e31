/* walk.c — the JIT objects of another process or of a core file, read through a caller's
 * memory reader: the hooks' registry (`jitdebug_registry`, docs/registry.md) and GDB's JIT list
 * (`__jit_debug_descriptor`, the hooks' or another registrar's). Every read goes through the reader and is checked; walks are capped and
 * cycle-checked; sizes read from the target are capped. Problems are reported through the skipped
 * callback and the walk goes on where it can. No state: thread-safe when the reader is.
 */
#include "bytes.h"
#include "hashkeys.h"
#include "jitdebug-types.h"
#include "jitdebug.h"
#include "opts.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields are read at their offsets in the structs the hooks write (jitdebug-types.h), little-endian. */
#define REG(field) offsetof(struct jd_registry, field)
#define ENT(field) offsetof(struct jd_registry_entry, field)
#define MAX_OBJECT_SIZE ((uint64_t)JD_MAX_OBJECT_SIZE)
#define MAX_RANGE (1ull << 40)
#define DEFAULT_MAX_ENTRIES (1ull << 22)

static void report(const struct jd_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(const struct jd_walk *w, const char *fmt, ...)
{
	if (!w->skipped)
		return;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->skipped(msg, w->ctx);
}

static int check_walk(const struct jd_walk *w)
{
	if (!w || !JD_OPTS_VALID(w, JD_OPTS_END(struct jd_walk, max_entries)) || !w->read)
		return -EINVAL;
	return 0;
}

/* The version 2 fields, kept only when they make sense (a bad build-id size or kind reads as none;
 * a bad section table as no sections). */
static void read_v2(const struct jd_walk *w, const uint8_t *e, struct jd_registry_object *o)
{
	if (jd_le(e + ENT(entry_size), 4) < sizeof(struct jd_registry_entry)) {
		report(w, "object %" PRIu64 ": version 2 entry shorter than %zu bytes: no build-id", o->id,
		       sizeof(struct jd_registry_entry));
		return;
	}
	uint32_t size = e[ENT(build_id_size)], kind = e[ENT(build_id_kind)];
	if (size >= 1 && size <= JD_BUILD_ID_MAX && (kind == JD_BUILD_ID_CONTENT || kind == JD_BUILD_ID_NOTE)) {
		o->build_id_size = size;
		o->build_id_kind = kind;
		memcpy(o->build_id, e + ENT(build_id), size);
	}
	uint32_t nsec = (uint32_t)jd_le(e + ENT(nsections), 4), stride = (uint32_t)jd_le(e + ENT(section_size), 2);
	uint64_t at = jd_le(e + ENT(sections), 8);
	if (nsec && nsec <= 65535 && stride >= sizeof(struct jd_registry_section) && stride <= 256 &&
	    at + (uint64_t)nsec * stride > at) {
		o->nsections = nsec;
		o->section_size = stride;
		o->sections = at;
	}
}

int jd_walk_registry(uint64_t base, const struct jd_walk *w, struct jd_registry_header *hdr, char *err, size_t errlen)
{
	uint8_t h[sizeof(struct jd_registry)];
	if (check_walk(w) < 0) {
		snprintf(err, errlen, "bad struct jd_walk: no reader, sz smaller than the fields every caller has, or "
				      "fields this library does not know");
		return -EINVAL;
	}
	if (w->read(w->ctx, base, h, sizeof(h)) != 0) {
		snprintf(err, errlen, "cannot read the registry header at 0x%" PRIx64, base);
		return -EFAULT;
	}
	if (jd_le(h + REG(magic), 8) != JD_REGISTRY_MAGIC) {
		snprintf(err, errlen, "jitdebug_registry at 0x%" PRIx64 " has a bad magic number (corrupted memory?)", base);
		return -EINVAL;
	}
	uint32_t version = (uint32_t)jd_le(h + REG(version), 4), header_size = (uint32_t)jd_le(h + REG(header_size), 4);
	if (version < 1 || version > JD_REGISTRY_VERSION || header_size < sizeof(struct jd_registry)) {
		snprintf(err, errlen, "registry version %" PRIu32 " (header %" PRIu32 " bytes); this reader knows versions 1 "
				      "and 2", version, header_size);
		return -EPROTONOSUPPORT;
	}
	struct jd_registry_header out = {
		.generation = jd_le(h + REG(generation), 8),
		.count = jd_le(h + REG(count), 8),
		.mode = (uint32_t)jd_le(h + REG(gdb_mode), 8),
	};
	if (hdr)
		*hdr = out;

	uint64_t max = JD_OPTS_GET(w, max_entries, 0) ? w->max_entries : DEFAULT_MAX_ENTRIES;
	uint64_t cap = out.count < max ? out.count + 1 : max;
	struct jd_u64set seen = {0}; /* the entries visited (walks are capped, so it is too) */
	uint64_t cur = jd_le(h + REG(first), 8), n = 0;
	int rc = 0;
	while (cur) {
		if (n >= cap) {
			report(w, "list longer than its count (%" PRIu64 "): walk stopped", out.count);
			break;
		}
		int dup = jd_u64set_add(&seen, cur);
		if (dup < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			break;
		}
		if (dup) {
			report(w, "cycle at entry 0x%" PRIx64 ": walk stopped", cur);
			break;
		}
		/* Version 1 entries are 64 bytes: the rest is read only from a version 2 registry. */
		uint8_t e[sizeof(struct jd_registry_entry)] = {0};
		size_t want = version >= 2 ? sizeof(e) : JD_REGISTRY_ENTRY_V1;
		if (w->read(w->ctx, cur, e, want) != 0) {
			report(w, "entry at 0x%" PRIx64 " unreadable: walk stopped", cur);
			break;
		}
		n++;
		struct jd_registry_object o = {
			.entry = cur,
			.id = jd_le(e + ENT(id), 8),
			.symfile = jd_le(e + ENT(symfile_addr), 8),
			.size = jd_le(e + ENT(symfile_size), 8),
			.lo = jd_le(e + ENT(lo), 8),
			.hi = jd_le(e + ENT(hi), 8),
			.flags = (uint32_t)jd_le(e + ENT(flags), 4),
		};
		if (version >= 2)
			read_v2(w, e, &o);
		cur = jd_le(e + ENT(next), 8);
		if (o.size == 0 || o.size > MAX_OBJECT_SIZE || o.hi < o.lo || o.hi - o.lo > MAX_RANGE ||
		    o.symfile + o.size < o.symfile) {
			report(w, "object %" PRIu64 ": implausible size %" PRIu64 " or range 0x%" PRIx64 "-0x%" PRIx64, o.id,
			       o.size, o.lo, o.hi);
			continue;
		}
		if (w->object && w->object(&o, w->ctx))
			break;
	}
	jd_u64set_free(&seen);
	return rc;
}

/* The allocated-section range of the object at o->symfile, from its ELF header and section headers
 * only (two reads, whatever the object's size): lo/hi stay 0 when they are unreadable, not ELF64
 * little-endian, or give no address. */
#define MAX_RANGE_SECTIONS 4096u
static void read_range(const struct jd_walk *w, struct jd_registry_object *o)
{
	uint8_t eh[sizeof(Elf64_Ehdr)];
	if (o->size < sizeof(eh) || w->read(w->ctx, o->symfile, eh, sizeof(eh)) != 0 || memcmp(eh, ELFMAG, SELFMAG) != 0 ||
	    eh[EI_CLASS] != ELFCLASS64 || eh[EI_DATA] != ELFDATA2LSB)
		return;
	uint64_t shoff = jd_le(eh + offsetof(Elf64_Ehdr, e_shoff), 8);
	uint64_t shnum = jd_le(eh + offsetof(Elf64_Ehdr, e_shnum), 2);
	if (jd_le(eh + offsetof(Elf64_Ehdr, e_shentsize), 2) != sizeof(Elf64_Shdr) || shnum == 0 ||
	    shnum > MAX_RANGE_SECTIONS || shoff > o->size || shnum * sizeof(Elf64_Shdr) > o->size - shoff)
		return;
	uint8_t *sh = malloc(shnum * sizeof(Elf64_Shdr));
	if (!sh)
		return;
	if (w->read(w->ctx, o->symfile + shoff, sh, shnum * sizeof(Elf64_Shdr)) == 0) {
		uint64_t lo = UINT64_MAX, hi = 0;
		for (uint64_t i = 0; i < shnum; i++) {
			const uint8_t *s = sh + i * sizeof(Elf64_Shdr);
			uint64_t addr = jd_le(s + offsetof(Elf64_Shdr, sh_addr), 8);
			uint64_t size = jd_le(s + offsetof(Elf64_Shdr, sh_size), 8);
			if (!(jd_le(s + offsetof(Elf64_Shdr, sh_flags), 8) & SHF_ALLOC) || !addr || !size ||
			    size > MAX_RANGE || addr + size < addr)
				continue;
			lo = addr < lo ? addr : lo;
			hi = addr + size > hi ? addr + size : hi;
		}
		if (hi && hi - lo <= MAX_RANGE) {
			o->lo = lo;
			o->hi = hi;
		}
	}
	free(sh);
}

int jd_walk_gdb_jit_list(uint64_t descriptor, unsigned ptr_size, int big_endian, const struct jd_walk *w,
			 uint64_t *count)
{
	if (check_walk(w) < 0 || (ptr_size != 4 && ptr_size != 8))
		return -EINVAL;
	/* struct jit_descriptor { u32 version; u32 action_flag; ptr relevant_entry; ptr first_entry; }
	 * struct jit_code_entry { ptr next; ptr prev; ptr symfile_addr; u64 symfile_size; }; the u64's
	 * alignment is the target's (w->u64_align: 8 by default, 4 on i386, as LLDB's loader knows). */
	uint8_t d[4 + 4 + 2 * 8];
	if (w->read(w->ctx, descriptor, d, 8 + 2 * ptr_size) != 0) {
		report(w, "GDB JIT list: descriptor at 0x%" PRIx64 " unreadable", descriptor);
		return -EFAULT;
	}
	uint64_t cur = jd_load(d + 8 + ptr_size, ptr_size, big_endian), n = 0;
	uint64_t max = w->max_entries ? w->max_entries : DEFAULT_MAX_ENTRIES;
	unsigned align = JD_OPTS_GET(w, u64_align, 0);
	if (align != 0 && align != 4 && align != 8)
		return -EINVAL;
	if (!align)
		align = 8; /* natural alignment on every ABI but i386's */
	unsigned size_off = 3 * ptr_size;
	size_off = (size_off + align - 1) & ~(align - 1);
	struct jd_u64set seen = {0}; /* the entries visited (walks are capped, so it is too) */
	int rc = 0;
	while (cur) {
		if (n >= max) {
			report(w, "GDB JIT list: longer than %" PRIu64 " entries: walk stopped", max);
			break;
		}
		int dup = jd_u64set_add(&seen, cur);
		if (dup < 0) {
			rc = -ENOMEM;
			break;
		}
		if (dup) {
			report(w, "GDB JIT list: cycle at 0x%" PRIx64 ": walk stopped", cur);
			break;
		}
		uint8_t e[4 * 8];
		if (w->read(w->ctx, cur, e, size_off + 8) != 0) {
			report(w, "GDB JIT list: entry at 0x%" PRIx64 " unreadable: walk stopped", cur);
			break;
		}
		n++;
		struct jd_registry_object o = {
			.entry = cur,
			.symfile = jd_load(e + 2 * ptr_size, ptr_size, big_endian),
			.size = jd_load(e + size_off, 8, big_endian),
			.flags = JD_OBJECT_FOREIGN,
		};
		cur = jd_load(e, ptr_size, big_endian);
		if (o.size == 0 || o.size > MAX_OBJECT_SIZE || (o.symfile & JD_FOREIGN_ID_BIT) ||
		    o.symfile + o.size < o.symfile) {
			report(w, "GDB JIT list: entry at 0x%" PRIx64 " claims %" PRIu64 " bytes at 0x%" PRIx64, o.entry,
			       o.size, o.symfile);
			continue;
		}
		o.id = JD_FOREIGN_ID_BIT | o.symfile;
		if (!big_endian)
			read_range(w, &o);
		if (w->object && w->object(&o, w->ctx))
			break;
	}
	jd_u64set_free(&seen);
	if (count)
		*count = n;
	return rc;
}

/* ---- the graveyard: what was unregistered lately ------------------------------------------------- */

#define GRV(field) offsetof(struct jd_graveyard, field)
#define SLOT(field) offsetof(struct jd_graveyard_slot, field)

int jd_graveyard_find(uint64_t base, jd_read_fn read, void *ctx, uint64_t addr, struct jd_graveyard_slot *out)
{
	if (!read || !out)
		return -EINVAL;
	uint8_t h[GRV(slots)];
	int rc = read(ctx, base, h, sizeof(h));
	if (rc)
		return rc < 0 ? rc : -EFAULT;
	uint32_t header_size = (uint32_t)jd_le(h + GRV(header_size), 4);
	uint32_t nslots = (uint32_t)jd_le(h + GRV(nslots), 4), slot_size = (uint32_t)jd_le(h + GRV(slot_size), 4);
	if (jd_le(h + GRV(magic), 8) != JD_GRAVEYARD_MAGIC || jd_le(h + GRV(version), 4) != 1 ||
	    header_size < sizeof(h) || header_size > 4096 || nslots > 4096 || slot_size < sizeof(struct jd_graveyard_slot) ||
	    slot_size > 4096)
		return -EINVAL;
	/* header_size, nslots and slot_size are at most 4096: the span fits 32 bits. */
	if (base > UINT64_MAX - ((uint64_t)header_size + (uint64_t)nslots * slot_size))
		return -EINVAL;
	uint64_t best_seq = 0;
	for (uint32_t i = 0; i < nslots; i++) {
		uint8_t s[sizeof(struct jd_graveyard_slot)];
		if (read(ctx, base + header_size + (uint64_t)i * slot_size, s, sizeof(s)) != 0)
			continue;
		uint64_t seq = jd_le(s + SLOT(seq), 8), lo = jd_le(s + SLOT(lo), 8), hi = jd_le(s + SLOT(hi), 8);
		if (!seq || seq <= best_seq || addr < lo || addr >= hi || hi - lo > MAX_RANGE)
			continue;
		best_seq = seq;
		memset(out, 0, sizeof(*out));
		out->seq = seq;
		out->id = jd_le(s + SLOT(id), 8);
		out->lo = lo;
		out->hi = hi;
		out->size = jd_le(s + SLOT(size), 8);
		uint32_t n = (uint32_t)jd_le(s + SLOT(build_id_size), 4);
		if (n <= JD_BUILD_ID_MAX) {
			out->build_id_size = n;
			memcpy(out->build_id, s + SLOT(build_id), n);
		}
		memcpy(out->first_symbol, s + SLOT(first_symbol), JD_GRAVEYARD_NAME - 1);
		out->first_symbol[JD_GRAVEYARD_NAME - 1] = '\0'; /* the target's bytes are not trusted to end */
	}
	return best_seq ? 0 : -ENOENT;
}
