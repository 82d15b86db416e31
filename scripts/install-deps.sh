#!/usr/bin/env bash
# Installs what jitdebug needs to build, test and demo on Debian 12, and only what is missing.
# Idempotent: a second run installs nothing and prints nothing but the summary lines.
# Needs root for apt-get; without root it lists what is missing and fails.
#
# Toolchains: LLVM 16 (the build's compiler, LLDB 16 and its Python package) and LLVM 19 (the
# current one: Debian 13's default) are installed from Debian's packages. lldb-19 cannot be
# installed beside lldb-16 (their Python packages conflict), so with a folder argument (the Makefile
# passes build/deps) Debian's lldb-19 and python3-lldb-19 packages are unpacked there
# (apt-get download + dpkg -x; liblldb-19 itself is installed normally) and the tests run LLDB 19
# from it. LLDB 16 stays the installed one: the build compiles the LLDB plugin against its headers,
# the oldest supported, so that one plugin loads in both.
#
# The AArch64 device (`make aarch64`, it.llvmNN.aarch64_remote): qemu-user-static runs it, gdb-multiarch
# debugs it through qemu's gdbstub, and Debian's cross runtime packages give the C and C++ runtime;
# the arm64 builds of LLVM and libdw are unpacked by scripts/aarch64-sysroot.sh, not installed.
#
# The fleet (it.llvmNN.fleet, bench/fleet.sh): Debian's debuginfod server, its client library (which
# libjitdebug opens at run time to fetch objects by build-id) and elfutils' debuginfod-find.
#
# PostgreSQL 15 is a real JIT of the field (llvmjit.so on libLLVM-14, its own GDB listener):
# it.postgres_jit runs a throwaway cluster of its own and never uses the package's cluster or service.
#
# Node (nodejs: V8) is a runtime nobody here wrote that writes its own jitdump: it.node_jitdump.
set -euo pipefail
deps_dir=${1:-}

pkgs=(
  cmake ninja-build make pkg-config
  clang-16 llvm-16 llvm-16-dev llvm-16-tools libclang-rt-16-dev lld-16
  lldb-16 liblldb-16-dev python3-lldb-16
  clang-19 llvm-19 llvm-19-dev llvm-19-tools liblldb-19
  libelf-dev libdw-dev libdwarf-dev zlib1g-dev libzstd-dev liblzma-dev libbz2-dev libncurses-dev
  gdb gdbserver linux-perf python3 procps iproute2 binutils valgrind
  postgresql-15 postgresql-client-15
  dpkg-dev
  qemu-user-static gdb-multiarch libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross libgcc-12-dev-arm64-cross
  debuginfod libdebuginfod1 elfutils
  nodejs
)

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: not root; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# LLDB 19 beside LLDB 16, unpacked (see above).
if [ -n "$deps_dir" ]; then
  root=$deps_dir/lldb-19
  if [ -x "$root/usr/lib/llvm-19/bin/lldb" ]; then
    echo "install-deps: LLDB 19 present in $root"
  elif [ -x /usr/lib/llvm-19/bin/lldb ]; then
    echo "install-deps: LLDB 19 installed in /usr/lib/llvm-19"
  else
    mkdir -p "$deps_dir/debs"
    (cd "$deps_dir/debs" && apt-get download lldb-19 python3-lldb-19 >/dev/null 2>&1) || {
      apt-get update -qq && (cd "$deps_dir/debs" && apt-get download lldb-19 python3-lldb-19 >/dev/null 2>&1)
    }
    rm -rf "$root.tmp"
    for deb in "$deps_dir"/debs/lldb-19_*.deb "$deps_dir"/debs/python3-lldb-19_*.deb; do
      dpkg -x "$deb" "$root.tmp"
    done
    mv "$root.tmp" "$root"
    echo "install-deps: LLDB 19 unpacked into $root"
  fi
fi
