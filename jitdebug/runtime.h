/* runtime.h — services for code that runs inside the JIT's process, shared by the hooks
 * (executor-hooks/) and the perf writers (perfmap/), which sit above the core: warnings, each distinct
 * message once, through a settable callback (never on stderr in the hot path once one is set), and
 * reading this process's memory without trusting the address. Internal. Thread-safe. */
#ifndef JD_RUNTIME_H
#define JD_RUNTIME_H

#include "jitdebug-types.h"

#include <stddef.h>
#include <stdint.h>

/* Each distinct message (by its format string's address) is logged at most once. */
void jd_warn_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fn == NULL: "jitdebug: MESSAGE" on stderr (the default). */
void jd_log_set(jd_log_fn fn, void *ctx);

/* Copies size bytes at addr in this process without trusting addr: -EFAULT instead of a crash. */
int jd_read_self(uint64_t addr, void *buf, size_t size);

/* A descriptor the hooks made, moved off 0, 1 and 2 (a program that closed its standard streams
 * reopens them by number later, and must not find ours there): fd itself when it is above 2, else a
 * close-on-exec duplicate at 3 or above (fd closed); -1 with errno when that fails (fd closed too). */
int jd_fd_above_stdio(int fd);

/* Fork handling: the hooks' one pthread_atfork runs every lock's phases in lock order. */
enum jd_fork_phase { JD_FORK_PREPARE, JD_FORK_PARENT, JD_FORK_CHILD };
void jd_log_fork(enum jd_fork_phase phase); /* the log lock (a leaf) */

#endif
