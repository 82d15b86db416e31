/* fetch.c — a registry object's bytes: from the process or core when they are there, otherwise by
 * build-id from a debuginfod server (docs/fleet.md).
 *
 * libdebuginfod is opened at run time (dlopen of libdebuginfod.so.1), so libjitdebug does not depend
 * on it and on its HTTP stack: a machine without it gets a message saying so. The server's file is
 * untrusted: its size is capped while it downloads (a body past 1 GiB is abandoned as it arrives), it
 * must be an object jd_elf_open accepts, and its build-id is computed again and compared with the one
 * the registry recorded (a server that answers with another object is refused). A refused file is
 * removed from libdebuginfod's cache, so no later run takes it. Then each section gets the address the
 * registry recorded for it.
 */
#include "buildid.h"
#include "bytes.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SECTIONS 65535u

void jd_free(void *p)
{
	free(p);
}

typedef void debuginfod_client;
typedef int (*debuginfod_progressfn_t)(debuginfod_client *, long a, long b);
struct dfd {
	debuginfod_client *(*begin)(void);
	int (*find_debuginfo)(debuginfod_client *, const unsigned char *, int, char **);
	void (*end)(debuginfod_client *);
	void (*set_progressfn)(debuginfod_client *, debuginfod_progressfn_t); /* may be NULL */
};

/* The download's progress (a: bytes so far, b: the announced size, or <= 0): a body past the largest
 * object is abandoned as it arrives, before it lands in the cache whole (libdebuginfod then answers
 * -ENOENT, as for a file no server has: `abandoned` tells the two apart). With DEBUGINFOD_PROGRESS set,
 * the bytes so far are shown as libdebuginfod's own progress would show them. */
static _Thread_local int abandoned;
static int progress(debuginfod_client *c, long a, long b)
{
	(void)c;
	if (a > (long)JD_MAX_OBJECT_SIZE || b > (long)JD_MAX_OBJECT_SIZE)
		return abandoned = 1;
	const char *show = getenv("DEBUGINFOD_PROGRESS");
	if (show && *show && strcmp(show, "0") != 0)
		fprintf(stderr, "\rDownloading from debuginfod: %ld/%ld bytes", a, b > 0 ? b : 0L);
	return 0;
}

static void *lib;
static void open_lib(void)
{
	lib = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
}

static int load_debuginfod(struct dfd *f, char *why, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, open_lib);
	if (!lib) {
		snprintf(why, len, "libdebuginfod.so.1 is not installed (Debian: libdebuginfod1)");
		return -ENOSYS;
	}
	*(void **)&f->begin = dlsym(lib, "debuginfod_begin");
	*(void **)&f->find_debuginfo = dlsym(lib, "debuginfod_find_debuginfo");
	*(void **)&f->end = dlsym(lib, "debuginfod_end");
	*(void **)&f->set_progressfn = dlsym(lib, "debuginfod_set_progressfn");
	if (!f->begin || !f->find_debuginfo || !f->end) {
		snprintf(why, len, "libdebuginfod.so.1 lacks debuginfod_begin/find_debuginfo/end");
		return -ENOSYS;
	}
	return 0;
}

/* The file for id from DEBUGINFOD_URLS, read whole (malloc'ed); *cached: its path in libdebuginfod's
 * cache (malloc'ed, may be NULL), so that a file refused later is removed from there too. A file refused
 * here is removed at once. */
static int fetch(const uint8_t *id, uint32_t id_len, uint8_t **data, size_t *size, char **cached, char *why,
		 size_t len)
{
	*cached = NULL;
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (!urls || !*urls) {
		snprintf(why, len, "DEBUGINFOD_URLS is not set: nothing to fetch it from");
		return -ENOENT;
	}
	struct dfd f;
	int rc = load_debuginfod(&f, why, len);
	if (rc)
		return rc;
	debuginfod_client *c = f.begin();
	if (!c) {
		snprintf(why, len, "debuginfod_begin failed");
		return -ENOMEM;
	}
	char *path = NULL;
	abandoned = 0;
	if (f.set_progressfn)
		f.set_progressfn(c, progress);
	int fd = f.find_debuginfo(c, id, (int)id_len, &path);
	f.end(c);
	if (fd < 0) {
		snprintf(why, len, "not fetched from DEBUGINFOD_URLS=%.200s: %s", urls,
			 abandoned ? "the server's file is larger than 1 GiB (abandoned as it arrived)"
			 : fd == -ENOENT ? "no server has it" : strerror(-fd));
		free(path);
		return fd;
	}
	struct stat st;
	rc = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > JD_MAX_OBJECT_SIZE) {
		snprintf(why, len, "the server's file %.200s is not a regular file of 1 byte to 1 GiB", path ? path : "?");
		rc = -EINVAL;
	} else if (!(*data = malloc((size_t)st.st_size))) {
		snprintf(why, len, "out of memory for %lld bytes", (long long)st.st_size);
		rc = -ENOMEM;
	} else {
		size_t got = 0;
		while (got < (size_t)st.st_size) {
			ssize_t n = pread(fd, *data + got, (size_t)st.st_size - got, (off_t)got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got != (size_t)st.st_size) {
			snprintf(why, len, "%.200s: short read", path ? path : "?");
			free(*data);
			rc = -EIO;
		}
		*size = got;
	}
	close(fd);
	if (rc != 0 && path)
		unlink(path); /* refused: not left in the cache for the next run to find */
	if (rc == 0)
		*cached = path;
	else
		free(path);
	return rc;
}

/* Rechecks the fetched object's build-id and writes the recorded section addresses into it. */
static int place(const struct jd_walk *w, const struct jd_registry_object *o, uint8_t *data, size_t size, char *why,
		 size_t len)
{
	static const struct jd_elf_open_opts light = {.sz = sizeof(light), .flags = JD_ELF_SECTIONS_ONLY};
	char msg[200];
	struct jd_elf *elf = jd_elf_open(data, size, &light, msg, sizeof(msg));
	if (!elf) {
		snprintf(why, len, "the server's file is not a usable object: %s", msg);
		return -EINVAL;
	}
	/* The id the registry recorded, computed the same way: the content's, or the note's. */
	uint8_t id[JD_BUILD_ID_MAX];
	const uint8_t *note;
	size_t id_len = 0;
	int ok;
	if (o->build_id_kind == JD_BUILD_ID_CONTENT) {
		ok = jd_elf_content_id(elf, data, id) == 0;
		id_len = 20;
	} else {
		ok = jd_elf_build_id(elf, &note, &id_len) == 0 && id_len <= JD_BUILD_ID_MAX;
		if (ok)
			memcpy(id, note, id_len);
	}
	size_t shnum = jd_elf_section_count(elf);
	uint16_t type = jd_elf_type(elf);
	jd_elf_close(elf);
	if (!ok || id_len != o->build_id_size || memcmp(id, o->build_id, id_len) != 0) {
		char want[2 * JD_BUILD_ID_MAX + 1], got[2 * JD_BUILD_ID_MAX + 1] = "none";
		jd_build_id_format(o->build_id, o->build_id_size, want, sizeof(want));
		if (ok)
			jd_build_id_format(id, id_len, got, sizeof(got));
		snprintf(why, len, "the server answered build-id %s with another object (its build-id is %s): skipped", want,
			 got);
		return -EBADMSG;
	}
	if (o->nsections == 0 || o->nsections > MAX_SECTIONS || o->section_size < sizeof(struct jd_registry_section)) {
		if (type == ET_REL) {
			snprintf(why, len, "the registry recorded no section addresses for it");
			return -EINVAL;
		}
		return 0;
	}
	size_t stride = o->section_size, n = o->nsections;
	uint8_t *secs = malloc(n * stride);
	if (!secs) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	int rc = 0;
	if (w->read(w->ctx, o->sections, secs, n * stride) != 0) {
		snprintf(why, len, "its section addresses at 0x%" PRIx64 " are not readable", o->sections);
		rc = -EFAULT;
	} else {
		uint64_t shoff = jd_le(data + offsetof(Elf64_Ehdr, e_shoff), 8); /* checked by jd_elf_open */
		for (size_t i = 0; i < n; i++) {
			const uint8_t *s = secs + i * stride;
			uint64_t index = jd_le(s + offsetof(struct jd_registry_section, index), 4);
			if (index == 0 || index >= shnum) {
				snprintf(why, len, "a recorded section index (%" PRIu64 ") is not in the object", index);
				rc = -EINVAL;
				break;
			}
			jd_store_le(data + shoff + index * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_addr),
				    jd_le(s + offsetof(struct jd_registry_section, addr), 8), 8);
		}
	}
	free(secs);
	return rc;
}

int jd_object_bytes(const struct jd_walk *w, const struct jd_registry_object *o, uint8_t **data, size_t *size,
		    int *fetched, char *err, size_t errlen)
{
	char id[24], hex[2 * JD_BUILD_ID_MAX + 1] = "", why[400];
	if (!w || !w->read || !o || !data || !size)
		return -EINVAL;
	jd_id_format(o->id, id, sizeof(id));
	if (fetched)
		*fetched = 0;
	if (o->size == 0 || o->size > JD_MAX_OBJECT_SIZE) {
		snprintf(err, errlen, "object %s: implausible size %" PRIu64, id, o->size);
		return -EINVAL;
	}
	uint8_t *bytes = malloc(o->size);
	if (!bytes) {
		snprintf(err, errlen, "object %s: out of memory for %" PRIu64 " bytes", id, o->size);
		return -ENOMEM;
	}
	if (w->read(w->ctx, o->symfile, bytes, o->size) == 0) {
		*data = bytes;
		*size = o->size;
		return 0;
	}
	free(bytes);
	bytes = NULL;
	if (o->build_id_size == 0 || o->build_id_size > JD_BUILD_ID_MAX) {
		snprintf(err, errlen, "object %s: its %" PRIu64 " bytes at 0x%" PRIx64 " are not readable, and it has no "
				      "build-id to fetch it by (a version 1 registry, or another registrar's object)",
			 id, o->size, o->symfile);
		return -EFAULT;
	}
	jd_build_id_format(o->build_id, o->build_id_size, hex, sizeof(hex));
	size_t got = 0;
	char *cached = NULL;
	int rc = fetch(o->build_id, o->build_id_size, &bytes, &got, &cached, why, sizeof(why));
	if (rc == 0) {
		rc = place(w, o, bytes, got, why, sizeof(why));
		if (rc != 0) {
			free(bytes);
			if (cached)
				unlink(cached); /* another object, or unusable: not kept under this build-id */
		}
	}
	free(cached);
	if (rc != 0) {
		snprintf(err, errlen, "object %s (build-id %s): its bytes are not in memory; %s", id, hex, why);
		return rc;
	}
	*data = bytes;
	*size = got;
	if (fetched)
		*fetched = 1;
	return 0;
}
