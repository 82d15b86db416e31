/* lightjit.c — a tiny JIT for the accumulator language of poly.acc, and how a light JIT tells
 * debuggers and profilers about its code with one call (jd_register_functions).
 *
 * The language: `fn NAME` starts a function of one integer x; the accumulator starts as x;
 * `load|add|sub|mul N|x` change it; `call NAME` calls an earlier function with the accumulator as its
 * x; `trap` executes ud2; `ret` returns the accumulator. `#` starts a comment.
 *
 * Code generation is x86-64 with a frame pointer: push %rbp; mov %rsp,%rbp; push %rbx (x lives in
 * %rbx); sub $8,%rsp. Every source line gets a line-table row at the offset of its first instruction.
 *
 *   lightjit [--each] FILE [FUNCTION [X [ITERATIONS]]]
 *
 * calls FUNCTION (default: the last one) with X (default 5) ITERATIONS times (default 1) and prints
 * the result. --each registers one object per function instead of one for the whole program. */
#include "jitdebug-hooks.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { MAX_FUNCS = 64, MAX_ROWS = 256, CODE_SIZE = 1 << 16 };

struct func {
	char name[64];
	uint8_t *start;
	size_t n_rows;
	struct jd_function_line rows[MAX_ROWS];
};

static uint8_t *code, *pc;
static struct func funcs[MAX_FUNCS];
static int nfuncs;

static void emit(const void *bytes, size_t n)
{
	if (pc + n > code + CODE_SIZE) {
		fprintf(stderr, "lightjit: program too large\n");
		exit(1);
	}
	memcpy(pc, bytes, n);
	pc += n;
}

static void emit_imm32(const uint8_t *op, size_t n, int32_t v)
{
	emit(op, n);
	emit(&v, 4);
}

static struct func *find(const char *name)
{
	for (int i = 0; i < nfuncs; i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	return NULL;
}

static void row(struct func *f, unsigned line)
{
	if (f->n_rows == MAX_ROWS) {
		fprintf(stderr, "lightjit: function %s too long\n", f->name);
		exit(1);
	}
	f->rows[f->n_rows++] = (struct jd_function_line){(uint32_t)(pc - f->start), line};
}

/* One arithmetic statement: `op N` with an imm32, or `op x` with %rbx. */
static int arith(const char *op, const char *arg)
{
	static const struct {
		const char *name;
		uint8_t imm[3], imm_len, reg[4], reg_len;
	} ops[] = {
		{"load", {0x48, 0xc7, 0xc0}, 3, {0x48, 0x89, 0xd8}, 3},       /* mov $N,%rax | mov %rbx,%rax */
		{"add", {0x48, 0x05}, 2, {0x48, 0x01, 0xd8}, 3},              /* add $N,%rax | add %rbx,%rax */
		{"sub", {0x48, 0x2d}, 2, {0x48, 0x29, 0xd8}, 3},              /* sub $N,%rax | sub %rbx,%rax */
		{"mul", {0x48, 0x69, 0xc0}, 3, {0x48, 0x0f, 0xaf, 0xc3}, 4},  /* imul $N,%rax,%rax | imul %rbx,%rax */
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(op, ops[i].name) != 0)
			continue;
		if (strcmp(arg, "x") == 0) {
			emit(ops[i].reg, ops[i].reg_len);
		} else {
			char *end;
			long v = strtol(arg, &end, 0);
			if (*end || v < INT32_MIN || v > INT32_MAX)
				return -1;
			emit_imm32(ops[i].imm, ops[i].imm_len, (int32_t)v);
		}
		return 0;
	}
	return -1;
}

static void compile(FILE *in, const char *path)
{
	static const uint8_t prologue[] = {0x55, 0x48, 0x89, 0xe5, 0x53, 0x48, 0x83, 0xec, 0x08,
					   0x48, 0x89, 0xfb, 0x48, 0x89, 0xf8}; /* ... mov %rdi,%rbx; mov %rdi,%rax */
	static const uint8_t epilogue[] = {0x48, 0x83, 0xc4, 0x08, 0x5b, 0x5d, 0xc3}; /* add $8,%rsp; pop; pop; ret */
	char buf[256];
	unsigned line = 0;
	struct func *f = NULL;
	while (fgets(buf, sizeof(buf), in)) {
		line++;
		char op[32] = "", arg[64] = "";
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		int k = sscanf(buf, "%31s %63s", op, arg);
		if (k <= 0)
			continue;
		if (strcmp(op, "fn") == 0 && k == 2 && nfuncs < MAX_FUNCS && !find(arg)) {
			pc = (uint8_t *)(((uintptr_t)pc + 15) & ~(uintptr_t)15);
			f = &funcs[nfuncs++];
			snprintf(f->name, sizeof(f->name), "%s", arg);
			f->start = pc;
			row(f, line);
			emit(prologue, sizeof(prologue));
			continue;
		}
		if (!f)
			goto bad;
		row(f, line);
		if (strcmp(op, "ret") == 0 && k == 1) {
			emit(epilogue, sizeof(epilogue));
		} else if (strcmp(op, "trap") == 0 && k == 1) {
			emit((const uint8_t[]){0x0f, 0x0b}, 2); /* ud2 */
		} else if (strcmp(op, "call") == 0 && k == 2 && find(arg) && find(arg) != f) {
			uint64_t target = (uint64_t)(uintptr_t)find(arg)->start;
			emit((const uint8_t[]){0x48, 0x89, 0xc7, 0x48, 0xb8}, 5); /* mov %rax,%rdi; movabs $target,%rax */
			emit(&target, 8);
			emit((const uint8_t[]){0xff, 0xd0}, 2); /* call *%rax */
		} else if (k != 2 || arith(op, arg) != 0) {
			goto bad;
		}
	}
	return;
bad:
	fprintf(stderr, "%s:%u: cannot compile this line\n", path, line);
	exit(1);
}

int main(int argc, char **argv)
{
	int each = argc > 1 && strcmp(argv[1], "--each") == 0;
	if (argc < 2 + each) {
		fprintf(stderr, "usage: lightjit [--each] FILE [FUNCTION [X [ITERATIONS]]]\n");
		return 2;
	}
	const char *path = argv[1 + each];
	FILE *in = fopen(path, "r");
	if (!in) {
		perror(path);
		return 1;
	}
	code = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED)
		return 1;
	pc = code;
	compile(in, path);
	fclose(in);
	if (nfuncs == 0 || mprotect(code, CODE_SIZE, PROT_READ | PROT_EXEC) != 0)
		return 1;

	/* Tell debuggers and profilers: one jd_function per function, sizes from where the next starts. */
	char *abs = realpath(path, NULL);
	struct jd_function desc[MAX_FUNCS];
	for (int i = 0; i < nfuncs; i++) {
		uint8_t *end = i + 1 < nfuncs ? funcs[i + 1].start : pc;
		desc[i] = (struct jd_function){
			.name = funcs[i].name, .addr = (uint64_t)(uintptr_t)funcs[i].start,
			.size = (uint64_t)(end - funcs[i].start), .file = abs ? abs : path,
			.lines = funcs[i].rows, .n_lines = funcs[i].n_rows, .frame = JD_FRAME_RBP,
		};
	}
	char err[160];
	struct jd_functions_opts opts = {.sz = sizeof(opts)};
	for (int i = 0; i < (each ? nfuncs : 1); i++) {
		int rc = each ? jd_register_function(&desc[i], &opts, NULL, err, sizeof(err))
			      : jd_register_functions(desc, (size_t)nfuncs, &opts, NULL, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "lightjit: registration failed: %s (%s)\n", err, strerror(-rc));
			return 1;
		}
	}

	struct func *f = argc > 2 + each ? find(argv[2 + each]) : &funcs[nfuncs - 1];
	if (!f) {
		fprintf(stderr, "lightjit: no function %s\n", argv[2 + each]);
		return 1;
	}
	long x = argc > 3 + each ? strtol(argv[3 + each], NULL, 0) : 5;
	long iterations = argc > 4 + each ? strtol(argv[4 + each], NULL, 0) : 1;
	long (*fn)(long) = (long (*)(long))(void *)f->start;
	long r = 0;
	for (long i = 0; i < iterations; i++)
		r += fn(x + (i & 1));
	printf("%s(%ld) = %ld\n", f->name, x, iterations == 1 ? r : r / iterations);
	free(abs);
	return 0;
}
