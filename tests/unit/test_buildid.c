/* test_buildid.c — jitdebug/buildid.c, publish.c and fetch.c: SHA-1 against FIPS 180 vectors; the
 * build-id of a clang object is the same at any load addresses and changes with one byte of code;
 * the published file carries the note, has its addresses out and keeps the content id; publishing is
 * idempotent and atomic (no temporary file left), and says what is wrong with a bad directory;
 * objects with their own note keep it; what others planted in the tree (a link at DIR/XX, a dangling
 * link, junk, a FIFO or another object at the file's name) is never followed or taken for the object;
 * an object with a build-id note this scheme does not take (64 bytes) does not get the id of the
 * object without it; fetching an object whose bytes are missing says which build-id and what to
 * set; the registry's recorded addresses are refused when they name no section.
 * argv[1]: tests/fixtures/jitfix.o. */
#include "buildid.h"
#include "check.h"
#include "fakemem.h"
#include "objfile.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fixture;

static void hex(const uint8_t *id, size_t n, char *out)
{
	jd_build_id_format(id, n, out, 2 * n + 1);
}

static void test_sha1_vectors(void)
{
	uint8_t out[20];
	char h[41];
	jd_sha1("abc", 3, out);
	hex(out, 20, h);
	CHECK(strcmp(h, "a9993e364706816aba3e25717850c26c9cd0d89d") == 0, "abc: %s", h);
	jd_sha1("", 0, out);
	hex(out, 20, h);
	CHECK(strcmp(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709") == 0, "empty: %s", h);
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	jd_sha1(two, strlen(two), out);
	hex(out, 20, h);
	CHECK(strcmp(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1") == 0, "448 bits: %s", h);
	char *million = malloc(1000000);
	memset(million, 'a', 1000000);
	jd_sha1(million, 1000000, out);
	hex(out, 20, h);
	CHECK(strcmp(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f") == 0, "a million a: %s", h);
	free(million);
}

/* The CPU's SHA instructions (where there are some) and the portable code agree on every length. */
static void test_sha1_instructions_match_portable(void)
{
	uint8_t buf[1100], a[20], b[20];
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	int bad = 0;
	for (size_t len = 0; len <= sizeof(buf); len += len < 140 ? 1 : 37) {
		jd_sha1_portable_only = 0;
		jd_sha1(buf, len, a);
		jd_sha1_portable_only = 1;
		jd_sha1(buf, len, b);
		bad += memcmp(a, b, 20) != 0;
	}
	jd_sha1_portable_only = 0;
	CHECK(bad == 0, "%d lengths differ", bad);
}

static void test_same_code_same_id_at_any_address(void)
{
	size_t size;
	uint8_t *a = read_object(fixture, &size), *b = read_object(fixture, &size);
	uint8_t ida[JD_BUILD_ID_MAX], idb[JD_BUILD_ID_MAX];
	uint32_t la = 0, lb = 0;
	char err[256];
	patch_load_addresses(b, size);
	CHECK(jd_object_build_id(a, size, ida, &la, err, sizeof(err)) == JD_BUILD_ID_CONTENT && la == 20, "%s", err);
	CHECK(jd_object_build_id(b, size, idb, &lb, err, sizeof(err)) == JD_BUILD_ID_CONTENT, "%s", err);
	CHECK(memcmp(ida, idb, 20) == 0, "the load addresses changed the build-id");
	/* One byte of .text changes it. */
	struct jd_elf *e = jd_elf_open(b, size, NULL, NULL, 0);
	struct jd_elf_section text;
	CHECK(e && jd_elf_section_by_name(e, ".text", &text) == 0, "no .text");
	jd_elf_close(e);
	b[text.offset] ^= 1;
	CHECK(jd_object_build_id(b, size, idb, &lb, err, sizeof(err)) == JD_BUILD_ID_CONTENT && memcmp(ida, idb, 20) != 0,
	      "a changed instruction kept the build-id");
	/* So does a symbol's name (the section-name table is also the symbol string table in clang's objects). */
	b[text.offset] ^= 1;
	uint8_t *name = memmem(b, size, "jd_leaf", 7);
	CHECK(name != NULL, "no jd_leaf name");
	if (name)
		name[3] = 'X';
	CHECK(jd_object_build_id(b, size, idb, &lb, err, sizeof(err)) == JD_BUILD_ID_CONTENT && memcmp(ida, idb, 20) != 0,
	      "a renamed function kept the build-id");
	free(a);
	free(b);
}

static void test_published_image_keeps_the_content_id(void)
{
	size_t size, isize;
	uint8_t *obj = read_object(fixture, &size), *img = NULL;
	uint8_t id[JD_BUILD_ID_MAX], back[JD_BUILD_ID_MAX];
	uint32_t len, blen;
	char err[256];
	patch_load_addresses(obj, size);
	CHECK(jd_publish_image(obj, size, &img, &isize, 0, id, &len, err, sizeof(err)) == JD_BUILD_ID_CONTENT, "%s", err);
	CHECK(img && isize > size, "no note appended (%zu bytes)", isize);
	/* The note now says the id; the content id of the file is the same id. */
	CHECK(jd_object_build_id(img, isize, back, &blen, err, sizeof(err)) == JD_BUILD_ID_NOTE && blen == 20 &&
		      memcmp(back, id, 20) == 0,
	      "the file's note: %s", err);
	struct jd_elf *e = jd_elf_open(img, isize, NULL, err, sizeof(err));
	CHECK(e != NULL, "the published file does not parse: %s", err);
	if (e) {
		CHECK(jd_elf_content_id(e, img, back) == 0 && memcmp(back, id, 20) == 0, "content id changed by publishing");
		struct jd_elf_section s;
		int addrs = 0;
		for (size_t i = 0; i < jd_elf_section_count(e); i++)
			addrs += jd_elf_section(e, i, &s) == 0 && s.addr != 0;
		CHECK(addrs == 0, "%d sections keep a load address", addrs);
		const uint8_t *note;
		size_t note_len;
		CHECK(jd_elf_build_id(e, &note, &note_len) == 0 && note_len == 20 && memcmp(note, id, 20) == 0,
		      "libjitdebug's own note reader");
		CHECK(jd_elf_section_by_name(e, ".debug_info", &s) == 0, "debug info kept");
		jd_elf_close(e);
	}
	/* An object with its own note is published as it is (addresses out), under its own id. */
	uint8_t *again = NULL;
	size_t asize;
	CHECK(jd_publish_image(img, isize, &again, &asize, 0, back, &blen, err, sizeof(err)) == JD_BUILD_ID_NOTE &&
		      asize == isize && memcmp(back, id, 20) == 0,
	      "own note: %s", err);
	free(again);
	free(img);
	free(obj);
}

static size_t files_in(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
	if (d)
		closedir(d);
	return n;
}

static void test_publish_is_idempotent_and_atomic(void)
{
	char tree[] = "/tmp/jitdebug-unit-publish.XXXXXX";
	CHECK(mkdtemp(tree) != NULL, "mkdtemp");
	size_t size;
	uint8_t *obj = read_object(fixture, &size);
	uint8_t id[JD_BUILD_ID_MAX];
	uint32_t len;
	int written = -1;
	char err[300], h[41], path[512], sub[512];
	CHECK(jd_object_publish(tree, obj, size, id, &len, &written, err, sizeof(err)) == 0 && written == 1, "%s", err);
	hex(id, len, h);
	snprintf(sub, sizeof(sub), "%s/%.2s", tree, h);
	snprintf(path, sizeof(path), "%s/%s.debug", sub, h + 2);
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size > (off_t)size, "%s not written", path);
	patch_load_addresses(obj, size); /* the same code elsewhere: the same file, not written again */
	CHECK(jd_object_publish(tree, obj, size, NULL, NULL, &written, err, sizeof(err)) == 0 && written == 0, "%s", err);
	CHECK(files_in(sub) == 1, "%zu files in %s (a temporary one left?)", files_in(sub), sub);
	size_t got;
	uint8_t *file = read_object(path, &got), back[JD_BUILD_ID_MAX];
	uint32_t blen;
	CHECK(file && jd_object_build_id(file, got, back, &blen, err, sizeof(err)) == JD_BUILD_ID_NOTE &&
		      memcmp(back, id, 20) == 0,
	      "the file's build-id");
	free(file);
	/* Bad directories and bad objects: clear errors. */
	CHECK(jd_object_publish("/proc/self/no-such-dir", obj, size, NULL, NULL, &written, err, sizeof(err)) < 0 &&
		      strstr(err, "/proc/self/no-such-dir"),
	      "unwritable tree: %s", err);
	CHECK(jd_object_publish(tree, obj, 40, NULL, NULL, &written, err, sizeof(err)) == -EINVAL && err[0], "truncated");
	unlink(path);
	rmdir(sub);
	rmdir(tree);
	free(obj);
}

/* The file at path is a regular file (not a link) holding an object of build-id id. */
static int holds(const char *path, const uint8_t *id, uint32_t len)
{
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	size_t got;
	uint8_t *file = read_object(path, &got), back[JD_BUILD_ID_MAX];
	uint32_t blen = 0;
	int ok = file && jd_object_build_id(file, got, back, &blen, NULL, 0) >= 0 && blen == len && memcmp(back, id, len) == 0;
	free(file);
	return ok;
}

static void test_planted_paths_in_the_tree(void)
{
	char tree[] = "/tmp/jitdebug-unit-plant.XXXXXX", away[] = "/tmp/jitdebug-unit-away.XXXXXX";
	CHECK(mkdtemp(tree) && mkdtemp(away), "mkdtemp");
	size_t size;
	uint8_t *obj = read_object(fixture, &size), id[JD_BUILD_ID_MAX];
	uint32_t len;
	int written = -1;
	char err[300], h[41], path[512], sub[512], cmd[1400];
	CHECK(jd_object_build_id(obj, size, id, &len, err, sizeof(err)) == JD_BUILD_ID_CONTENT, "%s", err);
	hex(id, len, h);
	snprintf(sub, sizeof(sub), "%s/%.2s", tree, h);
	snprintf(path, sizeof(path), "%s/%s.debug", sub, h + 2);

	/* DIR/XX a link to another folder: refused by name, nothing written there. */
	CHECK(symlink(away, sub) == 0, "plant %s", sub);
	CHECK(jd_object_publish(tree, obj, size, NULL, NULL, &written, err, sizeof(err)) < 0 && written == 0 &&
		      strstr(err, "not a folder of the tree"),
	      "a link at DIR/XX: %s", err);
	CHECK(files_in(away) == 0, "%zu files written through the link", files_in(away));
	unlink(sub);
	CHECK(mkdir(sub, 0755) == 0, "mkdir");

	/* At the file's name: a dangling link, a link to a real file, junk, a FIFO, a bare header. Each
	 * is replaced by the object (never written through), and the file it pointed at is untouched. */
	char victim[600];
	snprintf(victim, sizeof(victim), "%s/victim", away);
	FILE *v = fopen(victim, "w");
	CHECK(v && fputs("not yours", v) >= 0 && fclose(v) == 0, "victim");
	static const char *what[] = {"a dangling link", "a link to another file", "junk", "a FIFO", "an ELF header alone"};
	for (int k = 0; k < 5; k++) {
		int planted = -1;
		if (k == 0)
			planted = symlink("/nonexistent/jitdebug", path);
		else if (k == 1)
			planted = symlink(victim, path);
		else if (k == 2) {
			FILE *f = fopen(path, "w");
			planted = f && fputs("junk", f) >= 0 && fclose(f) == 0 ? 0 : -1;
		} else if (k == 3)
			planted = mkfifo(path, 0644);
		else {
			FILE *f = fopen(path, "w"); /* the object's ELF header alone */
			planted = f && fwrite(obj, 1, 64, f) == 64 && fclose(f) == 0 ? 0 : -1;
		}
		CHECK(planted == 0, "plant %s", what[k]);
		written = -1;
		CHECK(jd_object_publish(tree, obj, size, NULL, NULL, &written, err, sizeof(err)) == 0 && written == 1,
		      "%s at the name: published over it (%s, written %d)", what[k], err, written);
		CHECK(holds(path, id, len), "%s: the name now holds the object", what[k]);
		CHECK(files_in(sub) == 1, "%s: %zu files (a temporary one left?)", what[k], files_in(sub));
		unlink(path);
	}
	FILE *f = fopen(victim, "r");
	char back[32] = {0};
	CHECK(f && fgets(back, sizeof(back), f) && strcmp(back, "not yours") == 0, "the linked file is untouched");
	if (f)
		fclose(f);
	unlink(victim);

	/* The object with a 64-byte build-id note added: not the genuine object's id, not its slot. */
	char noted[600], note[600];
	snprintf(noted, sizeof(noted), "%s/noted.o", away);
	snprintf(note, sizeof(note), "%s/note.bin", away);
	f = fopen(note, "wb");
	uint8_t n[16 + 64] = {4, 0, 0, 0, 64, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0};
	memcpy(n + 16, id, 20);
	CHECK(f && fwrite(n, 1, sizeof(n), f) == sizeof(n) && fclose(f) == 0, "note");
	snprintf(cmd, sizeof(cmd), "objcopy --add-section .note.gnu.build-id=%s --set-section-flags .note.gnu.build-id=readonly %s %s",
		 note, fixture, noted);
	CHECK(system(cmd) == 0, "%s", cmd);
	size_t nsize;
	uint8_t *nobj = read_object(noted, &nsize), nid[JD_BUILD_ID_MAX];
	uint32_t nlen = 0;
	CHECK(nobj && jd_object_build_id(nobj, nsize, nid, &nlen, err, sizeof(err)) == JD_BUILD_ID_CONTENT &&
		      !(nlen == len && memcmp(nid, id, len) == 0),
	      "a 64-byte note: another content id than the object without it");
	CHECK(nobj && jd_object_publish(tree, nobj, nsize, NULL, NULL, &written, err, sizeof(err)) == 0 && written == 1,
	      "%s", err);
	struct stat st;
	CHECK(lstat(path, &st) != 0, "nothing published in the genuine object's slot");
	free(nobj);
	unlink(noted);
	unlink(note);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", tree, away);
	CHECK(system(cmd) == 0, "cleanup");
	free(obj);
}

/* The registry entry of an object whose bytes are gone, in the fake memory: its build-id, its two
 * sections' addresses. */
static struct jd_registry_object missing_object(const uint8_t *id, uint32_t index)
{
	memset(mem, 0, sizeof(mem));
	put(BASE + 0x100, index, 4);
	put(BASE + 0x108, 0x7f0000001000ull, 8);
	struct jd_registry_object o = {.id = 7, .symfile = 0x10, .size = 4096, .build_id_size = 20,
				       .build_id_kind = JD_BUILD_ID_CONTENT, .nsections = 1, .sections = BASE + 0x100,
				       .section_size = 16};
	memcpy(o.build_id, id, 20);
	return o;
}

static void test_fetch_says_what_is_missing(void)
{
	uint8_t id[20];
	for (int i = 0; i < 20; i++)
		id[i] = (uint8_t)(0x10 + i);
	struct jd_registry_object o = missing_object(id, 2);
	struct jd_walk w = {.sz = sizeof(w), .read = read_mem};
	uint8_t *data;
	size_t size;
	char err[600];
	unsetenv("DEBUGINFOD_URLS");
	CHECK(jd_object_bytes(&w, &o, &data, &size, NULL, err, sizeof(err)) == -ENOENT &&
		      strstr(err, "object 7 (build-id 101112131415161718191a1b1c1d1e1f20212223)") &&
		      strstr(err, "DEBUGINFOD_URLS is not set"),
	      "%s", err);
	/* A server that cannot be reached is named, and the call returns at once (connection refused). */
	setenv("DEBUGINFOD_URLS", "http://127.0.0.1:1", 1);
	char cache[] = "/tmp/jitdebug-unit-dcache.XXXXXX";
	CHECK(mkdtemp(cache) != NULL, "mkdtemp");
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
	int rc = jd_object_bytes(&w, &o, &data, &size, NULL, err, sizeof(err));
	CHECK(rc < 0 && strstr(err, "http://127.0.0.1:1"), "%d %s", rc, err);
	unsetenv("DEBUGINFOD_URLS");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", cache);
	CHECK(system(cmd) == 0, "rm");
	/* No build-id (a version 1 entry): unreadable, said so. */
	o.build_id_size = 0;
	CHECK(jd_object_bytes(&w, &o, &data, &size, NULL, err, sizeof(err)) == -EFAULT && strstr(err, "no build-id"),
	      "%s", err);
	/* Bytes that are there are read, whatever the build-id. */
	o.symfile = BASE;
	o.size = 64;
	int fetched = -1;
	CHECK(jd_object_bytes(&w, &o, &data, &size, &fetched, err, sizeof(err)) == 0 && size == 64 && fetched == 0,
	      "%s", err);
	jd_free(data);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_buildid jitfix.o\n");
		return 2;
	}
	fixture = argv[1];
	RUN(test_sha1_vectors);
	RUN(test_sha1_instructions_match_portable);
	RUN(test_same_code_same_id_at_any_address);
	RUN(test_published_image_keeps_the_content_id);
	RUN(test_publish_is_idempotent_and_atomic);
	RUN(test_planted_paths_in_the_tree);
	RUN(test_fetch_says_what_is_missing);
	return check_report();
}
