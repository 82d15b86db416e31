/* test_fleet.c — executor-hooks/fleet.c, JITDEBUG_PUBLISH in a process (read once per process, so
 * each mode is its own test run):
 *   ok     50 distinct objects registered twice: 50 files, 50 duplicates counted, no temporary file;
 *   fail   a tree where no file can be written (every XX is a regular file): every registration
 *          still succeeds, each object is counted as failed, the tree gets nothing;
 *   flood  10,000 distinct objects as fast as registration goes: every registration succeeds, and
 *          written + dropped + failed accounts for each of them once the queue has drained;
 *   omit   JITDEBUG_CORE_OBJECTS=omit: the hooks' copies are in mappings marked "dd" in smaps.
 * usage: test_fleet MODE OBJECT TREE */
#include "check.h"
#include "hooksview.h"
#include "jitdebug-hooks.h"
#include "objfile.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *mode, *tree;
static uint8_t *obj;
static size_t size;

static void quiet(int level, const char *msg, void *ctx) { (void)level, (void)msg, (void)ctx; }

static struct jd_hooks_stats stats(void)
{
	struct jd_hooks_stats s = {.sz = sizeof(s)};
	jd_hooks_stats(&s);
	return s;
}

/* Until written + existing + dropped + failed reaches n (the queue drained), 20 s at most. */
static struct jd_hooks_stats settled(uint64_t n)
{
	struct jd_hooks_stats s = stats();
	for (int i = 0; i < 2000 && s.published + s.publish_existing + s.publish_dropped + s.publish_failed < n; i++) {
		usleep(10000);
		s = stats();
	}
	return s;
}

/* Files in the tree (recursively), and how many of them are temporary (".*.tmp"). */
static size_t count_files(const char *dir, size_t *tmp)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			n += count_files(path, tmp);
		} else {
			n++;
			*tmp += strstr(e->d_name, ".tmp") != NULL;
		}
	}
	if (d)
		closedir(d);
	return n;
}

static int register_variant(uint32_t v, uint64_t *id)
{
	uint8_t *o = object_variant(obj, size, v);
	int rc = o ? jd_register_object(o, size, NULL, id) : -ENOMEM;
	free(o);
	return rc;
}

static void publishes_each_object_once(void)
{
	uint64_t id;
	int bad = 0;
	for (int round = 0; round < 2; round++)
		for (uint32_t v = 0; v < 50; v++)
			bad += register_variant(v, &id) != 0;
	CHECK(bad == 0, "%d registrations failed", bad);
	struct jd_hooks_stats s = settled(50);
	size_t tmp = 0, files = count_files(tree, &tmp);
	CHECK(s.published == 50 && s.publish_duplicates == 50 && s.publish_failed == 0 && s.publish_dropped == 0,
	      "published %llu, duplicates %llu, failed %llu, dropped %llu", (unsigned long long)s.published,
	      (unsigned long long)s.publish_duplicates, (unsigned long long)s.publish_failed,
	      (unsigned long long)s.publish_dropped);
	CHECK(files == 50 && tmp == 0, "%zu files, %zu temporary", files, tmp);
}

static void an_unwritable_tree_never_fails_a_registration(void)
{
	uint64_t id;
	int bad = 0;
	for (uint32_t v = 0; v < 100; v++)
		bad += register_variant(v, &id) != 0;
	CHECK(bad == 0, "%d registrations failed", bad);
	struct jd_hooks_stats s = settled(100);
	CHECK(s.publish_failed == 100 && s.published == 0, "failed %llu, published %llu", (unsigned long long)s.publish_failed,
	      (unsigned long long)s.published);
	size_t tmp = 0, files = count_files(tree, &tmp);
	CHECK(files == 256 && tmp == 0, "%zu files (256 blockers expected), %zu temporary", files, tmp);
}

static void a_flood_is_bounded_and_accounted(void)
{
	enum { N = 10000 };
	uint64_t id;
	int bad = 0;
	for (uint32_t v = 0; v < N; v++) {
		bad += register_variant(v, &id) != 0;
		jd_unregister_object(id); /* the registry stays small: only the queue is flooded */
	}
	CHECK(bad == 0, "%d registrations failed", bad);
	struct jd_hooks_stats s = settled(N);
	CHECK(s.published + s.publish_dropped + s.publish_failed == N && s.publish_failed == 0,
	      "written %llu + dropped %llu + failed %llu != %d", (unsigned long long)s.published,
	      (unsigned long long)s.publish_dropped, (unsigned long long)s.publish_failed, N);
	size_t tmp = 0, files = count_files(tree, &tmp);
	CHECK(files == s.published && tmp == 0, "%zu files for %llu written, %zu temporary", files,
	      (unsigned long long)s.published, tmp);
	printf("  (flood: %llu written, %llu dropped)\n", (unsigned long long)s.published,
	       (unsigned long long)s.publish_dropped);
}

static void omitted_copies_are_marked_dontdump(void)
{
	uint64_t id;
	CHECK(register_variant(1, &id) == 0, "register");
	struct find found = find_object(id);
	CHECK(found.found, "the object is not in the registry");
	struct jd_object_info info = found.info;
	/* The copy's mapping in smaps carries the "dd" flag. */
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, dd = 0;
	uint64_t at = (uint64_t)(uintptr_t)info.data;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2)
			in = at >= lo && at < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			dd = strstr(line, " dd") != NULL;
	}
	if (f)
		fclose(f);
	CHECK(dd, "the copy at 0x%llx is not in a dd mapping", (unsigned long long)at);
	jd_unregister_object(id);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: test_fleet ok|fail|flood|omit OBJECT TREE\n");
		return 2;
	}
	mode = argv[1];
	tree = argv[3];
	jd_hooks_set_log(quiet, NULL);
	if (!(obj = read_object(argv[2], &size)))
		return 1;
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", tree, tree);
	if (system(cmd) != 0)
		return 1;
	if (strcmp(mode, "fail") == 0)
		for (int i = 0; i < 256; i++) { /* DIR/XX as regular files: no XX directory can be made */
			char p[4200];
			snprintf(p, sizeof(p), "%s/%02x", tree, i);
			FILE *f = fopen(p, "w");
			if (f)
				fclose(f);
		}
	setenv(strcmp(mode, "omit") == 0 ? "JITDEBUG_CORE_OBJECTS" : "JITDEBUG_PUBLISH", strcmp(mode, "omit") == 0 ? "omit" : tree,
	       1);
	if (strcmp(mode, "ok") == 0)
		RUN(publishes_each_object_once);
	else if (strcmp(mode, "fail") == 0)
		RUN(an_unwritable_tree_never_fails_a_registration);
	else if (strcmp(mode, "flood") == 0)
		RUN(a_flood_is_bounded_and_accounted);
	else if (strcmp(mode, "omit") == 0)
		RUN(omitted_copies_are_marked_dontdump);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	if (system(cmd) != 0)
		return 1;
	return check_report();
}
