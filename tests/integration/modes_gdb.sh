#!/usr/bin/env bash
# JITDEBUG_GDB=off|lazy|eager with lli-16 + the preloaded hooks under GDB: with off and lazy no
# object reaches GDB's JIT list (and a pending breakpoint never resolves); with eager all do. This
# also proves that ORC's objects go through the hooks, not through libLLVM's own JITLoaderGDB.
. "$(dirname "$0")/lib.sh"
run_mode() {
	cat > "$TMP/cmds-$1.gdb" <<GDB
set pagination off
set breakpoint pending on
set environment LD_PRELOAD=$HOOKS_SO
set environment JITDEBUG_GDB=$1
break jd_leaf
break exit
run
echo ==jit-list==\n
maint info jit
delete
continue
GDB
	timeout 120 gdb -q -batch -nx -x "$TMP/cmds-$1.gdb" --args "$LLI" --jit-linker=jitlink "$(bitcode jitfix)" > "$TMP/gdb-$1.out" 2>&1
}
for m in off lazy eager; do run_mode $m; done
# The empty-list checks below mean something only if GDB stopped at exit and listed the JIT list.
expect "off: stopped at exit and listed the JIT list" "$TMP/gdb-off.out" "^==jit-list==$"
expect "lazy: stopped at exit and listed the JIT list" "$TMP/gdb-lazy.out" "^==jit-list==$"
expect "off: the stop was the exit breakpoint" "$TMP/gdb-off.out" "Breakpoint 2, .*exit"
expect_not "off: breakpoint never resolves" "$TMP/gdb-off.out" "Breakpoint 1, jd_leaf"
expect "off: program still runs" "$TMP/gdb-off.out" "^jitfix: result=112 counter=42$"
expect_not "off: GDB's JIT list is empty" "$TMP/gdb-off.out" "^0x[0-9a-f]+ +0x[0-9a-f]+ +[0-9]+"
expect_not "lazy: GDB's JIT list is empty" "$TMP/gdb-lazy.out" "^0x[0-9a-f]+ +0x[0-9a-f]+ +[0-9]+"
expect "eager: breakpoint resolves" "$TMP/gdb-eager.out" "Breakpoint 1, jd_leaf \(x=1\)"
expect "eager: the object is in GDB's JIT list" "$TMP/gdb-eager.out" "^0x[0-9a-f]+ +0x[0-9a-f]+ +[0-9]+"
finish
