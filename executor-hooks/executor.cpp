// executor.cpp — jitdebug-executor: a drop-in for llvm-jitlink-executor with the hooks inside.
//
// Same arguments as LLVM 16's executor: `filedescs=IN,OUT` or `listen=HOST:PORT`. Built on LLVM's
// SimpleRemoteEPCServer (ORC target-process library); this file is the thin C++ glue:
//  - binds exactly the address it is given (the stock one binds every interface);
//  - its own transport: one writev per message, TCP_NODELAY, and TCP_QUICKACK re-armed after every
//    read, so the controller's header-then-payload writes are never held by Nagle + delayed ACK;
//  - wraps the memory manager's reserve/finalize/deallocate wrappers to report every allocation's
//    segments to the hooks (jd_note_allocation: real addresses for .bss in debug objects) and to
//    count live allocations;
//  - `exit(N)` in the JIT'd program is reported to the controller as main's status N (exit is
//    interposed here and exported): the run-as-main call gets its Result, the controller's memory is
//    kept until the process ends (atexit handlers may be JIT code), and the process exits with N
//    once the session has ended — as the program would in-process;
//  - checks `filedescs=` descriptors and `listen=` ports before LLVM sees them;
//  - ends the session itself: LLVM 16's controller closes its socket while its own reader thread is
//    blocked in read(), so no FIN is ever sent and the stock pair hangs. Once the program's main has
//    returned and the controller has released every allocation (or nothing arrives for a second
//    after main returned), the executor shuts the connection down, which completes the controller's
//    disconnect; both processes then exit, the controller with the program's status.
// The registration symbols (llvm_orc_registerJITLoaderGDBWrapper, __jit_debug_*) come from the hooks
// and are exported from the executable (executor.dynlist).

#include "jitdebug-hooks.h"
#include "jitdebug-version.h"
#include "jitdebug.h"
#include "registry.h" /* jd_registry_lookup_addr: the registry's address index, the one internal entry point */

#include "llvm/Config/llvm-config.h" /* LLVM_VERSION_STRING */
#include "llvm/ExecutionEngine/Orc/Shared/OrcRTBridge.h"
#include "llvm/ExecutionEngine/Orc/Shared/SimpleRemoteEPCUtils.h"
#include "llvm/ExecutionEngine/Orc/Shared/TargetProcessControlTypes.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/ExecutorBootstrapService.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/RegisterEHFrames.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/SimpleExecutorMemoryManager.h"
#include "llvm/ExecutionEngine/Orc/TargetProcess/SimpleRemoteEPCServer.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/Shared/WrapperFunctionUtils.h"
#if __has_include("llvm/ExecutionEngine/Orc/TargetProcess/ExecutorSharedMemoryMapperService.h")
#include "llvm/ExecutionEngine/Orc/TargetProcess/ExecutorSharedMemoryMapperService.h"
#define JD_HAVE_SHARED_MEMORY_MAPPER 1
#endif
#if LLVM_VERSION_MAJOR >= 18
#include "llvm/ExecutionEngine/Orc/Shared/PerfSharedStructs.h"
#include "llvm/ExecutionEngine/Orc/Shared/WrapperFunctionUtils.h"
#endif
#include "llvm/Support/Error.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <map>
#include <unordered_map>
#include <set>
#include <string>
#include <thread>

#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

using namespace llvm;
using namespace llvm::orc;
using namespace llvm::orc::shared;

// ---- What differs between the LLVM versions this file is built against (docs/formats.md) ----------
// Each executor is built against one LLVM's headers and ORC library (jitdebug-executor-NN), so the
// wire format (the Setup message changed in 17) is always that version's own. What this file reads
// itself differs only here:
//  - a segment's protection in a finalize request: `Prot` (WireProtectionFlags) up to 14, `AG`
//    (AllocGroup) in 15 and 16, `RAG` (RemoteAllocGroup) from 17;
//  - the wrappers that run JIT'd code: run-as-main always, run-as-void/int-function from 15;
//  - perf support entry points (llvm_orc_registerJITLoaderPerf{Start,End,Impl}) from 18, below;
//  - the shared-memory mapper service (`llvm-jitlink --use-shared-memory`) where the version has it
//    (JD_HAVE_SHARED_MEMORY_MAPPER: 16 and 19 here, not 14).
namespace {
uint32_t segmentProt(const tpctypes::SegFinalizeRequest &S) {
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

const char *const RunsUserCode[] = {
    rt::RunAsMainWrapperName,
#if LLVM_VERSION_MAJOR >= 15
    rt::RunAsVoidFunctionWrapperName, rt::RunAsIntFunctionWrapperName,
#endif
};
} // namespace

// From the hooks (orc.c); only their addresses are used here.
extern "C" CWrapperFunctionResult llvm_orc_registerJITLoaderGDBWrapper(const char *, uint64_t);
extern "C" CWrapperFunctionResult llvm_orc_registerJITLoaderGDBAllocAction(const char *, size_t);

namespace {

constexpr uint64_t MaxMessageSize = 1ull << 30;
constexpr auto IdleExitAfterMain = std::chrono::milliseconds(1000);
// A controller sends its first call within milliseconds of our Setup message. One that sends nothing
// for this long could not read it (another LLVM's wire format) and may be stuck in LLVM 16's
// disconnect (it closes its socket while its own reader blocks), so the executor hangs up.
constexpr auto FirstMessageTimeout = std::chrono::milliseconds(5000);

// ---- session end detection ------------------------------------------------------------------

using WrapperFn = CWrapperFunctionResult (*)(const char *, size_t);

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
SessionState Session;
uint64_t RunAsMainTag; // the address the controller calls for run-as-main (our wrapper)

// Called with Session.M held, after a Result was sent or state changed. Force: the idle watchdog
// ends the session even though the controller still holds allocations.
void maybeEndLocked(bool Force = false) {
  if (Session.Ended || !Session.MainReturned || Session.InFlight > 0 || (!Session.Reserved.empty() && !Force))
    return;
  Session.Ended = true;
  Session.CV.notify_all(); // a program's exit() waits for this
  if (Session.Shutdown)
    Session.Shutdown();
}

// ---- dispatch ------------------------------------------------------------------------------
// LLVM's ThreadDispatcher starts a thread for every call: with 8 calls per linked object that is
// most of the remote overhead. Calls to the bootstrap wrappers we know to be short (memory manager,
// dylib lookup, memory writes, eh-frame and debug-object registration) run inline on the reader
// thread; run-as-main/void/int (user code, which may call back into the controller) and every unknown
// tag keep their own thread.

std::set<uint64_t> InlineTags; // filled before the first message, read-only afterwards
thread_local bool InlineNextDispatch = false;

class JDDispatcher : public SimpleRemoteEPCServer::ThreadDispatcher {
public:
  void dispatch(unique_function<void()> Work) override {
    if (InlineNextDispatch) {
      InlineNextDispatch = false;
      Work();
      return;
    }
    ThreadDispatcher::dispatch(std::move(Work));
  }
};

// ---- transport ------------------------------------------------------------------------------

class JDTransport : public SimpleRemoteEPCTransport {
public:
  static Expected<std::unique_ptr<JDTransport>> Create(SimpleRemoteEPCTransportClient &C, int InFD,
                                                        int OutFD) {
    return std::unique_ptr<JDTransport>(new JDTransport(C, InFD, OutFD));
  }

  ~JDTransport() override {
    {
      std::lock_guard<std::mutex> Lock(Session.M);
      Session.Shutdown = nullptr;
      Session.SendMainResult = nullptr;
    }
    disconnect();
    if (Listener.joinable())
      Listener.join();
    close(InFD);
    if (OutFD >= 0 && OutFD != InFD)
      close(OutFD);
  }

  Error start() override {
    Listener = std::thread([this] { listenLoop(); });
    return Error::success();
  }

  Error sendMessage(SimpleRemoteEPCOpcode OpC, uint64_t SeqNo, ExecutorAddr TagAddr,
                    ArrayRef<char> ArgBytes) override {
    char Hdr[32];
    putLE64(Hdr, 32 + ArgBytes.size());
    putLE64(Hdr + 8, static_cast<uint64_t>(OpC));
    putLE64(Hdr + 16, SeqNo);
    putLE64(Hdr + 24, TagAddr.getValue());
    {
      std::lock_guard<std::mutex> Lock(WriteMutex);
      if (Disconnected)
        return make_error<StringError>("jitdebug-executor: connection closed", inconvertibleErrorCode());
      struct iovec IOV[2] = {{Hdr, sizeof(Hdr)}, {const_cast<char *>(ArgBytes.data()), ArgBytes.size()}};
      if (Error Err = writeAll(IOV, ArgBytes.empty() ? 1 : 2))
        return Err;
    }
    if (OpC == SimpleRemoteEPCOpcode::Result) {
      std::lock_guard<std::mutex> Lock(Session.M);
      Session.InFlight--;
      Session.LastActivity = std::chrono::steady_clock::now();
      maybeEndLocked();
    }
    return Error::success();
  }

  void disconnect() override {
    std::lock_guard<std::mutex> Lock(WriteMutex);
    if (Disconnected)
      return;
    Disconnected = true;
    // shutdown() wakes our reader (close() would not) and sends FIN to the controller.
    if (IsSocket) {
      shutdown(InFD, SHUT_RDWR);
    } else if (OutFD != InFD) {
      close(OutFD); // the controller sees EOF on its end of the pipe
      OutFD = -1;
    }
  }

private:
  JDTransport(SimpleRemoteEPCTransportClient &C, int InFD, int OutFD) : C(C), InFD(InFD), OutFD(OutFD) {
    int Type = 0;
    socklen_t Len = sizeof(Type);
    IsSocket = getsockopt(InFD, SOL_SOCKET, SO_TYPE, &Type, &Len) == 0 && Type == SOCK_STREAM;
    if (IsSocket) {
      int One = 1;
      setsockopt(InFD, IPPROTO_TCP, TCP_NODELAY, &One, sizeof(One));
    }
    std::lock_guard<std::mutex> Lock(Session.M);
    Session.Shutdown = [this] { disconnect(); }; // lock order: Session.M, then WriteMutex
    Session.SendMainResult = [this](uint64_t SeqNo, int64_t Status) {
      char Bytes[8];
      putLE64(Bytes, static_cast<uint64_t>(Status)); // SPS int64_t: main's return value
      if (Error Err = sendMessage(SimpleRemoteEPCOpcode::Result, SeqNo, ExecutorAddr(), ArrayRef<char>(Bytes, 8)))
        consumeError(std::move(Err));
    };
  }

  static void putLE64(char *P, uint64_t V) {
    for (int I = 0; I < 8; ++I)
      P[I] = static_cast<char>(V >> (8 * I));
  }
  static uint64_t getLE64(const char *P) {
    uint64_t V = 0;
    for (int I = 7; I >= 0; --I)
      V = V << 8 | static_cast<unsigned char>(P[I]);
    return V;
  }

  void quickAck() {
    if (IsSocket) {
      int One = 1;
      setsockopt(InFD, IPPROTO_TCP, TCP_QUICKACK, &One, sizeof(One));
    }
  }

  // Fills Buf with Len bytes from the read buffer, refilling it with large reads (one read usually
  // brings a whole message or several). 1: got all; 0: clean EOF before the first byte; -1: error
  // or EOF mid-way.
  int readAll(char *Buf, size_t Len) {
    size_t Done = 0;
    while (Done < Len) {
      if (RBegin == REnd) {
        if (Len - Done >= sizeof(RBuf)) { // large payload: straight into place
          ssize_t N = read(InFD, Buf + Done, Len - Done);
          if (N < 0 && errno == EINTR)
            continue;
          if (N <= 0)
            return (N == 0 && Done == 0) ? 0 : -1;
          Done += static_cast<size_t>(N);
          quickAck();
          continue;
        }
        ssize_t N = read(InFD, RBuf, sizeof(RBuf));
        if (N < 0 && errno == EINTR)
          continue;
        if (N <= 0)
          return (N == 0 && Done == 0) ? 0 : -1;
        RBegin = 0;
        REnd = static_cast<size_t>(N);
        quickAck();
      }
      size_t Take = std::min(Len - Done, REnd - RBegin);
      std::memcpy(Buf + Done, RBuf + RBegin, Take);
      RBegin += Take;
      Done += Take;
    }
    return 1;
  }

  Error writeAll(struct iovec *IOV, int N) {
    while (N > 0) {
      ssize_t W = writev(OutFD, IOV, N);
      if (W < 0) {
        if (errno == EINTR)
          continue;
        return errorCodeToError(std::error_code(errno, std::generic_category()));
      }
      size_t Left = static_cast<size_t>(W);
      while (N > 0 && Left >= IOV->iov_len) {
        Left -= IOV->iov_len;
        ++IOV;
        --N;
      }
      if (N > 0) {
        IOV->iov_base = static_cast<char *>(IOV->iov_base) + Left;
        IOV->iov_len -= Left;
      }
    }
    return Error::success();
  }

  void listenLoop() {
    Error Err = Error::success();
    while (true) {
      char Hdr[32];
      int R = readAll(Hdr, sizeof(Hdr));
      if (R == 0)
        break; // clean end at a message boundary
      if (R < 0) {
        if (!Disconnected)
          Err = make_error<StringError>("jitdebug-executor: connection lost mid-message", inconvertibleErrorCode());
        break;
      }
      uint64_t Size = getLE64(Hdr), OpC = getLE64(Hdr + 8), SeqNo = getLE64(Hdr + 16), Tag = getLE64(Hdr + 24);
      if (Size < 32 || Size - 32 > MaxMessageSize || OpC > static_cast<uint64_t>(SimpleRemoteEPCOpcode::LastOpC)) {
        Err = make_error<StringError>("jitdebug-executor: malformed message header", inconvertibleErrorCode());
        break;
      }
      // The body grows with what arrives, not with what the header claims: a peer that announces
      // 1 GiB and sends nothing costs one 1 MiB step, not a zeroed gigabyte (doubling after that).
      SimpleRemoteEPCArgBytesVector Args;
      const uint64_t Want = Size - 32;
      int Got = 1;
      while (Args.size() < Want && Got == 1) {
        size_t Have = Args.size();
        size_t Step = static_cast<size_t>(std::min<uint64_t>(Want - Have, std::max<size_t>(Have, 1u << 20)));
        Args.resize(Have + Step);
        Got = readAll(Args.data() + Have, Step);
      }
      if (Got != 1) {
        Err = make_error<StringError>("jitdebug-executor: connection lost mid-message", inconvertibleErrorCode());
        break;
      }
      auto Op = static_cast<SimpleRemoteEPCOpcode>(OpC);
      {
        std::lock_guard<std::mutex> Lock(Session.M);
        Session.Received++;
      }
      if (Op == SimpleRemoteEPCOpcode::CallWrapper) {
        std::lock_guard<std::mutex> Lock(Session.M);
        Session.InFlight++;
        Session.LastActivity = std::chrono::steady_clock::now();
        if (Tag == RunAsMainTag && RunAsMainTag) {
          Session.MainRunning = true;
          Session.MainSeqNo = SeqNo;
        }
      }
      InlineNextDispatch = Op == SimpleRemoteEPCOpcode::CallWrapper && InlineTags.count(Tag);
      auto Action = C.handleMessage(Op, SeqNo, ExecutorAddr(Tag), std::move(Args));
      InlineNextDispatch = false;
      if (!Action) {
        Err = Action.takeError();
        break;
      }
      if (*Action == SimpleRemoteEPCTransportClient::EndSession)
        break;
    }
    C.handleDisconnect(std::move(Err));
  }

  SimpleRemoteEPCTransportClient &C;
  char RBuf[64 * 1024];
  size_t RBegin = 0, REnd = 0;
  int InFD, OutFD;
  bool IsSocket = false;
  std::mutex WriteMutex;
  bool Disconnected = false;
  std::thread Listener;
};

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

extern "C" __attribute__((visibility("default"))) CWrapperFunctionResult
llvm_orc_registerEHFrameSectionWrapper(const char *Data, uint64_t Size) {
  return WrapperFunction<SPSError(SPSExecutorAddrRange)>::handle(Data, Size, registerEHFrames).release();
}
extern "C" __attribute__((visibility("default"))) CWrapperFunctionResult
llvm_orc_deregisterEHFrameSectionWrapper(const char *Data, uint64_t Size) {
  return WrapperFunction<SPSError(SPSExecutorAddrRange)>::handle(Data, Size, deregisterEHFrames).release();
}

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

#if LLVM_VERSION_MAJOR >= 15
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

#if LLVM_VERSION_MAJOR >= 18
// ---- `llvm-jitlink --perf-support` (LLVM 18+) ------------------------------------------------------
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
namespace {
#endif

// Installed after the memory manager, so its bootstrap symbols are already in the map.
class JDBootstrapService : public ExecutorBootstrapService {
public:
  void addBootstrapSymbols(StringMap<ExecutorAddr> &M) override {
    wrap(M, rt::SimpleExecutorMemoryManagerReserveWrapperName, OrigReserve, reserveWrapper);
    wrap(M, rt::SimpleExecutorMemoryManagerFinalizeWrapperName, OrigFinalize, finalizeWrapper);
    wrap(M, rt::SimpleExecutorMemoryManagerDeallocateWrapperName, OrigDeallocate, deallocateWrapper);
    wrap(M, rt::RunAsMainWrapperName, OrigRunAsMain, runAsMainWrapper);
#if LLVM_VERSION_MAJOR >= 15
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


// ---- main -----------------------------------------------------------------------------------

using ExitFn = void (*)(int);

[[noreturn]] void realExit(int Status) {
  static ExitFn Real = reinterpret_cast<ExitFn>(dlsym(RTLD_NEXT, "exit"));
  if (Real)
    Real(Status);
  std::fflush(nullptr);
  _exit(Status);
}

} // namespace

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

namespace {

// The arguments, described once: the usage message, --help and the man page (--man; the build writes
// jitdebug-executor.1 with it).
const struct {
  const char *Form, *Text;
} Forms[] = {
    {"filedescs=<infd>,<outfd>", "Serves the ORC controller over two open file descriptors (llvm-jitlink -oop-executor)."},
    {"listen=<host>:<port>", "Accepts one controller on that address (llvm-jitlink -oop-executor-connect); port 0 "
                             "picks a free port, printed on stderr. Only that address is bound."},
    {"--version", "Prints the jitdebug version and the LLVM version the executor was built with."},
};

void printUsage(FILE *F) {
  for (size_t I = 0; I < sizeof(Forms) / sizeof(Forms[0]); I++)
    std::fprintf(F, "%s jitdebug-executor %s\n", I ? "      " : "usage:", Forms[I].Form);
}

[[noreturn]] void usage(const char *Msg) {
  std::fprintf(stderr, "jitdebug-executor: %s\n", Msg);
  printUsage(stderr);
  std::exit(1);
}

void printMan() {
  std::printf(".TH JITDEBUG-EXECUTOR 1 \"\" \"jitdebug %s\" \"User Commands\"\n"
              ".SH NAME\njitdebug\\-executor \\- an LLVM ORC executor (llvm\\-jitlink\\-executor) with the jitdebug hooks "
              "inside\n.SH SYNOPSIS\n",
              JD_VERSION_STRING);
  for (const auto &F : Forms)
    std::printf(".B jitdebug\\-executor\n%s\n.br\n", F.Form);
  std::printf(".SH DESCRIPTION\nA drop\\-in for LLVM %s's llvm\\-jitlink\\-executor. JIT objects it receives reach GDB, "
              "LLDB and perf through the hooks: the GDB JIT interface, the registry, perf map and jitdump, and the "
              "debug link.\n",
              LLVM_VERSION_STRING);
  for (const auto &F : Forms)
    std::printf(".TP\n.B %s\n%s\n", F.Form, F.Text);
  std::printf(".SH ENVIRONMENT\nJITDEBUG_GDB, JITDEBUG_PERFMAP, JITDEBUG_JITDUMP, JITDEBUG_LISTEN, JITDEBUG_TOKEN, "
              "JITDEBUG_EXECUTOR_CXX, JITDEBUG_EXECUTOR_TRACE: "
              "see environment.md in share/doc/jitdebug.\n.SH SEE ALSO\n.BR jitdebug (1),\n.BR llvm\\-jitlink (1)\n");
}

int listenAndAccept(const std::string &Spec) {
  char HostC[256], Why[192];
  uint16_t PortN;
  if (jd_parse_hostport(Spec.c_str(), HostC, sizeof(HostC), &PortN, Why, sizeof(Why)) != 0)
    usage((std::string("listen=: ") + Why).c_str());
  std::string Host = HostC, Port = std::to_string(PortN);
  struct addrinfo Hints = {}, *Res = nullptr;
  Hints.ai_family = AF_UNSPEC;
  Hints.ai_socktype = SOCK_STREAM;
  Hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (int E = getaddrinfo(Host.empty() ? nullptr : Host.c_str(), Port.c_str(), &Hints, &Res)) {
    std::fprintf(stderr, "jitdebug-executor: cannot resolve %s: %s\n", Spec.c_str(), gai_strerror(E));
    std::exit(1);
  }
  int LFD = -1;
  for (auto *A = Res; A && LFD < 0; A = A->ai_next) {
    LFD = socket(A->ai_family, A->ai_socktype | SOCK_CLOEXEC, A->ai_protocol);
    if (LFD < 0)
      continue;
    int One = 1;
    setsockopt(LFD, SOL_SOCKET, SO_REUSEADDR, &One, sizeof(One));
    if (bind(LFD, A->ai_addr, A->ai_addrlen) < 0 || listen(LFD, 1) < 0) {
      close(LFD);
      LFD = -1;
    }
  }
  freeaddrinfo(Res);
  if (LFD < 0) {
    std::fprintf(stderr, "jitdebug-executor: cannot listen on %s: %s\n", Spec.c_str(), std::strerror(errno));
    std::exit(1);
  }
  struct sockaddr_storage SA;
  socklen_t SALen = sizeof(SA);
  char HostBuf[NI_MAXHOST], PortBuf[NI_MAXSERV];
  if (getsockname(LFD, reinterpret_cast<sockaddr *>(&SA), &SALen) == 0 &&
      getnameinfo(reinterpret_cast<sockaddr *>(&SA), SALen, HostBuf, sizeof(HostBuf), PortBuf, sizeof(PortBuf),
                  NI_NUMERICHOST | NI_NUMERICSERV) == 0)
    std::fprintf(stderr, "jitdebug-executor: listening on %s:%s\n", HostBuf, PortBuf);
  int FD;
  do
    FD = accept4(LFD, nullptr, nullptr, SOCK_CLOEXEC);
  while (FD < 0 && errno == EINTR);
  close(LFD);
  if (FD < 0) {
    std::fprintf(stderr, "jitdebug-executor: accept: %s\n", std::strerror(errno));
    std::exit(1);
  }
  return FD;
}

// A descriptor handed over with filedescs= must be open for the way it is used (LLVM's transport
// crashes on a bad one): say which one is wrong.
void checkDescriptor(int FD, const char *Which, int Need) {
  int Flags = fcntl(FD, F_GETFL);
  if (Flags < 0)
    usage(("filedescs=: the " + std::string(Which) + " descriptor " + std::to_string(FD) + " is not open").c_str());
  int Mode = Flags & O_ACCMODE;
  if (Mode != O_RDWR && Mode != Need)
    usage(("filedescs=: the " + std::string(Which) + " descriptor " + std::to_string(FD) + " is not open for " +
           (Need == O_RDONLY ? "reading" : "writing"))
              .c_str());
}

} // namespace

int main(int argc, char *argv[]) {
  ExitOnError ExitOnErr("jitdebug-executor: ");
  if (argc < 2)
    usage("missing argument");
  std::string Arg = argv[1];
  if (Arg == "--version") {
    std::printf("jitdebug-executor %s (LLVM %s)\n", JD_VERSION_STRING, LLVM_VERSION_STRING);
    return 0;
  }
  if (Arg == "--help" || Arg == "-h") {
    printUsage(stdout);
    return 0;
  }
  if (Arg == "--man") {
    printMan();
    return 0;
  }
  int InFD, OutFD;
  if (Arg.rfind("filedescs=", 0) == 0) {
    std::string Spec = Arg.substr(10);
    auto Comma = Spec.find(',');
    uint64_t In, Out;
    if (Comma == std::string::npos || jd_parse_u64(Spec.substr(0, Comma).c_str(), 0, INT32_MAX, &In) != 0 ||
        jd_parse_u64(Spec.substr(Comma + 1).c_str(), 0, INT32_MAX, &Out) != 0)
      usage("filedescs= needs <infd>,<outfd>: two descriptor numbers");
    InFD = static_cast<int>(In);
    OutFD = static_cast<int>(Out);
    checkDescriptor(InFD, "in", O_RDONLY);
    checkDescriptor(OutFD, "out", O_WRONLY);
  } else if (Arg.rfind("listen=", 0) == 0) {
    InFD = OutFD = listenAndAccept(Arg.substr(7));
  } else {
    usage(("unknown argument " + Arg).c_str());
  }

  loadDeviceCxxRuntime();
  auto Server = ExitOnErr(SimpleRemoteEPCServer::Create<JDTransport>(
      [](SimpleRemoteEPCServer::Setup &S) -> Error {
        S.setDispatcher(std::make_unique<JDDispatcher>());
        S.bootstrapSymbols() = SimpleRemoteEPCServer::defaultBootstrapSymbols();
        S.services().push_back(std::make_unique<rt_bootstrap::SimpleExecutorMemoryManager>());
#ifdef JD_HAVE_SHARED_MEMORY_MAPPER
        S.services().push_back(std::make_unique<rt_bootstrap::ExecutorSharedMemoryMapperService>());
#endif
        S.services().push_back(std::make_unique<JDBootstrapService>());
        return Error::success();
      },
      InFD, OutFD));

  // Idle watchdog: a controller that never releases its allocations still ends the session once the
  // program has returned and the connection has been quiet for a while; one that never sends its
  // first message is hung up on (FirstMessageTimeout, counted from our Setup message).
  {
    std::lock_guard<std::mutex> Lock(Session.M);
    Session.LastActivity = std::chrono::steady_clock::now();
  }
  std::thread Watchdog([] {
    std::unique_lock<std::mutex> Lock(Session.M);
    while (!Session.Ended) {
      Session.CV.wait_for(Lock, std::chrono::milliseconds(100));
      if (Session.Received == 0 && std::chrono::steady_clock::now() - Session.LastActivity > FirstMessageTimeout) {
        Session.Ended = true;
        if (Session.Shutdown)
          Session.Shutdown();
        break;
      }
      if (Session.MainReturned && Session.InFlight == 0 &&
          std::chrono::steady_clock::now() - Session.LastActivity > IdleExitAfterMain) {
        maybeEndLocked(/*Force=*/true);
      }
    }
  });

  Error Err = Server->waitForDisconnect();
  bool ProgramExits;
  uint64_t Received;
  {
    std::lock_guard<std::mutex> Lock(Session.M);
    Session.Ended = true;
    ProgramExits = Session.ExitRequested;
    Received = Session.Received;
  }
  Session.CV.notify_all();
  Watchdog.join();
  if (Err && !ProgramExits)
    logAllUnhandledErrors(std::move(Err), errs(), "jitdebug-executor: ");
  else if (Err)
    consumeError(std::move(Err));
  if (ProgramExits) // the program's exit() ends the process, in its own thread, with its status
    for (;;)
      pause();
  if (Received == 0) {
    // A controller that cannot read our Setup message (another LLVM's wire format: docs/formats.md)
    // gives up or crashes before it sends anything; so does one that was not a controller at all.
    fprintf(stderr,
            "jitdebug-executor: the controller closed the connection without a single message: it could not "
            "read this executor's setup. This is jitdebug-executor for LLVM %d; a controller of another LLVM "
            "version (e.g. llvm-jitlink-NN) needs jitdebug-executor-NN.\n",
            LLVM_VERSION_MAJOR);
    return 1;
  }
  return 0;
}
