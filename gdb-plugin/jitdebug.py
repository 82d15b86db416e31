# jitdebug.py — GDB plugin: JIT objects on demand, pending breakpoints before JIT code runs, source
# maps, and JIT frames in core files. Load it with `source gdb-plugin/jitdebug.py`; `help jit` lists
# the commands (docs/gdb-plugin.md).
#
# Where objects come from. GDB stops every thread of the process (all-stop), the debug link's thread
# included, so while the process is stopped the plugin reads the hooks' registry (`jitdebug_registry`,
# docs/registry.md) from the process's memory: this works attached, through gdbserver, and on core
# files. The debug link (`jit connect`) is used when it can answer: in non-stop mode, or with no
# process attached. Watches for `jit break` are written into the process's `jitdebug_watches` table,
# which the hooks read at each registration (lazy mode: the matching object is put into GDB's JIT list
# before its code runs, so GDB's own JIT reader loads it and the breakpoint resolves).
#
# The registry and GDB's JIT list are walked by libjitdebug (jd_walk_registry, jd_walk_gdb_jit_list,
# through ctypes, reading GDB's view of the target): every read is checked, walks are capped and
# cycle-checked, and sizes read from the target are capped there. ELF is not parsed here either:
# libjitdebug turns a saved object into the GDB command that loads it (jd_gdb_add_symbol_file), and
# parses `jit break` locations and writes the watch table as the LLDB plugin does.
import atexit
import ctypes
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import gdb

MAX_FRAMES = 256               # frames examined per stop
# This file's folder, from the code being run: GDB's `source` compiles the file under its own name,
# while __file__ may still name a script that sourced this one (an auto-load script does).
_SELF = sys._getframe(0).f_code.co_filename
PLUGIN_DIR = os.path.dirname(os.path.abspath(_SELF)) if os.path.isfile(_SELF) else os.getcwd()


class JitError(gdb.GdbError):
    pass


class Entry(ctypes.Structure):
    """struct jd_registry_object of jitdebug.h."""
    _fields_ = [("entry", ctypes.c_uint64), ("id", ctypes.c_uint64), ("symfile", ctypes.c_uint64),
                ("size", ctypes.c_uint64), ("lo", ctypes.c_uint64), ("hi", ctypes.c_uint64),
                ("flags", ctypes.c_uint32), ("build_id_size", ctypes.c_uint32), ("build_id", ctypes.c_uint8 * 20),
                ("build_id_kind", ctypes.c_uint32), ("nsections", ctypes.c_uint32), ("sections", ctypes.c_uint64),
                ("section_size", ctypes.c_uint32)]


READ_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t)
WRITE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t)
FOUND_FN = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
MISSING_FN = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_void_p)


class Watch(ctypes.Structure):
    """struct jd_watch of jitdebug.h."""
    _fields_ = [("kind", ctypes.c_int), ("pattern", ctypes.c_char_p)]

OBJECT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Entry), ctypes.c_void_p)
SKIPPED_FN = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_void_p)


class Walk(ctypes.Structure):
    """struct jd_walk of jitdebug.h."""
    _fields_ = [("sz", ctypes.c_size_t), ("read", READ_FN), ("ctx", ctypes.c_void_p), ("object", OBJECT_FN),
                ("skipped", SKIPPED_FN), ("max_entries", ctypes.c_uint64)]


class RegistryHeader(ctypes.Structure):
    """struct jd_registry_header of jitdebug.h."""
    _fields_ = [("generation", ctypes.c_uint64), ("count", ctypes.c_uint64), ("mode", ctypes.c_uint32)]


class State:
    def __init__(self):
        self.loaded = {}          # object id -> cache file loaded with add-symbol-file
        self.first_symbols = {}   # object id -> its naming symbol (jit list)
        self.build_ids = {}       # another registrar's object id -> its build-id in hex (jit list)
        self.link = None          # "HOST:PORT"
        self.token = None
        self.watches = []         # (kind, pattern) of jit break
        self.watches_written = False
        self.cache_dir = None
        self.entries = None       # last registry walk
        self.generation = None
        self.skipped = []         # what the last walk skipped, and why
        self.seconds = 0.0
        self.loads = 0
        self.mode = None
        self.registrars = {}      # foreign object id -> the module whose descriptor lists it
        self.descriptors = None   # [(address, module)] of the other registrars (None: look up again)
        self.hooks_descriptors = []  # the hooks' own __jit_debug_descriptor (its list holds registry objects)
        self.foreign_skipped = [] # what the last walk of their lists skipped


S = State()


# ---- the target ---------------------------------------------------------------------------------

def inferior():
    return gdb.selected_inferior()


def target_kind():
    """'live', 'core' or None (no process)."""
    inf = inferior()
    conn = getattr(inf, "connection", None)
    if conn is not None and conn.type == "core":
        return "core"
    return "live" if inf.pid else None


def read(addr, size):
    if size < 0 or size > const("max_object_size"):
        raise JitError("refusing to read %d bytes at 0x%x" % (size, addr))
    try:
        return bytes(inferior().read_memory(addr, size))
    except (gdb.MemoryError, gdb.error) as e:
        raise JitError("cannot read %d bytes at 0x%x: %s" % (size, addr, e))


def symbol_address(name):
    try:
        return int(gdb.parse_and_eval("(unsigned long)&'%s'" % name))
    except gdb.error:
        return None


def cli():
    """The jitdebug CLI: $JITDEBUG_CLI, the build tree next to this file, or PATH."""
    env = os.environ.get("JITDEBUG_CLI")
    if env:
        return env
    built = os.path.join(os.path.dirname(PLUGIN_DIR), "build", "bin", "jitdebug")
    return built if os.access(built, os.X_OK) else (shutil.which("jitdebug") or "jitdebug")


def run_cli(args, timeout=30):
    try:
        p = subprocess.run([cli()] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           universal_newlines=True)
    except FileNotFoundError:
        raise JitError("the jitdebug CLI was not found (set JITDEBUG_CLI, or build the project)")
    except subprocess.TimeoutExpired:
        raise JitError("jitdebug %s: no answer within %d s" % (args[0], timeout))
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["exit status %d" % p.returncode])[-1]
        raise JitError(msg.replace("jitdebug: ", "", 1))
    return p.stdout


_LIB = None


def lib():
    """libjitdebug: $JITDEBUG_LIB, the build tree next to this file, an install prefix's lib/, or the
    loader's search path."""
    global _LIB
    if _LIB is None:
        root = os.path.dirname(PLUGIN_DIR)
        # The runtime name (libjitdebug.so.0): an installed system has no development link without the
        # -dev package.
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
        _LIB.jd_walk_registry.argtypes = [ctypes.c_uint64, ctypes.POINTER(Walk), ctypes.POINTER(RegistryHeader),
                                          ctypes.c_char_p, ctypes.c_size_t]
        _LIB.jd_parse_location.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_char_p,
                                            ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint32), ctypes.c_char_p,
                                            ctypes.c_size_t]
        _LIB.jd_watch_table_write.argtypes = [ctypes.c_uint64, ctypes.POINTER(Watch), ctypes.c_size_t, READ_FN, WRITE_FN,
                                              ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        _LIB.jd_gdb_add_symbol_file.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p,
                                                ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        _LIB.jd_source_map_auto.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                                            ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, FOUND_FN, MISSING_FN,
                                            ctypes.c_void_p]
        _LIB.jd_constant.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint64)]
        _LIB.jd_object_first_symbol.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        _LIB.jd_walk_gdb_jit_list.argtypes = [ctypes.c_uint64, ctypes.c_uint, ctypes.c_int, ctypes.POINTER(Walk),
                                              ctypes.POINTER(ctypes.c_uint64)]
        _LIB.jd_id_format.argtypes = [ctypes.c_uint64, ctypes.c_char_p, ctypes.c_size_t]
        _LIB.jd_id_parse.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint64)]
        _LIB.jd_object_bytes.argtypes = [ctypes.POINTER(Walk), ctypes.POINTER(Entry),
                                         ctypes.POINTER(ctypes.POINTER(ctypes.c_uint8)), ctypes.POINTER(ctypes.c_size_t),
                                         ctypes.POINTER(ctypes.c_int), ctypes.c_char_p, ctypes.c_size_t]
        _LIB.jd_free.argtypes = [ctypes.c_void_p]
        _LIB.jd_object_build_id.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint8),
                                            ctypes.POINTER(ctypes.c_uint32), ctypes.c_char_p, ctypes.c_size_t]
    return _LIB


def const(name):
    """A constant of the formats and limits, from libjitdebug (jd_constant): no number is copied here."""
    if name not in _CONSTS:
        value = ctypes.c_uint64()
        if lib().jd_constant(name.encode(), ctypes.byref(value)) != 0:
            raise JitError("libjitdebug does not know the constant %s (a mismatched library?)" % name)
        _CONSTS[name] = value.value
    return _CONSTS[name]


_CONSTS = {}


def mode_name(mode):
    for name in ("eager", "lazy", "off"):
        if mode == const("gdb_mode." + name):
            return name
    return "unknown (%d)" % mode


def announced(e):
    return bool(e.flags & const("object.announced"))


def foreign(e):
    return bool(e.flags & const("object.foreign"))


def id_text(i):
    """An object id as users see it (jd_id_format): decimal, or f<hex> for another registrar's."""
    out = ctypes.create_string_buffer(24)
    lib().jd_id_format(i, out, len(out))
    return out.value.decode()


def id_parse(text):
    """An object id as users type it (jd_id_parse), or None."""
    v = ctypes.c_uint64()
    return v.value if lib().jd_id_parse(text.encode(), ctypes.byref(v)) == 0 else None


def read_into(ctx, addr, buf, size):
    """A jd_read_fn over GDB's view of the target: 0, or -EFAULT."""
    try:
        ctypes.memmove(buf, read(addr, size), size)
        return 0
    except JitError:
        return -14  # -EFAULT


def walker(found, skipped):
    """A struct jd_walk reading through GDB, appending objects to found and problems to skipped. The
    callbacks are returned too: they must live as long as the walk."""
    def object_cb(obj, ctx):
        found.append(Entry.from_buffer_copy(obj.contents))
        return 0

    def skipped_cb(what, ctx):
        skipped.append(what.decode(errors="replace"))

    callbacks = (READ_FN(read_into), OBJECT_FN(object_cb), SKIPPED_FN(skipped_cb))
    return Walk(ctypes.sizeof(Walk), callbacks[0], None, callbacks[1], callbacks[2], 0), callbacks


def cache_dir():
    if S.cache_dir is None:
        base = os.environ.get("JITDEBUG_CACHE")
        if base:
            os.makedirs(base, mode=0o700, exist_ok=True)
            S.cache_dir = tempfile.mkdtemp(prefix="gdb-", dir=base)
        else:
            # The system temp directory's copy lives as long as this GDB: removed at exit.
            S.cache_dir = tempfile.mkdtemp(prefix="jitdebug-gdb-")
            atexit.register(shutil.rmtree, S.cache_dir, True)
    return S.cache_dir


# ---- the registry in the target's memory ----------------------------------------------------------

def require_target():
    if target_kind() is None:
        raise JitError("no process and no core file: nothing to read JIT objects from")


def walk_registry(force=False):
    """The live objects, oldest first. Raises JitError when there is no registry to read."""
    require_target()
    base = symbol_address("jitdebug_registry")
    if base is None:
        raise JitError("no jitdebug_registry in this process: is it running with the jitdebug hooks "
                       "(jitdebug-executor, LD_PRELOAD=libjitdebug-hooks.so, or linked in)?")
    generation = struct.unpack("<Q", read(base + const("registry.generation"), 8))[0]
    if not force and S.entries is not None and generation == S.generation and generation % 2 == 0:
        return S.entries
    entries, skipped = [], []
    walk, _callbacks = walker(entries, skipped)
    hdr, err = RegistryHeader(), ctypes.create_string_buffer(256)
    if lib().jd_walk_registry(base, ctypes.byref(walk), ctypes.byref(hdr), err, len(err)) != 0:
        raise JitError(err.value.decode(errors="replace"))
    S.mode = mode_name(hdr.mode)
    S.entries, S.generation, S.skipped = entries, hdr.generation, skipped
    return entries


def module_of(addr):
    """The file of the module holding addr: a shared library, or the program."""
    name = gdb.solib_name(addr)
    return name or gdb.current_progspace().filename or "the program"


def descriptors():
    """[(address, module)] of every other registrar's __jit_debug_descriptor (libLLVM's GDB listener,
    hand-written JITs), one per module: the ones with debug info from each objfile, the others from
    GDB's minimal symbols. The hooks' own (in the module defining jitdebug_registry) is left out: its
    objects are the registry's."""
    if S.descriptors is not None:
        return S.descriptors
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
    out = sorted((a, module_of(a)) for a in found)
    S.descriptors = [(a, m) for a, m in out if m != hooks]
    S.hooks_descriptors = [a for a, m in out if m == hooks]
    return S.descriptors


def walk_list(addr, found, problems):
    """Walks the GDB JIT list at addr with libjitdebug, with the target's pointer size and byte order."""
    ptr = gdb.lookup_type("void").pointer().sizeof
    big = "little" not in gdb.execute("show endian", to_string=True)
    walk, _callbacks = walker(found, problems)
    lib().jd_walk_gdb_jit_list(addr, ptr, int(big), ctypes.byref(walk), None)


def walk_foreign():
    """(objects, problems) of the other registrars' GDB JIT lists; each object's registrar is
    remembered for `jit list`."""
    objects, problems = [], []
    for addr, module in descriptors():
        found = []
        walk_list(addr, found, problems)
        for e in found:
            S.registrars[e.id] = os.path.basename(module)
        objects += found
    return objects, problems


def all_objects(force=False):
    """The registry's objects (when the hooks are there) and every other registrar's. Raises
    JitError when there is neither."""
    require_target()
    has_registry = symbol_address("jitdebug_registry") is not None
    entries = list(walk_registry(force)) if has_registry else []
    others, problems = walk_foreign()
    if not has_registry and not S.descriptors:
        raise JitError("no jitdebug_registry and no GDB JIT descriptor in this process: is a JIT running?")
    S.foreign_skipped = problems
    return entries + others


def gdb_jit_symfiles():
    """The object addresses GDB's own JIT reader has loaded (maint info jit), from any registrar."""
    try:
        text = gdb.execute("maint info jit", False, True)
    except gdb.error:
        return set()
    out = set()
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[1].startswith("0x"):
            try:
                out.add(int(words[1], 16))
            except ValueError:
                pass
    return out


def entry_for(pc, entries):
    for e in entries:
        if e.lo <= pc < e.hi:
            return e
    return None


def pid_args():
    """--pid for the CLI: a live process's link must be served by that process (a forked child may
    hold its parent's address)."""
    return ["--pid", str(inferior().pid)] if target_kind() == "live" else []


def link_usable():
    """The link answers only while the process runs: in non-stop mode, or when GDB has no process."""
    return S.link is not None and (target_kind() is None or gdb.parameter("non-stop"))


def save_object(e):
    """Saves the object to the cache: (its path, the GDB command that loads it at its addresses)."""
    path = os.path.join(cache_dir(), "%d-%s.o" % (inferior().pid, id_text(e.id)))
    if link_usable() and not foreign(e):
        args = ["fetch", "--connect", S.link, id_text(e.id), "-o", path] + pid_args()
        run_cli(args + (["--token", S.token] if S.token else []), timeout=120)
        with open(path, "rb") as f:
            data = f.read()
    else:
        data = object_bytes(e)
        with open(path, "wb") as f:
            f.write(data)
    return path, add_symbol_file_command(path, data)


def build_id_text(e):
    """The registry's build-id; for another registrar's object, computed from its bytes by libjitdebug
    (jd_object_build_id, as the hooks and the link compute it). "-" when there is none."""
    if e.build_id_size:
        return bytes(e.build_id[:e.build_id_size]).hex()
    if not foreign(e):
        return "-"
    if e.id not in S.build_ids:
        text = "-"
        try:
            data = read(e.symfile, e.size)
            out, n = (ctypes.c_uint8 * 20)(), ctypes.c_uint32()
            if lib().jd_object_build_id(data, len(data), out, ctypes.byref(n), None, 0) > 0:
                text = bytes(out[:n.value]).hex()
        except JitError:
            pass
        S.build_ids[e.id] = text
    return S.build_ids[e.id]


def object_bytes(e):
    """The object's bytes from the target, or, when the process or core lacks them, fetched by its
    build-id from DEBUGINFOD_URLS and placed at the recorded addresses (libjitdebug's jd_object_bytes:
    the same code as `jitdebug core`)."""
    walk, _callbacks = walker([], [])
    data, size, fetched = ctypes.POINTER(ctypes.c_uint8)(), ctypes.c_size_t(), ctypes.c_int()
    err = ctypes.create_string_buffer(600)
    if lib().jd_object_bytes(ctypes.byref(walk), ctypes.byref(e), ctypes.byref(data), ctypes.byref(size),
                             ctypes.byref(fetched), err, len(err)) != 0:
        raise JitError(err.value.decode(errors="replace"))
    try:
        out = ctypes.string_at(data, size.value)
    finally:
        lib().jd_free(data)
    if fetched.value:
        gdb.write("jit: object %s fetched by build-id %s\n" % (id_text(e.id), build_id_text(e)))
    return out


def add_symbol_file_command(path, data):
    """`add-symbol-file PATH -s SECTION ADDR ...`, built by libjitdebug (jd_gdb_add_symbol_file) from the
    object's section headers: ELF is not parsed here."""
    out, err = ctypes.create_string_buffer(16384), ctypes.create_string_buffer(256)
    if lib().jd_gdb_add_symbol_file(data, len(data), path.encode(), out, len(out), err, len(err)) != 0:
        raise JitError(err.value.decode(errors="replace"))
    return out.value.decode()


def gdb_has(e, jit_symfiles=None):
    """Whether GDB's own JIT reader loaded the object: GDB lists its bytes (maint info jit). Being in
    the hooks' GDB list is not enough: when the program itself defines __jit_debug_descriptor, GDB 13
    reads the program's descriptor for every module's __jit_debug_register_code and never sees the
    hooks' list (docs/registrars.md)."""
    if jit_symfiles is None:
        jit_symfiles = gdb_jit_symfiles()
    return e.symfile in jit_symfiles


def load_entries(todo, quiet=False):
    """Loads the objects (skipping those GDB's JIT reader or this plugin already has). Returns how many
    were loaded; objects that fail are reported and skipped."""
    jit_symfiles = gdb_jit_symfiles()
    todo = [e for e in todo if e.id not in S.loaded and not gdb_has(e, jit_symfiles)]
    t0, done = time.monotonic(), 0
    for i, e in enumerate(todo):
        try:
            path, cmd = save_object(e)
            gdb.execute(cmd, False, True)
            S.loaded[e.id] = path
            done += 1
        except (JitError, gdb.error) as err:
            gdb.write("jit: object %s skipped: %s\n" % (id_text(e.id), err))
        if not quiet and len(todo) >= 1000 and (i + 1) % 1000 == 0:
            gdb.write("jit: loaded %d/%d objects\n" % (i + 1, len(todo)))
            gdb.flush()
    S.loads += done
    S.seconds += time.monotonic() - t0
    return done


def unload_ids(ids):
    for i in ids:
        path = S.loaded.pop(i, None)
        if path:
            try:
                gdb.execute("remove-symbol-file %s" % path, False, True)
            except gdb.error:
                pass


MAX_THREADS = 1024             # threads examined per stop or core


def frame_pcs(limit):
    """PCs of up to `limit` frames of the selected thread, innermost first."""
    pcs = []
    try:
        frame = gdb.newest_frame()
    except gdb.error:
        return pcs
    while frame is not None and len(pcs) < limit:
        pcs.append(frame.pc())
        try:
            frame = frame.older()
        except gdb.error:
            break
    return pcs


def load_frames_objects():
    """Loads the objects that cover the PCs of every thread's frames (threads and frames capped),
    until none is missing (unwinding may reveal further JIT frames once one is loaded). In a core of a
    live executor the JIT code runs in another thread than the one GDB selects, so all are looked at.
    The selected thread is restored. Returns how many were loaded."""
    total = 0
    try:
        selected = gdb.selected_thread()
        threads = list(inferior().threads())[:MAX_THREADS]
    except gdb.error:
        return total
    try:
        for _ in range(16):
            entries = all_objects()
            want = []
            for t in threads:
                if not t.is_valid():
                    continue
                t.switch()
                for pc in frame_pcs(MAX_FRAMES):
                    e = entry_for(pc, entries)
                    if e is not None and e.id not in S.loaded and e not in want:
                        want.append(e)
            got = load_entries(want, quiet=True) if want else 0
            if not got:
                return total
            total += got
            gdb.invalidate_cached_frames()
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
    return total


def sync_unregistered():
    """Objects unregistered in the process are unloaded from GDB."""
    if not S.loaded:
        return
    live = {e.id for e in all_objects()}
    unload_ids([i for i in list(S.loaded) if i not in live])


def write_watches():
    """Writes `jit break` watches into the process's jitdebug_watches table (live processes only),
    with libjitdebug's jd_watch_table_write through GDB's memory reads and writes."""
    if target_kind() != "live" or not S.watches:
        return False
    base = symbol_address("jitdebug_watches")
    if base is None:
        return False
    inf = inferior()

    def write_cb(ctx, addr, buf, size):
        try:
            inf.write_memory(addr, ctypes.string_at(buf, size))
            return 0
        except (gdb.MemoryError, gdb.error):
            return -14

    patterns = [p.encode() for _, p in S.watches]
    watches = (Watch * len(S.watches))(*[Watch(k, p) for (k, _), p in zip(S.watches, patterns)])
    err = ctypes.create_string_buffer(256)
    if lib().jd_watch_table_write(base, watches, len(S.watches), READ_FN(read_into), WRITE_FN(write_cb), None,
                                  err, len(err)) != 0:
        raise JitError(err.value.decode(errors="replace"))
    S.watches_written = True
    return True


def parse_location(spec):
    """(kind, pattern) of a `jit break` location, parsed by libjitdebug (jd_parse_location) as the LLDB
    plugin parses it: FUNCTION (C++ names included) or FILE:LINE."""
    kind, line = ctypes.c_int(), ctypes.c_uint32()
    name, err = ctypes.create_string_buffer(256), ctypes.create_string_buffer(256)
    if lib().jd_parse_location(spec.encode(), ctypes.byref(kind), name, len(name), ctypes.byref(line), err,
                               len(err)) != 0:
        raise JitError(err.value.decode(errors="replace"))
    return kind.value, name.value.decode()


# ---- events --------------------------------------------------------------------------------------

def on_stop(event):
    if target_kind() != "live":
        return
    t0 = time.monotonic()
    try:
        if S.watches and not S.watches_written:
            write_watches()
        if symbol_address("jitdebug_registry") is None and not descriptors():
            return
        sync_unregistered()
        load_frames_objects()
    except (JitError, gdb.error) as e:
        gdb.write("jit: %s\n" % e)
    S.seconds += time.monotonic() - t0


def on_new_objfile(event):
    if not event.new_objfile.filename.startswith("<in-memory@"):
        S.descriptors = None  # a new module may bring a registrar (JIT objfiles do not)
    if S.watches and not S.watches_written and target_kind() == "live":
        try:
            write_watches()
        except (JitError, gdb.error):
            pass


def on_exited(event):
    S.descriptors = None
    S.registrars.clear()
    S.loaded.clear()
    S.first_symbols.clear()
    S.build_ids.clear()
    S.entries = None
    S.watches_written = False


# ---- commands ------------------------------------------------------------------------------------

def parse_options(arg, flags=(), valued=()):
    words, opts = gdb.string_to_argv(arg), {}
    rest = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in flags:
            opts[w] = True
        elif w in valued:
            if i + 1 >= len(words):
                raise JitError("%s needs a value" % w)
            opts[w] = words[i + 1]
            i += 1
        elif w.startswith("--"):
            raise JitError("unknown option %s" % w)
        else:
            rest.append(w)
        i += 1
    return opts, rest


class JitPrefix(gdb.Command):
    """jitdebug: JIT code as debuggable as static code.

jit connect [HOST:PORT] [--token T]   use the process's debug link
jit list                              JIT objects of every registrar (the hooks' registry and others)
jit load ID|all|ADDR                  load objects into GDB at their addresses
jit unload ID|all                     unload them
jit break LOCATION                    breakpoint (function or FILE:LINE) resolved before the JIT code runs
jit source-map FROM TO | --auto DIR...  where JIT sources live now
jit status                            connection, mode, objects, watches, time spent
jit load-core [--all]                 symbolize JIT frames in a core file"""

    def __init__(self):
        super().__init__("jit", gdb.COMMAND_USER, gdb.COMPLETE_NONE, True)


class JitConnect(gdb.Command):
    """Use the process's debug link: jit connect [HOST:PORT] [--token T].
Without an address, the address the process published (jitdebug_link_address) is used. The link answers
while the process runs, so it is used in non-stop mode or with no process; in all-stop mode objects
are read from the stopped process's memory."""

    def __init__(self):
        super().__init__("jit connect", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        opts, rest = parse_options(arg, valued=("--token",))
        if len(rest) > 1:
            raise JitError("usage: jit connect [HOST:PORT] [--token T]")
        addr = rest[0] if rest else None
        if addr is None:
            if target_kind() != "live":
                raise JitError("no process to discover the link from: give HOST:PORT")
            base = symbol_address("jitdebug_link_address")
            raw = read(base, 128) if base is not None else b""
            addr = raw.split(b"\0", 1)[0].decode(errors="replace")
            if not addr:
                raise JitError("the process has no debug link (start it with JITDEBUG_LISTEN=127.0.0.1:0)")
        if ":" not in addr:
            raise JitError("bad address %r: expected HOST:PORT" % addr)
        S.link, S.token = addr, opts.get("--token", S.token)
        if link_usable():
            args = ["list", "--connect", addr, "--json"] + pid_args() + (["--token", S.token] if S.token else [])
            try:
                run_cli(args, timeout=15)
            except JitError:
                S.link = None
                raise
            gdb.write("jit: connected to %s\n" % addr)
        else:
            gdb.write("jit: link %s recorded; the process is stopped (all-stop), so objects are read from "
                      "its memory now and the link is used in non-stop mode\n" % addr)


class JitList(gdb.Command):
    """List the JIT objects: id, address range, size, and whether GDB has them loaded."""

    def __init__(self):
        super().__init__("jit list", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        if arg.strip():
            raise JitError("usage: jit list")
        entries = all_objects(force=True)
        jit_symfiles = gdb_jit_symfiles()
        gdb.write("%-14s %-33s %10s  %-40s %-9s %-18s %s\n" % ("id", "range", "bytes", "build-id", "state", "registrar",
                                                               "first symbol"))
        for e in entries:
            if e.id in S.loaded:
                state = "loaded"
            elif gdb_has(e, jit_symfiles):
                state = "gdb-jit"
            else:
                state = "-"
            name = first_symbol(e)
            registrar = S.registrars.get(e.id, "?") if foreign(e) else "jitdebug"
            gdb.write("%-14s 0x%012x-0x%012x %10d  %-40s %-9s %-18s %s\n" % (
                id_text(e.id), e.lo, e.hi, e.size, build_id_text(e), state, registrar, name))
        for s in S.skipped + S.foreign_skipped:
            gdb.write("jit: skipped: %s\n" % s)
        n_foreign = sum(1 for e in entries if foreign(e))
        gdb.write("%d objects (%d from other registrars), %d loaded by the plugin\n" % (
            len(entries), n_foreign, len(S.loaded)))


def first_symbol(e):
    """The object's naming symbol, chosen by libjitdebug (jd_object_first_symbol) as the CLI, the link
    and the LLDB plugin choose it. Objects do not change while registered: cached by id."""
    if e.id in S.first_symbols:
        return S.first_symbols[e.id]
    try:
        data = read(e.symfile, e.size)
    except JitError:
        # Not in memory (a core without the objects): the copy loaded by build-id, if any.
        try:
            with open(S.loaded[e.id], "rb") as f:
                data = f.read()
        except (KeyError, OSError):
            return ""
    out = ctypes.create_string_buffer(256)
    lib().jd_object_first_symbol(data, len(data), out, len(out))
    name = out.value.decode(errors="replace")
    S.first_symbols[e.id] = name
    return name


def select(arg, entries):
    """Entries named by `all`, an object id (decimal), or an address expression."""
    if arg == "all":
        return list(entries)
    wanted = id_parse(arg)
    if wanted is not None:
        hit = [e for e in entries if e.id == wanted]
        if not hit:
            raise JitError("object %s: no such object (unregistered, or never registered)" % arg)
        return hit
    try:
        addr = int(gdb.parse_and_eval(arg))
    except gdb.error as e:
        raise JitError("not an object id or address: %s (%s)" % (arg, e))
    e = entry_for(addr, entries)
    if e is None:
        raise JitError("no JIT object covers 0x%x" % addr)
    return [e]


class JitLoad(gdb.Command):
    """Load JIT objects at their addresses: jit load ID|all|ADDR."""

    def __init__(self):
        super().__init__("jit load", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if len(words) != 1:
            raise JitError("usage: jit load ID|all|ADDR")
        todo = select(words[0], all_objects(force=True))
        n = load_entries(todo)
        gdb.write("jit: loaded %d object%s\n" % (n, "" if n == 1 else "s"))


class JitUnload(gdb.Command):
    """Unload objects the plugin loaded: jit unload ID|all."""

    def __init__(self):
        super().__init__("jit unload", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if len(words) != 1 or not (words[0] == "all" or id_parse(words[0]) is not None):
            raise JitError("usage: jit unload ID|all")
        ids = list(S.loaded) if words[0] == "all" else [id_parse(words[0])]
        if words[0] != "all" and ids[0] not in S.loaded:
            raise JitError("object %s is not loaded by the plugin" % words[0])
        unload_ids(ids)
        gdb.write("jit: unloaded %d object%s\n" % (len(ids), "" if len(ids) == 1 else "s"))


class JitBreak(gdb.Command):
    """Breakpoint on JIT code that may not exist yet: jit break FUNCTION | FILE:LINE.
The process is told to watch for it (lazy mode: the matching object is handed to GDB before its code
runs), and a pending GDB breakpoint is set."""

    def __init__(self):
        super().__init__("jit break", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if len(words) != 1:
            raise JitError("usage: jit break FUNCTION | FILE:LINE")
        spec = words[0]
        watch = parse_location(spec)
        if watch not in S.watches:
            S.watches.append(watch)
            S.watches_written = False
        try:
            written = write_watches()
        except JitError:
            S.watches.remove(watch)
            raise
        old = gdb.parameter("breakpoint pending")
        gdb.execute("set breakpoint pending on", False, True)
        try:
            out = gdb.execute("break %s" % spec, False, True)
        finally:
            gdb.execute("set breakpoint pending %s" % {True: "on", False: "off", None: "auto"}[old], False, True)
        gdb.write(out)
        if not written:
            if target_kind() == "live" and symbol_address("jitdebug_registry") is None:
                # PostgreSQL, MCJIT with libLLVM's listener: GDB's own JIT reader resolves it.
                gdb.write("jit: no jitdebug hooks in this process: the breakpoint resolves when another "
                          "registrar announces the code\n")
            else:
                gdb.write("jit: the watch is written into the process when it starts\n")


class JitSourceMap(gdb.Command):
    """Where JIT sources live now: jit source-map FROM TO, or jit source-map --auto DIR...
--auto reads the source files of the loaded JIT objects and, for each one not found, looks under the
DIRs for the file with the longest matching path suffix, then sets substitute-path."""

    def __init__(self):
        super().__init__("jit source-map", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if words and words[0] == "--auto":
            if len(words) < 2:
                raise JitError("usage: jit source-map --auto DIR...")
            for d in words[1:]:
                if not os.path.isdir(d):
                    raise JitError("%s: not a directory" % d)
            return auto_source_map(words[1:])
        if len(words) != 2 or words[0].startswith("--"):
            raise JitError("usage: jit source-map FROM TO | --auto DIR...")
        gdb.execute("set substitute-path %s %s" % (words[0], words[1]), False, True)
        gdb.write("jit: %s -> %s\n" % (words[0], words[1]))


def jit_source_files():
    """Source files of JIT objfiles (GDB's JIT reader's in-memory ones and the plugin's)."""
    text = gdb.execute("info sources", False, True)
    files, in_jit = set(), False
    ours = S.cache_dir or "\0"
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            name = line[:-1]
            in_jit = name.startswith("<in-memory@") or name.startswith(ours)
            continue
        if in_jit:
            for f in line.split(","):
                f = f.strip()
                if f.startswith("/"):
                    files.add(f)
    return sorted(files)


def auto_source_map(dirs):
    missing = [f for f in jit_source_files() if not os.path.exists(f)]
    if not missing:
        gdb.write("jit: every source file of the loaded JIT objects is where its debug info says\n")
        return
    maps, lost = [], []

    def on_found(src, dst, f, ctx):
        maps.append((src.decode(errors="replace"), dst.decode(errors="replace"), f.decode(errors="replace")))

    def on_missing(f, ctx):
        lost.append(f.decode(errors="replace"))

    # libjitdebug indexes the directories and matches the files (jd_source_map_auto), as for LLDB.
    files = (ctypes.c_char_p * len(missing))(*[f.encode() for f in missing])
    roots = (ctypes.c_char_p * len(dirs))(*[d.encode() for d in dirs])
    if lib().jd_source_map_auto(files, len(missing), roots, len(dirs), FOUND_FN(on_found), MISSING_FN(on_missing),
                                None) != 0:
        raise JitError("out of memory while indexing %s" % " ".join(dirs))
    for f in lost:
        gdb.write("jit: %s: not found under %s\n" % (f, " ".join(dirs)))
    for src, dst, f in maps:
        gdb.execute("set substitute-path %s %s" % (src, dst), False, True)
        gdb.write("jit: mapped %s -> %s (%s)\n" % (src, dst, f))


class JitStatus(gdb.Command):
    """Connection, hooks mode, objects known and loaded, watches, time spent."""

    def __init__(self):
        super().__init__("jit status", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        kind = target_kind()
        gdb.write("target: %s\n" % (kind or "none"))
        gdb.write("link: %s%s\n" % (S.link or "not connected",
                                    "" if not S.link else (" (in use)" if link_usable() else " (not used while stopped)")))
        try:
            entries = walk_registry()
            gdb.write("mode: %s\nobjects: %d known, %d loaded by the plugin, %d announced to GDB\n" % (
                S.mode, len(entries), len(S.loaded), sum(1 for e in entries if announced(e))))
        except JitError as e:
            gdb.write("registry: %s\n" % e)
        if kind is not None:
            others = descriptors()
            for addr, module in others:
                gdb.write("registrar: %s (__jit_debug_descriptor at 0x%x)\n" % (module, addr))
            if others and symbol_address("jitdebug_registry") is not None:
                gdb.write("note: %d GDB JIT descriptor%s besides the hooks': stock LLDB follows one per process, "
                          "GDB the program's own for every module if the program defines one; the plugins read "
                          "all\n" % (len(others), "" if len(others) == 1 else "s"))
        gdb.write("watches: %s\n" % (", ".join("%s %s" % ("function" if k == 1 else "file", p) for k, p in S.watches)
                                     or "none"))
        gdb.write("time spent: %.3f s in %d loads\n" % (S.seconds, S.loads))


class JitLoadCore(gdb.Command):
    """Symbolize JIT frames of a core file: jit load-core [--all].
Reads the hooks' registry from the core's memory and loads the objects that cover the backtrace's
PCs (every object with --all). Every read is checked and list walks are capped."""

    def __init__(self):
        super().__init__("jit load-core", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        opts, rest = parse_options(arg, flags=("--all",))
        if rest:
            raise JitError("usage: jit load-core [--all]")
        if target_kind() is None:
            raise JitError("no core file (core-file FILE first)")
        t0 = time.monotonic()
        S.descriptors = None
        entries = all_objects(force=True)
        hooks_problems = []  # the hooks' own GDB JIT list: walked for what is wrong with it only
        for addr in S.hooks_descriptors:
            walk_list(addr, [], hooks_problems)
        for s in S.skipped + S.foreign_skipped + hooks_problems:
            gdb.write("jit: skipped: %s\n" % s)
        if "--all" in opts:
            n = load_entries(entries)
        else:
            n = load_frames_objects()
        counts = {}
        for e in entries:
            if foreign(e):
                counts[S.registrars.get(e.id, "?")] = counts.get(S.registrars.get(e.id, "?"), 0) + 1
        per = "".join(", %d from %s" % (c, m) for m, c in sorted(counts.items()))
        n_registry = sum(1 for e in entries if not foreign(e))
        gdb.write("jit: %d objects in the registry%s; loaded %d in %.2f s\n" % (
            n_registry, per, n, time.monotonic() - t0))


for cls in (JitPrefix, JitConnect, JitList, JitLoad, JitUnload, JitBreak, JitSourceMap, JitStatus, JitLoadCore):
    cls()
gdb.events.stop.connect(on_stop)
gdb.events.new_objfile.connect(on_new_objfile)
gdb.events.exited.connect(on_exited)
