#!/usr/bin/env bash
# demo-device.sh BUILD AARCH64_BUILD — `make demo-device`: JIT code on an AArch64 device, debugged from
# this x86-64 host. It runs on the newest LLVM (17 or later: LLVM 16's ORC registers no AArch64
# object) that has an AArch64 executor in AARCH64_BUILD (`make aarch64`).
#  1. the device: a root folder with jitdebug-executor-NN (AArch64) and the C library, nothing else;
#  2. clang-NN --target=aarch64-linux-gnu -g -c compiles examples/shapes.c on the host;
#  3. qemu-aarch64-static runs the executor as the device, with its gdbstub on a socket;
#  4. gdb-multiarch with the plugin connects to the gdbstub and sets `jit break area`;
#  5. the host's llvm-jitlink-NN links the AArch64 object into the device over TCP and runs it;
#  6. the breakpoint resolves before the code runs: the stop, bt, locals, a .data and a .bss static.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
A64=$(cd "${2:-$BUILD/aarch64}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
V=
for exe in "$A64"/bin/jitdebug-executor-[0-9]*; do
	v=${exe##*-}
	[ "$v" -ge 17 ] && [ -x "/usr/lib/llvm-$v/bin/llvm-jitlink" ] && { [ -z "$V" ] || [ "$v" -gt "$V" ]; } && V=$v
done
[ -n "$V" ] || { echo "demo-device: no AArch64 executor of LLVM 17 or later in $A64/bin (make aarch64)" >&2; exit 1; }
LLVM_BIN=/usr/lib/llvm-$V/bin
WORK=$(mktemp -d /tmp/jitdebug-device.XXXXXX)
QPID=
trap '[ -n "$QPID" ] && kill $QPID 2>/dev/null; rm -rf "$WORK"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. The device: jitdebug-executor-$V for AArch64 and the C library, nothing else"
"$SRC/scripts/aarch64-device.sh" "$WORK/device" "$A64/bin/jitdebug-executor-$V"
(cd "$WORK/device" && find . -type f | sort | sed 's|^\./|    /|')
echo "\$ readelf -d bin/jitdebug-executor-$V | grep NEEDED"
readelf -d "$WORK/device/bin/jitdebug-executor-$V" | grep NEEDED

step "2. Compile the program for AArch64 on the host"
echo "\$ clang-$V --target=aarch64-linux-gnu -g -O0 -c examples/shapes.c -o shapes.o"
"$LLVM_BIN/clang" --target=aarch64-linux-gnu -g -O0 -c "$HERE/shapes.c" -o "$WORK/shapes.o"
readelf -h "$WORK/shapes.o" | grep Machine

step "3. Start the device: qemu-aarch64-static, the executor listening on 127.0.0.1, gdbstub on a socket"
echo "\$ qemu-aarch64-static -g gdb.sock -L device device/bin/jitdebug-executor-$V listen=127.0.0.1:0"
qemu-aarch64-static -g "$WORK/gdb.sock" -L "$WORK/device" "$WORK/device/bin/jitdebug-executor-$V" listen=127.0.0.1:0 \
	> "$WORK/program.out" 2> "$WORK/executor.err" &
QPID=$!
for _ in $(seq 200); do [ -S "$WORK/gdb.sock" ] && break; sleep 0.05; done

step "4-6. gdb-multiarch with the plugin; llvm-jitlink-$V links the AArch64 object into the device"
cat > "$WORK/link.sh" <<SH
for _ in \$(seq 1200); do grep -q 'listening on 127' $WORK/executor.err && break; sleep 0.05; done
port=\$(sed -n 's/^jitdebug-executor: listening on 127\\.0\\.0\\.1:\\([0-9]*\\).*/\\1/p' $WORK/executor.err)
$LLVM_BIN/llvm-jitlink -oop-executor-connect=127.0.0.1:\$port $WORK/shapes.o
echo "llvm-jitlink-$V exited with status \$?"
SH
cat > "$WORK/demo.gdb" <<GDB
set pagination off
set confirm off
set print frame-arguments scalars
file $WORK/device/bin/jitdebug-executor-$V
set sysroot $WORK/device
echo (gdb) target remote gdb.sock\n
target remote $WORK/gdb.sock
source $SRC/gdb-plugin/jitdebug.py
echo (gdb) jit break area\n
jit break area
echo (gdb) -- llvm-jitlink-$V -oop-executor-connect=127.0.0.1:PORT shapes.o (on the host, in the background)\n
shell sh $WORK/link.sh &
echo (gdb) continue\n
continue
echo (gdb) bt 2\n
bt 2
echo (gdb) info locals\n
info locals
echo (gdb) print *s\n
print *s
echo (gdb) print scale      -- a .data static\n
print scale
echo (gdb) continue; print shapes_seen   -- a .bss static\n
continue
print shapes_seen
echo (gdb) jit list\n
jit list
echo (gdb) delete; continue\n
delete
continue
GDB
timeout 180 gdb-multiarch -q -batch -nx -x "$WORK/demo.gdb" 2>&1 |
	grep -vE '^\[(New|Thread|Inferior|Switching)|libthread_db|^0x[0-9a-f]+ in \?\? \(\) from|^Reading|^warning: (Unable|Could not)' |
	sed "s|$WORK/||g; s|$SRC/||g"
for _ in $(seq 200); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.05; done
QPID=

step "The program's own output (it ran on the AArch64 device)"
cat "$WORK/program.out"
