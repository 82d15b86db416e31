/* outputs.c — configuration and dispatch of the perf outputs (perf map, jitdump).
 *
 * Configuration is read once, at the first registration (or set by jd_perf_configure through the
 * hooks' options). For each registered object, the functions are its STT_FUNC symbols with a size,
 * defined in an executable section that has a load address. */
#include "perf-outputs.h"

#include "../jitdebug/jitdebug.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct jd_perf_atomic_counters jd_perf_ctr;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic int perfmap_on, jitdump_on;
static char jitdump_dir[PATH_MAX];
static int configured_explicitly;

int jd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens without blocking (O_NONBLOCK, cleared once the file is known to be regular) and checks what
 * was opened; existing: the file was there before us and must be ours alone. */
static int open_checked(const char *path, int flags, int existing, struct stat *st)
{
	int f = jd_fd_above_stdio(open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW, 0644));
	if (f < 0)
		return -1;
	if (fstat(f, st) != 0 || !S_ISREG(st->st_mode) ||
	    (existing && (st->st_uid != geteuid() || st->st_nlink != 1)) || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		close(f);
		errno = EPERM;
		return -1;
	}
	return f;
}

int jd_open_own_file(struct jd_own_file *o, const char *path, int mode)
{
	struct stat st;
	if (snprintf(o->path, sizeof(o->path), "%s", path) >= (int)sizeof(o->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int f = open_checked(path, mode | O_CREAT | O_EXCL, 0, &st);
	if (f < 0 && errno == EEXIST) { /* an earlier process with our pid: reuse only our own file */
		f = open_checked(path, mode, 1, &st);
		if (f >= 0 && ftruncate(f, 0) != 0) {
			close(f);
			f = -1;
			errno = EPERM;
		}
	}
	if (f < 0)
		return -1;
	o->fd = f;
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->mode = mode;
	return 0;
}

static int is_same(int fd, dev_t dev, ino_t ino)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

int jd_own_file_check(struct jd_own_file *o)
{
	if (o->fd < 0)
		return -1;
	if (is_same(o->fd, o->dev, o->ino))
		return 0;
	atomic_fetch_add(&jd_perf_ctr.files_lost, 1);
	o->fd = -1; /* the number is the program's now: never written or closed again */
	struct stat st;
	int f = open_checked(o->path, o->mode, 1, &st);
	if (f >= 0 && st.st_dev == o->dev && st.st_ino == o->ino) {
		o->fd = f;
		jd_warn_once("the program closed or reused the descriptor of %s; it was opened again", o->path);
		return 0;
	}
	if (f >= 0)
		close(f);
	jd_warn_once("the program closed or reused the descriptor of %s, and the file is gone or replaced; that "
		     "output stops", o->path);
	return -1;
}

void jd_own_file_close(struct jd_own_file *o)
{
	if (is_same(o->fd, o->dev, o->ino))
		close(o->fd);
	o->fd = -1;
}

void jd_perf_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE) {
		jd_jitdump_fork(phase);
		jd_perfmap_fork(phase);
	} else {
		jd_perfmap_fork(phase);
		jd_jitdump_fork(phase);
	}
}

static void set_jitdump(const char *v)
{
	int on = v && *v && strcmp(v, "0") != 0;
	if (on)
		strncpy(jitdump_dir, v, sizeof(jitdump_dir) - 1);
	atomic_store(&jitdump_on, on);
}

static void configure_from_env(void)
{
	if (configured_explicitly)
		return;
	const char *pm = getenv("JITDEBUG_PERFMAP");
	atomic_store(&perfmap_on, pm && *pm && strcmp(pm, "0") != 0);
	set_jitdump(getenv("JITDEBUG_JITDUMP"));
}

void jd_perf_configure(int perfmap, const char *jitdump)
{
	configured_explicitly = 1;
	pthread_once(&once, configure_from_env);
	if (perfmap)
		atomic_store(&perfmap_on, perfmap > 0);
	else {
		const char *pm = getenv("JITDEBUG_PERFMAP");
		atomic_store(&perfmap_on, pm && *pm && strcmp(pm, "0") != 0);
	}
	set_jitdump(jitdump ? jitdump : getenv("JITDEBUG_JITDUMP"));
}

/* A function for perf: a named, sized STT_FUNC symbol that lies wholly inside an executable section
 * with a load address. Sizes come from the object: a symbol whose size runs past its section (a
 * st_size near 2^64, say) is not a function, and nothing below ever adds such a size to an address. */
static int func_of_symbol(const struct jd_elf *elf, const struct jd_elf_symbol *sym, struct jd_elf_section *s)
{
	if (sym->type != STT_FUNC || !sym->defined || sym->size == 0 || sym->shndx >= SHN_LORESERVE || !*sym->name ||
	    jd_elf_section(elf, sym->shndx, s) != 0 || !(s->flags & SHF_EXECINSTR) || s->addr == 0)
		return 0;
	return s->size <= UINT64_MAX - 4095 - s->addr && sym->addr >= s->addr && sym->size <= s->size &&
	       sym->addr - s->addr <= s->size - sym->size && sym->size <= JD_MAX_OBJECT_SIZE;
}

static int cmp_func_addr(const void *a, const void *b)
{
	const struct jd_perf_func *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void jd_perf_object_registered(struct jd_parsed *p)
{
	pthread_once(&once, configure_from_env);
	int pm = atomic_load_explicit(&perfmap_on, memory_order_relaxed);
	int jd = atomic_load_explicit(&jitdump_on, memory_order_relaxed);
	if (!pm && !jd)
		return;

	const struct jd_elf *elf = jd_parsed_elf(p);
	if (!elf) {
		jd_warn_once("no perf output for an object whose symbol table is malformed: %s", p->why);
		return;
	}
	size_t n = 0, nsyms = jd_elf_symbol_count(elf);
	struct jd_perf_func *f = nsyms ? malloc(nsyms * sizeof(*f)) : NULL;
	for (size_t i = 0; f && i < nsyms; i++) {
		struct jd_elf_symbol sym;
		struct jd_elf_section sec;
		if (jd_elf_symbol(elf, i, &sym) == 0 && func_of_symbol(elf, &sym, &sec))
			f[n++] = (struct jd_perf_func){sym.addr, sym.size, sym.name, (sec.addr + sec.size + 4095) & ~4095ull};
	}
	/* Room after each function: up to the next function of the object (in address order), at most
	 * its section's page end. */
	if (n > 1)
		qsort(f, n, sizeof(*f), cmp_func_addr);
	uint64_t next = UINT64_MAX; /* the first address above f[i].addr, walking down (linear with aliases) */
	for (size_t i = n; i-- > 0;) {
		if (i + 1 < n && f[i + 1].addr > f[i].addr)
			next = f[i + 1].addr;
		if (next < f[i].room)
			f[i].room = next;
	}
	if (n && pm) {
		if (jd_perfmap_append(f, n) == 0)
			atomic_fetch_add(&jd_perf_ctr.perfmap_lines, n);
		else
			atomic_fetch_add(&jd_perf_ctr.perfmap_dropped, n);
	}
	if (n && jd) {
		const struct jd_lines *lines = jd_parsed_lines(p);
		if (!lines) {
			atomic_fetch_add(&jd_perf_ctr.objects_without_lines, 1);
			if (errno != ENODATA)
				jd_warn_once("no line table for a JIT object (%s); its functions get names only",
					     strerror(errno));
		}
		jd_jitdump_append(p->data, elf, f, n, lines, jitdump_dir);
	}
	free(f);
}

void jd_perf_fini(void)
{
	jd_jitdump_close();
}

void jd_perf_counters(struct jd_perf_counters *out)
{
	out->perfmap_lines = atomic_load(&jd_perf_ctr.perfmap_lines);
	out->perfmap_dropped = atomic_load(&jd_perf_ctr.perfmap_dropped);
	out->jitdump_loads = atomic_load(&jd_perf_ctr.jitdump_loads);
	out->jitdump_dropped = atomic_load(&jd_perf_ctr.jitdump_dropped);
	out->debug_info_records = atomic_load(&jd_perf_ctr.debug_info_records);
	out->objects_without_lines = atomic_load(&jd_perf_ctr.objects_without_lines);
	out->unwinding_records = atomic_load(&jd_perf_ctr.unwinding_records);
	out->code_salted = atomic_load(&jd_perf_ctr.code_salted);
	out->files_lost = atomic_load(&jd_perf_ctr.files_lost);
}
