// session.cpp — jitdebug-executor's session with the ORC controller (executor.h): the wrappers it puts
// around LLVM's memory manager and run-as-main, the .eh_frame registrations, `exit()` in the JIT'd
// program, and when the session ends.
//  - Every allocation's segments are reported to the hooks (jd_note_allocation: real addresses for
//    .bss in debug objects) and live reservations are counted.
//  - `exit(N)` in the JIT'd program is reported to the controller as main's status N (exit is
//    interposed here and exported): the run-as-main call gets its Result, the controller's memory is
//    kept until the process ends (atexit handlers may be JIT code), and the process exits with N
//    once the session has ended — as the program would in-process.
//  - The session ends on the executor's side: LLVM 16's controller closes its socket while its own
//    reader thread is blocked in read(), so no FIN is ever sent and the stock pair hangs. Once the
//    program's main has returned and the controller has released every allocation (or nothing
//    arrives for a second after main returned: main.cpp's watchdog), the transport shuts the
//    connection down, which completes the controller's disconnect.
#include "executor.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;
using namespace llvm::orc;
using namespace llvm::orc::shared;

// From the hooks (orc.c); only their addresses are used here.
extern "C" CWrapperFunctionResult llvm_orc_registerJITLoaderGDBWrapper(const char *, uint64_t);
extern "C" CWrapperFunctionResult llvm_orc_registerJITLoaderGDBAllocAction(const char *, size_t);
extern "C" CWrapperFunctionResult llvm_orc_registerEHFrameSectionWrapper(const char *Data, uint64_t Size);
extern "C" CWrapperFunctionResult llvm_orc_deregisterEHFrameSectionWrapper(const char *Data, uint64_t Size);

namespace jdexec {

SessionState Session;
uint64_t RunAsMainTag;

void maybeEndLocked(bool Force) {
  if (Session.Ended || !Session.MainReturned || Session.InFlight > 0 || (!Session.Reserved.empty() && !Force))
    return;
  Session.Ended = true;
  Session.CV.notify_all(); // a program's exit() waits for this
  if (Session.Shutdown)
    Session.Shutdown();
}

namespace {

// ---- wrappers around the memory manager and run-as-main ------------------------------------

WrapperFn OrigReserve, OrigFinalize, OrigDeallocate, OrigRunAsMain;

// Reservations the controller has not finalized yet: a link in flight. LLVM 19's llvm-jitlink may call
// the program's main while other objects of the program are reserved but not yet finalized (seen with
// two or more objects: its ORC treats main as ready too early). With the stock executor's ~40 ms per
// message the finalizes always came first; with a fast executor they may not, and main jumps into
// memory that is not executable yet. So JIT'd code starts only when every reservation made so far is
// finalized or released (MainWaitsForLinks at most; JITDEBUG_EXECUTOR_TRACE=1 shows it).
constexpr auto MainWaitsForLinks = std::chrono::seconds(10);

// JITDEBUG_EXECUTOR_TRACE=1: one line on stderr per memory and run-as-main call (docs/environment.md).
bool Tracing() {
  static const bool On = [] {
    const char *E = getenv("JITDEBUG_EXECUTOR_TRACE");
    return E && *E && strcmp(E, "0") != 0;
  }();
  return On;
}
#define TRACE(...)                                                                                          \
  do {                                                                                                     \
    if (Tracing())                                                                                         \
      fprintf(stderr, "jitdebug-executor: " __VA_ARGS__);                                                 \
  } while (0)

// The bytes of a wrapper's result.
const char *resultBytes(const CWrapperFunctionResult &R) {
  return R.Size <= sizeof(R.Data.Value) ? R.Data.Value : R.Data.ValuePtr;
}

// A reservation through either service, both asked (instance, size). Both answer an SPSExpected whose
// value begins with the base address (the memory manager's alone, the mapper's in a tuple with the
// shared memory's name): a "has value" byte, then the address. Linking: the memory manager's, which
// is finalized next (the mapper's controller allocates inside it without telling us).
CWrapperFunctionResult reserveVia(WrapperFn Orig, bool Linking, const char *Data, size_t Size) {
  uint64_t Want = 0;
  {
    SPSInputBuffer IB(Data, Size);
    ExecutorAddr Instance;
    SPSArgList<SPSExecutorAddr, uint64_t>::deserialize(IB, Instance, Want);
  }
  CWrapperFunctionResult R = Orig(Data, Size);
  const char *P = resultBytes(R);
  ExecutorAddr Base;
  if (P && R.Size >= 9 && P[0] == 1) {
    SPSInputBuffer IB(P + 1, R.Size - 1);
    if (SPSArgList<SPSExecutorAddr>::deserialize(IB, Base)) {
      std::lock_guard<std::mutex> Lock(Session.M);
      Session.Reserved[Base.getValue()] = {Want, Linking};
      TRACE("reserve 0x%llx bytes at 0x%llx\n", (unsigned long long)Want, (unsigned long long)Base.getValue());
    }
  }
  return R;
}

CWrapperFunctionResult reserveWrapper(const char *Data, size_t Size) {
  return reserveVia(OrigReserve, /*Linking=*/true, Data, Size);
}

// Called with Session.M held: the reservation holding Addr, or end().
std::map<uint64_t, SessionState::Reservation>::iterator reservationLocked(uint64_t Addr) {
  auto I = Session.Reserved.upper_bound(Addr);
  if (I == Session.Reserved.begin())
    return Session.Reserved.end();
  --I;
  return Addr - I->first < std::max<uint64_t>(I->second.Size, 1) ? I : Session.Reserved.end();
}

// Called with Session.M held: no link is in flight in reservation I any more.
void linkedLocked(std::map<uint64_t, SessionState::Reservation>::iterator I) {
  if (I != Session.Reserved.end() && I->second.Linking) {
    I->second.Linking = false;
    Session.CV.notify_all();
  }
}

size_t linkingLocked() {
  size_t N = 0;
  for (auto &KV : Session.Reserved)
    N += KV.second.Linking;
  return N;
}

// ---- unwind tables ---------------------------------------------------------------------------
// The .eh_frame registration wrappers are ours, not LLVM's: each section is registered with the
// unwinder (libgcc's __register_frame, as LLVM does on Linux) once, deregistered at most once, and
// deregistered before the memory that holds it is released. LLVM 19's controller, tearing down
// after an error of its own, may ask to deregister a section whose memory it has already released
// (libgcc then reads freed memory: SIGSEGV in __deregister_frame) or twice; such a request is now a
// no-op.
//
// The executor's own C++ runtime is linked in statically and not exported, so the executor needs
// only the C library. JIT'd C++ code needs a C++ runtime from the device: when the device has one,
// loadDeviceCxxRuntime() loads it at start (RTLD_GLOBAL: the code's __cxa_throw, typeinfo and
// operator new resolve there, as with the stock executor), and the sections are registered with
// *its* unwinder (libgcc_s's __register_frame), the one its __cxa_throw walks. Without it, the
// executor's own unwinder keeps the tables (JIT'd C code unwinds for debuggers and profilers all
// the same).
extern "C" void __register_frame(void *);
extern "C" void __deregister_frame(void *);

struct Unwinder {
  void (*Register)(void *);
  void (*Deregister)(void *);
} TheUnwinder = {__register_frame, __deregister_frame};

} // namespace

// JITDEBUG_EXECUTOR_CXX: the C++ runtime to offer JIT'd code (default libstdc++.so.6, looked up as
// the loader looks up any library); "none" offers none (docs/environment.md).
void loadDeviceCxxRuntime() {
  const char *Name = getenv("JITDEBUG_EXECUTOR_CXX");
  if (!Name || !*Name)
    Name = "libstdc++.so.6";
  if (strcmp(Name, "none") == 0)
    return;
  if (strnlen(Name, PATH_MAX) >= PATH_MAX) {
    std::fprintf(stderr, "jitdebug-executor: JITDEBUG_EXECUTOR_CXX is longer than %d bytes: no C++ runtime offered\n",
                 PATH_MAX);
    return;
  }
  // A path is looked at before the loader opens it: a FIFO or a device there would block dlopen's
  // open() for good (the loader opens without O_NONBLOCK). A bare name is searched for by the loader in
  // the system's and LD_LIBRARY_PATH's folders, which are the user's own.
  if (strchr(Name, '/')) {
    int Fd = open(Name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat St;
    bool Regular = Fd >= 0 && fstat(Fd, &St) == 0 && S_ISREG(St.st_mode);
    int Err = Fd < 0 ? errno : 0;
    if (Fd >= 0)
      close(Fd);
    if (!Regular) {
      std::fprintf(stderr, "jitdebug-executor: JITDEBUG_EXECUTOR_CXX=%s: %s: no C++ runtime offered\n", Name,
                   Err ? strerror(Err) : "not a regular file");
      return;
    }
  }
  if (!dlopen(Name, RTLD_NOW | RTLD_GLOBAL)) {
    TRACE("no C++ runtime for JIT'd code (%s); JIT'd C++ code will miss its symbols\n", dlerror());
    return;
  }
  void *GccS = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NOLOAD);
  auto *Reg = GccS ? reinterpret_cast<void (*)(void *)>(dlsym(GccS, "__register_frame")) : nullptr;
  auto *Dereg = GccS ? reinterpret_cast<void (*)(void *)>(dlsym(GccS, "__deregister_frame")) : nullptr;
  if (Reg && Dereg)
    TheUnwinder = {Reg, Dereg};
  TRACE("C++ runtime for JIT'd code: %s; .eh_frame sections go to %s unwinder\n", Name,
        Reg && Dereg ? "libgcc_s.so.1's" : "the executor's own");
}

namespace {

Error registerEHFrames(const ExecutorAddrRange &R) {
  if (!R.Start || R.End <= R.Start)
    return make_error<StringError>("jitdebug-executor: empty or inverted .eh_frame range", inconvertibleErrorCode());
  std::lock_guard<std::mutex> Lock(Session.M);
  if (!Session.EHFrames.insert(R.Start.getValue()).second)
    return Error::success();
  TheUnwinder.Register(R.Start.toPtr<void *>());
  TRACE("registered .eh_frame at 0x%llx\n", (unsigned long long)R.Start.getValue());
  return Error::success();
}

Error deregisterEHFrames(const ExecutorAddrRange &R) {
  std::lock_guard<std::mutex> Lock(Session.M);
  auto I = Session.EHFrames.find(R.Start.getValue());
  if (I == Session.EHFrames.end()) {
    TRACE("deregistering .eh_frame at 0x%llx: not registered (any more), nothing done\n",
          (unsigned long long)R.Start.getValue());
    return Error::success();
  }
  TheUnwinder.Deregister(R.Start.toPtr<void *>());
  Session.EHFrames.erase(I);
  TRACE("deregistered .eh_frame at 0x%llx\n", (unsigned long long)R.Start.getValue());
  return Error::success();
}

// Called with Session.M held, before [Base, Base + Len) is released.
void forgetEHFramesLocked(uint64_t Base, uint64_t Len) {
  for (auto I = Session.EHFrames.lower_bound(Base); I != Session.EHFrames.end() && *I - Base < Len;) {
    TheUnwinder.Deregister(reinterpret_cast<void *>(static_cast<uintptr_t>(*I)));
    TRACE("deregistered .eh_frame at 0x%llx before its memory is released\n", (unsigned long long)*I);
    I = Session.EHFrames.erase(I);
  }
}
} // namespace
} // namespace jdexec

using namespace jdexec;

extern "C" __attribute__((visibility("default"))) CWrapperFunctionResult
llvm_orc_registerEHFrameSectionWrapper(const char *Data, uint64_t Size) {
  return WrapperFunction<SPSError(SPSExecutorAddrRange)>::handle(Data, Size, registerEHFrames).release();
}
extern "C" __attribute__((visibility("default"))) CWrapperFunctionResult
llvm_orc_deregisterEHFrameSectionWrapper(const char *Data, uint64_t Size) {
  return WrapperFunction<SPSError(SPSExecutorAddrRange)>::handle(Data, Size, deregisterEHFrames).release();
}

namespace jdexec {
namespace {

CWrapperFunctionResult finalizeWrapper(const char *Data, size_t Size) {
  SPSInputBuffer IB(Data, Size);
  ExecutorAddr Instance;
  tpctypes::FinalizeRequest FR;
  std::vector<jd_segment> Segs;
  if (SPSArgList<SPSExecutorAddr, SPSFinalizeRequest>::deserialize(IB, Instance, FR)) {
    for (auto &S : FR.Segments)
      Segs.push_back({S.Addr.getValue(), S.Size, static_cast<uint64_t>(S.Content.size()), segmentProt(S)});
    if (!Segs.empty())
      jd_note_allocation(Segs.data(), Segs.size()); // before: the finalize actions register debug objects
  }
  CWrapperFunctionResult R = OrigFinalize(Data, Size);
  TRACE("finalize %zu segments at 0x%llx\n", Segs.size(), Segs.empty() ? 0ull : (unsigned long long)Segs[0].addr);
  std::lock_guard<std::mutex> Lock(Session.M); // after: the memory is in place and protected now
  for (auto &S : Segs)
    linkedLocked(reservationLocked(S.addr));
  return R;
}

// A release through either service, both asked (instance, bases).
//  - After exit() in the JIT'd program its memory stays until the process ends (its atexit handlers
//    run then and may be JIT code): the controller is told it was released.
//  - While the program's main runs its code stays too: LLVM 19's controller, tearing down after an
//    error of its own ("Resource tracker ... became defunct"), may release an object main is
//    executing. The release is carried out when main returns (runAsMainWrapper).
//  - Otherwise the .eh_frame sections inside are deregistered first, then the memory is released.
// Either way no link is in flight in those reservations any more.
CWrapperFunctionResult releaseVia(WrapperFn Orig, const char *Data, size_t Size) {
  SPSInputBuffer IB(Data, Size);
  ExecutorAddr Instance;
  std::vector<ExecutorAddr> Bases;
  SPSArgList<SPSExecutorAddr, SPSSequence<SPSExecutorAddr>>::deserialize(IB, Instance, Bases);
  bool Keep, Defer;
  {
    std::lock_guard<std::mutex> Lock(Session.M);
    Keep = Session.ExitRequested;
    Defer = !Keep && Session.MainRunning;
    if (Defer)
      Session.DeferredReleases.emplace_back(Orig, std::string(Data, Size));
    for (auto &B : Bases) {
      TRACE("release 0x%llx%s\n", (unsigned long long)B.getValue(),
            Keep ? " (kept: exit() was called)" : Defer ? " (deferred until main returns)" : "");
      auto I = Session.Reserved.find(B.getValue());
      linkedLocked(I);
      if (I == Session.Reserved.end() || Defer)
        continue; // a deferred release still holds its reservation
      if (!Keep)
        forgetEHFramesLocked(I->first, I->second.Size);
      Session.Reserved.erase(I);
    }
  }
  if (Keep || Defer) {
    CWrapperFunctionResult R;
    R.Data.ValuePtr = nullptr;
    R.Data.Value[0] = 0; // SPSError: success
    R.Size = 1;
    return R;
  }
  for (auto &B : Bases)
    jd_forget_allocation(B.getValue());
  return Orig(Data, Size);
}

CWrapperFunctionResult deallocateWrapper(const char *Data, size_t Size) { return releaseVia(OrigDeallocate, Data, Size); }

#ifdef JD_HAVE_SHARED_MEMORY_MAPPER
// `--use-shared-memory`: the controller maps the code itself and asks this service to reserve and
// release, through the same accounting as the memory manager's. (Segments are not reported to the
// hooks here: .bss is then placed from relocations, as in-process. And the controller allocates
// inside a reservation without telling the executor, so LLVM 19's early main cannot be held here.)
WrapperFn OrigShmReserve, OrigShmRelease;
CWrapperFunctionResult shmReserveWrapper(const char *Data, size_t Size) {
  return reserveVia(OrigShmReserve, /*Linking=*/false, Data, Size);
}
CWrapperFunctionResult shmReleaseWrapper(const char *Data, size_t Size) { return releaseVia(OrigShmRelease, Data, Size); }
#endif

// Before JIT'd code runs: every reservation made so far is finalized (MainWaitsForLinks at most).
void waitForLinks(const char *What) {
  std::unique_lock<std::mutex> Lock(Session.M);
  TRACE("%s called, %zu reservations not finalized yet\n", What, linkingLocked());
  if (!Session.CV.wait_for(Lock, MainWaitsForLinks, [] { return linkingLocked() == 0 || Session.Ended; }))
    fprintf(stderr, "jitdebug-executor: %s runs although %zu allocations are still not finalized after %llds\n", What,
            linkingLocked(), static_cast<long long>(MainWaitsForLinks.count()));
  TRACE("%s starts\n", What);
}

#ifdef JD_HAVE_RUN_AS_FUNCTION
WrapperFn OrigRunAsVoid, OrigRunAsInt;
CWrapperFunctionResult runAsVoidWrapper(const char *Data, size_t Size) {
  waitForLinks("run-as-void-function");
  return OrigRunAsVoid(Data, Size);
}
CWrapperFunctionResult runAsIntWrapper(const char *Data, size_t Size) {
  waitForLinks("run-as-int-function");
  return OrigRunAsInt(Data, Size);
}
#endif

CWrapperFunctionResult runAsMainWrapper(const char *Data, size_t Size) {
  waitForLinks("run-as-main");
  CWrapperFunctionResult R = OrigRunAsMain(Data, Size);
  std::vector<std::pair<WrapperFn, std::string>> Deferred;
  {
    std::lock_guard<std::mutex> Lock(Session.M);
    Session.MainRunning = false;
    Deferred.swap(Session.DeferredReleases);
  }
  for (auto &D : Deferred) { // now carried out (unless exit() keeps everything)
    CWrapperFunctionResult DR = releaseVia(D.first, D.second.data(), D.second.size());
    if (DR.Size > sizeof(DR.Data.Value))
      free(DR.Data.ValuePtr);
  }
  std::lock_guard<std::mutex> Lock(Session.M);
  Session.MainReturned = true;
  Session.LastActivity = std::chrono::steady_clock::now();
  return R;
}

// Installed after the memory manager, so its bootstrap symbols are already in the map.
class JDBootstrapService : public ExecutorBootstrapService {
public:
  void addBootstrapSymbols(StringMap<ExecutorAddr> &M) override {
    wrap(M, rt::SimpleExecutorMemoryManagerReserveWrapperName, OrigReserve, reserveWrapper);
    wrap(M, rt::SimpleExecutorMemoryManagerFinalizeWrapperName, OrigFinalize, finalizeWrapper);
    wrap(M, rt::SimpleExecutorMemoryManagerDeallocateWrapperName, OrigDeallocate, deallocateWrapper);
    wrap(M, rt::RunAsMainWrapperName, OrigRunAsMain, runAsMainWrapper);
#ifdef JD_HAVE_RUN_AS_FUNCTION
    wrap(M, rt::RunAsVoidFunctionWrapperName, OrigRunAsVoid, runAsVoidWrapper);
    wrap(M, rt::RunAsIntFunctionWrapperName, OrigRunAsInt, runAsIntWrapper);
#endif
#ifdef JD_HAVE_SHARED_MEMORY_MAPPER
    wrap(M, rt::ExecutorSharedMemoryMapperServiceReserveWrapperName, OrigShmReserve, shmReserveWrapper);
    wrap(M, rt::ExecutorSharedMemoryMapperServiceReleaseWrapperName, OrigShmRelease, shmReleaseWrapper);
#endif
    RunAsMainTag = reinterpret_cast<uint64_t>(&runAsMainWrapper);
    for (auto &KV : M) {
      bool User = false;
      for (const char *N : RunsUserCode)
        User |= KV.first() == N;
      // Data symbols (instances, the dispatch context) are never call tags; listing them is harmless.
      if (!User)
        InlineTags.insert(KV.second.getValue());
    }
    for (void *P : {reinterpret_cast<void *>(&llvm_orc_registerJITLoaderGDBWrapper),
                    reinterpret_cast<void *>(&llvm_orc_registerJITLoaderGDBAllocAction),
                    reinterpret_cast<void *>(&llvm_orc_registerEHFrameSectionWrapper),
                    reinterpret_cast<void *>(&llvm_orc_deregisterEHFrameSectionWrapper)})
      InlineTags.insert(reinterpret_cast<uint64_t>(P));
  }
  Error shutdown() override { return Error::success(); }

private:
  static void wrap(StringMap<ExecutorAddr> &M, const char *Name, WrapperFn &Orig, WrapperFn Ours) {
    auto I = M.find(Name);
    if (I == M.end())
      return;
    Orig = I->second.toPtr<WrapperFn>();
    I->second = ExecutorAddr::fromPtr(Ours);
  }
};

using ExitFn = void (*)(int);

[[noreturn]] void realExit(int Status) {
  static ExitFn Real = reinterpret_cast<ExitFn>(dlsym(RTLD_NEXT, "exit"));
  if (Real)
    Real(Status);
  std::fflush(nullptr);
  _exit(Status);
}

} // namespace

std::unique_ptr<ExecutorBootstrapService> makeBootstrapService() { return std::make_unique<JDBootstrapService>(); }

} // namespace jdexec

// exit() of the whole process, exported (executor.dynlist) so that JIT'd code linked against the
// executor's symbols calls it. While the program's main runs, its status becomes main's result: the
// controller gets it as run-as-main's return value and exits with it, as llvm-jitlink does in-process.
extern "C" __attribute__((visibility("default"))) void exit(int Status) noexcept { // noreturn, as <stdlib.h> has it
  std::function<void(uint64_t, int64_t)> Send;
  uint64_t SeqNo = 0;
  {
    std::lock_guard<std::mutex> Lock(Session.M);
    if (Session.MainRunning && !Session.ExitRequested && Session.SendMainResult) {
      Session.ExitRequested = true;
      Session.ExitStatus = Status;
      Session.MainRunning = false;
      Session.MainReturned = true;
      Session.LastActivity = std::chrono::steady_clock::now();
      Send = Session.SendMainResult;
      SeqNo = Session.MainSeqNo;
    }
  }
  if (Send) {
    std::fflush(nullptr); // the program's output before the controller reports its status
    Send(SeqNo, Status);
    // Wait (bounded) for the controller to end the session, then exit here, with JIT code mapped.
    std::unique_lock<std::mutex> Lock(Session.M);
    Session.CV.wait_for(Lock, std::chrono::seconds(10), [] { return Session.Ended; });
  }
  realExit(Status);
}
