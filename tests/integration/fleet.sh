#!/usr/bin/env bash
# The fleet (docs/fleet.md), with Debian's debuginfod started here on loopback over a temporary tree:
# - two executors running the same program publish one object (JITDEBUG_PUBLISH), their build-ids
#   match over the link (`jitdebug list --json`); a third with other code adds a second one;
#   `jitdebug publish` writes the same file and finds it there the second time;
# - debuginfod indexes the tree and `debuginfod-find debuginfo BUILDID` returns the published object;
# - a lazy-mode executor with JITDEBUG_CORE_OBJECTS=omit crashes two JIT frames deep: its core lacks
#   the object's bytes. `jitdebug core`, GDB + plugin and LLDB + plugin name both frames with lines
#   through the server, and say which build-id is missing without DEBUGINFOD_URLS;
# - a server that answers with another object is refused (build-id rechecked) and removed from the
#   cache; one that answers with 2 GiB is abandoned past 1 GiB, nothing cached; an unreachable one
#   fails at once, named.
. "$(dirname "$0")/lib.sh"
for t in debuginfod debuginfod-find; do
	command -v "$t" > /dev/null || { fail "$t is not installed (scripts/install-deps.sh installs debuginfod and elfutils)"; finish; exit 1; }
done
PLUGIN=$JD_SRC/gdb-plugin/jitdebug.py
LLDB_PLUGIN=$JD_BUILD/lib/libjitdebug-lldb-$("$LLDB" --version | sed -n 's/^lldb version \([0-9]*\).*/\1/p').so
[ -f "$LLDB_PLUGIN" ] || LLDB_PLUGIN=$(ls "$JD_BUILD"/lib/libjitdebug-lldb*.so | head -1)
CRASH_SRC=$JD_SRC/tests/fixtures/crash.c
L_STORE=$(grep -n 'MARK:crash-store' "$CRASH_SRC" | cut -d: -f1)
L_CALL=$(grep -n 'MARK:crash-call' "$CRASH_SRC" | cut -d: -f1)
TREE=$TMP/tree
export DEBUGINFOD_CACHE_PATH=$TMP/dcache
unset DEBUGINFOD_URLS DEBUGINFOD_PROGRESS
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
files_in_tree() { find "$TREE" -type f -name '*.debug' 2> /dev/null | wc -l; }

# run_linkwait NAME — an executor publishing into the tree, running linkwait.o until $TMP/NAME.go
# exists; sets LINK (its debug link).
run_linkwait() {
	fresh_files "$TMP/$1.out" "$TMP/$1.err"
	env JITDEBUG_PUBLISH="$TREE" JITDEBUG_LISTEN=127.0.0.1:0 JD_GO="$TMP/$1.go" "$EXECUTOR" listen=127.0.0.1:0 \
		> "$TMP/$1.out" 2> "$TMP/$1.err" &
	PIDS+=("$!")
	eval "${1}_PID=$!"
	wait_executor_port "$TMP/$1.err"
	LINK=$(link_address "$TMP/$1.err")
	(timeout 90 "$JITLINK" --oop-executor-connect=127.0.0.1:$PORT "$JD_FIXTURES/linkwait.o" > "$TMP/$1.ctl" 2>&1 &)
	for _ in $(seq 200); do grep -q '^link_target=' "$TMP/$1.out" && break; sleep 0.05; done
}
build_id_of() { # JSON-FILE SYMBOL
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(next((o["build_id"] for o in d["objects"] if o["first_symbol"]==sys.argv[2]), None) or "none")' "$1" "$2"
}

# ---- publishing -----------------------------------------------------------------------------------
run_linkwait a
LINK_A=$LINK
"$JITDEBUG" list --connect "$LINK_A" --json > "$TMP/a.json" 2>&1
run_linkwait b
"$JITDEBUG" list --connect "$LINK" --json > "$TMP/b.json" 2>&1
ID_A=$(build_id_of "$TMP/a.json" link_target)
ID_B=$(build_id_of "$TMP/b.json" link_target)
[[ $ID_A =~ ^[0-9a-f]{40}$ ]] && pass "list --json gives the object's build-id ($ID_A)" || fail "build-id: $(cat "$TMP/a.json")"
[ "$ID_A" = "$ID_B" ] && pass "two processes running the same program: the same build-id" || fail "ids differ: $ID_A $ID_B"
"$JITDEBUG" list --connect "$LINK" > "$TMP/b.txt" 2>&1
expect "list shows the build-id column" "$TMP/b.txt" "^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +$ID_A +announced +link_target$"
FILE_A=$TREE/${ID_A:0:2}/${ID_A:2}.debug
for _ in $(seq 100); do [ -f "$FILE_A" ] && break; sleep 0.05; done
touch "$TMP/a.go" "$TMP/b.go"
wait_gone "$a_PID" 20; wait_gone "$b_PID" 20
[ "$(files_in_tree)" = 1 ] && pass "two processes, one object in the tree" || fail "$(find "$TREE" -type f)"
readelf -n "$FILE_A" > "$TMP/note.txt" 2>&1
expect "the published file carries its build-id note" "$TMP/note.txt" "Build ID: $ID_A$"
readelf -SW "$FILE_A" > "$TMP/secs.txt" 2>&1
expect_not "the published file has no load address (the same bytes from every process)" "$TMP/secs.txt" \
	"^ +\[ *[0-9]+\] \.text +PROGBITS +0*[1-9a-f][0-9a-f]* "
ls -A "$TREE/${ID_A:0:2}" > "$TMP/sub.txt"
expect_not "no temporary file is left in the tree" "$TMP/sub.txt" "\.tmp$"

# A third process with other code (jitfix.o) adds a second object.
fresh_files "$TMP/c.out" "$TMP/c.err"
env JITDEBUG_PUBLISH="$TREE" "$EXECUTOR" listen=127.0.0.1:0 > "$TMP/c.out" 2> "$TMP/c.err" &
C_PID=$!
PIDS+=("$C_PID")
wait_executor_port "$TMP/c.err"
timeout 60 "$JITLINK" --oop-executor-connect=127.0.0.1:$PORT "$JD_FIXTURES/jitfix.o" > "$TMP/c.ctl" 2>&1
wait_gone "$C_PID" 20
[ "$(files_in_tree)" = 2 ] && pass "a process with other code adds a second object" || fail "$(find "$TREE" -type f)"

# jitdebug publish over the link: the same file, once.
run_linkwait d
"$JITDEBUG" publish --connect "$LINK" "$TMP/tree2" > "$TMP/pub1.out" 2>&1
"$JITDEBUG" publish --connect "$LINK" "$TMP/tree2" > "$TMP/pub2.out" 2>&1
"$JITDEBUG" publish --connect "$LINK" /proc/no-such-dir > "$TMP/pub-bad.out" 2>&1
touch "$TMP/d.go"
expect "jitdebug publish writes the object" "$TMP/pub1.out" "^1 $ID_A published$"
expect "jitdebug publish again: already there" "$TMP/pub2.out" "^1 $ID_A already there$"
cmp -s "$FILE_A" "$TMP/tree2/${ID_A:0:2}/${ID_A:2}.debug" && pass "the CLI and the hooks publish the same bytes" \
	|| fail "the CLI's file differs from the hooks'"
expect "publish into an unwritable directory: a clear error" "$TMP/pub-bad.out" "/proc/no-such-dir"

# ---- debuginfod ----------------------------------------------------------------------------------
DPORT=$(free_port)
debuginfod -F "$TREE" -d "$TMP/debuginfod.sqlite" -p "$DPORT" -t 1 -g 0 > "$TMP/debuginfod.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
URL=http://127.0.0.1:$DPORT
# wait_fetchable ID — until the server has ID (20 s at most). Each probe has a cache of its own: the
# client remembers a 404 (cache_miss_s, 600 s), which would hide the object from the later fetches.
wait_fetchable() {
	for _ in $(seq 100); do
		DEBUGINFOD_CACHE_PATH=$TMP/probe DEBUGINFOD_URLS=$URL timeout 10 debuginfod-find debuginfo "$1" > /dev/null 2>&1 \
			&& { rm -rf "$TMP/probe"; return 0; }
		rm -rf "$TMP/probe"
		sleep 0.2
	done
	return 1
}
wait_fetchable "$ID_A"
got=$(DEBUGINFOD_URLS=$URL timeout 10 debuginfod-find debuginfo "$ID_A" 2> "$TMP/find.err")
[ -n "$got" ] && cmp -s "$got" "$FILE_A" && pass "debuginfod-find debuginfo returns the published object" \
	|| fail "debuginfod-find: '$got' $(cat "$TMP/find.err"); $(tail -5 "$TMP/debuginfod.log")"

# ---- a core without the objects' bytes -------------------------------------------------------------
crash_core_gdb "$TMP/gen.gdb" "$TMP/core"
fresh_files "$TMP/gen.out" "$TMP/executor.err"
JITDEBUG_GDB=lazy JITDEBUG_CORE_OBJECTS=omit JITDEBUG_PUBLISH="$TREE" JD_GO="$TMP/crash.go" \
	timeout 180 gdb -q -batch -nx -x "$TMP/gen.gdb" --args "$EXECUTOR" listen=127.0.0.1:0 > "$TMP/gen.out" 2> "$TMP/executor.err" &
GPID=$!
PIDS+=("$GPID")
wait_executor_port "$TMP/executor.err"
(timeout 90 "$JITLINK" --oop-executor-connect=127.0.0.1:$PORT "$JD_FIXTURES/crash.o" > "$TMP/crash.ctl" 2>&1 &)
for _ in $(seq 200); do [ "$(files_in_tree)" = 3 ] && break; sleep 0.05; done
touch "$TMP/crash.go"
wait_exit "$GPID" 180
[ -s "$TMP/core" ] && pass "GDB wrote a core at the crash" || fail "no core: $(tail -5 "$TMP/gen.out")"
"$JITDEBUG" core "$TMP/core" -o "$TMP/ext0" > "$TMP/core0.out" 2>&1
echo "status=$?" >> "$TMP/core0.out"
expect "jitdebug core without DEBUGINFOD_URLS: the bytes are missing, said with the build-id" "$TMP/core0.out" \
	"skipped: object 1 \(build-id [0-9a-f]{40}\): its bytes are not in memory; DEBUGINFOD_URLS is not set"
expect "and it fails" "$TMP/core0.out" "^status=1$"
CRASH_ID=$(sed -n 's/.*object 1 (build-id \([0-9a-f]*\)).*/\1/p' "$TMP/core0.out" | head -1)
[ -f "$TREE/${CRASH_ID:0:2}/${CRASH_ID:2}.debug" ] && pass "the crashed object was published under that build-id" \
	|| fail "no $CRASH_ID in the tree"

wait_fetchable "$CRASH_ID" || fail "debuginfod never served $CRASH_ID"
DEBUGINFOD_URLS=$URL "$JITDEBUG" core "$TMP/core" -o "$TMP/ext" > "$TMP/core1.out" 2> "$TMP/core1.err"
expect "jitdebug core fetches the object by build-id" "$TMP/core1.err" "1 of them fetched by build-id"
grep '^add-symbol-file' "$TMP/core1.out" > "$TMP/load.gdb"
printf 'bt 3\n' >> "$TMP/load.gdb"
timeout 120 gdb -q -batch -nx -x "$TMP/load.gdb" "$EXECUTOR" "$TMP/core" > "$TMP/core-plain.out" 2>&1
expect "jitdebug core's commands in plain GDB: frame #0 named with its line" "$TMP/core-plain.out" \
	"^#0 +0x[0-9a-f]+ in jd_crash_inner \(p=0x0, v=42\) at .*crash\.c:$L_STORE$"
expect "frame #1 named with its line" "$TMP/core-plain.out" "^#1 +0x[0-9a-f]+ in jd_crash_outer \(v=41\) at .*crash\.c:$L_CALL$"

timeout 120 gdb -q -batch -nx -ex "source $PLUGIN" -ex 'jit load-core' -ex 'bt 3' "$EXECUTOR" "$TMP/core" \
	> "$TMP/gdb0.out" 2>&1
expect "GDB plugin without DEBUGINFOD_URLS: says which build-id is missing" "$TMP/gdb0.out" \
	"jit: object 1 skipped: object 1 \(build-id $CRASH_ID\): its bytes are not in memory; DEBUGINFOD_URLS is not set"
DEBUGINFOD_URLS=$URL timeout 120 gdb -q -batch -nx -ex "source $PLUGIN" -ex 'jit load-core' -ex 'bt 3' -ex 'jit list' \
	"$EXECUTOR" "$TMP/core" > "$TMP/gdb1.out" 2>&1
expect "GDB plugin: fetched by build-id" "$TMP/gdb1.out" "^jit: object 1 fetched by build-id $CRASH_ID$"
expect "GDB plugin: frame #0 named with its line" "$TMP/gdb1.out" "^#0 +0x[0-9a-f]+ in jd_crash_inner \(p=0x0, v=42\) at .*crash\.c:$L_STORE$"
expect "GDB plugin: frame #1 named with its line" "$TMP/gdb1.out" "^#1 +0x[0-9a-f]+ in jd_crash_outer \(v=41\) at .*crash\.c:$L_CALL$"
expect "GDB plugin: jit list shows the build-id and the fetched object's function" "$TMP/gdb1.out" \
	"^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +$CRASH_ID +loaded +jitdebug +jd_crash_"

LOADER_OFF='settings set plugin.jit-loader.gdb.enable off'
timeout 120 "$LLDB" -b -O "$LOADER_OFF" -o "plugin load $LLDB_PLUGIN" -o 'jit load-core' -o 'bt 3' -c "$TMP/core" \
	"$EXECUTOR" > "$TMP/lldb0.out" 2>&1
expect "LLDB plugin without DEBUGINFOD_URLS: says which build-id is missing" "$TMP/lldb0.out" \
	"object 1 \(build-id $CRASH_ID\): its bytes are not in memory; DEBUGINFOD_URLS is not set"
DEBUGINFOD_URLS=$URL timeout 120 "$LLDB" -b -O "$LOADER_OFF" -o "plugin load $LLDB_PLUGIN" -o 'jit load-core' -o 'bt 3' \
	-o 'jit list' -c "$TMP/core" "$EXECUTOR" > "$TMP/lldb1.out" 2>&1
expect "LLDB plugin: jit list shows the build-id and the fetched object's function" "$TMP/lldb1.out" \
	"^1 +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +$CRASH_ID +loaded +jitdebug +jd_crash_"
expect "LLDB plugin: frame #0 named with its line" "$TMP/lldb1.out" \
	"frame #0: 0x[0-9a-f]+ [^ ]+\`jd_crash_inner\(p=0x0+, v=42\) at crash\.c:$L_STORE:"
expect "LLDB plugin: frame #1 named with its line" "$TMP/lldb1.out" "frame #1: 0x[0-9a-f]+ [^ ]+\`jd_crash_outer\(v=41\) at crash\.c:$L_CALL:"

# ---- bad servers ---------------------------------------------------------------------------------
# A server that answers every build-id with jitfix's object: refused after the recheck.
mkdir -p "$TMP/liar/buildid/$CRASH_ID"
cp "$FILE_A" "$TMP/liar/buildid/$CRASH_ID/debuginfo"
LPORT=$(free_port)
python3 -m http.server "$LPORT" --bind 127.0.0.1 --directory "$TMP/liar" > "$TMP/liar.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do (exec 3<> /dev/tcp/127.0.0.1/$LPORT) 2> /dev/null && break; sleep 0.05; done
DEBUGINFOD_CACHE_PATH=$TMP/dcache-liar DEBUGINFOD_URLS=http://127.0.0.1:$LPORT "$JITDEBUG" core "$TMP/core" -o "$TMP/ext-liar" \
	> "$TMP/liar.out" 2>&1
expect "a server answering with another object is detected and skipped" "$TMP/liar.out" \
	"build-id $CRASH_ID with another object \(its build-id is $ID_A\): skipped"
left=$(find "$TMP/dcache-liar" -type f -name debuginfo 2> /dev/null | wc -l)
[ "$left" = 0 ] && pass "the refused object is removed from the debuginfod cache" \
	|| fail "the refused object stays in the debuginfod cache ($left files)"
# Servers that answer with 2 GiB, announced (Content-Length) or not: abandoned past 1 GiB as the body
# arrives, nothing left in the cache.
cat > "$TMP/huge.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        self.send_response(200)
        if sys.argv[2] == "announced":
            self.send_header("Content-Length", str(2 << 30))
        self.end_headers()
        z = b"\0" * (1 << 20)
        try:
            for _ in range(2048):
                self.wfile.write(z)
        except OSError:
            pass
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
for how in announced streamed; do
	HPORT=$(free_port)
	timeout 120 python3 "$TMP/huge.py" "$HPORT" "$how" > /dev/null 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 100); do (exec 3<> /dev/tcp/127.0.0.1/$HPORT) 2> /dev/null && break; sleep 0.05; done
	DEBUGINFOD_CACHE_PATH=$TMP/dcache-$how DEBUGINFOD_URLS=http://127.0.0.1:$HPORT timeout 100 "$JITDEBUG" core "$TMP/core" \
		-o "$TMP/ext-$how" > "$TMP/huge-$how.out" 2>&1
	echo "status=$?" >> "$TMP/huge-$how.out"
	expect "a 2 GiB answer ($how size) is refused" "$TMP/huge-$how.out" "object 1 \(build-id $CRASH_ID\): its bytes are not in memory"
	expect "... and said so (not \"no server has it\")" "$TMP/huge-$how.out" "larger than 1 GiB \(abandoned as it arrived\)"
	expect "... by jitdebug, not by the test's timeout" "$TMP/huge-$how.out" "^status=1$"
	big=$(du -sm "$TMP/dcache-$how" 2> /dev/null | cut -f1)
	[ "${big:-0}" -lt 2 ] && pass "... and the debuginfod cache keeps none of it (${big:-0} MB)" \
		|| fail "the debuginfod cache holds ${big} MB after a refused 2 GiB answer ($how)"
done
DEBUGINFOD_CACHE_PATH=$TMP/dcache-none DEBUGINFOD_URLS=http://127.0.0.1:1 timeout 60 "$JITDEBUG" core "$TMP/core" \
	-o "$TMP/ext-none" > "$TMP/none.out" 2>&1
echo "status=$?" >> "$TMP/none.out"
expect "an unreachable server fails with its address named" "$TMP/none.out" "not fetched from DEBUGINFOD_URLS=http://127\.0\.0\.1:1: "
expect "and fails by itself, not by the test's timeout" "$TMP/none.out" "^status=1$"
finish
