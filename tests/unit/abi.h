/* abi.h — the ABIs as a debugger and LLVM ORC see them, declared independently of the hooks'
 * sources so the tests check the hooks against the published layouts (GDB manual "JIT Interface";
 * LLVM WrapperFunctionUtils.h). Used by the unit tests and the benchmarks. */
#ifndef JD_TEST_ABI_H
#define JD_TEST_ABI_H
#include <stddef.h>
#include <stdint.h>

struct jit_code_entry {
	struct jit_code_entry *next_entry, *prev_entry;
	const char *symfile_addr;
	uint64_t symfile_size;
};
struct jit_descriptor {
	uint32_t version, action_flag;
	struct jit_code_entry *relevant_entry, *first_entry;
};
extern struct jit_descriptor __jit_debug_descriptor;

typedef struct {
	union {
		char *ValuePtr;
		char Value[sizeof(char *)];
	} Data;
	size_t Size;
} cwrapper_result;
cwrapper_result llvm_orc_registerJITLoaderGDBWrapper(const char *data, uint64_t size);
cwrapper_result llvm_orc_registerJITLoaderGDBAllocAction(const char *data, size_t size);
#endif
