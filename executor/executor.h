// executor.h — what the parts of jitdebug-executor share (main.cpp, transport.cpp, session.cpp,
// perf_support.cpp): the session's state and its lock, and the constructors main needs. The executor
// sits above the hooks: it uses their public API (jitdebug-hooks.h) and one named internal entry
// point, the registry's address index (registry.h: jd_registry_lookup_addr, perf_support.cpp).
#ifndef JD_EXECUTOR_H
#define JD_EXECUTOR_H

#include "llvm-version.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace jdexec {

using WrapperFn = llvm::orc::shared::CWrapperFunctionResult (*)(const char *, size_t);

constexpr uint64_t MaxMessageSize = 1ull << 30;
constexpr auto IdleExitAfterMain = std::chrono::milliseconds(1000);
// A controller sends its first call within milliseconds of our Setup message. One that sends nothing
// for this long could not read it (another LLVM's wire format) and may be stuck in LLVM 16's
// disconnect (it closes its socket while its own reader blocks), so the executor hangs up.
constexpr auto FirstMessageTimeout = std::chrono::milliseconds(5000);

// ---- the session (session.cpp) ---------------------------------------------------------------

struct SessionState {
  std::mutex M;
  std::condition_variable CV;
  bool MainReturned = false;
  bool Ended = false;
  uint64_t Received = 0;                   // messages read from the controller
  // Every reservation the controller holds, from either memory service (base -> size, and whether a
  // link is in flight in it: reserved through the memory manager, not yet finalized). The session
  // ends when none is held; JIT'd code starts when none is linking (waitForLinks).
  struct Reservation {
    uint64_t Size;
    bool Linking;
  };
  std::map<uint64_t, Reservation> Reserved;
  std::set<uint64_t> EHFrames;             // .eh_frame sections registered with the unwinder
  std::vector<std::pair<WrapperFn, std::string>> DeferredReleases; // received while main ran
  int InFlight = 0;                        // calls received, result not yet sent
  std::chrono::steady_clock::time_point LastActivity = std::chrono::steady_clock::now();
  std::function<void()> Shutdown;          // set by the transport
  // exit() in the JIT'd program
  bool MainRunning = false;                // a run-as-main call is in flight
  uint64_t MainSeqNo = 0;                  // its sequence number
  bool ExitRequested = false;              // exit() was called while main ran: its status is main's
  int ExitStatus = 0;
  std::function<void(uint64_t, int64_t)> SendMainResult; // set by the transport
};
extern SessionState Session;
extern uint64_t RunAsMainTag; // the address the controller calls for run-as-main (our wrapper)

// Called with Session.M held, after a Result was sent or state changed. Force: the idle watchdog
// ends the session even though the controller still holds allocations.
void maybeEndLocked(bool Force = false);

// Calls to these tags (the bootstrap wrappers known to be short) run inline on the reader thread
// (transport.cpp); filled before the first message, read-only afterwards.
extern std::set<uint64_t> InlineTags;
extern thread_local bool InlineNextDispatch;

// JITDEBUG_EXECUTOR_CXX: the device's C++ runtime for JIT'd code, loaded at start.
void loadDeviceCxxRuntime();

// The services main installs: the dispatcher (transport.cpp) and the wrappers around the memory
// manager and run-as-main (session.cpp).
std::unique_ptr<llvm::orc::SimpleRemoteEPCServer::Dispatcher> makeDispatcher();
std::unique_ptr<llvm::orc::ExecutorBootstrapService> makeBootstrapService();

} // namespace jdexec

#endif
