/* listing.h — the one table of JIT objects: `jitdebug list` and `jit list` in GDB and LLDB print these
 * rows (listing.c). Columns: id (jd_id_format), address range, bytes, build-id ("-" when none), state,
 * registrar (only where it is known: the debuggers read every registrar's list; the link does not name
 * them), first symbol. Internal to jitdebug's libraries and tools. */
#ifndef JD_LISTING_H
#define JD_LISTING_H

#include <stddef.h>
#include <stdint.h>

/* The header line, with its newline; registrar: whether the table has that column. */
void jd_list_header(char *out, size_t len, int registrar);
/* One row, with its newline. registrar NULL: no such column. */
void jd_list_row(char *out, size_t len, uint64_t id, uint64_t lo, uint64_t hi, uint64_t size, const char *build_id,
		 const char *state, const char *registrar, const char *first_symbol);

#endif
