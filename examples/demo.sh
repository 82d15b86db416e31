#!/usr/bin/env bash
# demo.sh BUILD — the main job (`make demo`): JIT code debugged like normal code.
# It runs on the newest LLVM the build made an executor for (NN below: 19 on a `make deps` machine).
#  1. clang-NN -g -c compiles examples/shapes.c to an object with DWARF;
#  2. jitdebug-executor-NN listens on 127.0.0.1 (a drop-in for llvm-jitlink-executor);
#  3. GDB attaches to the executor and sets a breakpoint on `area`, which does not exist yet;
#  4. Debian's llvm-jitlink-NN links the object over TCP and runs it inside the executor;
#  5. the breakpoint resolves before the JIT code first runs: GDB shows the stop, the source line,
#     the locals, a .bss and a .data static, and the backtrace through JIT frames;
#  6. perf: `jitdebug perf record` around the executor, a hot JIT'd loop, `jitdebug perf report`
#     showing the JIT functions by name and source line;
#  7. the debug link: the executor serves its JIT objects over TCP; `jitdebug list` and
#     `jitdebug symbolize` query a running JIT'd service.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
V=
for exe in "$BUILD"/bin/jitdebug-executor-[0-9]*; do
	v=${exe##*-}
	[ -x "/usr/lib/llvm-$v/bin/llvm-jitlink" ] && [ -x "/usr/lib/llvm-$v/bin/clang" ] && { [ -z "$V" ] || [ "$v" -gt "$V" ]; } && V=$v
done
[ -n "$V" ] || { echo "demo: no LLVM with llvm-jitlink and clang for the executors in $BUILD/bin" >&2; exit 1; }
LLVM_BIN=/usr/lib/llvm-$V/bin
EXECUTOR=$BUILD/bin/jitdebug-executor-$V
WORK=$(mktemp -d /tmp/jitdebug-demo.XXXXXX)
EXPID=
trap '[ -n "$EXPID" ] && kill $EXPID 2>/dev/null; rm -rf "$WORK"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Compile the JIT'd program with DWARF"
echo "\$ clang-$V -g -O0 -c examples/shapes.c -o shapes.o"
"$LLVM_BIN/clang" -g -O0 -c "$HERE/shapes.c" -o "$WORK/shapes.o"

step "2. Start jitdebug-executor-$V on loopback"
"$EXECUTOR" listen=127.0.0.1:0 > "$WORK/program.out" 2> "$WORK/executor.err" &
EXPID=$!
for _ in $(seq 100); do grep -q listening "$WORK/executor.err" && break; sleep 0.05; done
cat "$WORK/executor.err"
PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/executor.err")

step "3-5. GDB attached to the executor; llvm-jitlink-$V runs the program remotely"
cat > "$WORK/demo.gdb" <<GDB
set pagination off
set breakpoint pending on
set print frame-arguments scalars
echo (gdb) break area\n
break area
echo (gdb) -- llvm-jitlink-$V --oop-executor-connect=127.0.0.1:$PORT shapes.o (in the background)\n
shell ($LLVM_BIN/llvm-jitlink --oop-executor-connect=127.0.0.1:$PORT $WORK/shapes.o; echo "llvm-jitlink-$V exited with status \$?") &
echo (gdb) continue\n
continue
echo (gdb) bt 2\n
bt 2
echo (gdb) next\n
next
echo (gdb) info locals\n
info locals
echo (gdb) print *s\n
print *s
echo (gdb) print scale      -- a .data static\n
print scale
echo (gdb) continue; print shapes_seen   -- a .bss static\n
continue
print shapes_seen
echo (gdb) delete; continue\n
delete
continue
GDB
timeout 120 gdb -q -batch -nx -p "$EXPID" -x "$WORK/demo.gdb" 2>&1 |
	grep -vE '^\[(New|Thread|Inferior|Detaching)|libthread_db|^0x[0-9a-f]+ in accept|accept4\.c|No such file or directory\.$'
for _ in $(seq 100); do kill -0 "$EXPID" 2>/dev/null || break; sleep 0.05; done
EXPID=

step "The program's own output (it ran inside the executor)"
cat "$WORK/program.out"

step "6. perf on JIT code: a hot loop, recorded and reported with JIT names and source lines"
"$LLVM_BIN/clang" -g -O0 -c "$HERE/hotloop.c" -o "$WORK/hotloop.o"
echo "\$ jitdebug perf record -o perfdata -- jitdebug-executor listen=127.0.0.1:0 &"
echo "\$ llvm-jitlink-$V --oop-executor-connect=127.0.0.1:PORT hotloop.o"
"$BUILD/bin/jitdebug" perf record -o "$WORK/perfdata" -- "$EXECUTOR" listen=127.0.0.1:0 \
	> "$WORK/hot.out" 2> "$WORK/hot.err" &
RECPID=$!
PORT=
for _ in $(seq 200); do
	PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/hot.err")
	[ -n "$PORT" ] && break
	sleep 0.05
done
"$LLVM_BIN/llvm-jitlink" --oop-executor-connect=127.0.0.1:$PORT "$WORK/hotloop.o"
wait $RECPID || true
grep '^jitdebug:' "$WORK/hot.err" | sed "s|$WORK/||g"
echo "\$ jitdebug perf report perfdata"
"$BUILD/bin/jitdebug" perf report "$WORK/perfdata" 2>/dev/null | sed -n '1,/^# The whole profile/p' | grep -v '^#$' | head -8
for m in /tmp/perf-*.map; do grep -q ' mandel_row$' "$m" 2>/dev/null && rm -f "$m"; done

step "7. The debug link: list and symbolize JIT code in a running process"
"$LLVM_BIN/clang" -g -O0 -c "$HERE/service.c" -o "$WORK/service.o"
JITDEBUG_LISTEN=127.0.0.1:0 DEMO_STOP="$WORK/stop" "$EXECUTOR" listen=127.0.0.1:0 \
	> "$WORK/service.out" 2> "$WORK/service.err" &
EXPID=$!
for _ in $(seq 100); do grep -q 'jitdebug-executor: listening' "$WORK/service.err" && break; sleep 0.05; done
cat "$WORK/service.err"
PORT=$(sed -n 's/^jitdebug-executor: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/service.err")
LINK=$(sed -n 's/^jitdebug: debug link listening on \([^ ]*\).*$/\1/p' "$WORK/service.err")
"$LLVM_BIN/llvm-jitlink" --oop-executor-connect=127.0.0.1:$PORT "$WORK/service.o" &
CTL=$!
for _ in $(seq 200); do grep -q 'handle_request at' "$WORK/service.out" && break; sleep 0.05; done
cat "$WORK/service.out"
ADDR=$(sed -n 's/.*handle_request at \(0x[0-9a-f]*\).*/\1/p' "$WORK/service.out")
echo "\$ jitdebug list --connect $LINK"
"$BUILD/bin/jitdebug" list --connect "$LINK"
echo "\$ jitdebug symbolize --connect $LINK $ADDR"
"$BUILD/bin/jitdebug" symbolize --connect "$LINK" "$ADDR" | sed "s|$HERE/|examples/|"
touch "$WORK/stop"
wait $CTL || true
for _ in $(seq 100); do kill -0 "$EXPID" 2>/dev/null || break; sleep 0.05; done
EXPID=
