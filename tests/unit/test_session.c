/* test_session.c — jitdebug/session.c, the plugins' one core, driven through its C interface with this
 * process as the target: the hooks (linked in) register real objects, and the session reads the
 * process's own registry, GDB JIT list and watch table through checked self-reads, as a debugger reads
 * a stopped process. The debugger's side (load an object, a breakpoint, print) records what it is
 * asked. The real debuggers run the same code in it.gdb_plugin and it.lldb_plugin; this test reaches
 * what they cannot under ASan + UBSan: every command's bad arguments, hostile lengths, a process that
 * changes under the session, the stop work without a debugger, and freed code named from the hooks'
 * graveyard. */
#include "abi.h"
#include "check.h"
#include "elfbuild.h"
#include "jitdebug-hooks.h"
#include "jitdebug.h"
#include "runtime.h" /* jd_read_self */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern struct jd_registry jitdebug_registry;
extern struct jd_watch_table jitdebug_watches;
extern struct jd_graveyard jitdebug_graveyard;

/* ---- the "debugger": this process, and a record of what the session asked ---------------------- */

static struct {
	uint64_t process;
	int kind;
	char out[1 << 16];
	size_t outlen;
	char loaded_path[4096];
	int loads, unloads, breakpoints, maps;
	uint64_t pcs[4];
	size_t npcs;
	char missing_source[256];
} D;

static void reset_output(void)
{
	D.outlen = 0;
	D.out[0] = '\0';
}

static void cb_target(void *ctx, struct jd_session_target *t)
{
	t->kind = D.kind;
	t->process = D.process;
	t->pid = (uint32_t)getpid();
	t->ptr_size = sizeof(void *);
	t->stopped = D.kind != JD_TARGET_NONE;
	t->can_load = 1;
}

static int cb_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return jd_read_self(addr, buf, len);
}

static int cb_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	/* Only the watch table is ever written, as a debugger writes a stopped process's. */
	uint64_t lo = (uint64_t)(uintptr_t)&jitdebug_watches;
	if (addr < lo || len > sizeof(jitdebug_watches) || addr - lo > sizeof(jitdebug_watches) - len)
		return -EFAULT;
	memcpy((void *)(uintptr_t)addr, buf, len);
	return 0;
}

static int cb_symbol(void *ctx, const char *name, uint64_t *addr)
{
	if (strcmp(name, "jitdebug_graveyard") == 0)
		*addr = (uint64_t)(uintptr_t)&jitdebug_graveyard;
	else if (strcmp(name, "jitdebug_registry") == 0)
		*addr = (uint64_t)(uintptr_t)&jitdebug_registry;
	else if (strcmp(name, "jitdebug_watches") == 0)
		*addr = (uint64_t)(uintptr_t)&jitdebug_watches;
	else
		return -ENOENT;
	return 0;
}

static int cb_evaluate(void *ctx, const char *expr, uint64_t *value, char *err, size_t errlen)
{
	snprintf(err, errlen, "no symbol \"%.40s\" in current context", expr);
	return -EINVAL;
}

static int cb_descriptors(void *ctx, jd_descriptor_fn fn, void *fnctx)
{
	struct jd_descriptor d = {(uint64_t)(uintptr_t)&__jit_debug_descriptor, "test_session", 1};
	fn(&d, fnctx);
	return 0;
}

static int cb_has(void *ctx, uint64_t symfile, uint64_t lo)
{
	return 0;
}

static int cb_load(void *ctx, uint64_t id, const char *path, const void *data, size_t size, char *err,
		   size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0 || (size_t)st.st_size != size) {
		snprintf(err, errlen, "%s is not the %zu bytes handed over", path, size);
		return -EINVAL;
	}
	snprintf(D.loaded_path, sizeof(D.loaded_path), "%s", path);
	D.loads++;
	return 0;
}

static void cb_unload(void *ctx, uint64_t id, const char *path)
{
	D.unloads++;
}

static size_t cb_frames(void *ctx, uint64_t *pcs, size_t max)
{
	size_t n = D.npcs < max ? D.npcs : max;
	memcpy(pcs, D.pcs, n * sizeof(*pcs));
	return n;
}

static int cb_breakpoint(void *ctx, const char *spec, int kind, const char *name, uint32_t line, char *err,
			 size_t errlen)
{
	D.breakpoints++;
	return 0;
}

static int cb_source_files(void *ctx, void (*fn)(const char *path, void *fnctx), void *fnctx)
{
	if (D.missing_source[0])
		fn(D.missing_source, fnctx);
	return 0;
}

static int cb_source_map(void *ctx, const char *from, const char *to, char *err, size_t errlen)
{
	D.maps++;
	return 0;
}

static void cb_print(void *ctx, const char *text)
{
	size_t n = strlen(text);
	if (n > sizeof(D.out) - 1 - D.outlen)
		n = sizeof(D.out) - 1 - D.outlen;
	memcpy(D.out + D.outlen, text, n);
	D.outlen += n;
	D.out[D.outlen] = '\0';
}

static const struct jd_debugger dbg = {
	.sz = sizeof(dbg), .name = "test", .target = cb_target, .read = cb_read, .write = cb_write,
	.symbol = cb_symbol, .evaluate = cb_evaluate, .descriptors = cb_descriptors, .has = cb_has,
	.load = cb_load, .unload = cb_unload, .frames = cb_frames, .breakpoint = cb_breakpoint,
	.source_files = cb_source_files, .source_map = cb_source_map, .print = cb_print,
};

/* Runs "jit WORDS..." (words split at spaces): the session's return value; its output in D.out, its
 * error in err. */
static int run(struct jd_session *s, char *err, size_t errlen, const char *line)
{
	char copy[8192];
	const char *argv[64];
	int argc = 0;
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *w = strtok(copy, " "); w && argc < 64; w = strtok(NULL, " "))
		argv[argc++] = w;
	reset_output();
	return jd_session_run(s, NULL, argc, argv, err, errlen);
}

static struct eb obj;
static uint64_t obj_id;
static const uint64_t TEXT = 0x7e0000001000;

static struct jd_session *new_session(void)
{
	struct jd_session *s = jd_session_new(&dbg);
	CHECK(s != NULL, "jd_session_new: %s", strerror(errno));
	return s;
}

/* ---- tests -------------------------------------------------------------------------------------- */

static void the_command_table(void)
{
	size_t n = 0;
	const struct jd_session_command *c = jd_session_commands(&n);
	CHECK(n >= 9, "%zu commands", n);
	for (size_t i = 0; i < n; i++) {
		char want[64];
		snprintf(want, sizeof(want), "jit %s", c[i].name);
		CHECK(strncmp(c[i].usage, want, strlen(want)) == 0, "usage of %s: %s", c[i].name, c[i].usage);
		CHECK(c[i].help && *c[i].help, "help of %s", c[i].name);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(c[i].name, c[j].name) != 0, "%s twice", c[i].name);
	}
	struct jd_debugger bad = dbg;
	bad.load = NULL;
	CHECK(jd_session_new(&bad) == NULL && errno == EINVAL, "a debugger without load is refused");
}

static void list_info_load_unload(void)
{
	struct jd_session *s = new_session();
	char err[600], id[24];
	jd_id_format(obj_id, id, sizeof(id));
	CHECK(run(s, err, sizeof(err), "list") == 0, "%s", err);
	CHECK(strstr(D.out, "ID ") == D.out, "the header first: %.200s", D.out);
	CHECK(strstr(D.out, " jitdebug ") && strstr(D.out, " jd_func\n"), "the object's row: %.400s", D.out);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "info %s", id);
	CHECK(run(s, err, sizeof(err), cmd) == 0, "%s", err);
	CHECK(strstr(D.out, "first symbol: jd_func\n") != NULL, "%.400s", D.out);
	CHECK(strstr(D.out, "section:      .text") != NULL, "the .text section: %.600s", D.out);
	CHECK(strstr(D.out, "build-id:     0102030405060708 (its own note)") != NULL, "%.600s", D.out);
	snprintf(cmd, sizeof(cmd), "load 0x%llx", (unsigned long long)TEXT + 2);
	CHECK(run(s, err, sizeof(err), cmd) == 0 && strstr(D.out, "jit: loaded 1 object\n"), "%s %s", err, D.out);
	CHECK(D.loads == 1, "%d loads", D.loads);
	struct stat st;
	CHECK(stat(D.loaded_path, &st) == 0, "the cache file %s", D.loaded_path);
	CHECK(run(s, err, sizeof(err), cmd) == 0 && strstr(D.out, "jit: loaded 0 objects\n"), "loaded once: %s", D.out);
	CHECK(run(s, err, sizeof(err), "list") == 0 && strstr(D.out, " loaded "), "%.400s", D.out);
	CHECK(run(s, err, sizeof(err), "status") == 0 && strstr(D.out, "objects: 1 known, 1 loaded by the plugin"),
	      "%.600s", D.out);
	snprintf(cmd, sizeof(cmd), "unload %s", id);
	CHECK(run(s, err, sizeof(err), cmd) == 0 && D.unloads == 1, "%s", err);
	CHECK(stat(D.loaded_path, &st) != 0, "the cache file is removed");
	jd_session_free(s);
}

static void bad_arguments_get_one_line_each(void)
{
	struct jd_session *s = new_session();
	char err[600];
	static const struct {
		const char *line, *says;
	} cases[] = {
		{"list extra", "usage: jit list"},
		{"info", "usage: jit info"},
		{"info all", "usage: jit info"},
		{"info 987654", "object 987654: no such object"},
		{"load", "usage: jit load"},
		{"load 0x10", "no JIT object covers 0x10"},
		{"load no_such_symbol", "not an object id or address: no_such_symbol (no symbol"},
		{"load -1", "not an object id or address"},
		{"unload", "usage: jit unload"},
		{"unload 5", "object 5 is not loaded by the plugin"},
		{"unload f", "usage: jit unload"},
		{"break", "usage: jit break"},
		{"break a:b:c", "bad location 'a:b:c'"},
		{"connect nowhere", "bad address 'nowhere'"},
		{"connect a b", "usage: jit connect"},
		{"connect --frob", "usage: jit connect"},
		{"source-map --auto", "usage: jit source-map --auto"},
		{"source-map --auto /no/such/dir", "/no/such/dir: not a directory"},
		{"source-map a", "usage: jit source-map"},
		{"status now", "usage: jit status"},
		{"load-core --frob", "usage: jit load-core"},
		{"frob", "no jit command \"frob\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run(s, err, sizeof(err), cases[i].line);
		CHECK(rc < 0, "'%s' succeeded", cases[i].line);
		CHECK(strstr(err, cases[i].says) != NULL, "'%s' says \"%s\"", cases[i].line, err);
		CHECK(!strchr(err, '\n'), "'%s': one line", cases[i].line);
	}
	/* Hostile lengths: a 6,000-byte argument to every command that takes one. */
	char big[6001];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *verbs[] = {"info", "load", "unload", "break", "connect", "source-map --auto", "load-core"};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char line[7000];
		snprintf(line, sizeof(line), "%s %s", verbs[i], big);
		CHECK(run(s, err, sizeof(err), line) < 0 && err[0], "'%s <6000 bytes>' refused", verbs[i]);
	}
	/* A short error buffer is filled, never overrun. */
	char tiny[8];
	CHECK(run(s, tiny, sizeof(tiny), "info 987654") < 0 && strlen(tiny) == sizeof(tiny) - 1, "tiny: %s", tiny);
	jd_session_free(s);
}

static void break_writes_the_watch_and_the_hooks_flag_the_match(void)
{
	struct jd_session *s = new_session();
	char err[600];
	CHECK(run(s, err, sizeof(err), "break jd_func") == 0, "%s", err);
	CHECK(D.breakpoints == 1, "the debugger's breakpoint");
	CHECK(jitdebug_watches.active == 1, "the watch is in the table (%u)", jitdebug_watches.active);
	CHECK(jd_session_watches_pending(s) == 0, "written");
	CHECK(run(s, err, sizeof(err), "status") == 0 && strstr(D.out, "watches: function jd_func\n"), "%.600s", D.out);
	/* The hooks read the table at the next registration and flag the match. */
	uint64_t id = 0;
	CHECK(jd_register_object(obj.buf, obj.size, NULL, &id) == 0, "registered");
	int before = D.loads;
	CHECK(jd_session_load_watched(s, NULL, err, sizeof(err)) == 0, "%s", err);
	CHECK(D.loads == before + 1, "the watched object is loaded: %d", D.loads - before);
	CHECK(jd_unregister_object(id) == 0, "unregistered");
	/* The stop unloads what is gone. */
	CHECK(jd_session_on_stop(s, NULL, err, sizeof(err)) == 0, "%s", err);
	CHECK(D.unloads >= 1, "the unregistered object left the debugger");
	jitdebug_watches.active = 0;
	jd_session_free(s);
}

static void a_stop_loads_the_frames_objects_and_a_new_process_unloads_them(void)
{
	struct jd_session *s = new_session();
	char err[600];
	D.pcs[0] = 0x1234; /* not JIT code */
	D.pcs[1] = TEXT + 4;
	D.npcs = 2;
	int loads = D.loads, unloads = D.unloads;
	CHECK(jd_session_on_stop(s, NULL, err, sizeof(err)) == 0, "%s", err);
	CHECK(D.loads == loads + 1, "the frame's object is loaded (%d)", D.loads - loads);
	CHECK(jd_session_on_stop(s, NULL, err, sizeof(err)) == 0 && D.loads == loads + 1, "once");
	D.process++;
	CHECK(run(s, err, sizeof(err), "status") == 0, "%s", err);
	CHECK(D.unloads == unloads + 1, "another process: its objects leave the debugger");
	D.npcs = 0;
	/* No process: a clear error, no read. */
	D.kind = JD_TARGET_NONE;
	CHECK(run(s, err, sizeof(err), "list") < 0 && strstr(err, "no process and no core file"), "%s", err);
	CHECK(run(s, err, sizeof(err), "load-core") < 0 && strstr(err, "no core file"), "%s", err);
	D.kind = JD_TARGET_LIVE;
	jd_session_free(s);
}

static void freed_code_is_named_from_the_graveyard(void)
{
	struct jd_session *s = new_session(), *fresh = new_session();
	char err[600], cmd[64], want[160];
	struct eb gone;
	uint64_t id = 0;
	eb_build(&gone, TEXT + 0x100000);
	CHECK(jd_register_object(gone.buf, gone.size, NULL, &id) == 0, "registered");
	CHECK(run(s, err, sizeof(err), "list") == 0, "%s", err); /* the session sees it live, with its name */
	CHECK(jd_unregister_object(id) == 0, "unregistered");
	snprintf(cmd, sizeof(cmd), "info 0x%llx", (unsigned long long)TEXT + 0x100000 + 3);
	CHECK(run(s, err, sizeof(err), cmd) < 0, "no live object there");
	snprintf(want, sizeof(want), "no JIT object covers 0x%llx: object %llu (jd_func, build-id 0102030405060708) held 0x",
		 (unsigned long long)TEXT + 0x100000 + 3, (unsigned long long)id);
	CHECK(strstr(err, want) == err && strstr(err, " until it was unregistered"), "%s", err);
	/* A session that never saw it alive has the build-id and the range (no parse is made for a name). */
	CHECK(run(fresh, err, sizeof(err), cmd) < 0 && strstr(err, "(build-id 0102030405060708) held 0x"), "%s", err);
	/* An address nothing ever held: the plain message. */
	CHECK(run(s, err, sizeof(err), "info 0x10") < 0 && strcmp(err, "no JIT object covers 0x10") == 0, "%s", err);
	/* The ring keeps the newest JD_GRAVEYARD_SLOTS: 70 more unregistrations elsewhere push it out. */
	for (int i = 0; i < 70; i++) {
		uint64_t other;
		struct eb e;
		eb_build(&e, TEXT + 0x200000);
		if (jd_register_object(e.buf, e.size, NULL, &other) == 0)
			jd_unregister_object(other);
	}
	CHECK(run(fresh, err, sizeof(err), cmd) < 0 && !strstr(err, "unregistered"), "pushed out: %s", err);
	jd_session_free(fresh);
	jd_session_free(s);
}

static void source_map_auto_finds_a_moved_file(void)
{
	struct jd_session *s = new_session();
	char err[600], dir[] = "/tmp/jd-session-XXXXXX";
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	char sub[4200], file[4300];
	snprintf(sub, sizeof(sub), "%s/src", dir);
	mkdir(sub, 0700);
	snprintf(file, sizeof(file), "%s/moved.c", sub);
	FILE *f = fopen(file, "w");
	if (f)
		fclose(f);
	snprintf(D.missing_source, sizeof(D.missing_source), "/build/gone/src/moved.c");
	char cmd[4300];
	snprintf(cmd, sizeof(cmd), "source-map --auto %s", dir);
	CHECK(run(s, err, sizeof(err), cmd) == 0, "%s", err);
	CHECK(D.maps == 1 && strstr(D.out, "jit: mapped /build/gone -> ") != NULL, "%d maps: %s", D.maps, D.out);
	D.missing_source[0] = '\0';
	unlink(file);
	rmdir(sub);
	rmdir(dir);
	jd_session_free(s);
}

int main(void)
{
	D.kind = JD_TARGET_LIVE;
	D.process = 1;
	eb_build(&obj, TEXT);
	CHECK(jd_register_object(obj.buf, obj.size, NULL, &obj_id) == 0, "the object registers");
	RUN(the_command_table);
	RUN(list_info_load_unload);
	RUN(bad_arguments_get_one_line_each);
	RUN(break_writes_the_watch_and_the_hooks_flag_the_match);
	RUN(a_stop_loads_the_frames_objects_and_a_new_process_unloads_them);
	RUN(freed_code_is_named_from_the_graveyard);
	RUN(source_map_auto_finds_a_moved_file);
	return check_report();
}
