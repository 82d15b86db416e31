#!/usr/bin/env bash
# The GDB plugin (gdb-plugin/jitdebug.py) with real GDB 13 on jitdebug-executor + Debian's
# llvm-jitlink-16: `jit break` by name and FILE:LINE resolving before the JIT code runs (lazy and
# eager, attached with -p and through gdbserver on loopback); a crash in JIT code symbolized on stop
# (lazy); unregistration unloading; `jit load-core` on a core of that crash and on corrupted cores;
# `jit source-map --auto` after the sources moved; a core of a *running* executor (the JIT code in a
# worker thread, GDB's selected thread waiting in the executor's main), with `jit list` naming each
# object by its function as the CLI does; bad input.
. "$(dirname "$0")/lib.sh"
PLUGIN=$JD_SRC/gdb-plugin/jitdebug.py
CRASH_SRC=$JD_SRC/tests/fixtures/crash.c
L_STORE=$(grep -n 'MARK:crash-store' "$CRASH_SRC" | cut -d: -f1)
L_CALL=$(grep -n 'MARK:crash-call' "$CRASH_SRC" | cut -d: -f1)
export JITDEBUG_CLI=$JITDEBUG

# gdb_session NAME MODE HOW [COMMANDS-AFTER-THE-BREAKS] — attaches to a new executor (HOW: attach or
# gdbserver), sets the two jit breaks, starts the controller, and continues to both breakpoints.
gdb_session() {
	local name=$1 mode=$2 how=$3 target
	start_executor JITDEBUG_GDB="$mode"
	if [ "$how" = gdbserver ]; then
		timeout 120 gdbserver --once --attach 127.0.0.1:0 "$EXPID" > "$TMP/$name.gs" 2>&1 &
		PIDS+=($!)
		local gport=
		for _ in $(seq 200); do gport=$(sed -n 's/^Listening on port \([0-9]*\)$/\1/p' "$TMP/$name.gs"); [ -n "$gport" ] && break; sleep 0.05; done
		target="-ex 'target remote 127.0.0.1:$gport'"
	else
		target="-p $EXPID"
	fi
	cat > "$TMP/$name.gdb" <<GDB
set pagination off
set confirm off
source $PLUGIN
jit break jd_crash_outer
jit break crash.c:$L_STORE
shell (timeout 60 $JITLINK --oop-executor-connect=127.0.0.1:$PORT $JD_FIXTURES/crash.o > $TMP/$name.ctl 2>&1) &
continue
bt 2
continue
bt 2
jit status
kill
GDB
	eval timeout 180 gdb -q -batch -nx $target -x "$TMP/$name.gdb" > "$TMP/$name.out" 2>&1
	kill -9 "$EXPID" 2>/dev/null
	expect "$name: jit break by name stops in jd_crash_outer before it ran" "$TMP/$name.out" "(^|hit )Breakpoint 1, jd_crash_outer \(v=41\) at .*crash\.c:$L_CALL$"
	expect "$name: jit break by FILE:LINE stops in jd_crash_inner" "$TMP/$name.out" "(^|hit )Breakpoint 2, jd_crash_inner \(p=0x0, v=42\) at .*crash\.c:$L_STORE$"
	expect "$name: bt shows the caller with its line" "$TMP/$name.out" "^#1 +0x[0-9a-f]+ in jd_crash_outer \(v=41\) at .*crash\.c:$L_CALL$"
	# Both breakpoints come before the crash, which then still happens (the code really ran on).
	awk '/Breakpoint 1, jd_crash_outer/ && !b1 { b1 = NR } /Breakpoint 2, jd_crash_inner/ && !b2 { b2 = NR }
	     /SIGSEGV/ && !s { s = NR } END { print (b1 && b2 && b1 < b2 && (!s || b2 < s)) ? "order ok" : "order wrong" }' \
		"$TMP/$name.out" > "$TMP/$name.order"
	expect "$name: both stops happen in order, before any crash" "$TMP/$name.order" "^order ok$"
}
gdb_session lazy-attach lazy attach
expect "lazy-attach: the watches are listed" "$TMP/lazy-attach.out" "^watches: function jd_crash_outer, file crash\.c$"
expect "lazy-attach: hooks mode lazy" "$TMP/lazy-attach.out" "^mode: lazy$"
gdb_session eager-attach eager attach
gdb_session lazy-gdbserver lazy gdbserver
gdb_session eager-gdbserver eager gdbserver

# Lazy mode, no breakpoints: the crash stop loads the faulting object, bt is symbolized; then cores.
# The sources are compiled in one directory and moved to another, for the source map.
mkdir -p "$TMP/build/src/app" "$TMP/moved/project"
cp "$CRASH_SRC" "$TMP/build/src/app/crash.c"
(cd "$TMP/build" && "$LLVM_BIN/clang" -g -O0 -c src/app/crash.c -o "$TMP/crash-moved.o")
mv "$TMP/build/src" "$TMP/moved/project/src"
start_executor JITDEBUG_GDB=lazy
cat > "$TMP/crash.gdb" <<GDB
set pagination off
set confirm off
source $PLUGIN
shell (timeout 60 $JITLINK --oop-executor-connect=127.0.0.1:$PORT $TMP/crash-moved.o > $TMP/crash.ctl 2>&1) &
continue
bt 3
echo ==list-before==\n
list jd_crash_inner
echo ==auto==\n
jit source-map --auto $TMP/moved
echo ==list-after==\n
list jd_crash_inner
jit list
generate-core-file $TMP/core
set \$f = jitdebug_registry.first
set {unsigned long}(\$f + 32) = 0xffffffffffff
set {unsigned long}\$f = \$f
generate-core-file $TMP/core-cycle
set jitdebug_registry.first = 0x10
generate-core-file $TMP/core-badptr
kill
GDB
timeout 180 gdb -q -batch -nx -p "$EXPID" -x "$TMP/crash.gdb" > "$TMP/crash.out" 2>&1
kill -9 "$EXPID" 2>/dev/null
expect "lazy crash: the stop loads the object, frame #0 named with its line" "$TMP/crash.out" "^#0 +0x[0-9a-f]+ in jd_crash_inner \(p=0x0, v=42\) at .*crash\.c:$L_STORE$"
expect "lazy crash: frame #1 named with its line" "$TMP/crash.out" "^#1 +0x[0-9a-f]+ in jd_crash_outer \(v=41\) at .*crash\.c:$L_CALL$"
sed -n '/==list-before==/,/==auto==/p' "$TMP/crash.out" > "$TMP/list-before.txt"
sed -n '/==list-after==/,$p' "$TMP/crash.out" > "$TMP/list-after.txt"
expect "source map: list fails before" "$TMP/list-before.txt" "crash\.c: No such file or directory"
expect "source map: --auto prints the mapping" "$TMP/crash.out" "^jit: mapped $TMP/build -> $TMP/moved/project \(.*crash\.c\)$"
expect "source map: list shows the moved source after" "$TMP/list-after.txt" "^$L_STORE[[:space:]]+\*p = v; /\* MARK:crash-store \*/$"
expect "jit list: the object, loaded" "$TMP/crash.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +loaded"

# The objects GDB loads are saved in a fresh directory of the system temp directory ($TMPDIR here),
# which is there while GDB runs and removed when it exits.
mkdir -p "$TMP/tmpdir"
cat > "$TMP/core.gdb" <<GDB
set pagination off
source $PLUGIN
jit load-core
bt 3
shell ls $TMP/tmpdir/jitdebug-gdb-*/ > $TMP/cache-during.txt
GDB
TMPDIR=$TMP/tmpdir timeout 120 gdb -q -batch -nx -x "$TMP/core.gdb" "$EXECUTOR" "$TMP/core" > "$TMP/core.out" 2>&1
expect "the loaded object is in a cache directory while GDB runs" "$TMP/cache-during.txt" "\.o$"
ls -A "$TMP/tmpdir" > "$TMP/cache-after.txt"
expect_not "the cache directory is removed when GDB exits" "$TMP/cache-after.txt" "jitdebug-gdb-"
expect "core: jit load-core loads the object" "$TMP/core.out" "^jit: 1 objects in the registry; loaded 1 in "
expect "core: frame #0 named with its line" "$TMP/core.out" "^#0 +0x[0-9a-f]+ in jd_crash_inner \(p=0x0, v=42\) at .*crash\.c:$L_STORE$"
expect "core: frame #1 named with its line" "$TMP/core.out" "^#1 +0x[0-9a-f]+ in jd_crash_outer \(v=41\) at .*crash\.c:$L_CALL$"
for c in cycle badptr; do
	timeout 120 gdb -q -batch -nx -ex "source $PLUGIN" -ex 'jit load-core' -ex 'jit load-core --all' -ex 'print 6*7' \
		"$EXECUTOR" "$TMP/core-$c" > "$TMP/core-$c.out" 2>&1
	expect "corrupted core ($c): GDB still answers afterwards" "$TMP/core-$c.out" "^\\\$1 = 42$"
done
expect "corrupted core: the cycle is reported" "$TMP/core-cycle.out" "skipped: cycle at entry 0x[0-9a-f]+: walk stopped"
expect "corrupted core: the huge size is reported" "$TMP/core-cycle.out" "skipped: object [0-9]+: implausible size 281474976710655"
expect "corrupted core: the bad pointer is reported" "$TMP/core-badptr.out" "skipped: entry at 0x10 unreadable"

# Unregistration unloads: a host registers jitfix.o (lazy), GDB loads it with jit load, the host
# unregisters it, and at the next stop the plugin unloads it.
start_link_host JITDEBUG_GDB=lazy
cat > "$TMP/unreg.gdb" <<GDB
set pagination off
source $PLUGIN
jit load 1
info symbol $LEAF
jit info $LEAF
jit info 9876
jit load 987
jit load 0x10
break jd_hooks_stats
shell echo 'unreg 1' > $TMP/host.in; echo stats > $TMP/host.in
continue
jit status
info symbol $LEAF
jit info $LEAF
jit frob
jit break a:b:c
jit unload 5
jit connect
jit connect nowhere
kill
jit list
jit connect 127.0.0.1:1
print 6*7
GDB
# One -ex per line: an error in one command (the bad-input ones) does not end the session.
mapfile -t cmds < "$TMP/unreg.gdb"
args=()
for c in "${cmds[@]}"; do args+=(-ex "$c"); done
timeout 120 gdb -q -batch -nx -p "$HPID" "${args[@]}" > "$TMP/unreg.out" 2>&1
exec 7>&-
expect "jit load ID loads the object" "$TMP/unreg.out" "^jit: loaded 1 object$"
expect_jit_info "$TMP/unreg.out"
expect "its function is known by address" "$TMP/unreg.out" "^jd_leaf in section \.text of .*/[0-9]+-1\.o$"
expect "unregistration unloads it" "$TMP/unreg.out" "^objects: 0 known, 0 loaded by the plugin"
expect "its address is no longer symbolized" "$TMP/unreg.out" "^No symbol matches $LEAF\.$"
expect "bad input: unknown object id" "$TMP/unreg.out" "object 987: no such object"
expect "bad input: address outside JIT code" "$TMP/unreg.out" "no JIT object covers 0x10"
expect "bad input: unknown subcommand" "$TMP/unreg.out" "Undefined jit command: \"frob\""
expect "bad input: bad location" "$TMP/unreg.out" "bad location 'a:b:c'"
expect "bad input: unload of an object not loaded" "$TMP/unreg.out" "object 5 is not loaded by the plugin"
expect "bad input: no link in the process" "$TMP/unreg.out" "the process has no debug link"
expect "bad input: bad link address" "$TMP/unreg.out" "bad address 'nowhere'"
expect "after the process is gone: a clear error" "$TMP/unreg.out" "no process and no core file"
expect "unreachable link: a clear error" "$TMP/unreg.out" "cannot connect to 127\.0\.0\.1:1: Connection refused"
expect "GDB stays usable" "$TMP/unreg.out" "^\\\$1 = 42$"

# A core of a running executor, as a user takes one of a live service: the program sleeps in its JIT'd
# main on a dispatcher thread; thread 1 is the executor's main thread, in LLVM code.
start_executor JITDEBUG_GDB=lazy JD_GO="$TMP/go-live"
timeout 60 gdb -q -batch -nx -p "$EXPID" -ex "source $PLUGIN" -ex 'jit status' > "$TMP/status-early.out" 2>&1
expect "jit status before the first registration: the mode from JITDEBUG_GDB" "$TMP/status-early.out" "^mode: lazy$"
timeout 120 "$JITLINK" --oop-executor-connect=127.0.0.1:$PORT "$JD_FIXTURES/linkwait.o" > "$TMP/live-ctl.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do grep -q '^link_target=' "$TMP/executor.out" && break; sleep 0.05; done
timeout 60 gdb -q -batch -nx -p "$EXPID" -ex "generate-core-file $TMP/core-live" > "$TMP/gcore-live.out" 2>&1
touch "$TMP/go-live"
timeout 120 gdb -q -batch -nx -ex "source $PLUGIN" -ex 'info threads' -ex 'jit load-core' -ex 'jit list' \
	-ex 'thread apply all bt 4' -ex 'jit status' "$EXECUTOR" "$TMP/core-live" > "$TMP/core-live.out" 2>&1
expect "live core: GDB's selected thread is the executor's main thread" "$TMP/core-live.out" "^\* 1 +(Thread|LWP) "
expect "live core: jit load-core finds the JIT frame in another thread" "$TMP/core-live.out" "^jit: 1 objects in the registry.*; loaded 1 in "
expect "live core: that thread's JIT frame is named with its line" "$TMP/core-live.out" "in main \(\) at .*linkwait\.c:[0-9]+"
expect "jit list names the object by its function, as the CLI does" "$TMP/core-live.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +loaded +jitdebug +link_target$"
expect "jit status: the mode the process was started with" "$TMP/core-live.out" "lazy"
finish
