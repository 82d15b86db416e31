#!/usr/bin/env bash
# Call graphs through JIT code without frame pointers: `jitdebug perf record -g` (--call-graph dwarf)
# around jitdebug-executor; perf unwinds out of jd_spin with the jitdump's UNWINDING_INFO, into
# jd_caller, main and the executor's own frames.
. "$(dirname "$0")/lib.sh"
REC=$TMP/rec
start_perf_executor "$REC" -g
timeout 120 "$JITLINK" --oop-executor-connect=127.0.0.1:$PORT "$JD_FIXTURES/callgraph.o" > "$TMP/ctl.out" 2>&1
for _ in $(seq 1200); do kill -0 "$RECPID" 2>/dev/null || break; sleep 0.1; done
adopt_perfmaps jd_spin
expect "the program ran" "$TMP/rec.out" "^callgraph: [0-9]+$"
perf report -i "$REC/perf.jit.data" --stdio --no-children -G --percent-limit 20 2>/dev/null | grep -v '^#' | grep -v '^$' > "$TMP/graph.txt"
sed -n '1,14p' "$TMP/graph.txt" | sed 's/^/    /'
# caller-based graph (-G): the chain printed under jd_spin ends ... main, jd_caller, jd_spin
awk '/\[\.\] jd_spin$/ { f = 1 } f && /^ *$/ { exit } f' "$TMP/graph.txt" | sed 's/^[ |-]*//' > "$TMP/chain.txt"
expect "jd_spin is the hot function" "$TMP/graph.txt" "^ +[0-9.]+% .*\[\.\] jd_spin$"
expect "unwound into its caller jd_caller" "$TMP/chain.txt" "^jd_caller$"
expect "and into main" "$TMP/chain.txt" "^main$"
expect "and out of JIT code into the executor" "$TMP/chain.txt" "runAsMain"
finish
