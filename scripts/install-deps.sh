#!/usr/bin/env bash
# Installs what jitdebug needs to build, test and demo on Debian 12, and only what is missing.
# Idempotent: a second run installs nothing and prints nothing but the summary line.
# Needs root for apt-get; without root it lists what is missing and fails.
set -euo pipefail

pkgs=(
  cmake ninja-build make pkg-config
  clang-16 llvm-16 llvm-16-dev llvm-16-tools libclang-rt-16-dev lld-16
  lldb-16 liblldb-16-dev python3-lldb-16
  libelf-dev libdw-dev libdwarf-dev zlib1g-dev libzstd-dev
  gdb gdbserver linux-perf python3 procps iproute2 binutils valgrind
)

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
