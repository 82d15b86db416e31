#!/usr/bin/env bash
# An AArch64 device under qemu (`make aarch64` builds what runs there; scripts/aarch64-device.sh makes
# its root: the executor and Debian's AArch64 C library, nothing else). The x86-64 host's
# llvm-jitlink-NN links AArch64 objects (clang --target=aarch64-linux-gnu -g) into
# jitdebug-executor-NN over TCP; gdb-multiarch with the plugin debugs it through qemu's gdbstub:
# pending breakpoints resolve before the code runs, with bt, a local, a .data and a .bss static; so
# do LLDB NN and LLDB 16 with the plugin through the same gdbstub (gdb-remote). jitdebug list/symbolize/fetch reach the device's link; a light JIT on the device writes objects and
# a jitdump for the device's CPU.
#
# LLVM 16's ORC makes debug objects for x86-64 only (DebugObjectManagerPlugin: "TODO: Add support for
# other architectures"), so with LLVM 16 the program runs and nothing is registered; the test checks
# exactly that and says so. LLVM 17 and later (19 here) register AArch64 objects.
. "$(dirname "$0")/lib.sh"
A64=${JD_AARCH64_BUILD:-$JD_BUILD/aarch64}
EXEC64=$A64/bin/jitdebug-executor-$LLVM_VERSION
GDBPLUGIN=$JD_SRC/gdb-plugin/jitdebug.py
QEMU=$(command -v qemu-aarch64-static) || skip "no qemu-aarch64-static (install-deps.sh installs qemu-user-static)"
GDBM=$(command -v gdb-multiarch) || skip "no gdb-multiarch (install-deps.sh installs it)"
[ -x "$EXEC64" ] || skip "no AArch64 build of jitdebug-executor-$LLVM_VERSION in $A64 (make aarch64)"
CLANG=$LLVM_BIN/clang
# LLVM 14's JITLink stops at the first ADRP of an AArch64 ELF object ("Unsupported aarch64
# relocation:275"): that host cannot link for the device at all.
[ "$LLVM_VERSION" -ge 15 ] || skip "LLVM $LLVM_VERSION's JITLink cannot link AArch64 ELF objects (Unsupported aarch64 relocation:275)"
trap 'cleanup_perfmaps; cleanup' EXIT

ROOT=$TMP/device
"$JD_SRC/scripts/aarch64-device.sh" "$ROOT" "$EXEC64" "$A64/bin/light_device" || { fail "device root"; finish; exit; }
find "$ROOT" -type f | sed "s|^$ROOT||" | sort > "$TMP/device-files"
sed 's/^/    device: /' "$TMP/device-files"
expect_not "the device holds nothing of LLVM, no C++ runtime, no debugger, no sources" "$TMP/device-files" "llvm|LLVM|libstdc|libgcc_s|gdb|lldb|\.c$|\.h$"
"$JD_SRC/scripts/check-needed.sh" "$A64" > "$TMP/needed" 2>&1
expect "the AArch64 executors need only the C library (readelf -d NEEDED)" "$TMP/needed" "^[1-9][0-9]* passed, 0 failed$"
EXE=/bin/$(basename "$EXEC64")
expect "the device holds the executor" "$TMP/device-files" "^$EXE$"

# AArch64 objects, compiled on the host.
for f in jitfix linkwait; do
	"$CLANG" --target=aarch64-linux-gnu -g -O0 -c "$JD_SRC/tests/fixtures/$f.c" -o "$TMP/$f.o" || fail "compile $f.c for AArch64"
done
readelf -h "$TMP/jitfix.o" > "$TMP/jitfix.h"
expect "the fixture is an AArch64 object" "$TMP/jitfix.h" "Machine: +AArch64"


if [ "$LLVM_VERSION" -lt 17 ]; then
	# ---- LLVM 16: the program runs; ORC registers nothing for AArch64 --------------------------------
	fresh_files "$TMP/executor.out" "$TMP/executor.err"
	env JITDEBUG_LISTEN=127.0.0.1:0 JD_GO="$TMP/go" "$QEMU" -L "$ROOT" "$ROOT$EXE" listen=127.0.0.1:0 \
		> "$TMP/executor.out" 2> "$TMP/executor.err" &
	PIDS+=("$!")
	wait_executor_port "$TMP/executor.err" 60 || { fail "the executor starts under qemu"; cat "$TMP/executor.err"; finish; exit; }
	pass "the AArch64 executor starts under qemu (127.0.0.1:$PORT)"
	timeout 120 "$JITLINK" -oop-executor-connect="127.0.0.1:$PORT" "$TMP/linkwait.o" > "$TMP/jitlink.out" 2>&1 &
	JLPID=$!
	PIDS+=("$JLPID")
	for _ in $(seq 1200); do grep -q '^link_target=' "$TMP/executor.out" && break; kill -0 "$JLPID" 2>/dev/null || break; sleep 0.05; done
	expect "the AArch64 program runs: printf in the device's C library" "$TMP/executor.out" "^link_target=0x[0-9a-f]+$"
	LINK=$(link_address "$TMP/executor.err")
	timeout 30 "$JITDEBUG" list --connect "$LINK" > "$TMP/list.out" 2>&1
	echo "note: LLVM $LLVM_VERSION's ORC makes no debug object for AArch64; the registry stays empty:"
	sed 's/^/    | /' "$TMP/list.out"
	expect "the device's link answers LIST" "$TMP/list.out" "^ID +ADDRESS RANGE"
	expect_not "LLVM $LLVM_VERSION registers no AArch64 object (its ORC is x86-64 only)" "$TMP/list.out" "link_target"
	touch "$TMP/go"
	wait_exit "$JLPID" 120
	echo "exit $?" >> "$TMP/jitlink.out"
	expect "llvm-jitlink gets the program's status (0)" "$TMP/jitlink.out" "^exit 0$"
else
	# ---- Session 1: gdb-multiarch through qemu's gdbstub, breakpoints set before the link -------------
	{
		cat <<GDB
set pagination off
set confirm off
file $ROOT$EXE
set sysroot $ROOT
target remote $TMP/gdb.sock
source $GDBPLUGIN
jit break jd_leaf
jit break jitfix.c:$(line_of leaf-add)
shell (for i in \$(seq 1200); do grep -q 'listening on 127' $TMP/executor.err && break; sleep 0.05; done; p=\$(sed -n 's/^jitdebug-executor: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' $TMP/executor.err); timeout 120 $JITLINK -oop-executor-connect=127.0.0.1:\$p $TMP/jitfix.o > $TMP/ctl.out 2>&1; echo rc=\$? >> $TMP/ctl.out) &
continue
GDB
		gdb_fixture_stops
	} > "$TMP/cmds.gdb"
	fresh_files "$TMP/executor.out" "$TMP/executor.err"
	"$QEMU" -g "$TMP/gdb.sock" -L "$ROOT" "$ROOT$EXE" listen=127.0.0.1:0 > "$TMP/executor.out" 2> "$TMP/executor.err" &
	QPID=$!
	PIDS+=("$QPID")
	for _ in $(seq 200); do [ -S "$TMP/gdb.sock" ] && break; sleep 0.05; done
	timeout 180 "$GDBM" -q -batch -nx -x "$TMP/cmds.gdb" > "$TMP/gdb.out" 2>&1
	wait_gone "$QPID" 30 || fail "the executor ends after the program"
	for _ in $(seq 100); do grep -q '^rc=' "$TMP/ctl.out" 2>/dev/null && break; sleep 0.05; done
	expect "the pending breakpoints are the plugin's" "$TMP/gdb.out" "Breakpoint 1 \(jd_leaf\) pending"
	expect_gdb_fixture_stops "$TMP/gdb.out"
	expect "the AArch64 program completes: printf in the device's C library" "$TMP/executor.out" "^jitfix: result=112 counter=42$"
	expect "llvm-jitlink on the host gets the program's status (0)" "$TMP/ctl.out" "^rc=0$"

	# ---- Session 3: LLDB through the same kind of gdbstub, LLDB's JIT loader off: the plugin loads --
	# With the LLDB of this toolchain and with LLDB 16 (the oldest supported; the plugin is built
	# against its headers).
	PLUGIN=$JD_BUILD/lib/libjitdebug-lldb.so
	lldb_session() { # lldb_session LLDB TAG
		rm -f "$TMP/lldb.sock"
		cat > "$TMP/cmds-$2.lldb" <<LLDB
settings set plugin.jit-loader.gdb.enable off
platform select remote-linux
settings set target.exec-search-paths $ROOT/lib
target create $ROOT$EXE
process connect --plugin gdb-remote unix-connect://$TMP/lldb.sock
plugin load $PLUGIN
jit break jitfix.c:$(line_of leaf-add)
continue
bt 3
frame variable local
target variable scale
continue
target variable counter
jit list
LLDB
		fresh_files "$TMP/executor-$2.out" "$TMP/executor-$2.err"
		"$QEMU" -g "$TMP/lldb.sock" -L "$ROOT" "$ROOT$EXE" listen=127.0.0.1:0 > "$TMP/executor-$2.out" 2> "$TMP/executor-$2.err" &
		local qpid=$!
		PIDS+=("$qpid")
		for _ in $(seq 200); do [ -S "$TMP/lldb.sock" ] && break; sleep 0.05; done
		# The link starts once LLDB lets the executor run and it prints its port.
		(wait_executor_port "$TMP/executor-$2.err" 60 && timeout 120 "$JITLINK" -oop-executor-connect="127.0.0.1:$PORT" "$TMP/jitfix.o") > /dev/null 2>&1 &
		PIDS+=("$!")
		timeout 180 "$1" -b -s "$TMP/cmds-$2.lldb" > "$TMP/$2.out" 2>&1
		local leaf
		leaf=$(line_of leaf-add)
		expect "$2: the plugin's pending breakpoint stops in the AArch64 JIT code" "$TMP/$2.out" "frame #0: 0x[0-9a-f]+ .*jd_leaf\(x=1\) at jitfix\.c:$leaf"
		expect "$2: bt shows the JIT caller" "$TMP/$2.out" "frame #1: 0x[0-9a-f]+ .*jd_outer\(n=3\) at jitfix\.c"
		expect "$2: a local" "$TMP/$2.out" "^\(int\) local = 7$"
		expect "$2: a .data static" "$TMP/$2.out" "^\(int\) scale = 7$"
		expect "$2: the .bss static at its real address, one call later" "$TMP/$2.out" "^\(int\) counter = 7$"
		expect "$2: the plugin loaded the object (LLDB's JIT loader is off)" "$TMP/$2.out" "1 loaded by the plugin"
		kill -9 "$qpid" 2>/dev/null
	}
	lldb_session "$LLDB" "LLDB-$("$LLDB" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -1)"
	[ "$LLDB" != /usr/lib/llvm-16/bin/lldb ] && [ -x /usr/lib/llvm-16/bin/lldb ] && lldb_session /usr/lib/llvm-16/bin/lldb LLDB-16

	# ---- Session 2: the debug link, the perf map and the jitdump of ORC's objects -------------------
	mkdir -p "$TMP/dump"
	fresh_files "$TMP/executor2.out" "$TMP/executor2.err"
	env JITDEBUG_LISTEN=127.0.0.1:0 JITDEBUG_PERFMAP=1 JITDEBUG_JITDUMP="$TMP/dump" JD_GO="$TMP/go" \
		"$QEMU" -L "$ROOT" "$ROOT$EXE" listen=127.0.0.1:0 > "$TMP/executor2.out" 2> "$TMP/executor2.err" &
	QPID=$!
	PIDS+=("$QPID")
	PERFMAPS+=("$QPID")
	wait_executor_port "$TMP/executor2.err" 60 || { fail "the executor starts under qemu"; cat "$TMP/executor2.err"; finish; exit; }
	timeout 120 "$JITLINK" -oop-executor-connect="127.0.0.1:$PORT" "$TMP/linkwait.o" > "$TMP/jitlink.out" 2>&1 &
	JLPID=$!
	PIDS+=("$JLPID")
	for _ in $(seq 1200); do grep -q '^link_target=' "$TMP/executor2.out" && break; kill -0 "$JLPID" 2>/dev/null || break; sleep 0.05; done
	ADDR=$(sed -n 's/^link_target=//p' "$TMP/executor2.out")
	LINK=$(link_address "$TMP/executor2.err")
	timeout 30 "$JITDEBUG" list --connect "$LINK" > "$TMP/list.out" 2>&1
	expect "jitdebug list --connect reaches the AArch64 device's link" "$TMP/list.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +announced +link_target$"
	timeout 30 "$JITDEBUG" symbolize --connect "$LINK" "$ADDR" > "$TMP/sym.out" 2>&1
	# The line LLVM's own symbolizer gives for the object's first byte (its DWARF relocations applied).
	WANT=$("$LLVM_BIN/llvm-symbolizer" --obj="$TMP/linkwait.o" 0x0 | sed -n 's/.*linkwait\.c:\([0-9]*\):.*/\1/p' | head -1)
	expect "jitdebug symbolize: the AArch64 object's DWARF, relocated (line $WANT, as llvm-symbolizer)" "$TMP/sym.out" "link_target\+0x0 at .*/tests/fixtures/linkwait\.c:${WANT:-none} \(object 1\)"
	timeout 30 "$JITDEBUG" fetch --connect "$LINK" 1 -o "$TMP/fetched.o" > /dev/null 2>&1
	readelf -hS "$TMP/fetched.o" > "$TMP/fetched.txt" 2>&1
	expect "jitdebug fetch: an AArch64 object" "$TMP/fetched.txt" "Machine: +AArch64"
	touch "$TMP/go"
	wait_exit "$JLPID" 120
	echo "exit $?" >> "$TMP/jitlink.out"
	expect "llvm-jitlink gets the program's status (0)" "$TMP/jitlink.out" "^exit 0$"
	wait_gone "$QPID" 30
	expect "the perf map names the AArch64 function" "/tmp/perf-$QPID.map" "^[0-9a-f]+ [0-9a-f]+ link_target$"
	DUMP=$(ls "$TMP"/dump/jit-*.dump 2>/dev/null | head -1)
	echo "elf_mach $(od -An -tu4 -j12 -N4 "$DUMP" 2>/dev/null | tr -d ' ')" > "$TMP/dumphdr"
	expect "the jitdump header carries EM_AARCH64 (183)" "$TMP/dumphdr" "^elf_mach 183$"
fi

# ---- C++ on a device that has a C++ runtime: exceptions thrown and caught in JIT'd AArch64 code ----
# The executor loads the device's libstdc++ at start and registers the code's .eh_frame with the
# unwinder that libstdc++'s __cxa_throw walks (libgcc_s). A device without one refuses C++ by name.
"$LLVM_BIN/clang++" --target=aarch64-linux-gnu -g -O0 -c "$JD_SRC/tests/fixtures/exceptions.cpp" -o "$TMP/exc.o" || fail "compile exc.cpp for AArch64"
cp -a "$ROOT" "$TMP/device-cxx"
for lib in libstdc++.so.6 libgcc_s.so.1 libm.so.6; do cp -L "/usr/aarch64-linux-gnu/lib/$lib" "$TMP/device-cxx/lib/"; done
for dev in device-cxx device; do
	fresh_files "$TMP/exc-$dev.out" "$TMP/exc-$dev.err"
	"$QEMU" -L "$TMP/$dev" "$TMP/$dev$EXE" listen=127.0.0.1:0 > "$TMP/exc-$dev.out" 2> "$TMP/exc-$dev.err" &
	QPID=$!
	PIDS+=("$QPID")
	wait_executor_port "$TMP/exc-$dev.err" 60 || fail "the executor starts under qemu ($dev)"
	timeout 120 "$JITLINK" -oop-executor-connect="127.0.0.1:$PORT" "$TMP/exc.o" > "$TMP/exc-$dev.ctl" 2>&1
	echo "rc=$?" >> "$TMP/exc-$dev.ctl"
	wait_gone "$QPID" 30
done
expect "C++ exceptions in JIT'd AArch64 code: both caught" "$TMP/exc-device-cxx.out" "^caught=2$"
expect "C++ exceptions in JIT'd AArch64 code: status 0" "$TMP/exc-device-cxx.ctl" "^rc=0$"
expect "a device without a C++ runtime: the controller names the missing C++ symbols" "$TMP/exc-device.ctl" "Symbols not found: .*__cxa_throw"

# ---- A light JIT on the device: the hooks write AArch64 objects ------------------------------------
mkdir -p "$TMP/ldump"
fresh_files "$TMP/light.out" "$TMP/light.err"
env JITDEBUG_LISTEN=127.0.0.1:0 JITDEBUG_JITDUMP="$TMP/ldump" JD_GO="$TMP/lgo" "$QEMU" -L "$ROOT" "$ROOT/bin/light_device" \
	> "$TMP/light.out" 2> "$TMP/light.err" &
LPID=$!
PIDS+=("$LPID")
for _ in $(seq 1200); do grep -q '^jit_square=' "$TMP/light.out" && break; sleep 0.05; done
expect "the light JIT runs its copied code on the device" "$TMP/light.out" "^jit_square=0x[0-9a-f]+ id=1 result=49$"
SQ=$(sed -n 's/^jit_square=\([^ ]*\).*/\1/p' "$TMP/light.out")
LINK=$(link_address "$TMP/light.err")
timeout 30 "$JITDEBUG" symbolize --connect "$LINK" "$SQ" "$(printf '0x%x' $((SQ + 4)))" > "$TMP/lsym.out" 2>&1
expect "the light object's line table, first row" "$TMP/lsym.out" "jit_square\+0x0 at square\.acc:10 \(object 1\)"
expect "the light object's line table, second row" "$TMP/lsym.out" "jit_square\+0x4 at square\.acc:11 \(object 1\)"
timeout 30 "$JITDEBUG" fetch --connect "$LINK" 1 -o "$TMP/light.o" > /dev/null 2>&1
readelf -h "$TMP/light.o" > "$TMP/light.h" 2>&1
expect "the light-JIT writer's object is AArch64" "$TMP/light.h" "Machine: +AArch64"
touch "$TMP/lgo"
wait_gone "$LPID" 30
echo "elf_mach $(od -An -tu4 -j12 -N4 "$(ls "$TMP"/ldump/jit-*.dump 2>/dev/null | head -1)" 2>/dev/null | tr -d ' ')" > "$TMP/ldumphdr"
expect "the light JIT's jitdump header carries EM_AARCH64 (183)" "$TMP/ldumphdr" "^elf_mach 183$"
finish
