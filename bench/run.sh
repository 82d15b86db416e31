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
echo "== Registration cost with the perf outputs (10,000 registrations of tests/fixtures/hot.c, 4 functions)"
tmpd=$(mktemp -d)
F=$BUILD/tests/fixtures
for spec in "off hot.o" "perfmap hot.o" "jitdump hot-nodebug.o" "jitdump hot.o"; do
	set -- $spec
	rm -rf "$tmpd/dump"
	(cd "$tmpd" && "$BUILD/bin/bench_perf" "$1" "$F/$2" "$tmpd/dump" 10000)
done | tee "$tmpd/perf.txt"
# The same workload's JIT link time per object: llvm-jitlink-16 -noexec, 101 objects vs 1 (median of 5).
"$HERE/gen_program.sh" "$tmpd/prog" 100 3
for c in "$tmpd"/prog/*.c; do /usr/lib/llvm-16/bin/clang -g -O0 -c "$c" -o "${c%.c}.o"; done
echo 'int main(void) { return 0; }' > "$tmpd/empty.c"
/usr/lib/llvm-16/bin/clang -g -O0 -c "$tmpd/empty.c" -o "$tmpd/empty.o"
t_ms() { local xs=(); for _ in 1 2 3 4 5; do local t0; t0=$(date +%s%N); /usr/lib/llvm-16/bin/llvm-jitlink -noexec "$@" >/dev/null; xs+=($((($(date +%s%N) - t0) / 1000))); done; printf '%s\n' "${xs[@]}" | sort -n | sed -n 3p; }
t_all=$(t_ms "$tmpd"/prog/*.o)
t_one=$(t_ms "$tmpd/empty.o")
link_us=$(awk -v a="$t_all" -v b="$t_one" 'BEGIN { printf "%.1f", (a - b) / 101 }')
echo "   llvm-jitlink-16 -noexec: ${link_us} us per object (101 objects ${t_all} us, an empty main ${t_one} us)"
awk -v L="$link_us" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "   %-8s %-22s %7.2f us/object = %.3fx the JIT link time%s\n", v["mode"], (v["object_bytes"] < 3000 ? "(object without DWARF)" : ""),
	v["us_per_object"], v["us_per_object"] / L, (v["dump_bytes_per_function"] ? sprintf(", jitdump %d bytes/function", v["dump_bytes_per_function"]) : "") }' "$tmpd/perf.txt"
rm -rf "$tmpd"
echo "   the same, counted in instructions (callgrind; repeatable where the times above vary):"
"$HERE/icount_perf.sh" "$BUILD"

echo
echo "== Executor size (bytes), per LLVM"
# The LLVM versions the build made executors for, with Debian's stock executor to compare against.
versions=()
for exe in "$BUILD"/bin/jitdebug-executor-[0-9]*; do
	v=${exe##*-}
	[ -x "/usr/lib/llvm-$v/bin/llvm-jitlink-executor" ] && versions+=("$v")
done
for v in "${versions[@]}"; do
	tmp=$(mktemp)
	strip -o "$tmp" "$BUILD/bin/jitdebug-executor-$v"
	stock=$(stat -c %s "/usr/lib/llvm-$v/bin/llvm-jitlink-executor")
	ours=$(stat -c %s "$tmp")
	rm -f "$tmp"
	awk -v v="$v" -v a="$ours" -v b="$stock" 'BEGIN { printf "   LLVM %s: jitdebug-executor-%s (stripped) %d, llvm-jitlink-executor-%s (Debian, stripped) %d: %.2fx\n", v, v, a, v, b, a / b }'
	for exe in "$BUILD/bin/jitdebug-executor-$v" "/usr/lib/llvm-$v/bin/llvm-jitlink-executor"; do
		echo "      NEEDED of $(basename "$exe"): $(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
	done
done

for v in "${versions[@]}"; do
	echo
	echo "== llvm-jitlink-$v: link and run, in-process vs remote over loopback TCP (median of 5)"
	"$HERE/remote_link.sh" "$BUILD" "$v"
done

echo
echo "== A device on this machine (chroot, namespaces, veth): link and run, in-process vs on the device (median of 5)"
"$HERE/device_link.sh" "$BUILD" 16

echo
echo "== An AArch64 device under qemu-aarch64-static (make aarch64): link and run, jitdebug-executor vs Debian's arm64 executor (median of 5)"
for v in 19 16; do "$HERE/aarch64_link.sh" "$BUILD" "$v"; done

echo
echo "== The fleet: publishing by build-id, debuginfod, trimmed cores (bench/fleet.sh)"
"$HERE/fleet.sh" "$BUILD"

echo
echo "== The debug link"
"$HERE/link_bench.sh" "$BUILD"

echo
JITDEBUG_LISTEN=127.0.0.1:0 "$BUILD/bin/bench_link_flood" "$OBJ" 2000 5000 2>/dev/null

echo
echo "== Light JITs: jd_register_function(s), no debugger attached, perf outputs off (median of 100,000; batches of 1,000)"
"$BUILD/bin/bench_functions" 100000

echo
echo "== GDB with many JIT objects: stock vs the plugin in lazy mode (N = 1,000, 3,000, 10,000)"
"$HERE/gdb_bench.sh" "$BUILD"
for v in "${versions[@]}"; do
	[ "$v" = 16 ] && continue
	echo "   the same with llvm-jitlink-$v:"
	JD_BENCH_LLVM=$v "$HERE/gdb_bench.sh" "$BUILD" 1000
done

echo
echo "== LLDB with many JIT objects: stock vs the plugin in lazy mode (N = 1,000, 3,000, 10,000), and cores"
"$HERE/lldb_bench.sh" "$BUILD"
for v in "${versions[@]}"; do
	[ "$v" = 16 ] && continue
	echo "   the same with llvm-jitlink-$v:"
	JD_BENCH_LLVM=$v "$HERE/lldb_bench.sh" "$BUILD" 1000
done
