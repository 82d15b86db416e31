#!/usr/bin/env bash
# run.sh BUILD — every figure of the benchmarks, each beside the stock tool on the same run.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
OBJ=$BUILD/tests/fixtures/jitfix.o

echo "== Registration cost, no debugger attached (median of 100,000, ns/object)"
"$BUILD/bin/bench_register_llvm" "$OBJ" | tee /tmp/jd-bench-llvm.txt
"$BUILD/bin/bench_register_jd" "$OBJ" | tee /tmp/jd-bench-jd.txt
llvm=$(sed -n 's/.*median_ns=\([0-9]*\).*/\1/p' /tmp/jd-bench-llvm.txt)
while read -r who path m; do
	ns=${m#median_ns=}
	awk -v p="$path" -v a="$ns" -v b="$llvm" 'BEGIN { printf "   %-14s %6d ns = %.1fx LLVM 16 JITLoaderGDB (%d ns)\n", p, a, a / b, b }'
done < <(sed 's/objects=[0-9]* size=[0-9]* //' /tmp/jd-bench-jd.txt)
rm -f /tmp/jd-bench-llvm.txt /tmp/jd-bench-jd.txt

echo
echo "== Executor size (bytes)"
tmp=$(mktemp)
strip -o "$tmp" "$BUILD/bin/jitdebug-executor"
stock=$(stat -c %s /usr/lib/llvm-16/bin/llvm-jitlink-executor)
ours=$(stat -c %s "$tmp")
rm -f "$tmp"
awk -v a="$ours" -v b="$stock" 'BEGIN { printf "   jitdebug-executor (stripped) %d, llvm-jitlink-executor (Debian, stripped) %d: %.2fx\n", a, b, a / b }'

echo
echo "== llvm-jitlink-16: link and run, in-process vs remote over loopback TCP (median of 5)"
"$HERE/remote_link.sh" "$BUILD"
