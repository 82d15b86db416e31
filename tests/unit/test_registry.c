/* test_registry.c — executor-hooks/registry.c and gdbjit.c: registration and unregistration, the GDB
 * modes (eager, lazy, off), watched objects, bad arguments, malformed objects and borrowed bytes,
 * checked by walking __jit_debug_descriptor and the exported registry as a debugger would. */
#include "check.h"
#include "elfbuild.h"
#include "hooksview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	jd_hooks_set_log(quiet_log, NULL);
	RUN(register_and_unregister_eager);
	RUN(lazy_mode_announces_on_demand);
	RUN(off_mode_never_announces);
	RUN(watched_objects_are_flagged);
	RUN(bad_arguments);
	RUN(malformed_object_is_rejected);
	RUN(borrow_keeps_callers_bytes);
	return check_report();
}
