#!/usr/bin/env bash
# check-layers.sh [SRC] — fails when a lower layer depends on a higher one (docs/architecture.md,
# "Layers": jitdebug/ ← perfmap/ ← executor-hooks/ ← the executor, the CLI and the plugins). Checked:
# every `#include "..."` of the C and C++ files of the three lower folders, resolved to the folder that
# holds the header, and their CMakeLists.txt include directories; and that the registry names none of
# its consumers. Prints each violation; the last line is "N passed, N failed".
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
# The registry does not know its consumers (docs/architecture.md, "The registry and its
# subscribers"): registry.c and registry.h reach the perf outputs, publishing, the link, the watches
# and the other registrars only through the subscribers' table, never by a header or a name of theirs,
# so no circle runs from the registry to a consumer and back.
for f in registry.c registry.h; do
	file=$SRC/executor-hooks/$f
	[ -f "$file" ] || continue
	checked=$((checked + 1))
	hits=$(grep -nE '#[[:space:]]*include[[:space:]]*"(\.\./perfmap/[^"]*|link-internal\.h|registrars\.h)"|\bjd_(link|perf|publish|fleet|registrars|watch)[a-z_]*[[:space:]]*\(|\bjitdebug_debugger_notify\b' "$file")
	if [ -n "$hits" ]; then
		echo "FAIL executor-hooks/$f names a consumer of the registry (subscribe it in subscribers.c instead):"
		echo "$hits" | sed 's/^/    /'
		bad=$((bad + 1))
	fi
done
echo "layers: $checked includes and include directories checked"
echo "$((checked - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
