#!/usr/bin/env bash
# remote_link.sh BUILD [NN] — time for Debian's llvm-jitlink-NN (default 16) to link and run a
# program, in-process, through jitdebug-executor-NN and through Debian's llvm-jitlink-executor-NN, over
# loopback TCP, same run.
# Each figure is the median of 5 runs of "start the controller .. the program's output appears".
# (The stock pair then hangs in disconnect; it is killed after the output appears.)
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
V=${2:-16}
LLVM_BIN=/usr/lib/llvm-$V/bin
WORK=$(mktemp -d /tmp/jitdebug-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null; done; rm -rf "$WORK"' EXIT
HERE=$(dirname "$0")

now() { date +%s%N; }

# wait_for FILE — until FILE holds the checksum line (60 s at most); prints elapsed ms since $T0.
wait_for() {
	for _ in $(seq 30000); do
		grep -q '^checksum=' "$1" 2>/dev/null && { echo $((($(now) - T0) / 1000000)); return 0; }
		sleep 0.002
	done
	echo timeout
}

start_exec() { # start_exec BINARY -> EXPID PORT; the program's stdout goes to $WORK/exec.out
	local port
	port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
	"$1" listen=127.0.0.1:$port > "$WORK/exec.out" 2>/dev/null &
	EXPID=$!
	PIDS+=($EXPID)
	PORT=$port
	for _ in $(seq 200); do ss -ltnH "sport = :$port" | grep -q . && return; sleep 0.01; done
}

one_run() { # one_run MODE OBJS... -> ms
	local mode=$1
	shift
	case $mode in
	inproc)
		T0=$(now)
		"$LLVM_BIN/llvm-jitlink" "$@" > "$WORK/inproc.out" 2>&1
		wait_for "$WORK/inproc.out" ;;
	jitdebug | stock)
		local bin=$BUILD/bin/jitdebug-executor-$V
		[ $mode = stock ] && bin=$LLVM_BIN/llvm-jitlink-executor
		start_exec "$bin"
		T0=$(now)
		timeout 120 "$LLVM_BIN/llvm-jitlink" --oop-executor-connect=127.0.0.1:$PORT "$@" > /dev/null 2>&1 &
		local ctl=$!
		PIDS+=($ctl)
		wait_for "$WORK/exec.out"
		if [ $mode = jitdebug ]; then wait $ctl; else kill -9 $ctl $EXPID 2>/dev/null; fi
		wait 2>/dev/null ;;
	esac
}

median5() { # median5 MODE OBJS...
	local xs=()
	for _ in 1 2 3 4 5; do xs+=("$(one_run "$@")"); done
	printf '%s\n' "${xs[@]}" | sort -n | sed -n 3p
}

bench() { # bench NAME NOBJ NFUN
	local dir=$WORK/$1
	"$HERE/gen_program.sh" "$dir" "$2" "$3"
	for c in "$dir"/*.c; do "$LLVM_BIN/clang" -g -O0 -c "$c" -o "${c%.c}.o"; done
	local lines
	lines=$(cat "$dir"/*.c | wc -l)
	local objs=("$dir"/*.o)
	local a b c
	a=$(median5 inproc "${objs[@]}")
	b=$(median5 jitdebug "${objs[@]}")
	c=$(median5 stock "${objs[@]}")
	printf '%-26s objects=%-4s lines=%-6s in-process=%sms jitdebug-executor=%sms llvm-jitlink-executor=%sms\n' \
		"$1" "${#objs[@]}" "$lines" "$a" "$b" "$c"
	awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN { printf "%-26s jitdebug/in-process=%.2fx  stock/in-process=%.2fx  stock/jitdebug=%.1fx\n", "", b/a, c/a, c/b }'
}

bench two-objects-20k-lines 2 900
bench hundred-small-objects 100 3
