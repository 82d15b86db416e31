// plugin.cpp — the LLDB plugin: `plugin load libjitdebug-lldb.so`, then `help jit` (docs/lldb-plugin.md).
//
// A thin layer over the LLDB SB API and libjitdebug's C API. Where objects come from: while the process
// is stopped (LLDB stops every thread, the debug link's thread included) the hooks' registry is read
// from the process's memory with jd_walk_registry — attached, through lldb-server, and in core files.
// The debug link (jd_client_*) is used when the process runs or there is none. Loading an object =
// jd_elf_make_absolute (LLDB lays out a relocatable object's sections itself and ignores their
// addresses; the rewritten object carries its load addresses), a cache file, SBTarget::AddModule,
// then every section's load address set to its address.
//
// `jit break` writes a watch into the process's `jitdebug_watches` table. The hooks then flag a
// matching object JD_OBJECT_WATCHED and call jitdebug_debugger_notify before its code can run; a
// breakpoint there (with a callback that never stops the process) loads the object and LLDB resolves
// the pending breakpoint. A stop hook (`jit on-stop`) unloads objects unregistered since, and loads
// the objects of JIT frames that have no symbols.
//
// Errors go through SBCommandReturnObject::SetError; nothing here may take LLDB down: every read is
// checked, walks are capped (in libjitdebug), and sizes from the target are capped.
#include <lldb/API/LLDB.h>

#include "jitdebug-types.h"
#include "jitdebug.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <array>
#include <map>
#include <memory>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr int kMaxFrames = 256;

struct Loaded {
  lldb::SBModule module;
  std::string path;
};

struct Objects {
  std::vector<jd_registry_object> list;
  std::vector<std::string> skipped;
  jd_registry_header header{};
};

// Another registrar's GDB JIT descriptor: libLLVM's GDB listener, a hand-written JIT.
struct Descriptor {
  uint64_t addr;
  std::string module; // the file name of the module that defines it
  bool hooks;         // the hooks' own (the module defines jitdebug_registry)
};

struct State {
  lldb::user_id_t process_uid = 0; // the process the rest belongs to
  std::map<uint64_t, Loaded> loaded;
  std::map<uint64_t, std::string> first_symbols; // object id -> its naming symbol (jit list)
  std::string link, token;
  std::vector<std::pair<int, std::string>> watches; // (JD_WATCH_*, pattern)
  bool watches_written = false;
  uint64_t registry = 0;            // jitdebug_registry's address in this process (0: not looked up)
  // The last walk, reused while the registry's generation stays the same and even (the hooks move it
  // on every change), so the stop hook's rounds and the callbacks do not re-read an unchanged registry.
  Objects cache;
  bool cache_valid = false;
  std::string mode;
  double seconds = 0;
  uint64_t loads = 0;
  std::map<uint64_t, std::string> registrars; // foreign object id -> its registrar's module
  bool registrar_breakpoint = false;          // set on every module's __jit_debug_register_code
};

// State per target: LLDB 16's SB API has no target id, but SBTargets compare equal for the same target.
// A target's state starts with what was set while there was none (the link, watches).
State NoTarget;
std::vector<std::pair<lldb::SBTarget, std::unique_ptr<State>>> States;
std::string CacheDir;     // one per LLDB session

// At exit: the session's cache directory in the system temp directory, and the object files the
// plugin wrote there (a flat directory of its own).
void remove_cache_dir() {
  if (CacheDir.empty())
    return;
  if (DIR *d = opendir(CacheDir.c_str())) {
    while (struct dirent *e = readdir(d))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
  }
  rmdir(CacheDir.c_str());
}
bool StopHookAdded = false; // one per LLDB session (on the dummy target, inherited by new targets)

State &state_of(lldb::SBTarget t) {
  if (!t.IsValid())
    return NoTarget;
  for (auto &kv : States)
    if (kv.first == t)
      return *kv.second;
  auto st = std::make_unique<State>();
  st->link = NoTarget.link;
  st->token = NoTarget.token;
  st->watches = NoTarget.watches;
  States.emplace_back(t, std::move(st));
  return *States.back().second;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

struct Error {
  std::string what;
};

// ---- the target ---------------------------------------------------------------------------------

enum class Kind { None, Live, Core };

Kind kind_of(lldb::SBProcess &p) {
  if (!p.IsValid() || !lldb::SBDebugger::StateIsStoppedState(p.GetState()) ||
      p.GetState() == lldb::eStateDetached || p.GetState() == lldb::eStateExited)
    return p.IsValid() && lldb::SBDebugger::StateIsRunningState(p.GetState()) ? Kind::Live : Kind::None;
  const char *plugin = p.GetPluginName();
  return plugin && strstr(plugin, "core") ? Kind::Core : Kind::Live;
}

// The state follows the process: another process (or none) starts afresh, but keeps the link, the
// watches and the cache directory. The previous process's modules leave the target.
void follow(State &S, lldb::SBTarget &target, lldb::SBProcess &p) {
  lldb::user_id_t uid = p.IsValid() ? p.GetUniqueID() : 0;
  if (uid == S.process_uid)
    return;
  S.process_uid = uid;
  for (auto &kv : S.loaded) {
    if (target.IsValid())
      target.RemoveModule(kv.second.module);
    unlink(kv.second.path.c_str());
  }
  S.loaded.clear();
  S.first_symbols.clear();
  S.watches_written = false;
  S.registry = 0;
  S.cache_valid = false;
  S.registrars.clear();
}

struct Target {
  lldb::SBDebugger debugger;
  lldb::SBTarget target;
  lldb::SBProcess process;
  Kind kind;
  State *st; // this target's plugin state

  explicit Target(lldb::SBDebugger d) : Target(d, d.GetSelectedTarget()) {}
  // In a breakpoint callback: the process that hit it.
  explicit Target(lldb::SBProcess p) : Target(p.GetTarget().GetDebugger(), p.GetTarget()) {}
  Target(lldb::SBDebugger d, lldb::SBTarget tg)
      : debugger(d), target(tg), process(tg.GetProcess()), kind(kind_of(process)), st(&state_of(tg)) {
    follow(*st, target, process);
  }
  bool stopped() { return kind != Kind::None && !lldb::SBDebugger::StateIsRunningState(process.GetState()); }
  // The link answers only while the process runs, or when there is no process.
  bool link_usable() { return !st->link.empty() && !stopped(); }
  // One link connection per command, opened on first use.
  jd_client *client();
  std::shared_ptr<jd_client> link;

  uint64_t symbol(const char *name) {
    lldb::SBSymbolContextList list = target.FindSymbols(name);
    for (uint32_t i = 0; i < list.GetSize(); i++) {
      lldb::SBSymbol sym = list.GetContextAtIndex(i).GetSymbol();
      lldb::addr_t a = sym.GetStartAddress().GetLoadAddress(target);
      if (a != LLDB_INVALID_ADDRESS)
        return a;
    }
    return 0;
  }
};

int read_process(void *ctx, uint64_t addr, void *buf, size_t len) {
  auto *t = static_cast<Target *>(ctx);
  lldb::SBError err;
  size_t got = t->process.ReadMemory(addr, buf, len, err);
  return err.Success() && got == len ? 0 : -EFAULT;
}

std::string cache_dir() {
  if (!CacheDir.empty())
    return CacheDir;
  const char *base = getenv("JITDEBUG_CACHE");
  std::string tmpl;
  if (base && *base) {
    mkdir(base, 0700);
    tmpl = std::string(base) + "/lldb-XXXXXX";
  } else {
    const char *tmp = getenv("TMPDIR");
    tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/jitdebug-lldb-XXXXXX";
  }
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    throw Error{format("cannot create a cache directory %s: %s", tmpl.c_str(), strerror(errno))};
  CacheDir = buf.data();
  if (!(base && *base))
    std::atexit(remove_cache_dir); // the system temp directory's copy lives as long as this LLDB
  return CacheDir;
}

// ---- objects ------------------------------------------------------------------------------------

// One context for both walks: the process to read, the objects and problems they find.
struct WalkCtx {
  Target *t;
  Objects *out;
};

int walk_read(void *ctx, uint64_t addr, void *buf, size_t len) {
  return read_process(static_cast<WalkCtx *>(ctx)->t, addr, buf, len);
}
int collect(const jd_registry_object *o, void *ctx) {
  static_cast<WalkCtx *>(ctx)->out->list.push_back(*o);
  return 0;
}
void note_skipped(const char *what, void *ctx) { static_cast<WalkCtx *>(ctx)->out->skipped.push_back(what); }

const char *mode_name(uint32_t m) { return m == 0 ? "eager" : m == 1 ? "lazy" : m == 2 ? "off" : "unknown"; }

// The registry read from the stopped process's (or core's) memory.
const Objects &walk_registry(Target &t) {
  State &S = *t.st;
  if (t.kind == Kind::None)
    throw Error{"no process and no core file: nothing to read JIT objects from"};
  if (!S.registry)
    S.registry = t.symbol("jitdebug_registry");
  if (!S.registry)
    throw Error{"no jitdebug_registry in this process: is it running with the jitdebug hooks "
                "(jitdebug-executor, LD_PRELOAD=libjitdebug-hooks.so, or linked in)?"};
  uint8_t gen[8];
  if (S.cache_valid && read_process(&t, S.registry + offsetof(struct jd_registry, generation), gen, 8) == 0) {
    uint64_t g;
    memcpy(&g, gen, 8); // the registry is little-endian, like every target the hooks run on
    if (g == S.cache.header.generation && g % 2 == 0)
      return S.cache;
  }
  Objects objs;
  WalkCtx ctx{&t, &objs};
  jd_walk w{sizeof(w), walk_read, &ctx, collect, note_skipped, 0, 0};
  char err[256];
  S.cache_valid = false;
  if (jd_walk_registry(S.registry, &w, &objs.header, err, sizeof(err)) != 0)
    throw Error{err};
  S.mode = mode_name(objs.header.mode);
  S.cache = std::move(objs);
  S.cache_valid = true;
  return S.cache;
}

// Modules of JIT code: the plugin's cache files and LLDB's own JIT loader's. They define no registrar.
bool jit_module(lldb::SBModule m) {
  const char *name = m.GetFileSpec().GetFilename();
  const char *dir = m.GetFileSpec().GetDirectory();
  return (dir && !CacheDir.empty() && CacheDir == dir) || (name && strncmp(name, "JIT(", 4) == 0);
}

// Every module's GDB JIT descriptor, per module (LLDB's own JIT loader follows one per process).
// `hooks`: the module also defines jitdebug_registry, so its list holds registry objects. addr is 0
// while the module is not loaded.
std::vector<Descriptor> registrar_modules(Target &t) {
  std::vector<Descriptor> out;
  for (uint32_t i = 0; t.target.IsValid() && i < t.target.GetNumModules(); i++) {
    lldb::SBModule m = t.target.GetModuleAtIndex(i);
    lldb::SBSymbol d;
    if (jit_module(m) || !(d = m.FindSymbol("__jit_debug_descriptor")).IsValid())
      continue;
    lldb::addr_t a = d.GetStartAddress().GetLoadAddress(t.target);
    const char *name = m.GetFileSpec().GetFilename();
    out.push_back(Descriptor{a == LLDB_INVALID_ADDRESS ? 0 : a, name ? name : "?",
                             m.FindSymbol("jitdebug_registry").IsValid()});
  }
  return out;
}

// The other registrars' loaded descriptors.
std::vector<Descriptor> descriptors(Target &t) {
  std::vector<Descriptor> out;
  for (const auto &d : registrar_modules(t))
    if (!d.hooks && d.addr)
      out.push_back(d);
  return out;
}

// Walks the GDB JIT list at addr into out (its objects, if collecting, and what it skipped).
void walk_list(Target &t, uint64_t addr, Objects &out, bool collecting) {
  WalkCtx ctx{&t, &out};
  jd_walk w{sizeof(w), walk_read, &ctx, collecting ? collect : nullptr, note_skipped, 0, 0};
  jd_walk_gdb_jit_list(addr, t.target.GetAddressByteSize(), t.target.GetByteOrder() == lldb::eByteOrderBig, &w,
                       nullptr);
}

// The objects of the other registrars' lists (read from memory: the process is stopped or a core).
Objects walk_foreign(Target &t, const std::vector<Descriptor> &ds) {
  Objects objs;
  for (const auto &d : ds) {
    size_t before = objs.list.size();
    walk_list(t, d.addr, objs, true);
    for (size_t i = before; i < objs.list.size(); i++)
      t.st->registrars[objs.list[i].id] = d.module;
  }
  return objs;
}

bool has_registry(Target &t) {
  if (!t.st->registry)
    t.st->registry = t.symbol("jitdebug_registry");
  return t.st->registry != 0;
}

// The registry's objects (when the hooks are there) and every other registrar's, from memory.
Objects walk_all(Target &t) {
  if (t.kind == Kind::None)
    throw Error{"no process and no core file: nothing to read JIT objects from"};
  Objects all;
  if (has_registry(t))
    all = walk_registry(t);
  std::vector<Descriptor> ds = descriptors(t);
  Objects others = walk_foreign(t, ds);
  if (!has_registry(t) && ds.empty())
    throw Error{"no jitdebug_registry and no GDB JIT descriptor in this process: is a JIT running?"};
  all.list.insert(all.list.end(), others.list.begin(), others.list.end());
  all.skipped.insert(all.skipped.end(), others.skipped.begin(), others.skipped.end());
  return all;
}

std::string id_text(uint64_t id) {
  char buf[24];
  jd_id_format(id, buf, sizeof(buf));
  return buf;
}

jd_client *Target::client() {
  State &S = *st;
  if (link)
    return link.get();
  char err[256] = "";
  // A live process's link must be served by that process (a forked child may hold its parent's address).
  uint32_t pid = kind == Kind::Live && process.IsValid() ? (uint32_t)process.GetProcessID() : 0;
  jd_client_opts opts{sizeof(opts), S.token.empty() ? nullptr : S.token.c_str(), 15000, pid};
  jd_client *c = jd_client_connect(S.link.c_str(), &opts, err, sizeof(err));
  if (!c)
    throw Error{format("cannot connect to %s: %s", S.link.c_str(), err)};
  link.reset(c, jd_client_close);
  return c;
}

int link_collect(const jd_link_object *o, void *ctx) {
  jd_registry_object r{};
  r.id = o->id;
  r.size = o->size;
  r.lo = o->lo;
  r.hi = o->hi;
  r.flags = o->flags;
  r.build_id_size = o->build_id_size; // protocol 2 (its kind is not on the wire: nothing is fetched by it here)
  memcpy(r.build_id, o->build_id, sizeof(r.build_id));
  static_cast<Objects *>(ctx)->list.push_back(r);
  return 0;
}

// The registry: from memory while stopped, else as the debug link lists it.
Objects objects(Target &t) {
  State &S = *t.st;
  if (!t.link_usable())
    return walk_all(t);
  Objects objs;
  char why[256];
  if (jd_client_list(t.client(), 0, link_collect, &objs, why, sizeof(why)) != 0)
    throw Error{format("list over the link: %s", why)};
  S.mode = "unknown (objects listed over the link)";
  return objs;
}

const jd_registry_object *covering(uint64_t pc, const Objects &objs) {
  for (const auto &o : objs.list)
    if (o.lo <= pc && pc < o.hi)
      return &o;
  return nullptr;
}

// Whether some module already covers the object's code (LLDB's own JIT loader, or us).
bool lldb_has(Target &t, const jd_registry_object &o) {
  State &S = *t.st;
  if (S.loaded.count(o.id))
    return true;
  lldb::SBAddress a = t.target.ResolveLoadAddress(o.lo);
  return a.GetSection().IsValid() && a.GetModule().IsValid();
}

std::string build_id_text(const jd_registry_object &o) {
  char hex[2 * JD_BUILD_ID_MAX + 1] = "-";
  if (o.build_id_size)
    jd_build_id_format(o.build_id, o.build_id_size, hex, sizeof(hex));
  return hex;
}

// The object's bytes as registered, for jit list: over the link, or from memory; empty when neither
// has them (nothing is fetched by build-id just to list).
std::vector<uint8_t> registered_bytes(Target &t, const jd_registry_object &o) {
  std::vector<uint8_t> out;
  if (t.link_usable() && !(o.flags & JD_OBJECT_FOREIGN)) {
    uint8_t *data = nullptr;
    size_t size = 0;
    if (jd_client_fetch(t.client(), o.id, &data, &size, nullptr, 0) == 0)
      out.assign(data, data + size);
    free(data);
    return out;
  }
  out.resize(o.size);
  if (out.empty() || read_process(&t, o.symfile, out.data(), out.size()) != 0)
    out.clear();
  return out;
}

// The object's bytes (malloc'ed: over the link, from memory, or fetched by build-id), made absolute in
// place.
std::unique_ptr<uint8_t, decltype(&free)> object_bytes(Target &t, const jd_registry_object &o, size_t &size) {
  std::unique_ptr<uint8_t, decltype(&free)> bytes(nullptr, free);
  uint8_t *data = nullptr;
  if (t.link_usable() && !(o.flags & JD_OBJECT_FOREIGN)) {
    char why[256];
    if (jd_client_fetch(t.client(), o.id, &data, &size, why, sizeof(why)) != 0)
      throw Error{format("fetch over the link: %s", why)};
    bytes.reset(data);
  } else {
    // From memory, or, when the process or core lacks the bytes, by build-id from DEBUGINFOD_URLS
    // (libjitdebug's jd_object_bytes, as `jitdebug core` and the GDB plugin do).
    jd_walk w{};
    w.sz = sizeof(w);
    w.read = read_process;
    w.ctx = &t;
    char why[600];
    int fetched = 0;
    if (jd_object_bytes(&w, &o, &data, &size, &fetched, why, sizeof(why)) != 0)
      throw Error{why};
    bytes.reset(data);
    if (fetched)
      fprintf(stderr, "jit: object %s fetched by build-id %s\n", id_text(o.id).c_str(), build_id_text(o).c_str());
  }
  char why[256];
  if (jd_elf_make_absolute(bytes.get(), size, nullptr, why, sizeof(why)) != 0)
    throw Error{format("not a JIT debug object: %s", why)};
  return bytes;
}

void load_one(Target &t, const jd_registry_object &o) {
  State &S = *t.st;
  size_t size = 0;
  auto bytes = object_bytes(t, o, size);
  std::string path = format("%s/%" PRIu64 "-%s.o", cache_dir().c_str(),
                            t.process.IsValid() ? (uint64_t)t.process.GetProcessID() : 0, id_text(o.id).c_str());
  unlink(path.c_str()); // never write through an existing file
  FILE *f = fopen(path.c_str(), "wbx");
  bool ok = f && fwrite(bytes.get(), 1, size, f) == size;
  if (f && fclose(f) != 0)
    ok = false;
  if (!ok)
    throw Error{format("cannot write %s: %s", path.c_str(), strerror(errno))};
  lldb::SBModule m = t.target.AddModule(path.c_str(), nullptr, nullptr);
  if (!m.IsValid())
    throw Error{format("LLDB did not accept %s", path.c_str())};
  size_t placed = 0;
  for (size_t i = 0; i < m.GetNumSections(); i++) {
    lldb::SBSection s = m.GetSectionAtIndex(i);
    lldb::addr_t a = s.GetFileAddress();
    if (a == LLDB_INVALID_ADDRESS || a == 0)
      continue;
    if (t.target.SetSectionLoadAddress(s, a).Success())
      placed++;
  }
  if (!placed) {
    t.target.RemoveModule(m);
    throw Error{"no section has a load address"};
  }
  S.loaded[o.id] = Loaded{m, path};
}

// Loads the objects (skipping those LLDB already has); failures are reported and skipped.
size_t load(Target &t, const std::vector<jd_registry_object> &todo, lldb::SBCommandReturnObject *out,
            bool progress) {
  State &S = *t.st;
  double t0 = now();
  size_t done = 0, i = 0;
  for (const auto &o : todo) {
    i++;
    if (lldb_has(t, o))
      continue;
    try {
      load_one(t, o);
      done++;
    } catch (const Error &e) {
      if (out)
        out->Printf("jit: object %s skipped: %s\n", id_text(o.id).c_str(), e.what.c_str());
    }
    if (out && progress && todo.size() >= 1000 && i % 1000 == 0)
      out->Printf("jit: %zu/%zu objects\n", i, todo.size());
  }
  S.loads += done;
  S.seconds += now() - t0;
  return done;
}

void unload(Target &t, const std::vector<uint64_t> &ids) {
  State &S = *t.st;
  for (uint64_t id : ids) {
    auto it = S.loaded.find(id);
    if (it == S.loaded.end())
      continue;
    t.target.RemoveModule(it->second.module);
    unlink(it->second.path.c_str());
    S.loaded.erase(it);
  }
}

// Loads the objects covering the PCs of every thread's frames until none is missing: a loaded object
// can reveal further JIT frames to the unwinder. Objects that fail are reported on out (when given).
size_t load_frames(Target &t, lldb::SBCommandReturnObject *out = nullptr) {
  size_t total = 0;
  for (int round = 0; round < 16; round++) {
    const Objects objs = walk_all(t);
    std::vector<jd_registry_object> want;
    std::set<uint64_t> seen;
    for (uint32_t ti = 0; ti < t.process.GetNumThreads(); ti++) {
      lldb::SBThread th = t.process.GetThreadAtIndex(ti);
      uint32_t n = th.GetNumFrames();
      for (uint32_t fi = 0; fi < n && fi < (uint32_t)kMaxFrames; fi++) {
        const jd_registry_object *o = covering(th.GetFrameAtIndex(fi).GetPC(), objs);
        if (o && !lldb_has(t, *o) && seen.insert(o->id).second)
          want.push_back(*o);
      }
    }
    size_t got = want.empty() ? 0 : load(t, want, out, false);
    if (!got)
      break;
    total += got;
  }
  return total;
}

void sync_unregistered(Target &t) {
  State &S = *t.st;
  if (S.loaded.empty())
    return;
  const Objects objs = walk_all(t);
  std::set<uint64_t> live;
  for (const auto &o : objs.list)
    live.insert(o.id);
  std::vector<uint64_t> gone;
  for (const auto &kv : S.loaded)
    if (!live.count(kv.first))
      gone.push_back(kv.first);
  unload(t, gone);
}

// ---- watches ------------------------------------------------------------------------------------

bool notify_hit(void *baton, lldb::SBProcess &process, lldb::SBThread &, lldb::SBBreakpointLocation &);
bool registrar_hit(void *, lldb::SBProcess &process, lldb::SBThread &, lldb::SBBreakpointLocation &loc);

// The breakpoints `jit break` needs (the watches' jitdebug_notify, or jitdebug_watches before the hooks
// are there) also carry every module's __jit_debug_register_code: a registrar dlopen'ed later with no
// stop in between (PostgreSQL's llvmjit.so in a backend) gets its location as LLDB loads the module,
// before its first registration, without a breakpoint of its own (the user's numbers stay as they were).
const char *const RegistrarFunction = "__jit_debug_register_code";
bool at_registrar(lldb::SBBreakpointLocation &loc) {
  const char *name = loc.GetAddress().GetSymbol().GetName();
  return name && strcmp(name, RegistrarFunction) == 0;
}

// The plugin's own breakpoints, found by name (they outlive processes), or created with the callback,
// which never stops the process.
lldb::SBBreakpoint internal_breakpoint(lldb::SBTarget target, const char *name, std::vector<const char *> symbols,
                                       lldb::SBBreakpointHitCallback callback) {
  lldb::SBBreakpointList list(target);
  if (target.FindBreakpointsByName(name, list) && list.GetSize() > 0)
    return list.GetBreakpointAtIndex(0);
  lldb::SBBreakpoint bp = target.BreakpointCreateByNames(symbols.data(), (uint32_t)symbols.size(),
                                                         lldb::eFunctionNameTypeFull, lldb::SBFileSpecList(),
                                                         lldb::SBFileSpecList());
  bp.AddName(name); // [A-Za-z0-9_] only: LLDB refuses names with '-' or '.'
  bp.SetCallback(callback, nullptr);
  return bp;
}

// Writes the `jit break` watches into the process's jitdebug_watches table, and sets the breakpoint on
// jitdebug_debugger_notify. false when there is no live process with the hooks yet.
bool write_watches(Target &t) {
  State &S = *t.st;
  if (t.kind != Kind::Live || S.watches.empty() || !t.stopped())
    return false;
  uint64_t base = t.symbol("jitdebug_watches");
  if (!base)
    return false;
  // libjitdebug checks the table and writes it by the hooks' protocol (slots, then `active`).
  std::vector<jd_watch> w;
  for (const auto &kv : S.watches)
    w.push_back(jd_watch{kv.first, kv.second.c_str()});
  auto write = [](void *ctx, uint64_t addr, const void *data, size_t len) -> int {
    lldb::SBError err;
    static_cast<Target *>(ctx)->process.WriteMemory(addr, data, len, err);
    return err.Success() ? 0 : -EFAULT;
  };
  char err[256];
  if (jd_watch_table_write(base, w.data(), w.size(), read_process, write, &t, err, sizeof(err)) != 0)
    throw Error{err};
  internal_breakpoint(t.target, "jitdebug_notify", {"jitdebug_debugger_notify", RegistrarFunction}, notify_hit)
      .SetEnabled(true);
  S.watches_written = true;
  return true;
}

// Watches set before the hooks are in the process are written at the first registration: its entry
// points stop once (never visibly), before the hooks read the table.
bool registration_hit(void *baton, lldb::SBProcess &process, lldb::SBThread &thread, lldb::SBBreakpointLocation &loc) {
  if (at_registrar(loc))
    return registrar_hit(baton, process, thread, loc);
  try {
    Target t(process);
    State &S = *t.st;
    if (S.watches.empty() || S.watches_written || write_watches(t)) {
      lldb::SBBreakpoint bp = loc.GetBreakpoint(); // its registrar locations stay
      for (size_t i = 0; i < bp.GetNumLocations(); i++) {
        lldb::SBBreakpointLocation l = bp.GetLocationAtIndex((uint32_t)i);
        if (!at_registrar(l))
          l.SetEnabled(false);
      }
    }
  } catch (const Error &) {
  }
  return false;
}

void arm_registration_breakpoint(lldb::SBTarget target) {
  internal_breakpoint(target, "jitdebug_watches",
                      {"jd_register_object", "jd_register_function", "jd_register_functions",
                       "llvm_orc_registerJITLoaderGDBWrapper", "llvm_orc_registerJITLoaderGDBAllocAction",
                       RegistrarFunction},
                      registration_hit)
      .SetEnabled(true);
}

// An object matching a watch was just registered (the hooks flag it JD_OBJECT_WATCHED), and its code
// has not run. Load the watched objects LLDB does not have yet; never stop.
bool notify_hit(void *baton, lldb::SBProcess &process, lldb::SBThread &thread, lldb::SBBreakpointLocation &loc) {
  if (at_registrar(loc))
    return registrar_hit(baton, process, thread, loc);
  try {
    Target t(process);
    std::vector<jd_registry_object> todo;
    for (const auto &o : walk_registry(t).list)
      if ((o.flags & JD_OBJECT_WATCHED) && !lldb_has(t, o))
        todo.push_back(o);
    load(t, todo, nullptr, false);
  } catch (const Error &) {
  }
  return false;
}

// Another registrar is registering or unregistering an object (every module's
// __jit_debug_register_code but the hooks', whose objects come through the watches above): load its
// new objects before their code runs and unload those it took out, as GDB's JIT reader does for every
// descriptor. LLDB's own loader follows one descriptor per process. Never stops.
bool registrar_hit(void *, lldb::SBProcess &process, lldb::SBThread &, lldb::SBBreakpointLocation &loc) {
  try {
    lldb::SBModule m = loc.GetAddress().GetModule();
    if (m.IsValid() && m.FindSymbol("jitdebug_registry").IsValid()) {
      loc.SetEnabled(false);
      return false;
    }
    Target t(process);
    Objects others = walk_foreign(t, descriptors(t));
    std::set<uint64_t> live;
    std::vector<jd_registry_object> todo;
    for (const auto &o : others.list) {
      live.insert(o.id);
      if (!lldb_has(t, o))
        todo.push_back(o);
    }
    std::vector<uint64_t> gone;
    for (const auto &kv : t.st->loaded)
      if ((kv.first & JD_FOREIGN_ID_BIT) && !live.count(kv.first))
        gone.push_back(kv.first);
    unload(t, gone);
    load(t, todo, nullptr, false);
  } catch (const Error &) {
  }
  return false;
}

// Armed once another registrar's module is in the target (at a command or a stop), so that sessions
// with the hooks alone keep their breakpoint numbers. A registrar loaded later (dlopen) with no stop in
// between is covered once `jit break` was used (see RegistrarFunction).
void arm_registrar_breakpoint(Target &t) {
  // Not on a core: nothing registers there, and LLDB warns for every site it cannot plant ("elf-core
  // does not support enabling breakpoints").
  if (t.st->registrar_breakpoint || !t.target.IsValid() || t.kind == Kind::Core)
    return;
  std::vector<Descriptor> mods = registrar_modules(t); // loaded or not yet
  if (std::none_of(mods.begin(), mods.end(), [](const Descriptor &d) { return !d.hooks; }))
    return;
  internal_breakpoint(t.target, "jitdebug_registrars", {RegistrarFunction}, registrar_hit).SetEnabled(true);
  t.st->registrar_breakpoint = true;
}

// ---- commands -----------------------------------------------------------------------------------

std::vector<std::string> args_of(char **command) {
  std::vector<std::string> v;
  for (char **a = command; a && *a; a++)
    v.push_back(*a);
  return v;
}

// Any number strtoull reads (an address: 0x...).
bool parse_u64(const std::string &s, uint64_t &out) {
  if (s.empty() || s[0] == '-')
    return false;
  char *end;
  errno = 0;
  out = strtoull(s.c_str(), &end, 0);
  return !errno && !*end;
}

void ensure_stop_hook(lldb::SBDebugger d) {
  if (StopHookAdded)
    return;
  lldb::SBCommandReturnObject r;
  d.GetCommandInterpreter().HandleCommand("target stop-hook add -o \"jit on-stop\"", r);
  StopHookAdded = r.Succeeded();
}

class Command : public lldb::SBCommandPluginInterface {
public:
  bool DoExecute(lldb::SBDebugger d, char **command, lldb::SBCommandReturnObject &result) override {
    try {
      Target t(d);
      arm_registrar_breakpoint(t);
      run(t, args_of(command), result);
      result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
      return true;
    } catch (const Error &e) {
      result.SetError(("jit: " + e.what).c_str());
      return false;
    }
  }
  virtual void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) = 0;
};

class Connect : public Command {
  void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) override {
    State &S = *t.st;
    std::string addr, token = S.token;
    for (size_t i = 0; i < args.size(); i++) {
      if (args[i] == "--token" && i + 1 < args.size())
        token = args[++i];
      else if (args[i].rfind("--", 0) == 0 || !addr.empty())
        throw Error{"usage: jit connect [HOST:PORT] [--token T]"};
      else
        addr = args[i];
    }
    if (addr.empty()) {
      if (t.kind != Kind::Live)
        throw Error{"no process to discover the link from: give HOST:PORT"};
      uint64_t base = t.symbol("jitdebug_link_address");
      char raw[128] = "";
      if (base && read_process(&t, base, raw, sizeof(raw) - 1) == 0)
        raw[sizeof(raw) - 1] = '\0';
      addr = raw;
      if (addr.empty())
        throw Error{"the process has no debug link (start it with JITDEBUG_LISTEN=127.0.0.1:0)"};
    }
    if (addr.find(':') == std::string::npos)
      throw Error{format("bad address '%s': expected HOST:PORT", addr.c_str())};
    std::string old_link = S.link, old_token = S.token;
    S.link = addr;
    S.token = token;
    if (!t.link_usable()) {
      out.Printf("jit: link %s recorded; the process is stopped, so objects are read from its memory now and "
                 "the link is used while it runs\n", addr.c_str());
      return;
    }
    try {
      const jd_link_info *info = jd_client_info(t.client());
      out.Printf("jit: connected to %s (pid %" PRIu32 ", %s)\n", addr.c_str(), info->pid, info->triple);
    } catch (const Error &) {
      S.link = old_link;
      S.token = old_token;
      throw;
    }
  }
};

// The object's naming symbol, chosen by libjitdebug as the CLI, the link and the GDB plugin choose it.
// Objects do not change while registered: cached by id in the target's state (which a new process
// clears).
std::string first_symbol(Target &t, const jd_registry_object &o) {
  auto &cache = t.st->first_symbols;
  auto it = cache.find(o.id);
  if (it != cache.end())
    return it->second;
  std::vector<uint8_t> data = registered_bytes(t, o);
  auto loaded = t.st->loaded.find(o.id);
  if (data.empty() && loaded != t.st->loaded.end()) { // a core without the objects: the copy loaded by build-id
    std::ifstream f(loaded->second.path, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  char buf[256];
  if (data.empty() || jd_object_first_symbol(data.data(), data.size(), buf, sizeof(buf)) != 0)
    return "";
  std::string name = buf;
  cache[o.id] = name;
  return name;
}

class List : public Command {
  void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) override {
    State &S = *t.st;
    if (!args.empty())
      throw Error{"usage: jit list"};
    Objects objs = objects(t);
    out.Printf("%-14s %-33s %10s  %-40s %-9s %-18s %s\n", "id", "range", "bytes", "build-id", "state", "registrar",
               "first symbol");
    size_t foreign = 0;
    for (const auto &o : objs.list) {
      const char *state = S.loaded.count(o.id) ? "loaded" : (t.target.IsValid() && lldb_has(t, o)) ? "lldb-jit" : "-";
      std::string name = first_symbol(t, o);
      bool other = (o.flags & JD_OBJECT_FOREIGN) != 0;
      foreign += other;
      std::string bid = build_id_text(o);
      if (other && !o.build_id_size) { // another registrar's object: its build-id from its bytes, as the hooks compute it
        std::vector<uint8_t> raw = registered_bytes(t, o);
        jd_registry_object with = o;
        if (!raw.empty() && jd_object_build_id(raw.data(), raw.size(), with.build_id, &with.build_id_size, nullptr, 0) > 0)
          bid = build_id_text(with);
      }
      out.Printf("%-14s 0x%012" PRIx64 "-0x%012" PRIx64 " %10" PRIu64 "  %-40s %-9s %-18s %s\n", id_text(o.id).c_str(),
                 o.lo, o.hi, o.size, bid.c_str(), state, other ? S.registrars[o.id].c_str() : "jitdebug", name.c_str());
    }
    for (const auto &s : objs.skipped)
      out.Printf("jit: skipped: %s\n", s.c_str());
    out.Printf("%zu objects (%zu from other registrars), %zu loaded by the plugin\n", objs.list.size(), foreign,
               S.loaded.size());
  }
};

std::vector<jd_registry_object> select(Target &t, const std::string &arg, const Objects &objs) {
  if (arg == "all")
    return objs.list;
  uint64_t v;
  if (jd_id_parse(arg.c_str(), &v) == 0) {
    for (const auto &o : objs.list)
      if (o.id == v)
        return {o};
    throw Error{format("object %s: no such object (unregistered, or never registered)", arg.c_str())};
  }
  if (!parse_u64(arg, v)) {
    lldb::SBValue val = t.target.EvaluateExpression(arg.c_str());
    if (!val.IsValid() || val.GetError().Fail())
      throw Error{format("not an object id or address: %s", arg.c_str())};
    v = val.GetValueAsUnsigned();
  }
  const jd_registry_object *o = covering(v, objs);
  if (!o)
    throw Error{format("no JIT object covers 0x%" PRIx64, v)};
  return {*o};
}

class Load : public Command {
  void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) override {
    if (args.size() != 1)
      throw Error{"usage: jit load ID|all|ADDR"};
    if (!t.target.IsValid())
      throw Error{"no target to load into (target create, or attach first)"};
    Objects objs = objects(t);
    size_t n = load(t, select(t, args[0], objs), &out, true);
    out.Printf("jit: loaded %zu object%s\n", n, n == 1 ? "" : "s");
  }
};

class Unload : public Command {
  void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) override {
    State &S = *t.st;
    uint64_t id = 0;
    if (args.size() != 1 || (args[0] != "all" && jd_id_parse(args[0].c_str(), &id) != 0))
      throw Error{"usage: jit unload ID|all"};
    std::vector<uint64_t> ids;
    if (args[0] == "all") {
      for (const auto &kv : S.loaded)
        ids.push_back(kv.first);
    } else if (!S.loaded.count(id)) {
      throw Error{format("object %s is not loaded by the plugin", args[0].c_str())};
    } else {
      ids.push_back(id);
    }
    unload(t, ids);
    out.Printf("jit: unloaded %zu object%s\n", ids.size(), ids.size() == 1 ? "" : "s");
  }
};

class Break : public Command {
  void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) override {
    State &S = *t.st;
    if (args.size() != 1)
      throw Error{"usage: jit break FUNCTION | FILE:LINE"};
    if (!t.target.IsValid())
      throw Error{"no target (target create, or attach first)"};
    const std::string &spec = args[0];
    // Parsed by libjitdebug, as the GDB plugin parses it: FUNCTION (C++ names too) or FILE:LINE.
    int kind = 0;
    uint32_t line = 0;
    char name[JD_WATCH_PATTERN], err[256];
    if (jd_parse_location(spec.c_str(), &kind, name, sizeof(name), &line, err, sizeof(err)) != 0)
      throw Error{err};
    std::string file = kind == JD_WATCH_FILE ? name : "";
    std::pair<int, std::string> watch = std::make_pair(kind, std::string(name));
    bool added = false;
    if (std::find(S.watches.begin(), S.watches.end(), watch) == S.watches.end()) {
      S.watches.push_back(watch);
      S.watches_written = false;
      added = true;
    }
    bool written;
    try {
      written = write_watches(t);
    } catch (const Error &) {
      if (added)
        S.watches.pop_back();
      throw;
    }
    lldb::SBBreakpoint bp = file.empty() ? t.target.BreakpointCreateByName(spec.c_str())
                                         : t.target.BreakpointCreateByLocation(file.c_str(), (uint32_t)line);
    if (!bp.IsValid())
      throw Error{format("LLDB refused a breakpoint at %s", spec.c_str())};
    size_t n = bp.GetNumLocations();
    if (n)
      out.Printf("Breakpoint %d: %s, %zu location%s\n", bp.GetID(), spec.c_str(), n, n == 1 ? "" : "s");
    else
      out.Printf("Breakpoint %d: %s, pending until the JIT code is loaded\n", bp.GetID(), spec.c_str());
    if (!written) {
      arm_registration_breakpoint(t.target);
      if (t.kind == Kind::Live && t.stopped() && !t.symbol("jitdebug_registry"))
        out.Printf("jit: no jitdebug hooks in this process: the breakpoint resolves when another registrar "
                   "announces the code\n");
      else
        out.Printf("jit: the watch is written into the process at its first JIT registration\n");
    }
  }
};

// Source files of JIT modules (ours, and those of LLDB's own JIT loader).
std::vector<std::string> jit_source_files(Target &t) {
  std::set<std::string> files;
  for (uint32_t i = 0; i < t.target.GetNumModules(); i++) {
    lldb::SBModule m = t.target.GetModuleAtIndex(i);
    if (!jit_module(m))
      continue;
    for (uint32_t c = 0; c < m.GetNumCompileUnits(); c++) {
      lldb::SBCompileUnit cu = m.GetCompileUnitAtIndex(c);
      for (uint32_t f = 0; f < cu.GetNumSupportFiles(); f++) {
        char path[4096];
        lldb::SBFileSpec fs = cu.GetSupportFileAtIndex(f);
        if (fs.GetPath(path, sizeof(path)) > 0 && path[0] == '/')
          files.insert(path);
      }
    }
  }
  return {files.begin(), files.end()};
}

void auto_source_map(Target &t, lldb::SBDebugger d, const std::vector<std::string> &dirs,
                     lldb::SBCommandReturnObject &out) {
  std::vector<std::string> missing;
  struct stat st;
  for (const auto &f : jit_source_files(t))
    if (stat(f.c_str(), &st) != 0)
      missing.push_back(f);
  if (missing.empty()) {
    out.Printf("jit: every source file of the loaded JIT objects is where its debug info says\n");
    return;
  }
  // libjitdebug indexes the directories and matches the files (jd_source_map_auto), as for GDB.
  struct Found {
    std::vector<std::array<std::string, 3>> maps;
    std::vector<std::string> lost;
  } found;
  std::vector<const char *> files, roots;
  for (const auto &f : missing)
    files.push_back(f.c_str());
  for (const auto &r : dirs)
    roots.push_back(r.c_str());
  auto on_found = [](const char *from, const char *to, const char *file, void *ctx) {
    static_cast<Found *>(ctx)->maps.push_back({from, to, file});
  };
  auto on_missing = [](const char *file, void *ctx) { static_cast<Found *>(ctx)->lost.push_back(file); };
  if (jd_source_map_auto(files.data(), files.size(), roots.data(), roots.size(), on_found, on_missing, &found) != 0)
    throw Error{"out of memory while indexing the directories"};
  for (const auto &f : found.lost)
    out.Printf("jit: %s: not found under the given directories\n", f.c_str());
  for (const auto &m : found.maps) {
    lldb::SBCommandReturnObject r;
    d.GetCommandInterpreter().HandleCommand(
        ("settings append target.source-map \"" + m[0] + "\" \"" + m[1] + "\"").c_str(), r);
    if (!r.Succeeded())
      throw Error{format("target.source-map: %s", r.GetError())};
    out.Printf("jit: mapped %s -> %s (%s)\n", m[0].c_str(), m[1].c_str(), m[2].c_str());
  }
}

class SourceMap : public Command {
  void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) override {
    lldb::SBDebugger d = t.debugger;
    if (!args.empty() && args[0] == "--auto") {
      if (args.size() < 2)
        throw Error{"usage: jit source-map --auto DIR..."};
      struct stat st;
      for (size_t i = 1; i < args.size(); i++)
        if (stat(args[i].c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
          throw Error{format("%s: not a directory", args[i].c_str())};
      auto_source_map(t, d, {args.begin() + 1, args.end()}, out);
      return;
    }
    if (args.size() != 2 || args[0].rfind("--", 0) == 0)
      throw Error{"usage: jit source-map FROM TO | --auto DIR..."};
    if (args[0].find('"') != std::string::npos || args[1].find('"') != std::string::npos)
      throw Error{"paths with double quotes are not supported"};
    lldb::SBCommandReturnObject r;
    d.GetCommandInterpreter().HandleCommand(
        ("settings append target.source-map \"" + args[0] + "\" \"" + args[1] + "\"").c_str(), r);
    if (!r.Succeeded())
      throw Error{format("target.source-map: %s", r.GetError())};
    out.Printf("jit: %s -> %s\n", args[0].c_str(), args[1].c_str());
  }
};

class Status : public Command {
  void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) override {
    State &S = *t.st;
    out.Printf("target: %s\n", t.kind == Kind::Core ? "core" : t.kind == Kind::Live ? "live" : "none");
    out.Printf("link: %s%s\n", S.link.empty() ? "not connected" : S.link.c_str(),
               S.link.empty() ? "" : t.link_usable() ? " (in use)" : " (not used while stopped)");
    try {
      if (!t.stopped())
        throw Error{"the process is running or absent; the registry is read while it is stopped"};
      const Objects &objs = walk_registry(t);
      size_t announced = 0;
      for (const auto &o : objs.list)
        announced += (o.flags & JD_OBJECT_ANNOUNCED) != 0;
      out.Printf("mode: %s\nobjects: %zu known, %zu loaded by the plugin, %zu announced to the GDB JIT interface\n",
                 S.mode.c_str(), objs.list.size(), S.loaded.size(), announced);
    } catch (const Error &e) {
      out.Printf("registry: %s\n", e.what.c_str());
    }
    if (t.stopped()) {
      std::vector<Descriptor> others = descriptors(t);
      for (const auto &d : others)
        out.Printf("registrar: %s (__jit_debug_descriptor at 0x%" PRIx64 ")\n", d.module.c_str(), d.addr);
      if (!others.empty() && has_registry(t))
        out.Printf("note: %zu GDB JIT descriptor%s besides the hooks': stock LLDB follows one per process; this "
                   "plugin reads every one\n", others.size(), others.size() == 1 ? "" : "s");
    }
    std::string w;
    for (const auto &kv : S.watches)
      w += (w.empty() ? "" : ", ") + std::string(kv.first == 1 ? "function " : "file ") + kv.second;
    out.Printf("watches: %s\n", w.empty() ? "none" : w.c_str());
    out.Printf("time spent: %.3f s in %" PRIu64 " loads\n", S.seconds, S.loads);
  }
};

class LoadCore : public Command {
  void run(Target &t, const std::vector<std::string> &args, lldb::SBCommandReturnObject &out) override {
    bool all = false;
    for (const auto &a : args) {
      if (a == "--all")
        all = true;
      else
        throw Error{"usage: jit load-core [--all]"};
    }
    if (t.kind == Kind::None)
      throw Error{"no core file (target create --core FILE first)"};
    double t0 = now();
    Objects objs = walk_all(t); // a copy: loading below may walk again
    // The hooks' own GDB JIT list holds registry objects: walked for what is wrong with it only.
    for (const auto &d : registrar_modules(t))
      if (d.hooks && d.addr)
        walk_list(t, d.addr, objs, false);
    for (const auto &s : objs.skipped)
      out.Printf("jit: skipped: %s\n", s.c_str());
    if (objs.header.generation % 2)
      out.Printf("jit: the registry was being edited when the core was written; the list may be incomplete\n");
    size_t n = all ? load(t, objs.list, &out, true) : load_frames(t, &out);
    std::map<std::string, size_t> per;
    size_t in_registry = 0;
    for (const auto &o : objs.list) {
      if (o.flags & JD_OBJECT_FOREIGN)
        per[t.st->registrars[o.id]]++;
      else
        in_registry++;
    }
    std::string others;
    for (const auto &kv : per)
      others += format(", %zu from %s", kv.second, kv.first.c_str());
    out.Printf("jit: %zu objects in the registry%s; loaded %zu in %.2f s\n", in_registry, others.c_str(), n,
               now() - t0);
  }
};

// The stop hook: sync unregistrations, symbolize JIT frames, write pending watches. Quiet unless
// something fails.
class OnStop : public Command {
  void run(Target &t, const std::vector<std::string> &, lldb::SBCommandReturnObject &) override {
    State &S = *t.st;
    if (t.kind != Kind::Live || !t.stopped())
      return;
    arm_registrar_breakpoint(t);
    if (!has_registry(t) && descriptors(t).empty())
      return;
    double t0 = now();
    if (!S.watches.empty() && !S.watches_written)
      write_watches(t);
    sync_unregistered(t);
    load_frames(t);
    S.seconds += now() - t0;
  }
};

} // namespace

namespace lldb {
__attribute__((visibility("default"))) bool PluginInitialize(lldb::SBDebugger debugger);
}

bool lldb::PluginInitialize(lldb::SBDebugger debugger) {
  lldb::SBCommandInterpreter ci = debugger.GetCommandInterpreter();
  lldb::SBCommand jit = ci.AddMultiwordCommand("jit", "jitdebug: JIT code as debuggable as static code");
  if (!jit.IsValid())
    return false;
  jit.AddCommand("connect", new Connect, "Use the process's debug link.", "jit connect [HOST:PORT] [--token T]");
  jit.AddCommand("list", new List, "List the JIT objects: id, range, size, whether LLDB has them.", "jit list");
  jit.AddCommand("load", new Load, "Load JIT objects at their addresses.", "jit load ID|all|ADDR");
  jit.AddCommand("unload", new Unload, "Unload objects the plugin loaded.", "jit unload ID|all");
  jit.AddCommand("break", new Break, "Breakpoint on JIT code that may not exist yet, resolved before it runs.",
                 "jit break FUNCTION | FILE:LINE");
  jit.AddCommand("source-map", new SourceMap, "Where JIT sources live now (sets target.source-map).",
                 "jit source-map FROM TO | --auto DIR...");
  jit.AddCommand("status", new Status, "Link, hooks mode, objects known and loaded, watches, time spent.",
                 "jit status");
  jit.AddCommand("load-core", new LoadCore, "Symbolize the JIT frames of a core file (every object with --all).",
                 "jit load-core [--all]");
  jit.AddCommand("on-stop", new OnStop,
                 "Run by the plugin's stop hook: unload unregistered objects, load those of JIT frames.",
                 "jit on-stop");
  // The stop hook goes to the selected target, or to LLDB's dummy target, whose stop hooks every
  // later target inherits.
  ensure_stop_hook(debugger);
  return true;
}
