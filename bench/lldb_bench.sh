#!/usr/bin/env bash
# lldb_bench.sh BUILD [N...] — LLDB 16 with many JIT objects. Debian's llvm-jitlink-16 links and
# runs, in process, the program of many_objects.sh (N one-function objects with DWARF, main calls
# every one; the breakpoint is on the last). One wall-clock run each of:
#   - no debugger (stock llvm-jitlink-16);
#   - LLDB stock: LLVM's own JIT loader registers every object, LLDB's JIT loader stops for each and
#     reads it;
#   - LLDB's floor: the hooks preloaded with JITDEBUG_GDB=off, nothing announced to LLDB;
#   - LLDB + the plugin: hooks preloaded with JITDEBUG_GDB=lazy, `jit break f_<N-1>`: LLDB stops once
#     to write the watch and once at the breakpoint; only that object is loaded.
# JD_BENCH_LLVM=NN picks llvm-jitlink-NN (default 16) and JD_BENCH_LLDB the folder of the LLDB to
# run (default LLDB NN if installed or unpacked in BUILD/deps, else LLDB 16).
# Runs are cut at $JD_BENCH_CAP seconds (default 300). Then `jit load-core` + `bt` on a core of the lazy
# run taken at the breakpoint (written by GDB with its plugin: LLDB 16 cannot write ELF cores), every
# object in it, and `jitdebug core` extracting them all.
set -u
BUILD=$(cd "${1:?usage: lldb_bench.sh BUILD [N...]}" && pwd)
shift
NS=("$@")
[ $# -eq 0 ] && NS=(1000 3000 10000)
CAP=${JD_BENCH_CAP:-300}
HOOKS=$BUILD/lib/libjitdebug-hooks.so
PLUGIN=$BUILD/lib/libjitdebug-lldb.so
SRC=$(cd "$(dirname "$0")/.." && pwd)
V=${JD_BENCH_LLVM:-16}
JITLINK=/usr/lib/llvm-$V/bin/llvm-jitlink
LLDB_BIN=${JD_BENCH_LLDB:-}
for dir in /usr/lib/llvm-16/bin /usr/lib/llvm-$V/bin "$BUILD/deps/lldb-$V/usr/lib/llvm-$V/bin"; do
	[ -z "${JD_BENCH_LLDB:-}" ] && [ -x "$dir/lldb" ] && LLDB_BIN=$dir
done
LLDB=$LLDB_BIN/lldb
for _py in "$LLDB_BIN"/../lib/python3*/site-packages; do
	[ -d "$_py/lldb" ] && export PYTHONPATH="$_py${PYTHONPATH:+:$PYTHONPATH}"
done
echo "   (llvm-jitlink-$V, $("$LLDB" --version 2>/dev/null | head -1))"
tmp=$(mktemp -d /tmp/jd-lldb-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$SRC/bench/lib.sh"

for N in "${NS[@]}"; do
	d=$tmp/n$N
	"$SRC/bench/many_objects.sh" "$d" "$N"
	last=f_$((N - 1))

	timed base "$d/base.out" "$JITLINK" "@$d/objs.rsp"
	timed stock "$d/stock.out" "$LLDB" -b -o "breakpoint set -n $last" -o run -o 'bt 1' -o continue -- "$JITLINK" "@$d/objs.rsp"
	timed floor "$d/floor.out" "$LLDB" -b -o "settings set target.env-vars LD_PRELOAD=$HOOKS JITDEBUG_GDB=off" \
		-o run -- "$JITLINK" "@$d/objs.rsp"
	timed lazy "$d/lazy.out" "$LLDB" -b -o "settings set target.env-vars LD_PRELOAD=$HOOKS JITDEBUG_GDB=lazy" \
		-o "plugin load $PLUGIN" -o "jit break $last" -o run -o 'bt 1' -o continue -- "$JITLINK" "@$d/objs.rsp"
	grep -q "frame #0: .*\`$last(x=2) at o$((N - 1))\.c" "$d/lazy.out" || echo "   (the lazy run did not stop in $last: see the log)"
	grep -q "frame #0: .*\`$last(x=2) at o$((N - 1))\.c" "$d/stock.out" || echo "   (the stock run did not stop in $last)"
	echo "N=$N  no debugger ${base} s  stock LLDB ${stock} s = $(ratio "$stock" "$base")  plugin lazy ${lazy} s = $(ratio "$lazy" "$base")"
	echo "      LLDB's floor (same program under LLDB, nothing announced): ${floor} s = $(ratio "$floor" "$base"); plugin lazy / floor = $(ratio "$lazy" "$floor")"

	# A core of the lazy run at the breakpoint, with every object in the registry.
	JITDEBUG_CLI=$BUILD/bin/jitdebug timeout "$CAP" gdb -q -batch -nx -ex "set environment LD_PRELOAD=$HOOKS" \
		-ex 'set environment JITDEBUG_GDB=lazy' -ex "source $SRC/gdb-plugin/jitdebug.py" -ex "jit break $last" -ex run \
		-ex "generate-core-file $d/lazy.core" -ex kill --args "$JITLINK" "@$d/objs.rsp" > "$d/gen.out" 2>&1
	if [ -f "$d/lazy.core" ]; then
		timed core "$d/core.out" "$LLDB" -b -o "plugin load $PLUGIN" -o 'jit load-core' -o 'bt 2' -c "$d/lazy.core" "$JITLINK"
		echo "      core of the lazy run ($N objects in the registry): LLDB + jit load-core + bt ${core} s;" \
			"$(grep -cE "frame #[0-9]+: .*\`(f_[0-9]+\(x=2\) at o[0-9]+|main at main)\.c:[0-9]+" "$d/core.out") JIT frame(s) named with lines"
		timed jdcore "$d/jdcore.out" "$BUILD/bin/jitdebug" core "$d/lazy.core" -o "$d/extracted"
		echo "      jitdebug core (every object to a file): ${jdcore} s, $(ls "$d/extracted" 2>/dev/null | wc -l) files"
	fi
	rm -rf "$d"
done
