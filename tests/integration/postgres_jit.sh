#!/usr/bin/env bash
# PostgreSQL 15's JIT (llvmjit.so, libLLVM-14's GDB listener) under GDB and LLDB with the plugins: a
# throwaway cluster in the test's own folder (Unix socket only, run as `nobody` when the test runs as
# root), a backend attached before it JIT-compiles, a pending `jit break evalexpr_0_0` resolved before
# the code runs, a core of the backend read by both plugins and `jitdebug core`. Then the same server
# with the hooks preloaded: stock LLDB never stops (it follows the hooks' descriptor), the plugins
# still do, and PostgreSQL's results are unchanged.
. "$(dirname "$0")/lib.sh"
PGBIN=/usr/lib/postgresql/15/bin
PGLIB=/usr/lib/postgresql/15/lib
[ -x "$PGBIN/postgres" ] && [ -x /usr/bin/psql ] || skip "PostgreSQL 15 is not installed (postgresql-15; scripts/install-deps.sh installs it)"
[ -e "$PGLIB/llvmjit.so" ] || skip "PostgreSQL 15 has no JIT provider ($PGLIB/llvmjit.so)"
PLUGIN=$JD_BUILD/lib/libjitdebug-lldb.so
GDBPLUGIN=$JD_SRC/gdb-plugin/jitdebug.py
PG=$TMP/pg
QUERY="select sum(g) from generate_series(1, 1000) g where g % 3 = 0;"
ANSWER=166833
LIBLLVM14='libLLVM-14\.so\.1'

# PostgreSQL refuses to run as root: the cluster belongs to nobody then.
AS=()
mkdir -p "$PG/sock"
if [ "$(id -u)" = 0 ]; then
	id nobody > /dev/null 2>&1 || skip "no user 'nobody' to run PostgreSQL as"
	AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	chmod 711 "$TMP"
	chown -R nobody:nogroup "$PG"
fi
timeout 120 "${AS[@]}" "$PGBIN/initdb" -D "$PG/data" -A trust -U postgres --no-sync --no-instructions \
	> "$TMP/initdb.out" 2>&1 || { cat "$TMP/initdb.out"; fail "initdb"; finish; exit; }
# The hooks, where the server's user can read them.
cp "$HOOKS_SO" "$PG/libjitdebug-hooks.so" && chmod 755 "$PG/libjitdebug-hooks.so"

PMPID=
pg_stop() {
	[ -n "$PMPID" ] || return 0
	kill -QUIT "$PMPID" 2>/dev/null # immediate shutdown: the backends go too
	wait_gone "$PMPID" 20 || kill -9 "$PMPID" 2>/dev/null
	PMPID=
}
trap 'pg_stop; cleanup_perfmaps; cleanup' EXIT

# pg_start LOG [ENV=VAL...] — the server on a Unix socket in $PG/sock, JIT for every query.
pg_start() {
	local log=$1
	shift
	env "$@" "${AS[@]}" "$PGBIN/postgres" -D "$PG/data" -k "$PG/sock" -c listen_addresses= -c fsync=off \
		-c shared_buffers=1MB -c max_connections=8 -c jit=on -c jit_above_cost=0 -c jit_debugging_support=on \
		> "$log" 2>&1 &
	PMPID=$!
	PIDS+=("$PMPID")
	for _ in $(seq 200); do grep -q 'ready to accept connections' "$log" && return 0; sleep 0.05; done
	echo "PostgreSQL did not start:"; cat "$log"; return 1
}

# open_session NAME — psql reading $PG/NAME.in (held open on fd 8); its first query runs without JIT
# and gives the backend's pid (BACKEND). The session's output is $PG/NAME.out.
open_session() {
	rm -f "$PG/$1.in" "$PG/$1.ready"
	mkfifo "$PG/$1.in"
	: > "$PG/$1.out"
	timeout 120 psql -h "$PG/sock" -U postgres -At < "$PG/$1.in" > "$PG/$1.out" 2>&1 &
	PSQL=$!
	PIDS+=("$PSQL")
	exec 8> "$PG/$1.in"
	echo "set jit = off; select pg_backend_pid(); set jit = on;" >&8
	for _ in $(seq 200); do [ "$(wc -l < "$PG/$1.out")" -ge 2 ] && break; sleep 0.05; done
	BACKEND=$(sed -n 2p "$PG/$1.out")
	[ -n "$BACKEND" ] || { echo "no backend:"; cat "$PG/$1.out"; }
}
# query_when_ready NAME — once the debugger has touched $PG/NAME.ready (its last command before it
# lets the backend run), the JIT'd query, then the session ends.
query_when_ready() {
	(for _ in $(seq 1200); do [ -e "$PG/$1.ready" ] && break; sleep 0.05; done
	echo "$QUERY" >&8
	echo '\q' >&8) &
	PIDS+=("$!")
	exec 8>&-
}
# session_done NAME LABEL — psql ended with PostgreSQL's answer.
session_done() {
	wait_gone "$PSQL" 60 || fail "$2: psql did not end"
	expect "$2: PostgreSQL's answer" "$PG/$1.out" "^$ANSWER$"
}

# ---- PostgreSQL alone: the plugins beside libLLVM-14's listener ----------------------------------
pg_start "$TMP/pg.log" || { fail "PostgreSQL starts"; finish; exit; }
open_session gdb
query_when_ready gdb
cat > "$TMP/gdb.cmds" <<GDB
set pagination off
source $GDBPLUGIN
jit break evalexpr_0_0
shell touch $PG/gdb.ready
continue
bt 3
jit list
jit status
generate-core-file $TMP/backend.core
detach
GDB
timeout 120 gdb -q -batch -nx -x "$TMP/gdb.cmds" -p "$BACKEND" > "$TMP/gdb.out" 2>&1
expect "GDB plugin: a pending jit break stops in PostgreSQL's JIT code before it runs" "$TMP/gdb.out" \
	"^Breakpoint 1, 0x[0-9a-f]+ in evalexpr_0_0 \(\)"
expect "GDB plugin: jit break says GDB's own reader resolves it (no hooks)" "$TMP/gdb.out" \
	"^jit: no jitdebug hooks in this process: the breakpoint resolves when another registrar announces the code"
expect "GDB: the executor's frame below" "$TMP/gdb.out" "^#2  0x[0-9a-f]+ in ExecMakeTableFunctionResult"
expect "GDB plugin: jit list shows the object from libLLVM-14" "$TMP/gdb.out" \
	"^f[0-9a-f]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +gdb-jit +$LIBLLVM14 +"
expect "GDB plugin: jit status names the registrar" "$TMP/gdb.out" "^registrar: .*$LIBLLVM14 \(__jit_debug_descriptor at 0x"
session_done gdb "after GDB"

if [ -s "$TMP/backend.core" ]; then
	timeout 60 "$JITDEBUG" core "$TMP/backend.core" -o "$TMP/objs" > "$TMP/core.out" 2> "$TMP/core.err"
	echo "exit $?" >> "$TMP/core.err"
	expect "jitdebug core: libLLVM-14's list through NT_FILE" "$TMP/core.err" \
		"GDB JIT list of .*$LIBLLVM14 \(descriptor 0x[0-9a-f]+\): 1 of 1 objects written"
	expect "jitdebug core: succeeds" "$TMP/core.err" "^exit 0$"
	if ls "$TMP"/objs/f*.o > /dev/null 2>&1 && readelf -s "$TMP"/objs/f*.o | grep -q ' evalexpr_0_0$'; then
		pass "jitdebug core: the object holds evalexpr_0_0"
	else
		fail "jitdebug core: the object holds evalexpr_0_0"
	fi
	timeout 120 gdb -q -batch -nx -ex "source $GDBPLUGIN" -ex "jit load-core" -ex "bt 1" "$PGBIN/postgres" \
		"$TMP/backend.core" > "$TMP/gdb-core.out" 2>&1
	expect "GDB plugin: jit load-core counts libLLVM-14's object" "$TMP/gdb-core.out" "^jit: 0 objects in the registry, 1 from $LIBLLVM14"
	expect "GDB: the core's JIT frame is named" "$TMP/gdb-core.out" "^#0  0x[0-9a-f]+ in evalexpr_0_0 \(\)"
	# LLDB's own JIT loader off: the plugin loads the object itself.
	timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "settings set plugin.jit-loader.gdb.enable off" \
		-o "target create --core $TMP/backend.core $PGBIN/postgres" -o "jit load-core" -o "bt 1" \
		> "$TMP/lldb-core.out" 2>&1
	expect "LLDB plugin: jit load-core loads libLLVM-14's object" "$TMP/lldb-core.out" \
		"^jit: 0 objects in the registry, 1 from $LIBLLVM14; loaded 1"
	expect "LLDB plugin: the core's JIT frame is named" "$TMP/lldb-core.out" "frame #0: 0x[0-9a-f]+ .*\`evalexpr_0_0$"
	expect_not "LLDB plugin: no breakpoint is planted in a core (LLDB warned for each site)" "$TMP/lldb-core.out" \
		"failed to set breakpoint site"
	rm -f "$TMP/backend.core"
else
	fail "GDB wrote no core of the backend"
fi

open_session lldb
query_when_ready lldb
timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "jit break evalexpr_0_0" -o "platform shell touch $PG/lldb.ready" \
	-o continue -o "bt 3" -o "jit list" -o detach -p "$BACKEND" > "$TMP/lldb.out" 2>&1
expect "LLDB plugin: stops in evalexpr_0_0 before it runs" "$TMP/lldb.out" "stop reason = breakpoint [0-9]+\.1"
expect "LLDB plugin: jit break says another registrar will announce the code (no hooks)" "$TMP/lldb.out" \
	"^jit: no jitdebug hooks in this process: the breakpoint resolves when another registrar announces the code"
expect "LLDB plugin: the JIT frame is named" "$TMP/lldb.out" "frame #0: 0x[0-9a-f]+ .*\`evalexpr_0_0$"
expect "LLDB plugin: the executor's frame below" "$TMP/lldb.out" "frame #2: .*postgres\`ExecMakeTableFunctionResult"
session_done lldb "after LLDB"
pg_stop

# ---- the hooks preloaded into the server ---------------------------------------------------------
pg_start "$TMP/pg-hooks.log" LD_PRELOAD="$PG/libjitdebug-hooks.so" || { fail "PostgreSQL starts with the hooks"; finish; exit; }

# Stock LLDB follows the first module that defines __jit_debug_register_code: the preloaded hooks.
# libLLVM-14's registrations never reach it; the query runs through and the backend exits with psql.
open_session stock
query_when_ready stock
timeout 120 "$LLDB" -b -o "breakpoint set -n evalexpr_0_0" -o "platform shell touch $PG/stock.ready" -o continue \
	-o "bt 2" -p "$BACKEND" > "$TMP/stock.out" 2>&1
expect "stock LLDB with the hooks preloaded: the backend runs through (the breakpoint never resolves)" \
	"$TMP/stock.out" "Process $BACKEND exited with status = 0"
expect_not "stock LLDB with the hooks preloaded: never stops in JIT code" "$TMP/stock.out" "stop reason = breakpoint"
session_done stock "with the hooks, stock LLDB"

open_session hooked
query_when_ready hooked
timeout 120 "$LLDB" -b -o "plugin load $PLUGIN" -o "jit break evalexpr_0_0" -o "platform shell touch $PG/hooked.ready" \
	-o continue -o "bt 1" -o "jit status" -o detach -p "$BACKEND" > "$TMP/hooked.out" 2>&1
expect "with the hooks, LLDB plugin: stops in evalexpr_0_0 before it runs" "$TMP/hooked.out" \
	"frame #0: 0x[0-9a-f]+ .*\`evalexpr_0_0$"
expect "with the hooks, jit status: the registry is there" "$TMP/hooked.out" "^objects: 0 known"
expect "with the hooks, jit status names libLLVM-14" "$TMP/hooked.out" "^registrar: $LIBLLVM14"
expect "with the hooks, jit status: stock LLDB follows one descriptor" "$TMP/hooked.out" "stock LLDB follows one per process"
session_done hooked "with the hooks, LLDB plugin"

open_session hgdb
query_when_ready hgdb
cat > "$TMP/hgdb.cmds" <<GDB
set pagination off
source $GDBPLUGIN
jit break evalexpr_0_0
shell touch $PG/hgdb.ready
continue
bt 1
jit status
detach
GDB
timeout 120 gdb -q -batch -nx -x "$TMP/hgdb.cmds" -p "$BACKEND" > "$TMP/hgdb.out" 2>&1
expect "with the hooks, GDB plugin: stops in evalexpr_0_0" "$TMP/hgdb.out" "^Breakpoint 1, 0x[0-9a-f]+ in evalexpr_0_0 \(\)"
expect "with the hooks, GDB plugin: jit status notes stock LLDB" "$TMP/hgdb.out" "stock LLDB follows one per process"
session_done hgdb "with the hooks, GDB plugin"
pg_stop
finish
