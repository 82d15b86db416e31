/* routes.c — a "script" for scripthost: the web server compiles it to bitcode (clang -g -emit-llvm),
 * JIT-compiles it with MCJIT at start and at every GET /_reload, and calls route() for each request.
 * A script sees only the C library. */
#include <stdio.h>
#include <string.h>

static const char *greeting = "hello";   /* .data */
static int hits;                         /* .bss */

static int hello(const char *name, char *out, int cap)
{
	int len = snprintf(out, (size_t)cap, "%s, %s (%d)\n", greeting, name[0] ? name : "world", hits); /* MARK:hello */
	return len < cap ? 200 : 500;
}

static int sum(int n, char *out, int cap)
{
	long total = 0;
	for (int i = 1; i <= n; i++)
		total += i; /* MARK:sum-loop */
	snprintf(out, (size_t)cap, "%ld\n", total);
	return 200;
}

static int number(const char *s)
{
	int n = 0;
	while (*s >= '0' && *s <= '9' && n < 100000000)
		n = n * 10 + (*s++ - '0');
	return n;
}

int route(const char *path, char *out, int cap)
{
	hits++;
	if (strncmp(path, "/hello/", 7) == 0)
		return hello(path + 7, out, cap);
	if (strncmp(path, "/sum/", 5) == 0)
		return sum(number(path + 5), out, cap);
	snprintf(out, (size_t)cap, "no route for %s\n", path);
	return 404;
}
