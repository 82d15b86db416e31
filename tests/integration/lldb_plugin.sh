#!/usr/bin/env bash
# The LLDB plugin (build/lib/libjitdebug-lldb.so) with real LLDB 16 on jitdebug-executor + Debian's
# llvm-jitlink-16. LLDB's own JIT loader is switched off (plugin.jit-loader.gdb.enable off) except
# where a test says so, so what LLDB shows comes from the plugin: `jit break` by name and FILE:LINE
# before the JIT code runs (lazy and eager, `lldb -p` and lldb-server on loopback); a lazy-mode crash
# symbolized on stop; `jit source-map --auto`; `jit load-core` on a core of that crash and on
# corrupted cores; `jitdebug core`; unregistration; the link with no process; bad input; the executor
# killed mid-session.
. "$(dirname "$0")/lib.sh"
PLUGIN=$JD_BUILD/lib/libjitdebug-lldb.so
CRASH_SRC=$JD_SRC/tests/fixtures/crash.c
L_STORE=$(grep -n 'MARK:crash-store' "$CRASH_SRC" | cut -d: -f1)
L_CALL=$(grep -n 'MARK:crash-call' "$CRASH_SRC" | cut -d: -f1)
LOADER_OFF='settings set plugin.jit-loader.gdb.enable off'

# controller NAME OBJECT — a script that runs llvm-jitlink against the executor in the background
# (LLDB's `platform shell` runs it while the executor is stopped).
controller() {
	printf '#!/bin/sh\n(timeout 60 %s --oop-executor-connect=127.0.0.1:%s %s > %s 2>&1) &\n' \
		"$JITLINK" "$PORT" "$2" "$TMP/$1.ctl" > "$TMP/$1.sh"
	chmod +x "$TMP/$1.sh"
}

# lldb_session NAME MODE HOW LOADER — attaches to a new executor (HOW: attach or server; LOADER: off
# or stock), sets the two jit breaks, starts the controller, and continues to both breakpoints.
lldb_session() {
	local name=$1 mode=$2 how=$3 loader=$4 target
	start_executor JITDEBUG_GDB="$mode"
	controller "$name" "$JD_FIXTURES/crash.o"
	if [ "$how" = server ]; then
		mkfifo "$TMP/$name.port"
		timeout 120 "$LLDB_SERVER" gdbserver --named-pipe "$TMP/$name.port" 127.0.0.1:0 --attach "$EXPID" \
			> "$TMP/$name.server" 2>&1 &
		PIDS+=($!)
		local gport
		gport=$(timeout 10 cat "$TMP/$name.port" | tr -d '\0')
		target=(-o "gdb-remote 127.0.0.1:$gport")
	else
		target=(-p "$EXPID")
	fi
	local pre=()
	[ "$loader" = off ] && pre=(-O "$LOADER_OFF")
	timeout 180 "$LLDB" -b "${pre[@]}" "${target[@]}" -o "plugin load $PLUGIN" -o 'jit break jd_crash_outer' \
		-o "jit break crash.c:$L_STORE" -o "platform shell $TMP/$name.sh" -o continue -o 'bt 2' -o continue \
		-o 'bt 2' -o 'jit status' -o 'jit list' -o kill > "$TMP/$name.out" 2>&1
	kill -9 "$EXPID" 2>/dev/null
	local mod='[^ `]+'
	expect "$name: jit break by name is pending before the code exists" "$TMP/$name.out" \
		"^Breakpoint 2: jd_crash_outer, pending until the JIT code is loaded$"
	expect "$name: jit break by name stops in jd_crash_outer before it ran" "$TMP/$name.out" \
		"^\* thread #[0-9]+.*stop reason = breakpoint 2\.1$"
	expect "$name: frame #0 jd_crash_outer with its line" "$TMP/$name.out" \
		"^  \* frame #0: 0x[0-9a-f]+ $mod\`jd_crash_outer\(v=41\) at crash\.c:$L_CALL:"
	expect "$name: jit break by FILE:LINE stops in jd_crash_inner" "$TMP/$name.out" \
		"^  \* frame #0: 0x[0-9a-f]+ $mod\`jd_crash_inner\(p=0x0+, v=42\) at crash\.c:$L_STORE:"
	expect "$name: bt shows the caller with its line" "$TMP/$name.out" \
		"^    frame #1: 0x[0-9a-f]+ $mod\`jd_crash_outer\(v=41\) at crash\.c:$L_CALL:"
	awk '/stop reason = breakpoint 2\.1/ && !b1 { b1 = NR } /stop reason = breakpoint 3\.1/ && !b2 { b2 = NR }
	     /SIGSEGV/ && !s { s = NR } END { print (b1 && b2 && b1 < b2 && (!s || b2 < s)) ? "order ok" : "order wrong" }' \
		"$TMP/$name.out" > "$TMP/$name.order"
	expect "$name: both stops happen in order, before any crash" "$TMP/$name.order" "^order ok$"
}
lldb_session lazy-attach lazy attach off
expect "lazy-attach: the plugin loaded the object itself" "$TMP/lazy-attach.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +loaded +jitdebug +jd_crash_inner$"
expect "lazy-attach: the watches are listed" "$TMP/lazy-attach.out" "^watches: function jd_crash_outer, file crash\.c$"
expect "lazy-attach: hooks mode lazy" "$TMP/lazy-attach.out" "^mode: lazy$"
lldb_session eager-attach eager attach off
expect "eager-attach: the plugin loaded the object itself" "$TMP/eager-attach.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +loaded +jitdebug +jd_crash_inner$"
lldb_session lazy-server lazy server off
# With LLDB's own JIT loader on, the plugin leaves the object to it (one module, not two).
lldb_session eager-server-stock eager server stock
expect "eager-server-stock: LLDB's JIT loader has the object, the plugin loads nothing" "$TMP/eager-server-stock.out" \
	"^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +lldb-jit +jitdebug +jd_crash_inner$"
# One module, so one location, added once (a second module would add a second one).
grep -c "location.* added to breakpoint 2$" "$TMP/eager-server-stock.out" > "$TMP/eager-server-stock.locs"
expect "eager-server-stock: one location per breakpoint" "$TMP/eager-server-stock.locs" "^1$"

# `jit break` before `run` (the hooks are not in the process yet: the watch is written at the first
# registration), on a light JIT whose objects carry absolute DWARF (examples/lightjit).
ACC=$JD_SRC/examples/lightjit/poly.acc
L_SQ_MUL=$(grep -n "mul x" "$ACC" | head -1 | cut -d: -f1)
timeout 120 "$LLDB" -b -O "$LOADER_OFF" -o 'settings set target.env-vars JITDEBUG_GDB=lazy' -o "plugin load $PLUGIN" \
	-o 'jit break square' -o run -o 'bt 1' -o 'jit status' -o kill -- "$JD_BUILD/bin/lightjit" "$ACC" > "$TMP/launch.out" 2>&1
expect "launch: the watch waits for the first registration" "$TMP/launch.out" "^jit: the watch is written into the process at its first JIT registration$"
expect "launch: stops in the light-JIT function with its .acc line" "$TMP/launch.out" \
	"frame #0: 0x[0-9a-f]+ [^ ]+\`square at poly\.acc:$L_SQ_MUL$"
expect "launch: the plugin loaded it (LLDB's JIT loader is off)" "$TMP/launch.out" "^objects: [0-9]+ known, 1 loaded by the plugin"

# Lazy mode, no breakpoints: the crash stop loads the faulting object, bt is symbolized. The sources
# were compiled in one directory and moved to another, for the source map.
mkdir -p "$TMP/build/src/app" "$TMP/moved/project"
cp "$CRASH_SRC" "$TMP/build/src/app/crash.c"
(cd "$TMP/build" && "$LLVM_BIN/clang" -g -O0 -c src/app/crash.c -o "$TMP/crash-moved.o")
mv "$TMP/build/src" "$TMP/moved/project/src"
start_executor JITDEBUG_GDB=lazy
controller crash "$TMP/crash-moved.o"
cat > "$TMP/crash.lldb" <<LLDB
bt 3
script print("==list-before==")
source list -n jd_crash_inner
jit source-map --auto $TMP/moved
script print("==list-after==")
source list -n jd_crash_inner
jit list
LLDB
timeout 180 "$LLDB" -b -O "$LOADER_OFF" -p "$EXPID" -o "plugin load $PLUGIN" -o "platform shell $TMP/crash.sh" \
	-o continue -k "command source -e false $TMP/crash.lldb" -k kill > "$TMP/crash.out" 2>&1
kill -9 "$EXPID" 2>/dev/null
expect "lazy crash: the stop loads the object, frame #0 named with its line" "$TMP/crash.out" \
	"^  \* frame #0: 0x[0-9a-f]+ [^ ]+\`jd_crash_inner\(p=0x0+, v=42\) at crash\.c:$L_STORE:"
expect "lazy crash: frame #1 named with its line" "$TMP/crash.out" \
	"^    frame #1: 0x[0-9a-f]+ [^ ]+\`jd_crash_outer\(v=41\) at crash\.c:$L_CALL:"
sed -n '/^==list-before==/,/^==list-after==/p' "$TMP/crash.out" > "$TMP/list-before.txt"
sed -n '/^==list-after==/,$p' "$TMP/crash.out" > "$TMP/list-after.txt"
expect "source map: the listing before ran" "$TMP/list-before.txt" "source list -n jd_crash_inner"
expect_not "source map: the source is not found before" "$TMP/list-before.txt" "MARK:crash-store"
expect "source map: --auto prints the mapping" "$TMP/crash.out" "^jit: mapped $TMP/build -> $TMP/moved/project \(.*crash\.c\)$"
expect "source map: the moved source is listed after" "$TMP/list-after.txt" "^ *$L_STORE[[:space:]]+\*p = v; /\* MARK:crash-store \*/$"
expect "jit list names the object by its first function, as the CLI and GDB do" "$TMP/crash.out" \
	"^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +loaded +jitdebug +jd_crash_inner$"

# Cores of that crash, written by GDB at the SIGSEGV (run under GDB from the start: GDB's
# generate-core-file writes an ELF core without touching the system's core pattern). Then two
# corrupted copies: a cycle in both lists with a 2^48-byte size, and a bad pointer.
crash_core_gdb "$TMP/gen.gdb" "$TMP/core" \
	'set $f = jitdebug_registry.first' \
	'set {unsigned long}($f + 32) = 0xffffffffffff' \
	'set {unsigned long}$f = $f' \
	'set __jit_debug_descriptor.first_entry = (void *)$f' \
	"generate-core-file $TMP/core-cycle" \
	'set jitdebug_registry.first = 0x10' \
	'set __jit_debug_descriptor.first_entry = (void *)0x10' \
	"generate-core-file $TMP/core-badptr"
fresh_files "$TMP/gen.out" "$TMP/executor.err"
JITDEBUG_GDB=lazy timeout 180 gdb -q -batch -nx -x "$TMP/gen.gdb" --args "$EXECUTOR" listen=127.0.0.1:0 \
	> "$TMP/gen.out" 2> "$TMP/executor.err" &
GPID=$!
PIDS+=("$GPID")
wait_executor_port "$TMP/executor.err"
controller gen "$JD_FIXTURES/crash.o"
"$TMP/gen.sh"
wait_exit "$GPID" 180
# The objects the plugin loads are saved in a fresh directory of the system temp directory ($TMPDIR
# here), which is there while LLDB runs and removed when it exits.
mkdir -p "$TMP/tmpdir"
TMPDIR=$TMP/tmpdir timeout 120 "$LLDB" -b -O "$LOADER_OFF" -o "plugin load $PLUGIN" -o 'jit load-core' -o 'bt 3' \
	-o "platform shell ls $TMP/tmpdir/jitdebug-lldb-*/" -c "$TMP/core" "$EXECUTOR" > "$TMP/core.out" 2>&1
expect "core: jit load-core loads the object" "$TMP/core.out" "^jit: 1 objects in the registry; loaded 1 in "
expect "the loaded object is in a cache directory while LLDB runs" "$TMP/core.out" "^[^ ]+\.o$"
ls -A "$TMP/tmpdir" > "$TMP/cache-after.txt"
expect_not "the cache directory is removed when LLDB exits" "$TMP/cache-after.txt" "jitdebug-lldb-"
expect "core: frame #0 named with its line" "$TMP/core.out" \
	"frame #0: 0x[0-9a-f]+ [^ ]+\`jd_crash_inner\(p=0x0+, v=42\) at crash\.c:$L_STORE:"
expect "core: frame #1 named with its line" "$TMP/core.out" "frame #1: 0x[0-9a-f]+ [^ ]+\`jd_crash_outer\(v=41\) at crash\.c:$L_CALL:"
# Stock LLDB (no plugin) on the same lazy-mode core: no JIT names.
timeout 120 "$LLDB" -b -o 'bt 3' -c "$TMP/core" "$EXECUTOR" > "$TMP/core-stock.out" 2>&1
expect_not "core: stock LLDB alone does not name the lazy-mode JIT frames" "$TMP/core-stock.out" "jd_crash_inner"
for c in cycle badptr; do
	timeout 120 "$LLDB" -b -O "$LOADER_OFF" -o "plugin load $PLUGIN" -o 'jit load-core' -o 'jit load-core --all' \
		-o 'expression 6*7' -c "$TMP/core-$c" "$EXECUTOR" > "$TMP/core-$c.out" 2>&1
	expect "corrupted core ($c): LLDB still answers afterwards" "$TMP/core-$c.out" "^\(int\) \\\$0 = 42$"
done
expect "corrupted core: the registry cycle is reported" "$TMP/core-cycle.out" "skipped: cycle at entry 0x[0-9a-f]+: walk stopped"
expect "corrupted core: the huge size is reported" "$TMP/core-cycle.out" "skipped: object [0-9]+: implausible size 281474976710655"
expect "corrupted core: the GDB JIT list cycle is reported" "$TMP/core-cycle.out" "skipped: GDB JIT list: cycle at 0x[0-9a-f]+"
expect "corrupted core: the bad pointer is reported" "$TMP/core-badptr.out" "skipped: entry at 0x10 unreadable"
expect "corrupted core: the bad GDB JIT list pointer is reported" "$TMP/core-badptr.out" "skipped: GDB JIT list: entry at 0x10 unreadable"

# jitdebug core: the same object, to files, with the GDB commands that load them; GDB then names the
# frames of the same core with those commands alone.
timeout 60 "$JITDEBUG" core "$TMP/core" -o "$TMP/objs" > "$TMP/jdcore.out" 2> "$TMP/jdcore.err"
expect "jitdebug core: one object written" "$TMP/jdcore.err" "^jitdebug core: jitdebug registry: 1 of 1 objects written to $TMP/objs$"
expect "jitdebug core: a ready-to-paste add-symbol-file command" "$TMP/jdcore.out" "^add-symbol-file $TMP/objs/1\.o -s \.text 0x[0-9a-f]+"
TEXT=$(sed -n 's/.* -s \.text \(0x[0-9a-f]*\).*/\1/p' "$TMP/jdcore.out")
timeout 120 gdb -q -batch -nx -ex "$(cat "$TMP/jdcore.out")" -ex 'bt 2' "$EXECUTOR" "$TMP/core" > "$TMP/jdcore-gdb.out" 2>&1
expect "jitdebug core: GDB with the printed command names frame #0" "$TMP/jdcore-gdb.out" "^#0 +0x[0-9a-f]+ in jd_crash_inner \(p=0x0, v=42\) at .*crash\.c:$L_STORE$"
grep -E "frame #0: 0x[0-9a-f]+ " "$TMP/core.out" | head -1 | sed 's/.*frame #0: \(0x[0-9a-f]*\).*/\1/' > "$TMP/pc"
if [ -n "$TEXT" ] && [ $(( $(cat "$TMP/pc") >= TEXT )) = 1 ] && [ $(( $(cat "$TMP/pc") < TEXT + 0x1000 )) = 1 ]; then
	pass "jitdebug core: the extracted object's .text covers the PC LLDB symbolized"
else
	fail "jitdebug core: the extracted object's .text ($TEXT) does not cover LLDB's frame #0 ($(cat "$TMP/pc"))"
fi
timeout 60 "$JITDEBUG" core "$TMP/core-cycle" -o "$TMP/objs-cycle" > /dev/null 2> "$TMP/jdcore-cycle.err"
expect "jitdebug core: a corrupted core's cycle is reported" "$TMP/jdcore-cycle.err" "skipped: cycle at entry"
timeout 60 "$JITDEBUG" core "$EXECUTOR" -o "$TMP/objs-bad" > /dev/null 2> "$TMP/jdcore-bad.err"
expect "jitdebug core: not a core file" "$TMP/jdcore-bad.err" "not a core file"

# Unregistration unloads; then the link with no process; then bad input. A host registers jitfix.o
# (lazy), LLDB loads it with jit load, the host unregisters it, and the next stop unloads it.
start_link_host JITDEBUG_GDB=lazy JITDEBUG_LISTEN=127.0.0.1:0
LINK=$(link_address "$TMP/host.err")
# The link, with no process in LLDB: list, load, look up.
timeout 120 "$LLDB" -b -O "$LOADER_OFF" -o "plugin load $PLUGIN" -o "target create $JD_BUILD/bin/link_host" \
	-o "jit connect $LINK" -o 'jit list' -o 'jit load 1' -o "image lookup -a $LEAF" -o 'jit status' > "$TMP/nolive.out" 2>&1
# Plugin state is per target: a watch set on one target is not another target's.
timeout 60 "$LLDB" -b -O "$LOADER_OFF" -o "plugin load $PLUGIN" -o "target create $JD_BUILD/bin/link_host" \
	-o 'jit break jd_leaf' -o "target create $EXECUTOR" -o 'jit status' -o 'target select 0' -o 'jit status' \
	> "$TMP/targets.out" 2>&1
sed -n '/target create .*jitdebug-executor/,/target select 0/p' "$TMP/targets.out" > "$TMP/target2.txt"
sed -n '/target select 0/,$p' "$TMP/targets.out" > "$TMP/target1.txt"
expect "per target: the second target has no watches" "$TMP/target2.txt" "^watches: none$"
expect "per target: the first target keeps its watch" "$TMP/target1.txt" "^watches: function jd_leaf$"
expect "link: jit connect with no process" "$TMP/nolive.out" "^jit: connected to $LINK \(pid $HPID, "
expect "link: jit list over the link" "$TMP/nolive.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +- +jitdebug +jd_leaf$"
expect "link: jit load fetches over the link" "$TMP/nolive.out" "^jit: loaded 1 object$"
expect "link: the address is symbolized" "$TMP/nolive.out" "Summary: [^ ]+\`jd_leaf at jitfix\.c:"
cat > "$TMP/host-ctl.sh" <<SH
#!/bin/sh
echo 'unreg 1' > $TMP/host.in; echo stats > $TMP/host.in
SH
chmod +x "$TMP/host-ctl.sh"
printf '#!/bin/sh\nkill -9 %s; sleep 1\n' "$HPID" > "$TMP/kill-host.sh"
chmod +x "$TMP/kill-host.sh"
# One command file sourced with stop-on-error off: the bad-input commands fail and the session goes on.
cat > "$TMP/unreg.lldb" <<LLDB
jit load 1
image lookup -a $LEAF
jit info $LEAF
jit info 9876
jit load 987
jit load 0x10
breakpoint set -n jd_hooks_stats
platform shell $TMP/host-ctl.sh
continue
jit status
jit info $LEAF
script print("==after-unreg==")
image lookup -a $LEAF
jit frob
jit break a:b:c
jit unload 5
jit connect nowhere
jit load
platform shell $TMP/kill-host.sh
continue
jit list
jit load-core
script print(6 * 7)
LLDB
timeout 120 "$LLDB" -b -O "$LOADER_OFF" -p "$HPID" -o "plugin load $PLUGIN" -o "command source -e false -c false $TMP/unreg.lldb" \
	> "$TMP/unreg.out" 2>&1
exec 7>&-
expect "jit load ID loads the object" "$TMP/unreg.out" "^jit: loaded 1 object$"
expect_jit_info "$TMP/unreg.out"
expect "its function is known by address" "$TMP/unreg.out" "Summary: [^ ]+-1\.o\`jd_leaf at jitfix\.c:"
expect "unregistration unloads it" "$TMP/unreg.out" "^objects: 0 known, 0 loaded by the plugin"
sed -n '/^==after-unreg==/,/jit frob/p' "$TMP/unreg.out" > "$TMP/after-unreg.txt"
expect "the lookup after the unregistration ran" "$TMP/after-unreg.txt" "image lookup -a $LEAF"
expect_not "its address is no longer symbolized" "$TMP/after-unreg.txt" "jd_leaf at jitfix"
expect "bad input: unknown object id" "$TMP/unreg.out" "error: jit: object 987: no such object"
expect "bad input: address outside JIT code" "$TMP/unreg.out" "error: jit: no JIT object covers 0x10"
expect "bad input: unknown subcommand" "$TMP/unreg.out" "invalid command 'jit frob'"
expect "bad input: bad location" "$TMP/unreg.out" "error: jit: bad location 'a:b:c'"
expect "bad input: unload of an object not loaded" "$TMP/unreg.out" "error: jit: object 5 is not loaded by the plugin"
expect "bad input: bad link address" "$TMP/unreg.out" "error: jit: bad address 'nowhere'"
expect "bad input: usage" "$TMP/unreg.out" "error: jit: usage: jit load ID\|all\|ADDR"
expect "executor killed: LLDB sees it exit" "$TMP/unreg.out" "Process $HPID exited with status = 9|Process $HPID exited"
expect "executor killed: a clear error after" "$TMP/unreg.out" "error: jit: no process and no core file"
expect "LLDB stays usable" "$TMP/unreg.out" "^42$"
finish
