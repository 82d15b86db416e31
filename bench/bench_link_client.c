/* bench_link_client.c — the debug link from the host side, timed:
 *   bench_link_client HOST:PORT fetch-all   fetch every live object; prints MB/s
 *   bench_link_client HOST:PORT list        list every live object; prints ms
 */
#include "jitdebug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ids {
	uint64_t *v;
	size_t n, cap;
};

static int collect(const struct jd_link_object *o, void *p)
{
	struct ids *ids = p;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 1024;
		ids->v = realloc(ids->v, ids->cap * sizeof(*ids->v));
	}
	ids->v[ids->n++] = o->id;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	char err[256];
	struct jd_client_opts o = {.sz = sizeof(o), .timeout_ms = 60000};
	struct jd_client *c = jd_client_connect(argv[1], &o, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct ids ids = {0};
	double t0 = now_s();
	if (jd_client_list(c, 0, collect, &ids, NULL, 0) != 0)
		return 1;
	double t_list = now_s() - t0;
	if (strcmp(argv[2], "list") == 0) {
		printf("list objects=%zu ms=%.1f\n", ids.n, t_list * 1e3);
		return 0;
	}
	size_t total = 0;
	t0 = now_s();
	for (size_t i = 0; i < ids.n; i++) {
		uint8_t *data;
		size_t size;
		char why[256];
		if (jd_client_fetch(c, ids.v[i], &data, &size, why, sizeof(why)) != 0) {
			fprintf(stderr, "fetch %llu: %s\n", (unsigned long long)ids.v[i], why);
			return 1;
		}
		total += size;
		free(data);
	}
	double t = now_s() - t0;
	printf("fetch objects=%zu bytes=%zu s=%.3f MB/s=%.1f\n", ids.n, total, t, (double)total / 1e6 / t);
	jd_client_close(c);
	return 0;
}
