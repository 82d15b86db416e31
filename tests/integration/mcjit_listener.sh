#!/usr/bin/env bash
# jitdebug::Listener (executor-hooks/jitdebug-listener.h) in the example scripthost-NN: a web server
# whose handlers are a script compiled with MCJIT of the LLVM under test. Each loaded object reaches
# the registry, the link, the perf map and the jitdump (lines), and GDB and LLDB break in it before it
# runs. A reload frees the old code: its object is unregistered.
. "$(dirname "$0")/lib.sh"
HOST=$JD_BUILD/bin/scripthost-$LLVM_VERSION
SCRIPT=$JD_BUILD/examples/routes-$LLVM_VERSION.bc
ROUTES=$JD_SRC/examples/scripthost/routes.c
PLUGIN=$JD_BUILD/lib/libjitdebug-lldb.so
GDBPLUGIN=$JD_SRC/gdb-plugin/jitdebug.py
[ -x "$HOST" ] && [ -s "$SCRIPT" ] || { echo "scripthost-$LLVM_VERSION or its script was not built"; exit 1; }
HELLO_LINE=$(grep -n 'MARK:hello' "$ROUTES" | cut -d: -f1)
SUM_LINE=$(grep -n 'MARK:sum-loop' "$ROUTES" | cut -d: -f1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# get PORT PATH — one HTTP request; prints the body (5 s at most).
get() {
	timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 && printf "GET %s HTTP/1.0\r\n\r\n" "$2" >&3 && sed "1,/^\r$/d" <&3' _ "$1" "$2" 2>/dev/null
}
# keep_getting PORT PATH — requests PATH every half second until killed (for a debugger's stop); sets SENDER.
keep_getting() {
	(for _ in $(seq 240); do get "$1" "$2" > /dev/null; sleep 0.5; done) &
	SENDER=$!
	PIDS+=("$SENDER")
}

# ---- the registry, the link, the perf map -------------------------------------------------------
fresh_files "$TMP/host.out" "$TMP/host.err"
env JITDEBUG_PERFMAP=1 JITDEBUG_LISTEN=127.0.0.1:0 "$HOST" "$SCRIPT" > "$TMP/host.out" 2> "$TMP/host.err" &
HPID=$!
PIDS+=("$HPID")
PERFMAPS+=("$HPID")
for _ in $(seq 400); do grep -q 'serving http' "$TMP/host.err" && break; sleep 0.05; done
PORT=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$TMP/host.err")
ADDR=$(link_address "$TMP/host.err")
expect "scripthost compiled its script into one object" "$TMP/host.err" "compiled \(1 objects\); serving http://127\.0\.0\.1:[0-9]+/$"
{ get "$PORT" /hello/bob; get "$PORT" /sum/10; } > "$TMP/answers.out"
expect "the JIT'd handler answers" "$TMP/answers.out" "^hello, bob \(1\)$"
expect "the JIT'd handler sums" "$TMP/answers.out" "^55$"
timeout 30 "$JITDEBUG" list --connect "$ADDR" > "$TMP/list1.out" 2>&1
expect "the link lists MCJIT's object as the hooks' own (id 1, announced)" "$TMP/list1.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +announced +"
expect_not "no other registrar's object: attach() took LLVM's GDB listener off (libLLVM's list stays empty)" "$TMP/list1.out" "^f[0-9a-f]+ "
HELLO=$(sed -n 's/^\([0-9a-f]*\) [0-9a-f]* hello$/\1/p' "/tmp/perf-$HPID.map")
if [ -n "$HELLO" ] && grep -Eq ' route$' "/tmp/perf-$HPID.map"; then pass "the perf map names the script's functions"; else
	fail "the perf map names the script's functions"; cat "/tmp/perf-$HPID.map"; fi
timeout 30 "$JITDEBUG" symbolize --connect "$ADDR" "0x$HELLO" > "$TMP/sym.out" 2>&1
expect "symbolize gives the script's file and line" "$TMP/sym.out" "hello\+0x0 at .*routes\.c:[0-9]+ \(object 1\)"

# A reload frees the old code: its object goes, the new one comes.
timeout 30 "$JITDEBUG" watch --connect "$ADDR" --count 2 --timeout 20 > "$TMP/watch.out" 2>&1 &
WPID=$!
PIDS+=("$WPID")
sleep 0.5
get "$PORT" /_reload > "$TMP/reload.out"
expect "reload compiles the script again" "$TMP/reload.out" "^reloaded \(1 objects\)$"
wait_gone "$WPID" 20 || fail "jitdebug watch did not end"
expect "the listener unregisters the freed object" "$TMP/watch.out" "^unregistered 1$"
expect "and registers the new one" "$TMP/watch.out" "^registered 2 0x[0-9a-f]+-0x[0-9a-f]+ [0-9]+ bytes$"
get "$PORT" /hello/again > "$TMP/again.out"
expect "the new code answers (its .bss counter starts again)" "$TMP/again.out" "^hello, again \(1\)$"
timeout 30 "$JITDEBUG" list --connect "$ADDR" > "$TMP/list2.out" 2>&1
expect "after the reload the link lists the new object only" "$TMP/list2.out" "^2 +0x"
expect_not "after the reload the old object is gone" "$TMP/list2.out" "^1 +0x"
get "$PORT" /_quit > /dev/null
wait_gone "$HPID" 10 && pass "scripthost stops on /_quit" || fail "scripthost stops on /_quit"

# ---- perf: the jitdump carries names and lines --------------------------------------------------
P=$(free_port)
fresh_files "$TMP/rec.out" "$TMP/rec.err"
timeout 120 "$JITDEBUG" perf record -o "$TMP/rec" -- "$HOST" --listen "127.0.0.1:$P" "$SCRIPT" > "$TMP/rec.out" 2> "$TMP/rec.err" &
RPID=$!
PIDS+=("$RPID")
for _ in $(seq 400); do grep -q 'serving http' "$TMP/rec.err" && break; sleep 0.05; done
for _ in 1 2 3 4 5 6; do get "$P" /sum/40000000 >> "$TMP/sums.out"; done
get "$P" /_quit > /dev/null
wait_gone "$RPID" 60 || fail "perf record did not end"
expect "the handler ran under perf" "$TMP/sums.out" "^800000020000000$"
adopt_perfmaps sum
perf report -i "$TMP/rec/perf.jit.data" --stdio --no-children --sort sym,srcline 2>/dev/null | grep -E '^ +[0-9]' > "$TMP/report.txt"
head -3 "$TMP/report.txt" | sed 's/^/    /'
expect "perf report: the script's loop by name and line (jitdump)" "$TMP/report.txt" \
	"^ +[0-9.]+% +\[\.\] sum +routes\.c:($((SUM_LINE - 1))|$SUM_LINE)$"

# ---- GDB and LLDB break in the script before it runs --------------------------------------------
P=$(free_port)
keep_getting "$P" /hello/gdb
cat > "$TMP/gdb.cmds" <<GDB
set pagination off
source $GDBPLUGIN
set breakpoint pending on
break routes.c:$HELLO_LINE
run
bt 3
print name
print greeting
print hits
jit list
generate-core-file $TMP/host.core
kill
GDB
timeout 120 gdb -q -batch -nx -x "$TMP/gdb.cmds" --args "$HOST" --listen "127.0.0.1:$P" "$SCRIPT" > "$TMP/gdb.out" 2>&1
kill "$SENDER" 2>/dev/null
expect "GDB: pending file:line breakpoint in the script resolves" "$TMP/gdb.out" \
	"Breakpoint 1, hello \(name=0x[0-9a-f]+ \"gdb\", out=.*\) at .*routes\.c:$HELLO_LINE"
expect "GDB: the JIT caller is named" "$TMP/gdb.out" "^#1  0x[0-9a-f]+ in route \(path=.*\) at .*routes\.c:[0-9]+"
expect "GDB: the host's frame below" "$TMP/gdb.out" "^#2  0x[0-9a-f]+ in main \(.*scripthost\.cpp:[0-9]+"
expect "GDB: a .data static" "$TMP/gdb.out" '^\$2 = 0x[0-9a-f]+ "hello"$'
expect "GDB: a .bss static at its real address" "$TMP/gdb.out" '^\$3 = 1$'
expect "GDB plugin: jit list has the object from the hooks" "$TMP/gdb.out" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +gdb-jit +jitdebug +"

if [ -s "$TMP/host.core" ]; then
	timeout 60 "$JITDEBUG" core "$TMP/host.core" -o "$TMP/objs" > /dev/null 2> "$TMP/core.err"
	expect "jitdebug core: the registry's object" "$TMP/core.err" "jitdebug registry: 1 of 1 objects written"
	timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "target create --core $TMP/host.core $HOST" -o "jit load-core" \
		-o "bt 3" > "$TMP/lldb-core.out" 2>&1
	expect "LLDB plugin: the core's JIT frame is named" "$TMP/lldb-core.out" "frame #0: .*\`hello\(name=.*\) at routes\.c:$HELLO_LINE"
	expect_not "LLDB plugin: no breakpoint is planted in a core (LLDB warned for each site)" "$TMP/lldb-core.out" \
		"failed to set breakpoint site"
else
	fail "GDB wrote no core of scripthost"
fi

P=$(free_port)
keep_getting "$P" /hello/lldb
timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "jit break routes.c:$HELLO_LINE" -o run -o "bt 3" \
	-o "frame variable name" -o "jit list" -o kill -- "$HOST" --listen "127.0.0.1:$P" "$SCRIPT" > "$TMP/lldb.out" 2>&1
kill "$SENDER" 2>/dev/null
expect "LLDB plugin: stops in the script at routes.c:$HELLO_LINE" "$TMP/lldb.out" \
	"frame #0: .*\`hello\(name=\"lldb\", .*\) at routes\.c:$HELLO_LINE"
expect "LLDB plugin: the JIT caller is named" "$TMP/lldb.out" "frame #1: .*\`route\(path=\"/hello/lldb\", .*\) at routes\.c"
expect "LLDB plugin: a local" "$TMP/lldb.out" "\(const char \*\) name = 0x[0-9a-f]+ \"lldb\""

# Stock LLDB too: the hooks come before libLLVM in load order, so LLDB follows the hooks' descriptor.
P=$(free_port)
keep_getting "$P" /hello/stock
timeout 120 "$LLDB" -b -o "breakpoint set -f routes.c -l $HELLO_LINE" -o run -o "bt 2" -o kill \
	-- "$HOST" --listen "127.0.0.1:$P" "$SCRIPT" > "$TMP/stock.out" 2>&1
kill "$SENDER" 2>/dev/null
expect "stock LLDB: stops in the script (the hooks' descriptor is the first)" "$TMP/stock.out" \
	"frame #0: .*\`hello\(name=\"stock\", .*\) at routes\.c:$HELLO_LINE"
finish
