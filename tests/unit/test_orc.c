/* test_orc.c — executor-hooks/orc.c: the ORC wrapper ABI (llvm_orc_registerJITLoaderGDBWrapper and
 * ...AllocAction), the LLVM 14–16 and 17+ argument blobs, and in-band SPS errors for bad blobs. */
#include "check.h"
#include "elfbuild.h"
#include "hooksview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	jd_hooks_set_log(quiet_log, NULL);
	RUN(orc_wrapper_llvm16_and_17_blobs);
	RUN(orc_wrapper_bad_blobs_get_inband_errors);
	return check_report();
}
