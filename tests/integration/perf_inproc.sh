#!/usr/bin/env bash
# Real perf on in-process ORC (lli-16 --jit-linker=jitlink): through `jitdebug perf record`, which
# preloads the hooks (jitdump: names and lines), and the perf-map-only path with plain perf (names).
. "$(dirname "$0")/lib.sh"
REC=$TMP/rec
timeout 180 "$JITDEBUG" perf record -o "$REC" -- "$LLI" --jit-linker=jitlink "$(bitcode hot)" > "$TMP/rec.out" 2> "$TMP/rec.err"
expect "the program ran" "$TMP/rec.out" "^hot: [0-9]+$"
perf report -i "$REC/perf.jit.data" --stdio --no-children --sort sym,srcline 2>/dev/null | grep -E '^ +[0-9]' > "$TMP/jd.txt"
head -3 "$TMP/jd.txt" | sed 's/^/    /'
# The top row is jd_hot at a line of its loop (which of the loop's two lines gets more samples
# depends on the CPU's sampling skid), and jd_hot's lines hold most samples together.
L=$(hot_line hot-loop)
head -1 "$TMP/jd.txt" > "$TMP/jd-top.txt"
expect "jitdump: jd_hot on top with a line of its loop" "$TMP/jd-top.txt" "^ +[0-9.]+% +\[\.\] jd_hot +hot\.c:($((L - 1))|$L)$"
awk '$3 == "jd_hot" { s += $1 } END { printf "jd_hot total %.0f\n", s }' "$TMP/jd.txt" > "$TMP/jd-sum.txt"
expect "jitdump: most samples in jd_hot's lines" "$TMP/jd-sum.txt" "^jd_hot total ([5-9][0-9]|100)$"
expect "jitdump: jd_twin_b kept apart from jd_twin_a" "$TMP/jd.txt" "\[\.\] jd_twin_b +hot\.c"

# perf map only: the hooks write /tmp/perf-<pid>.map, which perf report reads.
JITDEBUG_PERFMAP=1 LD_PRELOAD="$HOOKS_SO" timeout 180 perf record -q -k 1 -e cpu-clock -o "$TMP/pm.data" -- \
	"$LLI" --jit-linker=jitlink "$(bitcode hot)" > "$TMP/pm.out" 2>&1
adopt_perfmaps jd_hot
perf report -i "$TMP/pm.data" --stdio --no-children --sort sym 2>/dev/null | grep -E '^ +[0-9]' > "$TMP/pm.txt"
head -3 "$TMP/pm.txt" | sed 's/^/    /'
expect "perf map: most samples in jd_hot by name" "$TMP/pm.txt" "^ +([5-9][0-9]|100)\.[0-9]+% +\[\.\] jd_hot$"
expect "perf map: jd_twin_a by name" "$TMP/pm.txt" "\[\.\] jd_twin_a$"
finish
