/* check.h — the unit tests' tiny harness. Each RUN is one named test; the last line of output is
 * "N passed, N failed" (what CI reads). */
#ifndef JD_CHECK_H
#define JD_CHECK_H
#include <stdio.h>

static int check_failures, tests_passed, tests_failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			check_failures++;                                                          \
			fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

#define RUN(fn)                                                                                    \
	do {                                                                                       \
		int before_ = check_failures;                                                      \
		fn();                                                                              \
		int ok_ = check_failures == before_;                                               \
		(ok_ ? tests_passed++ : tests_failed++);                                           \
		printf("%s %s\n", ok_ ? "ok  " : "FAIL", #fn);                                     \
	} while (0)

static inline int check_report(void)
{
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed != 0;
}
#endif
