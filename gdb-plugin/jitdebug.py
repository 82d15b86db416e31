# jitdebug.py — GDB plugin: JIT objects on demand, pending breakpoints before JIT code runs, source
# maps, and JIT frames in core files. Load it with `source gdb-plugin/jitdebug.py`; `help jit` lists
# the commands (docs/gdb-plugin.md).
#
# An adapter. The commands, the walks over the stopped process (the hooks' registry and every other
# registrar's GDB JIT list), the choice between memory and the debug link, loading, watches and what
# a stop does are libjitdebug's session (jd_session_*, docs/architecture.md), shared with the LLDB
# plugin. This file registers the session's command table as GDB commands and answers the session's
# callbacks with GDB's Python API: read and write memory, look up a symbol, evaluate an address,
# list the __jit_debug_descriptor of each module, load an object (add-symbol-file, built by
# libjitdebug), unload it, the threads' frames, a pending breakpoint, source files, substitute-path.
import ctypes
import os
import sys

import gdb

MAX_THREADS = 1024             # threads examined per stop or core
MAX_FRAMES = 256               # frames examined per thread
# This file's folder, from the code being run: GDB's `source` compiles the file under its own name,
# while __file__ may still name a script that sourced this one (an auto-load script does).
_SELF = sys._getframe(0).f_code.co_filename
PLUGIN_DIR = os.path.dirname(os.path.abspath(_SELF)) if os.path.isfile(_SELF) else os.getcwd()
EFAULT, ENOENT, EINVAL = 14, 2, 22


class JitError(gdb.GdbError):
    pass


class Descriptor(ctypes.Structure):
    """struct jd_descriptor of jitdebug.h."""
    _fields_ = [("addr", ctypes.c_uint64), ("path", ctypes.c_char_p), ("hooks", ctypes.c_int)]


class Target(ctypes.Structure):
    """struct jd_session_target of jitdebug.h."""
    _fields_ = [("kind", ctypes.c_int), ("process", ctypes.c_uint64), ("pid", ctypes.c_uint32),
                ("ptr_size", ctypes.c_uint), ("big_endian", ctypes.c_int), ("stopped", ctypes.c_int),
                ("can_load", ctypes.c_int)]


class Command(ctypes.Structure):
    """struct jd_session_command of jitdebug.h."""
    _fields_ = [("name", ctypes.c_char_p), ("usage", ctypes.c_char_p), ("help", ctypes.c_char_p)]


VP, U64, SZ, CP, INT = ctypes.c_void_p, ctypes.c_uint64, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_int
DESCRIPTOR_FN = ctypes.CFUNCTYPE(INT, ctypes.POINTER(Descriptor), VP)
PATH_FN = ctypes.CFUNCTYPE(None, CP, VP)
CALLBACKS = [  # struct jd_debugger's callbacks, in order
    ("target", ctypes.CFUNCTYPE(None, VP, ctypes.POINTER(Target))),
    ("read", ctypes.CFUNCTYPE(INT, VP, U64, VP, SZ)),
    ("write", ctypes.CFUNCTYPE(INT, VP, U64, VP, SZ)),
    ("symbol", ctypes.CFUNCTYPE(INT, VP, CP, ctypes.POINTER(U64))),
    ("evaluate", ctypes.CFUNCTYPE(INT, VP, CP, ctypes.POINTER(U64), VP, SZ)),
    ("descriptors", ctypes.CFUNCTYPE(INT, VP, DESCRIPTOR_FN, VP)),
    ("has", ctypes.CFUNCTYPE(INT, VP, U64, U64)),
    ("load", ctypes.CFUNCTYPE(INT, VP, U64, CP, VP, SZ, VP, SZ)),
    ("unload", ctypes.CFUNCTYPE(None, VP, U64, CP)),
    ("frames", ctypes.CFUNCTYPE(SZ, VP, ctypes.POINTER(U64), SZ)),
    ("breakpoint", ctypes.CFUNCTYPE(INT, VP, CP, INT, CP, ctypes.c_uint32, VP, SZ)),
    ("source_files", ctypes.CFUNCTYPE(INT, VP, PATH_FN, VP)),
    ("source_map", ctypes.CFUNCTYPE(INT, VP, CP, CP, VP, SZ)),
    ("print", ctypes.CFUNCTYPE(None, VP, CP)),
    ("watches_written", VP),
    ("watches_pending", VP),
]


class Debugger(ctypes.Structure):
    """struct jd_debugger of jitdebug.h."""
    _fields_ = [("sz", SZ), ("name", CP), ("flags", ctypes.c_uint)] + CALLBACKS


_LIB = None


def lib():
    """libjitdebug: $JITDEBUG_LIB, the build tree next to this file, an install prefix's lib/, or the
    loader's search path (the runtime name: an installed system has no development link without the
    -dev package)."""
    global _LIB
    if _LIB is None:
        root = os.path.dirname(PLUGIN_DIR)
        for path in (os.environ.get("JITDEBUG_LIB"), os.path.join(root, "build", "lib", "libjitdebug.so.0"),
                     os.path.join(root, "..", "..", "lib", "libjitdebug.so.0"), "libjitdebug.so.0"):
            if not path or (os.sep in path and not os.path.exists(path)):
                continue
            try:
                _LIB = ctypes.CDLL(path)
                break
            except OSError:
                continue
        if _LIB is None:
            raise JitError("libjitdebug.so.0 was not found (set JITDEBUG_LIB, or build the project)")
        if not hasattr(_LIB, "jd_session_new"):
            raise JitError("%s has no jd_session_new: an older libjitdebug than this plugin" % _LIB._name)
        _LIB.jd_session_commands.restype = ctypes.POINTER(Command)
        _LIB.jd_session_commands.argtypes = [ctypes.POINTER(SZ)]
        _LIB.jd_session_new.restype = VP
        _LIB.jd_session_new.argtypes = [ctypes.POINTER(Debugger)]
        for name in ("jd_session_on_stop", "jd_session_write_watches"):
            getattr(_LIB, name).argtypes = [VP, VP, CP, SZ]
        _LIB.jd_session_run.argtypes = [VP, VP, INT, ctypes.POINTER(CP), CP, SZ]
        _LIB.jd_session_watches_pending.argtypes = [VP]
        _LIB.jd_session_process_gone.argtypes = [VP, VP]
        _LIB.jd_session_cache_dir.restype = CP
        _LIB.jd_session_cache_dir.argtypes = [VP]
        _LIB.jd_gdb_add_symbol_file.argtypes = [VP, SZ, CP, CP, SZ, CP, SZ]
    return _LIB


# ---- the target, as the session asks for it -------------------------------------------------------

class View:
    """What GDB says once per session call: caches that hold while the process stays stopped."""
    jit_symfiles = None        # the object addresses GDB's own JIT reader has (maint info jit)
    descriptors = None         # [(address, module, hooks)] of every module (None: look up again)
    exits = 0                  # processes that exited: a new run is a new process


def inferior():
    return gdb.selected_inferior()


def target_kind():
    """1 live, 2 core, 0 no process (enum jd_target_kind)."""
    inf = inferior()
    conn = getattr(inf, "connection", None)
    if conn is not None and conn.type == "core":
        return 2
    return 1 if inf.pid else 0


def put_error(buf, size, text):
    if buf and size:
        data = text.encode(errors="replace")[:size - 1] + b"\0"
        ctypes.memmove(buf, data, len(data))


def guarded(default):
    """A callback never lets a Python exception into C: it answers `default` instead."""
    def wrap(fn):
        def call(*args):
            try:
                return fn(*args)
            except Exception:  # noqa: BLE001 - GDB errors, memory errors, anything
                return default
        return call
    return wrap


@guarded(None)
def cb_target(ctx, t):
    kind = target_kind()
    t = t.contents
    t.kind = kind
    pid = inferior().pid if kind else 0
    t.process = (View.exits << 34) | (kind << 32) | pid
    t.pid = pid if kind == 1 else 0
    t.ptr_size = gdb.lookup_type("void").pointer().sizeof
    t.big_endian = int("little" not in gdb.execute("show endian", to_string=True))
    # GDB's all-stop mode stops the link's thread with the rest: the link answers in non-stop mode.
    t.stopped = int(kind == 2 or (kind == 1 and not gdb.parameter("non-stop")))
    t.can_load = 1


@guarded(-EFAULT)
def cb_read(ctx, addr, buf, size):
    ctypes.memmove(buf, bytes(inferior().read_memory(addr, size)), size)
    return 0


@guarded(-EFAULT)
def cb_write(ctx, addr, buf, size):
    inferior().write_memory(addr, ctypes.string_at(buf, size))
    return 0


def symbol_address(name):
    try:
        return int(gdb.parse_and_eval("(unsigned long)&'%s'" % name))
    except gdb.error:
        return None


@guarded(-ENOENT)
def cb_symbol(ctx, name, out):
    addr = symbol_address(name.decode())
    if addr is None:
        return -ENOENT
    out[0] = addr
    return 0


def cb_evaluate(ctx, expr, out, err, errlen):
    try:
        out[0] = int(gdb.parse_and_eval(expr.decode(errors="replace")))
        return 0
    except Exception as e:  # noqa: BLE001
        put_error(err, errlen, str(e))
        return -EINVAL


def module_of(addr):
    """The file of the module holding addr: a shared library, or the program."""
    name = gdb.solib_name(addr)
    return name or gdb.current_progspace().filename or "the program"


def descriptors():
    """[(address, module, hooks)] of every module's __jit_debug_descriptor: the ones with debug info
    from each objfile, the others from GDB's minimal symbols. hooks: the module defines
    jitdebug_registry (its list holds registry objects). Kept until a module comes or goes."""
    if View.descriptors is not None:
        return View.descriptors
    found = set()
    for o in gdb.objfiles():
        for look in ("lookup_global_symbol", "lookup_static_symbol"):
            try:
                sym = getattr(o, look)("__jit_debug_descriptor")
                if sym is not None and sym.is_variable:
                    found.add(int(sym.value().address))
            except (gdb.error, AttributeError, RuntimeError):
                pass
    text = gdb.execute("info variables ^__jit_debug_descriptor$", False, True)
    if "Non-debugging symbols:" in text:
        for line in text.split("Non-debugging symbols:", 1)[1].splitlines():
            words = line.split()
            if len(words) == 2 and words[1] == "__jit_debug_descriptor" and words[0].startswith("0x"):
                found.add(int(words[0], 16))
    registry = symbol_address("jitdebug_registry")
    hooks = module_of(registry) if registry is not None else None
    View.descriptors = sorted((a, module_of(a), module_of(a) == hooks) for a in found)
    return View.descriptors


@guarded(-EFAULT)
def cb_descriptors(ctx, fn, fnctx):
    for addr, module, hooks in descriptors():
        if fn(ctypes.byref(Descriptor(addr, module.encode(), int(hooks))), fnctx):
            break
    return 0


def gdb_jit_symfiles():
    """The object addresses GDB's own JIT reader has loaded (maint info jit), from any registrar. Being
    in the hooks' GDB list is not enough: when the program itself defines __jit_debug_descriptor,
    GDB 13 reads the program's descriptor for every module's __jit_debug_register_code and never sees
    the hooks' list (docs/registrars.md)."""
    if View.jit_symfiles is None:
        out = set()
        try:
            text = gdb.execute("maint info jit", False, True)
        except gdb.error:
            text = ""
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 3 and words[1].startswith("0x"):
                try:
                    out.add(int(words[1], 16))
                except ValueError:
                    pass
        View.jit_symfiles = out
    return View.jit_symfiles


@guarded(0)
def cb_has(ctx, symfile, lo):
    return int(symfile in gdb_jit_symfiles())


def cb_load(ctx, ident, path, data, size, err, errlen):
    cmd, why = ctypes.create_string_buffer(16384), ctypes.create_string_buffer(256)
    if lib().jd_gdb_add_symbol_file(data, size, path, cmd, len(cmd), why, len(why)) != 0:
        put_error(err, errlen, why.value.decode(errors="replace"))
        return -EINVAL
    try:
        gdb.execute(cmd.value.decode(), False, True)
        return 0
    except Exception as e:  # noqa: BLE001
        put_error(err, errlen, str(e))
        return -EINVAL


@guarded(None)
def cb_unload(ctx, ident, path):
    gdb.execute("remove-symbol-file %s" % path.decode(), False, True)


@guarded(0)
def cb_frames(ctx, pcs, limit):
    """PCs of every thread's frames (threads and frames capped). In a core of a live executor the JIT
    code runs in another thread than the one GDB selects, so all are looked at. The selected thread
    is restored; cached frames are dropped first, as an object loaded since may name more of them."""
    gdb.invalidate_cached_frames()
    n = 0
    selected = gdb.selected_thread()
    try:
        for t in list(inferior().threads())[:MAX_THREADS]:
            if not t.is_valid():
                continue
            t.switch()
            try:
                frame = gdb.newest_frame()
            except gdb.error:
                continue
            depth = 0
            while frame is not None and depth < MAX_FRAMES and n < limit:
                pcs[n] = frame.pc()
                n, depth = n + 1, depth + 1
                try:
                    frame = frame.older()
                except gdb.error:
                    break
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
    return n


def cb_breakpoint(ctx, spec, kind, name, line, err, errlen):
    try:
        old = gdb.parameter("breakpoint pending")
        gdb.execute("set breakpoint pending on", False, True)
        try:
            out = gdb.execute("break %s" % spec.decode(), False, True)
        finally:
            gdb.execute("set breakpoint pending %s" % {True: "on", False: "off", None: "auto"}[old], False, True)
        gdb.write(out)
        return 0
    except Exception as e:  # noqa: BLE001
        put_error(err, errlen, str(e))
        return -EINVAL


@guarded(0)
def cb_source_files(ctx, fn, fnctx):
    """Source files of JIT objfiles (GDB's JIT reader's in-memory ones and the plugin's)."""
    text = gdb.execute("info sources", False, True)
    ours = (lib().jd_session_cache_dir(SESSION) or b"").decode() or "\0"
    in_jit = False
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            name = line[:-1]
            in_jit = name.startswith("<in-memory@") or name.startswith(ours)
            continue
        if in_jit:
            for f in line.split(","):
                f = f.strip()
                if f.startswith("/"):
                    fn(f.encode(), fnctx)
    return 0


def cb_source_map(ctx, src, dst, err, errlen):
    try:
        gdb.execute("set substitute-path %s %s" % (src.decode(), dst.decode()), False, True)
        return 0
    except Exception as e:  # noqa: BLE001
        put_error(err, errlen, str(e))
        return -EINVAL


@guarded(None)
def cb_print(ctx, text):
    gdb.write(text.decode(errors="replace"))
    gdb.flush()


_HANDLERS = {"target": cb_target, "read": cb_read, "write": cb_write, "symbol": cb_symbol, "evaluate": cb_evaluate,
             "descriptors": cb_descriptors, "has": cb_has, "load": cb_load, "unload": cb_unload,
             "frames": cb_frames, "breakpoint": cb_breakpoint, "source_files": cb_source_files,
             "source_map": cb_source_map, "print": cb_print}
# The C function pointers live as long as GDB: the session keeps calling them.
DEBUGGER = Debugger(ctypes.sizeof(Debugger), b"gdb", 0,
                    *[kind(_HANDLERS[name]) if name in _HANDLERS else None for name, kind in CALLBACKS])
SESSION = lib().jd_session_new(ctypes.byref(DEBUGGER))
if not SESSION:
    raise JitError("jd_session_new refused the GDB callbacks (a mismatched libjitdebug?)")


def fresh_view():
    View.jit_symfiles = None


def session_call(name, *args):
    """A session entry point with an error buffer; raises JitError with its message."""
    fresh_view()
    err = ctypes.create_string_buffer(600)
    rc = getattr(lib(), name)(SESSION, None, *args, err, len(err))
    if rc < 0:
        raise JitError(err.value.decode(errors="replace"))
    return rc


# ---- commands: the session's table ----------------------------------------------------------------

def command_table():
    n = SZ()
    table = lib().jd_session_commands(ctypes.byref(n))
    return [(table[i].name.decode(), table[i].usage.decode(), table[i].help.decode()) for i in range(n.value)]


class JitPrefix(gdb.Command):
    def __init__(self):
        super().__init__("jit", gdb.COMMAND_USER, gdb.COMPLETE_NONE, True)


JitPrefix.__doc__ = "jitdebug: JIT code as debuggable as static code.\n\n" + "\n".join(
    "%-40s %s" % (usage, text.split("\n")[0].split(":")[0].rstrip(".")) for _, usage, text in command_table())


class JitCommand(gdb.Command):
    """One `jit` command of the session's table; its help is the table's."""

    def __init__(self, name):
        self.name = name
        super().__init__("jit " + name, gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        if self.name == "load-core":
            View.descriptors = None  # a core file's modules came after the last look
        words = [self.name] + gdb.string_to_argv(arg)
        argv = (CP * len(words))(*[w.encode() for w in words])
        session_call("jd_session_run", len(words), argv)


JitPrefix()
for _name, _usage, _help in command_table():
    cls = type("Jit_" + _name.replace("-", "_"), (JitCommand,), {"__doc__": _help})
    cls(_name)


# ---- events --------------------------------------------------------------------------------------

def on_stop(event):
    try:
        session_call("jd_session_on_stop")
    except (JitError, gdb.error) as e:
        gdb.write("jit: %s\n" % e)


def on_new_objfile(event):
    if not event.new_objfile.filename.startswith("<in-memory@"):
        View.descriptors = None  # a new module may bring a registrar (JIT objfiles do not)
    # Watches set before the hooks' library was there go in as soon as it is.
    if lib().jd_session_watches_pending(SESSION) and target_kind() == 1:
        try:
            session_call("jd_session_write_watches")
        except (JitError, gdb.error):
            pass


def on_exited(event):
    View.descriptors = None
    View.exits += 1
    lib().jd_session_process_gone(SESSION, None)


gdb.events.stop.connect(on_stop)
gdb.events.new_objfile.connect(on_new_objfile)
gdb.events.exited.connect(on_exited)
