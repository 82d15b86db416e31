/* jitdebug.h — the public API of libjitdebug, the core library of jitdebug.
 *
 * A bounds-checked reader for the ELF64 little-endian debug objects that JITs produce (LLVM ORC,
 * MCJIT, hand-written writers; section headers whose sh_addr carry load addresses), DWARF line
 * tables, the debug-link client, walks of the registry and of GDB's JIT list in another process or a
 * core file, core-file reading, and the strict parser for numbers users type.
 *
 * Conventions (one for the whole library):
 *  - Options structs start with `size_t sz` (the caller's sizeof): fields past it read as their
 *    defaults (zero), so structs grow without new functions; non-zero bytes past the struct this
 *    library knows are refused with -EINVAL.
 *  - Functions returning int return 0 on success or a negative errno.
 *  - Functions returning a pointer return NULL and set errno on failure.
 *  - Input is untrusted: every offset and length is checked before it is used; a malformed object is
 *    rejected with a specific jd_elf_error code and the file offset of the offending value.
 *  - Thread safety: a struct jd_elf is immutable after jd_elf_open and may be read from several
 *    threads at once.
 */
#ifndef JITDEBUG_H
#define JITDEBUG_H

#include <stddef.h>
#include <stdint.h>
#include "jitdebug-types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JD_API __attribute__((visibility("default")))

/* The largest JIT object the hooks register, the link serves and the walkers accept; a larger size
 * read from a process, a core or the wire is taken as corruption. The one definition of this limit. */
#define JD_MAX_OBJECT_SIZE (1u << 30)

/* ---- Numbers and addresses from the command line and the environment -------------------------
 * One strict parser for every number a user types: decimal, or hexadecimal with 0x; no sign, no
 * space, no trailing characters. 0, -EINVAL (not a number; *out untouched) or -ERANGE (outside
 * [min, max], including values that do not fit 64 bits). */
JD_API int jd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* The value of a named constant of the formats and limits, for callers that cannot include the
 * headers (the GDB plugin, through ctypes), so that no number is copied: "max_object_size",
 * "registry.generation" (offset of the field in struct jd_registry), "object.announced",
 * "object.borrowed", "object.watched", "gdb_mode.eager", "gdb_mode.lazy", "gdb_mode.off",
 * "watch.symbol", "watch.file", "watch.pattern" (bytes with the NUL), "watch.slots". 0, or -ENOENT. */
JD_API int jd_constant(const char *name, uint64_t *value);

/* Object ids as users see and type them: registry ids in decimal, foreign ids (JD_FOREIGN_ID_BIT)
 * as "f" and the hex address of the object's bytes ("f7f3a2c001000"). Format: 0 or -ERANGE (24 bytes
 * always suffice). Parse: 0, or -EINVAL (not an id; 0 is none). */
JD_API int jd_id_format(uint64_t id, char *out, size_t len);
JD_API int jd_id_parse(const char *s, uint64_t *id);

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" (host "") with jd_parse_u64 for the port (0..65535).
 * 0, or -EINVAL with a message in err ("port 70000 is out of range (0-65535)"). */
JD_API int jd_parse_hostport(const char *spec, char *host, size_t hostlen, uint16_t *port, char *err, size_t errlen);

/* Why an object was rejected: the kinds, whose jd_elf_strerror() names begin jd_elf_open's messages. */
enum jd_elf_error {
	JD_ELF_OK = 0,
	JD_ELF_E_TRUNCATED_HEADER,   /* fewer bytes than an ELF64 header */
	JD_ELF_E_BAD_MAGIC,          /* not \x7fELF */
	JD_ELF_E_BAD_CLASS,          /* not ELFCLASS64 */
	JD_ELF_E_BAD_DATA,           /* not little-endian */
	JD_ELF_E_BAD_VERSION,        /* e_ident[EI_VERSION] or e_version is not EV_CURRENT */
	JD_ELF_E_BAD_EHSIZE,         /* e_ehsize is not 64 */
	JD_ELF_E_BAD_SHENTSIZE,      /* e_shentsize is not 64 */
	JD_ELF_E_NO_SECTIONS,        /* no section header table */
	JD_ELF_E_TOO_MANY_SECTIONS,  /* more section headers than the reader accepts */
	JD_ELF_E_SHDRS_OUT_OF_BOUNDS,/* the section header table runs past the end */
	JD_ELF_E_BAD_SHSTRNDX,       /* e_shstrndx names no section, or not a string table */
	JD_ELF_E_SECTION_OUT_OF_BOUNDS, /* a section's file bytes run past the end */
	JD_ELF_E_OVERLAP,            /* two file ranges (header, header table, sections) overlap */
	JD_ELF_E_BAD_STRTAB,         /* a string table is empty or not NUL-terminated */
	JD_ELF_E_BAD_NAME,           /* a name offset is outside its string table */
	JD_ELF_E_BAD_SYMTAB,         /* wrong sh_entsize, size not a multiple of it, or bad sh_link */
	JD_ELF_E_BAD_SYMBOL_SECTION, /* a symbol's st_shndx names no section */
	JD_ELF_E_BAD_NOTE,           /* a note's sizes run past its section */
	JD_ELF_E_BAD_ALIGN,          /* sh_addralign is not 0 or a power of two */
	JD_ELF_E_NOMEM,              /* out of memory while indexing */
	JD_ELF_E__COUNT
};

struct jd_elf_section {
	uint32_t index;
	const char *name;   /* valid until jd_elf_close; points into the object */
	uint32_t type;      /* SHT_* */
	uint64_t flags;     /* SHF_* */
	uint64_t addr;      /* sh_addr: the load address for JIT debug objects (0 when not patched) */
	uint64_t size;
	uint64_t offset;    /* file offset (meaningless for SHT_NOBITS) */
	uint64_t align;
	uint32_t link, info;
	uint64_t entsize;
};

struct jd_elf_symbol {
	const char *name;   /* valid until jd_elf_close */
	uint64_t addr;      /* absolute: section load address + st_value in ET_REL, st_value otherwise and for
			     * SHN_ABS; 0 if undefined */
	uint64_t size;
	uint16_t shndx;     /* st_shndx as stored */
	uint8_t type;       /* STT_* */
	uint8_t bind;       /* STB_* */
	int defined;        /* 1 for symbols defined in a section of this object or absolute */
};

struct jd_elf;

/* Validate only what reading the ELF header and section headers needs: bounds of the header table
 * and of every section, names, alignment. Symbols, notes and overlap are not checked, and the object
 * then has no symbols; its build-id note is read when it is well-formed (a malformed note is not an
 * error here). For hot paths that only need sections (registration). */
#define JD_ELF_SECTIONS_ONLY 0x1u

struct jd_elf_open_opts {
	size_t sz;      /* sizeof(struct jd_elf_open_opts) */
	uint32_t flags; /* JD_ELF_* */
	/* Optional: set to the rejection's kind when jd_elf_open fails (JD_ELF_OK otherwise, and for bad
	 * opts or a NULL data), so a caller branches on a code, never on the message. */
	enum jd_elf_error *rejected;
};

/* Parses and validates an object. The bytes are borrowed, not copied: they must stay valid and
 * unchanged until jd_elf_close. opts may be NULL, err may be NULL. Returns NULL with errno EINVAL
 * (rejected, or bad opts) or ENOMEM, and err filled: a rejection reads "NAME: DETAIL (file offset
 * 0xOFF)", NAME being jd_elf_strerror() of the jd_elf_error code and OFF the offset of the bad value,
 * e.g. "section out of bounds: section 4: bytes 0x90+0x100000 run past the end (0x12e8) (file offset
 * 0x140)". 256 bytes hold every message. */
JD_API struct jd_elf *jd_elf_open(const void *data, size_t size, const struct jd_elf_open_opts *opts, char *err,
				  size_t errlen);
JD_API void jd_elf_close(struct jd_elf *elf);

JD_API uint16_t jd_elf_machine(const struct jd_elf *elf);
JD_API uint16_t jd_elf_type(const struct jd_elf *elf);

JD_API size_t jd_elf_section_count(const struct jd_elf *elf);
/* 0, or -ENOENT for an index past the end. */
JD_API int jd_elf_section(const struct jd_elf *elf, size_t index, struct jd_elf_section *out);
/* The first section with that name, or -ENOENT. */
JD_API int jd_elf_section_by_name(const struct jd_elf *elf, const char *name, struct jd_elf_section *out);

JD_API size_t jd_elf_symbol_count(const struct jd_elf *elf);
JD_API int jd_elf_symbol(const struct jd_elf *elf, size_t index, struct jd_elf_symbol *out);
/* The symbol that names an object in listings, the same everywhere (the link's LIST and events, the
 * CLI, both plugins): the first defined, named STT_FUNC symbol, else the first STT_OBJECT one (local
 * labels such as .L.str are STT_NOTYPE and never chosen). 0, or -ENOENT when there is none. */
JD_API int jd_elf_first_symbol(const struct jd_elf *elf, struct jd_elf_symbol *out);
/* The same for an object's bytes, copied into out (len bytes, truncated, always NUL-terminated; ""
 * when there is none): for callers without a parse, such as the GDB plugin through ctypes. 0,
 * -ENOENT, or -EINVAL/-ENOMEM when the object does not parse. */
JD_API int jd_object_first_symbol(const void *data, size_t size, char *out, size_t len);

struct jd_elf_rela {
	uint64_t offset;    /* r_offset: within the section the relocation applies to */
	uint32_t type;      /* ELF64_R_TYPE */
	uint32_t sym;       /* ELF64_R_SYM: index into the symbol table (checked) */
	int64_t addend;
};

/* Entry i of a SHT_RELA section. -EINVAL when the section is not a well-formed RELA table over this
 * object's symbol table, -ENOENT past the end. */
JD_API int jd_elf_rela(const struct jd_elf *elf, const struct jd_elf_section *relsec, size_t index,
		       struct jd_elf_rela *out);

/* The GNU build-id, or -ENOENT when the object has none. *id is valid until jd_elf_close. */
JD_API int jd_elf_build_id(const struct jd_elf *elf, const uint8_t **id, size_t *len);

/* The lowest and highest+1 load address of allocated sections with a non-zero sh_addr, or -ENOENT. */
JD_API int jd_elf_alloc_range(const struct jd_elf *elf, uint64_t *lo, uint64_t *hi);

/* Applies the relocations of the object's non-allocated sections (the .debug_* sections) to copy, the
 * writable bytes elf was opened on, against the section load addresses: S + A for R_X86_64_64, 32 and
 * 32S, and for R_AARCH64_ABS64 and ABS32 (x86-64 and AArch64 ET_REL objects; others are left as they
 * are). Returns how many it could not apply. */
JD_API size_t jd_elf_apply_debug_relocations(uint8_t *copy, const struct jd_elf *elf);

/* Rewrites a JIT debug object in place so that its addresses are its load addresses, for debuggers
 * that lay out a relocatable object's sections themselves and ignore sh_addr (LLDB): for an ET_REL
 * object, the debug relocations are applied, symbol values become absolute, and e_type becomes
 * ET_EXEC, so it loads at its own addresses. Other objects are left unchanged. *unapplied (may be
 * NULL) counts relocations that could not be applied. 0, -EINVAL (err says why, as for jd_elf_open;
 * data untouched) or -ENOMEM. */
JD_API int jd_elf_make_absolute(uint8_t *data, size_t size, size_t *unapplied, char *err, size_t errlen);

/* The GDB command that loads the JIT debug object (data, size), saved at `path`, at its load
 * addresses: "add-symbol-file PATH -s SECTION ADDR ..." for every allocated section with an address,
 * into out (len bytes). Cores and linked programs (program headers) are refused. 0; -EINVAL (not a
 * JIT debug object), -ENOENT (no section has an address) or -ERANGE (out too small), with err set. */
JD_API int jd_gdb_add_symbol_file(const void *data, size_t size, const char *path, char *out, size_t len,
				  char *err, size_t errlen);

/* A short English name for the error code ("section out of bounds"). Never NULL. */
JD_API const char *jd_elf_strerror(enum jd_elf_error code);

/* ---- The debug link client (docs/protocol.md) ------------------------------------------------
 * One connection to a JIT process's link server. Blocking calls, each bounded by the timeout. Not
 * thread-safe: one thread per struct jd_client. Errors: negative errno, and the message in the call's
 * err/errlen (may be NULL; the server's own words for in-band errors): -ECONNREFUSED, -ETIMEDOUT, -EACCES (bad token),
 * -EPROTONOSUPPORT (version), -ENOENT (no such object), -ERANGE, -EPROTO (malformed), -ECONNRESET. */

struct jd_client;

struct jd_client_opts {
	size_t sz;         /* sizeof(struct jd_client_opts) */
	const char *token; /* sent in HELLO; NULL or "" for none */
	int timeout_ms;    /* per call; 0 means 10,000 */
	uint32_t expect_pid; /* non-zero: refuse (-ESRCH) a server whose HELLO names another process */
};

struct jd_link_info {
	uint32_t pid;
	uint16_t version, gdb_mode, machine;
	uint64_t generation;
	char triple[64];
};

struct jd_link_object {
	uint64_t id, lo, hi, size;
	uint32_t flags; /* JD_OBJECT_* of jitdebug-types.h: 1 announced to GDB, 2 borrowed, 4 watched */
	char first_symbol[256];
	uint32_t build_id_size; /* 0: none (protocol version 1, another registrar's object) */
	uint8_t build_id[JD_BUILD_ID_MAX];
};

#define JD_LINK_EV_REGISTERED 1
#define JD_LINK_EV_UNREGISTERED 2
#define JD_LINK_EV_WATCH_MATCH 3
struct jd_link_event {
	int type; /* JD_LINK_EV_* */
	uint64_t id, lo, hi, size;
	uint32_t watch_id;
	char first_symbol[256];
};

/* hostport: "HOST:PORT" or "[V6]:PORT". NULL with errno set on failure; *err (may be NULL) gets a
 * message such as "connection refused by 127.0.0.1:4000" or "bad token". */
JD_API struct jd_client *jd_client_connect(const char *hostport, const struct jd_client_opts *opts, char *err,
					   size_t errlen);
JD_API void jd_client_close(struct jd_client *c);
JD_API const struct jd_link_info *jd_client_info(const struct jd_client *c);

/* Every live object with id > after_id, oldest first (pages as needed). fn returning non-zero stops. */
typedef int (*jd_link_object_fn)(const struct jd_link_object *o, void *ctx);
JD_API int jd_client_list(struct jd_client *c, uint64_t after_id, jd_link_object_fn fn, void *ctx, char *err,
			  size_t errlen);
/* The object's bytes, fetched in chunks; *data is malloc'ed (free it). */
JD_API int jd_client_fetch(struct jd_client *c, uint64_t id, uint8_t **data, size_t *size, char *err, size_t errlen);
/* The object whose allocated sections cover addr (-ENOENT if none). */
JD_API int jd_client_lookup_addr(struct jd_client *c, uint64_t addr, struct jd_link_object *out, char *err,
				 size_t errlen);
/* Objects defining a function or object symbol `name`: up to max ids in ids, *n how many. */
JD_API int jd_client_lookup_symbol(struct jd_client *c, const char *name, uint64_t *ids, size_t max, size_t *n,
				   char *err, size_t errlen);
JD_API int jd_client_subscribe(struct jd_client *c, int on, char *err, size_t errlen);
/* kind JD_WATCH_SYMBOL: a symbol name; JD_WATCH_FILE: a source file (basename or path suffix). */
JD_API int jd_client_watch(struct jd_client *c, int kind, const char *pattern, uint32_t *watch_id, char *err,
			   size_t errlen);
/* The next event (queued or from the wire), waiting up to timeout_ms (-1: forever). -ETIMEDOUT. */
JD_API int jd_client_next_event(struct jd_client *c, int timeout_ms, struct jd_link_event *ev, char *err,
				size_t errlen);

/* ---- JIT objects in another process's memory or in a core file (docs/registry.md) --------------
 * The walkers read through the caller's reader (a debugger's memory read, or jd_core_read), check
 * every read, cap every walk (count + 1 entries for the registry; max_entries, default 2^22) and
 * detect cycles; an implausible entry (size 0 or above 1 GiB, inverted or huge range) is skipped.
 * Each problem is passed to `skipped` as one line of English and the walk goes on where it can. */

/* Reads len bytes at addr into buf: 0, or a negative errno when any byte is unreadable. */
typedef int (*jd_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct jd_registry_object {
	uint64_t entry;   /* address of the list entry */
	uint64_t id;      /* the hooks' object id; in GDB's JIT list JD_FOREIGN_ID_BIT | symfile */
	uint64_t symfile; /* address and size of the object's bytes */
	uint64_t size;
	uint64_t lo, hi;  /* allocated-section range; in GDB's JIT list read from the object's section
			   * headers (0, 0 when they are unreadable or give no address) */
	uint32_t flags;   /* JD_OBJECT_* of jitdebug-types.h (JD_OBJECT_FOREIGN in GDB's JIT list) */
	/* Registry version 2 (0 in version 1 entries and in GDB's JIT list): the build-id, and where the
	 * nsections struct jd_registry_section (target memory) saying where each section was loaded are. */
	uint32_t build_id_size;
	uint8_t build_id[JD_BUILD_ID_MAX];
	uint32_t build_id_kind; /* JD_BUILD_ID_* */
	uint32_t nsections;
	uint64_t sections;
	uint32_t section_size;  /* bytes per struct jd_registry_section in the target (>= 16) */
};

struct jd_walk {
	size_t sz;       /* sizeof(struct jd_walk) */
	jd_read_fn read;
	void *ctx;       /* passed to every callback */
	int (*object)(const struct jd_registry_object *o, void *ctx); /* oldest first; non-zero stops */
	void (*skipped)(const char *what, void *ctx);                 /* may be NULL */
	uint64_t max_entries;                                         /* 0: 2^22 */
	unsigned u64_align; /* GDB's list: alignment of a u64 on the target (8; 4 on i386); 0: 8 */
};

struct jd_registry_header {
	uint64_t generation; /* odd: the core or process was written mid-edit; the walk is best effort */
	uint64_t count;
	uint32_t mode;       /* 0 eager, 1 lazy, 2 off */
};

/* Walks the registry whose header is at base. 0 (even if entries were skipped); -EFAULT (header
 * unreadable), -EINVAL (bad magic), -EPROTONOSUPPORT (other version) or -ENOMEM, with err set. */
JD_API int jd_walk_registry(uint64_t base, const struct jd_walk *w, struct jd_registry_header *hdr, char *err,
			    size_t errlen);
/* What was at addr before it was unregistered: the newest slot of the graveyard at base (the hooks'
 * `jitdebug_graveyard`, jitdebug-types.h) whose range holds addr, read through read (every read
 * checked, the header's sizes bounded, the name's end enforced). 0; -ENOENT (nothing there),
 * -EINVAL (not a version-1 graveyard), or the reader's error. */
JD_API int jd_graveyard_find(uint64_t base, jd_read_fn read, void *ctx, uint64_t addr, struct jd_graveyard_slot *out);

/* ---- Build-ids, publishing and fetching by build-id (docs/fleet.md) ---------------------------- */

/* The object's build-id: its own GNU build-id note (1 to 20 bytes), else the SHA-1 of its content with
 * load addresses and file layout taken out (docs/fleet.md says which bytes). Returns JD_BUILD_ID_NOTE
 * or JD_BUILD_ID_CONTENT, or -EINVAL for an object jd_elf_open rejects (err says why). */
JD_API int jd_object_build_id(const void *data, size_t size, uint8_t id[JD_BUILD_ID_MAX], uint32_t *len, char *err,
			      size_t errlen);
/* Lower-case hex (outlen >= 2 * len + 1), and back (-EINVAL unless 2 to 40 hex digits). */
JD_API int jd_build_id_format(const uint8_t *id, size_t len, char *out, size_t outlen);
JD_API int jd_build_id_parse(const char *hex, uint8_t id[JD_BUILD_ID_MAX], uint32_t *len);

/* Writes the object into the tree DIR as DIR/XX/REST.debug (its build-id in hex), an ELF file with
 * every sh_addr 0 that carries a .note.gnu.build-id note, unless that file is already there. Atomic
 * (a temporary file in DIR/XX, then link) and idempotent across processes and hosts sharing DIR.
 * *written (may be NULL): 1 written, 0 already there. The id (may be NULL) gets the build-id.
 * 0, or a negative errno with err set. */
JD_API int jd_object_publish(const char *dir, const void *data, size_t size, uint8_t id[JD_BUILD_ID_MAX],
			     uint32_t *id_len, int *written, char *err, size_t errlen);

/* The bytes of a registry object, ready to load at its addresses: read through w->read when the
 * process or core has them; otherwise, when the entry has a build-id, fetched with libdebuginfod from
 * DEBUGINFOD_URLS (its cache, DEBUGINFOD_PROGRESS), its build-id rechecked, and each section placed at
 * the address the registry recorded. *data is malloc'ed (free it with jd_free); *fetched (may be NULL)
 * is 1 when the bytes came by build-id. 0, or a negative errno with err naming the object, the
 * build-id and what is missing (no DEBUGINFOD_URLS, the server's address, a build-id mismatch). */
JD_API int jd_object_bytes(const struct jd_walk *w, const struct jd_registry_object *o, uint8_t **data,
			   size_t *size, int *fetched, char *err, size_t errlen);
JD_API void jd_free(void *p);

/* ---- `jit break` for debugger plugins (both plugins call these; docs/api.md) -------------------- */

/* A breakpoint location: "FUNCTION" (C++ "ns::f" included) or "FILE:LINE" (split at the last colon;
 * LINE decimal, 1 to 2^31-1). *kind: JD_WATCH_SYMBOL (name: the function) or JD_WATCH_FILE (name:
 * FILE, *line set). 0; -EINVAL ("bad location 'a:b:c': a function name or FILE:LINE"), -E2BIG (a
 * name of 248 bytes or more) or -ERANGE (namelen too small for it), with err set. */
JD_API int jd_parse_location(const char *spec, int *kind, char *name, size_t namelen, uint32_t *line, char *err,
			     size_t errlen);

/* Writes len bytes at addr: 0, or a negative errno. */
typedef int (*jd_write_fn)(void *ctx, uint64_t addr, const void *buf, size_t len);
struct jd_watch {
	int kind;            /* JD_WATCH_SYMBOL or JD_WATCH_FILE */
	const char *pattern; /* 1 to 247 bytes */
};
/* Writes watches into the `jitdebug_watches` table at `table` of a stopped process, through the
 * debugger's read and write: the header is checked (magic, version, sizes), each slot is written at
 * the offsets the header gives, and `active` last (the hooks read only the slots it counts). 0;
 * -EINVAL (not a table, or a bad watch), -E2BIG (more watches than slots), or the reader's or
 * writer's error, with err set. */
JD_API int jd_watch_table_write(uint64_t table, const struct jd_watch *w, size_t n, jd_read_fn read,
				jd_write_fn write, void *ctx, char *err, size_t errlen);

/* `jit source-map --auto`: for each source file that is missing (moved since the JIT compiled it),
 * the file under dirs with the same name and the longest common path suffix; found(from, to, file)
 * is called once per new prefix pair (e.g. "/build/src" -> "/home/me/src"), not_found(file) (may be
 * NULL) for files found nowhere. The index holds at most 200,000 files, 32 levels deep; symbolic links
 * are not followed. 0 or -ENOMEM. */
typedef void (*jd_source_map_fn)(const char *from, const char *to, const char *file, void *ctx);
JD_API int jd_source_map_auto(const char *const *missing, size_t nmissing, const char *const *dirs, size_t ndirs,
			      jd_source_map_fn found, void (*not_found)(const char *file, void *ctx), void *ctx);

/* Walks GDB's JIT list from __jit_debug_descriptor at descriptor, with the target's pointer size (4 or
 * 8) and byte order. *count (may be NULL): entries read. 0, -EFAULT or -EINVAL. */
JD_API int jd_walk_gdb_jit_list(uint64_t descriptor, unsigned ptr_size, int big_endian, const struct jd_walk *w,
				uint64_t *count);

/* ---- Every registrar: the GDB JIT descriptors of a process or a core ---------------------------
 * Besides the hooks, a process may hold other registrars, each with its own __jit_debug_descriptor:
 * libLLVM's GDB listener (MCJIT, RuntimeDyld, PostgreSQL's JIT), hand-written JITs. Their lists are
 * walked with jd_walk_gdb_jit_list. */

/* A file mapped into a process: [start, end) holds the file's bytes from offset on. */
struct jd_mapping {
	uint64_t start, end, offset;
	const char *path;
};
struct jd_descriptor {
	uint64_t addr;    /* __jit_debug_descriptor in the process */
	const char *path; /* the module defining it (valid during the callback) */
	int hooks;        /* the module also defines jitdebug_registry: the hooks' own list */
};
typedef int (*jd_descriptor_fn)(const struct jd_descriptor *d, void *ctx); /* non-zero stops */
/* Opens each mapped file once (absolute paths only), finds __jit_debug_descriptor in its .symtab or
 * .dynsym, and calls fn with its address in the process, placed through the mappings. Files that
 * cannot be opened or parsed are passed over. Returns how many descriptors were found, or -EINVAL or -ENOMEM. */
JD_API int jd_find_descriptors(const struct jd_mapping *maps, size_t n, jd_descriptor_fn fn, void *ctx);

/* An ELF64 little-endian core file, read through its PT_LOAD segments. NULL with errno set and err
 * filled on failure. jd_core_open maps the file; jd_core_open_memory borrows the bytes (valid until
 * jd_core_close). */
struct jd_core;
JD_API struct jd_core *jd_core_open(const char *path, char *err, size_t errlen);
JD_API struct jd_core *jd_core_open_memory(const void *data, size_t size, char *err, size_t errlen);
JD_API void jd_core_close(struct jd_core *c);
/* A jd_read_fn over the core's memory (core is a struct jd_core *): -EFAULT where it holds no bytes. */
JD_API int jd_core_read(void *core, uint64_t addr, void *buf, size_t len);
/* The hooks' registry in the core, found by its magic number (no executable needed): the candidate
 * with a readable list and the most entries. *candidates (may be NULL): how many headers were found.
 * 0 or -ENOENT. */
JD_API int jd_core_find_registry(const struct jd_core *c, uint64_t *addr, size_t *candidates);
/* The files the process had mapped, from the core's NT_FILE note (paths as the kernel wrote them).
 * *maps is malloc'ed as one block (free it); *n entries. 0, -ENOENT (no NT_FILE note), -EINVAL (a
 * malformed note) or -ENOMEM. */
JD_API int jd_core_mappings(const struct jd_core *c, struct jd_mapping **maps, size_t *n);

/* ---- The debugger session: what both plugins do, written once (docs/architecture.md) -----------
 * A struct jd_session is one debugger target's view of JIT code: the objects it loaded (and their
 * cache files), the `jit break` watches, the link it was told to use, the caches of the last registry
 * walk, of first symbols and build-ids. It owns every `jit` command (the table below: parsing,
 * orchestration, messages); a plugin registers the commands by that table and adapts the callbacks of
 * struct jd_debugger to its debugger (the shape of elfutils' Dwfl_Callbacks). A session follows its
 * target's process: when `process` of struct jd_session_target changes, what it loaded is unloaded and
 * its caches start afresh; the link, token and watches stay. Calls on one session are serialized by
 * its own recursive lock (a debugger's callbacks may come from another thread, and may re-enter). */

struct jd_session;

enum jd_target_kind { JD_TARGET_NONE = 0, JD_TARGET_LIVE = 1, JD_TARGET_CORE = 2 };

/* What the debugger has now, filled by the `target` callback (zeroed before the call). */
struct jd_session_target {
	int kind;          /* enum jd_target_kind */
	uint64_t process;  /* names the process (or core): a new value starts the process state afresh */
	uint32_t pid;      /* the live process's pid, 0 otherwise */
	unsigned ptr_size; /* the target's pointer size (4 or 8; 0: 8) */
	int big_endian;
	int stopped;       /* the process's memory is read now (all-stop and stopped, or a core); the link
			    * is used only when it is not */
	int can_load;      /* there is a target to load objects into */
};

/* The debugger, as the session reaches it. ctx is the adapter's, passed to every call of one session
 * entry point. Every callback must be set unless marked optional. */
struct jd_debugger {
	size_t sz;        /* sizeof(struct jd_debugger) */
	const char *name; /* "gdb", "lldb": the list state "<name>-jit", the cache directory's prefix */
	unsigned flags;   /* JD_DEBUGGER_* */
	void (*target)(void *ctx, struct jd_session_target *t);
	jd_read_fn read;
	jd_write_fn write;
	/* A symbol's load address in the process: 0, or -ENOENT. */
	int (*symbol)(void *ctx, const char *name, uint64_t *addr);
	/* An address expression of the debugger's language: 0, or a negative errno with err set. */
	int (*evaluate)(void *ctx, const char *expr, uint64_t *value, char *err, size_t errlen);
	/* Every module's __jit_debug_descriptor (hooks: the module defines jitdebug_registry; addr 0: the
	 * module is not loaded yet). */
	int (*descriptors)(void *ctx, jd_descriptor_fn fn, void *fnctx);
	/* 1 when the debugger's own JIT reader already has the object whose bytes are at symfile in the
	 * process and whose code starts at lo. */
	int (*has)(void *ctx, uint64_t symfile, uint64_t lo);
	/* Loads the object saved at path (its bytes: data, size) at its addresses: 0, or a negative errno
	 * with err set. */
	int (*load)(void *ctx, uint64_t id, const char *path, const void *data, size_t size, char *err, size_t errlen);
	void (*unload)(void *ctx, uint64_t id, const char *path);
	/* Up to max PCs of every thread's frames (innermost first per thread); how many. */
	size_t (*frames)(void *ctx, uint64_t *pcs, size_t max);
	/* The debugger's own pending breakpoint for `jit break` (kind JD_WATCH_*, name, line as parsed);
	 * it prints what the debugger says of it. 0, or a negative errno with err set. */
	int (*breakpoint)(void *ctx, const char *spec, int kind, const char *name, uint32_t line, char *err,
			  size_t errlen);
	/* Absolute source files of the JIT objects the debugger has, and a source-path substitution. */
	int (*source_files)(void *ctx, void (*fn)(const char *path, void *fnctx), void *fnctx);
	int (*source_map)(void *ctx, const char *from, const char *to, char *err, size_t errlen);
	void (*print)(void *ctx, const char *text);
	/* Optional: the watches are in the process now / still waiting for it (a plugin that plants
	 * breakpoints of its own for them). */
	void (*watches_written)(void *ctx);
	void (*watches_pending)(void *ctx);
};

/* The debugger lays a relocatable object out itself and ignores its section addresses (LLDB): objects
 * are made absolute (jd_elf_make_absolute) before they are saved and loaded. */
#define JD_DEBUGGER_ABSOLUTE 0x1u

/* One `jit` command: its name, its usage line and its help (the first line a summary). */
struct jd_session_command {
	const char *name, *usage, *help;
};

/* The commands, in the order `help jit` lists them; *n how many. */
JD_API const struct jd_session_command *jd_session_commands(size_t *n);
/* A session over the debugger (dbg is borrowed: it must outlive the session). NULL with errno EINVAL
 * or ENOMEM. */
JD_API struct jd_session *jd_session_new(const struct jd_debugger *dbg);
/* Unloads nothing (the debugger is going away); removes the session's cache files. */
JD_API void jd_session_free(struct jd_session *s);
/* A new target's session starts with what was set while there was none: the link, token, watches. */
JD_API int jd_session_inherit(struct jd_session *s, const struct jd_session *from);
/* Runs `jit argv[0] argv[1..]`. Output goes to print; 0, or a negative errno with err set (one line,
 * without the "jit: " a plugin may put before it). */
JD_API int jd_session_run(struct jd_session *s, void *ctx, int argc, const char *const *argv, char *err,
			  size_t errlen);
/* At a stop of a live process: write pending watches, unload objects unregistered since, load the
 * objects that cover the threads' frames. Quiet; 0, or a negative errno with err set. */
JD_API int jd_session_on_stop(struct jd_session *s, void *ctx, char *err, size_t errlen);
/* The hooks flagged watched objects (jitdebug_debugger_notify): load those the debugger lacks. */
JD_API int jd_session_load_watched(struct jd_session *s, void *ctx, char *err, size_t errlen);
/* Another registrar's __jit_debug_register_code ran: load its new objects, unload its gone ones. */
JD_API int jd_session_sync_registrars(struct jd_session *s, void *ctx, char *err, size_t errlen);
/* Writes the watches into a stopped live process: 1 written, 0 not now (no process, no hooks, no
 * watches), or a negative errno with err set. */
JD_API int jd_session_write_watches(struct jd_session *s, void *ctx, char *err, size_t errlen);
/* 1 when watches wait to be written into the process. */
JD_API int jd_session_watches_pending(struct jd_session *s);
/* The process is gone: its objects are unloaded and the process state starts afresh. */
JD_API void jd_session_process_gone(struct jd_session *s, void *ctx);
/* The directory the session's object files are saved in ("" before the first load). */
JD_API const char *jd_session_cache_dir(const struct jd_session *s);

#ifdef __cplusplus
}
#endif
#endif
