/* link_host.c — a JIT process under the tests' control, for the debug link tests.
 *   JITDEBUG_LISTEN=127.0.0.1:0 link_host OBJECT
 * Places OBJECT in memory (place.h) and reads commands on stdin, answering on stdout:
 *   reg              -> "id N"        register one more copy
 *   unreg N          -> "ok"|"err"    unregister object N
 *   addr SYMBOL      -> "addr 0x..."  the placed address of a function of the object
 *   stats            -> "registered=.. live=.."
 *   storm T N        -> "done"        T threads register and unregister N objects each
 *   save N PATH      -> "saved"       write object N's registered bytes (as the hooks hold them)
 *   regn N           -> "done"        register N more copies (benchmarks)
 *   addrs PATH       -> "written"     "id address size" of every live object's bytes, one per line
 *   time N           -> "us=X"        mean µs of N register+unregister pairs (benchmarks)
 * and exits at EOF. The link address is printed by the hooks on stderr. */
#include "jitdebug-hooks.h"
#include "objfile.h"
#include "place.h"

#include <elf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint8_t *obj;
static size_t size;

static void *storm(void *arg)
{
	long n = (long)arg;
	for (long i = 0; i < n; i++) {
		uint64_t id;
		if (jd_register_object(obj, size, NULL, &id) == 0 && (i % 2))
			jd_unregister_object(id);
	}
	return NULL;
}

static int addr_cb(const struct jd_object_info *info, void *p)
{
	fprintf(p, "%llu 0x%llx %llu\n", (unsigned long long)info->id, (unsigned long long)(uintptr_t)info->data,
		(unsigned long long)info->size);
	return 0;
}

struct save_ctx {
	uint64_t id;
	const char *path;
	int ok;
};

static int save_cb(const struct jd_object_info *info, void *p)
{
	struct save_ctx *s = p;
	if (info->id != s->id)
		return 0;
	FILE *f = fopen(s->path, "wb");
	s->ok = f && fwrite(info->data, 1, info->size, f) == info->size;
	if (f)
		fclose(f);
	return 1;
}

static uint64_t symbol_addr(const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)obj;
	Elf64_Shdr *sh = (Elf64_Shdr *)(obj + eh->e_shoff);
	for (int i = 1; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		Elf64_Sym *sym = (Elf64_Sym *)(obj + sh[i].sh_offset);
		const char *str = (const char *)obj + sh[sh[i].sh_link].sh_offset;
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++)
			if (strcmp(str + sym[k].st_name, name) == 0 && sym[k].st_shndx < eh->e_shnum)
				return sh[sym[k].st_shndx].sh_addr + sym[k].st_value;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (!(obj = read_object(argv[1], &size)))
		return 2;
	place_object(obj);
	setvbuf(stdout, NULL, _IOLBF, 0);
	char line[256];
	while (fgets(line, sizeof(line), stdin)) {
		char arg[200];
		unsigned long long v;
		long t, n;
		if (strncmp(line, "reg", 3) == 0 && (line[3] == '\n' || line[3] == 0)) {
			uint64_t id = 0;
			int rc = jd_register_object(obj, size, NULL, &id);
			printf("id %llu rc %d\n", (unsigned long long)id, rc);
		} else if (sscanf(line, "unreg %llu", &v) == 1) {
			printf("%s\n", jd_unregister_object(v) == 0 ? "ok" : "err");
		} else if (sscanf(line, "addrs %199s", arg) == 1) {
			FILE *out = fopen(arg, "w");
			if (out) {
				jd_foreach_object(addr_cb, out);
				fclose(out);
			}
			printf("%s\n", out ? "written" : "err");
		} else if (sscanf(line, "addr %199s", arg) == 1) {
			printf("addr 0x%llx\n", (unsigned long long)symbol_addr(arg));
		} else if (sscanf(line, "save %llu %199s", &v, arg) == 2) {
			struct save_ctx sc = {v, arg, 0};
			jd_foreach_object(save_cb, &sc);
			printf("%s\n", sc.ok ? "saved" : "err");
		} else if (sscanf(line, "regn %ld", &n) == 1 && n > 0) {
			for (long i = 0; i < n; i++)
				jd_register_object(obj, size, NULL, NULL);
			printf("done\n");
		} else if (sscanf(line, "time %ld", &n) == 1 && n > 0) {
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			for (long i = 0; i < n; i++) {
				uint64_t id;
				if (jd_register_object(obj, size, NULL, &id) == 0)
					jd_unregister_object(id);
			}
			clock_gettime(CLOCK_MONOTONIC, &b);
			printf("us=%.3f\n", ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / (double)n);
		} else if (strncmp(line, "stats", 5) == 0) {
			struct jd_hooks_stats s = {.sz = sizeof(s)};
			jd_hooks_stats(&s);
			printf("registered=%llu live=%llu\n", (unsigned long long)s.registered, (unsigned long long)s.live);
		} else if (sscanf(line, "storm %ld %ld", &t, &n) == 2 && t > 0 && t <= 64) {
			pthread_t th[64];
			for (long i = 0; i < t; i++)
				pthread_create(&th[i], NULL, storm, (void *)n);
			for (long i = 0; i < t; i++)
				pthread_join(th[i], NULL);
			printf("done\n");
		} else {
			printf("?\n");
		}
	}
	return 0;
}
