# device.sh — a device for the tests, on this machine (sourced after lib.sh). The device is a root
# folder that holds only jitdebug-executor and the C library's runtime files (ldd of the executor:
# libc, libm, the loader). Nothing of LLVM, no C++ runtime, no sources, no debugger. It runs chrooted in
# a mount namespace of its own (with its own /proc) inside a network namespace of its own. The host
# side is a second network namespace: a veth pair joins the two, with addresses of the test's own
# (a /30 in 10.0.0.0/8 derived from the test's pid: .1 host, .2 device). Nothing is configured in the machine's own network namespace.
#
#   make_device EXECUTOR    builds DEV_ROOT, the namespaces and the veth pair (or skips: exit 77)
#   start_device [ENV=VAL...]  starts the executor on DEV_ADDR:0; sets DEV_PID, DEV_PORT
#   on_host CMD...          runs CMD in the host's network namespace
# The namespaces are deleted, and the device's processes killed, on exit.

# A /30 of the test's own, from its pid (tests of several LLVM versions run side by side).
DEV_NET=10.$(( ($$ / 64) % 200 + 20 )).$(( ($$ / 12800) % 250 )).$(( ($$ % 64) * 4 ))
DEV_NS=jdd$$
HOST_NS=jdh$$
HOST_ADDR=${DEV_NET%.*}.$(( ${DEV_NET##*.} + 1 ))
DEV_ADDR=${DEV_NET%.*}.$(( ${DEV_NET##*.} + 2 ))
DEV_ROOT=$TMP/device

device_cleanup() {
	ip netns del "$DEV_NS" 2>/dev/null
	ip netns del "$HOST_NS" 2>/dev/null
}

make_device() {
	[ "$(id -u)" = 0 ] || skip "the device needs root (network and mount namespaces)"
	ip netns add "$DEV_NS" 2>/dev/null || skip "the kernel refuses network namespaces (ip netns add)"
	ip netns add "$HOST_NS" 2>/dev/null || { device_cleanup; skip "the kernel refuses a second network namespace"; }
	mkdir -p "$TMP/probe-proc"
	unshare --mount --propagation private sh -c 'mount -t proc proc "$0"' "$TMP/probe-proc" 2>/dev/null ||
		{ device_cleanup; skip "the kernel refuses a mount namespace with its own /proc (unshare --mount, mount -t proc)"; }
	command -v chroot > /dev/null || { device_cleanup; skip "no chroot"; }
	ip link add "vh$$" netns "$HOST_NS" type veth peer name "vd$$" netns "$DEV_NS" ||
		{ device_cleanup; skip "no veth pair between namespaces"; }
	ip -n "$HOST_NS" addr add "$HOST_ADDR/30" dev "vh$$"
	ip -n "$DEV_NS" addr add "$DEV_ADDR/30" dev "vd$$"
	for ns in "$HOST_NS" "$DEV_NS"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$HOST_NS" link set "vh$$" up
	ip -n "$DEV_NS" link set "vd$$" up
	# The root folder: the executor, the loader and the libraries it needs, /proc and /tmp.
	mkdir -p "$DEV_ROOT/bin" "$DEV_ROOT/proc" "$DEV_ROOT/tmp"
	chmod 1777 "$DEV_ROOT/tmp"
	cp "$1" "$DEV_ROOT/bin/jitdebug-executor"
	local lib
	for lib in $(ldd "$1" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^\t\(\/[^ ]*\) .*/\1/p'); do
		mkdir -p "$DEV_ROOT$(dirname "$lib")"
		cp -L "$lib" "$DEV_ROOT$lib"
	done
}

start_device() {
	fresh_files "$TMP/device.out" "$TMP/device.err"
	ip netns exec "$DEV_NS" env "$@" unshare --mount --propagation private sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" /bin/jitdebug-executor "listen=$1:0"' "$DEV_ROOT" "$DEV_ADDR" \
		> "$TMP/device.out" 2> "$TMP/device.err" &
	PIDS+=("$!")
	DEV_PORT=
	for _ in $(seq 200); do
		DEV_PORT=$(sed -n "s/^jitdebug-executor: listening on ${DEV_ADDR//./\\.}:\([0-9][0-9]*\).*/\1/p" "$TMP/device.err")
		[ -n "$DEV_PORT" ] && break
		sleep 0.05
	done
	# The executor's pid as the host sees it (the device shares the host's pid namespace).
	DEV_PID=$(pgrep -n -f "^/bin/jitdebug-executor listen=$DEV_ADDR:0")
	PIDS+=("$DEV_PID")
	[ -n "$DEV_PORT" ] && [ -n "$DEV_PID" ]
}

on_host() {
	ip netns exec "$HOST_NS" "$@"
}
