# shellcheck shell=sh
# Helpers for boot tests: boot under QEMU, then assert on the console and QEMU's status.
# A test script sources this file, calls boot_* once, then assert_* as often as it likes.
# BUILD (the build directory) and WORK (a directory for this test's files) come from
# tests/run.

: "${BUILD:?}" "${WORK:?}"
# Used by the scripts that source this file.
# shellcheck disable=SC2034
VERSION=$(cat VERSION)
# shellcheck disable=SC2034
KERNEL_RELEASE=$(sed -n 's/^release //p' "$BUILD/kernel/kernel.lock")
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
console="$WORK/console.log"
status=

fail() {
	echo "FAIL: $*" >&2
	echo "--- console (last 40 lines): $console" >&2
	tail -n 40 "$console" >&2 2>/dev/null
	exit 1
}

# The serial console ends lines with CR LF: keep plain lines for the assertions.
strip_console() {
	tr -d '\r' <"$console.raw" >"$console"
}

# boot_kernel [EXTRA-APPEND]: kernel and initramfs straight from QEMU; the initramfs is
# BUILD_INITRAMFS when a test made its own.
boot_kernel() {
	status=0
	rm -f "$console.raw"
	timeout "$BOOT_TIMEOUT" scripts/qemu-boot --kernel "$BUILD/vmlinuz" \
		--initrd "${BUILD_INITRAMFS:-$BUILD/initramfs.cpio.gz}" --append "${1:-}" \
		--console "$console.raw" 2>"$WORK/qemu-boot.err" || status=$?
	strip_console
}

# boot_iso: the ISO as a CD-ROM, through isolinux.
boot_iso() {
	status=0
	rm -f "$console.raw"
	timeout "$BOOT_TIMEOUT" scripts/qemu-boot --iso "$BUILD/tether.iso" \
		--console "$console.raw" 2>"$WORK/qemu-boot.err" || status=$?
	strip_console
}

assert_console() {
	grep -qE -- "$1" "$console" || fail "console has no line matching '$1'"
}

refute_console() {
	if grep -qE -- "$1" "$console"; then
		fail "console has a line matching '$1': $(grep -E -- "$1" "$console" | head -n 1)"
	fi
}

# scripts/qemu-boot's status: tether's exit status through isa-debug-exit, 125 for a panic,
# 124 when the boot timed out.
assert_status() {
	[ "$status" = "$1" ] || fail "qemu-boot exited with status $status, expected $1 (124: timed out)"
}

# A clean end with exit status N: tether said so, nothing panicked, and the status reached
# the host (through isa-debug-exit, which ends QEMU before the kernel's own power-off).
assert_clean_exit() {
	assert_console "tether: .*exit status $1, powering off"
	refute_console 'Kernel panic'
	refute_console 'Attempted to kill init'
	assert_status "$1"
}
