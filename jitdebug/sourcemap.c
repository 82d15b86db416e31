/* sourcemap.c — where moved JIT source files live now, for both debugger plugins' `jit source-map
 * --auto`: one index, one matching rule, one set of limits. */
#include "jitdebug.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_FILES = 200000, MAX_DEPTH = 32 };

struct index {
	char **paths;
	size_t n, cap;
	int oom;
};

static void add(struct index *ix, const char *path)
{
	if (ix->n == ix->cap) {
		size_t ncap = ix->cap ? ix->cap * 2 : 256;
		char **np = realloc(ix->paths, ncap * sizeof(*np));
		if (!np) {
			ix->oom = 1;
			return;
		}
		ix->paths = np;
		ix->cap = ncap;
	}
	if (!(ix->paths[ix->n] = strdup(path)))
		ix->oom = 1;
	else
		ix->n++;
}

/* Regular files under dir (symbolic links are not followed). */
static void walk(struct index *ix, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; !ix->oom && ix->n < MAX_FILES && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
		char *path = malloc(len);
		if (!path) {
			ix->oom = 1;
			break;
		}
		strcpy(path, dir);
		strcat(path, "/");
		strcat(path, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH)
				walk(ix, path, depth + 1);
			else if (S_ISREG(st.st_mode))
				add(ix, path);
		}
		free(path);
	}
	closedir(d);
}

/* Path components of p: pointers into a copy the caller frees ("/a/b" -> "", "a", "b"). */
static char **split(const char *p, size_t *n, char **copy)
{
	*copy = strdup(p);
	size_t cap = 1;
	for (const char *c = p; *c; c++)
		cap += *c == '/';
	char **v = *copy ? malloc(cap * sizeof(*v)) : NULL;
	*n = 0;
	if (!v)
		return NULL;
	char *s = *copy;
	for (char *c = s;; c++) {
		if (*c == '/' || *c == '\0') {
			int end = *c == '\0';
			*c = '\0';
			v[(*n)++] = s;
			s = c + 1;
			if (end)
				break;
		}
	}
	return v;
}

/* The first n components joined with '/', "/" when that is empty. */
static char *join(char **v, size_t n)
{
	size_t len = 2;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, "/");
		strcat(s, v[i]);
	}
	if (!*s)
		strcpy(s, "/");
	return s;
}

int jd_source_map_auto(const char *const *missing, size_t nmissing, const char *const *dirs, size_t ndirs,
		       jd_source_map_fn found, void (*not_found)(const char *file, void *ctx), void *ctx)
{
	struct index ix = {0};
	for (size_t i = 0; i < ndirs && !ix.oom; i++)
		walk(&ix, dirs[i], 0);
	char **done = NULL; /* "from\0to" pairs already reported */
	size_t ndone = 0;
	int err = ix.oom ? -ENOMEM : 0;
	for (size_t m = 0; m < nmissing && !err; m++) {
		char *wcopy, *bestpath = NULL;
		size_t nw, best = 0;
		char **want = split(missing[m], &nw, &wcopy);
		if (!want) {
			free(wcopy);
			err = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < ix.n; k++) {
			const char *base = strrchr(ix.paths[k], '/');
			if (strcmp(base ? base + 1 : ix.paths[k], want[nw - 1]) != 0)
				continue;
			char *hcopy;
			size_t nh, same = 0;
			char **have = split(ix.paths[k], &nh, &hcopy);
			while (have && same < nw && same < nh && !strcmp(want[nw - 1 - same], have[nh - 1 - same]))
				same++;
			if (same > best) {
				best = same;
				bestpath = ix.paths[k];
			}
			free(have);
			free(hcopy);
		}
		if (!bestpath) {
			if (not_found)
				not_found(missing[m], ctx);
		} else {
			char *hcopy;
			size_t nh;
			char **have = split(bestpath, &nh, &hcopy);
			char *from = join(want, nw - best), *to = have ? join(have, nh - best) : NULL;
			int seen = 0;
			for (size_t d = 0; from && to && d < ndone && !seen; d++)
				seen = !strcmp(done[d], from) && !strcmp(done[d] + strlen(done[d]) + 1, to);
			if (!from || !to) {
				err = -ENOMEM;
			} else if (!seen) {
				char **nd = realloc(done, (ndone + 1) * sizeof(*nd));
				char *pair = malloc(strlen(from) + strlen(to) + 2);
				if (!nd || !pair) {
					free(pair);
					if (nd)
						done = nd;
					err = -ENOMEM;
				} else {
					done = nd;
					strcpy(pair, from);
					strcpy(pair + strlen(from) + 1, to);
					done[ndone++] = pair;
					found(from, to, missing[m], ctx);
				}
			}
			free(from);
			free(to);
			free(have);
			free(hcopy);
		}
		free(want);
		free(wcopy);
	}
	for (size_t d = 0; d < ndone; d++)
		free(done[d]);
	free(done);
	for (size_t k = 0; k < ix.n; k++)
		free(ix.paths[k]);
	free(ix.paths);
	return err;
}
