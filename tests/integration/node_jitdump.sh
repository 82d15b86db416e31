#!/usr/bin/env bash
# V8's own perf outputs (Node), a runtime nobody here wrote, against stock perf on the same runs:
# - its jitdump (--perf-prof): stock perf takes it (perf inject --jit writes a jitted-*.so per
#   function), so `jitdebug jitdump-check` must too. What perf reads past (V8 pads its UNWINDING_INFO and
#   some DEBUG_INFO records) is counted, not an error; what perf misreads is reported as what it is (V8
#   writes some DEBUG_INFO file names with NUL bytes inside), and nothing else. --strict, jitdebug's own
#   writer's standard, still refuses the padding. `jitdebug perf record` names the dump V8 wrote in its
#   working directory, and `jitdebug perf report` names V8's functions with their lines;
# - its perf map (--perf-basic-prof): `jitdebug perf report` counts the samples perf 6.1 labels
#   `[JIT] tid PID` as JIT code, with the share `perf report --sort dso` gives on the same data;
# - the hooks preloaded into node with the link on: V8 registers nothing with the GDB JIT interface
#   (Debian's node is built without it), so `jitdebug symbolize` names an address from V8's perf map and
#   says so.
. "$(dirname "$0")/lib.sh"
NODE=$(command -v node || command -v nodejs || true)
[ -n "$NODE" ] || skip "no node (Debian's nodejs)"
cat > "$TMP/hot.js" <<'JS'
function square(x) { return x * x; }
function poly(n) { let s = 0; for (let i = 0; i < n; i++) s += square(i) % 7; return s; }
let t = 0; for (let k = 0; k < 60; k++) t += poly(100000);
console.log("sum " + t);
JS
# The stock path on the same run: perf records node, perf inject reads V8's dump.
(cd "$TMP" && timeout 120 perf record -q -k 1 -o "$TMP/perf.data" "$NODE" --perf-prof --interpreted-frames-native-stack \
	hot.js > "$TMP/node.out" 2> "$TMP/record.err")
expect "node ran under perf" "$TMP/node.out" "^sum [0-9]+$"
dump=$(ls "$TMP"/jit-*.dump 2>/dev/null | head -1)
[ -n "$dump" ] && echo "dump=$dump" > "$TMP/dump.txt" || echo "no dump" > "$TMP/dump.txt"
expect "V8 wrote its jitdump in the working directory" "$TMP/dump.txt" "^dump=.*/jit-[0-9]+\.dump$"
timeout 120 perf inject --jit -i "$TMP/perf.data" -o "$TMP/perf.jit.data" > "$TMP/inject.out" 2>&1
echo "status=$?" >> "$TMP/inject.out"
ls "$TMP"/jitted-*.so 2>/dev/null | wc -l | sed 's/^/jitted=/' >> "$TMP/inject.out"
expect "stock: perf inject takes V8's dump" "$TMP/inject.out" "^status=0$"
expect_not "stock: perf inject writes a file per function" "$TMP/inject.out" "^jitted=0$"

timeout 60 "$JITDEBUG" jitdump-check "$dump" > "$TMP/check.out" 2>&1
echo "status=$?" >> "$TMP/check.out"
expect "jitdump-check reads the whole dump" "$TMP/check.out" "[0-9]+ records"
grep '^.*: bad record at offset' "$TMP/check.out" | grep -v 'file names hold NUL bytes' > "$TMP/other-bad.out" || true
expect_not "jitdump-check finds nothing wrong that perf reads right (only V8's NUL-in-name records)" \
	"$TMP/other-bad.out" "bad record"
if grep -q 'bad record at' "$TMP/check.out"; then
	expect "V8's file names with NUL bytes are named as such" "$TMP/check.out" "file names hold NUL bytes"
	expect "... and the status says the dump has bad records" "$TMP/check.out" "^status=1$"
else
	expect "a dump without V8's defect is ok" "$TMP/check.out" "^status=0$"
fi
timeout 60 "$JITDEBUG" jitdump-check --strict "$dump" > "$TMP/strict.out" 2>&1
if grep -q "padded records" "$TMP/check.out"; then
	expect "--strict refuses the padding perf reads past" "$TMP/strict.out" "do not fit|bytes after its"
fi

# jitdebug perf record/report on Node as the user runs it (no hooks: V8 writes its own outputs).
(cd "$TMP" && timeout 180 "$JITDEBUG" perf record -o "$TMP/pj" --no-preload -- "$NODE" --perf-prof hot.js \
	> "$TMP/pj.out" 2> "$TMP/pj.err")
expect "perf record names the jitdump V8 wrote itself" "$TMP/pj.err" "from the program's own jitdump: .*/jit-[0-9]+\.dump"
expect_not "perf record does not say the process wrote none" "$TMP/pj.err" "wrote no jitdump"
timeout 120 "$JITDEBUG" perf report "$TMP/pj" > "$TMP/pj.report" 2>&1
# By name: V8's file names are garbage in some runs (the NUL bytes above; newlines among them), in
# perf's own report too, so the source column is not checked.
expect "perf report through V8's jitdump: poly by name" "$TMP/pj.report" "^ +[0-9.]+% +JS:[*~^]?poly "
(cd "$TMP" && timeout 180 "$JITDEBUG" perf record -o "$TMP/pm" --no-preload -- "$NODE" --perf-basic-prof hot.js \
	> "$TMP/pm.out" 2> "$TMP/pm.err")
expect "perf record says the JIT code is named from the program's perf map" "$TMP/pm.err" "JIT code named from the program's perf map"
timeout 120 "$JITDEBUG" perf report "$TMP/pm" > "$TMP/pm.report" 2>&1
expect "perf report through V8's perf map: poly by name" "$TMP/pm.report" "^ +[0-9.]+% +JS:[*~^]?poly "
mine=$(sed -n 's/^# JIT code: \([0-9.]*\)% of all samples.*/\1/p' "$TMP/pm.report")
timeout 120 perf report -i "$TMP/pm/perf.jit.data" --stdio --no-children --sort dso > "$TMP/pm.dso" 2>/dev/null
stock=$(awk '/\[JIT\] tid/ { gsub("%", "", $1); s += $1 } END { printf "%.2f", s }' "$TMP/pm.dso")
# V8 wrote /tmp/perf-PID.map: removed at exit with the test's other perf maps.
PERFMAPS+=($(sed -n 's/.*\[JIT\] tid \([0-9][0-9]*\).*/\1/p' "$TMP/pm.dso" | sort -u))
echo "mine=$mine stock=$stock" > "$TMP/share.txt"
expect "the JIT share is perf report's own ($stock%), not 0" "$TMP/share.txt" "^mine=$stock stock=$stock$"
expect_not "... and it is not zero" "$TMP/share.txt" "^mine=0\.00 "
# The hooks preloaded, the link on, V8's perf map: symbolize falls back to the perf map.
cat > "$TMP/long.js" <<'JS'
function square(x) { return x * x; }
function poly(n) { let s = 0; for (let i = 0; i < n; i++) s += square(i) % 7; return s; }
let t = 0; const until = Date.now() + 20000;
while (Date.now() < until) t += poly(100000);
console.log("sum " + t);
JS
(cd "$TMP" && exec timeout 60 env LD_PRELOAD="$HOOKS_SO" JITDEBUG_LISTEN=127.0.0.1:0 "$NODE" --perf-basic-prof long.js \
	> "$TMP/long.out" 2> "$TMP/long.err") &
PIDS+=($!)
link= npid= addr=
for _ in $(seq 100); do
	npid=$(sed -n 's/^jitdebug: debug link listening on .* (pid \([0-9]*\), node)$/\1/p' "$TMP/long.err")
	link=$(sed -n 's/^jitdebug: debug link listening on \([^ ]*\) (pid [0-9]*, node)$/\1/p' "$TMP/long.err")
	[ -n "$npid" ] && addr=$(grep -m1 ' JS:[*~^]\?poly ' "/tmp/perf-$npid.map" 2>/dev/null | cut -d' ' -f1)
	[ -n "$addr" ] && break
	sleep 0.1
done
[ -n "$npid" ] && PERFMAPS+=("$npid") && PIDS+=("$npid") # killed at exit with the timeout around it
echo "link=$link pid=$npid addr=$addr" > "$TMP/long.found"
expect "node with the hooks preloaded: the link listens and V8's perf map names poly" "$TMP/long.found" "^link=127\.0\.0\.1:[0-9]+ pid=[0-9]+ addr=[0-9a-f]+$"
if [ -n "$addr" ]; then
	timeout 30 "$JITDEBUG" symbolize --connect "$link" "$(printf '%x' $((0x$addr + 4)))" 10 > "$TMP/sym.out" 2>&1
	expect "symbolize: an address in V8's code is named from its perf map, and says so" "$TMP/sym.out" \
		"^0x[0-9a-f]+: JS:[*~^]?poly .*\+0x4 \(from /tmp/perf-$npid\.map: no JIT object covers 0x[0-9a-f]+\)$"
	expect "symbolize: an address nothing names is still refused" "$TMP/sym.out" "^0x10: no JIT object covers 0x10$"
fi
finish
