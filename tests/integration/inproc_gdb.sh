#!/usr/bin/env bash
# In-process ORC with the hooks preloaded, under GDB 13: Debian's lli-NN --jit-linker=jitlink on the
# fixture's bitcode, then llvm-jitlink-NN on its object (both link libLLVM-NN.so dynamically and hand
# their debug objects to the preloaded llvm_orc_registerJITLoaderGDBWrapper with their version's
# argument blob); the same checks as remote_gdb.sh (here .bss is placed from relocations: no memory
# manager reports).
. "$(dirname "$0")/lib.sh"
# under_gdb NAME PROGRAM ARGS... — the fixture's stops with PROGRAM run by GDB, the hooks preloaded.
under_gdb() {
	local name=$1
	shift
	{
		cat <<GDB
set pagination off
set breakpoint pending on
set environment LD_PRELOAD=$HOOKS_SO
break jd_leaf
break jitfix.c:$(line_of leaf-add)
run
GDB
		gdb_fixture_stops
	} > "$TMP/cmds-$name.gdb"
	timeout 120 gdb -q -batch -nx -x "$TMP/cmds-$name.gdb" --args "$@" > "$TMP/gdb-$name.out" 2>&1
	echo "== $name"
	expect_gdb_fixture_stops "$TMP/gdb-$name.out"
	expect "program completed" "$TMP/gdb-$name.out" "^jitfix: result=112 counter=42$"
}
under_gdb lli "$LLI" --jit-linker=jitlink "$(bitcode jitfix)"
under_gdb llvm-jitlink "$JITLINK" "$JD_FIXTURES/jitfix.o"
finish
