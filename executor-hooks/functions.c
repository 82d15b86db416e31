/* functions.c — jd_register_function(s): light JITs register functions, not objects.
 *
 * The caller's array is read with the stride it declares (opts->function_sz), so a JIT built against
 * an older or newer header keeps working: fields it does not know are zero, and fields this library
 * does not know must be zero. The object written by jitdebug/synth.c is then registered like any
 * other, without a second copy: the writer's buffer is handed to the registry. */
#include "registry.h"

#include "jitdebug-hooks.h"
#include "runtime.h"
#include "../jitdebug/synth.h"

#include "../jitdebug/opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad_opts(const struct jd_functions_opts *o)
{
	return !JD_OPTS_VALID(o, sizeof(size_t)) || (JD_OPTS_GET(o, flags, 0) & ~JD_REGISTER_NO_ANNOUNCE) != 0;
}

int jd_register_functions(const struct jd_function *fns, size_t n, const struct jd_functions_opts *opts,
			  uint64_t *id, char *errbuf, size_t errlen)
{
	struct jd_functions_opts o = {0};
	char scratch[160];
	char *err = errbuf && errlen ? errbuf : scratch;
	size_t err_size = errbuf && errlen ? errlen : sizeof(scratch);
	err[0] = '\0';
	if (opts) {
		if (bad_opts(opts)) {
			snprintf(err, err_size, "bad jd_functions_opts (size, unknown fields or flags)");
			return -EINVAL;
		}
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	size_t stride = o.function_sz ? o.function_sz : sizeof(struct jd_function);
	if (stride < offsetof(struct jd_function, size) + sizeof(uint64_t)) {
		snprintf(err, err_size, "function_sz %zu is too small", stride);
		return -EINVAL;
	}

	/* The caller's layout, converted to this library's when it differs. */
	struct jd_function *copy = NULL;
	if (fns && n && stride != sizeof(struct jd_function) && n <= JD_SYNTH_MAX_FUNCTIONS) {
		if (!(copy = calloc(n, sizeof(*copy))))
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			const unsigned char *src = (const unsigned char *)fns + i * stride;
			memcpy(&copy[i], src, stride < sizeof(*copy) ? stride : sizeof(*copy));
			for (size_t b = sizeof(*copy); b < stride; b++)
				if (src[b]) {
					free(copy);
					snprintf(err, err_size, "function %zu: fields unknown to this library are set", i);
					return -EINVAL;
				}
		}
		fns = copy;
	}

	uint8_t *obj = NULL;
	size_t size = 0;
	struct jd_synth_opts so = {o.comp_dir, o.producer};
	int rc = jd_synth_object(fns, n, &so, &obj, &size, err, err_size);
	free(copy);
	if (rc != 0) {
		jd_count_rejected();
		jd_warn_once("rejected light-JIT functions: %s", err);
		return rc;
	}
	/* Handed over, not copied: the registry frees it at unregistration. */
	rc = jd_register_owned(obj, size, o.flags, id);
	if (rc != 0)
		free(obj);
	return rc;
}

int jd_register_function(const struct jd_function *fn, const struct jd_functions_opts *opts, uint64_t *id,
			 char *err, size_t errlen)
{
	return jd_register_functions(fn, 1, opts, id, err, errlen);
}
