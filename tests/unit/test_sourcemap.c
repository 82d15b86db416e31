/* test_sourcemap.c — jitdebug/sourcemap.c: `jit source-map --auto` for both plugins. */
#include "check.h"
#include "jitdebug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


struct maps {
	char pairs[4][2][256];
	int n, lost;
};

static void on_map(const char *from, const char *to, const char *file, void *ctx)
{
	struct maps *m = ctx;
	if (m->n < 4) {
		snprintf(m->pairs[m->n][0], 256, "%s", from);
		snprintf(m->pairs[m->n][1], 256, "%s", to);
	}
	m->n++;
}

static void on_lost(const char *file, void *ctx) { ((struct maps *)ctx)->lost++; }

/* `jit source-map --auto` for both plugins: the longest common path suffix wins, one mapping per
 * prefix pair, files found nowhere reported. */
static void test_source_map_finds_moved_sources(void)
{
	char root[] = "/tmp/jd-srcmap.XXXXXX", path[512];
	CHECK(mkdtemp(root) != NULL, "mkdtemp");
	static const char *files[] = {"moved/project/src/a.c", "moved/project/src/b.c", "other/a.c"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		for (char *c = path + strlen(root) + 1; *c; c++)
			if (*c == '/') {
				*c = '\0';
				mkdir(path, 0700);
				*c = '/';
			}
		FILE *f = fopen(path, "w");
		if (f)
			fclose(f);
	}
	const char *missing[] = {"/build/project/src/a.c", "/build/project/src/b.c", "/build/zz.c"};
	const char *dirs[] = {root};
	struct maps m = {0};
	CHECK(jd_source_map_auto(missing, 3, dirs, 1, on_map, on_lost, &m) == 0, "ran");
	snprintf(path, sizeof(path), "%s/moved", root);
	CHECK(m.n == 1 && strcmp(m.pairs[0][0], "/build") == 0 && strcmp(m.pairs[0][1], path) == 0,
	      "%d mappings, first %s -> %s", m.n, m.pairs[0][0], m.pairs[0][1]);
	CHECK(m.lost == 1, "one file found nowhere: %d", m.lost);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	CHECK(system(path) == 0, "cleanup");
}

int main(void)
{
	RUN(test_source_map_finds_moved_sources);
	return check_report();
}
