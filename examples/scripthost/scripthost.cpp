// scripthost.cpp — an example: a small web server whose request handlers are scripts that it compiles
// with MCJIT, made debuggable and profilable by jitdebug::Listener (jitdebug-listener.h).
//
//   scripthost [--listen HOST:PORT] SCRIPT.bc
//
// It serves HTTP/1.0 on HOST:PORT (127.0.0.1:0 by default; stderr gives the address). Each `GET /path`
// calls the script's `int route(const char *path, char *out, int cap)` and answers with the status and
// body it returns. `GET /_reload` compiles the script file again and frees the old code, as a server
// does when a script is edited. `GET /_quit` stops the server. One request at a time; a request line
// longer than 4 KiB or slower than 5 s is dropped.
#include "jitdebug-listener.h"

#include <llvm/ExecutionEngine/ExecutionEngine.h>
#include <llvm/ExecutionEngine/MCJIT.h>
#include <llvm/ExecutionEngine/SectionMemoryManager.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IRReader/IRReader.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/TargetSelect.h>

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

using route_fn = int (*)(const char *path, char *out, int cap);

// The listener outlives every engine: it is constructed before main's Script and destroyed after it.
jitdebug::Listener listener;

struct Script {
	std::string path;
	std::unique_ptr<llvm::LLVMContext> context; // destroyed after the engine, which uses it
	std::unique_ptr<llvm::ExecutionEngine> engine;
	route_fn route = nullptr;
};

// Compiles the script file into a new engine. The old engine (and its objects) is freed only when the
// new one is ready, so a script with an error leaves the running one in place.
bool load(Script &script, std::string &err)
{
	auto context = std::make_unique<llvm::LLVMContext>();
	llvm::SMDiagnostic diag;
	std::unique_ptr<llvm::Module> module = llvm::parseIRFile(script.path, diag, *context);
	if (!module) {
		err = diag.getMessage().str();
		return false;
	}
	llvm::EngineBuilder builder(std::move(module));
	builder.setEngineKind(llvm::EngineKind::JIT)
		.setErrorStr(&err)
		.setMCJITMemoryManager(std::make_unique<llvm::SectionMemoryManager>());
	std::unique_ptr<llvm::ExecutionEngine> engine(builder.create());
	if (!engine)
		return false;
	listener.attach(*engine); // instead of LLVM's GDB listener, which MCJIT registers by itself
	engine->finalizeObject();
	uint64_t addr = engine->getFunctionAddress("route");
	if (!addr) {
		err = "the script defines no route()";
		return false;
	}
	script.route = nullptr;
	script.engine.reset(); // frees the old code: the listener unregisters its objects
	script.context = std::move(context);
	script.engine = std::move(engine);
	script.route = reinterpret_cast<route_fn>(addr);
	return true;
}

bool parse_address(const char *arg, sockaddr_in &sa)
{
	const char *colon = std::strrchr(arg, ':');
	if (!colon || colon == arg || colon - arg >= INET_ADDRSTRLEN)
		return false;
	char host[INET_ADDRSTRLEN] = {0};
	std::memcpy(host, arg, (size_t)(colon - arg));
	char *end = nullptr;
	unsigned long port = std::strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		return false;
	sa = {};
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa.sin_addr) == 1;
}

// Reads the request line; returns its path in `path` ("" for anything but GET).
bool read_request(int fd, std::string &path)
{
	char buf[4096];
	size_t len = 0;
	char *eol = nullptr;
	while (!eol && len < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false; /* closed, or no full line within the 5 s timeout */
		len += (size_t)n;
		buf[len] = '\0';
		eol = std::strstr(buf, "\r\n");
	}
	if (!eol)
		return false; /* no end of line in 4 KiB */
	*eol = '\0';
	path.clear();
	if (std::strncmp(buf, "GET /", 5) == 0)
		path.assign(buf + 4, std::strcspn(buf + 4, " "));
	return true;
}

void respond(int fd, int status, const char *body)
{
	char head[128];
	int n = std::snprintf(head, sizeof(head), "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
			      status, status == 200 ? "OK" : "Error", std::strlen(body));
	if (write(fd, head, (size_t)n) == n)
		(void)!write(fd, body, std::strlen(body));
}

} // namespace

int main(int argc, char **argv)
{
	const char *listen_at = "127.0.0.1:0";
	int arg = 1;
	if (argc == 4 && std::strcmp(argv[1], "--listen") == 0) {
		listen_at = argv[2];
		arg = 3;
	}
	if (argc != arg + 1) {
		std::fprintf(stderr, "usage: %s [--listen HOST:PORT] SCRIPT.bc\n", argv[0]);
		return 2;
	}
	sockaddr_in sa;
	if (!parse_address(listen_at, sa)) {
		std::fprintf(stderr, "scripthost: bad --listen address '%s' (want IPv4:PORT)\n", listen_at);
		return 2;
	}
	std::signal(SIGPIPE, SIG_IGN);
	llvm::InitializeNativeTarget();
	llvm::InitializeNativeTargetAsmPrinter();
	llvm::InitializeNativeTargetAsmParser();

	Script script;
	script.path = argv[arg];
	std::string err;
	if (!load(script, err)) {
		std::fprintf(stderr, "scripthost: %s: %s\n", script.path.c_str(), err.c_str());
		return 1;
	}
	int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	socklen_t salen = sizeof(sa);
	if (srv < 0 || bind(srv, (sockaddr *)&sa, sizeof(sa)) != 0 || listen(srv, 16) != 0 ||
	    getsockname(srv, (sockaddr *)&sa, &salen) != 0) {
		std::fprintf(stderr, "scripthost: cannot listen on %s: %s\n", listen_at, std::strerror(errno));
		return 1;
	}
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	std::fprintf(stderr, "scripthost: %s compiled (%zu objects); serving http://%s:%u/\n", script.path.c_str(),
		     listener.size(), host, ntohs(sa.sin_port));

	for (bool running = true; running;) {
		int fd = accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		timeval tv = {5, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		std::string path;
		if (!read_request(fd, path)) {
			close(fd);
			continue;
		}
		char body[4096];
		if (path.empty()) {
			respond(fd, 400, "only GET\n");
		} else if (path == "/_quit") {
			respond(fd, 200, "bye\n");
			running = false;
		} else if (path == "/_reload") {
			if (load(script, err)) {
				std::snprintf(body, sizeof(body), "reloaded (%zu objects)\n", listener.size());
				respond(fd, 200, body);
			} else {
				std::snprintf(body, sizeof(body), "reload failed: %s\n", err.c_str());
				respond(fd, 500, body);
			}
		} else {
			body[0] = '\0';
			int status = script.route(path.c_str(), body, (int)sizeof(body));
			body[sizeof(body) - 1] = '\0';
			respond(fd, status, body);
		}
		close(fd);
	}
	close(srv);
	return 0;
}
