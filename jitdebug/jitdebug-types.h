/* jitdebug-types.h — the types the core library (jitdebug/) and the hooks (executor-hooks/) share:
 * the GDB announcement modes and object flags, the layouts of the registry and of the watch table as
 * they sit in a JIT process's memory (written by the hooks, read by the walkers, the core reader and
 * the debugger plugins), and the description of a light JIT's function (registered by the hooks,
 * written as ELF by the core). Defined here once, below both, so the core never includes the hooks'
 * header. Installed; jitdebug-hooks.h includes it. */
#ifndef JITDEBUG_TYPES_H
#define JITDEBUG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum jd_gdb_mode {
	JD_GDB_EAGER = 0, /* every object goes into GDB's JIT list as it is registered (the default) */
	JD_GDB_LAZY = 1,  /* objects stay in the registry; jd_announce_object puts one in GDB's list */
	JD_GDB_OFF = 2,   /* nothing is ever announced through the GDB JIT interface */
};

/* Where warnings go (jd_hooks_set_log). level: 0 error, 1 warning, 2 info. */
typedef void (*jd_log_fn)(int level, const char *msg, void *ctx);

#define JD_OBJECT_ANNOUNCED 0x1u /* in GDB's JIT list */
#define JD_OBJECT_BORROWED  0x2u
#define JD_OBJECT_WATCHED   0x4u /* matched a watch (debug link or jitdebug_watches) */
#define JD_OBJECT_FOREIGN   0x8u /* from another registrar's GDB JIT list, not the hooks' registry */

/* Objects of another registrar (libLLVM's GDB listener, a hand-written __jit_debug_descriptor) have no
 * registry id; they are named by the address of their bytes with this bit set, the same in the
 * plugins, the CLI and the link, and written "f<hex address>" (jd_id_format). Registry ids stay below
 * it. */
#define JD_FOREIGN_ID_BIT (1ull << 63)

/* One line-table row: the instructions from `offset` (bytes from the function's start) up to the
 * next row's offset come from source line `line`. */
struct jd_function_line {
	uint32_t offset;
	uint32_t line;
};

enum jd_frame_kind {
	JD_FRAME_UNKNOWN = 0, /* no call-frame information: debuggers analyse the code themselves */
	JD_FRAME_RBP = 1,     /* x86-64 `push %rbp; mov %rsp,%rbp` prologue, %rbp kept to the end */
	JD_FRAME_LEAF = 2,    /* x86-64: nothing pushed, the return address stays at (%rsp) */
};

struct jd_function {
	const char *name;                     /* required, non-empty, at most 4,096 bytes */
	uint64_t addr;                        /* first byte of the machine code (non-zero) */
	uint64_t size;                        /* bytes of machine code (non-zero) */
	const char *file;                     /* source file of the line table (required with lines) */
	const struct jd_function_line *lines; /* strictly increasing offsets, each < size; lines >= 1 */
	size_t n_lines;
	uint32_t frame;                       /* enum jd_frame_kind */
	uint32_t frame_push_end;              /* JD_FRAME_RBP: offset just after `push %rbp` (0: 1) */
	uint32_t frame_setup_end;             /* JD_FRAME_RBP: offset just after `mov %rsp,%rbp` (0: 4) */
	uint32_t reserved;                    /* must be 0 */
};

/* ---- The registry, as other processes and core-file readers see it ------------------------------
 * Exported as `jitdebug_registry`. Every field is a fixed-width little-endian integer on the target
 * (addresses are u64 whatever the pointer size), so a reader needs no ABI knowledge. A consistent
 * read: read `generation`, walk, read `generation` again; equal and even means nothing changed
 * (writers make it odd while they edit). Cap every walk at `count` + 1 entries. docs/registry.md. */
#define JD_REGISTRY_MAGIC   0x3130474552444a4aull /* "JJDREG01" read as little-endian bytes */
#define JD_REGISTRY_VERSION 2u  /* 2 added the build-id and the sections' addresses; readers take 1 too */
#define JD_REGISTRY_ENTRY_V1 64u /* entry_size of version 1 entries (no build-id, no sections) */

/* Build-ids (docs/fleet.md): at most 20 bytes; where an object's id came from. */
#define JD_BUILD_ID_MAX     20u
#define JD_BUILD_ID_NONE    0u /* version 1 entries, foreign objects not hashed */
#define JD_BUILD_ID_CONTENT 1u /* SHA-1 of the object's content without its addresses (recheckable) */
#define JD_BUILD_ID_NOTE    2u /* the object's own GNU build-id note */

/* Where one section of the object was loaded: enough to place the object's bytes fetched by build-id
 * at the addresses this process used, without its bytes in memory. */
struct jd_registry_section {
	uint32_t index;        /* section header index in the object */
	uint32_t reserved;
	uint64_t addr;         /* its sh_addr in this process */
};

struct jd_registry_entry {
	uint64_t next;         /* address of the next entry, 0 at the end */
	uint64_t prev;         /* address of the previous entry, 0 at the start */
	uint64_t id;
	uint64_t symfile_addr; /* the registered object's bytes */
	uint64_t symfile_size;
	uint64_t lo, hi;       /* allocated-section address range */
	uint32_t flags;        /* JD_OBJECT_* */
	uint32_t entry_size;   /* sizeof(struct jd_registry_entry), for growth */
	/* version 2 */
	uint8_t build_id[JD_BUILD_ID_MAX];
	uint8_t build_id_size;  /* bytes of build_id in use */
	uint8_t build_id_kind;  /* JD_BUILD_ID_* */
	uint16_t section_size;  /* sizeof(struct jd_registry_section) */
	uint32_t nsections;     /* sections with a load address */
	uint32_t reserved;
	uint64_t sections;      /* address of nsections struct jd_registry_section */
};

struct jd_registry {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;  /* sizeof(struct jd_registry) */
	uint64_t generation;   /* odd while a writer edits the list */
	uint64_t count;        /* live entries */
	uint64_t first;        /* address of the oldest entry */
	uint64_t last;         /* address of the newest entry */
	uint64_t gdb_mode;     /* enum jd_gdb_mode in force */
};

/* ---- What was unregistered lately: the graveyard ------------------------------------------------
 * Exported as `jitdebug_graveyard`: a ring of the last JD_GRAVEYARD_SLOTS unregistered objects, so a
 * debugger or a core reader can say what a PC in freed JIT code belonged to (calling code the JIT has
 * freed is a classic JIT bug, and a stock debugger shows it as "??"). Written under the registry lock,
 * memory only; `generation` is odd while a slot is written. Slot `unregistered % nslots` is the next
 * one written; a slot's `seq` (1 for the first unregistration) is 0 while unused. Fixed-width
 * little-endian fields, like the registry's. docs/registry.md. */
#define JD_GRAVEYARD_MAGIC 0x31305652474a444aull /* "JDJGRV01" read as little-endian bytes */
#define JD_GRAVEYARD_SLOTS 64u
#define JD_GRAVEYARD_NAME 48u /* bytes of first_symbol, NUL included */

struct jd_graveyard_slot {
	uint64_t seq;          /* which unregistration (1-based); 0: unused */
	uint64_t id;
	uint64_t lo, hi;       /* the allocated-section range it had */
	uint64_t size;         /* bytes of the object */
	uint32_t build_id_size;
	uint8_t build_id[JD_BUILD_ID_MAX];
	char first_symbol[JD_GRAVEYARD_NAME]; /* "" when it was never computed (no parse is made for it) */
};

struct jd_graveyard {
	uint64_t magic;
	uint32_t version;      /* 1 */
	uint32_t header_size;  /* offset of slots */
	uint64_t generation;   /* odd while a slot is written */
	uint64_t unregistered; /* unregistrations so far */
	uint32_t nslots;       /* JD_GRAVEYARD_SLOTS */
	uint32_t slot_size;    /* sizeof(struct jd_graveyard_slot) */
	struct jd_graveyard_slot slots[JD_GRAVEYARD_SLOTS];
};

/* ---- Watches a debugger writes into the process while it is stopped ------------------------------
 * Exported as `jitdebug_watches`. In all-stop debuggers the debug link's thread is stopped with the
 * rest of the process, so a debugger plugin sets watches by writing this table in the target's memory
 * instead: a slot is a kind (JD_WATCH_SYMBOL, JD_WATCH_FILE) and a NUL-terminated pattern; `active` is
 * the number of slots in use and is written last. A registration that matches a slot is treated like
 * one that matches a debug-link watch: in lazy mode the object is put into GDB's JIT list, and in
 * lazy and eager mode jitdebug_debugger_notify is called before the registration returns. */
#define JD_WATCH_TABLE_MAGIC 0x3130544157444a4aull /* "JJDWAT01" */
#define JD_WATCH_SLOTS       16
#define JD_WATCH_PATTERN     248
enum { JD_WATCH_EMPTY = 0, JD_WATCH_SYMBOL = 1, JD_WATCH_FILE = 2 };

struct jd_watch_slot {
	uint64_t kind;                   /* JD_WATCH_* */
	char pattern[JD_WATCH_PATTERN];  /* a symbol name, or a source path or path suffix */
};

struct jd_watch_table {
	uint64_t magic;
	uint32_t version;     /* 1 */
	uint32_t header_size; /* offset of slots */
	uint32_t nslots;      /* JD_WATCH_SLOTS */
	uint32_t slot_size;   /* sizeof(struct jd_watch_slot) */
	uint32_t active;      /* slots in use (the first `active` slots); 0: no watches */
	uint32_t reserved;
	struct jd_watch_slot slots[JD_WATCH_SLOTS];
};

#ifdef __cplusplus
}
#endif
#endif
