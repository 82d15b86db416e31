#!/usr/bin/env bash
# Lazy mode + a watch: the executor keeps objects out of GDB's list (JITDEBUG_GDB=lazy) until one
# matches a watch set over the link; then the hooks announce it and call jitdebug_debugger_notify
# before the registration returns, i.e. before the object's code runs. GDB 13, attached, checks that
# order and that a breakpoint in the announced object then resolves.
. "$(dirname "$0")/lib.sh"
start_executor JITDEBUG_LISTEN=127.0.0.1:0 JITDEBUG_GDB=lazy
LINK=$(link_address "$TMP/executor.err")
"$JITDEBUG" watch --connect "$LINK" --symbol link_target --count 2 --timeout 60 > "$TMP/watch.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^watching' "$TMP/watch.out" && break; sleep 0.05; done
cat > "$TMP/cmds.gdb" <<GDB
set pagination off
set breakpoint pending on
break jitdebug_debugger_notify
shell (timeout 60 $JITLINK --oop-executor-connect=127.0.0.1:$PORT $JD_FIXTURES/linkwait.o > $TMP/ctl.out 2>&1) &
continue
printf "notified id=%llu\n", id
echo ==jit-list==\n
maint info jit
echo ==end==\n
info address link_target
shell echo "program output lines before notify returned: \$(grep -c link_target= $TMP/executor.out)"
delete
break link_target
continue
bt 1
delete
continue
GDB
timeout 120 gdb -q -batch -nx -p "$EXPID" -x "$TMP/cmds.gdb" > "$TMP/gdb.out" 2>&1
wait_gone "$EXPID" 10
expect "GDB stops in jitdebug_debugger_notify" "$TMP/gdb.out" "Breakpoint 1, .*jitdebug_debugger_notify \(id=(id@entry=)?[0-9]+\)"
sed -n '/==jit-list==/,/==end==/p' "$TMP/gdb.out" | grep -cE '^0x[0-9a-f]+ +0x[0-9a-f]+ +[0-9]+' > "$TMP/njit.txt"
expect "exactly the matching object is in GDB's JIT list" "$TMP/njit.txt" "^1$"
expect "its symbols are loaded at the stop" "$TMP/gdb.out" "Symbol \"link_target\" is a function at address 0x[0-9a-f]+"
expect "before the object's code ran" "$TMP/gdb.out" "program output lines before notify returned: 0"
expect "a breakpoint in it then resolves and hits" "$TMP/gdb.out" "Breakpoint 2, link_target \(x=2\) at .*linkwait\.c:[0-9]+"
expect "the watch client saw the match" "$TMP/watch.out" "^match watch 1 object [0-9]+$"
expect "the program completed" "$TMP/executor.out" "^link_target=0x"
finish
