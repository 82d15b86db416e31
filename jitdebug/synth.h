/* synth.h — writes the ELF64 debug object of a light JIT's functions (synth.c); internal to
 * jitdebug's libraries (the hooks' jd_register_functions and the tests).
 *
 * The input types are public (struct jd_function in jitdebug-types.h, shared with the hooks): the
 * writer is the hooks' back end, kept in the core library beside the ELF reader that re-reads what it
 * writes.
 * Layout and limits: docs/light-jit.md. */
#ifndef JD_SYNTH_H
#define JD_SYNTH_H

#include "jitdebug-types.h"

#include <stddef.h>
#include <stdint.h>

enum {
	JD_SYNTH_MAX_FUNCTIONS = 1 << 20, /* per object */
	JD_SYNTH_MAX_NAME = 4096,         /* bytes of a function or file name */
};

struct jd_synth_opts {
	const char *comp_dir; /* NULL: no DW_AT_comp_dir */
	const char *producer; /* NULL: "jitdebug" */
};

/* Validates fns[0..n) and writes the object. On success *out (malloc'd, the caller frees it) and
 * *size are set and 0 is returned. On bad input: -EINVAL (or -E2BIG past the limits) and a one-line
 * reason in err; -ENOMEM when out of memory. Nothing is written through fns. */
int jd_synth_object(const struct jd_function *fns, size_t n, const struct jd_synth_opts *opts, uint8_t **out,
		    size_t *size, char *err, size_t err_size);

#endif
