#!/usr/bin/env bash
# Light JITs (jd_register_functions): examples/lightjit compiles poly.acc to x86-64 at run time and
# registers name, address, size and line table. Checked with real GDB 13, LLDB 16, perf, the debug link
# and llvm-dwarfdump-16 --verify on what the writer produced.
. "$(dirname "$0")/lib.sh"
LJ=$JD_BUILD/bin/lightjit
SRC=$JD_SRC/examples/lightjit/poly.acc
acc_line() { grep -n -- "$1" "$SRC" | head -1 | cut -d: -f1; }
L_SQ_FN=$(acc_line "^fn square"); L_SQ_MUL=$(acc_line "mul x"); L_SQ_RET=$((L_SQ_MUL + 1))
L_CALL=$(acc_line "call square"); L_MUL2=$(acc_line "mul 2")

# The writer's objects (from the unit test's cases) verify cleanly.
mkdir -p "$TMP/objs"
timeout 60 "$JD_BUILD/bin/test_synth" "$TMP/objs" > "$TMP/synth.out" 2>&1
for o in three bare batch1000; do
	timeout 60 "$LLVM_BIN/llvm-dwarfdump" --verify "$TMP/objs/$o.o" > "$TMP/verify-$o.txt" 2>&1
	expect "llvm-dwarfdump --verify: $o.o has no errors" "$TMP/verify-$o.txt" "^No errors\.$"
done

# GDB: pending breakpoints by name and by file:line resolve when the object registers.
timeout 120 gdb -q -batch -nx -ex 'set breakpoint pending on' -ex 'break square' -ex "break poly.acc:$L_MUL2" \
	-ex run -ex bt -ex 'list' -ex next -ex 'frame' -ex continue -ex 'frame' -ex 'info symbol $pc' -ex kill \
	--args "$LJ" "$SRC" > "$TMP/gdb.txt" 2>&1
expect "gdb: breakpoint by name stops in square at its first body line" "$TMP/gdb.txt" "^Breakpoint 1, square \(\) at .*poly\.acc:$L_SQ_MUL$"
expect "gdb: bt frame #0 square with its line" "$TMP/gdb.txt" "^#0 +square \(\) at .*poly\.acc:$L_SQ_MUL$"
expect "gdb: bt frame #1 poly at the call" "$TMP/gdb.txt" "^#1 +0x[0-9a-f]+ in poly \(\) at .*poly\.acc:$L_CALL$"
expect "gdb: list shows the source of the little language" "$TMP/gdb.txt" "^$L_SQ_FN[[:space:]]+fn square$"
expect "gdb: next steps to the next line of the table" "$TMP/gdb.txt" "^#0 +square \(\) at .*poly\.acc:$L_SQ_RET$"
expect "gdb: breakpoint by file:line" "$TMP/gdb.txt" "^Breakpoint 2, poly \(\) at .*poly\.acc:$L_MUL2$"
expect "gdb: the symbol is known by address" "$TMP/gdb.txt" "^poly \+ [0-9]+ in section \.text"

# LLDB (its own JIT loader reads the GDB JIT interface).
timeout 120 "$LLDB" -b -o 'breakpoint set -n square' -o "breakpoint set -f poly.acc -l $L_MUL2" -o run -o bt \
	-o 'thread step-over' -o 'frame info' -o continue -o 'frame info' -o kill -- "$LJ" "$SRC" > "$TMP/lldb.txt" 2>&1
expect "lldb: the breakpoint by name is pending before the JIT runs" "$TMP/lldb.txt" "^Breakpoint 1: no locations \(pending\)\.$"
expect "lldb: bt frame #0 square with its line" "$TMP/lldb.txt" "frame #0: 0x[0-9a-f]+ JIT\(0x[0-9a-f]+\)\`square at poly\.acc:$L_SQ_MUL$"
expect "lldb: bt frame #1 poly at the call" "$TMP/lldb.txt" "frame #1: 0x[0-9a-f]+ JIT\(0x[0-9a-f]+\)\`poly at poly\.acc:$L_CALL$"
expect "lldb: step-over reaches the next line" "$TMP/lldb.txt" "^frame #0: 0x[0-9a-f]+ JIT\(0x[0-9a-f]+\)\`square at poly\.acc:$L_SQ_RET$"
expect "lldb: breakpoint by file:line" "$TMP/lldb.txt" "^frame #0: 0x[0-9a-f]+ JIT\(0x[0-9a-f]+\)\`poly at poly\.acc:$L_MUL2$"

# perf: jitdump names and lines, and the perf map.
REC=$TMP/rec
timeout 180 "$JITDEBUG" perf record --no-preload -o "$REC" -- "$LJ" "$SRC" poly 5 150000000 > "$TMP/rec.out" 2> "$TMP/rec.err"
expect "perf: the program ran" "$TMP/rec.out" "^poly\(5\) = 61$"
perf report -i "$REC/perf.jit.data" --stdio --no-children --sort sym,srcline 2>/dev/null | grep -E '^ +[0-9]' > "$TMP/jd.txt"
head -4 "$TMP/jd.txt" | sed 's/^/    /'
expect "perf jitdump: square by name and poly.acc line" "$TMP/jd.txt" "^ +[0-9.]+% +\[\.\] square +poly\.acc:[0-9]+$"
expect "perf jitdump: poly by name and poly.acc line" "$TMP/jd.txt" "^ +[0-9.]+% +\[\.\] poly +poly\.acc:[0-9]+$"
JITDEBUG_PERFMAP=1 timeout 180 perf record -q -k 1 -e cpu-clock -o "$TMP/pm.data" -- "$LJ" "$SRC" poly 5 100000000 > "$TMP/pm.out" 2>&1
adopt_perfmaps square
perf report -i "$TMP/pm.data" --stdio --no-children --sort sym 2>/dev/null | grep -E '^ +[0-9]' > "$TMP/pm.txt"
expect "perf map: square by name" "$TMP/pm.txt" "^ +[0-9.]+% +\[\.\] square$"

# The debug link serves the synthesized object: list, symbolize, fetch (and the fetched object verifies).
fresh_files "$TMP/link.out" "$TMP/link.err"
JITDEBUG_LISTEN=127.0.0.1:0 timeout 120 "$LJ" "$SRC" poly 5 100000000000 > "$TMP/link.out" 2> "$TMP/link.err" &
LPID=$!
PIDS+=("$LPID")
LINK=$(link_address "$TMP/link.err")
"$JITDEBUG" list --connect "$LINK" > "$TMP/list.txt" 2>&1
expect "link: list shows the object, first symbol square" "$TMP/list.txt" "^[0-9]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +announced +square$"
ID=$(awk '$NF == "square" { print $1 }' "$TMP/list.txt" | head -1)
LO=$(awk '$NF == "square" { split($2, r, "-"); print r[1] }' "$TMP/list.txt" | head -1)
"$JITDEBUG" symbolize --connect "$LINK" "$LO" > "$TMP/sym.txt" 2>&1
expect "link: symbolize gives square and its poly.acc line" "$TMP/sym.txt" "square\+0x0 at .*poly\.acc:$L_SQ_FN "
"$JITDEBUG" fetch --connect "$LINK" "$ID" -o "$TMP/fetched.o" 2> "$TMP/fetch.err"
timeout 60 "$LLVM_BIN/llvm-dwarfdump" --verify "$TMP/fetched.o" > "$TMP/verify-fetched.txt" 2>&1
expect "link: the fetched object verifies" "$TMP/verify-fetched.txt" "^No errors\.$"
kill "$LPID" 2>/dev/null

# Bad input through the example's path: nothing crashes, a clear error.
printf 'fn broken\n  mul y\n' > "$TMP/bad.acc"
timeout 20 "$LJ" "$TMP/bad.acc" > "$TMP/bad.txt" 2>&1
expect "a bad program is refused with its line" "$TMP/bad.txt" "bad\.acc:2: cannot compile this line"
finish
