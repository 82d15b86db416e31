// transport.h — jitdebug-executor's transport to the ORC controller (transport.cpp): LLVM's
// SimpleRemoteEPC framing (docs/formats.md) over one socket or a pair of descriptors, one writev per
// message, TCP_NODELAY, and TCP_QUICKACK re-armed after every read, so the controller's
// header-then-payload writes are never held by Nagle + delayed ACK. A message's body grows with what
// arrives, never with what its header claims. It also tells the session (executor.h) what it sees:
// calls in flight, the run-as-main call, results sent, the connection's end.
#ifndef JD_EXECUTOR_TRANSPORT_H
#define JD_EXECUTOR_TRANSPORT_H

#include "executor.h"

#include <sys/uio.h>
#include <thread>

namespace jdexec {

class JDTransport : public llvm::orc::SimpleRemoteEPCTransport {
public:
  static llvm::Expected<std::unique_ptr<JDTransport>> Create(llvm::orc::SimpleRemoteEPCTransportClient &C, int InFD,
                                                              int OutFD);
  ~JDTransport() override;
  llvm::Error start() override;
  llvm::Error sendMessage(llvm::orc::SimpleRemoteEPCOpcode OpC, uint64_t SeqNo, llvm::orc::ExecutorAddr TagAddr,
                          llvm::ArrayRef<char> ArgBytes) override;
  void disconnect() override;

private:
  JDTransport(llvm::orc::SimpleRemoteEPCTransportClient &C, int InFD, int OutFD);
  void quickAck();
  int readAll(char *Buf, size_t Len);
  llvm::Error writeAll(struct iovec *IOV, int N);
  void listenLoop();

  llvm::orc::SimpleRemoteEPCTransportClient &C;
  char RBuf[64 * 1024];
  size_t RBegin = 0, REnd = 0;
  int InFD, OutFD;
  bool IsSocket = false;
  std::mutex WriteMutex;
  bool Disconnected = false;
  std::thread Listener;
};

} // namespace jdexec

#endif
