# GDB runs this when it loads libjitdebug-hooks or a jitdebug executor into a debugged process (GDB's
# auto-load convention: share/gdb/auto-load/<the library's real path>-gdb.py). It sources the
# jitdebug GDB plugin installed beside the library, so the `jit` command is there without a manual
# `source`. GDB trusts it because share/gdb/auto-load is in its default auto-load safe-path.
import os

import gdb


def _jitdebug_autoload():
    try:
        gdb.execute("help jit", False, True)
        return  # already sourced (by hand, or for another module)
    except gdb.error:
        pass
    objfile = gdb.current_objfile()
    if objfile is None or not objfile.filename:
        return
    # <prefix>/lib/libjitdebug-hooks.so.N or <prefix>/bin/jitdebug-executor-NN -> <prefix>/share/jitdebug/gdb
    prefix = os.path.dirname(os.path.dirname(os.path.realpath(objfile.filename)))
    plugin = os.path.join(prefix, "share", "jitdebug", "gdb", "jitdebug.py")
    if os.path.exists(plugin):
        gdb.execute("source " + plugin)
    else:
        gdb.write("jitdebug: the GDB plugin is not at %s; `source` it by hand\n" % plugin)


_jitdebug_autoload()
