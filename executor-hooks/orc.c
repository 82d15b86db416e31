/* orc.c — the executor-side symbols through which LLVM ORC hands over its debug objects.
 *
 * ORC's debugger support (EPCDebugObjectRegistrar, LLVM 13+) looks these up by name in the executor
 * (dlsym after dlopen(NULL)) and calls them with an SPS-serialized argument blob (docs/formats.md,
 * "LLVM ORC: the executor side"):
 *   LLVM 14–16: SPSExecutorAddrRange        = u64 start, u64 end          (16 bytes)
 *   LLVM 17+:   (SPSExecutorAddrRange, bool) = u64 start, u64 end, u8 flag (17 bytes)
 * Both return SPSError: one byte 0x00 on success; on failure 0x01, u64 length, message (in-band:
 * LLVM 16's server drops out-of-band errors). The bytes at [start, end) are copied.
 */
#include "../jitdebug/bytes.h"
#include "registry.h"

#include "jitdebug-hooks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* CWrapperFunctionResult exactly as LLVM and the ORC runtime's c_api.h lay it out: data first. */
typedef union {
	char *ValuePtr;
	char Value[sizeof(char *)];
} jd_cwrapper_data;

typedef struct {
	jd_cwrapper_data Data;
	size_t Size;
} jd_cwrapper_result;

_Static_assert(sizeof(jd_cwrapper_result) == 2 * sizeof(void *), "CWrapperFunctionResult layout");
_Static_assert(offsetof(jd_cwrapper_result, Size) == sizeof(void *), "CWrapperFunctionResult: data first");

enum { SPS_RANGE_SIZE = 16, SPS_RANGE_BOOL_SIZE = 17 };

static jd_cwrapper_result sps_success(void)
{
	jd_cwrapper_result r;
	memset(&r, 0, sizeof(r));
	r.Size = 1; /* SPSError "no error": one byte 0x00, inline */
	return r;
}

/* SPSError with a message: bool true, u64 length (LE), bytes. The caller frees ValuePtr with free(). */
static jd_cwrapper_result sps_error(const char *msg)
{
	jd_cwrapper_result r;
	size_t len = strlen(msg), total = 1 + 8 + len;
	memset(&r, 0, sizeof(r));
	char *buf = malloc(total);
	if (!buf) {
		r.Size = 1;
		r.Data.Value[0] = 1; /* truncated, but still in-band and parseable as "error" by nobody; best effort */
		return r;
	}
	buf[0] = 1;
	for (int i = 0; i < 8; i++)
		buf[1 + i] = (char)((uint64_t)len >> (8 * i));
	memcpy(buf + 9, msg, len);
	r.Data.ValuePtr = buf;
	r.Size = total;
	return r;
}

static uint64_t get_le64(const char *p) { return jd_le((const uint8_t *)p, 8); }

static jd_cwrapper_result register_blob(const char *data, size_t size)
{
	uint32_t flags = 0;

	if (!data || (size != SPS_RANGE_SIZE && size != SPS_RANGE_BOOL_SIZE)) {
		jd_count_rejected();
		return sps_error("jitdebug: registerJITLoaderGDB: argument must be 16 bytes (start, end) or 17 "
				 "(start, end, bool)");
	}
	uint64_t start = get_le64(data), end = get_le64(data + 8);
	if (size == SPS_RANGE_BOOL_SIZE) {
		unsigned char auto_register = (unsigned char)data[16];
		if (auto_register > 1) {
			jd_count_rejected();
			return sps_error("jitdebug: registerJITLoaderGDB: bool argument is not 0 or 1");
		}
		if (!auto_register)
			flags |= JD_REGISTER_NO_ANNOUNCE;
	}
	if (start == 0 || end <= start) {
		jd_count_rejected();
		return sps_error("jitdebug: registerJITLoaderGDB: empty or inverted address range");
	}
	int err = jd_register_from_address(start, end - start, flags, NULL);
	switch (err) {
	case 0:
		return sps_success();
	case -E2BIG:
		return sps_error("jitdebug: registerJITLoaderGDB: debug object larger than 1 GiB");
	case -EFAULT:
		return sps_error("jitdebug: registerJITLoaderGDB: address range is not readable");
	case -ENOMEM:
		return sps_error("jitdebug: registerJITLoaderGDB: out of memory");
	default:
		return sps_error("jitdebug: registerJITLoaderGDB: not a valid ELF debug object");
	}
}

JD_HOOKS_API jd_cwrapper_result llvm_orc_registerJITLoaderGDBWrapper(const char *data, uint64_t size)
{
	return register_blob(data, (size_t)size);
}

JD_HOOKS_API jd_cwrapper_result llvm_orc_registerJITLoaderGDBAllocAction(const char *data, size_t size)
{
	return register_blob(data, size);
}
