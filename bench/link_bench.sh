#!/usr/bin/env bash
# link_bench.sh BUILD — the debug link's figures, each beside the stock way on the same run:
#  - fetch throughput over loopback: 1,000 objects of ~50 KB, and one 50 MB object, against GDB
#    reading the same bytes with `dump binary memory` through gdbserver on loopback;
#  - list latency with 100,000 registered objects (first list computes each object's first symbol);
#  - list latency with 10,000 objects of another registrar's list, against 10,000 in the registry and
#    against GDB attaching to read them;
#  - registration cost with the server on and 8 subscribed clients, against the server off.
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
LLVM_BIN=/usr/lib/llvm-16/bin
HOST=$BUILD/bin/link_host
WORK=$(mktemp -d /tmp/jitdebug-linkbench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null; done; rm -rf "$WORK"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# start_host NAME OBJECT [ENV...] — a link_host fed through a fifo; sets HPID, HLINK, FD 7 for commands.
start_host() {
	local name=$1 obj=$2
	shift 2
	mkfifo "$WORK/$name.in"
	env "$@" "$HOST" "$obj" < "$WORK/$name.in" > "$WORK/$name.out" 2> "$WORK/$name.err" &
	HPID=$!
	PIDS+=($HPID)
	exec 7> "$WORK/$name.in"
	HLINK=
	for _ in $(seq 100); do
		HLINK=$(sed -n 's/^jitdebug: debug link listening on \([^ ]*\).*$/\1/p' "$WORK/$name.err")
		[ -n "$HLINK" ] && break
		grep -q . "$WORK/$name.err" 2>/dev/null || true
		sleep 0.05
	done
}
cmd() { # cmd NAME LINE EXPECT — send a command, wait for a reply line matching EXPECT
	local before
	before=$(wc -l < "$WORK/$1.out")
	echo "$2" >&7
	for _ in $(seq 6000); do
		[ "$(wc -l < "$WORK/$1.out")" -gt "$before" ] && tail -n +$((before + 1)) "$WORK/$1.out" | grep -q "$3" && break
		sleep 0.01
	done
	tail -n +$((before + 1)) "$WORK/$1.out" | grep "$3" | tail -1
}
stop_host() { exec 7>&-; wait "$HPID" 2>/dev/null; }

gdb_dump_ms() { # gdb_dump_ms ADDRS_FILE — ms for GDB through gdbserver to dump every listed range
	local gp
	gp=$(free_port)
	gdbserver --attach 127.0.0.1:$gp "$HPID" > "$WORK/gs.log" 2>&1 7>&- &
	local gpid=$!
	for _ in $(seq 100); do grep -q 'Listening on port' "$WORK/gs.log" && break; sleep 0.05; done
	{
		echo "set pagination off"
		echo "target remote 127.0.0.1:$gp"
		awk -v d="$WORK/dump.bin" '{ printf "dump binary memory %s %s %s+%s\n", d, $2, $2, $3 }' "$1"
		echo "detach"
	} > "$WORK/dump.gdb"
	local t0
	t0=$(now_ms)
	gdb -q -batch -nx -x "$WORK/dump.gdb" > "$WORK/gdb.log" 2>&1
	echo $(($(now_ms) - t0))
	wait "$gpid" 2>/dev/null
}

printf 'const char pad[50000] = {1};\nint pad_fn(void) { return pad[0]; }\n' > "$WORK/small.c"
printf 'const char big[52428800] = {1};\nint big_fn(void) { return big[0]; }\n' > "$WORK/big.c"
"$LLVM_BIN/clang" -g -c "$WORK/small.c" -o "$WORK/small.o"
"$LLVM_BIN/clang" -g -c "$WORK/big.c" -o "$WORK/big.o"

echo "== Fetch throughput over loopback: jitdebug fetch vs GDB 'dump binary memory' through gdbserver"
for spec in "small 1000" "big 1"; do
	set -- $spec
	start_host "$1" "$WORK/$1.o" JITDEBUG_LISTEN=127.0.0.1:0
	cmd "$1" "regn $2" done > /dev/null
	cmd "$1" "addrs $WORK/$1.addrs" written > /dev/null
	link=$("$BUILD/bin/bench_link_client" "$HLINK" fetch-all 7>&-)
	bytes=$(awk '{ s += $3 } END { print s }' "$WORK/$1.addrs")
	gms=$(gdb_dump_ms "$WORK/$1.addrs")
	stop_host
	awk -v l="$link" -v b="$bytes" -v g="$gms" -v n="$2" 'BEGIN {
		split(l, f, " "); for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
		gm = b / 1e6 / (g / 1000)
		printf "   %5d object(s), %.1f MB: jitdebug %.1f MB/s, GDB+gdbserver %.1f MB/s (%d ms): %.1fx\n", n, b / 1e6, v["MB/s"], gm, g, v["MB/s"] / gm }'
done

echo
echo "== list latency, 100,000 registered objects (jitfix.o, 4.8 KB each)"
start_host many "$BUILD/tests/fixtures/jitfix.o" JITDEBUG_LISTEN=127.0.0.1:0
cmd many "regn 100000" done > /dev/null
first=$("$BUILD/bin/bench_link_client" "$HLINK" list)
second=$("$BUILD/bin/bench_link_client" "$HLINK" list)
stop_host
echo "   first list: $first; again: $second"

echo
echo "== list latency, 10,000 objects of another registrar (the program's own GDB JIT list) vs 10,000 in the registry"
# bench_foreign holds copies of jitfix.o (4.8 KB) in its own list or in the hooks' registry. Stock:
# GDB attaching and reading the same objects (maint info jit), as a user without the link would.
for mode in hooks own; do
	mkfifo "$WORK/f-$mode.in"
	env LD_PRELOAD="$BUILD/lib/libjitdebug-hooks.so" JITDEBUG_LISTEN=127.0.0.1:0 \
		"$BUILD/bin/bench_foreign" $mode "$BUILD/tests/fixtures/jitfix.o" 10000 < "$WORK/f-$mode.in" \
		> "$WORK/f-$mode.out" 2> "$WORK/f-$mode.err" &
	FPID=$!
	PIDS+=($FPID)
	exec 6> "$WORK/f-$mode.in"
	for _ in $(seq 1200); do grep -q '^ready' "$WORK/f-$mode.out" && break; sleep 0.05; done
	FLINK=$(sed -n 's/^jitdebug: debug link listening on \([^ ]*\).*$/\1/p' "$WORK/f-$mode.err")
	first=$("$BUILD/bin/bench_link_client" "$FLINK" list)
	second=$("$BUILD/bin/bench_link_client" "$FLINK" list)
	g=0 gn=0
	if [ $mode = own ]; then
		t0=$(now_ms)
		gdb -q -batch -nx -ex "maint info jit" -p "$FPID" > "$WORK/f-gdb.out" 2>&1 6>&-
		g=$(($(now_ms) - t0))
		gn=$(grep -c '^0x' "$WORK/f-gdb.out")
	fi
	exec 6>&-
	wait "$FPID" 2>/dev/null
	awk -v m="$mode" -v f="$first" -v s="$second" -v g="$g" -v gn="$gn" 'BEGIN {
		split(f, a, " "); split(a[3], t1, "="); split(a[2], c1, "=")
		split(s, b, " "); split(b[3], t2, "=")
		printf "   %-8s %s objects listed: first %.1f ms, again %.1f ms", (m == "own" ? "other" : "registry"), c1[2], t1[2], t2[2]
		if (gn > 0) printf "; GDB attaching to read them (maint info jit, %d entries) %d ms: %.0fx", gn, g, g / t2[2]
		printf "\n" }'
done

echo
echo "== Registration cost (register + unregister, mean of 100,000): server off vs on with 8 subscribers"
start_host off "$BUILD/tests/fixtures/jitfix.o"
off=$(cmd off "time 100000" "us=")
stop_host
start_host on "$BUILD/tests/fixtures/jitfix.o" JITDEBUG_LISTEN=127.0.0.1:0
WATCH=()
for i in 1 2 3 4 5 6 7 8; do
	"$BUILD/bin/jitdebug" watch --connect "$HLINK" > "$WORK/w$i.out" 2>&1 7>&- &
	WATCH+=($!)
	PIDS+=($!)
done
for i in 1 2 3 4 5 6 7 8; do for _ in $(seq 100); do grep -q '^watching' "$WORK/w$i.out" && break; sleep 0.02; done; done
on=$(cmd on "time 100000" "us=")
stop_host
kill "${WATCH[@]}" 2>/dev/null
events=$(cat "$WORK"/w*.out | grep -c '^registered')
awk -v a="${off#us=}" -v b="${on#us=}" -v e="$events" 'BEGIN { printf "   server off %.2f us, on with 8 subscribers %.2f us: %.2fx (%d registration events delivered)\n", a, b, b / a, e }'
