// main.cpp — jitdebug-executor: a drop-in for llvm-jitlink-executor with the hooks inside.
//
// Same arguments as LLVM's executor: `filedescs=IN,OUT` or `listen=HOST:PORT`. Built on LLVM's
// SimpleRemoteEPCServer (ORC target-process library), one executable per LLVM version
// (jitdebug-executor-NN; what differs between versions: llvm-version.h). The parts:
//  - main.cpp: the arguments (checked before LLVM sees them: `filedescs=` descriptors, and the
//    `listen=` address, which alone is bound where the stock executor binds every interface), the
//    server, the idle watchdog, and the end;
//  - transport.cpp: the framing over the socket, and which calls run inline on the reader thread;
//  - session.cpp: the wrappers around the memory manager and run-as-main, .eh_frame registration,
//    `exit()` in the JIT'd program, when the session ends;
//  - perf_support.cpp: `llvm-jitlink --perf-support` (LLVM 18+).
// The registration symbols (llvm_orc_registerJITLoaderGDBWrapper, __jit_debug_*) come from the hooks
// and are exported from the executable (executor.dynlist).
#include "executor.h"
#include "transport.h"

#include "jitdebug-hooks.h"
#include "jitdebug-version.h"
#include "jitdebug.h" /* jd_parse_hostport, jd_parse_u64 */

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace llvm;
using namespace llvm::orc;
using namespace jdexec;

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
        S.setDispatcher(makeDispatcher());
        S.bootstrapSymbols() = SimpleRemoteEPCServer::defaultBootstrapSymbols();
        S.services().push_back(std::make_unique<rt_bootstrap::SimpleExecutorMemoryManager>());
#ifdef JD_HAVE_SHARED_MEMORY_MAPPER
        S.services().push_back(std::make_unique<rt_bootstrap::ExecutorSharedMemoryMapperService>());
#endif
        S.services().push_back(makeBootstrapService());
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
