#!/usr/bin/env bash
# In-process ORC: Debian's lli-16 --jit-linker=jitlink with the hooks preloaded, under GDB 13.
. "$(dirname "$0")/lib.sh"
LEAF=$(line_of leaf-add)
cat > "$TMP/cmds.gdb" <<GDB
set pagination off
set breakpoint pending on
set environment LD_PRELOAD=$HOOKS_SO
break jd_leaf
break jitfix.c:$LEAF
run
bt 3
continue
printf "local=%d\n", local
printf "scale=%d\n", scale
continue
continue
printf "counter=%d\n", counter
delete
continue
GDB
timeout 120 gdb -q -batch -nx -x "$TMP/cmds.gdb" --args "$LLI" --jit-linker=jitlink "$JD_FIXTURES/jitfix.bc" > "$TMP/gdb.out" 2>&1
expect "pending breakpoint by name resolves" "$TMP/gdb.out" "Breakpoint 1, jd_leaf \(x=1\) at .*jitfix\.c:[0-9]+"
expect "pending breakpoint by file:line resolves" "$TMP/gdb.out" "Breakpoint 2, jd_leaf \(x=1\) at .*jitfix\.c:$LEAF"
expect "backtrace frame 1 in JIT code" "$TMP/gdb.out" "^#1  0x[0-9a-f]+ in jd_outer \(n=3\) at .*jitfix\.c:$(line_of outer-call)"
expect "local variable" "$TMP/gdb.out" "^local=7$"
expect ".data static" "$TMP/gdb.out" "^scale=7$"
expect ".bss static at its real address" "$TMP/gdb.out" "^counter=7$"
expect "program completed" "$TMP/gdb.out" "^jitfix: result=112 counter=42$"
finish
