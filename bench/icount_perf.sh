#!/usr/bin/env bash
# icount_perf.sh BUILD — instructions per registration (register + unregister of tests/fixtures/hot.o,
# 4 functions) with each perf-output configuration, counted by callgrind: repeatable whatever else the
# machine does, where wall-clock figures on a shared 2-core VM vary by half. The count is
# (instructions at 2,000 registrations - at 1,000) / 1,000, so set-up cancels out. The binaries are
# stripped copies (valgrind 3.19 cannot read clang 16's DWARF 5).
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
command -v valgrind > /dev/null || { echo "   (valgrind not installed: skipped)"; exit 0; }
WORK=$(mktemp -d /tmp/jitdebug-icount.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
strip -o "$WORK/bench_perf" "$BUILD/bin/bench_perf"
strip -o "$WORK/libjitdebug-hooks.so" "$BUILD/lib/libjitdebug-hooks.so"
ir() { # MODE COUNT
	rm -rf "$WORK/dump" "$WORK/cg.out"
	(cd "$WORK" && LD_LIBRARY_PATH="$WORK" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" \
		./bench_perf "$1" "$BUILD/tests/fixtures/hot.o" "$WORK/dump" "$2" > /dev/null 2>&1)
	sed -n 's/^summary: \([0-9]*\).*/\1/p' "$WORK/cg.out"
}
for mode in off perfmap jitdump all; do
	a=$(ir "$mode" 1000)
	b=$(ir "$mode" 2000)
	printf "   %-8s %8d instructions per registration\n" "$mode" $(((b - a) / 1000))
done
