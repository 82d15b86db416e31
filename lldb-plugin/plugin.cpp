// plugin.cpp — the LLDB plugin: `plugin load libjitdebug-lldb.so`, then `help jit` (docs/lldb-plugin.md).
//
// An adapter over the SB API. The `jit` commands, the walks over a stopped process, the choice between
// memory and the debug link, loading, watches and what a stop does are libjitdebug's session
// (jd_session_*, docs/architecture.md), shared with the GDB plugin. This file registers the session's
// command table, keeps one session per SBTarget, and answers the session's callbacks: read and write
// memory, symbols, expressions, every module's __jit_debug_descriptor, loading an object (LLDB lays a
// relocatable object out itself, so the session makes it absolute; SBTarget::AddModule, then every
// section's load address), unloading, the threads' frames, breakpoints, source files, source maps.
//
// What only LLDB needs stays here: its breakpoints that never stop. `jit break` writes a watch into the
// process's `jitdebug_watches`; the hooks then flag a matching object JD_OBJECT_WATCHED and call
// jitdebug_debugger_notify before its code can run; a breakpoint there loads it (LLDB resolves the
// pending breakpoint). Every module's __jit_debug_register_code (another registrar's) loads that
// registrar's new objects, as GDB's JIT reader does for every descriptor. A stop hook (`jit on-stop`)
// runs the session's stop work. Errors go through SBCommandReturnObject::SetError; nothing here may
// take LLDB down (every read is checked and every walk capped in libjitdebug).
#include <lldb/API/LLDB.h>

#include "jitdebug-types.h"
#include "jitdebug.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kMaxFrames = 256;

// One target's: the session, the modules it had LLDB load, whether the registrar breakpoint is set.
struct PerTarget {
  std::unique_ptr<jd_session, void (*)(jd_session *)> session{nullptr, jd_session_free};
  std::map<uint64_t, lldb::SBModule> modules;
  bool registrar_breakpoint = false;
};

extern const jd_debugger Debugger;

// LLDB 16's SB API has no target id, but SBTargets compare equal for the same target. A target's
// session starts with what was set while there was none (the link, watches).
PerTarget &NoTarget() {
  static PerTarget none;
  if (!none.session)
    none.session.reset(jd_session_new(&Debugger));
  return none;
}
std::vector<std::pair<lldb::SBTarget, std::unique_ptr<PerTarget>>> Targets;
bool StopHookAdded = false; // one per LLDB session (on the dummy target, inherited by new targets)

PerTarget &per_target(lldb::SBTarget t) {
  if (!t.IsValid())
    return NoTarget();
  for (auto &kv : Targets)
    if (kv.first == t)
      return *kv.second;
  auto pt = std::make_unique<PerTarget>();
  pt->session.reset(jd_session_new(&Debugger));
  jd_session_inherit(pt->session.get(), NoTarget().session.get());
  Targets.emplace_back(t, std::move(pt));
  return *Targets.back().second;
}

bool is_live(lldb::SBProcess &p) {
  return p.IsValid() && p.GetState() != lldb::eStateDetached && p.GetState() != lldb::eStateExited &&
         p.GetState() != lldb::eStateInvalid && p.GetState() != lldb::eStateUnloaded;
}

// The context of one session call: the debugger, target, process, and where output goes.
struct Target {
  lldb::SBDebugger debugger;
  lldb::SBTarget target;
  lldb::SBProcess process;
  lldb::SBCommandReturnObject *out = nullptr;
  PerTarget *pt;

  explicit Target(lldb::SBDebugger d) : Target(d, d.GetSelectedTarget()) {}
  // In a breakpoint callback: the process that hit it.
  explicit Target(lldb::SBProcess p) : Target(p.GetTarget().GetDebugger(), p.GetTarget()) {}
  Target(lldb::SBDebugger d, lldb::SBTarget tg)
      : debugger(d), target(tg), process(tg.GetProcess()), pt(&per_target(tg)) {}
  jd_session *session() { return pt->session.get(); }
  bool core() {
    const char *plugin = process.GetPluginName();
    return is_live(process) && plugin && strstr(plugin, "core");
  }
};

Target &T(void *ctx) { return *static_cast<Target *>(ctx); }

void put(char *err, size_t errlen, const std::string &what) {
  if (err && errlen)
    snprintf(err, errlen, "%s", what.c_str());
}

// ---- the session's callbacks --------------------------------------------------------------------

void cb_target(void *ctx, jd_session_target *out) {
  Target &t = T(ctx);
  bool live = is_live(t.process);
  out->kind = !live ? JD_TARGET_NONE : t.core() ? JD_TARGET_CORE : JD_TARGET_LIVE;
  out->process = t.process.IsValid() ? t.process.GetUniqueID() : 0;
  out->pid = out->kind == JD_TARGET_LIVE ? (uint32_t)t.process.GetProcessID() : 0;
  out->ptr_size = t.target.IsValid() ? t.target.GetAddressByteSize() : 8;
  out->big_endian = t.target.IsValid() && t.target.GetByteOrder() == lldb::eByteOrderBig;
  out->stopped = live && !lldb::SBDebugger::StateIsRunningState(t.process.GetState());
  out->can_load = t.target.IsValid();
}

int cb_read(void *ctx, uint64_t addr, void *buf, size_t len) {
  lldb::SBError err;
  size_t got = T(ctx).process.ReadMemory(addr, buf, len, err);
  return err.Success() && got == len ? 0 : -EFAULT;
}

int cb_write(void *ctx, uint64_t addr, const void *buf, size_t len) {
  lldb::SBError err;
  T(ctx).process.WriteMemory(addr, buf, len, err);
  return err.Success() ? 0 : -EFAULT;
}

int cb_symbol(void *ctx, const char *name, uint64_t *addr) {
  Target &t = T(ctx);
  lldb::SBSymbolContextList list = t.target.FindSymbols(name);
  for (uint32_t i = 0; i < list.GetSize(); i++) {
    lldb::addr_t a = list.GetContextAtIndex(i).GetSymbol().GetStartAddress().GetLoadAddress(t.target);
    if (a != LLDB_INVALID_ADDRESS) {
      *addr = a;
      return 0;
    }
  }
  return -ENOENT;
}

int cb_evaluate(void *ctx, const char *expr, uint64_t *value, char *err, size_t errlen) {
  lldb::SBValue v = T(ctx).target.EvaluateExpression(expr);
  if (!v.IsValid() || v.GetError().Fail()) {
    put(err, errlen, v.IsValid() && v.GetError().GetCString() ? v.GetError().GetCString() : "");
    return -EINVAL;
  }
  *value = v.GetValueAsUnsigned();
  return 0;
}

// Modules of JIT code: the plugin's cache files and LLDB's own JIT loader's. They define no registrar.
bool jit_module(lldb::SBModule m) {
  const char *name = m.GetFileSpec().GetFilename();
  const char *dir = m.GetFileSpec().GetDirectory();
  const char *cache = jd_session_cache_dir(nullptr);
  return (dir && cache[0] && strcmp(cache, dir) == 0) || (name && strncmp(name, "JIT(", 4) == 0);
}

// Every module's GDB JIT descriptor (LLDB's own JIT loader follows one per process). hooks: the module
// also defines jitdebug_registry. addr is 0 while the module is not loaded.
std::vector<std::pair<jd_descriptor, std::string>> registrar_modules(Target &t) {
  std::vector<std::pair<jd_descriptor, std::string>> out;
  for (uint32_t i = 0; t.target.IsValid() && i < t.target.GetNumModules(); i++) {
    lldb::SBModule m = t.target.GetModuleAtIndex(i);
    lldb::SBSymbol d;
    if (jit_module(m) || !(d = m.FindSymbol("__jit_debug_descriptor")).IsValid())
      continue;
    lldb::addr_t a = d.GetStartAddress().GetLoadAddress(t.target);
    const char *name = m.GetFileSpec().GetFilename();
    jd_descriptor desc{a == LLDB_INVALID_ADDRESS ? 0 : a, nullptr, m.FindSymbol("jitdebug_registry").IsValid()};
    out.emplace_back(desc, name ? name : "?");
  }
  return out;
}

int cb_descriptors(void *ctx, jd_descriptor_fn fn, void *fnctx) {
  for (auto &d : registrar_modules(T(ctx))) {
    d.first.path = d.second.c_str();
    if (fn(&d.first, fnctx))
      break;
  }
  return 0;
}

// Whether some module already covers the object's code (LLDB's own JIT loader).
int cb_has(void *ctx, uint64_t, uint64_t lo) {
  Target &t = T(ctx);
  lldb::SBAddress a = t.target.ResolveLoadAddress(lo);
  return a.GetSection().IsValid() && a.GetModule().IsValid();
}

int cb_load(void *ctx, uint64_t id, const char *path, const void *, size_t, char *err, size_t errlen) {
  Target &t = T(ctx);
  lldb::SBModule m = t.target.AddModule(path, nullptr, nullptr);
  if (!m.IsValid()) {
    put(err, errlen, std::string("LLDB did not accept ") + path);
    return -EINVAL;
  }
  size_t placed = 0;
  for (size_t i = 0; i < m.GetNumSections(); i++) {
    lldb::SBSection s = m.GetSectionAtIndex(i);
    lldb::addr_t a = s.GetFileAddress();
    if (a != LLDB_INVALID_ADDRESS && a != 0 && t.target.SetSectionLoadAddress(s, a).Success())
      placed++;
  }
  if (!placed) {
    t.target.RemoveModule(m);
    put(err, errlen, "no section has a load address");
    return -ENOENT;
  }
  t.pt->modules[id] = m;
  return 0;
}

void cb_unload(void *ctx, uint64_t id, const char *) {
  Target &t = T(ctx);
  auto it = t.pt->modules.find(id);
  if (it == t.pt->modules.end())
    return;
  if (t.target.IsValid())
    t.target.RemoveModule(it->second);
  t.pt->modules.erase(it);
}

size_t cb_frames(void *ctx, uint64_t *pcs, size_t max) {
  Target &t = T(ctx);
  size_t n = 0;
  for (uint32_t ti = 0; ti < t.process.GetNumThreads() && n < max; ti++) {
    lldb::SBThread th = t.process.GetThreadAtIndex(ti);
    uint32_t frames = std::min(th.GetNumFrames(), kMaxFrames);
    for (uint32_t fi = 0; fi < frames && n < max; fi++)
      pcs[n++] = th.GetFrameAtIndex(fi).GetPC();
  }
  return n;
}

int cb_breakpoint(void *ctx, const char *spec, int kind, const char *name, uint32_t line, char *err, size_t errlen) {
  Target &t = T(ctx);
  if (!t.target.IsValid()) {
    put(err, errlen, "no target (target create, or attach first)");
    return -EINVAL;
  }
  lldb::SBBreakpoint bp = kind == JD_WATCH_FILE ? t.target.BreakpointCreateByLocation(name, line)
                                                : t.target.BreakpointCreateByName(spec);
  if (!bp.IsValid()) {
    put(err, errlen, std::string("LLDB refused a breakpoint at ") + spec);
    return -EINVAL;
  }
  size_t n = bp.GetNumLocations();
  if (t.out && n)
    t.out->Printf("Breakpoint %d: %s, %zu location%s\n", bp.GetID(), spec, n, n == 1 ? "" : "s");
  else if (t.out)
    t.out->Printf("Breakpoint %d: %s, pending until the JIT code is loaded\n", bp.GetID(), spec);
  return 0;
}

// Source files of JIT modules (ours, and those of LLDB's own JIT loader).
int cb_source_files(void *ctx, void (*fn)(const char *, void *), void *fnctx) {
  Target &t = T(ctx);
  for (uint32_t i = 0; t.target.IsValid() && i < t.target.GetNumModules(); i++) {
    lldb::SBModule m = t.target.GetModuleAtIndex(i);
    if (!jit_module(m))
      continue;
    for (uint32_t c = 0; c < m.GetNumCompileUnits(); c++) {
      lldb::SBCompileUnit cu = m.GetCompileUnitAtIndex(c);
      for (uint32_t f = 0; f < cu.GetNumSupportFiles(); f++) {
        char path[4096];
        if (cu.GetSupportFileAtIndex(f).GetPath(path, sizeof(path)) > 0)
          fn(path, fnctx);
      }
    }
  }
  return 0;
}

int cb_source_map(void *ctx, const char *from, const char *to, char *err, size_t errlen) {
  if (strchr(from, '"') || strchr(to, '"')) {
    put(err, errlen, "paths with double quotes are not supported");
    return -EINVAL;
  }
  lldb::SBCommandReturnObject r;
  T(ctx).debugger.GetCommandInterpreter().HandleCommand(
      (std::string("settings append target.source-map \"") + from + "\" \"" + to + "\"").c_str(), r);
  if (!r.Succeeded()) {
    put(err, errlen, std::string("target.source-map: ") + (r.GetError() ? r.GetError() : ""));
    return -EINVAL;
  }
  return 0;
}

void cb_print(void *ctx, const char *text) {
  Target &t = T(ctx);
  if (t.out)
    t.out->Printf("%s", text);
  else
    fputs(text, stderr);
}

// ---- LLDB's own breakpoints: never stop ---------------------------------------------------------

bool notify_hit(void *baton, lldb::SBProcess &process, lldb::SBThread &, lldb::SBBreakpointLocation &);
bool registrar_hit(void *, lldb::SBProcess &process, lldb::SBThread &, lldb::SBBreakpointLocation &loc);
bool registration_hit(void *, lldb::SBProcess &, lldb::SBThread &, lldb::SBBreakpointLocation &);

// The breakpoints `jit break` needs (the watches' jitdebug_notify, or the registration entry points
// before the hooks are there) also carry every module's __jit_debug_register_code: a registrar
// dlopen'ed later with no stop in between (PostgreSQL's llvmjit.so in a backend) gets its location as
// LLDB loads the module, before its first registration (the user's breakpoint numbers stay as they were).
const char *const RegistrarFunction = "__jit_debug_register_code";
bool at_registrar(lldb::SBBreakpointLocation &loc) {
  const char *name = loc.GetAddress().GetSymbol().GetName();
  return name && strcmp(name, RegistrarFunction) == 0;
}

// The plugin's own breakpoints, found by name (they outlive processes), or created with the callback.
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

// The watches are in the process: the hooks call jitdebug_debugger_notify for a matching object.
void cb_watches_written(void *ctx) {
  internal_breakpoint(T(ctx).target, "jitdebug_notify", {"jitdebug_debugger_notify", RegistrarFunction}, notify_hit)
      .SetEnabled(true);
}

// Watches set before the hooks are in the process are written at the first registration: its entry
// points stop once (never visibly), before the hooks read the table.
void cb_watches_pending(void *ctx) {
  internal_breakpoint(T(ctx).target, "jitdebug_watches",
                      {"jd_register_object", "jd_register_function", "jd_register_functions",
                       "llvm_orc_registerJITLoaderGDBWrapper", "llvm_orc_registerJITLoaderGDBAllocAction",
                       RegistrarFunction},
                      registration_hit)
      .SetEnabled(true);
}

const jd_debugger Debugger = {sizeof(jd_debugger), "lldb",        JD_DEBUGGER_ABSOLUTE, cb_target,
                              cb_read,             cb_write,      cb_symbol,            cb_evaluate,
                              cb_descriptors,      cb_has,        cb_load,              cb_unload,
                              cb_frames,           cb_breakpoint, cb_source_files,      cb_source_map,
                              cb_print,            cb_watches_written, cb_watches_pending};

bool registration_hit(void *baton, lldb::SBProcess &process, lldb::SBThread &thread, lldb::SBBreakpointLocation &loc) {
  if (at_registrar(loc))
    return registrar_hit(baton, process, thread, loc);
  Target t(process);
  if (jd_session_write_watches(t.session(), &t, nullptr, 0) >= 0 && !jd_session_watches_pending(t.session())) {
    lldb::SBBreakpoint bp = loc.GetBreakpoint(); // its registrar locations stay
    for (size_t i = 0; i < bp.GetNumLocations(); i++) {
      lldb::SBBreakpointLocation l = bp.GetLocationAtIndex((uint32_t)i);
      if (!at_registrar(l))
        l.SetEnabled(false);
    }
  }
  return false;
}

// An object matching a watch was just registered, and its code has not run: load it.
bool notify_hit(void *baton, lldb::SBProcess &process, lldb::SBThread &thread, lldb::SBBreakpointLocation &loc) {
  if (at_registrar(loc))
    return registrar_hit(baton, process, thread, loc);
  Target t(process);
  jd_session_load_watched(t.session(), &t, nullptr, 0);
  return false;
}

// Another registrar is registering or unregistering an object (the hooks' own objects come through the
// watches above).
bool registrar_hit(void *, lldb::SBProcess &process, lldb::SBThread &, lldb::SBBreakpointLocation &loc) {
  lldb::SBModule m = loc.GetAddress().GetModule();
  if (m.IsValid() && m.FindSymbol("jitdebug_registry").IsValid()) {
    loc.SetEnabled(false);
    return false;
  }
  Target t(process);
  jd_session_sync_registrars(t.session(), &t, nullptr, 0);
  return false;
}

// Armed once another registrar's module is in the target (at a command or a stop), so that sessions
// with the hooks alone keep their breakpoint numbers. Not on a core: nothing registers there, and LLDB
// warns for every site it cannot plant.
void arm_registrar_breakpoint(Target &t) {
  if (t.pt->registrar_breakpoint || !t.target.IsValid() || t.core())
    return;
  auto mods = registrar_modules(t); // loaded or not yet
  if (std::none_of(mods.begin(), mods.end(), [](const auto &d) { return !d.first.hooks; }))
    return;
  internal_breakpoint(t.target, "jitdebug_registrars", {RegistrarFunction}, registrar_hit).SetEnabled(true);
  t.pt->registrar_breakpoint = true;
}

// ---- commands: the session's table --------------------------------------------------------------

class Command : public lldb::SBCommandPluginInterface {
public:
  explicit Command(std::string name) : name_(std::move(name)) {}
  bool DoExecute(lldb::SBDebugger d, char **command, lldb::SBCommandReturnObject &result) override {
    Target t(d);
    t.out = &result;
    arm_registrar_breakpoint(t);
    std::vector<const char *> argv{name_.c_str()};
    for (char **a = command; a && *a; a++)
      argv.push_back(*a);
    char err[600];
    if (jd_session_run(t.session(), &t, (int)argv.size(), argv.data(), err, sizeof(err)) < 0) {
      result.SetError((std::string("jit: ") + err).c_str());
      return false;
    }
    result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
    return true;
  }

private:
  std::string name_;
};

// The stop hook: the session's stop work. Quiet unless something fails.
class OnStop : public lldb::SBCommandPluginInterface {
public:
  bool DoExecute(lldb::SBDebugger d, char **, lldb::SBCommandReturnObject &result) override {
    Target t(d);
    t.out = &result;
    arm_registrar_breakpoint(t);
    char err[600];
    if (jd_session_on_stop(t.session(), &t, err, sizeof(err)) < 0) {
      result.SetError((std::string("jit: ") + err).c_str());
      return false;
    }
    return true;
  }
};

void ensure_stop_hook(lldb::SBDebugger d) {
  if (StopHookAdded)
    return;
  lldb::SBCommandReturnObject r;
  d.GetCommandInterpreter().HandleCommand("target stop-hook add -o \"jit on-stop\"", r);
  StopHookAdded = r.Succeeded();
}

} // namespace

namespace lldb {
__attribute__((visibility("default"))) bool PluginInitialize(lldb::SBDebugger debugger);
}

bool lldb::PluginInitialize(lldb::SBDebugger debugger) {
  lldb::SBCommandInterpreter ci = debugger.GetCommandInterpreter();
  lldb::SBCommand jit = ci.AddMultiwordCommand("jit", "jitdebug: JIT code as debuggable as static code");
  if (!jit.IsValid() || !NoTarget().session)
    return false;
  size_t n = 0;
  const jd_session_command *table = jd_session_commands(&n);
  for (size_t i = 0; i < n; i++)
    jit.AddCommand(table[i].name, new Command(table[i].name), table[i].help, table[i].usage);
  jit.AddCommand("on-stop", new OnStop,
                 "Run by the plugin's stop hook: unload unregistered objects, load those of JIT frames.",
                 "jit on-stop");
  // The stop hook goes to the selected target, or to LLDB's dummy target, whose stop hooks every later
  // target inherits.
  ensure_stop_hook(debugger);
  return true;
}
