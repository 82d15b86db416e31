#!/usr/bin/env bash
# Real perf on JIT code run remotely: `jitdebug perf record` around jitdebug-executor, Debian's
# llvm-jitlink-16 running the hot fixture in it; after perf inject --jit, perf report attributes most
# samples to jd_hot by name and by hot.c:line, and the identical twins stay two functions.
. "$(dirname "$0")/lib.sh"
REC=$TMP/rec
start_perf_executor "$REC"
timeout 120 "$JITLINK" --oop-executor-connect=127.0.0.1:$PORT "$JD_FIXTURES/hot.o" > "$TMP/ctl.out" 2>&1
for _ in $(seq 1200); do kill -0 "$RECPID" 2>/dev/null || break; sleep 0.1; done
adopt_perfmaps jd_hot
expect "the program ran in the executor" "$TMP/rec.out" "^hot: [0-9]+$"
expect "jitdebug perf record says where the data is" "$TMP/rec.err" "with JIT symbols: .*perf\.jit\.data"
perf report -i "$REC/perf.jit.data" --stdio --no-children --sort sym 2>/dev/null | grep -E '^ +[0-9]' > "$TMP/sym.txt"
perf report -i "$REC/perf.jit.data" --stdio --no-children --sort srcline 2>/dev/null | grep -E '^ +[0-9]' > "$TMP/src.txt"
head -3 "$TMP/sym.txt" | sed 's/^/    /'
expect "most samples in jd_hot, by name" "$TMP/sym.txt" "^ +([5-9][0-9]|100)\.[0-9]+% +\[\.\] jd_hot$"
expect "jd_twin_a has its own name" "$TMP/sym.txt" "\[\.\] jd_twin_a$"
expect "jd_twin_b has its own name" "$TMP/sym.txt" "\[\.\] jd_twin_b$"
expect "--sort srcline shows the fixture's hot line" "$TMP/src.txt" "hot\.c:$(hot_line hot-loop)$"
"$JITDEBUG" jitdump-check --strict "$REC"/jit/jit-*.dump > "$TMP/check.txt" 2>&1
expect "the executor's jitdump is valid" "$TMP/check.txt" ": ok, [0-9]+ records"
"$JITDEBUG" perf report "$REC" > "$TMP/report.txt" 2>&1
expect "jitdebug perf report: jd_hot with file:line" "$TMP/report.txt" "jd_hot +hot\.c:$(hot_line hot-loop)"

# UNWINDING_INFO: every DSO perf inject synthesized carries .eh_frame/.eh_frame_hdr whose FDE covers
# exactly its .text (readelf decodes perf's output, not ours).
ok=0 bad=0
for so in "$REC"/jit/jitted-*.so; do
	text=$(readelf -SW "$so" | sed -n 's/.*\] \.text  *PROGBITS  *\([0-9a-f]*\) [0-9a-f]* \([0-9a-f]*\) .*/\1 \2/p')
	fde=$(readelf --debug-dump=frames "$so" 2>/dev/null | sed -n 's/.*FDE cie=00000000 pc=\([0-9a-f]*\)\.\.\([0-9a-f]*\).*/\1 \2/p' | head -1)
	if [ -n "$text" ] && [ -n "$fde" ] && [ "$(printf '%x %x' $((16#${text% *})) $((16#${text% *} + 16#${text#* })))" = "$(printf '%x %x' $((16#${fde% *})) $((16#${fde#* })))" ]; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1))
		echo "    $so: .text [$text] FDE [$fde]"
	fi
done
[ "$ok" -ge 4 ] && [ "$bad" = 0 ] && pass "unwinding info: $ok synthesized DSOs, each FDE covers its .text" || fail "unwinding info in the synthesized DSOs ($ok ok, $bad bad)"

# The recording looked at on another machine (docs/fleet.md): `perf archive` packs the build-id cache
# entries it needs (the jitted-*.so files with their lines included); unpacked into another HOME's
# ~/.debug, with the recording moved and its jit/ directory gone, the report still names jd_hot and
# its line.
(cd "$TMP" && timeout 120 perf archive "$REC/perf.jit.data" > "$TMP/archive.out" 2>&1)
mkdir -p "$TMP/elsewhere/home/.debug" "$TMP/elsewhere/rec"
tar xf "$REC/perf.jit.data.tar.bz2" -C "$TMP/elsewhere/home/.debug" 2> "$TMP/untar.err"
mv "$REC/perf.data" "$REC/perf.jit.data" "$TMP/elsewhere/rec/"
rm -rf "$REC"
HOME=$TMP/elsewhere/home "$JITDEBUG" perf report "$TMP/elsewhere/rec" > "$TMP/report-elsewhere.txt" 2>&1
expect "perf archive, elsewhere: jitdebug perf report names jd_hot with file:line" "$TMP/report-elsewhere.txt" \
	"jd_hot +hot\.c:$(hot_line hot-loop)"
mkdir -p "$TMP/elsewhere/empty-home"
HOME=$TMP/elsewhere/empty-home "$JITDEBUG" perf report "$TMP/elsewhere/rec" > "$TMP/report-nothing.txt" 2>&1
expect_not "without the archive it cannot (the check above is not vacuous)" "$TMP/report-nothing.txt" \
	"jd_hot +hot\.c:$(hot_line hot-loop)"
finish
