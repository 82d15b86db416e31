#!/usr/bin/env bash
# check-exports.sh BUILD [SRC] — the symbols libjitdebug and libjitdebug-hooks export are exactly the
# ones docs/abi.md documents, each with its version node (`name@@JITDEBUG_0.1`), or unversioned where
# the document says so (the names debuggers and LLVM ORC look up). A symbol added to a library without
# a version node, or without documentation, fails; so does a documented one that is gone. The sonames
# carry the ABI major. The last line is "N passed, N failed".
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "${2:-$(dirname "$0")/..}" && pwd)
PASS=0
FAIL=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# documented LIB — the lines of the ```text block that follows `<!-- exports: LIB -->` in docs/abi.md.
documented() {
	awk -v lib="$1" '$0 == "<!-- exports: " lib " -->" { want = 1; next }
		want && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' "$SRC/docs/abi.md" | sort
}
# exported FILE — every defined dynamic symbol with its version (`name@@VER`, or `name` when unversioned).
exported() {
	nm -D --defined-only --with-symbol-versions "$1" | awk '$2 != "A" { print $3 }' |
		sed 's/@@\?$//' | sort
}

for lib in libjitdebug libjitdebug-hooks; do
	file=$(ls "$BUILD/lib/$lib.so".[0-9]*.[0-9]*.[0-9]* 2>/dev/null | head -1)
	if [ -z "$file" ]; then
		echo "FAIL $lib: no $BUILD/lib/$lib.so.X.Y.Z"
		FAIL=$((FAIL + 1))
		continue
	fi
	soname=$(readelf -d "$file" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
	if [[ $soname =~ ^$lib\.so\.[0-9]+$ ]]; then
		echo "ok   $lib: soname $soname"
		PASS=$((PASS + 1))
	else
		echo "FAIL $lib: soname '$soname' lacks the ABI major"
		FAIL=$((FAIL + 1))
	fi
	documented "$lib" > "$TMP/doc"
	exported "$file" > "$TMP/got"
	if [ ! -s "$TMP/doc" ]; then
		echo "FAIL $lib: docs/abi.md documents no exports for it"
		FAIL=$((FAIL + 1))
	elif diff -u "$TMP/doc" "$TMP/got" > "$TMP/diff"; then
		echo "ok   $lib: $(wc -l < "$TMP/got") exported symbols, as documented"
		PASS=$((PASS + 1))
	else
		echo "FAIL $lib: the exported symbols differ from docs/abi.md (- documented, + exported):"
		grep '^[-+][^-+]' "$TMP/diff" | sed 's/^/    /'
		FAIL=$((FAIL + 1))
	fi
done
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
