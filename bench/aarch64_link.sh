#!/usr/bin/env bash
# aarch64_link.sh BUILD [NN] — link-and-run time of the 20,000-line two-object program (gen_program.sh,
# clang --target=aarch64-linux-gnu -g -O0) from the x86-64 host's llvm-jitlink-NN (default 19) into an
# AArch64 executor under qemu-aarch64-static over loopback TCP: jitdebug-executor-NN (make aarch64)
# against Debian's own arm64 llvm-jitlink-executor of the same version (from the sysroot that
# scripts/aarch64-sysroot.sh unpacked, with its libraries), each in a device root of its own. Median
# of 5 runs of "start the executor .. the program's output appears". Also the sizes and NEEDED lists
# of both.
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
V=${2:-19}
A64=$BUILD/aarch64
SYSROOT=$BUILD/deps/arm64/root
LLVM_BIN=/usr/lib/llvm-$V/bin
HERE=$(cd "$(dirname "$0")" && pwd)
OURS=$A64/bin/jitdebug-executor-$V
STOCK=$SYSROOT/usr/lib/llvm-$V/bin/llvm-jitlink-executor
[ -x "$OURS" ] || { echo "   AArch64: skipped: no $OURS (make aarch64)"; exit 0; }
[ -x "$STOCK" ] || { echo "   AArch64: skipped: no Debian arm64 llvm-jitlink-executor in $SYSROOT"; exit 0; }
command -v qemu-aarch64-static > /dev/null || { echo "   AArch64: skipped: no qemu-aarch64-static"; exit 0; }
TMP=$(mktemp -d /tmp/jitdebug-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

"$HERE/../scripts/aarch64-device.sh" "$TMP/ours" "$OURS" || { echo "   AArch64: skipped: no device root"; exit 0; }
JD_AARCH64_RUNTIME=/usr/aarch64-linux-gnu/lib:$SYSROOT/usr/lib/aarch64-linux-gnu:$SYSROOT/lib/aarch64-linux-gnu \
	"$HERE/../scripts/aarch64-device.sh" "$TMP/stock" "$STOCK" || { echo "   AArch64: skipped: no device root for Debian's executor"; exit 0; }
for side in ours stock; do
	exe=$(ls "$TMP/$side/bin/")
	tmp=$(mktemp)
	"$LLVM_BIN/llvm-strip" -o "$tmp" "$TMP/$side/bin/$exe" 2>/dev/null || cp "$TMP/$side/bin/$exe" "$tmp"
	printf '   AArch64 %-26s %8d bytes stripped; device root %6d KB; NEEDED: %s\n' "$exe" "$(stat -c %s "$tmp")" \
		"$(du -sk "$TMP/$side" | cut -f1)" "$(readelf -d "$TMP/$side/bin/$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
	rm -f "$tmp"
done

"$HERE/gen_program.sh" "$TMP/prog" 2 900
for c in "$TMP"/prog/*.c; do "$LLVM_BIN/clang" --target=aarch64-linux-gnu -g -O0 -c "$c" -o "${c%.c}.o"; done
OBJS=("$TMP"/prog/*.o)

now() { date +%s%N; }
one_run() { # one_run ours|stock -> ms from the executor's start to the program's checksum line
	local root=$TMP/$1 exe
	exe=$(ls "$root/bin/")
	rm -f "$TMP/run.out" "$TMP/run.err"
	local t0
	t0=$(now)
	qemu-aarch64-static -L "$root" "$root/bin/$exe" listen=127.0.0.1:0 > "$TMP/run.out" 2> "$TMP/run.err" &
	local q=$!
	PIDS+=("$q")
	local port=
	for _ in $(seq 3000); do
		kill -0 "$q" 2>/dev/null || break
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$TMP/run.err" | head -1)
		[ -n "$port" ] && break
		# Debian's executor prints nothing (and binds 0.0.0.0 whatever host it is given): its port
		# from the socket table.
		port=$(ss -ltnpH 2>/dev/null | grep "pid=$q," | awk '{ n = split($4, a, ":"); print a[n] }' | head -1)
		[ -n "$port" ] && break
		sleep 0.002
	done
	local listening=$((($(now) - t0) / 1000000))
	timeout 300 "$LLVM_BIN/llvm-jitlink" -oop-executor-connect="127.0.0.1:$port" "${OBJS[@]}" > /dev/null 2>&1 &
	local ctl=$!
	for _ in $(seq 60000); do
		grep -q '^checksum=' "$TMP/run.out" 2>/dev/null && break
		kill -0 "$ctl" 2>/dev/null || break
		sleep 0.002
	done
	grep -q '^checksum=' "$TMP/run.out" && echo "$((($(now) - t0) / 1000000)) $listening" || echo "timeout -"
	# The measure ends at the output: Debian's executor may not exit by itself (it hangs at exit).
	kill -9 "$q" "$ctl" 2>/dev/null
	wait "$q" "$ctl" 2>/dev/null
}
# median5 ours|stock -> "TOTAL LISTENING": the medians of 5 runs, each column on its own
median5() {
	local xs=()
	for _ in 1 2 3 4 5; do xs+=("$(one_run "$1")"); done
	echo "$(printf '%s\n' "${xs[@]}" | cut -d' ' -f1 | sort -n | sed -n 3p) $(printf '%s\n' "${xs[@]}" | cut -d' ' -f2 | sort -n | sed -n 3p)"
}
lines=$(cat "$TMP"/prog/*.c | wc -l)
read -r ours ours_up <<< "$(median5 ours)"
read -r stock stock_up <<< "$(median5 stock)"
awk -v l="$lines" -v n="${#OBJS[@]}" -v a="$ours" -v b="$stock" -v au="$ours_up" -v bu="$stock_up" -v v="$V" 'BEGIN {
	printf "   LLVM %s, %d lines in %d AArch64 objects, under qemu-aarch64-static over loopback: jitdebug-executor-%s %d ms (listening after %d ms); Debian'"'"'s arm64 llvm-jitlink-executor %d ms (listening after %d ms); %.2fx\n",
		v, l, n, v, a, au, b, bu, a / b }'
