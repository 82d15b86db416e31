#!/usr/bin/env bash
# In-process ORC: Debian's lli-16 --jit-linker=jitlink with the hooks preloaded, under GDB 13; the
# same checks as remote_gdb.sh (here .bss is placed from relocations: no memory manager reports).
. "$(dirname "$0")/lib.sh"
{
	cat <<GDB
set pagination off
set breakpoint pending on
set environment LD_PRELOAD=$HOOKS_SO
break jd_leaf
break jitfix.c:$(line_of leaf-add)
run
GDB
	gdb_fixture_stops
} > "$TMP/cmds.gdb"
timeout 120 gdb -q -batch -nx -x "$TMP/cmds.gdb" --args "$LLI" --jit-linker=jitlink "$(bitcode jitfix)" > "$TMP/gdb.out" 2>&1
expect_gdb_fixture_stops "$TMP/gdb.out"
expect "program completed" "$TMP/gdb.out" "^jitfix: result=112 counter=42$"
finish
