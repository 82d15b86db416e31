#!/usr/bin/env bash
# Makes an AArch64 device's root folder: the given AArch64 programs in ROOT/bin and, in ROOT/lib, the
# loader and the libraries they need (their NEEDED lists, followed), taken from Debian's cross runtime
# (/usr/aarch64-linux-gnu/lib). Nothing else: no LLVM, no debugger, no sources. Run a program there
# with `qemu-aarch64-static -L ROOT ROOT/bin/PROGRAM` (-L makes ROOT the guest's /).
#
#   scripts/aarch64-device.sh ROOT PROGRAM...
# JD_AARCH64_RUNTIME: the folders to take libraries from, colon-separated (default: the cross runtime;
# bench/aarch64_link.sh adds the arm64 sysroot's for Debian's own executor).
set -euo pipefail
root=$1
shift
IFS=: read -r -a dirs <<< "${JD_AARCH64_RUNTIME:-/usr/aarch64-linux-gnu/lib}"
runtime=${dirs[0]}
mkdir -p "$root/bin" "$root/lib" "$root/tmp"
chmod 1777 "$root/tmp"
todo=()
for prog in "$@"; do
  cp -L "$prog" "$root/bin/"
  todo+=("$prog")
done
# The loader, then every NEEDED library, transitively (readelf: the host's ldd cannot run AArch64).
cp -L "$runtime/ld-linux-aarch64.so.1" "$root/lib/"
while [ ${#todo[@]} -gt 0 ]; do
  f=${todo[0]}
  todo=("${todo[@]:1}")
  for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$root/lib/$lib" ] && continue
    from=
    for d in "${dirs[@]}"; do [ -e "$d/$lib" ] && { from=$d/$lib; break; }; done
    [ -n "$from" ] || { echo "aarch64-device: $lib (needed by $f) is not in ${dirs[*]}" >&2; exit 1; }
    cp -L "$from" "$root/lib/$lib"
    todo+=("$root/lib/$lib")
  done
done
