#!/usr/bin/env bash
# LLDB 16 attached to jitdebug-executor; same checks as remote_gdb.sh.
. "$(dirname "$0")/lib.sh"
start_executor
LEAF=$(line_of leaf-add)
cat > "$TMP/cmds.lldb" <<LLDB
breakpoint set -n jd_leaf
breakpoint set -f jitfix.c -l $LEAF
script import subprocess; subprocess.Popen(['sh', '-c', 'timeout 60 $JITLINK --oop-executor-connect=127.0.0.1:$PORT $JD_FIXTURES/jitfix.o > $TMP/ctl.out 2>&1; echo rc=\$? >> $TMP/ctl.out'])
continue
bt 3
continue
frame variable local
target variable scale
continue
continue
target variable counter
breakpoint delete -f
continue
LLDB
timeout 120 "$LLDB" -b --no-lldbinit -p "$EXPID" -s "$TMP/cmds.lldb" > "$TMP/lldb.out" 2>&1
wait_gone "$EXPID" 10
sleep 0.2
expect "pending breakpoint by name resolves" "$TMP/lldb.out" "stop reason = breakpoint 1\.1"
expect "stop in jd_leaf with its line" "$TMP/lldb.out" "jd_leaf\(x=1\) at jitfix\.c:[0-9]+"
expect "pending breakpoint by file:line resolves" "$TMP/lldb.out" "stop reason = breakpoint 2\.1"
expect "file:line stop at the right line" "$TMP/lldb.out" "jd_leaf\(x=1\) at jitfix\.c:$LEAF"
expect "backtrace frame 1 in JIT code" "$TMP/lldb.out" "frame #1: 0x[0-9a-f]+ .*jd_outer\(n=3\) at jitfix\.c:$(line_of outer-call)"
expect "local variable" "$TMP/lldb.out" "\(int\) local = 7"
expect ".data static" "$TMP/lldb.out" "\(int\) scale = 7"
expect ".bss static at its real address" "$TMP/lldb.out" "\(int\) counter = 7"
expect "JIT program completed" "$TMP/executor.out" "^jitfix: result=112 counter=42$"
finish
