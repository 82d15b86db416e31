/* runtime.c — warnings and self-reads for code inside the JIT's process (runtime.h). */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum { WARN_SLOTS = 64 };
static const char *_Atomic warned[WARN_SLOTS];
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static jd_log_fn log_fn;
static void *log_ctx;

void jd_warn_once(const char *fmt, ...)
{
	for (int i = 0; i < WARN_SLOTS; i++) {
		const char *expected = NULL;
		if (atomic_load(&warned[i]) == fmt)
			return;
		if (atomic_compare_exchange_strong(&warned[i], &expected, fmt))
			break;
		if (expected == fmt)
			return;
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_lock);
	jd_log_fn fn = log_fn;
	void *ctx = log_ctx;
	pthread_mutex_unlock(&log_lock);
	if (fn)
		fn(1, msg, ctx);
	else
		fprintf(stderr, "jitdebug: %s\n", msg);
}

void jd_log_set(jd_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}

void jd_log_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE)
		pthread_mutex_lock(&log_lock);
	else
		pthread_mutex_unlock(&log_lock);
}

int jd_read_self(uint64_t addr, void *buf, size_t len)
{
	uint8_t *dst = buf;
	while (len > 0) {
		struct iovec local = {dst, len}, remote = {(void *)(uintptr_t)addr, len};
		ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
				/* Some sandboxes forbid the call; trust the address as LLVM's own loader does. */
				jd_warn_once("process_vm_readv unavailable; JIT memory is read without a fault guard");
				memcpy(dst, (const void *)(uintptr_t)addr, len);
				return 0;
			}
			return -EFAULT;
		}
		dst += n;
		addr += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int jd_fd_above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int e = errno;
	close(fd);
	errno = e;
	return high;
}
