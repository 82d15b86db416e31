#!/usr/bin/env bash
# check-needed.sh BUILD — every jitdebug-executor-NN needs nothing but the C library and the C++
# runtime: its NEEDED entries are among libc.so.6, libm.so.6 (glibc's math part), the dynamic loader,
# libstdc++.so.6 and libgcc_s.so.1. The C++ runtime stays shared so that JIT'd C++ code can throw
# through the executor's frame registration (executor-hooks/CMakeLists.txt). No libdw, libelf,
# compression or terminfo library. The last line is "N passed, N failed".
set -uo pipefail
BUILD=$(cd "$1" && pwd)
PASS=0
FAIL=0
for exe in "$BUILD"/bin/jitdebug-executor-[0-9]*; do
	needed=$(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	other=$(echo "$needed" | tr ' ' '\n' | grep -v -E '^(libc\.so\.6|libm\.so\.6|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1)?$')
	if [ -z "$other" ]; then
		echo "ok   $(basename "$exe"): needs $needed($(stat -c %s "$exe") bytes)"
		PASS=$((PASS + 1))
	else
		echo "FAIL $(basename "$exe") needs more than the C library and the C++ runtime: $(echo $other)"
		FAIL=$((FAIL + 1))
	fi
done
[ $((PASS + FAIL)) -gt 0 ] || { echo "FAIL no executor in $BUILD/bin"; FAIL=1; }
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
