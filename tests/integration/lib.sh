# lib.sh — shared by the integration tests. Every test bounds each command with `timeout`, kills the
# processes it started (by PID) on exit, works in a private temp dir, and ends with
# "N passed, N failed".
set -u
: "${JD_BUILD:?}" "${JD_FIXTURES:?}" "${JD_SRC:?}"
# The toolchain under test (tests/CMakeLists.txt runs the version-sensitive tests once per LLVM):
# JD_LLVM_VERSION picks llvm-jitlink, lli, clang and the matching jitdebug-executor-NN; JD_LLDB_BIN
# the folder of the LLDB under test (lldb, lldb-server), which may be unpacked in the build tree.
LLVM_VERSION=${JD_LLVM_VERSION:-16}
LLVM_BIN=${JD_LLVM_BIN:-/usr/lib/llvm-$LLVM_VERSION/bin}
JITLINK=$LLVM_BIN/llvm-jitlink
LLI=$LLVM_BIN/lli
LLDB_BIN=${JD_LLDB_BIN:-/usr/lib/llvm-16/bin}
LLDB=$LLDB_BIN/lldb
LLDB_SERVER=$LLDB_BIN/lldb-server
# An LLDB unpacked from Debian's package finds its Python modules beside it.
for _py in "$LLDB_BIN"/../lib/python3*/site-packages; do
	[ -d "$_py/lldb" ] && export PYTHONPATH="$_py${PYTHONPATH:+:$PYTHONPATH}"
done
EXECUTOR=${JD_EXECUTOR:-$JD_BUILD/bin/jitdebug-executor-$LLVM_VERSION}
HOOKS_SO=$JD_BUILD/lib/libjitdebug-hooks.so
FIXSRC=$JD_SRC/tests/fixtures/jitfix.c
PASS=0
FAIL=0
PIDS=()
TMP=$(mktemp -d /tmp/jitdebug-test.XXXXXX)

cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "ok   $1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL $1"; FAIL=$((FAIL + 1)); }

# expect NAME FILE ERE — the file has a line matching the extended regex.
expect() {
	if grep -Eq -- "$3" "$2"; then pass "$1"; else
		fail "$1 (no line matches /$3/ in $(basename "$2"); its tail:)"
		tail -n 25 "$2" | sed 's/^/    | /'
	fi
}
# expect_not NAME FILE ERE
expect_not() {
	if grep -Eq -- "$3" "$2"; then fail "$1 (unexpected /$3/)"; grep -E -- "$3" "$2" | head -3 | sed 's/^/    | /'; else pass "$1"; fi
}

# skip REASON — the test does not apply here: says why and exits 77 (ctest: "Skipped", by name).
skip() {
	echo "skipped: $1"
	exit 77
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# bitcode NAME — the path of tests/fixtures/NAME.c as bitcode that the lli under test reads: the
# build's fixture (clang 16) for LLVM 16 and later, else compiled here by that version's clang
# (bitcode is read by the same or a newer LLVM only).
bitcode() {
	if [ "$LLVM_VERSION" -ge 16 ]; then echo "$JD_FIXTURES/$1.bc"; return; fi
	"$LLVM_BIN/clang" -g -O0 -emit-llvm -c "$JD_SRC/tests/fixtures/$1.c" -o "$TMP/$1.bc" && echo "$TMP/$1.bc"
}

line_of() { grep -n "MARK:$1" "$FIXSRC" | cut -d: -f1; }

# wait_executor_port ERRFILE [SECONDS] — sets PORT from jitdebug-executor's "listening on" line (10 s
# at most, or SECONDS: an executor under qemu starts slower). ERRFILE must be new for the process it
# watches (fresh_files before starting it): the line of an earlier executor in a reused file names a
# port nobody listens on any more.
wait_executor_port() {
	PORT=
	for _ in $(seq $((${2:-10} * 20))); do
		PORT=$(sed -n 's/^jitdebug-executor: listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null)
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	echo "executor did not start:"; cat "$1"; return 1
}

# fresh_files FILE... — removes the files a process about to start in the background will write, so
# that what is polled there is that process's (the shell's redirection truncates them only once the
# background process runs, which under load can be after the first poll).
fresh_files() {
	rm -f "$@"
}

# wait_exit PID [SECONDS] — waits for PID (a child of this shell) to end, 60 s at most or SECONDS;
# returns its status, or 124 after killing it when it does not end in time. Never `wait PID` bare: a
# process that does not exit would hang the test until ctest's time-out.
wait_exit() {
	local i
	for ((i = 0; i < ${2:-60} * 20; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "wait_exit: pid $1 still running after ${2:-60} s; killed"
		kill -9 "$1" 2>/dev/null
		{ wait "$1"; } 2>/dev/null
		return 124
	fi
	{ wait "$1"; } 2>/dev/null
}

# start_executor [ENV=VAL...] — starts jitdebug-executor on 127.0.0.1:0; sets EXPID and PORT.
start_executor() {
	fresh_files "$TMP/executor.out" "$TMP/executor.err"
	env "$@" "$EXECUTOR" listen=127.0.0.1:0 >"$TMP/executor.out" 2>"$TMP/executor.err" &
	EXPID=$!
	PIDS+=("$EXPID")
	wait_executor_port "$TMP/executor.err"
}

# link_address ERRFILE — prints the debug link address the hooks announced on stderr (waits 5 s at
# most; ERRFILE new for that process, as for wait_executor_port).
link_address() {
	for _ in $(seq 100); do grep -q 'debug link listening on' "$1" && break; sleep 0.05; done
	sed -n 's/^jitdebug: debug link listening on \([^ ]*\).*$/\1/p' "$1"
}

# start_link_host [ENV=VAL...] — link_host with jitfix.o, reading commands from $TMP/host.in (kept
# open on fd 7: `echo CMD >&7`, or `> $TMP/host.in` from another process); registers the object once
# (id 1) and sets HPID and LEAF (jd_leaf's address).
start_link_host() {
	mkfifo "$TMP/host.in"
	env "$@" "$JD_BUILD/bin/link_host" "$JD_FIXTURES/jitfix.o" < "$TMP/host.in" > "$TMP/host.out" 2> "$TMP/host.err" &
	HPID=$!
	PIDS+=("$HPID")
	exec 7> "$TMP/host.in"
	echo reg >&7
	echo "addr jd_leaf" >&7
	for _ in $(seq 100); do grep -q '^addr ' "$TMP/host.out" && break; sleep 0.05; done
	LEAF=$(sed -n 's/^addr //p' "$TMP/host.out")
}

# crash_core_gdb FILE CORE [COMMAND...] — writes a GDB script that runs the program to its crash,
# writes CORE there (generate-core-file: an ELF core, the system's core pattern untouched), runs each
# COMMAND, and kills the program.
crash_core_gdb() {
	local file=$1 core=$2
	shift 2
	{
		printf '%s\n' 'set pagination off' 'set confirm off' 'handle SIGSTOP nostop noprint' run "generate-core-file $core"
		printf '%s\n' "$@" kill
	} > "$file"
}

# wait_gone PID SECONDS — 0 if the process exits within the time.
wait_gone() {
	for _ in $(seq $(($2 * 20))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}

# gdb_fixture_stops — the GDB commands that follow the first stop in jd_leaf (breakpoints 1 = by name,
# 2 = by file:line): backtrace, a local and the .data static at the file:line stop, the .bss static
# one call later, then run to the end.
gdb_fixture_stops() {
	cat <<'GDB'
bt 3
continue
printf "local=%d\n", local
printf "scale=%d\n", scale
continue
continue
printf "counter=%d\n", counter
delete
continue
GDB
}

# expect_gdb_fixture_stops FILE — what gdb_fixture_stops must have shown.
expect_gdb_fixture_stops() {
	local leaf
	leaf=$(line_of leaf-add)
	expect "pending breakpoint by name resolves" "$1" "Breakpoint 1, jd_leaf \(x=1\) at .*jitfix\.c:[0-9]+"
	expect "pending breakpoint by file:line resolves" "$1" "Breakpoint 2, jd_leaf \(x=1\) at .*jitfix\.c:$leaf"
	expect "source line shown" "$1" "^$leaf[[:space:]]+counter \+= local;"
	expect "backtrace frame 0" "$1" "^#0  jd_leaf \(x=1\) at .*jitfix\.c"
	expect "backtrace frame 1 in JIT code" "$1" "^#1  0x[0-9a-f]+ in jd_outer \(n=3\) at .*jitfix\.c:$(line_of outer-call)"
	expect "local variable" "$1" "^local=7$"
	expect ".data static" "$1" "^scale=7$"
	expect ".bss static at its real address" "$1" "^counter=7$"
}

# expect_jit_info FILE — what `jit info ADDR` (jitfix.o loaded as object 1 by the plugin), `jit info
# 9876`, and `jit info ADDR` again after the host unregistered the object print, the same in both
# debuggers (the command is the session's, written once; the last answer comes from the hooks'
# graveyard).
expect_jit_info() {
	expect "jit info ADDR: the object covering it" "$1" "^object: +1$"
	expect "jit info: loaded, by the plugin" "$1" "^state: +loaded"
	expect "jit info: named by its first function" "$1" "^first symbol: +jd_leaf$"
	expect "jit info: the cache file the debugger loaded" "$1" "^file: +.*/[0-9]+-1\.o$"
	expect "jit info: .text at its load address" "$1" "^section: +\.text +0x[0-9a-f]+ +[0-9]+$"
	expect "jit info: an unknown id" "$1" "(error: jit: )?object 9876: no such object"
	expect "jit info ADDR after the unregistration: the graveyard names the freed code" "$1" \
		"no JIT object covers 0x[0-9a-f]+: object 1 \(jd_leaf, build-id [0-9a-f]{40}\) held 0x[0-9a-f]+-0x[0-9a-f]+ until it was unregistered"
}

JITDEBUG=$JD_BUILD/bin/jitdebug
hot_line() { grep -n "MARK:$1" "$JD_SRC/tests/fixtures/hot.c" | cut -d: -f1; }
# Perf map files this test made (by the PIDs it knows) are removed on exit.
PERFMAPS=()
cleanup_perfmaps() { for p in "${PERFMAPS[@]}"; do rm -f "/tmp/perf-$p.map"; done; }
touch "$TMP/.start"
# adopt_perfmaps SYMBOL — perf maps written since this test started that name SYMBOL (the JIT
# process was perf's child, so its pid is not known here) are removed on exit too.
adopt_perfmaps() {
	for m in /tmp/perf-*.map; do
		[ -f "$m" ] && [ "$m" -nt "$TMP/.start" ] && grep -q " $1\$" "$m" && PERFMAPS+=("$(basename "$m" .map | sed 's/^perf-//')")
	done
}
trap 'cleanup_perfmaps; cleanup' EXIT

# start_perf_executor REC — `jitdebug perf record -o REC [-g]` around jitdebug-executor on 127.0.0.1:0;
# sets RECPID and PORT. Extra arguments go to perf record (e.g. -g).
start_perf_executor() {
	local rec=$1
	shift
	fresh_files "$TMP/rec.out" "$TMP/rec.err"
	"$JITDEBUG" perf record "$@" -o "$rec" -- "$EXECUTOR" listen=127.0.0.1:0 > "$TMP/rec.out" 2> "$TMP/rec.err" &
	RECPID=$!
	PIDS+=("$RECPID")
	wait_executor_port "$TMP/rec.err"
}
