#!/usr/bin/env bash
# GDB 13 attached to jitdebug-executor; Debian's llvm-jitlink-16 links the clang fixture over
# loopback TCP. Pending breakpoints by name and by file:line resolve, and the stops show the source
# line, a local, the .data and .bss statics and a two-frame JIT backtrace.
. "$(dirname "$0")/lib.sh"
start_executor
{
	cat <<GDB
set pagination off
set breakpoint pending on
break jd_leaf
break jitfix.c:$(line_of leaf-add)
shell (timeout 60 $JITLINK --oop-executor-connect=127.0.0.1:$PORT $JD_FIXTURES/jitfix.o > $TMP/ctl.out 2>&1; echo rc=\$? >> $TMP/ctl.out) &
continue
GDB
	gdb_fixture_stops
} > "$TMP/cmds.gdb"
timeout 120 gdb -q -batch -nx -p "$EXPID" -x "$TMP/cmds.gdb" > "$TMP/gdb.out" 2>&1
wait_gone "$EXPID" 10
sleep 0.2
expect_gdb_fixture_stops "$TMP/gdb.out"
expect "JIT program completed" "$TMP/executor.out" "^jitfix: result=112 counter=42$"
expect "controller status 0" "$TMP/ctl.out" "^rc=0$"
finish
