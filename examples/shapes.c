/* shapes.c — the demo's JIT'd program: compiled with clang -g -c, linked and run by LLVM ORC
 * (llvm-jitlink-16) inside jitdebug-executor, debugged with GDB as if it were a normal program. */
#include <stdio.h>

struct shape {
	const char *name;
	int w, h;
};

static int shapes_seen;   /* lives in .bss */
static int scale = 3;     /* lives in .data */

int area(const struct shape *s)
{
	int a = s->w * s->h * scale;
	shapes_seen++;
	return a;
}

int total_area(const struct shape *list, int n)
{
	int sum = 0;
	for (int i = 0; i < n; i++)
		sum += area(&list[i]);
	return sum;
}

int main(void)
{
	struct shape list[] = {{"square", 2, 2}, {"banner", 8, 1}, {"door", 1, 3}};
	int total = total_area(list, 3);
	printf("shapes: total area %d over %d shapes\n", total, shapes_seen);
	return 0;
}
