/* jitdump-format.h — the jitdump file format as Linux perf reads it (tools/perf/util/jitdump.c;
 * docs/formats.md). All fields are in the writer's native byte order; perf byte-swaps when the magic
 * reads reversed. Records follow each other with no padding; total_size includes the prefix. */
#ifndef JD_JITDUMP_FORMAT_H
#define JD_JITDUMP_FORMAT_H

#include <stdint.h>

#define JD_JITDUMP_MAGIC 0x4A695444u /* "JiTD" */
#define JD_JITDUMP_MAGIC_SWAPPED 0x4454694Au
#define JD_JITDUMP_VERSION 1u
#define JD_JITDUMP_FLAGS_ARCH_TIMESTAMP 1ull

enum jd_jitdump_record_id {
	JD_JIT_CODE_LOAD = 0,
	JD_JIT_CODE_MOVE = 1,
	JD_JIT_CODE_DEBUG_INFO = 2,
	JD_JIT_CODE_CLOSE = 3,
	JD_JIT_CODE_UNWINDING_INFO = 4,
	JD_JIT_CODE_MAX,
};

struct jd_jitdump_header {
	uint32_t magic;
	uint32_t version;
	uint32_t total_size; /* exactly sizeof(struct jd_jitdump_header): perf mishandles larger ones */
	uint32_t elf_mach;
	uint32_t pad1;
	uint32_t pid;
	uint64_t timestamp;
	uint64_t flags;
};

struct jd_jitdump_prefix {
	uint32_t id;
	uint32_t total_size;
	uint64_t timestamp;
};

/* Followed by the NUL-terminated name, then code_size bytes of code. */
struct jd_jitdump_code_load {
	struct jd_jitdump_prefix p;
	uint32_t pid;
	uint32_t tid;
	uint64_t vma;
	uint64_t code_addr;
	uint64_t code_size;
	uint64_t code_index;
};

/* Followed by nr_entry entries. Applies to the next CODE_LOAD. */
struct jd_jitdump_debug_info {
	struct jd_jitdump_prefix p;
	uint64_t code_addr;
	uint64_t nr_entry;
};

/* Followed by the NUL-terminated file name. addr is absolute (perf >= 5.8). */
struct jd_jitdump_debug_entry {
	uint64_t addr;
	int32_t lineno;
	int32_t discrim;
};

/* Followed by unwind_data_size bytes: .eh_frame, then .eh_frame_hdr as its last eh_frame_hdr_size
 * bytes (perf's genelf.c order, not the spec's wording). Applies to the next CODE_LOAD. */
struct jd_jitdump_unwinding_info {
	struct jd_jitdump_prefix p;
	uint64_t unwind_data_size;
	uint64_t eh_frame_hdr_size;
	uint64_t mapped_size;
};

_Static_assert(sizeof(struct jd_jitdump_header) == 40, "jitdump header is 40 bytes");
_Static_assert(sizeof(struct jd_jitdump_prefix) == 16, "jitdump record prefix is 16 bytes");
_Static_assert(sizeof(struct jd_jitdump_code_load) == 56, "CODE_LOAD fixed part is 56 bytes");
_Static_assert(sizeof(struct jd_jitdump_debug_info) == 32, "DEBUG_INFO fixed part is 32 bytes");
_Static_assert(sizeof(struct jd_jitdump_debug_entry) == 16, "debug entry fixed part is 16 bytes");
_Static_assert(sizeof(struct jd_jitdump_unwinding_info) == 40, "UNWINDING_INFO fixed part is 40 bytes");

#endif
