#!/usr/bin/env bash
# Unpacks Debian's arm64 packages that the AArch64 cross build links against into a sysroot folder
# (default build/deps/arm64), without touching the machine's dpkg: a private apt state under the
# folder (APT::Architecture=arm64, the machine's own sources), `apt-get download`, `dpkg -x`.
#
#   llvm-NN-dev          the ORC target-process libraries and LLVM's headers, for each NN given
#   libdw/libelf/zlib/liblzma/libbz2/libzstd/libncurses -dev   static archives the executor links
#   libdw1, libelf1, liblzma5, libbz2-1.0   the shared libraries the hooks (libjitdebug-hooks.so) need
#   llvm-NN, libz3-4, libzstd1, zlib1g, libtinfo6            Debian's own arm64 llvm-jitlink-executor
#                                                            and its libraries (the stock one, for ratios)
#
# The C and C++ runtime come from Debian's cross packages (libc6-dev-arm64-cross,
# libstdc++-12-dev-arm64-cross: /usr/aarch64-linux-gnu), installed by install-deps.sh.
# Idempotent: a sysroot that already holds every version's library is left as it is.
#
#   scripts/aarch64-sysroot.sh DIR [NN...]
# Without versions: every LLVM the host has an executor for (/usr/lib/llvm-NN with the ORC
# target-process library), so that each host executor has its AArch64 twin.
set -euo pipefail
dir=$1
shift
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  for a in /usr/lib/llvm-*/lib/libLLVMOrcTargetProcess.a; do
    [ -e "$a" ] || continue
    v=${a#/usr/lib/llvm-}
    versions+=("${v%%/*}")
  done
fi
[ ${#versions[@]} -gt 0 ] || { echo "aarch64-sysroot: no LLVM with the ORC target-process library on the host" >&2; exit 1; }

done_already=1
for v in "${versions[@]}"; do
  [ -f "$dir/root/usr/lib/llvm-$v/lib/libLLVMOrcTargetProcess.a" ] || done_already=0
done
if [ $done_already = 1 ]; then
  echo "aarch64-sysroot: present in $dir/root (LLVM ${versions[*]})"
  exit 0
fi

mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs"
: > "$dir/apt/status"
apt_opts=(-o "Dir::State=$dir/apt" -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::State::status=$dir/apt/status"
  -o "Dir::Cache=$dir/apt/cache" -o APT::Architecture=arm64 -o APT::Architectures::=arm64
  -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update -qq
pkgs=(libdw-dev libelf-dev zlib1g-dev liblzma-dev libbz2-dev libzstd-dev libncurses-dev
      libdw1 libelf1 liblzma5 libbz2-1.0 libz3-4 libzstd1 zlib1g libtinfo6)
for v in "${versions[@]}"; do pkgs+=("llvm-$v-dev" "llvm-$v"); done
(cd "$dir/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >/dev/null)
rm -rf "$dir/root.tmp"
for deb in "$dir"/debs/*_arm64.deb; do
  dpkg -x "$deb" "$dir/root.tmp"
done
rm -rf "$dir/root"
mv "$dir/root.tmp" "$dir/root"
echo "aarch64-sysroot: ${#pkgs[@]} arm64 packages unpacked into $dir/root"
