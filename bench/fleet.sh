#!/usr/bin/env bash
# fleet.sh BUILD — the fleet's figures (docs/fleet.md), with Debian's debuginfod on loopback over a
# temporary tree:
#   1. publishing cost per object, first time and already there (jd_object_publish);
#   2. registration cost with JITDEBUG_PUBLISH against without (the JIT's side);
#   3. P processes registering shared and own objects into one tree: files written, duplicates avoided;
#   4. index-to-fetchable latency: a new file until debuginfod-find returns it (debuginfod -t 1);
#   5. a trimmed core (JITDEBUG_CORE_OBJECTS=omit) of a process with 1,000 objects: `jitdebug core`
#      fetching all by build-id (cold client cache, then warm), against the same process's full core.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
OBJ=$BUILD/tests/fixtures/jitfix.o
B=$BUILD/bin
T=$(mktemp -d /tmp/jitdebug-fleet.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
last_id() { local f; f=$(ls -t "$T"/fleet/*/*.debug | sed -n 1p); echo "$(basename "$(dirname "$f")")$(basename "$f" .debug)"; }
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
files() { find "$1" -name '*.debug' 2> /dev/null | wc -l; }

echo "== Publishing cost (jd_object_publish, $(stat -c %s "$OBJ")-byte object, 2,000 distinct objects)"
"$B/bench_fleet" "$OBJ" publish "$T/pub" 2000 | sed 's/^/   /'

echo
echo "== Registration cost with JITDEBUG_PUBLISH (median of 2,000 registrations, ns/object)"
off=$("$B/bench_fleet" "$OBJ" register 2000 0 1 | sed -n 's/.*median_ns=\([0-9]*\).*/\1/p')
on=$(JITDEBUG_PUBLISH=$T/reg "$B/bench_fleet" "$OBJ" register 2000 0 2 | sed -n 's/.*median_ns=\([0-9]*\).*/\1/p')
dup=$(JITDEBUG_PUBLISH=$T/reg "$B/bench_fleet" "$OBJ" register 2000 0 3 10 | sed -n 's/.*median_ns=\([0-9]*\).*/\1/p')
awk -v a="$off" -v b="$on" -v c="$dup" 'BEGIN { printf "   without: %d ns; publishing new objects (a copy queued): %d ns (%.2fx); the same 10 objects again and again (queued once): %d ns (%.2fx); files written: %s\n", a, b, b / a, c, c / a, "'"$(files "$T/reg")"'" }'

echo
P=16; N=200; SHARED=100
echo "== $P processes, $N objects each ($SHARED the same in every process), one tree"
t0=$(date +%s%N)
for i in $(seq $P); do JITDEBUG_PUBLISH=$T/fleet "$B/bench_fleet" "$OBJ" register $N $SHARED $((10 + i)) > /dev/null & done
wait
elapsed=$(ms "$t0")
want=$((SHARED + P * (N - SHARED)))
got=$(files "$T/fleet")
echo "   registrations $((P * N)), files $got (distinct objects $want), duplicates avoided $((P * N - got)), $elapsed ms until all $P exited (queues drained)"
echo "   temporary files left: $(find "$T/fleet" -name '*.tmp' | wc -l)"

echo
echo "== Index-to-fetchable latency (debuginfod -t 1: rescans every second; median of 5)"
DPORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
debuginfod -F "$T/fleet" -d "$T/db.sqlite" -p "$DPORT" -t 1 -g 0 > "$T/debuginfod.log" 2>&1 &
PIDS+=("$!")
URL=http://127.0.0.1:$DPORT
first=$(find "$T/fleet" -name '*.debug' -print -quit)
first_id=$(basename "$(dirname "$first")")$(basename "$first" .debug)
t0=$(date +%s%N)
until DEBUGINFOD_CACHE_PATH=$T/probe DEBUGINFOD_URLS=$URL debuginfod-find debuginfo "$first_id" > /dev/null 2>&1; do
	rm -rf "$T/probe"; sleep 0.05
done
rm -rf "$T/probe"
echo "   initial index of $(files "$T/fleet") files: fetchable after $(ms "$t0") ms"
lat=()
for k in 1 2 3 4 5; do
	find "$T/fleet" -name '*.debug' | sort > "$T/before.txt"
	JITDEBUG_PUBLISH=$T/fleet "$B/bench_fleet" "$OBJ" register 1 0 $((900 + k)) > /dev/null
	t0=$(date +%s%N)
	new=$(find "$T/fleet" -name '*.debug' | sort | comm -13 "$T/before.txt" - | sed -n 1p)
	id=$(basename "$(dirname "$new")")$(basename "$new" .debug)
	until DEBUGINFOD_CACHE_PATH=$T/probe DEBUGINFOD_URLS=$URL debuginfod-find debuginfo "$id" > /dev/null 2>&1; do
		rm -rf "$T/probe"; sleep 0.02
	done
	rm -rf "$T/probe"
	lat+=("$(ms "$t0")")
done
echo "   a new object fetchable after: $(printf '%s\n' "${lat[@]}" | sort -n | sed -n 3p) ms median ($(printf '%s ' "${lat[@]}")ms)"

echo
echo "== A trimmed core of a process with 1,000 JIT objects"
for mode in keep omit; do
	JITDEBUG_GDB=lazy JITDEBUG_CORE_OBJECTS=$mode JITDEBUG_PUBLISH=$T/fleet "$B/bench_fleet" "$OBJ" hold 1000 > "$T/hold-$mode.txt" &
	HPID=$!
	PIDS+=("$HPID")
	for _ in $(seq 600); do grep -q '^ready' "$T/hold-$mode.txt" && break; sleep 0.05; done
	gdb -q -batch -nx -p "$HPID" -ex "generate-core-file $T/core-$mode" > /dev/null 2>&1
	kill -9 "$HPID"
done
until DEBUGINFOD_CACHE_PATH=$T/probe DEBUGINFOD_URLS=$URL debuginfod-find debuginfo \
	"$(last_id)" > /dev/null 2>&1; do
	rm -rf "$T/probe"; sleep 0.1
done
rm -rf "$T/probe"
sleep 2 # the rescan after the last file
echo "   core sizes: full $(($(stat -c %s "$T/core-keep") / 1024)) KB, objects left out $(($(stat -c %s "$T/core-omit") / 1024)) KB"
t0=$(date +%s%N)
"$BUILD/bin/jitdebug" core "$T/core-keep" -o "$T/x-keep" > /dev/null 2> "$T/x-keep.err"
full=$(ms "$t0")
t0=$(date +%s%N)
DEBUGINFOD_CACHE_PATH=$T/dcache DEBUGINFOD_URLS=$URL "$BUILD/bin/jitdebug" core "$T/core-omit" -o "$T/x-cold" > /dev/null 2> "$T/x-cold.err"
cold=$(ms "$t0")
t0=$(date +%s%N)
DEBUGINFOD_CACHE_PATH=$T/dcache DEBUGINFOD_URLS=$URL "$BUILD/bin/jitdebug" core "$T/core-omit" -o "$T/x-warm" > /dev/null 2> "$T/x-warm.err"
warm=$(ms "$t0")
echo "   jitdebug core, bytes in the core: $full ms ($(grep -o '[0-9]* of [0-9]* objects' "$T/x-keep.err"))"
echo "   jitdebug core, fetched by build-id, cold cache: $cold ms ($(grep -o '[0-9]* of them fetched' "$T/x-cold.err"))" \
	"= $(awk -v a="$cold" -v b="$full" 'BEGIN { printf "%.1f", a / (b ? b : 1) }')x the full core"
echo "   jitdebug core, fetched by build-id, warm cache: $warm ms ($(grep -o '[0-9]* of them fetched' "$T/x-warm.err"))" \
	"= $(awk -v a="$warm" -v b="$full" 'BEGIN { printf "%.1f", a / (b ? b : 1) }')x the full core"
text_at() { readelf -SW "$1" | sed -n 's/.*\] \.text  *PROGBITS  *\([0-9a-f]*\) .*/\1/p'; }
[ -n "$(text_at "$T/x-cold/1.o")" ] && [ "$(text_at "$T/x-keep/1.o")" = "$(text_at "$T/x-cold/1.o")" ] \
	&& echo "   object 1 fetched by build-id is placed where the full core's copy says (.text at 0x$(text_at "$T/x-cold/1.o"))" \
	|| echo "   object 1: .text at 0x$(text_at "$T/x-keep/1.o") in the full core, 0x$(text_at "$T/x-cold/1.o") fetched"
