// perf_support.cpp — `llvm-jitlink --perf-support` (LLVM 18 and later: JD_HAVE_PERF_SUPPORT of
// llvm-version.h).
#include "executor.h"

#include "jitdebug.h" /* JD_MAX_OBJECT_SIZE */
#include "registry.h" /* jd_registry_lookup_addr: the one internal entry point of the hooks it uses */

#ifdef JD_HAVE_PERF_SUPPORT
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

using namespace llvm;
using namespace llvm::orc;
using namespace llvm::orc::shared;

namespace jdexec {
namespace {

// The controller looks these three up by name in the executor (the stock llvm-jitlink-executor-19
// does not export them, and the flag fails there). They are done by the hooks' own perf writers, not
// by LLVM's JITLoaderPerf, whose LLVM 19 jitdump header carries uninitialised flags that perf refuses:
// Start turns the perf map and the jitdump on (JITDEBUG_JITDUMP's directory if set, else the default);
// the writers then describe every debug object as it registers (llvm-jitlink sends them unless
// --debugger-support=false). Impl receives the controller's own records: functions that no
// registered object covers (debugger support off) are registered as light-JIT functions, names and
// lines, kept out of GDB's list. End has nothing to do: LLVM 19's controller calls it only after it
// has disconnected ("FD-transport disconnected" on its side, its status unchanged).

Error perfStart() {
  const char *Dump = getenv("JITDEBUG_JITDUMP");
  struct jd_hooks_opts O = {};
  O.sz = sizeof(O);
  O.gdb_mode = -1;
  O.perfmap = 1;
  O.jitdump = Dump && *Dump ? Dump : "1";
  jd_hooks_init(&O);
  return Error::success();
}

Error perfImpl(PerfJITRecordBatch &B) {
  std::unordered_map<uint64_t, const PerfJITDebugInfoRecord *> DebugInfo;
  for (auto &D : B.DebugInfoRecords)
    DebugInfo.emplace(D.CodeAddr, &D);
  struct jd_functions_opts O = {};
  O.sz = sizeof(O);
  O.flags = JD_REGISTER_NO_ANNOUNCE;
  for (auto &R : B.CodeLoadRecords) {
    struct jd_obj_view Covering;
    // Covered by a registered debug object (the address index), or not a function we can describe.
    if (!R.CodeSize || R.CodeSize > JD_MAX_OBJECT_SIZE || R.Name.empty() ||
        jd_registry_lookup_addr(R.CodeAddr, &Covering) == 0)
      continue;
    jd_function F = {};
    F.name = R.Name.c_str();
    F.addr = R.CodeAddr;
    F.size = R.CodeSize;
    std::vector<jd_function_line> Lines;
    auto D = DebugInfo.find(R.CodeAddr);
    for (size_t I = 0; D != DebugInfo.end() && I < D->second->Entries.size(); I++) {
      auto &E = D->second->Entries[I];
      // One file per function (the first entry's); offsets must grow strictly.
      if (!F.file)
        F.file = E.Name.c_str();
      if (E.Name != F.file || E.Addr < R.CodeAddr || E.Addr - R.CodeAddr >= R.CodeSize || !E.Lineno)
        continue;
      uint32_t Off = static_cast<uint32_t>(E.Addr - R.CodeAddr); // < CodeSize <= 1 GiB
      if (Lines.empty() || Off > Lines.back().offset)
        Lines.push_back({Off, E.Lineno});
    }
    F.lines = Lines.empty() ? nullptr : Lines.data();
    F.n_lines = Lines.size();
    if (!F.n_lines)
      F.file = nullptr;
    // One by one: a bad record costs only itself.
    char Why[256];
    uint64_t Id;
    if (jd_register_function(&F, &O, &Id, Why, sizeof(Why)) != 0)
      fprintf(stderr, "jitdebug-executor: perf record for %s not kept: %s\n", F.name, Why);
  }
  return Error::success();
}
} // namespace
} // namespace jdexec

using namespace jdexec;

extern "C" {
__attribute__((visibility("default"))) CWrapperFunctionResult llvm_orc_registerJITLoaderPerfStart(const char *Data,
                                                                                                   uint64_t Size) {
  return WrapperFunction<SPSError()>::handle(Data, Size, perfStart).release();
}
__attribute__((visibility("default"))) CWrapperFunctionResult llvm_orc_registerJITLoaderPerfEnd(const char *Data,
                                                                                                 uint64_t Size) {
  return WrapperFunction<SPSError()>::handle(Data, Size, []() -> Error { return Error::success(); }).release();
}
__attribute__((visibility("default"))) CWrapperFunctionResult llvm_orc_registerJITLoaderPerfImpl(const char *Data,
                                                                                                  uint64_t Size) {
  return WrapperFunction<SPSError(SPSPerfJITRecordBatch)>::handle(Data, Size, perfImpl).release();
}
}
#endif
