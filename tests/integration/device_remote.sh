#!/usr/bin/env bash
# A device on this machine (device.sh): jitdebug-executor alone in a chrooted root folder, in mount and
# network namespaces of its own, reached from a host namespace over a veth pair. The host's stock
# llvm-jitlink links a clang-compiled program into it. The program's printf and getenv resolve in the
# device's C library. `jitdebug list/symbolize/fetch` reach the device's link over the veth with
# JITDEBUG_TOKEN. The perf map lands in the device's root. GDB on the host, attached to the device
# process, breaks in the JIT code and lists source from the host's copy through
# `jit source-map --auto`. A second session attaches GDB before the link: pending breakpoints resolve
# before the code runs, with locals and statics. A third is recorded by the host's perf; the device's
# jitdump and perf map travel to the host, and `jitdebug perf report` names the samples' lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/device.sh"
trap 'cleanup_perfmaps; cleanup; device_cleanup' EXIT
GDBPLUGIN=$JD_SRC/gdb-plugin/jitdebug.py
TOKEN=devtoken-$$

make_device "$EXECUTOR"
# Only the executor and the C library: nothing of LLVM, no C++ runtime, no debugger, no sources.
find "$DEV_ROOT" -type f | sed "s|^$DEV_ROOT||" | sort > "$TMP/device-files"
sed 's/^/    device: /' "$TMP/device-files"
expect_not "the device holds nothing of LLVM, no C++ runtime, no debugger, no sources" "$TMP/device-files" "llvm|LLVM|libstdc|libgcc_s|gdb|lldb|\.c$|\.h$"
expect "the device holds the executor" "$TMP/device-files" "^/bin/jitdebug-executor$"

# The program is built on the host, in a folder the device never sees; its sources then move, as on a
# build machine, to where the host keeps them.
mkdir -p "$TMP/build/src" "$TMP/host-src/src"
cp "$JD_SRC/tests/fixtures/linkwait.c" "$TMP/build/src/linkwait.c"
(cd "$TMP/build" && "$LLVM_BIN/clang" -g -O0 -c src/linkwait.c -o "$TMP/linkwait.o") || { fail "compile"; finish; exit; }
mv "$TMP/build/src/linkwait.c" "$TMP/host-src/src/linkwait.c"
TARGET_LINE=$(grep -n 'MARK:target' "$TMP/host-src/src/linkwait.c" | cut -d: -f1)

start_device JD_GO=/go JITDEBUG_LISTEN="$DEV_ADDR:0" JITDEBUG_TOKEN="$TOKEN" JITDEBUG_PERFMAP=1 ||
	{ fail "the device's executor starts"; cat "$TMP/device.err"; finish; exit; }
pass "the device's executor starts in its root (pid $DEV_PID, $DEV_ADDR:$DEV_PORT)"
for _ in $(seq 100); do grep -q 'debug link listening' "$TMP/device.err" && break; sleep 0.05; done
LINK=$(sed -n 's/^jitdebug: debug link listening on \([^ ]*\).*$/\1/p' "$TMP/device.err")

on_host timeout 120 "$JITLINK" -oop-executor-connect="$DEV_ADDR:$DEV_PORT" "$TMP/linkwait.o" > "$TMP/jitlink.out" 2>&1 &
JLPID=$!
PIDS+=("$JLPID")
for _ in $(seq 400); do grep -q '^link_target=' "$TMP/device.out" && break; sleep 0.05; done
expect "the program runs on the device: printf in the device's C library" "$TMP/device.out" "^link_target=0x[0-9a-f]+$"
ADDR=$(sed -n 's/^link_target=//p' "$TMP/device.out")

# The debug link over the veth: with the token, and refused without it.
on_host timeout 30 "$JITDEBUG" list --connect "$LINK" --token "$TOKEN" > "$TMP/list.out" 2>&1
expect "jitdebug list --connect reaches the device's link over the veth" "$TMP/list.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +announced +link_target$"
on_host timeout 30 "$JITDEBUG" symbolize --connect "$LINK" --token "$TOKEN" "$ADDR" > "$TMP/sym.out" 2>&1
expect "jitdebug symbolize over the veth" "$TMP/sym.out" "link_target\+0x0 at .*linkwait\.c:[0-9]+ \(object 1\)"
on_host timeout 30 "$JITDEBUG" list --connect "$LINK" > "$TMP/notoken.out" 2>&1
expect_not "without the token the device's link serves nothing" "$TMP/notoken.out" "link_target"
on_host timeout 30 "$JITDEBUG" fetch --connect "$LINK" --token "$TOKEN" 1 -o "$TMP/fetched.o" > /dev/null 2>&1
readelf -s "$TMP/fetched.o" 2>/dev/null | grep -q ' link_target$' && pass "jitdebug fetch over the veth" || fail "jitdebug fetch over the veth"

# The perf map is written in the device's root; the host copies it out of the device's folder.
if grep -q ' link_target$' "$DEV_ROOT/tmp/perf-$DEV_PID.map" 2>/dev/null; then
	pass "the perf map lands in the device's root (/tmp/perf-$DEV_PID.map there)"
else
	fail "the perf map lands in the device's root"; ls -la "$DEV_ROOT/tmp"
fi

# GDB on the host, attached to the device's process: breaks in the JIT code when it runs, lists the
# source from the host's copy.
cat > "$TMP/gdb.cmds" <<GDB
set pagination off
source $GDBPLUGIN
jit break linkwait.c:$TARGET_LINE
shell touch $DEV_ROOT/go
continue
bt 2
print x
jit source-map --auto $TMP/host-src
list $TARGET_LINE,$TARGET_LINE
detach
GDB
timeout 120 gdb -q -batch -nx -x "$TMP/gdb.cmds" -p "$DEV_PID" > "$TMP/gdb.out" 2>&1
expect "GDB on the host stops in the device's JIT code at linkwait.c:$TARGET_LINE" "$TMP/gdb.out" \
	"Breakpoint 1, link_target \(x=2\) at .*linkwait\.c:$TARGET_LINE"
expect "GDB: a local" "$TMP/gdb.out" '^\$1 = 2$'
expect "jit source-map --auto maps the build folder to the host's copy" "$TMP/gdb.out" "$TMP/build.* -> $TMP/host-src"
expect "GDB lists the source from the host's copy" "$TMP/gdb.out" "^$TARGET_LINE[[:space:]]+return x \* 3; /\* MARK:target \*/"
wait_exit "$JLPID" 30
st=$?
[ "$st" = 124 ] && fail "llvm-jitlink did not end"
echo "exit $st" >> "$TMP/jitlink.out"
expect "llvm-jitlink on the host gets the program's status (0)" "$TMP/jitlink.out" "^exit 0$"

# A second session: GDB attaches to the device's executor before anything is linked; its pending
# breakpoints (by name and by file:line) resolve when the host links the program, before it runs,
# and it shows the backtrace, a local, a .data static and a .bss static (at its real address).
wait_gone "$DEV_PID" 10 || fail "the first device session did not end"
start_device || { fail "the device's executor starts again"; finish; exit; }
{
	echo "set pagination off"
	echo "source $GDBPLUGIN"
	echo "jit break jd_leaf"
	echo "jit break jitfix.c:$(line_of leaf-add)"
	echo "shell touch $TMP/gdb.ready"
	echo "continue"
	gdb_fixture_stops
} > "$TMP/gdb2.cmds"
timeout 120 gdb -q -batch -nx -x "$TMP/gdb2.cmds" -p "$DEV_PID" > "$TMP/gdb2.out" 2>&1 &
GPID=$!
PIDS+=("$GPID")
for _ in $(seq 600); do [ -e "$TMP/gdb.ready" ] && break; sleep 0.05; done
on_host timeout 120 "$JITLINK" -oop-executor-connect="$DEV_ADDR:$DEV_PORT" "$JD_FIXTURES/jitfix.o" > "$TMP/jitlink2.out" 2>&1
echo "exit $?" >> "$TMP/jitlink2.out"
wait_gone "$GPID" 60 || fail "GDB did not end"
expect_gdb_fixture_stops "$TMP/gdb2.out"
expect "the program's output comes from the device" "$TMP/device.out" "^jitfix: result=[0-9]+ counter=[0-9]+$"

# perf: the host's perf records the device's process (one kernel). The jitdump and the perf map are
# written in the device's root. They travel to the host under the paths the device's process gave
# them (perf's mmap event names /tmp/jit-PID.dump as the device sees it), where perf inject --jit and
# perf report read them. Then `jitdebug perf report` puts the samples on hot.c's lines.
wait_gone "$DEV_PID" 10 || fail "the second device session did not end"
start_device JITDEBUG_JITDUMP=/tmp JITDEBUG_PERFMAP=1 || { fail "the device's executor starts a third time"; finish; exit; }
mkdir -p "$TMP/rec"
timeout 120 perf record -q -k 1 -e cpu-clock -p "$DEV_PID" -o "$TMP/rec/perf.data" > "$TMP/perf.out" 2>&1 &
PERFPID=$!
PIDS+=("$PERFPID")
for _ in $(seq 100); do [ -s "$TMP/rec/perf.data" ] && break; sleep 0.05; done
on_host timeout 120 "$JITLINK" -oop-executor-connect="$DEV_ADDR:$DEV_PORT" "$JD_FIXTURES/hot.o" > "$TMP/jitlink3.out" 2>&1
wait_gone "$DEV_PID" 30 || fail "the third device session did not end"
kill -INT "$PERFPID" 2>/dev/null
wait_gone "$PERFPID" 30 || fail "perf record did not end"
expect "the hot program ran on the device" "$TMP/device.out" "^hot: [0-9]+$"
DUMP=/tmp/jit-$DEV_PID.dump
if [ -s "$DEV_ROOT$DUMP" ]; then pass "the jitdump is in the device's root ($DUMP there)"; else fail "the jitdump is in the device's root"; fi
if [ -e "$DUMP" ] || [ -e "/tmp/perf-$DEV_PID.map" ]; then # never overwrite the host's own files
	fail "the host already has $DUMP or /tmp/perf-$DEV_PID.map"
	finish
	exit
fi
# perf inject --jit writes one jitted-PID-N.so per function beside the jitdump: those go too.
trap 'rm -f "$DUMP" /tmp/jitted-"$DEV_PID"-*.so; cleanup_perfmaps; cleanup; device_cleanup' EXIT
PERFMAPS+=("$DEV_PID")
cp "$DEV_ROOT$DUMP" "$DUMP" && cp "$DEV_ROOT/tmp/perf-$DEV_PID.map" "/tmp/perf-$DEV_PID.map"
timeout 120 perf inject --jit -i "$TMP/rec/perf.data" -o "$TMP/rec/perf.jit.data" > "$TMP/inject.out" 2>&1
timeout 120 "$JITDEBUG" perf report "$TMP/rec" > "$TMP/report.txt" 2>&1
sed -n '1,6p' "$TMP/report.txt" | sed 's/^/    /'
expect "jitdebug perf report on the host: jd_hot with file:line, from the device's jitdump" "$TMP/report.txt" \
	"jd_hot +hot\.c:$(hot_line hot-loop)"
finish
