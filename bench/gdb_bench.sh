#!/usr/bin/env bash
# gdb_bench.sh BUILD [N...] — GDB with many JIT objects. Debian's llvm-jitlink-16 links and runs, in
# process, the program of many_objects.sh (N one-function objects with DWARF, main calls every one;
# the breakpoint is on the last), passed as a response file (@FILE). One wall-clock run each of:
#   - no debugger (stock llvm-jitlink-16; the hooks preloaded in lazy mode cost about the same);
#   - GDB 13 stock: LLVM's own JIT loader registers every object eagerly, GDB stops for each;
#   - GDB 13 + the plugin: hooks preloaded with JITDEBUG_GDB=lazy, `jit break f_<N-1>`; GDB stops once.
# Stock runs are cut at $JD_BENCH_CAP seconds (default 300). Also `jit load-core` + `bt` on a core of
# the lazy run taken at the breakpoint (every object in the registry), against stock GDB opening a core
# of the eager run.
set -u
BUILD=$(cd "${1:?usage: gdb_bench.sh BUILD [N...]}" && pwd)
shift
SRC=$(cd "$(dirname "$0")/.." && pwd)
NS=("${@:-1000 3000 10000}")
[ $# -eq 0 ] && NS=(1000 3000 10000)
CAP=${JD_BENCH_CAP:-300}
HOOKS=$BUILD/lib/libjitdebug-hooks.so
PLUGIN=$SRC/gdb-plugin/jitdebug.py
JITLINK=/usr/lib/llvm-${JD_BENCH_LLVM:-16}/bin/llvm-jitlink # JD_BENCH_LLVM=NN: another LLVM
export JITDEBUG_CLI=$BUILD/bin/jitdebug
tmp=$(mktemp -d /tmp/jd-gdb-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$SRC/bench/lib.sh"

for N in "${NS[@]}"; do
	d=$tmp/n$N
	"$SRC/bench/many_objects.sh" "$d" "$N"
	objs=("@$d/objs.rsp")

	timed base "$d/base.out" "$JITLINK" "${objs[@]}"
	st=$STATUS
	timed hooks "$d/hooks.out" env LD_PRELOAD="$HOOKS" JITDEBUG_GDB=lazy "$JITLINK" "${objs[@]}"
	timed stock "$d/stock.out" gdb -q -batch -nx -ex "break f_$((N - 1))" -ex run -ex 'bt 1' -ex continue \
		--args "$JITLINK" "${objs[@]}"
	# GDB's own floor: the program under GDB with nothing registered with GDB at all (hooks mode off).
	timed floor "$d/floor.out" gdb -q -batch -nx -ex "set environment LD_PRELOAD=$HOOKS" -ex 'set environment JITDEBUG_GDB=off' \
		-ex run --args "$JITLINK" "${objs[@]}"
	lazy_gdb=(gdb -q -batch -nx -ex "set environment LD_PRELOAD=$HOOKS" -ex 'set environment JITDEBUG_GDB=lazy'
		-ex "source $PLUGIN" -ex "jit break f_$((N - 1))" -ex run -ex 'bt 1')
	timed lazy "$d/lazy.out" "${lazy_gdb[@]}" -ex continue --args "$JITLINK" "${objs[@]}"
	grep -q "Breakpoint 1, f_$((N - 1)) " "$d/lazy.out" || echo "   (the lazy run did not stop at f_$((N - 1)): see $d/lazy.out)"
	echo "N=$N  no debugger ${base} s (status $st; hooks preloaded, lazy: ${hooks} s)  stock GDB ${stock} s = $(ratio "$stock" "$base")  plugin lazy ${lazy} s = $(ratio "$lazy" "$base")"
	echo "      GDB's floor (same program under GDB, nothing announced): ${floor} s = $(ratio "$floor" "$base"); plugin lazy / floor = $(ratio "$lazy" "$floor")"

	# The same lazy run again, writing a core at the breakpoint (every object in the registry).
	timeout "$CAP" "${lazy_gdb[@]}" -ex "generate-core-file $d/lazy.core" -ex continue --args "$JITLINK" "${objs[@]}" \
		> "$d/gen.out" 2>&1
	if [ -f "$d/lazy.core" ]; then
		timed core "$d/core.out" gdb -q -batch -nx -ex "source $PLUGIN" -ex 'jit load-core' -ex 'bt 2' "$JITLINK" "$d/lazy.core"
		echo "      core of the lazy run (N objects in the registry): jit load-core + bt ${core} s;" \
			"$(grep -cE '^#[0-9]+ .*f_[0-9]+ \(x=2\) at .*o[0-9]+\.c:[0-9]+' "$d/core.out") JIT frame(s) named with lines"
	fi
	rm -rf "$d"
done
