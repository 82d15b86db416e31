/* test_hooks.c — the hooks' registration API, GDB modes, the ORC wrapper ABI and NOBITS placement,
 * checked by walking __jit_debug_descriptor and the exported registry as a debugger would. */
#include "abi.h"
#include "check.h"
#include "elfbuild.h"
#include "jitdebug-hooks.h"
#include "jitdebug.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern struct jd_registry jitdebug_registry;
extern struct jd_watch_table jitdebug_watches;


static void quiet_log(int level, const char *msg, void *ctx) { (void)level, (void)msg, (void)ctx; }

static size_t gdb_list_len(void)
{
	size_t n = 0;
	for (struct jit_code_entry *e = __jit_debug_descriptor.first_entry; e && n < 1000000; e = e->next_entry)
		n++;
	return n;
}

static int gdb_list_has(const void *symfile)
{
	for (struct jit_code_entry *e = __jit_debug_descriptor.first_entry; e; e = e->next_entry)
		if (e->symfile_addr == symfile)
			return 1;
	return 0;
}

struct find { uint64_t id; struct jd_object_info info; int found; };
static int find_cb(const struct jd_object_info *info, void *ctx)
{
	struct find *f = ctx;
	if (info->id == f->id) {
		f->info = *info;
		f->found = 1;
		return 1;
	}
	return 0;
}
static struct find find_object(uint64_t id)
{
	struct find f = {.id = id};
	jd_foreach_object(find_cb, &f);
	return f;
}

static void set_mode(int mode)
{
	struct jd_hooks_opts o = {.sz = sizeof(o), .gdb_mode = mode};
	CHECK(jd_hooks_init(&o) == 0, "init mode %d", mode);
}

static void register_and_unregister_eager(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	set_mode(JD_GDB_EAGER);
	size_t before = gdb_list_len();
	uint64_t id = 0;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0 && id != 0, "register");
	struct find f = find_object(id);
	CHECK(f.found && f.info.size == b.size && f.info.data != b.buf, "copied into the registry");
	CHECK(f.found && f.info.lo == 0x7f0000001000 && f.info.hi == 0x7f0000002004, "range %llx-%llx",
	      (unsigned long long)f.info.lo, (unsigned long long)f.info.hi);
	CHECK(f.info.flags & JD_OBJECT_ANNOUNCED, "announced");
	CHECK(gdb_list_len() == before + 1 && gdb_list_has(f.info.data), "in GDB's list");
	CHECK(__jit_debug_descriptor.version == 1 && __jit_debug_descriptor.action_flag == 0, "descriptor idle");
	CHECK(jitdebug_registry.magic == JD_REGISTRY_MAGIC && jitdebug_registry.count >= 1 &&
		      jitdebug_registry.generation % 2 == 0, "registry root");
	CHECK(jd_unregister_object(id) == 0, "unregister");
	CHECK(!find_object(id).found && gdb_list_len() == before, "gone");
	CHECK(jd_unregister_object(id) == -ENOENT, "twice");
}

static void lazy_mode_announces_on_demand(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	set_mode(JD_GDB_LAZY);
	size_t before = gdb_list_len();
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(gdb_list_len() == before, "not in GDB's list");
	CHECK(jd_announce_object(id) == 0 && gdb_list_len() == before + 1, "announced on demand");
	CHECK(jd_announce_object(id) == 0 && gdb_list_len() == before + 1, "announcing twice adds nothing");
	CHECK(jd_unregister_object(id) == 0 && gdb_list_len() == before, "unregister retracts");
	CHECK(jd_announce_object(id) == -ENOENT, "unknown id");
	set_mode(JD_GDB_EAGER);
}

static void off_mode_never_announces(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	set_mode(JD_GDB_OFF);
	size_t before = gdb_list_len();
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(gdb_list_len() == before && find_object(id).found, "registry only");
	CHECK(jd_announce_object(id) == -EPERM, "announce refused");
	jd_unregister_object(id);
	set_mode(JD_GDB_EAGER);
}

/* A debugger-written watch: the matching object is flagged JD_OBJECT_WATCHED (and announced in lazy
 * mode), another is not, and the registry's generation moves with the flags. */
static void watched_objects_are_flagged(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	set_mode(JD_GDB_LAZY);
	struct jd_watch_slot slot = {.kind = JD_WATCH_SYMBOL};
	strcpy(slot.pattern, "no_such_function");
	jitdebug_watches.slots[0] = slot;
	jitdebug_watches.active = 1;
	uint64_t other, hit;
	CHECK(jd_register_object(b.buf, b.size, NULL, &other) == 0, "register");
	CHECK(!(find_object(other).info.flags & (JD_OBJECT_WATCHED | JD_OBJECT_ANNOUNCED)), "unmatched object flagged");
	strcpy(jitdebug_watches.slots[0].pattern, "jd_func");
	uint64_t gen = jitdebug_registry.generation;
	CHECK(jd_register_object(b.buf, b.size, NULL, &hit) == 0, "register");
	uint32_t flags = find_object(hit).info.flags;
	CHECK((flags & JD_OBJECT_WATCHED) && (flags & JD_OBJECT_ANNOUNCED), "flags %#x", flags);
	CHECK(jitdebug_registry.generation == gen + 4 && gen % 2 == 0, "generation %llu -> %llu",
	      (unsigned long long)gen, (unsigned long long)jitdebug_registry.generation);
	jitdebug_watches.active = 0;
	jd_unregister_object(other);
	jd_unregister_object(hit);
	set_mode(JD_GDB_EAGER);
}

static void bad_arguments(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	CHECK(jd_register_object(NULL, 10, NULL, NULL) == -EINVAL, "NULL");
	CHECK(jd_register_object(b.buf, 0, NULL, NULL) == -EINVAL, "empty");
	struct { struct jd_register_opts o; uint32_t future; } big = {{sizeof(big), 0}, 1};
	CHECK(jd_register_object(b.buf, b.size, &big.o, NULL) == -EINVAL, "unknown non-zero option bytes");
	big.future = 0;
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, &big.o, &id) == 0, "zero tail accepted");
	jd_unregister_object(id);
	struct jd_register_opts bad = {sizeof(bad), 0x80};
	CHECK(jd_register_object(b.buf, b.size, &bad, NULL) == -EINVAL, "unknown flag");
	struct jd_hooks_opts ho = {.sz = sizeof(ho), .gdb_mode = 7};
	CHECK(jd_hooks_init(&ho) == -EINVAL, "bad mode");
}

static void malformed_object_is_rejected(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	eb_shdr(&b, EB_DATA)->sh_size = 1u << 20;
	struct jd_hooks_stats st0 = {.sz = sizeof(st0)}, st1 = {.sz = sizeof(st1)};
	jd_hooks_stats(&st0);
	size_t before = gdb_list_len();
	CHECK(jd_register_object(b.buf, b.size, NULL, NULL) == -EINVAL, "rejected");
	jd_hooks_stats(&st1);
	CHECK(st1.rejected == st0.rejected + 1 && st1.live == st0.live && gdb_list_len() == before, "nothing registered");
}

static void borrow_keeps_callers_bytes(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	eb_shdr(&b, EB_BSS)->sh_size = 0; /* nothing to fix up, so nothing forces a copy */
	struct jd_register_opts o = {sizeof(o), JD_REGISTER_BORROW};
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, &o, &id) == 0, "register");
	struct find f = find_object(id);
	CHECK(f.found && f.info.data == b.buf && (f.info.flags & JD_OBJECT_BORROWED), "borrowed");
	jd_unregister_object(id);
}

static uint64_t registered_bss_addr(uint64_t id)
{
	struct find f = find_object(id);
	struct jd_elf *e = f.found ? jd_elf_open(f.info.data, f.info.size, NULL, NULL, 0) : NULL;
	struct jd_elf_section s = {0};
	if (e)
		jd_elf_section_by_name(e, ".bss", &s);
	jd_elf_close(e);
	return s.addr;
}

static void nobits_placed_from_reported_segments(void)
{
	struct eb b;
	eb_build(&b, 0x7e0000001000);
	/* RX segment with .text; RW segment with .data then 0x3c bytes JITLink added (a GOT), then zero-fill */
	struct jd_segment segs[] = {
		{0x7e0000001000, 0x1000, 8, JD_PROT_R | JD_PROT_X},
		{0x7e0000002000, 0x1000, 0x40, JD_PROT_R | JD_PROT_W},
	};
	CHECK(jd_note_allocation(segs, 2) == 0, "note");
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(registered_bss_addr(id) == 0x7e0000002040, ".bss at %llx", (unsigned long long)registered_bss_addr(id));
	struct find f = find_object(id);
	CHECK(f.info.hi == 0x7e0000002050, "range grows to cover .bss: %llx", (unsigned long long)f.info.hi);
	jd_unregister_object(id);
	jd_forget_allocation(0x7e0000001000);
}

static void nobits_placed_from_relocations(void)
{
	static uint64_t code[2];        /* stands for JIT code at its final address */
	static uint64_t bss_area[4];    /* where the JIT placed .bss */
	struct eb b;
	eb_build(&b, (uint64_t)(uintptr_t)code);
	code[0] = (uint64_t)(uintptr_t)&bss_area[0] + 4; /* resolved R_X86_64_64 against jd_bss (st_value 4) */
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "register");
	CHECK(registered_bss_addr(id) == (uint64_t)(uintptr_t)bss_area, ".bss at %llx, expected %p",
	      (unsigned long long)registered_bss_addr(id), (void *)bss_area);
	jd_unregister_object(id);
}

static void nobits_unplaced_is_counted(void)
{
	struct eb b;
	eb_build(&b, 0x7d0000001000); /* unmapped code: the relocation cannot be read */
	struct jd_hooks_stats s0 = {.sz = sizeof(s0)}, s1 = {.sz = sizeof(s1)};
	jd_hooks_stats(&s0);
	uint64_t id;
	CHECK(jd_register_object(b.buf, b.size, NULL, &id) == 0, "still registered");
	jd_hooks_stats(&s1);
	CHECK(registered_bss_addr(id) == 0 && s1.nobits_unplaced == s0.nobits_unplaced + 1, "left at 0, counted");
	jd_unregister_object(id);
}

static cwrapper_result call_orc(const void *blob, size_t n, int alloc_action)
{
	return alloc_action ? llvm_orc_registerJITLoaderGDBAllocAction(blob, n)
			    : llvm_orc_registerJITLoaderGDBWrapper(blob, n);
}

static int is_sps_success(cwrapper_result r) { return r.Size == 1 && r.Data.Value[0] == 0; }

static int is_sps_error(cwrapper_result r, const char *needle)
{
	if (r.Size < 9 || r.Size <= sizeof(char *))
		return 0;
	uint64_t len;
	memcpy(&len, r.Data.ValuePtr + 1, 8);
	int ok = r.Data.ValuePtr[0] == 1 && len == r.Size - 9 && memmem(r.Data.ValuePtr + 9, len, needle, strlen(needle));
	free(r.Data.ValuePtr);
	return ok;
}

static void orc_wrapper_llvm16_and_17_blobs(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	uint64_t blob[3] = {(uint64_t)(uintptr_t)b.buf, (uint64_t)(uintptr_t)b.buf + b.size, 0};
	size_t live0 = jd_object_count(), gdb0 = gdb_list_len();
	CHECK(is_sps_success(call_orc(blob, 16, 0)), "LLVM 16 (start, end)");
	CHECK(jd_object_count() == live0 + 1 && gdb_list_len() == gdb0 + 1, "registered and announced");
	((uint8_t *)blob)[16] = 1;
	CHECK(is_sps_success(call_orc(blob, 17, 1)), "LLVM 17 (start, end, true)");
	CHECK(gdb_list_len() == gdb0 + 2, "announced");
	((uint8_t *)blob)[16] = 0;
	CHECK(is_sps_success(call_orc(blob, 17, 0)), "LLVM 17 (start, end, false)");
	CHECK(jd_object_count() == live0 + 3 && gdb_list_len() == gdb0 + 2, "registered, not announced");
}

static void orc_wrapper_bad_blobs_get_inband_errors(void)
{
	struct eb b;
	eb_build(&b, 0x7f0000001000);
	uint64_t blob[3] = {(uint64_t)(uintptr_t)b.buf, (uint64_t)(uintptr_t)b.buf + b.size, 0};
	size_t live0 = jd_object_count();
	CHECK(is_sps_error(call_orc(blob, 15, 0), "16 bytes"), "short blob");
	CHECK(is_sps_error(call_orc(blob, 24, 0), "16 bytes"), "long blob");
	CHECK(is_sps_error(call_orc(NULL, 16, 0), "16 bytes"), "NULL blob");
	((uint8_t *)blob)[16] = 2;
	CHECK(is_sps_error(call_orc(blob, 17, 0), "bool"), "bad bool");
	uint64_t inverted[2] = {blob[1], blob[0]};
	CHECK(is_sps_error(call_orc(inverted, 16, 0), "range"), "inverted range");
	uint64_t unmapped[2] = {0x10, 0x10 + 4096};
	CHECK(is_sps_error(call_orc(unmapped, 16, 0), "not readable"), "unreadable range");
	uint64_t huge[2] = {0x1000, 0x1000 + (3ull << 30)};
	CHECK(is_sps_error(call_orc(huge, 16, 0), "1 GiB"), "huge range");
	static const char junk[64] = "not an ELF object";
	uint64_t bad[2] = {(uint64_t)(uintptr_t)junk, (uint64_t)(uintptr_t)junk + sizeof(junk)};
	CHECK(is_sps_error(call_orc(bad, 16, 0), "not a valid ELF"), "junk object");
	CHECK(jd_object_count() == live0, "nothing registered");
}

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	jd_hooks_set_log(quiet_log, NULL);
	RUN(register_and_unregister_eager);
	RUN(lazy_mode_announces_on_demand);
	RUN(off_mode_never_announces);
	RUN(watched_objects_are_flagged);
	RUN(bad_arguments);
	RUN(malformed_object_is_rejected);
	RUN(borrow_keeps_callers_bytes);
	RUN(nobits_placed_from_reported_segments);
	RUN(nobits_placed_from_relocations);
	RUN(nobits_unplaced_is_counted);
	RUN(orc_wrapper_llvm16_and_17_blobs);
	RUN(orc_wrapper_bad_blobs_get_inband_errors);
	return check_report();
}
