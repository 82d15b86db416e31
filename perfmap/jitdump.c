/* jitdump.c — jit-<pid>.dump for `perf inject --jit` (docs/formats.md: the format as perf's jitdump.c
 * reads it, which wins where the specification's text differs).
 *
 * Placement: JITDEBUG_JITDUMP=DIR writes DIR/jit-<pid>.dump; =1 writes under
 * ${JITDUMPDIR:-$HOME}/.debug/jit/jitdebug-jit-YYYYMMDD.XXXXXX/ (mkdtemp), as perf's jvmti agent
 * and LLVM do. perf inject writes its jitted-*.so files next to the dump.
 * The header is exactly 40 bytes; timestamps are CLOCK_MONOTONIC (record with `perf record -k 1`);
 * one page of the file stays mapped PROT_READ|PROT_EXEC, the marker perf looks for.
 * Per function: JIT_CODE_DEBUG_INFO and JIT_CODE_UNWINDING_INFO (before the load they describe: perf
 * attaches them to the next CODE_LOAD; unwind.c), then JIT_CODE_LOAD with the code bytes read from
 * memory. perf's build-id of a synthesized DSO hashes the code bytes, so
 * identical code under two names would merge into one DSO: such a copy gets one byte salted (XOR
 * into its last byte) in the dump only — perf annotate shows that byte changed. The same code under
 * the same name (a function JIT'd again) is left alone. One object's records
 * go out in one write() under one lock. JIT_CODE_CLOSE at exit (jd_perf_fini). */
#include "jitdump-format.h"
#include "perf-outputs.h"

#include "../jitdebug/hashkeys.h"
#include "../jitdebug/wbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct jd_own_file dump = JD_OWN_FILE_INIT;
static int failed;
static void *marker;
static size_t marker_len;
static uint64_t code_index;
static uint64_t good_len; /* file length after the last complete write */
static struct {
	uint64_t *v;
	size_t cap, n;
} hashes;

static uint64_t now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* mkdir -p; components it creates get mode 0700. */
static int make_dirs(const char *dir)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int choose_dir(const char *spec, char *dir, size_t len)
{
	if (strcmp(spec, "1") != 0) {
		if (snprintf(dir, len, "%s", spec) >= (int)len)
			return -ENAMETOOLONG;
		return make_dirs(dir);
	}
	const char *base = getenv("JITDUMPDIR");
	if (!base || !*base)
		base = getenv("HOME");
	if (!base || !*base)
		base = "/tmp";
	char parent[PATH_MAX];
	if (snprintf(parent, sizeof(parent), "%s/.debug/jit", base) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	int err = make_dirs(parent);
	if (err)
		return err;
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	if (snprintf(dir, len, "%s/jitdebug-jit-%04d%02d%02d.XXXXXX", parent, tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday) >= (int)len)
		return -ENAMETOOLONG;
	return mkdtemp(dir) ? 0 : -errno;
}

static int open_dump(const char *spec, uint16_t machine)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int err = choose_dir(spec, dir, sizeof(dir));
	if (!err && snprintf(path, sizeof(path), "%s/jit-%d.dump", dir, (int)getpid()) >= (int)sizeof(path))
		err = -ENAMETOOLONG;
	/* O_APPEND: a descriptor opened again after the program took it back writes at the end too. */
	if (!err && jd_open_own_file(&dump, path, O_RDWR | O_APPEND) != 0)
		err = -errno;
	if (!err) {
		struct jd_jitdump_header h = {
			.magic = JD_JITDUMP_MAGIC,
			.version = JD_JITDUMP_VERSION,
			.total_size = sizeof(h),
			.elf_mach = machine,
			.pid = (uint32_t)getpid(),
			.timestamp = now_mono(),
		};
		err = jd_write_all(dump.fd, &h, sizeof(h));
		good_len = sizeof(h);
	}
	if (!err) {
		marker_len = (size_t)sysconf(_SC_PAGESIZE);
		marker = mmap(NULL, marker_len, PROT_READ | PROT_EXEC, MAP_PRIVATE, dump.fd, 0);
		if (marker == MAP_FAILED) {
			marker = NULL;
			err = -errno;
		}
	}
	if (err) {
		jd_warn_once("cannot write the jitdump in %s (%s); jitdump output is off", spec, strerror(-err));
		jd_own_file_close(&dump);
		return err;
	}
	static int registered;
	if (!registered) {
		registered = 1;
		atexit(jd_perf_fini);
	}
	return 0;
}

/* Open addressing map: hash of code bytes -> hash of the name first written with them (under mu).
 * Identical code under the same name needs nothing (perf merging the two DSOs is harmless); under
 * another name it is salted. Returns 1 if the code may be written as it is (new, or same name). */
static int code_is_distinct(uint64_t code_hash, uint64_t name_hash)
{
	code_hash |= 1; /* 0 marks an empty slot */
	if (hashes.n * 2 >= hashes.cap) {
		size_t ncap = hashes.cap ? hashes.cap * 2 : 1024;
		uint64_t *nv = calloc(ncap * 2, sizeof(*nv));
		if (!nv)
			return 1; /* without the map, nothing is salted: still a valid dump */
		for (size_t i = 0; i < hashes.cap; i++) {
			if (!hashes.v[2 * i])
				continue;
			size_t k = hashes.v[2 * i] & (ncap - 1);
			while (nv[2 * k])
				k = (k + 1) & (ncap - 1);
			nv[2 * k] = hashes.v[2 * i];
			nv[2 * k + 1] = hashes.v[2 * i + 1];
		}
		free(hashes.v);
		hashes.v = nv;
		hashes.cap = ncap;
	}
	size_t k = code_hash & (hashes.cap - 1);
	while (hashes.v[2 * k]) {
		if (hashes.v[2 * k] == code_hash)
			return hashes.v[2 * k + 1] == name_hash;
		k = (k + 1) & (hashes.cap - 1);
	}
	hashes.v[2 * k] = code_hash;
	hashes.v[2 * k + 1] = name_hash;
	hashes.n++;
	return 1;
}

static int put_debug_info(struct jd_wbuf *b, const struct jd_perf_func *f, const struct jd_lines *lines)
{
	size_t n;
	const struct jd_line *rows = lines ? jd_lines_rows(lines, &n) : NULL;
	if (!rows)
		return 0;
	size_t lo = 0, hi = n; /* first row with addr >= f->addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rows[mid].addr < f->addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t first = lo, count = 0, bytes = sizeof(struct jd_jitdump_debug_info);
	/* f lies inside its section (outputs.c), so f->addr + f->size does not wrap; the record's size must
	 * fit its u32 field (a huge line table is dropped, not wrapped). */
	for (size_t i = first; i < n && rows[i].addr < f->addr + f->size && bytes <= UINT32_MAX; i++, count++)
		bytes += sizeof(struct jd_jitdump_debug_entry) + strlen(rows[i].file) + 1;
	if (!count)
		return 0;
	/* perf's genelf ends the line sequence at the last entry's address, so the last row would cover
	 * nothing: one more entry at the function's end closes it (same line and file). */
	const struct jd_line *last = &rows[first + count - 1];
	bytes += sizeof(struct jd_jitdump_debug_entry) + strlen(last->file) + 1;
	if (bytes > UINT32_MAX)
		return 0;
	struct jd_jitdump_debug_info rec = {
		.p = {JD_JIT_CODE_DEBUG_INFO, (uint32_t)bytes, now_mono()},
		.code_addr = f->addr,
		.nr_entry = count + 1,
	};
	jd_wr_bytes(b, &rec, sizeof(rec));
	for (size_t i = first; i <= first + count; i++) {
		const struct jd_line *r = i < first + count ? &rows[i] : last;
		struct jd_jitdump_debug_entry e = {i < first + count ? r->addr : f->addr + f->size, r->line, 0};
		jd_wr_bytes(b, &e, sizeof(e));
		jd_wr_bytes(b, r->file, strlen(r->file) + 1);
	}
	return 1;
}

/* UNWINDING_INFO for one function, when the object has CFI for it. Returns 1 if a record was added.
 *
 * perf (libunwind) reads the tables through the process mapping of the synthesized DSO, which covers
 * only the code unless mapped_size extends it to ALIGN_8(code_size) + mapped_size. An extended
 * mapping that reaches into the next function's code would shadow that function in perf, so the
 * tables are mapped only when the bytes up to `room` (the next function of the object, or the end
 * of the code section's last page) are free; otherwise mapped_size stays 0 and perf cannot use them
 * for this function (JITs that want call graphs through frame-pointer-less code leave that room). */
static int put_unwinding_info(struct jd_wbuf *b, const struct jd_unwind_index *ix, const struct jd_perf_func *f,
			      uint64_t room)
{
	uint8_t *unwind;
	size_t len, hdr_len;
	if (jd_unwind_for_function(ix, f->addr, f->size, &unwind, &len, &hdr_len) != 0)
		return 0;
	if (len > UINT32_MAX - sizeof(struct jd_jitdump_unwinding_info)) {
		free(unwind);
		return 0;
	}
	/* room >= f->addr + f->size (outputs.c); the code's 8-byte-aligned end may still pass it. */
	uint64_t code_end = f->addr + ((f->size + 7) & ~7ull);
	struct jd_jitdump_unwinding_info rec = {
		.p = {JD_JIT_CODE_UNWINDING_INFO, (uint32_t)(sizeof(rec) + len), now_mono()},
		.unwind_data_size = len,
		.eh_frame_hdr_size = hdr_len,
		.mapped_size = code_end >= f->addr && code_end <= room && len <= room - code_end ? len : 0,
	};
	jd_wr_bytes(b, &rec, sizeof(rec));
	jd_wr_bytes(b, unwind, len);
	free(unwind);
	return 1;
}

int jd_jitdump_append(const uint8_t *obj, const struct jd_elf *elf, const struct jd_perf_func *f, size_t n,
		      const struct jd_lines *lines, const char *dir)
{
	struct jd_wbuf b = {0};
	int err = 0;
	uint32_t tid = (uint32_t)gettid();
	uint64_t loads = 0, debug_infos = 0, unwinds = 0;

	pthread_mutex_lock(&mu);
	if (dump.fd < 0 && !failed && open_dump(dir, (uint16_t)(obj[18] | obj[19] << 8)) < 0)
		failed = 1;
	if (dump.fd < 0 || jd_own_file_check(&dump) != 0) {
		failed = 1;
		pthread_mutex_unlock(&mu);
		atomic_fetch_add(&jd_perf_ctr.jitdump_dropped, n);
		return -EIO;
	}
	struct jd_unwind_index *ix = jd_unwind_index(obj, elf); /* only for a dump that is written */
	for (size_t i = 0; i < n; i++) {
		size_t name_len = strlen(f[i].name) + 1;
		/* Both terms are at most 1 GiB (outputs.c bounds f[i].size, the name lies in the object). */
		uint64_t total = sizeof(struct jd_jitdump_code_load) + name_len + f[i].size;
		if (f[i].size > JD_MAX_OBJECT_SIZE || total > UINT32_MAX) {
			atomic_fetch_add(&jd_perf_ctr.jitdump_dropped, 1);
			continue;
		}
		size_t mark = b.len;
		int with_lines = put_debug_info(&b, &f[i], lines);
		int with_unwind = put_unwinding_info(&b, ix, &f[i], f[i].room);
		struct jd_jitdump_code_load rec = {
			.p = {JD_JIT_CODE_LOAD, (uint32_t)total, now_mono()},
			.pid = (uint32_t)getpid(),
			.tid = tid,
			.vma = f[i].addr,
			.code_addr = f[i].addr,
			.code_size = f[i].size,
			.code_index = code_index,
		};
		jd_wr_bytes(&b, &rec, sizeof(rec));
		jd_wr_bytes(&b, f[i].name, name_len);
		uint8_t *code = jd_wr_reserve(&b, f[i].size);
		if (!code || jd_read_self(f[i].addr, code, f[i].size) != 0) {
			b.len = mark; /* drop this function's records, keep the others */
			b.oom = 0;
			atomic_fetch_add(&jd_perf_ctr.jitdump_dropped, 1);
			continue;
		}
		uint64_t name_hash = jd_hash(f[i].name, name_len);
		for (uint8_t salt = 1; !code_is_distinct(jd_hash(code, f[i].size), name_hash) && salt; salt++) {
			code[f[i].size - 1] ^= salt;
			atomic_fetch_add(&jd_perf_ctr.code_salted, 1);
		}
		code_index++;
		loads++;
		debug_infos += (uint64_t)with_lines;
		unwinds += (uint64_t)with_unwind;
	}
	if (b.len && (err = jd_write_all(dump.fd, b.p, b.len)) != 0) {
		/* Cut the partial write off so the dump stays valid up to here, and stop writing. */
		jd_warn_once("writing %s failed (%s); the dump ends at its last complete record, and later "
			     "records are dropped and counted", dump.path, strerror(-err));
		if (ftruncate(dump.fd, (off_t)good_len) != 0)
			jd_warn_once("cannot cut %s back to its last complete record", dump.path);
		jd_own_file_close(&dump);
		failed = 1;
		atomic_fetch_add(&jd_perf_ctr.jitdump_dropped, loads);
	} else {
		good_len += b.len;
		atomic_fetch_add(&jd_perf_ctr.jitdump_loads, loads);
		atomic_fetch_add(&jd_perf_ctr.debug_info_records, debug_infos);
		atomic_fetch_add(&jd_perf_ctr.unwinding_records, unwinds);
	}
	pthread_mutex_unlock(&mu);
	jd_unwind_index_free(ix);
	jd_wr_free(&b);
	return err;
}

void jd_jitdump_close(void)
{
	pthread_mutex_lock(&mu);
	if (dump.fd >= 0) {
		struct jd_jitdump_prefix close_rec = {JD_JIT_CODE_CLOSE, sizeof(close_rec), now_mono()};
		if (jd_own_file_check(&dump) == 0 && jd_write_all(dump.fd, &close_rec, sizeof(close_rec)) != 0 &&
		    ftruncate(dump.fd, (off_t)good_len) != 0)
			jd_warn_once("cannot cut %s back to its last complete record", dump.path);
		jd_own_file_close(&dump);
		failed = 1; /* nothing more after CLOSE */
	}
	pthread_mutex_unlock(&mu);
}

void jd_jitdump_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE) {
		pthread_mutex_lock(&mu);
		return;
	}
	if (phase == JD_FORK_PARENT) {
		pthread_mutex_unlock(&mu);
		return;
	}
	/* The child writes its own jit-<pid>.dump; it must not write CLOSE into the parent's. */
	jd_own_file_close(&dump);
	if (marker)
		munmap(marker, marker_len);
	marker = NULL;
	failed = 0;
	code_index = 0;
	good_len = 0;
	free(hashes.v);
	hashes.v = NULL;
	hashes.cap = hashes.n = 0;
	pthread_mutex_unlock(&mu);
}
