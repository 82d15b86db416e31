#!/usr/bin/env bash
# check-needed.sh BUILD — every jitdebug-executor-NN needs nothing but the C library: its NEEDED
# entries are among libc.so.6, libm.so.6 (glibc's math part) and the dynamic loader. No libdw, libelf,
# compression or terminfo library, and no C++ runtime (linked in statically; JIT'd C++ code gets the
# machine's own, loaded at start: executor/session.cpp). The last line is "N passed, N failed".
set -uo pipefail
BUILD=$(cd "$1" && pwd)
PASS=0
FAIL=0
for exe in "$BUILD"/bin/jitdebug-executor-[0-9]*; do
	needed=$(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	other=$(echo "$needed" | tr ' ' '\n' | grep -v -E '^(libc\.so\.6|libm\.so\.6|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1)?$')
	if [ -z "$other" ]; then
		echo "ok   $(basename "$exe"): needs $needed($(stat -c %s "$exe") bytes)"
		PASS=$((PASS + 1))
	else
		echo "FAIL $(basename "$exe") needs more than the C library: $(echo $other)"
		FAIL=$((FAIL + 1))
	fi
done
[ $((PASS + FAIL)) -gt 0 ] || { echo "FAIL no executor in $BUILD/bin"; FAIL=1; }
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
