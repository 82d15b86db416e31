#!/usr/bin/env bash
# `llvm-jitlink-NN --perf-support` through jitdebug-executor-NN (LLVM 18 and later): the controller
# looks up llvm_orc_registerJITLoaderPerf{Start,End,Impl} in the executor (the stock
# llvm-jitlink-executor-19 lacks them: "Symbols not found"). Plain `perf record -k 1` around the
# executor, no JITDEBUG_* perf settings: --perf-support alone turns the perf map and the jitdump on.
# Twice: with the debug objects (the default), and with --debugger-support=false, where the
# controller's own perf records are all there is. After `perf inject --jit`, perf names jd_hot.
. "$(dirname "$0")/lib.sh"
[ "$LLVM_VERSION" -ge 18 ] || skip "LLVM $LLVM_VERSION's controller has no --perf-support"

# run NAME CONTROLLER-FLAGS... — one recorded run into $TMP/NAME.
run() {
	local name=$1 dir=$TMP/$1
	shift
	mkdir -p "$dir/dumps"
	fresh_files "$dir/executor.out" "$dir/executor.err"
	(cd "$dir" && JITDUMPDIR=$dir/dumps timeout 120 perf record -q -k 1 -o "$dir/perf.data" -- \
		env -u JITDEBUG_PERFMAP -u JITDEBUG_JITDUMP "$EXECUTOR" listen=127.0.0.1:0 > "$dir/executor.out" 2> "$dir/executor.err") &
	local rec=$!
	PIDS+=("$rec")
	wait_executor_port "$dir/executor.err"
	timeout 120 "$JITLINK" "$@" --oop-executor-connect=127.0.0.1:$PORT "$JD_FIXTURES/hot.o" > "$dir/ctl.out" 2>&1
	echo "rc=$?" >> "$dir/ctl.out"
	wait_gone "$rec" 60
	adopt_perfmaps jd_hot
	expect "$name: the controller found the perf entry points and ran the program" "$dir/ctl.out" "^rc=0$"
	expect_not "$name: no missing symbols" "$dir/ctl.out" "Symbols not found"
	expect "$name: the program ran in the executor" "$dir/executor.out" "^hot: [0-9]+$"
	local dump
	dump=$(find "$dir/dumps" -name 'jit-*.dump' | head -1)
	if [ -n "$dump" ]; then pass "$name: a jitdump under JITDUMPDIR"; else fail "$name: a jitdump under JITDUMPDIR"; fi
	[ -n "$dump" ] && "$JITDEBUG" jitdump-check --strict "$dump" > "$dir/check.txt" 2>&1
	expect "$name: the jitdump is valid" "$dir/check.txt" ": ok, [0-9]+ records"
	(cd "$dir" && timeout 120 perf inject --jit -i "$dir/perf.data" -o "$dir/perf.jit.data" > "$dir/inject.out" 2>&1)
	perf report -i "$dir/perf.jit.data" --stdio --no-children --sort sym 2>/dev/null | grep -E '^ +[0-9]' > "$dir/sym.txt"
	head -3 "$dir/sym.txt" | sed 's/^/    /'
	expect "$name: perf report names jd_hot" "$dir/sym.txt" "^ +([5-9][0-9]|100)\.[0-9]+% +\[\.\] jd_hot$"
}
run debug-objects --perf-support
run records-only --perf-support --debugger-support=false
finish
