// transport.cpp — jitdebug-executor's transport and dispatcher (transport.h).
#include "transport.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace llvm;
using namespace llvm::orc;
using namespace llvm::orc::shared;

namespace jdexec {

std::set<uint64_t> InlineTags;
thread_local bool InlineNextDispatch = false;

namespace {

// ---- dispatch ------------------------------------------------------------------------------
// LLVM's ThreadDispatcher starts a thread for every call: with 8 calls per linked object that is
// most of the remote overhead. Calls to the bootstrap wrappers we know to be short (memory manager,
// dylib lookup, memory writes, eh-frame and debug-object registration) run inline on the reader
// thread; run-as-main/void/int (user code, which may call back into the controller) and every unknown
// tag keep their own thread.
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

void putLE64(char *P, uint64_t V) {
  for (int I = 0; I < 8; ++I)
    P[I] = static_cast<char>(V >> (8 * I));
}

uint64_t getLE64(const char *P) {
  uint64_t V = 0;
  for (int I = 7; I >= 0; --I)
    V = V << 8 | static_cast<unsigned char>(P[I]);
  return V;
}

} // namespace

std::unique_ptr<SimpleRemoteEPCServer::Dispatcher> makeDispatcher() { return std::make_unique<JDDispatcher>(); }

Expected<std::unique_ptr<JDTransport>> JDTransport::Create(SimpleRemoteEPCTransportClient &C, int InFD, int OutFD) {
  return std::unique_ptr<JDTransport>(new JDTransport(C, InFD, OutFD));
}

JDTransport::~JDTransport() {
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

Error JDTransport::start() {
  Listener = std::thread([this] { listenLoop(); });
  return Error::success();
}

Error JDTransport::sendMessage(SimpleRemoteEPCOpcode OpC, uint64_t SeqNo, ExecutorAddr TagAddr,
                              ArrayRef<char> ArgBytes) {
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

void JDTransport::disconnect() {
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

JDTransport::JDTransport(SimpleRemoteEPCTransportClient &C, int InFD, int OutFD) : C(C), InFD(InFD), OutFD(OutFD) {
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

void JDTransport::quickAck() {
  if (IsSocket) {
    int One = 1;
    setsockopt(InFD, IPPROTO_TCP, TCP_QUICKACK, &One, sizeof(One));
  }
}

// Fills Buf with Len bytes from the read buffer, refilling it with large reads (one read usually
// brings a whole message or several). 1: got all; 0: clean EOF before the first byte; -1: error
// or EOF mid-way.
int JDTransport::readAll(char *Buf, size_t Len) {
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

Error JDTransport::writeAll(struct iovec *IOV, int N) {
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

void JDTransport::listenLoop() {
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

} // namespace jdexec
