#!/usr/bin/env bash
# Every registrar in the process, with the hooks preloaded beside it: libLLVM's own GDB listener
# (`lli --jit-kind=mcjit`, `--jit-kind=orc-lazy`) and a hand-written registrar in GDB's jit-elf
# pattern (its own __jit_debug_descriptor, exported with -rdynamic and not). Stock LLDB's behaviour
# is recorded as measured; with the plugins, GDB and LLDB break in the other registrar's JIT code
# before it runs, list its objects with their registrar, and name its frames in a core, where
# `jitdebug core` finds the descriptor through the core's NT_FILE note. Both lists stay intact.
. "$(dirname "$0")/lib.sh"
PLUGIN=$JD_BUILD/lib/libjitdebug-lldb.so
GDBPLUGIN=$JD_SRC/gdb-plugin/jitdebug.py
BC=$(bitcode jitfix) || { echo "cannot compile the fixture for LLVM $LLVM_VERSION"; exit 1; }
LIBLLVM="libLLVM(-$LLVM_VERSION\\.so|\\.so\\.$LLVM_VERSION)[.0-9]*" # libLLVM-16.so.1, libLLVM.so.19.1
HAND=$JD_FIXTURES/handjit.o
HAND_LINE=$(grep -n 'MARK:hand-leaf' "$JD_SRC/tests/fixtures/handjit.c" | cut -d: -f1)

# ---- libLLVM's listener: lli --jit-kind=mcjit -----------------------------------------------------

# Stock LLDB with the hooks preloaded: LLDB follows one descriptor per process (the hooks', loaded
# first), so libLLVM's objects never reach it and the breakpoint never resolves (measured on LLDB 16
# and 19; docs/registrars.md).
timeout 120 "$LLDB" -b -o "settings set target.env-vars LD_PRELOAD=$HOOKS_SO" -o "breakpoint set -n jd_leaf" \
	-o run -o "bt 2" -o kill -- "$LLI" --jit-kind=mcjit "$BC" > "$TMP/stock.out" 2>&1
expect "stock LLDB with the hooks preloaded: the program runs through (its breakpoint never resolves)" \
	"$TMP/stock.out" "exited with status = 0"

# The plugin arms its registrar breakpoint once libLLVM is in the process (here: stopped at lli's main).
for kind in mcjit orc-lazy; do
	timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "settings set target.env-vars LD_PRELOAD=$HOOKS_SO" \
		-o "breakpoint set -n main -s lli" -o run -o "jit break jd_leaf" -o continue -o "bt 3" -o "frame variable x" \
		-o "jit list" -o "jit status" -o kill \
		-- "$LLI" --jit-kind=$kind "$BC" > "$TMP/lldb-$kind.out" 2>&1
	expect "LLDB plugin, lli $kind: stops in jd_leaf before it runs" "$TMP/lldb-$kind.out" \
		"frame #0: 0x[0-9a-f]+ .*\`jd_leaf\(x=1\) at jitfix\.c"
	expect "LLDB plugin, lli $kind: the caller is named" "$TMP/lldb-$kind.out" "frame #1: .*\`jd_outer\(n=3\)"
	expect "LLDB plugin, lli $kind: a local" "$TMP/lldb-$kind.out" "^\(int\) x = 1$"
done
# With mcjit the object is libLLVM's (with orc-lazy on LLVM 19 lli hands it to the hooks' ORC entry points).
expect "jit list names libLLVM as the registrar" "$TMP/lldb-mcjit.out" "^f[0-9a-f]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +loaded +$LIBLLVM +jd_"
expect "jit status names the other registrar" "$TMP/lldb-mcjit.out" "^registrar: $LIBLLVM"
expect "jit status warns that stock LLDB follows one descriptor" "$TMP/lldb-mcjit.out" "stock LLDB follows one per process"

# GDB with the plugin: GDB reads libLLVM's descriptor itself (both registrars are shared libraries); the plugin lists them and writes a core.
cat > "$TMP/gdb-live.cmds" <<GDB
set pagination off
source $GDBPLUGIN
set environment LD_PRELOAD=$HOOKS_SO
set breakpoint pending on
break jd_leaf
run
bt 2
jit list
jit status
generate-core-file $TMP/mcjit.core
kill
GDB
timeout 120 gdb -q -batch -nx -x "$TMP/gdb-live.cmds" --args "$LLI" --jit-kind=mcjit "$BC" > "$TMP/gdb-live.out" 2>&1
expect "GDB: pending breakpoint in libLLVM's object" "$TMP/gdb-live.out" "Breakpoint 1, jd_leaf \(x=1\) at .*jitfix\.c"
expect "GDB plugin: jit list shows it from libLLVM, loaded by GDB" "$TMP/gdb-live.out" \
	"^f[0-9a-f]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +gdb-jit +$LIBLLVM +jd_"
expect "GDB plugin: jit status names the registrar" "$TMP/gdb-live.out" "^registrar: .*$LIBLLVM"

if [ -s "$TMP/mcjit.core" ]; then
	timeout 60 "$JITDEBUG" core "$TMP/mcjit.core" -o "$TMP/objs" > "$TMP/core.out" 2> "$TMP/core.err"
	echo "exit $?" >> "$TMP/core.err"
	expect "jitdebug core finds libLLVM's descriptor through NT_FILE" "$TMP/core.err" \
		"GDB JIT list of .*$LIBLLVM \(descriptor 0x[0-9a-f]+\): 1 of 1 objects written"
	expect "jitdebug core succeeds" "$TMP/core.err" "^exit 0$"
	expect "jitdebug core prints the command that loads it" "$TMP/core.out" "^add-symbol-file $TMP/objs/f[0-9a-f]+\.o -s \.l?text 0x"
	# --descriptor names it by hand; a wrong one extracts nothing and fails.
	desc=$(sed -n 's/.*(descriptor \(0x[0-9a-f]*\)).*/\1/p' "$TMP/core.err" | head -1)
	timeout 60 "$JITDEBUG" core "$TMP/mcjit.core" -o "$TMP/objs2" --descriptor "$desc" --registry 0x10 \
		> /dev/null 2> "$TMP/core2.err"
	echo "exit $?" >> "$TMP/core2.err"
	expect "--descriptor reads the list it names" "$TMP/core2.err" "GDB JIT list of --descriptor .*: 1 of 1 objects written"
	timeout 60 "$JITDEBUG" core "$TMP/mcjit.core" -o "$TMP/objs3" --descriptor 0x10 > /dev/null 2> "$TMP/core3.err"
	echo "exit $?" >> "$TMP/core3.err"
	expect "a wrong --descriptor extracts nothing and fails" "$TMP/core3.err" "^exit 1$"

	timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "settings set plugin.jit-loader.gdb.enable off" \
		-o "target create --core $TMP/mcjit.core $LLI" -o "jit load-core" -o "bt 2" \
		> "$TMP/lldb-core.out" 2>&1
	expect "LLDB plugin: jit load-core counts libLLVM's object" "$TMP/lldb-core.out" \
		"jit: [0-9]+ objects in the registry, 1 from $LIBLLVM; loaded 1"
	expect "LLDB plugin: the core's JIT frame is named" "$TMP/lldb-core.out" "frame #0: .*\`jd_leaf\(x=1\) at jitfix\.c"

	timeout 120 gdb -q -batch -nx -ex "source $GDBPLUGIN" -ex "jit load-core" -ex "bt 1" "$LLI" "$TMP/mcjit.core" \
		> "$TMP/gdb-core.out" 2>&1
	expect "GDB plugin: jit load-core counts libLLVM's object" "$TMP/gdb-core.out" \
		"jit: [0-9]+ objects in the registry, 1 from $LIBLLVM"
	expect "GDB: the core's JIT frame is named" "$TMP/gdb-core.out" "^#0  jd_leaf \(x=1\) at .*jitfix\.c"
else
	fail "GDB wrote no core of lli"
fi

# ---- the link lists and fetches libLLVM's objects ------------------------------------------------
"$LLVM_BIN/clang" -g -O0 -emit-llvm -c "$JD_SRC/tests/fixtures/linkwait.c" -o "$TMP/linkwait.bc"
fresh_files "$TMP/lw.out" "$TMP/lw.err"
timeout 60 env JD_GO="$TMP/go" LD_PRELOAD="$HOOKS_SO" JITDEBUG_LISTEN=127.0.0.1:0 "$LLI" --jit-kind=mcjit "$TMP/linkwait.bc" \
	> "$TMP/lw.out" 2> "$TMP/lw.err" &
LWPID=$!
PIDS+=("$LWPID")
for _ in $(seq 200); do grep -q '^link_target=' "$TMP/lw.out" && break; sleep 0.05; done
ADDR=$(link_address "$TMP/lw.err")
timeout 30 "$JITDEBUG" list --connect "$ADDR" > "$TMP/list.out" 2>&1
expect "the link lists libLLVM's object (id f<hex>, flagged other)" "$TMP/list.out" "^f[0-9a-f]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +other +link_target$"
FID=$(awk '/^f[0-9a-f]+ / {print $1; exit}' "$TMP/list.out")
# Another registrar's object has a build-id too (computed from its bytes, as the hooks compute their
# own): the one `jitdebug publish` files it under.
FBID=$(awk '/^f[0-9a-f]+ / {print $4; exit}' "$TMP/list.out")
[[ $FBID =~ ^[0-9a-f]{40}$ ]] && pass "the link gives libLLVM's object a build-id" || fail "build-id '$FBID'"
timeout 30 "$JITDEBUG" publish --connect "$ADDR" "$TMP/tree" > "$TMP/publish.out" 2>&1
expect "jitdebug publish files libLLVM's object under that build-id" "$TMP/publish.out" "^$FID $FBID published$"
timeout 30 "$JITDEBUG" list --connect "$ADDR" --json > "$TMP/list.json" 2>&1
expect "jitdebug list --json marks it foreign" "$TMP/list.json" "\"ref\":\"$FID\",\"foreign\":true"
# A client pointed at a process checks the pid the server reports (a forked child may hold its
# parent's address).
LLIPID=$(sed -n 's/^{"pid":\([0-9]*\),.*/\1/p' "$TMP/list.json")
timeout 30 "$JITDEBUG" list --connect "$ADDR" --pid "$LLIPID" > "$TMP/pid-ok.out" 2>&1
expect "--pid of the right process: served" "$TMP/pid-ok.out" "^f[0-9a-f]+ "
timeout 30 "$JITDEBUG" list --connect "$ADDR" --pid $((LLIPID + 1)) > "$TMP/pid-bad.out" 2>&1
expect "--pid of another process: refused, naming both" "$TMP/pid-bad.out" \
	"served by process $LLIPID, not $((LLIPID + 1)) \(a forked child"
timeout 30 "$JITDEBUG" fetch --connect "$ADDR" "$FID" -o "$TMP/fetched.o" 2> "$TMP/fetch.err"
if [ -s "$TMP/fetched.o" ] && readelf -s "$TMP/fetched.o" | grep -q ' link_target$'; then
	pass "the link fetches libLLVM's object by its id"
else
	fail "the link fetches libLLVM's object by its id"; cat "$TMP/fetch.err"
fi
timeout 30 "$JITDEBUG" fetch --connect "$ADDR" f10 -o "$TMP/none.o" 2> "$TMP/fetch2.err"
expect "an id no list holds is refused (no address is read on a client's word)" "$TMP/fetch2.err" "no such object"
expect "the hooks said once that another registrar is there" "$TMP/lw.err" "^jitdebug: another GDB JIT registrar in this process: .*$LIBLLVM has its own __jit_debug_descriptor"
touch "$TMP/go"
wait_gone "$LWPID" 10 || fail "lli did not end"

# ---- a hand-written registrar, exporting its interface and not ---------------------------------

for prog in hand_registrar hand_registrar_exported; do
	BIN=$JD_BUILD/bin/$prog
	timeout 60 env LD_PRELOAD="$HOOKS_SO" "$BIN" "$HAND" "$JD_FIXTURES/jitfix.o" > "$TMP/$prog.run" 2>&1
	expect "$prog: its list holds only its own entry, the hooks' list keeps theirs" "$TMP/$prog.run" "^ok   own list"
	expect "$prog: the JIT code ran" "$TMP/$prog.run" "^result 41 sum 40$"

	# The link lists and fetches the program's own object too.
	fresh_files "$TMP/$prog.lw" "$TMP/$prog.lwerr"
	timeout 60 env JD_GO="$TMP/$prog.go" LD_PRELOAD="$HOOKS_SO" JITDEBUG_LISTEN=127.0.0.1:0 "$BIN" "$HAND" \
		"$JD_FIXTURES/jitfix.o" > "$TMP/$prog.lw" 2> "$TMP/$prog.lwerr" &
	HPID=$!
	PIDS+=("$HPID")
	for _ in $(seq 200); do grep -q 'own list' "$TMP/$prog.lw" && break; sleep 0.05; done
	timeout 30 "$JITDEBUG" list --connect "$(link_address "$TMP/$prog.lwerr")" > "$TMP/$prog.list" 2>&1
	expect "$prog: the link lists the program's own object" "$TMP/$prog.list" "^f[0-9a-f]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +other +jd_hand_leaf$"
	expect "$prog: the link lists the hooks' object" "$TMP/$prog.list" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +announced +jd_"
	HFID=$(awk '/^f[0-9a-f]+ / {print $1; exit}' "$TMP/$prog.list")
	timeout 30 "$JITDEBUG" fetch --connect "$(link_address "$TMP/$prog.lwerr")" "$HFID" -o "$TMP/$prog.fetched" 2>/dev/null
	if [ "$(stat -c %s "$TMP/$prog.fetched" 2>/dev/null)" = "$(stat -c %s "$HAND")" ] && \
		readelf -s "$TMP/$prog.fetched" 2>/dev/null | grep -q ' jd_hand_leaf$'; then
		pass "$prog: the link fetches the program's own object"
	else
		fail "$prog: the link fetches the program's own object"
	fi
	expect "$prog: the hooks said once that the program is a registrar" "$TMP/$prog.lwerr" \
		"^jitdebug: another GDB JIT registrar in this process: .*/$prog has its own __jit_debug_descriptor"
	touch "$TMP/$prog.go"
	wait_gone "$HPID" 10 || fail "$prog did not end"

	timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "settings set target.env-vars LD_PRELOAD=$HOOKS_SO" \
		-o "jit break handjit.c:$HAND_LINE" -o run -o "bt 2" -o "frame variable x" -o "jit list" -o "jit load 1" -o kill \
		-- "$BIN" "$HAND" "$JD_FIXTURES/jitfix.o" > "$TMP/$prog-lldb.out" 2>&1
	expect "$prog, LLDB plugin: stops at handjit.c:$HAND_LINE before it runs" "$TMP/$prog-lldb.out" \
		"frame #0: .*\`jd_hand_leaf\(sum=0x[0-9a-f]+, x=20\) at handjit\.c:$HAND_LINE"
	# Stock LLDB follows the program's own descriptor here (the first module defining
	# __jit_debug_register_code), so it has the host's object itself; the plugin has the hooks' one.
	expect "$prog, LLDB plugin: jit list shows the host's object" "$TMP/$prog-lldb.out" \
		"^f[0-9a-f]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +(loaded|lldb-jit) +$prog +jd_hand_leaf"
	expect "$prog, LLDB plugin: jit list shows the hooks' object" "$TMP/$prog-lldb.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ .* jitdebug +jd_"
	expect "$prog, LLDB plugin: loads the hooks' object too" "$TMP/$prog-lldb.out" "^jit: loaded 1 object$"

	cat > "$TMP/$prog.gdb" <<GDB
set pagination off
source $GDBPLUGIN
set environment LD_PRELOAD=$HOOKS_SO
run
bt 2
jit list
generate-core-file $TMP/$prog.core
jit load 1
info functions ^jd_leaf$
kill
GDB
	timeout 120 gdb -q -batch -nx -x "$TMP/$prog.gdb" --args "$BIN" "$HAND" "$JD_FIXTURES/jitfix.o" crash \
		> "$TMP/$prog-gdb.out" 2>&1
	expect "$prog, GDB: the crash is in the JIT frame" "$TMP/$prog-gdb.out" "^#0  0x[0-9a-f]+ in jd_hand_leaf \(sum=0x0, x=20\)"
	expect "$prog, GDB plugin: jit list shows both registrars" "$TMP/$prog-gdb.out" \
		"^f[0-9a-f]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +gdb-jit +$prog +jd_hand_leaf"
	# GDB 13 reads the program's descriptor for the hooks' __jit_debug_register_code too (it looks the
	# data symbol up in the executable first), so it never has the hooks' object: the plugin says so and
	# loads it.
	expect "$prog, GDB plugin: the hooks' object is not GDB's (GDB reads the program's descriptor)" "$TMP/$prog-gdb.out" \
		"^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +- +jitdebug +jd_"
	expect "$prog, GDB plugin: jit load loads the hooks' object" "$TMP/$prog-gdb.out" "^jit: loaded 1 object$"
	expect "$prog, GDB: its functions are known then" "$TMP/$prog-gdb.out" "int jd_leaf\(int\);"
	timeout 60 "$JITDEBUG" core "$TMP/$prog.core" -o "$TMP/$prog-objs" > /dev/null 2> "$TMP/$prog-core.err"
	expect "$prog: jitdebug core writes the registry's object" "$TMP/$prog-core.err" "jitdebug registry: 1 of 1 objects written"
	expect "$prog: jitdebug core writes the host's object" "$TMP/$prog-core.err" "GDB JIT list of .*/$prog \(descriptor 0x[0-9a-f]+\): 1 of 1"
	timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "settings set plugin.jit-loader.gdb.enable off" \
		-o "target create --core $TMP/$prog.core $BIN" -o "jit load-core" -o "bt 2" > "$TMP/$prog-lcore.out" 2>&1
	expect "$prog, LLDB plugin: the core's JIT frame is named" "$TMP/$prog-lcore.out" \
		"frame #0: .*\`jd_hand_leaf\(sum=0x0+, x=20\) at handjit\.c"
done
finish
