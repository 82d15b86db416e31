/* bench_functions.c — cost of jd_register_function(s) with no debugger attached (GDB JIT interface
 * eager, perf outputs off), median of COUNT registrations each timed alone with its unregistration:
 * one function by name only, one with an 8-row line table and a frame rule, and batches of 1,000
 * functions. Also the object's size per function. For scale, the same run times the smallest thing a
 * light JIT does by hand today: one fprintf of a perf-map line to a file.
 *
 * usage: bench_functions [COUNT] */
#include "jitdebug-hooks.h"
#include "synth.h"
#include "timing.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double median_us(uint64_t *v, size_t n)
{
	return (double)median(v, n) / 1000.0;
}

enum { BATCH = 1000 };
static struct jd_function batch[BATCH];
static char names[BATCH][24];
static const struct jd_function_line rows[8] = {{0, 10}, {4, 11}, {9, 12}, {16, 13}, {22, 14}, {30, 15}, {41, 16}, {50, 17}};

static double time_register(const struct jd_function *f, size_t n, uint64_t *t, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint64_t id, t0 = now_ns();
		if (jd_register_functions(f, n, NULL, &id, NULL, 0) != 0) {
			fprintf(stderr, "registration failed\n");
			exit(1);
		}
		jd_unregister_object(id);
		t[i] = now_ns() - t0;
	}
	return median_us(t, count);
}

static size_t object_size(const struct jd_function *f, size_t n)
{
	uint8_t *obj;
	size_t size = 0;
	if (jd_synth_object(f, n, NULL, &obj, &size, NULL, 0) == 0)
		free(obj);
	return size;
}

int main(int argc, char **argv)
{
	size_t count = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	uint64_t *t = malloc(count * sizeof(*t));
	struct jd_hooks_opts ho = {sizeof(ho), JD_GDB_EAGER, -1, ""};
	if (!t || jd_hooks_init(&ho) != 0)
		return 1;

	struct jd_function bare = {.name = "jit_fn_bare", .addr = 0x7f0000100000, .size = 64};
	struct jd_function lined = bare;
	lined.name = "jit_fn_lines";
	lined.file = "/src/program.acc";
	lined.lines = rows;
	lined.n_lines = 8;
	lined.frame = JD_FRAME_RBP;
	for (int i = 0; i < BATCH; i++) {
		snprintf(names[i], sizeof(names[i]), "jit_fn_%d", i);
		batch[i] = lined;
		batch[i].name = names[i];
		batch[i].addr = 0x7f0000200000 + 64 * (uint64_t)i;
	}
	printf("one function, name only:          %6.2f us  (object %zu bytes)\n", time_register(&bare, 1, t, count),
	       object_size(&bare, 1));
	printf("one function, 8 lines + frame:    %6.2f us  (object %zu bytes)\n", time_register(&lined, 1, t, count),
	       object_size(&lined, 1));
	size_t bcount = count / 100 ? count / 100 : 1;
	double b = time_register(batch, BATCH, t, bcount);
	printf("batch of %d, 8 lines + frame:   %8.1f us  = %.2f us per function (object %zu bytes = %zu per function)\n",
	       BATCH, b, b / BATCH, object_size(batch, BATCH), object_size(batch, BATCH) / BATCH);
	for (int i = 0; i < BATCH; i++)
		batch[i].n_lines = 0, batch[i].frame = 0;
	b = time_register(batch, BATCH, t, bcount);
	printf("batch of %d, names only:        %8.1f us  = %.2f us per function (object %zu bytes = %zu per function)\n",
	       BATCH, b, b / BATCH, object_size(batch, BATCH), object_size(batch, BATCH) / BATCH);

	/* For scale: one perf-map line, fprintf'd and flushed, as a JIT writes it by hand. */
	FILE *f = tmpfile();
	for (size_t i = 0; f && i < count; i++) {
		uint64_t t0 = now_ns();
		fprintf(f, "%llx %x %s\n", (unsigned long long)bare.addr, 64u, bare.name);
		fflush(f);
		t[i] = now_ns() - t0;
	}
	if (f) {
		printf("for scale, one hand-written perf-map line (fprintf + fflush): %.2f us\n", median_us(t, count));
		fclose(f);
	}
	free(t);
	return 0;
}
