// llvm-version.h — the LLVM headers jitdebug-executor is built against, and every difference between
// the LLVM versions it supports, in one place (docs/formats.md, "LLVM ORC: the executor side").
//
// Each executor is built against one LLVM's headers and ORC library (jitdebug-executor-NN), so the
// wire format (the Setup message changed in 17) is always that version's own. What the executor reads
// itself differs only here:
//  - a segment's protection in a finalize request: `Prot` (WireProtectionFlags) up to 14, `AG`
//    (AllocGroup) in 15 and 16, `RAG` (RemoteAllocGroup) from 17 (segmentProt);
//  - the wrappers that run JIT'd code: run-as-main always, run-as-void/int-function from 15
//    (JD_HAVE_RUN_AS_FUNCTION, RunsUserCode);
//  - the perf support entry points (llvm_orc_registerJITLoaderPerf{Start,End,Impl}) from 18
//    (JD_HAVE_PERF_SUPPORT, perf_support.cpp);
//  - the shared-memory mapper service (`llvm-jitlink --use-shared-memory`) where the version has it
//    (JD_HAVE_SHARED_MEMORY_MAPPER: 16 and 19 here, not 14).
#ifndef JD_EXECUTOR_LLVM_VERSION_H
#define JD_EXECUTOR_LLVM_VERSION_H

#include "jitdebug-hooks.h" /* JD_PROT_* */

#include "llvm/Config/llvm-config.h" /* LLVM_VERSION_MAJOR, LLVM_VERSION_STRING */
#include "llvm/ExecutionEngine/Orc/Shared/OrcRTBridge.h"
#include "llvm/ExecutionEngine/Orc/Shared/SimpleRemoteEPCUtils.h"
#include "llvm/ExecutionEngine/Orc/Shared/TargetProcessControlTypes.h"
#include "llvm/ExecutionEngine/Orc/Shared/WrapperFunctionUtils.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/ExecutorBootstrapService.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/RegisterEHFrames.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/SimpleExecutorMemoryManager.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/SimpleRemoteEPCServer.h"
#include "llvm/Support/Error.h"
#if __has_include("llvm/ExecutionEngine/Orc/TargetProcess/ExecutorSharedMemoryMapperService.h")
#include "llvm/ExecutionEngine/Orc/TargetProcess/ExecutorSharedMemoryMapperService.h"
#define JD_HAVE_SHARED_MEMORY_MAPPER 1
#endif
#if LLVM_VERSION_MAJOR >= 15
#define JD_HAVE_RUN_AS_FUNCTION 1
#endif
#if LLVM_VERSION_MAJOR >= 18
#include "llvm/ExecutionEngine/Orc/Shared/PerfSharedStructs.h"
#define JD_HAVE_PERF_SUPPORT 1
#endif

#include <cstdint>

namespace jdexec {

// A segment's protection in a finalize request, as JD_PROT_* bits.
inline uint32_t segmentProt(const llvm::orc::tpctypes::SegFinalizeRequest &S) {
  using namespace llvm; // the bitmask operators of MemProt
  using namespace llvm::orc;
#if LLVM_VERSION_MAJOR <= 14
  auto P = S.Prot;
  return ((P & tpctypes::WPF_Read) ? JD_PROT_R : 0) | ((P & tpctypes::WPF_Write) ? JD_PROT_W : 0) |
         ((P & tpctypes::WPF_Exec) ? JD_PROT_X : 0);
#else
#if LLVM_VERSION_MAJOR <= 16
  auto P = S.AG.getMemProt();
#else
  auto P = S.RAG.Prot;
#endif
  return ((P & MemProt::Read) != MemProt::None ? JD_PROT_R : 0) |
         ((P & MemProt::Write) != MemProt::None ? JD_PROT_W : 0) |
         ((P & MemProt::Exec) != MemProt::None ? JD_PROT_X : 0);
#endif
}

// The bootstrap wrappers that run JIT'd code (user code, which may call back into the controller).
inline const char *const RunsUserCode[] = {
    llvm::orc::rt::RunAsMainWrapperName,
#ifdef JD_HAVE_RUN_AS_FUNCTION
    llvm::orc::rt::RunAsVoidFunctionWrapperName, llvm::orc::rt::RunAsIntFunctionWrapperName,
#endif
};

} // namespace jdexec

#endif
