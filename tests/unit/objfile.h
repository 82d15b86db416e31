/* objfile.h — reads a whole object file for the tests and benchmarks. */
#ifndef JD_OBJFILE_H
#define JD_OBJFILE_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The file's bytes (malloc'ed; the caller frees them) and *size, or NULL after a message on stderr. */
static inline uint8_t *read_object(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long n = -1;
	if (f && fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf && (fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	if (!buf)
		fprintf(stderr, "cannot read %s\n", path);
	*size = buf ? (size_t)n : 0;
	return buf;
}
#endif
