#!/usr/bin/env bash
# The perf outputs when things go wrong, through the C API (tests/capi/perf_outputs.c): the object
# is always registered, one warning at most, counters say what was dropped, dumps stay valid.
. "$(dirname "$0")/lib.sh"
DRIVER=$JD_BUILD/bin/perf_outputs
run() { # run NAME MODE OBJECT DIR
	timeout 60 "$DRIVER" "$2" "$3" "$4" > "$TMP/$1.out" 2> "$TMP/$1.err"
	echo "status=$?" >> "$TMP/$1.out"
	PERFMAPS+=($(sed -n 's/^\(parent\|child\)-pid=//p' "$TMP/$1.out"))
}
warnings() { grep -c '^jitdebug: ' "$1"; }

run basic basic "$JD_FIXTURES/hot.o" "$TMP/basic"
expect "basic: registered, 4 functions with lines" "$TMP/basic.out" "register=0 .*jitdump_loads=4 jitdump_dropped=0 debug_info=4"
expect "basic: identical code salted once" "$TMP/basic.out" "salted=1$"
"$JITDEBUG" jitdump-check --strict "$TMP"/basic/jit-*.dump > "$TMP/basic.check" 2>&1
expect "basic: dump valid, 4 x (DEBUG_INFO, UNWINDING_INFO, CODE_LOAD) + CLOSE" "$TMP/basic.check" "ok, 13 records"
pid=$(sed -n 's/^parent-pid=//p' "$TMP/basic.out")
cp "/tmp/perf-$pid.map" "$TMP/basic.map" 2>/dev/null || : > "$TMP/basic.map"
expect "basic: perf map line for jd_hot" "$TMP/basic.map" "^[0-9a-f]+ [0-9a-f]+ jd_hot$"
expect "basic: perf map line for jd_twin_b" "$TMP/basic.map" "^[0-9a-f]+ [0-9a-f]+ jd_twin_b$"

run dwarf4 basic "$JD_FIXTURES/hot-dwarf4.o" "$TMP/dwarf4"
expect "-gdwarf-4 object: line tables too" "$TMP/dwarf4.out" "register=0 .*jitdump_loads=4 jitdump_dropped=0 debug_info=4 without_lines=0"
"$JITDEBUG" jitdump-check --strict "$TMP"/dwarf4/jit-*.dump > "$TMP/dwarf4.check" 2>&1
expect "-gdwarf-4 object: dump valid" "$TMP/dwarf4.check" "ok, 13 records"

run unwritable basic "$JD_FIXTURES/hot.o" /proc/jitdebug-no-such-dir
expect "unwritable dir: still registered, jitdump dropped and counted" "$TMP/unwritable.out" "register=0 registered=1 perfmap_lines=4 .*jitdump_loads=0 jitdump_dropped=4"
expect "unwritable dir: the process goes on" "$TMP/unwritable.out" "^status=0$"
[ "$(warnings "$TMP/unwritable.err")" = 1 ] && pass "unwritable dir: exactly one warning" || { fail "unwritable dir: exactly one warning"; cat "$TMP/unwritable.err"; }

run full full "$JD_FIXTURES/hot.o" "$TMP/full"
expect "full disk: still registered, records dropped and counted" "$TMP/full.out" "register=0 registered=1 .*jitdump_loads=0 jitdump_dropped=4"
[ "$(warnings "$TMP/full.err")" = 1 ] && pass "full disk: exactly one warning" || { fail "full disk: exactly one warning"; cat "$TMP/full.err"; }
"$JITDEBUG" jitdump-check --strict "$TMP"/full/jit-*.dump > "$TMP/full.check" 2>&1
expect "full disk: the dump is cut back to its last complete record" "$TMP/full.check" ": ok, "

run nodwarf nodwarf "$JD_FIXTURES/hot-nodebug.o" "$TMP/nodwarf"
expect "no DWARF: names without lines" "$TMP/nodwarf.out" "register=0 .*jitdump_loads=4 jitdump_dropped=0 debug_info=0 without_lines=1"

run broken brokendwarf "$JD_FIXTURES/hot.o" "$TMP/broken"
expect "broken DWARF: registered, names kept, no crash" "$TMP/broken.out" "register=0 .*jitdump_loads=4 jitdump_dropped=0"
expect "broken DWARF: the process goes on" "$TMP/broken.out" "^status=0$"

run fork fork "$JD_FIXTURES/hot.o" "$TMP/fork"
ppid=$(sed -n 's/^parent-pid=//p' "$TMP/fork.out")
cpid=$(sed -n 's/^child-pid=//p' "$TMP/fork.out")
"$JITDEBUG" jitdump-check --strict "$TMP/fork/jit-$ppid.dump" "$TMP/fork/jit-$cpid.dump" > "$TMP/fork.check" 2>&1
expect "fork: the parent's dump" "$TMP/fork.check" "jit-$ppid.dump: ok, 13 records"
expect "fork: the child writes its own pid's dump" "$TMP/fork.check" "jit-$cpid.dump: ok, 13 records"
[ -f "/tmp/perf-$cpid.map" ] && pass "fork: the child writes its own perf map" || fail "fork: the child writes its own perf map"
finish
