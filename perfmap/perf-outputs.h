/* perf-outputs.h — the hooks' perf outputs (perf map and jitdump); internal to the hooks.
 *
 * jd_perf_object_registered is called after every successful registration, outside the registry
 * lock, with the registration's shared parse of the registered bytes. When both outputs are off it costs one branch. Failures (no
 * directory, full disk, an object without or with broken DWARF) warn once, are counted, and never
 * affect the registration. Thread-safe; after fork() the child writes its own pid's files. */
#ifndef JD_PERF_OUTPUTS_H
#define JD_PERF_OUTPUTS_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../jitdebug/dwarf-lines.h"
#include "../jitdebug/parsed.h"
#include "../jitdebug/runtime.h" /* jd_warn_once, jd_read_self, enum jd_fork_phase */

/* perfmap: 1 on, -1 off, 0 from JITDEBUG_PERFMAP. jitdump: NULL from JITDEBUG_JITDUMP, "" off,
 * "1" the default directory, anything else a directory. */
void jd_perf_configure(int perfmap, const char *jitdump);
/* p: the registration's shared parse (parsed.h): the outputs use its full parse and line table. */
void jd_perf_object_registered(struct jd_parsed *p);
/* Writes JIT_CODE_CLOSE and closes the files; safe to call twice (also runs at exit). */
void jd_perf_fini(void);
/* Fork handling, run by the hooks' one pthread_atfork (executor-hooks/hooks.c) in lock order: PREPARE
 * takes the writers' locks, PARENT releases them, CHILD releases them and starts its own pid's files. */
void jd_perf_fork(enum jd_fork_phase phase);

struct jd_perf_counters {
	uint64_t perfmap_lines, perfmap_dropped;
	uint64_t jitdump_loads, jitdump_dropped;
	uint64_t debug_info_records, objects_without_lines;
	uint64_t unwinding_records;
	uint64_t code_salted;
	uint64_t files_lost;
};
void jd_perf_counters(struct jd_perf_counters *out);

/* The live counters (writers add to them). */
struct jd_perf_atomic_counters {
	_Atomic uint64_t perfmap_lines, perfmap_dropped;
	_Atomic uint64_t jitdump_loads, jitdump_dropped;
	_Atomic uint64_t debug_info_records, objects_without_lines;
	_Atomic uint64_t unwinding_records;
	_Atomic uint64_t code_salted;
	_Atomic uint64_t files_lost;
};
extern struct jd_perf_atomic_counters jd_perf_ctr;

/* ---- pieces shared by the writers (perfmap/) ---- */

struct jd_perf_func {
	uint64_t addr, size;
	const char *name;
	uint64_t room; /* first address after the function that may hold other code (outputs.c) */
};


/* A perf file the hooks opened, and what it was when they opened it. The program may close the
 * descriptor and reuse its number (daemons close what they did not open), so it is checked before
 * every write and closed only while it is still the same file. */
struct jd_own_file {
	int fd; /* -1: not open */
	dev_t dev;
	ino_t ino;
	int mode;
	char path[PATH_MAX];
};
#define JD_OWN_FILE_INIT {-1, 0, 0, 0, ""}

/* Opens (mode: O_WRONLY|O_APPEND or O_RDWR|O_APPEND) a perf file at a predictable path in a shared
 * directory: created anew (O_EXCL, mode 0644), or, left by an earlier process with our pid, reused
 * and truncated only if it is a regular file we own with no other name; never through a symbolic
 * link, and never blocking (a FIFO or a device planted there is refused, not waited on). 0, or -1
 * with errno (EPERM: someone else's file, a planted link or not a regular file). */
int jd_open_own_file(struct jd_own_file *f, const char *path, int mode);
/* Before a write: 0 while f->fd is still the file that was opened, or once the same file (same device
 * and inode) is opened again by its path after the program closed or reused the descriptor (counted
 * in files_lost); -1 when it cannot be had back: f->fd is forgotten (the number is the program's). */
int jd_own_file_check(struct jd_own_file *f);
/* Closes f->fd if it is still the file that was opened; f->fd becomes -1. */
void jd_own_file_close(struct jd_own_file *f);
/* write() until done, looping on short writes and EINTR. 0 or -errno. */
int jd_write_all(int fd, const void *buf, size_t len);

/* perfmap.c / jitdump.c: append one object's functions; their part of fork handling. */
int jd_perfmap_append(const struct jd_perf_func *f, size_t n);
void jd_perfmap_fork(enum jd_fork_phase phase);


struct jd_elf;
/* elf: the caller's full parse of obj (read for the unwind tables; never parsed again here). */
int jd_jitdump_append(const uint8_t *obj, const struct jd_elf *elf, const struct jd_perf_func *f, size_t n,
		      const struct jd_lines *lines, const char *dir);
void jd_jitdump_close(void);
void jd_jitdump_fork(enum jd_fork_phase phase);

/* The FDEs of an object's .eh_frame, indexed by the address each covers from (NULL: no usable table).
 * Reads obj and elf, which must outlive it. */
struct jd_unwind_index;
struct jd_unwind_index *jd_unwind_index(const uint8_t *obj, const struct jd_elf *elf);
void jd_unwind_index_free(struct jd_unwind_index *ix);
/* The unwind tables for one function (perf's UNWINDING_INFO payload): its CIE and FDE from the
 * object's .eh_frame, re-encoded for the ELF file perf synthesizes, then a one-entry .eh_frame_hdr
 * (its last *hdr_len bytes). 0; -ENOENT when the object has no FDE for addr; -ENOTSUP for CFI this
 * encoder does not handle. *buf is malloc'ed. */
int jd_unwind_for_function(const struct jd_unwind_index *ix, uint64_t addr, uint64_t code_size, uint8_t **buf,
			   size_t *len, size_t *hdr_len);

/* Validation of a whole jitdump file (jitdebug jitdump-check, tests, fuzzing; docs/formats.md). By
 * default as perf reads it: padding after a record's counted contents, line-0 entries and records of
 * unknown ids are counted, not errors. JD_JITDUMP_STRICT: as jitdebug's own writer must write it (none
 * of those). Every bad record is passed to problem (may be NULL) with its offset; the walk stops only
 * where the framing breaks. 0, or -EINVAL when any record (or the header) is bad; rep (may be NULL)
 * gets the counts and the first problem. */
#define JD_JITDUMP_STRICT 0x1u
struct jd_jitdump_report {
	uint64_t records;          /* records read */
	uint64_t bad;              /* bad records (and a bad header or frame) */
	uint64_t first_good;       /* records before the first bad one */
	uint64_t first_bad_offset;
	char first[160];           /* the first problem */
	uint64_t padded;           /* records with bytes perf skips after their contents */
	uint64_t line_zero;        /* DEBUG_INFO entries with line 0 */
	uint64_t unknown;          /* records of ids perf does not know (it skips them) */
};
typedef void (*jd_jitdump_problem_fn)(uint64_t offset, const char *what, void *ctx);
int jd_jitdump_check_all(const uint8_t *data, size_t size, unsigned flags, jd_jitdump_problem_fn problem, void *ctx,
			 struct jd_jitdump_report *rep);
/* The strict check, first problem only: 0, or -EINVAL with the offset of the first bad record in
 * *bad_offset and why in err. *records: how many records were good before it. Any output may be NULL. */
int jd_jitdump_check(const uint8_t *data, size_t size, uint64_t *records, uint64_t *bad_offset, char *err,
		     size_t errlen);

#endif
