/* listing.c — the one table of JIT objects (listing.h). */
#include "listing.h"
#include "jitdebug.h"

#include <inttypes.h>
#include <stdio.h>

void jd_list_header(char *out, size_t len, int registrar)
{
	snprintf(out, len, "%-14s %-33s %10s  %-40s %-9s %s%s%s\n", "ID", "ADDRESS RANGE", "BYTES", "BUILD-ID", "STATE",
		 registrar ? "REGISTRAR" : "", registrar ? "          " : "", "FIRST SYMBOL");
}

void jd_list_row(char *out, size_t len, uint64_t id, uint64_t lo, uint64_t hi, uint64_t size, const char *build_id,
		 const char *state, const char *registrar, const char *first_symbol)
{
	char ident[24];
	jd_id_format(id, ident, sizeof(ident));
	snprintf(out, len, "%-14s 0x%012" PRIx64 "-0x%012" PRIx64 " %10" PRIu64 "  %-40s %-9s %-*s%s%s\n", ident, lo, hi,
		 size, build_id, state, registrar ? 18 : 0, registrar ? registrar : "", registrar ? " " : "", first_symbol);
}
