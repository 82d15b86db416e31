/* opts.h — the one way every options struct of jitdebug is read (libbpf's OPTS_VALID / OPTS_HAS /
 * OPTS_GET). The struct's first field is `sz`, the caller's sizeof. A field the caller's struct does not
 * reach reads as its default, so structs can grow without _v2 functions; bytes past the struct this
 * library knows must be zero, so a newer caller asking for something this library cannot do is
 * refused (-EINVAL), not ignored. Internal to jitdebug's libraries. */
#ifndef JD_OPTS_H
#define JD_OPTS_H

#include <stddef.h>

static inline int jd_opts_valid(const void *opts, size_t sz, size_t known, size_t min)
{
	if (sz < min)
		return 0;
	for (size_t i = known; i < sz; i++)
		if (((const unsigned char *)opts)[i])
			return 0;
	return 1;
}

/* NULL is valid (every field defaults); otherwise sz reaches at least `required` (the end of the last
 * field every caller must have) and unknown tail bytes are zero. */
#define JD_OPTS_VALID(o, required) (!(o) || jd_opts_valid((o), (o)->sz, sizeof(*(o)), (required)))
/* The end of field f in o's type: JD_OPTS_VALID's `required`. */
#define JD_OPTS_END(type, f) (offsetof(type, f) + sizeof(((type *)0)->f))
#define JD_OPTS_HAS(o, f) ((o) && (o)->sz >= offsetof(__typeof__(*(o)), f) + sizeof((o)->f))
#define JD_OPTS_GET(o, f, fallback) (JD_OPTS_HAS(o, f) ? (o)->f : (fallback))

#endif
