#!/usr/bin/env bash
# device_link.sh BUILD [NN] — link-and-run time of a 20,000-line two-object program (gen_program.sh,
# clang -g -O0) with Debian's llvm-jitlink-NN (default 16): in-process, and into jitdebug-executor-NN
# on the test device (tests/integration/device.sh: chrooted root, own mount and network namespaces,
# reached over a veth pair). Each figure is the median of 5 runs of "start the controller .. the
# program's output appears". Needs root (namespaces); says why and stops otherwise.
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
V=${2:-16}
LLVM_BIN=/usr/lib/llvm-$V/bin
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/jitdebug-bench.XXXXXX)
PIDS=()
skip() { echo "   device link: skipped: $1"; exit 0; }
. "$HERE/../tests/integration/device.sh"
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null; done; device_cleanup; rm -rf "$TMP"' EXIT

now() { date +%s%N; }
wait_for() { # wait_for FILE — ms since T0 until FILE holds the checksum line (60 s at most)
	for _ in $(seq 30000); do
		grep -q '^checksum=' "$1" 2>/dev/null && { echo $((($(now) - T0) / 1000000)); return 0; }
		sleep 0.002
	done
	echo timeout
}

make_device "$BUILD/bin/jitdebug-executor-$V"
"$HERE/gen_program.sh" "$TMP/prog" 2 900
for c in "$TMP"/prog/*.c; do "$LLVM_BIN/clang" -g -O0 -c "$c" -o "${c%.c}.o"; done
OBJS=("$TMP"/prog/*.o)

one_run() { # one_run inproc|device -> ms
	if [ "$1" = inproc ]; then
		T0=$(now)
		"$LLVM_BIN/llvm-jitlink" "${OBJS[@]}" > "$TMP/inproc.out" 2>&1
		wait_for "$TMP/inproc.out"
	else
		start_device > /dev/null 2>&1 || { echo timeout; return; }
		T0=$(now)
		on_host timeout 120 "$LLVM_BIN/llvm-jitlink" -oop-executor-connect="$DEV_ADDR:$DEV_PORT" "${OBJS[@]}" > /dev/null 2>&1 &
		local ctl=$!
		wait_for "$TMP/device.out"
		wait "$ctl" 2>/dev/null
		for _ in $(seq 200); do kill -0 "$DEV_PID" 2>/dev/null || break; sleep 0.05; done
	fi
}
median5() { local xs=(); for _ in 1 2 3 4 5; do xs+=("$(one_run "$1")"); done; printf '%s\n' "${xs[@]}" | sort -n | sed -n 3p; }

lines=$(cat "$TMP"/prog/*.c | wc -l)
inproc=$(median5 inproc)
device=$(median5 device)
awk -v l="$lines" -v n="${#OBJS[@]}" -v a="$inproc" -v b="$device" -v v="$V" 'BEGIN {
	printf "   LLVM %s, %d lines in %d objects (two of 900 functions, and main): in-process %d ms; into jitdebug-executor-%s on the device over the veth %d ms (%.2fx)\n",
		v, l, n, a, v, b, b / a }'
