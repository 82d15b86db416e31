#!/usr/bin/env bash
# The installed jitdebug, used from its installed files only:
#  - `cmake --install` into a prefix of the test's own. A consumer project (tests/consumer) builds with
#    pkg-config and with find_package(jitdebug), shared and static, and runs. --version, `help VERB`
#    and the man pages work. GDB auto-loads the plugin for a process with the hooks and for an
#    executor, with no `source` (the prefix's auto-load folder is named, as a user of a non-/usr
#    prefix does in ~/.gdbinit). LLDB loads it from a one-line ~/.lldbinit.
#  - The Debian packages (`cpack`, as `make deb` makes them) are installed with dpkg into a scratch
#    root (its own admin folder, no chroot), used there the same way, and removed: nothing is left.
#    Their dependencies are checked against the host's installed packages.
. "$(dirname "$0")/lib.sh"
VERSION=$(sed -n 's/^#define JD_VERSION_STRING "\(.*\)"$/\1/p' "$JD_BUILD/include/jitdebug-version.h")
ABI=$(sed -n 's/^#define JD_ABI_VERSION \([0-9]*\)$/\1/p' "$JD_BUILD/include/jitdebug-version.h")
CONSUMER=$JD_SRC/tests/consumer
CC=${CC:-cc}
P=$TMP/prefix

timeout 120 cmake --install "$JD_BUILD" --prefix "$P" > "$TMP/install.out" 2>&1 &&
	pass "cmake --install into $P" || { fail "cmake --install"; tail "$TMP/install.out"; }

# ---- the programs: --version, help, man pages ---------------------------------------------------
"$P/bin/jitdebug" --version > "$TMP/version.out" 2>&1
expect "jitdebug --version: the version and the LLVM it was built with" "$TMP/version.out" \
	"^jitdebug ${VERSION//./\\.} \(built with LLVM [0-9]+\.[0-9]+\.[0-9]+\)$"
for exe in "$P"/bin/jitdebug-executor-[0-9]*; do
	v=${exe##*-}
	"$exe" --version > "$TMP/ev.out" 2>&1
	expect "jitdebug-executor-$v --version: LLVM $v" "$TMP/ev.out" "^jitdebug-executor ${VERSION//./\\.} \(LLVM $v\.[0-9]+\.[0-9]+\)$"
done
"$P/bin/jitdebug" help core > "$TMP/help.out" 2>&1
expect "jitdebug help VERB" "$TMP/help.out" "^jitdebug core COREFILE -o DIR"
"$P/bin/jitdebug" help perf > "$TMP/help-perf.out" 2>&1
expect "jitdebug help GROUP: perf record" "$TMP/help-perf.out" "^jitdebug perf record "
expect "jitdebug help GROUP: perf report" "$TMP/help-perf.out" "^jitdebug perf report "
"$P/bin/jitdebug" help nosuch > "$TMP/help2.out" 2>&1
echo "exit $?" >> "$TMP/help2.out"
expect "jitdebug help of an unknown verb fails" "$TMP/help2.out" "^exit 2$"
for page in jitdebug jitdebug-executor; do
	f=$P/share/man/man1/$page.1
	if [ -s "$f" ] && head -1 "$f" | grep -q "^\.TH ${page^^} 1 " && grep -q '^\.SH SYNOPSIS' "$f"; then
		pass "man page $page.1"
	else fail "man page $page.1"; fi
done
# The same verbs in the man page and in `help`.
for verb in "perf record" "core" "list" "symbolize"; do
	grep -q "^\.B jitdebug $verb$" "$P/share/man/man1/jitdebug.1" || fail "man page lists '$verb'"
done
ldd "$P/bin/jitdebug" > "$TMP/ldd.out" 2>&1
expect_not "the installed CLI finds every library" "$TMP/ldd.out" "not found"

# ---- a consumer: pkg-config and find_package, shared and static ---------------------------------
export PKG_CONFIG_PATH=$P/lib/pkgconfig
build_pc() { # build_pc NAME LIBS... — the consumer with pkg-config's flags
	local name=$1
	shift
	"$CC" -o "$TMP/$name" "$CONSUMER/consumer.c" $(pkg-config --cflags jitdebug-hooks) "$@" > "$TMP/$name.build" 2>&1
}
check_consumer() { # check_consumer NAME BINARY SHARED(yes|no)
	LD_LIBRARY_PATH=$P/lib timeout 30 "$2" > "$TMP/$1.run" 2>&1
	expect "$1: builds and runs" "$TMP/$1.run" "^consumer: jitdebug ${VERSION//./\\.}, object [0-9]+, twice_plus_one\(20\) = 41$"
	readelf -d "$2" > "$TMP/$1.dyn" 2>&1
	if [ "$3" = yes ]; then
		expect "$1: needs libjitdebug-hooks.so.$ABI" "$TMP/$1.dyn" "NEEDED.*\[libjitdebug-hooks\.so\.$ABI\]"
	else
		expect_not "$1: the hooks are linked in" "$TMP/$1.dyn" "NEEDED.*libjitdebug"
	fi
}
# start_waiting NAME BINARY LIBDIR — the consumer kept alive (its input held open on fd 7) with its
# function registered; sets WPID. `stop_waiting LABEL` ends it.
start_waiting() {
	mkfifo "$TMP/$1.in"
	LD_LIBRARY_PATH=$3 "$2" wait < "$TMP/$1.in" > "$TMP/$1.out" 2>&1 &
	WPID=$!
	PIDS+=("$WPID")
	exec 7> "$TMP/$1.in"
	for _ in $(seq 100); do grep -q '^consumer:' "$TMP/$1.out" && break; sleep 0.05; done
}
stop_waiting() {
	exec 7>&-
	wait_gone "$WPID" 10 || fail "$1 did not end"
}
# start_installed_executor BINARY — an installed executor on 127.0.0.1:0; sets EXPID.
start_installed_executor() {
	fresh_files "$TMP/ex.err"
	"$1" listen=127.0.0.1:0 > /dev/null 2> "$TMP/ex.err" &
	EXPID=$!
	PIDS+=("$EXPID")
	wait_executor_port "$TMP/ex.err" > /dev/null
}
build_pc pc_shared $(pkg-config --libs jitdebug-hooks) || { fail "pkg-config shared build"; cat "$TMP/pc_shared.build"; }
check_consumer "pkg-config, shared" "$TMP/pc_shared" yes
# Static: the archive by name (-l would take the shared library), the rest from `pkg-config --static`.
build_pc pc_static $(pkg-config --static --libs jitdebug-hooks | sed "s|-ljitdebug-hooks|$P/lib/libjitdebug-hooks.a|") ||
	{ fail "pkg-config static build"; cat "$TMP/pc_static.build"; }
check_consumer "pkg-config, static" "$TMP/pc_static" no

timeout 120 cmake -S "$CONSUMER" -B "$TMP/cm" -G Ninja -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_COMPILER="$CC" \
	> "$TMP/cm.out" 2>&1 && timeout 120 cmake --build "$TMP/cm" >> "$TMP/cm.out" 2>&1 ||
	{ fail "find_package(jitdebug) project builds"; tail -20 "$TMP/cm.out"; }
check_consumer "find_package, jitdebug::hooks" "$TMP/cm/consumer_shared" yes
check_consumer "find_package, jitdebug::hooks_static" "$TMP/cm/consumer_static" no

# ---- debuggers find the plugins by themselves -------------------------------------------------
start_waiting c "$TMP/pc_shared" "$P/lib"
CPID=$WPID
AUTOLOAD=(-iex "set auto-load scripts-directory $P/share/gdb/auto-load" -iex "add-auto-load-safe-path $P/share/gdb/auto-load")
timeout 60 gdb -q -batch -nx "${AUTOLOAD[@]}" -ex "jit status" -ex "jit list" -p "$CPID" > "$TMP/gdb-auto.out" 2>&1
expect "GDB auto-loads the plugin for the hooks' library: jit status" "$TMP/gdb-auto.out" "^target: live$"
expect "GDB auto-loaded plugin: jit list shows the function" "$TMP/gdb-auto.out" " twice_plus_one$"
timeout 60 gdb -q -batch -nx -ex "jit status" -p "$CPID" > "$TMP/gdb-noauto.out" 2>&1
expect "without the prefix's auto-load folder GDB has no jit command (the check can fail)" "$TMP/gdb-noauto.out" \
	'(Undefined command: |Ambiguous command )"jit'
mkdir -p "$TMP/home"
echo "plugin load $P/lib/libjitdebug-lldb.so" > "$TMP/home/.lldbinit"
HOME=$TMP/home timeout 60 "$LLDB" -b -p "$CPID" -o "jit status" -o "jit list" -o detach > "$TMP/lldb-init.out" 2>&1
expect "LLDB loads the plugin from a one-line ~/.lldbinit" "$TMP/lldb-init.out" "^target: live$"
expect "LLDB plugin from ~/.lldbinit: jit list shows the function" "$TMP/lldb-init.out" " twice_plus_one$"
stop_waiting "the consumer"

start_installed_executor "$P/bin/jitdebug-executor"
timeout 60 gdb -q -batch -nx "${AUTOLOAD[@]}" -ex "jit status" -p "$EXPID" > "$TMP/gdb-ex.out" 2>&1
expect "GDB auto-loads the plugin for an executor" "$TMP/gdb-ex.out" "^target: live$"
kill "$EXPID" 2>/dev/null

# ---- the Debian packages, installed into a scratch root and removed ----------------------------
timeout 300 cpack -B "$TMP/deb" --config "$JD_BUILD/CPackConfig.cmake" > "$TMP/cpack.out" 2>&1 ||
	{ fail "cpack"; tail -20 "$TMP/cpack.out"; }
DEBS=("$TMP"/deb/*.deb)
[ "${#DEBS[@]}" -eq 4 ] && pass "cpack makes 4 packages" || fail "cpack makes 4 packages (${#DEBS[@]})"
for d in "${DEBS[@]}"; do
	echo "    $(basename "$d"): $(dpkg-deb -f "$d" Installed-Size) KiB installed; depends: $(dpkg-deb -f "$d" Depends)"
done
for d in "${DEBS[@]}"; do
	# Every dependency outside these packages is a package the host has.
	dpkg-deb -f "$d" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -v '^libjitdebug' | grep . |
		while read -r dep; do
			[ "$(dpkg-query -W -f='${db:Status-Status}' "$dep" 2>/dev/null)" = installed ] ||
				echo "$(basename "$d") needs $dep, which is not installed"
		done
done > "$TMP/deps.out"
expect_not "every package's dependencies are Debian packages installed here" "$TMP/deps.out" "not installed"
R=$TMP/root
ADMIN=$R/var/lib/dpkg
mkdir -p "$ADMIN/info" "$ADMIN/updates"
touch "$ADMIN/status" "$ADMIN/available"
# The scratch admin folder knows none of the host's packages: dependencies were checked above.
DPKG=(dpkg --instdir="$R" --admindir="$ADMIN" --force-depends --force-script-chrootless --no-triggers)
timeout 120 "${DPKG[@]}" -i "${DEBS[@]}" > "$TMP/dpkg-i.out" 2>&1
expect "dpkg -i: the four packages are set up" "$TMP/dpkg-i.out" "^Setting up jitdebug-plugins "
"$R/usr/bin/jitdebug" --version > "$TMP/deb-version.out" 2>&1
expect "from the packages: jitdebug --version" "$TMP/deb-version.out" "^jitdebug ${VERSION//./\\.} "
# The .pc files find their prefix from their own place (${pcfiledir}): $R/usr here, /usr on a system.
export PKG_CONFIG_PATH=$R/usr/lib/pkgconfig
build_pc deb_consumer $(pkg-config --libs jitdebug-hooks) ||
	{ fail "from the packages: pkg-config build"; cat "$TMP/deb_consumer.build"; }
P=$R/usr check_consumer "from the packages, pkg-config" "$TMP/deb_consumer" yes
[ -f "$R/usr/share/gdb/auto-load/usr/lib/libjitdebug-hooks.so.$VERSION-gdb.py" ] &&
	pass "from the packages: GDB's auto-load script under /usr/share/gdb/auto-load" ||
	fail "from the packages: GDB's auto-load script under /usr/share/gdb/auto-load"
start_waiting d "$TMP/deb_consumer" "$R/usr/lib"
DPID=$WPID
timeout 60 gdb -q -batch -nx -ex "source $R/usr/share/jitdebug/gdb/jitdebug.py" -ex "jit list" -p "$DPID" > "$TMP/deb-gdb.out" 2>&1
expect "from the packages: the GDB plugin (with the packaged libjitdebug.so.$ABI)" "$TMP/deb-gdb.out" " twice_plus_one$"
timeout 60 "$LLDB" -b -o "plugin load $R/usr/lib/libjitdebug-lldb.so" -p "$DPID" -o "jit list" -o detach > "$TMP/deb-lldb.out" 2>&1
expect "from the packages: the LLDB plugin" "$TMP/deb-lldb.out" " twice_plus_one$"
stop_waiting "the packaged consumer"
# The packaged (stripped) executor: both packaged plugins find its registry through .dynsym.
start_installed_executor "$R/usr/bin/jitdebug-executor"
DEXPID=$EXPID
timeout 60 gdb -q -batch -nx -ex "source $R/usr/share/jitdebug/gdb/jitdebug.py" -ex "jit status" -p "$DEXPID" \
	> "$TMP/deb-exgdb.out" 2>&1
expect "from the packages: the GDB plugin reads the stripped executor's registry" "$TMP/deb-exgdb.out" "^objects: 0 known"
timeout 60 "$LLDB" -b -o "plugin load $R/usr/lib/libjitdebug-lldb.so" -p "$DEXPID" -o "jit status" -o detach \
	> "$TMP/deb-exlldb.out" 2>&1
expect "from the packages: the LLDB plugin reads the stripped executor's registry" "$TMP/deb-exlldb.out" "^objects: 0 known"
kill "$DEXPID" 2>/dev/null
timeout 120 "${DPKG[@]}" -r jitdebug jitdebug-plugins libjitdebug-dev "libjitdebug$ABI" > "$TMP/dpkg-r.out" 2>&1
find "$R" -mindepth 1 -not -path "$R/var" -not -path "$R/var/lib" -not -path "$ADMIN" -not -path "$ADMIN/*" > "$TMP/left.out"
if [ -s "$TMP/left.out" ]; then fail "dpkg -r leaves nothing behind"; head "$TMP/left.out"; else pass "dpkg -r leaves nothing behind"; fi
finish
