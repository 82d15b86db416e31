/* numbers.c — jd_constant (the named constants for callers without the headers), and the one strict
 * parser for numbers and HOST:PORT that users type (CLI arguments,
 * environment variables, executor arguments). Nothing wraps: a value outside its range is an error
 * that names the range. */
#include "jitdebug.h"
#include "jitdebug-types.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

int jd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || !*s)
		return -EINVAL;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -EINVAL;
	}
	uint64_t v = 0;
	int overflow = 0;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			overflow = 1; /* keep scanning: "99999999999999999999x" is not a number at all */
		else
			v = v * base + d;
	}
	if (overflow || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int jd_constant(const char *name, uint64_t *value)
{
	static const struct {
		const char *name;
		uint64_t value;
	} table[] = {
		{"max_object_size", JD_MAX_OBJECT_SIZE},
		{"registry.generation", offsetof(struct jd_registry, generation)},
		{"object.announced", JD_OBJECT_ANNOUNCED},
		{"object.borrowed", JD_OBJECT_BORROWED},
		{"object.watched", JD_OBJECT_WATCHED},
		{"gdb_mode.eager", JD_GDB_EAGER},
		{"gdb_mode.lazy", JD_GDB_LAZY},
		{"gdb_mode.off", JD_GDB_OFF},
		{"watch.symbol", JD_WATCH_SYMBOL},
		{"watch.file", JD_WATCH_FILE},
		{"watch.pattern", JD_WATCH_PATTERN},
		{"watch.slots", JD_WATCH_SLOTS},
		{"object.foreign", JD_OBJECT_FOREIGN},
		{"foreign_id_bit", JD_FOREIGN_ID_BIT},
	};
	for (size_t i = 0; name && i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(table[i].name, name) == 0) {
			*value = table[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

int jd_id_format(uint64_t id, char *out, size_t len)
{
	int n = id & JD_FOREIGN_ID_BIT ? snprintf(out, len, "f%" PRIx64, (uint64_t)(id & ~JD_FOREIGN_ID_BIT))
				       : snprintf(out, len, "%" PRIu64, id);
	return n < 0 || (size_t)n >= len ? -ERANGE : 0; /* the caller's buffer is too small */
}

int jd_id_parse(const char *s, uint64_t *id)
{
	uint64_t v;
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == 'f') {
		/* "f" then hex digits only (jd_parse_u64 wants its 0x) */
		char hex[32];
		size_t n = strlen(s + 1);
		if (n == 0 || n > 16 || strspn(s + 1, "0123456789abcdefABCDEF") != n)
			return -EINVAL;
		snprintf(hex, sizeof(hex), "0x%s", s + 1);
		if (jd_parse_u64(hex, 1, (uint64_t)~JD_FOREIGN_ID_BIT, &v) != 0)
			return -EINVAL;
		*id = v | JD_FOREIGN_ID_BIT;
		return 0;
	}
	if (strspn(s, "0123456789") != strlen(s) || jd_parse_u64(s, 1, JD_FOREIGN_ID_BIT - 1, &v) != 0)
		return -EINVAL;
	*id = v;
	return 0;
}

int jd_parse_hostport(const char *spec, char *host, size_t hostlen, uint16_t *port, char *err, size_t errlen)
{
	const char *colon = spec ? strrchr(spec, ':') : NULL;
	if (!colon) {
		snprintf(err, errlen, "'%s' is not HOST:PORT", spec ? spec : "");
		return -EINVAL;
	}
	const char *h = spec;
	size_t hl = (size_t)(colon - spec);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= hostlen) {
		snprintf(err, errlen, "host name in '%s' is too long", spec);
		return -EINVAL;
	}
	uint64_t p;
	int e = jd_parse_u64(colon + 1, 0, 65535, &p);
	if (e == -ERANGE) {
		snprintf(err, errlen, "port %s is out of range (0-65535)", colon + 1);
		return -EINVAL;
	}
	if (e) {
		snprintf(err, errlen, "port '%s' in '%s' is not a number", colon + 1, spec);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}
