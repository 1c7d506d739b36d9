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

# boot_kernel [EXTRA-APPEND]: kernel and initramfs straight from QEMU, with the disks that
# attach_disk and config_disk named; the initramfs is BUILD_INITRAMFS when a test made its own.
boot_kernel() {
	status=0
	rm -f "$console.raw"
	# shellcheck disable=SC2086 # $disk_args holds several words on purpose
	timeout "$BOOT_TIMEOUT" scripts/qemu-boot --kernel "$BUILD/vmlinuz" \
		--initrd "${BUILD_INITRAMFS:-$BUILD/initramfs.cpio.gz}" --append "${1:-}" \
		--console "$console.raw" -- $disk_args $channel_args 2>"$WORK/qemu-boot.err" ||
		status=$?
	strip_console
}

# The busybox test image (scripts/mkimage-busybox), built once for all tests.
IMAGE="$BUILD/images/busybox"
scripts/mkimage-busybox "$IMAGE"

disk_args=''
disk_count=0
channel_args=''
events="$WORK/events.ndjson"
host_pid=

# attach_disk FILE SERIAL [ro]: a virtio-blk disk with that serial, in the order of the calls.
attach_disk() {
	readonly_option=''
	[ "${3:-}" = ro ] && readonly_option=',readonly=on'
	disk_count=$((disk_count + 1))
	disk_args="$disk_args -drive file=$1,if=none,id=disk$disk_count,format=raw$readonly_option"
	disk_args="$disk_args -device virtio-blk-pci,drive=disk$disk_count,serial=$2"
}

# detach_disks: forget the disks attached so far, for the next boot.
detach_disks() {
	disk_args=''
}

# config_disk JSON: a config disk (scripts/mkconfig-disk) holding JSON, attached.
config_disk() {
	printf '%s\n' "$1" >"$WORK/config.json"
	scripts/mkconfig-disk "$WORK/config.json" "$WORK/config.iso"
	attach_disk "$WORK/config.iso" config ro
}

# copy_disk FILE NAME: a private, writable copy of an image disk for this test.
copy_disk() {
	cp --sparse=always "$1" "$WORK/$2"
	echo "$WORK/$2"
}

# volume_disk NAME SIZE: a fresh, empty ext4 disk.
volume_disk() {
	mke2fs -q -t ext4 -F "$WORK/$1" "$2" >/dev/null 2>&1
	echo "$WORK/$1"
}

# attach_busybox ARGS-JSON [EXTRA-CONFIG-JSON [EXTRA-PROCESS-JSON]]: attach the config disk
# and a private copy of the busybox image's ext4 root (disk mode), with process.args
# ARGS-JSON, e.g. '["sh", "-c", "exit 3"]', more top-level keys and more process keys.
attach_busybox() {
	detach_disks
	config_disk "{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"root\"}},
		\"process\": {\"args\": $1${3:+, $3}}${2:+, $2}}"
	attach_disk "$(copy_disk "$IMAGE/rootfs.ext4" root.ext4)" root
}

# run_busybox ARGS-JSON [EXTRA-CONFIG-JSON [EXTRA-PROCESS-JSON]]: attach_busybox, then boot.
run_busybox() {
	attach_busybox "$@"
	boot_kernel 'tether.timeout=20'
}

# boot_iso: the ISO as a CD-ROM, through isolinux, with the disks attached so far.
boot_iso() {
	status=0
	rm -f "$console.raw"
	# shellcheck disable=SC2086 # $disk_args holds several words on purpose
	timeout "$BOOT_TIMEOUT" scripts/qemu-boot --iso "$BUILD/tether.iso" \
		--console "$console.raw" -- $disk_args 2>"$WORK/qemu-boot.err" || status=$?
	strip_console
}

# channel_ports [PORT...]: a virtio-serial device whose ports (org.tether.control by default;
# also stdin, stdout, stderr) are QEMU chardev sockets $WORK/PORT.sock, for chanhost.
channel_ports() {
	channel_args="-device virtio-serial-pci,id=vser"
	for port in "${@:-control}"; do
		channel_args="$channel_args -chardev socket,id=$port,path=$WORK/$port.sock,server=on,wait=off"
		channel_args="$channel_args -device virtserialport,bus=vser.0,chardev=$port,name=org.tether.$port"
	done
}

# detach_channel: no virtio-serial device for the next boot.
detach_channel() {
	channel_args=''
}

# start_host [CHANHOST-OPTION...]: the host end (tests/tools/chanhost.c) in the background,
# writing the events it receives to $events.
# shellcheck disable=SC2120 # the options are optional
start_host() {
	rm -f "$events"
	"$BUILD/host/chanhost" --control "$WORK/control.sock" --events "$events" "$@" \
		2>"$WORK/chanhost.err" &
	host_pid=$!
}

# wait_host: chanhost has ended, and every line it got was a valid protocol message.
wait_host() {
	host_status=0
	wait "$host_pid" || host_status=$?
	[ "$host_status" = 0 ] ||
		fail "chanhost exited with status $host_status: $(cat "$WORK/chanhost.err")"
}

# host_busybox HOST-OPTIONS ARGS-JSON [EXTRA-CONFIG-JSON [EXTRA-PROCESS-JSON]]: run_busybox
# with the control port and chanhost, given HOST-OPTIONS (one word-split string), as the host.
host_busybox() {
	host_options=$1
	shift
	attach_busybox "$@"
	[ -n "$channel_args" ] || channel_ports control
	# shellcheck disable=SC2086 # the options are several words on purpose
	start_host $host_options
	boot_kernel "tether.timeout=20 ${BOOT_APPEND:-}"
	wait_host
}

# event TYPE FILTER: FILTER (jq) applied to the first event of TYPE, compact.
event() {
	jq -c "select(.type == \"$1\") | $2" "$events" | head -n 1
}

# assert_event TYPE FILTER EXPECTED: the first event of TYPE gives EXPECTED through FILTER.
assert_event() {
	actual=$(event "$1" "$2")
	[ "$actual" = "$3" ] || fail "event '$1' $2: got '$actual', expected '$3'"
}

# assert_event_types TYPES: the types of the events, repeats of the exit event left out.
assert_event_types() {
	actual=$(jq -r '"\(.type) \(.seq)"' "$events" | awk '!seen[$0]++ { print $1 }' | tr '\n' ' ')
	[ "$actual" = "$1 " ] || fail "events: got '$actual', expected '$1'"
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
