# The two commands of the README: `make demo` (the main job) and `make check` (the tests).
# Both install what is missing (scripts/install-deps.sh, apt-get as root), configure with CMake + Ninja
# into build/ (and build-asan/ for the sanitizer run), and build.
BUILD      ?= build
ASAN_BUILD ?= build-asan
AARCH64_BUILD ?= $(BUILD)/aarch64
ARM64_SYSROOT = $(abspath $(BUILD))/deps/arm64
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan aarch64 check test-unit demo demo-device bench deb clean

all: build

deps:
	@scripts/install-deps.sh $(BUILD)/deps

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJD_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD)

# What runs on an AArch64 device (the executors, the hooks, tests/device/), cross-built with clang
# against Debian's arm64 packages unpacked into $(ARM64_SYSROOT) (scripts/aarch64-sysroot.sh).
aarch64: deps
	@scripts/aarch64-sysroot.sh $(ARM64_SYSROOT)
	@cmake -S . -B $(AARCH64_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_TOOLCHAIN_FILE=scripts/aarch64-linux-gnu.cmake -DJD_SYSROOT=$(ARM64_SYSROOT)/root >/dev/null
	@cmake --build $(AARCH64_BUILD)

# The whole suite on the normal build (the AArch64 device's tests included), then the unit and fuzz
# tests again under ASan+UBSan.
check: build build-asan aarch64
	@cd $(BUILD) && ctest --output-on-failure --timeout 300
	@cd $(ASAN_BUILD) && ctest --output-on-failure --timeout 300 -L sanitize

# The unit tests and the build checks alone (`ctest -L unit`): no debugger, perf or LLVM tool runs.
test-unit: build
	@cd $(BUILD) && ctest --output-on-failure --timeout 300 -L unit

demo: build
	@examples/demo.sh $(BUILD)

# The AArch64 device end to end (examples/demo-device.sh): qemu runs the cross-built executor, the
# host's llvm-jitlink links into it, gdb-multiarch with the plugin stops in the JIT code.
demo-device: build aarch64
	@examples/demo-device.sh $(BUILD) $(AARCH64_BUILD)

bench: build aarch64
	@bench/run.sh $(BUILD)

# Debian packages (CPack, packaging/CMakeLists.txt) into $(BUILD)/deb: libjitdebug0, libjitdebug-dev,
# jitdebug, jitdebug-plugins.
deb: build
	@cd $(BUILD) && cpack -B deb
	@ls -1 $(BUILD)/deb/*.deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
