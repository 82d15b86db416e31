# CMake toolchain for `make aarch64`: clang 16 for aarch64-linux-gnu, linked by lld.
# The C and C++ runtime are Debian's cross packages (/usr/aarch64-linux-gnu, found by clang through
# /usr/lib/gcc-cross); everything else comes from JD_SYSROOT, Debian's arm64 packages unpacked by
# scripts/aarch64-sysroot.sh. The top level sees CMAKE_CROSSCOMPILING and builds only what runs on
# the device: the hooks (shared and static) and jitdebug-executor-NN.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER clang-16)
set(CMAKE_CXX_COMPILER clang++-16)
set(CMAKE_C_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_CXX_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
if(NOT JD_SYSROOT)
  message(FATAL_ERROR "JD_SYSROOT: the folder scripts/aarch64-sysroot.sh unpacked (build/deps/arm64/root)")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES JD_SYSROOT)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_C_FLAGS_INIT "-isystem ${JD_SYSROOT}/usr/include")
set(CMAKE_CXX_FLAGS_INIT "-isystem ${JD_SYSROOT}/usr/include")
set(CMAKE_FIND_ROOT_PATH ${JD_SYSROOT} /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L /usr/aarch64-linux-gnu)
