#!/usr/bin/env bash
# check-layers.sh [SRC] — fails when a lower layer depends on a higher one (docs/architecture.md: jitdebug/ ←
# perfmap/ ← executor-hooks/ ← the CLI and the plugins). Checked: every `#include "..."` of the C and
# C++ files of the three lower folders, resolved to the folder that holds the header, and their
# CMakeLists.txt include directories. Prints each violation; the last line is "N passed, N failed".
set -uo pipefail
SRC=$(cd "${1:-$(dirname "$0")/..}" && pwd)
rank() {
	case $1 in
	jitdebug) echo 0 ;; perfmap) echo 1 ;; executor-hooks) echo 2 ;; *) echo 3 ;;
	esac
}
# The folder that holds a header named by a bare include, among the project's layers.
home_of() {
	local f
	for f in jitdebug perfmap executor-hooks cli lldb-plugin; do
		[ -f "$SRC/$f/$1" ] && { echo "$f"; return; }
	done
	echo ""
}
bad=0 checked=0
for layer in jitdebug perfmap executor-hooks; do
	mine=$(rank "$layer")
	while IFS= read -r file; do
		while IFS= read -r inc; do
			checked=$((checked + 1))
			if [[ $inc == ../* ]]; then
				target=${inc#../}
				target=${target%%/*}
			else
				target=$(home_of "$inc")
			fi
			[ -z "$target" ] && continue
			if [ "$(rank "$target")" -gt "$mine" ]; then
				echo "FAIL ${file#$SRC/}: includes \"$inc\" from $target/, a higher layer than $layer/"
				bad=$((bad + 1))
			fi
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
	done < <(find "$SRC/$layer" -maxdepth 1 \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) | sort)
	for higher in perfmap executor-hooks cli lldb-plugin; do
		[ "$(rank "$higher")" -gt "$mine" ] || continue
		checked=$((checked + 1))
		if grep -n "PROJECT_SOURCE_DIR}/$higher\b" "$SRC/$layer/CMakeLists.txt" > /dev/null; then
			echo "FAIL $layer/CMakeLists.txt: include directory in $higher/, a higher layer"
			bad=$((bad + 1))
		fi
	done
done
echo "layers: $checked includes and include directories checked"
echo "$((checked - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
