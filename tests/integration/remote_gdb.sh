#!/usr/bin/env bash
# GDB 13 attached to jitdebug-executor; Debian's llvm-jitlink-16 links the clang fixture over
# loopback TCP. Pending breakpoints by name and by file:line resolve, and the stops show the source
# line, a local, the .data and .bss statics and a two-frame JIT backtrace.
. "$(dirname "$0")/lib.sh"
start_executor
LEAF=$(line_of leaf-add)
cat > "$TMP/cmds.gdb" <<GDB
set pagination off
set breakpoint pending on
break jd_leaf
break jitfix.c:$LEAF
shell (timeout 60 $JITLINK --oop-executor-connect=127.0.0.1:$PORT $JD_FIXTURES/jitfix.o > $TMP/ctl.out 2>&1; echo rc=\$? >> $TMP/ctl.out) &
continue
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
timeout 120 gdb -q -batch -nx -p "$EXPID" -x "$TMP/cmds.gdb" > "$TMP/gdb.out" 2>&1
wait_gone "$EXPID" 10
sleep 0.2
expect "pending breakpoint by name resolves" "$TMP/gdb.out" "Breakpoint 1, jd_leaf \(x=1\) at .*jitfix\.c:[0-9]+"
expect "pending breakpoint by file:line resolves" "$TMP/gdb.out" "Breakpoint 2, jd_leaf \(x=1\) at .*jitfix\.c:$LEAF"
expect "source line shown" "$TMP/gdb.out" "^$LEAF[[:space:]]+counter \+= local;"
expect "backtrace frame 0" "$TMP/gdb.out" "^#0  jd_leaf \(x=1\) at .*jitfix\.c"
expect "backtrace frame 1 in JIT code" "$TMP/gdb.out" "^#1  0x[0-9a-f]+ in jd_outer \(n=3\) at .*jitfix\.c:$(line_of outer-call)"
expect "local variable" "$TMP/gdb.out" "^local=7$"
expect ".data static" "$TMP/gdb.out" "^scale=7$"
expect ".bss static at its real address" "$TMP/gdb.out" "^counter=7$"
expect "JIT program completed" "$TMP/executor.out" "^jitfix: result=112 counter=42$"
expect "controller status 0" "$TMP/ctl.out" "^rc=0$"
finish
